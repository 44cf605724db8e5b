/* src/diff/: routes and clusters as lines, and plans of small snapshots
 * built from protobuf-c messages (virtual hosts found in the raw bytes of a
 * RouteConfiguration, clusters paired by label, endpoint addresses, status
 * changes, the summary). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diff/diff.h"
#include "pipeline.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"

static void
check_label(const char *name, const char *want)
{
	char *got = diff_cluster_label(name);

	assert_string_equal(got, want);
	free(got);
}

static void
test_cluster_label(void **state)
{
	(void)state;
	check_label("shop/api/8080/0a1b2c3d4e", "shop/api:8080");
	check_label("shop/api/http/ef46db3751", "shop/api:http");
	/* Not the <ns>/<svc>/<port>/<10 hex> shape: as it is. */
	check_label("cairn/not-forwarded", "cairn/not-forwarded");
	check_label("shop/api/8080/0A1B2C3D4E", "shop/api/8080/0A1B2C3D4E");
	check_label("shop/api/8080/0a1b2c3d4", "shop/api/8080/0a1b2c3d4");
	check_label("/0a1b2c3d4e", "/0a1b2c3d4e");
}

static void
check_line(const char *route_json, const char *want)
{
	json_error_t err;
	json_t *r = json_loads(route_json, 0, &err);
	char *got;

	assert_non_null(r);
	got = diff_route_line(r);
	assert_string_equal(got, want);
	free(got);
	json_decref(r);
}

static void
test_route_line(void **state)
{
	(void)state;
	check_line("{\"match\": {\"prefix\": \"/api\", \"headers\": [{\"name\": \"x-canary\","
	    " \"string_match\": {\"exact\": \"yes\"}}]}, \"route\": {\"weighted_clusters\":"
	    " {\"clusters\": [{\"name\": \"shop/api/8080/0a1b2c3d4e\", \"weight\": 90},"
	    " {\"name\": \"shop/api-v2/8080/0a1b2c3d4e\", \"weight\": 10}]}}}",
	    "/api  [x-canary: yes]  -> shop/api:8080 (90%), shop/api-v2:8080 (10%)");
	check_line("{\"match\": {\"path\": \"/healthz\"}, \"route\": {\"cluster\":"
	    " \"shop/web/80/0a1b2c3d4e\", \"timeout\": \"5s\", \"prefix_rewrite\": \"/\"}}",
	    "= /healthz  -> shop/web:80  rewrite /  timeout 5s");
	check_line("{\"match\": {\"safe_regex\": {\"regex\": \"/v[0-9]+\"}, \"headers\":"
	    " [{\"name\": \"x-debug\", \"present_match\": true, \"invert_match\": true}],"
	    " \"query_parameters\": [{\"name\": \"q\", \"string_match\": {\"exact\": \"a\","
	    " \"ignore_case\": true}}]}, \"direct_response\": {\"status\": 503}}",
	    "~ /v[0-9]+  [x-debug absent]  [?q: a (any case)]  -> respond 503");
	check_line("{\"match\": {\"prefix\": \"/old\"}, \"redirect\": {\"host_redirect\":"
	    " \"new.example.com\", \"response_code\": \"FOUND\", \"scheme_redirect\": \"https\","
	    " \"prefix_rewrite\": \"/new\"}}",
	    "/old  -> redirect 302  https  host new.example.com  prefix /new");
	check_line("{\"match\": {\"path\": \"/healthz\", \"headers\": [{\"name\": \"user-agent\","
	    " \"safe_regex_match\": {\"regex\": \".*probe.*\"}}]}, \"route\": {\"cluster\": \"a\"}}",
	    "= /healthz  [user-agent ~ .*probe.*]  -> a");
	/* Three ways: shares that are not whole numbers. */
	check_line("{\"match\": {\"prefix\": \"/\"}, \"route\": {\"weighted_clusters\":"
	    " {\"clusters\": [{\"name\": \"a\", \"weight\": 1}, {\"name\": \"b\", \"weight\": 1},"
	    " {\"name\": \"c\", \"weight\": 1}]}}}",
	    "/  -> a (33.3%), b (33.3%), c (33.3%)");
}

/* --- snapshots from messages -------------------------------------------- */

