/* SPDX-License-Identifier: GPL-2.0-only */
/* Process lifecycle: fork (scope only), exec and exit records. */
#ifndef TRACERD_PROCESS_BPF_H
#define TRACERD_PROCESS_BPF_H

#include "path.bpf.h"

/*
 * A new process (not a thread): traced when its parent is, and reported so that the
 * daemon knows where it starts (its parent's working directory).
 */
static __always_inline void process_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 child_tgid = child->tgid;
	__u32 parent_tgid = parent->tgid;
	struct rec_fork rec;
	__u8 one = 1;

	if (child_tgid != child->pid || !tracing_wanted(parent_tgid))
		return;
	/* Out of the scope map, the child's whole tree would go unseen: count it. */
	if (filter_traced && bpf_map_update_elem(&traced, &child_tgid, &one, BPF_ANY))
		record_lost(REC_FORK, REC_LOST_MAP_FULL);
	record_header_fill(&rec.h, REC_FORK);
	rec.child_pid = child_tgid;
	rec.pad = 0;
	record_submit(&rec.h, sizeof(rec));
}

/* chdir()/fchdir() succeeded: the new working directory, walked from the task. */
static __always_inline void process_chdir(void)
{
	struct rec_chdir *rec = record_start(REC_CHDIR);
	__u32 off = 0;

	if (!rec)
		return;
	rec->flags = 0;
	rec->pad = 0;
	if (path_put_cwd(rec->data, &off, &rec->cwd) & PATH_WALK_TRUNCATED)
		rec->flags |= OPEN_PATH_TRUNCATED;
	record_submit(&rec->h, sizeof(*rec) + off);
}

static __always_inline void exec_put_args(struct rec_exec *rec, __u32 *off,
					  struct task_struct *task)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u32 len = end > start ? end - start : 0;

	if (len > TRACERD_ARGS_MAX) {
		len = TRACERD_ARGS_MAX;
		rec->flags |= EXEC_ARGS_TRUNCATED;
	}
	rec->args.off = *off;
	rec->args.len = 0;
	/* Keep clang from dropping the mask the verifier needs to see. */
	barrier_var(len);
	if (bpf_probe_read_user(&rec->data[*off & DATA_OFF_MASK], len & DATA_LEN_MASK,
				(void *)start))
		return;
	rec->args.len = len;
	*off += len;
}

static __always_inline void exec_put_filename(struct rec_exec *rec, __u32 *off,
					      struct linux_binprm *bprm)
{
	const char *filename = bprm->filename;
	/* One byte more than kept: a string that fills it was longer than the limit. */
	long n = bpf_probe_read_kernel_str(&rec->data[*off & DATA_OFF_MASK], TRACERD_PATH_MAX + 1,
					   filename);

	rec->filename.off = *off;
	rec->filename.len = 0;
	if (n <= 1)
		return;
	rec->filename.len = n - 1;
	if (n > TRACERD_PATH_MAX)
		rec->flags |= EXEC_FILENAME_TRUNCATED;
	*off += n - 1;
}

static __always_inline void exec_put_exe(struct rec_exec *rec, __u32 *off, struct file *file)
{
	int walk_flags = path_put_file(rec->data, off, file, &rec->exe);

	if (walk_flags & PATH_WALK_TRUNCATED)
		rec->flags |= EXEC_EXE_TRUNCATED;
	if (BPF_CORE_READ(file, f_inode, i_nlink) == 0) {
		if (walk_flags & PATH_WALK_PSEUDO)
			rec->flags |= EXEC_EXE_MEMFD;
		else
			rec->flags |= EXEC_EXE_DELETED;
	}
}

/* The executed file's identity, compared by the daemon with the file it hashes. */
static __always_inline void exec_put_exe_id(struct rec_exec *rec, struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	rec->exe_id.ino = BPF_CORE_READ(inode, i_ino);
	rec->exe_id.size = BPF_CORE_READ(inode, i_size);
	rec->exe_id.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	inode_ctime(inode, &rec->exe_id.ctime_sec, &rec->exe_id.ctime_nsec);
}

