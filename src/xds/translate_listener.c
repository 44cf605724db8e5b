/* Listeners: ingress_http (SPEC §7) and one api_listener per root FQDN for
 * proxyless gRPC clients (xds:///<fqdn>). */
#include "xds/translate_internal.h"

#include "envoy/config/accesslog/v3/accesslog.pb-c.h"
#include "envoy/config/core/v3/socket_option.pb-c.h"
#include "envoy/config/core/v3/substitution_format_string.pb-c.h"
#include "envoy/extensions/compression/brotli/compressor/v3/brotli.pb-c.h"
#include "envoy/extensions/compression/gzip/compressor/v3/gzip.pb-c.h"
#include "envoy/extensions/compression/zstd/compressor/v3/zstd.pb-c.h"
#include "envoy/extensions/filters/http/compressor/v3/compressor.pb-c.h"
#include "envoy/config/core/v3/protocol.pb-c.h"
#include "envoy/config/listener/v3/api_listener.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/extensions/access_loggers/file/v3/file.pb-c.h"
#include "envoy/extensions/filters/http/cors/v3/cors.pb-c.h"
#include "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.pb-c.h"
#include "envoy/extensions/filters/http/lua/v3/lua.pb-c.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/struct.pb-c.h"

#include <stdlib.h>
#include <string.h>

#include "accesslog.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter HttpFilter;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds Rds;
typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Config__Listener__V3__FilterChain FilterChain;
typedef Envoy__Config__Listener__V3__Filter Filter;
typedef Envoy__Config__Accesslog__V3__AccessLog AccessLog;
typedef Envoy__Extensions__AccessLoggers__File__V3__FileAccessLog FileAccessLog;

static int
struct_field_cmp(const void *a, const void *b)
{
	const Google__Protobuf__Struct__FieldsEntry *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* Contour's FileAccessLogJSON: json_format of the json-fields (Contour's
 * default fields when none are set), keys sorted; a later entry with the
 * same key replaces an earlier one, as in Contour's field map. */
static Envoy__Config__Core__V3__SubstitutionFormatString *
json_log_format(struct arena *a, const struct translate_options *o)
{
	Envoy__Config__Core__V3__SubstitutionFormatString *f = pb_new(a,
	    &envoy__config__core__v3__substitution_format_string__descriptor);
	Google__Protobuf__Struct *st = pb_new(a, &google__protobuf__struct__descriptor);
	const char *const *fields = o->njson_fields ?
	    (const char *const *)o->json_fields : accesslog_default_json_fields;
	size_t n = o->njson_fields ? o->njson_fields : accesslog_ndefault_json_fields;

	st->fields = pb_array(a, n);
	for (size_t i = 0; i < n; i++) {
		Google__Protobuf__Struct__FieldsEntry *e;
		Google__Protobuf__Value *v;
		const char *value;
		char key[256];
		size_t j;

		accesslog_json_field(fields[i], key, sizeof key, &value);
		if (value == NULL) /* refused by the config loader */
			continue;
		for (j = 0; j < st->n_fields; j++)
			if (strcmp(st->fields[j]->key, key) == 0)
				break;
		if (j == st->n_fields) {
			e = pb_new(a, &google__protobuf__struct__fields_entry__descriptor);
			e->key = pb_str(a, key);
			st->fields[st->n_fields++] = e;
		}
		e = st->fields[j];
		v = pb_new(a, &google__protobuf__value__descriptor);
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
		v->string_value = pb_str(a, value);
		e->value = v;
	}
	qsort(st->fields, st->n_fields, sizeof st->fields[0], struct_field_cmp);
	f->format_case = ENVOY__CONFIG__CORE__V3__SUBSTITUTION_FORMAT_STRING__FORMAT_JSON_FORMAT;
	f->json_format = st;
	return f;
}

/* Contour's FileAccessLogEnvoy with accesslog-format-string: the format
 * as an inline text_format_source (the user writes the newline). */
static Envoy__Config__Core__V3__SubstitutionFormatString *
text_log_format(struct arena *a, const char *format)
{
	Envoy__Config__Core__V3__SubstitutionFormatString *f = pb_new(a,
	    &envoy__config__core__v3__substitution_format_string__descriptor);
	Envoy__Config__Core__V3__DataSource *ds = pb_new(a,
	    &envoy__config__core__v3__data_source__descriptor);

	ds->specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
	ds->inline_string = pb_str(a, format);
	f->format_case =
	    ENVOY__CONFIG__CORE__V3__SUBSTITUTION_FORMAT_STRING__FORMAT_TEXT_FORMAT_SOURCE;
	f->text_format_source = ds;
	return f;
}

