/* src/load/: YAML documents -> typed objects, and every message a user
 * sees about a resource file, with its exact file:line:col. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/load.h"
#include "load/schema.h"
#include "load/yaml.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static struct loaded_file *
load(const char *path, const char *ns, const char *buf)
{
	return load_buffer(path, ns, buf, strlen(buf), NULL);
}

static void
assert_diag(const struct loaded_file *lf, size_t i, const char *expected)
{
	char buf[2048];

	if (i >= lf->diags.n) {
		for (size_t j = 0; j < lf->diags.n; j++)
			diag_print(stderr, &lf->diags.items[j]);
		fail_msg("no diagnostic %zu (have %zu)", i, lf->diags.n);
	}
	diag_format(&lf->diags.items[i], buf, sizeof buf);
	assert_string_equal(buf, expected);
}

/* The file fails with exactly these messages, in this order. */
static void
assert_errors(const char *path, const char *ns, const char *yaml,
    const char *const *expected, size_t n)
{
	struct loaded_file *lf = load(path, ns, yaml);

	for (size_t i = 0; i < n; i++)
		assert_diag(lf, i, expected[i]);
	if (lf->diags.n != n) {
		for (size_t j = 0; j < lf->diags.n; j++)
			diag_print(stderr, &lf->diags.items[j]);
		fail_msg("expected %zu diagnostics, got %zu", n, lf->diags.n);
	}
	assert_false(lf->ok);
	assert_int_equal(lf->nobjects, 0);
	assert_null(lf->objects);
	loaded_file_free(lf);
}

static void
assert_error(const char *yaml, const char *expected)
{
	assert_errors("ns/f.yaml", "ns", yaml, &expected, 1);
}

#define PROXY_HEAD                                                            \
	"apiVersion: projectcontour.io/v1\n"                                  \
	"kind: HTTPProxy\n"                                                   \
	"metadata:\n"                                                         \
	"  name: app\n"

static void
test_httpproxy_decoded(void **state)
{
	struct loaded_file *lf;
	const struct object *o;
	const struct httpproxy *hp;
	const struct hp_route *r;

	(void)state;
	lf = load("shop/app.yaml", "shop",
	    "# the shop\n"
	    "apiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\n"
	    "metadata:\n"
	    "  name: app\n"
	    "  labels: {team: web, tier: \"1\"}\n"
	    "  annotations:\n"
	    "    note:\n"
	    "  uid: 1234-abcd\n"
	    "  resourceVersion: \"77\"\n"
	    "spec:\n"
	    "  virtualhost:\n"
	    "    fqdn: shop.example.com\n"
	    "  routes:\n"
	    "  - conditions:\n"
	    "    - prefix: /api\n"
	    "    - header: {name: x-canary, present: true}\n"
	    "    services:\n"
	    "    - name: api\n"
	    "      port: 8080\n"
	    "      weight: 90\n"
	    "    - name: api-canary\n"
	    "      port: 8080\n"
	    "  - services:\n"
	    "    - {name: web, port: 80}\n"
	    "status:\n"
	    "  currentStatus: valid\n");
	assert_true(lf->ok);
	assert_int_equal(lf->diags.n, 0);
	assert_int_equal(lf->nobjects, 1);
	o = lf->objects[0];
	assert_int_equal(o->kind, OBJ_HTTPPROXY);
	assert_string_equal(o->kind_name, "HTTPProxy");
	assert_string_equal(o->api_version, "projectcontour.io/v1");
	assert_string_equal(o->meta.name, "app");
	/* No metadata.namespace: the directory's. */
	assert_string_equal(o->meta.namespace, "shop");
	assert_string_equal(o->meta.origin.file, "shop/app.yaml");
	assert_int_equal(o->meta.origin.line, 2);
	assert_int_equal(o->meta.origin.col, 1);
	assert_int_equal(o->meta.nlabels, 2);
	assert_string_equal(o->meta.labels[1].key, "tier");
	assert_string_equal(o->meta.labels[1].value, "1");
	assert_int_equal(o->meta.nannotations, 1);
	assert_string_equal(o->meta.annotations[0].value, "");

	hp = &o->u.httpproxy;
	assert_non_null(hp->virtualhost);
	assert_string_equal(hp->virtualhost->fqdn, "shop.example.com");
	assert_int_equal(hp->virtualhost->origin.line, 13);
	assert_int_equal(hp->virtualhost->origin.col, 5);
	assert_int_equal(hp->nroutes, 2);
	r = &hp->routes[0];
	assert_int_equal(r->origin.line, 15);
	assert_int_equal(r->origin.col, 5);
	assert_int_equal(r->nconditions, 2);
	assert_string_equal(r->conditions[0].prefix, "/api");
	assert_null(r->conditions[0].header);
	assert_int_equal(r->conditions[1].origin.line, 17);
	assert_int_equal(r->conditions[1].origin.col, 7);
	assert_non_null(r->conditions[1].header);
	assert_string_equal(r->conditions[1].header->name, "x-canary");
	assert_true(r->conditions[1].header->present);
	assert_int_equal(r->nservices, 2);
	assert_string_equal(r->services[0].name, "api");
	assert_int_equal(r->services[0].port, 8080);
	assert_true(r->services[0].has_weight);
	assert_int_equal(r->services[0].weight, 90);
	assert_false(r->services[1].has_weight);
	assert_int_equal(r->services[1].origin.line, 22);
	assert_int_equal(hp->routes[1].nconditions, 0);
	assert_int_equal(hp->routes[1].services[0].port, 80);
	loaded_file_free(lf);
}

/* The example of SPEC.md §2, to the character. */
static void
test_spec_example(void **state)
{
	static const char *const expected[] = {
		"shop/app.yaml:12:7: error: HTTPProxy shop/app: "
		"spec.routes[0].conditions[0]: unknown field \"prefx\" (did you "
		"mean \"prefix\"?)",
	};

	(void)state;
	assert_errors("shop/app.yaml", "shop",
	    "apiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\n"
	    "metadata:\n"
	    "  name: app\n"
	    "  namespace: shop\n"
	    "spec:\n"
	    "  virtualhost:\n"
	    "    fqdn: shop.example.com\n"
	    "  routes:\n"
	    "  - conditions:\n"
	    "    - header: {name: x, present: true}\n"
	    "      prefx: /api\n"
	    "    services:\n"
	    "    - name: app\n"
	    "      port: 80\n",
	    expected, 1);
}

