/* Unit tests for build (DAG), translate and snapshot versions, and the
 * pipeline's per-file cache with last good versions. Inputs are YAML
 * buffers, as a source would hand them over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint_components.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "admin/admin.h"
#include "pipeline.h"
#include "pipeline_internal.h"
#include "source/lastgood.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Above PARTS_PARALLEL_MIN (src/dag/parts_internal.h), so the threads
 * are used. */
#define PARALLEL_TEST_GROUPS 300

/* The fixture proxy with two more routes, and web with two endpoints. */
static const char *proxy_yaml = FIXTURE_PROXY_YAML
    "    - conditions: [{prefix: /api/v1}]\n"
    "      services: [{name: web, port: 80}]\n"
    "    - conditions: [{exact: /exact}]\n"
    "      services: [{name: web, port: 80}]\n";

static const char *service_yaml = FIXTURE_SERVICE_YAML "---\n"
    FIXTURE_ENDPOINTS_HEAD_YAML
    "  - addresses: [{ip: 10.0.0.2}, {ip: 10.0.0.1}]\n"
    "    ports: [{name: http, port: 8080}]\n";

struct fixture {
	struct cairn_config cfg;
	struct translate_options to;
	struct pipeline *p;
	struct source_files files;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	config_init_defaults(&f->cfg);
	translate_options_init(&f->to);
	f->p = pipeline_new(NULL);
	diag_list_init(&f->files.diags);
	f->files.revision = xstrdup("rev1");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	pipeline_free(f->p);
	source_files_free(&f->files);
	config_free(&f->cfg);
	free(f);
	return 0;
}

static void
build(struct fixture *f, struct build_result *r)
{
	pipeline_build(f->p, &f->files, &f->cfg, &f->to, r);
}

static void
test_routes_sorted_and_translated(void **state)
{
	struct fixture *f = *state;
	struct build_result r;
	const struct xds_resource *res;
	Envoy__Config__Route__V3__RouteConfiguration *rc;

	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &r);
	assert_int_equal(r.diags.nerrors, 0);
	assert_int_equal(r.dag->nvhosts, 1);
	assert_int_equal(dag_vhost_at(r.dag, 0)->nroutes, 3);
	/* exact first, then longest prefix, then / */
	assert_int_equal(dag_vhost_at(r.dag, 0)->routes[0].path_kind, DAG_PATH_EXACT);
	assert_string_equal(dag_vhost_at(r.dag, 0)->routes[1].path, "/api/v1");
	assert_string_equal(dag_vhost_at(r.dag, 0)->routes[2].path, "/");

	/* ingress_http + the proxyless api listener, named only */
	assert_int_equal(r.snapshot->types[XDS_LISTENER].n, 2);
	res = snapshot_find(r.snapshot, XDS_LISTENER, "app.example.com");
	assert_non_null(res);
	assert_true(res->named_only);
	assert_false(snapshot_find(r.snapshot, XDS_LISTENER, "ingress_http")->named_only);

	res = snapshot_find(r.snapshot, XDS_ROUTE, "ingress_http");
	assert_non_null(res);
	rc = envoy__config__route__v3__route_configuration__unpack(NULL, res->len,
	    xds_resource_bytes(res));
	assert_non_null(rc);
	assert_int_equal(rc->n_virtual_hosts, 1);
	assert_string_equal(rc->virtual_hosts[0]->domains[0], "app.example.com");
	assert_string_equal(rc->virtual_hosts[0]->routes[0]->match->path, "/exact");
	assert_string_equal(rc->virtual_hosts[0]->routes[1]->match->prefix, "/api/v1");
	assert_string_equal(rc->virtual_hosts[0]->routes[2]->route->cluster,
	    dag_cluster_at(r.dag, 0)->name);
	envoy__config__route__v3__route_configuration__free_unpacked(rc, NULL);
	build_result_free(&r);
}

static void
test_cluster_and_endpoints(void **state)
{
	struct fixture *f = *state;
	struct build_result r;
	const struct xds_resource *res;
	Envoy__Config__Cluster__V3__Cluster *c;
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla;

	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &r);
	assert_int_equal(r.snapshot->types[XDS_CLUSTER].n, 1);
	res = xds_set_at(&r.snapshot->types[XDS_CLUSTER], 0);
	/* <ns>/<svc>/<port>/<10 hex> */
	assert_int_equal(strncmp(res->name, "default/web/80/", 15), 0);
	assert_int_equal(strlen(res->name), 15 + 10);
	c = envoy__config__cluster__v3__cluster__unpack(NULL, res->len, res->bytes);
	assert_non_null(c);
	assert_int_equal(c->type, ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS);
	assert_string_equal(c->eds_cluster_config->service_name, "default/web/http");
	assert_int_equal(c->connect_timeout->seconds, 2);
	envoy__config__cluster__v3__cluster__free_unpacked(c, NULL);

	res = snapshot_find(r.snapshot, XDS_ENDPOINT, "default/web/http");
	assert_non_null(res);
	cla = envoy__config__endpoint__v3__cluster_load_assignment__unpack(NULL, res->len, res->bytes);
	assert_non_null(cla);
	assert_int_equal(cla->n_endpoints, 1);
	/* gRPC clients ignore localities without both of these */
	assert_non_null(cla->endpoints[0]->locality);
	assert_non_null(cla->endpoints[0]->load_balancing_weight);
	assert_int_equal(cla->endpoints[0]->n_lb_endpoints, 2);
	/* sorted by address */
	assert_string_equal(cla->endpoints[0]->lb_endpoints[0]->endpoint->address->socket_address->address,
	    "10.0.0.1");
	assert_int_equal(cla->endpoints[0]->lb_endpoints[0]->endpoint->address->socket_address->port_value,
	    8080);
	envoy__config__endpoint__v3__cluster_load_assignment__free_unpacked(cla, NULL);
	build_result_free(&r);
}

