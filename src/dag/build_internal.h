/* Shared by the files of src/dag/ only: the state of one build and the
 * helpers every processor (HTTPProxy, Ingress, Service) uses. */
#ifndef CAIRN_DAG_BUILD_INTERNAL_H
#define CAIRN_DAG_BUILD_INTERNAL_H

#include <stdarg.h>

#include "dag/dag.h"
#include "util/sorted.h"

struct cairn_config;

/* A string -> pointer hash table in the build arena (names of vhosts,
 * clusters, endpoints): lookups stay O(1) for 10,000 proxies. */
struct strmap {
	const char **keys;
	void **values;
	size_t n, cap;
	uint64_t *hashes; /* of keys: growing and probing skip strcmp */
	/* Where its arrays go when set (the builder's tables, freed with
	 * the build) instead of the arena passed (a DAG's, which a group of
	 * an incremental build keeps). */
	struct arena *own;
};

/* A hash index over an array sorted by namespace/name (b->services, ...):
 * dag_object_lookup finds what dag_object_find finds, the first of equal names,
 * without a binary search of string compares per lookup. */
struct objindex {
	struct object **slots; /* cap a power of two; NULL = empty */
	uint64_t *hashes;
	size_t cap;
	bool built;
	/* Lookups answered by binary search before the index is built: a
	 * build that resolves one route looks up a few of many objects. */
	size_t searches;
};

void *dag_strmap_get(const struct strmap *m, const char *key);
void dag_strmap_put(struct arena *a, struct strmap *m, const char *key, void *value);
/* Room for n keys without growing (each growth leaves the old arrays in
 * the arena). */
void dag_strmap_reserve(struct arena *a, struct strmap *m, size_t n);
/* The hash a strmap keeps of key. */
uint64_t dag_strmap_hash(const char *key);
/* The value under key (of hash dag_strmap_hash(key)), or NULL after
 * putting value there: one probe, and key is not read when its slot is
 * free (Gateway routes kept between builds, gateway_memo.c). */
void *dag_strmap_get_or_put(struct arena *a, struct strmap *m,
    const char *key, uint64_t hash, void *value);

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
	const struct dag_slow_start *slow_start;
	int32_t health_port; /* services[].healthPort; 0: none */
	int64_t idle_connection_timeout_ms;
	/* services[].validation (vhost_tls.c): part of the cluster's name. */
	const struct dag_secret *upstream_ca;
	const char *upstream_subject_name;
	char *const *upstream_subject_names; /* subjectNames: all to accept */
	size_t nupstream_subject_names;
	char *const *upstream_subject_uris; /* URI subjectAltNames */
	size_t nupstream_subject_uris;
	const struct dag_secret *upstream_client_cert; /* part of the name */
};

struct fqdn_ledger;

/* The cross-object lookups of one build, recorded only when the grouping
 * of incremental builds is verified (dag_verify_object_keys, parts.c):
 * every lookup's key must be among the object_keys of the objects built
 * together, or a group built apart would miss what the lookup finds. */
struct dag_lookup {
	/* 'n': a namespace, 'f': an FQDN, 't': the TLS group; Gateway API:
	 * 'w' a Gateway (s/s2: its namespace and name), 'c' a GatewayClass,
	 * 'N' the labels of Namespaces (s "labels") */
	char kind;
	const char *s; /* the namespace, FQDN or name (borrowed), "" for 't' */
	const char *what; /* what was looked up, for the message */
	const char *s2; /* 'w': the Gateway's name; else NULL */
};
struct dag_lookups {
	struct dag_lookup *v;
	size_t n, cap;
};

