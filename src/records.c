// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decode and enrich: each ring buffer record is checked against its own sizes, joined
 * with what earlier records told (working directories, DNS answers, containers, first
 * writes) and written as one trace line, or kept for a later one.
 */
#include "records.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "dns.h"
#include "format.h"
#include "linehead.h"
#include "pathnorm.h"
#include "stages.h"
#include "text.h"

#define MAX_ERRNO 4095 /* include/linux/err.h: -4095..-1 are errors */
#define SIGNAL_MAX 64 /* _NSIG */

static void records_begin(struct records *r, enum trace_line_type type, const struct rec_header *h,
			  uint64_t boot_ns)
{
	struct json_buf *b = &r->trace->line;
	const char *cwd, *container, *head;
	size_t cwd_len, head_len;

	trace_line_begin(r->trace, type, boot_ns);
	STAGE_ENTER(STAGE_ENRICH);
	container = cgroup_cache_container(r->cgroups, h->cgroup_id);
	cwd = proc_table_cwd(r->procs, h->pid, &cwd_len);
	STAGE_LEAVE();
	/* pid ... cwd: the same text as the previous line's while the process is the same. */
	head = line_head_render(r->head, h, container, cwd, cwd_len, &head_len);
	if (head)
		json_write_raw(b, head, head_len);
	else
		b->oom = true; /* the line is dropped and counted */
}

/* A string must lie inside the record's data area. */
static bool rec_str_valid(struct rec_str s, size_t data_len)
{
	return (size_t)s.off + s.len <= data_len;
}

/* Paths the kernel walked are absolute: anything else is a record to refuse. */
static bool path_is_absolute(const char *path, size_t len)
{
	return len > 0 && path[0] == '/';
}

/* A string field that may be empty (not known) but never relative. */
static bool path_empty_or_absolute(const char *data, struct rec_str s)
{
	return s.len == 0 || path_is_absolute(data + s.off, s.len);
}

/* A syscall's result: a count or an fd that fits an int, or -errno. */
static bool ret_valid(int64_t ret)
{
	return ret >= -MAX_ERRNO && ret <= INT32_MAX;
}

/* Linux's signals are 1 to 64 (SIGRTMAX). */
static bool signal_valid(int64_t sig)
{
	return sig >= 1 && sig <= SIGNAL_MAX;
}

/* An inode's size is a loff_t, its ctime nanoseconds below a second. */
static bool file_id_valid(const struct rec_file_id *id)
{
	return id->size <= INT64_MAX && id->ctime_nsec < 1000000000;
}

static int records_exec(struct records *r, const struct rec_exec *rec, size_t size)
{
	size_t data_len = size - sizeof(*rec);
	struct json_buf *b = &r->trace->line;
	const char *args;
	size_t start = 0;

	if (!rec_str_valid(rec->filename, data_len) || !rec_str_valid(rec->exe, data_len) ||
	    !rec_str_valid(rec->cwd, data_len) || !rec_str_valid(rec->args, data_len) ||
	    !rec_str_valid(rec->cgroup, data_len) || !rec->filename.len ||
	    !path_empty_or_absolute(rec->data, rec->exe) ||
	    !path_empty_or_absolute(rec->data, rec->cwd) || !file_id_valid(&rec->exe_id))
		return -EINVAL;
	cgroup_cache_note(r->cgroups, rec->h.cgroup_id, rec->data + rec->cgroup.off,
			  rec->cgroup.len);
	/* The common fields (records_begin) carry the cwd this exec saw. */
	if (rec->cwd.len)
		proc_table_set_cwd(r->procs, rec->h.pid, rec->data + rec->cwd.off, rec->cwd.len);
	records_begin(r, LINE_PROCESS_EXEC, &rec->h, rec->h.timestamp_ns);
	JSON_FIELD_STRING(b, "filename", rec->data + rec->filename.off, rec->filename.len);
	JSON_FIELD_TRUE_IF(b, "filename_truncated", rec->flags & EXEC_FILENAME_TRUNCATED);
	if (rec->exe.len) {
		JSON_FIELD_STRING(b, "exe", rec->data + rec->exe.off, rec->exe.len);
		JSON_FIELD_TRUE_IF(b, "exe_truncated", rec->flags & EXEC_EXE_TRUNCATED);
	}
	JSON_KEY(b, "args");
	json_array_begin(b);
	args = rec->data + rec->args.off;
	for (size_t i = 0; i < rec->args.len; i++) {
		if (args[i] != '\0')
			continue;
		json_write_string(b, args + start, i - start);
		start = i + 1;
	}
	/* An argument cut by the size limit has no NUL of its own. */
	if (start < rec->args.len)
		json_write_string(b, args + start, rec->args.len - start);
	json_array_end(b);
	JSON_FIELD_TRUE_IF(b, "args_truncated", rec->flags & EXEC_ARGS_TRUNCATED);
	JSON_FIELD_TRUE_IF(b, "cwd_truncated", rec->cwd.len && rec->flags & EXEC_CWD_TRUNCATED);
	if (rec->flags & EXEC_HAS_PARENT) {
		JSON_KEY(b, "parent_exec_id");
		json_write_exec_id(b, rec->h.ppid, rec->parent_exec_ns);
	}
	JSON_FIELD_TRUE_IF(b, "exe_memfd", rec->flags & EXEC_EXE_MEMFD);
	JSON_FIELD_TRUE_IF(b, "exe_deleted", rec->flags & EXEC_EXE_DELETED);
	if (r->hashes)
		exehash_exec_line_end(r->hashes, rec, data_len);
	else
		trace_line_end(r->trace, LINE_PROCESS_EXEC);
	return 0;
}

