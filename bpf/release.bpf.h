/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Files released without close(2): dup2()/dup3() over the fd that held a written file,
 * close_range(), and close-on-exec at execve(). Their write totals are sent when the
 * release happens (REC_WRITE_CLOSE, as close() sends them), not when the process exits or
 * its struct file is reused by a later open.
 *
 * dup2() and dup3() name the one fd they replace: handled as a close of it. close_range()
 * and exec release any number of fds, and an fd table can be large (up to nr_open, 1M by
 * default): rather than walk it, a process that writes files keeps a small record of the
 * fds its written files sit at (written_fds: the fd of its first write to a file, moved
 * by dup2()/dup3()). The record is set at a file's first write only, so writes, opens and
 * closes cost what they did. It is a hint, checked against the fd table when used: a
 * file no longer at its recorded fd, or beyond the record's slots, is reported later, at
 * exit, as before.
 *
 * A file is released only when its last reference goes: as for close(), a file that a
 * dup'ed fd, a forked child or an in-flight syscall still holds (refcount above one) is
 * not released and gets no line yet.
 *
 * Maps, helpers and bounded loops only: the same on 5.10 as on newer kernels.
 */
#ifndef TRACERD_RELEASE_BPF_H
#define TRACERD_RELEASE_BPF_H

#include "file.bpf.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 02000000 /* asm-generic/fcntl.h */
#endif
#define CLOSE_RANGE_UNSHARE (1U << 1) /* linux/close_range.h */
#define CLOSE_RANGE_CLOEXEC (1U << 2)

/* Written files whose fds a process tracks at once (a power of two): most write a few. */
#define RELEASE_SLOTS 8
/* Processes with a written file at once; beyond, their releases are reported at exit. */
#define RELEASE_PROCS_MAX 8192

struct written_fds {
	__u64 file[RELEASE_SLOTS]; /* struct file pointer; 0: free slot */
	__s32 fd[RELEASE_SLOTS];
	__u64 exec_files; /* files_struct at execve() entry */
	__u32 exec_tid; /* the thread that entered execve() */
	__u32 exec_slots; /* bit i: slot i's file is released by that exec */
	__u32 next; /* the slot taken when none is free */
	__u32 pad;
};

/* tgid -> its written files' fds. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RELEASE_PROCS_MAX);
	__type(key, __u32);
	__type(value, struct written_fds);
} written_fds SEC(".maps");

static const struct written_fds written_fds_empty;

/* The current fd table, read once for a loop over the slots. */
struct fd_view {
	struct file **fds;
	unsigned long *close_on_exec;
	unsigned int max_fds;
};

static __always_inline void fd_view_read(struct fd_view *v)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);

	v->fds = BPF_CORE_READ(fdt, fd);
	v->close_on_exec = BPF_CORE_READ(fdt, close_on_exec);
	v->max_fds = BPF_CORE_READ(fdt, max_fds);
}

static __always_inline __u64 fd_view_file(struct fd_view *v, __s32 fd)
{
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= v->max_fds)
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &v->fds[fd]);
	return (__u64)file;
}

static __always_inline bool fd_view_cloexec(struct fd_view *v, __s32 fd)
{
	unsigned long word = 0;

	/* fd < max_fds, checked by fd_view_file() first: the bitmap has max_fds bits. */
	bpf_probe_read_kernel(&word, sizeof(word), &v->close_on_exec[(__u32)fd / 64]);
	return word & (1UL << ((__u32)fd % 64));
}

/* Whether a slot still names a file at its fd; a stale one is free to take. */
static __always_inline bool release_slot_live(struct written_fds *w, __u32 i, struct fd_view *v)
{
	return w->file[i] && fd_view_file(v, w->fd[i]) == w->file[i];
}

/*
 * The current process wrote file through fd for the first time (its write_totals entry is
 * new): record where it sits, in a free or stale slot, or else in the next one round.
 * Threads may race on a slot: the fd table check at use drops a torn one.
 */
static __always_inline void release_track(struct file *file, int fd)
{
	__u32 tgid = current_tgid();
	struct written_fds *w = bpf_map_lookup_elem(&written_fds, &tgid);
	struct fd_view v;
	__u32 slot, i;

	if (!w) {
		/* Full: this process's releases are reported at exit, as before. */
		bpf_map_update_elem(&written_fds, &tgid, &written_fds_empty, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&written_fds, &tgid);
		if (!w)
			return;
	}
	fd_view_read(&v);
	slot = w->next++;
	for (i = 0; i < RELEASE_SLOTS; i++) {
		/* Its own slot: a struct file reused at the same fd after a close. */
		if (w->file[i] == (__u64)file || !release_slot_live(w, i, &v)) {
			slot = i;
			break;
		}
	}
	slot &= RELEASE_SLOTS - 1;
	w->file[slot] = (__u64)file;
	w->fd[slot] = fd;
}

/* dup2()/dup3() put file at newfd too: follow it there, where a moved file ends up. */
static __always_inline void release_follow(struct file *file, int newfd)
{
	__u32 tgid = current_tgid();
	struct written_fds *w = bpf_map_lookup_elem(&written_fds, &tgid);
	__u32 i;

	if (!w)
		return;
	for (i = 0; i < RELEASE_SLOTS; i++) {
		if (w->file[i] == (__u64)file)
			w->fd[i] = newfd;
	}
}

