#include <string.h>
#include <time.h>

#include "common/common.h"

uint64_t hb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hb_fail(struct hb_cb *cb, enum hb_err err, int eno)
{
	uint32_t none = HB_E_NONE;
	if (atomic_compare_exchange_strong(&cb->error, &none, err))
		atomic_store(&cb->error_errno, eno);
	uint32_t s = atomic_load(&cb->state);
	while ((s == HB_ACTIVE || s == HB_ENDING) &&
	       !atomic_compare_exchange_weak(&cb->state, &s, err == HB_E_LEASE ? HB_EXPIRED : HB_FAILED))
		;
}

void hb_fd_link(char *out, int fd)
{
	char digits[12];
	int d = 0, n = 14;
	memcpy(out, "/proc/self/fd/", 14);
	for (unsigned v = (unsigned)fd; d == 0 || v > 0; v /= 10)
		digits[d++] = (char)('0' + v % 10);
	while (d > 0)
		out[n++] = digits[--d];
	out[n] = 0;
}
