/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3

/* Packets are written out in writes of this much: each write to a file
 * has a cost of its own (the inode's lock and times), past the bytes. */
#define FLUSH_AT (256u * 1024u)

/* Options and packet data are padded to 32 bits. */
static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put32(struct sbuf *b, uint32_t v)
{
	sbuf_add(b, (const char *)&v, sizeof(v));
}

static void put16(struct sbuf *b, uint16_t v)
{
	sbuf_add(b, (const char *)&v, sizeof(v));
}

static void put_padded(struct sbuf *b, const void *data, size_t len)
{
	sbuf_add(b, data, len);
	sbuf_pad(b, '\0', pad4(len) - len);
}

/* An option's length is 16 bits: a longer value is cut (comments are
 * short; a name is at most IFNAMSIZ). */
static size_t opt_len(const char *v)
{
	size_t n = strlen(v);

	return n > 0xfff0 ? 0xfff0 : n;
}

static size_t opt_size(const char *v)
{
	return v ? 4 + pad4(opt_len(v)) : 0;
}

static void put_opt(struct sbuf *b, uint16_t code, const char *v)
{
	size_t n;

	if (!v)
		return;
	n = opt_len(v);
	put16(b, code);
	put16(b, (uint16_t)n);
	put_padded(b, v, n);
}

void pcapng_open(struct pcapng *w, int fd, const char *appl)
{
	size_t opts = opt_size(appl) + 4;
	uint32_t total = (uint32_t)(28 + opts);

	*w = (struct pcapng){ 0 };
	sbuf_set_sink(&w->out, fd);
	put32(&w->out, BT_SHB);
	put32(&w->out, total);
	put32(&w->out, BYTE_ORDER_MAGIC);
	put16(&w->out, 1); /* version 1.0 */
	put16(&w->out, 0);
	put32(&w->out, 0xffffffffu); /* section length: not given (-1) */
	put32(&w->out, 0xffffffffu);
	put_opt(&w->out, OPT_SHB_USERAPPL, appl);
	put32(&w->out, OPT_END);
	put32(&w->out, total);
}

uint32_t pcapng_interface(struct pcapng *w, uint16_t linktype, uint32_t snaplen, const char *name,
			  const char *description)
{
	size_t opts = opt_size(name) + opt_size(description) + 4;
	uint32_t total = (uint32_t)(20 + opts);

	put32(&w->out, BT_IDB);
	put32(&w->out, total);
	put16(&w->out, linktype);
	put16(&w->out, 0);
	put32(&w->out, snaplen);
	put_opt(&w->out, OPT_IF_NAME, name);
	put_opt(&w->out, OPT_IF_DESCRIPTION, description);
	put32(&w->out, OPT_END);
	put32(&w->out, total);
	return w->n_interfaces++;
}

void pcapng_options(struct sbuf *b, const char *const *comments, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_opt(b, OPT_COMMENT, comments[i]);
	if (n)
		put32(b, OPT_END);
}

/* Every packet passes here: one reservation and plain stores, not a call
 * per field. */
void pcapng_packet(struct pcapng *w, uint32_t id, uint64_t ts_us, const uint8_t *data,
		   uint32_t caplen, uint32_t len, const void *opts, size_t opts_len)
{
	size_t padded = pad4(caplen), total = 32 + padded + opts_len;
	uint32_t head[7] = { BT_EPB, (uint32_t)total, id, (uint32_t)(ts_us >> 32), (uint32_t)ts_us,
			     caplen, len }, tail = (uint32_t)total;
	char *p;

	if (!sbuf_reserve(&w->out, total))
		return;
	p = w->out.data + w->out.len;
	memcpy(p, head, sizeof(head));
	p += sizeof(head);
	memcpy(p, data, caplen);
	memset(p + caplen, 0, padded - caplen);
	p += padded;
	if (opts_len)
		memcpy(p, opts, opts_len);
	memcpy(p + opts_len, &tail, sizeof(tail));
	w->out.len += total;
	if (w->out.len >= FLUSH_AT)
		sbuf_flush(&w->out);
}

int pcapng_flush(struct pcapng *w)
{
	int r = sbuf_flush(&w->out);

	if (w->out.sink_error)
		return -w->out.sink_error;
	if (w->out.failed)
		return -ENOMEM;
	return r;
}

int pcapng_close(struct pcapng *w)
{
	int r = pcapng_flush(w);

	sbuf_free(&w->out);
	return r;
}
