/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <net/if.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "details.h"
#include "output.h"
#include "resolve.h"
#include "sort.h"
#include "table.h"
#include "textesc.h"

/* The kernel's family name ("inet", "unix", "packet", "alg", ...); NULL
 * for a number it has no name for. */
static const char *family_name(int family)
{
	return whosock_family_name(family);
}

static bool is_inet(const struct whosock_socket *s)
{
	return s->family == AF_INET || s->family == AF_INET6;
}

static const char *type_name(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	case SOCK_RAW:
		return "raw";
	default:
		return "unknown";
	}
}

/* The table's PROTO column: netstat's tcp/tcp6 and ss's u_str/u_dgr/u_seq. */
static const char *table_proto(const struct whosock_socket *s)
{
	static const char *const v6[] = {
		[WHOSOCK_PROTO_TCP] = "tcp6", [WHOSOCK_PROTO_UDP] = "udp6",
		[WHOSOCK_PROTO_UDPLITE] = "udplite6", [WHOSOCK_PROTO_RAW] = "raw6",
		[WHOSOCK_PROTO_MPTCP] = "mptcp6", [WHOSOCK_PROTO_SCTP] = "sctp6",
	};

	if (s->family == AF_UNIX)
		return s->type == SOCK_DGRAM ? "u_dgr" : s->type == SOCK_SEQPACKET ? "u_seq" : "u_str";
	switch (s->proto) {
	case WHOSOCK_PROTO_PACKET:
		return s->type == SOCK_DGRAM ? "p_dgr" : "p_raw";
	case WHOSOCK_PROTO_NETLINK:
		return "nl";
	case WHOSOCK_PROTO_VSOCK:
		return s->type == SOCK_DGRAM ? "v_dgr" : s->type == SOCK_SEQPACKET ? "v_seq" : "v_str";
	case WHOSOCK_PROTO_OTHER:
		return s->family_name ? s->family_name : "other";
	default:
		break;
	}
	if (s->family == AF_INET6 && s->proto < sizeof(v6) / sizeof(v6[0]) && v6[s->proto])
		return v6[s->proto];
	return whosock_proto_name(s->proto);
}

static bool addr_is_any(const struct whosock_endpoint *ep)
{
	static const uint8_t zero[16];

	return memcmp(ep->addr, zero, sizeof(zero)) == 0;
}

/* Interface names, looked up once per index (a syscall each). */
struct ifcache {
	unsigned index[16];
	char name[16][IF_NAMESIZE];
	size_t n;
};

static const char *ifcache_name(struct ifcache *c, unsigned index)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->index[i] == index)
			return c->name[i];
	if (c->n == 16)
		c->n = 0;
	c->index[c->n] = index;
	if (!if_indextoname(index, c->name[c->n]))
		snprintf(c->name[c->n], IF_NAMESIZE, "if%u", index);
	return c->name[c->n++];
}

/* The ETH_P_* protocol of a packet socket: "*" for all (as ss), a name, or
 * hex. */
static void put_eth_proto(struct sbuf *b, uint32_t protocol, bool star_all)
{
	const char *name = whosock_eth_proto_name((int)protocol);
	char hex[16];

	if (star_all && protocol == 0x0003)
		name = "*";
	if (!name) {
		snprintf(hex, sizeof(hex), "0x%04x", protocol);
		name = hex;
	}
	sbuf_puts(b, name);
}

/* LOCAL of the kinds that are not inet or UNIX, as ss shows them: packet
 * "PROTO:INTERFACE", netlink "PROTOCOL:PORTID", vsock "CID:PORT", alg
 * "TYPE/NAME"; '*' where there is none. */
void output_kind_local(struct sbuf *b, const struct whosock_socket *s, const char *ifname)
{
	if (s->proto == WHOSOCK_PROTO_PACKET) {
		put_eth_proto(b, s->protocol, true);
		sbuf_putc(b, ':');
		if (ifname)
			esc_term(b, ifname, strlen(ifname));
		else
			sbuf_putc(b, '*');
	} else if (s->proto == WHOSOCK_PROTO_NETLINK) {
		const char *name = whosock_netlink_proto_name((int)s->protocol);

		if (name)
			sbuf_puts(b, name);
		else
			sbuf_u64(b, s->protocol);
		sbuf_putc(b, ':');
		sbuf_u64(b, s->netlink.portid);
	} else if (s->local_text) {
		esc_term(b, s->local_text, strlen(s->local_text));
	} else {
		sbuf_putc(b, '*');
	}
}

