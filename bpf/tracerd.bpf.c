// SPDX-License-Identifier: GPL-2.0-only
/*
 * tracerd's BPF programs: the entry points, and the dispatch of syscalls to the event
 * families (process, file, net, tamper). Each program decides whether the event is one
 * tracerd records and in scope, then hands over to the family's helpers, which build the
 * record and send it with record_submit() (common.bpf.h). Everything is attached to
 * tracepoints through BTF (tp_btf), which needs neither kprobes nor tracefs.
 */
#include "process.bpf.h"
#include "file.bpf.h"
#include "net.bpf.h"
#include "tamper.bpf.h"
#include "access.bpf.h"
#include "release.bpf.h"
#include "io_uring.bpf.h"

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
	/* Before the exec line: its close-on-exec files were released before it. */
	release_exec(task, old_pid);
	process_exec(task, bprm);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tracerd_exit, struct task_struct *task)
{
	if (process_exit(task))
		release_exit(task->tgid);
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(tracerd_signal, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	tamper_signal(sig, task);
	return 0;
}

/*
 * close(), and the syscalls that release files without it (release.bpf.h), are seen on
 * entry, while the files they release are still reachable. dup2()/dup3() over an fd close
 * it through the same file_close(): one copy of its path walk in this program.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(tracerd_sys_enter, struct pt_regs *regs, long id)
{
	int fd;

	/* Renames, mount changes...: by anyone, they can change what a walk gives. */
	if (namespace_syscall(id)) {
		namespace_changed();
		return 0;
	}
	if ((id != NR_close && !release_syscall(id)) || !current_wanted())
		return 0;
	fd = id == NR_close ? SYSCALL_ARG1(regs) : release_enter(regs, id);
	file_close(current_files(), fd);
	return 0;
}

/* read()/write() family: regular files are accounted, sockets may carry DNS. */
static __always_inline void sys_exit_rw(struct pt_regs *regs, struct files_struct *files, long nr,
					long ret)
{
	struct inode *inode;
	struct file *file;
	struct sock *sk;
	int fd;

	if (ret < 0)
		return;
	fd = SYSCALL_ARG1(regs);
	file = fd_to_file_in(files, fd);
	if (!file)
		return;
	/* Read once, for the file's type and its write key: each read is a probe read. */
	inode = BPF_CORE_READ(file, f_inode);
	switch (BPF_CORE_READ(inode, i_mode) & S_IFMT) {
	case S_IFREG:
		if (nr != NR_read && file_write_account_inode(file, inode, ret))
			release_track(file, fd);
		break;
	case S_IFSOCK:
		sk = socket_file_sock(file);
		if (sk)
			net_socket_rw(sk, regs, nr, ret);
		break;
	}
}

/*
 * copy_file_range(), sendfile() and splice() return the bytes written to their out fd
 * (copy_file_range's and splice's third argument, sendfile's first): a regular file
 * counts them as a write. A copy of nothing (the 0 at end of input) wrote nothing.
 */
static __always_inline void sys_exit_copy(struct pt_regs *regs, struct files_struct *files, long nr,
					  long ret)
{
	struct inode *inode;
	struct file *file;
	int fd;

	if (ret <= 0)
		return;
	fd = nr == NR_sendfile ? SYSCALL_ARG1(regs) : SYSCALL_ARG3(regs);
	file = fd_to_file_in(files, fd);
	if (!file)
		return;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFREG &&
	    file_write_account_inode(file, inode, ret))
		release_track(file, fd);
}

/* What sys_exit does with a syscall: most are none of tracerd's business. */
enum sys_exit_action {
	SYS_EXIT_IGNORE,
	SYS_EXIT_TAMPER, /* tamper from anyone but tracerd; process_access in scope */
	SYS_EXIT_OPEN,
	SYS_EXIT_RW,
	SYS_EXIT_COPY,
	SYS_EXIT_CONNECT,
	SYS_EXIT_CHDIR,
	SYS_EXIT_SENDTO_RECVFROM,
	SYS_EXIT_SENDMSG_RECVMSG,
	SYS_EXIT_MMSG,
	SYS_EXIT_LISTEN,
	SYS_EXIT_BIND,
	SYS_EXIT_ACCEPT,
	SYS_EXIT_IO_URING_SETUP,
	SYS_EXIT_NAMESPACE, /* by anyone: see firstwrite.bpf.h */
};