static Envoy__Config__Route__V3__Route *
route(const char *prefix, const char *cluster)
{
	Envoy__Config__Route__V3__Route *r = xcalloc(1, sizeof *r);
	Envoy__Config__Route__V3__RouteMatch *m = xcalloc(1, sizeof *m);
	Envoy__Config__Route__V3__RouteAction *a = xcalloc(1, sizeof *a);

	envoy__config__route__v3__route__init(r);
	envoy__config__route__v3__route_match__init(m);
	envoy__config__route__v3__route_action__init(a);
	m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
	m->prefix = (char *)prefix;
	a->cluster_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
	a->cluster = (char *)cluster;
	r->match = m;
	r->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
	r->route = a;
	return r;
}

static void
route_free(Envoy__Config__Route__V3__Route *r)
{
	free(r->match);
	free(r->route);
	free(r);
}

/* A RouteConfiguration "ingress_http" with one host per (name, cluster):
 * each host routes "/" to its cluster; the first also "/api". */
static void
add_route_config(struct snapshot_builder *b, const char *const *hosts,
    const char *const *clusters, size_t n, bool validate)
{
	Envoy__Config__Route__V3__RouteConfiguration rc =
	    ENVOY__CONFIG__ROUTE__V3__ROUTE_CONFIGURATION__INIT;
	Envoy__Config__Route__V3__VirtualHost *vh = xcalloc(n, sizeof *vh);
	Envoy__Config__Route__V3__VirtualHost **vhp = xcalloc(n, sizeof *vhp);
	Google__Protobuf__BoolValue bv = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
	uint8_t *buf;
	size_t len;

	rc.name = "ingress_http";
	for (size_t i = 0; i < n; i++) {
		Envoy__Config__Route__V3__Route **routes = xcalloc(2, sizeof *routes);

		envoy__config__route__v3__virtual_host__init(&vh[i]);
		vh[i].name = (char *)hosts[i];
		vh[i].n_domains = 1;
		vh[i].domains = (char **)&hosts[i];
		routes[0] = route(i == 0 ? "/api" : "/", clusters[i]);
		routes[1] = route("/", clusters[i]);
		vh[i].routes = routes;
		vh[i].n_routes = i == 0 ? 2 : 1;
		if (i > 0)
			routes[0]->match->prefix = "/";
		vhp[i] = &vh[i];
	}
	rc.n_virtual_hosts = n;
	rc.virtual_hosts = vhp;
	if (validate) {
		bv.value = 1;
		rc.validate_clusters = &bv;
	}
	len = protobuf_c_message_get_packed_size(&rc.base);
	buf = xmalloc(len + 1);
	protobuf_c_message_pack(&rc.base, buf);
	snapshot_builder_add(b, XDS_ROUTE, rc.name, buf, len, false);
	free(buf);
	for (size_t i = 0; i < n; i++) {
		route_free(vh[i].routes[0]);
		route_free(vh[i].routes[1]);
		free(vh[i].routes);
	}
	free(vh);
	free(vhp);
}

static void
add_cluster(struct snapshot_builder *b, const char *name, int lb_policy)
{
	Envoy__Config__Cluster__V3__Cluster c = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
	uint8_t *buf;
	size_t len;

	c.name = (char *)name;
	c.lb_policy = lb_policy;
	len = protobuf_c_message_get_packed_size(&c.base);
	buf = xmalloc(len + 1);
	protobuf_c_message_pack(&c.base, buf);
	snapshot_builder_add(b, XDS_CLUSTER, name, buf, len, false);
	free(buf);
}

static json_t *
plan_of(struct snapshot *a, struct snapshot *b, const struct diff_objects *oa,
    const struct diff_objects *ob)
{
	struct diff_side x = { a, oa, "old" }, y = { b, ob, "new" };

	return diff_compute(&x, &y);
}

