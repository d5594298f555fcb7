#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the libFuzzer targets into build/fuzz/ and runs each for $1 seconds (default 20).
# Exits non-zero when a target crashes; the input that crashed it is saved as
# build/fuzz/<target>-crash-* and the log as build/fuzz/<target>.log.
set -eu

seconds=${1:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/fuzz
CLANG=${CLANG:-clang}
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$root/include"

mkdir -p "$out/corpus/fuzz_dns" "$out/corpus/fuzz_json" "$out/corpus/fuzz_records" \
	"$out/corpus/fuzz_hashcache"
$CLANG $flags "$root/tests/fuzz/fuzz_dns.c" "$root/src/dns.c" "$root/src/text.c" -o "$out/fuzz_dns"
$CLANG $flags "$root/tests/fuzz/fuzz_json.c" "$root/src/json.c" "$root/src/text.c" -ljansson \
	-o "$out/fuzz_json"
# The hash cache's lines: read back only as exactly what would be written.
$CLANG $flags -std=gnu11 -D_GNU_SOURCE "$root/tests/fuzz/fuzz_hashcache.c" \
	"$root/src/hashcache.c" "$root/src/fileio.c" "$root/src/sha256.c" -o "$out/fuzz_hashcache"

# Record decoding: records.c and everything a record passes through to the gzip file.
# The kernel's write totals come from a callback the target gives: no libbpf.
record_srcs=""
for m in records trace output fileio json timefmt format dns dnscache cgroup container pathnorm \
	writes openpaths proctable table text log linehead linehold exehash sha256 gzip; do
	record_srcs="$record_srcs $root/src/$m.c"
done
# The gzip encoder the daemon has (Makefile, GZIP_ENCODER).
gzip_define=
gzip_lib=-ldeflate
if pkg-config --exists libisal 2>/dev/null; then
	gzip_define=-DTRACERD_GZIP_ISAL
	gzip_lib=-lisal
fi
# shellcheck disable=SC2086 # the lists are meant to split into words
# Each line is checked against its schema in schemas/ (schema_check.c).
$CLANG $flags -std=gnu11 -D_GNU_SOURCE -DTRACERD_VERSION='"fuzz"' $gzip_define \
	-DFUZZ_SCHEMA_DIR="\"$root/schemas\"" "$root/tests/fuzz/fuzz_records.c" \
	"$root/tests/fuzz/schema_check.c" $record_srcs $gzip_lib -lz -ljansson -lm \
	-o "$out/fuzz_records"
# Its seeds: a well-formed record of every type, and all of them as one stream.
$CLANG -g -std=gnu11 -D_GNU_SOURCE -DFUZZ_RECORDS_SEEDS -I"$root/include" \
	"$root/tests/fuzz/fuzz_records.c" -o "$out/fuzz_records_seeds"
"$out/fuzz_records_seeds" "$out/corpus/fuzz_records"

# Seeds, so that a short run starts from messages that get past the header: a query for
# example.com, and a response with a CNAME, an A and an AAAA record using compression.
name='\007example\003com\000'
printf '%b' '\022\064\001\000\000\001\000\000\000\000\000\000'"$name"'\000\001\000\001' \
	>"$out/corpus/fuzz_dns/query"
printf '%b' '\022\064\201\200\000\001\000\003\000\000\000\000'"$name"'\000\001\000\001' \
'\300\014\000\005\000\001\000\000\000\074\000\007\004edge\300\024' \
'\300\014\000\001\000\001\000\000\001\054\000\004\135\270\330\042' \
'\300\014\000\034\000\001\000\000\016\020\000\020\046\006\050\000\002\040\000\001' \
'\000\000\000\000\000\000\000\001' >"$out/corpus/fuzz_dns/response"
printf '%s' 'f5adb8bf0100ed0f8c7782ca5f92814e9229525a4b4e0d401cf3bea09ac960a6 266338305 247728 125640 1796225455 692960734' >"$out/corpus/fuzz_hashcache/entry"
printf '%b' 'caf\303\251 \360\237\230\200 \355\240\200 \300\257 "\\\n\000\177' \
	>"$out/corpus/fuzz_json/mixed"

exec "$root/tests/fuzz/run-targets.sh" "$out" "$seconds" "" fuzz_dns fuzz_json fuzz_records \
	fuzz_hashcache
