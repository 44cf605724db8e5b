/* The admin endpoint without sockets: routing, methods, the published
 * view's lifetime, /metrics, /status, /debug/dag and /debug/xds, the HTML page and every
 * escaper (Prometheus labels, HTML, dot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "config.h"
#include "dag/dag.h"
#include "fixture.h"
#include "pipeline.h"
#include "report.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *good_yaml = FIXTURE_PROXY_YAML "---\n"
    FIXTURE_SERVICE_YAML "---\n" FIXTURE_ENDPOINTS_YAML;

/* A route to a Service that does not exist: invalid, with a condition. */
static const char *bad_yaml =
    "apiVersion: projectcontour.io/v1\n"
    "kind: HTTPProxy\n"
    "metadata: {name: broken}\n"
    "spec:\n"
    "  virtualhost: {fqdn: broken.example.com}\n"
    "  routes:\n"
    "    - conditions: [{prefix: /}]\n"
    "      services: [{name: missing, port: 80}]\n";

/* Build files (sorted by the caller) and publish the result the way the
 * serve loop does. */
static void
publish_build(struct admin_server *s, struct source_files *files, double seconds)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct load_options lo = { 0 };
	struct pipeline *p = pipeline_new(&lo);
	struct build_result r;
	struct admin_build_info info = { 0 };
	json_t *status;
	char *dot;

	config_init_defaults(&cfg);
	translate_options_init(&to);
	files->revision = xstrdup("rev-1234");
	pipeline_build(p, files, &cfg, &to, &r);
	status = report_json(&r);
	dot = dag_to_dot(r.dag);
	info.status = status;
	info.snapshot = r.snapshot;
	info.dot = dot;
	info.revision = r.revision;
	info.source_kind = "directory";
	info.source_location = "/etc/cairn/resources";
	info.branch = "";
	info.duration_seconds = seconds;
	info.finished_unix = 1700000000.5;
	admin_server_publish(s, &info);
	/* Everything published is the server's own from here on. */
	json_decref(status);
	free(dot);
	build_result_free(&r);
	pipeline_free(p);
	config_free(&cfg);
}

static void
publish_good(struct admin_server *s, double seconds)
{
	struct source_files files = { 0 };

	fixture_files_set(&files, "app.yaml", good_yaml);
	publish_build(s, &files, seconds);
	source_files_free(&files);
}

static void
get(struct admin_server *s, const char *method, const char *path,
    const char *type, struct admin_response *out)
{
	struct admin_request req = { .method = method, .path = path, .type = type };

	admin_route(s, &req, out);
	assert_non_null(out->body);
	assert_int_equal(strlen(out->body), out->len);
}

static json_t *
get_json(struct admin_server *s, const char *path, const char *type,
    unsigned int want_status)
{
	struct admin_response r;
	json_error_t err;
	json_t *j;

	get(s, "GET", path, type, &r);
	assert_int_equal(r.status, want_status);
	assert_string_equal(r.content_type, "application/json");
	j = json_loads(r.body, 0, &err);
	assert_non_null(j);
	admin_response_free(&r);
	return j;
}

