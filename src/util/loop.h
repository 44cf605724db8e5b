/* One event loop: epoll over file descriptors, each with a callback, and
 * timers (timerfds) that are file descriptors like any other. `serve`
 * runs one on its main thread; a source runs its own and hands the
 * loop's fd to the caller's loop (an epoll fd is pollable), so nesting is
 * one registration. Not thread-safe: a loop belongs to one thread. */
#ifndef CAIRN_UTIL_LOOP_H
#define CAIRN_UTIL_LOOP_H

#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fn)(void *arg);

/* NULL with errno set when the kernel refuses an epoll instance. */
struct loop *loop_new(void);
/* Frees the loop and its timers; registered fds stay open (the caller's). */
void loop_free(struct loop *l);
/* The epoll fd, readable while an event is pending: for another loop. */
int loop_fd(const struct loop *l);

/* Calls fn(arg) whenever fd is readable (level-triggered: fn must drain
 * it or it is called again). -1 with errno for fd < 0 or an epoll error. */
int loop_add_fd(struct loop *l, int fd, loop_fn fn, void *arg);
/* Safe from a callback, including for an fd whose event is pending in the
 * same round (its callback is then not called). */
void loop_remove_fd(struct loop *l, int fd);

/* A disarmed timer calling fn(arg) when it fires; NULL with errno. */
struct loop_timer *loop_timer_add(struct loop *l, loop_fn fn, void *arg);
/* Fires once after ms milliseconds (0: at the next round); ms < 0
 * disarms. Re-arming replaces the previous deadline. */
void loop_timer_arm(struct loop_timer *t, int64_t ms);
/* Fires every us microseconds from now on. */
void loop_timer_every_us(struct loop_timer *t, uint64_t us);

/* Waits up to timeout_ms (-1: forever) for events and calls their
 * callbacks. Returns how many were called, 0 on timeout or EINTR, -1
 * with errno on an epoll error. */
int loop_run_once(struct loop *l, int timeout_ms);

#endif
