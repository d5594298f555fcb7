# SPDX-License-Identifier: GPL-2.0-only
"""
Executables' identity: process_exec.exe_sha256 (and script_sha256) against sha256sum of
the files run, whatever happened to them after the exec; trace_end.hashes counts.
--hash-cache: hashes kept in a file from one run to the next, each answering only for the
exact identity it was saved with, read only from a file no one but tracerd's user could
have written.
"""

import hashlib
import json
import os
import re
import shutil
import stat
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


# --------------------------------------------------------------------------------------
# --hash-cache FILE

HASH_CACHE_HEADER = b"# tracerd hash cache 1\n"
HASH_CACHE_ENTRY = re.compile(rb"[0-9a-f]{64}( [0-9]+){5}")
FORGED = "a" * 64  # a digest of no file: where it shows up, a cache line was taken


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def private_copy(d, name, src="/bin/true"):
    """A copy of src in the test's directory: an identity (inode, ctime) no other run has."""
    path = os.path.join(d, name)
    shutil.copy(src, path)
    return path


def file_identity(path):
    """
    [dev, ino, size, ctime seconds, ctime nanoseconds] as the kernel gives them at exec,
    dev in its encoding (major << 20 | minor), not stat's.
    """
    st = os.stat(path)
    return [os.major(st.st_dev) << 20 | os.minor(st.st_dev), st.st_ino, st.st_size,
            st.st_ctime_ns // 10**9, st.st_ctime_ns % 10**9]


def cache_entry(digest, identity):
    """The cache file's line for one executable, newline included."""
    return " ".join([digest] + [str(v) for v in identity]).encode() + b"\n"


def write_file(path, data, mode=0o600):
    """A new file of exactly this mode (the umask aside) holding data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), mode)
        f.write(data)


def run_hash_cache(command, cache, expect_rc=0):
    return tracelib.run_tracerd(command, options=["--hash-cache", cache], expect_rc=expect_rc)


def hash_cache_warnings(run):
    """tracerd's stderr lines about --hash-cache."""
    return [line for line in run.stderr.decode("utf-8", "replace").splitlines()
            if "--hash-cache" in line]


def not_used(cache, reason):
    return f"tracerd: warning: --hash-cache '{cache}' not used: {reason}"


def exec_of_file(c, run, path, what):
    """The one process_exec line of the executable at path (None, a failure, otherwise)."""
    lines = run.exec_of(exe=path)
    c.check(len(lines) == 1, f"{what}: {len(lines)} process_exec lines of {path}, expected 1",
            run.exec_of())
    return lines[0] if len(lines) == 1 else None


def end_hashes(c, run):
    end = c.one(run.lines, "trace_end", "trace_end")
    if end is None:
        return None
    c.check(isinstance(end.get("hashes"), dict), "trace_end has no hashes object", [end])
    return end.get("hashes") if isinstance(end.get("hashes"), dict) else None


def test_hash_cache_across_runs():
    # Run 1 hashes a private copy of true and creates the cache file: mode 0600, the header,
    # the copy's line with its identity as os.stat() gives it. Run 2 runs only the copy: its
    # hash comes from the file, nothing is read and hashed, and the file is written back.
    d = tracelib.tmpdir("-hash-cache")
    exe = private_copy(d, "mytrue")
    digest = file_sha256(exe)
    cache = os.path.join(d, "hash-cache")
    want = HASH_CACHE_HEADER + cache_entry(digest, file_identity(exe))

    run = run_hash_cache([exe], cache)
    c = Checks(run)
    c.fields(exec_of_file(c, run, exe, "run 1"), "run 1: the copy", exe_sha256=digest,
             exe_hash_missing=ABSENT)
    c.fields(end_hashes(c, run), "run 1: trace_end.hashes", computed=1, cached=0)
    c.check(hash_cache_warnings(run) == [], f"run 1: warnings {hash_cache_warnings(run)}")
    c.check(os.path.lexists(cache), f"run 1 did not create the cache file {cache}")
    if os.path.lexists(cache):
        st = os.lstat(cache)
        c.check(stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and
                st.st_uid == os.geteuid(),
                f"run 1: the cache file is mode {st.st_mode:o}, uid {st.st_uid}: expected a "
                f"regular file, 0600, uid {os.geteuid()}")
        saved = file_bytes(cache)
        c.check(saved == want, f"run 1: the cache file holds {saved!r}, expected {want!r}")
    c.done()

    run = run_hash_cache([exe], cache)
    c = Checks(run)
    c.fields(exec_of_file(c, run, exe, "run 2"), "run 2: the copy, from the cache",
             exe_sha256=digest, exe_hash_missing=ABSENT)
    c.fields(end_hashes(c, run), "run 2: trace_end.hashes", computed=0, cached=1)
    c.check(hash_cache_warnings(run) == [], f"run 2: warnings {hash_cache_warnings(run)}")
    st = os.lstat(cache)
    c.check(stat.S_IMODE(st.st_mode) == 0o600, f"run 2: the cache file is mode {st.st_mode:o}")
    saved = file_bytes(cache)
    c.check(saved == want, f"run 2: the cache file holds {saved!r}, expected {want!r}")
    c.done()


def test_hash_cache_file_changed():
    # The copy is cached, then rewritten in place with false's bytes: the same inode (and,
    # where true and false are the same size, the same size), a later ctime. The entry no
    # longer answers for it: the new contents are read and hashed.
    d = tracelib.tmpdir("-hash-cache-changed")
    exe = private_copy(d, "mytrue")
    old = file_sha256(exe)
    cache = os.path.join(d, "hash-cache")
    old_line = cache_entry(old, file_identity(exe))
    run = run_hash_cache([exe], cache)
    c = Checks(run)
    c.fields(exec_of_file(c, run, exe, "run 1"), "run 1: the copy", exe_sha256=old)
    c.check(old_line in file_bytes(cache).splitlines(keepends=True),
            f"run 1: the cache file has no line {old_line!r}: {file_bytes(cache)!r}")
    c.done()

    before = os.stat(exe)
    new_bytes = file_bytes("/bin/false")
    new = hashlib.sha256(new_bytes).hexdigest()
    with open(exe, "r+b") as f:
        f.write(new_bytes)
        f.truncate()
    after = os.stat(exe)
    assert new != old, "/bin/false and /bin/true have the same contents"
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino), \
        "the copy was not rewritten in place"
    assert after.st_ctime_ns != before.st_ctime_ns, "writing the copy did not move its ctime"

    run = run_hash_cache([exe], cache, expect_rc=1)
    c = Checks(run)
    c.fields(exec_of_file(c, run, exe, "run 2"), "run 2: the copy rewritten with false",
             exe_sha256=new, exe_hash_missing=ABSENT)
    c.fields(end_hashes(c, run), "run 2: trace_end.hashes", computed=1, cached=0)
    c.check(hash_cache_warnings(run) == [], f"run 2: warnings {hash_cache_warnings(run)}")
    new_line = cache_entry(new, file_identity(exe))
    c.check(new_line in file_bytes(cache).splitlines(keepends=True),
            f"run 2: the cache file has no line {new_line!r}: {file_bytes(cache)!r}")
    c.done()


