/* The warming gate (src/ads/warming.h, SPEC §8) in both ADS state machines
 * (sotw.c, delta.c), without grpc and with a clock the test moves: a
 * route moved to a new Service waits for that Service's endpoints, never
 * longer than the timeout, and never for a cluster the client has not
 * been sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ads/delta.h"
#include "ads/sotw.h"
#include "util/hash.h"
#include "util/log.h"

#define CA "default/a/80/x"
#define CB "default/b/80/x"
#define CC "default/c/80/x"
#define CD "default/d/80/x" /* ExternalName: STRICT_DNS, no endpoints */
#define CA2 "default/a/80/y" /* other options, the same endpoints as CA */
#define EA "default/a/80"
#define EB "default/b/80"
#define EC "default/c/80"
#define TIMEOUT 5000

struct res {
	enum xds_type type;
	const char *name;
	const char *content; /* opaque bytes are enough here */
	const char *uses[3]; /* clusters (LDS, RDS) or endpoints (CDS) */
};

static struct snapshot *
build(const struct res *list)
{
	struct snapshot_builder *b = snapshot_builder_new("rev");

	for (const struct res *r = list; r->name != NULL; r++) {
		uint64_t h[3];
		size_t n = 0;

		snapshot_builder_add(b, r->type, r->name, r->content,
		    strlen(r->content), false);
		if (r->type == XDS_CLUSTER && r->uses[0] != NULL) {
			snapshot_builder_set_endpoints(b, r->name, r->uses[0]);
			continue;
		}
		while (n < 3 && r->uses[n] != NULL) {
			h[n] = xds_name_hash(r->uses[n]);
			n++;
		}
		snapshot_builder_add_uses(b, r->type, r->name, h, n);
	}
	return snapshot_builder_finish(b);
}

/* Route ingress_http -> b; route shop.example.com -> a. */
static const struct res base[] = {
	{ XDS_CLUSTER, CA, "cluster-a-1", { EA } },
	{ XDS_CLUSTER, CB, "cluster-b-1", { EB } },
	{ XDS_ENDPOINT, EA, "endpoints-a-1", { NULL } },
	{ XDS_ENDPOINT, EB, "endpoints-b-1", { NULL } },
	{ XDS_LISTENER, "ingress_http", "listener-1", { NULL } },
	{ XDS_ROUTE, "ingress_http", "route-b", { CB } },
	{ XDS_ROUTE, "shop.example.com", "shop-a", { CA } },
	{ 0, NULL, NULL, { NULL } },
};

/* The route moved to a new Service c; b is gone. */
static const struct res moved[] = {
	{ XDS_CLUSTER, CA, "cluster-a-1", { EA } },
	{ XDS_CLUSTER, CC, "cluster-c-1", { EC } },
	{ XDS_ENDPOINT, EA, "endpoints-a-1", { NULL } },
	{ XDS_ENDPOINT, EC, "endpoints-c-1", { NULL } },
	{ XDS_LISTENER, "ingress_http", "listener-1", { NULL } },
	{ XDS_ROUTE, "ingress_http", "route-c", { CC } },
	{ XDS_ROUTE, "shop.example.com", "shop-a", { CA } },
	{ 0, NULL, NULL, { NULL } },
};

/* moved, then the route changed again (a header) while held. */
static const struct res moved_again[] = {
	{ XDS_CLUSTER, CA, "cluster-a-1", { EA } },
	{ XDS_CLUSTER, CC, "cluster-c-1", { EC } },
	{ XDS_ENDPOINT, EA, "endpoints-a-1", { NULL } },
	{ XDS_ENDPOINT, EC, "endpoints-c-1", { NULL } },
	{ XDS_LISTENER, "ingress_http", "listener-1", { NULL } },
	{ XDS_ROUTE, "ingress_http", "route-c-2", { CC } },
	{ XDS_ROUTE, "shop.example.com", "shop-a", { CA } },
	{ 0, NULL, NULL, { NULL } },
};

