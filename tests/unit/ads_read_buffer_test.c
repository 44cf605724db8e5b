/* What a client connection keeps of its read buffer once its requests are
 * read (src/ads/server.c, ads_server_tune_process): grpc 1.51's chunked
 * reads kept as much spare buffer as the connection's largest burst of
 * reads, MiBs per connection when ACKs name thousands of resources. Real
 * connections to an in-process server: each sends large requests, then
 * idles with its stream open, and the heap in use is compared with what it
 * was before they connected. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>

#include "ads/ads.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "malloc_probe.h"
#include "util/log.h"

#define CONNECTIONS 8
/* Large requests per connection: an EDS subscription of NAMES clusters
 * (about 1 MiB each), as an Envoy's ACKs at 10,000 proxies are. */
#define LARGE_REQUESTS 4
#define NAMES 30000
/* What the connections may add to the heap, both ends in this process
 * (grpc's transports and calls, cairn's streams): 0.8 MiB with the read
 * buffers bounded; 24 MiB with grpc's chunked reads, 26 MiB without them
 * but with grpc's 4 MiB largest read. */
#define BOUND_BYTES ((size_t)4 << 20)
#define METHOD "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"

typedef Envoy__Service__Discovery__V3__DiscoveryRequest DiscoveryRequest;
typedef Envoy__Service__Discovery__V3__DiscoveryResponse DiscoveryResponse;

struct client {
	grpc_channel *channel;
	grpc_call *call;
	grpc_metadata_array initial;
};

static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static gpr_timespec
seconds_from_now(int s)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
	    gpr_time_from_seconds(s, GPR_TIMESPAN));
}

/* Runs ops on call and waits for them (a pluck queue, one batch at a time). */
static void
run_batch(grpc_completion_queue *cq, grpc_call *call, const grpc_op *ops,
    size_t n)
{
	int tag;
	grpc_event ev;

	assert_int_equal(grpc_call_start_batch(call, ops, n, &tag, NULL),
	    GRPC_CALL_OK);
	ev = grpc_completion_queue_pluck(cq, &tag, seconds_from_now(30), NULL);
	assert_int_equal(ev.type, GRPC_OP_COMPLETE);
	assert_true(ev.success);
}

static void
send_request(grpc_completion_queue *cq, grpc_call *call, const char *type_url,
    char **names, size_t n)
{
	DiscoveryRequest req = ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	size_t len;
	grpc_slice slice;
	grpc_byte_buffer *bb;
	grpc_op op = { .op = GRPC_OP_SEND_MESSAGE };

	req.type_url = (char *)type_url;
	req.resource_names = names;
	req.n_resource_names = n;
	len = envoy__service__discovery__v3__discovery_request__get_packed_size(&req);
	slice = grpc_slice_malloc(len);
	envoy__service__discovery__v3__discovery_request__pack(&req,
	    GRPC_SLICE_START_PTR(slice));
	bb = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	op.data.send_message.send_message = bb;
	run_batch(cq, call, &op, 1);
	grpc_byte_buffer_destroy(bb);
}

