/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6,unix}: the fallback
 * when netlink sock_diag is refused (old kernels, seccomp, some sandboxes).
 *
 * The files are printed by the kernel (net/ipv4/tcp_ipv4.c get_tcp4_sock(),
 * get_openreq4(), get_timewait4_sock(), net/ipv4/udp.c udp4_format_sock(),
 * net/ipv4/raw.c __raw_sock_show(), net/ipv6/datagram.c
 * __ip6_dgram_sock_seq_show(), net/unix/af_unix.c unix_seq_show()), but part
 * of their content is chosen by other users: UNIX paths may hold spaces and
 * newlines. So every field is cut out by hand and checked, nothing is taken
 * from column offsets, and a line that does not check out is counted and
 * skipped rather than guessed at.
 */
#include "filter.h"
#include "kinds.h"
#include "procnet.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "snapshot.h"

/* A table with a million sockets is ~150 MiB. Past the cap the rest is
 * skipped with a note, so another user's sockets cannot exhaust our memory. */
#define PROCNET_MAX_FILE (256u * 1024u * 1024u)
#define PROCNET_READ_CHUNK (64u * 1024u)

/* linux/net.h: Flags bit of a listening UNIX socket, and enum socket_state
 * (the St column), which the uapi headers do not export. */
#define PROCNET_SO_ACCEPTCON 0x00010000u
#define PROCNET_SS_CONNECTING 2u
#define PROCNET_SS_CONNECTED 3u
#define PROCNET_SS_DISCONNECTING 4u

/* A field of a line: not NUL-terminated. */
struct field {
	const char *p;
	size_t len;
};

