/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every program shares: the maps, the scope filter, the common record header and
 * the one way records leave the kernel (counted when they cannot).
 */
#ifndef TRACERD_COMMON_BPF_H
#define TRACERD_COMMON_BPF_H

#include "compat.bpf.h"
#include "tracerd_event.h"

/* Room for the biggest record plus the slack the verifier needs for masked offsets. */
#define RECORD_BUF_SIZE (128 * 1024)
#define DATA_OFF_MASK 0xffff
#define DATA_LEN_MASK 0x7fff

/* Set by the daemon before load. */
const volatile __u32 self_tgid = 0;
const volatile bool filter_traced = false; /* -- COMMAND mode: only the traced map's pids */
const volatile __u64 wakeup_bytes = 1 << 20; /* wake the reader past this much pending */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by the daemon (--ring-buffer-kb) */
} events SEC(".maps");

/* Records that could not be sent, per record type. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REC_TYPE_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/*
 * tgid -> CLOCK_BOOTTIME of its last exec: the second half of exec_id. Live processes
 * beyond this count fall back to their start time (exec_id stays unique per process).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} exec_times SEC(".maps");

/* -- COMMAND mode: the command's process tree, followed through fork. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
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

static __always_inline void *record_buf_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&record_scratch, &cpu);
}

static __always_inline void lost_count(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &type);

	if (n)
		*n += 1;
}

static __always_inline bool tracing_wanted(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (!filter_traced)
		return true;
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

static __always_inline bool current_wanted(void)
{
	return tracing_wanted(bpf_get_current_pid_tgid() >> 32);
}

/*
 * Wakeups cost the reader microseconds each: let records accumulate and wake it only
 * past a fill threshold; its timer drains the rest.
 */
static __always_inline __u64 ringbuf_wakeup_flag(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Sends a record built in the scratch buffer; false (and counted) when it cannot. */
static __always_inline bool record_output(void *rec, __u32 size, __u32 type)
{
	if (bpf_ringbuf_output(&events, rec, size & 0xffff, ringbuf_wakeup_flag())) {
		lost_count(type);
		return false;
	}
	return true;
}

/* The exec time of tgid's current image, or its start time if we never saw it exec. */
static __always_inline __u64 process_exec_ns(__u32 tgid, struct task_struct *task)
{
	__u64 *t = bpf_map_lookup_elem(&exec_times, &tgid);

	if (t)
		return *t;
	return BPF_CORE_READ(task, group_leader, start_boottime);
}

static __always_inline void header_fill(struct rec_header *h, __u16 type, __u32 size)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->size = size;
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

static __always_inline struct file *fd_to_file(int fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline __u32 file_mode_type(struct file *file)
{
	return BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;
}

#endif
