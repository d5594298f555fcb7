# SPDX-License-Identifier: GPL-2.0-only
"""
Ground truth: the cases where peer tracers are known to be wrong (bcc#3124, bcc#1250,
bcc#3343, falcosecurity/libs#1610, falco#3542, cilium/tetragon#3261 and #3427,
tracee#1806), each run on real processes under the real ./tracerd with the exact fields
the kernel and /proc say are true.

Interpretations of SPEC.md / README.md made here (where they are not explicit):
- A failed open is the requested path joined to the cwd or dirfd path with "." and ".."
  removed lexically; symlinks in it are not resolved (nothing was opened).
- "Paths longer than 4096 bytes keep their tail": a path of exactly 4095 or 4096 bytes
  is not cut and carries no path_truncated.
- A successful zero-byte write is a write call (writes counts it, bytes adds 0).
- file_write lines are compared per (process, file): a file closed implicitly (dup2 over
  its fd, close_range, O_CLOEXEC at exec) may be reported late (README limit) but never
  merged into another file's line.
- The 24 KiB argv limit counts the NUL after each argument (arg_end - arg_start): an
  argv of exactly 24576 such bytes is complete, one byte more is cut.
"""

import os
import shutil
import socket
import subprocess
import time
import uuid

import tracelib
import truthlib
from tracelib import ABSENT, Checks, TCPServer, pred

is_pos = pred(lambda v: isinstance(v, int) and v > 0, "> 0")
is_fd = pred(lambda v: isinstance(v, int) and v >= 0, ">= 0 (an fd)")


def access(mode):
    return pred(lambda f: f.split("|")[0] == mode, f"access mode {mode} first")


def _py_exec(c, run):
    return c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)


# ======================================================================================
# 1. file_open / file_write paths


def test_truth_path_relative_dotdot_symlinks():
    # bcc#3124 printed relative paths; falcosecurity/libs#1610 rebuilt *at paths wrongly.
    d = tracelib.tmpdir()
    a, b = os.path.join(d, "a"), os.path.join(d, "a", "b")
    os.makedirs(b)
    real = os.path.join(b, "file.txt")
    with open(real, "w") as f:
        f.write("x\n")
    os.symlink("a/b", os.path.join(d, "link-dir"))          # relative dir symlink
    os.symlink(real, os.path.join(d, "abs-link"))           # absolute file symlink
    os.symlink("chain2", os.path.join(d, "chain1"))         # chain of symlinks
    os.symlink("a/b/file.txt", os.path.join(d, "chain2"))
    os.symlink("..", os.path.join(a, "up"))                 # a symlink to ..
    args = ["b/file.txt", "../a/./b/file.txt", "../link-dir/file.txt", "../abs-link",
            "../chain1", "up/a/b/../b/file.txt", "b//file.txt"]
    script = f"""
        import os
        os.chdir({d!r})
        dfd = os.open("link-dir", os.O_RDONLY | os.O_DIRECTORY)   # the dir is {b}
        os.close(os.open("file.txt", os.O_RDONLY, dir_fd=dfd))
        os.close(os.open("../b/./file.txt", os.O_RDONLY, dir_fd=dfd))
        for rel in ("../zz/./y", "q/../../b/nope"):
            try:
                os.open(rel, os.O_RDONLY, dir_fd=dfd)
            except FileNotFoundError:
                pass
        os.chdir("link-dir")                                      # cwd is {b}
        os.close(os.open("file.txt", os.O_RDONLY))
        try:
            os.open("./missing", os.O_RDONLY)
        except FileNotFoundError:
            pass
        os.chdir({d!r})
        try:
            os.open("link-dir/nope", os.O_RDONLY)                 # failed: not resolved
        except FileNotFoundError:
            pass
    """
    # Two traced commands in one run: cat with every relative spelling (cwd a/), then
    # python with dirfds and a cwd reached through a symlink.
    sh = ("/bin/cat " + " ".join(f"'{x}'" for x in args) + " >/dev/null && exec \"$@\"")
    run = tracelib.run_tracerd(["/bin/sh", "-c", sh, "sh", *tracelib.py(script)], cwd=a)
    c = Checks(run)
    cat = c.one(run.lines, "process_exec of cat", "process_exec", filename="/bin/cat")
    if cat:
        c.fields(cat, "cat exec", cwd=a)
        opens = [o for o in run.select("file_open", exec_id=cat["exec_id"])
                 if not o["path"].startswith(("/etc/", "/lib", "/usr/", "/proc/", "/sys/"))]
        c.check([o["path"] for o in opens] == [real] * len(args),
                f"cat opened {len(args)} spellings of {real} (relative to cwd {a}, '..', "
                "symlinked dirs, absolute/chained symlinks, '//'): every path must be the "
                "file itself", opens)
        for o in opens:
            c.fields(o, "cat's open", ret=is_fd, flags=access("O_RDONLY"))
    py = _py_exec(c, run)
    mine = run.select("file_open", exec_id=py["exec_id"]) if py else []
    got = [(o["path"], "fd" if o["ret"] >= 0 else o["ret"]) for o in mine
           if o["path"].startswith(d)]
    want = [(b, "fd"),                                          # the dirfd itself
            (real, "fd"), (real, "fd"),                         # openat(dfd, ...)
            (os.path.join(a, "zz", "y"), -2),                   # failed: dfd path + rel
            (os.path.join(a, "b", "nope"), -2),
            (real, "fd"),                                       # cwd through the symlink
            (os.path.join(b, "missing"), -2),
            (os.path.join(d, "link-dir", "nope"), -2)]
    c.check(got == want, "python's opens under the test dir, in order, should be\n    "
            + "\n    ".join(map(str, want)) + "\n  got:", mine)
    c.done()


def test_truth_path_bind_mount():
    # cilium/tetragon#3261: the mount point showed up twice in paths through a bind mount.
    d = tracelib.tmpdir()
    inner = os.path.join(d, "src", "inner")
    os.makedirs(os.path.join(inner, "deep"))
    for p in ("file.txt", "deep/f2.txt"):
        with open(os.path.join(inner, p), "w") as f:
            f.write("x\n")
    dst, dst2 = os.path.join(d, "dst"), os.path.join(d, "dst2")
    os.mkdir(dst)
    os.mkdir(dst2)
    filemnt = os.path.join(d, "filemnt.txt")
    open(filemnt, "w").close()
    with truthlib.BindMount(inner, dst), truthlib.BindMount(dst, dst2), \
            truthlib.BindMount(os.path.join(inner, "file.txt"), filemnt), \
            truthlib.BindMount(dst, dst):   # a directory bind-mounted onto itself
        script = (f"cat {dst}/file.txt {dst}/deep/f2.txt {dst2}/deep/../file.txt "
                  f"{inner}/file.txt {filemnt} > /dev/null && "
                  f"cd {dst}/deep && cat f2.txt ../file.txt > /dev/null; "
                  f"cat nothere 2>/dev/null; echo hello > {dst}/new.txt; exit 0")
        run = tracelib.run_tracerd(["/bin/sh", "-c", script])
    c = Checks(run)
    expect = [f"{dst}/file.txt", f"{dst}/deep/f2.txt", f"{dst2}/file.txt", f"{inner}/file.txt",
              filemnt, f"{dst}/deep/f2.txt", f"{dst}/file.txt", f"{dst}/deep/nothere"]
    opens = [o for o in run.select("file_open", comm="cat") if o["path"].startswith(d)]
    c.check([o["path"] for o in opens] == expect,
            "cat's paths through bind mounts (each mount point exactly once), expected\n    "
            + "\n    ".join(expect) + "\n  got:", opens)
    w = c.one(run.lines, f"file_write of {dst}/new.txt", "file_write", path=f"{dst}/new.txt")
    c.fields(w, "write through the bind mount", bytes=6, writes=1, comm="sh")
    doubled = [o for o in run.lines if "/dst/" in o.get("path", "")[len(dst):]]
    c.check(not doubled, "paths with the mount point twice", doubled)
    c.done()


def _long_names(prefix_len, total, width=200):
    """Component names (each <= 255 bytes) making prefix + "/n1/n2/..." exactly total bytes."""
    names, length, i = [], prefix_len, 0
    while total - length > width + 1 + 10:
        names.append(f"{i:02d}" + "L" * (width - 2))
        length += width + 1
        i += 1
    names.append("E" * (total - length - 1))
    return names


def test_truth_path_long():
    # tetragon#3427 cut paths at 255 bytes. Up to 4096 bytes a path is exact; beyond it,
    # its tail with path_truncated. Components of ~200 bytes: depth stays ~25.
    d = tracelib.tmpdir()
    p4095 = truthlib.make_long_dirs(d, _long_names(len(d), 4095 - len("/f.txt")))
    f4095 = os.path.join(p4095, "f.txt")
    assert len(f4095) == 4095, len(f4095)
    names5k = _long_names(len(d), 5200)
    p5k = truthlib.make_long_dirs(d, names5k[:-1])
    d4096 = truthlib.make_long_dirs(d, _long_names(len(d), 4096 - len("/g.txt")))
    assert len(os.path.join(d4096, "g.txt")) == 4096
    script = f"""
        import os
        fd = os.open({f4095!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, b"abc")
        os.close(fd)
        os.chdir({d!r})
        for n in {_long_names(len(d), 4096 - len("/g.txt"))!r}:
            os.chdir(n)
        os.close(os.open("g.txt", os.O_WRONLY | os.O_CREAT, 0o600))    # 4096 bytes
        os.chdir({d!r})
        for n in {names5k[:-1]!r}:
            os.chdir(n)
        fd = os.open("h.txt", os.O_WRONLY | os.O_CREAT, 0o600)          # > 4096 bytes
        os.write(fd, b"12345")
        os.close(fd)
    """
    run = tracelib.run_tracerd(truthlib.py_file(script))
    c = Checks(run)
    py = _py_exec(c, run)
    mine = run.select("file_open", exec_id=py["exec_id"]) if py else []
    o = c.one(mine, "file_open of the 4095-byte path", path=f4095)
    c.fields(o, "4095-byte open", ret=is_fd, path_truncated=ABSENT)
    w = c.one(run.lines, "file_write of the 4095-byte path", "file_write", path=f4095)
    c.fields(w, "4095-byte write", bytes=3, writes=1, path_truncated=ABSENT)
    g = os.path.join(d4096, "g.txt")
    o = c.one(mine, "file_open of the 4096-byte path", path=g)
    c.fields(o, "4096-byte open (not longer than 4096: exact)", path_truncated=ABSENT)
    h = os.path.join(p5k, "h.txt")
    hs = [x for x in mine if x["path"].endswith("/h.txt")]
    c.check(len(hs) == 1, f"expected one file_open of the {len(h)}-byte path", hs)
    for x in hs:
        c.check(x.get("path_truncated") is True and h.endswith(x["path"])
                and x["path"].startswith("/") and 4096 - 256 <= len(x["path"]) <= 4096,
                f"the {len(h)}-byte path must be its tail (a whole number of components, "
                "3840..4096 bytes) with path_truncated", [x])
    ws = [x for x in run.select("file_write") if x["path"].endswith("/h.txt")]
    c.check(len(ws) == 1 and ws[0].get("bytes") == 5 and ws[0].get("path_truncated") is True
            and h.endswith(ws[0]["path"]), "file_write of the long path: tail, "
            "path_truncated, bytes 5", ws)
    c.done()


