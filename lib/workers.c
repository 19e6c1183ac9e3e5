/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "workers.h"

#define WORKERS_MAX 16

struct worker {
	pthread_t thread;
	bool started;
	workers_fn *fn;
	void *ctx;
	size_t index;
};

size_t workers_count(size_t max)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if (max > WORKERS_MAX)
		max = WORKERS_MAX;
	return (size_t)n < max ? (size_t)n : max;
}

static void *worker_main(void *data)
{
	struct worker *w = data;

	w->fn(w->ctx, w->index);
	return NULL;
}

void workers_run(size_t n, workers_fn *fn, void *ctx)
{
	struct worker w[WORKERS_MAX];

	if (n > WORKERS_MAX)
		n = WORKERS_MAX;
	for (size_t i = 1; i < n; i++) {
		w[i] = (struct worker){ .fn = fn, .ctx = ctx, .index = i };
		w[i].started = pthread_create(&w[i].thread, NULL, worker_main, &w[i]) == 0;
	}
	fn(ctx, 0);
	for (size_t i = 1; i < n; i++) {
		if (w[i].started)
			pthread_join(w[i].thread, NULL);
		else
			fn(ctx, i);
	}
}
