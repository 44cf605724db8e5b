/* The daemon's malloc settings (src/util/heap.c): the environment's own
 * arena limit is respected; otherwise threads share one arena. */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "malloc_probe.h"
#include "util/heap.h"

#define THREADS 4

static pthread_barrier_t all_allocated;

/* Each thread allocates and keeps its block until every thread has one,
 * so none can hand its arena on to the next. */
static void *
alloc_thread(void *arg)
{
	void *p = malloc(4096);

	(void)arg;
	memset(p, 1, 4096);
	pthread_barrier_wait(&all_allocated);
	pthread_barrier_wait(&all_allocated);
	free(p);
	return NULL;
}

/* The arenas malloc_info reports ("<heap nr=" elements). */
static int
arenas_with_threads(void)
{
	pthread_t th[THREADS];
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int n = 0;

	pthread_barrier_init(&all_allocated, NULL, THREADS + 1);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, alloc_thread, NULL), 0);
	pthread_barrier_wait(&all_allocated);
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(malloc_info(0, fp), 0);
	fclose(fp);
	pthread_barrier_wait(&all_allocated);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&all_allocated);
	for (const char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++)
		n++;
	free(buf);
	return n;
}

static void
test_environment_wins(void **state)
{
	(void)state;
	setenv("MALLOC_ARENA_MAX", "4", 1);
	assert_false(heap_tune_serve());
	unsetenv("MALLOC_ARENA_MAX");
	setenv("GLIBC_TUNABLES", "glibc.malloc.check=0:glibc.malloc.arena_max=2", 1);
	assert_false(heap_tune_serve());
	unsetenv("GLIBC_TUNABLES");
}

static void
test_one_arena(void **state)
{
	(void)state;
	assert_true(heap_tune_serve());
	assert_int_equal(arenas_with_threads(), HEAP_SERVE_ARENAS);
}

int
main(void)
{
	/* Runs before any other thread: the settings apply to the threads
	 * made after them, as in `cairn serve`. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_environment_wins),
		cmocka_unit_test(test_one_arena),
	};

	size_t n = sizeof tests / sizeof tests[0];

	/* The last test measures glibc's malloc itself: with another
	 * malloc (valgrind's, a sanitizer's) it is not run, rather than
	 * reported as a skip the TAP driver would count as a failure. */
	if (!malloc_is_glibcs()) {
		printf("# glibc's malloc is not in use: test_one_arena not run\n");
		n--;
	}
	return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
