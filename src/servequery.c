/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servequery.h"
#include "textesc.h"

/* The listing's filters as parameters: each becomes the option it names
 * and cli_parse() reads them, so a parameter means exactly what the option
 * does (filters live in one place). */
#define EP_SOCKETS (1u << SERVE_SOCKETS)
#define EP_TOP (1u << SERVE_TOP)
#define EP_DEPS (1u << SERVE_DEPS)
#define EP_LISTING (EP_SOCKETS | EP_TOP)

static const struct {
	const char *key, *option; /* option NULL: a flag or positional, below */
	bool secret;              /* needs --expose-cmdline */
	unsigned eps;             /* the endpoints taking it */
} params[] = {
	{ "port", "--port", false, EP_LISTING },
	{ "state", "--state", false, EP_LISTING },
	{ "proto", "--query", false, EP_LISTING },
	{ "pid", "--pid", false, EP_LISTING },
	{ "user", "--user", false, EP_LISTING | EP_DEPS },
	{ "comm", "--comm", false, EP_LISTING | EP_DEPS },
	{ "netns", "--netns", false, EP_LISTING | EP_DEPS },
	{ "container", "--container", false, EP_LISTING | EP_DEPS },
	{ "cmdline", "--cmdline", true, EP_LISTING },
	{ "format", "--output", false, EP_LISTING | EP_DEPS },
	{ "by", "--by", false, EP_TOP | EP_DEPS },
	{ "service", "--service", false, EP_DEPS },
	{ "listening", NULL, false, EP_LISTING },
	{ "family", NULL, false, EP_LISTING },
	{ "host_only", NULL, false, EP_LISTING },
	{ "local", NULL, false, EP_LISTING },
	{ "expr", NULL, false, EP_LISTING },
};

static int fail(char *err, size_t errlen, const char *what, const char *key)
{
	struct sbuf b = { 0 };

	sbuf_puts(&b, what);
	if (key) {
		sbuf_puts(&b, " '");
		esc_term(&b, key, strnlen(key, 64));
		sbuf_putc(&b, '\'');
	}
	if (b.failed)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "%.*s", (int)b.len, b.data);
	sbuf_free(&b);
	return -EINVAL;
}

static bool is_true(const char *v)
{
	return !v || !*v || strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
}

/* Decimal digits only, at most max. */
static int number(const char *v, unsigned long long max, unsigned long long *out)
{
	unsigned long long x = 0;

	if (!v || !*v)
		return -EINVAL;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || x > (max - (unsigned long long)(*p - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (unsigned long long)(*p - '0');
	}
	*out = x;
	return 0;
}

static int parse_events(const char *const *keys, const char *const *values, size_t n,
			struct serve_query *q, char *err, size_t errlen)
{
	struct serve_query out = { 0 };
	unsigned long long v;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i], "since") == 0) {
			if (number(values[i], UINT64_MAX, &v) < 0)
				return fail(err, errlen, "since must be a sequence number", NULL);
			out.since = v;
		} else if (strcmp(keys[i], "limit") == 0) {
			if (number(values[i], 1000000000, &v) < 0 || v == 0)
				return fail(err, errlen, "limit must be a number of events, 1 or more",
					    NULL);
			out.limit = (long)v;
		} else {
			return fail(err, errlen, "unknown parameter (since, limit)", keys[i]);
		}
	}
	*q = out;
	return 0;
}

/* An argv for cli_parse(): options first, then "--", the [ADDR]:PORT
 * queries and the expression. */
struct args {
	char *v[2 * SERVEQ_MAX_PARAMS + 8];
	size_t n;
	char *owned[2 * SERVEQ_MAX_PARAMS + 8];
	size_t n_owned;
};

static int arg_add(struct args *a, const char *s, const char *value)
{
	size_t len = strlen(s) + (value ? strlen(value) + 1 : 0) + 1;
	char *copy = malloc(len);

	if (!copy)
		return -ENOMEM;
	snprintf(copy, len, value ? "%s=%s" : "%s", s, value ? value : "");
	a->owned[a->n_owned++] = copy;
	a->v[a->n++] = copy;
	return 0;
}

/* The command whose options an endpoint's parameters are. */
static const char *const commands[] = { [SERVE_TOP] = "top", [SERVE_DEPS] = "deps" };