static void records_file_write_line(struct records *r, const struct rec_header *h, uint64_t boot_ns,
				    const char *path, size_t path_len, uint32_t flags,
				    const struct write_totals *totals)
{
	struct json_buf *b = &r->trace->line;

	records_begin(r, LINE_FILE_WRITE, h, boot_ns);
	JSON_FIELD_STRING(b, "path", path, path_len);
	JSON_FIELD_TRUE_IF(b, "path_truncated", flags & WRITE_PATH_TRUNCATED);
	JSON_FIELD_U64(b, "bytes", totals->bytes);
	JSON_FIELD_U64(b, "writes", totals->writes);
	if (totals->via_io_uring)
		JSON_FIELD_CSTR(b, "via", "io_uring");
	trace_line_end(r->trace, LINE_FILE_WRITE);
}

/* The kernel's totals for an entry whose process is gone, then the line. */
static void records_write_entry_flush(struct records *r, struct write_entry *e, uint64_t boot_ns)
{
	struct write_totals totals;

	if (r->take_write_totals(r->take_write_totals_ctx, &e->key, &totals) < 0 || !totals.writes)
		return; /* already reported by a close record */
	records_file_write_line(r, &e->header, boot_ns, e->path, e->path_len, e->flags, &totals);
}

/*
 * A status the kernel can give a dead task: an exit code in bits 8-15 and nothing else, or a
 * signal in bits 0-6 with the core-dump bit 7 and nothing else. Anything more is corruption,
 * not a process that exited 0 with a core dump.
 */
static bool wait_status_valid(uint32_t status)
{
	if (status & ~0xffffu)
		return false;
	if (WIFEXITED(status))
		return !(status & 0xff);
	return !(status & 0xff00) && signal_valid(WTERMSIG(status));
}

static int records_exit(struct records *r, const struct rec_exit *rec)
{
	struct json_buf *b = &r->trace->line;
	uint32_t status = rec->exit_code;
	struct write_entry *e;

	if (!wait_status_valid(status))
		return -EINVAL;
	while ((e = write_table_take_pid(r->writes, rec->h.pid))) {
		records_write_entry_flush(r, e, rec->h.timestamp_ns);
		free(e);
	}
	records_begin(r, LINE_PROCESS_EXIT, &rec->h, rec->h.timestamp_ns);
	/* The kernel's exit_code is a wait(2) status. */
	if (WIFEXITED(status))
		JSON_FIELD_U64(b, "exit_code", WEXITSTATUS(status));
	else
		JSON_FIELD_U64(b, "signal", WTERMSIG(status));
	JSON_FIELD_TRUE_IF(b, "core_dumped", WCOREDUMP(status));
	JSON_FIELD_U64(b, "duration_ns", rec->duration_ns);
	trace_line_end(r->trace, LINE_PROCESS_EXIT);
	proc_table_remove(r->procs, rec->h.pid);
	return 0;
}

/* dst_addr, dst_port, protocol: the destination fields net_connect and dns_query share. */
static bool json_fields_dest(struct json_buf *b, const struct rec_net *n)
{
	char addr[64];
	int len = format_addr(n->addr_family, n->addr, addr, sizeof(addr));

	if (len < 0)
		return false;
	JSON_FIELD_STRING(b, "dst_addr", addr, len);
	JSON_FIELD_U64(b, "dst_port", n->port);
	JSON_FIELD_CSTR(b, "protocol", n->protocol == NET_PROTO_TCP ? "tcp" : "udp");
	return true;
}