static void
test_versions_deterministic(void **state)
{
	struct fixture *f = *state;
	struct build_result a, b;
	struct pipeline *other = pipeline_new(NULL);

	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &a);
	/* A second, independent pipeline (another process, another replica). */
	pipeline_build(other, &f->files, &f->cfg, &f->to, &b);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		assert_int_equal(a.snapshot->types[t].n, b.snapshot->types[t].n);
		assert_string_equal(a.snapshot->types[t].version_hex, b.snapshot->types[t].version_hex);
		for (size_t i = 0; i < a.snapshot->types[t].n; i++) {
			const struct xds_resource *x = xds_set_at(&a.snapshot->types[t], i);

			assert_int_equal(x->version, xds_set_at(&b.snapshot->types[t], i)->version);
			/* A version is the hash of the bytes. */
			assert_int_equal(x->version, hash_bytes(x->bytes, x->len));
		}
	}
	build_result_free(&a);
	build_result_free(&b);
	pipeline_free(other);
}

static void
test_endpoint_change_touches_only_eds(void **state)
{
	struct fixture *f = *state;
	struct build_result a, b;

	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &a);
	char *moved = xstrdup(service_yaml);
	char *p = strstr(moved, "10.0.0.2");
	p[7] = '3';
	fixture_files_set(&f->files, "default/web.yaml", moved);
	free(moved);
	build(f, &b);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		if (t == XDS_ENDPOINT)
			assert_string_not_equal(a.snapshot->types[t].version_hex,
			    b.snapshot->types[t].version_hex);
		else
			assert_string_equal(a.snapshot->types[t].version_hex,
			    b.snapshot->types[t].version_hex);
	}
	build_result_free(&a);
	build_result_free(&b);
}

static void
test_last_good_per_file(void **state)
{
	struct fixture *f = *state;
	struct build_result good, bad, fixed;

	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &good);
	assert_int_equal(good.files[0].state, FILE_OK);

	/* A typo: the file's previous objects keep serving. */
	fixture_files_set(&f->files, "default/app.yaml", "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: app}\nspec:\n  virtualhostt: {}\n");
	build(f, &bad);
	assert_true(bad.diags.nerrors > 0);
	assert_string_equal(bad.diags.items[0].file, "default/app.yaml");
	assert_int_equal(bad.diags.items[0].line, 5);
	assert_int_equal(bad.files[0].state, FILE_ERROR_SERVING_PREVIOUS);
	assert_string_equal(bad.files[0].serving_hash, good.files[0].serving_hash);
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		assert_string_equal(good.snapshot->types[t].version_hex,
		    bad.snapshot->types[t].version_hex);

	/* A file that never parsed contributes nothing and is reported. */
	fixture_files_set(&f->files, "default/new.yaml", "kind: [\n");
	build_result_free(&bad);
	build(f, &bad);
	assert_int_equal(bad.files[1].state, FILE_ERROR);

	/* Deleting the broken file and fixing the other one. */
	fixture_files_remove(&f->files, "default/new.yaml");
	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	build(f, &fixed);
	assert_int_equal(fixed.diags.nerrors, 0);
	assert_int_equal(fixed.nfiles, 2);
	assert_int_equal(fixed.files[0].state, FILE_OK);
	build_result_free(&good);
	build_result_free(&bad);
	build_result_free(&fixed);
}

static void
test_unreadable_file_keeps_last_good(void **state)
{
	struct fixture *f = *state;
	struct build_result good, later;

	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &good);
	/* The source could not read web.yaml this time (say it grew past
	 * max-file-bytes): it drops out of the list with an error. */
	fixture_files_remove(&f->files, "default/web.yaml");
	diag_add(&f->files.diags, DIAG_ERROR, "default/web.yaml", 0, 0, "file is too large");
	build(f, &later);
	assert_int_equal(later.dag->nclusters, 1);
	assert_string_equal(good.snapshot->types[XDS_ENDPOINT].version_hex,
	    later.snapshot->types[XDS_ENDPOINT].version_hex);
	build_result_free(&good);
	build_result_free(&later);
}

static void
test_deleted_file_removes_objects(void **state)
{
	struct fixture *f = *state;
	struct build_result r;

	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &r);
	build_result_free(&r);
	fixture_files_remove(&f->files, "default/web.yaml");
	build(f, &r);
	/* Every route now lacks its service: 503s, no clusters. */
	assert_int_equal(r.dag->nclusters, 0);
	assert_int_equal(dag_count_status(r.dag, DAG_STATUS_INVALID), 1);
	assert_int_equal(dag_vhost_at(r.dag, 0)->routes[0].direct_status, 503);
	build_result_free(&r);
}

static void
test_no_routes_no_listener(void **state)
{
	struct fixture *f = *state;
	struct build_result r;

	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &r);
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		assert_int_equal(r.snapshot->types[t].n, 0);
	build_result_free(&r);
}

