// SPDX-License-Identifier: GPL-2.0-only
/*
 * storm: event load for the capacity benchmark.
 *
 *   storm open --file PATH --rate N --duration S [--procs P]
 *	P processes each openat(O_RDONLY)+close PATH in a loop, paced together to N opens
 *	per second in batches (one batch per millisecond, clock_nanosleep to an absolute
 *	deadline), for S seconds; --rate 0: as fast as they can (flat out).
 *   storm exec --duration S [--procs P] [--rate N]
 *	P processes each fork+exec /bin/true and wait for it, as fast as they can (or paced
 *	to N execs per second in total), for S seconds.
 *
 * Prints one JSON line: the operations done, the seconds they took and the rate achieved.
 * A process that cannot keep up does not bank the shortfall beyond BEHIND_MAX_NS: the
 * rate offered stays the target, never a burst to catch up.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000ull
#define TICK_NS 1000000ull /* one batch per millisecond */
#define BEHIND_MAX_NS 50000000ull
#define PROCS_MAX 64

struct storm_opts {
	bool exec;
	const char *file;
	double rate; /* total operations per second, 0 = as fast as possible */
	double duration_s;
	int procs;
};

/* Shared with the workers: what each did and when it stopped. */
struct storm_shared {
	uint64_t start_ns;
	uint64_t ops[PROCS_MAX];
	uint64_t end_ns[PROCS_MAX];
	int failed[PROCS_MAX];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = deadline_ns / NSEC_PER_SEC,
		.tv_nsec = deadline_ns % NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int op_open(const char *file)
{
	int fd = openat(AT_FDCWD, file, O_RDONLY);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int op_exec(void)
{
	static char *const argv[] = { "true", NULL };
	static char *const envp[] = { NULL };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* One worker: its share of the rate, in batches on a millisecond grid. */
static void worker_run(const struct storm_opts *o, struct storm_shared *sh, int idx)
{
	uint64_t end = sh->start_ns + (uint64_t)(o->duration_s * NSEC_PER_SEC);
	double per_tick = o->rate / o->procs * TICK_NS / NSEC_PER_SEC;
	uint64_t next = sh->start_ns;
	double credit = 0;
	uint64_t ops = 0;
	uint64_t now;
	int err = 0;

	/* Spread the workers over the tick so that their batches do not collide. */
	next += TICK_NS * idx / o->procs;
	while ((now = now_ns()) < end) {
		uint64_t batch = 1;

		if (o->rate > 0) {
			if (now < next)
				sleep_until(next);
			else if (now - next > BEHIND_MAX_NS)
				next = now; /* cannot keep up: do not bank the debt */
			next += TICK_NS;
			credit += per_tick;
			batch = (uint64_t)credit;
			credit -= batch;
		}
		for (uint64_t i = 0; i < batch && !err; i++)
			err = o->exec ? op_exec() : op_open(o->file);
		if (err)
			break;
		ops += batch;
	}
	sh->ops[idx] = ops;
	sh->end_ns[idx] = now_ns();
	sh->failed[idx] = -err;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: storm open --file PATH --rate N|0 --duration S [--procs P]\n"
		     "       storm exec --duration S [--procs P] [--rate N]\n");
}

static int options_parse(int argc, char **argv, struct storm_opts *o)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "procs", required_argument, NULL, 'p' },
		{ 0 },
	};
	int c;

	if (argc < 2)
		return -EINVAL;
	if (strcmp(argv[1], "exec") == 0)
		o->exec = true;
	else if (strcmp(argv[1], "open") != 0)
		return -EINVAL;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->file = optarg;
			break;
		case 'r':
			o->rate = strtod(optarg, NULL);
			break;
		case 'd':
			o->duration_s = strtod(optarg, NULL);
			break;
		case 'p':
			o->procs = atoi(optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || o->duration_s <= 0 || o->procs < 1 || o->procs > PROCS_MAX ||
	    o->rate < 0)
		return -EINVAL;
	if (!o->exec && !o->file)
		return -EINVAL;
	return 0;
}

/* Forks o->procs workers, released together once all exist. Returns 0 or -1 (errno set). */
static int workers_start(const struct storm_opts *o, struct storm_shared *sh, pid_t *pids)
{
	int start_pipe[2];
	char go;

	if (pipe(start_pipe) < 0)
		return -1;
	for (int i = 0; i < o->procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return -1;
		if (pids[i] == 0) {
			/* Wait for every worker to exist, then start on the same clock. */
			close(start_pipe[1]);
			if (read(start_pipe[0], &go, 1) < 0)
				_exit(1);
			worker_run(o, sh, i);
			_exit(0);
		}
	}
	close(start_pipe[0]);
	sh->start_ns = now_ns() + 10 * TICK_NS;
	close(start_pipe[1]); /* EOF releases the workers */
	return 0;
}

/* Waits for the workers; their operations summed into *ops, the last end into *end. */
static int workers_reap(const struct storm_opts *o, struct storm_shared *sh, const pid_t *pids,
			uint64_t *ops, uint64_t *end)
{
	int failed = 0;

	for (int i = 0; i < o->procs; i++) {
		int status;

		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		*ops += sh->ops[i];
		if (sh->end_ns[i] > *end)
			*end = sh->end_ns[i];
		if (sh->failed[i] && !failed)
			failed = sh->failed[i];
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct storm_opts o = { .procs = 2 };
	struct storm_shared *sh;
	pid_t pids[PROCS_MAX];
	uint64_t ops = 0, end = 0;
	int failed;
	double secs;

	if (options_parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (!o.exec && op_open(o.file)) {
		fprintf(stderr, "storm: cannot open %s: %s\n", o.file, strerror(errno));
		return 1;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || workers_start(&o, sh, pids) < 0) {
		perror("storm");
		return 1;
	}
	failed = workers_reap(&o, sh, pids, &ops, &end);
	if (failed)
		fprintf(stderr, "storm: a worker failed: %s\n", strerror(failed));
	secs = end > sh->start_ns ? (end - sh->start_ns) / 1e9 : 0;

	printf("{\"mode\":\"%s\",\"procs\":%d,\"target_rate\":%.0f,\"duration_s\":%.3f,"
	       "\"ops\":%llu,\"elapsed_s\":%.6f,\"rate\":%.1f,\"error\":%d}\n",
	       o.exec ? "exec" : "open", o.procs, o.rate, o.duration_s, (unsigned long long)ops,
	       secs, secs > 0 ? ops / secs : 0.0, failed);
	return failed ? 1 : 0;
}
