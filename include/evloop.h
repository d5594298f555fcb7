/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The event loop tracerd and the benchmark's floor tracers share: one epoll set of a
 * signalfd (its signals blocked), a periodic timerfd and one data fd (the ring buffer's).
 * The kernel wakes the reader only past a fill threshold; the tick drains the rest.
 */
#ifndef TRACERD_EVLOOP_H
#define TRACERD_EVLOOP_H

#include <signal.h>

struct evloop {
	int epoll_fd;
	int signal_fd;
	int timer_fd;
	int extra_fd; /* evloop_add(): EVLOOP_EXTRA */
};

/* Before evloop_open(), so that evloop_close() is safe whatever happens. */
static inline void evloop_init(struct evloop *l)
{
	l->epoll_fd = l->signal_fd = l->timer_fd = l->extra_fd = -1;
}

/* What evloop_wait() found ready. */
enum evloop_ready {
	EVLOOP_SIGNAL = 1 << 0, /* read the signalfd: l->signal_fd */
	EVLOOP_TICK = 1 << 1, /* the timer expired (already acknowledged) */
	EVLOOP_DATA = 1 << 2, /* data_fd was woken (edge-triggered) */
	EVLOOP_EXTRA = 1 << 3, /* the fd of evloop_add() is readable (or closed) */
};

/*
 * Blocks the signals of mask (the previous mask into *orig_mask, unless NULL) and opens the
 * signalfd, a timer ticking every tick_ms (none when 0) and the epoll set watching them and
 * data_fd (none when < 0), edge-triggered: EVLOOP_DATA comes with each wakeup of data_fd,
 * not while data is pending, so the caller reads what is there each time. Returns 0 or
 * -errno; evloop_close() cleans up either way.
 */
int evloop_open(struct evloop *l, const sigset_t *mask, sigset_t *orig_mask, unsigned int tick_ms,
		int data_fd);

/* Watches one more fd (the caller's: not closed here). Returns 0 or -errno. */
int evloop_add(struct evloop *l, int fd);

/* Waits until something is ready: enum evloop_ready bits, or -errno. */
int evloop_wait(struct evloop *l);

void evloop_close(struct evloop *l);

#endif
