// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the rules-file parser: each input line is one rules line; what
 * it adds must then work in matching (sensitive paths, allow-lists, install tools).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "sensitive.h"

static void exercise(const struct policy *p)
{
	json_t *exec =
		json_pack("{s:s,s:[sss]}", "comm", "npm", "args", "/bin/sh", "/x/npm", "install");

	sensitive_match(p, "/root/.netrc", 1, 1);
	sensitive_match(p, "/proc/2/mem", 1, 1);
	sensitive_match(p, "/tmp/a/b/c.txt", 1, 1);
	host_allowed(&p->allow_hosts, "registry.npmjs.org", "10.1.2.3", 443);
	host_allowed(&p->allow_hosts, NULL, "2001:db8::1", 22);
	install_tool_exec(p, exec);
	pipe_to_shell_script(p, "curl -s x | sudo sh");
	json_decref(exec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL, err[256];
	struct policy p;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	policy_init(&p);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		policy_add_line(&p, line, err, sizeof(err));
	exercise(&p);
	policy_free(&p);
	free(text);
	return 0;
}
