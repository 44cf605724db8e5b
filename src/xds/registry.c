#include "xds/registry.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/accesslog/v3/accesslog.pb-c.h"
#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "envoy/config/cluster/v3/circuit_breaker.pb-c.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/core/v3/address.pb-c.h"
#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/core/v3/config_source.pb-c.h"
#include "envoy/config/core/v3/extension.pb-c.h"
#include "envoy/config/core/v3/grpc_service.pb-c.h"
#include "envoy/config/core/v3/health_check.pb-c.h"
#include "envoy/config/core/v3/http_uri.pb-c.h"
#include "envoy/config/core/v3/protocol.pb-c.h"
#include "envoy/config/core/v3/socket_option.pb-c.h"
#include "envoy/config/core/v3/substitution_format_string.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint_components.pb-c.h"
#include "envoy/config/listener/v3/api_listener.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/config/ratelimit/v3/rls.pb-c.h"
#include "envoy/config/rbac/v3/rbac.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/config/trace/v3/http_tracer.pb-c.h"
#include "envoy/config/trace/v3/opentelemetry.pb-c.h"
#include "envoy/extensions/access_loggers/file/v3/file.pb-c.h"
#include "envoy/extensions/compression/brotli/compressor/v3/brotli.pb-c.h"
#include "envoy/extensions/compression/gzip/compressor/v3/gzip.pb-c.h"
#include "envoy/extensions/compression/zstd/compressor/v3/zstd.pb-c.h"
#include "envoy/extensions/filters/http/compressor/v3/compressor.pb-c.h"
#include "envoy/extensions/filters/http/cors/v3/cors.pb-c.h"
#include "envoy/extensions/filters/http/ext_authz/v3/ext_authz.pb-c.h"
#include "envoy/extensions/filters/http/jwt_authn/v3/config.pb-c.h"
#include "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.pb-c.h"
#include "envoy/extensions/filters/http/lua/v3/lua.pb-c.h"
#include "envoy/extensions/filters/http/ratelimit/v3/rate_limit.pb-c.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/http/stateful_session/v3/stateful_session.pb-c.h"
#include "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "envoy/extensions/http/stateful_session/cookie/v3/cookie.pb-c.h"
#include "envoy/extensions/http/stateful_session/header/v3/header.pb-c.h"
#include "envoy/extensions/internal_redirect/previous_routes/v3/previous_routes_config.pb-c.h"
#include "envoy/extensions/internal_redirect/safe_cross_scheme/v3/safe_cross_scheme_config.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/common.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "envoy/extensions/upstreams/http/v3/http_protocol_options.pb-c.h"
#include "envoy/service/discovery/v3/ads.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "envoy/type/matcher/v3/regex.pb-c.h"
#include "envoy/type/matcher/v3/string.pb-c.h"
#include "envoy/type/tracing/v3/custom_tag.pb-c.h"
#include "envoy/type/http/v3/cookie.pb-c.h"
#include "envoy/type/v3/http.pb-c.h"
#include "envoy/type/v3/http_status.pb-c.h"
#include "envoy/type/v3/percent.pb-c.h"
#include "envoy/type/v3/range.pb-c.h"
#include "envoy/type/v3/semantic_version.pb-c.h"
#include "envoy/type/v3/token_bucket.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "google/rpc/status.pb-c.h"

/*
 * Every message type in proto/, nested ones included: protobuf-c descriptors
 * do not link a message to the types nested in it, so there is nothing to
 * walk at runtime. Kept sorted by full name (strcmp order) for bsearch;
 * tests/unit/xds_json_test.c checks the order and that every descriptor
 * declared in proto-gen/ is listed here, so a new .proto cannot be
 * forgotten.
 */
