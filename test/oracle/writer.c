/* writer — the raw oracle's workload: a seeded, replayable random sequence of file mutations.
 *
 *   writer run    DIR SEED [--threads T] [--ops N] [--seconds S] [--delay-us D] [--ready FILE]
 *   writer replay DIR SEED --upto K[,K2,...]
 *
 * Thread t (0 <= t < T) works only inside DIR/t<t>/, with its own RNG seeded from (SEED, t) and an in-memory
 * model of its subtree (names of files, dirs, symlinks, hard links; inode sizes; open fds with flags and
 * positions). Every choice comes from the RNG and the model, never from readdir order, inode numbers,
 * timestamps or sizes read back from the kernel, so `replay` (single thread, no timing) reproduces exactly
 * the state a `run` thread had after op K.
 *
 * Counter: DIR/t<t>/.counter, mode 0644, always 8 bytes = op number as little-endian uint64. It is created
 * (value 0) before op 1; after op n it is overwritten with n by ONE pwrite64(fd, 8 bytes, offset 0) on an fd
 * kept open. An image taken between the op call and the counter pwrite holds op n+1 with counter n: replay
 * accepts `K+` in --upto (ops 1..K+1, counter left at K) so an oracle can accept either state per thread.
 *
 * Each op is exactly ONE call of interest (below); helper calls that change nothing (opening a directory
 * fd, an O_RDONLY source fd, lseek, stat, close of those helper fds) may surround it. Every libc function is
 * called through an asm-labelled prototype, so the dynamic symbol a preloaded shim must interpose is exactly
 * the one named here, whatever -D_FILE_OFFSET_BITS or -D_FORTIFY_SOURCE the build uses.
 *
 * Op kinds (name printed at exit as `op <name> <count>` on stderr):
 *  data:   pwrite, pwrite64 (explicit offset), pwrite_append (pwrite on an O_APPEND fd: Linux appends at
 *          EOF and ignores the offset), write_lseek (write at the fd position, lseek'd before most of them),
 *          write_append (write on O_APPEND fd), writev (at position or append), pwritev, pwritev64,
 *          pwritev2 (flags 0), ftruncate, ftruncate64 (shrink/extend), truncate, truncate64 (path),
 *          fallocate, fallocate64 (mode 0, extends), fallocate_keep_size (may reach past EOF),
 *          fallocate_punch_hole (PUNCH_HOLE|KEEP_SIZE), posix_fallocate, posix_fallocate64,
 *          copy_file_range (explicit offsets, tracked file -> other tracked file's fd),
 *          sendfile (explicit input offset, output at the fd position)
 *  create: open_creat_new, open64_creat_new, openat_creat_new, openat64_creat_new, creat_new, creat64_new,
 *          open_creat_existing, open64_creat_existing, openat_creat_existing, creat_existing (all with
 *          O_CREAT|O_TRUNC; openat* relative to an open directory fd), open_trunc, __open64_2_trunc,
 *          __openat64_2_trunc (O_TRUNC without O_CREAT on an existing file)
 *  fds:    open_fd, open64_fd, __open_2_fd, __open64_2_fd, __openat_2_fd, __openat64_2_fd (existing file,
 *          O_RDWR / O_WRONLY / O_RDWR|O_APPEND, no O_CREAT: changes nothing, but later writes go through
 *          that fd), dup, dup2, dup3, fcntl_dupfd (share the position), close
 *  names:  rename (same dir, new name), rename_cross_dir, rename_over (over an existing file or symlink,
 *          possibly another link of the same inode, which is a no-op), renameat (dir fds), renameat2
 *          (RENAME_NOREPLACE), renameat2_exchange (RENAME_EXCHANGE of two non-dirs), rename_dir (a dir with
 *          everything inside, to a new name elsewhere in the subtree), rename_dir_over (onto an empty dir),
 *          unlink, unlinkat (files and symlinks; freed inodes get reused by later creates), mkdir, mkdirat,
 *          rmdir, unlinkat_rmdir (empty dirs), link, linkat (hard links), symlink, symlinkat
 * Limits per thread: <= 40 file names, <= 8 dirs (+ t<t>), <= 8 symlinks, <= 8 fds, files <= 1 MiB.
 * Modes: umask 022; files 0600/0640/0644/0666 (-> 0644), dirs 0700/0755/0777 (-> 0755).
 *
 * Exit: 0 ok; 2 usage; 3 a call failed or came up short (op, call, errno on stderr); 4 the model disagrees
 * with the directory at exit (a writer bug). At exit (run and replay) stderr gets `op <name> <count>` for
 * every kind, `thread <t> ops <n>`, and `note inode_reuse <r> creates <c>` (observed, never used to choose).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#include <dirent.h>
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
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* The exact glibc symbols (all exist in glibc 2.36 x86_64; `nm -D libc.so.6`). */
extern int S_open(const char *, int, ...) __asm__("open");
extern int S_open64(const char *, int, ...) __asm__("open64");
extern int S___open_2(const char *, int) __asm__("__open_2");
extern int S___open64_2(const char *, int) __asm__("__open64_2");
extern int S_openat(int, const char *, int, ...) __asm__("openat");
extern int S_openat64(int, const char *, int, ...) __asm__("openat64");
extern int S___openat_2(int, const char *, int) __asm__("__openat_2");
extern int S___openat64_2(int, const char *, int) __asm__("__openat64_2");
extern int S_creat(const char *, mode_t) __asm__("creat");
extern int S_creat64(const char *, mode_t) __asm__("creat64");
extern ssize_t S_write(int, const void *, size_t) __asm__("write");
extern ssize_t S_pwrite(int, const void *, size_t, long) __asm__("pwrite");
extern ssize_t S_pwrite64(int, const void *, size_t, int64_t) __asm__("pwrite64");
extern ssize_t S_writev(int, const struct iovec *, int) __asm__("writev");
extern ssize_t S_pwritev(int, const struct iovec *, int, long) __asm__("pwritev");
extern ssize_t S_pwritev64(int, const struct iovec *, int, int64_t) __asm__("pwritev64");
extern ssize_t S_pwritev2(int, const struct iovec *, int, long, int) __asm__("pwritev2");
extern int S_ftruncate(int, long) __asm__("ftruncate");
extern int S_ftruncate64(int, int64_t) __asm__("ftruncate64");
extern int S_truncate(const char *, long) __asm__("truncate");
extern int S_truncate64(const char *, int64_t) __asm__("truncate64");
extern int S_fallocate(int, int, long, long) __asm__("fallocate");
extern int S_fallocate64(int, int, int64_t, int64_t) __asm__("fallocate64");
extern int S_posix_fallocate(int, long, long) __asm__("posix_fallocate");
extern int S_posix_fallocate64(int, int64_t, int64_t) __asm__("posix_fallocate64");
extern ssize_t S_copy_file_range(int, int64_t *, int, int64_t *, size_t, unsigned) __asm__("copy_file_range");
extern ssize_t S_sendfile(int, int, long *, size_t) __asm__("sendfile");
extern int S_rename(const char *, const char *) __asm__("rename");
extern int S_renameat(int, const char *, int, const char *) __asm__("renameat");
extern int S_renameat2(int, const char *, int, const char *, unsigned) __asm__("renameat2");
extern int S_unlink(const char *) __asm__("unlink");
extern int S_unlinkat(int, const char *, int) __asm__("unlinkat");
extern int S_mkdir(const char *, mode_t) __asm__("mkdir");
extern int S_mkdirat(int, const char *, mode_t) __asm__("mkdirat");
extern int S_rmdir(const char *) __asm__("rmdir");
extern int S_link(const char *, const char *) __asm__("link");
extern int S_linkat(int, const char *, int, const char *, int) __asm__("linkat");
extern int S_symlink(const char *, const char *) __asm__("symlink");
extern int S_symlinkat(const char *, int, const char *) __asm__("symlinkat");
extern int S_close(int) __asm__("close");
extern int S_dup(int) __asm__("dup");
extern int S_dup2(int, int) __asm__("dup2");
extern int S_dup3(int, int, int) __asm__("dup3");
extern int S_fcntl(int, int, ...) __asm__("fcntl");
extern long S_lseek(int, long, int) __asm__("lseek");

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

