/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/textesc.c and the library's whosock_escape_term() (which
 * esc_term() is built on): escaping of text chosen by other users for
 * the terminal, JSON and CSV. Exact expected bytes for hand-picked inputs,
 * plus properties checked over many generated inputs: the terminal and CSV
 * forms hold no control byte and only valid UTF-8; the JSON form is a valid
 * JSON string that decodes (surrogateescape) back to the exact input bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textesc.h"
#include "whosock/whosock.h"

/* ---- helpers ---- */

/* esc_term over s (len bytes); checks the output and width. */
static void term_is(const char *s, size_t len, const char *want, size_t want_width)
{
	struct sbuf b = { 0 };
	size_t w = esc_term(&b, s, len);

	assert_false(b.failed);
	if (b.len != strlen(want) || (b.len && memcmp(b.data, want, b.len) != 0))
		fail_msg("esc_term: got \"%.*s\", want \"%s\"", (int)b.len, b.data ? b.data : "",
			 want);
	assert_int_equal(w, want_width);
	sbuf_free(&b);
}

#define TERM(lit, want, width) term_is(lit, sizeof(lit) - 1, want, width)

static void json_is(const char *s, size_t len, const char *want)
{
	struct sbuf b = { 0 };

	esc_json(&b, s, len);
	assert_false(b.failed);
	if (b.len != strlen(want) || (b.len && memcmp(b.data, want, b.len) != 0))
		fail_msg("esc_json: got %.*s, want %s", (int)b.len, b.data ? b.data : "", want);
	sbuf_free(&b);
}

#define JSON(lit, want) json_is(lit, sizeof(lit) - 1, want)

static void csv_is(const char *s, size_t len, const char *want)
{
	struct sbuf b = { 0 };

	esc_csv(&b, s, len);
	assert_false(b.failed);
	if (b.len != strlen(want) || (b.len && memcmp(b.data, want, b.len) != 0))
		fail_msg("esc_csv: got [%.*s], want [%s]", (int)b.len, b.data ? b.data : "", want);
	sbuf_free(&b);
}

#define CSV(lit, want) csv_is(lit, sizeof(lit) - 1, want)

/* An independent UTF-8 check (RFC 3629): returns the length of the valid
 * sequence at s, 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return len >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;

		return len >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		return len >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
				       (s[3] & 0xc0) == 0x80
			       ? 4
			       : 0;
	}
	return 0;
}

/* Terminal-safe: valid UTF-8, no C0 control, no DEL, no C1 control, no
 * bidi/line-separator code point. */
static void assert_terminal_safe(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_len(s + i, len - i);

		if (n == 0)
			fail_msg("invalid UTF-8 at %zu in terminal output", i);
		if (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			fail_msg("control byte 0x%02x in terminal output", s[i]);
		if (n == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f)
			fail_msg("C1 control in terminal output");
		if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
		    ((s[i + 2] >= 0xa8 && s[i + 2] <= 0xae) || s[i + 2] == 0x8e || s[i + 2] == 0x8f))
			fail_msg("line separator or bidi control in terminal output");
		if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x81 && s[i + 2] >= 0xa6 &&
		    s[i + 2] <= 0xa9)
			fail_msg("bidi isolate in terminal output");
		i += n;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	o[0] = (unsigned char)(0xe0 | cp >> 12);
	o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp & 0x3f));
	return 3;
}

/* Validate j[0..len) as one JSON string (RFC 8259) and decode it with the
 * surrogateescape convention (U+DC80..U+DCFF are raw bytes) into out.
 * Returns the decoded length; fails the test when j is not valid JSON. */