static void
test_not_found_and_methods(void **state)
{
	struct admin_server *s = admin_server_new();
	static const char *const get_paths[] = { "/", "/healthz", "/readyz", "/metrics",
		"/status", "/debug/dag", "/debug/xds" };
	struct admin_response r;

	(void)state;
	get(s, "GET", "/nope", NULL, &r);
	assert_int_equal(r.status, 404);
	admin_response_free(&r);
	get(s, "GET", "/status/", NULL, &r);
	assert_int_equal(r.status, 404);
	admin_response_free(&r);
	for (size_t i = 0; i < nitems(get_paths); i++) {
		get(s, "POST", get_paths[i], NULL, &r);
		assert_int_equal(r.status, 405);
		assert_string_equal(r.allow, "GET, HEAD");
		admin_response_free(&r);
		get(s, "DELETE", get_paths[i], NULL, &r);
		assert_int_equal(r.status, 405);
		admin_response_free(&r);
	}
	get(s, "GET", "/refresh", NULL, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	admin_response_free(&r);
	get(s, "HEAD", "/healthz", NULL, &r);
	assert_int_equal(r.status, 200);
	admin_response_free(&r);
	admin_server_free(s);
}

static void
test_before_first_build(void **state)
{
	struct admin_server *s = admin_server_new();
	struct admin_response r;
	json_t *j;

	(void)state;
	get(s, "GET", "/readyz", NULL, &r);
	assert_int_equal(r.status, 503);
	admin_response_free(&r);
	j = get_json(s, "/status", NULL, 503);
	assert_true(json_is_false(json_object_get(j, "ready")));
	assert_int_equal(json_integer_value(json_object_get(j, "rebuilds")), 0);
	assert_true(json_is_array(json_object_get(j, "nodes")));
	json_decref(j);
	get(s, "GET", "/debug/dag", NULL, &r);
	assert_int_equal(r.status, 503);
	admin_response_free(&r);
	get(s, "GET", "/debug/xds", NULL, &r);
	assert_int_equal(r.status, 503);
	admin_response_free(&r);
	get(s, "GET", "/metrics", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "cairn_rebuilds_total 0\n"));
	assert_null(strstr(r.body, "cairn_source_info{"));
	admin_response_free(&r);
	get(s, "GET", "/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "not built yet"));
	admin_response_free(&r);

	admin_server_set_ready(s, true);
	get(s, "GET", "/readyz", NULL, &r);
	assert_int_equal(r.status, 200);
	admin_response_free(&r);
	admin_server_free(s);
}

static void
test_status_json(void **state)
{
	struct admin_server *s = admin_server_new();
	json_t *j, *src, *objects;

	(void)state;
	admin_server_set_ready(s, true);
	publish_good(s, 0.012);
	j = get_json(s, "/status", NULL, 200);
	assert_true(json_is_true(json_object_get(j, "ready")));
	assert_int_equal(json_integer_value(json_object_get(j, "rebuilds")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "revision")), "rev-1234");
	src = json_object_get(j, "source");
	assert_string_equal(json_string_value(json_object_get(src, "kind")), "directory");
	assert_string_equal(json_string_value(json_object_get(src, "revision")), "rev-1234");
	objects = json_object_get(j, "objects");
	assert_int_equal(json_array_size(objects), 3);
	assert_non_null(json_object_get(j, "summary"));
	assert_non_null(json_object_get(j, "files"));
	assert_non_null(json_object_get(j, "problems"));
	assert_int_equal(json_array_size(json_object_get(j, "nodes")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j,
	    "last_rebuild"), "time")), "2023-11-14T22:13:20Z");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
	    json_object_get(j, "snapshot"), "types"), "cds"), "resources")), 1);
	json_decref(j);

	/* A second publish replaces the first (valgrind sees the old freed). */
	publish_good(s, 0.02);
	j = get_json(s, "/status", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "rebuilds")), 2);
	json_decref(j);
	admin_server_free(s);
}

static json_t *
two_nodes(void *arg)
{
	int *calls = arg;

	(*calls)++;
	return json_pack("[{s:s, s:s, s:s, s:{s:{s:s, s:{s:s, s:s, s:s}}}}, {s:s, s:s, s:{}}]",
	    "node_id", "envoy-1", "cluster", "edge", "protocol", "sotw",
	    "types", "rds", "acked_version", "00000000000000aa", "last_nack",
	    "version", "00000000000000bb", "message", "bad <route> & co", "time",
	    "2024-01-01T00:00:00Z",
	    "node_id", "<script>alert(1)</script>", "protocol", "delta", "types");
}

static void
test_nodes(void **state)
{
	struct admin_server *s = admin_server_new();
	struct admin_response r;
	int calls = 0;
	json_t *j, *nodes;

	(void)state;
	admin_server_set_nodes_cb(s, two_nodes, &calls);
	publish_good(s, 0.001);
	j = get_json(s, "/status", NULL, 200);
	nodes = json_object_get(j, "nodes");
	assert_int_equal(json_array_size(nodes), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 0),
	    "node_id")), "envoy-1");
	json_decref(j);
	get(s, "GET", "/", NULL, &r);
	assert_null(strstr(r.body, "<script>"));
	assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(r.body, "bad &lt;route&gt; &amp; co"));
	assert_non_null(strstr(r.body, "00000000000000bb"));
	admin_response_free(&r);
	/* /metrics has no use for nodes: the callback is not called. */
	calls = 0;
	get(s, "GET", "/metrics", NULL, &r);
	admin_response_free(&r);
	assert_int_equal(calls, 0);
	admin_server_free(s);
}

