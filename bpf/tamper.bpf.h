/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tamper evidence: other processes signalling tracerd, ptracing it, reading or writing its
 * memory, or opening its output file. A hostile job may be root and succeed; the trace
 * still shows who tried. Seen from every process, whatever the trace's scope.
 */
#ifndef TRACERD_TAMPER_BPF_H
#define TRACERD_TAMPER_BPF_H

#include "common.bpf.h"

#define TAMPER_SEEN_MAX 4096 /* (process, action, value) triples remembered; LRU beyond */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct output_id);
} output_file SEC(".maps");

struct tamper_key {
	__u32 pid;
	__u32 action;
	__s64 value;
};

/*
 * Each (process, action, value) is reported once: a debugger attached to tracerd issues
 * a ptrace request for every syscall tracerd makes, and reporting each would feed a loop.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TAMPER_SEEN_MAX);
	__type(key, struct tamper_key);
	__type(value, __u8);
} tamper_seen SEC(".maps");

static __always_inline bool tamper_first_time(__u32 action, __s64 value)
{
	struct tamper_key key = {
		.pid = current_tgid(),
		.action = action,
		.value = value,
	};
	__u8 one = 1;

	return bpf_map_update_elem(&tamper_seen, &key, &one, BPF_NOEXIST) == 0;
}

static __always_inline void tamper_output(__u32 action, __u32 target, __s64 value, __s64 ret)
{
	struct rec_tamper rec;

	if (!tamper_first_time(action, value))
		return;
	/*
	 * On the stack, not in the scratch buffer: a signal may be generated from an
	 * interrupt while this CPU is building another record there.
	 */
	record_header_fill(&rec.h, REC_TAMPER);
	rec.action = action;
	rec.target_pid = target;
	rec.value = value;
	rec.ret = ret;
	record_submit(&rec.h, sizeof(rec));
}

/* The signals that end a trace cleanly (the daemon's stop_signals). */
static __always_inline bool signal_stops_trace(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}

/*
 * tracerd's parent (a wrapper, a runner's hook) and PID 1 (systemd) are its supervisors:
 * their stop signals, and the SIGCONT that systemd sends with every SIGTERM, are the
 * normal way a trace ends. From anyone else, any signal is tamper.
 */
static __always_inline void tamper_signal(int sig, struct task_struct *target)
{
	__u32 sender = current_tgid();
	bool supervisor;

	/*
	 * SIGCHLD comes from tracerd's own command exiting. A signal raised from interrupt
	 * context on an idle CPU (SIGIO of an fd whose owner is tracerd) has no sender.
	 */
	if (target->tgid != self_tgid || sender == self_tgid || !sender || sig == SIGCHLD)
		return;
	supervisor = sender == 1 || sender == BPF_CORE_READ(target, real_parent, tgid);
	if (supervisor && sig == SIGCONT)
		return;
	if (supervisor && signal_stops_trace(sig))
		tamper_output(TAMPER_SUPERVISOR_STOP, self_tgid, sig, 0);
	else
		tamper_output(TAMPER_SIGNAL, self_tgid, sig, 0);
}

/*
 * ptrace(), process_vm_readv(), process_vm_writev() aimed at tracerd: true when it was
 * (then it is tamper, not a process_access).
 */
static __always_inline bool tamper_syscall(struct pt_regs *regs, long nr, long ret)
{
	__u32 pid;

	if (nr == NR_ptrace) {
		pid = SYSCALL_ARG2(regs);
		if (pid == self_tgid)
			tamper_output(TAMPER_PTRACE, pid, SYSCALL_ARG1(regs), ret);
		return pid == self_tgid;
	}
	if (nr != NR_process_vm_readv && nr != NR_process_vm_writev)
		return false;
	pid = SYSCALL_ARG1(regs);
	if (pid == self_tgid)
		tamper_output(nr == NR_process_vm_readv ? TAMPER_MEM_READ : TAMPER_MEM_WRITE, pid,
			      0, ret);
	return pid == self_tgid;
}

/* A successful open of tracerd's output file by anyone else. */
static __always_inline void tamper_check_open(struct file *file, __u32 open_flags, long ret)
{
	__u32 zero = 0;
	struct output_id *out = bpf_map_lookup_elem(&output_file, &zero);

	if (!out || !out->ino || BPF_CORE_READ(file, f_inode, i_ino) != out->ino ||
	    BPF_CORE_READ(file, f_inode, i_sb, s_dev) != out->dev)
		return;
	tamper_output(TAMPER_OPEN_OUTPUT, self_tgid, open_flags, ret);
}

#endif
