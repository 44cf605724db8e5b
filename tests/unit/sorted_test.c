/* util/sorted.h: the string comparator and the insertion-point search
 * every sorted table of cairn uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/sorted.h"

static int
int_cmp(const void *key, const void *elem)
{
	int k = *(const int *)key, e = *(const int *)elem;

	return (k > e) - (k < e);
}

/* The insertion point: the first of equal elements, n past the end, 0
 * for an empty array; the same as a linear scan for every key. */
static void
test_search(void **state)
{
	static const int a[] = { 1, 3, 3, 3, 7, 9 };
	size_t n = sizeof a / sizeof a[0];
	int k;

	(void)state;
	k = 3;
	assert_int_equal(sorted_search(&k, a, n, sizeof a[0], int_cmp), 1);
	k = 0;
	assert_int_equal(sorted_search(&k, a, n, sizeof a[0], int_cmp), 0);
	k = 10;
	assert_int_equal(sorted_search(&k, a, n, sizeof a[0], int_cmp), n);
	assert_int_equal(sorted_search(&k, a, 0, sizeof a[0], int_cmp), 0);
	for (k = -1; k <= 11; k++) {
		size_t want = 0;

		while (want < n && a[want] < k)
			want++;
		assert_int_equal(sorted_search(&k, a, n, sizeof a[0], int_cmp), want);
	}
}

/* qsort with sorted_str_cmp orders strings by strcmp; a search for a
 * name finds it with the same comparator. */
static void
test_strings(void **state)
{
	const char *v[] = { "pear", "apple", "fig", "apple", "banana" };
	const char *key = "fig", *absent = "cherry";
	size_t n = sizeof v / sizeof v[0], i;

	(void)state;
	qsort(v, n, sizeof v[0], sorted_str_cmp);
	for (i = 1; i < n; i++)
		assert_true(strcmp(v[i - 1], v[i]) <= 0);
	assert_string_equal(v[0], "apple");
	i = sorted_search(&key, v, n, sizeof v[0], sorted_str_cmp);
	assert_int_equal(i, 3);
	assert_string_equal(v[i], "fig");
	i = sorted_search(&absent, v, n, sizeof v[0], sorted_str_cmp);
	assert_int_equal(i, 3); /* between banana and fig */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
