# SPDX-License-Identifier: GPL-2.0-only
"""
The schemas themselves (no daemon needed): valid draft 2020-12, one per line type, strict,
one JSON type per field name across all of them, and they accept the SPEC's lines and
reject broken ones.
"""

import copy

import tracelib

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"

BASE = {"timestamp": "2026-11-21T10:30:01.123456789Z", "job_id": "demo"}
EVENT = dict(BASE, pid=4242, tid=4242, ppid=4241, uid=0, comm="curl",
             exec_id="4242-123456789", cgroup_id=1234)

GOOD = {
    "trace_start": dict(BASE, type="trace_start", hostname="runner-1", kernel="6.18.0",
                        version="0.1.0", boot_id="0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"),
    "process_exec": dict(EVENT, type="process_exec", filename="/bin/echo", exe="/usr/bin/echo",
                         args=["/bin/echo", "a b", "", "h\u00e9llo \u2603", "\ufffd"],
                         cwd="/tmp", parent_exec_id="4241-12345",
                         container_id="ab" * 32),
    "process_exit": dict(EVENT, type="process_exit", exit_code=0, duration_ns=1234567),
    "net_connect": dict(EVENT, type="net_connect", dst_addr="127.0.0.1", dst_port=8080,
                        protocol="tcp", family="inet6", ret=-115, hostname="example.test"),
    "dns_query": dict(EVENT, type="dns_query", hostname="example.test", qtype="AAAA",
                      dst_addr="::1", dst_port=53, protocol="udp"),
    "file_open": dict(EVENT, type="file_open", path="/etc/hostname",
                      flags="O_RDONLY|O_CLOEXEC", ret=3),
    "file_write": dict(EVENT, type="file_write", path="/tmp/out", bytes=1048576, writes=16),
    "net_listen": dict(EVENT, type="net_listen", addr="0.0.0.0", port=8080, protocol="tcp",
                       family="inet", ret=0),
    "net_accept": dict(EVENT, type="net_accept", addr="::1", port=8080, peer_addr="::1",
                       peer_port=50123, protocol="tcp", family="inet6", ret=5),
    "process_access": dict(EVENT, type="process_access", action="ptrace", target_pid=77,
                           target_exec_id="77-123", request=16, request_name="PTRACE_ATTACH",
                           ret=0),
    "io_uring_setup": dict(EVENT, type="io_uring_setup", entries=8,
                           setup_flags="IORING_SETUP_SQPOLL|IORING_SETUP_SQ_AFF", sqpoll=True,
                           sq_entries=8, cq_entries=16, ops_traced=True, ret=3),
    "tamper": dict(EVENT, type="tamper", action="signal", target_pid=77, signal=15),
    "events_lost": dict(BASE, type="events_lost", count=3, by_type={"file_open": 3}),
    "trace_end": dict(BASE, type="trace_end", events=10, by_type={"process_exec": 10},
                      lost=0, duration_ns=999, stop_reason="signal", stop_signal=15,
                      stopped_by_pid=1, stopped_by_comm="systemd"),
}

MORE_GOOD = [
    dict(GOOD["process_exit"], exit_code=None, signal=9, core_dumped=True),
    dict(GOOD["process_exec"], args=[], args_truncated=True, exe_memfd=True, exe_deleted=True,
         filename="/dev/fd/3", cwd_truncated=True, exe_truncated=True, filename_truncated=True),
    dict(GOOD["file_open"], flags="O_WRONLY|O_CREAT|O_TRUNC|0x40000000", ret=-2,
         path_truncated=True),
    dict(GOOD["file_open"], flags="O_ACCMODE"),
    dict(GOOD["net_connect"], dst_addr="2001:db8::1", family="inet6", protocol="udp", ret=0),
    dict(GOOD["net_connect"], dst_addr="::", dst_port=0),
    dict(GOOD["dns_query"], qtype="TYPE65280"),
    dict(GOOD["tamper"], action="open_output", path="/var/log/trace.jsonl.gz",
         flags="O_RDONLY", signal=None),
    dict(GOOD["tamper"], action="ptrace", request=16, signal=None),
    dict(GOOD["net_listen"], addr="::", protocol="udp", family="inet6", ret=-98),
    dict(GOOD["process_access"], action="pidfd_getfd", target_fd=3, request=None,
         request_name=None, target_exec_id=None, target_pid_namespaced=True),
    dict(GOOD["io_uring_setup"], entries=0, setup_flags=None, sqpoll=None, sq_entries=None,
         cq_entries=None, ops_traced=False, ret=-22),
    dict(GOOD["io_uring_setup"], setup_flags="IORING_SETUP_CLAMP|0x80000000", sqpoll=None),
    dict(GOOD["file_open"], via="io_uring"),
    dict(GOOD["file_write"], via="io_uring"),
    dict(GOOD["net_connect"], via="io_uring"),
    dict(GOOD["dns_query"], via="io_uring"),
    dict(GOOD["trace_end"], by_type={}, events=0),
    dict(GOOD["trace_end"], stop_reason="command_exited", stop_signal=None,
         stopped_by_pid=None, stopped_by_comm=None),
    dict(GOOD["trace_end"], stop_reason="error", stopped_by_comm=None),
]

