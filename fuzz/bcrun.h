/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's inet_diag bytecode checker and interpreter
 * (net/ipv4/inet_diag.c: inet_diag_bc_audit, inet_diag_bc_run), rewritten
 * for the tests and the fuzzer: the bytecode whosock_expr_bytecode() makes
 * must pass the audit and give every socket the verdict whosock_expr_match()
 * gives. Only the ops whosock emits and the ones next to them are known.
 */
#ifndef WHOSOCK_FUZZ_BCRUN_H
#define WHOSOCK_FUZZ_BCRUN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>

#include "whosock/whosock.h"

static inline struct inet_diag_bc_op bc_op_at(const uint8_t *bc, int off)
{
	struct inet_diag_bc_op op;

	memcpy(&op, bc + off, sizeof(op));
	return op;
}

/* valid_cc: cc (bytes before the end) is on the "yes" chain from the start. */
static inline bool bc_valid_cc(const uint8_t *bc, int len, int cc)
{
	int off = 0;

	while (len >= 0) {
		struct inet_diag_bc_op op;

		if (cc > len)
			return false;
		if (cc == len)
			return true;
		op = bc_op_at(bc, off);
		if (op.yes < 4 || op.yes & 3)
			return false;
		len -= op.yes;
		off += op.yes;
	}
	return false;
}

/* inet_diag_bc_audit: 0 when the kernel takes the bytecode. */
static inline int bc_audit(const uint8_t *bc, int bc_len)
{
	int off = 0, len = bc_len;

	while (len > 0) {
		int min_len = (int)sizeof(struct inet_diag_bc_op);
		struct inet_diag_bc_op op;

		if (len < min_len)
			return -1;
		op = bc_op_at(bc, off);
		switch (op.code) {
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND: {
			struct inet_diag_hostcond hc;
			int alen;

			min_len += (int)sizeof(hc);
			if (len < min_len)
				return -1;
			memcpy(&hc, bc + off + 4, sizeof(hc));
			if (hc.family == AF_INET6)
				alen = 16;
			else if (hc.family == AF_INET)
				alen = 4;
			else if (hc.family == AF_UNSPEC)
				alen = 0;
			else
				return -1;
			min_len += alen;
			if (len < min_len || op.yes < min_len || hc.prefix_len > 8 * alen)
				return -1;
			break;
		}
		case INET_DIAG_BC_S_GE:
		case INET_DIAG_BC_S_LE:
		case INET_DIAG_BC_D_GE:
		case INET_DIAG_BC_D_LE:
		case INET_DIAG_BC_S_EQ:
		case INET_DIAG_BC_D_EQ:
			min_len += (int)sizeof(struct inet_diag_bc_op);
			if (len < min_len)
				return -1;
			break;
		case INET_DIAG_BC_AUTO:
		case INET_DIAG_BC_JMP:
		case INET_DIAG_BC_NOP:
			break;
		default:
			return -1;
		}
		if (op.code != INET_DIAG_BC_NOP) {
			if (op.no < min_len || op.no > len + 4 || op.no & 3)
				return -1;
			if (op.no < len && !bc_valid_cc(bc, bc_len, len - op.no))
				return -1;
		}
		if (op.yes < min_len || op.yes > len + 4 || op.yes & 3)
			return -1;
		off += op.yes;
		len -= op.yes;
	}
	return len == 0 ? 0 : -1;
}

static inline bool bc_bits_match(const uint8_t *a, const uint8_t *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)bytes) != 0)
		return false;
	return !rest || ((a[bytes] ^ b[bytes]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* inet_diag_bc_run over an inet socket as whosock has it. */
static inline bool bc_run(const uint8_t *bc, int len, const struct whosock_socket *s)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	int off = 0;

	while (len > 0) {
		struct inet_diag_bc_op op = bc_op_at(bc, off);
		bool yes = true;

		switch (op.code) {
		case INET_DIAG_BC_JMP:
			yes = false;
			break;
		case INET_DIAG_BC_S_GE:
			yes = s->local.port >= bc_op_at(bc, off + 4).no;
			break;
		case INET_DIAG_BC_S_LE:
			yes = s->local.port <= bc_op_at(bc, off + 4).no;
			break;
		case INET_DIAG_BC_D_GE:
			yes = s->remote.port >= bc_op_at(bc, off + 4).no;
			break;
		case INET_DIAG_BC_D_LE:
			yes = s->remote.port <= bc_op_at(bc, off + 4).no;
			break;
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND: {
			const struct whosock_endpoint *ep =
				op.code == INET_DIAG_BC_S_COND ? &s->local : &s->remote;
			struct inet_diag_hostcond hc;
			const uint8_t *caddr = bc + off + 4 + sizeof(hc);

			memcpy(&hc, bc + off + 4, sizeof(hc));
			if (hc.port != -1 && hc.port != ep->port) {
				yes = false;
				break;
			}
			if (hc.family != AF_UNSPEC && hc.family != s->family) {
				yes = s->family == AF_INET6 && hc.family == AF_INET &&
				      memcmp(ep->addr, mapped, 12) == 0 &&
				      bc_bits_match(ep->addr + 12, caddr, hc.prefix_len);
				break;
			}
			yes = hc.prefix_len == 0 || bc_bits_match(ep->addr, caddr, hc.prefix_len);
			break;
		}
		default:
			break;
		}
		if (yes) {
			len -= op.yes;
			off += op.yes;
		} else {
			len -= op.no;
			off += op.no;
		}
	}
	return len == 0;
}

#endif
