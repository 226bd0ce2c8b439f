/* The CLI's side of the control block: attach to a server's shim, begin and end a capture (with the
 * barriers), and drain the ring into the journal file on a thread of its own, beating the heartbeat. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "real.h"
#include "unread.h"

#define HB_API __attribute__((visibility("default")))
#define HB_STARTING 4u /* a CLI is setting up a capture */
#define FLUSH_AT (1u << 20) /* the journal is written 1 MiB at a time: few requests, and little left for the end */
#define DIRECT_ALIGN 4096u /* the journal's O_DIRECT writes: whole blocks of this, from a buffer aligned to it */
#define DROP_BEHIND (64ull << 20)
#define WRITEBACK_WINDOW (8ull << 20) /* writeback is started per window: one device kick per 8 MiB, not per flush */
#define NAP_MIN_US 500   /* the drain's sleep between looks at the ring (docs/capture.md, "The drain's pace") */
#define NAP_MAX_US 10000 /* ...and at most: each wake-up is a context switch the server's threads pay for */
#define NAP_FILL_DIV 8   /* the pace aims to find the ring at most an eighth full */
#define FAST_WRITES_BPUS 1000 /* 1 GB/s, in bytes per microsecond: the longest nap leaves half the ring free at it */

uint32_t hb_crc32c(uint32_t crc, const void *buf, size_t n);

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
	/* namespace records for the copier */
	pthread_mutex_t ev_lock;
	uint8_t *ev;
	size_t ev_len, ev_cap;
};

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&ts, 0);
}

static int find_block_fd(int pid)
{
	char dir[64], link[384], target[256];
	snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
	DIR *d = opendir(dir);
	if (!d)
		return -(errno == ENOENT ? HB_E_NOTFOUND : HB_E_ACCESS);
	struct dirent *e;
	int found = -HB_E_NOTFOUND;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
		ssize_t n = readlink(link, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strncmp(target, "/memfd:hb-ctl", 13) == 0) {
			found = REAL(open)(link, O_RDWR | O_CLOEXEC);
			if (found < 0)
				found = -HB_E_ACCESS;
			break;
		}
	}
	closedir(d);
	return found;
}

/* Returns a context, or NULL with *err set to an enum hb_err. */
HB_API struct hb_ctl *hb_ctl_attach(int pid, int *err)
{
	int fd = find_block_fd(pid);
	if (fd < 0) {
		*err = -fd;
		return 0;
	}
	struct stat st, proc;
	char procdir[64];
	snprintf(procdir, sizeof procdir, "/proc/%d", pid);
	if (fstat(fd, &st) != 0 || stat(procdir, &proc) != 0) {
		REAL(close)(fd);
		*err = HB_E_ACCESS;
		return 0;
	}
	/* The block must belong to the server's user (or root) and be private to it: anything else was not made
	 * by the shim, or was tampered with, and hb would hand it a journal's worth of the server's writes. */
	if ((st.st_mode & 0777) != 0600 || (st.st_uid != proc.st_uid && st.st_uid != 0)) {
		REAL(close)(fd);
		*err = HB_E_OWNER;
		return 0;
	}
	if ((size_t)st.st_size < HB_CB_BYTES) {
		REAL(close)(fd);
		*err = HB_E_BADBLOCK;
		return 0;
	}
	size_t bytes = (size_t)st.st_size;
	struct hb_cb *cb = REAL(mmap64)(0, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cb == MAP_FAILED) {
		REAL(close)(fd);
		*err = HB_E_ACCESS;
		return 0;
	}
	if (cb->magic != HB_CB_MAGIC || cb->protocol != HB_PROTOCOL || cb->pid != pid ||
	    bytes < HB_CB_BYTES + cb->ring_max) {
		*err = cb->magic == HB_CB_MAGIC && cb->protocol != HB_PROTOCOL ? HB_E_PROTOCOL : HB_E_BADBLOCK;
		munmap(cb, bytes);
		REAL(close)(fd);
		return 0;
	}
	struct hb_ctl *c = calloc(1, sizeof *c);
	c->cb = cb;
	c->fd = fd;
	c->direct_fd = -1;
	c->map_bytes = bytes;
	c->journal_fd = -1;
	pthread_mutex_init(&c->ev_lock, 0);
	pthread_mutex_init(&c->nap_lock, 0);
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&c->nap_wake, &monotonic);
	pthread_condattr_destroy(&monotonic);
	*err = 0;
	return c;
}