/* moved, then c removed again while held: the route goes to a. */
static const struct res moved_back[] = {
	{ XDS_CLUSTER, CA, "cluster-a-1", { EA } },
	{ XDS_ENDPOINT, EA, "endpoints-a-1", { NULL } },
	{ XDS_LISTENER, "ingress_http", "listener-1", { NULL } },
	{ XDS_ROUTE, "ingress_http", "route-a", { CA } },
	{ XDS_ROUTE, "shop.example.com", "shop-a", { CA } },
	{ 0, NULL, NULL, { NULL } },
};

/* The route moved to an ExternalName Service (a DNS cluster). */
static const struct res moved_dns[] = {
	{ XDS_CLUSTER, CA, "cluster-a-1", { EA } },
	{ XDS_CLUSTER, CD, "cluster-d-dns", { NULL } },
	{ XDS_ENDPOINT, EA, "endpoints-a-1", { NULL } },
	{ XDS_LISTENER, "ingress_http", "listener-1", { NULL } },
	{ XDS_ROUTE, "ingress_http", "route-d", { CD } },
	{ XDS_ROUTE, "shop.example.com", "shop-a", { CA } },
	{ 0, NULL, NULL, { NULL } },
};

/* Cluster b updated (new options, same name) and the route changed. */
static const struct res b_updated[] = {
	{ XDS_CLUSTER, CA, "cluster-a-1", { EA } },
	{ XDS_CLUSTER, CB, "cluster-b-2", { EB } },
	{ XDS_ENDPOINT, EA, "endpoints-a-1", { NULL } },
	{ XDS_ENDPOINT, EB, "endpoints-b-1", { NULL } },
	{ XDS_LISTENER, "ingress_http", "listener-1", { NULL } },
	{ XDS_ROUTE, "ingress_http", "route-b-2", { CB } },
	{ XDS_ROUTE, "shop.example.com", "shop-a", { CA } },
	{ 0, NULL, NULL, { NULL } },
};

/* shop.example.com's route moved to the new Service c. */
static const struct res shop_moved[] = {
	{ XDS_CLUSTER, CA, "cluster-a-1", { EA } },
	{ XDS_CLUSTER, CB, "cluster-b-1", { EB } },
	{ XDS_CLUSTER, CC, "cluster-c-1", { EC } },
	{ XDS_ENDPOINT, EA, "endpoints-a-1", { NULL } },
	{ XDS_ENDPOINT, EB, "endpoints-b-1", { NULL } },
	{ XDS_ENDPOINT, EC, "endpoints-c-1", { NULL } },
	{ XDS_LISTENER, "ingress_http", "listener-1", { NULL } },
	{ XDS_ROUTE, "ingress_http", "route-b", { CB } },
	{ XDS_ROUTE, "shop.example.com", "shop-c", { CC } },
	{ 0, NULL, NULL, { NULL } },
};

/* The route moved to a new cluster of Service a with other options: the
 * same endpoints (default/a/80) the client already has. */
static const struct res moved_same_endpoints[] = {
	{ XDS_CLUSTER, CA, "cluster-a-1", { EA } },
	{ XDS_CLUSTER, CA2, "cluster-a-y", { EA } },
	{ XDS_CLUSTER, CB, "cluster-b-1", { EB } },
	{ XDS_ENDPOINT, EA, "endpoints-a-1", { NULL } },
	{ XDS_ENDPOINT, EB, "endpoints-b-1", { NULL } },
	{ XDS_LISTENER, "ingress_http", "listener-1", { NULL } },
	{ XDS_ROUTE, "ingress_http", "route-a-y", { CA2 } },
	{ XDS_ROUTE, "shop.example.com", "shop-a", { CA } },
	{ 0, NULL, NULL, { NULL } },
};

static int64_t fake_now = 1000000;

static int64_t
fake_clock(void)
{
	return fake_now;
}

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

static size_t
count(const char *const *names)
{
	size_t n = 0;

	while (names[n] != NULL)
		n++;
	return n;
}

/* --- the snapshot's record of uses ------------------------------------------ */

static bool
uses(const struct xds_resource *r, const char *cluster)
{
	for (size_t i = 0; i < r->nuses; i++)
		if (r->uses[i] == xds_name_hash(cluster))
			return true;
	return false;
}

