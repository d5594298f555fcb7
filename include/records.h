/* SPDX-License-Identifier: GPL-2.0-only */
/* Records from the kernel, checked, enriched and written as trace lines. */
#ifndef TRACERD_RECORDS_H
#define TRACERD_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "dnscache.h"
#include "proctable.h"
#include "trace.h"
#include "writes.h"

struct records {
	struct trace *trace;
	struct cgroup_cache *cgroups;
	struct write_table *writes;
	struct dns_cache *dns;
	struct proc_table *procs; /* working directories */
	int write_totals_fd; /* the kernel's write_totals map */
	const char *output_path; /* absolute, for tamper lines; NULL for stdout */
	/* pids whose last DNS-over-TCP chunk was a lone 2-byte length prefix */
	uint32_t tcp_prefix_pending[64];
};

/* One ring buffer record. A record that does not decode is counted, never written. */
void records_handle(struct records *r, const void *data, size_t size);

/* Trace end: file_write lines for files still open. */
void records_finish(struct records *r);

#endif
