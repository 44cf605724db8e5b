/* Incremental builds: the DAG of every object as the union of the DAGs of
 * independent groups of files, each kept while its files are unchanged
 * (dag.h explains the groups). A change to one file rebuilds the DAG of
 * its group and assembles the rest from the last build's parts, with the
 * result dag_build would give.
 *
 * Why the groups are independent: every lookup a processor makes is by
 * namespace and name (Services, Endpoints, EndpointSlices and duplicates
 * in the object's own namespace; includes and tcpproxy includes in the
 * namespace they name) or by FQDN (roots claiming a host, Ingress rules
 * merging into it), and object_keys below joins exactly those. Secrets are looked up across
 * namespaces through delegations: everything TLS shares one group. Each
 * array of the DAG is sorted by a total order, so the union of sorted
 * parts, sorted again, is what one build of everything gives. A processor
 * that learns a new kind of lookup must link it here; incremental_test
 * compares every golden input, changed file by file, with dag_build. */
#include "dag/build_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dag/owners.h"
#include "tls/tls.h"
#include "util/hash.h"
#include "util/xalloc.h"

struct unit_keys;

/* The assembled arrays, in the order of asm_arrays below. */
enum { ASM_ARRAY_VHOSTS, ASM_ARRAY_CLUSTERS, ASM_ARRAY_ENDPOINTS,
	ASM_ARRAY_SECRETS, ASM_ARRAY_TLS_FILES, ASM_ARRAY_STATUSES, ASM_NARRAYS };

/* Where one part's elements start in each assembled array. */
struct part_at {
	size_t n[ASM_NARRAYS];
};

/* A built group: the ids of its files (in unit order) and its DAG. */
struct dag_part_entry {
	uint64_t hash; /* of ids; 0 = empty slot */
	uint64_t *ids;
	size_t nids;
	struct dag *dag;
	bool used; /* by the current build */
};

struct dag_cache {
	struct dag_part_entry *slots; /* open addressing, cap a power of 2 */
	size_t n, cap;
	uint64_t cfg_fp; /* parts are only valid for the config they saw */
	/* Files of file-backed Secrets, read by the caller before a build;
	 * their hash is part of the TLS group's key. Borrowed, or NULL. */
	const struct tls_material *material;
	struct dag_cache_stats stats;
	bool verify_keys; /* CAIRN_DAG_VERIFY: dag_verify_object_keys */
	struct unit_keys *units; /* open addressing by id, cap a power of 2 */
	size_t nunits, ucap;
	/* The last build's units (ids in order) and their grouping: a build
	 * whose changed units keep their keys keeps the grouping. */
	uint64_t *prev_ids;
	size_t *prev_group_of, prev_n, prev_tls_group;
	/* The last build's parts in order (prev_dag's, borrowed) and which
	 * of its arrays were assembled in order without a sort (ASM_*): where
	 * two neighbouring parts are both the same again, their order is
	 * known without a comparison. */
	struct dag **prev_parts;
	size_t prev_nparts;
	unsigned prev_in_order;
	/* HTTPRoutes resolved per file version (gateway_memo.c), for the
	 * groups built; objs_units: the unit of each object of the group
	 * built. */
	struct gw_memo *gw_memo;
	uint64_t *objs_units;
	size_t objs_units_cap;
	/* The last assembled DAG (a reference) and where each of its parts'
	 * elements start in its arrays (prev_nparts + 1 entries): a part at
	 * the same position again is found there, and a run of such parts
	 * is one block of the last arrays (patch_runs). Its statuses,
	 * patched with the changed parts', are the next build's
	 * (statuses_patch). */
	struct dag *prev_dag;
	struct part_at *prev_at;
};

struct dag_cache *
dag_cache_new(void)
{
	struct dag_cache *c = xcalloc(1, sizeof(struct dag_cache));
	const char *v = getenv("CAIRN_DAG_VERIFY");

	c->verify_keys = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	c->gw_memo = gw_memo_new();
	return c;
}

static void
part_entry_clear(struct dag_part_entry *e)
{
	dag_free(e->dag);
	free(e->ids);
	memset(e, 0, sizeof *e);
}

static void
cache_clear(struct dag_cache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].hash != 0)
			part_entry_clear(&c->slots[i]);
	c->n = 0;
	if (c->gw_memo != NULL)
		gw_memo_clear(c->gw_memo);
}

static void units_clear(struct dag_cache *c);

static void
prev_parts_clear(struct dag_cache *c)
{
	c->prev_parts = NULL;
	c->prev_nparts = 0;
	c->prev_in_order = 0;
	dag_free(c->prev_dag);
	c->prev_dag = NULL;
	free(c->prev_at);
	c->prev_at = NULL;
}

void
dag_cache_free(struct dag_cache *c)
{
	if (c == NULL)
		return;
	prev_parts_clear(c);
	free(c->prev_ids);
	free(c->prev_group_of);
	cache_clear(c);
	free(c->slots);
	units_clear(c);
	free(c->units);
	gw_memo_free(c->gw_memo);
	free(c->objs_units);
	free(c);
}

struct dag_cache_stats
dag_cache_stats(const struct dag_cache *c)
{
	return c->stats;
}

void
dag_cache_set_material(struct dag_cache *c, const struct tls_material *material)
{
	c->material = material;
}

/* --- grouping ---------------------------------------------------------------
 *
 * Union-find over units and keys: a unit is joined with every key its
 * objects name ('n' namespace, 'f' FQDN, 'g' TLS), so units that share a
 * key, directly or through others, end up in one group. A key is its
 * 64-bit hash: two keys with one hash only make a group larger, which
 * costs time, never correctness. The keys of a unit are computed once
 * per version of its file (by unit id). */

/* The keys of one unit, kept from build to build. */
struct unit_keys {
	uint64_t id; /* 0 = empty slot */
	uint64_t *keys;
	size_t n;
	bool used;
	/* Its root HTTPProxies and Ingresses (they claim FQDNs): the unit's
	 * objects, alive while the unit is. */
	const struct object **roots;
	size_t nroots;
};

struct grouping {
	size_t *parent; /* nodes: units first, then keys */
	size_t nnodes, cap;
	uint64_t *key_hash; /* open addressing: key -> node in key_node */
	size_t *key_node;
	size_t kcap;
};

static uint64_t
key_of(char kind, const char *s)
{
	uint64_t h = hash_bytes_seeded(s, strlen(s), (uint64_t)(unsigned char)kind);

	return h ? h : 1;
}

#define KEY_TLS ((uint64_t)0x746c73) /* every TLS object's one key */

static void
keys_add(uint64_t **keys, size_t *n, size_t *cap, uint64_t k)
{
	/* A file's objects mostly share their namespace: skip repeats. */
	for (size_t i = 0; i < *n; i++)
		if ((*keys)[i] == k)
			return;
	ARRAY_PUSH(*keys, *n, *cap, k);
}

static bool
httpproxy_has_tls(const struct httpproxy *hp)
{
	if (hp->tcpproxy != NULL ||
	    (hp->virtualhost != NULL && hp->virtualhost->tls != NULL))
		return true;
	for (size_t i = 0; i < hp->nroutes; i++)
		for (size_t k = 0; k < hp->routes[i].nservices; k++)
			if (hp->routes[i].services[k].validation != NULL)
				return true;
	return false;
}

