/* Listeners: ingress_http (SPEC §7) and one api_listener per root FQDN for
 * proxyless gRPC clients (xds:///<fqdn>). */
#include "xds/translate_internal.h"

#include "envoy/config/accesslog/v3/accesslog.pb-c.h"
#include "envoy/config/core/v3/protocol.pb-c.h"
#include "envoy/config/listener/v3/api_listener.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/extensions/access_loggers/file/v3/file.pb-c.h"
#include "envoy/extensions/filters/http/cors/v3/cors.pb-c.h"
#include "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.pb-c.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/struct.pb-c.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter HttpFilter;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds Rds;
typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Config__Listener__V3__FilterChain FilterChain;
typedef Envoy__Config__Listener__V3__Filter Filter;
typedef Envoy__Config__Accesslog__V3__AccessLog AccessLog;
typedef Envoy__Extensions__AccessLoggers__File__V3__FileAccessLog FileAccessLog;

AccessLog *
translate_access_log(struct translation *t, const char *path)
{
	struct arena *a = &t->arena;
	AccessLog *al = pb_new(a, &envoy__config__accesslog__v3__access_log__descriptor);
	FileAccessLog *fal = pb_new(a,
	    &envoy__extensions__access_loggers__file__v3__file_access_log__descriptor);

	fal->path = pb_str(a, path);
	al->name = "envoy.access_loggers.file";
	al->config_type_case = ENVOY__CONFIG__ACCESSLOG__V3__ACCESS_LOG__CONFIG_TYPE_TYPED_CONFIG;
	al->typed_config = pb_any(a, &fal->base);
	return al;
}

static HttpFilter *
http_filter(struct arena *a, const char *name, const ProtobufCMessage *cfg)
{
	HttpFilter *f = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__http_filter__descriptor);

	f->name = (char *)name;
	f->config_type_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = pb_any(a, cfg);
	return f;
}

/* Envoy's HTTP filters, in Contour's order: cors, local_ratelimit and
 * rbac before the router. They do nothing until a virtual host or route
 * configures them (typed_per_filter_config), and they are always there so
 * that adding a CORS or IP policy changes routes, never the listener
 * (which would drain every connection). Proxyless gRPC clients get the
 * router only: they refuse filters they do not implement. */
static void
hcm_filters(struct arena *a, Hcm *hcm, bool envoy)
{
	Envoy__Extensions__Filters__Http__Router__V3__Router *router = pb_new(a,
	    &envoy__extensions__filters__http__router__v3__router__descriptor);
	size_t n = 0;

	hcm->http_filters = pb_array(a, 4);
	if (envoy) {
		Envoy__Extensions__Filters__Http__Cors__V3__Cors *cors = pb_new(a,
		    &envoy__extensions__filters__http__cors__v3__cors__descriptor);
		Envoy__Extensions__Filters__Http__LocalRatelimit__V3__LocalRateLimit *rl =
		    pb_new(a,
		    &envoy__extensions__filters__http__local_ratelimit__v3__local_rate_limit__descriptor);
		Envoy__Extensions__Filters__Http__Rbac__V3__RBAC *rbac = pb_new(a,
		    &envoy__extensions__filters__http__rbac__v3__rbac__descriptor);

		/* No token bucket: disabled unless a route enables it. */
		rl->stat_prefix = "http";
		hcm->http_filters[n++] = http_filter(a, "envoy.filters.http.cors",
		    &cors->base);
		hcm->http_filters[n++] = http_filter(a,
		    "envoy.filters.http.local_ratelimit", &rl->base);
		hcm->http_filters[n++] = http_filter(a, "envoy.filters.http.rbac",
		    &rbac->base);
	}
	hcm->http_filters[n++] = http_filter(a, "envoy.filters.http.router",
	    &router->base);
	hcm->n_http_filters = n;
}

ProtobufCMessage *
translate_hcm(struct translation *t, const char *stat_prefix,
    const char *route_config_name, bool with_access_log)
{
	const struct translate_options *o = t->opts;
	struct arena *a = &t->arena;
	Hcm *hcm = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor);
	Rds *rds = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__rds__descriptor);

	hcm->stat_prefix = pb_str(a, stat_prefix);
	rds->config_source = pb_ads_config_source(a);
	rds->route_config_name = pb_str(a, route_config_name);
	hcm->route_specifier_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
	hcm->rds = rds;
	hcm_filters(a, hcm, with_access_log);
	if (!with_access_log) /* proxyless clients: only what gRPC reads */
		return &hcm->base;

	if (o->http_access_log && o->http_access_log[0]) {
		hcm->n_access_log = 1;
		hcm->access_log = pb_array(a, 1);
		hcm->access_log[0] = translate_access_log(t, o->http_access_log);
	}
	hcm->use_remote_address = pb_bool(a, 1);
	hcm->normalize_path = pb_bool(a, 1);
	hcm->xff_num_trusted_hops = o->xff_num_trusted_hops;
	switch (o->server_header) {
	case TRANSLATE_SERVER_HEADER_OVERWRITE:
		break;
	case TRANSLATE_SERVER_HEADER_APPEND_IF_ABSENT:
		hcm->server_header_transformation =
		    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__SERVER_HEADER_TRANSFORMATION__APPEND_IF_ABSENT;
		break;
	case TRANSLATE_SERVER_HEADER_PASS_THROUGH:
		hcm->server_header_transformation =
		    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__SERVER_HEADER_TRANSFORMATION__PASS_THROUGH;
		break;
	}
	if (o->connection_idle_timeout_ms > 0 || o->max_connection_duration_ms > 0) {
		Envoy__Config__Core__V3__HttpProtocolOptions *hpo = pb_new(a,
		    &envoy__config__core__v3__http_protocol_options__descriptor);

		if (o->connection_idle_timeout_ms > 0)
			hpo->idle_timeout = pb_duration_ms(a, o->connection_idle_timeout_ms);
		if (o->max_connection_duration_ms > 0)
			hpo->max_connection_duration = pb_duration_ms(a, o->max_connection_duration_ms);
		hcm->common_http_protocol_options = hpo;
	}
	if (o->stream_idle_timeout_ms > 0)
		hcm->stream_idle_timeout = pb_duration_ms(a, o->stream_idle_timeout_ms);
	if (o->request_timeout_ms > 0)
		hcm->request_timeout = pb_duration_ms(a, o->request_timeout_ms);
	return &hcm->base;
}

