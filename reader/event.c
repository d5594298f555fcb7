// SPDX-License-Identifier: GPL-2.0-only
/*
 * Line types and how show renders each. Adding a line type means one enum value in
 * trace.h and one row in event_types below; a type missing here is rendered generically
 * (its name and its own fields as JSON).
 */
#include <string.h>

#include "trace.h"

typedef void (*render_fn)(struct sbuf *b, const json_t *obj);

struct event_type {
	const char *name;
	render_fn render;
};

const char *ev_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

long long ev_int(const json_t *obj, const char *key, long long def)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

bool ev_bool(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

static void add_errno(struct sbuf *b, long long ret)
{
	const char *name = ret < 0 && ret > -4096 ? strerrorname_np((int)-ret) : NULL;

	if (name)
		sbuf_printf(b, " = %s", name);
	else
		sbuf_printf(b, " = %lld", ret);
}

/* Operations submitted through io_uring say so: no syscall of theirs shows them. */
static void add_via(struct sbuf *b, const json_t *obj)
{
	if (ev_str(obj, "via"))
		sbuf_printf(b, " [%s]", ev_str(obj, "via"));
}

static void render_exec(struct sbuf *b, const json_t *obj)
{
	const json_t *args = json_object_get(obj, "args"), *arg;
	const char *exe = ev_str(obj, "exe");
	size_t i;

	sbuf_printf(b, "exec %s", exe ? exe : ev_str(obj, "filename") ?: "?");
	json_array_foreach(args, i, arg)
	{
		if (i == 0 || !json_is_string(arg))
			continue;
		sbuf_addc(b, ' ');
		sbuf_add_shell_word(b, json_string_value(arg));
	}
	if (ev_bool(obj, "args_truncated"))
		sbuf_add(b, " [args truncated]");
	if (ev_bool(obj, "exe_memfd"))
		sbuf_add(b, " [memfd]");
	if (ev_bool(obj, "exe_deleted"))
		sbuf_add(b, " [deleted]");
	/* Enough of the hash to tell two binaries apart at a glance; summary has it whole. */
	if (ev_str(obj, "exe_sha256"))
		sbuf_printf(b, " [sha256 %.12s]", ev_str(obj, "exe_sha256"));
}

static void render_exit(struct sbuf *b, const json_t *obj)
{
	long long sig = ev_int(obj, "signal", -1);

	if (sig >= 0)
		sbuf_printf(b, "exit killed by signal %lld (%s)%s", sig,
			    sigabbrev_np((int)sig) ?: "?",
			    ev_bool(obj, "core_dumped") ? ", core dumped" : "");
	else
		sbuf_printf(b, "exit %lld", ev_int(obj, "exit_code", -1));
	if (json_object_get(obj, "duration_ns"))
		sbuf_printf(b, " after %.3f s", (double)ev_int(obj, "duration_ns", 0) / 1e9);
}

void ev_render_destination(struct sbuf *b, const json_t *obj, bool with_addr)
{
	const char *host = ev_str(obj, "hostname"), *addr = ev_str(obj, "dst_addr");
	const char *proto = ev_str(obj, "protocol");

	if (!addr)
		addr = ev_str(obj, "addr") ?: ev_str(obj, "src_addr") ?: "?";
	if (host)
		sbuf_add(b, host);
	if (host && !with_addr)
		sbuf_addc(b, ':');
	else
		sbuf_printf(b, host ? " %s%s%s:" : "%s%s%s:", strchr(addr, ':') ? "[" : "", addr,
			    strchr(addr, ':') ? "]" : "");
	sbuf_printf(b, "%lld", ev_int(obj, "dst_port", ev_int(obj, "port", -1)));
	if (proto)
		sbuf_printf(b, "/%s", proto);
}

static void render_connect(struct sbuf *b, const json_t *obj)
{
	long long ret = ev_int(obj, "ret", 0);

	sbuf_add(b, "connect ");
	ev_render_destination(b, obj, true);
	if (ret < 0 && ret != -115)
		add_errno(b, ret);
	add_via(b, obj);
}

static void render_listen(struct sbuf *b, const json_t *obj)
{
	sbuf_add(b, "listen ");
	ev_render_destination(b, obj, true);
}

static void render_accept(struct sbuf *b, const json_t *obj)
{
	const char *peer = ev_str(obj, "src_addr") ?: ev_str(obj, "peer_addr") ?: "?";

	sbuf_printf(b, "accept from %s port %lld", peer,
		    ev_int(obj, "src_port", ev_int(obj, "peer_port", -1)));
}

static void render_dns(struct sbuf *b, const json_t *obj)
{
	sbuf_printf(b, "dns %s %s via %s:%lld/%s", ev_str(obj, "qtype") ?: "?",
		    ev_str(obj, "hostname") ?: "?", ev_str(obj, "dst_addr") ?: "?",
		    ev_int(obj, "dst_port", 53), ev_str(obj, "protocol") ?: "?");
	add_via(b, obj);
}

static void render_open(struct sbuf *b, const json_t *obj)
{
	long long ret = ev_int(obj, "ret", 0);

	sbuf_printf(b, "open %s %s", ev_str(obj, "path") ?: "?", ev_str(obj, "flags") ?: "");
	if (ret < 0)
		add_errno(b, ret);
	add_via(b, obj);
}

static void render_write(struct sbuf *b, const json_t *obj)
{
	sbuf_printf(b, "write %s %lld bytes in %lld writes", ev_str(obj, "path") ?: "?",
		    ev_int(obj, "bytes", 0), ev_int(obj, "writes", 0));
	add_via(b, obj);
}

static void render_io_uring_setup(struct sbuf *b, const json_t *obj)
{
	long long ret = ev_int(obj, "ret", 0);

	sbuf_printf(b, "io_uring_setup %lld entries", ev_int(obj, "entries", 0));
	if (ev_str(obj, "setup_flags"))
		sbuf_printf(b, " %s", ev_str(obj, "setup_flags"));
	if (ret < 0)
		add_errno(b, ret);
	else
		sbuf_printf(b, " = fd %lld", ret);
	if (!ev_bool(obj, "ops_traced"))
		sbuf_add(b, " [requests not traced on this kernel]");
}

static void render_access(struct sbuf *b, const json_t *obj)
{
	sbuf_printf(b, "access pid %lld", ev_int(obj, "target_pid", -1));
	if (ev_str(obj, "action"))
		sbuf_printf(b, " %s", ev_str(obj, "action"));
}

static void render_counts(struct sbuf *b, const json_t *by_type)
{
	const char *key;
	const json_t *v;
	const char *sep = "";

	json_object_foreach((json_t *)by_type, key, v)
	{
		sbuf_printf(b, "%s%s %lld", sep, key, (long long)json_integer_value(v));
		sep = ", ";
	}
}

static void render_lost(struct sbuf *b, const json_t *obj)
{
	sbuf_printf(b, "LOST %lld events (", ev_int(obj, "count", 0));
	render_counts(b, json_object_get(obj, "by_type"));
	sbuf_addc(b, ')');
}

static void render_tamper(struct sbuf *b, const json_t *obj)
{
	sbuf_printf(b, "TAMPER %s on tracerd pid %lld", ev_str(obj, "action") ?: "?",
		    ev_int(obj, "target_pid", -1));
	if (json_object_get(obj, "signal"))
		sbuf_printf(b, " signal %lld", ev_int(obj, "signal", 0));
	if (ev_str(obj, "path"))
		sbuf_printf(b, " %s", ev_str(obj, "path"));
}

static void render_start(struct sbuf *b, const json_t *obj)
{
	sbuf_printf(b, "trace start: job %s on %s, kernel %s, tracerd %s",
		    ev_str(obj, "job_id") ?: "?", ev_str(obj, "hostname") ?: "?",
		    ev_str(obj, "kernel") ?: "?", ev_str(obj, "version") ?: "?");
}

static void render_end(struct sbuf *b, const json_t *obj)
{
	sbuf_printf(b, "trace end: %lld events, %lld lost, %.3f s", ev_int(obj, "events", 0),
		    ev_int(obj, "lost", 0), (double)ev_int(obj, "duration_ns", 0) / 1e9);
	if (ev_str(obj, "stop_reason"))
		sbuf_printf(b, ", %s", ev_str(obj, "stop_reason"));
}

/* The fields every event line carries: left out of the generic rendering. */
static const char *const common_fields[] = { "type",	"timestamp", "job_id", "pid",
					     "tid",	"ppid",	     "uid",    "comm",
					     "exec_id", "cgroup_id", "cwd",    NULL };

static void render_generic(struct sbuf *b, const json_t *obj)
{
	json_t *rest = json_deep_copy(obj);
	char *text;
	size_t i;

	for (i = 0; common_fields[i]; i++)
		json_object_del(rest, common_fields[i]);
	text = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
	sbuf_printf(b, "%s %s", ev_str(obj, "type") ?: "?", text ? text : "{}");
	free(text);
	json_decref(rest);
}

static const struct event_type event_types[EV_TYPE_COUNT] = {
	[EV_UNKNOWN] = { NULL, render_generic },
	[EV_TRACE_START] = { "trace_start", render_start },
	[EV_PROCESS_EXEC] = { "process_exec", render_exec },
	[EV_PROCESS_EXIT] = { "process_exit", render_exit },
	[EV_NET_CONNECT] = { "net_connect", render_connect },
	[EV_NET_LISTEN] = { "net_listen", render_listen },
	[EV_NET_ACCEPT] = { "net_accept", render_accept },
	[EV_DNS_QUERY] = { "dns_query", render_dns },
	[EV_FILE_OPEN] = { "file_open", render_open },
	[EV_FILE_WRITE] = { "file_write", render_write },
	[EV_PROCESS_ACCESS] = { "process_access", render_access },
	[EV_IO_URING_SETUP] = { "io_uring_setup", render_io_uring_setup },
	[EV_EVENTS_LOST] = { "events_lost", render_lost },
	[EV_TAMPER] = { "tamper", render_tamper },
	[EV_TRACE_END] = { "trace_end", render_end },
};

enum ev_type ev_type_from_name(const char *name, size_t len)
{
	int t;

	for (t = 1; t < EV_TYPE_COUNT; t++)
		if (strlen(event_types[t].name) == len &&
		    memcmp(event_types[t].name, name, len) == 0)
			return (enum ev_type)t;
	return EV_UNKNOWN;
}

const char *ev_type_name(enum ev_type type)
{
	return type > EV_UNKNOWN && type < EV_TYPE_COUNT ? event_types[type].name : NULL;
}

void ev_render(struct sbuf *b, enum ev_type type, const json_t *obj)
{
	event_types[type < EV_TYPE_COUNT ? type : EV_UNKNOWN].render(b, obj);
}