def test_truth_path_4095_byte_strings_are_not_cut():
    # PATH_MAX is 4096 with the NUL: a 4095-byte path is whole. A failed open asking for
    # one, and an exec of a 4095-byte filename, must not claim to be cut.
    d = tracelib.tmpdir()
    rel4095 = "/".join(["n" * 200] * 20)
    rel4095 += "/" + "m" * (4095 - len(rel4095) - 1)
    assert len(rel4095) == 4095
    bindir = truthlib.make_long_dirs(d, _long_names(len(d), 4095 - len("/t")))
    exe = os.path.join(bindir, "t")
    assert len(exe) == 4095
    os.symlink("/usr/bin/true", exe)
    script = f"""
        import os
        os.chdir({d!r})
        try:
            os.open({rel4095!r}, os.O_RDONLY)
        except FileNotFoundError:
            pass
        pid = os.fork()
        if pid == 0:
            os.execv({exe!r}, ["t4095"])
        os.waitpid(pid, 0)
    """
    run = tracelib.run_tracerd(truthlib.py_file(script))
    c = Checks(run)
    want = os.path.join(d, rel4095)
    o = c.one(run.lines, "failed open of a 4095-byte relative path", "file_open", path=want)
    c.fields(o, "failed open of 4095 bytes (nothing was cut)", ret=-2, path_truncated=ABSENT)
    ex = c.one(run.lines, "exec of a 4095-byte filename", "process_exec", args=["t4095"])
    c.fields(ex, "exec of 4095 bytes (nothing was cut)", filename=exe,
             filename_truncated=ABSENT, exe=os.path.realpath("/usr/bin/true"))
    c.done()


def test_truth_path_openat2_resolve_in_root():
    # openat2(dfd, path, RESOLVE_IN_ROOT) resolves "/" and ".." inside dfd: a failed one
    # asked for a path under dfd, whatever its leading "/" or its "..".
    import platform
    if platform.machine() != "x86_64":
        raise tracelib.Skip("openat2's syscall number below is x86_64's")
    d = tracelib.tmpdir()
    root = os.path.join(d, "jail")
    os.makedirs(os.path.join(root, "sub"))
    with open(os.path.join(root, "sub", "file.txt"), "w") as f:
        f.write("x")
    script = f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        class OpenHow(ctypes.Structure):
            _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                        ("resolve", ctypes.c_uint64)]
        dfd = os.open({root!r}, os.O_RDONLY | os.O_DIRECTORY)
        res = []
        for p in (b"/sub/file.txt", b"/sub/missing", b"../../../x/missing"):
            how = OpenHow(os.O_RDONLY, 0, 0x10)             # RESOLVE_IN_ROOT
            r = libc.syscall(437, dfd, p, ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how)))
            res.append(r if r >= 0 else -ctypes.get_errno())
        print(res, flush=True)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout.startswith(b"[") and b", -2, -2]" in run.stdout,
            f"workload results {run.stdout!r}")
    py = _py_exec(c, run)
    mine = [o for o in run.select("file_open", exec_id=py["exec_id"])
            if o["ret"] != 3 or o["path"] != root] if py else []
    got = [(o["path"], o["ret"] if o["ret"] < 0 else "fd") for o in mine][-3:]
    want = [(os.path.join(root, "sub", "file.txt"), "fd"),
            (os.path.join(root, "sub", "missing"), -2),
            (os.path.join(root, "x", "missing"), -2)]
    c.check(got == want, "openat2 RESOLVE_IN_ROOT opens should be\n    "
            + "\n    ".join(map(str, want)) + "\n  got:", mine[-3:])
    c.done()


def test_truth_path_reopened_pipe():
    # cat /dev/stdin on a pipe opens the pipe (/proc/self/fd/0 -> pipe:[N]). "/" names the
    # root directory, which nobody opened: that is a made-up path.
    script = """
        import os
        r, w = os.pipe()
        os.write(w, b"x")
        fd = os.open(f"/proc/self/fd/{r}", os.O_RDONLY)
        print(fd, os.readlink(f"/proc/self/fd/{fd}"), flush=True)
    """
    run = tracelib.run_tracerd(["/bin/sh", "-c", 'echo hi | /bin/cat /dev/stdin >/dev/null'
                                ' && exec "$@"', "sh", *tracelib.py(script)])
    c = Checks(run)
    fd, link = run.stdout.split()
    cat = c.one(run.lines, "cat /dev/stdin", "process_exec", filename="/bin/cat")
    opens = [o for o in run.select("file_open", exec_id=cat["exec_id"])
             if not o["path"].startswith(("/etc/", "/usr/"))] if cat else []
    c.check(len(opens) == 1, "cat's open of /dev/stdin", opens)
    py = _py_exec(c, run)
    o = c.one(run.lines, "python's open of its pipe", "file_open", ret=int(fd),
              exec_id=py["exec_id"] if py else None,
              flags=lambda f: f.startswith("O_RDONLY"))
    for x in opens + ([o] if o else []):
        c.fields(x, f"open of a pipe (/proc/self/fd shows {link.decode()})",
                 path=pred(lambda p: p != "/" and "pipe" in p,
                           "names the pipe, not the root directory"))
    c.done()


def test_truth_path_private_mount_namespace():
    # A tmpfs mounted in a private mount namespace: paths as seen inside it.
    if not shutil.which("unshare"):
        raise tracelib.Skip("unshare (util-linux) is missing")
    d = tracelib.tmpdir()
    m = os.path.join(d, "mnt")
    os.mkdir(m)
    script = (f"mount -t tmpfs truth-tmpfs {m} && echo hello > {m}/f && cat {m}/f && "
              f"mkdir {m}/sub && cd {m}/sub && cat ../f nope; exit 0")
    run = tracelib.run_tracerd(["unshare", "-m", "--propagation", "private",
                                "/bin/sh", "-c", script])
    c = Checks(run)
    c.check(run.stdout == b"hello\nhello\n", f"workload output {run.stdout!r}")
    c.check(not os.listdir(m), "the tmpfs leaked into the host namespace")
    o = c.one(run.lines, f"sh's open of {m}/f", "file_open", path=f"{m}/f", comm="sh")
    c.fields(o, "redirection open", ret=is_fd, flags=access("O_WRONLY"))
    cats = [o for o in run.select("file_open", comm="cat") if o["path"].startswith(d)]
    c.check([(o["path"], o["ret"] >= 0 or o["ret"]) for o in cats]
            == [(f"{m}/f", True), (f"{m}/f", True), (f"{m}/sub/nope", -2)],
            f"cat's opens in the namespace: {m}/f twice, {m}/sub/nope failed", cats)
    w = c.one(run.lines, f"file_write of {m}/f", "file_write", path=f"{m}/f")
    c.fields(w, "write in the namespace", bytes=6, writes=1)
    c.done()


