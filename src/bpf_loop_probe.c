// SPDX-License-Identifier: GPL-2.0-only
#include "bpf_loop_probe.h"

#include <bpf/btf.h>
#include <string.h>

bool bpf_loop_available(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "bpf_func_id", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!t)
		return false;
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		if (strcmp(btf__name_by_offset(btf, e[i].name_off), "BPF_FUNC_loop") == 0)
			return true;
	}
	return false;
}
