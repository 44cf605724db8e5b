/* RouteConfigurations: ingress_http for Envoy (one virtual host per FQDN,
 * routes in the order of SPEC §7, which the DAG already sorted), and one
 * per root FQDN for proxyless gRPC clients, named after the FQDN.
 *
 * The proxyless ones exist because gRPC refuses a RouteConfiguration that
 * holds anything it cannot do (grpc-js NACKs direct_response and
 * redirect routes; both clients NACK per-filter configs of filters they
 * lack, such as CORS): one host's directResponsePolicy must not cut every
 * proxyless client of every other host off. They keep each route's match
 * and send requests a route cannot forward to a cluster that does not
 * have endpoints, which gRPC answers with UNAVAILABLE. */
#include "xds/translate_route.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"

static Route *
route(struct translation *t, const struct dag_vhost *vh,
    const struct dag_route *r, bool proxyless)
{
	const struct dag_route_rare *rare = dag_route_rare(r);
	struct arena *a = &t->arena;
	Route *out = pb_new(a, &envoy__config__route__v3__route__descriptor);
	bool forward = r->action == DAG_ACTION_FORWARD && r->nclusters > 0;
	struct filter_configs fc = { .n = 0 };

	out->match = translate_route_match(a, r, proxyless);
	if (proxyless && !forward) {
		RouteAction *ra = pb_new(a, &envoy__config__route__v3__route_action__descriptor);

		ra->cluster_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
		ra->cluster = PROXYLESS_NO_CLUSTER;
		t->proxyless_no_cluster = true;
		out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
		out->route = ra;
		return out;
	}
	if (r->action == DAG_ACTION_REDIRECT || r->action == DAG_ACTION_HTTPS_REDIRECT) {
		out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_REDIRECT;
		out->redirect = translate_redirect_action(a, r);
		return out;
	}
	if (!forward) {
		Envoy__Config__Route__V3__DirectResponseAction *dr = pb_new(a,
		    &envoy__config__route__v3__direct_response_action__descriptor);

		dr->status = r->direct_status;
		if (rare->direct_body != NULL && *rare->direct_body) {
			dr->body = pb_new(a, &envoy__config__core__v3__data_source__descriptor);
			dr->body->specifier_case =
			    ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
			dr->body->inline_string = pb_str(a, rare->direct_body);
		}
		out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_DIRECT_RESPONSE;
		out->direct_response = dr;
		return out;
	}
	out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
	out->route = translate_route_action(a, r, proxyless);
	if (proxyless)
		return out;
	if (r->request_headers != NULL) {
		out->request_headers_to_add = translate_policy_options(a, r->request_headers,
		    &out->n_request_headers_to_add);
		out->request_headers_to_remove = translate_header_names(a,
		    r->request_headers->remove, r->request_headers->nremove,
		    &out->n_request_headers_to_remove);
	}
	if (r->response_headers != NULL) {
		out->response_headers_to_add = translate_policy_options(a,
		    r->response_headers, &out->n_response_headers_to_add);
		out->response_headers_to_remove = translate_header_names(a,
		    r->response_headers->remove, r->response_headers->nremove,
		    &out->n_response_headers_to_remove);
	}
	if (rare->cors != NULL)
		translate_filter_config_add(&fc, FILTER_CORS, translate_cors(a, rare->cors));
	if (rare->ratelimit != NULL)
		translate_filter_config_add(&fc, FILTER_LOCAL_RATELIMIT,
		    translate_local_ratelimit(a, rare->ratelimit, vh->fqdn));
	if (rare->ncookie_rewrites > 0)
		translate_filter_config_add(&fc, FILTER_LUA, translate_cookie_rewrite(a,
		    rare->cookie_rewrites, rare->ncookie_rewrites));
	if (rare->ip_filter != NULL)
		translate_filter_config_add(&fc, FILTER_RBAC, translate_rbac(a, rare->ip_filter));
	/* Contour's requirement_name; only hosts with providers have the
	 * jwt_authn filter (translate_jwt.c). */
	if (rare->jwt_provider != NULL && vh->njwt_providers > 0)
		translate_filter_config_add(&fc, "envoy.filters.http.jwt_authn",
		    translate_jwt_per_route(a, rare->jwt_provider));
	if (fc.n > 0)
		PER_FILTER(a, out, &fc,
		    &envoy__config__route__v3__route__typed_per_filter_config_entry__descriptor,
		    Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry);
	/* Gateway API's sessionPersistence (translate_session.c). */
	if (rare->session != NULL)
		translation_route_filter_config(a, out,
		    TRANSLATE_FILTER_STATEFUL_SESSION,
		    translate_session_route(a, rare->session));
	return out;
}

