/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "details.h"

static const char *const extended_headers[] = { "UID", "INODE", "COOKIE" };
static const char *const info_headers[] = { "RTT", "RTTVAR", "CWND", "MSS", "RETRANS", "LOST",
					    "UNACKED", "ACKED", "RECEIVED", "SENT", "RATE" };
static const char *const memory_headers[] = { "RMEM", "RCVBUF", "WMEM", "SNDBUF", "WQUEUED",
					      "FWD", "OPTMEM", "BACKLOG", "DROPS" };
/* The whosock_meminfo member (all uint32_t) of each memory column. */
static const size_t memory_fields[] = {
	offsetof(struct whosock_meminfo, rmem_alloc), offsetof(struct whosock_meminfo, rcvbuf),
	offsetof(struct whosock_meminfo, wmem_alloc), offsetof(struct whosock_meminfo, sndbuf),
	offsetof(struct whosock_meminfo, wmem_queued), offsetof(struct whosock_meminfo, fwd_alloc),
	offsetof(struct whosock_meminfo, optmem), offsetof(struct whosock_meminfo, backlog),
	offsetof(struct whosock_meminfo, drops),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void add(const char **headers, size_t *n, const char *const *v, size_t count)
{
	for (size_t i = 0; i < count; i++)
		headers[(*n)++] = v[i];
}

void details_queue_headers(const struct cli *cli, const char **headers, size_t *n)
{
	static const char *const q[] = { "RECV-Q", "SEND-Q" };

	if (cli->extended)
		add(headers, n, q, N(q));
}

void details_headers(const struct cli *cli, const char **headers, size_t *n)
{
	if (cli->extended)
		add(headers, n, extended_headers, N(extended_headers));
	if (cli->info)
		add(headers, n, info_headers, N(info_headers));
	if (cli->memory)
		add(headers, n, memory_headers, N(memory_headers));
}

/* A number, or '-' where the socket has none. */
static void cell_u64(struct table *t, uint64_t v, bool known)
{
	if (known)
		sbuf_u64(table_cell(t), v);
	else
		sbuf_putc(table_cell(t), '-');
	table_cell_end(t);
}

/* Microseconds as ss shows them: milliseconds with 3 decimals ("0.041ms"). */
static void cell_ms(struct table *t, uint32_t us, bool known)
{
	char buf[32];

	if (!known) {
		cell_u64(t, 0, false);
		return;
	}
	snprintf(buf, sizeof(buf), "%u.%03ums", us / 1000, us % 1000);
	sbuf_puts(table_cell(t), buf);
	table_cell_end(t);
}

/* Bytes per second as bits per second, as ss's delivery_rate: "12.3Mbps". */
static void cell_rate(struct table *t, uint64_t bytes_per_s, bool known)
{
	static const char *const units[] = { "bps", "Kbps", "Mbps", "Gbps", "Tbps" };
	double v = (double)bytes_per_s * 8;
	size_t u = 0;
	char buf[32];

	if (!known) {
		cell_u64(t, 0, false);
		return;
	}
	while (v >= 1000 && u + 1 < N(units)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, sizeof(buf), u ? "%.1f%s" : "%.0f%s", v, units[u]);
	sbuf_puts(table_cell(t), buf);
	table_cell_end(t);
}

void details_queue_cells(struct table *t, const struct cli *cli, const struct whosock_socket *s)
{
	bool q = s->known & WHOSOCK_KNOWN_QUEUES;

	if (!cli->extended)
		return;
	cell_u64(t, s->rqueue, q);
	cell_u64(t, s->wqueue, q);
}

void details_cells(struct table *t, const struct cli *cli, const struct whosock_socket *s)
{
	unsigned k = s->known;

	if (cli->extended) {
		cell_u64(t, s->uid, k & WHOSOCK_KNOWN_UID);
		cell_u64(t, s->inode, s->inode != 0);
		cell_u64(t, s->cookie, k & WHOSOCK_KNOWN_COOKIE);
	}
	if (cli->info) {
		bool tcp = s->proto == WHOSOCK_PROTO_TCP && (k & WHOSOCK_KNOWN_TCP_INFO);
		bool cw = tcp && (k & WHOSOCK_KNOWN_TCP_CWND);
		bool bytes = tcp && (k & WHOSOCK_KNOWN_TCP_BYTES);

		cell_ms(t, s->tcp.rtt_us, tcp);
		cell_ms(t, s->tcp.rttvar_us, cw);
		cell_u64(t, s->tcp.cwnd, cw);
		cell_u64(t, s->tcp.mss, cw);
		cell_u64(t, s->tcp.retransmits, tcp);
		cell_u64(t, s->tcp.lost, cw);
		cell_u64(t, s->tcp.unacked, cw);
		cell_u64(t, s->tcp.bytes_acked, bytes);
		cell_u64(t, s->tcp.bytes_received, bytes);
		cell_u64(t, s->tcp.bytes_sent, tcp && (k & WHOSOCK_KNOWN_TCP_BYTES_SENT));
		cell_rate(t, s->tcp.delivery_rate, tcp && (k & WHOSOCK_KNOWN_TCP_RATE));
	}
	if (cli->memory)
		for (size_t i = 0; i < N(memory_fields); i++) {
			uint32_t v;

			memcpy(&v, (const char *)&s->mem + memory_fields[i], sizeof(v));
			cell_u64(t, v, k & WHOSOCK_KNOWN_MEMINFO);
		}
}
