// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "sensitive.h"

#define MAX_ANCESTORS 1024
#define MARK_PLAIN ((void *)1)
#define MARK_INSTALL ((void *)2)

struct pipe_pair {
	unsigned long downloader_line, shell_line;
	struct proc *downloader, *shell;
};

void detect_init(struct detect *d, const struct policy *policy)
{
	memset(d, 0, sizeof(*d));
	d->policy = policy;
}

void detect_free(struct detect *d)
{
	size_t i, j;

	for (i = 0; i < d->n; i++) {
		free(d->findings[i].message);
		for (j = 0; j < d->findings[i].n_ev; j++)
			free(d->findings[i].ev[j].text);
	}
	free(d->findings);
	strmap_free(&d->seen, NULL);
	strmap_free(&d->siblings, free);
}

/* A new finding, or NULL when its key was reported already or the rule is off. */
static struct finding *finding_new(struct detect *d, enum rule_id rule, const char *key,
				   const char *message)
{
	struct finding *f;
	char dedup[4400];
	bool created;

	if (d->policy->severity[rule] == SEV_OFF)
		return NULL;
	snprintf(dedup, sizeof(dedup), "%s\t%s", rule_table[rule].id, key);
	strmap_slot(&d->seen, dedup, &created);
	if (!created)
		return NULL;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->findings = realloc(d->findings, d->cap * sizeof(*f));
		if (!d->findings)
			abort();
	}
	f = &d->findings[d->n++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->severity = d->policy->severity[rule];
	f->message = xstrdup(message);
	return f;
}

static void evidence_add(struct finding *f, unsigned long line, const char *text)
{
	if (!f || f->n_ev == MAX_EVIDENCE || !line)
		return;
	f->ev[f->n_ev].line = line;
	f->ev[f->n_ev].text = xstrdup(text);
	f->n_ev++;
}

static void evidence_exec(struct finding *f, const struct proc *p)
{
	struct sbuf b = { 0 };

	if (!f || !p || !p->exec_line)
		return;
	sbuf_printf(&b, "%lld %s: exec %s", p->pid, p->comm ?: "?", p->cmdline ?: "");
	evidence_add(f, p->exec_line, b.s);
	sbuf_free(&b);
}

static void evidence_line(struct finding *f, const struct scan *s, const json_t *obj)
{
	struct sbuf b = { 0 };

	if (!f)
		return;
	if (json_object_get(obj, "pid"))
		sbuf_printf(&b, "%lld %s: ", ev_int(obj, "pid", -1), ev_str(obj, "comm") ?: "?");
	ev_render(&b, s->r.type, obj);
	evidence_add(f, s->r.lineno, b.s);
	sbuf_free(&b);
}

static const char *prog_name(const struct proc *p, const json_t *obj)
{
	if (p && p->exe)
		return p->exe;
	return ev_str(obj, "exe") ?: ev_str(obj, "comm") ?: "?";
}

/* One word of a command matches a name list: its own name, or its comm. */
static bool named(const struct strlist *names, const struct proc *p)
{
	return (p->exe && strlist_has(names, path_base(p->exe))) ||
	       (p->comm && strlist_has(names, p->comm));
}

static const struct install_tool *tool_named(const struct policy *policy, const char *name)
{
	size_t i;

	for (i = 0; name && i < policy->n_tools; i++)
		if (strcmp(policy->tools[i].name, name) == 0)
			return &policy->tools[i];
	return NULL;
}

/* The first argument after index i that is not an option. */
static const char *verb_after(const json_t *args, size_t i)
{
	const char *a;

	for (i++; i < json_array_size(args); i++) {
		a = json_string_value(json_array_get(args, i));
		if (a && a[0] != '-')
			return a;
	}
	return NULL;
}

/*
 * An exec of a package manager doing an install: its name is argv[0], or argv[1] or [2]
 * after an interpreter (node /usr/bin/npm, python3 -m pip), or the exec's comm; the verb
 * is the next argument that is not an option.
 */
bool install_tool_exec(const struct policy *policy, const json_t *obj)
{
	const json_t *args = json_object_get(obj, "args");
	const struct install_tool *tool = NULL;
	const char *arg, *verb;
	size_t i;

	for (i = 0; i < 3 && i < json_array_size(args) && !tool; i++) {
		arg = json_string_value(json_array_get(args, i));
		tool = tool_named(policy, arg ? path_base(arg) : NULL);
	}
	if (!tool) {
		tool = tool_named(policy, ev_str(obj, "comm"));
		i = 1;
	}
	if (!tool)
		return false;
	if (!tool->verbs.n)
		return true;
	verb = verb_after(args, i - 1);
	return verb && strlist_has(&tool->verbs, verb);
}

static struct proc *install_ancestor(const struct proc *p)
{
	struct proc *q = p->parent;
	int n;

