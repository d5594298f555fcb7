/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The process tree of a trace, built as lines stream by: one node per process image
 * (exec_id), linked to its parent by parent_exec_id, or by ppid for a process that has
 * not exec'd in the trace (a fork). Kept for the whole trace: it is one of the sets a
 * reader must keep, proportional to the processes, not to the events.
 */
#ifndef READER_PROCTREE_H
#define READER_PROCTREE_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

struct proc {
	char *exec_id;
	struct proc *parent;
	long long pid;
	char *exe; /* exe, else filename, else NULL (not exec'd in the trace) */
	char *comm;
	char *cmdline; /* argv as one shell-quoted string, bounded */
	char *script; /* the script an interpreter runs, for a #! exec (else NULL) */
	unsigned long exec_line; /* 0: no process_exec line */
	int depth;
	bool exited, replaced;
	void *mark; /* for a command's own per-process state */
};

struct proctree {
	struct strmap by_exec_id;
	struct strmap by_pid; /* decimal pid -> the process's current image */
};

/* The node of any event line (created on first sight); NULL without exec_id. */
struct proc *proctree_update(struct proctree *t, const json_t *obj, bool is_exec,
			     unsigned long line);
void proctree_exit(struct proctree *t, struct proc *p);
struct proc *proctree_get(const struct proctree *t, const char *exec_id);
/* "exe [comm]" when comm is not exe's name: how summaries name a program. */
void proc_label(struct sbuf *b, const struct proc *p);
void proctree_free(struct proctree *t);

#define PROC_CMDLINE_MAX 400

#endif
