/* What a change does to what Envoy receives (SPEC.md §13, `cairn diff`):
 * two snapshots and the status of their objects in, a plan out, grouped
 * the way a person reads it (per virtual host, cluster, endpoint set,
 * listener, Secret, object status) rather than per protobuf.
 *
 * The plan is a JSON document (its field names are documented in
 * man/cairn.1, DIFF JSON); the text form is rendered from it, so both
 * always say the same. Resources whose versions are equal are never
 * decoded; inside a changed RouteConfiguration only the virtual hosts
 * whose bytes differ are converted and compared route by route. */
#ifndef CAIRN_DIFF_DIFF_H
#define CAIRN_DIFF_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct dag;
struct snapshot;
struct strbuf;

/* One object's status, owned by its list (it outlives the build it came
 * from). A daemon copies every object's status on every change, so the
 * strings live in one block per list, not one allocation each. */
struct diff_object {
	int kind_rank; /* enum obj_kind: the DAG's order */
	const char *kind, *namespace, *name;
	const char *status; /* "valid", "invalid", "orphaned" */
	const char *reason, *message; /* of the first problem; NULL when valid */
	const char *file;
	int line, col;
};

struct diff_objects {
	struct diff_object *items; /* sorted by kind, namespace, name */
	size_t n;
	char *pool; /* the strings */
};

void diff_objects_from_dag(struct diff_objects *out, const struct dag *dag);
/* From the "objects" array of report_json() / the admin /status. Returns
 * -1 when status has no such array. */
int diff_objects_from_json(struct diff_objects *out, const json_t *status);
void diff_objects_free(struct diff_objects *o);

struct diff_side {
	const struct snapshot *snapshot; /* secrets already redacted or not: both alike */
	const struct diff_objects *objects; /* may be NULL: statuses not compared */
	const char *revision; /* shown in the plan; may be NULL */
};

/* The plan from -> to. Caller owns it (json_decref). */
json_t *diff_compute(const struct diff_side *from, const struct diff_side *to);
/* Nothing Envoy receives and no object's status changes. */
bool diff_plan_empty(const json_t *plan);
/* The one-line summary ("3 routes changed on 2 hosts, 1 cluster added"),
 * borrowed from plan. */
const char *diff_plan_summary(const json_t *plan);
/* The text form; nothing at all for an empty plan. color: ANSI colors. */
void diff_render_text(const json_t *plan, bool color, struct strbuf *out);

/* One route as a line: "/api  [x-canary: yes]  -> shop/api:8080 (90%), ..."
 * (route is the proto3 JSON of a Route). Caller frees. */
char *diff_route_line(const json_t *route);
/* "shop/api/8080/0a1b2c3d4e" -> "shop/api:8080": a cluster as people name
 * it (the options hash dropped). Caller frees. */
char *diff_cluster_label(const char *cluster_name);

#endif
