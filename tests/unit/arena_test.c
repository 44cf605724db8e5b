/* The arena (src/util/arena.c): strings packed at their length, anything
 * else 16-byte aligned and zeroed, marks and resets across both. Strings
 * are most of a loaded file's and a DAG's small allocations; padded to 16
 * bytes each they took half again their size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "util/arena.h"

static void
test_strings_packed(void **state)
{
	struct arena a;
	char name[16];
	char *first = NULL, *s = NULL;

	(void)state;
	arena_init(&a);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "s%04d", i); /* 6 bytes with NUL */
		s = arena_strdup(&a, name);
		assert_string_equal(s, name);
		if (first == NULL)
			first = s;
	}
	/* One block, one after the other: 600 bytes, not 1,600. */
	assert_int_equal(a.total, 600);
	assert_ptr_equal(s, first + 99 * 6);
	assert_string_equal(first, "s0000");
	arena_free(&a);
}

static void
test_structs_aligned_after_strings(void **state)
{
	struct arena a;
	char want[32];

	(void)state;
	arena_init_sized(&a, 512);
	for (int i = 0; i < 200; i++) {
		char *s = arena_strndup(&a, "abcdefg", (size_t)(i % 7) + 1);
		unsigned char *p = arena_alloc(&a, (size_t)(i % 40) + 1);
		char *f = arena_printf(&a, "%d-%s", i, s);

		assert_int_equal(strlen(s), (size_t)(i % 7) + 1);
		assert_int_equal((uintptr_t)p % 16, 0);
		for (int k = 0; k < i % 40 + 1; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xff, (size_t)(i % 40) + 1);
		snprintf(want, sizeof want, "%d-%s", i, s);
		assert_string_equal(f, want);
	}
	arena_free(&a);
}

static void
test_long_printf_and_release(void **state)
{
	struct arena a;
	struct arena_mark m;
	char big[600];
	char *s, *t;

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	arena_init(&a);
	(void)arena_strdup(&a, "odd");
	m = arena_mark(&a);
	s = arena_printf(&a, "%s!", big); /* longer than the one-pass buffer */
	assert_int_equal(strlen(s), sizeof big);
	assert_int_equal(s[sizeof big - 1], '!');
	arena_release(&a, &m);
	assert_int_equal(a.total, 4);
	t = arena_alloc(&a, 8);
	assert_int_equal((uintptr_t)t % 16, 0);
	assert_int_equal(a.total, 16 + 16); /* padded to 16, rounded to 16 */
	arena_free(&a);
}

/* A fitted arena (the objects of one loaded file): a first block of the
 * guess, and when the guess was short a second block of the smaller
 * size asked for, not twice the first; what was written stays put. */
static void
test_fitted_second_block_small(void **state)
{
	struct arena fitted, sized;
	unsigned char *p, *q;
	size_t fitted_bytes, sized_bytes;

	(void)state;
	arena_init_fitted(&fitted, 4096, 1024);
	arena_init_sized(&sized, 4096);
	p = arena_alloc(&fitted, 4000);
	memset(p, 0xab, 4000);
	(void)arena_alloc(&sized, 4000);
	assert_true(arena_footprint(&fitted) < 4096 + 128);
	/* The guess was short by a little. */
	q = arena_alloc(&fitted, 200);
	memset(q, 0xcd, 200);
	(void)arena_alloc(&sized, 200);
	fitted_bytes = arena_footprint(&fitted);
	sized_bytes = arena_footprint(&sized);
	assert_true(fitted_bytes >= 4096 + 1024);
	assert_true(fitted_bytes < 4096 + 1024 + 256);
	assert_true(sized_bytes >= 3 * 4096);
	assert_int_equal(p[0], 0xab);
	assert_int_equal(p[3999], 0xab);
	assert_int_equal(q[199], 0xcd);
	/* Later blocks grow again from the smaller size. */
	(void)arena_alloc(&fitted, 900);
	(void)arena_alloc(&fitted, 900);
	assert_true(arena_footprint(&fitted) < 4096 + 1024 + 2048 + 512);
	assert_int_equal(fitted.total, 4000 + 208 + 912 + 912);
	arena_free(&fitted);
	arena_free(&sized);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_packed),
		cmocka_unit_test(test_structs_aligned_after_strings),
		cmocka_unit_test(test_long_printf_and_release),
		cmocka_unit_test(test_fitted_second_block_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
