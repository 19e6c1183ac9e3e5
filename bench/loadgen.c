/* loadgen: fill the machine with loopback sockets for the whosock benchmark.
 *
 * The parent forks PROCS children. Each child opens, on its own loopback
 * address (127.B.C.D, or ::1 with -6), LISTENERS TCP listeners, CONNS TCP
 * connections to its own listeners (both ends held by the child, so 2 sockets
 * per connection) and UDP bound UDP sockets, all on ephemeral ports. It
 * reports its socket count to the parent over a pipe and sleeps until killed.
 * When every child has reported, the parent prints "ready N sockets" on
 * stdout and waits for SIGTERM/SIGINT, then kills and reaps every child.
 *
 * Load is spread over processes because one process may hold at most the
 * hard RLIMIT_NOFILE fds. Children get PR_SET_PDEATHSIG so that they never
 * outlive the parent. TCP sockets get SO_LINGER {1, 0}: closing them sends a
 * RST, so a finished run leaves no TIME_WAIT sockets behind.
 *
 * With -n NETNS (needs CAP_SYS_ADMIN) the parent first creates NETNS network
 * namespaces, each with lo up, and child i works in namespace i % NETNS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROCS 30000

struct opts {
	long procs;     /* -p: child processes */
	long listeners; /* -l: TCP listeners per child */
	long conns;     /* -c: TCP connections per child (2 sockets each) */
	long udp;       /* -u: UDP sockets per child */
	long netns;     /* -n: network namespaces (0: stay in ours) */
	int v6_every;   /* -6: every 2nd child uses ::1 instead of 127.x.y.z */
};

/* What a child sends the parent: sockets opened, or -errno and the step. */
struct report {
	int32_t child;
	int32_t count; /* >= 0: sockets open; < 0: -errno */
	char what[56]; /* failed step when count < 0 */
};

static const char *prog = "loadgen";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-p PROCS] [-l LISTENERS] [-c CONNS] [-u UDP] [-n NETNS] [-6]\n"
		"  -p PROCS      child processes (default 200)\n"
		"  -l LISTENERS  TCP listeners per child (default 5)\n"
		"  -c CONNS      loopback TCP connections per child, both ends held (default 100)\n"
		"  -u UDP        bound UDP sockets per child (default 5)\n"
		"  -n NETNS      spread children over NETNS new network namespaces (root; default 0)\n"
		"  -6            every second child uses ::1 instead of 127.x.y.z\n"
		"Prints \"ready N sockets\" when all sockets are open, then waits for SIGTERM/SIGINT.\n"
		"Example, 5,000 processes holding 2 sockets each: %s -p 5000 -l 1 -c 0 -u 1\n",
		prog, prog);
}

static long parse_num(const char *s, char opt, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		die("-%c: expected an integer in 0..%ld, got '%s'", opt, max, s);
	return v;
}

/* ---- child ---------------------------------------------------------------- */

static void child_fail(int wfd, int idx, const char *what, int err)
{
	struct report r = { .child = idx, .count = -(err ? err : EIO) };

	snprintf(r.what, sizeof(r.what), "%s", what);
	/* Best effort: if the parent is gone there is nobody left to tell. */
	ssize_t ignored = write(wfd, &r, sizeof(r));

	(void)ignored;
	_exit(1);
}

/* The child's own address: 127.B.C.D derived from its index, or ::1. */
static socklen_t child_addr(int idx, int v6, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	uint32_t b = 1 + (uint32_t)idx / 62500;
	uint32_t c = ((uint32_t)idx / 250) % 250;
	uint32_t d = (uint32_t)idx % 250 + 1;

	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(127u << 24 | b << 16 | c << 8 | d);
	return sizeof(*s4);
}