static void
test_metrics(void **state)
{
	struct admin_server *s = admin_server_new();
	struct admin_response r;

	(void)state;
	publish_good(s, 0.003); /* bucket le=0.005 */
	publish_good(s, 0.3); /* bucket le=0.5 */
	publish_good(s, 99); /* +Inf only */
	get(s, "GET", "/metrics", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
	assert_non_null(strstr(r.body, "# TYPE cairn_build_info gauge\ncairn_build_info{version=\""));
	assert_non_null(strstr(r.body, "cairn_rebuilds_total 3\n"));
	assert_non_null(strstr(r.body, "# TYPE cairn_rebuild_duration_seconds histogram\n"));
	assert_non_null(strstr(r.body, "cairn_rebuild_duration_seconds_bucket{le=\"0.001\"} 0\n"));
	assert_non_null(strstr(r.body, "cairn_rebuild_duration_seconds_bucket{le=\"0.005\"} 1\n"));
	assert_non_null(strstr(r.body, "cairn_rebuild_duration_seconds_bucket{le=\"0.25\"} 1\n"));
	assert_non_null(strstr(r.body, "cairn_rebuild_duration_seconds_bucket{le=\"0.5\"} 2\n"));
	assert_non_null(strstr(r.body, "cairn_rebuild_duration_seconds_bucket{le=\"10\"} 2\n"));
	assert_non_null(strstr(r.body, "cairn_rebuild_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(r.body, "cairn_rebuild_duration_seconds_sum 99.303\n"));
	assert_non_null(strstr(r.body, "cairn_rebuild_duration_seconds_count 3\n"));
	assert_non_null(strstr(r.body, "cairn_last_rebuild_timestamp_seconds 1700000000.500\n"));
	assert_non_null(strstr(r.body, "cairn_source_info{revision=\"rev-1234\",branch=\"\"} 1\n"));
	assert_non_null(strstr(r.body, "cairn_objects{kind=\"HTTPProxy\",status=\"valid\"} 1\n"));
	assert_non_null(strstr(r.body, "cairn_objects{kind=\"Service\",status=\"invalid\"} 0\n"));
	assert_non_null(strstr(r.body, "cairn_file_errors 0\n"));
	assert_non_null(strstr(r.body, "cairn_streams{protocol=\"sotw\"} 0\n"));
	assert_non_null(strstr(r.body, "cairn_streams{protocol=\"delta\"} 0\n"));
	assert_non_null(strstr(r.body, "cairn_xds_responses_total{type=\"lds\"} 0\n"));
	assert_non_null(strstr(r.body, "cairn_xds_acks_total{type=\"sds\"} 0\n"));
	assert_non_null(strstr(r.body, "cairn_xds_nacks_total{type=\"cds\"} 0\n"));
	assert_non_null(strstr(r.body, "cairn_xds_bytes_sent_total 0\n"));
	admin_response_free(&r);
	admin_server_free(s);
}

static void
test_problems_on_page(void **state)
{
	struct admin_server *s = admin_server_new();
	struct source_files files = { 0 };
	struct admin_response r;

	(void)state;
	fixture_files_set(&files, "app.yaml", good_yaml);
	fixture_files_set(&files, "broken.yaml", bad_yaml);
	fixture_files_set(&files, "typo.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {portz: []}\n");
	publish_build(s, &files, 0.001);
	source_files_free(&files);

	get(s, "GET", "/metrics", NULL, &r);
	assert_non_null(strstr(r.body, "cairn_objects{kind=\"HTTPProxy\",status=\"invalid\"} 1\n"));
	assert_non_null(strstr(r.body, "cairn_file_errors 1\n"));
	admin_response_free(&r);

	get(s, "GET", "/", NULL, &r);
	assert_string_equal(r.content_type, "text/html; charset=utf-8");
	assert_non_null(strstr(r.body, "<!DOCTYPE html>"));
	assert_non_null(strstr(r.body, "rev-1234"));
	assert_non_null(strstr(r.body, "broken.yaml:"));
	assert_non_null(strstr(r.body, "typo.yaml:4:"));
	assert_non_null(strstr(r.body, "badge invalid"));
	assert_non_null(strstr(r.body, "href=\"/metrics\""));
	assert_null(strstr(r.body, "http://"));
	assert_null(strstr(r.body, "https://"));
	admin_response_free(&r);
	admin_server_free(s);
}

static void
test_debug(void **state)
{
	struct admin_server *s = admin_server_new();
	struct admin_response r;
	json_t *j, *types, *cds;

	(void)state;
	publish_good(s, 0.001);
	get(s, "GET", "/debug/dag", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/vnd.graphviz; charset=utf-8");
	assert_non_null(strstr(r.body, "digraph cairn {"));
	assert_non_null(strstr(r.body, "\"vhost:app.example.com\""));
	assert_non_null(strstr(r.body, "10.0.0.1:8080"));
	admin_response_free(&r);

	j = get_json(s, "/debug/xds", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(j, "revision")), "rev-1234");
	types = json_object_get(j, "types");
	assert_int_equal(json_object_size(types), 5);
	cds = json_object_get(types, "cds");
	assert_int_equal(json_array_size(json_object_get(cds, "resources")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(
	    json_object_get(cds, "resources"), 0), "resource"), "@type")),
	    "type.googleapis.com/envoy.config.cluster.v3.Cluster");
	json_decref(j);

	j = get_json(s, "/debug/xds", "eds", 200);
	types = json_object_get(j, "types");
	assert_int_equal(json_object_size(types), 1);
	assert_non_null(json_object_get(types, "eds"));
	json_decref(j);

	get(s, "GET", "/debug/xds", "bogus", &r);
	assert_int_equal(r.status, 400);
	admin_response_free(&r);
	admin_server_free(s);
}

/* The serve loop's way (issue #8): the build itself is published; its
 * report and DAG are rendered by the renderer only when a page asks, once
 * per build. The owner keeps the build, as cmd_serve.c does. */
struct lazy_owner {
	struct pipeline *p;
	struct build_result r;
	bool have;
	uint64_t id; /* of the build kept */
	int status_calls, dot_calls;
};

static json_t *
lazy_status(void *arg, uint64_t id)
{
	struct lazy_owner *o = arg;

	o->status_calls++;
	return o->have && id == o->id ? report_json(&o->r) : NULL;
}

static char *
lazy_dot(void *arg, uint64_t id)
{
	struct lazy_owner *o = arg;

	o->dot_calls++;
	return o->have && id == o->id ? dag_to_dot(o->r.dag) : NULL;
}

static void
lazy_publish(struct admin_server *s, struct lazy_owner *o)
{
	struct source_files files = { 0 };
	struct cairn_config cfg;
	struct translate_options to;
	struct admin_build_info info = { 0 };

	config_init_defaults(&cfg);
	translate_options_init(&to);
	fixture_files_set(&files, "app.yaml", good_yaml);
	fixture_files_set(&files, "broken.yaml", bad_yaml);
	files.revision = xstrdup("rev-1234");
	if (o->have)
		build_result_free(&o->r);
	pipeline_build(o->p, &files, &cfg, &to, &o->r);
	o->have = true;
	info.build = &o->r;
	info.build_id = ++o->id;
	info.snapshot = o->r.snapshot;
	info.revision = o->r.revision;
	info.source_kind = "directory";
	info.source_location = "/etc/cairn/resources";
	info.branch = "";
	info.duration_seconds = 0.001;
	info.finished_unix = 1700000000.5;
	admin_server_publish(s, &info);
	source_files_free(&files);
	config_free(&cfg);
}

static char *
body_of(struct admin_server *s, const char *path)
{
	struct admin_response r;
	char *out;

	get(s, "GET", path, NULL, &r);
	assert_int_equal(r.status, 200);
	out = xstrdup(r.body);
	admin_response_free(&r);
	return out;
}

/* The members report_json() gives are the same in both /status bodies
 * (rebuilds and the snapshot serial differ). */
static void
same_report(const char *a, const char *b)
{
	static const char *const keys[] = { "problems", "objects", "files",
		"summary", "revision" };
	json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);

	assert_non_null(ja);
	assert_non_null(jb);
	for (size_t i = 0; i < nitems(keys); i++) {
		assert_non_null(json_object_get(ja, keys[i]));
		assert_true(json_equal(json_object_get(ja, keys[i]),
		    json_object_get(jb, keys[i])));
	}
	assert_true(json_array_size(json_object_get(ja, "objects")) > 1);
	json_decref(ja);
	json_decref(jb);
}

