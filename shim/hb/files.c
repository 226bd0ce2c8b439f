/* File calls hb makes for itself (src/libc.ts binds them): the walker's openat/fstat/lstat/readlink, with
 * the stat encoding the capture journals; prepare's hole punching and syncfs; writeback started early; the
 * flock that claims a server or a DEST for one backup; a file's CRC32C. Each returns -errno on failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/real.h"
#include "hb/api.h"

#define CHUNK (1u << 20)

/* A descriptor, or -errno (the caller tells "gone meanwhile" from real errors). */
int hb_openat(int dirfd, const char *name, int flags)
{
	int fd = REAL(openat)(dirfd, name, flags | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}
int hb_close(int fd) { return REAL(close)(fd); }

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
int hb_fstat(int fd, uint64_t *out)
{
	struct stat st;
	return fill(fstat(fd, &st), &st, out);
}
int hb_lstatat(int dirfd, const char *name, uint64_t *out)
{
	struct stat st;
	return fill(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), &st, out);
}
int hb_readlinkat(int dirfd, const char *name, char *buf, int cap)
{
	ssize_t n = readlinkat(dirfd, name, buf, (size_t)cap);
	return n < 0 ? -errno : (int)n;
}

int hb_punch_hole(int fd, int64_t off, int64_t len)
{
	return REAL(fallocate64)(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0 ? 0 : -errno;
}

int hb_syncfs(int fd) { return syncfs(fd) == 0 ? 0 : -errno; }

/* Starts writeback of [off, off + len) without waiting for it. */
int hb_start_writeback(int fd, int64_t off, int64_t len)
{
	return sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE) == 0 ? 0 : -errno;
}

/* An exclusive flock(2) on fd without waiting: 0, or -errno (-EWOULDBLOCK: another open file holds it). */
int hb_try_lock(int fd) { return flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : -errno; }

/* CRC32C of the first n bytes of fd (holes read as zeros), for checking a copy against the manifest. */
int64_t hb_file_crc32c(int fd, uint64_t n)
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

