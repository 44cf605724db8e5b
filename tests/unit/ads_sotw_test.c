/* The SotW protocol state machine (src/ads/sotw.c) without grpc: what a
 * stream sends, and when, for every rule of Envoy's xDS protocol document
 * that cairn follows (SPEC.md §8). */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <grpc/slice.h>

#include "ads/bodies.h"
#include "ads/sotw.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "util/log.h"

struct res {
	enum xds_type type;
	const char *name;
	const char *content; /* opaque bytes are enough here */
	bool named_only;
};

static struct snapshot *
build(const struct res *list)
{
	struct snapshot_builder *b = snapshot_builder_new("test");

	for (const struct res *r = list; r->name != NULL; r++)
		snapshot_builder_add(b, r->type, r->name, r->content,
		    strlen(r->content), r->named_only);
	return snapshot_builder_finish(b);
}

/* One of everything, plus a named-only (proxyless api_listener) Listener. */
static const struct res base[] = {
	{ XDS_SECRET, "default/cert", "cert-1", false },
	{ XDS_CLUSTER, "default/a/80/x", "cluster-a-1", false },
	{ XDS_CLUSTER, "default/b/80/x", "cluster-b-1", false },
	{ XDS_ENDPOINT, "default/a/80", "endpoints-a-1", false },
	{ XDS_ENDPOINT, "default/b/80", "endpoints-b-1", false },
	{ XDS_LISTENER, "ingress_http", "listener-http-1", false },
	{ XDS_LISTENER, "shop.example.com", "api-listener-1", true },
	{ XDS_ROUTE, "ingress_http", "route-1", false },
	{ XDS_ROUTE, "shop.example.com", "api-route-1", false },
	{ 0, NULL, NULL, false },
};

/* Cluster a and endpoints a changed, cluster b and endpoints b removed. */
static const struct res changed[] = {
	{ XDS_SECRET, "default/cert", "cert-1", false },
	{ XDS_CLUSTER, "default/a/80/x", "cluster-a-2", false },
	{ XDS_ENDPOINT, "default/a/80", "endpoints-a-2", false },
	{ XDS_LISTENER, "ingress_http", "listener-http-1", false },
	{ XDS_LISTENER, "shop.example.com", "api-listener-1", true },
	{ XDS_ROUTE, "ingress_http", "route-1", false },
	{ XDS_ROUTE, "shop.example.com", "api-route-1", false },
	{ 0, NULL, NULL, false },
};

/* Only endpoints b changed. */
static const struct res b_changed[] = {
	{ XDS_SECRET, "default/cert", "cert-1", false },
	{ XDS_CLUSTER, "default/a/80/x", "cluster-a-1", false },
	{ XDS_CLUSTER, "default/b/80/x", "cluster-b-1", false },
	{ XDS_ENDPOINT, "default/a/80", "endpoints-a-1", false },
	{ XDS_ENDPOINT, "default/b/80", "endpoints-b-2", false },
	{ XDS_LISTENER, "ingress_http", "listener-http-1", false },
	{ XDS_LISTENER, "shop.example.com", "api-listener-1", true },
	{ XDS_ROUTE, "ingress_http", "route-1", false },
	{ XDS_ROUTE, "shop.example.com", "api-route-1", false },
	{ 0, NULL, NULL, false },
};

/* Only cluster a changed. */
static const struct res cluster_changed[] = {
	{ XDS_SECRET, "default/cert", "cert-1", false },
	{ XDS_CLUSTER, "default/a/80/x", "cluster-a-3", false },
	{ XDS_CLUSTER, "default/b/80/x", "cluster-b-1", false },
	{ XDS_ENDPOINT, "default/a/80", "endpoints-a-1", false },
	{ XDS_ENDPOINT, "default/b/80", "endpoints-b-1", false },
	{ XDS_LISTENER, "ingress_http", "listener-http-1", false },
	{ XDS_LISTENER, "shop.example.com", "api-listener-1", true },
	{ XDS_ROUTE, "ingress_http", "route-1", false },
	{ XDS_ROUTE, "shop.example.com", "api-route-1", false },
	{ 0, NULL, NULL, false },
};

static const struct res nothing[] = { { 0, NULL, NULL, false } };

struct fixture {
	struct sotw_stream st;
	struct snapshot *snap;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	/* Each test starts as a fresh server would: no shared plans holding
	 * subscriptions of an earlier one. */
	sotw_plan_cache_clear();
	sotw_init(&f->st);
	f->snap = build(base);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sotw_free(&f->st);
	snapshot_unref(f->snap);
	free(f);
	return 0;
}

/* Replaces the fixture's current snapshot. */
static void
publish(struct fixture *f, const struct res *list)
{
	snapshot_unref(f->snap);
	f->snap = build(list);
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

/* Sends a request; nonce NULL = none; error NULL = ACK or plain request. */
static struct sotw_result
request_full(struct fixture *f, enum xds_type t, const char *nonce,
    const char *const *names, const char *error, const char *node)
{
	struct sotw_request req = {
		.type_url = xds_type_url(t),
		.version_info = "",
		.response_nonce = nonce ? nonce : "",
		.resource_names = names,
		.n_resource_names = count(names),
		.node_id = node,
		.node_cluster = node ? "c" : NULL,
		.has_error = error != NULL,
		.error_code = error ? 3 : 0,
		.error_message = error,
	};
	struct sotw_result res;
	char *err = NULL;

	assert_int_equal(sotw_handle_request(&f->st, &req, &res, &err), 0);
	assert_null(err);
	assert_int_equal(res.type, t);
	return res;
}

static struct sotw_result
request(struct fixture *f, enum xds_type t, const char *nonce,
    const char *const *names)
{
	return request_full(f, t, nonce, names, NULL, NULL);
}

/* Expects the next response to be of type t with exactly names (in order);
 * returns its nonce in nonce_out (21 bytes). */
static void
expect_response(struct fixture *f, enum xds_type t, const char *const *names,
    char *nonce_out)
{
	struct sotw_response r;
	size_t n = count(names);

	assert_true(sotw_next_response(&f->st, f->snap, &r));
	assert_int_equal(r.type, t);
	assert_string_equal(r.version, f->snap->types[t].version_hex);
	assert_int_equal(r.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r.items[i]->name, names[i]);
	if (nonce_out != NULL)
		memcpy(nonce_out, r.nonce, sizeof r.nonce);
	sotw_response_free(&r);
}

/* Same for a make-before-break response: nkept of names are resources the
 * snapshot lost, still sent; the version is then the response's own. */
static void
expect_kept(struct fixture *f, enum xds_type t, const char *const *names,
    size_t nkept, char *nonce_out)
{
	struct sotw_response r;
	size_t n = count(names);

	assert_true(sotw_next_response(&f->st, f->snap, &r));
	assert_int_equal(r.type, t);
	assert_int_equal(r.nkept, nkept);
	assert_false(r.withdrawal);
	if (nkept > 0)
		assert_string_not_equal(r.version, f->snap->types[t].version_hex);
	else
		assert_string_equal(r.version, f->snap->types[t].version_hex);
	assert_int_equal(strlen(r.version), 16);
	assert_int_equal(r.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r.items[i]->name, names[i]);
	if (nonce_out != NULL)
		memcpy(nonce_out, r.nonce, sizeof r.nonce);
	sotw_response_free(&r);
}

/* The make-before-break withdrawal: exactly the snapshot's selection. */
static void
expect_withdrawal(struct fixture *f, enum xds_type t, const char *const *names,
    char *nonce_out)
{
	struct sotw_response r;
	size_t n = count(names);

	assert_true(sotw_next_response(&f->st, f->snap, &r));
	assert_int_equal(r.type, t);
	assert_true(r.withdrawal);
	assert_int_equal(r.nkept, 0);
	assert_string_equal(r.version, f->snap->types[t].version_hex);
	assert_int_equal(r.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r.items[i]->name, names[i]);
	if (nonce_out != NULL)
		memcpy(nonce_out, r.nonce, sizeof r.nonce);
	sotw_response_free(&r);
}

static void
expect_nothing(struct fixture *f)
{
	struct sotw_response r;

	assert_false(sotw_next_response(&f->st, f->snap, &r));
	assert_null(r.items);
}

static void
test_lds_legacy_wildcard(void **state)
{
	struct fixture *f = *state;
	struct sotw_result res;
	char nonce[21];

	res = request_full(f, XDS_LISTENER, NULL, NONE, NULL, "node-1");
	assert_true(res.first);
	assert_int_equal(res.verdict, ADS_REQUEST);
	assert_true(f->st.types[XDS_LISTENER].wildcard);
	/* The named-only api_listener is not sent under a wildcard. */
	expect_response(f, XDS_LISTENER, NAMES("ingress_http"), nonce);
	assert_string_equal(nonce, "1");
	expect_nothing(f);

	/* Envoy keeps sending empty lists: still the legacy wildcard. */
	res = request(f, XDS_LISTENER, nonce, NONE);
	assert_int_equal(res.verdict, ADS_ACK);
	assert_false(res.subscription_changed);
	assert_true(f->st.types[XDS_LISTENER].wildcard);
	expect_nothing(f);
	assert_string_equal(f->st.node_id, "node-1");
}

static void
test_cds_wildcard_and_unknown_named(void **state)
{
	struct fixture *f = *state;

	request(f, XDS_CLUSTER, NULL, NONE);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NULL);
	expect_nothing(f);
}

