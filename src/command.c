// SPDX-License-Identifier: GPL-2.0-only
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* Runs in the child: waits for the release byte, then becomes the command. */
static void __attribute__((noreturn))
command_child(int wait_fd, char **argv, const sigset_t *orig_mask, bool stdout_to_stderr)
{
	char byte;
	int status;

	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, orig_mask, NULL);
	if (stdout_to_stderr && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(126);
	/* EOF without a byte: tracerd died before tracing was live; don't run untraced. */
	if (read(wait_fd, &byte, 1) != 1)
		_exit(126);
	close(wait_fd);
	execvp(argv[0], argv);
	status = errno == ENOENT ? 127 : 126;
	log_msg("cannot run '%s': %s", argv[0], strerror(errno));
	_exit(status);
}

int command_spawn(struct command *c, char **argv, const sigset_t *orig_mask, bool stdout_to_stderr)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		close(fds[1]);
		command_child(fds[0], argv, orig_mask, stdout_to_stderr);
	}
	close(fds[0]);
	c->pid = pid;
	c->release_fd = fds[1];
	return 0;
}

int command_release(struct command *c)
{
	char byte = 1;
	int err = 0;

	if (write(c->release_fd, &byte, 1) != 1)
		err = -errno;
	close(c->release_fd);
	c->release_fd = -1;
	return err;
}

int command_exit_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 1;
}
