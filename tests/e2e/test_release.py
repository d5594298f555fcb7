# SPDX-License-Identifier: GPL-2.0-only
"""
file_write lines of files released without close(2) — close_range(), dup2()/dup3() over
their fd, close-on-exec at execve() — are written at the release. Each workload opens a
marker path that does not exist right after the release (a failed file_open, its
timestamp the kernel's) and then keeps running: a file_write line stamped before the
marker was written at the release, not at exit (stamped at the exit) or at trace end.
"""

import os
import textwrap

import tracelib
from tracelib import Checks

# A snippet's helpers: the libc calls os does not make as such, and the marker.
PRELUDE = """
    import ctypes, os, time
    libc = ctypes.CDLL(None, use_errno=True)
    CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC = 2, 4

    def close_range(first, last, flags=0):
        if libc.close_range(ctypes.c_uint(first), ctypes.c_uint(last), ctypes.c_int(flags)):
            raise OSError(ctypes.get_errno(), "close_range")

    def dup3(old, new, flags):
        if libc.dup3(old, new, flags) != new:
            raise OSError(ctypes.get_errno(), "dup3")

    def marker(path):
        try:
            os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            pass
        else:
            raise SystemExit("marker exists: " + path)

    def written(path, *chunks):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        for c in chunks:
            assert os.write(fd, c) == len(c)
        return fd
"""


def _script(body):
    return textwrap.dedent(PRELUDE) + textwrap.dedent(body)


def _stamp(line):
    # RFC 3339 with nine fraction digits, always UTC: ordered as strings, to the nanosecond.
    ts = line["timestamp"]
    assert len(ts) == 30 and ts.endswith("Z"), ts
    return ts


def _marker(c, run, path):
    return c.one(run.lines, f"file_open of the marker {path}", "file_open", path=path, ret=-2)


def _before(c, w, m, what):
    if w and m:
        c.check(_stamp(w) < _stamp(m), f"{what}: file_write at {w['timestamp']} is not "
                f"before the {m['type']} the workload made right after the release, at "
                f"{m['timestamp']}", [w, m])


def _after(c, w, m, what):
    if w and m:
        c.check(_stamp(w) > _stamp(m), f"{what}: file_write at {w['timestamp']} is not "
                f"after the marker, at {m['timestamp']} (the file was not released yet)",
                [w, m])


def test_release_close_range():
    # a and b released by one close_range(); e by CLOSE_RANGE_UNSHARE on an unshared table;
    # f written through one fd and moved to another by dup2() before it: all at the range.
    # c is only marked close-on-exec (CLOSE_RANGE_CLOEXEC) and d is held by a child forked
    # before the others were opened: neither is released there.
    d = tracelib.tmpdir()
    p = {n: os.path.join(d, f"{n}.bin") for n in "abcdef"}
    mark = os.path.join(d, "marker-after-close-range")
    script = _script(f"""
        dd = written({p['d']!r}, b"6" * 13)
        child = os.fork()
        if child == 0:
            time.sleep(0.5)
            os._exit(0)
        a = written({p['a']!r}, b"1" * 100, b"2" * 200, b"3" * 300)
        b = written({p['b']!r}, b"4" * 7)
        c = written({p['c']!r}, b"5" * 11)
        e = written({p['e']!r}, b"7" * 17)
        f = written({p['f']!r}, b"8" * 19)
        moved = 200
        os.dup2(f, moved)
        os.close(f)
        assert a + 1 == b and b + 1 == c
        try:
            close_range(c, c, CLOSE_RANGE_CLOEXEC)
        except OSError as err:  # before 5.11 (EINVAL): no such flag, c stays open as well
            assert err.errno == 22, err
        close_range(a, b)
        close_range(e, e, CLOSE_RANGE_UNSHARE)
        close_range(dd, dd)
        close_range(moved, moved)
        marker({mark!r})
        time.sleep(0.2)
        assert os.write(c, b"9" * 23) == 23
        os.close(c)
        os.waitpid(child, 0)
        print(child, flush=True)
    """)
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    py = c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    m = _marker(c, run, mark)
    pid = py["pid"] if py else None
    for name, size, writes in (("a", 600, 3), ("b", 7, 1), ("e", 17, 1), ("f", 19, 1)):
        w = c.one(run.lines, f"file_write of {p[name]}", "file_write", path=p[name])
        c.fields(w, f"{name}, released by close_range", bytes=size, writes=writes, pid=pid)
        _before(c, w, m, f"{name} (close_range)")
    w = c.one(run.lines, f"file_write of {p['c']}", "file_write", path=p["c"])
    c.fields(w, "c, only marked close-on-exec then written and closed", bytes=34, writes=2)
    _after(c, w, m, "c (CLOSE_RANGE_CLOEXEC)")
    w = c.one(run.lines, f"file_write of {p['d']}", "file_write", path=p["d"])
    c.fields(w, "d, closed while a child holds it", bytes=13, writes=1, pid=pid)
    _after(c, w, m, "d (held by a child)")
    c.done()


