/* Runs of the last build taken as blocks by the translation's loops
 * (src/xds/memo.c memo_emit_run, src/xds/snapshot.c
 * snapshot_builder_lend_run): a block appended by hand orders, sums and
 * versions its set as the same items lent one by one do; and over random
 * changes to a tree (headers, route counts, addresses, files gone and
 * back, hosts that move to another place in name order), every
 * incremental snapshot (ingress_http's uses kept by the memo's counts,
 * memo_uses_shared, included) equals a fresh translation of its DAG,
 * while most reused resources were taken in runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "fixture.h"
#include "pipeline.h"
#include "dag/dag.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

/* A block of the previous snapshot's items: the same set, version and
 * items as lending each; out of name order after what precedes it, the
 * set is sorted at finish; from another snapshot than the previous one,
 * nothing is added. */
static void
test_lend_run_by_hand(void **state)
{
	struct xds_blob *v[4] = { fixture_blob("a", "1"),
		fixture_blob("b", "22"), fixture_blob("c", "333"),
		fixture_blob("d", "4444") };
	struct xds_blob *z = fixture_blob("0", "z");
	struct xds_keep *keep = xds_keep_new();
	struct snapshot_builder *b = snapshot_builder_new("1");
	struct snapshot *s1, *s2, *s3, *other;

	(void)state;
	for (int i = 0; i < 4; i++)
		snapshot_builder_lend_blob(b, XDS_CLUSTER, v[i], false, keep,
		    SIZE_MAX);
	s1 = snapshot_builder_finish(b);
	other = snapshot_builder_finish(snapshot_builder_new("x"));

	/* b, c as a block after a, d one by one: as s1. */
	keep = xds_keep_next(keep);
	b = snapshot_builder_new("2");
	snapshot_builder_set_previous(b, s1);
	assert_int_equal(snapshot_builder_lend_run(b, XDS_CLUSTER, other, 1, 2,
	    false, keep), SIZE_MAX);
	assert_int_equal(snapshot_builder_lend_run(b, XDS_CLUSTER, s1, 3, 2,
	    false, keep), SIZE_MAX); /* past the end */
	assert_int_equal(snapshot_builder_count(b, XDS_CLUSTER), 0);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, v[0], false, keep, 0);
	assert_int_equal(snapshot_builder_lend_run(b, XDS_CLUSTER, s1, 1, 2,
	    true, keep), 1);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, v[3], false, keep, 3);
	s2 = snapshot_builder_finish(b);
	assert_int_equal(s2->types[XDS_CLUSTER].n, 4);
	assert_int_equal(s2->types[XDS_CLUSTER].version,
	    s1->types[XDS_CLUSTER].version);
	assert_int_equal(s2->ncopied, 4);
	assert_true(snapshot_find(s2, XDS_CLUSTER, "b")->named_only);
	assert_false(snapshot_find(s2, XDS_CLUSTER, "d")->named_only);
	assert_ptr_equal(snapshot_find(s2, XDS_CLUSTER, "c")->bytes, v[2]->bytes);

	/* d first, then the block a .. c, then 0: sorted at finish. */
	keep = xds_keep_next(keep);
	b = snapshot_builder_new("3");
	snapshot_builder_set_previous(b, s2);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, v[3], false, keep, 3);
	assert_int_equal(snapshot_builder_lend_run(b, XDS_CLUSTER, s2, 0, 3,
	    false, keep), 1);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, z, false, keep, SIZE_MAX);
	s3 = snapshot_builder_finish(b);
	assert_int_equal(s3->types[XDS_CLUSTER].n, 5);
	assert_string_equal(xds_set_at(&s3->types[XDS_CLUSTER], 0)->name, "0");
	assert_string_equal(xds_set_at(&s3->types[XDS_CLUSTER], 1)->name, "a");
	assert_string_equal(xds_set_at(&s3->types[XDS_CLUSTER], 4)->name, "d");
	assert_int_not_equal(s3->types[XDS_CLUSTER].version,
	    s1->types[XDS_CLUSTER].version);
	{
		/* The version of the same five added one by one. */
		struct snapshot_builder *f = snapshot_builder_new("f");
		struct snapshot *fs;

		snapshot_builder_add_blob(f, XDS_CLUSTER, z, false);
		for (int i = 0; i < 4; i++)
			snapshot_builder_add_blob(f, XDS_CLUSTER, v[i], false);
		fs = snapshot_builder_finish(f);
		assert_int_equal(s3->types[XDS_CLUSTER].version,
		    fs->types[XDS_CLUSTER].version);
		snapshot_unref(fs);
	}
	snapshot_unref(s1);
	snapshot_unref(s2);
	snapshot_unref(s3);
	snapshot_unref(other);
	for (int i = 0; i < 4; i++)
		xds_keep_retire(keep, v[i]);
	xds_keep_retire(keep, z);
	xds_keep_unref(keep);
}