static int records_connect(struct records *r, const struct rec_connect *rec)
{
	const char *hostname = dns_cache_lookup(r->dns, rec->dst.addr_family, rec->dst.addr);
	const char *family = format_family(rec->dst.family);

	/* A connect's result, or a datagram send's: 0 or -errno. */
	if (!family || !ret_valid(rec->ret) || rec->ret > 0 || rec->flags & ~CONNECT_VIA_IO_URING)
		return -EINVAL;
	records_begin(r, LINE_NET_CONNECT, &rec->h, rec->h.timestamp_ns);
	if (!json_fields_dest(&r->trace->line, &rec->dst))
		return -EINVAL;
	JSON_FIELD_CSTR(&r->trace->line, "family", family);
	JSON_FIELD_I64(&r->trace->line, "ret", rec->ret);
	if (hostname)
		JSON_FIELD_CSTR(&r->trace->line, "hostname", hostname);
	if (rec->flags & CONNECT_VIA_IO_URING)
		JSON_FIELD_CSTR(&r->trace->line, "via", "io_uring");
	trace_line_end(r->trace, LINE_NET_CONNECT);
	return 0;
}

static bool net_protocol_valid(const struct rec_net *n, uint8_t protocol)
{
	return n->protocol == protocol && format_family(n->family);
}

/*
 * listen() (TCP, ret 0 or -errno) or bind() of a UDP socket to a port other than 0;
 * accept() (TCP, ret the new fd) with the peer it connected.
 */
static int records_listen(struct records *r, const struct rec_listen *rec)
{
	enum trace_line_type type = rec->h.type == REC_ACCEPT ? LINE_NET_ACCEPT : LINE_NET_LISTEN;
	struct json_buf *b = &r->trace->line;
	char local[64], peer[64];
	int local_len, peer_len = 0;
	bool ok;

	switch (rec->kind) {
	case LISTEN_TCP:
		ok = type == LINE_NET_LISTEN && net_protocol_valid(&rec->local, NET_PROTO_TCP) &&
		     rec->ret <= 0;
		break;
	case LISTEN_UDP_BIND:
		ok = type == LINE_NET_LISTEN && net_protocol_valid(&rec->local, NET_PROTO_UDP) &&
		     rec->ret <= 0 && rec->local.port != 0;
		break;
	case LISTEN_ACCEPT:
		ok = type == LINE_NET_ACCEPT && net_protocol_valid(&rec->local, NET_PROTO_TCP) &&
		     rec->ret >= 0 && rec->peer.port != 0;
		break;
	default:
		ok = false;
	}
	if (!ok || !ret_valid(rec->ret))
		return -EINVAL;
	local_len = format_addr(rec->local.addr_family, rec->local.addr, local, sizeof(local));
	if (type == LINE_NET_ACCEPT)
		peer_len = format_addr(rec->peer.addr_family, rec->peer.addr, peer, sizeof(peer));
	if (local_len < 0 || peer_len < 0)
		return -EINVAL;
	records_begin(r, type, &rec->h, rec->h.timestamp_ns);
	JSON_FIELD_STRING(b, "addr", local, local_len);
	JSON_FIELD_U64(b, "port", rec->local.port);
	if (type == LINE_NET_ACCEPT) {
		JSON_FIELD_STRING(b, "peer_addr", peer, peer_len);
		JSON_FIELD_U64(b, "peer_port", rec->peer.port);
	}
	JSON_FIELD_CSTR(b, "protocol", rec->local.protocol == NET_PROTO_TCP ? "tcp" : "udp");
	JSON_FIELD_CSTR(b, "family", format_family(rec->local.family));
	JSON_FIELD_I64(b, "ret", rec->ret);
	trace_line_end(r->trace, type);
	return 0;
}

static void records_dns_answers(struct records *r, const uint8_t *msg, size_t len)
{
	struct dns_answer answers[DNS_ANSWERS_MAX];
	struct dns_question q;
	size_t count = 0;

	/* A message cut short still names the addresses read before the cut. */
	dns_parse_answers(msg, len, &q, answers, DNS_ANSWERS_MAX, &count);
	for (size_t i = 0; i < count; i++)
		dns_cache_add(r->dns, answers[i].family, answers[i].addr, q.name);
}