static void
test_first_request_answered_when_empty(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	publish(f, nothing);
	request(f, XDS_CLUSTER, NULL, NONE);
	request(f, XDS_ROUTE, NULL, NAMES("missing"));
	/* Empty responses, with the current (empty set's) version. */
	expect_response(f, XDS_CLUSTER, NONE, nonce);
	expect_response(f, XDS_ROUTE, NONE, NULL);
	expect_nothing(f);
	/* The ACK does not cause another one. */
	request(f, XDS_CLUSTER, nonce, NONE);
	expect_nothing(f);
}

static void
test_nothing_before_first_snapshot(void **state)
{
	struct fixture *f = *state;
	struct sotw_response r;

	request(f, XDS_CLUSTER, NULL, NONE);
	assert_false(sotw_next_response(&f->st, NULL, &r));
	/* Still owed once a snapshot exists. */
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NULL);
}

static void
test_explicit_wildcard_and_names(void **state)
{
	struct fixture *f = *state;
	struct sotw_result res;
	char nonce[21];

	request(f, XDS_LISTENER, NULL, NAMES("*", "shop.example.com"));
	assert_true(f->st.types[XDS_LISTENER].wildcard);
	expect_response(f, XDS_LISTENER, NAMES("ingress_http", "shop.example.com"), nonce);

	/* Leaving the wildcard, keeping the name. */
	res = request(f, XDS_LISTENER, nonce, NAMES("shop.example.com"));
	assert_int_equal(res.verdict, ADS_ACK);
	assert_true(res.subscription_changed);
	expect_response(f, XDS_LISTENER, NAMES("shop.example.com"), nonce);

	/* Empty after naming something: unsubscribed from everything, not a
	 * legacy wildcard. */
	request(f, XDS_LISTENER, nonce, NONE);
	assert_false(f->st.types[XDS_LISTENER].wildcard);
	expect_response(f, XDS_LISTENER, NONE, nonce);
	expect_nothing(f);
	publish(f, changed);
	expect_nothing(f);
}

/* Streams sharing a subscription share its selection: made once per set
 * version, valid for another snapshot with the same set, made again when
 * the set changes, and still right for every stream. */
static void
test_selection_shared(void **state)
{
	struct fixture *f = *state;
	struct fixture g = { 0 };
	struct ads_names *l;

	sotw_init(&g.st);
	g.snap = snapshot_ref(f->snap);
	request(f, XDS_ENDPOINT, NULL, NAMES("default/b/80", "default/a/80", "nope"));
	request(&g, XDS_ENDPOINT, NULL, NAMES("default/a/80", "nope", "default/b/80"));
	l = f->st.types[XDS_ENDPOINT].names;
	assert_ptr_equal(l, g.st.types[XDS_ENDPOINT].names);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80", "default/b/80"), NULL);
	expect_response(&g, XDS_ENDPOINT, NAMES("default/a/80", "default/b/80"), NULL);
	assert_int_equal(l->sel_made, 1);

	/* A new snapshot with other endpoints: one new selection. */
	publish(f, changed);
	snapshot_unref(g.snap);
	g.snap = snapshot_ref(f->snap);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), NULL);
	expect_response(&g, XDS_ENDPOINT, NAMES("default/a/80"), NULL);
	assert_int_equal(l->sel_made, 2);

	/* Back to the first set, in a snapshot of its own: the indices are
	 * made for it and point into it. */
	publish(f, base);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80", "default/b/80"), NULL);
	assert_int_equal(l->sel_made, 3);
	{
		/* The same set in another snapshot: no new selection, and the
		 * items are that snapshot's. */
		struct sotw_response r;

		snapshot_unref(g.snap);
		g.snap = build(base);
		assert_true(sotw_next_response(&g.st, g.snap, &r));
		assert_int_equal(r.n, 2);
		assert_ptr_equal(r.items[0], xds_set_at(&g.snap->types[XDS_ENDPOINT], 0));
		assert_ptr_equal(r.items[1], xds_set_at(&g.snap->types[XDS_ENDPOINT], 1));
		sotw_response_free(&r);
		assert_int_equal(l->sel_made, 3);
	}
	snapshot_unref(g.snap);
	g.snap = build(b_changed); /* same names, another endpoints version */
	expect_response(&g, XDS_ENDPOINT, NAMES("default/a/80", "default/b/80"), NULL);
	assert_int_equal(l->sel_made, 4);
	snapshot_unref(g.snap);
	sotw_free(&g.st);
}

/* Streams that name the same resources share one interned list, whatever
 * the order or duplicates of their requests; it is freed with the last. */
