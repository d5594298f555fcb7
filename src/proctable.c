// SPDX-License-Identifier: GPL-2.0-only
#include "proctable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/*
 * Chained by pid, one entry per pid. Working directories are shared between a parent and
 * the children it forks (most never chdir), counted by reference.
 */
#define PROC_BUCKETS 8192

struct proc_cwd {
	unsigned int refs;
	size_t len;
	char path[];
};

struct proc_entry {
	struct pid_node node;
	struct proc_cwd *cwd;
};

struct proc_table {
	struct pid_table pids;
};

int proc_table_new(struct proc_table **ret)
{
	struct proc_table *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	err = pid_table_init(&t->pids, PROC_BUCKETS);
	if (err) {
		free(t);
		return err;
	}
	*ret = t;
	return 0;
}

static void proc_cwd_put(struct proc_cwd *cwd)
{
	if (cwd && --cwd->refs == 0)
		free(cwd);
}

static void proc_entry_free(struct pid_node *n)
{
	struct proc_entry *e = container_of(n, struct proc_entry, node);

	proc_cwd_put(e->cwd);
	free(e);
}

void proc_table_free(struct proc_table *t)
{
	struct pid_node *n;

	if (!t)
		return;
	while ((n = pid_table_take_any(&t->pids)))
		proc_entry_free(n);
	pid_table_fini(&t->pids);
	free(t);
}

static struct proc_entry *proc_entry(const struct proc_table *t, uint32_t pid)
{
	struct pid_node *n = pid_table_find(&t->pids, pid);

	return n ? container_of(n, struct proc_entry, node) : NULL;
}

/* Gives pid the working directory cwd (a reference taken by the caller). */
static int proc_table_attach(struct proc_table *t, uint32_t pid, struct proc_cwd *cwd)
{
	struct proc_entry *e = proc_entry(t, pid);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			proc_cwd_put(cwd);
			return -ENOMEM;
		}
		e->node.pid = pid;
		pid_table_add(&t->pids, &e->node);
	}
	proc_cwd_put(e->cwd);
	e->cwd = cwd;
	return 0;
}

int proc_table_set_cwd(struct proc_table *t, uint32_t pid, const char *path, size_t len)
{
	struct proc_entry *e = proc_entry(t, pid);
	struct proc_cwd *cwd;

	if (e && e->cwd->len == len && memcmp(e->cwd->path, path, len) == 0)
		return 0;
	cwd = malloc(sizeof(*cwd) + len + 1);
	if (!cwd)
		return -ENOMEM;
	cwd->refs = 1;
	cwd->len = len;
	memcpy(cwd->path, path, len);
	cwd->path[len] = '\0';
	return proc_table_attach(t, pid, cwd);
}

int proc_table_fork(struct proc_table *t, uint32_t parent, uint32_t child)
{
	struct proc_entry *e = proc_entry(t, parent);

	if (!e) {
		proc_table_remove(t, child); /* pid reuse: forget what the old one had */
		return 0;
	}
	e->cwd->refs++;
	return proc_table_attach(t, child, e->cwd);
}

void proc_table_remove(struct proc_table *t, uint32_t pid)
{
	struct pid_node *n = pid_table_take(&t->pids, pid, NULL, NULL);

	if (n)
		proc_entry_free(n);
}

const char *proc_table_cwd(const struct proc_table *t, uint32_t pid, size_t *ret_len)
{
	struct proc_entry *e = proc_entry(t, pid);

	if (!e)
		return NULL;
	*ret_len = e->cwd->len;
	return e->cwd->path;
}
