/* The routing graph: what a set of objects means, independent of how it
 * is sent to Envoy. A pure function of the objects and the config, owned
 * by one arena (dag_build) or assembled from the DAGs of independent
 * groups of files kept from the last build (dag_build_units, parts.c).
 * Never changed once built: parts are shared by the DAGs that use them.
 *
 * Field order of the structs below is part of the interface (tests and the
 * admin module initialise some positionally): new fields go at the end. */
#ifndef CAIRN_DAG_DAG_H
#define CAIRN_DAG_DAG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/objects.h"
#include "util/arena.h"

enum dag_status {
	DAG_STATUS_VALID,
	DAG_STATUS_INVALID,
	DAG_STATUS_ORPHANED,
};

/* One condition of an object's status (Contour's condition model). */
struct dag_condition {
	const char *type; /* "Valid", "ServiceError", "IncludeError", ... */
	const char *reason; /* "DuplicateVhost", "ServiceUnresolvedReference", ... */
	const char *message;
	struct origin origin; /* where in the file the problem is */
	bool warning; /* Contour's AddWarning: reported, the object stays valid */
};

struct dag_object_status {
	enum obj_kind kind;
	enum dag_status status; /* beside kind: no padding */
	const char *namespace, *name;
	struct origin origin;
	const char *description; /* Contour's one-line description */
	struct dag_condition *conditions; /* problems and warnings */
	size_t nconditions, cap;
	/* Secrets with a certificate: when it expires (Unix seconds), for
	 * status "not_after" and cairn_certificate_expiry_seconds; 0 = none. */
	int64_t not_after;
	/* Appended: Gateway API objects' status in the API's shape; NULL
	 * for other kinds (and for objects of a class cairn does not serve). */
	struct dag_gw_status *gw;
};

struct dag_endpoint {
	const char *ip;
	uint32_t port;
	uint32_t health_port; /* healthPort's endpoint port; 0: none */
};

/* One LocalityLbEndpoints of an ExtensionService's assignment: the next
 * n items, those of one of its services, with that service's weight. */
struct dag_locality {
	size_t n;
	uint32_t weight; /* 0: sent as no load_balancing_weight (Contour) */
	/* Its locality's sub_zone, <service>/<port>: Envoy refuses two
	 * LocalityLbEndpoints of one locality and priority. */
	const char *sub_zone;
};

/* A ClusterLoadAssignment: the endpoints of one service port. */
struct dag_endpoints {
	const char *name; /* <namespace>/<service>/<port name or number> */
	struct dag_endpoint *items; /* sorted by (ip, port), unique */
	size_t n;
	bool gateway_only; /* as dag_cluster's */
	/* NULL: all items are one locality of weight 1. Else (an
	 * ExtensionService's services[]) nlocalities consecutive runs of
	 * items, each sorted and unique on its own. */
	const struct dag_locality *localities;
	size_t nlocalities;
};

enum dag_protocol {
	DAG_PROTOCOL_DEFAULT, /* HTTP/1.1 */
	DAG_PROTOCOL_H2, /* HTTP/2 over TLS */
	DAG_PROTOCOL_H2C, /* HTTP/2 cleartext */
	DAG_PROTOCOL_TLS, /* HTTP/1.1 over TLS */
};

enum dag_lb_policy {
	DAG_LB_ROUND_ROBIN,
	DAG_LB_LEAST_REQUEST, /* WeightedLeastRequest */
	DAG_LB_RANDOM,
	DAG_LB_RING_HASH, /* Cookie and RequestHash */
};

enum dag_dns_family {
	DAG_DNS_AUTO,
	DAG_DNS_V4_ONLY,
	DAG_DNS_V6_ONLY,
	DAG_DNS_V4_PREFERRED,
	DAG_DNS_ALL,
};

struct dag_status_range {
	int64_t start, end; /* [start, end) */
};

/* An HTTP health check, Contour's defaults already applied; a TCP one
 * (tcpproxy) has no path. */
struct dag_health_check {
	const char *path, *host; /* path NULL: TCP */
	int64_t interval_ms, timeout_ms;
	uint32_t unhealthy_threshold, healthy_threshold;
	struct dag_status_range *expected_statuses;
	size_t nexpected_statuses;
};

/* services[].slowStartPolicy (round robin and least request only). */
struct dag_slow_start {
	int64_t window_ms;
	double aggression;
	uint32_t min_weight_percent;
};

/* Timeouts: -1 = not set (Envoy's default), 0 = disabled ("infinity"). */
#define DAG_TIMEOUT_DEFAULT (-1)

