/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Destroying sockets with SOCK_DESTROY (whosock_socket_destroy()). */
#ifndef WHOSOCK_DESTROY_H
#define WHOSOCK_DESTROY_H

#include <stddef.h>

#include "whosock/whosock.h"

/* Write the SOCK_DESTROY request for s into buf (cap bytes). Returns its
 * length, -EOPNOTSUPP (not an inet socket of a known protocol) or
 * -ENOBUFS. Exposed for tests. */
int destroy_request(void *buf, size_t cap, unsigned seq, const struct whosock_socket *s);

#endif
