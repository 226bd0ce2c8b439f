/* The copier's engine, for the CLI: a pool of threads that copy whole files, all drawing from one token bucket:
 * files of 1 MiB and more with O_DIRECT reads and writes, past the page cache (docs/throttle.md), smaller ones
 * with copy_file_range at explicit offsets (pread/pwrite where the kernel refuses either).
 * The server comes first: a gentle pool runs its threads at low CPU and I/O priority, and a copy through the
 * cache writes behind itself, so the disk never holds a burst of backup data for the server's fsyncs to wait on. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "real.h"
#include "unread.h"

#define HB_API __attribute__((visibility("default")))
#define CHUNK (1u << 20)
#define WINDOW (8ull << 20) /* write-behind: at most two of these dirty per copy */
#define GENTLE_NICE 10
#define IOPRIO_WHO_THREAD 1
#define IOPRIO_IDLE (3 << 13) /* class idle: the disk serves the server first (mq-deadline, bfq) */
#define IOPRIO_NORMAL ((2 << 13) | 4) /* best effort, level 4: the default */

#define MAX_RANGES 4
#define DIO_ALIGN 4096u

uint32_t hb_crc32c(uint32_t crc, const void *buf, size_t n);

struct job {
	uint64_t id;
	int src, dst;
	int nranges; /* 0: the whole file; else only these [from, to) ranges, the rest left a hole */
	uint64_t ranges[2 * MAX_RANGES];
	struct hb_unread *unread; /* the server skips writes to what we have not read yet; whole files only */
};

/* One copy in progress: where it is, its write-behind marks, and the CRC32C of the copy up to crc_end. */
struct cursor {
	int src, dst, plain;
	int direct_src, direct_dst; /* O_DIRECT on now (docs/throttle.md, "Past the page cache") */
	struct hb_unread *unread;
	uint8_t *buf;
	uint64_t started, waited;
	uint32_t crc;
	uint64_t crc_end;
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

/* This thread's CPU and I/O priority: low on a busy server, so the backup takes what the server leaves;
 * normal again once the server is idle (the idle I/O class waits out even an idle server's background I/O). */
static void set_gentle(int on)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	setpriority(PRIO_PROCESS, (id_t)tid, on ? GENTLE_NICE : 0); /* back to 0 needs CAP_SYS_NICE: else stays */
	syscall(SYS_ioprio_set, IOPRIO_WHO_THREAD, tid, on ? IOPRIO_IDLE : IOPRIO_NORMAL);
}

static __thread int gentle_now; /* what this thread runs at */

static void wait_unpaused(struct hb_pool *p)
{
	while (atomic_load(&p->paused) && !atomic_load(&p->cancel)) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, 0);
	}
}

static void take_tokens(struct hb_pool *p, size_t n)
{
	if (atomic_load(&p->gentle) != gentle_now)
		set_gentle(gentle_now = atomic_load(&p->gentle));
	wait_unpaused(p);
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
	return rate / 16 < 65536 ? 65536 : (size_t)(rate / 16) & ~(size_t)(DIO_ALIGN - 1); /* O_DIRECT-sized */
}

/* Starts writeback of what was copied since *started, and waits for the window before it, then drops
 * those pages from the cache: the backup neither piles up dirty data nor evicts the server's pages. */
