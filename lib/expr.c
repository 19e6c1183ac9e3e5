/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filter expressions in ss's syntax: text -> tree (parse), tree -> verdict
 * on a socket (match), tree -> inet_diag bytecode (compile) for the kernel
 * to filter the dumps itself. The matcher follows the kernel's bytecode
 * interpreter (net/ipv4/inet_diag.c) exactly, so a socket gets the same
 * verdict whether the kernel or we decide. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>

#include "expr.h"
#include "filter.h"

/* Bounds on what a caller's text can make us allocate and recurse into. */
#define MAX_NODES 4096
#define MAX_DEPTH 200
/* Jumps in bytecode are 16 bits, and the request must fit one message. */
#define MAX_BYTECODE 60000

enum node_kind { N_AND, N_OR, N_NOT, N_SRC, N_DST, N_SGE, N_SLE, N_DGE, N_DLE, N_STATE };

/* A host condition as the kernel's inet_diag_hostcond has it. */
struct cond {
	uint8_t family; /* AF_INET, AF_INET6, or AF_UNSPEC: any address */
	uint8_t prefix; /* bits of addr that must match */
	int32_t port;   /* -1: any */
	uint8_t addr[16];
};

struct node {
	uint8_t kind;
	unsigned states;    /* N_STATE */
	struct cond c;      /* N_SRC/N_DST; c.port alone for the comparisons */
	int a, b;           /* children (indices), -1 when none */
};

struct whosock_expr {
	unsigned states; /* leading state clauses, 0: none */
	int root;        /* -1: no condition */
	struct node *nodes;
	size_t n, cap;
	uint8_t *bc;     /* compiled root, NULL when it cannot be */
	size_t bc_len;
};

struct tok {
	size_t off, len;
};

struct parser {
	const char *text;
	size_t pos;
	struct whosock_expr *e;
	struct whosock_expr_error *err;
	int depth;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next token without taking it: a parenthesis, or a run of anything
 * up to a blank or a parenthesis. len 0 at the end. */
static struct tok peek(const struct parser *p)
{
	size_t i = p->pos, start;

	while (p->text[i] && is_blank(p->text[i]))
		i++;
	start = i;
	if (p->text[i] == '(' || p->text[i] == ')')
		return (struct tok){ start, 1 };
	while (p->text[i] && !is_blank(p->text[i]) && p->text[i] != '(' && p->text[i] != ')')
		i++;
	return (struct tok){ start, i - start };
}

static struct tok take(struct parser *p)
{
	struct tok t = peek(p);

	p->pos = t.off + t.len;
	return t;
}

static bool tok_is(const struct parser *p, struct tok t, const char *word)
{
	return t.len == strlen(word) && memcmp(p->text + t.off, word, t.len) == 0;
}

static bool tok_any(const struct parser *p, struct tok t, const char *const *words)
{
	for (; *words; words++)
		if (tok_is(p, t, *words))
			return true;
	return false;
}

static const char *const and_words[] = { "and", "&", "&&", NULL };
static const char *const or_words[] = { "or", "|", "||", NULL };
static const char *const not_words[] = { "not", "!", NULL };

static int fail(struct parser *p, struct tok t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, struct tok t, const char *fmt, ...)
{
	va_list ap;

	if (p->err) {
		p->err->offset = t.off;
		p->err->length = t.len;
		va_start(ap, fmt);
		vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A new node; returns its index, or a negative errno. */
static int add_node(struct parser *p, struct tok t, const struct node *n)
{
	struct whosock_expr *e = p->e;

	if (e->n >= MAX_NODES)
		return fail(p, t, "expression too long (more than %d terms)", MAX_NODES);
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct node *v = realloc(e->nodes, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->nodes = v;
		e->cap = cap;
	}
	e->nodes[e->n] = *n;
	return (int)e->n++;
}

static int add_op(struct parser *p, struct tok t, enum node_kind kind, int a, int b)
{
	return add_node(p, t, &(struct node){ .kind = (uint8_t)kind, .a = a, .b = b });
}

/* ---- values ---- */

/* A state name, or one of ss's groups. Returns the bits or 0. */
static unsigned state_bits(const char *name)
{
	const unsigned all = WHOSOCK_STATES_ALL & ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_NEW_SYN_RECV) &
			     ~WHOSOCK_STATE_BIT(WHOSOCK_STATE_BOUND_INACTIVE);
	const unsigned close = WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE);
	const unsigned listen = WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN);
	const unsigned bucket = WHOSOCK_STATE_BIT(WHOSOCK_STATE_SYN_RECV) |
				WHOSOCK_STATE_BIT(WHOSOCK_STATE_TIME_WAIT);
	static const struct {
		const char *name;
		int state;
	} ss_names[] = {
		{ "unconnected", WHOSOCK_STATE_CLOSE },
		{ "close", WHOSOCK_STATE_CLOSE },
		{ "syn-rcv", WHOSOCK_STATE_SYN_RECV },
	};
	int st;

