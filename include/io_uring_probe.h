/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which io_uring tracepoint, if any, lets tracerd read a prepared request on the running
 * kernel: decided from its BTF before the BPF programs are loaded (bpf_setup.c switches the
 * others off).
 */
#ifndef TRACERD_IO_URING_PROBE_H
#define TRACERD_IO_URING_PROBE_H

struct btf;

enum io_uring_submit_tp {
	IO_URING_SUBMIT_NONE, /* before 6.0: requests not seen, only io_uring_setup */
	IO_URING_SUBMIT_REQ, /* io_uring_submit_req(req): 6.3 and later */
	IO_URING_SUBMIT_SQE, /* io_uring_submit_sqe(req, force_nonblock): 6.0 to 6.2 */
};

/*
 * The submit tracepoint that passes the request once the kernel prepared it (an open's
 * filename read, a connect's address...), when btf also has the commands the BPF side
 * reads and an io_uring_complete whose second argument is the request.
 */
enum io_uring_submit_tp io_uring_submit_tracepoint(const struct btf *btf);

#endif