/* vh's route r for Envoy, with what extauth and ratelimit add to it. */
static Route *
envoy_route(struct translation *t, const struct dag_vhost *vh,
    const struct dag_route *r)
{
	Route *out = route(t, vh, r, false);

	translate_extauth_route(t, out, r); /* translate_extauth.c */
	translate_ratelimit_route(t, out, r); /* translate_ratelimit.c */
	return out;
}

void *
translate_route_envoy(struct translation *t, const struct dag_vhost *vh,
    const struct dag_route *r)
{
	return envoy_route(t, vh, r);
}

/* Whether every path of route() and translate_route_action() that
 * differs between Envoy and proxyless clients is left untaken by r (and
 * extauth and ratelimit add nothing): then both Route messages are the
 * same. A forwarding route: proxyless ones that cannot forward point
 * at the endpoint-less cluster. */
bool
translate_route_proxyless_same(const struct translation *t,
    const struct dag_route *r)
{
	const struct dag_route_rare *rare = dag_route_rare(r);

	if (r->action != DAG_ACTION_FORWARD || r->nclusters == 0)
		return false;
	/* Envoy: path_separated_prefix; gRPC: a regex. */
	if (r->path_kind == DAG_PATH_PREFIX && r->segment_prefix)
		return false;
	/* Envoy: string_match; gRPC: exact_match or a regex. */
	for (size_t i = 0; i < r->nheaders; i++)
		if (r->headers[i].kind != DAG_HEADER_PRESENT)
			return false;
	/* cluster_weight's Envoy-only parts */
	for (size_t i = 0; i < r->nclusters; i++)
		if (r->clusters[i].request_headers != NULL ||
		    r->clusters[i].response_headers != NULL ||
		    r->clusters[i].ncookie_rewrites > 0)
			return false;
	if (rare->internal_redirect != NULL || r->websocket)
		return false;
	/* route()'s Envoy-only fields */
	if (r->request_headers != NULL || r->response_headers != NULL ||
	    rare->cors != NULL || rare->ratelimit != NULL ||
	    rare->ncookie_rewrites > 0 || rare->ip_filter != NULL ||
	    rare->jwt_provider != NULL || rare->session != NULL)
		return false;
	/* translate_extauth_route's and translate_ratelimit_route's */
	if (t->ext_authz_routes && (r->auth_disabled || r->nauth_context > 0))
		return false;
	return rare->global_ratelimit == NULL;
}

bool
translate_vhost_routes_only(const struct dag_vhost *vh)
{
	return vh->cors == NULL && vh->ratelimit == NULL &&
	    vh->ip_filter == NULL && (vh->global_ratelimit == NULL ||
	    vh->global_ratelimit->n == 0);
}

static VirtualHost *
virtual_host(struct translation *t, const struct dag_vhost *vh, bool proxyless)
{
	struct arena *a = &t->arena;
	VirtualHost *v = pb_new(a, &envoy__config__route__v3__virtual_host__descriptor);
	struct filter_configs fc = { .n = 0 };

	v->name = pb_borrow(vh->fqdn);
	v->n_domains = 1;
	v->domains = pb_array(a, 1);
	v->domains[0] = pb_borrow(vh->fqdn);
	v->n_routes = vh->nroutes;
	v->routes = pb_array(a, vh->nroutes);
	for (size_t i = 0; i < vh->nroutes; i++)
		v->routes[i] = proxyless ? route(t, vh, &vh->routes[i], true) :
		    envoy_route(t, vh, &vh->routes[i]);
	/* Whatever is set below: translate_vhost_routes_only says no. */
	if (proxyless)
		return v;
	if (vh->cors != NULL)
		translate_filter_config_add(&fc, FILTER_CORS, translate_cors(a, vh->cors));
	if (vh->ratelimit != NULL)
		translate_filter_config_add(&fc, FILTER_LOCAL_RATELIMIT,
		    translate_local_ratelimit(a, vh->ratelimit, vh->fqdn));
	if (vh->ip_filter != NULL)
		translate_filter_config_add(&fc, FILTER_RBAC, translate_rbac(a, vh->ip_filter));
	if (fc.n > 0)
		PER_FILTER(a, v, &fc,
		    &envoy__config__route__v3__virtual_host__typed_per_filter_config_entry__descriptor,
		    Envoy__Config__Route__V3__VirtualHost__TypedPerFilterConfigEntry);
	translate_ratelimit_vhost(t, v, vh); /* translate_ratelimit.c */
	return v;
}

