/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Files: every open (failed ones too) as one record. "Write" here means a traced process's
 * write()-family syscall to a regular file: summed per open file per process in the
 * write_totals map, and reported twice: the first write sends the path
 * (REC_WRITE_FIRST), the last close by the process sends the totals (REC_WRITE_CLOSE), as
 * does a release without close (release.bpf.h); files still open when the process exits
 * or the trace ends are reported by the daemon from the map.
 */
#ifndef TRACERD_FILE_BPF_H
#define TRACERD_FILE_BPF_H

#include "firstwrite.bpf.h"
#include "path.bpf.h"
#include "tamper.bpf.h"

/* (process, open file) pairs being written at once; beyond, writes are counted lost. */
#define WRITTEN_FILES_MAX 65536

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WRITTEN_FILES_MAX);
	__type(key, struct write_key);
	__type(value, struct write_totals);
} write_totals SEC(".maps");

struct open_args {
	int dfd;
	const char *filename;
	__u32 flags;
	bool in_root; /* openat2(RESOLVE_IN_ROOT): '/' and '..' stop at dfd */
};

static __always_inline __u64 open_how_resolve(struct open_how *how)
{
	__u64 resolve = 0;

	bpf_probe_read_user(&resolve, sizeof(resolve), &how->resolve);
	return resolve;
}

static __always_inline bool open_args_read(struct pt_regs *regs, long nr, struct open_args *a)
{
	struct open_how *how;

	if (nr == NR_openat || nr == NR_openat2) {
		a->dfd = SYSCALL_ARG1(regs);
		a->filename = (const char *)SYSCALL_ARG2(regs);
		if (nr == NR_openat) {
			a->flags = SYSCALL_ARG3(regs);
			return true;
		}
		how = (struct open_how *)SYSCALL_ARG3(regs);
		a->flags = 0;
		bpf_probe_read_user(&a->flags, sizeof(a->flags), &how->flags);
		a->in_root = open_how_resolve(how) & RESOLVE_IN_ROOT;
		return true;
	}
	a->dfd = AT_FDCWD;
	a->filename = (const char *)SYSCALL_ARG1(regs);
	a->flags = O_CREAT | O_WRONLY | O_TRUNC; /* creat() */
#ifdef NR_open
	if (nr == NR_open)
		a->flags = SYSCALL_ARG2(regs);
#endif
	return true;
}

/* A failed open: the path as asked for, and what a relative one was relative to. */
static __always_inline void open_put_requested(struct rec_open *rec, __u32 *off,
					       struct open_args *a)
{
	char *data = rec->data;
	struct file *dir = NULL;
	int walk_flags;
	long n;

	/* One byte more than kept: a string that fills it was longer than the limit. */
	n = bpf_probe_read_user_str(&data[*off & DATA_OFF_MASK], TRACERD_PATH_MAX + 1, a->filename);
	rec->path.off = *off;
	rec->path.len = n > 1 ? n - 1 : 0;
	if (n > TRACERD_PATH_MAX)
		rec->flags |= OPEN_PATH_TRUNCATED;
	if (n <= 1)
		return;
	*off += n - 1;
	if (a->in_root)
		rec->flags |= OPEN_IN_ROOT;
	else if (data[rec->path.off & DATA_OFF_MASK] == '/')
		return;
	rec->flags |= OPEN_PATH_RELATIVE;
	if (a->dfd == AT_FDCWD) {
		walk_flags = path_put_cwd(data, off, &rec->base);
	} else {
		dir = fd_to_file(a->dfd);
		if (!dir)
			return;
		walk_flags = path_put_file(data, off, dir, &rec->base);
	}
	if (walk_flags & PATH_WALK_TRUNCATED)
		rec->flags |= OPEN_BASE_TRUNCATED;
}