static size_t json_decode(const char *jstr, size_t len, unsigned char *out)
{
	const unsigned char *j = (const unsigned char *)jstr;
	size_t o = 0;

	if (len < 2 || j[0] != '"' || j[len - 1] != '"')
		fail_msg("JSON string not quoted: %.*s", (int)len, jstr);
	for (size_t i = 1; i < len - 1;) {
		if (j[i] == '"')
			fail_msg("unescaped quote at %zu in %.*s", i, (int)len, jstr);
		if (j[i] < 0x20)
			fail_msg("raw control 0x%02x at %zu in JSON", j[i], i);
		if (j[i] != '\\') {
			size_t n = utf8_len(j + i, len - 1 - i);

			if (n == 0)
				fail_msg("invalid UTF-8 at %zu in JSON", i);
			memcpy(out + o, j + i, n);
			o += n;
			i += n;
			continue;
		}
		if (i + 1 >= len - 1)
			fail_msg("dangling backslash in JSON");
		switch (j[i + 1]) {
		case '"':
		case '\\':
		case '/':
			out[o++] = j[i + 1];
			i += 2;
			break;
		case 'b':
			out[o++] = '\b';
			i += 2;
			break;
		case 'f':
			out[o++] = '\f';
			i += 2;
			break;
		case 'n':
			out[o++] = '\n';
			i += 2;
			break;
		case 'r':
			out[o++] = '\r';
			i += 2;
			break;
		case 't':
			out[o++] = '\t';
			i += 2;
			break;
		case 'u': {
			unsigned cp = 0;

			if (i + 6 > len - 1)
				fail_msg("short \\u escape in JSON");
			for (int k = 2; k < 6; k++) {
				int h = hexval((char)j[i + k]);

				if (h < 0)
					fail_msg("bad hex digit in \\u escape");
				cp = cp << 4 | (unsigned)h;
			}
			if (cp >= 0xdc80 && cp <= 0xdcff)
				out[o++] = (unsigned char)(cp & 0xff);
			else if (cp >= 0xd800 && cp <= 0xdfff)
				fail_msg("unexpected surrogate \\u%04x", cp);
			else
				o += put_utf8(out + o, cp);
			i += 6;
			break;
		}
		default:
			fail_msg("bad escape \\%c in JSON", j[i + 1]);
		}
	}
	return o;
}

/* ---- esc_term ---- */

static void test_term_plain(void **state)
{
	(void)state;
	TERM("", "", 0);
	TERM("abc", "abc", 3);
	TERM("/run/systemd/journal/stdout", "/run/systemd/journal/stdout", 27);
	TERM("a b~", "a b~", 4);
}

static void test_term_controls(void **state)
{
	(void)state;
	TERM("\x1b[31mred", "\\x1b[31mred", 11);
	TERM("\x1b", "\\x1b", 4);
	TERM("a\nb", "a\\x0ab", 6);
	TERM("\t", "\\x09", 4);
	TERM("\r", "\\x0d", 4);
	TERM("\x7f", "\\x7f", 4);
	TERM("\x01\x1f", "\\x01\\x1f", 8);
	TERM("a\0b", "a\\x00b", 6);
	TERM("\x07\x08", "\\x07\\x08", 8);
}

static void test_term_backslash(void **state)
{
	(void)state;
	TERM("\\", "\\\\", 2);
	TERM("a\\x1b", "a\\\\x1b", 6); /* a literal "\x1b" stays distinguishable */
	TERM("\\\\", "\\\\\\\\", 4);
}

static void test_term_invalid_utf8(void **state)
{
	(void)state;
	TERM("\xff", "\\xff", 4);
	TERM("\xfe", "\\xfe", 4);
	TERM("\x80", "\\x80", 4);               /* lone continuation */
	TERM("a\xbf" "b", "a\\xbfb", 6);
	TERM("\xc0\xaf", "\\xc0\\xaf", 8);      /* overlong '/' */
	TERM("\xc1\xbf", "\\xc1\\xbf", 8);      /* overlong */
	TERM("\xe0\x80\xaf", "\\xe0\\x80\\xaf", 12); /* overlong 3-byte */
	TERM("\xed\xa0\x80", "\\xed\\xa0\\x80", 12); /* surrogate U+D800 */
	TERM("\xed\xbf\xbf", "\\xed\\xbf\\xbf", 12); /* surrogate U+DFFF */
	TERM("\xe2\x82", "\\xe2\\x82", 8);      /* truncated euro sign */
	TERM("\xe2\x82" "A", "\\xe2\\x82A", 9); /* truncated, then ASCII */
	TERM("\xc3", "\\xc3", 4);               /* truncated 2-byte */
	TERM("\xf0\x9f\x98", "\\xf0\\x9f\\x98", 12); /* truncated 4-byte */
	TERM("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", 16); /* > U+10FFFF */
	TERM("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80", 16);
	TERM("\xf0\x80\x80\x80", "\\xf0\\x80\\x80\\x80", 16); /* overlong 4-byte */
	/* Resynchronises on the next valid sequence. */
	TERM("\xe2\xc3\xa9", "\\xe2\xc3\xa9", 5);
}