/* A snapshot's sets come out sorted by name with unique names and the
 * version of the sorted list, whatever the order resources were added
 * in: one run, a few runs (merged) or many (sorted), with duplicates. */
static void
test_snapshot_sorts_runs(void **state)
{
	enum { N = 300 };
	static char names[N][16];
	uint64_t rnd = 88172645463325252ULL;

	(void)state;
	for (int i = 0; i < N; i++)
		snprintf(names[i], sizeof names[i], "n%05d", i * 7);
	for (int round = 0; round < 400; round++) {
		struct snapshot_builder *sorted = snapshot_builder_new("r");
		struct snapshot_builder *b = snapshot_builder_new("r");
		struct snapshot *want, *got;
		size_t order[2 * N], n = 0, nruns;
		bool seen[N] = { false };

		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		nruns = 1 + rnd % (round % 2 ? 4 : 40);
		/* nruns ascending runs of random names (some repeated). */
		for (size_t r = 0; r < nruns; r++) {
			for (int i = 0; i < N; i++) {
				rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
				if (rnd % (nruns + (round % 3 == 0 ? 0 : 8)) == 0)
					order[n++] = (size_t)i;
			}
		}
		for (size_t i = 0; i < n; i++) {
			snapshot_builder_add(b, XDS_CLUSTER, names[order[i]],
			    names[order[i]], 6, false);
			seen[order[i]] = true;
		}
		for (int i = 0; i < N; i++)
			if (seen[i])
				snapshot_builder_add(sorted, XDS_CLUSTER, names[i],
				    names[i], 6, false);
		want = snapshot_builder_finish(sorted);
		got = snapshot_builder_finish(b);
		assert_int_equal(got->types[XDS_CLUSTER].n,
		    want->types[XDS_CLUSTER].n);
		for (size_t i = 0; i < got->types[XDS_CLUSTER].n; i++)
			assert_string_equal(xds_set_at(&got->types[XDS_CLUSTER], i)->name,
			    xds_set_at(&want->types[XDS_CLUSTER], i)->name);
		assert_string_equal(got->types[XDS_CLUSTER].version_hex,
		    want->types[XDS_CLUSTER].version_hex);
		snapshot_unref(want);
		snapshot_unref(got);
	}
}

/* --- the delta form of source_files (source.h) ----------------------------- */

static struct lastgood *
delta_store(char **dir)
{
	struct lastgood_options o = { 0 };
	struct lastgood *lg = NULL;
	char *w = NULL, *err = NULL;

	*dir = fixture_scratch("pipeline");
	o.state_dir = *dir;
	o.source_key = "k";
	assert_int_equal(lastgood_open(&lg, &o, &w, &err), 0);
	assert_null(err);
	free(w);
	return lg;
}

/* The delta from prev to cur, as a source hands it over: the files
 * added or changed, the paths gone, and the revision's problems. */
static void
delta_of(const struct source_files *prev, const struct source_files *cur,
    struct source_files *out)
{
	size_t cap = 0, rcap = 0;

	memset(out, 0, sizeof *out);
	diag_list_init(&out->diags);
	diag_list_append(&out->diags, &cur->diags);
	out->revision = xstrdup(cur->revision);
	out->delta = true;
	for (size_t i = 0; i < cur->n; i++) {
		const struct source_file *f = &cur->files[i];
		bool same = false;

		for (size_t k = 0; k < prev->n && !same; k++)
			same = strcmp(prev->files[k].path, f->path) == 0 &&
			    prev->files[k].hash == f->hash;
		if (same)
			continue;
		ARRAY_PUSH(out->files, out->n, cap, ((struct source_file){
			.path = xstrdup(f->path), .ns = xstrdup(f->ns),
			.data = xstrdup(f->data), .len = f->len, .hash = f->hash }));
	}
	for (size_t k = 0; k < prev->n; k++) {
		bool kept = false;

		for (size_t i = 0; i < cur->n && !kept; i++)
			kept = strcmp(prev->files[k].path, cur->files[i].path) == 0;
		if (!kept)
			ARRAY_PUSH(out->removed, out->n_removed, rcap,
			    xstrdup(prev->files[k].path));
	}
}

static void
files_copy(const struct source_files *from, struct source_files *to)
{
	source_files_free(to);
	diag_list_init(&to->diags);
	diag_list_append(&to->diags, &from->diags);
	to->revision = xstrdup(from->revision);
	for (size_t i = 0; i < from->n; i++)
		fixture_files_set(to, from->files[i].path, from->files[i].data);
}