static void
test_snapshot_uses(void **state)
{
	struct snapshot_builder *b = snapshot_builder_new("rev");
	const uint64_t twice[] = { xds_name_hash(CB), xds_name_hash(CA),
	    xds_name_hash(CB) };
	const uint64_t more[] = { xds_name_hash(CC), xds_name_hash(CA) };
	char *ea = strdup(EA);
	const struct xds_resource *r, *c;
	struct snapshot *s;

	(void)state;
	/* Added out of name order, recorded out of name order. */
	snapshot_builder_add(b, XDS_ROUTE, "r2", "y", 1, false);
	snapshot_builder_add(b, XDS_ROUTE, "r", "x", 1, false);
	snapshot_builder_add(b, XDS_CLUSTER, CB, "b", 1, false);
	snapshot_builder_add(b, XDS_CLUSTER, CA, "a", 1, false);
	snapshot_builder_add(b, XDS_ENDPOINT, EA, "ea", 2, false);
	snapshot_builder_add_uses(b, XDS_ROUTE, "r2", more, 1);
	snapshot_builder_add_uses(b, XDS_ROUTE, "r", twice, 3);
	snapshot_builder_add_uses(b, XDS_ROUTE, "r", more, 2); /* adds up */
	snapshot_builder_set_endpoints(b, CA, ea);
	snapshot_builder_add_uses(b, XDS_ROUTE, "not-there", twice, 1);
	snapshot_builder_set_endpoints(b, "not-there", EB);
	s = snapshot_builder_finish(b);
	free(ea); /* copied by the snapshot */

	r = snapshot_find(s, XDS_ROUTE, "r");
	assert_int_equal(r->nuses, 3); /* b, a, c: each once */
	assert_true(uses(r, CA));
	assert_true(uses(r, CB));
	assert_true(uses(r, CC));
	r = snapshot_find(s, XDS_ROUTE, "r2");
	assert_int_equal(r->nuses, 1);
	assert_true(uses(r, CC));
	c = snapshot_find(s, XDS_CLUSTER, CA);
	assert_string_equal(c->endpoints, EA);
	assert_int_equal(c->nuses, 0);
	assert_null(snapshot_find(s, XDS_CLUSTER, CB)->endpoints);
	snapshot_unref(s);
}

/* --- SotW ---------------------------------------------------------------------- */

struct sotw_fixture {
	struct sotw_stream st;
	struct snapshot *snap;
	char nonce[XDS_TYPE_COUNT][21];
};

static int
sotw_setup(void **state)
{
	struct sotw_fixture *f = calloc(1, sizeof *f);

	sotw_init(&f->st);
	f->st.warming.timeout_ms = TIMEOUT;
	f->st.warming.clock = fake_clock;
	f->snap = build(base);
	fake_now = 1000000;
	*state = f;
	return 0;
}

static int
sotw_teardown(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_free(&f->st);
	snapshot_unref(f->snap);
	free(f);
	return 0;
}

static void
sotw_publish(struct sotw_fixture *f, const struct res *list)
{
	snapshot_unref(f->snap);
	f->snap = build(list);
}

/* A request naming names, ACKing the last response of its type. */
static void
sotw_request(struct sotw_fixture *f, enum xds_type t, const char *const *names)
{
	struct sotw_request req = {
		.type_url = xds_type_url(t),
		.version_info = "",
		.response_nonce = f->nonce[t],
		.resource_names = names,
		.n_resource_names = count(names),
		.node_id = "node-1",
		.node_cluster = "c",
	};
	struct sotw_result res;
	char *err = NULL;

	assert_int_equal(sotw_handle_request(&f->st, &req, &res, &err), 0);
	assert_null(err);
}

/* The next response is of type t with exactly names; returns its version. */
static void
sotw_expect(struct sotw_fixture *f, enum xds_type t, const char *const *names)
{
	struct sotw_response r;
	size_t n = count(names);

	assert_true(sotw_next_response(&f->st, f->snap, &r));
	assert_int_equal(r.type, t);
	assert_int_equal(r.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r.items[i]->name, names[i]);
	memcpy(f->nonce[t], r.nonce, sizeof r.nonce);
	sotw_response_free(&r);
}

