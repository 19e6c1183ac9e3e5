# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the integration tests (test_*.py next to this file) share.

Each test does `import wstest`: Python puts a script's own directory on
sys.path, also when the script re-executes itself under `unshare -n`.

  - whosock_path(): the binary under test (WHOSOCK, else WHOSOCK_SRC/build/whosock);
  - main() and outer(), for a test that runs in its own network namespace:
    SKIP (exit 77; in CI, CI=true, a FAIL) when it cannot run here (not root, a tool missing,
    `unshare -n` failing: see missing() and unshare_fails()), else re-execute
    the script in a new namespace with INNER_ENV set, where main() runs the
    test's inner half; start_inner(): the first steps of that inner half;
  - Checker: collects every failure ("FAIL [section] ..."), prints an
    "ok/FAIL section" line per section and the final SUMMARY line;
  - child processes that hold sockets (spawn(), popen_kid(), Kid,
    kill_all_kids()) and Scope, what one section made, undone when it ends;
  - small helpers: quote() and shell_line() (commands to paste in a shell),
    decoded(), fmt_row(), pairs(), ino(), socket_fds(), canon_addr(),
    ss_endpoint(), SS_STATE.

Python 3 standard library only.
"""

import atexit
import ctypes
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

EXIT_SKIP = 77
INNER_ENV = "WHOSOCK_TEST_IN_NETNS"  # set in the inner run: the outer namespace's inode
PR_SET_PDEATHSIG = 1


def whosock_path():
    p = os.environ.get("WHOSOCK")
    if p:
        return p
    src = os.environ.get("WHOSOCK_SRC") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    return os.path.join(src, "build", "whosock")


# --------------------------------------------------------------------------
# Outer half: decide whether we can run, then re-exec inside a new netns.
# --------------------------------------------------------------------------

def skip(why):
    """SKIP (exit 77) outside CI; in CI (CI=true, as root) nothing may be
    left out silently, so a test that cannot run fails."""
    if os.environ.get("CI") == "true":
        print("FAIL: cannot run in CI (CI=true), where a skip is a failure: " + why)
        return 1
    print("SKIP: " + why)
    return EXIT_SKIP


def missing(root_why, tools, tools_why="util-linux / iproute2 needed"):
    """Why the test cannot run here: root_why when not root, or a tool that
    is not on PATH. None when neither."""
    if os.geteuid() != 0:
        return root_why
    for tool in tools:
        if shutil.which(tool) is None:
            return "`%s` not found (%s)" % (tool, tools_why)
    return None


def unshare_fails():
    """Why no network namespace can be made here, or None."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "cannot create a network namespace (unshare -n: %s)" % probe.stderr.strip()
    return None


def outer(script, root_why, tools=("unshare", "ip", "ss")):
    """Print a SKIP line and return EXIT_SKIP when the test cannot run here;
    else re-exec `python3 script ARGS...` in a new network namespace, with
    INNER_ENV set (does not return)."""
    why = missing(root_why, tools) or unshare_fails()
    if why:
        return skip(why)
    env = dict(os.environ)
    env[INNER_ENV] = str(os.stat("/proc/self/ns/net").st_ino)
    sys.stdout.flush()
    # unshare(1) without --fork: it unshares, then execs us, so the namespace
    # belongs to this very process and disappears when it (and what it
    # started) exits.
    os.execvpe("unshare", ["unshare", "-n", "--", sys.executable, os.path.abspath(script)] + sys.argv[1:], env)
    return 1  # not reached


def main(script, inner, root_why, tools=("unshare", "ip", "ss")):
    """Exit with inner()'s status in the inner run (INNER_ENV set), else with
    outer()'s."""
    if os.environ.get(INNER_ENV):
        sys.exit(inner())
    sys.exit(outer(script, root_why, tools))


def whosock_missing(whosock):
    """True, after a FAIL line, when whosock is not an executable."""
    if os.access(whosock, os.X_OK):
        return False
    print("FAIL: whosock binary not found at %s (set WHOSOCK)" % whosock)
    return True


