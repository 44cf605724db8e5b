/* Schema tables of the policies of an HTTPProxy route or service:
 * headers, cookie rewrites, slow start, services, timeouts, retries,
 * health checks, load balancing and hashing, path rewrites, redirects,
 * direct responses, local rate limits, IP filters, CORS and internal
 * redirects, with the format checks the CRD applies to their strings. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "util/duration.h"
#include "util/xalloc.h"

/* Contour's timeouts: a Go duration, or "infinity" to disable. */
static const char *
kinds_check_timeout(const char *s)
{
	const char *why;
	int64_t ms;

	if (*s == '\0' || strcmp(s, "infinity") == 0 || strcmp(s, "infinite") == 0)
		return NULL;
	if (duration_parse_ms(s, &ms, &why) < 0)
		return "must be a duration such as \"30s\" or \"1m30s\", or \"infinity\"";
	return NULL;
}

static const char *
kinds_check_duration(const char *s)
{
	const char *why;
	int64_t ms;

	if (duration_parse_ms(s, &ms, &why) < 0)
		return why;
	return NULL;
}

/* An IP address or a CIDR range ("10.0.0.0/8", "2001:db8::/32"). */
static const char *
kinds_check_cidr(const char *s)
{
	unsigned char buf[16];
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	int af, max;

	if (len == 0 || len >= sizeof ip)
		return "must be an IP address or a CIDR range such as \"10.0.0.0/8\"";
	memcpy(ip, s, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, buf) == 1) {
		af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, ip, buf) == 1) {
		af = AF_INET6;
		max = 128;
	} else {
		return "must be an IP address or a CIDR range such as \"10.0.0.0/8\"";
	}
	(void)af;
	if (slash != NULL) {
		const char *p = slash + 1;
		int bits = 0;

		if (*p == '\0')
			return "missing prefix length after \"/\"";
		for (; *p; p++) {
			if (*p < '0' || *p > '9' || bits > 128)
				return "the prefix length must be a number";
			bits = bits * 10 + (*p - '0');
		}
		if (bits > max)
			return af == AF_INET ? "the prefix length of an IPv4 range is at most 32" :
			    "the prefix length of an IPv6 range is at most 128";
	}
	return NULL;
}

static const struct schema_field kinds_header_value_fields[] = {
	F_STR("name", struct hp_header_value, name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, NULL),
	F_STR("value", struct hp_header_value, value, SCHEMA_REQUIRED, NULL),
};
static const struct schema_table kinds_header_value = SCHEMA_TABLE_ORIGIN(
    "header", struct hp_header_value, kinds_header_value_fields, NULL);

static const struct schema_field kinds_headers_policy_fields[] = {
	F_LIST("set", struct hp_headers_policy, set, nset, &kinds_header_value, 0),
	F_STRV("remove", struct hp_headers_policy, remove, nremove, 0),
	F_UNSUPPORTED("add"),
};
const struct schema_table kinds_headers_policy = SCHEMA_TABLE_ORIGIN(
    "headersPolicy", struct hp_headers_policy, kinds_headers_policy_fields, NULL);

static const char *const kinds_upstream_protocols[] = { "h2", "h2c", "tls", NULL };

/* Contour's CRD patterns for cookie rewrites: a cookie name is an RFC 6265
 * token; a path has no ';' or control character; a domain is a DNS name. */
static const char *
kinds_check_cookie_name(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?={}", *p) != NULL)
			return "must be a cookie name (no spaces, control characters "
			    "or ()<>@,;:\\\"/[]?={})";
	return NULL;
}

static const char *
kinds_check_cookie_path(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f || *p == ';')
			return "must not contain ';' or control characters";
	return NULL;
}

static const char *
kinds_check_cookie_domain(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.'))
			return "must be a domain name (letters, digits, '-' and '.')";
	return NULL;
}

static const struct schema_field kinds_cookie_path_fields[] = {
	F_STR("value", struct hp_cookie_rewrite, path,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, kinds_check_cookie_path),
};
static const struct schema_table kinds_cookie_path = SCHEMA_TABLE("pathRewrite",
    struct hp_cookie_rewrite, kinds_cookie_path_fields, NULL);