static void
backend_keys(const struct gw_backend_ref *be, size_t nbe, uint64_t **keys,
    size_t *n, size_t *cap)
{
	for (size_t i = 0; i < nbe; i++)
		if (be[i].namespace != NULL)
			keys_add(keys, n, cap, key_of('n', be[i].namespace));
}

/* Two keys from one pair of strings ("ns/name" without the copy). */
static uint64_t
key_of2(char kind, const char *a, const char *b)
{
	uint64_t v[2] = { key_of(kind, a), key_of(kind, b) };
	uint64_t h = hash_bytes(v, sizeof v);

	return h ? h : 1;
}

/* JWT providers (jwt.c): a remote JWKS is a DNS cluster named after its
 * scheme and host, shared by every provider fetching from that host:
 * providers join by host. A CA to validate it is a Secret (TLS). The
 * host itself must have TLS, which keys it on its own. */
static void
jwt_keys(const struct hp_virtualhost *vh, uint64_t **keys, size_t *n,
    size_t *cap)
{
	for (size_t i = 0; i < vh->njwt_providers; i++) {
		const struct hp_remote_jwks *r = vh->jwt_providers[i].remote_jwks;
		const char *host, *end;
		char *h;

		if (r == NULL || r->uri == NULL)
			continue;
		host = strstr(r->uri, "://");
		host = host ? host + 3 : r->uri;
		end = host + strcspn(host, "/:?#");
		h = xstrndup(host, (size_t)(end - host));
		keys_add(keys, n, cap, key_of('j', h));
		free(h);
		if (r->validation != NULL)
			keys_add(keys, n, cap, KEY_TLS);
	}
}

/* A Gateway API route: the Gateways it names as parents (each Gateway
 * with its routes is one group: listeners, conflicts and tie-breaks are
 * among them). */
static void
parent_keys(const struct object *o, const struct gw_parent_ref *refs,
    size_t nrefs, uint64_t **keys, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < nrefs; i++)
		if (refs[i].name != NULL)
			keys_add(keys, n, cap, key_of2('w', refs[i].namespace ?
			    refs[i].namespace : o->meta.namespace, refs[i].name));
}

static void
object_refs_keys(const struct gw_object_ref *refs, size_t nrefs,
    uint64_t **keys, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < nrefs; i++)
		if (refs[i].namespace != NULL)
			keys_add(keys, n, cap, key_of('n', refs[i].namespace));
}

static bool
route_namespaces_selected(const struct gw_route_namespaces *rn)
{
	return rn != NULL && rn->from != NULL &&
	    strcmp(rn->from, "Selector") == 0;
}

/* A Gateway: its class, itself (its routes name it), the Secrets of its
 * TLS listeners and their namespaces (ReferenceGrants live there), and
 * the labels of Namespaces when a listener selects routes by them. */
static void
gateway_keys(const struct object *o, uint64_t **keys, size_t *n, size_t *cap)
{
	const struct gateway *gw = &o->u.gateway;
	bool tls = gw->tls != NULL;

	if (gw->gateway_class_name != NULL)
		keys_add(keys, n, cap, key_of('c', gw->gateway_class_name));
	keys_add(keys, n, cap, key_of2('w', o->meta.namespace, o->meta.name));
	for (size_t i = 0; i < gw->nlisteners; i++) {
		const struct gw_listener *l = &gw->listeners[i];

		if (l->tls != NULL) {
			tls = true;
			object_refs_keys(l->tls->certificate_refs,
			    l->tls->ncertificate_refs, keys, n, cap);
		}
		if (l->allowed_routes != NULL &&
		    route_namespaces_selected(l->allowed_routes->namespaces))
			keys_add(keys, n, cap, key_of('N', "labels"));
	}
	if (gw->allowed_listeners != NULL &&
	    route_namespaces_selected(gw->allowed_listeners->namespaces))
		keys_add(keys, n, cap, key_of('N', "labels"));
	/* Client validation's CA references (ConfigMaps or Secrets, with a
	 * ReferenceGrant in their namespace). */
	if (gw->tls != NULL && gw->tls->frontend != NULL) {
		const struct gw_frontend_tls *ft = gw->tls->frontend;

		if (ft->default_validation != NULL)
			object_refs_keys(ft->default_validation->ca_certificate_refs,
			    ft->default_validation->nca_certificate_refs, keys, n,
			    cap);
		for (size_t i = 0; i < ft->nper_port; i++)
			if (ft->per_port[i].validation != NULL)
				object_refs_keys(ft->per_port[i].validation->
				    ca_certificate_refs, ft->per_port[i].validation->
				    nca_certificate_refs, keys, n, cap);
	}
	if (tls)
		keys_add(keys, n, cap, KEY_TLS);
}

/* The namespaces of the Services a Gateway API route names. */
static void
gateway_route_keys(const struct object *o, uint64_t **keys, size_t *n,
    size_t *cap)
{
	switch (o->kind) {
	case OBJ_HTTPROUTE:
		for (size_t r = 0; r < o->u.httproute.nrules; r++) {
			const struct gw_http_rule *rule = &o->u.httproute.rules[r];

			backend_keys(rule->backend_refs, rule->nbackend_refs, keys, n,
			    cap);
			for (size_t f = 0; f < rule->nfilters; f++)
				if (rule->filters[f].request_mirror != NULL)
					backend_keys(rule->filters[f].request_mirror->
					    backend_ref, 1, keys, n, cap);
		}
		break;
	case OBJ_GRPCROUTE:
		for (size_t r = 0; r < o->u.grpcroute.nrules; r++)
			backend_keys(o->u.grpcroute.rules[r].backend_refs,
			    o->u.grpcroute.rules[r].nbackend_refs, keys, n, cap);
		break;
	default:
		for (size_t r = 0; r < o->u.l4route.nrules; r++)
			backend_keys(o->u.l4route.rules[r].backend_refs,
			    o->u.l4route.rules[r].nbackend_refs, keys, n, cap);
		break;
	}
}

/* Every key through which o's meaning can depend on another object (or
 * another object's on o). */