static void
test_subscriptions_interned(void **state)
{
	struct fixture *f = *state;
	struct fixture g = { 0 };
	size_t before = ads_names_interned();

	sotw_init(&g.st);
	request(f, XDS_ENDPOINT, NULL, NAMES("default/b/80", "default/a/80"));
	request(&g, XDS_ENDPOINT, NULL,
	    NAMES("default/a/80", "default/b/80", "default/a/80"));
	assert_non_null(f->st.types[XDS_ENDPOINT].names);
	assert_ptr_equal(f->st.types[XDS_ENDPOINT].names,
	    g.st.types[XDS_ENDPOINT].names);
	assert_int_equal(ads_names_interned(), before + 1);
	assert_true(sotw_is_named(&g.st.types[XDS_ENDPOINT], "default/a/80"));
	assert_false(sotw_is_named(&g.st.types[XDS_ENDPOINT], "default/c/80"));

	/* g changes its mind: a list of its own, f's stays. */
	assert_true(request(&g, XDS_ENDPOINT, NULL, NAMES("default/a/80"))
	    .subscription_changed);
	assert_ptr_not_equal(f->st.types[XDS_ENDPOINT].names,
	    g.st.types[XDS_ENDPOINT].names);
	assert_int_equal(ads_names_count(f->st.types[XDS_ENDPOINT].names), 2);
	assert_int_equal(ads_names_interned(), before + 2);
	/* The same list again is no change. */
	assert_false(request(&g, XDS_ENDPOINT, NULL, NAMES("default/a/80"))
	    .subscription_changed);
	sotw_free(&g.st);
	assert_int_equal(ads_names_interned(), before + 1);
}

static void
test_named_only_listener_when_named(void **state)
{
	struct fixture *f = *state;

	request(f, XDS_LISTENER, NULL, NAMES("shop.example.com"));
	expect_response(f, XDS_LISTENER, NAMES("shop.example.com"), NULL);
	expect_nothing(f);
}

static void
test_named_rds_eds(void **state)
{
	struct fixture *f = *state;

	request(f, XDS_ROUTE, NULL, NAMES("ingress_http", "missing", "ingress_http"));
	assert_int_equal(ads_names_count(f->st.types[XDS_ROUTE].names), 2); /* duplicates dropped */
	request(f, XDS_ENDPOINT, NULL, NAMES("default/b/80"));
	/* Make-before-break order: EDS before RDS. */
	expect_response(f, XDS_ENDPOINT, NAMES("default/b/80"), NULL);
	expect_response(f, XDS_ROUTE, NAMES("ingress_http"), NULL);
	expect_nothing(f);
}

static void
test_empty_named_type_subscribes_nothing(void **state)
{
	struct fixture *f = *state;

	/* RDS has no legacy wildcard: an empty first request names nothing,
	 * but is still answered. */
	request(f, XDS_ROUTE, NULL, NONE);
	assert_false(f->st.types[XDS_ROUTE].wildcard);
	expect_response(f, XDS_ROUTE, NONE, NULL);
	expect_nothing(f);
}

static void
test_ack_then_no_redundant_response(void **state)
{
	struct fixture *f = *state;
	struct sotw_result res;
	char nonce[21];

	request(f, XDS_CLUSTER, NULL, NONE);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), nonce);
	res = request(f, XDS_CLUSTER, nonce, NONE);
	assert_int_equal(res.verdict, ADS_ACK);
	assert_string_equal(f->st.types[XDS_CLUSTER].acked_version,
	    f->snap->types[XDS_CLUSTER].version_hex);
	expect_nothing(f);

	/* A new snapshot with the same content (new object): nothing. */
	publish(f, base);
	expect_nothing(f);
	assert_ptr_equal(f->st.types[XDS_CLUSTER].sent_snap, f->snap);
}

static void
test_new_version_resent(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_CLUSTER, NULL, NONE);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), nonce);
	request(f, XDS_CLUSTER, nonce, NONE);
	publish(f, changed);
	/* Make before break: b is still sent (at the version the client has)
	 * with the new a, then withdrawn: the full state without b. */
	expect_kept(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), 1, nonce);
	assert_string_equal(nonce, "2");
	assert_int_equal(f->st.types[XDS_CLUSTER].nkept, 1);
	assert_string_equal(f->st.types[XDS_CLUSTER].kept[0].name, "default/b/80/x");
	assert_memory_equal(f->st.types[XDS_CLUSTER].kept[0].bytes, "cluster-b-1", 11);
	expect_withdrawal(f, XDS_CLUSTER, NAMES("default/a/80/x"), nonce);
	assert_string_equal(nonce, "3");
	assert_int_equal(f->st.types[XDS_CLUSTER].nkept, 0);
	expect_nothing(f);
}

static void
test_nack_not_resent_until_change(void **state)
{
	struct fixture *f = *state;
	struct sotw_result res;
	char nonce[21], v1[17], v2[17];

	request(f, XDS_CLUSTER, NULL, NONE);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), nonce);
	memcpy(v1, f->snap->types[XDS_CLUSTER].version_hex, sizeof v1);
	request(f, XDS_CLUSTER, nonce, NONE);

	publish(f, cluster_changed);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), nonce);
	memcpy(v2, f->snap->types[XDS_CLUSTER].version_hex, sizeof v2);
	res = request_full(f, XDS_CLUSTER, nonce, NONE, "bad cluster", NULL);
	assert_int_equal(res.verdict, ADS_NACK);
	assert_true(f->st.types[XDS_CLUSTER].has_nack);
	assert_string_equal(f->st.types[XDS_CLUSTER].nack.version, v2);
	assert_string_equal(f->st.types[XDS_CLUSTER].nack.message, "bad cluster");
	assert_string_equal(f->st.types[XDS_CLUSTER].acked_version, v1);
	/* Never resend the rejected version... */
	expect_nothing(f);
	publish(f, cluster_changed);
	expect_nothing(f);
	/* ...and a repeated NACK is not a new one. */
	res = request_full(f, XDS_CLUSTER, nonce, NONE, "bad cluster", NULL);
	assert_int_equal(res.verdict, ADS_NACK_REPEATED);
	expect_nothing(f);
	/* The next change is sent. */
	publish(f, base);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), nonce);
	res = request(f, XDS_CLUSTER, nonce, NONE);
	assert_int_equal(res.verdict, ADS_ACK);
	assert_string_equal(f->st.types[XDS_CLUSTER].acked_version, v1);
}

static void
test_stale_nonce(void **state)
{
	struct fixture *f = *state;
	struct sotw_result res;
	char n1[21], n2[21];

	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), n1);
	publish(f, changed);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), n2);

	/* A NACK of an older response is not a NACK. */
	res = request_full(f, XDS_ENDPOINT, n1, NAMES("default/a/80"), "old", NULL);
	assert_int_equal(res.verdict, ADS_STALE);
	assert_false(f->st.types[XDS_ENDPOINT].has_nack);
	expect_nothing(f);
	/* Nor is an ACK. */
	res = request(f, XDS_ENDPOINT, n1, NAMES("default/a/80"));
	assert_int_equal(res.verdict, ADS_STALE);
	assert_string_equal(f->st.types[XDS_ENDPOINT].acked_version, "");
	/* But its subscription change counts. */
	publish(f, base);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), n2);
	res = request(f, XDS_ENDPOINT, n1, NAMES("default/a/80", "default/b/80"));
	assert_int_equal(res.verdict, ADS_STALE);
	assert_true(res.subscription_changed);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80", "default/b/80"), NULL);
	expect_nothing(f);
}