struct dag_cluster {
	const char *name; /* <ns>/<svc>/<port>/<10 hex of options> */
	const char *namespace, *service;
	uint32_t port;
	/* Beside port: no padding. */
	int32_t health_port; /* services[].healthPort (a Service port); 0: none */
	struct dag_endpoints *endpoints; /* the EDS resource; NULL for DNS */
	/* Upstream options: every one of them is part of the name's hash. */
	enum dag_protocol protocol;
	enum dag_lb_policy lb_policy;
	struct dag_health_check *health_check; /* NULL: none */
	const struct dag_slow_start *slow_start; /* NULL: none */
	int64_t idle_connection_timeout_ms; /* DAG_TIMEOUT_DEFAULT: unset */
	/* Circuit breakers from the Service's annotations; 0 = unset. */
	uint32_t max_connections, max_pending_requests, max_requests, max_retries;
	uint32_t per_host_max_connections;
	enum dag_dns_family dns_family; /* of external_name; beside the uint32s */
	/* type ExternalName: a STRICT_DNS cluster for this host. */
	const char *external_name;
	const char *eds_name; /* the ClusterLoadAssignment name (also for DNS) */
	const char *sni; /* upstream TLS: the SNI to send, or NULL */
	/* services[].validation: verify the upstream's certificate against
	 * this CA (an SDS validation context) and subject name. */
	const struct dag_secret *upstream_ca;
	const char *upstream_subject_name;
	/* subjectNames: the SANs accepted (the first is the subject name);
	 * none: only upstream_subject_name. */
	char *const *upstream_subject_names;
	size_t nupstream_subject_names;
	/* BackendTLSPolicy URI subjectAltNames, accepted beside the DNS
	 * ones; with no DNS ones, upstream_subject_name is not checked. */
	char *const *upstream_subject_uris;
	size_t nupstream_subject_uris;
	/* A Gateway's tls.backend.clientCertificateRef: the certificate
	 * presented to the upstream (SDS), with upstream_ca only. */
	const struct dag_secret *upstream_client_cert;
	/* ExtensionService clusters: timeoutPolicy.response, the default
	 * timeout of authorization calls (DAG_TIMEOUT_DEFAULT: unset). */
	int64_t ext_response_timeout_ms;
	/* A remote JWKS host (Contour's DNSNameCluster, src/dag/jwt.c):
	 * named dnsname/<scheme>/<host>, no alt_stat_name; LOGICAL_DNS when
	 * dns_family is ALL. */
	bool dnsname;
	/* Appended: used by Gateway API routes only: not in the snapshot of
	 * nodes that name no Gateway (SPEC.md §5a). */
	bool gateway_only;
};

/* value before kind: the enum and the bools share one word. */
struct dag_header_match {
	const char *name;
	const char *value;
	enum {
		DAG_HEADER_PRESENT,
		DAG_HEADER_EXACT,
		DAG_HEADER_CONTAINS,
		DAG_HEADER_REGEX,
	} kind;
	bool invert; /* notpresent, notexact, notcontains */
	bool ignore_case;
	bool treat_missing_as_empty;
};

/* value before kind: the enum and the bool share one word. */
struct dag_query_match {
	const char *name;
	const char *value;
	enum {
		DAG_QUERY_EXACT,
		DAG_QUERY_PREFIX,
		DAG_QUERY_SUFFIX,
		DAG_QUERY_CONTAINS,
		DAG_QUERY_REGEX,
		DAG_QUERY_PRESENT,
	} kind;
	bool ignore_case;
};

struct dag_header_value {
	const char *key, *value;
};

/* Request or response header changes; set is sorted by key. */
struct dag_headers_policy {
	struct dag_header_value *set;
	size_t nset;
	const char **remove; /* sorted */
	size_t nremove;
	const char *host_rewrite; /* requests only: "Host" in set */
	const char *host_rewrite_header; /* routes only: Host from "%REQ(name)%" */
	/* Appended: Gateway API's `add` (appended to existing values). */
	struct dag_header_value *add;
	size_t nadd;
};

/* cookieRewritePolicies: attributes a Set-Cookie of this name gets. */
struct dag_cookie_rewrite {
	const char *name;
	const char *path, *domain, *same_site; /* NULL: kept as sent */
	int secure; /* -1: kept, 0: removed, 1: set */
};

struct dag_weighted_cluster {
	struct dag_cluster *cluster;
	uint32_t weight;
	struct dag_headers_policy *request_headers, *response_headers;
	/* The service's rewrites with the route's it does not override
	 * (Envoy takes the most specific per-filter config). */
	struct dag_cookie_rewrite *cookie_rewrites;
	size_t ncookie_rewrites;
};

enum dag_path_match {
	DAG_PATH_EXACT,
	DAG_PATH_REGEX,
	DAG_PATH_PREFIX,
};

enum dag_route_action {
	DAG_ACTION_FORWARD, /* to clusters; direct_status when there are none */
	DAG_ACTION_REDIRECT,
	DAG_ACTION_DIRECT, /* directResponsePolicy (or 502/503 of Contour) */
	DAG_ACTION_HTTPS_REDIRECT, /* port 80 of a host that requires TLS */
};

struct dag_redirect {
	const char *scheme, *hostname, *path, *prefix;
	uint32_t port;
	uint32_t status_code; /* 0 or 301: moved permanently; 302: found */
};

struct dag_retry_policy {
	const char *retry_on; /* comma-separated */
	uint32_t num_retries; /* always sent: 0 = no retries (count -1) */
	int64_t per_try_timeout_ms; /* DAG_TIMEOUT_DEFAULT: unset */
	uint32_t *retriable_status_codes;
	size_t nretriable_status_codes;
	/* Appended: Gateway API's retry.backoff, Envoy's base_interval;
	 * 0: Envoy's default. */
	int64_t backoff_base_ms;
};

struct dag_hash_policy {
	enum {
		DAG_HASH_HEADER,
		DAG_HASH_QUERY,
		DAG_HASH_COOKIE,
		DAG_HASH_SOURCE_IP,
	} kind;
	const char *name; /* header, query parameter or cookie name */
	bool terminal;
	int64_t cookie_ttl_ms;
	const char *cookie_path;
};

struct dag_local_ratelimit {
	uint32_t max_tokens, tokens_per_fill;
	uint32_t status_code; /* 0 = Envoy's 429 */
	int64_t fill_interval_ms;
	struct dag_header_value *response_headers; /* sorted by key */
	size_t nresponse_headers;
};

struct dag_cidr {
	const char *prefix; /* the network address, "10.0.0.0" */
	uint32_t len;
	bool remote; /* source Remote (X-Forwarded-For aware), else Peer */
};