static void write_behind(int dst, uint64_t *started, uint64_t *waited, uint64_t off)
{
	if (off - *started < WINDOW)
		return;
	sync_file_range(dst, (off_t)*started, (off_t)(off - *started), SYNC_FILE_RANGE_WRITE);
	if (*started > *waited) {
		off_t from = (off_t)*waited, len = (off_t)(*started - *waited);
		sync_file_range(dst, from, len, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
		posix_fadvise(dst, from, len, POSIX_FADV_DONTNEED);
		*waited = *started;
	}
	*started = off;
}

/* The file's data on disk before it counts as copied; the metadata is left to the final fsync of the tree. */
static int write_out(int dst)
{
	if (sync_file_range(dst, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0 &&
	    errno != ESPIPE && errno != EINVAL)
		return -errno;
	posix_fadvise(dst, 0, 0, POSIX_FADV_DONTNEED);
	return 0;
}

/* The copy's CRC32C is taken chunk by chunk as it is written, from the destination's pages while they are
 * still cached (before write-behind drops them): the manifest keeps it, so that prepare and verify find a
 * copy damaged later. Holes count as zeros, as a read of the finished copy sees them. */
static void crc_zeros(struct cursor *c, uint64_t to)
{
	static const uint8_t zeros[65536];
	while (c->crc_end < to) {
		size_t n = to - c->crc_end < sizeof zeros ? (size_t)(to - c->crc_end) : sizeof zeros;
		c->crc = hb_crc32c(c->crc, zeros, n);
		c->crc_end += n;
	}
}

/* Adds [off, off + n) of the copy, just written: c->buf holds it already on the pread/pwrite path. */
static int crc_chunk(struct cursor *c, uint64_t off, size_t n)
{
	crc_zeros(c, off);
	if (!c->plain)
		for (size_t got = 0; got < n;) {
			ssize_t k = REAL(pread64)(c->dst, c->buf + got, n - got, (off_t)(off + got));
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			got += (size_t)k;
		}
	c->crc = hb_crc32c(c->crc, c->buf, n);
	c->crc_end = off + n;
	return 0;
}

/* O_DIRECT on or off for fd; returns what it is now. */
static int set_direct(int fd, int on)
{
	int fl = REAL(fcntl64)(fd, F_GETFL);
	if (fl < 0 || REAL(fcntl64)(fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) != 0)
		return !on;
	return on;
}

/* The copy's writes go through the cache from `at` on; returns 0 (not direct). */
static int buffered_from(struct cursor *c, uint64_t at)
{
	c->started = c->waited = at; /* nothing before it is in the cache to write behind */
	return set_direct(c->dst, 0);
}

/* Reads up to want bytes at off into c->buf. Direct reads ask for whole blocks (the end of the file cuts them
 * short) and fall back to the cache where an offset is not block-aligned. */
static ssize_t read_chunk(struct cursor *c, uint64_t off, size_t want)
{
	if (c->direct_src && off % DIO_ALIGN)
		c->direct_src = set_direct(c->src, 0);
	size_t ask = c->direct_src ? (want + DIO_ALIGN - 1) & ~(size_t)(DIO_ALIGN - 1) : want;
	ssize_t n = REAL(pread64)(c->src, c->buf, ask, (off_t)off);
	if (n < 0 && errno == EINVAL && c->direct_src) {
		c->direct_src = set_direct(c->src, 0);
		n = REAL(pread64)(c->src, c->buf, want, (off_t)off);
	}
	return n > (ssize_t)want ? (ssize_t)want : n;
}

/* Writes c->buf[0, n) at off. A direct write takes whole blocks: the tail, an odd offset or a filesystem that
 * wants more goes through the cache, written behind from there. */
static ssize_t write_chunk(struct cursor *c, uint64_t off, ssize_t n)
{
	for (ssize_t w = 0, k; w < n; w += k) {
		uint64_t at = off + (uint64_t)w;
		if (c->direct_dst && (at % DIO_ALIGN || (uint64_t)(n - w) % DIO_ALIGN))
			c->direct_dst = buffered_from(c, at);
		k = REAL(pwrite64)(c->dst, c->buf + w, (size_t)(n - w), (off_t)at);
		if (k < 0 && errno == EINVAL && c->direct_dst) {
			c->direct_dst = buffered_from(c, at);
			k = REAL(pwrite64)(c->dst, c->buf + w, (size_t)(n - w), (off_t)at);
		}
		if (k <= 0)
			return k < 0 ? -1 : (errno = ENOSPC, -1);
	}
	return n;
}

/* Copies [off, to) of the source, in chunks drawn from the token bucket. Returns where it stopped (short
 * of `to` when the file shrank meanwhile), or -errno. */
static int64_t copy_range(struct hb_pool *p, struct cursor *c, uint64_t off, uint64_t to)
{
	c->started = c->waited = off;
	if (!c->buf && posix_memalign((void **)&c->buf, DIO_ALIGN, CHUNK) != 0)
		return -ENOMEM;
	while (off < to) {
		if (atomic_load(&p->cancel))
			return -ECANCELED;
		size_t want = chunk_for(p);
		if (want > to - off)
			want = (size_t)(to - off);
		take_tokens(p, want);
		if (c->unread)
			hb_unread_claim(c->unread, off + want);
		ssize_t n = -1;
		if (!c->plain) {
			off_t in = (off_t)off, out = (off_t)off;
			n = REAL(copy_file_range)(c->src, &in, c->dst, &out, want, 0);
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM))
				c->plain = 1;
		}
		if (c->plain) {
			n = read_chunk(c, off, want);
			if (n > 0)
				n = write_chunk(c, off, n);
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* the file shrank while we copied: the journal has the truncate */
		int e = crc_chunk(c, off, (size_t)n);
		if (e)
			return e;
		off += (uint64_t)n;
		atomic_fetch_add(&p->bytes, (uint64_t)n);
		if (!c->direct_dst)
			write_behind(c->dst, &c->started, &c->waited, off);
	}
	return (int64_t)off;
}

/* The ranges in file order, so that the CRC runs from start to end. */
static void sort_ranges(uint64_t *r, int n)
{
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && r[2 * k] < r[2 * k - 2]; k--) {
			uint64_t from = r[2 * k], to = r[2 * k + 1];
			r[2 * k] = r[2 * k - 2], r[2 * k + 1] = r[2 * k - 1];
			r[2 * k - 2] = from, r[2 * k - 1] = to;
		}
}