static void
sotw_expect_held(struct sotw_fixture *f)
{
	struct sotw_response r;

	assert_false(sotw_next_response(&f->st, f->snap, &r));
	assert_true(f->st.warming.held);
	/* Woken at the timeout of the cluster it waits for. */
	assert_true(ads_warming_deadline(&f->st.warming) > fake_now);
	assert_true(ads_warming_deadline(&f->st.warming) <= fake_now + TIMEOUT);
}

static void
sotw_expect_nothing(struct sotw_fixture *f)
{
	struct sotw_response r;

	assert_false(sotw_next_response(&f->st, f->snap, &r));
	assert_false(f->st.warming.held);
	assert_int_equal(ads_warming_deadline(&f->st.warming), 0);
}

/* An Envoy: wildcard CDS and LDS, EDS and RDS by name, as it asks after
 * each response; everything ACKed. */
static void
sotw_sync_envoy(struct sotw_fixture *f)
{
	sotw_request(f, XDS_CLUSTER, NONE);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB));
	sotw_request(f, XDS_CLUSTER, NONE);
	sotw_request(f, XDS_ENDPOINT, NAMES(EA, EB));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA, EB));
	sotw_request(f, XDS_ENDPOINT, NAMES(EA, EB));
	sotw_request(f, XDS_LISTENER, NONE);
	sotw_expect(f, XDS_LISTENER, NAMES("ingress_http"));
	sotw_request(f, XDS_LISTENER, NONE);
	sotw_request(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_request(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0); /* the first EDS response came */
}

/* CDS add < EDS for it < RDS < CDS removal. */
static void
test_sotw_route_waits_for_endpoints(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_sync_envoy(f);
	sotw_publish(f, moved);
	/* c added (b kept until the route stops using it). */
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB, CC));
	sotw_request(f, XDS_CLUSTER, NONE);
	/* b's endpoints went: the old subscription's answer, without c's. */
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect_held(f);
	fake_now += 100;
	sotw_request(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect_held(f); /* still not c's endpoints */
	/* Envoy asks for the new cluster's endpoints. */
	sotw_request(f, XDS_ENDPOINT, NAMES(EA, EC));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA, EC));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	assert_string_equal(f->st.types[XDS_ROUTE].sent_version,
	    f->snap->types[XDS_ROUTE].version_hex);
	sotw_request(f, XDS_ROUTE, NAMES("ingress_http"));
	/* Only now is b withdrawn. */
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CC));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.timeouts, 0);
}

/* The client never asks for the endpoints: the timeout lets the route go,
 * counted once. */
static void
test_sotw_timeout_releases(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_sync_envoy(f);
	sotw_publish(f, moved);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB, CC));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect_held(f);
	fake_now += TIMEOUT - 1;
	assert_false(sotw_next_response(&f->st, f->snap,
	    &(struct sotw_response){ 0 }));
	assert_true(f->st.warming.held);
	fake_now += 1;
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	assert_int_equal(f->st.warming.timeouts, 1);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CC));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.timeouts, 1);
	assert_int_equal(f->st.warming.n, 0);
}

/* The new cluster is removed while the route waits for it: the route
 * (now without it) goes at once, nothing counted, nothing left. */
static void
test_sotw_cluster_removed_while_held(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_sync_envoy(f);
	sotw_publish(f, moved);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB, CC));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect_held(f);
	sotw_publish(f, moved_back);
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	assert_string_equal(f->st.types[XDS_ROUTE].sent_version,
	    f->snap->types[XDS_ROUTE].version_hex);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0);
	assert_int_equal(f->st.warming.timeouts, 0);
}

/* Changes while held: one RDS response, of the newest snapshot. */
static void
test_sotw_newest_goes_out(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_sync_envoy(f);
	sotw_publish(f, moved);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB, CC));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect_held(f);
	sotw_publish(f, moved_again);
	sotw_expect_held(f);
	sotw_request(f, XDS_ENDPOINT, NAMES(EA, EC));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA, EC));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	assert_string_equal(f->st.types[XDS_ROUTE].sent_version,
	    f->snap->types[XDS_ROUTE].version_hex);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CC));
	sotw_expect_nothing(f);
}