static const struct schema_field kinds_cookie_domain_fields[] = {
	F_STR("value", struct hp_cookie_rewrite, domain,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, kinds_check_cookie_domain),
};
static const struct schema_table kinds_cookie_domain = SCHEMA_TABLE(
    "domainRewrite", struct hp_cookie_rewrite, kinds_cookie_domain_fields, NULL);

static const char *const kinds_same_site[] = { "Strict", "Lax", "None", NULL };

/* pathRewrite and domainRewrite are decoded into the rewrite itself. */
static const struct schema_field kinds_cookie_rewrite_fields[] = {
	F_STR("name", struct hp_cookie_rewrite, name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, kinds_check_cookie_name),
	{ .key = "pathRewrite", .type = SCHEMA_OBJECT, .offset = 0,
	  .sub = &kinds_cookie_path, .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_cookie_rewrite, has_path) },
	{ .key = "domainRewrite", .type = SCHEMA_OBJECT, .offset = 0,
	  .sub = &kinds_cookie_domain, .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_cookie_rewrite, has_domain) },
	{ .key = "secure", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct hp_cookie_rewrite, secure), .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_cookie_rewrite, has_secure) },
	F_ENUMSTR("sameSite", struct hp_cookie_rewrite, same_site, 0,
	    kinds_same_site),
};
const struct schema_table kinds_cookie_rewrite = SCHEMA_TABLE_ORIGIN(
    "cookieRewritePolicy", struct hp_cookie_rewrite, kinds_cookie_rewrite_fields,
    NULL);

/* Contour's CRD pattern for slowStartPolicy.aggression. */
static const char *
kinds_check_decimal(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		const char *frac = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == frac)
			return "must be a decimal number such as \"1.0\" or \".5\"";
	} else if (p == s) {
		return "must be a decimal number such as \"1.0\" or \".5\"";
	}
	if (*p != '\0')
		return "must be a decimal number such as \"1.0\" or \".5\"";
	return NULL;
}

static const struct schema_field kinds_slow_start_fields[] = {
	F_STR("window", struct hp_slow_start, window, SCHEMA_REQUIRED,
	    kinds_check_duration),
	F_STR("aggression", struct hp_slow_start, aggression, 0,
	    kinds_check_decimal),
	{ .key = "minWeightPercent", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_slow_start, min_weight_percent),
	  .flags = SCHEMA_HAS, .min = 0, .max = 100,
	  .has_offset = offsetof(struct hp_slow_start, has_min_weight_percent) },
};
static const struct schema_table kinds_slow_start = SCHEMA_TABLE_ORIGIN(
    "slowStartPolicy", struct hp_slow_start, kinds_slow_start_fields, NULL);

static const struct schema_field kinds_service_ref_fields[] = {
	F_STR("name", struct hp_service, name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	F_PORT("port", struct hp_service, port, SCHEMA_REQUIRED),
	{ .key = "weight", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_service, weight), .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_service, has_weight) },
	F_ENUMSTR("protocol", struct hp_service_rare, protocol, SCHEMA_SIDE,
	    kinds_upstream_protocols),
	F_BOOL("mirror", struct hp_service, mirror),
	F_SIDE_PTR("requestHeadersPolicy", struct hp_service_rare,
	    request_headers, &kinds_headers_policy),
	F_SIDE_PTR("responseHeadersPolicy", struct hp_service_rare,
	    response_headers, &kinds_headers_policy),
	F_SIDE_PTR("validation", struct hp_service_rare, validation,
	    &kinds_upstream_validation),
	F_SIDE_LIST("cookieRewritePolicies", struct hp_service_rare,
	    cookie_rewrites, ncookie_rewrites, &kinds_cookie_rewrite),
	F_SIDE_PTR("slowStartPolicy", struct hp_service_rare, slow_start,
	    &kinds_slow_start),
	F_PORT("healthPort", struct hp_service_rare, health_port, SCHEMA_SIDE),
};
const struct schema_table kinds_service_ref = SCHEMA_TABLE_ORIGIN_SIDE(
    "service", struct hp_service, kinds_service_ref_fields, NULL, rare);

const struct hp_service_rare hp_service_rare_none;

