// SPDX-License-Identifier: GPL-2.0-only
/*
 * Least privilege for the event loop. Once the BPF programs are attached, the output and
 * the cgroup2 mount are open and the command is running, the loop only reads the ring
 * buffer (mapped memory) and two maps through fds it holds, writes the file, looks cgroup
 * ids up, reaps its child and at exit removes the pid file. Root's powers would only help
 * someone who took over the loop, so they go. What remains, and why:
 *
 * Capabilities (effective = permitted; inheritable, ambient and the bounding set emptied
 * of everything else; what was never held is not asked for):
 *   CAP_DAC_READ_SEARCH  open_by_handle_at() in cgroup.c turns the cgroup id of a process
 *                        not seen exec'ing into its path (container_id); the kernel asks
 *                        for it whatever the file's mode. Kept only when a cgroup2 fd is
 *                        open, and seccomp lets the call use that fd only: handles of any
 *                        other file system would read any file ("shocker").
 *   CAP_KILL             -- COMMAND mode only: SIGTERM, SIGINT, SIGHUP and SIGQUIT are
 *                        passed on to the command, which may have changed uid (runuser,
 *                        su, sudo -u, setpriv) and then no longer matches tracerd's uid 0.
 *   CAP_BPF              only where the kernel checks it on every bpf() command (before
 *                        Linux 6.5, with kernel.unprivileged_bpf_disabled set): probed,
 *                        not guessed. Since 6.5 map lookups and deletes through an fd
 *                        already held need none (verified on 6.18: none kept).
 * The uid stays 0, deliberately: an unprivileged job cannot signal, ptrace or read the
 * memory of a uid 0 process, and the pid file is removed from a directory root owns. As
 * owner, uid 0 can still unlink files in root-owned directories: unlink is allowed for
 * the pid file, with any path (seccomp cannot read the path). The bounding set is left
 * as the service manager cut it when CAP_SETPCAP is gone: with no_new_privs and no
 * execve allowed, it could not give anything back.
 *
 * no_new_privs, then a seccomp allow-list (below) of what the loop, daemon_finish() and
 * daemon_cleanup() call, measured with strace -f over the whole e2e suite. Anything else
 * fails with EPERM rather than killing tracerd (a syscall forgotten here costs a feature,
 * never the trace) and is logged by the kernel's audit (SECCOMP_FILTER_FLAG_LOG: "type=1326
 * ... syscall=N"). Absent, among others: open/openat (nothing is opened by path after
 * go-live), execve, fork/clone, socket, connect, ptrace, mount, setuid, capset. bpf() is
 * allowed for BPF_MAP_LOOKUP_ELEM and BPF_MAP_DELETE_ELEM only, kill() only in -- mode.
 */
#include "privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Capabilities as two 32-bit words, as capset(2) takes them (_LINUX_CAPABILITY_VERSION_3). */
struct cap_set {
	uint32_t word[2];
};

static void cap_set_add(struct cap_set *s, int cap)
{
	s->word[cap / 32] |= 1u << (cap % 32);
}

static bool cap_set_has(const struct cap_set *s, int cap)
{
	return s->word[cap / 32] & (1u << (cap % 32));
}

static int capabilities_set(const struct cap_set *effective, const struct cap_set *permitted)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	for (int i = 0; i < 2; i++) {
		data[i].effective = effective->word[i];
		data[i].permitted = permitted->word[i];
	}
	return syscall(SYS_capset, &header, data) < 0 ? -errno : 0;
}

static int capabilities_get(struct cap_set *permitted)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &header, data) < 0)
		return -errno;
	for (int i = 0; i < 2; i++)
		permitted->word[i] = data[i].permitted;
	return 0;
}

/*
 * Before Linux 6.5 every bpf() command, map lookups included, failed with EPERM without
 * CAP_BPF (or CAP_SYS_ADMIN) when kernel.unprivileged_bpf_disabled was set. Asked of the
 * kernel itself: a lookup on no map at all fails with EBADF where the fd is checked first,
 * EPERM where the capability is.
 */