/* Same statuses, same snapshot (versions and bytes), same ledger. */
static void
assert_same_build(const struct build_result *a, const struct build_result *b,
    const struct pipeline *pa, const struct pipeline *pb)
{
	const struct fqdn_ledger *la = pipeline_owners(pa),
	    *lb = pipeline_owners(pb);
	size_t previous = 0, failed = 0;

	assert_int_equal(a->nfiles, b->nfiles);
	for (size_t i = 0; i < a->nfiles; i++) {
		previous += a->files[i].state == FILE_ERROR_SERVING_PREVIOUS;
		failed += a->files[i].state == FILE_ERROR;
		assert_string_equal(a->files[i].path, b->files[i].path);
		assert_int_equal(a->files[i].state, b->files[i].state);
		assert_string_equal(a->files[i].serving_hash,
		    b->files[i].serving_hash);
		assert_int_equal(a->files[i].nobjects, b->files[i].nobjects);
		assert_int_equal(a->files[i].persisted, b->files[i].persisted);
	}
	assert_int_equal(a->nobjects, b->nobjects);
	assert_int_equal(a->nrestored, b->nrestored);
	assert_int_equal(a->nserving_previous, b->nserving_previous);
	assert_int_equal(a->nfailed, b->nfailed);
	/* report_file_lines reads the rows only when it says some are; the
	 * admin's file error count is the three totals'. */
	assert_int_equal(a->nserving_previous, previous);
	assert_int_equal(a->nfailed, failed);
	assert_int_equal(a->diags.n, b->diags.n);
	for (size_t i = 0; i < a->diags.n; i++)
		assert_string_equal(a->diags.items[i].message,
		    b->diags.items[i].message);
	assert_int_equal(a->owners_changed, b->owners_changed);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const struct xds_resource_set *x = &a->snapshot->types[t],
		    *y = &b->snapshot->types[t];

		assert_string_equal(x->version_hex, y->version_hex);
		assert_int_equal(x->n, y->n);
		for (size_t i = 0; i < x->n; i++) {
			assert_string_equal(xds_set_at(x, i)->name, xds_set_at(y, i)->name);
			assert_int_equal(xds_set_at(x, i)->len, xds_set_at(y, i)->len);
			assert_memory_equal(xds_resource_bytes(xds_set_at(x, i)),
			    xds_resource_bytes(xds_set_at(y, i)),
			    xds_set_at(x, i)->len);
		}
	}
	assert_int_equal(la->n, lb->n);
	for (size_t i = 0; i < la->n; i++) {
		assert_string_equal(la->items[i].fqdn, lb->items[i].fqdn);
		assert_int_equal(la->items[i].seq, lb->items[i].seq);
	}
	assert_int_equal(dag_count_status(a->dag, DAG_STATUS_INVALID),
	    dag_count_status(b->dag, DAG_STATUS_INVALID));
}

static const char *other_proxy_yaml =
    "apiVersion: projectcontour.io/v1\n"
    "kind: HTTPProxy\n"
    "metadata: {name: other}\n"
    "spec:\n"
    "  virtualhost: {fqdn: app.example.com}\n"
    "  routes:\n"
    "    - services: [{name: web, port: 80}]\n";

/* A pipeline fed deltas gives, build after build, what one fed the whole
 * list gives: files added, changed, broken (last good), fixed, removed,
 * unreadable, a claim contested and released, and the copies persisted. */
static void
test_delta_equals_full(void **state)
{
	struct fixture *f = *state;
	struct pipeline *pd = pipeline_new(NULL);
	struct source_files prev = { 0 }, delta = { 0 };
	char *dir_full, *dir_delta;
	struct lastgood *lg_full = delta_store(&dir_full),
	    *lg_delta = delta_store(&dir_delta);
	enum { ADD, REMOVE, UNREADABLE };
	static const struct {
		int op;
		const char *path, *data;
	} steps[] = {
		{ ADD, "default/app.yaml", NULL },
		{ ADD, "default/web.yaml", NULL },
		{ ADD, "shop/web.yaml", NULL },
		{ ADD, "shop/app.yaml", NULL },
		/* A second claim on app.example.com, then a broken save. */
		{ ADD, "shop/other.yaml", NULL },
		{ ADD, "default/app.yaml", "kind: [\n" },
		{ ADD, "default/new.yaml", "kind: ]\n" },
		{ ADD, "default/app.yaml", NULL },
		{ REMOVE, "default/new.yaml", NULL },
		{ UNREADABLE, "shop/web.yaml", NULL },
		{ REMOVE, "shop/other.yaml", NULL },
		{ ADD, "a/first.yaml", NULL },
		{ ADD, "zz/last.yaml", NULL },
		{ REMOVE, "default/web.yaml", NULL },
		{ ADD, "default/web.yaml", NULL },
		{ REMOVE, "a/first.yaml", NULL },
		{ REMOVE, "zz/last.yaml", NULL },
		{ ADD, "shop/web.yaml", NULL },
	};

	pipeline_set_lastgood(f->p, lg_full);
	pipeline_set_lastgood(pd, lg_delta);
	diag_list_init(&prev.diags);
	prev.revision = xstrdup("rev1");
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		struct build_result rf, rd;
		const char *data = steps[s].data;

		if (data == NULL)
			data = strstr(steps[s].path, "web") ? service_yaml :
			    strstr(steps[s].path, "other") ? other_proxy_yaml :
			    proxy_yaml;
		diag_list_free(&f->files.diags);
		diag_list_init(&f->files.diags);
		if (steps[s].op == ADD) {
			fixture_files_set(&f->files, steps[s].path, data);
		} else {
			fixture_files_remove(&f->files, steps[s].path);
			if (steps[s].op == UNREADABLE)
				diag_add(&f->files.diags, DIAG_ERROR, steps[s].path, 0,
				    0, "file is too large");
		}
		build(f, &rf);
		/* The first build of a source is always whole. */
		if (s == 0) {
			files_copy(&f->files, &delta);
		} else {
			delta_of(&prev, &f->files, &delta);
			assert_true(delta.n + delta.n_removed <= 1);
		}
		pipeline_build(pd, &delta, &f->cfg, &f->to, &rd);
		assert_same_build(&rf, &rd, f->p, pd);
		assert_int_equal(lastgood_count(lg_full), lastgood_count(lg_delta));
		for (size_t i = 0; i < lastgood_count(lg_full); i++)
			assert_string_equal(lastgood_path_at(lg_full, i),
			    lastgood_path_at(lg_delta, i));
		build_result_free(&rf);
		build_result_free(&rd);
		source_files_free(&delta);
		files_copy(&f->files, &prev);
	}
	source_files_free(&prev);
	pipeline_set_lastgood(f->p, NULL);
	pipeline_free(pd);
	lastgood_close(lg_full);
	lastgood_close(lg_delta);
	fixture_rm_rf(dir_full);
	fixture_rm_rf(dir_delta);
	free(dir_full);
	free(dir_delta);
}