static void
test_newly_named_always_sent(void **state)
{
	struct fixture *f = *state;
	char nonce[21], version[17];

	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), nonce);
	memcpy(version, f->snap->types[XDS_ENDPOINT].version_hex, sizeof version);
	request(f, XDS_ENDPOINT, nonce, NAMES("default/a/80"));
	expect_nothing(f);
	/* Same type version, a new name: sent, with a and b. */
	request(f, XDS_ENDPOINT, nonce, NAMES("default/a/80", "default/b/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80", "default/b/80"), nonce);
	assert_string_equal(f->st.types[XDS_ENDPOINT].sent_version, version);
	/* Naming one that does not exist changes nothing to send. */
	request(f, XDS_ENDPOINT, nonce, NAMES("default/a/80", "default/b/80", "nope"));
	expect_nothing(f);
}

static void
test_unrelated_change_not_sent(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), nonce);
	request(f, XDS_ENDPOINT, nonce, NAMES("default/a/80"));
	publish(f, b_changed);
	expect_nothing(f);
	/* The stream let go of the old snapshot. */
	assert_ptr_equal(f->st.types[XDS_ENDPOINT].sent_snap, f->snap);
}

static void
test_unsubscribe_all(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), nonce);
	request(f, XDS_ENDPOINT, nonce, NONE);
	assert_int_equal(ads_names_count(f->st.types[XDS_ENDPOINT].names), 0);
	expect_response(f, XDS_ENDPOINT, NONE, nonce);
	publish(f, changed);
	expect_nothing(f);
}

static void
test_make_before_break_order(void **state)
{
	struct fixture *f = *state;
	struct sotw_response r;
	char nonces[XDS_TYPE_COUNT][21];

	/* Requested in the "wrong" order, before any snapshot exists. */
	snapshot_unref(f->snap);
	f->snap = NULL;
	request(f, XDS_ROUTE, NULL, NAMES("ingress_http"));
	request(f, XDS_LISTENER, NULL, NONE);
	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"));
	request(f, XDS_CLUSTER, NULL, NONE);
	request(f, XDS_SECRET, NULL, NAMES("default/cert"));
	assert_false(sotw_next_response(&f->st, f->snap, &r));
	f->snap = build(base);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		assert_true(sotw_next_response(&f->st, f->snap, &r));
		assert_int_equal(r.type, t);
		memcpy(nonces[t], r.nonce, sizeof nonces[t]);
		sotw_response_free(&r);
	}
	expect_nothing(f);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const char *const *names = t == XDS_CLUSTER || t == XDS_LISTENER ? NONE :
		    t == XDS_SECRET ? NAMES("default/cert") :
		    t == XDS_ENDPOINT ? NAMES("default/a/80") : NAMES("ingress_http");

		assert_int_equal(request(f, (enum xds_type)t, nonces[t], names).verdict,
		    ADS_ACK);
	}
	expect_nothing(f);
	/* One change to several types: CDS (still with b) before EDS, then
	 * b withdrawn; nothing else. */
	publish(f, changed);
	expect_kept(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), 1, NULL);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), NULL);
	expect_withdrawal(f, XDS_CLUSTER, NAMES("default/a/80/x"), NULL);
	expect_nothing(f);
}

/* Subscribes to everything in base and ACKs it all. */
static void
sync_everything(struct fixture *f)
{
	const char *const *const names[XDS_TYPE_COUNT] = {
		[XDS_SECRET] = NAMES("default/cert"),
		[XDS_CLUSTER] = NONE,
		[XDS_ENDPOINT] = NAMES("default/a/80", "default/b/80", "default/c/80"),
		[XDS_LISTENER] = NONE,
		[XDS_ROUTE] = NAMES("https", "ingress_http"),
	};
	char nonces[XDS_TYPE_COUNT][21];
	struct sotw_response r;

	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		request(f, (enum xds_type)t, NULL, names[t]);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		assert_true(sotw_next_response(&f->st, f->snap, &r));
		assert_int_equal(r.type, t);
		memcpy(nonces[t], r.nonce, sizeof nonces[t]);
		sotw_response_free(&r);
	}
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		request(f, (enum xds_type)t, nonces[t], names[t]);
	expect_nothing(f);
}

/* Routes move from cluster b to a new cluster c, listener ingress_http is
 * replaced by ingress_https. */
static const struct res switched[] = {
	{ XDS_SECRET, "default/cert", "cert-1", false },
	{ XDS_CLUSTER, "default/a/80/x", "cluster-a-1", false },
	{ XDS_CLUSTER, "default/c/80/x", "cluster-c-1", false },
	{ XDS_ENDPOINT, "default/a/80", "endpoints-a-1", false },
	{ XDS_ENDPOINT, "default/c/80", "endpoints-c-1", false },
	{ XDS_LISTENER, "ingress_https", "listener-https-1", false },
	{ XDS_LISTENER, "shop.example.com", "api-listener-1", true },
	{ XDS_ROUTE, "https", "route-https-1", false },
	{ XDS_ROUTE, "ingress_http", "route-2", false },
	{ XDS_ROUTE, "shop.example.com", "api-route-1", false },
	{ 0, NULL, NULL, false },
};

static void
test_make_before_break_removal(void **state)
{
	struct fixture *f = *state;

	sync_everything(f);
	publish(f, switched);
	/* Make: c added next to a, b kept; endpoints; the new listener with
	 * the old one kept; the routes that now use c. */
	expect_kept(f, XDS_CLUSTER,
	    NAMES("default/a/80/x", "default/b/80/x", "default/c/80/x"), 1, NULL);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80", "default/c/80"), NULL);
	expect_kept(f, XDS_LISTENER, NAMES("ingress_http", "ingress_https"), 1, NULL);
	expect_response(f, XDS_ROUTE, NAMES("https", "ingress_http"), NULL);
	/* Break: listeners, then clusters. */
	expect_withdrawal(f, XDS_LISTENER, NAMES("ingress_https"), NULL);
	expect_withdrawal(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/c/80/x"), NULL);
	expect_nothing(f);
	/* Nothing pins the old snapshot. */
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		assert_ptr_equal(f->st.types[t].sent_snap, f->snap);
}

static void
test_make_before_break_interrupted(void **state)
{
	struct fixture *f = *state;

	sync_everything(f);
	publish(f, switched);
	expect_kept(f, XDS_CLUSTER,
	    NAMES("default/a/80/x", "default/b/80/x", "default/c/80/x"), 1, NULL);
	/* The change is reverted before the rest went out: the client has a,
	 * b and c; c is now the one kept until the withdrawal. */
	publish(f, base);
	expect_withdrawal(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NULL);
	expect_nothing(f);
	/* A change that only removes: kept, then withdrawn at once (no route
	 * to wait for). */
	publish(f, changed);
	expect_kept(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), 1, NULL);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), NULL);
	expect_withdrawal(f, XDS_CLUSTER, NAMES("default/a/80/x"), NULL);
	expect_nothing(f);
}

