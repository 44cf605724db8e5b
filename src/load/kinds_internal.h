/* Shared between the schema table files of src/load/ (kinds.c and
 * kinds_*.c) only: the row macros of the core and HTTPProxy tables and the
 * tables one file uses from another. */
#ifndef CAIRN_LOAD_KINDS_INTERNAL_H
#define CAIRN_LOAD_KINDS_INTERNAL_H

#include <stddef.h>

#include "load/schema.h"

/* Rows of a struct schema_field array, by the shape of the member. */
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
#define F_BOOL(key_, type_, field_)                                             \
	{ .key = (key_), .type = SCHEMA_BOOL, .offset = offsetof(type_, field_) }
#define F_STRV(key_, type_, field_, count_, flags_)                            \
	{ .key = (key_), .type = SCHEMA_STRING_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .flags = (flags_) }
#define F_PTR(key_, type_, field_, sub_)                                       \
	{ .key = (key_), .type = SCHEMA_OBJECT_PTR, .offset = offsetof(type_, field_), \
	  .sub = (sub_) }
/* Rows of members in a table's side struct (SCHEMA_SIDE). */
#define F_SIDE_PTR(key_, type_, field_, sub_)                                  \
	{ .key = (key_), .type = SCHEMA_OBJECT_PTR, .offset = offsetof(type_, field_), \
	  .sub = (sub_), .flags = SCHEMA_SIDE }
#define F_SIDE_LIST(key_, type_, field_, count_, sub_)                         \
	{ .key = (key_), .type = SCHEMA_OBJECT_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .sub = (sub_), .flags = SCHEMA_SIDE }
#define F_ENUMSTR(key_, type_, field_, flags_, allowed_)                       \
	{ .key = (key_), .type = SCHEMA_STRING, .offset = offsetof(type_, field_), \
	  .flags = (flags_), .allowed = (allowed_) }

/* kinds_core.c */
extern const struct schema_table kinds_meta;
extern const struct schema_table kinds_service;
extern const struct schema_table kinds_endpoints;
extern const struct schema_table kinds_endpointslice;
/* kinds_ingress.c */
extern const struct schema_table kinds_ingress;
/* kinds_httpproxy.c */
extern const struct schema_table kinds_httpproxy;
extern const struct schema_table kinds_header; /* conditions[].header */
/* kinds_httpproxy_policies.c */
extern const struct schema_table kinds_service_ref; /* HTTPProxy services[] */
extern const struct schema_table kinds_lb_policy;
extern const struct schema_table kinds_timeout; /* timeoutPolicy */
extern const struct schema_table kinds_headers_policy;
extern const struct schema_table kinds_cookie_rewrite;
extern const struct schema_table kinds_retry;
extern const struct schema_table kinds_health_check;
extern const struct schema_table kinds_path_rewrite;
extern const struct schema_table kinds_redirect;
extern const struct schema_table kinds_direct_response;
extern const struct schema_table kinds_ratelimit; /* rateLimitPolicy */
extern const struct schema_table kinds_ip_filter;
extern const struct schema_table kinds_cors;
extern const struct schema_table kinds_internal_redirect;

/* kinds_tls.c */
extern const struct schema_table kinds_secret;
extern const struct schema_table kinds_tlsdelegation;
extern const struct schema_table kinds_hp_tls; /* virtualhost.tls */
extern const struct schema_table kinds_tcpproxy; /* spec.tcpproxy */
extern const struct schema_table kinds_upstream_validation; /* services[].validation */

/* kinds_ext.c */
extern const struct schema_table kinds_extension_service;
extern const struct schema_table kinds_authorization; /* virtualhost.authorization */
extern const struct schema_table kinds_auth_policy; /* authPolicy */
/* kinds_ratelimit.c */
extern const struct schema_table kinds_global_ratelimit; /* rateLimitPolicy.global */
/* kinds_jwt.c */
extern const struct schema_table kinds_jwt_provider; /* virtualhost.jwtProviders[] */
extern const struct schema_table kinds_jwt_policy; /* routes[].jwtVerificationPolicy */
/* kinds_gateway.c: ends with a row whose api_version is NULL */
struct kind_info;
extern const struct kind_info kinds_gateway_api[];

/* --- Gateway API (kinds_gateway.c, kinds_gateway_routes.c,
 * kinds_gateway_policies.c): their row macros and shared tables. */

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

#define G_PORT_MIN 1
#define G_PORT_MAX 65535

/* The document rows every kind shares. */
#define G_DOCUMENT(spec_type_, spec_field_, spec_sub_, spec_flags_)          \
	G_IGNORE("apiVersion"), G_IGNORE("kind"),                              \
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,  \
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },       \
	{ .key = "spec", .type = SCHEMA_OBJECT, .flags = (spec_flags_),        \
	  .offset = offsetof(struct object, spec_field_), .sub = (spec_sub_) }, \
	G_IGNORE("status")

/* kinds_gateway.c */
const char *kinds_gw_check_hostname(const char *s);
extern const struct schema_table kinds_gw_object_ref;

/* kinds_gateway_routes.c */
extern const struct schema_table kinds_httproute;
extern const struct schema_table kinds_grpcroute;
extern const struct schema_table kinds_tlsroute;
extern const struct schema_table kinds_tcproute;

/* kinds_gateway_policies.c */
extern const struct schema_table kinds_referencegrant;
extern const struct schema_table kinds_backendtlspolicy;
extern const struct schema_table kinds_configmap;
extern const struct schema_table kinds_namespace;

#endif
