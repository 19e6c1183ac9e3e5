/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Run one function on a few threads at once (the caller's among them). The
 * function shares out its work itself, e.g. with an atomic counter. */
#ifndef WHOSOCK_WORKERS_H
#define WHOSOCK_WORKERS_H

#include <stddef.h>

typedef void workers_fn(void *ctx, size_t worker);

/* How many threads are worth running here: the online CPUs, at most max. */
size_t workers_count(size_t max);

/* Call fn(ctx, w) for w in 0..n-1, each on its own thread (w = 0 on the
 * caller's), and wait for all. A thread that cannot be started is made up
 * for by running its share on the caller's thread afterwards. */
void workers_run(size_t n, workers_fn *fn, void *ctx);

#endif
