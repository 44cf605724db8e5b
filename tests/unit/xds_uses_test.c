/* What translation records for the ADS warming gate (xds_resource.uses and
 * .endpoints, src/xds/translate.c translate_uses), judged against the
 * resources themselves: for golden trees (TLS, tcpproxy, fallback
 * certificate, mirrors, weights, ExternalName, ExtensionServices, JWT),
 * each Envoy Listener and RouteConfiguration must record exactly the
 * clusters its bytes send traffic to (a Listener's ext_authz, ratelimit
 * and tracing ExtensionService clusters and jwt_authn's JWKS clusters
 * too), each EDS Cluster its service_name, and a STRICT_DNS cluster none;
 * again after a change, when unchanged hosts' lists come from the last
 * build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/config/trace/v3/opentelemetry.pb-c.h"
#include "envoy/extensions/filters/http/ext_authz/v3/ext_authz.pb-c.h"
#include "envoy/extensions/filters/http/jwt_authn/v3/config.pb-c.h"
#include "envoy/extensions/filters/http/ratelimit/v3/rate_limit.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "pipeline.h"
#include "source/dir.h"
#include "util/hash.h"
#include "util/xalloc.h"

#define TCP_PROXY_URL \
	"type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
#define HCM_URL "type.googleapis.com/envoy.extensions.filters.network." \
	"http_connection_manager.v3.HttpConnectionManager"
#define EXT_AUTHZ_URL \
	"type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"
#define RATELIMIT_URL \
	"type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit"
#define JWT_AUTHN_URL "type.googleapis.com/envoy.extensions.filters.http." \
	"jwt_authn.v3.JwtAuthentication"
#define OTEL_URL \
	"type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig"

struct names {
	char **v;
	size_t n, cap;
};

static void
names_add(struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return;
	ARRAY_PUSH(s->v, s->n, s->cap, xstrdup(name));
}

static void
names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* The clusters a RouteConfiguration's routes send traffic to. */
static void
route_clusters(const struct xds_resource *r, struct names *out)
{
	Envoy__Config__Route__V3__RouteConfiguration *rc =
	    envoy__config__route__v3__route_configuration__unpack(NULL, r->len,
	    xds_resource_bytes(r));

	assert_non_null(rc);
	for (size_t i = 0; i < rc->n_virtual_hosts; i++) {
		const Envoy__Config__Route__V3__VirtualHost *vh = rc->virtual_hosts[i];

		for (size_t j = 0; j < vh->n_routes; j++) {
			const Envoy__Config__Route__V3__RouteAction *ra = vh->routes[j]->route;

			if (vh->routes[j]->action_case !=
			    ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE)
				continue;
			if (ra->cluster_specifier_case ==
			    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER)
				names_add(out, ra->cluster);
			else if (ra->cluster_specifier_case ==
			    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS)
				for (size_t k = 0; k < ra->weighted_clusters->n_clusters; k++)
					names_add(out, ra->weighted_clusters->clusters[k]->name);
			for (size_t k = 0; k < ra->n_request_mirror_policies; k++)
				names_add(out, ra->request_mirror_policies[k]->cluster);
		}
	}
	envoy__config__route__v3__route_configuration__free_unpacked(rc, NULL);
}

/* The clusters a connection manager's ext_authz, jwt_authn (JWKS) and
 * ratelimit filters and its tracing provider call. */
