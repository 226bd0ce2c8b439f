/* The table of files the copier has promised to read (struct hb_unread in the control block): both sides
 * shrink a file's window, the server before a change it journals, hb before it reads (docs/capture.md). */
#ifndef HB_UNREAD_H
#define HB_UNREAD_H

#include "common.h"

/* The registered slot of dev,ino, or NULL. */
HB_HIDDEN struct hb_unread *hb_unread_find(struct hb_cb *cb, uint64_t dev, uint64_t ino);
HB_HIDDEN void hb_unread_raise_from(struct hb_unread *u, uint64_t to);
HB_HIDDEN void hb_unread_lower_limit(struct hb_unread *u, uint64_t to);
HB_HIDDEN uint32_t hb_unread_home(uint64_t ino); /* the slot its probe starts at */

#endif