/* Three problems in three places: three messages, no objects. */
static void
test_all_errors_collected(void **state)
{
	static const char *const expected[] = {
		"ns/f.yaml:8:7: error: HTTPProxy ns/app: spec.routes[0].services[0]: "
		"missing required field \"port\"",
		"ns/f.yaml:10:13: error: HTTPProxy ns/app: spec.routes[0].services[1]."
		"port: expected an integer, got string \"80\"",
		"ns/f.yaml:11:5: error: HTTPProxy ns/app: spec.routes[0]: unknown "
		"field \"service\" (did you mean \"services\"?)",
	};

	(void)state;
	assert_errors("ns/f.yaml", "ns", PROXY_HEAD
	    "spec:\n"
	    "  routes:\n"
	    "  - services:\n"
	    "    - name: a\n"
	    "    - name: b\n"
	    "      port: \"80\"\n"
	    "    service: []\n",
	    expected, 3);
}

/* Both lists of status codes (retry's and internal redirect's) keep what
 * they accept in order and name each refused item where it stands. */
static void
test_status_code_lists(void **state)
{
	static const char *const expected[] = {
		"ns/f.yaml:9:47: error: HTTPProxy ns/app: spec.routes[0]."
		"retryPolicy.retriableStatusCodes[1]: expected an HTTP status "
		"code, got string",
		"ns/f.yaml:9:50: error: HTTPProxy ns/app: spec.routes[0]."
		"retryPolicy.retriableStatusCodes[2]: 700 is out of range "
		"(100..599)",
		"ns/f.yaml:10:59: error: HTTPProxy ns/app: spec.routes[0]."
		"internalRedirectPolicy.redirectResponseCodes[1]: 304 is not one "
		"of 301, 302, 303, 307, 308",
		"ns/f.yaml:13:53: error: HTTPProxy ns/app: spec.routes[1]."
		"internalRedirectPolicy.redirectResponseCodes: expected a "
		"sequence of redirect status codes, got integer",
		"ns/f.yaml:14:41: error: HTTPProxy ns/app: spec.routes[1]."
		"retryPolicy.retriableStatusCodes: expected a sequence of HTTP "
		"status codes, got string",
	};
	struct loaded_file *lf;
	const struct hp_route *r;

	(void)state;
	assert_errors("ns/f.yaml", "ns", PROXY_HEAD
	    "spec:\n"
	    "  virtualhost: {fqdn: a.example.com}\n"
	    "  routes:\n"
	    "  - services: [{name: s, port: 80}]\n"
	    "    retryPolicy: {retriableStatusCodes: [503, x, 700]}\n"
	    "    internalRedirectPolicy: {redirectResponseCodes: [301, 304]}\n"
	    "  - services: [{name: s, port: 80}]\n"
	    "    conditions: [{prefix: /b}]\n"
	    "    internalRedirectPolicy: {redirectResponseCodes: 301}\n"
	    "    retryPolicy: {retriableStatusCodes: \"503\"}\n",
	    expected, 5);

	lf = load("ns/f.yaml", "ns", PROXY_HEAD
	    "spec:\n"
	    "  virtualhost: {fqdn: a.example.com}\n"
	    "  routes:\n"
	    "  - services: [{name: s, port: 80}]\n"
	    "    retryPolicy: {retriableStatusCodes: [599, 100, 503]}\n"
	    "    internalRedirectPolicy: {redirectResponseCodes: [308, 303]}\n");
	assert_true(lf->ok);
	r = &lf->objects[0]->u.httpproxy.routes[0];
	assert_int_equal(hp_route_rare(r)->retry_policy->nretriable_status_codes, 3);
	assert_int_equal(hp_route_rare(r)->retry_policy->retriable_status_codes[0], 599);
	assert_int_equal(hp_route_rare(r)->retry_policy->retriable_status_codes[1], 100);
	assert_int_equal(hp_route_rare(r)->retry_policy->retriable_status_codes[2], 503);
	assert_int_equal(hp_route_rare(r)->internal_redirect->nredirect_response_codes, 2);
	assert_int_equal(hp_route_rare(r)->internal_redirect->redirect_response_codes[0], 308);
	assert_int_equal(hp_route_rare(r)->internal_redirect->redirect_response_codes[1], 303);
	loaded_file_free(lf);
}

/* A route's rarely set policies are decoded into a side struct the loader
 * allocates at the first such key (SCHEMA_SIDE): a route with none keeps
 * none, one with some reads each back (a list with its count), and an
 * error in one is still placed where it stands. */
static void
test_route_rare_side_struct(void **state)
{
	static const char *const expected[] = {
		"ns/f.yaml:10:7: error: HTTPProxy ns/app: spec.routes[0]."
		"ipDenyPolicy[0]: missing required field \"cidr\"",
	};
	struct loaded_file *lf;
	const struct hp_route *r;

	(void)state;
	assert_true(sizeof(struct hp_route) <= 72);
	lf = load("ns/f.yaml", "ns", PROXY_HEAD
	    "spec:\n"
	    "  virtualhost: {fqdn: a.example.com}\n"
	    "  routes:\n"
	    "  - services: [{name: s, port: 80}]\n"
	    "  - services: [{name: s, port: 80}]\n"
	    "    conditions: [{prefix: /w}]\n"
	    "    enableWebsockets: true\n"
	    "  - services: [{name: s, port: 80}]\n"
	    "    conditions: [{prefix: /j}]\n"
	    "    ipDenyPolicy:\n"
	    "    - {source: Peer, cidr: 10.0.0.0/8}\n"
	    "    - {source: Remote, cidr: 192.168.0.0/16}\n"
	    "    jwtVerificationPolicy: {disabled: true}\n"
	    "  - conditions: [{prefix: /s}]\n"
	    "    services:\n"
	    "    - {name: s, port: 80, weight: 5, mirror: true}\n"
	    "    - {name: t, port: 80, protocol: h2c, healthPort: 8081}\n");
	assert_true(lf->ok);
	r = lf->objects[0]->u.httpproxy.routes;
	/* Services the same way: options only some set in their own. */
	assert_true(sizeof(struct hp_service) <= 48);
	assert_null(r[0].services[0].rare);
	assert_null(hp_service_rare(&r[0].services[0])->protocol);
	assert_int_equal(hp_service_rare(&r[0].services[0])->health_port, 0);
	assert_null(r[3].services[0].rare);
	assert_int_equal(r[3].services[0].weight, 5);
	assert_true(r[3].services[0].has_weight);
	assert_true(r[3].services[0].mirror);
	assert_non_null(r[3].services[1].rare);
	assert_string_equal(r[3].services[1].rare->protocol, "h2c");
	assert_int_equal(r[3].services[1].rare->health_port, 8081);
	assert_null(r[3].services[1].rare->validation);
	assert_int_equal(lf->objects[0]->u.httpproxy.nroutes, 4);
	assert_null(r[0].rare);
	assert_null(hp_route_rare(&r[0])->retry_policy);
	assert_int_equal(hp_route_rare(&r[0])->nip_deny, 0);
	assert_null(r[1].rare);
	assert_true(r[1].enable_websockets);
	assert_non_null(r[2].rare);
	assert_int_equal(r[2].rare->nip_deny, 2);
	assert_string_equal(r[2].rare->ip_deny[0].cidr, "10.0.0.0/8");
	assert_string_equal(r[2].rare->ip_deny[1].source, "Remote");
	assert_int_equal(r[2].rare->nip_allow, 0);
	assert_non_null(r[2].rare->jwt_policy);
	assert_true(r[2].rare->jwt_policy->disabled);
	assert_null(r[2].rare->timeout_policy);
	assert_int_equal(r[2].nservices, 1);
	assert_int_equal(r[2].nconditions, 1);
	loaded_file_free(lf);

	assert_errors("ns/f.yaml", "ns", PROXY_HEAD
	    "spec:\n"
	    "  virtualhost: {fqdn: a.example.com}\n"
	    "  routes:\n"
	    "  - services: [{name: s, port: 80}]\n"
	    "    ipDenyPolicy:\n"
	    "    - {source: Peer}\n",
	    expected, 1);
}

