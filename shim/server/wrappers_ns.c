/* Interposers for namespace changes (create, rename, unlink, mkdir, rmdir, link, symlink) and path-based
 * content changes (truncate, chmod). While a capture is active, namespace calls run under one lock with
 * their records so that the journal has them in the order they happened; each record names the parent
 * directory by identity (docs/journal.md). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/real.h"
#include "server/capture.h"
#include "server/ns.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static void bind_entry(struct hb_where *w, const struct stat *st, uint16_t flags)
{
	if (flags & (HB_BIND_NEW | HB_BIND_OUTSIDE)) /* not what the copier registered under this dev:ino */
		hb_unread_exclude(st->st_dev, st->st_ino, 0, UINT64_MAX);
	char target[HB_PATH];
	ssize_t tl = 0;
	if (S_ISLNK(st->st_mode)) {
		char name[HB_PATH];
		memcpy(name, w->name, w->nlen);
		name[w->nlen] = 0;
		tl = readlinkat(w->pfd, name, target, sizeof target);
		if (tl < 0)
			tl = 0;
	}
	hb_j_bind(w->pdev, w->pino, w->name, w->nlen, st->st_dev, st->st_ino, st->st_mode, flags, target, (size_t)tl,
		  w->abs, w->alen);
}

/* A namespace call that succeeded but whose parent we could not resolve may have changed the roots. */
static void unresolved(int ok)
{
	if (ok)
		hb_fail(hb_cb, HB_E_PATH, ENAMETOOLONG);
}

static int do_open(int dirfd, const char *path, int flags, mode_t mode)
{
	struct hb_guard g;
	int creating = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	if (!hb_enter(&g) || !(creating || (flags & O_TRUNC))) {
		int fd = REAL(openat)(dirfd, path, flags, mode);
		int e = errno;
		hb_fd_forget(fd);
		hb_leave(&g);
		errno = e;
		return fd;
	}
	int cancel = hb_ns_lock();
	struct hb_where w;
	struct stat pre, st;
	int tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
	int resolved = !tmpfile && hb_where(dirfd, path, &w) == 0;
	int existed = resolved && hb_where_stat(&w, &pre) == 0;
	if (existed && (flags & O_TRUNC))
		hb_unread_exclude(pre.st_dev, pre.st_ino, 0, UINT64_MAX);
	int fd = REAL(openat)(dirfd, path, flags, mode);
	int e = errno;
	hb_fd_forget(fd);
	if (fd >= 0) {
		struct hb_fdinfo fi;
		if (tmpfile) {
			if (hb_fd_lookup(fd, &fi) && fstat(fd, &st) == 0) { /* an unnamed new file: an incarnation */
				hb_unread_exclude(st.st_dev, st.st_ino, 0, UINT64_MAX);
				hb_j_bind(0, 0, "", 0, st.st_dev, st.st_ino, st.st_mode, HB_BIND_NEW, "", 0, "", 0);
			}
		} else if (!resolved) {
			unresolved(flags & O_CREAT);
		} else if (existed && S_ISLNK(pre.st_mode)) {
			/* O_CREAT through a symlink may create its target somewhere we did not resolve. */
			if (hb_fd_lookup(fd, &fi))
				hb_fail(hb_cb, HB_E_PATH, ELOOP);
		} else if (!existed && w.in_root && fstat(fd, &st) == 0) {
			bind_entry(&w, &st, HB_BIND_NEW);
		} else if (existed && (flags & O_TRUNC) && hb_fd_lookup(fd, &fi)) {
			hb_j_simple(HB_REC_TRUNC, fi.dev, fi.ino, 0, 0, 0);
		}
	}
	if (resolved)
		hb_where_done(&w);
	hb_ns_unlock(cancel);
	hb_leave(&g);
	errno = e;
	return fd;
}

#define OPEN_MODE(flags, last)                                          \
	mode_t mode = 0;                                                 \
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {     \
		va_list ap;                                              \
		va_start(ap, last);                                      \
		mode = va_arg(ap, mode_t);                               \
		va_end(ap);                                              \
	}