/*
 * A write record: the first one for an open file, with its path, or the closing one
 * with the totals; file is NULL when the daemon has the path already (or the file is
 * gone). A first write whose path is its open's (open_seq, firstwrite.bpf.h) walks
 * nothing. Returns whether the record was sent.
 */
static __always_inline bool file_write_output(__u16 type, struct write_key *key,
					      struct write_totals *totals, struct file *file,
					      __u64 open_seq)
{
	struct rec_write *rec = record_start(type);
	__u32 off = 0;

	if (!rec)
		return false;
	rec->key = *key;
	rec->totals = *totals;
	rec->flags = file ? 0 : WRITE_PATH_FROM_FIRST;
	rec->pad = 0;
	rec->open_seq = open_seq;
	rec->path.off = rec->path.len = 0;
	if (open_seq)
		rec->flags = WRITE_PATH_FROM_OPEN;
	else if (file && path_put_file(rec->data, &off, file, &rec->path) & PATH_WALK_TRUNCATED)
		rec->flags |= WRITE_PATH_TRUNCATED;
	return record_submit(&rec->h, sizeof(*rec) + off);
}

/* The accounting key of file in the current process. */
static __always_inline struct write_key file_write_key(struct file *file)
{
	struct write_key key = { .pid = current_tgid(), .file = (__u64)file };

	return key;
}

/* Reports and forgets the totals of key, whose struct file was released and reused. */
static __always_inline void file_write_flush_stale(struct write_key *key, struct write_totals *t)
{
	struct write_totals totals = *t;

	bpf_map_delete_elem(&write_totals, key);
	file_write_output(REC_WRITE_CLOSE, key, &totals, NULL, 0);
}

/*
 * A file just opened for writing by this process: an entry under its struct file belongs
 * to an earlier file that was released without close(2), at the same address. Reported
 * now, before this file's writes add to it (the same file opened again would: its inode
 * matches). A file opened read-only adds nothing to it: an entry under it is reported at
 * the process's exit, or when a file opened for writing takes the address, and costs
 * neither the open nor the close (file_close()) a lookup.
 */
static __always_inline void file_write_forget_reused(struct file *file)
{
	struct write_key key = file_write_key(file);
	struct write_totals *t = bpf_map_lookup_elem(&write_totals, &key);

	if (t)
		file_write_flush_stale(&key, t);
}

/*
 * The open record: the path walked from file when the open gave one, else the path asked
 * for in a (a failed open, or an io_uring open into a fixed file slot). flags: more
 * enum rec_open_flag bits (OPEN_VIA_IO_URING).
 */
static __always_inline void file_open_output(struct open_args *a, struct file *file, long ret,
					     __u32 flags)
{
	__u64 generation = 0, seq;
	bool remember = false;
	unsigned int fmode;
	struct rec_open *rec;
	__u32 off = 0;
	int walk;

	/* Both may send records of their own: before this one takes the buffer. */
	if (file) {
		fmode = BPF_CORE_READ(file, f_mode);
		if (fmode & FMODE_WRITE)
			file_write_forget_reused(file);
		tamper_check_open(file, a->flags, ret);
		remember = open_paths_prepare(file, fmode, &generation);
	}
	rec = record_start(REC_OPEN);
	if (!rec)
		return;
	rec->ret = ret;
	rec->open_flags = a->flags;
	rec->flags = flags;
	rec->pseudo_magic = 0;
	rec->pseudo_ino = 0;
	rec->path.off = rec->path.len = 0;
	rec->base.off = rec->base.len = 0;
	rec->file = rec->open_seq = 0;
	if (file) {
		walk = path_put_file(rec->data, &off, file, &rec->path);
		if (remember)
			open_paths_number(rec, file, walk);
		if (walk & PATH_WALK_TRUNCATED)
			rec->flags |= OPEN_PATH_TRUNCATED;
		/* /proc/PID/fd names these after their filesystem: pipe:[ino]... */
		if (walk & PATH_WALK_PSEUDO) {
			rec->flags |= OPEN_PSEUDO;
			rec->pseudo_magic = BPF_CORE_READ(file, f_inode, i_sb, s_magic);
			rec->pseudo_ino = BPF_CORE_READ(file, f_inode, i_ino);
		}
	} else {
		open_put_requested(rec, &off, a);
	}
	seq = rec->open_seq;
	if (record_submit(&rec->h, sizeof(*rec) + off) && seq)
		open_paths_remember(file, generation, seq);
}

