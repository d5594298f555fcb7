# SPDX-License-Identifier: GPL-2.0-only
"""
Reliability and security: what a trace still holds after kill -9, a clean stop by every
stop signal, exact loss accounting with a tiny ring buffer, a disk that fills up, hostile
process names, arguments and paths, hostile command lines and output paths, and the
privileges tracerd keeps once tracing is live.

Interpretations made here (SPEC.md and README.md are not explicit):
- "Complete gzip members at least every --flush-interval": an event is in the file,
  readable, within two flush intervals plus one 100 ms drain tick of happening.
- Disk full: one message naming the cause when the first write fails; a closing line at
  exit saying the trace is incomplete is allowed as well (a different fact).
- U+FFFD replacement follows Python's bytes.decode("utf-8", "replace") (the Unicode
  "maximal subpart" practice), as the existing exec tests do.
"""

import os
import signal
import stat
import subprocess
import time
import uuid

import reliabilitylib as rl
import tracelib
from tracelib import ABSENT, Checks, pred

TICK_S = 0.1  # tracerd drains the ring buffer at least this often (daemon.c TICK_MS)


# ======================================================================================
# 1. Crash safety and clean stops


def test_crash_kill9_keeps_flushed_events():
    # Markers opened every 20 ms for 1.5 s, the file sampled all along, then kill -9:
    # every marker older than two flush intervals (plus a drain tick) must be readable,
    # member by member, each complete member made of whole valid JSON lines.
    flush_ms = 200
    margin = 2 * flush_ms / 1000 + TICK_S
    with tracelib.Daemon(options=["--flush-interval", str(flush_ms)]) as dm:
        dm.wait_live()
        d = tracelib.tmpdir()
        markers, sizes = [], []
        end = time.time() + 1.5
        i = 0
        while time.time() < end:
            path = os.path.join(d, f"crash-marker-{i:04d}")
            markers.append((time.time(), path))
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            sizes.append((time.time(), os.stat(dm.out).st_size))
            i += 1
            time.sleep(0.02)
        killed_at = time.time()
        os.kill(dm.pid, signal.SIGKILL)
        dm.proc.wait(10)
        describe = dm.describe()
    c = Checks()
    lines, problems = rl.member_problems(dm.out)
    for p in problems:
        c.failures.append(f"after kill -9: {p}")
    c.check(lines and lines[0].get("type") == "trace_start",
            "the recovered trace does not start with trace_start", lines[:1])
    c.check(not [o for o in lines if o.get("type") == "trace_end"],
            "trace_end in a trace killed with SIGKILL")
    # Every recovered line parsed above; the schema check is kept to this test's own lines
    # (the whole machine is traced: another workload can make the file huge).
    ours = [o for o in lines if o.get("pid") == os.getpid()
            or o.get("type") in ("trace_start", "events_lost")]
    c.failures += [f"recovered lines: {p}" for p in
                   tracelib.trace_problems(ours, dm.job_id, complete=False)]
    seen = {o.get("path") for o in lines if o.get("type") == "file_open"}
    due = [p for t, p in markers if t < killed_at - margin]
    missing = [p for p in due if p not in seen]
    c.check(not missing, f"{len(missing)} of {len(due)} markers opened more than {margin:.1f} s "
            f"before kill -9 are not in the file (flush interval {flush_ms} ms); first "
            f"missing: {missing[:3]}")
    # The file grows while events keep coming: never a gap longer than the same margin.
    growth = [t for (t, s), (_, prev) in zip(sizes[1:], sizes) if s != prev]
    gaps = [b - a for a, b in zip(growth, growth[1:])]
    c.check(growth and max(gaps or [0]) <= margin + 0.1,
            f"the file did not grow at least every {margin + 0.1:.1f} s under a steady "
            f"workload: growth at {len(growth)} samples, longest gap "
            f"{max(gaps or [0]):.2f} s")
    rc, data, err = rl.gunzip_command(dm.out)
    members = rl.gzip_members(dm.out)
    if members and members[-1].complete:
        c.check(rc == 0, f"gzip -dc failed on a file of complete members: {err!r}")
    c.check(data[:data.rfind(b"\n") + 1] == b"".join(m.data for m in members if m.complete),
            "gzip -dc and member-by-member decoding disagree")
    if c.failures:
        c.failures.append(describe)
    c.done()


