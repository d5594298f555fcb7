/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reusing a path walk (issue 13): a walk's result depends only on the dentry and mount it
 * starts from, the root it stops at, and the names and mounts in between. When none of
 * those can have changed, an earlier walk's bytes are the walk's bytes: a file's first
 * write names the path its open record sent (firstwrite.bpf.h) instead of walking again.
 *
 * What changes a walk of an already-open file, and how each is seen (the namespace
 * generation, bumped by any process, at the entry and at the exit of the syscall, so that
 * an open overlapping one sees the exit's bump at its write):
 * - renames of the file or an ancestor, and unlink/rmdir, which also detach the mounts on
 *   the removed dentry in other mount namespaces (vfs_unlink(), vfs_rmdir():
 *   detach_mounts()): their syscalls;
 * - mount changes (mount, umount, move_mount, pivot_root) and the root (chroot, setns,
 *   unshare): their syscalls;
 * - names that change without a syscall (network filesystems, kernfs, procfs): left out by
 *   filesystem: only files on the local filesystems below take part;
 * - io_uring renames and unlinks have no syscall: they are seen at submission where the
 *   request tracepoint is loaded (io_uring.bpf.h), and switch reuse off for the rest of
 *   the trace (a request may run any time later).
 * The file is open from its open to its first write, so its dentry and mount cannot be
 * freed and reused in between.
 *
 * Not covered: a mount namespace torn down by its last process's exit (its mounts are
 * detached then) between the open and the first write of a file under it, written by a
 * process whose root lies in that namespace without being one of its members (a chroot
 * into /proc/PID/root); renames done by the kernel itself on a local filesystem (an NFS or
 * SMB server in the kernel, overlayfs in its work directory); a network filesystem's
 * rename, between the open and the first write, of a directory a local filesystem is
 * mounted under (only the file's own filesystem is checked).
 *
 * A per-CPU cache of every clean walk, keyed by dentry, mount and root, was tried here
 * and taken out: measured, it cost more than it saved (README, Performance).
 */
#ifndef TRACERD_PATHREUSE_BPF_H
#define TRACERD_PATHREUSE_BPF_H

#include "common.bpf.h"

/* Filesystems whose names change only by the events above. */
#define EXT4_SUPER_MAGIC 0xEF53 /* linux/magic.h: ext2, ext3 and ext4 */
#define TMPFS_MAGIC 0x01021994
#define XFS_SUPER_MAGIC 0x58465342
#define BTRFS_SUPER_MAGIC 0x9123683E
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* Set by the daemon before load: io_uring requests are seen (the submit tracepoint). */
const volatile bool path_reuse_io_uring_seen = false;

/* Bumped by every syscall that can change a walk's result (see above). */
__u64 namespace_generation = 0;
/* Set for good by an io_uring rename or unlink: every path is walked. */
__u32 path_reuse_off = 0;

/* A dentry and the mount it was reached through, read in one go: struct path's layout. */
struct path_pair {
	__u64 mnt;
	__u64 dentry;
};

static __always_inline void namespace_changed(void)
{
	__sync_fetch_and_add(&namespace_generation, 1);
}

static __always_inline __u64 namespace_generation_now(void)
{
	return *(volatile __u64 *)&namespace_generation;
}

/* The syscalls that bump the generation, at entry and at exit. */
static __always_inline bool namespace_syscall(long nr)
{
	switch (nr) {
#ifdef NR_rename
	case NR_rename:
#endif
#ifdef NR_renameat
	case NR_renameat:
#endif
#ifdef NR_rmdir
	case NR_rmdir:
#endif
#ifdef NR_unlink
	case NR_unlink:
#endif
	case NR_renameat2:
	case NR_unlinkat:
	case NR_mount:
	case NR_umount2:
	case NR_move_mount:
	case NR_pivot_root:
	case NR_chroot:
	case NR_unshare:
	case NR_setns:
		return true;
	}
	return false;
}

/*
 * io_uring can rename without a syscall: reuse is safe only where its requests are seen,
 * or on kernels without IORING_OP_RENAMEAT (before 5.11).
 */
static __always_inline bool path_reuse_enabled(void)
{
	if (path_reuse_off)
		return false;
	return path_reuse_io_uring_seen ||
	       !bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_RENAMEAT);
}

static __always_inline bool fs_magic_stable(unsigned long magic)
{
	return magic == EXT4_SUPER_MAGIC || magic == TMPFS_MAGIC || magic == XFS_SUPER_MAGIC ||
	       magic == BTRFS_SUPER_MAGIC || magic == OVERLAYFS_SUPER_MAGIC;
}

/* A struct path in one read where its layout is path_pair's (every kernel so far). */
static __always_inline void path_pair_read(const struct path *src, struct path_pair *dst)
{
	if (bpf_core_field_offset(struct path, mnt) != __builtin_offsetof(struct path_pair, mnt) ||
	    bpf_core_field_offset(struct path, dentry) !=
		    __builtin_offsetof(struct path_pair, dentry)) {
		dst->mnt = (__u64)BPF_CORE_READ(src, mnt);
		dst->dentry = (__u64)BPF_CORE_READ(src, dentry);
		return;
	}
	bpf_core_read(dst, sizeof(*dst), src);
}

/* The current task's root, in two reads. */
static __always_inline void task_root_read(struct path_pair *root)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	path_pair_read(&BPF_CORE_READ(task, fs)->root, root);
}

/* The hash that checks a slot whole (a torn one fails it): one step per field, then the end. */
static __always_inline __u64 check_mix(__u64 h, __u64 v)
{
	return (h ^ v) * 0x9E3779B97F4A7C15ull;
}

static __always_inline __u64 check_mix_pair(__u64 h, const struct path_pair *p)
{
	return check_mix(check_mix(h, p->mnt), p->dentry);
}

static __always_inline __u64 check_end(__u64 h)
{
	return h ^ (h >> 29);
}

#endif
