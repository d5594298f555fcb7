#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs each cmocka test binary and prints one closing "N passed, N failed" line.
passed=0
failed=0
for t in "$@"; do
	if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
