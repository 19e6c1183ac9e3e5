/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filters: every predicate over sockets, processes and namespaces, and what
 * to ask the kernel for. The collectors call these and decide nothing
 * themselves about what matches. */
#ifndef WHOSOCK_FILTER_H
#define WHOSOCK_FILTER_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "whosock/whosock.h"

struct whosock_process_filter {
	const struct whosock_filter *filter; /* &copy */
	struct whosock_filter copy;           /* the caller's, full size (its lists are the caller's) */
	regex_t *re; /* one per filter->cmdlines[i] */
	size_t n_re;
};

/* whosock_filter_match() for a filter already in the library's full size. */
bool filter_match(const struct whosock_filter *f, const struct whosock_socket *s);

/* Whether s is bound where a packet for local query q arrives (its port,
 * and its address or a wildcard that serves q's: v4-mapped, dual stack). */
bool filter_local_matches(const struct whosock_local *q, const struct whosock_socket *s);

/* The states f allows: its states and its expression's state clauses
 * together (both must hold); 0 for every state, FILTER_NO_STATE (no valid
 * state bit: the kernel sends none) when they have none in common. */
unsigned filter_states(const struct whosock_filter *f);
#define FILTER_NO_STATE 1u

/* Whether s is in one of states (WHOSOCK_STATE_BIT()s, not 0); a bound but
 * inactive TCP socket, reported CLOSE, is in either. */
bool filter_state_matches(unsigned states, const struct whosock_socket *s);

/* Whether namespace inode is one the filter wants (any, without netns). */
bool filter_match_netns(const struct whosock_filter *f, uint64_t inode);

/* Whether an owner member (pids, uids, comms, cmdlines, containers) is set. */
bool filter_has_owner_members(const struct whosock_filter *f);

/* Clear the owner members (the watcher applies only the socket members). */
void filter_clear_owner_members(struct whosock_filter *f);

/* Whether the filter keeps only some sockets of a protocol it asks for
 * (states, families, ports, local queries): a dump of that protocol then
 * does not list every socket of it. */
bool filter_narrows_protocols(const struct whosock_filter *f);

/* The states to ask the kernel for in a dump of proto (never 0). */
unsigned filter_kernel_states(enum whosock_proto proto, unsigned states);

/* -l: LISTEN and CLOSE asked for together mean "listening" (and unconnected
 * datagram sockets), as in ss: no TCP socket in state CLOSE. */
bool filter_listening_only(const struct whosock_filter *f);

/* Whether the filter wants TCP sockets bound but neither listening nor
 * connecting (state CLOSE) that a dump leaves out unless asked for by name
 * (BOUND_INACTIVE). */
bool filter_wants_bound_inactive(const struct whosock_filter *f);

/* The owner members one by one, for a reader that stops reading a process
 * as soon as one fails (owners.c). Each is true when its member is unset. */
bool filter_match_comm(const struct whosock_filter *f, const char *comm, size_t len);
bool filter_match_uid(const struct whosock_filter *f, bool known, uint32_t uid);
bool filter_match_cmdline(const struct whosock_process_filter *pf, const char *cmdline);
bool filter_match_container(const struct whosock_filter *f, const struct whosock_container *c);
bool filter_match_pid(const struct whosock_filter *f, int pid);

#endif
