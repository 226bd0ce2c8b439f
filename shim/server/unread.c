/* The server's side of the copier's promise (common/unread.c): a write is left out of the journal when it
 * lands wholly in what the copy has not read yet, and every other change takes its bytes out of the window. */
#include "common/unread.h"
#include "server/capture.h"

/* Takes [off, end) out of the window for good. */
static void exclude(struct hb_unread *u, uint64_t off, uint64_t end)
{
	uint64_t from = atomic_load(&u->from), limit = atomic_load(&u->limit);
	if (end <= from || off >= limit)
		return;
	if (off <= from)
		hb_unread_raise_from(u, end);
	else
		hb_unread_lower_limit(u, off);
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
