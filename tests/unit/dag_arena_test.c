/* A DAG's arena is sized from the last DAG built (issue #14, memory): the
 * groups of an incremental build are kept from build to build, so a group
 * like the one before holds one block with little slack, whether its
 * objects take little DAG or much (a fixed guess per object fits one kind
 * of tree and spills the others into a second block). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "dag/dag.h"
#include "load/load.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *service_yaml =
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: web, namespace: %s}\n"
    "spec:\n"
    "  ports: [{name: http, port: 80}]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Endpoints\n"
    "metadata: {name: web, namespace: %s}\n"
    "subsets:\n"
    "  - addresses: [{ip: 10.0.0.1}]\n"
    "    ports: [{name: http, port: 8080}]\n";

/* One namespace's group: a Service and an HTTPProxy of nroutes routes. */
static struct loaded_file *
group_file(const char *ns, size_t nroutes)
{
	struct strbuf b;
	struct loaded_file *lf;
	char path[64];

	memset(&b, 0, sizeof b);
	strbuf_printf(&b, service_yaml, ns, ns);
	strbuf_printf(&b, "---\napiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\nmetadata: {name: app, namespace: %s}\nspec:\n"
	    "  virtualhost: {fqdn: %s.example.com}\n  routes:\n", ns, ns);
	for (size_t i = 0; i < nroutes; i++)
		strbuf_printf(&b, "    - conditions: [{prefix: /p%zu}]\n"
		    "      services: [{name: web, port: 80}]\n", i);
	snprintf(path, sizeof path, "%s/app.yaml", ns);
	lf = load_buffer(path, ns, b.buf, b.len, NULL);
	strbuf_free(&b);
	assert_true(lf->ok);
	return lf;
}

/* Builds a group like ns's twice; the second must fit one block of at
 * most a sixteenth (and a little) over what it uses. */
static void
assert_second_fits(size_t nroutes)
{
	struct loaded_file *lf = group_file("ns-a", nroutes);
	struct loaded_file *lf2 = group_file("ns-b", nroutes);
	struct dag *first, *second;
	size_t used, held;

	first = dag_build(lf->objects, lf->nobjects, NULL);
	second = dag_build(lf2->objects, lf2->nobjects, NULL);
	used = second->arena.total;
	held = arena_footprint(&second->arena);
	print_message("%zu routes: %zu bytes of DAG in %zu of blocks\n",
	    nroutes, used, held);
	assert_true(used > 0);
	assert_true(held <= used + used / 16 + 256);
	dag_free(first);
	dag_free(second);
	loaded_file_free(lf);
	loaded_file_free(lf2);
}

static void
test_small_groups_fit(void **state)
{
	(void)state;
	assert_second_fits(1);
}

static void
test_large_groups_fit(void **state)
{
	(void)state;
	assert_second_fits(30);
}

/* A small group after large ones, and the other way round. */
static void
test_alternating_sizes(void **state)
{
	(void)state;
	assert_second_fits(30);
	assert_second_fits(2);
	assert_second_fits(30);
}

/* A kept group's DAG holds what translation and later builds read, not
 * the build's own indexes and object lists (struct builder.tables): a
 * group of 20 Services, each with its Endpoints and a route, held about
 * 29 KiB of DAG with them in its arena, 22 KiB without. */
static void
test_group_keeps_no_build_tables(void **state)
{
	struct strbuf b;
	struct loaded_file *lf;
	struct dag *dag;
	const size_t n = 20;

	(void)state;
	memset(&b, 0, sizeof b);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(&b, "---\napiVersion: v1\nkind: Service\n"
		    "metadata: {name: s%zu, namespace: ns-t}\n"
		    "spec: {ports: [{name: http, port: 80}]}\n---\n"
		    "apiVersion: v1\nkind: Endpoints\n"
		    "metadata: {name: s%zu, namespace: ns-t}\n"
		    "subsets: [{addresses: [{ip: 10.0.0.1}], "
		    "ports: [{name: http, port: 80}]}]\n", i, i);
	strbuf_printf(&b, "---\napiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\nmetadata: {name: app, namespace: ns-t}\nspec:\n"
	    "  virtualhost: {fqdn: t.example.com}\n  routes:\n");
	for (size_t i = 0; i < n; i++)
		strbuf_printf(&b, "    - conditions: [{prefix: /p%zu}]\n"
		    "      services: [{name: s%zu, port: 80}]\n", i, i);
	lf = load_buffer("ns-t/app.yaml", "ns-t", b.buf, b.len, NULL);
	strbuf_free(&b);
	assert_true(lf->ok);
	dag = dag_build(lf->objects, lf->nobjects, NULL);
	print_message("%zu objects: %zu bytes of DAG\n", lf->nobjects,
	    dag->arena.total);
	assert_int_equal(dag->nclusters, n);
	assert_int_equal(dag->nendpoints, n);
	assert_true(dag->arena.total <= 26 * 1024);
	dag_free(dag);
	loaded_file_free(lf);
}

