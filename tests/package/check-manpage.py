#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check-manpage.py TRACERD MANPAGE: the man page documents everything --help offers.

Every long option in `TRACERD --help` (and in `TRACERD SUBCOMMAND --help` for each
subcommand that --help lists or the page documents in a `.SS "tracerd SUBCOMMAND ..."`)
must appear in the man page's text, and every subcommand --help lists as
"tracerd SUBCOMMAND". Fails naming each one missing. Subcommands are found in --help as
usage lines ("tracerd show [options] TRACE") or as a "Commands:" list; a documented one
whose --help fails is an error too.
"""
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
USAGE_SUBCOMMAND = re.compile(r"^\s*(?:usage:\s*)?tracerd\s+([a-z][a-z0-9-]*)\b", re.I)
LIST_ENTRY = re.compile(r"^\s{1,8}([a-z][a-z0-9-]*)(?:\s{2,}|\s*$)")


def run_help(tracerd, args):
    proc = subprocess.run([tracerd, *args, "--help"], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        sys.exit(f"check-manpage: {' '.join([tracerd, *args])} --help exited "
                 f"{proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def subcommands(help_text):
    found = []
    in_list = False
    for line in help_text.splitlines():
        match = USAGE_SUBCOMMAND.match(line)
        if match:
            found.append(match.group(1))
        if re.match(r"^\s*(sub)?commands:\s*$", line, re.I):
            in_list = True
            continue
        if in_list:
            match = LIST_ENTRY.match(line)
            if match:
                found.append(match.group(1))
            elif line.strip() and not line.startswith(" " * 9):
                in_list = False
    return sorted(set(found))


def man_text(path):
    """The page's words without roff: font escapes dropped, \\- as -, macros removed."""
    text = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(('.\\"', "'\\\"")):
                continue
            line = re.sub(r"^\.[A-Za-z]+\s?", "", line)
            line = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", line)
            line = line.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
            text.append(line.replace('"', " "))
    return " ".join(text)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check-manpage.py TRACERD MANPAGE")
    tracerd, page = sys.argv[1:]
    help_text = run_help(tracerd, [])
    listed = subcommands(help_text)
    # The page's own COMMANDS (.SS "tracerd show ...") are checked against their --help
    # too, whether or not the top-level --help lists them.
    with open(page, encoding="utf-8") as f:
        documented = re.findall(r'^\.SS "?tracerd ([a-z][a-z0-9-]*)', f.read(), re.M)
    commands = sorted(set(listed) | set(documented))
    # option -> the --help that lists it first
    options = {opt: "tracerd --help" for opt in OPTION.findall(help_text)}
    for command in commands:
        for opt in OPTION.findall(run_help(tracerd, [command])):
            options.setdefault(opt, f"tracerd {command} --help")
    if not options:
        sys.exit("check-manpage: found no option in --help: the parser is out of date")
    text = man_text(page)
    words = set(re.findall(r"(?<![\w-])--?[A-Za-z0-9][\w-]*", text))
    missing = [(opt, where) for opt, where in sorted(options.items()) if opt not in words]
    missing += [(f"tracerd {c}", "tracerd --help") for c in listed
                if not re.search(rf"\btracerd\s+{re.escape(c)}\b", text)]
    if missing:
        for item, where in missing:
            print(f"check-manpage: {page} does not document {item} (in {where})",
                  file=sys.stderr)
        sys.exit(1)
    print(f"check-manpage: {page} documents all {len(options)} options of tracerd --help"
          f" and of its {len(commands)} subcommands ({', '.join(commands) or 'none'})")


if __name__ == "__main__":
    main()
