/* What the server's side shares: the barrier guard around every intercepted call, the descriptor cache and
 * root matching (fdcache.c), the inode and namespace locks (locks.c), the record writers (journal.c) and the
 * copier's unread windows (unread.c). Only this half of the library ever runs in the server. */
#ifndef HB_CAPTURE_H
#define HB_CAPTURE_H

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common/common.h"

extern HB_HIDDEN struct hb_cb *hb_cb; /* NULL unless preloaded and set up (and never in a forked child) */

/* Every intercepted mutating call is bracketed by enter/leave. enter counts the call in the stripe set of
 * the current phase, then reads the state; the CLI's barrier flips the phase and waits for the old set to
 * drain, so no call that saw the old state is still running when begin/end returns (I1, I3). */
struct hb_guard {
	struct hb_stripe *stripe;
	int active;
};

static inline int hb_enter(struct hb_guard *g)
{
	struct hb_cb *cb = hb_cb;
	if (!cb) {
		g->stripe = 0;
		return g->active = 0;
	}
	int cpu = sched_getcpu();
	uint32_t phase = atomic_load(&cb->phase) & 1;
	g->stripe = &cb->inflight[phase][(unsigned)cpu % HB_STRIPES];
	atomic_fetch_add(&g->stripe->n, 1);
	return g->active = atomic_load(&cb->state) == HB_ACTIVE;
}

static inline void hb_leave(struct hb_guard *g)
{
	if (g->stripe)
		atomic_fetch_sub_explicit(&g->stripe->n, 1, memory_order_release);
}

/* Descriptor cache (fdcache.c). */
HB_HIDDEN void hb_fd_table_create(void);
#define HB_FD_TRACKED 1u /* regular file under a capture root, and not one the capture leaves out */
#define HB_FD_APPEND 2u
struct hb_fdinfo {
	uint64_t dev, ino;
	uint32_t flags;
};
HB_HIDDEN int hb_fd_lookup(int fd, struct hb_fdinfo *out); /* 1 if tracked */
HB_HIDDEN void hb_fd_forget(int fd);
HB_HIDDEN void hb_fd_forget_range(unsigned first, unsigned last);

HB_HIDDEN int hb_under_roots(const char *abs, size_t len);
/* Whether the capture leaves this file's changes out (hb_cb.unjournaled); hb_captured: under the roots, and not. */
HB_HIDDEN int hb_unjournaled(const char *abs, size_t len);
HB_HIDDEN int hb_captured(const char *abs, size_t len);

/* Order journaled calls on one inode with their records (locks.c), and namespace changes with theirs.
 * hb_range_lock holds only the bytes [off, off + len) of a write at a known offset; a negative off (or a
 * very long range) holds the whole inode. Cancellation of the thread waits while either lock is held. */
struct hb_range_lock {
	pthread_rwlock_t *inode;
	uint32_t first, count; /* stripe slots held; count 0: the inode is held exclusive */
	int cancel;	       /* the thread's cancel state before, restored at unlock */
};
HB_HIDDEN void hb_range_lock(struct hb_range_lock *l, uint64_t dev, uint64_t ino, int64_t off, uint64_t len);
HB_HIDDEN void hb_range_unlock(struct hb_range_lock *l);
#define HB_WHOLE_INODE (-1)
HB_HIDDEN int hb_ns_lock(void); /* returns what hb_ns_unlock restores */
HB_HIDDEN void hb_ns_unlock(int cancel);

/* Record writers (journal.c). Each returns 0, or -1 after failing the capture. */
HB_HIDDEN int hb_j_write(uint64_t dev, uint64_t ino, uint64_t off, const struct iovec *iov, int iovcnt, size_t n);
HB_HIDDEN int hb_j_write_from_fd(uint64_t dev, uint64_t ino, uint64_t off, int src, uint64_t srcoff, size_t n);
HB_HIDDEN int hb_j_simple(uint16_t type, uint64_t dev, uint64_t ino, uint64_t off, uint64_t count, uint32_t mode);
HB_HIDDEN int hb_j_bind(uint64_t pdev, uint64_t pino, const char *name, size_t nlen, uint64_t dev, uint64_t ino,
			uint32_t mode, uint16_t flags, const char *target, size_t tlen, const char *abs, size_t alen);
HB_HIDDEN int hb_lease_ok(struct hb_cb *cb); /* 0: the capture ended by lease */
HB_HIDDEN int hb_j_unbind(uint64_t pdev, uint64_t pino, const char *name, size_t nlen, uint64_t dev, uint64_t ino);

/* The copier's unread windows (unread.c), under the inode lock, while capturing. */
/* After a write of [off, end): 1 if the copy will read it (no record); else its bytes leave the window. */
HB_HIDDEN int hb_unread_covers(uint64_t dev, uint64_t ino, uint64_t off, uint64_t end);
/* Before a journaled change of [off, end) that is not a write (truncate, hole punch, a new incarnation). */
HB_HIDDEN void hb_unread_exclude(uint64_t dev, uint64_t ino, uint64_t off, uint64_t end);

#endif