static void
object_keys(const struct object *o, uint64_t **keys, size_t *n, size_t *cap)
{
	keys_add(keys, n, cap, key_of('n', o->meta.namespace));
	switch (o->kind) {
	case OBJ_HTTPPROXY: {
		const struct httpproxy *hp = &o->u.httpproxy;

		if (hp->virtualhost != NULL && hp->virtualhost->fqdn != NULL)
			keys_add(keys, n, cap, key_of('f', hp->virtualhost->fqdn));
		for (size_t i = 0; i < hp->nincludes; i++)
			if (hp->includes[i].namespace != NULL)
				keys_add(keys, n, cap,
				    key_of('n', hp->includes[i].namespace));
		/* tcpproxy.include (and its old spelling) reaches a proxy
		 * that need not have TLS itself. */
		if (hp->tcpproxy != NULL)
			for (int k = 0; k < 2; k++) {
				const struct hp_tcpproxy_include *inc = k ?
				    hp->tcpproxy->includes : hp->tcpproxy->include;

				if (inc != NULL && inc->namespace != NULL)
					keys_add(keys, n, cap,
					    key_of('n', inc->namespace));
			}
		if (httpproxy_has_tls(hp))
			keys_add(keys, n, cap, KEY_TLS);
		if (hp->virtualhost != NULL)
			jwt_keys(hp->virtualhost, keys, n, cap);
		break;
	}
	case OBJ_INGRESS: {
		const struct ingress *ing = &o->u.ingress;

		if (ing->default_backend != NULL)
			keys_add(keys, n, cap, key_of('f', "*"));
		for (size_t i = 0; i < ing->nrules; i++)
			keys_add(keys, n, cap, key_of('f', ing->rules[i].host &&
			    *ing->rules[i].host ? ing->rules[i].host : "*"));
		if (ing->ntls > 0)
			keys_add(keys, n, cap, KEY_TLS);
		break;
	}
	case OBJ_SECRET:
	case OBJ_TLSCERTDELEGATION:
	/* ExtensionServices: used by TLS hosts of any namespace (only TLS
	 * hosts have authorization), and may validate with a Secret. */
	case OBJ_EXTENSIONSERVICE:
		keys_add(keys, n, cap, KEY_TLS);
		break;
	/* Gateway API: a route joins the Gateways it names and the
	 * namespaces of its Services (where the ReferenceGrants letting it
	 * reach them are); a Gateway its class; Namespaces (their labels)
	 * the Gateways selecting routes by them. ReferenceGrants and
	 * ConfigMaps are looked up in their own namespace. Only what reads
	 * Secrets (TLS listeners, BackendTLSPolicy) is in the TLS group. */
	case OBJ_HTTPROUTE:
		parent_keys(o, o->u.httproute.parent_refs,
		    o->u.httproute.nparent_refs, keys, n, cap);
		gateway_route_keys(o, keys, n, cap);
		break;
	case OBJ_GRPCROUTE:
		parent_keys(o, o->u.grpcroute.parent_refs,
		    o->u.grpcroute.nparent_refs, keys, n, cap);
		gateway_route_keys(o, keys, n, cap);
		break;
	case OBJ_TLSROUTE:
	case OBJ_TCPROUTE:
		parent_keys(o, o->u.l4route.parent_refs,
		    o->u.l4route.nparent_refs, keys, n, cap);
		gateway_route_keys(o, keys, n, cap);
		break;
	case OBJ_GATEWAYCLASS:
		keys_add(keys, n, cap, key_of('c', o->meta.name));
		break;
	case OBJ_GATEWAY:
		gateway_keys(o, keys, n, cap);
		break;
	case OBJ_NAMESPACE:
		keys_add(keys, n, cap, key_of('N', "labels"));
		break;
	case OBJ_BACKENDTLSPOLICY:
		keys_add(keys, n, cap, KEY_TLS);
		break;
	case OBJ_REFERENCEGRANT:
	case OBJ_CONFIGMAP:
		break;
	default: /* Service, Endpoints, EndpointSlice: their namespace */
		break;
	}
}

static size_t
node_find(struct grouping *g, size_t x)
{
	while (g->parent[x] != x) {
		g->parent[x] = g->parent[g->parent[x]]; /* path halving */
		x = g->parent[x];
	}
	return x;
}

static void
node_union(struct grouping *g, size_t a, size_t b)
{
	a = node_find(g, a);
	b = node_find(g, b);
	/* The smaller index wins: a group's root is its first unit. */
	if (a < b)
		g->parent[b] = a;
	else if (b < a)
		g->parent[a] = b;
}

static size_t
node_new(struct grouping *g)
{
	if (g->nnodes == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->parent = xreallocarray(g->parent, g->cap, sizeof *g->parent);
	}
	g->parent[g->nnodes] = g->nnodes;
	return g->nnodes++;
}

/* The node of key k, made on first use. The table has room for every
 * key (sized by the caller). */
static size_t
key_node(struct grouping *g, uint64_t k)
{
	size_t j;

	for (j = k & (g->kcap - 1); g->key_hash[j] != 0; j = (j + 1) & (g->kcap - 1))
		if (g->key_hash[j] == k)
			return g->key_node[j];
	g->key_hash[j] = k;
	g->key_node[j] = node_new(g);
	return g->key_node[j];
}

/* --- the parts ----------------------------------------------------------- */

static uint64_t
ids_hash(const uint64_t *ids, size_t n)
{
	uint64_t h = hash_bytes(ids, n * sizeof ids[0]);

	return h ? h : 1;
}

static struct dag_part_entry *
cache_find(struct dag_cache *c, uint64_t h, const uint64_t *ids, size_t n)
{
	if (c->cap == 0)
		return NULL;
	for (size_t j = h & (c->cap - 1); c->slots[j].hash != 0;
	    j = (j + 1) & (c->cap - 1)) {
		struct dag_part_entry *e = &c->slots[j];

		if (e->hash == h && e->nids == n &&
		    memcmp(e->ids, ids, n * sizeof ids[0]) == 0)
			return e;
	}
	return NULL;
}

static void
cache_insert(struct dag_part_entry *slots, size_t cap,
    const struct dag_part_entry *e)
{
	size_t j;

	for (j = e->hash & (cap - 1); slots[j].hash != 0; j = (j + 1) & (cap - 1))
		;
	slots[j] = *e;
}

/* Keep the parts this build used, drop the others. */
static void
cache_sweep(struct dag_cache *c, size_t want)
{
	size_t cap = 64;
	struct dag_part_entry *slots;

	while (cap < 2 * want + 2)
		cap *= 2;
	slots = xcalloc(cap, sizeof *slots);
	c->n = 0;
	for (size_t i = 0; i < c->cap; i++) {
		struct dag_part_entry *e = &c->slots[i];

		if (e->hash == 0)
			continue;
		if (!e->used) {
			part_entry_clear(e);
			continue;
		}
		e->used = false;
		cache_insert(slots, cap, e);
		c->n++;
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
}

static void
cache_add(struct dag_cache *c, uint64_t h, const uint64_t *ids, size_t n,
    struct dag *dag)
{
	struct dag_part_entry e = { .hash = h, .nids = n, .used = true };

	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct dag_part_entry *slots = xcalloc(cap, sizeof *slots);

		for (size_t i = 0; i < c->cap; i++)
			if (c->slots[i].hash != 0)
				cache_insert(slots, cap, &c->slots[i]);
		free(c->slots);
		c->slots = slots;
		c->cap = cap;
	}
	e.ids = xmemdup(ids, n * sizeof ids[0]);
	e.dag = dag_ref(dag);
	cache_insert(c->slots, c->cap, &e);
	c->n++;
}

/* --- assembling ------------------------------------------------------------ */

/* An array being assembled from sorted runs (one per part): only where
 * two runs meet is the order checked; if it breaks, the whole array is
 * sorted at the end. Parts mostly follow each other in order (a group's
 * first file by path, namespaces by directory). */
struct runs {
	char *base;
	size_t n, elem;
	int (*cmp)(const void *, const void *);
	bool sorted;
	/* Parts by position: changed[i] counts the parts up to i that are
	 * not the last assembly's part at i (NULL: compare every boundary);
	 * last: the part of the last run added. */
	const size_t *changed;
	size_t last;
	bool known; /* the next run's boundary is known to be in order */
};

enum { ASM_VHOSTS = 1, ASM_CLUSTERS = 2, ASM_ENDPOINTS = 4, ASM_SECRETS = 8,
	ASM_TLS_FILES = 16, ASM_STATUSES = 32 };

