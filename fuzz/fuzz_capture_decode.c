/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * src/capture_decode.c over any captured bytes: the first byte picks the
 * link type (Ethernet, SLL, SLL2, BSD loopback both orders, raw IP), the
 * rest is the frame, an exactly sized copy (ASan sees a read past it).
 * Checked: the level reached is one the decoder defines, ports only with
 * TCP/UDP, the payload never more than the IP packet says, and the
 * description is printable ASCII.
 */
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <sys/socket.h>

#include "capture_decode.h"
#include "fuzz.h"
#include "sbuf.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL,
				     DLT_LOOP, DLT_RAW };
	struct sbuf b = { 0 };
	struct decoded d;
	char *frame;

	if (size < 1)
		return 0;
	frame = fuzz_dup(data + 1, size - 1);
	capture_decode(links[data[0] % (sizeof(links) / sizeof(links[0]))], (const uint8_t *)frame,
		       size - 1, &d);
	FUZZ_CHECK(d.level >= DECODE_NONE && d.level <= DECODE_L4);
	if (d.level >= DECODE_IP)
		FUZZ_CHECK(d.family == AF_INET || d.family == AF_INET6);
	if (d.level == DECODE_L4) {
		FUZZ_CHECK(d.ipproto == IPPROTO_TCP || d.ipproto == IPPROTO_UDP ||
			   d.ipproto == IPPROTO_UDPLITE);
		FUZZ_CHECK(d.payload <= d.ip_len);
	}
	capture_describe(&b, &d, (uint32_t)(size - 1));
	FUZZ_CHECK(!b.failed);
	for (size_t i = 0; i < b.len; i++)
		FUZZ_CHECK(b.data[i] >= 0x20 && b.data[i] < 0x7f);
	sbuf_free(&b);
	free(frame);
	return 0;
}
