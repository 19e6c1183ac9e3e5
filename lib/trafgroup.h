/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Traffic groups: one per (grouping, key) - a process, a connection, a
 * remote end, a container, a user, a namespace - with its interval's and
 * its total bytes, and copies of what its rows point to (the socket, the
 * process, the namespace's name), which outlive the sockets. */
#ifndef WHOSOCK_TRAFGROUP_H
#define WHOSOCK_TRAFGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "whosock/traffic.h"

/* What tells groups apart (compared whole: build it from zero). */
struct tgkey {
	uint8_t by, proto, family, kind; /* kind: CONTAINER/USER 0 none known, 1 known, 2 the host */
	uint32_t uid;
	int32_t pid;
	uint16_t port;
	uint8_t addr[16];
	uint64_t netns, cookie, strhash;
};

struct tgroup {
	struct tgkey key;
	struct whosock_meter_row row; /* the numbers; pointers into the copies */
	struct whosock_socket *sock;  /* CONNECTION: a copy (sockcopy) */
	struct whosock_process *proc; /* a copy (strings in the same block), or NULL */
	char *netns_name;
	bool used; /* moved bytes or had a connection this interval */
};

struct tgroups {
	struct tgroup **v;
	size_t n, cap;
	struct tgroup **index; /* open addressing over v's members */
	size_t index_cap;
};

/* The key of s (attributed to process p, may be NULL) in grouping by. */
void tgkey_make(struct tgkey *k, enum whosock_meter_by by, const struct whosock_socket *s,
		const struct whosock_process *p);

/* The group of k, made when new (s and p copied as its rows need them).
 * Returns it, or NULL when out of memory. */
struct tgroup *tgroups_get(struct tgroups *g, const struct tgkey *k, const struct whosock_socket *s,
			   const struct whosock_process *p);

/* Add a socket's bytes (and its being open or closing) to the group. */
void tgroup_add(struct tgroup *t, const struct whosock_socket *s, uint64_t sent, uint64_t received,
		bool open, bool closed);

/* Forget the groups that were not used this interval. */
void tgroups_sweep(struct tgroups *g);

/* Start the next interval: interval counts back to 0, none used. */
void tgroups_next(struct tgroups *g);

void tgroups_free(struct tgroups *g);

/* Rows of grouping by, copied into a new array, most bytes first: returns
 * the count (0 with *out NULL when none), or -ENOMEM. */
long tgroups_rows(const struct tgroups *g, enum whosock_meter_by by, struct whosock_meter_row **out);

#endif
