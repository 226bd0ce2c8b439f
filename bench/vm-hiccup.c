/* vm-hiccup [MS] — a thread per CPU, pinned and SCHED_FIFO, sleeps 1 ms at a time and prints every wake-up
 * that came more than MS (default 30) late: `cpu N at EPOCH_MS late X ms`. A guest task at that priority
 * runs within microseconds of its timer, so a late wake-up on one CPU means that vCPU did not run (the host
 * held it); on every CPU at the same instant, the whole VM was paused. Run it beside a trace and compare its
 * times with the server's slow seconds (docs/throttle.md, "Past the page cache").
 * Build: cc -O2 -pthread -o vm-hiccup vm-hiccup.c (root, for SCHED_FIFO). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long late_ns;

static long elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}

static void *watch(void *arg)
{
	int cpu = (int)(long)arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	struct sched_param sp = {.sched_priority = 1};
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	for (;;) {
		struct timespec before, after, nap = {0, 1000000}, wall;
		clock_gettime(CLOCK_MONOTONIC, &before);
		clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, 0);
		clock_gettime(CLOCK_MONOTONIC, &after);
		long late = elapsed_ns(&before, &after) - nap.tv_nsec;
		if (late > late_ns) {
			clock_gettime(CLOCK_REALTIME, &wall);
			printf("cpu %d at %lld late %.1f ms\n", cpu, wall.tv_sec * 1000LL + wall.tv_nsec / 1000000, late / 1e6);
			fflush(stdout);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	late_ns = (long)((argc > 1 ? atof(argv[1]) : 30) * 1e6);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (long i = 0; i < cpus; i++) {
		pthread_t t;
		pthread_create(&t, 0, watch, (void *)i);
	}
	pause();
}
