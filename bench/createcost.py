#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""
The kernel side's cost of a created file (open O_CREAT, one 512-byte write, close), as
tar pays it: a C loop creates --files files nine directories deep under a tmpfs
(/dev/shm, so that no disk wait blurs it), and the system time it was charged per file is
compared untraced and under each build (tracerd ... -- COMMAND). tracerd's programs run
in the syscalls' own context, so their time is the creator's system time: unlike
bpf_stats, the machine's other syscalls are not in it. Builds are measured in turns, so
that the machine's load weighs on all alike: the differences to the untraced run are the
figures.

    bench/createcost.py [--rounds N] [--files N] TRACERD [TRACERD...]

Needs root and cc.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

CREATOR = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[512];
	char path[4096];
	int n = atoi(argv[2]);
	struct rusage ru;

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%d.o", argv[1], i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) || close(fd))
			return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld\n", ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec);
	return 0;
}
"""


def measure(tracerd, creator, files):
    """Microseconds of system time per file, untraced when tracerd is None."""
    with tempfile.TemporaryDirectory(dir="/dev/shm") as d:
        deep = os.path.join(d, "home", "runner", "work", "repo", "repo", "build", "obj", "sub")
        os.makedirs(deep)
        argv = [creator, deep, str(files)]
        if tracerd:
            argv = [tracerd, "--job-id", "createcost", "--out", os.path.join(d, "t.jsonl.gz"),
                    "--", *argv]
        out = subprocess.run(argv, check=True, capture_output=True).stdout.decode()
    return int(out.strip().splitlines()[-1]) / files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("tracerd", nargs="+")
    args = ap.parse_args()
    runs = {t: [] for t in [None, *args.tracerd]}
    with tempfile.TemporaryDirectory() as d:
        creator = os.path.join(d, "creator")
        subprocess.run(["cc", "-O2", "-x", "c", "-", "-o", creator], input=CREATOR.encode(),
                       check=True)
        for _ in range(args.rounds):
            for t in runs:
                runs[t].append(measure(t, creator, args.files))
    plain = statistics.median(runs[None])
    print(f"untraced: {plain:.1f} us of system time per created file "
          f"({', '.join(f'{x:.1f}' for x in runs[None])})")
    for t in args.tracerd:
        med = statistics.median(runs[t])
        print(f"{t}: {med:.1f} us ({', '.join(f'{x:.1f}' for x in runs[t])}): "
              f"+{med - plain:.1f} us per file over untraced")


if __name__ == "__main__":
    sys.exit(main())
