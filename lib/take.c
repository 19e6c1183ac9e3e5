/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock_snapshot_take: gather → join.
 *
 * gather, on worker threads side by side:
 *   1. the caller's namespace, one dump per (protocol, family), while the
 *      workers that are done scan /proc (owners, and the namespaces every
 *      process and thread lives in or holds open);
 *   2. every other namespace found (and those bind-mounted in /run/netns),
 *      one job each, through a sock_diag socket opened inside it;
 *   3. sockets some process holds that no dump listed: their namespace is
 *      found through the socket itself (SIOCGSKNS), and dumped as in 2;
 *   4. TCP sockets bound but neither listening nor connecting, which the
 *      dumps leave out (asking for them walks the kernel's bind table):
 *      those 3. found held are dumped in their namespaces only.
 * join: the parts in order, UNIX peers, owners. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi.h"
#include "collect.h"
#include "filter.h"
#include "heldsock.h"
#include "netns.h"
#include "order.h"
#include "owners.h"
#include "snapshot.h"
#include "sockdiag.h"
#include "take.h"
#include "workers.h"

/* Join each connected UNIX socket to its peer in the snapshot: its path
 * (set_pointers false, before owner filters may drop the peer) or a pointer to
 * it (set_pointers true, once the array no longer moves). Open addressing
 * over inodes: one pass to fill, one to look up. */
static int join_unix_peers(struct whosock_snapshot *snap, bool set_pointers)
{
	size_t n = whosock_snapshot_count(snap), cap = 16, mask, n_unix = 0;
	struct whosock_socket **table;

	/* Most listings have no UNIX rows (the default): no table then. */
	for (size_t i = 0; i < n && !n_unix; i++)
		n_unix += snapshot_at(snap, i)->proto == WHOSOCK_PROTO_UNIX;
	if (!n_unix)
		return 0;
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

/* Whether this process holds CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (root,
 * or file capabilities given with setcap): then the fd tables it could not
 * read were refused by something else (a security module). */
static bool may_read_fd_tables(void)
{
	const unsigned long long need = 1ull << 19 | 1ull << 2; /* CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH */
	unsigned long long eff = 0;
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return geteuid() == 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found ? (eff & need) == need : geteuid() == 0;
}

static void note_hidden(struct whosock_snapshot *snap)
{
	size_t n = whosock_snapshot_hidden_processes(snap);

	if (n == 0)
		return;
	NOTE(snap, .code = may_read_fd_tables() ? WHOSOCK_NOTE_OWNERS_REFUSED : WHOSOCK_NOTE_OWNERS_HIDDEN,
	     .count = n);
}

/* What else the owner scan could not see: processes it could not read (not
 * exited: out of fds, of memory, ...), and sockets no process in a PID
 * namespace's /proc holds. */
static void note_owner_gaps(struct whosock_snapshot *snap, const struct owners_scan *scan,
			    const char *proc_root)
{
	struct owners_gaps g;

	owners_scan_gaps(scan, &g);
	if (g.unread)
		NOTE(snap, .code = WHOSOCK_NOTE_OWNERS_UNREAD, .count = g.unread,
		     .error = g.unread_error);
	if (g.outside_pidns)
		NOTE(snap, .code = WHOSOCK_NOTE_OUTSIDE_PIDNS, .count = g.outside_pidns,
		     .pidns = g.pidns, .path = proc_root);

}

/* The BPF owner pass was wanted and the /proc walk ran instead (with or
 * without owners: the pass also finds the namespaces processes live in). */
static void note_bpf(struct whosock_snapshot *snap, const struct owners_scan *scan)
{
	struct owners_gaps g;

	owners_scan_gaps(scan, &g);
	if (g.bpf_error)
		NOTE(snap, .code = WHOSOCK_NOTE_BPF_OWNERS_FALLBACK, .error = g.bpf_error,
		     .pidns = g.bpf_pidns);
}

struct job take_own_job(const struct plan *p)
{
	return (struct job){ .proto = p->proto, .family = p->family, .bound = p->bound };
}

static const struct request *plan_opt(const struct take *t, bool bound)
{
	return bound ? &t->bound_opt : t->opt;
}

int take_add_bound_ns(struct take *t, uint64_t inode)
{
	uint64_t *v;

	for (size_t i = 0; i < t->n_bound_ns; i++)
		if (t->bound_ns[i] == inode)
			return 0;
	v = realloc(t->bound_ns, (t->n_bound_ns + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->bound_ns = v;
	t->bound_ns[t->n_bound_ns++] = inode;
	return 0;
}

/* The one family of a kind that is not inet, else 0. */
static int single_family(enum whosock_proto proto)
{
	return proto == WHOSOCK_PROTO_UNIX ? AF_UNIX : proto == WHOSOCK_PROTO_PACKET ? AF_PACKET :
	       proto == WHOSOCK_PROTO_NETLINK ? AF_NETLINK : 0;
}

/* The dumps of one namespace for filter f; bound: with a separate dump of
 * the bound but inactive TCP sockets. */
void take_plan(struct take *t, const struct whosock_filter *f, bool bound)
{
	t->n_plan = 0;
	for (size_t i = 0; i < ORDER_N_KINDS; i++) {
		enum whosock_proto proto = order_kinds[i];
		int single = single_family(proto);
		const int families[] = { single ? single : AF_INET, single ? -1 : AF_INET6 };

		if (!(f->protos & WHOSOCK_PROTO_BIT(proto)))
			continue;
		/* TCP's hash table is one for the whole machine: walk it once
		 * for both families. */
		if (proto == WHOSOCK_PROTO_TCP && !f->families) {
			t->plan[t->n_plan++] = (struct plan){ proto, AF_UNSPEC, false };
			if (bound)
				t->plan[t->n_plan++] = (struct plan){ proto, AF_UNSPEC, true };
			continue;
		}
		if (proto == WHOSOCK_PROTO_TCP && bound)
			for (size_t k = 0; k < 2; k++)
				if (f->families & (1u << families[k]))
					t->plan[t->n_plan++] = (struct plan){ proto, families[k], true };
		for (size_t k = 0; k < 2; k++)
			if (families[k] >= 0 && (!f->families || (f->families & (1u << families[k]))))
				t->plan[t->n_plan++] = (struct plan){ proto, families[k], false };
	}
}

/* collect_dump() with its time and count recorded in part (the namespace is
 * set when the part is merged); none for a kind in empty, which the
 * namespace has no socket of. */
static int timed_dump(struct whosock_snapshot *part, struct mnl_socket *nl, int nl_error,
		      const char *net_dir, enum whosock_proto proto, int family,
		      const struct request *opt, unsigned empty)
{
	size_t before = whosock_snapshot_count(part);
	uint64_t t0 = snapshot_clock();
	int r;

	if (empty & WHOSOCK_PROTO_BIT(proto))
		return 0;
	r = collect_dump(part, nl, nl_error, net_dir, proto, family, opt);
	if (r < 0)
		return r;
	return snapshot_timing(part, &(const struct whosock_timing){
					     .phase = "dump", .proto = (int)proto, .family = family,
					     .elapsed_ns = snapshot_clock() - t0,
					     .count = whosock_snapshot_count(part) - before });
}

static const char *ns_label(const struct netns *ns, char *buf, size_t len)
{
	if (ns->name)
		snprintf(buf, len, "network namespace %s", ns->name);
	else
		snprintf(buf, len, "network namespace %llu", (unsigned long long)ns->inode);
	return buf;
}

/* Whether process pid lives in network namespace inode. */
static bool pid_in_netns(const char *proc_root, int pid, uint64_t inode)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%d/ns/net", proc_root, pid);
	return stat(path, &st) == 0 && (uint64_t)st.st_ino == inode;
}

/* Every planned dump of another namespace, through a socket opened inside it;
 * where that is refused, from /proc/PID/net of a process living there. */
static int dump_other(struct take *t, struct job *job)
{
	const struct request *opt = t->opt;
	struct mnl_socket *nl = NULL;
	char net_dir[PATH_MAX], label[96];
	int r = 0, nl_error = -ENOENT;
	unsigned empty;

	ns_label(job->ns, label, sizeof(label));
	if (job->ns->pid)
		snprintf(net_dir, sizeof(net_dir), "%s/%d/net", t->proc_root, job->ns->pid);
	else
		snprintf(net_dir, sizeof(net_dir), "(%s has no process to read /proc/PID/net from)",
			 label);
	if (opt->source == WHOSOCK_SOURCE_PROC && !job->ns->pid) {
		/* Kept by a bind mount, an fd or a held socket only: there is
		 * no /proc/PID/net to read it from. */
		NOTE(job->part, .code = WHOSOCK_NOTE_NETNS_NO_PROCESS, .netns = job->ns->inode,
		     .netns_name = job->ns->name);
		return 0;
	}
	if (opt->source != WHOSOCK_SOURCE_PROC) {
		nl_error = netns_sockdiag_open(t->proc_root, job->ns, 0,
					       opt->flags & WHOSOCK_FLAG_NO_THREADS, &nl);
		if (nl_error < 0) {
			if (opt->source == WHOSOCK_SOURCE_NETLINK || !job->ns->pid) {
				NOTE(job->part, .code = WHOSOCK_NOTE_NETNS_NOT_ENTERED,
				     .error = -nl_error, .netns = job->ns->inode,
				     .netns_name = job->ns->name);
				return 0;
			}
			NOTE(job->part, .code = WHOSOCK_NOTE_NETNS_READ_PROC, .error = -nl_error,
			     .netns = job->ns->inode, .netns_name = job->ns->name, .path = net_dir);
		}
	}
	/* (Read through a process living there: none for one kept otherwise,
	 * nor when the pid is no longer in it, reused since.) */
	empty = job->ns->pid ? collect_empty_kinds(net_dir) : 0;
	if (empty && !pid_in_netns(t->proc_root, job->ns->pid, job->ns->inode))
		empty = 0;
	for (size_t i = job->plan_from; i < (job->plan_to ? job->plan_to : t->n_plan) && r == 0; i++)
		r = timed_dump(job->part, nl, nl ? 0 : nl_error, net_dir, t->plan[i].proto,
			       t->plan[i].family, plan_opt(t, t->plan[i].bound), empty);
	sockdiag_close(nl);
	return r;
}

/* *v = max (or min: 0 counts as unset) of *v and x, from several threads. */
static void atomic_extreme(uint64_t *v, uint64_t x, bool max)
{
	uint64_t old = __atomic_load_n(v, __ATOMIC_RELAXED);

	while ((max ? x > old : old == 0 || x < old) &&
	       !__atomic_compare_exchange_n(v, &old, x, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void work(void *data, size_t w)
{
	struct take *t = data;
	struct mnl_socket *nl = NULL;
	char net_dir[PATH_MAX];
	int nl_error = 0;
	bool opened = false;

	snprintf(net_dir, sizeof(net_dir), "%s/net", t->proc_root);
	/* One worker runs the BPF owner pass (one read of the kernel, which
	 * other threads cannot share) while the others dump. */
	if (t->scan_pending)
		owners_scan_start(t->scan, w);
	for (;;) {
		size_t i = __atomic_fetch_add(&t->next_job, 1, __ATOMIC_RELAXED);
		struct job *job;

		if (i >= t->n_jobs)
			break;
		job = &t->jobs[i];
		job->part = snapshot_new();
		if (!job->part) {
			job->error = -ENOMEM;
			continue;
		}
		if (job->ns) {
			job->error = dump_other(t, job);
			continue;
		}
		/* The caller's namespace: each worker has its own netlink socket,
		 * so the dumps run side by side. */
		if (!opened && t->opt->source != WHOSOCK_SOURCE_PROC) {
			nl_error = sockdiag_open(&nl);
			opened = true;
		}
		job->error = timed_dump(job->part, nl, nl_error, net_dir, job->proto, job->family,
					plan_opt(t, job->bound), t->own_empty);
	}
	sockdiag_close(nl);
	if (t->scan_pending) {
		/* The scan's wall time: from the first worker's start to
		 * the last one's end. */
		atomic_extreme(&t->scan_start, snapshot_clock(), false);
		owners_scan_work(t->scan, w);
		atomic_extreme(&t->scan_end, snapshot_clock(), true);
	}
}

/* Run the jobs (and the scan, if set) on the workers, then move every part
 * into snap with its namespace's inode and name. */
int take_run_jobs(struct take *t, size_t workers, struct whosock_snapshot *snap,
		    uint64_t own_inode, const char *own_name)
{
	size_t total = whosock_snapshot_count(snap);
	bool reserved = false;
	int r = 0;

	t->next_job = 0;
	workers_run(workers, work, t);
	t->scan_pending = false;
	/* Room for every part at once: merged one by one, each would grow the
	 * array to just its size, copying all before it (at 42k: the 41,000
	 * TCP rows copied again for the 1,000 UDP ones). The first part
	 * merged into an empty snapshot gives its array instead. */
	for (size_t i = 0; i < t->n_jobs; i++)
		total += whosock_snapshot_count(t->jobs[i].part);
	for (size_t i = 0; i < t->n_jobs; i++) {
		struct job *job = &t->jobs[i];

		if (r == 0 && !reserved && whosock_snapshot_count(snap)) {
			r = snapshot_reserve(snap, total);
			reserved = true;
		}

		if (r == 0)
			r = job->error;
		for (size_t k = 0; r == 0 && k < whosock_snapshot_count(job->part); k++) {
			struct whosock_socket *s = snapshot_at(job->part, k);

			s->netns = job->ns ? job->ns->inode : own_inode;
			s->netns_name = job->ns ? job->ns->name : own_name;
		}
		if (job->part)
			snapshot_timing_netns(job->part, job->ns ? job->ns->inode : own_inode,
					      job->ns ? job->ns->name : own_name);
		if (r == 0 && job->part)
			r = snapshot_merge(snap, job->part);
		whosock_snapshot_free(job->part);
		job->part = NULL;
	}
	free(t->jobs);
	t->jobs = NULL;
	t->n_jobs = 0;
	return r;
}

/* Jobs for the namespaces of set from index `from` on, but the caller's.
 * Fewer namespaces than workers: each one's first dump (TCP, a walk of the
 * machine's whole table: 7 ms for a namespace's few sockets beside the 42k
 * load's) is a job of its own, the rest another, so that the workers share
 * them (the parts are merged in job order: the rows' order stays). */
static int add_other_jobs(struct take *t, const struct netns_set *set, size_t from,
			  uint64_t own_inode, size_t workers)
{
	size_t n_ns = 0;
	bool split;

	t->jobs = calloc(2 * (set->n - from) + 1, sizeof(*t->jobs));
	if (!t->jobs)
		return -ENOMEM;
	for (size_t i = from; i < set->n; i++)
		if (set->v[i].inode != own_inode && filter_match_netns(&t->opt->filter, set->v[i].inode))
			t->jobs[n_ns++] = (struct job){ .ns = &set->v[i] };
	split = n_ns < workers && t->n_plan > 1;
	for (size_t i = n_ns; split && i-- > 0;) {
		t->jobs[2 * i] = (struct job){ .ns = t->jobs[i].ns, .plan_to = 1 };
		t->jobs[2 * i + 1] = (struct job){ .ns = t->jobs[2 * i].ns, .plan_from = 1 };
	}
	t->n_jobs = split ? 2 * n_ns : n_ns;
	return 0;
}

static int cmp_netns(const void *a, const void *b)
{
	const struct netns *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

/* Whether every namespace the filter names is in set. */
static bool netns_all_found(const struct whosock_filter *f, const struct netns_set *set)
{
	for (size_t i = 0; i < f->n_netns; i++)
		if (!netns_set_find(set, f->netns[i]))
			return false;
	return true;
}

/* A snapshot for req; keep (may be NULL): also every namespace it found,
 * moved there with its handles (names in *out's arena). */
static int take(const struct request *req, struct whosock_snapshot **out, struct netns_set *keep)
{
	char root[PATH_MAX];
	size_t root_len;
	struct request opt = *req;
	struct take t = { .opt = &opt };
	struct whosock_snapshot *snap;
	struct netns_set set;
	struct netns *own_ns;
	uint64_t own_inode;
	size_t workers, first_other;
	uint64_t t0 = snapshot_clock(), t_join;
	bool live, others;
	int r;

	if (strlen(opt.proc_root) > PATH_MAX - 64)
		return -ENAMETOOLONG;
	/* "/proc/" is "/proc": the live system, every namespace. */
	root_len = strlen(opt.proc_root);
	while (root_len > 1 && opt.proc_root[root_len - 1] == '/')
		root_len--;
	memcpy(root, opt.proc_root, root_len);
	root[root_len] = '\0';
	opt.proc_root = root;
	t.proc_root = opt.proc_root;
	/* Other namespaces only on the live system (a captured /proc has none). */
	live = strcmp(opt.proc_root, "/proc") == 0;
	others = live && !opt.host_only;
	own_inode = live ? netns_current() : 0;

	snap = snapshot_new();
	if (!snap)
		return -ENOMEM;
	netns_set_init(&set, snap);
	if (opt.source == WHOSOCK_SOURCE_PROC && (opt.want & WHOSOCK_WANT_TCP_INFO))
		NOTE(snap, .code = WHOSOCK_NOTE_NO_TCP_INFO, .path = opt.proc_root);
	if (opt.source == WHOSOCK_SOURCE_PROC && (opt.want & WHOSOCK_WANT_MEMINFO))
		NOTE(snap, .code = WHOSOCK_NOTE_NO_MEMINFO, .path = opt.proc_root);
	workers = opt.flags & WHOSOCK_FLAG_NO_THREADS ? 1 : workers_count(4);
	if (opt.max_workers && workers > opt.max_workers)
		workers = opt.max_workers;
	/* 4.: with owners in every namespace, held ones are found through
	 * their holders; otherwise a dump of their own asks for them. */
	if (filter_wants_bound_inactive(&opt.filter) && opt.source != WHOSOCK_SOURCE_PROC) {
		/* (--netns: tracing would visit every other namespace's sockets.) */
		t.want_bound = others && !opt.filter.n_netns &&
			       (opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS));
		t.bound_by_dump = !t.want_bound;
		t.bound_opt = opt;
		t.bound_opt.filter.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP);
		t.bound_opt.filter.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_BOUND_INACTIVE);
	}
	take_plan(&t, &opt.filter, t.bound_by_dump);
	if (live) {
		char net_dir[PATH_MAX];

		/* thread-self: the namespace this thread and its workers are in. */
		snprintf(net_dir, sizeof(net_dir), "%s/thread-self/net", opt.proc_root);
		t.own_empty = collect_empty_kinds(net_dir);
	}

	/* 1. the caller's namespace, and the /proc scan */
	if ((opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS)) || others) {
		r = owners_scan_new(opt.proc_root, &opt.filter, opt.want,
				    opt.flags & WHOSOCK_FLAG_NO_BPF ? WHOSOCK_OWNERS_PROC
								    : opt.owner_source,
				    workers,
				    NULL, 0, &t.scan);
		if (r < 0)
			goto out;
		t.scan_pending = true;
	}
	if (filter_match_netns(&opt.filter, own_inode) || !live) {
		t.jobs = calloc(t.n_plan + 1, sizeof(*t.jobs));
		if (!t.jobs) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < t.n_plan; i++)
			t.jobs[t.n_jobs++] = take_own_job(&t.plan[i]);
	}
	own_ns = live ? netns_set_get(&set, own_inode) : NULL;
	if (live && !own_ns) {
		r = -ENOMEM;
		goto out;
	}
	r = netns_add_named(&set, "/run/netns");
	if (r == 0)
		r = netns_add_named(&set, "/var/run/netns");
	if (r < 0)
		goto out;
	own_ns = live ? netns_set_find(&set, own_inode) : NULL;
	r = take_run_jobs(&t, workers, snap, own_inode, own_ns ? own_ns->name : NULL);
	if (r == 0 && t.scan)
		r = TIMING(snap, "owners", t.scan_end - t.scan_start, owners_scan_processes(t.scan));
	if (r < 0)
		goto out;
	if (t.scan)
		r = owners_scan_netns(t.scan, &set);
	if (r < 0)
		goto out;

	/* 2. every other namespace */
	if (others) {
		/* Own first, the others by inode: a stable order. */
		if (set.n > 1)
			qsort(set.v + 1, set.n - 1, sizeof(*set.v), cmp_netns);
		first_other = 0;
		for (int round = 0; round < 4; round++) {
			size_t n_before = set.n;

			r = add_other_jobs(&t, &set, first_other, own_inode, workers);
			if (r == 0)
				r = take_run_jobs(&t, workers, snap, own_inode, NULL);
			if (r < 0)
				goto out;
			/* 3. held sockets no dump listed lead to more namespaces */
			if (!t.scan || !(opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS)))
				break;
			/* --netns: only while that namespace is still to be found. */
			if (opt.filter.n_netns && netns_all_found(&opt.filter, &set))
				break;
			first_other = set.n;
			r = trace_unlisted(&t, workers, snap, &set, own_inode, true);
			if (r < 0)
				goto out;
			if (set.n == n_before)
				break;
		}
	}
	/* Held sockets of families no dump lists get rows even when no
	 * namespace was to be found (--host-only, --netns). */
	if (!t.traced && live && t.scan && (opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS)) &&
	    (opt.filter.protos & HELD_ONLY_PROTOS)) {
		r = trace_unlisted(&t, workers, snap, &set, own_inode, false);
		if (r < 0)
			goto out;
	}
	own_ns = live ? netns_set_find(&set, own_inode) : NULL; /* the set may have grown */
	first_other = whosock_snapshot_count(snap);
	r = trace_dump_bound(&t, workers, snap, &set, own_inode, own_ns ? own_ns->name : NULL);
	if (r < 0)
		goto out;
	/* Rows that came after their namespace's dumps go to their place. */
	if (t.held_rows || whosock_snapshot_count(snap) != first_other) {
		r = order_rows(snap, &set);
		if (r < 0)
			goto out;
	}

	for (size_t i = 0; live && i < opt.filter.n_netns; i++)
		if (!netns_set_find(&set, opt.filter.netns[i]))
			NOTE(snap, .code = WHOSOCK_NOTE_NETNS_NOT_FOUND, .netns = opt.filter.netns[i]);

	/* join */
	t_join = snapshot_clock();
	r = join_unix_peers(snap, false);
	if (r < 0)
		goto out;
	if (t.scan && (opt.want & (WHOSOCK_WANT_OWNERS | WHOSOCK_WANT_PROCESS))) {
		r = owners_scan_attach(t.scan, snap);
		if (r < 0)
			goto out;
		note_hidden(snap);
		note_owner_gaps(snap, t.scan, opt.proc_root);
	}
	if (t.scan)
		note_bpf(snap, t.scan);
	r = join_unix_peers(snap, true);
	if (r == 0)
		r = TIMING(snap, "join", snapshot_clock() - t_join, whosock_snapshot_count(snap));
	if (r == 0)
		r = TIMING(snap, "total", snapshot_clock() - t0, whosock_snapshot_count(snap));
out:
	owners_scan_free(t.scan);
	free(t.jobs);
	free(t.bound_ns);
	/* The namespace names live in snap's arena; the set's handles close
	 * here, or go to keep with the set. */
	if (r == 0 && keep)
		*keep = set;
	else
		netns_set_free(&set);
	if (r < 0) {
		whosock_snapshot_free(snap);
		return r;
	}
	*out = snap;
	return 0;
}

int whosock_snapshot_take(const struct whosock_options *options, struct whosock_snapshot **out)
{
	struct request opt;
	int r = abi_request(&opt, options);

	return r < 0 ? r : take(&opt, out, NULL);
}

int take_namespaces(bool threadless, struct whosock_snapshot **arena, struct netns_set *set)
{
	struct whosock_options o = WHOSOCK_OPTIONS_INIT;
	struct request opt;
	int r;

	/* Owners, so that held sockets lead to the namespaces they are in. */
	o.want = WHOSOCK_WANT_OWNERS;
	/* The /proc walk: a BPF load holds a dozen fds while it runs. */
	o.owner_source = WHOSOCK_OWNERS_PROC;
	o.flags = threadless ? WHOSOCK_FLAG_NO_THREADS : 0;
	r = abi_request(&opt, &o);
	/* One namespace at a time: a watcher's open fds stay few. */
	opt.max_workers = 1;
	return r < 0 ? r : take(&opt, arena, set);
}
