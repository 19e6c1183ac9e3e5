/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sockets some process holds that no dump listed: traced to their
 * namespace through the socket itself (pidfd_getfd + SIOCGSKNS, heldsock.c),
 * so that namespace is dumped too; rows for kinds no dump lists (vsock,
 * XDP, ...); and the bound but inactive TCP sockets, which the dumps leave
 * out unless asked for by name. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filter.h"
#include "heldsock.h"
#include "owners.h"
#include "snapshot.h"
#include "take.h"

/* A requested protocol whose sockets are all dumped (no narrowing filter). */
static unsigned fully_dumped(const struct whosock_filter *f)
{
	return filter_narrows_protocols(f) ? 0 : f->protos;
}

/* A TCP socket with a local port (its row comes from dump_bound or a dump). */
static bool is_bound_tcp(const struct heldsock *h)
{
	return (h->family == AF_INET || h->family == AF_INET6) && h->protocol == IPPROTO_TCP &&
	       h->port != 0;
}

/* Whether the namespace is among the first n_dumped of set. */
static bool ns_dumped(const struct netns_set *set, size_t n_dumped, uint64_t inode)
{
	const struct netns *ns = netns_set_find(set, inode);

	return ns && (size_t)(ns - set->v) < n_dumped;
}

/* A row for a held socket of a family no dump lists (vsock, XDP, SCTP
 * without sctp_diag, AF_ALG, ...), when the filter wants it. */
static int push_held(struct take *t, struct whosock_snapshot *snap, const struct netns_set *set,
		     const struct heldsock *h, uint64_t inode, uint64_t own_inode)
{
	const struct whosock_filter *f = &t->opt->filter;
	const struct netns *ns;
	struct whosock_socket s;

	heldsock_to_socket(h, inode, &s);
	/* -l: an unbound inet socket waits for nothing (ss lists none). */
	if ((s.family == AF_INET || s.family == AF_INET6) && filter_listening_only(f) &&
	    (s.local.port == 0 ||
	     ((s.proto == WHOSOCK_PROTO_TCP || s.proto == WHOSOCK_PROTO_MPTCP) &&
	      s.state == WHOSOCK_STATE_CLOSE)))
		return 0;
	if (!filter_match(f, &s) ||
	    (t->opt->host_only && s.netns != own_inode))
		return 0;
	ns = netns_set_find(set, s.netns);
	s.netns_name = ns ? ns->name : NULL;
	if (s.known & WHOSOCK_KNOWN_LOCAL) {
		s.local_text = snapshot_strndup(snap, h->local, strlen(h->local));
		if (!s.local_text)
			return -ENOMEM;
	}
	t->held_rows++;
	return snapshot_push(snap, &s);
}

/* Find the namespaces of held sockets that no dump listed (3.); find_ns
 * false: only make rows for those of families no dump lists. New ones are
 * appended to set; those holding bound but inactive TCP sockets go to
 * t->bound_ns (when t->want_bound). Sockets of protocols
 * or states the filter left out are first looked up in an inventory of what
 * was not dumped, so only sockets really missing are traced one by one. */
int trace_unlisted(struct take *t, size_t workers, struct whosock_snapshot *snap,
			  struct netns_set *set, uint64_t own_inode, bool find_ns)
{
	struct request inv_opt = { .proc_root = t->opt->proc_root, .source = t->opt->source };
	struct whosock_snapshot *inv = NULL;
	struct owners_unlisted *u = NULL;
	size_t n = 0, traced = 0, untraced = 0, n_dumped;
	uint64_t t0 = snapshot_clock();
	int r, last_error = 0;

