# SPDX-License-Identifier: GPL-2.0-only
"""net_listen and net_accept: TCP listen() over IPv4 and IPv6, UDP bind(), accept()/accept4()."""

import json
import socket

import tracelib
from tracelib import Checks

# The workload prints what it did as JSON: the ports the kernel chose, the clients' own
# ports, the fds accept returned. The trace must say the same.
_SERVER_SCRIPT = """
    import ctypes, errno, json, socket
    libc = ctypes.CDLL(None, use_errno=True)
    did = {}

    # TCP/IPv4: bind to an ephemeral port, listen; a client connects; accept4() (Python's
    # accept) returns the connection.
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    did["tcp4_port"] = srv.getsockname()[1]
    cli = socket.create_connection(("127.0.0.1", did["tcp4_port"]))
    conn, peer = srv.accept()
    did["tcp4_client_port"] = cli.getsockname()[1]
    did["tcp4_peer"] = list(peer)
    did["tcp4_fd"] = conn.fileno()

    # TCP/IPv6 on ::1, the connection taken by plain accept(2) (glibc's accept()).
    srv6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv6.bind(("::1", 0))
    srv6.listen(1)
    did["tcp6_port"] = srv6.getsockname()[1]
    cli6 = socket.create_connection(("::1", did["tcp6_port"]))
    fd = libc.accept(srv6.fileno(), None, None)
    did["tcp6_fd"] = fd
    did["tcp6_client_port"] = cli6.getsockname()[1]

    # listen() on a never-bound socket: the kernel binds it to an ephemeral port on any.
    auto = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    auto.listen(1)
    did["auto_port"] = auto.getsockname()[1]

    # TCP bind() without listen(): a client choosing its source port, not a listener.
    tb = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tb.bind(("127.0.0.1", 0))
    did["tcp_bound_port"] = tb.getsockname()[1]

    # UDP bound to a port: a listener. The same port again: EADDRINUSE, reported.
    # UDP bound to port 0: ephemeral, what a client does: not reported.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", UDP_PORT))
    u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u2.bind(("127.0.0.1", UDP_PORT))
        did["udp_again"] = 0
    except OSError as e:
        did["udp_again"] = -e.errno
    u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u6.bind(("::", UDP6_PORT))
    eph = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    eph.bind(("127.0.0.1", 0))
    did["udp_ephemeral_port"] = eph.getsockname()[1]
    print(json.dumps(did), flush=True)
"""


def test_listen_and_accept():
    udp_port = tracelib.free_port(kind=socket.SOCK_DGRAM)
    udp6_port = tracelib.free_port(socket.AF_INET6, "::", socket.SOCK_DGRAM)
    script = (_SERVER_SCRIPT.replace("UDP_PORT", str(udp_port))
              .replace("UDP6_PORT", str(udp6_port)))
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    did = json.loads(run.stdout.decode().strip().splitlines()[-1])
    c.check(did["udp_again"] == -98, f"the second UDP bind should fail EADDRINUSE: {did}")
    c.check(did["tcp6_fd"] >= 0, f"accept(2) on ::1 failed: {did}")
    ex = c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    if ex is None:
        c.done()
    who = dict(pid=ex["pid"], exec_id=ex["exec_id"], comm="python3")
    mine = tracelib.select(run.lines, pid=ex["pid"])

    listens = tracelib.select(mine, "net_listen")
    c.check(len(listens) == 6, f"expected 6 net_listen lines (3 TCP, 3 UDP), got {len(listens)}",
            listens)
    ln = c.one(mine, "net_listen of TCP/IPv4", "net_listen", port=did["tcp4_port"])
    c.fields(ln, "TCP/IPv4 listen", addr="127.0.0.1", protocol="tcp", family="inet", ret=0, **who)
    ln6 = c.one(mine, "net_listen of TCP/IPv6", "net_listen", port=did["tcp6_port"])
    c.fields(ln6, "TCP/IPv6 listen", addr="::1", protocol="tcp", family="inet6", ret=0, **who)
    auto = c.one(mine, "net_listen of the unbound socket", "net_listen", port=did["auto_port"])
    c.fields(auto, "autobound listen", addr="0.0.0.0", protocol="tcp", family="inet", ret=0)
    c.check(not tracelib.select(mine, "net_listen", port=did["tcp_bound_port"]),
            "a TCP bind() without listen() is not a listener", mine)
    c.check(not tracelib.select(mine, "net_listen", port=did["udp_ephemeral_port"]),
            "a UDP bind() to port 0 is not a listener", mine)
    udp = select_sorted(mine, "net_listen", port=udp_port)
    c.check([u["ret"] for u in udp] == [0, -98],
            f"UDP binds of port {udp_port}: want ret 0 then -98", udp)
    for u in udp:
        c.fields(u, "UDP bind", addr="127.0.0.1", protocol="udp", family="inet", **who)
    u6 = c.one(mine, "net_listen of UDP/IPv6", "net_listen", port=udp6_port)
    c.fields(u6, "UDP/IPv6 bind", addr="::", protocol="udp", family="inet6", ret=0)

    accepts = tracelib.select(mine, "net_accept")
    c.check(len(accepts) == 2, f"expected 2 net_accept lines, got {len(accepts)}", accepts)
    a4 = c.one(mine, "net_accept on IPv4", "net_accept", port=did["tcp4_port"])
    c.fields(a4, "accept4 on IPv4", addr="127.0.0.1", peer_addr=did["tcp4_peer"][0],
             peer_port=did["tcp4_client_port"], protocol="tcp", family="inet",
             ret=did["tcp4_fd"], **who)
    c.check(did["tcp4_peer"][1] == did["tcp4_client_port"], f"accept's peer: {did}")
    a6 = c.one(mine, "net_accept on IPv6", "net_accept", port=did["tcp6_port"])
    c.fields(a6, "accept on IPv6", addr="::1", peer_addr="::1",
             peer_port=did["tcp6_client_port"], protocol="tcp", family="inet6",
             ret=did["tcp6_fd"], **who)
    c.done()


def select_sorted(lines, type, **match):
    return sorted(tracelib.select(lines, type, **match), key=lambda o: o["timestamp"])