/* File i: an HTTPProxy host <p>-<i> (p moves it in name order) with
 * `routes` routes to as many Services with Endpoints; v varies a header,
 * w the addresses. */
static char *
tree_file(size_t i, char p, size_t routes, unsigned v, unsigned w)
{
	char *fqdn = xasprintf("%c-%04zu.example.com", p, i);
	char *value = xasprintf("v%u", v);
	char *ip = xasprintf("10.3.%zu.%u", i % 250, 1 + w % 200);
	char *out = fixture_routes_file(fqdn, routes, "x-v", value, ip);

	free(fqdn);
	free(value);
	free(ip);
	return out;
}

#define NFILES 300

/* One to three random changes per build to a tree of NFILES files, each
 * build against a fresh translation of its DAG. A run taken where the
 * last build's objects or items are not the same (a removed or moved
 * host, a changed cluster) shows as a resource or version that differs. */
static void
test_runs_random(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	size_t routes[NFILES], in_runs = 0, in_order = 0, runs = 0;
	unsigned v[NFILES], w[NFILES];
	char prefix[NFILES];
	bool gone[NFILES];
	uint64_t rnd = UINT64_C(0x9e3779b97f4a7c15);
	int steps = fixture_sample_steps(60);

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("runs");
	for (size_t i = 0; i < NFILES; i++) {
		routes[i] = 1 + i % 3;
		v[i] = w[i] = 0;
		prefix[i] = 'h';
		gone[i] = false;
		fixture_ns_file_put(&sf, i, tree_file(i, prefix[i], routes[i],
		    v[i], w[i]));
	}
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct translate_cache_stats ts;
		struct snapshot *fresh;
		char what[64];
		size_t i = 0;
		int nchanges = step == 0 ? 0 : 1 + (int)((rnd >> 3) % 3);

		for (int c = 0; c < nchanges; c++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			i = (size_t)(rnd >> 8) % NFILES;
			/* The last hosts in name order too: what follows
			 * the last one found is let go of at the loop's end. */
			if ((rnd >> 50) % 6 == 0)
				i = NFILES - 1 - i % 3;
			switch ((rnd >> 40) % 6) {
			case 0:
				v[i]++;
				break;
			case 1:
				routes[i] = 1 + routes[i] % 4;
				break;
			case 2:
				w[i]++;
				break;
			case 3: /* to the other end of the name order, or back */
				prefix[i] = prefix[i] == 'h' ? 'a' + (char)(i % 3) :
				    'h';
				break;
			default: /* gone, or back */
				gone[i] = !gone[i];
				break;
			}
			fixture_ns_file_put(&sf, i, gone[i] ? NULL :
			    tree_file(i, prefix[i], routes[i], v[i], w[i]));
		}
		snprintf(what, sizeof what, "step %d (file %zu)", step, i);
		pipeline_build(p, &sf, &cfg, &to, &r);
		fresh = translate_dag(r.dag, &to, r.revision);
		fixture_assert_same_snapshot(r.snapshot, fresh, what);
		snapshot_unref(fresh);
		ts = pipeline_translate_stats(p);
		if (step > 0) {
			in_runs += ts.in_runs;
			in_order += ts.in_order;
			runs += ts.runs;
		}
		build_result_free(&r);
	}
	print_message("%zu found in order, %zu of them in %zu runs\n",
	    in_order, in_runs, runs);
	/* Clusters, ClusterLoadAssignments, api listeners and proxyless
	 * routes are taken in runs: four of the six loops. */
	assert_true(in_runs * 10 >= in_order * 5);
	assert_true(runs * 20 <= in_runs);
	/* ingress_http's hosts too (translate_routes): what is left out of
	 * runs is then only the changed files' objects and their
	 * neighbours. Each host looked up alone leaves an eighth out. */
	assert_true(in_runs * 100 >= in_order * 97);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* --- test_cache_table_sized ------------------------------------------------ */

