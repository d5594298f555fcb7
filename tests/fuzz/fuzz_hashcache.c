/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for hashcache.c's line parser: any bytes as one line. A crash or a
 * sanitizer report is a bug, and so is a line accepted that is not the one canonical
 * text of its entry: what is read must be exactly what tracerd would have written.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t digest[SHA256_DIGEST_LEN];
	char line[HASHCACHE_LINE_MAX];
	struct rec_file_id id;
	int n;

	if (hashcache_parse_line((const char *)data, size, &id, digest))
		return 0;
	n = hashcache_format_line(&id, digest, line, sizeof(line));
	if (n < 1 || (size_t)n != size + 1 || memcmp(line, data, size) || line[size] != '\n')
		abort();
	return 0;
}