struct dag_ip_filter {
	bool allow; /* ipAllowPolicy; else ipDenyPolicy */
	struct dag_cidr *rules;
	size_t n;
};

struct dag_cors_origin {
	const char *value;
	bool regex;
};

struct dag_cors {
	struct dag_cors_origin *origins;
	size_t norigins;
	const char *allow_methods, *allow_headers, *expose_headers; /* joined by "," */
	const char *max_age; /* seconds as text; NULL: Envoy's default */
	bool allow_credentials, allow_private_network;
};

/* One mirror of a route with the share of requests it gets (Gateway API's
 * RequestMirror percent or fraction): numerator over denominator, which is
 * 100, 10000 or 1000000 (Envoy's FractionalPercent). */
struct dag_mirror {
	struct dag_cluster *cluster;
	uint32_t numerator, denominator;
};

/* Gateway API's sessionPersistence (GEP-1619): Envoy's stateful_session
 * filter on this route, tracking the upstream host in a cookie or a
 * header named name. */
struct dag_session {
	const char *name;
	bool header; /* HeaderBasedSessionState; else CookieBasedSessionState */
	const char *path; /* the cookie's Path (from the route's match) */
	int64_t ttl_ms; /* the cookie's Max-Age; -1: a session cookie */
};

/* The enums and uint32s in pairs and the bools together, between the
 * pointers: no padding (tests/unit/dag_test bounds the size; a bench
 * file's group holds five routes). */
/* What few routes set (the policies of a route beyond its match and its
 * clusters), out of struct dag_route so that a route without them does not
 * carry their words: NULL there reads as every member zero
 * (dag_route_rare). Never written in place: a route's copies share it, so
 * dag_route_rare_set gives the route a copy of its own to change. */
struct dag_route_rare {
	uint32_t mirror_percent;
	const char *direct_body; /* DAG_ACTION_DIRECT */
	struct dag_redirect *redirect; /* DAG_ACTION_REDIRECT */
	struct dag_cluster *mirror;
	struct dag_retry_policy *retry;
	struct dag_hash_policy *hash_policies;
	size_t nhash_policies;
	const char *prefix_rewrite;
	struct dag_local_ratelimit *ratelimit;
	struct dag_ip_filter *ip_filter;
	struct dag_internal_redirect *internal_redirect;
	struct dag_cookie_rewrite *cookie_rewrites;
	size_t ncookie_rewrites;
	/* rateLimitPolicy.global (ratelimit.c): the route's descriptors, or
	 * NULL; disabled: the host's do not apply to this route. */
	const struct dag_global_ratelimit *global_ratelimit;
	/* The JWT requirement (a provider of the virtual host) this route's
	 * requests must meet on the TLS listener; NULL: none. */
	const char *jwt_provider;
	/* Gateway API's URLRewrite ReplaceFullPath (and ReplacePrefixMatch
	 * where a prefix rewrite cannot say it): Envoy's regex_rewrite. NULL:
	 * none. */
	const char *regex_rewrite, *regex_substitution;
	/* Gateway API's RequestMirror filters (several, each with its share)
	 * and CORS filter (the route's own CorsPolicy). */
	struct dag_mirror *mirrors;
	size_t nmirrors;
	struct dag_cors *cors;
	/* Gateway API's sessionPersistence; NULL: none. */
	struct dag_session *session;
};

struct dag_route {
	enum dag_path_match path_kind;
	uint32_t direct_status; /* used when nclusters == 0 (503: no service) */
	const char *path;
	struct dag_header_match *headers;
	size_t nheaders;
	struct dag_weighted_cluster *clusters; /* empty: direct response */
	size_t nclusters;
	size_t order; /* position in the source, for a stable sort */
	struct dag_query_match *queries;
	size_t nqueries;
	enum dag_route_action action;
	bool permit_insecure; /* recorded for TLS hosts (HTTPProxy) */
	/* TLS hosts: on port 80 this route redirects to https (an HTTPProxy
	 * route without permitInsecure); on ingress_https it forwards. */
	bool https_upgrade;
	/* Only on ingress_https (an Ingress TLS host with allow-http false). */
	bool secure_only;
	bool segment_prefix; /* DAG_PATH_PREFIX matching whole segments (Ingress) */
	bool websocket;
	bool auth_disabled; /* authPolicy.disabled (see auth_context) */
	bool auth_policy_set; /* the route has its own authPolicy */
	int64_t timeout_ms, idle_timeout_ms; /* DAG_TIMEOUT_DEFAULT: unset */
	struct dag_headers_policy *request_headers, *response_headers;
	/* External authorization (extension.c), on the host's https routes
	 * only: authPolicy.disabled, or the context extensions sent to the
	 * authorization server (sorted by key; the host's merged with the
	 * route's). */
	struct dag_header_value *auth_context;
	size_t nauth_context;
	const struct dag_route_rare *rare; /* NULL: none set */
};

extern const struct dag_route_rare dag_route_rare_none;

/* The route's rarely set policies; every member zero when it has none. */
static inline const struct dag_route_rare *
dag_route_rare(const struct dag_route *r)
{
	return r->rare != NULL ? r->rare : &dag_route_rare_none;
}

/* A copy of r's rarely set policies in a, now r's, to change: the one r
 * had may be shared with r's copies. */
struct dag_route_rare *dag_route_rare_set(struct arena *a, struct dag_route *r);

/* r's rarely set member m = v, giving r its side struct only when v is set
 * (a route the builders ask for a policy it has not keeps none). */