/* One DNS message: an answer feeds the address map, a query becomes a dns_query line. */
static int records_dns_message(struct records *r, const struct rec_dns *rec, const uint8_t *msg,
			       size_t len)
{
	struct json_buf *b = &r->trace->line;
	struct dns_question q;
	char qtype[16];
	int n;

	if (rec->flags & DNS_RECEIVED) {
		records_dns_answers(r, msg, len);
		return 0;
	}
	/* Not a DNS query after all (port 53 carries anything): the connect line stays. */
	if (dns_parse_question(msg, len, &q) < 0 || q.is_response)
		return 0;
	records_begin(r, LINE_DNS_QUERY, &rec->h, rec->h.timestamp_ns);
	JSON_FIELD_CSTR(b, "hostname", q.name);
	n = format_dns_qtype(q.qtype, qtype, sizeof(qtype));
	if (n > 0)
		JSON_FIELD_STRING(b, "qtype", qtype, n);
	if (!json_fields_dest(b, &rec->dst))
		return -EINVAL;
	if (rec->flags & DNS_VIA_IO_URING)
		JSON_FIELD_CSTR(b, "via", "io_uring");
	trace_line_end(r->trace, LINE_DNS_QUERY);
	return 0;
}

/*
 * DNS over TCP frames each message with a 2-byte length; one chunk may hold several.
 * Clients write the prefix with the message or in a write of its own: then the next
 * chunk of that process is the bare message.
 */
static int records_dns_tcp(struct records *r, const struct rec_dns *rec, const uint8_t *msg,
			   size_t len)
{
	uint32_t *pending = &r->tcp_prefix_pending[rec->h.pid % 64];
	int err = 0;

	if (*pending == rec->h.pid) {
		*pending = 0;
		return records_dns_message(r, rec, msg, len);
	}
	if (len == 2) {
		*pending = rec->h.pid;
		return 0;
	}
	while (!err && len > 2) {
		size_t announced = dns_tcp_message_length(msg, len);
		size_t n = announced < len - 2 ? announced : len - 2;

		err = records_dns_message(r, rec, msg + 2, n);
		msg += 2 + n;
		len -= 2 + n;
	}
	return err;
}

static int records_dns(struct records *r, const struct rec_dns *rec, size_t size)
{
	if (rec->len > TRACERD_DNS_PAYLOAD_MAX ||
	    offsetof(struct rec_dns, payload) + rec->len > size)
		return -EINVAL;
	if (rec->flags & DNS_TCP)
		return records_dns_tcp(r, rec, rec->payload, rec->len);
	return records_dns_message(r, rec, rec->payload, rec->len);
}

/*
 * A file of no mount, named as /proc/PID/fd names it: "pipe:[ino]", "socket:[ino]",
 * "anon_inode:[name]"; others (a memfd: "/memfd:name") keep the path walked. Returns the
 * name's length, or 0 for a file named by its path.
 */
static int pseudo_path(const struct rec_open *rec, char *buf, size_t size)
{
	const char *name = rec->data + rec->path.off;

	switch (rec->pseudo_magic) {
	case PIPEFS_MAGIC:
	case SOCKFS_MAGIC:
		return snprintf(buf, size, "%s:[%llu]",
				rec->pseudo_magic == PIPEFS_MAGIC ? "pipe" : "socket",
				(unsigned long long)rec->pseudo_ino);
	case ANON_INODE_FS_MAGIC:
		if (rec->path.len < 2)
			return 0;
		return snprintf(buf, size, "anon_inode:%.*s", (int)rec->path.len - 1, name + 1);
	}
	return 0;
}

/*
 * The path a file_open line names: the file opened, a pseudo file's name, or a failed
 * open's path made absolute. NULL when the record holds none (it is then not decoded).
 */
static const char *open_path(const struct rec_open *rec, char *buf, size_t size, size_t *ret_len)
{
	const char *path = rec->data + rec->path.off;
	int n;

	if (rec->flags & OPEN_PATH_RELATIVE && rec->base.len) {
		n = (rec->flags & OPEN_IN_ROOT ? path_normalize_in_root : path_normalize)(
			rec->data + rec->base.off, rec->base.len, path, rec->path.len, buf, size);
		*ret_len = n > 0 ? (size_t)n : 0;
		return n > 0 ? buf : NULL;
	}
	n = rec->flags & OPEN_PSEUDO ? pseudo_path(rec, buf, size) : 0;
	if (n > 0 && (size_t)n < size) {
		*ret_len = n;
		return buf;
	}
	*ret_len = rec->path.len;
	return path_is_absolute(path, rec->path.len) ? path : NULL;
}

/*
 * A numbered open is one whose first write may take its path: a file the open gave, its
 * whole path walked, short enough to keep. Unnumbered ones have neither number nor file.
 */
