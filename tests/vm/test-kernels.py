#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""
The end-to-end suite on Debian's kernels: make test-kernels.

    tests/vm/test-kernels.py [--kernels "bullseye bookworm trixie"] [--archs "amd64 arm64"]
                             [--all] [-k SUBSTRING]... [--timeout SECS] [--cpus N] [--jobs N]
                             [--accel ACCEL] [--report-only]

For each kernel: fetch it (tests/vm/fetch-kernel.sh, cached in build/vm/), boot it under
qemu TCG (tests/vm/run-guest.sh) and run tests/e2e/run.py inside, in a chroot of this
machine's root, with TRACERD_E2E=required, on a copy of ./tracerd taken at the start (so a
rebuild during the run changes nothing). The tests run are the subset SUBSET below (or all
of them with --all). A kernel passes when every test passes (or fails as EXPECTED says, with
the reason), and its kernel log shows no lockup, RCU stall, BUG, Oops, WARNING, call trace,
hung task, verifier message or seccomp refusal (tests/vm/scan-kernel-log.sh, exceptions in
tests/vm/kernel-log-exceptions.txt). With arm64 in --archs and tests/vm/arm64-smoke.sh
present, that script runs too, as one more row.

Prints a kernel x test table and a kernel x group matrix with times (also written to
build/vm/matrix.md) and a closing line "kernels: N passed, N failed"; exits 1 on any failure.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VM = os.path.join(REPO, "build", "vm")

# The subset that fits CI's budget (see README.md, "Kernels"): every group of the suite,
# the tests in it that exercise the most kernel-facing code per second of TCG time. Names
# are test ids or unique prefixes of them (run.py -k matches substrings).
SUBSET = {
    "cli": ["test_cli.test_bad_usage", "test_cli.test_preflight_privileges"],
    "exec": ["test_exec.test_exec_tricky_args",
             "test_exec.test_fexecve_memfd_and_deleted_binary"],
    "exit": ["test_exec.test_exit_code", "test_exec.test_exit_killed_by_signal"],
    "fork": ["test_truth.test_truth_vfork_posix_spawn",
             "test_truth.test_truth_scope_command_mode_double_fork"],
    "files": ["test_files.test_open_syscall_variants",
              "test_truth.test_truth_path_relative_dotdot_symlinks"],
    "writes": ["test_files.test_write_syscall_variants"],
    "pathchanges": ["test_pathchanges.test_paths_follow_changes"],
    "release": ["test_release.test_release_close_range", "test_release.test_release_cloexec_at_exec"],
    "net": ["test_net.test_tcp_connect_ipv6", "test_net.test_udp_first_datagram_per_destination"],
    "dns": ["test_dns.test_dns_dig_udp", "test_dns.test_dns_getaddrinfo_then_curl"],
    "copies": ["test_copies.test_copy_syscalls"],
    "netcalls": ["test_netcalls.test_tcp_fast_open", "test_netcalls.test_dns_recvmmsg"],
    "listen": ["test_listen.test_listen_and_accept"],
    "access": ["test_access.test_process_access"],
    "io_uring": ["test_io_uring.test_io_uring_requests"],
    "tamper": ["test_scenarios.test_daemon_tamper"],
    "exehash": ["test_exehash.test_exehash_hasher_least_privilege"],
    "daemon": ["test_scenarios.test_command_mode_traces_only_its_tree"],
    "reliability": ["test_reliability.test_clean_stop_drains_everything",
                    "test_reliability.test_privileges_dropped_once_live",
                    "test_reliability.test_no_refused_syscalls_without_cgroup2"],
}

# Tests known to fail on a kernel because of that kernel, each with the reason:
# {"bullseye": {"test_x.test_y": "why"}}. A listed test that passes is reported, not failed.
EXPECTED = {
    "bullseye": {
        "test_exec.test_fexecve_memfd_and_deleted_binary":
            "the workload cannot run there: fexecve() (execveat with AT_EMPTY_PATH) fails "
            "with ENOENT in the 5.10 guest with no tracerd at all, from 9p and from tmpfs "
            "alike; nothing of tracerd's is tested",
    },
}

