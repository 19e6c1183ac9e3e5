/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Directory entries straight from getdents64 into a caller-owned buffer: no
 * DIR allocation and no fcntl per directory, which adds up over the
 * thousands of /proc/PID/fd directories of one scan. */
#ifndef WHOSOCK_DIRSCAN_H
#define WHOSOCK_DIRSCAN_H

#include <stddef.h>

struct dirscan {
	int fd; /* not owned */
	size_t pos, len;
	char buf[8192] __attribute__((aligned(8)));
};

/* Read the entries of the open directory fd from its current position. */
void dirscan_init(struct dirscan *d, int fd);

/* The next entry's name ("." and ".." skipped), or NULL at the end or on an
 * error (a directory that vanished mid-read ends early). */
const char *dirscan_next(struct dirscan *d);

#endif
