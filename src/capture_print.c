/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tagged packet as text, NDJSON and pcapng comments. Process and user
 * names are chosen by other users: escaped for each form (the terminal's
 * escaping, JSON's, and for a comment's key=value words spaces too). */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "capture.h"
#include "output.h"
#include "textesc.h"

/* uid → name, a small direct-mapped cache: the BPF events name a process's
 * uid, not its user. */
#define USER_CACHE 64

static struct {
	bool used;
	uint32_t uid;
	char name[64];
	bool has_name;
} users[USER_CACHE];

static const char *user_of(const struct whosock_process *p)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	unsigned slot;

	if (p->user || !p->uid_known)
		return p->user;
	slot = p->uid % USER_CACHE;
	if (!users[slot].used || users[slot].uid != p->uid) {
		users[slot].used = true;
		users[slot].uid = p->uid;
		users[slot].has_name = getpwuid_r(p->uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
				       strlen(res->pw_name) < sizeof(users[slot].name);
		if (users[slot].has_name)
			strcpy(users[slot].name, res->pw_name);
	}
	return users[slot].has_name ? users[slot].name : NULL;
}

static void esc_str(struct sbuf *b, const char *s)
{
	esc_term(b, s, strlen(s));
}

static const char *direction(int pkttype)
{
	switch (pkttype) {
	case PACKET_HOST:
		return "In";
	case PACKET_OUTGOING:
		return "Out";
	case PACKET_BROADCAST:
		return "B";
	case PACKET_MULTICAST:
		return "M";
	case PACKET_OTHERHOST:
		return "P";
	default:
		return NULL;
	}
}

/* ---- text ---- */

static void text_end(struct sbuf *b, const char *word, const struct whosock_packet_end *e)
{
	const struct whosock_socket *s = e->socket;

	if (!s || !s->n_owners)
		return;
	sbuf_putc(b, ' ');
	sbuf_puts(b, word);
	for (uint32_t i = 0; i < s->n_owners; i++) {
		const struct whosock_process *p = s->owners[i].proc;
		const char *user = user_of(p);

		/* A thread with its own fd table repeats its process. */
		if (i && p == s->owners[i - 1].proc)
			continue;
		sbuf_puts(b, i ? ", " : " ");
		esc_str(b, p->comm);
		sbuf_putc(b, '(');
		sbuf_u64(b, (uint64_t)p->pid);
		sbuf_putc(b, ')');
		if (user) {
			sbuf_putc(b, ' ');
			esc_str(b, user);
		} else if (p->uid_known) {
			sbuf_putc(b, ' ');
			sbuf_u64(b, p->uid);
		}
		if (p->container.id) {
			sbuf_puts(b, " container=");
			esc_str(b, p->container.id);
		}
	}
}

void capture_render_text(struct sbuf *b, const struct capture_view *v)
{
	struct tm tm;
	time_t t = v->ts.tv_sec;
	char stamp[32];
	const char *dir = direction(v->d.pkttype);
	bool tagged = (v->src.socket && v->src.socket->n_owners) ||
		      (v->dst.socket && v->dst.socket->n_owners);

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	sbuf_puts(b, stamp);
	sbuf_putc(b, '.');
	snprintf(stamp, sizeof(stamp), "%06ld", (long)v->ts.tv_usec);
	sbuf_puts(b, stamp);
	if (v->ifname) {
		sbuf_putc(b, ' ');
		esc_str(b, v->ifname);
	}
	if (dir) {
		sbuf_putc(b, ' ');
		sbuf_puts(b, dir);
	}
	sbuf_putc(b, ' ');
	capture_describe(b, &v->d, v->len);
	if (tagged) {
		sbuf_putc(b, ' ');
		text_end(b, "from", &v->src);
		text_end(b, "to", &v->dst);
	}
	if (!v->own_netns) {
		sbuf_puts(b, " netns=");
		if (v->netns_name)
			esc_str(b, v->netns_name);
		else
			sbuf_u64(b, v->netns);
	}
	sbuf_putc(b, '\n');
}

/* ---- NDJSON ---- */

static void json_addr(struct sbuf *b, const char *key, const struct decoded *d, const uint8_t *a,
		      uint16_t port)
{
	char text[INET6_ADDRSTRLEN];

	output_json_key(b, key);
	if (d->level < DECODE_IP) {
		sbuf_puts(b, "null");
		return;
	}
	inet_ntop(d->family, a, text, sizeof(text));
	sbuf_putc(b, '{');
	output_json_str(b, "addr", text);
	sbuf_putc(b, ',');
	output_json_u64(b, "port", port, d->level == DECODE_L4);
	sbuf_putc(b, '}');
}

