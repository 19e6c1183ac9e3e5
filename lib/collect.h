/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Collect one (protocol, family) of one namespace into a snapshot. */
#ifndef WHOSOCK_COLLECT_H
#define WHOSOCK_COLLECT_H

#include "abi.h"

struct mnl_socket;

/* Dump (proto, family) over nl (a sock_diag socket in the namespace) into
 * snap; when nl is NULL (nl_error says why) or netlink refuses or lacks the
 * dump, read net_dir (/proc/net, /proc/PID/net) instead, as opt->source
 * allows. What cannot be listed gets a note. Returns 0, or a negative errno
 * when listing must stop (-ENOMEM; with --source netlink, no netlink). */
int collect_dump(struct whosock_snapshot *snap, struct mnl_socket *nl, int nl_error,
		 const char *net_dir, enum whosock_proto proto, int family,
		 const struct request *opt);

/* Kinds of no socket in net_dir's namespace by its protocols file (the
 * kernel's count of sockets in use per protocol: hashed, so every one a
 * dump could list): MPTCP and UDP-Lite when both their families count 0,
 * whose dumps cost a walk of an empty table each (0.7 ms for each MPTCP
 * family here). As WHOSOCK_PROTO_BIT()s; 0 when unreadable. */
unsigned collect_empty_kinds(const char *net_dir);

#endif
