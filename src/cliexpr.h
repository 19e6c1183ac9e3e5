/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line's filter expression: which trailing arguments form it,
 * joining them, and the parse error with a caret under the bad token. */
#ifndef WHOSOCK_CLIEXPR_H
#define WHOSOCK_CLIEXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "whosock/whosock.h"

/* Whether a trailing argument begins a filter expression: its first word is
 * one of ss's keywords, or it starts with '(' or '!' (a query never does). */
bool cliexpr_starts(const char *arg);

/* Join args[0..n) with spaces (as ss does) and parse them. Returns 0 with
 * *expr and *text (the joined text; the caller frees both), or -EINVAL with
 * a message in err: for a parse error three lines (the reason, the text
 * around the bad token escaped for the terminal, carets under the token);
 * -ENOMEM with "out of memory". *expr and *text are untouched on failure. */
int cliexpr_parse(int n, char **args, struct whosock_expr **expr, char **text, char *err,
		  size_t errlen);

#endif
