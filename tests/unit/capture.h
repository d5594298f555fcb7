/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the tests of trace.c and records.c: a real output file in a temporary directory,
 * read back through zlib and parsed line by line with jansson.
 */
#ifndef TRACERD_TESTS_CAPTURE_H
#define TRACERD_TESTS_CAPTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "output.h"

#define CAPTURE_MAX_LINES 64

struct capture {
	char dir[64];
	char path[96];
	struct output *out;
	json_t *lines[CAPTURE_MAX_LINES];
	size_t count;
};

static inline void capture_open(struct capture *c)
{
	const char *why = NULL;

	memset(c, 0, sizeof(*c));
	strcpy(c->dir, "/tmp/tracerd-unit-XXXXXX");
	if (!mkdtemp(c->dir))
		abort();
	snprintf(c->path, sizeof(c->path), "%s/t.jsonl.gz", c->dir);
	if (output_open(c->path, false, &c->out, &why) < 0)
		abort();
}

static inline void capture_lines_free(struct capture *c)
{
	for (size_t i = 0; i < c->count; i++)
		json_decref(c->lines[i]);
	c->count = 0;
}

/* Every line written so far (complete members), parsed; NULL entries never happen. */
static inline size_t capture_read(struct capture *c)
{
	static char text[1 << 20];
	gzFile gz = gzopen(c->path, "rb");
	int n = gz ? gzread(gz, text, sizeof(text) - 1) : -1;
	char *line = text;

	if (gz)
		gzclose(gz);
	if (n < 0)
		abort();
	text[n] = '\0';
	capture_lines_free(c);
	while (*line && c->count < CAPTURE_MAX_LINES) {
		char *end = strchr(line, '\n');
		json_error_t err;

		if (!end)
			abort(); /* a complete member holds complete lines */
		c->lines[c->count] = json_loadb(line, end - line, JSON_REJECT_DUPLICATES, &err);
		if (!c->lines[c->count])
			abort();
		c->count++;
		line = end + 1;
	}
	return c->count;
}

/* The index-th line of the given type, or NULL. */
static inline json_t *capture_find(struct capture *c, const char *type, size_t index)
{
	for (size_t i = 0; i < c->count; i++) {
		const char *t = json_string_value(json_object_get(c->lines[i], "type"));

		if (t && strcmp(t, type) == 0 && index-- == 0)
			return c->lines[i];
	}
	return NULL;
}

static inline const char *capture_str(json_t *line, const char *key)
{
	return json_string_value(json_object_get(line, key));
}

static inline long long capture_int(json_t *line, const char *key)
{
	json_t *v = json_object_get(line, key);

	return json_is_integer(v) ? json_integer_value(v) : -999999;
}

static inline void capture_close(struct capture *c)
{
	uint64_t lost;

	capture_lines_free(c);
	if (c->out)
		output_close(c->out, &lost);
	unlink(c->path);
	rmdir(c->dir);
}

#endif