BPF_NOT_BUILT = "built without BPF"


def bpf_built(whosock):
    """Whether this whosock has BPF built in (asked for the BPF owner pass,
    it says so in a note only when it was not). Returns (built, stderr)."""
    p = subprocess.run([whosock, "--owners-from", "bpf", "--host-only", "-t", "-o", "json"],
                       capture_output=True, timeout=300)
    err = decoded(p.stderr)
    return BPF_NOT_BUILT not in err, err


def bpf_links(pid):
    """How many BPF links process pid holds (its fds to anon_inode:bpf_link):
    whosock's programs are attached through links it owns, none pinned."""
    n = 0
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return 0
    for fd in fds:
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:bpf_link"
        except OSError:
            pass
    return n


def start_inner(whosock):
    """First steps of the inner half: check that the re-exec landed in a new
    network namespace, bring its loopback up, check the binary. Returns the
    namespace's inode, or None after a FAIL line."""
    netns = os.stat("/proc/self/ns/net").st_ino
    if str(netns) == os.environ.get(INNER_ENV):
        print("FAIL: re-exec did not land in a new network namespace")
        return None
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    if whosock_missing(whosock):
        return None
    return netns


# --------------------------------------------------------------------------
# Bookkeeping: collect every failure, print them all, never stop at the first.
# --------------------------------------------------------------------------

