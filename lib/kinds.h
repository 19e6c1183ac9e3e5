/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How many kinds and states this library knows. Internal: the public header
 * has no counts, so a caller built today never bakes in today's numbers. */
#ifndef WHOSOCK_KINDS_H
#define WHOSOCK_KINDS_H

#include "whosock/whosock.h"

#define PROTO_COUNT (WHOSOCK_PROTO_OTHER + 1)
#define STATE_COUNT (WHOSOCK_STATE_BOUND_INACTIVE + 1)
/* The bits of kinds and states this library knows. */
#define PROTOS_KNOWN ((1u << PROTO_COUNT) - 1u)
#define STATES_KNOWN ((1u << STATE_COUNT) - 2u)

#endif
