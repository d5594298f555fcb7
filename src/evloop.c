// SPDX-License-Identifier: GPL-2.0-only
#include "evloop.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define NSEC_PER_MSEC 1000000L
#define EVLOOP_EVENTS_MAX 4 /* the four fds */

static int evloop_watch(int epoll_fd, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int evloop_timer_open(struct evloop *l, unsigned int tick_ms)
{
	struct itimerspec tick = {
		.it_interval = { .tv_sec = tick_ms / 1000,
				 .tv_nsec = tick_ms % 1000 * NSEC_PER_MSEC },
	};

	tick.it_value = tick.it_interval;
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->timer_fd < 0 || timerfd_settime(l->timer_fd, 0, &tick, NULL) < 0)
		return -errno;
	return evloop_watch(l->epoll_fd, l->timer_fd, EPOLLIN);
}

int evloop_open(struct evloop *l, const sigset_t *mask, sigset_t *orig_mask, unsigned int tick_ms,
		int data_fd)
{
	int err;

	if (sigprocmask(SIG_BLOCK, mask, orig_mask) < 0)
		return -errno;
	l->signal_fd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
	l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (l->signal_fd < 0 || l->epoll_fd < 0)
		return -errno;
	err = evloop_watch(l->epoll_fd, l->signal_fd, EPOLLIN);
	if (!err && tick_ms)
		err = evloop_timer_open(l, tick_ms);
	/*
	 * Edge-triggered: ready when the kernel wakes us, not whenever a record is pending. A
	 * ring buffer polls readable as long as it holds one byte, so level-triggered the loop
	 * woke for every few records under load (113 a drain at 200k/s, 1,800 drains a second)
	 * and paid its per-drain costs that often; now a drain takes what a wakeup (the fill
	 * threshold) or the tick finds.
	 */
	if (!err && data_fd >= 0)
		err = evloop_watch(l->epoll_fd, data_fd, EPOLLIN | EPOLLET);
	return err;
}

int evloop_add(struct evloop *l, int fd)
{
	int err = evloop_watch(l->epoll_fd, fd, EPOLLIN);

	if (!err)
		l->extra_fd = fd;
	return err;
}

int evloop_wait(struct evloop *l)
{
	struct epoll_event ev[EVLOOP_EVENTS_MAX];
	uint64_t expirations;
	int n, ready = 0;

	do {
		n = epoll_wait(l->epoll_fd, ev, EVLOOP_EVENTS_MAX, -1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == l->signal_fd) {
			ready |= EVLOOP_SIGNAL;
		} else if (ev[i].data.fd == l->timer_fd) {
			/* A timer that cannot be read skips this tick, no more. */
			if (read(l->timer_fd, &expirations, sizeof(expirations)) >= 0 ||
			    errno == EAGAIN)
				ready |= EVLOOP_TICK;
		} else if (ev[i].data.fd == l->extra_fd) {
			ready |= EVLOOP_EXTRA;
		} else {
			ready |= EVLOOP_DATA;
		}
	}
	return ready;
}

void evloop_close(struct evloop *l)
{
	if (l->epoll_fd >= 0)
		close(l->epoll_fd);
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
	evloop_init(l);
}