static const struct schema_field kinds_timeout_fields[] = {
	F_STR("response", struct hp_timeout_policy, response, 0, kinds_check_timeout),
	F_STR("idle", struct hp_timeout_policy, idle, 0, kinds_check_timeout),
	F_STR("idleConnection", struct hp_timeout_policy, idle_connection, 0,
	    kinds_check_timeout),
};
const struct schema_table kinds_timeout = SCHEMA_TABLE_ORIGIN(
    "timeoutPolicy", struct hp_timeout_policy, kinds_timeout_fields, NULL);

static const char *const kinds_retry_on[] = { "5xx", "gateway-error", "reset",
	"connect-failure", "retriable-4xx", "refused-stream",
	"retriable-status-codes", "retriable-headers", "cancelled",
	"deadline-exceeded", "internal", "resource-exhausted", "unavailable",
	NULL };

/* A sequence of status codes into *codes and *n: each item an integer
 * allowed() accepts; what_many and what_one name them in the errors, and
 * refusal says why allowed() refused one. */
static void
kinds_status_code_list(struct schema_ctx *ctx, const struct ynode *node,
    const char *what_many, const char *what_one, bool (*allowed)(int64_t),
    const char *refusal, uint32_t **codes, size_t *n)
{
	if (node->type != YNODE_SEQUENCE) {
		schema_error(ctx, node, "expected a sequence of %s, got %s",
		    what_many, ynode_type_name(node));
		return;
	}
	*codes = ARENA_ARRAY(ctx->arena, uint32_t,
	    node->seq.n ? node->seq.n : 1);
	for (size_t i = 0; i < node->seq.n; i++) {
		const struct ynode *item = node->seq.items[i];
		size_t saved = schema_path_push_index(ctx, i);
		int64_t v;

		if (!ynode_is_int(item, &v))
			schema_error(ctx, item, "expected %s, got %s", what_one,
			    ynode_type_name(item));
		else if (!allowed(v))
			schema_error(ctx, item, "%lld %s", (long long)v, refusal);
		else
			(*codes)[(*n)++] = (uint32_t)v;
		schema_path_pop(ctx, saved);
	}
}

static bool
kinds_http_status(int64_t v)
{
	return v >= 100 && v <= 599;
}

/* A list of HTTP status codes (100..599). */
static void
kinds_status_codes(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct hp_retry_policy *rp = obj;

	(void)f;
	kinds_status_code_list(ctx, node, "HTTP status codes",
	    "an HTTP status code", kinds_http_status, "is out of range (100..599)",
	    &rp->retriable_status_codes, &rp->nretriable_status_codes);
}

static const struct schema_field kinds_retry_fields[] = {
	{ .key = "count", .type = SCHEMA_INT64,
	  .offset = offsetof(struct hp_retry_policy, count), .min = -1,
	  .max = INT32_MAX, .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_retry_policy, has_count) },
	F_STR("perTryTimeout", struct hp_retry_policy, per_try_timeout, 0,
	    kinds_check_duration),
	{ .key = "retryOn", .type = SCHEMA_STRING_LIST,
	  .offset = offsetof(struct hp_retry_policy, retry_on),
	  .count_offset = offsetof(struct hp_retry_policy, nretry_on),
	  .allowed = kinds_retry_on },
	{ .key = "retriableStatusCodes", .type = SCHEMA_CUSTOM,
	  .custom = kinds_status_codes },
};
const struct schema_table kinds_retry = SCHEMA_TABLE_ORIGIN(
    "retryPolicy", struct hp_retry_policy, kinds_retry_fields, NULL);

static void
kinds_status_range_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct hp_status_range *r = obj;

	if (r->start >= r->end)
		schema_error(ctx, map, "start (%lld) must be less than end (%lld): "
		    "the range is [start, end)", (long long)r->start,
		    (long long)r->end);
}

static const struct schema_field kinds_status_range_fields[] = {
	{ .key = "start", .type = SCHEMA_INT64, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct hp_status_range, start), .min = 100, .max = 599 },
	{ .key = "end", .type = SCHEMA_INT64, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct hp_status_range, end), .min = 101, .max = 600 },
};
static const struct schema_table kinds_status_range = SCHEMA_TABLE_ORIGIN(
    "expectedStatus", struct hp_status_range, kinds_status_range_fields,
    kinds_status_range_validate);

