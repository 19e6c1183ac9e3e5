/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The users of each network namespace (see nsusers.h). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "nsusers.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void nsusers_init(struct nsusers *u)
{
	*u = (struct nsusers){ 0 };
}

void nsusers_free(struct nsusers *u)
{
	free(u->v);
	nsusers_init(u);
}

static void note(struct nsusers *u, size_t *cap, uint64_t netns, uint32_t uid)
{
	struct nsuser *v;

	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].netns == netns) {
			u->v[i].several |= u->v[i].uid != uid;
			return;
		}
	if (u->n == *cap) {
		v = realloc(u->v, (*cap ? *cap * 2 : 64) * sizeof(*v));
		if (!v)
			return; /* that namespace stays unknown */
		u->v = v;
		*cap = *cap ? *cap * 2 : 64;
	}
	u->v[u->n++] = (struct nsuser){ netns, uid, false };
}

/* Every process's namespace and owner (the owner of /proc/PID: its
 * effective uid). */
static void look(struct nsusers *u)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t cap = 0;

	free(u->v);
	u->v = NULL;
	u->n = 0;
	u->at_ms = mono_ms();
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[NAME_MAX + 8], link[64];
		struct stat st;
		uint64_t inode;
		ssize_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/ns/net", de->d_name);
		n = readlinkat(dirfd(d), path, link, sizeof(link));
		inode = n > 0 ? netns_parse_link(link, (size_t)n) : 0;
		if (inode && fstatat(dirfd(d), de->d_name, &st, 0) == 0)
			note(u, &cap, inode, st.st_uid);
	}
	closedir(d);
}

bool nsusers_one(struct nsusers *u, uint64_t netns, uint32_t *uid)
{
	if (!u->at_ms || mono_ms() - u->at_ms >= NSUSERS_MS)
		look(u);
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].netns == netns) {
			if (u->v[i].several)
				return false;
			*uid = u->v[i].uid;
			return true;
		}
	return false;
}
