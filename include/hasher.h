/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hasher: a child process forked before anything else is opened, that keeps only the
 * capabilities reading another process's executable needs, under its own seccomp filter,
 * and answers the daemon's requests (include/exehash.h) over a SOCK_SEQPACKET socket.
 */
#ifndef TRACERD_HASHER_H
#define TRACERD_HASHER_H

#include <sys/types.h>

/*
 * Bytes hashed per second at most (files read from the page cache: CPU, not I/O): about a
 * third of a CPU with either SHA-256 (portable C at 150-210 MB/s, the CPU's SHA
 * instructions at 1.4-1.8 GB/s). The faster the budget, the sooner a waiting exec line and
 * the lines held behind it are written: a 33 MB compiler took half a second at 64 MiB/s.
 */
#define HASHER_BUDGET_PORTABLE (64u << 20)
#define HASHER_BUDGET_SHA_INSTRUCTIONS (512u << 20)
#define HASHER_NICE 0

/*
 * Forks the hasher. *ret_fd: the daemon's end of the socket; *ret_pid: the child. Returns
 * 0 or -errno (then nothing is left running).
 */
int hasher_spawn(int *ret_fd, pid_t *ret_pid);

/* Reaps the hasher once the daemon's end is closed (it exits then), waiting up to 1 s. */
void hasher_stop(pid_t pid);

#endif