void output_endpoint(struct sbuf *b, const struct whosock_socket *s,
		     const struct whosock_endpoint *ep, const char *ifname)
{
	output_endpoint_named(b, s, ep, ifname, NULL);
}

void output_endpoint_named(struct sbuf *b, const struct whosock_socket *s,
			   const struct whosock_endpoint *ep, const char *ifname,
			   struct resolver *res)
{
	const char *host = NULL, *service = NULL;
	char addr[64];

	if (s->family == AF_UNIX) {
		if (ep->path)
			esc_term(b, ep->path, strlen(ep->path));
		else
			sbuf_putc(b, '*');
		return;
	}
	if (!is_inet(s)) {
		if (ep == &s->local)
			output_kind_local(b, s, ifname);
		else
			sbuf_putc(b, '*');
		return;
	}
	if (res) {
		host = resolver_host(res, s->family, ep->addr);
		/* RAW sockets keep their IP protocol in port: no service. */
		service = s->proto == WHOSOCK_PROTO_RAW ? NULL
							: resolver_service(res, s->proto, ep->port);
	}
	if (addr_is_any(ep)) {
		sbuf_putc(b, '*');
	} else if (host) {
		esc_term(b, host, strlen(host));
	} else {
		whosock_addr_format(s->family, ep, addr, sizeof(addr));
		if (s->family == AF_INET6)
			sbuf_putc(b, '[');
		sbuf_puts(b, addr);
		if (s->family == AF_INET6)
			sbuf_putc(b, ']');
	}
	if (ifname) {
		sbuf_putc(b, '%');
		esc_term(b, ifname, strlen(ifname));
	}
	sbuf_putc(b, ':');
	if (service)
		esc_term(b, service, strlen(service));
	else if (ep->port)
		sbuf_u64(b, ep->port);
	else
		sbuf_putc(b, '*');
}

void output_owners(struct sbuf *b, const struct whosock_owner *owners, size_t n, int extended)
{
	for (size_t i = 0; i < n; i++) {
		const struct whosock_process *p = owners[i].proc;

		if (i && owners[i - 1].proc->pid == p->pid)
			continue;
		if (i)
			sbuf_putc(b, ',');
		esc_term(b, p->comm, strlen(p->comm));
		sbuf_putc(b, '(');
		sbuf_u64(b, (uint64_t)p->pid);
		if (extended) {
			sbuf_putc(b, ',');
			if (p->user)
				esc_term(b, p->user, strlen(p->user));
			else if (p->uid_known)
				sbuf_u64(b, p->uid);
			else
				sbuf_putc(b, '?');
		}
		sbuf_putc(b, ')');
	}
}

const char *output_proto_label(const struct whosock_socket *s)
{
	return table_proto(s);
}

struct table_ctx {
	const struct whosock_snapshot *snap;
	const struct whosock_socket *const *rows;
	const struct cli *cli;
	struct resolver *res;
	int extended;
	bool netns_column;
	uint64_t own_netns; /* interface names are known only here */
	struct ifcache ifc;
};

/* The name of a socket's bound interface: looked up in whosock's own
 * namespace; elsewhere the index (another namespace's lo is not ours). */
static const char *if_label(struct table_ctx *ctx, const struct whosock_socket *s, char *buf)
{
	if (!s->ifindex)
		return NULL;
	if (s->netns && ctx->own_netns && s->netns != ctx->own_netns) {
		snprintf(buf, IF_NAMESIZE + 8, "if%u", s->ifindex);
		return buf;
	}
	return ifcache_name(&ctx->ifc, s->ifindex);
}

/* Each row says which namespace it is from unless every row is from whosock's
 * own: a container's listener alone must not look like a host socket. (0 is
 * an unknown namespace: a captured /proc tree.) */
static bool netns_column_needed(const struct whosock_socket *const *rows, size_t n,
				uint64_t own_netns)
{
	uint64_t seen = own_netns;

	for (size_t i = 0; i < n; i++) {
		uint64_t ns = rows[i]->netns;

		if (!ns || ns == seen)
			continue;
		if (seen)
			return true;
		seen = ns;
	}
	return false;
}

