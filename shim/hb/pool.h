/* The copy pool's parts, shared by its files: the queue of jobs and the threads (hb/pool.c), the token
 * bucket and priorities every chunk passes through (hb/throttle.c), the copy of one file (hb/copy.c). */
#ifndef HB_POOL_H
#define HB_POOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "hb/ctl.h"

#define HB_CHUNK (1u << 20)
#define HB_MAX_RANGES 4

struct job {
	uint64_t id;
	int src, dst;
	int nranges; /* 0: the whole file; else only these [from, to) ranges, the rest left a hole */
	uint64_t ranges[2 * HB_MAX_RANGES];
	struct hb_unread *unread; /* the server skips writes to what we have not read yet; whole files only */
};

struct hb_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t threads[64];
	int nthreads, stop, busy;
	_Atomic int gentle; /* wanted now; each copy thread applies a change at its next chunk */
	_Atomic int cancel; /* stop copying now: the backup is being abandoned */
	_Atomic int paused; /* hold every copy between chunks (the pacer measures the server without us) */
	struct job *jobs;
	size_t jhead, jlen, jcap; /* queue */
	uint64_t *done;            /* (id, result, crc) triples; result = bytes, or -errno */
	size_t dlen, dcap;
	_Atomic uint64_t bytes;
	uint64_t direct_min; /* files this big and more go past the page cache */
	_Atomic int direct_writes; /* ...their writes too (0: written through it and behind); read as each starts */
	/* token bucket: rate 0 = unlimited; tokens may go negative (debt), and takers sleep it off */
	pthread_mutex_t bucket;
	uint64_t rate;
	double tokens, burst;
	uint64_t last_ns;
};

/* Before each chunk of n bytes: applies a change of priority, waits out a pause, takes n tokens. */
HB_HIDDEN void hb_pool_take_tokens(struct hb_pool *p, size_t n);
HB_HIDDEN void hb_pool_wait_unpaused(struct hb_pool *p);
HB_HIDDEN size_t hb_pool_chunk(struct hb_pool *p); /* the chunk size for the pool's rate */

/* Copies the job's file; returns the size copied up to, or -errno; *crc: the copy's CRC32C. */
HB_HIDDEN int64_t hb_copy_file(struct hb_pool *p, struct job *j, uint32_t *crc);

#endif
