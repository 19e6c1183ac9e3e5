/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A growable byte buffer for building output. A failed allocation sets
 * `failed` and drops further bytes, so callers check once at the end. With
 * a sink fd, sbuf_maybe_flush() writes the bytes out as they pile up, so
 * output of any size needs little memory. */
#ifndef WHOSOCK_SBUF_H
#define WHOSOCK_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
	char *data;
	size_t len, cap;
	bool failed;    /* out of memory, or the sink failed */
	bool has_sink;
	int sink_fd;
	int sink_error; /* errno of a failed write to the sink */
};

/* Send the contents to fd whenever sbuf_maybe_flush() or sbuf_flush() is called. */
void sbuf_set_sink(struct sbuf *b, int fd);
/* Write everything out to the sink. Returns 0 or a negative errno. */
int sbuf_flush(struct sbuf *b);
/* Write out if enough has piled up (and there is a sink). */
void sbuf_maybe_flush(struct sbuf *b);

/* Make room for n more bytes. Returns false (and sets failed) when out of memory. */
bool sbuf_reserve(struct sbuf *b, size_t n);
void sbuf_free(struct sbuf *b);

void sbuf_add(struct sbuf *b, const char *s, size_t len);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_u64(struct sbuf *b, uint64_t v);
void sbuf_pad(struct sbuf *b, char c, size_t n);

static inline void sbuf_putc(struct sbuf *b, char c)
{
	if (b->len < b->cap || sbuf_reserve(b, 1))
		b->data[b->len++] = c;
}

#endif
