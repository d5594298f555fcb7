/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * io_uring: requests that open, write, close, connect and send without the syscalls the
 * other families watch. Every io_uring_setup() is a record of its own (from sys_exit, on
 * every kernel), so a process using a ring is never silent. Where the kernel's io_uring
 * tracepoints pass the request (struct io_kiocb, kernel 6.0 and later), its operations
 * become the same lines as their syscalls, marked via io_uring:
 *
 *   io_uring_submit_req: the request is prepared (the sqe read, an open's filename and
 *	flags, a connect's address): what the result will need is kept under the request's
 *	address in io_uring_reqs, read in the submitter's (or the SQPOLL thread's) context.
 *   io_uring_complete: its result is known (req->cqe.res): the record is sent, in a
 *	thread of the ring's process (the submitter, an iou-wrk worker or the iou-sqp
 *	thread: all share its tgid, files and memory).
 *
 * Writes need nothing from submit: req->file and the result are there at completion.
 * Nothing here runs for a process that does not use io_uring.
 */
#ifndef TRACERD_IO_URING_BPF_H
#define TRACERD_IO_URING_BPF_H

#include "file.bpf.h"
#include "net.bpf.h"

#define IO_URING_REQS_MAX 4096 /* requests in flight remembered; LRU beyond */

/* Set by the daemon before load: the request programs below are loaded. */
const volatile bool io_uring_ops_traced = false;

/*
 * An open prepared by io_uring has O_LARGEFILE added by the kernel on 64-bit
 * (force_o_largefile()); the flags reported are the ones the process passed.
 */
#if defined(__TARGET_ARCH_arm64)
#define IO_URING_O_LARGEFILE 0400000
#else
#define IO_URING_O_LARGEFILE 0100000
#endif

enum io_uring_req_flag {
	IO_URING_REQ_FIXED_SLOT = 1 << 0, /* an open into a fixed file slot: res is no fd */
	IO_URING_REQ_IN_ROOT = 1 << 1, /* openat2's RESOLVE_IN_ROOT */
};

/* What a request's completion needs from its submission. */
struct io_uring_req_state {
	__u32 tgid; /* the submitter's: a completion elsewhere is not its own */
	__u8 opcode;
	__u8 flags; /* enum io_uring_req_flag */
	__u16 pad;
	__s32 fd; /* open: the dirfd */
	__u32 open_flags;
	__u64 ptr; /* open: the user filename; send: the buffer; sendmsg: the user msghdr */
	__u64 len; /* send: the buffer's length */
	__u64 file; /* close: the struct file its fd named */
	struct rec_net dst; /* connect: the address asked for */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IO_URING_REQS_MAX);
	__type(key, __u64); /* struct io_kiocb pointer */
	__type(value, struct io_uring_req_state);
} io_uring_reqs SEC(".maps");

/*
 * The user's filename pointer of a prepared open, kept in its struct filename (uptr) up to
 * the kernels whose io_open holds a struct delayed_filename instead of a struct filename
 * pointer (Debian's 7.3 BTF has it), and whose struct filename has no uptr: 0 there.
 */
struct filename___uptr {
	const char *uptr;
} __attribute__((preserve_access_index));

struct io_open___filename_ptr {
	struct filename___uptr *filename;
} __attribute__((preserve_access_index));

static __always_inline __u64 io_open_user_filename(void *open)
{
	struct io_open___filename_ptr *o = open;
	struct filename___uptr *f;

	if (!bpf_core_field_exists(o->filename))
		return 0;
	f = BPF_CORE_READ(o, filename);
	if (!bpf_core_field_exists(f->uptr))
		return 0;
	return (__u64)BPF_CORE_READ(f, uptr);
}

/* The request's command (io_kiocb_to_cmd()): struct io_open, io_connect... */
static __always_inline void *io_uring_cmd(struct io_kiocb *req)
{
	return (void *)req + bpf_core_field_offset(struct io_kiocb, cmd);
}

/*
 * io_uring_setup() at its exit: the ring's flags and sizes from the user's params. Built
 * in the scratch buffer and read field by field: sys_exit's stack, plus that of the global
 * function it calls, must stay within 512 bytes on kernels before 6.13.
 */