#define KINDS(X)                                                                                           \
	X(pwrite, 6) X(pwrite64, 6) X(pwrite_append, 2) X(write_lseek, 7) X(write_append, 4) X(writev, 3)       \
	X(pwritev, 3) X(pwritev64, 2) X(pwritev2, 2) X(ftruncate, 2) X(ftruncate64, 2) X(truncate, 2)          \
	X(truncate64, 1) X(fallocate, 2) X(fallocate64, 1) X(fallocate_keep_size, 2)                            \
	X(fallocate_punch_hole, 2) X(posix_fallocate, 2) X(posix_fallocate64, 1) X(copy_file_range, 3)        \
	X(sendfile, 2) X(open_creat_new, 2) X(open64_creat_new, 2) X(openat_creat_new, 2)                      \
	X(openat64_creat_new, 2) X(creat_new, 1) X(creat64_new, 1) X(open_creat_existing, 1)                   \
	X(open64_creat_existing, 1) X(openat_creat_existing, 1) X(creat_existing, 1) X(open_trunc, 1)          \
	X(__open64_2_trunc, 1) X(__openat64_2_trunc, 1) X(open_fd, 2) X(open64_fd, 2) X(__open_2_fd, 2)        \
	X(__open64_2_fd, 2) X(__openat_2_fd, 2) X(__openat64_2_fd, 2) X(dup, 2) X(dup2, 2) X(dup3, 2)          \
	X(fcntl_dupfd, 2) X(close, 12) X(rename, 2) X(rename_cross_dir, 2) X(rename_over, 2) X(renameat, 2)    \
	X(renameat2, 1) X(renameat2_exchange, 1) X(rename_dir, 2) X(rename_dir_over, 12) X(unlink, 4)           \
	X(unlinkat, 2) X(mkdir, 3) X(mkdirat, 2) X(rmdir, 12) X(unlinkat_rmdir, 12) X(link, 2) X(linkat, 1)      \
	X(symlink, 1) X(symlinkat, 1)

#define X_ENUM(name, w) K_##name,
enum kind { KINDS(X_ENUM) NKINDS };
#define X_NAME(name, w) #name,
static const char *const kind_name[NKINDS] = {KINDS(X_NAME)};
#define X_W(name, w) w,
static const unsigned kind_weight[NKINDS] = {KINDS(X_W)};

#define MAX_FILES 40
#define MAX_DIRS 8
#define MAX_SYMLINKS 8
#define MAX_NODES 64
#define MAX_INODES 64
#define MAX_FDS 8
#define MAX_SIZE (1L << 20)
#define MAX_IO 65536
#define MAX_THREADS 32
#define MAX_DEPTH 4
#define DUP2_BASE 200 /* dup2/dup3 targets: DUP2_BASE + t*MAX_FDS + slot, never used by anything else */

enum { N_DIR = 1, N_FILE = 2, N_LINK = 4 };

struct node {
	int used, kind, parent, ino; /* ino: model inode index, files only */
	char name[16];
	char target[48]; /* symlinks */
};
struct inode {
	int used, nlink, refs; /* refs = open file descriptions */
	long size;
};
struct ofd { /* open file description: shared by dup'ed fds */
	int used, refs, ino, append;
	long pos;
};
struct fdent {
	int used, fd, ofd;
};

struct thr {
	int id;
	uint64_t s[4];
	char root[PATH_MAX];
	int counter_fd;
	uint64_t opno;
	int kind; /* kind being executed, for messages */
	struct node nodes[MAX_NODES];
	struct inode inodes[MAX_INODES];
	struct ofd ofds[MAX_FDS];
	struct fdent fds[MAX_FDS];
	uint64_t counts[NKINDS];
	/* run limits */
	uint64_t max_ops;
	double deadline;
	long delay_us;
	pthread_t th;
	unsigned char buf[MAX_IO];
};

static volatile sig_atomic_t stop_flag;
static const char *prog = "writer";

/* ---------- observation of inode reuse (never used for choices) ---------- */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *seen_tab;
static size_t seen_cap, seen_n;
static uint64_t reuse_count, create_count;

static void seen_insert_nolock(uint64_t ino) {
	size_t i = (size_t)(ino * 0x9E3779B97F4A7C15ull) & (seen_cap - 1);
	while (seen_tab[i] && seen_tab[i] != ino)
		i = (i + 1) & (seen_cap - 1);
	if (!seen_tab[i]) {
		seen_tab[i] = ino;
		seen_n++;
	}
}
static int seen_has_nolock(uint64_t ino) {
	size_t i = (size_t)(ino * 0x9E3779B97F4A7C15ull) & (seen_cap - 1);
	while (seen_tab[i]) {
		if (seen_tab[i] == ino)
			return 1;
		i = (i + 1) & (seen_cap - 1);
	}
	return 0;
}
static void observe_ino(uint64_t ino, int created) {
	if (!ino)
		return;
	pthread_mutex_lock(&seen_mu);
	if (seen_n * 2 >= seen_cap) {
		uint64_t *old = seen_tab;
		size_t oldcap = seen_cap;
		seen_cap = seen_cap ? seen_cap * 2 : 4096;
		seen_tab = calloc(seen_cap, sizeof *seen_tab);
		if (!seen_tab) {
			fprintf(stderr, "%s: out of memory\n", prog);
			_exit(3);
		}
		seen_n = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				seen_insert_nolock(old[i]);
		free(old);
	}
	if (created) {
		create_count++;
		if (seen_has_nolock(ino))
			reuse_count++;
	}
	seen_insert_nolock(ino);
	pthread_mutex_unlock(&seen_mu);
}
static void observe_fd(int fd) {
	struct stat st;
	if (fstat(fd, &st) == 0)
		observe_ino((uint64_t)st.st_ino, 1);
}
static void observe_path(const char *p) {
	struct stat st;
	if (lstat(p, &st) == 0)
		observe_ino((uint64_t)st.st_ino, 1);
}

/* snprintf for paths: a path that does not fit is an error, never silently cut. */
static void pathf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pathf(char *out, size_t cap, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "%s: path too long: %s...\n", prog, out);
		_exit(2);
	}
}

/* ---------- errors ---------- */
static void die_call(struct thr *t, const char *call, const char *what) {
	int e = errno;
	fprintf(stderr, "%s: t%d op %llu %s: %s(%s) failed: %s (errno %d)\n", prog, t->id,
	        (unsigned long long)(t->opno + 1), kind_name[t->kind], call, what ? what : "", strerror(e), e);
	_exit(3);
}
static void die_short(struct thr *t, const char *call, const char *what, long got, long want) {
	fprintf(stderr, "%s: t%d op %llu %s: %s(%s) returned %ld, expected %ld\n", prog, t->id,
	        (unsigned long long)(t->opno + 1), kind_name[t->kind], call, what ? what : "", got, want);
	_exit(3);
}
#define CHK(cond, call, what)                                                                              \
	do {                                                                                                   \
		if (!(cond))                                                                                       \
			die_call(t, call, what);                                                                       \
	} while (0)
#define CHKN(r, want, call, what)                                                                          \
	do {                                                                                                   \
		long r_ = (long)(r), w_ = (long)(want);                                                            \
		if (r_ < 0)                                                                                        \
			die_call(t, call, what);                                                                       \
		if (r_ != w_)                                                                                      \
			die_short(t, call, what, r_, w_);                                                              \
	} while (0)

