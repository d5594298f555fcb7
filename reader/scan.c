// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scan.h"
#include "sensitive.h"

void scan_init(struct scan *s, const struct policy *policy)
{
	memset(s, 0, sizeof(*s));
	s->policy = policy;
	s->lost_by_type = json_object();
}

void scan_free(struct scan *s)
{
	trace_close(&s->r);
	proctree_free(&s->tree);
	json_decref(s->start);
	json_decref(s->end);
	json_decref(s->lost_by_type);
}

/* A file_open whose path is readable without parsing and cannot be sensitive. */
static bool scan_skippable(struct scan *s)
{
	char path[4200];

	if (!s->skip_plain_opens || s->r.type != EV_FILE_OPEN)
		return false;
	return trace_peek_string(&s->r, "path", path, sizeof(path)) == 0 &&
	       !sensitive_candidate(s->policy, path);
}

static void scan_trace_line(struct scan *s, json_t *obj)
{
	const char *key;
	json_t *v, *sum;

	switch (s->r.type) {
	case EV_TRACE_START:
		json_decref(s->start);
		s->start = json_incref(obj);
		break;
	case EV_TRACE_END:
		json_decref(s->end);
		s->end = json_incref(obj);
		break;
	case EV_EVENTS_LOST:
		s->lost += ev_int(obj, "count", 0);
		json_object_foreach(json_object_get(obj, "by_type"), key, v)
		{
			sum = json_object_get(s->lost_by_type, key);
			json_object_set_new(
				s->lost_by_type, key,
				json_integer(json_integer_value(sum) + json_integer_value(v)));
		}
		break;
	default:
		break;
	}
}

static void scan_note_time(struct scan *s, const json_t *obj)
{
	const char *ts = ev_str(obj, "timestamp");

	if (!ts)
		return;
	if (!s->first_ts[0])
		snprintf(s->first_ts, sizeof(s->first_ts), "%s", ts);
	snprintf(s->last_ts, sizeof(s->last_ts), "%s", ts);
}

static int scan_line(struct scan *s)
{
	struct proc *p = NULL;
	json_t *obj;

	s->lines++;
	s->by_type[s->r.type]++;
	if (scan_skippable(s))
		return 0;
	obj = trace_json(&s->r);
	if (!obj)
		return -EINVAL;
	scan_note_time(s, obj);
	scan_trace_line(s, obj);
	if (json_object_get(obj, "exec_id")) {
		p = proctree_update(&s->tree, obj, s->r.type == EV_PROCESS_EXEC, s->r.lineno);
		if (s->r.type == EV_PROCESS_EXIT)
			proctree_exit(&s->tree, p);
	}
	if (s->on_event)
		s->on_event(s, obj, p, s->ctx);
	return 0;
}

int scan_run(struct scan *s, const char *path, bool follow)
{
	int ret = trace_open(&s->r, path, follow);

	while (ret >= 0) {
		ret = trace_next(&s->r);
		if (ret <= 0)
			break;
		ret = scan_line(s);
		if (ret == 0 && s->r.type == EV_TRACE_END && s->stop_at_end)
			break;
	}
	return ret < 0 ? ret : 0;
}

json_t *scan_trace_facts(const struct scan *s, const char *path)
{
	json_t *o = json_object(), *counts = json_object(), *start;
	const char *name;
	int t;

	json_object_set_new(o, "file", json_string(path));
	if (s->start) {
		start = json_pack("{s:O?,s:O?,s:O?,s:O?}", "job_id",
				  json_object_get(s->start, "job_id"), "hostname",
				  json_object_get(s->start, "hostname"), "kernel",
				  json_object_get(s->start, "kernel"), "version",
				  json_object_get(s->start, "version"));
		json_object_update(o, start);
		json_decref(start);
	}
	json_object_set_new(o, "start", json_string(s->first_ts));
	json_object_set_new(o, "end", json_string(s->last_ts));
	json_object_set_new(o, "complete", json_boolean(s->end != NULL));
	json_object_set_new(o, "truncated", json_boolean(s->r.truncated));
	if (s->end) {
		json_object_set(o, "duration_ns", json_object_get(s->end, "duration_ns"));
		if (json_object_get(s->end, "stop_reason"))
			json_object_set(o, "stop_reason", json_object_get(s->end, "stop_reason"));
	}
	json_object_set_new(o, "lines", json_integer((json_int_t)s->lines));
	for (t = 1; t < EV_TYPE_COUNT; t++) {
		name = ev_type_name((enum ev_type)t);
		if (s->by_type[t])
			json_object_set_new(counts, name, json_integer((json_int_t)s->by_type[t]));
	}
	if (s->by_type[EV_UNKNOWN])
		json_object_set_new(counts, "other", json_integer((json_int_t)s->by_type[0]));
	json_object_set_new(o, "lines_by_type", counts);
	json_object_set_new(o, "lost", json_integer(s->lost));
	json_object_set(o, "lost_by_type", s->lost_by_type);
	return o;
}