class Checker:
    """Counts the checks that pass and collects every failure.

    scope: a class; run_section() then passes a new instance to each section
      as its first argument and closes it when the section ends.
    timed: the "ok/FAIL section" line also gives the section's time.
    tag: the [tag] of the FAIL lines of a section, from its title (default:
      the whole title).
    announce: print "---- title" when a section starts.
    section: the tag of failures outside any section (None: no tag)."""

    def __init__(self, scope=None, timed=False, tag=None, announce=False, section="setup"):
        self.passed = 0
        self.failed = []
        self.section = section
        self.scope = scope
        self.timed = timed
        self.tag = tag
        self.announce = announce

    def ok(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            return True
        msg = what if self.section is None else "[%s] %s" % (self.section, what)
        if detail:
            msg += "\n" + "\n".join("      " + l for l in str(detail).rstrip("\n").split("\n"))
        self.failed.append(msg)
        print("FAIL " + msg, flush=True)
        return False

    def eq(self, got, want, what, detail=""):
        return self.ok(got == want, "%s: got %r, want %r" % (what, got, want), detail)

    def run_section(self, name, fn, *args):
        """Run fn(*args), or fn(scope, *args); an exception is a failure."""
        self.section = self.tag(name) if self.tag else name
        before = len(self.failed)
        if self.announce:
            print("---- %s" % name, flush=True)
        t0 = time.monotonic()
        scope = self.scope() if self.scope else None
        try:
            if scope is None:
                fn(*args)
            else:
                fn(scope, *args)
        except Exception:
            self.ok(False, "exception", traceback.format_exc())
        finally:
            if scope is not None:
                scope.close()
        took = " (%.1f s)" % (time.monotonic() - t0) if self.timed else ""
        print("%-4s %s%s" % ("ok" if len(self.failed) == before else "FAIL", name, took), flush=True)

    def summary(self, notes=(), cut=None, took=None):
        """Print the notes, the SUMMARY line (with the time when took, in
        seconds, is given) and the first line of every failure (its first cut
        characters when cut is given). Returns the exit status: 0 or 1."""
        for n in notes:
            print("note: " + n)
        t = "" if took is None else " (%.1f s)" % took
        if self.failed:
            print("SUMMARY: %d checks passed, %d FAILED%s:" % (self.passed, len(self.failed), t))
            for f in self.failed:
                print("  - " + f.split("\n")[0][:cut])
            return 1
        print("SUMMARY: all %d checks passed%s" % (self.passed, t))
        return 0


# --------------------------------------------------------------------------
# Child processes: killed at the end of their section (Scope) and at exit;
# each also dies with the test (PR_SET_PDEATHSIG, and a pipe only we hold).
# --------------------------------------------------------------------------

LIBC = ctypes.CDLL(None, use_errno=True)


def prctl(option, arg):
    arg = ctypes.c_char_p(arg) if isinstance(arg, bytes) else ctypes.c_ulong(arg)
    if LIBC.prctl(ctypes.c_int(option), arg, ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "prctl(%d): %s" % (option, os.strerror(e)))


ALL_KIDS = {}  # pid -> Kid


class Kid:
    """A child process (forked, or a subprocess.Popen), in ALL_KIDS until
    stop(). kid[k] is k in the JSON message it sent when it was ready."""

    def __init__(self, pid, hold_fd=None, popen=None):
        self.pid = pid
        self.msg = {}
        self.hold_fd = hold_fd
        self.popen = popen
        ALL_KIDS[pid] = self

    def __getitem__(self, k):
        return self.msg[k]

    def stop(self):
        if self.pid not in ALL_KIDS:
            return
        del ALL_KIDS[self.pid]
        if self.hold_fd is not None:
            try:
                os.close(self.hold_fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.popen is not None:
            self.popen.wait()
            for f in (self.popen.stdin, self.popen.stdout):
                if f:
                    f.close()
        else:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


def kill_all_kids():
    for k in list(ALL_KIDS.values()):
        k.stop()


atexit.register(kill_all_kids)


def close_fds_except(keep):
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def read_line(fd, timeout=None):
    """Read up to a newline; stops early at EOF and after timeout seconds
    (None: no limit)."""
    buf = b""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
        b = os.read(fd, 65536)
        if not b:
            break
        buf += b
    return buf


def spawn(fn, keep=(), loop=None, timeout=None):
    """Fork a child that closes every fd but 0-2 and `keep`, runs fn() (which
    opens its sockets and returns a JSON-able dict, sent back to us), then
    blocks until killed -- or runs loop(hold_fd) when given. Waits for its
    message at most timeout seconds (None: no limit). Returns a Kid."""
    r_ready, w_ready = os.pipe()
    r_hold, w_hold = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            close_fds_except(set(keep) | {w_ready, r_hold})
            msg = fn() or {}
            msg["pid"] = os.getpid()
            os.write(w_ready, json.dumps(msg).encode() + b"\n")
            os.close(w_ready)
            if loop:
                loop(r_hold)
            else:
                while os.read(r_hold, 1):
                    pass
        except BaseException:
            try:
                os.write(w_ready, json.dumps({"error": traceback.format_exc()}).encode() + b"\n")
            except OSError:
                pass
            code = 1
        os._exit(code)
    os.close(w_ready)
    os.close(r_hold)
    kid = Kid(pid, hold_fd=w_hold)
    line = read_line(r_ready, timeout)
    os.close(r_ready)
    try:
        kid.msg = json.loads(line)
    except ValueError:
        kid.stop()
        raise RuntimeError("child %d died before it was ready (%r)" % (pid, line))
    if "error" in kid.msg:
        kid.stop()
        raise RuntimeError("child %d failed:\n%s" % (pid, kid.msg["error"]))
    return kid


def popen_kid(p, what, timeout=None):
    """A Kid for p, a subprocess.Popen whose stdout is a pipe, once it is
    ready: its message is the JSON line it writes there first (waited for
    at most timeout seconds, None: no limit)."""
    kid = Kid(p.pid, popen=p)
    line = read_line(p.stdout.fileno(), timeout)
    try:
        kid.msg = json.loads(line)
    except ValueError:
        kid.stop()
        raise RuntimeError("exec'd child %s died before it was ready (%r)" % (what, line))
    return kid


class Scope:
    """What one section created: closed/killed when the section ends.
    tmpdir() makes directories named TMP_PREFIX..., chmod TMP_MODE if set."""

    TMP_PREFIX = "wstest-"
    TMP_MODE = None

    def __init__(self):
        self.socks = []
        self.kids = []
        self.fds = []
        self.dirs = []

    def s(self, sock):
        self.socks.append(sock)
        return sock

    def kid(self, k):
        self.kids.append(k)
        return k

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix=self.TMP_PREFIX)
        if self.TMP_MODE is not None:
            os.chmod(d, self.TMP_MODE)
        self.dirs.append(d)
        return d

    def close(self):
        for k in self.kids:
            k.stop()
        for s in self.socks:
            s.close()
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# Small helpers.
# --------------------------------------------------------------------------

def quote(a):
    """a as a shell word."""
    return a if re.match(r"^[\w./=:,+-]+$", a) else "'" + a.replace("'", "'\\''") + "'"


def shell_line(argv, user=None):
    """argv as a command to paste in a shell; run as uid user through setpriv
    when user is given."""
    c = " ".join(quote(a) for a in argv)
    if user is not None:
        c = "setpriv --reuid=%d --regid=%d --clear-groups %s" % (user, user, c)
    return c


def decoded(b):
    return b.decode("utf-8", "replace")


def fmt_row(r):
    return json.dumps(r, sort_keys=True, ensure_ascii=True)


def pairs(owners):
    """Sorted (pid, fd) of a list of owner objects: one per fd in each
    owner's "fds" (an owner is a process, holding the socket through its
    fds; "fd" alone where "fds" is missing)."""
    return sorted((o.get("pid"), fd) for o in owners or [] for fd in (o.get("fds") or [o.get("fd")]))


def owner_problems(owners):
    """What breaks the contract of an "owners" array: one entry per process
    (and per thread with an fd table of its own, with "tid"), sorted by pid
    then tid; "fds" non-empty, ascending, no repeats; "fd" its lowest.
    Returns a list of sentences (empty when all is well)."""
    bad = []
    keys = []
    for o in owners or []:
        fds, key = o.get("fds"), (o.get("pid"), o.get("tid", 0))
        if not isinstance(fds, list) or not fds or not all(isinstance(f, int) for f in fds):
            bad.append("pid %s: \"fds\" is %r, want a non-empty list of fds" % (o.get("pid"), fds))
            continue
        if fds != sorted(set(fds)):
            bad.append("pid %s: \"fds\" not ascending without repeats: %r" % (o.get("pid"), fds[:20]))
        if o.get("fd") != min(fds):
            bad.append("pid %s: \"fd\" %r is not the lowest of \"fds\" (%d)" % (o.get("pid"), o.get("fd"), min(fds)))
        keys.append(key)
    if len(set(keys)) != len(keys):
        bad.append("more than one entry for one (pid, tid): %r" % keys)
    if keys != sorted(keys):
        bad.append("entries not sorted by (pid, tid): %r" % keys)
    return bad


def ino(s):
    """The inode of a socket object or an fd."""
    return os.fstat(s if isinstance(s, int) else s.fileno()).st_ino


def socket_fds(pid):
    """{fd: inode} of every socket /proc/PID/fd holds."""
    out = {}
    d = "/proc/%d/fd" % pid
    for name in os.listdir(d):
        try:
            link = os.readlink(d + "/" + name)
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", link)
        if m:
            out[int(name)] = int(m.group(1))
    return out


def canon_addr(text):
    """Address text as glibc inet_ntop prints it (what ss -n and the JSON
    contract both use); unparsable text is kept so a diff shows it."""
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_ntop(fam, socket.inet_pton(fam, text))
        except (OSError, ValueError):
            pass
    return text


def ss_endpoint(text):
    """`addr[%iface]:port` as ss -n prints it: IPv6 in brackets, `*` for port
    0 and for a dual-stack `::`. Returns (canonical addr, port)."""
    host, port = text.rsplit(":", 1)
    host = host.split("%", 1)[0]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "*":
        host = "::"
    return canon_addr(host), (0 if port == "*" else int(port))


# ss state names -> the JSON contract's kernel names. ss prints TCP_CLOSE as
# UNCONN (whosock does too for udp/raw/unix) and TCP_ESTABLISHED as ESTAB,
# which for UNIX sockets whosock calls CONNECTED.
SS_STATE = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV",
            "FIN-WAIT-1": "FIN_WAIT1", "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT",
            "UNCONN": "UNCONN", "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK",
            "LISTEN": "LISTEN", "CLOSING": "CLOSING"}