static int parse_cli(const char *const *keys, const char *const *values, size_t n,
		     enum serve_endpoint ep, bool expose_cmdline, struct serve_query *q, char *err,
		     size_t errlen)
{
	struct args a = { .n = 0 };
	const char *positional[SERVEQ_MAX_PARAMS], *expr = NULL;
	size_t n_pos = 0;
	bool format = false;
	int r = arg_add(&a, "whosock", NULL);

	if (r == 0 && ep != SERVE_SOCKETS)
		r = arg_add(&a, commands[ep], NULL);

	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *k = keys[i], *v = values[i];
		size_t p = 0;

		while (p < sizeof(params) / sizeof(params[0]) && strcmp(params[p].key, k) != 0)
			p++;
		if (p == sizeof(params) / sizeof(params[0]) || !(params[p].eps & (1u << ep))) {
			r = fail(err, errlen, "unknown parameter", k);
			break;
		}
		if (params[p].secret && !expose_cmdline) {
			r = fail(err, errlen, "command lines are not exposed (whosock serve "
				 "--expose-cmdline): no parameter", k);
			break;
		}
		if (params[p].option) {
			if (!v) {
				r = fail(err, errlen, "parameter needs a value:", k);
				break;
			}
			format |= strcmp(k, "format") == 0;
			r = arg_add(&a, params[p].option, v);
		} else if (strcmp(k, "listening") == 0 || strcmp(k, "host_only") == 0) {
			if (!is_true(v))
				r = fail(err, errlen, "a flag takes no value, 1 or true:", k);
			else
				r = arg_add(&a, k[0] == 'l' ? "--listening" : "--host-only", NULL);
		} else if (strcmp(k, "family") == 0) {
			bool four = v && (strcmp(v, "4") == 0 || strcmp(v, "inet") == 0);
			bool six = v && (strcmp(v, "6") == 0 || strcmp(v, "inet6") == 0);

			if (!four && !six)
				r = fail(err, errlen, "family is 4 (inet) or 6 (inet6)", NULL);
			else
				r = arg_add(&a, four ? "-4" : "-6", NULL);
		} else if (!v || !*v) {
			r = fail(err, errlen, "parameter needs a value:", k);
		} else if (strcmp(k, "local") == 0) {
			positional[n_pos++] = v;
		} else if (expr) {
			r = fail(err, errlen, "expr given twice", NULL);
		} else {
			expr = v;
		}
	}
	if (r == 0 && !format)
		r = arg_add(&a, "--output=json", NULL);
	if (r == 0 && (n_pos || expr))
		r = arg_add(&a, "--", NULL);
	for (size_t i = 0; r == 0 && i < n_pos; i++)
		r = arg_add(&a, positional[i], NULL);
	if (r == 0 && expr)
		r = arg_add(&a, expr, NULL);
	if (r == 0) {
		struct serve_query out = { 0 };

		a.v[a.n] = NULL;
		r = cli_parse((int)a.n, a.v, &out.cli, err, errlen);
		if (r == 0 && out.cli.format != OUTPUT_JSON && out.cli.format != OUTPUT_NDJSON) {
			cli_free(&out.cli);
			r = fail(err, errlen, "format is json or ndjson", NULL);
		} else if (r == 0 && ep == SERVE_TOP && out.cli.top_by_set & (out.cli.top_by_set - 1)) {
			cli_free(&out.cli);
			r = fail(err, errlen, "by takes one grouping", NULL);
		}
		if (r == 0)
			*q = out;
	} else if (r == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < a.n_owned; i++)
		free(a.owned[i]);
	return r;
}

int serve_query_parse(const char *const *keys, const char *const *values, size_t n,
		      enum serve_endpoint ep, bool expose_cmdline, struct serve_query *q,
		      char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (n > SERVEQ_MAX_PARAMS)
		return fail(err, errlen, "too many parameters", NULL);
	for (size_t i = 0; i < n; i++)
		if (strlen(keys[i]) > 64 || (values[i] && strlen(values[i]) > SERVEQ_MAX_VALUE))
			return fail(err, errlen, "parameter too long", NULL);
	if (ep == SERVE_EVENTS)
		return parse_events(keys, values, n, q, err, errlen);
	if (ep == SERVE_SOCKETS || ep == SERVE_TOP || ep == SERVE_DEPS)
		return parse_cli(keys, values, n, ep, expose_cmdline, q, err, errlen);
	if (n)
		return fail(err, errlen, "no parameters here", NULL);
	memset(q, 0, sizeof(*q));
	return 0;
}

static int hexval(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - digits) : -1;
}

/* Decode s[0..len) into out (len + 1 bytes). Returns 0, or -EINVAL for a
 * bad or NUL escape. */
static int decode(const char *s, size_t len, char *out)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[w++] = ' ';
		} else if (s[i] == '%') {
			int hi = i + 1 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			out[w++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[w++] = s[i];
		}
	}
	out[w] = '\0';
	return 0;
}

int serve_query_parse_string(const char *query, enum serve_endpoint ep, bool expose_cmdline,
			     struct serve_query *q, char *err, size_t errlen)
{
	char *keys[SERVEQ_MAX_PARAMS + 1], *values[SERVEQ_MAX_PARAMS + 1];
	size_t n = 0;
	int r = 0;

	for (const char *p = query; *p && r == 0;) {
		size_t len = strcspn(p, "&"), klen = strcspn(p, "=&");

		if (len == 0) { /* "a&&b": nothing between */
			p++;
			continue;
		}
		if (n == SERVEQ_MAX_PARAMS + 1) {
			r = fail(err, errlen, "too many parameters", NULL);
			break;
		}
		keys[n] = malloc(klen + 1);
		values[n] = klen < len ? malloc(len - klen) : NULL;
		if (!keys[n] || (klen < len && !values[n])) {
			free(keys[n]);
			free(values[n]);
			snprintf(err, errlen, "out of memory");
			r = -ENOMEM;
			break;
		}
		n++;
		if (decode(p, klen, keys[n - 1]) < 0 ||
		    (values[n - 1] && decode(p + klen + 1, len - klen - 1, values[n - 1]) < 0))
			r = fail(err, errlen, "bad percent escape in the query", NULL);
		p += len;
		if (*p)
			p++;
	}
	if (r == 0)
		r = serve_query_parse((const char *const *)keys, (const char *const *)values, n,
				      ep, expose_cmdline, q, err, errlen);
	for (size_t i = 0; i < n; i++) {
		free(keys[i]);
		free(values[i]);
	}
	return r;
}

void serve_query_free(struct serve_query *q)
{
	if (q)
		cli_free(&q->cli);
}