DEL = object()  # in a change: delete the field

# (description, line type, change): a dict of fields to set or DEL.
BAD = [
    ("unknown field", "process_exec", {"bogus": 1}),
    ("unknown field on trace_end", "trace_end", {"pid": 1}),
    ("event fields on events_lost", "events_lost", {"pid": 1}),
    ("missing pid", "file_open", {"pid": DEL}),
    ("missing exec_id", "process_exit", {"exec_id": DEL}),
    ("missing job_id", "trace_start", {"job_id": DEL}),
    ("pid as a string", "file_open", {"pid": "42"}),
    ("pid as a float", "file_open", {"pid": 42.5}),
    ("six fractional digits", "file_open", {"timestamp": "2026-11-21T10:30:01.123456Z"}),
    ("timezone offset", "file_open", {"timestamp": "2026-11-21T10:30:01.123456789+00:00"}),
    ("timestamp with a newline", "file_open", {"timestamp": "2026-11-21T10:30:01.123456789Z\n"}),
    ("job id ..", "file_open", {"job_id": ".."}),
    ("job id with a slash", "file_open", {"job_id": "a/b"}),
    ("job id too long", "file_open", {"job_id": "a" * 129}),
    ("short container id", "file_open", {"container_id": "ab" * 31}),
    ("uppercase container id", "file_open", {"container_id": "AB" * 32}),
    ("exec_id as a number", "file_open", {"exec_id": 42}),
    ("args not strings", "process_exec", {"args": ["a", 1]}),
    ("args_truncated false", "process_exec", {"args_truncated": False}),
    ("exe_memfd false", "process_exec", {"exe_memfd": False}),
    ("relative cwd", "process_exec", {"cwd": "tmp"}),
    ("missing args", "process_exec", {"args": DEL}),
    ("exit with both exit_code and signal", "process_exit", {"signal": 9}),
    ("exit with neither", "process_exit", {"exit_code": DEL}),
    ("exit_code 256", "process_exit", {"exit_code": 256}),
    ("core_dumped without signal", "process_exit", {"core_dumped": True}),
    ("missing duration_ns", "process_exit", {"duration_ns": DEL}),
    ("port 65536", "net_connect", {"dst_port": 65536}),
    ("protocol sctp", "net_connect", {"protocol": "sctp"}),
    ("family ipv4", "net_connect", {"family": "ipv4"}),
    ("mapped address not shown as IPv4", "net_connect", {"dst_addr": "::ffff:127.0.0.1"}),
    ("address with a port", "net_connect", {"dst_addr": "127.0.0.1:80"}),
    ("positive connect ret", "net_connect", {"ret": 3}),
    ("missing ret", "net_connect", {"ret": DEL}),
    ("qtype lowercase", "dns_query", {"qtype": "aaaa"}),
    ("qtype as a number", "dns_query", {"qtype": 28}),
    ("relative path", "file_open", {"path": "sub/file.txt"}),
    ("flags without the access mode first", "file_open", {"flags": "O_CLOEXEC|O_RDONLY"}),
    ("flags as a number", "file_open", {"flags": 524288}),
    ("bytes negative", "file_write", {"bytes": -1}),
    ("writes as a string", "file_write", {"writes": "16"}),
    ("tamper without action", "tamper", {"action": DEL}),
    ("tamper signal as a string", "tamper", {"signal": "SIGTERM"}),
    ("tamper path as a number", "tamper", {"path": 3}),
    ("tamper extra with a null", "tamper", {"detail": None}),
    ("by_type value as a string", "trace_end", {"by_type": {"file_open": "3"}}),
    ("by_type with a non-event key", "trace_end", {"by_type": {"trace_start": 1}}),
    ("lost missing", "trace_end", {"lost": DEL}),
    ("stop_reason missing", "trace_end", {"stop_reason": DEL}),
    ("stop_reason unknown", "trace_end", {"stop_reason": "kill"}),
    ("stop_signal as a name", "trace_end", {"stop_signal": "SIGTERM"}),
    ("stopped_by_pid without stop_signal", "trace_end", {"stop_signal": DEL}),
    ("stopped_by_comm without stopped_by_pid", "trace_end", {"stopped_by_pid": DEL}),
    ("boot_id not a uuid", "trace_start", {"boot_id": "xyz"}),
    ("events_lost count 0", "events_lost", {"count": 0}),
    ("wrong type const", "file_open", {"type": "file_write"}),
    ("via another way", "file_open", {"via": "aio"}),
    ("io_uring_setup without ops_traced", "io_uring_setup", {"ops_traced": DEL}),
    ("setup_flags as a number", "io_uring_setup", {"setup_flags": 2}),
    ("setup_flags named as open flags", "io_uring_setup", {"setup_flags": "O_RDONLY"}),
    ("sqpoll false", "io_uring_setup", {"sqpoll": False}),
    ("sq_entries without cq_entries", "io_uring_setup", {"cq_entries": DEL}),
]


