/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Escaping of text chosen by other users (paths, process names) for each
 * output: the terminal never receives control bytes, JSON keeps every byte.
 * Built on libwhosock's escaping core (lib/escape.h): esc_term() writes what
 * whosock_escape_term() does. */
#ifndef WHOSOCK_TEXTESC_H
#define WHOSOCK_TEXTESC_H

#include "sbuf.h"

/* Append s[0..len) for a terminal. Valid printable UTF-8 passes; control
 * bytes, DEL and invalid UTF-8 become \xNN, a backslash becomes \\, and C1
 * controls, line separators and bidi overrides become \u{XXXX}. Returns the
 * number of terminal columns written (one per code point). */
size_t esc_term(struct sbuf *b, const char *s, size_t len);

/* Append s[0..len) as a JSON string with its quotes. Valid UTF-8 passes;
 * bytes that are not valid UTF-8 become \udcXX (the PEP 383 convention), so a
 * reader decoding with surrogateescape gets the exact bytes back. */
void esc_json(struct sbuf *b, const char *s, size_t len);

/* Append s[0..len) as one CSV field (RFC 4180): escaped as for the terminal,
 * quoted when it holds a comma, a quote or a space at either end. */
void esc_csv(struct sbuf *b, const char *s, size_t len);

/* Append s[0..len) as a Prometheus (and OpenMetrics) label value, without
 * its quotes: a backslash, a double quote and a newline are escaped as the
 * formats require; a byte that is not valid UTF-8 becomes the text \xNN. */
void esc_prom(struct sbuf *b, const char *s, size_t len);

#endif