HB_EXPORT int open(const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return do_open(AT_FDCWD, path, flags, mode);
}
HB_EXPORT int open64(const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return do_open(AT_FDCWD, path, flags, mode);
}
HB_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return do_open(dirfd, path, flags, mode);
}
HB_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return do_open(dirfd, path, flags, mode);
}
/* The fortified entry points (_FORTIFY_SOURCE) take no mode: they are never used with O_CREAT. */
HB_EXPORT int __open_2(const char *path, int flags) { return do_open(AT_FDCWD, path, flags, 0); }
HB_EXPORT int __open64_2(const char *path, int flags) { return do_open(AT_FDCWD, path, flags, 0); }
HB_EXPORT int __openat_2(int dirfd, const char *path, int flags) { return do_open(dirfd, path, flags, 0); }
HB_EXPORT int __openat64_2(int dirfd, const char *path, int flags) { return do_open(dirfd, path, flags, 0); }
HB_EXPORT int creat(const char *path, mode_t mode) { return do_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
HB_EXPORT int creat64(const char *path, mode_t mode) { return creat(path, mode); }

static int do_rename(int odir, const char *old, int ndir, const char *new, unsigned flags)
{
	struct hb_guard g;
	if (!hb_enter(&g)) {
		int r = REAL(renameat2)(odir, old, ndir, new, flags);
		hb_leave(&g);
		return r;
	}
	int cancel = hb_ns_lock();
	struct hb_where a, b;
	struct stat sa, sb;
	int ra = hb_where(odir, old, &a) == 0, rb = hb_where(ndir, new, &b) == 0;
	int ha = ra && hb_where_stat(&a, &sa) == 0, hbb = rb && hb_where_stat(&b, &sb) == 0;
	int r = REAL(renameat2)(odir, old, ndir, new, flags);
	int e = errno;
	if (r == 0) {
		int ain = ra && a.in_root, bin = rb && b.in_root;
		/* Content from a name the capture left out comes in as from outside: the copier fetches it again. */
		int a_whole = ain && !a.unjournaled, b_whole = bin && !b.unjournaled;
		int same = ha && hbb && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino; /* links to one inode: no-op */
		if (!ra || !rb || !ha)
			unresolved(1);
		else if (same)
			;
		else if (flags & RENAME_EXCHANGE) {
			if (ain && hbb)
				bind_entry(&a, &sb, b_whole ? 0 : HB_BIND_OUTSIDE);
			if (bin)
				bind_entry(&b, &sa, a_whole ? 0 : HB_BIND_OUTSIDE);
		} else {
			if (ain)
				hb_j_unbind(a.pdev, a.pino, a.name, a.nlen, sa.st_dev, sa.st_ino);
			if (bin)
				bind_entry(&b, &sa, a_whole ? 0 : HB_BIND_OUTSIDE);
		}
	}
	if (ra)
		hb_where_done(&a);
	if (rb)
		hb_where_done(&b);
	hb_ns_unlock(cancel);
	hb_leave(&g);
	errno = e;
	return r;
}

HB_EXPORT int rename(const char *old, const char *new) { return do_rename(AT_FDCWD, old, AT_FDCWD, new, 0); }
HB_EXPORT int renameat(int odir, const char *old, int ndir, const char *new) { return do_rename(odir, old, ndir, new, 0); }
HB_EXPORT int renameat2(int odir, const char *old, int ndir, const char *new, unsigned flags)
{
	return do_rename(odir, old, ndir, new, flags);
}

static int do_unlink(int dirfd, const char *path, int flags)
{
	struct hb_guard g;
	if (!hb_enter(&g)) {
		int r = REAL(unlinkat)(dirfd, path, flags);
		hb_leave(&g);
		return r;
	}
	int cancel = hb_ns_lock();
	struct hb_where w;
	struct stat st;
	int resolved = hb_where(dirfd, path, &w) == 0;
	int known = resolved && hb_where_stat(&w, &st) == 0;
	int r = REAL(unlinkat)(dirfd, path, flags);
	int e = errno;
	if (r == 0 && !resolved)
		unresolved(1);
	else if (r == 0 && w.in_root)
		hb_j_unbind(w.pdev, w.pino, w.name, w.nlen, known ? st.st_dev : 0, known ? st.st_ino : 0);
	if (resolved)
		hb_where_done(&w);
	hb_ns_unlock(cancel);
	hb_leave(&g);
	errno = e;
	return r;
}

HB_EXPORT int unlink(const char *path) { return do_unlink(AT_FDCWD, path, 0); }
HB_EXPORT int unlinkat(int dirfd, const char *path, int flags) { return do_unlink(dirfd, path, flags); }
HB_EXPORT int rmdir(const char *path) { return do_unlink(AT_FDCWD, path, AT_REMOVEDIR); }

/* mkdir, symlink, link: the entry exists after the call; bind it. */
enum mkind { M_MKDIR, M_SYMLINK, M_LINK };
static int do_make(enum mkind k, int dirfd, const char *path, mode_t mode, const char *target, int odir, int lflags)
{
	struct hb_guard g;
	int active = hb_enter(&g);
	struct hb_where w, src;
	int resolved = 0, src_in = 0; /* a link source we cannot place counts as outside: it gets copied */
	int cancel = 0;
	if (active) {
		cancel = hb_ns_lock();
		resolved = hb_where(dirfd, path, &w) == 0;
		if (k != M_LINK)
			src_in = 1;
		else {
			struct hb_fdinfo fi;
			if ((lflags & AT_EMPTY_PATH) && target[0] == 0)
				src_in = hb_fd_lookup(odir, &fi);
			else if (hb_where(odir, target, &src) == 0) {
				src_in = src.in_root && !src.unjournaled;
				hb_where_done(&src);
			}
		}
	}
	int r = k == M_MKDIR ? REAL(mkdirat)(dirfd, path, mode)
		: k == M_SYMLINK ? REAL(symlinkat)(target, dirfd, path)
				  : REAL(linkat)(odir, target, dirfd, path, lflags);
	int e = errno;
	if (active) {
		struct stat st;
		if (r == 0 && !resolved)
			unresolved(1);
		else if (r == 0 && w.in_root && hb_where_stat(&w, &st) == 0)
			bind_entry(&w, &st, k == M_LINK ? (src_in ? 0 : HB_BIND_OUTSIDE) : HB_BIND_NEW);
		if (resolved)
			hb_where_done(&w);
		hb_ns_unlock(cancel);
	}
	hb_leave(&g);
	errno = e;
	return r;
}

HB_EXPORT int mkdir(const char *path, mode_t mode) { return do_make(M_MKDIR, AT_FDCWD, path, mode, 0, 0, 0); }
HB_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode) { return do_make(M_MKDIR, dirfd, path, mode, 0, 0, 0); }
HB_EXPORT int symlink(const char *target, const char *path) { return do_make(M_SYMLINK, AT_FDCWD, path, 0, target, 0, 0); }
HB_EXPORT int symlinkat(const char *target, int dirfd, const char *path)
{
	return do_make(M_SYMLINK, dirfd, path, 0, target, 0, 0);
}
HB_EXPORT int link(const char *old, const char *new) { return do_make(M_LINK, AT_FDCWD, new, 0, old, AT_FDCWD, 0); }
HB_EXPORT int linkat(int odir, const char *old, int ndir, const char *new, int flags)
{
	return do_make(M_LINK, ndir, new, 0, old, odir, flags);
}

