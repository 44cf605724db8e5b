/* Shared by the files of src/dag/ only: the state of one build and the
 * helpers every processor (HTTPProxy, Ingress, Service) uses. */
#ifndef CAIRN_DAG_BUILD_INTERNAL_H
#define CAIRN_DAG_BUILD_INTERNAL_H

#include <stdarg.h>

#include "dag/dag.h"

struct cairn_config;

/* A string -> pointer hash table in the build arena (names of vhosts,
 * clusters, endpoints): lookups stay O(1) for 10,000 proxies. */
struct strmap {
	const char **keys;
	void **values;
	size_t n, cap;
};

void *strmap_get(const struct strmap *m, const char *key);
void strmap_put(struct arena *a, struct strmap *m, const char *key, void *value);

/* A virtual host while routes are still being added to it. */
struct builder_vhost {
	struct dag_vhost vh;
	size_t routes_cap;
};

/* Options of a cluster beyond the service port: what a route asks of it. */
struct cluster_options {
	const char *protocol; /* "h2", "h2c", "tls" or NULL: the Service's */
	enum dag_lb_policy lb_policy;
	const struct dag_health_check *health_check;
	int64_t idle_connection_timeout_ms;
};

struct builder {
	struct dag *dag;
	struct arena *arena;
	const struct cairn_config *cfg;
	struct object *const *objs;
	size_t nobjs;
	/* Sorted by namespace/name; the first of equal names wins. */
	struct object **services, **endpoints, **proxies, **ingresses;
	size_t nservices, nendpoints, nproxies, ningresses;
	struct object **slices; /* EndpointSlices sorted by namespace, service */
	size_t nslices;
	size_t *service_status, *proxy_status, *ingress_status; /* indexes */
	bool *proxy_ignored, *ingress_ignored; /* another ingress class */
	struct builder_vhost **vhosts;
	size_t nvhosts, vhosts_cap;
	struct strmap vhost_index, cluster_index, endpoints_index;
	size_t clusters_cap, endpoints_cap, statuses_cap;
};

/* --- build.c ------------------------------------------------------------ */

struct object *object_find(struct object **arr, size_t n, const char *ns,
    const char *name);
/* arr[i] has the name of an earlier object (it lost: DuplicateObject). */
bool object_is_shadowed(struct object **arr, size_t i);
size_t status_add(struct builder *b, const struct object *o);
/* A problem: the object becomes `status` (invalid never downgrades). */
void status_error(struct builder *b, size_t idx, enum dag_status status,
    const char *type, const char *reason, const struct origin *where,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Contour's warnings: reported, the object keeps its status. */
void status_warning(struct builder *b, size_t idx, const char *type,
    const char *reason, const struct origin *where, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* The vhost for fqdn, created on first use. */
struct builder_vhost *vhost_get(struct builder *b, const char *fqdn,
    const struct object *owner);
void vhost_add_route(struct builder *b, struct builder_vhost *bv,
    const struct dag_route *r);
/* "Ingress class" filtering: no class, "contour" or "cairn". */
bool ingress_class_accepted(const struct object *o, const char *spec_class,
    const char **class_out);
const char *annotation_get(const struct object *o, const char *key);
/* The kubernetes.io/service-name label of an EndpointSlice, or NULL. */
const char *slice_service(const struct object *o);

/* --- service.c ---------------------------------------------------------- */

void services_build(struct builder *b);
/* Resolve namespace/name:port (port by number, or by name when port_name
 * is set) to a cluster with the given options. NULL with *why set (a
 * message for ServiceUnresolvedReference) when it cannot be resolved. */
struct dag_cluster *service_cluster(struct builder *b, const char *ns,
    const char *name, int32_t port, const char *port_name,
    const struct cluster_options *opts, const char **why);

/* --- httpproxy.c -------------------------------------------------------- */

void proxies_build(struct builder *b);

/* --- ingress.c ---------------------------------------------------------- */

void ingresses_build(struct builder *b);

/* --- shared policy helpers (httpproxy.c) --------------------------------- */

/* Contour's timeout strings: "" or NULL = default (-1), "infinity" = 0. */
int64_t policy_timeout_ms(const char *s);
/* http.CanonicalHeaderKey, or NULL when s is not a valid header name. */
const char *policy_canonical_header(struct arena *a, const char *s);
/* Contour's escaping of '%' in header values (Envoy's format strings). */
const char *policy_escape_header_value(struct arena *a, const char *value,
    const char *ns, const char *service, int32_t port);
/* Why RE2 (Envoy) would refuse re, as far as cairn can tell, or NULL. */
const char *policy_regex_problem(const char *re);
/* The single-label match Contour adds to routes of "*." hosts. */
void policy_wildcard_header(struct builder *b, struct dag_route *r,
    const char *fqdn, size_t *cap);

#endif
