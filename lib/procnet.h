/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers for /proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6,unix,packet,netlink}:
 * the fallback when netlink sock_diag is refused. Every field is parsed and
 * checked; a malformed line is rejected, never guessed. */
#ifndef WHOSOCK_PROCNET_H
#define WHOSOCK_PROCNET_H

#include "whosock/whosock.h"

/* Parse "ADDR:PORT" as printed by the kernel: 8 hex digits for AF_INET, 32 for
 * AF_INET6 (four 32-bit words in host byte order), a colon, 4 hex digits.
 * Fills ep->addr and ep->port. Returns 0 or -EINVAL (ep untouched). */
int procnet_parse_endpoint(const char *text, size_t len, int family, struct whosock_endpoint *ep);

/* Parse one data line of an inet table (not the header). proto and family say
 * which file it came from. Fills *out (netns, source and strings left zero).
 * Returns 0 or -EINVAL. */
int procnet_parse_inet_line(const char *line, enum whosock_proto proto, int family,
			    struct whosock_socket *out);

/* Parse one data line of /proc/net/unix. The path (if any) is returned as a
 * pointer/length into line through *path and *path_len (*path NULL when
 * unnamed). Returns 0 or -EINVAL. */
int procnet_parse_unix_line(const char *line, struct whosock_socket *out, const char **path,
			    size_t *path_len);

/* Parse one data line of /proc/net/packet or /proc/net/netlink. Returns 0
 * or -EINVAL (*out untouched). */
int procnet_parse_packet_line(const char *line, struct whosock_socket *out);
int procnet_parse_netlink_line(const char *line, struct whosock_socket *out);

/* Read the table for (proto, family) from net_dir (e.g. "/proc/net",
 * "/proc/1234/net", or a captured copy) and push every socket matching f into
 * snap, with source WHOSOCK_SOURCE_PROC. Malformed lines are skipped and
 * counted in a note. family is ignored for UNIX, packet and netlink. Returns the
 * number of sockets pushed, -ENOENT when the file does not exist, or another
 * negative errno. */
int procnet_collect(struct whosock_snapshot *snap, const char *net_dir, enum whosock_proto proto,
		    int family, const struct whosock_filter *f);

#endif