# --------------------------------------------------------------------------
# Processes in `ip netns` namespaces a test made.
# --------------------------------------------------------------------------

def netns_popen(name, argv, kids, user=None, container=None):
    """argv run in namespace name (ip netns exec), as user (uid, gid) when
    given, in container (a FakeContainer) when given, its stdin, stdout and
    stderr pipes; appended to kids."""
    pre = ["ip", "netns", "exec", name]
    if user:
        pre += ["setpriv", "--reuid", str(user[0]), "--regid", str(user[1]), "--clear-groups"]
    p = subprocess.Popen(pre + argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=container.enter if container else None)
    kids.append(p)
    return p


def make_netns(name, made):
    """ip netns add name, with its loopback up; appended to made."""
    subprocess.run(["ip", "netns", "add", name], check=True)
    made.append(name)
    subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)


def cleanup(kids, namespaces):
    """Kill the processes of kids still running and delete the namespaces
    (ip netns names) a test made."""
    for p in kids:
        if p.poll() is None:
            p.kill()
            p.wait()
    for name in namespaces:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def cgroup2_root():
    """Where cgroup v2 is mounted (/sys/fs/cgroup; /sys/fs/cgroup/unified on
    a hybrid system), or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.split()[:1] == ["cgroup2"]:
                return pre.split()[4]
    return None


class FakeContainer:
    """A cgroup named as docker's cgroupfs driver names a container's
    (docker/<64 hex digits>), for processes started in it: whosock reads
    them as that container's. remove() takes it away (its processes gone)."""

    def __init__(self, tag):
        self.id = hashlib.sha256(tag.encode()).hexdigest()
        self.parent = os.path.join(cgroup2_root(), "docker")
        self.path = os.path.join(self.parent, self.id)
        os.makedirs(self.path)

    def enter(self):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    def remove(self):
        for d in (self.path, self.parent):
            try:
                os.rmdir(d)
            except OSError:
                pass


