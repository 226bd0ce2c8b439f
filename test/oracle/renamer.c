/* renamer — a hostile writer for the raw oracle: it keeps renaming directories, with everything in them,
 * within its own subtree, while it also creates nested directories and files and writes into them.
 *
 *   renamer run    DIR SEED [--threads T] [--delay-us D] [--ready FILE]
 *   renamer replay DIR SEED --upto K[+][,K2[+],...]
 *
 * The same contract as writer.c (test/oracle/README.md): thread t works in DIR/t<t>/ with its own RNG and
 * model, stores its op number in DIR/t<t>/.counter after each op (one pwrite64 of 8 bytes), and `replay`
 * rebuilds the state after ops 1..K (K+: op K+1 done, counter K) with no timing. Nothing ever moves in from
 * outside DIR/t<t>/: every rename's source and target are inside it.
 *
 * The first 1000 ops of a run build the starting tree without the delay.
 *
 * Ops (one call of interest each): rename_dir (a directory, with its subtree, to a new name "r<op>" under any
 * directory not inside it: often an ancestor or a sibling), rename_file, mkdir ("d<op>"), create (an empty
 * file "f<op>"), pwrite (up to 24 KiB, below 48 KiB), unlink, rmdir (an empty directory).
 * Exit: 0 ok (SIGTERM ends a run); 2 usage; 3 a call failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_NODES 160
#define MAX_DIRS 32
#define MAX_FILES 120
#define MAX_DEPTH 7
#define MAX_THREADS 8
#define MAX_IO 49152
#define FAST_OPS 1000 /* ops run before --delay-us applies: the tree the backup starts from */

enum kind { K_rename_dir, K_rename_file, K_mkdir, K_create, K_pwrite, K_unlink, K_rmdir, NKINDS };
static const char *const kind_name[NKINDS] = {"rename_dir", "rename_file", "mkdir", "create", "pwrite", "unlink", "rmdir"};
static const unsigned kind_weight[NKINDS] = {6, 2, 4, 3, 6, 2, 3};

struct node {
	int used, dir, parent;
	char name[24];
};

struct thr {
	int id;
	uint64_t s[4];
	char root[PATH_MAX];
	int counter_fd;
	uint64_t opno;
	long delay_us;
	pthread_t th;
	struct node nodes[MAX_NODES]; /* 0: DIR/t<t> itself */
	uint64_t counts[NKINDS];
	unsigned char buf[MAX_IO];
};

static volatile sig_atomic_t stop_flag;

static void die(struct thr *t, const char *call, const char *what)
{
	fprintf(stderr, "renamer: t%d op %llu %s(%s): %s\n", t->id, (unsigned long long)t->opno + 1, call, what, strerror(errno));
	_exit(3);
}

/* snprintf for paths: a path that does not fit is an error, never silently cut. */
static void pathf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX) {
		fprintf(stderr, "renamer: path too long: %s\n", out);
		_exit(2);
	}
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t next(struct thr *t)
{
	uint64_t *s = t->s, r = rotl(s[1] * 5, 7) * 9, u = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= u;
	s[3] = rotl(s[3], 45);
	return r;
}
static long rnd(struct thr *t, long n) { return n <= 1 ? 0 : (long)(next(t) % (uint64_t)n); }

