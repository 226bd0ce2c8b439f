/* Prints what io_uring and libaio setup return, called the way MariaDB calls them (I6). */
#include <stdio.h>
#include <string.h>

int io_uring_queue_init(unsigned entries, void *ring, unsigned flags);
int io_setup(unsigned nr, void *ctx);
int io_destroy(unsigned long ctx);

int main(void)
{
	static char ring[4096];
	unsigned long ctx = 0;
	int u = io_uring_queue_init(8, ring, 0);
	int a = io_setup(8, &ctx);
	if (a == 0)
		io_destroy(ctx);
	printf("io_uring_queue_init=%d io_setup=%d\n", u, a);
	return 0;
}
