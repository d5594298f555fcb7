// SPDX-License-Identifier: GPL-2.0-only
#include "io_uring_probe.h"

#include <bpf/btf.h>
#include <stdbool.h>
#include <string.h>

/* The prototype of a tracepoint (void *__data, args...), from its btf_trace_ typedef. */
static const struct btf_type *tracepoint_proto(const struct btf *btf, const char *typedef_name)
{
	int id = btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF);
	const struct btf_type *t;

	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

/* Whether argument i (from 0, after __data) of proto is a pointer, to struct name if given. */
static bool tracepoint_arg_is_ptr(const struct btf *btf, const struct btf_type *proto, int i,
				  const char *name)
{
	const struct btf_type *t;

	if (!proto || btf_vlen(proto) <= i + 1)
		return false;
	t = btf__type_by_id(btf, btf_params(proto)[i + 1].type);
	if (!t || !btf_is_ptr(t))
		return false;
	if (!name)
		return true;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_struct(t) && strcmp(btf__name_by_offset(btf, t->name_off), name) == 0;
}

enum io_uring_submit_tp io_uring_submit_tracepoint(const struct btf *btf)
{
	/* What io_uring.bpf.h reads; io_cmd_data came with 6.0's io_kiocb_to_cmd(). */
	static const char *const structs[] = { "io_open", "io_close", "io_connect", "io_sr_msg",
					       "io_cmd_data" };

	if (!btf)
		return IO_URING_SUBMIT_NONE;
	for (size_t i = 0; i < sizeof(structs) / sizeof(structs[0]); i++) {
		if (btf__find_by_name_kind(btf, structs[i], BTF_KIND_STRUCT) < 0)
			return IO_URING_SUBMIT_NONE;
	}
	if (!tracepoint_arg_is_ptr(btf, tracepoint_proto(btf, "btf_trace_io_uring_complete"), 1,
				   NULL))
		return IO_URING_SUBMIT_NONE;
	if (tracepoint_arg_is_ptr(btf, tracepoint_proto(btf, "btf_trace_io_uring_submit_req"), 0,
				  "io_kiocb"))
		return IO_URING_SUBMIT_REQ;
	/* 5.15 to 5.19 pass (ctx, req...) before the prep: their first argument is no request. */
	if (tracepoint_arg_is_ptr(btf, tracepoint_proto(btf, "btf_trace_io_uring_submit_sqe"), 0,
				  "io_kiocb"))
		return IO_URING_SUBMIT_SQE;
	return IO_URING_SUBMIT_NONE;
}