static __always_inline void io_uring_setup_exit(struct pt_regs *regs, long ret)
{
	struct io_uring_params *up = (void *)SYSCALL_ARG2(regs);
	struct rec_io_uring_setup *rec = record_start(REC_IO_URING_SETUP);

	if (!rec)
		return;
	rec->ret = ret;
	rec->entries = SYSCALL_ARG1(regs);
	rec->setup_flags = 0;
	rec->sq_entries = 0;
	rec->cq_entries = 0;
	bpf_probe_read_user(&rec->setup_flags, sizeof(rec->setup_flags), &up->flags);
	/* The kernel writes the sizes back only for a ring it made. */
	if (ret >= 0) {
		bpf_probe_read_user(&rec->sq_entries, sizeof(rec->sq_entries), &up->sq_entries);
		bpf_probe_read_user(&rec->cq_entries, sizeof(rec->cq_entries), &up->cq_entries);
	}
	rec->ops_traced = io_uring_ops_traced;
	record_submit(&rec->h, sizeof(*rec));
}

static __always_inline bool io_uring_op_is_write(__u8 op)
{
	return op == IORING_OP_WRITE || op == IORING_OP_WRITEV || op == IORING_OP_WRITE_FIXED ||
	       op == IORING_OP_WRITEV_FIXED;
}

static __always_inline bool io_uring_op_is_send(__u8 op)
{
	return op == IORING_OP_SEND || op == IORING_OP_SEND_ZC;
}

static __always_inline bool io_uring_op_is_sendmsg(__u8 op)
{
	return op == IORING_OP_SENDMSG || op == IORING_OP_SENDMSG_ZC;
}

/* The operations whose completion needs state kept at submission. */
static __always_inline bool io_uring_op_kept(__u8 op)
{
	return op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2 || op == IORING_OP_CLOSE ||
	       op == IORING_OP_CONNECT || io_uring_op_is_send(op) || io_uring_op_is_sendmsg(op);
}

/* Fills st from the prepared request; false when there is nothing to keep. */
static __always_inline bool io_uring_req_read(struct io_kiocb *req, __u8 op,
					      struct io_uring_req_state *st)
{
	void *cmd = io_uring_cmd(req);

	if (op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2) {
		struct io_open *o = cmd;

		st->fd = BPF_CORE_READ(o, dfd);
		st->open_flags = BPF_CORE_READ(o, how.flags) & ~IO_URING_O_LARGEFILE;
		st->ptr = io_open_user_filename(o);
		if (BPF_CORE_READ(o, file_slot))
			st->flags |= IO_URING_REQ_FIXED_SLOT;
		if (BPF_CORE_READ(o, how.resolve) & RESOLVE_IN_ROOT)
			st->flags |= IO_URING_REQ_IN_ROOT;
		return true;
	}
	if (op == IORING_OP_CLOSE) {
		struct io_close *c = cmd;

		/* A fixed slot's file was never in the fd table: no write totals to close. */
		if (BPF_CORE_READ(c, file_slot))
			return false;
		st->file = (__u64)fd_to_file(BPF_CORE_READ(c, fd));
		return st->file != 0;
	}
	if (op == IORING_OP_CONNECT) {
		struct io_connect *c = cmd;

		/* The kernel copied it at prep; the user's copy is still the same now. */
		return net_dest_from_user(BPF_CORE_READ(c, addr), &st->dst);
	}
	/* send and sendmsg: the user buffer or msghdr, read again at completion. */
	st->ptr = (__u64)BPF_CORE_READ((struct io_sr_msg *)cmd, buf);
	st->len = BPF_CORE_READ((struct io_sr_msg *)cmd, len);
	return st->ptr != 0;
}

static __always_inline void io_uring_submit(struct io_kiocb *req)
{
	__u8 op = BPF_CORE_READ(req, opcode);
	struct io_uring_req_state st = {};
	__u64 key = (__u64)req;

	/* By anyone, and run whenever: no earlier walk can be reused (firstwrite.bpf.h). */
	if (op == IORING_OP_RENAMEAT || op == IORING_OP_UNLINKAT)
		path_reuse_off = 1;
	if (!io_uring_op_kept(op) || !current_wanted())
		return;
	st.tgid = current_tgid();
	st.opcode = op;
	if (!io_uring_req_read(req, op, &st))
		return;
	if (bpf_map_update_elem(&io_uring_reqs, &key, &st, BPF_ANY))
		record_lost(op == IORING_OP_CONNECT ? REC_CONNECT :
			    op == IORING_OP_CLOSE   ? REC_WRITE_CLOSE :
			    io_uring_op_is_send(op) || io_uring_op_is_sendmsg(op) ? REC_DNS :
										    REC_OPEN,
			    REC_LOST_MAP_FULL);
}

