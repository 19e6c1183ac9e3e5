/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The snapshot under construction: collectors push sockets into it. */
#ifndef WHOSOCK_SNAPSHOT_H
#define WHOSOCK_SNAPSHOT_H

#include "whosock/whosock.h"

/* Caps on memory chosen by other users' data (paths, notes). */
#define SNAPSHOT_MAX_SOCKETS (64u * 1024u * 1024u)
#define SNAPSHOT_MAX_NOTES 256u
#define SNAPSHOT_MAX_TIMINGS 65536u

/* New empty snapshot, or NULL when out of memory. */
struct whosock_snapshot *snapshot_new(void);

/* Copy *s into the snapshot. Strings it points to must already belong to the
 * snapshot (snapshot_strndup()). Returns 0 or -ENOMEM / -E2BIG. */
int snapshot_push(struct whosock_snapshot *snap, const struct whosock_socket *s);

/* Copy len bytes of str (plus a NUL) into the snapshot's string arena.
 * Returns the copy, valid until the snapshot is freed, or NULL (out of memory). */
const char *snapshot_strndup(struct whosock_snapshot *snap, const char *str, size_t len);

/* Add a copy of *note (its strings copied into the snapshot). Notes beyond
 * SNAPSHOT_MAX_NOTES are counted in one WHOSOCK_NOTE_DROPPED note, not
 * stored; identical notes are kept once. Returns 0 or -ENOMEM. */
int snapshot_note(struct whosock_snapshot *snap, const struct whosock_note *note);

/* snapshot_note() of a note written in place:
 * NOTE(snap, .code = WHOSOCK_NOTE_..., .count = n). */
#define NOTE(snap, ...) snapshot_note((snap), &(const struct whosock_note){ __VA_ARGS__ })

/* Make room for n sockets in all, so that pushes and merges up to that
 * many move the array no more. Returns 0 or -ENOMEM/-E2BIG. */
int snapshot_reserve(struct whosock_snapshot *snap, size_t n);

/* Drop every socket from index n on (strings stay in the arena). */
void snapshot_truncate(struct whosock_snapshot *snap, size_t n);

/* Let the snapshot free ptr (from malloc) with itself. Returns ptr, or NULL
 * when ptr is NULL or memory ran out (ptr is then freed). */
void *snapshot_adopt(struct whosock_snapshot *snap, void *ptr);

/* Record how many processes' fd tables could not be read. */
void snapshot_set_hidden(struct whosock_snapshot *snap, size_t n);

/* Drop the sockets that have no owner (an owner filter is in force). */
void snapshot_keep_owned(struct whosock_snapshot *snap);

/* Move everything src holds (sockets, strings, notes, adopted memory) to
 * the end of dst; src is left empty, to be freed by the caller. Pointers into
 * src's strings stay valid. Returns 0 or -ENOMEM/-E2BIG. */
int snapshot_merge(struct whosock_snapshot *dst, struct whosock_snapshot *src);

/* CLOCK_MONOTONIC in nanoseconds, for the timings. */
uint64_t snapshot_clock(void);

/* Record how long a phase took (a copy of *t; phase and netns_name must be
 * static or in the arena). Past SNAPSHOT_MAX_TIMINGS entries are not kept.
 * Returns 0 or -ENOMEM. */
int snapshot_timing(struct whosock_snapshot *snap, const struct whosock_timing *t);

/* The timing of a phase that is not a dump: TIMING(snap, "join", ns, count). */
#define TIMING(snap, name, ns, n)                                                       \
	snapshot_timing((snap), &(const struct whosock_timing){ .phase = (name), .proto = -1,   \
								.family = -1, .elapsed_ns = (ns), \
								.count = (n) })

/* Set the namespace of every "dump" timing of snap (a part of one namespace). */
void snapshot_timing_netns(struct whosock_snapshot *snap, uint64_t netns, const char *name);

/* Mutable access for the join phase (owners, names). */
struct whosock_socket *snapshot_at(struct whosock_snapshot *snap, size_t i);

#endif
