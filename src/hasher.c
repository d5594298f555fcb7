// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hasher process. For each request it opens the file at once (the process may exit,
 * the path be renamed over, a moment later), proves it is the file executed, then hashes
 * it when its budget allows:
 *   executable  /proc/PID/exe while the process lives (the very file the kernel mapped,
 *               even deleted or a memfd); else the path, seen from the process's root while
 *               it lives. Proved by (device, inode, size, ctime) equal to the kernel's.
 *   #! script   the kernel no longer holds the script's file when the exec tracepoint
 *               runs, nor sends its identity: the path is opened, and proved by a change
 *               time before the exec (a file written, renamed or linked there since has a
 *               later one).
 * Files are opened first for every request waiting, then read in chunks, oldest first;
 * between chunks new requests are taken. A cache by identity answers a file hashed before
 * without reading it again. It never answers a hash it has not proved: when in doubt, the
 * missing reason.
 */
#include "hasher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exehash.h"
#include "log.h"
#include "privileges.h"
#include "sha256.h"

#define HASHER_SOCKET_FD 3
#define HASHER_JOBS_MAX 256
#define HASHER_CHUNK (256u << 10)
#define HASHER_CACHE_SLOTS 1024
#define HASHER_WINDOW_NS (100ull * 1000000) /* the budget is spent per tenth of a second */
#define NSEC_PER_SEC 1000000000ull

struct job {
	uint32_t token;
	uint32_t kind;
	int fd;
	struct rec_file_id id; /* of the file opened and proved */
	struct rec_file_id opened; /* fstat() when opened: the same after reading, or changed */
	bool running; /* reached through /proc/PID/exe: no writer can change it meanwhile */
	struct sha256 sha;
	uint64_t done;
};

/* A request for a file a job is hashing already: answered with it. */
struct follower {
	uint32_t token;
	uint32_t kind;
	struct rec_file_id id;
};

struct cache_entry {
	struct rec_file_id id;
	uint8_t digest[SHA256_DIGEST_LEN];
	bool used;
};

struct hasher {
	int sock;
	struct job jobs[HASHER_JOBS_MAX];
	unsigned int head, count;
	struct follower followers[HASHER_JOBS_MAX];
	unsigned int followers_count;
	struct cache_entry cache[HASHER_CACHE_SLOTS];
	uint64_t window_start_ns;
	uint64_t window_bytes;
	uint64_t paused_until_ns; /* the daemon's ring buffer is busy: no reading till then */
	bool closed;
	struct exehash_request req;
	uint8_t chunk[HASHER_CHUNK];
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* The identity as the kernel sent it: its dev_t encoding is major << 20 | minor. */
static void file_id_from_stat(const struct stat *st, struct rec_file_id *id)
{
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->ctime_sec = st->st_ctim.tv_sec;
	id->ctime_nsec = st->st_ctim.tv_nsec;
	id->dev = major(st->st_dev) << 20 | minor(st->st_dev);
}

static bool file_id_same(const struct rec_file_id *a, const struct rec_file_id *b)
{
	return a->ino == b->ino && a->size == b->size && a->ctime_sec == b->ctime_sec &&
	       a->ctime_nsec == b->ctime_nsec && a->dev == b->dev;
}

static struct cache_entry *cache_entry(struct hasher *h, const struct rec_file_id *id)
{
	uint64_t k = (id->ino * 0x9e3779b97f4a7c15ull) ^ (id->size * 0xc2b2ae3d27d4eb4full) ^
		     ((uint64_t)id->ctime_nsec << 20) ^ id->dev;