static void
runs_init(struct runs *r, void *base, size_t elem,
    int (*cmp)(const void *, const void *), const size_t *changed)
{
	*r = (struct runs){ .base = base, .elem = elem, .cmp = cmp, .sorted = true,
		.changed = changed };
}

/* The run src[0..n) of part i. Two runs of parts that were assembled
 * in order last time, with no other part between them changed since,
 * are in order again: no comparison. */
static void
runs_add(struct runs *r, const void *src, size_t n, size_t i)
{
	if (n == 0)
		return;
	if (r->n > 0 && r->sorted && !r->known &&
	    (r->changed == NULL || r->changed[i + 1] != r->changed[r->last]) &&
	    r->cmp(r->base + (r->n - 1) * r->elem, src) > 0)
		r->sorted = false;
	memcpy(r->base + r->n * r->elem, src, n * r->elem);
	r->n += n;
	r->last = i;
	r->known = false;
}

static size_t
runs_finish(struct runs *r)
{
	if (!r->sorted && r->n > 1)
		qsort(r->base, r->n, r->elem, r->cmp);
	return r->n;
}

/* Statuses are sorted by kind first: kind by kind, each part's statuses
 * of that kind (a range of its sorted array) are one run. */
static size_t
statuses_assemble(struct dag_object_status *out, struct dag **parts,
    size_t nparts, const size_t *changed, bool *in_order)
{
	size_t *at = xcalloc(nparts + 1, sizeof *at); /* next of each part */
	struct runs r;
	size_t n;

	runs_init(&r, out, sizeof out[0], dag_status_cmp, changed);
	for (int k = 0; k < OBJ_KIND_COUNT; k++) {
		/* The first run of a kind follows statuses of a smaller kind:
		 * in order (dag_status_cmp compares kinds first). */
		r.known = true;
		for (size_t i = 0; i < nparts; i++) {
			const struct dag *p = parts[i];
			size_t from = at[i];

			while (at[i] < p->nstatuses && (int)p->statuses[at[i]].kind == k)
				at[i]++;
			runs_add(&r, p->statuses + from, at[i] - from, i);
		}
	}
	/* Not one of the kinds (never from the loader): keep it anyway. */
	for (size_t i = 0; i < nparts; i++)
		if (at[i] < parts[i]->nstatuses) {
			r.sorted = false;
			runs_add(&r, parts[i]->statuses + at[i],
			    parts[i]->nstatuses - at[i], i);
		}
	free(at);
	*in_order = r.sorted;
	n = runs_finish(&r);
	return n;
}

static size_t
part_slot(const struct dag *p, size_t mask)
{
	uint64_t h = (uint64_t)(uintptr_t)p * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & mask;
}

/* in[i]: whether parts[i] is one of other[0..nother) (a file came or went:
 * the parts are no longer at the same places). Pointers only: no part is
 * read. */
static void
parts_in(struct dag **parts, size_t nparts, struct dag **other,
    size_t nother, bool *in)
{
	size_t cap = 16, mask;
	struct dag **t;

	while (cap < 2 * (nother + 1))
		cap *= 2;
	mask = cap - 1;
	t = xcalloc(cap, sizeof *t);
	for (size_t i = 0; i < nother; i++) {
		size_t j = part_slot(other[i], mask);

		while (t[j] != NULL && t[j] != other[i])
			j = (j + 1) & mask;
		t[j] = other[i];
	}
	for (size_t i = 0; i < nparts; i++) {
		size_t j = part_slot(parts[i], mask);

		while (t[j] != NULL && t[j] != parts[i])
			j = (j + 1) & mask;
		in[i] = t[j] != NULL;
	}
	free(t);
}

/* Statuses of the parts that are not the other build's: at the same
 * place (other[i] != parts[i]) when both have as many parts, else not
 * among them at all. Sorted; false (nothing made) when more than max. */
static bool
statuses_changed(struct dag **parts, size_t nparts, struct dag **other,
    size_t nother, size_t max, struct dag_object_status **out, size_t *nout)
{
	bool *keep = xcalloc(nparts + 1, sizeof *keep);
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (nparts == nother)
		for (size_t i = 0; i < nparts; i++)
			keep[i] = parts[i] == other[i];
	else
		parts_in(parts, nparts, other, nother, keep);
	for (size_t i = 0; i < nparts; i++)
		if (!keep[i] && (n += parts[i]->nstatuses) > max) {
			free(keep);
			return false;
		}
	*out = xreallocarray(NULL, n + 1, sizeof **out);
	for (size_t i = 0; i < nparts; i++)
		if (!keep[i] && parts[i]->nstatuses > 0) {
			memcpy(*out + *nout, parts[i]->statuses,
			    parts[i]->nstatuses * sizeof **out);
			*nout += parts[i]->nstatuses;
		}
	free(keep);
	if (n > 1)
		qsort(*out, n, sizeof **out, dag_status_cmp);
	for (size_t i = 1; i < n; i++)
		if (dag_status_cmp(&(*out)[i - 1], &(*out)[i]) == 0)
			return false; /* equal keys: their order is the parts' */
	return true;
}

/* dag's statuses as the last assembled DAG's (prev, of parts old) with
 * those of the parts that changed taken out and the new parts' put in:
 * the unchanged runs between are block copies and no unchanged part is
 * visited, so a one-file change costs its own statuses (a search each)
 * and one copy of the array. The result is what statuses_assemble makes
 * (every status in dag_status_cmp order, keys distinct); false (nothing
 * written) when that cannot be made sure of: no previous DAG, many
 * changed, or two statuses with equal keys. */
static bool
statuses_patch(struct dag *dag, const struct dag *prev, struct dag **old,
    size_t nold, struct dag **now, size_t nnow)
{
	struct dag_object_status *del = NULL, *add = NULL, *out = dag->statuses;
	const struct dag_object_status *ps;
	size_t ndel = 0, nadd = 0, *delpos = NULL, pos = 0, at = 0, np, d = 0;
	size_t max;
	bool ok = false;

	if (prev == NULL || nold == 0 || nnow == 0)
		return false;
	ps = prev->statuses;
	np = prev->nstatuses;
	max = np / 4 + 64;
	if (!statuses_changed(old, nold, now, nnow, max, &del, &ndel) ||
	    !statuses_changed(now, nnow, old, nold, max, &add, &nadd))
		goto out;
	/* Every part's statuses, or the last build was not of old. */
	if (np + nadd < ndel || np - ndel + nadd != dag->nstatuses)
		goto out;
	delpos = xreallocarray(NULL, ndel + 1, sizeof *delpos);
	for (size_t k = 0; k < ndel; k++) {
		size_t j = sorted_search(&del[k], ps, np, sizeof ps[0],
		    dag_status_cmp);

		if (j >= np || dag_status_cmp(&ps[j], &del[k]) != 0 ||
		    (j + 1 < np && dag_status_cmp(&ps[j + 1], &del[k]) == 0))
			goto out;
		delpos[k] = j;
	}
	for (size_t a = 0; a < nadd || d < ndel;) {
		size_t ins = np, stop;

		if (a < nadd)
			ins = pos + sorted_search(&add[a], ps + pos, np - pos,
			    sizeof ps[0], dag_status_cmp);
		stop = d < ndel && delpos[d] < ins ? delpos[d] : ins;
		if (stop > pos) {
			memcpy(out + at, ps + pos, (stop - pos) * sizeof ps[0]);
			at += stop - pos;
			pos = stop;
		}
		if (a < nadd && ins == pos) {
			/* Equal to a status that stays: keys not distinct. */
			if (pos < np && dag_status_cmp(&ps[pos], &add[a]) == 0 &&
			    !(d < ndel && delpos[d] == pos))
				goto out;
			out[at++] = add[a++];
			continue;
		}
		pos++; /* delpos[d] == pos: taken out */
		d++;
	}
	if (np > pos)
		memcpy(out + at, ps + pos, (np - pos) * sizeof ps[0]);
	at += np - pos;
	dag->nstatuses = at;
	ok = true;
out:
	free(del);
	free(add);
	free(delpos);
	return ok;
}