static int set_linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void child_main(const struct opts *o, int idx, int wfd, int nsfd, pid_t parent)
{
	struct sockaddr_storage me, la;
	socklen_t melen, lalen;
	int v6 = o->v6_every && (idx & 1);
	int family = v6 ? AF_INET6 : AF_INET;
	int *lfd = NULL;
	long i, count = 0;
	sigset_t none;

	/* Die with the parent; check it did not die before prctl() took effect. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(wfd, idx, "prctl(PR_SET_PDEATHSIG)", errno);
	if (getppid() != parent)
		_exit(1);
	/* Default signal dispositions: SIGTERM/SIGINT simply kill us. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(wfd, idx, "sigprocmask", errno);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		child_fail(wfd, idx, "setns(CLONE_NEWNET)", errno);

	melen = child_addr(idx, v6, &me);

	if (o->listeners > 0) {
		lfd = calloc((size_t)o->listeners, sizeof(*lfd));
		if (!lfd)
			child_fail(wfd, idx, "calloc", ENOMEM);
	}
	for (i = 0; i < o->listeners; i++) {
		int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			child_fail(wfd, idx, "socket(TCP listener)", errno);
		if (bind(fd, (struct sockaddr *)&me, melen) < 0)
			child_fail(wfd, idx, "bind(TCP listener)", errno);
		if (listen(fd, 4096) < 0)
			child_fail(wfd, idx, "listen", errno);
		lfd[i] = fd;
		count++;
	}

	for (i = 0; i < o->conns; i++) {
		int l = lfd[i % o->listeners];
		int one = 1;
		int cfd, afd;

		lalen = sizeof(la);
		if (getsockname(l, (struct sockaddr *)&la, &lalen) < 0)
			child_fail(wfd, idx, "getsockname(listener)", errno);
		cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cfd < 0)
			child_fail(wfd, idx, "socket(TCP client)", errno);
		if (set_linger0(cfd) < 0)
			child_fail(wfd, idx, "setsockopt(SO_LINGER)", errno);
		/* Source = our address, port picked at connect() by 4-tuple, so
		 * clients do not use up the ephemeral range. The option is at the
		 * IPPROTO_IP level for IPv6 sockets too. */
		if (setsockopt(cfd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			       sizeof(one)) < 0)
			child_fail(wfd, idx, "setsockopt(IP_BIND_ADDRESS_NO_PORT)", errno);
		if (bind(cfd, (struct sockaddr *)&me, melen) < 0)
			child_fail(wfd, idx, "bind(TCP client)", errno);
		if (connect(cfd, (struct sockaddr *)&la, lalen) < 0)
			child_fail(wfd, idx, "connect", errno);
		afd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (afd < 0)
			child_fail(wfd, idx, "accept4", errno);
		if (set_linger0(afd) < 0)
			child_fail(wfd, idx, "setsockopt(SO_LINGER)", errno);
		count += 2;
	}

	for (i = 0; i < o->udp; i++) {
		int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			child_fail(wfd, idx, "socket(UDP)", errno);
		if (bind(fd, (struct sockaddr *)&me, melen) < 0)
			child_fail(wfd, idx, "bind(UDP)", errno);
		count++;
	}
	/* Listener fds stay open: lfd is deliberately kept for the lifetime. */

	struct report r = { .child = idx, .count = (int32_t)count };

	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
	close(wfd);
	for (;;)
		pause();
}

/* ---- parent --------------------------------------------------------------- */

static pid_t *kids;
static long nkids;

static void kill_all(int sig)
{
	for (long i = 0; i < nkids; i++)
		if (kids[i] > 0)
			kill(kids[i], sig);
}

/* Reap every exited child, mark it gone and count it in *unexpected: before
 * shutdown_all() no child is supposed to exit. */
static void reap(long *unexpected)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (long i = 0; i < nkids; i++) {
			if (kids[i] != pid)
				continue;
			kids[i] = 0;
			(*unexpected)++;
			if (WIFSIGNALED(st))
				fprintf(stderr, "%s: child %ld (pid %d) killed by signal %d\n", prog,
					i, (int)pid, WTERMSIG(st));
			else
				fprintf(stderr, "%s: child %ld (pid %d) exited with status %d\n", prog,
					i, (int)pid, WEXITSTATUS(st));
			break;
		}
	}
	if (pid < 0 && errno != ECHILD)
		die("waitpid: %s", strerror(errno));
}

