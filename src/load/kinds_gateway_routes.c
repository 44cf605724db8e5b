/* Schema tables of the Gateway API routes (SPEC.md §5a): HTTPRoute,
 * GRPCRoute, TLSRoute and TCPRoute, and the parts they share (parentRefs,
 * filters, backendRefs, matches). Every field of the API has a row, so
 * the upstream manifests load as they are (kinds_gateway.c says why). */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>
#include <string.h>

#include "util/duration.h"
#include "util/xalloc.h"

/* Gateway API's Duration: 1 to 4 of <1-5 digits><h|m|s|ms>, "0s" and
 * "1h30m" alike (GEP-2257). */
static const char *
kinds_gw_check_duration(const char *s)
{
	const char *why = "must be a Gateway API duration such as \"500ms\", "
	    "\"10s\" or \"1h30m\" (1 to 4 parts of up to 5 digits and h, m, s "
	    "or ms)";
	int parts = 0;

	while (*s != '\0') {
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			s++;
			digits++;
		}
		if (digits == 0 || digits > 5)
			return why;
		if (s[0] == 'm' && s[1] == 's')
			s += 2;
		else if (*s == 'h' || *s == 'm' || *s == 's')
			s++;
		else
			return why;
		if (++parts > 4)
			return why;
	}
	return parts == 0 ? why : NULL;
}

/* retry.codes: a list of HTTP status codes 400..599. */
static void
kinds_gw_codes(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct gw_retry *r = obj;
	int64_t v;

	(void)f;
	if (node->type != YNODE_SEQUENCE) {
		schema_error(ctx, node, "expected a sequence of HTTP status codes, "
		    "got %s", ynode_type_name(node));
		return;
	}
	r->codes = ARENA_ARRAY(ctx->arena, int32_t, node->seq.n);
	for (size_t i = 0; i < node->seq.n; i++) {
		const struct ynode *c = node->seq.items[i];
		size_t saved = schema_path_push_index(ctx, i);

		if (!ynode_is_int(c, &v) || v < 400 || v > 599)
			schema_error(ctx, c, "expected an HTTP status code "
			    "400..599");
		else
			r->codes[r->ncodes++] = (int32_t)v;
		schema_path_pop(ctx, saved);
	}
}


/* --- parts of routes ------------------------------------------------------ */

/* Rows several tables of this file share, each for its own struct: they
 * decode the same keys the same way (the API defines them once), so a
 * change to one holds for all. */

/* What names an object a route refers to: parentRef, backendRef. */
#define KINDS_GW_REF_ROWS(type_)                                              \
	G_STR("group", type_, group, 0),                                       \
	G_STR("kind", type_, kind, 0),                                         \
	G_STRC("namespace", type_, namespace, 0, schema_check_dns1123_label),  \
	G_STR("name", type_, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY)

/* The Gateways (or their listeners) a route attaches to. */
#define KINDS_GW_PARENT_REFS_ROW(type_)                                       \
	G_LIST("parentRefs", type_, parent_refs, nparent_refs,                 \
	    &kinds_gw_parent_ref, 0)

/* A route's hostnames, each checked as a Gateway API hostname. */
#define KINDS_GW_HOSTNAMES_ROW(type_)                                         \
	{ .key = "hostnames", .type = SCHEMA_STRING_LIST,                      \
	  .offset = offsetof(type_, hostnames),                                \
	  .count_offset = offsetof(type_, nhostnames),                         \
	  .check = kinds_gw_check_hostname }

/* The rows an HTTPRoute and a GRPCRoute rule share, in the API's order;
 * match_ is the table of the route's own matches. */
#define KINDS_GW_RULE_ROWS(type_, match_)                                     \
	G_STRC("name", type_, name, 0, schema_check_dns1123_subdomain),        \
	G_LIST("matches", type_, matches, nmatches, (match_), 0),              \
	G_LIST("filters", type_, filters, nfilters, &kinds_gw_filter, 0),      \
	G_LIST("backendRefs", type_, backend_refs, nbackend_refs,              \
	    &kinds_gw_backend_ref, 0)