static bool open_number_valid(const struct rec_open *rec)
{
	const uint32_t walked_whole = OPEN_PATH_TRUNCATED | OPEN_PATH_RELATIVE |
				      OPEN_BASE_TRUNCATED | OPEN_IN_ROOT | OPEN_PSEUDO;

	if (!rec->open_seq || !rec->file)
		return !rec->open_seq && !rec->file;
	return rec->ret >= 0 && !(rec->flags & walked_whole) &&
	       rec->path.len <= TRACERD_OPEN_PATH_KEEP_MAX &&
	       path_is_absolute(rec->data + rec->path.off, rec->path.len);
}

static int records_open(struct records *r, const struct rec_open *rec, size_t size)
{
	size_t data_len = size - sizeof(*rec);
	struct json_buf *b = &r->trace->line;
	char flags[256], buf[TRACERD_PATH_MAX * 2 + 2];
	const char *path;
	size_t path_len;
	int n;

	if (!rec_str_valid(rec->path, data_len) || !rec_str_valid(rec->base, data_len) ||
	    !ret_valid(rec->ret) || !open_number_valid(rec))
		return -EINVAL;
	STAGE_ENTER(STAGE_ENRICH);
	path = open_path(rec, buf, sizeof(buf), &path_len);
	if (path && rec->open_seq)
		open_paths_add(r->opens, rec->open_seq, rec->file, path, path_len);
	STAGE_LEAVE();
	if (!path)
		return -EINVAL;
	records_begin(r, LINE_FILE_OPEN, &rec->h, rec->h.timestamp_ns);
	JSON_FIELD_STRING(b, "path", path, path_len);
	JSON_FIELD_TRUE_IF(b, "path_truncated",
			   rec->flags & (OPEN_PATH_TRUNCATED | OPEN_BASE_TRUNCATED));
	n = format_open_flags(rec->open_flags, flags, sizeof(flags));
	if (n > 0) {
		JSON_KEY(b, "flags");
		json_write_clean_string(b, flags, n); /* flag names and hex */
	}
	JSON_FIELD_I64(b, "ret", rec->ret);
	if (rec->flags & OPEN_VIA_IO_URING)
		JSON_FIELD_CSTR(b, "via", "io_uring");
	trace_line_end(r->trace, LINE_FILE_OPEN);
	return 0;
}

/* Totals that come without a path: the path is the one of the first write. */
static int records_write_path_from_first(struct records *r, const struct rec_write *rec)
{
	struct write_entry *e = write_table_take(r->writes, &rec->key);

	if (!e)
		return -ENOENT; /* its first record was lost: counted there */
	records_file_write_line(r, &e->header, rec->h.timestamp_ns, e->path, e->path_len, e->flags,
				&rec->totals);
	free(e);
	return 0;
}

/*
 * A first write that takes its open's path (WRITE_PATH_FROM_OPEN) has no path of its own
 * and no other path flag; the number comes with that flag only.
 */
static bool write_open_seq_valid(const struct rec_write *rec)
{
	if (!(rec->flags & WRITE_PATH_FROM_OPEN))
		return !rec->open_seq;
	return rec->h.type == REC_WRITE_FIRST && rec->flags == WRITE_PATH_FROM_OPEN &&
	       rec->open_seq && !rec->path.len;
}

/* A first write: its path, from the record or from its open's, kept for its line. */
static int records_write_first(struct records *r, const struct rec_write *rec, const char *path,
			       size_t path_len)
{
	struct rec_write first = *rec;
	int err = -ENOENT;

	STAGE_ENTER(STAGE_ENRICH);
	if (rec->flags & WRITE_PATH_FROM_OPEN) {
		/* The line says what a walk would have: the path, no flag. */
		first.flags = 0;
		path = open_paths_find(r->opens, rec->open_seq, rec->key.file, &path_len);
	}
	if (path)
		err = write_table_add(r->writes, &first, path, path_len);
	STAGE_LEAVE();
	/* No path (its open's no longer kept) is counted as a first record lost would be. */
	if (err < 0)
		trace_lost_add(r->trace, LOSS_FILE_WRITE, 1);
	return 0;
}

