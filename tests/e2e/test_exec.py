# SPDX-License-Identifier: GPL-2.0-only
"""Processes: process_exec fields, argv byte for byte, process_exit and exit statuses."""

import ast
import os

import tracelib
from tracelib import ABSENT, Checks, pred

# argv that JSON and a naive C escaper get wrong: spaces, quotes, backslashes, control
# characters, an empty string, UTF-8 and bytes that are not UTF-8 (each one becomes U+FFFD).
TRICKY_ARGS = [b"/bin/echo", b"two words", b'say "hi"', b"back\\slash\\", b"new\nline",
               b"tab\there", b"", "h\u00e9llo \u2603".encode(), b"bad\xff\xfebyte",
               b"ctl\x01\x1b\x7f", b"{\"json\": [1]}", b"\xe2\x82\xac euro"]

is_pos = pred(lambda v: isinstance(v, int) and v > 0, "> 0")
is_str = pred(lambda v: isinstance(v, str) and v != "", "a non-empty string")


def lifecycle(c, run):
    """
    In -- mode every traced process has ended before tracerd exits: each pid that exec'd
    has exactly one process_exit, carrying the exec_id of its last image.
    """
    last_exec = {}
    for o in run.select("process_exec"):
        last_exec[o["pid"]] = o
    for pid, ex in last_exec.items():
        exits = run.select("process_exit", pid=pid)
        if c.check(len(exits) == 1, f"pid {pid} ({ex.get('filename')}) has {len(exits)} "
                   "process_exit lines, expected one", [ex] + exits):
            c.check(exits[0].get("exec_id") == ex.get("exec_id"),
                    f"process_exit of pid {pid} has exec_id {exits[0].get('exec_id')!r}, "
                    f"its last exec {ex.get('exec_id')!r}", [ex, exits[0]])


def test_exec_tricky_args():
    cwd = tracelib.tmpdir("-cwd dir \u00e9 \u2603")
    # sh forks echo (it is not the last command), so echo's parent is a traced process.
    cmd = [b"/bin/sh", b"-c", b'"$@"; exit $?', b"sh"] + TRICKY_ARGS
    run = tracelib.run_tracerd(cmd, cwd=cwd)
    c = Checks(run)
    expected_args = [a.decode("utf-8", "replace") for a in TRICKY_ARGS]
    c.check(run.stdout == b" ".join(TRICKY_ARGS[1:]) + b"\n",
            f"the command's stdout should be echo's output, got {run.stdout[:300]!r}")

    sh = c.one(run.lines, "process_exec of /bin/sh", "process_exec", filename="/bin/sh")
    echo = c.one(run.lines, "process_exec of /bin/echo", "process_exec", filename="/bin/echo")
    if sh and echo:
        c.fields(sh, "sh exec", args=[a.decode() for a in cmd[:4]] + expected_args,
                 exe=os.path.realpath("/bin/sh"), cwd=cwd, uid=0, comm="sh",
                 tid=sh["pid"], ppid=run.pid, exec_id=is_str, args_truncated=ABSENT,
                 exe_memfd=ABSENT, exe_deleted=ABSENT)
        c.fields(echo, "echo exec", args=expected_args, exe=os.path.realpath("/bin/echo"),
                 cwd=cwd, uid=0, comm="echo", tid=echo["pid"], ppid=sh["pid"],
                 exec_id=is_str, parent_exec_id=sh["exec_id"], args_truncated=ABSENT,
                 exe_memfd=ABSENT, exe_deleted=ABSENT)
        c.check(echo["exec_id"] != sh["exec_id"], "sh and echo share an exec_id", [sh, echo])
        c.check(echo["cgroup_id"] == sh["cgroup_id"], "sh and echo in different cgroups",
                [sh, echo])
        ex = c.one(run.lines, "process_exit of echo", "process_exit", exec_id=echo["exec_id"])
        c.fields(ex, "echo exit", pid=echo["pid"], exit_code=0, signal=ABSENT,
                 core_dumped=ABSENT, duration_ns=is_pos, comm="echo", uid=0)
        ex = c.one(run.lines, "process_exit of sh", "process_exit", exec_id=sh["exec_id"])
        c.fields(ex, "sh exit", pid=sh["pid"], exit_code=0, duration_ns=is_pos)
    lifecycle(c, run)
    c.done()


