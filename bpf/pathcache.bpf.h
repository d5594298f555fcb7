/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reusing a path walk (issue 13): a walk's result depends only on the dentry and mount it
 * starts from, the root it stops at, and the names and mounts in between. When none of
 * those can have changed, an earlier walk's bytes are the walk's bytes. Two users:
 *
 * - the path cache below: every path_walk() (path.bpf.h) first looks in a small per-CPU
 *   cache of clean walks keyed by (dentry, mount, root), so the shared libraries every
 *   exec opens, a build's headers, node_modules' manifests and a process's working
 *   directory cost one lookup instead of a read per path component;
 * - firstwrite.bpf.h: a file's first write names the path its open record sent.
 *
 * What changes a walk's result, and how each is seen (the namespace generation, bumped by
 * any process, at the entry and at the exit of the event, so that a walk overlapping one
 * is never kept):
 * - renames of the dentry or an ancestor, and unlink/rmdir, which also detach the mounts
 *   on the removed dentry in other mount namespaces (vfs_unlink(), vfs_rmdir():
 *   detach_mounts()): their syscalls;
 * - mount changes (mount, umount, move_mount, pivot_root, and the new mount API's
 *   open_tree, fsmount and fsconfig, which make detached mounts and reconfigure
 *   superblocks), and the root (chroot, setns, unshare): their syscalls;
 * - a new mount namespace made by clone(CLONE_NEWNS): its mounts are copies that may sit
 *   at the addresses of freed ones (sched_process_fork, when the child's mount namespace
 *   is not its parent's);
 * - a dentry freed and its memory reused by another: unlink, rename and umount above, or
 *   memory pressure and drop_caches, which free unused dentries only from the shrinkers
 *   (vmscan's mm_shrink_slab_start and mm_shrink_slab_end tracepoints);
 * - names that change without any of these (network filesystems, kernfs, procfs): left
 *   out by filesystem: only walks through the local filesystems below are reused;
 * - io_uring renames and unlinks have no syscall: they are seen at submission where the
 *   request tracepoint is loaded (io_uring.bpf.h), and switch reuse off for the rest of
 *   the trace (a request may run any time later).
 * A cache hit also checks that the dentry still has the parent, name hash and length, and
 * inode it had when it was walked (one read): a dentry freed and reused by a path no
 * event above announced would have to match all of them.
 *
 * Not covered: a mount namespace torn down by its last process's exit (its mounts are
 * detached then), seen by a process whose root lies in that namespace without being one
 * of its members (a chroot into /proc/PID/root); renames done by the kernel itself on a
 * local filesystem (an NFS or SMB server in the kernel, overlayfs in its work directory).
 */
#ifndef TRACERD_PATHCACHE_BPF_H
#define TRACERD_PATHCACHE_BPF_H

#include "common.bpf.h"

/* Filesystems whose names change only by the events above. */
#define EXT4_SUPER_MAGIC 0xEF53 /* linux/magic.h: ext2, ext3 and ext4 */
#define TMPFS_MAGIC 0x01021994
#define XFS_SUPER_MAGIC 0x58465342
#define BTRFS_SUPER_MAGIC 0x9123683E
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* Slots of each CPU's path cache (a power of two), and the longest path kept + 1. */
#define PATH_CACHE_SLOTS_LOG2 8
#define PATH_CACHE_SLOTS (1 << PATH_CACHE_SLOTS_LOG2)
#define PATH_CACHE_BYTES 256

/* Set by the daemon before load: io_uring requests are seen (the submit tracepoint). */
const volatile bool path_reuse_io_uring_seen = false;

/* Bumped by every event that can change a walk's result (see above). */
__u64 namespace_generation = 0;
/* Set for good by an io_uring rename or unlink: every path is walked. */
__u32 path_reuse_off = 0;

/* A dentry and the mount it was reached through, read in one go: struct path's layout. */
struct path_pair {
	__u64 mnt;
	__u64 dentry;
};

/* What a dentry is besides its address: its parent, its name's hash and length, its inode. */
struct dentry_id {
	__u64 parent;
	__u64 hash_len;
	__u64 inode;
};

struct path_cache_entry {
	struct path_pair path;
	struct path_pair root;
	struct dentry_id id;
	__u64 generation; /* before the walk: one that overlapped a change is never reused */
	__u64 check; /* path_cache_check() of the above and len: a torn slot fails it */
	__u32 len;
	__u32 pad;
	char bytes[PATH_CACHE_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PATH_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct path_cache_entry);
} path_cache SEC(".maps");

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
	case NR_open_tree:
	case NR_fsmount:
	case NR_fsconfig:
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

static __always_inline bool mount_fs_stable(struct vfsmount *vfsmnt)
{
	return fs_magic_stable(BPF_CORE_READ(vfsmnt, mnt_sb, s_magic));
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

/* d_parent through d_inode: one read where they lie this close (every kernel since 3.x). */
#define DENTRY_ID_SPAN 32 /* a power of two: indexes into it are masked */

static __always_inline void dentry_id_read(__u64 dentry, struct dentry_id *id)
{
	__u32 parent_off = bpf_core_field_offset(struct dentry, d_parent);
	__u32 hash_off = bpf_core_field_offset(struct dentry, d_name.hash);
	__u32 inode_off = bpf_core_field_offset(struct dentry, d_inode);
	__u64 span[DENTRY_ID_SPAN / 8] = {};
	struct dentry *d = (void *)dentry;

	if (hash_off < parent_off || inode_off < parent_off ||
	    inode_off - parent_off + 8 > DENTRY_ID_SPAN || (hash_off - parent_off) % 8 ||
	    (inode_off - parent_off) % 8) {
		id->parent = (__u64)BPF_CORE_READ(d, d_parent);
		bpf_core_read(&id->hash_len, sizeof(id->hash_len), &d->d_name.hash);
		id->inode = (__u64)BPF_CORE_READ(d, d_inode);
		return;
	}
	bpf_probe_read_kernel(span, inode_off - parent_off + 8, (void *)dentry + parent_off);
	id->parent = span[0];
	id->hash_len = span[((hash_off - parent_off) / 8) & (DENTRY_ID_SPAN / 8 - 1)];
	id->inode = span[((inode_off - parent_off) / 8) & (DENTRY_ID_SPAN / 8 - 1)];
}

static __always_inline __u32 path_cache_slot(__u64 dentry, __u64 mnt)
{
	/* Fibonacci hashing: dentries are slab objects, their low bits barely vary. */
	return ((dentry ^ (mnt >> 5)) * 0x9E3779B97F4A7C15ull) >> (64 - PATH_CACHE_SLOTS_LOG2);
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

static __always_inline __u64 path_cache_check(const struct path_cache_entry *e)
{
	__u64 h = check_mix_pair(check_mix_pair(0, &e->path), &e->root);

	h = check_mix(check_mix(check_mix(h, e->id.parent), e->id.hash_len), e->id.inode);
	return check_end(check_mix(check_mix(h, e->generation), e->len));
}

/*
 * The cached walk of (path, root) copied to end at buf + end, when one is valid at
 * generation: its length, else 0.
 */
static __always_inline __u32 path_cache_fetch(char *buf, __u32 end, const struct path_pair *path,
					      const struct path_pair *root, __u64 generation)
{
	__u32 slot = path_cache_slot(path->dentry, path->mnt);
	struct path_cache_entry *e = bpf_map_lookup_elem(&path_cache, &slot);
	struct dentry_id id;
	__u32 len;

	/* Compared without branching: each branch is one more state for the verifier. */
	if (!e || ((e->path.dentry ^ path->dentry) | (e->path.mnt ^ path->mnt) |
		   (e->root.dentry ^ root->dentry) | (e->root.mnt ^ root->mnt) |
		   (e->generation ^ generation) | (e->check ^ path_cache_check(e))))
		return 0;
	dentry_id_read(path->dentry, &id);
	if ((id.parent ^ e->id.parent) | (id.hash_len ^ e->id.hash_len) | (id.inode ^ e->id.inode))
		return 0;
	len = e->len;
	if (!len || len >= PATH_CACHE_BYTES || len > end)
		return 0;
	barrier_var(len);
	if (bpf_probe_read_kernel(&buf[(end - len) & (TRACERD_PATH_MAX - 1)],
				  len & (PATH_CACHE_BYTES - 1), e->bytes))
		return 0;
	return len;
}

/* A clean walk of (path, root) that started at generation, its len bytes at src. */
static __always_inline void path_cache_store(const struct path_pair *path,
					     const struct path_pair *root, __u64 generation,
					     const char *src, __u32 len)
{
	__u32 slot = path_cache_slot(path->dentry, path->mnt);
	struct path_cache_entry *e;

	if (!len || len >= PATH_CACHE_BYTES)
		return;
	e = bpf_map_lookup_elem(&path_cache, &slot);
	if (!e)
		return;
	e->check = 0;
	/* The mask repeats the check for the verifier: keep clang from dropping it. */
	barrier_var(len);
	if (bpf_probe_read_kernel(e->bytes, len & (PATH_CACHE_BYTES - 1), src))
		return;
	e->path = *path;
	e->root = *root;
	dentry_id_read(path->dentry, &e->id);
	e->generation = generation;
	e->len = len;
	e->check = path_cache_check(e);
}

#endif