def wait_line(p, want, what):
    """Read p's next stdout line; it must be want (RuntimeError else)."""
    line = p.stdout.readline().decode().strip()
    if line != want:
        raise RuntimeError("%s: got %r (stderr %r)" % (what, line, p.stderr.read1(2000) if p.poll() is not None
                                                       else ""))


def netns_inode(name):
    """The inode of the `ip netns` namespace name."""
    return os.stat("/run/netns/" + name).st_ino


# A TCP and UDP server on loopback for a namespace's clients:
# python3 -c SERVER COMM TCP_PORT UDP_PORT echo|discard. Its comm is COMM;
# UDP datagrams are echoed, TCP data echoed or read and dropped; "ready"
# on stdout once both are bound.
SERVER = r"""
import ctypes, socket, threading, sys
comm, tcp_port, udp_port, echo = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "echo"
ctypes.CDLL(None).prctl(15, comm.encode())
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", tcp_port)); t.listen(512)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", udp_port))
def udp():
    while True:
        data, peer = u.recvfrom(4096)
        u.sendto(data, peer)
def serve(a):
    while True:
        data = a.recv(65536)
        if not data:
            break
        if echo:
            a.sendall(data)
    a.close()
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
while True:
    a, _ = t.accept()
    threading.Thread(target=serve, args=(a,), daemon=True).start()
"""
