/* Schema tables of Contour's JWT verification in HTTPProxy:
 * virtualhost.jwtProviders[] and routes[].jwtVerificationPolicy. The URI,
 * durations and DNS family are kept as written: the DAG checks them and
 * reports Contour's status reasons (src/dag/jwt.c). */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>

#define J_STR(key_, type_, field_, flags_)                                      \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_) }
#define J_BOOL(key_, type_, field_)                                             \
	{ .key = (key_), .type = SCHEMA_BOOL, .offset = offsetof(type_, field_) }

static const struct schema_field kinds_remote_jwks_fields[] = {
	J_STR("uri", struct hp_remote_jwks, uri, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	J_STR("timeout", struct hp_remote_jwks, timeout, 0),
	J_STR("cacheDuration", struct hp_remote_jwks, cache_duration, 0),
	J_STR("dnsLookupFamily", struct hp_remote_jwks, dns_lookup_family, 0),
	{ .key = "validation", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct hp_remote_jwks, validation),
	  .sub = &kinds_upstream_validation },
};
static const struct schema_table kinds_remote_jwks = SCHEMA_TABLE_ORIGIN(
    "remoteJWKS", struct hp_remote_jwks, kinds_remote_jwks_fields, NULL);

static const struct schema_field kinds_jwt_provider_fields[] = {
	J_STR("name", struct hp_jwt_provider, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	J_BOOL("default", struct hp_jwt_provider, is_default),
	J_STR("issuer", struct hp_jwt_provider, issuer, 0),
	{ .key = "audiences", .type = SCHEMA_STRING_LIST,
	  .offset = offsetof(struct hp_jwt_provider, audiences),
	  .count_offset = offsetof(struct hp_jwt_provider, naudiences) },
	{ .key = "remoteJWKS", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct hp_jwt_provider, remote_jwks),
	  .sub = &kinds_remote_jwks, .flags = SCHEMA_REQUIRED },
	J_BOOL("forwardJWT", struct hp_jwt_provider, forward_jwt),
};
const struct schema_table kinds_jwt_provider = SCHEMA_TABLE_ORIGIN(
    "jwtProvider", struct hp_jwt_provider, kinds_jwt_provider_fields, NULL);

static const struct schema_field kinds_jwt_policy_fields[] = {
	J_STR("require", struct hp_jwt_policy, require, 0),
	J_BOOL("disabled", struct hp_jwt_policy, disabled),
};
const struct schema_table kinds_jwt_policy = SCHEMA_TABLE_ORIGIN(
    "jwtVerificationPolicy", struct hp_jwt_policy, kinds_jwt_policy_fields, NULL);
