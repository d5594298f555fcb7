/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Absolute paths computed in the kernel from the dentry and mount a file was reached
 * through, the way fs/d_path.c's prepend_path() does it: names are prepended from the
 * file up to the process's root, crossing mount points on the way. bpf_d_path() would do
 * this for us, but it is not allowed in tracepoint programs.
 */
#ifndef TRACERD_PATH_BPF_H
#define TRACERD_PATH_BPF_H

#include "common.bpf.h"

#define PATH_BUF_SIZE (2 * TRACERD_PATH_MAX)
#define PATH_END TRACERD_PATH_MAX
#define PATH_POS_MASK (TRACERD_PATH_MAX - 1)
#define PATH_MAX_DEPTH 160

/* A dentry and the mount it was reached through, read in one go: struct path's layout. */
struct path_pair {
	__u64 mnt;
	__u64 dentry;
};

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

/* path_walk() result: the start offset in the low 16 bits, these flags above. */
#define PATH_WALK_POS_MASK 0xffff
#define PATH_WALK_TRUNCATED (1 << 16)
#define PATH_WALK_PSEUDO (1 << 17) /* a dentry of no mount: memfd, pipe, anon inode */

/*
 * The walk keeps its position in the buffer's own memory, not in a register: the
 * verifier then sees the same state at the top of every iteration and checks the loop in
 * linear time instead of following every combination of branches.
 */
struct path_buf {
	char buf[PATH_BUF_SIZE];
	__u32 pos;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the CPU count, set by the daemon */
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps");

static __always_inline struct path_buf *path_buf_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&path_scratch, &cpu);
}

/* What the walk reads of a dentry: its parent and its name. */
struct dentry_link {
	struct dentry *parent;
	const unsigned char *name;
	__u32 len;
};

/* d_parent through d_name.name: one read instead of three when they lie this close. */
#define DENTRY_SPAN_MAX 32

/*
 * d_parent and d_name are neighbours in struct dentry (every kernel since 2.6): read them
 * in one probe read, the walk's main cost being a read per field per component. The
 * offsets are CO-RE's, so a kernel with another layout still reads the right bytes, and
 * one where they are further apart reads them one by one.
 */
static __always_inline void dentry_link_read(struct dentry *dentry, struct dentry_link *l)
{
	__u32 parent_off = bpf_core_field_offset(struct dentry, d_parent);
	__u32 len_off = bpf_core_field_offset(struct dentry, d_name.len) - parent_off;
	__u32 name_off = bpf_core_field_offset(struct dentry, d_name.name) - parent_off;
	__u64 span[DENTRY_SPAN_MAX / 8] = {};

	if (bpf_core_field_offset(struct dentry, d_name.name) < parent_off ||
	    bpf_core_field_offset(struct dentry, d_name.len) < parent_off ||
	    name_off + 8 > DENTRY_SPAN_MAX || len_off % 4 || name_off % 8) {
		l->parent = BPF_CORE_READ(dentry, d_parent);
		l->len = BPF_CORE_READ(dentry, d_name.len);
		l->name = BPF_CORE_READ(dentry, d_name.name);
		return;
	}
	bpf_probe_read_kernel(span, name_off + 8, (void *)dentry + parent_off);
	l->parent = (struct dentry *)span[0];
	l->len = ((__u32 *)span)[(len_off / 4) & (DENTRY_SPAN_MAX / 4 - 1)];
	l->name = (const unsigned char *)span[(name_off / 8) & (DENTRY_SPAN_MAX / 8 - 1)];
}

/* Prepends "/name" before pb->pos; false when it does not fit. */
static __always_inline bool path_prepend_name(struct path_buf *pb, const struct dentry_link *l)
{
	__u32 len = l->len;
	const unsigned char *name = l->name;
	__u32 pos = pb->pos;

	if (len > NAME_MAX || len + 1 > pos || pos > PATH_END)
		return false;
	pos -= len;
	bpf_probe_read_kernel(&pb->buf[pos & PATH_POS_MASK], len & NAME_MAX, name);
	pos -= 1;
	pb->buf[pos & PATH_POS_MASK] = '/';
	pb->pos = pos;
	return true;
}

/* The walk's state between steps: on the stack, where a bpf_loop() callback can reach it. */
struct path_walk_state {
	struct path_buf *pb;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	/* Read once per mount, not per component: it changes only when the walk crosses. */
	struct dentry *mnt_root;
	int flags;
	bool done;
};

