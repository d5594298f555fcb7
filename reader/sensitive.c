// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensitive.h"
#include "util.h"

static bool has_wild_bigram(const struct policy *p, const char *path)
{
	const unsigned char *s = (const unsigned char *)path;

	for (; s[0] && s[1]; s++)
		if (p->wild_bigrams[(s[0] << 5) | (s[1] >> 3)] & (1u << (s[1] & 7)))
			return true;
	return false;
}

bool sensitive_candidate(const struct policy *p, const char *path)
{
	const struct sensitive_entry *e;
	size_t i;

	if (strmap_get(p->exact_names, path_base(path)))
		return true;
	if (!p->wild_any && !has_wild_bigram(p, path))
		return false;
	for (i = 0; i < p->n_sensitive; i++) {
		e = &p->sensitive[i];
		if (e->wild_name && strncmp(path, e->glob, e->prefix_len) == 0 &&
		    strstr(path, e->tail))
			return true;
	}
	return false;
}

/* /proc/N/... of the reading process itself (N its pid or one of its threads' tid). */
static bool own_proc_file(const char *path, long long pid, long long tid)
{
	char *end;
	long long n = strtoll(path + 6, &end, 10);

	return *end == '/' && (n == pid || n == tid);
}

const struct sensitive_entry *sensitive_match(const struct policy *p, const char *path,
					      long long pid, long long tid)
{
	const struct sensitive_entry *e;
	size_t i;

	if (!sensitive_candidate(p, path))
		return NULL;
	for (i = 0; i < p->n_sensitive; i++) {
		e = &p->sensitive[i];
		if (!strstr(path, e->tail) || !glob_match(e->glob, path))
			continue;
		if (e->other_process && own_proc_file(path, pid, tid))
			continue;
		/* Public keys sit beside private ones and are no secret. */
		if (strlen(path) > 4 && strcmp(path + strlen(path) - 4, ".pub") == 0)
			continue;
		return e;
	}
	return NULL;
}

bool sensitive_is_owner(const struct sensitive_entry *e, const char *exe, const char *comm)
{
	return (exe && strlist_match(&e->owners, path_base(exe))) ||
	       (comm && strlist_match(&e->owners, comm));
}
