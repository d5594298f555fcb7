# SPDX-License-Identifier: GPL-2.0-only
"""
io_uring: a workload on raw io_uring syscalls (io_uring_workload.c, no liburing) opens,
writes and closes a file, fails an open, connects over TCP and sends DNS queries with
IORING_OP_SENDMSG and IORING_OP_SEND, then opens and writes a file through an SQPOLL ring.
Each becomes the line its syscall would give, marked "via": "io_uring", with the values the
workload reports; every io_uring_setup is a line, the refused one too. On kernels whose
tracepoints do not pass the request (before 6.0) only the setup lines are expected, saying
ops_traced false.
"""

import json
import os
import platform
import subprocess

import tracelib
from tracelib import ABSENT, Checks, DNSResponder, TCPServer

HERE = os.path.dirname(os.path.abspath(__file__))


def _workload():
    if not os.path.exists("/usr/bin/gcc"):
        raise tracelib.Skip("gcc is missing: the io_uring workload is built here")
    out = os.path.join(tracelib.tmpdir("-bin"), "io_uring_workload")
    p = subprocess.run(["/usr/bin/gcc", "-O1", "-Wall", "-Werror", "-o", out,
                        os.path.join(HERE, "io_uring_workload.c")], capture_output=True,
                       timeout=60)
    if p.returncode != 0:
        raise AssertionError("building io_uring_workload failed:\n" + p.stderr.decode())
    return out


def _ops_traced():
    """io_uring_submit_req, which passes the request, came with 6.0."""
    major, minor = (int(x) for x in platform.release().split(".")[:2])
    return (major, minor) >= (6, 0)


def test_io_uring_requests():
    binary = _workload()
    work = tracelib.tmpdir("-work")
    with DNSResponder() as dns, TCPServer() as srv:
        run = tracelib.run_tracerd([binary, work, dns.addr, str(srv.port)])
    c = Checks(run)
    did = json.loads(run.stdout.decode().strip().splitlines()[-1])
    c.check(did["bad_setup"] == -22 and did["close"] == 0 and did["sq_close"] == 0 and
            did["missing"] == -2 and did["connect"] == 0 and did["bytes"] == 35 and
            did["sq_bytes"] == 35 and did["sendmsg"] > 0 and did["send"] > 0,
            f"the workload's requests did not all do what they should: {did}")
    names = {q[1] for q in dns.queries}
    c.check({"uring-sendmsg.tracerd.test", "uring-send.tracerd.test"} <= names,
            f"the responder did not get both queries: {dns.queries}")
    ex = c.one(run.lines, "process_exec of the workload", "process_exec", filename=binary)
    if ex is None:
        c.done()
    who = dict(pid=did["pid"], exec_id=ex["exec_id"])
    mine = tracelib.select(run.lines, pid=did["pid"])
    traced = _ops_traced()

    # Every ring set up is a line, the one refused (0 entries) too.
    setups = tracelib.select(mine, "io_uring_setup")
    c.check(len(setups) == 3, f"expected 3 io_uring_setup lines, got {len(setups)}", setups)
    bad = c.one(mine, "the refused io_uring_setup", "io_uring_setup", ret=-22)
    c.fields(bad, "refused setup", entries=0, setup_flags=ABSENT, sqpoll=ABSENT,
             sq_entries=ABSENT, cq_entries=ABSENT, ops_traced=traced, comm="io_uring_worklo",
             **who)
    ring = c.one(mine, "the plain ring's setup", "io_uring_setup", ret=did["ring_fd"])
    c.fields(ring, "plain setup", entries=8, setup_flags=ABSENT, sqpoll=ABSENT, sq_entries=8,
             cq_entries=16, ops_traced=traced, **who)
    sq = c.one(mine, "the SQPOLL ring's setup", "io_uring_setup", ret=did["sqpoll_fd"])
    c.fields(sq, "SQPOLL setup", entries=8, setup_flags="IORING_SETUP_SQPOLL", sqpoll=True,
             sq_entries=8, cq_entries=16, ops_traced=traced, **who)

    via = [o for o in run.lines if o.get("via") == "io_uring"]
    if not traced:
        c.check(not via, "no via io_uring lines where the requests are not traced", via)
        c.done()
        return
    c.check(all(o["pid"] == did["pid"] for o in via),
            "io_uring lines name the ring's process", via)

    path = os.path.join(work, "uring-file.txt")
    op = c.one(mine, f"file_open of {path}", "file_open", path=path)
    c.fields(op, "io_uring open", flags="O_WRONLY|O_CREAT|O_TRUNC", ret=did["open"],
             via="io_uring", **who)
    wr = c.one(mine, f"file_write of {path}", "file_write", path=path)
    c.fields(wr, "io_uring writes", bytes=did["bytes"], writes=2, via="io_uring", **who)
    # IORING_OP_CLOSE sends the totals, before the workload's next open.
    marker = c.one(mine, "file_open of the marker", "file_open",
                   path=os.path.join(work, "after-close.txt"))
    c.fields(marker, "syscall open", via=ABSENT)
    if wr and marker:
        c.check(wr["timestamp"] < marker["timestamp"],
                "the file_write line comes at the io_uring close", [wr, marker])

    missing = os.path.join(work, "no-such-dir/file")
    miss = c.one(mine, f"failed file_open of {missing}", "file_open", path=missing)
    c.fields(miss, "failed io_uring open", flags="O_RDONLY", ret=-2, via="io_uring",
             cwd=work, **who)

    conn = c.one(mine, f"net_connect to port {srv.port}", "net_connect", dst_port=srv.port)
    c.fields(conn, "io_uring connect", dst_addr="127.0.0.1", protocol="tcp", family="inet",
             ret=0, via="io_uring", **who)

    for name in ("uring-sendmsg.tracerd.test", "uring-send.tracerd.test"):
        q = c.one(mine, f"dns_query for {name}", "dns_query", hostname=name)
        c.fields(q, f"io_uring query {name}", qtype="A", dst_addr=dns.addr, dst_port=53,
                 protocol="udp", via="io_uring", **who)
    # sendmsg named the destination on an unconnected socket: its first datagram there.
    udp = c.some(mine, f"net_connect to {dns.addr}:53", "net_connect", dst_port=53,
                 dst_addr=dns.addr)
    c.check(sum(o.get("via") == "io_uring" for o in udp) == 1,
            "one first-datagram net_connect via io_uring (sendmsg's)", udp)

    # The SQPOLL ring: its kernel thread (iou-sqp-PID) submits, in the same process.
    sq_path = os.path.join(work, "uring-sqpoll.txt")
    sop = c.one(mine, f"file_open of {sq_path}", "file_open", path=sq_path)
    c.fields(sop, "SQPOLL open", flags="O_WRONLY|O_CREAT|O_TRUNC", ret=did["sq_open"],
             via="io_uring", **who)
    swr = c.one(mine, f"file_write of {sq_path}", "file_write", path=sq_path)
    c.fields(swr, "SQPOLL writes", bytes=did["sq_bytes"], writes=2, via="io_uring", **who)
    c.done()