static bool bpf_map_lookup_refused(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)-1;
	return syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)) < 0 && errno == EPERM;
}

/*
 * The bounding set first: dropping from it needs CAP_SETPCAP, about to go. Without it (a
 * bounding set already cut by the service manager) it stays as it is: with no_new_privs
 * and no execve allowed, it could not give anything back anyway.
 */
static int bounding_set_cut(const struct cap_set *keep)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (cap_set_has(keep, cap) || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno != EPERM)
			return -errno;
		break;
	}
	return 0;
}

/*
 * keep loses what was never held (systemd's CapabilityBoundingSet=, capsh: it cannot be
 * kept), the bounding set is cut to it and the ambient set cleared; the effective and
 * permitted sets are the caller's to set.
 */
static int capabilities_narrow(struct cap_set *keep, const struct cap_set *held)
{
	int err;

	for (int i = 0; i < 2; i++)
		keep->word[i] &= held->word[i];
	err = bounding_set_cut(keep);
	if (err)
		return err;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

static int capabilities_drop(int cgroup_fd, bool command)
{
	struct cap_set keep = { { 0 } }, held = { { 0 } };
	int err = capabilities_get(&held);

	if (err)
		return err;
	if (cgroup_fd >= 0)
		cap_set_add(&keep, CAP_DAC_READ_SEARCH);
	if (command)
		cap_set_add(&keep, CAP_KILL);
	err = capabilities_narrow(&keep, &held);
	if (err)
		return err;
	/* Only keep effective, everything held still permitted: does bpf() still work? */
	if (capabilities_set(&keep, &held) < 0 || bpf_map_lookup_refused()) {
		if (cap_set_has(&held, CAP_BPF))
			cap_set_add(&keep, CAP_BPF);
		else if (cap_set_has(&held, CAP_SYS_ADMIN))
			cap_set_add(&keep, CAP_SYS_ADMIN);
	}
	return capabilities_set(&keep, &keep);
}

#if defined(__x86_64__)
#define SECCOMP_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SECCOMP_AUDIT_ARCH
#if defined(__SANITIZE_ADDRESS__)
#define TRACERD_SANITIZERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRACERD_SANITIZERS 1
#endif
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LOW(n) (offsetof(struct seccomp_data, args[n]))
#else
#define ARG_LOW(n) (offsetof(struct seccomp_data, args[n]) + sizeof(uint32_t))
#endif

/*
 * What the loop, daemon_finish() and daemon_cleanup() call once tracing is live, as
 * strace -f showed over the whole e2e suite: epoll_wait, read (timerfd, signalfd), write
 * (gzip members), bpf, open_by_handle_at, readlink, close, wait4, fsync, unlink, brk, mmap,
 * munmap, exit_group; plus the paths a test run rarely takes: a failed write cut back
 * with ftruncate/lseek, malloc growing or trimming, clocks without the vDSO, a message to
 * stderr, an abort(). No mprotect: nothing here needs memory made executable.
 * Calls whose arguments matter (bpf, open_by_handle_at, kill) are added in
 * seccomp_install().
 */
static const int allowed_syscalls[] = {
	SYS_read,	   SYS_write,
	SYS_close,	   SYS_fsync,
	SYS_fdatasync,	   SYS_ftruncate,
	SYS_lseek,	   SYS_fstat,
	SYS_newfstatat,	   SYS_readlinkat,
	SYS_unlinkat,	   SYS_epoll_pwait,
	SYS_wait4,	   SYS_waitid,
	SYS_brk,	   SYS_mmap,
	SYS_munmap,	   SYS_mremap,
	SYS_madvise,	   SYS_rt_sigprocmask,
	SYS_rt_sigreturn,  SYS_restart_syscall,
	SYS_clock_gettime, SYS_clock_nanosleep,
	SYS_gettimeofday,  SYS_getpid,
	SYS_gettid,	   SYS_tgkill,
	SYS_rt_sigaction,  SYS_exit,
	SYS_exit_group,
#ifdef SYS_epoll_wait
	SYS_epoll_wait,
#endif
#ifdef SYS_epoll_pwait2
	SYS_epoll_pwait2,
#endif
#ifdef SYS_readlink
	SYS_readlink,
#endif
#ifdef SYS_unlink
	SYS_unlink,
#endif
#ifdef SYS_getrandom
	SYS_getrandom,
#endif
};

#ifdef TRACERD_SANITIZERS
/*
 * LeakSanitizer's check at exit stops the world from a cloned tracer thread that ptraces
 * tracerd and reads /proc/self; ASan maps shadow memory. Sanitizer builds only.
 */
static const int sanitizer_syscalls[] = {
	SYS_clone,	 SYS_ptrace, SYS_openat,   SYS_getdents64,	 SYS_prctl,
	SYS_sched_yield, SYS_futex,  SYS_mprotect, SYS_sigaltstack,	 SYS_getppid,
	SYS_pread64,	 SYS_readv,  SYS_writev,   SYS_process_vm_readv, SYS_getrlimit,
	SYS_prlimit64,	 SYS_dup,
#ifdef SYS_dup2
	SYS_dup2,
#endif
#ifdef SYS_getdents
	SYS_getdents,
#endif
#ifdef SYS_open
	SYS_open,
#endif
#ifdef SYS_clone3
	SYS_clone3,
#endif
};
#endif

/*
 * The hasher (src/hasher.c): reads requests from its socket and answers there, opens
 * /proc/PID/exe or a path, reads and stats the file, sleeps on its budget. Nothing else:
 * no exec, no fork, no socket, no ptrace, no writes to any file but the socket.
 */
static const int hasher_syscalls[] = {
	SYS_read,	  SYS_write,	       SYS_recvfrom,	  SYS_sendto,
	SYS_openat,	  SYS_close,	       SYS_fstat,	  SYS_newfstatat,
	SYS_lseek,	  SYS_ppoll,	       SYS_brk,		  SYS_mmap,
	SYS_munmap,	  SYS_mremap,	       SYS_madvise,	  SYS_rt_sigprocmask,
	SYS_rt_sigreturn, SYS_restart_syscall, SYS_clock_gettime, SYS_clock_nanosleep,
	SYS_gettimeofday, SYS_getpid,	       SYS_gettid,	  SYS_tgkill,
	SYS_exit,	  SYS_exit_group,
#ifdef SYS_poll
	SYS_poll,
#endif
#ifdef SYS_open
	SYS_open,
#endif
#ifdef SYS_statx
	SYS_statx,
#endif
#ifdef SYS_getrandom
	SYS_getrandom,
#endif
};

/* The map commands the loop uses: read the loss counters and the write totals, delete them. */
static const uint32_t allowed_bpf_commands[] = { BPF_MAP_LOOKUP_ELEM, BPF_MAP_DELETE_ELEM };

#define FILTER_MAX 256 /* instructions; the sanitizer build uses about 140 */

struct filter {
	struct sock_filter insn[FILTER_MAX];
	unsigned int len;
};

static void filter_add(struct filter *f, struct sock_filter insn)
{
	if (f->len < FILTER_MAX)
		f->insn[f->len] = insn;
	f->len++;
}

#define DENY (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

/* if (nr == syscall) allow; */
static void filter_allow(struct filter *f, uint32_t nr)
{
	filter_add(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

/* if (nr == syscall) { if ((u32)arg == value[i] for some i) allow; deny; } */
static void filter_allow_arg(struct filter *f, uint32_t nr, int arg, const uint32_t *values,
			     unsigned int count)
{
	filter_add(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, count + 3));
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(arg)));
	for (unsigned int i = 0; i < count; i++)
		filter_add(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, values[i],
							   count - i, 0));
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY));
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	/* Reload the number for the checks that follow (the jump-over lands here). */
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						   offsetof(struct seccomp_data, nr)));
}