static void
test_make_before_break_nack(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_CLUSTER, NULL, NONE);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), nonce);
	request(f, XDS_CLUSTER, nonce, NONE);
	publish(f, changed);
	expect_kept(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), 1, nonce);
	/* Rejected: not resent, and the withdrawal still follows. */
	assert_int_equal(request_full(f, XDS_CLUSTER, nonce, NONE, "bad", NULL).verdict,
	    ADS_NACK);
	expect_withdrawal(f, XDS_CLUSTER, NAMES("default/a/80/x"), nonce);
	expect_nothing(f);
}

static void
test_subscription_change_not_kept(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_LISTENER, NULL, NAMES("ingress_http", "shop.example.com"));
	expect_response(f, XDS_LISTENER, NAMES("ingress_http", "shop.example.com"), nonce);
	/* The client stops naming one: it is simply gone, nothing kept. */
	request(f, XDS_LISTENER, nonce, NAMES("shop.example.com"));
	expect_kept(f, XDS_LISTENER, NAMES("shop.example.com"), 0, nonce);
	expect_nothing(f);
}

static void
test_eds_rewarm_after_cds(void **state)
{
	struct fixture *f = *state;
	char cds[21], eds[21];

	request(f, XDS_CLUSTER, NULL, NONE);
	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"));
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), cds);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), eds);
	request(f, XDS_CLUSTER, cds, NONE);
	request(f, XDS_ENDPOINT, eds, NAMES("default/a/80"));
	expect_nothing(f);

	/* Only the cluster changed: Envoy re-creates it and asks for its
	 * endpoints again, which must be answered though unchanged. */
	publish(f, cluster_changed);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), cds);
	expect_nothing(f);
	request(f, XDS_CLUSTER, cds, NONE);
	expect_nothing(f);
	request(f, XDS_ENDPOINT, eds, NAMES("default/a/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), eds);
	request(f, XDS_ENDPOINT, eds, NAMES("default/a/80"));
	expect_nothing(f);
}

static void
test_eds_rewarm_not_fooled_by_late_ack(void **state)
{
	struct fixture *f = *state;
	char cds[21], eds[21];

	/* EDS sent, and before its ACK arrives, a CDS response. */
	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), eds);
	request(f, XDS_CLUSTER, NULL, NONE);
	expect_response(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), cds);
	/* That ACK is only the ACK: nothing to send. */
	assert_int_equal(request(f, XDS_ENDPOINT, eds, NAMES("default/a/80")).verdict, ADS_ACK);
	expect_nothing(f);
	/* The same request again is Envoy asking for the re-created
	 * clusters' endpoints: answered. */
	request(f, XDS_ENDPOINT, eds, NAMES("default/a/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), eds);
	request(f, XDS_ENDPOINT, eds, NAMES("default/a/80"));
	expect_nothing(f);
	/* When the change's EDS response follows its CDS response, nothing
	 * more is owed. */
	request(f, XDS_CLUSTER, cds, NONE);
	publish(f, changed);
	expect_kept(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), 1, cds);
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), eds);
	expect_withdrawal(f, XDS_CLUSTER, NAMES("default/a/80/x"), cds);
	request(f, XDS_ENDPOINT, eds, NAMES("default/a/80"));
	expect_nothing(f);
	request(f, XDS_ENDPOINT, eds, NAMES("default/a/80"));
	expect_nothing(f);
}

static void
test_node_from_first_request(void **state)
{
	struct fixture *f = *state;

	request_full(f, XDS_CLUSTER, NULL, NONE, NULL, "first");
	request_full(f, XDS_LISTENER, NULL, NONE, NULL, NULL);
	request_full(f, XDS_ROUTE, NULL, NONE, NULL, "other");
	assert_string_equal(f->st.node_id, "first");
	assert_string_equal(f->st.node_cluster, "c");
}

static void
test_invalid_type_url(void **state)
{
	struct fixture *f = *state;
	struct sotw_request req = { .type_url = "", .response_nonce = "" };
	struct sotw_result res;
	char *err = NULL;

	assert_int_equal(sotw_handle_request(&f->st, &req, &res, &err), -1);
	assert_non_null(strstr(err, "type_url"));
	free(err);
	err = NULL;
	req.type_url = "type.googleapis.com/envoy.config.listener.v3.Nope";
	assert_int_equal(sotw_handle_request(&f->st, &req, &res, &err), -1);
	assert_non_null(strstr(err, "envoy.config.listener.v3.Nope"));
	free(err);
	err = NULL;
	req.type_url = NULL;
	assert_int_equal(sotw_handle_request(&f->st, &req, &res, &err), -1);
	free(err);
	err = NULL;
	{
		/* A hostile one is cut in the message (status details, log). */
		char *huge = malloc(1 << 20);

		memset(huge, 'x', (1 << 20) - 1);
		huge[(1 << 20) - 1] = '\0';
		req.type_url = huge;
		assert_int_equal(sotw_handle_request(&f->st, &req, &res, &err), -1);
		assert_true(strlen(err) < 400);
		assert_non_null(strstr(err, "1048575 bytes"));
		free(err);
		free(huge);
	}
}

static void
test_decode_message(void **state)
{
	struct fixture *f = *state;
	Envoy__Service__Discovery__V3__DiscoveryRequest m =
	    ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;
	Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
	char *names[] = { (char *)"default/a/80" };
	static const uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0xff };
	struct sotw_result res;
	uint8_t buf[512];
	char *err = NULL;
	size_t len;

	assert_int_equal(sotw_handle_message(&f->st, garbage, sizeof garbage, &res, &err), -1);
	assert_non_null(strstr(err, "cannot decode"));
	free(err);
	err = NULL;

	node.id = (char *)"envoy-1";
	node.cluster = (char *)"edge";
	m.node = &node;
	m.type_url = (char *)xds_type_url(XDS_ENDPOINT);
	m.n_resource_names = 1;
	m.resource_names = names;
	len = envoy__service__discovery__v3__discovery_request__pack(&m, buf);
	assert_int_equal(sotw_handle_message(&f->st, buf, len, &res, &err), 0);
	assert_int_equal(res.type, XDS_ENDPOINT);
	assert_string_equal(f->st.node_id, "envoy-1");
	assert_string_equal(f->st.node_cluster, "edge");
	assert_true(sotw_is_named(&f->st.types[XDS_ENDPOINT], "default/a/80"));
	expect_response(f, XDS_ENDPOINT, NAMES("default/a/80"), NULL);

	/* A NACK through the wire format. */
	m.node = NULL;
	m.response_nonce = (char *)"1";
	status.code = 3;
	status.message = (char *)"no such cluster";
	m.error_detail = &status;
	len = envoy__service__discovery__v3__discovery_request__pack(&m, buf);
	assert_int_equal(sotw_handle_message(&f->st, buf, len, &res, &err), 0);
	assert_int_equal(res.verdict, ADS_NACK);
	assert_string_equal(f->st.types[XDS_ENDPOINT].nack.message, "no such cluster");
	assert_int_equal(f->st.types[XDS_ENDPOINT].nack.code, 3);

	/* An empty message has no type_url. */
	assert_int_equal(sotw_handle_message(&f->st, buf, 0, &res, &err), -1);
	free(err);
}

