// SPDX-License-Identifier: GPL-2.0-only
/*
 * tracerd show: one compact line per event, indented under the exec of its parent
 * process, coloured on a terminal, filtered by type, pid (with descendants), comm, path
 * glob and time range; --follow on a trace still being written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "scan.h"

#define MAX_INDENT 16
#define MAX_PIDS 64

struct show {
	struct strlist types, comms, paths;
	long long pids[MAX_PIDS];
	size_t n_pids;
	double since, until; /* seconds since the epoch; 0: open */
	bool since_rel, until_rel, color, raw;
	double t0;
	struct sbuf line;
};

static const char *const type_colors[EV_TYPE_COUNT] = {
	[EV_PROCESS_EXEC] = "\033[1;32m", [EV_PROCESS_EXIT] = "\033[2m",
	[EV_NET_CONNECT] = "\033[36m",	  [EV_NET_LISTEN] = "\033[1;35m",
	[EV_NET_ACCEPT] = "\033[35m",	  [EV_DNS_QUERY] = "\033[34m",
	[EV_FILE_WRITE] = "\033[33m",	  [EV_EVENTS_LOST] = "\033[1;31m",
	[EV_TAMPER] = "\033[1;31m",	  [EV_PROCESS_ACCESS] = "\033[1;31m",
	[EV_TRACE_START] = "\033[1m",	  [EV_TRACE_END] = "\033[1m",
};

/* RFC 3339 with nanoseconds to seconds since the epoch (0 when unreadable). */
static double parse_time(const char *ts)
{
	struct tm tm = { 0 };
	const char *rest = ts ? strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	double frac = 0;

	if (!rest)
		return 0;
	if (*rest == '.')
		frac = strtod(rest, NULL);
	return (double)timegm(&tm) + frac;
}

static bool pid_selected(const struct show *sh, const struct proc *p, const json_t *obj)
{
	size_t i;

	if (!sh->n_pids)
		return true;
	for (; p; p = p->parent)
		for (i = 0; i < sh->n_pids; i++)
			if (p->pid == sh->pids[i])
				return true;
	for (i = 0; i < sh->n_pids; i++)
		if (ev_int(obj, "pid", -1) == sh->pids[i])
			return true;
	return false;
}

static bool time_selected(struct show *sh, const json_t *obj)
{
	double t = parse_time(ev_str(obj, "timestamp")), since, until;

	if (!sh->t0)
		sh->t0 = t;
	since = sh->since + (sh->since_rel ? sh->t0 : 0);
	until = sh->until + (sh->until_rel ? sh->t0 : 0);
	return !((sh->since || sh->since_rel) && t < since) &&
	       !((sh->until || sh->until_rel) && t > until);
}

static bool selected(struct show *sh, struct scan *s, const json_t *obj, const struct proc *p)
{
	const char *path = ev_str(obj, "path") ?: ev_str(obj, "exe");
	const char *comm = ev_str(obj, "comm");

	if (!time_selected(sh, obj))
		return false;
	if (sh->types.n && !strlist_has(&sh->types, s->r.type_name))
		return false;
	if (sh->comms.n && !(comm && strlist_match(&sh->comms, comm)))
		return false;
	if (sh->paths.n && !(path && strlist_match(&sh->paths, path)))
		return false;
	return pid_selected(sh, p, obj);
}

static void show_event(struct scan *s, json_t *obj, struct proc *p, void *ctx)
{
	struct show *sh = ctx;
	const char *ts = ev_str(obj, "timestamp") ?: "", *color = type_colors[s->r.type];
	int depth = p ? (p->depth < MAX_INDENT ? p->depth : MAX_INDENT) : 0;
	bool failed = ev_int(obj, "ret", 0) < 0 && ev_int(obj, "ret", 0) != -115;

	if (!selected(sh, s, obj, p))
		return;
	if (sh->raw) {
		printf("%s\n", s->r.line);
		return;
	}
	if (failed && s->r.type == EV_FILE_OPEN)
		color = "\033[2m";
	sbuf_reset(&sh->line);
	ev_render(&sh->line, s->r.type, obj);
	printf("%.12s ", strlen(ts) >= 23 ? ts + 11 : ts);
	if (json_object_get(obj, "pid"))
		printf("%7lld %*s%-15s ", ev_int(obj, "pid", -1), 2 * depth, "",
		       ev_str(obj, "comm") ?: "?");
	printf("%s%s%s\n", sh->color && color ? color : "", sh->line.s,
	       sh->color && color ? "\033[0m" : "");
	if (s->r.type == EV_TRACE_END || s->r.type == EV_EVENTS_LOST)
		fflush(stdout);
}

