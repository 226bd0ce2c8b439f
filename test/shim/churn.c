/* Writes as fast as it can into DIR/churn (pwrite of 64 KiB at random offsets of a 4 MiB file), checking
 * every call, until SIGTERM. Prints its slowest call in microseconds at exit. Exit 3 if any call failed:
 * the shim must never make the server's own calls fail. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s, stop = 1; }

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	signal(SIGTERM, on_term);
	char path[4096];
	snprintf(path, sizeof path, "%s/churn", argv[1]);
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	static char buf[65536];
	memset(buf, 'c', sizeof buf);
	if (fd < 0 || ftruncate(fd, 4 << 20) != 0)
		return 3;
	printf("ready\n");
	fflush(stdout);
	double worst = 0;
	unsigned long calls = 0;
	while (!stop) {
		double t = now_us();
		ssize_t n = pwrite(fd, buf, sizeof buf, (off_t)(rand() % 64) * 65536);
		double d = now_us() - t;
		if (d > worst)
			worst = d;
		if (n != (ssize_t)sizeof buf) {
			perror("pwrite");
			return 3;
		}
		calls++;
	}
	printf("calls %lu worst_us %.0f\n", calls, worst);
	return 0;
}
