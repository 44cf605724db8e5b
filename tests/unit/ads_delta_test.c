/* The delta (incremental) protocol state machine (src/ads/delta.c) without
 * grpc: what a stream sends, and when, for every rule of Envoy's xDS
 * protocol document that cairn follows (SPEC.md §8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ads/delta.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "util/hash.h"
#include "util/log.h"

struct res {
	enum xds_type type;
	const char *name;
	const char *content; /* opaque bytes are enough here */
	bool named_only;
};

static struct snapshot *
build_rev(const struct res *list, const char *revision)
{
	struct snapshot_builder *b = snapshot_builder_new(revision);

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

/* Four endpoints, as go-control-plane's wildcard tests use. */
static const struct res four[] = {
	{ XDS_ENDPOINT, "endpoints0", "e0-1", false },
	{ XDS_ENDPOINT, "endpoints1", "e1-1", false },
	{ XDS_ENDPOINT, "endpoints2", "e2-1", false },
	{ XDS_ENDPOINT, "endpoints3", "e3-1", false },
	{ 0, NULL, NULL, false },
};

static const struct res four_changed[] = {
	{ XDS_ENDPOINT, "endpoints0", "e0-2", false },
	{ XDS_ENDPOINT, "endpoints1", "e1-2", false },
	{ XDS_ENDPOINT, "endpoints2", "e2-2", false },
	{ XDS_ENDPOINT, "endpoints3", "e3-2", false },
	{ 0, NULL, NULL, false },
};

static const struct res nothing[] = { { 0, NULL, NULL, false } };

struct fixture {
	struct delta_stream st;
	struct snapshot *snap;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	delta_init(&f->st);
	f->snap = build_rev(base, "rev-1");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	delta_free(&f->st);
	snapshot_unref(f->snap);
	free(f);
	return 0;
}

static void
publish_rev(struct fixture *f, const struct res *list, const char *revision)
{
	snapshot_unref(f->snap);
	f->snap = build_rev(list, revision);
}

static void
publish(struct fixture *f, const struct res *list)
{
	publish_rev(f, list, "rev-x");
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

struct req_opts {
	const char *nonce;
	const char *const *sub;
	const char *const *unsub;
	const char *const *initial_names; /* with initial_versions */
	const char *const *initial_versions;
	const char *error;
	const char *node;
	const char *type_url; /* overrides the type */
};

static struct delta_result
request_opts(struct fixture *f, enum xds_type t, const struct req_opts *o)
{
	struct delta_request req = {
		.type_url = o->type_url ? o->type_url : xds_type_url(t),
		.response_nonce = o->nonce ? o->nonce : "",
		.subscribe = o->sub ? o->sub : NONE,
		.nsubscribe = o->sub ? count(o->sub) : 0,
		.unsubscribe = o->unsub ? o->unsub : NONE,
		.nunsubscribe = o->unsub ? count(o->unsub) : 0,
		.initial_names = o->initial_names,
		.initial_versions = o->initial_versions,
		.ninitial = o->initial_names ? count(o->initial_names) : 0,
		.node_id = o->node,
		.node_cluster = o->node ? "c" : NULL,
		.has_error = o->error != NULL,
		.error_code = o->error ? 3 : 0,
		.error_message = o->error,
	};
	struct delta_result res;
	char *err = NULL;

	assert_int_equal(delta_handle_request(&f->st, &req, &res, &err), 0);
	assert_null(err);
	assert_int_equal(res.type, t);
	return res;
}

static struct delta_result
request(struct fixture *f, enum xds_type t, const char *nonce,
    const char *const *sub, const char *const *unsub)
{
	struct req_opts o = { .nonce = nonce, .sub = sub, .unsub = unsub };

	return request_opts(f, t, &o);
}

/* The next response must be of type t with exactly these resources and
 * removals (in name order); versions are the snapshot's. */
static void
expect_full(struct fixture *f, enum xds_type t, const char *const *names,
    const char *const *removed, bool withdrawal, char *nonce_out)
{
	struct delta_response r;
	size_t n = count(names), nr = count(removed);

	assert_true(delta_next_response(&f->st, f->snap, &r));
	assert_int_equal(r.type, t);
	assert_int_equal(r.withdrawal, withdrawal);
	assert_string_equal(r.system_version, f->snap->revision);
	assert_string_equal(r.version, f->snap->types[t].version_hex);
	assert_int_equal(r.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct xds_resource *want = snapshot_find(f->snap, t, names[i]);

		assert_string_equal(r.items[i]->name, names[i]);
		assert_non_null(want);
		assert_ptr_equal(r.items[i], want);
	}
	assert_int_equal(r.nremoved, nr);
	for (size_t i = 0; i < nr; i++)
		assert_string_equal(r.removed[i], removed[i]);
	if (nonce_out != NULL)
		memcpy(nonce_out, r.nonce, sizeof r.nonce);
	delta_response_free(&r);
}

static void
expect(struct fixture *f, enum xds_type t, const char *const *names,
    const char *const *removed, char *nonce_out)
{
	expect_full(f, t, names, removed, false, nonce_out);
}

/* A break-phase response: removals only. */
static void
expect_removal(struct fixture *f, enum xds_type t, const char *const *removed,
    char *nonce_out)
{
	expect_full(f, t, NONE, removed, true, nonce_out);
}

static void
expect_nothing(struct fixture *f)
{
	struct delta_response r;

	assert_false(delta_next_response(&f->st, f->snap, &r));
	assert_null(r.items);
	assert_null(r.removed);
}

/* --- wildcards -------------------------------------------------------------- */

static void
test_legacy_wildcard(void **state)
{
	struct fixture *f = *state;
	struct req_opts o = { .node = "node-1" };
	struct delta_result res;
	char nonce[21];

	res = request_opts(f, XDS_LISTENER, &o);
	assert_true(res.first);
	assert_int_equal(res.verdict, ADS_REQUEST);
	assert_true(f->st.types[XDS_LISTENER].wildcard);
	assert_string_equal(f->st.node_id, "node-1");
	/* Never the named-only api_listener under a wildcard. */
	expect(f, XDS_LISTENER, NAMES("ingress_http"), NONE, nonce);
	assert_string_equal(nonce, "1");
	expect_nothing(f);
	res = request(f, XDS_LISTENER, nonce, NONE, NONE);
	assert_int_equal(res.verdict, ADS_ACK);
	assert_string_equal(f->st.types[XDS_LISTENER].acked_version,
	    f->snap->types[XDS_LISTENER].version_hex);
	expect_nothing(f);

	/* Legacy wildcard then a name: the wildcard stays (incremental). */
	request(f, XDS_LISTENER, NULL, NAMES("shop.example.com"), NONE);
	assert_true(f->st.types[XDS_LISTENER].wildcard);
	expect(f, XDS_LISTENER, NAMES("shop.example.com"), NONE, NULL);
	expect_nothing(f);
	/* Unsubscribing "*" keeps the name; nothing to send. */
	request(f, XDS_LISTENER, NULL, NONE, NAMES("*"));
	assert_false(f->st.types[XDS_LISTENER].wildcard);
	expect_nothing(f);
	assert_int_equal(delta_have_count(&f->st.types[XDS_LISTENER], XDS_LISTENER), 1);
}

static void
test_legacy_wildcard_only_lds_cds(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	/* EDS has no legacy wildcard: an empty first request names nothing,
	 * but it is answered. */
	request(f, XDS_ENDPOINT, NULL, NONE, NONE);
	assert_false(f->st.types[XDS_ENDPOINT].wildcard);
	expect(f, XDS_ENDPOINT, NONE, NONE, nonce);
	expect_nothing(f);
	/* Explicit "*" is a wildcard for any type. */
	request(f, XDS_ENDPOINT, nonce, NAMES("*"), NONE);
	expect(f, XDS_ENDPOINT, NAMES("default/a/80", "default/b/80"), NONE, NULL);
	expect_nothing(f);
}

static void
test_first_wildcard_answered_when_empty(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	publish(f, nothing);
	request(f, XDS_CLUSTER, NULL, NONE, NONE);
	expect(f, XDS_CLUSTER, NONE, NONE, nonce);
	expect_nothing(f);
	request(f, XDS_CLUSTER, nonce, NONE, NONE);
	expect_nothing(f);
	publish(f, base);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, NULL);
	expect_nothing(f);
}

static void
test_nothing_before_first_snapshot(void **state)
{
	struct fixture *f = *state;
	struct delta_response r;

	request(f, XDS_CLUSTER, NULL, NONE, NONE);
	assert_false(delta_next_response(&f->st, NULL, &r));
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, NULL);
}