static void
test_lazy_rendering(void **state)
{
	struct admin_server *eager = admin_server_new(), *lazy = admin_server_new();
	struct admin_renderer ren = { lazy_status, lazy_dot, NULL };
	struct lazy_owner o = { .p = pipeline_new(NULL) };
	struct source_files files = { 0 };
	struct admin_response r;
	char *want_metrics, *want_status, *want_dot, *got;

	(void)state;
	ren.arg = &o;
	admin_server_set_renderer(lazy, &ren);
	fixture_files_set(&files, "app.yaml", good_yaml);
	fixture_files_set(&files, "broken.yaml", bad_yaml);
	publish_build(eager, &files, 0.001);
	source_files_free(&files);
	want_metrics = body_of(eager, "/metrics");
	want_status = body_of(eager, "/status");
	want_dot = body_of(eager, "/debug/dag");

	/* Publishing renders nothing, /metrics neither, and its counts are
	 * the ones the report gives. */
	lazy_publish(lazy, &o);
	lazy_publish(lazy, &o);
	got = body_of(lazy, "/metrics");
	assert_int_equal(o.status_calls + o.dot_calls, 0);
	assert_non_null(strstr(want_metrics, "cairn_rebuilds_total 1\n"));
	assert_non_null(strstr(got, "cairn_rebuilds_total 2\n"));
	assert_non_null(strstr(got, "cairn_admin_renders_total{what=\"status\"} 0\n"));
	assert_non_null(strstr(got, "cairn_admin_renders_total{what=\"dag\"} 0\n"));
	assert_non_null(strstr(got, "cairn_objects{kind=\"HTTPProxy\",status=\"invalid\"} 1\n"));
	assert_string_equal(strstr(got, "# HELP cairn_objects"),
	    strstr(want_metrics, "# HELP cairn_objects"));
	free(got);

	/* The first page that needs the report renders it; the next ones
	 * and the HTML page reuse it. The same for the DAG. */
	got = body_of(lazy, "/status");
	assert_int_equal(o.status_calls, 1);
	same_report(got, want_status);
	free(got);
	free(body_of(lazy, "/status"));
	free(body_of(lazy, "/"));
	assert_int_equal(o.status_calls, 1);
	got = body_of(lazy, "/debug/dag");
	assert_string_equal(got, want_dot);
	free(got);
	free(body_of(lazy, "/debug/dag"));
	assert_int_equal(o.dot_calls, 1);
	got = body_of(lazy, "/metrics");
	assert_non_null(strstr(got, "cairn_admin_renders_total{what=\"status\"} 1\n"));
	assert_non_null(strstr(got, "cairn_admin_renders_total{what=\"dag\"} 1\n"));
	free(got);

	/* A new build drops the renderings: rendered again on demand only. */
	lazy_publish(lazy, &o);
	assert_int_equal(o.status_calls, 1);
	free(body_of(lazy, "/status"));
	assert_int_equal(o.status_calls, 2);

	/* The owner moved on but has not published yet (in cmd_serve.c it
	 * holds its lock meanwhile): the request asks again for the newest
	 * view, a few times, and never shows another build as this one. */
	o.id++;
	get(lazy, "GET", "/debug/dag", NULL, &r);
	assert_int_equal(r.status, 503);
	admin_response_free(&r);
	assert_true(o.dot_calls > 2);
	build_result_free(&o.r);
	o.have = false;
	lazy_publish(lazy, &o);
	free(body_of(lazy, "/debug/dag"));

	build_result_free(&o.r);
	pipeline_free(o.p);
	admin_server_free(eager);
	admin_server_free(lazy);
	free(want_metrics);
	free(want_status);
	free(want_dot);
}