/* A DNS cluster has no endpoints to wait for; an updated cluster keeps
 * serving while Envoy warms its replacement: neither holds the route. */
static void
test_sotw_no_gate_for_dns_or_updated(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_sync_envoy(f);
	sotw_publish(f, moved_dns);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB, CD));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CD));
	sotw_expect_nothing(f);

	sotw_publish(f, b_updated);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB, CD));
	sotw_request(f, XDS_ENDPOINT, NAMES(EA, EB));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA, EB));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB));
	sotw_expect_nothing(f);

	/* b updated again (the client has b): the route goes at once. */
	sotw_publish(f, base);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.timeouts, 0);
}

/* A new cluster whose endpoints the client already has (the same Service
 * with other options) waits for nothing. */
static void
test_sotw_endpoints_already_sent(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_sync_envoy(f);
	sotw_publish(f, moved_same_endpoints);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CA2, CB));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0);
}

/* A proxyless gRPC client names what it wants, the route first and the
 * cluster after: the route is never held for a cluster it was not sent
 * (it asks for the cluster only once it has the route). */
static void
test_sotw_proxyless_route_first(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_request(f, XDS_LISTENER, NAMES("shop.example.com"));
	sotw_expect(f, XDS_LISTENER, NONE); /* no such listener here: empty */
	sotw_request(f, XDS_ROUTE, NAMES("shop.example.com"));
	sotw_expect(f, XDS_ROUTE, NAMES("shop.example.com"));
	sotw_request(f, XDS_ROUTE, NAMES("shop.example.com"));
	sotw_expect_nothing(f);
	/* It learns cluster a from the route, then a's endpoints. */
	sotw_request(f, XDS_CLUSTER, NAMES(CA));
	sotw_expect(f, XDS_CLUSTER, NAMES(CA));
	sotw_request(f, XDS_CLUSTER, NAMES(CA));
	sotw_request(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_request(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect_nothing(f);
	/* Its route moves to c, which it has not asked for: the route goes
	 * at once (waiting would wait forever: it asks for c after). */
	sotw_publish(f, shop_moved);
	sotw_expect(f, XDS_ROUTE, NAMES("shop.example.com"));
	sotw_request(f, XDS_ROUTE, NAMES("shop.example.com"));
	sotw_expect_nothing(f);
	sotw_request(f, XDS_CLUSTER, NAMES(CA, CC));
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CC));
	sotw_request(f, XDS_CLUSTER, NAMES(CA, CC));
	sotw_request(f, XDS_ENDPOINT, NAMES(EA, EC));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA, EC));
	sotw_request(f, XDS_ENDPOINT, NAMES(EA, EC));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0);
	/* Back to a, which it has with its endpoints: nothing waits (c's
	 * endpoints go, then the route, then c). */
	sotw_publish(f, base);
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect(f, XDS_ROUTE, NAMES("shop.example.com"));
	sotw_expect(f, XDS_CLUSTER, NAMES(CA));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.timeouts, 0);
}

/* A stream's first CDS response starts no warming (Envoy waits for every
 * cluster's endpoints before it asks for listeners): a client that asks
 * for routes at once gets them at once. */
static void
test_sotw_first_cds_not_gated(void **state)
{
	struct sotw_fixture *f = *state;

	sotw_request(f, XDS_CLUSTER, NONE);
	sotw_request(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0);
}

/* The client rejects the CDS update with the new cluster: it will never
 * ask for its endpoints, so the route goes at once, not at the timeout. */
static void
test_sotw_cds_nack_releases(void **state)
{
	struct sotw_fixture *f = *state;
	struct sotw_request req = {
		.type_url = xds_type_url(XDS_CLUSTER),
		.version_info = "",
		.resource_names = NONE,
		.has_error = true,
		.error_code = 3,
		.error_message = "rejected by test",
	};
	struct sotw_result res;
	char *err = NULL;

	sotw_sync_envoy(f);
	sotw_publish(f, moved);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB, CC));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect_held(f);
	req.response_nonce = f->nonce[XDS_CLUSTER];
	assert_int_equal(sotw_handle_request(&f->st, &req, &res, &err), 0);
	assert_int_equal(res.verdict, ADS_NACK);
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	assert_int_equal(f->st.warming.timeouts, 0);
}

