/* Global rate limiting, as Contour's internal/envoy/v3/ratelimit.go:
 * Envoy's envoy.filters.http.ratelimit in the connection managers when
 * rate-limit-service names a valid ExtensionService, and the descriptors
 * of virtual hosts and routes as RateLimit actions (rate_limits), a
 * route's `disabled` as RateLimitPerRoute IGNORE of its host's. */
#include "xds/translate_internal.h"

#include <string.h>

#include "envoy/config/core/v3/config_source.pb-c.h"
#include "envoy/config/core/v3/grpc_service.pb-c.h"
#include "envoy/config/ratelimit/v3/rls.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/filters/http/ratelimit/v3/rate_limit.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter HttpFilter;
typedef Envoy__Config__Route__V3__RateLimit RateLimit;
typedef Envoy__Config__Route__V3__RateLimit__Action Action;
typedef Envoy__Config__Route__V3__Route Route;
typedef Envoy__Config__Route__V3__VirtualHost VirtualHost;
typedef Envoy__Config__Route__V3__HeaderMatcher HeaderMatcher;

#define RATELIMIT_FILTER "envoy.filters.http.ratelimit"

void
translate_ratelimit_hcm(struct translation *t, ProtobufCMessage *msg)
{
	const struct translate_options *o = t->opts;
	struct arena *a = &t->arena;
	Hcm *hcm = (Hcm *)msg;
	const struct dag_cluster *c;
	Envoy__Extensions__Filters__Http__Ratelimit__V3__RateLimit *rl;
	Envoy__Config__Ratelimit__V3__RateLimitServiceConfig *svc;
	Envoy__Config__Core__V3__GrpcService *gs;
	Envoy__Config__Core__V3__GrpcService__EnvoyGrpc *eg;
	HttpFilter *f, **filters;
	size_t n = hcm->n_http_filters;

	if (o->rate_limit_cluster == NULL || n == 0 ||
	    (c = translation_cluster(t->dag, o->rate_limit_cluster)) == NULL)
		return;
	rl = pb_new(a,
	    &envoy__extensions__filters__http__ratelimit__v3__rate_limit__descriptor);
	svc = pb_new(a,
	    &envoy__config__ratelimit__v3__rate_limit_service_config__descriptor);
	gs = pb_new(a, &envoy__config__core__v3__grpc_service__descriptor);
	eg = pb_new(a, &envoy__config__core__v3__grpc_service__envoy_grpc__descriptor);
	eg->cluster_name = pb_str(a, c->name);
	if (c->sni != NULL)
		eg->authority = pb_str(a, c->sni);
	gs->target_specifier_case =
	    ENVOY__CONFIG__CORE__V3__GRPC_SERVICE__TARGET_SPECIFIER_ENVOY_GRPC;
	gs->envoy_grpc = eg;
	svc->grpc_service = gs;
	svc->transport_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
	rl->domain = pb_str(a, o->rate_limit_domain && *o->rate_limit_domain ?
	    o->rate_limit_domain : "contour");
	/* The ExtensionService's response timeout; unset: Envoy's 20ms. */
	if (c->ext_response_timeout_ms >= 0)
		rl->timeout = pb_duration_ms(a, c->ext_response_timeout_ms);
	rl->failure_mode_deny = !o->rate_limit_fail_open;
	rl->rate_limited_as_resource_exhausted = o->rate_limit_resource_exhausted;
	rl->rate_limit_service = svc;
	if (o->rate_limit_x_headers)
		rl->enable_x_ratelimit_headers =
		    ENVOY__EXTENSIONS__FILTERS__HTTP__RATELIMIT__V3__RATE_LIMIT__XRATE_LIMIT_HEADERS_RFCVERSION__DRAFT_VERSION_03;
	f = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__http_filter__descriptor);
	f->name = RATELIMIT_FILTER;
	f->config_type_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = pb_any(a, &rl->base);
	/* Before the router (and before ext_authz, added after this). */
	filters = pb_array(a, n + 1);
	memcpy(filters, hcm->http_filters, sizeof filters[0] * (n - 1));
	filters[n - 1] = f;
	filters[n] = hcm->http_filters[n - 1];
	hcm->http_filters = filters;
	hcm->n_http_filters = n + 1;
}