/* go-control-plane TestDeltaWildcardSubscriptions, "legacy still working",
 * with CDS (Envoy's legacy wildcard types). */
static void
test_wildcard_changes_only(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_CLUSTER, NULL, NONE, NONE);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, nonce);
	request(f, XDS_CLUSTER, nonce, NONE, NONE);
	expect_nothing(f);
	/* Only what changed; what is gone is removed in the break phase. */
	publish(f, changed);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x"), NONE, nonce);
	expect_removal(f, XDS_CLUSTER, NAMES("default/b/80/x"), nonce);
	expect_nothing(f);
	/* It comes back. */
	publish(f, base);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, NULL);
	expect_nothing(f);
}

/* go-control-plane "* subscription/unsubscription support". */
static void
test_star_subscription(void **state)
{
	struct fixture *f = *state;

	publish(f, four);
	request(f, XDS_ENDPOINT, NULL, NAMES("endpoints1"), NONE);
	assert_false(f->st.types[XDS_ENDPOINT].wildcard);
	expect(f, XDS_ENDPOINT, NAMES("endpoints1"), NONE, NULL);
	expect_nothing(f);
	publish(f, four_changed);
	expect(f, XDS_ENDPOINT, NAMES("endpoints1"), NONE, NULL);
	request(f, XDS_ENDPOINT, NULL, NAMES("*"), NONE);
	expect(f, XDS_ENDPOINT, NAMES("endpoints0", "endpoints1", "endpoints2",
	    "endpoints3"), NONE, NULL);
	expect_nothing(f);
	publish(f, four);
	expect(f, XDS_ENDPOINT, NAMES("endpoints0", "endpoints1", "endpoints2",
	    "endpoints3"), NONE, NULL);
	request(f, XDS_ENDPOINT, NULL, NAMES("endpoints2"), NONE);
	expect(f, XDS_ENDPOINT, NAMES("endpoints2"), NONE, NULL);
	expect_nothing(f);
	/* Without the wildcard only the named ones matter. */
	request(f, XDS_ENDPOINT, NULL, NONE, NAMES("*"));
	expect_nothing(f);
	publish(f, four_changed);
	expect(f, XDS_ENDPOINT, NAMES("endpoints1", "endpoints2"), NONE, NULL);
	expect_nothing(f);
	assert_int_equal(delta_have_count(&f->st.types[XDS_ENDPOINT], XDS_ENDPOINT), 2);
}

