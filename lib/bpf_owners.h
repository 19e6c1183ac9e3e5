/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owners in one pass from the kernel: the BPF iterators of
 * lib/bpf/owners.bpf.c, loaded, run and unloaded in one call. */
#ifndef WHOSOCK_BPF_OWNERS_H
#define WHOSOCK_BPF_OWNERS_H

#include <stddef.h>

#include <linux/types.h>

#include "bpf/owners_rec.h"

/* What bpf_owners_read() asks for. */
enum {
	BPF_OWNERS_FILES = 1u << 0, /* every socket fd and namespace fd of every fd table */
	BPF_OWNERS_TASKS = 1u << 1, /* the network namespace of every task */
};

/* Load the iterators what asks for, run each once over every task of the
 * caller's PID namespace and unload them (nothing stays attached or
 * pinned: the links are this process's and closed before returning).
 * Records come sorted by tgid, then tid (the process's own first), then fd
 * (a task's namespace, fd -1, first). Task ids are those of the initial PID
 * namespace (the kernel's), whatever namespace the caller is in.
 * Returns 0 with *out (malloc'd, free() it; NULL when *n is 0) and *n, or a negative errno,
 * outputs untouched: -EOPNOTSUPP when built without BPF, -EPERM when the
 * kernel refuses the load (CAP_BPF and CAP_PERFMON are needed), -ENOENT
 * without kernel BTF, -ENOMEM, or what else the load or a read gave. */
int bpf_owners_read(unsigned what, struct owners_rec **out, size_t *n);

#endif