/* --color: the states one looks for stand out. */
static const char *state_color(const struct whosock_socket *s)
{
	switch (s->state) {
	case WHOSOCK_STATE_LISTEN:
		return "32"; /* green */
	case WHOSOCK_STATE_ESTABLISHED:
		return "36"; /* cyan */
	case WHOSOCK_STATE_CLOSE:
		return s->proto == WHOSOCK_PROTO_TCP ? "31" : "32"; /* UNCONN listens */
	case WHOSOCK_STATE_SYN_SENT:
	case WHOSOCK_STATE_SYN_RECV:
	case WHOSOCK_STATE_NEW_SYN_RECV:
		return "33"; /* yellow */
	default:
		return "31"; /* red: closing */
	}
}

static void table_row(struct table *t, size_t i, void *data)
{
	struct table_ctx *ctx = data;
	const struct whosock_socket *s = ctx->rows[i];
	char ifbuf[IF_NAMESIZE + 8];

	if (ctx->netns_column) {
		if (s->netns_name)
			table_cell_text(t, s->netns_name, strlen(s->netns_name));
		else
			sbuf_u64(table_cell(t), s->netns);
		table_cell_end(t);
	}
	sbuf_puts(table_cell(t), table_proto(s));
	table_cell_end(t);
	sbuf_puts(table_cell(t), whosock_state_name(s->proto, s->state));
	if (ctx->cli->color)
		table_cell_color(t, state_color(s));
	table_cell_end(t);
	details_queue_cells(t, ctx->cli, s);
	output_endpoint_named(table_cell(t), s, &s->local, if_label(ctx, s, ifbuf), ctx->res);
	table_cell_end(t);
	output_endpoint_named(table_cell(t), s, &s->remote, NULL, ctx->res);
	/* Who is at the other end of a UNIX connection. */
	if (s->peer && s->peer->n_owners) {
		sbuf_add(table_cell(t), " [", 2);
		output_owners(table_cell(t), s->peer->owners, s->peer->n_owners, ctx->extended);
		sbuf_putc(table_cell(t), ']');
	}
	table_cell_end(t);
	details_cells(t, ctx->cli, s);
	if (table_cell_wanted(t))
		output_owners(table_cell(t), s->owners, s->n_owners, ctx->extended);
	if (ctx->cli->color && s->n_owners)
		table_cell_color(t, "1"); /* bold */
	table_cell_end(t);
}

static void render_table(struct sbuf *out, const struct whosock_snapshot *snap,
			 const struct whosock_socket *const *rows, size_t n_rows,
			 const struct cli *cli, struct resolver *res)
{
	const char *headers[DETAILS_MAX_COLS + 8];
	struct table_ctx ctx = { .snap = snap, .rows = rows, .cli = cli, .res = res,
				 .extended = cli->extended };
	struct stat st;
	size_t n = 0;

	if (stat("/proc/self/ns/net", &st) == 0)
		ctx.own_netns = (uint64_t)st.st_ino;

	ctx.netns_column = netns_column_needed(rows, n_rows, ctx.own_netns);
	if (ctx.netns_column)
		headers[n++] = "NETNS";
	headers[n++] = "PROTO";
	headers[n++] = "STATE";
	details_queue_headers(cli, headers, &n);
	headers[n++] = "LOCAL";
	headers[n++] = "REMOTE";
	details_headers(cli, headers, &n);
	headers[n++] = "PROCESS";
	headers[n] = NULL;
	table_render(headers, n_rows, table_row, &ctx, out, cli->header);
}

void output_json_key(struct sbuf *b, const char *key)
{
	sbuf_putc(b, '"');
	sbuf_puts(b, key);
	sbuf_add(b, "\":", 2);
}

void output_json_u64(struct sbuf *b, const char *key, uint64_t v, bool known)
{
	output_json_key(b, key);
	if (known)
		sbuf_u64(b, v);
	else
		sbuf_puts(b, "null");
}

/* The same and a comma. */
static void json_u64(struct sbuf *b, const char *key, uint64_t v, bool known)
{
	output_json_u64(b, key, v, known);
	sbuf_putc(b, ',');
}

void output_json_str(struct sbuf *b, const char *key, const char *v)
{
	output_json_key(b, key);
	if (v)
		esc_json(b, v, strlen(v));
	else
		sbuf_puts(b, "null");
}

