/* The resource kinds cairn reads (SPEC.md §5) and the schema table that
 * decodes each into a struct object. */
#ifndef CAIRN_LOAD_KINDS_H
#define CAIRN_LOAD_KINDS_H

#include "load/objects.h"
#include "load/schema.h"

struct kind_info {
	const char *api_version, *kind;
	enum obj_kind obj_kind;
	const struct schema_table *table; /* the whole document -> struct object */
};

/* NULL for a pair cairn does not know (the caller skips it). */
const struct kind_info *kinds_find(const char *api_version, const char *kind);

/* rateLimitPolicy.global of HTTPProxy (struct hp_global_ratelimit), also
 * cairn.yaml's default-global-rate-limit-policy. */
extern const struct schema_table kinds_global_ratelimit;

#endif
