/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sentences of the library's notes (whosock_note codes and numbers). */
#ifndef WHOSOCK_NOTES_H
#define WHOSOCK_NOTES_H

#include "sbuf.h"
#include "whosock/whosock.h"

/* Word the notes of snap, one line each (no prefix, no newline), and pass
 * each to say(prefix, line). Notes that differ only in their namespace are
 * one line naming every namespace. Strings are passed as the library gave
 * them: say() escapes for the terminal. */
void notes_print(const struct whosock_snapshot *snap, void (*say)(const char *, const char *));

/* Word one note into b. */
void notes_word(struct sbuf *b, const struct whosock_note *n);

#endif
