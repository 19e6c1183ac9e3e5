/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Join the snapshot's sockets to every process holding them. */
#ifndef WHOSOCK_OWNERS_H
#define WHOSOCK_OWNERS_H

#include "whosock/whosock.h"

/* Scan proc_root ("/proc") for every fd that holds a socket of snap, and give
 * each socket its owners (sorted by pid, then fd) and their processes (comm
 * always; cmdline, uid, user, cgroup with WHOSOCK_WANT_PROCESS). The owner
 * members of filter restrict which processes count; when one is set, sockets
 * left without an owner are dropped. Processes whose fd table is unreadable
 * are counted (whosock_snapshot_hidden_processes()). Returns 0 or a negative
 * errno (-ENOMEM; proc_root not openable). */
int owners_collect(struct whosock_snapshot *snap, const char *proc_root,
		   const struct whosock_filter *filter, unsigned want);

#endif
