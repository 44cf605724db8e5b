/* Schema tables of HTTPProxy, Ingress, Service, Endpoints and
 * EndpointSlice. Fields of the real resources that cairn does not
 * implement are rows of their own (SCHEMA_UNSUPPORTED), so users read
 * "not supported yet" rather than "unknown field" for something Contour's
 * documentation told them to write; status and server-set metadata are
 * accepted and ignored, so `kubectl get -o yaml` output loads. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "util/duration.h"
#include "util/xalloc.h"

#define F_STR(key_, type_, field_, flags_, check_)                             \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_), .check = (check_) }
#define F_IGNORE(key_) { .key = (key_), .type = SCHEMA_IGNORE }
#define F_UNSUPPORTED(key_) { .key = (key_), .type = SCHEMA_UNSUPPORTED }
#define F_PORT(key_, type_, field_, flags_)                                    \
	{ .key = (key_), .type = SCHEMA_INT32, .offset = offsetof(type_, field_), \
	  .flags = (flags_), .min = 1, .max = 65535 }
#define F_LIST(key_, type_, field_, count_, sub_, flags_)                      \
	{ .key = (key_), .type = SCHEMA_OBJECT_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .sub = (sub_), .flags = (flags_) }

static const char *const kinds_protocols[] = { "TCP", "UDP", "SCTP", NULL };

/* --- metadata ------------------------------------------------------------ */

static const struct schema_field kinds_meta_fields[] = {
	F_STR("name", struct obj_meta, name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	F_STR("namespace", struct obj_meta, namespace, 0,
	    schema_check_dns1123_label),
	{ .key = "labels", .type = SCHEMA_STRING_MAP,
	  .offset = offsetof(struct obj_meta, labels),
	  .count_offset = offsetof(struct obj_meta, nlabels) },
	{ .key = "annotations", .type = SCHEMA_STRING_MAP,
	  .offset = offsetof(struct obj_meta, annotations),
	  .count_offset = offsetof(struct obj_meta, nannotations) },
	/* Set by the API server; present in exported manifests. */
	F_IGNORE("uid"),
	F_IGNORE("resourceVersion"),
	F_IGNORE("creationTimestamp"),
	F_IGNORE("deletionTimestamp"),
	F_IGNORE("deletionGracePeriodSeconds"),
	F_IGNORE("generation"),
	F_IGNORE("generateName"),
	F_IGNORE("managedFields"),
	F_IGNORE("ownerReferences"),
	F_IGNORE("finalizers"),
	F_IGNORE("selfLink"),
};
const struct schema_table kinds_meta =
    SCHEMA_TABLE("metadata", struct obj_meta, kinds_meta_fields, NULL);

/* --- HTTPProxy ----------------------------------------------------------- */

#define F_BOOL(key_, type_, field_)                                             \
	{ .key = (key_), .type = SCHEMA_BOOL, .offset = offsetof(type_, field_) }
#define F_STRV(key_, type_, field_, count_, flags_)                            \
	{ .key = (key_), .type = SCHEMA_STRING_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .flags = (flags_) }
#define F_PTR(key_, type_, field_, sub_)                                       \
	{ .key = (key_), .type = SCHEMA_OBJECT_PTR, .offset = offsetof(type_, field_), \
	  .sub = (sub_) }
#define F_ENUMSTR(key_, type_, field_, flags_, allowed_)                       \
	{ .key = (key_), .type = SCHEMA_STRING, .offset = offsetof(type_, field_), \
	  .flags = (flags_), .allowed = (allowed_) }

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

/* Where a `regex:` value is: RE2 errors found by the DAG point at it. */
static void
kinds_regex_origin(struct schema_ctx *ctx, const struct ynode *map,
    struct origin *out)
{
	const struct ynode *v = ynode_get(map, "regex");

	if (v == NULL)
		return;
	out->file = ctx->file;
	out->line = v->line;
	out->col = v->col;
}

/* Contour: a header condition is exactly one test on one header. */
static void
kinds_header_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	static const char *const tests[] = { "present", "notpresent", "exact",
	    "notexact", "contains", "notcontains", "regex" };
	struct hp_header_match *h = obj;
	size_t n = 0;

	kinds_regex_origin(ctx, map, &h->regex_origin);
	for (size_t i = 0; i < nitems(tests); i++) {
		const struct ynode *v = ynode_get(map, tests[i]);
		bool b;

		/* "present: false" tests nothing (as in Contour): counting it
		 * left a condition without a test for the DAG. */
		if (v != NULL && !ynode_is_null(v) &&
		    !(i < 2 && ynode_is_bool(v, &b) && !b))
			n++;
	}
	if (n != 1) {
		schema_error(ctx, map, "a header condition must set exactly one "
		    "of present, notpresent, exact, notexact, contains, "
		    "notcontains or regex (found %zu)", n);
		return;
	}
	/* Contour supports it for the negative tests only. */
	if (h->treat_missing_as_empty && h->notexact == NULL &&
	    h->notcontains == NULL)
		schema_error_at(ctx, ynode_get(map, "treatMissingAsEmpty"),
		    "treatMissingAsEmpty", "only applies to notexact and "
		    "notcontains conditions");
}

