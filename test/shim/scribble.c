/* A process for shim tests: reads one command per line on stdin, performs it with one libc call, and
 * answers "ok" or "err <errno>" on stdout, so a test can interleave its calls with capture begin/end.
 *   write PATH OFF TEXT     open O_WRONLY|O_CREAT, pwrite TEXT at OFF, close
 *   append PATH TEXT        open O_WRONLY|O_APPEND|O_CREAT, write TEXT, close
 *   truncate PATH LEN       truncate(path)
 *   rename A B | unlink P | mkdir P | rmdir P | symlink TARGET P | link A B
 *   fill PATH MIB           open O_WRONLY|O_CREAT, pwrite MIB MiB, 1 MiB a call, the k-th all 'a' + k % 26
 *   mmap PATH               map PATH MAP_SHARED|PROT_WRITE and keep it mapped
 *   hold PATH               open PATH O_WRONLY and keep the descriptor (one at a time, as a server keeps its files)
 *   hwrite OFF TEXT         pwrite TEXT at OFF through the held descriptor
 *   cancel-write PATH       8 times: a thread writes PATH in a loop and is cancelled (pthread_cancel) after
 *                           20 ms; then a write to PATH from this thread (it must not wait on the dead one)
 *   cancel-truncate PATH    the same with truncate(PATH), then a rename of PATH to itself
 *   ping                    nothing: answers once the process (and its shim) is up
 *   quit */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The cancelled thread's loop: the shim's wrapper must not leave a lock behind when it is cancelled. */
static void *churn(void *arg)
{
	const char *cmd = ((char **)arg)[0], *path = ((char **)arg)[1];
	static char mib[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	for (off_t n = 0; fd >= 0; n++) {
		if (!strcmp(cmd, "cancel-write"))
			pwrite(fd, mib, sizeof mib, 0);
		else
			truncate(path, 4096 + n % 4096);
		pthread_testcancel(); /* a cancellation point of the program's own */
	}
	return 0;
}

static int cancelled(char *cmd, char *path)
{
	char *args[2] = {cmd, path};
	for (int round = 0; round < 8; round++) { /* a cancel lands inside the wrapper in most rounds */
		pthread_t t;
		void *res;
		if (pthread_create(&t, 0, churn, args) != 0)
			return -1;
		usleep(20000);
		if (pthread_cancel(t) != 0 || pthread_join(t, &res) != 0 || res != PTHREAD_CANCELED)
			return -1;
		if (!strcmp(cmd, "cancel-truncate")) {
			if (rename(path, path) != 0)
				return -1;
			continue;
		}
		int fd = open(path, O_WRONLY);
		ssize_t n = pwrite(fd, "after", 5, 0);
		close(fd);
		if (n != 5)
			return -1;
	}
	return 0;
}

static int one(char *cmd, char *a, char *b, char *c)
{
	static int held = -1;
	int fd;
	if (!strcmp(cmd, "ping"))
		return 0;
	if (!strcmp(cmd, "hold")) {
		if (held >= 0)
			close(held);
		return (held = open(a, O_WRONLY)) < 0 ? -1 : 0;
	}
	if (!strcmp(cmd, "hwrite"))
		return pwrite(held, b, strlen(b), atol(a)) < 0 ? -1 : 0;
	if (!strcmp(cmd, "write")) {
		if ((fd = open(a, O_WRONLY | O_CREAT, 0644)) < 0)
			return -1;
		ssize_t n = pwrite(fd, c, strlen(c), atol(b));
		close(fd);
		return n < 0 ? -1 : 0;
	}
	if (!strcmp(cmd, "append")) {
		if ((fd = open(a, O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
			return -1;
		ssize_t n = write(fd, b, strlen(b));
		close(fd);
		return n < 0 ? -1 : 0;
	}
	if (!strcmp(cmd, "fill")) {
		static char mib[1 << 20];
		if ((fd = open(a, O_WRONLY | O_CREAT, 0644)) < 0)
			return -1;
		ssize_t n = 0;
		for (long k = 0; k < atol(b) && n >= 0; k++) {
			memset(mib, 'a' + (int)(k % 26), sizeof mib);
			n = pwrite(fd, mib, sizeof mib, (off_t)k << 20);
		}
		close(fd);
		return n < 0 ? -1 : 0;
	}
	if (!strcmp(cmd, "truncate"))
		return truncate(a, atol(b));
	if (!strcmp(cmd, "rename"))
		return rename(a, b);
	if (!strcmp(cmd, "unlink"))
		return unlink(a);
	if (!strcmp(cmd, "mkdir"))
		return mkdir(a, 0755);
	if (!strcmp(cmd, "rmdir"))
		return rmdir(a);
	if (!strcmp(cmd, "symlink"))
		return symlink(a, b);
	if (!strcmp(cmd, "link"))
		return link(a, b);
	if (!strncmp(cmd, "cancel-", 7))
		return cancelled(cmd, a);
	if (!strcmp(cmd, "mmap")) {
		if ((fd = open(a, O_RDWR)) < 0)
			return -1;
		void *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		return p == MAP_FAILED ? -1 : 0;
	}
	errno = EINVAL;
	return -1;
}

int main(void)
{
	char line[8192];
	setvbuf(stdout, 0, _IOLBF, 0);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		char *save, *cmd = strtok_r(line, " ", &save);
		if (!cmd || !strcmp(cmd, "quit"))
			break;
		char *a = strtok_r(0, " ", &save), *b = strtok_r(0, " ", &save), *c = strtok_r(0, "", &save);
		if (one(cmd, a ? a : "", b ? b : "", c ? c : "") == 0)
			printf("ok\n");
		else
			printf("err %d\n", errno);
	}
	return 0;
}
