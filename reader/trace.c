// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading a trace: gzread reads concatenated gzip members as one stream and plain text
 * as it is; after the end of a growing file, gzclearerr lets the next gzread continue
 * (zlib documents it for files being written), which is how --follow works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "trace.h"

#define READ_CHUNK (256u << 10)
#define FOLLOW_POLL_US 200000

static int reader_error(struct trace_reader *r, int err, const char *what)
{
	snprintf(r->err, sizeof(r->err), "%s: line %lu: %s", r->name, r->lineno, what);
	return err;
}

int trace_open(struct trace_reader *r, const char *path, bool follow)
{
	int fd;

	memset(r, 0, sizeof(*r));
	r->name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	r->follow = follow;
	fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(r->err, sizeof(r->err), "%s: %s", r->name, strerror(errno));
		return -errno;
	}
	r->gz = gzdopen(fd, "rb");
	if (!r->gz) {
		close(fd);
		snprintf(r->err, sizeof(r->err), "%s: cannot read: out of memory", r->name);
		return -ENOMEM;
	}
	gzbuffer(r->gz, READ_CHUNK);
	r->cap = READ_CHUNK * 2;
	r->buf = xmalloc(r->cap);
	return 0;
}

/* Makes room after the pending bytes: moves them to the front, grows for a long line. */
static int reader_make_room(struct trace_reader *r)
{
	char *bigger;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end >= READ_CHUNK / 2)
		return 0;
	if (r->cap >= TRACE_MAX_LINE + READ_CHUNK)
		return reader_error(r, -EINVAL, "line longer than 64 MiB");
	bigger = realloc(r->buf, r->cap * 2);
	if (!bigger)
		return reader_error(r, -ENOMEM, "out of memory");
	r->buf = bigger;
	r->cap *= 2;
	return 0;
}

/* Reads more bytes: > 0 read, 0 end of file, < 0 error. */
static int reader_fill(struct trace_reader *r)
{
	int err, n;
	const char *msg;

	err = reader_make_room(r);
	if (err)
		return err;
	n = gzread(r->gz, r->buf + r->end, (unsigned int)(r->cap - r->end - 1));
	if (n > 0) {
		r->end += (size_t)n;
		return n;
	}
	msg = gzerror(r->gz, &err);
	if (n < 0 && err != Z_BUF_ERROR) {
		r->lineno++;
		return reader_error(r, -EIO, err == Z_ERRNO ? strerror(errno) : msg);
	}
	/* Z_BUF_ERROR: the input ends inside a gzip member (cut short or still written). */
	r->truncated = err == Z_BUF_ERROR;
	return 0;
}

static bool line_is_blank(const char *s, size_t n)
{
	return strspn(s, " \t\r") >= n;
}

/* The head `{"type":"NAME"` as tracerd writes it; anything else is left to jansson. */
static void reader_peek_type(struct trace_reader *r)
{
	static const char head[] = "{\"type\":\"";
	const char *name = r->line + sizeof(head) - 1, *q;

	r->type = EV_UNKNOWN;
	r->type_name = NULL;
	if (r->len < sizeof(head) || memcmp(r->line, head, sizeof(head) - 1) != 0)
		return;
	q = memchr(name, '"', r->len - (sizeof(head) - 1));
	if (q && !memchr(name, '\\', (size_t)(q - name)))
		r->type = ev_type_from_name(name, (size_t)(q - name));
	if (r->type != EV_UNKNOWN)
		r->type_name = ev_type_name(r->type);
}

static int reader_take_line(struct trace_reader *r, char *nl)
{
	r->line = r->buf + r->start;
	r->len = (size_t)(nl - r->line);
	*nl = '\0';
	r->start += r->len + 1;
	r->lineno++;
	json_decref(r->obj);
	r->obj = NULL;
	reader_peek_type(r);
	if (!r->type_name && !trace_json(r))
		return -EINVAL;
	return 1;
}

/* The end of the data: a last line without '\n' is a line if it parses, else cut short. */
static int reader_last_line(struct trace_reader *r)
{
	if (r->end == r->start || line_is_blank(r->buf + r->start, r->end - r->start))
		return 0;
	r->buf[r->end] = '\0';
	r->end++;
	if (reader_take_line(r, r->buf + r->end - 1) == 1 && trace_json(r))
		return 1;
	r->truncated = true;
	r->err[0] = '\0';
	return 0;
}

int trace_next(struct trace_reader *r)
{
	char *nl;
	int n;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl) {
			if (line_is_blank(r->buf + r->start, (size_t)(nl - r->buf) - r->start)) {
				r->start = (size_t)(nl - r->buf) + 1;
				r->lineno++;
				continue;
			}
			return reader_take_line(r, nl);
		}
		n = reader_fill(r);
		if (n < 0)
			return n;
		if (n > 0)
			continue;
		if (!r->follow)
			return reader_last_line(r);
		usleep(FOLLOW_POLL_US);
		gzclearerr(r->gz);
	}
}

json_t *trace_json(struct trace_reader *r)
{
	json_error_t jerr;
	const char *type;

	if (r->obj)
		return r->obj;
	r->obj = json_loadb(r->line, r->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->obj) {
		snprintf(r->err, sizeof(r->err), "%s: line %lu: invalid JSON at column %d: %s",
			 r->name, r->lineno, jerr.column, jerr.text);
		return NULL;
	}
	type = json_is_object(r->obj) ? ev_str(r->obj, "type") : NULL;
	if (!type) {
		json_decref(r->obj);
		r->obj = NULL;
		reader_error(r, -EINVAL, "not a JSON object with a string \"type\"");
		return NULL;
	}
	r->type = ev_type_from_name(type, strlen(type));
	r->type_name = type;
	return r->obj;
}

int trace_peek_string(const struct trace_reader *r, const char *key, char *out, size_t outlen)
{
	char pattern[64];
	const char *p, *q;
	size_t n = strlen(key);

	if (n + 5 > sizeof(pattern) || r->obj)
		return -EAGAIN;
	pattern[0] = ',';
	pattern[1] = '"';
	memcpy(pattern + 2, key, n);
	memcpy(pattern + 2 + n, "\":\"", 3);
	n += 5;
	/* A nested object could hold the same key: only flat lines take the fast path. */
	if (memchr(r->line + 1, '{', r->len - 1))
		return -EAGAIN;
	p = memmem(r->line, r->len, pattern, n);
	if (!p)
		return -ENOENT;
	p += n;
	q = memchr(p, '"', r->len - (size_t)(p - r->line));
	if (!q || memchr(p, '\\', (size_t)(q - p)) || (size_t)(q - p) >= outlen)
		return -EAGAIN;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return 0;
}

void trace_close(struct trace_reader *r)
{
	if (r->gz)
		gzclose(r->gz);
	json_decref(r->obj);
	free(r->buf);
	r->gz = NULL;
	r->obj = NULL;
	r->buf = NULL;
}