static const struct schema_field kinds_health_check_fields[] = {
	F_STR("path", struct hp_health_check, path,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, NULL),
	F_STR("host", struct hp_health_check, host, 0, NULL),
	{ .key = "intervalSeconds", .type = SCHEMA_INT64,
	  .offset = offsetof(struct hp_health_check, interval_seconds),
	  .min = 0, .max = 86400 },
	{ .key = "timeoutSeconds", .type = SCHEMA_INT64,
	  .offset = offsetof(struct hp_health_check, timeout_seconds),
	  .min = 0, .max = 86400 },
	{ .key = "unhealthyThresholdCount", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_health_check, unhealthy_threshold) },
	{ .key = "healthyThresholdCount", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_health_check, healthy_threshold) },
	F_LIST("expectedStatuses", struct hp_health_check, expected_statuses,
	    nexpected_statuses, &kinds_status_range, 0),
};
const struct schema_table kinds_health_check = SCHEMA_TABLE_ORIGIN(
    "healthCheckPolicy", struct hp_health_check, kinds_health_check_fields, NULL);

static const struct schema_field kinds_header_hash_fields[] = {
	F_STR("headerName", struct hp_hash_policy, header_name, SCHEMA_NONEMPTY, NULL),
};
static const struct schema_table kinds_header_hash = SCHEMA_TABLE(
    "headerHashOptions", struct hp_hash_policy, kinds_header_hash_fields, NULL);

static const struct schema_field kinds_query_hash_fields[] = {
	F_STR("parameterName", struct hp_hash_policy, parameter_name,
	    SCHEMA_NONEMPTY, NULL),
};
static const struct schema_table kinds_query_hash = SCHEMA_TABLE(
    "queryParameterHashOptions", struct hp_hash_policy, kinds_query_hash_fields,
    NULL);

/* The hash options are decoded into the policy itself: both tables write
 * fields of struct hp_hash_policy. */
static const struct schema_field kinds_hash_policy_fields[] = {
	F_BOOL("terminal", struct hp_hash_policy, terminal),
	{ .key = "headerHashOptions", .type = SCHEMA_OBJECT, .offset = 0,
	  .sub = &kinds_header_hash, .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_hash_policy, has_header) },
	{ .key = "queryParameterHashOptions", .type = SCHEMA_OBJECT, .offset = 0,
	  .sub = &kinds_query_hash, .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_hash_policy, has_parameter) },
	F_BOOL("hashSourceIP", struct hp_hash_policy, hash_source_ip),
};
static const struct schema_table kinds_hash_policy = SCHEMA_TABLE_ORIGIN(
    "requestHashPolicy", struct hp_hash_policy, kinds_hash_policy_fields, NULL);

static const char *const kinds_lb_strategies[] = { "RoundRobin",
	"WeightedLeastRequest", "Random", "Cookie", "RequestHash", NULL };

static const struct schema_field kinds_lb_policy_fields[] = {
	F_ENUMSTR("strategy", struct hp_lb_policy, strategy, 0, kinds_lb_strategies),
	F_LIST("requestHashPolicies", struct hp_lb_policy, hash_policies,
	    nhash_policies, &kinds_hash_policy, 0),
};
const struct schema_table kinds_lb_policy = SCHEMA_TABLE_ORIGIN(
    "loadBalancerPolicy", struct hp_lb_policy, kinds_lb_policy_fields, NULL);

static const struct schema_field kinds_replace_prefix_fields[] = {
	F_STR("prefix", struct hp_replace_prefix, prefix, 0, NULL),
	F_STR("replacement", struct hp_replace_prefix, replacement,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, NULL),
};
static const struct schema_table kinds_replace_prefix = SCHEMA_TABLE_ORIGIN(
    "replacePrefix", struct hp_replace_prefix, kinds_replace_prefix_fields, NULL);

static const struct schema_field kinds_path_rewrite_fields[] = {
	F_LIST("replacePrefix", struct hp_path_rewrite, replace_prefix,
	    nreplace_prefix, &kinds_replace_prefix, 0),
};
const struct schema_table kinds_path_rewrite = SCHEMA_TABLE_ORIGIN(
    "pathRewritePolicy", struct hp_path_rewrite, kinds_path_rewrite_fields, NULL);