/* ---------- RNG: xoshiro256** seeded by splitmix64(SEED, t) ---------- */
static uint64_t splitmix(uint64_t *x) {
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t next(struct thr *t) {
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
static void fill(struct thr *t, unsigned char *p, size_t n) {
	while (n >= 8) {
		uint64_t v = next(t);
		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = next(t);
		memcpy(p, &v, n);
	}
}
static void seed_thr(struct thr *t, uint64_t seed) {
	uint64_t x = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(t->id + 1));
	for (int i = 0; i < 4; i++)
		t->s[i] = splitmix(&x);
}

/* ---------- model ---------- */
static long lmin(long a, long b) { return a < b ? a : b; }
static long lmax(long a, long b) { return a > b ? a : b; }

static int count_kind(struct thr *t, int kmask) {
	int n = 0;
	for (int i = 1; i < MAX_NODES; i++)
		n += t->nodes[i].used && (t->nodes[i].kind & kmask);
	return n;
}
static int child(struct thr *t, int dir, const char *name) {
	for (int i = 1; i < MAX_NODES; i++)
		if (t->nodes[i].used && t->nodes[i].parent == dir && !strcmp(t->nodes[i].name, name))
			return i;
	return -1;
}
static int n_children(struct thr *t, int dir) {
	int n = 0;
	for (int i = 1; i < MAX_NODES; i++)
		n += t->nodes[i].used && t->nodes[i].parent == dir;
	return n;
}
static int is_ancestor_or_self(struct thr *t, int a, int n) {
	for (; n >= 0; n = t->nodes[n].parent)
		if (n == a)
			return 1;
	return 0;
}
static int depth(struct thr *t, int n) {
	int d = 0;
	for (; n > 0; n = t->nodes[n].parent)
		d++;
	return d;
}
static void rel_of(struct thr *t, int n, char *out, size_t cap) {
	if (n == 0) {
		snprintf(out, cap, ".");
		return;
	}
	const char *parts[MAX_NODES];
	int k = 0;
	for (; n > 0; n = t->nodes[n].parent)
		parts[k++] = t->nodes[n].name;
	size_t len = 0;
	out[0] = 0;
	while (k-- > 0)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "/" : "", parts[k]);
}
static void path_of(struct thr *t, int n, char *out, size_t cap) {
	char rel[PATH_MAX];
	rel_of(t, n, rel, sizeof rel);
	pathf(out, cap, "%s/%s", t->root, rel);
}
static void path_in(struct thr *t, int dir, const char *name, char *out, size_t cap) {
	char d[PATH_MAX];
	path_of(t, dir, d, sizeof d);
	pathf(out, cap, "%s/%s", d, name);
}
typedef int (*pred_fn)(struct thr *, int, long);
/* Random node among those of kinds kmask passing pred (candidate order = slot order, deterministic). */
static int pick_node(struct thr *t, int kmask, pred_fn pred, long arg) {
	int cand[MAX_NODES], n = 0;
	for (int i = 0; i < MAX_NODES; i++)
		if (t->nodes[i].used && (t->nodes[i].kind & kmask) && (!pred || pred(t, i, arg)))
			cand[n++] = i;
	return n ? cand[rnd(t, n)] : -1;
}
static int pick_dir(struct thr *t, pred_fn pred, long arg) { return pick_node(t, N_DIR, pred, arg); }
static int alloc_node(struct thr *t, int kind, int parent, const char *name) {
	for (int i = 1; i < MAX_NODES; i++)
		if (!t->nodes[i].used) {
			struct node *n = &t->nodes[i];
			memset(n, 0, sizeof *n);
			n->used = 1;
			n->kind = kind;
			n->parent = parent;
			n->ino = -1;
			snprintf(n->name, sizeof n->name, "%s", name);
			return i;
		}
	fprintf(stderr, "%s: model node table full\n", prog);
	_exit(4);
}
static int alloc_inode(struct thr *t) {
	for (int i = 0; i < MAX_INODES; i++)
		if (!t->inodes[i].used) {
			t->inodes[i] = (struct inode){.used = 1, .nlink = 1};
			return i;
		}
	return -1;
}
static int free_inodes(struct thr *t) {
	int n = 0;
	for (int i = 0; i < MAX_INODES; i++)
		n += !t->inodes[i].used;
	return n;
}
static void inode_put(struct thr *t, int ino) {
	if (t->inodes[ino].nlink == 0 && t->inodes[ino].refs == 0)
		t->inodes[ino].used = 0;
}
/* A name disappears (unlink, or replaced by rename). */
static void drop_node(struct thr *t, int n) {
	struct node *nd = &t->nodes[n];
	if (nd->kind == N_FILE) {
		t->inodes[nd->ino].nlink--;
		inode_put(t, nd->ino);
	}
	nd->used = 0;
}
static void fresh_name(struct thr *t, int dir, char prefix, char *out) {
	do
		snprintf(out, 16, "%c%ld", prefix, rnd(t, 100));
	while (child(t, dir, out) >= 0);
}
static int free_fd_slot(struct thr *t) {
	for (int i = 0; i < MAX_FDS; i++)
		if (!t->fds[i].used)
			return i;
	return -1;
}
static void add_fd(struct thr *t, int slot, int fd, int ino, int append) {
	int o = 0;
	while (t->ofds[o].used)
		o++; /* ofds <= fds, so a free one exists */
	t->ofds[o] = (struct ofd){.used = 1, .refs = 1, .ino = ino, .append = append};
	t->inodes[ino].refs++;
	t->fds[slot] = (struct fdent){.used = 1, .fd = fd, .ofd = o};
}
/* Keep a newly opened fd in the model, or close it right away if the fd table is full. */
static void keep_fd(struct thr *t, int fd, int ino, int append) {
	int slot = free_fd_slot(t);
	if (slot >= 0)
		add_fd(t, slot, fd, ino, append);
	else
		CHK(S_close(fd) == 0, "close", "new fd");
}
#define FD_APPEND 1
#define FD_PLAIN 2
#define FD_ANY 3
/* Random fd slot whose description matches mask (FD_APPEND / FD_PLAIN), optionally not on inode `not_ino`. */
static int pick_fd(struct thr *t, int mask, int not_ino) {
	int cand[MAX_FDS], n = 0;
	for (int i = 0; i < MAX_FDS; i++) {
		if (!t->fds[i].used)
			continue;
		struct ofd *o = &t->ofds[t->fds[i].ofd];
		if (!(mask & (o->append ? FD_APPEND : FD_PLAIN)) || o->ino == not_ino)
			continue;
		cand[n++] = i;
	}
	return n ? cand[rnd(t, n)] : -1;
}
static struct ofd *ofd_of(struct thr *t, int slot) { return &t->ofds[t->fds[slot].ofd]; }
static struct inode *inode_of(struct thr *t, int slot) { return &t->inodes[ofd_of(t, slot)->ino]; }

static void close_slot(struct thr *t, int slot) {
	struct fdent *f = &t->fds[slot];
	struct ofd *o = &t->ofds[f->ofd];
	CHK(S_close(f->fd) == 0, "close", "model fd");
	f->used = 0;
	if (--o->refs == 0) {
		o->used = 0;
		t->inodes[o->ino].refs--;
		inode_put(t, o->ino);
	}
}

static int open_dir(struct thr *t, int dir) {
	char p[PATH_MAX];
	path_of(t, dir, p, sizeof p);
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHK(fd >= 0, "open(O_DIRECTORY)", p);
	return fd;
}
static void close_helper(struct thr *t, int fd) { CHK(S_close(fd) == 0, "close", "helper fd"); }

/* ---------- sizes and offsets ---------- */
static long wlen(struct thr *t) {
	long r = rnd(t, 100);
	if (r < 60)
		return 1 + rnd(t, 4096);
	if (r < 85)
		return 4096 * (1 + rnd(t, 4));
	if (r < 97)
		return 1 + rnd(t, 16384);
	return 1 + rnd(t, MAX_IO);
}
/* Offset for `len` bytes in a file of `size`: mostly inside, sometimes page aligned, sometimes past EOF. */
static long woff(struct thr *t, long size, long len) {
	long maxoff = MAX_SIZE - len, in = lmin(size, maxoff), r = rnd(t, 10);
	if (r < 6)
		return rnd(t, in + 1);
	if (r < 8)
		return rnd(t, in / 4096 + 1) * 4096;
	return lmin(size + rnd(t, 65536), maxoff);
}
static long newsize(struct thr *t, long size) {
	long r = rnd(t, 10);
	if (r < 4)
		return rnd(t, size + 1);
	if (r < 8)
		return lmin(size + 1 + rnd(t, 65536), MAX_SIZE);
	if (r < 9)
		return 0;
	return rnd(t, MAX_SIZE / 4096 / 4 + 1) * 4096;
}
static const mode_t file_modes[] = {0600, 0640, 0644, 0666};
static const mode_t dir_modes[] = {0700, 0755, 0777};

