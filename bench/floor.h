/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The benchmark's floor programs: what attaching to tracerd's tracepoints costs before
 * tracerd does any work of its own. Shared by floor_record.bpf.c and floor.c: fixed-width
 * types only, no libc.
 */
#ifndef TRACERD_BENCH_FLOOR_H
#define TRACERD_BENCH_FLOOR_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum floor_rec_type {
	FLOOR_REC_FORK = 1,
	FLOOR_REC_EXEC,
	FLOOR_REC_EXIT,
	FLOOR_REC_CLOSE,
	FLOOR_REC_SYSCALL,
	FLOOR_REC_TYPE_MAX,
};

/* One fixed 64-byte record per relevant event: no strings, no path walk. */
struct floor_rec {
	__u32 type;
	__u32 pid;
	__u32 tid;
	__u32 nr; /* syscall number, for FLOOR_REC_CLOSE and FLOOR_REC_SYSCALL */
	__u64 timestamp_ns;
	__s64 ret;
	char comm[16];
	__u64 pad[2];
};

#endif
