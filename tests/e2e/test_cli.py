# SPDX-License-Identifier: GPL-2.0-only
"""The command line: --out -, bad usage, existing outputs, symlinks, --help/--version."""

import os

import tracelib
from tracelib import Checks


def test_out_stdout():
    d = tracelib.tmpdir()
    run = tracelib.run_tracerd(["sh", "-c", "echo hello-from-command; echo to-stderr >&2"],
                               out="-", cwd=d)
    c = Checks(run)
    c.check(run.stdout.startswith(b'{"'), f"stdout is not plain JSONL: {run.stdout[:40]!r}")
    c.check(b"\nhello-from-command\n" not in b"\n" + run.stdout,
            "the command's stdout ended up in the trace on stdout")
    c.check(b"hello-from-command\n" in run.stderr and b"to-stderr\n" in run.stderr,
            "the command's stdout and stderr should both reach tracerd's stderr")
    c.check(os.listdir(d) == [], f"files created in the cwd: {os.listdir(d)}")
    c.one(run.lines, "process_exec of sh", "process_exec",
          args=["sh", "-c", "echo hello-from-command; echo to-stderr >&2"])
    c.done()


def test_bad_usage():
    tracelib.require_binary()
    d = tracelib.tmpdir()
    out = os.path.join(d, "t.jsonl.gz")
    tr = str(tracelib.TRACERD)
    cases = [
        ("missing --job-id", ["--out", out, "--", "true"]),
        ("job id with a slash", ["--job-id", "a/b", "--out", out, "--", "true"]),
        ("job id ..", ["--job-id", "..", "--out", out, "--", "true"]),
        ("job id .", ["--job-id", ".", "--out", out, "--", "true"]),
        ("job id starting with -", ["--job-id=-x", "--out", out, "--", "true"]),
        ("empty job id", ["--job-id", "", "--out", out, "--", "true"]),
        ("job id with a space", ["--job-id", "a b", "--out", out, "--", "true"]),
        ("job id of 129 characters", ["--job-id", "a" * 129, "--out", out, "--", "true"]),
        ("unknown option", ["--job-id", "ok", "--bogus", "--out", out, "--", "true"]),
        ("missing --out", ["--job-id", "ok", "--", "true"]),
        ("--out without a value", ["--job-id", "ok", "--out"]),
        ("bad --flush-interval", ["--job-id", "ok", "--out", out, "--flush-interval", "abc",
                                  "--", "true"]),
    ]
    c = Checks()
    for what, args in cases:
        rc, stdout, stderr = tracelib.run_plain([tr, *args], cwd=d)
        c.check(rc == 2, f"{what}: exit {rc}, expected 2 (stderr {stderr[:300]!r})")
        c.check(stderr.strip() != b"", f"{what}: no message on stderr")
        c.check(stdout == b"", f"{what}: bad usage wrote to stdout: {stdout[:200]!r}")
        left = os.listdir(d)
        c.check(left == [], f"{what}: files created: {left}")
        for name in left:
            os.unlink(os.path.join(d, name))
    c.done()


def test_longest_job_id():
    job = ("Az09._-" * 19)[:128]
    run = tracelib.run_tracerd(["true"], job_id=job)
    c = Checks(run)
    c.check(run.lines[0].get("job_id") == job, "job id of 128 characters not kept",
            run.lines[:1])
    c.done()


def test_existing_output():
    d = tracelib.tmpdir()
    out = os.path.join(d, "existing.jsonl.gz")
    with open(out, "wb") as f:
        f.write(b"precious")
    os.utime(out, (1000000000, 1000000000))
    run = tracelib.run_tracerd(["true"], out=out, expect_rc=1, check=False)
    c = Checks(run)
    c.check(run.stderr.strip() != b"", "no message on stderr")
    with open(out, "rb") as f:
        c.check(f.read() == b"precious", "existing output changed without --force")
    c.check(os.stat(out).st_mtime == 1000000000, "existing output touched without --force")
    c.done()
    run = tracelib.run_tracerd(["true"], out=out, options=["--force"])
    c = Checks(run)
    c.one(run.lines, "process_exec of true", "process_exec", args=["true"])
    c.done()


