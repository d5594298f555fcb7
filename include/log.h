/* SPDX-License-Identifier: GPL-2.0-only */
/* tracerd's messages to its operator: one line on stderr, "tracerd: " first. */
#ifndef TRACERD_LOG_H
#define TRACERD_LOG_H

__attribute__((format(printf, 1, 2))) void log_msg(const char *fmt, ...);

/* "tracerd: what: why", or "what: strerror(-err)" when why is NULL. */
void log_error(const char *what, const char *why, int err);

#endif
