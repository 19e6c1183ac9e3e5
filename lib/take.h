/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inside whosock_snapshot_take(): the plan of dumps, the jobs that run it on
 * the workers (take.c), and the tracing of held sockets no dump listed
 * (trace.c). */
#ifndef WHOSOCK_TAKE_H
#define WHOSOCK_TAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "kinds.h"
#include "netns.h"
#include "whosock/whosock.h"

struct owners_scan;

/* At most this many held sockets are traced back to their namespace one by
 * one (a few syscalls each); beyond, a note says how many were not. */
#define MAX_TRACED_SOCKETS 4096u

/* Kinds that never have a dump: asking for them (-A all, --vsock, --pid)
 * makes --host-only and --netns trace held sockets too, which they
 * otherwise skip (one pidfd_getfd and a few getsockopt per socket). SCTP
 * held without sctp_diag gets rows where tracing runs anyway. */
#define HELD_ONLY_PROTOS                                                                \
	(WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_VSOCK) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_XDP) | \
	 WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_OTHER))

/* One unit of gathering: one (protocol, family) of the caller's namespace, or
 * every planned dump of another namespace. */
struct job {
	const struct netns *ns; /* NULL: the caller's namespace */
	enum whosock_proto proto;
	int family;
	bool bound; /* only bound but inactive TCP sockets (t->bound_opt) */
	/* Another namespace's: its plans [plan_from, plan_to), all when
	 * plan_to is 0. */
	size_t plan_from, plan_to;
	struct whosock_snapshot *part;
	int error;
};

struct plan {
	enum whosock_proto proto;
	int family;
	bool bound;
};

struct take {
	const struct request *opt;
	const char *proc_root;
	struct plan plan[2 * PROTO_COUNT + 2];
	size_t n_plan;
	struct job *jobs;
	size_t n_jobs, next_job; /* next_job: atomic */
	struct owners_scan *scan;
	bool scan_pending; /* the workers run the scan once their jobs are taken */
	/* Namespaces holding TCP sockets bound but neither listening nor
	 * connecting: the dumps leave those out unless asked for by name
	 * (BOUND_INACTIVE walks the kernel's bind table), so held ones are
	 * found through the scan and dumped in their namespaces only. */
	bool want_bound;
	uint64_t *bound_ns;
	size_t n_bound_ns;
	/* Without owners they are asked for in every namespace, in a dump of
	 * their own (off the critical path of the main TCP dump). Either way
	 * those dumps use bound_opt: TCP, BOUND_INACTIVE, the caller's rest. */
	bool bound_by_dump;
	struct request bound_opt;
	size_t held_rows; /* rows made from held sockets (push_held) */
	unsigned own_empty; /* collect_empty_kinds() of the caller's namespace */
	uint64_t scan_start, scan_end; /* atomic: the owner scan's wall time */
	bool traced;      /* trace_unlisted() ran */
};

struct job take_own_job(const struct plan *p);

/* The dumps of one namespace for filter f; bound: with a separate dump of
 * the bound but inactive TCP sockets. */
void take_plan(struct take *t, const struct whosock_filter *f, bool bound);

/* Run t->jobs (and the scan, if pending) on the workers, then move every
 * part into snap with its namespace's inode and name; the jobs are freed.
 * Returns 0 or a negative errno. */
int take_run_jobs(struct take *t, size_t workers, struct whosock_snapshot *snap,
		  uint64_t own_inode, const char *own_name);

/* Remember a namespace holding bound but inactive TCP sockets. */
int take_add_bound_ns(struct take *t, uint64_t inode);

/* 3.: find the namespaces of held sockets no dump listed: new ones are
 * appended to set (dump them as other namespaces), rows are made for kinds
 * no dump lists, and namespaces holding bound but inactive TCP sockets go
 * to t->bound_ns. find_ns false: rows only. Returns 0 or a negative errno. */
int trace_unlisted(struct take *t, size_t workers, struct whosock_snapshot *snap,
		   struct netns_set *set, uint64_t own_inode, bool find_ns);

/* Every namespace a snapshot finds (those processes live in, the named
 * ones, those held open by an fd, and those only a held socket leads to,
 * with a handle of its own): into *set, its names in *arena (free both:
 * netns_set_free, whosock_snapshot_free). The cost of a listing of every
 * socket with owners. Returns 0 or a negative errno. */
int take_namespaces(bool threadless, struct whosock_snapshot **arena, struct netns_set *set);

/* 4.: dump the bound but inactive TCP sockets of t->bound_ns. */
int trace_dump_bound(struct take *t, size_t workers, struct whosock_snapshot *snap,
		     const struct netns_set *set, uint64_t own_inode, const char *own_name);

#endif
