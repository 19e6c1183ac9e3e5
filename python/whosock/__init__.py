# SPDX-License-Identifier: LGPL-2.1-or-later
"""whosock: who owns this socket? -- Python binding of libwhosock.

Pure Python over the installed shared library (ctypes; no compiler needed).

    import whosock

    snap = whosock.snapshot(protos=["tcp"], states=["LISTEN"])
    for s in snap.sockets:                 # dicts, exactly as `whosock -o json`
        print(s["local"], [o["comm"] for o in s["owners"]])

    with whosock.Watch(connections=True) as w:
        for ev in w.events(timeout=10):    # dicts, as `whosock watch -o ndjson`
            print(ev["seq"], ev["type"], ev["socket"]["local"])

Who owns what: everything this module returns is plain Python data (dicts,
lists, str, int) that the caller owns; nothing in it points into the
library. The library's own objects (a snapshot, a watcher, a process filter)
are freed by this module: a snapshot before snapshot() returns, a watcher by
Watch.close() (or leaving the `with` block). Strings the kernel gives
(process names, command lines, paths) are decoded as UTF-8 with the
"surrogateescape" error handler, as json.loads() reads whosock's JSON: each
byte that is not valid UTF-8 is the lone surrogate U+DCxx, and
s.encode("utf-8", "surrogateescape") gives back the exact bytes. They are
chosen by other users: pass them through escape_term() before printing them
to a terminal.

The library is found as $WHOSOCK_LIBRARY (a path) when that is set, else as
libwhosock.so.1 through the dynamic linker (then where meson installed it,
then ctypes.util.find_library("whosock")). Importing fails with ImportError
when none is found or its major version is not 1.

Errors: a bad argument raises ValueError (or TypeError); a call the library
fails raises OSError(errno, strerror) with the errno it returned. The module
never prints. A Watch is not thread-safe (use it from one thread at a time);
snapshot() may be called from any thread.
"""

import ctypes
import ctypes.util
import errno as _errno
import os
import pwd
import select
import socket as _socket
import time

__all__ = ["snapshot", "Snapshot", "Watch", "escape_term", "version", "version_number",
           "PROTOS", "FAMILIES", "LIBRARY"]

# ---------------------------------------------------------------------------
# The library.
# ---------------------------------------------------------------------------


def _load():
    """The loaded library and the name or path it was loaded from."""
    path = os.environ.get("WHOSOCK_LIBRARY")
    if path:
        return ctypes.CDLL(path), path
    tried = ["libwhosock.so.1"]
    try:
        from . import _install  # written by meson install: where it put the library
        tried.append(_install.LIBRARY)
    except ImportError:
        pass
    found = ctypes.util.find_library("whosock")
    if found:
        tried.append(found)
    errors = []
    for name in tried:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            errors.append(str(e))
    raise ImportError("whosock: libwhosock.so.1 not found (install libwhosock, or set "
                      "WHOSOCK_LIBRARY to its path): " + "; ".join(errors))


_lib, LIBRARY = _load()

# ---------------------------------------------------------------------------
# The public structs, member for member as include/whosock/whosock.h and
# watch.h lay them out (tests/integration/test_python.py compares every
# offset and size with what the C compiler gives).
# ---------------------------------------------------------------------------

_c_bool = ctypes.c_bool
_u8, _u16, _u32, _u64 = ctypes.c_uint8, ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64
_int, _uint, _size = ctypes.c_int, ctypes.c_uint, ctypes.c_size_t
_str = ctypes.c_char_p  # const char *: read as bytes (None for NULL)


class Endpoint(ctypes.Structure):
    _fields_ = [("addr", _u8 * 16), ("port", _u16), ("path", _str)]


class TcpInfo(ctypes.Structure):
    _fields_ = [("rtt_us", _u32), ("retransmits", _u32), ("bytes_acked", _u64),
                ("bytes_received", _u64), ("bytes_sent", _u64), ("rttvar_us", _u32),
                ("cwnd", _u32), ("mss", _u32), ("rto_us", _u32), ("lost", _u32),
                ("unacked", _u32), ("delivery_rate", _u64)]


class Meminfo(ctypes.Structure):
    _fields_ = [(n, _u32) for n in ("rmem_alloc", "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc",
                                    "wmem_queued", "optmem", "backlog", "drops")]


class Traffic(ctypes.Structure):
    _fields_ = [("sent_bytes", _u64), ("received_bytes", _u64), ("sent_packets", _u64),
                ("received_packets", _u64), ("since_start", _c_bool)]


class Container(ctypes.Structure):
    _fields_ = [("runtime", _str), ("id", _str), ("pod_uid", _str)]


class Process(ctypes.Structure):
    _fields_ = [("pid", _int), ("comm", _str), ("cmdline", _str), ("cmdline_truncated", _c_bool),
                ("uid_known", _c_bool), ("uid", _u32), ("user", _str), ("cgroup", _str),
                ("container", Container)]


class Owner(ctypes.Structure):
    _fields_ = [("proc", ctypes.POINTER(Process)), ("fd", _int), ("tid", _int), ("n_fds", _u32),
                ("fds", ctypes.POINTER(_int))]