/* The cluster of routes proxyless clients cannot follow: it exists (so
 * gRPC does not wait for it) and has no endpoints (so calls fail with
 * UNAVAILABLE). Sent only to clients that name it. */
void
translate_not_forwarded(struct translation *t)
{
	struct arena *a = &t->arena;
	Envoy__Config__Cluster__V3__Cluster *c = pb_new(a,
	    &envoy__config__cluster__v3__cluster__descriptor);
	Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig *eds = pb_new(a,
	    &envoy__config__cluster__v3__cluster__eds_cluster_config__descriptor);
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla = pb_new(a,
	    &envoy__config__endpoint__v3__cluster_load_assignment__descriptor);

	c->name = PROXYLESS_NO_CLUSTER;
	c->cluster_discovery_type_case =
	    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	c->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	eds->eds_config = pb_ads_config_source(a);
	eds->service_name = PROXYLESS_NO_CLUSTER;
	c->eds_cluster_config = eds;
	c->connect_timeout = pb_duration_ms(a, t->opts->connect_timeout_ms);
	translation_emit(t, XDS_CLUSTER, c->name, &c->base, true);
	cla->cluster_name = PROXYLESS_NO_CLUSTER;
	translation_emit(t, XDS_ENDPOINT, cla->cluster_name, &cla->base, true);
}

/* One of ingress_http's hosts: what port 80 serves of vh (NULL: nothing). */
VirtualHost *
translate_http_vhost(struct translation *t, const struct dag_vhost *vh)
{
	/* TLS hosts: redirects, no https-only routes (translate_https.c). */
	const struct dag_vhost *hv = translate_http_view(t, vh);

	return hv != NULL ? virtual_host(t, hv, false) : NULL;
}

/* A proxyless client's RouteConfiguration <fqdn>: vh alone. */
RouteConfiguration *
translate_proxyless_routes(struct translation *t, const struct dag_vhost *vh)
{
	RouteConfiguration *prc = pb_new(&t->arena,
	    &envoy__config__route__v3__route_configuration__descriptor);

	prc->name = pb_borrow(vh->fqdn);
	prc->n_virtual_hosts = 1;
	prc->virtual_hosts = pb_array(&t->arena, 1);
	prc->virtual_hosts[0] = virtual_host(t, vh, true);
	return prc;
}

/* ingress_http without its hosts (its name: the only other field set,
 * and a lower field number than virtual_hosts, whose number is *field):
 * the hosts are appended as serialized elements. */
uint8_t *
translate_http_routes_head(struct translation *t, size_t *len,
    uint32_t *field)
{
	const ProtobufCMessageDescriptor *rcd =
	    &envoy__config__route__v3__route_configuration__descriptor;
	RouteConfiguration *rc = pb_new(&t->arena, rcd);

	rc->name = TRANSLATE_HTTP_ROUTES;
	*field = pb_field_number(rcd, "virtual_hosts");
	return pb_pack(&t->arena, &rc->base, len);
}

VirtualHost *
translate_virtual_host(struct translation *t, const struct dag_vhost *vh)
{
	return virtual_host(t, vh, false);
}

VirtualHost *
translate_virtual_host_proxyless(struct translation *t,
    const struct dag_vhost *vh)
{
	return virtual_host(t, vh, true);
}