static int records_file_write(struct records *r, const struct rec_write *rec, size_t size)
{
	size_t data_len = size - sizeof(*rec);
	const char *path = rec->data + rec->path.off;

	if (!rec_str_valid(rec->path, data_len) || !write_open_seq_valid(rec))
		return -EINVAL;
	/* A path comes with the first write and with totals not told to take the first's. */
	if (!(rec->flags & WRITE_PATH_FROM_OPEN) &&
	    (rec->h.type == REC_WRITE_FIRST || !(rec->flags & WRITE_PATH_FROM_FIRST)) &&
	    !path_is_absolute(path, rec->path.len))
		return -EINVAL;
	if (rec->h.type == REC_WRITE_FIRST)
		return records_write_first(r, rec, path, rec->path.len);
	/* Totals come after at least one write that succeeded. */
	if (!rec->totals.writes || rec->totals.via_io_uring > 1)
		return -EINVAL;
	if (rec->flags & WRITE_PATH_FROM_FIRST) {
		if (records_write_path_from_first(r, rec) < 0)
			trace_lost_add(r->trace, LOSS_FILE_WRITE, 1);
		return 0;
	}
	write_table_remove(r->writes, &rec->key);
	records_file_write_line(r, &rec->h, rec->h.timestamp_ns, path, rec->path.len, rec->flags,
				&rec->totals);
	return 0;
}

static const char *const tamper_action_names[] = {
	[TAMPER_SIGNAL] = "signal",	      [TAMPER_PTRACE] = "ptrace",
	[TAMPER_MEM_READ] = "mem_read",	      [TAMPER_MEM_WRITE] = "mem_write",
	[TAMPER_OPEN_OUTPUT] = "open_output",
};

static int records_tamper(struct records *r, const struct rec_tamper *rec)
{
	struct json_buf *b = &r->trace->line;
	char flags[256];
	int n;

	if (rec->action == 0 || rec->action > TAMPER_SUPERVISOR_STOP || !ret_valid(rec->ret) ||
	    !rec->target_pid)
		return -EINVAL;
	if ((rec->action == TAMPER_SIGNAL || rec->action == TAMPER_SUPERVISOR_STOP) &&
	    !signal_valid(rec->value))
		return -EINVAL;
	if (rec->action == TAMPER_SIGNAL || rec->action == TAMPER_SUPERVISOR_STOP)
		trace_signal_sender(r->trace, rec->value, rec->h.pid, rec->h.comm);
	/* The normal stop: told in trace_end, not as tamper. */
	if (rec->action == TAMPER_SUPERVISOR_STOP)
		return 0;
	records_begin(r, LINE_TAMPER, &rec->h, rec->h.timestamp_ns);
	JSON_FIELD_CSTR(b, "action", tamper_action_names[rec->action]);
	JSON_FIELD_U64(b, "target_pid", rec->target_pid);
	switch (rec->action) {
	case TAMPER_SIGNAL:
		JSON_FIELD_I64(b, "signal", rec->value);
		break;
	case TAMPER_PTRACE:
		JSON_FIELD_I64(b, "request", rec->value);
		JSON_FIELD_I64(b, "ret", rec->ret);
		break;
	case TAMPER_OPEN_OUTPUT:
		if (r->output_path)
			JSON_FIELD_CSTR(b, "path", r->output_path);
		n = format_open_flags(rec->value, flags, sizeof(flags));
		if (n > 0)
			JSON_FIELD_STRING(b, "flags", flags, n);
		JSON_FIELD_I64(b, "ret", rec->ret);
		break;
	default:
		JSON_FIELD_I64(b, "ret", rec->ret);
	}
	trace_line_end(r->trace, LINE_TAMPER);
	return 0;
}

static int records_fork(struct records *r, const struct rec_fork *rec)
{
	return proc_table_fork(r->procs, rec->h.pid, rec->child_pid);
}

static const char *const access_action_names[] = {
	[ACCESS_PTRACE] = "ptrace",
	[ACCESS_MEM_READ] = "process_vm_readv",
	[ACCESS_MEM_WRITE] = "process_vm_writev",
	[ACCESS_PIDFD_GETFD] = "pidfd_getfd",
};

/* The ptrace requests the kernel side reports, by number (<sys/ptrace.h>'s names). */
static const char *ptrace_request_name(int64_t request)
{
	static const char *const names[] = {
		[1] = "PTRACE_PEEKTEXT", [2] = "PTRACE_PEEKDATA", [3] = "PTRACE_PEEKUSER",
		[4] = "PTRACE_POKETEXT", [5] = "PTRACE_POKEDATA", [6] = "PTRACE_POKEUSER",
		[16] = "PTRACE_ATTACH",
	};

	if (request == 0x4206)
		return "PTRACE_SEIZE";
	if (request < 0 || request >= (int64_t)(sizeof(names) / sizeof(names[0])))
		return NULL;
	return names[request];
}