def test_output_symlink():
    d = tracelib.tmpdir()
    target = os.path.join(d, "target")
    with open(target, "wb") as f:
        f.write(b"target-content")
    link = os.path.join(d, "link.jsonl.gz")
    os.symlink(target, link)
    dangling = os.path.join(d, "dangling.jsonl.gz")
    dangling_target = os.path.join(d, "never-created")
    os.symlink(dangling_target, dangling)
    c = Checks()
    for out in (link, dangling):
        for opts in ([], ["--force"]):
            run = tracelib.run_tracerd(["true"], out=out, options=opts, expect_rc=None,
                                       check=False)
            c.run = run
            what = f"--out {os.path.basename(out)} {' '.join(opts)}"
            c.check(run.returncode == 1, f"{what}: exit {run.returncode}, expected 1")
            c.check(run.stderr.strip() != b"", f"{what}: no message on stderr")
            c.check(os.path.islink(out), f"{what}: the symlink was replaced")
            with open(target, "rb") as f:
                c.check(f.read() == b"target-content", f"{what}: symlink target changed")
            c.check(not os.path.lexists(dangling_target),
                    f"{what}: created the dangling symlink's target")
    c.done()


def test_help_and_version():
    tracelib.require_binary()
    tr = str(tracelib.TRACERD)
    c = Checks()
    rc, out, err = tracelib.run_plain([tr, "--help"])
    c.check(rc == 0, f"--help exited {rc}")
    c.check(b"--job-id" in out and b"--out" in out, f"--help on stdout lacks the options: "
            f"{out[:300]!r}")
    rc, out, err = tracelib.run_plain([tr, "--version"])
    c.check(rc == 0, f"--version exited {rc}")
    c.check(out.strip() != b"", "--version printed nothing on stdout")
    c.done()


def test_output_private_under_umask_0():
    # Whatever the umask, the trace (secrets in argv, hostnames) is not world-readable.
    tracelib.require_daemon()
    d = tracelib.tmpdir()
    out = os.path.join(d, "umask0.jsonl.gz")
    rc, _, err = tracelib.run_plain(["/bin/sh", "-c", 'umask 000 && exec "$@"', "sh",
                                     str(tracelib.TRACERD), "--job-id", "umask0", "--out", out,
                                     "--", "true"])
    assert rc == 0, f"tracerd exited {rc}: {err[-500:]!r}"
    mode = os.stat(out).st_mode & 0o777
    assert not mode & 0o006, f"trace written with mode {mode:o} under umask 000"


def test_output_directory_missing():
    # A runtime failure: exit 1 with a message, nothing run, nothing created.
    d = tracelib.tmpdir()
    out = os.path.join(d, "no-such-dir", "t.jsonl.gz")
    marker = os.path.join(d, "ran")
    run = tracelib.run_tracerd(["touch", marker], out=out, expect_rc=1, check=False)
    c = Checks(run)
    c.check(run.stderr.strip() != b"", "no message on stderr")
    c.check(not os.path.exists(marker), "the command ran although the output failed")
    c.check(os.listdir(d) == [], f"files created: {os.listdir(d)}")
    c.done()


def test_preflight_privileges():
    """Without root, or with only half the capabilities, tracerd says which is missing."""
    tracelib.require_daemon()
    d = tracelib.tmpdir()
    os.chmod(d, 0o777)
    out = os.path.join(d, "t.jsonl.gz")
    tr = str(tracelib.TRACERD)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    cases = [
        ("as nobody", nobody, "must run as root (it loads BPF programs; CAP_BPF with "
         "CAP_PERFMON also does)"),
        ("as nobody with CAP_BPF only", nobody + ["--inh-caps=+bpf", "--ambient-caps=+bpf"],
         "has CAP_BPF but not CAP_PERFMON: it needs both (or root)"),
        ("as nobody with CAP_PERFMON only",
         nobody + ["--inh-caps=+perfmon", "--ambient-caps=+perfmon"],
         "has CAP_PERFMON but not CAP_BPF: it needs both (or root)"),
        ("as root without capabilities", ["setpriv", "--inh-caps=-all", "--bounding-set=-all"],
         "must run as root"),
    ]
    c = Checks()
    for what, prefix, message in cases:
        rc, stdout, stderr = tracelib.run_plain(
            prefix + [tr, "--job-id", "p", "--out", out, "--", "true"])
        text = stderr.decode(errors="replace")
        c.check(rc == 1, f"{what}: exit {rc}, expected 1; stderr: {text}")
        c.check(f"tracerd: cannot trace: tracerd {message}" in text or
                f"tracerd: cannot trace: {message}" in text,
                f"{what}: stderr does not say {message!r}: {text}")
        c.check(not os.path.exists(out), f"{what}: {out} was created")
    c.done()