/* --- the lazy view's counts against the report's ------------------------- */

/* Namespace i's file: an HTTPProxy with two routes to its own Services,
 * one of them not there when broken (the proxy is invalid), and the TLS
 * Secret beside it when with_secret (a certificate to count). */
static void
counted_put(struct source_files *sf, size_t i, bool broken, bool with_secret,
    unsigned edit)
{
	char *fqdn = xasprintf("app-%zu.example.com", i);
	char *value = xasprintf("v%u", edit);
	char *ip = xasprintf("10.1.%zu.%zu", i / 250, i % 250);
	char *data = fixture_routes_file(fqdn, 2, "x-a", value, ip);

	if (broken)
		memcpy(strstr(data, "{name: s0,") + 7, "zz", 2);
	if (with_secret) {
		char *both = xasprintf("%s---\n%s", data, fixture_tls_secret_yaml);

		free(data);
		data = both;
	}
	fixture_ns_file_put(sf, i, data);
	free(fqdn);
	free(value);
	free(ip);
}

/* Every status chunk's counts (made once, reused by the builds that
 * keep the chunk) are those of its statuses now. */
static void
assert_tallies_fresh(const struct dag *dag)
{
	struct dag_status_span span;

	for (size_t c = 0; dag_status_span_at(dag, c, &span); c++) {
		struct dag_status_tally fresh = { 0 };

		if (span.tally == NULL)
			continue;
		dag_status_tally_add(&fresh, span.s, span.n);
		assert_memory_equal(span.tally, &fresh, sizeof fresh);
	}
}

