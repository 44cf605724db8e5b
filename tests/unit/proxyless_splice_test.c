/* A proxyless target's RouteConfiguration assembled from its host's
 * routes packed once (translate_gateway_proxyless.c: a VirtualHost shell
 * of name and domain carrying the other fields' bytes) against the whole
 * message: for random hosts (routes or none, other VirtualHost fields
 * after them, names of every length class), the shell's bytes through
 * pb_encode and protobuf-c must be the bytes protobuf-c packs for the
 * RouteConfiguration with the whole VirtualHost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/arena.h"
#include "util/xalloc.h"
#include "xds/pb.h"
#include "xds/pb_encode.h"
#include "xds/translate_internal.h"

#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

typedef Envoy__Config__Route__V3__VirtualHost VirtualHost;
typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A name of 0 to a few hundred bytes: lengths on both sides of a
 * one-byte varint. */
static char *
rnd_str(struct arena *a, const char *what)
{
	size_t len = rnd(4) == 0 ? 100 + rnd(300) : rnd(20);
	char *s = arena_alloc(a, len + strlen(what) + 1);
	size_t n = strlen(what);

	memcpy(s, what, n);
	for (size_t i = 0; i < len; i++)
		s[n + i] = (char)('a' + rnd(26));
	s[n + len] = '\0';
	return s;
}

static Envoy__Config__Route__V3__Route *
rnd_route(struct arena *a)
{
	Envoy__Config__Route__V3__Route *r = pb_new(a,
	    &envoy__config__route__v3__route__descriptor);
	Envoy__Config__Route__V3__RouteMatch *m = pb_new(a,
	    &envoy__config__route__v3__route_match__descriptor);
	Envoy__Config__Route__V3__RouteAction *ra = pb_new(a,
	    &envoy__config__route__v3__route_action__descriptor);

	if (rnd(2))
		r->name = rnd_str(a, "route-");
	m->path_specifier_case =
	    ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
	m->prefix = rnd_str(a, "/");
	r->match = m;
	ra->cluster_specifier_case =
	    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
	ra->cluster = rnd_str(a, "cluster/");
	r->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
	r->route = ra;
	return r;
}

/* A host as translate_virtual_host_proxyless makes one, with any of the
 * VirtualHost's later fields set too. */
static VirtualHost *
rnd_vhost(struct arena *a, size_t nroutes)
{
	VirtualHost *v = pb_new(a, &envoy__config__route__v3__virtual_host__descriptor);

	v->n_domains = 1;
	v->domains = pb_array(a, 1);
	v->domains[0] = "placeholder";
	v->n_routes = nroutes;
	v->routes = pb_array(a, nroutes ? nroutes : 1);
	for (size_t i = 0; i < nroutes; i++)
		v->routes[i] = rnd_route(a);
	if (rnd(3) == 0)
		v->require_tls =
		    ENVOY__CONFIG__ROUTE__V3__VIRTUAL_HOST__TLS_REQUIREMENT_TYPE__ALL;
	if (rnd(3) == 0) {
		v->n_request_headers_to_remove = 1;
		v->request_headers_to_remove = pb_array(a, 1);
		v->request_headers_to_remove[0] = rnd_str(a, "x-");
	}
	if (rnd(3) == 0)
		v->include_request_attempt_count = 1;
	if (rnd(3) == 0) {
		Google__Protobuf__UInt32Value *u = pb_new(a,
		    &google__protobuf__uint32_value__descriptor);

		u->value = rnd(100000) + 1;
		v->per_request_buffer_limit_bytes = u;
	}
	return v;
}

