/* ads_server_stop() returns only once grpc has shut down, even when the
 * last grpc reference is dropped after the server's own: a connection's
 * transport torn down after the server holds one, and a process that
 * exited before grpc's threads were done lost their OpenSSL error queues
 * (tests/protocol/tls.sh under LeakSanitizer). Here a thread of the test
 * stands in for that transport, deterministically. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <grpc/grpc.h>

#include "ads/ads.h"
#include "ads/warming.h"

#define LATE_REFERENCE_MS 300

static struct ads_server *
start_local_server(void)
{
	struct ads_options opts = { .address = "127.0.0.1:0" };
	struct ads_server *s = NULL;
	char *err = NULL;

	if (ads_server_start(&opts, &s, &err) < 0)
		fail_msg("ads_server_start: %s", err);
	return s;
}

/* Drops the test's grpc reference LATE_REFERENCE_MS from now, as the
 * last transport of a server would. */
static void *
drop_reference_later(void *arg)
{
	const struct timespec delay = { 0, LATE_REFERENCE_MS * 1000000L };

	(void)arg;
	nanosleep(&delay, NULL);
	grpc_shutdown();
	return NULL;
}

static void
test_stop_waits_for_the_last_grpc_reference(void **state)
{
	struct ads_server *s;
	pthread_t late;
	int64_t start;

	(void)state;
	grpc_init(); /* the transport's reference */
	s = start_local_server();
	assert_int_equal(pthread_create(&late, NULL, drop_reference_later, NULL), 0);
	start = ads_clock_monotonic_ms();
	ads_server_stop(s);
	assert_false(grpc_is_initialized());
	assert_true(ads_clock_monotonic_ms() - start >= LATE_REFERENCE_MS / 2);
	pthread_join(late, NULL);
}

/* The server's reference is the last: grpc is shut down on return. */
static void
test_stop_alone_shuts_grpc_down(void **state)
{
	(void)state;
	ads_server_stop(start_local_server());
	assert_false(grpc_is_initialized());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_waits_for_the_last_grpc_reference),
		cmocka_unit_test(test_stop_alone_shuts_grpc_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