static RateLimit **
rate_limits(struct arena *a, const struct dag_global_ratelimit *g, size_t *n)
{
	RateLimit **out = pb_array(a, g->n);

	for (size_t i = 0; i < g->n; i++) {
		const struct dag_rl_descriptor *d = &g->descriptors[i];
		RateLimit *rl = pb_new(a, &envoy__config__route__v3__rate_limit__descriptor);

		rl->n_actions = d->n;
		rl->actions = pb_array(a, d->n);
		for (size_t k = 0; k < d->n; k++) {
			const struct dag_rl_entry *e = &d->entries[k];
			Action *ac = pb_new(a,
			    &envoy__config__route__v3__rate_limit__action__descriptor);

			switch (e->kind) {
			case DAG_RL_GENERIC_KEY: {
				Envoy__Config__Route__V3__RateLimit__Action__GenericKey *gk =
				    pb_new(a,
				    &envoy__config__route__v3__rate_limit__action__generic_key__descriptor);

				gk->descriptor_key = e->key ? pb_str(a, e->key) : "";
				gk->descriptor_value = pb_str(a, e->value);
				ac->action_specifier_case =
				    ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__ACTION_SPECIFIER_GENERIC_KEY;
				ac->generic_key = gk;
				break;
			}
			case DAG_RL_REQUEST_HEADER: {
				Envoy__Config__Route__V3__RateLimit__Action__RequestHeaders *rh =
				    pb_new(a,
				    &envoy__config__route__v3__rate_limit__action__request_headers__descriptor);

				rh->header_name = pb_str(a, e->value);
				rh->descriptor_key = pb_str(a, e->key);
				ac->action_specifier_case =
				    ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__ACTION_SPECIFIER_REQUEST_HEADERS;
				ac->request_headers = rh;
				break;
			}
			case DAG_RL_HEADER_VALUE_MATCH: {
				Envoy__Config__Route__V3__RateLimit__Action__HeaderValueMatch *hv =
				    pb_new(a,
				    &envoy__config__route__v3__rate_limit__action__header_value_match__descriptor);

				hv->descriptor_value = pb_str(a, e->value);
				hv->expect_match = pb_bool(a, e->expect_match);
				hv->n_headers = e->nheaders;
				hv->headers = pb_array(a, e->nheaders);
				for (size_t h = 0; h < e->nheaders; h++)
					hv->headers[h] = translate_header_matcher(a,
					    &e->headers[h]);
				ac->action_specifier_case =
				    ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__ACTION_SPECIFIER_HEADER_VALUE_MATCH;
				ac->header_value_match = hv;
				break;
			}
			case DAG_RL_REMOTE_ADDRESS:
				ac->action_specifier_case =
				    ENVOY__CONFIG__ROUTE__V3__RATE_LIMIT__ACTION__ACTION_SPECIFIER_REMOTE_ADDRESS;
				ac->remote_address = pb_new(a,
				    &envoy__config__route__v3__rate_limit__action__remote_address__descriptor);
				break;
			}
			rl->actions[k] = ac;
		}
		out[i] = rl;
	}
	*n = g->n;
	return out;
}

void
translate_ratelimit_vhost(struct translation *t, void *msg,
    const struct dag_vhost *vh)
{
	VirtualHost *v = msg;

	if (vh->global_ratelimit == NULL || vh->global_ratelimit->n == 0)
		return;
	v->rate_limits = rate_limits(&t->arena, vh->global_ratelimit,
	    &v->n_rate_limits);
}

void
translate_ratelimit_route(struct translation *t, void *msg,
    const struct dag_route *r)
{
	struct arena *a = &t->arena;
	const struct dag_global_ratelimit *g = dag_route_rare(r)->global_ratelimit;
	Route *out = msg;

	if (g == NULL)
		return;
	if (g->n > 0 && out->action_case ==
	    ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE && out->route != NULL)
		out->route->rate_limits = rate_limits(a, g,
		    &out->route->n_rate_limits);
	if (g->disabled) {
		Envoy__Extensions__Filters__Http__Ratelimit__V3__RateLimitPerRoute *pr =
		    pb_new(a,
		    &envoy__extensions__filters__http__ratelimit__v3__rate_limit_per_route__descriptor);

		pr->vh_rate_limits =
		    ENVOY__EXTENSIONS__FILTERS__HTTP__RATELIMIT__V3__RATE_LIMIT_PER_ROUTE__VH_RATE_LIMITS_OPTIONS__IGNORE;
		translation_route_filter_config(a, out, RATELIMIT_FILTER,
		    &pr->base);
	}
}
