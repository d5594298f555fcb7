/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Records passed from the BPF programs to the daemon through the ring buffer.
 * Shared by bpf/ and src/: fixed-width types only, no libc. Every record starts with
 * struct rec_header; variable-length strings live in a data area after the fixed part,
 * referenced by (offset, length) pairs, and only the bytes used are sent.
 */
#ifndef TRACERD_EVENT_H
#define TRACERD_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* userspace; the BPF side has the types from vmlinux.h */
#endif

#define TRACERD_COMM_LEN 16
#define TRACERD_PATH_MAX 4096 /* PATH_MAX: longest path sent, with its leading '/' */
#define TRACERD_ARGS_MAX 24576 /* argv bytes (NUL-separated) sent per exec */
#define TRACERD_DNS_PAYLOAD_MAX 1280 /* DNS message bytes copied per query or answer */
#define TRACERD_CGROUP_NAME_MAX 256 /* cgroup directory names sent with an exec */

/*
 * The kernel wakes the reader once 1/TRACERD_WAKEUP_FRACTION of the ring buffer is
 * pending (the BPF side's wakeup_bytes); the reader's timer drains the rest. Fewer
 * wakeups, each draining a batch: a wakeup costs the reader microseconds.
 */
#define TRACERD_WAKEUP_FRACTION 8

enum rec_type {
	REC_EXEC = 1,
	REC_EXIT,
	REC_CONNECT,
	REC_DNS,
	REC_OPEN,
	REC_WRITE_FIRST, /* first write to an open file by a process: carries the path */
	REC_WRITE_CLOSE, /* last close of that file by the process: carries the totals */
	REC_TAMPER,
	REC_FORK, /* a new process: it starts in its parent's working directory */
	REC_CHDIR, /* chdir()/fchdir() succeeded: the new working directory */
	REC_LISTEN, /* listen(), or a UDP bind() to a port: struct rec_listen */
	REC_ACCEPT, /* an accepted TCP connection: struct rec_listen, kind LISTEN_ACCEPT */
	REC_ACCESS, /* ptrace, process_vm_readv/writev, pidfd_getfd on another process */
	REC_IO_URING_SETUP, /* io_uring_setup(), failed or not: struct rec_io_uring_setup */
	REC_TYPE_MAX,
};

/*
 * Why the kernel could not send a record: the second dimension of the per-CPU lost map,
 * which is keyed by enum rec_type and holds a struct rec_lost. The daemon sums the
 * causes of each type into events_lost.by_type.
 */
enum rec_lost_cause {
	REC_LOST_RINGBUF_FULL, /* no room in the ring buffer: the reader is behind */
	REC_LOST_TOO_LARGE, /* longer than rec_header.size can say */
	REC_LOST_NO_SCRATCH, /* no per-CPU buffer to build it in */
	REC_LOST_MAP_FULL, /* state the event needs could not be kept in a kernel map */
	REC_LOST_NO_NAME, /* a failed io_uring open on a kernel that keeps no user filename */
	REC_LOST_CAUSES,
};

/* The lost map's value: records of one type not sent, by cause. */
struct rec_lost {
	__u64 cause[REC_LOST_CAUSES];
};

/* A string in the record's data area. */
struct rec_str {
	__u16 off;
	__u16 len;
};

struct rec_header {
	__u16 type;
	__u16 size; /* bytes of the whole record, up to 65535 */
	__u32 pid; /* tgid, initial pid namespace */
	__u32 tid;
	__u32 ppid; /* real_parent's tgid */
	__u32 uid; /* real uid */
	__u32 pad;
	__u64 timestamp_ns; /* CLOCK_BOOTTIME */
	__u64 exec_ns; /* BOOTTIME of this process image's exec, or of the process start */
	__u64 cgroup_id;
	char comm[TRACERD_COMM_LEN];
};

enum rec_exec_flag {
	EXEC_ARGS_TRUNCATED = 1 << 0,
	EXEC_FILENAME_TRUNCATED = 1 << 1,
	EXEC_EXE_TRUNCATED = 1 << 2,
	EXEC_CWD_TRUNCATED = 1 << 3,
	EXEC_EXE_MEMFD = 1 << 4,
	EXEC_EXE_DELETED = 1 << 5,
	EXEC_HAS_PARENT = 1 << 6,
	/*
	 * An interpreter runs filename: a #! script (or a binfmt_misc format). exe and
	 * exe_id are the interpreter's; the kernel no longer holds the script's file.
	 */
	EXEC_INTERPRETED = 1 << 7,
};

/* Which file was executed, as stat(2) would tell it: the daemon proves what it hashes. */
struct rec_file_id {
	__u64 ino;
	__u64 size;
	__s64 ctime_sec;
	__u32 ctime_nsec;
	__u32 dev; /* the kernel's encoding: major << 20 | minor */
};