/* go-control-plane "resource specific subscriptions while using
 * wildcard": unknown names are reported removed, and a name unsubscribed
 * while the wildcard stays is answered (the resource, or its removal). */
static void
test_names_under_wildcard(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	publish(f, four);
	request(f, XDS_ENDPOINT, NULL, NAMES("*"), NONE);
	expect(f, XDS_ENDPOINT, NAMES("endpoints0", "endpoints1", "endpoints2",
	    "endpoints3"), NONE, nonce);
	request(f, XDS_ENDPOINT, nonce, NAMES("endpoints2", "endpoints4"), NONE);
	/* A resubscribed name is sent even if unchanged; unknown removed. */
	expect(f, XDS_ENDPOINT, NAMES("endpoints2"), NAMES("endpoints4"), nonce);
	expect_nothing(f);
	request(f, XDS_ENDPOINT, nonce, NONE, NAMES("endpoints2", "endpoints4"));
	expect(f, XDS_ENDPOINT, NAMES("endpoints2"), NAMES("endpoints4"), NULL);
	expect_nothing(f);
	/* Superfluous unsubscriptions without a wildcard: ignored. */
	request(f, XDS_ENDPOINT, NULL, NONE, NAMES("*"));
	request(f, XDS_ENDPOINT, NULL, NONE, NAMES("nope"));
	expect_nothing(f);
}

static void
test_named_only_unsubscribed_under_wildcard(void **state)
{
	struct fixture *f = *state;

	request(f, XDS_LISTENER, NULL, NAMES("*", "shop.example.com"), NONE);
	expect(f, XDS_LISTENER, NAMES("ingress_http", "shop.example.com"), NONE, NULL);
	expect_nothing(f);
	/* Not covered by the wildcard: the client must drop it. */
	request(f, XDS_LISTENER, NULL, NONE, NAMES("shop.example.com"));
	expect(f, XDS_LISTENER, NONE, NAMES("shop.example.com"), NULL);
	expect_nothing(f);
	publish(f, changed);
	expect_nothing(f);
}

static void
test_resubscribe_star_resends(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_CLUSTER, NULL, NAMES("*"), NONE);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, nonce);
	request(f, XDS_CLUSTER, nonce, NONE, NONE);
	expect_nothing(f);
	request(f, XDS_CLUSTER, nonce, NAMES("*"), NONE);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, NULL);
	expect_nothing(f);
}

/* --- named subscriptions ---------------------------------------------------- */

/* Streams subscribed to the same names share one interned list, built up
 * by different requests; unsubscribing gives a stream a list of its own. */
