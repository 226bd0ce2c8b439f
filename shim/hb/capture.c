/* Beginning and ending a capture. Both wait on the barrier: a flip of the phase the server's calls count
 * themselves in, then a wait until the old phase's calls have left (server/capture.h, hb_enter). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/real.h"
#include "hb/ctl.h"

/* Flip the phase and wait until every call counted in the old phase has left: afterwards no call that
 * read the state before the flip is still running. Done twice, because a call may count itself in the
 * old phase just after the first flip (it then saw the new state, but the next flip must wait for it). */
int hb_barrier(struct hb_cb *cb, uint64_t timeout_ns)
{
	uint64_t deadline = hb_now_ns() + timeout_ns;
	for (int round = 0; round < 2; round++) {
		uint32_t old = atomic_fetch_add(&cb->phase, 1) & 1;
		for (int s = 0; s < HB_STRIPES; s++)
			while (atomic_load(&cb->inflight[old][s].n) != 0) {
				if (hb_now_ns() > deadline)
					return -1;
				nanosleep(&(struct timespec){0, 50000}, 0);
			}
	}
	return 0;
}

static void release_ring(struct hb_ctl *c)
{
	/* Give the ring's pages back to the system and leave it zeroed. */
	if (REAL(fallocate64)(c->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, HB_CB_BYTES, (off_t)c->cb->ring_max) != 0)
		memset(hb_ring(c->cb), 0, c->cb->ring_cap);
}

/* The ring's pages back to the system after a capture, unless another capture has begun meanwhile (its
 * begin released them already, and they are its now): the block is claimed as a begin claims it. A begin
 * racing this sees it busy for the moment it takes. */
void hb_release_idle_ring(struct hb_ctl *c)
{
	uint32_t s = HB_IDLE;
	if (!atomic_compare_exchange_strong(&c->cb->state, &s, HB_STARTING))
		return;
	atomic_store(&c->cb->owner_pid, getpid());
	release_ring(c);
	atomic_store(&c->cb->state, HB_IDLE);
}

/* roots: absolute canonical paths separated by '\n'. */
static int set_roots(struct hb_cb *cb, const char *roots)
{
	uint32_t n = 0;
	for (const char *p = roots; *p && n < HB_MAX_ROOTS;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len >= HB_ROOT_MAX || p[0] != '/')
			return -1;
		while (len > 1 && p[len - 1] == '/')
			len--;
		memcpy(cb->roots[n], p, len);
		cb->roots[n][len] = 0;
		cb->rootlen[n++] = (uint32_t)len;
		p = e ? e + 1 : p + len;
	}
	cb->nroots = n;
	return 0;
}

/* unjournaled: absolute paths separated by '\n' (hb_cb.unjournaled), or "". */
static int set_unjournaled(struct hb_cb *cb, const char *list)
{
	size_t n = strlen(list);
	cb->unjournaled_bytes = 0;
	if (n >= HB_UNJOURNALED_BYTES)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((i == 0 || list[i - 1] == '\n') && list[i] != '/')
			return -1; /* every one an absolute path */
		cb->unjournaled[i] = list[i] == '\n' ? 0 : list[i];
	}
	cb->unjournaled[n] = 0;
	cb->unjournaled_bytes = n ? (uint32_t)n + 1 : 0;
	return 0;
}

