/* The routing graph: what a set of objects means, independent of how it
 * is sent to Envoy. Built from scratch on every change (a pure function of
 * the objects and the config); owned by one arena. */
#ifndef CAIRN_DAG_DAG_H
#define CAIRN_DAG_DAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/objects.h"
#include "util/arena.h"

enum dag_status {
	DAG_STATUS_VALID,
	DAG_STATUS_INVALID,
	DAG_STATUS_ORPHANED,
};

/* One condition of an object's status (Contour's condition model). */
struct dag_condition {
	const char *type; /* "Valid", "ServiceError", "IncludeError", ... */
	const char *reason; /* "DuplicateVhost", "ServiceUnresolvedReference", ... */
	const char *message;
	struct origin origin; /* where in the file the problem is */
};

struct dag_object_status {
	enum obj_kind kind;
	const char *namespace, *name;
	struct origin origin;
	enum dag_status status;
	const char *description; /* Contour's one-line description */
	struct dag_condition *conditions; /* problems; none when valid */
	size_t nconditions, cap;
};

struct dag_endpoint {
	const char *ip;
	uint32_t port;
};

/* A ClusterLoadAssignment: the endpoints of one service port. */
struct dag_endpoints {
	const char *name; /* <namespace>/<service>/<port name or number> */
	struct dag_endpoint *items; /* sorted by (ip, port) */
	size_t n;
};

struct dag_cluster {
	const char *name; /* <ns>/<svc>/<port>/<10 hex of options> */
	const char *namespace, *service;
	uint32_t port;
	struct dag_endpoints *endpoints; /* the EDS resource it reads */
};

struct dag_header_match {
	const char *name;
	enum {
		DAG_HEADER_PRESENT,
		DAG_HEADER_EXACT,
		DAG_HEADER_CONTAINS,
		DAG_HEADER_REGEX,
	} kind;
	const char *value;
	bool invert; /* notpresent, notexact, notcontains */
	bool ignore_case;
};

struct dag_weighted_cluster {
	struct dag_cluster *cluster;
	uint32_t weight;
};

enum dag_path_match {
	DAG_PATH_EXACT,
	DAG_PATH_REGEX,
	DAG_PATH_PREFIX,
};

struct dag_route {
	enum dag_path_match path_kind;
	const char *path;
	struct dag_header_match *headers;
	size_t nheaders;
	struct dag_weighted_cluster *clusters; /* empty: direct response */
	size_t nclusters;
	uint32_t direct_status; /* used when nclusters == 0 (503: no service) */
	size_t order; /* position in the source, for a stable sort */
};

struct dag_vhost {
	const char *fqdn;
	const char *proxy_namespace, *proxy_name; /* the root that owns it */
	struct dag_route *routes; /* sorted per SPEC §7 */
	size_t nroutes;
};

struct dag {
	struct arena arena;
	struct dag_vhost *vhosts; /* sorted by fqdn */
	size_t nvhosts;
	struct dag_cluster **clusters; /* sorted by name, unique */
	size_t nclusters;
	struct dag_endpoints **endpoints; /* sorted by name, unique */
	size_t nendpoints;
	struct dag_object_status *statuses; /* sorted by kind, namespace, name */
	size_t nstatuses;
};

struct cairn_config;

/* Build the graph of objs. Never fails: problems become statuses. */
struct dag *dag_build(struct object *const *objs, size_t nobjs,
    const struct cairn_config *cfg);
void dag_free(struct dag *dag);

const char *dag_status_name(enum dag_status s);
size_t dag_count_status(const struct dag *dag, enum dag_status s);

#endif
