/* Interposers for content changes: writes, size changes, copies into files.
 * Every one has the same shape: count the call (barrier), and when a capture is active and the descriptor
 * is a regular file under a root, run the real call under the inode's lock (for a write at a named offset,
 * only the bytes it writes) and journal what it really did: the bytes it reports, at the offset they really
 * went to (O_APPEND lands at end of file). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/real.h"
#include "server/capture.h"

enum wkind { K_WRITE, K_WRITEV, K_PWRITE, K_PWRITEV, K_PWRITEV2 };

static ssize_t real_write(enum wkind k, int fd, const struct iovec *iov, int cnt, off_t at, int flags)
{
	switch (k) {
	case K_WRITE: return REAL(write)(fd, iov[0].iov_base, iov[0].iov_len);
	case K_WRITEV: return REAL(writev)(fd, iov, cnt);
	case K_PWRITE: return REAL(pwrite64)(fd, iov[0].iov_base, iov[0].iov_len, at);
	case K_PWRITEV: return REAL(pwritev64)(fd, iov, cnt, at);
	default: return REAL(pwritev64v2)(fd, iov, cnt, at, flags);
	}
}

static int appends(enum wkind k, const struct hb_fdinfo *fi, int flags)
{
	return (fi->flags & HB_FD_APPEND) || (k == K_PWRITEV2 && (flags & RWF_APPEND));
}

/* The offset a call names itself, or -1 when the bytes land at the descriptor's position or end of file. */
static off_t named_offset(enum wkind k, const struct hb_fdinfo *fi, off_t at, int flags)
{
	if (appends(k, fi, flags) || k == K_WRITE || k == K_WRITEV || (k == K_PWRITEV2 && at == -1))
		return -1;
	return at < 0 ? -1 : at;
}

/* Where the bytes of this call will land (named: named_offset's answer), found under the inode lock. -1 if
 * unknown. */
static off_t landing(enum wkind k, int fd, const struct hb_fdinfo *fi, off_t named, int flags)
{
	if (named >= 0)
		return named;
	if (appends(k, fi, flags)) {
		struct stat st;
		return fstat(fd, &st) == 0 ? st.st_size : -1;
	}
	return lseek(fd, 0, SEEK_CUR);
}

/* The bytes a write asks for, to lock: UINT64_MAX (the whole inode) for a vector the kernel will refuse. */
static uint64_t iov_bytes(const struct iovec *iov, int cnt)
{
	if (cnt < 0 || cnt > IOV_MAX || (cnt > 0 && !iov))
		return UINT64_MAX;
	uint64_t n = 0;
	for (int i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

static ssize_t do_write(enum wkind k, int fd, const struct iovec *iov, int cnt, off_t at, int flags)
{
	struct hb_guard g;
	struct hb_fdinfo fi;
	if (!hb_enter(&g) || !hb_fd_lookup(fd, &fi)) {
		ssize_t r = real_write(k, fd, iov, cnt, at, flags);
		hb_leave(&g);
		return r;
	}
	/* Positional writes hold only their bytes; the others hold the whole inode, their landing moves. */
	off_t named = named_offset(k, &fi, at, flags);
	struct hb_range_lock lock;
	hb_range_lock(&lock, fi.dev, fi.ino, named, iov_bytes(iov, cnt));
	off_t where = landing(k, fd, &fi, named, flags);
	ssize_t r = real_write(k, fd, iov, cnt, at, flags);
	int e = errno;
	if (r > 0) {
		if (where < 0)
			hb_fail(hb_cb, HB_E_SOURCE, e);
		else if (!hb_unread_covers(fi.dev, fi.ino, (uint64_t)where, (uint64_t)where + (uint64_t)r))
			hb_j_write(fi.dev, fi.ino, (uint64_t)where, iov, cnt, (size_t)r); /* only what was written */
	}
	hb_range_unlock(&lock);
	hb_leave(&g);
	errno = e;
	return r;
}

HB_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	struct iovec v = {(void *)buf, n};
	return do_write(K_WRITE, fd, &v, 1, 0, 0);
}
HB_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct iovec v = {(void *)buf, n};
	return do_write(K_PWRITE, fd, &v, 1, off, 0);
}
HB_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }
HB_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt) { return do_write(K_WRITEV, fd, iov, cnt, 0, 0); }
HB_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) { return do_write(K_PWRITEV, fd, iov, cnt, off, 0); }
HB_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off_t off) { return pwritev(fd, iov, cnt, off); }
HB_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	return do_write(K_PWRITEV2, fd, iov, cnt, off, flags);
}
HB_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	return pwritev2(fd, iov, cnt, off, flags);
}

/* The bytes a size change may alter, taken out of the copier's unread window before the call (the writes
 * after it are journaled). Plain allocation (mode 0, KEEP_SIZE) alters none. */
static void exclude_changed(const struct hb_fdinfo *fi, int kind, int mode, off_t off, off_t len)
{
	if (kind == HB_REC_TRUNC)
		hb_unread_exclude(fi->dev, fi->ino, (uint64_t)len, UINT64_MAX);
	else if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE))
		hb_unread_exclude(fi->dev, fi->ino, (uint64_t)off, UINT64_MAX);
	else if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		hb_unread_exclude(fi->dev, fi->ino, (uint64_t)off, (uint64_t)off + (uint64_t)len);
}

