/* Interposers for descriptor bookkeeping: the descriptor cache (fdcache.c) forgets a number whenever it
 * may change meaning. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <unistd.h>

#include "common/real.h"
#include "server/capture.h"

/* Descriptor numbers are reused: forget what we cached about a number whenever it may change meaning.
 * Forgetting before and after close leaves no window in which a reused number looks like the old file. */
HB_EXPORT int close(int fd)
{
	hb_fd_forget(fd);
	int r = REAL(close)(fd);
	int e = errno;
	hb_fd_forget(fd);
	errno = e;
	return r;
}
HB_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int r = REAL(close_range)(first, last, flags);
	int e = errno;
	hb_fd_forget_range(first, last);
	errno = e;
	return r;
}
HB_EXPORT void closefrom(int low)
{
	REAL(closefrom)(low);
	hb_fd_forget_range(low < 0 ? 0 : (unsigned)low, UINT_MAX);
}
HB_EXPORT int dup(int fd)
{
	int r = REAL(dup)(fd);
	hb_fd_forget(r);
	return r;
}
HB_EXPORT int dup2(int fd, int to)
{
	hb_fd_forget(to);
	int r = REAL(dup2)(fd, to);
	int e = errno;
	hb_fd_forget(to);
	errno = e;
	return r;
}
HB_EXPORT int dup3(int fd, int to, int flags)
{
	hb_fd_forget(to);
	int r = REAL(dup3)(fd, to, flags);
	int e = errno;
	hb_fd_forget(to);
	errno = e;
	return r;
}

static int do_fcntl(int fd, int cmd, void *arg)
{
	int r = REAL(fcntl64)(fd, cmd, arg);
	int e = errno;
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		hb_fd_forget(r);
	else if (cmd == F_SETFL)
		hb_fd_forget(fd); /* O_APPEND may have changed */
	errno = e;
	return r;
}
HB_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(fd, cmd, arg);
}
HB_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(fd, cmd, arg);
}
