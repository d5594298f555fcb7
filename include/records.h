/* SPDX-License-Identifier: GPL-2.0-only */
/* Records from the kernel, checked, enriched and written as trace lines. */
#ifndef TRACERD_RECORDS_H
#define TRACERD_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "dnscache.h"
#include "exehash.h"
#include "linehead.h"
#include "openpaths.h"
#include "proctable.h"
#include "trace.h"
#include "tracerd_event.h"
#include "writes.h"

/*
 * Reads the kernel's write totals of an open file and removes them, so that they are
 * reported once: 0, or -ENOENT when a close record already took them.
 */
typedef int (*records_take_write_totals_fn)(void *ctx, const struct write_key *key,
					    struct write_totals *totals);

struct records {
	struct trace *trace;
	struct cgroup_cache *cgroups; /* the caller's: it outlives the records */
	struct write_table *writes;
	struct open_paths *opens; /* paths first writes may take (WRITE_PATH_FROM_OPEN) */
	struct dns_cache *dns;
	struct proc_table *procs; /* working directories */
	struct line_head *head; /* the common fields of the last line, rendered */
	struct exehash *hashes; /* the caller's; NULL: exec lines carry no hash */
	records_take_write_totals_fn take_write_totals;
	void *take_write_totals_ctx;
	char *output_path; /* absolute, for tamper lines; NULL for stdout */
	/* pids whose last DNS-over-TCP chunk was a lone 2-byte length prefix */
	uint32_t tcp_prefix_pending[64];
};

/* What the records are decoded against, besides the records themselves. */
struct records_config {
	struct trace *trace; /* the lines go there */
	struct cgroup_cache *cgroups; /* container ids; the caller keeps and frees it */
	const char *output_path; /* names the trace file in tamper lines; NULL: stdout */
	struct exehash *hashes; /* executables' hashes; NULL: none */
	records_take_write_totals_fn take_write_totals;
	void *take_write_totals_ctx;
};

/* Sets r up empty. Returns 0 or -ENOMEM. */
int records_init(struct records *r, const struct records_config *cfg);
/* Frees what records_init() made; safe on a zeroed struct records. */
void records_free(struct records *r);

/* One ring buffer record. A record that cannot be decoded or kept is counted, never written. */
void records_handle(struct records *r, const void *data, size_t size);

/* Trace end: file_write lines for files still open. */
void records_finish(struct records *r);

/* The loss reason of a record type the kernel could not send (events_lost.by_type). */
enum loss_reason records_loss_reason(uint16_t rec_type);

#endif
