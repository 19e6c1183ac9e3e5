/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the fuzzers (built for libFuzzer with clang) and the replay
 * driver (built always, with any compiler, to run the corpora as tests). */
#ifndef WHOSOCK_FUZZ_H
#define WHOSOCK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the parser's contract. Not assert(): it must hold with
 * NDEBUG too, and it names the broken rule before aborting, so libFuzzer
 * (and the replay test) reports it as a crash with a stack. */
#define FUZZ_CHECK(cond)                                                               \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* A heap copy of exactly size bytes (AddressSanitizer sees one byte past it);
 * never NULL, even for size 0. */
static inline char *fuzz_dup(const void *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	FUZZ_CHECK(p != NULL);
	if (size)
		memcpy(p, data, size);
	return p;
}

/* A heap copy of size bytes plus a terminating NUL. */
static inline char *fuzz_strdup(const void *data, size_t size)
{
	char *p = malloc(size + 1);

	FUZZ_CHECK(p != NULL);
	if (size)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

/* Does [p, p + n) lie within [base, base + size)? */
static inline int fuzz_within(const void *base, size_t size, const void *p, size_t n)
{
	uintptr_t b = (uintptr_t)base, q = (uintptr_t)p;

	return q >= b && q - b <= size && n <= size - (q - b);
}

#endif
