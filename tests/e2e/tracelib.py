# SPDX-License-Identifier: GPL-2.0-only
"""
Helpers for the tracerd end-to-end tests: run the real daemon, read and check the trace it
wrote (every line against schemas/, the counts in trace_end, the job id), pick events out
of it, and serve loopback TCP and DNS so that workloads have something to talk to.

Only the Debian system python (3.11), its stdlib and python3-jsonschema (4.10) are used.
"""

import calendar
import gzip
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCHEMA_DIR = REPO / "schemas"
TRACERD = pathlib.Path(os.environ.get("TRACERD", str(REPO / "tracerd")))
PYTHON = "/usr/bin/python3"
SCHEMA_BASE = "https://tracerd.dev/schemas/"

# Emulated guests (make test-kernels: qemu TCG, 10-50x slower) scale these up with
# TRACERD_E2E_TIME_SCALE; they bound a hang. A test that asserts a duration scales its
# bound too, capped below what it tells apart.
TIME_SCALE = float(os.environ.get("TRACERD_E2E_TIME_SCALE", "1"))
TIMEOUT = 60 * TIME_SCALE  # seconds for any one tracerd run
LIVE_TIMEOUT = 30 * TIME_SCALE  # seconds for the pid file to appear in daemon mode

# Lines counted by trace_end.events / by_type (SPEC: not trace_start, events_lost, tamper,
# trace_end).
COUNTED_TYPES = ("process_exec", "process_exit", "net_connect", "dns_query", "file_open",
                 "file_write", "net_listen", "net_accept", "process_access", "io_uring_setup")
EVENT_TYPES = COUNTED_TYPES + ("tamper",)
LINE_TYPES = ("trace_start",) + EVENT_TYPES + ("events_lost", "trace_end")

# Environment for traced workloads: no proxies (curl would connect to them, not to us).
WORKLOAD_ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
# A system PATH: no version-manager shims (pyenv, nvm) between tracerd and the workload.
WORKLOAD_ENV.update(LC_ALL="C.UTF-8",
                    PATH="/usr/sbin:/usr/bin:/sbin:/bin")


class Skip(Exception):
    """The test cannot run here (not root, no BTF, no ./tracerd, a port taken...)."""


# --------------------------------------------------------------------------------------
# Preconditions and the per-session scratch directory

def require_binary():
    if not TRACERD.is_file() or not os.access(TRACERD, os.X_OK):
        raise Skip(f"{TRACERD} is missing or not executable (run make)")


def require_daemon():
    """Everything a real tracing run needs: root, BTF and the binary."""
    if os.geteuid() != 0:
        raise Skip("not root: tracerd needs root to load BPF programs")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        raise Skip("/sys/kernel/btf/vmlinux is missing: the kernel has no BTF")
    require_binary()


_session = {"dir": None, "test": "none", "counter": 0}


def session_dir():
    if _session["dir"] is None:
        _session["dir"] = tempfile.mkdtemp(prefix="tracerd-e2e-")
    return _session["dir"]


def begin_test(name):
    _session["test"] = name


def tmpdir(suffix=""):
    """A fresh directory for one test, resolved (no symlinks) so paths compare exactly."""
    _session["counter"] += 1
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", _session["test"])[:60]
    path = os.path.join(session_dir(), f"{_session['counter']:03d}-{name}{suffix}")
    os.makedirs(path)
    return os.path.realpath(path)


def unique_job_id(tag=None):
    _session["counter"] += 1
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", tag or _session["test"])[:80]
    return f"e2e-{base}-{os.getpid()}-{_session['counter']}"


def py(code):
    """
    argv running a python snippet: isolated mode (no user site, no PYTHON* variables), no
    .pyc written next to tracelib when a snippet imports it.
    """
    return [PYTHON, "-I", "-B", "-c", textwrap.dedent(code)]


# --------------------------------------------------------------------------------------
# Schemas

_validators = {}


def _strict_pattern(pattern):
    """
    ECMA-262 (what JSON Schema means) matches '$' only at the very end; Python's re also
    before a final newline. Rewrite each unescaped '$' outside a class to '\\Z'.
    """
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "$" and not in_class:
            c = r"\Z"
        out.append(c)
        i += 1
    return "".join(out)


