# SPDX-License-Identifier: GPL-2.0-only
"""
Executables' identity: process_exec.exe_sha256 (and script_sha256) against sha256sum of
the files run, whatever happened to them after the exec; trace_end.hashes counts.
"""

import hashlib
import json
import os
import subprocess

import tracelib
from tracelib import ABSENT, Checks

# The workload: every way a binary can be run that the hash must survive. It prints what
# it ran (pids by case) as one JSON object on stdout.
WORKLOAD = r"""
import json, os, shutil, subprocess, sys, time
d = sys.argv[1]
env = {"PATH": "/usr/bin:/bin"}
out = {}
def run(argv, **kw):
    p = subprocess.Popen(argv, env=env, **kw)
    return p
# System binaries, directly and through env.
p = run(["/bin/true"]); p.wait(); out["true"] = p.pid
p = run(["/usr/bin/env", "true"]); p.wait(); out["env"] = p.pid
# A copy in /tmp, run 20 times: hashed once.
shutil.copy("/bin/true", d + "/mytrue")
out["mytrue"] = []
for i in range(20):
    p = run([d + "/mytrue"]); p.wait(); out["mytrue"].append(p.pid)
# A long-running copy.
shutil.copy("/bin/sleep", d + "/mysleep")
p = run([d + "/mysleep", "0.5"]); p.wait(); out["mysleep"] = p.pid
# A #! script, written well before its exec.
with open(d + "/s.sh", "w") as f:
    f.write("#!/bin/sh\nexit 0\n")
os.chmod(d + "/s.sh", 0o755)
time.sleep(0.2)
p = run(["./s.sh"], cwd=d); p.wait(); out["script"] = p.pid
# A script run as soon as written: its hash, or replaced (changed too close to its exec).
with open(d + "/fresh.sh", "w") as f:
    f.write("#!/bin/sh\nexit 0\n#fresh\n")
os.chmod(d + "/fresh.sh", 0o755)
p = run([d + "/fresh.sh"]); p.wait(); out["fresh"] = p.pid
# A script rewritten in place (same size) while it runs: the old contents' hash or replaced.
with open(d + "/mut.sh", "w") as f:
    f.write("#!/bin/sh\nsleep 0.4\n#AAAA\n")
os.chmod(d + "/mut.sh", 0o755)
time.sleep(0.2)
p = run([d + "/mut.sh"])
time.sleep(0.05)
with open(d + "/mut.sh", "r+") as f:
    f.write("#!/bin/sh\nsleep 0.4\n#BBBB\n")
p.wait(); out["mutated"] = p.pid
# A memfd copy of sleep, run by fexecve, alive long enough to be read.
fd = os.memfd_create("memsleep", 0)
with open("/bin/sleep", "rb") as f:
    os.write(fd, f.read())
pid = os.fork()
if pid == 0:
    os.execve(fd, [b"memsleep", b"0.6"], env)
os.waitpid(pid, 0); out["memfd"] = pid
# A memfd copy of true: it exits at once, the memfd closes: a hash or gone, nothing else.
fd2 = os.memfd_create("memtrue", 0)
with open("/bin/true", "rb") as f:
    os.write(fd2, f.read())
pid = os.fork()
if pid == 0:
    os.execve(fd2, [b"memtrue"], env)
os.waitpid(pid, 0); out["memfd_short"] = pid
os.close(fd2)
# Replaced right after its exec while it runs: the hash is of what was executed.
shutil.copy("/bin/sleep", d + "/victim")
p = run([d + "/victim", "0.6"])
shutil.copy("/bin/true", d + "/victim.new")
os.rename(d + "/victim.new", d + "/victim")
p.wait(); out["replaced"] = p.pid
# Deleted while it runs.
shutil.copy("/bin/sleep", d + "/doomed")
p = run([d + "/doomed", "0.6"])
os.unlink(d + "/doomed")
p.wait(); out["deleted"] = p.pid
# Exits at once, then its path names another file: the old hash or replaced, never the new.
shutil.copy("/bin/true", d + "/swap")
p = run([d + "/swap"]); p.wait()
shutil.copy("/bin/sleep", d + "/swap.new")
os.rename(d + "/swap.new", d + "/swap")
out["swapped"] = p.pid
print(json.dumps(out))
"""