def test_clean_stop_drains_everything():
    # The flush interval is an hour: only the stop itself can write the events. A marker
    # opened just before each stop signal must be in the file, followed by trace_end.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        with tracelib.Daemon(options=["--flush-interval", "3600000"]) as dm:
            dm.wait_live()
            marker = os.path.join(tracelib.tmpdir(), f"stop-{sig.name}-{uuid.uuid4().hex}")
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600))
            size_before = os.stat(dm.out).st_size
            run = dm.stop(sig)
        c = Checks(run)
        c.check(size_before == 0, f"{sig.name}: {size_before} bytes written before the stop "
                "with a flush interval of an hour")
        c.one(run.lines, f"file_open of the marker opened just before {sig.name}",
              "file_open", path=marker)
        c.check(run.lines[-1].get("type") == "trace_end", f"{sig.name}: no trace_end last")
        c.check(not os.path.exists(dm.pid_file), f"{sig.name}: pid file left behind")
        c.done()
    # -- COMMAND: the command's exit ends the trace with the same drain.
    d = tracelib.tmpdir()
    marker = os.path.join(d, "last-act")
    run = tracelib.run_tracerd(["sh", "-c", f": > {marker}; exit 4"], expect_rc=4,
                               options=["--flush-interval", "3600000"])
    c = Checks(run)
    c.one(run.lines, "file_open of the command's last act", "file_open", path=marker)
    c.done()


# ======================================================================================
# 2. Loss accounting


def test_loss_accounting_exact_per_type():
    # A 64 KiB ring buffer and 4 workers opening one file 10000 times each, all at once
    # after a barrier (their own start-up opens drained before it). Per type, the lines
    # in the file plus the losses reported equal what the workload did, exactly.
    workers, each = 4, 10000
    d = tracelib.tmpdir()
    target = os.path.join(d, "storm.txt")
    open(target, "w").close()
    script = f"""
        import os, time
        r, w = os.pipe()
        pids = []
        for _ in range({workers}):
            pid = os.fork()
            if pid == 0:
                os.close(w)
                os.read(r, 1)
                for _ in range({each}):
                    os.close(os.open({target!r}, os.O_RDONLY))
                os._exit(0)
            pids.append(pid)
        os.close(r)
        time.sleep(0.5)
        t0 = time.time()
        os.write(w, b"x" * {workers})
        for pid in pids:
            os.waitpid(pid, 0)
        t1 = time.time()
        time.sleep(0.5)
        print(t0, t1, flush=True)
    """
    run = tracelib.run_tracerd(tracelib.py(script), options=["--ring-buffer-kb", "64"])
    c = Checks(run)
    t0, t1 = (float(x) for x in run.stdout.split())
    lost_lines = run.select("events_lost")
    lost = {}
    for o in lost_lines:
        for k, v in o["by_type"].items():
            lost[k] = lost.get(k, 0) + v
    early = [o for o in lost_lines if tracelib.parse_timestamp(o["timestamp"]) < t0 - 0.05
             and "file_open" in o["by_type"]]
    c.check(not early, "file_open records lost before the storm began: the per-path count "
            "below cannot be exact (start-up overflowed the ring buffer)", early)
    py_exec = run.select("process_exec")
    exits = run.select("process_exit")
    storm = run.select("file_open", path=target)
    expect = {"file_open": (len(storm), workers * each),
              "process_exec": (len(py_exec), 1),
              "process_exit": (len(exits), workers + 1)}
    for t, (seen, want) in expect.items():
        c.check(seen + lost.get(t, 0) == want,
                f"{t}: {seen} lines + {lost.get(t, 0)} reported lost != {want} done",
                lost_lines + run.lines[-1:])
    c.check(not lost.get("decode_error") and not lost.get("write_error"),
            f"losses of the daemon's own making: {lost}", lost_lines)
    if lost:
        # Written as soon as seen: before the workload's parent, which waits 0.5 s, exits.
        parent_exit = [i for i, o in enumerate(run.lines) if o.get("type") == "process_exit"
                       and py_exec and o.get("pid") == py_exec[0]["pid"]]
        first_lost = next(i for i, o in enumerate(run.lines) if o.get("type") == "events_lost")
        c.check(parent_exit and first_lost < parent_exit[0],
                "events_lost was only written after the workload ended (at trace end?), "
                "not as soon as the loss was seen", lost_lines[:3])
    tracelib.log(f"    loss accounting: {len(storm)} storm opens written, lost {lost or 'none'}"
                 f", storm took {t1 - t0:.2f} s")
    c.done()


# ======================================================================================
# 3. Disk full

_SPAM = """
    import os, sys, time
    filler, go, miss, final = sys.argv[1:5]
    def spam(seconds):
        end = time.time() + seconds
        while time.time() < end:
            for _ in range(100):
                try:
                    os.open(os.path.join(miss, os.urandom(100).hex()), os.O_RDONLY)
                except OSError:
                    pass
    deadline = time.time() + 40
    while not os.path.exists(go) and time.time() < deadline:
        spam(0.05)
    if filler != "-":
        os.unlink(filler)
    os.close(os.open(final, os.O_WRONLY | os.O_CREAT, 0o600))
    time.sleep(0.5)
    sys.exit(0 if filler != "-" else 3)
"""


