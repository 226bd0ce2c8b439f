/* page-touch [MIB] — what a page the kernel hands out costs on this machine: maps MIB (default 1024) of
 * anonymous memory, writes one byte per 4 KiB page, and prints the mean time per page, the slowest, and how
 * many took over 100 µs and over 1 ms; then does it again at once, in the pages the first pass just freed.
 * In a VM whose guest reports free memory to the host (virtio-balloon free page reporting), a page the host
 * took back is faulted in again by the host on its first touch; the second pass reuses pages the guest has
 * not reported yet. The page cache draws on the same free pages (docs/throttle.md, "Past the page cache").
 * Build: cc -O2 -o page-touch page-touch.c */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void pass(const char *what, size_t bytes)
{
	char *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	double start = now_ns(), worst = 0;
	long over_100us = 0, over_1ms = 0;
	for (size_t off = 0; off < bytes; off += 4096) {
		double t = now_ns();
		p[off] = 1;
		double d = now_ns() - t;
		worst = d > worst ? d : worst;
		over_100us += d > 1e5;
		over_1ms += d > 1e6;
	}
	double total = now_ns() - start;
	printf("%s: %.0f ns/page, slowest %.2f ms, over 100 us %ld, over 1 ms %ld (%zu pages)\n", what, total / (double)(bytes / 4096),
	       worst / 1e6, over_100us, over_1ms, bytes / 4096);
	munmap(p, bytes);
}

int main(int argc, char **argv)
{
	size_t bytes = (size_t)(argc > 1 ? atol(argv[1]) : 1024) << 20;
	pass("fresh pages", bytes);
	pass("just freed ", bytes);
}