/* The counters /metrics and the page show, from r's chunks and totals
 * (a lazy view), are those counted from r's report (a fresh one). Returns
 * the certificates and files in error seen. */
static void
assert_counts_match_report(const struct build_result *r, const char *what,
    size_t *ncerts, size_t *nfile_errors)
{
	struct admin_histogram h = { 0 };
	struct admin_build_info lazy = { .build = r, .build_id = 1 },
	    fresh = { .status = report_json(r) };
	struct admin_view *got = admin_view_new(&lazy, 1, &h),
	    *want = admin_view_new(&fresh, 1, &h);

	assert_true(got->lazy && !want->lazy);
	if (got->nkinds != want->nkinds || got->ncerts != want->ncerts ||
	    got->file_errors != want->file_errors)
		print_message("%s: %zu kinds, %zu certificates, %llu files in "
		    "error; the report's %zu, %zu, %llu\n", what, got->nkinds,
		    got->ncerts, (unsigned long long)got->file_errors,
		    want->nkinds, want->ncerts,
		    (unsigned long long)want->file_errors);
	assert_int_equal(got->nkinds, want->nkinds);
	for (size_t k = 0; k < got->nkinds; k++) {
		assert_string_equal(got->kinds[k].kind, want->kinds[k].kind);
		assert_int_equal(got->kinds[k].valid, want->kinds[k].valid);
		assert_int_equal(got->kinds[k].invalid, want->kinds[k].invalid);
		assert_int_equal(got->kinds[k].orphaned, want->kinds[k].orphaned);
	}
	assert_int_equal(got->ncerts, want->ncerts);
	for (size_t c = 0; c < got->ncerts; c++) {
		assert_string_equal(got->certs[c].namespace, want->certs[c].namespace);
		assert_string_equal(got->certs[c].name, want->certs[c].name);
		assert_int_equal(got->certs[c].not_after, want->certs[c].not_after);
	}
	assert_int_equal(got->file_errors, want->file_errors);
	*ncerts += got->ncerts;
	*nfile_errors += got->file_errors;
	json_decref((json_t *)fresh.status);
	admin_view_unref(got);
	admin_view_unref(want);
}

/* Random changes to a tree of several status chunks: after each build
 * the counts summed from the chunks (those the last build made reused)
 * and the pipeline's file totals equal a count over the whole report. */
static void
test_counts_random_builds(void **state)
{
	enum { FILES = 1200, STEPS = 120 };
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files files = { 0 };
	struct pipeline *p = pipeline_new(NULL);
	bool broken[FILES], secret[FILES], gone[FILES];
	size_t ncerts = 0, nfile_errors = 0, patched = 0;
	unsigned seed = 1414, edit = 0;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	files.revision = xstrdup("rev1");
	for (size_t i = 0; i < FILES; i++) {
		broken[i] = rand_r(&seed) % 10 == 0;
		secret[i] = i == 7; /* more come and go: op 1 */
		gone[i] = false;
		counted_put(&files, i, broken[i], secret[i], 0);
	}
	for (int s = 0; s <= fixture_sample_steps(STEPS); s++) {
		size_t i = (size_t)rand_r(&seed) % FILES;
		int op = rand_r(&seed) % 6;
		struct build_result r;
		char what[64];

		if (s == 0) {
			/* the first build: the whole tree */
		} else if (gone[i] || op == 0) {
			gone[i] = false;
			broken[i] = !broken[i];
			counted_put(&files, i, broken[i], secret[i], ++edit);
		} else if (op == 1) {
			secret[i] = !secret[i];
			counted_put(&files, i, broken[i], secret[i], ++edit);
		} else if (op == 2) {
			/* Does not parse: in error, its last version in effect. */
			fixture_ns_file_put(&files, i, xstrdup("kind: [\n"));
		} else if (op == 3) {
			gone[i] = true;
			fixture_ns_file_put(&files, i, NULL);
		} else if (op == 4) {
			/* A new file that does not parse: nothing in effect. */
			size_t j = FILES + (size_t)rand_r(&seed) % 20;

			fixture_ns_file_put(&files, j, rand_r(&seed) % 2 ?
			    xstrdup("kind: [\n") : NULL);
		} else {
			for (int k = 0; k < 30; k++) {
				size_t j = (size_t)rand_r(&seed) % FILES;

				broken[j] = !broken[j];
				gone[j] = false;
				counted_put(&files, j, broken[j], secret[j], ++edit);
			}
		}
		snprintf(what, sizeof what, "step %d (file %zu, op %d)", s, i, op);
		pipeline_build(p, &files, &cfg, &to, &r);
		assert_tallies_fresh(r.dag);
		assert_counts_match_report(&r, what, &ncerts, &nfile_errors);
		patched += pipeline_dag_stats(p).statuses_patched;
		build_result_free(&r);
	}
	print_message("%zu patched builds, %zu certificates, %zu files in error "
	    "counted\n", patched, ncerts, nfile_errors);
	/* The steps reused chunks, and counted certificates and errors. */
	assert_true(patched > 0);
	assert_true(ncerts > 0);
	assert_true(nfile_errors > 0);
	pipeline_free(p);
	source_files_free(&files);
	config_free(&cfg);
}