static void
hcm_clusters(const Google__Protobuf__Any *any, struct names *out)
{
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager *h =
	    envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack(
	    NULL, any->value.len, any->value.data);

	assert_non_null(h);
	for (size_t i = 0; i < h->n_http_filters; i++) {
		const Google__Protobuf__Any *fa = h->http_filters[i]->typed_config;

		if (fa == NULL)
			continue;
		if (strcmp(fa->type_url, EXT_AUTHZ_URL) == 0) {
			Envoy__Extensions__Filters__Http__ExtAuthz__V3__ExtAuthz *ea =
			    envoy__extensions__filters__http__ext_authz__v3__ext_authz__unpack(
			    NULL, fa->value.len, fa->value.data);

			assert_non_null(ea);
			names_add(out, ea->grpc_service->envoy_grpc->cluster_name);
			envoy__extensions__filters__http__ext_authz__v3__ext_authz__free_unpacked(
			    ea, NULL);
		} else if (strcmp(fa->type_url, JWT_AUTHN_URL) == 0) {
			Envoy__Extensions__Filters__Http__JwtAuthn__V3__JwtAuthentication *ja =
			    envoy__extensions__filters__http__jwt_authn__v3__jwt_authentication__unpack(
			    NULL, fa->value.len, fa->value.data);

			assert_non_null(ja);
			for (size_t k = 0; k < ja->n_providers; k++)
				names_add(out, ja->providers[k]->value->remote_jwks->http_uri->cluster);
			envoy__extensions__filters__http__jwt_authn__v3__jwt_authentication__free_unpacked(
			    ja, NULL);
		} else if (strcmp(fa->type_url, RATELIMIT_URL) == 0) {
			Envoy__Extensions__Filters__Http__Ratelimit__V3__RateLimit *rl =
			    envoy__extensions__filters__http__ratelimit__v3__rate_limit__unpack(
			    NULL, fa->value.len, fa->value.data);

			assert_non_null(rl);
			names_add(out, rl->rate_limit_service->grpc_service->envoy_grpc->cluster_name);
			envoy__extensions__filters__http__ratelimit__v3__rate_limit__free_unpacked(
			    rl, NULL);
		}
	}
	if (h->tracing != NULL && h->tracing->provider != NULL &&
	    h->tracing->provider->typed_config != NULL &&
	    strcmp(h->tracing->provider->typed_config->type_url, OTEL_URL) == 0) {
		const Google__Protobuf__Any *ta = h->tracing->provider->typed_config;
		Envoy__Config__Trace__V3__OpenTelemetryConfig *ot =
		    envoy__config__trace__v3__open_telemetry_config__unpack(NULL,
		    ta->value.len, ta->value.data);

		assert_non_null(ot);
		names_add(out, ot->grpc_service->envoy_grpc->cluster_name);
		envoy__config__trace__v3__open_telemetry_config__free_unpacked(ot, NULL);
	}
	envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__free_unpacked(
	    h, NULL);
}

/* The clusters a Listener's tcp_proxy filters send traffic to, and the
 * ExtensionService clusters its connection managers call. */
static void
listener_clusters(const struct xds_resource *r, struct names *out)
{
	Envoy__Config__Listener__V3__Listener *l =
	    envoy__config__listener__v3__listener__unpack(NULL, r->len, r->bytes);

	assert_non_null(l);
	for (size_t i = 0; i < l->n_filter_chains; i++) {
		const Envoy__Config__Listener__V3__FilterChain *fc = l->filter_chains[i];

		for (size_t j = 0; j < fc->n_filters; j++) {
			const Google__Protobuf__Any *any = fc->filters[j]->typed_config;
			Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy *tp;

			if (any != NULL && strcmp(any->type_url, HCM_URL) == 0)
				hcm_clusters(any, out);
			if (any == NULL || strcmp(any->type_url, TCP_PROXY_URL) != 0)
				continue;
			tp = envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__unpack(
			    NULL, any->value.len, any->value.data);
			assert_non_null(tp);
			if (tp->cluster_specifier_case ==
			    ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_CLUSTER)
				names_add(out, tp->cluster);
			else
				for (size_t k = 0; k < tp->weighted_clusters->n_clusters; k++)
					names_add(out, tp->weighted_clusters->clusters[k]->name);
			envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__free_unpacked(
			    tp, NULL);
		}
	}
	envoy__config__listener__v3__listener__free_unpacked(l, NULL);
}

/* r records exactly the clusters of want (by name hash). */
static void
assert_uses(const struct xds_resource *r, const struct names *want)
{
	if (r->nuses != want->n)
		fail_msg("%s: %zu uses recorded, its bytes use %zu clusters", r->name,
		    r->nuses, want->n);
	for (size_t i = 0; i < want->n; i++) {
		bool found = false;

		for (size_t k = 0; k < r->nuses && !found; k++)
			found = r->uses[k] == xds_name_hash(want->v[i]);
		if (!found)
			fail_msg("%s: uses %s, not recorded", r->name, want->v[i]);
	}
}

/* Every resource of snap against what the gate records; returns how
 * many Envoy listeners and route configurations use clusters. */
static size_t
check_snapshot(const struct snapshot *snap)
{
	size_t checked = 0;

	for (size_t i = 0; i < snap->types[XDS_CLUSTER].n; i++) {
		const struct xds_resource *r = xds_set_at(&snap->types[XDS_CLUSTER], i);
		Envoy__Config__Cluster__V3__Cluster *c =
		    envoy__config__cluster__v3__cluster__unpack(NULL, r->len, r->bytes);

		assert_non_null(c);
		assert_int_equal(r->nuses, 0);
		if (c->type == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS &&
		    !r->named_only) {
			assert_non_null(r->endpoints);
			assert_string_equal(r->endpoints, c->eds_cluster_config->service_name);
			assert_non_null(snapshot_find(snap, XDS_ENDPOINT, r->endpoints));
		} else if (!r->named_only) {
			assert_null(r->endpoints); /* STRICT_DNS: nothing to wait for */
		}
		envoy__config__cluster__v3__cluster__free_unpacked(c, NULL);
	}
	for (size_t i = 0; i < snap->types[XDS_ROUTE].n; i++) {
		const struct xds_resource *r = xds_set_at(&snap->types[XDS_ROUTE], i);
		struct names want = { 0 };

		assert_null(r->endpoints);
		if (r->named_only || (strcmp(r->name, "ingress_http") != 0 &&
		    strcmp(r->name, "ingress_fallbackcert") != 0 &&
		    strncmp(r->name, "https/", 6) != 0)) {
			/* Proxyless RouteConfigurations record nothing. */
			assert_int_equal(r->nuses, 0);
			continue;
		}
		route_clusters(r, &want);
		assert_uses(r, &want);
		checked += want.n > 0;
		names_free(&want);
	}
	for (size_t i = 0; i < snap->types[XDS_LISTENER].n; i++) {
		const struct xds_resource *r = xds_set_at(&snap->types[XDS_LISTENER], i);
		struct names want = { 0 };

		listener_clusters(r, &want);
		assert_uses(r, &want);
		checked += want.n > 0;
		names_free(&want);
	}
	return checked;
}

