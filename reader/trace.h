/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The streaming trace reader: a .jsonl.gz file (any number of gzip members), a plain
 * .jsonl file or stdin, one line at a time. A line is parsed with jansson only when a
 * command asks for it (trace_json); its type is read from the line's head without a full
 * parse when the line starts the way tracerd writes it, so that commands can skip the
 * lines they do not need at the speed of gunzip.
 */
#ifndef READER_TRACE_H
#define READER_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/*
 * Line types. A new type is one entry here and one in event.c's table (name and how
 * show renders it); every other type is EV_UNKNOWN, shown generically, never an error.
 */
enum ev_type {
	EV_UNKNOWN,
	EV_TRACE_START,
	EV_PROCESS_EXEC,
	EV_PROCESS_EXIT,
	EV_NET_CONNECT,
	EV_NET_LISTEN,
	EV_NET_ACCEPT,
	EV_DNS_QUERY,
	EV_FILE_OPEN,
	EV_FILE_WRITE,
	EV_PROCESS_ACCESS,
	EV_IO_URING_SETUP,
	EV_EVENTS_LOST,
	EV_TAMPER,
	EV_TRACE_END,
	EV_TYPE_COUNT,
};

enum ev_type ev_type_from_name(const char *name, size_t len);
const char *ev_type_name(enum ev_type type);

#define TRACE_MAX_LINE (64u << 20)

struct trace_reader {
	const char *name; /* as given, for messages */
	void *gz; /* gzFile */
	bool follow;
	bool truncated; /* the file ends inside a gzip member or a line */
	char *buf;
	size_t cap, start, end;
	unsigned long lineno;
	/* The current line (NUL-terminated in buf) and what is known of it. */
	char *line;
	size_t len;
	enum ev_type type;
	const char *type_name; /* for EV_UNKNOWN: the line's own type (in the parsed object) */
	json_t *obj;
	char err[512];
};

int trace_open(struct trace_reader *r, const char *path, bool follow);
/* 1: a line is current; 0: end of the trace; -EINVAL / -EIO: r->err says where and why. */
int trace_next(struct trace_reader *r);
/* The current line parsed (owned by the reader until the next line); NULL: r->err. */
json_t *trace_json(struct trace_reader *r);
/*
 * A top-level string field of the current line without a full parse: 0 and the value in
 * out, -ENOENT when the line has no such field, -EAGAIN when the fast path cannot tell
 * (escapes, nesting, a value longer than outlen): call trace_json instead.
 */
int trace_peek_string(const struct trace_reader *r, const char *key, char *out, size_t outlen);
void trace_close(struct trace_reader *r);

/* Accessors on a parsed line: NULL / def when the field is missing or of another type. */
const char *ev_str(const json_t *obj, const char *key);
long long ev_int(const json_t *obj, const char *key, long long def);
bool ev_bool(const json_t *obj, const char *key);

/* show's rendering of a line's own fields (after time, pid and comm), into b. */
void ev_render(struct sbuf *b, enum ev_type type, const json_t *obj);
/* "HOST ADDR:PORT/PROTO" of a connect or listen line; the host only when known. */
void ev_render_destination(struct sbuf *b, const json_t *obj, bool with_addr);

#endif