static void
test_one_bad_document_drops_the_file(void **state)
{
	struct loaded_file *lf;

	(void)state;
	lf = load("ns/f.yaml", "ns",
	    "apiVersion: v1\nkind: Service\nmetadata: {name: good}\n"
	    "---\n"
	    "apiVersion: v1\nkind: Service\nmetadata: {name: Bad}\n");
	assert_false(lf->ok);
	assert_int_equal(lf->nobjects, 0);
	assert_int_equal(lf->diags.nerrors, 1);
	assert_diag(lf, 0, "ns/f.yaml:7:18: error: Service ns/Bad: metadata.name: "
	    "invalid value \"Bad\": must be a DNS-1123 subdomain: lowercase "
	    "letters, digits, '-' and '.', starting and ending with a letter or "
	    "digit, at most 253 characters");
	loaded_file_free(lf);
}

static void
test_namespace(void **state)
{
	struct loaded_file *lf;

	(void)state;
	assert_error("apiVersion: v1\nkind: Service\n"
	    "metadata:\n  name: web\n  namespace: shop\n",
	    "ns/f.yaml:5:14: error: Service ns/web: metadata.namespace \"shop\" "
	    "does not match directory namespace \"ns\"");
	lf = load("shop/f.yaml", "shop", "apiVersion: v1\nkind: Service\n"
	    "metadata:\n  name: web\n  namespace: shop\n");
	assert_true(lf->ok);
	assert_string_equal(lf->objects[0]->meta.namespace, "shop");
	loaded_file_free(lf);
	/* Files in the root are namespace "default". */
	lf = load("f.yaml", NULL, "apiVersion: v1\nkind: Service\n"
	    "metadata: {name: web}\n");
	assert_true(lf->ok);
	assert_string_equal(lf->objects[0]->meta.namespace, "default");
	loaded_file_free(lf);
}

static void
test_unknown_kind_skipped(void **state)
{
	struct loaded_file *lf;
	char buf[512];

	(void)state;
	lf = load("ns/f.yaml", "ns",
	    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
	    "spec: {replicas: 3}\n"
	    "---\n"
	    "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "---\n"
	    "apiVersion: projectcontour.io/v2\nkind: HTTPProxy\n");
	assert_true(lf->ok);
	assert_int_equal(lf->nobjects, 1);
	assert_int_equal(lf->diags.n, 2);
	assert_int_equal(lf->diags.nerrors, 0);
	assert_int_equal(lf->diags.items[0].severity, DIAG_WARNING);
	diag_format(&lf->diags.items[0], buf, sizeof buf);
	assert_string_equal(buf, "ns/f.yaml:1:1: warning: skipping unknown kind "
	    "Deployment (apiVersion apps/v1)");
	diag_format(&lf->diags.items[1], buf, sizeof buf);
	assert_string_equal(buf, "ns/f.yaml:10:1: warning: skipping unknown kind "
	    "HTTPProxy (apiVersion projectcontour.io/v2)");
	loaded_file_free(lf);
}

static void
test_document_shape(void **state)
{
	static const char *const missing[] = {
		"ns/f.yaml:1:1: error: missing required field \"apiVersion\" (every "
		"document must be a Kubernetes object with apiVersion and kind)",
		"ns/f.yaml:1:1: error: missing required field \"kind\" (every "
		"document must be a Kubernetes object with apiVersion and kind)",
	};
	struct loaded_file *lf;

	(void)state;
	assert_errors("ns/f.yaml", "ns", "metadata: {name: x}\n", missing, 2);
	assert_error("- a\n- b\n", "ns/f.yaml:1:1: error: expected a Kubernetes "
	    "object (a mapping with apiVersion and kind), got sequence");
	assert_error("apiVersion: v1\nkind: [Service]\n", "ns/f.yaml:2:7: "
	    "error: kind: expected a string, got sequence");
	assert_error("apiVersion: v1\nkind: Service\n", "ns/f.yaml:1:1: error: "
	    "Service ns/(no name): missing required field \"metadata\"");
	/* Empty documents and comments are nothing, not errors. */
	lf = load("ns/f.yaml", "ns", "# nothing here\n---\n---\n~\n");
	assert_true(lf->ok);
	assert_int_equal(lf->nobjects, 0);
	assert_int_equal(lf->diags.n, 0);
	loaded_file_free(lf);
}

