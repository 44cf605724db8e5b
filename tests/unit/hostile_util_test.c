/* Hostile values for the small parsers of src/util/: every input is an
 * answer or an error, never undefined behaviour (these ran under UBSan in
 * the fuzzers, which found the duration overflow below). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/duration.h"

static void
assert_too_large(const char *s)
{
	const char *why = NULL;
	int64_t v = 0;

	if (duration_parse_ns(s, &v, &why) == 0)
		fail_msg("\"%s\" parsed as %lld ns", s, (long long)v);
	assert_string_equal(why, "duration is too large");
}

/* Found by the config fuzzer: the fraction of a large unit overflowed
 * (frac * ns) before it was divided. */
static void
test_duration_fraction_overflow(void **state)
{
	const char *why = NULL;
	int64_t v;

	assert_int_equal(duration_parse_ns("9.233720368h", &v, &why), 0);
	assert_int_equal(v, 9 * 3600000000000LL + 233720368LL * 3600);
	assert_int_equal(duration_parse_ns("0.999999999h", &v, &why), 0);
	assert_int_equal(v, 3599999996400LL);
	assert_int_equal(duration_parse_ms("1.5h", &v, &why), 0);
	assert_int_equal(v, 5400000);
	assert_int_equal(duration_parse_ms(".5s", &v, &why), 0);
	assert_int_equal(v, 500);
	assert_int_equal(duration_parse_ms("1.s", &v, &why), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(duration_parse_ms("1.5h", &v, &why), 0);
	assert_int_equal(v, 5400000);
	assert_int_equal(duration_parse_ns("2562047h47m16.854775807s", &v, &why), 0);
	assert_int_equal(v, INT64_MAX);
}

/* Past INT64_MAX nanoseconds, in every way of getting there. */
static void
test_duration_too_large(void **state)
{
	assert_too_large("2562048h");
	assert_too_large("2562047h47m16.854775808s");
	assert_too_large("2562047.9999h");
	assert_too_large("9223372036854775807ms");
	assert_too_large("99999999999999999999s");
	assert_too_large("1h2562047h");
	assert_too_large("9223372036854775807ns1ns");
}

static void
test_duration_garbage(void **state)
{
	static const char *const bad[] = { "", "-1s", "1", "1.5", "s", "1x",
	    "1s ", " 1s", "1e3s", "0x10s", "1h-1m", "\xff", ".s", ".", "1s.m" };
	const char *why;
	int64_t v;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		if (duration_parse_ns(bad[i], &v, &why) == 0)
			fail_msg("\"%s\" accepted as %lld ns", bad[i], (long long)v);
		assert_non_null(why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_fraction_overflow),
		cmocka_unit_test(test_duration_too_large),
		cmocka_unit_test(test_duration_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
