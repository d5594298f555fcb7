#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""
Checks the trace that tracerd@JOB left under /var/lib/tracerd after `systemctl stop` in the
systemd test guest (tests/systemd/guest-test.sh), on the host, from the copy the guest
leaves in its results (validating thousands of lines under emulation would take minutes).
Prints one "ok NAME" or "not ok NAME: why" line per check and exits 1 if any failed.

usage: check-trace.py --trace PATH --job JOB --main-pid PID --marker WORD
                      [--oom-pid PID] [--stop-reason]

  --marker      the argument of the `/bin/true WORD` run right after `systemctl start`
                returned: its exec must be in the trace
  --oom-pid     the pid of the job the OOM killer killed: its process_exit must say signal 9
  --stop-reason trace_end must say the stop came from PID 1's SIGTERM (stop_reason "signal",
                stop_signal 15, stopped_by_pid 1)
"""

import argparse
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import tracelib  # noqa: E402  (schemas, strict JSONL, trace_end counts)

failed = 0


def report(name, problem=None):
    global failed
    if problem:
        failed += 1
        print(f"not ok {name}: {problem}")
    else:
        print(f"ok {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trace", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--main-pid", type=int, required=True)
    ap.add_argument("--marker", required=True)
    ap.add_argument("--oom-pid", type=int)
    ap.add_argument("--stop-reason", action="store_true")
    a = ap.parse_args()
    path = pathlib.Path(a.trace)

    gz = subprocess.run(["gzip", "-t", str(path)], capture_output=True, text=True)
    report("copy-gzip-complete",
           None if gz.returncode == 0 else f"gzip -t: {gz.stderr.strip() or gz.returncode}")
    try:
        lines = tracelib.read_trace_file(path)
    except AssertionError as e:
        report("trace-readable", str(e)[:2000])
        return 1
    problems = tracelib.trace_problems(lines, a.job, complete=True, own_pid=a.main_pid)
    report("trace-valid", "; ".join(problems)[:4000] if problems else None)
    end = lines[-1] if lines else {}
    report("copy-ends-with-trace_end",
           None if end.get("type") == "trace_end" else f"last line is {tracelib.show(end)}")

    execs = tracelib.select(lines, "process_exec", args=["/bin/true", a.marker])
    report("marker-after-start",
           None if execs else f"no process_exec of `/bin/true {a.marker}` in {len(lines)} lines:"
           " systemctl start returned before tracing was live")

    if a.oom_pid is not None:
        exits = tracelib.select(lines, "process_exit", pid=a.oom_pid)
        sig = [o for o in exits if o.get("signal") == 9]
        report("oom-job-exit-signal-9",
               None if sig else f"process_exit of pid {a.oom_pid}: {tracelib.show(exits)}")

    # systemctl stop is PID 1 sending SIGTERM (then SIGCONT): the service manager doing its
    # job, not another process acting on tracerd.
    from_pid1 = [o for o in lines if o.get("type") == "tamper" and o.get("pid") == 1]
    report("stop-not-tamper",
           None if not from_pid1 else "tamper lines from PID 1:\n" + tracelib.show(from_pid1))
    if a.stop_reason:
        want = {"stop_reason": "signal", "stop_signal": 15, "stopped_by_pid": 1}
        got = {k: end.get(k) for k in want}
        report("trace_end-stop-reason", None if got == want else
               f"trace_end has {got}, want {want}: {tracelib.show(end)}")

    counts = {}
    for o in lines:
        counts[o["type"]] = counts.get(o["type"], 0) + 1
    print(f"# {len(lines)} lines {counts}; trace_end: {tracelib.show(end).strip()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