struct builder {
	struct dag *dag;
	struct arena *arena;
	const struct dag_options *opts; /* what it reads of cairn.yaml */
	const struct fqdn_ledger *owners; /* first-seen order of claims, or NULL */
	struct object *const *objs;
	size_t nobjs;
	/* objs split by kind in their order, made once per build (one read
	 * of each object's kind instead of one per kind collected); NULL
	 * for a kind the build has none of. In b->tables. */
	struct object **kind_objs[OBJ_KIND_COUNT];
	size_t nkind_objs[OBJ_KIND_COUNT];
	/* Each object's kind, in objs order (with kind_objs; in b->tables). */
	const unsigned char *obj_kinds;
	/* Each kind_objs entry's file version (from obj_units), when the
	 * build sorts through gw_memo's kept orders: only a group holding
	 * Gateway API objects, which is built on the calling thread
	 * (parts_parallel.c), while the memo is shared. Else NULL. */
	uint64_t *kind_units[OBJ_KIND_COUNT];
	/* By place in the last array dag_kind_sort sorted of the kind:
	 * dag_object_is_shadowed, from the kept order (only the pairs a
	 * changed object is in are compared); NULL: not known. In b->tables. */
	bool *kind_shadow[OBJ_KIND_COUNT];
	/* Runs of statuses added in order (dag_status_run), so that
	 * statuses_sort checks only the pairs they do not vouch for. In
	 * b->tables, by increasing from. */
	struct dag_status_run *status_runs;
	size_t nstatus_runs, status_runs_cap;
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
	/* TLS (secrets.c, vhost_tls.c). */
	struct object **secrets, **delegations; /* sorted by namespace/name */
	size_t nsecrets, ndelegations;
	size_t *secret_status, *delegation_status;
	struct secret_state *secret_states; /* per Secret, parallel to secrets */
	struct strmap sds_index; /* SDS name -> struct dag_secret */
	bool *tcpproxy_reached; /* per proxy: the target of a tcpproxy include */
	const struct object **tcpproxy_chain; /* one buffer for every root */
	int64_t now; /* for certificate expiry warnings */
	/* Files of file-backed Secrets, read before the build (tls/tls.h);
	 * NULL: none was read, such Secrets are not valid. */
	const struct tls_material *material;
	const char **tls_files; /* the files Secrets name, unsorted */
	size_t ntls_files, tls_files_cap;
	/* The earliest time an expiry verdict of this build changes
	 * (INT64_MAX: never), which becomes dag->valid_until. */
	int64_t clock_horizon;
	struct objindex services_ix, endpoints_ix; /* dag_object_lookup */
	/* Temporary arrays of one step, reset by whoever uses it (the routes
	 * of a root while its includes are walked): an arena cannot free, so
	 * growing them in the DAG's arena would keep every old copy. */
	struct arena scratch;
	/* What only the build reads (its indexes and object lists), freed
	 * when it ends: in the DAG's arena they would stay as long as the
	 * DAG, which an incremental build keeps for each group. */
	struct arena tables;
	/* ExtensionServices (extension.c): sorted by namespace/name, with
	 * the cluster of each valid one (NULL when invalid). */
	struct object **extensions;
	size_t nextensions;
	size_t *extension_status;
	struct dag_cluster **extension_clusters;
	/* The default JWT provider of the root whose routes are being
	 * built (src/dag/jwt.c), or NULL. */
	const char *jwt_default;
	struct jwks_plan *jwt_plans; /* of that root's providers */
	const struct hp_virtualhost *jwt_root; /* that root's virtualhost */
	/* The first jwtVerificationPolicy of its routes that requires a
	 * provider the root does not define (JWTProviderNotDefined's place). */
	const struct origin *jwt_undefined;
	const char *jwt_undefined_name;
	struct dag_lookups *lookups; /* NULL: not recorded */
	/* HTTPRoutes resolved once per version of their file (gateway_memo.c):
	 * the memo kept by the dag_cache, the unit id (file version) of each
	 * of objs, and what else the group's meaning depends on (its claims).
	 * gw_memo NULL: every route resolved. */
	struct gw_memo *gw_memo;
	const uint64_t *obj_units;
	uint64_t gw_context;
	/* The clusters and endpoints are sorted already (a Gateway group
	 * whose routes were patched: gw_patch_finish). */
	bool gw_sorted;
};

/* Records a lookup in b->lookups (nothing when it is NULL). */
void dag_lookup_note(struct builder *b, char kind, const char *s,
    const char *what);
/* A lookup of Gateway ns/name ('w'). */
void dag_lookup_note_gateway(struct builder *b, const char *ns,
    const char *name);
/* dag_build_material recording its lookups in rec (NULL: none). */
struct dag *dag_build_recorded(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    const struct tls_material *material, struct dag_lookups *rec);

/* --- gateway_memo.c: HTTPRoute resolutions kept from build to build -- */

struct gw_memo;
struct gw_memo *gw_memo_new(void);
void gw_memo_free(struct gw_memo *m);
/* Forget every resolution (the options changed). */
void gw_memo_clear(struct gw_memo *m);
/* The routes resolved and kept since the last call. */
void gw_memo_take_stats(struct gw_memo *m, size_t *resolved, size_t *kept);
/* Drops the resolutions of file versions live() does not know, once the
 * dead may be a quarter of them (a changed route leaves its old one). */