static const struct schema_field kinds_header_fields[] = {
	F_STR("name", struct hp_header_match, name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, NULL),
	F_BOOL("present", struct hp_header_match, present),
	F_BOOL("notpresent", struct hp_header_match, notpresent),
	F_STR("exact", struct hp_header_match, exact, 0, NULL),
	F_STR("notexact", struct hp_header_match, notexact, 0, NULL),
	F_STR("contains", struct hp_header_match, contains, 0, NULL),
	F_STR("notcontains", struct hp_header_match, notcontains, 0, NULL),
	F_STR("regex", struct hp_header_match, regex, SCHEMA_NONEMPTY, NULL),
	F_BOOL("ignoreCase", struct hp_header_match, ignore_case),
	F_BOOL("treatMissingAsEmpty", struct hp_header_match, treat_missing_as_empty),
};
const struct schema_table kinds_header = SCHEMA_TABLE_ORIGIN(
    "header", struct hp_header_match, kinds_header_fields, kinds_header_validate);

/* Contour: a queryParameter condition is exactly one test. */
static void
kinds_query_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	static const char *const tests[] = { "exact", "prefix", "suffix",
	    "regex", "contains", "present" };
	size_t n = 0;

	kinds_regex_origin(ctx, map, &((struct hp_query_match *)obj)->regex_origin);
	for (size_t i = 0; i < nitems(tests); i++) {
		const struct ynode *v = ynode_get(map, tests[i]);
		bool b;

		/* "present: false" tests nothing, as for headers. */
		if (v != NULL && !ynode_is_null(v) &&
		    !(strcmp(tests[i], "present") == 0 && ynode_is_bool(v, &b) && !b))
			n++;
	}
	if (n != 1)
		schema_error(ctx, map, "a queryParameter condition must set "
		    "exactly one of exact, prefix, suffix, regex, contains or "
		    "present (found %zu)", n);
}

static const struct schema_field kinds_query_fields[] = {
	F_STR("name", struct hp_query_match, name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, NULL),
	F_STR("exact", struct hp_query_match, exact, SCHEMA_NONEMPTY, NULL),
	F_STR("prefix", struct hp_query_match, prefix, SCHEMA_NONEMPTY, NULL),
	F_STR("suffix", struct hp_query_match, suffix, SCHEMA_NONEMPTY, NULL),
	F_STR("regex", struct hp_query_match, regex, SCHEMA_NONEMPTY, NULL),
	F_STR("contains", struct hp_query_match, contains, SCHEMA_NONEMPTY, NULL),
	F_BOOL("present", struct hp_query_match, present),
	F_BOOL("ignoreCase", struct hp_query_match, ignore_case),
};
static const struct schema_table kinds_query = SCHEMA_TABLE_ORIGIN(
    "queryParameter", struct hp_query_match, kinds_query_fields,
    kinds_query_validate);

static void
kinds_condition_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct hp_condition *c = obj;
	int n = (c->prefix != NULL) + (c->exact != NULL) + (c->regex != NULL) +
	    (c->header != NULL) + (c->query != NULL);

	/* Contour's CRD lets one item hold several (prefix and header apply
	 * together); more than one path match is a RouteError/IncludeError
	 * status (pathMatchConditionsValid), not a load error. */
	if (n == 0) {
		schema_error(ctx, map, "a condition must set at least one of "
		    "prefix, exact, regex, header or queryParameter");
		return;
	}
	if (c->prefix != NULL && c->prefix[0] != '/')
		schema_error_at(ctx, ynode_get(map, "prefix"), "prefix",
		    "must start with \"/\"");
	if (c->exact != NULL && c->exact[0] != '/')
		schema_error_at(ctx, ynode_get(map, "exact"), "exact",
		    "must start with \"/\"");
	if (c->regex != NULL && c->regex[0] != '/')
		schema_error_at(ctx, ynode_get(map, "regex"), "regex",
		    "must start with \"/\"");

	kinds_regex_origin(ctx, map, &((struct hp_condition *)obj)->regex_origin);
}