#define DAG_ROUTE_RARE_PUT(a, r, m, v) do { \
	__typeof__(((struct dag_route_rare *)0)->m) rare_v_ = (v); \
	if (rare_v_ || dag_route_rare(r)->m) \
		dag_route_rare_set((a), (r))->m = rare_v_; \
} while (0)

/* One entry of a global rate limit descriptor (Contour's
 * RateLimitDescriptorEntry): an Envoy RateLimit action. */
struct dag_rl_entry {
	enum {
		DAG_RL_GENERIC_KEY,
		DAG_RL_REQUEST_HEADER,
		DAG_RL_HEADER_VALUE_MATCH,
		DAG_RL_REMOTE_ADDRESS,
	} kind;
	const char *key; /* generic key / descriptor key; NULL: Envoy's */
	const char *value; /* generic key value / header name / match value */
	struct dag_header_match *headers; /* HEADER_VALUE_MATCH */
	size_t nheaders;
	bool expect_match;
};

struct dag_rl_descriptor {
	struct dag_rl_entry *entries;
	size_t n;
};

struct dag_global_ratelimit {
	struct dag_rl_descriptor *descriptors;
	size_t n;
	bool disabled;
};

/* Contour's InternalRedirectPolicy. */
struct dag_internal_redirect {
	uint32_t max_internal_redirects; /* 0: Envoy's default (1) */
	const uint32_t *redirect_response_codes;
	size_t nredirect_response_codes;
	bool allow_cross_scheme; /* Always and SafeOnly */
	bool safe_cross_scheme; /* SafeOnly: the safe_cross_scheme predicate */
	bool deny_repeated_route; /* the previous_routes predicate */
};

struct dag_vhost {
	const char *fqdn;
	const char *proxy_namespace, *proxy_name; /* the root that owns it */
	struct dag_route *routes; /* sorted per SPEC §7 */
	size_t nroutes;
	/* Appended after the original layout: */
	enum obj_kind owner_kind; /* HTTPProxy, or Ingress for Ingress-only hosts */
	struct dag_cors *cors;
	struct dag_local_ratelimit *ratelimit;
	struct dag_ip_filter *ip_filter;
	/* Ingress spec.tls: recorded for the TLS listener (not built yet). */
	const char *tls_secret_namespace, *tls_secret_name;
	const char *tls_minimum_version; /* projectcontour.io/tls-minimum-protocol-version */
	/* The secure virtual host on ingress_https; NULL: HTTP only. */
	struct dag_tls *tls;
	/* rateLimitPolicy.global, or the default of rate-limit-service. */
	const struct dag_global_ratelimit *global_ratelimit;
	/* virtualhost.jwtProviders (TLS hosts only), in the order written. */
	struct dag_jwt_provider *jwt_providers;
	size_t njwt_providers;
};

/* A JWT provider of a virtual host: Envoy's JwtProvider with a remote JWKS
 * fetched through cluster. */
struct dag_jwt_provider {
	const char *name, *issuer; /* issuer NULL: not checked */
	char *const *audiences;
	size_t naudiences;
	const char *uri;
	int64_t timeout_ms;
	int64_t cache_duration_ms; /* -1: Envoy's default */
	bool forward;
	const struct dag_cluster *cluster;
};

/* --- Gateway API (gateway.c, docs/gateway-api.md) ------------------------
 *
 * A served Gateway becomes one Envoy listener per port, named
 * gw/<namespace>/<name>/<port>, whose RouteConfiguration has the same name;
 * its virtual hosts are the hostnames its listeners on that port accept,
 * intersected with the hostnames of the routes attached to them. */

/* One filter chain of a Gateway port of protocol HTTPS, TLS or TCP
 * (gateway_tls.c): matched by SNI, terminating TLS with the listener's
 * certificates or passing it through, then the port's routes (HTTPS) or
 * a TCP proxy (TLSRoute, TCPRoute). */
struct dag_gw_chain {
	const char *server_name; /* SNI to match; NULL: any */
	const struct dag_secret **certificates; /* none: TLS passthrough or TCP */
	size_t ncertificates;
	const struct dag_secret *client_ca; /* frontend validation, or NULL */
	bool client_optional; /* AllowInsecureFallback */
	const char *minimum_version, *maximum_version; /* "1.2", "1.3" */
	struct dag_tcpproxy *tcpproxy; /* TLSRoute, TCPRoute; NULL: HTTP routes */
};

/* One port of a Gateway: its HTTP listeners' hosts. */
struct dag_gw_port {
	uint32_t port;
	const char *name; /* gw/<ns>/<gateway>/<port> */
	const char *protocol; /* "HTTP", "HTTPS", "TLS", "TCP" */
	struct dag_vhost *vhosts; /* sorted by fqdn; routes in precedence order */
	size_t nvhosts;
	/* Appended: HTTPS, TLS, TCP ports (none for HTTP), server_name
	 * sorted, the chain without one last. */
	struct dag_gw_chain *chains;
	size_t nchains;
};

struct dag_gateway {
	const char *namespace, *name;
	const char *address; /* spec.addresses[0] of type IPAddress, or "0.0.0.0" */
	struct dag_gw_port *ports; /* sorted by port */
	size_t nports;
};

/* Status in Gateway API's own shape (SPEC.md §5a). */
struct dag_gw_condition {
	const char *type; /* Accepted, Programmed, ResolvedRefs, Conflicted */
	bool status; /* "True" / "False" */
	const char *reason, *message;
};

struct dag_gw_listener_status {
	const char *name;
	uint32_t attached_routes;
	const char **supported_kinds; /* route kinds, group gateway.networking.k8s.io */
	size_t nsupported_kinds;
	struct dag_gw_condition *conditions;
	size_t nconditions;
};

