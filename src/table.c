/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "table.h"
#include "textesc.h"

struct table_cell {
	size_t off, len, width;
};

void table_init(struct table *t, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	while (t->ncols < TABLE_MAX_COLS && headers[t->ncols]) {
		t->headers[t->ncols] = headers[t->ncols];
		t->widths[t->ncols] = strlen(headers[t->ncols]);
		t->ncols++;
	}
}

void table_free(struct table *t)
{
	sbuf_free(&t->text);
	sbuf_free(&t->cells);
	sbuf_free(&t->cur);
}

struct sbuf *table_cell(struct table *t)
{
	return &t->cur;
}

void table_cell_text(struct table *t, const char *s, size_t len)
{
	esc_term(&t->cur, s, len);
}

/* Terminal columns of text that is already escaped (valid UTF-8, no controls). */
static size_t text_width(const char *s, size_t len)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

void table_cell_end(struct table *t)
{
	struct table_cell c = { .off = t->text.len, .len = t->cur.len };
	size_t ncells = t->cells.len / sizeof(struct table_cell);
	size_t col = ncells % t->ncols;

	c.width = text_width(t->cur.data, t->cur.len);
	sbuf_add(&t->text, t->cur.data, t->cur.len);
	sbuf_add(&t->cells, (const char *)&c, sizeof(c));
	if (t->cur.failed)
		t->text.failed = true;
	t->cur.len = 0;
	if (c.width > t->widths[col])
		t->widths[col] = c.width;
}

static void put_cell(const struct table *t, struct sbuf *out, size_t col, const char *s,
		     size_t len, size_t width)
{
	sbuf_add(out, s, len);
	if (col + 1 < t->ncols)
		sbuf_pad(out, ' ', t->widths[col] - width + 2);
	else
		sbuf_putc(out, '\n');
}

void table_render(struct table *t, struct sbuf *out, int header)
{
	const struct table_cell *cells = (const struct table_cell *)(void *)t->cells.data;
	size_t ncells = t->cells.len / sizeof(struct table_cell);

	if (header)
		for (size_t col = 0; col < t->ncols; col++)
			put_cell(t, out, col, t->headers[col], strlen(t->headers[col]),
				 strlen(t->headers[col]));
	for (size_t i = 0; i < ncells; i++)
		put_cell(t, out, i % t->ncols, t->text.data + cells[i].off, cells[i].len,
			 cells[i].width);
}

int table_failed(const struct table *t)
{
	return t->text.failed || t->cells.failed || t->cur.failed;
}
