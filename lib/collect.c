/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Collect one (protocol, family) of one namespace (AF_UNSPEC: both inet
 * families): from netlink, or from /proc/net where netlink refuses. */
#include <errno.h>
#include <fcntl.h>
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


/* The "sockets" column of the protocols line named name in text, or -1. */
static long protocol_sockets(const char *text, const char *name)
{
	size_t len = strlen(name);

	const char *line = text;

	while (line) {
		long size, sockets;
		const char *next = strchr(line, '\n');

		if (strncmp(line, name, len) == 0 && line[len] == ' ' &&
		    sscanf(line + len, "%ld %ld", &size, &sockets) == 2)
			return sockets;
		line = next ? next + 1 : NULL;
	}
	return -1;
}

unsigned collect_empty_kinds(const char *net_dir)
{
	static const struct {
		enum whosock_proto proto;
		const char *v4, *v6;
	} kinds[] = {
		{ WHOSOCK_PROTO_MPTCP, "MPTCP", "MPTCPv6" },
		{ WHOSOCK_PROTO_UDPLITE, "UDP-Lite", "UDPLITEv6" },
	};
	char path[PATH_MAX], text[16384];
	unsigned empty = 0;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/protocols", net_dir) >= (int)sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	/* (A file cut by the buffer would hide lines: no answer then.) */
	if (n <= 0 || (size_t)n == sizeof(text) - 1)
		return 0;
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (protocol_sockets(text, kinds[i].v4) == 0 && protocol_sockets(text, kinds[i].v6) == 0)
			empty |= WHOSOCK_PROTO_BIT(kinds[i].proto);
	return empty;
}
