/* runone: run one command, report its wall time, CPU time and peak RSS.
 *
 * usage: runone [-o OUTFILE] [-t TIMEOUT_S] -- COMMAND [ARG...]
 *
 * COMMAND runs with stdin from /dev/null, stdout to OUTFILE (default
 * /dev/null) and stderr inherited. When it ends, runone prints one line on
 * its own stdout:
 *
 *     wall_ns=N utime_us=N stime_us=N maxrss_kb=N status=N
 *
 * status is the exit status, or 128 + signal number; -1 if it timed out (it
 * is then killed). runone exits 0 when it could measure, 1 otherwise.
 *
 * Why a C helper: the kernel records a process's peak RSS at execve() from
 * the memory it had just before, so a command spawned straight from the
 * Python benchmark would report at least the Python interpreter's RSS. A
 * child forked from this small program starts with almost nothing mapped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "runone: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime");
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *out = "/dev/null";
	double timeout = 0;
	struct rusage ru;
	long long t0, t1;
	int opt, st, in_fd, out_fd, pidfd, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+o:t:")) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 't': {
			char *end;

			errno = 0;
			timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || timeout < 0) {
				fprintf(stderr, "runone: -t: bad timeout '%s'\n", optarg);
				return 1;
			}
			break;
		}
		default:
			fprintf(stderr, "usage: runone [-o OUTFILE] [-t TIMEOUT_S] -- COMMAND [ARG...]\n");
			return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: runone [-o OUTFILE] [-t TIMEOUT_S] -- COMMAND [ARG...]\n");
		return 1;
	}

	in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in_fd < 0)
		die("open /dev/null");
	out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out_fd < 0)
		die(out);

	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0)
			_exit(126);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "runone: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}

	/* Sleep until the exit (or the timeout) without polling. */
	if (timeout > 0) {
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			die("pidfd_open");
		struct pollfd pf = { .fd = pidfd, .events = POLLIN };
		long long ms = (long long)(timeout * 1000);
		int n;

		do
			n = poll(&pf, 1, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			die("poll");
		if (n == 0 && kill(pid, SIGKILL) < 0)
			die("kill");
		close(pidfd);
		if (n == 0) {
			if (wait4(pid, &st, 0, &ru) < 0)
				die("wait4");
			printf("wall_ns=-1 utime_us=0 stime_us=0 maxrss_kb=0 status=-1\n");
			return 0;
		}
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4");
	t1 = now_ns();

	status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	printf("wall_ns=%lld utime_us=%lld stime_us=%lld maxrss_kb=%ld status=%d\n", t1 - t0,
	       (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss, status);
	if (fflush(stdout) == EOF)
		die("stdout");
	return 0;
}
