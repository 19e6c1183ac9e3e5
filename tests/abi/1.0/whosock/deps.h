/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Dependencies: which process, user, container or namespace connects to
 * which service, aggregated from every connection of every network
 * namespace (those open at the start and every one after, however short:
 * the kernel's reports of closes see those no dump saw, by namespace).
 *
 * Driven like a watcher (whosock/watch.h): poll whosock_deps_get_fd() for
 * input with whosock_deps_get_timeout(), then call whosock_deps_process();
 * whosock_deps_edges() gives the edges so far. One object, one thread at a
 * time.
 */
#ifndef WHOSOCK_DEPS_H
#define WHOSOCK_DEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "whosock/whosock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How clients are grouped: the edge's client fields the grouping leaves out
 * are unset (NULL, or known bits clear). */
enum whosock_deps_by {
	WHOSOCK_DEPS_BY_PROCESS = 0, /* comm, user, container and namespace */
	WHOSOCK_DEPS_BY_USER,
	WHOSOCK_DEPS_BY_CONTAINER,
	WHOSOCK_DEPS_BY_NETNS,
};

/* Start from WHOSOCK_DEPS_OPTIONS_INIT (or set size). */
struct whosock_deps_options {
	size_t size; /* sizeof(struct whosock_deps_options) */
	/* The client side: protos (TCP and UDP; default both), families,
	 * netns, and the owner members (pids, uids, comms, cmdlines,
	 * containers: a connection whose process is unknown matches none of
	 * them). Copied; its lists must stay valid until whosock_deps_free(). */
	const struct whosock_filter *filter;
	enum whosock_deps_by by;
	/* The server side: only connections to these (address and port; an
	 * address of 0 family: any address). NULL: every service. */
	const struct whosock_local *services;
	size_t n_services;
	bool exclude_loopback; /* leave out connections to 127.0.0.0/8 and ::1 */
	bool host_only;        /* only the caller's network namespace */
	unsigned interval_ms;  /* between dumps; 0: 1000 */
	unsigned flags;        /* WHOSOCK_FLAG_NO_THREADS, WHOSOCK_FLAG_NO_BPF (no kernel socket events) */
};

#define WHOSOCK_DEPS_OPTIONS_INIT { .size = sizeof(struct whosock_deps_options) }

/* Which client fields an edge knows (WHOSOCK_EDGE_KNOWN_*): a connection
 * seen only in the kernel's report of its close names no process; its
 * namespace is known, and its user where one user owns every process of
 * that namespace. */
enum {
	WHOSOCK_EDGE_KNOWN_PROCESS = 1u << 0, /* client.comm and client.pids */
	WHOSOCK_EDGE_KNOWN_USER = 1u << 1,    /* client.uid (and user, when named) */
	WHOSOCK_EDGE_KNOWN_NETNS = 1u << 2,   /* client.netns */
	WHOSOCK_EDGE_KNOWN_CONTAINER = 1u << 3, /* client.container (all NULL: none) */
	WHOSOCK_EDGE_KNOWN_BYTES = 1u << 4,   /* sent_bytes, received_bytes (TCP) */
	WHOSOCK_EDGE_KNOWN_SERVER = 1u << 5,  /* the service is on this machine */
};

struct whosock_edge_client {
	uint64_t netns;
	const char *netns_name;
	const char *comm;
	uint32_t uid;
	const char *user;
	struct whosock_container container;
	const int *pids; /* ascending, at most WHOSOCK_EDGE_MAX_PIDS */
	size_t n_pids;
};

#define WHOSOCK_EDGE_MAX_PIDS 64

struct whosock_edge_server {
	uint8_t proto; /* enum whosock_proto: TCP or UDP */
	int family;    /* AF_INET or AF_INET6 */
	struct whosock_endpoint addr; /* the address and port the clients connect to */
	/* With WHOSOCK_EDGE_KNOWN_SERVER: the listening socket's namespace
	 * and its process (comm NULL when not visible). */
	uint64_t netns;
	const char *netns_name;
	const char *comm;
	struct whosock_container container;
};

struct whosock_edge {
	struct whosock_edge_client client;
	struct whosock_edge_server server;
	unsigned known; /* WHOSOCK_EDGE_KNOWN_* */
	uint64_t connections; /* each connection once, however long it lived */
	uint64_t sent_bytes, received_bytes; /* payload, the client's view */
	struct timespec first_seen, last_seen; /* CLOCK_REALTIME */
};

struct whosock_deps;

/* Start observing (opt may be NULL: defaults). Returns 0 and *out, or a
 * negative errno. */
WHOSOCK_EXPORT int whosock_deps_new(const struct whosock_deps_options *opt, struct whosock_deps **out);

/* As whosock_watch_get_fd(), whosock_watch_get_timeout() and
 * whosock_watch_process(). */
WHOSOCK_EXPORT int whosock_deps_get_fd(struct whosock_deps *d);
WHOSOCK_EXPORT int whosock_deps_get_timeout(struct whosock_deps *d, uint64_t *timeout_ms);
WHOSOCK_EXPORT int whosock_deps_process(struct whosock_deps *d);

/* The edges so far, connections still open included (their bytes as the
 * kernel counts them now: this takes a look at them). *edges points to *n
 * edges owned by d, valid until the next call or whosock_deps_free().
 * Returns 0 or a negative errno. */
WHOSOCK_EXPORT int whosock_deps_edges(struct whosock_deps *d, const struct whosock_edge **edges, size_t *n);

/* What its watcher sees (whosock_watch_status()): namespaces not entered,
 * whether the kernel reports closes. */
struct whosock_watch_status;
WHOSOCK_EXPORT int whosock_deps_status(const struct whosock_deps *d, struct whosock_watch_status *out);

/* Edges not kept because there were too many (a cap of 65,536). */
WHOSOCK_EXPORT uint64_t whosock_deps_dropped(const struct whosock_deps *d);

/* Accepts NULL. */
WHOSOCK_EXPORT void whosock_deps_free(struct whosock_deps *d);

#ifdef __cplusplus
}
#endif

#endif
