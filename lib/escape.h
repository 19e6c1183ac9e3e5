/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one escaping core for text chosen by other users: what may reach a
 * terminal as is, and what stands for the rest. whosock_escape_term() (public)
 * and the command's terminal, CSV and JSON forms (src/textesc.c) are built
 * on it. */
#ifndef WHOSOCK_ESCAPE_H
#define WHOSOCK_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

/* Longest escape of one unit: "\u{XXXXXX}". */
#define ESCAPE_UNIT_MAX 10

/* Decode one UTF-8 sequence at s (len > 0). Returns its length (1..4) and
 * the code point, or 0 when it is not valid UTF-8 (overlong, surrogate,
 * > U+10FFFF, truncated). */
size_t escape_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* The terminal form of the unit at s (len > 0): returns how many bytes of s
 * it covers, and sets *esc_len to 0 when those bytes may be shown as they
 * are (one printable code point), else writes the escape standing for them
 * into esc (*esc_len bytes, ASCII, one terminal column each). */
size_t escape_unit(const char *s, size_t len, char esc[ESCAPE_UNIT_MAX], size_t *esc_len);

#endif