class NetlinkInfo(ctypes.Structure):
    _fields_ = [("portid", _u32), ("groups", _u32), ("dst_portid", _u32), ("dst_group", _u32)]


class Socket(ctypes.Structure):
    pass


Socket._fields_ = [
    ("netns", _u64), ("netns_name", _str), ("inode", _u64), ("cookie", _u64),
    ("peer_inode", _u64), ("cgroup_id", _u64), ("local", Endpoint), ("remote", Endpoint),
    ("ifindex", _u32), ("uid", _u32), ("rqueue", _u32), ("wqueue", _u32), ("known", _u32),
    ("n_owners", _u32), ("proto", _u8), ("family", _u8), ("type", _u8), ("state", _u8),
    ("source", _u8), ("v6only", _c_bool), ("tcp", TcpInfo), ("protocol", _u32),
    ("netlink", NetlinkInfo), ("local_text", _str), ("family_name", _str),
    ("owners", ctypes.POINTER(Owner)), ("peer", ctypes.POINTER(Socket)),
    ("mem", Meminfo), ("traffic", Traffic),
]


class Local(ctypes.Structure):
    _fields_ = [("port", _int), ("family", _int), ("addr", _u8 * 16)]


class Filter(ctypes.Structure):
    _fields_ = [
        ("size", _size), ("protos", _uint), ("families", _uint), ("states", _uint),
        ("ports", ctypes.POINTER(_u16)), ("n_ports", _size),
        ("locals", ctypes.POINTER(Local)), ("n_locals", _size),
        ("netns", ctypes.POINTER(_u64)), ("n_netns", _size),
        ("pids", ctypes.POINTER(_int)), ("n_pids", _size),
        ("uids", ctypes.POINTER(_u32)), ("n_uids", _size),
        ("comms", ctypes.POINTER(_str)), ("n_comms", _size),
        ("cmdlines", ctypes.POINTER(_str)), ("n_cmdlines", _size),
        ("containers", ctypes.POINTER(_str)), ("n_containers", _size),
        ("expr", ctypes.c_void_p),
    ]


class Options(ctypes.Structure):
    _fields_ = [("size", _size), ("proc_root", _str), ("source", _int),
                ("filter", ctypes.POINTER(Filter)), ("want", _uint), ("host_only", _c_bool),
                ("flags", _uint), ("owner_source", _int)]


class Note(ctypes.Structure):
    _fields_ = [("code", _int), ("error", _int), ("error2", _int), ("count", _u64),
                ("netns", _u64), ("pidns", _u64), ("netns_name", _str), ("proto", _int),
                ("family", _int), ("path", _str)]


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class Event(ctypes.Structure):
    _fields_ = [("type", _int), ("ts", Timespec), ("socket", ctypes.POINTER(Socket)),
                ("lifetime_known", _c_bool), ("lifetime_ms", _u64), ("seq", _u64)]


class WatchOptions(ctypes.Structure):
    _fields_ = [("size", _size), ("filter", ctypes.POINTER(Filter)), ("connections", _c_bool),
                ("host_only", _c_bool), ("interval_ms", _uint), ("want", _uint),
                ("ring_size", _size), ("flags", _uint), ("unseen_closes", _c_bool)]


class WatchStatus(ctypes.Structure):
    _fields_ = [("size", _size), ("namespaces", _size), ("unreachable", _size),
                ("destroy_reports", _c_bool), ("failing", _size), ("failing_error", _int),
                ("bpf_events", _c_bool), ("bpf_error", _int)]


# enum whosock_proto, in order; a value past "other" is a kind a newer
# library added: "other" (the header says so).
PROTOS = ("tcp", "udp", "udplite", "raw", "unix", "mptcp", "sctp", "packet", "netlink",
          "vsock", "xdp", "other")
_PROTO = {n: i for i, n in enumerate(PROTOS)}
_P_TCP, _P_UNIX, _P_PACKET, _P_NETLINK = (_PROTO[n] for n in ("tcp", "unix", "packet", "netlink"))
# Groups, as `whosock -A` takes them.
_PROTO_GROUPS = {"all": 0xffffffff,
                 "inet": sum(1 << _PROTO[n] for n in ("tcp", "udp", "udplite", "raw", "mptcp", "sctp"))}
# Address families a filter takes, by their kernel names.
FAMILIES = {"inet": _socket.AF_INET, "inet6": _socket.AF_INET6, "unix": _socket.AF_UNIX,
            "packet": 17, "netlink": 16, "vsock": 40, "xdp": 44}
_AF_INET, _AF_INET6, _AF_UNIX = _socket.AF_INET, _socket.AF_INET6, _socket.AF_UNIX

_KNOWN = {n: 1 << i for i, n in enumerate(
    ("uid", "cookie", "queues", "peer", "tcp_info", "tcp_bytes", "tcp_bytes_sent", "ifindex",
     "v6only", "cgroup_id", "protocol", "nl_groups", "local", "tcp_cwnd", "tcp_rate", "meminfo",
     "traffic"))}