static int
gateway_cmp(const void *a, const void *b)
{
	const struct dag_gateway *x = a, *y = b;
	int c = strcmp(x->namespace, y->namespace);

	return c != 0 ? c : strcmp(x->name, y->name);
}

/* Gateways of several groups (object_keys): merged in name order. */
static void
gateways_assemble(struct dag *dag, struct dag **parts, size_t nparts)
{
	size_t n = 0;

	for (size_t i = 0; i < nparts; i++)
		n += parts[i]->ngateways;
	if (n == 0)
		return;
	dag->gateways = ARENA_ARRAY(&dag->arena, struct dag_gateway, n);
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i]->ngateways > 0)
			memcpy(dag->gateways + dag->ngateways, parts[i]->gateways,
			    parts[i]->ngateways * sizeof dag->gateways[0]);
		dag->ngateways += parts[i]->ngateways;
	}
	if (n > 1)
		qsort(dag->gateways, n, sizeof dag->gateways[0], gateway_cmp);
}

/* The arrays dag_assemble makes from runs: where each lives in struct
 * dag, its element and order. Statuses are merged kind by kind
 * (statuses_assemble); their entry only counts. */
struct asm_array {
	size_t base, count, elem;
	int (*cmp)(const void *, const void *);
	unsigned bit;
};

static const struct asm_array asm_arrays[ASM_NARRAYS] = {
	[ASM_ARRAY_VHOSTS] = { offsetof(struct dag, vhosts),
		offsetof(struct dag, nvhosts), sizeof(struct dag_vhost),
		dag_vhost_cmp, ASM_VHOSTS },
	[ASM_ARRAY_CLUSTERS] = { offsetof(struct dag, clusters),
		offsetof(struct dag, nclusters), sizeof(struct dag_cluster *),
		dag_cluster_ptr_cmp, ASM_CLUSTERS },
	[ASM_ARRAY_ENDPOINTS] = { offsetof(struct dag, endpoints),
		offsetof(struct dag, nendpoints), sizeof(struct dag_endpoints *),
		dag_endpoints_ptr_cmp, ASM_ENDPOINTS },
	[ASM_ARRAY_SECRETS] = { offsetof(struct dag, secrets),
		offsetof(struct dag, nsecrets), sizeof(struct dag_secret *),
		dag_secret_ptr_cmp, ASM_SECRETS },
	[ASM_ARRAY_TLS_FILES] = { offsetof(struct dag, tls_files),
		offsetof(struct dag, ntls_files), sizeof(const char *),
		sorted_str_cmp, ASM_TLS_FILES },
	[ASM_ARRAY_STATUSES] = { offsetof(struct dag, statuses),
		offsetof(struct dag, nstatuses), sizeof(struct dag_object_status),
		dag_status_cmp, ASM_STATUSES },
};

static char *
asm_base(const struct dag *d, int k)
{
	return *(char *const *)((const char *)d + asm_arrays[k].base);
}

static size_t *
asm_count(struct dag *d, int k)
{
	return (size_t *)((char *)d + asm_arrays[k].count);
}

/* A run of the last assembled array: parts first..last, all at the same
 * position as last time, whose elements lie together there. Inside it
 * the order is the last assembly's. */
static void
runs_add_block(struct runs *r, const void *src, size_t n, size_t first,
    size_t last)
{
	if (n == 0)
		return;
	runs_add(r, src, n, first);
	r->last = last;
}

/* Array k of dag from parts: a part at the same position as in the last
 * assembly (prev, in order for k: its array is the concatenation of its
 * parts') joins its unchanged neighbours in one block copied from prev;
 * the others are copied part by part. */
static void
patch_runs(int k, struct dag **parts, size_t nparts,
    const size_t *changed, const struct dag *prev,
    const struct part_at *prev_at, struct runs *r, size_t *blocks)
{
	const char *old = asm_base(prev, k);
	size_t elem = asm_arrays[k].elem;

	for (size_t i = 0; i < nparts;) {
		size_t j = i;

		if (changed[i + 1] != changed[i]) {
			runs_add(r, asm_base(parts[i], k), *asm_count(parts[i], k), i);
			i++;
			continue;
		}
		while (j < nparts && changed[j + 1] == changed[j])
			j++;
		runs_add_block(r, old + prev_at[i].n[k] * elem,
		    prev_at[j].n[k] - prev_at[i].n[k], i, j - 1);
		(*blocks)++;
		i = j;
	}
}

/* The union of parts (taken): one DAG holding a reference to each.
 * changed (NULL: none known) and *in_order as for runs, ASM_* bits.
 * prev (or NULL) is the last assembly, of prev_nparts parts whose
 * elements start at prev_at; at (nparts + 1 entries) gets where this
 * one's parts start. */
static struct dag *
dag_assemble(struct dag **parts, size_t nparts, const size_t *changed,
    unsigned known, unsigned *in_order, const struct dag *prev,
    const struct part_at *prev_at, size_t prev_nparts, struct part_at *at,
    size_t *blocks)
{
	struct dag *dag = xcalloc(1, sizeof *dag);
	struct arena *a = &dag->arena;
	/* Positions are comparable: changed says which parts are new. */
	bool same = prev != NULL && changed != NULL && nparts == prev_nparts;
	size_t bytes = 256;
	struct runs r[ASM_ARRAY_STATUSES];

	memset(&at[0], 0, sizeof at[0]);
	for (size_t i = 0; i < nparts; i++)
		for (int k = 0; k < ASM_NARRAYS; k++)
			at[i + 1].n[k] = at[i].n[k] + (same &&
			    changed[i + 1] == changed[i] ? prev_at[i + 1].n[k] -
			    prev_at[i].n[k] : *asm_count(parts[i], k));
	for (int k = 0; k < ASM_NARRAYS; k++)
		bytes += at[nparts].n[k] * asm_arrays[k].elem;
	arena_init_sized(a, bytes);
	dag->vhosts = ARENA_ARRAY(a, struct dag_vhost,
	    at[nparts].n[ASM_ARRAY_VHOSTS] + 1);
	dag->clusters = ARENA_ARRAY(a, struct dag_cluster *,
	    at[nparts].n[ASM_ARRAY_CLUSTERS] + 1);
	dag->endpoints = ARENA_ARRAY(a, struct dag_endpoints *,
	    at[nparts].n[ASM_ARRAY_ENDPOINTS] + 1);
	dag->statuses = ARENA_ARRAY(a, struct dag_object_status,
	    at[nparts].n[ASM_ARRAY_STATUSES] + 1);
	dag->secrets = ARENA_ARRAY(a, struct dag_secret *,
	    at[nparts].n[ASM_ARRAY_SECRETS] + 1);
	dag->tls_files = ARENA_ARRAY(a, const char *,
	    at[nparts].n[ASM_ARRAY_TLS_FILES] + 1);
	*in_order = 0;
#define KNOWN(bit) ((known & (bit)) ? changed : NULL)
	for (int k = 0; k < ASM_ARRAY_STATUSES; k++) {
		unsigned bit = asm_arrays[k].bit;

		runs_init(&r[k], asm_base(dag, k), asm_arrays[k].elem,
		    asm_arrays[k].cmp, KNOWN(bit));
		if (same && (known & bit) != 0)
			patch_runs(k, parts, nparts, changed, prev, prev_at,
			    &r[k], blocks);
		else
			for (size_t i = 0; i < nparts; i++)
				runs_add(&r[k], asm_base(parts[i], k),
				    *asm_count(parts[i], k), i);
		if (r[k].sorted)
			*in_order |= bit;
		*asm_count(dag, k) = runs_finish(&r[k]);
	}
	/* dag->statuses (room for every part's, nstatuses until filled)
	 * are filled by the caller: statuses_patch or statuses_assemble. */
	dag->nstatuses = at[nparts].n[ASM_ARRAY_STATUSES];
#undef KNOWN
	gateways_assemble(dag, parts, nparts);
	dag->parts = ARENA_ARRAY(a, struct dag *, nparts + 1);
	memcpy(dag->parts, parts, nparts * sizeof parts[0]);
	dag->nparts = nparts;
	return dag;
}

