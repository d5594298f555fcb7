/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What tracerd needs from the kernel and its own privileges before it loads anything, and
 * the message that says what is missing. bpf_setup_preflight() reads the facts; the
 * verdict is a pure function of them.
 */
#ifndef TRACERD_PREFLIGHT_H
#define TRACERD_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREFLIGHT_MIN_KERNEL "5.8"

enum lockdown_mode {
	LOCKDOWN_UNKNOWN, /* securityfs not mounted, or no lockdown LSM */
	LOCKDOWN_NONE,
	LOCKDOWN_INTEGRITY, /* blocks writing user memory from BPF: tracerd does not */
	LOCKDOWN_CONFIDENTIALITY, /* blocks reading kernel memory from BPF: tracerd must */
};

struct preflight_facts {
	uint64_t caps_effective; /* CapEff bits */
	bool has_btf; /* /sys/kernel/btf/vmlinux readable */
	bool has_ringbuf; /* BPF_MAP_TYPE_RINGBUF loads */
	enum lockdown_mode lockdown;
	char release[65]; /* uname -r */
};

/* Parses /sys/kernel/security/lockdown's text: "none [integrity] confidentiality". */
enum lockdown_mode preflight_parse_lockdown(const char *text);

/*
 * 0 when tracerd can trace, else -EPERM (privileges) or -ENOTSUP (the kernel) with a
 * message naming what is missing in why.
 */
int preflight_check(const struct preflight_facts *f, char *why, size_t len);

#endif
