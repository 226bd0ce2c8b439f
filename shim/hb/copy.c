/* The copy of one file by a pool thread: files of 1 MiB and more with O_DIRECT reads and writes, past the
 * page cache (docs/throttle.md), smaller ones with copy_file_range at explicit offsets (pread/pwrite where the
 * kernel refuses either). A copy through the cache writes behind itself, so the disk never holds a burst of
 * backup data for the server's fsyncs to wait on. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/real.h"
#include "common/unread.h"
#include "hb/pool.h"

#define WINDOW (8ull << 20) /* write-behind: at most two of these dirty per copy */
#define DIO_ALIGN 4096u

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
	if (!c->buf && posix_memalign((void **)&c->buf, DIO_ALIGN, HB_CHUNK) != 0)
		return -ENOMEM;
	while (off < to) {
		if (atomic_load(&p->cancel))
			return -ECANCELED;
		size_t want = hb_pool_chunk(p);
		if (want > to - off)
			want = (size_t)(to - off);
		hb_pool_take_tokens(p, want);
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
int64_t hb_copy_file(struct hb_pool *p, struct job *j, uint32_t *crc)
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
	hb_pool_wait_unpaused(p); /* a pause is the pacer looking at the server: how the copy writes follows its verdict */
	if (size >= p->direct_min) {
		c.direct_src = set_direct(c.src, 1);
		c.direct_dst = atomic_load(&p->direct_writes) ? set_direct(c.dst, 1) : 0;
		c.plain = c.direct_src || c.direct_dst; /* copy_file_range would go through the cache */
	}
	if (j->nranges == 0)
		end = copy_range(p, &c, 0, size); /* the copy is as long as what was read */
	else if (REAL(ftruncate64)(j->dst, (off_t)size) != 0)
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