def test_hash_cache_entry_only_for_its_identity():
    # Lines with a forged digest for the copy's identity but one of its five numbers off by
    # one answer for no file run: the copy gets its true hash. A line with the exact identity
    # of a second copy is taken as it is (the file is trusted: it is root's, 0600), which
    # shows the lines were read, and refused for their identity alone.
    d = tracelib.tmpdir("-hash-cache-identity")
    exe = private_copy(d, "mytrue")
    other = private_copy(d, "othertrue")
    digest = file_sha256(exe)
    ident = file_identity(exe)
    cache = os.path.join(d, "hash-cache")
    lines = []
    for i in range(5):
        near = list(ident)
        near[i] += 1 if not (i == 4 and near[i] == 999999999) else -1
        lines.append(cache_entry(FORGED, near))
    control = "b" * 64
    lines.append(cache_entry(control, file_identity(other)))  # last: it wins a shared slot
    write_file(cache, HASH_CACHE_HEADER + b"".join(lines))

    run = run_hash_cache(["/bin/sh", "-c", '"$1" && "$2"', "sh", exe, other], cache)
    c = Checks(run)
    c.fields(exec_of_file(c, run, exe, "the copy"),
             "the copy, whose identity no cache line has exactly", exe_sha256=digest,
             exe_hash_missing=ABSENT)
    c.fields(exec_of_file(c, run, other, "the second copy"),
             "the second copy, with a cache line for its exact identity",
             exe_sha256=control, exe_hash_missing=ABSENT)
    c.fields(end_hashes(c, run), "trace_end.hashes (the second copy only from the cache)",
             cached=1)
    c.check(hash_cache_warnings(run) == [], f"warnings {hash_cache_warnings(run)}")
    c.check(FORGED not in json.dumps(run.lines), "a forged digest in the trace",
            [o for o in run.lines if FORGED in json.dumps(o)])
    c.done()