def test_exec_long_argv():
    # 400 arguments of 100 bytes (40 KB): argv in full, or cut with args_truncated.
    args = ["/bin/true"] + [f"{i:03d}" + "x" * 97 for i in range(400)]
    run = tracelib.run_tracerd(args)
    c = Checks(run)
    ex = c.one(run.lines, "process_exec of /bin/true", "process_exec", filename="/bin/true")
    if ex:
        got = ex["args"]
        if ex.get("args_truncated"):
            ok = (len(got) <= len(args) and got[:-1] == args[:len(got) - 1]
                  and (not got or args[len(got) - 1].startswith(got[-1])))
            c.check(ok, "args_truncated set but args is not a prefix of argv", [ex])
            c.check(len("".join(got)) >= 4096,
                    f"args cut after only {len(''.join(got))} bytes", [ex])
        else:
            c.check(got == args, f"args differ from argv ({len(got)} of {len(args)} elements, "
                    "no args_truncated)", [ex])
    c.done()


def _exec_by_args(c, run, args):
    return c.one(run.lines, f"process_exec with args {args}", "process_exec", args=args)


def test_exit_code():
    run = tracelib.run_tracerd(["sh", "-c", "exit 7"], expect_rc=7)
    c = Checks(run)
    ex = _exec_by_args(c, run, ["sh", "-c", "exit 7"])
    if ex:
        c.check(ex["filename"] in ("/usr/bin/sh", "/bin/sh", "sh"),
                f"filename {ex['filename']!r}", [ex])
        end = c.one(run.lines, "process_exit of sh", "process_exit", exec_id=ex["exec_id"])
        c.fields(end, "sh exit", exit_code=7, signal=ABSENT, duration_ns=is_pos)
    c.done()


def test_exit_killed_by_signal():
    run = tracelib.run_tracerd(["sh", "-c", "kill -9 $$"], expect_rc=137)
    c = Checks(run)
    ex = _exec_by_args(c, run, ["sh", "-c", "kill -9 $$"])
    if ex:
        end = c.one(run.lines, "process_exit of sh", "process_exit", exec_id=ex["exec_id"])
        c.fields(end, "sh exit", signal=9, exit_code=ABSENT, core_dumped=ABSENT,
                 duration_ns=is_pos)
    c.done()


def test_exit_command_not_found():
    c = Checks()
    for cmd in (["/nonexistent/tracerd-e2e-no-such-command"],
                ["tracerd-e2e-no-such-command", "arg"]):
        run = tracelib.run_tracerd(cmd, expect_rc=None)
        c.run = run
        c.check(run.returncode == 127, f"{cmd}: tracerd exited {run.returncode}, expected 127")
        c.check(not run.select("process_exec", args=cmd),
                f"{cmd}: a failed exec must not be a process_exec", run.lines)
    c.done()