/* Kill every child, wait for all of them, exit with status. */
static void shutdown_all(int status)
{
	long alive = 0;
	int st;

	kill_all(SIGKILL);
	for (long i = 0; i < nkids; i++)
		alive += kids[i] > 0;
	while (alive > 0) {
		pid_t pid = waitpid(-1, &st, 0);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;
			die("waitpid: %s", strerror(errno));
		}
		for (long i = 0; i < nkids; i++)
			if (kids[i] == pid) {
				kids[i] = 0;
				alive--;
				break;
			}
	}
	exit(status);
}

static void lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket (to bring lo up): %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("ioctl(SIOCGIFFLAGS lo): %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die("ioctl(SIOCSIFFLAGS lo up): %s", strerror(errno));
	close(fd);
}

/* Create n network namespaces with lo up; return their fds. */
static int *make_netns(long n)
{
	int *fds = calloc((size_t)n, sizeof(*fds));
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (!fds)
		die("out of memory");
	if (home < 0)
		die("open /proc/self/ns/net: %s", strerror(errno));
	for (long i = 0; i < n; i++) {
		if (unshare(CLONE_NEWNET) < 0)
			die("unshare(CLONE_NEWNET): %s%s", strerror(errno),
			    errno == EPERM ? " (-n needs CAP_SYS_ADMIN)" : "");
		lo_up();
		fds[i] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			die("open /proc/self/ns/net: %s", strerror(errno));
	}
	if (setns(home, CLONE_NEWNET) < 0)
		die("setns back to the original netns: %s", strerror(errno));
	close(home);
	return fds;
}

/* Read every report waiting in the (non-blocking) pipe. */
static void drain_reports(int rfd, long procs, long *reported, long *total)
{
	struct report r;
	ssize_t got = -1;

	errno = EAGAIN;
	while (*reported < procs && (got = read(rfd, &r, sizeof(r))) == (ssize_t)sizeof(r)) {
		if (r.count < 0) {
			r.what[sizeof(r.what) - 1] = '\0';
			fprintf(stderr, "%s: child %d: %s: %s\n", prog, (int)r.child, r.what,
				strerror(-r.count));
			shutdown_all(1);
		}
		*total += r.count;
		++*reported;
	}
	if (*reported == procs)
		return;
	if (got == 0) {
		fprintf(stderr, "%s: children exited before reporting\n", prog);
		shutdown_all(1);
	}
	if (got > 0) {
		fprintf(stderr, "%s: short report from a child\n", prog);
		shutdown_all(1);
	}
	if (errno != EAGAIN && errno != EINTR) {
		fprintf(stderr, "%s: read: %s\n", prog, strerror(errno));
		shutdown_all(1);
	}
}

