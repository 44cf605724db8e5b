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

/* An element of the sort tests: ordered by (group, key); seq is its
 * place in the input, which a stable sort keeps among equal ones. */
struct elem {
	int group, key;
	size_t seq;
};

static int
elem_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;

	if (x->group != y->group)
		return (x->group > y->group) - (x->group < y->group);
	return (x->key > y->key) - (x->key < y->key);
}

static int
elem_group_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;

	return (x->group > y->group) - (x->group < y->group);
}

static int
elem_stable_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;
	int c = elem_cmp(a, b);

	return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Shapes a rebuilt array has: sorted, sorted with a few new elements
 * at the end or a few changed in place, in group order with each group
 * shuffled, neighbours swapped, and random; small key ranges make many
 * ties. */
static void
fill(struct elem *v, size_t n, int shape)
{
	for (size_t i = 0; i < n; i++) {
		v[i].group = (int)(i / 3);
		v[i].key = shape == 2 ? rand() % 4 : (int)(i % 3);
	}
	switch (shape) {
	case 1: /* a few changed or new anywhere */
		for (int k = rand() % 4; k >= 0 && n > 0; k--) {
			size_t i = (size_t)rand() % n;

			v[i].group = rand() % (int)(n / 3 + 1);
			v[i].key = rand() % 3;
		}
		break;
	case 3: /* random */
		for (size_t i = 0; i < n; i++) {
			v[i].group = rand() % 8;
			v[i].key = rand() % 4;
		}
		break;
	case 5: /* each a place or two from its own (insertion sort) */
		for (size_t i = 0; i + 1 < n; i += 2 + (size_t)(rand() % 2)) {
			struct elem t = v[i];

			v[i] = v[i + 1];
			v[i + 1] = t;
		}
		if (n > 20 && rand() % 3 == 0) /* and one far off */
			v[rand() % (int)n].group = rand() % (int)(n / 3 + 1);
		break;
	case 4: /* a sorted prefix, then a short unsorted tail */
		for (size_t i = n - n / 10; i < n; i++) {
			v[i].group = rand() % (int)(n / 3 + 1);
			v[i].key = rand() % 3;
		}
		break;
	}
	for (size_t i = 0; i < n; i++)
		v[i].seq = i;
}

/* sorted_sort and sorted_sort_grouped give a stable sort's order for
 * every shape and size, equal elements in their input order. */
static void
test_sort_stable(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(rand() % (round % 7 == 0 ? 3000 : 200));
		int shape = round % 6;
		struct elem *v = calloc(n + 1, sizeof *v);
		struct elem *w = calloc(n + 1, sizeof *w);
		struct elem *want = calloc(n + 1, sizeof *want);

		fill(v, n, shape);
		memcpy(w, v, n * sizeof *v);
		memcpy(want, v, n * sizeof *v);
		qsort(want, n, sizeof *want, elem_stable_cmp);
		sorted_sort(v, n, sizeof *v, elem_cmp);
		sorted_sort_grouped(w, n, sizeof *w, elem_cmp, elem_group_cmp);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(v[i].seq, want[i].seq);
			assert_int_equal(w[i].seq, want[i].seq);
		}
		free(v);
		free(w);
		free(want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_sort_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
