# SPDX-License-Identifier: LGPL-2.1-or-later
"""A known load for the tests of `whosock serve` (test_serve, test_serve_web):
in a network namespace NS, a server renamed SERVER_COMM listens on
127.0.0.1 and a client renamed CLIENT_COMM opens CONNECTIONS connections
to it, each sending SENT bytes and receiving RECEIVED, and holds them all
open (so that every one is seen with its process, whatever the timing),
until close_some() makes it close all but one."""

import subprocess
import sys

import wstest

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


def _start(scope, ns, code, args, what):
    p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", code] + args,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return scope.kid(wstest.popen_kid(p, what, timeout=60))


def start(scope, ns):
    """The server and the client in ns, the client's connections open:
    (server kid, client kid); server["port"] is the service's port."""
    srv = _start(scope, ns, SERVER, [], "the load's server in " + ns)
    return srv, start_client(scope, ns, srv["port"])


def start_client(scope, ns, port, comm=CLIENT_COMM):
    """Another client of the service at port, renamed comm (at most 15 bytes)."""
    return _start(scope, ns, CLIENT, [str(port), comm], "a client %r in %s" % (comm, ns))


def close_some(cli):
    """The client closes all its connections but the first."""
    cli.popen.stdin.write(b"close\n")
    cli.popen.stdin.flush()
    wstest.read_line(cli.popen.stdout.fileno(), 60)
