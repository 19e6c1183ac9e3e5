/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Socket dumps over NETLINK_SOCK_DIAG (inet_diag and unix_diag), with libmnl. */
#ifndef WHOSOCK_SOCKDIAG_H
#define WHOSOCK_SOCKDIAG_H

#include <stdbool.h>

#include <linux/inet_diag.h>

#include "whosock/whosock.h"

struct mnl_socket;
struct nlattr;

/* A diag message's attributes by type, for mnl_attr_parse() with
 * sockdiag_attr_cb: types up to max (at most INET_DIAG_MAX, the largest of
 * the diag families) are kept, newer ones skipped. */
struct sockdiag_attrs {
	const struct nlattr *tb[INET_DIAG_MAX + 1];
	unsigned max;
};
int sockdiag_attr_cb(const struct nlattr *attr, void *data);

/* The IPPROTO_* number of an inet kind (MPTCP's is past 255), or -1. */
int sockdiag_ipproto(enum whosock_proto proto);

/* Open a NETLINK_SOCK_DIAG socket (close with sockdiag_close()). Returns 0 or
 * a negative errno. */
int sockdiag_open(struct mnl_socket **out);

/* Open one subscribed to the multicast groups (bits 1 << (SKNLGRP_* - 1):
 * sockets being destroyed), non-blocking. Needs CAP_NET_ADMIN (-EPERM). */
int sockdiag_open_groups(unsigned groups, struct mnl_socket **out);
void sockdiag_close(struct mnl_socket *nl);

/* What a dump asks for beyond the sockets (SOCKDIAG_EXT_* bits). */
enum {
	SOCKDIAG_EXT_TCP_INFO = 1u << 0, /* struct whosock_tcp_info (TCP) */
	SOCKDIAG_EXT_MEMINFO = 1u << 1,  /* struct whosock_meminfo (inet, UNIX) */
};

/* Dump every socket of (proto, family) matching f into snap (source
 * WHOSOCK_SOURCE_NETLINK). Family AF_UNSPEC is IPv4 and IPv6, IPv4 first: for
 * TCP in one walk of the kernel's (machine-wide) hash table where the kernel
 * allows, which halves the cost of each namespace. States in f are filtered by the kernel. A dump
 * interrupted by a concurrent change (NLM_F_DUMP_INTR) is redone. ext: the
 * details to ask for (SOCKDIAG_EXT_*). Returns the
 * number of sockets pushed or a negative errno: -EPERM/-EACCES when refused,
 * -ENOENT/-EOPNOTSUPP/-EPROTONOSUPPORT when the kernel lacks that dump. On
 * failure nothing was pushed. */
int sockdiag_dump(struct mnl_socket *nl, struct whosock_snapshot *snap, enum whosock_proto proto,
		  int family, const struct whosock_filter *f, unsigned ext);

/* Parse one inet_diag message (struct inet_diag_msg and attributes) into *out.
 * Exposed for tests and fuzzers. Returns 0 or -EINVAL. */
int sockdiag_parse_inet(const void *nlh, enum whosock_proto proto, struct whosock_socket *out);

/* Parse one unix_diag message; *path and *path_len point into the message (NULL
 * when unnamed; abstract names keep their leading NUL byte). Returns 0 or -EINVAL. */
int sockdiag_parse_unix(const void *nlh, struct whosock_socket *out, const char **path,
			size_t *path_len);

#endif