void gw_memo_sweep(struct gw_memo *m, bool (*live)(void *ctx, uint64_t unit),
    void *ctx);
/* Sorts arr (n objects of kind as collected, each with its file version
 * in units) by cmp through the order kept last (gw_memo_order_keep): the
 * same objects at the same places go where they went, and at most a few
 * changed ones take their predecessors' places when they fit there
 * strictly. false: arr untouched, to be sorted. scratch: for this call.
 * *shadow: dag_object_is_shadowed of each sorted place, the memo's (valid
 * until the kind's next sort). */
bool gw_memo_order_patch(struct gw_memo *m, enum obj_kind kind,
    struct object **arr, const uint64_t *units, size_t n,
    int (*cmp)(const void *, const void *), struct arena *scratch,
    const bool **shadow);
/* Keeps in (n objects as collected, with units) and where sorted (their
 * sorted order) has each, for the next build's gw_memo_order_patch.
 * *shadow as gw_memo_order_patch's, or NULL when nothing is kept. */
void gw_memo_order_keep(struct gw_memo *m, enum obj_kind kind,
    struct object *const *in, const uint64_t *units,
    struct object *const *sorted, size_t n, struct arena *scratch,
    const bool **shadow);
/* The statuses a build starts n objects of kind with, in the order
 * sorted last (dag_status_initial), into out from the keys kept for that
 * order; false: none kept (out untouched). */
bool gw_memo_order_statuses(struct gw_memo *m, enum obj_kind kind, size_t n,
    struct dag_object_status *out);
/* Keeps st (n statuses just added for the kind's sorted order) for
 * gw_memo_order_statuses. */
void gw_memo_order_statuses_keep(struct gw_memo *m, enum obj_kind kind,
    const struct dag_object_status *st, size_t n);
/* By place in the kind's sorted order: true where the object's own
 * checks found nothing under options key in an earlier build (a kept
 * place holds the same object); the caller sets a place once checked.
 * NULL: no order kept for n objects. */
bool *gw_memo_order_clean(struct gw_memo *m, enum obj_kind kind, size_t n,
    uint64_t key);
/* kinds[i]: objs[i]->kind (n objects, each with its file version in
 * units), from the last large group's where the same object (address
 * and version) is at the same index: unchanged objects are not read. */
void gw_memo_kinds(struct gw_memo *m, struct object *const *objs,
    const uint64_t *units, size_t n, unsigned char *kinds);
/* The pairs gw_memo_order_patch compared by content since the last call. */
size_t gw_memo_take_order_compared(struct gw_memo *m);
/* Builds that patched the last namespace contexts (gw_contexts) since
 * the last call. */
size_t gw_memo_take_contexts_reused(struct gw_memo *m);
/* After build_with sorted dag's clusters and endpoints: the order of
 * the names a Gateway group's whole build recorded (gateway_memo.c). */
struct dag;
void gw_memo_sorted(struct gw_memo *m, const struct dag *dag);
/* The groups whose routes were patched (gw_patch_begin) since asked. */
size_t gw_memo_take_patched(struct gw_memo *m);
/* dag_build_material with HTTPRoutes through memo (see struct builder). */
struct dag *dag_build_memo(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    const struct tls_material *material, const uint64_t *obj_units,
    struct gw_memo *memo, uint64_t context);

/* --- httpproxy.c: FQDN ownership (SPEC §6a) ------------------------------ */

struct config_fqdn_owner;
/* policy.fqdn-owners lets namespace ns claim fqdn (empty policy: yes);
 * *entry is ns's entry of the policy, or NULL. */
bool dag_fqdn_allowed(const struct builder *b, const char *ns, const char *fqdn,
    const struct config_fqdn_owner **entry);

/* --- build.c ------------------------------------------------------------ */

struct object *dag_object_find(struct object **arr, size_t n, const char *ns,
    const char *name);
/* A namespace/name to search arrays of objects sorted by them with
 * sorted_search (util/sorted.h) and object_key_cmp. */
struct object_key {
	const char *ns, *name;
};
/* elem is a struct object *. */
int object_key_cmp(const void *key, const void *elem);
/* The index of the first object ns/name in arr, or (size_t)-1. */
size_t object_index(struct object *const *arr, size_t n, const char *ns,
    const char *name);
/* Sorts arr, b->kind_objs[kind] or a copy of it made before any sort,
 * by cmp (namespace first); through gw_memo's kept order of kind when
 * b->kind_units[kind] is set. */
