#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration test: the page `whosock serve` serves at / (web/), in a real
headless Chromium (Debian's chromium) driven over the DevTools protocol.

The test re-executes itself in a fresh network namespace (`unshare -n`, lo
up), where whosock serve listens on loopback; a named namespace
(`ip netns add wstest-web-PID`) holds the load of serveload.py (a server
and a client holding 4 connections to it) and a second client whose name
is markup, "<b>x</b>y". Chromium (--headless, its own profile in a
temporary directory, --remote-debugging-port) loads the page with a
filter in its query (?by=process&netns=NS); the test, over the protocol's
WebSocket (cdp.py, Python's standard library only), collects Runtime and
Log events and checks:

   1. the page and its files come with a Content-Security-Policy and
      nosniff; / and /app.js are the embedded files;
   2. the service map (SVG) names the test's service (tcp 127.0.0.1:PORT and
      its server's name) and its client, and the top table has the
      client's row; the filter from the query is in the form and in the
      requests the page makes (its top rows and its map's clients are all
      in the namespace);
   3. the markup name is text: no <b> element anywhere in the page, the
      literal name in the map;
   4. the page refreshes itself: the second client's edge appears without
      a reload;
   5. no console error, exception or error log entry (a CSP violation, a
      failed load) came while it ran;
   6. a screenshot is saved to build/meson-logs/serve-web.png.

Environment: WHOSOCK = the binary. Exit 0 pass, 1 fail, 77 skip.
"""

import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import time

import cdp
import serveload
import wstest

WHOSOCK = wstest.whosock_path()
WAIT = 60.0  # deadline for what must happen (a failure, not a timing)
NS = "wstest-web-%d" % os.getpid()
T = wstest.Checker(scope=wstest.Scope, timed=True)
MARKUP = "<b>x</b>y"
CHROMIUM = shutil.which("chromium") or "chromium"


def start_chromium(S):
    """Headless Chromium with its own profile; its DevTools page target."""
    d = S.tmpdir()
    log = os.path.join(d, "chromium.log")
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--metrics-recording-only",
            "--user-data-dir=" + os.path.join(d, "profile"), "--remote-debugging-port=0",
            "--window-size=1400,900", "about:blank"]
    with open(log, "w") as f:
        # Its own process group: its helpers go with it.
        p = subprocess.Popen(argv, stdout=f, stderr=f, start_new_session=True)
    S.kid(wstest.Kid(p.pid, popen=p))
    S.chromium = p
    url = cdp.wait_devtools_url(log, WAIT)
    if not url:
        with open(log, errors="replace") as f:
            raise RuntimeError("chromium gave no DevTools address: " + f.read()[-2000:])
    host = url.split("/")[2]
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        c = http.client.HTTPConnection(host, timeout=10)
        c.request("GET", "/json/list")
        targets = json.loads(c.getresponse().read())
        c.close()
        pages = [t for t in targets if t.get("type") == "page"]
        if pages:
            return cdp.DevTools(pages[0]["webSocketDebuggerUrl"], timeout=WAIT)
        time.sleep(0.2)
    raise RuntimeError("chromium has no page target")


def stop_chromium(S):
    p = getattr(S, "chromium", None)
    if p and p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def wait_page(dt, expr, what, timeout=WAIT):
    """expr (JavaScript) in the page until it is true, or a failure after timeout."""
    deadline = time.monotonic() + timeout
    # (Until the page has loaded, its elements are not there yet.)
    guarded = "(() => { try { return !!(%s); } catch (e) { return false; } })()" % expr
    while True:
        v = dt.evaluate(guarded)
        if v or time.monotonic() > deadline:
            T.ok(bool(v), what, "page: " + str(dt.evaluate("document.body.innerText"))[:1500])
            return v
        time.sleep(0.3)


def screenshot_path():
    build = os.path.dirname(os.path.abspath(os.environ.get("WHOSOCK_REAL") or WHOSOCK))
    logs = os.path.join(build, "meson-logs")
    return os.path.join(logs if os.path.isdir(logs) else build, "serve-web.png")


def sec_page(S):
    sv = serveload.Server(S, "--interval", "1")
    port, get = sv.port, sv.get
    srv, cli = serveload.start(S, NS)
    svc = "tcp 127.0.0.1:%d" % srv["port"]
    # 1: the files, their headers.
    for path, ctype in (("/", "text/html"), ("/app.js", "text/javascript"), ("/style.css", "text/css"),
                        ("/favicon.svg", "image/svg+xml")):
        st, body, hdr = get(path)
        T.ok(st == 200 and hdr.get("Content-Type", "").startswith(ctype), "%s: 200, %s" % (path, ctype),
             "%s %s" % (st, hdr))
        csp = hdr.get("Content-Security-Policy", "")
        T.ok("default-src 'none'" in csp and "script-src 'self'" in csp, "%s has a Content-Security-Policy" % path,
             csp)
        T.eq(hdr.get("X-Content-Type-Options"), "nosniff", "%s: nosniff" % path)
    src = os.path.join(os.environ.get("WHOSOCK_SRC", os.path.join(os.path.dirname(__file__), "..", "..")), "web")
    for path, name in (("/", "index.html"), ("/app.js", "app.js")):
        with open(os.path.join(src, name)) as f:
            T.ok(get(path)[1] == f.read(), "%s is web/%s as embedded" % (path, name))
    # 2: the page in Chromium.
    dt = start_chromium(S)
    try:
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            dt.call(domain)
        dt.call("Page.navigate", url="http://127.0.0.1:%d/?by=process&netns=%s" % (port, NS))
        map_text = "document.getElementById('map').textContent"
        wait_page(dt, "%s.includes(%s) && %s.includes(%s)" % (map_text, json.dumps(svc), map_text,
                                                              json.dumps(serveload.SERVER_COMM)),
                  "the map shows the service %s and its server %s" % (svc, serveload.SERVER_COMM))
        wait_page(dt, "%s.includes(%s)" % (map_text, json.dumps(serveload.CLIENT_COMM)),
                  "the map shows the client " + serveload.CLIENT_COMM)
        top_text = "document.querySelector('#top tbody').textContent"
        wait_page(dt, "%s.includes(%s)" % (top_text, json.dumps(serveload.CLIENT_COMM)),
                  "the top table has the client's row")
        T.eq(dt.evaluate("document.querySelector('[name=netns]').value"), NS, "the query's filter is in the form")
        T.ok(dt.evaluate("[...document.querySelectorAll('#top tbody tr td:nth-child(2)')]"
                         ".every(td => td.textContent === %s)" % json.dumps(NS)),
             "the top rows are all of the filter's namespace")
        T.ok(dt.evaluate("[...document.querySelectorAll('#map g.client text.sub')]"
                         ".every(t => t.textContent.includes(%s))" % json.dumps(NS)),
             "the map's clients are all of the filter's namespace")
        # 3 and 4: a client named with markup appears by itself, as text.
        serveload.start_client(S, NS, srv["port"], MARKUP)
        wait_page(dt, "%s.includes(%s)" % (map_text, json.dumps(MARKUP)),
                  "the page refreshes: the second client (%s) appears, as text" % MARKUP)
        T.eq(dt.evaluate("document.querySelectorAll('b').length"), 0, "no <b> element: the name is not markup")
        # 6: the screenshot.
        shot = dt.call("Page.captureScreenshot", format="png")
        path = screenshot_path()
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        T.ok(os.path.getsize(path) > 1000, "screenshot saved: " + path)
        # 5: nothing went wrong in the page.
        dt.evaluate("1")  # the events so far
        errs = cdp.errors(dt.events)
        T.eq(errs, [], "no console error, exception or error log entry")
        dt.close()
    finally:
        stop_chromium(S)
    T.eq(sv.stop(), 0, "whosock serve exits 0 on SIGTERM", sv.stderr())


def inner():
    return serveload.inner(T, NS, [
        ("the page in headless Chromium", sec_page),
    ])

if __name__ == "__main__":
    wstest.main(__file__, inner, "needs root to create network namespaces",
                tools=("unshare", "ip", "chromium"))