/* The whole file, or only the job's ranges of it (the copy keeps the source's size; the rest is a hole
 * that the journal or nothing ever reads). Returns the size copied up to, or -errno; *crc: the copy's. */
static int64_t copy_fd(struct hb_pool *p, struct job *j, uint32_t *crc)
{
	struct stat st;
	if (fstat(j->src, &st) != 0)
		return -errno;
	/* Up to the size at the start: whatever is written later is in the journal. */
	uint64_t size = (uint64_t)st.st_size;
	struct cursor c = {.src = j->src, .dst = j->dst, .unread = j->nranges ? 0 : j->unread};
	if (c.unread) {
		/* Past that size nothing more is skipped. A write skipped there before this is in the size seen
		 * after it. */
		hb_unread_exclude_from(c.unread, size);
		if (fstat(j->src, &st) != 0)
			return -errno;
		if ((uint64_t)st.st_size > size)
			size = (uint64_t)st.st_size;
	}
	int64_t end = (int64_t)size;
	wait_unpaused(p); /* a pause is the pacer looking at the server: how the copy writes follows its verdict */
	if (size >= p->direct_min) {
		c.direct_src = set_direct(c.src, 1);
		c.direct_dst = atomic_load(&p->direct_writes) ? set_direct(c.dst, 1) : 0;
		c.plain = c.direct_src || c.direct_dst; /* copy_file_range would go through the cache */
	}
	if (j->nranges == 0)
		end = copy_range(p, &c, 0, size); /* the copy is as long as what was read */
	else if (ftruncate(j->dst, (off_t)size) != 0)
		end = -errno;
	sort_ranges(j->ranges, j->nranges);
	for (int i = 0; end >= 0 && i < j->nranges; i++) {
		uint64_t from = j->ranges[2 * i], to = j->ranges[2 * i + 1] < size ? j->ranges[2 * i + 1] : size;
		if (from < c.crc_end)
			from = c.crc_end; /* overlapping ranges: each byte once */
		int64_t r = from < to ? copy_range(p, &c, from, to) : 0;
		if (r < 0)
			end = r;
	}
	if (end >= 0)
		crc_zeros(&c, (uint64_t)end);
	if (c.unread)
		hb_unread_claim(c.unread, UINT64_MAX); /* copied: every later write is journaled */
	free(c.buf);
	if (end >= 0) {
		int e = write_out(j->dst);
		if (e)
			end = e;
	}
	*crc = c.crc;
	return end;
}

/* CRC32C of the first n bytes of fd (holes read as zeros), for checking a copy against the manifest. */
HB_API int64_t hb_file_crc32c(int fd, uint64_t n)
{
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	uint32_t crc = 0;
	int64_t r = 0;
	for (uint64_t off = 0; off < n;) {
		size_t want = n - off < CHUNK ? (size_t)(n - off) : CHUNK;
		ssize_t k = REAL(pread64)(fd, buf, want, (off_t)off);
		if (k <= 0) {
			r = k < 0 ? -errno : -EIO;
			break;
		}
		crc = hb_crc32c(crc, buf, (size_t)k);
		off += (uint64_t)k;
	}
	free(buf);
	return r < 0 ? r : crc;
}

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
		int64_t r = copy_fd(p, &j, &crc);
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
HB_API struct hb_pool *hb_pool_new(int threads, uint64_t rate, int gentle, uint64_t direct_min)
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
	p->burst = rate ? (double)rate / 10 + CHUNK : 0;
	p->last_ns = hb_now_ns();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&p->threads[p->nthreads], 0, worker, p) == 0)
			p->nthreads++;
	return p;
}

/* Takes ownership of both descriptors: the pool closes them. ranges: nranges [from, to) pairs, or none. */
/* unread: the file's slot in the capture's unread table (hb_ctl_unread_slot), or NULL. */
HB_API int hb_pool_submit_ranges(struct hb_pool *p, uint64_t id, int src, int dst, const uint64_t *ranges, int nranges,
				 struct hb_unread *unread)
{
	if (nranges < 0 || nranges > MAX_RANGES || (nranges && unread))
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

/* Low (1) or normal (0) priority for the copy threads, from their next chunk on. */
HB_API void hb_pool_gentle(struct hb_pool *p, int on)
{
	atomic_store(&p->gentle, on);
}

/* Whether the copies that start from now on write past the page cache (1, the default) or through it, written
 * behind (0). Their reads go past it either way. */
HB_API void hb_pool_direct_writes(struct hb_pool *p, int on)
{
	atomic_store(&p->direct_writes, on);
}

/* Holds (1) or releases (0) every copy at its next chunk. */
HB_API void hb_pool_pause(struct hb_pool *p, int on)
{
	atomic_store(&p->paused, on);
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
