/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tracerd check's detections, run on each line as the trace streams by. Each finding
 * carries the trace lines that prove it (line number and show's rendering).
 */
#ifndef READER_DETECT_H
#define READER_DETECT_H

#include <jansson.h>

#include "rules.h"
#include "scan.h"

#define MAX_EVIDENCE 4

struct evidence {
	unsigned long line;
	char *text;
};

struct finding {
	enum rule_id rule;
	enum severity severity;
	char *message;
	struct evidence ev[MAX_EVIDENCE];
	size_t n_ev;
};

struct detect {
	const struct policy *policy;
	struct finding *findings;
	size_t n, cap;
	struct strmap seen; /* dedup keys of findings already made */
	struct strmap siblings; /* parent exec_id -> struct pipe_pair, for curl | sh */
};

void detect_init(struct detect *d, const struct policy *policy);
/* scan's on_event handler: ctx is the struct detect. */
void detect_event(struct scan *s, json_t *obj, struct proc *p, void *ctx);
/* What only the end of the trace tells: losses, a trace cut short. */
void detect_finish(struct detect *d, const struct scan *s);
void detect_free(struct detect *d);

/* Exposed for tests. */
bool host_allowed(const struct strlist *allow, const char *hostname, const char *addr,
		  long long port);
bool install_tool_exec(const struct policy *policy, const json_t *exec_line);
bool pipe_to_shell_script(const struct policy *policy, const char *script);

#endif