/* Lines end at '\n' (the file) or NUL (a caller's string). */
static bool is_eol(char c)
{
	return c == '\0' || c == '\n';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1..max_digits hex digits and nothing else. strtoul() would also take
 * leading blanks, a sign and "0x", none of which the kernel prints; with at
 * most 16 digits the value cannot overflow. */
static int parse_hex(const char *p, size_t len, size_t max_digits, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > max_digits || max_digits > 16)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Unsigned decimal digits only, at most max. */
static int parse_dec(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		d = (unsigned)(p[i] - '0');
		/* d > max first: max - d would wrap for a small max. */
		if (d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* The next blank-separated field at *pos; empty at the end of the line. */
static struct field next_field(const char **pos)
{
	const char *p = *pos, *start;

	while (*p == ' ')
		p++;
	start = p;
	while (!is_eol(*p) && *p != ' ')
		p++;
	*pos = p;
	return (struct field){ start, (size_t)(p - start) };
}

/* "A:B" → A and B (B may not hold another colon: its parser rejects it). */
static int split_colon(struct field f, struct field *a, struct field *b)
{
	const char *c = memchr(f.p, ':', f.len);

	if (!c)
		return -EINVAL;
	*a = (struct field){ f.p, (size_t)(c - f.p) };
	*b = (struct field){ c + 1, f.len - a->len - 1 };
	return 0;
}

/* "HEX:HEX" with each half 1..max_digits long; *b_out may be NULL. */
static int parse_hex_pair(struct field f, size_t max_a, size_t max_b, uint64_t *a_out,
			  uint64_t *b_out)
{
	struct field a, b;
	uint64_t va, vb;

	if (split_colon(f, &a, &b) < 0 || parse_hex(a.p, a.len, max_a, &va) < 0 ||
	    parse_hex(b.p, b.len, max_b, &vb) < 0)
		return -EINVAL;
	*a_out = va;
	if (b_out)
		*b_out = vb;
	return 0;
}

int procnet_parse_endpoint(const char *text, size_t len, int family, struct whosock_endpoint *ep)
{
	uint8_t addr[16] = { 0 };
	size_t addr_len;
	uint64_t v;

	if (!text || !ep)
		return -EINVAL;
	if (family == AF_INET)
		addr_len = 8;
	else if (family == AF_INET6)
		addr_len = 32;
	else
		return -EINVAL;
	if (len != addr_len + 1 + 4 || text[addr_len] != ':')
		return -EINVAL;
	for (size_t w = 0; w < addr_len / 8; w++) {
		uint32_t word;

		if (parse_hex(text + 8 * w, 8, 8, &v) < 0)
			return -EINVAL;
		/* The kernel prints each 32-bit word of the network-order
		 * address as a host integer (%08X), so storing the integer
		 * back in host order restores the network-order bytes. */
		word = (uint32_t)v;
		memcpy(addr + 4 * w, &word, sizeof(word));
	}
	/* The port is printed already in host order. */
	if (parse_hex(text + addr_len + 1, 4, 4, &v) < 0)
		return -EINVAL;
	memcpy(ep->addr, addr, sizeof(ep->addr));
	ep->port = (uint16_t)v;
	return 0;
}

static int inet_type(enum whosock_proto proto)
{
	switch (proto) {
	case WHOSOCK_PROTO_TCP:
		return SOCK_STREAM;
	case WHOSOCK_PROTO_UDP:
	case WHOSOCK_PROTO_UDPLITE:
		return SOCK_DGRAM;
	case WHOSOCK_PROTO_RAW:
		return SOCK_RAW;
	default:
		return -EINVAL;
	}
}

/*
 * The common head of every inet table line:
 *   sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
 * What follows the inode differs (full sockets print refcount, pointer and
 * more; TIME_WAIT and SYN_RECV entries print less), so it is not read.
 */
int procnet_parse_inet_line(const char *line, enum whosock_proto proto, int family,
			    struct whosock_socket *out)
{
	struct whosock_socket s = { 0 };
	const char *pos = line;
	struct field f;
	uint64_t v, w;
	int type = inet_type(proto);

	if (!line || !out || type < 0 || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	s.proto = proto;
	s.family = family;
	s.type = type;

	/* sl: "%4d:", the slot or hash bucket; checked, not kept. */
	f = next_field(&pos);
	if (f.len < 2 || f.p[f.len - 1] != ':' || parse_dec(f.p, f.len - 1, UINT32_MAX, &v) < 0)
		return -EINVAL;
	f = next_field(&pos);
	if (procnet_parse_endpoint(f.p, f.len, family, &s.local) < 0)
		return -EINVAL;
	f = next_field(&pos);
	if (procnet_parse_endpoint(f.p, f.len, family, &s.remote) < 0)
		return -EINVAL;
	/* st: the kernel's TCP_* number, shared by UDP and RAW. */
	f = next_field(&pos);
	if (parse_hex(f.p, f.len, 2, &v) < 0 || v < 1 || v >= STATE_COUNT)
		return -EINVAL;
	s.state = (int)v;
	/* tx_queue:rx_queue, 32-bit each. */
	if (parse_hex_pair(next_field(&pos), 8, 8, &v, &w) < 0)
		return -EINVAL;
	s.wqueue = (uint32_t)v;
	s.rqueue = (uint32_t)w;
	/* tr:tm->when (an int and an unsigned long) and retrnsmt: checked
	 * so that a shifted line is caught, not kept. */
	if (parse_hex_pair(next_field(&pos), 8, 16, &v, NULL) < 0)
		return -EINVAL;
	f = next_field(&pos);
	if (parse_hex(f.p, f.len, 8, &v) < 0)
		return -EINVAL;
	/* uid: "%5u" (TIME_WAIT prints a literal 0). */
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT32_MAX, &v) < 0)
		return -EINVAL;
	s.uid = (uint32_t)v;
	/* timeout: "%8d", signed. */
	f = next_field(&pos);
	if (f.len > 0 && f.p[0] == '-') {
		f.p++;
		f.len--;
		if (parse_dec(f.p, f.len, (uint64_t)INT_MAX + 1, &v) < 0)
			return -EINVAL;
	} else if (parse_dec(f.p, f.len, INT_MAX, &v) < 0) {
		return -EINVAL;
	}
	/* inode: "%lu"; 0 for TIME_WAIT and SYN_RECV entries. */
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT64_MAX, &v) < 0)
		return -EINVAL;
	s.inode = v;

	s.known = WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_QUEUES;
	*out = s;
	return 0;
}