static int records_access(struct records *r, const struct rec_access *rec)
{
	struct json_buf *b = &r->trace->line;
	const char *request = NULL;
	bool namespaced = rec->flags & ACCESS_PID_NAMESPACED;

	if (rec->action == 0 || rec->action > ACCESS_PIDFD_GETFD || !rec->target_pid ||
	    !ret_valid(rec->ret) || (rec->flags & ~ACCESS_PID_NAMESPACED) ||
	    (namespaced && rec->target_exec_ns))
		return -EINVAL;
	if (rec->action == ACCESS_PTRACE) {
		request = ptrace_request_name(rec->value);
		if (!request || rec->ret > 0)
			return -EINVAL;
	} else if (rec->action == ACCESS_PIDFD_GETFD) {
		if (rec->value < 0 || rec->value > INT32_MAX)
			return -EINVAL;
	} else if (rec->value) {
		return -EINVAL;
	}
	records_begin(r, LINE_PROCESS_ACCESS, &rec->h, rec->h.timestamp_ns);
	JSON_FIELD_CSTR(b, "action", access_action_names[rec->action]);
	JSON_FIELD_U64(b, "target_pid", rec->target_pid);
	if (rec->target_exec_ns) {
		JSON_KEY(b, "target_exec_id");
		json_write_exec_id(b, rec->target_pid, rec->target_exec_ns);
	}
	JSON_FIELD_TRUE_IF(b, "target_pid_namespaced", namespaced);
	if (request) {
		JSON_FIELD_I64(b, "request", rec->value);
		JSON_FIELD_CSTR(b, "request_name", request);
	}
	if (rec->action == ACCESS_PIDFD_GETFD)
		JSON_FIELD_I64(b, "target_fd", rec->value);
	JSON_FIELD_I64(b, "ret", rec->ret);
	trace_line_end(r->trace, LINE_PROCESS_ACCESS);
	return 0;
}

/*
 * io_uring_setup(): the ring's flags by name, its sizes when it was made, and whether
 * this kernel lets tracerd see its requests.
 */
static int records_io_uring_setup(struct records *r, const struct rec_io_uring_setup *rec)
{
	struct json_buf *b = &r->trace->line;
	char flags[512];
	int n;

	/* A ring made has both queues (the kernel rounds sizes up, never to 0); none else. */
	if (!ret_valid(rec->ret) || rec->ops_traced > 1 ||
	    (rec->ret < 0 && (rec->sq_entries || rec->cq_entries)) ||
	    (rec->ret >= 0 && (!rec->sq_entries || !rec->cq_entries)))
		return -EINVAL;
	records_begin(r, LINE_IO_URING_SETUP, &rec->h, rec->h.timestamp_ns);
	JSON_FIELD_U64(b, "entries", rec->entries);
	n = format_io_uring_setup_flags(rec->setup_flags, flags, sizeof(flags));
	if (n > 0)
		JSON_FIELD_STRING(b, "setup_flags", flags, n);
	JSON_FIELD_TRUE_IF(b, "sqpoll", rec->setup_flags & FORMAT_IORING_SETUP_SQPOLL);
	if (rec->ret >= 0) {
		JSON_FIELD_U64(b, "sq_entries", rec->sq_entries);
		JSON_FIELD_U64(b, "cq_entries", rec->cq_entries);
	}
	JSON_KEY(b, "ops_traced");
	json_write_bool(b, rec->ops_traced);
	JSON_FIELD_I64(b, "ret", rec->ret);
	trace_line_end(r->trace, LINE_IO_URING_SETUP);
	return 0;
}

static int records_chdir(struct records *r, const struct rec_chdir *rec, size_t size)
{
	if (!rec_str_valid(rec->cwd, size - sizeof(*rec)) ||
	    !path_empty_or_absolute(rec->data, rec->cwd))
		return -EINVAL;
	if (!rec->cwd.len)
		return 0;
	return proc_table_set_cwd(r->procs, rec->h.pid, rec->data + rec->cwd.off, rec->cwd.len);
}

static const size_t record_min_size[REC_TYPE_MAX] = {
	[REC_EXEC] = sizeof(struct rec_exec),
	[REC_EXIT] = sizeof(struct rec_exit),
	[REC_CONNECT] = sizeof(struct rec_connect),
	[REC_DNS] = offsetof(struct rec_dns, payload),
	[REC_OPEN] = sizeof(struct rec_open),
	[REC_WRITE_FIRST] = sizeof(struct rec_write),
	[REC_WRITE_CLOSE] = sizeof(struct rec_write),
	[REC_TAMPER] = sizeof(struct rec_tamper),
	[REC_FORK] = sizeof(struct rec_fork),
	[REC_CHDIR] = sizeof(struct rec_chdir),
	[REC_LISTEN] = sizeof(struct rec_listen),
	[REC_ACCEPT] = sizeof(struct rec_listen),
	[REC_ACCESS] = sizeof(struct rec_access),
	[REC_IO_URING_SETUP] = sizeof(struct rec_io_uring_setup),
};