static void
test_subscriptions_interned(void **state)
{
	struct fixture *f = *state;
	struct fixture g = { 0 };
	size_t before = ads_names_interned();

	delta_init(&g.st);
	request(f, XDS_ENDPOINT, NULL, NAMES("default/b/80", "default/a/80"), NONE);
	request(&g, XDS_ENDPOINT, NULL, NAMES("default/a/80"), NONE);
	request(&g, XDS_ENDPOINT, NULL, NAMES("default/b/80", "default/a/80"), NONE);
	assert_non_null(f->st.types[XDS_ENDPOINT].names);
	assert_ptr_equal(f->st.types[XDS_ENDPOINT].names,
	    g.st.types[XDS_ENDPOINT].names);
	/* g's first list ({a}) went with its second request. */
	assert_int_equal(ads_names_interned(), before + 1);
	assert_true(delta_is_named(&g.st.types[XDS_ENDPOINT], "default/b/80"));

	assert_true(request(&g, XDS_ENDPOINT, NULL, NONE, NAMES("default/b/80"))
	    .subscription_changed);
	assert_ptr_not_equal(f->st.types[XDS_ENDPOINT].names,
	    g.st.types[XDS_ENDPOINT].names);
	assert_false(delta_is_named(&g.st.types[XDS_ENDPOINT], "default/b/80"));
	assert_true(delta_is_named(&f->st.types[XDS_ENDPOINT], "default/b/80"));
	/* Unsubscribing the last name leaves no list. */
	request(&g, XDS_ENDPOINT, NULL, NONE, NAMES("default/a/80"));
	assert_null(g.st.types[XDS_ENDPOINT].names);
	assert_int_equal(ads_names_interned(), before + 1);
	delta_free(&g.st);
}

/* Streams sent the same resources share one body key (set_hash); other
 * resources, or the same names at other versions, make another. */
static void
test_set_hash_identifies_body(void **state)
{
	struct fixture *f = *state;
	struct fixture g = { 0 };
	struct delta_response r1, r2, r3;

	delta_init(&g.st);
	g.st.nonce_counter = 100;
	request(f, XDS_CLUSTER, NULL, NONE, NONE);
	request(&g, XDS_CLUSTER, NULL, NAMES("*"), NONE);
	assert_true(delta_next_response(&f->st, f->snap, &r1));
	assert_true(delta_next_response(&g.st, f->snap, &r2));
	assert_string_not_equal(r1.nonce, r2.nonce);
	assert_int_equal(r1.set_hash, r2.set_hash);
	assert_int_equal(delta_response_encode_body(&r1, NULL),
	    delta_response_encode_body(&r2, NULL));
	publish(f, changed);
	assert_true(delta_next_response(&f->st, f->snap, &r3));
	assert_int_equal(r3.n, 1);
	assert_int_not_equal(r3.set_hash, r1.set_hash);
	delta_response_free(&r1);
	delta_response_free(&r2);
	delta_response_free(&r3);
	delta_free(&g.st);
}

static void
test_named_subscribe_unsubscribe(void **state)
{
	struct fixture *f = *state;
	struct delta_result res;
	char nonce[21];

	res = request(f, XDS_ROUTE, NULL, NAMES("ingress_http", "missing", "ingress_http"), NONE);
	assert_true(res.subscription_changed);
	assert_int_equal(ads_names_count(f->st.types[XDS_ROUTE].names), 2);
	/* Unknown subscribed names are reported removed at once. */
	expect(f, XDS_ROUTE, NAMES("ingress_http"), NAMES("missing"), nonce);
	expect_nothing(f);
	res = request(f, XDS_ROUTE, nonce, NONE, NONE);
	assert_int_equal(res.verdict, ADS_ACK);
	assert_false(res.subscription_changed);
	expect_nothing(f);
	/* Resubscribing is always answered, even unchanged. */
	request(f, XDS_ROUTE, nonce, NAMES("ingress_http"), NONE);
	expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE, nonce);
	expect_nothing(f);
	/* An unsubscribe alone needs no answer. */
	request(f, XDS_ROUTE, nonce, NONE, NAMES("ingress_http"));
	expect_nothing(f);
	assert_int_equal(ads_names_count(f->st.types[XDS_ROUTE].names), 1);
	/* A change to what is no longer subscribed is not sent. */
	publish(f, switched);
	expect_nothing(f);
	/* The missing one springs into existence: sent. */
	request(f, XDS_ROUTE, nonce, NAMES("https"), NONE);
	expect(f, XDS_ROUTE, NAMES("https"), NONE, NULL);
	expect_nothing(f);
	assert_int_equal(delta_have_count(&f->st.types[XDS_ROUTE], XDS_ROUTE), 1);
}

static void
test_unknown_name_appears_later(void **state)
{
	struct fixture *f = *state;

	request(f, XDS_ENDPOINT, NULL, NAMES("default/c/80"), NONE);
	expect(f, XDS_ENDPOINT, NONE, NAMES("default/c/80"), NULL);
	expect_nothing(f);
	publish(f, switched);
	expect(f, XDS_ENDPOINT, NAMES("default/c/80"), NONE, NULL);
	expect_nothing(f);
	/* And is deleted again: removed (break phase). */
	publish(f, base);
	expect_removal(f, XDS_ENDPOINT, NAMES("default/c/80"), NULL);
	expect_nothing(f);
}

