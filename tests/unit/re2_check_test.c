/* re2_check (src/util/re2_check.h): the regexes of issue #16 that Envoy's
 * RE2 refuses, the program size against the limit, and hostile input
 * (huge, deeply nested, exploding repetitions) that must come back as an
 * answer, never a crash or an abort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/re2_check.h"

/* The realistic path of issue #16 as cairn emits it (anchored): 107
 * instructions. */
#define ORDERS_RE "^/api/v[0-9]+/users/[^/]+/orders/[0-9a-f]{8}-[0-9a-f]{4}-" \
	"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.*"

static void
assert_invalid(const char *re, const char *why_part)
{
	char why[256];
	int size = -1;

	assert_int_equal(re2_check(re, 1000, &size, why, sizeof why),
	    RE2_CHECK_INVALID);
	assert_int_equal(size, 0);
	if (strstr(why, why_part) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", re, why, why_part);
}

/* Each one is accepted by PCRE-minded checkers and refused by RE2. */
static void
test_refused(void **state)
{
	(void)state;
	assert_invalid("/(a)\\1", "invalid escape sequence");
	assert_invalid("/x{1001}", "invalid repetition size");
	assert_invalid("/[[:foo:]]", "invalid character class range");
	assert_invalid("/\\p{Foo}", "invalid character class range");
	assert_invalid("/\\Z", "invalid escape sequence");
	assert_invalid("/a{2,1}", "invalid repetition size");
	assert_invalid("/(?<=a)b", "invalid perl operator");
	assert_invalid("/[z-a]", "invalid character class range");
	assert_invalid("/\\8", "invalid escape sequence");
	/* and the classic structural ones */
	assert_invalid("/(a", "missing )");
	assert_invalid("/a)", "unexpected )");
	assert_invalid("/[a", "missing ]");
	assert_invalid("*", "no argument for repetition operator");
	assert_invalid("/a**", "bad repetition operator");
	assert_invalid("/a\\", "trailing \\");
	assert_invalid("\xff", "invalid UTF-8");
}

static void
test_accepted(void **state)
{
	int size = 0;

	(void)state;
	assert_int_equal(re2_check("/api/(v1|v2)/.*", 1000, &size, NULL, 0),
	    RE2_CHECK_OK);
	assert_true(size > 0);
	/* Syntax RE2 has that the old hand-written checker refused or
	 * never looked at. */
	assert_int_equal(re2_check("/(?P<id>[0-9]+)", 1000, NULL, NULL, 0), RE2_CHECK_OK);
	assert_int_equal(re2_check("(?i)/Shop", 1000, NULL, NULL, 0), RE2_CHECK_OK);
	assert_int_equal(re2_check("/x{1000}", 0, NULL, NULL, 0), RE2_CHECK_OK);
	assert_int_equal(re2_check("/x{1000}", 1000, NULL, NULL, 0), RE2_CHECK_TOO_BIG);
	assert_int_equal(re2_check("/\\pL+", 0, NULL, NULL, 0), RE2_CHECK_OK);
	/* ... though a Unicode class alone is over Envoy's usual limit. */
	assert_int_equal(re2_check("/\\pL+", 1000, NULL, NULL, 0), RE2_CHECK_TOO_BIG);
	assert_int_equal(re2_check("", 1000, NULL, NULL, 0), RE2_CHECK_OK);
}

/* Envoy refuses a program larger than the limit, not one equal to it. */
static void
test_program_size(void **state)
{
	char why[256];
	int size = 0;

	(void)state;
	assert_int_equal(re2_check(ORDERS_RE, 1000, &size, why, sizeof why),
	    RE2_CHECK_OK);
	assert_int_equal(size, 107);
	assert_int_equal(re2_check(ORDERS_RE, 100, &size, why, sizeof why),
	    RE2_CHECK_TOO_BIG);
	assert_int_equal(size, 107);
	assert_non_null(strstr(why, "RE2 program size of 107 is over the limit of 100"));
	assert_int_equal(re2_check(ORDERS_RE, 107, &size, NULL, 0), RE2_CHECK_OK);
	assert_int_equal(re2_check(ORDERS_RE, 106, &size, NULL, 0), RE2_CHECK_TOO_BIG);
	/* 0: no limit */
	assert_int_equal(re2_check(ORDERS_RE, 0, &size, NULL, 0), RE2_CHECK_OK);
}

/* The reason is truncated to the buffer, always NUL-terminated. */
static void
test_why_truncated(void **state)
{
	char why[8];

	(void)state;
	memset(why, 'x', sizeof why);
	assert_int_equal(re2_check("/(a)\\1", 1000, NULL, why, sizeof why),
	    RE2_CHECK_INVALID);
	assert_int_equal(strlen(why), sizeof why - 1);
	memset(why, 'x', sizeof why);
	assert_int_equal(re2_check("/(a)\\1", 1000, NULL, why, 1), RE2_CHECK_INVALID);
	assert_int_equal(why[0], '\0');
	assert_int_equal(why[1], 'x');
	assert_int_equal(re2_check(NULL, 1000, NULL, NULL, 0), RE2_CHECK_INVALID);
}

static char *
repeat(const char *unit, size_t n, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(ul * n + tl + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + ul * n, tail, tl + 1);
	return s;
}

/* Hostile input: an answer every time, within RE2's own limits. */
static void
test_hostile(void **state)
{
	char why[256];
	int size = 0;
	char *s;

	(void)state;
	/* 1 MiB of literal text: compiles or is "pattern too large", but a
	 * program of that size is always over any sane limit. */
	s = repeat("a", 1 << 20, "");
	assert_int_not_equal(re2_check(s, 1000, &size, why, sizeof why), RE2_CHECK_OK);
	free(s);
	/* 100000 nested groups: refused one way or the other. */
	s = malloc(200001);
	assert_non_null(s);
	memset(s, '(', 100000);
	memset(s + 100000, ')', 100000);
	s[200000] = '\0';
	assert_int_not_equal(re2_check(s, 1000, &size, why, sizeof why), RE2_CHECK_OK);
	assert_true(why[0] != '\0');
	free(s);
	/* Nested counted repetitions that would explode the program. */
	assert_int_not_equal(re2_check("((((a{100}){100}){100}){100})", 1000,
	    &size, why, sizeof why), RE2_CHECK_OK);
	/* A long alternation: valid, but far over the limit. */
	s = repeat("[0-9a-f]{12}x|[a-z]{12}y|", 2000, "z");
	assert_int_not_equal(re2_check(s, 1000, &size, why, sizeof why), RE2_CHECK_OK);
	free(s);
	/* A long run of repetition operators. */
	s = malloc(100002);
	assert_non_null(s);
	s[0] = 'a';
	memset(s + 1, '*', 100000);
	s[100001] = '\0';
	assert_int_equal(re2_check(s, 1000, &size, why, sizeof why), RE2_CHECK_INVALID);
	assert_non_null(strstr(why, "bad repetition operator"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_program_size),
		cmocka_unit_test(test_why_truncated),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
