/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "escape.h"
#include "whosock/whosock.h"

static const char hex[] = "0123456789abcdef";

size_t escape_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
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

size_t escape_unit(const char *str, size_t len, char esc[ESCAPE_UNIT_MAX], size_t *esc_len)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n = escape_utf8_decode(s, len, &cp), k = 3;

	if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f))) {
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[s[0] >> 4];
		esc[3] = hex[s[0] & 15];
		*esc_len = 4;
		return 1;
	}
	if (cp == '\\') {
		esc[0] = esc[1] = '\\';
		*esc_len = 2;
		return 1;
	}
	if (!invisible_control(cp)) {
		*esc_len = 0;
		return n;
	}
	memcpy(esc, "\\u{", 3);
	for (int shift = cp > 0xffff ? 16 : 12; shift >= 0; shift -= 4)
		esc[k++] = hex[cp >> shift & 15];
	esc[k++] = '}';
	*esc_len = k;
	return n;
}

size_t whosock_escape_term(char *dst, size_t cap, const char *src, size_t len)
{
	size_t need = 0, written = 0;
	bool full = cap == 0;

	for (size_t i = 0; i < len;) {
		char esc[ESCAPE_UNIT_MAX];
		size_t esc_len, n = escape_unit(src + i, len - i, esc, &esc_len);
		size_t out_len = esc_len ? esc_len : n;

		/* Whole units only: a cut escape or sequence would read as
		 * another text. */
		if (!full && written + out_len < cap) {
			memcpy(dst + written, esc_len ? esc : src + i, out_len);
			written += out_len;
		} else {
			full = true;
		}
		need += out_len;
		i += n;
	}
	if (cap)
		dst[written] = '\0';
	return need;
}
