/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who owns each listening socket? A small libwhosock client:
 *
 *     owners [PORT]
 *
 * prints "proto local-port pid comm" for every listening TCP socket and
 * bound UDP socket (on PORT only, if given) and every process holding it,
 * the name escaped with whosock_escape_term() (control bytes and invalid UTF-8
 * as \xNN). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <whosock/whosock.h>

int main(int argc, char **argv)
{
	/* One local query: that port on any address (the filter's lists are
	 * ours and need only outlive the call). */
	struct whosock_local query = { .port = argc > 1 ? atoi(argv[1]) : 0 };
	/* Both structs start with their size (the _INIT macros set it), so
	 * this program keeps working with a newer library. */
	struct whosock_filter filter = {
		.size = sizeof(filter),
		.protos = WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_TCP) | WHOSOCK_PROTO_BIT(WHOSOCK_PROTO_UDP),
		.states = WHOSOCK_STATE_BIT(WHOSOCK_STATE_LISTEN) | WHOSOCK_STATE_BIT(WHOSOCK_STATE_CLOSE),
		.locals = &query,
		.n_locals = query.port > 0,
	};
	struct whosock_options opt = {
		.size = sizeof(opt),
		.want = WHOSOCK_WANT_OWNERS,
		.filter = &filter,
	};
	struct whosock_snapshot *snap;
	int r = whosock_snapshot_take(&opt, &snap);

	if (r < 0) {
		fprintf(stderr, "owners: %s\n", strerror(-r));
		return 1;
	}
	for (size_t i = 0; i < whosock_snapshot_count(snap); i++) {
		const struct whosock_socket *s = whosock_snapshot_get(snap, i);

		for (size_t k = 0; k < s->n_owners; k++) {
			const struct whosock_process *p = s->owners[k].proc;
			/* comm is at most 15 bytes; a longer one is cut whole. */
			char comm[WHOSOCK_ESCAPE_TERM_MAX(64)];

			/* A process's entries are next to each other (a thread
			 * with an fd table of its own has one too): once each. */
			if (k && s->owners[k - 1].proc == p)
				continue;
			/* comm is chosen by the process: escape it. */
			whosock_escape_term(comm, sizeof(comm), p->comm, strlen(p->comm));
			printf("%s %u %d %s\n", whosock_proto_name(s->proto), s->local.port, p->pid, comm);
		}
	}
	whosock_snapshot_free(snap);
	return 0;
}