/* Another architecture's numbers mean other calls: refuse them all. Loads the number. */
static void filter_begin(struct filter *f)
{
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						   offsetof(struct seccomp_data, arch)));
	filter_add(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_AUDIT_ARCH, 1,
						   0));
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY));
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						   offsetof(struct seccomp_data, nr)));
#ifdef __x86_64__
	/* x32 calls share the arch value, with bit 30 set in the number. */
	filter_add(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
	filter_add(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY));
#endif
}

static void filter_allow_list(struct filter *f, const int *nrs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		filter_allow(f, nrs[i]);
#ifdef TRACERD_SANITIZERS
	for (size_t i = 0; i < sizeof(sanitizer_syscalls) / sizeof(sanitizer_syscalls[0]); i++)
		filter_allow(f, sanitizer_syscalls[i]);
#endif
}

/* Everything else is refused; the filter goes in. */
static int filter_load(struct filter *f)
{
	struct sock_fprog prog;

	filter_add(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY));
	if (f->len > FILTER_MAX)
		return -E2BIG;
	prog.len = f->len;
	prog.filter = f->insn;
	/* FLAG_LOG: a call refused here leaves an audit line naming it (kernel log). */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, &prog) == 0)
		return 0;
	if (errno == EINVAL && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	return -errno;
}

