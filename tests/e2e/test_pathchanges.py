# SPDX-License-Identifier: GPL-2.0-only
"""
Every path is exact after what changes it without changing the dentry or the mount
opened. The workload opens the same files again and again (a cache of walks, tried and
taken out, kept them; any reuse of walks must pass this), and between opens does what
changes a path: renames of the file, of a directory above it, an exchange of two
directories, a mount over a directory and its umount, a bind mount, a chroot, a new mount
namespace, a working directory renamed under a process, and dentries freed by
drop_caches then new files created. Every file_open line and every exec's cwd must name exactly what
the workload expects at that moment, paths of 255, 256 and 300 bytes included.
"""

import json
import os
import textwrap

import tracelib
from tracelib import Checks

WORKLOAD = r"""
    import ctypes, json, os, sys
    libc = ctypes.CDLL(None, use_errno=True)
    d, out = sys.argv[1], sys.argv[2]
    expected = []  # (kind, path) in the order the trace must show them
    MS_BIND, MS_REC, MS_PRIVATE, CLONE_NEWNS = 0x1000, 0x4000, 0x40000, 0x20000

    def check(ret, what):
        if ret < 0:
            raise OSError(ctypes.get_errno(), what)
        return ret

    def opened(path, shown=None, times=3):
        # Opened times in a row: a cache of walks would keep the first.
        for _ in range(times):
            os.close(os.open(path, os.O_RDONLY))
            expected.append(("open", shown or os.path.abspath(path)))

    def make(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("x")

    def in_child(fn):
        pid = os.fork()
        if pid == 0:
            # Opened before fn(), which may chroot.
            with open(out + ".%d" % os.getpid(), "w") as f:
                try:
                    fn()
                    code = 0
                except BaseException as e:
                    print("child:", repr(e), file=sys.stderr)
                    code = 1
                json.dump(expected, f)
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert status == 0, status
        with open(out + ".%d" % pid) as f:
            expected[:] = json.load(f)

    a = os.path.join(d, "pc-a", "pc-file")
    make(a)
    opened(a)
    # The file renamed: the same dentry under a new name.
    os.rename(a, os.path.join(d, "pc-a", "pc-renamed"))
    opened(os.path.join(d, "pc-a", "pc-renamed"))
    # Its directory renamed.
    os.rename(os.path.join(d, "pc-a"), os.path.join(d, "pc-b"))
    opened(os.path.join(d, "pc-b", "pc-renamed"))
    # Two directories exchanged (renameat2 RENAME_EXCHANGE).
    make(os.path.join(d, "pc-c", "pc-other"))
    opened(os.path.join(d, "pc-c", "pc-other"))
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    check(libc.renameat2(AT_FDCWD, os.path.join(d, "pc-b").encode(), AT_FDCWD,
                         os.path.join(d, "pc-c").encode(), RENAME_EXCHANGE), "renameat2")
    opened(os.path.join(d, "pc-c", "pc-renamed"))
    opened(os.path.join(d, "pc-b", "pc-other"))
    # A hard link: another dentry of the same inode.
    os.link(os.path.join(d, "pc-c", "pc-renamed"), os.path.join(d, "pc-c", "pc-link"))
    opened(os.path.join(d, "pc-c", "pc-link"))
    opened(os.path.join(d, "pc-c", "pc-renamed"))

    # Around 256 bytes, the longest path the cache of walks kept.
    for total in (255, 256, 300):
        path = os.path.join(d, "pc-long%d" % total)
        while len(path) < total:
            room = total - len(path) - 1  # after the "/"
            path = os.path.join(path, "y" * (room if room <= 96 else min(96, room - 2)))
        assert len(path) == total, (len(path), total)
        make(path)
        opened(path)

    def mounts():
        check(libc.unshare(CLONE_NEWNS), "unshare")
        check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "private")
        m = os.path.join(d, "pc-m")
        make(os.path.join(m, "pc-under"))
        opened(os.path.join(m, "pc-under"))
        # A bind mount: the same dentries through another mount.
        bind = os.path.join(d, "pc-bind")
        os.mkdir(bind)
        check(libc.mount(m.encode(), bind.encode(), None, MS_BIND, None), "bind")
        opened(os.path.join(bind, "pc-under"))
        opened(os.path.join(m, "pc-under"))
        # A tmpfs over the directory whose file was just opened, then gone again.
        check(libc.mount(b"tmpfs", m.encode(), b"tmpfs", 0, None), "tmpfs")
        make(os.path.join(m, "pc-on-tmpfs"))
        opened(os.path.join(m, "pc-on-tmpfs"))
        check(libc.umount2(m.encode(), 0), "umount")
        opened(os.path.join(m, "pc-under"))
        # Bind mount moved away (umount) after its path was walked.
        check(libc.umount2(bind.encode(), 0), "umount bind")
        opened(os.path.join(m, "pc-under"))
    in_child(mounts)

    def chrooted():
        opened(os.path.join(d, "pc-root", "pc-inside"))
        os.chroot(os.path.join(d, "pc-root"))
        opened("/pc-inside")
    make(os.path.join(d, "pc-root", "pc-inside"))
    in_child(chrooted)
    opened(os.path.join(d, "pc-root", "pc-inside"))

    # A working directory renamed under the process: the exec's cwd is the new name.
    def cwd_renamed():
        w = os.path.join(d, "pc-cwd")
        os.mkdir(w)
        os.chdir(w)
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                os.execv("/bin/true", ["/bin/true"])
            os.waitpid(pid, 0)
            expected.append(("cwd", w))
        os.rename(w, w + "-moved")
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                os.execv("/bin/true", ["/bin/true"])
            os.waitpid(pid, 0)
            expected.append(("cwd", w + "-moved"))
    in_child(cwd_renamed)

    # Dentries freed by drop_caches, new ones made (maybe at the same addresses).
    for i in range(200):
        make(os.path.join(d, "pc-many", "pc-f%d" % i))
        opened(os.path.join(d, "pc-many", "pc-f%d" % i), times=2)
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")
    for i in range(200):
        make(os.path.join(d, "pc-many2", "pc-g%d" % i))
        opened(os.path.join(d, "pc-many2", "pc-g%d" % i), times=2)
    for i in range(0, 200, 7):
        opened(os.path.join(d, "pc-many", "pc-f%d" % i), times=2)

    with open(out, "w") as f:
        json.dump(expected, f)
"""


def test_paths_follow_changes():
    d = tracelib.tmpdir("-pathchanges")
    out = os.path.join(tracelib.tmpdir("-pathchanges-out"), "expected.json")
    run = tracelib.run_tracerd([tracelib.PYTHON, "-c", textwrap.dedent(WORKLOAD), d, out])
    ch = Checks(run)
    with open(out) as f:
        expected = [tuple(e) for e in json.load(f)]
    got = []
    for line in run.lines:
        if line["type"] == "file_open" and "/pc-" in line.get("path", "") and \
                line["flags"].startswith("O_RDONLY"):
            got.append(("open", line["path"]))
        elif line["type"] == "process_exec" and line["filename"] == "/bin/true" and \
                "/pc-cwd" in line["cwd"]:
            got.append(("cwd", line["cwd"]))
    ch.check(len(got) == len(expected), f"{len(expected)} opens and execs expected, "
             f"{len(got)} in the trace")
    wrong = [(i, e, g) for i, (e, g) in enumerate(zip(expected, got)) if e != g]
    ch.check(not wrong, "paths not what the workload opened (index, expected, got)", wrong[:10])
    lost = run.select("trace_end")[0].get("events_lost") if run.select("trace_end") else None
    ch.check(not lost, "events lost", lost)
    ch.done()
