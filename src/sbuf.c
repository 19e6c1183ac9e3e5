/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "sbuf.h"

#define FLUSH_AT (64u * 1024u)

bool sbuf_reserve(struct sbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->cap - b->len >= n)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void sbuf_free(struct sbuf *b)
{
	free(b->data);
	*b = (struct sbuf){ 0 };
}

void sbuf_add(struct sbuf *b, const char *s, size_t len)
{
	if (len == 0 || !sbuf_reserve(b, len))
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_u64(struct sbuf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sbuf_add(b, tmp + i, sizeof(tmp) - i);
}

void sbuf_pad(struct sbuf *b, char c, size_t n)
{
	if (n == 0 || !sbuf_reserve(b, n))
		return;
	memset(b->data + b->len, c, n);
	b->len += n;
}

void sbuf_set_sink(struct sbuf *b, int fd)
{
	b->has_sink = true;
	b->sink_fd = fd;
}

int sbuf_flush(struct sbuf *b)
{
	size_t off = 0;

	if (!b->has_sink)
		return 0;
	if (b->sink_error)
		return -b->sink_error;
	while (off < b->len) {
		ssize_t n = write(b->sink_fd, b->data + off, b->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			b->sink_error = errno;
			b->failed = true;
			return -errno;
		}
		off += (size_t)n;
	}
	b->len = 0;
	return 0;
}

void sbuf_maybe_flush(struct sbuf *b)
{
	if (b->has_sink && b->len >= FLUSH_AT)
		sbuf_flush(b);
}
