// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "report.h"
#include "util.h"

/* One nested section of the summary: key_name's count, then its sub-entries. */
struct section {
	const char *title, *field, *key_name, *list_name, *sub_name;
	const char *count_label; /* the first column's header */
	bool grouped; /* sub-entries on their own lines, under the key */
};

static const struct section sections[] = {
	{ "Executables run", "executables", "exe", "parents", "parent", "runs", false },
	{ "Executable hashes", "executable_hashes", "file", "hashes", "sha256", "execs", true },
	{ "Hosts contacted", "connections", "process", "destinations", "destination", "connections",
	  true },
	{ "DNS names resolved", "dns", "name", "types", "qtype", "queries", false },
	{ "Sensitive files read", "sensitive_reads", "path", "processes", "process", "opens",
	  true },
	{ "Files written outside the workspace", "writes_outside_workspace", "path", "processes",
	  "process", "bytes", false },
	{ "Listening sockets", "listeners", "process", "addresses", "address", "listens", true },
};

void report_md_code(FILE *f, const char *s)
{
	fputc('`', f);
	for (; *s; s++) {
		if (*s == '`')
			fputc('\'', f);
		else if (*s == '|')
			fputs("\\|", f);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('`', f);
}

static void subs_inline(FILE *f, const json_t *subs, const struct section *sec, bool md)
{
	const json_t *sub;
	size_t i;

	json_array_foreach(subs, i, sub)
	{
		if (i == 5) {
			fprintf(f, ", and %zu more", json_array_size(subs) - 5);
			break;
		}
		fputs(i ? ", " : "", f);
		if (md)
			report_md_code(f, json_string_value(json_object_get(sub, sec->sub_name)));
		else
			fputs(json_string_value(json_object_get(sub, sec->sub_name)), f);
		if (json_array_size(subs) > 1 || strcmp(sec->count_label, "bytes") == 0)
			fprintf(f, " (%lld)",
				(long long)json_integer_value(json_object_get(sub, "count")));
	}
}

static void text_item(FILE *f, const json_t *item, const struct section *sec)
{
	const json_t *subs = json_object_get(item, sec->list_name), *sub;
	size_t i;

	fprintf(f, "  %8lld  %s", (long long)json_integer_value(json_object_get(item, "count")),
		json_string_value(json_object_get(item, sec->key_name)));
	if (!sec->grouped) {
		fputs("  <- ", f);
		subs_inline(f, subs, sec, false);
		fputc('\n', f);
		return;
	}
	fputc('\n', f);
	json_array_foreach(subs, i, sub)
		fprintf(f, "  %8lld      %s\n",
			(long long)json_integer_value(json_object_get(sub, "count")),
			json_string_value(json_object_get(sub, sec->sub_name)));
}

static void md_item(FILE *f, const json_t *item, const struct section *sec)
{
	fprintf(f, "| %lld | ", (long long)json_integer_value(json_object_get(item, "count")));
	report_md_code(f, json_string_value(json_object_get(item, sec->key_name)));
	fputs(" | ", f);
	subs_inline(f, json_object_get(item, sec->list_name), sec, true);
	fputs(" |\n", f);
}

static void section_print(FILE *f, const json_t *doc, const struct section *sec, bool md,
			  long limit)
{
	const json_t *items = json_object_get(doc, sec->field), *item;
	size_t i, n = json_array_size(items);
	const char *ws = json_string_value(json_object_get(doc, "workspace"));
	bool writes = strcmp(sec->field, "writes_outside_workspace") == 0;

	fprintf(f, md ? "\n#### %s%s%s (%zu)\n\n" : "\n%s%s%s (%zu)\n", sec->title,
		writes && ws ? " " : "", writes && ws ? ws : "", n);
	if (!n) {
		fputs(md ? "None.\n" : "  (none)\n", f);
		return;
	}
	if (md)
		fprintf(f, "| %s | %s | %s |\n|---:|---|---|\n", sec->count_label, sec->key_name,
			sec->list_name);
	json_array_foreach(items, i, item)
	{
		if (limit && (long)i >= limit) {
			fprintf(f,
				md ? "\n%zu more (tracerd summary --limit 0 shows all).\n" :
				     "  ... %zu more (--limit 0 shows all)\n",
				n - i);
			break;
		}
		if (md)
			md_item(f, item, sec);
		else
			text_item(f, item, sec);
	}
}

static void header_counts(FILE *f, const json_t *counts)
{
	const char *key;
	const json_t *v;
	const char *sep = "";

	json_object_foreach((json_t *)counts, key, v)
	{
		fprintf(f, "%s%lld %s", sep, (long long)json_integer_value(v), key);
		sep = ", ";
	}
}

static void header_row(FILE *f, bool md, const char *name, const char *value)
{
	const char *v = value ? value : "?";

	if (!md) {
		fprintf(f, "%-9s%s\n", name, v);
		return;
	}
	/* A file or job name must not end the table's cell. */
	fprintf(f, "| %s | ", name);
	for (; *v; v++)
		fputs(*v == '|' ? "\\|" : (char[]){ *v, 0 }, f);
	fputs(" |\n", f);
}

static void header_print(FILE *f, const json_t *t, bool md)
{
	json_int_t dur = json_integer_value(json_object_get(t, "duration_ns"));
	const char *reason = json_string_value(json_object_get(t, "stop_reason"));
	struct sbuf b = { 0 };

	if (md)
		fprintf(f, "### tracerd summary: job %s\n\n| | |\n|---|---|\n",
			json_string_value(json_object_get(t, "job_id")) ?: "?");
	header_row(f, md, "trace", json_string_value(json_object_get(t, "file")));
	sbuf_printf(&b, "%s on %s, kernel %s, tracerd %s",
		    json_string_value(json_object_get(t, "job_id")) ?: "?",
		    json_string_value(json_object_get(t, "hostname")) ?: "?",
		    json_string_value(json_object_get(t, "kernel")) ?: "?",
		    json_string_value(json_object_get(t, "version")) ?: "?");
	header_row(f, md, "job", b.s);
	sbuf_reset(&b);
	sbuf_printf(&b, "%s to %s", json_string_value(json_object_get(t, "start")),
		    json_string_value(json_object_get(t, "end")));
	if (json_is_true(json_object_get(t, "complete")))
		sbuf_printf(&b, " (%.3f s, complete%s%s)", (double)dur / 1e9, reason ? ": " : "",
			    reason ? reason : "");
	else
		sbuf_add(&b,
			 " (CUT SHORT: no trace_end, the trace may be missing its last events)");
	header_row(f, md, "time", b.s);
	fprintf(f, md ? "| lines | %lld: " : "lines    %lld: ",
		(long long)json_integer_value(json_object_get(t, "lines")));
	header_counts(f, json_object_get(t, "lines_by_type"));
	fputs(md ? " |\n" : "\n", f);
	fprintf(f, md ? "| lost | %lld" : "lost     %lld",
		(long long)json_integer_value(json_object_get(t, "lost")));
	if (json_integer_value(json_object_get(t, "lost"))) {
		fputs(" events: ", f);
		header_counts(f, json_object_get(t, "lost_by_type"));
	}
	fputs(md ? " |\n" : "\n", f);
	sbuf_free(&b);
}

static void lines_print(FILE *f, const json_t *items, const char *title, bool md,
			const char *fmt_key)
{
	const json_t *it;
	size_t i;

	fprintf(f, md ? "\n#### %s (%zu)\n\n" : "\n%s (%zu)\n", title, json_array_size(items));
	if (!json_array_size(items))
		fputs(md ? "None.\n" : "  (none)\n", f);
	json_array_foreach(items, i, it)
	{
		fputs(md ? "- line " : "  line ", f);
		fprintf(f, "%lld: ", (long long)json_integer_value(json_object_get(it, "line")));
		if (md) {
			report_md_code(f, json_string_value(json_object_get(it, fmt_key)));
			fputc(' ', f);
			report_md_code(f, json_string_value(json_object_get(it, "process")) ?:
						  json_string_value(json_object_get(it, "exe")));
		} else {
			fprintf(f, "%s  %s", json_string_value(json_object_get(it, fmt_key)),
				json_string_value(json_object_get(it, "process")) ?:
					json_string_value(json_object_get(it, "exe")));
		}
		fputc('\n', f);
	}
}

void report_summary(FILE *f, const json_t *doc, bool markdown, long limit)
{
	size_t i;

	header_print(f, json_object_get(doc, "trace"), markdown);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		section_print(f, doc, &sections[i], markdown, limit);
	if (json_is_true(json_object_get(json_object_get(doc, "trace"), "complete")))
		lines_print(f, json_object_get(doc, "still_running"),
			    "Processes still running at the end", markdown, "cmdline");
	if (json_array_size(json_object_get(doc, "process_access")))
		lines_print(f, json_object_get(doc, "process_access"), "Process access", markdown,
			    "event");
	lines_print(f, json_object_get(doc, "tamper"), "Tamper", markdown, "event");
}