static const char *const kinds_schemes[] = { "http", "https", NULL };

static void
kinds_redirect_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct hp_redirect *r = obj;

	if (r->status_code != 0 && r->status_code != 301 && r->status_code != 302)
		schema_error_at(ctx, ynode_get(map, "statusCode"), "statusCode",
		    "must be 301 or 302");
	if (r->path != NULL && r->path[0] != '/')
		schema_error_at(ctx, ynode_get(map, "path"), "path",
		    "must start with \"/\"");
	if (r->prefix != NULL && r->prefix[0] != '/')
		schema_error_at(ctx, ynode_get(map, "prefix"), "prefix",
		    "must start with \"/\"");
}

static const struct schema_field kinds_redirect_fields[] = {
	F_ENUMSTR("scheme", struct hp_redirect, scheme, 0, kinds_schemes),
	F_STR("hostname", struct hp_redirect, hostname, 0, schema_check_fqdn),
	F_PORT("port", struct hp_redirect, port, 0),
	{ .key = "statusCode", .type = SCHEMA_INT32,
	  .offset = offsetof(struct hp_redirect, status_code) },
	F_STR("path", struct hp_redirect, path, 0, NULL),
	F_STR("prefix", struct hp_redirect, prefix, 0, NULL),
};
const struct schema_table kinds_redirect = SCHEMA_TABLE_ORIGIN(
    "requestRedirectPolicy", struct hp_redirect, kinds_redirect_fields,
    kinds_redirect_validate);

static const struct schema_field kinds_direct_response_fields[] = {
	{ .key = "statusCode", .type = SCHEMA_INT32, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct hp_direct_response, status_code),
	  .min = 200, .max = 599 },
	F_STR("body", struct hp_direct_response, body, 0, NULL),
};
const struct schema_table kinds_direct_response = SCHEMA_TABLE_ORIGIN(
    "directResponsePolicy", struct hp_direct_response,
    kinds_direct_response_fields, NULL);

static const char *const kinds_ratelimit_units[] = { "second", "minute", "hour",
	NULL };

static const struct schema_field kinds_local_ratelimit_fields[] = {
	{ .key = "requests", .type = SCHEMA_UINT32, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct hp_local_ratelimit, requests),
	  .min = 1, .max = UINT32_MAX },
	F_ENUMSTR("unit", struct hp_local_ratelimit, unit, SCHEMA_REQUIRED,
	    kinds_ratelimit_units),
	{ .key = "burst", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_local_ratelimit, burst) },
	F_LIST("responseHeadersToAdd", struct hp_local_ratelimit, response_headers,
	    nresponse_headers, &kinds_header_value, 0),
	{ .key = "responseStatusCode", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_local_ratelimit, response_status_code),
	  .min = 400, .max = 599 },
};

/* The 4xx and 5xx codes of Envoy's envoy.type.v3.StatusCode: Envoy
 * refuses an HttpStatus with any other (defined_only). */
static const uint16_t kinds_envoy_error_codes[] = {
	400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413,
	414, 415, 416, 417, 421, 422, 423, 424, 426, 428, 429, 431, 500, 501,
	502, 503, 504, 505, 506, 507, 508, 510, 511,
};

static void
kinds_local_ratelimit_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct hp_local_ratelimit *l = obj;

	if (l->response_status_code == 0)
		return;
	for (size_t i = 0; i < sizeof kinds_envoy_error_codes /
	    sizeof kinds_envoy_error_codes[0]; i++)
		if (kinds_envoy_error_codes[i] == l->response_status_code)
			return;
	schema_error_at(ctx, ynode_get(map, "responseStatusCode"),
	    "responseStatusCode", "%u is not a status code Envoy knows (Envoy's "
	    "envoy.type.v3.StatusCode; 429 is the default)",
	    (unsigned)l->response_status_code);
}

static const struct schema_table kinds_local_ratelimit = SCHEMA_TABLE_ORIGIN(
    "local", struct hp_local_ratelimit, kinds_local_ratelimit_fields,
    kinds_local_ratelimit_validate);