static void
test_wrong_types(void **state)
{
	static const char *const expected[] = {
		"ns/f.yaml:7:11: error: HTTPProxy ns/app: spec.routes: expected a "
		"sequence, got mapping",
		"ns/f.yaml:8:16: error: HTTPProxy ns/app: spec.virtualhost: expected "
		"a mapping, got string \"x.example.com\"",
	};

	(void)state;
	assert_errors("ns/f.yaml", "ns", PROXY_HEAD
	    "  labels: {a: b}\n"
	    "spec:\n"
	    "  routes: {services: []}\n"
	    "  virtualhost: x.example.com\n",
	    expected, 2);
	assert_error(PROXY_HEAD
	    "spec:\n"
	    "  routes:\n"
	    "  - conditions:\n"
	    "    - header: {name: x, present: yes}\n",
	    "ns/f.yaml:8:34: error: HTTPProxy ns/app: spec.routes[0]."
	    "conditions[0].header.present: expected a boolean (true or false), "
	    "got string \"yes\"");
	assert_error(PROXY_HEAD
	    "spec:\n"
	    "  virtualhost: {fqdn: 80}\n",
	    "ns/f.yaml:6:23: error: HTTPProxy ns/app: spec.virtualhost.fqdn: "
	    "expected a string, got integer 80 (quote it to make it a string: "
	    "\"80\")");
	assert_error("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
	    "  labels: {n: 1}\n",
	    "ns/f.yaml:5:15: error: Service ns/web: metadata.labels.n: expected a "
	    "string, got integer 1 (quote it to make it a string: \"1\")");
	assert_error(PROXY_HEAD
	    "spec:\n"
	    "  routes:\n"
	    "  - services: [{name: a, port: 8.5}]\n",
	    "ns/f.yaml:7:32: error: HTTPProxy ns/app: spec.routes[0].services[0]."
	    "port: expected an integer, got number 8.5");
}

static void
test_required_fields(void **state)
{
	static const char *const proxy[] = {
		"ns/f.yaml:3:11: error: HTTPProxy ns/(no name): metadata: missing "
		"required field \"name\"",
		"ns/f.yaml:7:7: error: HTTPProxy ns/(no name): spec.routes[0]."
		"services[0]: missing required field \"name\"",
		"ns/f.yaml:7:7: error: HTTPProxy ns/(no name): spec.routes[0]."
		"services[0]: missing required field \"port\"",
	};
	static const char *const ep[] = {
		"ns/f.yaml:6:5: error: Endpoints ns/web: subsets[0].addresses[0]: "
		"missing required field \"ip\"",
		"ns/f.yaml:8:5: error: Endpoints ns/web: subsets[0].ports[0]: "
		"missing required field \"port\"",
	};

	(void)state;
	assert_errors("ns/f.yaml", "ns",
	    "apiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\n"
	    "metadata: {labels: {a: b}}\n"
	    "spec:\n"
	    "  routes:\n"
	    "  - services:\n"
	    "    - weight: 10\n",
	    proxy, 3);
	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "spec:\n  ports:\n  - name: http\n",
	    "ns/f.yaml:6:5: error: Service ns/web: spec.ports[0]: missing "
	    "required field \"port\"");
	assert_errors("ns/f.yaml", "ns",
	    "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\n"
	    "subsets:\n"
	    "- addresses:\n"
	    "  - hostname: a\n"
	    "  ports:\n"
	    "  - name: http\n",
	    ep, 2);
	assert_error(PROXY_HEAD "spec:\n  virtualhost: {}\n",
	    "ns/f.yaml:6:16: error: HTTPProxy ns/app: spec.virtualhost: missing "
	    "required field \"fqdn\"");
	assert_error(PROXY_HEAD, "ns/f.yaml:1:1: error: HTTPProxy ns/app: "
	    "missing required field \"spec\"");
}

static void
test_value_checks(void **state)
{
	struct loaded_file *lf;

	(void)state;
	assert_error(PROXY_HEAD "spec:\n  virtualhost: {fqdn: Shop.Example.com}\n",
	    "ns/f.yaml:6:23: error: HTTPProxy ns/app: spec.virtualhost.fqdn: "
	    "invalid value \"Shop.Example.com\": must be a lowercase host name "
	    "(letters, digits, '-' and '.'), optionally starting with \"*.\"");
	assert_error(PROXY_HEAD "spec:\n  virtualhost: {fqdn: \"a.*.com\"}\n",
	    "ns/f.yaml:6:23: error: HTTPProxy ns/app: spec.virtualhost.fqdn: "
	    "invalid value \"a.*.com\": must be a lowercase host name "
	    "(letters, digits, '-' and '.'), optionally starting with \"*.\"");
	assert_error(PROXY_HEAD "spec:\n  routes:\n  - services: [{name: a, "
	    "port: 0}]\n",
	    "ns/f.yaml:7:32: error: HTTPProxy ns/app: spec.routes[0].services[0]."
	    "port: 0 is out of range (1..65535)");
	assert_error(PROXY_HEAD "spec:\n  routes:\n  - services: [{name: a, "
	    "port: 80, weight: -1}]\n",
	    "ns/f.yaml:7:44: error: HTTPProxy ns/app: spec.routes[0].services[0]."
	    "weight: -1 is out of range (0..4294967295)");
	assert_error("apiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\n"
	    "subsets:\n- addresses: [{ip: 10.0.0.300}]\n",
	    "ns/f.yaml:5:20: error: Endpoints ns/web: subsets[0].addresses[0].ip: "
	    "invalid value \"10.0.0.300\": must be an IPv4 or IPv6 address");
	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "spec: {type: Headless}\n",
	    "ns/f.yaml:4:14: error: Service ns/web: spec.type: invalid value "
	    "\"Headless\" (expected one of: ClusterIP, NodePort, LoadBalancer, "
	    "ExternalName)");
	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "spec: {ports: [{port: 80, protocol: tcp}]}\n",
	    "ns/f.yaml:4:37: error: Service ns/web: spec.ports[0].protocol: "
	    "invalid value \"tcp\" (did you mean \"TCP\"? expected one of: TCP, "
	    "UDP, SCTP)");

	lf = load("ns/f.yaml", "ns", PROXY_HEAD
	    "spec:\n  virtualhost: {fqdn: \"*.example.com\"}\n");
	assert_true(lf->ok);
	assert_string_equal(lf->objects[0]->u.httpproxy.virtualhost->fqdn,
	    "*.example.com");
	loaded_file_free(lf);
}

