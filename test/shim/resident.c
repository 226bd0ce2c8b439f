/* resident PATH: prints how many bytes of PATH are in the page cache (mincore over a read-only mapping). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	int fd = argc == 2 ? open(argv[1], O_RDONLY) : -1;
	if (fd < 0 || fstat(fd, &st) != 0)
		return perror("resident"), 2;
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = ((size_t)st.st_size + (size_t)page - 1) / (size_t)page, in = 0;
	if (pages) {
		void *map = mmap(0, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		unsigned char *vec = malloc(pages);
		if (map == MAP_FAILED || !vec || mincore(map, (size_t)st.st_size, vec) != 0)
			return perror("resident"), 2;
		for (size_t i = 0; i < pages; i++)
			in += vec[i] & 1;
	}
	printf("%zu\n", in * (size_t)page);
	return 0;
}
