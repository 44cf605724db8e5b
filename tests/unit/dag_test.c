/* Unit tests for the tricky parts of the DAG: include chains (prefix
 * concatenation, cycles, orphans), route ordering, prefix rewrites, the
 * policy settings of cairn.yaml, and that clusters never depend on
 * endpoints. Inputs are YAML buffers loaded as files of a namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dag/dag.h"
#include "load/load.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

struct world {
	struct loaded_file *files[8];
	size_t nfiles;
	struct object **objs;
	size_t nobjs, cap;
	struct cairn_config cfg;
	struct dag *dag;
};

static void
world_add(struct world *w, const char *ns, const char *yaml)
{
	char path[64];
	struct loaded_file *lf;

	snprintf(path, sizeof path, "%s/f%zu.yaml", ns, w->nfiles);
	lf = load_buffer(path, ns, yaml, strlen(yaml), NULL);
	if (!lf->ok)
		for (size_t i = 0; i < lf->diags.n; i++)
			diag_print(stderr, &lf->diags.items[i]);
	assert_true(lf->ok);
	w->files[w->nfiles++] = lf;
	for (size_t i = 0; i < lf->nobjects; i++)
		ARRAY_PUSH(w->objs, w->nobjs, w->cap, lf->objects[i]);
}

static void
world_build(struct world *w)
{
	struct dag_options o;

	dag_free(w->dag);
	dag_options_from_config(&o, &w->cfg);
	w->dag = dag_build(w->objs, w->nobjs, &o);
}

static void
world_free(struct world *w)
{
	dag_free(w->dag);
	for (size_t i = 0; i < w->nfiles; i++)
		loaded_file_free(w->files[i]);
	free(w->objs);
	config_free(&w->cfg);
}

static const struct dag_vhost *
vhost(const struct world *w, const char *fqdn)
{
	for (size_t i = 0; i < w->dag->nvhosts; i++)
		if (strcmp(w->dag->vhosts[i].fqdn, fqdn) == 0)
			return &w->dag->vhosts[i];
	return NULL;
}

static const struct dag_object_status *
status(const struct world *w, enum obj_kind kind, const char *ns, const char *name)
{
	for (size_t i = 0; i < w->dag->nstatuses; i++) {
		const struct dag_object_status *st = dag_status_at(w->dag, i);

		if (st->kind == kind && strcmp(st->namespace, ns) == 0 &&
		    strcmp(st->name, name) == 0)
			return st;
	}
	fail_msg("no status for %s/%s", ns, name);
	return NULL;
}

static bool
has_reason(const struct dag_object_status *st, const char *reason)
{
	for (size_t i = 0; i < st->nconditions; i++)
		if (strcmp(st->conditions[i].reason, reason) == 0)
			return true;
	return false;
}

static const char *web =
    "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
    "spec: {ports: [{port: 80}]}\n"
    "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\n"
    "subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 8080}]}]\n";

/* Every cross-object lookup of the processors is under a key object_keys
 * gives (dag.h, dag_verify_object_keys): an include across namespaces
 * and a root's FQDN are; with the HTTPProxies' keys cut down to their own
 * namespace (a forgotten key), the check names the object, the lookup and
 * the key it misses. */
static void
test_object_keys_cover_lookups(void **state)
{
	struct world w = { 0 };
	struct dag_options o;
	char buf[512];
	const char *err;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "root",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: root}\n"
	    "spec:\n  virtualhost: {fqdn: a.example.com}\n"
	    "  includes: [{name: child, namespace: team, conditions: [{prefix: /a}]}]\n");
	world_add(&w, "team",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: child}\n"
	    "spec:\n  routes: [{conditions: [{prefix: /}], services: [{name: web, port: 80}]}]\n");
	world_add(&w, "team", web);
	dag_options_from_config(&o, &w.cfg);
	err = dag_verify_object_keys(w.objs, w.nobjs, &o, OBJ_KIND_COUNT, buf,
	    sizeof buf);
	if (err != NULL)
		fail_msg("%s", err);
	err = dag_verify_object_keys(w.objs, w.nobjs, &o, OBJ_HTTPPROXY, buf,
	    sizeof buf);
	assert_non_null(err);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "object_keys"));
	assert_non_null(strstr(err, "HTTPProxy root/root: a lookup of HTTPProxy "
	    "by namespace \"team\""));
	world_free(&w);
}

/* Gateway API lookups are checked too: a route's parentRef reaches a
 * Gateway of another namespace, a key object_keys must hold ('w'). */
