#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make test-fleet: record three real job traces with ./tracerd (-- mode), upload them with
# tracerd-upload into a directory (date=/repo= partitions, as on an NFS collector), then
# run the README's DuckDB fleet queries over the lot and check their rows
# (tests/deploy/fleet-queries.js). @duckdb/node-api comes from npm, pinned by
# tests/deploy/fleet/package-lock.json, cached in OUT/node_modules.
#
# Usage: tests/deploy/test-fleet.sh TRACERD OUT     (as root: tracerd loads BPF)
# $1 of record() is word-split on purpose (VAR=value pairs for env); the job scripts are
# single-quoted on purpose (expanded by the traced sh).
# shellcheck disable=SC2086,SC2016
set -eu
tracerd=$(realpath "$1")
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(realpath "$out")

if [ "$(id -u)" -ne 0 ]; then
	echo "test-fleet: SKIP: needs root (tracerd loads BPF programs)"
	[ "${TRACERD_E2E:-}" != required ] || exit 1
	exit 0
fi

# DuckDB's node binding: npm ci once per lock file, then cached.
t0=$(date +%s)
if ! cmp -s "$top/tests/deploy/fleet/package-lock.json" "$out/.lock-installed" ||
	[ ! -d "$out/node_modules/@duckdb/node-api" ]; then
	cp "$top/tests/deploy/fleet/package.json" "$top/tests/deploy/fleet/package-lock.json" "$out/"
	(cd "$out" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	cp "$top/tests/deploy/fleet/package-lock.json" "$out/.lock-installed"
	echo "test-fleet: npm ci: $(($(date +%s) - t0)) s"
fi

work="$out/fleet"
rm -rf "$work"
mkdir -p "$work/home/.aws" "$work/traces" "$work/store"
# The planted credentials the queries must find.
printf 'machine 127.0.0.1 login ci password not-a-secret\n' >"$work/home/.netrc"
printf '[default]\naws_access_key_id = AKIAEXAMPLE\n' >"$work/home/.aws/credentials"
chmod 600 "$work/home/.netrc" "$work/home/.aws/credentials"

# Three loopback HTTP servers (outside the traces): the "hosts" the jobs contact.
python3 - "$work/ports" <<'PY' &
import http.server, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a): pass
servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), H) for _ in range(3)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(" ".join(str(s.server_address[1]) for s in servers) + "\n")
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Event().wait(600)
PY
server=$!
trap 'kill "$server" 2>/dev/null || :' EXIT
i=0
while [ ! -s "$work/ports" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "test-fleet: the loopback servers did not start" >&2; exit 1; }
	sleep 0.1
done
read -r p1 p2 p3 <"$work/ports"

# record RAW_JOB_ENV REPO DATE SCRIPT: one job, traced, then uploaded as the completed
# hook would (ids and repository keys mapped by tracerd-hook itself).
record()
{
	job=$(env -i $1 "$top/packaging/hooks/tracerd-hook" job-id)
	repo=$(env -i $1 GITHUB_REPOSITORY="$2" CI_PROJECT_PATH="$2" "$top/packaging/hooks/tracerd-hook" repo-key)
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" P1="$p1" P2="$p2" P3="$p3" \
		"$tracerd" --job-id "$job" --out "$work/traces/$job.jsonl.gz" -- sh -c "$4"
	TRACERD_NO_JOURNAL=1 "$top/packaging/hooks/tracerd-upload" --config /dev/null \
		--dir "$work/store" --repo "$repo" --date "$3" "$work/traces/$job.jsonl.gz"
}
record "GITHUB_RUN_ID=101 GITHUB_RUN_ATTEMPT=1 GITHUB_JOB=build" acme/web 2026-11-01 \
	'curl -s -o /dev/null http://127.0.0.1:$P1/ && cat "$HOME/.netrc" >/dev/null && gzip -c /etc/hostname >/dev/null'
record "GITHUB_RUN_ID=202 GITHUB_RUN_ATTEMPT=2 GITHUB_JOB=test" acme/api 2026-11-02 \
	'curl -s -o /dev/null http://127.0.0.1:$P2/ && head -c 10 "$HOME/.aws/credentials" >/dev/null && sha256sum /etc/hostname >"$HOME/sums.txt"'
record "CI_JOB_ID=303" tools/lint 2026-11-02 \
	'curl -s -o /dev/null http://127.0.0.1:$P3/ && curl -s -o /dev/null http://127.0.0.1:$P1/ && ls / >/dev/null'
[ -z "$(ls "$work/traces")" ] || { echo "test-fleet: local traces left after upload" >&2; exit 1; }
(cd "$work/store" && find . -type f | sort)

node "$top/tests/deploy/fleet-queries.js" "$out/node_modules" "$work/store" "$p1" "$p2" "$p3"
echo "test-fleet: done in $(($(date +%s) - t0)) s"