void dag_kind_sort(struct builder *b, enum obj_kind kind, struct object **arr,
    size_t n, int (*cmp)(const void *, const void *));
/* arr[i] has the name of an earlier object (it lost: DuplicateObject). */
bool dag_object_is_shadowed(struct object **arr, size_t i);
/* dag_object_is_shadowed(arr, i), arr the array dag_kind_sort last sorted
 * of kind (through the kept order's answer when there is one). */
bool dag_kind_shadowed(const struct builder *b, enum obj_kind kind,
    struct object **arr, size_t i);
/* dag_object_find(arr, n, ns, name) through ix (built on first use). */
struct object *dag_object_lookup(struct builder *b, struct objindex *ix,
    struct object **arr, size_t n, const char *ns, const char *name);
size_t dag_status_add(struct builder *b, const struct object *o);
/* The status dag_status_add starts an object with. */
struct dag_object_status dag_status_initial(enum obj_kind kind,
    const char *ns, const char *name, const struct origin *origin);
/* dag_status_add for each of arr's n objects of kind, in the order
 * dag_kind_sort just gave them, into st[i]: from the memo's kept keys
 * when the order was kept. */
void dag_statuses_add_sorted(struct builder *b, enum obj_kind kind,
    struct object *const *arr, size_t n, size_t *st);
/* Statuses from .. from + n - 1 were added for an array of kind sorted by
 * namespace and name: by every key of dag_status_cmp (full), or by
 * namespace and name only, with shadow (dag_object_is_shadowed of each,
 * NULL: not known) naming the pairs of equal names, whose order is left
 * to check. */
struct dag_status_run {
	size_t from, n;
	const bool *shadow;
	bool full;
};
void dag_status_run(struct builder *b, size_t from, size_t n, bool full,
    const bool *shadow);
/* The orders of the DAG's arrays (total orders: a DAG assembled from
 * parts sorts to what one build gives). */