/* A one-route group keeps its route, cluster, endpoints and statuses,
 * not the build's per-object flags and states (which Secrets are valid,
 * which proxies a tcpproxy include reached, which ingresses another class
 * ignores, the clusters of ExtensionServices, a regex path as checked), a
 * spare virtual host nor spare endpoint slots: 1,168 bytes of DAG on
 * LP64, 1,504 with them. */
static void
test_small_group_keeps_no_spares(void **state)
{
	struct loaded_file *lf = group_file("ns-c", 1);
	struct dag *dag;

	(void)state;
	dag = dag_build(lf->objects, lf->nobjects, NULL);
	print_message("1 route: %zu bytes of DAG\n", dag->arena.total);
	assert_int_equal(dag->nvhosts, 1);
	assert_int_equal(dag->vhosts[0].nroutes, 1);
	assert_int_equal(dag->nclusters, 1);
	assert_int_equal(dag->nendpoints, 1);
	assert_int_equal(dag->endpoints[0]->n, 1);
	assert_string_equal(dag->endpoints[0]->items[0].ip, "10.0.0.1");
	assert_int_equal(dag->endpoints[0]->items[0].port, 8080);
	assert_true(dag->arena.total <= 1168 + 32);
	dag_free(dag);
	loaded_file_free(lf);
}

/* The status of the object kind/name in dag. */
static const struct dag_object_status *
status_of(const struct dag *dag, enum obj_kind kind, const char *name)
{
	for (size_t i = 0; i < dag->nstatuses; i++)
		if (dag->statuses[i].kind == kind &&
		    strcmp(dag->statuses[i].name, name) == 0)
			return &dag->statuses[i];
	fail_msg("no status for %s", name);
	return NULL;
}

/* A status's conditions: room for one first (most statuses with any have
 * one), then doubling, every condition kept in the order it was added. */
static void
test_status_conditions_sized(void **state)
{
	static const char yaml[] =
	    "apiVersion: v1\nkind: Service\n"
	    "metadata: {name: web, namespace: ns-q}\n"
	    "spec: {ports: [{name: http, port: 80, appProtocol: h2c}]}\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: app, namespace: ns-q}\nspec:\n"
	    "  virtualhost: {fqdn: q.example.com}\n  routes:\n"
	    "    - conditions: [{prefix: /a}]\n"
	    "      services: [{name: gone-a, port: 80}]\n"
	    "    - conditions: [{prefix: /b}]\n"
	    "      services: [{name: gone-b, port: 80}]\n"
	    "    - conditions: [{prefix: /c}]\n"
	    "      services: [{name: gone-c, port: 80}]\n";
	struct loaded_file *lf;
	struct dag *dag;
	const struct dag_object_status *st;

	(void)state;
	lf = load_buffer("ns-q/app.yaml", "ns-q", yaml, strlen(yaml), NULL);
	assert_true(lf->ok);
	dag = dag_build(lf->objects, lf->nobjects, NULL);
	st = status_of(dag, OBJ_SERVICE, "web");
	assert_int_equal(st->nconditions, 1);
	assert_int_equal(st->cap, 1);
	assert_true(st->conditions[0].warning);
	assert_string_equal(st->conditions[0].reason, "InvalidAppProtocol");
	st = status_of(dag, OBJ_HTTPPROXY, "app");
	assert_int_equal(st->status, DAG_STATUS_INVALID);
	assert_int_equal(st->nconditions, 3);
	assert_int_equal(st->cap, 4);
	assert_non_null(strstr(st->conditions[0].message, "gone-a"));
	assert_non_null(strstr(st->conditions[1].message, "gone-b"));
	assert_non_null(strstr(st->conditions[2].message, "gone-c"));
	assert_int_equal(st->conditions[2].origin.line, 17);
	dag_free(dag);
	loaded_file_free(lf);
}

