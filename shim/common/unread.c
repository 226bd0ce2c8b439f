/* Writes the copy will read anyway need no record (the trick TokuBackup got right): the copier registers
 * each file before it reads it, with a window [from, limit) of bytes it has not read yet, and a server write
 * that lands wholly in the window is left out of the journal. docs/capture.md has the argument; in short:
 * - the window only shrinks, so no byte is skipped after one of its changes was journaled (the replay of
 *   that older record would otherwise land over the newer bytes the copy read);
 * - the copier claims a chunk (raises from) before it reads it, and the server checks the window after its
 *   write, each with a full fence between: a write that finds its bytes unclaimed is in what the copy reads;
 * - a copy's journal position is taken after its registration passed the barrier (hb_ctl_unread_add), so
 *   every record the replay applies was journaled by a call that saw the window.
 * - the window has no end until the copy starts: appends are left out too, because the copy reads up to the
 *   size it finds after closing the window there.
 * Slots are found by open addressing on the inode number and are never reused within a capture. */

#include "common/unread.h"

uint32_t hb_unread_home(uint64_t ino) { return (uint32_t)((ino * 0x9E3779B97F4A7C15ull) >> 40) & (HB_UNREAD_SLOTS - 1); }

struct hb_unread *hb_unread_find(struct hb_cb *cb, uint64_t dev, uint64_t ino)
{
	if (!atomic_load_explicit(&cb->unread_used, memory_order_relaxed))
		return 0;
	for (uint32_t i = 0, s = hb_unread_home(ino); i < HB_UNREAD_PROBES; i++) {
		struct hb_unread *u = &cb->unread[(s + i) & (HB_UNREAD_SLOTS - 1)];
		uint64_t k = atomic_load_explicit(&u->ino, memory_order_acquire);
		if (k == 0)
			return 0;
		if (k == ino && u->dev == dev)
			return u;
	}
	return 0;
}

void hb_unread_raise_from(struct hb_unread *u, uint64_t to)
{
	uint64_t v = atomic_load(&u->from);
	while (v < to && !atomic_compare_exchange_weak(&u->from, &v, to))
		;
}

void hb_unread_lower_limit(struct hb_unread *u, uint64_t to)
{
	uint64_t v = atomic_load(&u->limit);
	while (v > to && !atomic_compare_exchange_weak(&u->limit, &v, to))
		;
}
