/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "escape.h"
#include "textesc.h"

static const char hex[] = "0123456789abcdef";

size_t esc_term(struct sbuf *b, const char *str, size_t len)
{
	size_t width = 0;

	for (size_t i = 0; i < len;) {
		char esc[ESCAPE_UNIT_MAX];
		size_t esc_len, n = escape_unit(str + i, len - i, esc, &esc_len);

		if (esc_len) {
			sbuf_add(b, esc, esc_len);
			width += esc_len;
		} else {
			sbuf_add(b, str + i, n);
			width++;
		}
		i += n;
	}
	return width;
}

void esc_json(struct sbuf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	sbuf_putc(b, '"');
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n;

		/* Fast path for the common run of plain ASCII. */
		if (s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') {
			sbuf_putc(b, (char)s[i++]);
			continue;
		}
		n = escape_utf8_decode(s + i, len - i, &cp);
		if (n == 0) {
			char e[6] = { '\\', 'u', 'd', 'c', hex[s[i] >> 4], hex[s[i] & 15] };

			sbuf_add(b, e, sizeof(e));
			i++;
			continue;
		}
		if (n > 1) {
			sbuf_add(b, str + i, n);
		} else if (cp == '"' || cp == '\\') {
			sbuf_putc(b, '\\');
			sbuf_putc(b, (char)cp);
		} else if (cp == '\n') {
			sbuf_add(b, "\\n", 2);
		} else if (cp == '\t') {
			sbuf_add(b, "\\t", 2);
		} else if (cp == '\r') {
			sbuf_add(b, "\\r", 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[cp >> 4], hex[cp & 15] };

			sbuf_add(b, e, sizeof(e));
		}
		i += n;
	}
	sbuf_putc(b, '"');
}

void esc_csv(struct sbuf *b, const char *s, size_t len)
{
	struct sbuf tmp = { 0 };
	bool quote;

	esc_term(&tmp, s, len);
	if (tmp.failed) {
		b->failed = true;
		sbuf_free(&tmp);
		return;
	}
	quote = tmp.len && (memchr(tmp.data, ',', tmp.len) || memchr(tmp.data, '"', tmp.len) ||
			    tmp.data[0] == ' ' || tmp.data[tmp.len - 1] == ' ');
	if (!quote) {
		sbuf_add(b, tmp.data, tmp.len);
	} else {
		sbuf_putc(b, '"');
		for (size_t i = 0; i < tmp.len; i++) {
			if (tmp.data[i] == '"')
				sbuf_putc(b, '"');
			sbuf_putc(b, tmp.data[i]);
		}
		sbuf_putc(b, '"');
	}
	sbuf_free(&tmp);
}

void esc_prom(struct sbuf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = escape_utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			/* Prometheus wants UTF-8: an invalid byte reads "\xNN". */
			char e[5] = { '\\', '\\', 'x', hex[s[i] >> 4], hex[s[i] & 15] };

			sbuf_add(b, e, sizeof(e));
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			sbuf_putc(b, '\\');
			sbuf_putc(b, (char)cp);
		} else if (cp == '\n') {
			sbuf_add(b, "\\n", 2);
		} else {
			sbuf_add(b, str + i, n);
		}
		i += n;
	}
}
