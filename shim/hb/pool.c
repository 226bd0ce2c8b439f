/* The copy pool hb drives through bun:ffi (src/shim/pool-ffi.ts): threads that take whole-file copies off a
 * queue and hand back (id, bytes or -errno, CRC32C) for each. The server comes first: a gentle pool runs its
 * threads at low CPU and I/O priority (hb/throttle.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/real.h"
#include "hb/pool.h"

static void *worker(void *arg)
{
	struct hb_pool *p = arg;
	pthread_setname_np(pthread_self(), "hb-copy"); /* so top -H and /proc tell them from the drain */
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->jlen == 0)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->jlen == 0)
			break;
		struct job j = p->jobs[p->jhead];
		p->jhead = (p->jhead + 1) % p->jcap;
		p->jlen--;
		p->busy++;
		pthread_mutex_unlock(&p->lock);
		uint32_t crc = 0;
		int64_t r = hb_copy_file(p, &j, &crc);
		REAL(close)(j.src);
		if (REAL(close)(j.dst) != 0 && r >= 0)
			r = -errno;
		pthread_mutex_lock(&p->lock);
		p->busy--;
		if (p->dlen + 3 > p->dcap) {
			size_t cap = p->dcap ? p->dcap * 2 : 256;
			uint64_t *d = realloc(p->done, cap * sizeof *d);
			if (d) {
				p->done = d;
				p->dcap = cap;
			}
		}
		if (p->dlen + 3 <= p->dcap) {
			p->done[p->dlen++] = j.id;
			p->done[p->dlen++] = (uint64_t)r;
			p->done[p->dlen++] = (uint64_t)crc;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* gentle: run the copy threads at low CPU and I/O priority. direct_min: files of that size and more are read and
 * written with O_DIRECT (smaller ones are too small to matter and seldom block-sized). */
struct hb_pool *hb_pool_new(int threads, uint64_t rate, int gentle, uint64_t direct_min)
{
	if (threads < 1 || threads > 64)
		return 0;
	struct hb_pool *p = calloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, 0);
	pthread_mutex_init(&p->bucket, 0);
	pthread_cond_init(&p->wake, 0);
	p->rate = rate;
	p->gentle = gentle;
	p->direct_min = direct_min;
	p->direct_writes = 1;
	p->burst = rate ? (double)rate / 10 + HB_CHUNK : 0;
	p->last_ns = hb_now_ns();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&p->threads[p->nthreads], 0, worker, p) == 0)
			p->nthreads++;
	return p;
}

/* Takes ownership of both descriptors: the pool closes them. ranges: nranges [from, to) pairs, or none. */
/* unread: the file's slot in the capture's unread table (hb_ctl_unread_slot), or NULL. */
int hb_pool_submit_ranges(struct hb_pool *p, uint64_t id, int src, int dst, const uint64_t *ranges, int nranges,
				 struct hb_unread *unread)
{
	if (nranges < 0 || nranges > HB_MAX_RANGES || (nranges && unread))
		return -EINVAL;
	struct job j = {.id = id, .src = src, .dst = dst, .nranges = nranges, .unread = unread};
	if (nranges)
		memcpy(j.ranges, ranges, (size_t)nranges * 2 * sizeof *ranges);
	pthread_mutex_lock(&p->lock);
	if (p->jlen == p->jcap) {
		size_t cap = p->jcap ? p->jcap * 2 : 64;
		struct job *q = malloc(cap * sizeof *q);
		if (!q) {
			pthread_mutex_unlock(&p->lock);
			return -ENOMEM;
		}
		for (size_t i = 0; i < p->jlen; i++)
			q[i] = p->jobs[(p->jhead + i) % p->jcap];
		free(p->jobs);
		p->jobs = q;
		p->jhead = 0;
		p->jcap = cap;
	}
	p->jobs[(p->jhead + p->jlen) % p->jcap] = j;
	p->jlen++;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* Completed jobs as (id, result, crc) triples into out (room for max triples); returns triples. */
int hb_pool_poll(struct hb_pool *p, uint64_t *out, int max)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->dlen / 3 < (size_t)max ? p->dlen / 3 : (size_t)max;
	memcpy(out, p->done, n * 3 * sizeof *out);
	memmove(p->done, p->done + n * 3, (p->dlen - n * 3) * sizeof *out);
	p->dlen -= n * 3;
	pthread_mutex_unlock(&p->lock);
	return (int)n;
}

uint64_t hb_pool_bytes(struct hb_pool *p) { return atomic_load(&p->bytes); }

void hb_pool_set_rate(struct hb_pool *p, uint64_t rate)
{
	pthread_mutex_lock(&p->bucket);
	p->rate = rate;
	p->burst = rate ? (double)rate / 10 + HB_CHUNK : 0;
	p->tokens = 0;
	p->last_ns = hb_now_ns();
	pthread_mutex_unlock(&p->bucket);
}

/* Low (1) or normal (0) priority for the copy threads, from their next chunk on. */
void hb_pool_gentle(struct hb_pool *p, int on)
{
	atomic_store(&p->gentle, on);
}

/* Whether the copies that start from now on write past the page cache (1, the default) or through it, written
 * behind (0). Their reads go past it either way. */
void hb_pool_direct_writes(struct hb_pool *p, int on)
{
	atomic_store(&p->direct_writes, on);
}

/* Holds (1) or releases (0) every copy at its next chunk. */
void hb_pool_pause(struct hb_pool *p, int on)
{
	atomic_store(&p->paused, on);
}

/* Abandons the copies: running ones stop at their next chunk, queued ones are not started. */
void hb_pool_cancel(struct hb_pool *p)
{
	atomic_store(&p->cancel, 1);
}

/* Finishes the queued jobs (or, after hb_pool_cancel, drops them), then stops the threads. */
void hb_pool_free(struct hb_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], 0);
	free(p->jobs);
	free(p->done);
	free(p);
}

