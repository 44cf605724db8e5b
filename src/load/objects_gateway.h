/* Gateway API objects (gateway.networking.k8s.io, SPEC.md §5a) as the
 * loader produces them; included by objects.h. Field names follow the
 * API's; strings the document did not set are NULL, numbers 0 with a
 * has_* flag where 0 is meaningful. */
#ifndef CAIRN_LOAD_OBJECTS_GATEWAY_H
#define CAIRN_LOAD_OBJECTS_GATEWAY_H

/* group/kind/namespace/name of another object (secret, CA, target...) */
struct gw_object_ref {
	char *group, *kind, *namespace, *name;
	char *section_name; /* targetRefs only */
	struct origin origin;
};

struct gw_parent_ref {
	char *group, *kind, *namespace, *name, *section_name;
	int32_t port;
	bool has_port;
	struct origin origin;
};

struct gw_header {
	char *name, *value;
	struct origin origin;
};

struct gw_header_modifier {
	struct gw_header *set, *add;
	size_t nset, nadd;
	char **remove;
	size_t nremove;
	struct origin origin;
};

/* requestRedirect.path / urlRewrite.path */
struct gw_path_modifier {
	char *type; /* ReplaceFullPath, ReplacePrefixMatch */
	char *replace_full_path, *replace_prefix_match;
	bool has_full_path, has_prefix_match; /* "" is a valid value */
	struct origin origin;
};

struct gw_redirect {
	char *scheme, *hostname;
	struct gw_path_modifier *path;
	int32_t port;
	int32_t status_code; /* 0: 302, the API's default */
	struct origin origin;
};

struct gw_url_rewrite {
	char *hostname;
	struct gw_path_modifier *path;
	struct origin origin;
};

struct gw_fraction {
	int32_t numerator, denominator;
	bool has_denominator;
	struct origin origin;
};

struct gw_backend_ref;

struct gw_mirror {
	struct gw_backend_ref *backend_ref;
	int32_t percent;
	bool has_percent;
	struct gw_fraction *fraction;
	struct origin origin;
};

struct gw_cors {
	char **allow_origins, **allow_methods, **allow_headers, **expose_headers;
	size_t nallow_origins, nallow_methods, nallow_headers, nexpose_headers;
	bool allow_credentials;
	int32_t max_age;
	bool has_max_age;
	struct origin origin;
};

struct gw_extension_ref {
	char *group, *kind, *name;
	struct origin origin;
};

/* One entry of filters[] (HTTPRoute and GRPCRoute, rule and backendRef). */
struct gw_filter {
	char *type; /* RequestHeaderModifier, ResponseHeaderModifier, ... */
	struct gw_header_modifier *request_header_modifier, *response_header_modifier;
	struct gw_redirect *request_redirect;
	struct gw_url_rewrite *url_rewrite;
	struct gw_mirror *request_mirror;
	struct gw_cors *cors;
	struct gw_extension_ref *extension_ref;
	struct origin origin;
};

struct gw_backend_ref {
	char *group, *kind, *namespace, *name; /* group "" and kind Service: a Service */
	int32_t port;
	bool has_port;
	int32_t weight; /* default 1 */
	bool has_weight;
	struct gw_filter *filters;
	size_t nfilters;
	struct origin origin;
};

/* --- GatewayClass ----------------------------------------------------- */

struct gatewayclass {
	char *controller_name;
	char *description;
	struct gw_object_ref *parameters_ref;
};

/* --- Gateway ---------------------------------------------------------- */

struct gw_label_requirement {
	char *key, *operator_; /* In, NotIn, Exists, DoesNotExist */
	char **values;
	size_t nvalues;
	struct origin origin;
};

struct gw_label_selector {
	struct kv *match_labels;
	size_t nmatch_labels;
	struct gw_label_requirement *match_expressions;
	size_t nmatch_expressions;
	struct origin origin;
};

struct gw_route_namespaces {
	char *from; /* Same (default), All, Selector, None */
	struct gw_label_selector *selector;
	struct origin origin;
};

struct gw_route_group_kind {
	char *group, *kind;
	struct origin origin;
};

struct gw_allowed_routes {
	struct gw_route_namespaces *namespaces;
	struct gw_route_group_kind *kinds;
	size_t nkinds;
	struct origin origin;
};

struct gw_frontend_validation {
	struct gw_object_ref *ca_certificate_refs;
	size_t nca_certificate_refs;
	char *mode; /* AllowValidOnly (default), AllowInsecureFallback */
	struct origin origin;
};

struct gw_listener_tls {
	char *mode; /* Terminate (default), Passthrough */
	struct gw_object_ref *certificate_refs;
	size_t ncertificate_refs;
	struct kv *options;
	size_t noptions;
	struct origin origin;
};

struct gw_listener {
	char *name, *hostname, *protocol;
	int32_t port;
	struct gw_listener_tls *tls;
	struct gw_allowed_routes *allowed_routes;
	struct origin origin;
};

struct gw_address {
	char *type; /* IPAddress (default), Hostname, ... */
	char *value;
	struct origin origin;
};

struct gw_tls_port_config {
	int32_t port;
	struct gw_frontend_validation *validation; /* tls.validation */
	struct origin origin;
};

