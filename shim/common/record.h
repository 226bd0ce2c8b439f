/* hb journal record format: written by the server's side (server/journal.c) into the ring, moved into the
 * journal file by hb's drain (hb/drain.c), read by prepare through its TypeScript twin src/journal/format.ts
 * (test/unit/shim-abi.test.ts holds the two together). Little-endian, every record 8-byte aligned.
 * docs/journal.md explains how prepare turns these records into an exact tree. */
#ifndef HB_RECORD_H
#define HB_RECORD_H

#include <stdint.h>

#ifndef HB_PROTOCOL /* a test builds another version to check the mismatch is refused */
#define HB_PROTOCOL 3
#endif

enum hb_rec_type {
	HB_REC_WRITE = 1,  /* dev,ino; off; count = data bytes; payload = data */
	HB_REC_TRUNC = 2,  /* dev,ino; off = new size */
	HB_REC_FALLOC = 3, /* dev,ino; mode = fallocate mode (0 for posix_fallocate); off; count = length */
	HB_REC_BIND = 4,   /* key (pdev,pino,name) now names dev,ino; mode = st_mode; payload name,target,abspath */
	HB_REC_UNBIND = 5, /* key (pdev,pino,name) names nothing now; dev,ino = what it named (0 if unknown) */
	HB_REC_CHMOD = 6,  /* dev,ino; mode = new st_mode */
	HB_REC_END = 7,    /* written by the drain, last record; off = number of records before it */
	HB_REC_MAP = 8,    /* dev,ino got a writable shared mapping: its writes through it are not journaled, so
			    * hb copies it again under the final lock. Prepare has nothing to do with it. */
};

/* BIND flags */
#define HB_BIND_NEW 1     /* the inode was created by this call: a new incarnation of dev,ino starts here */
#define HB_BIND_OUTSIDE 2 /* the inode came from outside the capture roots: writes before this were not journaled */

struct hb_rec {
	uint32_t len;   /* whole record in bytes, header included, multiple of 8; bit 31 = committed (ring only) */
	uint32_t crc;   /* CRC32C (Castagnoli) of bytes [8, len), filled in by the drain */
	uint64_t pos;   /* stream position of this record = its offset in the journal file */
	uint16_t type;
	uint16_t flags;
	uint32_t mode;
	uint64_t dev, ino;   /* the file the record is about */
	uint64_t pdev, pino; /* parent directory (BIND, UNBIND) */
	uint64_t off;
	uint64_t count;      /* WRITE: data bytes; FALLOC: length; BIND: abspath bytes */
	uint32_t n1;         /* BIND, UNBIND: name bytes */
	uint32_t n2;         /* BIND: symlink target bytes */
};
/* payload: WRITE: data[count]. BIND: name[n1] target[n2] abspath[count]. UNBIND: name[n1]. No NULs. */

#define HB_REC_HDR 80
#define HB_REC_COMMITTED 0x80000000u
#define HB_REC_MAX_DATA (1u << 20) /* larger writes are split into several WRITE records */

_Static_assert(sizeof(struct hb_rec) == HB_REC_HDR, "record header is 80 bytes");

#endif