	return &h->cache[(k >> 32) % HASHER_CACHE_SLOTS];
}

static void answer_send(struct hasher *h, uint32_t token, uint32_t kind, int missing,
			const struct rec_file_id *id, const uint8_t *digest, bool cached)
{
	struct exehash_answer a = {
		.token = token,
		.kind = kind,
		.missing = missing,
		.cached = cached,
	};

	if (id)
		a.id = *id;
	if (digest)
		memcpy(a.digest, digest, SHA256_DIGEST_LEN);
	/* Blocking: the daemon reads its end on every loop turn. */
	if (send(h->sock, &a, sizeof(a), MSG_NOSIGNAL) < 0)
		h->closed = true;
}

/*
 * Opens path as process pid sees it while it lives (its root may be a container's), else
 * as the hasher does. O_NONBLOCK: a FIFO planted there must not stop the hasher.
 */
static int open_path(uint32_t pid, bool alive, const char *path, uint32_t len)
{
	char full[64 + sizeof(((struct exehash_request *)0)->path)];
	int n = alive ? snprintf(full, sizeof(full), "/proc/%u/root", pid) : 0;

	if (!len || path[0] != '/' || n < 0 || (size_t)n + len >= sizeof(full))
		return -ENOENT;
	memcpy(full + n, path, len);
	full[n + len] = '\0';
	n = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	return n < 0 ? -errno : n;
}

/*
 * A regular file whose identity is id: the file's fd, else -1 and why in *ret_missing.
 * running: reached through /proc/PID/exe of the process that executed it. Its contents
 * cannot have changed since the exec: the kernel refuses writers of a running executable
 * (ETXTBSY) from the exec on. Its ctime can: unlink, rename, chmod or link while it runs
 * change only the inode, so a later ctime is the same file. Through a path, no such
 * guarantee: the four must be equal.
 */
static int verify_identity(int fd, const struct rec_file_id *id, bool running, int *ret_missing)
{
	struct rec_file_id found;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*ret_missing = HASH_MISSING_UNREADABLE;
		close(fd);
		return -1;
	}
	file_id_from_stat(&st, &found);
	if (running && found.dev == id->dev && found.ino == id->ino && found.size == id->size &&
	    (found.ctime_sec > id->ctime_sec ||
	     (found.ctime_sec == id->ctime_sec && found.ctime_nsec >= id->ctime_nsec)))
		return fd;
	if (!file_id_same(&found, id)) {
		*ret_missing = HASH_MISSING_REPLACED;
		close(fd);
		return -1;
	}
	return fd;
}

static int missing_from_errno(int err, bool alive)
{
	if (err == -ENOENT || err == -ESRCH || err == -ENOTDIR)
		return alive ? HASH_MISSING_REPLACED : HASH_MISSING_GONE;
	return HASH_MISSING_UNREADABLE;
}

/* The executed file: /proc/PID/exe (*ret_running), else its path. */
static int open_exe(const struct exehash_request *req, bool *ret_running, int *ret_missing)
{
	char proc[32];
	bool alive = true;
	int fd;

	snprintf(proc, sizeof(proc), "/proc/%u/exe", req->pid);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		fd = verify_identity(fd, &req->id, true, ret_missing);
		*ret_running = fd >= 0;
		if (fd >= 0)
			return fd;
		/* Another image now (a later exec, a reused pid): try the path. */
	} else {
		alive = errno != ENOENT && errno != ESRCH;
		*ret_missing = alive ? HASH_MISSING_UNREADABLE : HASH_MISSING_GONE;
	}
	/* A memfd or a deleted file has no path that names it any more. */
	if (req->exec_flags & (EXEC_EXE_MEMFD | EXEC_EXE_DELETED | EXEC_EXE_TRUNCATED)) {
		if (!alive)
			*ret_missing = HASH_MISSING_GONE;
		return -1;
	}
	fd = open_path(req->pid, alive, req->path, req->path_len);
	if (fd < 0) {
		*ret_missing = missing_from_errno(fd, alive);
		return -1;
	}
	return verify_identity(fd, &req->id, false, ret_missing);
}

