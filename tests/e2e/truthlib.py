# SPDX-License-Identifier: GPL-2.0-only
"""
Helpers for test_truth.py (the cases other tracers are known to get wrong): a DNS
responder that answers each name with its own address, the cgroup v2 mount, a static
test binary for chroot runs, bind mounts that are always undone, and a tracerd run that
goes on while an outsider process does the same things.

Only the Debian system python, its stdlib and tracelib are used.
"""

import os
import socket
import subprocess
import tempfile
import time

import tracelib

# --------------------------------------------------------------------------------------
# DNS: a responder whose answers differ per name, so that net_connect.hostname can be
# traced back to exactly one answer (and so to the call that read it).


class NameResponder(tracelib.DNSResponder):
    """
    tracelib.DNSResponder (UDP and TCP on 127.0.0.15x:53) answering A and AAAA queries
    for the names in .table with the addresses given there (a list of (family, text)),
    anything else with an empty NOERROR answer.
    """

    def __init__(self, table):
        self.table = {k.lower(): v for k, v in table.items()}
        super().__init__()

    def addresses(self, name, qtype):
        rdatas = []
        for family, text in self.table.get(name.lower(), ()):
            if qtype == 1 and family == socket.AF_INET:
                rdatas.append(socket.inet_pton(socket.AF_INET, text))
            elif qtype == 28 and family == socket.AF_INET6:
                rdatas.append(socket.inet_pton(socket.AF_INET6, text))
        return rdatas


# --------------------------------------------------------------------------------------
# cgroup v2


def cgroup2_root():
    """Where cgroup2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                return left.split()[4]
    raise tracelib.Skip("no cgroup2 mount on this machine")


class Cgroups:
    """Directories made under the cgroup2 mount; removed (deepest first) on exit."""

    def __init__(self):
        self.root = cgroup2_root()
        self.made = []

    def make(self, *parts):
        path = self.root
        for p in parts:
            path = os.path.join(path, p)
            if not os.path.isdir(path):
                os.mkdir(path)
                self.made.append(path)
        return path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for path in reversed(self.made):
            # Any process still in it goes back to the root first.
            try:
                with open(os.path.join(path, "cgroup.procs")) as f:
                    pids = f.read().split()
                for pid in pids:
                    with open(os.path.join(self.root, "cgroup.procs"), "w") as f:
                        f.write(pid)
            except OSError:
                pass
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


# --------------------------------------------------------------------------------------
# Static binaries (for chroot)


def static_binary(c_source, out_path):
    """Compiles C source with gcc -static (glibc's libc.a); skips if that cannot be done."""
    if not os.path.exists("/usr/bin/gcc"):
        raise tracelib.Skip("gcc is missing: no static binary for the chroot test")
    src = out_path + ".c"
    with open(src, "w") as f:
        f.write(c_source)
    p = subprocess.run(["/usr/bin/gcc", "-static", "-O1", "-o", out_path, src],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise tracelib.Skip("gcc -static failed (libc6-dev missing?): "
                            + p.stderr.decode(errors="replace")[-300:])
    return out_path


# --------------------------------------------------------------------------------------
# Mounts


class BindMount:
    """mount --bind SRC DST in this (the host's) mount namespace, undone on exit."""

    def __init__(self, src, dst, *options):
        self.src, self.dst = src, dst
        p = subprocess.run(["mount", "--bind", *options, src, dst], capture_output=True,
                           timeout=30)
        if p.returncode != 0:
            raise tracelib.Skip(f"mount --bind {src} {dst} failed: {p.stderr!r}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(["umount", "-l", self.dst], capture_output=True, timeout=30)


# --------------------------------------------------------------------------------------
# Long paths: directories deeper than PATH_MAX, made one component at a time.


def make_long_dirs(base, names):
    """Creates base/names[0]/names[1]/... with dir fds (any total length); returns it."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for n in names:
            try:
                os.mkdir(n, dir_fd=fd)
            except FileExistsError:
                pass
            nfd = os.open(n, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nfd
    finally:
        os.close(fd)
    return os.path.join(base, *names)


# --------------------------------------------------------------------------------------
# Misc


def public_tmpdir():
    """
    A directory every user can enter (the session's scratch directory is 0700: a test
    that runs as nobody needs a path it may traverse). The caller removes it.
    """
    d = os.path.realpath(tempfile.mkdtemp(prefix="tracerd-truth-"))
    os.chmod(d, 0o755)
    return d


def boot_ns_of_pid(pid):
    """The process's start time from /proc/PID/stat (clock ticks since boot) in ns."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[19])  # field 22 overall; 3 is the first after ')'
    return ticks * (10 ** 9 // os.sysconf("SC_CLK_TCK"))


def kill_pid_file(path):
    """Kills the pid written in path (a daemon a test left running), if it is there."""
    try:
        with open(path) as f:
            pid = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass


def py_file(code):
    """
    argv running a python snippet saved in a scratch file (like tracelib.py(), for
    snippets too big to show in a failure message's tracerd argv).
    """
    import textwrap
    path = os.path.join(tracelib.tmpdir("-script"), "workload.py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(code))
    return [tracelib.PYTHON, "-I", "-B", path]
