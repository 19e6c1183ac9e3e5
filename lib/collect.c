/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Collect one (protocol, family) of one namespace (AF_UNSPEC: both inet
 * families): from netlink, or from /proc/net where netlink refuses. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect.h"
#include "procnet.h"
#include "snapshot.h"
#include "sockdiag.h"

/* /proc/net has one table per family. */
static int procnet_collect_any(struct whosock_snapshot *snap, const char *net_dir,
			       enum whosock_proto proto, int family,
			       const struct whosock_filter *f)
{
	size_t start = whosock_snapshot_count(snap);
	int r;

	if (family != AF_UNSPEC || proto == WHOSOCK_PROTO_UNIX || proto == WHOSOCK_PROTO_PACKET ||
	    proto == WHOSOCK_PROTO_NETLINK)
		return procnet_collect(snap, net_dir, proto, family, f);
	r = procnet_collect(snap, net_dir, proto, AF_INET, f);
	if (r >= 0)
		r = procnet_collect(snap, net_dir, proto, AF_INET6, f);
	if (r < 0)
		snapshot_truncate(snap, start);
	return r;
}

/* Errors after which /proc may still answer: netlink refused, or the kernel
 * lacks this dump. Anything else (ENOMEM) is passed up. */
static bool netlink_refused(int r)
{
	switch (r) {
	case -EPERM:
	case -EACCES:
	case -ENOENT:
	case -EOPNOTSUPP:
	case -EPROTONOSUPPORT:
	case -EINVAL:
	case -EAGAIN:
	case -EIO:
	case -EAFNOSUPPORT:
		return true;
	default:
		return false;
	}
}

int collect_dump(struct whosock_snapshot *snap, struct mnl_socket *nl, int nl_error,
		 const char *net_dir, enum whosock_proto proto, int family,
		 const struct request *opt)
{
	int r;

	/* MPTCP and SCTP have no table in /proc/net (MPTCP's subflows are
	 * in the TCP one): netlink or nothing, as for a kernel without the
	 * module, and without a note (the man page says so). */
	if ((proto == WHOSOCK_PROTO_MPTCP || proto == WHOSOCK_PROTO_SCTP) &&
	    (!nl || opt->source == WHOSOCK_SOURCE_PROC))
		return 0;
	if (opt->source != WHOSOCK_SOURCE_PROC && !nl) {
		if (opt->source == WHOSOCK_SOURCE_NETLINK)
			return nl_error;
		NOTE(snap, .code = WHOSOCK_NOTE_NETLINK_UNAVAILABLE, .error = -nl_error,
		     .path = net_dir);
	}
	if (nl) {
		r = sockdiag_dump(nl, snap, proto, family, &opt->filter,
				  (opt->want & WHOSOCK_WANT_TCP_INFO ? SOCKDIAG_EXT_TCP_INFO : 0) |
				  (opt->want & WHOSOCK_WANT_MEMINFO ? SOCKDIAG_EXT_MEMINFO : 0));
		if (r >= 0 || !netlink_refused(r))
			return r < 0 ? r : 0;
		if (opt->source == WHOSOCK_SOURCE_NETLINK) {
			NOTE(snap, .code = WHOSOCK_NOTE_NOT_LISTED, .error = -r, .proto = proto,
			     .family = family);
			return 0;
		}
		nl_error = r;
	}

	r = procnet_collect_any(snap, net_dir, proto, family, &opt->filter);
	if (r == -ENOENT && nl_error == -ENOENT)
		return 0; /* the kernel has no such protocol (UDP-Lite may be absent) */
	if ((proto == WHOSOCK_PROTO_MPTCP || proto == WHOSOCK_PROTO_SCTP) && nl_error == -ENOENT)
		return 0; /* no diag module and no /proc table: held ones get rows of their own */
	if (r < 0) {
		NOTE(snap, .code = WHOSOCK_NOTE_NOT_LISTED, .error = nl ? -nl_error : 0,
		     .error2 = -r, .proto = proto, .family = family, .path = net_dir);
		return 0;
	}
	/* A kernel without this dump (raw_diag is often not loaded) loses
	 * nothing but cookies and bound devices when read from /proc: no note
	 * for that. A refusal is worth one. */
	if (nl && nl_error != -ENOENT)
		NOTE(snap, .code = WHOSOCK_NOTE_PROC_FALLBACK, .error = -nl_error, .proto = proto,
		     .family = family, .path = net_dir);
	return 0;
}

