// SPDX-License-Identifier: GPL-2.0-only
/*
 * tracerd's BPF programs. Entry points only: each reads its arguments, checks scope
 * and hands over to the helpers of its event family (process, file, net). Everything is
 * attached to tracepoints through BTF (tp_btf), which needs neither kprobes nor tracefs.
 */
#include "process.bpf.h"
#include "file.bpf.h"
#include "net.bpf.h"
#include "tamper.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tracerd_fork, struct task_struct *parent, struct task_struct *child)
{
	process_fork(parent, child);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tracerd_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	process_exec(task, bprm);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tracerd_exit, struct task_struct *task)
{
	process_exit(task);
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(tracerd_signal, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	tamper_signal(sig, task);
	return 0;
}

/* close() is seen on entry, while the file it closes is still reachable. */
SEC("tp_btf/sys_enter")
int BPF_PROG(tracerd_sys_enter, struct pt_regs *regs, long id)
{
	if (id != NR_close || !current_wanted())
		return 0;
	file_close(PT_REGS_PARM1_CORE_SYSCALL(regs));
	return 0;
}

/* read()/write() family: regular files are accounted, sockets may carry DNS. */
static __always_inline void sys_exit_rw(struct pt_regs *regs, long nr, long ret)
{
	struct file *file;
	struct sock *sk;

	if (ret < 0)
		return;
	file = fd_to_file(PT_REGS_PARM1_CORE_SYSCALL(regs));
	if (!file)
		return;
	switch (file_mode_type(file)) {
	case S_IFREG:
		if (nr != NR_read)
			file_write_account(file, ret);
		break;
	case S_IFSOCK:
		sk = file_sock(file);
		if (sk)
			net_socket_rw(sk, regs, nr, ret);
		break;
	}
}

/*
 * Everything else is seen on exit, when the result is known and user memory is paged in.
 * Scope is checked only for the syscalls tracerd records: most syscalls leave at once.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(tracerd_sys_exit, struct pt_regs *regs, long ret)
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
		if (current_wanted())
			file_open(regs, nr, ret);
		break;
	case NR_read:
	case NR_write:
	case NR_writev:
	case NR_pwrite64:
	case NR_pwritev:
	case NR_pwritev2:
		if (current_wanted())
			sys_exit_rw(regs, nr, ret);
		break;
	case NR_connect:
		if (current_wanted())
			net_connect(regs, ret);
		break;
	case NR_chdir:
	case NR_fchdir:
		if (ret == 0 && current_wanted())
			process_chdir();
		break;
	case NR_sendto:
	case NR_recvfrom:
		if (current_wanted())
			net_sendto(regs, ret, nr == NR_recvfrom ? DNS_RECEIVED : 0);
		break;
	case NR_sendmsg:
	case NR_recvmsg:
		if (current_wanted())
			net_sendmsg(regs, ret, nr == NR_recvmsg ? DNS_RECEIVED : 0);
		break;
	case NR_sendmmsg:
		if (current_wanted())
			net_sendmmsg(regs, ret);
		break;
	case NR_ptrace:
	case NR_process_vm_readv:
	case NR_process_vm_writev:
		/* Tamper evidence comes from anyone but tracerd, whatever the scope. */
		if (bpf_get_current_pid_tgid() >> 32 != self_tgid)
			tamper_syscall(regs, nr, ret);
		break;
	}
	return 0;
}
