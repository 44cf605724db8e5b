/* Schema tables of the Gateway API kinds (SPEC.md §5a): GatewayClass,
 * Gateway, HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, ReferenceGrant,
 * BackendTLSPolicy, and the two core kinds they lean on, ConfigMap (only
 * data.ca.crt) and Namespace (labels). Every field of the API has a row:
 * what cairn does not implement yet is decoded all the same (the DAG
 * reports it as UnsupportedValue in status, as Gateway API asks), so that
 * the upstream manifests load as they are. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>
#include <string.h>

#include "util/duration.h"
#include "util/xalloc.h"

#define G_STR(key_, type_, field_, flags_)                                    \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_) }
#define G_STRC(key_, type_, field_, flags_, check_)                           \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_), .check = (check_) }
#define G_ENUMSTR(key_, type_, field_, flags_, allowed_)                      \
	{ .key = (key_), .type = SCHEMA_STRING, .offset = offsetof(type_, field_), \
	  .flags = (flags_), .allowed = (allowed_) }
#define G_STRHAS(key_, type_, field_, has_)                                   \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = SCHEMA_HAS,              \
	  .has_offset = offsetof(type_, has_) }
#define G_INT(key_, type_, field_, flags_, min_, max_)                        \
	{ .key = (key_), .type = SCHEMA_INT32, .offset = offsetof(type_, field_), \
	  .flags = (flags_), .min = (min_), .max = (max_) }
#define G_INTHAS(key_, type_, field_, has_, min_, max_)                       \
	{ .key = (key_), .type = SCHEMA_INT32, .offset = offsetof(type_, field_), \
	  .flags = SCHEMA_HAS, .has_offset = offsetof(type_, has_),            \
	  .min = (min_), .max = (max_) }
#define G_BOOL(key_, type_, field_)                                            \
	{ .key = (key_), .type = SCHEMA_BOOL, .offset = offsetof(type_, field_) }
#define G_STRV(key_, type_, field_, count_, flags_)                           \
	{ .key = (key_), .type = SCHEMA_STRING_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .flags = (flags_) }
#define G_MAP(key_, type_, field_, count_)                                    \
	{ .key = (key_), .type = SCHEMA_STRING_MAP,                            \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_) }
#define G_PTR(key_, type_, field_, sub_, flags_)                              \
	{ .key = (key_), .type = SCHEMA_OBJECT_PTR, .offset = offsetof(type_, field_), \
	  .sub = (sub_), .flags = (flags_) }
#define G_OBJ(key_, type_, field_, sub_, flags_)                              \
	{ .key = (key_), .type = SCHEMA_OBJECT, .offset = offsetof(type_, field_), \
	  .sub = (sub_), .flags = (flags_) }
#define G_LIST(key_, type_, field_, count_, sub_, flags_)                     \
	{ .key = (key_), .type = SCHEMA_OBJECT_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .sub = (sub_), .flags = (flags_) }
#define G_IGNORE(key_) { .key = (key_), .type = SCHEMA_IGNORE }

#define PORT_MIN 1
#define PORT_MAX 65535

/* The document rows every kind shares. */
#define G_DOCUMENT(spec_type_, spec_field_, spec_sub_, spec_flags_)          \
	G_IGNORE("apiVersion"), G_IGNORE("kind"),                              \
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,  \
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },       \
	{ .key = "spec", .type = SCHEMA_OBJECT, .flags = (spec_flags_),        \
	  .offset = offsetof(struct object, spec_field_), .sub = (spec_sub_) }, \
	G_IGNORE("status")

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

/* A hostname as Gateway API takes it: lowercase RFC 1123, optionally
 * "*." in front, no IP address; checked further by the DAG. */
