/* The copier's promise to read what it has not read yet: writes there need no record (unread.c). */
#ifndef HB_UNREAD_H
#define HB_UNREAD_H

#include "capture.h"

/* Server side, under the inode lock, while capturing. */
/* After a write of [off, end): 1 if the copy will read it (no record); else its bytes leave the window. */
HB_HIDDEN int hb_unread_covers(uint64_t dev, uint64_t ino, uint64_t off, uint64_t end);
/* Before a journaled change of [off, end) that is not a write (truncate, hole punch, a new incarnation). */
HB_HIDDEN void hb_unread_exclude(uint64_t dev, uint64_t ino, uint64_t off, uint64_t end);

/* Copier side. */
HB_HIDDEN struct hb_unread *hb_unread_find(struct hb_cb *cb, uint64_t dev, uint64_t ino);
HB_HIDDEN int hb_unread_add(struct hb_cb *cb, uint64_t dev, uint64_t ino);
HB_HIDDEN void hb_unread_claim(struct hb_unread *u, uint64_t to); /* before reading up to `to` */
HB_HIDDEN void hb_unread_exclude_from(struct hb_unread *u, uint64_t size); /* the copy stops at size */
HB_HIDDEN void hb_unread_reset(struct hb_cb *cb);

#endif