def sha256sum(path):
    r = subprocess.run(["sha256sum", path], stdout=subprocess.PIPE, check=True)
    return r.stdout.split()[0].decode()


def test_exehash_cases():
    d = tracelib.tmpdir("-exehash")
    want = {name: sha256sum(path) for name, path in (
        ("true", os.path.realpath("/bin/true")), ("sleep", os.path.realpath("/bin/sleep")),
        ("sh", os.path.realpath("/bin/sh")), ("env", os.path.realpath("/usr/bin/env")),
        ("python", os.path.realpath(tracelib.PYTHON)))}
    run = tracelib.run_tracerd(tracelib.py(WORKLOAD) + [d], timeout=60)
    c = Checks(run)
    pids = json.loads(run.stdout)
    want["script"] = sha256sum(os.path.join(d, "s.sh"))

    def exec_of(pid, what, filename=None):
        lines = [o for o in run.exec_of(pid=pid) if filename is None or
                 o.get("filename") == filename]
        c.check(len(lines) >= 1, f"no process_exec of {what} (pid {pid})")
        return lines[-1] if lines else None

    def hashed(pid, what, digest, filename=None, **more):
        ex = exec_of(pid, what, filename)
        if ex:
            c.fields(ex, what, exe_sha256=digest, exe_hash_missing=ABSENT, **more)

    hashed(pids["true"], "/bin/true", want["true"])
    env = run.exec_of(pid=pids["env"])
    c.check(len(env) == 2, f"env then true in pid {pids['env']}: {len(env)} execs", env)
    if len(env) == 2:
        c.fields(env[0], "env", exe_sha256=want["env"])
        c.fields(env[1], "true run by env", exe_sha256=want["true"])
    for pid in pids["mytrue"]:
        hashed(pid, "the copy of true in /tmp", want["true"], exe=os.path.join(d, "mytrue"))
    hashed(pids["mysleep"], "the copy of sleep", want["sleep"])
    hashed(pids["script"], "the #! script", want["sh"], filename="./s.sh",
           script_sha256=want["script"], script_hash_missing=ABSENT)
    hashed(pids["memfd"], "sleep from a memfd", want["sleep"], exe_memfd=True)
    for key, content in (("fresh", b"#!/bin/sh\nexit 0\n#fresh\n"),
                         ("mutated", b"#!/bin/sh\nsleep 0.4\n#AAAA\n")):
        ex = exec_of(pids[key], f"the {key} script")
        if ex:
            old = hashlib.sha256(content).hexdigest()
            c.check(ex.get("script_sha256") == old or
                    (ex.get("script_hash_missing") == "replaced" and "script_sha256" not in ex),
                    f"the {key} script: the hash of what was executed, or replaced", [ex])
            c.fields(ex, f"the {key} script's interpreter", exe_sha256=want["sh"])
            want[key] = old
    hashed(pids["replaced"], "sleep renamed over while running", want["sleep"])
    # Deleted right after its exec (exe_deleted says whether the exec tracepoint already saw
    # it gone: Popen returns at the exec's point of no return, a race either way).
    hashed(pids["deleted"], "sleep deleted while running", want["sleep"])
    short = exec_of(pids["memfd_short"], "true from a memfd")
    if short:
        c.check(short.get("exe_sha256") == want["true"] or
                (short.get("exe_hash_missing") == "gone" and "exe_sha256" not in short),
                "a memfd that exited at once: its hash or gone", [short])
    swapped = exec_of(pids["swapped"], "true whose path was renamed over")
    if swapped:
        c.check(swapped.get("exe_sha256") == want["true"] or
                (swapped.get("exe_hash_missing") == "replaced" and "exe_sha256" not in swapped),
                "a path renamed over after the process exited: its hash or replaced", [swapped])
    # Every hash written is the file's: no exec line names a digest of another binary.
    known = set(want.values())
    for ex in run.exec_of():
        if "exe_sha256" in ex:
            c.check(ex["exe_sha256"] in known, "an exe_sha256 of no file run", [ex])
    end = c.one(run.lines, "trace_end", "trace_end")
    if end:
        h = end.get("hashes", {})
        lines = run.exec_of()
        missing = {}
        for ex in lines:
            for key in ("exe_hash_missing", "script_hash_missing"):
                if key in ex:
                    missing[ex[key]] = missing.get(ex[key], 0) + 1
        hashes = sum(1 for ex in lines for k in ("exe_sha256", "script_sha256") if k in ex)
        c.check(h.get("computed", 0) + h.get("cached", 0) == hashes,
                f"trace_end.hashes computed + cached = {hashes}, the hashes written", [end])
        c.check(all(h.get("missing", {}).get(k) == missing.get(k, 0) for k in
                    ("gone", "replaced", "too_large", "unreadable", "busy")),
                f"trace_end.hashes.missing is {missing}", [end])
        # Twenty runs of one copy hash it once: the files hashed are the distinct ones.
        files = {(ex.get("exe"), ex["exe_sha256"]) for ex in lines if "exe_sha256" in ex}
        scripts = sum(1 for ex in lines if "script_sha256" in ex)
        c.check(h.get("computed", 0) <= len(files) + scripts,
                f"{h.get('computed')} files hashed for {len(files)} distinct executables "
                f"and {scripts} scripts", [end])
        c.check(h.get("cached", 0) >= 19, "the 19 repeated runs of the copy came from the cache",
                [end])
    c.done()


