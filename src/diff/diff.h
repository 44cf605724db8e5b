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
#include <stdio.h>

#include <jansson.h>

struct dag;
struct dag_object_status;
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
	size_t pool_len;
};

void diff_objects_from_dag(struct diff_objects *out, const struct dag *dag);
void diff_objects_from_statuses(struct diff_objects *out,
    const struct dag_object_status *statuses, size_t n);
/* The objects of several lists, in one list of their own (sorted). */
void diff_objects_concat(struct diff_objects *out,
    const struct diff_objects *const *lists, size_t nlists);
/* The order of diff_objects items: kind, namespace, name. */
int diff_object_cmp(const void *a, const void *b);
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

/* The plan of every Gateway served on a or b, by "NS/NAME", only those
 * that change (the default plan has every object's status already).
 * NULL when no Gateway changes. Caller owns it (gateways.c). */
struct snapshot;
struct strbuf;
json_t *diff_gateway_plans(struct snapshot *a, struct snapshot *b,
    const char *from_revision, const char *to_revision);
/* Those plans after the default one, each under a line naming the
 * Gateway, indented. NULL plans: nothing. */
void diff_gateway_plans_text(const json_t *plans, bool color, struct strbuf *out);

/* --- the daemon: a change recorded at the cost of the change ------------------
 *
 * serve records every change: its one-line log and the plan /debug/diff and
 * /status show. The plan of a one-route change in a 10,000-proxy tree
 * unpacks ingress_http (every host) and comparing every object's status
 * would cost more than SPEC §12's 20 ms for one change. So the daemon keeps statuses per
 * DAG part (a part the next build reuses is not copied again), logs a line
 * made from resource versions, and makes the plan when a page asks. */

/* The statuses of the last recorded build, per DAG part (dag.h). */
struct diff_statuses;

struct diff_statuses *diff_statuses_new(void);
void diff_statuses_free(struct diff_statuses *t);
/* Records dag's statuses; copies those of the parts dag did not reuse.
 * from and to (either may be NULL; the caller owns them) get the statuses
 * of the parts that went away and of those that came: every object whose
 * status may have changed, before and after. */
void diff_statuses_record(struct diff_statuses *t, const struct dag *dag,
    struct diff_objects *from, struct diff_objects *to);
/* Every build serve keeps, recorded or not: the record holds the last DAG
 * it recorded only while no other build came after it (a reference on an
 * assembled DAG holds every DAG assembled since). */
void diff_statuses_build_kept(struct diff_statuses *t, const struct dag *dag);
/* Lets go of the DAG the last diff_statuses_record replaced (the record
 * holds it until then, or until the next record): called once the build
 * is published, since freeing a DAG with its retired parts costs about
 * what recording a change does. */
void diff_statuses_release(struct diff_statuses *t);

/* "2 route configurations changed, 1 cluster added, 1 object invalid":
 * resources compared by version (set versions first), the objects' status
 * changes between from and to. NULL when nothing changed. Caller frees. */
char *diff_change_line(const struct snapshot *a, const struct snapshot *b,
    const struct diff_objects *from, const struct diff_objects *to);

/* A change whose plan is made on first use (any thread), then kept.
 * Refcounted. */
struct diff_change;

/* References a and b; takes from and to (diff_statuses_record's). */
struct diff_change *diff_change_new(struct snapshot *a, struct snapshot *b,
    struct diff_objects *from, struct diff_objects *to);
/* A change whose plan is made already (a reference is taken). */
struct diff_change *diff_change_from_plan(json_t *plan);
struct diff_change *diff_change_ref(struct diff_change *c);
void diff_change_unref(struct diff_change *c);
/* The plan, as diff_compute() makes it; borrowed from c. */
json_t *diff_change_plan(struct diff_change *c);

/* One route as a line: "/api  [x-canary: yes]  -> shop/api:8080 (90%), ..."
 * (route is the proto3 JSON of a Route). Caller frees. */
char *diff_route_line(const json_t *route);
/* "shop/api/8080/0a1b2c3d4e" -> "shop/api:8080": a cluster as people name
 * it (the options hash dropped). Caller frees. */
char *diff_cluster_label(const char *cluster_name);

/* `cairn diff --running`: the daemon's /debug/xds/pb answer (one
 * "TYPE_URL\tNAME\tBASE64" line per resource, as `cairn dump --format pb`)
 * as a snapshot; lines starting with "#" are comments (the Gateway asked
 * for). body (NUL-terminated, from a network peer) is cut up in
 * place; a malformed line or bad base64 is skipped and reported on warn
 * (NULL: silently) as "cairn diff: ORIGIN: why"; unknown type URLs are
 * skipped. Caller owns the snapshot (refs = 1). */
struct snapshot *diff_snapshot_from_pb(char *body, const char *revision,
    const char *origin, FILE *warn);

#endif
