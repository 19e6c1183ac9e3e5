/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* whosock capture's insides, shared by src/capture.c (the loop, the queue,
 * tagging) and src/capture_ns.c (the namespaces and their handles). */
#ifndef WHOSOCK_CAPTURE_INT_H
#define WHOSOCK_CAPTURE_INT_H

#include <net/if.h>
#include <pcap/pcap.h>

#include "capture.h"
#include "pcapng.h"

struct netns;

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define HOLD_MS 100                   /* a packet waits this long to be tagged */
#define BLOCK_MS 50                   /* the kernel hands packets over at least this often */
#define RELEASE_MS 40                 /* the queue looked at at most this often */
#define QUEUE_MAX 65536               /* packets waiting to be tagged */
#define QUEUE_BYTES_MAX (32u << 20)   /* their bytes */
#define QUEUE_BYTES_SOFT (2u << 20)   /* ... used again from the start past this */
#define RESCAN_MS 1000                /* the namespaces looked at again */
#define EVENTS_DUMP_MS 30000          /* the index's dumps while the kernel's events run */
#define BUFFER_BYTES (8 << 20)        /* each handle's kernel buffer */
#define MAX_COMMENTS 16

struct cap_iface {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	uint32_t idb;
	bool has_idb;
};

struct cap_ns;

struct cap_handle {
	pcap_t *p; /* NULL once closed */
	struct cap_ns *ns;
	char name[IF_NAMESIZE]; /* as asked: "any", "lo", ... */
	int linktype;
	bool loopback; /* a named loopback interface (both ends are local) */
	struct cap_iface *ifs; /* cooked (SLL2): the interfaces seen, by index */
	size_t n_ifs;
	struct cap_iface self; /* not cooked: the handle's own interface block */
};

struct cap_ns {
	uint64_t inode;
	char *name;
	bool own, gone;
	int ioctl_fd; /* a socket inside: interface names by index */
	struct cap_handle **h;
	size_t n_h;
	char *filter; /* the kernel filter last set by capture_refilter(), or NULL */
};

struct qpkt {
	struct cap_handle *h;
	struct pcap_pkthdr hdr;
	uint8_t *data;
	uint64_t at_ms;
	bool ooo; /* captured before a packet queued ahead of it */
};

#define TAG_CACHE 4

struct tag_cache {
	bool used, rendered;
	struct whosock_packet_tuple t;
	struct whosock_packet_end src, dst;
	struct sbuf comments; /* NUL-separated */
	struct sbuf opts;     /* the pcapng options of those comments */
};

struct capture {
	const struct cli *cli;
	void (*message)(const char *, const char *);
	uint64_t self_netns;
	struct cap_ns **ns;
	size_t n_ns;
	uint64_t *tried; /* namespaces --netns all tried and could not capture on */
	size_t n_tried;
	struct whosock_portindex *idx;
	struct whosock_process_filter *pf; /* NULL: every packet */
	bool owner_filter;
	struct qpkt *q;
	size_t q_head, q_n; /* a ring, in arrival order */
	size_t q_ooo;       /* queued packets out of time order (see recount_order()) */
	uint64_t q_max_ts;  /* the latest capture time queued (µs) */
	uint8_t *arena;     /* their bytes: QUEUE_BYTES_MAX, a ring too */
	size_t a_tail;
	size_t *order; /* release_due()'s: QUEUE_MAX positions */
	struct sbuf out;
	struct tag_cache tc[TAG_CACHE];
	unsigned tc_next;
	struct sbuf scratch; /* the comments' escaping */
	struct pcapng png;
	bool writing;
	uint64_t captured, kept, tagged;
	bool done;
};


/* ---- capture_ns.c ---- */

/* Close h's pcap handle (its struct stays: queued packets point to it). */
void capture_close_handle(struct cap_handle *h);
/* Close ns's handles and free it. Accepts NULL. */
void capture_free_ns(struct cap_ns *ns);
/* "NAME (INODE)" or "INODE". */
void capture_ns_label(const struct cap_ns *ns, char *text, size_t len);
/* Look at the namespaces: the gone ones end (handles closed, gone set),
 * new ones (--netns all) start. first: every one asked for must open.
 * Returns 0, or -1 after saying why. */
int capture_rescan(struct capture *c, bool first);
/* The interface of a packet of h (SLL2: by its index, named in h's
 * namespace; else h's own), and its pcapng block, written before its
 * first packet. */
struct cap_iface *capture_iface_of(struct capture *c, struct cap_handle *h, uint32_t ifindex);
uint32_t capture_idb_of(struct capture *c, struct cap_handle *h, struct cap_iface *i);

/* ---- capture_filter.c ---- */

/* With --pid, --user, --comm or --container: each namespace's kernel filter
 * anew when the ports only other processes hold have changed. */
void capture_refilter(struct capture *c);

#endif
