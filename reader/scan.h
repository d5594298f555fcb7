/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One pass over a trace shared by the commands: reads each line, keeps the process tree
 * and the trace's own facts (start, end, losses, counts), and hands each event to the
 * command. Lines the command does not need are counted by type and not parsed: a
 * file_open whose path cannot be sensitive, when the command says so.
 */
#ifndef READER_SCAN_H
#define READER_SCAN_H

#include <jansson.h>

#include "proctree.h"
#include "rules.h"
#include "trace.h"

struct scan {
	struct trace_reader r;
	struct proctree tree;
	const struct policy *policy;
	bool skip_plain_opens; /* file_open lines that cannot be sensitive are not parsed */
	bool stop_at_end; /* stop at trace_end (--follow) */
	/* What the trace says about itself. */
	json_t *start, *end; /* trace_start and trace_end lines (NULL: not seen) */
	long long lost;
	json_t *lost_by_type; /* type -> count, summed over events_lost lines */
	unsigned long lines, by_type[EV_TYPE_COUNT];
	char first_ts[40], last_ts[40];
	/* The command's handler: the parsed line and its process (NULL for trace lines). */
	void (*on_event)(struct scan *s, json_t *obj, struct proc *p, void *ctx);
	void *ctx;
};

void scan_init(struct scan *s, const struct policy *policy);
/* Reads the whole trace: 0, or -errno with s->r.err naming the file and line. */
int scan_run(struct scan *s, const char *path, bool follow);
void scan_free(struct scan *s);

/* "N lines, cut short" facts for reports, as one JSON object. */
json_t *scan_trace_facts(const struct scan *s, const char *path);

#endif
