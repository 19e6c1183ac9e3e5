/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --timing: how long each phase took, on stderr. */
#ifndef WHOSOCK_TIMING_H
#define WHOSOCK_TIMING_H

#include <stdint.h>
#include <stdio.h>

#include "whosock/whosock.h"

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t timing_now(void);

/* Write one "whosock: timing: PHASE ...: N.NNN ms, COUNT WHAT" line per
 * timing of snap, then the command's own "output" phase (output_ns, rows
 * written), to f. */
void timing_print(FILE *f, const struct whosock_snapshot *snap, uint64_t output_ns, size_t rows);

#endif
