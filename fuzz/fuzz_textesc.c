/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * src/textesc.c: esc_term(), esc_json() and esc_csv() over any bytes (an
 * exactly sized copy). Each output is checked for its promise:
 *  - terminal: valid UTF-8 with no C0/C1 control, DEL, line separator or bidi
 *    override; the returned width is its number of code points; and the
 *    escapes undo to the exact input bytes.
 *  - JSON: one valid JSON string (RFC 8259) that, read back with PEP 383
 *    surrogateescape (\udc80-\udcff are raw bytes), gives the exact input.
 *  - CSV: the terminal text, quoted (RFC 4180) when it holds a comma, a quote
 *    or a blank at either end.
 *  - libwhosock's whosock_escape_term(): the terminal text, within
 *    WHOSOCK_ESCAPE_TERM_MAX(size); into a smaller buffer, a prefix of it made of
 *    whole units, NUL-terminated.
 */
#include "fuzz.h"
#include "sbuf.h"
#include "textesc.h"
#include "whosock/whosock.h"

/* Decode one strict UTF-8 sequence (as RFC 3629); 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static size_t utf8_put(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n hex digits at s (each checked). */
static uint32_t hexn(const unsigned char *s, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = hexval(s[i]);

		FUZZ_CHECK(d >= 0);
		v = v << 4 | (unsigned)d;
	}
	return v;
}

static bool shown_raw_ok(uint32_t cp)
{
	return !(cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
		 cp == 0x2029 || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
		 (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff);
}

/* Check the terminal text and undo its escapes into out (room for len bytes
 * and more); returns the decoded length. */
static size_t check_term(const unsigned char *t, size_t len, size_t width, unsigned char *out)
{
	size_t points = 0, o = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_next(t + i, len - i, &cp);

		FUZZ_CHECK(n > 0);
		points++;
		if (cp != '\\') {
			FUZZ_CHECK(shown_raw_ok(cp));
			memcpy(out + o, t + i, n);
			o += n;
			i += n;
			continue;
		}
		FUZZ_CHECK(i + 1 < len);
		if (t[i + 1] == '\\') {
			out[o++] = '\\';
			i += 2;
			points++;
		} else if (t[i + 1] == 'x') {
			FUZZ_CHECK(i + 4 <= len);
			out[o++] = (unsigned char)hexn(t + i + 2, 2);
			i += 4;
			points += 3;
		} else {
			size_t k = i + 3;

			FUZZ_CHECK(t[i + 1] == 'u' && i + 2 < len && t[i + 2] == '{');
			while (k < len && t[k] != '}')
				k++;
			FUZZ_CHECK(k < len && k - (i + 3) >= 4 && k - (i + 3) <= 6);
			cp = hexn(t + i + 3, k - (i + 3));
			/* Only what may not be shown raw is spelled so. */
			FUZZ_CHECK(cp >= 0x80 && !shown_raw_ok(cp));
			o += utf8_put(cp, out + o);
			points += k - i;
			i = k + 1;
		}
	}
	FUZZ_CHECK(points == width);
	return o;
}