def test_release_dup2_over():
    # dup2() of /dev/null over the fd of a written file releases it.
    d = tracelib.tmpdir()
    out, mark = os.path.join(d, "out.txt"), os.path.join(d, "marker-after-dup2")
    script = _script(f"""
        fd = written({out!r}, b"x" * 1000, b"y" * 24)
        null = os.open("/dev/null", os.O_WRONLY)
        os.dup2(null, fd)
        marker({mark!r})
        time.sleep(0.2)
    """)
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    w = c.one(run.lines, f"file_write of {out}", "file_write", path=out)
    c.fields(w, "file replaced by dup2", bytes=1024, writes=2, comm="python3")
    _before(c, w, _marker(c, run, mark), "dup2 over the fd")
    c.done()


def test_release_dup3_over():
    # dup3(O_CLOEXEC) over the fd of a written file releases it; dup3 with invalid flags
    # (EINVAL) or onto the same fd replaces nothing.
    d = tracelib.tmpdir()
    out, mark = os.path.join(d, "out.txt"), os.path.join(d, "marker-after-dup3")
    script = _script(f"""
        fd = written({out!r}, b"z" * 4096)
        null = os.open("/dev/null", os.O_WRONLY)
        for bad in ((null, fd, 1), (fd, fd, os.O_CLOEXEC)):
            try:
                dup3(*bad)
            except OSError as e:
                assert e.errno == 22, e
            else:
                raise SystemExit("dup3 accepted " + repr(bad))
        assert os.write(fd, b"w" * 5) == 5
        dup3(null, fd, os.O_CLOEXEC)
        marker({mark!r})
        time.sleep(0.2)
    """)
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    w = c.one(run.lines, f"file_write of {out}", "file_write", path=out)
    c.fields(w, "file replaced by dup3", bytes=4101, writes=2, comm="python3")
    _before(c, w, _marker(c, run, mark), "dup3 over the fd")
    c.done()


def test_release_dup2_other_reference():
    # A file dup'ed to a second fd: dup2() over the first releases nothing (no line yet);
    # the line comes once, when dup2() over the second drops the last reference.
    d = tracelib.tmpdir()
    out = os.path.join(d, "kept.txt")
    mark1, mark2 = os.path.join(d, "marker-1"), os.path.join(d, "marker-2")
    script = _script(f"""
        fd = written({out!r}, b"a" * 5)
        keep = os.dup(fd)
        null = os.open("/dev/null", os.O_WRONLY)
        os.dup2(null, fd)
        marker({mark1!r})
        assert os.write(keep, b"b" * 6) == 6
        os.dup2(null, keep)
        marker({mark2!r})
        time.sleep(0.2)
    """)
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    w = c.one(run.lines, f"file_write of {out} (one line)", "file_write", path=out)
    c.fields(w, "writes through both fds", bytes=11, writes=2, comm="python3")
    _after(c, w, _marker(c, run, mark1), "first fd replaced, the dup still open")
    _before(c, w, _marker(c, run, mark2), "last fd replaced")
    c.done()


