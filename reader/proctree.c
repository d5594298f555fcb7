// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proctree.h"
#include "trace.h"

struct proc *proctree_get(const struct proctree *t, const char *exec_id)
{
	return exec_id ? strmap_get(&t->by_exec_id, exec_id) : NULL;
}

static struct proc *current_image(const struct proctree *t, long long pid)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", pid);
	return strmap_get(&t->by_pid, key);
}

static void set_current_image(struct proctree *t, struct proc *p)
{
	char key[24];
	struct proc **slot;

	snprintf(key, sizeof(key), "%lld", p->pid);
	slot = (struct proc **)strmap_slot(&t->by_pid, key, NULL);
	if (*slot && *slot != p && p->exec_line)
		(*slot)->replaced = true;
	*slot = p;
}

static void cmdline_of(struct proc *p, const json_t *obj)
{
	const json_t *arg;
	struct sbuf b = { 0 };
	size_t i;

	json_array_foreach(json_object_get(obj, "args"), i, arg)
	{
		if (!json_is_string(arg))
			continue;
		if (i)
			sbuf_addc(&b, ' ');
		sbuf_add_shell_word(&b, json_string_value(arg));
		if (b.len > PROC_CMDLINE_MAX) {
			b.len = PROC_CMDLINE_MAX;
			b.s[b.len] = '\0';
			sbuf_add(&b, "...");
			break;
		}
	}
	free(p->cmdline);
	p->cmdline = b.s ? b.s : xstrdup("");
}

static void fill_exec(struct proctree *t, struct proc *p, const json_t *obj, unsigned long line)
{
	const char *exe = ev_str(obj, "exe") ?: ev_str(obj, "filename");
	struct proc *parent = proctree_get(t, ev_str(obj, "parent_exec_id"));

	const char *filename = ev_str(obj, "filename");
	const char *arg1 = json_string_value(json_array_get(json_object_get(obj, "args"), 1));

	free(p->exe);
	p->exe = exe ? xstrdup(exe) : NULL;
	/* A #! script: the kernel runs the interpreter with the script's path as argv[1]. */
	free(p->script);
	p->script = filename && arg1 && exe && strcmp(filename, arg1) == 0 &&
				    strcmp(filename, exe) != 0 ?
			    xstrdup(filename) :
			    NULL;
	cmdline_of(p, obj);
	p->exec_line = line;
	if (parent && parent != p) {
		p->parent = parent;
		p->depth = parent->depth + 1;
	}
}

struct proc *proctree_update(struct proctree *t, const json_t *obj, bool is_exec,
			     unsigned long line)
{
	const char *exec_id = ev_str(obj, "exec_id"), *comm = ev_str(obj, "comm");
	struct proc **slot, *p;
	bool created;

	if (!exec_id)
		return NULL;
	slot = (struct proc **)strmap_slot(&t->by_exec_id, exec_id, &created);
	if (created) {
		p = *slot = xcalloc(1, sizeof(*p));
		p->exec_id = xstrdup(exec_id);
		p->pid = ev_int(obj, "pid", -1);
		p->parent = current_image(t, ev_int(obj, "ppid", -1));
		p->depth = p->parent ? p->parent->depth + 1 : 0;
	}
	p = *slot;
	if (comm && (!p->comm || is_exec)) {
		free(p->comm);
		p->comm = xstrdup(comm);
	}
	if (is_exec)
		fill_exec(t, p, obj, line);
	if (created || is_exec)
		set_current_image(t, p);
	return p;
}

void proctree_exit(struct proctree *t, struct proc *p)
{
	if (p)
		p->exited = true;
}

void proc_label(struct sbuf *b, const struct proc *p)
{
	const char *comm = p->comm ? p->comm : "?";

	if (!p->exe) {
		sbuf_printf(b, "[%s]", comm);
		return;
	}
	sbuf_add(b, p->exe);
	if (strncmp(path_base(p->exe), comm, 15) != 0)
		sbuf_printf(b, " [%s]", comm);
}

static void proc_free(void *v)
{
	struct proc *p = v;

	free(p->exec_id);
	free(p->exe);
	free(p->comm);
	free(p->cmdline);
	free(p->script);
	free(p);
}

void proctree_free(struct proctree *t)
{
	strmap_free(&t->by_pid, NULL);
	strmap_free(&t->by_exec_id, proc_free);
}