/* ftruncate and fallocate: the record is the call's own arguments. */
static int do_size(int fd, int mode, off_t off, off_t len, int kind)
{
	struct hb_guard g;
	struct hb_fdinfo fi;
	int tracked = hb_enter(&g) && hb_fd_lookup(fd, &fi);
	struct hb_range_lock lock;
	if (tracked) {
		hb_range_lock(&lock, fi.dev, fi.ino, HB_WHOLE_INODE, 0);
		exclude_changed(&fi, kind, mode, off, len);
	}
	int r;
	if (kind == HB_REC_TRUNC)
		r = REAL(ftruncate64)(fd, len);
	else if (kind == 0) /* posix_fallocate: returns the error number */
		r = REAL(posix_fallocate64)(fd, off, len);
	else
		r = REAL(fallocate64)(fd, mode, off, len);
	int e = errno;
	if (tracked) {
		if (r == 0 && kind == HB_REC_TRUNC)
			hb_j_simple(HB_REC_TRUNC, fi.dev, fi.ino, (uint64_t)len, 0, 0);
		else if (r == 0)
			hb_j_simple(HB_REC_FALLOC, fi.dev, fi.ino, (uint64_t)off, (uint64_t)len, (uint32_t)mode);
		hb_range_unlock(&lock);
	}
	hb_leave(&g);
	errno = e;
	return r;
}

HB_EXPORT int ftruncate(int fd, off_t len) { return do_size(fd, 0, 0, len, HB_REC_TRUNC); }
HB_EXPORT int ftruncate64(int fd, off_t len) { return do_size(fd, 0, 0, len, HB_REC_TRUNC); }
HB_EXPORT int fallocate(int fd, int mode, off_t off, off_t len) { return do_size(fd, mode, off, len, HB_REC_FALLOC); }
HB_EXPORT int fallocate64(int fd, int mode, off_t off, off_t len) { return do_size(fd, mode, off, len, HB_REC_FALLOC); }
HB_EXPORT int posix_fallocate(int fd, off_t off, off_t len) { return do_size(fd, 0, off, len, 0); }
HB_EXPORT int posix_fallocate64(int fd, off_t off, off_t len) { return do_size(fd, 0, off, len, 0); }

/* Copies between descriptors: the bytes are read back into the journal from the destination, or from the
 * source when the destination is write-only. */
static void journal_copied(const struct hb_fdinfo *fi, int out, off_t dst, int in, off_t src, ssize_t n)
{
	int acc = REAL(fcntl64)(out, F_GETFL) & O_ACCMODE;
	if (dst < 0 || (acc == O_WRONLY && src < 0)) {
		hb_fail(hb_cb, HB_E_SOURCE, EINVAL);
		return;
	}
	if (hb_unread_covers(fi->dev, fi->ino, (uint64_t)dst, (uint64_t)dst + (uint64_t)n))
		return;
	if (acc == O_WRONLY)
		hb_j_write_from_fd(fi->dev, fi->ino, (uint64_t)dst, in, (uint64_t)src, (size_t)n);
	else
		hb_j_write_from_fd(fi->dev, fi->ino, (uint64_t)dst, out, (uint64_t)dst, (size_t)n);
}

HB_EXPORT ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len, unsigned flags)
{
	struct hb_guard g;
	struct hb_fdinfo fi;
	if (!hb_enter(&g) || !hb_fd_lookup(out, &fi)) {
		ssize_t r = REAL(copy_file_range)(in, in_off, out, out_off, len, flags);
		hb_leave(&g);
		return r;
	}
	struct hb_range_lock lock;
	hb_range_lock(&lock, fi.dev, fi.ino, HB_WHOLE_INODE, 0);
	off_t dst = out_off ? *out_off : lseek(out, 0, SEEK_CUR);
	off_t src = in_off ? *in_off : lseek(in, 0, SEEK_CUR);
	ssize_t r = REAL(copy_file_range)(in, in_off, out, out_off, len, flags);
	int e = errno;
	if (r > 0)
		journal_copied(&fi, out, dst, in, src, r);
	hb_range_unlock(&lock);
	hb_leave(&g);
	errno = e;
	return r;
}

HB_EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t count)
{
	struct hb_guard g;
	struct hb_fdinfo fi;
	if (!hb_enter(&g) || !hb_fd_lookup(out, &fi)) {
		ssize_t r = REAL(sendfile64)(out, in, offset, count);
		hb_leave(&g);
		return r;
	}
	struct hb_range_lock lock;
	hb_range_lock(&lock, fi.dev, fi.ino, HB_WHOLE_INODE, 0);
	off_t dst = landing(K_WRITE, out, &fi, -1, 0); /* no offset named: at the position, or the end */
	off_t src = offset ? *offset : lseek(in, 0, SEEK_CUR);
	ssize_t r = REAL(sendfile64)(out, in, offset, count);
	int e = errno;
	if (r > 0)
		journal_copied(&fi, out, dst, in, src, r);
	hb_range_unlock(&lock);
	hb_leave(&g);
	errno = e;
	return r;
}
HB_EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t count) { return sendfile64(out, in, offset, count); }
