/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filters: the one place that decides what matches. Socket predicates
 * (whosock_filter_match), process predicates (owners.c while reading a
 * process, and whosock_filter_match_process() for callers such as the
 * watch command), and the states each dump asks the kernel for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kinds.h"
#include "abi.h"
#include "filter.h"

static const uint8_t any_addr[16];
static const uint8_t v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };

static bool is_inet(const struct whosock_socket *s)
{
	return s->family == AF_INET || s->family == AF_INET6;
}

/* Would a packet for q's address reach socket s, as far as addresses go?
 * IPv4 (and v4-mapped IPv6, which is IPv4 on the wire) reaches IPv4 sockets
 * bound to it or to 0.0.0.0, and IPv6 sockets bound to its v4-mapped form or
 * to :: unless they are IPV6_V6ONLY (where v6only is unknown, /proc/net,
 * such a socket is taken to receive it, as the default bindv6only=0 has
 * it). IPv6 reaches IPv6 sockets bound to it or to ::. */
static bool local_addr_serves(const struct whosock_local *q, const struct whosock_socket *s)
{
	const uint8_t *addr = q->addr;
	int family = q->family;

	if (family == AF_INET6 && memcmp(addr, v4mapped_prefix, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	if (family == AF_INET6)
		return s->family == AF_INET6 && (memcmp(s->local.addr, addr, 16) == 0 ||
						 memcmp(s->local.addr, any_addr, 16) == 0);
	if (s->family == AF_INET)
		return memcmp(s->local.addr, addr, 4) == 0 || memcmp(s->local.addr, any_addr, 4) == 0;
	if (memcmp(s->local.addr, any_addr, 16) == 0)
		return !((s->known & WHOSOCK_KNOWN_V6ONLY) && s->v6only);
	return memcmp(s->local.addr, v4mapped_prefix, 12) == 0 &&
	       (memcmp(s->local.addr + 12, addr, 4) == 0 ||
		memcmp(s->local.addr + 12, any_addr, 4) == 0);
}

bool filter_local_matches(const struct whosock_local *q, const struct whosock_socket *s)
{
	if (!is_inet(s) || (q->port && s->local.port != q->port))
		return false;
	return !q->family || local_addr_serves(q, s);
}

/* A bound but inactive TCP socket is reported in state CLOSE: it matches
 * either name. */
bool filter_state_matches(unsigned states, const struct whosock_socket *s)
{
	if (s->state <= 0 || s->state >= STATE_COUNT)
		return false;
	if (s->proto == WHOSOCK_PROTO_TCP && s->state == WHOSOCK_STATE_CLOSE &&
	    (states & WHOSOCK_STATE_BIT(WHOSOCK_STATE_BOUND_INACTIVE)))
		return true;
	return states & WHOSOCK_STATE_BIT(s->state);
}

static bool port_matches(const struct whosock_filter *f, const struct whosock_socket *s)
{
	if (!is_inet(s))
		return false;
	for (size_t i = 0; i < f->n_ports; i++)
		if (s->local.port == f->ports[i] || s->remote.port == f->ports[i])
			return true;
	return false;
}

bool filter_match_netns(const struct whosock_filter *f, uint64_t inode)
{
	for (size_t i = 0; i < f->n_netns; i++)
		if (f->netns[i] == inode)
			return true;
	return f->n_netns == 0;
}

bool filter_match(const struct whosock_filter *f, const struct whosock_socket *s)
{
	unsigned protos = f->protos ? f->protos : ~0u; /* 0: every kind */
	bool local = f->n_locals == 0;

	if (!(protos & WHOSOCK_PROTO_BIT(s->proto)))
		return false;
	/* families has bits for family numbers below 32 (inet, UNIX, packet,
	 * netlink); the higher ones (vsock, XDP, ...) are not narrowed by it. */
	if (f->families && s->family < 32 && !(f->families & (1u << s->family)))
		return false;
	if (filter_states(f) && !filter_state_matches(filter_states(f), s))
		return false;
	if (f->n_ports && !port_matches(f, s))
		return false;
	for (size_t i = 0; !local && i < f->n_locals; i++)
		local = filter_local_matches(&f->locals[i], s);
	if (!local)
		return false;
	/* Sockets are dumped one namespace at a time and get their inode
	 * afterwards: 0 means "not known yet", decided by the dump's namespace. */
	if (s->netns && !filter_match_netns(f, s->netns))
		return false;
	/* Also where the kernel ran it as bytecode: not every dump does
	 * (sctp_diag), and /proc never does. */
	return !f->expr || whosock_expr_match(f->expr, s);
}

unsigned filter_states(const struct whosock_filter *f)
{
	unsigned e = f->expr ? whosock_expr_states(f->expr) : 0;
	unsigned both;

	if (!e)
		return f->states;
	/* "closed" takes in bound but inactive TCP sockets (reported CLOSE). */
	if (e & WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE))
		e |= WHOSOCK_STATE_BIT(WHOSOCK_STATE_BOUND_INACTIVE);
	if (!f->states)
		return e;
	both = f->states & e;
	return both ? both : FILTER_NO_STATE;
}

/* ---- what to ask the kernel for ---- */

bool whosock_filter_match(const struct whosock_filter *f, const struct whosock_socket *s)
{
	struct whosock_filter full;

	/* A filter this library cannot read matches nothing. */
	return abi_filter(&full, f) == 0 && filter_match(&full, s);
}

bool filter_narrows_protocols(const struct whosock_filter *f)
{
	return filter_states(f) || f->families || f->n_ports || f->n_locals || f->expr;
}

/* A TCP socket bound but neither listening nor connecting is reported in
 * state CLOSE, but asked for as BOUND_INACTIVE (Linux 6.7 on), which walks
 * the kernel's bind table: only when asked for by name (take.c finds held
 * ones without it). No hashed TCP socket is in state CLOSE, and asking for
 * it costs a walk of the connection table. */
unsigned filter_kernel_states(enum whosock_proto proto, unsigned states)
{
	if (!states)
		states = WHOSOCK_STATES_ALL & ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_BOUND_INACTIVE);
	if (proto == WHOSOCK_PROTO_TCP)
		states &= ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE);
	return states;
}

