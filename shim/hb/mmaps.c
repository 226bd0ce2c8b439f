/* The files the server has mapped writable and shared during a capture, which hb copies again under the final
 * lock: the mappings /proc/PID/maps shows once the capture has begun, and every MAP record the drain sees after
 * (server/wrappers_unseen.c). As many as there are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysmacros.h>

#include "hb/ctl.h"

void hb_mmaps_reset(struct hb_ctl *c)
{
	pthread_mutex_lock(&c->ev_lock);
	c->maps_len = 0;
	pthread_mutex_unlock(&c->ev_lock);
}

/* Each file once. Called by the drain and by begin, never at once. */
void hb_mmaps_add(struct hb_ctl *c, uint64_t dev, uint64_t ino)
{
	pthread_mutex_lock(&c->ev_lock);
	size_t i = 0;
	while (i < c->maps_len && (c->maps[2 * i] != dev || c->maps[2 * i + 1] != ino))
		i++;
	if (i == c->maps_len) {
		if (c->maps_len == c->maps_cap) {
			size_t cap = c->maps_cap ? 2 * c->maps_cap : 64;
			uint64_t *p = realloc(c->maps, 2 * cap * sizeof *p);
			if (!p) {
				pthread_mutex_unlock(&c->ev_lock);
				hb_fail(c->cb, HB_E_JOURNAL_IO, ENOMEM);
				return;
			}
			c->maps = p;
			c->maps_cap = cap;
		}
		c->maps[2 * c->maps_len] = dev;
		c->maps[2 * c->maps_len + 1] = ino;
		c->maps_len++;
	}
	pthread_mutex_unlock(&c->ev_lock);
}

/* The server's writable shared file mappings now. After begin's barrier: a mapping made before it is here
 * (or was gone before this read, and with it every write through it, all before the copy reads); one made
 * after has its MAP record. -1 if the list cannot be read: then no mapping can be ruled out. */
int hb_mmaps_seed(struct hb_ctl *c)
{
	char path[64], line[4096 + 128], perms[8];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)c->cb->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long long start, end, offset, inode;
		unsigned major, minor;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &offset, &major, &minor, &inode) == 7 &&
		    perms[1] == 'w' && perms[3] == 's' && inode != 0)
			hb_mmaps_add(c, makedev(major, minor), inode);
	}
	fclose(f);
	return 0;
}

/* dev,ino pairs of the files with a writable shared mapping, at most max of them; returns how many there are. */
int hb_ctl_mmaps(struct hb_ctl *c, uint64_t *out, int max)
{
	pthread_mutex_lock(&c->ev_lock);
	size_t n = c->maps_len;
	for (size_t i = 0; i < n && i < (size_t)max; i++) {
		out[2 * i] = c->maps[2 * i];
		out[2 * i + 1] = c->maps[2 * i + 1];
	}
	pthread_mutex_unlock(&c->ev_lock);
	return (int)n;
}
