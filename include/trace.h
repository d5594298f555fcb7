/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One trace: the line being written, the counts trace_end reports, losses, and the
 * clock that turns kernel boot-time stamps into wall-clock time.
 */
#ifndef TRACERD_TRACE_H
#define TRACERD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "linehold.h"
#include "output.h"

enum trace_line_type {
	LINE_PROCESS_EXEC,
	LINE_PROCESS_EXIT,
	LINE_NET_CONNECT,
	LINE_DNS_QUERY,
	LINE_FILE_OPEN,
	LINE_FILE_WRITE,
	LINE_NET_LISTEN,
	LINE_NET_ACCEPT,
	LINE_PROCESS_ACCESS,
	LINE_IO_URING_SETUP,
	LINE_TAMPER,
	LINE_EVENT_TYPES, /* the types above are event lines; all but tamper count in trace_end */
	LINE_TRACE_START = LINE_EVENT_TYPES,
	LINE_EVENTS_LOST,
	LINE_TRACE_END,
	LINE_TYPES,
};

/* Why events were lost, as named in events_lost.by_type. */
enum loss_reason {
	LOSS_PROCESS_EXEC,
	LOSS_PROCESS_EXIT,
	LOSS_NET_CONNECT,
	LOSS_DNS_QUERY,
	LOSS_FILE_OPEN,
	LOSS_FILE_WRITE,
	LOSS_NET_LISTEN,
	LOSS_NET_ACCEPT,
	LOSS_PROCESS_ACCESS,
	LOSS_IO_URING_SETUP,
	LOSS_TAMPER,
	LOSS_CWD, /* fork or chdir records: later lines of those processes lack or miss cwd */
	LOSS_DECODE_ERROR, /* a record the daemon could not decode */
	LOSS_WRITE_ERROR, /* lines that could not be written to the file */
	LOSS_REASONS,
};

/* Why the trace ended, as trace_end.stop_reason says. */
enum trace_stop_reason {
	STOP_SIGNAL, /* whole-machine mode: a stop signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT) */
	STOP_COMMAND_EXITED, /* -- mode: the command exited */
	STOP_ERROR, /* the event loop failed */
};

#define TRACE_SIGNALS 65 /* signal numbers 1..64 */

/* A process that sent tracerd a signal, as the kernel saw it. */
struct trace_signal_sender {
	uint32_t pid; /* initial pid namespace; 0: none seen */
	char comm[16];
};

struct trace_stop {
	enum trace_stop_reason reason;
	int signal; /* the first stop signal received (passed on in -- mode); 0: none */
	uint32_t sender_pid; /* its sender, in tracerd's pid namespace (signalfd) */
};

/* Why a process_exec line has no hash: exe_hash_missing and script_hash_missing. */
enum hash_missing {
	HASH_MISSING_GONE, /* the process exited and its file is no longer where it was */
	HASH_MISSING_REPLACED, /* the file found is not the one executed (or not provably) */
	HASH_MISSING_TOO_LARGE, /* over the size limit */
	HASH_MISSING_UNREADABLE, /* could not be opened or read */
	HASH_MISSING_BUSY, /* the hasher did not answer within the hold limits */
	HASH_MISSING_REASONS,
};

/* trace_end.hashes: what the executables' hashing did. */
struct trace_hashes {
	bool enabled;
	uint64_t computed; /* files read and hashed */
	uint64_t cached; /* hashes given from a cache, the file not read again */
	uint64_t missing[HASH_MISSING_REASONS];
};

const char *trace_hash_missing_name(enum hash_missing reason);

struct trace {
	const char *job_id;
	size_t job_id_len;
	struct output *out;
	struct json_buf line;
	struct json_buf job_id_field; /* ","job_id":"..." escaped once, closing the timestamp */
	int64_t boot_to_unix_ns; /* add to CLOCK_BOOTTIME to get CLOCK_REALTIME */
	uint64_t start_boot_ns;
	uint64_t lines[LINE_TYPES]; /* in the file */
	uint64_t staged[LINE_TYPES]; /* waiting in the output's stage */
	uint64_t lost[LOSS_REASONS]; /* totals so far */
	uint64_t lost_reported[LOSS_REASONS]; /* in events_lost lines, staged ones included */
	uint64_t lost_reported_written[LOSS_REASONS]; /* in events_lost lines in the file */
	bool write_error_logged;
	struct trace_stop stop;
	struct trace_hashes hashes;
	/* Lines behind a process_exec line that waits for its hash, in record order. */
	struct linehold hold;
	struct trace_signal_sender signal_senders[TRACE_SIGNALS]; /* the last sender of each */
};

void trace_init(struct trace *t, const char *job_id, struct output *out);
void trace_free(struct trace *t);

uint64_t trace_boot_now_ns(void);
/* Re-reads both clocks: wall-clock steps (NTP) show up in later timestamps. */
void trace_clock_sync(struct trace *t);

/* Starts a line with type, timestamp and job_id; boot_ns is CLOCK_BOOTTIME. */
void trace_line_begin(struct trace *t, enum trace_line_type type, uint64_t boot_ns);
/* Closes the object, appends the line to the output and counts it. */
void trace_line_end(struct trace *t, enum trace_line_type type);
/*
 * Holds the line begun, its object still open, until trace_line_complete(): it and every
 * line after it wait. Returns 0 and its number in *ret_seq, or -ENOMEM (then the caller
 * ends it with trace_line_end()).
 */
int trace_line_hold(struct trace *t, enum trace_line_type type, uint64_t *ret_seq);
/*
 * Appends fields (",\"key\":value..." or nothing) to held line seq and closes it; the
 * lines then complete at the front go to the output.
 */
void trace_line_complete(struct trace *t, uint64_t seq, const char *fields, size_t len);

void trace_write_start(struct trace *t);
/* Adds losses seen by the kernel or the daemon; written by trace_report_losses(). */
void trace_lost_add(struct trace *t, enum loss_reason reason, uint64_t n);
void trace_report_losses(struct trace *t);
/* The kernel saw pid (comm) send tracerd signal sig: names who stopped the trace. */
void trace_signal_sender(struct trace *t, int sig, uint32_t pid, const char *comm);
/* trace_end: counts, losses, duration and why the trace ended (t->stop). */
void trace_write_end(struct trace *t);

/*
 * Writes the staged lines as a gzip member and counts them as written; lines that could
 * not be written are counted as losses (logged once), and the losses their events_lost
 * lines told are told again.
 */
void trace_flush(struct trace *t);

#endif