/* --- the build ------------------------------------------------------------- */

static void
units_clear(struct dag_cache *c)
{
	for (size_t i = 0; i < c->ucap; i++) {
		free(c->units[i].keys);
		free(c->units[i].roots);
	}
	if (c->ucap > 0) /* units is NULL before the first build */
		memset(c->units, 0, c->ucap * sizeof c->units[0]);
	c->nunits = 0;
}

static struct unit_keys *
unit_slot(struct unit_keys *t, size_t cap, uint64_t id)
{
	size_t j = (size_t)hash_bytes(&id, sizeof id) & (cap - 1);

	while (t[j].id != 0 && t[j].id != id)
		j = (j + 1) & (cap - 1);
	return &t[j];
}

/* Room for n more units: the table does not move while a build holds
 * pointers into it. */
static void
units_reserve(struct dag_cache *c, size_t n)
{
	size_t ncap = c->ucap ? c->ucap : 1024;
	struct unit_keys *t;

	while ((c->nunits + n + 1) * 2 > ncap)
		ncap *= 2;
	if (ncap == c->ucap)
		return;
	t = xcalloc(ncap, sizeof *t);
	for (size_t i = 0; i < c->ucap; i++)
		if (c->units[i].id != 0)
			*unit_slot(t, ncap, c->units[i].id) = c->units[i];
	free(c->units);
	c->units = t;
	c->ucap = ncap;
}

/* The keys of u, computed on the first build that sees this version
 * (units_reserve made room). */
static const struct unit_keys *
unit_keys_get(struct dag_cache *c, const struct dag_unit *u)
{
	struct unit_keys *e;
	size_t cap = 0;

	e = unit_slot(c->units, c->ucap, u->id);
	if (e->id == 0) {
		size_t rcap = 0;

		e->id = u->id;
		for (size_t k = 0; k < u->nobjs; k++) {
			const struct object *o = u->objs[k];

			object_keys(o, &e->keys, &e->n, &cap);
			if ((o->kind == OBJ_HTTPPROXY &&
			    o->u.httpproxy.virtualhost != NULL &&
			    o->u.httpproxy.virtualhost->fqdn != NULL) ||
			    (o->kind == OBJ_INGRESS && o->u.ingress.nrules > 0))
				ARRAY_PUSH(e->roots, e->nroots, rcap, o);
		}
		c->nunits++;
	}
	e->used = true;
	return e;
}

/* Forget the keys of units this build did not have (a table rebuilt
 * without them). */
static void
units_sweep(struct dag_cache *c)
{
	size_t cap = 1024, live = 0;
	struct unit_keys *t;

	for (size_t i = 0; i < c->ucap; i++)
		live += c->units[i].id != 0 && c->units[i].used;
	if (live == c->nunits) {
		for (size_t i = 0; i < c->ucap; i++)
			c->units[i].used = false;
		return;
	}
	while (cap < 2 * (live + 1))
		cap *= 2;
	t = xcalloc(cap, sizeof *t);
	for (size_t i = 0; i < c->ucap; i++) {
		struct unit_keys *e = &c->units[i];

		if (e->id == 0)
			continue;
		if (!e->used) {
			free(e->keys);
			free(e->roots);
			continue;
		}
		e->used = false;
		*unit_slot(t, cap, e->id) = *e;
	}
	free(c->units);
	c->units = t;
	c->ucap = cap;
	c->nunits = live;
}

/* The groups of units: group_of[u] is the first unit of u's group;
 * *tls_group is the first unit of the TLS group or (size_t)-1. */
static void
units_group(struct dag_cache *c, const struct dag_unit *units, size_t n,
    size_t *group_of, size_t *tls_group)
{
	struct grouping g = { 0 };
	const struct unit_keys **uk = xreallocarray(NULL, n + 1, sizeof *uk);
	size_t nkeys = 0, tls_node;

	units_reserve(c, n);
	for (size_t u = 0; u < n; u++) {
		uk[u] = unit_keys_get(c, &units[u]);
		nkeys += uk[u]->n;
		node_new(&g);
	}
	for (g.kcap = 1024; g.kcap < 2 * (nkeys + 1); g.kcap *= 2)
		;
	g.key_hash = xcalloc(g.kcap, sizeof *g.key_hash);
	g.key_node = xreallocarray(NULL, g.kcap, sizeof *g.key_node);
	for (size_t u = 0; u < n; u++)
		for (size_t k = 0; k < uk[u]->n; k++)
			node_union(&g, u, key_node(&g, uk[u]->keys[k]));
	for (size_t u = 0; u < n; u++)
		group_of[u] = node_find(&g, u);
	tls_node = key_node(&g, KEY_TLS);
	*tls_group = node_find(&g, tls_node);
	if (*tls_group >= n)
		*tls_group = (size_t)-1; /* no unit has TLS */
	units_sweep(c);
	free(uk);
	free(g.parent);
	free(g.key_hash);
	free(g.key_node);
}

static void
grouping_save(struct dag_cache *c, const struct dag_unit *units, size_t n,
    const size_t *group_of, size_t tls_group)
{
	c->prev_ids = xreallocarray(c->prev_ids, n + 1, sizeof *c->prev_ids);
	c->prev_group_of = xreallocarray(c->prev_group_of, n + 1,
	    sizeof *c->prev_group_of);
	for (size_t u = 0; u < n; u++)
		c->prev_ids[u] = units[u].id;
	memcpy(c->prev_group_of, group_of, n * sizeof *group_of);
	c->prev_n = n;
	c->prev_tls_group = tls_group;
}

/* The grouping of the last build holds again when the same files are
 * in the same order and every changed one has the keys its previous
 * version had (an edit of routes, of a Service's ports): the common
 * change, decided without the union-find over every key. Keys of the
 * versions replaced stay in the table until the next full grouping,
 * which runs before they are as many as the units. */