static const struct schema_field kinds_condition_fields[] = {
	F_STR("prefix", struct hp_condition, prefix, 0, NULL),
	F_STR("exact", struct hp_condition, exact, 0, NULL),
	F_STR("regex", struct hp_condition, regex, SCHEMA_NONEMPTY, NULL),
	F_PTR("header", struct hp_condition, header, &kinds_header),
	F_PTR("queryParameter", struct hp_condition, query, &kinds_query),
};
static const struct schema_table kinds_condition = SCHEMA_TABLE_ORIGIN(
    "condition", struct hp_condition, kinds_condition_fields,
    kinds_condition_validate);

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
static const struct schema_table kinds_headers_policy = SCHEMA_TABLE_ORIGIN(
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
static const struct schema_table kinds_cookie_rewrite = SCHEMA_TABLE_ORIGIN(
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
	F_ENUMSTR("protocol", struct hp_service, protocol, 0,
	    kinds_upstream_protocols),
	F_BOOL("mirror", struct hp_service, mirror),
	F_PTR("requestHeadersPolicy", struct hp_service, request_headers,
	    &kinds_headers_policy),
	F_PTR("responseHeadersPolicy", struct hp_service, response_headers,
	    &kinds_headers_policy),
	F_PTR("validation", struct hp_service, validation,
	    &kinds_upstream_validation),
	F_LIST("cookieRewritePolicies", struct hp_service, cookie_rewrites,
	    ncookie_rewrites, &kinds_cookie_rewrite, 0),
	F_PTR("slowStartPolicy", struct hp_service, slow_start, &kinds_slow_start),
	F_PORT("healthPort", struct hp_service, health_port, 0),
};
const struct schema_table kinds_service_ref = SCHEMA_TABLE_ORIGIN(
    "service", struct hp_service, kinds_service_ref_fields, NULL);

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

/* A list of HTTP status codes (100..599). */
static void
kinds_status_codes(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct hp_retry_policy *rp = obj;

	(void)f;
	if (node->type != YNODE_SEQUENCE) {
		schema_error(ctx, node, "expected a sequence of HTTP status codes, "
		    "got %s", ynode_type_name(node));
		return;
	}
	rp->retriable_status_codes = ARENA_ARRAY(ctx->arena, uint32_t,
	    node->seq.n ? node->seq.n : 1);
	for (size_t i = 0; i < node->seq.n; i++) {
		const struct ynode *item = node->seq.items[i];
		size_t saved = schema_path_push_index(ctx, i);
		int64_t v;

		if (!ynode_is_int(item, &v))
			schema_error(ctx, item, "expected an HTTP status code, got %s",
			    ynode_type_name(item));
		else if (v < 100 || v > 599)
			schema_error(ctx, item, "%lld is out of range (100..599)",
			    (long long)v);
		else
			rp->retriable_status_codes[rp->nretriable_status_codes++] =
			    (uint32_t)v;
		schema_path_pop(ctx, saved);
	}
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
static const struct schema_table kinds_retry = SCHEMA_TABLE_ORIGIN(
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
static const struct schema_table kinds_health_check = SCHEMA_TABLE_ORIGIN(
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
static const struct schema_table kinds_path_rewrite = SCHEMA_TABLE_ORIGIN(
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
static const struct schema_table kinds_redirect = SCHEMA_TABLE_ORIGIN(
    "requestRedirectPolicy", struct hp_redirect, kinds_redirect_fields,
    kinds_redirect_validate);

static const struct schema_field kinds_direct_response_fields[] = {
	{ .key = "statusCode", .type = SCHEMA_INT32, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct hp_direct_response, status_code),
	  .min = 200, .max = 599 },
	F_STR("body", struct hp_direct_response, body, 0, NULL),
};
static const struct schema_table kinds_direct_response = SCHEMA_TABLE_ORIGIN(
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
static const struct schema_table kinds_ratelimit = SCHEMA_TABLE_ORIGIN(
    "rateLimitPolicy", struct hp_ratelimit_policy, kinds_ratelimit_fields, NULL);

static const char *const kinds_ip_sources[] = { "Peer", "Remote", NULL };

static const struct schema_field kinds_ip_filter_fields[] = {
	F_ENUMSTR("source", struct hp_ip_filter, source, SCHEMA_REQUIRED,
	    kinds_ip_sources),
	F_STR("cidr", struct hp_ip_filter, cidr, SCHEMA_REQUIRED, kinds_check_cidr),
};
static const struct schema_table kinds_ip_filter = SCHEMA_TABLE_ORIGIN(
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

static const struct schema_table kinds_cors = SCHEMA_TABLE_ORIGIN(
    "corsPolicy", struct hp_cors_policy, kinds_cors_fields, kinds_cors_validate);

/* internalRedirectPolicy.redirectResponseCodes: Contour's enumeration. */
static void
kinds_redirect_codes(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct hp_internal_redirect *ir = obj;

	(void)f;
	if (node->type != YNODE_SEQUENCE) {
		schema_error(ctx, node, "expected a sequence of redirect status "
		    "codes, got %s", ynode_type_name(node));
		return;
	}
	ir->redirect_response_codes = ARENA_ARRAY(ctx->arena, uint32_t,
	    node->seq.n ? node->seq.n : 1);
	for (size_t i = 0; i < node->seq.n; i++) {
		const struct ynode *item = node->seq.items[i];
		size_t saved = schema_path_push_index(ctx, i);
		int64_t v;

		if (!ynode_is_int(item, &v))
			schema_error(ctx, item, "expected a redirect status code, "
			    "got %s", ynode_type_name(item));
		else if (v != 301 && v != 302 && v != 303 && v != 307 && v != 308)
			schema_error(ctx, item, "%lld is not one of 301, 302, 303, "
			    "307, 308", (long long)v);
		else
			ir->redirect_response_codes[ir->nredirect_response_codes++] =
			    (uint32_t)v;
		schema_path_pop(ctx, saved);
	}
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
static const struct schema_table kinds_internal_redirect = SCHEMA_TABLE_ORIGIN(
    "internalRedirectPolicy", struct hp_internal_redirect,
    kinds_internal_redirect_fields, NULL);

static const struct schema_field kinds_route_fields[] = {
	F_LIST("conditions", struct hp_route, conditions, nconditions,
	    &kinds_condition, 0),
	F_LIST("services", struct hp_route, services, nservices,
	    &kinds_service_ref, 0),
	F_BOOL("enableWebsockets", struct hp_route, enable_websockets),
	F_BOOL("permitInsecure", struct hp_route, permit_insecure),
	F_PTR("timeoutPolicy", struct hp_route, timeout_policy, &kinds_timeout),
	F_PTR("retryPolicy", struct hp_route, retry_policy, &kinds_retry),
	F_PTR("healthCheckPolicy", struct hp_route, health_check,
	    &kinds_health_check),
	F_PTR("loadBalancerPolicy", struct hp_route, lb_policy, &kinds_lb_policy),
	F_PTR("pathRewritePolicy", struct hp_route, path_rewrite,
	    &kinds_path_rewrite),
	F_PTR("requestHeadersPolicy", struct hp_route, request_headers,
	    &kinds_headers_policy),
	F_PTR("responseHeadersPolicy", struct hp_route, response_headers,
	    &kinds_headers_policy),
	F_PTR("rateLimitPolicy", struct hp_route, ratelimit, &kinds_ratelimit),
	F_PTR("requestRedirectPolicy", struct hp_route, redirect, &kinds_redirect),
	F_PTR("directResponsePolicy", struct hp_route, direct_response,
	    &kinds_direct_response),
	F_LIST("ipAllowPolicy", struct hp_route, ip_allow, nip_allow,
	    &kinds_ip_filter, 0),
	F_LIST("ipDenyPolicy", struct hp_route, ip_deny, nip_deny,
	    &kinds_ip_filter, 0),
	F_PTR("authPolicy", struct hp_route, auth_policy, &kinds_auth_policy),
	F_LIST("cookieRewritePolicies", struct hp_route, cookie_rewrites,
	    ncookie_rewrites, &kinds_cookie_rewrite, 0),
	F_PTR("internalRedirectPolicy", struct hp_route, internal_redirect,
	    &kinds_internal_redirect),
	F_PTR("jwtVerificationPolicy", struct hp_route, jwt_policy,
	    &kinds_jwt_policy), /* kinds_jwt.c */
};
static const struct schema_table kinds_route = SCHEMA_TABLE_ORIGIN(
    "route", struct hp_route, kinds_route_fields, NULL);

static const struct schema_field kinds_virtualhost_fields[] = {
	F_STR("fqdn", struct hp_virtualhost, fqdn, SCHEMA_REQUIRED,
	    schema_check_fqdn),
	F_PTR("corsPolicy", struct hp_virtualhost, cors, &kinds_cors),
	F_PTR("rateLimitPolicy", struct hp_virtualhost, ratelimit, &kinds_ratelimit),
	F_LIST("ipAllowPolicy", struct hp_virtualhost, ip_allow, nip_allow,
	    &kinds_ip_filter, 0),
	F_LIST("ipDenyPolicy", struct hp_virtualhost, ip_deny, nip_deny,
	    &kinds_ip_filter, 0),
	F_PTR("tls", struct hp_virtualhost, tls, &kinds_hp_tls),
	F_PTR("authorization", struct hp_virtualhost, authorization,
	    &kinds_authorization),
	F_LIST("jwtProviders", struct hp_virtualhost, jwt_providers, njwt_providers,
	    &kinds_jwt_provider, 0), /* kinds_jwt.c */
};
static const struct schema_table kinds_virtualhost = SCHEMA_TABLE_ORIGIN(
    "virtualhost", struct hp_virtualhost, kinds_virtualhost_fields, NULL);

static const struct schema_field kinds_include_fields[] = {
	F_STR("name", struct hp_include, name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	F_STR("namespace", struct hp_include, namespace, 0,
	    schema_check_dns1123_label),
	F_LIST("conditions", struct hp_include, conditions, nconditions,
	    &kinds_condition, 0),
};
static const struct schema_table kinds_include = SCHEMA_TABLE_ORIGIN(
    "include", struct hp_include, kinds_include_fields, NULL);

static const struct schema_field kinds_httpproxy_spec_fields[] = {
	F_PTR("virtualhost", struct httpproxy, virtualhost, &kinds_virtualhost),
	F_LIST("routes", struct httpproxy, routes, nroutes, &kinds_route, 0),
	F_LIST("includes", struct httpproxy, includes, nincludes, &kinds_include, 0),
	F_STR("ingressClassName", struct httpproxy, ingress_class_name, 0, NULL),
	F_PTR("tcpproxy", struct httpproxy, tcpproxy, &kinds_tcpproxy),
};
static const struct schema_table kinds_httpproxy_spec = SCHEMA_TABLE(
    "spec", struct httpproxy, kinds_httpproxy_spec_fields, NULL);

static const struct schema_field kinds_httpproxy_fields[] = {
	F_IGNORE("apiVersion"), /* checked by the loader */
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "spec", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, u.httpproxy),
	  .sub = &kinds_httpproxy_spec },
	F_IGNORE("status"),
};
static const struct schema_table kinds_httpproxy = SCHEMA_TABLE(
    "HTTPProxy", struct object, kinds_httpproxy_fields, NULL);

/* --- Service ------------------------------------------------------------- */

/* targetPort is a number or the name of a container port. */
static void
kinds_target_port(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct svc_port *p = obj;
	int64_t v;

	if (ynode_is_int(node, &v)) {
		if (v < 1 || v > 65535)
			schema_error(ctx, node, "%lld is out of range (1..65535)",
			    (long long)v);
		else
			p->target_port = (int32_t)v;
		return;
	}
	if (node->type != YNODE_SCALAR || !(node->scalar.len > 0) ||
	    strlen(node->scalar.value) != node->scalar.len ||
	    strcmp(ynode_type_name(node), "string") != 0) {
		schema_error(ctx, node, "expected a port number or a port name, "
		    "got %s", ynode_type_name(node));
		return;
	}
	p->target_port_name = arena_strdup(ctx->arena, node->scalar.value);
}

static const struct schema_field kinds_svc_port_fields[] = {
	F_STR("name", struct svc_port, name, 0, NULL),
	F_PORT("port", struct svc_port, port, SCHEMA_REQUIRED),
	{ .key = "targetPort", .type = SCHEMA_CUSTOM, .custom = kinds_target_port },
	{ .key = "protocol", .type = SCHEMA_STRING,
	  .offset = offsetof(struct svc_port, protocol), .allowed = kinds_protocols },
	F_STR("appProtocol", struct svc_port, app_protocol, 0, NULL),
	F_IGNORE("nodePort"),
};
static const struct schema_table kinds_svc_port = SCHEMA_TABLE_ORIGIN(
    "port", struct svc_port, kinds_svc_port_fields, NULL);

/* Kubernetes: several ports need distinct names, an ExternalName Service
 * needs the name. */
static void
kinds_service_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct service *s = obj;
	const struct ynode *ports = ynode_get(map, "ports");

	if (s->type != NULL && strcmp(s->type, "ExternalName") == 0 &&
	    (s->external_name == NULL || *s->external_name == '\0'))
		schema_error(ctx, map, "type ExternalName requires externalName");
	if (s->nports < 2)
		return;
	for (size_t i = 0; i < s->nports; i++) {
		const struct ynode *pn = ports->seq.items[i];
		size_t saved = schema_path_push_key(ctx, "ports");
		const char *name = s->ports[i].name;

		schema_path_push_index(ctx, i);
		if (name == NULL || *name == '\0') {
			schema_error(ctx, pn, "name is required when a Service "
			    "has more than one port");
		} else {
			for (size_t j = 0; j < i; j++) {
				if (s->ports[j].name != NULL &&
				    strcmp(s->ports[j].name, name) == 0) {
					schema_error(ctx, pn, "duplicate port "
					    "name \"%s\" (first at %d:%d)", name,
					    s->ports[j].origin.line,
					    s->ports[j].origin.col);
					break;
				}
			}
		}
		schema_path_pop(ctx, saved);
	}
}

static const char *const kinds_service_types[] = { "ClusterIP", "NodePort",
	"LoadBalancer", "ExternalName", NULL };

static const struct schema_field kinds_service_spec_fields[] = {
	{ .key = "type", .type = SCHEMA_STRING,
	  .offset = offsetof(struct service, type), .allowed = kinds_service_types },
	F_STR("externalName", struct service, external_name, 0, schema_check_fqdn),
	F_LIST("ports", struct service, ports, nports, &kinds_svc_port, 0),
	/* Meaningful to a cluster, not to cairn. */
	F_IGNORE("selector"),
	F_IGNORE("clusterIP"),
	F_IGNORE("clusterIPs"),
	F_IGNORE("sessionAffinity"),
	F_IGNORE("sessionAffinityConfig"),
	F_IGNORE("ipFamilies"),
	F_IGNORE("ipFamilyPolicy"),
	F_IGNORE("internalTrafficPolicy"),
	F_IGNORE("externalTrafficPolicy"),
	F_IGNORE("externalIPs"),
	F_IGNORE("loadBalancerIP"),
	F_IGNORE("loadBalancerSourceRanges"),
	F_IGNORE("loadBalancerClass"),
	F_IGNORE("allocateLoadBalancerNodePorts"),
	F_IGNORE("healthCheckNodePort"),
	F_IGNORE("publishNotReadyAddresses"),
	F_IGNORE("trafficDistribution"),
};
static const struct schema_table kinds_service_spec = SCHEMA_TABLE(
    "spec", struct service, kinds_service_spec_fields, kinds_service_validate);

static const struct schema_field kinds_service_fields[] = {
	F_IGNORE("apiVersion"),
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "spec", .type = SCHEMA_OBJECT,
	  .offset = offsetof(struct object, u.service), .sub = &kinds_service_spec },
	F_IGNORE("status"),
};
static const struct schema_table kinds_service = SCHEMA_TABLE(
    "Service", struct object, kinds_service_fields, NULL);

/* --- Endpoints ----------------------------------------------------------- */

static const char *
kinds_check_ip(const char *s)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return NULL;
	return "must be an IPv4 or IPv6 address";
}

static const struct schema_field kinds_ep_address_fields[] = {
	F_STR("ip", struct ep_address, ip, SCHEMA_REQUIRED, kinds_check_ip),
	F_STR("hostname", struct ep_address, hostname, 0, NULL),
	F_IGNORE("nodeName"),
	F_IGNORE("targetRef"),
};
static const struct schema_table kinds_ep_address = SCHEMA_TABLE_ORIGIN(
    "address", struct ep_address, kinds_ep_address_fields, NULL);

static const struct schema_field kinds_ep_port_fields[] = {
	F_STR("name", struct ep_port, name, 0, NULL),
	F_PORT("port", struct ep_port, port, SCHEMA_REQUIRED),
	{ .key = "protocol", .type = SCHEMA_STRING,
	  .offset = offsetof(struct ep_port, protocol), .allowed = kinds_protocols },
	F_STR("appProtocol", struct ep_port, app_protocol, 0, NULL),
};
static const struct schema_table kinds_ep_port = SCHEMA_TABLE_ORIGIN(
    "port", struct ep_port, kinds_ep_port_fields, NULL);

static const struct schema_field kinds_ep_subset_fields[] = {
	F_LIST("addresses", struct ep_subset, addresses, naddresses,
	    &kinds_ep_address, 0),
	F_LIST("notReadyAddresses", struct ep_subset, not_ready_addresses,
	    nnot_ready_addresses, &kinds_ep_address, 0),
	F_LIST("ports", struct ep_subset, ports, nports, &kinds_ep_port, 0),
};
static const struct schema_table kinds_ep_subset = SCHEMA_TABLE_ORIGIN(
    "subset", struct ep_subset, kinds_ep_subset_fields, NULL);

static const struct schema_field kinds_endpoints_fields[] = {
	F_IGNORE("apiVersion"),
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	F_LIST("subsets", struct object, u.endpoints.subsets,
	    u.endpoints.nsubsets, &kinds_ep_subset, 0),
};
static const struct schema_table kinds_endpoints = SCHEMA_TABLE(
    "Endpoints", struct object, kinds_endpoints_fields, NULL);

/* --- Ingress ------------------------------------------------------------ */

/* service.port: a number or a name, not both. */
static void
kinds_backend_port_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct ing_backend *b = obj;

	if ((b->port_name != NULL) == (b->port_number != 0))
		schema_error(ctx, map, "port must set exactly one of name or number");
}

static const struct schema_field kinds_backend_port_fields[] = {
	F_STR("name", struct ing_backend, port_name, SCHEMA_NONEMPTY, NULL),
	F_PORT("number", struct ing_backend, port_number, 0),
};
static const struct schema_table kinds_backend_port = SCHEMA_TABLE(
    "port", struct ing_backend, kinds_backend_port_fields,
    kinds_backend_port_validate);

static const struct schema_field kinds_backend_service_fields[] = {
	F_STR("name", struct ing_backend, service_name, SCHEMA_REQUIRED,
	    schema_check_dns1123_label),
	{ .key = "port", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = 0, .sub = &kinds_backend_port },
};
static const struct schema_table kinds_backend_service = SCHEMA_TABLE(
    "service", struct ing_backend, kinds_backend_service_fields, NULL);

static const struct schema_field kinds_backend_fields[] = {
	{ .key = "service", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = 0, .sub = &kinds_backend_service },
	/* A backend that is not a Service has no meaning outside a cluster. */
	F_UNSUPPORTED("resource"),
};
static const struct schema_table kinds_backend = SCHEMA_TABLE_ORIGIN(
    "backend", struct ing_backend, kinds_backend_fields, NULL);

static const char *const kinds_path_types[] = { "Exact", "Prefix",
	"ImplementationSpecific", NULL };

static void
kinds_ing_path_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct ing_path *p = obj;

	if (p->path != NULL && p->path[0] != '/')
		schema_error_at(ctx, ynode_get(map, "path"), "path",
		    "must start with \"/\"");
}

static const struct schema_field kinds_ing_path_fields[] = {
	F_STR("path", struct ing_path, path, 0, NULL),
	F_ENUMSTR("pathType", struct ing_path, path_type, SCHEMA_REQUIRED,
	    kinds_path_types),
	{ .key = "backend", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct ing_path, backend), .sub = &kinds_backend },
};
static const struct schema_table kinds_ing_path = SCHEMA_TABLE_ORIGIN(
    "path", struct ing_path, kinds_ing_path_fields, kinds_ing_path_validate);

