// SPDX-License-Identifier: GPL-2.0-only
/*
 * The trace loop: one thread, one epoll set of the ring buffer, a signalfd and a timerfd
 * (src/evloop.c, shared with the benchmark's floor tracers).
 * Records are drained in batches when the kernel wakes us (past a fill threshold) and on
 * every tick; a gzip member is written every flush interval.
 */
#include "daemon.h"

#include <bpf/libbpf.h> /* ring_buffer__consume */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_setup.h"
#include "command.h"
#include "evloop.h"
#include "exehash.h"
#include "hashcache.h"
#include "hasher.h"
#include "log.h"
#include "privileges.h"
#include "records.h"
#include "stages.h"

#define TICK_MS 100 /* drain period when the kernel does not wake us */

struct daemon {
	const struct options *opts;
	struct tracerd_bpf *skel;
	struct ring_buffer *ring;
	struct trace trace;
	struct records records;
	struct cgroup_cache *cgroups;
	struct command cmd;
	bool has_command;
	int command_status;
	struct evloop loop;
	struct exehash *hashes;
	int hasher_fd; /* the hasher's socket (src/hasher.c); -1: none */
	int hash_cache_fd; /* --hash-cache, opened before go-live; -1: none */
	pid_t hasher_pid;
	sigset_t orig_mask;
	uint64_t last_flush_ns;
	bool stopping;
	bool pid_file_written;
	bool live; /* the trace began: its file stays, whatever happens next */
};

static int ring_record(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;

	STAGE_ENTER(STAGE_DECODE);
	STAGE_RECORD();
	records_handle(&d->records, data, size);
	STAGE_LEAVE();
	return 0;
}

static void daemon_collect_losses(struct daemon *d)
{
	uint64_t kernel[REC_TYPE_MAX];
	uint64_t by_reason[LOSS_REASONS] = { 0 };

	if (bpf_setup_read_lost(d->skel, kernel) < 0)
		return;
	for (int type = 1; type < REC_TYPE_MAX; type++)
		by_reason[records_loss_reason(type)] += kernel[type];
	/* The kernel counters are totals: keep the daemon's own reasons as they are. */
	for (int i = 0; i <= LOSS_CWD; i++) {
		if (by_reason[i] > d->trace.lost[i])
			d->trace.lost[i] = by_reason[i];
	}
	trace_report_losses(&d->trace);
}

static void daemon_drain(struct daemon *d)
{
	uint64_t now;
	int records;

	STAGE_ENTER(STAGE_READ);
	records = ring_buffer__consume(d->ring);
	STAGE_LEAVE();
	daemon_collect_losses(d);
	now = trace_boot_now_ns();
	/* Draining comes first: hashing waits while the ring buffer fills this fast. */
	if (records >= EXEHASH_BUSY_DRAIN_RECORDS)
		exehash_ring_busy(d->hashes, now);
	/* Lines held for a hash stay within their memory bound, whatever the rate. */
	exehash_expire(d->hashes, now);
}

static void daemon_tick(struct daemon *d)
{
	uint64_t now = trace_boot_now_ns();

	daemon_drain(d);
	if (now - d->last_flush_ns >= (uint64_t)d->opts->flush_interval_ms * 1000000) {
		trace_flush(&d->trace);
		trace_clock_sync(&d->trace);
		d->last_flush_ns = now;
	}
}

static void daemon_child_exited(struct daemon *d)
{
	int ws;

	if (!d->has_command)
		return;
	if (waitpid(d->cmd.pid, &ws, WNOHANG) == d->cmd.pid) {
		d->command_status = command_exit_status(ws);
		d->trace.stop.reason = STOP_COMMAND_EXITED;
		d->stopping = true;
	}
}

/* Signals that end a trace cleanly. */
static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
/*
 * Signals whose default action would kill or stop tracerd without a trace_end: taken
 * through the signalfd and ignored (the kernel side records who sent them).
 */
static const int ignored_signals[] = { SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO,
				       SIGPWR,	SIGXCPU, SIGXFSZ, SIGTSTP,   SIGTTIN, SIGTTOU };

