/* SPDX-License-Identifier: GPL-2.0-only */
/* Checking the kernel, then loading and attaching the BPF programs. */
#ifndef TRACERD_BPF_SETUP_H
#define TRACERD_BPF_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tracerd_bpf;
struct ring_buffer;
struct write_key;
struct write_totals;

struct bpf_setup_params {
	uint32_t self_tgid;
	uint32_t hasher_tgid; /* not traced either; 0: none */
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

/* A reader of the events ring buffer calling fn(ctx, record, size) for each record. */
struct ring_buffer *bpf_setup_ring_buffer_new(struct tracerd_bpf *skel,
					      int (*fn)(void *ctx, void *data, size_t size),
					      void *ctx);

/*
 * Takes (reads and deletes) the kernel's write totals of key: 0 or -ENOENT. skel is the
 * struct tracerd_bpf, as records_take_write_totals_fn passes it.
 */
int bpf_setup_take_write_totals(void *skel, const struct write_key *key,
				struct write_totals *totals);

/* Kernel-side losses per record type, summed over CPUs and causes, into lost[REC_TYPE_MAX]. */
int bpf_setup_read_lost(struct tracerd_bpf *skel, uint64_t *lost);

void bpf_setup_destroy(struct tracerd_bpf *skel);

#endif