struct dag_gw_parent_status {
	const char *group, *kind, *namespace, *name, *section_name;
	uint32_t port; /* 0: not given */
	struct dag_gw_condition *conditions;
	size_t nconditions;
};

struct dag_gw_status {
	struct dag_gw_condition *conditions;
	size_t nconditions;
	struct dag_gw_listener_status *listeners; /* Gateway */
	size_t nlisteners;
	struct dag_gw_parent_status *parents; /* routes */
	size_t nparents;
};

#define DAG_GATEWAY_CONTROLLER "cairn.io/gateway-controller"

/* --- TLS (secrets.c, vhost_tls.c) ------------------------------------------ */

enum dag_secret_type {
	DAG_SECRET_TLS_CERTIFICATE, /* certificate chain and private key */
	DAG_SECRET_VALIDATION, /* trusted CA and/or CRL */
};

struct dag_bytes {
	const uint8_t *data;
	size_t len;
};

/* One SDS Secret. Its name is stable (SPEC §7): a rotated certificate is a
 * new version of the same name, and no listener changes. Names:
 *   <ns>/<name>           the Secret itself: a kubernetes.io/tls Secret's
 *                         certificate, or an Opaque Secret's ca.crt/crl.pem
 *   <ns>/<name>/ca        the ca.crt of a kubernetes.io/tls Secret
 *   <ca name>+crl:<ns>/<name>  a CA and the CRL of another Secret */
struct dag_secret {
	const char *name;
	enum dag_secret_type type;
	struct dag_bytes certificate_chain, private_key; /* TLS certificate */
	struct dag_bytes trusted_ca, crl; /* validation context */
};

struct dag_client_validation {
	const struct dag_secret *ca; /* NULL: no CA (skipClientCertValidation) */
	bool skip_verification; /* accept untrusted certificates */
	bool optional; /* optionalClientCertificate */
	bool only_verify_leaf_crl;
	bool forward; /* forwardClientCertificate given */
	bool forward_subject, forward_cert, forward_chain, forward_dns, forward_uri;
};

/* spec.tcpproxy: a tcp_proxy filter chain instead of HTTP. */
struct dag_tcpproxy {
	struct dag_weighted_cluster *clusters;
	size_t nclusters;
};

/* The secure side of a virtual host (Contour's SecureVirtualHost). */
struct dag_tls {
	const struct dag_secret *secret; /* NULL: passthrough */
	const char *minimum_version, *maximum_version; /* "1.2" or "1.3" */
	const struct dag_secret *fallback; /* enableFallbackCertificate */
	struct dag_client_validation *client_validation;
	struct dag_tcpproxy *tcpproxy;
	bool passthrough;
	struct dag_ext_auth *ext_auth; /* virtualhost.authorization, or NULL */
};

/* Contour's ExternalAuthorization: the ext_authz filter of a TLS host. */
struct dag_ext_auth {
	const struct dag_cluster *cluster; /* extension/<ns>/<name> */
	int64_t timeout_ms; /* DAG_TIMEOUT_DEFAULT: Envoy's 200ms; 0: none */
	bool fail_open;
	bool with_body; /* withRequestBody given */
	uint32_t max_request_bytes; /* Contour's default 1024 */
	bool allow_partial_message, pack_as_bytes;
};

/* A block of an assembled DAG's array (struct dag vhost_chunks etc.,
 * parts_assemble.c): shared by reference between consecutive assembled
 * DAGs and never written once made. */
struct dag_chunk {
	atomic_uint refs; /* owners beyond the first */
	size_t n;
	/* Of a hosts' chunk: some host has tls (the HTTPS loops pass a
	 * chunk without one unread, dag_cursor_next_tls). */
	bool tls;
	/* n elements, aligned for the structs they are (a host holds
	 * pointers and 64-bit counts). */
	_Alignas(max_align_t) unsigned char data[];
};
struct dag_chunks {
	struct dag_chunk **c;
	size_t *start; /* index of chunk i's first element; n + 1 entries */
	size_t n;
};