struct rec_exec {
	struct rec_header h;
	__u64 parent_exec_ns; /* exec_ns of the parent (h.ppid) */
	__u32 flags; /* enum rec_exec_flag */
	__u32 pad;
	struct rec_str filename;
	struct rec_str exe;
	struct rec_str cwd;
	struct rec_str args; /* argv strings, each NUL-terminated */
	struct rec_str cgroup; /* "parent/leaf" cgroup directory names */
	struct rec_file_id exe_id; /* the file exe names (the interpreter for a script) */
	char data[];
};

struct rec_fork {
	struct rec_header h; /* the parent */
	__u32 child_pid;
	__u32 pad;
};

struct rec_chdir {
	struct rec_header h;
	__u32 flags; /* OPEN_PATH_TRUNCATED */
	__u32 pad;
	struct rec_str cwd;
	char data[];
};

struct rec_exit {
	struct rec_header h;
	__u64 duration_ns; /* since the process started */
	__u32 exit_code; /* wait status: (code << 8) | core (0x80) | signal */
	__u32 pad;
};

enum rec_net_proto {
	NET_PROTO_TCP = 1,
	NET_PROTO_UDP = 2,
};

struct rec_net {
	__u16 family; /* the socket's: AF_INET / AF_INET6 */
	__u16 addr_family; /* the destination address's: AF_INET / AF_INET6 */
	__u16 port; /* host order */
	__u8 protocol; /* enum rec_net_proto */
	__u8 pad;
	__u8 addr[16];
};

enum rec_connect_flag {
	CONNECT_VIA_IO_URING = 1 << 0, /* an IORING_OP_CONNECT, or a send submitted there */
};

struct rec_connect {
	struct rec_header h;
	struct rec_net dst;
	__s32 ret;
	__u32 flags; /* enum rec_connect_flag */
};

enum rec_listen_kind {
	LISTEN_TCP = 1, /* listen(): local is the bound address and port */
	LISTEN_UDP_BIND, /* bind() of a UDP socket to a port other than 0 */
	LISTEN_ACCEPT, /* accept()/accept4() returned a connection: peer is its remote end */
};

struct rec_listen {
	struct rec_header h;
	struct rec_net local; /* the socket's own address and port */
	struct rec_net peer; /* LISTEN_ACCEPT only */
	__u32 kind; /* enum rec_listen_kind */
	__s32 ret; /* the syscall's result: 0 or -errno, the new fd for accept */
};

enum rec_dns_flag {
	DNS_TRUNCATED = 1 << 0, /* the message was longer than TRACERD_DNS_PAYLOAD_MAX */
	DNS_TCP = 1 << 1, /* a chunk of a TCP stream: messages carry a 2-byte length prefix */
	DNS_RECEIVED = 1 << 2, /* read from the socket (an answer), not sent */
	DNS_VIA_IO_URING = 1 << 3, /* sent by an io_uring request (IORING_OP_SEND/SENDMSG) */
};

struct rec_dns {
	struct rec_header h;
	struct rec_net dst;
	__u16 flags; /* enum rec_dns_flag */
	__u16 len;
	__u32 pad;
	__u8 payload[TRACERD_DNS_PAYLOAD_MAX];
};

/*
 * Opens whose path a first write may take (WRITE_PATH_FROM_OPEN): the daemon keeps the
 * paths of the last TRACERD_OPEN_PATHS numbered open records, of up to
 * TRACERD_OPEN_PATH_KEEP_MAX bytes; the kernel sends the flag only for an open numbered
 * less than TRACERD_OPEN_PATHS_WINDOW before the last one, leaving the other half for
 * records in flight. A first write follows its open closely (a compiler's output, an
 * untarred file: a few opens apart); 4096 opens back is 0.2 s of the CI workload's, and
 * the table is 2.2 MiB of the daemon's memory, all of it touched.
 */
#define TRACERD_OPEN_PATHS 8192
#define TRACERD_OPEN_PATHS_WINDOW (TRACERD_OPEN_PATHS / 2)
#define TRACERD_OPEN_PATH_KEEP_MAX 256

enum rec_open_flag {
	OPEN_PATH_TRUNCATED = 1 << 0,
	OPEN_PATH_RELATIVE = 1 << 1, /* failed open of a relative path: join base + path */
	OPEN_BASE_TRUNCATED = 1 << 2,
	OPEN_IN_ROOT = 1 << 3, /* openat2(RESOLVE_IN_ROOT): the path stays inside base */
	OPEN_PSEUDO = 1 << 4, /* a file of no mount (pipe, socket...): see pseudo_* */
	OPEN_VIA_IO_URING = 1 << 5, /* an IORING_OP_OPENAT/OPENAT2 request */
};