/* Flip the phase and wait until every call counted in the old phase has left: afterwards no call that
 * read the state before the flip is still running. Done twice, because a call may count itself in the
 * old phase just after the first flip (it then saw the new state, but the next flip must wait for it). */
static int synchronize(struct hb_cb *cb, uint64_t timeout_ns)
{
	uint64_t deadline = hb_now_ns() + timeout_ns;
	for (int round = 0; round < 2; round++) {
		uint32_t old = atomic_fetch_add(&cb->phase, 1) & 1;
		for (int s = 0; s < HB_STRIPES; s++)
			while (atomic_load(&cb->inflight[old][s].n) != 0) {
				if (hb_now_ns() > deadline)
					return -1;
				sleep_us(50);
			}
	}
	return 0;
}

static void release_ring(struct hb_ctl *c)
{
	/* Give the ring's pages back to the system and leave it zeroed. */
	if (fallocate(c->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, HB_CB_BYTES, (off_t)c->cb->ring_max) != 0)
		memset(hb_ring(c->cb), 0, c->cb->ring_cap);
}

/* The ring's pages back to the system after a capture, unless another capture has begun meanwhile (its
 * begin released them already, and they are its now): the block is claimed as a begin claims it. A begin
 * racing this sees it busy for the moment it takes. */
static void release_idle_ring(struct hb_ctl *c)
{
	uint32_t s = HB_IDLE;
	if (!atomic_compare_exchange_strong(&c->cb->state, &s, HB_STARTING))
		return;
	atomic_store(&c->cb->owner_pid, getpid());
	release_ring(c);
	atomic_store(&c->cb->state, HB_IDLE);
}