static void
test_condition_rules(void **state)
{
	(void)state;
	struct loaded_file *lf;
	const struct hp_condition *c;

	/* Contour's CRD takes several matches in one item: they all apply
	 * (two path matches are a status error in the DAG, not here). */
	lf = load("ns/f.yaml", "ns", PROXY_HEAD "spec:\n  routes:\n"
	    "  - conditions:\n    - {prefix: /a, header: {name: x, present: true}}\n");
	assert_true(lf->ok);
	c = &lf->objects[0]->u.httpproxy.routes[0].conditions[0];
	assert_string_equal(c->prefix, "/a");
	assert_non_null(c->header);
	assert_string_equal(c->header->name, "x");
	loaded_file_free(lf);
	assert_error(PROXY_HEAD "spec:\n  routes:\n  - conditions:\n"
	    "    - {}\n",
	    "ns/f.yaml:8:7: error: HTTPProxy ns/app: spec.routes[0].conditions[0]: "
	    "a condition must set at least one of prefix, exact, regex, header or "
	    "queryParameter");
	assert_error(PROXY_HEAD "spec:\n  routes:\n  - conditions:\n"
	    "    - prefix: api\n",
	    "ns/f.yaml:8:15: error: HTTPProxy ns/app: spec.routes[0].conditions[0]."
	    "prefix: must start with \"/\"");
	assert_error(PROXY_HEAD "spec:\n  routes:\n  - conditions:\n"
	    "    - header: {name: x, exact: a, contains: b}\n",
	    "ns/f.yaml:8:15: error: HTTPProxy ns/app: spec.routes[0].conditions[0]."
	    "header: a header condition must set exactly one of present, "
	    "notpresent, exact, notexact, contains, notcontains or regex (found 2)");
	assert_error(PROXY_HEAD "spec:\n  tcpproxy:\n    healthCheckPolicy: {path: /}\n",
	    "ns/f.yaml:7:25: error: HTTPProxy ns/app: spec.tcpproxy."
	    "healthCheckPolicy: unknown field \"path\"");
}

static void
test_service(void **state)
{
	struct loaded_file *lf;
	const struct service *s;

	(void)state;
	lf = load("ns/web.yaml", "ns",
	    "apiVersion: v1\n"
	    "kind: Service\n"
	    "metadata:\n"
	    "  name: web\n"
	    "  namespace: ns\n"
	    "  creationTimestamp: \"2024-01-01T00:00:00Z\"\n"
	    "  managedFields: [{manager: kubectl}]\n"
	    "  ownerReferences: []\n"
	    "  generation: 4\n"
	    "spec:\n"
	    "  selector: {app: web}\n"
	    "  clusterIP: 10.96.0.10\n"
	    "  sessionAffinity: None\n"
	    "  ports:\n"
	    "  - name: http\n"
	    "    port: 80\n"
	    "    targetPort: http-web\n"
	    "    appProtocol: h2c\n"
	    "  - name: admin\n"
	    "    port: 9000\n"
	    "    targetPort: 9001\n"
	    "    protocol: TCP\n"
	    "status:\n"
	    "  loadBalancer: {}\n");
	assert_true(lf->ok);
	s = &lf->objects[0]->u.service;
	assert_null(s->type);
	assert_int_equal(s->nports, 2);
	assert_string_equal(s->ports[0].name, "http");
	assert_int_equal(s->ports[0].port, 80);
	assert_int_equal(s->ports[0].target_port, 0);
	assert_string_equal(s->ports[0].target_port_name, "http-web");
	assert_string_equal(s->ports[0].app_protocol, "h2c");
	assert_int_equal(s->ports[0].origin.line, 15);
	assert_int_equal(s->ports[1].target_port, 9001);
	assert_null(s->ports[1].target_port_name);
	assert_string_equal(s->ports[1].protocol, "TCP");
	loaded_file_free(lf);

	lf = load("ns/ext.yaml", "ns",
	    "apiVersion: v1\nkind: Service\nmetadata: {name: ext}\n"
	    "spec: {type: ExternalName, externalName: api.example.com}\n");
	assert_true(lf->ok);
	assert_string_equal(lf->objects[0]->u.service.type, "ExternalName");
	assert_string_equal(lf->objects[0]->u.service.external_name,
	    "api.example.com");
	loaded_file_free(lf);

	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: ext}\n"
	    "spec: {type: ExternalName}\n",
	    "ns/f.yaml:4:7: error: Service ns/ext: spec: type ExternalName "
	    "requires externalName");
	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "spec:\n  ports:\n  - {name: a, port: 80}\n  - {port: 81}\n",
	    "ns/f.yaml:7:5: error: Service ns/web: spec.ports[1]: name is "
	    "required when a Service has more than one port");
	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "spec:\n  ports:\n  - {port: 80, targetPort: 0}\n",
	    "ns/f.yaml:6:28: error: Service ns/web: spec.ports[0].targetPort: 0 "
	    "is out of range (1..65535)");
	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	    "spec:\n  ports:\n  - {port: 80, targetPort: [1]}\n",
	    "ns/f.yaml:6:28: error: Service ns/web: spec.ports[0].targetPort: "
	    "expected a port number or a port name, got sequence");
}

static void
test_endpoints(void **state)
{
	struct loaded_file *lf;
	const struct endpoints *e;

	(void)state;
	lf = load("ns/web-ep.yaml", "ns",
	    "apiVersion: v1\n"
	    "kind: Endpoints\n"
	    "metadata: {name: web}\n"
	    "subsets:\n"
	    "- addresses:\n"
	    "  - ip: 10.0.0.1\n"
	    "    nodeName: node-a\n"
	    "    targetRef: {kind: Pod, name: web-1}\n"
	    "  - ip: \"fd00::2\"\n"
	    "    hostname: web-2\n"
	    "  notReadyAddresses:\n"
	    "  - ip: 10.0.0.3\n"
	    "  ports:\n"
	    "  - {name: http, port: 8080, protocol: TCP, appProtocol: http}\n");
	assert_true(lf->ok);
	e = &lf->objects[0]->u.endpoints;
	assert_int_equal(e->nsubsets, 1);
	assert_int_equal(e->subsets[0].naddresses, 2);
	assert_string_equal(e->subsets[0].addresses[0].ip, "10.0.0.1");
	assert_int_equal(e->subsets[0].addresses[0].origin.line, 6);
	assert_int_equal(e->subsets[0].addresses[0].origin.col, 5);
	assert_string_equal(e->subsets[0].addresses[1].ip, "fd00::2");
	assert_string_equal(e->subsets[0].addresses[1].hostname, "web-2");
	assert_int_equal(e->subsets[0].nnot_ready_addresses, 1);
	assert_int_equal(e->subsets[0].nports, 1);
	assert_int_equal(e->subsets[0].ports[0].port, 8080);
	assert_string_equal(e->subsets[0].ports[0].app_protocol, "http");
	loaded_file_free(lf);
}