/* The smallest table (a power of two, at least min slots) holding n
 * resources at most three quarters full: what the table by key is made
 * and kept at (src/xds/memo_store.c cache_cap_for). */
static size_t
table_slots_for(size_t n, size_t min)
{
	size_t cap = min;

	while (n * 4 > cap * 3)
		cap *= 2;
	return cap;
}

/* The translation memo's table by key, after a first build and after a
 * change: three quarters full at most, and no larger than that needs.
 * TABLE_FILES files make more than half of the table that load allows
 * (kept at half at most, it would be twice as large). */
#define TABLE_FILES 185

static void
test_cache_table_sized(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("table");
	for (size_t i = 0; i < TABLE_FILES; i++)
		fixture_ns_file_put(&sf, i, tree_file(i, 'h', 2, 0, 0));
	for (int step = 0; step < 2; step++) {
		struct build_result r;
		struct translate_cache_stats ts;

		if (step == 1)
			fixture_ns_file_put(&sf, 7, tree_file(7, 'h', 2, 1, 0));
		pipeline_build(p, &sf, &cfg, &to, &r);
		ts = pipeline_translate_stats(p);
		print_message("step %d: %zu kept in %zu slots\n", step, ts.kept,
		    ts.slots);
		assert_true(ts.kept * 4 <= ts.slots * 3);
		assert_int_equal(ts.slots, table_slots_for(ts.kept, 1024));
		build_result_free(&r);
	}
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* --- test_tls_hosts_counted_random ----------------------------------------- */

/* A host of file i: HTTP routes, or TLS passthrough to a tcpproxy. */
static char *
tls_tree_file(size_t i, bool tls, unsigned v)
{
	char *fqdn = xasprintf("host-%04zu.example.com", i), *out;
	char *value = xasprintf("v%u", v);

	if (!tls) {
		out = fixture_routes_file(fqdn, 1 + i % 2, "x-v", value,
		    "10.1.0.1");
	} else {
		out = xasprintf(
		    "apiVersion: projectcontour.io/v1\n"
		    "kind: HTTPProxy\n"
		    "metadata: {name: app}\n"
		    "spec:\n"
		    "  virtualhost: {fqdn: %s, tls: {passthrough: true}}\n"
		    "  tcpproxy: {services: [{name: t%u, port: 443}]}\n"
		    "---\n"
		    "apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata: {name: t%u}\n"
		    "spec: {ports: [{name: https, port: 443}]}\n", fqdn, v % 3,
		    v % 3);
	}
	free(fqdn);
	free(value);
	return out;
}

#define TLS_NFILES 120
#define TLS_CAN 4 /* files that may have TLS: the count often drops to 0 */

/* The assembled DAG's count of TLS hosts (patched from the last build's
 * by the changed parts, parts.c count_assemble), against the hosts
 * of a fresh DAG of the same files, over random changes that give and
 * take TLS; the snapshot, where translate_https skips its walks when the
 * count is 0, equals a fresh translation. */
static void
test_tls_hosts_counted_random(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	bool tls[TLS_NFILES], gone[TLS_NFILES];
	unsigned v[TLS_NFILES];
	uint64_t rnd = UINT64_C(0x2545f4914f6cdd1d);
	int steps = fixture_sample_steps(80), known = 0, zero = 0, some = 0;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("tls");
	for (size_t i = 0; i < TLS_NFILES; i++) {
		tls[i] = gone[i] = false;
		v[i] = 0;
		fixture_ns_file_put(&sf, i, tls_tree_file(i, false, 0));
	}
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct snapshot *fresh;
		struct dag *whole;
		char what[64];
		size_t i = 0, count = 0;
		int nchanges = step == 0 ? 0 : 1 + (int)((rnd >> 3) % 3);

		/* Now and then every TLS host goes at once: the count
		 * comes back to 0 from a build that had some. */
		if (step % 8 == 7) {
			for (size_t k = 0; k < TLS_CAN; k++) {
				i = k * (TLS_NFILES / TLS_CAN);
				if (!tls[i])
					continue;
				tls[i] = false;
				fixture_ns_file_put(&sf, i, gone[i] ? NULL :
				    tls_tree_file(i, false, v[i]));
			}
			nchanges = 0;
		}
		for (int c = 0; c < nchanges; c++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			switch ((rnd >> 40) % 4) {
			case 0: /* a TLS-capable file gains or loses TLS */
			case 1:
				i = (size_t)(rnd >> 8) % TLS_CAN *
				    (TLS_NFILES / TLS_CAN);
				tls[i] = !tls[i];
				break;
			case 2: /* any file changes */
				i = (size_t)(rnd >> 8) % TLS_NFILES;
				v[i]++;
				break;
			default: /* gone, or back */
				i = (size_t)(rnd >> 8) % TLS_NFILES;
				gone[i] = !gone[i];
				break;
			}
			fixture_ns_file_put(&sf, i, gone[i] ? NULL :
			    tls_tree_file(i, tls[i], v[i]));
		}
		snprintf(what, sizeof what, "step %d (file %zu)", step, i);
		pipeline_build(p, &sf, &cfg, &to, &r);
		whole = pipeline_whole_dag(p, &cfg);
		for (size_t h = 0; h < whole->nvhosts; h++)
			count += whole->vhosts[h].tls != NULL;
		if (r.dag->tls_hosts_known) {
			assert_int_equal(r.dag->tls_hosts, count);
			known++;
			if (count == 0 && step > 0)
				zero++;
			else
				some++;
		}
		/* Translated from the fresh DAG, whose count is not known:
		 * every walk of translate_https runs. */
		assert_false(whole->tls_hosts_known);
		fresh = translate_dag(whole, &to, r.revision);
		fixture_assert_same_snapshot(r.snapshot, fresh, what);
		snapshot_unref(fresh);
		dag_free(whole);
		build_result_free(&r);
	}
	print_message("TLS hosts counted in %d of %d builds: %d with none, "
	    "%d with some\n", known, steps + 1, zero, some);
	/* Every build assembles from parts; both sides of the skip ran
	 * after the first build. */
	assert_int_equal(known, steps + 1);
	assert_true(zero > 0 && some > 0);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* --- test_gateway_targets_random ---------------------------------------- */

/* One HTTPRoute of the Gateway walk below, in file ns-<i>/app.yaml. */
struct gw_route {
	bool gone;
	char prefix; /* 'a' sorts before the ports' "gw/...", 'h' and 'z' after */
	unsigned host; /* <prefix>-<host>.example.com: routes share hosts */
	bool longer; /* ".x" appended: the host of another route a prefix of it */
	bool wildcard; /* "*." prepended: no target */
	unsigned section; /* 0: both listeners, 1: http (80), 2: alt (8080) */
	unsigned rules; /* 1..3 */
	unsigned v; /* a header value */
	bool session; /* its first rule has sessionPersistence */
	bool proxy; /* an HTTPProxy beside it (gw_proxy_put) */
};

#define GW_ROUTES 120

static char *
gw_route_file(size_t i, const struct gw_route *r)
{
	const char *sections[] = { "", ", sectionName: http",
	    ", sectionName: alt" };
	struct strbuf sb = STRBUF_INIT;

	strbuf_printf(&sb, "apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: HTTPRoute\n"
	    "metadata: {name: r%zu, namespace: ns-%04zu}\n"
	    "spec:\n"
	    "  parentRefs: [{name: gw, namespace: gw%s}]\n"
	    "  hostnames: [\"%s%c-%04u.example.com%s\"]\n"
	    "  rules:\n", i, i, sections[r->section],
	    r->wildcard ? "*." : "", r->prefix, r->host, r->longer ? ".x" : "");
	for (unsigned k = 0; k < r->rules; k++) {
		strbuf_printf(&sb, "  - matches: [{path: {type: PathPrefix, "
		    "value: /r%zu-%u}, headers: [{name: x-v, value: v%u}]}]\n"
		    "    backendRefs: [{name: s%zu, port: 80}]\n", i, k, r->v, i);
		if (k == 0 && r->session)
			strbuf_printf(&sb, "    sessionPersistence: "
			    "{sessionName: s-%zu}\n", i);
	}
	strbuf_printf(&sb, "---\n"
	    "apiVersion: v1\n"
	    "kind: Service\n"
	    "metadata: {name: s%zu, namespace: ns-%04zu}\n"
	    "spec:\n"
	    "  ports: [{name: http, port: 80, targetPort: 8080}]\n"
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: Endpoints\n"
	    "metadata: {name: s%zu, namespace: ns-%04zu}\n"
	    "subsets:\n"
	    "  - addresses: [{ip: 10.4.%zu.1}]\n"
	    "    ports: [{name: http, port: 8080}]\n", i, i, i, i, i % 250);
	return strbuf_detach(&sb, NULL);
}

/* Route i's HTTPProxy, in a namespace of its own that sorts right after
 * the route's (ns-<i>x): its cluster sorts among the Gateway's, which
 * the default snapshot leaves out, in a group of its own. */
static void
gw_proxy_put(struct source_files *sf, size_t i, bool on)
{
	char *path = xasprintf("ns-%04zux/proxy.yaml", i);
	char *data = xasprintf("apiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\n"
	    "metadata: {name: p%zu, namespace: ns-%04zux}\n"
	    "spec:\n"
	    "  virtualhost: {fqdn: p-%04zu.example.com}\n"
	    "  routes: [{services: [{name: s%zu, port: 80}]}]\n"
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: Service\n"
	    "metadata: {name: s%zu, namespace: ns-%04zux}\n"
	    "spec:\n"
	    "  ports: [{name: http, port: 80, targetPort: 8080}]\n"
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: Endpoints\n"
	    "metadata: {name: s%zu, namespace: ns-%04zux}\n"
	    "subsets:\n"
	    "  - addresses: [{ip: 10.5.%zu.1}]\n"
	    "    ports: [{name: http, port: 8080}]\n", i, i, i, i, i, i, i, i,
	    i % 250);

	if (on)
		fixture_files_set(sf, path, data);
	else
		fixture_files_remove(sf, path);
	free(path);
	free(data);
}

/* A source with the GatewayClass and Gateway gw/gw the random Gateway
 * tests attach their routes to: a listener "http" on port 80 and, when
 * alt, one "alt" on 8080. */
static void
gw_tree_begin(struct source_files *sf, const char *revision, bool alt)
{
	const char *alt_listener =
	    "  - {name: alt, port: 8080, protocol: HTTP, "
	    "allowedRoutes: {namespaces: {from: All}}}\n";
	char *gateway = xasprintf("%s%s",
	    "apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: Gateway\n"
	    "metadata: {name: gw, namespace: gw}\n"
	    "spec:\n"
	    "  gatewayClassName: cairn\n"
	    "  listeners:\n"
	    "  - {name: http, port: 80, protocol: HTTP, "
	    "allowedRoutes: {namespaces: {from: All}}}\n", alt ? alt_listener : "");

	memset(sf, 0, sizeof *sf);
	diag_list_init(&sf->diags);
	sf->revision = xstrdup(revision);
	fixture_files_set(sf, "gatewayclass.yaml",
	    "apiVersion: gateway.networking.k8s.io/v1\n"
	    "kind: GatewayClass\n"
	    "metadata: {name: cairn}\n"
	    "spec: {controllerName: cairn.io/gateway-controller}\n");
	fixture_files_set(sf, "gw/gateway.yaml", gateway);
	free(gateway);
}

/* A Gateway with two HTTP listeners and GW_ROUTES routes whose hosts
 * sort on both sides of the ports' own resources, share hosts and
 * listeners (the `<host>` target names the lower port), are prefixes of
 * each other's names and sometimes wildcards, a few with a session (the
 * port's stateful_session filter, counted by the view memo per host
 * that came or went), a quarter with an HTTPProxy beside them (whose
 * cluster the default snapshot has, among the Gateway's it leaves out);
 * one to three random route
 * edits per build, each build's Gateway snapshot against a fresh
 * translation of its DAG, byte for byte. The proxyless targets of kept
 * hosts are taken in runs (memo_named.c): a run taken past a host that
 * changed, moved to the other port or lost its `<host>` target shows as
 * a resource or version that differs. */
static void
gateway_targets_random(const char *prefixes, bool as_put)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct gw_route rs[GW_ROUTES];
	size_t in_runs = 0, in_order = 0, runs = 0, in_chunks = 0;
	uint64_t rnd = UINT64_C(0x2545f4914f6cdd1d);
	int steps = fixture_sample_steps(80);

	config_init_defaults(&cfg);
	translate_options_init(&to);
	gw_tree_begin(&sf, "gw-runs", true);
	for (size_t i = 0; i < GW_ROUTES; i++) {
		rs[i] = (struct gw_route){ .prefix = prefixes[i % 3],
		    .host = (unsigned)i, .section = (unsigned)(i % 7 == 0 ? 0 :
		    1 + i % 2), .rules = 1 + (unsigned)i % 3,
		    .longer = i % 11 == 0, .wildcard = i % 13 == 0,
		    .session = i == 5, .proxy = i % 4 == 0 };
		fixture_ns_file_put(&sf, i, gw_route_file(i, &rs[i]));
		if (rs[i].proxy)
			gw_proxy_put(&sf, i, true);
	}
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct translate_cache_stats ts;
		struct snapshot *fresh, *got;
		const struct dag_gateway *gw = NULL;
		char what[64];
		size_t i = 0;
		int nchanges = step == 0 ? 0 : 1 + (int)((rnd >> 3) % 3);

		for (int c = 0; c < nchanges; c++) {
			struct gw_route *rt;

			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			i = (size_t)(rnd >> 8) % GW_ROUTES;
			rt = &rs[i];
			switch ((rnd >> 40) % 11) {
			case 0:
				rt->v++;
				break;
			case 1:
				rt->rules = 1 + rt->rules % 3;
				break;
			case 2: /* to the other end of the name order, or back */
				rt->prefix = prefixes[(strchr(prefixes,
				    rt->prefix) - prefixes + 1) % 3];
				break;
			case 3: /* onto another route's host, or back */
				rt->host = rt->host != i ? (unsigned)i :
				    (unsigned)((rnd >> 20) % GW_ROUTES);
				break;
			case 4:
				rt->longer = !rt->longer;
				break;
			case 5:
				rt->wildcard = !rt->wildcard;
				break;
			case 6: /* another listener: `<host>` moves ports */
				rt->section = (rt->section + 1) % 3;
				break;
			case 8: /* a cluster of the default snapshot */
				rt->proxy = !rt->proxy;
				gw_proxy_put(&sf, i, rt->proxy);
				continue;
			case 7: /* the port's stateful_session filter: two
				 * routes only, so that a port has none at times */
				i = 5 + i % 2;
				rt = &rs[i];
				rt->session = !rt->session;
				break;
			default:
				rt->gone = !rt->gone;
				break;
			}
			fixture_ns_file_put(&sf, i, rt->gone ? NULL :
			    gw_route_file(i, rt));
		}
		snprintf(what, sizeof what, "step %d (route %zu)", step, i);
		pipeline_build(p, &sf, &cfg, &to, &r);
		for (size_t g = 0; g < r.dag->ngateways; g++)
			if (strcmp(r.dag->gateways[g].name, "gw") == 0)
				gw = &r.dag->gateways[g];
		assert_non_null(gw);
		got = snapshot_select(r.snapshot, "gw/gw");
		assert_ptr_not_equal(got, r.snapshot);
		fresh = translate_gateway(r.dag, gw, &to, r.revision);
		fixture_assert_same_snapshot(got, fresh, what);
		snapshot_unref(fresh);
		/* Whether the runs' items were checked by the places the
		 * entries recorded (named_item_is) or by their bytes. */
		assert_int_equal(got->types[XDS_LISTENER].as_put, as_put);
		assert_int_equal(got->types[XDS_ROUTE].as_put, as_put);
		/* The default snapshot leaves the Gateway's clusters out,
		 * passing them in runs unread (take_run). */
		fresh = translate_dag(r.dag, &to, r.revision);
		fixture_assert_same_snapshot(r.snapshot, fresh, what);
		assert_true(got->types[XDS_LISTENER].n > 100);
		snapshot_unref(fresh);
		ts = pipeline_gateway_translate_stats(p);
		if (step > 0) {
			in_runs += ts.in_runs;
			in_order += ts.in_order;
			runs += ts.runs;
			in_chunks += ts.in_chunks;
		}
		build_result_free(&r);
	}
	print_message("Gateway: %zu found in order, %zu of them in %zu runs, "
	    "%zu in sequence chunks moved whole\n", in_order, in_runs, runs,
	    in_chunks);
	/* The clusters, endpoints and both kinds of targets: nearly all of
	 * what is found in order, in runs of some length. */
	assert_true(in_order >= (size_t)steps * 300);
	assert_true(in_runs * 10 >= in_order * 9);
	assert_true(runs * 8 <= in_runs);
	/* The targets' sequence chunks a flush made, moved whole by the
	 * next one (memo_named.c named_hand_on). */
	assert_true(in_chunks * 5 >= in_runs);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* Hosts on both sides of the ports' own names ("gw/gw/..."): the
 * Gateway's Listeners and RouteConfigurations are sorted at finish. */
