// SPDX-License-Identifier: GPL-2.0-only
#include "proctable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Chained hash by pid. Working directories are shared between a parent and the children
 * it forks (most never chdir), counted by reference.
 */
#define PROC_BUCKETS 8192

struct proc_cwd {
	unsigned int refs;
	size_t len;
	char path[];
};

struct proc_entry {
	struct proc_entry *next;
	uint32_t pid;
	struct proc_cwd *cwd;
};

struct proc_table {
	struct proc_entry *buckets[PROC_BUCKETS];
};

int proc_table_new(struct proc_table **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

static void proc_cwd_put(struct proc_cwd *cwd)
{
	if (cwd && --cwd->refs == 0)
		free(cwd);
}

void proc_table_free(struct proc_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < PROC_BUCKETS; i++) {
		struct proc_entry *e = t->buckets[i];

		while (e) {
			struct proc_entry *next = e->next;

			proc_cwd_put(e->cwd);
			free(e);
			e = next;
		}
	}
	free(t);
}

static struct proc_entry **proc_slot(const struct proc_table *t, uint32_t pid)
{
	struct proc_entry **p =
		(struct proc_entry **)&t->buckets[(pid * 2654435761u) % PROC_BUCKETS];

	while (*p && (*p)->pid != pid)
		p = &(*p)->next;
	return p;
}

/* Gives pid the working directory cwd (a reference taken by the caller). */
static int proc_table_attach(struct proc_table *t, uint32_t pid, struct proc_cwd *cwd)
{
	struct proc_entry **p = proc_slot(t, pid);

	if (!*p) {
		*p = calloc(1, sizeof(**p));
		if (!*p) {
			proc_cwd_put(cwd);
			return -ENOMEM;
		}
		(*p)->pid = pid;
	}
	proc_cwd_put((*p)->cwd);
	(*p)->cwd = cwd;
	return 0;
}

int proc_table_set_cwd(struct proc_table *t, uint32_t pid, const char *path, size_t len)
{
	struct proc_entry *e = *proc_slot(t, pid);
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
	struct proc_entry *e = *proc_slot(t, parent);

	if (!e) {
		proc_table_remove(t, child); /* pid reuse: forget what the old one had */
		return 0;
	}
	e->cwd->refs++;
	return proc_table_attach(t, child, e->cwd);
}

void proc_table_remove(struct proc_table *t, uint32_t pid)
{
	struct proc_entry **p = proc_slot(t, pid);
	struct proc_entry *e = *p;

	if (!e)
		return;
	*p = e->next;
	proc_cwd_put(e->cwd);
	free(e);
}

const char *proc_table_cwd(const struct proc_table *t, uint32_t pid, size_t *ret_len)
{
	struct proc_entry *e = *proc_slot(t, pid);

	if (!e)
		return NULL;
	*ret_len = e->cwd->len;
	return e->cwd->path;
}
