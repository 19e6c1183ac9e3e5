/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "table.h"
#include "textesc.h"

struct table {
	size_t ncols, col;
	bool measuring;
	size_t widths[TABLE_MAX_COLS];
	struct sbuf cell; /* the cell being built */
	const char *sgr;  /* its colour, or NULL */
	struct sbuf *out;
};

struct sbuf *table_cell(struct table *t)
{
	return &t->cell;
}

bool table_cell_wanted(const struct table *t)
{
	return !(t->measuring && t->col + 1 == t->ncols);
}

void table_cell_text(struct table *t, const char *s, size_t len)
{
	esc_term(&t->cell, s, len);
}

/* Terminal columns of text that is already escaped (valid UTF-8, no controls). */
static size_t text_width(const char *s, size_t len)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

static void put_cell(struct table *t, const char *s, size_t len)
{
	size_t width = text_width(s, len), col = t->col;

	t->col = (col + 1) % t->ncols;
	if (t->measuring) {
		if (width > t->widths[col])
			t->widths[col] = width;
		return;
	}
	if (t->sgr) {
		sbuf_puts(t->out, "\033[");
		sbuf_puts(t->out, t->sgr);
		sbuf_putc(t->out, 'm');
	}
	sbuf_add(t->out, s, len);
	if (t->sgr)
		sbuf_puts(t->out, "\033[0m");
	t->sgr = NULL;
	if (col + 1 < t->ncols) {
		sbuf_pad(t->out, ' ', t->widths[col] - width + 2);
	} else {
		sbuf_putc(t->out, '\n');
		sbuf_maybe_flush(t->out);
	}
}

void table_cell_end(struct table *t)
{
	if (t->cell.failed)
		t->out->failed = true;
	put_cell(t, t->cell.data ? t->cell.data : "", t->cell.len);
	t->cell.len = 0;
	t->sgr = NULL;
}

void table_cell_color(struct table *t, const char *sgr)
{
	t->sgr = sgr;
}

void table_render(const char *const *headers, size_t nrows, table_row_fn *row, void *ctx,
		  struct sbuf *out, int header)
{
	struct table t = { .out = out, .measuring = true };

	while (t.ncols < TABLE_MAX_COLS && headers[t.ncols]) {
		t.widths[t.ncols] = strlen(headers[t.ncols]);
		t.ncols++;
	}
	for (size_t i = 0; i < nrows; i++)
		row(&t, i, ctx);
	t.measuring = false;
	if (header)
		for (size_t col = 0; col < t.ncols; col++)
			put_cell(&t, headers[col], strlen(headers[col]));
	for (size_t i = 0; i < nrows && !out->failed; i++)
		row(&t, i, ctx);
	sbuf_free(&t.cell);
}
