/* Resolving the path arguments of namespace calls to (parent directory identity, name, absolute path). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/real.h"
#include "server/capture.h"
#include "server/ns.h"

HB_HIDDEN int hb_where(int dirfd, const char *path, struct hb_where *w)
{
	w->pfd = -1;
	w->in_root = w->unjournaled = 0;
	size_t len = strnlen(path, HB_PATH);
	if (len == 0 || len >= HB_PATH)
		return -1;
	while (len > 1 && path[len - 1] == '/')
		len--; /* "dir/" names "dir" */
	size_t start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	w->name = path + start;
	w->nlen = len - start;
	if (w->nlen == 0 || (w->nlen == 1 && w->name[0] == '.') || (w->nlen == 2 && w->name[0] == '.' && w->name[1] == '.'))
		return -1;
	char dir[HB_PATH];
	if (start == 0) {
		dir[0] = '.';
		dir[1] = 0;
	} else {
		memcpy(dir, path, start);
		dir[start] = 0;
	}
	int pfd = REAL(openat)(dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	struct stat st;
	char link[HB_FD_LINK];
	hb_fd_link(link, pfd);
	ssize_t al = readlink(link, w->abs, HB_PATH);
	if (fstat(pfd, &st) != 0 || al <= 0 || al >= HB_PATH) {
		REAL(close)(pfd);
		return -1;
	}
	w->pfd = pfd;
	w->pdev = st.st_dev;
	w->pino = st.st_ino;
	w->in_root = hb_under_roots(w->abs, (size_t)al);
	if (al == 1)
		al = 0; /* the parent is "/" */
	w->abs[al] = '/';
	memcpy(w->abs + al + 1, w->name, w->nlen);
	w->alen = (size_t)al + 1 + w->nlen;
	w->abs[w->alen] = 0;
	w->unjournaled = w->in_root && hb_unjournaled(w->abs, w->alen);
	return 0;
}

HB_HIDDEN void hb_where_done(struct hb_where *w)
{
	if (w->pfd >= 0)
		REAL(close)(w->pfd);
	w->pfd = -1;
}

HB_HIDDEN int hb_where_stat(struct hb_where *w, struct stat *st)
{
	char name[HB_PATH];
	memcpy(name, w->name, w->nlen);
	name[w->nlen] = 0;
	return fstatat(w->pfd, name, st, AT_SYMLINK_NOFOLLOW);
}