static const char *
kinds_gw_check_hostname(const char *s)
{
	return schema_check_fqdn(s);
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

/* --- shared parts -------------------------------------------------------- */

static const struct schema_field kinds_gw_object_ref_fields[] = {
	G_STR("group", struct gw_object_ref, group, 0),
	G_STR("kind", struct gw_object_ref, kind, 0),
	G_STRC("namespace", struct gw_object_ref, namespace, 0,
	    schema_check_dns1123_label),
	G_STR("name", struct gw_object_ref, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("sectionName", struct gw_object_ref, section_name, 0),
};
static const struct schema_table kinds_gw_object_ref = SCHEMA_TABLE_ORIGIN(
    "reference", struct gw_object_ref, kinds_gw_object_ref_fields, NULL);

/* ReferenceGrant from[]: group, kind, namespace (no name). */
static const struct schema_field kinds_gw_grant_from_fields[] = {
	G_STR("group", struct gw_object_ref, group, SCHEMA_REQUIRED),
	G_STR("kind", struct gw_object_ref, kind, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STRC("namespace", struct gw_object_ref, namespace,
	    SCHEMA_REQUIRED, schema_check_dns1123_label),
};
static const struct schema_table kinds_gw_grant_from = SCHEMA_TABLE_ORIGIN(
    "from", struct gw_object_ref, kinds_gw_grant_from_fields, NULL);

/* ReferenceGrant to[]: group, kind, optional name. */
static const struct schema_field kinds_gw_grant_to_fields[] = {
	G_STR("group", struct gw_object_ref, group, SCHEMA_REQUIRED),
	G_STR("kind", struct gw_object_ref, kind, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("name", struct gw_object_ref, name, 0),
};
static const struct schema_table kinds_gw_grant_to = SCHEMA_TABLE_ORIGIN(
    "to", struct gw_object_ref, kinds_gw_grant_to_fields, NULL);

static const struct schema_field kinds_gw_parent_ref_fields[] = {
	G_STR("group", struct gw_parent_ref, group, 0),
	G_STR("kind", struct gw_parent_ref, kind, 0),
	G_STRC("namespace", struct gw_parent_ref, namespace, 0,
	    schema_check_dns1123_label),
	G_STR("name", struct gw_parent_ref, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("sectionName", struct gw_parent_ref, section_name, SCHEMA_NONEMPTY),
	G_INTHAS("port", struct gw_parent_ref, port, has_port, PORT_MIN, PORT_MAX),
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
	G_INT("port", struct gw_redirect, port, 0, PORT_MIN, PORT_MAX),
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
	G_STR("group", struct gw_backend_ref, group, 0),
	G_STR("kind", struct gw_backend_ref, kind, 0),
	G_STRC("namespace", struct gw_backend_ref, namespace, 0,
	    schema_check_dns1123_label),
	G_STR("name", struct gw_backend_ref, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_INTHAS("port", struct gw_backend_ref, port, has_port, PORT_MIN, PORT_MAX),
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
	G_STR("group", struct gw_backend_ref, group, 0),
	G_STR("kind", struct gw_backend_ref, kind, 0),
	G_STRC("namespace", struct gw_backend_ref, namespace, 0,
	    schema_check_dns1123_label),
	G_STR("name", struct gw_backend_ref, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_INTHAS("port", struct gw_backend_ref, port, has_port, PORT_MIN, PORT_MAX),
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

/* --- GatewayClass -------------------------------------------------------- */

static const struct schema_field kinds_gatewayclass_spec_fields[] = {
	G_STR("controllerName", struct gatewayclass, controller_name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("description", struct gatewayclass, description, 0),
	G_PTR("parametersRef", struct gatewayclass, parameters_ref,
	    &kinds_gw_object_ref, 0),
};
static const struct schema_table kinds_gatewayclass_spec = SCHEMA_TABLE(
    "spec", struct gatewayclass, kinds_gatewayclass_spec_fields, NULL);

static const struct schema_field kinds_gatewayclass_fields[] = {
	G_DOCUMENT(struct gatewayclass, u.gatewayclass, &kinds_gatewayclass_spec,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_gatewayclass = SCHEMA_TABLE(
    "GatewayClass", struct object, kinds_gatewayclass_fields, NULL);

/* --- Gateway ------------------------------------------------------------- */

static const char *const kinds_gw_label_ops[] = {
	"In", "NotIn", "Exists", "DoesNotExist", NULL
};

static const struct schema_field kinds_gw_label_requirement_fields[] = {
	G_STR("key", struct gw_label_requirement, key,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_ENUMSTR("operator", struct gw_label_requirement, operator_,
	    SCHEMA_REQUIRED, kinds_gw_label_ops),
	G_STRV("values", struct gw_label_requirement, values, nvalues, 0),
};
static const struct schema_table kinds_gw_label_requirement = SCHEMA_TABLE_ORIGIN(
    "matchExpression", struct gw_label_requirement,
    kinds_gw_label_requirement_fields, NULL);

static const struct schema_field kinds_gw_label_selector_fields[] = {
	G_MAP("matchLabels", struct gw_label_selector, match_labels, nmatch_labels),
	G_LIST("matchExpressions", struct gw_label_selector, match_expressions,
	    nmatch_expressions, &kinds_gw_label_requirement, 0),
};
static const struct schema_table kinds_gw_label_selector = SCHEMA_TABLE_ORIGIN(
    "selector", struct gw_label_selector, kinds_gw_label_selector_fields, NULL);

static const char *const kinds_gw_from[] = {
	"Same", "All", "Selector", "None", NULL
};

static void
kinds_gw_route_namespaces_validate(struct schema_ctx *ctx,
    const struct ynode *map, void *obj)
{
	const struct gw_route_namespaces *n = obj;

	if (n->from != NULL && strcmp(n->from, "Selector") == 0 &&
	    n->selector == NULL)
		schema_error(ctx, map, "from: Selector needs a selector");
}

static const struct schema_field kinds_gw_route_namespaces_fields[] = {
	G_ENUMSTR("from", struct gw_route_namespaces, from, 0, kinds_gw_from),
	G_PTR("selector", struct gw_route_namespaces, selector,
	    &kinds_gw_label_selector, 0),
};
static const struct schema_table kinds_gw_route_namespaces = SCHEMA_TABLE_ORIGIN(
    "namespaces", struct gw_route_namespaces, kinds_gw_route_namespaces_fields,
    kinds_gw_route_namespaces_validate);

static const struct schema_field kinds_gw_route_group_kind_fields[] = {
	G_STR("group", struct gw_route_group_kind, group, 0),
	G_STR("kind", struct gw_route_group_kind, kind,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_gw_route_group_kind = SCHEMA_TABLE_ORIGIN(
    "kind", struct gw_route_group_kind, kinds_gw_route_group_kind_fields, NULL);

static const struct schema_field kinds_gw_allowed_routes_fields[] = {
	G_PTR("namespaces", struct gw_allowed_routes, namespaces,
	    &kinds_gw_route_namespaces, 0),
	G_LIST("kinds", struct gw_allowed_routes, kinds, nkinds,
	    &kinds_gw_route_group_kind, 0),
};
static const struct schema_table kinds_gw_allowed_routes = SCHEMA_TABLE_ORIGIN(
    "allowedRoutes", struct gw_allowed_routes, kinds_gw_allowed_routes_fields,
    NULL);

static const char *const kinds_gw_tls_modes[] = {
	"Terminate", "Passthrough", NULL
};

static const struct schema_field kinds_gw_listener_tls_fields[] = {
	G_ENUMSTR("mode", struct gw_listener_tls, mode, 0, kinds_gw_tls_modes),
	G_LIST("certificateRefs", struct gw_listener_tls, certificate_refs,
	    ncertificate_refs, &kinds_gw_object_ref, 0),
	G_MAP("options", struct gw_listener_tls, options, noptions),
};
static const struct schema_table kinds_gw_listener_tls = SCHEMA_TABLE_ORIGIN(
    "tls", struct gw_listener_tls, kinds_gw_listener_tls_fields, NULL);

static const struct schema_field kinds_gw_listener_fields[] = {
	G_STRC("name", struct gw_listener, name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	G_STRC("hostname", struct gw_listener, hostname, 0,
	    kinds_gw_check_hostname),
	G_INT("port", struct gw_listener, port, SCHEMA_REQUIRED, PORT_MIN, PORT_MAX),
	/* Any protocol loads: one cairn does not serve is the listener's
	 * UnsupportedProtocol condition, as Gateway API asks. */
	G_STR("protocol", struct gw_listener, protocol,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_PTR("tls", struct gw_listener, tls, &kinds_gw_listener_tls, 0),
	G_PTR("allowedRoutes", struct gw_listener, allowed_routes,
	    &kinds_gw_allowed_routes, 0),
};
static const struct schema_table kinds_gw_listener = SCHEMA_TABLE_ORIGIN(
    "listener", struct gw_listener, kinds_gw_listener_fields, NULL);

static const struct schema_field kinds_gw_address_fields[] = {
	G_STR("type", struct gw_address, type, 0),
	/* no value: the implementation picks one (v1.3) */
	G_STR("value", struct gw_address, value, 0),
};
static const struct schema_table kinds_gw_address = SCHEMA_TABLE_ORIGIN(
    "address", struct gw_address, kinds_gw_address_fields, NULL);

static const char *const kinds_gw_validation_modes[] = {
	"AllowValidOnly", "AllowInsecureFallback", NULL
};

static const struct schema_field kinds_gw_frontend_validation_fields[] = {
	G_LIST("caCertificateRefs", struct gw_frontend_validation,
	    ca_certificate_refs, nca_certificate_refs, &kinds_gw_object_ref, 0),
	G_ENUMSTR("mode", struct gw_frontend_validation, mode, 0,
	    kinds_gw_validation_modes),
};
static const struct schema_table kinds_gw_frontend_validation = SCHEMA_TABLE_ORIGIN(
    "validation", struct gw_frontend_validation,
    kinds_gw_frontend_validation_fields, NULL);

/* tls.frontend.default and perPort[].tls: { validation } */
struct kinds_gw_tls_config {
	struct gw_frontend_validation *validation;
};
static const struct schema_field kinds_gw_tls_config_fields[] = {
	G_PTR("validation", struct kinds_gw_tls_config, validation,
	    &kinds_gw_frontend_validation, 0),
};
static const struct schema_table kinds_gw_tls_config = SCHEMA_TABLE(
    "tls", struct kinds_gw_tls_config, kinds_gw_tls_config_fields, NULL);

static const struct schema_field kinds_gw_tls_port_fields[] = {
	G_INT("port", struct gw_tls_port_config, port, SCHEMA_REQUIRED, PORT_MIN,
	    PORT_MAX),
	/* perPort[].tls holds only validation: decode it in place */
	G_OBJ("tls", struct gw_tls_port_config, validation, &kinds_gw_tls_config,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_gw_tls_port = SCHEMA_TABLE_ORIGIN(
    "perPort", struct gw_tls_port_config, kinds_gw_tls_port_fields, NULL);

static const struct schema_field kinds_gw_frontend_tls_fields[] = {
	G_OBJ("default", struct gw_frontend_tls, default_validation,
	    &kinds_gw_tls_config, 0),
	G_LIST("perPort", struct gw_frontend_tls, per_port, nper_port,
	    &kinds_gw_tls_port, 0),
};
static const struct schema_table kinds_gw_frontend_tls = SCHEMA_TABLE_ORIGIN(
    "frontend", struct gw_frontend_tls, kinds_gw_frontend_tls_fields, NULL);

struct kinds_gw_backend_tls {
	struct gw_object_ref *client_certificate_ref;
};
static const struct schema_field kinds_gw_backend_tls_fields[] = {
	G_PTR("clientCertificateRef", struct kinds_gw_backend_tls,
	    client_certificate_ref, &kinds_gw_object_ref, 0),
};
static const struct schema_table kinds_gw_backend_tls = SCHEMA_TABLE(
    "backend", struct kinds_gw_backend_tls, kinds_gw_backend_tls_fields, NULL);

static const struct schema_field kinds_gw_gateway_tls_fields[] = {
	G_PTR("frontend", struct gw_gateway_tls, frontend, &kinds_gw_frontend_tls, 0),
	G_OBJ("backend", struct gw_gateway_tls, backend_client_certificate_ref,
	    &kinds_gw_backend_tls, 0),
};
static const struct schema_table kinds_gw_gateway_tls = SCHEMA_TABLE_ORIGIN(
    "tls", struct gw_gateway_tls, kinds_gw_gateway_tls_fields, NULL);

static const struct schema_field kinds_gw_allowed_listeners_fields[] = {
	G_PTR("namespaces", struct gw_allowed_listeners, namespaces,
	    &kinds_gw_route_namespaces, 0),
};
static const struct schema_table kinds_gw_allowed_listeners = SCHEMA_TABLE_ORIGIN(
    "allowedListeners", struct gw_allowed_listeners,
    kinds_gw_allowed_listeners_fields, NULL);

static const struct schema_field kinds_gateway_spec_fields[] = {
	G_STR("gatewayClassName", struct gateway, gateway_class_name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_LIST("listeners", struct gateway, listeners, nlisteners,
	    &kinds_gw_listener, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_LIST("addresses", struct gateway, addresses, naddresses,
	    &kinds_gw_address, 0),
	G_PTR("tls", struct gateway, tls, &kinds_gw_gateway_tls, 0),
	G_PTR("allowedListeners", struct gateway, allowed_listeners,
	    &kinds_gw_allowed_listeners, 0),
	/* labels, annotations and parametersRef for provisioned
	 * infrastructure: nothing is provisioned on a host. */
	{ .key = "infrastructure", .type = SCHEMA_IGNORE, .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct gateway, has_infrastructure) },
};
static const struct schema_table kinds_gateway_spec = SCHEMA_TABLE(
    "spec", struct gateway, kinds_gateway_spec_fields, NULL);

static const struct schema_field kinds_gateway_fields[] = {
	G_DOCUMENT(struct gateway, u.gateway, &kinds_gateway_spec, SCHEMA_REQUIRED),
};
static const struct schema_table kinds_gateway = SCHEMA_TABLE(
    "Gateway", struct object, kinds_gateway_fields, NULL);

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
	G_STRC("name", struct gw_http_rule, name, 0, schema_check_dns1123_subdomain),
	G_LIST("matches", struct gw_http_rule, matches, nmatches,
	    &kinds_gw_http_match, 0),
	G_LIST("filters", struct gw_http_rule, filters, nfilters,
	    &kinds_gw_filter, 0),
	G_LIST("backendRefs", struct gw_http_rule, backend_refs, nbackend_refs,
	    &kinds_gw_backend_ref, 0),
	G_PTR("timeouts", struct gw_http_rule, timeouts, &kinds_gw_timeouts, 0),
	G_PTR("retry", struct gw_http_rule, retry, &kinds_gw_retry, 0),
	G_PTR("sessionPersistence", struct gw_http_rule, session_persistence,
	    &kinds_gw_session, 0),
};
static const struct schema_table kinds_gw_http_rule = SCHEMA_TABLE_ORIGIN(
    "rule", struct gw_http_rule, kinds_gw_http_rule_fields, NULL);

static const struct schema_field kinds_httproute_spec_fields[] = {
	G_LIST("parentRefs", struct httproute, parent_refs, nparent_refs,
	    &kinds_gw_parent_ref, 0),
	{ .key = "hostnames", .type = SCHEMA_STRING_LIST,
	  .offset = offsetof(struct httproute, hostnames),
	  .count_offset = offsetof(struct httproute, nhostnames),
	  .check = kinds_gw_check_hostname },
	G_LIST("rules", struct httproute, rules, nrules, &kinds_gw_http_rule, 0),
};
static const struct schema_table kinds_httproute_spec = SCHEMA_TABLE(
    "spec", struct httproute, kinds_httproute_spec_fields, NULL);

static const struct schema_field kinds_httproute_fields[] = {
	G_DOCUMENT(struct httproute, u.httproute, &kinds_httproute_spec,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_httproute = SCHEMA_TABLE(
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
	G_STRC("name", struct gw_grpc_rule, name, 0, schema_check_dns1123_subdomain),
	G_LIST("matches", struct gw_grpc_rule, matches, nmatches,
	    &kinds_gw_grpc_match, 0),
	G_LIST("filters", struct gw_grpc_rule, filters, nfilters,
	    &kinds_gw_filter, 0),
	G_LIST("backendRefs", struct gw_grpc_rule, backend_refs, nbackend_refs,
	    &kinds_gw_backend_ref, 0),
	G_PTR("sessionPersistence", struct gw_grpc_rule, session_persistence,
	    &kinds_gw_session, 0),
};
static const struct schema_table kinds_gw_grpc_rule = SCHEMA_TABLE_ORIGIN(
    "rule", struct gw_grpc_rule, kinds_gw_grpc_rule_fields, NULL);

static const struct schema_field kinds_grpcroute_spec_fields[] = {
	G_LIST("parentRefs", struct grpcroute, parent_refs, nparent_refs,
	    &kinds_gw_parent_ref, 0),
	{ .key = "hostnames", .type = SCHEMA_STRING_LIST,
	  .offset = offsetof(struct grpcroute, hostnames),
	  .count_offset = offsetof(struct grpcroute, nhostnames),
	  .check = kinds_gw_check_hostname },
	G_LIST("rules", struct grpcroute, rules, nrules, &kinds_gw_grpc_rule, 0),
};
static const struct schema_table kinds_grpcroute_spec = SCHEMA_TABLE(
    "spec", struct grpcroute, kinds_grpcroute_spec_fields, NULL);

static const struct schema_field kinds_grpcroute_fields[] = {
	G_DOCUMENT(struct grpcroute, u.grpcroute, &kinds_grpcroute_spec,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_grpcroute = SCHEMA_TABLE(
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
	G_LIST("parentRefs", struct l4route, parent_refs, nparent_refs,
	    &kinds_gw_parent_ref, 0),
	{ .key = "hostnames", .type = SCHEMA_STRING_LIST,
	  .offset = offsetof(struct l4route, hostnames),
	  .count_offset = offsetof(struct l4route, nhostnames),
	  .check = kinds_gw_check_hostname },
	G_LIST("rules", struct l4route, rules, nrules, &kinds_gw_l4_rule,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_tlsroute_spec = SCHEMA_TABLE(
    "spec", struct l4route, kinds_tlsroute_spec_fields, NULL);

static const struct schema_field kinds_tlsroute_fields[] = {
	G_DOCUMENT(struct l4route, u.l4route, &kinds_tlsroute_spec,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_tlsroute = SCHEMA_TABLE(
    "TLSRoute", struct object, kinds_tlsroute_fields, NULL);

static const struct schema_field kinds_tcproute_spec_fields[] = {
	G_LIST("parentRefs", struct l4route, parent_refs, nparent_refs,
	    &kinds_gw_parent_ref, 0),
	G_LIST("rules", struct l4route, rules, nrules, &kinds_gw_l4_rule,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_tcproute_spec = SCHEMA_TABLE(
    "spec", struct l4route, kinds_tcproute_spec_fields, NULL);

static const struct schema_field kinds_tcproute_fields[] = {
	G_DOCUMENT(struct l4route, u.l4route, &kinds_tcproute_spec,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_tcproute = SCHEMA_TABLE(
    "TCPRoute", struct object, kinds_tcproute_fields, NULL);

/* --- ReferenceGrant ------------------------------------------------------ */

static const struct schema_field kinds_referencegrant_spec_fields[] = {
	G_LIST("from", struct referencegrant, from, nfrom, &kinds_gw_grant_from,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_LIST("to", struct referencegrant, to, nto, &kinds_gw_grant_to,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_referencegrant_spec = SCHEMA_TABLE(
    "spec", struct referencegrant, kinds_referencegrant_spec_fields, NULL);

static const struct schema_field kinds_referencegrant_fields[] = {
	G_DOCUMENT(struct referencegrant, u.referencegrant,
	    &kinds_referencegrant_spec, SCHEMA_REQUIRED),
};
static const struct schema_table kinds_referencegrant = SCHEMA_TABLE(
    "ReferenceGrant", struct object, kinds_referencegrant_fields, NULL);

/* --- BackendTLSPolicy ---------------------------------------------------- */

static const char *const kinds_gw_san_types[] = { "Hostname", "URI", NULL };

static const struct schema_field kinds_gw_san_fields[] = {
	G_ENUMSTR("type", struct gw_san, type, SCHEMA_REQUIRED, kinds_gw_san_types),
	G_STRC("hostname", struct gw_san, hostname, 0, kinds_gw_check_hostname),
	G_STR("uri", struct gw_san, uri, 0),
};

static void
kinds_gw_san_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct gw_san *s = obj;
	bool host = strcmp(s->type, "Hostname") == 0;

	if (host ? s->hostname == NULL : s->uri == NULL)
		schema_error(ctx, map, "type %s needs %s", s->type,
		    host ? "hostname" : "uri");
	else if (host ? s->uri != NULL : s->hostname != NULL)
		schema_error(ctx, map, "type %s: %s must not be set", s->type,
		    host ? "uri" : "hostname");
}
static const struct schema_table kinds_gw_san = SCHEMA_TABLE_ORIGIN(
    "subjectAltName", struct gw_san, kinds_gw_san_fields, kinds_gw_san_validate);

static const char *const kinds_gw_well_known[] = { "System", NULL };

static const struct schema_field kinds_gw_backend_tls_validation_fields[] = {
	G_LIST("caCertificateRefs", struct gw_backend_tls_validation,
	    ca_certificate_refs, nca_certificate_refs, &kinds_gw_object_ref, 0),
	G_ENUMSTR("wellKnownCACertificates", struct gw_backend_tls_validation,
	    well_known_ca_certificates, 0, kinds_gw_well_known),
	G_STRC("hostname", struct gw_backend_tls_validation, hostname,
	    SCHEMA_REQUIRED, kinds_gw_check_hostname),
	G_LIST("subjectAltNames", struct gw_backend_tls_validation,
	    subject_alt_names, nsubject_alt_names, &kinds_gw_san, 0),
};

/* Exactly one source of trust (the API's CEL). */
static void
kinds_gw_backend_tls_validation_validate(struct schema_ctx *ctx,
    const struct ynode *map, void *obj)
{
	const struct gw_backend_tls_validation *v = obj;

	if ((v->nca_certificate_refs > 0) == (v->well_known_ca_certificates != NULL))
		schema_error(ctx, map, "set exactly one of caCertificateRefs and "
		    "wellKnownCACertificates");
}
static const struct schema_table kinds_gw_backend_tls_validation =
    SCHEMA_TABLE_ORIGIN("validation", struct gw_backend_tls_validation,
    kinds_gw_backend_tls_validation_fields,
    kinds_gw_backend_tls_validation_validate);

static const struct schema_field kinds_backendtlspolicy_spec_fields[] = {
	G_LIST("targetRefs", struct backendtlspolicy, target_refs, ntarget_refs,
	    &kinds_gw_object_ref, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_OBJ("validation", struct backendtlspolicy, validation,
	    &kinds_gw_backend_tls_validation, SCHEMA_REQUIRED),
	G_MAP("options", struct backendtlspolicy, options, noptions),
};
static const struct schema_table kinds_backendtlspolicy_spec = SCHEMA_TABLE(
    "spec", struct backendtlspolicy, kinds_backendtlspolicy_spec_fields, NULL);

static const struct schema_field kinds_backendtlspolicy_fields[] = {
	G_DOCUMENT(struct backendtlspolicy, u.backendtlspolicy,
	    &kinds_backendtlspolicy_spec, SCHEMA_REQUIRED),
};
static const struct schema_table kinds_backendtlspolicy = SCHEMA_TABLE(
    "BackendTLSPolicy", struct object, kinds_backendtlspolicy_fields, NULL);

/* --- ConfigMap, Namespace ------------------------------------------------ */

/* data: every key is accepted (ConfigMaps hold other things too); only
 * ca.crt is kept. */
static void
kinds_configmap_data(struct schema_ctx *ctx, const struct ynode *node,
    void *obj, const struct schema_field *f)
{
	struct object *o = obj;
	const struct ynode *v;

	(void)f;
	if (node->type != YNODE_MAPPING) {
		schema_error(ctx, node, "expected a mapping of strings, got %s",
		    ynode_type_name(node));
		return;
	}
	v = ynode_get(node, "ca.crt");
	if (v == NULL || ynode_is_null(v))
		return;
	if (v->type != YNODE_SCALAR || strlen(v->scalar.value) != v->scalar.len) {
		schema_error_at(ctx, v, "ca.crt", "expected a PEM string, got %s",
		    ynode_type_name(v));
		return;
	}
	o->u.configmap.ca_crt = arena_strdup(ctx->arena, v->scalar.value);
	o->u.configmap.ca_crt_origin.file = ctx->file;
	o->u.configmap.ca_crt_origin.line = v->line;
	o->u.configmap.ca_crt_origin.col = v->col;
}

static const struct schema_field kinds_configmap_fields[] = {
	G_IGNORE("apiVersion"), G_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "data", .type = SCHEMA_CUSTOM, .custom = kinds_configmap_data },
	G_IGNORE("binaryData"),
	G_IGNORE("immutable"),
};
static const struct schema_table kinds_configmap = SCHEMA_TABLE(
    "ConfigMap", struct object, kinds_configmap_fields, NULL);

static const struct schema_field kinds_namespace_fields[] = {
	G_IGNORE("apiVersion"), G_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	G_IGNORE("spec"), /* finalizers */
	G_IGNORE("status"),
};
static const struct schema_table kinds_namespace = SCHEMA_TABLE(
    "Namespace", struct object, kinds_namespace_fields, NULL);

/* --- the kinds ------------------------------------------------------------ */

#define GW "gateway.networking.k8s.io/"

const struct kind_info kinds_gateway_api[] = {
	{ GW "v1", "GatewayClass", OBJ_GATEWAYCLASS, &kinds_gatewayclass },
	{ GW "v1beta1", "GatewayClass", OBJ_GATEWAYCLASS, &kinds_gatewayclass },
	{ GW "v1", "Gateway", OBJ_GATEWAY, &kinds_gateway },
	{ GW "v1beta1", "Gateway", OBJ_GATEWAY, &kinds_gateway },
	{ GW "v1", "HTTPRoute", OBJ_HTTPROUTE, &kinds_httproute },
	{ GW "v1beta1", "HTTPRoute", OBJ_HTTPROUTE, &kinds_httproute },
	{ GW "v1", "GRPCRoute", OBJ_GRPCROUTE, &kinds_grpcroute },
	{ GW "v1", "TLSRoute", OBJ_TLSROUTE, &kinds_tlsroute },
	{ GW "v1alpha3", "TLSRoute", OBJ_TLSROUTE, &kinds_tlsroute },
	{ GW "v1alpha2", "TLSRoute", OBJ_TLSROUTE, &kinds_tlsroute },
	{ GW "v1alpha2", "TCPRoute", OBJ_TCPROUTE, &kinds_tcproute },
	{ GW "v1alpha3", "TCPRoute", OBJ_TCPROUTE, &kinds_tcproute },
	{ GW "v1", "TCPRoute", OBJ_TCPROUTE, &kinds_tcproute },
	{ GW "v1beta1", "ReferenceGrant", OBJ_REFERENCEGRANT, &kinds_referencegrant },
	{ GW "v1", "ReferenceGrant", OBJ_REFERENCEGRANT, &kinds_referencegrant },
	{ GW "v1alpha3", "BackendTLSPolicy", OBJ_BACKENDTLSPOLICY,
	  &kinds_backendtlspolicy },
	{ GW "v1", "BackendTLSPolicy", OBJ_BACKENDTLSPOLICY, &kinds_backendtlspolicy },
	{ "v1", "ConfigMap", OBJ_CONFIGMAP, &kinds_configmap },
	{ "v1", "Namespace", OBJ_NAMESPACE, &kinds_namespace },
	{ NULL, NULL, OBJ_KIND_COUNT, NULL },
};
