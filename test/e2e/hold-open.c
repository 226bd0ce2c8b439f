/* Preloaded after the shim, so the shim's own libc calls reach it: holds a namespace call while the shim
 * resolves its paths, before the call itself. The shim opens each path's directory with O_PATH; for a
 * directory path containing "hold-" this waits there until $HB_TEST_HOLD_DIR/go exists (10 s at most), after
 * creating $HB_TEST_HOLD_DIR/held. The call has seen the capture active by then: an end that comes meanwhile
 * waits for it, and journals it. Raw syscalls only: the shim holds its namespace lock here. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int at(const char *dir, const char *name, char *out, size_t cap)
{
	size_t d = strlen(dir), n = strlen(name);
	if (d + 1 + n >= cap)
		return -1;
	memcpy(out, dir, d);
	out[d] = '/';
	memcpy(out + d + 1, name, n + 1);
	return 0;
}

static void hold(const char *dir)
{
	char held[4096], go[4096];
	if (at(dir, "held", held, sizeof held) || at(dir, "go", go, sizeof go))
		return;
	long fd = syscall(SYS_openat, AT_FDCWD, held, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0)
		syscall(SYS_close, fd);
	struct timespec tick = {0, 10 * 1000 * 1000};
	for (int i = 0; i < 1000 && syscall(SYS_faccessat, AT_FDCWD, go, F_OK) != 0; i++)
		syscall(SYS_nanosleep, &tick, 0);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	if (!real)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	mode_t mode = 0;
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	const char *dir = getenv("HB_TEST_HOLD_DIR");
	if (dir && (flags & O_PATH) && strstr(path, "hold-"))
		hold(dir);
	return real(dirfd, path, flags, mode);
}
