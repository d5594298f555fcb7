# SPDX-License-Identifier: GPL-2.0-only
"""file_write for copies made in the kernel: copy_file_range, sendfile, splice, and the
tools that use them (cp, install, tar -x, rsync)."""

import os
import shutil
import tarfile

import tracelib
from tracelib import Checks

MIB = 1 << 20


def _source(d, name="src.bin", size=MIB):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def test_copy_syscalls():
    # Each copy syscall into a regular file adds its bytes; splice into a pipe, sendfile to
    # a socket and a copy of nothing (0 at end of input) write no file.
    d = tracelib.tmpdir()
    src = _source(d)
    cfr, sf, sp = (os.path.join(d, n) for n in ("cfr.bin", "sendfile.bin", "splice.bin"))
    script = f"""
        import os, socket
        src = os.open({src!r}, os.O_RDONLY)
        out = os.open({cfr!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        n = 0
        while True:
            k = os.copy_file_range(src, out, 300000)
            if k == 0:
                break
            n += k
        assert n == {MIB}, n
        os.close(out)
        out = os.open({sf!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        assert os.sendfile(out, src, 0, 100000) == 100000
        assert os.sendfile(out, src, 100000, 23456) == 23456
        os.close(out)
        a, b = socket.socketpair()
        assert os.sendfile(a.fileno(), src, 0, 5000) == 5000
        r, w = os.pipe()
        out = os.open({sp!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        total = 0
        for size in (40000, 25000):
            assert os.splice(src, w, size, offset_src=total) == size
            assert os.splice(r, out, size) == size
            total += size
        os.close(out)
        os._exit(0)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    for path, size, calls in ((cfr, MIB, 4), (sf, 123456, 2), (sp, 65000, 2)):
        c.check(os.path.getsize(path) == size, f"workload wrote {os.path.getsize(path)} "
                f"bytes to {path}, not {size}")
        w = c.one(run.lines, f"file_write of {path}", "file_write", path=path)
        c.fields(w, f"copy into {os.path.basename(path)}", bytes=size, writes=calls,
                 comm="python3")
    c.check(len(run.select("file_write")) == 3, "file_write lines other than the 3 copies",
            run.select("file_write"))
    c.done()


def test_cp_install_tar():
    # coreutils cp and install copy with copy_file_range; tar -x writes each member.
    d = tracelib.tmpdir()
    src = _source(d)
    members = {"a.txt": 1, "dir/b.bin": 70000, "dir/c.bin": 3 * MIB + 17}
    tree = os.path.join(d, "tree")
    os.makedirs(os.path.join(tree, "dir"))
    for name, size in members.items():
        _source(tree, name, size)
    archive = os.path.join(d, "t.tar")
    with tarfile.open(archive, "w") as t:
        for name in members:
            t.add(os.path.join(tree, name), arcname=name)
    x = os.path.join(d, "x")
    os.mkdir(x)
    cp_out, inst_out = os.path.join(d, "cp.bin"), os.path.join(d, "install.bin")
    run = tracelib.run_tracerd(["sh", "-c", f'cp "$1" "$2" && install -m 644 "$1" "$3" && '
                                f'tar -xf "$4" -C "$5"', "sh", src, cp_out, inst_out,
                                archive, x])
    c = Checks(run)
    for path, comm in ((cp_out, "cp"), (inst_out, "install")):
        c.check(os.path.getsize(path) == MIB, f"{comm} wrote {os.path.getsize(path)} bytes")
        w = c.one(run.lines, f"file_write of {path}", "file_write", path=path)
        c.fields(w, f"{comm}'s copy", bytes=MIB, comm=comm)
    for name, size in members.items():
        path = os.path.join(x, name)
        c.check(os.path.getsize(path) == size, f"tar wrote {os.path.getsize(path)} to {path}")
        w = c.one(run.lines, f"file_write of {path}", "file_write", path=path)
        c.fields(w, f"tar -x of {name}", bytes=size, comm="tar")
    c.done()


def test_rsync():
    # rsync's receiver writes into a temporary file in the destination directory, then
    # renames it: the file_write line names the file as it was when first written.
    rsync = shutil.which("rsync")
    if not rsync:
        raise tracelib.Skip("rsync is not installed (scripts/install-deps.sh installs it)")
    d = tracelib.tmpdir()
    src = os.path.join(d, "src")
    os.mkdir(src)
    sizes = {"one.bin": MIB, "two.bin": 12345}
    for name, size in sizes.items():
        _source(src, name, size)
    dst = os.path.join(d, "dst")
    run = tracelib.run_tracerd([rsync, "-a", src + "/", dst + "/"])
    c = Checks(run)
    for name, size in sizes.items():
        c.check(os.path.getsize(os.path.join(dst, name)) == size, f"rsync copied {name} wrong")
        prefix = os.path.join(dst, "." + name + ".")
        ws = [w for w in run.select("file_write")
              if w["path"] == os.path.join(dst, name) or w["path"].startswith(prefix)]
        c.check(len(ws) == 1, f"expected one file_write of {name} (or rsync's temporary "
                f"{prefix}XXXXXX), got {len(ws)}", run.select("file_write"))
        if len(ws) == 1:
            c.fields(ws[0], f"rsync of {name}", bytes=size, comm="rsync")
    c.done()