static bool
units_regroup_same(struct dag_cache *c, const struct dag_unit *units,
    size_t n, size_t *group_of, size_t *tls_group)
{
	size_t nchanged = 0;

	if (c->prev_ids == NULL || n != c->prev_n || c->nunits > 2 * n + 64)
		return false;
	for (size_t u = 0; u < n; u++)
		nchanged += units[u].id != c->prev_ids[u];
	if (nchanged * 8 > n)
		return false;
	units_reserve(c, nchanged);
	for (size_t u = 0; u < n; u++) {
		const struct unit_keys *old, *now;

		if (units[u].id == c->prev_ids[u])
			continue;
		old = unit_slot(c->units, c->ucap, c->prev_ids[u]);
		now = unit_keys_get(c, &units[u]);
		if (old->id == 0 || old->n != now->n ||
		    memcmp(old->keys, now->keys, now->n * sizeof now->keys[0]) != 0)
			return false;
	}
	/* Flags as a full grouping leaves them (units_sweep). */
	for (size_t u = 0; u < n; u++)
		if (units[u].id != c->prev_ids[u]) {
			unit_slot(c->units, c->ucap, units[u].id)->used = false;
			c->prev_ids[u] = units[u].id;
		}
	memcpy(group_of, c->prev_group_of, n * sizeof *group_of);
	*tls_group = c->prev_tls_group;
	return true;
}

static int
str_bsearch_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* fp with one claim's seq mixed in, when its FQDN is contested. */
static uint64_t
owners_mix(uint64_t fp, const struct fqdn_ledger *owners,
    const char **contested, size_t ncontested, const char *fqdn,
    const char *ns, const char *name)
{
	uint64_t v[4];

	if (bsearch(fqdn, contested, ncontested, sizeof contested[0],
	    str_bsearch_cmp) == NULL)
		return fp;
	v[0] = fp;
	v[1] = fqdn_ledger_seq(owners, fqdn, ns, name);
	v[2] = key_of('f', fqdn);
	v[3] = key_of('n', ns) ^ key_of('m', name);
	return hash_bytes(v, sizeof v);
}

/* The seqs of the group's claims on contested FQDNs, hashed (0 when it
 * has none, the common case: nothing to look up). */
static uint64_t
owners_fingerprint(struct dag_cache *c, const struct dag_unit *units,
    const size_t *members, size_t n, const struct fqdn_ledger *owners,
    const char **contested, size_t ncontested)
{
	uint64_t fp = 0;

	if (ncontested == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct unit_keys *uk = unit_slot(c->units, c->ucap,
		    units[members[i]].id);

		for (size_t k = 0; k < uk->nroots; k++) {
			const struct object *o = uk->roots[k];

			if (o->kind == OBJ_HTTPPROXY) {
				fp = owners_mix(fp, owners, contested, ncontested,
				    o->u.httpproxy.virtualhost->fqdn,
				    o->meta.namespace, o->meta.name);
				continue;
			}
			for (size_t r = 0; r < o->u.ingress.nrules; r++) {
				const char *host = o->u.ingress.rules[r].host;
				char *name;

				if (host == NULL || bsearch(host, contested,
				    ncontested, sizeof contested[0],
				    str_bsearch_cmp) == NULL)
					continue;
				name = xasprintf("%s%s", FQDN_INGRESS_PREFIX,
				    o->meta.name);
				fp = owners_mix(fp, owners, contested, ncontested,
				    host, o->meta.namespace, name);
				free(name);
			}
		}
	}
	return fp;
}

/* The DAG of one group (members: unit indexes in order). HTTPRoutes go
 * through the memo but in the TLS group (tls: certificates and
 * BackendTLSPolicies are read there); context: what else the group's
 * key holds (its claims). */
static struct dag *
group_build(struct dag_cache *c, const struct dag_unit *units,
    const size_t *members, size_t n, const struct dag_options *opts,
    const struct fqdn_ledger *owners, struct object ***objs, size_t *objs_cap,
    bool tls, uint64_t context)
{
	size_t nobjs = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dag_unit *u = &units[members[i]];

		if (u->nobjs == 0)
			continue;
		if (nobjs + u->nobjs > *objs_cap) {
			*objs_cap = 2 * (nobjs + u->nobjs);
			*objs = xreallocarray(*objs, *objs_cap, sizeof **objs);
		}
		if (nobjs + u->nobjs > c->objs_units_cap) {
			c->objs_units_cap = 2 * (nobjs + u->nobjs);
			c->objs_units = xreallocarray(c->objs_units,
			    c->objs_units_cap, sizeof *c->objs_units);
		}
		memcpy(*objs + nobjs, u->objs, u->nobjs * sizeof u->objs[0]);
		for (size_t k = 0; k < u->nobjs; k++)
			c->objs_units[nobjs + k] = u->id;
		nobjs += u->nobjs;
	}
	if (c->verify_keys) {
		char buf[512];
		const char *err = dag_verify_object_keys(*objs, nobjs, opts,
		    OBJ_KIND_COUNT, buf, sizeof buf);

		if (err != NULL) {
			fprintf(stderr, "cairn: dag: %s\n", err);
			abort();
		}
	}
	return dag_build_memo(*objs, nobjs, opts, owners, c->material,
	    c->objs_units, tls ? NULL : c->gw_memo, context);
}

/* A file version the last build had (gw_memo_sweep). */
static bool
unit_live(void *ctx, uint64_t id)
{
	const struct dag_cache *c = ctx;

	return c->ucap > 0 && unit_slot(c->units, c->ucap, id)->id == id;
}

static uint64_t
lookup_key(const struct dag_lookup *l)
{
	if (l->kind == 'w')
		return key_of2('w', l->s, l->s2);
	return l->kind == 't' ? KEY_TLS : key_of(l->kind, l->s);
}

/* How a lookup's key reads in the message. */
static const char *
lookup_kind_name(char kind)
{
	switch (kind) {
	case 'n': return "namespace ";
	case 'f': return "FQDN ";
	case 'w': return "Gateway ";
	case 'c': return "GatewayClass ";
	case 'N': return "Namespace ";
	default: return "the TLS group";
	}
}

/* The keys of objs, those of kind omit cut down to their namespace's. */
static void
verify_keys_of(struct object *const *objs, size_t nobjs, int omit,
    uint64_t **keys, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < nobjs; i++) {
		if ((int)objs[i]->kind == omit)
			keys_add(keys, n, cap, key_of('n',
			    objs[i]->meta.namespace));
		else
			object_keys(objs[i], keys, n, cap);
	}
}

/* Builds objs recording its lookups; the first whose key is not in
 * keys[0..n) is described in buf (who: the object that made it, or NULL
 * when several were built). */
static const char *
verify_lookups(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const uint64_t *keys, size_t n,
    const struct object *who, char *buf, size_t len)
{
	struct dag_lookups rec = { 0 };
	const char *err = NULL;
	struct dag *dag = dag_build_recorded(objs, nobjs, opts, NULL, NULL, &rec);

	for (size_t i = 0; err == NULL && i < rec.n; i++) {
		const struct dag_lookup *l = &rec.v[i];
		uint64_t k = lookup_key(l);
		size_t j = 0;

		while (j < n && keys[j] != k)
			j++;
		if (j < n)
			continue;
		snprintf(buf, len, "%s%s%s%s%s%sa lookup of %s by %s%s%s%s%s%s is "
		    "under no key of %s: object_keys (src/dag/parts.c) misses it",
		    who ? obj_kind_name(who->kind) : "", who ? " " : "",
		    who ? who->meta.namespace : "", who ? "/" : "",
		    who ? who->meta.name : "", who ? ": " : "", l->what,
		    lookup_kind_name(l->kind), l->kind == 't' ? "" : "\"", l->s,
		    l->s2 != NULL ? "/" : "", l->s2 != NULL ? l->s2 : "",
		    l->kind == 't' ? "" : "\"",
		    who ? "the object" : "the objects built with it");
		err = buf;
	}
	dag_free(dag);
	free(rec.v);
	return err;
}