	if (strcasecmp(name, "all") == 0)
		return all;
	/* ss's "connected" is a group (whosock_state_parse() takes it for
	 * ESTABLISHED, as UNIX sockets are named). */
	if (strcasecmp(name, "connected") == 0)
		return all & ~(close | listen);
	if (strcasecmp(name, "synchronized") == 0)
		return all & ~(close | listen | WHOSOCK_STATE_BIT(WHOSOCK_STATE_SYN_SENT));
	if (strcasecmp(name, "bucket") == 0)
		return bucket;
	if (strcasecmp(name, "big") == 0)
		return all & ~bucket;
	for (size_t i = 0; i < sizeof(ss_names) / sizeof(ss_names[0]); i++)
		if (strcasecmp(name, ss_names[i].name) == 0)
			return WHOSOCK_STATE_BIT(ss_names[i].state);
	st = whosock_state_parse(name);
	return st > 0 ? WHOSOCK_STATE_BIT(st) : 0;
}

static int parse_state(struct parser *p, struct tok kw, unsigned *bits)
{
	struct tok t = take(p);
	char name[32];

	if (t.len == 0 || tok_is(p, t, "(") || tok_is(p, t, ")"))
		return fail(p, t.len ? t : kw, "'state' needs a state name");
	if (t.len < sizeof(name)) {
		memcpy(name, p->text + t.off, t.len);
		name[t.len] = '\0';
		*bits = state_bits(name);
	} else {
		*bits = 0;
	}
	if (!*bits)
		return fail(p, t, "unknown state (listening, established, time-wait, connected, "
			    "synchronized, bucket, big, all, ...)");
	return 0;
}

/* A port number, '*' (any: -1) or a service name. */
static int parse_port(struct parser *p, struct tok t, const char *s, int32_t *port)
{
	char buf[1024];
	struct servent se, *tcp = NULL, *udp = NULL;
	int tcp_port = -1;

	if (strcmp(s, "*") == 0) {
		*port = -1;
		return 0;
	}
	if (*s && s[strspn(s, "0123456789")] == '\0') {
		long v = 0;

		for (; *s; s++) {
			v = v * 10 + (*s - '0');
			if (v > 65535)
				return fail(p, t, "port out of range (0-65535)");
		}
		*port = (int32_t)v;
		return 0;
	}
	if (!*s || strlen(s) > 64 || s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
					    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+")])
		return fail(p, t, "expected a port number or service name");
	if (getservbyname_r(s, "tcp", &se, buf, sizeof(buf), &tcp) != 0)
		tcp = NULL;
	if (tcp)
		tcp_port = ntohs((uint16_t)tcp->s_port);
	if (getservbyname_r(s, "udp", &se, buf, sizeof(buf), &udp) != 0)
		udp = NULL;
	if (udp && tcp && ntohs((uint16_t)udp->s_port) != tcp_port)
		return fail(p, t, "ambiguous service name: its tcp and udp ports differ");
	if (!tcp && !udp)
		return fail(p, t, "unknown port or service name");
	*port = tcp ? tcp_port : ntohs((uint16_t)udp->s_port);
	return 0;
}

/* ADDR or ADDR/LEN, IPv4 or IPv6. */
static int parse_prefix(struct parser *p, struct tok t, char *s, struct cond *c)
{
	char *slash = strchr(s, '/');
	unsigned max;

	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, s, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, s, c->addr) == 1)
		c->family = AF_INET6;
	else
		return fail(p, t, "expected an IPv4 or IPv6 address (host names are not resolved)");
	max = c->family == AF_INET ? 32 : 128;
	c->prefix = (uint8_t)max;
	if (slash) {
		unsigned v = 0;

		if (!*slash || slash[strspn(slash, "0123456789")] || strlen(slash) > 3)
			return fail(p, t, "expected a prefix length after '/'");
		v = (unsigned)atoi(slash);
		if (v > max)
			return fail(p, t, "prefix length out of range (0-%u)", max);
		c->prefix = (uint8_t)v;
	}
	return 0;
}

