/* External authorization (Contour's FilterExtAuthz and per-route
 * ExtAuthzPerRoute, internal/envoy/v3): the ext_authz HTTP filter in the
 * connection manager of a TLS host with virtualhost.authorization, and
 * each of its routes' authPolicy (disabled, or context extensions). */
#include "xds/translate_internal.h"

#include <string.h>

#include "envoy/config/core/v3/config_source.pb-c.h"
#include "envoy/config/core/v3/grpc_service.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/filters/http/ext_authz/v3/ext_authz.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/type/v3/http_status.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter HttpFilter;
typedef Envoy__Extensions__Filters__Http__ExtAuthz__V3__ExtAuthz ExtAuthz;
typedef Envoy__Extensions__Filters__Http__ExtAuthz__V3__ExtAuthzPerRoute ExtAuthzPerRoute;
typedef Envoy__Extensions__Filters__Http__ExtAuthz__V3__CheckSettings CheckSettings;
typedef Envoy__Extensions__Filters__Http__ExtAuthz__V3__CheckSettings__ContextExtensionsEntry ContextEntry;
typedef Envoy__Config__Route__V3__Route Route;

#define EXT_AUTHZ_FILTER "envoy.filters.http.ext_authz"

static HttpFilter *
extauth_filter(struct arena *a, const struct dag_ext_auth *ea)
{
	HttpFilter *f = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__http_filter__descriptor);
	ExtAuthz *cfg = pb_new(a,
	    &envoy__extensions__filters__http__ext_authz__v3__ext_authz__descriptor);
	Envoy__Config__Core__V3__GrpcService *gs = pb_new(a,
	    &envoy__config__core__v3__grpc_service__descriptor);
	Envoy__Config__Core__V3__GrpcService__EnvoyGrpc *eg = pb_new(a,
	    &envoy__config__core__v3__grpc_service__envoy_grpc__descriptor);
	Envoy__Type__V3__HttpStatus *status = pb_new(a,
	    &envoy__type__v3__http_status__descriptor);

	eg->cluster_name = pb_str(a, ea->cluster->name);
	/* Contour: the authority is the cluster's SNI (the subject name it
	 * validates), empty when it has none. */
	if (ea->cluster->sni != NULL)
		eg->authority = pb_str(a, ea->cluster->sni);
	gs->target_specifier_case =
	    ENVOY__CONFIG__CORE__V3__GRPC_SERVICE__TARGET_SPECIFIER_ENVOY_GRPC;
	gs->envoy_grpc = eg;
	if (ea->timeout_ms >= 0)
		gs->timeout = pb_duration_ms(a, ea->timeout_ms);
	cfg->services_case =
	    ENVOY__EXTENSIONS__FILTERS__HTTP__EXT_AUTHZ__V3__EXT_AUTHZ__SERVICES_GRPC_SERVICE;
	cfg->grpc_service = gs;
	cfg->transport_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
	cfg->failure_mode_allow = ea->fail_open;
	cfg->clear_route_cache = true;
	status->code = ENVOY__TYPE__V3__STATUS_CODE__Forbidden;
	cfg->status_on_error = status;
	cfg->include_peer_certificate = true;
	if (ea->with_body) {
		Envoy__Extensions__Filters__Http__ExtAuthz__V3__BufferSettings *bs =
		    pb_new(a,
		    &envoy__extensions__filters__http__ext_authz__v3__buffer_settings__descriptor);

		bs->max_request_bytes = ea->max_request_bytes;
		bs->allow_partial_message = ea->allow_partial_message;
		bs->pack_as_bytes = ea->pack_as_bytes;
		cfg->with_request_body = bs;
	}
	f->name = EXT_AUTHZ_FILTER;
	f->config_type_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = pb_any(a, &cfg->base);
	return f;
}

void
translate_extauth_hcm(struct translation *t, ProtobufCMessage *msg,
    const struct dag_ext_auth *ea)
{
	struct arena *a = &t->arena;
	Hcm *hcm = (Hcm *)msg;
	HttpFilter **filters;
	size_t n = hcm->n_http_filters;

	if (ea == NULL || n == 0)
		return;
	/* Contour adds it after the default filters, before the router. */
	filters = pb_array(a, n + 1);
	memcpy(filters, hcm->http_filters, sizeof filters[0] * (n - 1));
	filters[n - 1] = extauth_filter(a, ea);
	filters[n] = hcm->http_filters[n - 1];
	hcm->http_filters = filters;
	hcm->n_http_filters = n + 1;
}

/* The global authorization's filter: its cluster must be in the DAG (a
 * valid ExtensionService). */
const struct dag_ext_auth *
translate_extauth_global(struct translation *t)
{
	const struct translate_options *o = t->opts;
	struct dag_ext_auth *ea;
	const struct dag_cluster *c;

	if (o->global_ext_auth_cluster == NULL)
		return NULL;
	c = translation_cluster(t->dag, o->global_ext_auth_cluster);
	if (c == NULL)
		return NULL;
	ea = arena_alloc(&t->arena, sizeof *ea);
	memset(ea, 0, sizeof *ea);
	ea->cluster = c;
	ea->timeout_ms = o->global_ext_auth_timeout_ms >= 0 ?
	    o->global_ext_auth_timeout_ms : c->ext_response_timeout_ms;
	ea->fail_open = o->global_ext_auth_fail_open;
	ea->with_body = o->global_ext_auth_max_request_bytes > 0;
	ea->max_request_bytes = o->global_ext_auth_max_request_bytes;
	ea->allow_partial_message = o->global_ext_auth_allow_partial;
	ea->pack_as_bytes = o->global_ext_auth_pack_as_bytes;
	return ea;
}

void
translate_extauth_route(struct translation *t, void *route_msg,
    const struct dag_route *r)
{
	struct arena *a = &t->arena;
	Route *out = route_msg;
	ExtAuthzPerRoute *pr;

	/* Contour: port 80's redirects to https are never authorized. */
	bool disabled = r->auth_disabled || r->action == DAG_ACTION_HTTPS_REDIRECT;

	if (!t->ext_authz_routes || (!disabled && r->nauth_context == 0))
		return;
	pr = pb_new(a,
	    &envoy__extensions__filters__http__ext_authz__v3__ext_authz_per_route__descriptor);
	if (disabled) {
		pr->override_case =
		    ENVOY__EXTENSIONS__FILTERS__HTTP__EXT_AUTHZ__V3__EXT_AUTHZ_PER_ROUTE__OVERRIDE_DISABLED;
		pr->disabled = true;
	} else {
		CheckSettings *cs = pb_new(a,
		    &envoy__extensions__filters__http__ext_authz__v3__check_settings__descriptor);

		cs->n_context_extensions = r->nauth_context;
		cs->context_extensions = pb_array(a, r->nauth_context);
		for (size_t i = 0; i < r->nauth_context; i++) {
			ContextEntry *ce = pb_new(a,
			    &envoy__extensions__filters__http__ext_authz__v3__check_settings__context_extensions_entry__descriptor);

			ce->key = pb_str(a, r->auth_context[i].key);
			ce->value = pb_str(a, r->auth_context[i].value);
			cs->context_extensions[i] = ce;
		}
		pr->override_case =
		    ENVOY__EXTENSIONS__FILTERS__HTTP__EXT_AUTHZ__V3__EXT_AUTHZ_PER_ROUTE__OVERRIDE_CHECK_SETTINGS;
		pr->check_settings = cs;
	}
	translation_route_filter_config(a, out, EXT_AUTHZ_FILTER, &pr->base);
}
