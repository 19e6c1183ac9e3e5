/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An aligned text table: cells are escaped for the terminal as they are added,
 * widths are measured once, rows are printed padded to the widest cell. */
#ifndef WHOSOCK_TABLE_H
#define WHOSOCK_TABLE_H

#include "sbuf.h"

#define TABLE_MAX_COLS 8

struct table {
	size_t ncols;
	const char *headers[TABLE_MAX_COLS];
	size_t widths[TABLE_MAX_COLS];
	struct sbuf text;  /* every cell's escaped text, back to back */
	struct sbuf cells; /* per cell: struct table_cell */
	struct sbuf cur;   /* scratch for the cell being built */
};

/* Start a table with these column headers (NULL-terminated, at most TABLE_MAX_COLS). */
void table_init(struct table *t, const char *const *headers);
void table_free(struct table *t);

/* The cell being built: append raw bytes with table_cell_raw (trusted text
 * such as numbers and punctuation) or escaped bytes with table_cell_text,
 * then close it with table_cell_end. Cells fill rows left to right. */
struct sbuf *table_cell(struct table *t);
void table_cell_text(struct table *t, const char *s, size_t len);
void table_cell_end(struct table *t);

/* Append the whole table to out: header (if header is set), then rows. The
 * last column is not padded. */
void table_render(struct table *t, struct sbuf *out, int header);

/* True when some allocation failed along the way. */
int table_failed(const struct table *t);

#endif
