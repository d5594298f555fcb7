/* SPDX-License-Identifier: GPL-2.0-only */
/* Checking the kernel, then loading and attaching the BPF programs. */
#ifndef TRACERD_BPF_SETUP_H
#define TRACERD_BPF_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tracerd_bpf;

struct bpf_setup_params {
	uint32_t self_tgid;
	bool filter_traced;
	uint32_t ringbuf_bytes;
};

/*
 * Checks what tracerd needs (privileges, BTF, ring buffer, no lockdown of BPF reads) and
 * says what is missing in why when not. Returns 0 or -errno.
 */
int bpf_setup_preflight(char *why, size_t len);

/* Opens, loads and attaches everything. On error *ret_why says which step failed. */
int bpf_setup_load(const struct bpf_setup_params *p, struct tracerd_bpf **ret_skel,
		   const char **ret_why);

/* Adds pid to the traced set (-- COMMAND mode). */
int bpf_setup_trace_pid(struct tracerd_bpf *skel, uint32_t pid);

/* Tells the kernel which file is the output, for tamper evidence; fd may be any file. */
int bpf_setup_watch_output(struct tracerd_bpf *skel, int fd);

/* Kernel-side losses per record type, summed over CPUs, into lost[REC_TYPE_MAX]. */
int bpf_setup_read_lost(struct tracerd_bpf *skel, uint64_t *lost);

void bpf_setup_destroy(struct tracerd_bpf *skel);

#endif