static bool signal_stops(int sig)
{
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		if (stop_signals[i] == sig)
			return true;
	}
	return false;
}

/* A stop signal: the first one is named in trace_end. */
static void daemon_stop_requested(struct daemon *d, const struct signalfd_siginfo *si)
{
	if (!d->trace.stop.signal) {
		d->trace.stop.signal = si->ssi_signo;
		d->trace.stop.sender_pid = si->ssi_pid;
	}
	if (d->has_command) {
		/* The command decides when the trace ends: pass the signal on. */
		kill(d->cmd.pid, si->ssi_signo);
	} else {
		d->trace.stop.reason = STOP_SIGNAL;
		d->stopping = true;
	}
}

static void daemon_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->loop.signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			daemon_child_exited(d);
		else if (signal_stops(si.ssi_signo))
			daemon_stop_requested(d, &si);
	}
}

static int daemon_loop(struct daemon *d)
{
	while (!d->stopping) {
		int ready = evloop_wait(&d->loop);

		if (ready < 0)
			return ready;
		STAGE_ENTER(STAGE_LOOP);
		if (ready & EVLOOP_SIGNAL)
			daemon_signal(d);
		if (ready & EVLOOP_TICK)
			daemon_tick(d);
		if (ready & EVLOOP_DATA)
			daemon_drain(d);
		if (ready & EVLOOP_EXTRA)
			exehash_answers(d->hashes);
		STAGE_LEAVE();
	}
	return 0;
}

/*
 * The last exec lines wait for their hashes a little more (the hasher opened their files
 * already, most likely), never longer than a line may wait.
 */
static void daemon_wait_hashes(struct daemon *d)
{
	uint64_t deadline = trace_boot_now_ns() + EXEHASH_HOLD_NS;

	while (exehash_pending(d->hashes) && trace_boot_now_ns() < deadline) {
		int ready = evloop_wait(&d->loop);

		if (ready < 0)
			break;
		if (ready & EVLOOP_EXTRA)
			exehash_answers(d->hashes);
		if (ready & (EVLOOP_TICK | EVLOOP_DATA))
			daemon_drain(d);
	}
	exehash_finish(d->hashes);
}

static int daemon_fds_open(struct daemon *d)
{
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&mask, stop_signals[i]);
	for (size_t i = 0; i < sizeof(ignored_signals) / sizeof(ignored_signals[0]); i++)
		sigaddset(&mask, ignored_signals[i]);
	/* A closed stdout (--out -) is a write error to count, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	err = evloop_open(&d->loop, &mask, &d->orig_mask, TICK_MS, ring_buffer__epoll_fd(d->ring));
	if (!err && d->hasher_fd >= 0)
		err = evloop_add(&d->loop, d->hasher_fd);
	return err;
}

/*
 * Created like the output: a symlink at the path is refused, anything else there (a stale
 * pid file, a planted hard link) is replaced, never written through.
 */
static int pid_file_write(const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	struct stat st;
	int fd, err = 0;

	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != n)
		err = -EIO;
	close(fd);
	return err;
}

/* systemd Type=notify: READY=1 once tracing is live (sd_notify(3)'s protocol). */
#define SD_READY "READY=1"

static void systemd_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, SD_READY, sizeof(SD_READY) - 1, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
}

/* Everything up to "tracing is live": BPF loaded and attached, the file created. */
static int daemon_start(struct daemon *d, struct output **ret_out)
{
	struct bpf_setup_params params = {
		.self_tgid = getpid(),
		.hasher_tgid = d->hasher_pid > 0 ? d->hasher_pid : 0,
		.filter_traced = d->has_command,
		.ringbuf_bytes = d->opts->ringbuf_kb * 1024u,
	};
	char preflight_why[256];
	const char *why = NULL;
	int err;

	err = bpf_setup_preflight(preflight_why, sizeof(preflight_why));
	if (err) {
		log_error("cannot trace", preflight_why, err);
		return err;
	}
	err = bpf_setup_load(&params, &d->skel, &why);
	if (err) {
		log_error("cannot load the BPF programs", why, err);
		return err;
	}
	d->ring = bpf_setup_ring_buffer_new(d->skel, ring_record, d);
	if (!d->ring) {
		err = -errno;
		log_error("cannot open the ring buffer", NULL, err);
		return err;
	}
	err = output_open(d->opts->out_path, d->opts->force, ret_out, &why);
	if (err) {
		log_msg("cannot create --out '%s': %s", d->opts->out_path, why);
		return err;
	}
	err = bpf_setup_watch_output(d->skel, output_fd(*ret_out));
	if (err)
		log_error("cannot tell the kernel which file is the trace", NULL, err);
	return err;
}

