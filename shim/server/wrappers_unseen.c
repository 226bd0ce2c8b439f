/* The writes the shim cannot journal: through a writable shared mapping (flagged for hb, which copies those
 * files again under the final lock) and through asynchronous I/O (whose setup is refused). */
#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/real.h"
#include "server/capture.h"

/* Writes through a shared writable mapping cannot be seen (I7): remember which files have one, so the CLI
 * can re-copy them under the final lock (or refuse, in raw mode). Kept even when idle: mappings outlive it. */
static void flag_mapping(int fd)
{
	struct hb_cb *cb = hb_cb;
	struct stat st;
	if (!cb || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	uint32_t n = atomic_load(&cb->mmap_count);
	for (uint32_t i = 0; i < n && i < HB_MMAP_SLOTS; i++)
		if (atomic_load(&cb->mmaps[i].dev) == st.st_dev && atomic_load(&cb->mmaps[i].ino) == st.st_ino)
			return;
	uint32_t slot = atomic_fetch_add(&cb->mmap_count, 1);
	if (slot >= HB_MMAP_SLOTS) {
		atomic_store(&cb->mmap_overflow, 1);
		return;
	}
	atomic_store(&cb->mmaps[slot].dev, st.st_dev);
	atomic_store(&cb->mmaps[slot].ino, st.st_ino);
}

HB_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = REAL(mmap64)(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && fd >= 0 && (prot & PROT_WRITE) && (flags & MAP_SHARED)) {
		int e = errno;
		flag_mapping(fd);
		errno = e;
	}
	return p;
}
HB_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) { return mmap64(addr, len, prot, flags, fd, off); }

/* I6: completions of io_uring and libaio writes are not seen by the shim. Refusing their setup makes the
 * server fall back to synchronous writes. With the shim disabled, the real functions run. */
#define HB_REFUSE(ret, name, params, args, refusal)                      \
	HB_EXPORT ret name params                                         \
	{                                                                 \
		if (!hb_cb) {                                             \
			ret(*next) params = (ret(*) params)dlsym(RTLD_NEXT, #name); \
			if (next)                                         \
				return next args;                         \
		}                                                         \
		refusal;                                                  \
	}
HB_REFUSE(int, io_uring_queue_init, (unsigned entries, void *ring, unsigned flags), (entries, ring, flags), return -ENOSYS)
HB_REFUSE(int, io_uring_queue_init_params, (unsigned entries, void *ring, void *p), (entries, ring, p), return -ENOSYS)
HB_REFUSE(int, io_uring_setup, (unsigned entries, void *p), (entries, p), errno = ENOSYS; return -1)
HB_REFUSE(int, io_setup, (unsigned nr, void *ctx), (nr, ctx), return -ENOSYS)