/* truncate and chmod by path: find the file they reach (following symlinks, as they do) by opening it
 * with O_PATH, then journal by identity. */
static int do_path_change(int dirfd, const char *path, int follow, off_t len, mode_t mode, int is_chmod)
{
	struct hb_guard g;
	if (!hb_enter(&g)) {
		int r = is_chmod ? REAL(fchmodat)(dirfd, path, mode, follow ? 0 : AT_SYMLINK_NOFOLLOW) : REAL(truncate64)(path, len);
		hb_leave(&g);
		return r;
	}
	int cancel = hb_ns_lock();
	int pfd = REAL(openat)(dirfd, path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	struct stat st;
	char link[HB_FD_LINK], abs[HB_PATH];
	int tracked = 0;
	struct hb_range_lock lock;
	if (pfd >= 0 && fstat(pfd, &st) == 0) {
		hb_fd_link(link, pfd);
		ssize_t al = readlink(link, abs, sizeof abs);
		tracked = al > 0 && al < (ssize_t)sizeof abs && hb_captured(abs, (size_t)al);
	}
	if (tracked && !is_chmod) {
		hb_range_lock(&lock, st.st_dev, st.st_ino, HB_WHOLE_INODE, 0);
		hb_unread_exclude(st.st_dev, st.st_ino, (uint64_t)len, UINT64_MAX);
	}
	int r = is_chmod ? REAL(fchmodat)(dirfd, path, mode, follow ? 0 : AT_SYMLINK_NOFOLLOW) : REAL(truncate64)(path, len);
	int e = errno;
	if (r == 0 && tracked) {
		struct stat after;
		if (!is_chmod)
			hb_j_simple(HB_REC_TRUNC, st.st_dev, st.st_ino, (uint64_t)len, 0, 0);
		else if (fstat(pfd, &after) == 0)
			hb_j_simple(HB_REC_CHMOD, st.st_dev, st.st_ino, 0, 0, after.st_mode);
	}
	if (tracked && !is_chmod)
		hb_range_unlock(&lock);
	if (pfd >= 0)
		REAL(close)(pfd);
	hb_ns_unlock(cancel);
	hb_leave(&g);
	errno = e;
	return r;
}

HB_EXPORT int truncate(const char *path, off_t len) { return do_path_change(AT_FDCWD, path, 1, len, 0, 0); }
HB_EXPORT int truncate64(const char *path, off_t len) { return do_path_change(AT_FDCWD, path, 1, len, 0, 0); }
HB_EXPORT int chmod(const char *path, mode_t mode) { return do_path_change(AT_FDCWD, path, 1, 0, mode, 1); }
HB_EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	return do_path_change(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), 0, mode, 1);
}

HB_EXPORT int fchmod(int fd, mode_t mode)
{
	struct hb_guard g;
	struct hb_fdinfo fi;
	int tracked = hb_enter(&g) && hb_fd_lookup(fd, &fi);
	int r = REAL(fchmod)(fd, mode);
	int e = errno;
	struct stat st;
	if (tracked && r == 0 && fstat(fd, &st) == 0)
		hb_j_simple(HB_REC_CHMOD, fi.dev, fi.ino, 0, 0, st.st_mode);
	hb_leave(&g);
	errno = e;
	return r;
}
