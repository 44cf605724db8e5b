/* Schema table of HTTPProxy (projectcontour.io/v1): the object, its
 * virtual host, routes, includes and match conditions. The policies a
 * route or a service carries are in kinds_httpproxy_policies.c, the TLS
 * parts in kinds_tls.c. Fields of the real resource that cairn does not
 * implement are rows of their own (SCHEMA_UNSUPPORTED), so users read
 * "not supported yet" rather than "unknown field" for something
 * Contour's documentation told them to write. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>
#include <string.h>

#include "util/xalloc.h"

const struct hp_route_rare hp_route_rare_none;

/* --- HTTPProxy ----------------------------------------------------------- */


/* Where a `regex:` value is: RE2 errors found by the DAG point at it. */
static void
kinds_regex_origin(struct schema_ctx *ctx, const struct ynode *map,
    const struct origin **out)
{
	const struct ynode *v = ynode_get(map, "regex");
	struct origin *o;

	if (v == NULL)
		return;
	o = arena_alloc(ctx->arena, sizeof *o);
	o->file = ctx->file;
	o->line = v->line;
	o->col = v->col;
	*out = o;
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

static const struct schema_field kinds_route_fields[] = {
	F_LIST("conditions", struct hp_route, conditions, nconditions,
	    &kinds_condition, 0),
	F_LIST("services", struct hp_route, services, nservices,
	    &kinds_service_ref, 0),
	F_BOOL("enableWebsockets", struct hp_route, enable_websockets),
	F_BOOL("permitInsecure", struct hp_route, permit_insecure),
	F_SIDE_PTR("timeoutPolicy", struct hp_route_rare, timeout_policy,
	    &kinds_timeout),
	F_SIDE_PTR("retryPolicy", struct hp_route_rare, retry_policy,
	    &kinds_retry),
	F_SIDE_PTR("healthCheckPolicy", struct hp_route_rare, health_check,
	    &kinds_health_check),
	F_SIDE_PTR("loadBalancerPolicy", struct hp_route_rare, lb_policy,
	    &kinds_lb_policy),
	F_SIDE_PTR("pathRewritePolicy", struct hp_route_rare, path_rewrite,
	    &kinds_path_rewrite),
	F_SIDE_PTR("requestHeadersPolicy", struct hp_route_rare, request_headers,
	    &kinds_headers_policy),
	F_SIDE_PTR("responseHeadersPolicy", struct hp_route_rare,
	    response_headers, &kinds_headers_policy),
	F_SIDE_PTR("rateLimitPolicy", struct hp_route_rare, ratelimit,
	    &kinds_ratelimit),
	F_SIDE_PTR("requestRedirectPolicy", struct hp_route_rare, redirect,
	    &kinds_redirect),
	F_SIDE_PTR("directResponsePolicy", struct hp_route_rare,
	    direct_response, &kinds_direct_response),
	F_SIDE_LIST("ipAllowPolicy", struct hp_route_rare, ip_allow, nip_allow,
	    &kinds_ip_filter),
	F_SIDE_LIST("ipDenyPolicy", struct hp_route_rare, ip_deny, nip_deny,
	    &kinds_ip_filter),
	F_SIDE_PTR("authPolicy", struct hp_route_rare, auth_policy,
	    &kinds_auth_policy),
	F_SIDE_LIST("cookieRewritePolicies", struct hp_route_rare,
	    cookie_rewrites, ncookie_rewrites, &kinds_cookie_rewrite),
	F_SIDE_PTR("internalRedirectPolicy", struct hp_route_rare,
	    internal_redirect, &kinds_internal_redirect),
	F_SIDE_PTR("jwtVerificationPolicy", struct hp_route_rare, jwt_policy,
	    &kinds_jwt_policy), /* kinds_jwt.c */
};
static const struct schema_table kinds_route = SCHEMA_TABLE_ORIGIN_SIDE(
    "route", struct hp_route, kinds_route_fields, NULL, rare);

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
const struct schema_table kinds_httpproxy = SCHEMA_TABLE(
    "HTTPProxy", struct object, kinds_httpproxy_fields, NULL);