/* ---------- ops: each returns 0 when not applicable to the model (no call made) ---------- */
static int op_pwrite(struct thr *t, int v) { /* v: 0 pwrite, 1 pwrite64 */
	int s = pick_fd(t, FD_PLAIN, -1);
	if (s < 0)
		return 0;
	struct inode *in = inode_of(t, s);
	long len = wlen(t), off = woff(t, in->size, len);
	fill(t, t->buf, (size_t)len);
	ssize_t r = v ? S_pwrite64(t->fds[s].fd, t->buf, (size_t)len, off)
	              : S_pwrite(t->fds[s].fd, t->buf, (size_t)len, off);
	CHKN(r, len, v ? "pwrite64" : "pwrite", "");
	in->size = lmax(in->size, off + len);
	return 1;
}
static int op_pwrite_append(struct thr *t) {
	int s = pick_fd(t, FD_APPEND, -1);
	if (s < 0)
		return 0;
	struct inode *in = inode_of(t, s);
	long len = lmin(wlen(t), MAX_SIZE - in->size), off = rnd(t, in->size + 1);
	if (len <= 0)
		return 0;
	fill(t, t->buf, (size_t)len);
	CHKN(S_pwrite(t->fds[s].fd, t->buf, (size_t)len, off), len, "pwrite", "O_APPEND fd");
	in->size += len; /* Linux: pwrite on O_APPEND appends; file position unchanged */
	return 1;
}
static int op_write_lseek(struct thr *t) {
	int s = pick_fd(t, FD_PLAIN, -1);
	if (s < 0)
		return 0;
	struct ofd *o = ofd_of(t, s);
	struct inode *in = inode_of(t, s);
	long len = wlen(t);
	if (rnd(t, 10) < 7 || o->pos + len > MAX_SIZE) {
		long off = woff(t, in->size, len);
		CHKN(S_lseek(t->fds[s].fd, off, SEEK_SET), off, "lseek", "");
		o->pos = off;
	}
	fill(t, t->buf, (size_t)len);
	CHKN(S_write(t->fds[s].fd, t->buf, (size_t)len), len, "write", "");
	in->size = lmax(in->size, o->pos + len);
	o->pos += len;
	return 1;
}
static int op_write_append(struct thr *t) {
	int s = pick_fd(t, FD_APPEND, -1);
	if (s < 0)
		return 0;
	struct inode *in = inode_of(t, s);
	long len = lmin(wlen(t), MAX_SIZE - in->size);
	if (len <= 0)
		return 0;
	fill(t, t->buf, (size_t)len);
	CHKN(S_write(t->fds[s].fd, t->buf, (size_t)len), len, "write", "O_APPEND fd");
	in->size += len;
	ofd_of(t, s)->pos = in->size;
	return 1;
}
static long make_iov(struct thr *t, struct iovec *iov, int *niov, long cap) {
	int n = 1 + (int)rnd(t, 4);
	long total = 0, at = 0;
	for (int i = 0; i < n; i++) {
		long l = lmin(1 + rnd(t, 8192), cap - total);
		if (l <= 0) {
			n = i;
			break;
		}
		/* slices of buf, deliberately not adjacent to each other */
		at = (at + rnd(t, 4096)) % (MAX_IO - 8192);
		fill(t, t->buf + at, (size_t)l);
		iov[i] = (struct iovec){.iov_base = t->buf + at, .iov_len = (size_t)l};
		at += l;
		total += l;
	}
	*niov = n;
	return total;
}
static int op_writev(struct thr *t) {
	int s = pick_fd(t, FD_ANY, -1);
	if (s < 0)
		return 0;
	struct ofd *o = ofd_of(t, s);
	struct inode *in = inode_of(t, s);
	struct iovec iov[4];
	int n;
	long total = make_iov(t, iov, &n, o->append ? MAX_SIZE - in->size : 32768);
	if (n == 0 || total <= 0)
		return 0; /* (buffers were filled from the RNG: deterministic either way) */
	if (!o->append && o->pos + total > MAX_SIZE) {
		long off = woff(t, in->size, total);
		CHKN(S_lseek(t->fds[s].fd, off, SEEK_SET), off, "lseek", "");
		o->pos = off;
	}
	CHKN(S_writev(t->fds[s].fd, iov, n), total, "writev", o->append ? "O_APPEND fd" : "");
	if (o->append) {
		in->size += total;
		o->pos = in->size;
	} else {
		in->size = lmax(in->size, o->pos + total);
		o->pos += total;
	}
	return 1;
}
static int op_pwritev(struct thr *t, int v) { /* 0 pwritev, 1 pwritev64, 2 pwritev2 */
	int s = pick_fd(t, FD_PLAIN, -1);
	if (s < 0)
		return 0;
	struct inode *in = inode_of(t, s);
	struct iovec iov[4];
	int n;
	long total = make_iov(t, iov, &n, 32768), off = woff(t, in->size, total);
	int fd = t->fds[s].fd;
	ssize_t r = v == 0 ? S_pwritev(fd, iov, n, off)
	            : v == 1 ? S_pwritev64(fd, iov, n, off)
	                     : S_pwritev2(fd, iov, n, off, 0);
	CHKN(r, total, v == 0 ? "pwritev" : v == 1 ? "pwritev64" : "pwritev2", "");
	in->size = lmax(in->size, off + total);
	return 1;
}
static int op_ftruncate(struct thr *t, int v) {
	int s = pick_fd(t, FD_ANY, -1);
	if (s < 0)
		return 0;
	struct inode *in = inode_of(t, s);
	long ns = newsize(t, in->size);
	int r = v ? S_ftruncate64(t->fds[s].fd, ns) : S_ftruncate(t->fds[s].fd, ns);
	CHK(r == 0, v ? "ftruncate64" : "ftruncate", "");
	in->size = ns;
	return 1;
}
static int op_truncate(struct thr *t, int v) {
	int n = pick_node(t, N_FILE, NULL, 0);
	if (n < 0)
		return 0;
	char p[PATH_MAX];
	path_of(t, n, p, sizeof p);
	struct inode *in = &t->inodes[t->nodes[n].ino];
	long ns = newsize(t, in->size);
	int r = v ? S_truncate64(p, ns) : S_truncate(p, ns);
	CHK(r == 0, v ? "truncate64" : "truncate", p);
	in->size = ns;
	return 1;
}
static int op_fallocate(struct thr *t, int v) { /* 0 fallocate(0), 1 fallocate64(0), 2 keep size, 3 punch */
	int s = pick_fd(t, FD_ANY, -1);
	if (s < 0)
		return 0;
	struct inode *in = inode_of(t, s);
	long off, len;
	int mode = 0;
	if (v <= 1) {
		off = rnd(t, lmin(in->size, MAX_SIZE - 1) + 1);
		len = lmin(1 + rnd(t, MAX_IO), MAX_SIZE - off);
	} else if (v == 2) {
		mode = FALLOC_FL_KEEP_SIZE;
		off = rnd(t, lmin(in->size + 65536, MAX_SIZE - 1));
		len = lmin(1 + rnd(t, MAX_IO), MAX_SIZE - off);
	} else {
		if (in->size == 0)
			return 0;
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		off = rnd(t, in->size);
		len = 1 + rnd(t, lmin(in->size - off + 4096, MAX_IO));
		if (rnd(t, 2)) { /* page-aligned holes actually deallocate */
			off &= ~4095L;
			len = (len + 4095) & ~4095L;
		}
	}
	int r = v == 1 ? S_fallocate64(t->fds[s].fd, mode, off, len) : S_fallocate(t->fds[s].fd, mode, off, len);
	CHK(r == 0, v == 1 ? "fallocate64" : "fallocate", mode == 0 ? "0" : mode == 1 ? "KEEP_SIZE" : "PUNCH_HOLE");
	if (mode == 0)
		in->size = lmax(in->size, off + len);
	return 1;
}
static int op_posix_fallocate(struct thr *t, int v) {
	int s = pick_fd(t, FD_ANY, -1);
	if (s < 0)
		return 0;
	struct inode *in = inode_of(t, s);
	long off = rnd(t, lmin(in->size, MAX_SIZE - 1) + 1), len = lmin(1 + rnd(t, MAX_IO), MAX_SIZE - off);
	int r = v ? S_posix_fallocate64(t->fds[s].fd, off, len) : S_posix_fallocate(t->fds[s].fd, off, len);
	if (r != 0) {
		errno = r;
		die_call(t, v ? "posix_fallocate64" : "posix_fallocate", "");
	}
	in->size = lmax(in->size, off + len);
	return 1;
}
static int pred_nonempty_file_not(struct thr *t, int n, long ino) {
	return t->nodes[n].ino != ino && t->inodes[t->nodes[n].ino].size > 0;
}
static int op_copy(struct thr *t, int v) { /* 0 copy_file_range, 1 sendfile */
	int s = pick_fd(t, FD_PLAIN, -1);
	if (s < 0)
		return 0;
	struct ofd *o = ofd_of(t, s);
	int n = pick_node(t, N_FILE, pred_nonempty_file_not, o->ino);
	if (n < 0)
		return 0;
	struct inode *src = &t->inodes[t->nodes[n].ino], *dst = &t->inodes[o->ino];
	long in_off = rnd(t, src->size), want = 1 + rnd(t, MAX_IO), got = lmin(want, src->size - in_off);
	char p[PATH_MAX];
	path_of(t, n, p, sizeof p);
	if (v == 0) {
		long out_off = woff(t, dst->size, got);
		int in = S_open(p, O_RDONLY | O_CLOEXEC);
		CHK(in >= 0, "open(O_RDONLY)", p);
		int64_t oi = in_off, oo = out_off;
		CHKN(S_copy_file_range(in, &oi, t->fds[s].fd, &oo, (size_t)want, 0), got, "copy_file_range", p);
		close_helper(t, in);
		dst->size = lmax(dst->size, out_off + got);
	} else {
		if (o->pos + got > MAX_SIZE) {
			long off = woff(t, dst->size, got);
			CHKN(S_lseek(t->fds[s].fd, off, SEEK_SET), off, "lseek", "");
			o->pos = off;
		}
		int in = S_open(p, O_RDONLY | O_CLOEXEC);
		CHK(in >= 0, "open(O_RDONLY)", p);
		long oi = in_off;
		CHKN(S_sendfile(t->fds[s].fd, in, &oi, (size_t)want), got, "sendfile", p);
		close_helper(t, in);
		dst->size = lmax(dst->size, o->pos + got);
		o->pos += got;
	}
	return 1;
}
/* create a new file: v = 0 open, 1 open64, 2 openat, 3 openat64, 4 creat, 5 creat64 */
static int op_create_new(struct thr *t, int v) {
	if (count_kind(t, N_FILE) >= MAX_FILES || free_inodes(t) == 0)
		return 0;
	int dir = pick_dir(t, NULL, 0);
	char name[16], p[PATH_MAX];
	fresh_name(t, dir, 'f', name);
	path_in(t, dir, name, p, sizeof p);
	mode_t mode = file_modes[rnd(t, 4)];
	int append = v < 4 && rnd(t, 10) < 3; /* (one RNG draw per statement: evaluation order is fixed) */
	int acc = append ? O_RDWR | O_APPEND : rnd(t, 4) ? O_RDWR : O_WRONLY;
	int excl = rnd(t, 3) == 0 ? O_EXCL : 0;
	int flags = O_CREAT | O_TRUNC | O_CLOEXEC | acc | excl;
	int fd;
	static const char *const names[] = {"open", "open64", "openat", "openat64", "creat", "creat64"};
	if (v == 2 || v == 3) {
		int d = open_dir(t, dir);
		fd = v == 2 ? S_openat(d, name, flags, mode) : S_openat64(d, name, flags, mode);
		close_helper(t, d);
	} else if (v <= 1)
		fd = v ? S_open64(p, flags, mode) : S_open(p, flags, mode);
	else
		fd = v == 4 ? S_creat(p, mode) : S_creat64(p, mode);
	CHK(fd >= 0, names[v], p);
	observe_fd(fd);
	int n = alloc_node(t, N_FILE, dir, name), ino = alloc_inode(t);
	t->nodes[n].ino = ino;
	keep_fd(t, fd, ino, append);
	return 1;
}
/* O_CREAT|O_TRUNC on an existing file: v = 0 open, 1 open64, 2 openat, 3 creat */
static int op_create_existing(struct thr *t, int v) {
	int n = pick_node(t, N_FILE, NULL, 0);
	if (n < 0)
		return 0;
	char p[PATH_MAX];
	path_of(t, n, p, sizeof p);
	int append = v != 3 && rnd(t, 10) < 3;
	int flags = O_CREAT | O_TRUNC | O_CLOEXEC | (append ? O_RDWR | O_APPEND : O_RDWR);
	mode_t mode = file_modes[rnd(t, 4)]; /* ignored: the file exists */
	int fd;
	static const char *const names[] = {"open", "open64", "openat", "creat"};
	if (v == 2) {
		int d = open_dir(t, t->nodes[n].parent);
		fd = S_openat(d, t->nodes[n].name, flags, mode);
		close_helper(t, d);
	} else if (v == 3)
		fd = S_creat(p, mode);
	else
		fd = v ? S_open64(p, flags, mode) : S_open(p, flags, mode);
	CHK(fd >= 0, names[v], p);
	t->inodes[t->nodes[n].ino].size = 0;
	keep_fd(t, fd, t->nodes[n].ino, append);
	return 1;
}
/* open an existing file without O_CREAT. trunc: O_TRUNC (a mutation). v = 0 open, 1 open64, 2 __open_2,
 * 3 __open64_2, 4 __openat_2, 5 __openat64_2 */
