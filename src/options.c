/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line (README.md, "Usage"). Parsing only: nothing is opened here, so
 * that bad usage exits 2 before any file exists. Messages name the option and what a
 * valid value looks like, because the reader is usually fixing a CI workflow file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "options.h"

/* getopt returns these; above 255 so they cannot collide with '?' or ':'. */
enum option_id {
	OPT_JOB_ID = 256,
	OPT_OUT,
	OPT_PID_FILE,
	OPT_HASH_CACHE,
	OPT_FLUSH_INTERVAL,
	OPT_RING_BUFFER_KB,
	OPT_FORCE,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_options[] = {
	{ "job-id", required_argument, NULL, OPT_JOB_ID },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "hash-cache", required_argument, NULL, OPT_HASH_CACHE },
	{ "flush-interval", required_argument, NULL, OPT_FLUSH_INTERVAL },
	{ "ring-buffer-kb", required_argument, NULL, OPT_RING_BUFFER_KB },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* A user's value quoted in a message: one line, bounded, control bytes shown as '?'. */
#define QUOTED_MAX 64

struct parse_state {
	struct options *opts;
	char *err;
	size_t errlen;
	unsigned int seen; /* one bit per option_id, to refuse repeats */
};

__attribute__((format(printf, 2, 3))) static int usage_error(struct parse_state *st,
							     const char *fmt, ...)
{
	va_list ap;

	if (st->err && st->errlen) {
		va_start(ap, fmt);
		vsnprintf(st->err, st->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *quoted(const char *value, char out[QUOTED_MAX + 4])
{
	size_t i;

	for (i = 0; value[i] && i < QUOTED_MAX; i++) {
		unsigned char c = (unsigned char)value[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (value[i])
		memcpy(out + i, "...", 4);
	else
		out[i] = '\0';
	return out;
}

/* The "--name" part of "--name=value" (or the whole element), for messages. */
static const char *option_text(const char *arg, char out[QUOTED_MAX + 4])
{
	char name[QUOTED_MAX + 1];
	size_t n = strcspn(arg, "=");

	if (strncmp(arg, "--", 2) != 0 || n > QUOTED_MAX)
		return quoted(arg, out);
	memcpy(name, arg, n);
	name[n] = '\0';
	return quoted(name, out);
}

/* The option whose full name the element spells (abbreviations do not count), or NULL. */
static const struct option *option_spelled(const char *arg)
{
	const struct option *o;
	size_t n;

	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	arg += 2;
	n = strcspn(arg, "=");
	for (o = long_options; o->name; o++) {
		if (strlen(o->name) == n && !strncmp(o->name, arg, n))
			return o;
	}
	return NULL;
}

bool options_job_id_valid(const char *id)
{
	size_t i, len;

	if (!id)
		return false;
	len = strnlen(id, OPTIONS_JOB_ID_MAX + 1);
	if (len == 0 || len > OPTIONS_JOB_ID_MAX || id[0] == '-')
		return false;
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Decimal digits only: no sign, no spaces, no base prefix. -EINVAL or -ERANGE. */
static int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = (unsigned int)v;
	return 0;
}

static int set_flush_interval(struct parse_state *st, const char *value)
{
	char q[QUOTED_MAX + 4];
	int err;

	err = parse_uint(value, OPTIONS_FLUSH_MS_MIN, OPTIONS_FLUSH_MS_MAX,
			 &st->opts->flush_interval_ms);
	if (err == -EINVAL)
		return usage_error(st,
				   "--flush-interval: '%s' is not a number of milliseconds (%d-%d)",
				   quoted(value, q), OPTIONS_FLUSH_MS_MIN, OPTIONS_FLUSH_MS_MAX);
	if (err)
		return usage_error(st,
				   "--flush-interval: '%s' is out of range (%d-%d milliseconds)",
				   quoted(value, q), OPTIONS_FLUSH_MS_MIN, OPTIONS_FLUSH_MS_MAX);
	return 0;
}

static int set_ring_buffer_kb(struct parse_state *st, const char *value)
{
	unsigned int kb = 0;
	char q[QUOTED_MAX + 4];
	int err;

	err = parse_uint(value, OPTIONS_RINGBUF_KB_MIN, OPTIONS_RINGBUF_KB_MAX, &kb);
	if (err == -EINVAL)
		return usage_error(
			st, "--ring-buffer-kb: '%s' is not a number of KiB (%d-%d, a power of two)",
			quoted(value, q), OPTIONS_RINGBUF_KB_MIN, OPTIONS_RINGBUF_KB_MAX);
	if (err)
		return usage_error(
			st, "--ring-buffer-kb: '%s' is out of range (%d-%d KiB, a power of two)",
			quoted(value, q), OPTIONS_RINGBUF_KB_MIN, OPTIONS_RINGBUF_KB_MAX);
	/* The kernel refuses a BPF ring buffer whose size is not a power of two. */
	if (kb & (kb - 1))
		return usage_error(st, "--ring-buffer-kb: '%s' is not a power of two (%d-%d KiB)",
				   quoted(value, q), OPTIONS_RINGBUF_KB_MIN,
				   OPTIONS_RINGBUF_KB_MAX);
	st->opts->ringbuf_kb = kb;
	return 0;
}

static int set_path(struct parse_state *st, const char *name, const char *value, const char **ret)
{
	if (!*value)
		return usage_error(st, "--%s needs a non-empty path", name);
	*ret = value;
	return 0;
}

static int set_job_id(struct parse_state *st, const char *value)
{
	char q[QUOTED_MAX + 4];

	if (!options_job_id_valid(value))
		return usage_error(
			st,
			"--job-id '%s': use 1-%d characters of A-Z a-z 0-9 . _ - (not starting with '-', not '.' or '..')",
			quoted(value, q), OPTIONS_JOB_ID_MAX);
	st->opts->job_id = value;
	return 0;
}

static int apply_option(struct parse_state *st, int id, const char *name, const char *value)
{
	struct options *opts = st->opts;
	unsigned int bit = 1U << (id - OPT_JOB_ID);

	if (st->seen & bit)
		return usage_error(st, "--%s given more than once", name);
	st->seen |= bit;
	switch (id) {
	case OPT_JOB_ID:
		return set_job_id(st, value);
	case OPT_OUT:
		return set_path(st, name, value, &opts->out_path);
	case OPT_PID_FILE:
		return set_path(st, name, value, &opts->pid_file);
	case OPT_HASH_CACHE:
		return set_path(st, name, value, &opts->hash_cache);
	case OPT_FLUSH_INTERVAL:
		return set_flush_interval(st, value);
	case OPT_RING_BUFFER_KB:
		return set_ring_buffer_kb(st, value);
	case OPT_FORCE:
		opts->force = true;
		return 0;
	case OPT_HELP:
		opts->help = true;
		return 0;
	case OPT_VERSION:
		opts->version = true;
		return 0;
	}
	return usage_error(st, "--%s is not handled", name);
}

/* getopt said '?' or ':'; say which and why in the user's terms. */
static int getopt_error(struct parse_state *st, int c, const char *arg)
{
	const struct option *o = option_spelled(arg);
	char q[QUOTED_MAX + 4];

	if (o && c == ':')
		return usage_error(st, "--%s needs a value", o->name);
	if (o && o->has_arg == no_argument && strchr(arg, '='))
		return usage_error(st, "--%s does not take a value", o->name);
	return usage_error(st, "unknown option '%s'", option_text(arg, q));
}

static void options_set_defaults(struct options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->flush_interval_ms = OPTIONS_FLUSH_MS_DEFAULT;
	opts->ringbuf_kb = OPTIONS_RINGBUF_KB_DEFAULT;
}

/* After the options: "-- COMMAND..." or nothing. */
static int parse_command(struct parse_state *st, int argc, char **argv, int stop)
{
	char q[QUOTED_MAX + 4];

	if (optind == stop + 1 && stop < argc && !strcmp(argv[stop], "--")) {
		if (optind >= argc)
			return usage_error(st, "-- needs a command");
		if (!argv[optind][0])
			return usage_error(st, "-- needs a command, not an empty string");
		st->opts->command = argv + optind;
		return 0;
	}
	if (optind < argc)
		return usage_error(st, "unexpected argument '%s' (put the command after --)",
				   quoted(argv[optind], q));
	return 0;
}

static int check_required(struct parse_state *st)
{
	if (!st->opts->job_id)
		return usage_error(st, "--job-id is required");
	if (!st->opts->out_path)
		return usage_error(st, "--out is required");
	return 0;
}

int options_parse(int argc, char **argv, struct options *opts, char *err, size_t errlen)
{
	struct parse_state st = { .opts = opts, .err = err, .errlen = errlen };
	int c, option_index, cur, ret;

	options_set_defaults(opts);
	if (err && errlen)
		err[0] = '\0';
	if (argc < 1 || !argv)
		return usage_error(&st, "no arguments");

	/* Re-initialise getopt, so that a second call (tests) starts from argv[1]. */
	optind = 0;
	opterr = 0;
	for (;;) {
		/*
		 * Long options only, so each option is one whole element (or two, with its
		 * value) and argv[cur] is the element getopt is about to look at.
		 */
		cur = optind ? optind : 1;
		option_index = -1;
		/* '+': stop at the first non-option, the command's own options are not ours. */
		c = getopt_long(argc, argv, "+:", long_options, &option_index);
		if (c == -1)
			break;
		if (c == '?' || c == ':')
			return getopt_error(&st, c, argv[cur]);
		/* getopt takes unambiguous prefixes; a later option could make them ambiguous. */
		if (option_spelled(argv[cur]) != &long_options[option_index])
			return getopt_error(&st, '?', argv[cur]);
		ret = apply_option(&st, c, long_options[option_index].name, optarg);
		if (ret)
			return ret;
		if (opts->help || opts->version)
			return 0;
	}
	ret = parse_command(&st, argc, argv, cur);
	if (ret)
		return ret;
	return check_required(&st);
}

void options_print_usage(FILE *f)
{
	fprintf(f,
		"Usage: tracerd --job-id ID --out PATH [options] [-- COMMAND [ARG...]]\n"
		"       tracerd show|summary|diff|check [options] TRACE...\n"
		"\n"
		"Trace what a CI job does (processes, connections, DNS lookups, files opened and\n"
		"written) into a gzip-compressed JSON Lines file.\n"
		"\n"
		"Options:\n"
		"  --job-id ID          job id written on every line (required): 1-%d of\n"
		"                       A-Z a-z 0-9 . _ -, not starting with '-', not . or ..\n"
		"  --out PATH           the gzip JSONL file to write (required); '-' writes\n"
		"                       plain JSONL to stdout\n"
		"  --pid-file PATH      write tracerd's pid here once tracing is live\n"
		"  --hash-cache PATH    keep executables' hashes here from one run to the\n"
		"                       next (a runner's jobs share its toolchain)\n"
		"  --flush-interval MS  make buffered events readable in the file this often\n"
		"                       (%d-%d, default %d)\n"
		"  --ring-buffer-kb N   kernel ring buffer size in KiB, a power of two\n"
		"                       (%d-%d, default %d)\n"
		"  --force              replace an existing output file (a symlink is never\n"
		"                       followed)\n"
		"  --help               print this help and exit\n"
		"  --version            print the version and exit\n"
		"  -- COMMAND [ARG...]  run COMMAND once tracing is live, trace only its\n"
		"                       process tree, and exit with its status when it ends\n"
		"\n"
		"Without a command, the whole machine is traced until SIGTERM, SIGINT, SIGHUP\n"
		"or SIGQUIT. Exit status: 0 success, 1 runtime failure, 2 bad usage; with a\n"
		"command, the command's status (128+N if signal N killed it).\n"
		"\n"
		"Reading traces (.jsonl.gz, .jsonl or -): show (one line per event, the process\n"
		"tree), summary (what ran, connected, read), diff (new since the baselines),\n"
		"check (supply-chain detections; exit 1 on a finding). tracerd COMMAND --help.\n",
		OPTIONS_JOB_ID_MAX, OPTIONS_FLUSH_MS_MIN, OPTIONS_FLUSH_MS_MAX,
		OPTIONS_FLUSH_MS_DEFAULT, OPTIONS_RINGBUF_KB_MIN, OPTIONS_RINGBUF_KB_MAX,
		OPTIONS_RINGBUF_KB_DEFAULT);
}