static void
test_gateway_targets_random(void **state)
{
	(void)state;
	gateway_targets_random("ahz", false);
}

/* Every host before the ports' own names: the sets stay as put. */
static void
test_gateway_targets_as_put_random(void **state)
{
	(void)state;
	gateway_targets_random("abc", true);
}

/* --- test_empty_memo_not_presized --------------------------------------- */

/* A tree whose every route is a Gateway's: the default snapshot's memo
 * keeps nothing. It is presized for a first translation once, not again
 * at every change (a table of the DAG's size allocated, cleared and
 * shrunk back per build); the snapshots still equal fresh ones. */
static void
test_empty_memo_not_presized(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct gw_route rt = { .prefix = 'h', .rules = 2, .section = 1 };

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	gw_tree_begin(&sf, "gw-empty", false);
	for (size_t i = 0; i < 40; i++) {
		rt.host = (unsigned)i;
		fixture_ns_file_put(&sf, i, gw_route_file(i, &rt));
	}
	for (int step = 0; step < 4; step++) {
		struct build_result r;
		struct snapshot *fresh;
		char what[32];

		rt.host = 3;
		rt.v = (unsigned)step;
		fixture_ns_file_put(&sf, 3, gw_route_file(3, &rt));
		snprintf(what, sizeof what, "step %d", step);
		pipeline_build(p, &sf, &cfg, &to, &r);
		fresh = translate_dag(r.dag, &to, r.revision);
		fixture_assert_same_snapshot(r.snapshot, fresh, what);
		snapshot_unref(fresh);
		assert_int_equal(pipeline_translate_stats(p).kept, 0);
		assert_int_equal(pipeline_translate_stats(p).presized, 1);
		build_result_free(&r);
	}
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

/* --- test_plain_clusters_counted_random ---------------------------------- */

#define PLAIN_EVERY 30 /* routes with an HTTPProxy beside them, at most */

/* The clusters and endpoints of a fresh DAG that are not gateway_only. */
static size_t
plain_in(const struct dag *whole)
{
	size_t n = 0;

	for (size_t i = 0; i < whole->nclusters; i++)
		n += !whole->clusters[i]->gateway_only;
	for (size_t i = 0; i < whole->nendpoints; i++)
		n += !whole->endpoints[i]->gateway_only;
	return n;
}

/* The assembled DAG's bound on the clusters and endpoints that are not
 * a Gateway's alone (build_with's count per group, parts.c
 * count_assemble), against a fresh DAG of the same files, over random
 * route edits and HTTPProxies that come and go beside a Gateway's
 * routes (all of them gone now and then); the default snapshot, which
 * skips its walks over the clusters and endpoints when the bound is 0,
 * equals a translation of the fresh DAG that walks them. */
static void
test_plain_clusters_counted_random(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct gw_route rs[GW_ROUTES];
	uint64_t rnd = UINT64_C(0x9e3779b97f4a7c15);
	int steps = fixture_sample_steps(60), known = 0, zero = 0, some = 0;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	gw_tree_begin(&sf, "plain", false);
	for (size_t i = 0; i < GW_ROUTES; i++) {
		rs[i] = (struct gw_route){ .prefix = "ahz"[i % 3],
		    .host = (unsigned)i, .rules = 1 + (unsigned)i % 3 };
		fixture_ns_file_put(&sf, i, gw_route_file(i, &rs[i]));
	}
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct snapshot *fresh;
		struct dag *whole;
		char what[64];
		size_t i = 0, count;
		int nchanges = step == 0 ? 0 : 1 + (int)((rnd >> 3) % 3);

		/* Now and then every HTTPProxy goes at once. */
		if (step % 6 == 5) {
			for (i = 0; i < GW_ROUTES; i += PLAIN_EVERY)
				if (rs[i].proxy) {
					rs[i].proxy = false;
					gw_proxy_put(&sf, i, false);
				}
			nchanges = 0;
		}
		for (int c = 0; c < nchanges; c++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			i = (size_t)(rnd >> 8) % GW_ROUTES;
			if ((rnd >> 40) % 2 == 0) {
				/* an HTTPProxy beside route i, or gone */
				i -= i % PLAIN_EVERY;
				rs[i].proxy = !rs[i].proxy;
				gw_proxy_put(&sf, i, rs[i].proxy);
				continue;
			}
			if ((rnd >> 41) % 2 == 0)
				rs[i].v++;
			else
				rs[i].gone = !rs[i].gone;
			fixture_ns_file_put(&sf, i, rs[i].gone ? NULL :
			    gw_route_file(i, &rs[i]));
		}
		snprintf(what, sizeof what, "step %d (route %zu)", step, i);
		pipeline_build(p, &sf, &cfg, &to, &r);
		whole = pipeline_whole_dag(p, &cfg);
		count = plain_in(whole);
		if (r.dag->plain_known) {
			assert_true(r.dag->plain >= count);
			known++;
			if (r.dag->plain == 0)
				zero++;
			else
				some++;
		}
		/* Translated walking every cluster and endpoints. */
		whole->plain_known = false;
		fresh = translate_dag(whole, &to, r.revision);
		fixture_assert_same_snapshot(r.snapshot, fresh, what);
		snapshot_unref(fresh);
		dag_free(whole);
		build_result_free(&r);
	}
	print_message("plain clusters counted in %d of %d builds: %d with "
	    "none, %d with some\n", known, steps + 1, zero, some);
	/* Every build assembles from parts; both sides of the skip ran. */
	assert_int_equal(known, steps + 1);
	assert_true(zero > 0 && some > 0);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lend_run_by_hand),
		cmocka_unit_test(test_runs_random),
		cmocka_unit_test(test_cache_table_sized),
		cmocka_unit_test(test_gateway_targets_random),
		cmocka_unit_test(test_gateway_targets_as_put_random),
		cmocka_unit_test(test_empty_memo_not_presized),
		cmocka_unit_test(test_tls_hosts_counted_random),
		cmocka_unit_test(test_plain_clusters_counted_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