/* A request repeating the subscription (every ACK does) is recognised
 * in any order without a new list; anything else is a change. */
static void
test_repeated_subscription(void **state)
{
	struct fixture *f = *state;
	struct ads_names *l;

	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("b", "a", "c"))
	    .subscription_changed);
	l = f->st.types[XDS_ENDPOINT].names;
	assert_false(request(f, XDS_ENDPOINT, NULL, NAMES("a", "b", "c"))
	    .subscription_changed);
	assert_false(request(f, XDS_ENDPOINT, NULL, NAMES("c", "a", "b"))
	    .subscription_changed);
	assert_false(request(f, XDS_ENDPOINT, NULL, NAMES("a", "c", "b"))
	    .subscription_changed);
	assert_ptr_equal(f->st.types[XDS_ENDPOINT].names, l);
	/* Duplicates, fewer, more, other: changes. */
	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("a", "a", "c"))
	    .subscription_changed);
	assert_int_equal(ads_names_count(f->st.types[XDS_ENDPOINT].names), 2);
	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("c", "a", "b"))
	    .subscription_changed);
	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("b", "a", "c", "d"))
	    .subscription_changed);
	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("b", "a", "c"))
	    .subscription_changed);
	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("b", "a", "x"))
	    .subscription_changed);
	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("b", "c", "b"))
	    .subscription_changed);
	assert_int_equal(ads_names_count(f->st.types[XDS_ENDPOINT].names), 2);
	/* The wildcard marker alone is a change, the names staying. */
	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("c", "*", "b"))
	    .subscription_changed);
	assert_true(f->st.types[XDS_ENDPOINT].wildcard);
	assert_false(request(f, XDS_ENDPOINT, NULL, NAMES("b", "c", "*"))
	    .subscription_changed);
	assert_true(request(f, XDS_ENDPOINT, NULL, NAMES("b", "c"))
	    .subscription_changed);
	assert_false(f->st.types[XDS_ENDPOINT].wildcard);
	assert_true(request(f, XDS_ENDPOINT, NULL, NONE).subscription_changed);
	assert_null(f->st.types[XDS_ENDPOINT].names);
	assert_false(request(f, XDS_ENDPOINT, NULL, NONE).subscription_changed);
}

/* The work of a change per stream (issue #14): NSTREAMS streams in two
 * subscription groups (CDS wildcard and EDS naming every load assignment;
 * CDS naming half the clusters) over NRES resources; one change updates,
 * removes and adds one cluster and updates one load assignment. The sets
 * are walked once per group, and each stream touches only what changed
 * for it: were the selection or the full-state diff made per stream again,
 * the walks would be NSTREAMS * NRES. The responses are the protocol's. */
#define NRES 2000
#define NSTREAMS 300

static struct snapshot *
build_many(int variant)
{
	struct snapshot_builder *b = snapshot_builder_new("test");
	char name[64], content[64];

	for (int i = 0; i < NRES; i++) {
		/* variant 1: cluster 7 updated, cluster 8 gone, cluster
		 * NRES added, endpoints 9 updated. */
		if (variant == 1 && i == 8)
			continue;
		snprintf(name, sizeof name, "ns/svc%05d/80/x", i);
		snprintf(content, sizeof content, "cluster-%d-%d", i,
		    variant == 1 && i == 7);
		snapshot_builder_add(b, XDS_CLUSTER, name, content, strlen(content), false);
		snprintf(name, sizeof name, "ns/svc%05d/80", i);
		snprintf(content, sizeof content, "endpoints-%d-%d", i,
		    variant == 1 && i == 9);
		snapshot_builder_add(b, XDS_ENDPOINT, name, content, strlen(content), false);
	}
	if (variant == 1) {
		snprintf(name, sizeof name, "ns/svc%05d/80/x", NRES);
		snapshot_builder_add(b, XDS_CLUSTER, name, "new", 3, false);
	}
	return snapshot_builder_finish(b);
}

/* Takes every response st has for snap, acknowledging each; returns how
 * many, with the types in order in types (room for 8). */
static size_t
drain(struct sotw_stream *st, struct snapshot *snap, enum xds_type *types,
    size_t *nkept, size_t *ns)
{
	struct sotw_response r;
	size_t k = 0;

	while (sotw_next_response(st, snap, &r)) {
		struct sotw_request ack = {
			.type_url = xds_type_url(r.type),
			.version_info = r.version,
			.response_nonce = r.nonce,
		};
		struct sotw_result res;
		char *err = NULL;

		assert_true(k < 8);
		/* The shared body length is the encoded one. */
		{
			size_t len = sotw_response_encode_body(&r, NULL);
			uint8_t *buf = malloc(len);

			assert_int_equal(sotw_response_encode_body(&r, buf), len);
			free(buf);
		}
		types[k] = r.type;
		nkept[k] = r.nkept;
		ns[k++] = r.n;
		/* Same subscription as before: the request repeats it. */
		ack.resource_names = NULL;
		ack.n_resource_names = 0;
		if (r.type == XDS_ENDPOINT || st->types[r.type].names != NULL) {
			const struct ads_names *l = st->types[r.type].names;

			ack.resource_names = l->v;
			ack.n_resource_names = l->n;
		}
		sotw_response_free(&r);
		assert_int_equal(sotw_handle_request(st, &ack, &res, &err), 0);
		assert_int_equal(res.verdict, ADS_ACK);
		assert_false(res.subscription_changed);
	}
	return k;
}

