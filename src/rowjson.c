/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DESIGN.md's traffic rows and dependency edges as JSON (rowjson.h). */
#include <arpa/inet.h>
#include <pwd.h>
#include <sys/socket.h>

#include "cli.h"
#include "output.h"
#include "rowjson.h"

/* ---- traffic rows ---- */

/* "container":{...}, null for none (the host's). */
static void json_container(struct sbuf *b, const struct whosock_container *c)
{
	static const struct whosock_container none;

	output_json_container(b, c ? c : &none);
}

static void json_process(struct sbuf *b, const struct whosock_process *p)
{
	output_json_key(b, "process");
	if (!p) {
		sbuf_puts(b, "null");
		return;
	}
	sbuf_putc(b, '{');
	output_json_u64(b, "pid", (uint64_t)p->pid, true);
	sbuf_putc(b, ',');
	output_json_str(b, "comm", p->comm);
	sbuf_putc(b, ',');
	output_json_str(b, "user", p->user);
	sbuf_putc(b, ',');
	output_json_u64(b, "uid", p->uid, p->uid_known);
	sbuf_putc(b, ',');
	json_container(b, &p->container);
	sbuf_putc(b, '}');
}

void rowjson_traffic(struct sbuf *b, const struct whosock_meter_row *r, const struct timespec *ts,
		     uint64_t interval_ms, bool cmdline)
{
	char addr[64];

	sbuf_putc(b, '{');
	output_json_time(b, "ts", ts);
	sbuf_putc(b, ',');
	output_json_u64(b, "interval_ms", interval_ms, true);
	sbuf_putc(b, ',');
	output_json_str(b, "by", cli_by_names[r->by]);
	sbuf_putc(b, ',');
	switch (r->by) {
	case WHOSOCK_BY_PROCESS:
		json_process(b, r->process);
		sbuf_putc(b, ',');
		break;
	case WHOSOCK_BY_CONNECTION:
		output_json_key(b, "socket");
		output_json_socket_cmdline(b, r->socket, cmdline);
		sbuf_putc(b, ',');
		json_process(b, r->process);
		sbuf_putc(b, ',');
		break;
	case WHOSOCK_BY_REMOTE:
		output_json_key(b, "remote");
		sbuf_putc(b, '{');
		output_json_str(b, "addr", whosock_addr_format(r->family, &r->remote, addr, sizeof(addr)));
		sbuf_putc(b, ',');
		output_json_u64(b, "port", r->remote.port, true);
		sbuf_putc(b, ',');
		output_json_str(b, "proto", whosock_proto_name((enum whosock_proto)r->proto));
		sbuf_add(b, "},", 2);
		break;
	case WHOSOCK_BY_CONTAINER:
		json_container(b, r->container);
		/* No process seen: not known to be the host's either. */
		sbuf_puts(b, r->process ? ",\"known\":true," : ",\"known\":false,");
		break;
	case WHOSOCK_BY_USER:
		output_json_str(b, "user", r->user);
		sbuf_putc(b, ',');
		output_json_u64(b, "uid", r->uid, r->uid_known);
		sbuf_putc(b, ',');
		break;
	default:
		break;
	}
	output_json_u64(b, "netns", r->netns, r->netns != 0);
	sbuf_putc(b, ',');
	output_json_str(b, "netns_name", r->netns_name);
	sbuf_putc(b, ',');
	output_json_u64(b, "connections", r->connections, true);
	sbuf_putc(b, ',');
	output_json_u64(b, "closed", r->closed, true);
	sbuf_putc(b, ',');
	output_json_u64(b, "sent_bytes", r->sent_bytes, true);
	sbuf_putc(b, ',');
	output_json_u64(b, "received_bytes", r->received_bytes, true);
	sbuf_putc(b, ',');
	output_json_u64(b, "sent_total", r->sent_total, true);
	sbuf_putc(b, ',');
	output_json_u64(b, "received_total", r->received_total, true);
	sbuf_putc(b, '}');
}

/* ---- dependency edges ---- */

