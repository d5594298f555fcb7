// SPDX-License-Identifier: GPL-2.0-only
/*
 * Floor 1: programs on the same tp_btf tracepoints as tracerd that do nothing. What is
 * left is the price of having a BPF program attached at all (trampoline, context setup).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_fork")
int floor_null_fork(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int floor_null_exec(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int floor_null_exit(void *ctx)
{
	return 0;
}

SEC("tp_btf/signal_generate")
int floor_null_signal(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int floor_null_sys_enter(void *ctx)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int floor_null_sys_exit(void *ctx)
{
	return 0;
}