static void
test_change_work_per_stream(void **state)
{
	struct fixture *f = *state;
	struct sotw_stream *st = calloc(NSTREAMS, sizeof *st);
	struct snapshot *s0 = build_many(0), *s1 = build_many(1);
	const char **eds = calloc(NRES, sizeof *eds), **half = calloc(NRES / 2, sizeof *half);
	enum xds_type types[8];
	size_t nkept[8], ns[8], k;
	uint64_t shared, per_stream, made;

	(void)f;
	for (int i = 0; i < NRES; i++) {
		eds[i] = xds_set_at(&s0->types[XDS_ENDPOINT], i)->name;
		if (i < NRES / 2)
			half[i] = xds_set_at(&s0->types[XDS_CLUSTER], i)->name;
	}
	for (int i = 0; i < NSTREAMS; i++) {
		bool named = i % 2 == 1;
		struct sotw_request cds = {
			.type_url = xds_type_url(XDS_CLUSTER), .response_nonce = "",
			.resource_names = named ? half : NULL,
			.n_resource_names = named ? NRES / 2 : 0,
		}, eds_req = {
			.type_url = xds_type_url(XDS_ENDPOINT), .response_nonce = "",
			.resource_names = eds, .n_resource_names = NRES,
		};
		struct sotw_result res;
		char *err = NULL;

		sotw_init(&st[i]);
		assert_int_equal(sotw_handle_request(&st[i], &cds, &res, &err), 0);
		assert_int_equal(sotw_handle_request(&st[i], &eds_req, &res, &err), 0);
		k = drain(&st[i], s0, types, nkept, ns);
		assert_int_equal(k, 2);
		assert_int_equal(ns[0], named ? NRES / 2 : NRES);
		assert_int_equal(ns[1], NRES);
	}

	sotw_work.shared_visits = 0;
	sotw_work.stream_visits = 0;
	sotw_work.plans_made = 0;
	for (int i = 0; i < NSTREAMS; i++) {
		bool named = i % 2 == 1;

		k = drain(&st[i], s1, types, nkept, ns);
		/* CDS with the lost cluster kept, EDS, the CDS withdrawal. */
		assert_int_equal(k, 3);
		assert_int_equal(types[0], XDS_CLUSTER);
		assert_int_equal(nkept[0], 1);
		assert_int_equal(ns[0], named ? NRES / 2 : NRES + 1);
		assert_int_equal(types[1], XDS_ENDPOINT);
		assert_int_equal(ns[1], NRES - 1);
		assert_int_equal(types[2], XDS_CLUSTER);
		assert_int_equal(nkept[2], 0);
		assert_int_equal(ns[2], named ? NRES / 2 - 1 : NRES);
		assert_false(sotw_next_response(&st[i], s1, &(struct sotw_response){ 0 }));
	}
	shared = sotw_work.shared_visits;
	per_stream = sotw_work.stream_visits;
	made = sotw_work.plans_made;
	print_message("change: %" PRIu64 " plans, %" PRIu64 " shared visits, "
	    "%" PRIu64 " per-stream visits over %d streams\n", made, shared,
	    per_stream, NSTREAMS);
	/* Per group and type: the diff plan, the withdrawal's selection. */
	assert_true(made <= 6);
	assert_true(shared <= 6 * 2 * (NRES + 1));
	/* What changed for a stream: one kept copy. */
	assert_true(per_stream <= 2 * NSTREAMS);

	/* A few names in the big set (looked up, not merged): exactly the
	 * ones that exist, in order. */
	{
		const char *few[] = { "ns/svc01999/80/x", "nope", "ns/svc00005/80/x",
		    "ns/svc00008/80/x" };
		struct sotw_request cds = {
			.type_url = xds_type_url(XDS_CLUSTER), .response_nonce = "",
			.resource_names = few, .n_resource_names = 4,
		};
		struct sotw_result res;
		struct sotw_response r;
		char *err = NULL;

		sotw_free(&st[0]);
		sotw_init(&st[0]);
		assert_int_equal(sotw_handle_request(&st[0], &cds, &res, &err), 0);
		assert_true(sotw_next_response(&st[0], s1, &r));
		assert_int_equal(r.n, 2);
		assert_string_equal(r.items[0]->name, "ns/svc00005/80/x");
		assert_string_equal(r.items[1]->name, "ns/svc01999/80/x");
		sotw_response_free(&r);
	}

	for (int i = 0; i < NSTREAMS; i++)
		sotw_free(&st[i]);
	free(st);
	free(eds);
	free(half);
	sotw_plan_cache_clear();
	snapshot_unref(s0);
	snapshot_unref(s1);
}

static void
test_encode_response(void **state)
{
	struct fixture *f = *state;
	Envoy__Service__Discovery__V3__DiscoveryResponse *m;
	struct sotw_response r;
	uint8_t *buf;
	size_t len;

	request(f, XDS_CLUSTER, NULL, NONE);
	assert_true(sotw_next_response(&f->st, f->snap, &r));
	len = sotw_response_encode(&r, NULL);
	buf = malloc(len);
	assert_int_equal(sotw_response_encode(&r, buf), len);

	m = envoy__service__discovery__v3__discovery_response__unpack(NULL, len, buf);
	assert_non_null(m);
	assert_string_equal(m->version_info, f->snap->types[XDS_CLUSTER].version_hex);
	assert_string_equal(m->type_url, xds_type_url(XDS_CLUSTER));
	assert_string_equal(m->nonce, r.nonce);
	assert_int_equal(m->n_resources, 2);
	for (size_t i = 0; i < m->n_resources; i++) {
		const struct xds_resource *want = xds_set_at(&f->snap->types[XDS_CLUSTER], i);

		assert_string_equal(m->resources[i]->type_url, xds_type_url(XDS_CLUSTER));
		assert_int_equal(m->resources[i]->value.len, want->len);
		assert_memory_equal(m->resources[i]->value.data, want->bytes, want->len);
	}
	envoy__service__discovery__v3__discovery_response__free_unpacked(m, NULL);
	free(buf);
	sotw_response_free(&r);
}

static size_t
fill_body(const void *r, uint8_t *buf)
{
	return sotw_response_encode_body(r, buf);
}

/* The body of stream st's next response through cache c, checked to make
 * a whole DiscoveryResponse with the stream's own head. */
static grpc_slice
shared_body(struct ads_body_cache *c, struct sotw_stream *st,
    struct snapshot *snap, size_t want_resources)
{
	Envoy__Service__Discovery__V3__DiscoveryResponse *m;
	struct sotw_response r;
	size_t hlen, blen;
	grpc_slice body;
	uint8_t *buf;

	assert_true(sotw_next_response(st, snap, &r));
	hlen = sotw_response_encode_head(&r, NULL);
	blen = sotw_response_encode_body(&r, NULL);
	body = ads_body_get(c, ads_body_key(0, r.type, r.set_hash), blen, fill_body, &r);
	assert_int_equal(GRPC_SLICE_LENGTH(body), blen);
	buf = malloc(hlen + blen);
	assert_int_equal(sotw_response_encode_head(&r, buf), hlen);
	memcpy(buf + hlen, GRPC_SLICE_START_PTR(body), blen);
	m = envoy__service__discovery__v3__discovery_response__unpack(NULL, hlen + blen, buf);
	assert_non_null(m);
	assert_string_equal(m->nonce, r.nonce);
	assert_string_equal(m->version_info, r.version);
	assert_string_equal(m->type_url, xds_type_url(r.type));
	assert_int_equal(m->n_resources, want_resources);
	envoy__service__discovery__v3__discovery_response__free_unpacked(m, NULL);
	free(buf);
	sotw_response_free(&r);
	return body;
}

/* Streams sent the same set share one encoded body; another set, or the
 * same set after a publish cleared the cache, is encoded anew. */