HASHER_PROBE = r"""
import json, os, subprocess, sys
ppid = os.getppid()
status = {}
for k in open(f"/proc/{ppid}/task/{ppid}/children").read().split():
    if open(f"/proc/{k}/comm").read().strip() == "tracerd-hasher":
        status = dict(l.rstrip("\n").split(":\t", 1) for l in open(f"/proc/{k}/status"))
        status["pid"] = int(k)
subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                sys.argv[1], "0.3"], check=True)
print(json.dumps(status))
"""


def test_exehash_hasher_least_privilege():
    # The hasher child keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only, under
    # no_new_privs and its seccomp filter; with them it hashes a binary nobody may read
    # (mode 0100, owned by nobody), run as nobody.
    import reliabilitylib as rl
    allowed = {"CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH"}
    d = tracelib.tmpdir("-exehash-priv")
    os.chmod(d, 0o755)
    private = os.path.join(d, "private-sleep")
    subprocess.run(["cp", "/bin/sleep", private], check=True)
    os.chown(private, 65534, 65534)
    os.chmod(private, 0o100)
    run = tracelib.run_tracerd(tracelib.py(HASHER_PROBE) + [private])
    c = Checks(run)
    st = json.loads(run.stdout)
    c.check("pid" in st, "no tracerd-hasher child of tracerd")
    if "pid" in st:
        c.check(st.get("Seccomp") == "2" and st.get("NoNewPrivs") == "1",
                f"hasher: Seccomp {st.get('Seccomp')}, NoNewPrivs {st.get('NoNewPrivs')}")
        for field in ("CapEff", "CapPrm", "CapBnd"):
            names = rl.cap_names(int(st[field], 16))
            c.check(set(names) <= allowed, f"hasher: {field} holds {names}")
        for field in ("CapInh", "CapAmb"):
            c.check(int(st[field], 16) == 0, f"hasher: {field} is {st[field]}")
    ex = [o for o in run.select("process_exec") if o.get("exe") == private]
    c.check(len(ex) == 1, f"{len(ex)} process_exec lines of {private}", ex)
    if ex:
        c.fields(ex[0], "an execute-only binary run as nobody", uid=65534,
                 exe_sha256=sha256sum("/bin/sleep"), exe_hash_missing=ABSENT)
    c.done()
