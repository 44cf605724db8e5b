/* Contour's JWT verification in Envoy terms (internal/envoy/v3
 * FilterJWTAuthN): one envoy.filters.http.jwt_authn filter per TLS host
 * with jwtProviders, a provider and a same-named requirement per
 * jwtProvider, the JWKS fetched through the provider's dnsname cluster;
 * routes choose a requirement by name in their per-route config. */
#include "xds/translate_internal.h"

#include "envoy/config/core/v3/http_uri.pb-c.h"
#include "envoy/extensions/filters/http/jwt_authn/v3/config.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "google/protobuf/any.pb-c.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter HttpFilter;
typedef Envoy__Extensions__Filters__Http__JwtAuthn__V3__JwtAuthentication JwtAuthentication;
typedef Envoy__Extensions__Filters__Http__JwtAuthn__V3__JwtProvider JwtProvider;
typedef Envoy__Extensions__Filters__Http__JwtAuthn__V3__JwtRequirement JwtRequirement;
typedef Envoy__Extensions__Filters__Http__JwtAuthn__V3__RemoteJwks RemoteJwks;
typedef Envoy__Extensions__Filters__Http__JwtAuthn__V3__PerRouteConfig PerRouteConfig;

static JwtProvider *
jwt_provider(struct arena *a, const struct dag_jwt_provider *p)
{
	JwtProvider *jp = pb_new(a,
	    &envoy__extensions__filters__http__jwt_authn__v3__jwt_provider__descriptor);
	RemoteJwks *rj = pb_new(a,
	    &envoy__extensions__filters__http__jwt_authn__v3__remote_jwks__descriptor);
	Envoy__Config__Core__V3__HttpUri *uri = pb_new(a,
	    &envoy__config__core__v3__http_uri__descriptor);

	if (p->issuer != NULL)
		jp->issuer = pb_borrow(p->issuer);
	jp->n_audiences = p->naudiences;
	jp->audiences = (char **)p->audiences;
	uri->uri = pb_borrow(p->uri);
	uri->http_upstream_type_case =
	    ENVOY__CONFIG__CORE__V3__HTTP_URI__HTTP_UPSTREAM_TYPE_CLUSTER;
	uri->cluster = pb_borrow(p->cluster->name);
	uri->timeout = pb_duration_ms(a, p->timeout_ms);
	rj->http_uri = uri;
	if (p->cache_duration_ms >= 0)
		rj->cache_duration = pb_duration_ms(a, p->cache_duration_ms);
	jp->jwks_source_specifier_case =
	    ENVOY__EXTENSIONS__FILTERS__HTTP__JWT_AUTHN__V3__JWT_PROVIDER__JWKS_SOURCE_SPECIFIER_REMOTE_JWKS;
	jp->remote_jwks = rj;
	jp->forward = p->forward;
	return jp;
}

void
translate_jwt_filter(struct translation *t, ProtobufCMessage *m,
    const struct dag_vhost *vh)
{
	struct arena *a = &t->arena;
	Hcm *hcm = (Hcm *)m;
	JwtAuthentication *ja;
	HttpFilter *f, **filters;
	size_t n = vh->njwt_providers;

	if (n == 0 || hcm->n_http_filters == 0)
		return;
	ja = pb_new(a,
	    &envoy__extensions__filters__http__jwt_authn__v3__jwt_authentication__descriptor);
	ja->n_providers = n;
	ja->providers = pb_array(a, n);
	ja->n_requirement_map = n;
	ja->requirement_map = pb_array(a, n);
	for (size_t i = 0; i < n; i++) {
		const struct dag_jwt_provider *p = &vh->jwt_providers[i];
		Envoy__Extensions__Filters__Http__JwtAuthn__V3__JwtAuthentication__ProvidersEntry *pe =
		    pb_new(a, &envoy__extensions__filters__http__jwt_authn__v3__jwt_authentication__providers_entry__descriptor);
		Envoy__Extensions__Filters__Http__JwtAuthn__V3__JwtAuthentication__RequirementMapEntry *re =
		    pb_new(a, &envoy__extensions__filters__http__jwt_authn__v3__jwt_authentication__requirement_map_entry__descriptor);
		JwtRequirement *req = pb_new(a,
		    &envoy__extensions__filters__http__jwt_authn__v3__jwt_requirement__descriptor);

		pe->key = pb_borrow(p->name);
		pe->value = jwt_provider(a, p);
		ja->providers[i] = pe;
		req->requires_type_case =
		    ENVOY__EXTENSIONS__FILTERS__HTTP__JWT_AUTHN__V3__JWT_REQUIREMENT__REQUIRES_TYPE_PROVIDER_NAME;
		req->provider_name = pb_borrow(p->name);
		re->key = pb_borrow(p->name);
		re->value = req;
		ja->requirement_map[i] = re;
	}
	f = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__http_filter__descriptor);
	f->name = "envoy.filters.http.jwt_authn";
	f->config_type_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = pb_any(a, &ja->base);
	/* Contour's AddFilter keeps the router last. */
	filters = pb_array(a, hcm->n_http_filters + 1);
	for (size_t i = 0; i + 1 < hcm->n_http_filters; i++)
		filters[i] = hcm->http_filters[i];
	filters[hcm->n_http_filters - 1] = f;
	filters[hcm->n_http_filters] = hcm->http_filters[hcm->n_http_filters - 1];
	hcm->http_filters = filters;
	hcm->n_http_filters++;
}

struct Google__Protobuf__Any *
translate_jwt_per_route(struct arena *a, const char *requirement)
{
	PerRouteConfig *pr = pb_new(a,
	    &envoy__extensions__filters__http__jwt_authn__v3__per_route_config__descriptor);

	pr->requirement_specifier_case =
	    ENVOY__EXTENSIONS__FILTERS__HTTP__JWT_AUTHN__V3__PER_ROUTE_CONFIG__REQUIREMENT_SPECIFIER_REQUIREMENT_NAME;
	pr->requirement_name = pb_borrow(requirement);
	return pb_any(a, &pr->base);
}
