/* The writes the shim cannot journal: through a writable shared mapping (named to hb, which copies those
 * files again under the final lock) and through asynchronous I/O (whose setup is refused). */
#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>

#include "common/real.h"
#include "server/capture.h"

/* Writes through a shared writable mapping cannot be seen (I7): a MAP record tells hb, which copies the file
 * again under the final lock (or refuses, in raw mode). The journal holds any number of them; the mappings
 * made before the capture began, hb reads from /proc/PID/maps once it has begun (hb/mmaps.c). */
HB_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct hb_guard g = {0};
	struct hb_fdinfo fi;
	int shared_write = fd >= 0 && (prot & PROT_WRITE) && (flags & MAP_SHARED);
	int tracked = shared_write && hb_enter(&g) && hb_fd_lookup(fd, &fi);
	void *p = REAL(mmap64)(addr, len, prot, flags, fd, off);
	if (tracked && p != MAP_FAILED) {
		int e = errno;
		hb_j_simple(HB_REC_MAP, fi.dev, fi.ino, 0, 0, 0);
		errno = e;
	}
	hb_leave(&g);
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