static int records_dispatch(struct records *r, const void *data, size_t size)
{
	const struct rec_header *h = data;

	if (size < sizeof(*h) || h->size != size || h->type == 0 || h->type >= REC_TYPE_MAX ||
	    size < record_min_size[h->type] || !h->pid || !h->tid)
		return -EINVAL;
	switch (h->type) {
	case REC_EXEC:
		return records_exec(r, data, size);
	case REC_EXIT:
		return records_exit(r, data);
	case REC_CONNECT:
		return records_connect(r, data);
	case REC_DNS:
		return records_dns(r, data, size);
	case REC_OPEN:
		return records_open(r, data, size);
	case REC_TAMPER:
		return records_tamper(r, data);
	case REC_FORK:
		return records_fork(r, data);
	case REC_CHDIR:
		return records_chdir(r, data, size);
	case REC_LISTEN:
	case REC_ACCEPT:
		return records_listen(r, data);
	case REC_ACCESS:
		return records_access(r, data);
	case REC_IO_URING_SETUP:
		return records_io_uring_setup(r, data);
	default:
		return records_file_write(r, data, size);
	}
}

enum loss_reason records_loss_reason(uint16_t rec_type)
{
	static const enum loss_reason reason_of_record[REC_TYPE_MAX] = {
		[REC_EXEC] = LOSS_PROCESS_EXEC,
		[REC_EXIT] = LOSS_PROCESS_EXIT,
		[REC_CONNECT] = LOSS_NET_CONNECT,
		[REC_DNS] = LOSS_DNS_QUERY,
		[REC_OPEN] = LOSS_FILE_OPEN,
		[REC_WRITE_FIRST] = LOSS_FILE_WRITE,
		[REC_WRITE_CLOSE] = LOSS_FILE_WRITE,
		[REC_TAMPER] = LOSS_TAMPER,
		[REC_FORK] = LOSS_CWD,
		[REC_CHDIR] = LOSS_CWD,
		[REC_LISTEN] = LOSS_NET_LISTEN,
		[REC_ACCEPT] = LOSS_NET_ACCEPT,
		[REC_ACCESS] = LOSS_PROCESS_ACCESS,
		[REC_IO_URING_SETUP] = LOSS_IO_URING_SETUP,
	};

	if (rec_type == 0 || rec_type >= REC_TYPE_MAX)
		return LOSS_DECODE_ERROR;
	return reason_of_record[rec_type];
}

/*
 * A record that does not decode is a decode_error; one the daemon had no memory to keep
 * (a first write, a working directory) is a loss of its own type.
 */
void records_handle(struct records *r, const void *data, size_t size)
{
	const struct rec_header *h = data;
	int err = records_dispatch(r, data, size);

	if (err == -ENOMEM)
		trace_lost_add(r->trace, records_loss_reason(h->type), 1);
	else if (err < 0)
		trace_lost_add(r->trace, LOSS_DECODE_ERROR, 1);
	exehash_hold_bound(r->hashes);
}

int records_init(struct records *r, const struct records_config *cfg)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->trace = cfg->trace;
	r->cgroups = cfg->cgroups;
	r->hashes = cfg->hashes;
	r->take_write_totals = cfg->take_write_totals;
	r->take_write_totals_ctx = cfg->take_write_totals_ctx;
	err = write_table_new(&r->writes);
	if (!err)
		err = open_paths_new(&r->opens, TRACERD_OPEN_PATHS);
	if (!err)
		err = line_head_new(&r->head);
	if (!err)
		err = dns_cache_new(&r->dns);
	if (!err)
		err = proc_table_new(&r->procs);
	if (!err && cfg->output_path && !(r->output_path = strdup(cfg->output_path)))
		err = -ENOMEM;
	return err;
}

void records_free(struct records *r)
{
	write_table_free(r->writes);
	open_paths_free(r->opens);
	dns_cache_free(r->dns);
	proc_table_free(r->procs);
	line_head_free(r->head);
	free(r->output_path);
	memset(r, 0, sizeof(*r));
}

void records_finish(struct records *r)
{
	uint64_t now = trace_boot_now_ns();
	struct write_entry *e;

	while ((e = write_table_take_any(r->writes))) {
		records_write_entry_flush(r, e, now);
		free(e);
	}
}