def _apply(obj, change):
    obj = copy.deepcopy(obj)
    for k, v in change.items():
        if v is DEL:
            obj.pop(k, None)
        else:
            obj[k] = v
    return obj


def test_schema_files():
    schemas = tracelib.load_schemas()
    want = set(tracelib.LINE_TYPES) | {"common"}
    assert set(schemas) == want, f"schemas/ holds {sorted(schemas)}, expected {sorted(want)}"
    for name, s in schemas.items():
        assert s.get("$schema") == SCHEMA_URI, f"{name}: $schema is {s.get('$schema')!r}"
        assert s.get("$id") == f"{tracelib.SCHEMA_BASE}{name}.schema.json", \
            f"{name}: $id is {s.get('$id')!r}"
        tracelib._validator_class().check_schema(s)
        if name != "common":
            assert s.get("unevaluatedProperties") is False, f"{name} is not closed"
            assert s["properties"]["type"] == {"const": name}, f"{name}: type is not const"


def _field_types(schemas):
    """{field name: {json type: [where]}} over every properties entry of every schema."""
    defs = schemas["common"]["$defs"]

    def type_of(sub):
        while "$ref" in sub and "type" not in sub and "const" not in sub:
            ref = sub["$ref"]
            sub = defs[ref.rsplit("/", 1)[1]]
        if "type" in sub:
            return sub["type"] if isinstance(sub["type"], str) else tuple(sub["type"])
        if "const" in sub:
            return tracelib.json_type(sub["const"])
        return None

    found = {}

    def walk(where, schema):
        if isinstance(schema, dict):
            for k, sub in schema.get("properties", {}).items():
                found.setdefault(k, {}).setdefault(type_of(sub), []).append(where)
            for k, v in schema.items():
                if k != "properties":
                    walk(where, v)
        elif isinstance(schema, list):
            for v in schema:
                walk(where, v)

    for name, s in schemas.items():
        walk(name, s)
    return found


def test_schema_one_type_per_field():
    found = _field_types(tracelib.load_schemas())
    problems = [f"{k}: {v}" for k, v in found.items() if len(v) != 1 or None in v]
    assert not problems, "fields with no single JSON type:\n  " + "\n  ".join(problems)


def test_schema_accepts_spec_lines():
    problems = []
    for obj in list(GOOD.values()) + [{k: v for k, v in o.items() if v is not None}
                                      for o in MORE_GOOD]:
        errs = tracelib.schema_errors(obj)
        if errs:
            problems.append(f"{obj['type']}: {errs}")
    assert not problems, "valid lines rejected:\n  " + "\n  ".join(problems)
    # A whole well-formed trace passes check_trace.
    lines = [GOOD["trace_start"], GOOD["process_exec"], GOOD["file_open"], GOOD["tamper"],
             dict(GOOD["events_lost"], count=2, by_type={"file_open": 2}),
             dict(GOOD["trace_end"], events=2, by_type={"process_exec": 1, "file_open": 1},
                  lost=2)]
    tracelib.check_trace(lines, "demo")


def test_schema_rejects_broken_lines():
    accepted = []
    for what, t, change in BAD:
        obj = _apply(GOOD[t], change)
        if not tracelib.schema_errors(obj):
            accepted.append(f"{what}: {obj}")
    assert not accepted, "broken lines accepted:\n  " + "\n  ".join(accepted)


def test_check_trace_catches_bad_counts():
    start, end = GOOD["trace_start"], GOOD["trace_end"]
    cases = [
        ("events off by one", [start, GOOD["file_open"], dict(end, events=2,
                                                               by_type={"file_open": 2})]),
        ("tamper counted", [start, GOOD["tamper"], dict(end, events=1, by_type={})]),
        ("no trace_end", [start, GOOD["file_open"]]),
        ("wrong job id", [start, dict(GOOD["file_open"], job_id="other"),
                          dict(end, events=1, by_type={"file_open": 1})]),
        ("lost mismatch", [start, dict(end, events=0, by_type={}, lost=5)]),
        ("events_lost parts", [start, dict(GOOD["events_lost"], count=4),
                               dict(end, events=0, by_type={}, lost=4)]),
        ("field with two types", [start, dict(GOOD["tamper"], detail="x"),
                                  dict(GOOD["tamper"], detail=3), dict(end, events=0, by_type={})]),
        ("exec_id shared by two pids", [start, GOOD["file_open"],
                                        dict(GOOD["file_open"], pid=1),
                                        dict(end, events=2, by_type={"file_open": 2})]),
    ]
    missed = []
    for what, lines in cases:
        try:
            tracelib.check_trace(lines, "demo")
        except AssertionError:
            continue
        missed.append(what)
    assert not missed, f"check_trace missed: {missed}"
    try:
        tracelib.parse_jsonl(b'{"a":1,"a":2}\n')
    except AssertionError:
        pass
    else:
        raise AssertionError("parse_jsonl accepted a duplicate key")
    for bad in (b'{"a":NaN}\n', b'{"a":"\xff"}\n', b'{"a":1}'):
        try:
            tracelib.parse_jsonl(bad)
        except AssertionError:
            continue
        raise AssertionError(f"parse_jsonl accepted {bad!r}")