/* xds.warming-timeout: 0 turns the gate off. */
static void
test_sotw_disabled(void **state)
{
	struct sotw_fixture *f = *state;

	f->st.warming.timeout_ms = 0;
	sotw_sync_envoy(f);
	sotw_publish(f, moved);
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CB, CC));
	sotw_expect(f, XDS_ENDPOINT, NAMES(EA));
	sotw_expect(f, XDS_ROUTE, NAMES("ingress_http"));
	sotw_expect(f, XDS_CLUSTER, NAMES(CA, CC));
	sotw_expect_nothing(f);
}

/* --- delta --------------------------------------------------------------------- */

struct delta_fixture {
	struct delta_stream st;
	struct snapshot *snap;
	char nonce[XDS_TYPE_COUNT][21];
};

static int
delta_setup(void **state)
{
	struct delta_fixture *f = calloc(1, sizeof *f);

	delta_init(&f->st);
	f->st.warming.timeout_ms = TIMEOUT;
	f->st.warming.clock = fake_clock;
	f->snap = build(base);
	fake_now = 1000000;
	*state = f;
	return 0;
}

static int
delta_teardown(void **state)
{
	struct delta_fixture *f = *state;

	delta_free(&f->st);
	snapshot_unref(f->snap);
	free(f);
	return 0;
}

static void
delta_publish(struct delta_fixture *f, const struct res *list)
{
	snapshot_unref(f->snap);
	f->snap = build(list);
}

/* A request subscribing to names, ACKing the last response of its type. */
static void
delta_request(struct delta_fixture *f, enum xds_type t, const char *const *sub)
{
	struct delta_request req = {
		.type_url = xds_type_url(t),
		.response_nonce = f->nonce[t],
		.subscribe = sub,
		.nsubscribe = count(sub),
		.unsubscribe = NONE,
		.node_id = "node-1",
		.node_cluster = "c",
	};
	struct delta_result res;
	char *err = NULL;

	assert_int_equal(delta_handle_request(&f->st, &req, &res, &err), 0);
	assert_null(err);
}

static void
delta_expect(struct delta_fixture *f, enum xds_type t, const char *const *names,
    const char *const *removed)
{
	struct delta_response r;
	size_t n = count(names), nr = count(removed);

	assert_true(delta_next_response(&f->st, f->snap, &r));
	assert_int_equal(r.type, t);
	assert_int_equal(r.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r.items[i]->name, names[i]);
	assert_int_equal(r.nremoved, nr);
	for (size_t i = 0; i < nr; i++)
		assert_string_equal(r.removed[i], removed[i]);
	memcpy(f->nonce[t], r.nonce, sizeof r.nonce);
	delta_response_free(&r);
}

static void
delta_expect_held(struct delta_fixture *f)
{
	struct delta_response r;

	assert_false(delta_next_response(&f->st, f->snap, &r));
	assert_true(f->st.warming.held);
	/* Woken at the timeout of the cluster it waits for. */
	assert_true(ads_warming_deadline(&f->st.warming) > fake_now);
	assert_true(ads_warming_deadline(&f->st.warming) <= fake_now + TIMEOUT);
}

static void
delta_expect_nothing(struct delta_fixture *f)
{
	struct delta_response r;

	assert_false(delta_next_response(&f->st, f->snap, &r));
	assert_false(f->st.warming.held);
}

static void
delta_sync_envoy(struct delta_fixture *f)
{
	delta_request(f, XDS_CLUSTER, NONE);
	delta_expect(f, XDS_CLUSTER, NAMES(CA, CB), NONE);
	delta_request(f, XDS_ENDPOINT, NAMES(EA, EB));
	delta_expect(f, XDS_ENDPOINT, NAMES(EA, EB), NONE);
	delta_request(f, XDS_LISTENER, NONE);
	delta_expect(f, XDS_LISTENER, NAMES("ingress_http"), NONE);
	delta_request(f, XDS_ROUTE, NAMES("ingress_http"));
	delta_expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE);
	delta_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0);
}

