/* The control block: shared memory (a memfd) that the shim creates in the server at start. hb maps it
 * through /proc/PID/fd to begin and end captures; the shim's wrappers read it on every call. This is the
 * protocol between the two sides; src/shim/abi.ts mirrors its enums (test/unit/shim-abi.test.ts). */
#ifndef HB_CONTROL_H
#define HB_CONTROL_H

#include <stdatomic.h>
#include <stdint.h>

#include "record.h"

#define HB_CB_NAME "hb-ctl" /* the memfd's name: /proc/PID/fd/N links to "/memfd:hb-ctl (deleted)" */
#define HB_CB_MAGIC 0x314c544342484248ull /* "HBHBCTL1" */
#define HB_CB_BYTES (256u << 10)          /* the control block proper; the ring follows it */
#define HB_RING_MAX (256ull << 20)        /* sparse: pages exist only while a capture uses them */
#define HB_RING_MIN (4ull << 20)
#define HB_MAX_ROOTS 8
#define HB_ROOT_MAX 1024
#define HB_STRIPES 64 /* barrier counters, one cache line each, picked by CPU */
#define HB_UNREAD_SLOTS 4096 /* files the copier has promised to read (docs/capture.md); a power of two */
#define HB_UNREAD_PROBES 32
#define HB_UNJOURNALED_BYTES (32u << 10) /* room for the paths a capture leaves out (hb_cb.unjournaled) */

enum hb_state {
	HB_IDLE = 0,
	HB_ACTIVE = 1,
	HB_FAILED = 2,  /* ended by an error; cb->error says which */
	HB_EXPIRED = 3, /* ended because the CLI's heartbeat stopped */
	HB_STARTING = 4, /* hb is setting up a capture (or releasing the ring after one) */
	HB_ENDING = 5, /* the CLI is ending it: no new call is journaled, and calls that saw it active finish theirs */
};

enum hb_err {
	HB_E_NONE = 0,
	HB_E_RING_FULL = 1,  /* the CLI did not drain the ring within max_wait */
	HB_E_JOURNAL_IO = 2, /* the CLI could not write the journal (errno in error_errno) */
	HB_E_LEASE = 3,      /* heartbeat stopped */
	HB_E_BARRIER = 4,    /* calls in flight did not finish in time */
	HB_E_BUSY = 5,       /* another capture is active */
	HB_E_SOURCE = 6,     /* could not read back data for copy_file_range/sendfile */
	HB_E_PATH = 7,       /* a path under the roots was too long to journal */
	HB_E_NOT_FOUND = 8,  /* no shim control block in that process */
	HB_E_ACCESS = 9,     /* control block exists but we may not open it, or it has the wrong owner/mode */
	HB_E_PROTOCOL = 10,  /* control block of another protocol version */
	HB_E_ARGS = 11,      /* bad arguments to the API */
	HB_E_ENDED = 12,     /* capture ended while the end barrier ran: records after the end */
	HB_E_OWNER = 13,     /* a block named hb-ctl with another owner or a mode other than 0600: refused */
	HB_E_BAD_BLOCK = 14, /* a block named hb-ctl that is not a control block (size, magic, pid) */
	HB_E_MAPS = 15,      /* could not read the server's mappings (/proc/PID/maps) */
};

struct hb_stripe {
	_Atomic int64_t n;
	char pad[56];
};

/* A file the copier will read later: a write that lands wholly in [from, limit) needs no record, because
 * the copy will read it. The window only ever shrinks: the copier raises from (before it reads a chunk),
 * the server raises from or lowers limit (before a change it journals there), so no byte that was once
 * journaled is ever skipped afterwards. */
struct hb_unread {
	_Atomic uint64_t ino; /* 0: free; stored last, when the slot is filled */
	uint64_t dev;
	_Atomic uint64_t from;
	_Atomic uint64_t limit;
};

struct hb_cb {
	uint64_t magic;
	uint32_t protocol, cb_bytes;
	int32_t pid;
	uint32_t uid;
	uint64_t ring_max;

	_Atomic uint32_t state;
	_Atomic uint32_t epoch;  /* capture number: fd cache entries from older captures are stale */
	_Atomic uint32_t nsgen;  /* bumped by every journaled namespace change: cached fd paths are stale */
	_Atomic uint32_t phase;  /* which stripe set new calls count themselves in (barrier) */
	_Atomic uint32_t error;  /* enum hb_err, first error of the current capture */
	_Atomic int32_t error_errno;
	_Atomic int32_t owner_pid; /* the CLI running the capture */
	uint32_t pad0;

	_Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC of the CLI's last beat */
	uint64_t lease_ns, max_wait_ns;

	uint64_t ring_cap;
	_Atomic uint64_t head; /* stream position reserved so far */
	_Atomic uint64_t tail; /* stream position drained so far */

	_Atomic uint64_t c_records, c_data_bytes, c_ns_records, c_ring_waits, c_calls_active;

	uint32_t nroots;
	uint32_t rootlen[HB_MAX_ROOTS];
	char roots[HB_MAX_ROOTS][HB_ROOT_MAX];

	struct hb_stripe inflight[2][HB_STRIPES];

	_Atomic uint32_t unread_used; /* slots filled in this capture */
	uint32_t pad1;
	_Atomic uint64_t c_unread_skips, c_unread_bytes; /* writes left out because the copy reads them */
	struct hb_unread unread[HB_UNREAD_SLOTS];

	/* Files under the roots whose changes this capture does not journal, because the backup leaves them out
	 * (binlogs, ibtmp1, excluded tables: src/capture/unjournaled.ts): absolute paths, each NUL-terminated; one
	 * that ends in '*' stands for every name in its directory that starts so. Set before the capture begins. */
	uint32_t unjournaled_bytes;
	char unjournaled[HB_UNJOURNALED_BYTES];
};

_Static_assert(sizeof(struct hb_cb) <= HB_CB_BYTES, "control block fits");

static inline uint8_t *hb_ring(struct hb_cb *cb) { return (uint8_t *)cb + HB_CB_BYTES; }

#endif
