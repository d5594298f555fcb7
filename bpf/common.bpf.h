/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every program shares: the maps, the scope filter, the common record header and
 * the one way records leave the kernel, record_submit() (counted when they cannot).
 */
#ifndef TRACERD_COMMON_BPF_H
#define TRACERD_COMMON_BPF_H

#include "compat.bpf.h"
#include "tracerd_event.h"

/* Room for the biggest record plus the slack the verifier needs for masked offsets. */
#define RECORD_BUF_SIZE (128 * 1024)
#define RECORD_SIZE_MAX 0xffff /* rec_header.size is 16 bits */
#define DATA_OFF_MASK 0xffff
#define DATA_LEN_MASK 0x7fff
#define RINGBUF_DEFAULT_SIZE (16 << 20) /* --ring-buffer-kb's default */
#define TGIDS_MAX 65536 /* processes the per-process maps keep at once */

/* Set by the daemon before load. */
const volatile __u32 self_tgid = 0;
const volatile __u32 hasher_tgid = 0; /* tracerd's hasher process (src/hasher.c), if any */
const volatile bool filter_traced = false; /* -- COMMAND mode: only the traced map's pids */
/* Wake the reader past this much pending: the ring's size / TRACERD_WAKEUP_FRACTION. */
const volatile __u64 wakeup_bytes = RINGBUF_DEFAULT_SIZE / TRACERD_WAKEUP_FRACTION;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_DEFAULT_SIZE); /* resized by the daemon (--ring-buffer-kb) */
} events SEC(".maps");

/* Records that could not be sent, per record type and cause (struct rec_lost). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REC_TYPE_MAX);
	__type(key, __u32);
	__type(value, struct rec_lost);
} lost SEC(".maps");

/*
 * tgid -> CLOCK_BOOTTIME of its last exec: the second half of exec_id. Live processes
 * beyond this count fall back to their start time (exec_id stays unique per process).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TGIDS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} exec_times SEC(".maps");

/* -- COMMAND mode: the command's process tree, followed through fork. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TGIDS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

/* One record under construction per CPU (max_entries set to the CPU count). */
struct record_buf {
	char buf[RECORD_BUF_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct record_buf);
} record_scratch SEC(".maps");

static __always_inline void record_lost(__u32 type, enum rec_lost_cause cause)
{
	struct rec_lost *l = bpf_map_lookup_elem(&lost, &type);

	if (l && cause < REC_LOST_CAUSES)
		l->cause[cause] += 1;
}

/* The current process: its tgid (the pid a user sees). */
static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline bool tracing_wanted(__u32 tgid)
{
	if (tgid == self_tgid || (hasher_tgid && tgid == hasher_tgid))
		return false;
	if (!filter_traced)
		return true;
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

static __always_inline bool current_wanted(void)
{
	return tracing_wanted(current_tgid());
}

/* The exec time of tgid's current image, or its start time if we never saw it exec. */
static __always_inline __u64 process_exec_ns(__u32 tgid, struct task_struct *task)
{
	__u64 *t = bpf_map_lookup_elem(&exec_times, &tgid);

	if (t)
		return *t;
	return BPF_CORE_READ(task, group_leader, start_boottime);
}

/*
 * Every record goes the same way: its buffer (this CPU's scratch buffer from
 * record_start() for records with strings, the stack for small fixed ones), the common
 * header (record_header_fill(), done by record_start()), its own fields, then
 * record_submit(). Nothing else writes to the ring buffer.
 */

/* The common header, all but its size (record_submit() sets that). */
static __always_inline void record_header_fill(struct rec_header *h, __u16 type)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->size = 0;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->pad = 0;
	h->timestamp_ns = bpf_ktime_get_boot_ns();
	h->exec_ns = process_exec_ns(h->pid, task);
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/*
 * A record of type in this CPU's scratch buffer, its header filled; NULL (counted) when
 * there is no buffer. The next record_start() reuses the buffer: submit first.
 */
static __always_inline void *record_start(__u16 type)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct rec_header *h = bpf_map_lookup_elem(&record_scratch, &cpu);

	if (!h) {
		record_lost(type, REC_LOST_NO_SCRATCH);
		return NULL;
	}
	record_header_fill(h, type);
	return h;
}

/*
 * Wakeups cost the reader microseconds each: let records accumulate and wake it only
 * past wakeup_bytes; its timer drains the rest. Tamper evidence does not wait.
 */
static __always_inline __u64 record_wakeup_flag(__u16 type)
{
	if (type == REC_TAMPER || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/*
 * The one way out of the kernel: sets the header's size to size, the record's length in
 * bytes, and copies the record into the ring buffer. False, and counted by type and
 * cause, when it cannot.
 */
static __always_inline bool record_submit(struct rec_header *h, __u32 size)
{
	__u16 type = h->type;

	if (size > RECORD_SIZE_MAX) {
		record_lost(type, REC_LOST_TOO_LARGE);
		return false;
	}
	h->size = size;
	/* The mask repeats the check for the verifier: keep clang from dropping it. */
	barrier_var(size);
	if (bpf_ringbuf_output(&events, h, size & RECORD_SIZE_MAX, record_wakeup_flag(type))) {
		record_lost(type, REC_LOST_RINGBUF_FULL);
		return false;
	}
	return true;
}

/*
 * An fd table's size and array (max_fds, fd), read through a scalar pointer. They open
 * struct fdtable on every kernel since 2.6: one probe read where CO-RE puts them there,
 * one each elsewhere. A NULL table reads as empty.
 */
static __always_inline struct file **fdtable_head_read(struct fdtable *fdt, unsigned int *max_fds)
{
	__u64 head[2] = {};

	if (bpf_core_field_offset(struct fdtable, max_fds) != 0 ||
	    bpf_core_field_size(struct fdtable, max_fds) != 4 ||
	    bpf_core_field_offset(struct fdtable, fd) != 8) {
		*max_fds = BPF_CORE_READ(fdt, max_fds);
		return BPF_CORE_READ(fdt, fd);
	}
	bpf_probe_read_kernel(head, sizeof(head), fdt);
	*max_fds = *(__u32 *)head;
	return (struct file **)head[1];
}

/* The file at fd in a table of max_fds at fds: a variable offset, so a probe read, BTF or not. */
static __always_inline struct file *fd_array_file(struct file **fds, unsigned int max_fds, int fd)
{
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline struct file *fd_to_file(int fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	unsigned int max_fds;
	struct file **fds = fdtable_head_read(BPF_CORE_READ(task, files, fdt), &max_fds);

	return fd_array_file(fds, max_fds, fd);
}

/*
 * fd_to_file() through current_files()'s table (compat.bpf.h), read once at the top of a
 * program, before it branches, and passed down: plain loads in the bpf_loop object. The
 * verifier's check of a load of a pointer through a trusted pointer (the current task, a
 * tp_btf argument) looks the type up by name in the kernel's BTF, a linear search of
 * about a millisecond on 6.2 and later, at every visit of the load: inlined at each
 * fd_to_file() call site, it would add 80 ms to the start. A pointer loaded from files is
 * not trusted: no lookup. No table (the noloop object, or a task without one): the probe
 * reads of fd_to_file().
 */
static __always_inline struct file *fd_to_file_in(struct files_struct *files, int fd)
{
	struct fdtable *fdt;

	if (!files)
		return fd_to_file(fd);
	fdt = files->fdt;
	return fd_array_file(fdt->fd, fdt->max_fds, fd);
}

static __always_inline __u32 file_mode_type(struct file *file)
{
	return BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;
}

#endif
