/* What both halves of the library use: its one export macro, the clock, failing a capture, naming a
 * descriptor's /proc link. The library is one file: the server preloads it (server/), hb loads the
 * same file through bun:ffi and calls only the API in hb/api.h (hb/). */
#ifndef HB_COMMON_H
#define HB_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"

/* Everything else is hidden (-fvisibility=hidden) and exports.map lists what the library exports. */
#define HB_EXPORT __attribute__((visibility("default")))
/* Declared hidden, a call between the library's files is direct (no PLT). */
#define HB_HIDDEN __attribute__((visibility("hidden")))

HB_HIDDEN uint64_t hb_now_ns(void); /* CLOCK_MONOTONIC */

/* Records the capture's first error and ends it (FAILED, or EXPIRED for a lease that ran out). */
HB_HIDDEN void hb_fail(struct hb_cb *cb, enum hb_err err, int eno);

/* "/proc/self/fd/N" without snprintf (no locale, no allocation, async-signal-safe). */
#define HB_FD_LINK 32
HB_HIDDEN void hb_fd_link(char *out, int fd);

#endif