static const struct schema_field kinds_gw_parent_ref_fields[] = {
	KINDS_GW_REF_ROWS(struct gw_parent_ref),
	G_STR("sectionName", struct gw_parent_ref, section_name, SCHEMA_NONEMPTY),
	G_INTHAS("port", struct gw_parent_ref, port, has_port, G_PORT_MIN, G_PORT_MAX),
};
static const struct schema_table kinds_gw_parent_ref = SCHEMA_TABLE_ORIGIN(
    "parentRef", struct gw_parent_ref, kinds_gw_parent_ref_fields, NULL);

static const struct schema_field kinds_gw_header_fields[] = {
	G_STR("name", struct gw_header, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("value", struct gw_header, value, SCHEMA_REQUIRED),
};
static const struct schema_table kinds_gw_header = SCHEMA_TABLE_ORIGIN(
    "header", struct gw_header, kinds_gw_header_fields, NULL);

static const struct schema_field kinds_gw_header_modifier_fields[] = {
	G_LIST("set", struct gw_header_modifier, set, nset, &kinds_gw_header, 0),
	G_LIST("add", struct gw_header_modifier, add, nadd, &kinds_gw_header, 0),
	G_STRV("remove", struct gw_header_modifier, remove, nremove, 0),
};
static const struct schema_table kinds_gw_header_modifier = SCHEMA_TABLE_ORIGIN(
    "headerModifier", struct gw_header_modifier,
    kinds_gw_header_modifier_fields, NULL);

static const char *const kinds_gw_path_modifier_types[] = {
	"ReplaceFullPath", "ReplacePrefixMatch", NULL
};

/* The type names the one value that must be set (the API's CEL rules). */
static void
kinds_gw_path_modifier_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	struct gw_path_modifier *p = obj;
	bool full = strcmp(p->type, "ReplaceFullPath") == 0;

	if (full && !p->has_full_path)
		schema_error(ctx, map, "type ReplaceFullPath needs replaceFullPath");
	else if (!full && !p->has_prefix_match)
		schema_error(ctx, map, "type ReplacePrefixMatch needs "
		    "replacePrefixMatch");
	else if (full ? p->has_prefix_match : p->has_full_path)
		schema_error(ctx, map, "type %s: %s must not be set", p->type,
		    full ? "replacePrefixMatch" : "replaceFullPath");
}

static const struct schema_field kinds_gw_path_modifier_fields[] = {
	G_ENUMSTR("type", struct gw_path_modifier, type, SCHEMA_REQUIRED,
	    kinds_gw_path_modifier_types),
	G_STRHAS("replaceFullPath", struct gw_path_modifier, replace_full_path,
	    has_full_path),
	G_STRHAS("replacePrefixMatch", struct gw_path_modifier,
	    replace_prefix_match, has_prefix_match),
};
static const struct schema_table kinds_gw_path_modifier = SCHEMA_TABLE_ORIGIN(
    "path", struct gw_path_modifier, kinds_gw_path_modifier_fields,
    kinds_gw_path_modifier_validate);

static const char *const kinds_gw_schemes[] = { "http", "https", NULL };

static const struct schema_field kinds_gw_redirect_fields[] = {
	G_ENUMSTR("scheme", struct gw_redirect, scheme, 0, kinds_gw_schemes),
	G_STRC("hostname", struct gw_redirect, hostname, 0,
	    kinds_gw_check_hostname),
	G_PTR("path", struct gw_redirect, path, &kinds_gw_path_modifier, 0),
	G_INT("port", struct gw_redirect, port, 0, G_PORT_MIN, G_PORT_MAX),
	G_INT("statusCode", struct gw_redirect, status_code, 0, 301, 308),
};

/* 301, 302, 303, 307 and 308 are what Envoy can send. */
static void
kinds_gw_redirect_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct gw_redirect *r = obj;

	if (r->status_code != 0 && (r->status_code == 304 ||
	    r->status_code == 305 || r->status_code == 306))
		schema_error_at(ctx, ynode_get(map, "statusCode"), "statusCode",
		    "%d is not a redirect status (301, 302, 303, 307 or 308)",
		    r->status_code);
}
static const struct schema_table kinds_gw_redirect = SCHEMA_TABLE_ORIGIN(
    "requestRedirect", struct gw_redirect, kinds_gw_redirect_fields,
    kinds_gw_redirect_validate);