struct dag {
	struct arena arena;
	struct dag_vhost *vhosts; /* sorted by fqdn */
	size_t nvhosts;
	struct dag_cluster **clusters; /* sorted by name, unique */
	size_t nclusters;
	struct dag_endpoints **endpoints; /* sorted by name, unique */
	size_t nendpoints;
	struct dag_object_status *statuses; /* sorted by kind, namespace, name */
	size_t nstatuses;
	/* Appended: TLS. */
	struct dag_secret **secrets; /* referenced ones, sorted by name, unique */
	size_t nsecrets;
	/* Files of file-backed Secrets as written (absolute), sorted, unique:
	 * a change to any of them must rebuild (tls_watch_set). */
	const char **tls_files;
	size_t ntls_files;
	/* Appended: incremental builds (parts.c). Owners beyond the first
	 * (dag_ref); a DAG assembled from parts points into them and keeps
	 * them alive as parts_borrowed (below) says. */
	atomic_uint refs;
	struct dag **parts;
	size_t nparts;
	size_t nparts_built; /* of parts: built by this build, not reused */
	/* Appended: Gateway API (gateway.c): served Gateways, sorted by
	 * namespace/name. */
	struct dag_gateway *gateways;
	size_t ngateways;
	/* Appended: certificate expiry. 0, or the Unix time from which a
	 * build would give other expiry statuses: a kept part is built again
	 * from then on (parts.c). */
	int64_t valid_until;
	/* Appended: the Gateway API route resolutions a group's DAG borrows
	 * (gateway_memo.c, kept between builds by its dag_cache): a reference to
	 * the holder of each, whose arena its routes, clusters and statuses
	 * point into. */
	struct dag **holds;
	size_t nholds;
	/* Appended: an assembled DAG (parts.c) takes no reference on each of
	 * its parts, so a change does not write to every part: the dag cache
	 * holds one per part, a part it lets go is handed to the last
	 * assembled DAG (retired, freed with it), and each assembled DAG
	 * holds the next one assembled (newer). A part thus lives as long as
	 * any assembled DAG that has it. */
	bool parts_borrowed;
	struct dag **retired;
	size_t nretired, retired_cap;
	struct dag *newer;
	/* Appended: an assembled DAG whose parts are as many as those of the
	 * one assembled before it (the DAG whose newer it is) knows where
	 * they differ (parts_changed_known): the positions of parts_changed,
	 * ascending, in its arena. A reader of both (serve's record of the
	 * statuses) looks at those places alone. */
	bool parts_changed_known;
	const size_t *parts_changed;
	size_t nparts_changed;
	/* Appended: how many statuses have each enum dag_status, when known
	 * (status_counts_known): dag_count_status reads them instead of
	 * walking every status. The parts of an incremental build have them,
	 * and its assembled DAG has the last one's, moved by the changed
	 * parts' (parts.c). */
	bool status_counts_known;
	size_t status_counts[3];
	/* Appended: how many hosts have a TLS part (vh->tls != NULL), when
	 * known (tls_hosts_known): set with the status counts, for parts
	 * and assembled DAGs alike (parts.c). A translation of a DAG known
	 * to have none makes nothing for ingress_https and skips its walks
	 * over every host (translate_https). */
	bool tls_hosts_known;
	size_t tls_hosts;
	/* Appended: how many clusters and endpoints, at most, are not
	 * gateway_only, when known (plain_known): build_with counts a
	 * group's (all but those it made for Gateway routes), an assembled
	 * DAG sums its parts' as it does tls_hosts. A translation of the
	 * default snapshot from a DAG known to have none skips its walks
	 * over every cluster and endpoints (translate_clusters,
	 * translate_endpoints), each of which would read the object only
	 * to leave it out. */
	bool plain_known;
	size_t plain;
	/* Appended: an assembled DAG's statuses (parts_statuses.c) are in
	 * chunks that consecutive assembled DAGs share (status_chunks !=
	 * NULL, statuses NULL then): a change copies only the chunks its
	 * statuses fall in. Every reader goes through dag_status_at or a
	 * struct dag_status_iter, which read both forms. chunk_start[c] is
	 * the index of chunk c's first status (nstatus_chunks + 1 entries). */
	struct dag_status_chunk **status_chunks;
	size_t *status_chunk_start;
	size_t nstatus_chunks;
	/* Appended: an assembled DAG's hosts, clusters and endpoints
	 * (parts_assemble.c) are in chunks shared with the last assembled
	 * DAG as its statuses are; vhosts, clusters and endpoints are NULL
	 * then (nvhosts etc. still count them), so that a reader of the flat
	 * arrays fails at once. A group's DAG and a fresh build's keep the
	 * flat arrays (the Gateway builders write and read those). Readers
	 * of a DAG that may be assembled go through dag_vhost_at and the
	 * others, a struct dag_cursor, or dag_array_search. */
	struct dag_chunks vhost_chunks, cluster_chunks, endpoint_chunks;
	/* Appended: an assembled DAG's parts are in chunks of
	 * DAG_PART_CHUNK pointers (part_chunks != NULL, parts NULL then),
	 * shared with the last assembled DAG where no part of the chunk
	 * changed: a change copies the chunks of its parts, not every
	 * part pointer (800 KB at 100,000 parts). Readers go through
	 * dag_part_at, which reads both forms. */
	struct dag_part_chunk **part_chunks;
};

#define DAG_PART_CHUNK 512

/* DAG_PART_CHUNK parts of an assembled DAG (the last chunk may hold
 * fewer), never written once made. */
struct dag_part_chunk {
	atomic_uint refs; /* owners beyond the first */
	struct dag *p[DAG_PART_CHUNK];
};

/* Part i (< nparts) of a DAG assembled from parts: O(1) in either
 * form. */
static inline struct dag *
dag_part_at(const struct dag *dag, size_t i)
{
	if (dag->part_chunks == NULL)
		return dag->parts[i];
	return dag->part_chunks[i / DAG_PART_CHUNK]->p[i % DAG_PART_CHUNK];
}

/* Element i (< the count) of an assembled or flat array: O(1) for a
 * flat one, a binary search over the chunks for an assembled one. */
const struct dag_vhost *dag_vhost_at(const struct dag *dag, size_t i);
struct dag_cluster *dag_cluster_at(const struct dag *dag, size_t i);
struct dag_endpoints *dag_endpoints_at(const struct dag *dag, size_t i);

/* A walk over one of dag's arrays (DAG_ARRAY_*) in either form: the
 * chunk of the last element read is kept, so reading in order costs
 * O(1) an element. span (when not NULL) gets how many elements lie
 * together from i (up to the end of its chunk): a run read as one
 * block must not pass it. */
enum { DAG_ARRAY_VHOSTS, DAG_ARRAY_CLUSTERS, DAG_ARRAY_ENDPOINTS };
struct dag_cursor {
	const struct dag_chunks *ch; /* NULL: flat */
	const unsigned char *base; /* element lo */
	size_t lo, hi, chunk, elem, total;
};
void dag_cursor_init(struct dag_cursor *c, const struct dag *dag, int which);
const void *dag_cursor_slow(struct dag_cursor *c, size_t i);
static inline const void *
dag_cursor_at(struct dag_cursor *c, size_t i, size_t *span)
{
	const void *p = i >= c->lo && i < c->hi ?
	    c->base + (i - c->lo) * c->elem : dag_cursor_slow(c, i);

	if (span != NULL)
		*span = c->hi - i;
	return p;
}

