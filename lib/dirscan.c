/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dirscan.h"

/* The kernel's record (struct linux_dirent64). */
struct record {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

void dirscan_init(struct dirscan *d, int fd)
{
	d->fd = fd;
	d->pos = d->len = 0;
}

const char *dirscan_next(struct dirscan *d)
{
	for (;;) {
		const struct record *r;

		if (d->pos >= d->len) {
			long n = syscall(SYS_getdents64, d->fd, d->buf, sizeof(d->buf));

			if (n <= 0)
				return NULL;
			d->len = (size_t)n;
			d->pos = 0;
		}
		r = (const struct record *)(const void *)(d->buf + d->pos);
		if (r->reclen == 0 || d->pos + r->reclen > d->len)
			return NULL; /* never from a sane kernel: stop rather than loop */
		d->pos += r->reclen;
		if (r->name[0] == '.' && (r->name[1] == '\0' || (r->name[1] == '.' && r->name[2] == '\0')))
			continue;
		return r->name;
	}
}