/* The vhost of fqdn in dag (they are sorted; a test has few). */
static const struct dag_vhost *
vhost_of(const struct dag *dag, const char *fqdn)
{
	for (size_t i = 0; i < dag->nvhosts; i++)
		if (strcmp(dag->vhosts[i].fqdn, fqdn) == 0)
			return &dag->vhosts[i];
	fail_msg("no vhost %s", fqdn);
	return NULL;
}

/* A kept route's arrays hold what it uses: its weighted clusters one per
 * service that is not a mirror (none and no array without services), its
 * header matches one per header condition plus the :authority match of a
 * wildcard host, which only such a host reserves. */
static void
test_route_arrays_sized(void **state)
{
	static const char yaml[] =
	    "apiVersion: v1\nkind: Service\n"
	    "metadata: {name: web, namespace: ns-r}\n"
	    "spec: {ports: [{name: http, port: 80}]}\n"
	    "---\napiVersion: v1\nkind: Service\n"
	    "metadata: {name: shadow, namespace: ns-r}\n"
	    "spec: {ports: [{name: http, port: 80}]}\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: plain, namespace: ns-r}\nspec:\n"
	    "  virtualhost: {fqdn: r.example.com}\n  routes:\n"
	    "    - conditions: [{prefix: /h}, {header: {name: x-a, exact: b}}]\n"
	    "      services: [{name: web, port: 80}]\n"
	    "    - conditions: [{prefix: /m}]\n"
	    "      services:\n"
	    "        - {name: web, port: 80}\n"
	    "        - {name: shadow, port: 80, mirror: true}\n"
	    "    - conditions: [{prefix: /d}]\n"
	    "      directResponsePolicy: {statusCode: 410}\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: wild, namespace: ns-r}\nspec:\n"
	    "  virtualhost: {fqdn: \"*.w.example.com\"}\n  routes:\n"
	    "    - conditions: [{prefix: /h}, {header: {name: x-a, exact: b}}]\n"
	    "      services: [{name: web, port: 80}]\n";
	struct loaded_file *lf;
	struct dag *dag;
	const struct dag_vhost *v;
	const struct dag_route *h = NULL, *m = NULL, *d = NULL;
	struct strbuf b;
	size_t used;

	(void)state;
	lf = load_buffer("ns-r/app.yaml", "ns-r", yaml, strlen(yaml), NULL);
	assert_true(lf->ok);
	dag = dag_build(lf->objects, lf->nobjects, NULL);
	v = vhost_of(dag, "r.example.com");
	for (size_t i = 0; i < v->nroutes; i++) {
		const struct dag_route *r = &v->routes[i];

		if (strcmp(r->path, "/h") == 0)
			h = r;
		else if (strcmp(r->path, "/m") == 0)
			m = r;
		else if (strcmp(r->path, "/d") == 0)
			d = r;
	}
	assert_non_null(h);
	assert_non_null(m);
	assert_non_null(d);
	assert_int_equal(h->nheaders, 1);
	assert_string_equal(h->headers[0].name, "x-a");
	assert_int_equal(h->nclusters, 1);
	assert_string_equal(h->clusters[0].cluster->service, "web");
	assert_int_equal(m->nclusters, 1);
	assert_string_equal(m->clusters[0].cluster->service, "web");
	assert_non_null(dag_route_rare(m)->mirror);
	assert_string_equal(dag_route_rare(m)->mirror->service, "shadow");
	assert_int_equal(d->nclusters, 0);
	assert_null(d->clusters);
	assert_int_equal(d->direct_status, 410);
	v = vhost_of(dag, "*.w.example.com");
	assert_int_equal(v->nroutes, 1);
	assert_int_equal(v->routes[0].nheaders, 2);
	assert_string_equal(v->routes[0].headers[0].name, "x-a");
	assert_string_equal(v->routes[0].headers[1].name, ":authority");
	assert_int_equal(v->routes[0].headers[1].kind, DAG_HEADER_REGEX);
	dag_free(dag);
	loaded_file_free(lf);

	memset(&b, 0, sizeof b);
	strbuf_printf(&b, "apiVersion: v1\nkind: Service\n"
	    "metadata: {name: web, namespace: ns-s}\n"
	    "spec: {ports: [{name: http, port: 80}]}\n---\n"
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: app, namespace: ns-s}\nspec:\n"
	    "  virtualhost: {fqdn: s.example.com}\n  routes:\n");
	for (size_t i = 0; i < 20; i++)
		strbuf_printf(&b, "    - conditions: [{prefix: /p%zu}, "
		    "{header: {name: x-h, exact: v%zu}}]\n"
		    "      services: [{name: web, port: 80}]\n", i, i);
	lf = load_buffer("ns-s/app.yaml", "ns-s", b.buf, b.len, NULL);
	strbuf_free(&b);
	assert_true(lf->ok);
	dag = dag_build(lf->objects, lf->nobjects, NULL);
	used = dag->arena.total;
	print_message("20 routes with a header and a service: %zu bytes of DAG\n",
	    used);
	assert_int_equal(vhost_of(dag, "s.example.com")->nroutes, 20);
	/* 9,152 bytes on LP64; with a spare weighted cluster and a spare
	 * header match per route it was 10,708. */
	assert_true(used <= 9152 + 20 * 8);
	dag_free(dag);
	loaded_file_free(lf);
}