static const struct schema_field kinds_ratelimit_fields[] = {
	F_PTR("local", struct hp_ratelimit_policy, local, &kinds_local_ratelimit),
	F_PTR("global", struct hp_ratelimit_policy, global, &kinds_global_ratelimit),
};
const struct schema_table kinds_ratelimit = SCHEMA_TABLE_ORIGIN(
    "rateLimitPolicy", struct hp_ratelimit_policy, kinds_ratelimit_fields, NULL);

static const char *const kinds_ip_sources[] = { "Peer", "Remote", NULL };

static const struct schema_field kinds_ip_filter_fields[] = {
	F_ENUMSTR("source", struct hp_ip_filter, source, SCHEMA_REQUIRED,
	    kinds_ip_sources),
	F_STR("cidr", struct hp_ip_filter, cidr, SCHEMA_REQUIRED, kinds_check_cidr),
};
const struct schema_table kinds_ip_filter = SCHEMA_TABLE_ORIGIN(
    "ipFilterPolicy", struct hp_ip_filter, kinds_ip_filter_fields, NULL);

static const struct schema_field kinds_cors_fields[] = {
	F_BOOL("allowCredentials", struct hp_cors_policy, allow_credentials),
	F_BOOL("allowPrivateNetwork", struct hp_cors_policy, allow_private_network),
	F_STRV("allowOrigin", struct hp_cors_policy, allow_origin, nallow_origin,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	F_STRV("allowMethods", struct hp_cors_policy, allow_methods, nallow_methods,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	F_STRV("allowHeaders", struct hp_cors_policy, allow_headers, nallow_headers, 0),
	F_STRV("exposeHeaders", struct hp_cors_policy, expose_headers,
	    nexpose_headers, 0),
	F_STR("maxAge", struct hp_cors_policy, max_age, 0, kinds_check_duration),
};
/* Keeps each allowOrigin item's place for the DAG's RE2 errors. */
static void
kinds_cors_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	struct hp_cors_policy *cp = obj;
	const struct ynode *seq = ynode_get(map, "allowOrigin");

	if (seq == NULL || seq->type != YNODE_SEQUENCE ||
	    seq->seq.n != cp->nallow_origin)
		return;
	cp->allow_origin_at = ARENA_ARRAY(ctx->arena, struct origin,
	    cp->nallow_origin + 1);
	for (size_t i = 0; i < cp->nallow_origin; i++) {
		cp->allow_origin_at[i].file = ctx->file;
		cp->allow_origin_at[i].line = seq->seq.items[i]->line;
		cp->allow_origin_at[i].col = seq->seq.items[i]->col;
	}
}

const struct schema_table kinds_cors = SCHEMA_TABLE_ORIGIN(
    "corsPolicy", struct hp_cors_policy, kinds_cors_fields, kinds_cors_validate);

static bool
kinds_redirect_status(int64_t v)
{
	return v == 301 || v == 302 || v == 303 || v == 307 || v == 308;
}

/* internalRedirectPolicy.redirectResponseCodes: Contour's enumeration. */
static void
kinds_redirect_codes(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct hp_internal_redirect *ir = obj;

	(void)f;
	kinds_status_code_list(ctx, node, "redirect status codes",
	    "a redirect status code", kinds_redirect_status,
	    "is not one of 301, 302, 303, 307, 308",
	    &ir->redirect_response_codes, &ir->nredirect_response_codes);
}

static const char *const kinds_cross_scheme[] = { "Always", "Never", "SafeOnly",
	NULL };

static const struct schema_field kinds_internal_redirect_fields[] = {
	{ .key = "maxInternalRedirects", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_internal_redirect, max_internal_redirects) },
	{ .key = "redirectResponseCodes", .type = SCHEMA_CUSTOM,
	  .custom = kinds_redirect_codes },
	F_ENUMSTR("allowCrossSchemeRedirect", struct hp_internal_redirect,
	    allow_cross_scheme_redirect, 0, kinds_cross_scheme),
	F_BOOL("denyRepeatedRouteRedirect", struct hp_internal_redirect,
	    deny_repeated_route_redirect),
};
const struct schema_table kinds_internal_redirect = SCHEMA_TABLE_ORIGIN(
    "internalRedirectPolicy", struct hp_internal_redirect,
    kinds_internal_redirect_fields, NULL);
