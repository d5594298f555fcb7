/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tracerd show | summary | diff | check: the commands that read traces. Exit status: 0
 * nothing found, 1 something found (diff, check), 2 usage or input error.
 */
#ifndef READER_COMMANDS_H
#define READER_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "rules.h"

enum { EXIT_NOTHING = 0, EXIT_FOUND = 1, EXIT_ERROR = 2 };

#include "reader.h"

int cmd_show(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Shared by the commands. */
enum output_format { OUT_TEXT, OUT_JSON, OUT_MARKDOWN, OUT_SARIF };

/* --rules, --sensitive, --workspace, --allow-host: 1 taken, 0 not ours, -1 error. */
int policy_option(struct policy *p, int opt, const char *arg);
#define POLICY_OPTIONS                                                                            \
	{ "rules", required_argument, NULL, 'r' }, { "sensitive", required_argument, NULL, 'S' }, \
		{ "workspace", required_argument, NULL, 'w' },                                    \
	{                                                                                         \
		"allow-host", required_argument, NULL, 'A'                                        \
	}

int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void print_json(FILE *f, json_t *doc);
/* A generic two-level count map as [{key_name: k, "count": n, list_name: [...]}]. */
json_t *nested_counts_json(void *map, const char *key_name, const char *list_name,
			   const char *sub_name);
void nested_count(void *map, const char *key, const char *sub, unsigned long n);
void nested_free(void *map);

#endif