static void
test_one_host_of_many(void **state)
{
	static const char *hosts[] = { "a.example.com", "b.example.com", "c.example.com" };
	static const char *before[] = { "ns/a/80/0000000000", "ns/b/80/0000000000", "ns/c/80/0000000000" };
	static const char *after[] = { "ns/a/80/0000000000", "ns/b2/80/0000000000", "ns/c/80/0000000000" };
	struct snapshot_builder *ba = snapshot_builder_new("old"), *bb = snapshot_builder_new("new");
	struct snapshot *a, *b;
	json_t *plan, *h, *r;

	(void)state;
	add_route_config(ba, hosts, before, 3, false);
	add_route_config(bb, hosts, after, 3, false);
	a = snapshot_builder_finish(ba);
	b = snapshot_builder_finish(bb);
	plan = plan_of(a, b, NULL, NULL);
	assert_false(diff_plan_empty(plan));
	/* Only b changed: the equal hosts' bytes were never decoded. */
	assert_int_equal(json_array_size(json_object_get(plan, "virtual_hosts")), 1);
	h = json_array_get(json_object_get(plan, "virtual_hosts"), 0);
	assert_string_equal(json_string_value(json_object_get(h, "host")), "b.example.com");
	assert_string_equal(json_string_value(json_object_get(h, "change")), "changed");
	r = json_array_get(json_object_get(h, "routes"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "route")), "/  -> ns/b2:80");
	assert_string_equal(json_string_value(json_object_get(r, "was")), "/  -> ns/b:80");
	assert_string_equal(diff_plan_summary(plan), "1 route changed on 1 host");
	assert_int_equal(json_integer_value(json_object_get(plan, "undecodable")), 0);
	json_decref(plan);
	/* Against itself: empty, and the text form prints nothing. */
	plan = plan_of(b, b, NULL, NULL);
	assert_true(diff_plan_empty(plan));
	assert_string_equal(diff_plan_summary(plan), "no changes");
	{
		struct strbuf sb = STRBUF_INIT;

		diff_render_text(plan, true, &sb);
		assert_int_equal(sb.len, 0);
		strbuf_free(&sb);
	}
	json_decref(plan);
	snapshot_unref(a);
	snapshot_unref(b);
}

/* A field of the RouteConfiguration itself, every host the same. */
static void
test_route_config_fields(void **state)
{
	static const char *hosts[] = { "a.example.com" };
	static const char *clusters[] = { "ns/a/80/0000000000" };
	struct snapshot_builder *ba = snapshot_builder_new("old"), *bb = snapshot_builder_new("new");
	struct snapshot *a, *b;
	json_t *plan, *h, *f;

	(void)state;
	add_route_config(ba, hosts, clusters, 1, false);
	add_route_config(bb, hosts, clusters, 1, true);
	a = snapshot_builder_finish(ba);
	b = snapshot_builder_finish(bb);
	plan = plan_of(a, b, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(plan, "virtual_hosts")), 1);
	h = json_array_get(json_object_get(plan, "virtual_hosts"), 0);
	assert_string_equal(json_string_value(json_object_get(h, "host")), "");
	f = json_array_get(json_object_get(h, "fields"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "field")), "validate_clusters");
	assert_string_equal(diff_plan_summary(plan), "1 route configuration changed");
	{
		struct strbuf sb = STRBUF_INIT;

		diff_render_text(plan, false, &sb);
		assert_string_equal(sb.buf, "route configuration  (ingress_http)\n"
		    "    validate_clusters: (none) -> true\n\n1 route configuration changed\n");
		strbuf_free(&sb);
	}
	json_decref(plan);
	snapshot_unref(a);
	snapshot_unref(b);
}

/* An option changes a cluster's name (its hash): one changed cluster, not
 * one removed and one added; an untouched cluster is not listed. */
static void
test_cluster_renamed_by_options(void **state)
{
	struct snapshot_builder *ba = snapshot_builder_new("old"), *bb = snapshot_builder_new("new");
	struct snapshot *a, *b;
	json_t *plan, *c;

	(void)state;
	add_cluster(ba, "ns/web/80/0000000000", 0);
	add_cluster(ba, "ns/db/80/0000000000", 0);
	add_cluster(ba, "ns/gone/80/0000000000", 0);
	add_cluster(bb, "ns/web/80/1111111111", 3);
	add_cluster(bb, "ns/db/80/0000000000", 0);
	add_cluster(bb, "ns/new/80/0000000000", 0);
	a = snapshot_builder_finish(ba);
	b = snapshot_builder_finish(bb);
	plan = plan_of(a, b, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(plan, "clusters")), 3);
	/* In label order: gone, new, web. */
	c = json_array_get(json_object_get(plan, "clusters"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "cluster")), "ns/gone:80");
	assert_string_equal(json_string_value(json_object_get(c, "change")), "removed");
	c = json_array_get(json_object_get(plan, "clusters"), 1);
	assert_string_equal(json_string_value(json_object_get(c, "cluster")), "ns/new:80");
	assert_string_equal(json_string_value(json_object_get(c, "change")), "added");
	c = json_array_get(json_object_get(plan, "clusters"), 2);
	assert_string_equal(json_string_value(json_object_get(c, "cluster")), "ns/web:80");
	assert_string_equal(json_string_value(json_object_get(c, "change")), "changed");
	assert_string_equal(json_string_value(json_object_get(c, "name")), "ns/web/80/1111111111");
	c = json_array_get(json_object_get(c, "fields"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "field")), "lb_policy");
	assert_string_equal(diff_plan_summary(plan), "1 cluster added, 1 cluster changed, 1 cluster removed");
	json_decref(plan);
	snapshot_unref(a);
	snapshot_unref(b);
}

