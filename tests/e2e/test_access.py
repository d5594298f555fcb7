# SPDX-License-Identifier: GPL-2.0-only
"""process_access: ptrace, process_vm_readv/writev and pidfd_getfd on another process."""

import json
import os

import tracelib
from tracelib import ABSENT, Checks

# The workload acts on two children of its own (each execs sleep, so the trace knows their
# exec), then peeks at tracerd (its parent in -- mode): tamper, not process_access.
# It prints what it did and what the calls returned.
_SCRIPT = """
    import ctypes, json, os, signal, subprocess
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.syscall.restype = ctypes.c_long
    ATTACH, SEIZE, DETACH, PEEKDATA, POKEDATA = 16, 0x4206, 17, 2, 5

    class iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    def rv(x):
        return x if x >= 0 else -ctypes.get_errno()

    def syscall(nr, *args):
        # syscall(2) is variadic: a Python int goes as a C int, whose upper half in the
        # 64-bit register is garbage for a size_t or unsigned long argument (EINVAL, now
        # and then). Every argument is passed as a long.
        return libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a
                                                 for a in args])

    did = {}
    a = subprocess.Popen(["sleep", "30"])
    b = subprocess.Popen(["sleep", "30"])
    import time
    time.sleep(0.2)  # both have exec'd
    did["a"], did["b"] = a.pid, b.pid
    def stack(pid):
        with open(f"/proc/{pid}/maps") as f:
            return next(int(l.split("-")[0], 16) for l in f if "[stack]" in l)
    addr = stack(a.pid)
    did["attach"] = rv(libc.ptrace(ATTACH, a.pid, None, None))
    os.waitpid(a.pid, 0)
    ctypes.set_errno(0)
    word = None
    for _ in range(50):  # a debugger peeks a word at a time: one line, not 50
        word = libc.ptrace(PEEKDATA, a.pid, ctypes.c_void_p(addr), None)
    did["peek_errno"] = ctypes.get_errno()
    did["poke"] = rv(libc.ptrace(POKEDATA, a.pid, ctypes.c_void_p(addr), ctypes.c_void_p(word)))
    libc.ptrace(DETACH, a.pid, None, None)
    did["seize"] = rv(libc.ptrace(SEIZE, b.pid, None, None))

    buf = ctypes.create_string_buffer(64)
    local = iovec(ctypes.cast(buf, ctypes.c_void_p), 64)
    remote = iovec(stack(b.pid), 64)
    did["readv"] = rv(syscall(310, b.pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
    did["writev"] = rv(syscall(311, b.pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
    bad = iovec(8, 64)  # page 0: EFAULT
    did["readv_bad"] = rv(syscall(310, b.pid, ctypes.byref(local), 1, ctypes.byref(bad), 1, 0))
    pidfd = rv(syscall(434, a.pid, 0))
    did["getfd"] = rv(syscall(438, pidfd, 2, 0))
    did["own_readv"] = rv(syscall(310, os.getpid(), ctypes.byref(local), 1,
                                       ctypes.byref(iovec(ctypes.addressof(buf), 64)), 1, 0))
    did["tracerd"] = os.getppid()
    # A peek at tracerd, not attached: ESRCH, and tamper all the same.
    did["tracerd_peek"] = rv(libc.ptrace(PEEKDATA, os.getppid(), ctypes.c_void_p(addr), None))
    a.kill(); b.kill(); a.wait(); b.wait()
    print(json.dumps(did), flush=True)
"""


def test_process_access():
    run = tracelib.run_tracerd(tracelib.py(_SCRIPT))
    c = Checks(run)
    did = json.loads(run.stdout.decode().strip().splitlines()[-1])
    c.check(did["attach"] == 0 and did["peek_errno"] == 0 and did["poke"] == 0
            and did["seize"] == 0 and did["readv"] == 64 and did["writev"] == 64
            and did["readv_bad"] == -14 and did["getfd"] >= 0 and did["own_readv"] == 64
            and did["tracerd_peek"] == -3,
            f"the workload's calls did not all do what they should: {did}")
    ex = c.one(run.lines, "process_exec of python3", "process_exec", filename=tracelib.PYTHON)
    if ex is None:
        c.done()
    who = dict(pid=ex["pid"], exec_id=ex["exec_id"], comm="python3")
    execs = {o["pid"]: o["exec_id"] for o in run.select("process_exec")}
    ta, tb = execs.get(did["a"]), execs.get(did["b"])
    c.check(ta and tb, f"no process_exec for the targets {did['a']} and {did['b']}")
    acc = run.select("process_access")
    c.check(len(acc) == 8, f"expected 8 process_access lines, got {len(acc)}", acc)

    def one(what, **match):
        return c.one(acc, what, "process_access", **match)

    for req, name, target, texec in ((16, "PTRACE_ATTACH", did["a"], ta),
                                     (2, "PTRACE_PEEKDATA", did["a"], ta),
                                     (5, "PTRACE_POKEDATA", did["a"], ta),
                                     (0x4206, "PTRACE_SEIZE", did["b"], tb)):
        o = one(name, action="ptrace", request=req)
        c.fields(o, name, request_name=name, target_pid=target, target_exec_id=texec, ret=0,
                 target_fd=ABSENT, **who)
    o = one("process_vm_readv", action="process_vm_readv", ret=64)
    c.fields(o, "process_vm_readv", target_pid=did["b"], target_exec_id=tb, request=ABSENT,
             **who)
    o = one("failed process_vm_readv", action="process_vm_readv", ret=-14)
    c.fields(o, "failed process_vm_readv", target_pid=did["b"], target_exec_id=tb)
    o = one("process_vm_writev", action="process_vm_writev")
    c.fields(o, "process_vm_writev", target_pid=did["b"], target_exec_id=tb, ret=64, **who)
    o = one("pidfd_getfd", action="pidfd_getfd")
    c.fields(o, "pidfd_getfd", target_pid=did["a"], target_exec_id=ta, target_fd=2,
             ret=did["getfd"], **who)
    c.check(not tracelib.select(acc, target_pid=ex["pid"]),
            "reading one's own memory is no access to another process", acc)
    c.check(not tracelib.select(acc, target_pid=did["tracerd"]),
            "ptrace of tracerd is tamper, not process_access", acc)
    t = c.one(run.lines, "tamper for the ptrace of tracerd", "tamper", action="ptrace",
              target_pid=did["tracerd"])
    c.fields(t, "tamper", request=2, ret=-3, pid=ex["pid"])
    c.done()