static int op_open_existing(struct thr *t, int v, int trunc) {
	if (!trunc && free_fd_slot(t) < 0)
		return 0;
	int n = pick_node(t, N_FILE, NULL, 0);
	if (n < 0)
		return 0;
	char p[PATH_MAX];
	path_of(t, n, p, sizeof p);
	long r = rnd(t, 3);
	int append = r == 2;
	int flags = (r == 0 ? O_RDWR : r == 1 ? O_WRONLY : O_RDWR | O_APPEND) | O_CLOEXEC | (trunc ? O_TRUNC : 0);
	int fd;
	static const char *const names[] = {"open", "open64", "__open_2", "__open64_2", "__openat_2", "__openat64_2"};
	if (v >= 4) {
		int d = open_dir(t, t->nodes[n].parent);
		fd = v == 4 ? S___openat_2(d, t->nodes[n].name, flags) : S___openat64_2(d, t->nodes[n].name, flags);
		close_helper(t, d);
	} else
		fd = v == 0 ? S_open(p, flags) : v == 1 ? S_open64(p, flags) : v == 2 ? S___open_2(p, flags) : S___open64_2(p, flags);
	CHK(fd >= 0, names[v], p);
	if (trunc)
		t->inodes[t->nodes[n].ino].size = 0;
	keep_fd(t, fd, t->nodes[n].ino, append);
	return 1;
}
static int op_dup(struct thr *t, int v) { /* 0 dup, 1 dup2, 2 dup3, 3 fcntl(F_DUPFD_CLOEXEC) */
	int slot = free_fd_slot(t), s = pick_fd(t, FD_ANY, -1);
	if (slot < 0 || s < 0)
		return 0;
	int old = t->fds[s].fd, fd, target = DUP2_BASE + t->id * MAX_FDS + slot;
	if (v == 1 || v == 2)
		CHK(S_fcntl(target, F_GETFD) < 0 && errno == EBADF, "fcntl(F_GETFD) of dup2 target (must be free)", "");
	fd = v == 0 ? S_dup(old) : v == 1 ? S_dup2(old, target) : v == 2 ? S_dup3(old, target, O_CLOEXEC)
	                                                    : S_fcntl(old, F_DUPFD_CLOEXEC, 0);
	CHK(fd >= 0, v == 0 ? "dup" : v == 1 ? "dup2" : v == 2 ? "dup3" : "fcntl(F_DUPFD_CLOEXEC)", "");
	t->fds[slot] = (struct fdent){.used = 1, .fd = fd, .ofd = t->fds[s].ofd};
	ofd_of(t, slot)->refs++;
	return 1;
}
static int op_close(struct thr *t) {
	int s = pick_fd(t, FD_ANY, -1);
	if (s < 0)
		return 0;
	close_slot(t, s);
	return 1;
}
static int pred_not_parent(struct thr *t, int n, long node) { return t->nodes[node].parent != n; }
static int pred_other_node(struct thr *t, int n, long node) { (void)t; return n != node; }
/* Rename a file or symlink. v = 0 same dir, 1 other dir, 2 over an existing non-dir, 3 renameat (either),
 * 4 renameat2 RENAME_NOREPLACE, 5 renameat2 RENAME_EXCHANGE */