/* A "%d" field: an optional '-' and decimal digits that fit an int. */
static int parse_int_field(struct field f, int64_t *out)
{
	bool neg = f.len > 0 && f.p[0] == '-';
	uint64_t v;

	if (parse_dec(f.p + neg, f.len - neg, neg ? (uint64_t)INT_MAX + 1 : INT_MAX, &v) < 0)
		return -EINVAL;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* The kernel's pointer (%pK): 1 to 16 hex digits, all zero when hidden. */
static int check_pointer(struct field f)
{
	uint64_t v;

	return parse_hex(f.p, f.len, 16, &v);
}

/*
 * /proc/net/packet (net/packet/af_packet.c packet_seq_show()):
 *   sk RefCnt Type Proto Iface R Rmem User Inode
 * "%pK %-6d %-4d %04x   %-5d %1d %-6u %-6u %-6lu"; Proto is the ETH_P_*
 * number in host order.
 */
int procnet_parse_packet_line(const char *line, struct whosock_socket *out)
{
	struct whosock_socket s = { 0 };
	const char *pos = line;
	uint64_t v;
	int64_t iv;
	struct field f;

	if (!line || !out)
		return -EINVAL;
	if (check_pointer(next_field(&pos)) < 0 || parse_int_field(next_field(&pos), &iv) < 0)
		return -EINVAL;
	if (parse_int_field(next_field(&pos), &iv) < 0 || (iv != SOCK_RAW && iv != SOCK_DGRAM))
		return -EINVAL;
	s.type = (uint8_t)iv;
	f = next_field(&pos);
	if (parse_hex(f.p, f.len, 4, &v) < 0)
		return -EINVAL;
	s.protocol = (uint32_t)v;
	if (parse_int_field(next_field(&pos), &iv) < 0 || iv < 0)
		return -EINVAL;
	s.ifindex = (uint32_t)iv;
	f = next_field(&pos); /* R: running, 0 or 1 */
	if (parse_dec(f.p, f.len, 1, &v) < 0)
		return -EINVAL;
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT32_MAX, &v) < 0)
		return -EINVAL;
	s.rqueue = (uint32_t)v;
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT32_MAX, &v) < 0)
		return -EINVAL;
	s.uid = (uint32_t)v;
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT64_MAX, &v) < 0)
		return -EINVAL;
	s.inode = v;
	if (next_field(&pos).len != 0)
		return -EINVAL;
	s.proto = WHOSOCK_PROTO_PACKET;
	s.family = AF_PACKET;
	s.state = WHOSOCK_STATE_CLOSE;
	/* Rmem only: /proc does not print the send queue. */
	s.known = WHOSOCK_KNOWN_UID | WHOSOCK_KNOWN_PROTOCOL | WHOSOCK_KNOWN_IFINDEX;
	*out = s;
	return 0;
}

/*
 * /proc/net/netlink (net/netlink/af_netlink.c netlink_seq_show()):
 *   sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
 * "%pK %-3d %-10u %08x %-8d %-8d %-5d %-8d %-8u %-8lu"; Eth is the netlink
 * protocol, Pid the port id, Groups the first 32 groups. The socket type
 * and the peer are not printed (type 0, state UNCONN).
 */
