/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which of the two BPF objects a kernel loads: the one that runs its loops with
 * bpf_loop() (5.17 and later), or the one with bounded loops (bpf/compat.bpf.h,
 * BOUNDED_LOOP). Read from the kernel's BTF, as CO-RE would read it.
 */
#ifndef TRACERD_BPF_LOOP_PROBE_H
#define TRACERD_BPF_LOOP_PROBE_H

#include <stdbool.h>

struct btf;

/* Whether the kernel's enum bpf_func_id has BPF_FUNC_loop; false without BTF. */
bool bpf_loop_available(const struct btf *btf);

#endif