static const struct schema_field kinds_gw_url_rewrite_fields[] = {
	G_STRC("hostname", struct gw_url_rewrite, hostname, 0,
	    kinds_gw_check_hostname),
	G_PTR("path", struct gw_url_rewrite, path, &kinds_gw_path_modifier, 0),
};
static const struct schema_table kinds_gw_url_rewrite = SCHEMA_TABLE_ORIGIN(
    "urlRewrite", struct gw_url_rewrite, kinds_gw_url_rewrite_fields, NULL);

static const struct schema_field kinds_gw_fraction_fields[] = {
	G_INT("numerator", struct gw_fraction, numerator, SCHEMA_REQUIRED, 0,
	    INT32_MAX),
	G_INTHAS("denominator", struct gw_fraction, denominator, has_denominator,
	    1, INT32_MAX),
};

static void
kinds_gw_fraction_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct gw_fraction *fr = obj;
	int32_t den = fr->has_denominator ? fr->denominator : 100;

	if (fr->numerator > den)
		schema_error(ctx, map, "numerator %d is greater than denominator %d",
		    fr->numerator, den);
}
static const struct schema_table kinds_gw_fraction = SCHEMA_TABLE_ORIGIN(
    "fraction", struct gw_fraction, kinds_gw_fraction_fields,
    kinds_gw_fraction_validate);

static const struct schema_table kinds_gw_backend_ref;

/* mirror backendRef: no weight, no filters. */
static const struct schema_field kinds_gw_mirror_ref_fields[] = {
	KINDS_GW_REF_ROWS(struct gw_backend_ref),
	G_INTHAS("port", struct gw_backend_ref, port, has_port, G_PORT_MIN, G_PORT_MAX),
};
static const struct schema_table kinds_gw_mirror_ref = SCHEMA_TABLE_ORIGIN(
    "backendRef", struct gw_backend_ref, kinds_gw_mirror_ref_fields, NULL);

static void
kinds_gw_mirror_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct gw_mirror *m = obj;

	if (m->has_percent && m->fraction != NULL)
		schema_error(ctx, map, "percent and fraction are exclusive");
}

static const struct schema_field kinds_gw_mirror_fields[] = {
	G_PTR("backendRef", struct gw_mirror, backend_ref, &kinds_gw_mirror_ref,
	    SCHEMA_REQUIRED),
	G_INTHAS("percent", struct gw_mirror, percent, has_percent, 0, 100),
	G_PTR("fraction", struct gw_mirror, fraction, &kinds_gw_fraction, 0),
};
static const struct schema_table kinds_gw_mirror = SCHEMA_TABLE_ORIGIN(
    "requestMirror", struct gw_mirror, kinds_gw_mirror_fields,
    kinds_gw_mirror_validate);

static const struct schema_field kinds_gw_cors_fields[] = {
	G_STRV("allowOrigins", struct gw_cors, allow_origins, nallow_origins, 0),
	G_STRV("allowMethods", struct gw_cors, allow_methods, nallow_methods, 0),
	G_STRV("allowHeaders", struct gw_cors, allow_headers, nallow_headers, 0),
	G_STRV("exposeHeaders", struct gw_cors, expose_headers, nexpose_headers, 0),
	G_BOOL("allowCredentials", struct gw_cors, allow_credentials),
	G_INTHAS("maxAge", struct gw_cors, max_age, has_max_age, 1, INT32_MAX),
};
static const struct schema_table kinds_gw_cors = SCHEMA_TABLE_ORIGIN(
    "cors", struct gw_cors, kinds_gw_cors_fields, NULL);

