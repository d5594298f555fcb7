# SPDX-License-Identifier: GPL-2.0-only
"""
A file's first write takes its path from the file's open record when no walk could give
another (bpf/firstwrite.bpf.h): the file_write lines must name exactly what a walk at the
write names, whatever happened between the open and the write — a rename of the file or
of its directory, an unlink, a chroot, a lazy umount, a write from a forked child — and
for every way of opening (open, openat, openat2, creat).
"""

import os
import textwrap

import tracelib
from tracelib import Checks

NESTED = (3, 4, 5)  # directories, subdirectories, files in each

WORKLOAD = """
    import ctypes, os, struct, sys
    libc = ctypes.CDLL(None, use_errno=True)
    d = sys.argv[1]
    W = os.O_WRONLY | os.O_CREAT | os.O_TRUNC

    def check(ret, what):
        if ret < 0:
            raise OSError(ctypes.get_errno(), what)
        return ret

    def write_close(fd, data):
        assert os.write(fd, data) == len(data)
        os.close(fd)

    # Many files in nested directories: open, write, close, as tar does.
    for i in range({a}):
        for j in range({b}):
            sub = os.path.join(d, "n%d" % i, "m%d" % j)
            os.makedirs(sub)
            for k in range({c}):
                write_close(os.open(os.path.join(sub, "f%d.txt" % k), W, 0o644), b"x" * (k + 1))

    # Renamed between the open and the first write: the new name.
    fd = os.open(os.path.join(d, "before.txt"), W, 0o644)
    os.rename(os.path.join(d, "before.txt"), os.path.join(d, "after.txt"))
    write_close(fd, b"renamed")

    # Its directory renamed in between: the directory's new name.
    os.mkdir(os.path.join(d, "dir-old"))
    fd = os.open(os.path.join(d, "dir-old", "in.txt"), W, 0o644)
    os.rename(os.path.join(d, "dir-old"), os.path.join(d, "dir-new"))
    write_close(fd, b"moved dir")

    # Deleted in between: still the name it had.
    fd = os.open(os.path.join(d, "deleted.txt"), W, 0o644)
    os.unlink(os.path.join(d, "deleted.txt"))
    write_close(fd, b"gone")

    # openat() from a directory fd, creat(), openat2().
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    write_close(os.open("openat.txt", W, 0o644, dir_fd=dfd), b"at")
    write_close(check(libc.creat(os.path.join(d, "creat.txt").encode(), 0o644), "creat"), b"c")
    how = struct.pack("QQQ", W, 0o644, 0)
    fd = check(libc.syscall(437, dfd, b"openat2.txt", how, len(how)), "openat2")
    write_close(fd, b"at2")

    # Opened by the parent, first written by a forked child, then by the parent.
    fd = os.open(os.path.join(d, "forked.txt"), W, 0o644)
    pid = os.fork()
    if pid == 0:
        os.write(fd, b"child")
        os._exit(0)
    os.waitpid(pid, 0)
    write_close(fd, b"parent")

    # Two files in a private mount namespace's tmpfs: one written while mounted, the other
    # after a lazy umount detached it (a walk then stops at the mount's root).
    pid = os.fork()
    if pid == 0:
        MS_REC, MS_PRIVATE, MNT_DETACH, CLONE_NEWNS = 0x4000, 0x40000, 2, 0x20000
        mnt = os.path.join(d, "mnt")
        check(libc.unshare(CLONE_NEWNS), "unshare")
        check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount private")
        check(libc.mount(b"tmpfs", mnt.encode(), b"tmpfs", 0, None), "mount tmpfs")
        write_close(os.open(os.path.join(mnt, "mounted.txt"), W, 0o644), b"m")
        fd = os.open(os.path.join(mnt, "detached.txt"), W, 0o644)
        check(libc.umount2(mnt.encode(), MNT_DETACH), "umount2")
        write_close(fd, b"detached")
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status

    # A chroot: a file opened before it and written after, one opened and written inside.
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.path.join(d, "root", "pre.txt"), W, 0o644)
        os.chroot(os.path.join(d, "root"))
        write_close(fd, b"pre")
        write_close(os.open("/inside.txt", W, 0o644), b"inside")
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
"""


def test_first_write_paths():
    d = tracelib.tmpdir("-firstwrite")
    os.mkdir(os.path.join(d, "mnt"))
    os.mkdir(os.path.join(d, "root"))
    a, b, c = NESTED
    script = textwrap.dedent(WORKLOAD.format(a=a, b=b, c=c))
    run = tracelib.run_tracerd([tracelib.PYTHON, "-c", script, d])
    ch = Checks(run)
    py = ch.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    writes = [w for w in run.select("file_write") if w["path"].startswith(d) or
              w["path"].startswith("/") and not w["path"].startswith(("/dev/", "/proc/"))]
    expected = {}  # path -> [(bytes, writes)...] in any order

    def want(path, nbytes, nwrites=1):
        expected.setdefault(path, []).append((nbytes, nwrites))

    for i in range(a):
        for j in range(b):
            for k in range(c):
                want(os.path.join(d, f"n{i}", f"m{j}", f"f{k}.txt"), k + 1)
    want(os.path.join(d, "after.txt"), 7)
    want(os.path.join(d, "dir-new", "in.txt"), 9)
    want(os.path.join(d, "deleted.txt"), 4)
    want(os.path.join(d, "openat.txt"), 2)
    want(os.path.join(d, "creat.txt"), 1)
    want(os.path.join(d, "openat2.txt"), 3)
    want(os.path.join(d, "forked.txt"), 5)  # the child's line
    want(os.path.join(d, "forked.txt"), 6)  # the parent's
    want(os.path.join(d, "mnt", "mounted.txt"), 1)
    want("/detached.txt", 8)
    want("/pre.txt", 3)
    want("/inside.txt", 6)
    got = {}
    for w in writes:
        if py and w["pid"] != py["pid"] and w["comm"] != py["comm"]:
            continue
        got.setdefault(w["path"], []).append((w["bytes"], w["writes"]))
        ch.check("path_truncated" not in w, "a short path said truncated", w)
    for path, totals in expected.items():
        ch.check(sorted(got.get(path, [])) == sorted(totals),
                 f"file_write lines of {path}: expected {sorted(totals)}, "
                 f"got {sorted(got.get(path, []))}")
    extra = sorted(set(got) - set(expected))
    ch.check(not extra, "file_write lines of paths the workload did not write", extra)
    lost = run.select("trace_end")[0].get("events_lost") if run.select("trace_end") else None
    ch.check(not lost, "events lost", lost)
    ch.done()