static void
test_object_keys_cover_gateway_lookups(void **state)
{
	struct world w = { 0 };
	struct dag_options o;
	char buf[512];
	const char *err;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "infra",
	    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
	    "metadata: {name: gw}\n"
	    "spec:\n  gatewayClassName: cairn\n"
	    "  listeners: [{name: http, port: 80, protocol: HTTP, "
	    "allowedRoutes: {namespaces: {from: All}}}]\n");
	world_add(&w, "apps",
	    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
	    "metadata: {name: r}\n"
	    "spec:\n  parentRefs: [{name: gw, namespace: infra}]\n"
	    "  rules: [{backendRefs: [{name: web, port: 80}]}]\n");
	world_add(&w, "apps", web);
	dag_options_from_config(&o, &w.cfg);
	err = dag_verify_object_keys(w.objs, w.nobjs, &o, OBJ_KIND_COUNT, buf,
	    sizeof buf);
	if (err != NULL)
		fail_msg("%s", err);
	err = dag_verify_object_keys(w.objs, w.nobjs, &o, OBJ_HTTPROUTE, buf,
	    sizeof buf);
	assert_non_null(err);
	print_message("%s\n", err);
	assert_non_null(strstr(err, "HTTPRoute apps/r: a lookup of Gateway by "
	    "Gateway \"infra/gw\""));
	world_free(&w);
}

/* root "/a" -> child "/b/" -> grandchild exact "/c": the exact path
 * "/a/b/c" (runs of '/' collapse), and the child's own "/" is "/a/". */
static void
test_include_prefixes_concatenate(void **state)
{
	struct world w = { 0 };
	const struct dag_vhost *vh;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "root",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: root}\n"
	    "spec:\n  virtualhost: {fqdn: a.example.com}\n"
	    "  includes: [{name: child, namespace: team, conditions: [{prefix: /a}]}]\n");
	world_add(&w, "team",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: child}\n"
	    "spec:\n  includes: [{name: grand, conditions: [{prefix: /b/}]}]\n"
	    "  routes: [{conditions: [{prefix: /}], services: [{name: web, port: 80}]}]\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: grand}\n"
	    "spec:\n  routes:\n"
	    "    - conditions: [{exact: /c}]\n      services: [{name: web, port: 80}]\n"
	    "    - conditions: [{regex: \"/d[0-9]\"}]\n      services: [{name: web, port: 80}]\n");
	world_add(&w, "team", web);
	world_build(&w);
	vh = vhost(&w, "a.example.com");
	assert_non_null(vh);
	assert_int_equal(vh->nroutes, 3);
	assert_int_equal(vh->routes[0].path_kind, DAG_PATH_EXACT);
	assert_string_equal(vh->routes[0].path, "/a/b/c");
	/* Any regex in the chain makes the whole path a regex. */
	assert_int_equal(vh->routes[1].path_kind, DAG_PATH_REGEX);
	assert_string_equal(vh->routes[1].path, "/a/b/d[0-9]");
	assert_int_equal(vh->routes[2].path_kind, DAG_PATH_PREFIX);
	assert_string_equal(vh->routes[2].path, "/a/");
	assert_int_equal(status(&w, OBJ_HTTPPROXY, "team", "grand")->status,
	    DAG_STATUS_VALID);
	world_free(&w);
}

/* A cycle below a root ends with IncludeCreatesCycle on the proxy that is
 * entered again; a self-include too; nothing loops. */
static void
test_include_cycles(void **state)
{
	struct world w = { 0 };
	const struct dag_object_status *st;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "shop",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: root}\n"
	    "spec:\n  virtualhost: {fqdn: c.example.com}\n"
	    "  includes: [{name: x, conditions: [{prefix: /x}]},"
	    " {name: self, conditions: [{prefix: /s}]}]\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: x}\nspec:\n  includes: [{name: y}]\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: y}\nspec:\n  includes: [{name: x, conditions: [{prefix: /back}]}]\n"
	    "  routes: [{services: [{name: web, port: 80}]}]\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: self}\nspec:\n  includes: [{name: self, conditions: [{prefix: /again}]}]\n"
	    "  routes: [{services: [{name: web, port: 80}]}]\n");
	world_add(&w, "shop", web);
	world_build(&w);
	st = status(&w, OBJ_HTTPPROXY, "shop", "x");
	assert_int_equal(st->status, DAG_STATUS_INVALID);
	assert_true(has_reason(st, "IncludeCreatesCycle"));
	assert_non_null(strstr(st->conditions[0].message,
	    "shop/root -> shop/x -> shop/y -> shop/x"));
	assert_true(has_reason(status(&w, OBJ_HTTPPROXY, "shop", "self"),
	    "IncludeCreatesCycle"));
	assert_int_equal(status(&w, OBJ_HTTPPROXY, "shop", "y")->status,
	    DAG_STATUS_VALID);
	/* y's route is still reached through x (/x) and self's through /s. */
	assert_non_null(vhost(&w, "c.example.com"));
	assert_int_equal(vhost(&w, "c.example.com")->nroutes, 2);
	world_free(&w);
}

