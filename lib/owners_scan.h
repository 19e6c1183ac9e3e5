/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the owner scan (owners.c) hands to the join (owners_join.c): the
 * socket fds, processes and namespaces each worker found. Private to those
 * two files. */
#ifndef WHOSOCK_OWNERS_SCAN_H
#define WHOSOCK_OWNERS_SCAN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "whosock/whosock.h"

struct owners_rec;
struct usercache;
struct whosock_process_filter;

#define MAX_WORKERS 16

/* One socket fd seen during the scan. */
struct found {
	uint64_t inode;
	uint32_t proc; /* index in the part's procs */
	int fd;
	int tid;
};

/* A network namespace seen during the scan: one a process lives in (fd -1)
 * or one it holds open as fd. */
struct nsref {
	uint64_t inode;
	int pid;
	int fd;
};

/* What one worker found. */
struct part {
	struct whosock_snapshot *arena; /* strings: comm, cmdline, user, cgroup */
	struct usercache *users;
	struct found *found;
	size_t n_found, cap_found;
	struct whosock_process *procs;
	size_t n_procs, cap_procs;
	struct nsref *ns;
	size_t n_ns, cap_ns;
	size_t hidden;
	size_t unread;    /* processes not (fully) read for another reason than exiting */
	int unread_error; /* the first such errno */
	int error;
	char buf[WHOSOCK_CMDLINE_MAX + 1];
};

struct owners_scan {
	const struct whosock_filter *filter;
	unsigned want;
	bool want_owners; /* else only the namespaces processes live in */
	int procfd;
	int *pids;
	size_t n_pids;
	size_t next; /* atomic: the next index in pids */
	struct whosock_process_filter *match; /* the filter's owner members */
	size_t n_parts;
	struct part *parts[MAX_WORKERS];
	uint64_t pidns;      /* the PID namespace proc_root shows (0: unknown) */
	size_t ownerless;    /* sockets with an inode no process held, at attach */
	/* The BPF pass (bpf_owners.c) in place of the fd walk and the ns
	 * reads: the first worker runs it (owners_scan_start(), before its
	 * dumps) while the others dump, or wait on bpf_lock once done;
	 * then every worker takes processes from pids as the /proc walk does,
	 * each with its records recs[ranges[2i]..ranges[2i + 1]) (sockets,
	 * every fd table of the process). */
	unsigned owner_source; /* enum whosock_owner_source */
	bool bpf_pending;   /* the pass (or, when it fails, list_pids()) is still to run */
	bool bpf;           /* the pass ran: pids and ranges come from it */
	int bpf_status;     /* 0, or the pass's -ENOMEM */
	struct part *bpf_part; /* the namespaces the pass found */
	int bpf_error;      /* positive errno: BPF was wanted, the /proc walk ran instead */
	bool bpf_noted;     /* ... and a note is due (not for what auto expects) */
	pthread_mutex_t bpf_lock;
	struct owners_rec *recs;
	size_t n_recs;
	size_t *ranges;
};

/* The initial PID namespace's inode (PROC_PID_INIT_INO, fixed since Linux
 * 3.8): a /proc of any other shows only that namespace's processes. */
#define INITIAL_PIDNS_INODE 0xEFFFFFFCu

#endif
