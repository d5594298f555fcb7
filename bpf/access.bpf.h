/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Access to other processes: ptrace() attach and peek/poke, process_vm_readv/writev(),
 * pidfd_getfd(). What a debugger does, and what a job stealing another's secrets does.
 * An access to tracerd itself is tamper (tamper.bpf.h), not this.
 */
#ifndef TRACERD_ACCESS_BPF_H
#define TRACERD_ACCESS_BPF_H

#include "common.bpf.h"

#define ACCESS_SEEN_MAX 4096 /* accesses remembered; LRU beyond */
#define PTRACE_PEEKTEXT 1
#define PTRACE_POKEUSR 6
#define PTRACE_ATTACH 16
#define PTRACE_SEIZE 0x4206
#define EBADF 9

struct access_key {
	__u32 pid;
	__u32 target_pid;
	__u32 action;
	__u32 failed;
	__s64 value;
};

/*
 * Each (process, target, action, request or fd, failed or not) is reported once: a
 * debugger peeks a word at a time, thousands of times.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ACCESS_SEEN_MAX);
	__type(key, struct access_key);
	__type(value, __u8);
} access_seen SEC(".maps");

static __always_inline void access_output(__u32 action, __u32 target, __s64 value, long ret)
{
	struct access_key key = {
		.pid = current_tgid(),
		.target_pid = target,
		.action = action,
		.failed = ret < 0,
		.value = value,
	};
	struct task_struct *task = (void *)bpf_get_current_task();
	struct rec_access rec;
	__u64 *exec_ns;
	__u8 one = 1;

	/* A process's own memory is no other process's. */
	if (target == key.pid || target == 0)
		return;
	if (bpf_map_update_elem(&access_seen, &key, &one, BPF_NOEXIST))
		return;
	record_header_fill(&rec.h, REC_ACCESS);
	rec.action = action;
	rec.target_pid = target;
	rec.value = value;
	rec.ret = ret;
	rec.flags = 0;
	rec.target_exec_ns = 0;
	/* A pid named from a child pid namespace is not the initial namespace's. */
	if (BPF_CORE_READ(task, thread_pid, level) != 0) {
		rec.flags |= ACCESS_PID_NAMESPACED;
	} else {
		exec_ns = bpf_map_lookup_elem(&exec_times, &target);
		if (exec_ns)
			rec.target_exec_ns = *exec_ns;
	}
	record_submit(&rec.h, sizeof(rec));
}

/*
 * The process a pidfd refers to: struct pid in private_data (anon inode, before pidfs) or
 * in the inode (pidfs, 6.9+).
 */
static __always_inline __u32 access_pidfd_pid(int fd)
{
	struct file *file = fd_to_file(fd);
	struct pid *pid;

	if (!file)
		return 0;
	pid = BPF_CORE_READ(file, private_data);
	if (!pid)
		pid = BPF_CORE_READ(file, f_inode, i_private);
	if (!pid)
		return 0;
	return BPF_CORE_READ(pid, numbers[0].nr);
}

/* ptrace(), process_vm_readv/writev(), pidfd_getfd() aimed at a process other than tracerd. */
static __always_inline void access_syscall(struct pt_regs *regs, long nr, long ret)
{
	__s64 request;
	__u32 pid;

	if (nr == NR_ptrace) {
		request = SYSCALL_ARG1(regs);
		if (request != PTRACE_ATTACH && request != PTRACE_SEIZE &&
		    (request < PTRACE_PEEKTEXT || request > PTRACE_POKEUSR))
			return;
		pid = SYSCALL_ARG2(regs);
		access_output(ACCESS_PTRACE, pid, request, ret);
		return;
	}
	if (nr == NR_pidfd_getfd) {
		/* -EBADF: not a pidfd, nothing to name. Any other result: the pidfd was one. */
		if (ret == -EBADF)
			return;
		pid = access_pidfd_pid(SYSCALL_ARG1(regs));
		if (pid)
			access_output(ACCESS_PIDFD_GETFD, pid, SYSCALL_ARG2(regs), ret);
		return;
	}
	pid = SYSCALL_ARG1(regs);
	access_output(nr == NR_process_vm_readv ? ACCESS_MEM_READ : ACCESS_MEM_WRITE, pid, 0, ret);
}

#endif
