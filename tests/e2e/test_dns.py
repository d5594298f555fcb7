# SPDX-License-Identifier: GPL-2.0-only
"""
dns_query: queries to a loopback DNS server on port 53, sent by dig and by each of the
socket calls a resolver may use; net_connect.hostname from an earlier answer.
"""

import os
import shutil

import tracelib
from tracelib import ABSENT, Checks, DNSResponder, TCPServer


def _dig(dns, *extra):
    return ["dig", "+short", "+tries=1", "+time=2", *extra, f"@{dns.addr}"]


def test_dns_dig_udp():
    with DNSResponder() as dns:
        run = tracelib.run_tracerd(_dig(dns, "example.test", "A"))
    c = Checks(run)
    c.check(DNSResponder.A_ADDR.encode() in run.stdout,
            f"dig did not get the answer (responder saw {dns.queries}): {run.stdout!r}")
    dig = c.one(run.lines, "process_exec of dig", "process_exec",
                args=lambda a: a[:1] == ["dig"])
    q = c.one(run.lines, "dns_query for example.test", "dns_query", hostname="example.test")
    c.fields(q, "dig's query", qtype="A", dst_addr=dns.addr, dst_port=53, protocol="udp",
             exec_id=dig["exec_id"] if dig else None)
    conns = c.some(run.lines, f"net_connect to {dns.addr}:53", "net_connect", dst_port=53)
    for conn in conns:
        c.fields(conn, "dig's UDP net_connect", dst_addr=dns.addr, protocol="udp",
                 family="inet", ret=0)
    c.done()


def test_dns_dig_tcp():
    with DNSResponder() as dns:
        run = tracelib.run_tracerd(_dig(dns, "+tcp", "tcp.example.test", "AAAA"))
    c = Checks(run)
    c.check(DNSResponder.AAAA_ADDR.encode() in run.stdout,
            f"dig did not get the answer (responder saw {dns.queries}): {run.stdout!r}")
    q = c.one(run.lines, "dns_query for tcp.example.test", "dns_query",
              hostname="tcp.example.test")
    c.fields(q, "dig +tcp query", qtype="AAAA", dst_addr=dns.addr, dst_port=53, protocol="tcp")
    conn = c.one(run.lines, f"net_connect to {dns.addr}:53", "net_connect", dst_port=53)
    c.fields(conn, "dig +tcp connect", dst_addr=dns.addr, protocol="tcp", family="inet",
             ret=lambda r: r in (0, -115))
    c.done()


def test_dns_python_socket_calls():
    # sendto (AAAA), sendmsg (TXT) and send() on a connected socket (A with EDNS, then a
    # private qtype shown as TYPE65280, RFC 3597).
    with DNSResponder() as dns:
        script = f"""
            import socket
            import sys
            sys.path.insert(0, {str(tracelib.HERE)!r})
            from tracelib import dns_query
            dst = ({dns.addr!r}, 53)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            s.sendto(dns_query("example.test", "AAAA", 1), dst)
            s.recvfrom(512)
            s.sendmsg([dns_query("sendmsg.example.test", "TXT", 2)], [], 0, dst)
            s.recvfrom(512)
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.settimeout(5)
            c.connect(dst)
            c.send(dns_query("connected.example.test.", "A", 3, edns=True))
            c.recv(512)
            c.send(dns_query("private.example.test", 65280, 4))
            c.recv(512)
            print("done", flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"done\n", f"workload failed (responder saw {dns.queries}): "
            f"{run.stdout!r}")
    for name, qtype, how in (("example.test", "AAAA", "sendto"),
                             ("sendmsg.example.test", "TXT", "sendmsg"),
                             ("connected.example.test", "A", "connected send"),
                             ("private.example.test", "TYPE65280", "unknown qtype")):
        q = c.one(run.lines, f"dns_query for {name} ({how})", "dns_query", hostname=name)
        c.fields(q, f"{how} query", qtype=qtype, dst_addr=dns.addr, dst_port=53,
                 protocol="udp", comm="python3")
    conns = run.select("net_connect", dst_port=53)
    c.check(len(conns) == 2, f"expected 2 UDP net_connect lines to {dns.addr}:53 (first "
            f"datagram of the unconnected socket, connect() of the other), got {len(conns)}",
            conns)
    for conn in conns:
        c.fields(conn, "UDP net_connect", dst_addr=dns.addr, protocol="udp", family="inet",
                 ret=0)
    c.done()


def test_dns_answer_names_connect():
    # A lookup answered with A_ADDR, then a connect to A_ADDR: net_connect.hostname.
    with DNSResponder() as dns, TCPServer(DNSResponder.A_ADDR) as srv, \
            TCPServer("127.0.0.1") as plain:
        script = f"""
            import socket
            import sys
            sys.path.insert(0, {str(tracelib.HERE)!r})
            from tracelib import dns_query
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            s.sendto(dns_query("named.example.test", "A", 7), ({dns.addr!r}, 53))
            s.recvfrom(512)
            for addr, port in (({DNSResponder.A_ADDR!r}, {srv.port}), ("127.0.0.1", {plain.port})):
                t = socket.create_connection((addr, port))  # blocking: connect() returns 0
                t.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
                t.recv(100)
                t.close()
            print("done", flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"done\n", f"workload failed: {run.stdout!r}")
    c.one(run.lines, "dns_query for named.example.test", "dns_query",
          hostname="named.example.test")
    named = c.one(run.lines, f"net_connect to {DNSResponder.A_ADDR}:{srv.port}",
                  "net_connect", dst_port=srv.port)
    c.fields(named, "connect to the looked-up address", dst_addr=DNSResponder.A_ADDR,
             hostname="named.example.test", ret=0, protocol="tcp")
    other = c.one(run.lines, f"net_connect to 127.0.0.1:{plain.port}", "net_connect",
                  dst_port=plain.port)
    c.fields(other, "connect to an address no answer named", hostname=ABSENT)
    c.done()


