// SPDX-License-Identifier: GPL-2.0-only
/* The reader's entry point and what its commands share. */
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "show", cmd_show },
	{ "summary", cmd_summary },
	{ "diff", cmd_diff },
	{ "check", cmd_check },
};

bool reader_is_command(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return true;
	return false;
}

int reader_main(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			return commands[i].run(argc, argv);
	return EXIT_ERROR;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tracerd %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'tracerd %s --help'.\n", cmd);
	return EXIT_ERROR;
}

int policy_option(struct policy *p, int opt, const char *arg)
{
	char err[512], line[4300];

	switch (opt) {
	case 'r':
		if (policy_load_file(p, arg, err, sizeof(err)) == 0)
			return 1;
		fprintf(stderr, "tracerd: rules: %s\n", err);
		return -1;
	case 'S':
		snprintf(line, sizeof(line), "sensitive %s", arg);
		break;
	case 'w':
		snprintf(line, sizeof(line), "workspace %s", arg);
		break;
	case 'A':
		snprintf(line, sizeof(line), "allow-host %s", arg);
		break;
	default:
		return 0;
	}
	if (strlen(arg) < 4096 && !strpbrk(arg, " \t\n#") &&
	    policy_add_line(p, line, err, sizeof(err)) == 0)
		return 1;
	fprintf(stderr, "tracerd: bad value '%.200s'%s%s\n", arg,
		strpbrk(arg, " \t\n#") ? "" : ": ", strpbrk(arg, " \t\n#") ? "" : err);
	return -1;
}

void print_json(FILE *f, json_t *doc)
{
	json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
}

void nested_count(void *map, const char *key, const char *sub, unsigned long n)
{
	struct strmap **slot = (struct strmap **)strmap_slot(map, key, NULL);

	if (!*slot)
		*slot = xcalloc(1, sizeof(struct strmap));
	strmap_count(*slot, sub, n);
}

static void free_submap(void *v)
{
	strmap_free(v, NULL);
	free(v);
}

void nested_free(void *map)
{
	strmap_free(map, free_submap);
}

/* Largest "count" first; among equals, the order they were made in ("_i"). */
static int compare_count_desc(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t cx = json_integer_value(json_object_get(x, "count"));
	json_int_t cy = json_integer_value(json_object_get(y, "count"));
	json_int_t ix = json_integer_value(json_object_get(x, "_i"));
	json_int_t iy = json_integer_value(json_object_get(y, "_i"));

	if (cx != cy)
		return cx < cy ? 1 : -1;
	return ix < iy ? -1 : ix > iy;
}

static json_t *sorted_by_count(json_t *items)
{
	size_t n = json_array_size(items), i;
	json_t **v = xcalloc(n, sizeof(json_t *)), *out = json_array();

	for (i = 0; i < n; i++) {
		v[i] = json_array_get(items, i);
		json_object_set_new(v[i], "_i", json_integer((json_int_t)i));
	}
	qsort(v, n, sizeof(json_t *), compare_count_desc);
	for (i = 0; i < n; i++) {
		json_object_del(v[i], "_i");
		json_array_append(out, v[i]);
	}
	free(v);
	json_decref(items);
	return out;
}

static json_t *counts_json(const struct strmap *m, const char *name, unsigned long *total)
{
	const char **keys = strmap_sorted_keys(m);
	json_t *items = json_array();
	unsigned long n;
	size_t i;

	for (i = 0; keys[i]; i++) {
		n = strmap_counted(m, keys[i]);
		*total += n;
		json_array_append_new(items, json_pack("{s:s,s:I}", name, keys[i], "count",
						       (json_int_t)n));
	}
	free(keys);
	return sorted_by_count(items);
}

json_t *nested_counts_json(void *map, const char *key_name, const char *list_name,
			   const char *sub_name)
{
	const char **keys = strmap_sorted_keys(map);
	json_t *items = json_array(), *subs;
	unsigned long total;
	size_t i;

	for (i = 0; keys[i]; i++) {
		total = 0;
		subs = counts_json(strmap_get(map, keys[i]), sub_name, &total);
		json_array_append_new(items, json_pack("{s:s,s:I,s:o}", key_name, keys[i], "count",
						       (json_int_t)total, list_name, subs));
	}
	free(keys);
	return sorted_by_count(items);
}
