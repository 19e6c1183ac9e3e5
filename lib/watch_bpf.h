/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The watcher's side of the kernel's socket life events (bpf_traffic.h):
 * an event turned into the socket it names, with the process the kernel
 * gave, for lib/watch.c to track and report. */
#ifndef WHOSOCK_WATCH_BPF_H
#define WHOSOCK_WATCH_BPF_H

#include <stdbool.h>
#include <stdint.h>

#include "whosock/whosock.h"

struct socklife_ev;

/* The socket of one event with its one owner; self-contained (point s at
 * owner, owner at proc, proc at comm): watch_bpf_socket() links them. */
struct watch_bpf_sock {
	struct whosock_socket s;
	struct whosock_owner owner;
	struct whosock_process proc;
	char comm[17];
};

/* Fill *out from ev: protocol, family, state, addresses, namespace, cookie,
 * inode (0 when the socket has none yet) and, when the kernel named it, the
 * process as its one owner (pid, comm, uid; the fd is not known: fd -1, no
 * fds, until /proc shows it). Returns false for an event of a protocol the
 * watcher does not follow. */
bool watch_bpf_socket(const struct socklife_ev *ev, struct watch_bpf_sock *out);

/* The final counters a CLOSED event carries, into *out (since_start: they
 * count from the programs' load). Returns false when it carries none. */
bool watch_bpf_final(const struct socklife_ev *ev, struct whosock_traffic *out);

/* Final counters k into s's traffic: as they are, but for a TCP socket
 * whose tcp_info was read (from its start, at the last dump) each the
 * larger of the two. Where the kernel's report of a TCP close brings
 * tcp_info's final counts, those win (tracker_take_counters()). */
void watch_bpf_take_final(const struct whosock_traffic *k, struct whosock_socket *s);

/* The processes that opened sockets lately, as the last /proc scan of each
 * found them: with WHOSOCK_FLAG_KERNEL_OWNERS, another socket the same
 * process (same pid, comm and uid) opens within OPENER_TTL_MS takes its
 * details from here, not from another /proc read. Direct-mapped by pid:
 * OPENERS entries, each a one-socket snapshot holding the process. */
#define OPENERS 256
#define OPENER_TTL_MS 1000

struct opener {
	int pid;
	uint32_t uid;
	char comm[17];
	uint64_t at_ms;
	struct whosock_snapshot *snap; /* owns proc */
	const struct whosock_process *proc;
};

struct openers {
	struct opener v[OPENERS];
};

/* The process v's event names, when it was scanned within OPENER_TTL_MS
 * before now; else NULL. */
const struct whosock_process *openers_find(const struct openers *o, const struct watch_bpf_sock *v,
					   uint64_t now_ms);

/* Keep snap (a scan of v's process: its first socket's owners) for
 * v's process. Takes snap, freeing it when none of its owners is that
 * process. */
void openers_keep(struct openers *o, const struct watch_bpf_sock *v, struct whosock_snapshot *snap,
		  uint64_t now_ms);

void openers_free(struct openers *o);

#endif