static void
test_named_only_when_named(void **state)
{
	struct fixture *f = *state;

	request(f, XDS_LISTENER, NULL, NAMES("shop.example.com"), NONE);
	assert_false(f->st.types[XDS_LISTENER].wildcard);
	expect(f, XDS_LISTENER, NAMES("shop.example.com"), NONE, NULL);
	expect_nothing(f);
	/* A wildcard added later does not bring it again, but brings the
	 * rest. */
	request(f, XDS_LISTENER, NULL, NAMES("*"), NONE);
	expect(f, XDS_LISTENER, NAMES("ingress_http"), NONE, NULL);
	expect_nothing(f);
	assert_int_equal(delta_have_count(&f->st.types[XDS_LISTENER], XDS_LISTENER), 2);
}

/* go-control-plane TestSnapshotCreateWatchWithResourcePreviouslyNotRequested
 * (delta form): a newly named resource is sent at the same version, an
 * identical request afterwards gets nothing. */
static void
test_newly_named_sent(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"), NONE);
	expect(f, XDS_ENDPOINT, NAMES("default/a/80"), NONE, nonce);
	request(f, XDS_ENDPOINT, nonce, NAMES("default/b/80"), NONE);
	expect(f, XDS_ENDPOINT, NAMES("default/b/80"), NONE, nonce);
	request(f, XDS_ENDPOINT, nonce, NONE, NONE);
	expect_nothing(f);
}

/* --- reconnect ----------------------------------------------------------------- */

/* go-control-plane TestLinearDeltaInitialResourcesVersionSet. */
static void
test_initial_resource_versions(void **state)
{
	struct fixture *f = *state;
	const struct xds_resource *a = snapshot_find(f->snap, XDS_ENDPOINT, "default/a/80");
	const struct xds_resource *b = snapshot_find(f->snap, XDS_ENDPOINT, "default/b/80");
	char va[17], vb[17];
	struct req_opts o = {
		.sub = NAMES("default/a/80", "default/b/80"),
		.initial_names = NAMES("default/b/80"),
		.initial_versions = (const char *const[]){ vb, NULL },
	};
	struct fixture g = { .snap = f->snap };

	hash_hex(a->version, va);
	hash_hex(b->version, vb);

	/* b is up to date: only a. */
	request_opts(f, XDS_ENDPOINT, &o);
	expect(f, XDS_ENDPOINT, NAMES("default/a/80"), NONE, NULL);
	expect_nothing(f);

	/* Another stream has both: nothing at all, until b changes. */
	delta_init(&g.st);
	o.initial_names = NAMES("default/a/80", "default/b/80");
	o.initial_versions = (const char *const[]){ va, vb, NULL };
	request_opts(&g, XDS_ENDPOINT, &o);
	expect_nothing(&g);
	g.snap = build_rev(changed, "rev-2");
	/* a changed, b is gone. */
	expect(&g, XDS_ENDPOINT, NAMES("default/a/80"), NONE, NULL);
	expect_removal(&g, XDS_ENDPOINT, NAMES("default/b/80"), NULL);
	expect_nothing(&g);
	delta_free(&g.st);
	snapshot_unref(g.snap);
}

static void
test_initial_versions_wildcard_reconnect(void **state)
{
	struct fixture *f = *state;
	const struct xds_resource *a = snapshot_find(f->snap, XDS_CLUSTER, "default/a/80/x");
	char va[17];
	struct req_opts o = {
		.sub = NAMES("*"),
		/* a as cairn sent it, b from another control plane, c gone. */
		.initial_names = NAMES("default/a/80/x", "default/b/80/x", "default/c/80/x"),
		.initial_versions = (const char *const[]){ va, "v7", "0123456789abcdef", NULL },
	};

	hash_hex(a->version, va);

	request_opts(f, XDS_CLUSTER, &o);
	expect(f, XDS_CLUSTER, NAMES("default/b/80/x"), NONE, NULL);
	expect_removal(f, XDS_CLUSTER, NAMES("default/c/80/x"), NULL);
	expect_nothing(f);
	/* Synced: the stream holds the snapshot, no per-name table. */
	assert_ptr_equal(f->st.types[XDS_CLUSTER].base, f->snap);
	assert_int_equal(f->st.types[XDS_CLUSTER].noverlay, 0);
}