/* RouteConfiguration name of v under name, packed whole by protobuf-c. */
static uint8_t *
whole(VirtualHost *v, const char *name, size_t *len)
{
	RouteConfiguration rc = ENVOY__CONFIG__ROUTE__V3__ROUTE_CONFIGURATION__INIT;
	VirtualHost *vs[1] = { v };
	uint8_t *out;

	v->name = (char *)name;
	v->domains[0] = (char *)name;
	rc.name = (char *)name;
	rc.n_virtual_hosts = 1;
	rc.virtual_hosts = vs;
	*len = protobuf_c_message_get_packed_size(&rc.base);
	out = xmalloc(*len ? *len : 1);
	assert_int_equal(protobuf_c_message_pack(&rc.base, out), *len);
	v->name = "";
	v->domains[0] = "placeholder";
	return out;
}

/* One host, its two targets from rest packed once, each compared. */
static void
check_host(size_t nroutes)
{
	struct arena a;
	struct pb_writer rw = { 0 }, w = { 0 };
	ProtobufCMessageUnknownField rest;
	VirtualHost *v;
	bool has_rest;

	arena_init(&a);
	v = rnd_vhost(&a, nroutes);
	has_rest = gateway_proxyless_vhost_rest(&rw, v, &rest);
	/* Something after name and domains: the rest is written. */
	assert_true(has_rest == (nroutes > 0 || v->require_tls != 0 ||
	    v->n_request_headers_to_remove > 0 ||
	    v->include_request_attempt_count ||
	    v->per_request_buffer_limit_bytes != NULL));
	for (int target = 0; target < 2; target++) {
		const char *name = target == 0 ? rnd_str(&a, "host.example.") :
		    rnd_str(&a, "host.example:");
		RouteConfiguration rc =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_CONFIGURATION__INIT;
		VirtualHost shell;
		VirtualHost *vs[1] = { &shell };
		size_t want_len, len, pc_len;
		uint8_t *want = whole(v, name, &want_len), *pc;
		const uint8_t *got;

		gateway_proxyless_vhost_shell(&a, &shell, name,
		    has_rest ? &rest : NULL);
		rc.name = (char *)name;
		rc.n_virtual_hosts = 1;
		rc.virtual_hosts = vs;
		got = pb_encode(&w, &rc.base, &len);
		assert_int_equal(len, want_len);
		assert_memory_equal(got, want, len);
		/* protobuf-c packs the shell to the same bytes (what
		 * CAIRN_PB_VERIFY compares the encoder with). */
		pc_len = protobuf_c_message_get_packed_size(&rc.base);
		assert_int_equal(pc_len, want_len);
		pc = xmalloc(pc_len);
		assert_int_equal(protobuf_c_message_pack(&rc.base, pc), pc_len);
		assert_memory_equal(pc, want, pc_len);
		free(pc);
		free(want);
	}
	pb_writer_free(&w);
	pb_writer_free(&rw);
	arena_free(&a);
}

static void
test_random_hosts(void **state)
{
	(void)state;
	for (int i = 0; i < 2000; i++)
		check_host(rnd(4) == 0 ? 0 : rnd(12));
}

/* Enough routes that the VirtualHost's and RouteConfiguration's lengths
 * take three-byte varints. */
static void
test_large_host(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++)
		check_host(300 + rnd(400));
}

/* Nothing but name and domains: no rest, the shell alone. */
static void
test_empty_host(void **state)
{
	struct arena a;
	struct pb_writer rw = { 0 };
	ProtobufCMessageUnknownField rest;
	VirtualHost *v;

	(void)state;
	arena_init(&a);
	v = pb_new(&a, &envoy__config__route__v3__virtual_host__descriptor);
	v->name = "h";
	v->n_domains = 1;
	v->domains = pb_array(&a, 1);
	v->domains[0] = "h";
	assert_false(gateway_proxyless_vhost_rest(&rw, v, &rest));
	/* name and domains are back as they were */
	assert_string_equal(v->name, "h");
	assert_int_equal(v->n_domains, 1);
	pb_writer_free(&rw);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_hosts),
		cmocka_unit_test(test_large_host),
		cmocka_unit_test(test_empty_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
