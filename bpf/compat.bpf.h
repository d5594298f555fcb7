/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel and architecture differences, collected in one place. Each names the change
 * that made it necessary; accessors pick the right field with CO-RE at load time.
 */
#ifndef TRACERD_COMPAT_BPF_H
#define TRACERD_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Syscall numbers (NR_*), from the kernel's uapi table of the target architecture. */
#include "syscalls.bpf.h"

/* NAME_MAX; IPPROTO_TCP and IPPROTO_UDP are enum constants, in vmlinux.h already. */
#include <linux/limits.h>

/*
 * Kernel constants no header usable here provides: vmlinux.h has no macros, and the uapi
 * headers that define these (linux/fcntl.h, linux/stat.h, asm/signal.h, linux/socket.h,
 * linux/openat2.h) also define types vmlinux.h has, which clang refuses twice. The values
 * are the same on x86 and arm64.
 */
#define AT_FDCWD -100 /* linux/fcntl.h */
#define RESOLVE_IN_ROOT 0x10 /* linux/openat2.h */
#define O_WRONLY 01 /* asm-generic/fcntl.h */
#define O_CREAT 0100
#define O_TRUNC 01000
#define S_IFMT 00170000 /* linux/stat.h */
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define SIGHUP 1 /* asm/signal.h */
#define SIGINT 2
#define SIGQUIT 3
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define AF_INET 2 /* linux/socket.h (kernel side) */
#define AF_INET6 10

/*
 * BOUNDED_LOOP(n, fn, ctx) calls long fn(__u64 i, void *ctx) for i from 0 until it
 * returns 1, n times at most. Kernel 5.17, commit e6f2dd0f8067 ("bpf: Add bpf_loop
 * helper"): with bpf_loop() the verifier checks fn once instead of once per iteration,
 * which is most of the start-up time. A kernel before 5.13 refuses a program holding a
 * callback's address even where CO-RE made that code dead, so no run-time choice in one
 * object: the build makes a second object with TRACERD_NO_BPF_LOOP, an ordinary bounded
 * loop, and the daemon loads it where the kernel has no bpf_loop() (src/bpf_setup.c).
 * The split also gives the bpf_loop object (5.17+) the current task as a BTF pointer,
 * which 5.10 lacks: current_files() below.
 */
#ifdef TRACERD_NO_BPF_LOOP
#define BOUNDED_LOOP(n, fn, ctx)                     \
	do {                                         \
		for (__u32 i_ = 0; i_ < (n); i_++) { \
			if ((fn)(i_, (ctx)))         \
				break;               \
		}                                    \
	} while (0)
#else
#define BOUNDED_LOOP(n, fn, ctx) bpf_loop((n), (fn), (ctx), 0)
#endif

/*
 * Reading kernel memory. A pointer the verifier knows the BTF type of (a tp_btf
 * argument, bpf_get_current_task_btf()'s task, and any pointer loaded through one) is
 * read with a plain load, which the JIT guards with an exception-table entry (a fault
 * reads 0, as a failed probe read does): about 1 ns, against 40-50 ns for
 * bpf_probe_read_kernel(), which BPF_CORE_READ() calls once per arrow. vmlinux.h's
 * structs carry preserve_access_index, so the loads keep their CO-RE relocations.
 * Anything else is a scalar to the verifier and keeps BPF_CORE_READ(): a pointer read
 * out of an array (a variable offset), a probe read, a map or a u64, one passed to a
 * global (__noinline) function, and container_of() arithmetic on a BTF pointer.
 *
 * The price is at load time, on 6.2 and later: a load of a pointer field through a
 * trusted pointer (a tp_btf argument, bpf_get_current_task_btf()'s task) or an RCU one
 * (task->real_parent...) makes the verifier look up "<struct>__safe_trusted" and the
 * like in the kernel's BTF by name, a linear search of about a millisecond, at every
 * visit of that instruction (check_ptr_to_btf_access()). A load of a scalar field (the
 * syscall registers, task->tgid) or through a pointer loaded from a non-trusted one
 * costs nothing more. So plain loads are used where they are checked once or are
 * scalars; a pointer chain inlined at many call sites (record_header_fill()'s ppid, the
 * exec program's) stays BPF_CORE_READ(), or would add hundreds of milliseconds to the
 * start.
 */

/*
 * The current task's fd table, read ahead. Besides BOUNDED_LOOP(), the two objects differ
 * here, and only here: the bpf_loop object (5.17+) has bpf_get_current_task_btf() (kernel
 * 5.11, commit 3ca1032ab7ab, "bpf: Add bpf_get_current_task_btf helper"), whose task is a
 * BTF pointer, so its fd table and what hangs from it are plain loads; sys_exit reads the
 * table at its top, before it branches, for fd_to_file_in() (common.bpf.h says why). The
 * noloop object also serves 5.10, where the task is a scalar: it reads nothing ahead
 * (NULL), which would be a probe read on every syscall, and fd_to_file_in() falls back to
 * fd_to_file()'s probe reads.
 */