_WANT_OWNERS, _WANT_PROCESS, _WANT_TCP_INFO, _WANT_MEMINFO = 1, 2, 4, 8
_FLAG_NO_THREADS = 1
_SOURCE = {"auto": 0, "netlink": 1, "proc": 2}
_SOURCE_NAME = {1: "netlink", 2: "proc", 3: "bpf"}
_TYPE = {1: "stream", 2: "dgram", 5: "seqpacket", 3: "raw"}

# enum whosock_note_code, by number (fixed in every LIBWHOSOCK_1).
NOTE_CODES = {
    1: "netlink_unavailable", 2: "proc_fallback", 3: "not_listed", 4: "file_too_large",
    5: "malformed_lines", 6: "malformed_messages", 7: "owners_hidden", 8: "owners_refused",
    9: "netns_not_entered", 10: "netns_read_proc", 11: "untraced", 12: "no_tcp_info",
    13: "netns_not_found", 14: "dropped", 15: "owners_unread", 16: "outside_pidns",
    17: "netns_no_process", 18: "bpf_owners_fallback", 19: "no_meminfo",
    20: "traffic_uncounted", 21: "traffic_no_owner", 22: "bpf_events_unavailable",
}

_EventFn = ctypes.CFUNCTYPE(None, ctypes.POINTER(Event), ctypes.c_void_p)


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = argtypes
    return f


_P = ctypes.POINTER
_version = _fn("whosock_version", _str)
_version_number = _fn("whosock_version_number", _uint)
_take = _fn("whosock_snapshot_take", _int, _P(Options), _P(ctypes.c_void_p))
_snap_free = _fn("whosock_snapshot_free", None, ctypes.c_void_p)
_snap_count = _fn("whosock_snapshot_count", _size, ctypes.c_void_p)
_snap_get = _fn("whosock_snapshot_get", _P(Socket), ctypes.c_void_p, _size)
_note_count = _fn("whosock_snapshot_note_count", _size, ctypes.c_void_p)
_note_get = _fn("whosock_snapshot_note", _P(Note), ctypes.c_void_p, _size)
_note_text = _fn("whosock_note_text", _size, _P(Note), ctypes.c_char_p, _size)
_hidden = _fn("whosock_snapshot_hidden_processes", _size, ctypes.c_void_p)
_pf_new = _fn("whosock_process_filter_new", _int, _P(Filter), _P(ctypes.c_void_p))
_pf_free = _fn("whosock_process_filter_free", None, ctypes.c_void_p)
_match_owners = _fn("whosock_filter_match_owners", _c_bool, ctypes.c_void_p, _P(Socket))
_netns_resolve = _fn("whosock_netns_resolve", _int, ctypes.c_char_p, _P(_u64))
_proto_name = _fn("whosock_proto_name", _str, _int)
_family_name = _fn("whosock_family_name", _str, _int)
_nl_proto_name = _fn("whosock_netlink_proto_name", _str, _int)
_eth_proto_name = _fn("whosock_eth_proto_name", _str, _int)
_state_name = _fn("whosock_state_name", _str, _int, _int)
_state_parse = _fn("whosock_state_parse", _int, ctypes.c_char_p)
_escape = _fn("whosock_escape_term", _size, ctypes.c_char_p, _size, ctypes.c_char_p, _size)
_addr_format = _fn("whosock_addr_format", ctypes.c_char_p, _int, _P(Endpoint), ctypes.c_char_p, _size)
_watch_new = _fn("whosock_watch_new", _int, _P(WatchOptions), _EventFn, ctypes.c_void_p,
                 _P(ctypes.c_void_p))
_watch_fd = _fn("whosock_watch_get_fd", _int, ctypes.c_void_p)
_watch_timeout = _fn("whosock_watch_get_timeout", _int, ctypes.c_void_p, _P(_u64))
_watch_process = _fn("whosock_watch_process", _int, ctypes.c_void_p)
_watch_since = _fn("whosock_watch_since_seq", _size, ctypes.c_void_p, _u64, _P(_P(Event)), _size,
                   _P(_u64))
_watch_status = _fn("whosock_watch_status", _int, ctypes.c_void_p, _P(WatchStatus))
_watch_free = _fn("whosock_watch_free", None, ctypes.c_void_p)

if _version_number() // 10000 != 1:
    raise ImportError("whosock: %s is libwhosock %s; this module needs major version 1"
                      % (LIBRARY, _version().decode()))


def version():
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _version().decode()


def version_number():
    """The library's version as 10000 * major + 100 * minor + patch."""
    return _version_number()


def _check(r, what):
    """r, or OSError(-r) when the library returned a negative errno."""
    if r < 0:
        raise OSError(-r, "%s: %s" % (what, os.strerror(-r)))
    return r


def _text(b):
    """A C string as json.loads() reads whosock's JSON of it."""
    return None if b is None else b.decode("utf-8", "surrogateescape")


def _bytes(s, what):
    if isinstance(s, bytes):
        b = s
    elif isinstance(s, str):
        b = s.encode("utf-8", "surrogateescape")
    else:
        raise TypeError("%s: expected str or bytes, got %r" % (what, s))
    if b"\0" in b:
        raise ValueError("%s: %r holds a NUL byte" % (what, s))
    return b


