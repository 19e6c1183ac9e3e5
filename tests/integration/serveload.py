# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the tests of `whosock serve` share (test_serve, test_serve_web): a
server on a free loopback port (Server), and a known load:
in a network namespace NS, a server renamed SERVER_COMM listens on
127.0.0.1 and a client renamed CLIENT_COMM opens CONNECTIONS connections
to it, each sending SENT bytes and receiving RECEIVED, and holds them all
open (so that every one is seen with its process, whatever the timing),
until close_some() makes it close all but one."""

import base64
import http.client
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import wstest

WAIT = 60.0  # deadline for what must happen (a failure, not a timing)

SERVER_COMM = "wsserve_srv"
CLIENT_COMM = "wsserve_cli"
CONNECTIONS = 4
SENT = 1000
RECEIVED = 500

SERVER = r"""
import ctypes, json, socket, sys, threading
ctypes.CDLL(None).prctl(15, b"%s", 0, 0, 0)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(json.dumps({"port": s.getsockname()[1]}), flush=True)

def serve(c):
    got = 0
    while got < %d:
        d = c.recv(65536)
        if not d:
            return
        got += len(d)
    c.sendall(b"r" * %d)
    while c.recv(65536):
        pass
    c.close()

while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
""" % (SERVER_COMM, SENT, RECEIVED)

CLIENT = r"""
import ctypes, json, socket, sys
ctypes.CDLL(None).prctl(15, sys.argv[2].encode(), 0, 0, 0)
port = int(sys.argv[1])
conns = []
for i in range(%d):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"s" * %d)
    got = 0
    while got < %d:
        got += len(c.recv(65536))
    conns.append(c)
print(json.dumps({"ports": [c.getsockname()[1] for c in conns]}), flush=True)
sys.stdin.readline()
for c in conns[1:]:
    c.close()
print(json.dumps({"closed": len(conns) - 1}), flush=True)
sys.stdin.read()
""" % (CONNECTIONS, SENT, RECEIVED)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    """whosock serve ARGS on a free loopback port, ready once /healthz answers."""

    def __init__(self, scope, *args, tls=None, auth=None, env=None):
        self.port = free_port()
        self.tls = tls
        self.auth = auth
        self.argv = [wstest.whosock_path(), "serve", "--listen", "127.0.0.1:%d" % self.port] + list(args)
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=self.err, env=env)
        scope.kid(wstest.Kid(self.p.pid, popen=self.p))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.p.poll() is None:
            try:
                if self.get("/healthz")[0] in (200, 401):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("%s did not start: %s" % (wstest.shell_line(self.argv), self.stderr()))

    def stop(self):
        """SIGTERM; its exit status ("still running" after WAIT seconds)."""
        self.p.terminate()
        try:
            return self.p.wait(WAIT)
        except subprocess.TimeoutExpired:
            return "still running"

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def conn(self, timeout=30):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.tls)
            return http.client.HTTPSConnection("localhost", self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, headers=None, auth=True):
        h = dict(headers or {})
        if auth and self.auth:
            h["Authorization"] = "Basic " + base64.b64encode(self.auth.encode()).decode()
        c = self.conn()
        try:
            c.request("GET", path, headers=h)
            r = c.getresponse()
            return r.status, r.read().decode(errors="replace"), dict(r.getheaders())
        finally:
            c.close()


def inner(checker, ns, sections):
    """The inner half of a serve test: in the new namespace, unless this
    whosock has no serve, make the named namespace ns (lo up), run each
    (title, fn) of sections with checker, remove ns; the exit status."""
    whosock = wstest.whosock_path()
    if wstest.start_inner(whosock) is None:
        return 1
    if subprocess.run([whosock, "serve", "--listen", "bad"], capture_output=True, text=True).stderr.find(
            "built without 'serve'") >= 0:
        return wstest.skip("whosock was built without serve (libmicrohttpd)")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        for title, fn in sections:
            checker.run_section(title, fn)
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    print()
    return checker.summary()


def _start(scope, ns, code, args, what):
    p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", code] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return scope.kid(wstest.popen_kid(p, what, timeout=WAIT))


def start(scope, ns):
    """The server and the client in ns, the client's connections open:
    (server kid, client kid); server["port"] is the service's port."""
    srv = _start(scope, ns, SERVER, [], "the load's server in " + ns)
    return srv, start_client(scope, ns, srv["port"])


SECRET = "hunter2"


def start_client(scope, ns, port, comm=CLIENT_COMM):
    """Another client of the service at port, renamed comm (at most 15 bytes);
    its command line holds --password=SECRET, which no answer may show."""
    return _start(scope, ns, CLIENT, [str(port), comm, "--password=" + SECRET],
                  "a client %r in %s" % (comm, ns))


def close_some(cli):
    """The client closes all its connections but the first."""
    cli.popen.stdin.write(b"close\n")
    cli.popen.stdin.flush()
    wstest.read_line(cli.popen.stdout.fileno(), WAIT)
