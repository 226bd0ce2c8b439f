/* Writes the copy will read anyway need no record (the trick TokuBackup got right): the copier registers
 * each file before it reads it, with a window [from, limit) of bytes it has not read yet, and a server write
 * that lands wholly in the window is left out of the journal. docs/capture.md has the argument; in short:
 * - the window only shrinks, so no byte is skipped after one of its changes was journaled (the replay of
 *   that older record would otherwise land over the newer bytes the copy read);
 * - the copier claims a chunk (raises from) before it reads it, and the server checks the window after its
 *   write, each with a full fence between: a write that finds its bytes unclaimed is in what the copy reads;
 * - a copy's journal position is taken after its registration passed the barrier (hb_ctl_unread_seal), so
 *   every record the replay applies was journaled by a call that saw the window.
 * - the window has no end until the copy starts: appends are left out too, because the copy reads up to the
 *   size it finds after closing the window there.
 * Slots are found by open addressing on the inode number and are never reused within a capture. */
#include "unread.h"

static uint32_t slot_of(uint64_t ino) { return (uint32_t)((ino * 0x9E3779B97F4A7C15ull) >> 40) & (HB_UNREAD_SLOTS - 1); }

struct hb_unread *hb_unread_find(struct hb_cb *cb, uint64_t dev, uint64_t ino)
{
	if (!atomic_load_explicit(&cb->unread_used, memory_order_relaxed))
		return 0;
	for (uint32_t i = 0, s = slot_of(ino); i < HB_UNREAD_PROBES; i++) {
		struct hb_unread *u = &cb->unread[(s + i) & (HB_UNREAD_SLOTS - 1)];
		uint64_t k = atomic_load_explicit(&u->ino, memory_order_acquire);
		if (k == 0)
			return 0;
		if (k == ino && u->dev == dev)
			return u;
	}
	return 0;
}

static void raise_from(struct hb_unread *u, uint64_t to)
{
	uint64_t v = atomic_load(&u->from);
	while (v < to && !atomic_compare_exchange_weak(&u->from, &v, to))
		;
}

static void lower_limit(struct hb_unread *u, uint64_t to)
{
	uint64_t v = atomic_load(&u->limit);
	while (v > to && !atomic_compare_exchange_weak(&u->limit, &v, to))
		;
}

/* Takes [off, end) out of the window for good. */
static void exclude(struct hb_unread *u, uint64_t off, uint64_t end)
{
	uint64_t from = atomic_load(&u->from), limit = atomic_load(&u->limit);
	if (end <= from || off >= limit)
		return;
	if (off <= from)
		raise_from(u, end);
	else
		lower_limit(u, off);
}

int hb_unread_covers(uint64_t dev, uint64_t ino, uint64_t off, uint64_t end)
{
	struct hb_unread *u = hb_unread_find(hb_cb, dev, ino); /* registration is ordered by the barrier */
	if (!u)
		return 0;
	/* Pairs with the fence in hb_unread_claim: our write is done before we read the window. */
	atomic_thread_fence(memory_order_seq_cst);
	if (off < atomic_load(&u->from) || end > atomic_load(&u->limit)) {
		exclude(u, off, end);
		return 0;
	}
	/* A write left out reserves nothing, so it looks at the lease itself (a journaled one does in reserve):
	 * a capture whose hb died ends within the lease even when every write goes to what is still unread. */
	if (!hb_lease_ok(hb_cb))
		return 0;
	atomic_fetch_add_explicit(&hb_cb->c_unread_skips, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hb_cb->c_unread_bytes, end - off, memory_order_relaxed);
	return 1;
}

void hb_unread_exclude(uint64_t dev, uint64_t ino, uint64_t off, uint64_t end)
{
	struct hb_unread *u = hb_unread_find(hb_cb, dev, ino);
	if (u)
		exclude(u, off, end);
}

/* The copier's side. */

int hb_unread_add(struct hb_cb *cb, uint64_t dev, uint64_t ino)
{
	if (ino == 0)
		return -1;
	for (uint32_t i = 0, s = slot_of(ino); i < HB_UNREAD_PROBES; i++) {
		struct hb_unread *u = &cb->unread[(s + i) & (HB_UNREAD_SLOTS - 1)];
		uint64_t k = atomic_load(&u->ino);
		if (k == ino && u->dev == dev)
			return 0; /* registered already (a hard link, or listed again): its window stands */
		if (k != 0)
			continue;
		u->dev = dev;
		atomic_store(&u->from, 0);
		atomic_store(&u->limit, UINT64_MAX); /* the copy reads to the end it finds (hb_unread_exclude_from) */
		atomic_store_explicit(&u->ino, ino, memory_order_release);
		atomic_fetch_add(&cb->unread_used, 1);
		return 0;
	}
	return -1; /* full around here: the file is journaled as usual */
}

void hb_unread_claim(struct hb_unread *u, uint64_t to)
{
	raise_from(u, to);
	atomic_thread_fence(memory_order_seq_cst); /* the claim is seen before the read that follows */
}

void hb_unread_exclude_from(struct hb_unread *u, uint64_t size)
{
	lower_limit(u, size);
	atomic_thread_fence(memory_order_seq_cst);
}

void hb_unread_reset(struct hb_cb *cb)
{
	if (atomic_load(&cb->unread_used)) {
		for (uint32_t i = 0; i < HB_UNREAD_SLOTS; i++)
			atomic_store(&cb->unread[i].ino, 0);
		atomic_store(&cb->unread_used, 0);
	}
	atomic_store(&cb->c_unread_skips, 0);
	atomic_store(&cb->c_unread_bytes, 0);
}