def test_dns_sendmmsg():
    # glibc's resolver sends its A and AAAA queries in one sendmmsg() on a connected socket.
    with DNSResponder() as dns:
        script = f"""
            import ctypes, socket, sys
            sys.path.insert(0, {str(tracelib.HERE)!r})
            from tracelib import dns_query
            from msgstructs import iovec_of, mmsghdr
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(5)
            s.connect(({dns.addr!r}, 53))
            qs = [dns_query("mmsg.example.test", "A", 11),
                  dns_query("mmsg.example.test", "AAAA", 12)]
            iovs = [iovec_of(q) for q in qs]
            msgs = (mmsghdr * 2)()
            for m, v in zip(msgs, iovs):
                m.hdr.iov = ctypes.pointer(v)
                m.hdr.iovlen = 1
            libc = ctypes.CDLL(None, use_errno=True)
            n = libc.sendmmsg(s.fileno(), msgs, 2, 0)
            assert n == 2, (n, ctypes.get_errno())
            s.recv(512)
            s.recv(512)
            print("done", flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"done\n", f"workload failed (responder saw {dns.queries}): "
            f"{run.stdout!r}")
    for qtype in ("A", "AAAA"):
        q = c.one(run.lines, f"dns_query mmsg.example.test {qtype}", "dns_query",
                  hostname="mmsg.example.test", qtype=qtype)
        c.fields(q, f"sendmmsg {qtype} query", dst_addr=dns.addr, dst_port=53, protocol="udp")
    c.done()


def test_dns_getaddrinfo_then_curl():
    # The real thing: glibc's resolver (getent, curl) using our server through a private
    # /etc/resolv.conf (bind-mounted in a mount namespace), then curl connecting to the
    # address it got: net_connect.hostname names it.
    if not shutil.which("unshare"):
        raise tracelib.Skip("unshare (util-linux) is missing")
    d = tracelib.tmpdir()
    with DNSResponder() as dns, TCPServer(DNSResponder.A_ADDR) as srv:
        conf = os.path.join(d, "resolv.conf")
        with open(conf, "w") as f:
            f.write(f"nameserver {dns.addr}\noptions timeout:2 attempts:1\n")
        host = "www.resolved.example.test"
        script = (f"mount --bind {conf} /etc/resolv.conf && getent ahostsv4 {host} && "
                  f"curl -s --noproxy '*' --max-time 10 -4 http://{host}:{srv.port}/")
        run = tracelib.run_tracerd(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                    script], expect_rc=None)
    c = Checks(run)
    c.check(run.returncode == 0 and run.stdout.endswith(b"ok\n"),
            f"workload failed (exit {run.returncode}, responder saw {dns.queries}): "
            f"{run.stdout!r}")
    getent = c.one(run.lines, "process_exec of getent", "process_exec",
                   args=lambda a: a[:1] == ["getent"])
    qs = c.some(run.lines, f"dns_query for {host}", "dns_query", hostname=host)
    if getent:
        c.check(any(q["exec_id"] == getent["exec_id"] for q in qs),
                "no dns_query from getent", qs)
    for q in qs:
        c.fields(q, "resolver query", dst_addr=dns.addr, dst_port=53, protocol="udp",
                 qtype=lambda t: t in ("A", "AAAA"))
    conn = c.one(run.lines, f"net_connect to port {srv.port}", "net_connect", dst_port=srv.port)
    c.fields(conn, "curl's connect to the resolved address", dst_addr=DNSResponder.A_ADDR,
             hostname=host, protocol="tcp")
    c.done()