/* A DAG built whole (one flat array, no chunks, no tallies) is counted
 * at the publish: the same kinds, statuses and certificates. */
static void
test_counts_flat_dag(void **state)
{
	struct dag_object_status st[] = {
		{ .kind = OBJ_HTTPPROXY, .status = DAG_STATUS_VALID,
		  .namespace = "a", .name = "p" },
		{ .kind = OBJ_SECRET, .status = DAG_STATUS_VALID, .namespace = "a",
		  .name = "cert", .not_after = 4000000000 },
		{ .kind = OBJ_HTTPPROXY, .status = DAG_STATUS_INVALID,
		  .namespace = "b", .name = "p" },
		{ .kind = OBJ_SERVICE, .status = DAG_STATUS_ORPHANED,
		  .namespace = "b", .name = "s" },
	};
	struct dag dag = { .statuses = st, .nstatuses = nitems(st) };
	struct build_result r = { .dag = &dag, .nfailed = 1,
		.nserving_previous = 2 };
	struct admin_build_info info = { .build = &r, .build_id = 1 };
	struct admin_histogram h = { 0 };
	struct admin_view *v;

	(void)state;
	v = admin_view_new(&info, 1, &h);
	assert_int_equal(v->nkinds, 3);
	assert_string_equal(v->kinds[0].kind, "HTTPProxy");
	assert_int_equal(v->kinds[0].valid, 1);
	assert_int_equal(v->kinds[0].invalid, 1);
	assert_string_equal(v->kinds[1].kind, "Secret");
	assert_int_equal(v->kinds[1].valid, 1);
	assert_string_equal(v->kinds[2].kind, "Service");
	assert_int_equal(v->kinds[2].orphaned, 1);
	assert_int_equal(v->ncerts, 1);
	assert_string_equal(v->certs[0].name, "cert");
	assert_int_equal(v->certs[0].not_after, 4000000000);
	assert_int_equal(v->file_errors, 3);
	admin_view_unref(v);
}

/* A git remote's fetches: shown without a rebuild, cleared by a success;
 * nothing of it for other sources. */
static void
test_fetch_state(void **state)
{
	struct admin_server *s = admin_server_new();
	struct admin_fetch_info f = { .fetches = 3, .failures = 2,
		.consecutive_failures = 2, .last_error = "disk <full>" };
	struct admin_response r;
	json_t *j, *fetch;

	(void)state;
	publish_good(s, 0.001);
	get(s, "GET", "/metrics", NULL, &r);
	assert_null(strstr(r.body, "cairn_git_fetch"));
	admin_response_free(&r);
	j = get_json(s, "/status", NULL, 200);
	assert_null(json_object_get(json_object_get(j, "source"), "fetch"));
	json_decref(j);

	admin_server_set_fetch(s, &f);
	j = get_json(s, "/status", NULL, 200);
	fetch = json_object_get(json_object_get(j, "source"), "fetch");
	assert_int_equal(json_integer_value(json_object_get(fetch, "fetches")), 3);
	assert_int_equal(json_integer_value(json_object_get(fetch, "failures")), 2);
	assert_int_equal(json_integer_value(json_object_get(fetch,
	    "consecutive_failures")), 2);
	assert_string_equal(json_string_value(json_object_get(fetch, "last_error")),
	    "disk <full>");
	json_decref(j);
	get(s, "GET", "/metrics", NULL, &r);
	assert_non_null(strstr(r.body, "\ncairn_git_fetches_total 3\n"));
	assert_non_null(strstr(r.body, "\ncairn_git_fetch_failures_total 2\n"));
	assert_non_null(strstr(r.body, "\ncairn_git_fetch_consecutive_failures 2\n"));
	admin_response_free(&r);
	get(s, "GET", "/", NULL, &r);
	assert_non_null(strstr(r.body, "2 in a row: disk &lt;full&gt;"));
	admin_response_free(&r);

	f = (struct admin_fetch_info){ .fetches = 4, .failures = 2 };
	admin_server_set_fetch(s, &f);
	j = get_json(s, "/status", NULL, 200);
	fetch = json_object_get(json_object_get(j, "source"), "fetch");
	assert_true(json_is_null(json_object_get(fetch, "last_error")));
	assert_int_equal(json_integer_value(json_object_get(fetch,
	    "consecutive_failures")), 0);
	json_decref(j);
	get(s, "GET", "/", NULL, &r);
	assert_null(strstr(r.body, "in a row"));
	admin_response_free(&r);
	admin_server_free(s);
}

