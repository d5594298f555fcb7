// SPDX-License-Identifier: GPL-2.0-only
/*
 * tracerd diff BASELINE... CURRENT: what the current job did that no baseline job did.
 * Each trace becomes sets of keys, normalized (normalize.h) so that temporary names,
 * pids, hashes and versions do not show as differences; the report lists the current
 * trace's keys missing from every baseline, with the process and line that made them.
 * Executables are also compared by content: a file at a path some baseline ran, with a
 * sha256 no baseline saw there, is a changed executable.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "normalize.h"
#include "scan.h"
#include "sensitive.h"

enum diff_category {
	CAT_EXEC,
	CAT_CHANGED,
	CAT_DEST,
	CAT_DNS,
	CAT_SENSITIVE,
	CAT_LISTEN,
	CAT_COUNT
};

static const char *const category_names[CAT_COUNT][2] = {
	[CAT_EXEC] = { "executables", "New executables" },
	[CAT_CHANGED] = { "changed_executables", "Changed executables" },
	[CAT_DEST] = { "destinations", "New destinations" },
	[CAT_DNS] = { "dns", "New DNS names" },
	[CAT_SENSITIVE] = { "sensitive_reads", "New sensitive-file reads" },
	[CAT_LISTEN] = { "listeners", "New listeners" },
};

struct diff_keys {
	const struct policy *policy;
	struct strmap keys[CAT_COUNT]; /* key -> json detail (current) or (void *)1 */
	/*
	 * Executable files by their path as run (not normalized: a temporary or versioned
	 * path must match exactly to be compared) -> the sha256 digests seen there, as a
	 * strmap of digests. CAT_CHANGED's keys are "path sha256".
	 */
	struct strmap hashes;
	bool details;
};

static void diff_key(struct diff_keys *k, struct scan *s, enum diff_category cat, const char *key,
		     const char *process, const char *value)
{
	json_t **slot = (json_t **)strmap_slot(&k->keys[cat], key, NULL);

	if (*slot)
		return;
	if (!k->details) {
		*slot = (json_t *)1;
		return;
	}
	*slot = json_pack("{s:s,s:s,s:s,s:I}", "key", key, "value", value, "process", process,
			  "line", (json_int_t)s->r.lineno);
}

static void diff_open(struct diff_keys *k, struct scan *s, const json_t *obj, const char *who,
		      const char *name)
{
	const char *path = ev_str(obj, "path"), *flags = ev_str(obj, "flags") ?: "";
	struct sbuf key = { 0 };

	if (!path || ev_int(obj, "ret", -1) < 0 || strncmp(flags, "O_WRONLY", 8) == 0 ||
	    !sensitive_match(k->policy, path, ev_int(obj, "pid", -1), ev_int(obj, "tid", -1)))
		return;
	normalize_path(&key, path);
	sbuf_printf(&key, " by %s", name);
	diff_key(k, s, CAT_SENSITIVE, key.s, who, path);
	sbuf_free(&key);
}

static void digests_free(void *digests)
{
	strmap_free(digests, NULL);
	free(digests);
}

/* Notes path's digest (the exec line's field): under its path, and as a CAT_CHANGED key. */
static void diff_hash(struct diff_keys *k, struct scan *s, const json_t *obj, const char *who,
		      const char *cmdline, const char *path, const char *field)
{
	const char *digest = ev_str(obj, field);
	struct strmap **digests;
	struct sbuf key = { 0 };
	json_t **slot;

	if (!path || !digest)
		return;
	digests = (struct strmap **)strmap_slot(&k->hashes, path, NULL);
	if (!*digests)
		*digests = calloc(1, sizeof(**digests));
	if (*digests)
		strmap_slot(*digests, digest, NULL);
	sbuf_printf(&key, "%s %s", path, digest);
	slot = (json_t **)strmap_slot(&k->keys[CAT_CHANGED], key.s, NULL);
	if (!*slot)
		*slot = k->details ? json_pack("{s:s,s:s,s:s,s:s,s:I}", "key", path, "sha256",
					       digest, "value", cmdline, "process", who, "line",
					       (json_int_t)s->r.lineno) :
				     (json_t *)1;
	sbuf_free(&key);
}