/* A write request's bytes, counted with the file's other writes. */
static __always_inline void io_uring_write(struct io_kiocb *req, long res)
{
	struct file *file = BPF_CORE_READ(req, file);
	struct write_totals *t;
	struct write_key key;

	if (!file || file_mode_type(file) != S_IFREG)
		return;
	file_write_account(file, res);
	key = file_write_key(file);
	t = bpf_map_lookup_elem(&write_totals, &key);
	if (t)
		t->via_io_uring = 1;
}

/*
 * A close request that succeeded: the file's write totals are sent when it released the
 * last reference (the count is 0 once it did, the file not freed before the task returns
 * to user space). A reference still held, by another fd or by a request not yet freed
 * (one in the same submission batch), leaves the totals to the process's exit.
 */
static __always_inline void io_uring_close(struct file *file)
{
	struct write_key key = file_write_key(file);
	struct write_totals *t = bpf_map_lookup_elem(&write_totals, &key);
	struct write_totals totals;

	if (!t || file_refcount(file) > 0)
		return;
	totals = *t;
	bpf_map_delete_elem(&write_totals, &key);
	file_write_output(REC_WRITE_CLOSE, &key, &totals, totals.path_sent ? NULL : file, 0);
}

static __always_inline void io_uring_open(struct io_uring_req_state *st, long res)
{
	struct open_args a = {
		.dfd = st->fd,
		.filename = (const char *)st->ptr,
		.flags = st->open_flags,
		.in_root = st->flags & IO_URING_REQ_IN_ROOT,
	};
	struct file *file = NULL;

	if (res >= 0 && !(st->flags & IO_URING_REQ_FIXED_SLOT))
		file = fd_to_file(res);
	/* No file and no name (a kernel without filename->uptr): the line cannot be made. */
	if (!file && !st->ptr) {
		record_lost(REC_OPEN, REC_LOST_NO_NAME);
		return;
	}
	file_open_output(&a, file, res, OPEN_VIA_IO_URING);
}

static __always_inline void io_uring_connect(struct io_kiocb *req, struct io_uring_req_state *st,
					     long res)
{
	struct sock *sk = file_sock(BPF_CORE_READ(req, file));
	struct rec_net dst = st->dst;

	if (!sk || !net_sock_fill(sk, &dst))
		return;
	net_connect_output(&dst, res, CONNECT_VIA_IO_URING);
}

static __always_inline void io_uring_send(struct io_kiocb *req, struct io_uring_req_state *st,
					  long res)
{
	struct sock *sk = file_sock(BPF_CORE_READ(req, file));
	struct net_data d = { .buf = (void *)st->ptr, .len = st->len };

	if (!sk)
		return;
	if (io_uring_op_is_sendmsg(st->opcode))
		net_transfer_msghdr((__u64)sk, st->ptr, res, DNS_VIA_IO_URING);
	else
		net_transfer(sk, NULL, &d, res, DNS_VIA_IO_URING);
}

static __always_inline void io_uring_complete(struct io_kiocb *req)
{
	__u8 op = BPF_CORE_READ(req, opcode);
	long res = BPF_CORE_READ(req, cqe.res);
	struct io_uring_req_state st, *kept;
	__u64 key = (__u64)req;

	if (io_uring_op_is_write(op)) {
		if (res > 0 && current_wanted())
			io_uring_write(req, res);
		return;
	}
	if (!io_uring_op_kept(op))
		return;
	kept = bpf_map_lookup_elem(&io_uring_reqs, &key);
	if (!kept)
		return;
	st = *kept;
	bpf_map_delete_elem(&io_uring_reqs, &key);
	/* Completed by a kernel worker for an exiting process: not a thread of its own. */
	if (st.tgid != current_tgid() || st.opcode != op)
		return;
	if (op == IORING_OP_OPENAT || op == IORING_OP_OPENAT2)
		io_uring_open(&st, res);
	else if (op == IORING_OP_CLOSE && res == 0)
		io_uring_close((struct file *)st.file);
	else if (op == IORING_OP_CONNECT)
		io_uring_connect(req, &st, res);
	else if (op != IORING_OP_CLOSE)
		io_uring_send(req, &st, res);
}

#endif
