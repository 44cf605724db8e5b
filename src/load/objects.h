/* Typed Kubernetes-shaped objects as the loader produces them. Every
 * object and string lives in the arena of the loaded_file it came from.
 * Fields a document did not set are NULL / 0 / false; `has_*` flags say
 * whether a numeric field was given at all. */
#ifndef CAIRN_LOAD_OBJECTS_H
#define CAIRN_LOAD_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum obj_kind {
	OBJ_HTTPPROXY,
	OBJ_SERVICE,
	OBJ_ENDPOINTS,
	OBJ_INGRESS,
	OBJ_ENDPOINTSLICE,
	OBJ_SECRET,
	OBJ_TLSCERTDELEGATION,
	OBJ_EXTENSIONSERVICE,
	/* Gateway API (gateway.networking.k8s.io), SPEC.md §5a */
	OBJ_GATEWAYCLASS,
	OBJ_GATEWAY,
	OBJ_HTTPROUTE,
	OBJ_GRPCROUTE,
	OBJ_TLSROUTE,
	OBJ_TCPROUTE,
	OBJ_REFERENCEGRANT,
	OBJ_BACKENDTLSPOLICY,
	OBJ_CONFIGMAP,
	OBJ_NAMESPACE,
	OBJ_KIND_COUNT,
};

struct kv {
	char *key, *value;
};

/* Where something came from, for every message about it. */
struct origin {
	const char *file;
	int line, col;
};

struct obj_meta {
	char *name, *namespace;
	struct kv *labels;
	size_t nlabels;
	struct kv *annotations;
	size_t nannotations;
	struct origin origin; /* of the document's root mapping */
};

/* --- HTTPProxy (projectcontour.io/v1) --------------------------------- */

/* The bools together after the pointers: no padding between them (a bench
 * file holds five of these; tests/unit/load_test bounds the size). */
struct hp_header_match {
	char *name;
	char *exact, *notexact, *contains, *notcontains, *regex;
	struct origin origin;
	/* Of the `regex:` value, NULL without one: most conditions have no
	 * regex, and a pointer takes half an origin. */
	const struct origin *regex_origin;
	bool present, notpresent;
	bool ignore_case;
	bool treat_missing_as_empty; /* notexact / notcontains only */
};

/* queryParameter: exactly one test on one parameter. */
struct hp_query_match {
	char *name;
	char *exact, *prefix, *suffix, *regex, *contains;
	bool present;
	bool ignore_case;
	struct origin origin;
	/* Of the `regex:` value, NULL without one: most conditions have no
	 * regex, and a pointer takes half an origin. */
	const struct origin *regex_origin;
};

struct hp_condition {
	char *prefix, *exact, *regex; /* at most one of the three */
	struct hp_header_match *header; /* NULL unless `header:` given */
	struct origin origin;
	struct hp_query_match *query; /* NULL unless `queryParameter:` given */
	/* Of the `regex:` value, NULL without one: most conditions have no
	 * regex, and a pointer takes half an origin. */
	const struct origin *regex_origin;
};

struct hp_header_value {
	char *name, *value;
	struct origin origin;
};

/* requestHeadersPolicy / responseHeadersPolicy */
struct hp_headers_policy {
	struct hp_header_value *set;
	size_t nset;
	char **remove;
	size_t nremove;
	struct origin origin;
};

/* cookieRewritePolicies[] (routes and services). */
struct hp_cookie_rewrite {
	char *name;
	char *path; /* pathRewrite.value */
	char *domain; /* domainRewrite.value */
	bool has_path, has_domain;
	bool secure, has_secure;
	char *same_site; /* Strict, Lax, None */
	struct origin origin;
};

/* services[].slowStartPolicy: window checked as a duration, aggression
 * as a decimal number. */
struct hp_slow_start {
	char *window;
	char *aggression; /* NULL: "1.0" */
	uint32_t min_weight_percent;
	bool has_min_weight_percent; /* else Contour's default 10 */
	struct origin origin;
};

/* Four-byte and one-byte members together: no padding between the
 * pointers (tests/unit/load_test bounds the size). */
/* What few services set: out of struct hp_service, NULL there when the
 * service has none of these keys (SCHEMA_SIDE); read through
 * hp_service_rare. */
