/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The users of each network namespace: which one owns every process living
 * in it, for connections known only by their namespace (netsnoop's rule).
 * Looked up from /proc at most every NSUSERS_MS. */
#ifndef WHOSOCK_NSUSERS_H
#define WHOSOCK_NSUSERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NSUSERS_MS 2000

struct nsusers {
	struct nsuser {
		uint64_t netns;
		uint32_t uid;
		bool several; /* more than one user */
	} *v;
	size_t n;
	uint64_t at_ms; /* CLOCK_MONOTONIC of the last look; 0: never */
};

void nsusers_init(struct nsusers *u);
void nsusers_free(struct nsusers *u);

/* Whether one user owns every process of netns (then *uid), as /proc said
 * at most NSUSERS_MS ago. False for a namespace without processes, and
 * when /proc cannot be read. */
bool nsusers_one(struct nsusers *u, uint64_t netns, uint32_t *uid);

#endif