static void
test_delta_route_waits_for_endpoints(void **state)
{
	struct delta_fixture *f = *state;

	delta_sync_envoy(f);
	delta_publish(f, moved);
	delta_expect(f, XDS_CLUSTER, NAMES(CC), NONE);
	delta_expect_held(f);
	fake_now += 100;
	delta_request(f, XDS_CLUSTER, NONE); /* the ACK */
	delta_expect_held(f);
	/* Envoy subscribes to the new cluster's endpoints. */
	delta_request(f, XDS_ENDPOINT, NAMES(EC));
	delta_expect(f, XDS_ENDPOINT, NAMES(EC), NONE);
	delta_expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE);
	/* Removals last: the cluster, then its endpoints. */
	delta_expect(f, XDS_CLUSTER, NONE, NAMES(CB));
	delta_expect(f, XDS_ENDPOINT, NONE, NAMES(EB));
	delta_expect_nothing(f);
	assert_int_equal(f->st.warming.timeouts, 0);
}

static void
test_delta_timeout_releases(void **state)
{
	struct delta_fixture *f = *state;

	delta_sync_envoy(f);
	delta_publish(f, moved);
	delta_expect(f, XDS_CLUSTER, NAMES(CC), NONE);
	delta_expect_held(f);
	fake_now += TIMEOUT;
	delta_expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE);
	assert_int_equal(f->st.warming.timeouts, 1);
	delta_expect(f, XDS_CLUSTER, NONE, NAMES(CB));
	delta_expect(f, XDS_ENDPOINT, NONE, NAMES(EB));
	delta_expect_nothing(f);
	assert_int_equal(f->st.warming.timeouts, 1);
}

static void
test_delta_cluster_removed_while_held(void **state)
{
	struct delta_fixture *f = *state;

	delta_sync_envoy(f);
	delta_publish(f, moved);
	delta_expect(f, XDS_CLUSTER, NAMES(CC), NONE);
	delta_expect_held(f);
	delta_publish(f, moved_back);
	delta_expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE);
	delta_expect(f, XDS_CLUSTER, NONE, NAMES(CB, CC));
	delta_expect(f, XDS_ENDPOINT, NONE, NAMES(EB));
	delta_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0);
	assert_int_equal(f->st.warming.timeouts, 0);
}

static void
test_delta_newest_goes_out(void **state)
{
	struct delta_fixture *f = *state;
	struct delta_response r;

	delta_sync_envoy(f);
	delta_publish(f, moved);
	delta_expect(f, XDS_CLUSTER, NAMES(CC), NONE);
	delta_expect_held(f);
	delta_publish(f, moved_again);
	delta_expect_held(f);
	delta_request(f, XDS_ENDPOINT, NAMES(EC));
	delta_expect(f, XDS_ENDPOINT, NAMES(EC), NONE);
	assert_true(delta_next_response(&f->st, f->snap, &r));
	assert_int_equal(r.type, XDS_ROUTE);
	assert_int_equal(r.n, 1);
	assert_ptr_equal(r.items[0], snapshot_find(f->snap, XDS_ROUTE, "ingress_http"));
	delta_response_free(&r);
	delta_expect(f, XDS_CLUSTER, NONE, NAMES(CB));
	delta_expect(f, XDS_ENDPOINT, NONE, NAMES(EB));
	delta_expect_nothing(f);
}

static void
test_delta_no_gate_for_dns_or_known_endpoints(void **state)
{
	struct delta_fixture *f = *state;

	delta_sync_envoy(f);
	delta_publish(f, moved_same_endpoints);
	delta_expect(f, XDS_CLUSTER, NAMES(CA2), NONE);
	delta_expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE);
	delta_expect_nothing(f);
	delta_publish(f, moved_dns);
	delta_expect(f, XDS_CLUSTER, NAMES(CD), NONE);
	delta_expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE);
	delta_expect(f, XDS_CLUSTER, NONE, NAMES(CA2, CB));
	delta_expect(f, XDS_ENDPOINT, NONE, NAMES(EB));
	delta_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0);
}