static int op_rename(struct thr *t, int v) {
	int n = pick_node(t, N_FILE | N_LINK, NULL, 0);
	if (n < 0)
		return 0;
	int over = -1, dir;
	char name[16];
	if (v == 2 || v == 5 || (v == 3 && rnd(t, 2))) {
		over = pick_node(t, N_FILE | N_LINK, pred_other_node, n);
		if (over < 0)
			return 0;
		dir = t->nodes[over].parent;
		snprintf(name, sizeof name, "%s", t->nodes[over].name);
	} else {
		dir = v == 0 ? t->nodes[n].parent : v == 1 ? pick_dir(t, pred_not_parent, n) : pick_dir(t, NULL, 0);
		if (dir < 0)
			return 0;
		fresh_name(t, dir, t->nodes[n].kind == N_FILE ? 'f' : 's', name);
	}
	char from[PATH_MAX], to[PATH_MAX];
	path_of(t, n, from, sizeof from);
	path_in(t, dir, name, to, sizeof to);
	if (v <= 2)
		CHK(S_rename(from, to) == 0, "rename", from);
	else if (v == 3) {
		int d1 = open_dir(t, t->nodes[n].parent), d2 = open_dir(t, dir);
		CHK(S_renameat(d1, t->nodes[n].name, d2, name) == 0, "renameat", from);
		close_helper(t, d1);
		close_helper(t, d2);
	} else
		CHK(S_renameat2(AT_FDCWD, from, AT_FDCWD, to, v == 4 ? RENAME_NOREPLACE : RENAME_EXCHANGE) == 0,
		    "renameat2", from);
	if (v == 5) { /* swap the two names */
		struct node *a = &t->nodes[n], *b = &t->nodes[over];
		int pa = a->parent;
		char na[16];
		memcpy(na, a->name, sizeof na);
		a->parent = b->parent;
		memcpy(a->name, b->name, sizeof na);
		b->parent = pa;
		memcpy(b->name, na, sizeof na);
		return 1;
	}
	if (over >= 0) {
		if (t->nodes[n].kind == N_FILE && t->nodes[over].kind == N_FILE && t->nodes[n].ino == t->nodes[over].ino)
			return 1; /* two links of one inode: rename() does nothing and succeeds */
		drop_node(t, over);
	}
	t->nodes[n].parent = dir;
	snprintf(t->nodes[n].name, sizeof t->nodes[n].name, "%s", name);
	return 1;
}
static int pred_not_root(struct thr *t, int n, long a) { (void)t; (void)a; return n != 0; }
static int pred_outside(struct thr *t, int n, long d) { return !is_ancestor_or_self(t, (int)d, n); }
static int pred_empty_other(struct thr *t, int n, long d) {
	return n != 0 && n != d && n_children(t, n) == 0 && !is_ancestor_or_self(t, (int)d, n);
}
static int op_rename_dir(struct thr *t, int over) {
	int d = pick_dir(t, pred_not_root, 0);
	if (d < 0)
		return 0;
	int dst = -1, dir;
	char name[16];
	if (over) {
		dst = pick_dir(t, pred_empty_other, d);
		if (dst < 0)
			return 0;
		dir = t->nodes[dst].parent;
		snprintf(name, sizeof name, "%s", t->nodes[dst].name);
	} else {
		dir = pick_dir(t, pred_outside, d);
		if (dir < 0)
			return 0;
		fresh_name(t, dir, 'd', name);
	}
	char from[PATH_MAX], to[PATH_MAX];
	path_of(t, d, from, sizeof from);
	path_in(t, dir, name, to, sizeof to);
	CHK(S_rename(from, to) == 0, "rename", from);
	if (dst >= 0)
		drop_node(t, dst);
	t->nodes[d].parent = dir;
	snprintf(t->nodes[d].name, sizeof t->nodes[d].name, "%s", name);
	return 1;
}
static int op_unlink(struct thr *t, int v) {
	int n = pick_node(t, N_FILE | N_LINK, NULL, 0);
	if (n < 0)
		return 0;
	char p[PATH_MAX];
	path_of(t, n, p, sizeof p);
	if (v) {
		int d = open_dir(t, t->nodes[n].parent);
		CHK(S_unlinkat(d, t->nodes[n].name, 0) == 0, "unlinkat", p);
		close_helper(t, d);
	} else
		CHK(S_unlink(p) == 0, "unlink", p);
	drop_node(t, n);
	return 1;
}
static int pred_shallow(struct thr *t, int n, long a) { (void)a; return depth(t, n) < MAX_DEPTH; }
static int op_mkdir(struct thr *t, int v) {
	if (count_kind(t, N_DIR) >= MAX_DIRS)
		return 0;
	int dir = pick_dir(t, pred_shallow, 0);
	char name[16], p[PATH_MAX];
	fresh_name(t, dir, 'd', name);
	path_in(t, dir, name, p, sizeof p);
	mode_t mode = dir_modes[rnd(t, 3)];
	if (v) {
		int d = open_dir(t, dir);
		CHK(S_mkdirat(d, name, mode) == 0, "mkdirat", p);
		close_helper(t, d);
	} else
		CHK(S_mkdir(p, mode) == 0, "mkdir", p);
	observe_path(p);
	alloc_node(t, N_DIR, dir, name);
	return 1;
}
static int pred_empty(struct thr *t, int n, long a) { (void)a; return n != 0 && n_children(t, n) == 0; }
static int op_rmdir(struct thr *t, int v) {
	int n = pick_dir(t, pred_empty, 0);
	if (n < 0)
		return 0;
	char p[PATH_MAX];
	path_of(t, n, p, sizeof p);
	if (v) {
		int d = open_dir(t, t->nodes[n].parent);
		CHK(S_unlinkat(d, t->nodes[n].name, AT_REMOVEDIR) == 0, "unlinkat(AT_REMOVEDIR)", p);
		close_helper(t, d);
	} else
		CHK(S_rmdir(p) == 0, "rmdir", p);
	t->nodes[n].used = 0;
	return 1;
}
static int op_link(struct thr *t, int v) {
	if (count_kind(t, N_FILE) >= MAX_FILES)
		return 0;
	int n = pick_node(t, N_FILE, NULL, 0);
	if (n < 0)
		return 0;
	int dir = pick_dir(t, NULL, 0);
	char name[16], from[PATH_MAX], to[PATH_MAX];
	fresh_name(t, dir, 'f', name);
	path_of(t, n, from, sizeof from);
	path_in(t, dir, name, to, sizeof to);
	if (v) {
		int d1 = open_dir(t, t->nodes[n].parent), d2 = open_dir(t, dir);
		CHK(S_linkat(d1, t->nodes[n].name, d2, name, 0) == 0, "linkat", from);
		close_helper(t, d1);
		close_helper(t, d2);
	} else
		CHK(S_link(from, to) == 0, "link", from);
	int m = alloc_node(t, N_FILE, dir, name);
	t->nodes[m].ino = t->nodes[n].ino;
	t->inodes[t->nodes[n].ino].nlink++;
	return 1;
}
static int op_symlink(struct thr *t, int v) {
	if (count_kind(t, N_LINK) >= MAX_SYMLINKS)
		return 0;
	int dir = pick_dir(t, NULL, 0);
	char name[16], p[PATH_MAX], target[48];
	fresh_name(t, dir, 's', name);
	path_in(t, dir, name, p, sizeof p);
	switch (rnd(t, 4)) {
	case 0: snprintf(target, sizeof target, "f%ld", rnd(t, 100)); break;
	case 1: {
		long a = rnd(t, 100), b = rnd(t, 100);
		snprintf(target, sizeof target, "../d%ld/f%ld", a, b);
		break;
	}
	case 2: snprintf(target, sizeof target, "/nonexistent/hb-oracle/%ld", rnd(t, 1000)); break;
	default: snprintf(target, sizeof target, "dangling-%016llx", (unsigned long long)next(t)); break;
	}
	if (v) {
		int d = open_dir(t, dir);
		CHK(S_symlinkat(target, d, name) == 0, "symlinkat", p);
		close_helper(t, d);
	} else
		CHK(S_symlink(target, p) == 0, "symlink", p);
	observe_path(p);
	int n = alloc_node(t, N_LINK, dir, name);
	snprintf(t->nodes[n].target, sizeof t->nodes[n].target, "%s", target);
	return 1;
}

