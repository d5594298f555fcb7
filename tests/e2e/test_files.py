# SPDX-License-Identifier: GPL-2.0-only
"""file_open paths (relative, dirfd, symlinks, failures) and file_write accounting."""

import os

import tracelib
from tracelib import Checks, pred

rdonly = pred(lambda f: f == "O_RDONLY" or f.startswith("O_RDONLY|"), "starts with O_RDONLY")


def _tree():
    d = tracelib.tmpdir("-files \u00e9")
    os.mkdir(os.path.join(d, "sub"))
    with open(os.path.join(d, "sub", "file.txt"), "w") as f:
        f.write("hello\n")
    os.symlink("sub", os.path.join(d, "link"))
    os.symlink(os.path.join(d, "sub", "file.txt"), os.path.join(d, "abs-link.txt"))
    return d


def test_open_relative_paths():
    d = _tree()
    run = tracelib.run_tracerd(["cat", "sub/../sub/file.txt", "link/file.txt", "abs-link.txt"],
                               cwd=d)
    c = Checks(run)
    c.check(run.stdout == b"hello\n" * 3, f"cat output {run.stdout!r}")
    cat = c.one(run.lines, "process_exec of cat", "process_exec",
                args=lambda a: a[:1] == ["cat"])
    real = os.path.join(d, "sub", "file.txt")
    opens = run.select("file_open", path=real)
    c.check(len(opens) == 3, f"expected 3 file_open lines with path {real!r} (one per "
            f"argument, symlinks resolved), got {len(opens)}; cat's file_open lines:",
            run.select("file_open", exec_id=cat["exec_id"]) if cat else run.select("file_open"))
    for o in opens:
        c.fields(o, "cat's open", flags=rdonly, ret=pred(lambda r: r >= 0, ">= 0"),
                 exec_id=cat["exec_id"] if cat else None, comm="cat")
    c.done()


def test_open_failed_relative_paths():
    d = _tree()
    run = tracelib.run_tracerd(["sh", "-c", "cat ./sub/../missing.txt; "
                                "cat nodir/../x/./missing2.txt; cat sub/./../sub/gone/..; "
                                "exit 0"], cwd=d)
    c = Checks(run)
    for path, ret in ((os.path.join(d, "missing.txt"), -2),
                      (os.path.join(d, "x", "missing2.txt"), -2),
                      (os.path.join(d, "sub"), -2)):
        o = c.one(run.lines, f"file_open of {path}", "file_open", path=path, comm="cat")
        c.fields(o, "failed open", ret=ret, flags=rdonly)
    bad = [o for o in run.select("file_open")
           if "/./" in o["path"] or "/../" in o["path"] or o["path"].endswith(("/.", "/.."))]
    c.check(not bad, "file_open paths still holding . or ..", bad)
    c.done()


