/* Debounce timing: quiet time after the last event, capped by max-delay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "source/debounce.h"

static void
test_idle(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, 100, 1000);
	assert_false(d.pending);
	assert_int_equal(debounce_timeout(&d, 0), -1);
	assert_int_equal(debounce_timeout(&d, 123456), -1);
	debounce_fire(&d); /* harmless when nothing is pending */
	assert_int_equal(debounce_timeout(&d, 0), -1);
}

static void
test_single_event(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, 100, 1000);
	debounce_event(&d, 5000);
	assert_true(d.pending);
	assert_int_equal(debounce_timeout(&d, 5000), 100);
	assert_int_equal(debounce_timeout(&d, 5040), 60);
	assert_int_equal(debounce_timeout(&d, 5100), 0);
	assert_int_equal(debounce_timeout(&d, 9999), 0); /* late: run now */
	debounce_fire(&d);
	assert_false(d.pending);
	assert_int_equal(debounce_timeout(&d, 9999), -1);
}

static void
test_events_extend_quiet_time(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, 100, 1000);
	debounce_event(&d, 0);
	debounce_event(&d, 50);
	assert_int_equal(debounce_timeout(&d, 50), 100);
	debounce_event(&d, 120);
	assert_int_equal(debounce_timeout(&d, 130), 90);
	assert_int_equal(debounce_timeout(&d, 220), 0);
}

static void
test_max_delay_caps(void **state)
{
	struct debounce d;
	int64_t t;

	(void)state;
	debounce_init(&d, 100, 1000);
	/* An event every 50 ms forever: the rebuild still runs at 1 s. */
	for (t = 0; t < 1000; t += 50) {
		debounce_event(&d, t);
		assert_true(debounce_timeout(&d, t) > 0);
		assert_true(debounce_timeout(&d, t) <= 100);
	}
	debounce_event(&d, 950);
	assert_int_equal(debounce_timeout(&d, 950), 50);
	assert_int_equal(debounce_timeout(&d, 1000), 0);

	/* After the rebuild, the next burst gets its own max-delay window. */
	debounce_fire(&d);
	debounce_event(&d, 1010);
	assert_int_equal(debounce_timeout(&d, 1010), 100);
	assert_int_equal(d.first_ms, 1010);
}

static void
test_max_delay_below_debounce(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, 500, 200);
	debounce_event(&d, 0);
	assert_int_equal(debounce_timeout(&d, 0), 200);
	assert_int_equal(debounce_timeout(&d, 150), 50);
}

static void
test_zero_debounce(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, 0, 1000);
	debounce_event(&d, 42);
	assert_int_equal(debounce_timeout(&d, 42), 0);

	debounce_init(&d, -5, 1000); /* negative behaves as zero */
	debounce_event(&d, 42);
	assert_int_equal(debounce_timeout(&d, 42), 0);

	debounce_init(&d, 100, 0); /* zero max-delay: at once */
	debounce_event(&d, 42);
	assert_int_equal(debounce_timeout(&d, 42), 0);
}

static void
test_no_max_delay(void **state)
{
	struct debounce d;
	int64_t t;

	(void)state;
	debounce_init(&d, 100, -1);
	for (t = 0; t < 100000; t += 50)
		debounce_event(&d, t);
	assert_int_equal(debounce_timeout(&d, t - 50), 100);
	assert_int_equal(debounce_timeout(&d, t + 50), 0);
}

static void
test_clock_step_back(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, 100, 1000);
	debounce_event(&d, 1000);
	debounce_event(&d, 900); /* must not move the deadline */
	assert_int_equal(d.last_ms, 1000);
	assert_int_equal(debounce_timeout(&d, 1000), 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_single_event),
		cmocka_unit_test(test_events_extend_quiet_time),
		cmocka_unit_test(test_max_delay_caps),
		cmocka_unit_test(test_max_delay_below_debounce),
		cmocka_unit_test(test_zero_debounce),
		cmocka_unit_test(test_no_max_delay),
		cmocka_unit_test(test_clock_step_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
