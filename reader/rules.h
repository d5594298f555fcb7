/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy the commands apply: sensitive files and their owning tools, install tools,
 * downloaders and shells, allow-lists, rule severities, the workspace. Built-in defaults
 * (documented in README.md, "Reading traces") extended by a rules file:
 *
 *   # comment                        blank lines and comments are ignored
 *   allow-host PATTERN[:PORT]        a host glob (*.npmjs.org), an address or a CIDR
 *   allow-exec GLOB                  binaries that may run from /tmp, /dev/shm...
 *   sensitive GLOB [OWNER...]        a sensitive path ("~/": in any directory) and the tools
 *                                    (exe name or comm globs) that may read it
 *   install-tool NAME [VERB...]      a package manager; no verbs: any invocation
 *   downloader NAME                  shell NAME
 *   severity RULE off|note|warning|error
 *   workspace PATH                   the job's workspace (summary: writes outside it)
 */
#ifndef READER_RULES_H
#define READER_RULES_H

#include <stdbool.h>
#include <stddef.h>

enum severity { SEV_OFF, SEV_NOTE, SEV_WARNING, SEV_ERROR };

enum rule_id {
	RULE_INSTALL_DOWNLOADER,
	RULE_INSTALL_SHELL,
	RULE_PIPE_TO_SHELL,
	RULE_PROC_MEMORY,
	RULE_CREDENTIAL_READ,
	RULE_HOST_NOT_ALLOWED,
	RULE_EXEC_FROM_TEMP,
	RULE_LISTENER,
	RULE_TAMPER,
	RULE_TRACE_INCOMPLETE,
	RULE_COUNT,
};

struct rule_info {
	const char *id;
	enum severity severity;
	const char *title;
};

extern const struct rule_info rule_table[RULE_COUNT];

struct strlist {
	char **v;
	size_t n;
};

struct sensitive_entry {
	char *glob;
	char *tail; /* a literal the path must contain, for a quick rejection */
	size_t prefix_len; /* the glob's literal head, which a matching path starts with */
	bool wild_name; /* the last component has wildcards (no exact-name test) */
	struct strlist owners;
	bool other_process; /* /proc/PID/...: only another process's counts */
};

struct install_tool {
	char *name;
	struct strlist verbs;
};

struct policy {
	struct sensitive_entry *sensitive;
	size_t n_sensitive;
	struct install_tool *tools;
	size_t n_tools;
	struct strlist downloaders, shells, allow_hosts, allow_exec, temp_dirs;
	enum severity severity[RULE_COUNT];
	char *workspace;
	void *exact_names; /* struct strmap: literal basenames of sensitive globs */
	/* The first two bytes of the literals of globs with a wildcard name: a path holding
	 * none of them cannot match one of those globs. */
	unsigned char wild_bigrams[256 * 256 / 8];
	bool wild_any; /* a glob with no literal of two bytes: every path is a candidate */
};

void policy_init(struct policy *p);
/* Adds one rules-file line; 0 or -EINVAL with a message in err. */
int policy_add_line(struct policy *p, const char *line, char *err, size_t errlen);
/* Reads a rules file: 0, or -errno with "FILE:LINE: why" in err. */
int policy_load_file(struct policy *p, const char *path, char *err, size_t errlen);
int policy_add_sensitive(struct policy *p, const char *glob, const char *const *owners,
			 size_t n_owners);
void policy_free(struct policy *p);

void strlist_add(struct strlist *l, const char *s);
bool strlist_has(const struct strlist *l, const char *s);
void strlist_free(struct strlist *l);
/* Any glob of l matches s. */
bool strlist_match(const struct strlist *l, const char *s);

const char *severity_name(enum severity s);
int rule_from_name(const char *id);

#endif