def test_openat_dirfd():
    d = _tree()
    sub = os.path.join(d, "sub")
    script = f"""
        import os
        dfd = os.open({sub!r}, os.O_RDONLY | os.O_DIRECTORY)
        fd = os.open("file.txt", os.O_RDONLY, dir_fd=dfd)
        os.close(fd)
        try:
            os.open("../nothere/./x", os.O_RDONLY, dir_fd=dfd)
        except FileNotFoundError:
            pass
        fd = os.open("../link/file.txt", os.O_RDWR, dir_fd=dfd)
        os.close(fd)
        os.chdir("/")
        fd = os.open({os.path.join(d, "abs-link.txt")!r}, os.O_RDONLY)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    py = c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    mine = run.select("file_open", exec_id=py["exec_id"]) if py else []
    real = os.path.join(sub, "file.txt")
    o = c.one(mine, f"O_DIRECTORY open of {sub}", path=sub,
              flags=lambda f: f.startswith("O_RDONLY|") and "O_DIRECTORY" in f.split("|"))
    c.fields(o, "dir open", ret=pred(lambda r: r >= 0, ">= 0"))
    got = [x for x in mine if x["path"] == real]
    c.check(len(got) == 3, f"expected 3 opens of {real} (dirfd, dirfd + symlink, absolute "
            f"symlink), got {len(got)}; python's file_open lines after the dir open:",
            mine[mine.index(o):] if o in mine else mine)
    c.check([x["flags"].split("|")[0] for x in got] == ["O_RDONLY", "O_RDWR", "O_RDONLY"],
            "access modes of the three opens", got)
    failed = c.one(mine, "failed open relative to the dirfd", path=os.path.join(d, "nothere", "x"))
    c.fields(failed, "failed dirfd open", ret=-2)
    c.done()


def test_write_one_mebibyte():
    d = tracelib.tmpdir()
    out = os.path.join(d, "out.bin")
    script = f"""
        import os
        fd = os.open({out!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for _ in range(16):
            assert os.write(fd, bytes(65536)) == 65536
        os.close(fd)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(os.path.getsize(out) == 1 << 20, "workload did not write 1 MiB")
    w = c.one(run.lines, f"file_write of {out}", "file_write", path=out)
    c.fields(w, "1 MiB write", bytes=1048576, writes=16, comm="python3")
    o = c.one(run.lines, f"file_open of {out}", "file_open", path=out)
    c.fields(o, "open for writing", ret=pred(lambda r: r >= 0, ">= 0"),
             flags=pred(lambda f: f.split("|")[0] == "O_WRONLY"
                        and {"O_CREAT", "O_TRUNC"} <= set(f.split("|")),
                        "O_WRONLY first, with O_CREAT and O_TRUNC"))
    if w and o:
        c.check(w["exec_id"] == o["exec_id"] and w["pid"] == o["pid"],
                "file_write and file_open of one process differ in pid/exec_id", [o, w])
    c.done()


def test_write_syscall_variants():
    # write + writev + pwrite64 + pwritev2 on one fd; a second file left open at exit; a
    # write to /dev/null (not a regular file) and a read-only open (no writes) give none.
    d = tracelib.tmpdir()
    a, b = os.path.join(d, "a.bin"), os.path.join(d, "b.bin")
    script = f"""
        import os
        fd = os.open({a!r}, os.O_WRONLY | os.O_CREAT, 0o600)
        assert os.write(fd, b"1" * 10) == 10
        assert os.writev(fd, [b"2" * 20, b"3" * 30]) == 50
        assert os.pwrite(fd, b"4" * 40, 100) == 40
        assert os.pwritev(fd, [b"5" * 5, b"6" * 5], 200, os.RWF_DSYNC) == 10
        os.close(fd)
        fd2 = os.open({b!r}, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(fd2, b"x" * 7)
        os.write(fd2, b"y" * 8)
        null = os.open("/dev/null", os.O_WRONLY)
        os.write(null, b"z" * 100)
        os.open({a!r}, os.O_RDONLY)
        os._exit(0)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    w = c.one(run.lines, f"file_write of {a}", "file_write", path=a)
    c.fields(w, "write/writev/pwrite/pwritev2", bytes=110, writes=4)
    w = c.one(run.lines, f"file_write of {b} (left open at exit)", "file_write", path=b)
    c.fields(w, "file left open", bytes=15, writes=2)
    c.check(not run.select("file_write", path="/dev/null"), "file_write for /dev/null",
            run.select("file_write", path="/dev/null"))
    c.done()


def test_open_unusual_names():
    # Names JSON must escape or that are not UTF-8, and a path deeper than most
    # in-kernel path walks go: exact, or cut with path_truncated (never silently wrong).
    d = tracelib.tmpdir()
    weird = os.path.join(d.encode(), b'we\xffird\nname "q" \\ \x01')
    with open(weird, "w") as f:
        f.write("x")
    deep = os.path.join(d, *(["d"] * 200))
    os.makedirs(deep)
    deep_file = os.path.join(deep, "f.txt")
    with open(deep_file, "w") as f:
        f.write("x")
    run = tracelib.run_tracerd([b"cat", weird, deep_file.encode()])
    c = Checks(run)
    want = weird.decode("utf-8", "replace")
    c.one(run.lines, f"file_open of {want!r}", "file_open", path=want, ret=lambda r: r >= 0)
    opens = [o for o in run.select("file_open", comm="cat") if o["path"].endswith("/d/f.txt")]
    c.check(len(opens) == 1, "expected one file_open of the 200-deep file", opens)
    for o in opens:
        if o.get("path_truncated"):
            # Cut at a documented limit: what is left is the head or the tail of the path.
            kept = o["path"]
            c.check(len(kept) < len(deep_file) and (deep_file.startswith(kept)
                                                    or deep_file.endswith(kept)),
                    "path_truncated but the path is neither a head nor a tail of the real "
                    "one", [o])
        else:
            c.fields(o, "deep open", path=deep_file)
    c.done()


def test_open_syscall_variants():
    # open(2), creat(2) and openat2(2) besides openat(2), called directly.
    import platform
    if platform.machine() != "x86_64":
        raise tracelib.Skip("syscall numbers below are x86_64's")
    d = tracelib.tmpdir()
    script = f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        os.chdir({d!r})
        fd = libc.syscall(2, b"sub/../opened.txt", os.O_WRONLY | os.O_CREAT, 0o600)
        assert fd >= 0, ctypes.get_errno()
        assert libc.syscall(2, b"./missing/x", os.O_RDONLY) == -1
        fd = libc.syscall(85, b"created.txt", 0o600)
        assert fd >= 0, ctypes.get_errno()
        class OpenHow(ctypes.Structure):
            _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                        ("resolve", ctypes.c_uint64)]
        how = OpenHow(os.O_RDONLY | os.O_CLOEXEC, 0, 0)
        fd = libc.syscall(437, ctypes.c_long(-100), b"created.txt", ctypes.byref(how),
                          ctypes.sizeof(how))
        assert fd >= 0, ctypes.get_errno()
    """
    os.mkdir(os.path.join(d, "sub"))
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    o = c.one(run.lines, "open(2) of opened.txt", "file_open", path=os.path.join(d, "opened.txt"))
    c.fields(o, "open(2)", flags=pred(lambda f: f.split("|")[:2] == ["O_WRONLY", "O_CREAT"],
                                      "O_WRONLY|O_CREAT"), ret=lambda r: r >= 0)
    o = c.one(run.lines, "failed open(2)", "file_open", path=os.path.join(d, "missing", "x"))
    c.fields(o, "failed open(2)", ret=-2)
    created = run.select("file_open", path=os.path.join(d, "created.txt"))
    c.check(len(created) == 2, "expected a creat(2) and an openat2(2) of created.txt", created)
    if len(created) == 2:
        c.fields(created[0], "creat(2)", flags=pred(
            lambda f: {"O_WRONLY", "O_CREAT", "O_TRUNC"} <= set(f.split("|"))
            and f.startswith("O_WRONLY"), "O_WRONLY|O_CREAT|O_TRUNC"))
        c.fields(created[1], "openat2(2)", flags="O_RDONLY|O_CLOEXEC")
    c.done()


def test_write_dup_and_fork():
    # One open file: writes through a dup()ed fd add up on one line; a forked child
    # writing through the inherited fd is another process, with its own line.
    d = tracelib.tmpdir()
    out = os.path.join(d, "shared.txt")
    script = f"""
        import os
        fd = os.open({out!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, b"a")
        fd2 = os.dup(fd)
        os.write(fd2, b"bb")
        pid = os.fork()
        if pid == 0:
            for _ in range(3):
                os.write(fd, b"ccc")
            os._exit(0)
        os.waitpid(pid, 0)
        os.close(fd)
        os.write(fd2, b"dddd")
        os.close(fd2)
        print(pid, flush=True)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    child = int(run.stdout.strip() or 0)
    py = c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    lines = run.select("file_write", path=out)
    if py:
        w = c.one(lines, "file_write of the parent", pid=py["pid"])
        c.fields(w, "parent's writes (fd and its dup)", bytes=7, writes=3)
    w = c.one(lines, "file_write of the child", pid=child)
    c.fields(w, "child's writes", bytes=9, writes=3)
    c.done()
