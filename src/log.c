// SPDX-License-Identifier: GPL-2.0-only
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void log_msg(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* One write per message: lines of a service's journal stay whole. */
	fprintf(stderr, "tracerd: %s\n", line);
}

void log_error(const char *what, const char *why, int err)
{
	log_msg("%s: %s", what, why ? why : strerror(-err));
}