static int do_kind(struct thr *t, int k) {
	switch (k) {
	case K_pwrite: return op_pwrite(t, 0);
	case K_pwrite64: return op_pwrite(t, 1);
	case K_pwrite_append: return op_pwrite_append(t);
	case K_write_lseek: return op_write_lseek(t);
	case K_write_append: return op_write_append(t);
	case K_writev: return op_writev(t);
	case K_pwritev: return op_pwritev(t, 0);
	case K_pwritev64: return op_pwritev(t, 1);
	case K_pwritev2: return op_pwritev(t, 2);
	case K_ftruncate: return op_ftruncate(t, 0);
	case K_ftruncate64: return op_ftruncate(t, 1);
	case K_truncate: return op_truncate(t, 0);
	case K_truncate64: return op_truncate(t, 1);
	case K_fallocate: return op_fallocate(t, 0);
	case K_fallocate64: return op_fallocate(t, 1);
	case K_fallocate_keep_size: return op_fallocate(t, 2);
	case K_fallocate_punch_hole: return op_fallocate(t, 3);
	case K_posix_fallocate: return op_posix_fallocate(t, 0);
	case K_posix_fallocate64: return op_posix_fallocate(t, 1);
	case K_copy_file_range: return op_copy(t, 0);
	case K_sendfile: return op_copy(t, 1);
	case K_open_creat_new: return op_create_new(t, 0);
	case K_open64_creat_new: return op_create_new(t, 1);
	case K_openat_creat_new: return op_create_new(t, 2);
	case K_openat64_creat_new: return op_create_new(t, 3);
	case K_creat_new: return op_create_new(t, 4);
	case K_creat64_new: return op_create_new(t, 5);
	case K_open_creat_existing: return op_create_existing(t, 0);
	case K_open64_creat_existing: return op_create_existing(t, 1);
	case K_openat_creat_existing: return op_create_existing(t, 2);
	case K_creat_existing: return op_create_existing(t, 3);
	case K_open_trunc: return op_open_existing(t, 0, 1);
	case K___open64_2_trunc: return op_open_existing(t, 3, 1);
	case K___openat64_2_trunc: return op_open_existing(t, 5, 1);
	case K_open_fd: return op_open_existing(t, 0, 0);
	case K_open64_fd: return op_open_existing(t, 1, 0);
	case K___open_2_fd: return op_open_existing(t, 2, 0);
	case K___open64_2_fd: return op_open_existing(t, 3, 0);
	case K___openat_2_fd: return op_open_existing(t, 4, 0);
	case K___openat64_2_fd: return op_open_existing(t, 5, 0);
	case K_dup: return op_dup(t, 0);
	case K_dup2: return op_dup(t, 1);
	case K_dup3: return op_dup(t, 2);
	case K_fcntl_dupfd: return op_dup(t, 3);
	case K_close: return op_close(t);
	case K_rename: return op_rename(t, 0);
	case K_rename_cross_dir: return op_rename(t, 1);
	case K_rename_over: return op_rename(t, 2);
	case K_renameat: return op_rename(t, 3);
	case K_renameat2: return op_rename(t, 4);
	case K_renameat2_exchange: return op_rename(t, 5);
	case K_rename_dir: return op_rename_dir(t, 0);
	case K_rename_dir_over: return op_rename_dir(t, 1);
	case K_unlink: return op_unlink(t, 0);
	case K_unlinkat: return op_unlink(t, 1);
	case K_mkdir: return op_mkdir(t, 0);
	case K_mkdirat: return op_mkdir(t, 1);
	case K_rmdir: return op_rmdir(t, 0);
	case K_unlinkat_rmdir: return op_rmdir(t, 1);
	case K_link: return op_link(t, 0);
	case K_linkat: return op_link(t, 1);
	case K_symlink: return op_symlink(t, 0);
	case K_symlinkat: return op_symlink(t, 1);
	}
	return 0;
}

static unsigned weight_total;
static void one_op(struct thr *t) {
	for (int tries = 0; tries < 100000; tries++) {
		long r = rnd(t, weight_total);
		int k = 0;
		while (r >= (long)kind_weight[k])
			r -= kind_weight[k++];
		t->kind = k;
		if (do_kind(t, k)) {
			t->counts[k]++;
			return;
		}
	}
	fprintf(stderr, "%s: t%d op %llu: no applicable op (writer bug)\n", prog, t->id, (unsigned long long)(t->opno + 1));
	_exit(4);
}
static void store_counter(struct thr *t) {
	unsigned char le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(t->opno >> (8 * i));
	CHKN(S_pwrite64(t->counter_fd, le, 8, 0), 8, "pwrite64", ".counter");
}

