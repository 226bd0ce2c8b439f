/* The real libc functions behind every name the shim interposes, resolved once with dlsym(RTLD_NEXT).
 * The library exports its interposers under libc's own names (exports.map), so a plain call to one of
 * those names from anywhere in it binds to whichever definition the process found first: in a server that
 * preloads the shim, its own wrapper. So both halves call these through REAL(), never by name: the server's
 * wrappers to run the call they wrap, hb's code (hb/) so that it runs libc's call wherever the library
 * is loaded. test/shim/boundary.test.ts fails if an object file names one of them directly. */
#ifndef HB_REAL_H
#define HB_REAL_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define HB_REAL_FUNCS(X) \
	X(int, open, (const char *, int, ...)) \
	X(int, openat, (int, const char *, int, ...)) \
	X(ssize_t, write, (int, const void *, size_t)) \
	X(ssize_t, pwrite64, (int, const void *, size_t, off_t)) \
	X(ssize_t, writev, (int, const struct iovec *, int)) \
	X(ssize_t, pwritev64, (int, const struct iovec *, int, off_t)) \
	X(ssize_t, pwritev64v2, (int, const struct iovec *, int, off_t, int)) \
	X(ssize_t, pread64, (int, void *, size_t, off_t)) \
	X(int, ftruncate64, (int, off_t)) \
	X(int, truncate64, (const char *, off_t)) \
	X(int, fallocate64, (int, int, off_t, off_t)) \
	X(int, posix_fallocate64, (int, off_t, off_t)) \
	X(int, renameat2, (int, const char *, int, const char *, unsigned int)) \
	X(int, unlinkat, (int, const char *, int)) \
	X(int, mkdirat, (int, const char *, mode_t)) \
	X(int, linkat, (int, const char *, int, const char *, int)) \
	X(int, symlinkat, (const char *, int, const char *)) \
	X(int, close, (int)) \
	X(int, close_range, (unsigned int, unsigned int, int)) \
	X(void, closefrom, (int)) \
	X(int, dup, (int)) \
	X(int, dup2, (int, int)) \
	X(int, dup3, (int, int, int)) \
	X(int, fcntl64, (int, int, ...)) \
	X(ssize_t, copy_file_range, (int, off_t *, int, off_t *, size_t, unsigned int)) \
	X(ssize_t, sendfile64, (int, int, off_t *, size_t)) \
	X(void *, mmap64, (void *, size_t, int, int, int, off_t)) \
	X(int, fchmodat, (int, const char *, mode_t, int)) \
	X(int, fchmod, (int, mode_t))

#define HB_REAL_DECL(ret, name, args) ret(*name) args;
struct hb_real {
	HB_REAL_FUNCS(HB_REAL_DECL)
};
#undef HB_REAL_DECL

extern struct hb_real hb_real;
void hb_real_resolve(void);

/* Lazy fallback for calls that arrive before the constructor ran (another library's constructor). */
#define REAL(name) (__builtin_expect(hb_real.name != 0, 1) ? hb_real.name : (hb_real_resolve(), hb_real.name))

#endif