static void json_endpoint(struct sbuf *b, const char *key, const struct whosock_socket *s,
			  const struct whosock_endpoint *ep)
{
	char addr[64];

	output_json_key(b, key);
	sbuf_putc(b, '{');
	if (s->family == AF_UNIX) {
		output_json_str(b, "path", ep->path);
	} else if (!is_inet(s)) {
		/* vsock "cid:port", alg "type/name"; null when none (and for
		 * packet and netlink, whose details have objects of their own). */
		output_json_str(b, "addr", ep == &s->local ? s->local_text : NULL);
	} else {
		output_json_str(b, "addr", whosock_addr_format(s->family, ep, addr, sizeof(addr)));
		sbuf_puts(b, ",\"port\":");
		sbuf_u64(b, ep->port);
	}
	sbuf_add(b, "},", 2);
}

static void json_owners(struct sbuf *b, const char *key, const struct whosock_owner *owners,
			size_t n, bool cmdline)
{
	sbuf_putc(b, ',');
	output_json_key(b, key);
	sbuf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		const struct whosock_process *p = owners[i].proc;

		sbuf_puts(b, i ? ",{" : "{");
		json_u64(b, "pid", (uint64_t)p->pid, true);
		/* No fd: the kernel named the process, /proc did not show it. */
		json_u64(b, "fd", (uint64_t)owners[i].fd, owners[i].n_fds > 0);
		output_json_key(b, "fds");
		sbuf_putc(b, '[');
		for (uint32_t k = 0; k < owners[i].n_fds; k++) {
			if (k)
				sbuf_putc(b, ',');
			sbuf_u64(b, (uint64_t)owners[i].fds[k]);
		}
		sbuf_add(b, "],", 2);
		if (owners[i].tid)
			json_u64(b, "tid", (uint64_t)owners[i].tid, true);
		output_json_str(b, "comm", p->comm);
		sbuf_putc(b, ',');
		/* Without cmdline (serve without --expose-cmdline): null, as
		 * for a process whose command line is not readable. */
		output_json_str(b, "cmdline", cmdline ? p->cmdline : NULL);
		sbuf_puts(b, cmdline && p->cmdline_truncated ? ",\"cmdline_truncated\":true,"
							     : ",\"cmdline_truncated\":false,");
		json_u64(b, "uid", p->uid, p->uid_known);
		output_json_str(b, "user", p->user);
		sbuf_putc(b, ',');
		output_json_str(b, "cgroup", p->cgroup);
		sbuf_putc(b, ',');
		output_json_container(b, &p->container);
		sbuf_putc(b, '}');
	}
	sbuf_putc(b, ']');
}

/* "packet": {...} and "netlink": {...}, null for other kinds. */
static void json_kinds(struct sbuf *b, const struct whosock_socket *s, const char *ifname)
{
	unsigned k = s->known;

	output_json_key(b, "packet");
	if (s->proto == WHOSOCK_PROTO_PACKET) {
		struct sbuf name = { 0 };

		sbuf_putc(b, '{');
		put_eth_proto(&name, s->protocol, false);
		output_json_key(b, "protocol");
		if (name.failed)
			b->failed = true;
		else
			esc_json(b, name.data, name.len);
		sbuf_free(&name);
		sbuf_putc(b, ',');
		json_u64(b, "protocol_number", s->protocol, k & WHOSOCK_KNOWN_PROTOCOL);
		json_u64(b, "ifindex", s->ifindex, k & WHOSOCK_KNOWN_IFINDEX);
		output_json_str(b, "interface", ifname);
		sbuf_add(b, "},", 2);
	} else {
		sbuf_puts(b, "null,");
	}
	output_json_key(b, "netlink");
	if (s->proto == WHOSOCK_PROTO_NETLINK) {
		sbuf_putc(b, '{');
		output_json_str(b, "protocol", whosock_netlink_proto_name((int)s->protocol));
		sbuf_putc(b, ',');
		json_u64(b, "protocol_number", s->protocol, k & WHOSOCK_KNOWN_PROTOCOL);
		json_u64(b, "portid", s->netlink.portid, true);
		json_u64(b, "groups", s->netlink.groups, k & WHOSOCK_KNOWN_NL_GROUPS);
		json_u64(b, "dst_portid", s->netlink.dst_portid, s->source == WHOSOCK_SOURCE_NETLINK);
		output_json_key(b, "dst_group");
		if (s->source == WHOSOCK_SOURCE_NETLINK)
			sbuf_u64(b, s->netlink.dst_group);
		else
			sbuf_puts(b, "null");
		sbuf_add(b, "},", 2);
	} else {
		sbuf_puts(b, "null,");
	}
}

