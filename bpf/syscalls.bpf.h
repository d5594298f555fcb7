/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Syscall numbers: the raw sys_enter/sys_exit tracepoints pass the number, not the name,
 * and vmlinux.h carries no __NR_* macros. They come from the kernel's own uapi table for
 * the architecture being built for, never typed here: <asm/unistd.h> is found in the
 * target's uapi include directory, which mk/bpf-target.mk puts first on the BPF compile's
 * search path (x86: /usr/include/x86_64-linux-gnu from linux-libc-dev; arm64:
 * /usr/include/aarch64-linux-gnu from linux-libc-dev:arm64, or
 * /usr/aarch64-linux-gnu/include from linux-libc-dev-arm64-cross).
 *
 * A syscall the architecture does not have (arm64 has no open or creat: the generic table
 * left them out) has no NR_ name at all, so every use of it is under #ifdef NR_<name>.
 */
#ifndef TRACERD_SYSCALLS_BPF_H
#define TRACERD_SYSCALLS_BPF_H

#include <asm/unistd.h>

/*
 * A wrong table would compile and silently dispatch on another architecture's numbers (the
 * host's /usr/include/asm when cross-building on a distribution without multiarch
 * headers): check that the table is the target's, by syscalls only one side has.
 */
#if defined(__TARGET_ARCH_x86)
#if !defined(__NR_arch_prctl) || !defined(__NR_open) || defined(__NR_syscalls)
#error "<asm/unistd.h> is not the x86_64 table: install linux-libc-dev"
#endif
#elif defined(__TARGET_ARCH_arm64)
#if defined(__NR_arch_prctl) || defined(__NR_open) || !defined(__NR_syscalls)
#error "<asm/unistd.h> is not the arm64 table: install linux-libc-dev:arm64 or linux-libc-dev-arm64-cross"
#endif
#else
#error "tracerd: no syscall table check for this architecture"
#endif

#define NR_read __NR_read
#define NR_write __NR_write
#define NR_close __NR_close
#define NR_dup3 __NR_dup3
#define NR_close_range __NR_close_range
#define NR_execve __NR_execve
#define NR_execveat __NR_execveat
#define NR_pwrite64 __NR_pwrite64
#define NR_writev __NR_writev
#define NR_connect __NR_connect
#define NR_sendto __NR_sendto
#define NR_recvfrom __NR_recvfrom
#define NR_sendmsg __NR_sendmsg
#define NR_recvmsg __NR_recvmsg
#define NR_chdir __NR_chdir
#define NR_fchdir __NR_fchdir
#define NR_ptrace __NR_ptrace
#define NR_openat __NR_openat
#define NR_pwritev __NR_pwritev
#define NR_process_vm_readv __NR_process_vm_readv
#define NR_process_vm_writev __NR_process_vm_writev
#define NR_sendmmsg __NR_sendmmsg
#define NR_recvmmsg __NR_recvmmsg
#define NR_pwritev2 __NR_pwritev2
#define NR_openat2 __NR_openat2
#define NR_sendfile __NR_sendfile
#define NR_splice __NR_splice
#define NR_copy_file_range __NR_copy_file_range
#define NR_bind __NR_bind
#define NR_listen __NR_listen
#define NR_accept __NR_accept
#define NR_accept4 __NR_accept4
#define NR_pidfd_getfd __NR_pidfd_getfd
#define NR_io_uring_setup __NR_io_uring_setup
#define NR_renameat2 __NR_renameat2
#define NR_unlinkat __NR_unlinkat
#define NR_mount __NR_mount
#define NR_umount2 __NR_umount2
#define NR_move_mount __NR_move_mount
#define NR_pivot_root __NR_pivot_root
#define NR_chroot __NR_chroot
#define NR_unshare __NR_unshare
#define NR_setns __NR_setns
#ifdef __NR_open
#define NR_open __NR_open
#endif
#ifdef __NR_creat
#define NR_creat __NR_creat
#endif
#ifdef __NR_dup2
#define NR_dup2 __NR_dup2
#endif
#ifdef __NR_rename
#define NR_rename __NR_rename
#endif
#ifdef __NR_renameat
#define NR_renameat __NR_renameat
#endif
#ifdef __NR_rmdir
#define NR_rmdir __NR_rmdir
#endif
#ifdef __NR_unlink
#define NR_unlink __NR_unlink
#endif

#endif
