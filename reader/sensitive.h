/* SPDX-License-Identifier: GPL-2.0-only */
/* Sensitive files: does a path read by a process name a credential, a key, a secret? */
#ifndef READER_SENSITIVE_H
#define READER_SENSITIVE_H

#include "rules.h"

/*
 * The entry path matches, or NULL. pid and tid are the reading process's: its own
 * /proc/PID/mem or environ is not sensitive, another process's is.
 */
const struct sensitive_entry *sensitive_match(const struct policy *p, const char *path,
					      long long pid, long long tid);
/* Quick test on a path alone: false means sensitive_match is NULL for every pid. */
bool sensitive_candidate(const struct policy *p, const char *path);
/* The reading program (exe path or NULL, comm) is one of the entry's owning tools. */
bool sensitive_is_owner(const struct sensitive_entry *e, const char *exe, const char *comm);

#endif