/* A result owns what it points to: kept across builds that replace and
 * delete every file it was built from, and across pipeline_free, its
 * statuses, paths and DAG still read as they did (valgrind and ASan
 * runs of this test see any use after free). */
static void
test_result_outlives_builds(void **state)
{
	struct fixture *f = *state;
	struct build_result old, r;
	char *dot, *again, *paths[2];
	struct strbuf names = STRBUF_INIT, later = STRBUF_INIT;

	fixture_files_set(&f->files, "default/app.yaml", proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", service_yaml);
	build(f, &old);
	dot = dag_to_dot(old.dag);
	for (size_t i = 0; i < old.dag->nstatuses; i++)
		strbuf_printf(&names, "%s/%s;", dag_status_at(old.dag, i)->namespace,
		    dag_status_at(old.dag, i)->name);
	paths[0] = xstrdup(old.files[0].path);
	paths[1] = xstrdup(old.files[1].path);
	/* Every file replaced, then every file deleted. */
	fixture_files_set(&f->files, "default/app.yaml", other_proxy_yaml);
	fixture_files_set(&f->files, "default/web.yaml", "kind: [\n");
	build(f, &r);
	build_result_free(&r);
	fixture_files_remove(&f->files, "default/app.yaml");
	fixture_files_remove(&f->files, "default/web.yaml");
	build(f, &r);
	build_result_free(&r);
	pipeline_free(f->p);
	f->p = pipeline_new(NULL);

	assert_string_equal(old.files[0].path, paths[0]);
	assert_string_equal(old.files[1].path, paths[1]);
	for (size_t i = 0; i < old.dag->nstatuses; i++)
		strbuf_printf(&later, "%s/%s;", dag_status_at(old.dag, i)->namespace,
		    dag_status_at(old.dag, i)->name);
	assert_string_equal(names.buf, later.buf);
	again = dag_to_dot(old.dag);
	assert_string_equal(dot, again);
	assert_string_equal(dag_vhost_at(old.dag, 0)->fqdn, "app.example.com");
	build_result_free(&old);
	free(dot);
	free(again);
	free(paths[0]);
	free(paths[1]);
	strbuf_free(&names);
	strbuf_free(&later);
}

/* Two snapshots hold the same resources, byte for byte. */
static void
assert_same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		assert_int_equal(a->types[t].n, b->types[t].n);
		assert_int_equal(a->types[t].version, b->types[t].version);
		for (size_t i = 0; i < a->types[t].n; i++) {
			const struct xds_resource *x = xds_set_at(&a->types[t], i);
			const struct xds_resource *y = xds_set_at(&b->types[t], i);

			assert_string_equal(x->name, y->name);
			assert_int_equal(x->len, y->len);
			assert_memory_equal(xds_resource_bytes(x),
			    xds_resource_bytes(y), x->len);
		}
	}
}

static void
assert_same_statuses(const struct dag *a, const struct dag *b)
{
	assert_int_equal(a->nstatuses, b->nstatuses);
	for (size_t i = 0; i < a->nstatuses; i++) {
		assert_int_equal(dag_status_at(a, i)->kind, dag_status_at(b, i)->kind);
		assert_string_equal(dag_status_at(a, i)->namespace, dag_status_at(b, i)->namespace);
		assert_string_equal(dag_status_at(a, i)->name, dag_status_at(b, i)->name);
		assert_int_equal(dag_status_at(a, i)->status, dag_status_at(b, i)->status);
		assert_string_equal(dag_status_at(a, i)->description ?
		    dag_status_at(a, i)->description : "", dag_status_at(b, i)->description ?
		    dag_status_at(b, i)->description : "");
		assert_int_equal(dag_status_at(a, i)->nconditions, dag_status_at(b, i)->nconditions);
	}
}

/* A startup of many groups builds them on several threads: the result
 * is the one thread's, byte for byte, statuses included, and stays so
 * through a change built from the cached parts. Groups with TLS stay on
 * the calling thread beside the pool. */
