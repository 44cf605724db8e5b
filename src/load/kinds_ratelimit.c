/* Schema table of rateLimitPolicy.global (HTTPProxy virtual hosts and
 * routes, and rate-limit-service.default-global-rate-limit-policy of
 * cairn.yaml): descriptors of entries, each genericKey, requestHeader,
 * requestHeaderValueMatch or remoteAddress. That an entry sets exactly
 * one of them is Contour's status check (RateLimitPolicyNotValid), made
 * by the DAG (src/dag/ratelimit.c). */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>

#define R_STR(key_, type_, field_, flags_)                                     \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_) }

static const struct schema_field kinds_rl_generic_key_fields[] = {
	R_STR("key", struct hp_rl_generic_key, key, 0),
	R_STR("value", struct hp_rl_generic_key, value,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_rl_generic_key = SCHEMA_TABLE_ORIGIN(
    "genericKey", struct hp_rl_generic_key, kinds_rl_generic_key_fields, NULL);

static const struct schema_field kinds_rl_request_header_fields[] = {
	R_STR("headerName", struct hp_rl_request_header, header_name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	R_STR("descriptorKey", struct hp_rl_request_header, descriptor_key,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_rl_request_header = SCHEMA_TABLE_ORIGIN(
    "requestHeader", struct hp_rl_request_header,
    kinds_rl_request_header_fields, NULL);

static const struct schema_field kinds_rl_header_value_match_fields[] = {
	{ .key = "headers", .type = SCHEMA_OBJECT_LIST,
	  .offset = offsetof(struct hp_rl_header_value_match, headers),
	  .count_offset = offsetof(struct hp_rl_header_value_match, nheaders),
	  .sub = &kinds_header, .flags = SCHEMA_REQUIRED | SCHEMA_NONEMPTY },
	R_STR("value", struct hp_rl_header_value_match, value,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	{ .key = "expectMatch", .type = SCHEMA_BOOL, .flags = SCHEMA_HAS,
	  .offset = offsetof(struct hp_rl_header_value_match, expect_match),
	  .has_offset = offsetof(struct hp_rl_header_value_match, has_expect_match) },
};
static const struct schema_table kinds_rl_header_value_match =
    SCHEMA_TABLE_ORIGIN("requestHeaderValueMatch",
    struct hp_rl_header_value_match, kinds_rl_header_value_match_fields, NULL);

/* remoteAddress: {} (no fields). */
static void
kinds_rl_remote_address(struct schema_ctx *ctx, const struct ynode *node,
    void *obj, const struct schema_field *f)
{
	struct hp_rl_entry *e = obj;

	(void)f;
	if (!ynode_is_null(node) && (node->type != YNODE_MAPPING ||
	    node->map.n != 0)) {
		schema_error(ctx, node, "remoteAddress takes no fields: write "
		    "remoteAddress: {}");
		return;
	}
	e->remote_address = true;
}

static const struct schema_field kinds_rl_entry_fields[] = {
	{ .key = "genericKey", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct hp_rl_entry, generic_key),
	  .sub = &kinds_rl_generic_key },
	{ .key = "requestHeader", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct hp_rl_entry, request_header),
	  .sub = &kinds_rl_request_header },
	{ .key = "requestHeaderValueMatch", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct hp_rl_entry, header_value_match),
	  .sub = &kinds_rl_header_value_match },
	{ .key = "remoteAddress", .type = SCHEMA_CUSTOM,
	  .custom = kinds_rl_remote_address },
};
static const struct schema_table kinds_rl_entry = SCHEMA_TABLE_ORIGIN(
    "entry", struct hp_rl_entry, kinds_rl_entry_fields, NULL);

static const struct schema_field kinds_rl_descriptor_fields[] = {
	{ .key = "entries", .type = SCHEMA_OBJECT_LIST,
	  .offset = offsetof(struct hp_rl_descriptor, entries),
	  .count_offset = offsetof(struct hp_rl_descriptor, nentries),
	  .sub = &kinds_rl_entry, .flags = SCHEMA_REQUIRED | SCHEMA_NONEMPTY },
};
static const struct schema_table kinds_rl_descriptor = SCHEMA_TABLE_ORIGIN(
    "descriptor", struct hp_rl_descriptor, kinds_rl_descriptor_fields, NULL);

static const struct schema_field kinds_global_ratelimit_fields[] = {
	{ .key = "disabled", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct hp_global_ratelimit, disabled) },
	{ .key = "descriptors", .type = SCHEMA_OBJECT_LIST,
	  .offset = offsetof(struct hp_global_ratelimit, descriptors),
	  .count_offset = offsetof(struct hp_global_ratelimit, ndescriptors),
	  .sub = &kinds_rl_descriptor },
};
const struct schema_table kinds_global_ratelimit = SCHEMA_TABLE_ORIGIN(
    "global", struct hp_global_ratelimit, kinds_global_ratelimit_fields, NULL);
