/* The server's side starts here: when preloaded, create the control block and the descriptor cache at
 * start. When loaded by dlopen (hb itself), do nothing: the library then only offers the API in hb/api.h. */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/real.h"
#include "server/capture.h"

HB_HIDDEN struct hb_cb *hb_cb;

static void after_fork_child(void)
{
	/* A child shares the mapping but is not the server: it must not journal into the server's ring. */
	hb_cb = 0;
}

/* Is one of the ' '/':'-separated paths in list our own file? */
static int listed(const char *list, const struct stat *self)
{
	char path[4096];
	while (list && *list) {
		size_t n = strcspn(list, " :\t\n");
		if (n > 0 && n < sizeof path) {
			struct stat st;
			memcpy(path, list, n);
			path[n] = 0;
			if (stat(path, &st) == 0 && st.st_dev == self->st_dev && st.st_ino == self->st_ino)
				return 1;
		}
		list += n;
		list += strspn(list, " :\t\n");
	}
	return 0;
}

/* True when we were preloaded (LD_PRELOAD or /etc/ld.so.preload), not dlopened by the CLI. Another
 * preloaded interposer (AddressSanitizer, say) may come first in the chain: that is fine. */
static int interposing(void)
{
	Dl_info mine;
	struct stat self;
	if (!dladdr((void *)interposing, &mine) || !mine.dli_fname || stat(mine.dli_fname, &self) != 0)
		return 0;
	if (listed(getenv("LD_PRELOAD"), &self))
		return 1;
	char buf[4096];
	int fd = REAL(open)("/etc/ld.so.preload", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	REAL(close)(fd);
	buf[n > 0 ? n : 0] = 0;
	return listed(buf, &self);
}

static struct hb_cb *create_control_block(void)
{
	char name[32] = HB_CB_NAME;
	int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t bytes = HB_CB_BYTES + HB_RING_MAX;
	void *p = MAP_FAILED;
	if (REAL(fchmod)(fd, 0600) == 0 && REAL(ftruncate64)(fd, (off_t)bytes) == 0)
		p = REAL(mmap64)(0, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		REAL(close)(fd);
		return 0;
	}
	/* The descriptor stays open: it is how the CLI finds the block, through /proc/PID/fd. */
	struct hb_cb *cb = p;
	cb->protocol = HB_PROTOCOL;
	cb->cb_bytes = sizeof *cb;
	cb->pid = getpid();
	cb->uid = geteuid();
	cb->ring_max = HB_RING_MAX;
	atomic_store(&cb->state, HB_IDLE);
	atomic_store(&cb->magic, HB_CB_MAGIC);
	return cb;
}

__attribute__((constructor)) static void hb_shim_init(void)
{
	hb_real_resolve();
	const char *off = getenv("HB_SHIM_DISABLE");
	if ((off && *off && *off != '0') || !interposing())
		return;
	hb_fd_table_create();
	struct hb_cb *cb = create_control_block();
	if (!cb)
		return; /* no capture possible, but the server runs unharmed */
	pthread_atfork(0, 0, after_fork_child);
	hb_cb = cb;
}