static __always_inline enum sys_exit_action sys_exit_action_of(long nr)
{
	switch (nr) {
	case NR_openat:
	case NR_openat2:
#ifdef NR_open
	case NR_open:
#endif
#ifdef NR_creat
	case NR_creat:
#endif
		return SYS_EXIT_OPEN;
	case NR_read:
	case NR_write:
	case NR_writev:
	case NR_pwrite64:
	case NR_pwritev:
	case NR_pwritev2:
		return SYS_EXIT_RW;
	case NR_copy_file_range:
	case NR_sendfile:
	case NR_splice:
		return SYS_EXIT_COPY;
	case NR_connect:
		return SYS_EXIT_CONNECT;
	case NR_chdir:
	case NR_fchdir:
		return SYS_EXIT_CHDIR;
	case NR_sendto:
	case NR_recvfrom:
		return SYS_EXIT_SENDTO_RECVFROM;
	case NR_sendmsg:
	case NR_recvmsg:
		return SYS_EXIT_SENDMSG_RECVMSG;
	case NR_sendmmsg:
	case NR_recvmmsg:
		return SYS_EXIT_MMSG;
	case NR_listen:
		return SYS_EXIT_LISTEN;
	case NR_bind:
		return SYS_EXIT_BIND;
	case NR_accept:
	case NR_accept4:
		return SYS_EXIT_ACCEPT;
	case NR_io_uring_setup:
		return SYS_EXIT_IO_URING_SETUP;
	case NR_ptrace:
	case NR_process_vm_readv:
	case NR_process_vm_writev:
	case NR_pidfd_getfd:
		return SYS_EXIT_TAMPER;
	}
	if (namespace_syscall(nr))
		return SYS_EXIT_NAMESPACE;
	return SYS_EXIT_IGNORE;
}

/*
 * Everything else is seen on exit, when the result is known and user memory is paged in.
 * Most syscalls leave at the first test; scope is checked once, for the ones recorded.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(tracerd_sys_exit, struct pt_regs *regs, long ret)
{
	/*
	 * Read first, before the dispatch gives the verifier a state per syscall number
	 * (see current_files()); pinned there, or clang moves it down.
	 */
	struct files_struct *files = current_files();
	long nr = syscall_nr(regs);
	enum sys_exit_action action;

	barrier_var(files);
	action = sys_exit_action_of(nr);

	if (action == SYS_EXIT_IGNORE)
		return 0;
	if (action == SYS_EXIT_NAMESPACE) {
		namespace_changed();
		return 0;
	}
	if (action == SYS_EXIT_TAMPER) {
		/* Aimed at tracerd: tamper, from anyone. At another process: in scope only. */
		if (current_tgid() != self_tgid && !tamper_syscall(regs, nr, ret) &&
		    current_wanted())
			access_syscall(regs, nr, ret);
		return 0;
	}
	if (!current_wanted())
		return 0;
	switch (action) {
	case SYS_EXIT_OPEN:
		file_open(regs, files, nr, ret);
		break;
	case SYS_EXIT_RW:
		sys_exit_rw(regs, files, nr, ret);
		break;
	case SYS_EXIT_COPY:
		sys_exit_copy(regs, files, nr, ret);
		break;
	case SYS_EXIT_CONNECT:
		net_connect(regs, ret);
		break;
	case SYS_EXIT_CHDIR:
		if (ret == 0)
			process_chdir();
		break;
	case SYS_EXIT_SENDTO_RECVFROM:
		net_sendto_recvfrom(regs, ret, nr == NR_recvfrom ? DNS_RECEIVED : 0);
		break;
	case SYS_EXIT_SENDMSG_RECVMSG:
		net_sendmsg_recvmsg(regs, ret, nr == NR_recvmsg ? DNS_RECEIVED : 0);
		break;
	case SYS_EXIT_MMSG:
		net_mmsg(regs, ret, nr == NR_recvmmsg ? DNS_RECEIVED : 0);
		break;
	case SYS_EXIT_LISTEN:
		net_listen(regs, ret);
		break;
	case SYS_EXIT_BIND:
		net_bind(regs, ret);
		break;
	case SYS_EXIT_IO_URING_SETUP:
		io_uring_setup_exit(regs, ret);
		break;
	default: /* SYS_EXIT_ACCEPT */
		net_accept(ret);
		break;
	}
	return 0;
}

/*
 * io_uring requests (io_uring.bpf.h), on kernels whose submit tracepoint passes the
 * prepared request: io_uring_submit_req (6.3 and later) or, before its rename, 6.0's
 * io_uring_submit_sqe(req, force_nonblock). The daemon loads the one this kernel has, and
 * neither before 6.0 (5.15 to 5.19 pass the request before it is prepared, 5.10 not at
 * all). The completion's other arguments differ between kernels; the request is the
 * second everywhere from 5.18 on.
 */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(tracerd_io_uring_submit, struct io_kiocb *req)
{
	io_uring_submit(req);
	return 0;
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(tracerd_io_uring_submit_sqe, struct io_kiocb *req)
{
	io_uring_submit(req);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(tracerd_io_uring_complete, void *ring, void *req)
{
	if (req)
		io_uring_complete(req);
	return 0;
}
