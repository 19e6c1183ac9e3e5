/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sbuf.h"
#include "textesc.h"
#include "timing.h"

uint64_t timing_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put_ms(struct sbuf *b, uint64_t ns)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu.%03llu ms", (unsigned long long)(ns / 1000000),
		 (unsigned long long)(ns / 1000 % 1000));
	sbuf_puts(b, buf);
}

static const char *family_label(int family)
{
	switch (family) {
	case AF_UNSPEC:
		return "inet+inet6";
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	default:
		return NULL; /* the kind's only family: nothing to add */
	}
}

/* What a phase's count counts. */
static const char *count_label(const char *phase, uint64_t n)
{
	if (strcmp(phase, "owners") == 0)
		return n == 1 ? "process" : "processes";
	if (strcmp(phase, "trace") == 0)
		return n == 1 ? "held socket not listed" : "held sockets not listed";
	return n == 1 ? "socket" : "sockets";
}

static void line(FILE *f, const struct whosock_timing *t)
{
	struct sbuf b = { 0 };

	sbuf_puts(&b, "whosock: timing: ");
	sbuf_puts(&b, t->phase);
	if (t->proto >= 0) {
		const char *fam = family_label(t->family);

		sbuf_putc(&b, ' ');
		sbuf_puts(&b, whosock_proto_name((enum whosock_proto)t->proto));
		if (fam) {
			sbuf_putc(&b, ' ');
			sbuf_puts(&b, fam);
		}
		sbuf_puts(&b, " netns ");
		if (t->netns_name)
			esc_term(&b, t->netns_name, strlen(t->netns_name));
		else
			sbuf_u64(&b, t->netns);
	}
	sbuf_puts(&b, ": ");
	put_ms(&b, t->elapsed_ns);
	sbuf_puts(&b, ", ");
	sbuf_u64(&b, t->count);
	sbuf_putc(&b, ' ');
	sbuf_puts(&b, count_label(t->phase, t->count));
	sbuf_putc(&b, '\n');
	if (!b.failed)
		fwrite(b.data, 1, b.len, f);
	sbuf_free(&b);
}

void timing_print(FILE *f, const struct whosock_snapshot *snap, uint64_t output_ns, size_t rows)
{
	for (size_t i = 0; i < whosock_snapshot_timing_count(snap); i++)
		line(f, whosock_snapshot_timing(snap, i));
	line(f, &(const struct whosock_timing){ .phase = "output", .proto = -1, .family = -1,
						 .elapsed_ns = output_ns, .count = rows });
}
