/* The copier's engine, for the CLI: a pool of threads that copy whole files with copy_file_range at
 * explicit offsets (pread/pwrite where the kernel refuses), all drawing from one token bucket. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "real.h"

#define HB_API __attribute__((visibility("default")))
#define CHUNK (1u << 20)

uint32_t hb_crc32c(uint32_t crc, const void *buf, size_t n);

struct job {
	uint64_t id;
	int src, dst;
};

struct hb_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t threads[64];
	int nthreads, stop, busy;
	_Atomic int cancel; /* stop copying now: the backup is being abandoned */
	struct job *jobs;
	size_t jhead, jlen, jcap; /* queue */
	uint64_t *done;            /* (id, result, crc) triples; result = bytes, or -errno */
	size_t dlen, dcap;
	_Atomic uint64_t bytes;
	/* token bucket: rate 0 = unlimited; tokens may go negative (debt), and takers sleep it off */
	pthread_mutex_t bucket;
	uint64_t rate;
	double tokens, burst;
	uint64_t last_ns;
};

static void take_tokens(struct hb_pool *p, size_t n)
{
	pthread_mutex_lock(&p->bucket);
	if (!p->rate) {
		pthread_mutex_unlock(&p->bucket);
		return;
	}
	uint64_t now = hb_now_ns();
	p->tokens += (double)(now - p->last_ns) * (double)p->rate / 1e9;
	if (p->tokens > p->burst)
		p->tokens = p->burst;
	p->last_ns = now;
	p->tokens -= (double)n;
	double debt = -p->tokens;
	uint64_t rate = p->rate;
	pthread_mutex_unlock(&p->bucket);
	/* Sleep off the debt in short naps, so that a cancel is seen within 50 ms. */
	for (double s = debt / (double)rate; s > 0 && !atomic_load(&p->cancel); s -= 0.05) {
		double nap = s < 0.05 ? s : 0.05;
		struct timespec ts = {0, (long)(nap * 1e9)};
		nanosleep(&ts, 0);
	}
}

static size_t chunk_for(struct hb_pool *p)
{
	/* Small chunks at low rates, so the throttle is smooth rather than bursty. */
	uint64_t rate = p->rate;
	if (!rate || rate / 16 >= CHUNK)
		return CHUNK;
	return rate / 16 < 65536 ? 65536 : (size_t)(rate / 16);
}

static int64_t copy_fd(struct hb_pool *p, int src, int dst)
{
	struct stat st;
	if (fstat(src, &st) != 0)
		return -errno;
	/* Up to the size at the start: whatever is written later is in the journal. */
	uint64_t size = (uint64_t)st.st_size, off = 0;
	int plain = 0;
	uint8_t *buf = 0;
	while (off < size) {
		if (atomic_load(&p->cancel))
			return -ECANCELED;
		size_t want = chunk_for(p);
		if (want > size - off)
			want = (size_t)(size - off);
		take_tokens(p, want);
		ssize_t n = -1;
		if (!plain) {
			off_t in = (off_t)off, out = (off_t)off;
			n = REAL(copy_file_range)(src, &in, dst, &out, want, 0);
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM))
				plain = 1;
		}
		if (plain) {
			if (!buf && !(buf = malloc(CHUNK)))
				return -ENOMEM;
			n = REAL(pread64)(src, buf, want, (off_t)off);
			for (ssize_t w = 0, k; n > 0 && w < n; w += k)
				if ((k = REAL(pwrite64)(dst, buf + w, (size_t)(n - w), (off_t)off + w)) <= 0) {
					n = k < 0 ? -1 : (errno = ENOSPC, -1);
					break;
				}
		}
		if (n < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (n == 0)
			break; /* the file shrank while we copied: the journal has the truncate */
		off += (uint64_t)n;
		atomic_fetch_add(&p->bytes, (uint64_t)n);
	}
	free(buf);
	return (int64_t)off;
}

/* CRC32C of the first n bytes of fd, read back (the pages are still in the page cache just after a copy);
 * the manifest keeps it, so that prepare and verify find a copy damaged later. -errno on a read error. */
static int64_t crc_fd(int fd, uint64_t n)
{
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	uint32_t crc = 0;
	for (uint64_t off = 0; off < n;) {
		size_t want = n - off < CHUNK ? (size_t)(n - off) : CHUNK;
		ssize_t k = REAL(pread64)(fd, buf, want, (off_t)off);
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;
			free(buf);
			return -e;
		}
		crc = hb_crc32c(crc, buf, (size_t)k);
		off += (uint64_t)k;
	}
	free(buf);
	return crc;
}

