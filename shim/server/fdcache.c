/* The descriptor cache: for each descriptor number, whether it is a regular file under a capture root and
 * its identity, valid for one capture (epoch) and one state of the namespace (nsgen). The wrappers forget a
 * number whenever it may change meaning (close, dup, fcntl). */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/real.h"
#include "server/capture.h"

struct fdent {
	_Atomic uint64_t tag; /* epoch << 32 | nsgen, 0 = empty */
	uint64_t dev, ino;
	uint32_t flags, pad;
};
static struct fdent *fdtab;
static unsigned fdtab_len;

int hb_under_roots(const char *abs, size_t len)
{
	struct hb_cb *cb = hb_cb;
	for (uint32_t i = 0; i < cb->nroots; i++) {
		size_t rl = cb->rootlen[i];
		/* "/data2/x" is not under "/data": the root must end at a separator. */
		if (len >= rl && memcmp(abs, cb->roots[i], rl) == 0 && (len == rl || abs[rl] == '/' || rl == 1))
			return 1;
	}
	return 0;
}

int hb_unjournaled(const char *abs, size_t len)
{
	struct hb_cb *cb = hb_cb;
	const char *e = cb->unjournaled, *end = e + cb->unjournaled_bytes;
	for (size_t el; e < end; e += el + 1) {
		el = strnlen(e, (size_t)(end - e));
		if (el > 0 && e[el - 1] == '*') {
			/* A prefix within the last name: "/d/binlog.0*" is not "/d/binlog.0/x". */
			if (len >= el - 1 && memcmp(abs, e, el - 1) == 0 && !memchr(abs + el - 1, '/', len - (el - 1)))
				return 1;
		} else if (len == el && memcmp(abs, e, el) == 0) {
			return 1;
		}
	}
	return 0;
}

int hb_captured(const char *abs, size_t len) { return hb_under_roots(abs, len) && !hb_unjournaled(abs, len); }

static int fd_resolve(int fd, struct hb_fdinfo *out)
{
	struct stat st;
	out->flags = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	char link[HB_FD_LINK], path[4096 + 16];
	hb_fd_link(link, fd);
	ssize_t len = readlink(link, path, sizeof path);
	if (len <= 0 || (size_t)len >= sizeof path)
		return 0;
	if (hb_captured(path, (size_t)len))
		out->flags |= HB_FD_TRACKED;
	int fl = REAL(fcntl64)(fd, F_GETFL);
	if (fl >= 0 && (fl & O_APPEND))
		out->flags |= HB_FD_APPEND;
	return (out->flags & HB_FD_TRACKED) != 0;
}

int hb_fd_lookup(int fd, struct hb_fdinfo *out)
{
	struct hb_cb *cb = hb_cb;
	uint64_t tag = (uint64_t)atomic_load(&cb->epoch) << 32 | atomic_load(&cb->nsgen);
	if (fd < 0)
		return 0;
	if ((unsigned)fd >= fdtab_len)
		return fd_resolve(fd, out);
	struct fdent *e = &fdtab[fd];
	if (atomic_load_explicit(&e->tag, memory_order_acquire) == tag) {
		out->dev = e->dev;
		out->ino = e->ino;
		out->flags = e->flags;
		return (out->flags & HB_FD_TRACKED) != 0;
	}
	int tracked = fd_resolve(fd, out);
	e->dev = out->dev;
	e->ino = out->ino;
	e->flags = out->flags;
	atomic_store_explicit(&e->tag, tag, memory_order_release);
	return tracked;
}

void hb_fd_forget(int fd)
{
	if (fd >= 0 && (unsigned)fd < fdtab_len)
		atomic_store_explicit(&fdtab[fd].tag, 0, memory_order_relaxed);
}

void hb_fd_forget_range(unsigned first, unsigned last)
{
	for (unsigned fd = first; fd <= last && fd < fdtab_len; fd++)
		atomic_store_explicit(&fdtab[fd].tag, 0, memory_order_relaxed);
}

void hb_fd_table_create(void)
{
	struct rlimit rl;
	/* Servers raise their soft limit after start, so size by the hard limit (pages appear on first use). */
	uint64_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_max : 65536;
	if (n > (1u << 20))
		n = 1u << 20;
	void *p = REAL(mmap64)(0, n * sizeof(struct fdent), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != MAP_FAILED) {
		fdtab = p;
		fdtab_len = (unsigned)n;
	}
}