bool filter_listening_only(const struct whosock_filter *f)
{
	const unsigned listening = WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN) |
				   WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE);

	return (filter_states(f) & listening) == listening;
}

bool filter_wants_bound_inactive(const struct whosock_filter *f)
{
	const unsigned close = WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE);
	const unsigned bound = WHOSOCK_STATE_BIT(WHOSOCK_STATE_BOUND_INACTIVE);
	unsigned protos = f->protos ? f->protos : ~0u;
	unsigned states = filter_states(f);

	/* -l: a bound but inactive TCP socket is not listening (as in ss);
	 * such sockets come when asked for by name (bound-inactive). */
	if (filter_listening_only(f))
		return false;
	return (protos & WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP)) &&
	       (!states || (states & close)) && !(states & bound);
}

/* ---- owners ---- */

bool filter_has_owner_members(const struct whosock_filter *f)
{
	return f->n_pids || f->n_uids || f->n_comms || f->n_cmdlines || f->n_containers;
}

void filter_clear_owner_members(struct whosock_filter *f)
{
	f->pids = NULL;
	f->n_pids = 0;
	f->uids = NULL;
	f->n_uids = 0;
	f->comms = NULL;
	f->n_comms = 0;
	f->cmdlines = NULL;
	f->n_cmdlines = 0;
	f->containers = NULL;
	f->n_containers = 0;
}

bool filter_match_pid(const struct whosock_filter *f, int pid)
{
	for (size_t i = 0; i < f->n_pids; i++)
		if (f->pids[i] == pid)
			return true;
	return f->n_pids == 0;
}

bool filter_match_comm(const struct whosock_filter *f, const char *comm, size_t len)
{
	for (size_t i = 0; i < f->n_comms; i++)
		if (strlen(f->comms[i]) == len && memcmp(f->comms[i], comm, len) == 0)
			return true;
	return f->n_comms == 0;
}

bool filter_match_uid(const struct whosock_filter *f, bool known, uint32_t uid)
{
	for (size_t i = 0; known && i < f->n_uids; i++)
		if (f->uids[i] == uid)
			return true;
	return f->n_uids == 0;
}

bool filter_match_cmdline(const struct whosock_process_filter *pf, const char *cmdline)
{
	const struct whosock_filter *f = pf->filter;

	for (size_t i = 0; cmdline && i < f->n_cmdlines; i++)
		if (strstr(cmdline, f->cmdlines[i]) ||
		    (i < pf->n_re && regexec(&pf->re[i], cmdline, 0, NULL, 0) == 0))
			return true;
	return f->n_cmdlines == 0;
}

bool filter_match_container(const struct whosock_filter *f, const struct whosock_container *c)
{
	for (size_t i = 0; c->id && i < f->n_containers; i++)
		if (strncmp(c->id, f->containers[i], strlen(f->containers[i])) == 0)
			return true;
	return f->n_containers == 0;
}

int whosock_process_filter_new(const struct whosock_filter *f, struct whosock_process_filter **out)
{
	struct whosock_process_filter *pf = calloc(1, sizeof(*pf));
	int r = 0;

	if (!pf)
		return -ENOMEM;
	r = abi_filter(&pf->copy, f);
	if (r < 0) {
		free(pf);
		return r;
	}
	pf->filter = f = &pf->copy;
	if (f->n_cmdlines) {
		pf->re = calloc(f->n_cmdlines, sizeof(*pf->re));
		if (!pf->re)
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < f->n_cmdlines; i++) {
		int e = regcomp(&pf->re[i], f->cmdlines[i], REG_EXTENDED | REG_NOSUB);

		if (e == 0)
			pf->n_re++;
		else
			r = e == REG_ESPACE ? -ENOMEM : -EINVAL;
	}
	if (r < 0) {
		whosock_process_filter_free(pf);
		return r;
	}
	*out = pf;
	return 0;
}

bool whosock_filter_match_process(const struct whosock_process_filter *pf,
				  const struct whosock_process *p)
{
	const struct whosock_filter *f = pf->filter;

	return filter_match_pid(f, p->pid) &&
	       filter_match_comm(f, p->comm, p->comm ? strlen(p->comm) : 0) &&
	       filter_match_uid(f, p->uid_known, p->uid) && filter_match_cmdline(pf, p->cmdline) &&
	       filter_match_container(f, &p->container);
}

bool whosock_filter_match_owners(const struct whosock_process_filter *pf,
				 const struct whosock_socket *s)
{
	if (!filter_has_owner_members(pf->filter))
		return true;
	for (size_t i = 0; i < s->n_owners; i++)
		if (s->owners[i].proc && whosock_filter_match_process(pf, s->owners[i].proc))
			return true;
	return false;
}

void whosock_process_filter_free(struct whosock_process_filter *pf)
{
	if (!pf)
		return;
	for (size_t i = 0; i < pf->n_re; i++)
		regfree(&pf->re[i]);
	free(pf->re);
	free(pf);
}