/* An include that is not found or is a root answers 502 for exactly its
 * conditions (merged with its parents'); an unreached proxy is orphaned. */
static void
test_include_missing_and_orphans(void **state)
{
	struct world w = { 0 };
	const struct dag_vhost *vh;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "shop",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: root}\n"
	    "spec:\n  virtualhost: {fqdn: m.example.com}\n"
	    "  includes: [{name: mid, conditions: [{prefix: /mid}]}]\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: mid}\nspec:\n"
	    "  includes: [{name: gone, conditions: [{prefix: /gone}, {header: {name: x, present: true}}]}]\n"
	    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: lonely}\nspec:\n  routes: [{services: [{name: web, port: 80}]}]\n");
	world_add(&w, "shop", web);
	world_build(&w);
	vh = vhost(&w, "m.example.com");
	assert_non_null(vh);
	assert_int_equal(vh->nroutes, 1);
	assert_string_equal(vh->routes[0].path, "/mid/gone");
	assert_int_equal(vh->routes[0].nheaders, 1);
	assert_int_equal(vh->routes[0].action, DAG_ACTION_DIRECT);
	assert_int_equal(vh->routes[0].direct_status, 502);
	assert_true(has_reason(status(&w, OBJ_HTTPPROXY, "shop", "mid"),
	    "IncludeNotFound"));
	assert_int_equal(status(&w, OBJ_HTTPPROXY, "shop", "lonely")->status,
	    DAG_STATUS_ORPHANED);
	world_free(&w);
}

/* SPEC §7: exact, regex (longest first), prefix (longest first); equal
 * paths: whole-segment prefix first, then more headers, more queries. */
static void
test_route_order(void **state)
{
	struct world w = { 0 };
	const struct dag_vhost *vh;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "default",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: o}\n"
	    "spec:\n  virtualhost: {fqdn: o.example.com}\n  routes:\n"
	    "    - {conditions: [{prefix: /a}], services: [{name: web, port: 80}]}\n"
	    "    - {conditions: [{prefix: /a}, {queryParameter: {name: q, present: true}}], services: [{name: web, port: 80}]}\n"
	    "    - {conditions: [{prefix: /a}, {header: {name: h, present: true}}], services: [{name: web, port: 80}]}\n"
	    "    - {conditions: [{regex: /r}], services: [{name: web, port: 80}]}\n"
	    "    - {conditions: [{regex: /rrr}], services: [{name: web, port: 80}]}\n"
	    "    - {conditions: [{prefix: /abc}], services: [{name: web, port: 80}]}\n"
	    "    - {conditions: [{exact: /e}], services: [{name: web, port: 80}]}\n");
	world_add(&w, "default", web);
	world_build(&w);
	vh = vhost(&w, "o.example.com");
	assert_non_null(vh);
	assert_int_equal(vh->nroutes, 7);
	assert_string_equal(vh->routes[0].path, "/e");
	assert_string_equal(vh->routes[1].path, "/rrr");
	assert_string_equal(vh->routes[2].path, "/r");
	assert_string_equal(vh->routes[3].path, "/abc");
	assert_int_equal(vh->routes[4].nheaders, 1);
	assert_int_equal(vh->routes[5].nqueries, 1);
	assert_int_equal(vh->routes[6].nheaders + vh->routes[6].nqueries, 0);
	world_free(&w);
}

/* replacePrefix on "/api" becomes two routes ("/api" and "/api/") so that
 * both "/api/x" and "/apix" are rewritten without doubled slashes. */
