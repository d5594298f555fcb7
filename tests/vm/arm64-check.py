#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Checks the arm64 smoke guest's results (tests/vm/arm64-smoke.sh).

Usage: arm64-check.py SHARE

SHARE holds what the guest left: status (tracerd's exit status: the workload's), tracerd.log,
machine (uname -m), trace.jsonl.gz. The trace must pass every check of the e2e suite
(tests/e2e/tracelib.py: each line against schemas/, trace_start first, trace_end last with
counts that match the file) and hold, with their exact values, what arm64-workload did:
its own exec and its child's, the file it opened (by a relative name, after a chdir), its
line on stdout, the DNS query, the TCP connect (named after the DNS answer). The values are the ones arm64-init.sh passes to the workload.
The workload's exe_sha256 must be the host's SHA-256 of the file, and the guest CPU's
features (cpu-features) hold sha2: the hasher's SHA-256 ran on those instructions
(src/sha256.c).
"""
import hashlib
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import tracelib  # noqa: E402

JOB = "arm64-smoke"
EXE = "/smoke/arm64-workload"
DIR = "/tmp/arm64-smoke"
FILE = DIR + "/known-file.txt"
STDOUT = "arm64-workload: exec, open, dns, connect done\n"
PORT = 18443
HOSTNAME = "arm64-smoke.tracerd.test"


def expect(problems, what, found):
    if not found:
        problems.append(f"no {what}")
    return found


def check(share):
    problems = []
    status = (share / "status").read_text().strip()
    machine = (share / "machine").read_text().strip()
    if machine != "aarch64":
        problems.append(f"the guest is {machine}, not aarch64")
    if status != "0":
        log = (share / "tracerd.log").read_text(errors="replace")
        problems.append(f"tracerd (the workload) exited with status {status}:\n{log}")
    lines = tracelib.read_trace_file(share / "trace.jsonl.gz")
    problems += tracelib.trace_problems(lines, JOB)
    sel = tracelib.select
    main = expect(problems, f"process_exec of {EXE} with its arguments",
                  sel(lines, "process_exec", exe=EXE, filename=EXE, cwd="/tmp",
                      args=[EXE, FILE, str(PORT), HOSTNAME]))
    if "sha2" not in (share / "cpu-features").read_text().split():
        problems.append("the guest CPU has no sha2: the hash did not run on its instructions")
    if main:
        sha = hashlib.sha256((share / "arm64-workload").read_bytes()).hexdigest()
        expect(problems, f"exe_sha256 {sha} (the host's) on the workload's exec "
               f"(it has {main[0].get('exe_sha256') or main[0].get('exe_hash_missing')})",
               sel(lines, "process_exec", exe=EXE, args=main[0]["args"], exe_sha256=sha))
        main_id = main[0]["exec_id"]
        pid = main[0]["pid"]
        expect(problems, "process_exec of the child",
               sel(lines, "process_exec", exe=EXE, args=[EXE, "child", "exec-marker"],
                   ppid=pid, parent_exec_id=main_id))
        # Opened by its relative name after a chdir(): the path is resolved from the cwd
        # tracerd learnt from that chdir.
        expect(problems, f"file_open of {FILE} in {DIR}",
               sel(lines, "file_open", path=FILE, flags="O_RDONLY", exec_id=main_id,
                   cwd=DIR, ret=lambda r: r >= 0))
        expect(problems, f"file_write of the workload's {len(STDOUT)}-byte line",
               sel(lines, "file_write", path="/smoke/tracerd.log", bytes=len(STDOUT),
                   writes=1, exec_id=main_id))
        expect(problems, f"dns_query for {HOSTNAME}",
               sel(lines, "dns_query", hostname=HOSTNAME, qtype="A", dst_addr="127.0.0.1",
                   dst_port=53, protocol="udp", exec_id=main_id))
        # The hostname comes from the DNS answer the workload received (recvfrom).
        expect(problems, f"net_connect to 127.0.0.77:{PORT} named {HOSTNAME}",
               sel(lines, "net_connect", dst_addr="127.0.0.77", dst_port=PORT,
                   protocol="tcp", family="inet", ret=0, exec_id=main_id,
                   hostname=HOSTNAME))
        expect(problems, "process_exit of the workload with code 0",
               sel(lines, "process_exit", exec_id=main_id, exit_code=0))
    end = sel(lines, "trace_end")
    if end and end[-1].get("lost") != 0:
        problems.append(f"trace_end.lost is {end[-1].get('lost')}, not 0")
    counts = {}
    for o in lines:
        counts[o["type"]] = counts.get(o["type"], 0) + 1
    print(f"arm64-check: {len(lines)} lines: " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: arm64-check.py SHARE")
    try:
        problems = check(pathlib.Path(sys.argv[1]))
    except (AssertionError, OSError) as e:
        problems = [str(e)]
    for p in problems:
        print(f"arm64-check: FAIL: {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