/* HOST as ss takes it: ADDR[/LEN][:PORT], [ADDR[/LEN]][:PORT], *[:PORT],
 * :PORT; and an IPv6 address without brackets or port. */
static int parse_host(struct parser *p, struct tok t, struct cond *c)
{
	char buf[128], *addr = buf, *port = NULL;

	*c = (struct cond){ .port = -1 };
	if (t.len == 0)
		return fail(p, t, "expected an address or port");
	if (t.len >= sizeof(buf))
		return fail(p, t, "address too long");
	memcpy(buf, p->text + t.off, t.len);
	buf[t.len] = '\0';
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return fail(p, t, "no ']' after the IPv6 address");
		*close = '\0';
		addr = buf + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return fail(p, t, "expected ':PORT' after ']'");
	} else if (buf[0] == '*') {
		addr = buf + 1;
		if (*addr == ':')
			port = addr + 1;
		else if (*addr)
			return fail(p, t, "expected '*' or '*:PORT'");
		*addr = '\0';
	} else {
		char *slash = strchr(buf, '/'), *colon;
		struct in6_addr a6;

		/* "::1" is an address, not "::" port 1 (ss refuses it). */
		colon = slash || inet_pton(AF_INET6, buf, &a6) != 1 ? strrchr(slash ? slash : buf, ':')
								   : NULL;
		if (colon) {
			*colon = '\0';
			port = colon + 1;
		}
	}
	if (port && *port && parse_port(p, t, port, &c->port) < 0)
		return -EINVAL;
	if (*addr && strcmp(addr, "*") != 0 && parse_prefix(p, t, addr, c) < 0)
		return -EINVAL;
	return 0;
}

/* ---- grammar ---- */

static int parse_list(struct parser *p);

/* src/dst [= | == | eq | != | ne | neq] HOST */
static int parse_hostcond(struct parser *p, struct tok kw, bool src)
{
	static const char *const eq[] = { "=", "==", "eq", NULL };
	static const char *const ne[] = { "!=", "ne", "neq", NULL };
	struct tok t = take(p);
	bool negate = false;
	struct node n = { .kind = src ? N_SRC : N_DST, .a = -1, .b = -1 };
	int r;

	if (tok_any(p, t, eq) || (negate = tok_any(p, t, ne)))
		t = take(p);
	if (t.len == 0 || tok_is(p, t, "(") || tok_is(p, t, ")"))
		return fail(p, t.len ? t : kw, "'%s' needs an address (ADDR, ADDR/LEN, ADDR:PORT, "
			    ":PORT)", src ? "src" : "dst");
	r = parse_host(p, t, &n.c);
	if (r < 0)
		return r;
	r = add_node(p, t, &n);
	return r >= 0 && negate ? add_op(p, t, N_NOT, r, -1) : r;
}

/* sport/dport [OP] [ADDR]:PORT */
static int parse_portcond(struct parser *p, struct tok kw, bool src)
{
	static const struct {
		const char *const words[4];
		int kind; /* -1: = ; -2: != */
		bool negate;
	} ops[] = {
		{ { "=", "==", "eq", NULL }, -1, false },
		{ { "!=", "ne", "neq", NULL }, -1, true },
		{ { ">=", "ge", "geq", NULL }, N_SGE, false },
		{ { "<=", "le", "leq", NULL }, N_SLE, false },
		/* ss: a > b is not (a <= b), a < b not (a >= b) */
		{ { ">", "gt", NULL }, N_SLE, true },
		{ { "<", "lt", NULL }, N_SGE, true },
	};
	struct tok t = take(p);
	const char *name = src ? "sport" : "dport";
	struct node n = { .a = -1, .b = -1 };
	int kind = -1, r;
	bool negate = false;
	char buf[80], *v;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (tok_any(p, t, ops[i].words)) {
			kind = ops[i].kind;
			negate = ops[i].negate;
			t = take(p);
			break;
		}
	if (t.len == 0 || tok_is(p, t, "(") || tok_is(p, t, ")"))
		return fail(p, t.len ? t : kw, "'%s' needs a port (:PORT)", name);
	if (kind == -1) {
		n.kind = src ? N_SRC : N_DST;
		/* ":22", "22", "ssh", "*" are a port; with an address, a host. */
		v = buf;
		if (t.len < sizeof(buf)) {
			memcpy(buf, p->text + t.off, t.len);
			buf[t.len] = '\0';
			if (*v == ':')
				v++;
		}
		if (t.len < sizeof(buf) && !strpbrk(v, ":[]./")) {
			n.c = (struct cond){ .port = -1 };
			r = parse_port(p, t, v, &n.c.port);
		} else {
			r = parse_host(p, t, &n.c);
		}
	} else {
		n.kind = (uint8_t)(src ? kind : kind + (N_DGE - N_SGE));
		if (t.len >= sizeof(buf))
			return fail(p, t, "expected a port");
		memcpy(buf, p->text + t.off, t.len);
		buf[t.len] = '\0';
		v = buf + (buf[0] == ':');
		r = parse_port(p, t, v, &n.c.port);
		if (r == 0 && n.c.port < 0)
			r = fail(p, t, "a port comparison needs a port, not '*'");
	}
	if (r < 0)
		return r;
	r = add_node(p, t, &n);
	return r >= 0 && negate ? add_op(p, t, N_NOT, r, -1) : r;
}