static const ProtobufCMessageDescriptor *const registry[] = {
	&envoy__config__accesslog__v3__access_log__descriptor,
	&envoy__config__bootstrap__v3__admin__descriptor,
	&envoy__config__bootstrap__v3__bootstrap__descriptor,
	&envoy__config__bootstrap__v3__bootstrap__dynamic_resources__descriptor,
	&envoy__config__bootstrap__v3__bootstrap__static_resources__descriptor,
	&envoy__config__cluster__v3__circuit_breakers__descriptor,
	&envoy__config__cluster__v3__circuit_breakers__thresholds__descriptor,
	&envoy__config__cluster__v3__circuit_breakers__thresholds__retry_budget__descriptor,
	&envoy__config__cluster__v3__cluster__descriptor,
	&envoy__config__cluster__v3__cluster__common_lb_config__descriptor,
	&envoy__config__cluster__v3__cluster__common_lb_config__consistent_hashing_lb_config__descriptor,
	&envoy__config__cluster__v3__cluster__common_lb_config__locality_weighted_lb_config__descriptor,
	&envoy__config__cluster__v3__cluster__common_lb_config__zone_aware_lb_config__descriptor,
	&envoy__config__cluster__v3__cluster__eds_cluster_config__descriptor,
	&envoy__config__cluster__v3__cluster__least_request_lb_config__descriptor,
	&envoy__config__cluster__v3__cluster__maglev_lb_config__descriptor,
	&envoy__config__cluster__v3__cluster__ring_hash_lb_config__descriptor,
	&envoy__config__cluster__v3__cluster__round_robin_lb_config__descriptor,
	&envoy__config__cluster__v3__cluster__slow_start_config__descriptor,
	&envoy__config__cluster__v3__cluster__typed_extension_protocol_options_entry__descriptor,
	&envoy__config__core__v3__address__descriptor,
	&envoy__config__core__v3__aggregated_config_source__descriptor,
	&envoy__config__core__v3__api_config_source__descriptor,
	&envoy__config__core__v3__build_version__descriptor,
	&envoy__config__core__v3__cidr_range__descriptor,
	&envoy__config__core__v3__config_source__descriptor,
	&envoy__config__core__v3__control_plane__descriptor,
	&envoy__config__core__v3__data_source__descriptor,
	&envoy__config__core__v3__envoy_internal_address__descriptor,
	&envoy__config__core__v3__extension__descriptor,
	&envoy__config__core__v3__grpc_service__descriptor,
	&envoy__config__core__v3__grpc_service__envoy_grpc__descriptor,
	&envoy__config__core__v3__header_value__descriptor,
	&envoy__config__core__v3__header_value_option__descriptor,
	&envoy__config__core__v3__health_check__descriptor,
	&envoy__config__core__v3__health_check__grpc_health_check__descriptor,
	&envoy__config__core__v3__health_check__http_health_check__descriptor,
	&envoy__config__core__v3__health_check__payload__descriptor,
	&envoy__config__core__v3__health_check__tcp_health_check__descriptor,
	&envoy__config__core__v3__http1_protocol_options__descriptor,
	&envoy__config__core__v3__http2_protocol_options__descriptor,
	&envoy__config__core__v3__http_protocol_options__descriptor,
	&envoy__config__core__v3__http_uri__descriptor,
	&envoy__config__core__v3__json_format_options__descriptor,
	&envoy__config__core__v3__keepalive_settings__descriptor,
	&envoy__config__core__v3__locality__descriptor,
	&envoy__config__core__v3__node__descriptor,
	&envoy__config__core__v3__path_config_source__descriptor,
	&envoy__config__core__v3__pipe__descriptor,
	&envoy__config__core__v3__rate_limit_settings__descriptor,
	&envoy__config__core__v3__runtime_double__descriptor,
	&envoy__config__core__v3__runtime_fractional_percent__descriptor,
	&envoy__config__core__v3__self_config_source__descriptor,
	&envoy__config__core__v3__socket_address__descriptor,
	&envoy__config__core__v3__socket_option__descriptor,
	&envoy__config__core__v3__substitution_format_string__descriptor,
	&envoy__config__core__v3__transport_socket__descriptor,
	&envoy__config__core__v3__typed_extension_config__descriptor,
	&envoy__config__core__v3__watched_directory__descriptor,
	&envoy__config__endpoint__v3__cluster_load_assignment__descriptor,
	&envoy__config__endpoint__v3__endpoint__descriptor,
	&envoy__config__endpoint__v3__endpoint__health_check_config__descriptor,
	&envoy__config__endpoint__v3__lb_endpoint__descriptor,
	&envoy__config__endpoint__v3__locality_lb_endpoints__descriptor,
	&envoy__config__listener__v3__api_listener__descriptor,
	&envoy__config__listener__v3__filter__descriptor,
	&envoy__config__listener__v3__filter_chain__descriptor,
	&envoy__config__listener__v3__filter_chain_match__descriptor,
	&envoy__config__listener__v3__listener__descriptor,
	&envoy__config__listener__v3__listener_filter__descriptor,
	&envoy__config__ratelimit__v3__rate_limit_service_config__descriptor,
	&envoy__config__rbac__v3__permission__descriptor,
	&envoy__config__rbac__v3__permission__set__descriptor,
	&envoy__config__rbac__v3__policy__descriptor,
	&envoy__config__rbac__v3__principal__descriptor,
	&envoy__config__rbac__v3__principal__authenticated__descriptor,
	&envoy__config__rbac__v3__principal__set__descriptor,
	&envoy__config__rbac__v3__rbac__descriptor,
	&envoy__config__rbac__v3__rbac__policies_entry__descriptor,
	&envoy__config__route__v3__cors_policy__descriptor,
	&envoy__config__route__v3__direct_response_action__descriptor,
	&envoy__config__route__v3__header_matcher__descriptor,
	&envoy__config__route__v3__internal_redirect_policy__descriptor,
	&envoy__config__route__v3__query_parameter_matcher__descriptor,
	&envoy__config__route__v3__rate_limit__descriptor,
	&envoy__config__route__v3__rate_limit__action__descriptor,
	&envoy__config__route__v3__rate_limit__action__generic_key__descriptor,
	&envoy__config__route__v3__rate_limit__action__header_value_match__descriptor,
	&envoy__config__route__v3__rate_limit__action__remote_address__descriptor,
	&envoy__config__route__v3__rate_limit__action__request_headers__descriptor,
	&envoy__config__route__v3__redirect_action__descriptor,
	&envoy__config__route__v3__retry_policy__descriptor,
	&envoy__config__route__v3__retry_policy__retry_back_off__descriptor,
	&envoy__config__route__v3__route__descriptor,
	&envoy__config__route__v3__route__typed_per_filter_config_entry__descriptor,
	&envoy__config__route__v3__route_action__descriptor,
	&envoy__config__route__v3__route_action__hash_policy__descriptor,
	&envoy__config__route__v3__route_action__hash_policy__connection_properties__descriptor,
	&envoy__config__route__v3__route_action__hash_policy__cookie__descriptor,
	&envoy__config__route__v3__route_action__hash_policy__cookie_attribute__descriptor,
	&envoy__config__route__v3__route_action__hash_policy__filter_state__descriptor,
	&envoy__config__route__v3__route_action__hash_policy__header__descriptor,
	&envoy__config__route__v3__route_action__hash_policy__query_parameter__descriptor,
	&envoy__config__route__v3__route_action__max_stream_duration__descriptor,
	&envoy__config__route__v3__route_action__request_mirror_policy__descriptor,
	&envoy__config__route__v3__route_action__upgrade_config__descriptor,
	&envoy__config__route__v3__route_configuration__descriptor,
	&envoy__config__route__v3__route_configuration__typed_per_filter_config_entry__descriptor,
	&envoy__config__route__v3__route_match__descriptor,
	&envoy__config__route__v3__route_match__grpc_route_match_options__descriptor,
	&envoy__config__route__v3__virtual_host__descriptor,
	&envoy__config__route__v3__virtual_host__typed_per_filter_config_entry__descriptor,
	&envoy__config__route__v3__weighted_cluster__descriptor,
	&envoy__config__route__v3__weighted_cluster__cluster_weight__descriptor,
	&envoy__config__route__v3__weighted_cluster__cluster_weight__typed_per_filter_config_entry__descriptor,
	&envoy__config__trace__v3__open_telemetry_config__descriptor,
	&envoy__config__trace__v3__tracing__descriptor,
	&envoy__config__trace__v3__tracing__http__descriptor,
	&envoy__extensions__access_loggers__file__v3__file_access_log__descriptor,
	&envoy__extensions__compression__brotli__compressor__v3__brotli__descriptor,
	&envoy__extensions__compression__gzip__compressor__v3__gzip__descriptor,
	&envoy__extensions__compression__zstd__compressor__v3__zstd__descriptor,
	&envoy__extensions__filters__http__compressor__v3__compressor__descriptor,
	&envoy__extensions__filters__http__compressor__v3__compressor__common_direction_config__descriptor,
	&envoy__extensions__filters__http__compressor__v3__compressor__request_direction_config__descriptor,
	&envoy__extensions__filters__http__compressor__v3__compressor__response_direction_config__descriptor,
	&envoy__extensions__filters__http__cors__v3__cors__descriptor,
	&envoy__extensions__filters__http__cors__v3__cors_policy__descriptor,
	&envoy__extensions__filters__http__ext_authz__v3__buffer_settings__descriptor,
	&envoy__extensions__filters__http__ext_authz__v3__check_settings__descriptor,
	&envoy__extensions__filters__http__ext_authz__v3__check_settings__context_extensions_entry__descriptor,
	&envoy__extensions__filters__http__ext_authz__v3__ext_authz__descriptor,
	&envoy__extensions__filters__http__ext_authz__v3__ext_authz_per_route__descriptor,
	&envoy__extensions__filters__http__jwt_authn__v3__jwt_authentication__descriptor,
	&envoy__extensions__filters__http__jwt_authn__v3__jwt_authentication__providers_entry__descriptor,
	&envoy__extensions__filters__http__jwt_authn__v3__jwt_authentication__requirement_map_entry__descriptor,
	&envoy__extensions__filters__http__jwt_authn__v3__jwt_provider__descriptor,
	&envoy__extensions__filters__http__jwt_authn__v3__jwt_requirement__descriptor,
	&envoy__extensions__filters__http__jwt_authn__v3__per_route_config__descriptor,
	&envoy__extensions__filters__http__jwt_authn__v3__remote_jwks__descriptor,
	&envoy__extensions__filters__http__local_ratelimit__v3__local_rate_limit__descriptor,
	&envoy__extensions__filters__http__lua__v3__lua__descriptor,
	&envoy__extensions__filters__http__lua__v3__lua__source_codes_entry__descriptor,
	&envoy__extensions__filters__http__lua__v3__lua_per_route__descriptor,
	&envoy__extensions__filters__http__ratelimit__v3__rate_limit__descriptor,
	&envoy__extensions__filters__http__ratelimit__v3__rate_limit_per_route__descriptor,
	&envoy__extensions__filters__http__rbac__v3__rbac__descriptor,
	&envoy__extensions__filters__http__rbac__v3__rbacper_route__descriptor,
	&envoy__extensions__filters__http__router__v3__router__descriptor,
	&envoy__extensions__filters__http__stateful_session__v3__stateful_session__descriptor,
	&envoy__extensions__filters__http__stateful_session__v3__stateful_session_per_route__descriptor,
	&envoy__extensions__filters__listener__tls_inspector__v3__tls_inspector__descriptor,
	&envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor,
	&envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__set_current_client_cert_details__descriptor,
	&envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__tracing__descriptor,
	&envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__upgrade_config__descriptor,
	&envoy__extensions__filters__network__http_connection_manager__v3__http_filter__descriptor,
	&envoy__extensions__filters__network__http_connection_manager__v3__rds__descriptor,
	&envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__descriptor,
	&envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__weighted_cluster__descriptor,
	&envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__weighted_cluster__cluster_weight__descriptor,
	&envoy__extensions__http__stateful_session__cookie__v3__cookie_based_session_state__descriptor,
	&envoy__extensions__http__stateful_session__header__v3__header_based_session_state__descriptor,
	&envoy__extensions__internal_redirect__previous_routes__v3__previous_routes_config__descriptor,
	&envoy__extensions__internal_redirect__safe_cross_scheme__v3__safe_cross_scheme_config__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__certificate_validation_context__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__certificate_validation_context__system_root_certs__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__common_tls_context__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__common_tls_context__combined_certificate_validation_context__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__downstream_tls_context__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__sds_secret_config__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__secret__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__subject_alt_name_matcher__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__tls_certificate__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__tls_parameters__descriptor,
	&envoy__extensions__transport_sockets__tls__v3__upstream_tls_context__descriptor,
	&envoy__extensions__upstreams__http__v3__http_protocol_options__descriptor,
	&envoy__extensions__upstreams__http__v3__http_protocol_options__explicit_http_config__descriptor,
	&envoy__extensions__upstreams__http__v3__http_protocol_options__use_downstream_http_config__descriptor,
	&envoy__service__discovery__v3__delta_discovery_request__descriptor,
	&envoy__service__discovery__v3__delta_discovery_request__initial_resource_versions_entry__descriptor,
	&envoy__service__discovery__v3__delta_discovery_response__descriptor,
	&envoy__service__discovery__v3__discovery_request__descriptor,
	&envoy__service__discovery__v3__discovery_response__descriptor,
	&envoy__service__discovery__v3__resource__descriptor,
	&envoy__service__discovery__v3__resource__cache_control__descriptor,
	&envoy__type__http__v3__cookie__descriptor,
	&envoy__type__matcher__v3__regex_match_and_substitute__descriptor,
	&envoy__type__matcher__v3__regex_matcher__descriptor,
	&envoy__type__matcher__v3__string_matcher__descriptor,
	&envoy__type__tracing__v3__custom_tag__descriptor,
	&envoy__type__tracing__v3__custom_tag__environment__descriptor,
	&envoy__type__tracing__v3__custom_tag__header__descriptor,
	&envoy__type__tracing__v3__custom_tag__literal__descriptor,
	&envoy__type__v3__fractional_percent__descriptor,
	&envoy__type__v3__http_status__descriptor,
	&envoy__type__v3__int32_range__descriptor,
	&envoy__type__v3__int64_range__descriptor,
	&envoy__type__v3__percent__descriptor,
	&envoy__type__v3__semantic_version__descriptor,
	&envoy__type__v3__token_bucket__descriptor,
	&google__protobuf__any__descriptor,
	&google__protobuf__bool_value__descriptor,
	&google__protobuf__bytes_value__descriptor,
	&google__protobuf__double_value__descriptor,
	&google__protobuf__duration__descriptor,
	&google__protobuf__float_value__descriptor,
	&google__protobuf__int32_value__descriptor,
	&google__protobuf__int64_value__descriptor,
	&google__protobuf__list_value__descriptor,
	&google__protobuf__string_value__descriptor,
	&google__protobuf__struct__descriptor,
	&google__protobuf__struct__fields_entry__descriptor,
	&google__protobuf__uint32_value__descriptor,
	&google__protobuf__uint64_value__descriptor,
	&google__protobuf__value__descriptor,
	&google__rpc__status__descriptor,
};

static int
registry_cmp(const void *key, const void *elem)
{
	const ProtobufCMessageDescriptor *const *d = elem;

	return strcmp(key, (*d)->name);
}

const ProtobufCMessageDescriptor *
xds_registry_lookup(const char *type_url_or_full_name)
{
	const ProtobufCMessageDescriptor *const *found;
	const char *name, *slash;

	if (type_url_or_full_name == NULL)
		return NULL;
	slash = strrchr(type_url_or_full_name, '/');
	name = slash ? slash + 1 : type_url_or_full_name;
	found = bsearch(name, registry, sizeof registry / sizeof registry[0],
	    sizeof registry[0], registry_cmp);
	return found ? *found : NULL;
}

size_t
xds_registry_count(void)
{
	return sizeof registry / sizeof registry[0];
}

const ProtobufCMessageDescriptor *
xds_registry_at(size_t i)
{
	return i < xds_registry_count() ? registry[i] : NULL;
}