/* A packet socket's interface name, known only in whosock's namespace. */
static const char *packet_ifname(const struct whosock_socket *s, char buf[IF_NAMESIZE])
{
	static uint64_t own;
	struct stat st;

	if (s->proto != WHOSOCK_PROTO_PACKET || !s->ifindex)
		return NULL;
	if (!own && stat("/proc/self/ns/net", &st) == 0)
		own = (uint64_t)st.st_ino;
	if (s->netns && own && s->netns != own)
		return NULL;
	return if_indextoname(s->ifindex, buf) ? buf : NULL;
}

/* ,"memory": {...} (SK_MEMINFO, bytes), null where the kernel gave none. */
static void json_memory(struct sbuf *b, const struct whosock_socket *s)
{
	const struct whosock_meminfo *m = &s->mem;

	sbuf_puts(b, ",\"memory\":");
	if (!(s->known & WHOSOCK_KNOWN_MEMINFO)) {
		sbuf_puts(b, "null");
		return;
	}
	sbuf_putc(b, '{');
	json_u64(b, "rmem_alloc", m->rmem_alloc, true);
	json_u64(b, "rcvbuf", m->rcvbuf, true);
	json_u64(b, "wmem_alloc", m->wmem_alloc, true);
	json_u64(b, "sndbuf", m->sndbuf, true);
	json_u64(b, "fwd_alloc", m->fwd_alloc, true);
	json_u64(b, "wmem_queued", m->wmem_queued, true);
	json_u64(b, "optmem", m->optmem, true);
	json_u64(b, "backlog", m->backlog, true);
	sbuf_puts(b, "\"drops\":");
	sbuf_u64(b, m->drops);
	sbuf_putc(b, '}');
}

/* ,"traffic": {...} (payload), null where nothing counted it. */
static void json_traffic(struct sbuf *b, const struct whosock_socket *s)
{
	const struct whosock_traffic *t = &s->traffic;

	sbuf_puts(b, ",\"traffic\":");
	if (!(s->known & WHOSOCK_KNOWN_TRAFFIC)) {
		sbuf_puts(b, "null");
		return;
	}
	sbuf_putc(b, '{');
	json_u64(b, "sent_bytes", t->sent_bytes, true);
	json_u64(b, "received_bytes", t->received_bytes, true);
	json_u64(b, "sent_packets", t->sent_packets, true);
	json_u64(b, "received_packets", t->received_packets, true);
	sbuf_puts(b, t->since_start ? "\"since\":\"start\"}" : "\"since\":\"open\"}");
}

void output_json_socket(struct sbuf *b, const struct whosock_socket *s)
{
	output_json_socket_cmdline(b, s, true);
}