static void
test_cold_groups_on_threads(void **state)
{
	struct fixture *f = *state;
	struct load_options two = { .threads = 2 }, one = { .threads = 1 };
	struct pipeline *p2 = pipeline_new(&two), *p1 = pipeline_new(&one);
	struct build_result r1, r2;
	const size_t n = PARALLEL_TEST_GROUPS;

	for (size_t i = 0; i < n; i++) {
		char path[64], yaml[1024];

		snprintf(path, sizeof path, "ns-%03zu/app.yaml", i);
		snprintf(yaml, sizeof yaml,
		    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
		    "metadata: {name: app}\nspec:\n"
		    "  virtualhost: {fqdn: app-%03zu.example.com%s}\n"
		    "  routes:\n"
		    "    - conditions: [{prefix: /}]\n"
		    "      services: [{name: web, port: 80}]\n"
		    "    - conditions: [{prefix: /v%zu}]\n"
		    "      services: [{name: %s, port: 80}]\n", i,
		    i % 50 == 7 ? ", tls: {secretName: missing}" : "", i,
		    i % 9 == 4 ? "nowhere" : "web");
		fixture_files_set(&f->files, path, yaml);
		snprintf(path, sizeof path, "ns-%03zu/web.yaml", i);
		fixture_files_set(&f->files, path, service_yaml);
	}
	pipeline_build(p1, &f->files, &f->cfg, &f->to, &r1);
	pipeline_build(p2, &f->files, &f->cfg, &f->to, &r2);
	assert_int_equal(pipeline_dag_stats(p1).parallel, 0);
	assert_true(pipeline_dag_stats(p2).parallel >= PARALLEL_TEST_GROUPS - 10);
	assert_int_equal(r1.dag->nvhosts, r2.dag->nvhosts);
	assert_true(r1.dag->nvhosts >= n - 10); /* the TLS ones lack their Secret */
	assert_same_snapshot(r1.snapshot, r2.snapshot);
	assert_same_statuses(r1.dag, r2.dag);
	build_result_free(&r1);
	build_result_free(&r2);

	/* One file changed: the parts built by the pool are reused. */
	fixture_files_set(&f->files, "ns-123/app.yaml", proxy_yaml);
	pipeline_build(p1, &f->files, &f->cfg, &f->to, &r1);
	pipeline_build(p2, &f->files, &f->cfg, &f->to, &r2);
	assert_int_equal(pipeline_dag_stats(p2).parallel, 0);
	assert_int_equal(pipeline_dag_stats(p2).built, 1);
	assert_same_snapshot(r1.snapshot, r2.snapshot);
	assert_same_statuses(r1.dag, r2.dag);
	build_result_free(&r1);
	build_result_free(&r2);
	pipeline_free(p1);
	pipeline_free(p2);
}

/* Whether a result gives the heap's free pages back when freed
 * (build_result.made_most): after a first build, and after a change that
 * serialized most resources again, yes; after a change in a tree of one
 * group (the group built again) that serialized a few resources, no:
 * the next such change allocates what it would give back. */
static void
test_made_most(void **state)
{
	struct fixture *f = *state;
	struct build_result r;
	struct translate_cache_stats ts;
	char *data;

	data = fixture_routes_file("app.example.com", 40, "x-a", "one",
	    "10.0.0.1");
	fixture_files_set(&f->files, "default/app.yaml", data);
	free(data);
	build(f, &r);
	assert_int_equal(r.diags.n, 0);
	assert_int_equal(r.dag->nvhosts, 1);
	assert_true(r.made_most);
	build_result_free(&r);

	/* Every route's header match: the host's routes written again, the
	 * clusters and their endpoints kept. */
	data = fixture_routes_file("app.example.com", 40, "x-a", "two",
	    "10.0.0.1");
	fixture_files_set(&f->files, "default/app.yaml", data);
	free(data);
	build(f, &r);
	/* The DAG's one group built again: the translation decides. */
	assert_true(r.dag->nparts_built * 8 >= r.dag->nparts);
	ts = pipeline_translate_stats(f->p);
	assert_true(ts.in_order + ts.by_key > 80);
	assert_true(ts.serialized + ts.http_written > 0);
	assert_true(ts.serialized + ts.http_written < 4);
	assert_false(r.made_most);
	build_result_free(&r);

	/* Every endpoint's address: every ClusterLoadAssignment again. */
	data = fixture_routes_file("app.example.com", 40, "x-a", "two",
	    "10.0.0.2");
	fixture_files_set(&f->files, "default/app.yaml", data);
	free(data);
	build(f, &r);
	assert_true(r.made_most);
	build_result_free(&r);
}

/* The loading threads take files in batches: whatever the count (at and
 * past the threshold, on and off a batch boundary), every file is loaded
 * once, into its own entry, as on one thread: the same resources, and
 * per path the same state, hash and objects (bad files included, so a
 * result landing in another file's entry would show). Built twice on
 * threads, the second from a fresh pipeline, to see nothing carried. */
