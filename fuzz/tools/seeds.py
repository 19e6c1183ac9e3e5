#!/usr/bin/env python3
# Hand-written seeds for the fuzz corpora: the golden /proc and cgroup data of
# tests/data, the command lines of the unit tests, and edge cases. Run from
# the repository root:
#     python3 fuzz/tools/seeds.py fuzz/corpus
# (fuzz/tools/capture.py adds real kernel output; then minimise as
# fuzz/README.md says.)
import glob, hashlib, os, struct, sys

out = sys.argv[1]


def save(sub, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


ID = "2a759f8fac4d817ff2bc28c224d51c5030f915c0c14997110517984ca9aa8d0f"
UID_DASH = "8f2a1c3e-5b7d-4e9f-a1b2-c3d4e5f60718"
UID_UNDER = UID_DASH.replace("-", "_")

# ---- procnet: the golden tables (selector byte = index in fuzz_procnet.c) ----
tables = ["tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "unix"]
for path in glob.glob("tests/data/procnet/*/*"):
    name = os.path.basename(path)
    if name in tables:
        with open(path, "rb") as f:
            text = f.read()
        save("procnet", bytes([tables.index(name)]) + text)
        for line in text.split(b"\n")[1:]:
            if line:
                save("procnet", bytes([tables.index(name)]) + line)
head = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
for sel, line in [
    (0, b"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0"),
    (0, b"   1: 0100007F:1F90 0100007F:C350 06 00000000:00000000 03:000012A4 00000000     0        0 0 3 0000000000000000"),
    (1, b"   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0"),
    (2, b" 4294967295: 00000000:0035 00000000:0000 07 FFFFFFFF:FFFFFFFF 00:FFFFFFFFFFFFFFFF FFFFFFFF 4294967295 -2147483648 18446744073709551615 2 0000000000000000 0"),
    (6, b"   1: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4711 2 0000000000000000 0"),
    (8, b"0000000000000000: 00000002 00000000 00010000 0001 01 24680 /run/with space\ncontinued path\n0000000000000000: 00000003 00000000 00000000 0001 03 24681 @abstract"),
    (8, b"ffff8880047c2c00: 00000002 00000000 00000000 0002 01 1234 "),
]:
    save("procnet", bytes([sel]) + head + line + b"\n")
    save("procnet", bytes([sel]) + line)
save("procnet", bytes([0]) + head + b"   0: 0100007F:1F90\x000000000:0000 0A\n")
save("procnet", bytes([8]))

# ---- procinfo ----
save("procinfo", "1234 (a) b\n(c)) R 1 2 3 0 -1\n")
save("procinfo", "Name:\tx\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n")
save("procinfo", "Uid:\t4294967295 4294967296\n")
save("procinfo", "12:pids:/\n0::/system.slice/docker-" + ID + ".scope\n")
save("procinfo", "1:name=systemd:/a:b:c")
save("procinfo", b"arg0\0arg 1\0\0arg3\0\0\0")
for path in glob.glob("tests/data/cgroup/*"):
    with open(path, "rb") as f:
        save("procinfo", f.read())

# ---- container: cgroup paths ----
paths = [
    "/docker/" + ID, "//docker//" + ID + "/", "/docker/" + ID + " (deleted)",
    "/system.slice/docker-" + ID + ".scope", "/system.slice/docker-" + ID + ".scope/init.scope",
    "/kubepods/burstable/pod" + UID_DASH + "/" + ID, "/kubepods/pod" + UID_DASH + "/crio-" + ID,
    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_UNDER
    + ".slice/cri-containerd-" + ID + ".scope",
    "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod"
    + UID_UNDER + ".slice/cri-containerd-" + ID + ".scope",
    "/kubepods-besteffort-pod" + UID_UNDER + ".slice:cri-containerd:" + ID,
    "/system.slice:nerdctl:" + ID, "/:::",
    "/machine.slice/libpod-" + ID + ".scope/container", "/libpod_parent/libpod-" + ID,
    "/machine.slice/libpod-conmon-" + ID + ".scope",
    "/lxc/web1", "/lxc.payload.web1/system.slice/nginx.service", "/lxc.payload/web1", "/lxc.monitor.web1",
    "/machine.slice/systemd-nspawn@debian\\x2dtest.service/payload",
    "/machine.slice/machine-foo.scope/supervisor", "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope",
    "/user.slice/user-1000.slice/session-3.scope", "/", "/lxc/..", "/docker/" + ID + "/docker/" + ID[:63],
]
for p in paths:
    save("container", p)
for path in glob.glob("tests/data/cgroup/*"):
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if line.count(b":") >= 2:
                save("container", line.split(b":", 2)[2])

# ---- cli: NUL-separated arguments after argv[0] ----
argvs = [
    ["-tuwx"], ["-tl", "--state", "listen,established"], ["--state=time-wait,syn-recv"],
    ["-46", "--port", "443"], ["-o", "json", "--no-header", "-e"], ["-ojson"], ["--output=csv"],
    ["--source", "proc"], ["--pid", "1", "--user", "root", "--comm", "sshd"], ["--user", "65534"],
    ["--cmdline", "^/usr/bin/(python|perl)"], ["--no-owners", "--host-only"], ["--netns", "4026531840"],
    ["--netns", "pid:1"], ["--netns", "blue"], ["--container", "3f2a"], ["-h"], ["--version"],
    ["watch", "--connections", "--interval", "250ms", "--count", "3", "--timeout", "1.5", "-o", "ndjson"],
    ["watch", "--interval", "0.5"], [":8080"], ["-u", "127.0.0.1:53/udp"], ["[::1]:631/tcp"],
    ["--port"], ["--bogus"], ["-Z"], ["--tcp=1"], ["--state", ","], ["-t", "--", "-x"],
]
for a in argvs:
    save("cli", "\0".join(a))

# ---- cli_query: the [ADDR]:PORT[/PROTO] argument ----
for q in [":8080", "*:22", "0.0.0.0:80/tcp", "127.0.0.1:53/udp", "[::1]:631", "[::]:443/tcp",
          "[::ffff:1.2.3.4]:1/raw", ":7000/udplite", "1.2.3.4:65535", "[fe80::1%lo]:1", "::1:80",
          "127.0.0.1", ":0", ":65536", "[]:1", "/tcp", "1.2.3.4:80/", ":80/tcp/udp"]:
    save("cli_query", q)

# ---- textesc ----
for t in [b"plain ascii", b"tab\there\nnewline\r\x1b[31mred\x7f", "caf\u00e9 \u65e5\u672c \U0001f600".encode(),
          b"\x80\xff\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", "\u202eevil\u2066\u2028\u0085\ufeff".encode(),
          b'quote " comma , backslash \\', b" lead", b"trail ", b"\\x41\\u{202e}", b"\x00\x01\x02",
          b"\xe2\x82", b"\xf0\x9f\x98"]:
    save("textesc", t)

# ---- sockdiag: a few built messages on top of the captured ones ----
def nlmsg(payload, typ=20, flags=2, seq=0):
    n = 16 + len(payload)
    return struct.pack("=IHHII", n, typ, flags, seq, 0) + payload + bytes((-n) % 4)

def nla(typ, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, typ) + data + bytes((-n) % 4)

inet = struct.pack("=BBBB", 10, 10, 0, 0) + struct.pack(">HH", 443, 0) + bytes(32) + struct.pack("=IIII", 0, 0, 1, 0) + struct.pack("=IIIII", 0, 0, 0, 0, 12345)
save("sockdiag", nlmsg(inet + nla(5, bytes([1])) + nla(21, struct.pack("=Q", 7))))   # SKV6ONLY, CGROUP_ID
save("sockdiag", nlmsg(inet + nla(2, bytes(100))))                                   # short tcp_info
unix = struct.pack("=BBBBIII", 1, 1, 10, 0, 777, 1, 0)
save("sockdiag", nlmsg(unix + nla(0, b"\0abstract\0x") + nla(2, struct.pack("=I", 5)) + nla(4, struct.pack("=II", 1, 2)) + nla(7, struct.pack("=I", 1000))))
save("sockdiag", nlmsg(unix + nla(0, b"/run/x.sock\0junk")))
save("sockdiag", nlmsg(b"", typ=3) )
save("sockdiag_stream", nlmsg(inet, seq=1) + nlmsg(unix + nla(0, b"/a")) + nlmsg(struct.pack("=i", -2), typ=3))
save("sockdiag_stream", nlmsg(struct.pack("=i", -1) + nlmsg(b"")[:16], typ=2))        # NLMSG_ERROR
save("sockdiag_stream", nlmsg(inet, flags=2 | 0x10) + nlmsg(b"", typ=3))               # NLM_F_DUMP_INTR