def test_release_unseen_then_read_only_opens():
    # A written file released where tracerd cannot see it (its fd moved by F_DUPFD, which
    # is not tracked, then closed by close_range), then read-only opens of other files, one
    # of which may take its struct file's memory: the written file's totals come once,
    # under its own path (at such a close, or at exit), never under a file only read.
    d = tracelib.tmpdir()
    out, other = os.path.join(d, "written.bin"), os.path.join(d, "only-read.txt")
    with open(other, "w") as f:
        f.write("read me\n")
    script = _script(f"""
        import fcntl
        fd = written({out!r}, b"w" * 321, b"x" * 4)
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 300)
        os.close(fd)
        close_range(moved, moved)
        for _ in range(200):
            r = os.open({other!r}, os.O_RDONLY)
            assert os.read(r, 100) == b"read me\\n"
            os.close(r)
        kept = os.open({other!r}, os.O_RDONLY)
        time.sleep(0.2)
    """)
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    w = c.one(run.lines, f"file_write of {out} (one line)", "file_write", path=out)
    c.fields(w, "the file released unseen", bytes=325, writes=2, comm="python3")
    read_only = tracelib.select(run.lines, "file_write", path=other)
    c.check(not read_only, f"file_write of {other}, a file only read", read_only)
    c.done()


def test_release_cloexec_at_exec():
    # A close-on-exec file (os.open's default) written, a failed exec (which closes nothing:
    # written again after it), then an exec of a program that opens a marker and keeps
    # running: the line is stamped before the new image's exec and its marker.
    d = tracelib.tmpdir()
    out, kept = os.path.join(d, "cloexec.txt"), os.path.join(d, "inherited.txt")
    mark = os.path.join(d, "marker-after-exec")
    after = (f"import os, sys, time\ntry:\n    os.open({mark!r}, os.O_RDONLY)\n"
             f"except FileNotFoundError:\n    pass\n"
             f"os.write(int(sys.argv[1]), b'k' * 2)\ntime.sleep(0.3)\n")
    script = _script(f"""
        inherit = written({kept!r}, b"k" * 8)
        os.set_inheritable(inherit, True)
        fd = written({out!r}, b"c" * 300)
        try:
            os.execv("/nonexistent/tracerd-e2e", ["x"])
        except FileNotFoundError:
            pass
        assert os.write(fd, b"d" * 45) == 45
        os.execv({tracelib.PYTHON!r}, [{tracelib.PYTHON!r}, "-I", "-c", {after!r}, str(inherit)])
    """)
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    first = c.one(run.lines, "process_exec of the first python3", "process_exec",
                  args=lambda a: a[:2] == [tracelib.PYTHON, "-I"] and "-B" in a)
    second = c.one(run.lines, "process_exec of the second python3", "process_exec",
                   args=lambda a: a[:2] == [tracelib.PYTHON, "-I"] and "-B" not in a)
    w = c.one(run.lines, f"file_write of {out}", "file_write", path=out)
    c.fields(w, "close-on-exec file", bytes=345, writes=2,
             exec_id=first["exec_id"] if first else None)
    _before(c, w, second, "close-on-exec at exec (vs the exec line)")
    _before(c, w, _marker(c, run, mark), "close-on-exec at exec (vs the marker)")
    # The inherited fd stays open across the exec: one line, written at exit.
    w = c.one(run.lines, f"file_write of {kept}", "file_write", path=kept)
    c.fields(w, "inherited file, written by both images", bytes=10, writes=2,
             exec_id=first["exec_id"] if first else None)
    c.done()
