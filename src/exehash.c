// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's half of executable hashing (see include/exehash.h). An exec line has up to
 * two parts to resolve, the executable and, for a #! script, the script; each becomes a
 * *_sha256 field or a *_hash_missing word. Counted in trace_end.hashes when written.
 */
#include "exehash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum part_state {
	PART_NONE = -3, /* no such part (not a script) */
	PART_WAITING = -2,
	PART_HASHED = -1,
	/* 0..HASH_MISSING_REASONS-1: enum hash_missing */
};

struct part {
	int state;
	bool from_cache;
	uint8_t digest[SHA256_DIGEST_LEN];
};

struct waiting_line {
	bool used;
	bool exe_requested; /* this line's own request (not one for the same file) */
	struct rec_file_id exe_id;
	uint32_t pid;
	uint32_t exec_flags;
	uint16_t generation; /* answers for an earlier use of this slot are not ours */
	uint64_t seq; /* the held line */
	uint64_t deadline_ns;
	struct part parts[2]; /* EXEHASH_EXE - 1, EXEHASH_SCRIPT - 1 */
};

struct cache_slot {
	struct rec_file_id id;
	uint8_t digest[SHA256_DIGEST_LEN];
	bool used;
	bool requested; /* asked of the hasher, no answer yet: later execs wait for it */
};

struct exehash {
	int fd;
	bool hasher_lost; /* it went away: lines say busy rather than nothing */
	struct trace *trace;
	unsigned int pending;
	struct waiting_line waiting[EXEHASH_PENDING_MAX];
	struct cache_slot cache[EXEHASH_CACHE_SLOTS];
	struct exehash_request request; /* built here: 8 KiB, not on the stack */
	uint64_t paused_until_ns;
	bool ring_busy; /* until paused_until_ns: exec lines are not held */
};

struct exehash *exehash_new(int fd, struct trace *t)
{
	struct exehash *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->fd = fd;
	x->trace = t;
	t->hashes.enabled = fd >= 0;
	return x;
}