/* Appends a cgroup directory name at *off; returns its length. */
static __always_inline __u32 exec_put_cgroup_name(char *data, __u32 off, struct kernfs_node *kn)
{
	const char *name = BPF_CORE_READ(kn, name);
	long n = bpf_probe_read_kernel_str(&data[off & DATA_OFF_MASK], TRACERD_CGROUP_NAME_MAX,
					   name);

	return n > 1 ? n - 1 : 0;
}

/*
 * The cgroup v2 directory names "parent/leaf": a container runtime names the container
 * in one of them (podman with crun runs it in libpod-<id>.scope/container).
 */
static __always_inline void exec_put_cgroup(struct rec_exec *rec, __u32 *off,
					    struct task_struct *task)
{
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	struct kernfs_node *parent = kernfs_parent(kn);
	__u32 n;

	rec->cgroup.off = *off;
	rec->cgroup.len = 0;
	if (parent) {
		n = exec_put_cgroup_name(rec->data, *off, parent);
		rec->data[(*off + n) & DATA_OFF_MASK] = '/';
		*off += n + 1;
	}
	*off += exec_put_cgroup_name(rec->data, *off, kn);
	rec->cgroup.len = *off - rec->cgroup.off;
}

static __always_inline void process_exec(struct task_struct *task, struct linux_binprm *bprm)
{
	__u32 tgid = task->tgid;
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);
	__u64 now = bpf_ktime_get_boot_ns();
	struct rec_exec *rec;
	__u32 off = 0;

	if (!tracing_wanted(tgid))
		return;
	/* Out of the map, its events get an exec_id from its start time instead. */
	if (bpf_map_update_elem(&exec_times, &tgid, &now, BPF_ANY))
		record_lost(REC_EXEC, REC_LOST_MAP_FULL);
	rec = record_start(REC_EXEC);
	if (!rec)
		return;
	rec->parent_exec_ns = process_exec_ns(BPF_CORE_READ(parent, tgid), parent);
	rec->flags = EXEC_HAS_PARENT;
	rec->pad = 0;
	exec_put_filename(rec, &off, bprm);
	/*
	 * bprm->file is the file the image comes from: for a #! script, exec_binprm() has
	 * already put the interpreter there and released the script, whose name stays in
	 * filename while interp names the interpreter (bprm_change_interp()).
	 */
	if (bprm->interp != bprm->filename)
		rec->flags |= EXEC_INTERPRETED;
	exec_put_exe(rec, &off, BPF_CORE_READ(bprm, file));
	exec_put_exe_id(rec, BPF_CORE_READ(bprm, file));
	/* The exec tracepoint runs in the task itself: its cwd is the current one. */
	if (path_put_cwd(rec->data, &off, &rec->cwd) & PATH_WALK_TRUNCATED)
		rec->flags |= EXEC_CWD_TRUNCATED;
	exec_put_cgroup(rec, &off, task);
	/* Last: argv takes whatever room the paths left. */
	exec_put_args(rec, &off, task);
	record_submit(&rec->h, sizeof(*rec) + off);
}

/* Returns whether the whole process is gone (task is its last thread). */
static __always_inline bool process_exit(struct task_struct *task)
{
	__u32 tgid = task->tgid;
	struct rec_exit rec;

	/* signal->live reaches zero in do_exit() before this tracepoint, in the last thread. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return false;
	if (!tracing_wanted(tgid))
		goto forget;
	record_header_fill(&rec.h, REC_EXIT);
	rec.duration_ns = rec.h.timestamp_ns - BPF_CORE_READ(task, group_leader, start_boottime);
	rec.exit_code = task->exit_code;
	rec.pad = 0;
	record_submit(&rec.h, sizeof(rec));
forget:
	bpf_map_delete_elem(&exec_times, &tgid);
	bpf_map_delete_elem(&traced, &tgid);
	return true;
}

#endif