static const struct schema_field kinds_ing_http_fields[] = {
	F_LIST("paths", struct ing_rule, paths, npaths, &kinds_ing_path,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_ing_http = SCHEMA_TABLE(
    "http", struct ing_rule, kinds_ing_http_fields, NULL);

static const struct schema_field kinds_ing_rule_fields[] = {
	F_STR("host", struct ing_rule, host, 0, schema_check_fqdn),
	{ .key = "http", .type = SCHEMA_OBJECT, .offset = 0,
	  .sub = &kinds_ing_http },
};
static const struct schema_table kinds_ing_rule = SCHEMA_TABLE_ORIGIN(
    "rule", struct ing_rule, kinds_ing_rule_fields, NULL);

static const struct schema_field kinds_ing_tls_fields[] = {
	F_STRV("hosts", struct ing_tls, hosts, nhosts, 0),
	F_STR("secretName", struct ing_tls, secret_name, 0, NULL),
};
static const struct schema_table kinds_ing_tls = SCHEMA_TABLE_ORIGIN(
    "tls", struct ing_tls, kinds_ing_tls_fields, NULL);

static const struct schema_field kinds_ingress_spec_fields[] = {
	F_STR("ingressClassName", struct ingress, ingress_class_name, 0, NULL),
	F_PTR("defaultBackend", struct ingress, default_backend, &kinds_backend),
	F_LIST("rules", struct ingress, rules, nrules, &kinds_ing_rule, 0),
	F_LIST("tls", struct ingress, tls, ntls, &kinds_ing_tls, 0),
};
static const struct schema_table kinds_ingress_spec = SCHEMA_TABLE(
    "spec", struct ingress, kinds_ingress_spec_fields, NULL);

static const struct schema_field kinds_ingress_fields[] = {
	F_IGNORE("apiVersion"),
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "spec", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, u.ingress), .sub = &kinds_ingress_spec },
	F_IGNORE("status"),
};
static const struct schema_table kinds_ingress = SCHEMA_TABLE(
    "Ingress", struct object, kinds_ingress_fields, NULL);

