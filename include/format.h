/* SPDX-License-Identifier: GPL-2.0-only */
/* Turning kernel numbers into the names the trace shows. */
#ifndef TRACERD_FORMAT_H
#define TRACERD_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * open(2) flags as "O_WRONLY|O_CREAT|O_TRUNC": the access mode is always named first
 * (O_RDONLY, O_WRONLY, O_RDWR, or O_ACCMODE for the invalid value 3), then each set flag
 * in ascending bit order, then any unknown bits as one hex number ("0x40000000").
 * O_TMPFILE is named as itself (not O_DIRECTORY), O_SYNC as itself (not O_DSYNC).
 * Returns the length written or -ENOSPC.
 */
int format_open_flags(uint32_t flags, char *buf, size_t buflen);

/* IORING_SETUP_SQPOLL: a kernel thread of the process submits the requests. */
#define FORMAT_IORING_SETUP_SQPOLL (1U << 1)

/*
 * io_uring_setup(2) flags as "IORING_SETUP_SQPOLL|IORING_SETUP_SQ_AFF", in ascending bit
 * order, unknown bits as one hex number. Returns the length written (0 for no flags) or
 * -ENOSPC.
 */
int format_io_uring_setup_flags(uint32_t flags, char *buf, size_t buflen);

/*
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it carries: sets
 * *family to AF_INET and returns where those 4 bytes start; any other address unchanged.
 */
const uint8_t *addr_unmap_ipv4(int *family, const uint8_t *addr);

/*
 * An address as text: family is AF_INET (addr has 4 bytes) or AF_INET6 (16 bytes).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is shown as IPv4. Returns the length or -errno.
 */
int format_addr(int family, const uint8_t *addr, char *buf, size_t buflen);

/* "inet" / "inet6" / NULL for an unknown family. */
const char *format_family(int family);

/* DNS qtype as its mnemonic ("A", "AAAA", "TXT", ...) or "TYPE<n>" (RFC 3597). */
int format_dns_qtype(uint16_t qtype, char *buf, size_t buflen);

#endif