static void test_term_valid_utf8(void **state)
{
	(void)state;
	TERM("caf\xc3\xa9", "caf\xc3\xa9", 4);               /* é */
	TERM("\xe6\xbc\xa2\xe5\xad\x97", "\xe6\xbc\xa2\xe5\xad\x97", 2); /* 漢字 */
	TERM("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 1);     /* 😀 */
	TERM("\xc2\xa0", "\xc2\xa0", 1);                     /* U+00A0, first after C1 */
	TERM("\xef\xbf\xbd", "\xef\xbf\xbd", 1);             /* U+FFFD */
	TERM("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", 1);     /* U+10FFFF */
	TERM("\xe2\x82\xac", "\xe2\x82\xac", 1);             /* € */
}

static void test_term_invisible_controls(void **state)
{
	(void)state;
	TERM("\xc2\x85", "\\u{0085}", 8);  /* NEL */
	TERM("\xc2\x80", "\\u{0080}", 8);
	TERM("\xc2\x9b", "\\u{009b}", 8);  /* CSI */
	TERM("\xc2\x9f", "\\u{009f}", 8);
	TERM("\xe2\x80\xae", "\\u{202e}", 8); /* RIGHT-TO-LEFT OVERRIDE */
	TERM("\xe2\x80\xaa", "\\u{202a}", 8);
	TERM("\xe2\x80\xa8", "\\u{2028}", 8); /* LINE SEPARATOR */
	TERM("\xe2\x80\xa9", "\\u{2029}", 8);
	TERM("\xe2\x80\x8e", "\\u{200e}", 8); /* LRM */
	TERM("\xe2\x80\x8f", "\\u{200f}", 8);
	TERM("\xe2\x81\xa6", "\\u{2066}", 8); /* isolates */
	TERM("\xe2\x81\xa9", "\\u{2069}", 8);
	TERM("\xef\xbb\xbf", "\\u{feff}", 8); /* BOM */
	TERM("x\xe2\x80\xaetxt.exe", "x\\u{202e}txt.exe", 16);
	/* Neighbours stay as they are. */
	TERM("\xe2\x80\x8d", "\xe2\x80\x8d", 1); /* ZWJ U+200D */
	TERM("\xe2\x80\xaf", "\xe2\x80\xaf", 1); /* U+202F */
	TERM("\xe2\x81\xa5", "\xe2\x81\xa5", 1); /* U+2065 */
}

static void test_term_appends(void **state)
{
	struct sbuf b = { 0 };

	(void)state;
	sbuf_puts(&b, "pre:");
	assert_int_equal(esc_term(&b, "\x1b!", 2), 5);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "pre:\\x1b!", 9);
	sbuf_free(&b);
}

/* Every byte value alone, and every pair: the output is always safe, and its
 * width matches the code points written. */
static void test_term_all_bytes_safe(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++)
		for (unsigned c = 0; c < 256; c++) {
			char in[3] = { (char)a, (char)c, 'z' };
			struct sbuf b = { 0 };
			size_t w = esc_term(&b, in, sizeof(in));
			size_t cps = 0;

			assert_false(b.failed);
			assert_terminal_safe(b.data, b.len);
			for (size_t i = 0; i < b.len; i++)
				cps += ((unsigned char)b.data[i] & 0xc0) != 0x80;
			assert_int_equal(w, cps);
			assert_int_equal(b.data[b.len - 1], 'z');
			sbuf_free(&b);
		}
}

/* ---- esc_json ---- */

static void test_json_plain(void **state)
{
	(void)state;
	JSON("", "\"\"");
	JSON("abc", "\"abc\"");
	JSON("/usr/sbin/sshd -D", "\"/usr/sbin/sshd -D\"");
}

static void test_json_escapes(void **state)
{
	(void)state;
	JSON("say \"hi\"", "\"say \\\"hi\\\"\"");
	JSON("C:\\dir", "\"C:\\\\dir\"");
	JSON("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"");
	JSON("\x01", "\"\\u0001\"");
	JSON("\x1b[0m", "\"\\u001b[0m\"");
	JSON("\x1f", "\"\\u001f\"");
	JSON("\b\f", "\"\\u0008\\u000c\"");
	JSON("a\0b", "\"a\\u0000b\"");
	JSON("\x7f", "\"\x7f\""); /* DEL is legal in a JSON string */
}

static void test_json_valid_utf8(void **state)
{
	(void)state;
	JSON("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	JSON("\xe6\xbc\xa2", "\"\xe6\xbc\xa2\"");
	JSON("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	JSON("\xc2\x85\xe2\x80\xae", "\"\xc2\x85\xe2\x80\xae\""); /* kept: JSON keeps every byte */
}

static void test_json_invalid_utf8(void **state)
{
	(void)state;
	JSON("\xff", "\"\\udcff\"");
	JSON("\x80", "\"\\udc80\"");
	JSON("a\xc0\xaf" "b", "\"a\\udcc0\\udcafb\"");
	JSON("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");
	JSON("\xe2\x82", "\"\\udce2\\udc82\"");
	JSON("\xe2\x82\"", "\"\\udce2\\udc82\\\"\"");
	JSON("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\"");
}

static void json_roundtrip(const char *in, size_t len)
{
	struct sbuf b = { 0 };
	unsigned char *dec = malloc(len * 4 + 8);
	size_t n;

	assert_non_null(dec);
	esc_json(&b, in, len);
	assert_false(b.failed);
	n = json_decode(b.data, b.len, dec);
	if (n != len || memcmp(dec, in, len) != 0)
		fail_msg("JSON round trip changed %zu bytes into %zu", len, n);
	sbuf_free(&b);
	free(dec);
}

/* Every output is a valid JSON string that decodes to the input bytes. */
static void test_json_roundtrip_all_pairs(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++)
		for (unsigned c = 0; c < 256; c++) {
			char in[4] = { (char)a, (char)c, '"', '\\' };

			json_roundtrip(in, sizeof(in));
		}
}