HB_API int64_t hb_file_crc32c(int fd, uint64_t n) { return crc_fd(fd, n); }

static void *worker(void *arg)
{
	struct hb_pool *p = arg;
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
		int64_t r = copy_fd(p, j.src, j.dst), crc = 0;
		if (r >= 0 && (crc = crc_fd(j.dst, (uint64_t)r)) < 0)
			r = crc;
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

HB_API struct hb_pool *hb_pool_new(int threads, uint64_t rate)
{
	if (threads < 1 || threads > 64)
		return 0;
	struct hb_pool *p = calloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, 0);
	pthread_mutex_init(&p->bucket, 0);
	pthread_cond_init(&p->wake, 0);
	p->rate = rate;
	p->burst = rate ? (double)rate / 10 + CHUNK : 0;
	p->last_ns = hb_now_ns();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&p->threads[p->nthreads], 0, worker, p) == 0)
			p->nthreads++;
	return p;
}

/* Takes ownership of both descriptors: the pool closes them. */
HB_API int hb_pool_submit(struct hb_pool *p, uint64_t id, int src, int dst)
{
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
	p->jobs[(p->jhead + p->jlen) % p->jcap] = (struct job){id, src, dst};
	p->jlen++;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* Completed jobs as (id, result, crc) triples into out (room for max triples); returns triples. */
HB_API int hb_pool_poll(struct hb_pool *p, uint64_t *out, int max)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->dlen / 3 < (size_t)max ? p->dlen / 3 : (size_t)max;
	memcpy(out, p->done, n * 3 * sizeof *out);
	memmove(p->done, p->done + n * 3, (p->dlen - n * 3) * sizeof *out);
	p->dlen -= n * 3;
	pthread_mutex_unlock(&p->lock);
	return (int)n;
}

/* Jobs queued or running. */
HB_API int hb_pool_pending(struct hb_pool *p)
{
	pthread_mutex_lock(&p->lock);
	int n = (int)p->jlen + p->busy;
	pthread_mutex_unlock(&p->lock);
	return n;
}

HB_API uint64_t hb_pool_bytes(struct hb_pool *p) { return atomic_load(&p->bytes); }

HB_API void hb_pool_set_rate(struct hb_pool *p, uint64_t rate)
{
	pthread_mutex_lock(&p->bucket);
	p->rate = rate;
	p->burst = rate ? (double)rate / 10 + CHUNK : 0;
	p->tokens = 0;
	p->last_ns = hb_now_ns();
	pthread_mutex_unlock(&p->bucket);
}

/* Abandons the copies: running ones stop at their next chunk, queued ones are not started. */
HB_API void hb_pool_cancel(struct hb_pool *p)
{
	atomic_store(&p->cancel, 1);
}

/* Finishes the queued jobs (or, after hb_pool_cancel, drops them), then stops the threads. */
HB_API void hb_pool_free(struct hb_pool *p)
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

/* Small helpers so the CLI sees exactly what the shim sees (same stat encoding, *at semantics). */
/* A descriptor, or -errno (the caller tells "gone meanwhile" from real errors). */
HB_API int hb_openat(int dirfd, const char *name, int flags)
{
	int fd = REAL(openat)(dirfd, name, flags | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}
HB_API int hb_close(int fd) { return REAL(close)(fd); }

/* out: dev, ino, mode, size, nlink. Returns 0 or -errno. */
static int fill(int r, const struct stat *st, uint64_t *out)
{
	if (r != 0)
		return -errno;
	out[0] = st->st_dev;
	out[1] = st->st_ino;
	out[2] = st->st_mode;
	out[3] = (uint64_t)st->st_size;
	out[4] = st->st_nlink;
	return 0;
}
HB_API int hb_fstat(int fd, uint64_t *out)
{
	struct stat st;
	return fill(fstat(fd, &st), &st, out);
}
HB_API int hb_lstatat(int dirfd, const char *name, uint64_t *out)
{
	struct stat st;
	return fill(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), &st, out);
}
HB_API int hb_readlinkat(int dirfd, const char *name, char *buf, int cap)
{
	ssize_t n = readlinkat(dirfd, name, buf, (size_t)cap);
	return n < 0 ? -errno : (int)n;
}
HB_API int hb_syncfs(int fd) { return syncfs(fd) == 0 ? 0 : -errno; }