/* Writes n bytes at off; returns 0 or an errno, with *done the bytes written either way. */
static int write_at(int fd, const uint8_t *p, size_t n, uint64_t off, size_t *done)
{
	for (*done = 0; *done < n;) {
		ssize_t w = pwrite(fd, p + *done, n - *done, (off_t)(off + *done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		*done += (size_t)w;
	}
	return 0;
}

static int journal_failed(struct hb_ctl *c, int eno)
{
	c->io_errno = eno;
	hb_fail(c->cb, HB_E_JOURNAL_IO, eno);
	return -1;
}

/* The buffer through the page cache, all of it. */
static int flush_buffered(struct hb_ctl *c)
{
	size_t done;
	int e = write_at(c->journal_fd, c->buf, c->buf_len, c->journal_bytes, &done);
	if (e)
		return journal_failed(c, e);
	c->journal_bytes += done;
	/* Write-behind without waiting (the drain must never stall): start writeback a window at a time, and drop
	 * pages written out long ago, so the final fsync has little left and the cache stays the server's. Each
	 * call is one large request: per-flush calls cost a device kick (a VM exit under virtio) each, and the
	 * page-cache walk of the whole journal every time. */
	if (c->journal_bytes - c->writeback_from >= WRITEBACK_WINDOW) {
		sync_file_range(c->journal_fd, (off_t)c->writeback_from, (off_t)(c->journal_bytes - c->writeback_from), SYNC_FILE_RANGE_WRITE);
		c->writeback_from = c->journal_bytes;
	}
	if (c->writeback_from > DROP_BEHIND && c->writeback_from - DROP_BEHIND >= c->dropped + WRITEBACK_WINDOW) {
		uint64_t to = c->writeback_from - DROP_BEHIND;
		posix_fadvise(c->journal_fd, (off_t)c->dropped, (off_t)(to - c->dropped), POSIX_FADV_DONTNEED);
		c->dropped = to;
	}
	c->buf_len = 0;
	return 0;
}

/*
 * The buffer's whole blocks past the page cache: the journal is read only by prepare, so it takes none of the
 * server's cache, and its writes go out from this thread rather than from the kernel's flusher at some later
 * moment (docs/capture.md, "The journal's writes"). The tail waits for more records. At the end (`final`),
 * what is left goes through the cache: the end runs under the server's backup lock, and a write to the cache
 * does not wait for the disk. A filesystem that opens O_DIRECT but refuses the write gets the cache from then
 * on (so does a direct write at an offset the end left unaligned).
 */
static int flush(struct hb_ctl *c, int final)
{
	if (c->direct_fd >= 0 && !final) {
		size_t done;
		int e = write_at(c->direct_fd, c->buf, c->buf_len & ~(size_t)(DIRECT_ALIGN - 1), c->journal_bytes, &done);
		c->journal_bytes += done;
		c->writeback_from = c->dropped = c->journal_bytes; /* nothing of it is in the cache to write or drop */
		memmove(c->buf, c->buf + done, c->buf_len - done);
		c->buf_len -= done;
		if (e == EINVAL) {
			REAL(close)(c->direct_fd);
			c->direct_fd = -1;
		} else if (e) {
			return journal_failed(c, e);
		} else {
			return 0;
		}
	}
	return flush_buffered(c);
}

/* A second descriptor on the journal that bypasses the page cache, or -1 (then the journal goes through it).
 * HB_TEST_JOURNAL_BUFFERED=1 asks for the cache, so the tests run that path too. */
static int open_direct(int journal_fd)
{
	const char *buffered = getenv("HB_TEST_JOURNAL_BUFFERED");
	if (buffered && *buffered == '1')
		return -1;
	char link[HB_FD_LINK];
	hb_fd_link(link, journal_fd);
	return REAL(open)(link, O_WRONLY | O_DIRECT | O_CLOEXEC);
}

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
	if (c->buf_len >= FLUSH_AT || c->buf_len + len > c->buf_cap) {
		if (flush(c, 0) != 0)
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
	atomic_store_explicit(&cb->tail, t + len, memory_order_release);
	if (h->type == HB_REC_BIND || h->type == HB_REC_UNBIND)
		keep_event(c, rec, len);
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

static void *drain(void *arg)
{
	struct hb_ctl *c = arg;
	struct hb_cb *cb = c->cb;
	pthread_setname_np(pthread_self(), "hb-drain");
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
			if (c->buf_len && flush(c, 1) != 0)
				break;
			uint64_t head = atomic_load(&cb->head), tail = atomic_load(&cb->tail);
			if (tail == head || atomic_load(&cb->state) == HB_FAILED || stopping == 2)
				break;
			sleep_us(50); /* calls that saw the capture active are finishing their records */
			continue;
		}
		/* Between wake-ups, records gather in the ring and whole blocks in the buffer: consume_one writes
		 * them out a FLUSH_AT at a time, not a few KiB per wake-up. */
		slept = next_nap(cb, slept, fill);
		nap(c, slept);
	}
	return 0;
}

static int fail_code(struct hb_ctl *c)
{
	uint32_t e = atomic_load(&c->cb->error);
	return e ? (int)e : c->io_errno ? HB_E_JOURNAL_IO : 0;
}

/* roots: absolute canonical paths separated by '\n'. */
HB_API int hb_ctl_begin(struct hb_ctl *c, const char *roots, uint64_t ring_bytes, uint32_t lease_ms, uint32_t max_wait_ms,
			int journal_fd)
{
	struct hb_cb *cb = c->cb;
	if (c->running || journal_fd < 0 || !roots || lease_ms == 0)
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
	if (synchronize(cb, 10ull * 1000000000) != 0) {
		atomic_store(&cb->state, HB_IDLE);
		return HB_E_BARRIER;
	}
	uint32_t n = 0;
	for (const char *p = roots; *p && n < HB_MAX_ROOTS;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len >= HB_ROOT_MAX || p[0] != '/') {
			atomic_store(&cb->state, HB_IDLE);
			return HB_E_ARGS;
		}
		while (len > 1 && p[len - 1] == '/')
			len--;
		memcpy(cb->roots[n], p, len);
		cb->roots[n][len] = 0;
		cb->rootlen[n++] = (uint32_t)len;
		p = e ? e + 1 : p + len;
	}
	cb->nroots = n;
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
	fallocate(c->fd, 0, HB_CB_BYTES, (off_t)cb->ring_cap);
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
	c->journal_fd = journal_fd;
	c->io_errno = 0;
	c->journal_bytes = c->records = 0;
	c->writeback_from = c->dropped = 0;
	c->buf_len = c->ev_len = 0;
	if (!c->buf) {
		c->buf_cap = FLUSH_AT + (HB_REC_MAX_DATA + DIRECT_ALIGN);
		if (posix_memalign((void **)&c->buf, DIRECT_ALIGN, c->buf_cap) != 0) {
			c->buf = 0;
			atomic_store(&cb->state, HB_IDLE);
			return HB_E_JOURNAL_IO;
		}
	}
	c->direct_fd = open_direct(journal_fd);
	atomic_store(&c->stop, 0);
	atomic_store(&cb->state, HB_ACTIVE);
	if (pthread_create(&c->thread, 0, drain, c) != 0) {
		hb_fail(cb, HB_E_JOURNAL_IO, EAGAIN);
		return HB_E_JOURNAL_IO;
	}
	c->running = 1;
	/* I1: no call that began before the capture is still running once this returns. */
	if (synchronize(cb, 30ull * 1000000000) != 0) {
		hb_fail(cb, HB_E_BARRIER, 0);
		return HB_E_BARRIER;
	}
	return 0;
}

