/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pcapng writer (the IETF draft "PCAP Next Generation Dump File
 * Format"): one section header, interface description blocks, and
 * enhanced packet blocks with comments, in the host's byte order (the
 * section header's magic tells readers which). Written through an sbuf
 * with a sink, so a capture of any length needs little memory. */
#ifndef WHOSOCK_PCAPNG_H
#define WHOSOCK_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct pcapng {
	struct sbuf out;
	uint32_t n_interfaces;
};

/* Start a file on fd (the caller keeps it and closes it after
 * pcapng_close()): the section header naming the writer (appl). */
void pcapng_open(struct pcapng *w, int fd, const char *appl);

/* Describe an interface: link type (LINKTYPE_*, as DLT_* for the common
 * ones), snaplen, name and description (may be NULL). Returns its id, the
 * one its packets name. */
uint32_t pcapng_interface(struct pcapng *w, uint16_t linktype, uint32_t snaplen, const char *name,
			  const char *description);

/* A packet's options: n comments (opt_comment each) and the end, appended
 * to b (nothing when n is 0). Made once for the packets that share them. */
void pcapng_options(struct sbuf *b, const char *const *comments, size_t n);

/* One packet of interface id: ts_us microseconds since the epoch, caplen
 * bytes captured of len on the wire, and its options as pcapng_options()
 * made them (opts_len 0: none). */
void pcapng_packet(struct pcapng *w, uint32_t id, uint64_t ts_us, const uint8_t *data,
		   uint32_t caplen, uint32_t len, const void *opts, size_t opts_len);

/* Write out what is buffered. Returns 0 or a negative errno (also for any
 * earlier failure: out of memory, a failed write). */
int pcapng_flush(struct pcapng *w);

/* Flush and free the buffer. Returns as pcapng_flush(). */
int pcapng_close(struct pcapng *w);

#endif