static void json_end(struct sbuf *b, const char *key, const struct whosock_packet_end *e)
{
	const struct whosock_socket *s = e->socket;

	output_json_key(b, key);
	if (!s) {
		sbuf_puts(b, "null");
		return;
	}
	sbuf_putc(b, '{');
	output_json_u64(b, "cookie", s->cookie, true);
	sbuf_putc(b, ',');
	output_json_u64(b, "inode", s->inode, s->inode != 0);
	sbuf_putc(b, ',');
	output_json_str(b, "match", e->exact ? "connection" : "bound");
	sbuf_puts(b, e->closed ? ",\"closed\":true," : ",\"closed\":false,");
	output_json_key(b, "owners");
	sbuf_putc(b, '[');
	for (uint32_t i = 0; i < s->n_owners; i++) {
		const struct whosock_process *p = s->owners[i].proc;

		if (i)
			sbuf_putc(b, ',');
		sbuf_putc(b, '{');
		output_json_u64(b, "pid", (uint64_t)p->pid, true);
		sbuf_putc(b, ',');
		output_json_str(b, "comm", p->comm);
		sbuf_putc(b, ',');
		output_json_str(b, "user", user_of(p));
		sbuf_putc(b, ',');
		output_json_u64(b, "uid", p->uid, p->uid_known);
		sbuf_putc(b, ',');
		output_json_container(b, &p->container);
		sbuf_putc(b, '}');
	}
	sbuf_puts(b, "]}");
}

static const char *proto_name(const struct decoded *d)
{
	if (d->level < DECODE_IP)
		return NULL;
	switch (d->ipproto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	default:
		return "other";
	}
}

void capture_render_json(struct sbuf *b, const struct capture_view *v)
{
	static const char *const dirs[] = { [PACKET_HOST] = "in", [PACKET_BROADCAST] = "broadcast",
					     [PACKET_MULTICAST] = "multicast",
					     [PACKET_OTHERHOST] = "otherhost",
					     [PACKET_OUTGOING] = "out" };
	const struct decoded *d = &v->d;
	struct tm tm;
	time_t t = v->ts.tv_sec;
	char stamp[48];

	gmtime_r(&t, &tm);
	strftime(stamp, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%06ldZ",
		 (long)v->ts.tv_usec);
	sbuf_putc(b, '{');
	output_json_str(b, "ts", stamp);
	sbuf_putc(b, ',');
	output_json_u64(b, "netns", v->netns, true);
	sbuf_putc(b, ',');
	output_json_str(b, "netns_name", v->netns_name);
	sbuf_putc(b, ',');
	output_json_str(b, "interface", v->ifname);
	sbuf_putc(b, ',');
	output_json_str(b, "direction", d->pkttype >= 0 && d->pkttype <= PACKET_OUTGOING
						 ? dirs[d->pkttype] : NULL);
	sbuf_putc(b, ',');
	output_json_u64(b, "length", v->len, true);
	sbuf_putc(b, ',');
	output_json_u64(b, "caplen", v->caplen, true);
	sbuf_putc(b, ',');
	output_json_str(b, "family", d->level < DECODE_IP ? NULL
				     : d->family == AF_INET ? "inet" : "inet6");
	sbuf_putc(b, ',');
	output_json_str(b, "proto", proto_name(d));
	sbuf_putc(b, ',');
	json_addr(b, "src", d, d->saddr, d->sport);
	sbuf_putc(b, ',');
	json_addr(b, "dst", d, d->daddr, d->dport);
	sbuf_putc(b, ',');
	output_json_u64(b, "payload", d->payload, d->level == DECODE_L4);
	sbuf_putc(b, ',');
	json_end(b, "sender", &v->src);
	sbuf_putc(b, ',');
	json_end(b, "receiver", &v->dst);
	sbuf_puts(b, "}\n");
}

/* ---- pcapng comments ---- */

/* One word of key=value text: escaped as for the terminal, and a space
 * (which separates the words) as \x20. */
static void esc_word(struct sbuf *b, struct sbuf *t, const char *s)
{
	t->len = 0;
	esc_term(t, s, strlen(s));
	for (size_t i = 0; i < t->len; i++) {
		if (t->data[i] == ' ')
			sbuf_puts(b, "\\x20");
		else
			sbuf_putc(b, t->data[i]);
	}
	if (t->failed)
		b->failed = true;
}

size_t capture_render_comments(struct sbuf *cb, struct sbuf *scratch, const struct capture_view *v,
			       size_t *starts, size_t max)
{
	const struct whosock_packet_end *ends[2] = { &v->src, &v->dst };
	size_t n = 0;

	for (int k = 0; k < 2; k++) {
		const struct whosock_socket *s = ends[k]->socket;

		for (uint32_t i = 0; s && i < s->n_owners && n < max; i++) {
			const struct whosock_process *p = s->owners[i].proc;
			const char *user = user_of(p);

			if (i && p == s->owners[i - 1].proc)
				continue;
			starts[n++] = cb->len;
			sbuf_puts(cb, "pid=");
			sbuf_u64(cb, (uint64_t)p->pid);
			sbuf_puts(cb, " comm=");
			esc_word(cb, scratch, p->comm);
			if (user) {
				sbuf_puts(cb, " user=");
				esc_word(cb, scratch, user);
			} else if (p->uid_known) {
				sbuf_puts(cb, " uid=");
				sbuf_u64(cb, p->uid);
			}
			sbuf_puts(cb, " netns=");
			sbuf_u64(cb, s->netns);
			if (p->container.id) {
				sbuf_puts(cb, " container=");
				esc_word(cb, scratch, p->container.id);
			}
			sbuf_puts(cb, k ? " end=dst" : " end=src");
			sbuf_putc(cb, '\0');
		}
	}
	return n;
}