/* Statuses from the /status JSON (what --running reads): new, gone,
 * valid -> invalid with the reason and the condition's place. */
static void
test_objects(void **state)
{
	static const char *before =
	    "{\"objects\": ["
	    "{\"kind\": \"HTTPProxy\", \"namespace\": \"shop\", \"name\": \"app\", \"status\": \"valid\","
	    " \"origin\": {\"file\": \"shop/app.yaml\", \"line\": 1, \"column\": 1}, \"conditions\": []},"
	    "{\"kind\": \"Service\", \"namespace\": \"shop\", \"name\": \"old\", \"status\": \"valid\","
	    " \"origin\": {\"file\": \"shop/s.yaml\", \"line\": 1, \"column\": 1}, \"conditions\": []}]}";
	static const char *after =
	    "{\"objects\": ["
	    "{\"kind\": \"HTTPProxy\", \"namespace\": \"shop\", \"name\": \"app\", \"status\": \"invalid\","
	    " \"origin\": {\"file\": \"shop/app.yaml\", \"line\": 1, \"column\": 1}, \"conditions\": ["
	    "{\"type\": \"Valid\", \"reason\": \"ServiceUnresolvedReference\", \"message\": \"no web\","
	    " \"origin\": {\"file\": \"shop/app.yaml\", \"line\": 12, \"column\": 7}}]},"
	    "{\"kind\": \"Service\", \"namespace\": \"shop\", \"name\": \"new\", \"status\": \"valid\","
	    " \"origin\": {\"file\": \"shop/s.yaml\", \"line\": 1, \"column\": 1}, \"conditions\": []}]}";
	struct diff_objects oa, ob;
	struct snapshot *empty = snapshot_builder_finish(snapshot_builder_new("x"));
	json_t *ja = json_loads(before, 0, NULL), *jb = json_loads(after, 0, NULL);
	json_t *plan, *o;
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(diff_objects_from_json(&oa, ja), 0);
	assert_int_equal(diff_objects_from_json(&ob, jb), 0);
	plan = plan_of(empty, empty, &oa, &ob);
	assert_int_equal(json_array_size(json_object_get(plan, "objects")), 3);
	o = json_array_get(json_object_get(plan, "objects"), 0);
	assert_string_equal(json_string_value(json_object_get(o, "to")), "invalid");
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "ServiceUnresolvedReference");
	assert_int_equal(json_integer_value(json_object_get(o, "line")), 12);
	assert_int_equal(json_integer_value(json_object_get(o, "column")), 7);
	assert_string_equal(diff_plan_summary(plan), "1 object invalid");
	diff_render_text(plan, false, &sb);
	assert_non_null(strstr(sb.buf, "HTTPProxy shop/app: valid -> invalid  shop/app.yaml:12:7: ServiceUnresolvedReference: no web\n"));
	assert_non_null(strstr(sb.buf, "Service shop/new: new -> valid"));
	assert_non_null(strstr(sb.buf, "Service shop/old: valid -> deleted"));
	strbuf_free(&sb);
	json_decref(plan);
	/* Not status JSON. */
	diff_objects_free(&oa);
	{
		json_t *none = json_object();

		assert_int_equal(diff_objects_from_json(&oa, none), -1);
		json_decref(none);
	}
	diff_objects_free(&ob);
	json_decref(ja);
	json_decref(jb);
	snapshot_unref(empty);
}