/* --- EndpointSlice ------------------------------------------------------- */

static const char *const kinds_address_types[] = { "IPv4", "IPv6", "FQDN", NULL };

static const struct schema_field kinds_eps_conditions_fields[] = {
	{ .key = "ready", .type = SCHEMA_BOOL, .flags = SCHEMA_HAS,
	  .offset = offsetof(struct eps_endpoint, ready),
	  .has_offset = offsetof(struct eps_endpoint, has_ready) },
	F_IGNORE("serving"),
	F_IGNORE("terminating"),
};
static const struct schema_table kinds_eps_conditions = SCHEMA_TABLE(
    "conditions", struct eps_endpoint, kinds_eps_conditions_fields, NULL);

static const struct schema_field kinds_eps_endpoint_fields[] = {
	F_STRV("addresses", struct eps_endpoint, addresses, naddresses,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	{ .key = "conditions", .type = SCHEMA_OBJECT, .offset = 0,
	  .sub = &kinds_eps_conditions },
	F_IGNORE("hostname"),
	F_IGNORE("nodeName"),
	F_IGNORE("zone"),
	F_IGNORE("targetRef"),
	F_IGNORE("hints"),
	F_IGNORE("deprecatedTopology"),
};
static const struct schema_table kinds_eps_endpoint = SCHEMA_TABLE_ORIGIN(
    "endpoint", struct eps_endpoint, kinds_eps_endpoint_fields, NULL);

static const struct schema_field kinds_eps_port_fields[] = {
	F_STR("name", struct eps_port, name, 0, NULL),
	{ .key = "port", .type = SCHEMA_INT32, .flags = SCHEMA_HAS,
	  .offset = offsetof(struct eps_port, port), .min = 1, .max = 65535,
	  .has_offset = offsetof(struct eps_port, has_port) },
	{ .key = "protocol", .type = SCHEMA_STRING,
	  .offset = offsetof(struct eps_port, protocol), .allowed = kinds_protocols },
	F_STR("appProtocol", struct eps_port, app_protocol, 0, NULL),
};
static const struct schema_table kinds_eps_port = SCHEMA_TABLE_ORIGIN(
    "port", struct eps_port, kinds_eps_port_fields, NULL);

/* Addresses must be of the slice's addressType. */
static void
kinds_endpointslice_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct endpointslice *es = obj;
	const struct ynode *eps = ynode_get(map, "endpoints");
	int af;

	if (es->address_type == NULL || strcmp(es->address_type, "FQDN") == 0)
		return;
	af = strcmp(es->address_type, "IPv4") == 0 ? AF_INET : AF_INET6;
	for (size_t i = 0; i < es->nendpoints; i++) {
		const struct ynode *addrs = ynode_get(eps->seq.items[i], "addresses");

		for (size_t j = 0; j < es->endpoints[i].naddresses; j++) {
			unsigned char buf[16];

			if (inet_pton(af, es->endpoints[i].addresses[j], buf) == 1)
				continue;
			schema_error(ctx, addrs->seq.items[j],
			    "endpoints[%zu].addresses[%zu]: \"%s\" is not an %s "
			    "address (addressType is %s)", i, j,
			    es->endpoints[i].addresses[j], es->address_type,
			    es->address_type);
		}
	}
}