/* Check one JSON string and undo it (surrogateescape) into out. */
static size_t check_json(const unsigned char *j, size_t len, unsigned char *out)
{
	size_t o = 0, i = 1;

	FUZZ_CHECK(len >= 2 && j[0] == '"' && j[len - 1] == '"');
	len--;
	while (i < len) {
		uint32_t cp;
		size_t n;

		if (j[i] != '\\') {
			n = utf8_next(j + i, len - i, &cp);
			FUZZ_CHECK(n > 0 && cp >= 0x20 && cp != '"');
			memcpy(out + o, j + i, n);
			o += n;
			i += n;
			continue;
		}
		FUZZ_CHECK(i + 1 < len);
		switch (j[i + 1]) {
		case '"':
		case '\\':
		case '/':
			out[o++] = j[i + 1];
			i += 2;
			break;
		case 'b':
			out[o++] = '\b', i += 2;
			break;
		case 'f':
			out[o++] = '\f', i += 2;
			break;
		case 'n':
			out[o++] = '\n', i += 2;
			break;
		case 'r':
			out[o++] = '\r', i += 2;
			break;
		case 't':
			out[o++] = '\t', i += 2;
			break;
		case 'u':
			FUZZ_CHECK(i + 6 <= len);
			cp = hexn(j + i + 2, 4);
			i += 6;
			if (cp >= 0xdc80 && cp <= 0xdcff) {
				out[o++] = (unsigned char)(cp - 0xdc00); /* an escaped byte */
			} else {
				/* No other surrogate: every code point is whole. */
				FUZZ_CHECK(cp < 0xd800 || cp > 0xdfff);
				o += utf8_put(cp, out + o);
			}
			break;
		default:
			FUZZ_CHECK(!"invalid JSON escape");
		}
	}
	return o;
}

static void check_csv(const unsigned char *c, size_t len, const unsigned char *term,
		      size_t term_len)
{
	bool quote = term_len && (memchr(term, ',', term_len) || memchr(term, '"', term_len) ||
				  term[0] == ' ' || term[term_len - 1] == ' ');
	size_t k = 0;

	if (!quote) {
		FUZZ_CHECK(len == term_len && (len == 0 || memcmp(c, term, len) == 0));
		return;
	}
	FUZZ_CHECK(len >= 2 && c[0] == '"' && c[len - 1] == '"');
	for (size_t i = 1; i < len - 1; i++) {
		FUZZ_CHECK(k < term_len && c[i] == term[k]);
		if (c[i] == '"') {
			FUZZ_CHECK(c[i + 1] == '"' && i + 1 < len - 1);
			i++;
		}
		k++;
	}
	FUZZ_CHECK(k == term_len);
}

static void check_escape(const char *s, size_t size, const struct sbuf *term)
{
	size_t cap = WHOSOCK_ESCAPE_TERM_MAX(size), half = term->len / 2 + 1, r;
	char *buf = malloc(cap);

	FUZZ_CHECK(buf != NULL);
	r = whosock_escape_term(buf, cap, s, size);
	FUZZ_CHECK(r == term->len && buf[r] == '\0' && (r == 0 || memcmp(buf, term->data, r) == 0));
	r = whosock_escape_term(buf, half, s, size);
	FUZZ_CHECK(r == term->len);
	r = strlen(buf);
	FUZZ_CHECK(r < half && (r == 0 || memcmp(buf, term->data, r) == 0));
	/* Cut between units: what follows starts a new one. */
	FUZZ_CHECK(r == term->len || ((unsigned char)term->data[r] & 0xc0) != 0x80);
	FUZZ_CHECK(whosock_escape_term(NULL, 0, s, size) == term->len);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_dup(data, size);
	struct sbuf term = { 0 }, json = { 0 }, csv = { 0 };
	/* Every input byte becomes at most one decoded byte per escape. */
	unsigned char *back = malloc(size * 4 + 8);
	size_t width, n;

	FUZZ_CHECK(back != NULL);
	width = esc_term(&term, s, size);
	esc_json(&json, s, size);
	esc_csv(&csv, s, size);
	FUZZ_CHECK(!term.failed && !json.failed && !csv.failed);

	n = check_term((const unsigned char *)term.data, term.len, width, back);
	FUZZ_CHECK(n == size && (size == 0 || memcmp(back, data, size) == 0));
	n = check_json((const unsigned char *)json.data, json.len, back);
	FUZZ_CHECK(n == size && (size == 0 || memcmp(back, data, size) == 0));
	check_csv((const unsigned char *)csv.data, csv.len, (const unsigned char *)term.data,
		  term.len);
	check_escape(s, size, &term);

	sbuf_free(&term);
	sbuf_free(&json);
	sbuf_free(&csv);
	free(back);
	free(s);
	return 0;
}
