#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""
tracerd's benchmark (make bench): what tracing costs a CI job, how much load the daemon
takes before it loses events, and its memory and start-up time. Prints a table and writes
build/bench/results.json.

    bench/run.py            the full benchmark (3 to 7 interleaved rounds, < 10 minutes)
    bench/run.py --quick    one round, short storms (< 90 s): to try things out

Overhead: a CI-like workload (bench/workload.py) on a tmpfs of our own, timed with nothing
attached (baseline), under tracerd in daemon mode, and under two floors built from
bench/: programs on the same tracepoints that do nothing (floor_null), and programs that
send one 64-byte record per relevant event through a batched ring buffer (floor_record).
The configurations are interleaved in each round (the order rotates); a configuration's
overhead is the median over rounds of its wall time divided by that round's baseline.

Capacity: bench/storm (openat+close storms paced to increasing rates, and an exec storm)
under tracerd; events, losses and output size from the trace's trace_end line, the
daemon's CPU from /proc/PID/stat at ready and its rusage at exit.

Only the Debian system python and its stdlib are used. Everything started is stopped,
the tmpfs unmounted and temporary files removed, on errors and Ctrl-C too.
"""

import argparse
import ctypes
import datetime
import gzip
import hashlib
import json
import os
import pathlib
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zlib

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
BUILD = REPO / "build" / "bench"
TRACERD = REPO / "tracerd"
FLOOR = BUILD / "floor"
STORM = BUILD / "storm"
WORKLOAD = HERE / "workload.py"
PYTHON = "/usr/bin/python3"

CLK_TCK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1
BUDGET_S = 570  # the full run stays under 10 minutes, building included
READY_TIMEOUT_S = 30
STOP_TIMEOUT_S = 120
RUN_TIMEOUT_S = 300
NOISY_CORE_FRACTION = 0.10  # a run is noisy when others used > 10% of one CPU during it
BPF_MAP_TYPE_RINGBUF = 27

CONFIGS = ("baseline", "floor_null", "floor_record", "tracerd")
# The direct cost passes (bpf_stats on). tracerd keeps its hash cache from pass to pass, as
# tracerd@.service does from job to job on a runner; tracerd_cold starts each pass without
# one, as on a runner's first job: every executable is read and hashed.
DIRECT_CONFIGS = ("floor_record", "tracerd", "tracerd_cold")
TRACERD_KINDS = ("tracerd", "tracerd_cold")

# The targets of the issue.
TARGET_SUSTAINED_RATE = 300_000
TARGET_US_PER_EVENT = 1.0
TARGET_CPU_POINTS_OVER_FLOOR = 0.015  # CI workload CPU overhead, minus floor_record's
TARGET_FLATOUT_FRACTION = 0.90  # flat-out storm throughput, of floor_record's
FLATOUT_PROCS = (2, 4)
FLATOUT_CONFIGS = ("baseline", "floor_record", "tracerd")
STAGES_TRACERD = BUILD / "stages" / "tracerd"
STAGE_NAMES = ("loop", "read", "decode", "enrich", "json", "compress", "write")
TARGET_OVERHEAD = 0.03
TARGET_FLOOR_FACTOR = 1.5
TARGET_BYTES_PER_EVENT = 40
TARGET_READY_S = 0.300
TARGET_RSS_BASE = 32 << 20

FULL = {
    "scale": 1.0, "warmups": 2, "rounds_min": 3, "rounds_max": 7, "ready_starts": 7,
    "rates": [50_000, 100_000, 200_000, 300_000, 400_000, 600_000], "storm_s": 10,
    "sustained_s": 30, "exec_s": 8, "flatout_rounds": 3, "flatout_s": 4, "breakdown_s": 10,
    "direct_passes": 3,
}
QUICK = {
    "scale": 0.5, "warmups": 1, "rounds_min": 1, "rounds_max": 1, "ready_starts": 3,
    "rates": [50_000, 100_000, 200_000, 300_000, 400_000, 600_000], "storm_s": 2,
    "sustained_s": 0, "exec_s": 2, "flatout_rounds": 1, "flatout_s": 2, "breakdown_s": 3,
    "direct_passes": 1,
}


class BenchError(Exception):
    pass


class Interrupted(BaseException):
    """SIGTERM or SIGHUP: unwind through the cleanup like Ctrl-C."""


class Deadline(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# Processes: every one we start is registered, so that cleanup can stop it.

class Procs:
    def __init__(self):
        self.live = {}  # pid -> (Popen, "tracer" | "load")

    def spawn(self, argv, kind, stdout, stderr):
        # Each in its own session: a Ctrl-C on the terminal reaches us only, and a whole
        # load (make and its compilers) can be stopped through its process group.
        p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=stdout,
                             stderr=stderr, start_new_session=True, close_fds=True)
        self.live[p.pid] = (p, kind)
        return p

    def wait(self, p, timeout):
        """(exit code, rusage) of p; BenchError when it outlives timeout (then killed)."""
        old = signal.signal(signal.SIGALRM, _raise_deadline)
        signal.alarm(max(1, int(timeout)))
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except Deadline:
            self.kill(p)
            raise BenchError(f"{p.args[0]} did not finish within {timeout} s (killed)")
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
        p.returncode = os.waitstatus_to_exitcode(status)
        self.live.pop(p.pid, None)
        return p.returncode, ru

    def kill(self, p):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(p.pid, 0)
        except ChildProcessError:
            pass
        p.returncode = -signal.SIGKILL
        self.live.pop(p.pid, None)

    def stop_all(self):
        """Tracers get SIGTERM first (they detach and exit cleanly); loads are killed."""
        for pid, (p, kind) in list(self.live.items()):
            if kind == "tracer":
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for pid, (p, kind) in list(self.live.items()):
            if kind == "tracer":
                while time.monotonic() < deadline:
                    if os.waitpid(pid, os.WNOHANG)[0] == pid:
                        self.live.pop(pid, None)
                        break
                    time.sleep(0.05)
        for pid, (p, kind) in list(self.live.items()):
            self.kill(p)


def _raise_deadline(signum, frame):
    raise Deadline()


def _raise_interrupted(signum, frame):
    raise Interrupted()


# --------------------------------------------------------------------------------------
# /proc readings

def proc_cpu_s(pid):
    """
    CPU time of a live process so far, in seconds: the scheduler's run time of its threads
    in nanoseconds (/proc/PID/task/*/schedstat), the measure rusage's utime + stime add up
    to at its exit. /proc/PID/stat's clock ticks would put 10 ms of error on the tracer's
    CPU since ready, a tenth of tracerd's whole cost on a CI workload pass.
    """
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid):
    """The memory lines of /proc/PID/status, in bytes."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmLck"):
                out[key] = int(value.split()[0]) * 1024
    return out


def machine_busy_s():
    """
    (busy, steal): CPU seconds the whole machine spent, all CPUs, not idle and not iowait;
    and the seconds the hypervisor gave our virtual CPUs to someone else.
    """
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def self_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def rusage_cpu_s(ru):
    return ru.ru_utime + ru.ru_stime


def bpf_objects(pid):
    """The BPF maps and programs a process holds, from /proc/PID/fdinfo."""
    maps, progs = {}, {}
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                kv = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except OSError:
            continue
        kv = {k.strip(): v.strip() for k, v in kv.items()}
        if "map_type" in kv:
            maps[int(kv["map_id"])] = {"type": int(kv["map_type"]),
                                       "max_entries": int(kv["max_entries"]),
                                       "memlock": int(kv["memlock"])}
        elif "prog_type" in kv and "link_type" not in kv:
            progs[int(kv["prog_id"])] = {"memlock": int(kv["memlock"]),
                                         "run_time_ns": int(kv.get("run_time_ns", 0)),
                                         "run_cnt": int(kv.get("run_cnt", 0))}
    return maps, progs


def bpf_names(kind):
    """{id: name} of every BPF map or prog on the machine (bpftool), {} if unavailable."""
    try:
        out = subprocess.run(["bpftool", kind, "show", "-j"], capture_output=True, check=True,
                             timeout=30).stdout
        return {o["id"]: o.get("name", "?") for o in json.loads(out)}
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}


def other_tracing_progs():
    """BPF tracing programs attached on the machine before we start (other users' tracers)."""
    try:
        out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
                             check=True, timeout=30).stdout
        return sum(1 for o in json.loads(out) if o.get("type") == "tracing")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


class BpfStats:
    """
    BPF_ENABLE_STATS: run_time_ns/run_cnt of every program while the fd is open (the
    kernel's bpf_stats_enabled, reference-counted, off again when we close it).
    """
    BPF_ENABLE_STATS = 32
    NR_BPF = {"x86_64": 321, "aarch64": 280}

    def __init__(self):
        self.fd = -1
        self.enabled = False
        nr = self.NR_BPF.get(platform.machine())
        if nr is None:
            return
        libc = ctypes.CDLL(None, use_errno=True)
        attr = ctypes.create_string_buffer(16)  # union bpf_attr { .enable_stats.type = 0 }
        self.fd = libc.syscall(nr, self.BPF_ENABLE_STATS, attr, ctypes.sizeof(attr))
        self.enabled = self.fd >= 0

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# --------------------------------------------------------------------------------------
# Traces: trace_end without decompressing a whole multi-gigabyte file

def _last_json_line(buf):
    """The last line of the gzip members in buf, if buf decodes cleanly to its end."""
    tail = b""
    while buf:
        d = zlib.decompressobj(31)
        try:
            for i in range(0, len(buf), 1 << 20):
                tail = (tail + d.decompress(buf[i:i + (1 << 20)]))[-(1 << 16):]
                if d.eof:
                    break
        except zlib.error:
            return None
        if not d.eof:
            return None
        buf = d.unused_data
    lines = tail.rstrip(b"\n").rsplit(b"\n", 1)
    try:
        return json.loads(lines[-1])
    except ValueError:
        return None


def read_trace_end(path):
    """
    tracerd's trace_end line. A trace is a series of gzip members (one per flush): find the
    last member by its header from the end of the file and decode only that.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        start = max(0, size - (64 << 20))
        f.seek(start)
        tail = f.read()
    pos = len(tail)
    for _ in range(64):
        pos = tail.rfind(b"\x1f\x8b\x08", 0, pos)
        if pos < 0:
            break
        last = _last_json_line(tail[pos:])
        if last is not None:
            if last.get("type") == "trace_end":
                return last
            break
    last = None
    with gzip.open(path, "rb") as f:
        for line in f:
            last = line
    obj = json.loads(last) if last else {}
    if obj.get("type") != "trace_end":
        raise BenchError(f"{path}: no trace_end line (the trace was cut short)")
    return obj


# --------------------------------------------------------------------------------------
# Tracers: tracerd, floor --mode null, floor --mode record

class Tracer:
    def __init__(self, bench, kind, tag):
        self.bench = bench
        self.kind = kind
        d = bench.tmp
        self.pid_file = d / f"{tag}.pid"
        self.out = d / f"{tag}.jsonl.gz"
        self.stdout_path = d / f"{tag}.stdout"
        self.stderr_path = d / f"{tag}.stderr"
        self.proc = None
        self.ready_s = None
        self.cpu_at_ready = 0.0

    def argv(self):
        if self.kind in TRACERD_KINDS:
            return [self.bench.tracerd, "--job-id", "bench", "--out", self.out, "--pid-file",
                    self.pid_file, "--hash-cache", self.hash_cache()]
        if self.kind == "tracerd_stages":
            return [self.bench.stages, "--job-id", "bench", "--out", self.out, "--pid-file",
                    self.pid_file]
        mode = {"floor_null": "null", "floor_record": "record"}[self.kind]
        return [FLOOR, "--mode", mode, "--pid-file", self.pid_file]

    def hash_cache(self):
        """The runner's hash cache (tracerd@.service's), or a fresh one for tracerd_cold."""
        if self.kind == "tracerd_cold":
            return self.bench.tmp / "exehash-cold.cache"
        return self.bench.tmp / "exehash.cache"

    def start(self):
        if self.kind == "tracerd_cold":
            self.hash_cache().unlink(missing_ok=True)
        for p in (self.pid_file, self.out):
            if p.exists():
                p.unlink()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            t0 = time.monotonic()
            self.proc = self.bench.procs.spawn(self.argv(), "tracer", out, err)
        deadline = t0 + READY_TIMEOUT_S
        while True:
            try:
                if self.pid_file.stat().st_size > 0:
                    break
            except FileNotFoundError:
                pass
            if self.proc.poll() is not None:
                self.bench.procs.live.pop(self.proc.pid, None)
                raise BenchError(f"{self.kind} exited with {self.proc.returncode} before "
                                 f"it was ready: {self.stderr_tail()}")
            if time.monotonic() > deadline:
                raise BenchError(f"{self.kind} not ready after {READY_TIMEOUT_S} s: "
                                 f"{self.stderr_tail()}")
            time.sleep(0.001)
        self.ready_s = time.monotonic() - t0
        self.cpu_at_ready = proc_cpu_s(self.proc.pid)
        return self

    def stderr_tail(self):
        try:
            return self.stderr_path.read_text(errors="replace").strip()[-800:] or "(no message)"
        except OSError:
            return "(no message)"

    def cpu_s(self):
        """The tracer's CPU so far, its hasher child's included (reaped only at exit)."""
        return proc_cpu_s(self.proc.pid) + (self.hasher_cpu_s() or 0.0)

    def hasher_cpu_s(self):
        """
        CPU of tracerd's hasher child (src/hasher.c) so far: it is in tracerd's rusage at
        exit too (reaped), this says how much of it hashing was. None without one.
        """
        pid = self.proc.pid
        try:
            kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
        except OSError:
            return None
        for k in kids:
            try:
                if open(f"/proc/{k}/comm").read().strip() == "tracerd-hasher":
                    return proc_cpu_s(int(k))
            except OSError:
                continue
        return None

    def stop(self):
        """
        SIGTERM, wait; returns the CPU it used in all and since ready, and its VmHWM as it
        exits (the last reading before its memory is released: the drain at exit counts).
        Not the rusage maxrss: Linux folds into it the RSS of the image before exec, here
        the forking python harness.
        """
        pid = self.proc.pid
        hasher_cpu = self.hasher_cpu_s() if self.kind in TRACERD_KINDS else None
        os.kill(pid, signal.SIGTERM)
        hwm_exit = 0
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                hwm = proc_status(pid).get("VmHWM")
            except OSError:
                break
            if hwm is None:  # a zombie: its memory is gone
                break
            hwm_exit = max(hwm_exit, hwm)
            time.sleep(0.002)
        code, ru = self.bench.procs.wait(self.proc, STOP_TIMEOUT_S)
        if code != 0:
            raise BenchError(f"{self.kind} exited with {code}: {self.stderr_tail()}")
        total = rusage_cpu_s(ru)
        res = {"cpu_total_s": total, "cpu_after_ready_s": max(0.0, total - self.cpu_at_ready),
               "vmhwm_exit": hwm_exit, "hasher_cpu_s": hasher_cpu}
        if self.kind == "tracerd_stages":
            res["stages"] = self.stages_line()
        elif self.kind not in TRACERD_KINDS:
            try:
                res["summary"] = json.loads(self.stdout_path.read_text())
            except (OSError, ValueError):
                pass
        return res

    def stages_line(self):
        """The stage timer's report, the line 'tracerd: stages {...}' on stderr."""
        for line in self.stderr_path.read_text(errors="replace").splitlines():
            if line.startswith("tracerd: stages "):
                return json.loads(line.split(" ", 2)[2])
        raise BenchError(f"{self.kind}: no stage report: {self.stderr_tail()}")

    def trace(self):
        """trace_end and the file size (tracerd only); removes the file afterwards."""
        end = read_trace_end(self.out)
        size = self.out.stat().st_size
        self.out.unlink()
        return end, size


# --------------------------------------------------------------------------------------
# The benchmark

class Bench:
    def __init__(self, args):
        self.args = args
        self.plan = dict(QUICK if args.quick else FULL)
        if args.rounds:
            self.plan["rounds_min"] = self.plan["rounds_max"] = args.rounds
        self.budget = args.budget
        self.t_start = time.monotonic()
        self.procs = Procs()
        self.mount = None
        self.tmp = None
        self.prep = None
        self.tracerd = TRACERD
        self.stages = STAGES_TRACERD
        self.results = {"errors": []}
        self.peak = {"vmhwm": 0, "vmhwm_exit": 0, "rss_anon": 0}

    def elapsed(self):
        return time.monotonic() - self.t_start

    # -- setup and cleanup ------------------------------------------------------------

    def setup(self):
        self.mount = pathlib.Path(tempfile.mkdtemp(prefix="tracerd-bench-", dir="/tmp"))
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8g,mode=0700", "tracerd-bench",
                            str(self.mount)], capture_output=True, text=True)
        if r.returncode != 0:
            # No mount rights: a directory of ours on /dev/shm (tmpfs too).
            log(f"bench: cannot mount a tmpfs ({r.stderr.strip()}): using /dev/shm")
            self.mount.rmdir()
            self.mount = None
            self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="tracerd-bench-", dir="/dev/shm"))
        else:
            self.tmp = self.mount
        # The binary under test, frozen: the working tree may be rebuilt while we measure.
        self.tracerd = self.tmp / "tracerd"
        shutil.copy2(self.args.tracerd or TRACERD, self.tracerd)
        self.stages = self.tmp / "tracerd-stages"
        shutil.copy2(self.args.stages or STAGES_TRACERD, self.stages)
        self.prep = self.tmp / "prep"
        subprocess.run([PYTHON, WORKLOAD, "prepare", self.prep, "--scale",
                        str(self.plan["scale"])], check=True)
        self.storm_file = self.tmp / "storm-target"
        self.storm_file.write_text("tracerd benchmark\n")

    def cleanup(self):
        self.procs.stop_all()
        if self.mount is not None:
            r = subprocess.run(["umount", str(self.mount)], capture_output=True, text=True)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", str(self.mount)], capture_output=True)
            try:
                self.mount.rmdir()
            except OSError as e:
                log(f"bench: cannot remove {self.mount}: {e}")
        elif self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- one timed load under one configuration ----------------------------------------

    def timed(self, argv, tracer, tag):
        """
        Run a load to completion: wall time, its CPU (rusage of its whole tree), the
        tracer's CPU over the same window and the CPU everybody else used meanwhile.
        """
        out_path = self.tmp / f"{tag}.out"
        with open(out_path, "wb") as out, open(self.tmp / f"{tag}.err", "wb") as err:
            busy0, self0 = machine_busy_s(), self_cpu_s()
            tcpu0 = tracer.cpu_s() if tracer else 0.0
            t0 = time.monotonic()
            p = self.procs.spawn(argv, "load", out, err)
            code, ru = self.procs.wait(p, RUN_TIMEOUT_S)
            wall = time.monotonic() - t0
            tcpu1 = tracer.cpu_s() if tracer else 0.0
            busy1, self1 = machine_busy_s(), self_cpu_s()
        if code != 0:
            msg = (self.tmp / f"{tag}.err").read_text(errors="replace").strip()[-800:]
            raise BenchError(f"{argv[0]} {argv[1]} failed ({code}): {msg}")
        load_cpu = rusage_cpu_s(ru)
        tracer_cpu = tcpu1 - tcpu0
        other = max(0.0, (busy1[0] - busy0[0]) - load_cpu - tracer_cpu - (self1 - self0))
        steal = busy1[1] - busy0[1]
        res = {"wall_s": wall, "load_cpu_s": load_cpu, "tracer_cpu_s": tracer_cpu,
               "other_cpu_s": other, "steal_s": steal,
               "noisy": other + steal > NOISY_CORE_FRACTION * wall}
        text = out_path.read_text().strip()
        out_path.unlink()
        return res, text

    def note_memory(self, tracer):
        st = proc_status(tracer.proc.pid)
        self.peak["vmhwm"] = max(self.peak["vmhwm"], st.get("VmHWM", 0))
        self.peak["rss_anon"] = max(self.peak["rss_anon"], st.get("RssAnon", 0))
        return st

    def workload_pass(self, config, tag, bpf_stats=False):
        """
        One timed pass under config. bpf_stats: also the tracer's BPF programs' run time
        over the pass (kernel bpf_stats, on only for this pass), as bpf_s and bpf_runs.
        """
        tracer = None
        if config != "baseline":
            tracer = Tracer(self, config, tag).start()
        work = self.tmp / f"work-{tag}"
        stats = BpfStats() if bpf_stats and tracer else None
        try:
            res, text = self.timed([PYTHON, WORKLOAD, "run", self.prep, work], tracer, tag)
            res["steps"] = json.loads(text)
            if stats:
                _, progs = bpf_objects(tracer.proc.pid)
                stats.close()
                names = bpf_names("prog")
                res.update(bpf_stats_enabled=stats.enabled,
                           bpf_s=sum(v["run_time_ns"] for v in progs.values()) / 1e9,
                           bpf_runs=sum(v["run_cnt"] for v in progs.values()),
                           bpf_progs={names.get(k, str(k)): [v["run_cnt"], v["run_time_ns"]]
                                      for k, v in progs.items()})
            if tracer:
                if config in TRACERD_KINDS:
                    self.note_memory(tracer)
                stop = tracer.stop()
                res["tracer_cpu_total_s"] = stop["cpu_after_ready_s"]
                if config in TRACERD_KINDS:
                    self.peak["vmhwm_exit"] = max(self.peak["vmhwm_exit"], stop["vmhwm_exit"])
                    end, size = tracer.trace()
                    res.update(events=end["events"], lost=end["lost"], by_type=end["by_type"],
                               bytes=size, hasher_cpu_s=stop["hasher_cpu_s"],
                               hashes=end.get("hashes"))
                elif "summary" in stop:
                    res.update(records=stop["summary"]["records"],
                               lost=stop["summary"]["lost"])
        finally:
            if stats:
                stats.close()
            shutil.rmtree(work, ignore_errors=True)
        return res

    # -- the sections -----------------------------------------------------------------

    def measure_ready(self):
        n = self.plan["ready_starts"]
        log(f"bench: start-up time, {n} starts of tracerd")
        times, idle = [], None
        for i in range(n):
            t = Tracer(self, "tracerd", f"ready{i}").start()
            times.append(t.ready_s)
            if i == 0:
                maps, progs = bpf_objects(t.proc.pid)
                names = bpf_names("map")
                idle = {
                    "ringbuf_bytes": sum(m["max_entries"] for m in maps.values()
                                         if m["type"] == BPF_MAP_TYPE_RINGBUF),
                    "maps_memlock_bytes": sum(m["memlock"] for m in maps.values()),
                    "progs_memlock_bytes": sum(p["memlock"] for p in progs.values()),
                    "maps": {names.get(k, str(k)): v["memlock"] for k, v in maps.items()},
                    "status_idle": proc_status(t.proc.pid),
                }
            t.stop()
            t.trace()
        self.results["ready"] = {"starts_s": times, "median_s": statistics.median(times)}
        self.results["locked"] = idle

    def measure_overhead(self):
        plan = self.plan
        # The first passes on a fresh tmpfs run slower: warm up, not counted.
        for i in range(plan["warmups"]):
            log(f"bench: overhead, warm-up pass {i + 1} (not counted)")
            self.workload_pass("baseline", f"warmup{i}")
        rounds = []
        capacity_estimate = self.capacity_estimate_s()
        while len(rounds) < plan["rounds_max"]:
            r = len(rounds)
            if r >= plan["rounds_min"] and rounds:
                per_round = rounds[-1]["duration_s"]
                left = self.budget - self.elapsed() - capacity_estimate
                if per_round * 1.2 > left:
                    log(f"bench: stopping after {r} rounds to stay within the time budget")
                    break
            order = list(CONFIGS[r % len(CONFIGS):] + CONFIGS[:r % len(CONFIGS)])
            log(f"bench: overhead round {r + 1}: {' '.join(order)}")
            t0 = time.monotonic()
            runs = {c: self.workload_pass(c, f"r{r}-{c}") for c in order}
            other = sum(x["other_cpu_s"] for x in runs.values())
            steal = sum(x["steal_s"] for x in runs.values())
            wall = sum(x["wall_s"] for x in runs.values())
            rounds.append({"order": order, "runs": runs, "other_cpu_s": other, "steal_s": steal,
                           "other_cpu_cores": (other + steal) / wall,
                           "noisy": any(x["noisy"] for x in runs.values()),
                           "duration_s": time.monotonic() - t0})
        self.results["overhead"] = summarize_overhead(rounds)
        self.results["overhead"]["direct"] = self.measure_direct_cost(rounds)

    def measure_direct_cost(self, rounds):
        """
        The CI workload's overhead to a point, which wall and CPU times cannot give on a
        shared machine: what tracerd and floor_record themselves spend on a pass, the BPF
        programs' run time (bpf_stats, in the workload's context) plus the tracer process's
        CPU, over the baseline's workload CPU. Indirect costs (caches, the tracepoints'
        trampolines, which both pay) are not in it. bpf_stats' own timing per run is paid by
        both alike (they attach to the same tracepoints).
        """
        passes = {c: [] for c in DIRECT_CONFIGS}
        for i in range(self.plan["direct_passes"]):
            order = DIRECT_CONFIGS if i % 2 == 0 else DIRECT_CONFIGS[::-1]
            log(f"bench: overhead, direct cost pass {i + 1}: {' '.join(order)} (bpf_stats on)")
            for c in order:
                passes[c].append(self.workload_pass(c, f"direct{i}-{c}", bpf_stats=True))
        if not all(x.get("bpf_stats_enabled") for runs in passes.values() for x in runs):
            log("bench: bpf_stats unavailable: no direct cost")
            return None
        base_cpu = statistics.median(r["runs"]["baseline"]["load_cpu_s"] for r in rounds)
        out = {"passes": passes, "baseline_load_cpu_s": base_cpu, "configs": {}}
        for c, runs in passes.items():
            cost = [x["bpf_s"] + x["tracer_cpu_s"] for x in runs]
            out["configs"][c] = {
                "median_bpf_s": statistics.median(x["bpf_s"] for x in runs),
                "median_tracer_cpu_s": statistics.median(x["tracer_cpu_s"] for x in runs),
                "median_hasher_cpu_s": (statistics.median(x.get("hasher_cpu_s") or 0.0
                                                          for x in runs)
                                        if c in TRACERD_KINDS else None),
                "median_bpf_runs": statistics.median(x["bpf_runs"] for x in runs),
                "median_cost_s": statistics.median(cost),
                "share": statistics.median(cost) / base_cpu}
        out["points"] = out["configs"]["tracerd"]["share"] - out["configs"]["floor_record"]["share"]
        out["points_cold"] = (out["configs"]["tracerd_cold"]["share"]
                              - out["configs"]["floor_record"]["share"])
        # Per program, the last pass of each: where the difference is.
        out["programs"] = {c: runs[-1].get("bpf_progs") for c, runs in passes.items()}
        return out

    def capacity_estimate_s(self):
        p = self.plan
        per_run = 4  # start, stop, trace_end
        profile = 12 if self.args.profile or not (self.args.quick or self.args.no_profile) else 0
        flatout = (len(FLATOUT_PROCS) * len(FLATOUT_CONFIGS) * p["flatout_rounds"]
                   * (p["flatout_s"] + per_run))
        return (len(p["rates"]) * (p["storm_s"] + per_run) + p["storm_s"] + per_run
                + 2 * (p["exec_s"] + per_run) + p["sustained_s"] + per_run + profile
                + flatout + p["breakdown_s"] + per_run)

    def storm(self, argv, tracer, tag):
        res, text = self.timed(argv, tracer, tag)
        res.update(json.loads(text))
        res["load_us_per_op"] = res["load_cpu_s"] / res["ops"] * 1e6 if res["ops"] else None
        if tracer:
            st = self.note_memory(tracer)
            stop = tracer.stop()
            self.peak["vmhwm_exit"] = max(self.peak["vmhwm_exit"], stop["vmhwm_exit"])
            end, size = tracer.trace()
            events = end["events"]
            res.update(events=events, by_type=end["by_type"], lost=end["lost"], bytes=size,
                       daemon_cpu_s=stop["cpu_after_ready_s"],
                       daemon_cpu_during_s=res["tracer_cpu_s"],
                       us_per_event=stop["cpu_after_ready_s"] / events * 1e6 if events else None,
                       bytes_per_event=size / events if events else None,
                       events_per_s=events / res["wall_s"],
                       hasher_cpu_s=stop["hasher_cpu_s"], hashes=end.get("hashes"),
                       vmhwm=st.get("VmHWM"), rss_anon=st.get("RssAnon"))
        return res

    def open_storm(self, rate, seconds, traced, tag):
        tracer = Tracer(self, "tracerd", tag).start() if traced else None
        argv = [STORM, "open", "--file", self.storm_file, "--rate", rate, "--duration", seconds,
                "--procs", NCPU]
        return self.storm(argv, tracer, tag)

    def exec_storm(self, seconds, traced, tag):
        tracer = Tracer(self, "tracerd", tag).start() if traced else None
        argv = [STORM, "exec", "--duration", seconds, "--procs", NCPU]
        return self.storm(argv, tracer, tag)

    def measure_capacity(self):
        p = self.plan
        cap = {"open": [], "open_baseline": None, "sustained": None, "exec": None,
               "exec_baseline": None, "first_loss_rate": None}
        self.results["capacity"] = cap
        for rate in p["rates"]:
            log(f"bench: open storm at {rate:,}/s for {p['storm_s']} s")
            r = self.open_storm(rate, p["storm_s"], True, f"open{rate}")
            cap["open"].append(r)
        log(f"bench: open storm at 100,000/s for {p['storm_s']} s without tracing (reference)")
        cap["open_baseline"] = self.open_storm(100_000, p["storm_s"], False, "open-base")
        log(f"bench: exec storm for {p['exec_s']} s, without then with tracerd")
        cap["exec_baseline"] = self.exec_storm(p["exec_s"], False, "exec-base")
        cap["exec"] = self.exec_storm(p["exec_s"], True, "exec")
        secs = p["sustained_s"]
        if secs:
            if self.elapsed() + secs + 10 < self.budget:
                log(f"bench: open storm at {TARGET_SUSTAINED_RATE:,}/s sustained for {secs} s")
                cap["sustained"] = self.open_storm(TARGET_SUSTAINED_RATE, secs, True,
                                                   "sustained")
            else:
                log("bench: no time left for the sustained run")
        if self.args.profile or (not self.args.quick and not self.args.no_profile):
            if self.elapsed() + 15 < self.budget:
                cap["profile"] = self.profile()
            else:
                log("bench: no time left for the profile")

    def flatout_run(self, config, procs, tag):
        """One flat-out open storm under config: its rate, and what its tracer lost."""
        tracer = None if config == "baseline" else Tracer(self, config, tag).start()
        argv = [STORM, "open", "--file", self.storm_file, "--rate", 0, "--duration",
                self.plan["flatout_s"], "--procs", procs]
        res, text = self.timed(argv, tracer, tag)
        res.update(json.loads(text))
        if tracer:
            stop = tracer.stop()
            res["tracer_cpu_total_s"] = stop["cpu_after_ready_s"]
            if config == "tracerd":
                end, size = tracer.trace()
                res.update(events=end["events"], lost=end["lost"], bytes=size,
                           us_per_event=stop["cpu_after_ready_s"] / end["events"] * 1e6
                           if end["events"] else None)
            else:
                res.update(events=stop["summary"]["records"], lost=stop["summary"]["lost"])
        return res

    def measure_flatout(self):
        """
        Open storms flat out (no pacing) at 2 and 4 processes: untraced, under the batched
        floor and under tracerd, interleaved with a rotating order; tracerd's throughput
        as a fraction of the floor's is the median over rounds of the per-round ratio.
        """
        p = self.plan
        out = {}
        self.results["flatout"] = out
        for procs in FLATOUT_PROCS:
            rounds = []
            for r in range(p["flatout_rounds"]):
                k = r % len(FLATOUT_CONFIGS)
                order = FLATOUT_CONFIGS[k:] + FLATOUT_CONFIGS[:k]
                log(f"bench: flat-out open storm, {procs} procs, round {r + 1}: "
                    + " ".join(order))
                rounds.append({c: self.flatout_run(c, procs, f"flat{procs}-{r}-{c}")
                               for c in order})
            ratios = [x["tracerd"]["rate"] / x["floor_record"]["rate"] for x in rounds]
            out[str(procs)] = {
                "rounds": rounds,
                "rates": {c: statistics.median(x[c]["rate"] for x in rounds)
                          for c in FLATOUT_CONFIGS},
                "ratios": ratios, "ratio": statistics.median(ratios),
                "lost": {c: sum(x[c]["lost"] for x in rounds) for c in FLATOUT_CONFIGS[1:]},
                "us_per_event": statistics.median(x["tracerd"]["us_per_event"] for x in rounds
                                                  if x["tracerd"]["us_per_event"]),
                "others": statistics.median((x["tracerd"]["other_cpu_s"]
                                             + x["tracerd"]["steal_s"]) / x["tracerd"]["wall_s"]
                                            for x in rounds),
            }

    def measure_breakdown(self):
        """
        The daemon's time per stage at 300k opens/s, from the build with the stage timer
        (bench/bench.mk): wall-clock ticks per stage, charged exclusively, and the same
        shares of the CPU the daemon used (a stage preempted runs longer than it works).
        """
        secs = self.plan["breakdown_s"]
        log(f"bench: daemon breakdown, open storm at {TARGET_SUSTAINED_RATE:,}/s for {secs} s "
            "under tracerd with its stage timer")
        tracer = Tracer(self, "tracerd_stages", "stages").start()
        argv = [STORM, "open", "--file", self.storm_file, "--rate", TARGET_SUSTAINED_RATE,
                "--duration", secs, "--procs", NCPU]
        res, text = self.timed(argv, tracer, "stages")
        res.update(json.loads(text))
        stop = tracer.stop()
        end, _ = tracer.trace()
        st = stop["stages"]
        records = st["records"] or 1
        timed = sum(st[f"{n}_ns"] for n in STAGE_NAMES)
        cpu_ns = stop["cpu_after_ready_s"] * 1e9
        # Compress and write have their own CPU time (the thread's CPU clock around each
        # stage of lines); the rest of the CPU is shared by the wall-clock shares of the
        # other stages.
        measured = {n: st[f"{n}_cpu_ns"] for n in STAGE_NAMES if f"{n}_cpu_ns" in st}
        rest_wall = sum(st[f"{n}_ns"] for n in STAGE_NAMES if n not in measured)
        rest_cpu = max(0.0, cpu_ns - sum(measured.values()))

        def stage_cpu(n):
            if n in measured:
                return measured[n] / records
            return st[f"{n}_ns"] / rest_wall * rest_cpu / records if rest_wall else 0
        self.results["breakdown"] = {
            "rate": res["rate"], "events": end["events"], "lost": end["lost"],
            "records": st["records"], "cpu_s": stop["cpu_after_ready_s"],
            "cpu_ns_per_record": cpu_ns / records,
            "cpu_us_per_event": stop["cpu_after_ready_s"] / end["events"] * 1e6
            if end["events"] else None,
            "timed_ns_per_record": timed / records,
            "stages": {n: {"ns_per_record": st[f"{n}_ns"] / records,
                           "share": st[f"{n}_ns"] / timed if timed else 0,
                           "cpu_ns_per_record": stage_cpu(n)}
                       for n in STAGE_NAMES},
            "others": (res["other_cpu_s"] + res["steal_s"]) / res["wall_s"],
        }

    def profile(self):
        """
        Where the time goes at 200k opens/s: perf samples of the daemon (user and kernel
        stacks) and the BPF programs' own run time (kernel bpf_stats).
        """
        secs = 5
        if not shutil.which("perf"):
            log("bench: no perf: profile skipped")
            return None
        log(f"bench: profile, open storm at 200,000/s for {secs} s with perf and bpf_stats")
        stats = BpfStats()
        tracer = Tracer(self, "tracerd", "profile").start()
        perf_data = self.tmp / "perf.data"
        perf = self.procs.spawn(["perf", "record", "-q", "-F", "499", "-g", "-o", perf_data,
                                 "-p", tracer.proc.pid], "tracer", subprocess.DEVNULL,
                                subprocess.DEVNULL)
        try:
            argv = [STORM, "open", "--file", self.storm_file, "--rate", 200_000,
                    "--duration", secs, "--procs", NCPU]
            res, text = self.timed(argv, tracer, "profile")
            storm = json.loads(text)
            ops = storm["ops"]
            _, progs = bpf_objects(tracer.proc.pid)
        finally:
            stats.close()
            os.kill(perf.pid, signal.SIGINT)
            self.procs.wait(perf, 60)
        names = bpf_names("prog")
        tracer.stop()
        tracer.trace()
        bpf = {names.get(k, str(k)): {"runs": v["run_cnt"], "ns_per_run":
                                      v["run_time_ns"] / v["run_cnt"] if v["run_cnt"] else 0,
                                      "total_s": v["run_time_ns"] / 1e9}
               for k, v in progs.items()}
        def perf_report(sort):
            out = subprocess.run(["perf", "report", "-i", perf_data, "--stdio", "--no-children",
                                  "--sort", sort, "-g", "none", "--percent-limit", "1"],
                                 capture_output=True, text=True).stdout
            return [" ".join(line.split()) for line in out.splitlines()
                    if line.strip() and not line.startswith("#")][:25]

        top = perf_report("dso,symbol")
        by_dso = perf_report("dso")
        return {"ops": ops, "rate": storm["rate"], "bpf_stats_enabled": stats.enabled,
                "bpf": bpf, "perf_by_dso": by_dso,
                "bpf_ns_per_open": sum(v["total_s"] for v in bpf.values()) * 1e9 / ops
                if ops else None,
                "daemon_cpu_s": res["tracer_cpu_s"], "perf_top": top}

    def run(self):
        with open(self.tracerd, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        git = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
        self.results["meta"] = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "mode": "quick" if self.args.quick else "full",
            "kernel": platform.release(),
            "cpus": NCPU,
            "tracerd": subprocess.run([self.tracerd, "--version"], capture_output=True,
                                      text=True).stdout.strip(),
            "tracerd_sha256": digest,
            "git": git,
            "other_tracing_progs_at_start": other_tracing_progs(),
            "plan": self.plan,
            "tmpfs": str(self.tmp),
        }
        # A section that cannot finish is reported; the others still run.
        sections = (("ready", self.measure_ready), ("overhead", self.measure_overhead),
                    ("capacity", self.measure_capacity), ("flatout", self.measure_flatout),
                    ("breakdown", self.measure_breakdown))
        for name, section in sections:
            if self.args.sections and name not in self.args.sections:
                continue
            try:
                section()
            except BenchError as e:
                log(f"bench: {name}: {e}")
                self.results["errors"].append(f"{name}: {e}")
                self.procs.stop_all()
        self.results["memory"] = {
            "vmhwm_max_bytes": self.peak["vmhwm"],
            "vmhwm_exit_max_bytes": self.peak["vmhwm_exit"],
            "rss_anon_max_bytes": self.peak["rss_anon"],
        }
        self.results["targets"] = evaluate_targets(self.results)
        self.results["meta"]["runtime_s"] = self.elapsed()


# --------------------------------------------------------------------------------------
# Summaries and targets

def summarize_overhead(rounds):
    quiet = [r for r in rounds if not r["noisy"]]
    out = {"rounds": rounds, "configs": {}, "quiet_rounds": len(quiet)}
    for c in CONFIGS:
        walls = [r["runs"][c]["wall_s"] for r in rounds]
        ratios = [r["runs"][c]["wall_s"] / r["runs"]["baseline"]["wall_s"] for r in rounds]
        steps = {}
        for step in rounds[0]["runs"][c]["steps"]:
            steps[step] = statistics.median(
                r["runs"][c]["steps"][step] / r["runs"]["baseline"]["steps"][step]
                for r in rounds) - 1
        # CPU view: the load's CPU (BPF programs run in its context) plus the tracer's, over
        # the baseline's load CPU; less sensitive to scheduling noise than wall time.
        cpu_ratios = [(r["runs"][c]["load_cpu_s"] + r["runs"][c]["tracer_cpu_s"])
                      / r["runs"]["baseline"]["load_cpu_s"] for r in rounds]
        cfg = {"walls_s": walls, "median_wall_s": statistics.median(walls),
               "ratios": ratios, "median_ratio": statistics.median(ratios),
               "overhead": statistics.median(ratios) - 1, "step_overhead": steps,
               "cpu_ratios": cpu_ratios, "cpu_overhead": statistics.median(cpu_ratios) - 1,
               "median_load_cpu_s": statistics.median(r["runs"][c]["load_cpu_s"]
                                                      for r in rounds),
               "median_tracer_cpu_s": statistics.median(r["runs"][c]["tracer_cpu_s"]
                                                        for r in rounds)}
        if quiet and len(quiet) < len(rounds):
            cfg["overhead_quiet_rounds"] = statistics.median(
                r["runs"][c]["wall_s"] / r["runs"]["baseline"]["wall_s"] for r in quiet) - 1
        if c == "tracerd":
            ev = [r["runs"][c]["events"] for r in rounds]
            cfg["median_events"] = statistics.median(ev)
            cfg["median_bytes_per_event"] = statistics.median(
                r["runs"][c]["bytes"] / r["runs"][c]["events"] for r in rounds
                if r["runs"][c]["events"])
            cfg["lost"] = sum(r["runs"][c]["lost"] for r in rounds)
            cfg["median_us_per_event"] = statistics.median(
                r["runs"][c]["tracer_cpu_total_s"] / r["runs"][c]["events"] * 1e6
                for r in rounds if r["runs"][c]["events"])
            hc = [r["runs"][c]["hasher_cpu_s"] for r in rounds
                  if r["runs"][c].get("hasher_cpu_s") is not None]
            cfg["median_hasher_cpu_s"] = statistics.median(hc) if hc else None
            cfg["median_hasher_cpu_share"] = statistics.median(
                r["runs"][c]["hasher_cpu_s"] / r["runs"][c]["tracer_cpu_total_s"] for r in rounds
                if r["runs"][c].get("hasher_cpu_s") is not None
                and r["runs"][c]["tracer_cpu_total_s"]) if hc else None
            cfg["hashes"] = rounds[-1]["runs"][c].get("hashes")
        out["configs"][c] = cfg
    return out


def evaluate_targets(res):
    """PASS/MISS of each target the measurements allow (a section that failed has none)."""
    targets = []

    def add(name, ok, value, limit, note=""):
        targets.append({"target": name, "pass": bool(ok), "value": value, "limit": limit,
                        "note": note})

    cap = res.get("capacity")
    if cap and cap["open"]:
        first_loss = next((r["target_rate"] for r in cap["open"] if r["lost"]), None)
        cap["first_loss_rate"] = first_loss
        sustained = cap["sustained"] or next(
            (r for r in cap["open"] if r["target_rate"] == TARGET_SUSTAINED_RATE), None)
        if sustained:
            reached = sustained["rate"] >= 0.95 * TARGET_SUSTAINED_RATE
            note = (f"{sustained['duration_s']:.0f} s at {sustained['rate']:,.0f} opens/s; "
                    "first loss at " + (f"{first_loss:,}/s" if first_loss
                                         else "none of the rates tried"))
            if not reached:
                note += "; the storm did not reach 95% of the rate"
            add("zero loss at 300k events/s sustained", reached and sustained["lost"] == 0,
                sustained["lost"], 0, note)
            us = sustained["us_per_event"]
            add("daemon CPU per event (µs)", us is not None and us <= TARGET_US_PER_EVENT, us,
                TARGET_US_PER_EVENT, f"open storm at {sustained['target_rate']:,}/s, "
                f"{sustained['duration_s']:.0f} s")
    ov = res.get("overhead")
    if ov:
        cfg = ov["configs"]
        limit = max(TARGET_OVERHEAD, TARGET_FLOOR_FACTOR * cfg["floor_record"]["overhead"])
        note = f"3% or 1.5x floor_record's {cfg['floor_record']['overhead']:+.1%}, the larger"
        if not ov["quiet_rounds"]:
            note += "; every round was noisy: not conclusive"
        add("overhead on the CI workload", cfg["tracerd"]["overhead"] <= limit,
            cfg["tracerd"]["overhead"], limit, note)
        targets[-1]["conclusive"] = bool(ov["quiet_rounds"])
        points = cfg["tracerd"]["cpu_overhead"] - cfg["floor_record"]["cpu_overhead"]
        add("CI workload CPU overhead over floor_record's", points <= TARGET_CPU_POINTS_OVER_FLOOR,
            points, TARGET_CPU_POINTS_OVER_FLOOR,
            f"tracerd {cfg['tracerd']['cpu_overhead']:+.1%}, floor_record "
            f"{cfg['floor_record']['cpu_overhead']:+.1%}; in points")
        direct = ov.get("direct")
        if direct:
            d = direct["configs"]
            add("CI workload direct cost over floor_record's (bpf_stats + tracer CPU)",
                direct["points"] <= TARGET_CPU_POINTS_OVER_FLOOR, direct["points"],
                TARGET_CPU_POINTS_OVER_FLOOR,
                f"tracerd {d['tracerd']['share']:.1%} of the workload's CPU, floor_record "
                f"{d['floor_record']['share']:.1%}; in points; a runner's later jobs (its "
                "hash cache kept, as tracerd@.service does)")
        if direct and "points_cold" in direct:
            d = direct["configs"]
            add("the same, a runner's first job (no hash cache: every executable hashed)",
                direct["points_cold"] <= TARGET_CPU_POINTS_OVER_FLOOR, direct["points_cold"],
                TARGET_CPU_POINTS_OVER_FLOOR,
                f"tracerd {d['tracerd_cold']['share']:.1%}, of it hashing "
                f"{d['tracerd_cold']['median_hasher_cpu_s'] or 0:.3f} s; in points")
        bpe = cfg["tracerd"].get("median_bytes_per_event")
        add("bytes per event on disk", bpe is not None and bpe <= TARGET_BYTES_PER_EVENT, bpe,
            TARGET_BYTES_PER_EVENT, "CI workload traces, median over rounds")
    for procs, f in (res.get("flatout") or {}).items():
        lost = f["lost"]["tracerd"]
        add(f"flat-out storm throughput, {procs} procs, of floor_record's",
            f["ratio"] >= TARGET_FLATOUT_FRACTION and lost == 0, f["ratio"],
            TARGET_FLATOUT_FRACTION, f"tracerd {f['rates']['tracerd']:,.0f}/s, floor "
            f"{f['rates']['floor_record']:,.0f}/s; {lost} lost (must be 0)")
    rd = res.get("ready")
    if rd:
        add("start to ready", rd["median_s"] <= TARGET_READY_S, rd["median_s"], TARGET_READY_S,
            f"median of {len(rd['starts_s'])} starts")
    rss = res["memory"]["vmhwm_max_bytes"]
    if rss:
        ring = (res.get("locked") or {}).get("ringbuf_bytes", 16 << 20)
        add("peak RSS (VmHWM)", rss <= TARGET_RSS_BASE + ring, rss, TARGET_RSS_BASE + ring,
            "32 MiB plus the ring buffer; the largest of every tracerd run, before SIGTERM")
    return targets


# --------------------------------------------------------------------------------------
# Output

def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


def mib(b):
    return None if b is None else b / (1 << 20)


def print_overhead(ov):
    p = print
    rounds = ov["rounds"]
    p()
    p(f"Overhead on the CI workload (tmpfs; {len(rounds)} round(s), interleaved; overhead = "
      "median over rounds of wall / that round's baseline, - 1)")
    p(f"  {'config':<14}{'median wall':>12}{'ratio':>8}{'overhead':>10}{'load CPU':>10}"
      f"{'tracer CPU':>12}{'CPU ovh':>9}  walls per round (s)")
    for c in CONFIGS:
        x = ov["configs"][c]
        walls = " ".join(f"{w:.2f}" for w in x["walls_s"])
        p(f"  {c:<14}{x['median_wall_s']:>11.3f}s{x['median_ratio']:>8.3f}"
          f"{x['overhead']:>+10.1%}{x['median_load_cpu_s']:>9.2f}s"
          f"{x['median_tracer_cpu_s']:>11.2f}s{x['cpu_overhead']:>+9.1%}  {walls}")
    p("  (CPU ovh: median over rounds of (load CPU + tracer CPU) / baseline load CPU, - 1)")
    steps = list(ov["configs"]["baseline"]["step_overhead"])
    p(f"  {'per step, median overhead':<28}" + "".join(f"{s:>11}" for s in steps))
    for c in CONFIGS[1:]:
        so = ov["configs"][c]["step_overhead"]
        p(f"    {c:<26}" + "".join(f"{so[s]:>+11.1%}" for s in steps))
    base = [statistics.median(r["runs"]["baseline"]["steps"][s] for r in rounds) for s in steps]
    p(f"    {'baseline, median seconds':<26}" + "".join(f"{b:>11.2f}" for b in base))
    t = ov["configs"]["tracerd"]
    p(f"  tracerd per pass: {t['median_events']:,.0f} events, {t['lost']} lost over all rounds, "
      f"{t['median_bytes_per_event']:.1f} bytes/event, {t['median_us_per_event']:.2f} µs "
      "daemon CPU/event (ready to exit)")
    if t.get("median_hasher_cpu_s") is not None:
        h = t.get("hashes") or {}
        p(f"  hashing (the hasher process, in the daemon CPU above): "
          f"{t['median_hasher_cpu_s'] * 1000:.0f} ms CPU per pass, "
          f"{t['median_hasher_cpu_share']:.0%} of tracerd's; last pass: "
          f"{h.get('computed')} files read, {h.get('cached')} execs from a cache, "
          f"missing {h.get('missing')}")
    for i, r in enumerate(rounds):
        flag = "NOISY" if r["noisy"] else "quiet"
        p(f"  round {i + 1}: {' > '.join(r['order'])}; others used {r['other_cpu_s']:.1f} CPU-s "
          f"+ {r['steal_s']:.1f} s stolen by the hypervisor ({r['other_cpu_cores']:.0%} of a "
          f"CPU) -> {flag}")
    direct = ov.get("direct")
    if direct:
        p(f"  direct cost per pass ({len(direct['passes']['tracerd'])} pass(es) each, bpf_stats "
          f"on; share of the baseline's {direct['baseline_load_cpu_s']:.2f} s workload CPU):")
        for c in DIRECT_CONFIGS:
            if c not in direct["configs"]:
                continue
            x = direct["configs"][c]
            p(f"    {c:<14} BPF programs {x['median_bpf_s']:.3f} s ({x['median_bpf_runs']:,.0f} "
              f"runs) + tracer {x['median_tracer_cpu_s']:.3f} s = {x['share']:.2%}")
        p(f"    tracerd over floor_record: {direct['points'] * 100:+.2f} points (hash cache "
          f"kept); tracerd_cold: {direct.get('points_cold', float('nan')) * 100:+.2f} points")
        for c in DIRECT_CONFIGS:
            progs = sorted((direct["programs"].get(c) or {}).items(), key=lambda kv: -kv[1][1])
            p(f"    {c}, last pass, per program (runs, ns/run): " + ", ".join(
                f"{n} {r:,} {t / r:.0f}" for n, (r, t) in progs if r))
    if any("overhead_quiet_rounds" in x for x in ov["configs"].values()):
        p("  over quiet rounds only: " + ", ".join(
            f"{c} {ov['configs'][c]['overhead_quiet_rounds']:+.1%}" for c in CONFIGS[1:]))


def print_capacity(cap):
    p = print
    p()
    p("Capacity: open/close storm under tracerd (daemon mode, whole machine)")
    p(f"  {'target/s':>9}{'achieved/s':>12}{'secs':>6}{'events':>11}{'lost':>9}"
      f"{'daemon µs/ev':>13}{'bytes/ev':>9}{'storm µs/op':>12}{'HWM MiB':>8}{'anon MiB':>9}"
      f"{'others':>7}")
    p("  (others: CPU used by everybody else plus hypervisor steal, in CPUs; the events "
      "are the whole machine's)")
    rows = list(cap["open"]) + ([cap["sustained"]] if cap["sustained"] else [])
    for r in rows:
        p(f"  {r['target_rate']:>9,.0f}{r['rate']:>12,.0f}{r['elapsed_s']:>6.0f}"
          f"{r['events']:>11,}{r['lost']:>9,}{fmt(r['us_per_event'], '>13.2f')}"
          f"{fmt(r['bytes_per_event'], '>9.1f')}{fmt(r['load_us_per_op'], '>12.2f')}"
          f"{mib(r['vmhwm']):>8.1f}{mib(r['rss_anon']):>9.1f}"
          f"{(r['other_cpu_s'] + r['steal_s']) / r['wall_s']:>7.0%}")
    b = cap["open_baseline"]
    if b:
        p(f"  {b['target_rate']:>9,.0f}{b['rate']:>12,.0f}{b['elapsed_s']:>6.0f}  no tracing: "
          f"storm {b['load_us_per_op']:.2f} µs CPU per open+close, others "
          f"{(b['other_cpu_s'] + b['steal_s']) / b['wall_s']:.0%}")
    p("  first rate with loss: " + (f"{cap['first_loss_rate']:,}/s" if cap["first_loss_rate"]
                                    else "none"))
    e, eb = cap["exec"], cap["exec_baseline"]
    if e and eb:
        def others(r):
            return (r["other_cpu_s"] + r["steal_s"]) / r["wall_s"]

        p(f"  exec storm ({e['procs']} procs, fork+exec /bin/true flat out): "
          f"{eb['rate']:,.0f}/s untraced (others {others(eb):.0%}), {e['rate']:,.0f}/s traced "
          f"(others {others(e):.0%}): {e['rate'] / eb['rate'] - 1:+.1%}; storm CPU per exec "
          f"{eb['load_us_per_op']:.0f} µs untraced, {e['load_us_per_op']:.0f} µs traced")
        p(f"    traced: {e['events']:,} events ({e['events'] / e['ops']:.1f}/exec), "
          f"{e['lost']} lost, {fmt(e['us_per_event'], '.2f')} µs daemon CPU/event, "
          f"{fmt(e['bytes_per_event'], '.1f')} bytes/event")
        if e.get("hasher_cpu_s") is not None:
            h = e.get("hashes") or {}
            p(f"    hashing: {e['hasher_cpu_s'] * 1000:.0f} ms hasher CPU of "
              f"{e['daemon_cpu_s'] * 1000:.0f} ms tracerd CPU in all, for "
              f"{h.get('computed', 0)} files read ({e['hasher_cpu_s'] * 1000 / max(1, h.get('computed', 0)):.1f} ms each) "
              f"and {h.get('cached', 0)} execs answered from a cache (no hasher CPU); "
              f"missing {h.get('missing')}")
    pr = cap.get("profile")
    if pr:
        p()
        p(f"Profile, open storm at 200k/s ({pr['rate']:,.0f}/s achieved): tracerd's BPF programs "
          f"ran {fmt(pr['bpf_ns_per_open'], '.0f')} ns per storm open+close (whole machine; "
          f"bpf_stats {'on' if pr['bpf_stats_enabled'] else 'unavailable'})")
        for name, v in sorted(pr["bpf"].items(), key=lambda kv: -kv[1]["total_s"]):
            p(f"    {name:<24}{v['runs']:>12,} runs {v['ns_per_run']:>8.0f} ns/run "
              f"{v['total_s']:>7.3f} s")
        p(f"  daemon CPU {pr['daemon_cpu_s']:.2f} s; perf samples by object: "
          + "; ".join(pr["perf_by_dso"][:6]))
        p("  daemon hot spots (perf, self time):")
        for line in pr["perf_top"][:15]:
            p(f"    {line}")


def print_flatout(fl):
    p = print
    p()
    p("Flat-out open storms (no pacing; median over rounds; ratio = tracerd / floor_record "
      "in the same round)")
    p(f"  {'procs':>5}{'untraced/s':>12}{'floor/s':>11}{'tracerd/s':>11}{'ratio':>7}"
      f"{'ratios':>20}{'lost fl/td':>12}{'daemon µs/ev':>13}{'others':>7}")
    for procs, f in fl.items():
        r = f["rates"]
        p(f"  {procs:>5}{r['baseline']:>12,.0f}{r['floor_record']:>11,.0f}"
          f"{r['tracerd']:>11,.0f}{f['ratio']:>7.2f}"
          f"{' '.join(f'{x:.2f}' for x in f['ratios']):>20}"
          f"{f['lost']['floor_record']:>6}/{f['lost']['tracerd']:<5}"
          f"{fmt(f['us_per_event'], '>13.2f')}{f['others']:>7.0%}")


def print_breakdown(b):
    p = print
    p()
    p(f"Daemon breakdown at {b['rate']:,.0f} opens/s (build with the stage timer; "
      f"{b['records']:,} records, {b['lost']} lost, others {b['others']:.0%})")
    p(f"  CPU {b['cpu_ns_per_record']:.0f} ns per record ({fmt(b['cpu_us_per_event'], '.2f')} µs "
      f"per event); the stages' wall time {b['timed_ns_per_record']:.0f} ns per record")
    p("  (ns/rec CPU: compress and write by the thread's CPU clock; the rest of the daemon's "
      "CPU shared by the other stages' wall-time shares)")
    p(f"  {'stage':<10}{'share':>7}{'ns/rec wall':>13}{'ns/rec CPU':>12}")
    for n, v in b["stages"].items():
        p(f"  {n:<10}{v['share']:>7.1%}{v['ns_per_record']:>13.0f}{v['cpu_ns_per_record']:>12.0f}")


def print_table(res):
    meta = res["meta"]
    p = print
    p()
    p(f"tracerd benchmark ({meta['mode']}): {meta['tracerd']} ({meta['git']}), kernel "
      f"{meta['kernel']}, {meta['cpus']} CPUs, {meta['date']}, {meta['runtime_s']:.0f} s")
    if meta["other_tracing_progs_at_start"]:
        p(f"note: {meta['other_tracing_progs_at_start']} BPF tracing programs of others were "
          "attached at the start (a shared machine: expect noise)")
    if res.get("overhead"):
        print_overhead(res["overhead"])
    if res.get("capacity"):
        print_capacity(res["capacity"])
    if res.get("flatout"):
        print_flatout(res["flatout"])
    if res.get("breakdown"):
        print_breakdown(res["breakdown"])
    lk, mem, rd = res.get("locked"), res["memory"], res.get("ready")
    p()
    p("Memory and start-up")
    if rd:
        p(f"  start to ready: median {rd['median_s'] * 1000:.0f} ms "
          f"({', '.join(f'{s * 1000:.0f}' for s in rd['starts_s'])} ms)")
    if mem["vmhwm_max_bytes"]:
        p(f"  peak RSS: VmHWM {mib(mem['vmhwm_max_bytes']):.1f} MiB before SIGTERM, "
          f"{mib(mem['vmhwm_exit_max_bytes']):.1f} MiB as it exits; anonymous (heap) at most "
          f"{mib(mem['rss_anon_max_bytes']):.1f} MiB; the rest is mostly the ring buffer, whose "
          "pages libbpf maps twice (RssFile)")
    if lk:
        p(f"  locked kernel memory: ring buffer {mib(lk['ringbuf_bytes']):.0f} MiB; all maps "
          f"{mib(lk['maps_memlock_bytes']):.1f} MiB memlock, programs "
          f"{lk['progs_memlock_bytes'] / 1024:.0f} KiB; idle RssAnon "
          f"{mib(lk['status_idle'].get('RssAnon', 0)):.1f} MiB")
    p()
    p("Targets")
    for t in res["targets"]:
        v, lim = t["value"], t["limit"]
        if "loss" in t["target"]:
            shown = f"{v} lost (limit {lim})"
        elif "overhead" in t["target"]:
            shown = f"{v:+.1%} (limit {lim:.1%})"
        elif "RSS" in t["target"]:
            shown = f"{mib(v):.1f} MiB (limit {mib(lim):.0f} MiB)"
        elif "ready" in t["target"]:
            shown = f"{v * 1000:.0f} ms (limit {lim * 1000:.0f} ms)"
        else:
            shown = f"{fmt(v, '.2f')} (limit {lim})"
        p(f"  {'PASS' if t['pass'] else 'MISS'}  {t['target']}: {shown}  [{t['note']}]")
    for e in res["errors"]:
        p(f"  ERROR {e}")
    p()


def build():
    r = subprocess.run(["make", "-s", "--no-print-directory", "-f", "bench/bench.mk"], cwd=REPO)
    if r.returncode != 0:
        raise BenchError("cannot build the benchmark's programs (bench/bench.mk)")


def preflight():
    if os.geteuid() != 0:
        raise BenchError("the benchmark loads BPF programs and mounts a tmpfs: run it as root")
    if not os.access(TRACERD, os.X_OK):
        raise BenchError(f"{TRACERD} is missing: run make first")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        raise BenchError("this kernel has no BTF (/sys/kernel/btf/vmlinux)")


def main():
    ap = argparse.ArgumentParser(description="tracerd's benchmark: overhead on a CI-like "
                                 "workload, capacity, memory and start-up (bench/README.md)")
    ap.add_argument("--quick", action="store_true", help="one round, short storms (< 90 s)")
    ap.add_argument("--rounds", type=int, help="overhead rounds (default: 3-7 full, 1 quick)")
    ap.add_argument("--budget", type=float, default=BUDGET_S,
                    help="seconds the full run aims to stay within (default %(default)s)")
    ap.add_argument("--profile", action="store_true",
                    help="add the profile of tracerd at 200k opens/s (perf, bpf_stats) to a "
                    "quick run (the full run has it)")
    ap.add_argument("--no-profile", action="store_true", help="leave the profile out")
    ap.add_argument("--tracerd", help="the tracerd binary to measure (default ./tracerd)")
    ap.add_argument("--stages", help="its build with the stage timer (default "
                    "build/bench/stages/tracerd): to compare two builds run after run")
    ap.add_argument("--sections", type=lambda v: v.split(","),
                    help="run only these sections, comma-separated: ready, overhead, "
                    "capacity, flatout, breakdown (default: all)")
    ap.add_argument("--json", default=str(BUILD / "results.json"), help="where to write results")
    ap.add_argument("--print", metavar="RESULTS", dest="print_only",
                    help="print the table of an earlier results.json and exit")
    args = ap.parse_args()
    if args.print_only:
        with open(args.print_only) as f:
            print_table(json.load(f))
        return 0

    # Ctrl-C must reach the cleanup even when started with SIGINT ignored (a script's "&").
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGHUP, _raise_interrupted)
    bench = Bench(args)
    status = 0
    try:
        preflight()
        build()
        bench.setup()
        bench.run()
    except (KeyboardInterrupt, Interrupted):
        log("bench: interrupted, cleaning up")
        status = 130
    except (BenchError, subprocess.CalledProcessError, OSError) as e:
        log(f"bench: {e}")
        status = 1
    finally:
        # A second Ctrl-C must not leave a tracer attached or the tmpfs mounted.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        bench.cleanup()
    if status:
        return status
    print_table(bench.results)
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(bench.results, indent=2) + "\n")
    print(f"results: {out} (total {bench.results['meta']['runtime_s']:.0f} s)")
    return 1 if bench.results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
