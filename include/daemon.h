/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef TRACERD_DAEMON_H
#define TRACERD_DAEMON_H

#include "options.h"

/* Runs one trace as the options say. Returns tracerd's exit status. */
int daemon_run(const struct options *opts);

#endif
