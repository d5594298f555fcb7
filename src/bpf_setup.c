// SPDX-License-Identifier: GPL-2.0-only
#include "bpf_setup.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bpf_loop_probe.h"
#include "io_uring_probe.h"
#include "preflight.h"
#include "tracerd.skel.h"
#include "tracerd_noloop.skel.h"
#include "tracerd_event.h"

/* The effective capabilities, from /proc/self/status (no libcap needed). */
static uint64_t capabilities_effective(void)
{
	unsigned long long caps = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	}
	fclose(f);
	return caps;
}

/* Lockdown's mode, when securityfs is mounted and the lockdown LSM is built in. */
static enum lockdown_mode lockdown_read(void)
{
	char text[128];
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");
	size_t n;

	if (!f)
		return LOCKDOWN_UNKNOWN;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return preflight_parse_lockdown(text);
}

static void preflight_facts_read(struct preflight_facts *f)
{
	struct utsname uts;

	f->caps_effective = capabilities_effective();
	f->has_btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	f->has_ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
	f->lockdown = lockdown_read();
	snprintf(f->release, sizeof(f->release), "%s", uname(&uts) == 0 ? uts.release : "?");
}

int bpf_setup_preflight(char *why, size_t len)
{
	struct preflight_facts facts;

	preflight_facts_read(&facts);
	return preflight_check(&facts, why, len);
}

/* libbpf's own messages: warnings only, and only those that explain a failure. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level > LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * The skeleton, opened on the object built for this kernel: both objects come from one
 * source (bpf/compat.bpf.h, BOUNDED_LOOP), so they have the same maps, programs and
 * variables, and the skeleton binds them by name (opening fails on any name missing).
 */
_Static_assert(sizeof(struct tracerd_bpf) == sizeof(struct tracerd_noloop_bpf) &&
		       sizeof(struct tracerd_bpf__rodata) ==
			       sizeof(struct tracerd_noloop_bpf__rodata),
	       "the objects with and without bpf_loop() differ");

static struct tracerd_bpf *tracerd_open(bool bpf_loop)
{
	struct tracerd_bpf *skel = calloc(1, sizeof(*skel));
	struct bpf_object_skeleton *s;
	int err;

	if (!skel)
		return NULL;
	err = tracerd_bpf__create_skeleton(skel);
	if (err)
		goto fail;
	s = skel->skeleton;
	if (!bpf_loop)
		s->data = tracerd_noloop_bpf__elf_bytes(&s->data_sz);
	err = bpf_object__open_skeleton(s, NULL);
	if (err)
		goto fail;
	return skel;
fail:
	tracerd_bpf__destroy(skel);
	errno = -err;
	return NULL;
}

