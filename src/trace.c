// SPDX-License-Identifier: GPL-2.0-only
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stages.h"
#include "timefmt.h"

/*
 * Each line type's name, and how its lines begin up to the timestamp's value (built at
 * compile time from the name: one table, so a new type cannot get one without the other).
 */
#define LINE_PREFIX_TEXT(name) "{\"type\":\"" name "\",\"timestamp\":\""
#define LINE_TYPE(id, type_name)                        \
	[id] = { .name = type_name,                     \
		 .prefix = LINE_PREFIX_TEXT(type_name), \
		 .prefix_len = sizeof(LINE_PREFIX_TEXT(type_name)) - 1 }
static const struct {
	const char *name;
	const char *prefix;
	size_t prefix_len;
} line_types[LINE_TYPES] = {
	LINE_TYPE(LINE_PROCESS_EXEC, "process_exec"),
	LINE_TYPE(LINE_PROCESS_EXIT, "process_exit"),
	LINE_TYPE(LINE_NET_CONNECT, "net_connect"),
	LINE_TYPE(LINE_DNS_QUERY, "dns_query"),
	LINE_TYPE(LINE_FILE_OPEN, "file_open"),
	LINE_TYPE(LINE_FILE_WRITE, "file_write"),
	LINE_TYPE(LINE_NET_LISTEN, "net_listen"),
	LINE_TYPE(LINE_NET_ACCEPT, "net_accept"),
	LINE_TYPE(LINE_PROCESS_ACCESS, "process_access"),
	LINE_TYPE(LINE_IO_URING_SETUP, "io_uring_setup"),
	LINE_TYPE(LINE_TAMPER, "tamper"),
	LINE_TYPE(LINE_TRACE_START, "trace_start"),
	LINE_TYPE(LINE_EVENTS_LOST, "events_lost"),
	LINE_TYPE(LINE_TRACE_END, "trace_end"),
};

static const char *const loss_reason_names[LOSS_REASONS] = {
	[LOSS_PROCESS_EXEC] = "process_exec",
	[LOSS_PROCESS_EXIT] = "process_exit",
	[LOSS_NET_CONNECT] = "net_connect",
	[LOSS_DNS_QUERY] = "dns_query",
	[LOSS_FILE_OPEN] = "file_open",
	[LOSS_FILE_WRITE] = "file_write",
	[LOSS_NET_LISTEN] = "net_listen",
	[LOSS_NET_ACCEPT] = "net_accept",
	[LOSS_PROCESS_ACCESS] = "process_access",
	[LOSS_IO_URING_SETUP] = "io_uring_setup",
	[LOSS_TAMPER] = "tamper",
	[LOSS_CWD] = "cwd",
	[LOSS_DECODE_ERROR] = "decode_error",
	[LOSS_WRITE_ERROR] = "write_error",
};

static const char *const hash_missing_names[HASH_MISSING_REASONS] = {
	[HASH_MISSING_GONE] = "gone",		[HASH_MISSING_REPLACED] = "replaced",
	[HASH_MISSING_TOO_LARGE] = "too_large", [HASH_MISSING_UNREADABLE] = "unreadable",
	[HASH_MISSING_BUSY] = "busy",
};

const char *trace_hash_missing_name(enum hash_missing reason)
{
	return hash_missing_names[reason];
}