static const struct schema_field kinds_gw_extension_ref_fields[] = {
	G_STR("group", struct gw_extension_ref, group, SCHEMA_REQUIRED),
	G_STR("kind", struct gw_extension_ref, kind, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("name", struct gw_extension_ref, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_gw_extension_ref = SCHEMA_TABLE_ORIGIN(
    "extensionRef", struct gw_extension_ref, kinds_gw_extension_ref_fields, NULL);

static const char *const kinds_gw_filter_types[] = {
	"RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect",
	"URLRewrite", "RequestMirror", "CORS", "ExtensionRef", NULL
};

/* The field named by type must be set, and no other (the API's CEL). */
static void
kinds_gw_filter_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct gw_filter *f = obj;
	static const struct {
		const char *type, *key;
		size_t off;
	} members[] = {
		{ "RequestHeaderModifier", "requestHeaderModifier",
		  offsetof(struct gw_filter, request_header_modifier) },
		{ "ResponseHeaderModifier", "responseHeaderModifier",
		  offsetof(struct gw_filter, response_header_modifier) },
		{ "RequestRedirect", "requestRedirect",
		  offsetof(struct gw_filter, request_redirect) },
		{ "URLRewrite", "urlRewrite", offsetof(struct gw_filter, url_rewrite) },
		{ "RequestMirror", "requestMirror",
		  offsetof(struct gw_filter, request_mirror) },
		{ "CORS", "cors", offsetof(struct gw_filter, cors) },
		{ "ExtensionRef", "extensionRef",
		  offsetof(struct gw_filter, extension_ref) },
	};

	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		bool set = *(void *const *)((const char *)f + members[i].off) != NULL;
		bool named = strcmp(f->type, members[i].type) == 0;

		if (named && !set)
			schema_error(ctx, map, "type %s needs %s", f->type,
			    members[i].key);
		else if (!named && set)
			schema_error_at(ctx, ynode_get(map, members[i].key),
			    members[i].key, "must not be set for type %s", f->type);
	}
}

static const struct schema_field kinds_gw_filter_fields[] = {
	G_ENUMSTR("type", struct gw_filter, type, SCHEMA_REQUIRED,
	    kinds_gw_filter_types),
	G_PTR("requestHeaderModifier", struct gw_filter, request_header_modifier,
	    &kinds_gw_header_modifier, 0),
	G_PTR("responseHeaderModifier", struct gw_filter, response_header_modifier,
	    &kinds_gw_header_modifier, 0),
	G_PTR("requestRedirect", struct gw_filter, request_redirect,
	    &kinds_gw_redirect, 0),
	G_PTR("urlRewrite", struct gw_filter, url_rewrite, &kinds_gw_url_rewrite, 0),
	G_PTR("requestMirror", struct gw_filter, request_mirror, &kinds_gw_mirror, 0),
	G_PTR("cors", struct gw_filter, cors, &kinds_gw_cors, 0),
	G_PTR("extensionRef", struct gw_filter, extension_ref,
	    &kinds_gw_extension_ref, 0),
};
static const struct schema_table kinds_gw_filter = SCHEMA_TABLE_ORIGIN(
    "filter", struct gw_filter, kinds_gw_filter_fields, kinds_gw_filter_validate);

static const struct schema_field kinds_gw_backend_ref_fields[] = {
	KINDS_GW_REF_ROWS(struct gw_backend_ref),
	G_INTHAS("port", struct gw_backend_ref, port, has_port, G_PORT_MIN, G_PORT_MAX),
	G_INTHAS("weight", struct gw_backend_ref, weight, has_weight, 0, 1000000),
	G_LIST("filters", struct gw_backend_ref, filters, nfilters,
	    &kinds_gw_filter, 0),
};
static const struct schema_table kinds_gw_backend_ref = SCHEMA_TABLE_ORIGIN(
    "backendRef", struct gw_backend_ref, kinds_gw_backend_ref_fields, NULL);

static const char *const kinds_gw_match_types[] = {
	"Exact", "RegularExpression", NULL
};

static const struct schema_field kinds_gw_value_match_fields[] = {
	G_ENUMSTR("type", struct gw_value_match, type, 0, kinds_gw_match_types),
	G_STR("name", struct gw_value_match, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("value", struct gw_value_match, value, SCHEMA_REQUIRED),
};
static const struct schema_table kinds_gw_value_match = SCHEMA_TABLE_ORIGIN(
    "match", struct gw_value_match, kinds_gw_value_match_fields, NULL);

/* --- HTTPRoute ----------------------------------------------------------- */

static const char *const kinds_gw_path_types[] = {
	"Exact", "PathPrefix", "RegularExpression", NULL
};

/* Exact and PathPrefix values are absolute paths (the API's CEL). */
static void
kinds_gw_path_match_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct gw_path_match *p = obj;

	if ((p->type == NULL || strcmp(p->type, "RegularExpression") != 0) &&
	    p->value != NULL && p->value[0] != '/')
		schema_error_at(ctx, ynode_get(map, "value"), "value",
		    "\"%s\" must be an absolute path (start with \"/\")", p->value);
}

static const struct schema_field kinds_gw_path_match_fields[] = {
	G_ENUMSTR("type", struct gw_path_match, type, 0, kinds_gw_path_types),
	G_STR("value", struct gw_path_match, value, 0),
};
static const struct schema_table kinds_gw_path_match = SCHEMA_TABLE_ORIGIN(
    "path", struct gw_path_match, kinds_gw_path_match_fields,
    kinds_gw_path_match_validate);

static const char *const kinds_gw_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
	"PATCH", NULL
};