static void diff_event(struct scan *s, json_t *obj, struct proc *p, void *ctx)
{
	struct diff_keys *k = ctx;
	struct sbuf who = { 0 }, key = { 0 };
	const char *name = p && p->exe ? path_base(p->exe) : ev_str(obj, "comm") ?: "?";

	if (p)
		proc_label(&who, p);
	else
		sbuf_printf(&who, "[%s]", ev_str(obj, "comm") ?: "?");
	switch (s->r.type) {
	case EV_PROCESS_EXEC:
		normalize_path(&key, p && p->exe ? p->exe : "?");
		if (p && p->script) {
			sbuf_addc(&key, ' ');
			normalize_path(&key, p->script);
		}
		diff_key(k, s, CAT_EXEC, key.s, who.s, p && p->cmdline ? p->cmdline : "");
		diff_hash(k, s, obj, who.s, p && p->cmdline ? p->cmdline : "", p ? p->exe : NULL,
			  "exe_sha256");
		diff_hash(k, s, obj, who.s, p && p->cmdline ? p->cmdline : "", p ? p->script : NULL,
			  "script_sha256");
		break;
	case EV_NET_CONNECT:
		ev_render_destination(&key, obj, false);
		diff_key(k, s, CAT_DEST, key.s, who.s, ev_str(obj, "dst_addr") ?: "");
		break;
	case EV_DNS_QUERY:
		diff_key(k, s, CAT_DNS, ev_str(obj, "hostname") ?: "?", who.s,
			 ev_str(obj, "qtype") ?: "");
		break;
	case EV_NET_LISTEN:
		sbuf_printf(&key, "port %lld/%s by %s",
			    ev_int(obj, "port", ev_int(obj, "dst_port", -1)),
			    ev_str(obj, "protocol") ?: "?", name);
		diff_key(k, s, CAT_LISTEN, key.s, who.s, ev_str(obj, "addr") ?: "");
		break;
	case EV_FILE_OPEN:
		diff_open(k, s, obj, who.s, name);
		break;
	default:
		break;
	}
	sbuf_free(&who);
	sbuf_free(&key);
}

static void keys_free(struct diff_keys *k)
{
	size_t c, i;

	for (c = 0; c < CAT_COUNT; c++) {
		if (k->details)
			for (i = 0; i < k->keys[c].cap; i++)
				if (k->keys[c].keys[i])
					json_decref(k->keys[c].values[i]);
		strmap_free(&k->keys[c], NULL);
	}
	strmap_free(&k->hashes, digests_free);
}

/* Reads one trace into k: 0, or EXIT_ERROR after saying why. */
static int diff_read(struct diff_keys *k, const struct policy *policy, const char *path)
{
	struct scan s;
	int ret = 0;

	k->policy = policy;
	scan_init(&s, policy);
	s.skip_plain_opens = true;
	s.on_event = diff_event;
	s.ctx = k;
	if (scan_run(&s, path, false) < 0) {
		fprintf(stderr, "tracerd diff: %s\n", s.r.err);
		ret = EXIT_ERROR;
	} else if (!s.end) {
		fprintf(stderr, "tracerd diff: warning: %s has no trace_end (cut short)\n", path);
	}
	scan_free(&s);
	return ret;
}

/*
 * A digest the baselines did not see at that path is a change only if they saw the path
 * with a digest at all (a new path is a new executable; a path never hashed compares with
 * nothing). The baselines' digests go into the item, sorted.
 */
static bool diff_changed(const struct diff_keys *base, json_t *item)
{
	const struct strmap *digests =
		strmap_get(&base->hashes, json_string_value(json_object_get(item, "key")));
	const char **seen;
	json_t *list;

	if (!digests || !digests->count)
		return false;
	list = json_array();
	seen = strmap_sorted_keys(digests);
	for (size_t i = 0; seen && seen[i]; i++)
		json_array_append_new(list, json_string(seen[i]));
	free(seen);
	json_object_set_new(item, "baseline_sha256", list);
	return true;
}

static json_t *diff_new(const struct diff_keys *base, const struct diff_keys *cur, size_t *total)
{
	json_t *doc = json_object(), *list;
	const char **keys;
	size_t c, i;

	for (c = 0; c < CAT_COUNT; c++) {
		list = json_array();
		keys = strmap_sorted_keys(&cur->keys[c]);
		for (i = 0; keys[i]; i++) {
			json_t *item = strmap_get(&cur->keys[c], keys[i]);

			if (strmap_get(&base->keys[c], keys[i]))
				continue;
			if (c == CAT_CHANGED && !diff_changed(base, item))
				continue;
			json_array_append(list, item);
		}
		free(keys);
		*total += json_array_size(list);
		json_object_set_new(doc, category_names[c][0], list);
	}
	return doc;
}

