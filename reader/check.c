// SPDX-License-Identifier: GPL-2.0-only
/*
 * tracerd check: the detections of detect.c over one trace, as text, JSON or SARIF 2.1.0.
 * Exit 1 when a finding is at or above --fail-on (warning by default).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "detect.h"

struct check_opts {
	enum output_format fmt;
	enum severity fail_on, show_from;
};

static json_t *finding_json(const struct finding *f, const char *path)
{
	json_t *ev = json_array();
	size_t i;

	for (i = 0; i < f->n_ev; i++)
		json_array_append_new(ev, json_pack("{s:I,s:s}", "line", (json_int_t)f->ev[i].line,
						    "text", f->ev[i].text));
	return json_pack("{s:s,s:s,s:s,s:s,s:o}", "rule", rule_table[f->rule].id, "severity",
			 severity_name(f->severity), "message", f->message, "file", path,
			 "evidence", ev);
}

static const char *sarif_level(enum severity s)
{
	return s == SEV_ERROR ? "error" : s == SEV_WARNING ? "warning" : "note";
}

static json_t *sarif_location(const char *path, unsigned long line)
{
	return json_pack("{s:{s:{s:s},s:{s:I}}}", "physicalLocation", "artifactLocation", "uri",
			 path, "region", "startLine", (json_int_t)line);
}

static json_t *sarif_result(const struct finding *f, const char *path)
{
	json_t *related = json_array(), *res;
	size_t i;

	for (i = 1; i < f->n_ev; i++) {
		res = sarif_location(path, f->ev[i].line);
		json_object_set_new(res, "message", json_pack("{s:s}", "text", f->ev[i].text));
		json_array_append_new(related, res);
	}
	res = json_pack("{s:s,s:s,s:{s:s},s:[o]}", "ruleId", rule_table[f->rule].id, "level",
			sarif_level(f->severity), "message", "text", f->message, "locations",
			sarif_location(path, f->n_ev ? f->ev[0].line : 1));
	if (json_array_size(related))
		json_object_set_new(res, "relatedLocations", related);
	else
		json_decref(related);
	return res;
}

static json_t *sarif_document(const struct detect *d, const char *path, enum severity from)
{
	json_t *rules = json_array(), *results = json_array();
	size_t i;

	for (i = 0; i < RULE_COUNT; i++)
		json_array_append_new(rules,
				      json_pack("{s:s,s:{s:s},s:{s:s}}", "id", rule_table[i].id,
						"shortDescription", "text", rule_table[i].title,
						"defaultConfiguration", "level",
						sarif_level(d->policy->severity[i] ?: SEV_NOTE)));
	for (i = 0; i < d->n; i++)
		if (d->findings[i].severity >= from)
			json_array_append_new(results, sarif_result(&d->findings[i], path));
	return json_pack("{s:s,s:s,s:[{s:{s:{s:s,s:s,s:s,s:o}},s:o}]}", "$schema",
			 "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
			 "runs", "tool", "driver", "name", "tracerd", "version", TRACERD_VERSION,
			 "informationUri", "https://github.com/tracerd/tracerd", "rules", rules,
			 "results", results);
}

static void check_text(const struct detect *d, const char *path, enum severity from)
{
	size_t i, j, counts[SEV_ERROR + 1] = { 0 };
	const struct finding *f;

	for (i = 0; i < d->n; i++) {
		f = &d->findings[i];
		counts[f->severity]++;
		if (f->severity < from)
			continue;
		printf("%s %s: %s\n", severity_name(f->severity), rule_table[f->rule].id,
		       f->message);
		for (j = 0; j < f->n_ev; j++)
			printf("    %s:%lu: %s\n", path, f->ev[j].line, f->ev[j].text);
	}
	printf("%s: %zu error%s, %zu warning%s", path, counts[SEV_ERROR],
	       counts[SEV_ERROR] == 1 ? "" : "s", counts[SEV_WARNING],
	       counts[SEV_WARNING] == 1 ? "" : "s");
	if (from > SEV_NOTE && counts[SEV_NOTE])
		printf(" (%zu note%s not shown: --all)", counts[SEV_NOTE],
		       counts[SEV_NOTE] == 1 ? "" : "s");
	else
		printf(", %zu note%s", counts[SEV_NOTE], counts[SEV_NOTE] == 1 ? "" : "s");
	if (!d->policy->allow_hosts.n)
		printf("; no allow-list, so host-not-allowed was not checked");
	printf("\n");
}

static int check_output(const struct detect *d, const char *path, const struct check_opts *o)
{
	json_t *doc, *list;
	bool found = false;
	size_t i;

	for (i = 0; i < d->n; i++)
		found |= d->findings[i].severity >= o->fail_on;
	if (o->fmt == OUT_TEXT) {
		check_text(d, path, o->show_from);
	} else {
		if (o->fmt == OUT_SARIF) {
			doc = sarif_document(d, path, o->show_from);
		} else {
			list = json_array();
			for (i = 0; i < d->n; i++)
				if (d->findings[i].severity >= o->show_from)
					json_array_append_new(list,
							      finding_json(&d->findings[i], path));
			doc = json_pack("{s:s,s:o}", "file", path, "findings", list);
		}
		print_json(stdout, doc);
		json_decref(doc);
	}
	return found ? EXIT_FOUND : EXIT_NOTHING;
}

static const struct option check_options[] = {
	POLICY_OPTIONS,
	{ "json", no_argument, NULL, 'j' },
	{ "sarif", no_argument, NULL, 'x' },
	{ "fail-on", required_argument, NULL, 'F' },
	{ "all", no_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char check_usage[] =
	"Usage: tracerd check [options] FILE\n"
	"Built-in detections of CI supply-chain attacks; each finding with the trace lines\n"
	"that prove it. Exit 1 when something at --fail-on or above is found.\n"
	"  --rules FILE        allow-lists, extra sensitive paths, severities (see README.md)\n"
	"  --allow-host PAT    allow connections to PAT (host glob, address, CIDR, [:PORT]);\n"
	"                      with any allow-list, other connections are findings\n"
	"  --sensitive GLOB    one more sensitive path\n"
	"  --workspace PATH    binaries under it may run even from /tmp\n"
	"  --json, --sarif     findings as JSON, or SARIF 2.1.0 for code scanning\n"
	"  --fail-on LEVEL     error, warning (default) or note\n"
	"  --all               show notes too\n";

static int check_parse(int argc, char **argv, struct policy *policy, struct check_opts *o)
{
	int opt, r;

	while ((opt = getopt_long(argc, argv, "", check_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(check_usage, stdout);
			return 1;
		} else if (opt == 'j' || opt == 'x') {
			o->fmt = opt == 'j' ? OUT_JSON : OUT_SARIF;
		} else if (opt == 'a') {
			o->show_from = SEV_NOTE;
		} else if (opt == 'F') {
			if (strcmp(optarg, "error") && strcmp(optarg, "warning") &&
			    strcmp(optarg, "note"))
				return usage_error("check", "--fail-on error|warning|note");
			o->fail_on = optarg[0] == 'e' ? SEV_ERROR :
				     optarg[0] == 'w' ? SEV_WARNING :
							SEV_NOTE;
		} else if ((r = policy_option(policy, opt, optarg)) != 1) {
			return r == 0 ? usage_error("check", "unknown option") : EXIT_ERROR;
		}
	}
	if (optind != argc - 1)
		return usage_error("check", "one trace file expected");
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = { OUT_TEXT, SEV_WARNING, SEV_WARNING };
	struct policy policy;
	struct detect d;
	struct scan s;
	int ret;

	policy_init(&policy);
	ret = check_parse(argc, argv, &policy, &o);
	if (ret) {
		policy_free(&policy);
		return ret == 1 ? EXIT_NOTHING : ret;
	}
	detect_init(&d, &policy);
	scan_init(&s, &policy);
	s.skip_plain_opens = true;
	s.on_event = detect_event;
	s.ctx = &d;
	if (scan_run(&s, argv[optind], false) < 0) {
		fprintf(stderr, "tracerd check: %s\n", s.r.err);
		ret = EXIT_ERROR;
	} else {
		detect_finish(&d, &s);
		ret = check_output(&d, argv[optind], &o);
	}
	scan_free(&s);
	detect_free(&d);
	policy_free(&policy);
	return ret;
}