struct hp_service_rare {
	char *protocol; /* h2, h2c, tls; NULL: from the Service's annotations */
	struct hp_headers_policy *request_headers, *response_headers;
	struct hp_upstream_validation *validation; /* protocol tls/h2 only */
	struct hp_slow_start *slow_start;
	struct hp_cookie_rewrite *cookie_rewrites;
	size_t ncookie_rewrites;
	int32_t health_port; /* 0: health checks use port */
};

struct hp_service {
	char *name;
	int32_t port;
	uint32_t weight;
	struct origin origin;
	bool has_weight;
	bool mirror;
	const struct hp_service_rare *rare; /* NULL: none of its keys */
};

extern const struct hp_service_rare hp_service_rare_none;

/* The service's rarely set options; every member zero when it has none. */
static inline const struct hp_service_rare *
hp_service_rare(const struct hp_service *s)
{
	return s->rare != NULL ? s->rare : &hp_service_rare_none;
}

/* Durations as written ("1s", "infinity"); checked by the loader. */
struct hp_timeout_policy {
	char *response, *idle, *idle_connection;
	struct origin origin;
};

struct hp_retry_policy {
	int64_t count;
	bool has_count;
	char *per_try_timeout;
	char **retry_on;
	size_t nretry_on;
	uint32_t *retriable_status_codes;
	size_t nretriable_status_codes;
	struct origin origin;
};

struct hp_status_range {
	int64_t start, end;
	struct origin origin;
};

struct hp_health_check {
	char *path, *host;
	int64_t interval_seconds, timeout_seconds;
	uint32_t unhealthy_threshold, healthy_threshold;
	struct hp_status_range *expected_statuses;
	size_t nexpected_statuses;
	struct origin origin;
};

struct hp_hash_policy {
	bool terminal;
	char *header_name; /* headerHashOptions.headerName */
	bool has_header; /* headerHashOptions given */
	char *parameter_name; /* queryParameterHashOptions.parameterName */
	bool has_parameter;
	bool hash_source_ip;
	struct origin origin;
};

struct hp_lb_policy {
	char *strategy; /* RoundRobin, WeightedLeastRequest, Random, Cookie, RequestHash */
	struct hp_hash_policy *hash_policies;
	size_t nhash_policies;
	struct origin origin;
};

struct hp_replace_prefix {
	char *prefix; /* NULL or "": the default replacement */
	char *replacement;
	struct origin origin;
};

struct hp_path_rewrite {
	struct hp_replace_prefix *replace_prefix;
	size_t nreplace_prefix;
	struct origin origin;
};

struct hp_redirect {
	char *scheme, *hostname, *path, *prefix;
	int32_t port;
	int32_t status_code; /* 0: Envoy's default, 301 */
	struct origin origin;
};

struct hp_direct_response {
	int32_t status_code;
	char *body;
	struct origin origin;
};

struct hp_local_ratelimit {
	uint32_t requests, burst;
	uint32_t response_status_code; /* 0 = Envoy's 429 */
	char *unit; /* second, minute, hour */
	struct hp_header_value *response_headers;
	size_t nresponse_headers;
	struct origin origin;
};

/* rateLimitPolicy.global (Contour's GlobalRateLimitPolicy). */
struct hp_rl_generic_key {
	char *key, *value;
	struct origin origin;
};

struct hp_rl_request_header {
	char *header_name, *descriptor_key;
	struct origin origin;
};

struct hp_rl_header_value_match {
	struct hp_header_match *headers;
	size_t nheaders;
	char *value;
	bool expect_match, has_expect_match; /* default true */
	struct origin origin;
};

struct hp_rl_entry {
	struct hp_rl_generic_key *generic_key;
	struct hp_rl_request_header *request_header;
	struct hp_rl_header_value_match *header_value_match;
	bool remote_address; /* remoteAddress: {} */
	struct origin origin;
};

struct hp_rl_descriptor {
	struct hp_rl_entry *entries;
	size_t nentries;
	struct origin origin;
};

struct hp_global_ratelimit {
	bool disabled;
	struct hp_rl_descriptor *descriptors;
	size_t ndescriptors;
	struct origin origin;
};

