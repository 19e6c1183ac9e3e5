/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/expr.c: filter expressions in ss's syntax (up to the first NUL).
 * Whatever the text: no crash, a parse error points inside the text with a
 * message; an expression that parses has bytecode the kernel's audit takes
 * (or none, or "not compilable") that gives every socket of a small set the
 * verdict whosock_expr_match() gives.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "kinds.h"
#include "bcrun.h"
#include "fuzz.h"
#include "whosock/whosock.h"

/* Sockets on both sides of every kind of condition: IPv4, IPv6,
 * v4-mapped, wildcards, low and high ports, and one without addresses. */
static void make_sockets(struct whosock_socket *v, size_t *n)
{
	static const struct {
		int family;
		const char *local, *remote;
		uint16_t lport, rport;
		uint8_t state;
	} t[] = {
		{ AF_INET, "127.0.0.1", "127.0.0.5", 7000, 40001, WHOSOCK_STATE_ESTABLISHED },
		{ AF_INET, "0.0.0.0", "0.0.0.0", 22, 0, WHOSOCK_STATE_LISTEN },
		{ AF_INET, "10.1.2.3", "192.168.0.1", 65535, 1, WHOSOCK_STATE_TIME_WAIT },
		{ AF_INET6, "::1", "::1", 7003, 40003, WHOSOCK_STATE_ESTABLISHED },
		{ AF_INET6, "::", "::", 7004, 0, WHOSOCK_STATE_LISTEN },
		{ AF_INET6, "::ffff:127.0.0.1", "::ffff:10.0.0.9", 7004, 5, WHOSOCK_STATE_SYN_RECV },
		{ AF_INET6, "fe80::1", "2001:db8::7", 0, 443, WHOSOCK_STATE_CLOSE },
	};
	size_t k = 0;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++, k++) {
		memset(&v[k], 0, sizeof(v[k]));
		v[k].family = (uint8_t)t[i].family;
		v[k].proto = WHOSOCK_PROTO_TCP;
		v[k].state = t[i].state;
		FUZZ_CHECK(inet_pton(t[i].family, t[i].local, v[k].local.addr) == 1);
		FUZZ_CHECK(inet_pton(t[i].family, t[i].remote, v[k].remote.addr) == 1);
		v[k].local.port = t[i].lport;
		v[k].remote.port = t[i].rport;
	}
	memset(&v[k], 0, sizeof(v[k]));
	v[k].family = AF_UNIX;
	v[k].proto = WHOSOCK_PROTO_UNIX;
	v[k].state = WHOSOCK_STATE_LISTEN;
	*n = k + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);
	struct whosock_expr *e = (struct whosock_expr *)(uintptr_t)0x1;
	struct whosock_expr_error err;
	struct whosock_socket socks[8];
	const void *code = NULL;
	size_t n;
	int r, len;

	r = whosock_expr_parse(text, &e, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r < 0) {
		FUZZ_CHECK(e == (struct whosock_expr *)(uintptr_t)0x1); /* untouched */
		if (r == -EINVAL) {
			FUZZ_CHECK(err.message[0] != '\0');
			FUZZ_CHECK(err.offset <= strlen(text) || strlen(text) > WHOSOCK_EXPR_MAX);
			FUZZ_CHECK(err.offset + err.length <= strlen(text) ||
				   strlen(text) > WHOSOCK_EXPR_MAX);
		}
		free(text);
		return 0;
	}
	make_sockets(socks, &n);
	len = whosock_expr_bytecode(e, &code);
	FUZZ_CHECK(len >= 0 || len == -EOPNOTSUPP);
	if (len > 0) {
		unsigned states = whosock_expr_states(e);

		FUZZ_CHECK(bc_audit(code, len) == 0);
		for (size_t i = 0; i < n; i++) {
			/* The state clauses are not in the bytecode: put the
			 * socket in one of their states. */
			for (int st = 1; states && st < STATE_COUNT; st++)
				if (states & WHOSOCK_STATE_BIT(st)) {
					socks[i].state = (uint8_t)st;
					break;
				}
			if (socks[i].family == AF_INET || socks[i].family == AF_INET6)
				FUZZ_CHECK(bc_run(code, len, &socks[i]) ==
					   whosock_expr_match(e, &socks[i]));
		}
	}
	/* Matching the whole expression never crashes, on any kind of socket. */
	for (size_t i = 0; i < n; i++)
		(void)whosock_expr_match(e, &socks[i]);
	whosock_expr_free(e);
	free(text);
	return 0;
}
