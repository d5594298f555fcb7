/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel numbers as the names strace and the man pages use, so that a trace reads like
 * the documentation the user already knows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/*
 * The kernel's own values, not glibc's <fcntl.h>: glibc defines O_LARGEFILE as 0 on
 * 64-bit targets although the kernel sets the bit on every open there, and some bits
 * (O_DIRECT, O_DIRECTORY...) differ between architectures, which <asm/fcntl.h> gets right.
 */
#include <asm/fcntl.h>

#include "format.h"
#include "text.h"

struct open_flag_name {
	uint32_t bit;
	const char *name;
};

/*
 * One entry per bit; composite flags (O_SYNC, O_TMPFILE) are handled by open_flag_name().
 * Their private bits alone (a raw open(2) may pass __O_SYNC without O_DSYNC) have no
 * name of their own: they are written in hex, like any bit without a name.
 */
static const struct open_flag_name open_flag_names[] = {
	{ O_CREAT, "O_CREAT" },		{ O_EXCL, "O_EXCL" },
	{ O_NOCTTY, "O_NOCTTY" },	{ O_TRUNC, "O_TRUNC" },
	{ O_APPEND, "O_APPEND" },	{ O_NONBLOCK, "O_NONBLOCK" },
	{ O_DSYNC, "O_DSYNC" },		{ FASYNC, "O_ASYNC" },
	{ O_DIRECT, "O_DIRECT" },	{ O_LARGEFILE, "O_LARGEFILE" },
	{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
	{ O_NOATIME, "O_NOATIME" },	{ O_CLOEXEC, "O_CLOEXEC" },
	{ O_PATH, "O_PATH" },
};

/*
 * The name of one set bit, or NULL when it is unknown, or "" when it is part of a
 * composite flag named at another bit. O_SYNC and O_TMPFILE are each two bits, one of
 * which is a flag of its own (O_DSYNC, O_DIRECTORY): the composite is named at its
 * private bit, where the bits are ordered, and the shared bit is not named again.
 */
static const char *open_flag_name(uint32_t flags, uint32_t bit)
{
	bool sync = (flags & O_SYNC) == O_SYNC;
	bool tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
	size_t i;

	if (sync && bit == O_DSYNC)
		return "";
	if (sync && bit == __O_SYNC)
		return "O_SYNC";
	if (tmpfile && bit == O_DIRECTORY)
		return "";
	if (tmpfile && bit == __O_TMPFILE)
		return "O_TMPFILE";
	for (i = 0; i < sizeof(open_flag_names) / sizeof(open_flag_names[0]); i++) {
		if (open_flag_names[i].bit == bit)
			return open_flag_names[i].name;
	}
	return NULL;
}

static const char *access_mode_name(uint32_t flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return "O_RDONLY";
	case O_WRONLY:
		return "O_WRONLY";
	case O_RDWR:
		return "O_RDWR";
	default:
		return "O_ACCMODE";
	}
}

static int open_flags_text(uint32_t flags, char *buf, size_t buflen)
{
	struct text t = TEXT_INIT(buf, buflen);
	uint32_t rest, bit, unknown = 0;
	const char *name;
	char hex[16];

	text_add(&t, access_mode_name(flags));
	for (rest = flags & ~(uint32_t)O_ACCMODE; rest; rest &= rest - 1) {
		bit = rest & -rest;
		name = open_flag_name(flags, bit);
		if (!name) {
			unknown |= bit;
		} else if (*name) {
			text_add(&t, "|");
			text_add(&t, name);
		}
	}
	if (unknown) {
		snprintf(hex, sizeof(hex), "|0x%x", unknown);
		text_add(&t, hex);
	}
	return text_finish(&t);
}

/* <linux/io_uring.h>'s IORING_SETUP_* by bit, up to kernel 6.18 (Debian 12's header stops at 13). */
static const char *const io_uring_setup_flag_names[] = {
	"IORING_SETUP_IOPOLL",	      "IORING_SETUP_SQPOLL",
	"IORING_SETUP_SQ_AFF",	      "IORING_SETUP_CQSIZE",
	"IORING_SETUP_CLAMP",	      "IORING_SETUP_ATTACH_WQ",
	"IORING_SETUP_R_DISABLED",    "IORING_SETUP_SUBMIT_ALL",
	"IORING_SETUP_COOP_TASKRUN",  "IORING_SETUP_TASKRUN_FLAG",
	"IORING_SETUP_SQE128",	      "IORING_SETUP_CQE32",
	"IORING_SETUP_SINGLE_ISSUER", "IORING_SETUP_DEFER_TASKRUN",
	"IORING_SETUP_NO_MMAP",	      "IORING_SETUP_REGISTERED_FD_ONLY",
	"IORING_SETUP_NO_SQARRAY",    "IORING_SETUP_HYBRID_IOPOLL",
	"IORING_SETUP_CQE_MIXED",
};