int procnet_parse_netlink_line(const char *line, struct whosock_socket *out)
{
	struct whosock_socket s = { 0 };
	const char *pos = line;
	uint64_t v;
	int64_t iv;
	struct field f;

	if (!line || !out)
		return -EINVAL;
	if (check_pointer(next_field(&pos)) < 0)
		return -EINVAL;
	if (parse_int_field(next_field(&pos), &iv) < 0 || iv < 0 || iv > 255)
		return -EINVAL;
	s.protocol = (uint32_t)iv;
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT32_MAX, &v) < 0)
		return -EINVAL;
	s.netlink.portid = (uint32_t)v;
	f = next_field(&pos);
	if (parse_hex(f.p, f.len, 8, &v) < 0)
		return -EINVAL;
	s.netlink.groups = (uint32_t)v;
	if (parse_int_field(next_field(&pos), &iv) < 0)
		return -EINVAL;
	s.rqueue = iv < 0 ? 0 : (uint32_t)iv;
	if (parse_int_field(next_field(&pos), &iv) < 0)
		return -EINVAL;
	s.wqueue = iv < 0 ? 0 : (uint32_t)iv;
	/* Dump, Locks (refcount), Drops: checked, not kept. */
	if (parse_int_field(next_field(&pos), &iv) < 0 || parse_int_field(next_field(&pos), &iv) < 0)
		return -EINVAL;
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT32_MAX, &v) < 0)
		return -EINVAL;
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT64_MAX, &v) < 0)
		return -EINVAL;
	s.inode = v;
	if (next_field(&pos).len != 0)
		return -EINVAL;
	s.proto = WHOSOCK_PROTO_NETLINK;
	s.family = AF_NETLINK;
	s.state = WHOSOCK_STATE_CLOSE;
	s.known = WHOSOCK_KNOWN_PROTOCOL | WHOSOCK_KNOWN_QUEUES | WHOSOCK_KNOWN_NL_GROUPS;
	*out = s;
	return 0;
}

/* Length of "<hex>: " when the line starts like a /proc/net/unix record (the
 * kernel prints the socket's address with %pK, so 8 or 16 digits, all zero
 * when pointers are hidden), otherwise 0. */
static size_t unix_record_start(const char *line)
{
	size_t n = 0;

	while (n < 16 && hex_digit(line[n]) >= 0)
		n++;
	if (n == 0 || line[n] != ':' || line[n + 1] != ' ')
		return 0;
	return n + 2;
}

/* Num RefCount Protocol Flags Type St Inode[ Path] */
int procnet_parse_unix_line(const char *line, struct whosock_socket *out, const char **path,
			    size_t *path_len)
{
	struct whosock_socket s = { 0 };
	const char *pos, *p = NULL;
	size_t start, n = 0;
	struct field f;
	uint64_t flags, type, st, v;

	if (!line || !out || !path || !path_len)
		return -EINVAL;
	start = unix_record_start(line);
	if (start == 0)
		return -EINVAL;
	pos = line + start - 1;
	/* RefCount and Protocol (always 0): checked, not kept. */
	for (int i = 0; i < 2; i++) {
		f = next_field(&pos);
		if (parse_hex(f.p, f.len, 8, &v) < 0)
			return -EINVAL;
	}
	f = next_field(&pos);
	if (parse_hex(f.p, f.len, 8, &flags) < 0)
		return -EINVAL;
	/* Type is the kernel's sk_type, whose numbers are the libc SOCK_*
	 * of the same architecture (MIPS swaps STREAM and DGRAM). */
	f = next_field(&pos);
	if (parse_hex(f.p, f.len, 4, &type) < 0 ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET))
		return -EINVAL;
	f = next_field(&pos);
	if (parse_hex(f.p, f.len, 2, &st) < 0 || st > PROCNET_SS_DISCONNECTING)
		return -EINVAL;
	f = next_field(&pos);
	if (parse_dec(f.p, f.len, UINT64_MAX, &v) < 0)
		return -EINVAL;
	s.inode = v;

	/* The path is everything after the one blank that follows the inode:
	 * it may itself start with or hold blanks. */
	if (*pos == ' ') {
		p = pos + 1;
		while (!is_eol(p[n]))
			n++;
		if (n == 0)
			return -EINVAL;
	}

	s.proto = WHOSOCK_PROTO_UNIX;
	s.family = AF_UNIX;
	s.type = (int)type;
	if (flags & PROCNET_SO_ACCEPTCON)
		s.state = WHOSOCK_STATE_LISTEN;
	else if (st == PROCNET_SS_CONNECTED)
		s.state = WHOSOCK_STATE_ESTABLISHED;
	else if (st == PROCNET_SS_CONNECTING)
		s.state = WHOSOCK_STATE_SYN_SENT;
	else
		s.state = WHOSOCK_STATE_CLOSE;

	*out = s;
	*path = p;
	*path_len = n;
	return 0;
}

