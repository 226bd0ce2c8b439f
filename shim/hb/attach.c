/* Finding a server's control block and mapping it: hb attaches through /proc/PID/fd, and refuses a block
 * that the shim did not make (docs/security.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/real.h"
#include "hb/ctl.h"

static int find_block_fd(int pid)
{
	char dir[64], link[384], target[256];
	snprintf(dir, sizeof dir, "/proc/%d/fd", pid);
	DIR *d = opendir(dir);
	if (!d)
		return -(errno == ENOENT ? HB_E_NOT_FOUND : HB_E_ACCESS);
	struct dirent *e;
	int found = -HB_E_NOT_FOUND;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
		ssize_t n = readlink(link, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strncmp(target, "/memfd:" HB_CB_NAME, sizeof "/memfd:" HB_CB_NAME - 1) == 0) {
			found = REAL(open)(link, O_RDWR | O_CLOEXEC);
			if (found < 0)
				found = -HB_E_ACCESS;
			break;
		}
	}
	closedir(d);
	return found;
}

/* Returns a context, or NULL with *err set to an enum hb_err. */
struct hb_ctl *hb_ctl_attach(int pid, int *err)
{
	int fd = find_block_fd(pid);
	if (fd < 0) {
		*err = -fd;
		return 0;
	}
	struct stat st, proc;
	char procdir[64];
	snprintf(procdir, sizeof procdir, "/proc/%d", pid);
	if (fstat(fd, &st) != 0 || stat(procdir, &proc) != 0) {
		REAL(close)(fd);
		*err = HB_E_ACCESS;
		return 0;
	}
	/* The block must belong to the server's user (or root) and be private to it: anything else was not made
	 * by the shim, or was tampered with, and hb would hand it a journal's worth of the server's writes. */
	if ((st.st_mode & 0777) != 0600 || (st.st_uid != proc.st_uid && st.st_uid != 0)) {
		REAL(close)(fd);
		*err = HB_E_OWNER;
		return 0;
	}
	if ((size_t)st.st_size < HB_CB_BYTES) {
		REAL(close)(fd);
		*err = HB_E_BAD_BLOCK;
		return 0;
	}
	size_t bytes = (size_t)st.st_size;
	struct hb_cb *cb = REAL(mmap64)(0, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cb == MAP_FAILED) {
		REAL(close)(fd);
		*err = HB_E_ACCESS;
		return 0;
	}
	if (cb->magic != HB_CB_MAGIC || cb->protocol != HB_PROTOCOL || cb->pid != pid ||
	    bytes < HB_CB_BYTES + cb->ring_max) {
		*err = cb->magic == HB_CB_MAGIC && cb->protocol != HB_PROTOCOL ? HB_E_PROTOCOL : HB_E_BAD_BLOCK;
		munmap(cb, bytes);
		REAL(close)(fd);
		return 0;
	}
	struct hb_ctl *c = calloc(1, sizeof *c);
	c->cb = cb;
	c->fd = fd;
	c->direct_fd = -1;
	c->map_bytes = bytes;
	c->journal_fd = -1;
	pthread_mutex_init(&c->ev_lock, 0);
	pthread_mutex_init(&c->nap_lock, 0);
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&c->nap_wake, &monotonic);
	pthread_condattr_destroy(&monotonic);
	*err = 0;
	return c;
}

void hb_ctl_detach(struct hb_ctl *c)
{
	if (!c)
		return;
	if (c->running)
		hb_ctl_end(c, 5000, 1);
	if (c->ring_used)
		hb_release_idle_ring(c);
	munmap(c->cb, c->map_bytes);
	REAL(close)(c->fd);
	free(c->buf);
	free(c->ev);
	free(c->maps);
	pthread_mutex_destroy(&c->ev_lock);
	pthread_mutex_destroy(&c->nap_lock);
	pthread_cond_destroy(&c->nap_wake);
	free(c);
}