static const struct schema_field kinds_gw_http_match_fields[] = {
	G_PTR("path", struct gw_http_match, path, &kinds_gw_path_match, 0),
	G_LIST("headers", struct gw_http_match, headers, nheaders,
	    &kinds_gw_value_match, 0),
	G_LIST("queryParams", struct gw_http_match, query_params, nquery_params,
	    &kinds_gw_value_match, 0),
	G_ENUMSTR("method", struct gw_http_match, method, 0, kinds_gw_methods),
};
static const struct schema_table kinds_gw_http_match = SCHEMA_TABLE_ORIGIN(
    "match", struct gw_http_match, kinds_gw_http_match_fields, NULL);

static const struct schema_field kinds_gw_timeouts_fields[] = {
	G_STRC("request", struct gw_timeouts, request, 0, kinds_gw_check_duration),
	G_STRC("backendRequest", struct gw_timeouts, backend_request, 0,
	    kinds_gw_check_duration),
};
/* The API's rule: a backendRequest longer than a (non-zero) request
 * timeout could never be reached. */
static void
kinds_gw_timeouts_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct gw_timeouts *t = obj;
	int64_t request, backend;
	const char *why;

	if (t->request == NULL || t->backend_request == NULL ||
	    duration_parse_ms(t->request, &request, &why) != 0 ||
	    duration_parse_ms(t->backend_request, &backend, &why) != 0)
		return;
	if (request != 0 && backend > request)
		schema_error(ctx, map, "backendRequest %s is longer than request "
		    "%s: it must be at most the request timeout (or request "
		    "\"0s\", no timeout)", t->backend_request, t->request);
}
static const struct schema_table kinds_gw_timeouts = SCHEMA_TABLE_ORIGIN(
    "timeouts", struct gw_timeouts, kinds_gw_timeouts_fields,
    kinds_gw_timeouts_validate);

static const struct schema_field kinds_gw_retry_fields[] = {
	G_INTHAS("attempts", struct gw_retry, attempts, has_attempts, 0, INT32_MAX),
	{ .key = "codes", .type = SCHEMA_CUSTOM, .custom = kinds_gw_codes },
	G_STRC("backoff", struct gw_retry, backoff, 0, kinds_gw_check_duration),
};
static const struct schema_table kinds_gw_retry = SCHEMA_TABLE_ORIGIN(
    "retry", struct gw_retry, kinds_gw_retry_fields, NULL);

/* sessionPersistence (GEP-1619): the API's enums and length, its rule
 * that a Permanent cookie needs absoluteTimeout, and a sessionName that is
 * an HTTP token, since Envoy writes it as a cookie or header name. */
static const char *const kinds_gw_session_types[] = { "Cookie", "Header", NULL };
static const char *const kinds_gw_lifetime_types[] = { "Permanent", "Session",
	NULL };

static const struct schema_field kinds_gw_cookie_config_fields[] = {
	G_ENUMSTR("lifetimeType", struct gw_cookie_config, lifetime_type, 0,
	    kinds_gw_lifetime_types),
};
static const struct schema_table kinds_gw_cookie_config = SCHEMA_TABLE_ORIGIN(
    "cookieConfig", struct gw_cookie_config, kinds_gw_cookie_config_fields,
    NULL);