static void
count_refresh(void *arg)
{
	(*(int *)arg)++;
}

static void
test_refresh(void **state)
{
	struct admin_server *s = admin_server_new();
	struct admin_response r;
	int n = 0;

	(void)state;
	get(s, "POST", "/refresh", NULL, &r);
	assert_int_equal(r.status, 503);
	admin_response_free(&r);
	admin_server_set_refresh_cb(s, count_refresh, &n);
	get(s, "POST", "/refresh", NULL, &r);
	assert_int_equal(r.status, 202);
	admin_response_free(&r);
	assert_int_equal(n, 1);
	admin_server_free(s);
}

static void
test_escapers(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	admin_prom_escape(&sb, "a\\b\"c\nd");
	assert_string_equal(sb.buf, "a\\\\b\\\"c\\nd");
	strbuf_reset(&sb);
	admin_html_escape(&sb, "<a href=\"x\">&'");
	assert_string_equal(sb.buf, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
	strbuf_free(&sb);
}

/* A hand-made DAG whose names hold what dot would misread. */
static void
test_dot_escaping(void **state)
{
	struct dag_endpoint eps[] = { { "10.0.0.1", 80 } };
	struct dag_endpoints e = { "ns/svc\"x/80", eps, 1 };
	struct dag_cluster cl = { .name = "ns/svc\"x/80/abc", .namespace = "ns",
		.service = "svc", .port = 80, .endpoints = &e };
	struct dag_cluster *clusters[] = { &cl };
	struct dag_endpoints *endpoints[] = { &e };
	struct dag_header_match hm = { .name = "x-evil", .kind = DAG_HEADER_EXACT,
		.value = "a\"b\\c\nd" };
	struct dag_weighted_cluster wc[] = { { &cl, 90 }, { &cl, 10 } };
	struct dag_route routes[] = {
		{ .path_kind = DAG_PATH_PREFIX, .path = "/a\\b", .headers = &hm,
		  .nheaders = 1, .clusters = wc, .nclusters = 2, .order = 0 },
		{ .path_kind = DAG_PATH_EXACT, .path = "/down", .direct_status = 503,
		  .order = 1 },
	};
	struct dag_vhost vh = { "q\"uote.example.com", "ns", "p", routes, 2 };
	struct dag dag;
	char *dot;

	(void)state;
	memset(&dag, 0, sizeof dag);
	dag.vhosts = &vh;
	dag.nvhosts = 1;
	dag.clusters = clusters;
	dag.nclusters = 1;
	dag.endpoints = endpoints;
	dag.nendpoints = 1;
	dot = dag_to_dot(&dag);
	assert_non_null(strstr(dot, "\"vhost:q\\\"uote.example.com\""));
	assert_non_null(strstr(dot, "prefix /a\\\\b"));
	assert_non_null(strstr(dot, "header x-evil exact a\\\"b\\\\c\\nd"));
	assert_non_null(strstr(dot, "direct response 503"));
	assert_non_null(strstr(dot, "[label=\"weight 90\"]"));
	assert_non_null(strstr(dot, "\"cluster:ns/svc\\\"x/80/abc\" -> \"endpoints:ns/svc\\\"x/80\""));
	/* No raw newline inside any quoted string: every line ends a statement. */
	for (char *line = strtok(dot, "\n"); line; line = strtok(NULL, "\n")) {
		size_t len = strlen(line);

		assert_true(line[len - 1] == ';' || line[len - 1] == '{' || line[len - 1] == '}');
	}
	free(dot);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_found_and_methods),
		cmocka_unit_test(test_before_first_build),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_problems_on_page),
		cmocka_unit_test(test_debug),
		cmocka_unit_test(test_lazy_rendering),
		cmocka_unit_test(test_counts_random_builds),
		cmocka_unit_test(test_counts_flat_dag),
		cmocka_unit_test(test_fetch_state),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_escapers),
		cmocka_unit_test(test_dot_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
