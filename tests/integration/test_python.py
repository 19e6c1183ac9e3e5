#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python binding (python/whosock) against the live kernel and against
`whosock -o json`, in a network namespace of our own (`unshare -n`):

  1. layout: every ctypes mirror of a public struct has the size and member
     offsets the C compiler gives (WHOSOCK_PYLAYOUT, built from the headers);
  2. listing: the test's own TCP and UDP listeners on 127.0.0.1 and ::1, a
     TCP connection, UNIX sockets (a listener, a connected pair, an abstract
     name with a control byte and a byte that is not UTF-8), a packet socket
     bound to lo and a netlink socket: snapshot() lists them, and for EVERY
     socket of the namespace its dict equals the row of `whosock --host-only
     -o json` for the same filter exactly (parsed, compared key by key).
     Every field is compared exactly; left out are only the sock_diag
     netlink sockets, which are the listers' own (the binding's, the
     command's, or those of another whosock on the machine that enters
     every namespace): made and closed by each listing, their queues
     changing with every dump;
  3. filters: the same comparison for pids, ports, states, local
     (addr, port), families, uids (a user name), comms, cmdlines; pids=[our
     pid] gives exactly the sockets we made;
  4. notes: source="proc" gives the no_tcp_info note, worded as whosock
     prints it; hidden_processes is a number;
  5. Watch: a listener opened and closed gives `opened` then `closed`
     (seq 1, 2: one more each, lifetime_ms on the close); the event's socket
     equals what `whosock watch -o ndjson` running beside it prints for the
     same socket (seq, ts, lifetime_ms may differ between two watchers);
     since() and missed with a ring of one; an owner filter (pids) keeps or
     drops the events; status();
  6. the caller's own `selectors` loop over fileno()/timeout()/process()
     sees a UDP socket open and close;
  7. bad input: unknown protocol, state, family, port out of range, bad
     address, invalid regex, unknown namespace, Watch of UNIX sockets,
     owners=False with pids, a closed Watch: ValueError, nothing printed;
  8. escape_term() and version().

Environment (tests/integration/meson.build): WHOSOCK (the command),
WHOSOCK_LIBRARY (build/libwhosock.so.1), PYTHONPATH (python/),
WHOSOCK_PYLAYOUT. Registered only in builds without sanitizers or valgrind
(an ASan library cannot be loaded into a plain python3). Exit 0 pass,
1 fail, 77 skip (not root or no namespaces; a FAIL in CI).
"""

import contextlib
import ctypes
import io
import json
import os
import queue
import re
import select
import selectors
import socket
import subprocess
import threading
import time

import wstest

WHOSOCK = wstest.whosock_path()
T = wstest.Checker(scope=wstest.Scope)
WAIT = 20.0  # deadline for an event that must come (a failure, not a timing)
SOCK_DIAG = 4


def ws(args):
    """`whosock --host-only ARGS -o json`: (rows, stderr, pid of that run)."""
    p = subprocess.Popen([WHOSOCK, "--host-only"] + args + ["-o", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=120)
    T.ok(p.returncode in (0, 1), "whosock %s exits 0 or 1" % wstest.shell_line(args), err.decode())
    return (json.loads(out) if out else []), err.decode("utf-8", "replace"), p.pid


def key(r):
    return (r["proto"], r["family"], r["inode"], json.dumps(r["local"], sort_keys=True),
            json.dumps(r["remote"], sort_keys=True))


def sock_diag(r):
    """A sock_diag netlink socket: a lister's own (the binding's, the
    command's, or another whosock on the machine that enters every
    namespace, such as a watcher), made and closed by each listing, its
    queue changing with each dump: left out of the comparison."""
    return r["proto"] == "netlink" and (r["netlink"] or {}).get("protocol_number") == SOCK_DIAG


def same_listing(what, py_kwargs, cli_args):
    """snapshot(**py_kwargs) and `whosock --host-only CLI_ARGS -o json`,
    taken one after the other, row for row. Returns the binding's rows."""
    import whosock
    py = whosock.snapshot(host_only=True, **py_kwargs).sockets
    cli, err, cli_pid = ws(cli_args)
    a = {key(r): r for r in py}
    b = {key(r): r for r in cli}
    T.eq(len(a), len(py), what + ": binding rows have distinct keys")
    only_py = [r for k, r in a.items() if k not in b and not sock_diag(r)]
    only_cli = [r for k, r in b.items() if k not in a and not sock_diag(r)]
    T.ok(not only_py and not only_cli, what + ": the same sockets",
         "only in the binding:\n%s\nonly in whosock -o json:\n%s" % (
             "\n".join(wstest.fmt_row(r) for r in only_py),
             "\n".join(wstest.fmt_row(r) for r in only_cli)))
    same = 0
    for k in a.keys() & b.keys():
        if sock_diag(a[k]):
            continue
        if T.ok(a[k] == b[k], what + ": row %s equal" % (k,),
                "binding: %s\nwhosock: %s\ndiffering keys: %s" % (
                    wstest.fmt_row(a[k]), wstest.fmt_row(b[k]),
                    sorted(f for f in set(a[k]) | set(b[k]) if a[k].get(f) != b[k].get(f)))):
            same += 1
    T.ok(same > 0 or not [r for r in py if not sock_diag(r)], what + ": rows compared")
    return py


