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
 * What can change a walk's result, and how the generation and the filesystems trusted
 * cover it, is pathreuse.bpf.h's. Only the file's own filesystem is checked, not those of
 * the mounts above it.
 */
#ifndef TRACERD_FIRSTWRITE_BPF_H
#define TRACERD_FIRSTWRITE_BPF_H

#include "path.bpf.h"

#define FMODE_WRITE 0x2 /* linux/fs.h */
/* Slots of each CPU's cache (a power of two): opens waiting for their first write. */
#define OPEN_PATHS_SLOTS 64

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