	for (n = 0; q && n < MAX_ANCESTORS; q = q->parent, n++)
		if (q->mark == MARK_INSTALL)
			return q;
	return NULL;
}

static void detect_install_child(struct detect *d, struct proc *p)
{
	struct proc *root = install_ancestor(p);
	enum rule_id rule;
	struct finding *f;
	struct sbuf msg = { 0 };

	if (!root)
		return;
	if (named(&d->policy->downloaders, p))
		rule = RULE_INSTALL_DOWNLOADER;
	else if (named(&d->policy->shells, p))
		rule = RULE_INSTALL_SHELL;
	else
		return;
	sbuf_printf(&msg, "the install step '%s' ran %s: %s", root->cmdline, p->exe ?: p->comm,
		    p->cmdline);
	f = finding_new(d, rule, p->exec_id, msg.s);
	evidence_exec(f, root);
	evidence_exec(f, p);
	sbuf_free(&msg);
}

static bool in_temp_dir(const struct policy *policy, const char *exe)
{
	size_t i;

	for (i = 0; i < policy->temp_dirs.n; i++)
		if (strncmp(exe, policy->temp_dirs.v[i], strlen(policy->temp_dirs.v[i])) == 0)
			return true;
	return false;
}

static void detect_exec_from_temp(struct detect *d, struct scan *s, const json_t *obj,
				  struct proc *p)
{
	const char *exe = ev_str(obj, "exe") ?: ev_str(obj, "filename") ?: "";
	const char *ws = d->policy->workspace;
	struct sbuf msg = { 0 };
	struct finding *f;

	if (!ev_bool(obj, "exe_memfd") && strncmp(exe, "/memfd:", 7) != 0 &&
	    !in_temp_dir(d->policy, exe))
		return;
	if (strlist_match(&d->policy->allow_exec, exe) ||
	    (ws && strncmp(exe, ws, strlen(ws)) == 0 && exe[strlen(ws)] == '/'))
		return;
	sbuf_printf(&msg, "%s ran from %s", exe,
		    ev_bool(obj, "exe_memfd") ? "a memfd (a file that exists only in memory)" :
						"a temporary directory");
	f = finding_new(d, RULE_EXEC_FROM_TEMP, exe, msg.s);
	evidence_exec(f, p->parent);
	evidence_line(f, s, obj);
	sbuf_free(&msg);
}

/* The word at s (up to a blank, quote, pipe or separator) is one of names. */
static bool word_in(const struct strlist *names, const char *s, size_t *len)
{
	char word[64];
	size_t n = strcspn(s, " \t\n'\";|&()<>");

	*len = n;
	if (n == 0 || n >= sizeof(word))
		return false;
	memcpy(word, s, n);
	word[n] = '\0';
	return strlist_has(names, path_base(word));
}

/* `curl ... | sh`, `wget -O- ... | sudo bash -s` in a shell's -c script. */
bool pipe_to_shell_script(const struct policy *policy, const char *script)
{
	const char *p = script, *pipe;
	size_t n;
	bool downloader = false;

	while (*p) {
		if (p == script || strchr(" \t\n;&|(`$", p[-1])) {
			if (word_in(&policy->downloaders, p, &n) && n) {
				downloader = true;
				p += n;
				continue;
			}
		}
		if (*p == '|' && p[1] != '|' && downloader) {
			pipe = p + 1 + strspn(p + 1, " \t");
			if (strncmp(pipe, "sudo ", 5) == 0)
				pipe += 5 + strspn(pipe + 5, " \t");
			if (word_in(&policy->shells, pipe, &n))
				return true;
		}
		if (*p == ';' || *p == '\n' || (*p == '&' && p[1] == '&'))
			downloader = false;
		p++;
	}
	return false;
}

/* A shell with no script to run: it reads its commands from stdin (`... | sh`). */
static bool shell_reads_stdin(const json_t *args)
{
	const char *a;
	size_t i;

	for (i = 1; i < json_array_size(args); i++) {
		a = json_string_value(json_array_get(args, i));
		if (!a || strcmp(a, "-s") == 0 || strcmp(a, "--") == 0)
			return true;
		if (a[0] != '-' || strcmp(a, "-c") == 0 || strchr(a, 'c'))
			return false;
	}
	return true;
}

static void pipe_pair_found(struct detect *d, struct pipe_pair *pp, const char *key)
{
	struct sbuf msg = { 0 };
	struct finding *f;

	sbuf_printf(&msg, "%s's output went to %s reading its commands from stdin",
		    pp->downloader->cmdline, pp->shell->cmdline);
	f = finding_new(d, RULE_PIPE_TO_SHELL, key, msg.s);
	evidence_exec(f, pp->downloader->parent);
	evidence_exec(f, pp->downloader);
	evidence_exec(f, pp->shell);
	sbuf_free(&msg);
}

