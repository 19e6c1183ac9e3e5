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
#include "workers.h"

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

/* One (protocol, family) into snap: netlink (nl, or nl_error when it could not
 * be opened), falling back to /proc/net. */
static int collect_one(struct whosock_snapshot *snap, struct mnl_socket *nl, int nl_error,
		       const char *net_dir, enum whosock_proto proto, int family,
		       const struct whosock_options *opt)
{
	int r;

	if (opt->source != WHOSOCK_SOURCE_PROC && !nl) {
		if (opt->source == WHOSOCK_SOURCE_NETLINK)
			return nl_error;
		snapshot_note(snap, "netlink sock_diag unavailable (%s): read %s instead",
			      strerror(-nl_error), net_dir);
	}
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
		nl_error = r;
	}

	r = procnet_collect(snap, net_dir, proto, family, &opt->filter);
	if (r == -ENOENT && nl_error == -ENOENT)
		return 0; /* the kernel has no such protocol (UDP-Lite may be absent) */
	if (r < 0) {
		snapshot_note(snap, "%s %s sockets not listed: netlink: %s; %s: %s",
			      whosock_proto_name(proto), family_name(family),
			      nl ? strerror(-nl_error) : "not used", net_dir, strerror(-r));
		return 0;
	}
	/* A kernel without this dump (raw_diag is often not loaded) loses
	 * nothing but cookies and bound devices when read from /proc: no note
	 * for that. A refusal is worth one. */
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
		snapshot_note(snap, "owners not shown for %zu %s: the kernel refused access to %s "
			      "fd %s (needs CAP_SYS_PTRACE)", n, what, n == 1 ? "its" : "their",
			      n == 1 ? "table" : "tables");
	else
		snapshot_note(snap, "owners not shown for %zu %s whose fd %s not readable (other "
			      "users' or not dumpable): run as root, or grant CAP_SYS_PTRACE and "
			      "CAP_DAC_READ_SEARCH", n, what, n == 1 ? "table is" : "tables are");
}

static uint64_t own_netns(const char *proc_root)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/self/ns/net", proc_root);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* One dump (protocol, family) into a part of its own. */
struct dump_job {
	enum whosock_proto proto;
	int family;
	struct whosock_snapshot *part;
	int error;
};

/* What the workers share: dump jobs first, then the owner scan. */
struct take {
	const struct whosock_options *opt;
	const char *net_dir;
	struct dump_job jobs[2 * WHOSOCK_PROTO_COUNT];
	size_t n_jobs;
	size_t next_job; /* atomic */
	struct owners_scan *scan;
};

static void take_work(void *data, size_t w)
{
	struct take *t = data;
	struct mnl_socket *nl = NULL;
	int nl_error = 0;
	bool opened = false;

	for (;;) {
		size_t i = __atomic_fetch_add(&t->next_job, 1, __ATOMIC_RELAXED);
		struct dump_job *job;

		if (i >= t->n_jobs)
			break;
		job = &t->jobs[i];
		/* Each worker has its own netlink socket: dumps run side by side. */
		if (!opened && t->opt->source != WHOSOCK_SOURCE_PROC) {
			nl_error = sockdiag_open(&nl);
			opened = true;
		}
		job->part = snapshot_new();
		job->error = job->part ? collect_one(job->part, nl, nl_error, t->net_dir, job->proto,
						     job->family, t->opt)
				       : -ENOMEM;
	}
	sockdiag_close(nl);
	if (t->scan)
		owners_scan_work(t->scan, w);
}

static void plan_dumps(struct take *t, const struct whosock_filter *f)
{
	static const enum whosock_proto order[] = { WHOSOCK_PROTO_TCP, WHOSOCK_PROTO_UDP,
						    WHOSOCK_PROTO_UDPLITE, WHOSOCK_PROTO_RAW,
						    WHOSOCK_PROTO_UNIX };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum whosock_proto proto = order[i];
		const int families[] = { proto == WHOSOCK_PROTO_UNIX ? AF_UNIX : AF_INET,
					 proto == WHOSOCK_PROTO_UNIX ? -1 : AF_INET6 };

		if (!(f->protos & WHOSOCK_PROTO_BIT(proto)))
			continue;
		for (size_t k = 0; k < 2; k++)
			if (families[k] >= 0 && (!f->families || (f->families & (1u << families[k]))))
				t->jobs[t->n_jobs++] = (struct dump_job){ .proto = proto,
									  .family = families[k] };
	}
}

int whosock_snapshot_take(const struct whosock_options *options, struct whosock_snapshot **out)
{
	struct whosock_options opt = { 0 };
	struct take t = { .opt = &opt };
	struct whosock_snapshot *snap;
	char net_dir[PATH_MAX];
	uint64_t netns;
	size_t workers;
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
	t.net_dir = net_dir;
	snap = snapshot_new();
	if (!snap)
		return -ENOMEM;
	if (opt.source == WHOSOCK_SOURCE_PROC && (opt.want & WHOSOCK_WANT_TCP_INFO))
		snapshot_note(snap, "TCP details (rtt, bytes) come only from netlink, not %s",
			      net_dir);

	plan_dumps(&t, &opt.filter);
	workers = workers_count(4);
	if (opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS)) {
		r = owners_scan_new(opt.proc_root, &opt.filter, opt.want, workers, &t.scan);
		if (r < 0)
			goto fail;
	}
	/* gather: dumps and the /proc scan, side by side */
	workers_run(workers, take_work, &t);

	/* join: the parts in plan order, then UNIX peers and owners */
	for (size_t i = 0; i < t.n_jobs; i++) {
		if (r == 0)
			r = t.jobs[i].error;
		if (r == 0 && t.jobs[i].part)
			r = snapshot_merge(snap, t.jobs[i].part);
		whosock_snapshot_free(t.jobs[i].part);
	}
	if (r < 0)
		goto fail;
	r = join_unix_peers(snap, false);
	if (r < 0)
		goto fail;
	if (t.scan) {
		r = owners_scan_attach(t.scan, snap);
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
	owners_scan_free(t.scan);
	*out = snap;
	return 0;
fail:
	owners_scan_free(t.scan);
	whosock_snapshot_free(snap);
	return r;
}