/* by_type's keys: names from the tables above, valid JSON as they are. */
static void json_field_u64_named(struct json_buf *b, const char *key, uint64_t v)
{
	json_key(b, key);
	json_write_u64(b, v);
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t trace_boot_now_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

void trace_clock_sync(struct trace *t)
{
	uint64_t boot = clock_ns(CLOCK_BOOTTIME);
	uint64_t real = clock_ns(CLOCK_REALTIME);
	uint64_t boot_after = clock_ns(CLOCK_BOOTTIME);

	t->boot_to_unix_ns = (int64_t)real - (int64_t)(boot + (boot_after - boot) / 2);
}

void trace_init(struct trace *t, const char *job_id, struct output *out)
{
	memset(t, 0, sizeof(*t));
	t->job_id = job_id;
	t->job_id_len = strlen(job_id);
	t->out = out;
	json_buf_init(&t->line);
	/* The job id is escaped once: every line then copies it (on failure, escaped per line). */
	json_buf_init(&t->job_id_field);
	json_write_raw(&t->job_id_field, "\"", 1); /* the timestamp's closing quote */
	JSON_FIELD_STRING(&t->job_id_field, "job_id", job_id, t->job_id_len);
	linehold_init(&t->hold);
	trace_clock_sync(t);
	t->start_boot_ns = trace_boot_now_ns();
}

void trace_free(struct trace *t)
{
	json_buf_free(&t->line);
	json_buf_free(&t->job_id_field);
	linehold_free(&t->hold);
}

void trace_line_begin(struct trace *t, enum trace_line_type type, uint64_t boot_ns)
{
	char ts[TIMEFMT_RFC3339_LEN + 1];
	int n;

	STAGE_LINE_BEGIN();
	n = timefmt_rfc3339(boot_ns + t->boot_to_unix_ns, ts, sizeof(ts));
	json_buf_reset(&t->line);
	/* The common start in three copies: {"type":"T","timestamp":" TS ","job_id":"J" */
	if (n > 0 && !t->job_id_field.oom) {
		json_write_raw(&t->line, line_types[type].prefix, line_types[type].prefix_len);
		json_write_raw(&t->line, ts, n);
		json_write_raw(&t->line, t->job_id_field.data, t->job_id_field.len);
		return;
	}
	json_object_begin(&t->line);
	JSON_FIELD_CSTR(&t->line, "type", line_types[type].name);
	if (n > 0)
		JSON_FIELD_STRING(&t->line, "timestamp", ts, n);
	JSON_FIELD_STRING(&t->line, "job_id", t->job_id, t->job_id_len);
}

static void trace_write_failed(struct trace *t, int err, uint64_t lines)
{
	t->lost[LOSS_WRITE_ERROR] += lines;
	if (!t->write_error_logged) {
		log_msg("cannot write the trace: %s; counting what is lost", strerror(-err));
		t->write_error_logged = true;
	}
}

/* One complete line into the output's stage. */
static void trace_append(struct trace *t, enum trace_line_type type, const char *data, size_t len)
{
	int err;

	if (!output_fits(t->out, len))
		trace_flush(t);
	err = output_append(t->out, data, len);
	if (err) {
		trace_write_failed(t, err, 1);
		return;
	}
	t->staged[type]++;
}

/* The held lines complete at the front, in order. */
static void trace_release(struct trace *t)
{
	const struct held_line *l;

	while ((l = linehold_ready(&t->hold))) {
		trace_append(t, l->type, l->data, l->len);
		linehold_pop(&t->hold);
	}
}

void trace_line_end(struct trace *t, enum trace_line_type type)
{
	json_object_end(&t->line);
	json_newline(&t->line);
	if (t->line.oom) {
		t->lost[LOSS_WRITE_ERROR]++;
		goto out;
	}
	if (!linehold_empty(&t->hold) &&
	    !linehold_push(&t->hold, type, t->line.data, t->line.len, false, NULL))
		goto out;
	/* Out of memory to hold it: written now, out of order rather than lost. */
	trace_append(t, type, t->line.data, t->line.len);
out:
	STAGE_LINE_END();
}

int trace_line_hold(struct trace *t, enum trace_line_type type, uint64_t *ret_seq)
{
	int err;

	if (t->line.oom)
		return -ENOMEM;
	err = linehold_push(&t->hold, type, t->line.data, t->line.len, true, ret_seq);
	if (!err)
		STAGE_LINE_END(); /* held; on failure the caller ends the line now */
	return err;
}

void trace_line_complete(struct trace *t, uint64_t seq, const char *fields, size_t len)
{
	char tail[512];

	if (len > sizeof(tail) - 2)
		len = 0;
	memcpy(tail, fields, len);
	tail[len] = '}';
	tail[len + 1] = '\n';
	if (linehold_complete(&t->hold, seq, tail, len + 2))
		return;
	trace_release(t);
}

/* The first line of a small file (boot_id), without its trailing newline; its length. */
static size_t file_first_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, size, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	return n;
}

void trace_write_start(struct trace *t)
{
	char host[256], boot_id[64];
	struct utsname uts;
	size_t n;

	trace_line_begin(t, LINE_TRACE_START, t->start_boot_ns);
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		JSON_FIELD_CSTR(&t->line, "hostname", host);
	}
	if (uname(&uts) == 0)
		JSON_FIELD_CSTR(&t->line, "kernel", uts.release);
	JSON_FIELD_CSTR(&t->line, "version", TRACERD_VERSION);
	n = file_first_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	if (n > 0)
		JSON_FIELD_STRING(&t->line, "boot_id", boot_id, n);
	trace_line_end(t, LINE_TRACE_START);
}

void trace_lost_add(struct trace *t, enum loss_reason reason, uint64_t n)
{
	t->lost[reason] += n;
}

static uint64_t losses_total(const uint64_t *lost)
{
	uint64_t sum = 0;

	for (int i = 0; i < LOSS_REASONS; i++)
		sum += lost[i];
	return sum;
}

