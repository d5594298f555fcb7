/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The first write's path from the open record (issue 13): a file created and written
 * costs one path walk, at its open, instead of a second one at its first write.
 *
 * A traced open of a regular file for writing, whose walk gave a whole, short path, is
 * remembered in a small per-CPU cache (open_paths, direct-mapped by struct file
 * pointer): the file, the dentry and mount walked, the root the walk stopped at, the
 * namespace generation before the walk, and a number (open_seq) that its open record
 * carries. The daemon keeps the paths of the last TRACERD_OPEN_PATHS such records by
 * number (src/openpaths.c). A first write to that struct file on the same CPU (tar,
 * cp, a compiler's output: open then write) sends WRITE_PATH_FROM_OPEN and the number,
 * without a walk, when the walk would give the same bytes: same dentry, mount and root,
 * no syscall that can change a walk's result since (the generation), and a number recent
 * enough for the daemon to hold it. Anything else walks, as before. An entry is only a
 * hint, checked whole at every use: nothing deletes it (close costs nothing more); a
 * newer open takes its slot, and a stale one either fails the checks or still names the
 * same dentry and mount under the same root and generation, hence the same path.
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
 * A per-CPU cache of every clean walk, keyed by dentry, mount and root, was tried on top
 * of this generation and taken out: measured, it cost more than it saved (README,
 * Performance).
 */
#ifndef TRACERD_FIRSTWRITE_BPF_H
#define TRACERD_FIRSTWRITE_BPF_H

#include "path.bpf.h"

#define FMODE_WRITE 0x2 /* linux/fs.h */
/* Slots of each CPU's cache (a power of two): opens waiting for their first write. */
#define OPEN_PATHS_SLOTS 64

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

/* Numbers the remembered opens; 0 is none. */
__u64 open_paths_seq = 0;

struct open_path {
	__u64 file;
	struct path_pair path;
	struct path_pair root;
	__u64 generation;
	__u64 seq;
	__u64 check; /* open_path_check() of the above: a slot torn by a race fails it */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OPEN_PATHS_SLOTS);
	__type(key, __u32);
	__type(value, struct open_path);
} open_paths SEC(".maps");

/*
 * A number no other open gets, without the fetching atomics 5.10 lacks: taken only when
 * the counter moved by exactly our own add between the two reads; 0 (walk at the first
 * write) when another CPU's add came in between.
 */
static __always_inline __u64 open_paths_next_seq(void)
{
	__u64 before = *(volatile __u64 *)&open_paths_seq;
	__u64 after;

	__sync_fetch_and_add(&open_paths_seq, 1);
	after = *(volatile __u64 *)&open_paths_seq;
	return after == before + 1 ? after : 0;
}

static __always_inline __u32 open_paths_slot(struct file *file)
{
	__u64 p = (__u64)file;

	/* struct file objects are 256-byte aligned or so: the bits above vary. */
	return (__u32)((p >> 8) ^ (p >> 14)) & (OPEN_PATHS_SLOTS - 1);
}

static __always_inline __u64 open_path_check(const struct open_path *e)
{
	__u64 h = check_mix_pair(check_mix_pair(e->file, &e->path), &e->root);

	return check_end(check_mix(check_mix(h, e->generation), e->seq));
}

/* The file's path in one read, and the current task's root. */
static __always_inline void open_paths_read(struct file *file, struct path_pair *path,
					    struct path_pair *root)
{
	path_pair_read(&file->f_path, path);
	task_root_read(root);
}

/*
 * At an open, before its walk: whether file, opened with fmode, may be remembered, with
 * the generation the entry will need (read first: a rename that ends during the walk
 * bumps it after).
 */
static __always_inline bool open_paths_prepare(struct file *file, unsigned int fmode,
					       __u64 *generation)
{
	struct inode *inode;

	if (!path_reuse_enabled() || !(fmode & FMODE_WRITE))
		return false;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG ||
	    !fs_magic_stable(BPF_CORE_READ(inode, i_sb, s_magic)))
		return false;
	*generation = namespace_generation_now();
	return true;
}

/* The open record's fields: a number when its walked path (walk) can be reused. */
static __always_inline void open_paths_number(struct rec_open *rec, struct file *file, int walk)
{
	if (walk & (PATH_WALK_TRUNCATED | PATH_WALK_PSEUDO) ||
	    rec->path.len > TRACERD_OPEN_PATH_KEEP_MAX)
		return;
	rec->open_seq = open_paths_next_seq();
	if (rec->open_seq)
		rec->file = (__u64)file;
}

/*
 * After the open record was sent with a number (seq): remembered in this CPU's slot of
 * file. The dentry, mount and root read now are the walk's: a chroot or setns by a thread
 * sharing them since would have bumped the generation. Not inlined: its reads stay off
 * the stack of the open's path walk.
 */
static __noinline void open_paths_remember(struct file *file, __u64 generation, __u64 seq)
{
	__u32 slot = open_paths_slot(file);
	struct open_path *e = bpf_map_lookup_elem(&open_paths, &slot);

	if (!e)
		return;
	e->file = (__u64)file;
	open_paths_read(file, &e->path, &e->root);
	e->generation = generation;
	e->seq = seq;
	e->check = open_path_check(e);
}

/*
 * At the first write to file by a process: the number of its open when its path is the
 * one a walk would give now, else 0.
 */
static __always_inline __u64 open_paths_take(struct file *file)
{
	__u32 slot = open_paths_slot(file);
	struct open_path *e = bpf_map_lookup_elem(&open_paths, &slot);
	struct path_pair path, root;
	struct open_path now;

	if (!e || e->file != (__u64)file || !path_reuse_enabled())
		return 0;
	now = *e;
	open_paths_read(file, &path, &root);
	if (now.check != open_path_check(&now) || now.generation != namespace_generation_now() ||
	    *(volatile __u64 *)&open_paths_seq - now.seq >= TRACERD_OPEN_PATHS_WINDOW ||
	    now.path.dentry != path.dentry || now.path.mnt != path.mnt ||
	    now.root.dentry != root.dentry || now.root.mnt != root.mnt)
		return 0;
	return now.seq;
}

#endif