def test_exit_command_not_executable():
    d = tracelib.tmpdir()
    script = os.path.join(d, "not-executable.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(script, 0o644)
    c = Checks()
    for cmd in ([script], [d]):
        run = tracelib.run_tracerd(cmd, expect_rc=None)
        c.run = run
        c.check(run.returncode == 126, f"{cmd}: tracerd exited {run.returncode}, expected 126")
    c.done()


def test_comm_with_invalid_utf8():
    # A process names itself with bytes that are not UTF-8, quotes and control characters:
    # the lines stay valid JSON and comm shows the new name byte for byte (U+FFFD).
    d = tracelib.tmpdir()
    marker = os.path.join(d, "marker")
    name = b'\xff"q\\\n\tz\xc3\xa9'
    code = f"""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.prctl(15, ctypes.c_char_p({name!r}), 0, 0, 0) == 0
        buf = ctypes.create_string_buffer(16)
        libc.prctl(16, buf, 0, 0, 0)
        open({marker!r}, "wb").write(buf.value)
        open({marker!r}, "rb").read()
    """
    run = tracelib.run_tracerd(tracelib.py(code))
    with open(marker, "rb") as f:
        kernel_name = f.read()
    c = Checks(run)
    opens = c.some(run.lines, "file_open of the marker", "file_open", path=marker)
    for o in opens:
        c.fields(o, "file_open after the rename", comm=kernel_name.decode("utf-8", "replace"))
    c.done()


def test_exec_from_thread():
    # A non-leader thread calls execve: the kernel makes it the leader and the pid stays.
    # That is a new image of the same process, not an exit: one process_exec for each
    # image, one process_exit in the end, with the second image's exec_id.
    script = """
        import os, threading, time
        def run():
            os.execv("/bin/sh", ["/bin/sh", "-c", "exit 5"])
        threading.Thread(target=run).start()
        time.sleep(30)
    """
    run = tracelib.run_tracerd(tracelib.py(script), expect_rc=5)
    c = Checks(run)
    py = c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    sh = c.one(run.lines, "process_exec of sh from the thread", "process_exec",
               args=["/bin/sh", "-c", "exit 5"])
    if py and sh:
        c.fields(sh, "exec from a thread", pid=py["pid"], tid=py["pid"],
                 exec_id=pred(lambda e: e != py["exec_id"], "a new exec_id"))
        exits = run.select("process_exit", pid=py["pid"])
        c.check(len(exits) == 1, f"{len(exits)} process_exit lines for pid {py['pid']}, "
                "expected one (an exec from a thread is not an exit)", exits)
        for e in exits:
            c.fields(e, "exit after the exec", exec_id=sh["exec_id"], exit_code=5)
    c.done()


def test_exit_after_threads():
    # Threads ending are not process exits: one process_exit when the last thread ends.
    script = """
        import os, threading
        ts = [threading.Thread(target=lambda: None) for _ in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
        os._exit(3)
    """
    run = tracelib.run_tracerd(tracelib.py(script), expect_rc=3)
    c = Checks(run)
    py = c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    if py:
        exits = run.select("process_exit", pid=py["pid"])
        c.check(len(exits) == 1, f"{len(exits)} process_exit lines for a process with 5 "
                "threads, expected one", exits)
        # tid is the thread whose exit ended the process: not always the leader, since
        # a joined thread may still be leaving the kernel when os._exit() runs.
        for e in exits:
            c.fields(e, "exit", exit_code=3, exec_id=py["exec_id"])
    c.done()


def test_fexecve_memfd_and_deleted_binary():
    d = tracelib.tmpdir()
    copy = os.path.join(d, "deleted-true")
    script = f"""
        import os, shutil
        def spawn(fd, name):
            pid = os.fork()
            if pid == 0:
                os.execve(fd, [name], {{}})
            os.waitpid(pid, 0)
            return pid
        out = {{}}
        fd = os.open("/bin/true", os.O_RDONLY)
        out["plain"] = (fd, spawn(fd, "e2e-plain"))
        mfd = os.memfd_create("e2e-memfd", 0)
        with open("/bin/true", "rb") as f:
            os.write(mfd, f.read())
        out["memfd"] = (mfd, spawn(mfd, "e2e-memfd"))
        shutil.copy("/bin/true", {copy!r})
        dfd = os.open({copy!r}, os.O_RDONLY)
        os.unlink({copy!r})
        out["deleted"] = (dfd, spawn(dfd, "e2e-deleted"))
        print(out, flush=True)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    try:
        got = ast.literal_eval(run.stdout.decode())
    except (ValueError, SyntaxError):
        raise AssertionError(f"workload output {run.stdout!r}\n{run.describe()}") from None
    true = os.path.realpath("/bin/true")
    for kind, (fd, pid) in got.items():
        ex = c.one(run.lines, f"process_exec of the {kind} fexecve", "process_exec",
                   args=[f"e2e-{kind}"])
        want = dict(pid=pid, filename=f"/dev/fd/{fd}")
        if kind == "plain":
            want.update(exe=true, exe_memfd=ABSENT, exe_deleted=ABSENT)
        elif kind == "memfd":
            want.update(exe_memfd=True)
        else:
            want.update(exe_deleted=True, exe_memfd=ABSENT,
                        exe=pred(lambda e: e.startswith(copy), f"starts with {copy}"))
        c.fields(ex, f"{kind} fexecve", **want)
    c.done()


def test_exec_paths_and_uid():
    # A binary with a name that is not UTF-8, run by a relative path; a #! script (the
    # binary actually run is the interpreter); a process that changed its real uid.
    d = tracelib.tmpdir()
    weird = b"tr\xffue\nx"
    with open("/bin/true", "rb") as src, open(os.path.join(d.encode(), weird), "wb") as dst:
        dst.write(src.read())
    os.chmod(os.path.join(d.encode(), weird), 0o755)
    with open(os.path.join(d, "s.sh"), "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(os.path.join(d, "s.sh"), 0o755)
    script = ('"./$1"; ./s.sh; '
              'setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/id -u')
    run = tracelib.run_tracerd([b"/bin/sh", b"-c", script.encode(), b"sh", weird], cwd=d)
    c = Checks(run)
    c.check(run.stdout == b"65534\n", f"workload output {run.stdout!r}")
    name = weird.decode("utf-8", "replace")
    ex = c.one(run.lines, f"process_exec of ./{name!r}", "process_exec",
               filename="./" + name)
    c.fields(ex, "relative exec", exe=os.path.join(d, name), args=["./" + name], cwd=d)
    ex = c.one(run.lines, "process_exec of ./s.sh", "process_exec", filename="./s.sh")
    c.fields(ex, "script exec", exe=os.path.realpath("/bin/sh"))
    ex = c.one(run.lines, "process_exec of id", "process_exec", filename="/usr/bin/id")
    c.fields(ex, "id after setpriv", uid=65534, args=["/usr/bin/id", "-u"])
    if ex:
        end = c.one(run.lines, "process_exit of id", "process_exit", exec_id=ex["exec_id"])
        c.fields(end, "id exit", uid=65534, exit_code=0)
    c.done()


def test_cwd_on_every_event():
    # Every event carries its process's working directory, followed through chdir and
    # fork from records (never read from /proc): a subshell's cd is its own.
    d = os.path.realpath(tracelib.tmpdir())
    sub = os.path.join(d, "sub")
    os.mkdir(sub)
    for name in ("top.txt", os.path.join("sub", "inner.txt")):
        with open(os.path.join(d, name), "w") as f:
            f.write("x\n")
    script = f"cd {d} && cat top.txt >/dev/null; (cd sub && cat inner.txt >/dev/null); cat top.txt"
    run = tracelib.run_tracerd(["/bin/sh", "-c", script], cwd="/")
    c = Checks(run)
    top = run.select("file_open", path=os.path.join(d, "top.txt"))
    inner = run.select("file_open", path=os.path.join(sub, "inner.txt"))
    c.check(len(top) == 2 and len(inner) == 1, "expected two opens of top.txt and one of "
            "inner.txt", top + inner)
    for line in top:
        c.fields(line, "open of top.txt", cwd=d)
    for line in inner:
        c.fields(line, "open of inner.txt", cwd=sub)
    sh = c.one(run.lines, "process_exec of sh", "process_exec",
               args=lambda a: a[:2] == ["/bin/sh", "-c"])
    if sh:
        c.fields(sh, "exec of sh", cwd="/")
        tree = [ln for ln in run.lines if ln.get("pid") and ln["type"] != "tamper"]
        missing = [ln for ln in tree if "cwd" not in ln]
        c.check(not missing, "event lines without cwd", missing[:5])
        exits = run.select("process_exit", pid=sh["pid"])
        for e in exits:
            c.fields(e, "exit of sh", cwd=d)
    c.done()
