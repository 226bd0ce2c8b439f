/* hb's drain: a thread of its own that moves committed records from the ring into the journal file, CRC
 * stamped, keeps the namespace records for the copier and the mapped files, and beats the heartbeat that keeps the capture alive.
 * It naps between looks at the ring (docs/capture.md, "The drain's pace"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hb/ctl.h"

#define NAP_MIN_US 500   /* the drain's sleep between looks at the ring */
#define NAP_MAX_US 10000 /* ...and at most: each wake-up is a context switch the server's threads pay for */
#define NAP_FILL_DIV 8   /* the pace aims to find the ring at most an eighth full */
#define FAST_WRITES_BPUS 1000 /* 1 GB/s, in bytes per microsecond: the longest nap leaves half the ring free at it */

static void ring_copy_out(struct hb_cb *cb, uint64_t pos, uint8_t *dst, size_t n, int zero)
{
	uint8_t *ring = hb_ring(cb);
	uint64_t at = pos % cb->ring_cap;
	size_t first = n < cb->ring_cap - at ? n : (size_t)(cb->ring_cap - at);
	memcpy(dst, ring + at, first);
	memcpy(dst + first, ring, n - first);
	if (zero) {
		memset(ring + at, 0, first);
		memset(ring, 0, n - first);
	}
}

static void keep_event(struct hb_ctl *c, const uint8_t *rec, size_t len)
{
	pthread_mutex_lock(&c->ev_lock);
	if (c->ev_len + len > c->ev_cap) {
		size_t cap = c->ev_cap ? c->ev_cap * 2 : 1 << 16;
		while (cap < c->ev_len + len)
			cap *= 2;
		uint8_t *p = realloc(c->ev, cap);
		if (!p) {
			pthread_mutex_unlock(&c->ev_lock);
			hb_fail(c->cb, HB_E_JOURNAL_IO, ENOMEM);
			return;
		}
		c->ev = p;
		c->ev_cap = cap;
	}
	memcpy(c->ev + c->ev_len, rec, len);
	c->ev_len += len;
	pthread_mutex_unlock(&c->ev_lock);
}

/* Moves one committed record from the ring into the write buffer. 0 if there is none at the tail. */
static int consume_one(struct hb_ctl *c)
{
	struct hb_cb *cb = c->cb;
	uint64_t t = atomic_load(&cb->tail);
	_Atomic uint32_t *word = (_Atomic uint32_t *)(hb_ring(cb) + t % cb->ring_cap);
	uint32_t v = atomic_load_explicit(word, memory_order_acquire);
	if (!(v & HB_REC_COMMITTED))
		return 0;
	uint32_t len = v & ~HB_REC_COMMITTED;
	if (len < HB_REC_HDR || len % 8 || len > cb->ring_cap) {
		hb_fail(cb, HB_E_JOURNAL_IO, EBADMSG);
		return -1;
	}
	if (c->buf_len >= HB_FLUSH_AT || c->buf_len + len > c->buf_cap) {
		if (hb_journal_flush(c, 0) != 0)
			return -1;
		if (len > c->buf_cap) {
			uint8_t *p = realloc(c->buf, len);
			if (!p) {
				hb_fail(cb, HB_E_JOURNAL_IO, ENOMEM);
				return -1;
			}
			c->buf = p;
			c->buf_cap = len;
		}
	}
	uint8_t *rec = c->buf + c->buf_len;
	ring_copy_out(cb, t, rec, len, 1);
	struct hb_rec *h = (struct hb_rec *)rec;
	h->len = len;
	if (h->pos != t) {
		hb_fail(cb, HB_E_JOURNAL_IO, EBADMSG);
		return -1;
	}
	h->crc = hb_crc32c(0, rec + 8, len - 8);
	if (h->type == HB_REC_BIND || h->type == HB_REC_UNBIND)
		keep_event(c, rec, len);
	else if (h->type == HB_REC_MAP)
		hb_mmaps_add(c, h->dev, h->ino);
	/* After the copier's share is stored: a tail that reached the head means every record is where hb reads it. */
	atomic_store_explicit(&cb->tail, t + len, memory_order_release);
	c->buf_len += len;
	c->records++;
	return 1;
}

/* Sleeps up to us, or until the end asks the drain to stop. */
static void nap(struct hb_ctl *c, long us)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += us * 1000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&c->nap_lock);
	while (!atomic_load(&c->stop) && pthread_cond_timedwait(&c->nap_wake, &c->nap_lock, &until) == 0)
		;
	pthread_mutex_unlock(&c->nap_lock);
}

/* The next nap: scaled so that the ring is found about an eighth full (fill: what this wake-up found after a
 * nap of `last`), never shorter than NAP_MIN_US, and never so long that writes at 1 GB/s would fill half of
 * a small ring. */
static long next_nap(const struct hb_cb *cb, long last, uint64_t fill)
{
	uint64_t aim = cb->ring_cap / NAP_FILL_DIV;
	long cap = (long)(cb->ring_cap / 2 / FAST_WRITES_BPUS);
	if (cap > NAP_MAX_US)
		cap = NAP_MAX_US;
	long next = fill ? (long)((uint64_t)last * aim / fill) : cap;
	if (next > 2 * last)
		next = 2 * last; /* grow gently: one quiet look says little about the next */
	if (next > cap)
		next = cap;
	return next < NAP_MIN_US ? NAP_MIN_US : next;
}

void *hb_drain(void *arg)
{
	struct hb_ctl *c = arg;
	struct hb_cb *cb = c->cb;
	long slept = NAP_MIN_US;
	for (;;) {
		atomic_store(&cb->heartbeat_ns, hb_now_ns());
		uint64_t fill = atomic_load(&cb->head) - atomic_load(&cb->tail);
		int got = 0, r;
		while (got < 4096 && (r = consume_one(c)) == 1)
			got++;
		if (r < 0 || c->io_errno)
			break;
		if (got == 4096)
			continue; /* more is waiting */
		int stopping = atomic_load(&c->stop);
		if (stopping) {
			if (c->buf_len && hb_journal_flush(c, 1) != 0)
				break;
			uint64_t head = atomic_load(&cb->head), tail = atomic_load(&cb->tail);
			if (tail == head || atomic_load(&cb->state) == HB_FAILED || stopping == 2)
				break;
			nanosleep(&(struct timespec){0, 50000}, 0); /* calls that saw the capture active are finishing their records */
			continue;
		}
		/* Between wake-ups, records gather in the ring and whole blocks in the buffer: consume_one writes
		 * them out HB_FLUSH_AT at a time, not a few KiB per wake-up. */
		slept = next_nap(cb, slept, fill);
		nap(c, slept);
	}
	return 0;
}

/* Whole namespace records journaled since the last call, at most cap bytes. */
int hb_ctl_events(struct hb_ctl *c, uint8_t *buf, int cap)
{
	pthread_mutex_lock(&c->ev_lock);
	size_t take = 0;
	while (take + HB_REC_HDR <= c->ev_len) {
		uint32_t len = ((struct hb_rec *)(c->ev + take))->len;
		if (take + len > (size_t)cap)
			break;
		take += len;
	}
	memcpy(buf, c->ev, take);
	memmove(c->ev, c->ev + take, c->ev_len - take);
	c->ev_len -= take;
	pthread_mutex_unlock(&c->ev_lock);
	return (int)take;
}