/* One step up from w->dentry: a name prepended or a mount crossed. 1 once the walk ends. */
static __always_inline long path_step(struct path_walk_state *w)
{
	struct path_buf *pb = w->pb;
	struct mount *mnt = w->mnt, *mnt_parent;
	struct vfsmount *vfsmnt;
	struct dentry_link l;

	if (w->dentry == w->root_dentry && w->vfsmnt == w->root_mnt)
		goto done;
	if (w->dentry == w->mnt_root) {
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt)
			goto done; /* the global root, or a detached mount */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		vfsmnt = mount_vfsmount(mnt_parent);
		w->mnt = mnt_parent;
		w->vfsmnt = vfsmnt;
		w->mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		return 0;
	}
	dentry_link_read(w->dentry, &l);
	if (w->dentry == l.parent) {
		/* Like d_dname(): a pseudo file is named by its own dentry. */
		if (pb->pos == PATH_END)
			path_prepend_name(pb, &l);
		w->flags |= PATH_WALK_PSEUDO;
		goto done;
	}
	if (!path_prepend_name(pb, &l)) {
		w->flags |= PATH_WALK_TRUNCATED;
		goto done;
	}
	w->dentry = l.parent;
	return 0;
done:
	w->done = true;
	return 1;
}

static __always_inline long path_step_cb(__u64 i, void *ctx)
{
	return path_step(ctx);
}

/*
 * Writes the path of (dentry, vfsmnt) as seen from the current task's root into the
 * per-CPU path buffer, ending at PATH_END. Returns the start offset with the
 * PATH_WALK_* flags, or -1 when there is no buffer. A global function: the verifier
 * checks it once, not at every call site.
 */
__noinline int path_walk(__u64 dentry_ptr, __u64 vfsmnt_ptr)
{
	struct path_walk_state w = {
		.dentry = (void *)dentry_ptr,
		.vfsmnt = (void *)vfsmnt_ptr,
		.mnt = real_mount((void *)vfsmnt_ptr),
		.mnt_root = BPF_CORE_READ((struct vfsmount *)vfsmnt_ptr, mnt_root),
	};
	struct path_buf *pb = path_buf_get();
	struct path_pair root;

	if (!pb)
		return -1;
	task_root_read(&root);
	w.root_dentry = (void *)root.dentry;
	w.root_mnt = (void *)root.mnt;
	w.pb = pb;
	pb->pos = PATH_END;
	BOUNDED_LOOP(PATH_MAX_DEPTH, path_step_cb, &w);
	if (!w.done)
		w.flags |= PATH_WALK_TRUNCATED;
	if (pb->pos >= PATH_END) {
		pb->pos = PATH_END - 1;
		pb->buf[PATH_END - 1] = '/';
	}
	return (pb->pos & PATH_POS_MASK) | w.flags;
}

/*
 * The path_put_*() functions append a path to a record's data area at *off, fill s and
 * advance *off. They return the walk's PATH_WALK_* flags for the caller's record flags;
 * a path that could not be walked or copied at all comes back empty and
 * PATH_WALK_TRUNCATED.
 */
static __always_inline int path_put_walked(char *data, __u32 *off, int walk, struct rec_str *s)
{
	struct path_buf *pb = path_buf_get();
	__u32 pos = walk & PATH_WALK_POS_MASK;
	__u32 len = PATH_END - pos;

	s->off = *off;
	s->len = 0;
	if (!pb || walk < 0 || pos >= PATH_END)
		return PATH_WALK_TRUNCATED;
	if (bpf_probe_read_kernel(&data[*off & DATA_OFF_MASK], len & (PATH_BUF_SIZE - 1),
				  &pb->buf[pos & PATH_POS_MASK]))
		return PATH_WALK_TRUNCATED;
	s->len = len;
	*off += len;
	return walk & ~PATH_WALK_POS_MASK;
}

/* The path an open file was reached through. */
static __always_inline int path_put_file(char *data, __u32 *off, struct file *file,
					 struct rec_str *s)
{
	struct path_pair path;

	path_pair_read(&file->f_path, &path);
	return path_put_walked(data, off, path_walk(path.dentry, path.mnt), s);
}

/* The current task's working directory (what libbpf-tools' bpf_getcwd() gives). */
static __always_inline int path_put_cwd(char *data, __u32 *off, struct rec_str *s)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct path_pair pwd;

	path_pair_read(&BPF_CORE_READ(task, fs)->pwd, &pwd);
	return path_put_walked(data, off, path_walk(pwd.dentry, pwd.mnt), s);
}

#endif
