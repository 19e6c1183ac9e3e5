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
 * in want, only the namespaces processes live in are looked at. owner_source
 * (enum whosock_owner_source) says whether the BPF pass (bpf_owners.h) may
 * stand in for the /proc walk: never for a pids list or another proc_root
 * than "/proc". filter must outlive the scan. Returns 0
 * and *out, or a negative errno (proc_root not openable, -EINVAL for an
 * invalid command line regex, -ENOMEM). */
int owners_scan_new(const char *proc_root, const struct whosock_filter *filter, unsigned want,
		    unsigned owner_source, size_t workers, const int *pids, size_t n_pids,
		    struct owners_scan **out);

/* The details of process pid alone (comm, uid, user, cmdline, cgroup,
 * container: WHOSOCK_WANT_PROCESS), its strings in arena, without a look
 * at its fds: for a process the kernel named. Returns 1, 0 when it is gone
 * (or its stat unreadable), or a negative errno. */
int owners_read_one(int pid, struct whosock_snapshot *arena, struct whosock_process *out);

/* Scan processes as worker w (w < workers) until none is left. Workers run
 * concurrently; each keeps what it finds apart. Errors are reported by
 * owners_scan_attach(). */
void owners_scan_work(struct owners_scan *scan, size_t w);

/* Worker w may start the BPF pass early (before its other work) when no
 * other worker has: it then runs it now, while the others go on; a
 * worker that comes to owners_scan_work() while it runs waits for it. Does
 * nothing for the /proc walk. Call before owners_scan_work(scan, w). */
void owners_scan_start(struct owners_scan *scan, size_t w);

/* Give each socket of snap its owners: one per process (and per thread
 * with an fd table of its own, as struct whosock_owner says) with its fds
 * ascending, sorted by pid then tid, and their processes, stored once each
 * (comm always; cmdline, uid, user, cgroup with WHOSOCK_WANT_PROCESS); processes failing the filter's owner members are
 * left out, and when one is set, sockets left without an owner are dropped.
 * Processes whose fd tables were unreadable are counted
 * (whosock_snapshot_hidden_processes()). Returns 0 or a negative errno. */
int owners_scan_attach(struct owners_scan *scan, struct whosock_snapshot *snap);

void owners_scan_free(struct owners_scan *scan);

/* How many processes the scan was to read (for the timings). */
size_t owners_scan_processes(const struct owners_scan *scan);

/* What the scan could not see, for the notes (after owners_scan_attach()). */
struct owners_gaps {
	/* Processes not read, or read in part, for another reason than having
	 * exited (only ENOENT and ESRCH mean that): EMFILE, ENFILE, EIO, ... */
	size_t unread;
	int unread_error; /* the first such errno */
	/* When the /proc scanned shows a PID namespace other than the initial
	 * one (whosock runs under `unshare -pf --mount-proc`, in a container):
	 * its inode, and how many sockets with an inode no process there held
	 * (their holders may be outside that namespace). Else both 0. */
	uint64_t pidns;
	size_t outside_pidns;
	/* The BPF pass was wanted and not used (positive errno; EXDEV: not
	 * the initial PID namespace, bpf_pidns then names the one seen), or 0. */
	int bpf_error;
	uint64_t bpf_pidns;
};

void owners_scan_gaps(const struct owners_scan *scan, struct owners_gaps *out);

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