/* One condition, a negated one, or a parenthesised list. */
static int parse_term(struct parser *p)
{
	static const char *const unsupported[] = { "dev", "fwmark", "cgroup", "autobound", NULL };
	struct tok t = take(p);
	int r;

	if (t.len == 0)
		return fail(p, t, "expression ends where a condition was expected");
	if (++p->depth > MAX_DEPTH) {
		p->depth--;
		return fail(p, t, "expression nested too deeply (more than %d levels)", MAX_DEPTH);
	}
	if (tok_is(p, t, "(")) {
		r = parse_list(p);
		if (r >= 0) {
			struct tok close = take(p);

			if (!tok_is(p, close, ")"))
				r = fail(p, close, close.len ? "expected ')'" : "missing ')'");
		}
	} else if (tok_any(p, t, not_words)) {
		r = parse_term(p);
		if (r >= 0)
			r = add_op(p, t, N_NOT, r, -1);
	} else if (tok_is(p, t, "src") || tok_is(p, t, "dst")) {
		r = parse_hostcond(p, t, tok_is(p, t, "src"));
	} else if (tok_is(p, t, "sport") || tok_is(p, t, "dport")) {
		r = parse_portcond(p, t, tok_is(p, t, "sport"));
	} else if (tok_is(p, t, "state")) {
		struct node n = { .kind = N_STATE, .a = -1, .b = -1 };

		r = parse_state(p, t, &n.states);
		if (r == 0)
			r = add_node(p, t, &n);
	} else if (tok_any(p, t, unsupported)) {
		r = fail(p, t, "this condition of ss is not supported (src, dst, sport, dport and "
			 "state are)");
	} else if (tok_is(p, t, ")")) {
		r = fail(p, t, "unexpected ')'");
	} else if (tok_is(p, t, "exclude") || tok_is(p, t, "excl")) {
		r = fail(p, t, "'exclude' goes before the expression, with the state clauses");
	} else {
		r = fail(p, t, "expected a condition: src, dst, sport, dport, state, not or '('");
	}
	p->depth--;
	return r;
}

/* Conditions joined by and/or, or side by side (and), from left to right
 * with no precedence between and and or, as ss's grammar has it. */
static int parse_list(struct parser *p)
{
	int left = parse_term(p);

	while (left >= 0) {
		struct tok t = peek(p);
		enum node_kind kind = N_AND;
		int right;

		if (t.len == 0 || tok_is(p, t, ")"))
			break;
		if (tok_any(p, t, and_words) || tok_any(p, t, or_words)) {
			kind = tok_any(p, t, or_words) ? N_OR : N_AND;
			take(p);
		}
		right = parse_term(p);
		if (right < 0)
			return right;
		left = add_op(p, t, kind, left, right);
	}
	return left;
}

/* Leading "state X" / "exclude X" clauses, as ss reads them: state adds
 * to an empty set, exclude takes from the full one. */
