#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Soak: tracerd -- a workload that runs for SECONDS (default 600) at a steady rate of
# opens, execs, TCP connects, DNS queries and file writes, while tracerd's resident memory
# is sampled every 10 s. Prints the series and whether it is flat: the mean of the last
# minute within 10% of the mean of the first minute after a one-minute warm-up. Exits 1
# when it is not flat or the trace is not complete. Not part of make test.
#
#   scripts/soak.sh [TRACERD] [SECONDS]         (make soak SOAK_SECONDS=600)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
tracerd=${1:-$root/tracerd}
seconds=${2:-600}
[ -x "$tracerd" ] || { echo "soak: $tracerd is missing (make tracerd)" >&2; exit 1; }
[ "$seconds" -ge 180 ] || { echo "soak: needs at least 180 s (warm-up, two minutes)" >&2; exit 1; }

dir=$(mktemp -d /tmp/tracerd-soak-XXXXXX)
trap 'rm -rf "$dir"' EXIT

status=0
/usr/bin/python3 -I - "$tracerd" "$seconds" "$dir" <<'EOF' || status=$?
import gzip, json, os, socket, struct, subprocess, sys, textwrap, threading, time

tracerd, seconds, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = os.path.join(d, "soak.jsonl.gz")

# Per second: 500 opens, 20 execs, 50 TCP connects (to a loopback server inside the traced
# tree), 10 DNS queries over UDP, 20 files written (open, 4 writes, close).
RATE = {"open": 500, "exec": 20, "connect": 50, "dns": 10, "write": 20}
workload = textwrap.dedent(f"""
    import os, socket, struct, subprocess, threading, time
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(128)
    port = srv.getsockname()[1]
    def serve():
        while True:
            c, _ = srv.accept(); c.close()
    threading.Thread(target=serve, daemon=True).start()
    q = struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\\x04soak\\x04test\\x00\\x00\\x01\\x00\\x01"
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.time() + {seconds}
    tick = time.time()
    n = 0
    while time.time() < end:
        for i in range({RATE["open"]}):
            try:
                os.close(os.open("/etc/hostname" if i % 2 else "/nonexistent/%d" % i, os.O_RDONLY))
            except OSError:
                pass
        for _ in range({RATE["exec"]}):
            subprocess.run(["/bin/true"])
        for _ in range({RATE["connect"]}):
            s = socket.socket(); s.connect(("127.0.0.1", port)); s.close()
        for _ in range({RATE["dns"]}):
            u.sendto(q, ("127.0.0.1", 53))
        for i in range({RATE["write"]}):
            with open("{d}/w%d" % i, "w") as f:
                for _ in range(4):
                    f.write("x" * 100); f.flush()
        n += 1
        tick += 1
        time.sleep(max(0, tick - time.time()))
    print(n, flush=True)
""")

t0 = time.time()
proc = subprocess.Popen([tracerd, "--job-id", "soak", "--out", out, "--",
                         "/usr/bin/python3", "-I", "-c", workload],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
series = []
next_sample = t0 + 10
while proc.poll() is None:
    time.sleep(max(0, min(1, next_sample - time.time())))
    if time.time() >= next_sample:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            break
        series.append((round(time.time() - t0), rss))
        print(f"soak: t={series[-1][0]:4d}s  tracerd RSS {rss:7d} KiB", flush=True)
        next_sample += 10
stdout, stderr = proc.communicate()
rc = proc.returncode

ok = True
lines = [json.loads(l) for l in gzip.open(out).read().decode().splitlines()]
end = lines[-1] if lines and lines[-1].get("type") == "trace_end" else None
print(f"soak: tracerd exited {rc}; workload seconds done: {stdout.decode().strip()}; "
      f"trace {os.path.getsize(out)} bytes, {len(lines)} lines")
if rc != 0 or end is None:
    print(f"soak: FAILED: exit {rc}, trace_end {'present' if end else 'missing'}; "
          f"stderr {stderr.decode(errors='replace')[-500:]}")
    ok = False
else:
    print(f"soak: trace_end events {end['events']} by_type {end['by_type']} lost {end['lost']}")
    # What the workload did, line for line (file_open also counts the loader's opens).
    n = int(stdout.split()[0])
    lost = {}
    for o in lines:
        if o.get("type") == "events_lost":
            for k, v in o["by_type"].items():
                lost[k] = lost.get(k, 0) + v
    want = {"process_exec": n * RATE["exec"] + 1, "net_connect": n * RATE["connect"] + 1,
            "dns_query": n * RATE["dns"], "file_write": n * RATE["write"]}
    for t, w in want.items():
        got = end["by_type"].get(t, 0) + lost.get(t, 0)
        print(f"soak: {t}: {end['by_type'].get(t, 0)} lines + {lost.get(t, 0)} lost, "
              f"workload did {w}: {'ok' if got == w else 'MISMATCH'}")
        ok = ok and got == w
first = [r for t, r in series if 60 <= t < 120]
last = [r for t, r in series if t >= series[-1][0] - 60] if series else []
if first and last:
    a, b = sum(first) / len(first), sum(last) / len(last)
    flat = abs(b - a) <= 0.10 * a
    print(f"soak: RSS first minute after warm-up {a:.0f} KiB, last minute {b:.0f} KiB "
          f"({(b - a) / a * 100:+.1f}%): {'flat' if flat else 'NOT FLAT'}")
    ok = ok and flat
else:
    print("soak: not enough samples to judge")
    ok = False
sys.exit(0 if ok else 1)
EOF
exit "$status"