void output_json_socket_cmdline(struct sbuf *b, const struct whosock_socket *s, bool cmdline)
{
	unsigned k = s->known;
	char ifbuf[IF_NAMESIZE];
	const char *ifname = packet_ifname(s, ifbuf);

	sbuf_putc(b, '{');
	json_u64(b, "netns", s->netns, s->netns != 0);
	output_json_str(b, "netns_name", s->netns_name);
	sbuf_putc(b, ',');
	output_json_str(b, "proto", whosock_proto_name(s->proto));
	sbuf_putc(b, ',');
	output_json_str(b, "family", s->family_name ? s->family_name : family_name(s->family));
	sbuf_putc(b, ',');
	output_json_str(b, "type", type_name(s->type));
	sbuf_putc(b, ',');
	output_json_str(b, "state", whosock_state_name(s->proto, s->state));
	sbuf_putc(b, ',');
	json_endpoint(b, "local", s, &s->local);
	json_endpoint(b, "remote", s, &s->remote);
	/* Every row has every field (null where it does not apply), so that
	 * consumers can rely on one shape. */
	json_u64(b, "peer_inode", s->peer_inode, k & WHOSOCK_KNOWN_PEER);
	json_u64(b, "ifindex", s->ifindex, k & WHOSOCK_KNOWN_IFINDEX);
	json_u64(b, "cgroup_id", s->cgroup_id, k & WHOSOCK_KNOWN_CGROUP_ID);
	json_u64(b, "inode", s->inode, true);
	json_u64(b, "uid", s->uid, k & WHOSOCK_KNOWN_UID);
	json_u64(b, "cookie", s->cookie, k & WHOSOCK_KNOWN_COOKIE);
	json_u64(b, "rqueue", s->rqueue, k & WHOSOCK_KNOWN_QUEUES);
	json_u64(b, "wqueue", s->wqueue, k & WHOSOCK_KNOWN_QUEUES);
	output_json_str(b, "source", s->source == WHOSOCK_SOURCE_PROC  ? "proc"
				     : s->source == WHOSOCK_SOURCE_BPF ? "bpf"
									: "netlink");
	json_owners(b, "owners", s->owners, s->n_owners, cmdline);
	if (s->family == AF_UNIX)
		json_owners(b, "peer_owners", s->peer ? s->peer->owners : NULL,
			    s->peer ? s->peer->n_owners : 0, cmdline);
	sbuf_putc(b, ',');
	json_u64(b, "protocol", s->protocol, k & WHOSOCK_KNOWN_PROTOCOL);
	json_kinds(b, s, ifname);
	sbuf_add(b, "\"tcp\":", 6);
	if (s->proto == WHOSOCK_PROTO_TCP && (k & WHOSOCK_KNOWN_TCP_INFO)) {
		sbuf_putc(b, '{');
		json_u64(b, "rtt_us", s->tcp.rtt_us, true);
		json_u64(b, "retransmits", s->tcp.retransmits, true);
		json_u64(b, "bytes_acked", s->tcp.bytes_acked, k & WHOSOCK_KNOWN_TCP_BYTES);
		json_u64(b, "bytes_received", s->tcp.bytes_received, k & WHOSOCK_KNOWN_TCP_BYTES);
		json_u64(b, "bytes_sent", s->tcp.bytes_sent, k & WHOSOCK_KNOWN_TCP_BYTES_SENT);
		json_u64(b, "rttvar_us", s->tcp.rttvar_us, k & WHOSOCK_KNOWN_TCP_CWND);
		json_u64(b, "cwnd", s->tcp.cwnd, k & WHOSOCK_KNOWN_TCP_CWND);
		json_u64(b, "mss", s->tcp.mss, k & WHOSOCK_KNOWN_TCP_CWND);
		json_u64(b, "rto_us", s->tcp.rto_us, k & WHOSOCK_KNOWN_TCP_CWND);
		json_u64(b, "lost", s->tcp.lost, k & WHOSOCK_KNOWN_TCP_CWND);
		json_u64(b, "unacked", s->tcp.unacked, k & WHOSOCK_KNOWN_TCP_CWND);
		output_json_key(b, "delivery_rate");
		if (k & WHOSOCK_KNOWN_TCP_RATE)
			sbuf_u64(b, s->tcp.delivery_rate);
		else
			sbuf_puts(b, "null");
		sbuf_putc(b, '}');
	} else {
		sbuf_puts(b, "null");
	}
	json_memory(b, s);
	json_traffic(b, s);
	sbuf_putc(b, '}');
}

void output_json_container(struct sbuf *b, const struct whosock_container *c)
{
	sbuf_puts(b, "\"container\":");
	if (!c->runtime) {
		sbuf_puts(b, "null");
		return;
	}
	sbuf_putc(b, '{');
	output_json_str(b, "runtime", c->runtime);
	sbuf_putc(b, ',');
	output_json_str(b, "id", c->id);
	sbuf_putc(b, ',');
	output_json_str(b, "pod_uid", c->pod_uid);
	sbuf_putc(b, '}');
}

void output_json_time(struct sbuf *b, const char *key, const struct timespec *t)
{
	struct tm tm;
	char ts[40];
	time_t sec = t->tv_sec;

	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	output_json_key(b, key);
	sbuf_putc(b, '"');
	sbuf_puts(b, ts);
	snprintf(ts, sizeof(ts), ".%03ldZ\"", t->tv_nsec / 1000000);
	sbuf_puts(b, ts);
}

void output_json_event(struct sbuf *b, const struct whosock_event *ev)
{
	output_json_event_cmdline(b, ev, true);
}

void output_json_event_cmdline(struct sbuf *b, const struct whosock_event *ev, bool cmdline)
{
	sbuf_putc(b, '{');
	json_u64(b, "seq", ev->seq, true);
	output_json_time(b, "ts", &ev->ts);
	sbuf_putc(b, ',');
	output_json_str(b, "type", ev->type == WHOSOCK_EVENT_OPENED ? "opened" : "closed");
	sbuf_putc(b, ',');
	json_u64(b, "lifetime_ms", ev->lifetime_ms, ev->lifetime_known);
	output_json_key(b, "socket");
	output_json_socket_cmdline(b, ev->socket, cmdline);
	sbuf_putc(b, '}');
}

