/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel socket life events as sockets (see watch_bpf.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/types.h>
#include <netinet/in.h>

#include "bpf/socklife_rec.h"
#include "owners.h"
#include "snapshot.h"
#include "watch_bpf.h"

bool watch_bpf_socket(const struct socklife_ev *ev, struct watch_bpf_sock *out)
{
	struct whosock_socket *s = &out->s;

	memset(out, 0, sizeof(*out));
	switch (ev->protocol) {
	case IPPROTO_TCP:
		s->proto = WHOSOCK_PROTO_TCP;
		s->type = SOCK_STREAM;
		break;
	case IPPROTO_UDP:
		s->proto = WHOSOCK_PROTO_UDP;
		s->type = SOCK_DGRAM;
		break;
	case IPPROTO_UDPLITE:
		s->proto = WHOSOCK_PROTO_UDPLITE;
		s->type = SOCK_DGRAM;
		break;
	default:
		return false;
	}
	if (ev->family != AF_INET && ev->family != AF_INET6)
		return false;
	s->family = (uint8_t)ev->family;
	s->state = ev->state;
	s->netns = ev->netns;
	s->cookie = ev->cookie;
	s->inode = ev->inode;
	s->source = WHOSOCK_SOURCE_BPF;
	s->known = WHOSOCK_KNOWN_COOKIE;
	memcpy(s->local.addr, ev->laddr, sizeof(s->local.addr));
	memcpy(s->remote.addr, ev->raddr, sizeof(s->remote.addr));
	s->local.port = ev->lport;
	s->remote.port = ev->rport;
	if (ev->flags & SOCKLIFE_OWNER) {
		memcpy(out->comm, ev->comm, sizeof(ev->comm));
		out->comm[sizeof(ev->comm)] = '\0';
		out->proc.pid = (int)ev->pid;
		out->proc.comm = out->comm;
		out->proc.uid_known = true;
		out->proc.uid = ev->uid;
		out->owner.proc = &out->proc;
		out->owner.fd = -1;
		/* The socket's uid: its creator's, and an accepted socket's is
		 * its listener's, whose process this is. */
		s->uid = ev->uid;
		s->known |= WHOSOCK_KNOWN_UID;
		s->owners = &out->owner;
		s->n_owners = 1;
	}
	return true;
}

void watch_bpf_take_traffic(const struct socklife_ev *ev, struct whosock_socket *s)
{
	if (!(ev->flags & SOCKLIFE_TRAFFIC) || s->proto == WHOSOCK_PROTO_TCP)
		return;
	s->traffic.sent_bytes = ev->count.sent_bytes;
	s->traffic.received_bytes = ev->count.received_bytes;
	s->traffic.sent_packets = ev->count.sent_packets;
	s->traffic.received_packets = ev->count.received_packets;
	s->traffic.since_start = true;
	s->known |= WHOSOCK_KNOWN_TRAFFIC;
}

const struct whosock_process *openers_get(struct openers *o, const struct watch_bpf_sock *v,
					  uint64_t now_ms, int *error)
{
	struct opener *e = &o->v[(unsigned)v->proc.pid % OPENERS];
	struct whosock_process p;
	int r;

	if (!v->owner.proc)
		return NULL;
	if (e->arena && e->pid == v->proc.pid && e->uid == v->proc.uid &&
	    strcmp(e->comm, v->comm) == 0 && now_ms < e->at_ms + OPENER_TTL_MS)
		return &e->proc;
	whosock_snapshot_free(e->arena);
	*e = (struct opener){ 0 };
	e->arena = snapshot_new();
	if (!e->arena) {
		*error = -ENOMEM;
		return NULL;
	}
	r = owners_read_one(v->proc.pid, e->arena, &p);
	if (r <= 0) {
		/* Gone, or unreadable: the kernel's word for it stands. */
		if (r == -ENOMEM)
			*error = r;
		whosock_snapshot_free(e->arena);
		e->arena = NULL;
		return NULL;
	}
	e->pid = v->proc.pid;
	e->uid = v->proc.uid;
	memcpy(e->comm, v->comm, sizeof(e->comm));
	e->at_ms = now_ms;
	e->proc = p;
	return &e->proc;
}

void openers_free(struct openers *o)
{
	for (size_t i = 0; i < OPENERS; i++)
		whosock_snapshot_free(o->v[i].arena);
	memset(o, 0, sizeof(*o));
}
