/* Shared by the HTTPProxy processor's files only (httpproxy.c,
 * httpproxy_conditions.c, httpproxy_policies.c, httpproxy_routes.c,
 * httpproxy_services.c): the state of walking a root's include tree and
 * the functions one file calls in another. */
#ifndef CAIRN_DAG_HTTPPROXY_INTERNAL_H
#define CAIRN_DAG_HTTPPROXY_INTERNAL_H

#include "dag/build_internal.h"

/* --- httpproxy_conditions.c ---------------------------------------------- */

/* The conditions in effect for a route: its includes', then its own. */
struct cond_list {
	const struct hp_condition **items;
	size_t n;
};

/* base followed by more, in b->scratch. */
struct cond_list proxy_cond_append(struct builder *b,
    const struct cond_list *base, const struct hp_condition *more,
    size_t nmore);
/* Contour's mergePathMatchConditions, mergeHeaderMatchConditions and
 * mergeQueryParameterMatchConditions into route r. */
void proxy_merge_path(struct builder *b, const struct cond_list *cl,
    struct dag_route *r);
void proxy_merge_headers(struct builder *b, const struct cond_list *cl,
    const char *fqdn, struct dag_route *r, size_t *cap);
void proxy_merge_queries(struct builder *b, const struct cond_list *cl,
    struct dag_route *r);
/* NULL when the conditions are valid, else why; *at is where. */
const char *proxy_path_conditions_problem(const struct hp_condition *c,
    size_t n);
const char *proxy_header_conditions_problem(struct builder *b,
    const struct cond_list *cl, const struct origin **at);
const char *proxy_query_conditions_problem(struct builder *b,
    const struct cond_list *cl, const struct origin **at);
/* o, unless the object was not loaded from a file (unit tests). */
const struct origin *proxy_origin_or(const struct origin *o,
    const struct origin *fallback);
/* The conditions of inc in a canonical text form (duplicate includes). */
const char *proxy_include_key(struct builder *b, const struct hp_include *inc);

/* --- httpproxy_policies.c ------------------------------------------------ */

/* Which Host rewrites a headers policy may carry (Contour allows a
 * literal one on routes and services, a "%REQ(name)%" one on routes). */
enum host_rewrite { HOST_REWRITE_NONE, HOST_REWRITE_LITERAL, HOST_REWRITE_HEADER };

/* Each returns NULL with *err set on a problem (and *at where, for
 * CORS); NULL with *err NULL when the policy is absent. */
struct dag_headers_policy *proxy_headers_policy(struct builder *b,
    const struct hp_headers_policy *hp, enum host_rewrite allow_host,
    const char *ns, const char *service, int32_t port, const char **err);
struct dag_local_ratelimit *proxy_local_ratelimit(struct builder *b,
    const struct hp_ratelimit_policy *rl, const char **err);
struct dag_cors *proxy_cors_policy(struct builder *b,
    const struct hp_cors_policy *cp, const char **err,
    const struct origin **at);
/* NULL when there is no filter or a CIDR is invalid (reported). */
struct dag_ip_filter *proxy_ip_filter(struct builder *b,
    const struct hp_ip_filter *allow, size_t nallow,
    const struct hp_ip_filter *deny, size_t ndeny);
struct dag_retry_policy *proxy_retry_policy(struct builder *b,
    const struct hp_retry_policy *rp);
/* The rules of in over base (a route's under a service's). */
bool proxy_cookie_rewrites(struct builder *b,
    const struct hp_cookie_rewrite *in, size_t n,
    const struct dag_cookie_rewrite *base, size_t nbase,
    struct dag_cookie_rewrite **out, size_t *nout, const char **err);
struct dag_internal_redirect *proxy_internal_redirect(struct builder *b,
    const struct hp_internal_redirect *ir);

/* --- httpproxy_services.c ------------------------------------------------ */

/* Contour's loadBalancerPolicy and request hash policies of a route. */
void proxy_lb_policy(struct builder *b, size_t st,
    const struct hp_lb_policy *lb, struct dag_route *r,
    struct cluster_options *opts);
/* The services of route hr into r's clusters; false when the route is
 * invalid (reported on status st). */
bool proxy_route_services(struct builder *b, size_t st,
    const struct object *proxy, const struct hp_route *hr,
    const struct cluster_options *opts, struct dag_route *r);

/* --- httpproxy_routes.c -------------------------------------------------- */

/* The routes of one root while its include tree is walked: in
 * b->scratch, copied into the virtual host at the end so the build arena
 * holds one copy of each route. */
struct route_list {
	struct dag_route *items;
	size_t n, cap;
};

/* Build-time state of HTTPProxy processing. */
struct hp_state {
	struct builder *b;
	bool *reached; /* per proxy: part of a delegation chain */
	/* The include chain of the root being built: one buffer of
	 * nproxies + 1 for the whole build (a chain never repeats a proxy),
	 * so memory stays linear in the number of roots. */
	const struct object **visited;
};

/* Contour's computeRoutes: the routes of proxy (index pi) under the
 * include chain `visited` with conditions cl, appended to out. */
void proxy_compute_routes(struct hp_state *hs, const char *fqdn, size_t pi,
    const struct cond_list *cl, const struct object **visited,
    size_t nvisited, struct route_list *out);

#endif
