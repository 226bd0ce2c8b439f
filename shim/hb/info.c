/* What hb reads of a capture: its counters (hb_ctl_stat, slot by slot as hb/api.h names them), and the text
 * of each error code. */
#include <string.h>

#include "hb/ctl.h"

/* Fills out[0, n) with the slots of enum hb_stat_slot; returns how many there are. */
int hb_ctl_stat(struct hb_ctl *c, uint64_t *out, int n)
{
	struct hb_cb *cb = c->cb;
	uint64_t v[HB_STAT_SLOTS] = {
		[HB_STAT_STATE] = atomic_load(&cb->state),
		[HB_STAT_ERROR] = atomic_load(&cb->error),
		[HB_STAT_ERRNO] = (uint64_t)atomic_load(&cb->error_errno),
		[HB_STAT_EPOCH] = atomic_load(&cb->epoch),
		[HB_STAT_HEAD] = atomic_load(&cb->head),
		[HB_STAT_TAIL] = atomic_load(&cb->tail),
		[HB_STAT_RECORDS] = atomic_load(&cb->c_records),
		[HB_STAT_DATA_BYTES] = atomic_load(&cb->c_data_bytes),
		[HB_STAT_NS_RECORDS] = atomic_load(&cb->c_ns_records),
		[HB_STAT_RING_WAITS] = atomic_load(&cb->c_ring_waits),
		[HB_STAT_JOURNAL_BYTES] = c->journal_bytes + c->buf_len,
		[HB_STAT_MMAP_COUNT] = c->maps_len,
		[HB_STAT_PID] = (uint64_t)cb->pid,
		[HB_STAT_UID] = cb->uid,
		[HB_STAT_PROTOCOL] = cb->protocol,
		[HB_STAT_RING_BYTES] = cb->ring_cap,
		[HB_STAT_HEARTBEAT_AGE_MS] = (hb_now_ns() - atomic_load(&cb->heartbeat_ns)) / 1000000,
		[HB_STAT_OWNER_PID] = (uint64_t)atomic_load(&cb->owner_pid),
		[HB_STAT_UNREAD_SKIPS] = atomic_load(&cb->c_unread_skips),
		[HB_STAT_UNREAD_BYTES] = atomic_load(&cb->c_unread_bytes),
	};
	if (n > HB_STAT_SLOTS)
		n = HB_STAT_SLOTS;
	memcpy(out, v, (size_t)(n > 0 ? n : 0) * sizeof *out);
	return HB_STAT_SLOTS;
}

const char *hb_strerror(int code)
{
	switch (code) {
	case HB_E_NONE: return "no error";
	case HB_E_RING_FULL: return "the journal ring stayed full (hb did not drain it in time)";
	case HB_E_JOURNAL_IO: return "could not write the journal";
	case HB_E_LEASE: return "hb's heartbeat stopped, the capture ended by lease";
	case HB_E_BARRIER: return "calls in flight in the server did not finish in time";
	case HB_E_BUSY: return "another capture is running on this server";
	case HB_E_SOURCE: return "could not read back the data of a copy into a captured file";
	case HB_E_PATH: return "a path under the capture root could not be resolved (too long, or created through a symlink)";
	case HB_E_NOT_FOUND: return "the process does not run with the hb shim";
	case HB_E_ACCESS: return "cannot open its control block (/proc/PID/fd): permission denied";
	case HB_E_PROTOCOL: return "the shim in the process speaks another protocol version";
	case HB_E_ARGS: return "bad arguments";
	case HB_E_ENDED: return "the capture was ended early";
	case HB_E_BAD_BLOCK: return "its hb-ctl memfd is not an hb control block (size, magic or pid)";
	case HB_E_MAPS: return "cannot read the process's memory mappings (/proc/PID/maps)";
	case HB_E_OWNER: return "refusing its control block (hb-ctl): not mode 0600 or not owned by the process's user";
	default: return "unknown error";
	}
}