static void
test_legacy_wildcard_reconnect(void **state)
{
	struct fixture *f = *state;
	const struct xds_resource *a = snapshot_find(f->snap, XDS_CLUSTER, "default/a/80/x");
	const struct xds_resource *b = snapshot_find(f->snap, XDS_CLUSTER, "default/b/80/x");
	char va[17], vb[17];
	struct req_opts o = {
		.initial_names = NAMES("default/a/80/x", "default/b/80/x"),
		.initial_versions = (const char *const[]){ va, vb, NULL },
	};

	hash_hex(a->version, va);
	hash_hex(b->version, vb);
	request_opts(f, XDS_CLUSTER, &o);
	assert_true(f->st.types[XDS_CLUSTER].wildcard);
	expect_nothing(f);
	publish(f, changed);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x"), NONE, NULL);
	expect_removal(f, XDS_CLUSTER, NAMES("default/b/80/x"), NULL);
	expect_nothing(f);
}

/* --- ACK / NACK ------------------------------------------------------------------ */

static void
test_nack_not_resent(void **state)
{
	struct fixture *f = *state;
	struct req_opts o = { 0 };
	struct delta_result res;
	char n1[21], n2[21];

	request(f, XDS_CLUSTER, NULL, NONE, NONE);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, n1);
	request(f, XDS_CLUSTER, n1, NONE, NONE);
	publish(f, changed);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x"), NONE, n2);
	o.nonce = n2;
	o.error = "cluster a: bad";
	res = request_opts(f, XDS_CLUSTER, &o);
	assert_int_equal(res.verdict, ADS_NACK);
	assert_true(f->st.types[XDS_CLUSTER].has_nack);
	assert_string_equal(f->st.types[XDS_CLUSTER].nack.message, "cluster a: bad");
	assert_string_equal(f->st.types[XDS_CLUSTER].nack.version,
	    f->snap->types[XDS_CLUSTER].version_hex);
	assert_string_equal(f->st.types[XDS_CLUSTER].nack.nonce, n2);
	/* The removal still follows; the rejected a is not sent again. */
	expect_removal(f, XDS_CLUSTER, NAMES("default/b/80/x"), NULL);
	expect_nothing(f);
	publish(f, changed);
	expect_nothing(f);
	res = request_opts(f, XDS_CLUSTER, &o);
	assert_int_equal(res.verdict, ADS_NACK_REPEATED);
	expect_nothing(f);
	/* The next change goes out. */
	publish(f, base);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, n1);
	res = request(f, XDS_CLUSTER, n1, NONE, NONE);
	assert_int_equal(res.verdict, ADS_ACK);
	assert_string_equal(f->st.types[XDS_CLUSTER].acked_version,
	    f->snap->types[XDS_CLUSTER].version_hex);
}

static void
test_stale_nonce(void **state)
{
	struct fixture *f = *state;
	struct req_opts o = { .nonce = "xyz", .error = "late" };
	struct delta_result res;
	char nonce[21];

	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80"), NONE);
	expect(f, XDS_ENDPOINT, NAMES("default/a/80"), NONE, nonce);
	/* A nonce never sent: neither ACK nor NACK. */
	res = request_opts(f, XDS_ENDPOINT, &o);
	assert_int_equal(res.verdict, ADS_STALE);
	assert_false(f->st.types[XDS_ENDPOINT].has_nack);
	o.nonce = "99";
	o.error = NULL;
	res = request_opts(f, XDS_ENDPOINT, &o);
	assert_int_equal(res.verdict, ADS_STALE);
	assert_string_equal(f->st.types[XDS_ENDPOINT].acked_version, "");
	expect_nothing(f);
	/* But a subscription change with a stale nonce counts. */
	o.sub = NAMES("default/b/80");
	res = request_opts(f, XDS_ENDPOINT, &o);
	assert_int_equal(res.verdict, ADS_STALE);
	assert_true(res.subscription_changed);
	expect(f, XDS_ENDPOINT, NAMES("default/b/80"), NONE, NULL);
	expect_nothing(f);
	/* The ACK of an earlier response still counts as one. */
	res = request(f, XDS_ENDPOINT, nonce, NONE, NONE);
	assert_int_equal(res.verdict, ADS_ACK);
}

/* --- ordering and make-before-break ---------------------------------------------- */

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
	struct delta_response r;

	/* Requested in the "wrong" order. */
	for (int t = XDS_TYPE_COUNT - 1; t >= 0; t--)
		request(f, (enum xds_type)t, NULL, names[t], NONE);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		assert_true(delta_next_response(&f->st, f->snap, &r));
		assert_int_equal(r.type, t);
		delta_response_free(&r);
	}
	expect_nothing(f);
}

