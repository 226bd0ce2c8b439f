/* hb's side of the copier's promise (common/unread.c): register the files the copy will read, claim each
 * chunk before reading it, close the window where the copy stops. */
#include "common/unread.h"
#include "hb/ctl.h"

int hb_unread_add(struct hb_cb *cb, uint64_t dev, uint64_t ino)
{
	if (ino == 0)
		return -1;
	for (uint32_t i = 0, s = hb_unread_home(ino); i < HB_UNREAD_PROBES; i++) {
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
	hb_unread_raise_from(u, to);
	atomic_thread_fence(memory_order_seq_cst); /* the claim is seen before the read that follows */
}

void hb_unread_exclude_from(struct hb_unread *u, uint64_t size)
{
	hb_unread_lower_limit(u, size);
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

/* Registers files the copier will read whole (dev, ino pairs), then waits until every call in
 * flight has left (barrier): a journal position taken after this return is safe to copy from (common/unread.c).
 * Returns how many were registered (a full table leaves the rest journaled as usual), or -1 if the barrier
 * timed out: then none of them skips anything. */
int hb_ctl_unread_add(struct hb_ctl *c, const uint64_t *files, int n)
{
	struct hb_cb *cb = c->cb;
	if (atomic_load(&cb->state) != HB_ACTIVE)
		return 0;
	int added = 0;
	for (int i = 0; i < n; i++)
		if (hb_unread_add(cb, files[2 * i], files[2 * i + 1]) == 0)
			added++;
	if (added && hb_barrier(cb, 5ull * 1000000000) != 0) {
		for (int i = 0; i < n; i++) {
			struct hb_unread *u = hb_unread_find(cb, files[2 * i], files[2 * i + 1]);
			if (u)
				hb_unread_exclude_from(u, 0);
		}
		return -1;
	}
	return added;
}

/* The slot of a registered file, for hb_pool_submit_ranges; NULL if it is not registered. */
struct hb_unread *hb_ctl_unread_slot(struct hb_ctl *c, uint64_t dev, uint64_t ino)
{
	return hb_unread_find(c->cb, dev, ino);
}

/* Ends a slot's window before a copy that reads only part of the file: every write from now on is journaled. */
void hb_ctl_unread_close(struct hb_unread *u)
{
	hb_unread_claim(u, UINT64_MAX);
}

