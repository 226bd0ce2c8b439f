/* Producers: server threads append records to the ring. Space is reserved with a CAS on head, the record
 * is written, and publishing its length (with the committed bit) is the last store. A writer that finds
 * the ring full waits at most max_wait, then fails the capture: never the server's call. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/real.h"
#include "server/capture.h"

struct slot {
	struct hb_cb *cb;
	uint64_t pos, len, at; /* at = bytes written so far */
};

/* Whether hb's drain still beats; a capture whose hb stopped ends here, by lease. */
int hb_lease_ok(struct hb_cb *cb)
{
	uint64_t beat = atomic_load_explicit(&cb->heartbeat_ns, memory_order_relaxed);
	if (hb_now_ns() - beat <= cb->lease_ns)
		return 1;
	hb_fail(cb, HB_E_LEASE, 0);
	return 0;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

static int reserve(struct slot *s, size_t len)
{
	struct hb_cb *cb = s->cb;
	uint64_t deadline = 0;
	if (!hb_lease_ok(cb))
		return -1;
	for (;;) {
		/* A call that began while the capture was active journals all of its records, even once the end has
		 * begun: a rename journaled in half (its UNBIND, not its BIND) would lose both names. */
		uint32_t state = atomic_load(&cb->state);
		if (state != HB_ACTIVE && state != HB_ENDING)
			return -1;
		uint64_t h = atomic_load(&cb->head);
		uint64_t t = atomic_load_explicit(&cb->tail, memory_order_acquire);
		if (h + len - t <= cb->ring_cap) {
			if (atomic_compare_exchange_weak(&cb->head, &h, h + len)) {
				s->pos = h;
				s->len = len;
				s->at = 0;
				return 0;
			}
			continue;
		}
		uint64_t now = hb_now_ns();
		if (!deadline) {
			deadline = now + cb->max_wait_ns;
			atomic_fetch_add_explicit(&cb->c_ring_waits, 1, memory_order_relaxed);
		} else if (now > deadline || !hb_lease_ok(cb)) {
			hb_fail(cb, now > deadline ? HB_E_RING_FULL : HB_E_LEASE, 0);
			return -1;
		}
		struct timespec ts = {0, 50000};
		nanosleep(&ts, 0);
	}
}

static void put(struct slot *s, const void *src, size_t n)
{
	uint8_t *ring = hb_ring(s->cb);
	uint64_t cap = s->cb->ring_cap;
	uint64_t at = (s->pos + s->at) % cap;
	size_t first = n < cap - at ? n : (size_t)(cap - at);
	memcpy(ring + at, src, first);
	memcpy(ring, (const uint8_t *)src + first, n - first);
	s->at += n;
}

/* Reads n bytes of src at srcoff straight into the slot. */
static int put_from_fd(struct slot *s, int src, uint64_t srcoff, size_t n)
{
	uint8_t *ring = hb_ring(s->cb);
	uint64_t cap = s->cb->ring_cap;
	while (n > 0) {
		uint64_t at = (s->pos + s->at) % cap;
		size_t chunk = n < cap - at ? n : (size_t)(cap - at);
		ssize_t r = REAL(pread64)(src, ring + at, chunk, (off_t)srcoff);
		if (r <= 0) {
			hb_fail(s->cb, HB_E_SOURCE, r < 0 ? errno : 0);
			return -1;
		}
		s->at += (uint64_t)r;
		srcoff += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

static void commit(struct slot *s, struct hb_rec *h)
{
	static const uint8_t zeros[8];
	if (s->at < s->len)
		put(s, zeros, s->len - s->at); /* padding: the region was zeroed by the drain, but be exact */
	/* The header goes in last but for its first word, whose store publishes the record. */
	h->len = 0;
	h->pos = s->pos;
	uint8_t *ring = hb_ring(s->cb);
	uint64_t cap = s->cb->ring_cap;
	uint64_t at = s->pos % cap;
	size_t first = HB_REC_HDR < cap - at ? HB_REC_HDR : (size_t)(cap - at);
	memcpy(ring + at + 4, (uint8_t *)h + 4, first - 4);
	memcpy(ring, (uint8_t *)h + first, HB_REC_HDR - first);
	_Atomic uint32_t *word = (_Atomic uint32_t *)(ring + at);
	atomic_store_explicit(word, (uint32_t)s->len | HB_REC_COMMITTED, memory_order_release);
	atomic_fetch_add_explicit(&s->cb->c_records, 1, memory_order_relaxed);
}

static int begin(struct slot *s, size_t payload)
{
	s->cb = hb_cb;
	if (reserve(s, pad8(HB_REC_HDR + payload)) != 0)
		return -1;
	s->at = HB_REC_HDR;
	return 0;
}

int hb_j_write(uint64_t dev, uint64_t ino, uint64_t off, const struct iovec *iov, int iovcnt, size_t n)
{
	int i = 0;
	size_t in_iov = 0; /* bytes of iov[i] already journaled */
	while (n > 0) {
		size_t chunk = n < HB_REC_MAX_DATA ? n : HB_REC_MAX_DATA;
		struct slot s;
		if (begin(&s, chunk) != 0)
			return -1;
		struct hb_rec h = {.type = HB_REC_WRITE, .dev = dev, .ino = ino, .off = off, .count = chunk};
		for (size_t left = chunk; left > 0;) {
			while (i < iovcnt && in_iov == iov[i].iov_len) {
				i++;
				in_iov = 0;
			}
			size_t take = iov[i].iov_len - in_iov < left ? iov[i].iov_len - in_iov : left;
			put(&s, (const uint8_t *)iov[i].iov_base + in_iov, take);
			in_iov += take;
			left -= take;
		}
		commit(&s, &h);
		atomic_fetch_add_explicit(&s.cb->c_data_bytes, chunk, memory_order_relaxed);
		off += chunk;
		n -= chunk;
	}
	return 0;
}

int hb_j_write_from_fd(uint64_t dev, uint64_t ino, uint64_t off, int src, uint64_t srcoff, size_t n)
{
	while (n > 0) {
		size_t chunk = n < HB_REC_MAX_DATA ? n : HB_REC_MAX_DATA;
		struct slot s;
		if (begin(&s, chunk) != 0)
			return -1;
		if (put_from_fd(&s, src, srcoff, chunk) != 0)
			return -1; /* capture failed; the reserved slot is never published, the drain stops at it */
		struct hb_rec h = {.type = HB_REC_WRITE, .dev = dev, .ino = ino, .off = off, .count = chunk};
		commit(&s, &h);
		atomic_fetch_add_explicit(&s.cb->c_data_bytes, chunk, memory_order_relaxed);
		off += chunk;
		srcoff += chunk;
		n -= chunk;
	}
	return 0;
}

int hb_j_simple(uint16_t type, uint64_t dev, uint64_t ino, uint64_t off, uint64_t count, uint32_t mode)
{
	struct slot s;
	if (begin(&s, 0) != 0)
		return -1;
	struct hb_rec h = {.type = type, .dev = dev, .ino = ino, .off = off, .count = count, .mode = mode};
	commit(&s, &h);
	return 0;
}

int hb_j_bind(uint64_t pdev, uint64_t pino, const char *name, size_t nlen, uint64_t dev, uint64_t ino,
	      uint32_t mode, uint16_t flags, const char *target, size_t tlen, const char *abs, size_t alen)
{
	struct slot s;
	if (begin(&s, nlen + tlen + alen) != 0)
		return -1;
	put(&s, name, nlen);
	put(&s, target, tlen);
	put(&s, abs, alen);
	struct hb_rec h = {.type = HB_REC_BIND, .flags = flags, .mode = mode, .dev = dev, .ino = ino, .pdev = pdev,
			   .pino = pino, .count = alen, .n1 = (uint32_t)nlen, .n2 = (uint32_t)tlen};
	commit(&s, &h);
	atomic_fetch_add_explicit(&s.cb->c_ns_records, 1, memory_order_relaxed);
	atomic_fetch_add(&s.cb->nsgen, 1);
	return 0;
}

int hb_j_unbind(uint64_t pdev, uint64_t pino, const char *name, size_t nlen, uint64_t dev, uint64_t ino)
{
	struct slot s;
	if (begin(&s, nlen) != 0)
		return -1;
	put(&s, name, nlen);
	struct hb_rec h = {.type = HB_REC_UNBIND, .dev = dev, .ino = ino, .pdev = pdev, .pino = pino, .n1 = (uint32_t)nlen};
	commit(&s, &h);
	atomic_fetch_add_explicit(&s.cb->c_ns_records, 1, memory_order_relaxed);
	atomic_fetch_add(&s.cb->nsgen, 1);
	return 0;
}