int hb_ctl_begin(struct hb_ctl *c, const char *roots, const char *unjournaled, uint64_t ring_bytes, uint32_t lease_ms,
		 uint32_t max_wait_ms, int journal_fd)
{
	struct hb_cb *cb = c->cb;
	if (c->running || journal_fd < 0 || !roots || !unjournaled || lease_ms == 0)
		return HB_E_ARGS;
	uint32_t s = atomic_load(&cb->state);
	if (s == HB_ACTIVE) {
		if (hb_now_ns() - atomic_load(&cb->heartbeat_ns) <= cb->lease_ns)
			return HB_E_BUSY;
		hb_fail(cb, HB_E_LEASE, 0); /* its CLI is gone: end it */
		s = atomic_load(&cb->state);
	}
	if ((s == HB_STARTING || s == HB_ENDING) && kill(atomic_load(&cb->owner_pid), 0) == 0)
		return HB_E_BUSY;
	if (!atomic_compare_exchange_strong(&cb->state, &s, HB_STARTING))
		return HB_E_BUSY;
	atomic_store(&cb->owner_pid, getpid());
	/* Producers of an earlier capture may still be inside the ring: wait for them before reuse. */
	if (hb_barrier(cb, 10ull * 1000000000) != 0) {
		atomic_store(&cb->state, HB_IDLE);
		return HB_E_BARRIER;
	}
	/* Both set while no call can see them (the state is STARTING), and the epoch that follows makes every
	 * descriptor resolve again: they hold from the capture's first record. */
	if (set_roots(cb, roots) != 0 || set_unjournaled(cb, unjournaled) != 0) {
		atomic_store(&cb->state, HB_IDLE);
		return HB_E_ARGS;
	}
	if (ring_bytes < HB_RING_MIN)
		ring_bytes = HB_RING_MIN;
	if (ring_bytes > cb->ring_max)
		ring_bytes = cb->ring_max;
	cb->ring_cap = ring_bytes & ~7ull;
	hb_unread_reset(cb);
	release_ring(c);
	/* Its pages, allocated now by hb rather than by the server's first write into each: on its first lap a
	 * journaled 16 KiB write took 19–32 µs with the page to allocate, 13.5–15 with it allocated (docs/capture.md).
	 * 64 MiB took 19 ms, before the copy and outside every lock. If it fails they come as before. */
	REAL(fallocate64)(c->fd, 0, HB_CB_BYTES, (off_t)cb->ring_cap);
	atomic_store(&cb->head, 0);
	atomic_store(&cb->tail, 0);
	cb->lease_ns = (uint64_t)lease_ms * 1000000;
	cb->max_wait_ns = (uint64_t)max_wait_ms * 1000000;
	atomic_store(&cb->heartbeat_ns, hb_now_ns());
	atomic_store(&cb->error, 0);
	atomic_store(&cb->error_errno, 0);
	atomic_store(&cb->c_records, 0);
	atomic_store(&cb->c_data_bytes, 0);
	atomic_store(&cb->c_ns_records, 0);
	atomic_store(&cb->c_ring_waits, 0);
	atomic_fetch_add(&cb->epoch, 1);
	c->ev_len = 0;
	hb_mmaps_reset(c);
	if (hb_journal_open(c, journal_fd) != 0) {
		atomic_store(&cb->state, HB_IDLE);
		return HB_E_JOURNAL_IO;
	}
	atomic_store(&c->stop, 0);
	atomic_store(&cb->state, HB_ACTIVE);
	if (pthread_create(&c->thread, 0, hb_drain, c) != 0) {
		hb_fail(cb, HB_E_JOURNAL_IO, EAGAIN);
		return HB_E_JOURNAL_IO;
	}
	pthread_setname_np(c->thread, "hb-drain"); /* named before begin returns: top -H and tests find it at once */
	c->running = 1;
	/* I1: no call that began before the capture is still running once this returns. */
	if (hb_barrier(cb, 30ull * 1000000000) != 0) {
		hb_fail(cb, HB_E_BARRIER, 0);
		return HB_E_BARRIER;
	}
	if (hb_mmaps_seed(c) != 0) {
		hb_fail(cb, HB_E_MAPS, errno);
		return HB_E_MAPS;
	}
	return 0;
}

static int fail_code(struct hb_ctl *c)
{
	uint32_t e = atomic_load(&c->cb->error);
	return e ? (int)e : c->io_errno ? HB_E_JOURNAL_IO : 0;
}

/* Ends the capture: waits for calls in flight (I3), drains what they journaled, appends END.
 * abort != 0 ends it as failed, without END. Returns 0 or the capture's first error. */
int hb_ctl_end(struct hb_ctl *c, uint32_t timeout_ms, int abort)
{
	struct hb_cb *cb = c->cb;
	if (!c->running)
		return HB_E_ARGS;
	uint32_t active = HB_ACTIVE;
	if (abort)
		hb_fail(cb, HB_E_ENDED, ECANCELED);
	else
		atomic_compare_exchange_strong(&cb->state, &active, HB_ENDING); /* calls that saw it active finish */
	/* Abandoning the capture of a dead server: its writers never leave the barrier, and nothing is left to wait
	 * for (a restarted server has a new block). */
	int dead = abort && kill(cb->pid, 0) != 0 && errno == ESRCH;
	int late = dead || hb_barrier(cb, (uint64_t)timeout_ms * 1000000) != 0;
	if (late)
		hb_fail(cb, HB_E_BARRIER, 0);
	pthread_mutex_lock(&c->nap_lock);
	atomic_store(&c->stop, abort || late ? 2 : 1);
	pthread_cond_signal(&c->nap_wake);
	pthread_mutex_unlock(&c->nap_lock);
	pthread_join(c->thread, 0);
	c->running = 0;
	int err = abort ? 0 : fail_code(c);
	if (!abort && !err && atomic_load(&cb->tail) != atomic_load(&cb->head))
		err = HB_E_ENDED;
	if (!abort && !err) {
		hb_journal_append_end(c);
		err = c->io_errno ? HB_E_JOURNAL_IO : 0;
	}
	hb_journal_close(c);
	/* Every call that saw the capture active has left and the ring is drained: the block is free again (a
	 * begin that came meanwhile was told busy, and would have punched the ring under the drain). */
	uint32_t ending = HB_ENDING;
	atomic_compare_exchange_strong(&cb->state, &ending, HB_IDLE);
	if (atomic_load(&cb->state) == HB_STARTING)
		atomic_store(&cb->state, HB_IDLE);
	c->ring_used = 1; /* its pages go back at detach: punching 64 MiB took ~9 ms, under the backup lock here */
	return err;
}

uint64_t hb_ctl_head(struct hb_ctl *c) { return atomic_load(&c->cb->head); }

