#!/usr/bin/env python3
# Re-captures the "live" golden case for tests/unit/test_procnet.c.
# As root, in a fresh network namespace so that only these sockets show:
#     unshare -n python3 capture.py OUTDIR
# Creates a known set of sockets (TCP LISTEN/ESTABLISHED/TIME_WAIT/SYN_RECV/
# CLOSE_WAIT/FIN_WAIT2, v4-mapped, UDP, UDP-Lite, RAW, UNIX paths with spaces
# and newlines, abstract names), then copies /proc/net/* and `ss -tuwxaneH`
# (as ss.txt, kept as live/ss-reference.txt to check expected against).
# Then regenerate live/expected with WHOSOCK_REGEN_GOLDEN=1 and review it.
import os, socket, sys, shutil, subprocess, time

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
keep = []
def k(s): keep.append(s); return s

# TCP v4
lst = k(socket.socket()); lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", 8080)); lst.listen(16)
ssh = k(socket.socket()); ssh.bind(("0.0.0.0", 22)); ssh.listen(5)
cli = k(socket.create_connection(("127.0.0.1", 8080)))
srv, _ = lst.accept(); k(srv)
cli.sendall(b"x" * 1000)            # unread on srv: rx_queue 1000
# TIME_WAIT: client closes first, then server
c2 = socket.create_connection(("127.0.0.1", 8080)); s2, _ = lst.accept()
c2.close(); time.sleep(0.05); s2.close()
# CLOSE_WAIT / FIN_WAIT2: server closes, client does not
c3 = k(socket.create_connection(("127.0.0.1", 8080))); s3, _ = lst.accept()
s3.close()
# SYN_RECV: TCP_DEFER_ACCEPT holds the request until data arrives
dl = k(socket.socket()); dl.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 30)
dl.bind(("127.0.0.1", 9090)); dl.listen(5)
c4 = k(socket.create_connection(("127.0.0.1", 9090)))
# a socket created by uid 65534
os.setegid(65534); os.seteuid(65534)
nob = k(socket.socket()); nob.bind(("127.0.0.1", 3000)); nob.listen(1)
nobu = k(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)); nobu.bind(("0.0.0.0", 3001))
os.seteuid(0); os.setegid(0)

# TCP v6
l6 = k(socket.socket(socket.AF_INET6)); l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l6.bind(("::", 443)); l6.listen(5)
l61 = k(socket.socket(socket.AF_INET6)); l61.bind(("::1", 8443)); l61.listen(5)
c6 = k(socket.create_connection(("::1", 8443))); s6, _ = l61.accept(); k(s6)
cm = k(socket.create_connection(("127.0.0.1", 443))); sm, _ = l6.accept(); k(sm)  # v4-mapped

# UDP
u = k(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)); u.bind(("0.0.0.0", 53))
uc = k(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)); uc.bind(("127.0.0.1", 5353))
uc.connect(("127.0.0.1", 53)); uc.send(b"q" * 100)   # unread on u
u6 = k(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)); u6.bind(("::", 5300))
u61 = k(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)); u61.bind(("::1", 0)); u61.connect(("::1", 5300))
try:
    ul = k(socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136)); ul.bind(("127.0.0.1", 7000))
    ul6 = k(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, 136)); ul6.bind(("::1", 7001))
except OSError as e:
    print("udplite:", e, file=sys.stderr)

# RAW
k(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
r2 = k(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)); r2.bind(("127.0.0.1", 0))
k(socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))

# UNIX
d = "/tmp/wsk"
shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
ux = k(socket.socket(socket.AF_UNIX)); ux.bind(d + "/with space.sock"); ux.listen(5)
uxc = k(socket.socket(socket.AF_UNIX)); uxc.connect(d + "/with space.sock"); uxs, _ = ux.accept(); k(uxs)
ab = k(socket.socket(socket.AF_UNIX)); ab.bind("\0whosock-abstract"); ab.listen(1)
abn = k(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); abn.bind(b"\0nul\0inside")
nl = k(socket.socket(socket.AF_UNIX)); nl.bind(d + "/new\nline.sock"); nl.listen(1)
nl2 = k(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); nl2.bind(d + "/trailing-newline\n")
nl3 = k(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); nl3.bind(d + "/two\n\nnewlines")
sp = k(socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)); sp.bind(d + "/seq"); sp.listen(1)
a, b = socket.socketpair(); k(a); k(b)
dg = k(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); dg.bind(d + "/dgram")
dgc = k(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); dgc.connect(d + "/dgram")
auto = k(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)); auto.bind("")

for f in ["tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "unix"]:
    try:
        with open("/proc/net/" + f, "rb") as src, open(os.path.join(out, f), "wb") as dst:
            dst.write(src.read())
    except FileNotFoundError:
        pass
with open(os.path.join(out, "ss.txt"), "wb") as o:
    o.write(subprocess.run(["ss", "-tuwxaneH"], capture_output=True).stdout)
