// SPDX-License-Identifier: GPL-2.0-only
/* tracerd: records what a CI job did, from the kernel, into one gzip JSONL file. */
#include <stdio.h>

#include "daemon.h"
#include "options.h"
#include "../reader/reader.h"

int main(int argc, char **argv)
{
	struct options opts;
	char err[512];

	/* tracerd show|summary|diff|check ...: the trace reader, not the daemon. */
	if (argc > 1 && reader_is_command(argv[1]))
		return reader_main(argc - 1, argv + 1);
	if (options_parse(argc, argv, &opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "tracerd: %s\nTry 'tracerd --help'.\n", err);
		return 2;
	}
	if (opts.help) {
		options_print_usage(stdout);
		return 0;
	}
	if (opts.version) {
		printf("tracerd %s\n", TRACERD_VERSION);
		return 0;
	}
	return daemon_run(&opts);
}