static __always_inline void file_open(struct pt_regs *regs, struct files_struct *files, long nr,
				      long ret)
{
	struct open_args a = {};

	open_args_read(regs, nr, &a);
	file_open_output(&a, ret >= 0 ? fd_to_file_in(files, ret) : NULL, ret, 0);
}

/*
 * A write of ret bytes to a regular file, whose f_inode the caller read: added to its
 * totals, the first one reported. Returns whether it was the first (a new entry), for
 * release.bpf.h to record the fd.
 */
static __always_inline bool file_write_account_inode(struct file *file, struct inode *inode,
						     long ret)
{
	struct write_key key = file_write_key(file);
	struct write_totals first = { .bytes = ret, .writes = 1, .path_sent = 1 };
	struct write_totals *t;

	first.inode = (__u64)inode;
	t = bpf_map_lookup_elem(&write_totals, &key);
	if (t && t->inode != first.inode) {
		file_write_flush_stale(&key, t);
		t = NULL;
	}
	if (t) {
		__sync_fetch_and_add(&t->bytes, ret);
		__sync_fetch_and_add(&t->writes, 1);
		return false;
	}
	if (bpf_map_update_elem(&write_totals, &key, &first, BPF_NOEXIST)) {
		/* Another thread of the process created it first: add to its totals. */
		t = bpf_map_lookup_elem(&write_totals, &key);
		if (!t) {
			record_lost(REC_WRITE_CLOSE, REC_LOST_MAP_FULL);
			return false;
		}
		__sync_fetch_and_add(&t->bytes, ret);
		__sync_fetch_and_add(&t->writes, 1);
		return false;
	}
	if (!file_write_output(REC_WRITE_FIRST, &key, &first, file, open_paths_take(file))) {
		/* The close must carry the path then. */
		t = bpf_map_lookup_elem(&write_totals, &key);
		if (t)
			t->path_sent = 0;
	}
	return true;
}

static __always_inline bool file_write_account(struct file *file, long ret)
{
	return file_write_account_inode(file, BPF_CORE_READ(file, f_inode), ret);
}

/*
 * The process closes a file it wrote to: report once no other reference is left. Only a
 * file open for writing can have totals of its own, and most files closed were only read:
 * they cost no lookup (a hash lookup in a table of 64k buckets misses the CPU's caches). An
 * entry under a read-only file's address is an earlier file's, released unseen: the
 * process's exit reports it, or the next file opened for writing at that address.
 */
static __always_inline void file_close(struct files_struct *files, int fd)
{
	struct file *file = fd_to_file_in(files, fd);
	struct file *walk_file = NULL;
	struct write_totals *t, totals;
	struct write_key key;

	if (!file || !(BPF_CORE_READ(file, f_mode) & FMODE_WRITE))
		return;
	key = file_write_key(file);
	t = bpf_map_lookup_elem(&write_totals, &key);
	if (!t || file_refcount(file) > 1)
		return;
	totals = *t;
	bpf_map_delete_elem(&write_totals, &key);
	/*
	 * One path walk per written file: the daemon has it from the first write. An entry of
	 * an earlier file at this struct file's address (released unseen) never takes this
	 * file's path.
	 */
	if (!totals.path_sent && totals.inode == (__u64)BPF_CORE_READ(file, f_inode))
		walk_file = file;
	file_write_output(REC_WRITE_CLOSE, &key, &totals, walk_file, 0);
}

#endif