def escape_term(s):
    """s (str or bytes) escaped for a terminal as whosock's table shows it
    (whosock_escape_term(): control bytes and invalid UTF-8 as \\xNN, bidi
    and line controls as \\u{XXXX}, a backslash doubled). Returns a new str."""
    b = s if isinstance(s, bytes) else str(s).encode("utf-8", "surrogateescape")
    cap = 4 * len(b) + 1
    buf = ctypes.create_string_buffer(cap)
    n = _escape(buf, cap, b, len(b))
    return buf.raw[:n].decode("utf-8")


# ---------------------------------------------------------------------------
# Sockets and events as the JSON contract (docs/json.md, src/output.c).
# ---------------------------------------------------------------------------

def _own_netns():
    try:
        return os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return 0


class _Converter:
    """Turns library structs into the JSON contract's dicts. A process's
    details are converted once per snapshot or event (the library shares
    one whosock_process among all its owner entries)."""

    def __init__(self):
        self.procs = {}
        self.own_netns = _own_netns()
        self.addr = ctypes.create_string_buffer(64)

    def _process(self, pp):
        """(pid, the owner fields that are the process's) of a whosock_process."""
        key = ctypes.addressof(pp.contents)
        got = self.procs.get(key)
        if got is None:
            p = pp.contents
            c = p.container
            d = {"comm": _text(p.comm), "cmdline": _text(p.cmdline),
                 "cmdline_truncated": bool(p.cmdline_truncated),
                 "uid": p.uid if p.uid_known else None, "user": _text(p.user),
                 "cgroup": _text(p.cgroup),
                 "container": {"runtime": _text(c.runtime), "id": _text(c.id),
                               "pod_uid": _text(c.pod_uid)} if c.runtime else None}
            got = self.procs[key] = (p.pid, d)
        return got

    def owners(self, arr, n):
        out = []
        for i in range(n):
            o = arr[i]
            pid, proc = self._process(o.proc)
            d = {"pid": pid, "fd": o.fd if o.n_fds else None, "fds": o.fds[:o.n_fds]}
            if o.tid:
                d["tid"] = o.tid
            d.update(proc)
            # Each owner gets its own container dict: the caller may change it.
            if proc["container"] is not None:
                d["container"] = dict(proc["container"])
            out.append(d)
        return out

    def _endpoint(self, s, ep, local):
        if s.family == _AF_UNIX:
            return {"path": _text(ep.path)}
        if s.family not in (_AF_INET, _AF_INET6):
            return {"addr": _text(s.local_text) if local else None}
        _addr_format(s.family, ctypes.byref(ep), self.addr, len(self.addr))
        return {"addr": self.addr.value.decode(), "port": ep.port}

    def _ifname(self, s):
        """A packet socket's interface name, known in our own namespace only."""
        if s.proto != _P_PACKET or not s.ifindex:
            return None
        if s.netns and self.own_netns and s.netns != self.own_netns:
            return None
        try:
            return _socket.if_indextoname(s.ifindex)
        except OSError:
            return None

    def socket(self, sp):
        s = sp.contents
        k = s.known
        kn = lambda bit, v: v if k & _KNOWN[bit] else None  # noqa: E731
        fam = _text(s.family_name) if s.family_name else _text(_family_name(s.family))
        d = {
            "netns": s.netns or None, "netns_name": _text(s.netns_name),
            "proto": _proto_name(s.proto).decode(), "family": fam,
            "type": _TYPE.get(s.type, "unknown"),
            "state": _state_name(s.proto, s.state).decode(),
            "local": self._endpoint(s, s.local, True), "remote": self._endpoint(s, s.remote, False),
            "peer_inode": kn("peer", s.peer_inode), "ifindex": kn("ifindex", s.ifindex),
            "cgroup_id": kn("cgroup_id", s.cgroup_id), "inode": s.inode,
            "uid": kn("uid", s.uid), "cookie": kn("cookie", s.cookie),
            "rqueue": kn("queues", s.rqueue), "wqueue": kn("queues", s.wqueue),
            "source": _SOURCE_NAME.get(s.source, "netlink"),
            "owners": self.owners(s.owners, s.n_owners),
        }
        if s.family == _AF_UNIX:
            d["peer_owners"] = (self.owners(s.peer.contents.owners, s.peer.contents.n_owners)
                                if s.peer else [])
        d["protocol"] = kn("protocol", s.protocol)
        d["packet"] = d["netlink"] = None
        if s.proto == _P_PACKET:
            name = _eth_proto_name(s.protocol)
            d["packet"] = {"protocol": name.decode() if name else "0x%04x" % s.protocol,
                           "protocol_number": kn("protocol", s.protocol),
                           "ifindex": kn("ifindex", s.ifindex), "interface": self._ifname(s)}
        elif s.proto == _P_NETLINK:
            nl, from_nl = s.netlink, s.source == _SOURCE["netlink"]
            d["netlink"] = {"protocol": _text(_nl_proto_name(s.protocol)),
                            "protocol_number": kn("protocol", s.protocol), "portid": nl.portid,
                            "groups": kn("nl_groups", nl.groups),
                            "dst_portid": nl.dst_portid if from_nl else None,
                            "dst_group": nl.dst_group if from_nl else None}
        t = s.tcp
        d["tcp"] = {"rtt_us": t.rtt_us, "retransmits": t.retransmits,
                    "bytes_acked": kn("tcp_bytes", t.bytes_acked),
                    "bytes_received": kn("tcp_bytes", t.bytes_received),
                    "bytes_sent": kn("tcp_bytes_sent", t.bytes_sent),
                    "rttvar_us": kn("tcp_cwnd", t.rttvar_us), "cwnd": kn("tcp_cwnd", t.cwnd),
                    "mss": kn("tcp_cwnd", t.mss), "rto_us": kn("tcp_cwnd", t.rto_us),
                    "lost": kn("tcp_cwnd", t.lost), "unacked": kn("tcp_cwnd", t.unacked),
                    "delivery_rate": kn("tcp_rate", t.delivery_rate)} \
            if s.proto == _P_TCP and k & _KNOWN["tcp_info"] else None
        m = s.mem
        d["memory"] = {n: getattr(m, n) for n, _ in Meminfo._fields_} \
            if k & _KNOWN["meminfo"] else None
        tr = s.traffic
        d["traffic"] = {"sent_bytes": tr.sent_bytes, "received_bytes": tr.received_bytes,
                        "sent_packets": tr.sent_packets, "received_packets": tr.received_packets,
                        "since": "start" if tr.since_start else "open"} \
            if k & _KNOWN["traffic"] else None
        return d

    def event(self, ep):
        e = ep.contents
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(e.ts.tv_sec))
        return {"seq": e.seq, "ts": "%s.%03dZ" % (ts, e.ts.tv_nsec // 1000000),
                "type": "opened" if e.type == 0 else "closed",
                "lifetime_ms": e.lifetime_ms if e.lifetime_known else None,
                "socket": self.socket(e.socket)}


def _note(n):
    """A note as a dict: its members (those its code does not use are 0 or
    None), its code's name and the library's wording of it."""
    size = _note_text(n, None, 0) + 1
    buf = ctypes.create_string_buffer(size)
    _note_text(n, buf, size)
    c = n.contents
    return {"code": c.code, "name": NOTE_CODES.get(c.code, "unknown"),
            "text": buf.value.decode("utf-8", "surrogateescape"),
            "error": c.error, "error2": c.error2, "count": c.count, "netns": c.netns,
            "pidns": c.pidns, "netns_name": _text(c.netns_name),
            "proto": PROTOS[c.proto] if 0 <= c.proto < len(PROTOS) else "other",
            "family": c.family, "path": _text(c.path)}


# ---------------------------------------------------------------------------
# Filters: Python values -> struct whosock_filter. The arrays are kept by the
# _Filter object: the library reads them while the call (snapshot) or the
# watcher using the filter lives.
# ---------------------------------------------------------------------------

def _listify(v, what):
    if v is None:
        return []
    if isinstance(v, (str, bytes, int)):
        return [v]
    try:
        return list(v)
    except TypeError:
        raise TypeError("%s: expected a value or a list of them, got %r" % (what, v)) from None


def _int_in(v, lo, hi, what):
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError("%s: invalid value %r: expected a number %d-%d" % (what, v, lo, hi))
    return v


def _proto_bits(v):
    bits = 0
    for p in _listify(v, "protos"):
        name = p.lower() if isinstance(p, str) else p
        if name in _PROTO:
            bits |= 1 << _PROTO[name]
        elif name in _PROTO_GROUPS:
            bits |= _PROTO_GROUPS[name]
        else:
            raise ValueError("unknown protocol %r: expected one of %s" %
                             (p, ", ".join(PROTOS + tuple(_PROTO_GROUPS))))
    return bits


def _family_bits(v):
    bits = 0
    for f in _listify(v, "families"):
        if f not in FAMILIES:
            raise ValueError("unknown family %r: expected one of %s" % (f, ", ".join(FAMILIES)))
        bits |= 1 << FAMILIES[f]
    return bits


def _state_bits(v):
    bits = 0
    for st in _listify(v, "states"):
        n = _state_parse(_bytes(st, "states")) if isinstance(st, (str, bytes)) else -1
        if n < 0:
            raise ValueError("unknown state %r: expected a name such as LISTEN, ESTABLISHED, "
                             "UNCONN, TIME_WAIT" % (st,))
        bits |= 1 << n
    return bits


def _local(q):
    """(addr, port), port alone, or addr alone -> struct whosock_local."""
    if isinstance(q, tuple) and len(q) == 2:
        addr, port = q
    elif isinstance(q, int):
        addr, port = None, q
    elif isinstance(q, str):
        addr, port = q, 0
    else:
        raise ValueError("local: invalid query %r: expected (addr, port), a port or an address" % (q,))
    loc = Local(port=_int_in(port, 0, 65535, "local port"))
    if addr in (None, "", "*"):
        if not port:
            raise ValueError("local: %r: give an address, a port or both" % (q,))
        return loc
    for fam in (_AF_INET, _AF_INET6):
        try:
            packed = _socket.inet_pton(fam, addr)
        except (OSError, TypeError):
            continue
        loc.family = fam
        ctypes.memmove(loc.addr, packed, len(packed))
        return loc
    raise ValueError("local: invalid address %r: expected an IPv4 or IPv6 address (no host names)"
                     % (addr,))


def _uid(u):
    if isinstance(u, str):
        try:
            return pwd.getpwnam(u).pw_uid
        except KeyError:
            raise ValueError("unknown user %r" % u) from None
    return _int_in(u, 0, 0xfffffffe, "uids")


def _netns(n):
    if isinstance(n, int) and not isinstance(n, bool):
        return _int_in(n, 1, 2 ** 64 - 1, "netns")
    inode = _u64()
    r = _netns_resolve(_bytes(n, "netns"), ctypes.byref(inode))
    if r < 0:
        raise ValueError("unknown network namespace %r: %s" % (n, os.strerror(-r)))
    return inode.value


class _Filter:
    """A struct whosock_filter and the arrays it points to (kept alive here)."""

    OWNER_MEMBERS = ("pids", "uids", "comms", "cmdlines", "containers")

    def __init__(self, protos=None, families=None, states=None, ports=None, local=None,
                 netns=None, pids=None, uids=None, comms=None, cmdlines=None, containers=None):
        f = self.c = Filter(size=ctypes.sizeof(Filter))
        self.keep = []
        f.protos = _proto_bits(protos)
        f.families = _family_bits(families)
        f.states = _state_bits(states)
        self._set("ports", _u16, [_int_in(p, 1, 65535, "ports") for p in _listify(ports, "ports")])
        self._set("locals", Local, [_local(q) for q in ([local] if isinstance(local, tuple)
                                                         else _listify(local, "local"))])
        self._set("netns", _u64, [_netns(n) for n in _listify(netns, "netns")])
        self._set("pids", _int, [_int_in(p, 1, 2 ** 31 - 1, "pids") for p in _listify(pids, "pids")])
        self._set("uids", _u32, [_uid(u) for u in _listify(uids, "uids")])
        for m, v in (("comms", comms), ("cmdlines", cmdlines), ("containers", containers)):
            self._set(m, _str, [_bytes(x, m) for x in _listify(v, m)])
        self.has_owner_members = any(getattr(f, "n_" + m) for m in self.OWNER_MEMBERS)
        self._check_cmdlines()

    def _set(self, member, ctype, values):
        if not values:
            return
        arr = (ctype * len(values))(*values)
        self.keep.append(arr)
        setattr(self.c, member, ctypes.cast(arr, ctypes.POINTER(ctype)))
        setattr(self.c, "n_" + member, len(values))

    def _check_cmdlines(self):
        """Say which command line pattern is not a valid regex (the library
        would only say EINVAL)."""
        for i in range(self.c.n_cmdlines):
            pattern = (_str * 1)(self.c.cmdlines[i])
            one = Filter(size=ctypes.sizeof(Filter), n_cmdlines=1,
                         cmdlines=ctypes.cast(pattern, ctypes.POINTER(_str)))
            pf = ctypes.c_void_p()
            r = _pf_new(ctypes.byref(one), ctypes.byref(pf))
            _pf_free(pf)
            if r == -_errno.EINVAL:
                raise ValueError("cmdlines: %r is not a valid POSIX extended regex"
                                 % _text(self.c.cmdlines[i]))
            _check(r, "whosock_process_filter_new")

    def process_filter(self):
        """A new whosock_process_filter over this filter's owner members
        (the caller frees it with _pf_free); this object must outlive it."""
        pf = ctypes.c_void_p()
        _check(_pf_new(ctypes.byref(self.c), ctypes.byref(pf)), "whosock_process_filter_new")
        return pf


# ---------------------------------------------------------------------------
# Snapshots.
# ---------------------------------------------------------------------------

class Snapshot:
    """What snapshot() returns; plain data the caller owns.

    sockets: a list of dicts, one per socket, as `whosock -o json` gives them
      (docs/json.md: same keys, same values, null as None);
    notes: a list of dicts, what could not be seen and why: "code" (enum
      whosock_note_code), "name", "text" (the library's wording), and the
      note's members (error, error2, count, netns, pidns, netns_name, proto,
      family, path; those the code does not use are 0 or None);
    hidden_processes: how many processes' sockets could not be seen."""

    def __init__(self, sockets, notes, hidden_processes):
        self.sockets = sockets
        self.notes = notes
        self.hidden_processes = hidden_processes

    def __iter__(self):
        return iter(self.sockets)

    def __len__(self):
        return len(self.sockets)

    def __repr__(self):
        return "<whosock.Snapshot: %d sockets, %d notes>" % (len(self.sockets), len(self.notes))


def snapshot(protos=None, families=None, states=None, ports=None, pids=None, uids=None,
             comms=None, cmdlines=None, containers=None, netns=None, local=None,
             host_only=False, owners=True, process=True, tcp_info=True, memory=True, proc_root=None,
             source="auto", threads=True):
    """Every socket matching the filters, in every network namespace (only
    the caller's with host_only=True). Returns a Snapshot.

    Filters AND together; a list matches when one of its values does; None
    (or an empty list) matches everything. A single value may stand for a
    list of one.
      protos: names "tcp" "udp" "udplite" "raw" "unix" "mptcp" "sctp"
        "packet" "netlink" "vsock" "xdp" "other", or the groups "inet" and
        "all"; None: every kind (the command's default is "inet");
      families: "inet" "inet6" "unix" "packet" "netlink" "vsock" "xdp";
      states: names as the JSON has them ("LISTEN", "ESTABLISHED",
        "UNCONN", "CONNECTED", ...; any case, '-' or '_');
      ports: local or remote port numbers;
      local: who owns this local address and port: (addr, port) tuples
        ("127.0.0.1", "::1", "::ffff:1.2.3.4"; None or "*" for any address;
        port 0 for any port), a port alone, or an address alone;
      netns: namespace inodes, `ip netns` names or "pid:PID";
      pids, uids (numbers or user names), comms (exact process names),
      cmdlines (substrings or POSIX extended regexes), containers (ID
        prefixes): the socket's owners.
    owners, process, tcp_info, memory: what to collect beyond the sockets:
    the holders (pid, fds, comm), their details (cmdline, uid, user, cgroup,
    container), TCP counters (and traffic), socket memory. proc_root: another /proc (a captured tree).
    source: "auto" (netlink, /proc where refused), "netlink" or "proc".
    threads=False: the calling thread enters each namespace itself
    (WHOSOCK_FLAG_NO_THREADS).

    Raises ValueError for a bad filter value, OSError when nothing can be
    collected at all (the library's errno)."""
    if source not in _SOURCE:
        raise ValueError("source: %r: expected auto, netlink or proc" % (source,))
    f = _Filter(protos, families, states, ports, local, netns, pids, uids, comms, cmdlines,
                containers)
    if f.has_owner_members and not owners:
        raise ValueError("owners=False cannot be used with pids, uids, comms, cmdlines or containers")
    if host_only and f.c.n_netns:
        raise ValueError("host_only cannot be used with netns")
    want = (_WANT_OWNERS | (_WANT_PROCESS if process else 0)) if owners else 0
    opt = Options(size=ctypes.sizeof(Options), source=_SOURCE[source],
                  filter=ctypes.pointer(f.c), host_only=bool(host_only),
                  want=want | (_WANT_TCP_INFO if tcp_info else 0) | (_WANT_MEMINFO if memory else 0),
                  flags=0 if threads else _FLAG_NO_THREADS)
    if proc_root is not None:
        opt.proc_root = _bytes(os.fsencode(proc_root), "proc_root")
    snap = ctypes.c_void_p()
    _check(_take(ctypes.byref(opt), ctypes.byref(snap)), "whosock_snapshot_take")
    try:
        conv = _Converter()
        sockets = [conv.socket(_snap_get(snap, i)) for i in range(_snap_count(snap))]
        notes = [_note(_note_get(snap, i)) for i in range(_note_count(snap))]
        return Snapshot(sockets, notes, _hidden(snap))
    finally:
        _snap_free(snap)


# ---------------------------------------------------------------------------
# Watching.
# ---------------------------------------------------------------------------

class Watch:
    """Sockets opening and closing, as they happen (a whosock_watch).

    The sockets open when the Watch is made are its baseline: no events for
    them. Events are dicts as `whosock watch -o ndjson` prints them:
    {"seq", "ts", "type": "opened"|"closed", "lifetime_ms", "socket": {...}};
    seq is 1 for the first event and grows by one per event the watcher
    makes (a gap in what this object gives means events were left out by
    the owner filters, or lost: see since()).

    connections=True: also TCP connections and connected UDP, not only
    listening TCP and bound UDP. host_only: only the caller's namespace.
    interval_ms: between dumps that find new sockets (at least 100).
    ring_size: recent events kept for since() (0: 4096). process=False:
    owners without cmdline, user, cgroup, container. Filters as snapshot()
    (protos tcp/udp/udplite only, default tcp and udp; no states); the owner
    filters (pids, uids, comms, cmdlines, containers) are applied to each
    event here.

    Two ways to drive it:
      - for ev in w.events(timeout): waits itself (poll on fileno());
      - the caller's own loop (selectors, asyncio's add_reader): wait for
        fileno() to be readable for at most timeout() seconds, then call
        process(), which returns the events that came (a list).
    A Watch owns a library watcher and fds: close() (or `with`) frees them.
    Not thread-safe: use it from one thread at a time."""

    def __init__(self, connections=False, host_only=False, interval_ms=1000, ring_size=0,
                 protos=None, families=None, ports=None, local=None, netns=None, pids=None,
                 uids=None, comms=None, cmdlines=None, containers=None, process=True,
                 threads=True):
        self._w = ctypes.c_void_p()
        self._pf = None
        self._pending = []
        self._error = None
        self._conv = None
        bad = _proto_bits(protos) & ~sum(1 << _PROTO[p] for p in ("tcp", "udp", "udplite"))
        if bad:
            raise ValueError("Watch follows tcp, udp and udplite sockets only, not %s" %
                             ", ".join(p for p in PROTOS if bad & (1 << _PROTO[p])))
        if host_only and netns:
            raise ValueError("host_only cannot be used with netns")
        self._filter = _Filter(protos, families, None, ports, local, netns, pids, uids, comms,
                               cmdlines, containers)
        if self._filter.has_owner_members:
            self._pf = self._filter.process_filter()
        opt = WatchOptions(size=ctypes.sizeof(WatchOptions), filter=ctypes.pointer(self._filter.c),
                           connections=bool(connections), host_only=bool(host_only),
                           interval_ms=_int_in(interval_ms, 0, 2 ** 32 - 1, "interval_ms"),
                           want=_WANT_PROCESS if process else 0,
                           ring_size=_int_in(ring_size, 0, 2 ** 63, "ring_size"),
                           flags=0 if threads else _FLAG_NO_THREADS)
        # The library calls back through this object: kept as long as the watcher.
        self._cb = _EventFn(self._on_event)
        try:
            _check(_watch_new(ctypes.byref(opt), self._cb, None, ctypes.byref(self._w)),
                   "whosock_watch_new")
        except BaseException:
            self.close()
            raise

    def _on_event(self, ev, data):
        # ev and what it points to live only during this call: converted now.
        # An exception must not cross into C (ctypes would print it): kept
        # and raised by process().
        try:
            if self._pf is not None and not _match_owners(self._pf, ev.contents.socket):
                return
            self._pending.append(self._conv.event(ev))
        except BaseException as e:  # noqa: B902
            if self._error is None:
                self._error = e

    def _live(self):
        if not self._w:
            raise ValueError("the Watch is closed")
        return self._w

    def fileno(self):
        """The one fd to wait on for input (the library's epoll fd; never read
        it). The same fd until close()."""
        return _watch_fd(self._live())

    def timeout(self):
        """Seconds the caller may wait before process() has work that is due
        (0.0: now)."""
        ms = _u64()
        _check(_watch_timeout(self._live(), ctypes.byref(ms)), "whosock_watch_get_timeout")
        return ms.value / 1000.0

    def process(self):
        """Do what is due without blocking and return the events that came
        (a list of dicts, oldest first; [] when none). Raises OSError when
        the library fails (the Watch stays usable) and re-raises an error
        that occurred while converting an event."""
        self._conv = _Converter()
        try:
            r = _watch_process(self._live())
        finally:
            self._conv = None
        out, self._pending = self._pending, []
        err, self._error = self._error, None
        if err is not None:
            raise err
        _check(r, "whosock_watch_process")
        return out

    def events(self, timeout=None):
        """Yield events as they come, for timeout seconds (None: forever);
        waits with poll() on fileno() between them."""
        end = None if timeout is None else time.monotonic() + timeout
        p = select.poll()
        p.register(self.fileno(), select.POLLIN)
        while True:
            for ev in self.process():
                yield ev
            wait = self.timeout()
            if end is not None:
                left = end - time.monotonic()
                if left <= 0:
                    return
                wait = min(wait, left)
            p.poll(min(wait, 86400.0) * 1000.0)

    def since(self, seq=0):
        """The recent events the watcher's ring holds with seq >= seq, oldest
        first (seq 0: all it holds), after the owner filters; and how many of
        those from seq on the ring has already dropped. Returns (events,
        missed)."""
        w = self._live()
        arr = (ctypes.POINTER(Event) * 256)()
        missed, total_missed = _u64(), None
        conv, out = _Converter(), []
        while True:
            n = _watch_since(w, seq, arr, len(arr), ctypes.byref(missed))
            if total_missed is None:
                total_missed = missed.value
            for i in range(n):
                if self._pf is None or _match_owners(self._pf, arr[i].contents.socket):
                    out.append(conv.event(arr[i]))
            if n < len(arr):
                return out, total_missed
            seq = arr[n - 1].contents.seq + 1

    def status(self):
        """What the watcher sees, as a dict: namespaces (known), unreachable
        (of those, not watched: entering refused), destroy_reports (closes
        come from the kernel at once), failing (namespaces whose last dump
        failed), failing_error (the errno of one, 0 when none), bpf_events
        (the kernel's BPF socket events run) and bpf_error (why not)."""
        st = WatchStatus(size=ctypes.sizeof(WatchStatus))
        _check(_watch_status(self._live(), ctypes.byref(st)), "whosock_watch_status")
        return {"namespaces": st.namespaces, "unreachable": st.unreachable,
                "destroy_reports": bool(st.destroy_reports), "failing": st.failing,
                "failing_error": st.failing_error, "bpf_events": bool(st.bpf_events),
                "bpf_error": st.bpf_error}

    def close(self):
        """Stop watching and free the watcher. Safe to call twice."""
        if self._w:
            _watch_free(self._w)
            self._w = ctypes.c_void_p()
        if self._pf is not None:
            _pf_free(self._pf)
            self._pf = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self.events()

    def __del__(self):
        self.close()
