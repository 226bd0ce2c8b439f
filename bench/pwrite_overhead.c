/* pwrite_overhead DIR SIZE N — time N pwrite() calls of SIZE bytes to a file in DIR; prints `ns_per_call <f>`.
 * Run with and without LD_PRELOAD=libhbshim.so (and with a capture active) to see what the shim adds per call.
 * Writes cycle through a 16 MiB window that is written once before timing, so the timed calls overwrite
 * cached pages (no block allocation, no disk wait): the difference between runs is the interposer's cost.
 * With HB_BENCH_WAIT set it prints "ready" after the warm-up and waits for a line on stdin before timing
 * (the benchmark begins a capture in between). The file (DIR/pwrite_overhead.<pid>) is removed at the end. Build: cc -O2 -D_GNU_SOURCE -o pwrite_overhead */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WINDOW (16L << 20)

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: %s DIR SIZE N\n", argv[0]);
		return 2;
	}
	long size = strtol(argv[2], NULL, 10), n = strtol(argv[3], NULL, 10);
	if (size <= 0 || size > WINDOW || n <= 0) {
		fprintf(stderr, "%s: SIZE must be 1..%ld and N > 0\n", argv[0], WINDOW);
		return 2;
	}
	char path[4096];
	if (snprintf(path, sizeof path, "%s/pwrite_overhead.%ld", argv[1], (long)getpid()) >= (int)sizeof path) {
		fprintf(stderr, "%s: path too long\n", argv[0]);
		return 2;
	}
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", argv[0], path, strerror(errno));
		return 1;
	}
	char *buf = malloc((size_t)size);
	if (!buf)
		return 1;
	memset(buf, 0xab, (size_t)size);
	long slots = WINDOW / size;
	for (long i = 0; i < slots; i++) /* warm-up: allocate and cache the window */
		if (pwrite(fd, buf, (size_t)size, i * size) != size) {
			fprintf(stderr, "%s: pwrite: %s\n", argv[0], strerror(errno));
			return 1;
		}
	if (getenv("HB_BENCH_WAIT")) {
		char line[16];
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof line, stdin))
			return 1;
	}
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		buf[0] = (char)i;
		if (pwrite(fd, buf, (size_t)size, (i % slots) * size) != size) {
			fprintf(stderr, "%s: pwrite: %s\n", argv[0], strerror(errno));
			return 1;
		}
	}
	double t1 = now_ns();
	close(fd);
	unlink(path);
	free(buf);
	printf("ns_per_call %.1f\n", (t1 - t0) / (double)n);
	return 0;
}
