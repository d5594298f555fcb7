// SPDX-License-Identifier: GPL-2.0-only
/*
 * tracerd summary: the answers of an investigation, from one pass over a trace. The
 * report is built as one JSON document (--json prints it); text and Markdown are
 * renderings of that document.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "report.h"
#include "scan.h"
#include "sensitive.h"

struct summary {
	struct scan scan;
	struct policy policy;
	struct strmap execs, hashes, conns, dns, sensitive, written, listeners;
	json_t *tamper, *access;
	char *workspace;
};

static void proc_name(struct sbuf *b, const struct proc *p, const json_t *obj)
{
	if (p)
		proc_label(b, p);
	else
		sbuf_printf(b, "[%s]", ev_str(obj, "comm") ?: "?");
}

static bool opened_for_reading(const json_t *obj)
{
	const char *flags = ev_str(obj, "flags");

	return ev_int(obj, "ret", -1) >= 0 && flags &&
	       (strncmp(flags, "O_RDONLY", 8) == 0 || strncmp(flags, "O_RDWR", 6) == 0);
}

static void summary_file_event(struct summary *s, const json_t *obj, const char *who)
{
	const char *path = ev_str(obj, "path");
	size_t n;

	if (!path)
		return;
	if (s->scan.r.type == EV_FILE_OPEN) {
		if (opened_for_reading(obj) &&
		    sensitive_match(&s->policy, path, ev_int(obj, "pid", -1),
				    ev_int(obj, "tid", -1)))
			nested_count(&s->sensitive, path, who, 1);
		return;
	}
	n = s->workspace ? strlen(s->workspace) : 0;
	if (n && strncmp(path, s->workspace, n) == 0 && (path[n] == '/' || !path[n]))
		return;
	nested_count(&s->written, path, who, (unsigned long)ev_int(obj, "bytes", 0));
}

/* What a file executed was: its sha256, or why the trace has none (for allow-lists). */
static void summary_hash(struct summary *s, const char *file, const json_t *obj,
			 const char *hash_field, const char *missing_field)
{
	const char *hash = ev_str(obj, hash_field), *missing = ev_str(obj, missing_field);
	struct sbuf sub = { 0 };

	if (!file || (!hash && !missing))
		return; /* a trace from before hashes, or a memfd's line without either */
	if (hash)
		sbuf_add(&sub, hash);
	else
		sbuf_printf(&sub, "(none: %s)", missing);
	nested_count(&s->hashes, file, sub.s, 1);
	sbuf_free(&sub);
}

static void summary_exec(struct summary *s, const json_t *obj, const struct proc *p, struct sbuf *b)
{
	struct sbuf key = { 0 };

	if (!s->workspace && ev_str(obj, "cwd"))
		s->workspace = xstrdup(ev_str(obj, "cwd"));
	if (p && p->parent)
		proc_label(b, p->parent);
	else
		sbuf_add(b, "(outside the trace)");
	sbuf_add(&key, p && p->exe ? p->exe : "?");
	if (p && p->script)
		sbuf_printf(&key, " %s", p->script);
	nested_count(&s->execs, key.s, b->s, 1);
	sbuf_free(&key);
	summary_hash(s, ev_str(obj, "exe"), obj, "exe_sha256", "exe_hash_missing");
	if (p && p->script)
		summary_hash(s, p->script, obj, "script_sha256", "script_hash_missing");
}

static void summary_event(struct scan *scan, json_t *obj, struct proc *p, void *ctx)
{
	struct summary *s = ctx;
	struct sbuf who = { 0 }, what = { 0 };

	proc_name(&who, p, obj);
	switch (scan->r.type) {
	case EV_PROCESS_EXEC:
		summary_exec(s, obj, p, &what);
		break;
	case EV_NET_CONNECT:
	case EV_NET_LISTEN:
		ev_render_destination(&what, obj, true);
		nested_count(scan->r.type == EV_NET_CONNECT ? &s->conns : &s->listeners, who.s,
			     what.s, 1);
		break;
	case EV_DNS_QUERY:
		nested_count(&s->dns, ev_str(obj, "hostname") ?: "?", ev_str(obj, "qtype") ?: "?",
			     1);
		break;
	case EV_FILE_OPEN:
	case EV_FILE_WRITE:
		summary_file_event(s, obj, who.s);
		break;
	case EV_TAMPER:
	case EV_PROCESS_ACCESS:
		ev_render(&what, scan->r.type, obj);
		json_array_append_new(scan->r.type == EV_TAMPER ? s->tamper : s->access,
				      json_pack("{s:I,s:s,s:s}", "line", (json_int_t)scan->r.lineno,
						"process", who.s, "event", what.s));
		break;
	default:
		break;
	}
	sbuf_free(&who);
	sbuf_free(&what);
}

static json_t *still_running(struct summary *s)
{
	const char **keys = strmap_sorted_keys(&s->scan.tree.by_exec_id);
	json_t *out = json_array();
	struct proc *p;
	size_t i;

	for (i = 0; keys[i]; i++) {
		p = strmap_get(&s->scan.tree.by_exec_id, keys[i]);
		if (!p->exec_line || p->exited || p->replaced)
			continue;
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:I}", "pid", (json_int_t)p->pid,
						     "exe", p->exe ?: "?", "cmdline", p->cmdline,
						     "line", (json_int_t)p->exec_line));
	}
	free(keys);
	return out;
}