/* Reads responses until one of type_url. */
static void
await_response(grpc_completion_queue *cq, grpc_call *call, const char *type_url)
{
	for (;;) {
		grpc_byte_buffer *bb = NULL;
		grpc_op op = { .op = GRPC_OP_RECV_MESSAGE };
		grpc_byte_buffer_reader reader;
		grpc_slice all;
		DiscoveryResponse *resp;
		bool found;

		op.data.recv_message.recv_message = &bb;
		run_batch(cq, call, &op, 1);
		assert_non_null(bb);
		assert_true(grpc_byte_buffer_reader_init(&reader, bb));
		all = grpc_byte_buffer_reader_readall(&reader);
		grpc_byte_buffer_reader_destroy(&reader);
		grpc_byte_buffer_destroy(bb);
		resp = envoy__service__discovery__v3__discovery_response__unpack(NULL,
		    GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
		grpc_slice_unref(all);
		assert_non_null(resp);
		found = strcmp(resp->type_url, type_url) == 0;
		envoy__service__discovery__v3__discovery_response__free_unpacked(resp, NULL);
		if (found)
			return;
	}
}

/* A connection of its own with one SotW stream that sends the large
 * requests, then a small one, and waits for the answer to a CDS request
 * sent last: the server has read everything before it. */
static void
client_connect(struct client *c, grpc_completion_queue *cq, const char *target,
    char **names)
{
	grpc_arg arg = { .type = GRPC_ARG_INTEGER,
		.key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, .value.integer = 1 };
	grpc_channel_args args = { 1, &arg };
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	grpc_slice method = grpc_slice_from_static_string(METHOD);
	grpc_op send_initial = { .op = GRPC_OP_SEND_INITIAL_METADATA };
	grpc_op recv_initial = { .op = GRPC_OP_RECV_INITIAL_METADATA };

	c->channel = grpc_channel_create(target, creds, &args);
	grpc_channel_credentials_release(creds);
	c->call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
	    cq, method, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	grpc_metadata_array_init(&c->initial);
	recv_initial.data.recv_initial_metadata.recv_initial_metadata = &c->initial;
	run_batch(cq, c->call, &send_initial, 1);
	for (int k = 0; k < LARGE_REQUESTS; k++)
		send_request(cq, c->call, xds_type_url(XDS_ENDPOINT), names,
		    NAMES - (size_t)k);
	/* The large lists are interned while named: let them go. */
	send_request(cq, c->call, xds_type_url(XDS_ENDPOINT), names, 1);
	send_request(cq, c->call, xds_type_url(XDS_CLUSTER), NULL, 0);
	run_batch(cq, c->call, &recv_initial, 1);
	await_response(cq, c->call, xds_type_url(XDS_CLUSTER));
}

static void
client_close(struct client *c)
{
	grpc_call_cancel(c->call, NULL);
	grpc_call_unref(c->call);
	grpc_metadata_array_destroy(&c->initial);
	grpc_channel_destroy(c->channel);
}

static char **
cluster_names(void)
{
	char **names = calloc(NAMES, sizeof *names);

	assert_non_null(names);
	for (size_t i = 0; i < NAMES; i++) {
		names[i] = malloc(40);
		assert_non_null(names[i]);
		snprintf(names[i], 40, "namespace-%05zu/service-%05zu/8080", i, i);
	}
	return names;
}

static void
test_tune_respects_environment(void **state)
{
	(void)state;
	setenv("GRPC_EXPERIMENTS", "tcp_read_chunks", 1);
	assert_false(ads_server_tune_process());
	assert_string_equal(getenv("GRPC_EXPERIMENTS"), "tcp_read_chunks");
	unsetenv("GRPC_EXPERIMENTS");
	assert_true(ads_server_tune_process());
	assert_string_equal(getenv("GRPC_EXPERIMENTS"), ADS_GRPC_EXPERIMENTS);
}

static void
test_idle_connections_keep_little(void **state)
{
	struct ads_options opts = { .address = "127.0.0.1:0" };
	struct ads_server *server;
	struct snapshot *snap;
	struct client clients[CONNECTIONS];
	grpc_completion_queue *cq;
	char **names = cluster_names();
	char *err = NULL, target[64];
	size_t before, after;

	(void)state;
	grpc_init();
	assert_int_equal(ads_server_start(&opts, &server, &err), 0);
	snap = snapshot_builder_finish(snapshot_builder_new("empty"));
	ads_server_publish(server, snap);
	snapshot_unref(snap);
	snprintf(target, sizeof target, "127.0.0.1:%d", ads_server_port(server));
	cq = grpc_completion_queue_create_for_pluck(NULL);
	/* The first connection's one-time costs (grpc's resolver, its
	 * executors, the server's queue) are not the ones measured. */
	client_connect(&clients[0], cq, target, names);
	client_close(&clients[0]);
	usleep(200000);

	before = heap_in_use();
	for (int i = 0; i < CONNECTIONS; i++)
		client_connect(&clients[i], cq, target, names);
	usleep(200000);
	after = heap_in_use();
	print_message("# %d idle connections: heap in use %zu -> %zu bytes "
	    "(%+zd)\n", CONNECTIONS, before, after, (ssize_t)(after - before));
	assert_true(after < before + BOUND_BYTES);

	for (int i = 0; i < CONNECTIONS; i++)
		client_close(&clients[i]);
	ads_server_stop(server);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_past(GPR_CLOCK_REALTIME),
	    NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
	grpc_shutdown();
	for (size_t i = 0; i < NAMES; i++)
		free(names[i]);
	free(names);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: grpc reads its experiments once, at its first use. */
		cmocka_unit_test(test_tune_respects_environment),
		cmocka_unit_test(test_idle_connections_keep_little),
	};
	size_t n = sizeof tests / sizeof tests[0];

	log_set_level(LOG_LEVEL_WARNING);
	/* The second test measures glibc's heap: with another malloc
	 * (valgrind's, a sanitizer's) it is not run. */
	if (!malloc_is_glibcs()) {
		printf("# glibc's malloc is not in use: test_idle_connections_keep_little not run\n");
		n--;
	}
	return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