static Filter *
hcm_filter(struct translation *t, ProtobufCMessage *hcm)
{
	Filter *f = pb_new(&t->arena, &envoy__config__listener__v3__filter__descriptor);

	f->name = "envoy.filters.network.http_connection_manager";
	f->config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = pb_any(&t->arena, hcm);
	return f;
}

static void
http_listener(struct translation *t)
{
	struct arena *a = &t->arena;
	Listener *l = pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	FilterChain *fc = pb_new(a, &envoy__config__listener__v3__filter_chain__descriptor);

	l->name = TRANSLATE_HTTP_LISTENER;
	l->address = pb_socket_address(a, t->opts->http_address, t->opts->http_port);
	fc->n_filters = 1;
	fc->filters = pb_array(a, 1);
	fc->filters[0] = hcm_filter(t, translate_hcm(t, TRANSLATE_HTTP_LISTENER,
	    TRANSLATE_HTTP_ROUTES, true));
	l->n_filter_chains = 1;
	l->filter_chains = pb_array(a, 1);
	l->filter_chains[0] = fc;
	translation_emit(t, XDS_LISTENER, l->name, &l->base, false);
}

/* A Gateway's port (translate_gateway.c): ingress_http's shape under
 * another name, address and RouteConfiguration. */
void
translate_http_listener_named(struct translation *t, const char *name,
    const char *address, uint32_t port)
{
	struct arena *a = &t->arena;
	Listener *l = pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	FilterChain *fc = pb_new(a, &envoy__config__listener__v3__filter_chain__descriptor);

	l->name = pb_str(a, name);
	l->address = pb_socket_address(a, address, port);
	fc->n_filters = 1;
	fc->filters = pb_array(a, 1);
	fc->filters[0] = hcm_filter(t, translate_hcm(t, name, name, true));
	l->n_filter_chains = 1;
	l->filter_chains = pb_array(a, 1);
	l->filter_chains[0] = fc;
	translation_emit(t, XDS_LISTENER, l->name, &l->base, false);
}

/* gRPC's xDS client asks for the Listener named after the target's host
 * and expects an api_listener HCM; Envoy must never see these (they have
 * no address), so they are sent only to clients that name them. Its routes
 * are the host's own RouteConfiguration (translate_route.c). */
static void
api_listener(struct translation *t, const struct dag_vhost *vh)
{
	struct arena *a = &t->arena;
	/* Made of the FQDN (and the options) alone. */
	uint64_t key = translation_key_name(t, "listener/api", vh->fqdn);
	struct xds_blob *b;
	Listener *l;
	Envoy__Config__Listener__V3__ApiListener *al;

	if ((b = translation_cache_get(t, key, NULL)) != NULL) {
		snapshot_builder_add_blob(t->out, XDS_LISTENER, b, true);
		translation_seq_put(t, SEQ_API_LISTENER, vh->routes, key, b,
		    false);
		return;
	}
	l = pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	al = pb_new(a, &envoy__config__listener__v3__api_listener__descriptor);
	l->name = pb_str(a, vh->fqdn);
	al->api_listener = pb_any(a, translate_hcm(t, vh->fqdn, vh->fqdn, false));
	l->api_listener = al;
	b = translation_emit_keyed(t, XDS_LISTENER, l->name, &l->base, true,
	    key);
	translation_seq_put(t, SEQ_API_LISTENER, vh->routes, key, b, false);
}

void
translate_listeners(struct translation *t)
{
	/* Contour opens no port while nothing would be served on it. */
	if (!translation_has_routes(t))
		return;
	http_listener(t);
	for (size_t i = 0; i < t->dag->nvhosts; i++) {
		const struct dag_vhost *vh = &t->dag->vhosts[i];
		struct arena_mark mark;
		struct xds_blob *b;
		uint64_t key;

		if (vh->nroutes == 0)
			continue;
		/* The same routes as last time: the same host, proxyless
		 * then (only those are remembered) and of the same FQDN. */
		if ((b = translation_seq_get(t, SEQ_API_LISTENER, vh->routes,
		    &key, NULL)) != NULL) {
			snapshot_builder_add_blob(t->out, XDS_LISTENER, b, true);
			translation_seq_put(t, SEQ_API_LISTENER, vh->routes, key,
			    b, false);
			continue;
		}
		if (!translation_proxyless_host(vh))
			continue;
		mark = arena_mark(&t->arena);
		api_listener(t, vh);
		arena_release(&t->arena, &mark);
	}
}
