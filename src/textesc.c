/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "textesc.h"

static const char hex[] = "0123456789abcdef";

/* Decode one UTF-8 sequence at s. Returns its length (1..4) and the code
 * point, or 0 when it is not valid UTF-8 (overlong, surrogate, > U+10FFFF,
 * truncated). */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Code points that move the cursor or reorder text: never shown raw. */
static bool invisible_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

static void put_xbyte(struct sbuf *b, unsigned char c)
{
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	sbuf_add(b, e, sizeof(e));
}

size_t esc_term(struct sbuf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t width = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f))) {
			put_xbyte(b, s[i]);
			width += 4;
			i++;
			continue;
		}
		if (cp == '\\') {
			sbuf_add(b, "\\\\", 2);
			width += 2;
		} else if (invisible_control(cp)) {
			char e[12] = "\\u{";
			size_t k = 3;

			for (int shift = cp > 0xffff ? 16 : 12; shift >= 0; shift -= 4)
				e[k++] = hex[cp >> shift & 15];
			e[k++] = '}';
			sbuf_add(b, e, k);
			width += k;
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
		n = utf8_decode(s + i, len - i, &cp);
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