static const char *
kinds_gw_check_session_name(const char *s)
{
	if (strlen(s) > 128)
		return "must be at most 128 characters";
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("!#$%&'*+-.^_`|~", *c)))
			return "must be an HTTP token (letters, digits and "
			    "!#$%&'*+-.^_`|~): it is the cookie or header name";
	return NULL;
}

static void
kinds_gw_session_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct gw_session_persistence *sp = obj;

	if (sp->cookie_config != NULL && sp->cookie_config->lifetime_type != NULL &&
	    strcmp(sp->cookie_config->lifetime_type, "Permanent") == 0 &&
	    sp->absolute_timeout == NULL)
		schema_error(ctx, map, "absoluteTimeout must be specified when "
		    "cookie lifetimeType is Permanent (it is the cookie's Max-Age)");
}

static const struct schema_field kinds_gw_session_fields[] = {
	G_STRC("sessionName", struct gw_session_persistence, session_name,
	    SCHEMA_NONEMPTY, kinds_gw_check_session_name),
	G_STRC("absoluteTimeout", struct gw_session_persistence, absolute_timeout,
	    0, kinds_gw_check_duration),
	G_STRC("idleTimeout", struct gw_session_persistence, idle_timeout, 0,
	    kinds_gw_check_duration),
	G_ENUMSTR("type", struct gw_session_persistence, type, 0,
	    kinds_gw_session_types),
	G_PTR("cookieConfig", struct gw_session_persistence, cookie_config,
	    &kinds_gw_cookie_config, 0),
};
static const struct schema_table kinds_gw_session = SCHEMA_TABLE_ORIGIN(
    "sessionPersistence", struct gw_session_persistence,
    kinds_gw_session_fields, kinds_gw_session_validate);

static const struct schema_field kinds_gw_http_rule_fields[] = {
	KINDS_GW_RULE_ROWS(struct gw_http_rule, &kinds_gw_http_match),
	G_PTR("timeouts", struct gw_http_rule, timeouts, &kinds_gw_timeouts, 0),
	G_PTR("retry", struct gw_http_rule, retry, &kinds_gw_retry, 0),
	G_PTR("sessionPersistence", struct gw_http_rule, session_persistence,
	    &kinds_gw_session, 0),
};
static const struct schema_table kinds_gw_http_rule = SCHEMA_TABLE_ORIGIN(
    "rule", struct gw_http_rule, kinds_gw_http_rule_fields, NULL);

static const struct schema_field kinds_httproute_spec_fields[] = {
	KINDS_GW_PARENT_REFS_ROW(struct httproute),
	KINDS_GW_HOSTNAMES_ROW(struct httproute),
	G_LIST("rules", struct httproute, rules, nrules, &kinds_gw_http_rule, 0),
};
static const struct schema_table kinds_httproute_spec = SCHEMA_TABLE(
    "spec", struct httproute, kinds_httproute_spec_fields, NULL);

static const struct schema_field kinds_httproute_fields[] = {
	G_DOCUMENT(struct httproute, u.httproute, &kinds_httproute_spec,
	    SCHEMA_REQUIRED),
};
const struct schema_table kinds_httproute = SCHEMA_TABLE(
    "HTTPRoute", struct object, kinds_httproute_fields, NULL);

/* --- GRPCRoute ----------------------------------------------------------- */

static void
kinds_gw_grpc_method_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct gw_grpc_method_match *m = obj;

	if (m->service == NULL && m->method == NULL)
		schema_error(ctx, map, "one of service or method must be set");
}

