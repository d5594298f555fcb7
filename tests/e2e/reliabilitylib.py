# SPDX-License-Identifier: GPL-2.0-only
"""
Helpers for test_reliability.py: reading a trace member by member the way a reader of a
crashed or disk-full trace must, a small tmpfs that is always unmounted, a tracerd run
that a test can steer while it goes on (wait for a message, then let the command finish),
and what /proc says about a process's privileges.

Only the Debian system python, its stdlib and tracelib are used.
"""

import os
import subprocess
import time
import zlib

import tracelib


# --------------------------------------------------------------------------------------
# gzip members


class Member:
    """One gzip member of a trace file: its decompressed bytes and whether it is complete."""

    def __init__(self, offset, data, complete, error=None):
        self.offset = offset
        self.data = data
        self.complete = complete
        self.error = error

    def __repr__(self):
        state = "complete" if self.complete else f"cut short ({self.error})"
        return f"<member at {self.offset}: {len(self.data)} bytes, {state}>"


def gzip_members(path):
    """Every gzip member of the file, in order; only the last one may be incomplete."""
    with open(path, "rb") as f:
        data = f.read()
    members, offset = [], 0
    while offset < len(data):
        d = zlib.decompressobj(wbits=31)
        try:
            out = d.decompress(data[offset:])
        except zlib.error as e:
            members.append(Member(offset, b"", False, str(e)))
            break
        if not d.eof:
            members.append(Member(offset, out, False, "no end of member"))
            break
        members.append(Member(offset, out, True))
        offset = len(data) - len(d.unused_data)
    return members


def member_problems(path):
    """
    (lines, problems): the lines of the complete members, and what breaks the promise
    that each complete member holds whole, valid JSON lines, and that nothing but the last
    member is cut short.
    """
    problems, lines = [], []
    members = gzip_members(path)
    for i, m in enumerate(members):
        if not m.complete:
            if i != len(members) - 1:
                problems.append(f"member {i} at byte {m.offset} is broken and not the last")
            continue
        if not m.data:
            problems.append(f"member {i} at byte {m.offset} is empty")
            continue
        if not m.data.endswith(b"\n"):
            problems.append(f"member {i} at byte {m.offset} ends inside a line: "
                            f"{m.data[-120:]!r}")
        try:
            lines += tracelib.parse_jsonl(m.data[:m.data.rfind(b"\n") + 1],
                                          f"{path} member {i}")
        except AssertionError as e:
            problems.append(str(e))
    return lines, problems


def gunzip_command(path):
    """(exit status, bytes) of `gzip -dc path`: what a user recovering a trace runs."""
    p = subprocess.run(["gzip", "-dc", path], capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


# --------------------------------------------------------------------------------------
# A small file system that fills up


class Tmpfs:
    """A tmpfs of `size` mounted on a fresh directory; unmounted (lazily if busy) on exit."""

    def __init__(self, size="512k"):
        tracelib.require_daemon()
        self.path = tracelib.tmpdir("-tmpfs")
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755",
                            "tracerd-test", self.path], capture_output=True, timeout=30)
        if p.returncode != 0:
            raise tracelib.Skip(f"cannot mount a tmpfs: {p.stderr.decode(errors='replace')}")

    def free_bytes(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if subprocess.run(["umount", self.path], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", self.path], capture_output=True)


# --------------------------------------------------------------------------------------
# A run the test steers


class SteeredRun:
    """
    tracerd -- COMMAND started in the background, its stderr in a file that the test can
    wait on; finish() waits for the exit and returns a tracelib.Run (trace not read).
    """

    def __init__(self, command, out, options=(), job_id=None):
        tracelib.require_daemon()
        self.job_id = job_id or tracelib.unique_job_id()
        self.out = out
        d = tracelib.tmpdir("-steered")
        self.argv = [str(tracelib.TRACERD), "--job-id", self.job_id, "--out", out,
                     *options, "--", *command]
        self.errf = open(os.path.join(d, "stderr"), "w+b")
        self.t0 = time.time()
        self.proc = subprocess.Popen(self.argv, env=tracelib.WORKLOAD_ENV,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.errf)

    def stderr(self):
        self.errf.seek(0)
        return self.errf.read()

    def run(self):
        return tracelib.Run(self.argv, self.proc.pid, self.proc.returncode, b"",
                            self.stderr(), self.out, self.job_id, self.t0, time.time())

    def wait_stderr(self, needle, timeout=30):
        """True once needle shows up on tracerd's stderr (False if it exits or time is up)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.stderr():
                return True
            if self.proc.poll() is not None:
                return needle in self.stderr()
            time.sleep(0.05)
        return False

    def finish(self, timeout=tracelib.TIMEOUT):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"tracerd did not finish within {timeout}s\n"
                                 + self.run().describe()) from None
        return self.run()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.errf.close()


# --------------------------------------------------------------------------------------
# Privileges as /proc shows them

CAP_NAMES = {0: "CAP_CHOWN", 1: "CAP_DAC_OVERRIDE", 2: "CAP_DAC_READ_SEARCH",
             3: "CAP_FOWNER", 4: "CAP_FSETID", 5: "CAP_KILL", 6: "CAP_SETGID", 7: "CAP_SETUID",
             8: "CAP_SETPCAP", 12: "CAP_NET_ADMIN", 16: "CAP_SYS_MODULE", 17: "CAP_SYS_RAWIO",
             19: "CAP_SYS_PTRACE", 21: "CAP_SYS_ADMIN", 24: "CAP_SYS_RESOURCE",
             38: "CAP_PERFMON", 39: "CAP_BPF"}


def cap_names(mask):
    return sorted(CAP_NAMES.get(i, f"cap{i}") for i in range(64) if mask >> i & 1)


def proc_status(pid):
    """/proc/PID/status as {field: text}."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def wait_for(cond, timeout=10, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()