static int count(struct thr *t, int dir)
{
	int n = 0;
	for (int i = 1; i < MAX_NODES; i++)
		n += t->nodes[i].used && t->nodes[i].dir == dir;
	return n;
}
static int inside(struct thr *t, int a, int n) /* n is a or below it */
{
	for (; n >= 0; n = t->nodes[n].parent)
		if (n == a)
			return 1;
	return 0;
}
static int depth(struct thr *t, int n)
{
	int d = 0;
	for (; n > 0; n = t->nodes[n].parent)
		d++;
	return d;
}
static int height(struct thr *t, int n) /* levels of directories below n, n included */
{
	int h = 1;
	for (int i = 1; i < MAX_NODES; i++)
		if (t->nodes[i].used && t->nodes[i].dir && t->nodes[i].parent == n) {
			int c = 1 + height(t, i);
			h = c > h ? c : h;
		}
	return h;
}
static int empty(struct thr *t, int n)
{
	for (int i = 1; i < MAX_NODES; i++)
		if (t->nodes[i].used && t->nodes[i].parent == n)
			return 0;
	return 1;
}
static void path_of(struct thr *t, int n, char *out)
{
	if (n == 0) {
		pathf(out, "%s", t->root);
		return;
	}
	char up[PATH_MAX];
	path_of(t, t->nodes[n].parent, up);
	pathf(out, "%s/%s", up, t->nodes[n].name);
}
/* A random used node of the kind (dir 1/0) whose index passes ok, or -1. */
static int pick(struct thr *t, int dir, int (*ok)(struct thr *, int, int), int arg)
{
	int cand[MAX_NODES], n = 0;
	for (int i = 0; i < MAX_NODES; i++)
		if (t->nodes[i].used && t->nodes[i].dir == dir && (!ok || ok(t, i, arg)))
			cand[n++] = i;
	return n ? cand[rnd(t, n)] : -1;
}
static int not_root(struct thr *t, int n, int arg) { (void)t, (void)arg; return n != 0; }
static int target_for(struct thr *t, int p, int moving) /* p may take `moving` (a dir) without nesting too deep */
{
	return !inside(t, moving, p) && depth(t, p) + height(t, moving) <= MAX_DEPTH;
}
static int shallow(struct thr *t, int p, int arg) { (void)arg; return depth(t, p) < MAX_DEPTH; }
static int is_empty(struct thr *t, int n, int arg) { (void)arg; return n != 0 && empty(t, n); }
static int alloc(struct thr *t, int dir, int parent, char prefix)
{
	for (int i = 1; i < MAX_NODES; i++)
		if (!t->nodes[i].used) {
			t->nodes[i] = (struct node){.used = 1, .dir = dir, .parent = parent};
			snprintf(t->nodes[i].name, sizeof t->nodes[i].name, "%c%llu", prefix, (unsigned long long)t->opno + 1);
			return i;
		}
	return -1;
}

static void write_at(struct thr *t, int fd, long off, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = next(t);
		memcpy(t->buf + i, &v, len - i < 8 ? len - i : 8);
	}
	if (pwrite(fd, t->buf, len, off) != (ssize_t)len)
		die(t, "pwrite", what);
}

/* Renames node n (file or dir) to a fresh "r<op>" name under p: the model follows. */
static void rename_node(struct thr *t, int n, int p)
{
	char from[PATH_MAX], to[PATH_MAX], dir[PATH_MAX];
	path_of(t, n, from);
	path_of(t, p, dir);
	pathf(to, "%s/r%llu", dir, (unsigned long long)t->opno + 1);
	if (rename(from, to) != 0)
		die(t, "rename", from);
	t->nodes[n].parent = p;
	snprintf(t->nodes[n].name, sizeof t->nodes[n].name, "r%llu", (unsigned long long)t->opno + 1);
}

static void one_op(struct thr *t)
{
	unsigned total = 0;
	for (int k = 0; k < NKINDS; k++)
		total += kind_weight[k];
	for (;;) {
		long r = rnd(t, total);
		int k = 0;
		while (r >= (long)kind_weight[k])
			r -= kind_weight[k++];
		char p[PATH_MAX];
		switch (k) {
		case K_rename_dir: {
			int d = pick(t, 1, not_root, 0);
			int to = d < 0 ? -1 : pick(t, 1, target_for, d);
			if (to < 0)
				continue;
			rename_node(t, d, to);
			break;
		}
		case K_rename_file: {
			int f = pick(t, 0, NULL, 0);
			if (f < 0)
				continue;
			rename_node(t, f, pick(t, 1, NULL, 0));
			break;
		}
		case K_mkdir: {
			int parent = count(t, 1) < MAX_DIRS ? pick(t, 1, shallow, 0) : -1;
			if (parent < 0)
				continue;
			int n = alloc(t, 1, parent, 'd');
			path_of(t, n, p);
			if (mkdir(p, 0755) != 0)
				die(t, "mkdir", p);
			break;
		}
		case K_create: {
			if (count(t, 0) >= MAX_FILES)
				continue;
			int n = alloc(t, 0, pick(t, 1, NULL, 0), 'f');
			path_of(t, n, p);
			int fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
			if (fd < 0)
				die(t, "open", p);
			close(fd);
			break;
		}
		case K_pwrite: {
			int f = pick(t, 0, NULL, 0);
			if (f < 0)
				continue;
			path_of(t, f, p);
			int fd = open(p, O_WRONLY | O_CLOEXEC);
			if (fd < 0)
				die(t, "open", p);
			write_at(t, fd, rnd(t, MAX_IO), 1 + (size_t)rnd(t, MAX_IO / 2), p);
			close(fd);
			break;
		}
		case K_unlink: {
			int f = count(t, 0) > 8 ? pick(t, 0, NULL, 0) : -1;
			if (f < 0)
				continue;
			path_of(t, f, p);
			if (unlink(p) != 0)
				die(t, "unlink", p);
			t->nodes[f].used = 0;
			break;
		}
		case K_rmdir: {
			int d = count(t, 1) > 6 ? pick(t, 1, is_empty, 0) : -1;
			if (d < 0)
				continue;
			path_of(t, d, p);
			if (rmdir(p) != 0)
				die(t, "rmdir", p);
			t->nodes[d].used = 0;
			break;
		}
		}
		t->counts[k]++;
		return;
	}
}

