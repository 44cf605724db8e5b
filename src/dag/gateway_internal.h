/* Gateway API internals shared by gateway.c, gateway_routes.c,
 * gateway_l4.c, gateway_ports.c and gateway_memo.c: the state of one
 * build's Gateway API pass and the functions one file of it calls in
 * another. Not for other parts of the DAG (build_internal.h is). */
#ifndef CAIRN_DAG_GATEWAY_INTERNAL_H
#define CAIRN_DAG_GATEWAY_INTERNAL_H

#include "dag/build_internal.h"

#include <sys/types.h>

#define GW_GROUP "gateway.networking.k8s.io"

struct gw_tls_policies;
struct gw_kept;


/* A listener while routes are attached. */
struct gw_listener_state {
	const struct gw_listener *l;
	bool accepted; /* protocol served, no conflict: routes may attach */
	bool allows_httproute, allows_grpcroute;
	size_t status; /* index in the gateway's gw status listeners */
	/* HTTPS, TLS, TCP (gateway_tls.c): the route kinds they take, and
	 * the TLS chain their certificates make (none: no config). */
	bool allows_tlsroute, allows_tcproute;
	struct dag_gw_chain *tls;
};

/* A TLSRoute or TCPRoute on one port: one filter chain. */
struct gw_l4_entry {
	uint32_t port;
	const char *host; /* SNI (TLSRoute); NULL: any */
	struct dag_gw_chain chain;
	size_t route_index;
};

/* A route of one virtual host of one port, before the precedence sort. */
struct gw_route_entry {
	struct dag_route r;
	const char *host; /* the virtual host */
	size_t gi; /* the Gateway's index */
	uint32_t port;
	bool has_method;
	size_t nheader_matches, nquery_matches;
	size_t route_index, rule_index, match_index; /* ties: oldest first */
};

/* An entry as it is sorted: its route by reference. */
struct gw_ref {
	const struct dag_route *r;
	const char *host;
	size_t gi;
	uint32_t port;
	bool has_method;
	size_t nheader_matches, nquery_matches;
	size_t route_index, rule_index, match_index;
};

/* The entries of one route for one host of one port of one Gateway, in
 * precedence order. routes: their dag_routes as a virtual host holds
 * them (order 0..n-1), shared by every build that keeps the route's
 * resolution; NULL: copied into the host. */
struct gw_run {
	size_t gi;
	uint32_t port;
	const char *host;
	size_t route_index;
	const struct gw_ref *refs;
	size_t n;
	const struct dag_route *routes;
};

struct gw_state {
	struct builder *b;
	struct object **classes, **gateways, **httproutes, **namespaces, **grants;
	size_t nclasses, ngateways, nhttproutes, nnamespaces, ngrants;
	size_t *class_status, *gateway_status, *httproute_status;
	bool *gateway_served;
	struct gw_listener_state **listeners; /* per gateway */
	struct gw_route_entry *entries; /* resolved in this build */
	size_t nentries, entries_cap;
	struct gw_run *runs; /* every HTTP route's, then sorted */
	size_t nruns, runs_cap;
	struct gw_ref *tmp; /* a host's refs while its routes are merged */
	size_t tmp_cap;
	/* TLSRoutes and TCPRoutes, and their chains per gateway (reset). */
	struct object **l4routes;
	size_t nl4routes, *l4route_status;
	struct gw_l4_entry *l4;
	size_t nl4, l4_cap;
	/* BackendTLSPolicies (gateway_tls.c), and the Gateway whose routes
	 * are being resolved (a policy's ancestor). */
	struct gw_tls_policies *policies;
	const struct object *ancestor;
	/* HTTPRoutes kept between builds (gw_memo): each route's unit (0:
	 * not kept), what every route of this build reads beside its own
	 * file, the listeners an HTTPRoute being resolved attaches to
	 * (recorded when attach_rec), the holders this DAG borrows. */
	uint64_t *route_units;
	uint64_t context; /* of everything but routes and namespaced objects */
	uint64_t *ns_key, *ns_ctx; /* per namespace: its objects' versions */
	size_t ns_cap;
	bool attach_rec;
	struct gw_attach *attach;
	size_t nattach, attach_cap, holds_cap;
	bool *attached;
	/* The routes' part patched from the last build (gw_patch_begin):
	 * record when this build may be the next one's base (every route
	 * through the memo), broken when one was not; patch when this one
	 * is patched. Per route the resolution gw_kept_use took and its
	 * holder; todo: the routes a patch hands to gw_route_memo. */
	bool record, record_broken, patch;
	const struct gw_kept **route_kept;
	struct dag **route_holder;
	size_t *todo, ntodo;
	size_t *gone, ngone; /* the last build's routes that left */
	size_t *patch_map; /* last build's route -> its index (SIZE_MAX: left) */
	bool *bundle_kept; /* per bundle of the last build: held as it is */
	uint32_t *bundle_of; /* per route: its kept bundle, or held alone */
	/* Per run: its host is the run before's (gw_assemble compares
	 * neighbours' hosts), known when patched, else filled in for the
	 * next build; NULL: not kept. run_from: a patched build's runs'
	 * places in the last build's (SIZE_MAX: new). */
	bool *run_same, run_same_known;
	size_t *run_from;
	/* The clusters the backendRefs of the route being resolved named
	 * (gw_backend): a route names a few Services from many rules. */
	struct gw_backend_seen *seen;
	size_t nseen, seen_next;
};

