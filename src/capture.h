/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture: packets captured with libpcap in whosock's namespace or
 * in others (a handle opened inside each by a thread that entered it),
 * each tagged with the local sockets it belongs to and their owners
 * (libwhosock's packet index), printed as tcpdump -q -n lines, NDJSON, or
 * written as pcapng with the owners as packet comments. */
#ifndef WHOSOCK_CAPTURE_H
#define WHOSOCK_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include "capture_decode.h"
#include "cli.h"
#include "sbuf.h"
#include "whosock/watch.h"

/* Run the capture command; message(prefix, text) reports errors. Returns
 * the exit status (EXIT_TROUBLE for a bad filter expression, as for every
 * usage error). */
int capture_main(const struct cli *cli, void (*message)(const char *prefix, const char *text));

/* One packet with what is known of it, for the renderers below. */
struct capture_view {
	struct timeval ts;
	uint32_t len, caplen;
	const char *ifname;     /* NULL when not known */
	uint64_t netns;
	const char *netns_name; /* NULL when it has none */
	bool own_netns;         /* whosock's own namespace (the text line omits it) */
	struct decoded d;
	struct whosock_packet_end src, dst; /* sockets NULL when not local or not known */
};

/* The text line (tcpdump -q -n, then the owners), with its newline. */
void capture_render_text(struct sbuf *b, const struct capture_view *v);
/* One NDJSON object, with its newline. */
void capture_render_json(struct sbuf *b, const struct capture_view *v);
/* The pcapng comments: one "pid=4242 comm=python3 user=alice netns=4026532177
 * container=ID end=src" for each owner of each local end, appended to cb
 * (NUL separated; scratch: the caller's buffer for the escaping, reused);
 * returns how many, their offsets in cb in starts[0..max). */
size_t capture_render_comments(struct sbuf *cb, struct sbuf *scratch, const struct capture_view *v,
			       size_t *starts, size_t max);

#endif