static json_t *summary_document(struct summary *s, const char *path)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "trace", scan_trace_facts(&s->scan, path));
	json_object_set_new(doc, "executables",
			    nested_counts_json(&s->execs, "exe", "parents", "parent"));
	json_object_set_new(doc, "executable_hashes",
			    nested_counts_json(&s->hashes, "file", "hashes", "sha256"));
	json_object_set_new(doc, "connections",
			    nested_counts_json(&s->conns, "process", "destinations",
					       "destination"));
	json_object_set_new(doc, "dns", nested_counts_json(&s->dns, "name", "types", "qtype"));
	json_object_set_new(doc, "sensitive_reads",
			    nested_counts_json(&s->sensitive, "path", "processes", "process"));
	json_object_set_new(doc, "workspace",
			    s->workspace ? json_string(s->workspace) : json_null());
	json_object_set_new(doc, "writes_outside_workspace",
			    nested_counts_json(&s->written, "path", "processes", "process"));
	json_object_set_new(doc, "listeners",
			    nested_counts_json(&s->listeners, "process", "addresses", "address"));
	json_object_set_new(doc, "still_running", s->scan.end ? still_running(s) : json_array());
	json_object_set(doc, "process_access", s->access);
	json_object_set(doc, "tamper", s->tamper);
	return doc;
}

static const struct option summary_options[] = {
	POLICY_OPTIONS,
	{ "json", no_argument, NULL, 'j' },
	{ "markdown", no_argument, NULL, 'm' },
	{ "limit", required_argument, NULL, 'l' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char summary_usage[] =
	"Usage: tracerd summary [options] FILE\n"
	"What a traced job did: programs run, hosts contacted, DNS names, sensitive files\n"
	"read, files written outside the workspace, processes left running, events lost.\n"
	"  --json              the report as JSON\n"
	"  --markdown          the report as Markdown (for $GITHUB_STEP_SUMMARY)\n"
	"  --limit N           at most N entries per section in text and Markdown (25; 0: all)\n"
	"  --workspace PATH    the job's workspace (default $GITHUB_WORKSPACE, else the cwd\n"
	"                      of the trace's first exec)\n"
	"  --sensitive GLOB    one more sensitive path (~/ is any home directory)\n"
	"  --rules FILE        a rules file (see README.md)\n";

static int summary_write(struct summary *s, const char *path, enum output_format fmt, long limit)
{
	json_t *doc = summary_document(s, path);

	if (fmt == OUT_JSON)
		print_json(stdout, doc);
	else
		report_summary(stdout, doc, fmt == OUT_MARKDOWN, limit);
	json_decref(doc);
	return EXIT_NOTHING;
}

int cmd_summary(int argc, char **argv)
{
	struct summary s = { 0 };
	enum output_format fmt = OUT_TEXT;
	long limit = 25;
	int opt, ret = EXIT_ERROR;
	char *end;

	policy_init(&s.policy);
	while ((opt = getopt_long(argc, argv, "", summary_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(summary_usage, stdout);
			ret = EXIT_NOTHING;
			goto out;
		} else if (opt == 'j' || opt == 'm') {
			fmt = opt == 'j' ? OUT_JSON : OUT_MARKDOWN;
		} else if (opt == 'l') {
			limit = strtol(optarg, &end, 10);
			if (*end || limit < 0) {
				usage_error("summary", "--limit takes a count, not '%s'", optarg);
				goto out;
			}
		} else if (policy_option(&s.policy, opt, optarg) != 1) {
			if (opt == '?')
				usage_error("summary", "unknown option");
			goto out;
		}
	}
	if (optind != argc - 1) {
		usage_error("summary", "one trace file expected");
		goto out;
	}
	s.workspace = s.policy.workspace	 ? xstrdup(s.policy.workspace) :
		      getenv("GITHUB_WORKSPACE") ? xstrdup(getenv("GITHUB_WORKSPACE")) :
						   NULL;
	s.tamper = json_array();
	s.access = json_array();
	scan_init(&s.scan, &s.policy);
	s.scan.skip_plain_opens = true;
	s.scan.on_event = summary_event;
	s.scan.ctx = &s;
	if (scan_run(&s.scan, argv[optind], false) < 0)
		fprintf(stderr, "tracerd summary: %s\n", s.scan.r.err);
	else
		ret = summary_write(&s, argv[optind], fmt, limit);
	scan_free(&s.scan);
	nested_free(&s.execs);
	nested_free(&s.hashes);
	nested_free(&s.conns);
	nested_free(&s.dns);
	nested_free(&s.sensitive);
	nested_free(&s.written);
	nested_free(&s.listeners);
	json_decref(s.tamper);
	json_decref(s.access);
	free(s.workspace);
out:
	policy_free(&s.policy);
	return ret;
}