static const struct schema_field kinds_endpointslice_fields[] = {
	F_IGNORE("apiVersion"),
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	F_ENUMSTR("addressType", struct object, u.endpointslice.address_type,
	    SCHEMA_REQUIRED, kinds_address_types),
	F_LIST("endpoints", struct object, u.endpointslice.endpoints,
	    u.endpointslice.nendpoints, &kinds_eps_endpoint, 0),
	F_LIST("ports", struct object, u.endpointslice.ports,
	    u.endpointslice.nports, &kinds_eps_port, 0),
};

/* The validator sees the whole object: hand it the slice. */
static void
kinds_endpointslice_object_validate(struct schema_ctx *ctx,
    const struct ynode *map, void *obj)
{
	struct object *o = obj;

	kinds_endpointslice_validate(ctx, map, &o->u.endpointslice);
}

static const struct schema_table kinds_endpointslice = SCHEMA_TABLE(
    "EndpointSlice", struct object, kinds_endpointslice_fields,
    kinds_endpointslice_object_validate);

/* --- lookup -------------------------------------------------------------- */

static const struct kind_info kinds[] = {
	{ "projectcontour.io/v1", "HTTPProxy", OBJ_HTTPPROXY, &kinds_httpproxy },
	{ "v1", "Service", OBJ_SERVICE, &kinds_service },
	{ "v1", "Endpoints", OBJ_ENDPOINTS, &kinds_endpoints },
	{ "networking.k8s.io/v1", "Ingress", OBJ_INGRESS, &kinds_ingress },
	{ "discovery.k8s.io/v1", "EndpointSlice", OBJ_ENDPOINTSLICE,
	  &kinds_endpointslice },
	{ "v1", "Secret", OBJ_SECRET, &kinds_secret },
	{ "projectcontour.io/v1", "TLSCertificateDelegation",
	  OBJ_TLSCERTDELEGATION, &kinds_tlsdelegation },
	{ "projectcontour.io/v1alpha1", "ExtensionService", OBJ_EXTENSIONSERVICE,
	  &kinds_extension_service },
};

const struct kind_info *
kinds_find(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < nitems(kinds); i++)
		if (strcmp(kinds[i].api_version, api_version) == 0 &&
		    strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	for (const struct kind_info *k = kinds_gateway_api; k->api_version; k++)
		if (strcmp(k->api_version, api_version) == 0 &&
		    strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}
