#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The README's first command: install the dependencies, build, trace a sample job and
# show its trace. Run as root from the repository.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
make
tmp=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
python3 -m http.server --bind 127.0.0.1 18080 --directory "$tmp" >/dev/null 2>&1 &
server=$!
sleep 0.5
./tracerd --job-id demo --out "$tmp/demo.jsonl.gz" -- \
	sh -c 'curl -s -o /dev/null http://127.0.0.1:18080/ ; cat /etc/hostname'
echo
echo "== the trace, one line per event (gunzip -c $tmp/demo.jsonl.gz | jq -c ...):"
gunzip -c "$tmp/demo.jsonl.gz" | jq -c '
	if .type == "process_exec" then {type, pid, exe, args}
	elif .type == "process_exit" then {type, pid, comm, exit_code, signal}
	elif .type == "net_connect" then {type, comm, dst_addr, dst_port, protocol, ret}
	elif .type == "file_open" then select(.path | test("^/(usr|lib|etc/ld)") | not) |
		{type, comm, path, flags, ret}
	else {type, events, by_type, lost} end | with_entries(select(.value != null))'