/* For a cursor over the hosts: the first index from i (at most the
 * count) that may be a host with tls, every host of a chunk with none
 * passed unread; i itself for a flat array. */
size_t dag_cursor_next_tls(struct dag_cursor *c, size_t i);

/* The first element of array which (sorted) that cmp(key, element)
 * does not put after key: sorted_search over either form. */
size_t dag_array_search(const struct dag *dag, int which, const void *key,
    int (*cmp)(const void *key, const void *elem));

/* Status i (< dag->nstatuses) of dag, in order: O(1) for a built DAG,
 * a binary search over the chunks for an assembled one. */
const struct dag_object_status *dag_status_at(const struct dag *dag,
    size_t i);

/* Every status of a DAG in order:
 *   struct dag_status_iter it;
 *   dag_status_iter_init(&it, dag);
 *   while ((st = dag_status_next(&it)) != NULL) ... */
struct dag_status_iter {
	const struct dag *dag;
	size_t chunk, i;
};
void dag_status_iter_init(struct dag_status_iter *it, const struct dag *dag);
const struct dag_object_status *dag_status_next(struct dag_status_iter *it);

/* Statuses counted by kind and status, and the Secrets among them with
 * a certificate (not_after set): what the admin endpoint's counters read,
 * summed over a DAG's spans instead of over every status. */
#define DAG_NSTATUSES (DAG_STATUS_ORPHANED + 1)
struct dag_status_tally {
	uint32_t by_kind[OBJ_KIND_COUNT][DAG_NSTATUSES];
	uint32_t ncerts;
};
/* Count s[0..n) into t (zero it first for a fresh count). */
void dag_status_tally_add(struct dag_status_tally *t,
    const struct dag_object_status *s, size_t n);

/* dag's statuses span by span, for a reader that keeps what it made of
 * a span from one build to the next: an assembled DAG's spans are its
 * status chunks, never written once made and shared with the next DAG
 * while none of their statuses changes. A span's serial is its chunk's,
 * never another chunk's in this process, so a serial the last build had
 * holds the same statuses (their strings, the parts', live as long as
 * this DAG). A DAG built whole is one span of serial 0 (not kept).
 * nconditions: of the span's statuses, counted when the chunk was made.
 *   for (size_t c = 0; dag_status_span_at(dag, c, &span); c++) ...  */
struct dag_status_span {
	const struct dag_object_status *s;
	size_t n, nconditions;
	uint64_t serial;
	/* The span's objects by kind and status, counted when the chunk was
	 * made; NULL for a DAG built whole (dag_status_tally_add them). */
	const struct dag_status_tally *tally;
};
bool dag_status_span_at(const struct dag *dag, size_t c,
    struct dag_status_span *out);

/* The served Gateway ns/name of dag, or NULL. */
const struct dag_gateway *dag_gateway_find(const struct dag *dag,
    const char *ns, const char *name);

struct cairn_config;
struct fqdn_ledger;
struct tls_material;
struct config_fqdn_owner;
struct config_global_ext_auth;
struct hp_global_ratelimit;

/* The parts of cairn.yaml the DAG reads, and nothing else: filled in one
 * place (dag_options_from_config, options.c), hashed by
 * dag_options_fingerprint. Every member is 8 bytes wide so that the size
 * assert there notices a new one. Pointers borrow from the config. */
struct dag_options {
	uint64_t regex_max_program_size; /* envoy.regex-max-program-size */
	uint64_t dns_family; /* enum dag_dns_family: ExternalName, JWKS */
	uint64_t allow_external_name; /* bool: policy.allow-external-name */
	char *const *root_namespaces; /* policy.root-namespaces; none = any */
	size_t nroot_namespaces;
	const struct config_fqdn_owner *fqdn_owners; /* policy.fqdn-owners */
	size_t nfqdn_owners;
	const char *tls_minimum_version, *tls_maximum_version; /* "1.2" */
	/* envoy.tls.fallback-certificate; NULL or "" = none */
	const char *fallback_namespace, *fallback_name;
	/* global-ext-auth, NULL when it names no ExtensionService. */
	const struct config_global_ext_auth *global_ext_auth;
	/* rate-limit-service.default-global-rate-limit-policy, or NULL. */
	const struct hp_global_ratelimit *default_global_ratelimit;
};

/* The options of cfg; NULL gives the defaults of a build without a
 * cairn.yaml (any root namespace, ExternalName allowed, TLS 1.2-1.3). */
void dag_options_from_config(struct dag_options *out,
    const struct cairn_config *cfg);
uint64_t dag_options_fingerprint(const struct dag_options *o);

/* Build the graph of objs. Never fails: problems become statuses. opts
 * (borrowed for the build only; NULL = the defaults, as
 * dag_options_from_config(NULL) gives them) is all the DAG reads of the
 * configuration: callers fill it once where they read cairn.yaml. */
struct dag *dag_build(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts);
/* dag_build, with the first-seen order of FQDN claims (dag/owners.h;
 * NULL = none seen yet: path order decides, SPEC §6a). */
struct dag *dag_build_owned(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const struct fqdn_ledger *owners);
/* dag_build_owned with the certificate material of file-backed Secrets
 * (tls/tls.h), read before the build: the DAG reads no file. NULL
 * material makes every file-backed Secret not valid. */
