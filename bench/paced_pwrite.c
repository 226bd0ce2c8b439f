/* paced_pwrite DIR SIZE N INTERVAL_US — two passes of N pwrite() calls of SIZE bytes, one every INTERVAL_US,
 * each pass started by a line on stdin (after it prints "ready"). Prints per pass the mean ns per call of each
 * tenth of the pass, then the median and p90: a capture's ring is written for the first time in the first
 * tenths (bench/ring-first-lap.ts). The calls overwrite a 16 MiB window cached before the first pass.
 * Build: cc -O2 -D_GNU_SOURCE -o paced_pwrite paced_pwrite.c */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WINDOW (16L << 20)

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s DIR SIZE N INTERVAL_US\n", argv[0]);
		return 2;
	}
	long size = atol(argv[2]), n = atol(argv[3]), interval_us = atol(argv[4]);
	if (size <= 0 || size > WINDOW || n < 10 || interval_us < 0) {
		fprintf(stderr, "%s: SIZE must be 1..%ld, N at least 10\n", argv[0], WINDOW);
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/paced_pwrite.%ld", argv[1], (long)getpid());
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
	char *buf = malloc((size_t)size);
	double *ns = malloc((size_t)n * sizeof *ns);
	if (fd < 0 || !buf || !ns) {
		perror(path);
		return 1;
	}
	memset(buf, 0xab, (size_t)size);
	long slots = WINDOW / size;
	for (long i = 0; i < slots; i++)
		if (pwrite(fd, buf, (size_t)size, i * size) != size) {
			perror("pwrite");
			return 1;
		}
	for (int pass = 0; pass < 2; pass++) {
		char line[16];
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof line, stdin))
			return 1;
		struct timespec next;
		clock_gettime(CLOCK_MONOTONIC, &next);
		for (long i = 0; i < n; i++) {
			for (long k = 0; k < size; k += 64)
				buf[k] = (char)(i + k); /* new bytes each time, as a page writer's buffer has */
			double t0 = now_ns();
			if (pwrite(fd, buf, (size_t)size, (i % slots) * size) != size) {
				perror("pwrite");
				return 1;
			}
			ns[i] = now_ns() - t0;
			next.tv_nsec += interval_us * 1000;
			next.tv_sec += next.tv_nsec / 1000000000;
			next.tv_nsec %= 1000000000;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, 0);
		}
		printf("tenths");
		for (int q = 0; q < 10; q++) {
			double sum = 0;
			for (long i = q * n / 10; i < (q + 1) * n / 10; i++)
				sum += ns[i];
			printf(" %.0f", sum / (double)((q + 1) * n / 10 - q * n / 10));
		}
		qsort(ns, (size_t)n, sizeof *ns, by_value);
		printf(" | median %.0f p90 %.0f\n", ns[n / 2], ns[n * 9 / 10]);
		fflush(stdout);
	}
	close(fd);
	unlink(path);
	return 0;
}
