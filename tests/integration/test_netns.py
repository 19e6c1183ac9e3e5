#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: whosock in every network namespace.

The test runs in the caller's (usually the root) network namespace, which
other engineers may be loading with thousands of sockets at the same time:
every assertion concerns only the namespaces and sockets this test made
(rows are picked by the netns inodes and socket inodes it knows), never the
rest of the machine. It makes:

  A, B  `ip netns add wstest-<pid>-a/-b`, each with a holder process started by
        `ip netns exec` that opens the SAME sockets: TCP listener
        127.0.0.1:5555, an established pair 127.0.0.1:5556 <-> :5555, UDP
        127.0.0.1:5555, a TCP [::]:5557 listener (when IPv6 is there) and an
        abstract UNIX listener @wstest-netns with a connected pair;
  U     the same sockets in a process started by `unshare -n` (no name);
  S     a namespace no process lives in and nothing holds but a socket: a
        child unshare()s, opens 127.0.0.1:5555 (TCP) and :5555 (UDP), then
        setns()es back to the caller's namespace keeping only the sockets;
  F     the same, but the child also keeps an fd open on that namespace's
        /proc/self/ns/net (it lives in the caller's namespace);
  C     `ip netns add wstest-<pid>-c` with no process in it: a child enters it,
        opens 127.0.0.1:5555 and leaves (a named namespace held by its bind
        mount and the socket);
  R     a TCP listener of the test itself in the caller's namespace.

Sections:
  1. in `whosock -o json`, every socket of A, B, U appears exactly once, with
     the right netns inode, netns_name (null for U) and owners (pid, fd);
     identical 5-tuples in different namespaces stay distinct rows;
  2. per namespace, the set of (proto, state, local, remote, owners) equals
     `ss -tuaxpnH` run inside it (ip netns exec / nsenter), for the default
     listing and for --netns NAME, --netns pid:PID and --netns INODE;
  3. S and F are listed (exactly once, their inode, owned by the child), also
     with --netns INODE;
  4. C is listed with its netns_name;
  5. a program linked with libwhosock (netns_caller.c): whosock_snapshot_take(NULL)
     from the main thread and from another thread never changes the calling
     thread's namespace, and sees every namespace above;
  6. --host-only lists only the caller's namespace; the table has a NETNS
     column (ip netns name or inode) when several namespaces are listed and
     none with --host-only; --netns nosuchname exits 2 with one line;
  7. as nobody (setpriv): exit 0, the caller's namespace is listed, a note on
     stderr for the namespaces it cannot enter.

Environment: WHOSOCK (binary), WHOSOCK_NETNS_CALLER (netns_caller), WHOSOCK_SRC (source
root), set by tests/integration/meson.build. Exit 0 pass, 1 fail, 77 skip (not
root, or namespaces cannot be made). Children are killed and namespaces
deleted on every exit path. Python 3 standard library only.
"""

import atexit
import collections
import ctypes
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import traceback

import wstest
from wstest import PR_SET_PDEATHSIG, decoded, ino, pairs

NOBODY = 65534
CLONE_NEWNET = 0x40000000
SIOCGSKNS = 0x894C
SYS_pidfd_open = 434   # the same number on every architecture
SYS_pidfd_getfd = 438
PORT = 5555            # the listener and UDP port, in every namespace
CLIENT_PORT = 5556     # the client end of the established pair
PORT6 = 5557           # the IPv6 listener
UNIX_NAME = "\0wstest-netns"
READY_TIMEOUT = 60     # seconds a child may take to say it is ready (a safety net, not a check)
THIS = os.path.abspath(__file__)

LIBC = ctypes.CDLL(None, use_errno=True)


def libc_call(name, *args):
    r = getattr(LIBC, name)(*args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (name, os.strerror(e)))
    return r


def setns(fd):
    libc_call("setns", ctypes.c_int(fd), ctypes.c_int(CLONE_NEWNET))


def ns_ino(path="/proc/self/ns/net"):
    return os.stat(path).st_ino


# ==========================================================================
# Children: `python3 test_netns.py --child MODE [ARG]`. Each opens its
# sockets, writes one JSON line on stdout, then holds everything until its
# stdin reaches EOF (the test closes it, or dies).
# ==========================================================================

KEEP = []


def sock_info(what, s, proto, state, local, remote):
    KEEP.append(s)
    return {"what": what, "proto": proto, "family": "inet6" if s.family == socket.AF_INET6 else
            "unix" if s.family == socket.AF_UNIX else "inet", "state": state,
            "fd": s.fileno(), "inode": ino(s), "local": local, "remote": remote}


def lo_up():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)


def open_sockets(full, bound=False):
    """The sockets opened in each namespace. full: also the established pair,
    IPv6 and UNIX sockets. bound: also a TCP socket bound but neither
    listening nor connecting (which ss before 6.7 does not list)."""
    out = []
    if bound:
        b = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        b.bind(("127.0.0.1", CLIENT_PORT))
        out.append(sock_info("TCP bound, inactive 127.0.0.1:%d" % CLIENT_PORT, b, "tcp", "CLOSE",
                             ["127.0.0.1", CLIENT_PORT], ["0.0.0.0", 0]))
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", PORT))
    lst.listen(16)
    out.append(sock_info("TCP listener 127.0.0.1:%d" % PORT, lst, "tcp", "LISTEN",
                         ["127.0.0.1", PORT], ["0.0.0.0", 0]))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", PORT))
    out.append(sock_info("UDP 127.0.0.1:%d" % PORT, udp, "udp", "UNCONN", ["127.0.0.1", PORT], ["0.0.0.0", 0]))
    if not full:
        return out
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.bind(("127.0.0.1", CLIENT_PORT))
    cli.connect(("127.0.0.1", PORT))
    acc, _ = lst.accept()
    out.append(sock_info("TCP client 127.0.0.1:%d->:%d" % (CLIENT_PORT, PORT), cli, "tcp", "ESTABLISHED",
                         ["127.0.0.1", CLIENT_PORT], ["127.0.0.1", PORT]))
    out.append(sock_info("TCP accepted 127.0.0.1:%d<-:%d" % (PORT, CLIENT_PORT), acc, "tcp", "ESTABLISHED",
                         ["127.0.0.1", PORT], ["127.0.0.1", CLIENT_PORT]))
    try:
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s6.bind(("::", PORT6))
        s6.listen(16)
        out.append(sock_info("TCP listener [::]:%d" % PORT6, s6, "tcp", "LISTEN", ["::", PORT6], ["::", 0]))
    except OSError:
        pass  # no IPv6 here: the rest still runs
    ul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ul.bind(UNIX_NAME)
    ul.listen(16)
    uc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uc.connect(UNIX_NAME)
    ua, _ = ul.accept()
    out.append(sock_info("UNIX listener @wstest-netns", ul, "unix", "LISTEN", ["@wstest-netns"], [None]))
    out.append(sock_info("UNIX client", uc, "unix", "CONNECTED", [None], ["@wstest-netns"]))
    out.append(sock_info("UNIX accepted", ua, "unix", "CONNECTED", ["@wstest-netns"], [None]))
    return out


def ns_fds_of_self():
    """fds of this process that are network namespaces."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink("/proc/self/fd/" + name)
        except OSError:
            continue
        if link.startswith("net:["):
            found.append((int(name), link))
    return found


def child_main(mode, arg):
    libc_call("prctl", ctypes.c_int(PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGKILL),
              ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    msg = {"pid": os.getpid(), "mode": mode}
    try:
        if mode == "holder":
            # Lives in the namespace `ip netns exec` or `unshare -n` put it in.
            lo_up()
            msg["netns"] = ns_ino()
            msg["sockets"] = open_sockets(full=True)
        elif mode in ("socket-only", "fd-held", "named"):
            root = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            msg["root_netns"] = os.fstat(root).st_ino
            if mode == "named":
                fd = os.open("/run/netns/" + arg, os.O_RDONLY | os.O_CLOEXEC)
                setns(fd)
                os.close(fd)
            else:
                libc_call("unshare", ctypes.c_int(CLONE_NEWNET))
            lo_up()  # runs in the new namespace: 127.0.0.1 needs lo up
            msg["netns"] = ns_ino()
            if mode == "fd-held":
                keep = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
                msg["ns_fd"] = keep
            msg["sockets"] = open_sockets(full=False, bound=mode == "socket-only")
            setns(root)
            os.close(root)
            msg["netns_after"] = ns_ino()
            msg["ns_fds"] = ns_fds_of_self()
        else:
            raise ValueError("unknown child mode %r" % mode)
    except BaseException:
        msg["error"] = traceback.format_exc()
    os.write(1, json.dumps(msg).encode() + b"\n")
    if "error" in msg:
        os._exit(1)
    while os.read(0, 4096):
        pass
    os._exit(0)


# ==========================================================================
# The test.
# ==========================================================================

# Collects every failure, prints them all. The [tag] of a section's failures
# is its number ("1.").
T = wstest.Checker(tag=lambda name: name.split(" ", 1)[0], announce=True)


def caller_path():
    p = os.environ.get("WHOSOCK_NETNS_CALLER")
    if p:
        return p
    return os.path.join(os.path.dirname(wstest.whosock_path()), "tests", "integration", "netns_caller")


WHOSOCK = wstest.whosock_path()
PREFIX = "wstest-%d" % os.getpid()


def cmdline(args, user=None):
    return wstest.shell_line([WHOSOCK] + list(args), user)


def run_ws(args, user=None):
    cmd = [WHOSOCK] + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
    p = subprocess.run(cmd, capture_output=True, timeout=240, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def fmt_row(r):
    return json.dumps(r, sort_keys=True)[:1500]


def ws_json(args, user=None, want_rc=0):
    """whosock ARGS -o json: (rows, stderr) or (None, stderr) after recording
    the failure."""
    args = list(args) + ["-o", "json"]
    rc, out, err = run_ws(args, user)
    where = cmdline(args, user)
    if not T.eq(rc, want_rc, "%s: exit status" % where, decoded(err)):
        return None, decoded(err)
    try:
        rows = json.loads(out.decode("utf-8"))
    except ValueError as e:
        T.ok(False, "%s: output does not parse: %s" % (where, e), decoded(out)[:2000])
        return None, decoded(err)
    if not T.ok(isinstance(rows, list) and all(isinstance(r, dict) for r in rows),
                "%s: not an array of objects" % where, decoded(out)[:500]):
        return None, decoded(err)
    return rows, decoded(err)


def my_comm():
    with open("/proc/self/comm") as f:
        return f.read().rstrip("\n")


# --------------------------------------------------------------------------
# Bookkeeping of what we made; everything is undone by cleanup().
# --------------------------------------------------------------------------

CHILDREN = []    # subprocess.Popen
NETNS_NAMES = []  # ip netns names we added
CLEANED = [False]


def cleanup():
    if CLEANED[0]:
        return
    CLEANED[0] = True
    for p in CHILDREN:
        for f in (p.stdin, p.stdout):
            try:
                f.close()
            except Exception:
                pass
        try:
            p.kill()
        except Exception:
            pass
        try:
            p.wait(timeout=30)
        except Exception:
            pass
    for name in NETNS_NAMES:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    del NETNS_NAMES[:]


atexit.register(cleanup)


def on_signal(signum, frame):
    raise SystemExit("killed by signal %d" % signum)


class Child:
    """A child started as `prefix... python3 THIS --child MODE [ARG]`."""

    def __init__(self, label, prefix, mode, arg=None):
        argv = list(prefix) + [sys.executable, THIS, "--child", mode] + ([arg] if arg else [])
        self.label = label
        self.argv = argv
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        CHILDREN.append(self.p)
        line = b""
        while not line.endswith(b"\n"):
            r, _, _ = select.select([self.p.stdout], [], [], READY_TIMEOUT)
            if not r:
                raise RuntimeError("%s: no answer within %ds from %s" % (label, READY_TIMEOUT, " ".join(argv)))
            b = os.read(self.p.stdout.fileno(), 65536)
            if not b:
                break
            line += b
        try:
            self.msg = json.loads(line)
        except ValueError:
            raise RuntimeError("%s: child died before it was ready (%r): %s" % (label, line, " ".join(argv)))
        if "error" in self.msg:
            raise RuntimeError("%s: child failed (%s):\n%s" % (label, " ".join(argv), self.msg["error"]))
        self.pid = self.msg["pid"]
        self.sockets = self.msg["sockets"]

    def sock(self, what_prefix):
        return [s for s in self.sockets if s["what"].startswith(what_prefix)][0]


class NS:
    """A namespace the test made: its inode, `ip netns` name, holder child."""

    def __init__(self, key, label, inode, name, child, how):
        self.key, self.label, self.inode, self.name, self.child, self.how = key, label, inode, name, child, how


NSS = collections.OrderedDict()  # key -> NS
ROOT = {}                        # caller's namespace: inode, listener


def setup():
    ROOT["inode"] = ns_ino("/proc/thread-self/ns/net")
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    ROOT["listener"] = lst
    ROOT["port"] = lst.getsockname()[1]
    ROOT["linode"] = ino(lst)

    for key in ("a", "b", "c"):
        name = "%s-%s" % (PREFIX, key)
        p = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("ip netns add %s: %s" % (name, p.stderr.strip()))
        NETNS_NAMES.append(name)
    for key in ("a", "b"):
        name = "%s-%s" % (PREFIX, key)
        k = Child("holder in " + name, ["ip", "netns", "exec", name], "holder")
        NSS[key] = NS(key, "ip netns %s" % name, ns_ino("/run/netns/" + name), name, k,
                      ["ip", "netns", "exec", name])
    k = Child("holder in unshare -n", ["unshare", "-n", "--"], "holder")
    NSS["u"] = NS("u", "unshare -n (pid %d)" % k.pid, ns_ino("/proc/%d/ns/net" % k.pid), None, k,
                  ["nsenter", "--net=/proc/%d/ns/net" % k.pid])
    if os.environ.get("WHOSOCK_REAL"):
        # whosock runs under valgrind (-Dvalgrind=true), whose 3.19 does not
        # know pidfd_open: such a namespace is then not found (with a note).
        print("  (under valgrind: no namespace held only by a socket; valgrind lacks pidfd_open)")
    else:
        k = Child("socket-only namespace", [], "socket-only")
        NSS["s"] = NS("s", "namespace held only by sockets of pid %d" % k.pid, k.msg["netns"], None, k, None)
    k = Child("fd-held namespace", [], "fd-held")
    NSS["f"] = NS("f", "namespace held by fd %d of pid %d" % (k.msg["ns_fd"], k.pid), k.msg["netns"], None, k,
                  ["nsenter", "--net=/proc/%d/fd/%d" % (k.pid, k.msg["ns_fd"])])
    name = "%s-c" % PREFIX
    k = Child("child that left " + name, [], "named", name)
    NSS["c"] = NS("c", "ip netns %s (no process)" % name, ns_ino("/run/netns/" + name), name, k,
                  ["ip", "netns", "exec", name])

    print("caller's namespace %d, test pid %d, listener 127.0.0.1:%d (inode %d)"
          % (ROOT["inode"], os.getpid(), ROOT["port"], ROOT["linode"]))
    for ns in NSS.values():
        print("  %-2s netns %d: %s; child %d: %s" % (ns.key, ns.inode, ns.label, ns.child.pid,
              ", ".join("%s (fd %d, inode %d)" % (s["what"], s["fd"], s["inode"]) for s in ns.child.sockets)))
    sys.stdout.flush()

    # Preconditions about the setup itself (a failure here is the test's,
    # not whosock's, but then nothing below would mean anything).
    for key in ("a", "b", "u"):
        ns = NSS[key]
        T.eq(ns.child.msg["netns"], ns.inode, "%s: the holder's own view of its namespace inode" % ns.label)
    inodes = [ns.inode for ns in NSS.values()] + [ROOT["inode"]]
    T.ok(len(set(inodes)) == len(inodes), "the namespaces made are not all distinct: %r" % inodes)
    for key in [k for k in ("s", "f", "c") if k in NSS]:
        ns, m = NSS[key], NSS[key].child.msg
        T.eq(m["netns_after"], ROOT["inode"], "%s: the child went back to the caller's namespace" % ns.label)
        want_fds = [[m["ns_fd"], "net:[%d]" % ns.inode]] if key == "f" else []
        T.eq(m["ns_fds"], want_fds, "%s: the child's fds on namespaces" % ns.label)
    # No process lives in S, F or C.
    living = collections.defaultdict(list)
    watch = {NSS[k].inode: k for k in ("s", "f", "c") if k in NSS}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for tid in os.listdir("/proc/%s/task" % pid):
                i = ns_ino("/proc/%s/task/%s/ns/net" % (pid, tid))
                if i in watch:
                    living[watch[i]].append(int(tid))
        except OSError:
            continue
    T.ok(not living, "threads live in namespaces that should have none: %r" % dict(living))


FULL = {}


def full_listing():
    """`whosock -o json` once (the default: every namespace, inet sockets)."""
    if "rows" not in FULL:
        FULL["rows"], FULL["err"] = ws_json([])
        if FULL["rows"] is not None:
            c = collections.Counter(r.get("netns") for r in FULL["rows"])
            print("  %s: %d rows in %d namespaces" % (cmdline(["-o", "json"]), len(FULL["rows"]), len(c)),
                  flush=True)
    return FULL["rows"]


def check_socket_row(rows, ns, s, where):
    """The socket s of ns's child: exactly one row, in ns, owned by the child."""
    m = [r for r in rows if r.get("inode") == s["inode"]]
    what = "%s: %s (inode %d)" % (ns.label, s["what"], s["inode"])
    if not T.ok(len(m) == 1, "%s: %s appears %d times, want exactly once" % (where, what, len(m)),
                "\n".join(fmt_row(r) for r in m)):
        return
    r = m[0]
    diffs = []
    want = {"netns": ns.inode, "netns_name": ns.name, "proto": s["proto"], "family": s["family"],
            "state": s["state"]}
    for k, v in want.items():
        if r.get(k) != v:
            diffs.append("%s: got %r, want %r" % (k, r.get(k), v))
    loc, rem = r.get("local") or {}, r.get("remote") or {}
    if s["proto"] == "unix":
        if loc.get("path") != s["local"][0]:
            diffs.append("local.path: got %r, want %r" % (loc.get("path"), s["local"][0]))
    else:
        for key, got, w in (("local", loc, s["local"]), ("remote", rem, s["remote"])):
            if [got.get("addr"), got.get("port")] != w:
                diffs.append("%s: got %r, want %r" % (key, [got.get("addr"), got.get("port")], w))
    if pairs(r.get("owners")) != [(ns.child.pid, s["fd"])]:
        diffs.append("owners (pid, fd): got %r, want %r" % (pairs(r.get("owners")), [(ns.child.pid, s["fd"])]))
    for k in ("netns", "netns_name", "cgroup_id"):
        if k not in r:
            diffs.append("no %r field" % k)
    for o in r.get("owners") or []:
        if "container" not in o:
            diffs.append("owner %s has no 'container' field" % o.get("pid"))
    T.ok(not diffs, "%s: %s" % (where, what), "\n".join(diffs) + "\n" + fmt_row(r))


# --------------------------------------------------------------------------
# 1. ip netns and unshare -n namespaces in the default listing.
# --------------------------------------------------------------------------

def sec_listed():
    rows = full_listing()
    if rows is None:
        return
    where = cmdline(["-o", "json"])
    for key in ("a", "b", "u"):
        ns = NSS[key]
        for s in ns.child.sockets:
            if s["proto"] != "unix":  # the default lists inet sockets only
                check_socket_row(rows, ns, s, where)
    # The same 5-tuple in several namespaces: one row in each, told apart by netns.
    ours = {ns.inode: ns for ns in NSS.values()}
    tup = collections.Counter()
    for r in rows:
        if r.get("netns") in ours and r.get("proto") == "tcp" and r.get("state") == "LISTEN" \
                and (r.get("local") or {}).get("addr") == "127.0.0.1" and (r.get("local") or {}).get("port") == PORT:
            tup[r["netns"]] += 1
    T.eq(dict(tup), {ns.inode: 1 for ns in NSS.values()},
         "%s: rows 'tcp LISTEN 127.0.0.1:%d' per namespace made by the test" % (where, PORT),
         "\n".join("%d = %s" % (ns.inode, ns.label) for ns in NSS.values()))
    # Every row in one of our namespaces is one of our sockets (nothing invented, nothing doubled).
    known = {s["inode"] for ns in NSS.values() for s in ns.child.sockets}
    extra = [r for r in rows if r.get("netns") in ours and r.get("inode") not in known]
    T.ok(not extra, "%s: rows in the test's namespaces that are none of its sockets" % where,
         "\n".join(fmt_row(r) for r in extra[:20]))
    # And our sockets never show up under the caller's namespace.
    wrong = [r for r in rows if r.get("inode") in known and r.get("netns") not in ours]
    T.ok(not wrong, "%s: sockets of the test's namespaces listed under another namespace" % where,
         "\n".join(fmt_row(r) for r in wrong[:20]))


# --------------------------------------------------------------------------
# 2. Per namespace: whosock equals ss run inside it.
# --------------------------------------------------------------------------

SS_STATE = {"ESTABLISHED": "ESTAB", "CONNECTED": "ESTAB", "CONNECTING": "SYN-SENT",
            "FIN_WAIT1": "FIN-WAIT-1", "FIN_WAIT2": "FIN-WAIT-2"}
SS_NETID = {"stream": "u_str", "dgram": "u_dgr", "seqpacket": "u_seq"}


def norm_addr(a):
    a = a.split("%", 1)[0]
    if a.startswith("[") and a.endswith("]"):
        a = a[1:-1]
    return "*" if a in ("*", "0.0.0.0", "::") else a


def norm_port(p):
    return 0 if p in ("*", "0", 0, None) else int(p)


def parse_ss(text):
    """ss -tuaxpnH lines as a Counter of keys (see ws_key)."""
    keys = collections.Counter()
    bad = []
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        owners = tuple(sorted((int(p), int(d)) for p, d in re.findall(r"pid=(\d+),fd=(\d+)", line)))
        try:
            if f[0].startswith("u_"):
                # netid state rq sq local-path inode peer-path peer-inode [users]
                keys[(f[0], f[1], f[4] if f[4] != "*" else None, int(f[5]), int(f[7]), owners)] += 1
            else:
                la, lp = f[4].rsplit(":", 1)
                ra, rp = f[5].rsplit(":", 1)
                keys[(f[0], f[1], norm_addr(la), norm_port(lp), norm_addr(ra), norm_port(rp), owners)] += 1
        except (IndexError, ValueError):
            bad.append(line)
    return keys, bad


def ws_key(r):
    state = r.get("state")
    state = SS_STATE.get(state, state.replace("_", "-") if state else state)
    owners = tuple(pairs(r.get("owners")))
    if r.get("proto") == "unix":
        return (SS_NETID.get(r.get("type"), r.get("type")), state, (r.get("local") or {}).get("path"),
                r.get("inode"), r.get("peer_inode") or 0, owners)
    loc, rem = r.get("local") or {}, r.get("remote") or {}
    return (r.get("proto"), state, norm_addr(loc.get("addr") or ""), norm_port(loc.get("port")),
            norm_addr(rem.get("addr") or ""), norm_port(rem.get("port")), owners)


def ws_keys(rows, inode, inet_only=False):
    c = collections.Counter()
    for r in rows:
        if r.get("netns") != inode or r.get("proto") not in ("tcp", "udp", "unix"):
            continue
        if inet_only and r.get("proto") == "unix":
            continue
        c[ws_key(r)] += 1
    return c


def counter_diff(got, want):
    lines = []
    for k in sorted(set(got) | set(want), key=repr):
        if got[k] != want[k]:
            lines.append("  %r: whosock %d, ss %d" % (k, got[k], want[k]))
    return "\n".join(lines)


def pidfd_getfd(pid, fd):
    pidfd = libc_call("syscall", ctypes.c_long(SYS_pidfd_open), ctypes.c_int(pid), ctypes.c_uint(0))
    try:
        return libc_call("syscall", ctypes.c_long(SYS_pidfd_getfd), ctypes.c_int(pidfd), ctypes.c_int(fd),
                         ctypes.c_uint(0))
    finally:
        os.close(pidfd)


def run_ss(ns):
    """ss -tuaxpnH inside ns: (Counter, raw text, command) or (None, error, command)."""
    ss = ["ss", "-tuaxpnH"]
    if ns.how is not None:
        cmd = ns.how + ss
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    else:
        # Nothing names S: reach it through the child's socket, like whosock
        # does, and hold the handle only while ss runs.
        s = ns.child.sockets[0]
        sfd = pidfd_getfd(ns.child.pid, s["fd"])
        try:
            nsfd = libc_call("ioctl", ctypes.c_int(sfd), ctypes.c_ulong(SIOCGSKNS))
        finally:
            os.close(sfd)
        try:
            cmd = ["nsenter", "--net=/proc/self/fd/%d" % nsfd] + ss
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, pass_fds=[nsfd])
        finally:
            os.close(nsfd)
    if p.returncode != 0:
        return None, p.stderr, " ".join(cmd)
    keys, bad = parse_ss(p.stdout)
    if bad:
        return None, "unparsed ss lines:\n" + "\n".join(bad), " ".join(cmd)
    return keys, p.stdout, " ".join(cmd)


def without_bound(keys):
    """Keys but TCP sockets bound and inactive (ss: UNCONN, whosock: CLOSE): ss lists them from
    iproute2 6.7 on only; sec_orphans checks whosock's."""
    return collections.Counter({k: v for k, v in keys.items() if k[:2] not in (("tcp", "UNCONN"), ("tcp", "CLOSE"))})


def sec_ss():
    rows = full_listing()
    for ns in NSS.values():
        want, raw, sscmd = run_ss(ns)
        if not T.ok(want is not None, "%s: %s failed" % (ns.label, sscmd), raw):
            continue
        want = without_bound(want)
        n_want = len([s for s in ns.child.sockets if (s["proto"], s["state"]) != ("tcp", "CLOSE")])
        if not T.ok(sum(want.values()) == n_want, "%s: %s lists %d sockets, the child opened %d (test setup)"
                    % (ns.label, sscmd, sum(want.values()), n_want), raw):
            continue
        want_inet = collections.Counter({k: v for k, v in want.items() if not k[0].startswith("u_")})
        if rows is not None:
            got = without_bound(ws_keys(rows, ns.inode, inet_only=True))
            T.ok(got == want_inet, "%s (netns %d): `%s` rows differ from `%s` (tcp/udp)"
                 % (ns.label, ns.inode, cmdline(["-o", "json"]), sscmd), counter_diff(got, want_inet))
        specs = [str(ns.inode)]
        if ns.name:
            specs.append(ns.name)
        if ns.key in ("a", "b", "u"):
            specs.append("pid:%d" % ns.child.pid)
        for spec in specs:
            args = ["-t", "-u", "-x", "--netns", spec]
            r2, _ = ws_json(args)
            if r2 is None:
                continue
            others = [r for r in r2 if r.get("netns") != ns.inode]
            T.ok(not others, "%s: rows of another namespace than %d" % (cmdline(args + ["-o", "json"]), ns.inode),
                 "\n".join(fmt_row(r) for r in others[:10]))
            got = without_bound(ws_keys(r2, ns.inode))
            T.ok(got == want, "%s: %s differs from `%s`" % (ns.label, cmdline(args + ["-o", "json"]), sscmd),
                 counter_diff(got, want))


# --------------------------------------------------------------------------
# 3. Namespaces no process lives in: held only by a socket, or by an fd.
# --------------------------------------------------------------------------

def sec_orphans():
    rows = full_listing()
    for key in [k for k in ("s", "f") if k in NSS]:
        ns = NSS[key]
        if rows is not None:
            for s in ns.child.sockets:
                check_socket_row(rows, ns, s, cmdline(["-o", "json"]))
        args = ["--netns", str(ns.inode)]
        r2, _ = ws_json(args)
        if r2 is not None:
            for s in ns.child.sockets:
                check_socket_row(r2, ns, s, cmdline(args + ["-o", "json"]))
        # /proc alone cannot dump a namespace no process lives in (only the
        # sockets held there are read through their holders): a note says
        # which, nothing is left out silently.
        args = ["--source", "proc"]
        r3, err = ws_json(args)
        if r3 is not None:
            T.ok(any(str(ns.inode) in l and "not dumped" in l for l in err.splitlines()),
                 "%s: a note that %s (netns %d) is not dumped" % (cmdline(args), ns.label, ns.inode), err)


# --------------------------------------------------------------------------
# 4. A named namespace with no process in it.
# --------------------------------------------------------------------------

def sec_named_empty():
    rows = full_listing()
    ns = NSS["c"]
    if rows is not None:
        for s in ns.child.sockets:
            check_socket_row(rows, ns, s, cmdline(["-o", "json"]))
    args = ["--netns", ns.name]
    r2, _ = ws_json(args)
    if r2 is not None:
        for s in ns.child.sockets:
            check_socket_row(r2, ns, s, cmdline(args + ["-o", "json"]))


# --------------------------------------------------------------------------
# 5. The library never moves the caller's thread.
# --------------------------------------------------------------------------

def sec_library():
    path = caller_path()
    if not T.ok(os.path.exists(path), "netns_caller not found at %s (set WHOSOCK_NETNS_CALLER)" % path):
        return
    p = subprocess.run([path], capture_output=True, timeout=240, stdin=subprocess.DEVNULL)
    if not T.eq(p.returncode, 0, "%s: exit status" % path, decoded(p.stderr)):
        return
    ours = {ns.inode: ns for ns in NSS.values()}
    want_ns = "net:[%d]" % ROOT["inode"]
    lines = decoded(p.stdout).splitlines()
    T.eq(len(lines), 5, "%s: one line per call (2 main thread, 2 other thread, 1 main)" % path,
         decoded(p.stdout))
    for line in lines:
        f = line.split("\t")
        if not T.eq(len(f), 6, "%s: fields in line %r" % (path, line)):
            continue
        where, r, before, after, n, seen = f[0], int(f[1]), f[2], f[3], int(f[4]), f[5]
        seen = {int(x) for x in seen.split(",") if x}
        if not T.eq(r, 0, "whosock_snapshot_take(NULL) from the %s: return value" % where,
                    decoded(p.stderr)):
            continue
        T.ok(before == after == want_ns,
             "whosock_snapshot_take(NULL) from the %s changed the calling thread's namespace: "
             "/proc/thread-self/ns/net before %s, after %s (want %s)" % (where, before, after, want_ns))
        T.ok(n > 0, "whosock_snapshot_take(NULL) from the %s: whosock_snapshot_count() = %d" % (where, n))
        missing = sorted("%d (%s)" % (i, ns.label) for i, ns in ours.items() if i not in seen)
        T.ok(not missing, "whosock_snapshot_take(NULL) from the %s: no socket in namespaces %s"
             % (where, ", ".join(missing)))
        print("  %s: %d sockets in %d namespaces, thread stayed in %s" % (where, n, len(seen), after), flush=True)


# --------------------------------------------------------------------------
# 6. --host-only, the table's NETNS column, --netns errors.
# --------------------------------------------------------------------------

def sec_cli():
    args = ["--host-only", "-t", "-u"]
    rows, _ = ws_json(args)
    where = cmdline(args + ["-o", "json"])
    if rows is not None:
        other = [r for r in rows if r.get("netns") != ROOT["inode"]]
        T.ok(not other, "%s: rows of namespaces other than the caller's (%d)" % (where, ROOT["inode"]),
             "\n".join(fmt_row(r) for r in other[:10]))
        mine = [r for r in rows if r.get("inode") == ROOT["linode"]]
        T.ok(len(mine) == 1 and pairs(mine[0].get("owners")) == [(os.getpid(), ROOT["listener"].fileno())],
             "%s: the test's listener 127.0.0.1:%d (inode %d) once, owned by (%d, %d)"
             % (where, ROOT["port"], ROOT["linode"], os.getpid(), ROOT["listener"].fileno()),
             "\n".join(fmt_row(r) for r in mine))

    # Several namespaces: a NETNS column, the ip netns name or the inode.
    args = ["-t", "--port", str(PORT)]
    rc, out, err = run_ws(args)
    if T.eq(rc, 0, "%s: exit status" % cmdline(args), decoded(err)):
        lines = decoded(out).splitlines()
        T.eq(lines[0].split() if lines else [], ["NETNS", "PROTO", "STATE", "LOCAL", "REMOTE", "PROCESS"],
             "%s: header" % cmdline(args), decoded(out))
        for ns in NSS.values():
            want = ns.name if ns.name else str(ns.inode)
            proc = "(%d)" % ns.child.pid
            m = [l.split() for l in lines
                 if len(l.split()) == 6 and l.split()[1:4] == ["tcp", "LISTEN", "127.0.0.1:%d" % PORT]
                 and proc in l.split()[5]]
            if T.eq(len(m), 1, "%s: lines 'tcp LISTEN 127.0.0.1:%d' of pid %d (%s)"
                    % (cmdline(args), PORT, ns.child.pid, ns.label), decoded(out)):
                T.eq(m[0][0], want, "%s: NETNS of the listener of %s" % (cmdline(args), ns.label), decoded(out))

    # One namespace: no NETNS column.
    args = ["--host-only", "-t", "--port", str(ROOT["port"])]
    rc, out, err = run_ws(args)
    if T.eq(rc, 0, "%s: exit status" % cmdline(args), decoded(err)):
        lines = decoded(out).splitlines()
        T.eq(lines[0].split() if lines else [], ["PROTO", "STATE", "LOCAL", "REMOTE", "PROCESS"],
             "%s: header" % cmdline(args), decoded(out))
        # (other processes may use the same port number on other addresses)
        m = [l for l in lines[1:] if l.split()[:3] == ["tcp", "LISTEN", "127.0.0.1:%d" % ROOT["port"]]]
        T.ok(len(m) == 1 and m[0].split()[-1] == "%s(%d)" % (my_comm(), os.getpid()),
             "%s: want one line 'tcp LISTEN 127.0.0.1:%d ... %s(%d)'"
             % (cmdline(args), ROOT["port"], my_comm(), os.getpid()), decoded(out))

    # Rows of one namespace that is not whosock's own: the NETNS column
    # still says where they are from (a container's listener alone must not
    # look like a host socket).
    named = [ns for ns in NSS.values() if ns.name]
    if named:
        ns = named[0]
        args = ["--netns", ns.name, "-t", "--port", str(PORT)]
        rc, out, err = run_ws(args)
        if T.eq(rc, 0, "%s: exit status" % cmdline(args), decoded(err)):
            lines = decoded(out).splitlines()
            T.eq(lines[0].split() if lines else [], ["NETNS", "PROTO", "STATE", "LOCAL", "REMOTE", "PROCESS"],
                 "%s: header (one namespace, not whosock's)" % cmdline(args), decoded(out))
            T.ok(len(lines) > 1 and all(l.split()[0] == ns.name for l in lines[1:]),
                 "%s: every row's NETNS is %s" % (cmdline(args), ns.name), decoded(out))

    bad = PREFIX + "-nosuchname"
    for args in (["--netns", bad], ["--netns", "pid:999999999"]):
        rc, out, err = run_ws(args)
        lines = decoded(err).strip("\n").split("\n")
        T.ok(rc == 2 and out == b"" and len(lines) == 1 and lines[0] != "",
             "%s: want exit 2, nothing on stdout, one line on stderr; got %d, %r, %r"
             % (cmdline(args), rc, decoded(out)[:300], decoded(err)))
    # An inode no namespace has: nothing listed, and a note says so.
    args = ["--netns", "1"]
    rc, out, err = run_ws(args)
    T.ok(rc == 0 and "network namespace 1 not found" in decoded(err),
         "%s: want exit 0 and a note 'network namespace 1 not found'; got %d, %r" % (cmdline(args), rc, decoded(err)))


# --------------------------------------------------------------------------
# 7. As nobody.
# --------------------------------------------------------------------------

def sec_nobody():
    rows, err = ws_json([], user=NOBODY)
    where = cmdline(["-o", "json"], NOBODY)
    if rows is None:
        return
    mine = [r for r in rows if r.get("inode") == ROOT["linode"]]
    T.ok(len(mine) == 1 and mine[0].get("netns") == ROOT["inode"],
         "%s: the caller's namespace's listener 127.0.0.1:%d (inode %d) must be listed once in netns %d"
         % (where, ROOT["port"], ROOT["linode"], ROOT["inode"]), "\n".join(fmt_row(r) for r in mine))
    # Whatever it could see of our namespaces is in the right one.
    where_ns = {s["inode"]: ns for ns in NSS.values() for s in ns.child.sockets}
    wrong = [r for r in rows if r.get("inode") in where_ns and r.get("netns") != where_ns[r["inode"]].inode]
    T.ok(not wrong, "%s: sockets listed under the wrong namespace" % where, "\n".join(fmt_row(r) for r in wrong))
    notes = [l for l in err.splitlines() if l.startswith("whosock: note:")]
    # The named namespaces are visible to anyone (/run/netns) but cannot be entered.
    for key in ("a", "b", "c"):
        ns = NSS[key]
        T.ok(any(ns.name in l or str(ns.inode) in l for l in notes),
             "%s: no note on stderr about %s (netns %d), which nobody cannot enter" % (where, ns.name, ns.inode),
             err)
    print("  as nobody: %d rows; stderr:\n%s" % (len(rows), "\n".join("    " + l for l in err.splitlines()[:12])),
          flush=True)
    # watch says which namespaces it cannot enter, and goes on (again when
    # more appear meanwhile: other tests make namespaces).
    args = ["watch", "--timeout", "1.5"]
    rc, out, werr = run_ws(args, user=NOBODY)
    notes = [l for l in decoded(werr).splitlines() if "network namespaces not watched" in l]
    T.ok(rc == 0 and len(notes) >= 1, "%s: want exit 0 and a note 'N of M network namespaces not watched'; "
         "got %d, %r" % (cmdline(args, NOBODY), rc, decoded(werr)))


# --------------------------------------------------------------------------

def probe():
    why = (wstest.missing("needs root to create network namespaces and enter them",
                          ("ip", "ss", "unshare", "nsenter", "setpriv"), "iproute2 / util-linux needed")
           or wstest.unshare_fails())
    if why:
        return why
    name = PREFIX + "-probe"
    p = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if p.returncode != 0:
        return "ip netns add fails here: %s" % p.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def main():
    why = probe()
    if why:
        return wstest.skip(why)
    if wstest.whosock_missing(WHOSOCK):
        return 1
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    print("whosock: %s; namespaces named %s-*" % (WHOSOCK, PREFIX), flush=True)
    print("to reproduce by hand: ip netns add N; ip netns exec N ip link set lo up; open the sockets there; "
          "run the command shown", flush=True)
    try:
        T.section = "setup"
        try:
            setup()
        except Exception:
            T.ok(False, "setting up the namespaces failed", traceback.format_exc())
            return finish()
        T.run_section("1. ip netns / unshare -n sockets: once each, netns, netns_name, owners", sec_listed)
        T.run_section("2. per namespace: whosock (default, --netns NAME|INODE|pid:PID) equals ss -tuaxpnH",
                      sec_ss)
        T.run_section("3. namespaces held only by a socket / by an fd: listed", sec_orphans)
        T.run_section("4. ip netns namespace with no process: listed with its name", sec_named_empty)
        T.run_section("5. libwhosock never changes the caller's namespace", sec_library)
        T.run_section("6. --host-only, NETNS column, --netns errors", sec_cli)
        T.run_section("7. as nobody: own namespace listed, notes for the others", sec_nobody)
    finally:
        cleanup()
    left = [n for n in os.listdir("/run/netns") if n.startswith(PREFIX)] if os.path.isdir("/run/netns") else []
    T.ok(not left, "ip netns left behind after cleanup: %r" % left)
    return finish()


def finish():
    print()
    return T.summary()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        child_main(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    sys.exit(main())
