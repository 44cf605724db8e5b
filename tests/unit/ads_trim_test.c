/* When the ADS queue thread trims the heap (src/ads/trim.h): after a burst
 * of sends, then after the replies that follow it, a bounded number of
 * times; and that a trim from one thread gives back the free pages a
 * burst left in another thread's arena, which is what the follow-ups rely
 * on. */
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

#include "ads/trim.h"
#include "malloc_probe.h"

#define MIB ((uint64_t)1 << 20)

static void
test_quiet_without_sends(void **state)
{
	struct ads_trim t = { 0 };

	(void)state;
	assert_int_equal(ads_trim_wait_ms(&t, 0), -1);
	assert_int_equal(ads_trim_timeout(&t, 0), ADS_TRIM_NONE);
	/* Events without a burst before them trim nothing. */
	ads_trim_event(&t);
	assert_int_equal(ads_trim_wait_ms(&t, 1000), -1);
	assert_int_equal(ads_trim_timeout(&t, 1000), ADS_TRIM_NONE);
}

static void
test_burst_then_replies(void **state)
{
	struct ads_trim t = { 0 };
	uint64_t sent = ADS_TRIM_AFTER_BYTES - 1;

	(void)state;
	assert_int_equal(ads_trim_wait_ms(&t, sent), -1);
	sent++;
	assert_int_equal(ads_trim_wait_ms(&t, sent), ADS_TRIM_IDLE_MS);
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_BURST);
	/* Nothing happened since: wait for events, no timeout. */
	assert_int_equal(ads_trim_wait_ms(&t, sent), -1);
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_NONE);
	/* The replies (ACKs) arrive: once quiet again, trim once more. */
	ads_trim_event(&t);
	ads_trim_event(&t);
	assert_int_equal(ads_trim_wait_ms(&t, sent), ADS_TRIM_SETTLE_MS);
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_FOLLOWUP);
	assert_int_equal(ads_trim_wait_ms(&t, sent), -1);
	/* A few bytes sent (small responses) are replies too, not a burst. */
	ads_trim_event(&t);
	sent += 4096;
	assert_int_equal(ads_trim_wait_ms(&t, sent), ADS_TRIM_SETTLE_MS);
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_FOLLOWUP);
}

static void
test_followups_bounded(void **state)
{
	struct ads_trim t = { 0 };
	uint64_t sent = 3 * MIB;
	int n = 0;

	(void)state;
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_BURST);
	for (int i = 0; i < 100; i++) {
		ads_trim_event(&t);
		if (ads_trim_wait_ms(&t, sent) < 0)
			break;
		assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_FOLLOWUP);
		n++;
	}
	assert_int_equal(n, ADS_TRIM_FOLLOWUPS);
	/* Events go on with no trim ... */
	ads_trim_event(&t);
	assert_int_equal(ads_trim_wait_ms(&t, sent), -1);
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_NONE);
	/* ... until the next burst, which allows follow-ups again. */
	sent += ADS_TRIM_AFTER_BYTES;
	assert_int_equal(ads_trim_wait_ms(&t, sent), ADS_TRIM_IDLE_MS);
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_BURST);
	ads_trim_event(&t);
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_FOLLOWUP);
}

/* A burst that always comes first wins: sends past the threshold make a
 * burst's trim (the one that lets the shared bodies go) even when
 * follow-ups are pending. */
static void
test_burst_before_followup(void **state)
{
	struct ads_trim t = { 0 };
	uint64_t sent = MIB;

	(void)state;
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_BURST);
	ads_trim_event(&t);
	sent += 2 * MIB;
	assert_int_equal(ads_trim_wait_ms(&t, sent), ADS_TRIM_IDLE_MS);
	assert_int_equal(ads_trim_timeout(&t, sent), ADS_TRIM_BURST);
}

/* Resident anonymous memory of this process, KiB. */
static long
anon_kib(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "RssAnon: %ld", &kib) == 1)
			break;
	fclose(fp);
	return kib;
}

#define BURST_BLOCKS 40000
#define BURST_BLOCK 1000

/* A burst on another thread (its own arena): many transient blocks with a
 * long-lived one every so often, so no free run reaches the arena's top
 * and glibc's own trimming of the top cannot give them back. */
static void *
burst_thread(void *arg)
{
	void **keep = arg;
	void **blocks = calloc(BURST_BLOCKS, sizeof *blocks);

	for (int i = 0; i < BURST_BLOCKS; i++) {
		blocks[i] = malloc(BURST_BLOCK);
		memset(blocks[i], 0x5a, BURST_BLOCK);
		if (i % 1000 == 999)
			keep[i / 1000] = malloc(64);
	}
	for (int i = 0; i < BURST_BLOCKS; i++)
		free(blocks[i]);
	free(blocks);
	return NULL;
}

static void
test_trim_gives_back_other_arena(void **state)
{
	void *keep[BURST_BLOCKS / 1000];
	pthread_t th;
	long before, after;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, burst_thread, keep), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	before = anon_kib();
	malloc_trim(0);
	after = anon_kib();
	print_message("RssAnon %ld KiB before the trim, %ld after\n", before,
	    after);
	assert_true(before > 0 && after > 0);
	/* The burst touched about 39 MiB; at least half comes back. */
	assert_true(before - after >= (long)(BURST_BLOCKS / 2) * BURST_BLOCK / 1024);
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
		free(keep[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_without_sends),
		cmocka_unit_test(test_burst_then_replies),
		cmocka_unit_test(test_followups_bounded),
		cmocka_unit_test(test_burst_before_followup),
		cmocka_unit_test(test_trim_gives_back_other_arena),
	};

	size_t n = sizeof tests / sizeof tests[0];

	/* The last test measures glibc's malloc itself: with another
	 * malloc (valgrind's, a sanitizer's) it is not run, rather than
	 * reported as a skip the TAP driver would count as a failure. */
	if (!malloc_is_glibcs()) {
		printf("# glibc's malloc is not in use: test_trim_gives_back_other_arena not run\n");
		n--;
	}
	return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
