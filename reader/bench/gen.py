#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""
Makes a large synthetic trace from a real one, for the reader's benchmark:

    gen.py SOURCE.jsonl.gz OUT.jsonl.gz EVENTS

The event lines of SOURCE (a trace recorded by tracerd) are repeated, in order, until
OUT holds EVENTS of them: each repetition moves pids, exec ids and timestamps forward
so that every process is a new one (the process tree grows as in a long job), and keeps
every line's shape (fields, lengths, the mix of types). OUT is written as tracerd
writes: gzip members of about 256 KiB of lines, between one trace_start and one
trace_end whose counts match.
"""

import gzip
import json
import sys
import zlib

PID_FIELDS = ("pid", "tid", "ppid")
ID_FIELDS = ("exec_id", "parent_exec_id")


def main():
    src, out, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with gzip.open(src, "rt") as f:
        lines = [json.loads(x) for x in f]
    start = lines[0]
    events = [o for o in lines if o["type"] not in ("trace_start", "trace_end")]
    if not events:
        sys.exit(f"{src}: no event lines")
    pid_span = max(o.get("pid", 0) for o in events) + 1
    ts0 = events[0]["timestamp"]
    base = int(ts0[11:13]) * 3600 + int(ts0[14:16]) * 60 + int(ts0[17:19])
    by_type, written, stage = {}, 0, []
    with open(out, "wb") as f:
        def flush():
            data = "".join(stage).encode()
            c = zlib.compressobj(1, zlib.DEFLATED, 31)
            f.write(c.compress(data) + c.flush())
            stage.clear()

        stage.append(json.dumps(start, separators=(",", ":")) + "\n")
        size, rep = 0, 0
        while written < total:
            shift = rep * pid_span
            for o in events:
                if written == total:
                    break
                o = dict(o)
                for k in PID_FIELDS:
                    if k in o:
                        o[k] += shift
                for k in ID_FIELDS:
                    if k in o:
                        pid, ns = o[k].split("-")
                        o[k] = f"{int(pid) + shift}-{ns}"
                secs = base + rep * 2
                o["timestamp"] = (f"{ts0[:11]}{secs // 3600 % 24:02d}:{secs // 60 % 60:02d}:"
                                  f"{secs % 60:02d}{o['timestamp'][19:]}")
                last_ts = o["timestamp"]
                line = json.dumps(o, separators=(",", ":")) + "\n"
                stage.append(line)
                size += len(line)
                by_type[o["type"]] = by_type.get(o["type"], 0) + 1
                written += 1
                if size >= 256 << 10:
                    flush()
                    size = 0
            rep += 1
        counted = {t: n for t, n in by_type.items() if t not in ("events_lost", "tamper")}
        end = {"type": "trace_end", "timestamp": last_ts,
               "job_id": start["job_id"], "events": sum(counted.values()),
               "by_type": counted, "lost": 0, "duration_ns": rep * 2 * 10**9,
               "stop_reason": "command_exited"}
        stage.append(json.dumps(end, separators=(",", ":")) + "\n")
        flush()
    print(f"{out}: {written} events from {len(events)} real ones ({rep} repetitions)")


if __name__ == "__main__":
    main()
