/* diagfloor: what the kernel's sock_diag dump of the TCP table costs by
 * itself, the floor under any listing of it.
 *
 * usage: diagfloor [REPS]
 *
 * Each repetition opens a NETLINK_SOCK_DIAG socket, sends the one request
 * that dumps both families in one walk of the machine's TCP hash tables
 * (TCPDIAG_GETSOCK, AF_UNSPEC, every state, no extensions: what whosock
 * asks for by default), and reads the answer to its end without looking
 * into the messages beyond their headers. Prints the sockets and bytes of
 * the last dump, and the median and least wall and CPU time (user + system)
 * per dump: nearly all of it is the kernel's, filling the messages. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPS 1000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One dump; returns 0 and its counts, or -1 (errno set). */
static int dump(long *sockets, long *bytes)
{
	static char buf[64 * 1024];
	struct {
		struct nlmsghdr h;
		struct inet_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = TCPDIAG_GETSOCK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.r = { .idiag_family = AF_UNSPEC, .idiag_states = ~0u },
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0)
		return -1;
	*sockets = *bytes = 0;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int len;

		if (n <= 0) {
			close(fd);
			return -1;
		}
		*bytes += n;
		len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				close(fd);
				return h->nlmsg_type == NLMSG_DONE ? 0 : -1;
			}
			(*sockets)++;
		}
	}
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 9;
	static double wall[MAX_REPS], cpu[MAX_REPS];
	long sockets = 0, bytes = 0;

	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: diagfloor [REPS (1-%d)]\n", MAX_REPS);
		return 2;
	}
	for (int i = 0; i < reps; i++) {
		double t0 = now_ms(), c0 = cpu_ms();

		if (dump(&sockets, &bytes) < 0) {
			perror("diagfloor: sock_diag dump");
			return 1;
		}
		wall[i] = now_ms() - t0;
		cpu[i] = cpu_ms() - c0;
	}
	qsort(wall, (size_t)reps, sizeof(*wall), cmp_double);
	qsort(cpu, (size_t)reps, sizeof(*cpu), cmp_double);
	printf("TCP dump: %ld sockets, %ld bytes; wall ms median %.1f min %.1f; cpu ms median %.1f min %.1f (%d reps)\n",
	       sockets, bytes, wall[reps / 2], wall[0], cpu[reps / 2], cpu[0], reps);
	return 0;
}
