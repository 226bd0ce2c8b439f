/* Server side set-up: when preloaded, create the control block and the descriptor cache at start. When
 * loaded by dlopen (the CLI), do nothing: the library then only offers the control API. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "real.h"

HB_HIDDEN struct hb_cb *hb_cb;

struct fdent {
	_Atomic uint64_t tag; /* epoch << 32 | nsgen, 0 = empty */
	uint64_t dev, ino;
	uint32_t flags, pad;
};
static struct fdent *fdtab;
static unsigned fdtab_len;

/* Inode locks order the journal records of changes to the same bytes as the changes landed. A write at a
 * known offset takes its inode's lock shared plus a mutex per 16 KiB stripe it touches, so the server's
 * page writers run in parallel on one file while overlapping writes still take turns. Whatever depends on
 * the file's size or position (appends, writes at the descriptor's position, size changes, copies, very
 * long writes) takes the inode's lock exclusive. An inode's stripes are consecutive slots from a hashed
 * base and are always taken in ascending slot order, so no two callers ever wait on each other in a circle.
 * Writer-preferring: a size change is not starved by a stream of page writes. */
#define INODE_LOCK_BITS 8
#define INODE_LOCKS (1 << INODE_LOCK_BITS)
#define STRIPE_SHIFT 14
#define STRIPE_SLOTS 1024u
#define STRIPE_MAX 128u /* stripes (2 MiB) a write may lock one by one; a longer one goes exclusive */
static pthread_rwlock_t inode_locks[INODE_LOCKS] = {[0 ... INODE_LOCKS - 1] = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP};
static struct {
	pthread_mutex_t m;
} __attribute__((aligned(64))) stripes[STRIPE_SLOTS] = {[0 ... STRIPE_SLOTS - 1] = {PTHREAD_MUTEX_INITIALIZER}};
static pthread_mutex_t ns_mutex = PTHREAD_MUTEX_INITIALIZER;

uint64_t hb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hb_fail(struct hb_cb *cb, enum hb_err err, int eno)
{
	uint32_t none = HB_E_NONE;
	if (atomic_compare_exchange_strong(&cb->error, &none, err))
		atomic_store(&cb->error_errno, eno);
	uint32_t s = atomic_load(&cb->state);
	while ((s == HB_ACTIVE || s == HB_ENDING) &&
	       !atomic_compare_exchange_weak(&cb->state, &s, err == HB_E_LEASE ? HB_EXPIRED : HB_FAILED))
		;
}

int hb_lease_ok(struct hb_cb *cb)
{
	uint64_t beat = atomic_load_explicit(&cb->heartbeat_ns, memory_order_relaxed);
	if (hb_now_ns() - beat <= cb->lease_ns)
		return 1;
	hb_fail(cb, HB_E_LEASE, 0);
	return 0;
}

static uint64_t hash_inode(uint64_t dev, uint64_t ino) { return (ino * 0x9E3779B97F4A7C15ull) ^ (dev * 0xC2B2AE3D27D4EB4Full); }
static pthread_rwlock_t *inode_lock_of(uint64_t dev, uint64_t ino) { return &inode_locks[hash_inode(dev, ino) >> (64 - INODE_LOCK_BITS)]; }

/* A server thread cancelled inside the real call (a cancellation point) would unwind out of the wrapper with
 * the lock held, and every later journaled call on that inode would wait for good. So cancellation waits
 * while a shim lock is held: a cancel is acted on at the thread's next cancellation point after it. */
static int hold_cancel(void)
{
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	return old;
}

static void release_cancel(int old)
{
	int ignored;
	pthread_setcancelstate(old, &ignored);
}

/* count slots of the stripe table from first, wrapping past its end, taken in ascending slot order. */
static void stripes_lock(uint32_t first, uint32_t count)
{
	uint32_t end = first + count;
	for (uint32_t i = 0; end > STRIPE_SLOTS && i < end - STRIPE_SLOTS; i++)
		pthread_mutex_lock(&stripes[i].m);
	for (uint32_t i = first; i < end && i < STRIPE_SLOTS; i++)
		pthread_mutex_lock(&stripes[i].m);
}

void hb_range_lock(struct hb_range_lock *l, uint64_t dev, uint64_t ino, int64_t off, uint64_t len)
{
	l->cancel = hold_cancel();
	l->inode = inode_lock_of(dev, ino);
	l->count = 0;
	uint64_t last = len ? len - 1 : 0;
	if (off < 0 || last > (uint64_t)INT64_MAX - (uint64_t)off ||
	    ((uint64_t)off + last) >> STRIPE_SHIFT >= ((uint64_t)off >> STRIPE_SHIFT) + STRIPE_MAX) {
		pthread_rwlock_wrlock(l->inode); /* where it lands moves, the call fails anyway, or it is very long */
		return;
	}
	uint64_t s0 = (uint64_t)off >> STRIPE_SHIFT, s1 = ((uint64_t)off + last) >> STRIPE_SHIFT;
	l->first = (uint32_t)((hash_inode(dev, ino) + s0) % STRIPE_SLOTS);
	l->count = (uint32_t)(s1 - s0 + 1);
	pthread_rwlock_rdlock(l->inode);
	stripes_lock(l->first, l->count);
}

void hb_range_unlock(struct hb_range_lock *l)
{
	for (uint32_t i = 0; i < l->count; i++)
		pthread_mutex_unlock(&stripes[(l->first + i) % STRIPE_SLOTS].m);
	pthread_rwlock_unlock(l->inode);
	release_cancel(l->cancel);
}

int hb_ns_lock(void)
{
	int cancel = hold_cancel();
	pthread_mutex_lock(&ns_mutex);
	return cancel;
}

void hb_ns_unlock(int cancel)
{
	pthread_mutex_unlock(&ns_mutex);
	release_cancel(cancel);
}

void hb_fd_link(char *out, int fd)
{
	char digits[12];
	int d = 0, n = 14;
	memcpy(out, "/proc/self/fd/", 14);
	for (unsigned v = (unsigned)fd; d == 0 || v > 0; v /= 10)
		digits[d++] = (char)('0' + v % 10);
	while (d > 0)
		out[n++] = digits[--d];
	out[n] = 0;
}

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
	if (hb_under_roots(path, (size_t)len))
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
	char name[32] = "hb-ctl";
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

static void create_fd_table(void)
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

__attribute__((constructor)) static void hb_shim_init(void)
{
	hb_real_resolve();
	const char *off = getenv("HB_SHIM_DISABLE");
	if ((off && *off && *off != '0') || !interposing())
		return;
	create_fd_table();
	struct hb_cb *cb = create_control_block();
	if (!cb)
		return; /* no capture possible, but the server runs unharmed */
	pthread_atfork(0, 0, after_fork_child);
	hb_cb = cb;
}