def _disk_full(free_space_later):
    # 128 KiB are left free, so the disk fills up within the first thousand lines. The
    # filler is large (16 MiB) for a reason: when it is unlinked the daemon is still behind
    # the spam (its lines of the last 50-100 ms, about 1 MiB compressed, are still in the
    # ring buffer) and writes them before the marker's line; freeing only a few hundred KiB
    # filled the disk again with that backlog, and the marker was lost (counted, in order).
    c = Checks()
    filler_size = 16 << 20
    with rl.Tmpfs(f"{(filler_size >> 10) + 128}k") as fs:
        d = tracelib.tmpdir()
        filler = os.path.join(fs.path, "filler")
        with open(filler, "wb") as f:
            f.write(os.urandom(filler_size))
        out = os.path.join(fs.path, "trace.jsonl.gz")
        go = os.path.join(d, "go")
        final = os.path.join(d, f"final-{uuid.uuid4().hex}")
        cmd = tracelib.py(_SPAM) + [filler if free_space_later else "-", go,
                                     os.path.join(d, "missing"), final]
        with rl.SteeredRun(cmd, out, options=["--flush-interval", "100"]) as sr:
            full = sr.wait_stderr(b"cannot write", timeout=40)
            open(go, "w").close()
            run = sr.finish()
        c.run = run
        c.check(full, "tracerd never said it could not write, though the tmpfs filled up")
        want_rc = 0 if free_space_later else 3
        c.check(run.returncode == want_rc, f"exit status {run.returncode}, expected the "
                f"command's {want_rc}")
        messages = [l for l in run.stderr.decode(errors="replace").splitlines()
                    if l.startswith("tracerd:")]
        cause = [l for l in messages if "No space left" in l]
        c.check(len(cause) == 1, f"expected one message naming the cause (ENOSPC), got "
                f"{len(cause)}: {messages}")
        c.check(len(messages) <= (1 if free_space_later else 2),
                f"more messages than one error (and a closing line): {messages}")
        lines, problems = rl.member_problems(out)
        c.failures += [f"file after ENOSPC: {p}" for p in problems]
        c.check(all(m.complete for m in rl.gzip_members(out)),
                "the file does not end at a member boundary after the write errors")
        c.check(lines and lines[0].get("type") == "trace_start",
                "trace_start did not survive", lines[:1])
        # Once written, trace_end and the events_lost lines must describe the file as it
        # is: lines dropped by a failed write are losses, not events.
        ended = any(o.get("type") == "trace_end" for o in lines)
        c.check(ended or not free_space_later, "no trace_end although space came back")
        c.failures += [f"trace: {p}" for p in tracelib.trace_problems(
            lines, run.job_id, complete=ended)]
        written = [o for o in lines if o.get("type") == "file_open"]
        c.check(len(written) > 100, f"only {len(written)} file_open lines before the disk "
                "filled up")
        lost = {}
        for o in lines:
            if o.get("type") == "events_lost":
                for k, v in o["by_type"].items():
                    lost[k] = lost.get(k, 0) + v
        if free_space_later:
            c.check(lost.get("write_error", 0) > 0, f"no write_error counted once space came "
                    f"back: losses {lost}", [o for o in lines if o.get("type") == "events_lost"])
            # Space came back and stays: the marker opened after the unlink is written.
            marker = [o for o in lines if o.get("type") == "file_open" and o.get("path") == final]
            c.check(len(marker) == 1, f"the marker opened once space was back: {len(marker)} "
                    "lines", [o for o in lines if o.get("type") == "events_lost"])
    c.done()


def test_disk_full_then_space_back():
    _disk_full(free_space_later=True)


def test_disk_full_to_the_end():
    _disk_full(free_space_later=False)


# ======================================================================================
# 4. Hostile process data

HOSTILE_NAMES = [
    b'\xff\xfe"\\\n\r\t',               # not UTF-8, quote, backslash, newlines, tab
    b"sshd",                             # impersonation: comm says sshd, exe says python
    b"ab\x00cd",                         # NUL inside: the kernel keeps "ab"
    b"a" * 14 + "\u00e9".encode(),      # 16 bytes: cut to 15, inside the '\xc3\xa9'
    b"\x01\x02\x1b[31m\x7f",             # control characters, an ANSI escape
    b"\xed\xa0\x80x\xc0\xafy",           # a UTF-16 surrogate and an overlong '/'
    b"\xf4\x90\x80\x80\xf8\x88\x80\x80",  # beyond U+10FFFF, a 5-byte form
    "\u6f22\u5b57\u30ab\u30ca\u2028".encode(),  # CJK cut at 15 bytes, U+2028
    b'{"type":"x"}',                     # a JSON object as a name
]


