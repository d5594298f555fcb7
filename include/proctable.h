/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The working directory of every process the trace has seen exec, fork or chdir, kept
 * from those records as they come (never read from /proc after the fact, which races
 * with short-lived processes), so that every event line can say where its process was.
 */
#ifndef TRACERD_PROCTABLE_H
#define TRACERD_PROCTABLE_H

#include <stddef.h>
#include <stdint.h>

struct proc_table;

int proc_table_new(struct proc_table **ret);
/* Frees the table and its entries; NULL is accepted. */
void proc_table_free(struct proc_table *t);

/* pid's working directory is now cwd (an exec or a chdir said so). */
int proc_table_set_cwd(struct proc_table *t, uint32_t pid, const char *cwd, size_t len);
/* A new process starts where its parent was. */
int proc_table_fork(struct proc_table *t, uint32_t parent, uint32_t child);
/* The process is gone. */
void proc_table_remove(struct proc_table *t, uint32_t pid);

/* pid's working directory, or NULL when the trace has not seen it; *ret_len its length. */
const char *proc_table_cwd(const struct proc_table *t, uint32_t pid, size_t *ret_len);

#endif
