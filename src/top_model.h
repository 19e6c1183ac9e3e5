/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the live view shows: the meter's rows as columns of text (escaped
 * for the terminal, owned here, so a paused view outlives the rows), in
 * the order of the sort column. */
#ifndef WHOSOCK_SRC_TOP_MODEL_H
#define WHOSOCK_SRC_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "whosock/traffic.h"

#define TOP_MAX_COLS 10
#define TOP_NUM_COLS 5 /* SENT/s RECV/s SENT RECV CONNS come first in every view */

struct top_col {
	const char *name;
	int width;   /* at 80 columns; the last column takes what is left */
	bool number; /* right-aligned, sorted by value, biggest first */
};

struct top_vrow {
	uint64_t num[TOP_NUM_COLS]; /* rates in bytes/s, totals in bytes, connections */
	char *text[TOP_MAX_COLS];   /* the other columns' text, escaped (NULL: "-") */
	int pid;                    /* the process (0: none) */
	size_t order;               /* the library's order, for ties */
};

struct top_model {
	int by;
	const struct top_col *cols;
	size_t n_cols;
	struct top_vrow *rows;
	size_t n_rows;
	uint64_t sent_rate, received_rate; /* every socket counted, bytes/s */
	uint64_t sockets;                  /* connections open */
	uint64_t interval_ms;
};

/* The columns of a view. */
const struct top_col *top_columns(int by, size_t *n);

/* Fill model from the meter's last interval in view by; only_pid (not 0):
 * only the rows of that process. Returns 0 or -ENOMEM (model untouched). */
int top_model_build(struct top_model *model, const struct whosock_meter *m, int by, int only_pid);

/* Order the rows by column col (reverse: the other way round). */
void top_model_sort(struct top_model *model, size_t col, bool reverse);

void top_model_free(struct top_model *model);

/* A rate or a count of bytes in human units into buf: "512", "12.3K",
 * "4.0M" (bytes: powers of 1024), or with bits, bits (powers of 1000). */
void top_human(char *buf, size_t len, uint64_t bytes, bool bits);

#endif
