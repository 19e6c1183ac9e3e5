/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An aligned text table, rendered in two passes over the rows: the first
 * measures every cell, the second writes them padded to the widest. Nothing
 * is kept between the passes, so a table of any size costs one row of memory
 * (rows are produced twice instead). */
#ifndef WHOSOCK_TABLE_H
#define WHOSOCK_TABLE_H

#include <stdbool.h>

#include "sbuf.h"

#define TABLE_MAX_COLS 40

struct table;

/* Produce row `row`: for each column in order, append its text to
 * table_cell(t) (raw for trusted text such as numbers, through
 * table_cell_text() for anything else) and close it with table_cell_end(t).
 * It must produce the same text in both passes. */
typedef void table_row_fn(struct table *t, size_t row, void *ctx);

/* Render nrows rows under headers (NULL-terminated, at most TABLE_MAX_COLS)
 * into out, with the header line when header is set; out is flushed to its
 * sink as it fills. The last column is not padded. */
void table_render(const char *const *headers, size_t nrows, table_row_fn *row, void *ctx,
		  struct sbuf *out, int header);

struct sbuf *table_cell(struct table *t);
/* Whether the current cell's text is used: not while measuring the last
 * column, which is not padded (the row may then leave the cell empty). */
bool table_cell_wanted(const struct table *t);
void table_cell_text(struct table *t, const char *s, size_t len);
void table_cell_end(struct table *t);
/* Colour the current cell with an SGR sequence ("32" green, "1;31" bold red;
 * a static string), written around the text but not counted in its width;
 * NULL: none. Only for a table meant for a terminal. */
void table_cell_color(struct table *t, const char *sgr);

#endif