static void
test_prefix_rewrite_expansion(void **state)
{
	struct world w = { 0 };
	const struct dag_vhost *vh;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "default",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: rw}\n"
	    "spec:\n  virtualhost: {fqdn: rw.example.com}\n  routes:\n"
	    "    - conditions: [{prefix: /api/}]\n"
	    "      pathRewritePolicy: {replacePrefix: [{replacement: /}]}\n"
	    "      services: [{name: web, port: 80}]\n");
	world_add(&w, "default", web);
	world_build(&w);
	vh = vhost(&w, "rw.example.com");
	assert_int_equal(vh->nroutes, 2);
	assert_string_equal(vh->routes[0].path, "/api/");
	assert_string_equal(dag_route_rare(&vh->routes[0])->prefix_rewrite, "/");
	assert_string_equal(vh->routes[1].path, "/api");
	assert_string_equal(dag_route_rare(&vh->routes[1])->prefix_rewrite, "/");
	world_free(&w);
}

static void
test_root_namespaces(void **state)
{
	struct world w = { 0 };
	char *allowed[] = { "admin" };

	(void)state;
	config_init_defaults(&w.cfg);
	w.cfg.policy.root_namespaces = allowed;
	w.cfg.policy.nroot_namespaces = 1;
	world_add(&w, "team",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: sneaky}\n"
	    "spec:\n  virtualhost: {fqdn: s.example.com}\n"
	    "  routes: [{services: [{name: web, port: 80}]}]\n");
	world_add(&w, "team", web);
	world_build(&w);
	assert_null(vhost(&w, "s.example.com"));
	assert_true(has_reason(status(&w, OBJ_HTTPPROXY, "team", "sneaky"),
	    "RootProxyNotAllowedInNamespace"));
	w.cfg.policy.root_namespaces = NULL; /* not the config's to free */
	w.cfg.policy.nroot_namespaces = 0;
	world_free(&w);
}

static void
test_external_name_policy(void **state)
{
	struct world w = { 0 };
	const struct dag_vhost *vh;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "default",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: ext}\n"
	    "spec:\n  virtualhost: {fqdn: ext.example.com}\n"
	    "  routes: [{services: [{name: partner, port: 443}]}]\n"
	    "---\napiVersion: v1\nkind: Service\nmetadata: {name: partner}\n"
	    "spec: {type: ExternalName, externalName: api.partner.example, ports: [{port: 443}]}\n");
	world_build(&w);
	vh = vhost(&w, "ext.example.com");
	assert_int_equal(vh->routes[0].nclusters, 1);
	assert_string_equal(vh->routes[0].clusters[0].cluster->external_name,
	    "api.partner.example");
	assert_null(vh->routes[0].clusters[0].cluster->endpoints);

	w.cfg.policy.allow_external_name = false;
	world_build(&w);
	vh = vhost(&w, "ext.example.com");
	assert_int_equal(vh->routes[0].nclusters, 0);
	assert_int_equal(vh->routes[0].direct_status, 503);
	assert_true(has_reason(status(&w, OBJ_HTTPPROXY, "default", "ext"),
	    "ServiceUnresolvedReference"));
	assert_true(has_reason(status(&w, OBJ_SERVICE, "default", "partner"),
	    "ExternalNameNotAllowed"));
	world_free(&w);
}

/* Endpoint-only changes must reach Envoy as EDS only: same cluster,
 * listener and route bytes, different ClusterLoadAssignment. */
static void
test_endpoint_change_is_eds_only(void **state)
{
	static const char *proxy =
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: e}\n"
	    "spec:\n  virtualhost: {fqdn: e.example.com}\n"
	    "  routes: [{services: [{name: web, port: 80}], healthCheckPolicy: {path: /hc}}]\n";
	static const char *slice =
	    "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	    "metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}\n"
	    "addressType: IPv4\nports: [{port: 8080}]\n"
	    "endpoints: [{addresses: [10.9.9.9]}]\n";
	struct world w = { 0 };
	struct translate_options to;
	struct snapshot *s1, *s2;

	(void)state;
	config_init_defaults(&w.cfg);
	translate_options_init(&to);
	world_add(&w, "default", proxy);
	world_add(&w, "default", web);
	world_build(&w);
	s1 = translate_dag(w.dag, &to, "1");
	world_add(&w, "default", slice);
	world_build(&w);
	s2 = translate_dag(w.dag, &to, "2");
	for (int t = XDS_CLUSTER; t < XDS_TYPE_COUNT; t++) {
		if (t == XDS_ENDPOINT)
			continue;
		assert_int_equal(s1->types[t].n, s2->types[t].n);
		assert_true(s1->types[t].version == s2->types[t].version);
	}
	assert_true(s1->types[XDS_ENDPOINT].version != s2->types[XDS_ENDPOINT].version);
	assert_int_equal(w.dag->endpoints[0]->n, 2);
	snapshot_unref(s1);
	snapshot_unref(s2);
	world_free(&w);
}

