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
 * What changes a walk of an already-open file: renames (its name, or an ancestor's),
 * mount changes (umount detaches: mnt_parent; move_mount, pivot_root), the root
 * (chroot, setns, unshare), and unlink/rmdir, which detach the mounts on the removed
 * dentry in other mount namespaces (vfs_unlink(), vfs_rmdir(): detach_mounts()). Each
 * of those syscalls bumps the generation at its entry and at its exit, by any process:
 * an open that overlaps one sees the exit's bump at its write. Names that change
 * without a syscall (network filesystems, kernfs) are left out by filesystem: only the
 * local ones below take part. io_uring renames and unlinks have no syscall either: they
 * are seen at submission where the request tracepoint is loaded (io_uring.bpf.h), and
 * switch this off for the rest of the trace (a request may run any time later). Not
 * covered: a mount namespace torn down by its last process's exit (its mounts are
 * detached then) between the open and the first write of a file under it, written by a
 * process whose root lies in that namespace without being one of its members (a chroot
 * into /proc/PID/root).
 */
#ifndef TRACERD_FIRSTWRITE_BPF_H
#define TRACERD_FIRSTWRITE_BPF_H

#include "path.bpf.h"

#define FMODE_WRITE 0x2 /* linux/fs.h */
/* Slots of each CPU's cache (a power of two): opens waiting for their first write. */
#define OPEN_PATHS_SLOTS 64

/* Filesystems whose names change only by the syscalls that bump the generation. */
#define EXT4_SUPER_MAGIC 0xEF53 /* linux/magic.h: ext2, ext3 and ext4 */
#define TMPFS_MAGIC 0x01021994
#define XFS_SUPER_MAGIC 0x58465342
#define BTRFS_SUPER_MAGIC 0x9123683E
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* Set by the daemon before load: io_uring requests are seen (the submit tracepoint). */
const volatile bool open_paths_io_uring_seen = false;

/* Bumped by every syscall that can change a walk's result (see above). */
__u64 namespace_generation = 0;
/* Numbers the remembered opens; 0 is none. */
__u64 open_paths_seq = 0;
/* Set for good by an io_uring rename or unlink: every first write walks. */
__u32 open_paths_off = 0;

/* A dentry and the mount it was reached through, read in one go (struct path). */
struct path_pair {
	__u64 dentry;
	__u64 mnt;
};

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

static __always_inline void namespace_changed(void)
{
	__sync_fetch_and_add(&namespace_generation, 1);
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
 * io_uring can rename without a syscall: remembered opens are safe only where its
 * requests are seen, or on kernels without IORING_OP_RENAMEAT (before 5.11).
 */
static __always_inline bool open_paths_enabled(void)
{
	if (open_paths_off)
		return false;
	return open_paths_io_uring_seen ||
	       !bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_RENAMEAT);
}

static __always_inline bool open_paths_fs_stable(struct inode *inode)
{
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);

	return magic == EXT4_SUPER_MAGIC || magic == TMPFS_MAGIC || magic == XFS_SUPER_MAGIC ||
	       magic == BTRFS_SUPER_MAGIC || magic == OVERLAYFS_SUPER_MAGIC;
}

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
	__u64 h = e->file;

	h = (h ^ e->path.dentry) * 0x9E3779B97F4A7C15ull;
	h = (h ^ e->path.mnt) * 0x9E3779B97F4A7C15ull;
	h = (h ^ e->root.dentry) * 0x9E3779B97F4A7C15ull;
	h = (h ^ e->root.mnt) * 0x9E3779B97F4A7C15ull;
	h = (h ^ e->generation) * 0x9E3779B97F4A7C15ull;
	h = (h ^ e->seq) * 0x9E3779B97F4A7C15ull;
	return h ^ (h >> 29);
}

/* The file's path and the current task's root, each in one read. */
static __always_inline void open_paths_read(struct file *file, struct path_pair *path,
					    struct path_pair *root)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);

	bpf_core_read(path, sizeof(*path), &file->f_path);
	bpf_core_read(root, sizeof(*root), &fs->root);
}

/*
 * At an open, before its walk: whether file may be remembered, with the generation the
 * entry will need (read first: a rename that ends during the walk bumps it after).
 */
static __always_inline bool open_paths_prepare(struct file *file, __u64 *generation)
{
	struct inode *inode;

	if (!open_paths_enabled() || !(BPF_CORE_READ(file, f_mode) & FMODE_WRITE))
		return false;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG || !open_paths_fs_stable(inode))
		return false;
	*generation = *(volatile __u64 *)&namespace_generation;
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

	if (!e || e->file != (__u64)file || !open_paths_enabled())
		return 0;
	now = *e;
	open_paths_read(file, &path, &root);
	if (now.check != open_path_check(&now) ||
	    now.generation != *(volatile __u64 *)&namespace_generation ||
	    *(volatile __u64 *)&open_paths_seq - now.seq >= TRACERD_OPEN_PATHS_WINDOW ||
	    now.path.dentry != path.dentry || now.path.mnt != path.mnt ||
	    now.root.dentry != root.dentry || now.root.mnt != root.mnt)
		return 0;
	return now.seq;
}

#endif
