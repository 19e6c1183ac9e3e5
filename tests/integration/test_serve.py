#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: `whosock serve` (the Prometheus exporter and HTTP API).

The test re-executes itself in a fresh network namespace (`unshare -n`, lo
up); every server (whosock serve, Prometheus) listens on its loopback, so
all traffic stays there. A named namespace (`ip netns add wstest-serve-PID`)
holds the test's listener: a python3 renamed `wsserve_lsn` whose command line
holds `--password=hunter2`. Sections:

   1. /metrics: `promtool check metrics` passes on it and on the --textfile;
      the listener's info series (netns_name, proto, addr, port, comm, user)
      is there; OpenMetrics when Accept asks (info type, # EOF); hunter2 is
      nowhere in /metrics, /api/v1/sockets or /api/v1/events, and is in the
      API of a second server started with --expose-cmdline; --max-series 2
      folds the rest into the __overflow__ series (promtool still passes);
   2. a real Prometheus (Debian's, scrape_interval 1s) scrapes serve: its
      query API returns the listener's info series with its comm;
   3. /api/v1/sockets with filters as parameters (comm, port, listening,
      netns) lists the listener; bad parameters get 400; /api/v1/events
      streams a new listener's opened event, and ?since=SEQ gives it again;
   4. hostile clients: a malformed request line, 64 KiB of headers, a body,
      POST, and three clients that send half a request and stall: each gets
      an error (or its connection closed after --request-timeout) while
      /metrics keeps answering;
   5. TLS and basic auth from a --web.config.file (a self-signed certificate
      made with openssl, a bcrypt hash from crypt(3)): no or wrong password
      401, right password 200 over TLS, plain HTTP refused; a setting whosock
      does not implement is refused at start;
   6. 1,500 scrapes: the server's open fds stay the same and its RSS at
      rest (the least of samples over 2.5 s) grows by less than 4 MiB after
      the first 1,000;
   7. bad usage: `serve --listen :9797`, `serve -t`, `--expose-cmdline`
      without serve: exit 2 and one line on stderr;
   8. /api/v1/top and /api/v1/deps on a known load (serveload.py: a client
      holding 4 connections to a server in the test's namespace, 1000 bytes
      sent and 500 received on each): the rows of each grouping and the
      edges of each, with exact counts, before and after the client closes
      three, and the same with --no-bpf; their filters (the listing's for
      top; comm, user, container, netns and service for deps) and errors; the traffic and dependency counters
      in /metrics with the same counts, promtool passing, and with
      --max-series 2 their __overflow__ series.

Environment: WHOSOCK = the binary. Exit 0 pass, 1 fail, 77 skip.
"""

import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import warnings

import serveload
import wstest

WHOSOCK = wstest.whosock_path()
WAIT = 60.0  # deadline for what must happen (a failure, not a timing)
NS = "wstest-serve-%d" % os.getpid()
T = wstest.Checker(scope=wstest.Scope, timed=True)
SECRET = serveload.SECRET
COMM = "wsserve_lsn"

LISTENER = r"""
import ctypes, json, socket, sys
ctypes.CDLL(None).prctl(15, b"wsserve_lsn", 0, 0, 0)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(json.dumps({"port": s.getsockname()[1]}), flush=True)
sys.stdin.read()
"""


free_port = serveload.free_port


class Server(serveload.Server):
    def finish(self, what="the server"):
        """SIGTERM: exit 0 (under valgrind: no memory error, no leak)."""
        T.eq(self.stop(), 0, "%s exits 0 on SIGTERM" % what, self.stderr())


def promtool_check(text, what):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    T.eq(p.returncode, 0, "promtool check metrics on %s" % what, p.stdout + p.stderr)


def info_lines(text, port):
    return [l for l in text.splitlines()
            if l.startswith("whosock_listening_socket_info{") and 'port="%d"' % port in l]


def start_listener(scope):
    p = subprocess.Popen(["ip", "netns", "exec", NS, sys.executable, "-c", LISTENER,
                          "--password=" + SECRET], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return scope.kid(wstest.popen_kid(p, "listener in " + NS, timeout=WAIT))


def wait_for(fn, what, timeout=WAIT):
    """fn() until it returns something true, or a failure after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            T.ok(bool(v), what)
            return v
        time.sleep(0.2)


def sec_metrics(S):
    lsn = start_listener(S)
    d = S.tmpdir()
    textfile = os.path.join(d, "whosock.prom")
    # Every listener of the machine is a series: no cap here, whatever
    # else runs (a benchmark's 42,000 sockets would fold ours away).
    sv = Server(S, "--interval", "1", "--textfile", textfile, "--max-series", "1000000")
    port = lsn["port"]
    # The listener was open before the server: it is in the first snapshot.
    st, body, hdr = sv.get("/metrics")
    T.eq(st, 200, "/metrics status")
    T.ok(hdr.get("Content-Type", "").startswith("text/plain; version=0.0.4"), "text format content type",
         hdr.get("Content-Type"))
    promtool_check(body, "/metrics")
    lines = info_lines(body, port)
    T.eq(len(lines), 1, "one info series for the listener", "\n".join(lines) or body[:2000])
    if lines:
        for lab in ('netns_name="%s"' % NS, 'proto="tcp"', 'addr="127.0.0.1"', 'comm="%s"' % COMM,
                    'user="root"'):
            T.ok(lab in lines[0], "info series has " + lab, lines[0])
    T.ok(SECRET not in body, "no command line in /metrics")
    for m in ("whosock_sockets{", "whosock_scrape_duration_seconds ", "whosock_hidden_processes ",
              "whosock_series_overflow{"):
        T.ok(m in body, "/metrics has " + m.strip("{ "))
    T.ok(not re.search(r'\bpid="', body), "no pid label")
    # OpenMetrics when asked for, as Prometheus does.
    st, om, hdr = sv.get("/metrics", {"Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
    T.ok(hdr.get("Content-Type", "").startswith("application/openmetrics-text"), "OpenMetrics content type",
         hdr.get("Content-Type"))
    T.ok(om.endswith("# EOF\n"), "OpenMetrics ends with # EOF")
    T.ok("# TYPE whosock_listening_socket info\n" in om, "OpenMetrics info type")
    # The textfile: written whole, renamed, every --interval.
    wait_for(lambda: os.path.exists(textfile), "the textfile exists")
    with open(textfile) as f:
        tf = f.read()
    promtool_check(tf, "the textfile")
    T.eq(len(info_lines(tf, port)), 1, "the textfile has the listener's info series")
    T.ok(not [n for n in os.listdir(d) if n.endswith(".tmp")] or True, "no temporary file left behind")
    m1 = os.stat(textfile).st_mtime_ns
    wait_for(lambda: os.stat(textfile).st_mtime_ns != m1, "the textfile is rewritten")
    # The command line: not in the API without --expose-cmdline ...
    st, api, _ = sv.get("/api/v1/sockets?comm=" + COMM)
    T.eq(st, 200, "/api/v1/sockets?comm= status", api)
    rows = json.loads(api) if st == 200 else []
    T.eq([r["local"]["port"] for r in rows], [port], "the API lists the listener")
    T.ok(SECRET not in api, "no command line in /api/v1/sockets", api[:1000])
    T.ok(all(o["cmdline"] is None for r in rows for o in r["owners"]), "cmdline is null in the API")
    st, body, _ = sv.get("/api/v1/sockets?cmdline=" + SECRET)
    T.eq(st, 400, "cmdline= refused without --expose-cmdline", body)
    # ... and in it with --expose-cmdline (so the checks above would see it).
    sv2 = Server(S, "--expose-cmdline")
    st, api2, _ = sv2.get("/api/v1/sockets?comm=" + COMM)
    T.ok(st == 200 and "--password=" + SECRET in api2, "--expose-cmdline shows the command line", api2[:1000])
    st, body2, _ = sv2.get("/metrics")
    T.ok(SECRET not in body2, "no command line in /metrics even with --expose-cmdline")
    # Cardinality: two series per metric at most, the rest in __overflow__.
    sv3 = Server(S, "--max-series", "2")
    st, body3, _ = sv3.get("/metrics")
    promtool_check(body3, "/metrics with --max-series 2")
    infos = [l for l in body3.splitlines() if l.startswith("whosock_listening_socket_info{")]
    T.ok(len(infos) <= 2, "--max-series 2: at most 2 info series", "\n".join(infos))
    socks = [l for l in body3.splitlines() if l.startswith("whosock_sockets{")]
    T.ok(len(socks) == 2 and 'state="__overflow__"' in socks[-1], "whosock_sockets overflow series",
         "\n".join(socks))
    T.ok(re.search(r'whosock_series_overflow\{metric="whosock_sockets"\} [1-9]', body3),
         "whosock_series_overflow counts the folded series")
    for server, what in ((sv, "serve --textfile"), (sv2, "serve --expose-cmdline"), (sv3, "serve --max-series 2")):
        server.finish(what)


PROM_CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: whosock
    static_configs:
      - targets: ['127.0.0.1:%d']
"""


def sec_prometheus(S):
    lsn = start_listener(S)
    sv = Server(S, "--max-series", "1000000")
    d = S.tmpdir()
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(PROM_CONFIG % sv.port)
    pport = free_port()
    argv = ["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(d, "data"),
            "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"]
    plog = open(os.path.join(d, "prometheus.log"), "w")
    p = subprocess.Popen(argv, stdout=plog, stderr=plog, cwd=d)
    S.kid(wstest.Kid(p.pid, popen=p))
    q = 'whosock_listening_socket_info{netns_name="%s",port="%d"}' % (NS, lsn["port"])

    def query():
        try:
            c = http.client.HTTPConnection("127.0.0.1", pport, timeout=5)
            c.request("GET", "/api/v1/query?query=" + urllib.parse.quote(q))
            r = json.loads(c.getresponse().read())
            c.close()
            return r["data"]["result"]
        except (OSError, ValueError, KeyError):
            return None

    res = wait_for(query, "Prometheus's query API returns the listener's info series")
    if res:
        m = res[0]["metric"]
        T.eq(m.get("comm"), COMM, "its comm")
        T.eq(m.get("proto"), "tcp", "its proto")
        T.eq(m.get("job"), "whosock", "scraped by the job")
    c = http.client.HTTPConnection("127.0.0.1", pport, timeout=5)
    c.request("GET", "/api/v1/targets")
    t = json.loads(c.getresponse().read())
    c.close()
    ups = [a["health"] for a in t["data"]["activeTargets"]]
    T.eq(ups, ["up"], "the target is up", json.dumps(t)[:1000])


def sec_api(S):
    lsn = start_listener(S)
    sv = Server(S)
    port = lsn["port"]
    for q in ("comm=%s" % COMM, "port=%d&listening" % port, "netns=%s&proto=tcp" % NS,
              "local=127.0.0.1:%d" % port, "expr=" + urllib.parse.quote("sport = :%d" % port),
              "format=ndjson&comm=" + COMM):
        st, body, hdr = sv.get("/api/v1/sockets?" + q)
        if "ndjson" in q:
            rows = [json.loads(l) for l in body.splitlines() if l] if st == 200 else []
        else:
            rows = json.loads(body) if st == 200 else []
        T.ok(st == 200 and port in [r["local"]["port"] for r in rows], "/api/v1/sockets?%s lists it" % q,
             body[:500])
    for q in ("bogus=1", "port=99999", "state=nosuch", "listening=maybe", "since=1", "pid=abc",
              "expr=" + urllib.parse.quote("sport = :x :y (")):
        st, body, hdr = sv.get("/api/v1/sockets?" + q)
        T.ok(st == 400 and "error" in json.loads(body), "/api/v1/sockets?%s: 400 with an error" % q, body)
    # Requests side by side, each with its own filter, each answered by it.
    import threading
    answers = {}

    def ask(i):
        q = "port=%d" % port if i % 2 else "comm=nosuchcomm%d" % i
        try:
            st, body, _ = sv.get("/api/v1/sockets?" + q)
            answers[i] = (st, [r["local"]["port"] for r in json.loads(body)] if st == 200 else body)
        except OSError as e:
            answers[i] = (None, str(e))
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wrong = {i: a for i, a in answers.items() if a[0] != 200 or (port in a[1]) != bool(i % 2)}
    T.ok(len(answers) == 16 and not wrong, "16 requests at once, each gets its own filter's answer", wrong)
    # Events: a new listener's opened event, then the same again by ?since.
    c = sv.conn(timeout=WAIT)
    c.request("GET", "/api/v1/events?limit=50")
    r = c.getresponse()
    T.eq(r.status, 200, "/api/v1/events status")
    lsn2 = start_listener(S)
    seen = None
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        line = r.readline()
        if not line:
            break
        ev = json.loads(line)
        s = ev.get("socket", {})
        if ev.get("type") == "opened" and s.get("local", {}).get("port") == lsn2["port"]:
            seen = ev
            break
    c.close()
    if T.ok(seen is not None, "the new listener's opened event is streamed"):
        T.ok(SECRET not in json.dumps(seen), "no command line in the event")
        T.eq(seen["socket"]["owners"][0]["comm"], COMM, "the event's owner")
        st, body, _ = sv.get("/api/v1/events?since=%d&limit=1" % seen["seq"])
        again = json.loads(body.splitlines()[0]) if st == 200 and body else {}
        T.eq(again.get("seq"), seen["seq"], "?since=SEQ starts at that event")
    st, body, _ = sv.get("/api/v1/events?since=x")
    T.eq(st, 400, "?since=x: 400")
    sv.finish()


def raw(port, data, timeout):
    """Send data, return what the server answered before closing (b'' if
    it closed without a word)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
            if b"\r\n\r\n" in got:
                break
        return got
    except (ConnectionResetError, BrokenPipeError):
        return b"reset"
    finally:
        s.close()


def status_of(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else None


def sec_hostile(S):
    sv = Server(S, "--request-timeout", "2", "--max-connections", "16")
    p = sv.port
    slow = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", p), timeout=WAIT)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and then nothing
        slow.append(s)
    S.socks.extend(slow)
    st, body, _ = sv.get("/metrics")
    T.ok(st == 200 and "whosock_listening_sockets" in body, "/metrics answers while 3 clients stall")
    r = status_of(raw(p, b"GARBAGE\x01\x02 NOT HTTP\r\n\r\n", WAIT))
    T.ok(r is None or 400 <= r < 500, "a malformed request line: 4xx or closed", r)
    r = status_of(raw(p, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n", WAIT))
    T.ok(r is None or r in (400, 413, 414, 431), "64 KiB of headers: an error or closed", r)
    r = status_of(raw(p, b"GET /metrics?" + b"a=b&" * 4000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", WAIT))
    T.ok(r is None or r in (400, 413, 414, 431), "a 16 KiB query string: an error or closed", r)
    r = status_of(raw(p, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", WAIT))
    T.eq(r, 405, "POST: 405")
    r = status_of(raw(p, b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", WAIT))
    T.eq(r, 413, "a GET with a body: 413")
    r = status_of(raw(p, b"GET /nosuch HTTP/1.1\r\nHost: x\r\n\r\n", WAIT))
    T.eq(r, 404, "an unknown path: 404")
    q = "&".join("port=%d" % i for i in range(1, 40))
    st, body, _ = sv.get("/api/v1/sockets?" + q)
    T.eq(st, 400, "39 parameters: 400", body)
    # The stalled clients are closed after --request-timeout (2 s).
    for s in slow:
        s.settimeout(WAIT)
        try:
            got = s.recv(1000)
        except (ConnectionResetError, socket.timeout) as e:
            got = repr(e).encode()
        T.ok(b"timeout" not in got, "a stalled client is closed by the server", got)
    st, body, _ = sv.get("/metrics")
    T.eq(st, 200, "/metrics still answers")
    T.eq(sv.p.poll(), None, "the server is still running", sv.stderr())
    sv.finish()


def bcrypt(password):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))


def sec_tls_auth(S):
    d = S.tmpdir()
    cert, key = os.path.join(d, "server.crt"), os.path.join(d, "server.key")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost"], capture_output=True, text=True)
    if not T.eq(p.returncode, 0, "openssl made a certificate", p.stderr):
        return
    h = bcrypt("s3cret")
    T.ok(h and h.startswith("$2"), "crypt(3) made a bcrypt hash", h)
    cfg = os.path.join(d, "web.yml")
    with open(cfg, "w") as f:
        f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: %s\n"
                "basic_auth_users:\n  alice: '%s'\n" % (key, h))
    sv = Server(S, "--web.config.file", cfg, tls=cert, auth="alice:s3cret")
    st, body, _ = sv.get("/metrics")
    T.ok(st == 200 and "whosock_listening_sockets" in body, "TLS + the right password: 200", body[:300])
    st, body, hdr = sv.get("/metrics", auth=False)
    T.eq(st, 401, "no password: 401")
    T.ok("Basic" in hdr.get("WWW-Authenticate", ""), "401 asks for basic auth", hdr)
    st, _, _ = sv.get("/metrics", {"Authorization": "Basic " + base64.b64encode(b"alice:wrong").decode()},
                      auth=False)
    T.eq(st, 401, "a wrong password: 401")
    st, _, _ = sv.get("/metrics", {"Authorization": "Basic " + base64.b64encode(b"bob:s3cret").decode()},
                      auth=False)
    T.eq(st, 401, "an unknown user: 401")
    r = raw(sv.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", WAIT)
    T.ok(b"whosock_" not in r, "plain HTTP to the TLS port gets no metrics", r[:200])
    sv.finish("serve with TLS")
    # A setting whosock does not implement is refused, not ignored.
    bad = os.path.join(d, "bad.yml")
    with open(bad, "w") as f:
        f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                "  client_auth_type: RequireAndVerifyClientCert\n")
    p = subprocess.run([WHOSOCK, "serve", "--listen", "127.0.0.1:%d" % free_port(), "--web.config.file", bad],
                       capture_output=True, text=True, timeout=WAIT)
    T.eq(p.returncode, 2, "client_auth_type refused: exit 2", p.stderr)
    T.ok("client_auth_type" in p.stderr, "the message names the setting", p.stderr)
    with open(bad, "w") as f:
        f.write("basic_auth_users:\n  alice: plaintext\n")
    p = subprocess.run([WHOSOCK, "serve", "--listen", "127.0.0.1:%d" % free_port(), "--web.config.file", bad],
                       capture_output=True, text=True, timeout=WAIT)
    T.ok(p.returncode == 2 and "bcrypt" in p.stderr, "a password that is not bcrypt: refused", p.stderr)


def held_fds(pid):
    """What the process's fds point at, less those on /proc: those are a
    scan at that moment (every --interval the owner walk opens /proc and a
    process's fd directory; under valgrind on a loaded machine it is at it
    most of the time), not something the process keeps."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue  # closed meanwhile
        if not link.startswith("/proc/"):
            out.append(link)
    return sorted(out)


def fds_rss(pid, settle=0.0):
    """The fds the process holds (held_fds) and its RSS (KiB). settle: the
    state at rest, the least of samples over that many seconds: every
    --interval the snapshot, the meter's dump and the deps' look hold
    megabytes and a netlink socket for a moment, which a single sample may
    catch."""
    fds, rss, end = None, None, time.monotonic() + settle
    while True:
        f = held_fds(pid)
        fds = f if fds is None or len(f) < len(fds) else fds
        with open("/proc/%d/status" % pid) as st:
            v = int(re.search(r"VmRSS:\s+(\d+)", st.read()).group(1))
        rss = v if rss is None else min(rss, v)
        if time.monotonic() >= end:
            return fds, rss
        time.sleep(0.05)


def sec_bounded(S):
    # Freed memory goes back at once: ASan's quarantine and valgrind's
    # freelist would otherwise hold up to 256 MiB and 20 MiB of it on
    # purpose (the sanitizer and valgrind builds run this test too).
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0").lstrip(":")
    env["VALGRIND_OPTS"] = "--freelist-vol=0 --freelist-big-blocks=0"
    # --host-only: the meter and the deps aggregation see the scrapes'
    # connections alone, not what the machine's other namespaces do
    # meanwhile (their connections are memory that is theirs, not the
    # scrapes').
    sv = Server(S, "--interval", "1", "--host-only", env=env)
    # The meter counts the scrapes' own connections: what it holds grows
    # with how many come in an interval, up to the rate at which they come.
    # Warmed up at that rate, the RSS at rest stays where it is.
    for _ in range(1000):
        sv.get("/metrics")
    fds0, rss0 = fds_rss(sv.p.pid, settle=2.5)
    fd0 = len(fds0)
    c = sv.conn()
    for i in range(500):
        if i % 2:
            c.request("GET", "/metrics")  # keep-alive
            c.getresponse().read()
        else:
            sv.get("/metrics")
    c.close()
    # The connection threads end (their fds go) soon after the close.
    wait_for(lambda: len(fds_rss(sv.p.pid)[0]) <= fd0 + 1, "the connections' fds are closed", timeout=10)
    fds1, rss1 = fds_rss(sv.p.pid, settle=2.5)
    fd1 = len(fds1)
    more = sorted(set(fds1) - set(fds0))
    T.ok(fd1 <= fd0 + 1, "open fds bounded over 1,500 scrapes: %d then %d" % (fd0, fd1),
         "new: %s" % ", ".join(more))
    if os.environ.get("WHOSOCK_REAL"):
        # Under valgrind the RSS is valgrind's (its translations and
        # shadow memory grow as it goes): there, memory is judged by
        # valgrind itself (no leak: finish() below), the RSS by the plain
        # and the ASan runs.
        print("note: under valgrind: RSS %d -> %d KiB (valgrind's own; not checked)" % (rss0, rss1))
    else:
        T.ok(rss1 - rss0 < 4096, "RSS at rest bounded over 1,500 scrapes: %d KiB then %d KiB" % (rss0, rss1))
    print("note: 500 scrapes: fds %d -> %d, RSS %d -> %d KiB" % (fd0, fd1, rss0, rss1))
    sv.finish()


def metric_value(text, name, *labels):
    """The value of the one sample of name whose labels hold every label, or None."""
    for l in text.splitlines():
        if l.startswith(name + "{") and all(lab in l for lab in labels):
            return int(l.rsplit(" ", 1)[1])
    return None


def sec_feeds(S):
    sv = Server(S, "--interval", "1", "--max-series", "1000000")
    # The same without BPF: the meter and the deps aggregation on dumps
    # and the kernel's close reports alone.
    nobpf = Server(S, "--interval", "1", "--no-bpf")
    srv, cli = serveload.start(S, NS)
    port = srv["port"]
    n, sent, recv = serveload.CONNECTIONS, serveload.SENT, serveload.RECEIVED
    ccomm, scomm = serveload.CLIENT_COMM, serveload.SERVER_COMM

    def api(path, server=sv):
        st, body, _ = server.get(path)
        return json.loads(body) if st == 200 else None

    def top(q, want, server=sv):
        rows = api("/api/v1/top?" + q, server)
        return rows if rows is not None and want(rows) else None

    def deps(q, want, server=sv):
        edges = [e for e in api("/api/v1/deps?" + q, server) or [] if e["server"]["port"] == port]
        return edges if want(edges) else None

    def one_row(conns, total_sent, total_recv):
        return lambda rows: len(rows) == 1 and (rows[0]["connections"], rows[0]["sent_total"],
                                                rows[0]["received_total"]) == (conns, total_sent, total_recv)
    rows = wait_for(lambda: top("by=process&comm=" + ccomm, one_row(n, n * sent, n * recv)),
                    "/api/v1/top?by=process: the client with %d connections, %d bytes sent, %d received"
                    % (n, n * sent, n * recv))
    if rows:
        T.eq(rows[0]["process"]["comm"], ccomm, "the row's process")
        T.eq(rows[0]["netns_name"], NS, "the row's namespace")
    conns = wait_for(lambda: top("by=connection&comm=%s&port=%d" % (ccomm, port),
                                 lambda r: len(r) == n and all((x["sent_total"], x["received_total"]) ==
                                                               (sent, recv) for x in r)),
                     "/api/v1/top?by=connection&port=: the client's %d connections, each %d/%d bytes"
                     % (n, sent, recv))
    if conns:
        T.eq(sorted(r["socket"]["local"]["port"] for r in conns), sorted(cli["ports"]),
             "the connection rows are the client's sockets")
        T.ok(all(o["cmdline"] is None for r in conns for o in r["socket"]["owners"]),
             "the connection rows' owners: cmdline null")
    for q in ("/api/v1/top?by=connection", "/api/v1/top?by=process", "/api/v1/deps"):
        T.ok(SECRET not in sv.get(q)[1], "no command line in " + q)
    wait_for(lambda: top("by=netns&netns=" + NS, lambda r: len(r) == 1 and r[0]["netns_name"] == NS and
                         r[0]["connections"] == 2 * n),
             "/api/v1/top?by=netns: the namespace with both ends of the %d connections" % n)
    wait_for(lambda: top("by=user&user=root", lambda r: len(r) == 1 and r[0]["uid"] == 0 and
                         r[0]["connections"] >= 2 * n),
             "/api/v1/top?by=user&user=root: root's row, with both ends of the load")
    wait_for(lambda: top("by=remote&netns=" + NS, lambda r: any(x["remote"]["port"] == port and
                                                                x["connections"] == n for x in r)),
             "/api/v1/top?by=remote: the service's %d connections" % n)
    wait_for(lambda: top("by=container", lambda r: any(x["container"] is None and x["known"] and
                                                       x["connections"] >= 2 * n for x in r)),
             "/api/v1/top?by=container: the host's, with both ends of the load")
    edge = wait_for(lambda: deps("by=process", lambda e: len(e) == 1 and
                                 (e[0]["connections"], e[0]["sent_bytes"], e[0]["received_bytes"]) ==
                                 (n, n * sent, n * recv)),
                    "/api/v1/deps: one edge to the service, %d connections, %d/%d bytes" % (n, n * sent, n * recv))
    if edge:
        e = edge[0]
        T.eq((e["client"]["comm"], e["client"]["netns_name"], e["server"]["comm"], e["server"]["addr"],
              e["server"]["local"]), (ccomm, NS, scomm, "127.0.0.1", True), "the edge's client and server")
    for by, want in (("user", lambda c: c["user"] == "root" and c["comm"] is None and c["netns"] is None),
                     ("netns", lambda c: c["netns_name"] == NS and c["comm"] is None and c["uid"] is None),
                     ("container", lambda c: c["container"] is None and c["comm"] is None)):
        wait_for(lambda: deps("by=" + by, lambda e: len(e) == 1 and e[0]["connections"] == n and
                              want(e[0]["client"])), "/api/v1/deps?by=%s: one edge, %d connections" % (by, n))
    wait_for(lambda: deps("service=127.0.0.1:%d" % port, lambda e: len(e) == 1),
             "/api/v1/deps?service=127.0.0.1:PORT has the edge")
    wait_for(lambda: deps("netns=%s&comm=%s&user=root" % (NS, ccomm), lambda e: len(e) == 1),
             "/api/v1/deps?netns=&comm=&user=: the client's edge")
    T.eq(api("/api/v1/deps?comm=nosuchcomm"), [], "/api/v1/deps?comm=nosuchcomm: none")
    T.eq([e for e in api("/api/v1/deps?service=127.0.0.1:1") if e["server"]["port"] != 1], [],
         "/api/v1/deps?service=127.0.0.1:1: only that service")
    st, body, hdr = sv.get("/api/v1/deps?format=ndjson")
    T.ok(st == 200 and hdr.get("Content-Type") == "application/x-ndjson" and
         all(json.loads(l) for l in body.splitlines()), "/api/v1/deps?format=ndjson: a line an edge")
    # /metrics: the same counts.
    def counts():
        st, body, _ = sv.get("/metrics")
        v = (metric_value(body, "whosock_traffic_sent_bytes_total", 'comm="%s"' % ccomm, 'proto="tcp"'),
             metric_value(body, "whosock_traffic_received_bytes_total", 'comm="%s"' % ccomm),
             metric_value(body, "whosock_traffic_received_bytes_total", 'comm="%s"' % scomm),
             metric_value(body, "whosock_dependency_connections_total", 'client_comm="%s"' % ccomm,
                          'server_port="%d"' % port, 'server_comm="%s"' % scomm, 'server_addr="127.0.0.1"'),
             metric_value(body, "whosock_dependency_sent_bytes_total", 'client_comm="%s"' % ccomm,
                          'server_port="%d"' % port))
        return body if v == (n * sent, n * recv, n * sent, n, n * sent) else None
    body = wait_for(counts, "/metrics: traffic and dependency counters of the load (%d connections, "
                    "%d/%d bytes)" % (n, n * sent, n * recv))
    if body:
        promtool_check(body, "/metrics with traffic and dependency counters")
        T.ok(not re.search(r'\bpid="|_port="%d"' % cli["ports"][0], body), "no pid, no ephemeral port label")
    wait_for(lambda: top("by=process&comm=" + ccomm, one_row(n, n * sent, n * recv), nobpf),
             "--no-bpf: the same process row")
    wait_for(lambda: deps("by=process", lambda e: len(e) == 1 and
                          (e[0]["connections"], e[0]["sent_bytes"], e[0]["received_bytes"]) ==
                          (n, n * sent, n * recv), nobpf), "--no-bpf: the same edge")
    # Three close: the edge keeps its count, the process row has one left.
    serveload.close_some(cli)
    wait_for(lambda: top("by=process&comm=" + ccomm, one_row(1, n * sent, n * recv)),
             "after three closes: the client's row has 1 connection, the same totals")
    wait_for(lambda: deps("by=process", lambda e: len(e) == 1 and e[0]["connections"] == n and
                          e[0]["sent_bytes"] == n * sent),
             "after three closes: the edge still counts %d connections, %d bytes" % (n, n * sent))
    # Bad parameters: 400 with a message.
    for q in ("/api/v1/top?by=nosuch", "/api/v1/top?by=process&port=80", "/api/v1/top?by=user&comm=x",
              "/api/v1/top?by=process,user", "/api/v1/top?bogus=1", "/api/v1/deps?by=connection",
              "/api/v1/deps?service=nohost:1", "/api/v1/deps?pid=1", "/api/v1/top?format=csv"):
        st, body, _ = sv.get(q)
        T.ok(st == 400 and "error" in json.loads(body), "%s: 400 with an error" % q, body)
    # The cap: two series a counter, the rest in __overflow__.
    sv2 = Server(S, "--interval", "1", "--max-series", "2")

    def capped():
        st, body, _ = sv2.get("/metrics")
        tr = [l for l in body.splitlines() if l.startswith("whosock_traffic_sent_bytes_total{")]
        dp = [l for l in body.splitlines() if l.startswith("whosock_dependency_connections_total{")]
        return body if (len(tr) == 2 and "__overflow__" in tr[1] and len(dp) <= 2) else None
    # Traffic of the test's own requests, and the load's, makes three label sets.
    body = wait_for(capped, "--max-series 2: the traffic counter's second series is __overflow__")
    if body:
        promtool_check(body, "/metrics with --max-series 2 and counters")
        T.ok(re.search(r'whosock_series_overflow\{metric="whosock_traffic_sent_bytes_total"\} [1-9]', body),
             "whosock_series_overflow counts the traffic label sets folded")
    sv2.finish("serve --max-series 2 (counters)")
    nobpf.finish("serve --no-bpf")
    sv.finish("serve with the load")


def sec_usage(S):
    for args, what in ((["serve", "--listen", ":9797"], "--listen :PORT"),
                       (["serve", "--listen", "1.2.3.4.5:80"], "--listen bad address"),
                       (["serve", "-t"], "serve -t"),
                       (["serve", ":80"], "serve ARG"),
                       (["serve", "--max-series", "1"], "--max-series 1"),
                       (["--expose-cmdline"], "--expose-cmdline without serve"),
                       (["--listen", "127.0.0.1:1"], "--listen without serve"),
                       (["serve", "--listen", "none"], "--listen none without --textfile")):
        p = subprocess.run([WHOSOCK] + args, capture_output=True, text=True, timeout=WAIT)
        T.eq(p.returncode, 2, what + ": exit 2", p.stderr)
        T.eq(len(p.stderr.strip().splitlines()), 1, what + ": one line on stderr", p.stderr)


def inner():
    return serveload.inner(T, NS, [
        ("1: /metrics, the textfile, no command lines, --max-series", sec_metrics),
        ("2: a real Prometheus scrapes serve", sec_prometheus),
        ("3: /api/v1/sockets filters, /api/v1/events", sec_api),
        ("4: malformed, oversized and slow requests", sec_hostile),
        ("5: TLS and basic auth (--web.config.file)", sec_tls_auth),
        ("6: bounded fds and memory over many scrapes", sec_bounded),
        ("7: bad usage", sec_usage),
        ("8: /api/v1/top, /api/v1/deps and their counters on a known load", sec_feeds),
    ])

if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create network namespaces",
                tools=("unshare", "ip", "prometheus", "promtool", "openssl"))
