/* Inode locks order the journal records of changes to the same bytes as the changes landed. A write at a
 * known offset takes its inode's lock shared plus a mutex per 16 KiB stripe it touches, so the server's
 * page writers run in parallel on one file while overlapping writes still take turns. Whatever depends on
 * the file's size or position (appends, writes at the descriptor's position, size changes, copies, very
 * long writes) takes the inode's lock exclusive. An inode's stripes are consecutive slots from a hashed
 * base and are always taken in ascending slot order, so no two callers ever wait on each other in a circle.
 * Writer-preferring: a size change is not starved by a stream of page writes. Namespace changes take one
 * mutex of their own. */
#include <pthread.h>
#include <stdint.h>

#include "server/capture.h"

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