int bpf_setup_load(const struct bpf_setup_params *p, struct tracerd_bpf **ret_skel,
		   const char **ret_why)
{
	struct tracerd_bpf *skel;
	int ncpus = libbpf_num_possible_cpus();
	enum io_uring_submit_tp submit_tp;
	struct btf *btf;
	int err;

	libbpf_set_print(libbpf_print);
	if (ncpus <= 0) {
		*ret_why = "cannot count the CPUs";
		return -EINVAL;
	}
	btf = btf__load_vmlinux_btf();
	skel = tracerd_open(bpf_loop_available(btf));
	if (!skel) {
		btf__free(btf);
		*ret_why = "cannot open the BPF object";
		return -errno;
	}
	skel->rodata->self_tgid = p->self_tgid;
	skel->rodata->hasher_tgid = p->hasher_tgid;
	skel->rodata->filter_traced = p->filter_traced;
	skel->rodata->wakeup_bytes = p->ringbuf_bytes / TRACERD_WAKEUP_FRACTION;
	bpf_map__set_max_entries(skel->maps.events, p->ringbuf_bytes);
	/* Hash maps are preallocated and locked: the scope map only when there is a scope. */
	if (!p->filter_traced)
		bpf_map__set_max_entries(skel->maps.traced, 1);
	bpf_map__set_max_entries(skel->maps.record_scratch, ncpus);
	bpf_map__set_max_entries(skel->maps.path_scratch, ncpus);
	/* io_uring_setup() is seen everywhere; its requests only where a tracepoint allows. */
	submit_tp = io_uring_submit_tracepoint(btf);
	btf__free(btf);
	skel->rodata->io_uring_ops_traced = submit_tp != IO_URING_SUBMIT_NONE;
	skel->rodata->path_reuse_io_uring_seen = submit_tp != IO_URING_SUBMIT_NONE;
	bpf_program__set_autoload(skel->progs.tracerd_io_uring_submit,
				  submit_tp == IO_URING_SUBMIT_REQ);
	bpf_program__set_autoload(skel->progs.tracerd_io_uring_submit_sqe,
				  submit_tp == IO_URING_SUBMIT_SQE);
	bpf_program__set_autoload(skel->progs.tracerd_io_uring_complete,
				  submit_tp != IO_URING_SUBMIT_NONE);
	err = tracerd_bpf__load(skel);
	if (err) {
		*ret_why = "the kernel refused the BPF programs (see the verifier log above)";
		goto fail;
	}
	err = tracerd_bpf__attach(skel);
	if (err) {
		*ret_why = "cannot attach to the kernel tracepoints";
		goto fail;
	}
	*ret_skel = skel;
	return 0;
fail:
	tracerd_bpf__destroy(skel);
	return err < 0 ? err : -EINVAL;
}

int bpf_setup_trace_pid(struct tracerd_bpf *skel, uint32_t pid)
{
	__u8 one = 1;

	if (bpf_map__update_elem(skel->maps.traced, &pid, sizeof(pid), &one, sizeof(one), BPF_ANY) <
	    0)
		return -errno;
	return 0;
}

int bpf_setup_watch_output(struct tracerd_bpf *skel, int fd)
{
	struct output_id id = { 0 };
	struct stat st;
	__u32 zero = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0; /* stdout: a pipe or a terminal, not a file to guard */
	id.ino = st.st_ino;
	/* The kernel's dev_t packs major:minor as 12:20 bits, glibc's differently. */
	id.dev = major(st.st_dev) << 20 | minor(st.st_dev);
	if (bpf_map__update_elem(skel->maps.output_file, &zero, sizeof(zero), &id, sizeof(id),
				 BPF_ANY) < 0)
		return -errno;
	return 0;
}

struct ring_buffer *bpf_setup_ring_buffer_new(struct tracerd_bpf *skel,
					      int (*fn)(void *ctx, void *data, size_t size),
					      void *ctx)
{
	return ring_buffer__new(bpf_map__fd(skel->maps.events), fn, ctx, NULL);
}

int bpf_setup_take_write_totals(void *skel, const struct write_key *key,
				struct write_totals *totals)
{
	struct bpf_map *map = ((struct tracerd_bpf *)skel)->maps.write_totals;

	if (bpf_map__lookup_elem(map, key, sizeof(*key), totals, sizeof(*totals), 0) < 0)
		return -errno;
	bpf_map__delete_elem(map, key, sizeof(*key), 0);
	return 0;
}

int bpf_setup_read_lost(struct tracerd_bpf *skel, uint64_t *lost)
{
	int ncpus = libbpf_num_possible_cpus();
	struct rec_lost *values = calloc(ncpus, sizeof(*values));

	if (!values)
		return -ENOMEM;
	for (uint32_t type = 0; type < REC_TYPE_MAX; type++) {
		lost[type] = 0;
		if (bpf_map__lookup_elem(skel->maps.lost, &type, sizeof(type), values,
					 sizeof(*values) * ncpus, 0) < 0)
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++) {
			for (int cause = 0; cause < REC_LOST_CAUSES; cause++)
				lost[type] += values[cpu].cause[cause];
		}
	}
	free(values);
	return 0;
}

void bpf_setup_destroy(struct tracerd_bpf *skel)
{
	tracerd_bpf__destroy(skel);
}
