#!/usr/bin/env python3
# Seeds the fuzz corpora with real kernel output, made in a network namespace
# of its own so that only the sockets made here show (no address or path of
# the machine gets into the corpus). As root:
#     unshare -n python3 fuzz/tools/capture.py fuzz/corpus
# Writes (each file named by its SHA-1, as libFuzzer names corpus files):
#   procnet/          table selector byte + a whole /proc/net/* file, and
#                     + each of its lines
#   sockdiag/         each NETLINK_SOCK_DIAG message of the dumps
#   sockdiag_stream/  each recvmsg() buffer of the dumps as received
#   procinfo/         /proc/PID/{stat,status,cmdline} of a child process
#                     with a hostile name and command line made here
# Then minimise with libFuzzer -merge=1 (see fuzz/README.md).
import ctypes, hashlib, os, shutil, socket, struct, subprocess, sys, time

out = sys.argv[1]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def save(sub, data):
    d = os.path.join(out, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


keep = []
def k(s):
    keep.append(s)
    return s

# ---- sockets of every kind and state ----
lst = k(socket.socket()); lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", 8080)); lst.listen(16)
cli = k(socket.create_connection(("127.0.0.1", 8080))); srv, _ = lst.accept(); k(srv)
cli.sendall(b"x" * 1000)
c2 = socket.create_connection(("127.0.0.1", 8080)); s2, _ = lst.accept()
c2.close(); time.sleep(0.05); s2.close()                       # TIME_WAIT
c3 = k(socket.create_connection(("127.0.0.1", 8080))); s3, _ = lst.accept(); s3.close()  # CLOSE_WAIT/FIN_WAIT2
dl = k(socket.socket()); dl.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 30)
dl.bind(("127.0.0.1", 9090)); dl.listen(5)
c4 = k(socket.create_connection(("127.0.0.1", 9090)))          # SYN_RECV
l6 = k(socket.socket(socket.AF_INET6)); l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l6.bind(("::", 443)); l6.listen(5)
c6 = k(socket.create_connection(("::1", 443))); s6, _ = l6.accept(); k(s6)
cm = k(socket.create_connection(("127.0.0.1", 443))); sm, _ = l6.accept(); k(sm)  # v4-mapped
os.setegid(65534); os.seteuid(65534)
nob = k(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)); nob.bind(("0.0.0.0", 3001))
os.seteuid(0); os.setegid(0)
u = k(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)); u.bind(("0.0.0.0", 53))
uc = k(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)); uc.connect(("127.0.0.1", 53)); uc.send(b"q" * 100)
u6 = k(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)); u6.bind(("::1", 5300))
try:
    k(socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 136)).bind(("127.0.0.1", 7000))
    k(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, 136)).bind(("::1", 7001))
except OSError as e:
    print("udplite:", e, file=sys.stderr)
k(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
k(socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))
d = "/tmp/whosock-fuzz-capture"
shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
ux = k(socket.socket(socket.AF_UNIX)); ux.bind(d + "/with space.sock"); ux.listen(5)
uxc = k(socket.socket(socket.AF_UNIX)); uxc.connect(d + "/with space.sock"); uxs, _ = ux.accept(); k(uxs)
uxc.send(b"y" * 10)
k(socket.socket(socket.AF_UNIX)).bind("\0whosock-abstract")
k(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)).bind(b"\0nul\0inside")
nl = k(socket.socket(socket.AF_UNIX)); nl.bind(d + "/new\nline.sock"); nl.listen(1)
k(socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)).bind(d + "/seq")
a, b = socket.socketpair(); k(a); k(b)
k(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)).bind("")  # autobind

# ---- /proc/net ----
tables = ["tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "unix"]
for sel, name in enumerate(tables):
    try:
        with open("/proc/net/" + name, "rb") as f:
            text = f.read()
    except FileNotFoundError:
        continue
    save("procnet", bytes([sel]) + text)
    save("procnet", bytes([sel | 0x80]) + text)          # with the filter
    for line in text.split(b"\n")[1:]:
        if line:
            save("procnet", bytes([sel]) + line)

# ---- NETLINK_SOCK_DIAG dumps ----
NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
ALL_STATES = 0xffffffff

def dump(payload):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    s.bind((0, 0))
    hdr = struct.pack("=IHHII", 16 + len(payload), SOCK_DIAG_BY_FAMILY,
                      NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    s.send(hdr + payload)
    done = False
    while not done:
        buf = s.recv(65536)
        save("sockdiag_stream", buf)
        off = 0
        while off + 16 <= len(buf):
            ln, typ = struct.unpack_from("=IH", buf, off)
            if ln < 16 or off + ln > len(buf):
                break
            save("sockdiag", buf[off:off + ln])
            if typ in (2, 3):      # NLMSG_ERROR, NLMSG_DONE
                done = True
            off += (ln + 3) & ~3
    s.close()

for family in (socket.AF_INET, socket.AF_INET6):
    for proto in (socket.IPPROTO_TCP, socket.IPPROTO_UDP, 136, socket.IPPROTO_RAW):
        ext = 0xff if proto == socket.IPPROTO_TCP else 0   # INET_DIAG_INFO and friends
        # struct inet_diag_req_v2 with a zero inet_diag_sockid
        req = struct.pack("=BBBxI", family, proto, ext, ALL_STATES) + bytes(48)
        dump(req)
# struct unix_diag_req: show NAME | VFS | PEER | ICONS | RQLEN | UID
dump(struct.pack("=BBHIIIII", socket.AF_UNIX, 0, 0, ALL_STATES, 0, 0x5f, 0, 0))

# ---- /proc/PID files of a process with a hostile name ----
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    libc = ctypes.CDLL(None)
    libc.prctl(15, b"a) b\n(c) Z 1", 0, 0, 0)     # PR_SET_NAME
    os.close(r)
    os.write(w, b"x")
    time.sleep(2)
    os._exit(0)
os.close(w)
os.read(r, 1)
# Not cgroup: it would name this machine's own hierarchy (tests/data/cgroup/
# and fuzz/tools/seeds.py have the layouts that matter).
for name in ("stat", "status", "cmdline"):
    with open("/proc/%d/%s" % (pid, name), "rb") as f:
        save("procinfo", f.read())
for name in ("stat", "status"):
    with open("/proc/thread-self/" + name, "rb") as f:
        save("procinfo", f.read())
os.kill(pid, 9)
os.waitpid(pid, 0)
sl = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "arg with space", "", "tail\n"])
time.sleep(0.3)
for name in ("stat", "cmdline"):
    with open("/proc/%d/%s" % (sl.pid, name), "rb") as f:
        save("procinfo", f.read())
sl.kill(); sl.wait()
shutil.rmtree(d, ignore_errors=True)
