/* The pace of the copy pool: one token bucket for all its threads, the pause the pacer asks for, and the
 * threads' CPU and I/O priority (docs/throttle.md). */
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hb/pool.h"

#define GENTLE_NICE 10
#define IOPRIO_WHO_THREAD 1
#define IOPRIO_IDLE (3 << 13) /* class idle: the disk serves the server first (mq-deadline, bfq) */
#define IOPRIO_NORMAL ((2 << 13) | 4) /* best effort, level 4: the default */
#define DIO_ALIGN 4096u

/* This thread's CPU and I/O priority: low on a busy server, so the backup takes what the server leaves;
 * normal again once the server is idle (the idle I/O class waits out even an idle server's background I/O). */
static void set_gentle(int on)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	setpriority(PRIO_PROCESS, (id_t)tid, on ? GENTLE_NICE : 0); /* back to 0 needs CAP_SYS_NICE: else stays */
	syscall(SYS_ioprio_set, IOPRIO_WHO_THREAD, tid, on ? IOPRIO_IDLE : IOPRIO_NORMAL);
}

static __thread int gentle_now; /* what this thread runs at */

void hb_pool_wait_unpaused(struct hb_pool *p)
{
	while (atomic_load(&p->paused) && !atomic_load(&p->cancel)) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, 0);
	}
}

void hb_pool_take_tokens(struct hb_pool *p, size_t n)
{
	if (atomic_load(&p->gentle) != gentle_now)
		set_gentle(gentle_now = atomic_load(&p->gentle));
	hb_pool_wait_unpaused(p);
	pthread_mutex_lock(&p->bucket);
	if (!p->rate) {
		pthread_mutex_unlock(&p->bucket);
		return;
	}
	uint64_t now = hb_now_ns();
	p->tokens += (double)(now - p->last_ns) * (double)p->rate / 1e9;
	if (p->tokens > p->burst)
		p->tokens = p->burst;
	p->last_ns = now;
	p->tokens -= (double)n;
	double debt = -p->tokens;
	uint64_t rate = p->rate;
	pthread_mutex_unlock(&p->bucket);
	/* Sleep off the debt in short naps, so that a cancel is seen within 50 ms. */
	for (double s = debt / (double)rate; s > 0 && !atomic_load(&p->cancel); s -= 0.05) {
		double nap = s < 0.05 ? s : 0.05;
		struct timespec ts = {0, (long)(nap * 1e9)};
		nanosleep(&ts, 0);
	}
}

size_t hb_pool_chunk(struct hb_pool *p)
{
	/* Small chunks at low rates, so the throttle is smooth rather than bursty. */
	uint64_t rate = p->rate;
	if (!rate || rate / 16 >= HB_CHUNK)
		return HB_CHUNK;
	return rate / 16 < 65536 ? 65536 : (size_t)(rate / 16) & ~(size_t)(DIO_ALIGN - 1); /* O_DIRECT-sized */
}