def test_hostile_comm_names():
    # A process renames itself (prctl PR_SET_NAME) again and again, opening a marker after
    # each rename: every line is valid JSON, comm is the kernel's name (invalid UTF-8 as
    # U+FFFD), and exe/exec_id still name the real program whatever comm pretends.
    d = tracelib.tmpdir()
    code = f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        for i, name in enumerate({HOSTILE_NAMES!r}):
            assert libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0) == 0
            buf = ctypes.create_string_buffer(17)
            libc.prctl(16, buf, 0, 0, 0)
            with open(os.path.join({d!r}, "name-%d" % i), "wb") as f:
                f.write(buf.value)
    """
    run = tracelib.run_tracerd(tracelib.py(code))
    c = Checks(run)
    py = c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    for i, name in enumerate(HOSTILE_NAMES):
        path = os.path.join(d, f"name-{i}")
        with open(path, "rb") as f:
            kernel_name = f.read()
        o = c.one(run.lines, f"file_open after renaming to {name!r}", "file_open", path=path)
        c.fields(o, f"name {name!r}", comm=kernel_name.decode("utf-8", "replace"))
        if o and py:
            c.fields(o, f"name {name!r}", exec_id=py["exec_id"], pid=py["pid"])
    if py:
        c.fields(py, "python exec", exe=pred(lambda e: os.path.basename(e).startswith(
            "python3"), "the real python binary"))
        ex = c.one(run.lines, "process_exit of the renamed python", "process_exit",
                   exec_id=py["exec_id"])
        c.fields(ex, "exit of the renamed python", comm=pred(lambda s: s.startswith("{"),
                                                             "the last name"))
    c.done()


def test_hostile_exec_disguise():
    # A binary run through a symlink named like a system daemon, with argv[0] set to a
    # kernel thread's name: filename and args say what was asked, exe what really ran.
    d = tracelib.tmpdir()
    link = os.path.join(d, "sshd")
    os.symlink("/bin/sleep", link)
    code = f"""
        import os
        pid = os.fork()
        if pid == 0:
            os.execv({link!r}, ["[kworker/0:1-events]", "0"])
        os.waitpid(pid, 0)
    """
    run = tracelib.run_tracerd(tracelib.py(code))
    c = Checks(run)
    ex = c.one(run.lines, "process_exec of the disguised sleep", "process_exec", filename=link)
    c.fields(ex, "disguised exec", exe=os.path.realpath("/bin/sleep"), comm="sshd",
             args=["[kworker/0:1-events]", "0"])
    c.done()


# Every class of bytes a JSON writer or UTF-8 decoder can get wrong.
HOSTILE_ARGS = [
    b"", b" ", b'"', b"\\", b'\\"', b"\\u0000", b"</script>", b"\n", b"\r\n",
    bytes(range(1, 32)) + b"\x7f",
    b"\x80", b"\xbf\x80", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xed\xa0\x80\xed\xb0\x80",
    b"\xf0\x80\x80\x80", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xfc\x80\x80\x80\x80\x80",
    b"\xfe\xff", b"ok\xe2\x82", b"ok\xf0\x9f\x98", b"\xef\xbb\xbfbom", "\ufffe\uffff".encode(),
    "\u2028\u2029".encode(), "\U0001f600 \u00e9 \u6f22".encode(), b"x" * 4000 + b"\xff",
]


def test_hostile_args():
    argv = [b"/bin/true"] + HOSTILE_ARGS
    run = tracelib.run_tracerd(argv)
    c = Checks(run)
    ex = c.one(run.lines, "process_exec of /bin/true", "process_exec", filename="/bin/true")
    c.fields(ex, "hostile argv", args=[a.decode("utf-8", "replace") for a in argv],
             args_truncated=ABSENT)
    c.done()


def test_hostile_100000_arguments():
    # 100 000 one-byte arguments (200 000 bytes of argv, within ARG_MAX): the line stays
    # valid, args is argv's head and says it was cut.
    argv = ["/bin/true"] + ["a"] * 100000
    run = tracelib.run_tracerd(argv)
    c = Checks(run)
    ex = c.one(run.lines, "process_exec of /bin/true", "process_exec", filename="/bin/true")
    if ex:
        got = ex["args"]
        c.check(ex.get("args_truncated") is True, "args not marked truncated", [ex])
        c.check(got[0] == "/bin/true" and all(a in ("a", "") for a in got[1:]),
                "args is not argv's head", [dict(ex, args=got[:5] + ["..."])])
        size = sum(len(a) + 1 for a in got)
        c.check(size >= 24576 - 2, f"args cut after {size} bytes, before the 24 KiB limit",
                [dict(ex, args=got[:5])])
        c.one(run.lines, "process_exit of /bin/true", "process_exit", exec_id=ex["exec_id"],
              exit_code=0)
    c.done()


def test_hostile_paths():
    # Files whose names are not UTF-8 or hold control characters, quotes and newlines,
    # opened successfully, failing, relative to a cwd just as hostile, and a 4095-byte
    # path (PATH_MAX with its NUL) of such components.
    d = tracelib.tmpdir().encode()
    names = [b'q"uo\\te\n', b"\xff\xfe", b"\x01\x1b[2J", b"tab\tcr\r", b"\xed\xa0\x80"]
    cwd = os.path.join(d, b"cwd\xc3\x28\n")
    os.mkdir(cwd)
    made = []
    for n in names:
        p = os.path.join(d, n)
        open(p, "w").close()
        made.append(p)
    comp = b"\xff" * 200
    deep = d
    while len(deep) + 1 + len(comp) + 1 + 200 <= 4095:
        deep = os.path.join(deep, comp)
    os.makedirs(deep)
    longest = os.path.join(deep, b"z" * (4095 - len(deep) - 1))
    assert len(longest) == 4095
    open(longest, "w").close()
    code = f"""
        import os
        for p in {made + [longest]!r}:
            os.close(os.open(p, os.O_RDONLY))
        for n in {names!r}:
            try:
                os.open(n + b"-missing", os.O_RDONLY)
            except OSError:
                pass
    """
    run = tracelib.run_tracerd(tracelib.py(code), cwd=cwd)
    c = Checks(run)
    for p in made + [longest]:
        want = p.decode("utf-8", "replace")
        o = c.one(run.lines, f"file_open of {p[-60:]!r}", "file_open", path=want)
        c.fields(o, f"open of {p[-40:]!r}", ret=pred(lambda r: r >= 0, ">= 0"),
                 path_truncated=ABSENT)
    for n in names:
        want = os.path.join(cwd, n + b"-missing").decode("utf-8", "replace")
        o = c.one(run.lines, f"failed open of {n!r} in a hostile cwd", "file_open", path=want)
        c.fields(o, f"failed open of {n!r}", ret=-2)
    c.done()


# ======================================================================================
# 5. Hostile configuration (what tests/e2e/test_cli.py does not cover yet)


def test_hostile_options_are_usage_errors():
    tracelib.require_binary()
    d = tracelib.tmpdir()
    out = os.path.join(d, "t.jsonl.gz")
    base = ["--job-id", "ok", "--out", out]
    cases = [
        ("job id ../x", ["--job-id", "../x", "--out", out]),
        ("job id /", ["--job-id", "/", "--out", out]),
        ("job id of 10 KiB", ["--job-id", "a" * 10240, "--out", out]),
        ("job id with a newline", ["--job-id", "a\nb", "--out", out]),
        ("job id with a NUL-free control byte", ["--job-id", "a\x1bb", "--out", out]),
        ("job id not ASCII", ["--job-id", "\u00e9t\u00e9", "--out", out]),
        ("job id given twice", base + ["--job-id", "again"]),
        ("empty --out", ["--job-id", "ok", "--out", ""]),
        ("empty --pid-file", base + ["--pid-file", ""]),
        ("--flush-interval 0", base + ["--flush-interval", "0"]),
        ("--flush-interval 9", base + ["--flush-interval", "9"]),
        ("--flush-interval 3600001", base + ["--flush-interval", "3600001"]),
        ("--flush-interval -5", base + ["--flush-interval", "-5"]),
        ("--flush-interval 2^64+1", base + ["--flush-interval", "18446744073709551617"]),
        ("--flush-interval 1e3", base + ["--flush-interval", "1e3"]),
        ("--flush-interval ' 100'", base + ["--flush-interval", " 100"]),
        ("--flush-interval 0x10", base + ["--flush-interval", "0x10"]),
        ("--flush-interval empty", base + ["--flush-interval", ""]),
        ("--ring-buffer-kb 32", base + ["--ring-buffer-kb", "32"]),
        ("--ring-buffer-kb 100 (not a power of two)", base + ["--ring-buffer-kb", "100"]),
        ("--ring-buffer-kb 2097152", base + ["--ring-buffer-kb", "2097152"]),
        ("--ring-buffer-kb 4294967296", base + ["--ring-buffer-kb", "4294967296"]),
        ("--force=yes", base + ["--force=yes"]),
        ("abbreviated option", ["--job", "ok", "--out", out]),
        ("-- without a command", base + ["--"]),
        ("-- with an empty command", base + ["--", ""]),
        ("a stray argument", base + ["true"]),
    ]
    c = Checks()
    for what, args in cases:
        rc, stdout, stderr = tracelib.run_plain([str(tracelib.TRACERD), *args], cwd=d)
        c.check(rc == 2, f"{what}: exit {rc}, expected 2 (stderr {stderr[:300]!r})")
        c.check(stderr.startswith(b"tracerd: ") and len(stderr.splitlines()) <= 3,
                f"{what}: no short message on stderr: {stderr[:300]!r}")
        c.check(len(stderr) < 1024, f"{what}: the message echoes the whole value "
                f"({len(stderr)} bytes)")
        c.check(stdout == b"", f"{what}: bad usage wrote to stdout: {stdout[:200]!r}")
        left = os.listdir(d)
        c.check(left == [], f"{what}: files created: {left}")
        for name in left:
            os.unlink(os.path.join(d, name))
    c.done()


def test_hostile_output_paths_are_runtime_errors():
    # Exit 1 with a message naming the problem; nothing created, nothing modified, the
    # command never run.
    d = tracelib.tmpdir()
    fifo = os.path.join(d, "fifo.jsonl.gz")
    os.mkfifo(fifo, 0o600)
    directory = os.path.join(d, "dir.jsonl.gz")
    os.mkdir(directory)
    to_dir = os.path.join(d, "todir.jsonl.gz")
    os.symlink(d, to_dir)
    parent_link = os.path.join(d, "parentlink")
    os.symlink("/nonexistent-dir", parent_link)
    cases = [
        ("a FIFO", fifo, [], b"exists"),
        ("a FIFO, --force", fifo, ["--force"], b"not a regular file"),
        ("a directory, --force", directory, ["--force"], b"not a regular file"),
        ("a symlink to a directory, --force", to_dir, ["--force"], b"symlink"),
        ("under a dangling directory symlink", os.path.join(parent_link, "t.gz"), [],
         b"directory"),
        ("/proc", "/proc/self/status", ["--force"], b"--out"),
    ]
    c = Checks()
    before = {n: os.lstat(os.path.join(d, n)) for n in os.listdir(d)}
    for what, out, opts, needle in cases:
        marker = os.path.join(d, "ran")
        run = tracelib.run_tracerd(["touch", marker], out=out, options=opts, expect_rc=None,
                                   check=False, timeout=20)
        c.check(run.returncode == 1, f"--out {what}: exit {run.returncode}, expected 1")
        c.check(needle in run.stderr, f"--out {what}: the message does not say why "
                f"({needle!r}): {run.stderr[:300]!r}")
        c.check(not os.path.exists(marker), f"--out {what}: the command ran")
        after = {n: os.lstat(os.path.join(d, n)) for n in os.listdir(d)}
        c.check(set(after) == set(before), f"--out {what}: files created or removed: "
                f"{sorted(set(after) ^ set(before))}")
        for n, st in before.items():
            if n in after:
                c.check((after[n].st_ino, after[n].st_mode, after[n].st_mtime_ns)
                        == (st.st_ino, st.st_mode, st.st_mtime_ns),
                        f"--out {what}: {n} was modified")
    c.done()


def test_pid_file_failure_leaves_nothing():
    # --pid-file in a missing directory: a runtime error, the command not run. The trace
    # file was created first (the pid file is written once tracing is live); it should
    # not be left behind as if a job had been traced.
    d = tracelib.tmpdir()
    out = os.path.join(d, "t.jsonl.gz")
    marker = os.path.join(d, "ran")
    run = tracelib.run_tracerd(["touch", marker], out=out, expect_rc=None, check=False,
                               options=["--pid-file", os.path.join(d, "missing", "pid")])
    c = Checks(run)
    c.check(run.returncode == 1, f"exit {run.returncode}, expected 1")
    c.check(b"pid-file" in run.stderr, f"the message does not name --pid-file: "
            f"{run.stderr[:300]!r}")
    c.check(not os.path.exists(marker), "the command ran although tracing never went live")
    c.check(not os.path.exists(out), f"a trace file was left behind: {os.listdir(d)} "
            f"({os.path.getsize(out) if os.path.exists(out) else 0} bytes)")
    c.done()


# ======================================================================================
# 6. The output file


def test_output_never_written_through_links():
    d = tracelib.tmpdir()
    c = Checks()
    # A hard link to another file: --force unlinks and recreates, the other file is kept.
    victim = os.path.join(d, "victim")
    with open(victim, "wb") as f:
        f.write(b"precious")
    os.chmod(victim, 0o644)
    out = os.path.join(d, "hard.jsonl.gz")
    os.link(victim, out)
    vst = os.stat(victim)
    run = tracelib.run_tracerd(["true"], out=out, options=["--force"])
    c.run = run
    with open(victim, "rb") as f:
        c.check(f.read() == b"precious", "the hard-linked file was written through")
    st, vst2 = os.lstat(out), os.stat(victim)
    c.check(st.st_ino != vst.st_ino and st.st_nlink == 1,
            f"the output still shares the victim's inode (nlink {st.st_nlink})")
    c.check(vst2.st_nlink == 1 and stat.S_IMODE(vst2.st_mode) == 0o644,
            f"victim's link count {vst2.st_nlink} or mode {vst2.st_mode:o} changed")
    c.check(stat.S_IMODE(st.st_mode) & ~0o640 == 0, f"output mode {st.st_mode:o} > 0640")
    # A symlink planted at the path, to a file and to a path not yet existing: never
    # followed, --force or not (test_cli has the plain cases; here /etc-like targets).
    target = os.path.join(d, "shadow")
    with open(target, "wb") as f:
        f.write(b"root:x:0:")
    for opts in ([], ["--force"]):
        link = os.path.join(d, f"planted{len(opts)}.jsonl.gz")
        os.symlink(target, link)
        run = tracelib.run_tracerd(["true"], out=link, options=opts, expect_rc=None,
                                   check=False)
        c.check(run.returncode == 1, f"symlink {opts}: exit {run.returncode}")
        c.check(b"symlink" in run.stderr, f"symlink {opts}: message {run.stderr[:200]!r}")
        c.check(os.path.islink(link), f"symlink {opts}: the symlink was replaced")
        with open(target, "rb") as f:
            c.check(f.read() == b"root:x:0:", f"symlink {opts}: the target was written")
    c.done()


# ======================================================================================
# 7. Least privilege once tracing is live

ALLOWED_DAEMON = {"CAP_DAC_READ_SEARCH", "CAP_BPF"}
ALLOWED_COMMAND = ALLOWED_DAEMON | {"CAP_KILL"}


def _privileges_checks(c, pid, allowed, what):
    live = rl.wait_for(lambda: rl.proc_status(pid).get("Seccomp") == "2", timeout=10)
    st = rl.proc_status(pid)
    c.check(live, f"{what}: Seccomp is {st.get('Seccomp')}, expected 2 (filter) once live")
    c.check(st.get("NoNewPrivs") == "1", f"{what}: NoNewPrivs is {st.get('NoNewPrivs')}")
    for field in ("CapEff", "CapPrm"):
        names = rl.cap_names(int(st[field], 16))
        c.check(set(names) <= allowed, f"{what}: {field} holds {names}, more than "
                f"{sorted(allowed)}")
    for field in ("CapInh", "CapAmb"):
        c.check(int(st[field], 16) == 0, f"{what}: {field} is {st[field]}")
    bnd = rl.cap_names(int(st["CapBnd"], 16))
    c.check(set(bnd) <= allowed, f"{what}: the bounding set still holds {bnd}")
    c.check(st.get("Uid", "").split()[:1] == ["0"], f"{what}: uid changed: {st.get('Uid')}")
    return st


def test_privileges_dropped_once_live():
    # Whole machine: no CAP_KILL (there is no command to signal), and the trace still works
    # end to end afterwards: events, the pid file removed at exit, trace_end.
    c = Checks()
    with tracelib.Daemon() as dm:
        dm.wait_live()
        st = _privileges_checks(c, dm.pid, ALLOWED_DAEMON, "daemon mode")
        tracelib.log(f"    daemon mode: CapEff {rl.cap_names(int(st['CapEff'], 16))}")
        marker = os.path.join(tracelib.tmpdir(), f"after-drop-{uuid.uuid4().hex}")
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600))
        run = dm.stop()
        c.run = run
        c.one(run.lines, "file_open after the privileges were dropped", "file_open",
              path=marker)
        c.check(not os.path.exists(dm.pid_file), "pid file not removed at exit")
    c.done()


def test_privileges_command_mode_signals_a_command_that_changed_uid():
    # -- mode keeps CAP_KILL: SIGTERM to tracerd is passed on to the command even once the
    # command runs as another user (setpriv, like runuser/su in CI scripts).
    d = tracelib.tmpdir()
    out = os.path.join(d, "t.jsonl.gz")
    pid_file = os.path.join(d, "pid")
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
           "sleep", "60"]
    c = Checks()
    with rl.SteeredRun(cmd, out, options=["--pid-file", pid_file]) as sr:
        c.check(rl.wait_for(lambda: os.path.exists(pid_file), 30), "never went live")
        _privileges_checks(c, sr.proc.pid, ALLOWED_COMMAND, "command mode")
        st = rl.proc_status(sr.proc.pid)
        c.check("CAP_KILL" in rl.cap_names(int(st["CapEff"], 16)),
                "CAP_KILL dropped in -- mode: a command that changed uid cannot be stopped")

        def sleeping_as_nobody():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        s = rl.proc_status(pid)
                    except OSError:
                        continue
                    if s.get("PPid") == str(sr.proc.pid) and s.get("Name") == "sleep":
                        return s.get("Uid", "").split()[0] == "65534"
            return False

        c.check(rl.wait_for(sleeping_as_nobody, 10), "the command never ran as uid 65534")
        t = time.time()
        sr.proc.send_signal(signal.SIGTERM)
        run = sr.finish(timeout=20)
        c.run = run
        c.check(run.returncode == 128 + signal.SIGTERM and time.time() - t < 10,
                f"exit {run.returncode} after {time.time() - t:.1f} s: SIGTERM did not reach "
                "the command running as another user")
    tracelib.read_and_check(run)
    c.run = None
    c.failures += [f"trace check: {p}" for p in run.problems]
    ex = c.one(run.lines, "process_exec of sleep", "process_exec", filename="/usr/bin/sleep")
    if ex:
        c.fields(ex, "sleep as nobody", uid=65534)
        end = c.one(run.lines, "process_exit of sleep", "process_exit", exec_id=ex["exec_id"])
        c.fields(end, "sleep's end", signal=int(signal.SIGTERM))
    c.done()


def test_privileges_under_a_service_bounding_set():
    # As packaging/tracerd@.service starts it: a bounding set already cut (no CAP_SETPCAP
    # to cut it further, no CAP_KILL). The drop must still happen, seccomp included.
    tracelib.require_daemon()
    unit_caps = "+bpf,+perfmon,+sys_admin,+sys_resource,+dac_read_search"
    d = tracelib.tmpdir()
    out = os.path.join(d, "t.jsonl.gz")
    pid_file = os.path.join(d, "pid")
    cmd = ["setpriv", f"--bounding-set=-all,{unit_caps}", "--", str(tracelib.TRACERD),
           "--job-id", "svc", "--out", out, "--pid-file", pid_file]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    c = Checks()
    try:
        c.check(rl.wait_for(lambda: os.path.exists(pid_file), 30), "never went live")
        _privileges_checks(c, proc.pid, ALLOWED_DAEMON | {"CAP_PERFMON", "CAP_SYS_ADMIN",
                                                          "CAP_SYS_RESOURCE"}, "service")
        eff = rl.cap_names(int(rl.proc_status(proc.pid)["CapEff"], 16))
        c.check(set(eff) <= ALLOWED_DAEMON, f"service: CapEff {eff}")
        marker = os.path.join(d, f"svc-{uuid.uuid4().hex}")
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    c.check(proc.returncode == 0, f"exit {proc.returncode}")
    c.check(b"cannot drop privileges" not in err, f"stderr: {err[-300:]!r}")
    lines = tracelib.read_trace_file(out)
    c.check(any(o.get("path") == marker for o in lines), "the marker opened after the drop "
            "is not in the trace")
    c.check(lines[-1].get("type") == "trace_end", "no trace_end")
    c.done()


def test_pid_file_not_written_through_links():
    # The pid file gets the same care as the output: a hard link planted at its path must
    # not let tracerd truncate and overwrite the linked file (it is opened with O_TRUNC,
    # without O_EXCL, today), and a symlink must not be followed.
    d = tracelib.tmpdir()
    victim = os.path.join(d, "victim")
    with open(victim, "wb") as f:
        f.write(b"precious")
    c = Checks()
    hard = os.path.join(d, "hard.pid")
    os.link(victim, hard)
    run = tracelib.run_tracerd(["true"], options=["--pid-file", hard], expect_rc=None,
                               check=False)
    with open(victim, "rb") as f:
        content = f.read()
    c.check(content == b"precious", f"--pid-file at a hard link wrote through it: the linked "
            f"file now holds {content!r} (tracerd exit {run.returncode})")
    # A symlink: refused (O_NOFOLLOW), and then left alone: tracerd did not create it, so
    # it has no business removing it at exit.
    victim2 = os.path.join(d, "victim2")
    with open(victim2, "wb") as f:
        f.write(b"precious")
    sym = os.path.join(d, "sym.pid")
    os.symlink(victim2, sym)
    run = tracelib.run_tracerd(["true"], options=["--pid-file", sym], expect_rc=None,
                               check=False)
    with open(victim2, "rb") as f:
        content = f.read()
    c.check(run.returncode == 1, f"--pid-file symlink: exit {run.returncode}, expected 1")
    c.check(content == b"precious", f"--pid-file symlink followed: {content!r}")
    c.check(os.path.islink(sym), "--pid-file symlink removed by tracerd, which never wrote it")
    c.done()


def test_no_refused_syscalls_without_cgroup2():
    """
    With no cgroup2 mount (a chroot, a v1-only host), tracerd must not call
    open_by_handle_at on whatever /sys/fs/cgroup is: its own seccomp filter would refuse
    every lookup (audit type=1326, syscall 304, seen on a 6.1 guest).
    """
    tracelib.require_daemon()
    d = tracelib.tmpdir()
    out = os.path.join(d, "nocg.jsonl.gz")
    marker = os.path.join(d, "opened-by-an-old-process")
    script = f"""
        umount -l /sys/fs/cgroup/unified 2>/dev/null; umount -l /sys/fs/cgroup 2>/dev/null
        mount -t tmpfs none /sys/fs/cgroup
        # Started before the trace: its cgroup is looked up by handle, not from an exec.
        # It opens once tracerd is live (pid file), however long loading takes (a TCG guest),
        # waiting with builtins only: an exec of sleep would name its cgroup in an exec record.
        sh -c 'while [ ! -s {d}/pid ]; do :; done; : > {marker}' &
        {tracelib.TRACERD} --job-id nocg --out {out} --pid-file {d}/pid &
        while [ ! -s {d}/pid ]; do sleep 0.05; done
        wait %1
        kill -TERM $!; wait $!
    """
    before = _seccomp_audit_lines()
    rc, _, stderr = tracelib.run_plain(["unshare", "-m", "--propagation", "private", "sh",
                                        "-c", script], timeout=60)
    after = _seccomp_audit_lines()
    c = Checks()
    c.check(rc == 0, f"workload exited {rc}: {stderr.decode(errors='replace')}")
    lines = tracelib.read_trace_file(out)
    c.one(lines, "the old process's open of the marker", "file_open", path=marker)
    refused = [ln for ln in after[len(before):] if "tracerd" in ln]
    c.check(not refused, "tracerd made calls its own seccomp filter refused:", refused)
    c.done()


def _seccomp_audit_lines():
    p = subprocess.run(["dmesg"], capture_output=True, text=True)
    return [ln for ln in p.stdout.splitlines() if "type=1326" in ln]