static void
test_make_before_break(void **state)
{
	struct fixture *f = *state;

	sync_everything(f);
	publish(f, switched);
	/* Make, in SDS, CDS, EDS, LDS, RDS order: only what is new or
	 * changed. */
	expect(f, XDS_CLUSTER, NAMES("default/c/80/x"), NONE, NULL);
	expect(f, XDS_ENDPOINT, NAMES("default/c/80"), NONE, NULL);
	expect(f, XDS_LISTENER, NAMES("ingress_https"), NONE, NULL);
	expect(f, XDS_ROUTE, NAMES("https", "ingress_http"), NONE, NULL);
	/* Break: users before what they use. */
	expect_removal(f, XDS_LISTENER, NAMES("ingress_http"), NULL);
	expect_removal(f, XDS_CLUSTER, NAMES("default/b/80/x"), NULL);
	expect_removal(f, XDS_ENDPOINT, NAMES("default/b/80"), NULL);
	expect_nothing(f);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		assert_ptr_equal(f->st.types[t].base, f->snap);
		assert_true(f->st.types[t].synced);
	}
	/* Only the explicitly subscribed that do not exist need no entry:
	 * the overlay is empty everywhere. */
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		assert_int_equal(f->st.types[t].noverlay, 0);
}

static void
test_change_during_make_phase(void **state)
{
	struct fixture *f = *state;

	sync_everything(f);
	publish(f, switched);
	expect(f, XDS_CLUSTER, NAMES("default/c/80/x"), NONE, NULL);
	/* Reverted before the rest went out: the client now has c too, which
	 * goes (break phase); nothing else changed for it. */
	publish(f, base);
	expect_removal(f, XDS_CLUSTER, NAMES("default/c/80/x"), NULL);
	expect_nothing(f);
}

static void
test_same_version_snapshot_is_cheap(void **state)
{
	struct fixture *f = *state;
	struct snapshot *old;
	char nonce[21];

	request(f, XDS_CLUSTER, NULL, NONE, NONE);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, nonce);
	request(f, XDS_CLUSTER, nonce, NONE, NONE);
	expect_nothing(f);
	assert_true(f->st.types[XDS_CLUSTER].synced);
	old = f->st.types[XDS_CLUSTER].base;
	assert_ptr_equal(old, f->snap);
	publish(f, base); /* a new object with the same content */
	expect_nothing(f);
	assert_ptr_equal(f->st.types[XDS_CLUSTER].base, f->snap);
	assert_int_equal(f->st.types[XDS_CLUSTER].noverlay, 0);
}

/* --- limits, types, errors, encoding ----------------------------------------------- */

static void
test_split_large_response(void **state)
{
	struct fixture *f = *state;
	struct snapshot_builder *b = snapshot_builder_new("big");
	char name[32], content[200];
	size_t got = 0, responses = 0;
	struct delta_response r;

	memset(content, 'x', sizeof content);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof name, "cluster-%02d", i);
		content[0] = (char)('A' + i % 26);
		snapshot_builder_add(b, XDS_CLUSTER, name, content, sizeof content, false);
	}
	snapshot_unref(f->snap);
	f->snap = snapshot_builder_finish(b);
	f->st.max_response_bytes = 1024;
	request(f, XDS_CLUSTER, NULL, NONE, NONE);
	while (delta_next_response(&f->st, f->snap, &r)) {
		assert_int_equal(r.type, XDS_CLUSTER);
		assert_true(r.n > 0);
		assert_true(delta_response_encode(&r, NULL) <= 1024);
		for (size_t i = 0; i < r.n; i++) {
			snprintf(name, sizeof name, "cluster-%02zu", got + i);
			assert_string_equal(r.items[i]->name, name);
		}
		got += r.n;
		responses++;
		delta_response_free(&r);
	}
	assert_int_equal(got, 50);
	assert_true(responses >= 10);
	assert_true(f->st.types[XDS_CLUSTER].synced);
	assert_int_equal(f->st.types[XDS_CLUSTER].noverlay, 0);
}

static void
test_types_multiplexed(void **state)
{
	struct fixture *f = *state;
	char nonce[21];

	request(f, XDS_ROUTE, NULL, NAMES("ingress_http"), NONE);
	request(f, XDS_SECRET, NULL, NAMES("default/cert"), NONE);
	expect(f, XDS_SECRET, NAMES("default/cert"), NONE, nonce);
	request(f, XDS_SECRET, nonce, NONE, NONE);
	request(f, XDS_CLUSTER, NULL, NONE, NONE);
	expect(f, XDS_CLUSTER, NAMES("default/a/80/x", "default/b/80/x"), NONE, NULL);
	expect(f, XDS_ROUTE, NAMES("ingress_http"), NONE, NULL);
	expect_nothing(f);
}