static void
test_list_kind(void **state)
{
	struct loaded_file *lf;

	(void)state;
	lf = load("ns/all.yaml", "ns",
	    "apiVersion: v1\n"
	    "kind: List\n"
	    "metadata: {resourceVersion: \"\"}\n"
	    "items:\n"
	    "- apiVersion: v1\n"
	    "  kind: Service\n"
	    "  metadata: {name: a}\n"
	    "- apiVersion: v1\n"
	    "  kind: PodTemplate\n"
	    "  metadata: {name: b}\n"
	    "- apiVersion: v1\n"
	    "  kind: Endpoints\n"
	    "  metadata: {name: a}\n");
	assert_true(lf->ok);
	assert_int_equal(lf->nobjects, 2);
	assert_int_equal(lf->objects[1]->kind, OBJ_ENDPOINTS);
	assert_int_equal(lf->objects[1]->meta.origin.line, 11);
	assert_int_equal(lf->objects[1]->meta.origin.col, 3);
	assert_int_equal(lf->diags.n, 1);
	assert_diag(lf, 0, "ns/all.yaml:8:3: warning: skipping unknown kind "
	    "PodTemplate (apiVersion v1)");
	loaded_file_free(lf);

	assert_error("apiVersion: v1\nkind: List\nitems:\n"
	    "- {apiVersion: v1, kind: List, items: []}\n",
	    "ns/f.yaml:4:3: error: a List cannot hold another List");
}

static void
test_yaml_errors_reach_the_file(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct loaded_file *lf;

	(void)state;
	strbuf_puts(&sb, "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
	    "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
	for (int i = 1; i <= 9; i++) {
		strbuf_printf(&sb, "x%d: &x%d [", i, i);
		for (int j = 0; j < 10; j++)
			strbuf_printf(&sb, "%s*x%d", j ? ", " : "", i - 1);
		strbuf_puts(&sb, "]\n");
	}
	lf = load_buffer("ns/lol.yaml", "ns", sb.buf, sb.len, NULL);
	assert_false(lf->ok);
	assert_int_equal(lf->nobjects, 0);
	assert_int_equal(lf->diags.n, 1);
	assert_diag(lf, 0, "ns/lol.yaml:7:45: error: aliases expand to more than "
	    "10000 nodes in this file (at alias \"*x2\")");
	loaded_file_free(lf);
	strbuf_free(&sb);

	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: a\n",
	    "ns/f.yaml:4:1: error: did not find expected ',' or '}' (while "
	    "parsing a flow mapping at 3:11)");
	assert_error("apiVersion: v1\nkind: Service\nmetadata: {name: \xc0}\n",
	    "ns/f.yaml:3:18: error: invalid UTF-8 (bytes C0 7D: invalid trailing "
	    "UTF-8 octet); YAML files must be UTF-8 text");
}

static void
test_limits_option(void **state)
{
	struct load_options opts = { .max_depth = 3 };
	const char *yaml = "apiVersion: v1\nkind: Service\nmetadata: {labels: "
	    "{a: [b]}}\n";
	struct loaded_file *lf;

	(void)state;
	lf = load_buffer("f.yaml", "default", yaml, strlen(yaml), &opts);
	assert_false(lf->ok);
	assert_diag(lf, 0, "f.yaml:3:24: error: nesting is deeper than 3 levels");
	loaded_file_free(lf);
}

static void
test_suggestions(void **state)
{
	static const char *const keys[] = { "prefix", "exact", "regex", "header",
		"max-file-bytes", "ip" };

	(void)state;
	assert_string_equal(schema_suggest("prefx", keys, nitems(keys)), "prefix");
	assert_string_equal(schema_suggest("Header", keys, nitems(keys)), "header");
	assert_string_equal(schema_suggest("HEADERS", keys, nitems(keys)), "header");
	assert_string_equal(schema_suggest("maxFileBytes", keys, nitems(keys)),
	    "max-file-bytes");
	assert_string_equal(schema_suggest("max_file_bytes", keys, nitems(keys)),
	    "max-file-bytes");
	assert_null(schema_suggest("services", keys, nitems(keys)));
	/* Two edits on a two-letter key is a different word. */
	assert_null(schema_suggest("xy", keys, nitems(keys)));
	assert_error(PROXY_HEAD "spec:\n  routes:\n  - conditions: []\n"
	    "    timeout: 1s\n",
	    "ns/f.yaml:8:5: error: HTTPProxy ns/app: spec.routes[0]: unknown "
	    "field \"timeout\"");
}

static void
test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(obj_kind_name(OBJ_HTTPPROXY), "HTTPProxy");
	assert_string_equal(obj_kind_name(OBJ_SERVICE), "Service");
	assert_string_equal(obj_kind_name(OBJ_ENDPOINTS), "Endpoints");
}

/* A loaded file is kept for as long as it is in effect: its arena should
 * hold its objects with little slack, once a file of the same shape has
 * been seen (a first block sized from the YAML alone overflowed into a
 * second one, three times the objects' size in all). */
static void
test_loaded_arena_sized_to_objects(void **state)
{
	char buf[16384];
	size_t len = 0;
	struct loaded_file *lf;

	(void)state;
	len += (size_t)snprintf(buf + len, sizeof buf - len,
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata:\n  name: app\n  namespace: ns\nspec:\n"
	    "  virtualhost:\n    fqdn: app.example.com\n  routes:\n");
	for (int i = 0; i < 20; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
		    "    - conditions:\n        - prefix: /p%d\n"
		    "        - header:\n            name: x-h%d\n"
		    "            exact: v%d\n"
		    "      services:\n        - name: s%d\n          port: 80\n",
		    i, i, i, i);
	assert_true(len < sizeof buf - 1);
	for (int round = 0; round < 3; round++) {
		size_t used, held;

		lf = load_buffer("a.yaml", "ns", buf, len, NULL);
		assert_true(lf->ok);
		used = lf->arena.total;
		held = arena_footprint(&lf->arena);
		/* The objects are bigger than the YAML: what the test is about. */
		assert_true(used > 2 * len);
		if (round > 0)
			assert_true(held <= used + used / 4 + 1024);
		loaded_file_free(lf);
	}
}

/* The guess comes from the parsed tree, not the file's bytes: the same
 * objects under a long comment are held as tightly, and a file that does
 * not parse holds only its names, however long it is. */