static const char *table_name(enum whosock_proto proto, int family)
{
	bool v6 = family == AF_INET6;

	if (proto != WHOSOCK_PROTO_UNIX && proto != WHOSOCK_PROTO_PACKET &&
	    proto != WHOSOCK_PROTO_NETLINK && family != AF_INET && family != AF_INET6)
		return NULL;
	switch (proto) {
	case WHOSOCK_PROTO_TCP:
		return v6 ? "tcp6" : "tcp";
	case WHOSOCK_PROTO_UDP:
		return v6 ? "udp6" : "udp";
	case WHOSOCK_PROTO_UDPLITE:
		return v6 ? "udplite6" : "udplite";
	case WHOSOCK_PROTO_RAW:
		return v6 ? "raw6" : "raw";
	case WHOSOCK_PROTO_UNIX:
		return "unix";
	case WHOSOCK_PROTO_PACKET:
		return "packet";
	case WHOSOCK_PROTO_NETLINK:
		return "netlink";
	default:
		return NULL;
	}
}

static ssize_t read_retry(int fd, char *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Read the whole file (its size is unknown: /proc reports 0) into a
 * NUL-terminated buffer, at most PROCNET_MAX_FILE bytes ending with a whole
 * line. *truncated says whether more was there. */
static int read_all(int fd, char **out, size_t *out_len, bool *truncated)
{
	size_t cap = PROCNET_READ_CHUNK, len = 0;
	char *buf = malloc(cap + 1), *nbuf;
	bool trunc = false;
	ssize_t n;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap * 2;

			if (cap >= PROCNET_MAX_FILE) {
				char probe;

				n = read_retry(fd, &probe, 1);
				if (n < 0) {
					r = (int)n;
					goto cleanup;
				}
				trunc = n > 0;
				break;
			}
			if (ncap > PROCNET_MAX_FILE)
				ncap = PROCNET_MAX_FILE;
			nbuf = realloc(buf, ncap + 1);
			if (!nbuf) {
				r = -ENOMEM;
				goto cleanup;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read_retry(fd, buf + len, cap - len);
		if (n < 0) {
			r = (int)n;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (trunc) {
		/* Drop the partial last line rather than parse half a record. */
		while (len > 0 && buf[len - 1] != '\n')
			len--;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	*truncated = trunc;
	buf = NULL;
cleanup:
	free(buf);
	return r;
}

/* The next line of buf[0..size): its start and length without the '\n'. */
static bool next_line(const char *buf, size_t size, size_t *pos, const char **line, size_t *len)
{
	const char *start = buf + *pos, *end;

	if (*pos >= size)
		return false;
	end = memchr(start, '\n', size - *pos);
	*line = start;
	*len = end ? (size_t)(end - start) : size - *pos;
	*pos += *len + (end ? 1 : 0);
	return true;
}

/* A NUL inside a line would cut it short for the parsers (which stop at
 * NUL) and cannot come from the kernel: such a line is malformed. */
static bool has_nul(const char *line, size_t len)
{
	return memchr(line, '\0', len) != NULL;
}

static int parse_line(const char *line, enum whosock_proto proto, int family,
		      struct whosock_socket *s)
{
	if (proto == WHOSOCK_PROTO_PACKET)
		return procnet_parse_packet_line(line, s);
	if (proto == WHOSOCK_PROTO_NETLINK)
		return procnet_parse_netlink_line(line, s);
	return procnet_parse_inet_line(line, proto, family, s);
}

/* Every table but unix: one record per line after the header. */
static int collect_inet(struct whosock_snapshot *snap, const char *buf, size_t size,
			enum whosock_proto proto, int family, const struct whosock_filter *f,
			unsigned *malformed)
{
	size_t pos = 0, len;
	const char *line;
	int pushed = 0, r;

	/* The header line. */
	next_line(buf, size, &pos, &line, &len);
	while (next_line(buf, size, &pos, &line, &len)) {
		struct whosock_socket s;

		if (has_nul(line, len) || parse_line(line, proto, family, &s) < 0) {
			(*malformed)++;
			continue;
		}
		s.source = WHOSOCK_SOURCE_PROC;
		if (f && !filter_match(f, &s))
			continue;
		r = snapshot_push(snap, &s);
		if (r < 0)
			return r;
		pushed++;
	}
	return pushed;
}

/* A UNIX record waiting for possible continuation lines of its path. */
struct unix_pending {
	struct whosock_socket s;
	const char *path; /* into the file buffer, NULL when unnamed */
	size_t path_len;
};

/* Returns 1 when pushed, 0 when filtered out, or a negative errno. */
static int unix_push(struct whosock_snapshot *snap, const struct unix_pending *u,
		     const struct whosock_filter *f)
{
	struct whosock_socket s = u->s;
	int r;

	s.source = WHOSOCK_SOURCE_PROC;
	if (f && !filter_match(f, &s))
		return 0;
	if (u->path) {
		s.local.path = snapshot_strndup(snap, u->path, u->path_len);
		if (!s.local.path)
			return -ENOMEM;
	}
	r = snapshot_push(snap, &s);
	return r < 0 ? r : 1;
}

/*
 * The kernel prints a UNIX path raw, newlines included, so a line that does
 * not start like a record and follows a named record continues its path.
 * The buffer still holds the '\n', so the path just grows over it. (A path
 * can also fake a whole record after its newline: the format cannot tell,
 * which is one reason netlink comes first.)
 */
static int collect_unix(struct whosock_snapshot *snap, const char *buf, size_t size,
			const struct whosock_filter *f, unsigned *malformed)
{
	enum { PREV_NONE, PREV_RECORD, PREV_BAD } prev = PREV_NONE;
	struct unix_pending u = { 0 };
	size_t pos = 0, len;
	const char *line;
	int pushed = 0, r;

	next_line(buf, size, &pos, &line, &len);
	while (next_line(buf, size, &pos, &line, &len)) {
		if (unix_record_start(line) > 0) {
			if (prev == PREV_RECORD) {
				r = unix_push(snap, &u, f);
				if (r < 0)
					return r;
				pushed += r;
			}
			if (has_nul(line, len) ||
			    procnet_parse_unix_line(line, &u.s, &u.path, &u.path_len) < 0) {
				(*malformed)++;
				prev = PREV_BAD;
				continue;
			}
			prev = PREV_RECORD;
		} else if (prev == PREV_RECORD && u.path) {
			if (has_nul(line, len)) {
				(*malformed)++;
				prev = PREV_BAD;
				continue;
			}
			u.path_len = (size_t)(line + len - u.path);
		} else if (prev != PREV_BAD) {
			/* Lines after a bad record may be its path: that
			 * record was already counted. */
			(*malformed)++;
		}
	}
	if (prev == PREV_RECORD) {
		r = unix_push(snap, &u, f);
		if (r < 0)
			return r;
		pushed += r;
	}
	return pushed;
}

int procnet_collect(struct whosock_snapshot *snap, const char *net_dir, enum whosock_proto proto,
		    int family, const struct whosock_filter *f)
{
	const char *name = table_name(proto, family);
	char path[PATH_MAX], *buf = NULL;
	unsigned malformed = 0;
	bool truncated = false;
	size_t size = 0;
	int fd = -1, r, pushed;

	if (!snap || !net_dir || !name)
		return -EINVAL;
	r = snprintf(path, sizeof(path), "%s/%s", net_dir, name);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = read_all(fd, &buf, &size, &truncated);
	if (r < 0)
		goto cleanup;

	if (proto == WHOSOCK_PROTO_UNIX)
		r = collect_unix(snap, buf, size, f, &malformed);
	else
		r = collect_inet(snap, buf, size, proto, family, f, &malformed);
	if (r < 0)
		goto cleanup;
	pushed = r;

	if (truncated) {
		r = NOTE(snap, .code = WHOSOCK_NOTE_FILE_TOO_LARGE, .count = PROCNET_MAX_FILE >> 20,
			 .path = path);
		if (r < 0)
			goto cleanup;
	}
	if (malformed > 0) {
		r = NOTE(snap, .code = WHOSOCK_NOTE_MALFORMED_LINES, .count = malformed, .path = path);
		if (r < 0)
			goto cleanup;
	}
	r = pushed;
cleanup:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}