static void test_json_roundtrip_random(void **state)
{
	static const unsigned char pieces[][4] = {
		{ 0xc3, 0xa9 }, { 0xe6, 0xbc, 0xa2 }, { 0xf0, 0x9f, 0x98, 0x80 }, { 0xed, 0xa0, 0x80 },
		{ 0xe2, 0x82 }, { 0x80 }, { 0xff }, { '"' }, { '\\' }, { '\n' }, { 0x01 }, { 'a' },
	};
	unsigned seed = 12345;

	(void)state;
	for (int iter = 0; iter < 2000; iter++) {
		char in[256];
		size_t len = 0;

		while (len < sizeof(in) - 4) {
			size_t k, plen;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 17 == 0)
				break;
			k = (seed >> 8) % (sizeof(pieces) / sizeof(pieces[0]));
			plen = strnlen((const char *)pieces[k], 4);
			if (plen == 0)
				plen = 1;
			memcpy(in + len, pieces[k], plen);
			len += plen;
			if ((seed >> 20) % 5 == 0)
				in[len++] = (char)(seed >> 3);
		}
		json_roundtrip(in, len);
	}
}

/* ---- esc_csv ---- */

static void test_csv_plain(void **state)
{
	(void)state;
	CSV("", "");
	CSV("abc", "abc");
	CSV("mid space", "mid space");
	CSV("/run/a.sock", "/run/a.sock");
}

static void test_csv_quoting(void **state)
{
	(void)state;
	CSV("a,b", "\"a,b\"");
	CSV(",", "\",\"");
	CSV("say \"hi\"", "\"say \"\"hi\"\"\"");
	CSV("\"", "\"\"\"\"");
	CSV(" lead", "\" lead\"");
	CSV("trail ", "\"trail \"");
	CSV(" ", "\" \"");
}

static void test_csv_controls(void **state)
{
	(void)state;
	/* Control bytes are escaped, so a record never spans lines. */
	CSV("a\nb", "a\\x0ab");
	CSV("a\r\nb", "a\\x0d\\x0ab");
	CSV("x\x1b[2J", "x\\x1b[2J");
	CSV("a\r\nb,c", "\"a\\x0d\\x0ab,c\"");
	CSV("\\", "\\\\");
	CSV("\xff,", "\"\\xff,\"");
	CSV("\xe2\x80\xae", "\\u{202e}");
	CSV("caf\xc3\xa9", "caf\xc3\xa9");
}

/* Every CSV field is one terminal-safe line and, unquoted, holds no comma or
 * quote; quoted, its inner quotes are doubled. */
static void test_csv_all_pairs(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++)
		for (unsigned c = 0; c < 256; c++) {
			char in[2] = { (char)a, (char)c };
			struct sbuf b = { 0 };

			esc_csv(&b, in, sizeof(in));
			assert_false(b.failed);
			assert_true(b.len > 0);
			assert_terminal_safe(b.data, b.len);
			if (b.data[0] == '"') {
				assert_true(b.len >= 2);
				assert_int_equal(b.data[b.len - 1], '"');
				for (size_t i = 1; i + 1 < b.len; i++)
					if (b.data[i] == '"') {
						assert_int_equal(b.data[i + 1], '"');
						i++;
					}
			} else {
				assert_null(memchr(b.data, ',', b.len));
				assert_null(memchr(b.data, '"', b.len));
				assert_true(b.data[0] != ' ' && b.data[b.len - 1] != ' ');
			}
			sbuf_free(&b);
		}
}

static void test_csv_failed_buffer(void **state)
{
	struct sbuf b = { 0 };

	(void)state;
	b.failed = true;
	esc_csv(&b, "a,b", 3);
	assert_true(b.failed);
	assert_int_equal(b.len, 0);
	sbuf_free(&b);
}