static int parse_state_clauses(struct parser *p)
{
	bool seen = false;

	for (;;) {
		struct tok t = peek(p);
		bool excl = tok_is(p, t, "exclude") || tok_is(p, t, "excl");
		unsigned bits;
		int r;

		if (!excl && !tok_is(p, t, "state"))
			break;
		take(p);
		r = parse_state(p, t, &bits);
		if (r < 0)
			return r;
		if (!seen)
			p->e->states = excl ? WHOSOCK_STATES_ALL : 0;
		seen = true;
		if (excl)
			p->e->states &= ~bits;
		else
			p->e->states |= bits;
		if (!p->e->states)
			return fail(p, t, "the state clauses leave no state to match");
	}
	return 0;
}

/* ---- bytecode ---- */

/* Size of node i compiled, or -1 when it cannot be. */
static long bc_size(const struct whosock_expr *e, int i)
{
	const struct node *n = &e->nodes[i];
	long a, b;

	switch (n->kind) {
	case N_AND:
	case N_OR:
		a = bc_size(e, n->a);
		b = bc_size(e, n->b);
		return a < 0 || b < 0 ? -1 : a + b + (n->kind == N_OR ? 4 : 0);
	case N_NOT:
		a = bc_size(e, n->a);
		return a < 0 ? -1 : a + 4;
	case N_SRC:
	case N_DST:
		return (long)(sizeof(struct inet_diag_bc_op) + sizeof(struct inet_diag_hostcond)) +
		       (n->c.family == AF_INET6 ? 16 : n->c.family == AF_INET ? 4 : 0);
	case N_STATE:
		return -1; /* the bytecode has no state test */
	default:
		return 2 * sizeof(struct inet_diag_bc_op);
	}
}

static void put_op(uint8_t *bc, size_t pos, uint8_t code, size_t yes, size_t no)
{
	struct inet_diag_bc_op op = { .code = code, .yes = (uint8_t)yes, .no = (uint16_t)no };

	memcpy(bc + pos, &op, sizeof(op));
}

/* Emit node i at pos: it falls through when true and jumps to fail (an
 * absolute offset past pos) when false. Every op's "yes" is its own length,
 * so the kernel's audit, which walks the "yes" chain, visits every op and
 * every jump lands on one. */
static void bc_emit(const struct whosock_expr *e, int i, uint8_t *bc, size_t pos, size_t fail_at)
{
	static const uint8_t port_codes[] = {
		[N_SGE] = INET_DIAG_BC_S_GE, [N_SLE] = INET_DIAG_BC_S_LE,
		[N_DGE] = INET_DIAG_BC_D_GE, [N_DLE] = INET_DIAG_BC_D_LE,
	};
	const struct node *n = &e->nodes[i];
	size_t sa, len;

	switch (n->kind) {
	case N_AND:
		sa = (size_t)bc_size(e, n->a);
		bc_emit(e, n->a, bc, pos, fail_at);
		bc_emit(e, n->b, bc, pos + sa, fail_at);
		break;
	case N_OR:
		sa = (size_t)bc_size(e, n->a);
		len = sa + 4 + (size_t)bc_size(e, n->b);
		bc_emit(e, n->a, bc, pos, pos + sa + 4);
		put_op(bc, pos + sa, INET_DIAG_BC_JMP, 4, len - sa); /* a held: past b */
		bc_emit(e, n->b, bc, pos + sa + 4, fail_at);
		break;
	case N_NOT:
		sa = (size_t)bc_size(e, n->a);
		bc_emit(e, n->a, bc, pos, pos + sa + 4);
		put_op(bc, pos + sa, INET_DIAG_BC_JMP, 4, fail_at - (pos + sa)); /* a held: fail */
		break;
	case N_SRC:
	case N_DST: {
		struct inet_diag_hostcond hc;
		size_t alen = n->c.family == AF_INET6 ? 16 : n->c.family == AF_INET ? 4 : 0;

		/* Its padding goes to the kernel too: zeroed, not left as it was. */
		memset(&hc, 0, sizeof(hc));
		hc.family = n->c.family;
		hc.prefix_len = n->c.prefix;
		hc.port = n->c.port;
		len = sizeof(struct inet_diag_bc_op) + sizeof(hc) + alen;
		put_op(bc, pos, n->kind == N_SRC ? INET_DIAG_BC_S_COND : INET_DIAG_BC_D_COND, len,
		       fail_at - pos);
		memcpy(bc + pos + sizeof(struct inet_diag_bc_op), &hc, sizeof(hc));
		memcpy(bc + pos + sizeof(struct inet_diag_bc_op) + sizeof(hc), n->c.addr, alen);
		break;
	}
	default:
		/* The port is the "no" of a second op. */
		put_op(bc, pos, port_codes[n->kind], 8, fail_at - pos);
		put_op(bc, pos + 4, 0, 0, (size_t)n->c.port);
		break;
	}
}