/* Sends and forgets the totals of slot i's file, released by this process. */
static __always_inline void release_report(struct written_fds *w, __u32 i, __u32 tgid)
{
	struct write_key key = { .pid = tgid, .file = w->file[i] };
	struct write_totals *t = bpf_map_lookup_elem(&write_totals, &key);

	w->file[i] = 0;
	/* No path walk here, in a loop: the daemon has it from the first write. */
	if (t)
		file_write_flush_stale(&key, t);
}

/*
 * dup2(oldfd, newfd), dup3(oldfd, newfd, flags): the fd whose file they release, as
 * close() would, or -1. Nothing is replaced when oldfd is not open (EBADF), is newfd
 * (dup2 returns, dup3 refuses) or dup3's flags are invalid. Seen on entry, while that
 * file is still at newfd: a dup2() that then fails (EBUSY, a race with an open in another
 * thread) has had its file reported, and later writes start a second line.
 */
static __always_inline int release_dup(struct pt_regs *regs, long nr)
{
	int oldfd = SYSCALL_ARG1(regs);
	int newfd = SYSCALL_ARG2(regs);
	struct file *file;

	if (oldfd == newfd)
		return -1;
	if (nr == NR_dup3 && (SYSCALL_ARG3(regs) & ~O_CLOEXEC))
		return -1;
	file = fd_to_file(oldfd);
	if (!file)
		return -1;
	release_follow(file, newfd);
	return newfd;
}

/*
 * close_range(first, last, flags): the written files recorded at fds in the range, held by
 * nothing else. CLOSE_RANGE_CLOEXEC only marks the fds. CLOSE_RANGE_UNSHARE on a table
 * shared with another thread or process closes them in a private copy: the shared table
 * keeps the files, nothing is released. A file at two fds of the range has a refcount of
 * two and is missed (reported at exit).
 */
static __always_inline void release_close_range(struct pt_regs *regs)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 first = SYSCALL_ARG1(regs);
	__u32 last = SYSCALL_ARG2(regs);
	__u32 flags = SYSCALL_ARG3(regs);
	__u32 tgid = current_tgid();
	struct written_fds *w;
	struct fd_view v;
	__u32 i;
	__s32 fd;

	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) ||
	    (flags & CLOSE_RANGE_CLOEXEC))
		return;
	if ((flags & CLOSE_RANGE_UNSHARE) && BPF_CORE_READ(task, files, count.counter) > 1)
		return;
	w = bpf_map_lookup_elem(&written_fds, &tgid);
	if (!w)
		return;
	fd_view_read(&v);
	for (i = 0; i < RELEASE_SLOTS; i++) {
		fd = w->fd[i];
		if (fd < 0 || (__u32)fd < first || (__u32)fd > last || !release_slot_live(w, i, &v))
			continue;
		if (file_refcount((struct file *)w->file[i]) == 1)
			release_report(w, i, tgid);
	}
}

/*
 * execve()/execveat() entry: which written files close-on-exec will release, kept for
 * the exec tracepoint (release_exec()). Deciding now, while the fds are there, and
 * reporting only once the exec succeeded: a failed exec (a PATH search tries several)
 * closes nothing.
 */
static __always_inline void release_exec_enter(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 tgid = current_tgid();
	struct written_fds *w = bpf_map_lookup_elem(&written_fds, &tgid);
	__u32 i, slots = 0;
	struct fd_view v;

	if (!w)
		return;
	fd_view_read(&v);
	for (i = 0; i < RELEASE_SLOTS; i++) {
		if (!release_slot_live(w, i, &v) || !fd_view_cloexec(&v, w->fd[i]))
			continue;
		if (file_refcount((struct file *)w->file[i]) == 1)
			slots |= 1U << i;
	}
	w->exec_slots = slots;
	w->exec_tid = (__u32)bpf_get_current_pid_tgid();
	w->exec_files = (__u64)BPF_CORE_READ(task, files);
}

/*
 * The exec succeeded: its close-on-exec files were closed in begin_new_exec(), before
 * this tracepoint; their last fput waits for the return to user space. Unless the exec
 * had to copy a shared fd table first (unshare_files(): current->files changed), which
 * closed them in the copy and left them open in the shared one.
 */
static __always_inline void release_exec(struct task_struct *task, pid_t old_pid)
{
	__u32 tgid = task->tgid;
	struct written_fds *w = bpf_map_lookup_elem(&written_fds, &tgid);
	__u32 i, slots;

	if (!w || !w->exec_slots)
		return;
	slots = w->exec_slots;
	w->exec_slots = 0;
	if (w->exec_tid != (__u32)old_pid || w->exec_files != (__u64)task->files)
		return;
	for (i = 0; i < RELEASE_SLOTS; i++) {
		if ((slots & (1U << i)) && w->file[i])
			release_report(w, i, tgid);
	}
}

/* The whole process is gone: so is its record (looked up first: most processes have none). */
static __always_inline void release_exit(__u32 tgid)
{
	if (bpf_map_lookup_elem(&written_fds, &tgid))
		bpf_map_delete_elem(&written_fds, &tgid);
}

/* The syscalls besides close() that release files. */
static __always_inline bool release_syscall(long nr)
{
	switch (nr) {
#ifdef NR_dup2
	case NR_dup2:
#endif
	case NR_dup3:
	case NR_close_range:
	case NR_execve:
	case NR_execveat:
		return true;
	}
	return false;
}

/* One of release_syscall()'s, on entry: the fd to handle as a close() of it, or -1. */
static __always_inline int release_enter(struct pt_regs *regs, long nr)
{
	switch (nr) {
	case NR_close_range:
		release_close_range(regs);
		return -1;
	case NR_execve:
	case NR_execveat:
		release_exec_enter();
		return -1;
	}
	return release_dup(regs, nr);
}

#endif