struct hp_ratelimit_policy {
	struct hp_global_ratelimit *global;
	struct hp_local_ratelimit *local;
	struct origin origin;
};

struct hp_ip_filter {
	char *source; /* Peer or Remote */
	char *cidr;
	struct origin origin;
};

struct hp_cors_policy {
	bool allow_credentials, allow_private_network;
	char **allow_origin, **allow_methods, **allow_headers, **expose_headers;
	size_t nallow_origin, nallow_methods, nallow_headers, nexpose_headers;
	char *max_age;
	struct origin origin;
	/* Where each allowOrigin item is (parallel to allow_origin; NULL
	 * when not loaded from YAML): RE2 errors point at it. */
	struct origin *allow_origin_at;
};

/* Contour's HTTPInternalRedirectPolicy. */
struct hp_internal_redirect {
	uint32_t max_internal_redirects;
	uint32_t *redirect_response_codes; /* 301, 302, 303, 307, 308 */
	size_t nredirect_response_codes;
	char *allow_cross_scheme_redirect; /* Always, Never (default), SafeOnly */
	bool deny_repeated_route_redirect;
	struct origin origin;
};

/* What few routes set: out of struct hp_route, NULL there when the route
 * has none of these keys (the loader allocates it at the first,
 * SCHEMA_SIDE); read through hp_route_rare. */
struct hp_route_rare {
	struct hp_timeout_policy *timeout_policy;
	struct hp_retry_policy *retry_policy;
	struct hp_internal_redirect *internal_redirect;
	struct hp_cookie_rewrite *cookie_rewrites;
	size_t ncookie_rewrites;
	struct hp_health_check *health_check;
	struct hp_lb_policy *lb_policy;
	struct hp_path_rewrite *path_rewrite;
	struct hp_headers_policy *request_headers, *response_headers;
	struct hp_redirect *redirect;
	struct hp_direct_response *direct_response;
	struct hp_ratelimit_policy *ratelimit;
	struct hp_ip_filter *ip_allow, *ip_deny;
	size_t nip_allow, nip_deny;
	struct hp_auth_policy *auth_policy;
	struct hp_jwt_policy *jwt_policy; /* NULL: the virtual host's default */
};

struct hp_route {
	struct hp_condition *conditions;
	size_t nconditions;
	struct hp_service *services;
	size_t nservices;
	struct origin origin;
	bool enable_websockets, permit_insecure;
	const struct hp_route_rare *rare; /* NULL: none of its keys */
};

extern const struct hp_route_rare hp_route_rare_none;

/* The route's rarely set policies; every member zero when it has none. */
static inline const struct hp_route_rare *
hp_route_rare(const struct hp_route *r)
{
	return r->rare != NULL ? r->rare : &hp_route_rare_none;
}

/* authPolicy (virtualhost.authorization and routes). */
struct hp_auth_policy {
	bool disabled;
	struct kv *context;
	size_t ncontext;
	struct origin origin;
};

/* virtualhost.authorization.withRequestBody */
struct hp_auth_body {
	uint32_t max_request_bytes;
	bool has_max_request_bytes; /* else Contour's 1024 */
	bool allow_partial_message, pack_as_bytes;
	struct origin origin;
};

struct hp_extension_ref {
	char *api_version, *namespace, *name;
	struct origin origin;
};

/* virtualhost.authorization: an ext_authz ExtensionService. */
struct hp_authorization {
	struct hp_extension_ref *extension_ref;
	char *response_timeout;
	bool fail_open;
	struct hp_auth_policy *auth_policy;
	struct hp_auth_body *with_request_body;
	struct origin origin;
};

/* virtualhost.jwtProviders[]: durations, URI and DNS family as written;
 * the DAG checks them with Contour's status reasons (src/dag/jwt.c). */
struct hp_remote_jwks {
	char *uri, *timeout, *cache_duration, *dns_lookup_family;
	struct hp_upstream_validation *validation;
	struct origin origin;
};

struct hp_jwt_provider {
	char *name, *issuer;
	char **audiences;
	size_t naudiences;
	struct hp_remote_jwks *remote_jwks;
	bool forward_jwt, is_default;
	struct origin origin;
};

