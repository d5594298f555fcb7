// SPDX-License-Identifier: GPL-2.0-only
#include "preflight.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

enum lockdown_mode preflight_parse_lockdown(const char *text)
{
	static const struct {
		const char *name;
		enum lockdown_mode mode;
	} modes[] = {
		{ "[none]", LOCKDOWN_NONE },
		{ "[integrity]", LOCKDOWN_INTEGRITY },
		{ "[confidentiality]", LOCKDOWN_CONFIDENTIALITY },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strstr(text, modes[i].name))
			return modes[i].mode;
	}
	return LOCKDOWN_UNKNOWN;
}

static bool has_cap(uint64_t caps, int cap)
{
	return caps & 1ull << cap;
}

/*
 * Root has CAP_SYS_ADMIN; a service manager may grant CAP_BPF with CAP_PERFMON instead,
 * which is what loading tracing programs and reading kernel memory from them needs.
 */
static int check_capabilities(uint64_t caps, char *why, size_t len)
{
	bool bpf = has_cap(caps, CAP_BPF), perfmon = has_cap(caps, CAP_PERFMON);

	if (has_cap(caps, CAP_SYS_ADMIN) || (bpf && perfmon))
		return 0;
	if (!bpf && !perfmon)
		snprintf(why, len,
			 "tracerd must run as root (it loads BPF programs; CAP_BPF with "
			 "CAP_PERFMON also does): try sudo");
	else
		snprintf(why, len,
			 "tracerd has %s but not %s: it needs both (or root) to load "
			 "its BPF programs",
			 bpf ? "CAP_BPF" : "CAP_PERFMON", bpf ? "CAP_PERFMON" : "CAP_BPF");
	return -EPERM;
}

static int check_kernel(const struct preflight_facts *f, char *why, size_t len)
{
	if (!f->has_btf) {
		snprintf(why, len,
			 "this kernel (%s) has no BTF (/sys/kernel/btf/vmlinux): tracerd "
			 "needs Linux " PREFLIGHT_MIN_KERNEL " or later built with "
			 "CONFIG_DEBUG_INFO_BTF=y",
			 f->release);
		return -ENOTSUP;
	}
	if (!f->has_ringbuf) {
		snprintf(
			why, len,
			"this kernel (%s) has no BPF ring buffer: tracerd needs Linux " PREFLIGHT_MIN_KERNEL
			" or later",
			f->release);
		return -ENOTSUP;
	}
	if (f->lockdown == LOCKDOWN_CONFIDENTIALITY) {
		snprintf(why, len,
			 "kernel lockdown is in confidentiality mode: it forbids BPF "
			 "programs to read kernel memory, which tracing needs (boot with "
			 "lockdown=integrity, or without lockdown)");
		return -EPERM;
	}
	return 0;
}

int preflight_check(const struct preflight_facts *f, char *why, size_t len)
{
	int err = check_capabilities(f->caps_effective, why, len);

	return err ? err : check_kernel(f, why, len);
}