/* A backendRef resolved to dc while route was resolved into arena (the
 * builder's, or the route's memo holder's: their cluster maps differ). */
struct gw_backend_seen {
	const struct object *route;
	const struct arena *arena;
	const char *ns, *name;
	int32_t port;
	struct dag_cluster *dc;
};

/* A listener an HTTPRoute attached to: its attachedRoutes counts it. */
struct gw_attach {
	size_t gi, li;
};

/* --- gateway.c: classes, Gateways, listeners, status helpers ------- */

struct dag_gw_status *gw_status(struct builder *b, size_t st);

void gw_condition_push(struct arena *a, struct dag_gw_condition **arr,
    size_t *n, const char *type, bool status, const char *reason,
    const char *message);

bool gw_namespace_allowed(const struct gw_state *s, const struct object *gw,
    const struct gw_listener *l, const char *ns);

const char *gw_hostname_intersect(const char *listener, const char *route);
size_t gw_route_hosts_add(const char *listener, char *const *route_hosts,
    size_t n, const char **hosts, size_t nhosts);

ssize_t gw_gateway_index(const struct gw_state *s, const char *ns,
    const char *name);

/* --- gateway_routes.c: HTTPRoutes and GRPCRoutes, attached and resolved */

struct dag_cluster *gw_backend(struct gw_state *s, const struct object *route,
    const struct gw_backend_ref *be, const char **reason, const char **msg);

struct dag_gw_parent_status *gw_parent_open(struct gw_state *s,
    struct dag_gw_status *gs, const struct gw_parent_ref *p,
    const struct object *route, size_t st, size_t gi_want, ssize_t *gi);

void gw_route_resolve(struct gw_state *s, size_t ri, size_t ngi);
bool gw_parent_close(struct builder *b, struct dag_gw_parent_status *ps,
    const struct gw_parent_ref *p, const char *ns, size_t st,
    bool by_section, bool by_allowed, bool by_host, const char *unsupported,
    const char *rr_reason, const char *rr_msg);

struct object *gw_grpc_as_http(struct builder *b, struct object *o);

/* --- gateway_ports.c: precedence and port assembly --------------------- */

int gw_entry_cmp(const void *a, const void *b);

struct gw_ref gw_ref_of(const struct gw_route_entry *e);

void gw_runs_split(const struct gw_ref *refs, size_t n, struct gw_run **runs,
    size_t *nruns, size_t *cap);

int gw_run_cmp(const void *a, const void *b);

void gw_assemble(struct gw_state *s, size_t gi, struct dag_gateway *out,
    size_t e, size_t stop);

/* --- gateway_l4.c: TLSRoutes and TCPRoutes ----------------------------- */

void gw_l4_route_parent(struct gw_state *s, size_t ri,
    const struct gw_parent_ref *p, size_t gi_want);

/* --- gateway_memo.c: HTTPRoutes kept between builds -------------------- */

void gw_contexts(struct gw_state *s);

void gw_route_units(struct gw_state *s);

void gw_route_memo(struct gw_state *s, size_t ri, size_t ngi);

/* The last build's routes, runs, listener counts, clusters and endpoints
 * patched with the routes changed since: true when s->todo names the
 * only routes to hand to gw_route_memo (the others are in), false when
 * the whole loop must run (nothing changed in s). */
bool gw_patch_begin(struct gw_state *s);
/* After the routes and the runs' sort: the patch's clusters, endpoints
 * and listener counts in the DAG, and s kept as the next base (or
 * recorded from a whole build when s->record). */
void gw_patch_finish(struct gw_state *s);
/* A whole build that records the next base: its names counted anew. */
void gw_record_start(struct gw_state *s);
/* s->runs in order when patched (instead of sorted_sort). */
void gw_patch_runs_sort(struct gw_state *s);

#endif
