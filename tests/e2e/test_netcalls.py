# SPDX-License-Identifier: GPL-2.0-only
"""
The less common ways a connection or a DNS message passes: TCP Fast Open (a connect made
by sendto/sendmsg with MSG_FASTOPEN), DNS answers read with recvmmsg, and DNS messages
gathered from many iovecs.
"""

import os
import socket
import textwrap

import tracelib
from tracelib import Checks, DNSResponder, TCPServer

MSG_FASTOPEN = 0x20000000
FASTOPEN_SYSCTL = "/proc/sys/net/ipv4/tcp_fastopen"


class _Sysctl:
    """Sets a sysctl for the with block, restores it after."""

    def __init__(self, path, value):
        self.path, self.value = path, value

    def __enter__(self):
        with open(self.path) as f:
            self.old = f.read().strip()
        with open(self.path, "w") as f:
            f.write(self.value)
        return self

    def __exit__(self, *exc):
        with open(self.path, "w") as f:
            f.write(self.old)


def test_tcp_fast_open():
    # Client and server TFO on (3): sendto and sendmsg with MSG_FASTOPEN, no connect(),
    # over IPv4 and IPv6, and one to a closed port; each is the net_connect of its socket.
    tracelib.require_daemon()
    if not os.path.exists(FASTOPEN_SYSCTL):
        raise tracelib.Skip(f"no {FASTOPEN_SYSCTL}")
    closed = tracelib.free_port()
    with _Sysctl(FASTOPEN_SYSCTL, "3"), TCPServer("127.0.0.1") as v4, TCPServer("::1") as v6:
        script = f"""
            import socket
            req = b"GET / HTTP/1.0\\r\\n\\r\\n"
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            print("sendto", s.sendto(req, {MSG_FASTOPEN}, ("127.0.0.1", {v4.port})), flush=True)
            assert s.recv(100).startswith(b"HTTP/1.0 200")
            s.close()
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            print("sendmsg", s.sendmsg([req[:5], req[5:]], [], {MSG_FASTOPEN},
                                       ("::1", {v6.port})), flush=True)
            assert s.recv(100).startswith(b"HTTP/1.0 200")
            s.close()
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.sendto(req, {MSG_FASTOPEN}, ("127.0.0.1", {closed}))
                print("closed sent", flush=True)
            except OSError as e:
                print("closed", e.errno, flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    n = len(b"GET / HTTP/1.0\r\n\r\n")
    c.check(f"sendto {n}\nsendmsg {n}\nclosed 111\n".encode() == run.stdout,
            f"workload output {run.stdout!r}")
    for port, addr, family, ret, what in ((v4.port, "127.0.0.1", "inet", 0, "sendto"),
                                          (v6.port, "::1", "inet6", 0, "sendmsg"),
                                          (closed, "127.0.0.1", "inet", -111, "refused")):
        conn = c.one(run.lines, f"net_connect to port {port} ({what})", "net_connect",
                     dst_port=port)
        c.fields(conn, f"TFO {what}", dst_addr=addr, family=family, protocol="tcp", ret=ret,
                 comm="python3")
    c.check(len(run.select("net_connect")) == 3, "net_connect lines other than the 3 TFO ones",
            run.select("net_connect"))
    c.done()


class _NamedResponder(DNSResponder):
    """A queries for mN.example.test are answered with 127.0.0.(60+N)."""

    def addresses(self, name, qtype):
        if qtype == 1 and name.startswith("m") and name.endswith(".example.test"):
            return [socket.inet_pton(socket.AF_INET, f"127.0.0.{60 + int(name[1:-13])}")]
        return super().addresses(name, qtype)


# The workloads' imports, libc and iovec helpers.
_CTYPES = """
    import ctypes, socket, sys
    sys.path.insert(0, {here!r})
    from tracelib import dns_query
    from msgstructs import iovec, msghdr, mmsghdr
    libc = ctypes.CDLL(None, use_errno=True)
    def iovecs(sizes):
        bufs = [ctypes.create_string_buffer(n) for n in sizes]
        v = (iovec * len(sizes))(*[iovec(ctypes.addressof(b), n) for b, n in zip(bufs, sizes)])
        return v, bufs
    def connect_udp(addr):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.connect((addr, 9))
        u.close()
"""


def _workload(body):
    return textwrap.dedent(_CTYPES).format(here=str(tracelib.HERE)) + textwrap.dedent(body)


def _answers_named(c, run, names):
    """Each name's answer named the connect to its address that followed."""
    for i in names:
        addr = f"127.0.0.{60 + i}"
        conn = c.one(run.lines, f"net_connect to {addr}", "net_connect", dst_addr=addr)
        c.fields(conn, f"connect after the answer for m{i}", hostname=f"m{i}.example.test",
                 dst_port=9, protocol="udp")


def test_dns_recvmmsg():
    # Eight answers read by one recvmmsg(): each names the address it carried.
    with _NamedResponder() as dns:
        script = _workload(f"""
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(({dns.addr!r}, 53))
            for i in range(8):
                s.send(dns_query(f"m{{i}}.example.test", "A", 100 + i))
            msgs = (mmsghdr * 8)()
            keep = []
            for m in msgs:
                v, bufs = iovecs([512])
                keep.append((v, bufs))
                m.hdr.iov = v
                m.hdr.iovlen = 1
            # Blocking, no MSG_WAITFORONE, no timeout: returns once all 8 are in.
            n = libc.recvmmsg(s.fileno(), msgs, 8, 0, None)
            print("received", n, [m.len for m in msgs][:n], flush=True)
            for i in range(8):
                connect_udp(f"127.0.0.{{60 + i}}")
        """)
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout.startswith(b"received 8 "), f"workload output {run.stdout!r} "
            f"(responder saw {dns.queries})")
    _answers_named(c, run, range(8))
    c.done()


def test_dns_many_iovecs():
    # A query gathered from 12 iovecs (sendmsg) and its answer scattered over 16 (recvmsg):
    # the dns_query has the name, the answer names the next connect.
    with _NamedResponder() as dns:
        script = _workload(f"""
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(({dns.addr!r}, 53))
            q = dns_query("m3.example.test", "A", 77)
            pieces = [q[i:i + 3] for i in range(0, 30, 3)] + [q[30:32], q[32:]]
            assert len(pieces) == 12 and b"".join(pieces) == q and all(pieces)
            print("sent", s.sendmsg(pieces), len(q), flush=True)
            v, bufs = iovecs([3] * 15 + [512])
            m = msghdr()
            m.iov = v
            m.iovlen = 16
            n = libc.recvmsg(s.fileno(), ctypes.byref(m), 0)
            assert n > 45, n  # the answer reaches the 16th iovec
            print("received", n, flush=True)
            connect_udp("127.0.0.63")
        """)
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(b"received" in run.stdout, f"workload output {run.stdout!r} (responder saw "
            f"{dns.queries})")
    q = c.one(run.lines, "dns_query for m3.example.test", "dns_query",
              hostname="m3.example.test")
    c.fields(q, "query from 12 iovecs", qtype="A", dst_addr=dns.addr, dst_port=53,
             protocol="udp")
    _answers_named(c, run, [3])
    c.done()
