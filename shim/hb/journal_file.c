/* The journal file: the drain's buffer of records written out a FLUSH_AT at a time, past the page cache
 * where the filesystem allows (docs/capture.md, "The journal's writes"). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/real.h"
#include "hb/ctl.h"

#define DROP_BEHIND (64ull << 20)
#define WRITEBACK_WINDOW (8ull << 20) /* writeback is started per window: one device kick per 8 MiB, not per flush */

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

/* Starts an empty journal on journal_fd; -1 if its buffer could not be had. */
int hb_journal_open(struct hb_ctl *c, int journal_fd)
{
	c->journal_fd = journal_fd;
	c->io_errno = 0;
	c->journal_bytes = c->records = 0;
	c->writeback_from = c->dropped = 0;
	c->buf_len = 0;
	if (!c->buf) {
		c->buf_cap = HB_FLUSH_AT + (HB_REC_MAX_DATA + HB_DIRECT_ALIGN);
		if (posix_memalign((void **)&c->buf, HB_DIRECT_ALIGN, c->buf_cap) != 0) {
			c->buf = 0;
			return -1;
		}
	}
	c->direct_fd = open_direct(journal_fd);
	return 0;
}

void hb_journal_close(struct hb_ctl *c)
{
	if (c->direct_fd >= 0)
		REAL(close)(c->direct_fd);
	c->direct_fd = -1;
}

/* Writes n bytes at off; returns 0 or an errno, with *done the bytes written either way. */
static int write_at(int fd, const uint8_t *p, size_t n, uint64_t off, size_t *done)
{
	for (*done = 0; *done < n;) {
		ssize_t w = REAL(pwrite64)(fd, p + *done, n - *done, (off_t)(off + *done));
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
 * moment. The tail waits for more records. At the end (`final`), what is left goes through the cache: the end
 * runs under the server's backup lock, and a write to the cache does not wait for the disk. A filesystem that
 * opens O_DIRECT but refuses the write gets the cache from then on (so does a direct write at an offset the
 * end left unaligned).
 */
int hb_journal_flush(struct hb_ctl *c, int final)
{
	if (c->direct_fd >= 0 && !final) {
		size_t done;
		int e = write_at(c->direct_fd, c->buf, c->buf_len & ~(size_t)(HB_DIRECT_ALIGN - 1), c->journal_bytes, &done);
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

/* The last record, END, written but not synced: the caller syncs the journal after releasing its locks. */
void hb_journal_append_end(struct hb_ctl *c)
{
	struct hb_rec end = {.len = HB_REC_HDR, .pos = atomic_load(&c->cb->tail), .type = HB_REC_END, .off = c->records};
	end.crc = hb_crc32c(0, (uint8_t *)&end + 8, HB_REC_HDR - 8);
	memcpy(c->buf + c->buf_len, &end, HB_REC_HDR);
	c->buf_len += HB_REC_HDR;
	hb_journal_flush(c, 1);
}
