/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Trace lines against the schemas in schemas/, for the fuzzers: the subset of JSON Schema
 * 2020-12 those files use, read from them at start, so that a field whose JSON type,
 * range, pattern or presence drifts from the published schema stops the fuzzer.
 */
#ifndef TRACERD_FUZZ_SCHEMA_CHECK_H
#define TRACERD_FUZZ_SCHEMA_CHECK_H

#include <stddef.h>

#include <jansson.h>

/* Loads <dir>/common.schema.json and the schema of every line type it lists: 0 or -errno. */
int schema_check_load(const char *dir, char *why, size_t why_size);
/* Checks one line: 0, or -EINVAL and what is wrong in why. */
int schema_check_line(json_t *line, char *why, size_t why_size);

#endif