/* ---------- setup, run, replay, check ---------- */
static void setup_thr(struct thr *t, const char *dir, uint64_t seed) {
	pathf(t->root, sizeof t->root, "%s/t%d", dir, t->id);
	seed_thr(t, seed);
	t->nodes[0] = (struct node){.used = 1, .kind = N_DIR, .parent = -1, .ino = -1};
	t->kind = K_mkdir;
	CHK(S_mkdir(t->root, 0755) == 0, "mkdir", t->root);
	observe_path(t->root);
	char p[PATH_MAX];
	pathf(p, sizeof p, "%s/.counter", t->root);
	t->counter_fd = S_open(p, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	CHK(t->counter_fd >= 0, "open", p);
	observe_fd(t->counter_fd);
	store_counter(t);
}
static double now_s(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static void *run_thr(void *arg) {
	struct thr *t = arg;
	while (!stop_flag && (!t->max_ops || t->opno < t->max_ops) && (t->deadline == 0 || now_s() < t->deadline)) {
		one_op(t);
		t->opno++;
		store_counter(t);
		if (t->delay_us > 0) {
			struct timespec ts = {t->delay_us / 1000000, (t->delay_us % 1000000) * 1000};
			nanosleep(&ts, NULL); /* EINTR on a signal: fine, the loop checks stop_flag */
		}
	}
	return NULL;
}

static int model_fail;
static void mismatch(struct thr *t, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: t%d model mismatch: ", prog, t->id);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	model_fail = 1;
}
/* Read-only check that the directory matches the model (catches writer bugs; never influences choices). */
static void check_model(struct thr *t) {
	uint64_t ino_of[MAX_INODES] = {0};
	for (int i = 0; i < MAX_NODES; i++) {
		struct node *n = &t->nodes[i];
		if (!n->used)
			continue;
		char p[PATH_MAX];
		path_of(t, i, p, sizeof p);
		struct stat st;
		if (lstat(p, &st) != 0) {
			mismatch(t, "%s: %s", p, strerror(errno));
			continue;
		}
		if (n->kind == N_DIR) {
			if (!S_ISDIR(st.st_mode))
				mismatch(t, "%s: not a directory", p);
			DIR *d = opendir(p);
			int cnt = 0;
			struct dirent *e;
			while (d && (e = readdir(d)))
				cnt += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !(i == 0 && !strcmp(e->d_name, ".counter"));
			if (d)
				closedir(d);
			if (cnt != n_children(t, i))
				mismatch(t, "%s: %d entries, model has %d", p, cnt, n_children(t, i));
		} else if (n->kind == N_LINK) {
			char buf[64];
			ssize_t l = readlink(p, buf, sizeof buf - 1);
			if (!S_ISLNK(st.st_mode) || l < 0 || (buf[l] = 0, strcmp(buf, n->target)))
				mismatch(t, "%s: symlink target differs", p);
		} else {
			struct inode *in = &t->inodes[n->ino];
			if (!S_ISREG(st.st_mode) || st.st_size != in->size || (long)st.st_nlink != in->nlink)
				mismatch(t, "%s: size %ld nlink %ld, model %ld %d", p, (long)st.st_size, (long)st.st_nlink,
				         in->size, in->nlink);
			if (ino_of[n->ino] && ino_of[n->ino] != (uint64_t)st.st_ino)
				mismatch(t, "%s: should be a hard link of another model name", p);
			ino_of[n->ino] = (uint64_t)st.st_ino;
		}
	}
	for (int a = 0; a < MAX_INODES; a++)
		for (int b = a + 1; b < MAX_INODES; b++)
			if (ino_of[a] && ino_of[a] == ino_of[b])
				mismatch(t, "model inodes %d and %d are one inode", a, b);
	for (int s = 0; s < MAX_FDS; s++) {
		if (!t->fds[s].used)
			continue;
		struct stat st;
		struct inode *in = inode_of(t, s);
		if (fstat(t->fds[s].fd, &st) != 0 || st.st_size != in->size || (long)st.st_nlink != in->nlink)
			mismatch(t, "fd %d: size/nlink differ from model (%ld/%d)", t->fds[s].fd, in->size, in->nlink);
		if (!ofd_of(t, s)->append) {
			long pos = S_lseek(t->fds[s].fd, 0, SEEK_CUR);
			if (pos != ofd_of(t, s)->pos)
				mismatch(t, "fd %d: position %ld, model %ld", t->fds[s].fd, pos, ofd_of(t, s)->pos);
		}
	}
}

static void on_signal(int sig) {
	(void)sig;
	stop_flag = 1;
}
static void usage(void) {
	fprintf(stderr, "usage: %s run DIR SEED [--threads T] [--ops N] [--seconds S] [--delay-us D] [--ready FILE]\n"
	                "       %s replay DIR SEED --upto K[+][,K2[+],...]\n", prog, prog);
	exit(2);
}
static uint64_t parse_u64(const char *s, const char *what) {
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "%s: bad %s: %s\n", prog, what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv) {
	if (argc < 4)
		usage();
	int replay = !strcmp(argv[1], "replay");
	if (!replay && strcmp(argv[1], "run"))
		usage();
	const char *dir_arg = argv[2], *ready = NULL, *upto = NULL;
	uint64_t seed = parse_u64(argv[3], "SEED"), max_ops = 0;
	long nthreads = 1, delay_us = 0;
	double seconds = 0;
	for (int i = 4; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--threads") && !replay)
			nthreads = (long)parse_u64(v, "--threads");
		else if (!strcmp(a, "--ops") && !replay)
			max_ops = parse_u64(v, "--ops");
		else if (!strcmp(a, "--seconds") && !replay)
			seconds = atof(v);
		else if (!strcmp(a, "--delay-us") && !replay)
			delay_us = (long)parse_u64(v, "--delay-us");
		else if (!strcmp(a, "--ready") && !replay)
			ready = v;
		else if (!strcmp(a, "--upto") && replay)
			upto = v;
		else
			usage();
		i++;
	}
	uint64_t upto_k[MAX_THREADS];
	int upto_plus[MAX_THREADS];
	if (replay) {
		if (!upto)
			usage();
		char buf[1024];
		snprintf(buf, sizeof buf, "%s", upto);
		nthreads = 0;
		for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (nthreads >= MAX_THREADS)
				usage();
			size_t l = strlen(tok);
			upto_plus[nthreads] = l > 0 && tok[l - 1] == '+';
			if (upto_plus[nthreads])
				tok[l - 1] = 0;
			upto_k[nthreads++] = parse_u64(tok, "--upto");
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "%s: threads must be 1..%d\n", prog, MAX_THREADS);
		return 2;
	}
	umask(022);
	for (int k = 0; k < NKINDS; k++)
		weight_total += kind_weight[k];

	if (mkdir(dir_arg, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: mkdir %s: %s\n", prog, dir_arg, strerror(errno));
		return 2;
	}
	char dir[PATH_MAX];
	if (!realpath(dir_arg, dir)) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir_arg, strerror(errno));
		return 2;
	}
	if (replay) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				fprintf(stderr, "%s: replay needs an empty directory: %s is not\n", prog, dir);
				return 2;
			}
		if (d)
			closedir(d);
	}
	struct thr *ts = calloc((size_t)nthreads, sizeof *ts);
	if (!ts) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 3;
	}
	for (int i = 0; i < nthreads; i++) {
		char p[PATH_MAX];
		pathf(p, sizeof p, "%s/t%d", dir, i);
		if (access(p, F_OK) == 0) {
			fprintf(stderr, "%s: %s exists: run needs a fresh directory\n", prog, p);
			return 2;
		}
	}
	for (int i = 0; i < nthreads; i++) {
		ts[i].id = i;
		setup_thr(&ts[i], dir, seed);
	}

	if (replay) {
		for (int i = 0; i < nthreads; i++) {
			struct thr *t = &ts[i];
			while (t->opno < upto_k[i]) {
				one_op(t);
				t->opno++;
				store_counter(t);
			}
			if (upto_plus[i])
				one_op(t); /* op K+1 done, counter still K */
		}
	} else {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		double deadline = seconds > 0 ? now_s() + seconds : 0;
		for (int i = 0; i < nthreads; i++) {
			ts[i].max_ops = max_ops;
			ts[i].deadline = deadline;
			ts[i].delay_us = delay_us;
			int e = pthread_create(&ts[i].th, NULL, run_thr, &ts[i]);
			if (e) {
				fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(e));
				return 3;
			}
		}
		if (ready) {
			char tmp[PATH_MAX + 8];
			pathf(tmp, sizeof tmp, "%s.tmp", ready);
			FILE *f = fopen(tmp, "w");
			if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 || rename(tmp, ready) != 0) {
				fprintf(stderr, "%s: --ready %s: %s\n", prog, ready, strerror(errno));
				return 3;
			}
		}
		for (int i = 0; i < nthreads; i++)
			pthread_join(ts[i].th, NULL);
	}

	for (int i = 0; i < nthreads; i++)
		check_model(&ts[i]);
	for (int k = 0; k < NKINDS; k++) {
		uint64_t c = 0;
		for (int i = 0; i < nthreads; i++)
			c += ts[i].counts[k];
		fprintf(stderr, "op %s %llu\n", kind_name[k], (unsigned long long)c);
	}
	for (int i = 0; i < nthreads; i++)
		fprintf(stderr, "thread %d ops %llu\n", i, (unsigned long long)ts[i].opno);
	fprintf(stderr, "note inode_reuse %llu creates %llu\n", (unsigned long long)reuse_count,
	        (unsigned long long)create_count);
	return model_fail ? 4 : 0;
}
