/* The event loop: fd callbacks, removal from a callback, one-shot and
 * periodic timers, and a loop nested in another by its fd. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/loop.h"

struct counter {
	int fd; /* an eventfd to drain, or -1 */
	int calls;
	struct loop *loop; /* set: remove other_fd when called */
	int other_fd;
};

static void
on_event(void *arg)
{
	struct counter *c = arg;
	uint64_t v;

	c->calls++;
	if (c->fd >= 0)
		assert_int_equal(read(c->fd, &v, sizeof v), (ssize_t)sizeof v);
	if (c->loop != NULL)
		loop_remove_fd(c->loop, c->other_fd);
}

static void
poke(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof one), (ssize_t)sizeof one);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_fd_callbacks(void **state)
{
	struct loop *l = loop_new();
	int a = eventfd(0, EFD_NONBLOCK), b = eventfd(0, EFD_NONBLOCK);
	struct counter ca = { .fd = a }, cb = { .fd = b };

	(void)state;
	assert_non_null(l);
	assert_int_equal(loop_add_fd(l, a, on_event, &ca), 0);
	assert_int_equal(loop_add_fd(l, b, on_event, &cb), 0);
	assert_int_equal(loop_add_fd(l, -1, on_event, &cb), -1);
	assert_int_equal(loop_run_once(l, 0), 0); /* nothing pending */
	poke(a);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(ca.calls, 1);
	assert_int_equal(cb.calls, 0);

	/* a's callback removes b although b's event waits in the same round. */
	ca.loop = l;
	ca.other_fd = b;
	poke(a);
	poke(b);
	loop_run_once(l, 1000);
	assert_int_equal(ca.calls, 2);
	/* Whether b ran first depends on epoll's order; after a, never. */
	assert_true(cb.calls <= 1);
	{
		int before = cb.calls;

		poke(b);
		assert_int_equal(loop_run_once(l, 0), 0);
		assert_int_equal(cb.calls, before);
	}
	loop_remove_fd(l, a);
	loop_remove_fd(l, a); /* twice is harmless */
	poke(a);
	assert_int_equal(loop_run_once(l, 0), 0);
	loop_free(l);
	close(a);
	close(b);
}

static void
test_timers(void **state)
{
	struct loop *l = loop_new();
	struct counter once = { .fd = -1 }, every = { .fd = -1 };
	struct loop_timer *t1 = loop_timer_add(l, on_event, &once);
	struct loop_timer *t2 = loop_timer_add(l, on_event, &every);
	int64_t start = now_ms();

	(void)state;
	assert_non_null(t1);
	assert_non_null(t2);
	assert_int_equal(loop_run_once(l, 50), 0); /* disarmed */
	loop_timer_arm(t1, 30);
	while (once.calls == 0 && now_ms() - start < 2000)
		loop_run_once(l, 2000);
	assert_int_equal(once.calls, 1);
	assert_true(now_ms() - start >= 29);
	assert_int_equal(loop_run_once(l, 60), 0); /* one shot only */

	/* 0 fires at the next round; re-arming replaces; < 0 disarms. */
	loop_timer_arm(t1, 0);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(once.calls, 2);
	loop_timer_arm(t1, 20);
	loop_timer_arm(t1, -1);
	assert_int_equal(loop_run_once(l, 60), 0);

	loop_timer_every_us(t2, 10 * 1000);
	start = now_ms();
	while (every.calls < 3 && now_ms() - start < 2000)
		loop_run_once(l, 1000);
	assert_true(every.calls >= 3);
	loop_free(l);
}

static void
test_nested(void **state)
{
	struct loop *outer = loop_new(), *inner = loop_new();
	int e = eventfd(0, EFD_NONBLOCK);
	struct counter ce = { .fd = e }, cinner = { .fd = -1 };

	(void)state;
	assert_int_equal(loop_add_fd(inner, e, on_event, &ce), 0);
	/* The inner loop's fd in the outer loop: its callback runs the
	 * inner loop without waiting. */
	assert_int_equal(loop_add_fd(outer, loop_fd(inner), on_event,
	    &cinner), 0);
	assert_int_equal(loop_run_once(outer, 0), 0);
	poke(e);
	assert_int_equal(loop_run_once(outer, 1000), 1);
	assert_int_equal(cinner.calls, 1);
	assert_int_equal(loop_run_once(inner, 0), 1);
	assert_int_equal(ce.calls, 1);
	assert_int_equal(loop_run_once(outer, 0), 0); /* drained */
	loop_free(outer);
	loop_free(inner);
	close(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_callbacks),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