/* Named subscriptions, route first: never held. */
static void
test_delta_proxyless_route_first(void **state)
{
	struct delta_fixture *f = *state;

	delta_request(f, XDS_ROUTE, NAMES("shop.example.com"));
	delta_expect(f, XDS_ROUTE, NAMES("shop.example.com"), NONE);
	delta_request(f, XDS_CLUSTER, NAMES(CA));
	delta_expect(f, XDS_CLUSTER, NAMES(CA), NONE);
	delta_request(f, XDS_ENDPOINT, NAMES(EA));
	delta_expect(f, XDS_ENDPOINT, NAMES(EA), NONE);
	delta_expect_nothing(f);
	delta_publish(f, shop_moved);
	delta_expect(f, XDS_ROUTE, NAMES("shop.example.com"), NONE);
	delta_expect_nothing(f);
	delta_request(f, XDS_CLUSTER, NAMES(CC));
	delta_expect(f, XDS_CLUSTER, NAMES(CC), NONE);
	delta_request(f, XDS_ENDPOINT, NAMES(EC));
	delta_expect(f, XDS_ENDPOINT, NAMES(EC), NONE);
	delta_expect_nothing(f);
	assert_int_equal(f->st.warming.n, 0);
	assert_int_equal(f->st.warming.timeouts, 0);
}

/* A reconnecting client says what it has (initial_resource_versions): a
 * cluster added while it was away warms even in the first response. */
static void
test_delta_reconnect_new_cluster_gated(void **state)
{
	struct delta_fixture *f = *state;
	struct snapshot *old = build(base);
	char va[17], vb[17];
	struct delta_request req = {
		.type_url = xds_type_url(XDS_CLUSTER),
		.response_nonce = "",
		.subscribe = NONE,
		.unsubscribe = NONE,
		.initial_names = NAMES(CA, CB),
		.initial_versions = (const char *const[]){ va, vb, NULL },
		.ninitial = 2,
		.node_id = "node-1",
	};
	struct delta_result res;
	char *err = NULL;

	hash_hex(snapshot_find(old, XDS_CLUSTER, CA)->version, va);
	hash_hex(snapshot_find(old, XDS_CLUSTER, CB)->version, vb);
	snapshot_unref(old);
	delta_publish(f, moved);
	assert_int_equal(delta_handle_request(&f->st, &req, &res, &err), 0);
	delta_request(f, XDS_ROUTE, NAMES("ingress_http"));
	delta_expect(f, XDS_CLUSTER, NAMES(CC), NONE);
	delta_expect_held(f);
	delta_request(f, XDS_ENDPOINT, NAMES(EA, EC));
	delta_expect(f, XDS_ENDPOINT, NAMES(EA, EC), NONE);
	delta_expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE);
	delta_expect(f, XDS_CLUSTER, NONE, NAMES(CB));
	delta_expect_nothing(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_uses),
#define S(t) cmocka_unit_test_setup_teardown(t, sotw_setup, sotw_teardown)
		S(test_sotw_route_waits_for_endpoints),
		S(test_sotw_timeout_releases),
		S(test_sotw_cluster_removed_while_held),
		S(test_sotw_newest_goes_out),
		S(test_sotw_no_gate_for_dns_or_updated),
		S(test_sotw_endpoints_already_sent),
		S(test_sotw_proxyless_route_first),
		S(test_sotw_disabled),
		S(test_sotw_first_cds_not_gated),
		S(test_sotw_cds_nack_releases),
#undef S
#define D(t) cmocka_unit_test_setup_teardown(t, delta_setup, delta_teardown)
		D(test_delta_route_waits_for_endpoints),
		D(test_delta_timeout_releases),
		D(test_delta_cluster_removed_while_held),
		D(test_delta_newest_goes_out),
		D(test_delta_no_gate_for_dns_or_known_endpoints),
		D(test_delta_proxyless_route_first),
		D(test_delta_reconnect_new_cluster_gated),
#undef D
	};

	log_set_level(LOG_LEVEL_ERROR); /* the timeout warnings are expected */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