/* "  COMMAND\n      sha256 NEW, baseline OLD[, OLD...]" */
static void diff_text_digests(const json_t *item)
{
	const json_t *old;
	size_t i;

	if (strlen(json_string_value(json_object_get(item, "value"))))
		printf("  %s", json_string_value(json_object_get(item, "value")));
	printf("\n      sha256 %s, baseline", json_string_value(json_object_get(item, "sha256")));
	json_array_foreach(json_object_get(item, "baseline_sha256"), i, old)
	{
		printf("%s %s", i ? "," : "", json_string_value(old));
	}
}

static void diff_text(const json_t *doc, char **baselines, int n_base, const char *current,
		      size_t total)
{
	const json_t *list, *item;
	size_t c, i;

	printf("%s against %d baseline%s:", current, n_base, n_base == 1 ? "" : "s");
	for (i = 0; i < (size_t)n_base; i++)
		printf(" %s", baselines[i]);
	printf("\n");
	for (c = 0; c < CAT_COUNT; c++) {
		list = json_object_get(json_object_get(doc, "new"), category_names[c][0]);
		if (!json_array_size(list))
			continue;
		printf("\n%s (%zu)\n", category_names[c][1], json_array_size(list));
		json_array_foreach(list, i, item)
		{
			printf("  %c %s\n      %s:%lld: %s", c == CAT_CHANGED ? '~' : '+',
			       json_string_value(json_object_get(item, "key")), current,
			       (long long)json_integer_value(json_object_get(item, "line")),
			       json_string_value(json_object_get(item, "process")));
			if (c == CAT_CHANGED)
				diff_text_digests(item);
			else if (c != CAT_EXEC ||
				 strlen(json_string_value(json_object_get(item, "value"))))
				printf("  %s", json_string_value(json_object_get(item, "value")));
			printf("\n");
		}
	}
	if (total)
		printf("\n%zu new item%s\n", total, total == 1 ? "" : "s");
	else
		printf("\nnothing new\n");
}

static const struct option diff_options[] = {
	POLICY_OPTIONS,
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char diff_usage[] =
	"Usage: tracerd diff [options] BASELINE... CURRENT\n"
	"What CURRENT did that none of the BASELINE traces did: new executables, destinations\n"
	"(host or address, with the port), DNS names, sensitive-file reads, listeners. Paths\n"
	"are normalized (temp names, pids, hashes, versions). Changed executables: a path the\n"
	"baselines ran, with a sha256 they never saw there. Exit 1 when something is new.\n"
	"  --json              the differences as JSON\n"
	"  --sensitive GLOB    one more sensitive path\n"
	"  --rules FILE        a rules file (see README.md)\n";

static int diff_report(struct diff_keys *base, struct diff_keys *cur, char **argv, int n, bool json)
{
	size_t total = 0;
	json_t *doc = json_object(), *bases = json_array();
	int i;

	for (i = 0; i < n - 1; i++)
		json_array_append_new(bases, json_string(argv[i]));
	json_object_set_new(doc, "baselines", bases);
	json_object_set_new(doc, "current", json_string(argv[n - 1]));
	json_object_set_new(doc, "new", diff_new(base, cur, &total));
	json_object_set_new(doc, "total", json_integer((json_int_t)total));
	if (json)
		print_json(stdout, doc);
	else
		diff_text(doc, argv, n - 1, argv[n - 1], total);
	json_decref(doc);
	return total ? EXIT_FOUND : EXIT_NOTHING;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_keys base = { 0 }, cur = { .details = true };
	struct policy policy;
	bool json = false;
	int opt, i, r, ret = EXIT_ERROR;

	policy_init(&policy);
	while ((opt = getopt_long(argc, argv, "", diff_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(diff_usage, stdout);
			ret = EXIT_NOTHING;
			goto out;
		} else if (opt == 'j') {
			json = true;
		} else if ((r = policy_option(&policy, opt, optarg)) != 1) {
			if (r == 0)
				usage_error("diff", "unknown option");
			goto out;
		}
	}
	if (argc - optind < 2) {
		usage_error("diff", "at least one baseline and the current trace expected");
		goto out;
	}
	for (i = optind; i < argc - 1; i++)
		if (diff_read(&base, &policy, argv[i]))
			goto out;
	if (diff_read(&cur, &policy, argv[argc - 1]) == 0)
		ret = diff_report(&base, &cur, argv + optind, argc - optind, json);
out:
	keys_free(&base);
	keys_free(&cur);
	policy_free(&policy);
	return ret;
}