struct tree {
	struct pipeline *p;
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files files;
};

static void
tree_open(struct tree *t, const char *name)
{
	const char *top = getenv("top_srcdir");
	char *input = xasprintf("%s/tests/golden/%s/input", top ? top : ".", name);
	char *config = xasprintf("%s/tests/golden/%s/cairn.yaml", top ? top : ".", name);
	struct source_dir *sd;
	struct diag_list diags;

	config_init_defaults(&t->cfg);
	translate_options_init(&t->to);
	diag_list_init(&diags);
	/* The tree's own cairn.yaml, as the golden test runs it. */
	if (access(config, R_OK) == 0)
		assert_int_equal(config_load_file(&t->cfg, config, &diags), 0);
	free(config);
	assert_int_equal(source_dir_open(input, NULL, &sd, &diags), 0);
	diag_list_free(&diags);
	assert_int_equal(source_dir_scan(sd, &t->files), 0);
	source_dir_close(sd);
	free(input);
	t->p = pipeline_new(NULL);
}

static size_t
tree_check(struct tree *t)
{
	struct build_result r;
	size_t n;

	pipeline_build(t->p, &t->files, &t->cfg, &t->to, &r);
	n = check_snapshot(r.snapshot);
	build_result_free(&r);
	return n;
}

static void
tree_close(struct tree *t)
{
	pipeline_free(t->p);
	source_files_free(&t->files);
	config_free(&t->cfg);
}

/* Each tree: a fresh build, the same again (every host's list from the
 * last build), and each file emptied in turn then restored (the others'
 * lists reused). */
static void
check_tree(const char *name, size_t at_least)
{
	struct tree t;

	tree_open(&t, name);
	assert_true(tree_check(&t) >= at_least);
	assert_true(tree_check(&t) >= at_least);
	for (size_t i = 0; i < t.files.n; i++) {
		char *keep = t.files.files[i].data;
		size_t len = t.files.files[i].len;
		uint64_t hash = t.files.files[i].hash;

		t.files.files[i].data = xstrdup("");
		t.files.files[i].len = 0;
		t.files.files[i].hash = hash_bytes("", 0);
		tree_check(&t);
		free(t.files.files[i].data);
		t.files.files[i].data = keep;
		t.files.files[i].len = len;
		t.files.files[i].hash = hash;
		assert_true(tree_check(&t) >= at_least);
	}
	tree_close(&t);
}

static void
test_basic(void **state)
{
	(void)state;
	check_tree("basic", 1);
}

static void
test_weights_and_mirrors(void **state)
{
	(void)state;
	check_tree("weights", 1);
	check_tree("services-mirror", 1);
}

static void
test_externalname(void **state)
{
	(void)state;
	check_tree("service-externalname", 1);
}

static void
test_tls(void **state)
{
	(void)state;
	check_tree("tls-basic", 2); /* ingress_http (redirects aside) and https/<fqdn> */
	check_tree("tls-ingress", 2);
	check_tree("tls-fallback", 2); /* https/<fqdn> and ingress_fallbackcert */
}

static void
test_tcpproxy(void **state)
{
	(void)state;
	check_tree("tls-tcpproxy", 1); /* ingress_https's tcp_proxy chains */
}

/* ExtensionService clusters named by the ext_authz, ratelimit and tracing
 * filters of the listeners' connection managers. */
static void
test_extension_services(void **state)
{
	(void)state;
	check_tree("extauth", 1);
	check_tree("extauth-global", 1);
	check_tree("ratelimit-global", 1);
	check_tree("tracing", 1);
	check_tree("contour-jwt", 1); /* jwt_authn's JWKS clusters */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_weights_and_mirrors),
		cmocka_unit_test(test_externalname),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tcpproxy),
		cmocka_unit_test(test_extension_services),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
