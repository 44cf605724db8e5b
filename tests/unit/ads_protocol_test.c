/* The request helpers SotW and delta share (src/ads/protocol.c): the node a
 * stream keeps, the type a request names, and a NACK's record. Both state
 * machines call them, so their behaviour is pinned here once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ads/protocol.h"
#include "util/log.h"

static void
test_node_first_named_kept(void **state)
{
	char *id = NULL, *cluster = NULL, *gateway = NULL;

	(void)state;
	/* No node, or an empty id: nothing to remember yet. */
	ads_node_remember(&id, &cluster, &gateway, NULL, "c", "g");
	ads_node_remember(&id, &cluster, &gateway, "", "c", "g");
	assert_null(id);
	assert_null(cluster);
	assert_null(gateway);
	/* The first node named: copies, a missing cluster is "", an empty
	 * Gateway is none. */
	ads_node_remember(&id, &cluster, &gateway, "envoy-1", NULL, "");
	assert_string_equal(id, "envoy-1");
	assert_string_equal(cluster, "");
	assert_null(gateway);
	/* Later requests do not replace it. */
	ads_node_remember(&id, &cluster, &gateway, "envoy-2", "edge", "gw");
	assert_string_equal(id, "envoy-1");
	assert_string_equal(cluster, "");
	assert_null(gateway);
	free(id);
	free(cluster);

	id = cluster = NULL;
	ads_node_remember(&id, &cluster, &gateway, "envoy-3", "edge",
	    "default/gw");
	assert_string_equal(id, "envoy-3");
	assert_string_equal(cluster, "edge");
	assert_string_equal(gateway, "default/gw");
	free(id);
	free(cluster);
	free(gateway);
}

static void
test_request_type(void **state)
{
	enum xds_type t = XDS_TYPE_COUNT;
	char *err = NULL;

	(void)state;
	assert_int_equal(ads_request_type(xds_type_url(XDS_CLUSTER),
	    "DiscoveryRequest", &t, &err), 0);
	assert_int_equal(t, XDS_CLUSTER);
	assert_null(err);

	/* The message names the request kind it was handed. */
	assert_int_equal(ads_request_type(NULL, "DiscoveryRequest", &t, &err), -1);
	assert_string_equal(err, "DiscoveryRequest without type_url: an "
	    "aggregated (ADS) stream needs the type_url on every request");
	free(err);
	err = NULL;
	assert_int_equal(ads_request_type("", "DeltaDiscoveryRequest", &t, &err),
	    -1);
	assert_string_equal(err, "DeltaDiscoveryRequest without type_url: an "
	    "aggregated (ADS) stream needs the type_url on every request");
	free(err);
	err = NULL;

	assert_int_equal(ads_request_type("type.googleapis.com/envoy.config."
	    "foo.v3.Bar", "DiscoveryRequest", &t, &err), -1);
	assert_non_null(strstr(err, "unsupported type_url \"type.googleapis.com/"
	    "envoy.config.foo.v3.Bar\""));
	free(err);
}

static void
test_nack_record(void **state)
{
	struct ads_nack nack = { 0 };

	(void)state;
	ads_nack_record(&nack, "envoy-1", XDS_CLUSTER, "00000000000000ab",
	    "7", 3, "cluster a: bad");
	assert_string_equal(nack.version, "00000000000000ab");
	assert_string_equal(nack.nonce, "7");
	assert_int_equal(nack.code, 3);
	assert_string_equal(nack.message, "cluster a: bad");
	assert_true(nack.when > 0);

	/* A second NACK replaces the first (its message freed: ASan and
	 * valgrind runs see a leak otherwise); no message is "", no node is
	 * fine. */
	ads_nack_record(&nack, NULL, XDS_ENDPOINT, "00000000000000ac",
	    "12345678901234567890", 13, NULL);
	assert_string_equal(nack.version, "00000000000000ac");
	assert_string_equal(nack.nonce, "12345678901234567890");
	assert_int_equal(nack.code, 13);
	assert_string_equal(nack.message, "");
	free(nack.message);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_first_named_kept),
		cmocka_unit_test(test_request_type),
		cmocka_unit_test(test_nack_record),
	};

	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