/* The script: by path, proved by a change time before the exec. */
static int open_script(const struct exehash_request *req, struct rec_file_id *ret_id,
		       int *ret_missing)
{
	char proc[32];
	struct stat st;
	bool alive;
	int64_t ctime_ns;
	int fd;

	snprintf(proc, sizeof(proc), "/proc/%u", req->pid);
	alive = stat(proc, &st) == 0;
	fd = open_path(req->pid, alive, req->path, req->path_len);
	if (fd < 0) {
		*ret_missing = missing_from_errno(fd, alive);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*ret_missing = HASH_MISSING_UNREADABLE;
		close(fd);
		return -1;
	}
	ctime_ns = (int64_t)st.st_ctim.tv_sec * (int64_t)NSEC_PER_SEC + st.st_ctim.tv_nsec;
	if (ctime_ns > req->exec_unix_ns - (int64_t)EXEHASH_SCRIPT_CTIME_MARGIN_NS) {
		*ret_missing = HASH_MISSING_REPLACED;
		close(fd);
		return -1;
	}
	file_id_from_stat(&st, ret_id);
	return fd;
}

/*
 * The file of a request is being hashed already (a build runs cc many times at once): it
 * waits for that job's answer instead of reading the file again.
 */
static bool follow_job(struct hasher *h, const struct exehash_request *req,
		       const struct rec_file_id *id)
{
	for (unsigned int i = 0; i < h->count; i++) {
		const struct job *j = &h->jobs[(h->head + i) % HASHER_JOBS_MAX];

		if (j->kind != req->kind || !file_id_same(&j->id, id) ||
		    h->followers_count == HASHER_JOBS_MAX)
			continue;
		h->followers[h->followers_count++] =
			(struct follower){ .token = req->token, .kind = req->kind, .id = *id };
		return true;
	}
	return false;
}

/* The job's answer for the requests that followed it: the same file, not read again. */
static void followers_answer(struct hasher *h, const struct job *j, int missing,
			     const uint8_t *digest)
{
	for (unsigned int i = 0; i < h->followers_count;) {
		struct follower *f = &h->followers[i];

		if (f->kind != j->kind || !file_id_same(&f->id, &j->id)) {
			i++;
			continue;
		}
		answer_send(h, f->token, f->kind, missing, &f->id, digest, true);
		*f = h->followers[--h->followers_count];
	}
}

/* A request: answered now (cache, missing), or a job with its file open. */
static void request_take(struct hasher *h, const struct exehash_request *req)
{
	struct rec_file_id id = req->id;
	bool running = false;
	struct cache_entry *c;
	struct stat st;
	int missing = -1, fd;
	struct job *j;

	if (req->kind == EXEHASH_EXE) {
		c = cache_entry(h, &id);
		if (c->used && file_id_same(&c->id, &id)) {
			answer_send(h, req->token, req->kind, -1, &id, c->digest, true);
			return;
		}
		fd = id.size > EXEHASH_SIZE_MAX ? -1 : open_exe(req, &running, &missing);
		if (id.size > EXEHASH_SIZE_MAX)
			missing = HASH_MISSING_TOO_LARGE;
	} else {
		fd = open_script(req, &id, &missing);
		if (fd >= 0 && id.size > EXEHASH_SIZE_MAX) {
			close(fd);
			fd = -1;
			missing = HASH_MISSING_TOO_LARGE;
		}
		c = cache_entry(h, &id);
		if (fd >= 0 && c->used && file_id_same(&c->id, &id)) {
			close(fd);
			answer_send(h, req->token, req->kind, -1, &id, c->digest, true);
			return;
		}
	}
	if (fd >= 0 && follow_job(h, req, &id)) {
		close(fd);
		return;
	}
	if (fd >= 0 && fstat(fd, &st) < 0) {
		close(fd);
		fd = -1;
		missing = HASH_MISSING_UNREADABLE;
	}
	if (fd < 0 || h->count == HASHER_JOBS_MAX) {
		if (fd >= 0) {
			close(fd);
			missing = HASH_MISSING_BUSY;
		}
		answer_send(h, req->token, req->kind, missing, &id, NULL, false);
		return;
	}
	j = &h->jobs[(h->head + h->count++) % HASHER_JOBS_MAX];
	*j = (struct job){
		.token = req->token, .kind = req->kind, .fd = fd, .id = id, .running = running
	};
	file_id_from_stat(&st, &j->opened);
	sha256_init(&j->sha);
}

