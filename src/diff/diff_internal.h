/* Internals of the plan (diff.c and the files of each kind it compares:
 * routes.c, clusters.c, listeners.c, secrets.c, objects.c): the plan
 * being made, the walk over two resource sets, and the helpers they
 * share. The API is diff.h. */
#ifndef CAIRN_DIFF_DIFF_INTERNAL_H
#define CAIRN_DIFF_DIFF_INTERNAL_H

#include "diff/diff.h"

#include <jansson.h>

#include "xds/snapshot.h"

typedef void (*diff_pair_fn)(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to);

struct diff_plan {
	json_t *hosts, *clusters, *endpoints, *listeners, *secrets, *objects;
	size_t errors;
};

/* --- diff.c: the walk, field-level differences -------------------------- */

void diff_json_field_diff(const char *path, const json_t *a, const json_t *b,
    const char *skip, json_t *out);

void diff_walk_pairs(const struct xds_resource_set *a,
    const struct xds_resource_set *b, diff_pair_fn fn, void *ctx);

json_t *diff_resource_json(enum xds_type type, const struct xds_resource *r);

const char *diff_change_name(const void *from, const void *to);

/* --- objects.c: object statuses ----------------------------------------- */

const char *diff_json_str(const json_t *o, const char *key);

struct dag_object_status;

/* diff_objects_from_statuses with the items in the statuses' order (not
 * sorted): item i is status i's record. */
void diff_objects_from_statuses_ordered(struct diff_objects *out,
    const struct dag_object_status *statuses, size_t n);
/* Whether item o is what status st records (its identity, status, why
 * and where: every field of a diff_object). */
bool diff_object_records(const struct diff_object *o,
    const struct dag_object_status *st);
/* Whether b records what a does, judged without reading a string: the
 * same kind and status, and its identity, why and where at the same
 * addresses. Sound only while the memory a's strings point into cannot
 * have been freed and reused (a false "no" is merely slower). */
bool diff_status_same(const struct dag_object_status *a,
    const struct dag_object_status *b);
/* A list of its own (one pool) of items[idx[0..n)] (idx NULL: the first
 * n), in that order. */
void diff_objects_of_items(struct diff_objects *out,
    const struct diff_object *items, const size_t *idx, size_t n);

/* --- routes.c: RouteConfigurations -------------------------------------- */

bool diff_pair_fields(struct diff_plan *p, bool has_from, json_t *a,
    bool has_to, json_t *b, const char *skip, json_t **fields);

void diff_route_config_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to);

json_t *diff_hosts_merge(json_t *hosts);

/* --- clusters.c: clusters and endpoint sets ----------------------------- */

void diff_clusters_diff(struct diff_plan *p, const struct xds_resource_set *sa,
    const struct xds_resource_set *sb);

void diff_endpoint_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to);

/* --- listeners.c: Listeners --------------------------------------------- */

void diff_listener_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to);

/* --- secrets.c: Secrets ------------------------------------------------- */

void diff_secret_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to);

#endif