static void
test_load_batches_on_threads(void **state)
{
	struct fixture *f = *state;
	struct load_options two = { .threads = 2 }, one = { .threads = 1 };
	static const size_t counts[] = { 64, 65, 71, 72, 83 };
	size_t have = 0;

	for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
		struct build_result r1, r2, r3;
		struct pipeline *p1 = pipeline_new(&one), *p2 = pipeline_new(&two),
		    *p3 = pipeline_new(&two);

		for (; have < counts[c]; have++) {
			char path[64], yaml[512];

			snprintf(path, sizeof path, "ns-%03zu/svc.yaml", have);
			if (have % 13 == 5)
				snprintf(yaml, sizeof yaml, "kind: Service\n"
				    "metadata: {name: [bad %zu}\n", have);
			else
				snprintf(yaml, sizeof yaml, "apiVersion: v1\n"
				    "kind: Service\nmetadata: {name: svc-%zu}\n"
				    "spec:\n  ports: [{port: %zu}]\n", have,
				    80 + have);
			fixture_files_set(&f->files, path, yaml);
		}
		pipeline_build(p1, &f->files, &f->cfg, &f->to, &r1);
		pipeline_build(p2, &f->files, &f->cfg, &f->to, &r2);
		pipeline_build(p3, &f->files, &f->cfg, &f->to, &r3);
		assert_int_equal(r1.nfiles, counts[c]);
		assert_int_equal(r2.nfiles, counts[c]);
		assert_int_equal(r3.nfiles, counts[c]);
		assert_int_equal(r1.nobjects, r2.nobjects);
		assert_int_equal(r1.diags.nerrors, r2.diags.nerrors);
		assert_true(r1.diags.nerrors > 0);
		for (size_t i = 0; i < r1.nfiles; i++) {
			assert_string_equal(r1.files[i].path, r2.files[i].path);
			assert_int_equal(r1.files[i].state, r2.files[i].state);
			assert_string_equal(r1.files[i].serving_hash,
			    r2.files[i].serving_hash);
			assert_int_equal(r1.files[i].nobjects, r2.files[i].nobjects);
			assert_string_equal(r2.files[i].path, r3.files[i].path);
			assert_int_equal(r2.files[i].state, r3.files[i].state);
			assert_int_equal(r2.files[i].nobjects, r3.files[i].nobjects);
		}
		assert_same_snapshot(r1.snapshot, r2.snapshot);
		assert_same_snapshot(r2.snapshot, r3.snapshot);
		assert_same_statuses(r1.dag, r2.dag);
		build_result_free(&r1);
		build_result_free(&r2);
		build_result_free(&r3);
		pipeline_free(p1);
		pipeline_free(p2);
		pipeline_free(p3);
	}
}

/* --- the kept file table: patched at the touched entries ----------------- */

enum { WALK_SLOTS = 40, WALK_STEPS = 200 };

static unsigned walk_seed = 1;

static unsigned
walk_rand(void)
{
	walk_seed = walk_seed * 1103515245u + 12345u;
	return (walk_seed >> 16) & 0x7fff;
}

static char *
walk_path(size_t slot)
{
	return xasprintf("ns%zu/f%02zu.yaml", slot % 4, slot);
}

/* A version of slot's file: a proxy, a Service, a broken file, an
 * unknown kind (a warning, no objects), a comment (no objects), or a
 * proxy with a warning. */
static char *
walk_content(size_t slot, unsigned kind, unsigned version)
{
	static const char *proxy =
	    "apiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\n"
	    "metadata: {name: p%zu}\n"
	    "spec:\n"
	    "  virtualhost: {fqdn: h%zu.example.com}\n"
	    "  routes:\n"
	    "    - conditions: [{prefix: /v%u}]\n"
	    "      services: [{name: web, port: 80}]\n";
	static const char *widget =
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "metadata: {name: w%u}\n";

	switch (kind % 6) {
	case 0:
		return xasprintf(proxy, slot, slot, version);
	case 1:
		return xasprintf("%s# v%u\n", service_yaml, version);
	case 2:
		return xasprintf("kind: [%u\n", version);
	case 3:
		return xasprintf(widget, version);
	case 4:
		return xasprintf("# nothing %u\n", version);
	default: {
		char *w = xasprintf(widget, version), *s;

		s = xasprintf(proxy, slot, slot, version);
		s = xrealloc(s, strlen(s) + strlen(w) + 8);
		strcat(s, "---\n");
		strcat(s, w);
		free(w);
		return s;
	}
	}
}

struct walk_copy {
	struct file_status *files;
	size_t nfiles, nobjects, nrestored, nserving_previous, nfailed, ndiags;
};

static void
walk_copy_of(const struct build_result *r, struct walk_copy *c)
{
	c->files = xreallocarray(NULL, r->nfiles + 1, sizeof *c->files);
	for (size_t i = 0; i < r->nfiles; i++) {
		c->files[i] = r->files[i];
		c->files[i].path = xstrdup(r->files[i].path);
	}
	c->nfiles = r->nfiles;
	c->nobjects = r->nobjects;
	c->nrestored = r->nrestored;
	c->nserving_previous = r->nserving_previous;
	c->nfailed = r->nfailed;
	c->ndiags = r->diags.n;
}

static void
walk_copy_check_free(const struct build_result *r, struct walk_copy *c)
{
	assert_int_equal(r->nfiles, c->nfiles);
	for (size_t i = 0; i < c->nfiles; i++) {
		assert_string_equal(r->files[i].path, c->files[i].path);
		assert_int_equal(r->files[i].state, c->files[i].state);
		assert_string_equal(r->files[i].serving_hash,
		    c->files[i].serving_hash);
		assert_int_equal(r->files[i].nobjects, c->files[i].nobjects);
		assert_int_equal(r->files[i].persisted, c->files[i].persisted);
		free((char *)c->files[i].path);
	}
	assert_int_equal(r->nobjects, c->nobjects);
	assert_int_equal(r->nrestored, c->nrestored);
	assert_int_equal(r->nserving_previous, c->nserving_previous);
	assert_int_equal(r->nfailed, c->nfailed);
	assert_int_equal(r->diags.n, c->ndiags);
	free(c->files);
}

/* The units of a (fed deltas, its tables patched) and of b (fed whole
 * lists: every build walks every entry): the same files' objects, in the
 * same order, each unit its entry's good version. */
