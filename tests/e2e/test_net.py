# SPDX-License-Identifier: GPL-2.0-only
"""net_connect: TCP over IPv4, IPv6 and IPv4-mapped IPv6, failures, and UDP datagrams."""

import os
import socket

import tracelib
from tracelib import ABSENT, Checks, TCPServer


def _connect_script(family, addr, port, blocking=True):
    # A truly blocking socket: Python's settimeout() would make connect() non-blocking
    # in the kernel (EINPROGRESS, then poll).
    return f"""
        import socket
        s = socket.socket(socket.{family}, socket.SOCK_STREAM)
        s.setblocking({blocking})
        err = s.connect_ex(({addr!r}, {port}))
        print("connect", err, flush=True)
        if err == 0:
            s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
            assert s.recv(100).startswith(b"HTTP/1.0 200")
        s.close()
    """


def _python_exec(c, run):
    return c.one(run.lines, "process_exec of python3", "process_exec",
                 filename=tracelib.PYTHON)


def _tcp_case(family, connect_addr, server_addr, want_addr, want_family):
    with TCPServer(server_addr) as srv:
        run = tracelib.run_tracerd(tracelib.py(_connect_script(family, connect_addr, srv.port)))
    c = Checks(run)
    c.check(b"connect 0" in run.stdout, f"the workload's connect failed: {run.stdout!r}")
    ex = _python_exec(c, run)
    conn = c.one(run.lines, f"net_connect to port {srv.port}", "net_connect", dst_port=srv.port)
    if conn and ex:
        c.fields(conn, "net_connect", dst_addr=want_addr, protocol="tcp", family=want_family,
                 ret=0, pid=ex["pid"], exec_id=ex["exec_id"], comm="python3", uid=0,
                 hostname=ABSENT)
    c.done()


def test_tcp_connect_ipv4():
    _tcp_case("AF_INET", "127.0.0.1", "127.0.0.1", "127.0.0.1", "inet")


def test_tcp_connect_ipv6():
    _tcp_case("AF_INET6", "::1", "::1", "::1", "inet6")


def test_tcp_connect_ipv4_mapped():
    # An AF_INET6 socket connecting to ::ffff:127.0.0.1 reaches the IPv4 listener.
    _tcp_case("AF_INET6", "::ffff:127.0.0.1", "127.0.0.1", "127.0.0.1", "inet6")


def test_tcp_connect_refused_and_in_progress():
    closed = tracelib.free_port()
    with TCPServer("127.0.0.1") as srv:
        script = (_connect_script("AF_INET", "127.0.0.1", closed)
                  + _connect_script("AF_INET", "127.0.0.1", srv.port, blocking=False))
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(b"connect 111" in run.stdout and b"connect 115" in run.stdout,
            f"workload did not see ECONNREFUSED then EINPROGRESS: {run.stdout!r}")
    refused = c.one(run.lines, f"net_connect to closed port {closed}", "net_connect",
                    dst_port=closed)
    c.fields(refused, "refused connect", ret=-111, dst_addr="127.0.0.1", protocol="tcp",
             family="inet")
    pending = c.one(run.lines, f"net_connect to port {srv.port}", "net_connect",
                    dst_port=srv.port)
    c.fields(pending, "non-blocking connect", ret=-115, dst_addr="127.0.0.1", protocol="tcp")
    c.done()


def test_curl_ipv6():
    with TCPServer("::1") as srv:
        run = tracelib.run_tracerd(["curl", "-s", "-g", "--noproxy", "*", "--max-time", "10",
                                    f"http://[::1]:{srv.port}/"])
    c = Checks(run)
    c.check(run.stdout == b"ok\n", f"curl did not get the page: {run.stdout!r}")
    ex = c.one(run.lines, "process_exec of curl", "process_exec", args=lambda a: a[:1] == ["curl"])
    conns = c.some(run.lines, f"net_connect to [::1]:{srv.port}", "net_connect",
                   dst_port=srv.port)
    for conn in conns:
        c.fields(conn, "curl's connect", dst_addr="::1", family="inet6", protocol="tcp",
                 ret=lambda r: r in (0, -115), pid=ex["pid"] if ex else None)
    c.done()


def test_udp_first_datagram_per_destination():
    # Unconnected UDP: one net_connect per process and destination, whatever the number of
    # datagrams; a forked child is another process. A connect()ed UDP socket: one line for
    # the connect(), none for its sends.
    # Every destination has a bound socket: no ICMP port unreachable, no ECONNREFUSED.
    sinks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
    sinks.append(socket.socket(socket.AF_INET6, socket.SOCK_DGRAM))
    for s in sinks[:3]:
        s.bind(("127.0.0.1", 0))
    sinks[3].bind(("::1", 0))
    p4, other, conn_port, p6 = (s.getsockname()[1] for s in sinks)
    try:
        script = f"""
            import os, socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for _ in range(3):
                s.sendto(b"x", ("127.0.0.1", {p4}))
            for _ in range(2):
                s.sendto(b"y", ("127.0.0.1", {other}))
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s6.sendto(b"z", ("::1", {p6}))
            s6.sendto(b"z", ("::1", {p6}))
            pid = os.fork()
            if pid == 0:
                s.sendto(b"c", ("127.0.0.1", {p4}))
                s.sendto(b"c", ("127.0.0.1", {p4}))
                os._exit(0)
            os.waitpid(pid, 0)
            cs = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            cs.connect(("127.0.0.1", {conn_port}))
            for _ in range(3):
                cs.send(b"w")
            print("child", pid, flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    finally:
        for s in sinks:
            s.close()
    c = Checks(run)
    ex = _python_exec(c, run)
    try:
        child = int(run.stdout.split()[-1])
    except (ValueError, IndexError):
        child = None
        c.check(False, f"workload output unexpected: {run.stdout!r}")
    if ex:
        parent = ex["pid"]
        for port, addr, fam, pid, what in ((p4, "127.0.0.1", "inet", parent, "parent to p4"),
                                           (other, "127.0.0.1", "inet", parent, "parent to other"),
                                           (p6, "::1", "inet6", parent, "parent to p6"),
                                           (p4, "127.0.0.1", "inet", child, "child to p4"),
                                           (conn_port, "127.0.0.1", "inet", parent,
                                            "connected socket")):
            line = c.one(run.lines, f"net_connect {what} (port {port}, pid {pid})",
                         "net_connect", dst_port=port, pid=pid)
            c.fields(line, what, dst_addr=addr, family=fam, protocol="udp", ret=0)
        c.check(not run.select("net_connect", dst_port=p6, pid=child),
                "the child sent nothing to p6 but has a net_connect for it")
    c.done()


def test_unix_socket_connect_not_reported():
    # net_connect is for inet/inet6 sockets: a connect() on an AF_UNIX socket is not one.
    d = tracelib.tmpdir()
    path = os.path.join(d, "sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    try:
        script = f"""
            import socket
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect({path!r})
            u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                u.sendto(b"x", {path + "-none"!r})
            except OSError:
                pass
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    finally:
        srv.close()
    c = Checks(run)
    c.check(not run.select("net_connect"), "net_connect lines for AF_UNIX sockets",
            run.select("net_connect"))
    c.done()
