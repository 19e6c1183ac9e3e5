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

/* The final counters a CLOSED event carries (not TCP's: tcp_info counts
 * those from the socket's start) into s. */
void watch_bpf_take_traffic(const struct socklife_ev *ev, struct whosock_socket *s);

/* The processes that opened sockets lately, with their details as read
 * from /proc (WHOSOCK_FLAG_KERNEL_OWNERS): another socket the same process
 * (same pid, comm and uid) opens within OPENER_TTL_MS takes them from
 * here. Direct-mapped by pid, OPENERS entries. */
#define OPENERS 256
#define OPENER_TTL_MS 1000

struct opener {
	int pid;
	uint32_t uid;
	char comm[17];
	uint64_t at_ms;
	struct whosock_snapshot *arena; /* proc's strings */
	struct whosock_process proc;
};

struct openers {
	struct opener v[OPENERS];
};

/* The process v's event names, with its details: kept from a read within
 * OPENER_TTL_MS before now, else read now (and kept). NULL when the event
 * names none, the process is gone or unreadable, or memory ran out
 * (*error -ENOMEM). */
const struct whosock_process *openers_get(struct openers *o, const struct watch_bpf_sock *v,
					  uint64_t now_ms, int *error);

void openers_free(struct openers *o);

#endif