int format_io_uring_setup_flags(uint32_t flags, char *buf, size_t buflen)
{
	size_t known = sizeof(io_uring_setup_flag_names) / sizeof(io_uring_setup_flag_names[0]);
	struct text t = TEXT_INIT(buf, buflen);
	uint32_t unknown = 0;
	char hex[16];

	if (buf && buflen)
		buf[0] = '\0'; /* no flags: "" */
	for (uint32_t bit = 0; bit < 32; bit++) {
		if (!(flags & (1U << bit)))
			continue;
		if (bit >= known) {
			unknown |= 1U << bit;
			continue;
		}
		if (t.len)
			text_add(&t, "|");
		text_add(&t, io_uring_setup_flag_names[bit]);
	}
	if (unknown) {
		snprintf(hex, sizeof(hex), t.len ? "|0x%x" : "0x%x", unknown);
		text_add(&t, hex);
	}
	return text_finish(&t);
}

/*
 * The last flags' text is kept: a process opens file after file with the same flags (the
 * hot path: every file_open line has them).
 */
static _Thread_local struct {
	bool valid;
	uint32_t flags;
	int len;
	char text[256];
} open_flags_cache;

int format_open_flags(uint32_t flags, char *buf, size_t buflen)
{
	int n;

	if (open_flags_cache.valid && open_flags_cache.flags == flags &&
	    (size_t)open_flags_cache.len < buflen) {
		memcpy(buf, open_flags_cache.text, open_flags_cache.len + 1);
		return open_flags_cache.len;
	}
	n = open_flags_text(flags, buf, buflen);
	if (n >= 0 && (size_t)n < sizeof(open_flags_cache.text)) {
		memcpy(open_flags_cache.text, buf, n + 1);
		open_flags_cache.len = n;
		open_flags_cache.flags = flags;
		open_flags_cache.valid = true;
	}
	return n;
}

const uint8_t *addr_unmap_ipv4(int *family, const uint8_t *addr)
{
	static const uint8_t v4_mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (*family != AF_INET6 || memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix)))
		return addr;
	*family = AF_INET;
	return addr + sizeof(v4_mapped_prefix);
}

int format_addr(int family, const uint8_t *addr, char *buf, size_t buflen)
{
	socklen_t size = buflen > INET6_ADDRSTRLEN ? INET6_ADDRSTRLEN : (socklen_t)buflen;

	if (!addr || !buf)
		return -EINVAL;
	addr = addr_unmap_ipv4(&family, addr);
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!inet_ntop(family, addr, buf, size)) {
		if (buflen)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)strlen(buf);
}

const char *format_family(int family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	default:
		return NULL;
	}
}

struct dns_type_name {
	uint16_t type;
	const char *name;
};

/* IANA "Resource Record (RR) TYPEs", the ones a resolver or a CI job plausibly sends. */
static const struct dns_type_name dns_type_names[] = {
	{ 1, "A" },	      { 2, "NS" },     { 5, "CNAME" },	     { 6, "SOA" },
	{ 10, "NULL" },	      { 12, "PTR" },   { 13, "HINFO" },	     { 15, "MX" },
	{ 16, "TXT" },	      { 17, "RP" },    { 18, "AFSDB" },	     { 24, "SIG" },
	{ 25, "KEY" },	      { 28, "AAAA" },  { 29, "LOC" },	     { 33, "SRV" },
	{ 35, "NAPTR" },      { 36, "KX" },    { 37, "CERT" },	     { 39, "DNAME" },
	{ 41, "OPT" },	      { 42, "APL" },   { 43, "DS" },	     { 44, "SSHFP" },
	{ 45, "IPSECKEY" },   { 46, "RRSIG" }, { 47, "NSEC" },	     { 48, "DNSKEY" },
	{ 49, "DHCID" },      { 50, "NSEC3" }, { 51, "NSEC3PARAM" }, { 52, "TLSA" },
	{ 53, "SMIMEA" },     { 55, "HIP" },   { 59, "CDS" },	     { 60, "CDNSKEY" },
	{ 61, "OPENPGPKEY" }, { 62, "CSYNC" }, { 63, "ZONEMD" },     { 64, "SVCB" },
	{ 65, "HTTPS" },      { 99, "SPF" },   { 108, "EUI48" },     { 109, "EUI64" },
	{ 249, "TKEY" },      { 250, "TSIG" }, { 251, "IXFR" },	     { 252, "AXFR" },
	{ 255, "ANY" },	      { 256, "URI" },  { 257, "CAA" },
};

int format_dns_qtype(uint16_t qtype, char *buf, size_t buflen)
{
	struct text t = TEXT_INIT(buf, buflen);
	char generic[sizeof("TYPE65535")];
	size_t i;

	for (i = 0; i < sizeof(dns_type_names) / sizeof(dns_type_names[0]); i++) {
		if (dns_type_names[i].type == qtype) {
			text_add(&t, dns_type_names[i].name);
			return text_finish(&t);
		}
	}
	snprintf(generic, sizeof(generic), "TYPE%u", (unsigned int)qtype);
	text_add(&t, generic);
	return text_finish(&t);
}