static const struct schema_field kinds_gw_grpc_method_fields[] = {
	G_ENUMSTR("type", struct gw_grpc_method_match, type, 0,
	    kinds_gw_match_types),
	G_STR("service", struct gw_grpc_method_match, service, SCHEMA_NONEMPTY),
	G_STR("method", struct gw_grpc_method_match, method, SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_gw_grpc_method = SCHEMA_TABLE_ORIGIN(
    "method", struct gw_grpc_method_match, kinds_gw_grpc_method_fields,
    kinds_gw_grpc_method_validate);

static const struct schema_field kinds_gw_grpc_match_fields[] = {
	G_PTR("method", struct gw_grpc_match, method, &kinds_gw_grpc_method, 0),
	G_LIST("headers", struct gw_grpc_match, headers, nheaders,
	    &kinds_gw_value_match, 0),
};
static const struct schema_table kinds_gw_grpc_match = SCHEMA_TABLE_ORIGIN(
    "match", struct gw_grpc_match, kinds_gw_grpc_match_fields, NULL);

static const struct schema_field kinds_gw_grpc_rule_fields[] = {
	KINDS_GW_RULE_ROWS(struct gw_grpc_rule, &kinds_gw_grpc_match),
	G_PTR("sessionPersistence", struct gw_grpc_rule, session_persistence,
	    &kinds_gw_session, 0),
};
static const struct schema_table kinds_gw_grpc_rule = SCHEMA_TABLE_ORIGIN(
    "rule", struct gw_grpc_rule, kinds_gw_grpc_rule_fields, NULL);

static const struct schema_field kinds_grpcroute_spec_fields[] = {
	KINDS_GW_PARENT_REFS_ROW(struct grpcroute),
	KINDS_GW_HOSTNAMES_ROW(struct grpcroute),
	G_LIST("rules", struct grpcroute, rules, nrules, &kinds_gw_grpc_rule, 0),
};
static const struct schema_table kinds_grpcroute_spec = SCHEMA_TABLE(
    "spec", struct grpcroute, kinds_grpcroute_spec_fields, NULL);

static const struct schema_field kinds_grpcroute_fields[] = {
	G_DOCUMENT(struct grpcroute, u.grpcroute, &kinds_grpcroute_spec,
	    SCHEMA_REQUIRED),
};
const struct schema_table kinds_grpcroute = SCHEMA_TABLE(
    "GRPCRoute", struct object, kinds_grpcroute_fields, NULL);

/* --- TLSRoute, TCPRoute -------------------------------------------------- */

static const struct schema_field kinds_gw_l4_rule_fields[] = {
	G_STRC("name", struct gw_l4_rule, name, 0, schema_check_dns1123_subdomain),
	G_LIST("backendRefs", struct gw_l4_rule, backend_refs, nbackend_refs,
	    &kinds_gw_backend_ref, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_gw_l4_rule = SCHEMA_TABLE_ORIGIN(
    "rule", struct gw_l4_rule, kinds_gw_l4_rule_fields, NULL);

static const struct schema_field kinds_tlsroute_spec_fields[] = {
	KINDS_GW_PARENT_REFS_ROW(struct l4route),
	KINDS_GW_HOSTNAMES_ROW(struct l4route),
	G_LIST("rules", struct l4route, rules, nrules, &kinds_gw_l4_rule,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_tlsroute_spec = SCHEMA_TABLE(
    "spec", struct l4route, kinds_tlsroute_spec_fields, NULL);

static const struct schema_field kinds_tlsroute_fields[] = {
	G_DOCUMENT(struct l4route, u.l4route, &kinds_tlsroute_spec,
	    SCHEMA_REQUIRED),
};
const struct schema_table kinds_tlsroute = SCHEMA_TABLE(
    "TLSRoute", struct object, kinds_tlsroute_fields, NULL);

static const struct schema_field kinds_tcproute_spec_fields[] = {
	KINDS_GW_PARENT_REFS_ROW(struct l4route),
	G_LIST("rules", struct l4route, rules, nrules, &kinds_gw_l4_rule,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_tcproute_spec = SCHEMA_TABLE(
    "spec", struct l4route, kinds_tcproute_spec_fields, NULL);

static const struct schema_field kinds_tcproute_fields[] = {
	G_DOCUMENT(struct l4route, u.l4route, &kinds_tcproute_spec,
	    SCHEMA_REQUIRED),
};
const struct schema_table kinds_tcproute = SCHEMA_TABLE(
    "TCPRoute", struct object, kinds_tcproute_fields, NULL);