/* Bytes that do not decode are an error, never "no change". */
static void
test_undecodable(void **state)
{
	struct snapshot_builder *ba = snapshot_builder_new("old"), *bb = snapshot_builder_new("new");
	struct snapshot *a, *b;
	json_t *plan;

	(void)state;
	snapshot_builder_add(ba, XDS_ROUTE, "r", "\x12\x05\x0a", 3, false);
	snapshot_builder_add(bb, XDS_ROUTE, "r", "\x12\x09\x0a", 3, false);
	a = snapshot_builder_finish(ba);
	b = snapshot_builder_finish(bb);
	plan = plan_of(a, b, NULL, NULL);
	assert_true(json_integer_value(json_object_get(plan, "undecodable")) > 0);
	json_decref(plan);
	snapshot_unref(a);
	snapshot_unref(b);
}

/* --- the daemon's record of a change (diff_statuses, diff_change) -------- */

#define NS_ROOT(fqdn, svc) \
	"apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata: {name: root}\n" \
	"spec:\n  virtualhost: {fqdn: " fqdn "}\n" \
	"  routes:\n    - services: [{name: " svc ", port: 80}]\n---\n" \
	"apiVersion: v1\nkind: Service\nmetadata: {name: web}\n" \
	"spec: {ports: [{name: http, port: 80}]}\n"

/* One file per namespace: ns0..ns7 valid, "bad" invalid all along; ns3's
 * proxy names the service svc3. */
static void
ns_files(struct source_files *out, const char *svc3)
{
	static const char *const names[] = { "bad", "ns0", "ns1", "ns2", "ns3",
		"ns4", "ns5", "ns6", "ns7" };
	char fqdn[64], text[1024];

	memset(out, 0, sizeof *out);
	diag_list_init(&out->diags);
	out->revision = xstrdup("tree");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct source_file f = { 0 };

		snprintf(fqdn, sizeof fqdn, "%s.example.com", names[i]);
		snprintf(text, sizeof text, NS_ROOT("%s", "%s"), fqdn,
		    strcmp(names[i], "bad") == 0 ? "missing" :
		    strcmp(names[i], "ns3") == 0 ? svc3 : "web");
		f.path = xasprintf("%s/app.yaml", names[i]);
		f.ns = xstrdup(names[i]);
		f.data = xstrdup(text);
		f.len = strlen(f.data);
		f.hash = hash_bytes(f.data, f.len);
		ARRAY_PUSH(out->files, out->n, out->cap, f);
	}
}

/* The objects part of a plan made with every status on both sides equals
 * the one made with only those diff_statuses_record gives; a build that
 * reuses a part copies none of its statuses. */
static void
test_statuses_per_part(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct pipeline *p = pipeline_new(NULL);
	struct diff_statuses *t = diff_statuses_new();
	struct diff_objects all_a, all_b, from, to_objs;
	struct source_files files;
	struct build_result r;
	struct snapshot *a;
	struct diff_change *c;
	json_t *whole;
	char *line;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	ns_files(&files, "web");
	pipeline_build(p, &files, &cfg, &to, &r);
	source_files_free(&files);
	diff_statuses_record(t, r.dag, NULL, NULL);
	diff_objects_from_dag(&all_a, r.dag);
	assert_int_equal(all_a.n, 18);
	a = snapshot_ref(r.snapshot);
	build_result_free(&r);

	/* ns3's proxy turns invalid: only ns3's part is new. */
	ns_files(&files, "nope");
	pipeline_build(p, &files, &cfg, &to, &r);
	source_files_free(&files);
	diff_statuses_record(t, r.dag, &from, &to_objs);
	assert_int_equal(from.n, 2);
	assert_int_equal(to_objs.n, 2);
	assert_string_equal(to_objs.items[0].namespace, "ns3");
	diff_objects_from_dag(&all_b, r.dag);
	{
		struct diff_side wa = { a, &all_a, "a" }, wb = { r.snapshot, &all_b, "b" };

		whole = diff_compute(&wa, &wb);
	}
	line = diff_change_line(a, r.snapshot, &from, &to_objs);
	assert_non_null(line);
	assert_non_null(strstr(line, "1 object invalid"));
	c = diff_change_new(a, r.snapshot, &from, &to_objs);
	assert_int_equal(from.n, 0); /* taken */
	build_result_free(&r);
	snapshot_unref(a); /* the change holds its own references */
	assert_true(json_equal(json_object_get(whole, "objects"),
	    json_object_get(diff_change_plan(c), "objects")));
	assert_true(json_equal(json_object_get(whole, "summary"),
	    json_object_get(diff_change_plan(c), "summary")));
	assert_int_equal(json_array_size(json_object_get(whole, "objects")), 1);
	/* Made once, then kept. */
	assert_ptr_equal(diff_change_plan(c), diff_change_plan(c));
	diff_change_unref(c);
	json_decref(whole);
	free(line);

	/* Nothing changed: every part reused, nothing copied, no line. */
	ns_files(&files, "nope");
	pipeline_build(p, &files, &cfg, &to, &r);
	source_files_free(&files);
	diff_statuses_record(t, r.dag, &from, &to_objs);
	assert_int_equal(from.n, 0);
	assert_int_equal(to_objs.n, 0);
	line = diff_change_line(r.snapshot, r.snapshot, &from, &to_objs);
	assert_null(line);
	diff_objects_free(&from);
	diff_objects_free(&to_objs);
	build_result_free(&r);

	diff_objects_free(&all_a);
	diff_objects_free(&all_b);
	diff_statuses_free(t);
	pipeline_free(p);
	config_free(&cfg);
}

