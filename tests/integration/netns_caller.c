/*
 * netns_caller: takes whosock snapshots the way a program linking libwhosock
 * would, from the main thread and from another thread, and reports for each
 * call whether the calling thread's network namespace stayed the same.
 *
 * Output, one line per call:
 *   WHERE <tab> RETURN <tab> NS-BEFORE <tab> NS-AFTER <tab> COUNT <tab> INODE,INODE,...
 * where the inodes are the distinct network namespaces of the sockets seen.
 * Used by test_netns.py (section 5); exit status 0 unless output failed.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "whosock/whosock.h"

static void thread_ns(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/thread-self/ns/net", buf, len - 1);
	buf[n < 0 ? 0 : n] = '\0';
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void take(const char *where)
{
	char before[PATH_MAX], after[PATH_MAX];
	struct whosock_snapshot *snap = NULL;
	size_t n = 0;

	thread_ns(before, sizeof(before));
	int r = whosock_snapshot_take(NULL, &snap);
	thread_ns(after, sizeof(after));
	printf("%s\t%d\t%s\t%s\t", where, r, before, after);
	if (r == 0) {
		n = whosock_snapshot_count(snap);
		uint64_t *ns = calloc(n ? n : 1, sizeof(*ns));
		for (size_t i = 0; ns && i < n; i++)
			ns[i] = whosock_snapshot_get(snap, i)->netns;
		if (ns)
			qsort(ns, n, sizeof(*ns), cmp_u64);
		printf("%zu\t", n);
		for (size_t i = 0; ns && i < n; i++)
			if (i == 0 || ns[i] != ns[i - 1])
				printf("%s%llu", i ? "," : "", (unsigned long long)ns[i]);
		free(ns);
		whosock_snapshot_free(snap);
	} else {
		printf("0\t");
	}
	printf("\n");
	fflush(stdout);
}

static void *other_thread(void *arg)
{
	(void)arg;
	take("pthread, call 1");
	take("pthread, call 2");
	return NULL;
}

int main(void)
{
	pthread_t t;

	take("main thread, call 1");
	take("main thread, call 2");
	if (pthread_create(&t, NULL, other_thread, NULL) == 0)
		pthread_join(t, NULL);
	else
		printf("pthread (pthread_create failed)\t-1\t\t\t0\t\n");
	take("main thread, after the other thread");
	return ferror(stdout) ? 1 : 0;
}
