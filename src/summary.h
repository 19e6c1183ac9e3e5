/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Views over the whole snapshot: -s (counts by protocol and state, per
 * namespace and per container) and --pids (the owners' pids). */
#ifndef WHOSOCK_SUMMARY_H
#define WHOSOCK_SUMMARY_H

#include "cli.h"
#include "sbuf.h"

/* Append the summary of snap to out: a table, or one JSON object with
 * cli->format OUTPUT_JSON. Returns 0, -ENOMEM, or the sink's error. */
int summary_render(struct sbuf *out, const struct whosock_snapshot *snap, const struct cli *cli);

/* Append every pid owning a socket of snap, once each, ascending, one per
 * line. Returns the number of pids, or -ENOMEM, or the sink's error. */
long pids_render(struct sbuf *out, const struct whosock_snapshot *snap);

#endif
