/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * src/servequery.c: whosock serve's query strings (serve_query_parse_string,
 * hence serve_query_parse and cli_parse behind it), and src/textesc.c's
 * esc_prom (the label values of /metrics) on the same bytes.
 *
 * Byte 0: bits 0-1 the endpoint (sockets, events, plain), bit 2
 * --expose-cmdline; the rest, up to a NUL, the query string.
 */
#include <errno.h>

#include "escape.h"
#include "fuzz.h"
#include "servequery.h"
#include "textesc.h"

/* The label value as Prometheus reads it: valid UTF-8, no raw quote or
 * newline, every backslash starting \\, \" or \n. */
static void check_prom(const char *in, size_t len)
{
	struct sbuf b = { 0 };
	const unsigned char *s;
	size_t n_quotes = 0, n_in_quotes = 0;

	esc_prom(&b, in, len);
	FUZZ_CHECK(!b.failed);
	s = (const unsigned char *)b.data;
	for (size_t i = 0; i < b.len;) {
		uint32_t cp;
		size_t n = escape_utf8_decode(s + i, b.len - i, &cp);

		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(cp != '"' && cp != '\n');
		if (cp == '\\') {
			FUZZ_CHECK(i + 1 < b.len);
			FUZZ_CHECK(s[i + 1] == '\\' || s[i + 1] == '"' || s[i + 1] == 'n');
			n_quotes += s[i + 1] == '"';
			n = 2;
		}
		i += n;
	}
	for (size_t i = 0; i < len; i++)
		n_in_quotes += in[i] == '"';
	FUZZ_CHECK(n_quotes == n_in_quotes);
	sbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum serve_endpoint eps[] = { SERVE_SOCKETS, SERVE_EVENTS, SERVE_PLAIN,
						   SERVE_SOCKETS, SERVE_TOP, SERVE_DEPS,
						   SERVE_TOP, SERVE_DEPS };
	enum serve_endpoint ep = size ? eps[(data[0] & 3) | (data[0] >> 5 & 4)] : SERVE_SOCKETS;
	bool expose = size && (data[0] & 4);
	char *query = fuzz_strdup(size ? data + 1 : data, size ? size - 1 : 0);
	struct serve_query q, before;
	char err[512] = "";
	int r;

	check_prom((const char *)(size ? data + 1 : data), size ? size - 1 : 0);
	memset(&q, 0xa5, sizeof(q));
	before = q;
	r = serve_query_parse_string(query, ep, expose, &q, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r < 0) {
		FUZZ_CHECK(memcmp(&q, &before, sizeof(q)) == 0);
		FUZZ_CHECK(err[0] != '\0');
		for (const char *p = err; *p; p++)
			/* (An expression's error is three lines: reason, text, carets.) */
			FUZZ_CHECK(*p == '\n' || ((unsigned char)*p >= 0x20 && *p != 0x7f));
		free(query);
		return 0;
	}
	if (ep == SERVE_SOCKETS) {
		/* A listing, never -K, never another action; command line
		 * filters only when they may be shown. */
		FUZZ_CHECK(q.cli.action == CLI_LIST && !q.cli.kill);
		FUZZ_CHECK(q.cli.format == OUTPUT_JSON || q.cli.format == OUTPUT_NDJSON);
		FUZZ_CHECK(expose || q.cli.filter.n_cmdlines == 0);
		serve_query_free(&q);
	} else if (ep == SERVE_TOP || ep == SERVE_DEPS) {
		/* top's or deps' options, one grouping. */
		FUZZ_CHECK(q.cli.action == (ep == SERVE_TOP ? CLI_TOP : CLI_DEPS) && !q.cli.kill);
		FUZZ_CHECK(q.cli.format == OUTPUT_JSON || q.cli.format == OUTPUT_NDJSON);
		FUZZ_CHECK(ep == SERVE_DEPS || !(q.cli.top_by_set & (q.cli.top_by_set - 1)));
		FUZZ_CHECK(expose || q.cli.filter.n_cmdlines == 0);
		FUZZ_CHECK(ep == SERVE_TOP || q.cli.filter.n_pids == 0);
		serve_query_free(&q);
	} else if (ep == SERVE_EVENTS) {
		FUZZ_CHECK(q.limit >= 0);
		FUZZ_CHECK(strstr(query, "since") || q.since == 0);
	} else {
		FUZZ_CHECK(q.since == 0 && q.limit == 0);
	}
	free(query);
	return 0;
}