void trace_report_losses(struct trace *t)
{
	uint64_t delta[LOSS_REASONS], total = 0;

	for (int i = 0; i < LOSS_REASONS; i++) {
		delta[i] = t->lost[i] - t->lost_reported[i];
		total += delta[i];
	}
	if (!total)
		return;
	trace_line_begin(t, LINE_EVENTS_LOST, trace_boot_now_ns());
	JSON_FIELD_U64(&t->line, "count", total);
	JSON_KEY(&t->line, "by_type");
	json_object_begin(&t->line);
	for (int i = 0; i < LOSS_REASONS; i++) {
		if (delta[i])
			json_field_u64_named(&t->line, loss_reason_names[i], delta[i]);
	}
	json_object_end(&t->line);
	trace_line_end(t, LINE_EVENTS_LOST);
	/* Added, not set: a failed flush inside may have rolled back what was told before. */
	for (int i = 0; i < LOSS_REASONS; i++)
		t->lost_reported[i] += delta[i];
}

void trace_signal_sender(struct trace *t, int sig, uint32_t pid, const char *comm)
{
	struct trace_signal_sender *s;

	if (sig <= 0 || sig >= TRACE_SIGNALS)
		return;
	s = &t->signal_senders[sig];
	s->pid = pid;
	/* A kernel comm has 16 bytes, not always a NUL: up to 15 are kept. */
	snprintf(s->comm, sizeof(s->comm), "%.*s", (int)sizeof(s->comm) - 1, comm);
}

static const char *const stop_reason_names[] = {
	[STOP_SIGNAL] = "signal",
	[STOP_COMMAND_EXITED] = "command_exited",
	[STOP_ERROR] = "error",
};

/*
 * The kernel's record of the signal names its sender in the initial pid namespace, with
 * its comm; signalfd's pid is only the fallback (the record was lost, or tracerd runs in
 * another pid namespace and the two disagree).
 */
static void trace_write_stop(struct trace *t)
{
	const struct trace_stop *stop = &t->stop;
	const struct trace_signal_sender *s;

	JSON_FIELD_CSTR(&t->line, "stop_reason", stop_reason_names[stop->reason]);
	if (!stop->signal)
		return;
	s = &t->signal_senders[stop->signal];
	JSON_FIELD_I64(&t->line, "stop_signal", stop->signal);
	if (s->pid && s->pid == stop->sender_pid) {
		JSON_FIELD_U64(&t->line, "stopped_by_pid", s->pid);
		JSON_FIELD_STRING(&t->line, "stopped_by_comm", s->comm, strlen(s->comm));
	} else if (stop->sender_pid) {
		JSON_FIELD_U64(&t->line, "stopped_by_pid", stop->sender_pid);
	}
}

/* hashes: {"computed": N, "cached": N, "missing": {"gone": N, ...}}, when hashing is on. */
static void trace_write_hashes(struct trace *t)
{
	const struct trace_hashes *h = &t->hashes;

	if (!h->enabled)
		return;
	JSON_KEY(&t->line, "hashes");
	json_object_begin(&t->line);
	JSON_FIELD_U64(&t->line, "computed", h->computed);
	JSON_FIELD_U64(&t->line, "cached", h->cached);
	JSON_KEY(&t->line, "missing");
	json_object_begin(&t->line);
	for (int i = 0; i < HASH_MISSING_REASONS; i++)
		json_field_u64_named(&t->line, hash_missing_names[i], h->missing[i]);
	json_object_end(&t->line);
	json_object_end(&t->line);
}

void trace_write_end(struct trace *t)
{
	uint64_t now = trace_boot_now_ns();
	uint64_t events = 0;

	for (int i = 0; i < LINE_EVENT_TYPES; i++) {
		if (i != LINE_TAMPER)
			events += t->lines[i] + t->staged[i];
	}
	trace_line_begin(t, LINE_TRACE_END, now);
	JSON_FIELD_U64(&t->line, "events", events);
	JSON_KEY(&t->line, "by_type");
	json_object_begin(&t->line);
	for (int i = 0; i < LINE_EVENT_TYPES; i++) {
		if (t->lines[i] + t->staged[i] && i != LINE_TAMPER)
			json_field_u64_named(&t->line, line_types[i].name,
					     t->lines[i] + t->staged[i]);
	}
	json_object_end(&t->line);
	JSON_FIELD_U64(&t->line, "lost", losses_total(t->lost));
	JSON_FIELD_U64(&t->line, "duration_ns", now - t->start_boot_ns);
	trace_write_hashes(t);
	trace_write_stop(t);
	trace_line_end(t, LINE_TRACE_END);
}

void trace_flush(struct trace *t)
{
	uint64_t dropped = 0;
	int err = output_flush(t->out, &dropped);

	if (err) {
		trace_write_failed(t, err, dropped);
		memcpy(t->lost_reported, t->lost_reported_written, sizeof(t->lost_reported));
	} else {
		for (int i = 0; i < LINE_TYPES; i++)
			t->lines[i] += t->staged[i];
		memcpy(t->lost_reported_written, t->lost_reported, sizeof(t->lost_reported));
	}
	memset(t->staged, 0, sizeof(t->staged));
}