static void
test_loaded_arena_from_tree(void **state)
{
	static const char doc[] =
	    "apiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
	    "metadata:\n  name: app\n  namespace: ns\nspec:\n"
	    "  virtualhost:\n    fqdn: app.example.com\n  routes:\n"
	    "    - conditions:\n        - prefix: /a\n"
	    "      services:\n        - name: s\n          port: 80\n"
	    "    - conditions:\n        - prefix: /b\n"
	    "      services:\n        - name: t\n          port: 81\n";
	char buf[16384];
	size_t len = 0, used, held;
	struct loaded_file *lf;

	(void)state;
	lf = load_buffer("a.yaml", "ns", doc, strlen(doc), NULL);
	assert_true(lf->ok);
	loaded_file_free(lf);

	while (len < 8192)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
		    "# a comment line that the YAML tree does not keep\n");
	len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", doc);
	lf = load_buffer("a.yaml", "ns", buf, len, NULL);
	assert_true(lf->ok);
	used = lf->arena.total;
	held = arena_footprint(&lf->arena);
	assert_true(used < len / 2);
	assert_true(held <= used + used / 16 + 256);
	loaded_file_free(lf);

	memcpy(buf + len - 2, "[\n", 3); /* an unclosed flow sequence */
	lf = load_buffer("bad.yaml", "ns", buf, len + 1, NULL);
	assert_false(lf->ok);
	assert_true(arena_footprint(&lf->arena) <= 1024);
	loaded_file_free(lf);
}

/* A plain scalar in a string field is refused exactly when YAML reads it
 * as something else: the decoder settles most strings by their first
 * byte, and must agree with the full classification (ynode_type_name)
 * on every one, including the near misses of each non-string form. */
static void
test_plain_strings_by_first_byte(void **state)
{
	static const char *const plain[] = {
		"web", "x.example.com", "a-b", "Z", "_x", "/path", "~", "~x",
		"null", "Null", "NULL", "nul", "nulls", "n", "N", "no", "yes",
		"true", "false", "tru", "falsey", "t", "f", "True", "FALSE",
		"0", "80", "-1", "+7", "-", "+", "1.5", "-2.5e3", ".5", ".inf",
		"-.inf", ".NaN", ".nan", ".", "..", "1.2.3", "1e", "9x", "0x10",
		"-abc", "+abc", ".abc", "8080/tcp",
	};

	(void)state;
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		char buf[512];
		struct loaded_file *lf;
		struct arena a;
		struct ydoc *docs;
		size_t ndocs;
		struct diag_list d;
		const char *type;
		bool want_ok;

		/* What the full classification says of the scalar. */
		arena_init(&a);
		diag_list_init(&d);
		assert_int_equal(yaml_parse("t.yaml", plain[i], strlen(plain[i]),
		    NULL, &a, &docs, &ndocs, &d), 0);
		assert_int_equal(ndocs, 1);
		type = docs[0].root != NULL ? ynode_type_name(docs[0].root) :
		    "null";
		want_ok = strcmp(type, "string") == 0 || strcmp(type, "null") == 0;
		snprintf(buf, sizeof buf, "apiVersion: v1\nkind: Service\n"
		    "metadata:\n  name: web\n  annotations:\n    k: %s\n"
		    "spec:\n  ports:\n  - port: 80\n", plain[i]);
		lf = load("ns/f.yaml", "ns", buf);
		if (lf->ok != want_ok) {
			for (size_t j = 0; j < lf->diags.n; j++)
				diag_print(stderr, &lf->diags.items[j]);
			fail_msg("\"%s\" (%s): loaded %s", plain[i], type,
			    lf->ok ? "ok" : "with errors");
		}
		if (lf->ok && strcmp(type, "string") == 0)
			assert_string_equal(lf->objects[0]->meta.annotations[0].value,
			    plain[i]);
		loaded_file_free(lf);
		diag_list_free(&d);
		arena_free(&a);
	}
}

/* A caller that has the bytes' hash passes it in: the file is loaded
 * exactly as without it, and its content_hash is the one given. */
static void
test_scratch_hashed(void **state)
{
	static const char yaml[] = "apiVersion: v1\nkind: Service\n"
	    "metadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n";
	struct arena scratch;
	struct loaded_file *a, *b;

	(void)state;
	arena_init(&scratch);
	a = load_buffer_scratch("ns/s.yaml", "ns", yaml, strlen(yaml), NULL,
	    &scratch);
	b = load_buffer_scratch_hashed("ns/s.yaml", "ns", yaml, strlen(yaml),
	    a->content_hash, NULL, &scratch);
	assert_true(a->ok);
	assert_true(b->ok);
	assert_int_equal(b->content_hash, a->content_hash);
	assert_int_equal(b->nobjects, 1);
	assert_string_equal(b->objects[0]->meta.name, "web");
	assert_string_equal(b->objects[0]->meta.namespace, "ns");
	loaded_file_free(b);
	b = load_buffer_scratch_hashed("ns/s.yaml", "ns", yaml, strlen(yaml),
	    12345, NULL, &scratch);
	assert_int_equal(b->content_hash, 12345);
	loaded_file_free(b);
	loaded_file_free(a);
	arena_free(&scratch);
}

/* Bytes a file of n Services holds in its arena. */
static size_t
services_bytes(int n)
{
	struct strbuf b;
	struct loaded_file *lf;
	size_t used;

	memset(&b, 0, sizeof b);
	for (int i = 0; i < n; i++)
		strbuf_printf(&b, "---\napiVersion: v1\nkind: Service\n"
		    "metadata: {name: s%03d, namespace: ns}\n"
		    "spec: {ports: [{name: http, port: 80}]}\n", i);
	lf = load_buffer("ns/s.yaml", "ns", b.buf, b.len, NULL);
	strbuf_free(&b);
	assert_true(lf->ok);
	assert_int_equal(lf->nobjects, (size_t)n);
	assert_string_equal(lf->objects[n - 1]->u.service.ports[0].name, "http");
	used = lf->arena.total;
	loaded_file_free(lf);
	return used;
}

/* An object takes its kind's member of the union, not the largest: a
 * Service (its object, one port, its names, its share of the objects
 * list) took 313 bytes when every object had the union's size, 232 now. */
static void
test_objects_sized_by_kind(void **state)
{
	size_t per;

	(void)state;
	per = (services_bytes(80) - services_bytes(40)) / 40;
	print_message("%zu bytes per Service\n", per);
	assert_true(per <= 280);
}