def test_hash_cache_unsafe_files_refused():
    # A cache file anyone else could have written, a symlink, or a file that is not a hash
    # cache: a warning, the hashes computed as without the option, the file left as it was.
    d = tracelib.tmpdir("-hash-cache-unsafe")
    exe = private_copy(d, "mytrue")
    digest = file_sha256(exe)
    forged_cache = HASH_CACHE_HEADER + cache_entry(FORGED, file_identity(exe))

    def refused(cache, reason, what, watch):
        """One run with --hash-cache cache; watch: the file that must stay as it is."""
        def state(path):
            st = os.lstat(path)
            body = os.readlink(path) if stat.S_ISLNK(st.st_mode) else file_bytes(path)
            return st.st_mode, st.st_uid, st.st_ino, body

        before = state(watch)
        run = run_hash_cache([exe], cache)
        c = Checks(run)
        c.check(hash_cache_warnings(run) == [not_used(cache, reason)],
                f"{what}: stderr should warn {not_used(cache, reason)!r} and nothing else on "
                f"--hash-cache: {hash_cache_warnings(run)}")
        c.fields(exec_of_file(c, run, exe, what), f"{what}: the copy", exe_sha256=digest,
                 exe_hash_missing=ABSENT)
        c.fields(end_hashes(c, run), f"{what}: trace_end.hashes", computed=1, cached=0)
        after = state(watch)
        c.check(after == before, f"{what}: {watch} (mode, uid, inode, contents) was {before!r}, "
                f"is {after!r}")
        c.done()

    writable = "not a regular file of tracerd's user, or writable by others"
    for mode in (0o666, 0o620):
        cache = os.path.join(d, f"cache-{mode:o}")
        write_file(cache, forged_cache, mode)
        refused(cache, writable, f"a cache file of mode {mode:o}", cache)
    theirs = os.path.join(d, "cache-nobody")
    write_file(theirs, forged_cache)
    os.chown(theirs, 65534, 65534)
    refused(theirs, writable, "a 0600 cache file of uid 65534", theirs)

    target = os.path.join(d, "cache-target")
    write_file(target, forged_cache)
    link = os.path.join(d, "cache-link")
    os.symlink(target, link)
    refused(link, "it is a symlink", "a symlink to a cache file", target)
    dangling = os.path.join(d, "cache-dangling")
    os.symlink(os.path.join(d, "nothing-here"), dangling)
    refused(dangling, "it is a symlink", "a symlink to no file", dangling)
    assert not os.path.lexists(os.path.join(d, "nothing-here")), \
        "--hash-cache created the target of a dangling symlink"

    hello = os.path.join(d, "hello")
    write_file(hello, b"hello\n")
    refused(hello, "not a tracerd hash cache (left as it is)", "a 0600 file not a cache",
            hello)

    # The control: the same forged line in a file tracerd may trust is taken, so the runs
    # above refused the files for what they are, not for their content.
    cache = os.path.join(d, "cache-666")
    os.chmod(cache, 0o600)
    run = run_hash_cache([exe], cache)
    c = Checks(run)
    c.check(hash_cache_warnings(run) == [], f"the control: warnings {hash_cache_warnings(run)}")
    c.fields(exec_of_file(c, run, exe, "the control"),
             "the control: the forged line, now in a 0600 file", exe_sha256=FORGED)
    c.fields(end_hashes(c, run), "the control: trace_end.hashes", computed=0, cached=1)
    c.done()


