/* Schema tables of ExtensionService (projectcontour.io/v1alpha1) and of
 * the HTTPProxy fields that use one: virtualhost.authorization and
 * authPolicy (virtual hosts and routes). What the references mean
 * (the Services, the ExtensionService, the CA) is checked by the DAG
 * (src/dag/extension.c). */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>
#include <string.h>

#define X_STR(key_, type_, field_, flags_, check_)                             \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_), .check = (check_) }
#define X_ENUMSTR(key_, type_, field_, allowed_)                               \
	{ .key = (key_), .type = SCHEMA_STRING, .offset = offsetof(type_, field_), \
	  .allowed = (allowed_) }
#define X_BOOL(key_, type_, field_)                                             \
	{ .key = (key_), .type = SCHEMA_BOOL, .offset = offsetof(type_, field_) }
#define X_PTR(key_, type_, field_, sub_)                                       \
	{ .key = (key_), .type = SCHEMA_OBJECT_PTR, .offset = offsetof(type_, field_), \
	  .sub = (sub_) }

/* --- authPolicy ------------------------------------------------------------- */

static const struct schema_field kinds_auth_policy_fields[] = {
	X_BOOL("disabled", struct hp_auth_policy, disabled),
	{ .key = "context", .type = SCHEMA_STRING_MAP,
	  .offset = offsetof(struct hp_auth_policy, context),
	  .count_offset = offsetof(struct hp_auth_policy, ncontext) },
};
const struct schema_table kinds_auth_policy = SCHEMA_TABLE_ORIGIN(
    "authPolicy", struct hp_auth_policy, kinds_auth_policy_fields, NULL);

/* --- virtualhost.authorization ------------------------------------------------ */

static const struct schema_field kinds_extension_ref_fields[] = {
	X_STR("apiVersion", struct hp_extension_ref, api_version, 0, NULL),
	X_STR("namespace", struct hp_extension_ref, namespace, 0,
	    schema_check_dns1123_label),
	X_STR("name", struct hp_extension_ref, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	    schema_check_dns1123_subdomain),
};
static const struct schema_table kinds_extension_ref = SCHEMA_TABLE_ORIGIN(
    "extensionRef", struct hp_extension_ref, kinds_extension_ref_fields, NULL);

static const struct schema_field kinds_auth_body_fields[] = {
	{ .key = "maxRequestBytes", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_auth_body, max_request_bytes),
	  .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_auth_body, has_max_request_bytes),
	  .min = 1, .max = 0x7fffffff },
	X_BOOL("allowPartialMessage", struct hp_auth_body, allow_partial_message),
	X_BOOL("packAsBytes", struct hp_auth_body, pack_as_bytes),
};
static const struct schema_table kinds_auth_body = SCHEMA_TABLE_ORIGIN(
    "withRequestBody", struct hp_auth_body, kinds_auth_body_fields, NULL);

static const struct schema_field kinds_authorization_fields[] = {
	{ .key = "extensionRef", .type = SCHEMA_OBJECT_PTR, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct hp_authorization, extension_ref),
	  .sub = &kinds_extension_ref },
	/* Checked by the DAG: Contour reports AuthResponseTimeoutInvalid. */
	X_STR("responseTimeout", struct hp_authorization, response_timeout, 0, NULL),
	X_BOOL("failOpen", struct hp_authorization, fail_open),
	X_PTR("authPolicy", struct hp_authorization, auth_policy, &kinds_auth_policy),
	X_PTR("withRequestBody", struct hp_authorization, with_request_body,
	    &kinds_auth_body),
};
const struct schema_table kinds_authorization = SCHEMA_TABLE_ORIGIN(
    "authorization", struct hp_authorization, kinds_authorization_fields, NULL);

/* --- ExtensionService ---------------------------------------------------------- */

static const struct schema_field kinds_ext_service_ref_fields[] = {
	X_STR("name", struct ext_service_ref, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	    schema_check_dns1123_subdomain),
	{ .key = "port", .type = SCHEMA_INT32, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct ext_service_ref, port), .min = 1, .max = 65535 },
	{ .key = "weight", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct ext_service_ref, weight) },
};
static const struct schema_table kinds_ext_service_ref = SCHEMA_TABLE_ORIGIN(
    "service", struct ext_service_ref, kinds_ext_service_ref_fields, NULL);

#define X_U32(key_, field_)                                                    \
	{ .key = (key_), .type = SCHEMA_UINT32,                                \
	  .offset = offsetof(struct ext_circuit_breakers, field_) }
static const struct schema_field kinds_ext_cb_fields[] = {
	X_U32("maxConnections", max_connections),
	X_U32("maxPendingRequests", max_pending_requests),
	X_U32("maxRequests", max_requests),
	X_U32("maxRetries", max_retries),
	X_U32("perHostMaxConnections", per_host_max_connections),
};
#undef X_U32
static const struct schema_table kinds_ext_cb = SCHEMA_TABLE_ORIGIN(
    "circuitBreakerPolicy", struct ext_circuit_breakers, kinds_ext_cb_fields,
    NULL);

static const char *const kinds_ext_protocols[] = { "h2", "h2c", NULL };
static const char *const kinds_ext_versions[] = { "v3", NULL };

static const struct schema_field kinds_ext_spec_fields[] = {
	{ .key = "services", .type = SCHEMA_OBJECT_LIST,
	  .offset = offsetof(struct extension_service, services),
	  .count_offset = offsetof(struct extension_service, nservices),
	  .sub = &kinds_ext_service_ref, .flags = SCHEMA_REQUIRED | SCHEMA_NONEMPTY },
	X_ENUMSTR("protocol", struct extension_service, protocol, kinds_ext_protocols),
	X_ENUMSTR("protocolVersion", struct extension_service, protocol_version,
	    kinds_ext_versions),
	X_PTR("validation", struct extension_service, validation,
	    &kinds_upstream_validation),
	X_PTR("loadBalancerPolicy", struct extension_service, lb_policy,
	    &kinds_lb_policy),
	X_PTR("timeoutPolicy", struct extension_service, timeout_policy,
	    &kinds_timeout),
	/* The cluster's circuit_breakers, as Contour's ExtensionCluster. */
	X_PTR("circuitBreakerPolicy", struct extension_service, circuit_breakers,
	    &kinds_ext_cb),
};
static const struct schema_table kinds_ext_spec = SCHEMA_TABLE("spec",
    struct extension_service, kinds_ext_spec_fields, NULL);

static const struct schema_field kinds_extension_service_fields[] = {
	{ .key = "apiVersion", .type = SCHEMA_IGNORE },
	{ .key = "kind", .type = SCHEMA_IGNORE },
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "spec", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, u.extension_service),
	  .sub = &kinds_ext_spec },
	{ .key = "status", .type = SCHEMA_IGNORE },
};
const struct schema_table kinds_extension_service = SCHEMA_TABLE(
    "ExtensionService", struct object, kinds_extension_service_fields, NULL);
