/* flush-after-burst MIB [DIR] — is there a write cache below this machine's disk, and who pays for emptying it?
 * Writes MIB MiB with O_DIRECT to DIR/burst as fast as it can, then times 16 KiB O_DIRECT|O_DSYNC writes to
 * DIR/sync (a redo log's group commits) back to back for 2 s: prints the burst's time, the first five syncs'
 * latencies and the mean of each 100 ms of the first second, in microseconds. On a VM whose disk is a file
 * on the host, the burst lands in the host's cache and the next sync waits while the host writes it out
 * (docs/benchmarks.md, 2026-12-02 evening). Build: cc -O2 -o flush-after-burst flush-after-burst.c */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1L << 20)
#define SYNC_BYTES 16384
#define SYNC_SPAN (64L << 20) /* the sync file's writes go round this span */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int open_in(const char *dir, const char *name, int flags)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_DIRECT | flags, 0600);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: flush-after-burst MIB [DIR]\n");
		return 2;
	}
	long mib = atol(argv[1]);
	const char *dir = argc > 2 ? argv[2] : ".";
	int burst = open_in(dir, "burst", 0), sync = open_in(dir, "sync", O_DSYNC);
	void *buf;
	if (posix_memalign(&buf, 4096, MIB) != 0)
		return 1;
	memset(buf, 0x5a, MIB);
	double t0 = now_s();
	for (long i = 0; i < mib; i++)
		if (pwrite(burst, buf, MIB, i * MIB) != MIB) {
			perror("burst");
			return 1;
		}
	printf("burst %ld MiB in %.0f ms; syncs:", mib, (now_s() - t0) * 1e3);
	double start = now_s(), bucket = start, sum = 0;
	long n = 0, count = 0, off = 0;
	while (now_s() - start < 2) {
		double a = now_s();
		if (pwrite(sync, buf, SYNC_BYTES, off) != SYNC_BYTES) {
			perror("sync");
			return 1;
		}
		double us = (now_s() - a) * 1e6;
		off = (off + SYNC_BYTES) % SYNC_SPAN;
		if (count++ < 5)
			printf(" %.0f", us);
		sum += us;
		n++;
		if (now_s() - bucket >= 0.1) {
			if (now_s() - start < 1.05)
				printf(" |%.0f", sum / (double)n);
			sum = 0;
			n = 0;
			bucket = now_s();
		}
	}
	printf("\n");
	return 0;
}
