/* SPDX-License-Identifier: GPL-2.0-only */
/* The traced command of -- COMMAND mode: started held, released once it is traced. */
#ifndef TRACERD_COMMAND_H
#define TRACERD_COMMAND_H

#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>

struct command {
	pid_t pid;
	int release_fd; /* write end of the pipe the child waits on */
};

/*
 * Forks the child, which waits until command_release() before exec'ing argv. The child
 * gets the signal mask and dispositions tracerd started with (saved in *orig_mask), and
 * with stdout_to_stderr its stdout is tracerd's stderr.
 */
int command_spawn(struct command *c, char **argv, const sigset_t *orig_mask, bool stdout_to_stderr);
int command_release(struct command *c);

/*
 * The exit status tracerd should exit with for wait status ws: the code, 128+N for
 * signal N. (The child itself exits 127 when the command is not found, 126 when it
 * cannot be executed.)
 */
int command_exit_status(int ws);

#endif
