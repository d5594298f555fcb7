/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef TRACERD_OPTIONS_H
#define TRACERD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OPTIONS_JOB_ID_MAX 128
#define OPTIONS_FLUSH_MS_DEFAULT 1000
#define OPTIONS_FLUSH_MS_MIN 10
#define OPTIONS_FLUSH_MS_MAX 3600000
#define OPTIONS_RINGBUF_KB_DEFAULT 16384
#define OPTIONS_RINGBUF_KB_MIN 64 /* the largest record (an exec) must fit, with room */
#define OPTIONS_RINGBUF_KB_MAX 1048576

struct options {
	const char *job_id;
	const char *out_path; /* "-" is stdout, plain JSONL */
	const char *pid_file; /* NULL when not given */
	const char *hash_cache; /* --hash-cache: NULL when not given */
	unsigned int flush_interval_ms;
	unsigned int ringbuf_kb; /* --ring-buffer-kb, power of two */
	bool force;
	bool help;
	bool version;
	char **command; /* NULL-terminated argv after "--", NULL when absent */
};

/*
 * Parses argv (getopt_long style, long options only, "--opt=value" and "--opt value").
 * On bad usage returns -EINVAL with a one-line message in err naming the option and the
 * problem. --help / --version set the flag and return 0 without requiring other options.
 * Nothing is opened or created here.
 */
int options_parse(int argc, char **argv, struct options *opts, char *err, size_t errlen);

/* true when id follows the --job-id rules: 1-128 of [A-Za-z0-9._-], not starting with '-', not . or .. */
bool options_job_id_valid(const char *id);

void options_print_usage(FILE *f);

#endif
