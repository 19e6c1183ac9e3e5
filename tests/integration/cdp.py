# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small client of Chromium's DevTools protocol over its WebSocket, with
Python's standard library only (RFC 6455: masked text frames out, frames of
any length in). Enough for a test: commands, and the events that came
meanwhile kept for the caller."""

import base64
import json
import os
import socket
import struct
import time
import urllib.parse


class DevTools:
    def __init__(self, ws_url, timeout=60):
        u = urllib.parse.urlparse(ws_url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (u.path, u.hostname, u.port, key))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            d = self.sock.recv(1)
            if not d:
                raise OSError("DevTools closed the handshake")
            head += d
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise OSError("DevTools refused the WebSocket: %r" % head[:200])
        self.next_id = 0
        self.events = []

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            d = self.sock.recv(n - len(buf))
            if not d:
                raise OSError("DevTools closed the connection")
            buf += d
        return buf

    def _send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _recv(self):
        """One message (fragments joined); control frames answered or skipped."""
        parts = []
        while True:
            b0, b1 = self._recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv_exact(8))[0]
            mask = self._recv_exact(4) if b1 & 0x80 else None
            data = self._recv_exact(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            op = b0 & 0x0F
            if op == 8:
                raise OSError("DevTools closed the WebSocket")
            if op in (9, 10):
                continue  # ping, pong: Chromium sends none unasked
            parts.append(data)
            if b0 & 0x80:
                return json.loads(b"".join(parts))

    def call(self, method, **params):
        """Send a command, return its result (events meanwhile kept in .events)."""
        self.next_id += 1
        my = self.next_id
        self._send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            m = self._recv()
            if m.get("id") == my:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def close(self):
        self.sock.close()


def errors(events):
    """The console errors, uncaught exceptions and error log entries (CSP
    violations, failed loads) among DevTools events, as text."""
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console.%s: %s" % (p["type"], " ".join(str(a.get("value", a.get("description")))
                                                              for a in p.get("args", []))))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("exception: %s %s" % (d.get("text"), d.get("exception", {}).get("description", "")))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            en = p["entry"]
            out.append("log (%s): %s %s" % (en.get("source"), en.get("text"), en.get("url", "")))
    return out


def wait_devtools_url(stderr_path, timeout=60):
    """Chromium's 'DevTools listening on ws://...' line from its stderr file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(stderr_path, errors="replace") as f:
            for line in f:
                if line.startswith("DevTools listening on "):
                    return line.split(" on ", 1)[1].strip()
        time.sleep(0.1)
    return None