static void
test_shared_body(void **state)
{
	struct fixture *f = *state;
	struct sotw_stream g, h;
	struct ads_body_cache c;
	grpc_slice b1, b2, b3, b4;

	ads_body_cache_init(&c);
	sotw_init(&g);
	sotw_init(&h);
	request(f, XDS_CLUSTER, NULL, NONE);
	b1 = shared_body(&c, &f->st, f->snap, 2);
	/* Same set, another stream (its nonce and version are its own). */
	{
		struct sotw_result res;
		struct sotw_request req = { .type_url = xds_type_url(XDS_CLUSTER),
			.response_nonce = "" };
		char *err = NULL;

		g.nonce_counter = 41;
		assert_int_equal(sotw_handle_request(&g, &req, &res, &err), 0);
		b2 = shared_body(&c, &g, f->snap, 2);
		req.resource_names = NAMES("default/a/80/x");
		req.n_resource_names = 1;
		assert_int_equal(sotw_handle_request(&h, &req, &res, &err), 0);
		b3 = shared_body(&c, &h, f->snap, 1);
	}
	assert_ptr_equal(GRPC_SLICE_START_PTR(b1), GRPC_SLICE_START_PTR(b2));
	/* The whole set is known by the type version, a part by its hash. */
	assert_int_equal(g.types[XDS_CLUSTER].sent_set,
	    f->snap->types[XDS_CLUSTER].version);
	assert_int_not_equal(h.types[XDS_CLUSTER].sent_set,
	    f->snap->types[XDS_CLUSTER].version);
	{
		const struct xds_resource *all[2] = {
			xds_set_at(&f->snap->types[XDS_CLUSTER], 0),
			xds_set_at(&f->snap->types[XDS_CLUSTER], 1),
		};

		assert_int_equal(ads_hash_items(all, 2),
		    f->snap->types[XDS_CLUSTER].version);
		assert_int_equal(h.types[XDS_CLUSTER].sent_set, ads_hash_items(all, 1));
	}
	assert_ptr_not_equal(GRPC_SLICE_START_PTR(b1), GRPC_SLICE_START_PTR(b3));
	assert_int_equal(c.misses, 2);
	assert_int_equal(c.hits, 1);
	/* The cache's reference goes; the streams' stay valid. */
	ads_body_cache_clear(&c);
	assert_int_equal(c.bytes, 0);
	publish(f, cluster_changed);
	b4 = shared_body(&c, &g, f->snap, 2);
	assert_ptr_not_equal(GRPC_SLICE_START_PTR(b4), GRPC_SLICE_START_PTR(b2));
	assert_int_equal(c.misses, 3);
	grpc_slice_unref(b1);
	grpc_slice_unref(b2);
	grpc_slice_unref(b3);
	grpc_slice_unref(b4);
	sotw_free(&g);
	sotw_free(&h);
	ads_body_cache_destroy(&c);
}

/* Released after a burst of sends: the cache holds nothing and says how
 * much it let go; a body a stream still holds stays valid, and the next
 * stream asking for the same set gets the same bytes, encoded anew once
 * and shared again. */
static void
test_shared_body_released(void **state)
{
	struct fixture *f = *state;
	struct sotw_stream g, h;
	struct ads_body_cache c;
	struct sotw_result res;
	struct sotw_request req = { .type_url = xds_type_url(XDS_CLUSTER),
		.response_nonce = "" };
	char *err = NULL;
	grpc_slice b1, b2, b3;
	size_t len;

	ads_body_cache_init(&c);
	sotw_init(&g);
	sotw_init(&h);
	request(f, XDS_CLUSTER, NULL, NONE);
	b1 = shared_body(&c, &f->st, f->snap, 2);
	len = GRPC_SLICE_LENGTH(b1);
	assert_int_equal(c.bytes, len);
	assert_int_equal(ads_body_cache_release(&c), len);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.bytes, 0);
	assert_int_equal(c.released, len);
	assert_int_equal(ads_body_cache_release(&c), 0);
	assert_int_equal(sotw_handle_request(&g, &req, &res, &err), 0);
	b2 = shared_body(&c, &g, f->snap, 2);
	assert_int_equal(c.misses, 2);
	assert_ptr_not_equal(GRPC_SLICE_START_PTR(b2), GRPC_SLICE_START_PTR(b1));
	assert_int_equal(GRPC_SLICE_LENGTH(b2), len);
	assert_memory_equal(GRPC_SLICE_START_PTR(b2), GRPC_SLICE_START_PTR(b1),
	    len);
	assert_int_equal(sotw_handle_request(&h, &req, &res, &err), 0);
	b3 = shared_body(&c, &h, f->snap, 2);
	assert_int_equal(c.hits, 1);
	assert_ptr_equal(GRPC_SLICE_START_PTR(b3), GRPC_SLICE_START_PTR(b2));
	grpc_slice_unref(b1);
	grpc_slice_unref(b2);
	grpc_slice_unref(b3);
	sotw_free(&g);
	sotw_free(&h);
	ads_body_cache_destroy(&c);
}

/* A big resource needs multi-byte lengths. */
static void
test_encode_large(void **state)
{
	struct fixture *f = *state;
	Envoy__Service__Discovery__V3__DiscoveryResponse *m;
	struct snapshot_builder *b = snapshot_builder_new("big");
	size_t big = 300000;
	char *content = malloc(big);
	struct sotw_response r;
	uint8_t *buf;
	size_t len;

	memset(content, 'x', big);
	snapshot_builder_add(b, XDS_ROUTE, "big", content, big, false);
	snapshot_builder_add(b, XDS_ROUTE, "empty", "", 0, false);
	free(content);
	snapshot_unref(f->snap);
	f->snap = snapshot_builder_finish(b);
	request(f, XDS_ROUTE, NULL, NAMES("big", "empty"));
	assert_true(sotw_next_response(&f->st, f->snap, &r));
	len = sotw_response_encode(&r, NULL);
	buf = malloc(len);
	assert_int_equal(sotw_response_encode(&r, buf), len);
	m = envoy__service__discovery__v3__discovery_response__unpack(NULL, len, buf);
	assert_non_null(m);
	assert_int_equal(m->n_resources, 2);
	assert_int_equal(m->resources[0]->value.len, big);
	assert_int_equal(m->resources[1]->value.len, 0);
	envoy__service__discovery__v3__discovery_response__free_unpacked(m, NULL);
	free(buf);
	sotw_response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lds_legacy_wildcard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cds_wildcard_and_unknown_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_request_answered_when_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_before_first_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_wildcard_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_only_listener_when_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_rds_eds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_named_type_subscribes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_then_no_redundant_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_version_resent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nack_not_resent_until_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newly_named_always_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unrelated_change_not_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_before_break_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_before_break_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_before_break_interrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_before_break_nack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscription_change_not_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eds_rewarm_after_cds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eds_rewarm_not_fooled_by_late_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_from_first_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_type_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decode_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscriptions_interned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selection_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_work_per_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeated_subscription, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_body_released, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_encode_large, setup, teardown),
	};

	log_set_level(LOG_LEVEL_ERROR); /* NACK warnings are expected here */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