/* serve's record when one big part is built again (record_patched):
 * each status whose address-level fields match the one it replaces is
 * taken as unchanged without a string read, so each field that can
 * change while the object (its name's address) stays must still be
 * seen: the status alone, the place, the file, the why; and strings at
 * new addresses with the same text record nothing. Assembled DAGs are
 * made by hand here, one part each, each the newer of the last. */
enum { BY_ADDR_N = 300 };

static struct dag *
by_addr_part(struct dag_object_status *st)
{
	struct dag *part = xcalloc(1, sizeof *part);

	part->statuses = st;
	part->nstatuses = BY_ADDR_N;
	return part;
}

static struct dag *
by_addr_assembled(struct dag *part)
{
	struct dag *d = xcalloc(1, sizeof *d);

	d->parts = xcalloc(1, sizeof *d->parts);
	d->parts[0] = part;
	d->nparts = 1;
	d->parts_borrowed = true;
	d->statuses = part->statuses;
	d->nstatuses = part->nstatuses;
	return d;
}

static void
test_statuses_patched_by_address(void **state)
{
	static const char *file = "gw/routes.yaml", *other = "gw/other.yaml";
	enum { STEPS = 10 };
	struct diff_statuses *t = diff_statuses_new();
	struct dag_object_status *st[STEPS];
	struct dag *parts[STEPS], *asm_[STEPS];
	char *names[BY_ADDR_N], *name_copy = xstrdup("r007");
	char *renamed = xstrdup("r007b");
	char *other_copy = xstrdup(other);
	struct dag_condition why = { .type = "Accepted", .reason = "NotAllowed",
		.message = "not allowed by listener special",
		.origin = { NULL, 2, 3 } };
	struct dag_condition why_copy, why_other;
	char *msg_copy = xstrdup(why.message);
	/* Step k changes status 7 from step k - 1's so: what the record
	 * must say of it, or "" for the same text at new addresses
	 * (nothing recorded). */
	const char *expect[STEPS] = { NULL, "orphaned", "line", "col", "file",
		"invalid", "why", "", "message", "r007b" };

	(void)state;
	why.origin.file = other; /* the same address as status 7's */
	why_copy = why;
	why_copy.message = msg_copy;
	why_copy.origin.file = other_copy;
	why_other = why_copy;
	why_other.message = "not allowed by listener other";
	for (size_t i = 0; i < BY_ADDR_N; i++)
		names[i] = xasprintf("r%03zu", i);
	for (size_t k = 0; k < STEPS; k++) {
		struct dag_object_status *s7;

		st[k] = xcalloc(BY_ADDR_N, sizeof *st[k]);
		for (size_t i = 0; i < BY_ADDR_N; i++)
			st[k][i] = k > 0 ? st[k - 1][i] :
			    (struct dag_object_status){
				.kind = OBJ_HTTPROUTE, .status = DAG_STATUS_VALID,
				.namespace = "gw", .name = names[i],
				.origin = { file, (int)i * 10 + 1, 1 } };
		s7 = &st[k][7];
		switch (k) {
		case 1: s7->status = DAG_STATUS_ORPHANED; break;
		case 2: s7->origin.line = 2; break;
		case 3: s7->origin.col = 3; break;
		case 4: s7->origin.file = other; break;
		case 5: s7->status = DAG_STATUS_INVALID; break;
		case 6: /* at the status's own place: only the why differs */
			s7->conditions = &why;
			s7->nconditions = 1;
			break;
		case 7:
			s7->name = name_copy;
			s7->origin.file = other_copy;
			s7->conditions = &why_copy;
			break;
		case 8: s7->conditions = &why_other; break;
		case 9: s7->name = renamed; break;
		}
		parts[k] = by_addr_part(st[k]);
		asm_[k] = by_addr_assembled(parts[k]);
		if (k > 0)
			asm_[k - 1]->newer = dag_ref(asm_[k]);
	}
	diff_statuses_record(t, asm_[0], NULL, NULL);
	for (size_t k = 1; k < STEPS; k++) {
		struct diff_objects from, to;
		const struct diff_object *o;

		diff_statuses_record(t, asm_[k], &from, &to);
		/* The DAG recorded before is let go of once released. */
		{
			unsigned held = atomic_load(&asm_[k - 1]->refs);

			diff_statuses_release(t);
			assert_int_equal(atomic_load(&asm_[k - 1]->refs),
			    held - 1);
			diff_statuses_release(t);
			assert_int_equal(atomic_load(&asm_[k - 1]->refs),
			    held - 1);
		}
		print_message("step %zu: %zu gone, %zu come\n", k, from.n, to.n);
		if (expect[k][0] == '\0') {
			assert_int_equal(from.n, 0);
			assert_int_equal(to.n, 0);
			diff_objects_free(&from);
			diff_objects_free(&to);
			continue;
		}
		assert_int_equal(from.n, 1);
		assert_int_equal(to.n, 1);
		o = &to.items[0];
		assert_string_equal(from.items[0].name, "r007");
		if (strcmp(expect[k], "r007b") == 0)
			assert_string_equal(o->name, "r007b");
		else
			assert_string_equal(o->name, "r007");
		if (strcmp(expect[k], "orphaned") == 0 ||
		    strcmp(expect[k], "invalid") == 0)
			assert_string_equal(o->status, expect[k]);
		else if (strcmp(expect[k], "line") == 0)
			assert_int_equal(o->line, 2);
		else if (strcmp(expect[k], "col") == 0)
			assert_int_equal(o->col, 3);
		else if (strcmp(expect[k], "file") == 0)
			assert_string_equal(o->file, other);
		else if (strcmp(expect[k], "why") == 0) {
			assert_null(from.items[0].reason);
			assert_string_equal(o->reason, "NotAllowed");
		} else if (strcmp(expect[k], "message") == 0)
			assert_string_equal(o->message, why_other.message);
		diff_objects_free(&from);
		diff_objects_free(&to);
	}
	/* The record lets go of the DAG it holds once serve keeps a build
	 * it did not record, and only then. */
	{
		unsigned held = atomic_load(&asm_[STEPS - 1]->refs);

		diff_statuses_build_kept(t, asm_[STEPS - 1]);
		assert_int_equal(atomic_load(&asm_[STEPS - 1]->refs), held);
		diff_statuses_build_kept(t, asm_[0]);
		assert_int_equal(atomic_load(&asm_[STEPS - 1]->refs), held - 1);
	}
	diff_statuses_free(t);
	for (size_t k = 0; k < STEPS; k++) {
		free(asm_[k]->parts);
		dag_free(asm_[k]);
	}
	for (size_t k = 0; k < STEPS; k++) {
		dag_free(parts[k]);
		free(st[k]);
	}
	for (size_t i = 0; i < BY_ADDR_N; i++)
		free(names[i]);
	free(name_copy);
	free(renamed);
	free(other_copy);
	free(msg_copy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster_label),
		cmocka_unit_test(test_route_line),
		cmocka_unit_test(test_one_host_of_many),
		cmocka_unit_test(test_route_config_fields),
		cmocka_unit_test(test_cluster_renamed_by_options),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_undecodable),
		cmocka_unit_test(test_statuses_per_part),
		cmocka_unit_test(test_statuses_patched_by_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