struct dag *dag_build_material(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    const struct tls_material *material);
/* Appends to *paths the files the Secrets among objs name (repeats
 * possible): what to read with tls_material_update before a build. */
void dag_secret_files(struct object *const *objs, size_t nobjs,
    const char ***paths, size_t *n, size_t *cap);
/* Drops one owner; the last frees the DAG. */
void dag_free(struct dag *dag);
/* One more owner. */
struct dag *dag_ref(struct dag *dag);

/* --- incremental builds (parts.c) ------------------------------------------
 *
 * Objects fall into groups that cannot affect each other's meaning: the
 * files of a namespace, of namespaces an include crosses, of the roots
 * and Ingresses that name one FQDN; every file with TLS (Secrets,
 * delegations, TLS hosts, upstream validation) is in one group. The DAG
 * of all objects is the union of the DAGs of the groups, each sorted, so
 * a group whose files did not change keeps the DAG built last time.
 * The group with TLS is kept too, keyed also by the hash of the
 * certificate material (dag_cache_set_material), and built again once
 * the clock reaches its valid_until (certificate expiry). */

/* The objects of one file, identified by id: a new id for every new
 * version of the file (ids are never reused). */
struct dag_unit {
	uint64_t id;
	struct object *const *objs;
	size_t nobjs;
};

struct dag_cache; /* the groups' DAGs of the last build */

struct dag_cache_stats {
	size_t groups, reused, built; /* of the last build */
	/* HTTPRoutes of the groups built that keep resolutions (gateway_memo.c:
	 * not the TLS group): resolved again, or taken as the last
	 * resolution of the same file with the same Gateways, Services,
	 * Namespaces and ReferenceGrants. */
	size_t gw_routes_resolved, gw_routes_kept;
	/* Neighbours of the Gateway API groups' objects compared by content
	 * to find them in order (the others were neighbours where the last
	 * build kept them: gw_memo_order_sorted). */
	size_t gw_order_compared;
	/* Gateway API groups that patched the namespaces' contexts of the
	 * last build (few of their Services, Endpoints... changed). */
	size_t gw_contexts_reused;
	/* Gateway API groups whose routes' part was patched from the
	 * group's last build (gateway_memo.c gw_patch_begin): the routes
	 * that changed handed to the build, the others' runs, listener
	 * counts, clusters and endpoints taken as they were. */
	size_t gw_routes_patched;
	/* The statuses were the last build's patched with the changed
	 * parts' (no walk of the unchanged parts). */
	bool statuses_patched;
	/* Runs of unchanged parts copied from the last assembly as one
	 * block each (parts.c, patch_runs), summed over the arrays. */
	size_t blocks;
	/* Only the groups of the changed files were looked at (parts.c,
	 * parts_build_changed): the others are the last build's parts. */
	bool fast;
	/* Parts the cache holds after the build (one per part used). */
	size_t cached;
	/* Groups of a cold build built by the pool of threads
	 * (dag_cache_set_threads, parts_parallel.c). */
	size_t parallel;
	/* The assembled DAG's chunks of statuses (parts_statuses.c), and
	 * how many of them were made by this build rather than shared with
	 * the last one. */
	size_t status_chunks, status_chunks_made;
};

struct dag_cache *dag_cache_new(void);
void dag_cache_free(struct dag_cache *c);
/* The DAG of every unit's objects (units in a fixed order, the order
 * dag_build would get their objects in): equal to dag_build of them all.
 * The objects of the last build's units must still be there during the
 * next build (the cache looks up their statuses to patch them out). */
struct dag *dag_build_units(const struct dag_unit *units, size_t nunits,
    const struct dag_options *opts, struct dag_cache *c);
/* dag_build_units with the order of FQDN claims (equal to
 * dag_build_owned of them all). */
struct dag *dag_build_units_owned(const struct dag_unit *units, size_t nunits,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    struct dag_cache *c);
/* The next dag_build_units_owned's units are the last build's, as many
 * and at the same indexes, except perhaps those at idx[0..n) (any order):
 * its check of the grouping reads those alone instead of every unit's id.
 * For that one build; with CAIRN_DAG_VERIFY every id is compared too and
 * a unit changed outside idx aborts. */
void dag_cache_units_changed(struct dag_cache *c, const size_t *idx,
    size_t n);
struct dag_cache_stats dag_cache_stats(const struct dag_cache *c);
/* The certificate material the next builds use (borrowed; NULL = none):
 * read by the caller before each build (tls_material_update). */
/* Threads that may build the groups of a build with nothing cached (a
 * startup): 0 or 1 (the default) = the calling thread only. Groups with
 * Gateway API objects or TLS stay on the calling thread. */
void dag_cache_set_threads(struct dag_cache *c, size_t threads);
void dag_cache_set_material(struct dag_cache *c,
    const struct tls_material *material);

/* Checks object_keys (parts.c) against the processors: builds each object
 * of objs alone, then all of them as one group, recording every
 * cross-object lookup (a namespace's HTTPProxies, Services or Endpoints,
 * a virtual host's FQDN, a Secret), and checks that each lookup's key is
 * among the object_keys of the object that made it (alone) or of objs
 * (together). NULL when it is; else a message in buf naming the object,
 * what was looked up and the key.
 * Objects of kind omit contribute only their own namespace's key (tests:
 * a forgotten key; OBJ_KIND_COUNT omits nothing). CAIRN_DAG_VERIFY=1 in
 * the environment checks every group an incremental build builds and
 * aborts on a miss. */
const char *dag_verify_object_keys(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, int omit, char *buf, size_t len);

const char *dag_status_name(enum dag_status s);
size_t dag_count_status(const struct dag *dag, enum dag_status s);

#endif
