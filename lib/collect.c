/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Collect phase: every requested (protocol, family) from netlink, each one
 * that netlink refuses from /proc/net instead; then join UNIX peers. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owners.h"
#include "procnet.h"
#include "snapshot.h"
#include "sockdiag.h"

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "UNIX";
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

static int collect_one(struct whosock_snapshot *snap, struct mnl_socket *nl, const char *net_dir,
		       enum whosock_proto proto, int family, const struct whosock_options *opt)
{
	int r = -EPROTONOSUPPORT;

	if (nl) {
		r = sockdiag_dump(nl, snap, proto, family, &opt->filter,
				  opt->want & WHOSOCK_WANT_TCP_INFO);
		if (r >= 0 || !netlink_refused(r))
			return r < 0 ? r : 0;
		if (opt->source == WHOSOCK_SOURCE_NETLINK) {
			snapshot_note(snap, "%s %s sockets not listed: netlink: %s (--source=auto "
				      "would read /proc/net)", whosock_proto_name(proto),
				      family_name(family), strerror(-r));
			return 0;
		}
	}
	int nl_error = r;

	r = procnet_collect(snap, net_dir, proto, family, &opt->filter);
	if (r == -ENOENT && nl_error == -ENOENT)
		return 0; /* the kernel has no such protocol (UDP-Lite may be absent) */
	if (r < 0) {
		snapshot_note(snap, "%s %s sockets not listed: netlink: %s; %s/%s: %s",
			      whosock_proto_name(proto), family_name(family),
			      nl ? strerror(-nl_error) : "not used", net_dir,
			      whosock_proto_name(proto), strerror(-r));
		return 0;
	}
	/* A kernel without this dump (raw_diag is often not loaded) loses
	 * nothing but cookies when read from /proc: no note for that. A
	 * refusal is worth one. */
	if (nl && nl_error != -ENOENT)
		snapshot_note(snap, "netlink refused the %s %s dump (%s): read %s instead",
			      whosock_proto_name(proto), family_name(family), strerror(-nl_error),
			      net_dir);
	return 0;
}

/* Join each connected UNIX socket to its peer in the snapshot: its path
 * (set_pointers false, before owner filters may drop the peer) or a pointer to
 * it (set_pointers true, once the array no longer moves). Open addressing
 * over inodes: one pass to fill, one to look up. */
static int join_unix_peers(struct whosock_snapshot *snap, bool set_pointers)
{
	size_t n = whosock_snapshot_count(snap), cap = 16, mask;
	struct whosock_socket **table;

	while (cap < n * 2)
		cap *= 2;
	mask = cap - 1;
	table = calloc(cap, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct whosock_socket *s = snapshot_at(snap, i);

		if (s->proto != WHOSOCK_PROTO_UNIX || !s->inode || (!set_pointers && !s->local.path))
			continue;
		for (size_t h = s->inode * 0x9E3779B97F4A7C15ull & mask;; h = (h + 1) & mask)
			if (!table[h]) {
				table[h] = s;
				break;
			}
	}
	for (size_t i = 0; i < n; i++) {
		struct whosock_socket *s = snapshot_at(snap, i);

		if (s->proto != WHOSOCK_PROTO_UNIX || !s->peer_inode)
			continue;
		for (size_t h = s->peer_inode * 0x9E3779B97F4A7C15ull & mask; table[h];
		     h = (h + 1) & mask)
			if (table[h]->inode == s->peer_inode) {
				if (set_pointers)
					s->peer = table[h];
				else
					s->remote.path = table[h]->local.path;
				break;
			}
	}
	free(table);
	return 0;
}

static void note_hidden(struct whosock_snapshot *snap)
{
	size_t n = whosock_snapshot_hidden_processes(snap);
	const char *what = n == 1 ? "process" : "processes";

	if (n == 0)
		return;
	if (geteuid() == 0)
		snapshot_note(snap, "owners not shown for %zu %s: the kernel refused access to their "
			      "fd tables (needs CAP_SYS_PTRACE)", n, what);
	else
		snapshot_note(snap, "owners not shown for %zu %s of other users: run as root, or "
			      "grant CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH", n, what);
}

static uint64_t own_netns(const char *proc_root)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/self/ns/net", proc_root);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int whosock_snapshot_take(const struct whosock_options *options, struct whosock_snapshot **out)
{
	static const enum whosock_proto order[] = { WHOSOCK_PROTO_TCP, WHOSOCK_PROTO_UDP,
						    WHOSOCK_PROTO_UDPLITE, WHOSOCK_PROTO_RAW,
						    WHOSOCK_PROTO_UNIX };
	struct whosock_options opt = { 0 };
	struct whosock_snapshot *snap;
	struct mnl_socket *nl = NULL;
	char net_dir[PATH_MAX];
	uint64_t netns;
	int r = 0;

	if (options)
		opt = *options;
	else
		opt.want = WHOSOCK_WANT_ALL;
	if (opt.filter.pid > 0 || opt.filter.uid_set || opt.filter.comm || opt.filter.cmdline)
		opt.want |= WHOSOCK_WANT_OWNERS;
	if (!opt.proc_root)
		opt.proc_root = "/proc";
	if (!opt.filter.protos)
		opt.filter.protos = WHOSOCK_PROTOS_ALL;
	if ((size_t)snprintf(net_dir, sizeof(net_dir), "%s/net", opt.proc_root) >= sizeof(net_dir))
		return -ENAMETOOLONG;
	snap = snapshot_new();
	if (!snap)
		return -ENOMEM;

	if (opt.source != WHOSOCK_SOURCE_PROC) {
		r = sockdiag_open(&nl);
		if (r < 0) {
			if (opt.source == WHOSOCK_SOURCE_NETLINK)
				goto fail;
			snapshot_note(snap, "netlink sock_diag unavailable (%s): read %s instead",
				      strerror(-r), net_dir);
			nl = NULL;
		}
	} else if (opt.want & WHOSOCK_WANT_TCP_INFO) {
		snapshot_note(snap, "TCP details (rtt, bytes) come only from netlink, not %s",
			      net_dir);
	}

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum whosock_proto proto = order[i];

		if (!(opt.filter.protos & WHOSOCK_PROTO_BIT(proto)))
			continue;
		if (proto == WHOSOCK_PROTO_UNIX) {
			if (opt.filter.families && !(opt.filter.families & (1u << AF_UNIX)))
				continue;
			r = collect_one(snap, nl, net_dir, proto, AF_UNIX, &opt);
			if (r < 0)
				goto fail;
			continue;
		}
		for (int f = 0; f < 2; f++) {
			int family = f ? AF_INET6 : AF_INET;

			if (opt.filter.families && !(opt.filter.families & (1u << family)))
				continue;
			r = collect_one(snap, nl, net_dir, proto, family, &opt);
			if (r < 0)
				goto fail;
		}
	}

	r = join_unix_peers(snap, false);
	if (r < 0)
		goto fail;
	if (opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS)) {
		r = owners_collect(snap, opt.proc_root, &opt.filter, opt.want);
		if (r < 0)
			goto fail;
		note_hidden(snap);
	}
	r = join_unix_peers(snap, true);
	if (r < 0)
		goto fail;
	netns = own_netns(opt.proc_root);
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++)
		snapshot_at(snap, i)->netns = netns;
	sockdiag_close(nl);
	*out = snap;
	return 0;
fail:
	sockdiag_close(nl);
	whosock_snapshot_free(snap);
	return r;
}