static int compile(struct whosock_expr *e)
{
	long size;

	if (e->root < 0)
		return 0;
	size = bc_size(e, e->root);
	if (size < 0 || size > MAX_BYTECODE)
		return 0; /* checked after the dump instead */
	e->bc = calloc(1, (size_t)size);
	if (!e->bc)
		return -ENOMEM;
	e->bc_len = (size_t)size;
	/* Past the end by 4 is the kernel's "rejected". */
	bc_emit(e, e->root, e->bc, 0, (size_t)size + 4);
	return 0;
}

/* ---- public ---- */

int whosock_expr_parse(const char *text, struct whosock_expr **out, struct whosock_expr_error *err)
{
	struct whosock_expr *e;
	struct parser p = { .text = text, .err = err };
	int r = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!text || !out)
		return -EINVAL;
	if (strlen(text) > WHOSOCK_EXPR_MAX) {
		p.text = "";
		return fail(&p, (struct tok){ WHOSOCK_EXPR_MAX, 0 }, "expression too long (more "
			    "than %u bytes)", WHOSOCK_EXPR_MAX);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->root = -1;
	p.e = e;
	r = parse_state_clauses(&p);
	if (r == 0 && peek(&p).len) {
		r = parse_list(&p);
		if (r >= 0) {
			struct tok t = peek(&p);

			e->root = r;
			r = t.len ? fail(&p, t, tok_is(&p, t, ")") ? "unexpected ')'"
								    : "unexpected token")
				  : 0;
		}
	}
	if (r >= 0)
		r = compile(e);
	if (r < 0) {
		whosock_expr_free(e);
		return r;
	}
	*out = e;
	return 0;
}

void whosock_expr_free(struct whosock_expr *e)
{
	if (!e)
		return;
	free(e->nodes);
	free(e->bc);
	free(e);
}

static bool bits_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (!rest)
		return true;
	return ((a[bytes] ^ b[bytes]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

static bool is_inet(const struct whosock_socket *s)
{
	return s->family == AF_INET || s->family == AF_INET6;
}

/* The kernel's S_COND/D_COND: port, then family (an IPv4 condition also
 * takes a v4-mapped IPv6 address), then the prefix. */
static bool cond_match(const struct cond *c, const struct whosock_socket *s, bool src)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct whosock_endpoint *ep = src ? &s->local : &s->remote;

	if (c->port >= 0 && c->port != ep->port)
		return false;
	if (c->family == AF_UNSPEC)
		return true;
	if (c->family != s->family)
		return s->family == AF_INET6 && c->family == AF_INET &&
		       memcmp(ep->addr, mapped, 12) == 0 && bits_match(ep->addr + 12, c->addr, c->prefix);
	return bits_match(ep->addr, c->addr, c->prefix);
}

static bool eval(const struct whosock_expr *e, int i, const struct whosock_socket *s)
{
	const struct node *n = &e->nodes[i];

	switch (n->kind) {
	case N_AND:
		return eval(e, n->a, s) && eval(e, n->b, s);
	case N_OR:
		return eval(e, n->a, s) || eval(e, n->b, s);
	case N_NOT:
		return !eval(e, n->a, s);
	case N_STATE:
		return filter_state_matches(n->states, s);
	case N_SRC:
	case N_DST:
		return is_inet(s) && cond_match(&n->c, s, n->kind == N_SRC);
	case N_SGE:
		return is_inet(s) && s->local.port >= n->c.port;
	case N_SLE:
		return is_inet(s) && s->local.port <= n->c.port;
	case N_DGE:
		return is_inet(s) && s->remote.port >= n->c.port;
	default:
		return is_inet(s) && s->remote.port <= n->c.port;
	}
}

bool whosock_expr_match(const struct whosock_expr *e, const struct whosock_socket *s)
{
	if (e->states && !filter_state_matches(e->states, s))
		return false;
	return e->root < 0 || eval(e, e->root, s);
}

unsigned whosock_expr_states(const struct whosock_expr *e)
{
	return e->states;
}

int whosock_expr_bytecode(const struct whosock_expr *e, const void **code)
{
	if (e->root < 0)
		return 0;
	if (!e->bc)
		return -EOPNOTSUPP;
	*code = e->bc;
	return (int)e->bc_len;
}