/* ---- whosock_escape_term (libwhosock) ---- */

/* whosock_escape_term() into a buffer of cap bytes: the text written, its return. */
static void escape_is(const char *s, size_t len, size_t cap, const char *want, size_t want_ret)
{
	char buf[256];
	size_t r;

	assert_true(cap <= sizeof(buf));
	memset(buf, '#', sizeof(buf));
	r = whosock_escape_term(cap ? buf : NULL, cap, s, len);
	assert_int_equal(r, want_ret);
	if (cap) {
		if (strlen(buf) != strlen(want) || strcmp(buf, want) != 0)
			fail_msg("whosock_escape_term(cap %zu): got \"%s\", want \"%s\"", cap, buf, want);
		/* Nothing past the NUL. */
		assert_int_equal(buf[strlen(buf) + 1], cap > strlen(buf) + 1 ? '#' : buf[strlen(buf) + 1]);
	}
}

#define ESCAPE(lit, cap, want, ret) escape_is(lit, sizeof(lit) - 1, cap, want, ret)

static void test_escape_rules(void **state)
{
	(void)state;
	/* What the man page promises: \xNN for control bytes and invalid
	 * UTF-8, \\ for a backslash, \u{XXXX} for C1, separators and bidi. */
	ESCAPE("sshd", 64, "sshd", 4);
	ESCAPE("\x1b[31mred\n", 64, "\\x1b[31mred\\x0a", 15);
	ESCAPE("a\\b", 64, "a\\\\b", 4);
	ESCAPE("bad\xff\xfe", 64, "bad\\xff\\xfe", 11);
	ESCAPE("\xc2\x9b" "x", 64, "\\u{009b}x", 9);
	ESCAPE("\xe2\x80\xae" "evil", 64, "\\u{202e}evil", 12);
	ESCAPE("caf\xc3\xa9 \xe2\x9c\x93", 64, "caf\xc3\xa9 \xe2\x9c\x93", 9);
	ESCAPE("nul\0in", 64, "nul\\x00in", 9);
}

static void test_escape_truncation(void **state)
{
	(void)state;
	/* Nothing written at all with cap 0, only the length needed. */
	ESCAPE("\x1b" "ab", 0, "", 6);
	/* A NUL alone, then whole units only: never a cut escape. */
	ESCAPE("\x1b" "ab", 1, "", 6);
	ESCAPE("\x1b" "ab", 4, "", 6);
	ESCAPE("\x1b" "ab", 5, "\\x1b", 6);
	ESCAPE("\x1b" "ab", 6, "\\x1ba", 6);
	ESCAPE("\x1b" "ab", 7, "\\x1bab", 6);
	/* Nor a cut UTF-8 sequence. */
	ESCAPE("a\xc3\xa9", 3, "a", 3);
	ESCAPE("a\xc3\xa9", 4, "a\xc3\xa9", 3);
}

/* Every pair of bytes: the same text as esc_term(), within
 * WHOSOCK_ESCAPE_TERM_MAX. */
static void test_escape_matches_term(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++)
		for (unsigned c = 0; c < 256; c++) {
			char in[2] = { (char)a, (char)c }, buf[WHOSOCK_ESCAPE_TERM_MAX(2)];
			struct sbuf b = { 0 };
			size_t r = whosock_escape_term(buf, sizeof(buf), in, sizeof(in));

			esc_term(&b, in, sizeof(in));
			assert_false(b.failed);
			assert_int_equal(r, b.len);
			assert_true(r < sizeof(buf));
			assert_memory_equal(buf, b.data, b.len);
			assert_int_equal(buf[r], '\0');
			sbuf_free(&b);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term_plain),
		cmocka_unit_test(test_term_controls),
		cmocka_unit_test(test_term_backslash),
		cmocka_unit_test(test_term_invalid_utf8),
		cmocka_unit_test(test_term_valid_utf8),
		cmocka_unit_test(test_term_invisible_controls),
		cmocka_unit_test(test_term_appends),
		cmocka_unit_test(test_term_all_bytes_safe),
		cmocka_unit_test(test_json_plain),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_valid_utf8),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_roundtrip_all_pairs),
		cmocka_unit_test(test_json_roundtrip_random),
		cmocka_unit_test(test_csv_plain),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_csv_controls),
		cmocka_unit_test(test_csv_all_pairs),
		cmocka_unit_test(test_csv_failed_buffer),
		cmocka_unit_test(test_escape_rules),
		cmocka_unit_test(test_escape_truncation),
		cmocka_unit_test(test_escape_matches_term),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
