/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A socket record that stands alone: the socket, its owners with their fds,
 * their processes (each once, however many entries point to it) and every
 * string, packed into one allocation (freed with free()). Events outlive the
 * snapshots they come from. */
#ifndef WHOSOCK_SOCKCOPY_H
#define WHOSOCK_SOCKCOPY_H

#include "whosock/whosock.h"

/* A deep copy of s in one malloc'd block, or NULL when out of memory. The
 * copy's peer is NULL (peer_inode is kept). */
struct whosock_socket *sockcopy(const struct whosock_socket *s);

#endif