static void
walk_assert_same_units(const struct pipeline *a, const struct pipeline *b)
{
	assert_int_equal(a->nunits, b->nunits);
	for (size_t u = 0; u < a->nunits; u++) {
		const struct file_entry *ea = &a->entries[a->unit_entry[u]],
		    *eb = &b->entries[b->unit_entry[u]];

		assert_string_equal(ea->path, eb->path);
		assert_int_equal(a->units[u].id, ea->serial);
		assert_ptr_equal(a->units[u].objs, ea->good->objects);
		assert_int_equal(a->units[u].nobjs, ea->good->nobjects);
		assert_int_equal(a->units[u].nobjs, b->units[u].nobjs);
		assert_true(u == 0 || a->unit_entry[u - 1] < a->unit_entry[u]);
	}
	assert_int_equal(a->nsecret_paths, b->nsecret_paths);
}

/* Random edits, breaks, adds and removes (and files the source could not
 * read), first and last paths included, build after build: a pipeline fed
 * deltas, which patches its file table and units where the delta touched
 * entries, gives what one walking every entry gives, and a result is
 * left as it was by the builds after it. */
static void
test_patched_walk_equals_full(void **state)
{
	struct fixture *f = *state;
	struct pipeline *pd = pipeline_new(NULL);
	struct source_files prev = { 0 }, delta = { 0 };
	char *dir_full, *dir_delta;
	struct lastgood *lg_full = delta_store(&dir_full),
	    *lg_delta = delta_store(&dir_delta);
	bool present[WALK_SLOTS] = { false };
	struct build_result rprev = { 0 };
	size_t patched = 0;
	const char *env = getenv("CAIRN_TEST_SEED");

	if (env != NULL)
		walk_seed = (unsigned)strtoul(env, NULL, 10);
	pipeline_set_lastgood(f->p, lg_full);
	pipeline_set_lastgood(pd, lg_delta);
	diag_list_init(&prev.diags);
	prev.revision = xstrdup("rev1");
	for (size_t s = 0; s < WALK_STEPS; s++) {
		struct build_result rf, rd;
		struct walk_copy before = { 0 };
		size_t nops = s == 0 ? WALK_SLOTS : 1 + walk_rand() % 3;
		size_t walks;
		bool defer, tell;

		diag_list_free(&f->files.diags);
		diag_list_init(&f->files.diags);
		for (size_t o = 0; o < nops; o++) {
			unsigned op = walk_rand() % 10;
			/* The ends of the table half of the time. */
			size_t slot = walk_rand() % 2 ? walk_rand() % WALK_SLOTS :
			    walk_rand() % 2 ? 0 : WALK_SLOTS - 1;
			char *path = walk_path(slot);

			if (s == 0)
				slot = o, free(path), path = walk_path(slot);
			if (s == 0 || op < 8 || !present[slot]) {
				char *data = walk_content(slot, walk_rand(),
				    walk_rand());

				fixture_files_set(&f->files, path, data);
				free(data);
				present[slot] = true;
			} else {
				fixture_files_remove(&f->files, path);
				present[slot] = false;
				if (op == 9)
					diag_add(&f->files.diags, DIAG_ERROR, path, 0,
					    0, "file is too large");
			}
			free(path);
		}
		build(f, &rf);
		if (s == 0) {
			files_copy(&f->files, &delta);
		} else {
			delta_of(&prev, &f->files, &delta);
			walk_copy_of(&rprev, &before);
		}
		walks = pd->full_walks;
		/* Now and then the copies are left for after the build (as
		 * serve's first build leaves them), and the result told of
		 * them, or not (then only later results compare). */
		defer = walk_rand() % 4 == 0;
		pipeline_defer_persist(pd, defer);
		pipeline_build(pd, &delta, &f->cfg, &f->to, &rd);
		pipeline_defer_persist(pd, false);
		patched += pd->full_walks == walks;
		tell = !defer || walk_rand() % 2 == 0;
		pipeline_persist_pending(pd, &delta, tell ? &rd : NULL);
		if (tell)
			assert_same_build(&rf, &rd, f->p, pd);
		walk_assert_same_units(pd, f->p);
		if (s > 0) {
			walk_copy_check_free(&rprev, &before);
			build_result_free(&rprev);
		}
		rprev = rd;
		build_result_free(&rf);
		source_files_free(&delta);
		files_copy(&f->files, &prev);
	}
	/* Most steps only edit files in place: those patch, and so do
	 * the shared tables of the results when two such steps follow. */
	assert_true(patched > WALK_STEPS / 4);
	assert_true(pd->table_patches > WALK_STEPS / 20);
	/* Steps that add or remove files move the kept rows instead. */
	assert_true(pd->remaps > WALK_STEPS / 10);
	build_result_free(&rprev);
	source_files_free(&prev);
	pipeline_set_lastgood(f->p, NULL);
	pipeline_free(pd);
	lastgood_close(lg_full);
	lastgood_close(lg_delta);
	fixture_rm_rf(dir_full);
	fixture_rm_rf(dir_delta);
	free(dir_full);
	free(dir_delta);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_sorted_and_translated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_and_endpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_change_touches_only_eds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_good_per_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_file_keeps_last_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_file_removes_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_routes_no_listener, setup, teardown),
		cmocka_unit_test(test_snapshot_sorts_runs),
		cmocka_unit_test_setup_teardown(test_delta_equals_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_outlives_builds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cold_groups_on_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_batches_on_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_made_most, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patched_walk_equals_full, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