/* Sibling processes of one parent: a downloader and a shell reading stdin. */
static void detect_pipe_siblings(struct detect *d, const json_t *obj, struct proc *p)
{
	struct pipe_pair **slot;
	bool dl = named(&d->policy->downloaders, p);

	if (!p->parent || !(dl || (named(&d->policy->shells, p) &&
				   shell_reads_stdin(json_object_get(obj, "args")))))
		return;
	slot = (struct pipe_pair **)strmap_slot(&d->siblings, p->parent->exec_id, NULL);
	if (!*slot)
		*slot = xcalloc(1, sizeof(**slot));
	if (dl)
		(*slot)->downloader = p;
	else
		(*slot)->shell = p;
	if ((*slot)->downloader && (*slot)->shell)
		pipe_pair_found(d, *slot, p->parent->exec_id);
}

static void detect_pipe_to_shell(struct detect *d, struct scan *s, const json_t *obj,
				 struct proc *p)
{
	const json_t *args = json_object_get(obj, "args");
	const char *script = NULL, *a;
	struct sbuf msg = { 0 };
	struct finding *f;
	size_t i;

	detect_pipe_siblings(d, obj, p);
	if (!named(&d->policy->shells, p))
		return;
	for (i = 1; i + 1 < json_array_size(args) && !script; i++) {
		a = json_string_value(json_array_get(args, i));
		if (a && a[0] == '-' && strchr(a, 'c'))
			script = json_string_value(json_array_get(args, i + 1));
	}
	if (!script || !pipe_to_shell_script(d->policy, script))
		return;
	sbuf_printf(&msg, "a download piped into a shell: %s", p->cmdline);
	f = finding_new(d, RULE_PIPE_TO_SHELL, p->exec_id, msg.s);
	evidence_exec(f, p->parent);
	evidence_line(f, s, obj);
	sbuf_free(&msg);
}

static void detect_exec(struct detect *d, struct scan *s, const json_t *obj, struct proc *p)
{
	if (!p)
		return;
	p->mark = install_tool_exec(d->policy, obj) ? MARK_INSTALL : MARK_PLAIN;
	detect_install_child(d, p);
	detect_exec_from_temp(d, s, obj, p);
	detect_pipe_to_shell(d, s, obj, p);
}

static void detect_open(struct detect *d, struct scan *s, const json_t *obj, struct proc *p)
{
	const char *path = ev_str(obj, "path"), *flags = ev_str(obj, "flags") ?: "";
	const struct sensitive_entry *e;
	bool ok = ev_int(obj, "ret", -1) >= 0, reading = strncmp(flags, "O_WRONLY", 8) != 0;
	struct sbuf msg = { 0 }, key = { 0 };
	struct finding *f;

	if (!path)
		return;
	e = sensitive_match(d->policy, path, ev_int(obj, "pid", -1), ev_int(obj, "tid", -1));
	if (!e)
		return;
	if (e->other_process) {
		sbuf_printf(&msg, "%s %s another process's %s", prog_name(p, obj),
			    ok ? "opened" : "tried to open", path_base(path));
		sbuf_printf(&key, "%s\t%s", path, prog_name(p, obj));
		f = finding_new(d, RULE_PROC_MEMORY, key.s, msg.s);
	} else if (ok && reading &&
		   !sensitive_is_owner(e, p ? p->exe : NULL, ev_str(obj, "comm"))) {
		sbuf_printf(&msg, "%s read %s", prog_name(p, obj), path);
		if (e->owners.n)
			sbuf_printf(&msg, ", a credential of %s%s", e->owners.v[0],
				    e->owners.n > 1 ? " and others" : "");
		sbuf_printf(&key, "%s\t%s", path, prog_name(p, obj));
		f = finding_new(d, RULE_CREDENTIAL_READ, key.s, msg.s);
	} else {
		f = NULL;
	}
	if (f && p)
		evidence_exec(f, install_ancestor(p));
	evidence_exec(f, p);
	evidence_line(f, s, obj);
	sbuf_free(&msg);
	sbuf_free(&key);
}

static void detect_connect(struct detect *d, struct scan *s, const json_t *obj, struct proc *p)
{
	struct sbuf dest = { 0 }, msg = { 0 };
	struct finding *f;

	if (!d->policy->allow_hosts.n ||
	    host_allowed(&d->policy->allow_hosts, ev_str(obj, "hostname"), ev_str(obj, "dst_addr"),
			 ev_int(obj, "dst_port", -1)))
		return;
	ev_render_destination(&dest, obj, true);
	sbuf_printf(&msg, "%s connected to %s, not in the allow-list", prog_name(p, obj), dest.s);
	sbuf_printf(&dest, "\t%s", prog_name(p, obj));
	f = finding_new(d, RULE_HOST_NOT_ALLOWED, dest.s, msg.s);
	evidence_exec(f, p);
	evidence_line(f, s, obj);
	sbuf_free(&dest);
	sbuf_free(&msg);
}