static void render_json(struct sbuf *out, const struct whosock_socket *const *rows, size_t n,
			bool lines)
{
	if (!lines)
		sbuf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (!lines && i)
			sbuf_putc(out, ',');
		if (!lines)
			sbuf_putc(out, '\n');
		output_json_socket(out, rows[i]);
		if (lines)
			sbuf_putc(out, '\n');
		sbuf_maybe_flush(out);
	}
	if (!lines)
		sbuf_puts(out, n ? "\n]\n" : "]\n");
}

static void csv_u64(struct sbuf *b, uint64_t v, bool known)
{
	sbuf_putc(b, ',');
	if (known)
		sbuf_u64(b, v);
}

static void csv_endpoint(struct sbuf *b, const struct whosock_socket *s,
			 const struct whosock_endpoint *ep)
{
	char addr[64];

	sbuf_putc(b, ',');
	if (is_inet(s))
		sbuf_puts(b, whosock_addr_format(s->family, ep, addr, sizeof(addr)));
	else if (ep == &s->local && s->local_text)
		esc_csv(b, s->local_text, strlen(s->local_text));
	csv_u64(b, ep->port, is_inet(s));
	sbuf_putc(b, ',');
	if (ep->path)
		esc_csv(b, ep->path, strlen(ep->path));
}

/* The owners as one field: "pid:comm" once per process, separated by spaces. */
static void csv_owners(struct sbuf *b, const struct whosock_socket *s)
{
	struct sbuf tmp = { 0 };

	sbuf_putc(b, ',');
	for (size_t i = 0; i < s->n_owners; i++) {
		const struct whosock_process *p = s->owners[i].proc;

		if (i && s->owners[i - 1].proc->pid == p->pid)
			continue;
		if (tmp.len)
			sbuf_putc(&tmp, ' ');
		sbuf_u64(&tmp, (uint64_t)p->pid);
		sbuf_putc(&tmp, ':');
		sbuf_puts(&tmp, p->comm);
	}
	if (tmp.failed)
		b->failed = true;
	else if (tmp.len)
		esc_csv(b, tmp.data, tmp.len);
	sbuf_free(&tmp);
}

/* -i: the TCP details, as the JSON's tcp and traffic objects have them. */
static const char CSV_INFO_HEADER[] =
	",tcp_rtt_us,tcp_rttvar_us,tcp_retransmits,tcp_cwnd,tcp_mss,tcp_rto_us,tcp_lost,"
	"tcp_unacked,tcp_bytes_acked,tcp_bytes_received,tcp_bytes_sent,tcp_delivery_rate,"
	"sent_bytes,received_bytes";

static void csv_info(struct sbuf *b, const struct whosock_socket *s)
{
	const struct whosock_tcp_info *t = &s->tcp;
	unsigned k = s->proto == WHOSOCK_PROTO_TCP ? s->known : 0;
	bool info = k & WHOSOCK_KNOWN_TCP_INFO, cwnd = k & WHOSOCK_KNOWN_TCP_CWND;

	csv_u64(b, t->rtt_us, info);
	csv_u64(b, t->rttvar_us, cwnd);
	csv_u64(b, t->retransmits, info);
	csv_u64(b, t->cwnd, cwnd);
	csv_u64(b, t->mss, cwnd);
	csv_u64(b, t->rto_us, cwnd);
	csv_u64(b, t->lost, cwnd);
	csv_u64(b, t->unacked, cwnd);
	csv_u64(b, t->bytes_acked, k & WHOSOCK_KNOWN_TCP_BYTES);
	csv_u64(b, t->bytes_received, k & WHOSOCK_KNOWN_TCP_BYTES);
	csv_u64(b, t->bytes_sent, k & WHOSOCK_KNOWN_TCP_BYTES_SENT);
	csv_u64(b, t->delivery_rate, k & WHOSOCK_KNOWN_TCP_RATE);
	csv_u64(b, s->traffic.sent_bytes, s->known & WHOSOCK_KNOWN_TRAFFIC);
	csv_u64(b, s->traffic.received_bytes, s->known & WHOSOCK_KNOWN_TRAFFIC);
}

