#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""
End-to-end tests of tracerd: runs the real ./tracerd against real workloads and checks
the traces it writes against SPEC.md and schemas/.

    tests/e2e/run.py [-k SUBSTRING]... [--list] [--keep]

Discovers every function named test_* in tests/e2e/test_*.py (in file order), runs each
and prints one closing line "e2e: N passed, N failed, N skipped"; exits 1 on any failure.
Tests that need a real tracing run are skipped when not root, without
/sys/kernel/btf/vmlinux or without ./tracerd (TRACERD=path overrides); with
TRACERD_E2E=required a skip counts as a failure. Scratch files live in one temporary
directory, removed unless a test failed (or --keep).
"""

import argparse
import importlib
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import tracelib  # noqa: E402


def discover(filters):
    tests = []
    # The schema self-tests first: they need no daemon and explain later failures.
    for name in sorted(os.listdir(HERE), key=lambda n: (n != "test_schemas.py", n)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        module = importlib.import_module(name[:-3])
        funcs = [f for n, f in vars(module).items()
                 if n.startswith("test_") and inspect.isfunction(f)
                 and f.__module__ == module.__name__]
        funcs.sort(key=lambda f: f.__code__.co_firstlineno)
        for f in funcs:
            full = f"{module.__name__}.{f.__name__}"
            if not filters or any(s in full for s in filters):
                tests.append((full, f))
    return tests


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("-k", action="append", default=[], metavar="SUBSTRING",
                    help="run only tests whose module.name contains SUBSTRING")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args()

    tests = discover(args.k)
    if args.list:
        for name, _ in tests:
            print(name)
        return 0

    required = os.environ.get("TRACERD_E2E") == "required"
    passed = failed = skipped = 0
    started = time.monotonic()
    print(f"running {len(tests)} e2e tests: tracerd {tracelib.TRACERD}, kernel {os.uname().release}"
          + (", skips count as failures (TRACERD_E2E=required)" if required else ""),
          flush=True)
    for name, func in tests:
        tracelib.begin_test(name)
        t0 = time.monotonic()
        try:
            func()
        except tracelib.Skip as e:
            if required:
                failed += 1
                print(f"FAIL {name}: skipped but TRACERD_E2E=required: {e}", flush=True)
            else:
                skipped += 1
                print(f"skip {name}: {e}", flush=True)
            continue
        except Exception as e:  # noqa: BLE001 - any error is this test's failure
            failed += 1
            if isinstance(e, AssertionError):
                detail = str(e)
            else:
                detail = traceback.format_exc()
            print(f"FAIL {name} ({time.monotonic() - t0:.1f}s)\n"
                  + "\n".join("    " + l for l in detail.rstrip().splitlines()), flush=True)
            continue
        passed += 1
        print(f"ok   {name} ({time.monotonic() - t0:.1f}s)", flush=True)

    kept = tracelib.cleanup_session(keep=failed > 0 or args.keep)
    if kept and (failed or args.keep):
        print(f"scratch files kept in {kept}")
    print(f"(took {time.monotonic() - started:.0f}s)")
    line = f"e2e: {passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