static void
test_invalid_type_url(void **state)
{
	struct fixture *f = *state;
	struct delta_request req = { .type_url = "" };
	struct delta_result res;
	char *err = NULL;

	assert_int_equal(delta_handle_request(&f->st, &req, &res, &err), -1);
	assert_non_null(strstr(err, "type_url"));
	free(err);
	err = NULL;
	req.type_url = "type.googleapis.com/envoy.config.foo.v3.Bar";
	assert_int_equal(delta_handle_request(&f->st, &req, &res, &err), -1);
	assert_non_null(strstr(err, "envoy.config.foo.v3.Bar"));
	free(err);
	err = NULL;
	assert_int_equal(delta_handle_message(&f->st, "\x0a\xff\xff\xff", 4, &res, &err), -1);
	assert_non_null(strstr(err, "cannot decode"));
	free(err);
}

static void
test_decode_message(void **state)
{
	struct fixture *f = *state;
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest m =
	    ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INIT;
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest__InitialResourceVersionsEntry e =
	    ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INITIAL_RESOURCE_VERSIONS_ENTRY__INIT;
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest__InitialResourceVersionsEntry *ep = &e;
	Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;
	char *sub[] = { "default/a/80", "default/b/80" };
	const struct xds_resource *b = snapshot_find(f->snap, XDS_ENDPOINT, "default/b/80");
	struct delta_result res;
	char *err = NULL, vb[17];
	uint8_t buf[512];
	size_t len;
	uint64_t v;

	hash_hex(b->version, vb);
	node.id = "envoy-1";
	node.cluster = "edge";
	m.node = &node;
	m.type_url = (char *)xds_type_url(XDS_ENDPOINT);
	m.n_resource_names_subscribe = 2;
	m.resource_names_subscribe = sub;
	e.key = "default/b/80";
	e.value = vb;
	m.n_initial_resource_versions = 1;
	m.initial_resource_versions = &ep;
	len = envoy__service__discovery__v3__delta_discovery_request__pack(&m, buf);
	assert_int_equal(delta_handle_message(&f->st, buf, len, &res, &err), 0);
	assert_int_equal(res.type, XDS_ENDPOINT);
	assert_true(res.first);
	assert_string_equal(f->st.node_id, "envoy-1");
	assert_string_equal(f->st.node_cluster, "edge");
	assert_int_equal(delta_client_has(&f->st.types[XDS_ENDPOINT], XDS_ENDPOINT,
	    "default/b/80", &v), DELTA_HAS);
	assert_true(v == b->version);
	expect(f, XDS_ENDPOINT, NAMES("default/a/80"), NONE, NULL);
}

static void
test_encode_response(void **state)
{
	struct fixture *f = *state;
	Envoy__Service__Discovery__V3__DeltaDiscoveryResponse *m;
	struct delta_response r;
	uint8_t *buf;
	size_t len;
	char version[17];

	publish_rev(f, base, "0123456789abcdef0123456789abcdef01234567");
	request(f, XDS_ENDPOINT, NULL, NAMES("default/a/80", "gone"), NONE);
	assert_true(delta_next_response(&f->st, f->snap, &r));
	len = delta_response_encode(&r, NULL);
	buf = malloc(len);
	assert_int_equal(delta_response_encode(&r, buf), len);
	m = envoy__service__discovery__v3__delta_discovery_response__unpack(NULL, len, buf);
	assert_non_null(m);
	assert_string_equal(m->system_version_info, "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(m->type_url, xds_type_url(XDS_ENDPOINT));
	assert_string_equal(m->nonce, r.nonce);
	assert_int_equal(m->n_resources, 1);
	assert_string_equal(m->resources[0]->name, "default/a/80");
	/* The resource's version: the hash of its bytes, in hex. */
	hash_hex(hash_bytes("endpoints-a-1", strlen("endpoints-a-1")), version);
	assert_string_equal(m->resources[0]->version, version);
	assert_string_equal(m->resources[0]->resource->type_url, xds_type_url(XDS_ENDPOINT));
	assert_int_equal(m->resources[0]->resource->value.len, strlen("endpoints-a-1"));
	assert_memory_equal(m->resources[0]->resource->value.data, "endpoints-a-1",
	    strlen("endpoints-a-1"));
	assert_int_equal(m->n_removed_resources, 1);
	assert_string_equal(m->removed_resources[0], "gone");
	envoy__service__discovery__v3__delta_discovery_response__free_unpacked(m, NULL);
	free(buf);
	delta_response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_legacy_wildcard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_wildcard_only_lds_cds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_wildcard_answered_when_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_before_first_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wildcard_changes_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_star_subscription, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_under_wildcard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_only_unsubscribed_under_wildcard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resubscribe_star_resends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_subscribe_unsubscribe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_name_appears_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_only_when_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newly_named_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initial_resource_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initial_versions_wildcard_reconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_wildcard_reconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nack_not_resent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_before_break, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_during_make_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_version_snapshot_is_cheap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_large_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_types_multiplexed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_type_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decode_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscriptions_interned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_hash_identifies_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encode_response, setup, teardown),
	};

	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