/* routes[].jwtVerificationPolicy. */
struct hp_jwt_policy {
	char *require;
	bool disabled;
	struct origin origin;
};

struct hp_virtualhost {
	char *fqdn;
	struct origin origin;
	struct hp_cors_policy *cors;
	struct hp_ratelimit_policy *ratelimit;
	struct hp_ip_filter *ip_allow, *ip_deny;
	size_t nip_allow, nip_deny;
	struct hp_tls *tls; /* NULL: HTTP only */
	struct hp_authorization *authorization;
	struct hp_jwt_provider *jwt_providers; /* jwtProviders (src/dag/jwt.c) */
	size_t njwt_providers;
};

struct hp_include {
	char *name, *namespace; /* namespace NULL: the including proxy's */
	struct hp_condition *conditions;
	size_t nconditions;
	struct origin origin;
};

struct httpproxy {
	struct hp_virtualhost *virtualhost; /* NULL: not a root proxy */
	struct hp_route *routes;
	size_t nroutes;
	struct hp_include *includes;
	size_t nincludes;
	char *ingress_class_name;
	struct hp_tcpproxy *tcpproxy; /* NULL: none */
};

/* virtualhost.tls.clientValidation.forwardClientCertificate */
struct hp_forward_cert {
	bool subject, cert, chain, dns, uri;
	struct origin origin;
};

struct hp_client_validation {
	char *ca_secret; /* caSecret: "name" or "namespace/name" */
	char *crl_secret; /* crlSecret */
	bool only_verify_leaf_cert_crl;
	bool optional_client_certificate;
	bool skip_client_cert_validation;
	struct hp_forward_cert *forward_client_certificate;
	struct origin origin;
};

struct hp_tls {
	char *secret_name; /* "name" or "namespace/name" (delegated) */
	char *minimum_protocol_version, *maximum_protocol_version; /* "1.2", "1.3" */
	bool passthrough;
	bool enable_fallback_certificate;
	struct hp_client_validation *client_validation;
	struct origin origin;
};

/* services[].validation: verify the upstream's certificate. */
struct hp_upstream_validation {
	char *ca_secret;
	char *subject_name;
	char **subject_names; /* empty, or subject_name first */
	size_t nsubject_names;
	struct origin origin;
};

struct hp_tcpproxy_include {
	char *name, *namespace;
	struct origin origin;
};

/* spec.tcpproxy: TLS passthrough or TLS termination to TCP services. */
struct hp_tcpproxy {
	struct hp_service *services;
	size_t nservices;
	struct hp_tcpproxy_include *include;
	struct hp_tcpproxy_include *includes; /* deprecated spelling of include */
	struct hp_lb_policy *lb_policy;
	struct hp_health_check *health_check; /* TCP: no path, host, statuses */
	struct origin origin;
};

/* --- Service (v1) ----------------------------------------------------- */

struct svc_port {
	char *name;
	int32_t port;
	int32_t target_port; /* 0 when targetPort is a name or absent */
	char *target_port_name;
	char *protocol; /* TCP (default), UDP, SCTP */
	char *app_protocol;
	struct origin origin;
};

struct service {
	char *type; /* ClusterIP (default), ExternalName, ... */
	char *external_name;
	struct svc_port *ports;
	size_t nports;
};

/* --- Endpoints (v1) --------------------------------------------------- */

struct ep_address {
	char *ip;
	char *hostname;
	struct origin origin;
};

struct ep_port {
	char *name;
	int32_t port;
	char *protocol;
	char *app_protocol;
	struct origin origin;
};

struct ep_subset {
	struct ep_address *addresses;
	size_t naddresses;
	struct ep_address *not_ready_addresses;
	size_t nnot_ready_addresses;
	struct ep_port *ports;
	size_t nports;
	struct origin origin;
};

struct endpoints {
	struct ep_subset *subsets;
	size_t nsubsets;
};

/* --- Ingress (networking.k8s.io/v1) ----------------------------------- */

struct ing_backend {
	char *service_name;
	char *port_name; /* service.port.name, or NULL */
	int32_t port_number; /* service.port.number, or 0 */
	struct origin origin;
};

struct ing_path {
	char *path; /* NULL: "/" */
	char *path_type; /* Exact, Prefix, ImplementationSpecific */
	struct ing_backend backend;
	struct origin origin;
};

