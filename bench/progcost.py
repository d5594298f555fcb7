#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""
The kernel side's cost per program run, independent of wall-clock noise: starts ./tracerd
in daemon mode, turns on the kernel's BPF run-time statistics, drives a fixed load, and
prints each tracerd program's runs and mean nanoseconds per run (bpftool's run_time_ns /
run_cnt), and tracerd's ready time (start to pid file: load, verify, attach).

    bench/progcost.py [--tracerd PATH] [--rounds N]

The load, per round: a paced openat+close storm (bench/storm, 50k/s for 2 s), an exec
storm (1 s), 200k getppid() calls (syscalls tracerd does not record: sys_exit's fast
path) and 20k 64-byte write()s to one file. Other processes' syscalls count too: compare
figures taken on an equally busy machine. Needs root; build/bench/storm must exist
(make -f bench/bench.mk).
"""

import argparse
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
STORM = REPO / "build" / "bench" / "storm"
STATS = "/proc/sys/kernel/bpf_stats_enabled"


def tracerd_start(tracerd, tmp):
    pid_file = tmp / "pid"
    start = time.monotonic()
    proc = subprocess.Popen([tracerd, "--job-id", "progcost", "--out", str(tmp / "t.jsonl.gz"),
                             "--force", "--pid-file", str(pid_file)])
    while not pid_file.exists():
        if proc.poll() is not None or time.monotonic() - start > 30:
            sys.exit("progcost: tracerd did not start")
        time.sleep(0.002)
    return proc, time.monotonic() - start


def progs_of(pid):
    """tracerd's programs: those its fds hold (/proc/PID/fdinfo names their ids)."""
    ids = set()
    for info in pathlib.Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            text = info.read_text()
        except FileNotFoundError:
            continue  # an fd closed since the listing
        m = re.search(r"^prog_id:\s*(\d+)", text, re.M)
        if m:
            ids.add(int(m.group(1)))
    out = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
    return {p["name"]: p for p in out if p["id"] in ids}


def load(tmp):
    target = tmp / "f"
    target.write_bytes(b"x")
    subprocess.run([STORM, "open", "--file", str(target), "--rate", "50000", "--duration", "2"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([STORM, "exec", "--duration", "1"], check=True, stdout=subprocess.DEVNULL)
    for _ in range(200000):
        os.getppid()
    fd = os.open(tmp / "w", os.O_WRONLY | os.O_CREAT, 0o600)
    for _ in range(20000):
        os.write(fd, b"y" * 64)
    os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracerd", default=str(REPO / "tracerd"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    was = pathlib.Path(STATS).read_text().strip()
    pathlib.Path(STATS).write_text("1")
    totals = {}
    ready = []
    try:
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as d:
                tmp = pathlib.Path(d)
                proc, ready_s = tracerd_start(args.tracerd, tmp)
                ready.append(ready_s)
                try:
                    before = progs_of(proc.pid)
                    load(tmp)
                    after = progs_of(proc.pid)
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait()
            for name, p in after.items():
                b = before.get(name, {})
                t = totals.setdefault(name, [0, 0])
                t[0] += p.get("run_cnt", 0) - b.get("run_cnt", 0)
                t[1] += p.get("run_time_ns", 0) - b.get("run_time_ns", 0)
    finally:
        pathlib.Path(STATS).write_text(was)
    for name, (cnt, ns) in sorted(totals.items()):
        print(f"{name:24} runs {cnt:>10}  ns/run {ns / cnt if cnt else 0:8.1f}")
    ready.sort()
    print(f"ready s: median {ready[len(ready) // 2]:.3f}  min {ready[0]:.3f}")


if __name__ == "__main__":
    main()
