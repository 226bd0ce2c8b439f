/* hb's side of a capture, shared by its files: the attached block, the drain thread and its journal file. */
#ifndef HB_CTL_H
#define HB_CTL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "hb/api.h"

struct hb_ctl {
	struct hb_cb *cb;
	int fd;
	size_t map_bytes;
	/* drain */
	pthread_t thread;
	int running;
	_Atomic int stop;
	int journal_fd;
	int io_errno;
	uint64_t journal_bytes, records;
	int direct_fd;                    /* the journal again, opened O_DIRECT; -1: written through the page cache */
	uint64_t writeback_from, dropped; /* journal offsets: writeback started up to, pages dropped up to */
	int ring_used;                    /* a capture ended: the ring's pages are released at detach */
	uint8_t *buf;
	size_t buf_len, buf_cap;
	pthread_mutex_t nap_lock; /* the end wakes a napping drain rather than wait out its nap under the lock */
	pthread_cond_t nap_wake;
	/* namespace records for the copier, and the files mapped writable and shared (dev, ino pairs) */
	pthread_mutex_t ev_lock;
	uint8_t *ev;
	size_t ev_len, ev_cap;
	uint64_t *maps;
	size_t maps_len, maps_cap;
};

/* Waits until no call that read the control block's state before now is still running (hb/capture.c). */
HB_HIDDEN int hb_barrier(struct hb_cb *cb, uint64_t timeout_ns);
HB_HIDDEN void hb_release_idle_ring(struct hb_ctl *c);

/* The drain thread (hb/drain.c): ring to journal, beating the heartbeat, until c->stop. */
HB_HIDDEN void *hb_drain(void *ctl);

/* The files with a writable shared mapping (hb/mmaps.c). */
HB_HIDDEN void hb_mmaps_reset(struct hb_ctl *c);
HB_HIDDEN void hb_mmaps_add(struct hb_ctl *c, uint64_t dev, uint64_t ino);
HB_HIDDEN int hb_mmaps_seed(struct hb_ctl *c);

/* The journal file (hb/journal_file.c). */
#define HB_FLUSH_AT (1u << 20)   /* the journal is written 1 MiB at a time: few requests, and little left for the end */
#define HB_DIRECT_ALIGN 4096u    /* its O_DIRECT writes: whole blocks of this, from a buffer aligned to it */
HB_HIDDEN int hb_journal_open(struct hb_ctl *c, int journal_fd);
HB_HIDDEN int hb_journal_flush(struct hb_ctl *c, int final);
HB_HIDDEN void hb_journal_append_end(struct hb_ctl *c);
HB_HIDDEN void hb_journal_close(struct hb_ctl *c);

/* The copier's side of the unread table (hb/unread.c). */
HB_HIDDEN int hb_unread_add(struct hb_cb *cb, uint64_t dev, uint64_t ino);
HB_HIDDEN void hb_unread_claim(struct hb_unread *u, uint64_t to); /* before reading up to `to` */
HB_HIDDEN void hb_unread_exclude_from(struct hb_unread *u, uint64_t size); /* the copy stops at size */
HB_HIDDEN void hb_unread_reset(struct hb_cb *cb);

#endif