static const char *hash_cache_problem(int err)
{
	switch (err) {
	case -ELOOP:
		return "it is a symlink";
	case -EPERM:
		return "not a regular file of tracerd's user, or writable by others";
	case -EFBIG:
		return "larger than a hash cache grows";
	case -EBADMSG:
		return "not a tracerd hash cache (left as it is)";
	}
	return strerror(-err);
}

/*
 * --hash-cache: the hashes of earlier runs, before go-live (the fd stays for the rewrite at
 * exit). Nothing to hash with (no hasher), nothing to keep.
 */
static void daemon_hash_cache_load(struct daemon *d)
{
	const char *path = d->opts->hash_cache;
	unsigned int bad = 0;
	int fd, n;

	if (!path || d->hasher_fd < 0)
		return;
	n = hashcache_open(path, &fd);
	if (n >= 0) {
		n = hashcache_read(fd, exehash_cache_preload, d->hashes, &bad);
		if (n < 0)
			close(fd);
	}
	if (n < 0) {
		log_msg("warning: --hash-cache '%s' not used: %s", path, hash_cache_problem(n));
		return;
	}
	if (bad)
		log_msg("warning: --hash-cache '%s': %u malformed lines skipped", path, bad);
	d->hash_cache_fd = fd;
}

/* After the last answers: the file gets everything known now, the old entries included. */
static void daemon_hash_cache_save(struct daemon *d)
{
	int n;

	if (d->hash_cache_fd < 0)
		return;
	n = hashcache_write(d->hash_cache_fd, exehash_cache_next, d->hashes);
	if (n < 0)
		log_msg("warning: --hash-cache '%s' not written: %s", d->opts->hash_cache,
			strerror(-n));
}

static int daemon_records_init(struct daemon *d)
{
	struct records_config cfg = {
		.trace = &d->trace,
		.hashes = d->hashes,
		.take_write_totals = bpf_setup_take_write_totals,
		.take_write_totals_ctx = d->skel,
	};
	int err = cgroup_cache_new(&d->cgroups);

	if (err)
		return err;
	d->hashes = exehash_new(d->hasher_fd, &d->trace);
	if (!d->hashes)
		return -ENOMEM;
	daemon_hash_cache_load(d);
	cfg.hashes = d->hashes;
	cfg.cgroups = d->cgroups;
	if (strcmp(d->opts->out_path, "-") != 0)
		cfg.output_path = realpath(d->opts->out_path, NULL);
	err = records_init(&d->records, &cfg);
	free((char *)cfg.output_path);
	return err;
}

static int daemon_go_live(struct daemon *d)
{
	int err;

	if (d->has_command) {
		err = command_spawn(&d->cmd, d->opts->command, &d->orig_mask,
				    strcmp(d->opts->out_path, "-") == 0);
		if (!err)
			err = bpf_setup_trace_pid(d->skel, d->cmd.pid);
		if (err) {
			log_error("cannot start the command", NULL, err);
			return err;
		}
	}
	if (d->opts->pid_file) {
		err = pid_file_write(d->opts->pid_file);
		if (err) {
			log_error("cannot write --pid-file",
				  err == -EEXIST ? "it exists and is not a regular file (a symlink "
						   "is never followed)" :
						   NULL,
				  err);
			return err;
		}
		d->pid_file_written = true;
	}
	systemd_notify_ready();
	if (d->has_command)
		return command_release(&d->cmd);
	return 0;
}