static const struct option show_options[] = {
	{ "type", required_argument, NULL, 't' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "path", required_argument, NULL, 'P' },
	{ "since", required_argument, NULL, 's' },
	{ "until", required_argument, NULL, 'u' },
	{ "follow", no_argument, NULL, 'f' },
	{ "color", required_argument, NULL, 'C' },
	{ "jsonl", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char show_usage[] =
	"Usage: tracerd show [options] FILE\n"
	"One line per event: time, pid, comm indented under its parent's exec, then the event.\n"
	"  --type T[,T...]     only these line types (process_exec, file_open, net_connect...)\n"
	"  --pid PID           only this process and its descendants (repeatable)\n"
	"  --comm GLOB         only processes whose comm matches (repeatable)\n"
	"  --path GLOB         only events whose path (or exe) matches (repeatable)\n"
	"  --since T, --until T  a time range: RFC 3339 (2026-11-22T00:25:27Z) or +SECONDS\n"
	"                      from the first event\n"
	"  --follow, -f        keep reading a trace being written, until its trace_end\n"
	"  --color WHEN        auto (on a terminal, unless NO_COLOR is set), always, never\n"
	"  --jsonl             print the selected lines as they are in the trace\n";

static int time_option(const char *arg, double *t, bool *rel)
{
	char *end;

	*rel = arg[0] == '+';
	if (*rel) {
		*t = strtod(arg + 1, &end);
		return *end || *t < 0 ? -1 : 0;
	}
	*t = parse_time(arg);
	return *t ? 0 : -1;
}

static int show_option(struct show *sh, int opt, const char *arg)
{
	char *copy, *save = NULL, *w, *end;

	switch (opt) {
	case 't':
		copy = xstrdup(arg);
		for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
			strlist_add(&sh->types, w);
		free(copy);
		return 0;
	case 'p':
		if (sh->n_pids == MAX_PIDS)
			return usage_error("show", "at most %d --pid", MAX_PIDS);
		sh->pids[sh->n_pids++] = strtoll(arg, &end, 10);
		return *end || !*arg ? usage_error("show", "--pid takes a number, not '%s'", arg) :
				       0;
	case 'c':
		strlist_add(&sh->comms, arg);
		return 0;
	case 'P':
		strlist_add(&sh->paths, arg);
		return 0;
	case 's':
	case 'u':
		if (time_option(arg, opt == 's' ? &sh->since : &sh->until,
				opt == 's' ? &sh->since_rel : &sh->until_rel) == 0)
			return 0;
		return usage_error("show", "bad time '%s' (RFC 3339, or +SECONDS)", arg);
	case 'C':
		if (strcmp(arg, "always") == 0 || strcmp(arg, "never") == 0) {
			sh->color = strcmp(arg, "always") == 0;
			return 0;
		}
		return strcmp(arg, "auto") == 0 ? 0 :
						  usage_error("show", "--color auto|always|never");
	case 'j':
		sh->raw = true;
		return 0;
	default:
		return usage_error("show", "unknown option");
	}
}

int cmd_show(int argc, char **argv)
{
	struct show sh = { 0 };
	struct policy policy;
	struct scan s;
	bool follow = false;
	int opt, ret = EXIT_NOTHING;

	sh.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	while ((opt = getopt_long(argc, argv, "f", show_options, NULL)) != -1 && ret == 0) {
		if (opt == 'h') {
			fputs(show_usage, stdout);
			return EXIT_NOTHING;
		}
		if (opt == 'f')
			follow = true;
		else
			ret = show_option(&sh, opt, optarg);
	}
	if (ret == 0 && optind != argc - 1)
		ret = usage_error("show", "one trace file expected");
	if (ret) {
		strlist_free(&sh.types);
		strlist_free(&sh.comms);
		strlist_free(&sh.paths);
		return ret;
	}
	if (follow) /* a reader of a live trace sees each line as it comes */
		setvbuf(stdout, NULL, _IOLBF, 0);
	policy_init(&policy);
	scan_init(&s, &policy);
	s.on_event = show_event;
	s.ctx = &sh;
	s.stop_at_end = follow;
	if (scan_run(&s, argv[optind], follow) < 0) {
		fflush(stdout);
		fprintf(stderr, "tracerd show: %s\n", s.r.err);
		ret = EXIT_ERROR;
	} else if (s.r.truncated || (!s.end && !follow)) {
		fflush(stdout);
		fprintf(stderr, "tracerd show: %s: no trace_end: the trace was cut short%s\n",
			s.r.name, s.r.truncated ? " (its last gzip member is incomplete)" : "");
	}
	scan_free(&s);
	policy_free(&policy);
	sbuf_free(&sh.line);
	strlist_free(&sh.types);
	strlist_free(&sh.comms);
	strlist_free(&sh.paths);
	return ret;
}
