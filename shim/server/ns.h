/* Resolving the path arguments of namespace calls to (parent directory identity, name, absolute path). */
#ifndef HB_NS_H
#define HB_NS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define HB_PATH 4096

struct hb_where {
	int pfd;              /* O_PATH descriptor of the parent directory, -1 if unresolved */
	int in_root;          /* the parent is at or under a capture root */
	int unjournaled;      /* ...and the entry is a file the capture leaves out (its changes came unjournaled) */
	uint64_t pdev, pino;
	const char *name;     /* last component, inside the caller's path */
	size_t nlen;
	char abs[HB_PATH * 2]; /* absolute path of the entry */
	size_t alen;
};

/* 0 on success; -1 if the parent cannot be resolved (then nothing is journaled for it). */
int hb_where(int dirfd, const char *path, struct hb_where *w);
void hb_where_done(struct hb_where *w);
/* lstat of the entry relative to its parent; 0 on success. */
int hb_where_stat(struct hb_where *w, struct stat *st);

#endif
