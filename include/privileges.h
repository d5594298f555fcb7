/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Least privilege once tracing is live: the BPF programs are loaded and attached, the
 * files are open, and the loop needs almost nothing of root any more.
 */
#ifndef TRACERD_PRIVILEGES_H
#define TRACERD_PRIVILEGES_H

#include <stdbool.h>

/*
 * Drops every capability the event loop does not need, sets no_new_privs and installs
 * the seccomp allow-list. cgroup_fd: the cgroup2 mount that open_by_handle_at() may use
 * (negative: none, and the call is refused); command: -- mode, where signals are passed
 * on to the command. Returns 0 or -errno; on error nothing is left half-done that would
 * stop the trace.
 */
int privileges_drop(int cgroup_fd, bool command);

/*
 * The hasher process's: CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only, no_new_privs and its
 * own seccomp allow-list. Returns 0 or -errno.
 */
int privileges_drop_hasher(void);

#endif