static void append_end(struct hb_ctl *c)
{
	struct hb_rec end = {.len = HB_REC_HDR, .pos = atomic_load(&c->cb->tail), .type = HB_REC_END, .off = c->records};
	end.crc = hb_crc32c(0, (uint8_t *)&end + 8, HB_REC_HDR - 8);
	memcpy(c->buf + c->buf_len, &end, HB_REC_HDR);
	c->buf_len += HB_REC_HDR;
	flush(c, 1);
}

/* Ends the capture: waits for calls in flight (I3), drains what they journaled, appends END.
 * abort != 0 ends it as failed, without END. Returns 0 or the capture's first error. */
HB_API int hb_ctl_end(struct hb_ctl *c, uint32_t timeout_ms, int abort)
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
	int late = dead || synchronize(cb, (uint64_t)timeout_ms * 1000000) != 0;
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
		append_end(c); /* written, not synced: the caller syncs the journal after releasing its locks */
		err = c->io_errno ? HB_E_JOURNAL_IO : 0;
	}
	if (c->direct_fd >= 0)
		REAL(close)(c->direct_fd);
	c->direct_fd = -1;
	/* Every call that saw the capture active has left and the ring is drained: the block is free again (a
	 * begin that came meanwhile was told busy, and would have punched the ring under the drain). */
	uint32_t ending = HB_ENDING;
	atomic_compare_exchange_strong(&cb->state, &ending, HB_IDLE);
	if (atomic_load(&cb->state) == HB_STARTING)
		atomic_store(&cb->state, HB_IDLE);
	c->ring_used = 1; /* its pages go back at detach: punching 64 MiB took ~9 ms, under the backup lock here */
	return err;
}

HB_API uint64_t hb_ctl_head(struct hb_ctl *c) { return atomic_load(&c->cb->head); }

/* Registers files the copier will read whole (dev, ino pairs), then waits until every call in
 * flight has left (barrier): a journal position taken after this return is safe to copy from (unread.c).
 * Returns how many were registered (a full table leaves the rest journaled as usual), or -1 if the barrier
 * timed out: then none of them skips anything. */
HB_API int hb_ctl_unread_add(struct hb_ctl *c, const uint64_t *files, int n)
{
	struct hb_cb *cb = c->cb;
	if (atomic_load(&cb->state) != HB_ACTIVE)
		return 0;
	int added = 0;
	for (int i = 0; i < n; i++)
		if (hb_unread_add(cb, files[2 * i], files[2 * i + 1]) == 0)
			added++;
	if (added && synchronize(cb, 5ull * 1000000000) != 0) {
		for (int i = 0; i < n; i++) {
			struct hb_unread *u = hb_unread_find(cb, files[2 * i], files[2 * i + 1]);
			if (u)
				hb_unread_exclude_from(u, 0);
		}
		return -1;
	}
	return added;
}

/* The slot of a registered file, for hb_pool_submit_ranges; NULL if it is not registered. */
HB_API struct hb_unread *hb_ctl_unread_slot(struct hb_ctl *c, uint64_t dev, uint64_t ino)
{
	return hb_unread_find(c->cb, dev, ino);
}

/* Ends a slot's window before a copy that reads only part of the file: every write from now on is journaled. */
HB_API void hb_ctl_unread_close(struct hb_unread *u)
{
	hb_unread_claim(u, UINT64_MAX);
}