KERNEL_NAMES = {"bullseye": "Debian 11", "bookworm": "Debian 12", "trixie": "Debian 13"}


def sh(argv, **kw):
    return subprocess.run(argv, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout


def all_tests():
    return sh([sys.executable, os.path.join(REPO, "tests/e2e/run.py"), "--list"]).split()


def group_of(test, groups):
    for g, names in groups.items():
        if any(n in test for n in names):
            return g
    return test.split(".")[0].replace("test_", "")


def parse_output(path):
    """run.py's lines: 'ok   NAME (1.2s)', 'FAIL NAME (1.2s)' + detail, 'skip NAME: why'."""
    results = {}
    last = None
    if not os.path.exists(path):
        return results
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^(ok  |FAIL|skip) (\S+?)(?::| \(([\d.]+)s\))(.*)$", line.rstrip("\n"))
            if m:
                status = {"ok  ": "pass", "FAIL": "fail", "skip": "skip"}[m.group(1)]
                last = m.group(2)
                results[last] = {"status": status, "time": float(m.group(3) or 0),
                                 "detail": m.group(4).strip(" :")}
            elif last and line.startswith("    ") and results[last]["status"] == "fail":
                if len(results[last]["detail"]) < 300:
                    results[last]["detail"] += " " + line.strip()
    return results


def run_kernel(dist, tests, filters, args, tracerd):
    t0 = time.monotonic()
    kdir = sh([os.path.join(HERE, "fetch-kernel.sh"), dist, "amd64"]).strip()
    fetched = time.monotonic() - t0
    release = open(os.path.join(kdir, "release")).read().strip()
    res = os.path.join(VM, "results", f"{dist}-amd64")
    os.makedirs(res, exist_ok=True)
    argv = [os.path.join(HERE, "run-guest.sh"), "-q", "-t", str(args.timeout), "-c",
            str(args.cpus), "-a", args.accel, "-r", res, "-e", "TRACERD_E2E=required",
            "-e", "TRACERD_E2E_TIME_SCALE=5", "-e", f"TRACERD={tracerd}", kdir,
            "/usr/bin/python3", "tests/e2e/run.py"]
    for f in filters:
        argv += ["-k", f]
    print(f"== {dist} ({release}): {len(tests)} tests in a 2 GiB, {args.cpus}-vCPU guest,"
          f" -accel {args.accel}", flush=True)
    t1 = time.monotonic()
    rc = subprocess.run(argv, cwd=REPO).returncode
    results = parse_output(os.path.join(res, "output.txt"))
    if rc == 125 and not results:
        # The guest died before the suite started (a boot-time panic: under TCG on a busy
        # host the kernel's timer checks can fail). Once more, and say so.
        print(f"== {dist}: the guest died while booting; booting it once more", flush=True)
        shutil.copy(os.path.join(res, "console.log"), os.path.join(res, "console.boot1.log"))
        rc = subprocess.run(argv, cwd=REPO).returncode
        results = parse_output(os.path.join(res, "output.txt"))
    wall = time.monotonic() - t1
    logs = [os.path.join(res, n) for n in ("console.log", "dmesg.txt")
            if os.path.exists(os.path.join(res, n))]
    scan = subprocess.run([os.path.join(HERE, "scan-kernel-log.sh"), "-x",
                           os.path.join(HERE, "kernel-log-exceptions.txt")] + logs,
                          text=True, stdout=subprocess.PIPE)
    problems = []
    if rc == 124:
        problems.append(f"the guest timed out after {args.timeout}s")
    elif rc == 125:
        problems.append("the guest ended without finishing the suite (panic? see console.log)")
    if scan.returncode != 0:
        problems.append(scan.stdout.strip())
    out = ""
    if os.path.exists(os.path.join(res, "output.txt")):
        with open(os.path.join(res, "output.txt"), errors="replace") as f:
            out = f.read()
    for line in out.splitlines():
        if line.startswith(("ok ", "FAIL", "skip", "e2e:")):
            print("   ", line, flush=True)
    return {"dist": dist, "release": release, "rc": rc, "wall": wall, "fetch": fetched,
            "results": results, "problems": problems, "res": res}


def last_run(dist):
    """What run_kernel() returned, rebuilt from the files of the last run (--report-only)."""
    res = os.path.join(VM, "results", f"{dist}-amd64")
    kdir = os.path.join(VM, "kernels", f"{dist}-amd64")
    logs = [os.path.join(res, n) for n in ("console.log", "dmesg.txt")
            if os.path.exists(os.path.join(res, n))]
    scan = subprocess.run([os.path.join(HERE, "scan-kernel-log.sh"), "-x",
                           os.path.join(HERE, "kernel-log-exceptions.txt")] + logs,
                          text=True, stdout=subprocess.PIPE)
    status = open(os.path.join(res, "status")).read().strip() \
        if os.path.exists(os.path.join(res, "status")) else ""
    problems = [] if status else ["the guest did not finish the suite"]
    if scan.returncode:
        problems.append(scan.stdout.strip())
    wall = os.path.getmtime(os.path.join(res, "console.log")) - \
        os.path.getmtime(os.path.join(res, "cmd.sh"))
    return {"dist": dist, "release": open(os.path.join(kdir, "release")).read().strip(),
            "rc": int(status or 125), "wall": wall, "fetch": 0,
            "results": parse_output(os.path.join(res, "output.txt")), "problems": problems,
            "res": res}


def verdicts(k, tests):
    """Per test: (verdict, note). A missing result is a failure: the run did not get there."""
    exp = EXPECTED.get(k["dist"], {})
    rows = {}
    for t in tests:
        r = k["results"].get(t)
        if r is None:
            rows[t] = ("FAIL", "no result (the guest stopped before this test)")
        elif r["status"] == "pass":
            rows[t] = ("pass", "unexpected pass: remove from EXPECTED" if t in exp else "")
        elif t in exp:
            rows[t] = ("xfail", exp[t])
        else:
            rows[t] = ("FAIL", r["detail"][:200])
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--kernels", default="bullseye bookworm trixie")
    ap.add_argument("--archs", default="amd64 arm64")
    ap.add_argument("--all", action="store_true", help="the whole suite, not the subset")
    ap.add_argument("-k", action="append", default=[], metavar="SUBSTRING",
                    help="only the tests whose name contains SUBSTRING (as run.py -k)")
    ap.add_argument("--timeout", type=int, default=1200, help="per guest, boot included")
    ap.add_argument("--cpus", type=int, default=2)
    # One host thread for all vCPUs: with qemu's multi-threaded TCG, a vCPU can go on
    # running stale code after another vCPU live-patches the kernel (static keys flipped
    # when tracerd attaches to or detaches from the syscall tracepoints), and both sit
    # "stuck" on an instruction that memory no longer holds: README.md, "Kernels".
    ap.add_argument("--accel", default="tcg,thread=single")
    ap.add_argument("--report-only", action="store_true",
                    help="no guest: the tables from the last run's build/vm/results/")
    ap.add_argument("--jobs", type=int, default=1,
                    help="guests at once (each is 2 vCPUs: 1 on a 2-core machine)")
    args = ap.parse_args()
    kernels = args.kernels.replace(",", " ").split()
    archs = args.archs.replace(",", " ").split()
    started = time.monotonic()

    known = all_tests()
    if args.all:
        filters, groups = [], {}
        tests = known
    else:
        groups = SUBSET
        filters = [n for names in SUBSET.values() for n in names]
        missing = [n for n in filters if not any(n in t for t in known)]
        if missing:
            print("test-kernels: SUBSET names no test (renamed?): " + ", ".join(missing))
            return 1
        tests = [t for t in known if any(n in t for n in filters)]
    if args.k:
        tests = [t for t in tests if any(n in t for n in args.k)]
        filters = tests

    tracerd_src = os.path.join(REPO, "tracerd")
    if not os.access(tracerd_src, os.X_OK):
        print("test-kernels: ./tracerd is missing (make tracerd)")
        return 1
    os.makedirs(VM, exist_ok=True)
    tracerd = os.path.join(VM, "tracerd")
    shutil.copy2(tracerd_src, tracerd + ".tmp")
    os.replace(tracerd + ".tmp", tracerd)

    runs = []
    if args.report_only:
        runs = [last_run(d) for d in kernels]
    elif "amd64" in archs:
        # Fetch first (apt, one at a time), then boot: a download never eats guest time.
        for dist in kernels:
            sh([os.path.join(HERE, "fetch-kernel.sh"), dist, "amd64"])
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            runs = list(pool.map(lambda d: run_kernel(d, tests, filters, args, tracerd),
                                 kernels))
    arm = None
    smoke = os.path.join(HERE, "arm64-smoke.sh")
    if "arm64" in archs and os.path.exists(smoke) and not args.report_only:
        print("== arm64: tests/vm/arm64-smoke.sh", flush=True)
        t = time.monotonic()
        rc = subprocess.run(["/bin/sh", smoke], cwd=REPO).returncode
        arm = {"rc": rc, "wall": time.monotonic() - t}

    # The per-test table.
    lines = []
    heads = [f"{k['dist']} {k['release']}" for k in runs]
    lines.append("| test | group | " + " | ".join(heads) + " |")
    lines.append("| --- | --- |" + " --- |" * len(runs))
    per = [verdicts(k, tests) for k in runs]
    failed_kernels = set()
    notes = []
    for t in tests:
        cells = []
        for k, v in zip(runs, per):
            verdict, note = v[t]
            r = k["results"].get(t)
            cell = verdict + (f" {r['time']:.0f}s" if r and verdict == "pass" else "")
            if verdict == "FAIL":
                failed_kernels.add(k["dist"])
            if note:
                notes.append(f"- {k['dist']}, {t}: {verdict}: {note}")
            cells.append(cell)
        lines.append(f"| {t} | {group_of(t, groups)} | " + " | ".join(cells) + " |")

    # The group matrix, with the time the group's tests took.
    glist = list(dict.fromkeys(group_of(t, groups) for t in tests))
    mx = ["| kernel | " + " | ".join(glist) + " | guest total | result |",
          "| --- |" + " --- |" * (len(glist) + 2)]
    for k, v in zip(runs, per):
        cells = []
        for g in glist:
            ts = [t for t in tests if group_of(t, groups) == g]
            ok = sum(1 for t in ts if v[t][0] in ("pass", "xfail"))
            secs = sum(k["results"].get(t, {}).get("time", 0) for t in ts)
            cells.append(f"{ok}/{len(ts)} {secs:.0f}s")
        bad = k["dist"] in failed_kernels or k["problems"]
        if k["problems"]:
            failed_kernels.add(k["dist"])
        mx.append(f"| {KERNEL_NAMES.get(k['dist'], k['dist'])} {k['release']} | "
                  + " | ".join(cells) + f" | {k['wall']:.0f}s | "
                  + ("FAIL" if bad else "pass") + " |")
    if arm:
        mx.append(f"| arm64 (tests/vm/arm64-smoke.sh) | " + " | ".join("" for _ in glist)
                  + f" | {arm['wall']:.0f}s | " + ("pass" if arm["rc"] == 0 else "FAIL") + " |")
    host = os.uname().release
    mx.append(f"| host ({host}) | " + " | ".join("make test" for _ in glist)
              + " | - | the whole suite, in make test |")

    report = ["## Tests", ""] + lines + ["", "## Groups (passed/run, seconds)", ""] + mx
    if notes:
        report += ["", "## Notes", ""] + notes
    for k in runs:
        if k["problems"]:
            report += ["", f"## {k['dist']}: kernel log / guest problems", "", "```"]
            report += k["problems"] + ["```"]
    text = "\n".join(report) + "\n"
    print()
    print(text)
    with open(os.path.join(VM, "matrix.md"), "w") as f:
        f.write(text)
    total = time.monotonic() - started
    npass = len(runs) - len(failed_kernels) + (1 if arm and arm["rc"] == 0 else 0)
    nfail = len(failed_kernels) + (1 if arm and arm["rc"] != 0 else 0)
    print(f"(took {total:.0f}s; results in build/vm/results/, matrix in build/vm/matrix.md)")
    print(f"kernels: {npass} passed, {nfail} failed")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