def _validator_class():
    from jsonschema import Draft202012Validator, ValidationError, validators

    def pattern(validator, patrn, instance, schema):
        if validator.is_type(instance, "string") and not re.search(_strict_pattern(patrn),
                                                                   instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    return validators.extend(Draft202012Validator, {"pattern": pattern})


def load_schemas():
    """{schema file stem: schema} for every schemas/*.schema.json."""
    schemas = {}
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        with open(path, encoding="utf-8") as f:
            schemas[path.name[:-len(".schema.json")]] = json.load(f)
    return schemas


def validator_for(line_type):
    """A Draft 2020-12 validator for one line type, with every schema in its ref store."""
    if not _validators:
        from jsonschema import RefResolver
        cls = _validator_class()
        schemas = load_schemas()
        store = {s["$id"]: s for s in schemas.values()}
        for name, schema in schemas.items():
            cls.check_schema(schema)
            if name == "common":
                continue
            resolver = RefResolver.from_schema(schema, store=store)
            _validators[name] = cls(schema, resolver=resolver)
    return _validators.get(line_type)


_results = {}
_CANONICAL_TIMESTAMP = "2000-01-01T00:00:00.000000000Z"


def _timestamp_valid(ts):
    if "timestamp" not in _results:
        defn = load_schemas()["common"]["$defs"]["timestamp"]
        _results["timestamp"] = re.compile(_strict_pattern(defn["pattern"]))
    return isinstance(ts, str) and _results["timestamp"].search(ts) is not None


def schema_errors(obj):
    """
    Messages for every way obj breaks its type's schema ([] when valid). Lines that differ
    only in a valid timestamp share one result (the timestamp is checked on its own), so
    that bursts of similar lines validate quickly.
    """
    if not isinstance(obj, dict):
        return ["line is not a JSON object"]
    t = obj.get("type")
    if not isinstance(t, str) or t not in LINE_TYPES:
        return [f"unknown or missing type {t!r}"]
    v = validator_for(t)
    if v is None:
        return [f"no schema for type {t!r} in {SCHEMA_DIR}"]
    key = None
    if _timestamp_valid(obj.get("timestamp")):
        key = json.dumps(dict(obj, timestamp=_CANONICAL_TIMESTAMP), sort_keys=True)
        if key in _results:
            return _results[key]
    errs = []
    for e in sorted(v.iter_errors(obj), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in e.path)
        errs.append(f"{where or '(line)'}: {e.message}")
    if key is not None:
        if len(_results) > 200000:
            _results.clear()
        _results[key] = errs
    return errs


# --------------------------------------------------------------------------------------
# Reading a trace

def _reject_constant(name):
    raise ValueError(f"non-JSON constant {name}")


def _no_duplicate_keys(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate key {k!r}")
        obj[k] = v
    return obj


def parse_jsonl(data, what="trace"):
    """
    Strictly parses JSONL bytes: each line valid UTF-8, valid JSON (no NaN, no duplicate
    keys), an object, and '\\n'-terminated. Returns the list of objects.
    """
    if data and not data.endswith(b"\n"):
        raise AssertionError(f"{what}: last line is not newline-terminated: {data[-200:]!r}")
    lines = []
    for n, raw in enumerate(data.split(b"\n")[:-1] if data else [], 1):
        try:
            text = raw.decode("utf-8")
            obj = json.loads(text, parse_constant=_reject_constant,
                             object_pairs_hook=_no_duplicate_keys)
        except ValueError as e:
            raise AssertionError(f"{what}: line {n} is not valid UTF-8 JSON ({e}): "
                                 f"{raw[:500]!r}") from None
        if not isinstance(obj, dict):
            raise AssertionError(f"{what}: line {n} is not an object: {text[:500]}")
        lines.append(obj)
    return lines


def read_trace_file(path):
    """Decodes a gzip trace (any number of members) into a list of objects."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head != b"\x1f\x8b":
        raise AssertionError(f"{path} is not gzip (starts with {head!r})")
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (EOFError, OSError, gzip.BadGzipFile) as e:
        raise AssertionError(f"{path}: broken gzip stream: {e}") from None
    return parse_jsonl(data, str(path))


def read_complete_members(path):
    """
    Decodes the complete gzip members of a file being written (a live trace): stops
    before a member still being written. Returns the objects of the complete lines.
    """
    import zlib
    with open(path, "rb") as f:
        data = f.read()
    out = b""
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            chunk = d.decompress(data)
        except zlib.error:
            break
        if not d.eof:
            break
        out += chunk
        data = d.unused_data
    return parse_jsonl(out[:out.rfind(b"\n") + 1], f"{path} (live)")


def parse_timestamp(ts):
    """RFC 3339 '...T...123456789Z' to (seconds since the epoch, as a float)."""
    secs = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S"))
    return secs + int(ts[20:29]) / 1e9


def json_type(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def show(lines, limit=60):
    """Lines as compact JSON text for an assertion message."""
    if isinstance(lines, dict):
        lines = [lines]
    lines = list(lines)
    out = []
    for obj in lines[:limit]:
        s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        out.append("    " + (s if len(s) <= 600 else s[:600] + "..."))
    if len(lines) > limit:
        out.append(f"    ... and {len(lines) - limit} more")
    return "\n".join(out) if out else "    (no lines)"


def check_trace(lines, job_id, complete=True, window=None, own_pid=None):
    """trace_problems(), raised as one AssertionError if there are any."""
    problems = trace_problems(lines, job_id, complete, window, own_pid)
    if problems:
        raise AssertionError("trace checks failed:\n  - " + "\n  - ".join(problems))


def trace_problems(lines, job_id, complete=True, window=None, own_pid=None):
    """
    The checks every trace must pass: every line against its schema; trace_start first,
    trace_end last (when complete); job_id on every line; trace_end.events, by_type and
    lost equal to what the file holds; one JSON type per field name across all lines;
    an exec_id never shared by two pids; timestamps inside window (t0, t1) if given; no
    event of tracerd's own pid. Returns the list of problems found.
    """
    problems = []

    def bad(msg, objs=()):
        problems.append(msg + ("\n" + show(objs, 10) if objs else ""))

    for i, obj in enumerate(lines, 1):
        errs = schema_errors(obj)
        if errs:
            bad(f"line {i} breaks the {obj.get('type')} schema: " + "; ".join(errs[:8]),
                [obj])
    if not lines:
        return ["trace is empty"]
    if lines[0].get("type") != "trace_start":
        bad("first line is not trace_start", [lines[0]])
    if sum(1 for o in lines if o.get("type") == "trace_start") != 1:
        bad("trace_start appears more than once")
    ends = [o for o in lines if o.get("type") == "trace_end"]
    if complete:
        if lines[-1].get("type") != "trace_end":
            bad("last line is not trace_end (trace cut short?)", lines[-3:])
        if len(ends) != 1:
            bad(f"{len(ends)} trace_end lines", ends)
    wrong_job = [o for o in lines if o.get("job_id") != job_id]
    if wrong_job:
        bad(f"{len(wrong_job)} lines without job_id {job_id!r}", wrong_job[:5])

    counts = {}
    for o in lines:
        counts[o.get("type")] = counts.get(o.get("type"), 0) + 1
    if ends:
        end = ends[-1]
        events = sum(counts.get(t, 0) for t in COUNTED_TYPES)
        if end.get("events") != events:
            bad(f"trace_end.events is {end.get('events')} but the file has {events} event "
                f"lines (by type: { {t: counts.get(t, 0) for t in COUNTED_TYPES} })", [end])
        by_type = end.get("by_type") if isinstance(end.get("by_type"), dict) else {}
        for t in EVENT_TYPES:
            if by_type.get(t, 0) != counts.get(t, 0) and (t in by_type or t != "tamper"):
                bad(f"trace_end.by_type[{t!r}] is {by_type.get(t)} but the file has "
                    f"{counts.get(t, 0)} {t} lines", [end])
        lost_lines = [o for o in lines if o.get("type") == "events_lost"]
        for o in lost_lines:
            parts = o.get("by_type") if isinstance(o.get("by_type"), dict) else {}
            if sum(v for v in parts.values() if isinstance(v, int)) != o.get("count"):
                bad("events_lost.by_type does not add up to its count", [o])
        lost = sum(o.get("count", 0) for o in lost_lines)
        if end.get("lost") != lost:
            bad(f"trace_end.lost is {end.get('lost')} but events_lost lines add up to {lost}",
                [end] + lost_lines[:5])
        start_ts = lines[0].get("timestamp")
        if isinstance(start_ts, str) and isinstance(end.get("timestamp"), str):
            try:
                span = parse_timestamp(end["timestamp"]) - parse_timestamp(start_ts)
                if span < 0:
                    bad("trace_end is timestamped before trace_start", [lines[0], end])
            except ValueError:
                pass

    types = {}
    for o in lines:
        for k, v in o.items():
            types.setdefault(k, {}).setdefault(json_type(v), o)
    for k, seen in types.items():
        if len(seen) > 1:
            bad(f"field {k!r} has several JSON types: {sorted(seen)}", list(seen.values()))

    pids_of = {}
    for o in lines:
        if "exec_id" in o:
            pids_of.setdefault(o["exec_id"], {}).setdefault(o.get("pid"), o)
    for eid, pids in pids_of.items():
        if len(pids) > 1:
            bad(f"exec_id {eid!r} is used by several pids {sorted(map(str, pids))}",
                list(pids.values()))

    if window:
        t0, t1 = window
        for o in lines:
            try:
                ts = parse_timestamp(o["timestamp"])
            except (KeyError, TypeError, ValueError):
                continue
            if not t0 - 2 <= ts <= t1 + 2:
                bad(f"timestamp {o['timestamp']} is outside the run ("
                    f"{time.strftime('%H:%M:%S', time.gmtime(t0))}-"
                    f"{time.strftime('%H:%M:%S', time.gmtime(t1))} UTC)", [o])
                break

    if own_pid is not None:
        own = [o for o in lines if o.get("pid") == own_pid and o.get("type") in COUNTED_TYPES]
        if own:
            bad(f"{len(own)} events of tracerd's own pid {own_pid} (feedback loop)", own[:10])

    return problems


# --------------------------------------------------------------------------------------
# Picking events

def select(lines, type=None, **match):
    """
    Lines of a type whose fields equal the given values; a callable value is a predicate
    on the field (the field must be present); the value ABSENT requires it to be missing.
    """
    out = []
    for o in lines:
        if type is not None and o.get("type") != type:
            continue
        ok = True
        for k, want in match.items():
            if want is ABSENT:
                ok = k not in o
            elif callable(want):
                ok = k in o and bool(want(o[k]))
            else:
                ok = k in o and o[k] == want
            if not ok:
                break
        if ok:
            out.append(o)
    return out


class _Absent:
    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()


class Checks:
    """
    Soft assertions: collect every failed check of a scenario, then raise once, each with
    the trace lines that explain it.
    """

    def __init__(self, run=None):
        self.failures = []
        self._run = None
        self.run = run

    @property
    def run(self):
        return self._run

    @run.setter
    def run(self, run):
        """The run the checks are about; its trace-wide problems become failures."""
        self._run = run
        if run is not None and not getattr(run, "problems_taken", False):
            run.problems_taken = True
            self.failures += [f"trace check: {p}" for p in run.problems]

    def check(self, cond, msg, lines=None):
        if not cond:
            self.failures.append(msg + ("\n" + show(lines, 20) if lines is not None else ""))
        return bool(cond)

    def one(self, lines, what, type=None, **match):
        """Exactly one line matching; returns it (or None, recording a failure)."""
        found = select(lines, type, **match)
        if len(found) == 1:
            return found[0]
        ctx = select(lines, type) if type else lines
        self.failures.append(f"expected exactly one {what}, found {len(found)}"
                             + ("" if found else f"; all {type or ''} lines:")
                             + "\n" + show(found or ctx, 30))
        return None

    def some(self, lines, what, type=None, **match):
        found = select(lines, type, **match)
        if not found:
            ctx = select(lines, type) if type else lines
            self.failures.append(f"expected at least one {what}, found none; all "
                                 f"{type or ''} lines:\n" + show(ctx, 30))
        return found

    def fields(self, obj, what, **expected):
        """Each field of obj equal to the value given (ABSENT: missing; callable: predicate)."""
        if obj is None:
            return
        for k, want in expected.items():
            if want is ABSENT:
                self.check(k not in obj, f"{what}: {k} should be absent", [obj])
            elif callable(want):
                self.check(k in obj and want(obj[k]),
                           f"{what}: {k} = {obj.get(k, 'MISSING')!r} fails "
                           f"{getattr(want, '__doc__', None) or 'the check'}", [obj])
            else:
                self.check(obj.get(k, ABSENT) == want,
                           f"{what}: {k} = {obj.get(k, 'MISSING')!r}, expected {want!r}",
                           [obj])

    def done(self):
        if self.failures:
            extra = ""
            if self.run is not None:
                extra = "\n" + self.run.describe()
            raise AssertionError(f"{len(self.failures)} check(s) failed:\n- "
                                 + "\n- ".join(self.failures) + extra)


def pred(fn, doc):
    """A predicate with a description for Checks.fields messages."""
    fn.__doc__ = doc
    return fn


# --------------------------------------------------------------------------------------
# Running tracerd

class Run:
    """One finished tracerd run: exit status, output streams, trace lines."""

    def __init__(self, argv, proc_pid, returncode, stdout, stderr, out_path, job_id, t0, t1):
        self.argv = argv
        self.pid = proc_pid
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.out_path = out_path
        self.job_id = job_id
        self.window = (t0, t1)
        self.lines = []
        self.problems = []  # trace-wide check failures, reported through Checks

    def describe(self):
        err = self.stderr.decode("utf-8", "replace")
        if len(err) > 2000:
            err = err[:1000] + "\n...\n" + err[-1000:]
        return (f"  tracerd argv: {self.argv!r}\n  exit status: {self.returncode}, pid "
                f"{self.pid}, trace: {self.out_path}\n  stderr:\n"
                + textwrap.indent(err or "(empty)", "    "))

    def select(self, type=None, **match):
        return select(self.lines, type, **match)

    def exec_of(self, **match):
        return select(self.lines, "process_exec", **match)


def read_and_check(run, complete=True, own_pid=None):
    """
    Reads the trace of a run (an unreadable one fails at once) and records in
    run.problems what trace_problems() finds, and a world-accessible file: the Checks
    made on the run report them along with the scenario's own failures.
    """
    run.problems = []
    if run.out_path == "-":
        data = run.stdout
        run.lines = parse_jsonl(data, "stdout")
    else:
        if not os.path.exists(run.out_path):
            raise AssertionError(f"no trace file {run.out_path}\n" + run.describe())
        mode = os.lstat(run.out_path).st_mode
        if mode & 0o006:
            run.problems.append(f"trace file {run.out_path} is world-accessible "
                                f"(mode {mode & 0o777:o})")
        try:
            run.lines = read_trace_file(run.out_path)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{run.describe()}") from None
    run.problems += trace_problems(run.lines, run.job_id, complete=complete,
                                   window=run.window, own_pid=own_pid)
    run.problems += _machine_problems(run)


def _machine_problems(run):
    """trace_start describes this machine and tracerd; trace_end's duration fits the run."""
    problems = []
    start = run.lines[0] if run.lines and run.lines[0].get("type") == "trace_start" else {}
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot_id = f.read().strip()
    for field, want in (("hostname", socket.gethostname()), ("kernel", os.uname().release),
                        ("boot_id", boot_id)):
        if start and start.get(field) != want:
            problems.append(f"trace_start.{field} is {start.get(field)!r}, this machine's is "
                            f"{want!r}\n" + show(start))
    if start and "version" not in _machine:
        _machine["version"] = run_plain([str(TRACERD), "--version"])[1]
    if start and str(start.get("version")).encode() not in _machine.get("version", b""):
        problems.append(f"trace_start.version {start.get('version')!r} is not in tracerd "
                        f"--version's output {_machine['version'][:100]!r}")
    ends = [o for o in run.lines[-1:] if o.get("type") == "trace_end"]
    span_ns = (run.window[1] - run.window[0] + 2) * 1e9
    for end in ends:
        if not 0 < end.get("duration_ns", 0) <= span_ns:
            problems.append(f"trace_end.duration_ns {end.get('duration_ns')} is not within "
                            f"the run's {span_ns / 1e9:.1f} s\n" + show(end))
    return problems


_machine = {}


def run_tracerd(command, *, job_id=None, out=None, cwd=None, options=(), env=None,
                timeout=TIMEOUT, expect_rc=0, check=True, input_bytes=None):
    """
    Runs ./tracerd --job-id ID --out OUT [options] -- COMMAND... to completion and returns
    a Run. expect_rc: the exit status required (None: any). check: read the trace and run
    check_trace() on it (skipped when tracerd failed as expected_rc allows).
    """
    require_daemon()
    job_id = job_id or unique_job_id()
    if out is None:
        out = os.path.join(tmpdir("-out"), f"{job_id}.jsonl.gz")
    argv = [str(TRACERD), "--job-id", job_id, "--out", out, *options]
    if command is not None:
        argv += ["--", *command]
    t0 = time.time()
    proc = subprocess.Popen(argv, cwd=cwd, env=env or WORKLOAD_ENV, stdin=subprocess.PIPE
                            if input_bytes is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = proc.communicate(input_bytes, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        run = Run(argv, proc.pid, None, stdout, stderr, out, job_id, t0, time.time())
        raise AssertionError(f"tracerd did not finish within {timeout}s\n" + run.describe())
    run = Run(argv, proc.pid, proc.returncode, stdout, stderr, out, job_id, t0, time.time())
    if expect_rc is not None and proc.returncode != expect_rc:
        raise AssertionError(f"tracerd exited {proc.returncode}, expected {expect_rc}\n"
                             + run.describe())
    if check:
        read_and_check(run)
    return run


def run_plain(argv, *, cwd=None, timeout=TIMEOUT, env=None):
    """Runs tracerd (or anything) without tracing expectations: (rc, stdout, stderr)."""
    p = subprocess.run(argv, cwd=cwd, env=env or WORKLOAD_ENV, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class Daemon:
    """tracerd without a command: whole-machine tracing until SIGTERM."""

    def __init__(self, options=(), job_id=None, out=None):
        require_daemon()
        self.job_id = job_id or unique_job_id()
        d = tmpdir("-daemon")
        self.out = out or os.path.join(d, f"{self.job_id}.jsonl.gz")
        self.pid_file = os.path.join(d, "tracerd.pid")
        self.argv = [str(TRACERD), "--job-id", self.job_id, "--out", self.out,
                     "--pid-file", self.pid_file, *options]
        self.errf = open(os.path.join(d, "stderr"), "w+b")
        self.t0 = time.time()
        self.proc = subprocess.Popen(self.argv, env=WORKLOAD_ENV, stdin=subprocess.DEVNULL,
                                     stdout=self.errf, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.run = None

    def stderr(self):
        self.errf.seek(0)
        return self.errf.read()

    def describe(self):
        return Run(self.argv, self.pid, self.proc.returncode, b"", self.stderr(), self.out,
                   self.job_id, self.t0, time.time()).describe()

    def wait_live(self, timeout=LIVE_TIMEOUT):
        """Waits for the pid file (tracing is live); returns its contents."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("tracerd exited before writing its pid file\n"
                                     + self.describe())
            try:
                with open(self.pid_file) as f:
                    text = f.read()
                if text.endswith("\n") or text.strip():
                    return text
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"no pid file {self.pid_file} after {timeout}s\n" + self.describe())

    def stop(self, sig=signal.SIGTERM, timeout=TIMEOUT, check=True):
        """Signals tracerd, waits for it, reads and checks the trace; returns the Run."""
        self.proc.send_signal(sig)
        return self.wait(f"signal {sig}", timeout, check)

    def wait(self, what="its stop", timeout=TIMEOUT, check=True):
        """Waits for tracerd to exit 0 (someone else stopped it); returns the checked Run."""
        sig = what
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"tracerd still running {timeout}s after {sig}\n"
                                 + self.describe()) from None
        self.run = Run(self.argv, self.pid, rc, b"", self.stderr(), self.out, self.job_id,
                       self.t0, time.time())
        if rc != 0:
            raise AssertionError(f"tracerd exited {rc} after {sig}, expected 0\n"
                                 + self.run.describe())
        if check:
            read_and_check(self.run, own_pid=self.pid)
        return self.run

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        self.errf.close()


# --------------------------------------------------------------------------------------
# Loopback servers

def free_port(family=socket.AF_INET, host="127.0.0.1", kind=socket.SOCK_STREAM):
    """A port nobody listens on right now (bound then released)."""
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class TCPServer(threading.Thread):
    """
    A tiny HTTP/1.0 server on a loopback address and an ephemeral port: reads the request
    head, answers 200 "ok\\n", closes. Use as a context manager; .port, .accepted.
    """

    def __init__(self, host="127.0.0.1", port=0):
        super().__init__(daemon=True)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.accepted += 1
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                                 b"Content-Length: 3\r\nConnection: close\r\n\r\nok\n")
                except OSError:
                    pass

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self._halt.set()
        self.join(5)
        self.sock.close()


# DNS

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
          "SRV": 33, "HTTPS": 65}


def dns_query(name, qtype="A", qid=0x1234, edns=False):
    """A DNS query message (RD set) for name and a qtype mnemonic or number."""
    code = QTYPES[qtype] if isinstance(qtype, str) else qtype
    qname = b"".join(bytes([len(l)]) + l for l in name.encode("ascii").split(b".") if l)
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    msg += qname + b"\x00" + struct.pack("!HH", code, 1)
    if edns:
        msg += b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return msg


def dns_parse_question(msg):
    """(id, name, qtype code, offset after the question) of a message, or None."""
    try:
        qid, _flags, qd = struct.unpack("!HHH", msg[:6])
        if qd < 1:
            return None
        i, labels = 12, []
        while True:
            n = msg[i]
            if n == 0:
                i += 1
                break
            if n & 0xC0:
                return None
            labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        qtype, _qclass = struct.unpack("!HH", msg[i:i + 4])
        return qid, ".".join(labels), qtype, i + 4
    except (IndexError, struct.error):
        return None


class DNSResponder:
    """
    A DNS server on a loopback address, port 53 (tracerd recognizes DNS by port 53), UDP
    and TCP: A queries get A_ADDR, AAAA queries AAAA_ADDR, anything else an empty
    NOERROR. Records (protocol, name, qtype) of each query in .queries.
    """

    A_ADDR = "127.0.0.42"
    AAAA_ADDR = "::1"
    CANDIDATES = ("127.0.0.153", "127.0.0.154", "127.0.0.155", "127.0.0.156")

    def __init__(self):
        require_daemon()  # skip for the real reason before trying port 53
        self.queries = []
        self._halt = threading.Event()
        errors = []
        for addr in self.CANDIDATES:
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                udp.bind((addr, 53))
                tcp.bind((addr, 53))
                tcp.listen(16)
            except OSError as e:
                errors.append(f"{addr}:53: {e}")
                udp.close()
                tcp.close()
                continue
            self.addr, self.udp, self.tcp = addr, udp, tcp
            break
        else:
            raise Skip("cannot bind a DNS responder on port 53 of a loopback address: "
                       + "; ".join(errors))
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        self.threads = [threading.Thread(target=self._serve_udp, daemon=True),
                        threading.Thread(target=self._serve_tcp, daemon=True)]

    def addresses(self, name, qtype):
        """The answer's addresses (packed) for a query: one fixed address per type."""
        if qtype == 1:
            return [socket.inet_pton(socket.AF_INET, self.A_ADDR)]
        if qtype == 28:
            return [socket.inet_pton(socket.AF_INET6, self.AAAA_ADDR)]
        return []

    def answer(self, msg):
        q = dns_parse_question(msg)
        if q is None:
            return None
        qid, name, qtype, end = q
        rdatas = self.addresses(name, qtype)
        rd = struct.unpack("!H", msg[2:4])[0] & 0x0100
        head = struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, len(rdatas), 0, 0)
        body = msg[12:end]
        for r in rdatas:
            body += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(r)) + r
        return head + body, (name, qtype)

    def _serve_udp(self):
        while not self._halt.is_set():
            try:
                msg, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            a = self.answer(msg)
            if a:
                self.queries.append(("udp",) + a[1])
                self.udp.sendto(a[0], peer)

    def _serve_tcp(self):
        while not self._halt.is_set():
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            with conn:
                conn.settimeout(2)
                try:
                    while True:
                        head = conn.recv(2, socket.MSG_WAITALL)
                        if len(head) < 2:
                            break
                        n = struct.unpack("!H", head)[0]
                        msg = conn.recv(n, socket.MSG_WAITALL)
                        a = self.answer(msg)
                        if not a:
                            break
                        self.queries.append(("tcp",) + a[1])
                        conn.sendall(struct.pack("!H", len(a[0])) + a[0])
                except OSError:
                    pass

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._halt.set()
        for t in self.threads:
            t.join(5)
        self.udp.close()
        self.tcp.close()


def cleanup_session(keep):
    d = _session["dir"]
    if d and not keep:
        shutil.rmtree(d, ignore_errors=True)
    return d


def log(msg):
    print(msg, file=sys.stderr, flush=True)
