/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The snapshot: a growable array of sockets, a string arena and notes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot.h"

/* Strings live in chunks that never move, so pointers into them stay valid
 * while the socket array is reallocated. */
struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

#define CHUNK_SIZE (64u * 1024u)

struct whosock_snapshot {
	struct whosock_socket *socks;
	size_t n, cap;
	struct chunk *chunks;
	struct whosock_note *notes;
	size_t n_notes;
	struct whosock_note dropped; /* count: notes beyond SNAPSHOT_MAX_NOTES */
	void **adopted;
	size_t n_adopted;
	size_t hidden;
	struct whosock_timing *timings;
	size_t n_timings;
};

struct whosock_snapshot *snapshot_new(void)
{
	return calloc(1, sizeof(struct whosock_snapshot));
}

void whosock_snapshot_free(struct whosock_snapshot *snap)
{
	if (!snap)
		return;
	for (struct chunk *c = snap->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(snap->notes);
	free(snap->timings);
	for (size_t i = 0; i < snap->n_adopted; i++)
		free(snap->adopted[i]);
	free(snap->adopted);
	free(snap->socks);
	free(snap);
}

int snapshot_reserve(struct whosock_snapshot *snap, size_t n)
{
	struct whosock_socket *p;

	if (n <= snap->cap)
		return 0;
	if (n > SNAPSHOT_MAX_SOCKETS)
		return -E2BIG;
	p = realloc(snap->socks, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	snap->socks = p;
	snap->cap = n;
	return 0;
}

int snapshot_push(struct whosock_snapshot *snap, const struct whosock_socket *s)
{
	if (snap->n == snap->cap) {
		int r = snapshot_reserve(snap, snap->cap ? snap->cap * 2 : 1024);

		if (r < 0)
			return r;
	}
	snap->socks[snap->n++] = *s;
	return 0;
}

const char *snapshot_strndup(struct whosock_snapshot *snap, const char *str, size_t len)
{
	struct chunk *c = snap->chunks;
	char *p;

	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		/* A big one-off string gets its own chunk behind the current one,
		 * so the current chunk's free space is not wasted. */
		if (snap->chunks && size > CHUNK_SIZE) {
			c->next = snap->chunks->next;
			snap->chunks->next = c;
		} else {
			c->next = snap->chunks;
			snap->chunks = c;
		}
	}
	p = c->data + c->used;
	memcpy(p, str, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool note_eq(const struct whosock_note *a, const struct whosock_note *b)
{
	return a->code == b->code && a->error == b->error && a->error2 == b->error2 &&
	       a->count == b->count && a->netns == b->netns && a->pidns == b->pidns && a->proto == b->proto &&
	       a->family == b->family && str_eq(a->netns_name, b->netns_name) &&
	       str_eq(a->path, b->path);
}

/* A copy of str in the snapshot's arena (NULL stays NULL); false when out
 * of memory. */
static bool own_str(struct whosock_snapshot *snap, const char **str)
{
	if (!*str)
		return true;
	*str = snapshot_strndup(snap, *str, strlen(*str));
	return *str != NULL;
}

/* Add *note; its strings are copied into the arena when copy, else they
 * already belong to it (merged snapshots). */
static int note_push(struct whosock_snapshot *snap, const struct whosock_note *note, bool copy)
{
	struct whosock_note n = *note, *notes;

	for (size_t i = 0; i < snap->n_notes; i++)
		if (note_eq(&snap->notes[i], &n))
			return 0;
	if (snap->n_notes >= SNAPSHOT_MAX_NOTES) {
		snap->dropped.code = WHOSOCK_NOTE_DROPPED;
		snap->dropped.count++;
		return 0;
	}
	if (copy && (!own_str(snap, &n.netns_name) || !own_str(snap, &n.path)))
		return -ENOMEM;
	notes = realloc(snap->notes, (snap->n_notes + 1) * sizeof(*notes));
	if (!notes)
		return -ENOMEM;
	snap->notes = notes;
	snap->notes[snap->n_notes++] = n;
	return 0;
}

int snapshot_note(struct whosock_snapshot *snap, const struct whosock_note *note)
{
	return note_push(snap, note, true);
}

int snapshot_merge(struct whosock_snapshot *dst, struct whosock_snapshot *src)
{
	if (dst->n == 0 && dst->cap < src->cap) {
		/* Take the array over rather than copy it: no second copy of
		 * the largest part is ever held. */
		struct whosock_socket *tmp = dst->socks;
		size_t cap = dst->cap;

		dst->socks = src->socks;
		dst->cap = src->cap;
		dst->n = src->n;
		src->socks = tmp;
		src->cap = cap;
		src->n = 0;
	} else if (src->n) {
		size_t need = dst->n + src->n;

		if (need > SNAPSHOT_MAX_SOCKETS)
			return -E2BIG;
		if (need > dst->cap) {
			struct whosock_socket *p = realloc(dst->socks, need * sizeof(*p));

			if (!p)
				return -ENOMEM;
			dst->socks = p;
			dst->cap = need;
		}
		memcpy(dst->socks + dst->n, src->socks, src->n * sizeof(*src->socks));
		dst->n = need;
		src->n = 0;
	}
	/* Strings: src's chunks go behind dst's current one. */
	if (src->chunks) {
		struct chunk *tail = src->chunks;

		while (tail->next)
			tail = tail->next;
		if (dst->chunks) {
			tail->next = dst->chunks->next;
			dst->chunks->next = src->chunks;
		} else {
			dst->chunks = src->chunks;
		}
		src->chunks = NULL;
	}
	for (size_t i = 0; i < src->n_notes; i++)
		/* (Their strings came along with src's chunks.) */
		if (note_push(dst, &src->notes[i], false) < 0)
			return -ENOMEM;
	if (src->dropped.count) {
		dst->dropped.code = WHOSOCK_NOTE_DROPPED;
		dst->dropped.count += src->dropped.count;
	}
	dst->hidden += src->hidden;
	for (size_t i = 0; i < src->n_timings; i++)
		if (snapshot_timing(dst, &src->timings[i]) < 0)
			return -ENOMEM;
	src->n_timings = 0;
	for (size_t i = 0; i < src->n_adopted; i++) {
		if (!snapshot_adopt(dst, src->adopted[i])) {
			src->adopted[i] = NULL;
			return -ENOMEM;
		}
		src->adopted[i] = NULL;
	}
	src->n_adopted = 0;
	return 0;
}

void *snapshot_adopt(struct whosock_snapshot *snap, void *ptr)
{
	void **a;

	if (!ptr)
		return NULL;
	a = realloc(snap->adopted, (snap->n_adopted + 1) * sizeof(*a));
	if (!a) {
		free(ptr);
		return NULL;
	}
	snap->adopted = a;
	snap->adopted[snap->n_adopted++] = ptr;
	return ptr;
}

void snapshot_set_hidden(struct whosock_snapshot *snap, size_t n)
{
	snap->hidden = n;
}

size_t whosock_snapshot_hidden_processes(const struct whosock_snapshot *snap)
{
	return snap ? snap->hidden : 0;
}

void snapshot_keep_owned(struct whosock_snapshot *snap)
{
	size_t k = 0;

	for (size_t i = 0; i < snap->n; i++)
		if (snap->socks[i].n_owners)
			snap->socks[k++] = snap->socks[i];
	snap->n = k;
}

void snapshot_truncate(struct whosock_snapshot *snap, size_t n)
{
	if (n < snap->n)
		snap->n = n;
}

struct whosock_socket *snapshot_at(struct whosock_snapshot *snap, size_t i)
{
	return i < snap->n ? &snap->socks[i] : NULL;
}

size_t whosock_snapshot_count(const struct whosock_snapshot *snap)
{
	return snap ? snap->n : 0;
}

const struct whosock_socket *whosock_snapshot_get(const struct whosock_snapshot *snap, size_t i)
{
	return snap && i < snap->n ? &snap->socks[i] : NULL;
}

size_t whosock_snapshot_note_count(const struct whosock_snapshot *snap)
{
	return snap ? snap->n_notes + (snap->dropped.count != 0) : 0;
}

const struct whosock_note *whosock_snapshot_note(const struct whosock_snapshot *snap, size_t i)
{
	if (!snap || i >= whosock_snapshot_note_count(snap))
		return NULL;
	return i < snap->n_notes ? &snap->notes[i] : &snap->dropped;
}

uint64_t snapshot_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int snapshot_timing(struct whosock_snapshot *snap, const struct whosock_timing *t)
{
	struct whosock_timing *v;

	/* A bound like the notes': one entry per dump of every namespace. */
	if (snap->n_timings >= SNAPSHOT_MAX_TIMINGS)
		return 0;
	v = realloc(snap->timings, (snap->n_timings + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	snap->timings = v;
	snap->timings[snap->n_timings++] = *t;
	return 0;
}

void snapshot_timing_netns(struct whosock_snapshot *snap, uint64_t netns, const char *name)
{
	for (size_t i = 0; i < snap->n_timings; i++)
		if (snap->timings[i].proto >= 0) {
			snap->timings[i].netns = netns;
			snap->timings[i].netns_name = name;
		}
}

size_t whosock_snapshot_timing_count(const struct whosock_snapshot *snap)
{
	return snap ? snap->n_timings : 0;
}

const struct whosock_timing *whosock_snapshot_timing(const struct whosock_snapshot *snap, size_t i)
{
	return snap && i < snap->n_timings ? &snap->timings[i] : NULL;
}