#ifdef TRACERD_NO_BPF_LOOP
static __always_inline struct files_struct *current_files(void)
{
	return NULL;
}
#else
static __always_inline struct files_struct *current_files(void)
{
	return bpf_get_current_task_btf()->files;
}
#endif

/*
 * A syscall's number and arguments from the struct pt_regs that sys_enter and sys_exit
 * pass (a BTF pointer: plain loads), as libbpf's PT_REGS_PARMn_SYSCALL() read them: x86's
 * fourth argument is in r10 (the syscall instruction takes rcx); arm64's first is orig_x0
 * (x0 gets the return value). Keep regs a pointer from the tracepoint's argument to the
 * load, through always-inline functions only: the verifier says "R? invalid mem access
 * 'scalar'" at load otherwise.
 */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_ARG1(regs) ((regs)->di)
#define SYSCALL_ARG2(regs) ((regs)->si)
#define SYSCALL_ARG3(regs) ((regs)->dx)
#define SYSCALL_ARG4(regs) ((regs)->r10)
#define SYSCALL_ARG5(regs) ((regs)->r8)
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_ARG1(regs) ((regs)->orig_x0)
#define SYSCALL_ARG2(regs) ((regs)->regs[1])
#define SYSCALL_ARG3(regs) ((regs)->regs[2])
#define SYSCALL_ARG4(regs) ((regs)->regs[3])
#define SYSCALL_ARG5(regs) ((regs)->regs[4])
#else
#error "tracerd: no syscall argument registers for this architecture"
#endif

/* The syscall number at sys_exit, where the tracepoint does not pass it. */
static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#else
	return regs->syscallno;
#endif
}

/*
 * Kernel 6.13, commit 90ee6ed776c0 ("fs: port files to file_ref"), replaced
 * file->f_count (atomic_long_t, 1 = one reference) by file->f_ref (file_ref_t,
 * 0 = one reference).
 */
struct file___pre_6_13 {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

static __always_inline long file_refcount(struct file *file)
{
	if (bpf_core_field_exists(file->f_ref))
		return BPF_CORE_READ(file, f_ref.refcnt.counter) + 1;
	return BPF_CORE_READ((struct file___pre_6_13 *)file, f_count.counter);
}

/*
 * Kernel 6.15, commit 633488947ef6 ("kernfs: Use RCU to access kernfs_node::parent."),
 * renamed kernfs_node->parent to __parent.
 */
struct kernfs_node___pre_6_15 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kernfs_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___pre_6_15 *)kn, parent);
}

/* struct mount embeds the struct vfsmount that paths point to (fs/mount.h). */
static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
}

static __always_inline struct vfsmount *mount_vfsmount(struct mount *mnt)
{
	return (void *)mnt + bpf_core_field_offset(struct mount, mnt);
}

/*
 * The inode's change time moved twice: kernel 6.6, commit 13bc24457850 ("fs: rename
 * i_ctime field to __i_ctime"), then kernel 6.11, commit 3aa63a569c64 ("fs: switch
 * timespec64 fields in inode to discrete integers"). Since 6.13 (multigrain timestamps,
 * commit 4e40eff0b573) bit 31 of i_ctime_nsec says "queried", not time: masked off, as
 * inode_get_ctime_nsec() does.
 */
struct inode___pre_6_11 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___pre_6_6 {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

#define INODE_CTIME_NSEC_MASK 0x3fffffff /* nanoseconds need 30 bits */

static __always_inline void inode_ctime(struct inode *inode, __s64 *sec, __u32 *nsec)
{
	struct inode___pre_6_11 *i611 = (void *)inode;
	struct inode___pre_6_6 *i66 = (void *)inode;

	if (bpf_core_field_exists(inode->i_ctime_sec)) {
		*sec = BPF_CORE_READ(inode, i_ctime_sec);
		*nsec = BPF_CORE_READ(inode, i_ctime_nsec) & INODE_CTIME_NSEC_MASK;
	} else if (bpf_core_field_exists(i611->__i_ctime)) {
		*sec = BPF_CORE_READ(i611, __i_ctime.tv_sec);
		*nsec = BPF_CORE_READ(i611, __i_ctime.tv_nsec);
	} else {
		*sec = BPF_CORE_READ(i66, i_ctime.tv_sec);
		*nsec = BPF_CORE_READ(i66, i_ctime.tv_nsec);
	}
}

#endif