/* Different upstream options, different clusters; none, the plain name. */
static void
test_cluster_options_hash(void **state)
{
	struct world w = { 0 };
	const struct dag_vhost *vh;

	(void)state;
	config_init_defaults(&w.cfg);
	world_add(&w, "default",
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata: {name: h}\n"
	    "spec:\n  virtualhost: {fqdn: h.example.com}\n  routes:\n"
	    "    - {conditions: [{prefix: /a}], services: [{name: web, port: 80}]}\n"
	    "    - {conditions: [{prefix: /b}], services: [{name: web, port: 80, protocol: h2c}]}\n"
	    "    - {conditions: [{prefix: /c}], loadBalancerPolicy: {strategy: Random}, services: [{name: web, port: 80}]}\n"
	    "    - {conditions: [{prefix: /d}], services: [{name: web, port: 80}]}\n");
	world_add(&w, "default", web);
	world_build(&w);
	vh = vhost(&w, "h.example.com");
	assert_int_equal(w.dag->nclusters, 3);
	assert_int_equal(w.dag->nendpoints, 1);
	for (size_t i = 0; i < vh->nroutes; i++) {
		const char *name = vh->routes[i].clusters[0].cluster->name;

		if (strcmp(vh->routes[i].path, "/a") == 0 ||
		    strcmp(vh->routes[i].path, "/d") == 0)
			assert_string_equal(name, "default/web/80/ef46db3751");
		else
			assert_string_not_equal(name, "default/web/80/ef46db3751");
	}
	world_free(&w);
}

/* The DAG's options come from cairn.yaml in one place, and every key the
 * DAG reads changes their fingerprint (the kept parts are then dropped);
 * a key the DAG does not read does not. */
static void
test_options_fingerprint(void **state)
{
	struct cairn_config cfg;
	struct dag_options o;
	uint64_t base, fp;
	char *ns[] = { "shop" };

	(void)state;
	dag_options_from_config(&o, NULL);
	assert_int_equal(o.regex_max_program_size, 1000);
	assert_true(o.allow_external_name);
	assert_string_equal(o.tls_minimum_version, "1.2");
	assert_string_equal(o.tls_maximum_version, "1.3");
	assert_null(o.global_ext_auth);

	config_init_defaults(&cfg);
	dag_options_from_config(&o, &cfg);
	base = dag_options_fingerprint(&o);
	assert_true(dag_options_fingerprint(&o) == base);

	cfg.policy.root_namespaces = ns;
	cfg.policy.nroot_namespaces = 1;
	dag_options_from_config(&o, &cfg);
	fp = dag_options_fingerprint(&o);
	assert_true(fp != base);
	ns[0] = "blog"; /* by content, not by address */
	dag_options_from_config(&o, &cfg);
	assert_true(dag_options_fingerprint(&o) != fp);
	cfg.policy.nroot_namespaces = 0;

	cfg.envoy.regex_max_program_size++;
	dag_options_from_config(&o, &cfg);
	assert_true(dag_options_fingerprint(&o) != base);
	cfg.envoy.regex_max_program_size--;

	cfg.policy.allow_external_name = !cfg.policy.allow_external_name;
	dag_options_from_config(&o, &cfg);
	assert_true(dag_options_fingerprint(&o) != base);
	cfg.policy.allow_external_name = !cfg.policy.allow_external_name;

	cfg.envoy.tls.fallback_certificate.name = "fallback";
	dag_options_from_config(&o, &cfg);
	assert_true(dag_options_fingerprint(&o) != base);
	cfg.envoy.tls.fallback_certificate.name = "";

	/* Back to the defaults: the same fingerprint again. */
	dag_options_from_config(&o, &cfg);
	assert_true(dag_options_fingerprint(&o) == base);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_prefixes_concatenate),
		cmocka_unit_test(test_object_keys_cover_lookups),
		cmocka_unit_test(test_object_keys_cover_gateway_lookups),
		cmocka_unit_test(test_include_cycles),
		cmocka_unit_test(test_include_missing_and_orphans),
		cmocka_unit_test(test_route_order),
		cmocka_unit_test(test_prefix_rewrite_expansion),
		cmocka_unit_test(test_root_namespaces),
		cmocka_unit_test(test_external_name_policy),
		cmocka_unit_test(test_endpoint_change_is_eds_only),
		cmocka_unit_test(test_cluster_options_hash),
		cmocka_unit_test(test_options_fingerprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