/* -m: the socket's memory, as the JSON's memory object. */
static const char CSV_MEMORY_HEADER[] =
	",mem_rmem_alloc,mem_rcvbuf,mem_wmem_alloc,mem_sndbuf,mem_fwd_alloc,mem_wmem_queued,"
	"mem_optmem,mem_backlog,mem_drops";

static void csv_memory(struct sbuf *b, const struct whosock_socket *s)
{
	const struct whosock_meminfo *m = &s->mem;
	const uint32_t v[] = { m->rmem_alloc, m->rcvbuf, m->wmem_alloc, m->sndbuf, m->fwd_alloc,
			       m->wmem_queued, m->optmem, m->backlog, m->drops };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		csv_u64(b, v[i], s->known & WHOSOCK_KNOWN_MEMINFO);
}

static void render_csv(struct sbuf *out, const struct whosock_socket *const *rows, size_t n,
		       const struct cli *cli)
{
	if (cli->header) {
		sbuf_puts(out, "netns,proto,family,type,state,local_addr,local_port,local_path,"
			       "remote_addr,remote_port,remote_path,inode,uid,cookie,rqueue,wqueue,"
			       "peer_inode,owners,protocol,ifindex,netlink_portid,netlink_groups");
		if (cli->info)
			sbuf_puts(out, CSV_INFO_HEADER);
		if (cli->memory)
			sbuf_puts(out, CSV_MEMORY_HEADER);
		sbuf_putc(out, '\n');
	}
	for (size_t i = 0; i < n; i++) {
		const struct whosock_socket *s = rows[i];
		unsigned k = s->known;

		if (s->netns)
			sbuf_u64(out, s->netns);
		sbuf_putc(out, ',');
		sbuf_puts(out, whosock_proto_name(s->proto));
		sbuf_putc(out, ',');
		if (s->family_name || family_name(s->family))
			sbuf_puts(out, s->family_name ? s->family_name : family_name(s->family));
		sbuf_putc(out, ',');
		sbuf_puts(out, type_name(s->type));
		sbuf_putc(out, ',');
		sbuf_puts(out, whosock_state_name(s->proto, s->state));
		csv_endpoint(out, s, &s->local);
		csv_endpoint(out, s, &s->remote);
		csv_u64(out, s->inode, true);
		csv_u64(out, s->uid, k & WHOSOCK_KNOWN_UID);
		csv_u64(out, s->cookie, k & WHOSOCK_KNOWN_COOKIE);
		csv_u64(out, s->rqueue, k & WHOSOCK_KNOWN_QUEUES);
		csv_u64(out, s->wqueue, k & WHOSOCK_KNOWN_QUEUES);
		csv_u64(out, s->peer_inode, k & WHOSOCK_KNOWN_PEER);
		csv_owners(out, s);
		csv_u64(out, s->protocol, k & WHOSOCK_KNOWN_PROTOCOL);
		csv_u64(out, s->ifindex, k & WHOSOCK_KNOWN_IFINDEX);
		csv_u64(out, s->netlink.portid, s->proto == WHOSOCK_PROTO_NETLINK);
		csv_u64(out, s->netlink.groups, k & WHOSOCK_KNOWN_NL_GROUPS);
		if (cli->info)
			csv_info(out, s);
		if (cli->memory)
			csv_memory(out, s);
		sbuf_putc(out, '\n');
		sbuf_maybe_flush(out);
	}
}

int output_render(struct sbuf *out, const struct whosock_snapshot *snap, const struct cli *cli)
{
	return output_render_rows(out, snap, NULL, whosock_snapshot_count(snap), cli, NULL);
}

int output_render_rows(struct sbuf *out, const struct whosock_snapshot *snap, const size_t *idx,
		       size_t n, const struct cli *cli, struct resolver *res)
{
	const struct whosock_socket **rows = NULL;

	if (sort_rows(snap, idx, n, cli, &rows) < 0)
		return -ENOMEM;
	switch (cli->format) {
	case OUTPUT_DOT: /* (deps only: cli_parse() refuses it for a listing) */
	case OUTPUT_TABLE:
		render_table(out, snap, rows, n, cli, res);
		break;
	case OUTPUT_JSON:
	case OUTPUT_NDJSON:
		render_json(out, rows, n, cli->format == OUTPUT_NDJSON);
		break;
	case OUTPUT_CSV:
		render_csv(out, rows, n, cli);
		break;
	}
	free(rows);
	if (out->sink_error)
		return -out->sink_error;
	return out->failed ? -ENOMEM : sbuf_flush(out);
}
