/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The executables' SHA-256, daemon side: a cache keyed by file identity, and the requests
 * to the hasher process (src/hasher.c) for what the cache lacks. A process_exec line waits
 * for its answer, bounded in time and memory, and every later line waits behind it
 * (trace_line_hold()): the file stays in record order. Never blocks: the hasher's socket
 * is non-blocking and polled by the event loop.
 */
#ifndef TRACERD_EXEHASH_H
#define TRACERD_EXEHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"
#include "trace.h"
#include "tracerd_event.h"

#define EXEHASH_SIZE_MAX (256ull << 20) /* bigger files are not read: too_large */
#define EXEHASH_HOLD_NS (2000ull * 1000000) /* longest wait of a line for its hash: busy */
#define EXEHASH_HOLD_BYTES (4u << 20) /* most bytes of lines held behind waiting ones */
#define EXEHASH_PENDING_MAX 2048 /* exec lines waiting at once; more: busy */
#define EXEHASH_CACHE_SLOTS 4096 /* identity -> digest entries, 64 bytes each */
/*
 * Files a #! script may have changed this close before its exec are not hashed
 * (replaced): the kernel stamps ctime from a clock that lags by up to a tick.
 */
#define EXEHASH_SCRIPT_CTIME_MARGIN_NS (20ull * 1000000)

enum exehash_kind {
	EXEHASH_EXE = 1, /* the file exe names: proved by the kernel's identity */
	EXEHASH_SCRIPT, /* the #! script filename names: proved by its change time */
	EXEHASH_PAUSE, /* no request: read nothing for pid milliseconds (the ring is busy) */
};

/*
 * A drain of this many records says the ring buffer is busy: the hasher pauses. The daemon
 * is woken at an eighth of the ring (about 20k records): a drain past that means it falls
 * behind. 8192 paused it at every burst of a CI job (untar, git add) on a fast machine,
 * and 8-15 % of a CI workload's exec lines went without a hash (busy).
 */
#define EXEHASH_BUSY_DRAIN_RECORDS 32768
#define EXEHASH_PAUSE_MS 200

/* Daemon to hasher: one datagram, path cut to path_len bytes. */
struct exehash_request {
	uint32_t token;
	uint32_t kind; /* enum exehash_kind */
	uint32_t pid;
	uint32_t exec_flags; /* enum rec_exec_flag: memfd, deleted */
	struct rec_file_id id; /* EXE: the kernel's identity of the executed file */
	int64_t exec_unix_ns; /* SCRIPT: when the exec happened, wall clock */
	uint32_t path_len;
	uint32_t pad;
	char path[TRACERD_PATH_MAX * 2 + 2]; /* EXE: exe; SCRIPT: absolute script path */
};

#define EXEHASH_REQUEST_HEADER_LEN offsetof(struct exehash_request, path)

/* Hasher to daemon: one datagram per request. */
struct exehash_answer {
	uint32_t token;
	uint32_t kind;
	int32_t missing; /* -1: digest holds the hash; else enum hash_missing */
	uint32_t cached; /* from the hasher's cache: the file was not read again */
	struct rec_file_id id; /* the identity of the file hashed */
	uint8_t digest[SHA256_DIGEST_LEN];
};

struct exehash;

/*
 * fd: the daemon's end of the hasher's socket (SOCK_SEQPACKET, O_NONBLOCK), closed by exehash_free()
 * or when the hasher goes away; -1: nothing is hashed (no field, no counters). Returns
 * NULL when out of memory (fd is left open).
 */
struct exehash *exehash_new(int fd, struct trace *t);
void exehash_free(struct exehash *x);

/*
 * The cache kept across runs (hashcache.h): entries known before the run, answered as the
 * daemon's own; and each known entry in turn, from *pos on, for saving (false at the end).
 */
void exehash_cache_preload(void *ctx, const struct rec_file_id *id, const uint8_t *digest);
bool exehash_cache_next(void *ctx, unsigned int *pos, struct rec_file_id *id, uint8_t *digest);

/*
 * Ends the process_exec line rec began in t->line: with its hash fields now when the cache
 * knows them, else held until the hasher answers or the hold limits pass.
 */
void exehash_exec_line_end(struct exehash *x, const struct rec_exec *rec, size_t data_len);

/* Reads the hasher's answers (the socket is readable). A closed socket: everything busy. */
void exehash_answers(struct exehash *x);

/* Lines waiting past EXEHASH_HOLD_NS, or beyond EXEHASH_HOLD_BYTES: busy. now: BOOTTIME. */
void exehash_expire(struct exehash *x, uint64_t now_ns);

/*
 * Lines held beyond EXEHASH_HOLD_BYTES: the oldest waiting ones give up (busy) until the
 * rest fit. After every record: a burst behind a waiting exec line can hold thousands.
 */
void exehash_hold_bound(struct exehash *x);

/*
 * The ring buffer is busy (records drained at once): the hasher stops reading files for
 * EXEHASH_PAUSE_MS, so that its CPU goes to draining. now: BOOTTIME.
 */
void exehash_ring_busy(struct exehash *x, uint64_t now_ns);

/* Exec lines still waiting. */
unsigned int exehash_pending(const struct exehash *x);

/* Trace end: what still waits is written as busy. */
void exehash_finish(struct exehash *x);

#endif
