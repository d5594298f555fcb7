// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the trace reader and everything a line passes through in check,
 * summary and show: the bytes are a trace file (gzip or plain), read through the real
 * scan with the detectors on, and each parsed line rendered as show would.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect.h"
#include "normalize.h"

static struct policy policy;

static void fuzz_event(struct scan *s, json_t *obj, struct proc *p, void *ctx)
{
	struct sbuf b = { 0 };
	const char *path = ev_str(obj, "path");

	detect_event(s, obj, p, ctx);
	ev_render(&b, s->r.type, obj);
	if (path)
		normalize_path(&b, path);
	sbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	struct detect d;
	struct scan s;

	if (fd < 0) {
		policy_init(&policy);
		strlist_add(&policy.allow_hosts, "10.0.0.0/8");
		fd = memfd_create("trace", 0);
		if (fd < 0)
			return 0;
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	detect_init(&d, &policy);
	scan_init(&s, &policy);
	s.skip_plain_opens = size & 1;
	s.on_event = fuzz_event;
	s.ctx = &d;
	if (scan_run(&s, path, false) == 0)
		detect_finish(&d, &s);
	scan_free(&s);
	detect_free(&d);
	return 0;
}