static void store_counter(struct thr *t)
{
	uint64_t v = t->opno; /* little-endian on every target this runs on */
	if (pwrite64(t->counter_fd, &v, 8, 0) != 8)
		die(t, "pwrite64", ".counter");
}

static void setup(struct thr *t, const char *dir, uint64_t seed)
{
	uint64_t x = seed ^ (0xA24BAED4963EE407ull * (uint64_t)(t->id + 1));
	for (int i = 0; i < 4; i++)
		t->s[i] = splitmix(&x);
	pathf(t->root, "%s/t%d", dir, t->id);
	t->nodes[0] = (struct node){.used = 1, .dir = 1, .parent = -1};
	if (mkdir(t->root, 0755) != 0)
		die(t, "mkdir", t->root);
	char p[PATH_MAX];
	pathf(p, "%s/.counter", t->root);
	t->counter_fd = open(p, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	if (t->counter_fd < 0)
		die(t, "open", p);
	store_counter(t);
}

static void *run_thr(void *arg)
{
	struct thr *t = arg;
	while (!stop_flag) {
		one_op(t);
		t->opno++;
		store_counter(t);
		if (t->delay_us > 0 && t->opno > FAST_OPS) {
			struct timespec ts = {t->delay_us / 1000000, (t->delay_us % 1000000) * 1000};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: renamer run DIR SEED [--threads T] [--delay-us D] [--ready FILE]\n"
			"       renamer replay DIR SEED --upto K[+][,K2[+],...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "run") && strcmp(argv[1], "replay")))
		usage();
	int replay = !strcmp(argv[1], "replay");
	const char *ready = NULL, *upto = NULL;
	uint64_t seed = strtoull(argv[3], NULL, 0);
	long nthreads = 1, delay_us = 0;
	for (int i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--threads") && !replay)
			nthreads = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--delay-us") && !replay)
			delay_us = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--ready") && !replay)
			ready = argv[i + 1];
		else if (!strcmp(argv[i], "--upto") && replay)
			upto = argv[i + 1];
		else
			usage();
	}
	uint64_t upto_k[MAX_THREADS];
	int upto_plus[MAX_THREADS];
	if (replay) {
		if (!upto)
			usage();
		char buf[512];
		snprintf(buf, sizeof buf, "%s", upto);
		nthreads = 0;
		for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (nthreads >= MAX_THREADS)
				usage();
			size_t l = strlen(tok);
			upto_plus[nthreads] = l > 0 && tok[l - 1] == '+';
			upto_k[nthreads++] = strtoull(tok, NULL, 10);
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS)
		usage();
	umask(022);
	char dir[PATH_MAX];
	if ((mkdir(argv[2], 0755) != 0 && errno != EEXIST) || !realpath(argv[2], dir)) {
		fprintf(stderr, "renamer: %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	struct thr *ts = calloc((size_t)nthreads, sizeof *ts);
	if (!ts)
		return 3;
	for (int i = 0; i < nthreads; i++) {
		ts[i].id = i;
		ts[i].delay_us = delay_us;
		setup(&ts[i], dir, seed);
	}
	if (replay) {
		for (int i = 0; i < nthreads; i++) {
			while (ts[i].opno < upto_k[i]) {
				one_op(&ts[i]);
				ts[i].opno++;
				store_counter(&ts[i]);
			}
			if (upto_plus[i])
				one_op(&ts[i]);
		}
	} else {
		struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		for (int i = 0; i < nthreads; i++)
			if (pthread_create(&ts[i].th, NULL, run_thr, &ts[i]) != 0)
				return 3;
		if (ready) {
			char tmp[PATH_MAX];
			pathf(tmp, "%s.tmp", ready);
			FILE *f = fopen(tmp, "w");
			if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 || rename(tmp, ready) != 0)
				return 3;
		}
		for (int i = 0; i < nthreads; i++)
			pthread_join(ts[i].th, NULL);
	}
	for (int k = 0; k < NKINDS; k++) {
		uint64_t c = 0;
		for (int i = 0; i < nthreads; i++)
			c += ts[i].counts[k];
		fprintf(stderr, "op %s %llu\n", kind_name[k], (unsigned long long)c);
	}
	return 0;
}
