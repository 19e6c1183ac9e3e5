/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel socket life events as sockets (see watch_bpf.h). */
#include <string.h>
#include <sys/socket.h>

#include <linux/types.h>
#include <netinet/in.h>

#include "bpf/socklife_rec.h"
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

bool watch_bpf_final(const struct socklife_ev *ev, struct whosock_traffic *out)
{
	if (!(ev->flags & SOCKLIFE_TRAFFIC))
		return false;
	*out = (struct whosock_traffic){ .sent_bytes = ev->count.sent_bytes,
					 .received_bytes = ev->count.received_bytes,
					 .sent_packets = ev->count.sent_packets,
					 .received_packets = ev->count.received_packets,
					 .since_start = true };
	return true;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void watch_bpf_take_final(const struct whosock_traffic *k, struct whosock_socket *s)
{
	if (s->proto != WHOSOCK_PROTO_TCP || !(s->known & WHOSOCK_KNOWN_TRAFFIC)) {
		s->traffic = *k;
		s->known |= WHOSOCK_KNOWN_TRAFFIC;
		return;
	}
	/* tcp_info's counts as of the last dump, from the socket's start:
	 * the kernel's final ones where they are more (they count since the
	 * programs loaded, retransmissions included). */
	s->traffic.sent_bytes = max_u64(s->traffic.sent_bytes, k->sent_bytes);
	s->traffic.received_bytes = max_u64(s->traffic.received_bytes, k->received_bytes);
	s->traffic.sent_packets = max_u64(s->traffic.sent_packets, k->sent_packets);
	s->traffic.received_packets = max_u64(s->traffic.received_packets, k->received_packets);
}

static struct opener *slot(const struct openers *o, int pid)
{
	return (struct opener *)&o->v[(unsigned)pid % OPENERS];
}

const struct whosock_process *openers_find(const struct openers *o, const struct watch_bpf_sock *v,
					   uint64_t now_ms)
{
	const struct opener *e = slot(o, v->proc.pid);

	if (!e->proc || !v->owner.proc || e->pid != v->proc.pid || e->uid != v->proc.uid ||
	    strcmp(e->comm, v->comm) != 0 || now_ms >= e->at_ms + OPENER_TTL_MS)
		return NULL;
	return e->proc;
}

void openers_keep(struct openers *o, const struct watch_bpf_sock *v, struct whosock_snapshot *snap,
		  uint64_t now_ms)
{
	const struct whosock_socket *s = whosock_snapshot_count(snap) ? whosock_snapshot_get(snap, 0) : NULL;
	struct opener *e = slot(o, v->proc.pid);

	for (size_t i = 0; s && i < s->n_owners; i++) {
		if (s->owners[i].proc->pid != v->proc.pid)
			continue;
		whosock_snapshot_free(e->snap);
		e->pid = v->proc.pid;
		e->uid = v->proc.uid;
		memcpy(e->comm, v->comm, sizeof(e->comm));
		e->at_ms = now_ms;
		e->snap = snap;
		e->proc = s->owners[i].proc;
		return;
	}
	whosock_snapshot_free(snap);
}

void openers_free(struct openers *o)
{
	for (size_t i = 0; i < OPENERS; i++)
		whosock_snapshot_free(o->v[i].snap);
	memset(o, 0, sizeof(*o));
}
