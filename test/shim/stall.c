/* Preloaded after the shim, so the shim's own libc calls reach it: holds a namespace call between its two
 * records. The shim journals a rename as UNBIND old then BIND new, and the BIND of a symlink reads its
 * target with readlinkat; for a name starting "stall" this waits there until $HB_TEST_STALL_DIR/go exists
 * (5 s at most), after creating $HB_TEST_STALL_DIR/stalled. Raw syscalls only: the shim holds its namespace
 * lock here, and its open() would wait for that lock. */
#include <dlfcn.h>
#include <fcntl.h>
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

static void wait_for_go(const char *dir)
{
	char stalled[4096], go[4096];
	if (at(dir, "stalled", stalled, sizeof stalled) || at(dir, "go", go, sizeof go))
		return;
	long fd = syscall(SYS_openat, AT_FDCWD, stalled, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0)
		syscall(SYS_close, fd);
	struct timespec tick = {0, 10 * 1000 * 1000};
	for (int i = 0; i < 500 && syscall(SYS_faccessat, AT_FDCWD, go, F_OK) != 0; i++)
		syscall(SYS_nanosleep, &tick, 0);
}

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	static ssize_t (*real)(int, const char *, char *, size_t);
	if (!real)
		real = (ssize_t (*)(int, const char *, char *, size_t))dlsym(RTLD_NEXT, "readlinkat");
	const char *dir = getenv("HB_TEST_STALL_DIR");
	if (dir && !strncmp(path, "stall", 5))
		wait_for_go(dir);
	return real(dirfd, path, buf, len);
}