const char *
dag_verify_object_keys(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, int omit, char *buf, size_t len)
{
	uint64_t *keys = NULL;
	size_t n = 0, cap = 0;
	const char *err;

	/* Each object on its own: the lookups it makes itself must be under
	 * its own keys. */
	for (size_t i = 0; i < nobjs; i++) {
		n = 0;
		verify_keys_of(&objs[i], 1, omit, &keys, &n, &cap);
		err = verify_lookups(&objs[i], 1, opts, keys, n, objs[i], buf, len);
		if (err != NULL) {
			free(keys);
			return err;
		}
	}
	/* All together: what the objects reached make (an included
	 * HTTPProxy's Services) must be under some object's keys. */
	n = 0;
	verify_keys_of(objs, nobjs, omit, &keys, &n, &cap);
	err = verify_lookups(objs, nobjs, opts, keys, n, NULL, buf, len);
	free(keys);
	return err;
}

struct dag *
dag_build_units(const struct dag_unit *units, size_t nunits,
    const struct dag_options *opts, struct dag_cache *c)
{
	return dag_build_units_owned(units, nunits, opts, NULL, c);
}

struct dag *
dag_build_units_owned(const struct dag_unit *units, size_t nunits,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    struct dag_cache *c)
{
	size_t *group_of = xreallocarray(NULL, nunits + 1, sizeof *group_of);
	size_t *next = xreallocarray(NULL, nunits + 1, sizeof *next);
	size_t *members = xreallocarray(NULL, nunits + 1, sizeof *members);
	uint64_t *ids = xreallocarray(NULL, nunits + 3, sizeof *ids);
	struct dag **parts = xreallocarray(NULL, nunits + 1, sizeof *parts);
	struct object **objs = NULL;
	size_t nparts = 0, objs_cap = 0, tls_group;
	struct dag_options defaults;
	uint64_t cfg_fp;
	int64_t now = (int64_t)time(NULL);
	struct dag *dag;
	size_t ncontested;
	const char **contested = fqdn_ledger_contested(owners, &ncontested);

	if (opts == NULL) {
		dag_options_from_config(&defaults, NULL);
		opts = &defaults;
	}
	cfg_fp = dag_options_fingerprint(opts);
	if (cfg_fp != c->cfg_fp) {
		cache_clear(c);
		c->cfg_fp = cfg_fp;
	}
	memset(&c->stats, 0, sizeof c->stats);
	if (!units_regroup_same(c, units, nunits, group_of, &tls_group)) {
		units_group(c, units, nunits, group_of, &tls_group);
		grouping_save(c, units, nunits, group_of, tls_group);
	}
	/* Members of each group in unit order: a list threaded through next,
	 * from the group's first unit (its root). */
	for (size_t u = 0; u < nunits; u++)
		next[u] = (size_t)-1;
	for (size_t u = nunits; u-- > 0;) {
		size_t r = group_of[u];

		/* The root is the group's smallest unit: inserting after it
		 * from the highest down leaves the list ascending. */
		if (r != u) {
			next[u] = next[r];
			next[r] = u;
		}
	}
	for (size_t r = 0; r < nunits; r++) {
		struct dag_part_entry *e;
		size_t n = 0;
		uint64_t h;

		if (group_of[r] != r)
			continue;
		for (size_t u = r; u != (size_t)-1; u = next[u]) {
			members[n] = u;
			ids[n++] = units[u].id;
		}
		/* A part is only valid for the order of the contested claims
		 * it saw (SPEC §6a): that order is part of its key. */
		ids[n] = owners_fingerprint(c, units, members, n, owners,
		    contested, ncontested);
		n++;
		/* The TLS group's file-backed Secrets: their material too. */
		if (r == tls_group)
			ids[n++] = tls_material_hash(c->material);
		h = ids_hash(ids, n);
		c->stats.groups++;
		e = cache_find(c, h, ids, n);
		if (e != NULL && (e->dag->valid_until == 0 ||
		    now < e->dag->valid_until)) {
			e->used = true;
			parts[nparts++] = dag_ref(e->dag);
			c->stats.reused++;
			continue;
		}
		parts[nparts] = group_build(c, units, members, n - (r == tls_group ?
		    2 : 1), opts, owners, &objs, &objs_cap, r == tls_group,
		    ids[r == tls_group ? n - 2 : n - 1]);
		if (e != NULL) { /* a certificate's expiry verdict changed */
			dag_free(e->dag);
			e->dag = dag_ref(parts[nparts]);
			e->used = true;
		} else
			cache_add(c, h, ids, n, parts[nparts]);
		nparts++;
		c->stats.built++;
	}
	cache_sweep(c, nparts);
	gw_memo_take_stats(c->gw_memo, &c->stats.gw_routes_resolved,
	    &c->stats.gw_routes_kept);
	gw_memo_sweep(c->gw_memo, unit_live, c);
	free(contested);
	{
		/* changed[i]: parts before position i not the last build's
		 * part at i. */
		size_t *changed = xreallocarray(NULL, nparts + 1, sizeof *changed);
		struct part_at *at = xreallocarray(NULL, nparts + 1, sizeof *at);
		bool same = nparts == c->prev_nparts;
		unsigned known = same ? c->prev_in_order : 0;
		struct dag **old = c->prev_parts, *old_dag = c->prev_dag;
		size_t nold = c->prev_nparts;

		changed[0] = 0;
		for (size_t i = 0; i < nparts; i++)
			changed[i + 1] = changed[i] + (!same ||
			    parts[i] != c->prev_parts[i]);
		dag = dag_assemble(parts, nparts, changed, known,
		    &c->prev_in_order, c->prev_dag, c->prev_at, c->prev_nparts,
		    at, &c->stats.blocks);
		/* The statuses: the last build's patched with the changed
		 * parts' where that is safe, else merged from every part.
		 * old_dag (and the parts it holds) lives until then. */
		if (statuses_patch(dag, old_dag, old, nold, parts, nparts))
			c->stats.statuses_patched = true;
		else {
			bool st_in_order;

			dag->nstatuses = statuses_assemble(dag->statuses, parts,
			    nparts, (known & ASM_STATUSES) ? changed : NULL,
			    &st_in_order);
			if (st_in_order)
				c->prev_in_order |= ASM_STATUSES;
		}
		free(changed);
		/* The new DAG holds a reference on each of its parts: the
		 * cache's view of them borrows from it. */
		dag_free(old_dag);
		free(c->prev_at);
		c->prev_dag = dag_ref(dag);
		c->prev_at = at;
		c->prev_parts = dag->parts;
		c->prev_nparts = nparts;
	}
	dag->nparts_built = c->stats.built;
	free(objs);
	free(parts);
	free(ids);
	free(members);
	free(next);
	free(group_of);
	return dag;
}
