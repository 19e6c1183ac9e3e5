/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The filter expression of the command line (see cliexpr.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliexpr.h"
#include "sbuf.h"
#include "textesc.h"

bool cliexpr_starts(const char *arg)
{
	static const char *const words[] = { "state", "exclude", "excl", "src", "dst", "sport",
					     "dport", "not", "dev", "fwmark", "cgroup",
					     "autobound", NULL };
	size_t len;

	arg += strspn(arg, " \t\n");
	if (*arg == '(' || *arg == '!')
		return true;
	len = strcspn(arg, " \t\n()");
	for (const char *const *w = words; *w; w++)
		if (strlen(*w) == len && strncmp(arg, *w, len) == 0)
			return true;
	return false;
}

static int nomem(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

/* The reason, the expression (at most 40 bytes either side of the token,
 * escaped for the terminal) and carets under the token, one per byte. */
static int error_message(const char *text, const struct whosock_expr_error *e, char *err,
			 size_t errlen)
{
	struct sbuf b = { 0 }, pre = { 0 };
	size_t len = strlen(text), off = e->offset < len ? e->offset : len, from = 0, to = len;
	size_t tok = e->length ? e->length : 1;

	if (off > 40)
		from = off - 40;
	if (to > off + e->length + 40)
		to = off + e->length + 40;
	sbuf_puts(&b, "invalid filter expression: ");
	sbuf_puts(&b, e->message);
	sbuf_puts(&b, "\n  ");
	if (from)
		sbuf_puts(&b, "...");
	esc_term(&b, text + from, to - from);
	if (to < len)
		sbuf_puts(&b, "...");
	sbuf_puts(&b, "\n  ");
	esc_term(&pre, text + from, off - from);
	for (size_t i = 0; i < pre.len + (from ? 3 : 0); i++)
		sbuf_putc(&b, ' ');
	for (size_t i = 0; i < tok && i < 80; i++)
		sbuf_putc(&b, '^');
	if (b.failed || pre.failed || !b.data) {
		sbuf_free(&b);
		sbuf_free(&pre);
		return nomem(err, errlen);
	}
	snprintf(err, errlen, "%.*s", (int)b.len, b.data);
	sbuf_free(&b);
	sbuf_free(&pre);
	return -EINVAL;
}

int cliexpr_parse(int n, char **args, struct whosock_expr **expr, char **text, char *err,
		  size_t errlen)
{
	struct whosock_expr_error e;
	struct whosock_expr *x;
	size_t len = 0, used = 0;
	char *t;
	int r;

	for (int i = 0; i < n; i++)
		len += strlen(args[i]) + 1;
	if (len > WHOSOCK_EXPR_MAX) {
		snprintf(err, errlen, "filter expression too long (more than %u bytes)",
			 WHOSOCK_EXPR_MAX);
		return -EINVAL;
	}
	t = malloc(len + 1);
	if (!t)
		return nomem(err, errlen);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(args[i]);

		if (i)
			t[used++] = ' ';
		memcpy(t + used, args[i], l);
		used += l;
	}
	t[used] = '\0';
	r = whosock_expr_parse(t, &x, &e);
	if (r < 0) {
		r = r == -ENOMEM ? nomem(err, errlen) : error_message(t, &e, err, errlen);
		free(t);
		return r;
	}
	*expr = x;
	*text = t;
	return 0;
}
