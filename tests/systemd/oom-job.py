#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""
A CI job that runs the machine out of memory the way a parallel build does: many workers,
each smaller than the tracer, started one after another until the kernel's OOM killer
steps in. Without tracerd's OOMScoreAdjust=-900 the tracer would be the largest process
and the OOM killer's first victim; with it, a worker must go.

usage: oom-job.py PIDFILE WORKER_MIB

Writes each worker's pid to PIDFILE as it starts. Workers name themselves oomjob-worker
(the kernel's "Killed process N (oomjob-worker)"), write every page they allocate and
then sleep. Once one is killed it starts no more and waits for systemd to stop the unit
(OOMPolicy=stop); exits 3 if that does not happen within two minutes.
"""

import os
import sys
import time


def worker(mib):
    with open("/proc/self/comm", "w") as f:
        f.write("oomjob-worker")
    hog = []
    for _ in range(mib):
        hog.append(bytearray(b"\x01") * (1 << 20))
    while True:
        time.sleep(60)


def main():
    pidfile, mib = sys.argv[1], int(sys.argv[2])
    with open(pidfile, "w") as out:
        while True:
            pid = os.fork()
            if pid == 0:
                worker(mib)
                os._exit(0)
            out.write(f"{pid}\n")
            out.flush()
            # One worker filling at a time: memory runs out inside one worker's growth.
            done, status = os.waitpid(pid, os.WNOHANG)
            while done == 0 and _rss_mib(pid) < mib:
                time.sleep(0.1)
                done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                # The OOM killer has acted: systemd now stops the unit (OOMPolicy=stop).
                print(f"worker {pid} ended with status {status:#x}", flush=True)
                time.sleep(120)
                sys.exit(3)


def _rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    main()
