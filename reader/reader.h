/* SPDX-License-Identifier: GPL-2.0-only */
/* The reader's entry point, all that the daemon's main() sees of it. */
#ifndef READER_READER_H
#define READER_READER_H

#include <stdbool.h>

/* show, summary, diff or check. */
bool reader_is_command(const char *name);
/* Runs the command argv[0] with its arguments; returns the exit status. */
int reader_main(int argc, char **argv);

#endif
