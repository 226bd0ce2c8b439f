/* Threads that write the same files at once, so the shim's locks must order what overlaps (shim/server/locks.c):
 *   overlap DIR THREADS DELAY_US
 * Every thread works on DIR/hot0 and DIR/hot1 (created by the test) until SIGTERM, with a mix that takes
 * both kinds of lock: writes at a named offset (pwrite, pwritev; short ones across 16 KiB stripe edges,
 * and ones longer than 2 MiB that lock the whole file), appends through an O_APPEND descriptor, truncates
 * and hole punches. Every write's bytes are stamped with its thread and sequence number, so a journal
 * replayed in the wrong order leaves bytes a test can see. Writes "ready" once every thread has begun.
 * At SIGTERM, a finale: the threads meet at a barrier before each of FINALE writes to one place (or appends
 * to one file), so the last writes to those bytes collide in time: only the last writes to a byte decide
 * what a replay leaves there. Then prints `ops N` (the calls before the finale, all threads) and exits 0.
 * Exit 3 if a call failed or came up short. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define FILES 2
#define HOT (256u << 10) /* where the short writes land: small, so that they often overlap */
#define SPAN (4u << 20) /* where the long writes land; truncates go to 2–6 MiB */
#define LONG ((2u << 20) + 40000u) /* longer than the stripes a write may lock one by one */

static _Atomic int stop; /* lock-free, so a signal handler may store it */
static void on_term(int s) { (void)s, stop = 1; }

#define FINALE 2000

static char dir[4096];
static pthread_barrier_t finale;
static unsigned delay_us; /* between a thread's calls: the journal of a few seconds stays in the hundreds of MiB */
static _Atomic unsigned long ops, started;
static _Atomic int failed;

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

static void stamp(unsigned char *buf, size_t n, unsigned t, unsigned long seq)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(t * 61 + seq * 7 + i / 512);
}

static int check(const char *what, ssize_t got, size_t want)
{
	if (got == (ssize_t)want)
		return 0;
	fprintf(stderr, "%s: got %zd of %zu\n", what, got, want);
	failed = 1;
	return -1;
}

static void *work(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	uint64_t rng = 0x9E3779B97F4A7C15ull * (t + 1);
	unsigned char *buf = malloc(LONG);
	int fds[FILES], appenders[FILES];
	if (!buf)
		exit(3); /* no thread may leave early: the others would wait at the finale's barrier */
	for (int f = 0; f < FILES; f++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/hot%d", dir, f);
		fds[f] = open(path, O_RDWR);
		appenders[f] = open(path, O_WRONLY | O_APPEND);
		if (fds[f] < 0 || appenders[f] < 0) {
			perror(path);
			exit(3);
		}
	}
	started++;
	for (unsigned long seq = 0; !stop && !failed; seq++) {
		unsigned pick = (unsigned)(next(&rng) % 100);
		int f = (int)(next(&rng) % FILES), fd = fds[f];
		off_t at = (off_t)(next(&rng) % HOT);
		size_t n = 1 + next(&rng) % 20000;
		if (pick < 70) {
			stamp(buf, n, t, seq);
			check("pwrite", pwrite(fd, buf, n, at), n);
		} else if (pick < 78) {
			stamp(buf, 3 * n, t, seq);
			struct iovec v[3] = {{buf, n}, {buf + n, n}, {buf + 2 * n, n}};
			check("pwritev", pwritev(fd, v, 3, at), 3 * n);
		} else if (pick < 79) {
			stamp(buf, LONG, t, seq);
			check("long pwrite", pwrite(fd, buf, LONG, (off_t)(next(&rng) % (SPAN - LONG))), LONG);
		} else if (pick < 93) {
			stamp(buf, n / 8, t, seq);
			check("append", write(appenders[f], buf, n / 8), n / 8);
		} else if (pick < 97) {
			if (ftruncate(fd, (off_t)(SPAN / 2 + next(&rng) % SPAN)) != 0)
				check("ftruncate", -1, 0);
		} else if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, (off_t)n) != 0) {
			check("punch hole", -1, 0);
		}
		ops++;
		if (delay_us)
			usleep(delay_us);
	}
	for (unsigned r = 0; r < FINALE; r++) {
		size_t n = 4096 + next(&rng) % 4096;
		stamp(buf, n, t, r);
		pthread_barrier_wait(&finale);
		if (r % 4 == 3) /* appends collide too: each must be journaled where it landed */
			check("finale append", write(appenders[r % FILES], buf, n / 16), n / 16);
		else
			check("finale pwrite", pwrite(fds[r % FILES], buf, n, (off_t)(r * 8192 + next(&rng) % 512)), n);
	}
	for (int f = 0; f < FILES; f++)
		close(fds[f]), close(appenders[f]);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4 || strlen(argv[1]) >= sizeof dir)
		return 2;
	strcpy(dir, argv[1]);
	unsigned threads = (unsigned)atoi(argv[2]);
	delay_us = (unsigned)atoi(argv[3]);
	if (threads < 1 || threads > 16)
		return 2;
	signal(SIGTERM, on_term);
	pthread_barrier_init(&finale, 0, threads);
	pthread_t tids[16];
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1u << 20);
	for (unsigned t = 0; t < threads; t++)
		pthread_create(&tids[t], &attr, work, (void *)(uintptr_t)t);
	while (started < threads && !failed)
		usleep(1000);
	printf("ready\n");
	fflush(stdout);
	for (unsigned t = 0; t < threads; t++)
		pthread_join(tids[t], 0);
	printf("ops %lu\n", (unsigned long)ops);
	return failed ? 3 : 0;
}