/* out[]: state, error, errno, epoch, head, tail, records, data bytes, ns records, ring waits,
 * journal bytes written, mmap count, mmap overflow, pid, uid, protocol, ring cap, heartbeat age ms, owner,
 * writes left out (the copy reads them), their bytes */
HB_API int hb_ctl_stat(struct hb_ctl *c, uint64_t *out, int n)
{
	struct hb_cb *cb = c->cb;
	uint64_t v[] = {atomic_load(&cb->state), atomic_load(&cb->error), (uint64_t)atomic_load(&cb->error_errno),
			atomic_load(&cb->epoch), atomic_load(&cb->head), atomic_load(&cb->tail), atomic_load(&cb->c_records),
			atomic_load(&cb->c_data_bytes), atomic_load(&cb->c_ns_records), atomic_load(&cb->c_ring_waits),
			c->journal_bytes + c->buf_len, atomic_load(&cb->mmap_count), atomic_load(&cb->mmap_overflow),
			(uint64_t)cb->pid, cb->uid, cb->protocol, cb->ring_cap,
			(hb_now_ns() - atomic_load(&cb->heartbeat_ns)) / 1000000, (uint64_t)atomic_load(&cb->owner_pid),
			atomic_load(&cb->c_unread_skips), atomic_load(&cb->c_unread_bytes)};
	int k = (int)(sizeof v / sizeof v[0]);
	if (n > k)
		n = k;
	memcpy(out, v, (size_t)n * sizeof *out);
	return k;
}

/* Whole namespace records journaled since the last call, at most cap bytes. */
HB_API int hb_ctl_events(struct hb_ctl *c, uint8_t *buf, int cap)
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

/* dev,ino pairs of files with a writable shared mapping; returns the count (-1 if the table overflowed). */
HB_API int hb_ctl_mmaps(struct hb_ctl *c, uint64_t *out, int max)
{
	struct hb_cb *cb = c->cb;
	uint32_t n = atomic_load(&cb->mmap_count);
	if (n > HB_MMAP_SLOTS)
		n = HB_MMAP_SLOTS;
	int k = 0;
	for (uint32_t i = 0; i < n && k < max; i++, k++) {
		out[2 * k] = atomic_load(&cb->mmaps[i].dev);
		out[2 * k + 1] = atomic_load(&cb->mmaps[i].ino);
	}
	return atomic_load(&cb->mmap_overflow) ? -1 : k;
}

HB_API void hb_ctl_detach(struct hb_ctl *c)
{
	if (!c)
		return;
	if (c->running)
		hb_ctl_end(c, 5000, 1);
	if (c->ring_used)
		release_idle_ring(c);
	munmap(c->cb, c->map_bytes);
	REAL(close)(c->fd);
	free(c->buf);
	free(c->ev);
	pthread_mutex_destroy(&c->ev_lock);
	pthread_mutex_destroy(&c->nap_lock);
	pthread_cond_destroy(&c->nap_wake);
	free(c);
}

HB_API const char *hb_strerror(int code)
{
	switch (code) {
	case HB_E_NONE: return "no error";
	case HB_E_RING_FULL: return "the journal ring stayed full (hb did not drain it in time)";
	case HB_E_JOURNAL_IO: return "could not write the journal";
	case HB_E_LEASE: return "hb's heartbeat stopped, the capture ended by lease";
	case HB_E_BARRIER: return "calls in flight in the server did not finish in time";
	case HB_E_BUSY: return "another capture is running on this server";
	case HB_E_SOURCE: return "could not read back the data of a copy into a captured file";
	case HB_E_PATH: return "a path under the capture root could not be resolved (too long, or created through a symlink)";
	case HB_E_NOTFOUND: return "the process does not run with the hb shim";
	case HB_E_ACCESS: return "cannot open its control block (/proc/PID/fd): permission denied";
	case HB_E_PROTOCOL: return "the shim in the process speaks another protocol version";
	case HB_E_ARGS: return "bad arguments";
	case HB_E_ENDED: return "the capture was ended early";
	case HB_E_BADBLOCK: return "its hb-ctl memfd is not an hb control block (size, magic or pid)";
	case HB_E_OWNER: return "refusing its control block (hb-ctl): not mode 0600 or not owned by the process's user";
	default: return "unknown error";
	}
}