/* The decoder's path ("spec.routes[0]...") is kept as segments and
 * written out only for a message: deeper than the context's first
 * segments, with indexes among keys, and popped back between siblings. */
struct deep {
	struct deep *child;
	struct deep *items;
	size_t nitems;
	char *name;
};

static const struct schema_table deep_table;
static const struct schema_field deep_fields[] = {
	{ .key = "child", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct deep, child), .sub = &deep_table },
	{ .key = "items", .type = SCHEMA_OBJECT_LIST,
	  .offset = offsetof(struct deep, items),
	  .count_offset = offsetof(struct deep, nitems), .sub = &deep_table },
	{ .key = "name", .type = SCHEMA_STRING,
	  .offset = offsetof(struct deep, name) },
};
static const struct schema_table deep_table =
    SCHEMA_TABLE("deep", struct deep, deep_fields, NULL);

static void
decode_deep(const char *yaml, struct diag_list *diags, struct arena *a,
    struct deep *out)
{
	struct ydoc *docs;
	size_t ndocs;
	struct schema_ctx ctx;

	assert_int_equal(yaml_parse("d.yaml", yaml, strlen(yaml), NULL, a,
	    &docs, &ndocs, diags), 0);
	assert_int_equal(ndocs, 1);
	memset(out, 0, sizeof *out);
	schema_ctx_init(&ctx, a, diags, "d.yaml", "Deep");
	schema_decode(&ctx, &deep_table, docs[0].root, out);
	schema_ctx_free(&ctx);
}

static void
test_error_path_deep(void **state)
{
	struct strbuf yaml = STRBUF_INIT, want = STRBUF_INIT;
	struct diag_list diags;
	struct arena a;
	struct deep d;
	char got[2048];
	int depth = 20;

	(void)state;
	/* child: {items: [{name: ok}, {child: {...}}]} twenty times over,
	 * then a name that is not a string: 60 segments, in flow style so
	 * the column is easy to say. */
	for (int i = 0; i < depth; i++) {
		strbuf_puts(&yaml, "{child: {items: [{name: ok}, ");
		strbuf_printf(&want, "%schild.items[1]", i ? "." : "");
	}
	strbuf_puts(&yaml, "{name: [x]}");
	for (int i = 0; i < depth; i++)
		strbuf_puts(&yaml, "]}}");
	strbuf_puts(&yaml, "\n");
	arena_init(&a);
	diag_list_init(&diags);
	decode_deep(yaml.buf, &diags, &a, &d);
	assert_int_equal(diags.n, 1);
	diag_format(&diags.items[0], got, sizeof got);
	{
		char *expected = xasprintf("d.yaml:1:%zu: error: Deep: %s.name: "
		    "expected a string, got sequence",
		    strlen(yaml.buf) - 3 * (size_t)depth - 4, want.buf);

		assert_string_equal(got, expected);
		free(expected);
	}
	/* What was decoded beside the error stays: the siblings' names. */
	assert_string_equal(d.child->items[0].name, "ok");
	diag_list_free(&diags);
	arena_free(&a);

	/* A top-level key of its own and an index right after it. */
	arena_init(&a);
	diag_list_init(&diags);
	decode_deep("items:\n- name: a\n- name: 7\n", &diags, &a, &d);
	assert_int_equal(diags.n, 1);
	diag_format(&diags.items[0], got, sizeof got);
	assert_string_equal(got, "d.yaml:3:9: error: Deep: items[1].name: "
	    "expected a string, got integer 7 (quote it to make it a string: "
	    "\"7\")");
	diag_list_free(&diags);
	arena_free(&a);
	strbuf_free(&yaml);
	strbuf_free(&want);
}

/* A key with a NUL in it is no row's key, even when what comes before
 * the NUL is (schema_find compares up to the NUL, then the length). */
static void
test_key_with_nul_is_unknown(void **state)
{
	struct diag_list diags;
	struct arena a;
	struct deep d;
	char got[2048];

	(void)state;
	arena_init(&a);
	diag_list_init(&diags);
	decode_deep("\"name\\0\": x\n", &diags, &a, &d);
	assert_null(d.name);
	assert_int_equal(diags.n, 1);
	diag_format(&diags.items[0], got, sizeof got);
	assert_non_null(strstr(got, "d.yaml:1:1: error: Deep: unknown field"));
	diag_list_free(&diags);
	arena_free(&a);

	/* The same for a string value, written with each escape YAML has
	 * for the byte; a NUL-free double-quoted value is decoded whole. */
	static const char *const nul_values[] = {
		"\"a\\0b\"", "\"a\\x00b\"", "\"a\\u0000b\"",
	};
	for (size_t i = 0; i < nitems(nul_values); i++) {
		char *yaml = xasprintf("name: %s\n", nul_values[i]);

		arena_init(&a);
		diag_list_init(&diags);
		decode_deep(yaml, &diags, &a, &d);
		assert_null(d.name);
		assert_int_equal(diags.n, 1);
		diag_format(&diags.items[0], got, sizeof got);
		assert_string_equal(got, "d.yaml:1:7: error: Deep: name: strings "
		    "must not contain NUL characters");
		diag_list_free(&diags);
		arena_free(&a);
		free(yaml);
	}
	arena_init(&a);
	diag_list_init(&diags);
	decode_deep("name: \"a\\tb\"\n", &diags, &a, &d);
	assert_int_equal(diags.n, 0);
	assert_string_equal(d.name, "a\tb");
	diag_list_free(&diags);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_httpproxy_decoded),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_all_errors_collected),
		cmocka_unit_test(test_status_code_lists),
		cmocka_unit_test(test_route_rare_side_struct),
		cmocka_unit_test(test_one_bad_document_drops_the_file),
		cmocka_unit_test(test_namespace),
		cmocka_unit_test(test_unknown_kind_skipped),
		cmocka_unit_test(test_document_shape),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_value_checks),
		cmocka_unit_test(test_condition_rules),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_list_kind),
		cmocka_unit_test(test_yaml_errors_reach_the_file),
		cmocka_unit_test(test_limits_option),
		cmocka_unit_test(test_suggestions),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_loaded_arena_sized_to_objects),
		cmocka_unit_test(test_loaded_arena_from_tree),
		cmocka_unit_test(test_plain_strings_by_first_byte),
		cmocka_unit_test(test_scratch_hashed),
		cmocka_unit_test(test_objects_sized_by_kind),
		cmocka_unit_test(test_error_path_deep),
		cmocka_unit_test(test_key_with_nul_is_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