struct ing_rule {
	char *host; /* NULL: every host */
	struct ing_path *paths; /* spec.rules[].http.paths */
	size_t npaths;
	struct origin origin;
};

struct ing_tls {
	char **hosts;
	size_t nhosts;
	char *secret_name;
	struct origin origin;
};

struct ingress {
	char *ingress_class_name;
	struct ing_backend *default_backend;
	struct ing_rule *rules;
	size_t nrules;
	struct ing_tls *tls;
	size_t ntls;
};

/* --- EndpointSlice (discovery.k8s.io/v1) ------------------------------- */

struct eps_endpoint {
	char **addresses;
	size_t naddresses;
	bool ready, has_ready; /* conditions.ready; absent means ready */
	struct origin origin;
};

struct eps_port {
	char *name;
	int32_t port;
	bool has_port;
	char *protocol;
	char *app_protocol;
	struct origin origin;
};

struct endpointslice {
	char *address_type; /* IPv4, IPv6, FQDN */
	struct eps_endpoint *endpoints;
	size_t nendpoints;
	struct eps_port *ports;
	size_t nports;
};

/* --- Secret (v1) ------------------------------------------------------ */

/* One entry of data (decoded from base64) or stringData. */
struct secret_item {
	char *key; /* tls.crt, tls.key, ca.crt, crl.pem, ... */
	uint8_t *value; /* NUL-terminated; len excludes the NUL */
	size_t len;
	struct origin origin; /* of the value */
	bool string_data; /* from stringData (wins over data) */
};

struct secret {
	char *type; /* kubernetes.io/tls, Opaque, ...; NULL: Opaque */
	struct secret_item *items; /* data merged with stringData (stringData wins) */
	size_t nitems;
	/* File-backed: annotations cairn.io/certificate-file,
	 * cairn.io/private-key-file and cairn.io/ca-file, with where they
	 * were written. */
	char *certificate_file, *private_key_file, *ca_file;
	struct origin certificate_file_origin, private_key_file_origin, ca_file_origin;
};

/* --- TLSCertificateDelegation (projectcontour.io/v1) ------------------ */

struct tlsd_delegation {
	char *secret_name; /* a Secret in the delegation's namespace */
	char **target_namespaces; /* "*" = every namespace */
	size_t ntarget_namespaces;
	struct origin origin;
};

struct tls_delegation {
	struct tlsd_delegation *delegations;
	size_t ndelegations;
};

/* --- ExtensionService (projectcontour.io/v1alpha1) ------------------- */

struct ext_service_ref {
	char *name;
	int32_t port;
	uint32_t weight;
	struct origin origin;
};

/* spec.circuitBreakerPolicy; 0 = unset, as Contour's UInt32OrNil. */
struct ext_circuit_breakers {
	uint32_t max_connections, max_pending_requests, max_requests, max_retries;
	uint32_t per_host_max_connections;
	struct origin origin;
};

struct extension_service {
	struct ext_service_ref *services;
	size_t nservices;
	char *protocol; /* h2 (default), h2c */
	char *protocol_version; /* v3 */
	struct hp_upstream_validation *validation;
	struct hp_lb_policy *lb_policy;
	struct hp_timeout_policy *timeout_policy;
	struct ext_circuit_breakers *circuit_breakers;
};
#include "load/objects_gateway.h"

/* --- any object ------------------------------------------------------- */

struct object {
	enum obj_kind kind;
	const char *api_version, *kind_name; /* as written */
	struct obj_meta meta;
	union {
		struct httpproxy httpproxy;
		struct service service;
		struct endpoints endpoints;
		struct ingress ingress;
		struct endpointslice endpointslice;
		struct secret secret;
		struct tls_delegation tls_delegation;
		struct extension_service extension_service;
		struct gatewayclass gatewayclass;
		struct gateway gateway;
		struct httproute httproute;
		struct grpcroute grpcroute;
		struct l4route l4route; /* TLSRoute, TCPRoute */
		struct referencegrant referencegrant;
		struct backendtlspolicy backendtlspolicy;
		struct configmap configmap;
	} u;
};

const char *obj_kind_name(enum obj_kind kind);

#endif