struct rec_open {
	struct rec_header h;
	__s32 ret;
	__u32 open_flags; /* O_* as passed */
	__u32 flags; /* enum rec_open_flag */
	__u32 pseudo_magic; /* OPEN_PSEUDO: the superblock's magic (pipefs, sockfs...) */
	__u64 pseudo_ino; /* OPEN_PSEUDO: the inode number, as /proc/PID/fd shows it */
	/*
	 * An open whose path a first write may take (bpf/firstwrite.bpf.h), else both 0: the
	 * struct file pointer and the open's number, from 1.
	 */
	__u64 file;
	__u64 open_seq;
	struct rec_str path;
	struct rec_str base; /* cwd or dirfd path, for OPEN_PATH_RELATIVE */
	char data[];
};

/* Key of the in-kernel write accounting map. */
struct write_key {
	__u32 pid;
	__u32 pad;
	__u64 file; /* struct file pointer: the open file, whatever fd reaches it */
};

struct write_totals {
	__u64 bytes;
	__u64 writes;
	__u64 inode; /* the file's inode pointer: a reused struct file has another */
	__u64 path_sent; /* the first write's record (with the path) reached the daemon */
	__u64 via_io_uring; /* some of the writes were io_uring requests */
};

enum rec_write_flag {
	WRITE_PATH_TRUNCATED = 1 << 0,
	/*
	 * The totals come without a path: the daemon has it from the first write. Either the
	 * file is closed, or it was released without close(2) (dup2 over its fd, close_range,
	 * exec with O_CLOEXEC): seen then (bpf/release.bpf.h), or when its struct file is
	 * reused.
	 */
	WRITE_PATH_FROM_FIRST = 1 << 1,
	/*
	 * A first write without a path: it is the path of the open record numbered open_seq
	 * (of the same struct file), which no rename, mount change... can have changed since.
	 */
	WRITE_PATH_FROM_OPEN = 1 << 2,
};

struct rec_write {
	struct rec_header h;
	struct write_key key;
	struct write_totals totals; /* REC_WRITE_CLOSE only */
	__u32 flags; /* enum rec_write_flag */
	__u32 pad;
	__u64 open_seq; /* WRITE_PATH_FROM_OPEN only, else 0 */
	struct rec_str path; /* empty with WRITE_PATH_FROM_FIRST and WRITE_PATH_FROM_OPEN */
	char data[];
};

enum rec_tamper_action {
	TAMPER_SIGNAL = 1, /* value: the signal number */
	TAMPER_PTRACE, /* value: the ptrace request */
	TAMPER_MEM_READ, /* process_vm_readv() */
	TAMPER_MEM_WRITE, /* process_vm_writev() */
	TAMPER_OPEN_OUTPUT, /* value: the open flags */
	/*
	 * Not tamper: a stop signal from tracerd's parent or from PID 1, its supervisors.
	 * value: the signal number; the sender is in the header. Reported in trace_end.
	 */
	TAMPER_SUPERVISOR_STOP,
};

/* Another process acting on tracerd. */
struct rec_tamper {
	struct rec_header h;
	__u32 action; /* enum rec_tamper_action */
	__u32 target_pid;
	__s64 value;
	__s64 ret; /* the syscall's result, where there is one */
};

enum rec_access_action {
	ACCESS_PTRACE = 1, /* value: the ptrace request (attach, seize, peek, poke) */
	ACCESS_MEM_READ, /* process_vm_readv() */
	ACCESS_MEM_WRITE, /* process_vm_writev() */
	ACCESS_PIDFD_GETFD, /* value: the target's fd */
};

enum rec_access_flag {
	/* The caller is in a child pid namespace: target_pid is as it named it there. */
	ACCESS_PID_NAMESPACED = 1 << 0,
};

/* A process acting on another one (not tracerd: that is tamper). */
struct rec_access {
	struct rec_header h;
	__u32 action; /* enum rec_access_action */
	__u32 target_pid;
	__u64 target_exec_ns; /* the target's exec time when the trace knows it, else 0 */
	__s64 value;
	__s32 ret;
	__u32 flags; /* enum rec_access_flag */
};

/*
 * io_uring_setup(), seen at its exit on every kernel: the ring's operations are seen only
 * where the io_uring tracepoints give the request (ops_traced).
 */
struct rec_io_uring_setup {
	struct rec_header h;
	__s32 ret; /* the ring's fd, or -errno */
	__u32 entries; /* the SQ size asked for */
	__u32 setup_flags; /* IORING_SETUP_* as passed */
	__u32 sq_entries; /* the sizes the kernel gave (ret >= 0), else 0 */
	__u32 cq_entries;
	__u32 ops_traced; /* 1: this kernel's tracepoints let tracerd see the requests */
};

/* The output file, so that an open of it by another process is seen. */
struct output_id {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

#endif