static int seccomp_install(int cgroup_fd, bool command)
{
	struct filter f = { .len = 0 };

	filter_begin(&f);
	filter_allow_list(&f, allowed_syscalls,
			  sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]));
	filter_allow_arg(&f, SYS_bpf, 0, allowed_bpf_commands,
			 sizeof(allowed_bpf_commands) / sizeof(allowed_bpf_commands[0]));
	/* CAP_DAC_READ_SEARCH with handles of any other file system would read any file. */
	if (cgroup_fd >= 0)
		filter_allow_arg(&f, SYS_open_by_handle_at, 0, &(uint32_t){ cgroup_fd }, 1);
	if (command)
		filter_allow(&f, SYS_kill);
	return filter_load(&f);
}

static int seccomp_install_hasher(void)
{
	struct filter f = { .len = 0 };

	filter_begin(&f);
	filter_allow_list(&f, hasher_syscalls,
			  sizeof(hasher_syscalls) / sizeof(hasher_syscalls[0]));
	return filter_load(&f);
}
#endif /* SECCOMP_AUDIT_ARCH */

/*
 * The hasher keeps CAP_SYS_PTRACE (open /proc/PID/exe and /proc/PID/root of any process:
 * the kernel asks for ptrace read access) and CAP_DAC_READ_SEARCH (read an executable
 * whatever its mode, 0711 included), no more.
 */
int privileges_drop_hasher(void)
{
	struct cap_set keep = { { 0 } }, held = { { 0 } };
	int err;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	err = capabilities_get(&held);
	if (err)
		return err;
	cap_set_add(&keep, CAP_SYS_PTRACE);
	cap_set_add(&keep, CAP_DAC_READ_SEARCH);
	err = capabilities_narrow(&keep, &held);
	if (err)
		return err;
	err = capabilities_set(&keep, &keep);
	if (err)
		return err;
#ifdef SECCOMP_AUDIT_ARCH
	return seccomp_install_hasher();
#else
	return 0;
#endif
}

int privileges_drop(int cgroup_fd, bool command)
{
	int err;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	err = capabilities_drop(cgroup_fd, command);
	if (err)
		return err;
#ifdef SECCOMP_AUDIT_ARCH
	return seccomp_install(cgroup_fd, command);
#else
	return 0; /* an architecture this filter was not written for: capabilities only */
#endif
}