const char *rowjson_edge_proto(const struct whosock_edge_server *sv)
{
	return sv->proto == WHOSOCK_PROTO_UDP ? "udp" : "tcp";
}

/* A user's name as the edge has it, else from the user database. */
const char *rowjson_edge_user(const struct whosock_edge *e)
{
	struct passwd *pw;

	if (!(e->known & WHOSOCK_EDGE_KNOWN_USER))
		return NULL;
	if (e->client.user)
		return e->client.user;
	pw = getpwuid(e->client.uid);
	return pw ? pw->pw_name : NULL;
}

void rowjson_edge(struct sbuf *b, const struct whosock_edge *e)
{
	const struct whosock_edge_client *c = &e->client;
	const struct whosock_edge_server *sv = &e->server;
	bool local = e->known & WHOSOCK_EDGE_KNOWN_SERVER;
	static const struct whosock_container none;
	char addr[INET6_ADDRSTRLEN];

	sbuf_puts(b, "{\"client\":{");
	output_json_u64(b, "netns", c->netns, e->known & WHOSOCK_EDGE_KNOWN_NETNS);
	sbuf_putc(b, ',');
	output_json_str(b, "netns_name", c->netns_name);
	sbuf_putc(b, ',');
	output_json_str(b, "comm", e->known & WHOSOCK_EDGE_KNOWN_PROCESS ? c->comm : NULL);
	sbuf_putc(b, ',');
	output_json_str(b, "user", rowjson_edge_user(e));
	sbuf_putc(b, ',');
	output_json_u64(b, "uid", c->uid, e->known & WHOSOCK_EDGE_KNOWN_USER);
	sbuf_putc(b, ',');
	output_json_container(b, &c->container);
	sbuf_puts(b, ",\"pids\":");
	if (e->known & WHOSOCK_EDGE_KNOWN_PROCESS) {
		sbuf_putc(b, '[');
		for (size_t i = 0; i < c->n_pids; i++) {
			if (i)
				sbuf_putc(b, ',');
			sbuf_u64(b, (uint64_t)c->pids[i]);
		}
		sbuf_putc(b, ']');
	} else {
		sbuf_puts(b, "null");
	}
	sbuf_puts(b, "},\"server\":{");
	output_json_str(b, "proto", rowjson_edge_proto(sv));
	sbuf_putc(b, ',');
	inet_ntop(sv->family, sv->addr.addr, addr, sizeof(addr));
	output_json_str(b, "addr", addr);
	sbuf_putc(b, ',');
	output_json_u64(b, "port", sv->addr.port, true);
	sbuf_puts(b, local ? ",\"local\":true," : ",\"local\":false,");
	output_json_u64(b, "netns", sv->netns, local);
	sbuf_putc(b, ',');
	output_json_str(b, "netns_name", local ? sv->netns_name : NULL);
	sbuf_putc(b, ',');
	output_json_str(b, "comm", local ? sv->comm : NULL);
	sbuf_putc(b, ',');
	output_json_container(b, local ? &sv->container : &none);
	sbuf_puts(b, "},");
	output_json_u64(b, "connections", e->connections, true);
	sbuf_putc(b, ',');
	output_json_u64(b, "sent_bytes", e->sent_bytes, e->known & WHOSOCK_EDGE_KNOWN_BYTES);
	sbuf_putc(b, ',');
	output_json_u64(b, "received_bytes", e->received_bytes, e->known & WHOSOCK_EDGE_KNOWN_BYTES);
	sbuf_putc(b, ',');
	output_json_time(b, "first_seen", &e->first_seen);
	sbuf_putc(b, ',');
	output_json_time(b, "last_seen", &e->last_seen);
	sbuf_putc(b, '}');
}


void rowjson_edges(struct sbuf *b, const struct whosock_edge *v, size_t n, bool lines)
{
	if (!lines)
		sbuf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (!lines && i)
			sbuf_putc(b, ',');
		rowjson_edge(b, &v[i]);
		if (lines)
			sbuf_putc(b, '\n');
		sbuf_maybe_flush(b);
	}
	if (!lines)
		sbuf_puts(b, "]\n");
}