	/* The namespaces in set now have been dumped; those this trace adds
	 * will be in the next round. */
	n_dumped = set->n;
	t->traced = true;
	r = owners_scan_unlisted(t->scan, snap, NULL, &u, &n);
	if (r < 0 || n == 0)
		goto out;
	/* Only one namespace was dumped (--netns): every other one is inventoried. */
	inv_opt.filter.protos = t->opt->filter.n_netns
					? WHOSOCK_PROTOS_ALL
					: WHOSOCK_PROTOS_ALL & ~fully_dumped(&t->opt->filter);
	if (inv_opt.filter.protos) {
		const struct request *saved = t->opt;

		inv = snapshot_new();
		if (!inv) {
			r = -ENOMEM;
			goto out;
		}
		t->opt = &inv_opt;
		take_plan(t, &inv_opt.filter, false);
		t->jobs = calloc(t->n_plan + set->n, sizeof(*t->jobs));
		r = t->jobs ? 0 : -ENOMEM;
		for (size_t i = 0; r == 0 && i < t->n_plan; i++)
			t->jobs[t->n_jobs++] = take_own_job(&t->plan[i]);
		for (size_t i = 0; r == 0 && i < set->n; i++)
			if (set->v[i].inode != own_inode && find_ns)
				t->jobs[t->n_jobs++] = (struct job){ .ns = &set->v[i] };
		if (r == 0)
			r = take_run_jobs(t, workers, inv, 0, NULL);
		t->opt = saved;
		take_plan(t, &t->opt->filter, t->bound_by_dump);
		if (r < 0)
			goto out;
		free(u);
		u = NULL;
		r = owners_scan_unlisted(t->scan, snap, inv, &u, &n);
		if (r < 0)
			goto out;
	}
	n = heldsock_unique(u, n, getpid());
	for (size_t i = 0; i < n; i++) {
		struct heldsock h;
		uint64_t ns_inode = 0;
		int ns_fd = -1;
		struct netns *ns;
		bool bound = false;

		if (traced >= MAX_TRACED_SOCKETS) {
			untraced++;
			continue;
		}
		traced++;
		r = heldsock_inspect(u[i].pid, u[i].fd, u[i].inode,
				     (t->want_bound ? HELDSOCK_BOUND : 0) | HELDSOCK_DETAILS, &h);
		if (r == 0) {
			ns_inode = h.ns_inode;
			ns_fd = h.ns_fd;
			bound = h.bound_inactive;
			/* A family no dump lists; or one the dumps left out
			 * (not bound) in a namespace already dumped, but for
			 * bound inactive TCP (dump_bound, or not wanted). */
			if (!heldsock_family_dumped(h.family, h.protocol) ||
			    (ns_dumped(set, n_dumped, h.ns_inode) && !h.bound_inactive &&
			     !is_bound_tcp(&h)))
				r = push_held(t, snap, set, &h, u[i].inode, own_inode);
			if (r < 0) {
				close(ns_fd);
				goto out;
			}
		}
		if (r == 0 && !find_ns) {
			close(ns_fd);
			continue;
		}
		if (r == 0 && bound) {
			r = take_add_bound_ns(t, ns_inode);
			if (r < 0) {
				close(ns_fd);
				goto out;
			}
		}
		if (r < 0) {
			/* Closed meanwhile (-ESTALE, -EBADF, -ESRCH) is normal. */
			if (r != -ESTALE && r != -EBADF && r != -ESRCH && r != -ENOENT) {
				untraced++;
				last_error = r;
			}
			continue;
		}
		if (netns_set_find(set, ns_inode)) {
			close(ns_fd);
			continue;
		}
		ns = netns_set_get(set, ns_inode);
		if (!ns) {
			close(ns_fd);
			r = -ENOMEM;
			goto out;
		}
		ns->fd = ns_fd;
	}
	if (untraced)
		NOTE(snap, .code = WHOSOCK_NOTE_UNTRACED, .count = untraced, .error = -last_error);
	r = TIMING(snap, "trace", snapshot_clock() - t0, n);
out:
	whosock_snapshot_free(inv);
	free(u);
	return r;
}

/* Dump the bound but inactive TCP sockets of the namespaces in t->bound_ns
 * (with the caller's filter: a port, a family). */
int trace_dump_bound(struct take *t, size_t workers, struct whosock_snapshot *snap,
		      const struct netns_set *set, uint64_t own_inode, const char *own_name)
{
	const struct request *saved = t->opt;
	int r;

	if (t->n_bound_ns == 0)
		return 0;
	t->jobs = calloc(t->n_bound_ns * 2, sizeof(*t->jobs));
	if (!t->jobs)
		return -ENOMEM;
	t->opt = &t->bound_opt;
	take_plan(t, &t->bound_opt.filter, false);
	for (size_t i = 0; i < t->n_bound_ns; i++) {
		uint64_t inode = t->bound_ns[i];
		const struct netns *ns = netns_set_find(set, inode);

		if (!filter_match_netns(&saved->filter, inode))
			continue;
		if (inode != own_inode) {
			if (ns)
				t->jobs[t->n_jobs++] = (struct job){ .ns = ns };
			continue;
		}
		for (size_t k = 0; k < t->n_plan; k++)
			t->jobs[t->n_jobs++] = take_own_job(&t->plan[k]);
	}
	r = take_run_jobs(t, workers, snap, own_inode, own_name);
	t->opt = saved;
	take_plan(t, &saved->filter, t->bound_by_dump);
	return r;
}