void exehash_free(struct exehash *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

unsigned int exehash_pending(const struct exehash *x)
{
	return x ? x->pending : 0;
}

static bool file_id_equal(const struct rec_file_id *a, const struct rec_file_id *b)
{
	return a->ino == b->ino && a->size == b->size && a->ctime_sec == b->ctime_sec &&
	       a->ctime_nsec == b->ctime_nsec && a->dev == b->dev;
}

/* Direct-mapped: a newer identity takes the slot of an older one with the same index. */
static struct cache_slot *cache_slot(struct exehash *x, const struct rec_file_id *id)
{
	uint64_t h = id->ino * 0x9e3779b97f4a7c15ull;

	h ^= (id->size + ((uint64_t)id->dev << 32)) * 0xc2b2ae3d27d4eb4full;
	h ^= ((uint64_t)id->ctime_sec << 30 ^ id->ctime_nsec) * 0x165667b19e3779f9ull;
	return &x->cache[(h >> 40) % EXEHASH_CACHE_SLOTS];
}

enum cache_found {
	CACHE_MISS,
	CACHE_HIT, /* the digest */
	CACHE_REQUESTED, /* another exec of the file asked for it already */
};

static enum cache_found cache_lookup(struct exehash *x, const struct rec_file_id *id,
				     uint8_t *digest)
{
	struct cache_slot *s = cache_slot(x, id);

	if (!s->used || !file_id_equal(&s->id, id))
		return CACHE_MISS;
	if (s->requested)
		return CACHE_REQUESTED;
	memcpy(digest, s->digest, SHA256_DIGEST_LEN);
	return CACHE_HIT;
}

/* digest NULL: requested, not known yet; else known. */
static void cache_store(struct exehash *x, const struct rec_file_id *id, const uint8_t *digest)
{
	struct cache_slot *s = cache_slot(x, id);

	s->id = *id;
	s->used = true;
	s->requested = !digest;
	if (digest)
		memcpy(s->digest, digest, SHA256_DIGEST_LEN);
}

void exehash_cache_preload(void *ctx, const struct rec_file_id *id, const uint8_t *digest)
{
	struct exehash *x = ctx;

	if (id->size <= EXEHASH_SIZE_MAX)
		cache_store(x, id, digest);
}

bool exehash_cache_next(void *ctx, unsigned int *pos, struct rec_file_id *id, uint8_t *digest)
{
	struct exehash *x = ctx;

	for (; *pos < EXEHASH_CACHE_SLOTS; (*pos)++) {
		const struct cache_slot *s = &x->cache[*pos];

		if (!s->used || s->requested)
			continue;
		*id = s->id;
		memcpy(digest, s->digest, SHA256_DIGEST_LEN);
		(*pos)++;
		return true;
	}
	return false;
}

/* The request for id failed: the next exec of the file asks again. */
static void cache_forget_request(struct exehash *x, const struct rec_file_id *id)
{
	struct cache_slot *s = cache_slot(x, id);

	if (s->used && s->requested && file_id_equal(&s->id, id))
		s->used = false;
}

/* ,"<name>_sha256":"<hex>" or ,"<name>_hash_missing":"<word>"; counted in trace_end. */
static size_t part_field(struct exehash *x, const struct part *p, const char *name, char *out,
			 size_t size)
{
	char hex[SHA256_HEX_LEN + 1];
	int n;

	if (p->state == PART_NONE)
		return 0;
	if (p->state == PART_HASHED) {
		sha256_hex(p->digest, hex);
		hex[SHA256_HEX_LEN] = '\0';
		if (p->from_cache)
			x->trace->hashes.cached++;
		n = snprintf(out, size, ",\"%s_sha256\":\"%s\"", name, hex);
	} else {
		x->trace->hashes.missing[p->state]++;
		n = snprintf(out, size, ",\"%s_hash_missing\":\"%s\"", name,
			     trace_hash_missing_name(p->state));
	}
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static size_t parts_fields(struct exehash *x, const struct part *parts, char *out, size_t size)
{
	size_t n = part_field(x, &parts[0], "exe", out, size);

	return n + part_field(x, &parts[1], "script", out + n, size - n);
}

static bool parts_waiting(const struct part *parts)
{
	return parts[0].state == PART_WAITING || parts[1].state == PART_WAITING;
}

static void parts_give_up(struct part *parts, enum hash_missing reason)
{
	for (int i = 0; i < 2; i++) {
		if (parts[i].state == PART_WAITING)
			parts[i].state = reason;
	}
}

/* The line of a waiting slot gets its fields and goes (with what it held back). */
static void waiting_complete(struct exehash *x, struct waiting_line *w)
{
	char fields[256];
	size_t n = parts_fields(x, w->parts, fields, sizeof(fields));

	w->used = false;
	x->pending--;
	trace_line_complete(x->trace, w->seq, fields, n);
}

/* Absolute path of the script: filename, or cwd/filename. False when not known. */
static bool script_path(const struct rec_exec *rec, char *out, uint32_t *ret_len)
{
	const char *name = rec->data + rec->filename.off;
	size_t len = rec->filename.len, n = 0;

	/* Records are checked against their own size only: bound what is copied here. */
	if (rec->flags & EXEC_FILENAME_TRUNCATED || len > TRACERD_PATH_MAX ||
	    rec->cwd.len > TRACERD_PATH_MAX)
		return false;
	/* fexecve() of a script: /dev/fd/N names a descriptor of the exec'ing process. */
	if (len >= 8 && !memcmp(name, "/dev/fd/", 8))
		return false;
	if (name[0] != '/') {
		if (!rec->cwd.len || rec->flags & EXEC_CWD_TRUNCATED)
			return false;
		memcpy(out, rec->data + rec->cwd.off, rec->cwd.len);
		n = rec->cwd.len;
		if (out[n - 1] != '/')
			out[n++] = '/';
	}
	memcpy(out + n, name, len);
	*ret_len = n + len;
	return true;
}

/*
 * The wall-clock time of a boot-clock instant. A timestamp past 2^63 ns (292 years of
 * uptime) comes from no kernel, only from a corrupt record: it reads as the latest time
 * there is rather than overflowing.
 */
static int64_t boot_to_unix(const struct exehash *x, uint64_t boot_ns)
{
	int64_t unix_ns;

	if (boot_ns > INT64_MAX ||
	    __builtin_add_overflow((int64_t)boot_ns, x->trace->boot_to_unix_ns, &unix_ns))
		return INT64_MAX;
	return unix_ns;
}

/* Sends one request; false when the hasher cannot take it now. */
static bool request_send(struct exehash *x, const struct exehash_request *req)
{
	ssize_t len = EXEHASH_REQUEST_HEADER_LEN + req->path_len;

	/* write(2), not send(2): the loop's seccomp filter has no socket calls (SIGPIPE ignored). */
	return write(x->fd, req, len) == len;
}

static struct waiting_line *waiting_slot(struct exehash *x, uint32_t *ret_token)
{
	for (uint32_t i = 0; i < EXEHASH_PENDING_MAX; i++) {
		struct waiting_line *w = &x->waiting[i];

		if (w->used)
			continue;
		w->generation++;
		*ret_token = i | (uint32_t)w->generation << 16;
		return w;
	}
	return NULL;
}

static void exehash_requests(struct exehash *x, const struct rec_exec *rec, struct part *parts,
			     uint32_t token, bool exe_follows)
{
	struct exehash_request *req = &x->request;

	memset(req, 0, EXEHASH_REQUEST_HEADER_LEN);
	req->token = token;
	req->pid = rec->h.pid;
	req->exec_flags = rec->flags;
	if (parts[0].state == PART_WAITING && !exe_follows) {
		req->kind = EXEHASH_EXE;
		req->id = rec->exe_id;
		/* A path longer than the kernel sends is no path: /proc/PID/exe only. */
		req->path_len = rec->exe.len <= TRACERD_PATH_MAX ? rec->exe.len : 0;
		memcpy(req->path, rec->data + rec->exe.off, req->path_len);
		if (!request_send(x, req))
			parts[0].state = HASH_MISSING_BUSY;
		else
			cache_store(x, &rec->exe_id, NULL);
	}
	if (parts[1].state == PART_WAITING) {
		req->kind = EXEHASH_SCRIPT;
		memset(&req->id, 0, sizeof(req->id));
		req->exec_unix_ns = boot_to_unix(x, rec->h.timestamp_ns);
		if (!script_path(rec, req->path, &req->path_len))
			parts[1].state = HASH_MISSING_UNREADABLE;
		else if (!request_send(x, req))
			parts[1].state = HASH_MISSING_BUSY;
	}
}

/* Ends the line now: the parts are known (or given up). */
static void line_end_now(struct exehash *x, const struct part *parts)
{
	char fields[256];
	size_t n = parts_fields(x, parts, fields, sizeof(fields));

	json_write_raw(&x->trace->line, fields, n);
	trace_line_end(x->trace, LINE_PROCESS_EXEC);
}

void exehash_exec_line_end(struct exehash *x, const struct rec_exec *rec, size_t data_len)
{
	struct part parts[2] = { { .state = PART_WAITING }, { .state = PART_NONE } };
	struct waiting_line *w = NULL;
	enum cache_found found;
	uint32_t token = 0;
	uint64_t seq;

	if (x->fd < 0 && !x->hasher_lost) {
		trace_line_end(x->trace, LINE_PROCESS_EXEC);
		return;
	}
	found = cache_lookup(x, &rec->exe_id, parts[0].digest);
	if (found == CACHE_HIT) {
		parts[0].state = PART_HASHED;
		parts[0].from_cache = true;
	} else if (rec->exe_id.size > EXEHASH_SIZE_MAX) {
		parts[0].state = HASH_MISSING_TOO_LARGE;
	}
	if (rec->flags & EXEC_INTERPRETED)
		parts[1].state = PART_WAITING;
	if (parts_waiting(parts)) {
		w = x->fd >= 0 ? waiting_slot(x, &token) : NULL;
		if (w)
			exehash_requests(x, rec, parts, token, found == CACHE_REQUESTED);
		else
			parts_give_up(parts, HASH_MISSING_BUSY);
	}
	/*
	 * While the ring buffer is busy the hasher is paused: holding lines then would only
	 * pile them up. The requests are sent all the same, so that the cache learns the file.
	 */
	if (!parts_waiting(parts) || x->ring_busy ||
	    trace_line_hold(x->trace, LINE_PROCESS_EXEC, &seq)) {
		parts_give_up(parts, HASH_MISSING_BUSY);
		line_end_now(x, parts);
		return;
	}
	memcpy(w->parts, parts, sizeof(parts));
	w->used = true;
	w->exe_requested = parts[0].state == PART_WAITING && found != CACHE_REQUESTED;
	w->exe_id = rec->exe_id;
	w->pid = rec->h.pid;
	w->exec_flags = rec->flags;
	w->seq = seq;
	w->deadline_ns = rec->h.timestamp_ns + EXEHASH_HOLD_NS;
	x->pending++;
}

/*
 * The request another exec of the same file made failed (its process was gone, say): this
 * line asks for its own process's /proc/PID/exe (the path was tried already).
 */
static void waiting_request_exe(struct exehash *x, struct waiting_line *w)
{
	struct exehash_request *req = &x->request;

	memset(req, 0, EXEHASH_REQUEST_HEADER_LEN);
	req->token = (uint32_t)(w - x->waiting) | (uint32_t)w->generation << 16;
	req->kind = EXEHASH_EXE;
	req->pid = w->pid;
	req->exec_flags = w->exec_flags;
	req->id = w->exe_id;
	if (request_send(x, req)) {
		w->exe_requested = true;
		return;
	}
	w->parts[0].state = HASH_MISSING_BUSY;
	if (!parts_waiting(w->parts))
		waiting_complete(x, w);
}

static void part_set(struct part *p, const struct exehash_answer *a, bool from_cache)
{
	if (a->missing < 0) {
		p->state = PART_HASHED;
		p->from_cache = from_cache;
		memcpy(p->digest, a->digest, SHA256_DIGEST_LEN);
	} else {
		p->state = a->missing < HASH_MISSING_REASONS ? a->missing : HASH_MISSING_UNREADABLE;
	}
}

/* Lines that waited for the answer to another line's request for the same file. */
static void followers_resolve(struct exehash *x, const struct exehash_answer *a)
{
	for (int i = 0; i < EXEHASH_PENDING_MAX; i++) {
		struct waiting_line *w = &x->waiting[i];

		if (!w->used || w->exe_requested || w->parts[0].state != PART_WAITING ||
		    !file_id_equal(&w->exe_id, &a->id))
			continue;
		if (a->missing >= 0) {
			waiting_request_exe(x, w);
			continue;
		}
		part_set(&w->parts[0], a, true);
		if (!parts_waiting(w->parts))
			waiting_complete(x, w);
	}
}

static void answer_apply(struct exehash *x, const struct exehash_answer *a)
{
	uint32_t index = a->token & 0xffff;
	struct waiting_line *w;
	struct part *p;

	if (a->missing < 0 && !a->cached)
		x->trace->hashes.computed++;
	if (a->kind == EXEHASH_EXE) {
		/* Kept even when the line has gone busy: the next exec of the file finds it. */
		if (a->missing < 0)
			cache_store(x, &a->id, a->digest);
		else
			cache_forget_request(x, &a->id);
	}
	if (index < EXEHASH_PENDING_MAX && (a->kind == EXEHASH_EXE || a->kind == EXEHASH_SCRIPT)) {
		w = &x->waiting[index];
		p = &w->parts[a->kind - 1];
		if (w->used && w->generation == a->token >> 16 && p->state == PART_WAITING) {
			part_set(p, a, a->cached);
			if (!parts_waiting(w->parts))
				waiting_complete(x, w);
		}
	}
	if (a->kind == EXEHASH_EXE)
		followers_resolve(x, a);
}

void exehash_ring_busy(struct exehash *x, uint64_t now_ns)
{
	struct exehash_request *req;

	/* One pause message per half pause at most, renewed while the storm lasts. */
	if (!x || x->fd < 0 || now_ns + EXEHASH_PAUSE_MS * 500000ull < x->paused_until_ns)
		return;
	req = &x->request;
	memset(req, 0, EXEHASH_REQUEST_HEADER_LEN);
	req->kind = EXEHASH_PAUSE;
	req->pid = EXEHASH_PAUSE_MS;
	if (request_send(x, req)) {
		x->paused_until_ns = now_ns + EXEHASH_PAUSE_MS * 1000000ull;
		x->ring_busy = true;
	}
}

/* The hasher is gone: nothing more will be answered. Closing drops it from epoll too. */
static void exehash_hasher_lost(struct exehash *x)
{
	close(x->fd);
	x->fd = -1;
	x->hasher_lost = true;
	exehash_finish(x);
}

void exehash_answers(struct exehash *x)
{
	struct exehash_answer a;
	ssize_t n;

	if (!x || x->fd < 0)
		return;
	while ((n = read(x->fd, &a, sizeof(a))) == sizeof(a))
		answer_apply(x, &a);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		exehash_hasher_lost(x);
}

/* The waiting slot of the oldest held line, when that line waits for a hash. */
static struct waiting_line *waiting_at_head(struct exehash *x)
{
	uint64_t head = linehold_head_seq(&x->trace->hold);

	for (int i = 0; i < EXEHASH_PENDING_MAX; i++) {
		if (x->waiting[i].used && x->waiting[i].seq == head)
			return &x->waiting[i];
	}
	return NULL;
}

void exehash_expire(struct exehash *x, uint64_t now_ns)
{
	struct waiting_line *w;

	if (x && x->ring_busy && now_ns >= x->paused_until_ns)
		x->ring_busy = false;
	if (!x || !x->pending)
		return;
	for (int i = 0; i < EXEHASH_PENDING_MAX; i++) {
		w = &x->waiting[i];
		if (w->used && w->deadline_ns <= now_ns) {
			parts_give_up(w->parts, HASH_MISSING_BUSY);
			waiting_complete(x, w);
		}
	}
	exehash_hold_bound(x);
}

void exehash_hold_bound(struct exehash *x)
{
	struct waiting_line *w;

	if (!x)
		return;
	while (x->trace->hold.bytes > EXEHASH_HOLD_BYTES && (w = waiting_at_head(x))) {
		parts_give_up(w->parts, HASH_MISSING_BUSY);
		waiting_complete(x, w);
	}
}

void exehash_finish(struct exehash *x)
{
	if (!x)
		return;
	for (int i = 0; i < EXEHASH_PENDING_MAX && x->pending; i++) {
		struct waiting_line *w = &x->waiting[i];

		if (w->used) {
			parts_give_up(w->parts, HASH_MISSING_BUSY);
			waiting_complete(x, w);
		}
	}
}