AccessLog *
translate_access_log(struct translation *t, const char *path)
{
	struct arena *a = &t->arena;
	const struct translate_options *o = t->opts;
	AccessLog *al = pb_new(a, &envoy__config__accesslog__v3__access_log__descriptor);
	FileAccessLog *fal = pb_new(a,
	    &envoy__extensions__access_loggers__file__v3__file_access_log__descriptor);

	fal->path = pb_str(a, path);
	if (o->access_log_json || (o->access_log_format_string &&
	    o->access_log_format_string[0])) {
		fal->access_log_format_case =
		    ENVOY__EXTENSIONS__ACCESS_LOGGERS__FILE__V3__FILE_ACCESS_LOG__ACCESS_LOG_FORMAT_LOG_FORMAT;
		fal->log_format = o->access_log_json ? json_log_format(a, o) :
		    text_log_format(a, o->access_log_format_string);
	}
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
/* Contour's compressor filter: the library named "gzip", "brotli" or
 * "zstd" with Envoy's defaults, on Contour's response content types. */
static HttpFilter *
compressor_filter(struct arena *a, enum translate_compression c)
{
	static char *const content_types[] = {
		"text/html", "text/plain", "text/css", "application/javascript",
		"application/x-javascript", "text/javascript", "text/x-javascript",
		"text/ecmascript", "text/js", "text/jscript", "text/x-js",
		"application/ecmascript", "application/x-json", "application/xml",
		"application/json", "image/svg+xml", "text/xml",
		"application/xhtml+xml", "application/grpc-web",
		"application/grpc-web+proto", "application/grpc-web+json",
		"application/grpc-web+thrift", "application/grpc-web-text",
		"application/grpc-web-text+proto", "application/grpc-web-text+thrift",
	};
	Envoy__Extensions__Filters__Http__Compressor__V3__Compressor *comp = pb_new(a,
	    &envoy__extensions__filters__http__compressor__v3__compressor__descriptor);
	Envoy__Extensions__Filters__Http__Compressor__V3__Compressor__ResponseDirectionConfig *resp =
	    pb_new(a,
	    &envoy__extensions__filters__http__compressor__v3__compressor__response_direction_config__descriptor);
	Envoy__Extensions__Filters__Http__Compressor__V3__Compressor__CommonDirectionConfig *common =
	    pb_new(a,
	    &envoy__extensions__filters__http__compressor__v3__compressor__common_direction_config__descriptor);
	Envoy__Config__Core__V3__TypedExtensionConfig *lib = pb_new(a,
	    &envoy__config__core__v3__typed_extension_config__descriptor);
	ProtobufCMessage *cfg;

	switch (c) {
	case TRANSLATE_COMPRESSION_BROTLI:
		lib->name = "brotli";
		cfg = pb_new(a,
		    &envoy__extensions__compression__brotli__compressor__v3__brotli__descriptor);
		break;
	case TRANSLATE_COMPRESSION_ZSTD:
		lib->name = "zstd";
		cfg = pb_new(a,
		    &envoy__extensions__compression__zstd__compressor__v3__zstd__descriptor);
		break;
	default:
		lib->name = "gzip";
		cfg = pb_new(a,
		    &envoy__extensions__compression__gzip__compressor__v3__gzip__descriptor);
		break;
	}
	lib->typed_config = pb_any(a, cfg);
	common->n_content_type = sizeof content_types / sizeof content_types[0];
	common->content_type = (char **)content_types;
	resp->common_config = common;
	comp->compressor_library = lib;
	comp->response_direction_config = resp;
	return http_filter(a, "envoy.filters.http.compressor", &comp->base);
}

static void
hcm_filters(struct arena *a, Hcm *hcm, bool envoy,
    enum translate_compression compression, bool lua, bool session)
{
	Envoy__Extensions__Filters__Http__Router__V3__Router *router = pb_new(a,
	    &envoy__extensions__filters__http__router__v3__router__descriptor);
	size_t n = 0;

	hcm->http_filters = pb_array(a, 7);
	if (envoy && compression != TRANSLATE_COMPRESSION_DISABLED)
		hcm->http_filters[n++] = compressor_filter(a, compression);
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
		/* Contour's place for it; each route brings its code. */
		if (lua) {
			Envoy__Extensions__Filters__Http__Lua__V3__Lua *l = pb_new(a,
			    &envoy__extensions__filters__http__lua__v3__lua__descriptor);
			Envoy__Config__Core__V3__DataSource *ds = pb_new(a,
			    &envoy__config__core__v3__data_source__descriptor);

			ds->specifier_case =
			    ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
			ds->inline_string = "-- cairn: routes without cookie rewrites "
			    "run no code here.";
			l->default_source_code = ds;
			hcm->http_filters[n++] = http_filter(a, "envoy.filters.http.lua",
			    &l->base);
		}
		hcm->http_filters[n++] = http_filter(a, "envoy.filters.http.rbac",
		    &rbac->base);
		/* Disabled: only routes with a session turn it on
		 * (translate_session.c), as Envoy Gateway does. */
		if (session) {
			HttpFilter *f = http_filter(a,
			    TRANSLATE_FILTER_STATEFUL_SESSION,
			    translate_session_filter(a));

			f->disabled = 1;
			hcm->http_filters[n++] = f;
		}
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
	hcm_filters(a, hcm, with_access_log, o->compression, t->cookie_lua,
	    t->stateful_session);
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
	if (o->connection_idle_timeout_ms > 0 || o->max_connection_duration_ms > 0 ||
	    o->max_requests_per_connection > 0) {
		Envoy__Config__Core__V3__HttpProtocolOptions *hpo = pb_new(a,
		    &envoy__config__core__v3__http_protocol_options__descriptor);

		if (o->connection_idle_timeout_ms > 0)
			hpo->idle_timeout = pb_duration_ms(a, o->connection_idle_timeout_ms);
		if (o->max_connection_duration_ms > 0)
			hpo->max_connection_duration = pb_duration_ms(a, o->max_connection_duration_ms);
		if (o->max_requests_per_connection > 0)
			hpo->max_requests_per_connection = pb_uint32(a,
			    o->max_requests_per_connection);
		hcm->common_http_protocol_options = hpo;
	}
	/* Contour's listener.http2-max-concurrent-streams. */
	if (o->http2_max_concurrent_streams > 0) {
		Envoy__Config__Core__V3__Http2ProtocolOptions *h2 = pb_new(a,
		    &envoy__config__core__v3__http2_protocol_options__descriptor);

		h2->max_concurrent_streams = pb_uint32(a, o->http2_max_concurrent_streams);
		hcm->http2_protocol_options = h2;
	}
	hcm->merge_slashes = o->merge_slashes;
	hcm->strip_trailing_host_dot = o->strip_trailing_host_dot;
	if (o->stream_idle_timeout_ms > 0)
		hcm->stream_idle_timeout = pb_duration_ms(a, o->stream_idle_timeout_ms);
	if (o->request_timeout_ms > 0)
		hcm->request_timeout = pb_duration_ms(a, o->request_timeout_ms);
	/* Contour: connection-shutdown-grace-period is the HCM's drain_timeout
	 * (the time between GOAWAY and closing when draining). */
	if (o->drain_timeout_ms > 0)
		hcm->drain_timeout = pb_duration_ms(a, o->drain_timeout_ms);
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

/* Contour's SocketOptions: IP_TOS (IPPROTO_IP 0, option 1) and
 * IPV6_TCLASS (IPPROTO_IPV6 41, option 67) on the listening socket. */
static Envoy__Config__Core__V3__SocketOption *
socket_option(struct arena *a, const char *description, int64_t level,
    int64_t name, uint32_t value)
{
	Envoy__Config__Core__V3__SocketOption *so = pb_new(a,
	    &envoy__config__core__v3__socket_option__descriptor);

	so->description = (char *)description;
	so->level = level;
	so->name = name;
	so->value_case = ENVOY__CONFIG__CORE__V3__SOCKET_OPTION__VALUE_INT_VALUE;
	so->int_value = value;
	so->state = ENVOY__CONFIG__CORE__V3__SOCKET_OPTION__SOCKET_STATE__STATE_LISTENING;
	return so;
}

void
translate_listener_options(struct translation *t, Listener *l)
{
	const struct translate_options *o = t->opts;
	struct arena *a = &t->arena;

	if (o->per_connection_buffer_limit_bytes > 0)
		l->per_connection_buffer_limit_bytes = pb_uint32(a,
		    o->per_connection_buffer_limit_bytes);
	if (o->socket_tos == 0 && o->socket_traffic_class == 0)
		return;
	l->socket_options = pb_array(a, 2);
	if (o->socket_tos > 0)
		l->socket_options[l->n_socket_options++] = socket_option(a,
		    "Set IPv4 TOS field", 0, 1, o->socket_tos);
	if (o->socket_traffic_class > 0)
		l->socket_options[l->n_socket_options++] = socket_option(a,
		    "Set IPv6 Traffic Class field", 41, 67, o->socket_traffic_class);
}

/* ingress_http's Listener. */
Listener *
translate_http_listener(struct translation *t)
{
	struct arena *a = &t->arena;
	Listener *l = pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	FilterChain *fc = pb_new(a, &envoy__config__listener__v3__filter_chain__descriptor);
	ProtobufCMessage *hcm;

	l->name = TRANSLATE_HTTP_LISTENER;
	l->address = pb_socket_address(a, t->opts->http_address, t->opts->http_port);
	translate_listener_options(t, l);
	fc->n_filters = 1;
	fc->filters = pb_array(a, 1);
	hcm = translate_hcm(t, TRANSLATE_HTTP_LISTENER, TRANSLATE_HTTP_ROUTES, true);
	translate_tracing_hcm(t, hcm); /* translate_tracing.c */
	translate_ratelimit_hcm(t, hcm); /* translate_ratelimit.c */
	translate_extauth_hcm(t, hcm, translate_extauth_global(t));
	fc->filters[0] = hcm_filter(t, hcm);
	l->n_filter_chains = 1;
	l->filter_chains = pb_array(a, 1);
	l->filter_chains[0] = fc;
	return l;
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
Listener *
translate_api_listener(struct translation *t, const struct dag_vhost *vh)
{
	struct arena *a = &t->arena;
	Listener *l = pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	Envoy__Config__Listener__V3__ApiListener *al = pb_new(a,
	    &envoy__config__listener__v3__api_listener__descriptor);

	l->name = pb_str(a, vh->fqdn);
	al->api_listener = pb_any(a, translate_hcm(t, vh->fqdn, vh->fqdn, false));
	l->api_listener = al;
	return l;
}