int main(int argc, char **argv)
{
	struct opts o = { .procs = 200, .listeners = 5, .conns = 100, .udp = 5 };
	struct rlimit rl;
	sigset_t mask;
	int pfd[2], sfd, opt, *nsfds = NULL;
	long per_child, reported = 0, total = 0, unexpected = 0;
	pid_t self = getpid();

	if (argv[0] && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');
		prog = slash ? slash + 1 : argv[0];
	}
	while ((opt = getopt(argc, argv, "p:l:c:u:n:6h")) != -1) {
		switch (opt) {
		case 'p': o.procs = parse_num(optarg, 'p', MAX_PROCS); break;
		case 'l': o.listeners = parse_num(optarg, 'l', 1000000); break;
		case 'c': o.conns = parse_num(optarg, 'c', 1000000); break;
		case 'u': o.udp = parse_num(optarg, 'u', 1000000); break;
		case 'n': o.netns = parse_num(optarg, 'n', 10000); break;
		case '6': o.v6_every = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.conns > 0 && o.listeners == 0)
		die("-c %ld needs at least one listener (-l)", o.conns);
	if (o.procs == 0)
		die("-p must be at least 1");

	/* A child holds every socket it opens plus a few fds of its own. */
	per_child = o.listeners + 2 * o.conns + o.udp;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("setrlimit(RLIMIT_NOFILE, %llu): %s",
			    (unsigned long long)rl.rlim_max, strerror(errno));
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)per_child + 16 > rl.rlim_cur)
		die("%ld sockets per child exceed the open-file limit %llu: use more -p",
		    per_child, (unsigned long long)rl.rlim_cur);
	if (o.netns + 16 > (long)rl.rlim_cur)
		die("-n %ld exceeds the open-file limit", o.netns);

	kids = calloc((size_t)o.procs, sizeof(*kids));
	if (!kids)
		die("out of memory");

	if (o.netns > 0)
		nsfds = make_netns(o.netns);

	/* Signals arrive through a signalfd; children reset the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		die("signalfd: %s", strerror(errno));
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe2: %s", strerror(errno));
	/* Only the parent's end is non-blocking: children block when the pipe
	 * is full. Reports are smaller than PIPE_BUF, so writes are atomic. */
	if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) < 0)
		die("fcntl(O_NONBLOCK): %s", strerror(errno));

	for (long i = 0; i < o.procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "%s: fork (child %ld of %ld): %s\n", prog, i, o.procs,
				strerror(errno));
			shutdown_all(1);
		}
		if (pid == 0) {
			close(pfd[0]);
			close(sfd);
			child_main(&o, (int)i, pfd[1],
				   nsfds ? nsfds[i % o.netns] : -1, self);
			_exit(0);
		}
		kids[i] = pid;
		nkids = i + 1;
	}
	close(pfd[1]);
	if (nsfds) {
		for (long i = 0; i < o.netns; i++)
			close(nsfds[i]);
		free(nsfds);
	}

	/* Wait for every report, a child's death, or a signal. */
	int outfd = STDOUT_FILENO;
	for (;;) {
		/* Once ready, also watch stdout: when the reader of a pipe goes
		 * away (the benchmark died), POLLERR tells us to clean up. */
		int starting = reported < o.procs;
		struct pollfd pf[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = starting ? pfd[0] : outfd, .events = starting ? POLLIN : 0 },
		};
		int n = poll(pf, 2, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %s\n", prog, strerror(errno));
			shutdown_all(1);
		}
		/* Read reports before looking at SIGCHLD, so that a child that
		 * failed is reported with its own message. */
		if (starting) {
			drain_reports(pfd[0], o.procs, &reported, &total);
			if (reported == o.procs) {
				close(pfd[0]);
				printf("ready %ld sockets\n", total);
				if (fflush(stdout) == EOF) {
					fprintf(stderr, "%s: stdout: %s\n", prog, strerror(errno));
					shutdown_all(1);
				}
			}
		}
		if (!starting && (pf[1].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			if (pf[1].revents & POLLNVAL) {
				outfd = -1; /* not pollable: nothing to watch */
			} else {
				fprintf(stderr, "%s: stdout closed, stopping\n", prog);
				shutdown_all(0);
			}
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			ssize_t got;

			while ((got = read(sfd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					reap(&unexpected);
					if (unexpected) {
						fprintf(stderr, "%s: a child died, stopping\n", prog);
						shutdown_all(1);
					}
				} else {
					/* SIGTERM / SIGINT / SIGHUP: normal end of a run. Say
					 * who asked unless it is whoever started us. */
					if ((pid_t)si.ssi_pid != getppid())
						fprintf(stderr, "%s: %s from pid %u, stopping\n", prog,
							strsignal((int)si.ssi_signo), si.ssi_pid);
					shutdown_all(0);
				}
			}
			if (got < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "%s: read signalfd: %s\n", prog, strerror(errno));
				shutdown_all(1);
			}
		}
	}
}