/* A route's rarely set policies live in a side struct that only a route
 * with one of them has: plain routes carry none (and 20 of them take far
 * fewer bytes than with the policies inline), a route with policies reads
 * them all back, and changing a copy's side struct leaves the original's
 * as it was (copies share it until one of them is changed). */
static void
test_route_rare_side_struct(void **state)
{
	static const char yaml[] =
	    "apiVersion: v1\nkind: Service\n"
	    "metadata: {name: web, namespace: ns-q}\n"
	    "spec: {ports: [{name: http, port: 80}]}\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: app, namespace: ns-q}\nspec:\n"
	    "  virtualhost: {fqdn: q.example.com}\n  routes:\n"
	    "    - conditions: [{prefix: /plain}]\n"
	    "      services: [{name: web, port: 80}]\n"
	    "    - conditions: [{prefix: /rich}]\n"
	    "      retryPolicy: {count: 3}\n"
	    "      pathRewritePolicy:\n"
	    "        replacePrefix: [{replacement: /new}]\n"
	    "      loadBalancerPolicy:\n"
	    "        strategy: RequestHash\n"
	    "        requestHashPolicies:\n"
	    "          - headerHashOptions: {headerName: x-a}\n"
	    "          - headerHashOptions: {headerName: x-b}\n"
	    "      services: [{name: web, port: 80}]\n"
	    "    - conditions: [{prefix: /gone}]\n"
	    "      directResponsePolicy: {statusCode: 404, body: nothing}\n";
	struct loaded_file *lf;
	struct dag *dag;
	const struct dag_vhost *v;
	const struct dag_route *plain = NULL, *rich = NULL, *slash = NULL;
	const struct dag_route *gone = NULL;
	struct dag_route copy;
	const struct dag_route_rare *before;
	struct strbuf b;
	size_t used;

	(void)state;
	assert_true(sizeof(struct dag_route) <= 144);
	lf = load_buffer("ns-q/app.yaml", "ns-q", yaml, strlen(yaml), NULL);
	assert_true(lf->ok);
	dag = dag_build(lf->objects, lf->nobjects, NULL);
	v = vhost_of(dag, "q.example.com");
	/* /rich's prefix rewrite adds a /rich/ route, a copy of it. */
	assert_int_equal(v->nroutes, 4);
	for (size_t i = 0; i < v->nroutes; i++) {
		const struct dag_route *r = &v->routes[i];

		if (strcmp(r->path, "/plain") == 0)
			plain = r;
		else if (strcmp(r->path, "/rich") == 0)
			rich = r;
		else if (strcmp(r->path, "/rich/") == 0)
			slash = r;
		else if (strcmp(r->path, "/gone") == 0)
			gone = r;
	}
	assert_non_null(plain);
	assert_non_null(rich);
	assert_non_null(gone);
	assert_non_null(slash);
	assert_null(plain->rare);
	assert_null(dag_route_rare(plain)->retry);
	assert_int_equal(dag_route_rare(plain)->nhash_policies, 0);
	assert_non_null(rich->rare);
	assert_non_null(rich->rare->retry);
	assert_int_equal(rich->rare->retry->num_retries, 3);
	assert_string_equal(rich->rare->prefix_rewrite, "/new");
	assert_int_equal(rich->rare->nhash_policies, 2);
	assert_int_equal(strcasecmp(rich->rare->hash_policies[0].name, "x-a"), 0);
	assert_int_equal(strcasecmp(rich->rare->hash_policies[1].name, "x-b"), 0);
	/* The /rich/ copy got its own rewrite; /rich kept its own. */
	assert_ptr_not_equal(slash->rare, rich->rare);
	assert_string_equal(slash->rare->prefix_rewrite, "/new/");
	assert_int_equal(slash->rare->retry->num_retries, 3);
	assert_int_equal(slash->rare->nhash_policies, 2);
	assert_non_null(gone->rare);
	assert_string_equal(gone->rare->direct_body, "nothing");
	assert_null(gone->rare->retry);

	/* A copy changed does not change the route it was copied from. */
	copy = *rich;
	before = rich->rare;
	DAG_ROUTE_RARE_PUT(&dag->arena, &copy, jwt_provider, "p");
	DAG_ROUTE_RARE_PUT(&dag->arena, &copy, retry, NULL);
	assert_ptr_equal(rich->rare, before);
	assert_null(rich->rare->jwt_provider);
	assert_non_null(rich->rare->retry);
	assert_string_equal(copy.rare->jwt_provider, "p");
	assert_null(copy.rare->retry);
	assert_string_equal(copy.rare->prefix_rewrite, "/new");
	/* Nothing set on a route without policies: it keeps none. */
	copy = *plain;
	DAG_ROUTE_RARE_PUT(&dag->arena, &copy, session, NULL);
	assert_null(copy.rare);
	dag_free(dag);
	loaded_file_free(lf);

	memset(&b, 0, sizeof b);
	strbuf_printf(&b, "apiVersion: v1\nkind: Service\n"
	    "metadata: {name: web, namespace: ns-s}\n"
	    "spec: {ports: [{name: http, port: 80}]}\n---\n"
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: app, namespace: ns-s}\nspec:\n"
	    "  virtualhost: {fqdn: s.example.com}\n  routes:\n");
	for (size_t i = 0; i < 20; i++)
		strbuf_printf(&b, "    - conditions: [{prefix: /p%zu}, "
		    "{header: {name: x-h, exact: v%zu}}]\n"
		    "      services: [{name: web, port: 80}]\n", i, i);
	lf = load_buffer("ns-s/app.yaml", "ns-s", b.buf, b.len, NULL);
	strbuf_free(&b);
	assert_true(lf->ok);
	dag = dag_build(lf->objects, lf->nobjects, NULL);
	used = dag->arena.total;
	print_message("20 plain routes: %zu bytes of DAG\n", used);
	/* With the policies inline (296-byte routes) it was 9,152 bytes. */
	assert_true(used <= 9152 - 20 * 140);
	dag_free(dag);
	loaded_file_free(lf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_groups_fit),
		cmocka_unit_test(test_large_groups_fit),
		cmocka_unit_test(test_alternating_sizes),
		cmocka_unit_test(test_group_keeps_no_build_tables),
		cmocka_unit_test(test_route_arrays_sized),
		cmocka_unit_test(test_small_group_keeps_no_spares),
		cmocka_unit_test(test_status_conditions_sized),
		cmocka_unit_test(test_route_rare_side_struct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
