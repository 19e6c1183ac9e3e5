/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filter expressions in ss's syntax (the public whosock_expr_* functions in
 * whosock.h): parsed into a tree, matched against sockets as the kernel's
 * inet_diag bytecode interpreter would, and compiled into that bytecode.
 * filter.c applies them (whosock_filter_match), sockdiag.c sends the
 * bytecode with its dumps. */
#ifndef WHOSOCK_EXPR_H
#define WHOSOCK_EXPR_H

#include "whosock/whosock.h"

#endif