# --------------------------------------------------------------------------

def sec_layout(sc):
    import whosock
    path = os.environ.get("WHOSOCK_PYLAYOUT")
    if not T.ok(path and os.access(path, os.X_OK), "WHOSOCK_PYLAYOUT is the layout program", path):
        return
    c = json.loads(subprocess.run([path], capture_output=True, check=True).stdout)
    for name, want in sorted(c.items()):
        cls = getattr(whosock, name)
        got = {"size": ctypes.sizeof(cls)}
        got.update({f[0]: getattr(cls, f[0]).offset for f in cls._fields_})
        T.eq(got, want, "ctypes layout of %s (size, offsets)" % name)


def make_sockets(sc):
    """Our sockets: {name: inode}; the TCP port and the UNIX dir."""
    made = {}

    def add(name, s):
        sc.s(s)
        made[name] = wstest.ino(s)
        return s

    tl4 = add("tcp4", socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    tl4.bind(("127.0.0.1", 0))
    tl4.listen()
    port = tl4.getsockname()[1]
    tl6 = add("tcp6", socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
    tl6.bind(("::1", port))
    tl6.listen()
    u4 = add("udp4", socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    u4.bind(("127.0.0.1", port))
    u6 = add("udp6", socket.socket(socket.AF_INET6, socket.SOCK_DGRAM))
    u6.bind(("::1", port))
    cl = add("client", socket.create_connection(("127.0.0.1", port)))
    sv, _ = tl4.accept()
    add("server", sv)
    cl.sendall(b"x" * 1000)
    got = 0
    while got < 1000:
        got += len(sv.recv(4096))
    d = sc.tmpdir()
    ul = add("unix_listener", socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    ul.bind(os.path.join(d, "sock"))
    ul.listen()
    uc = add("unix_client", socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    uc.connect(os.path.join(d, "sock"))
    us, _ = ul.accept()
    add("unix_server", us)
    # Bytes chosen by another user: a control byte and one that is not UTF-8.
    weird = add("unix_weird", socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
    weird.bind(b"\0wstest-\x1b-\xff-%d" % os.getpid())
    pk = add("packet", socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003)))
    pk.bind(("lo", 0))
    nl = add("netlink", socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))  # NETLINK_ROUTE
    nl.bind((0, 0))
    return made, port


def sec_listing(sc):
    made, port = make_sockets(sc)
    rows = same_listing("every socket", {"protos": "all"}, ["-A", "all"])
    by_ino = {r["inode"]: r for r in rows}
    for name, inode in sorted(made.items()):
        r = by_ino.get(inode)
        if not T.ok(r is not None, "snapshot lists our %s socket" % name):
            continue
        T.eq([o["pid"] for o in r["owners"]], [os.getpid()], "%s: its owner is us" % name)
    tcp4 = by_ino.get(made["tcp4"], {})
    T.eq((tcp4.get("proto"), tcp4.get("state"), tcp4.get("local")),
         ("tcp", "LISTEN", {"addr": "127.0.0.1", "port": port}), "the IPv4 listener's row")
    T.eq(by_ino.get(made["udp6"], {}).get("local"), {"addr": "::1", "port": port}, "the ::1 UDP row")
    weird = by_ino.get(made["unix_weird"], {})
    T.eq(weird.get("local"), {"path": "@wstest-\x1b-\udcff-%d" % os.getpid()},
         "abstract name: control byte kept, the non-UTF-8 byte as U+DCFF")
    uc = by_ino.get(made["unix_client"], {})
    T.eq((uc.get("peer_inode"), [o["pid"] for o in uc.get("peer_owners", [])]),
         (made["unix_server"], [os.getpid()]), "UNIX client: peer_inode and peer_owners")
    T.eq((by_ino.get(made["packet"], {}).get("packet") or {}).get("interface"), "lo",
         "packet socket: bound to lo")
    cl = by_ino.get(made["client"], {})
    T.ok(isinstance(cl.get("tcp"), dict) and cl["tcp"].get("bytes_acked") == 1001,
         "the connection's tcp counters (1000 bytes and the SYN acked)", cl.get("tcp"))


def sec_filters(sc):
    import whosock
    made, port = make_sockets(sc)
    me = os.getpid()
    rows = same_listing("pids=[our pid]", {"pids": [me]}, ["--pid", str(me)])
    T.eq(sorted(r["inode"] for r in rows if not sock_diag(r)), sorted(made.values()),
         "pids=[our pid]: exactly the sockets we made")
    rows = same_listing("ports=[P]", {"ports": [port]}, ["-A", "all", "--port", str(port)])
    T.eq(sorted(r["inode"] for r in rows),
         sorted(made[n] for n in ("tcp4", "tcp6", "udp4", "udp6", "client", "server")),
         "ports=[P]: the listeners, the UDP sockets and both ends of the connection")
    same_listing("states=LISTEN", {"protos": "all", "states": ["LISTEN"]},
                 ["-A", "all", "--state", "listen"])
    rows = same_listing("local=(127.0.0.1, P)", {"protos": "tcp", "local": [("127.0.0.1", port)]},
                        ["-t", "127.0.0.1:%d" % port])
    T.eq(sorted(r["inode"] for r in rows), sorted([made["tcp4"], made["server"]]),
         "local=(127.0.0.1, P): the IPv4 listener and the connection it accepted")
    same_listing("local=port", {"protos": "udp", "local": port}, ["-u", ":%d" % port])
    same_listing("families=inet6", {"protos": ["tcp", "udp"], "families": ["inet6"]},
                 ["-t", "-u", "-6"])
    same_listing("uids=root", {"uids": ["root"]}, ["-A", "all", "--user", "root"])
    comm = open("/proc/self/comm").read().strip()
    same_listing("comms", {"comms": [comm]}, ["-A", "all", "--comm", comm])
    same_listing("cmdlines", {"cmdlines": ["test_py.hon"]}, ["-A", "all", "--cmdline", "test_py.hon"])
    same_listing("owners=False", {"protos": "inet", "owners": False}, ["--no-owners"])
    rows = whosock.snapshot(host_only=True, pids=me, protos="unix").sockets
    T.ok(rows and all(r["proto"] == "unix" for r in rows), "pids and protos AND together")


def sec_notes(sc):
    import whosock
    snap = whosock.snapshot(host_only=True, source="proc", protos="tcp")
    _, err, _ = ws(["-t", "--source", "proc"])
    names = [n["name"] for n in snap.notes]
    T.ok("no_tcp_info" in names, "source=proc: the no_tcp_info note", snap.notes)
    for n in snap.notes:
        T.ok(isinstance(n["code"], int) and n["text"], "a note has a code and a text", n)
        T.ok("whosock: note: " + whosock.escape_term(n["text"]) in err,
             "note %r worded as whosock prints it" % n["name"], err)
    T.ok(isinstance(snap.hidden_processes, int), "hidden_processes is a number")
    T.ok(repr(snap).startswith("<whosock.Snapshot"), "Snapshot repr")


def port_events(events, port):
    return [e for e in events if e["socket"]["local"].get("port") == port]


def drive(watchers, want):
    """Drive every watcher of {name: Watch} in one poll loop until
    want(events by name) or WAIT seconds; returns the events by name."""
    got = {n: [] for n in watchers}
    end = time.monotonic() + WAIT
    while not want(got) and time.monotonic() < end:
        for n, w in watchers.items():
            got[n] += w.process()
        if want(got):
            break
        wait = min([w.timeout() for w in watchers.values()] + [end - time.monotonic(), 1.0])
        select.select([w.fileno() for w in watchers.values()], [], [], max(wait, 0))
    return got


def raw_ring(w):
    """The inodes of every event w's ring holds, before the owner filters
    (the module's own ctypes function: what the library saw)."""
    import whosock
    arr = (ctypes.POINTER(whosock.Event) * 4096)()
    n = whosock._watch_since(w._w, 0, arr, len(arr), None)
    return [arr[i].contents.socket.contents.inode for i in range(n)]


def cli_watcher(sc):
    """`whosock watch --host-only -o ndjson` beside us, once it is watching:
    probe UDP sockets (127.0.0.2, kept open) are opened one by one until it
    reports one. Returns (a queue of its events, the probes' inodes), or
    None after a FAIL."""
    cli = subprocess.Popen([WHOSOCK, "watch", "--host-only", "-o", "ndjson", "--interval", "100ms"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sc.kid(wstest.Kid(cli.pid, popen=cli))
    lines = queue.Queue()

    def reader(f):
        for line in f:
            lines.put(json.loads(line))

    threading.Thread(target=reader, args=(cli.stdout,), daemon=True).start()
    probes = []
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        probe = sc.s(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        probe.bind(("127.0.0.2", 0))
        probes.append(wstest.ino(probe))
        try:
            lines.get(timeout=0.5)
            return lines, probes
        except queue.Empty:
            pass
    T.ok(False, "whosock watch reported a probe socket (it is watching)")
    return None


def cli_event(lines, inode, type_):
    """The command's next event about inode of that type (None: none in WAIT)."""
    end = time.monotonic() + WAIT
    while True:
        try:
            ev = lines.get(timeout=max(end - time.monotonic(), 0.01))
        except queue.Empty:
            return None
        if ev["socket"]["inode"] == inode and ev["type"] == type_:
            return ev


def sec_watch(sc):
    import whosock
    me = os.getpid()
    ws = {"all": whosock.Watch(host_only=True, interval_ms=100),
          "small": whosock.Watch(host_only=True, interval_ms=100, ring_size=1),
          "mine": whosock.Watch(host_only=True, interval_ms=100, pids=[me]),
          "theirs": whosock.Watch(host_only=True, interval_ms=100, pids=[1])}
    try:
        started = cli_watcher(sc)
        if started is None:
            return
        cli, probes = started
        # Every probe seen first: then nothing else happens between the
        # listener's open and close (the namespace is ours).
        pre = drive(ws, lambda g: set(probes) <= {e["socket"]["inode"] for e in g["all"]})
        l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        l.bind(("127.0.0.1", 0))
        l.listen()
        port, inode = l.getsockname()[1], wstest.ino(l)
        # Open until every watcher saw it (theirs: in its ring).
        got = drive(ws, lambda g: all(port_events(g[n], port) for n in ("all", "small", "mine"))
                    and inode in raw_ring(ws["theirs"]))
        l.close()
        more = drive(ws, lambda g: all(port_events(g[n], port) for n in ("all", "small", "mine")))
        for n in ws:
            got[n] = pre[n] + got[n] + more[n]
        evs = got["all"]
        seqs = [e["seq"] for e in evs]
        T.eq(seqs, list(range(1, len(seqs) + 1)), "seq: 1, then one more for each event",
             "\n".join(wstest.fmt_row(e) for e in evs))
        ours = port_events(evs, port)
        T.eq([e["type"] for e in ours], ["opened", "closed"], "the listener opened, then closed")
        if len(ours) != 2:
            return
        op, cl = ours
        T.eq(cl["seq"], op["seq"] + 1, "closed right after opened: seq one more")
        T.eq(sorted(op), ["lifetime_ms", "seq", "socket", "ts", "type"], "event keys")
        T.eq(op["lifetime_ms"], None, "opened: lifetime_ms null")
        T.ok(isinstance(cl["lifetime_ms"], int) and cl["lifetime_ms"] >= 0, "closed: lifetime_ms", cl)
        T.eq((op["socket"]["inode"], op["socket"]["state"], [o["pid"] for o in op["socket"]["owners"]]),
             (inode, "LISTEN", [me]), "opened: our listener, owned by us")
        T.ok(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", op["ts"]),
             "ts: RFC 3339 UTC with milliseconds", op["ts"])
        # The command's events for the same socket: the same dicts but for
        # seq, ts and lifetime_ms (two watchers number and time their own).
        for mine_ev in (op, cl):
            cev = cli_event(cli, inode, mine_ev["type"])
            if T.ok(cev is not None, "whosock watch reported our listener " + mine_ev["type"]):
                T.eq(sorted(cev), sorted(mine_ev), "whosock watch's event has the same keys")
                T.eq(mine_ev["socket"], cev["socket"],
                     "%s: the socket dict equals whosock watch -o ndjson's" % mine_ev["type"])
        # The ring.
        ring, missed = ws["all"].since(0)
        T.eq(([e["seq"] for e in ring], missed), (seqs, 0), "since(0): every event, none missed")
        ring, missed = ws["all"].since(cl["seq"])
        T.eq((ring, missed), ([cl], 0), "since(seq of the close): that event, the same dict")
        small = got["small"]
        if T.ok(len(small) >= 2, "the ring-of-one watcher saw the events too", small):
            ring, missed = ws["small"].since(1)
            T.eq(([e["seq"] for e in ring], missed), ([small[-1]["seq"]], small[-1]["seq"] - 1),
                 "ring of one: since(1) gives the last event and counts the dropped ones")
        # Owner filters, applied by the binding.
        T.eq([e["type"] for e in port_events(got["mine"], port)], ["opened", "closed"],
             "Watch(pids=[our pid]) sees them")
        T.eq(port_events(got["theirs"] + ws["theirs"].since(0)[0], port), [],
             "Watch(pids=[1]) does not, though its watcher saw the listener")
        st = ws["all"].status()
        T.eq(sorted(st), ["bpf_error", "bpf_events", "destroy_reports", "failing", "failing_error", "namespaces", "unreachable"],
             "status() keys")
        T.ok(st["namespaces"] >= 1 and st["failing"] == 0, "status(): watching, nothing failing", st)
    finally:
        for w in ws.values():
            w.close()
    with whosock.Watch(host_only=True) as w:
        pass
    T.eq(w._w.value, None, "leaving `with` frees the watcher")


def sec_selectors(sc):
    import whosock
    w = whosock.Watch(host_only=True, interval_ms=100)
    sel = selectors.DefaultSelector()
    try:
        sel.register(w, selectors.EVENT_READ)  # uses w.fileno()
        T.eq(w.fileno(), w.fileno(), "fileno() stays the same fd")
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        got, closed = [], False
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            sel.select(min(w.timeout(), 1.0))
            got += port_events(w.process(), port)
            if got and not closed:
                u.close()
                closed = True
            if len(got) >= 2:
                break
        T.eq([(e["type"], e["socket"]["proto"]) for e in got], [("opened", "udp"), ("closed", "udp")],
             "own selectors loop: the UDP socket opened and closed")
        T.ok(0.0 <= w.timeout() <= 1.0, "timeout(): at most the 100 ms interval", w.timeout())
    finally:
        sel.close()
        w.close()
    w.close()  # twice is fine


def sec_bad_input(sc):
    import whosock
    cases = [
        ("protos='tcpx'", lambda: whosock.snapshot(protos="tcpx")),
        ("states='NOPE'", lambda: whosock.snapshot(states=["NOPE"])),
        ("families='inet7'", lambda: whosock.snapshot(families="inet7")),
        ("ports=70000", lambda: whosock.snapshot(ports=[70000])),
        ("ports=0", lambda: whosock.snapshot(ports=0)),
        ("pids='x'", lambda: whosock.snapshot(pids=["x"])),
        ("local=300.1.1.1", lambda: whosock.snapshot(local=[("300.1.1.1", 80)])),
        ("local=host name", lambda: whosock.snapshot(local=("localhost", 80))),
        ("cmdlines='('", lambda: whosock.snapshot(cmdlines=["("])),
        ("comms with NUL", lambda: whosock.snapshot(comms=["a\0b"])),
        ("unknown netns", lambda: whosock.snapshot(netns="wstest-no-such-ns")),
        ("unknown user", lambda: whosock.snapshot(uids=["wstest-no-such-user"])),
        ("source='x'", lambda: whosock.snapshot(source="x")),
        ("owners=False with pids", lambda: whosock.snapshot(owners=False, pids=[1])),
        ("Watch(protos='unix')", lambda: whosock.Watch(protos="unix")),
        ("Watch(ports=-1)", lambda: whosock.Watch(ports=[-1])),
    ]
    for what, fn in cases:
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                fn()
            T.ok(False, what + ": ValueError")
        except ValueError as e:
            T.ok(str(e), what + ": ValueError with a message")
        T.eq(out.getvalue(), "", what + ": nothing printed")
    w = whosock.Watch(host_only=True)
    w.close()
    for what, fn in (("process()", w.process), ("since()", w.since), ("status()", w.status)):
        try:
            fn()
            T.ok(False, "closed Watch: %s raises ValueError" % what)
        except ValueError:
            T.ok(True, "")


def sec_misc(sc):
    import whosock
    T.eq(whosock.escape_term("a\x1bb\\c"), "a\\x1bb\\\\c", "escape_term: control byte, backslash")
    T.eq(whosock.escape_term(b"\xff\xe2\x80\xae"), "\\xff\\u{202e}", "escape_term: bytes, bidi")
    T.eq(whosock.escape_term("\udcff"), "\\xff", "escape_term: a surrogate-escaped byte")
    out = subprocess.run([WHOSOCK, "--version"], capture_output=True, text=True).stdout.strip()
    T.eq("whosock " + whosock.version(), out, "version() is the command's")
    T.eq(whosock.version_number() // 10000, 1, "major version 1")
    T.eq(os.path.realpath(whosock.LIBRARY), os.path.realpath(os.environ["WHOSOCK_LIBRARY"]),
         "loaded from WHOSOCK_LIBRARY")


def inner():
    netns = wstest.start_inner(WHOSOCK)
    if netns is None:
        return 1
    if not T.ok(os.environ.get("WHOSOCK_LIBRARY"), "WHOSOCK_LIBRARY is set"):
        return T.summary()
    for title, fn in (("layout", sec_layout), ("listing", sec_listing), ("filters", sec_filters),
                      ("notes", sec_notes), ("watch", sec_watch), ("selectors", sec_selectors),
                      ("bad input", sec_bad_input), ("escape_term, version", sec_misc)):
        T.run_section(title, fn)
    print()
    return T.summary()


if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create a network namespace")