def test_hash_cache_malformed_lines_skipped():
    # The copy's true line first, then lines that are not entries, each of which a lenient
    # reader would take as a forged digest for the copy's exact identity (and, coming later,
    # would override the true line): all skipped and counted, the copy's hash from the cache,
    # and the file written back with well-formed lines only.
    d = tracelib.tmpdir("-hash-cache-malformed")
    exe = private_copy(d, "mytrue")
    digest = file_sha256(exe)
    dev, ino, size, sec, nsec = file_identity(exe)
    cache = os.path.join(d, "hash-cache")
    good = cache_entry(digest, [dev, ino, size, sec, nsec])

    def line(dig="f" * 64, *fields):
        return " ".join([dig] + [str(v) for v in (fields or (dev, ino, size, sec, nsec))])

    forged = line()  # well formed, as the bad lines below are not
    malformed = [
        line("g" + "f" * 63),  # not hex
        line("F" * 64),  # not lowercase
        line("f" * 63),  # 63 digits
        line("f" * 65),  # 65 digits
        line("f" * 64, dev, ino, size, sec),  # a field missing
        line("f" * 64, dev, ino, size, sec, nsec, 0),  # a field too many
        line("f" * 64, dev, "0" + str(ino), size, sec, nsec),  # a leading zero
        line("f" * 64, dev, ino, size, -sec, nsec),  # a negative number
        line("f" * 64, dev, ino, "+" + str(size), sec, nsec),  # a sign
        line("f" * 64, dev + (1 << 32), ino, size, sec, nsec),  # dev over 32 bits
        line("f" * 64, dev, ino + (1 << 64), size, sec, nsec),  # ino over 64 bits
        line("f" * 64, dev, ino, size, sec, nsec + 10**9),  # nanoseconds over 999999999
        forged + " ",  # trailing space
        " " + forged,  # leading space
        forged.replace(" ", "  ", 1),  # two spaces
        forged.replace(" ", "\t", 1),  # a tab
        forged + "\r",  # CRLF
        forged + "\0",  # a NUL after the line
        forged[:64] + "\0" + forged[64:],  # a NUL inside it
        "\0" * 10,  # NULs only
        "",  # an empty line
        "# tracerd hash cache 1",  # the header again
    ]
    data = (HASH_CACHE_HEADER + good + b"".join(m.encode() + b"\n" for m in malformed)
            + forged.encode())  # the last line cut short: no newline
    bad = len(malformed) + 1
    write_file(cache, data)

    run = run_hash_cache([exe], cache)
    c = Checks(run)
    want = f"tracerd: warning: --hash-cache '{cache}': {bad} malformed lines skipped"
    c.check(hash_cache_warnings(run) == [want],
            f"stderr should warn {want!r} and nothing else on --hash-cache: "
            f"{hash_cache_warnings(run)}")
    c.fields(exec_of_file(c, run, exe, "the copy"), "the copy, from its true line",
             exe_sha256=digest, exe_hash_missing=ABSENT)
    c.fields(end_hashes(c, run), "trace_end.hashes", computed=0, cached=1)
    saved = file_bytes(cache)
    c.check(saved.startswith(HASH_CACHE_HEADER) and saved.endswith(b"\n"),
            f"the cache file written back: {saved!r}")
    rest = saved[len(HASH_CACHE_HEADER):].split(b"\n")[:-1]
    c.check(all(HASH_CACHE_ENTRY.fullmatch(x) for x in rest),
            f"the cache file written back has lines that are not entries: {saved!r}")
    c.check(saved == HASH_CACHE_HEADER + good,
            f"the cache file written back holds {saved!r}, expected the header and {good!r}")
    c.done()


def test_hash_cache_never_the_trace():
    # --hash-cache naming the --out file: the trace is created first, empty, and an empty
    # file is no cache. Refused, and the trace is whole (a flush mid-run, then the end).
    d = tracelib.tmpdir("-hash-cache")
    exe = private_copy(d, "mytrue")
    out = os.path.join(d, "trace.jsonl.gz")
    run = tracelib.run_tracerd(["/bin/sh", "-c", f"{exe}; sleep 0.3; {exe}"], out=out,
                               options=["--hash-cache", out, "--flush-interval", "100"])
    c = Checks(run)
    c.check(hash_cache_warnings(run) == [not_used(out, "not a tracerd hash cache (left as it is)")],
            f"warnings {hash_cache_warnings(run)}")
    c.check(file_bytes(out)[:2] == b"\x1f\x8b", "the trace does not begin as gzip")
    c.fields(end_hashes(c, run), "trace_end.hashes", cached=1)
    c.done()


def test_hash_cache_keeps_no_anonymous_device():
    # A file on tmpfs (/dev/shm): its device number (major 0) is given to the next such
    # mount once this one is gone. Hashed each run, never written to the cache.
    d = tracelib.tmpdir("-hash-cache")
    shm = os.path.realpath(f"/dev/shm/tracerd-e2e-{os.getpid()}-true")
    shutil.copy("/bin/true", shm)
    try:
        if os.major(os.stat(shm).st_dev) != 0:
            raise AssertionError(f"{shm} is not on an anonymous device: cannot test")
        cache = os.path.join(d, "hash-cache")
        for n in (1, 2):
            run = run_hash_cache([shm], cache)
            c = Checks(run)
            c.fields(exec_of_file(c, run, shm, f"run {n}"), f"run {n}: the tmpfs copy",
                     exe_sha256=file_sha256(shm), exe_hash_missing=ABSENT)
            c.fields(end_hashes(c, run), f"run {n}: trace_end.hashes", computed=1, cached=0)
            c.check(file_bytes(cache) == HASH_CACHE_HEADER,
                    f"run {n}: the cache holds {file_bytes(cache)!r}, expected the header alone")
            c.done()
    finally:
        os.unlink(shm)