CHROOT_PROG = r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void)
{
	int fd, ok = 1;
	fd = open("data/file.txt", O_RDONLY);          /* cwd is the new root */
	ok &= fd >= 0;
	ok &= open("/data/../data/file.txt", O_RDONLY) >= 0;
	ok &= open("/data/missing", O_RDONLY) == -1;
	ok &= open("../../../data/missing2", O_RDONLY) == -1;
	fd = open("/out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok &= fd >= 0 && write(fd, "abcd", 4) == 4;
	close(fd);
	ok &= chdir("/data") == 0;
	ok &= open("file.txt", O_RDONLY) >= 0;
	ok &= open("nothere", O_RDONLY) == -1;
	return ok ? 0 : 1;
}
"""


def test_truth_path_chroot():
    d = tracelib.tmpdir()
    root = os.path.join(d, "root")
    os.makedirs(os.path.join(root, "data"))
    with open(os.path.join(root, "data", "file.txt"), "w") as f:
        f.write("x")
    truthlib.static_binary(CHROOT_PROG, os.path.join(root, "prog"))
    run = tracelib.run_tracerd(["chroot", root, "/prog"], expect_rc=None)
    c = Checks(run)
    c.check(run.returncode == 0, f"the chrooted program failed ({run.returncode})")
    ex = c.one(run.lines, "process_exec of /prog", "process_exec", filename="/prog")
    c.fields(ex, "exec in the chroot", exe="/prog", cwd="/", args=["/prog"])
    mine = run.select("file_open", exec_id=ex["exec_id"]) if ex else []
    got = [(o["path"], o["ret"] if o["ret"] < 0 else "fd") for o in mine]
    want = [("/data/file.txt", "fd"), ("/data/file.txt", "fd"), ("/data/missing", -2),
            ("/data/missing2", -2), ("/out.txt", "fd"), ("/data/file.txt", "fd"),
            ("/data/nothere", -2)]
    c.check(got == want, "the static program's opens, relative to the chroot as "
            "/proc/self/fd shows them inside, should be\n    " + "\n    ".join(map(str, want))
            + "\n  got:", mine)
    w = c.one(run.lines, "file_write of /out.txt", "file_write", path="/out.txt")
    c.fields(w, "write in the chroot", bytes=4, writes=1)
    if ex:
        end = c.one(run.lines, "process_exit of /prog", "process_exit", exec_id=ex["exec_id"])
        c.fields(end, "prog exit", exit_code=0)
    c.done()


def test_truth_path_proc_mem_environ():
    # A supply-chain job reading another process's memory or environment: the real
    # /proc/PID path, also through /proc/self and relative to a /proc/PID cwd.
    victim = subprocess.Popen(["/bin/sleep", "30"])
    try:
        v = victim.pid
        script = f"""
            import os
            for p in ("/proc/{v}/environ", "/proc/{v}/mem", "/proc/self/mem",
                      "/proc/self/environ", "/proc/{v}/task/{v}/mem"):
                os.close(os.open(p, os.O_RDONLY))
            os.chdir("/proc/{v}")
            os.close(os.open("mem", os.O_RDONLY))
            try:
                os.open("/proc/2147483647/mem", os.O_RDONLY)
            except FileNotFoundError:
                pass
            print(os.getpid(), flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    finally:
        victim.kill()
        victim.wait()
    c = Checks(run)
    me = int(run.stdout or 0)
    opens = [(o["path"], o["ret"] if o["ret"] < 0 else "fd")
             for o in run.select("file_open", pid=me) if o["path"].startswith("/proc/")
             and not o["path"].startswith(f"/proc/{me}/f")]
    want = [(f"/proc/{v}/environ", "fd"), (f"/proc/{v}/mem", "fd"), (f"/proc/{me}/mem", "fd"),
            (f"/proc/{me}/environ", "fd"), (f"/proc/{v}/task/{v}/mem", "fd"),
            (f"/proc/{v}/mem", "fd"), ("/proc/2147483647/mem", -2)]
    c.check(opens == want, "the /proc opens should be\n    " + "\n    ".join(map(str, want))
            + "\n  got:", run.select("file_open", pid=me,
                                     path=lambda p: p.startswith("/proc/")))
    c.done()


def test_truth_path_failed_open_as_nobody():
    # EACCES for a non-root user, relative to cwd and to a dirfd: the requested path,
    # absolute, '.' and '..' removed; uid 65534 on the lines.
    d = truthlib.public_tmpdir()
    try:
        os.mkdir(os.path.join(d, "sub"))
        secret = os.path.join(d, "secret")
        with open(secret, "w") as f:
            f.write("s")
        os.chmod(secret, 0o600)
        script = f"""
            import os
            dfd = os.open("sub", os.O_RDONLY | os.O_DIRECTORY)
            for rel, fd in (("../secret", dfd), ("./../sub/../secret", dfd),
                            ("sub/../secret", None), ("../{os.path.basename(d)}/./secret", None)):
                try:
                    os.open(rel, os.O_RDONLY, dir_fd=fd)
                except PermissionError:
                    pass
            try:
                os.open("sub/missing", os.O_WRONLY)
            except FileNotFoundError:
                pass
        """
        run = tracelib.run_tracerd(["setpriv", "--reuid=65534", "--regid=65534",
                                    "--clear-groups", *tracelib.py(script)], cwd=d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    c = Checks(run)
    py = _py_exec(c, run)
    mine = [o for o in run.select("file_open", exec_id=py["exec_id"])
            if o["path"].startswith(d)] if py else []
    got = [(o["path"], "fd" if o["ret"] >= 0 else o["ret"]) for o in mine]
    want = [(os.path.join(d, "sub"), "fd")] + \
        [(secret, -13)] * 4 + [(os.path.join(d, "sub", "missing"), -2)]
    c.check(got == want,
            "the opens as nobody should be\n    " + "\n    ".join(map(str, want))
            + "\n  got:", mine)
    for o in mine:
        c.fields(o, "open as nobody", uid=65534)
    c.done()


def test_truth_write_shell_redirections():
    # echo x > f in a shell: the builtin writes through fd 1 after dup2; the shell then
    # restores fd 1 with dup2 (the file is closed without close()). Each file one line.
    d = tracelib.tmpdir()
    script = ("echo a > f1; echo bb > f2; echo ccc >> f3; printf dddd > f4; "
              "echo eeeee > f5; exit 0")
    run = tracelib.run_tracerd(["/bin/sh", "-c", script], cwd=d)
    c = Checks(run)
    for name, n in (("f1", 2), ("f2", 3), ("f3", 4), ("f4", 4), ("f5", 6)):
        p = os.path.join(d, name)
        c.check(os.path.getsize(p) == n, f"{p} holds {os.path.getsize(p)} bytes")
        w = c.one(run.lines, f"file_write of {p}", "file_write", path=p)
        c.fields(w, f"{name} (echo/printf redirected)", bytes=n, writes=1, comm="sh")
    c.done()


def test_truth_write_dd_and_tee():
    d = tracelib.tmpdir()
    f1, f2, f3 = (os.path.join(d, n) for n in ("dd.bin", "tee.txt", "dd-append.bin"))
    script = (f"dd if=/dev/zero of={f1} bs=1000 count=7 status=none && "
              f"printf 'line1\\nline2\\n' | tee {f2} > /dev/null && "
              f"dd if=/dev/zero of={f3} bs=333 count=3 oflag=append conv=notrunc status=none && "
              f"dd if=/dev/zero bs=100 count=2 status=none >> {f3}; exit 0")
    run = tracelib.run_tracerd(["/bin/sh", "-c", script])
    c = Checks(run)
    w = c.one(run.lines, f"file_write of {f1}", "file_write", path=f1)
    c.fields(w, "dd of=", bytes=7000, writes=7, comm="dd")
    w = c.one(run.lines, f"file_write of {f2}", "file_write", path=f2)
    c.fields(w, "tee", bytes=12, comm="tee", writes=pred(lambda n: 1 <= n <= 2, "1 or 2"))
    ws = run.select("file_write", path=f3)
    c.check(sorted((x["bytes"], x["writes"]) for x in ws) == [(200, 2), (999, 3)],
            f"two dd processes appending to {f3}: (999 bytes, 3 writes) and (200, 2)", ws)
    c.done()


def test_truth_write_inherited_across_fork():
    # One open file shared by a parent and 3 children (one writing through a dup of the
    # inherited fd): one line per process, each with that process's own totals.
    d = tracelib.tmpdir()
    out = os.path.join(d, "shared.txt")
    script = f"""
        import os
        fd = os.open({out!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, b"p")
        kids = []
        for i in range(3):
            pid = os.fork()
            if pid == 0:
                w = fd
                if i == 2:
                    w = os.dup2(fd, 9)
                for _ in range(i + 1):
                    os.write(w, b"c" * (10 * (i + 1)))
                os._exit(0)
            kids.append(pid)
        for pid in kids:
            os.waitpid(pid, 0)
        os.write(fd, b"pp")
        os.close(fd)
        print(" ".join(map(str, kids)), flush=True)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    kids = [int(x) for x in run.stdout.split()]
    py = _py_exec(c, run)
    lines = run.select("file_write", path=out)
    c.check(len(lines) == 4, "expected 4 file_write lines (parent + 3 children)", lines)
    if py:
        w = c.one(lines, "the parent's line", pid=py["pid"])
        c.fields(w, "parent", bytes=3, writes=2, exec_id=py["exec_id"])
    for i, pid in enumerate(kids):
        w = c.one(lines, f"child {i}'s line", pid=pid)
        c.fields(w, f"child {i}", bytes=10 * (i + 1) * (i + 1), writes=i + 1, ppid=py and
                 py["pid"])
    c.check(os.path.getsize(out) == 3 + 10 + 40 + 90, "file size")
    c.done()


def test_truth_write_vectored_totals():
    d = tracelib.tmpdir()
    a, b = os.path.join(d, "vec.bin"), os.path.join(d, "append.bin")
    script = f"""
        import os
        fd = os.open({a!r}, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        n = 0
        n += os.writev(fd, [b"a" * 1000, b"b" * 2000, b"c" * 3])
        n += os.pwrite(fd, b"d" * 77, 10000)
        n += os.pwritev(fd, [b"e" * 5, b"f" * 6, b"g" * 7], 20000)
        n += os.pwritev(fd, [b"h" * 11], -1, os.RWF_APPEND)
        n += os.write(fd, b"")                         # a successful zero-byte write
        try:
            os.write(fd + 100, b"x")                   # EBADF: not a write that happened
        except OSError:
            pass
        os.read(fd, 10)                                # reads count for nothing
        os.close(fd)
        ro = os.open({a!r}, os.O_RDONLY)
        try:
            os.write(ro, b"x")                         # EBADF on a read-only fd
        except OSError:
            pass
        os.close(ro)
        fd = os.open({b!r}, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        for i in range(100):
            os.write(fd, b"z" * i)
        print(n, flush=True)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"3109\n", f"workload wrote {run.stdout!r} bytes, expected 3109")
    w = c.one(run.lines, f"file_write of {a}", "file_write", path=a)
    c.fields(w, "writev + pwrite64 + pwritev + pwritev2 + empty write", bytes=3109, writes=5)
    w = c.one(run.lines, f"file_write of {b} (open at exit)", "file_write", path=b)
    c.fields(w, "100 appends", bytes=4950, writes=100)
    c.done()


def test_truth_write_after_implicit_close():
    # A file closed without close() (dup2 over its fd, close_range, O_CLOEXEC at exec),
    # then another file opened and written by the same process: two lines, never the
    # second file's writes added to the first's.
    d = tracelib.tmpdir()
    f = {k: os.path.join(d, k) for k in ("dup2-1", "dup2-2", "range-1", "range-2",
                                         "cloexec-1", "cloexec-2")}
    script = f"""
        import os
        def case(first, second, how):
            pid = os.fork()
            if pid:
                os.waitpid(pid, 0)
                return
            fd = os.open(first, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            os.write(fd, b"1")
            if how == "dup2":
                os.dup2(os.open("/dev/null", os.O_RDONLY), fd)
            elif how == "range":
                os.closerange(fd, fd + 1)     # close_range(2) on Python 3.11 / glibc 2.34+
            else:
                os.execv("/bin/sh", ["/bin/sh", "-c", 'echo 22 > "$0"; exit 0', second])
            fd2 = os.open(second, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd2, b"22\\n")
            os.close(fd2)
            os._exit(0)
        case({f["dup2-1"]!r}, {f["dup2-2"]!r}, "dup2")
        case({f["range-1"]!r}, {f["range-2"]!r}, "range")
        case({f["cloexec-1"]!r}, {f["cloexec-2"]!r}, "exec")
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    for how in ("dup2", "range", "cloexec"):
        first, second = f[f"{how}-1"], f[f"{how}-2"]
        w1 = c.one(run.lines, f"file_write of {first} ({how})", "file_write", path=first)
        c.fields(w1, f"{how}: the implicitly closed file", bytes=1, writes=1)
        w2 = c.one(run.lines, f"file_write of {second} ({how})", "file_write", path=second)
        c.fields(w2, f"{how}: the file written after it", bytes=3, writes=1)
    c.done()


# ======================================================================================
# 2. Process lineage


def test_truth_lineage_sh_sh_cmd():
    inner = "/bin/echo hi > /dev/null; exit 3"
    outer = f"/bin/sh -c '{inner}'; /bin/sleep 0.05; exit 4"
    run = tracelib.run_tracerd(["/bin/sh", "-c", outer], expect_rc=4)
    c = Checks(run)
    sh1 = c.one(run.lines, "outer sh", "process_exec", args=["/bin/sh", "-c", outer])
    sh2 = c.one(run.lines, "inner sh", "process_exec", args=["/bin/sh", "-c", inner])
    echo = c.one(run.lines, "echo", "process_exec", args=["/bin/echo", "hi"])
    sleep = c.one(run.lines, "sleep", "process_exec", args=["/bin/sleep", "0.05"])
    if not (sh1 and sh2 and echo and sleep):
        c.done()
    cwd = os.getcwd()
    c.fields(sh1, "outer sh", ppid=run.pid, cwd=cwd, uid=0, exe=os.path.realpath("/bin/sh"),
             parent_exec_id=pred(lambda e: e.startswith(f"{run.pid}-"), "tracerd's pid-..."))
    c.fields(sh2, "inner sh", ppid=sh1["pid"], parent_exec_id=sh1["exec_id"], cwd=cwd, uid=0)
    c.fields(echo, "echo", ppid=sh2["pid"], parent_exec_id=sh2["exec_id"], cwd=cwd, uid=0)
    c.fields(sleep, "sleep", ppid=sh1["pid"], parent_exec_id=sh1["exec_id"])
    ids = [x["exec_id"] for x in (sh1, sh2, echo, sleep)]
    c.check(len(set(ids)) == 4, "exec_ids not unique", [sh1, sh2, echo, sleep])
    codes = {}
    for ex, code in ((sh1, 4), (sh2, 3), (echo, 0), (sleep, 0)):
        end = c.one(run.lines, f"process_exit of {ex['args'][:2]}", "process_exit",
                    exec_id=ex["exec_id"])
        c.fields(end, f"exit of {ex['comm']}", pid=ex["pid"], exit_code=code, signal=ABSENT,
                 duration_ns=is_pos, ppid=ex["ppid"])
        if end:
            codes[ex["exec_id"]] = end
            span = (tracelib.parse_timestamp(end["timestamp"])
                    - tracelib.parse_timestamp(ex["timestamp"])) * 1e9
            c.check(end.get("duration_ns", 0) >= span - 2e6,
                    f"{ex['comm']}: duration_ns {end.get('duration_ns')} is shorter than "
                    f"exec->exit {span:.0f} ns", [ex, end])
    if len(codes) == 4:
        d = {k: v["duration_ns"] for k, v in codes.items()}
        c.check(d[sh1["exec_id"]] > d[sh2["exec_id"]] > d[echo["exec_id"]]
                and d[sh1["exec_id"]] > d[sleep["exec_id"]] >= 50_000_000,
                "durations must nest (outer sh > inner sh > echo; sleep >= 50 ms)",
                list(codes.values()))
    c.done()


def test_truth_exit_signals_and_core():
    d = tracelib.tmpdir()
    script = """
        import os, signal, subprocess, time
        def until_exec(p, comm):
            for _ in range(500):
                with open(f"/proc/{p.pid}/comm") as f:
                    if f.read().strip() == comm:
                        return
                time.sleep(0.01)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            p = subprocess.Popen(["/bin/sleep", "30"])
            until_exec(p, "sleep")
            p.send_signal(sig)
            p.wait()
        subprocess.run(["/bin/sh", "-c", "ulimit -c unlimited; kill -SEGV $$"])
        subprocess.run(["/bin/sh", "-c", "ulimit -c 0; kill -SEGV $$"])
    """
    run = tracelib.run_tracerd(tracelib.py(script), cwd=d)
    c = Checks(run)
    sleeps = run.exec_of(args=["/bin/sleep", "30"])
    c.check(len(sleeps) == 2, "two sleeps", sleeps)
    for ex, sig in zip(sleeps, (15, 9)):
        end = c.one(run.lines, f"process_exit of sleep killed by {sig}", "process_exit",
                    exec_id=ex["exec_id"])
        c.fields(end, f"sleep killed by {sig}", signal=sig, exit_code=ABSENT,
                 core_dumped=ABSENT, duration_ns=is_pos)
    for script_, core in (("ulimit -c unlimited; kill -SEGV $$", True),
                          ("ulimit -c 0; kill -SEGV $$", ABSENT)):
        ex = c.one(run.lines, f"sh {script_!r}", "process_exec",
                   args=["/bin/sh", "-c", script_])
        if ex:
            end = c.one(run.lines, f"process_exit of {script_!r}", "process_exit",
                        exec_id=ex["exec_id"])
            c.fields(end, f"SIGSEGV ({script_})", signal=11, exit_code=ABSENT,
                     core_dumped=core)
    c.done()


def test_truth_exec_from_thread_is_not_an_exit():
    script = """
        import os, threading, time
        def busy():
            while True:
                time.sleep(0.001)
        threading.Thread(target=busy, daemon=True).start()
        def run():
            time.sleep(0.2)
            os.execv("/bin/sh", ["/bin/sh", "-c", "/bin/true; exit 5"])
        threading.Thread(target=run).start()
        time.sleep(30)
    """
    run = tracelib.run_tracerd(tracelib.py(script), expect_rc=5)
    c = Checks(run)
    py = _py_exec(c, run)
    sh = c.one(run.lines, "process_exec of sh from the thread", "process_exec",
               args=["/bin/sh", "-c", "/bin/true; exit 5"])
    if py and sh:
        c.fields(sh, "exec from a thread", pid=py["pid"], tid=py["pid"], ppid=py["ppid"],
                 parent_exec_id=py["parent_exec_id"],
                 exec_id=pred(lambda e: e != py["exec_id"], "a new exec_id"))
        exits = run.select("process_exit", pid=py["pid"])
        c.check(len(exits) == 1, f"{len(exits)} process_exit lines for pid {py['pid']} "
                "(an exec from a thread is not an exit: one, for the sh image)", exits)
        for e in exits:
            life = (tracelib.parse_timestamp(e["timestamp"])
                    - tracelib.parse_timestamp(py["timestamp"])) * 1e9
            c.fields(e, "the process's one exit", exec_id=sh["exec_id"], exit_code=5,
                     duration_ns=pred(lambda n: n >= life - 2e6,
                                      f">= the whole life since python's exec ({life:.0f})"))
        true = c.one(run.lines, "/bin/true after the thread exec", "process_exec",
                     filename="/bin/true")
        c.fields(true, "child of the new image", ppid=py["pid"], parent_exec_id=sh["exec_id"])
    c.done()


def test_truth_vfork_posix_spawn():
    script = """
        import os
        pid = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", "exit 6"], os.environ)
        _, st = os.waitpid(pid, 0)
        pid2 = os.posix_spawnp("true", ["true", "spawnp"], os.environ)
        os.waitpid(pid2, 0)
        try:
            os.posix_spawn("/nonexistent/truth", ["x"], os.environ)
        except FileNotFoundError:
            pass
        print(pid, pid2, os.waitstatus_to_exitcode(st), flush=True)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    py = _py_exec(c, run)
    try:
        pid, pid2, code = map(int, run.stdout.split())
    except ValueError:
        raise AssertionError(f"workload output {run.stdout!r}\n{run.describe()}") from None
    c.check(code == 6, f"posix_spawn'd sh exited {code}")
    for p, args, want_code in ((pid, ["/bin/sh", "-c", "exit 6"], 6),
                               (pid2, ["true", "spawnp"], 0)):
        ex = c.one(run.lines, f"process_exec of {args}", "process_exec", args=args)
        if ex and py:
            c.fields(ex, f"posix_spawn {args[0]}", pid=p, tid=p, ppid=py["pid"],
                     parent_exec_id=py["exec_id"], exe=os.path.realpath(
                         "/bin/sh" if "sh" in args[0] else "/usr/bin/true"))
            end = c.one(run.lines, f"process_exit of {args}", "process_exit",
                        exec_id=ex["exec_id"])
            c.fields(end, "spawned exit", exit_code=want_code, pid=p)
    c.check(not run.exec_of(args=["x"]), "a failed posix_spawn is not a process_exec",
            run.exec_of(args=["x"]))
    c.done()


def test_truth_subreaper_reparenting():
    d = tracelib.tmpdir()
    m1, m2 = os.path.join(d, "before"), os.path.join(d, "after")
    script = f"""
        import ctypes, os, time
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.prctl(36, 1, 0, 0, 0) == 0          # PR_SET_CHILD_SUBREAPER
        me = os.getpid()
        r, w = os.pipe()
        a = os.fork()
        if a == 0:
            g = os.fork()
            if g == 0:
                os.close(os.open({m1!r}, os.O_WRONLY | os.O_CREAT, 0o600))
                os.write(w, b"x")
                while os.getppid() != me:
                    time.sleep(0.005)
                os.close(os.open({m2!r}, os.O_WRONLY | os.O_CREAT, 0o600))
                os.execv("/bin/sh", ["/bin/sh", "-c", "/bin/true; exit 9"])
            os.read(r, 1)
            os._exit(0)
        os.waitpid(a, 0)
        g, st = os.wait()
        print(a, g, os.waitstatus_to_exitcode(st), flush=True)
    """
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    py = _py_exec(c, run)
    try:
        a, g, code = map(int, run.stdout.split())
    except ValueError:
        raise AssertionError(f"workload output {run.stdout!r}\n{run.describe()}") from None
    c.check(code == 9, f"grandchild exit {code}")
    if py:
        me = py["pid"]
        o = c.one(run.lines, "grandchild's open before reparenting", "file_open", path=m1)
        c.fields(o, "before reparenting", pid=g, ppid=a)
        o = c.one(run.lines, "grandchild's open after reparenting", "file_open", path=m2)
        c.fields(o, "after reparenting to the subreaper", pid=g, ppid=me)
        ex = c.one(run.lines, "grandchild's exec", "process_exec",
                   args=["/bin/sh", "-c", "/bin/true; exit 9"])
        c.fields(ex, "grandchild exec", pid=g, ppid=me, parent_exec_id=py["exec_id"])
        end = c.one(run.lines, "grandchild's exit", "process_exit", pid=g)
        c.fields(end, "grandchild exit", ppid=me, exit_code=9,
                 exec_id=ex["exec_id"] if ex else None)
        end = c.one(run.lines, "middle child's exit", "process_exit", pid=a)
        c.fields(end, "middle child exit", ppid=me, exit_code=0)
        t = c.one(run.lines, "/bin/true of the grandchild", "process_exec", filename="/bin/true")
        c.fields(t, "true", ppid=g, parent_exec_id=ex["exec_id"] if ex else None)
    c.done()


def test_truth_parallel_burst_of_short_processes():
    # bcc#1250: short-lived processes in a parallel burst were missed.
    d = tracelib.tmpdir()
    n = 500
    run = tracelib.run_tracerd(["/bin/sh", "-c", f"seq {n} | xargs -P 8 -n 1 /bin/true"],
                               cwd=d)
    c = Checks(run)
    c.check(not run.select("events_lost"), "events_lost lines", run.select("events_lost"))
    xargs = c.one(run.lines, "process_exec of xargs", "process_exec",
                  args=["xargs", "-P", "8", "-n", "1", "/bin/true"])
    trues = run.exec_of(filename="/bin/true")
    c.check(len(trues) == n, f"{len(trues)} process_exec lines of /bin/true, expected {n}")
    c.check(sorted(x["args"][1] for x in trues if len(x["args"]) == 2)
            == sorted(str(i) for i in range(1, n + 1)), "each of 1..500 exactly once in args")
    ids = {x["exec_id"] for x in trues}
    exits = [e for e in run.select("process_exit") if e["exec_id"] in ids]
    c.check(len(exits) == n and {e["exec_id"] for e in exits} == ids,
            f"{len(exits)} process_exit lines for the {n} /bin/true exec_ids")
    bad = [x for x in trues if x.get("cwd") != d or x.get("uid") != 0
           or (xargs and (x.get("ppid") != xargs["pid"]
                          or x.get("parent_exec_id") != xargs["exec_id"]))]
    c.check(not bad, f"/bin/true lines without cwd {d}, uid 0, ppid/parent_exec_id of xargs",
            bad[:5])
    bad = [e for e in exits if e.get("exit_code") != 0 or "signal" in e or "ppid" not in e]
    c.check(not bad, "process_exit of /bin/true not exit_code 0", bad[:5])
    c.done()


# ======================================================================================
# 3. process_exec args and binaries

ARGS_LIMIT = 24576


def _args_expected(argv):
    """What process_exec.args holds for argv under the 24 KiB limit, and args_truncated."""
    raw = b"".join(a.encode() + b"\0" for a in argv)
    if len(raw) <= ARGS_LIMIT:
        return argv, ABSENT
    cut = raw[:ARGS_LIMIT]
    parts = cut.split(b"\0")
    if cut.endswith(b"\0"):
        parts = parts[:-1]
    return [p.decode() for p in parts], True


def test_truth_args_thousand_and_npm():
    # bcc#3343 lost arguments; falco#3542 truncated npm command lines (~20 KB).
    thousand = ["/bin/echo"] + [f"a{i}" + "x" * (i % 17) for i in range(1000)]
    pkgs = [f"@scope-{i % 37}/package-name-{i}@^{i % 9}.{i % 13}.{i % 7}" for i in range(600)]
    npm = ["/bin/true", "node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "install",
           "--save-dev", "--no-audit", "--registry=https://registry.npmjs.org/"] + pkgs
    one_string = "npm install --no-fund " + " ".join(pkgs)
    shell = ["/bin/sh", "-c", ": " + one_string + "; exit 0"]
    for argv in (npm, shell):
        size = sum(len(a) + 1 for a in argv)
        assert 19000 < size < ARGS_LIMIT, size
    script = f"""
        import os
        for argv in ({thousand!r}, {npm!r}, {shell!r}):
            pid = os.fork()
            if pid == 0:
                fd = os.open("/dev/null", os.O_WRONLY)
                os.dup2(fd, 1)
                os.execv(argv[0], argv)
            os.waitpid(pid, 0)
    """
    run = tracelib.run_tracerd(truthlib.py_file(script))
    c = Checks(run)
    for argv, what in ((thousand, "1000 arguments"), (npm, "npm-like argv ~20 KB"),
                       (shell, "one 20 KB sh -c string")):
        ex = run.exec_of(filename=argv[0], args=lambda a, n=argv: a[:2] == n[:2])
        c.check(len(ex) == 1, f"{what}: expected one process_exec", ex)
        for x in ex:
            got = x["args"]
            first = next((i for i, (p, q) in enumerate(zip(got, argv)) if p != q), None)
            c.check(got == argv and "args_truncated" not in x,
                    f"{what}: args differ: {len(got)} of {len(argv)} elements, first "
                    f"difference at {first}, args_truncated={x.get('args_truncated')}", [x])
    c.done()


def test_truth_args_limit_boundary():
    def argv_of(total):
        argv = ["/bin/true"]
        size = len("/bin/true") + 1
        i = 0
        while total - size > 101:
            argv.append(f"{i:04d}" + "y" * 96)
            size += 101
            i += 1
        argv.append("z" * (total - size - 1))
        assert sum(len(a) + 1 for a in argv) == total
        return argv
    cases = [argv_of(ARGS_LIMIT), argv_of(ARGS_LIMIT + 1), argv_of(40000)]
    script = f"""
        import os
        for argv in {cases!r}:
            pid = os.fork()
            if pid == 0:
                os.execv(argv[0], argv)
            os.waitpid(pid, 0)
    """
    run = tracelib.run_tracerd(truthlib.py_file(script))
    c = Checks(run)
    trues = run.exec_of(filename="/bin/true")
    c.check(len(trues) == 3, "three execs of /bin/true", trues)
    for x, argv, label in zip(trues, cases, ("exactly 24576 bytes", "24577 bytes",
                                              "40000 bytes")):
        want, trunc = _args_expected(argv)
        got = x["args"]
        first = next((i for i, (p, q) in enumerate(zip(got, want)) if p != q), None)
        c.check(got == want and x.get("args_truncated", ABSENT) == trunc,
                f"argv of {label}: expected {len(want)} args (last {want[-1][:20]!r}... "
                f"{len(want[-1])} bytes), args_truncated {trunc}; got {len(got)} args "
                f"(last {len(got[-1]) if got else 0} bytes), first difference at {first}, "
                f"args_truncated {x.get('args_truncated', ABSENT)}", [x])
    c.done()


def test_truth_exec_fd_memfd_deleted_symlink():
    d = tracelib.tmpdir()
    copy = os.path.join(d, "deleted-true")
    script = f"""
        import ctypes, os, shutil
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        def spawn(fn):
            pid = os.fork()
            if pid == 0:
                fn()
                os._exit(99)
            os.waitpid(pid, 0)
            return pid
        def execveat(dfd, name, argv, flags):
            arr = (ctypes.c_char_p * (len(argv) + 1))(*[a.encode() for a in argv], None)
            env = (ctypes.c_char_p * 1)(None)
            libc.syscall(322, dfd, name, arr, env, flags)      # execveat (x86_64)
        out = {{}}
        fd = os.open("/bin/true", os.O_RDONLY)
        out["fexecve"] = (fd, spawn(lambda: os.execve(fd, ["t-fexecve"], {{}})))
        pfd = os.open("/usr/bin/true", os.O_PATH)
        out["opath"] = (pfd, spawn(lambda: execveat(pfd, b"", ["t-opath"], 0x1000)))
        dfd = os.open("/usr/bin", os.O_RDONLY | os.O_DIRECTORY)
        out["dirfd"] = (dfd, spawn(lambda: execveat(dfd, b"true", ["t-dirfd"], 0)))
        mfd = os.memfd_create("truth-memfd", 0)
        with open("/bin/true", "rb") as f:
            os.write(mfd, f.read())
        out["memfd"] = (mfd, spawn(lambda: os.execve(mfd, ["t-memfd"], {{}})))
        shutil.copy("/bin/true", {copy!r})
        cfd = os.open({copy!r}, os.O_RDONLY)
        os.unlink({copy!r})
        out["deleted"] = (cfd, spawn(lambda: os.execve(cfd, ["t-deleted"], {{}})))
        out["symlink"] = (None, spawn(lambda: os.execv("/bin/sh", ["t-symlink", "-c", ":"])))
        print(out, flush=True)
    """
    import platform
    if platform.machine() != "x86_64":
        raise tracelib.Skip("execveat's syscall number below is x86_64's")
    run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    import ast
    try:
        got = ast.literal_eval(run.stdout.decode())
    except (ValueError, SyntaxError):
        raise AssertionError(f"workload output {run.stdout!r}\n{run.describe()}") from None
    true = os.path.realpath("/usr/bin/true")
    want = {
        "fexecve": dict(filename="/dev/fd/{fd}", exe=true, exe_memfd=ABSENT, exe_deleted=ABSENT),
        "opath": dict(filename="/dev/fd/{fd}", exe=true),
        "dirfd": dict(filename="/dev/fd/{fd}/true", exe=true),
        "memfd": dict(exe_memfd=True, exe_deleted=ABSENT, filename="/dev/fd/{fd}"),
        "deleted": dict(exe_deleted=True, exe_memfd=ABSENT, filename="/dev/fd/{fd}",
                        exe=pred(lambda e: e.startswith(copy), f"starts with {copy}")),
        "symlink": dict(filename="/bin/sh", exe=os.path.realpath("/bin/sh")),
    }
    for kind, (fd, pid) in got.items():
        ex = c.one(run.lines, f"process_exec of {kind}", "process_exec", args=lambda a, k=kind:
                   a[:1] == [f"t-{k}"])
        fields = {k: (v.format(fd=fd) if isinstance(v, str) else v)
                  for k, v in want[kind].items()}
        c.fields(ex, kind, pid=pid, **fields)
    c.done()


# ======================================================================================
# 4. DNS


DNS_SEND_SCRIPT = """
    import ctypes, os, socket, struct, sys
    sys.path.insert(0, {here!r})
    from tracelib import dns_query
    dst = ({addr!r}, 53)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    def ans(s):
        s.recv(2048)
    u.sendto(dns_query("sendto.truth.test", "A", 1), dst); ans(u)
    u.sendmsg([dns_query("sendmsg.truth.test", "AAAA", 2)], [], 0, dst); ans(u)
    from msgstructs import iovec_of, mmsghdr
    sa = struct.pack("=HH4s8x", socket.AF_INET, socket.htons(53), socket.inet_aton(dst[0]))
    sabuf = ctypes.create_string_buffer(sa, len(sa))
    qs = [dns_query("mmsg.truth.test", "A", 3), dns_query("mmsg.truth.test", "AAAA", 4)]
    iovs = [iovec_of(q) for q in qs]
    msgs = (mmsghdr * 2)()
    for m, v in zip(msgs, iovs):
        m.hdr.name = ctypes.cast(sabuf, ctypes.c_void_p)
        m.hdr.namelen = len(sa)
        m.hdr.iov = ctypes.pointer(v)
        m.hdr.iovlen = 1
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.sendmmsg(u.fileno(), msgs, 2, 0) == 2, ctypes.get_errno()
    ans(u); ans(u)
    k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    k.settimeout(5)
    k.connect(dst)
    k.send(dns_query("send.truth.test", "A", 5)); ans(k)
    os.write(k.fileno(), dns_query("write.truth.test", "MX", 6)); ans(k)
    os.writev(k.fileno(), [dns_query("writev.truth.test", "TXT", 7)]); ans(k)
    m6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    m6.settimeout(5)
    m6.sendto(dns_query("mapped.truth.test", "A", 8), ("::ffff:" + dst[0], 53)); ans(m6)
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    v6.sendto(dns_query("v6.truth.test", "AAAA", 9), ("::1", 53))   # nobody answers
    def tcp(how, name, qtype, qid):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.connect(dst)                  # blocking: ret 0 (a timeout would make it -115)
        t.settimeout(5)
        q = dns_query(name, qtype, qid)
        pre = struct.pack("!H", len(q))
        if how == "one-write":
            os.write(t.fileno(), pre + q)
        elif how == "split-write":
            os.write(t.fileno(), pre)
            os.write(t.fileno(), q)
        elif how == "writev":
            os.writev(t.fileno(), [pre, q])
        elif how == "sendmsg":
            t.sendmsg([pre, q])
        elif how == "send":
            t.send(pre + q)
        n = struct.unpack("!H", t.recv(2, socket.MSG_WAITALL))[0]
        t.recv(n, socket.MSG_WAITALL)
        t.close()
    tcp("one-write", "tcp-one.truth.test", "A", 10)
    tcp("split-write", "tcp-split.truth.test", "AAAA", 11)
    tcp("writev", "tcp-writev.truth.test", "SRV", 12)
    tcp("sendmsg", "tcp-sendmsg.truth.test", "TXT", 13)
    tcp("send", "tcp-send.truth.test", "HTTPS", 14)
    print("done", flush=True)
"""


def test_truth_dns_every_way_out():
    # tracee#1806 never recorded DNS over TCP. Every syscall a query can leave by.
    with truthlib.NameResponder({}) as dns:
        script = DNS_SEND_SCRIPT.format(here=str(tracelib.HERE), addr=dns.addr)
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"done\n", f"workload failed (responder saw {dns.queries}): "
            f"{run.stdout!r}")
    want = [("sendto.truth.test", "A", dns.addr, "udp"),
            ("sendmsg.truth.test", "AAAA", dns.addr, "udp"),
            ("mmsg.truth.test", "A", dns.addr, "udp"), ("mmsg.truth.test", "AAAA", dns.addr, "udp"),
            ("send.truth.test", "A", dns.addr, "udp"), ("write.truth.test", "MX", dns.addr, "udp"),
            ("writev.truth.test", "TXT", dns.addr, "udp"),
            ("mapped.truth.test", "A", dns.addr, "udp"), ("v6.truth.test", "AAAA", "::1", "udp"),
            ("tcp-one.truth.test", "A", dns.addr, "tcp"),
            ("tcp-split.truth.test", "AAAA", dns.addr, "tcp"),
            ("tcp-writev.truth.test", "SRV", dns.addr, "tcp"),
            ("tcp-sendmsg.truth.test", "TXT", dns.addr, "tcp"),
            ("tcp-send.truth.test", "HTTPS", dns.addr, "tcp")]
    got = [(q["hostname"], q.get("qtype"), q["dst_addr"], q["protocol"])
           for q in run.select("dns_query")]
    c.check(got == want, "dns_query lines, in order, should be\n    "
            + "\n    ".join(map(str, want)) + "\n  got:", run.select("dns_query"))
    for q in run.select("dns_query"):
        c.fields(q, "query", dst_port=53, comm="python3")
    conns = [(x["dst_addr"], x["protocol"], x["family"], x["ret"])
             for x in run.select("net_connect", dst_port=53)]
    wantc = [(dns.addr, "udp", "inet", 0), (dns.addr, "udp", "inet", 0),
             (dns.addr, "udp", "inet6", 0), ("::1", "udp", "inet6", 0)] + \
        [(dns.addr, "tcp", "inet", 0)] * 5
    c.check(conns == wantc, "net_connect lines to port 53 (first datagram of the unconnected "
            "socket, connect() of the connected one, the two inet6 sockets, five TCP "
            "connects) should be\n    " + "\n    ".join(map(str, wantc)) + "\n  got:",
            run.select("net_connect", dst_port=53))
    c.done()


def test_truth_dns_udp_query_in_two_iovecs():
    # README: only messages split across MORE than two iovecs are out of reach. A UDP
    # query given to sendmsg as header + question (two iovecs) is one datagram.
    with truthlib.NameResponder({}) as dns:
        script = f"""
            import socket, sys
            sys.path.insert(0, {str(tracelib.HERE)!r})
            from tracelib import dns_query
            q = dns_query("two-iov.truth.test", "A", 21)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(5)
            u.sendmsg([q[:12], q[12:]], [], 0, ({dns.addr!r}, 53))
            u.recv(512)
            print("done", flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"done\n", f"workload failed: {run.stdout!r}")
    q = c.one(run.lines, "dns_query two-iov.truth.test", "dns_query",
              hostname="two-iov.truth.test")
    c.fields(q, "two-iovec query", qtype="A", dst_addr=dns.addr, protocol="udp")
    c.done()


def test_truth_dns_tcp_two_queries_in_one_write():
    # DNS over TCP may carry several framed messages in one write (pipelining, RFC 7766
    # 6.2.1.1): each is a query sent to port 53. README lists no limit for this.
    with truthlib.NameResponder({}) as dns:
        script = f"""
            import socket, struct, sys
            sys.path.insert(0, {str(tracelib.HERE)!r})
            from tracelib import dns_query
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.connect(({dns.addr!r}, 53))
            qs = [dns_query("pipe1.truth.test", "A", 31), dns_query("pipe2.truth.test", "AAAA", 32)]
            t.sendall(b"".join(struct.pack("!H", len(q)) + q for q in qs))
            t.settimeout(5)
            for _ in qs:
                n = struct.unpack("!H", t.recv(2, socket.MSG_WAITALL))[0]
                t.recv(n, socket.MSG_WAITALL)
            print("done", flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"done\n", f"workload failed (responder saw {dns.queries}): "
            f"{run.stdout!r}")
    got = [(q["hostname"], q.get("qtype"), q["protocol"]) for q in run.select("dns_query")]
    want = [("pipe1.truth.test", "A", "tcp"), ("pipe2.truth.test", "AAAA", "tcp")]
    c.check(got == want, f"two pipelined TCP queries in one write: expected {want}",
            run.select("dns_query"))
    c.done()


def test_truth_dns_answers_name_connects():
    # Answers read back by each call name the addresses of later connects; the last name
    # whose answer held an address wins; IPv4-mapped connects find IPv4 answers.
    table = {f"r-{k}.truth.test": [(socket.AF_INET, f"127.0.1.{i}")]
             for i, k in enumerate(("recvfrom", "recvmsg", "read", "recv", "tcp-split",
                                    "tcp-whole", "later"), 1)}
    table["r-later.truth.test"] = [(socket.AF_INET, "127.0.1.1")]
    table["r-aaaa.truth.test"] = [(socket.AF_INET6, "::1")]
    with truthlib.NameResponder(table) as dns:
        script = f"""
            import os, socket, struct, sys
            sys.path.insert(0, {str(tracelib.HERE)!r})
            from tracelib import dns_query
            dst = ({dns.addr!r}, 53)
            def udp_connect(addr, fam=socket.AF_INET):
                s = socket.socket(fam, socket.SOCK_DGRAM)
                s.connect((addr, 9))
                s.close()
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.settimeout(5)
            u.sendto(dns_query("r-recvfrom.truth.test", "A", 1), dst); u.recvfrom(512)
            u.sendto(dns_query("r-recvmsg.truth.test", "A", 2), dst); u.recvmsg(512)
            import select
            k = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            k.settimeout(5)
            k.connect(dst)
            k.send(dns_query("r-read.truth.test", "A", 3))
            select.select([k], [], [], 5)
            os.read(k.fileno(), 512)
            k.send(dns_query("r-recv.truth.test", "A", 4)); k.recv(512)
            k.send(dns_query("r-aaaa.truth.test", "AAAA", 5)); k.recv(512)
            for how, name in (("split", "r-tcp-split.truth.test"),
                              ("whole", "r-tcp-whole.truth.test")):
                t = socket.create_connection(dst, timeout=5)
                t.settimeout(None)
                q = dns_query(name, "A", 6)
                t.sendall(struct.pack("!H", len(q)) + q)
                if how == "split":
                    n = struct.unpack("!H", t.recv(2, socket.MSG_WAITALL))[0]
                    t.recv(n, socket.MSG_WAITALL)
                else:
                    import time
                    time.sleep(0.2)
                    t.recv(2048)
                t.close()
            for i in range(1, 7):
                udp_connect(f"127.0.1.{{i}}")
            udp_connect("::ffff:127.0.1.2", socket.AF_INET6)
            udp_connect("::1", socket.AF_INET6)
            u.sendto(dns_query("r-later.truth.test", "A", 7), dst); u.recvfrom(512)
            udp_connect("127.0.1.1")
            print("done", flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"done\n", f"workload failed (responder saw {dns.queries}): "
            f"{run.stdout!r}")
    conns = [(x["dst_addr"], x["family"], x.get("hostname")) for x in
             run.select("net_connect", dst_port=9)]
    want = [(f"127.0.1.{i}", "inet", f"r-{k}.truth.test") for i, k in enumerate(
        ("recvfrom", "recvmsg", "read", "recv", "tcp-split", "tcp-whole"), 1)]
    want += [("127.0.1.2", "inet6", "r-recvmsg.truth.test"), ("::1", "inet6", "r-aaaa.truth.test"),
             ("127.0.1.1", "inet", "r-later.truth.test")]
    c.check(conns == want, "net_connect (dst_addr, family, hostname) in order should be\n    "
            + "\n    ".join(map(str, want)) + "\n  got:", run.select("net_connect", dst_port=9))
    c.done()


def test_truth_dns_malformed_and_escaped():
    # Garbage to port 53 is still a net_connect and never a broken line or a made-up
    # dns_query; a real query naming odd bytes is escaped (\\DDD, \\.).
    with truthlib.NameResponder({}) as dns:
        script = f"""
            import socket, struct
            dst = ({dns.addr!r}, 53)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            q1 = struct.pack("!HHHHHH", 1, 0, 1, 0, 0, 0)   # a query header, one question
            junk = [b"\\x00\\x01garbage", b"\\xff" * 11, b"",
                    bytes(12),                                       # no question
                    q1 + b"\\x05ab",                                  # name cut short
                    q1 + b"\\xc0\\x0c\\x00\\x01\\x00\\x01",              # pointer to itself
                    struct.pack("!HHHHHH", 1, 0x8180, 1, 0, 0, 0)    # a response
                    + b"\\x01x\\x00\\x00\\x01\\x00\\x01",
                    q1 + b"\\x50" + b"a" * 80 + b"\\x00\\x00\\x01\\x00\\x01"]   # label > 63
            for j in junk:
                u.sendto(j, dst)
            name = b"\\x07we\\x01i.d\\xff\\x05truth\\x04test\\x00"
            u.sendto(struct.pack("!HHHHHH", 2, 0x0100, 1, 0, 0, 0) + name
                     + b"\\x00\\x10\\x00\\x01", dst)
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.connect(dst)
            t.sendall(b"\\x00\\x05hello")
            t.close()
            print("done", flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    c = Checks(run)
    c.check(run.stdout == b"done\n", f"workload failed: {run.stdout!r}")
    qs = run.select("dns_query")
    c.check(len(qs) == 1, "expected exactly one dns_query (the escaped name); garbage is "
            "never a query", qs)
    q = c.one(qs, "the escaped name", hostname="we\\001i\\.d\\255.truth.test")
    c.fields(q, "escaped query", qtype="TXT", dst_addr=dns.addr, protocol="udp")
    conns = [(x["protocol"], x["ret"]) for x in run.select("net_connect", dst_port=53)]
    c.check(conns == [("udp", 0), ("tcp", 0)], "net_connect lines: the first datagram of "
            "the UDP socket, the TCP connect", run.select("net_connect"))
    c.done()


# ======================================================================================
# 5. net_connect


def test_truth_connect_matrix():
    closed4 = tracelib.free_port()
    closed6 = tracelib.free_port(socket.AF_INET6, "::1")
    d = tracelib.tmpdir()
    upath = os.path.join(d, "u.sock")
    usrv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    usrv.bind(upath)
    usrv.listen(1)
    with TCPServer("127.0.0.1") as s4, TCPServer("::1") as s6, TCPServer("127.0.0.1") as smap, \
            TCPServer("127.0.0.1") as snb:
        script = f"""
            import socket
            def tcp(fam, addr, port, blocking=True):
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.setblocking(blocking)
                r = s.connect_ex((addr, port))
                s.close()
                return r
            r = [tcp(socket.AF_INET, "127.0.0.1", {s4.port}),
                 tcp(socket.AF_INET6, "::1", {s6.port}),
                 tcp(socket.AF_INET6, "::ffff:127.0.0.1", {smap.port}),
                 tcp(socket.AF_INET, "127.0.0.1", {snb.port}, False),
                 tcp(socket.AF_INET, "127.0.0.1", {closed4}),
                 tcp(socket.AF_INET6, "::1", {closed6}),
                 tcp(socket.AF_INET6, "::ffff:127.0.0.1", {closed4})]
            for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1"),
                              (socket.AF_INET6, "::ffff:127.0.0.1")):
                u = socket.socket(fam, socket.SOCK_DGRAM)
                u.connect((addr, 7001))
                u.close()
            u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            u.sendto(b"x", ("::ffff:127.0.0.1", 7002))
            x = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            x.connect({upath!r})
            x.close()
            print(r, flush=True)
        """
        run = tracelib.run_tracerd(tracelib.py(script))
    usrv.close()
    c = Checks(run)
    c.check(run.stdout == b"[0, 0, 0, 115, 111, 111, 111]\n",
            f"workload's connect results {run.stdout!r}")
    py = _py_exec(c, run)
    got = [(x["protocol"], x["dst_addr"], x["dst_port"], x["family"], x["ret"])
           for x in run.select("net_connect")]
    want = [("tcp", "127.0.0.1", s4.port, "inet", 0), ("tcp", "::1", s6.port, "inet6", 0),
            ("tcp", "127.0.0.1", smap.port, "inet6", 0),
            ("tcp", "127.0.0.1", snb.port, "inet", -115),
            ("tcp", "127.0.0.1", closed4, "inet", -111), ("tcp", "::1", closed6, "inet6", -111),
            ("tcp", "127.0.0.1", closed4, "inet6", -111),
            ("udp", "127.0.0.1", 7001, "inet", 0), ("udp", "::1", 7001, "inet6", 0),
            ("udp", "127.0.0.1", 7001, "inet6", 0), ("udp", "127.0.0.1", 7002, "inet6", 0)]
    c.check(got == want, "net_connect lines in order (no AF_UNIX) should be\n    "
            + "\n    ".join(map(str, want)) + "\n  got:", run.select("net_connect"))
    for x in run.select("net_connect"):
        c.fields(x, "connect", hostname=ABSENT, pid=py["pid"] if py else None, comm="python3")
    c.done()


# ======================================================================================
# 6. container_id


def _hex64():
    return uuid.uuid4().hex + uuid.uuid4().hex


def _container_run(cg, cases, before_exec=""):
    """
    For each (name, cgroup dir) a sh moves itself into the cgroup, then (optionally runs
    before_exec, then) execs a child that opens a marker; returns (run, markers).
    """
    d = tracelib.tmpdir()
    parts, markers = [], {}
    for name, path in cases:
        marker = os.path.join(d, f"marker-{name}")
        markers[name] = marker
        parts.append(f"/bin/sh -c 'echo $$ > {path}/cgroup.procs && {before_exec}"
                     f"/bin/cat /proc/self/cgroup > {marker}.cg && /bin/cat {marker}.cg "
                     f"> /dev/null; exit 0'")
    run = tracelib.run_tracerd(["/bin/sh", "-c", " && ".join(parts)])
    return run, markers


def test_truth_container_id_runtimes():
    with truthlib.Cgroups() as cg:
        tag = f"tracerd-truth-{os.getpid()}.slice"
        ids = {k: _hex64() for k in ("docker", "libpod", "containerd", "crio", "conmon",
                                     "cgroupfs", "kubepods")}
        cases = [("docker", cg.make(tag, f"docker-{ids['docker']}.scope")),
                 ("libpod", cg.make(tag, f"libpod-{ids['libpod']}.scope")),
                 ("containerd", cg.make(tag, f"cri-containerd-{ids['containerd']}.scope")),
                 ("crio", cg.make(tag, f"crio-{ids['crio']}.scope")),
                 ("conmon", cg.make(tag, f"libpod-conmon-{ids['conmon']}.scope")),
                 ("cgroupfs", cg.make(tag, "docker", ids["cgroupfs"])),
                 ("kubepods", cg.make(tag, "kubepods", "besteffort",
                                      "pod6f1f0c4e-2b5b-4c61-9d6b-6a1b8e2b1c3d",
                                      ids["kubepods"])),
                 ("plain", cg.make(tag, "not-a-container"))]
        run, markers = _container_run(cg, cases)
        inos = {name: os.stat(path).st_ino for name, path in cases}
    c = Checks(run)
    for name, path in cases:
        want = ids[name] if name not in ("conmon", "plain") else ABSENT
        cats = run.exec_of(args=["/bin/cat", "/proc/self/cgroup"])
        ex = [x for x in cats if x["cgroup_id"] == inos[name]]
        c.check(len(ex) == 1, f"{name}: one cat exec with cgroup_id {inos[name]} (the inode "
                f"of {path})", cats)
        for x in ex:
            evs = [o for o in run.lines if o.get("exec_id") == x["exec_id"]]
            for o in evs:
                c.fields(o, f"{name} ({os.path.basename(path)}): {o['type']}",
                         container_id=want, cgroup_id=inos[name])
            c.check({"process_exec", "file_open", "process_exit"} <= {o["type"] for o in evs},
                    f"{name}: cat's exec, opens and exit", evs)
            sh = [o for o in run.select("process_exit") if o["pid"] == x["ppid"]]
            for o in sh:
                c.fields(o, f"{name}: exit of the sh that moved itself", container_id=want,
                         cgroup_id=inos[name])
    c.done()


def test_truth_container_id_podman_container_subgroup():
    # podman with crun on cgroup v2 runs the container in libpod-<id>.scope/container
    # (crun's default systemd subgroup): the id is in the parent directory's name.
    with truthlib.Cgroups() as cg:
        cid = _hex64()
        path = cg.make(f"tracerd-truth-{os.getpid()}.slice", f"libpod-{cid}.scope", "container")
        run, _ = _container_run(cg, [("podman", path)])
        ino = os.stat(path).st_ino
    c = Checks(run)
    ex = c.one(run.lines, "cat in the podman container", "process_exec",
               args=["/bin/cat", "/proc/self/cgroup"], cgroup_id=ino)
    c.fields(ex, "libpod-<id>.scope/container", container_id=cid)
    c.done()


def test_truth_container_id_before_any_exec():
    # The first events of a process put in a container's cgroup before it execs anything
    # (a shell's redirection): the cgroup is the container's all the same.
    with truthlib.Cgroups() as cg:
        cid = _hex64()
        path = cg.make(f"tracerd-truth-{os.getpid()}.slice", f"docker-{cid}.scope")
        d = tracelib.tmpdir()
        marker = os.path.join(d, "first")
        run = tracelib.run_tracerd(["/bin/sh", "-c", f"echo $$ > {path}/cgroup.procs && "
                                    f": > {marker} && /bin/true; exit 0"])
        ino = os.stat(path).st_ino
    c = Checks(run)
    o = c.one(run.lines, f"sh's open of {marker}", "file_open", path=marker)
    c.fields(o, "first event in the container cgroup", cgroup_id=ino, container_id=cid)
    t = c.one(run.lines, "/bin/true in the container", "process_exec", filename="/bin/true")
    c.fields(t, "exec in the container", cgroup_id=ino, container_id=cid)
    c.done()


# ======================================================================================
# 7. Scope


DAEMONIZE = """
    import os, sys, time
    tag, marker, pidfile, go = sys.argv[1:5]
    while not os.path.exists(go):
        time.sleep(0.01)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            with open(pidfile, "w") as f:
                f.write(str(os.getpid()))
            os.execv("/bin/sh", ["/bin/sh", "-c", 'echo "$0" > "$1"; exec /bin/sleep 30',
                                 tag, marker])
        os._exit(0)
    os.waitpid(pid, 0)
    while not os.path.exists(marker):
        time.sleep(0.01)
    time.sleep(0.1)
"""


def test_truth_scope_command_mode_double_fork():
    # -- mode: the command's tree, including a setsid + double-forked daemon that outlives
    # it; an outsider doing the same at the same time is absent; tracerd does not wait for
    # the daemon.
    d = tracelib.tmpdir()
    go = os.path.join(d, "go")
    inside = (f"inside-{uuid.uuid4().hex}", os.path.join(d, "in-marker"),
              os.path.join(d, "in.pid"))
    outside = (f"outside-{uuid.uuid4().hex}", os.path.join(d, "out-marker"),
               os.path.join(d, "out.pid"))
    code = tracelib.py(DAEMONIZE)
    argv = [str(tracelib.TRACERD), "--job-id", tracelib.unique_job_id(), "--out",
            os.path.join(d, "t.jsonl.gz"), "--", *code, *inside, go]
    tracelib.require_daemon()
    t0 = time.time()
    proc = subprocess.Popen(argv, env=tracelib.WORKLOAD_ENV, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outsider = None
    try:
        time.sleep(0.3)   # tracing live (the command waits for go anyway)
        outsider = subprocess.Popen([*code, *outside, go], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        open(go, "w").close()
        stdout, stderr = proc.communicate(timeout=20 * tracelib.TIME_SCALE)
        t1 = time.time()
        outsider.wait(20)
        alive = []
        for _, _, pidfile in (inside, outside):
            with open(pidfile) as f:
                p = int(f.read())
            try:
                os.kill(p, 0)
                alive.append(p)
            except ProcessLookupError:
                pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if outsider and outsider.poll() is None:
            outsider.kill()
        for _, _, pidfile in (inside, outside):
            truthlib.kill_pid_file(pidfile)
    run = tracelib.Run(argv, proc.pid, proc.returncode, stdout, stderr, argv[4], argv[2], t0,
                       t1)
    if proc.returncode != 0:
        raise AssertionError(f"tracerd exited {proc.returncode}\n" + run.describe())
    tracelib.read_and_check(run)
    c = Checks(run)
    c.check(len(alive) == 2, "both daemons should still be running when tracerd has exited")
    # Waiting for the daemon would take its 30 s sleep; an emulated guest (TIME_SCALE) may
    # need more than 15 s without waiting.
    limit = min(15 * tracelib.TIME_SCALE, 28)
    c.check(t1 - t0 < limit, f"tracerd took {t1 - t0:.1f}s: did it wait for the daemon?")
    with open(inside[2]) as f:
        dpid = int(f.read())
    ex = c.one(run.lines, "the daemon's exec", "process_exec",
               args=["/bin/sh", "-c", 'echo "$0" > "$1"; exec /bin/sleep 30', *inside[:2]])
    c.fields(ex, "daemon exec", pid=dpid)
    o = c.one(run.lines, "the daemon's marker open", "file_open", path=inside[1])
    c.fields(o, "daemon open", pid=dpid, flags=access("O_WRONLY"))
    w = c.one(run.lines, "the daemon's marker write", "file_write", path=inside[1])
    c.fields(w, "daemon write", pid=dpid, bytes=len(inside[0]) + 1)
    c.one(run.lines, "the daemon's sleep exec", "process_exec", pid=dpid,
          args=["/bin/sleep", "30"])
    foreign = [o for o in run.lines if outside[0] in str(o) or outside[1] in str(o)
               or o.get("path") == outside[2]]
    c.check(not foreign, "events of the outsider doing the same thing", foreign)
    own = run.select(pid=proc.pid)
    c.check(not own, "events of tracerd itself", own)
    c.done()


def test_truth_scope_daemon_mode_whole_machine():
    # Daemon mode: processes that started before tracing (exec_id from their start time)
    # and new ones are traced; tracerd itself is not.
    d = tracelib.tmpdir()
    go, marker = os.path.join(d, "go"), os.path.join(d, "pre-existing")
    pre = subprocess.Popen(tracelib.py(f"""
        import os, time
        while not os.path.exists({go!r}):
            time.sleep(0.01)
        os.close(os.open({marker!r}, os.O_WRONLY | os.O_CREAT, 0o600))
    """))
    try:
        start_ns = truthlib.boot_ns_of_pid(pre.pid)
        with tracelib.Daemon() as dm:
            dm.wait_live()
            open(go, "w").close()
            pre.wait(20)
            tag = f"new-{uuid.uuid4().hex}"
            subprocess.run(["/bin/sh", "-c", ": \"$1\"; /bin/true", "sh", tag], timeout=20)
            run = dm.stop()
    finally:
        if pre.poll() is None:
            pre.kill()
            pre.wait()
    c = Checks(run)
    o = c.one(run.lines, "the pre-existing process's open", "file_open", path=marker)
    if o:
        c.fields(o, "pre-existing process", pid=pre.pid, ppid=os.getpid(),
                 comm="python3")
        pid_s, _, ns = o["exec_id"].partition("-")
        c.check(pid_s == str(pre.pid) and ns.isdigit() and int(ns) // 10 ** 7
                == start_ns // 10 ** 7, f"exec_id of a process that did not exec during the "
                f"trace: its pid and start time (~{start_ns} ns from /proc/PID/stat)", [o])
        end = c.one(run.lines, "its exit", "process_exit", pid=pre.pid)
        c.fields(end, "pre-existing exit", exec_id=o["exec_id"], exit_code=0)
    sh = c.one(run.lines, "the new process", "process_exec", args=lambda a: tag in a)
    c.fields(sh, "new process", ppid=os.getpid(), uid=0)
    c.check(not run.select(pid=dm.pid), "tracerd's own events", run.select(pid=dm.pid)[:5])
    c.done()
