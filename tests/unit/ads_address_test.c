/* ADS listen addresses: syntax, and where plaintext is acceptable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ads/ads.h"

static void
expect_ok(const char *address, bool local)
{
	char *err = NULL;
	bool is_local = !local;

	if (ads_address_check(address, &is_local, &err) != 0)
		fail_msg("%s: %s", address, err);
	assert_null(err);
	if (is_local != local)
		fail_msg("%s: local is %d", address, is_local);
}

static void
expect_error(const char *address, const char *part)
{
	char *err = NULL;
	bool local;

	assert_int_equal(ads_address_check(address, &local, &err), -1);
	assert_non_null(err);
	if (strstr(err, part) == NULL)
		fail_msg("%s: \"%s\" does not mention \"%s\"", address, err, part);
	free(err);
}

static void
test_local(void **state)
{
	(void)state;
	expect_ok("127.0.0.1:18000", true);
	expect_ok("127.1.2.3:0", true);
	expect_ok("localhost:18000", true);
	expect_ok("[::1]:18000", true);
	expect_ok("[::ffff:127.0.0.1]:1", true);
	expect_ok("unix:/run/cairn/xds.sock", true);
}

static void
test_not_local(void **state)
{
	(void)state;
	expect_ok("0.0.0.0:18000", false);
	expect_ok("10.0.0.1:18000", false);
	expect_ok("[::]:18000", false);
	expect_ok("[2001:db8::1]:65535", false);
	expect_ok("xds.example.com:18000", false);
	expect_ok(":18000", false);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("", "empty");
	expect_error("127.0.0.1", "missing port");
	expect_error("127.0.0.1:", "missing port");
	expect_error("127.0.0.1:http", "not a number");
	expect_error("127.0.0.1:65536", "out of range");
	expect_error("127.0.0.1:99999999999999999999", "0 to 65535");
	expect_error("::1:18000", "brackets");
	expect_error("[::1]18000", "[IPV6]:PORT");
	expect_error("[nope]:1", "not an IPv6 address");
	expect_error("unix:", "socket path");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_not_local),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
