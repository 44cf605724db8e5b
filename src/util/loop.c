/* The event loop (loop.h). Registrations live in a small array looked up
 * by fd when an event arrives, so a callback may remove any fd (its own,
 * or one whose event waits later in the same batch) without a dangling
 * pointer in epoll's data. */
#include "util/loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

#define LOOP_BATCH 16

struct loop_entry {
	int fd;
	loop_fn fn;
	void *arg;
};

struct loop_timer {
	struct loop *loop;
	int fd;
	loop_fn fn;
	void *arg;
};

struct loop {
	int epfd;
	struct loop_entry *entries;
	size_t n, cap;
	struct loop_timer **timers;
	size_t ntimers, captimers;
};

struct loop *
loop_new(void)
{
	struct loop *l;
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0)
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->epfd = epfd;
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->ntimers; i++) {
		close(l->timers[i]->fd);
		free(l->timers[i]);
	}
	free(l->timers);
	free(l->entries);
	close(l->epfd);
	free(l);
}

int
loop_fd(const struct loop *l)
{
	return l->epfd;
}

static struct loop_entry *
entry_find(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->entries[i].fd == fd)
			return &l->entries[i];
	return NULL;
}

int
loop_add_fd(struct loop *l, int fd, loop_fn fn, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	ARRAY_PUSH(l->entries, l->n, l->cap,
	    ((struct loop_entry){ .fd = fd, .fn = fn, .arg = arg }));
	return 0;
}

void
loop_remove_fd(struct loop *l, int fd)
{
	struct loop_entry *e = entry_find(l, fd);

	if (e == NULL)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*e = l->entries[--l->n];
}

/* A timerfd is readable until read: take the expirations, then call. */
static void
timer_fired(void *arg)
{
	struct loop_timer *t = arg;
	uint64_t expirations;

	if (read(t->fd, &expirations, sizeof expirations) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warning("timerfd: %s", strerror(errno));
		return; /* re-armed or disarmed since the event was queued */
	}
	t->fn(t->arg);
}

struct loop_timer *
loop_timer_add(struct loop *l, loop_fn fn, void *arg)
{
	struct loop_timer *t;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return NULL;
	t = xcalloc(1, sizeof *t);
	*t = (struct loop_timer){ .loop = l, .fd = fd, .fn = fn, .arg = arg };
	if (loop_add_fd(l, fd, timer_fired, t) < 0) {
		int saved = errno;

		close(fd);
		free(t);
		errno = saved;
		return NULL;
	}
	ARRAY_PUSH(l->timers, l->ntimers, l->captimers, t);
	return t;
}

void
loop_timer_arm(struct loop_timer *t, int64_t ms)
{
	struct itimerspec its = { 0 };

	if (ms >= 0) {
		/* An all-zero value would disarm it: 1 ns means "now". */
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000 + (ms == 0);
	}
	timerfd_settime(t->fd, 0, &its, NULL);
}

void
loop_timer_every_us(struct loop_timer *t, uint64_t us)
{
	struct itimerspec its = { 0 };

	if (us == 0)
		us = 1;
	its.it_interval.tv_sec = (time_t)(us / 1000000);
	its.it_interval.tv_nsec = (long)(us % 1000000) * 1000;
	its.it_value = its.it_interval;
	timerfd_settime(t->fd, 0, &its, NULL);
}

int
loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	int n = epoll_wait(l->epfd, evs, LOOP_BATCH, timeout_ms);
	int called = 0;

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		/* Looked up now: an earlier callback may have removed it. */
		struct loop_entry *e = entry_find(l, evs[i].data.fd);

		if (e == NULL)
			continue;
		e->fn(e->arg);
		called++;
	}
	return called;
}