struct gw_frontend_tls {
	struct gw_frontend_validation *default_validation; /* default.validation */
	struct gw_tls_port_config *per_port;
	size_t nper_port;
	struct origin origin;
};

struct gw_gateway_tls {
	struct gw_frontend_tls *frontend;
	struct gw_object_ref *backend_client_certificate_ref; /* backend.clientCertificateRef */
	struct origin origin;
};

struct gw_allowed_listeners {
	struct gw_route_namespaces *namespaces;
	struct origin origin;
};

struct gateway {
	char *gateway_class_name;
	struct gw_listener *listeners;
	size_t nlisteners;
	struct gw_address *addresses;
	size_t naddresses;
	struct gw_gateway_tls *tls;
	struct gw_allowed_listeners *allowed_listeners;
	bool has_infrastructure; /* accepted; nothing to provision on a host */
};

/* --- HTTPRoute -------------------------------------------------------- */

struct gw_path_match {
	char *type; /* Exact, PathPrefix (default), RegularExpression */
	char *value; /* default "/" */
	struct origin origin;
};

/* headers[] and queryParams[] of a match */
struct gw_value_match {
	char *type; /* Exact (default), RegularExpression */
	char *name, *value;
	struct origin origin;
};

struct gw_http_match {
	struct gw_path_match *path;
	struct gw_value_match *headers, *query_params;
	size_t nheaders, nquery_params;
	char *method;
	struct origin origin;
};

struct gw_timeouts {
	char *request, *backend_request; /* Gateway API durations as written */
	struct origin origin;
};

struct gw_retry {
	int32_t attempts;
	bool has_attempts;
	int32_t *codes;
	size_t ncodes;
	char *backoff;
	struct origin origin;
};

/* A rule's sessionPersistence (GEP-1619). */
struct gw_cookie_config {
	char *lifetime_type; /* Session (default), Permanent */
	struct origin origin;
};

struct gw_session_persistence {
	char *session_name; /* NULL: cairn names it (docs/gateway-api.md) */
	char *absolute_timeout, *idle_timeout; /* Gateway API durations as written */
	char *type; /* Cookie (default), Header */
	struct gw_cookie_config *cookie_config;
	struct origin origin;
};

struct gw_http_rule {
	char *name;
	struct gw_http_match *matches;
	size_t nmatches;
	struct gw_filter *filters;
	size_t nfilters;
	struct gw_backend_ref *backend_refs;
	size_t nbackend_refs;
	struct gw_timeouts *timeouts;
	struct gw_retry *retry;
	struct gw_session_persistence *session_persistence;
	struct origin origin;
};

struct httproute {
	struct gw_parent_ref *parent_refs;
	size_t nparent_refs;
	char **hostnames;
	size_t nhostnames;
	struct gw_http_rule *rules;
	size_t nrules;
};

/* --- GRPCRoute -------------------------------------------------------- */

struct gw_grpc_method_match {
	char *type; /* Exact (default), RegularExpression */
	char *service, *method;
	struct origin origin;
};

struct gw_grpc_match {
	struct gw_grpc_method_match *method;
	struct gw_value_match *headers;
	size_t nheaders;
	struct origin origin;
};

struct gw_grpc_rule {
	char *name;
	struct gw_grpc_match *matches;
	size_t nmatches;
	struct gw_filter *filters;
	size_t nfilters;
	struct gw_backend_ref *backend_refs;
	size_t nbackend_refs;
	struct gw_session_persistence *session_persistence;
	struct origin origin;
};

struct grpcroute {
	struct gw_parent_ref *parent_refs;
	size_t nparent_refs;
	char **hostnames;
	size_t nhostnames;
	struct gw_grpc_rule *rules;
	size_t nrules;
};

/* --- TLSRoute, TCPRoute ----------------------------------------------- */

struct gw_l4_rule {
	char *name;
	struct gw_backend_ref *backend_refs;
	size_t nbackend_refs;
	struct origin origin;
};

struct l4route { /* TLSRoute (hostnames) and TCPRoute (none) */
	struct gw_parent_ref *parent_refs;
	size_t nparent_refs;
	char **hostnames;
	size_t nhostnames;
	struct gw_l4_rule *rules;
	size_t nrules;
};

/* --- ReferenceGrant --------------------------------------------------- */

struct referencegrant {
	struct gw_object_ref *from, *to; /* from: group/kind/namespace; to: group/kind/name */
	size_t nfrom, nto;
};

/* --- BackendTLSPolicy ------------------------------------------------- */

struct gw_san {
	char *type; /* Hostname, URI */
	char *hostname, *uri;
	struct origin origin;
};

struct gw_backend_tls_validation {
	struct gw_object_ref *ca_certificate_refs;
	size_t nca_certificate_refs;
	char *well_known_ca_certificates; /* System */
	char *hostname;
	struct gw_san *subject_alt_names;
	size_t nsubject_alt_names;
	struct origin origin;
};

struct backendtlspolicy {
	struct gw_object_ref *target_refs;
	size_t ntarget_refs;
	struct gw_backend_tls_validation validation;
	struct kv *options;
	size_t noptions;
};

/* --- ConfigMap (only data.ca.crt), Namespace (labels) ------------------ */

struct configmap {
	char *ca_crt; /* data["ca.crt"], NULL when absent */
	struct origin ca_crt_origin;
};

#endif