/* Listeners, tamper and process_access: the line is the finding. */
static void detect_plain(struct detect *d, struct scan *s, const json_t *obj, struct proc *p,
			 enum rule_id rule)
{
	struct sbuf msg = { 0 }, key = { 0 };
	struct finding *f;

	if (rule == RULE_PROC_MEMORY && ev_int(obj, "target_pid", -1) == ev_int(obj, "pid", -1))
		return;
	sbuf_printf(&msg, "%s: ", prog_name(p, obj));
	ev_render(&msg, s->r.type, obj);
	sbuf_printf(&key, "%s\t%s", ev_str(obj, "exec_id") ?: "", msg.s);
	f = finding_new(d, rule, key.s, msg.s);
	evidence_exec(f, p);
	evidence_line(f, s, obj);
	sbuf_free(&msg);
	sbuf_free(&key);
}

void detect_event(struct scan *s, json_t *obj, struct proc *p, void *ctx)
{
	struct detect *d = ctx;

	switch (s->r.type) {
	case EV_PROCESS_EXEC:
		detect_exec(d, s, obj, p);
		break;
	case EV_FILE_OPEN:
		detect_open(d, s, obj, p);
		break;
	case EV_NET_CONNECT:
		detect_connect(d, s, obj, p);
		break;
	case EV_NET_LISTEN:
		detect_plain(d, s, obj, p, RULE_LISTENER);
		break;
	case EV_TAMPER:
		detect_plain(d, s, obj, p, RULE_TAMPER);
		break;
	case EV_PROCESS_ACCESS:
		detect_plain(d, s, obj, p, RULE_PROC_MEMORY);
		break;
	default:
		break;
	}
}

void detect_finish(struct detect *d, const struct scan *s)
{
	struct sbuf msg = { 0 };
	struct finding *f;

	if (s->lost)
		sbuf_printf(&msg, "%lld events were lost: what they would show is not checked",
			    s->lost);
	if (!s->end)
		sbuf_printf(&msg, "%sthe trace has no trace_end: it was cut short%s",
			    s->lost ? "; " : "", s->r.truncated ? " inside a gzip member" : "");
	if (!msg.len)
		return;
	f = finding_new(d, RULE_TRACE_INCOMPLETE, "", msg.s);
	if (f && s->end)
		evidence_add(f, s->r.lineno, "trace_end");
	sbuf_free(&msg);
}

/* Pattern [:PORT] split: IPv6 addresses take brackets when a port follows. */
static void split_port(const char *entry, char *host, size_t hostlen, long long *port)
{
	const char *colon = strrchr(entry, ':'), *end = entry + strlen(entry);

	*port = -1;
	if (entry[0] == '[') {
		entry++;
		end = strchr(entry, ']') ?: end;
		if (end[0] == ']' && end[1] == ':')
			*port = strcmp(end + 2, "*") == 0 ? -1 : strtoll(end + 2, NULL, 10);
	} else if (colon && colon == strchr(entry, ':')) {
		end = colon;
		*port = strcmp(colon + 1, "*") == 0 ? -1 : strtoll(colon + 1, NULL, 10);
	}
	snprintf(host, hostlen, "%.*s", (int)(end - entry), entry);
}

static bool addr_in(const char *pattern, const char *addr)
{
	unsigned char net[16], a[16];
	char base[64];
	const char *slash = strchr(pattern, '/');
	int family = strchr(pattern, ':') ? AF_INET6 : AF_INET, bits, i;

	snprintf(base, sizeof(base), "%.*s", slash ? (int)(slash - pattern) : 63, pattern);
	if (!addr || inet_pton(family, base, net) != 1 || inet_pton(family, addr, a) != 1)
		return false;
	bits = slash ? atoi(slash + 1) : (family == AF_INET ? 32 : 128);
	if (bits < 0 || bits > (family == AF_INET ? 32 : 128))
		return false;
	for (i = 0; i < bits / 8; i++)
		if (net[i] != a[i])
			return false;
	return bits % 8 == 0 || ((net[i] ^ a[i]) & (0xff00 >> (bits % 8))) == 0;
}

bool host_allowed(const struct strlist *allow, const char *hostname, const char *addr,
		  long long port)
{
	char host[300];
	long long want;
	size_t i;

	for (i = 0; i < allow->n; i++) {
		split_port(allow->v[i], host, sizeof(host), &want);
		if (want >= 0 && want != port)
			continue;
		if (addr_in(host, addr))
			return true;
		if (hostname && fnmatch(host, hostname, FNM_CASEFOLD) == 0)
			return true;
	}
	return false;
}