static void daemon_finish(struct daemon *d)
{
	uint64_t dropped = 0;

	STAGE_ENTER(STAGE_LOOP);
	daemon_drain(d);
	daemon_wait_hashes(d);
	daemon_hash_cache_save(d);
	records_finish(&d->records);
	daemon_collect_losses(d);
	trace_write_end(&d->trace);
	trace_flush(&d->trace);
	if (output_close(d->trace.out, &dropped) < 0)
		log_msg("the trace could not be written completely");
	d->trace.out = NULL;
	STAGE_LEAVE();
	STAGES_REPORT();
}

static void daemon_cleanup(struct daemon *d)
{
	if (d->trace.out) {
		uint64_t dropped;

		output_close(d->trace.out, &dropped);
	}
	trace_free(&d->trace);
	records_free(&d->records);
	if (d->hashes)
		exehash_free(d->hashes);
	else if (d->hasher_fd >= 0)
		close(d->hasher_fd);
	if (d->hash_cache_fd >= 0)
		close(d->hash_cache_fd);
	hasher_stop(d->hasher_pid);
	cgroup_cache_free(d->cgroups);
	ring_buffer__free(d->ring);
	if (d->skel)
		bpf_setup_destroy(d->skel);
	if (d->pid_file_written)
		unlink(d->opts->pid_file);
	evloop_close(&d->loop);
}

/*
 * Loading reads the kernel's BTF (5 MiB and more) into malloc()ed buffers, twice: freed
 * at once, but glibc raises its mmap threshold to the size of each large block freed, so
 * the next one comes from the heap, whose freed pages it keeps. Measured: 11 MiB of heap
 * resident for the daemon's life, VmHWM 52 MiB after a flat-out storm. A fixed threshold
 * keeps blocks of 256 KiB and more in their own mappings, returned when freed.
 */
static void heap_keep_large_blocks_apart(void)
{
	if (!mallopt(M_MMAP_THRESHOLD, 256 * 1024))
		log_msg("warning: cannot set malloc's mmap threshold; the heap may stay large");
}

int daemon_run(const struct options *opts)
{
	struct daemon d = {
		.opts = opts,
		.has_command = opts->command != NULL,
		.hasher_fd = -1,
		.hash_cache_fd = -1,
	};
	struct output *out = NULL;
	int status = 1;
	int err;

	heap_keep_large_blocks_apart();
	evloop_init(&d.loop);
	/* First: the hasher must inherit nothing (BPF fds, the output), and is not traced. */
	err = hasher_spawn(&d.hasher_fd, &d.hasher_pid);
	if (err)
		log_error("cannot start the hasher; exec lines will carry no exe_sha256", NULL,
			  err);
	err = daemon_start(&d, &out);
	if (err)
		goto cleanup;
	trace_init(&d.trace, opts->job_id, out);
	err = daemon_records_init(&d);
	if (!err)
		err = daemon_fds_open(&d);
	if (err) {
		log_error("cannot set up the event loop", NULL, err);
		goto cleanup;
	}
	trace_write_start(&d.trace);
	d.last_flush_ns = trace_boot_now_ns();
	err = daemon_go_live(&d);
	if (err)
		goto cleanup;
	d.live = true;
	err = privileges_drop(cgroup_cache_root_fd(d.cgroups), d.has_command);
	if (err)
		log_msg("warning: cannot drop privileges: %s", strerror(-err));
	err = daemon_loop(&d);
	if (err) {
		log_error("event loop failed", NULL, err);
		d.trace.stop.reason = STOP_ERROR;
	}
	daemon_finish(&d);
	status = d.has_command ? d.command_status : (err ? 1 : 0);
cleanup:
	if (err && d.has_command && d.cmd.pid > 0)
		kill(d.cmd.pid, SIGKILL);
	daemon_cleanup(&d);
	/* Tracing never went live: leave no file that looks like a traced job. */
	if (out && !d.live && strcmp(opts->out_path, "-") != 0)
		unlink(opts->out_path);
	return status;
}
