/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "sockcopy.h"

/* Two passes over the same code: the first (base NULL) only measures. */
struct packer {
	char *base;
	size_t used;
};

static void *pack(struct packer *p, const void *src, size_t len, size_t align)
{
	void *dst;

	p->used = (p->used + align - 1) & ~(align - 1);
	dst = p->base ? p->base + p->used : NULL;
	if (dst && src)
		memcpy(dst, src, len);
	p->used += len;
	return dst;
}

static const char *pack_str(struct packer *p, const char *s)
{
	return s ? pack(p, s, strlen(s) + 1, 1) : NULL;
}

/* A copy of one process and its strings. */
static const struct whosock_process *pack_process(struct packer *p,
						  const struct whosock_process *src)
{
	struct whosock_process *proc = pack(p, src, sizeof(*src), alignof(struct whosock_process));
	const char *comm = pack_str(p, src->comm), *cmdline = pack_str(p, src->cmdline);
	const char *user = pack_str(p, src->user), *cgroup = pack_str(p, src->cgroup);
	const char *id = pack_str(p, src->container.id);
	const char *pod_uid = pack_str(p, src->container.pod_uid);

	if (proc) {
		proc->comm = comm;
		proc->cmdline = cmdline;
		proc->user = user;
		proc->cgroup = cgroup;
		proc->container.id = id;
		proc->container.pod_uid = pod_uid;
		/* runtime names are static strings */
	}
	return proc;
}

static struct whosock_socket *pack_socket(struct packer *p, const struct whosock_socket *s)
{
	struct whosock_socket *c = pack(p, s, sizeof(*s), alignof(struct whosock_socket));
	struct whosock_owner *owners = NULL;
	const struct whosock_process *proc = NULL;
	const char *netns_name, *lpath, *rpath, *ltext, *fname;

	if (s->n_owners)
		owners = pack(p, s->owners, s->n_owners * sizeof(*owners), alignof(struct whosock_owner));
	for (size_t i = 0; i < s->n_owners; i++) {
		const int *fds = pack(p, s->owners[i].fds, s->owners[i].n_fds * sizeof(int),
				      alignof(int));

		/* Each process once: its entries are next to each other (a
		 * thread's own table follows the process's). */
		if (!i || s->owners[i].proc != s->owners[i - 1].proc)
			proc = pack_process(p, s->owners[i].proc);
		if (owners) {
			owners[i].proc = proc;
			owners[i].fds = fds;
		}
	}
	netns_name = pack_str(p, s->netns_name);
	lpath = pack_str(p, s->local.path);
	rpath = pack_str(p, s->remote.path);
	ltext = pack_str(p, s->local_text);
	fname = pack_str(p, s->family_name);
	if (c) {
		c->local_text = ltext;
		c->family_name = fname;
		c->owners = owners;
		c->netns_name = netns_name;
		c->local.path = lpath;
		c->remote.path = rpath;
		c->peer = NULL;
	}
	return c;
}

struct whosock_socket *sockcopy(const struct whosock_socket *s)
{
	struct packer p = { 0 };

	pack_socket(&p, s);
	p.base = malloc(p.used);
	if (!p.base)
		return NULL;
	p.used = 0;
	return pack_socket(&p, s);
}
