/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockcopy.h"
#include "tracker.h"

static size_t slot_of(const struct tracker *tk, uint64_t netns, uint64_t cookie)
{
	return (size_t)((netns * 0x9E3779B97F4A7C15ull ^ cookie) * 0xBF58476D1CE4E5B9ull >> 20) &
	       (tk->cap - 1);
}

struct tracked *tracker_find(struct tracker *tk, uint64_t netns, uint64_t cookie)
{
	for (size_t h = slot_of(tk, netns, cookie);; h = (h + 1) & (tk->cap - 1)) {
		struct tracked *t = &tk->map[h];

		if (!t->netns)
			return NULL;
		if (t->netns == netns && t->cookie == cookie)
			return t;
	}
}

/* A free slot for (netns, cookie), which is not in the map; there is room. */
static struct tracked *place(struct tracker *tk, uint64_t netns, uint64_t cookie)
{
	size_t h;

	for (h = slot_of(tk, netns, cookie); tk->map[h].netns; h = (h + 1) & (tk->cap - 1))
		;
	tk->map[h] = (struct tracked){ .netns = netns, .cookie = cookie };
	tk->n++;
	return &tk->map[h];
}

static int grow(struct tracker *tk)
{
	struct tracked *old = tk->map;
	size_t old_cap = tk->cap;

	tk->cap = old_cap ? old_cap * 2 : 1024;
	tk->map = calloc(tk->cap, sizeof(*tk->map));
	if (!tk->map) {
		tk->map = old;
		tk->cap = old_cap;
		return -ENOMEM;
	}
	tk->n = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].netns)
			*place(tk, old[i].netns, old[i].cookie) = old[i];
	free(old);
	return 0;
}

/* Linear probing deletion: move later members of the cluster back. */
static void remove_at(struct tracker *tk, struct tracked *t)
{
	size_t i = (size_t)(t - tk->map), mask = tk->cap - 1;

	free(t->sock);
	tk->map[i].netns = 0;
	tk->n--;
	for (size_t j = (i + 1) & mask; tk->map[j].netns; j = (j + 1) & mask) {
		struct tracked moved = tk->map[j];
		size_t h = slot_of(tk, moved.netns, moved.cookie);

		/* Leave it if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		tk->map[i] = moved;
		tk->map[j].netns = 0;
		i = j;
	}
}

int tracker_init(struct tracker *tk)
{
	memset(tk, 0, sizeof(*tk));
	return grow(tk);
}

void tracker_free(struct tracker *tk)
{
	for (size_t i = 0; i < tk->cap; i++)
		if (tk->map[i].netns)
			free(tk->map[i].sock);
	free(tk->map);
	tk->map = NULL;
	tk->cap = tk->n = 0;
}

struct tracked *tracker_add(struct tracker *tk, const struct whosock_socket *s, uint64_t now_ms,
			    unsigned tick)
{
	struct whosock_socket *copy;
	struct tracked *t;

	if ((tk->n + 1) * 3 > tk->cap * 2 && grow(tk) < 0)
		return NULL;
	copy = sockcopy(s);
	if (!copy)
		return NULL;
	t = place(tk, s->netns, s->cookie);
	t->sock = copy;
	t->first_seen_ms = now_ms;
	t->seen = tick;
	return t;
}

void tracker_seen(struct tracked *t, const struct whosock_socket *s, unsigned tick)
{
	t->seen = tick;
	/* Named by the kernel's events before it had an inode (accepted,
	 * not yet accept()ed). */
	if (!t->sock->inode)
		t->sock->inode = s->inode;
	t->sock->state = s->state;
	t->sock->rqueue = s->rqueue;
	t->sock->wqueue = s->wqueue;
	tracker_take_counters(t->sock, s);
}

void tracker_take_counters(struct whosock_socket *dst, const struct whosock_socket *src)
{
	const uint32_t counters = WHOSOCK_KNOWN_TCP_INFO | WHOSOCK_KNOWN_TCP_BYTES |
				  WHOSOCK_KNOWN_TCP_BYTES_SENT | WHOSOCK_KNOWN_TCP_CWND |
				  WHOSOCK_KNOWN_TCP_RATE | WHOSOCK_KNOWN_TRAFFIC;

	/* Other protocols' payload where something counts it (BPF). */
	if (dst->proto != WHOSOCK_PROTO_TCP && (src->known & WHOSOCK_KNOWN_TRAFFIC)) {
		dst->traffic = src->traffic;
		dst->known |= WHOSOCK_KNOWN_TRAFFIC;
	}
	if (dst->proto != WHOSOCK_PROTO_TCP || !(src->known & WHOSOCK_KNOWN_TCP_INFO))
		return;
	dst->tcp = src->tcp;
	dst->traffic = src->traffic;
	dst->known = (dst->known & ~counters) | (src->known & counters);
}

void tracker_bury(struct tracker *tk, struct tracked *t)
{
	tracker_entomb(tk, t->netns, t->cookie);
	remove_at(tk, t);
}

static size_t tomb_set(uint64_t netns, uint64_t cookie)
{
	return (size_t)((cookie * 0x9e3779b97f4a7c15ULL ^ netns) >> 32) % TRACKER_TOMB_SETS;
}

void tracker_entomb(struct tracker *tk, uint64_t netns, uint64_t cookie)
{
	struct tomb *set = tk->tombs[tomb_set(netns, cookie)], *oldest = &set[0];

	for (size_t i = 0; i < TRACKER_TOMB_WAYS; i++) {
		if (set[i].netns == netns && set[i].cookie == cookie)
			return;
		if (set[i].age < oldest->age)
			oldest = &set[i];
	}
	*oldest = (struct tomb){ .netns = netns, .cookie = cookie, .age = ++tk->n_tombs };
}

bool tracker_was_closed(const struct tracker *tk, uint64_t netns, uint64_t cookie)
{
	const struct tomb *set = tk->tombs[tomb_set(netns, cookie)];

	for (size_t i = 0; i < TRACKER_TOMB_WAYS; i++)
		if (set[i].netns == netns && set[i].cookie == cookie)
			return true;
	return false;
}
