// SPDX-License-Identifier: GPL-2.0-only
/*
 * Floor 2: the same attach points as tracerd, sending one fixed 64-byte record per event
 * tracerd cares about (fork, exec, exit, close on entry, the file and network syscalls on
 * exit) through a ring buffer, waking the reader only past 1/8 of the buffer, as tracerd
 * does. What is left is the price of the batched-record design itself, before any of
 * tracerd's per-event work (path walk, argv copy, scope and exec-id lookups).
 */
#include "../bpf/compat.bpf.h"
#include "floor.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. */
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 2 << 20;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the loader */
} floor_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} floor_lost SEC(".maps");

static __always_inline void floor_send(__u32 type, __u32 nr, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct floor_rec *rec;
	__u64 flags;
	__u32 zero = 0;
	__u64 *lost;

	if (id >> 32 == self_tgid)
		return;
	rec = bpf_ringbuf_reserve(&floor_events, sizeof(*rec), 0);
	if (!rec) {
		lost = bpf_map_lookup_elem(&floor_lost, &zero);
		if (lost)
			*lost += 1;
		return;
	}
	rec->type = type;
	rec->pid = id >> 32;
	rec->tid = (__u32)id;
	rec->nr = nr;
	rec->timestamp_ns = bpf_ktime_get_boot_ns();
	rec->ret = ret;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	rec->pad[0] = 0;
	rec->pad[1] = 0;
	flags = bpf_ringbuf_query(&floor_events, BPF_RB_AVAIL_DATA) > wakeup_bytes ?
			BPF_RB_FORCE_WAKEUP :
			BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_record_fork, struct task_struct *parent, struct task_struct *child)
{
	floor_send(FLOOR_REC_FORK, 0, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_record_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	floor_send(FLOOR_REC_EXEC, 0, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_record_exit, struct task_struct *task)
{
	floor_send(FLOOR_REC_EXIT, 0, 0);
	return 0;
}

/* tracerd only records signals sent to itself: nothing to send here. */
SEC("tp_btf/signal_generate")
int BPF_PROG(floor_record_signal, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_record_sys_enter, struct pt_regs *regs, long id)
{
	if (id == NR_close)
		floor_send(FLOOR_REC_CLOSE, id, 0);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_record_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = syscall_nr(regs);

	switch (nr) {
	case NR_openat:
	case NR_openat2:
#ifdef NR_open
	case NR_open:
#endif
#ifdef NR_creat
	case NR_creat:
#endif
	case NR_read:
	case NR_write:
	case NR_writev:
	case NR_pwrite64:
	case NR_pwritev:
	case NR_pwritev2:
	case NR_connect:
	case NR_sendto:
	case NR_sendmsg:
	case NR_sendmmsg:
	case NR_recvfrom:
	case NR_recvmsg:
		floor_send(FLOOR_REC_SYSCALL, nr, ret);
		break;
	}
	return 0;
}