int dag_vhost_cmp(const void *a, const void *b); /* struct dag_vhost */
int dag_cluster_ptr_cmp(const void *a, const void *b); /* struct dag_cluster * */
int dag_endpoints_ptr_cmp(const void *a, const void *b);
int dag_status_cmp(const void *a, const void *b); /* struct dag_object_status */
int dag_secret_ptr_cmp(const void *a, const void *b); /* struct dag_secret * */
/* A problem: the object becomes `status` (invalid never downgrades). */
void dag_status_error(struct builder *b, size_t idx, enum dag_status status,
    const char *type, const char *reason, const struct origin *where,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Contour's warnings: reported, the object keeps its status. */
void dag_status_warning(struct builder *b, size_t idx, const char *type,
    const char *reason, const struct origin *where, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* The vhost for fqdn, created on first use. */
struct builder_vhost *dag_vhost_get(struct builder *b, const char *fqdn,
    const struct object *owner);
void dag_vhost_add_route(struct builder *b, struct builder_vhost *bv,
    const struct dag_route *r);
/* Room for n more routes, allocated once. */
void dag_vhost_reserve_routes(struct builder *b, struct builder_vhost *bv, size_t n);
/* "Ingress class" filtering: no class, "contour" or "cairn". */
bool ingress_class_accepted(const struct object *o, const char *spec_class,
    const char **class_out);
const char *dag_annotation_get(const struct object *o, const char *key);
/* The kubernetes.io/service-name label of an EndpointSlice, or NULL. */
const char *dag_slice_service(const struct object *o);

/* --- jwt.c: Contour's jwtProviders and jwtVerificationPolicy ---------- */

/* JWTVerificationNotPermitted: providers on a host without a TLS
 * certificate. False: the proxy is invalid. */
bool jwt_permitted(struct builder *b, size_t st, const struct object *proxy);
/* The providers of a TLS root into vh, their JWKS clusters, and
 * b->jwt_default. False: the proxy is invalid (status set). */
bool jwt_providers_build(struct builder *b, size_t st,
    const struct object *proxy, struct dag_vhost *vh);
/* The JWKS clusters of vh's providers (from jwt_providers_build of the
 * same root), once the root is known to be valid. */
void jwt_clusters_build(struct builder *b, const struct object *proxy,
    struct dag_vhost *vh);
/* r's requirement from hr's jwtVerificationPolicy or b->jwt_default.
 * False: InvalidJWTVerificationPolicy. */
bool jwt_route_policy(struct builder *b, size_t st, const struct hp_route *hr,
    struct dag_route *r);
/* JWTProviderNotDefined: a route of a TLS root requires a provider vh
 * does not have. False: the proxy is invalid. */
bool jwt_routes_check(struct builder *b, size_t st, const struct dag_vhost *vh,
    const struct dag_route *routes, size_t n);

/* --- service.c ---------------------------------------------------------- */

void services_build(struct builder *b);
/* Resolve namespace/name:port (port by number, or by name when port_name
 * is set) to a cluster with the given options. NULL with *why set (a
 * message for ServiceUnresolvedReference) when it cannot be resolved. */
struct dag_cluster *service_cluster(struct builder *b, const char *ns,
    const char *name, int32_t port, const char *port_name,
    const struct cluster_options *opts, const char **why);

/* The Service ns/name and its port number port, or NULL with *why. */
struct svc_port;
const struct object *service_port_resolve(struct builder *b, const char *ns,
    const char *name, int32_t port, const struct svc_port **sp_out,
    const char **why);
/* One ClusterLoadAssignment named name with the endpoints of n service
 * ports (an ExtensionService's upstream): one locality per service port
 * that has endpoints, of weight weights[i] (all 0: 1 each, as Contour's
 * ServiceCluster.Rebalance). */
struct dag_endpoints *service_endpoints_union(struct builder *b,
    const char *name, const struct object *const *svcs,
    const struct svc_port *const *ports, const uint32_t *weights, size_t n);

/* --- extension.c: ExtensionService and external authorization ----------- */

/* Every ExtensionService: status and, when valid, its cluster. Runs
 * after services_build and secrets_build, before proxies_build. */
void extensions_build(struct builder *b);
/* virtualhost.authorization of the root proxy pi (status st) into tls
 * (NULL: a host without TLS). Returns false when the proxy is invalid
 * (reported). */
struct hp_virtualhost;
bool extauth_root_build(struct builder *b, size_t st,
    const struct object *proxy, struct dag_tls *tls);
/* A route's authPolicy over its host's (authorization NULL: none). */
struct hp_auth_policy;
struct hp_authorization;
void extauth_route(struct builder *b, const struct hp_auth_policy *route_policy,
    struct dag_route *r);
void extauth_route_finish(struct builder *b, const struct hp_authorization *a,
    struct dag_route *r);

/* --- ratelimit.c: rateLimitPolicy.global ---------------------------------- */

/* The DAG form of p (NULL: NULL); false when it is invalid, with *why. */
struct hp_global_ratelimit;
bool ratelimit_global(struct builder *b, const struct hp_global_ratelimit *p,
    const struct dag_global_ratelimit **out, const char **why);
/* A virtual host's: its own, else rate-limit-service's default unless
 * it opts out. */
bool ratelimit_vhost(struct builder *b, const struct hp_global_ratelimit *p,
    const struct dag_global_ratelimit **out, const char **why);

/* --- httpproxy.c -------------------------------------------------------- */

void proxies_build(struct builder *b);

/* --- ingress.c ---------------------------------------------------------- */

void ingresses_build(struct builder *b);

/* --- gateway.c: Gateway API -------------------------------------------- */

/* GatewayClasses, Gateways, HTTPRoutes (and the statuses of every other
 * Gateway API kind) into dag->gateways; after the Services. */
void gateways_build(struct builder *b);

/* httproute_filters.c: the CORS filter as a CorsPolicy (NULL with why when
 * an origin makes no valid regex), a RequestMirror's share of requests
 * (dag_mirror's numerator and denominator), retry.backoff in ms (0: none). */
struct gw_cors;
struct gw_mirror;
struct gw_retry;
struct dag_cors *gw_cors_policy(struct builder *b, const struct gw_cors *c,
    const char **why);
void gw_mirror_share(const struct gw_mirror *m, uint32_t *numerator,
    uint32_t *denominator);
int64_t gw_retry_backoff_ms(const struct gw_retry *rt);
/* httproute_session.c: rule ri's sessionPersistence into r->session (NULL
 * without one), r's match set (a cookie's Path follows it). False when the
 * rule cannot be served as written (idleTimeout), reported on status st. */
struct gw_http_rule;
bool gw_session_persistence(struct builder *b, size_t st,
    const struct object *route, size_t ri, const struct gw_http_rule *rule,
    struct dag_route *r);

/* --- secrets.c: Secrets and TLSCertificateDelegations ------------------- */

/* Collect, read and check every Secret (status, expiry) and delegation.
 * Runs before the processors that reference Secrets. */
void secrets_build(struct builder *b);

enum secret_use {
	SECRET_USE_CERTIFICATE, /* tls.crt + tls.key (kubernetes.io/tls) */
	SECRET_USE_CA, /* ca.crt */
	SECRET_USE_CRL, /* crl.pem */
};

enum secret_problem {
	SECRET_OK,
	SECRET_NOT_FOUND,
	SECRET_NOT_VALID, /* missing what this use needs, or does not parse */
	SECRET_NOT_DELEGATED, /* another namespace, no TLSCertificateDelegation */
};

/* The SDS resource for Secret ns/name used as `use` by an object of
 * namespace from_ns. ref is "name" or "namespace/name" (namespace
 * defaults to from_ns). NULL with *problem and *why (for the message)
 * when it cannot be used. For SECRET_USE_CA, crl_ref (may be NULL) adds
 * the CRL of another Secret to the same validation context. */
const struct dag_secret *secret_use(struct builder *b, const char *ref,
    const char *from_ns, enum secret_use use, const char *crl_ref,
    enum secret_problem *problem, const char **why);
/* The namespace and name of ref, defaulting the namespace. */
void secret_ref_split(struct builder *b, const char *ref, const char *from_ns,
    const char **ns_out, const char **name_out);

/* --- vhost_tls.c: the secure side of virtual hosts ------------------------ */

/* virtualhost.tls and spec.tcpproxy of the root proxy (index pi, status
 * st). Returns false when the proxy is invalid (reported); *out is NULL
 * for a proxy without TLS. */
bool vhost_tls_root_build(struct builder *b, size_t pi, size_t st,
    struct dag_tls **out);
/* spec.tls of an Ingress for one host (status st). */
void vhost_tls_ingress_host(struct builder *b, size_t st,
    const struct object *ing, const char *host, const char *secret_ref,
    const struct origin *where);
/* services[].validation of an HTTPProxy service into opts. Returns false
 * when it is invalid (reported on status st). */
bool vhost_tls_upstream_validation(struct builder *b, size_t st,
    const struct object *proxy, const struct hp_service *s,
    struct cluster_options *opts);
/* After vhosts_finish: the referenced Secrets, sorted. */
void vhost_tls_finish(struct builder *b);

/* --- shared policy helpers (policy.c) ----------------------------------- */

/* Contour's timeout strings: "" or NULL = default (-1), "infinity" = 0. */
int64_t policy_timeout_ms(const char *s);
/* http.CanonicalHeaderKey, or NULL when s is not a valid header name. */
const char *policy_canonical_header(struct arena *a, const char *s);
/* Contour's escaping of '%' in header values (Envoy's format strings). */
const char *policy_escape_header_value(struct arena *a, const char *value,
    const char *ns, const char *service, int32_t port);
/* NULL when Envoy would accept re in a SafeRegexMatcher: RE2 (util/re2_check)
 * compiles it and its program is within envoy.regex-max-program-size
 * (SPEC §8). Else why ("invalid escape sequence: \8", or the size and the
 * limit), in the build's arena. */
const char *policy_regex_check(struct builder *b, const char *re);
/* The regex of policy_wildcard_header for fqdn ("*.example.com"). */
const char *policy_wildcard_regex(struct builder *b, const char *fqdn);
/* The single-label match Contour adds to routes of "*." hosts. */
void policy_wildcard_header(struct builder *b, struct dag_route *r,
    const char *fqdn, size_t *cap);

/* Envoy's default max_direct_response_body_size_bytes (RouteConfiguration). */
#define DAG_DIRECT_BODY_MAX 4096

/* A decimal uint32, as Contour's annotation parser reads it. */
bool dag_parse_u32(const char *s, uint32_t *out);

/* The index of HTTPProxy ns/name in b->proxies (the first of equal
 * names), or (size_t)-1. */
size_t dag_proxy_find(const struct builder *b, const char *ns, const char *name);

/* httpproxy_services.c: a health check with Contour's defaults; tcp (tcpproxy,
 * vhost_tls.c) has no path and no host. */
struct hp_health_check;
struct dag_health_check *dag_health_check_new(struct builder *b,
    const struct hp_health_check *hc, bool tcp);

/* qsort order of struct object * by namespace alone (the group of
 * sorted_sort_grouped for objects sorted by namespace/name). */
int dag_object_namespace_cmp(const void *a, const void *b);

#endif
