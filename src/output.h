/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The present phase: a snapshot rendered as a table, JSON, NDJSON or CSV. */
#ifndef WHOSOCK_OUTPUT_H
#define WHOSOCK_OUTPUT_H

#include "cli.h"
#include "sbuf.h"

/* Append the rendering of every socket in snap to out, in cli->format, with
 * cli->header and cli->extended; with a sink (sbuf_set_sink()) it is written
 * out as it goes and flushed at the end. Returns 0, -ENOMEM when the buffer
 * could not grow, or the sink's write error. */
int output_render(struct sbuf *out, const struct whosock_snapshot *snap, const struct cli *cli);

/* One socket as a JSON object (the DESIGN.md contract), no newline. */
void output_json_socket(struct sbuf *out, const struct whosock_socket *s);

#endif
