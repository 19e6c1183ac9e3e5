/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Join the snapshot's sockets to every process holding them. */
#ifndef WHOSOCK_OWNERS_H
#define WHOSOCK_OWNERS_H

#include <stddef.h>

#include "whosock/whosock.h"

struct owners_scan;

/* Prepare a scan of proc_root ("/proc") by up to `workers` threads, of the
 * n_pids processes in pids, or (pids NULL) of every process (just the
 * processes of filter->pids when set: a thread id stands for its process).
 * Without WHOSOCK_WANT_OWNERS or _PROCESS
 * in want, only the namespaces processes live in are looked at. filter must outlive the scan. Returns 0
 * and *out, or a negative errno (proc_root not openable, -EINVAL for an
 * invalid command line regex, -ENOMEM). */
int owners_scan_new(const char *proc_root, const struct whosock_filter *filter, unsigned want,
		    size_t workers, const int *pids, size_t n_pids, struct owners_scan **out);

/* Scan processes as worker w (w < workers) until none is left. Workers run
 * concurrently; each keeps what it finds apart. Errors are reported by
 * owners_scan_attach(). */
void owners_scan_work(struct owners_scan *scan, size_t w);

/* Give each socket of snap its owners, sorted by pid then fd, and their
 * processes (comm always; cmdline, uid, user, cgroup with
 * WHOSOCK_WANT_PROCESS); processes failing the filter's owner members are
 * left out, and when one is set, sockets left without an owner are dropped.
 * Processes whose fd tables were unreadable are counted
 * (whosock_snapshot_hidden_processes()). Returns 0 or a negative errno. */
int owners_scan_attach(struct owners_scan *scan, struct whosock_snapshot *snap);

void owners_scan_free(struct owners_scan *scan);

struct netns_set;

/* Add every network namespace the scan saw to set: the one each process and
 * thread lives in, and those held open as fds. Returns 0 or -ENOMEM. */
int owners_scan_netns(const struct owners_scan *scan, struct netns_set *set);

/* A socket some process holds that is in no namespace dumped so far. */
struct owners_unlisted {
	uint64_t inode;
	int pid;
	int fd;
};

/* The sockets held (as found by the scan) that are neither in snap nor in
 * also (may be NULL): one entry per (inode, holder). *out is malloc'd.
 * Returns 0 or -ENOMEM. */
int owners_scan_unlisted(const struct owners_scan *scan, const struct whosock_snapshot *snap,
			 const struct whosock_snapshot *also, struct owners_unlisted **out,
			 size_t *n);

#endif
