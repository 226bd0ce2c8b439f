/* What hb calls in the library, through bun:ffi: the control API (attach to a server's shim, begin and end
 * a capture, read its state), the copy pool, a few file calls and CRC32C. None of it runs in the server. The
 * TypeScript bindings: src/shim/control-ffi.ts, src/shim/pool-ffi.ts, src/libc.ts and src/shim/crc-ffi.ts;
 * the enums they read: src/shim/abi.ts (test/unit/shim-abi.test.ts holds them to this header). */
#ifndef HB_HB_API_H
#define HB_HB_API_H

#include <stdint.h>

#include "common/common.h"

struct hb_ctl;
struct hb_pool;
struct hb_unread;

/* What hb_ctl_stat fills in, slot by slot. */
enum hb_stat_slot {
	HB_STAT_STATE,            /* enum hb_state */
	HB_STAT_ERROR,            /* enum hb_err: the capture's first error */
	HB_STAT_ERRNO,            /* ...and its errno */
	HB_STAT_EPOCH,            /* captures begun on this block */
	HB_STAT_HEAD,             /* ring stream position reserved so far */
	HB_STAT_TAIL,             /* ...and drained */
	HB_STAT_RECORDS,          /* records journaled in this capture */
	HB_STAT_DATA_BYTES,       /* ...their bytes of written data */
	HB_STAT_NS_RECORDS,       /* ...of them namespace records */
	HB_STAT_RING_WAITS,       /* writers that found the ring full and waited */
	HB_STAT_JOURNAL_BYTES,    /* journal bytes the drain holds or has written */
	HB_STAT_MMAP_COUNT,       /* writable shared mappings of files under the roots seen (hb_ctl_mmaps) */
	HB_STAT_PID,              /* the server's */
	HB_STAT_UID,
	HB_STAT_PROTOCOL,         /* HB_PROTOCOL of the shim that made the block */
	HB_STAT_RING_BYTES,       /* the ring's size in this capture */
	HB_STAT_HEARTBEAT_AGE_MS, /* since hb's drain last beat */
	HB_STAT_OWNER_PID,        /* the hb running the capture */
	HB_STAT_UNREAD_SKIPS,     /* writes left out: the copy reads them */
	HB_STAT_UNREAD_BYTES,     /* ...their bytes */
	HB_STAT_SLOTS
};

/* The control API (hb/attach.c, capture.c, drain.c, info.c, mmaps.c, unread.c). Codes are enum hb_err. */
HB_EXPORT struct hb_ctl *hb_ctl_attach(int pid, int *err);
HB_EXPORT void hb_ctl_detach(struct hb_ctl *c);
HB_EXPORT int hb_ctl_begin(struct hb_ctl *c, const char *roots, const char *unjournaled, uint64_t ring_bytes,
			   uint32_t lease_ms, uint32_t max_wait_ms, int journal_fd);
HB_EXPORT int hb_ctl_end(struct hb_ctl *c, uint32_t timeout_ms, int abort);
HB_EXPORT uint64_t hb_ctl_head(struct hb_ctl *c);
HB_EXPORT int hb_ctl_stat(struct hb_ctl *c, uint64_t *out, int n);
HB_EXPORT int hb_ctl_events(struct hb_ctl *c, uint8_t *buf, int cap);
HB_EXPORT int hb_ctl_mmaps(struct hb_ctl *c, uint64_t *out, int max);
HB_EXPORT int hb_ctl_unread_add(struct hb_ctl *c, const uint64_t *files, int n);
HB_EXPORT struct hb_unread *hb_ctl_unread_slot(struct hb_ctl *c, uint64_t dev, uint64_t ino);
HB_EXPORT void hb_ctl_unread_close(struct hb_unread *u);
HB_EXPORT const char *hb_strerror(int code);

/* The copy pool (hb/pool.c). */
HB_EXPORT struct hb_pool *hb_pool_new(int threads, uint64_t rate, int gentle, uint64_t direct_min);
HB_EXPORT int hb_pool_submit_ranges(struct hb_pool *p, uint64_t id, int src, int dst, const uint64_t *ranges,
				   int nranges, struct hb_unread *unread);
HB_EXPORT int hb_pool_poll(struct hb_pool *p, uint64_t *out, int max);
HB_EXPORT uint64_t hb_pool_bytes(struct hb_pool *p);
HB_EXPORT void hb_pool_set_rate(struct hb_pool *p, uint64_t rate);
HB_EXPORT void hb_pool_gentle(struct hb_pool *p, int on);
HB_EXPORT void hb_pool_direct_writes(struct hb_pool *p, int on);
HB_EXPORT void hb_pool_pause(struct hb_pool *p, int on);
HB_EXPORT void hb_pool_cancel(struct hb_pool *p);
HB_EXPORT void hb_pool_free(struct hb_pool *p);

/* File calls (hb/files.c): each returns -errno on failure. */
HB_EXPORT int hb_openat(int dirfd, const char *name, int flags);
HB_EXPORT int hb_close(int fd);
HB_EXPORT int hb_fstat(int fd, uint64_t *out);
HB_EXPORT int hb_lstatat(int dirfd, const char *name, uint64_t *out);
HB_EXPORT int hb_readlinkat(int dirfd, const char *name, char *buf, int cap);
HB_EXPORT int hb_punch_hole(int fd, int64_t off, int64_t len);
HB_EXPORT int hb_syncfs(int fd);
HB_EXPORT int hb_start_writeback(int fd, int64_t off, int64_t len);
HB_EXPORT int hb_try_lock(int fd);
HB_EXPORT int64_t hb_file_crc32c(int fd, uint64_t n);

/* CRC32C (Castagnoli, hb/crc32c.c), continued from crc: hb_crc32c(0, buf, n) for a fresh one. The drain stamps
 * records with it; prepare and verify check them and the copies through src/shim/crc-ffi.ts. */
HB_EXPORT uint32_t hb_crc32c(uint32_t crc, const void *buf, size_t n);

#endif