/* Takes every request waiting on the socket, waiting up to timeout_ms for the first. */
static void requests_take(struct hasher *h, int timeout_ms)
{
	struct pollfd p = { .fd = h->sock, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return;
	while ((n = recv(h->sock, &h->req, sizeof(h->req), MSG_DONTWAIT)) > 0) {
		if ((size_t)n < EXEHASH_REQUEST_HEADER_LEN ||
		    h->req.path_len != (size_t)n - EXEHASH_REQUEST_HEADER_LEN)
			continue;
		if (h->req.kind == EXEHASH_PAUSE)
			h->paused_until_ns = monotonic_ns() + (uint64_t)h->req.pid * 1000000;
		else
			request_take(h, &h->req);
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		h->closed = true;
}

static void job_finish(struct hasher *h, struct job *j, int missing)
{
	uint8_t digest[SHA256_DIGEST_LEN];
	struct cache_entry *c;

	close(j->fd);
	if (missing >= 0) {
		answer_send(h, j->token, j->kind, missing, &j->id, NULL, false);
		followers_answer(h, j, missing, NULL);
	} else {
		sha256_final(&j->sha, digest);
		c = cache_entry(h, &j->id);
		c->id = j->id;
		memcpy(c->digest, digest, SHA256_DIGEST_LEN);
		c->used = true;
		answer_send(h, j->token, j->kind, -1, &j->id, digest, false);
		followers_answer(h, j, -1, digest);
	}
	h->head = (h->head + 1) % HASHER_JOBS_MAX;
	h->count--;
}

/*
 * Written while it was read? A write moves ctime (and mtime) past the one proved, which
 * is older than the exec: a file not running has to be unchanged. A running executable's
 * contents cannot change (ETXTBSY); its ctime may (unlink, rename, chmod).
 */
static bool job_file_changed(const struct job *j)
{
	struct rec_file_id now;
	struct stat st;

	if (fstat(j->fd, &st) < 0)
		return true;
	file_id_from_stat(&st, &now);
	if (j->running)
		return now.dev != j->opened.dev || now.ino != j->opened.ino ||
		       now.size != j->opened.size;
	return !file_id_same(&now, &j->opened);
}

/*
 * One chunk of the oldest job. The size was proved before: a file that reads longer or
 * shorter changed while being read, and its hash would not be of the file executed.
 */
static void job_step(struct hasher *h)
{
	struct job *j = &h->jobs[h->head];
	uint64_t left = j->id.size - j->done;
	ssize_t n = read(j->fd, h->chunk, left < HASHER_CHUNK ? left : HASHER_CHUNK);

	if (n < 0 && errno == EINTR)
		return;
	if (n < 0 || (n == 0 && left)) {
		job_finish(h, j, n < 0 ? HASH_MISSING_UNREADABLE : HASH_MISSING_REPLACED);
		return;
	}
	sha256_update(&j->sha, h->chunk, n);
	j->done += n;
	h->window_bytes += n;
	if (j->done < j->id.size)
		return;
	/* Still the size proved, one byte more would say it grew. */
	if (read(j->fd, h->chunk, 1) != 0 || job_file_changed(j)) {
		job_finish(h, j, HASH_MISSING_REPLACED);
		return;
	}
	job_finish(h, j, -1);
}

static uint64_t hasher_budget_bytes_per_sec(void)
{
	return sha256_impl_active() == SHA256_IMPL_PORTABLE ? HASHER_BUDGET_PORTABLE :
							      HASHER_BUDGET_SHA_INSTRUCTIONS;
}

/* Milliseconds to wait before the budget allows more reading; 0: read now. */
static int budget_wait_ms(struct hasher *h)
{
	uint64_t now = monotonic_ns();
	uint64_t window_budget = hasher_budget_bytes_per_sec() / (NSEC_PER_SEC / HASHER_WINDOW_NS);

	if (now < h->paused_until_ns)
		return (h->paused_until_ns - now) / 1000000 + 1;
	if (now - h->window_start_ns >= HASHER_WINDOW_NS) {
		h->window_start_ns = now;
		h->window_bytes = 0;
		return 0;
	}
	if (h->window_bytes < window_budget)
		return 0;
	return (HASHER_WINDOW_NS - (now - h->window_start_ns)) / 1000000 + 1;
}

static void hasher_loop(struct hasher *h)
{
	while (!h->closed) {
		int wait;

		if (!h->count) {
			requests_take(h, -1);
			continue;
		}
		wait = budget_wait_ms(h);
		/* Requests first, so that their files are opened before they change. */
		requests_take(h, wait);
		if (!wait && h->count)
			job_step(h);
	}
}

static const int hasher_ignored_signals[] = { SIGTERM, SIGINT,	SIGHUP,	 SIGQUIT, SIGPIPE, SIGUSR1,
					      SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU };

/* In the child: fd 3 the socket, stdin and stdout /dev/null, nothing else open. */
static void hasher_child(int sock, pid_t parent)
{
	static struct hasher h;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent || null < 0)
		_exit(1);
	/* --out - writes the trace to stdout: not a byte of the hasher's may go there. */
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(sock, HASHER_SOCKET_FD) < 0)
		_exit(1);
	if (close_range(HASHER_SOCKET_FD + 1, ~0u, 0) < 0) {
		for (int fd = HASHER_SOCKET_FD + 1; fd < 1024; fd++)
			close(fd);
	}
	/*
	 * A stop signal is for the daemon, which then writes its last lines with the hasher's
	 * answers: systemd sends SIGTERM to the whole unit, a terminal's ^C SIGINT to the whole
	 * process group. The hasher ends when the daemon closes its socket (or dies: SIGKILL).
	 */
	for (size_t i = 0; i < sizeof(hasher_ignored_signals) / sizeof(hasher_ignored_signals[0]);
	     i++)
		signal(hasher_ignored_signals[i], SIG_IGN);
	prctl(PR_SET_NAME, "tracerd-hasher");
	setpriority(PRIO_PROCESS, 0, HASHER_NICE);
	err = privileges_drop_hasher();
	if (err) {
		log_msg("hasher: cannot drop privileges: %s", strerror(-err));
		_exit(1);
	}
	h.sock = HASHER_SOCKET_FD;
	h.window_start_ns = monotonic_ns();
	hasher_loop(&h);
	_exit(0);
}

void hasher_stop(pid_t pid);

int hasher_spawn(int *ret_fd, pid_t *ret_pid)
{
	pid_t parent = getpid();
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		close(sv[0]);
		hasher_child(sv[1], parent);
	}
	close(sv[1]);
	/* The loop never waits on the hasher: a full socket means busy. */
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) {
		close(sv[0]);
		hasher_stop(pid);
		return -errno;
	}
	*ret_fd = sv[0];
	*ret_pid = pid;
	return 0;
}

/*
 * The hasher exits when its socket closes, within a chunk's read. One stuck in a file
 * system that does not answer is left behind: PR_SET_PDEATHSIG kills it when tracerd exits.
 */
void hasher_stop(pid_t pid)
{
	struct timespec pause = { .tv_nsec = 10 * 1000000 };

	if (pid <= 0)
		return;
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		nanosleep(&pause, NULL);
	}
}
