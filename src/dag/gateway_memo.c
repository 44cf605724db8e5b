/* Gateway API route memo (gw_memo, gateway.c asks it): each HTTPRoute's
 * resolution kept per file version and context, the contexts of
 * namespaces and of the group, and the use of a kept resolution in a
 * build. Apart because its lifetime is the DAG cache's (parts.c), not a
 * build's. */
#include "dag/gateway_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "dag/gateway_tls.h"
#include "util/duration.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* --- HTTPRoutes kept between builds ------------------------------------------
 *
 * The Gateway's group holds every route naming it (parts.c), so a change
 * to one route builds the group again. What a route resolves to (its
 * entries for each listener, the clusters and endpoints its backends
 * make, its own status, the listeners it counts in) depends on its file
 * and on the group's other objects but not on other HTTPRoutes: kept per
 * route file version, valid while the rest of the group (the context:
 * every object of the group but HTTPRoutes) is the same. Each is resolved
 * into an arena of its own (a holder DAG, referenced by every DAG that
 * uses it), so its dag_route arrays keep their addresses. Only the
 * precedence sort across routes and the assembly of each port remain
 * per build. Off where a route could read more: the TLS group
 * (BackendTLSPolicies, certificate verdicts that change with time) and
 * groups whose HTTPProxies or Ingresses made clusters first (a route
 * would share theirs). */

struct gw_kept {
	struct gw_ref *refs; /* sorted; their routes are those of runs */
	size_t nrefs;
	struct gw_run *runs; /* route_index set when used */
	size_t nruns;
	struct gw_attach *attach;
	size_t nattach;
	struct dag_cluster **clusters;
	size_t nclusters;
	struct dag_endpoints **endpoints;
	size_t nendpoints;
	/* Their names' dag_strmap_hash: a kept route's names are not read
	 * when no other route made one alike. */
	uint64_t *cluster_hashes, *endpoint_hashes;
	/* The keys of the namespaces its context is made of, in order
	 * (gw_keys_context); nns_keys 0: not kept, the route is read. */
	uint64_t *ns_keys;
	size_t nns_keys;
	struct dag_object_status status; /* cap == nconditions */
	bool attached;
};

struct gw_memo_slot {
	uint64_t unit; /* the route's file version; 0 = empty */
	const struct object *route;
	uint64_t context;
	struct dag *holder; /* a reference; its arena holds kept */
	const struct gw_kept *kept;
	/* The contexts' generation (gw_memo_contexts.gen) at which the
	 * context was last found equal to `context`. */
	uint64_t ok_gen;
};

/* At most this many objects changed places are patched in; more, and
 * the kind is sorted again. */
#define GW_ORDER_PATCH_MAX 8

/* What a status starts with that its object gives (dag_status_initial). */
struct gw_status_key {
	const char *namespace, *name;
	struct origin origin;
};

/* One kind's objects as the last build collected them (in objs order)
 * and where its sort put each (gw_memo_order_patch): each object by its
 * address and its file version, which together name it for as long as
 * that version lives (versions are never reused); the addresses are
 * compared, never read. */
struct gw_memo_order {
	uintptr_t *in;
	uint64_t *units;
	size_t *pos; /* in[i]'s place in the sorted array */
	/* By sorted place: the object has its left neighbour's namespace
	 * and name (dag_object_is_shadowed), so that a pair of unchanged
	 * neighbours is answered without reading their names. */
	bool *shadow;
	size_t n, cap;
	/* By sorted place, each object's status keys (kept by
	 * gw_memo_order_statuses_keep, patched with the order; nkeys 0:
	 * none for this order): a kept place's status is made without
	 * reading its object, a cache miss each (20,000 at 10k HTTPRoutes). */
	struct gw_status_key *keys;
	size_t nkeys, keys_cap;
	/* By sorted place: the object's own checks found nothing with the
	 * options clean_key (gw_memo_order_clean; cleared at a place the
	 * order patch changed; clean_valid false: none known). */
	bool *clean;
	size_t clean_cap;
	uint64_t clean_key;
	bool clean_valid;
};

/* The namespaces' contexts (gw_contexts) as the last build made them,
 * and what they were made of: the group's Services, Endpoints,
 * EndpointSlices and ReferenceGrants, per kind in the group's order, by
 * address and file version (an address with its version names one object
 * while that version lives) and the key of each one's namespace (so that
 * an object gone is never read). A namespace's context is a sum of its
 * objects' terms: the next build subtracts what left and adds what came. */
struct gw_memo_ns_kind {
	uintptr_t *objs;
	uint64_t *units, *keys;
	size_t n, cap;
};

struct gw_memo_contexts {
	struct gw_memo_ns_kind kinds[4];
	uint64_t *ns_key, *ns_ctx;
	size_t ns_cap, ns_used;
	bool valid;
	size_t patched; /* builds that patched them since asked */
	/* One per build that made them; `changed`: the keys of the
	 * namespaces whose context this one's patch moved, and `steady`
	 * when nothing else changed since the last (s->context, which is
	 * `group`, included): a route's context found equal in the last
	 * build and of none of those namespaces is equal now. */
	uint64_t gen, group;
	uint64_t *changed;
	size_t nchanged, changed_cap;
	bool steady;
};

/* Names (of clusters or endpoints: structs whose first member is the
 * name) with how many of the group's routes made one of each, and the
 * one the DAG holds (rep); `sorted`: the reps by name, the part's array. */
struct gw_name_count {
	uint64_t hash;
	const char *const *rep; /* NULL: empty slot */
	uint32_t count;
	bool need; /* rep's route left while others still make the name */
};

struct gw_names {
	struct gw_name_count *t;
	size_t cap, n;
	const char *const **sorted;
	size_t nsorted;
};

/* The last build of a group whose routes all came through the memo
 * (gw_patch_begin): its routes in order with the resolution each took,
 * its sorted runs, each listener's count of kept routes, and the names
 * of the clusters and endpoints its routes made. gen: the contexts'
 * generation of that build; the next build patches from it only when it
 * is the next generation, steady, with the same Gateways. */
struct gw_memo_last {
	bool valid;
	uint64_t gen;
	struct object **gateways;
	size_t ngateways, gateways_cap;
	const struct object **routes;
	uint64_t *units, *ns0; /* ns0: the route's own namespace key */
	const struct gw_kept **kept; /* NULL: the route made nothing */
	struct dag **holders;
	bool *ns_only; /* its context is its own namespace's alone */
	size_t n, cap;
	struct gw_run *runs;
	size_t nruns;
	uint32_t *attach; /* per listener of each Gateway, in order */
	size_t nattach, attach_cap;
	struct gw_names names[2]; /* clusters, endpoints */
	/* Each route's status and attached flag as its build left them:
	 * read in order, where its resolution's would be a cache miss. */
	struct dag_object_status *status;
	bool *attached;
	size_t status_cap;
	size_t nruns_kept; /* of the patched build's runs: the kept ones */
	/* Holders by the bundle: each a DAG holding the holders of up to
	 * GW_BUNDLE routes (a reference each), which a patched build holds
	 * with one reference while none of its routes left; bundle_of:
	 * each route's (GW_NO_BUNDLE: held alone). The memo owns one
	 * reference on each. */
	struct dag **bundles;
	size_t nbundles, bundles_cap;
	uint32_t *bundle_of;
	bool *run_same; /* per run of runs: gw_state.run_same */
	bool sorted_pending; /* names' order: the DAG's, once sorted */
};

/* A large group's objects as the last build had them, with each one's
 * kind (gw_memo_kinds): by address and file version, compared in place,
 * so that an object the last build had at the same index is not read. */
struct gw_memo_kinds {
	uintptr_t *objs;
	uint64_t *units;
	unsigned char *kinds;
	size_t n, cap;
};

struct gw_memo {
	struct gw_memo_slot *slots; /* open addressing, cap a power of 2 */
	size_t n, cap;
	size_t live; /* n after the last sweep */
	size_t resolved, kept;
	struct gw_memo_order order[OBJ_KIND_COUNT];
	struct gw_memo_kinds kinds;
	size_t order_compared; /* pairs compared by content since asked */
	struct gw_memo_contexts contexts;
	struct gw_memo_last last;
	size_t patched; /* builds whose routes were patched since asked */
};

static void gw_last_free(struct gw_memo_last *l);
struct gw_names;
static size_t gw_kept_names(const struct gw_kept *k, int which,
    const char *const *const **objs, const uint64_t **hashes);
static bool gw_names_add(struct gw_names *nm, uint64_t h,
    const char *const *obj);
static void gw_last_bundles_release(struct gw_memo_last *l, const bool *keep,
    size_t nkeep);

struct gw_memo *
gw_memo_new(void)
{
	return xcalloc(1, sizeof(struct gw_memo));
}

void
gw_memo_clear(struct gw_memo *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].unit != 0)
			dag_free(m->slots[i].holder);
	free(m->slots);
	m->slots = NULL;
	m->n = m->cap = m->live = 0;
	m->last.valid = false; /* its resolutions' holders are gone */
	gw_last_bundles_release(&m->last, NULL, 0);
}

void
gw_memo_free(struct gw_memo *m)
{
	if (m == NULL)
		return;
	gw_memo_clear(m);
	for (size_t k = 0; k < OBJ_KIND_COUNT; k++) {
		free(m->order[k].in);
		free(m->order[k].units);
		free(m->order[k].pos);
		free(m->order[k].shadow);
		free(m->order[k].keys);
		free(m->order[k].clean);
	}
	for (size_t k = 0; k < 4; k++) {
		free(m->contexts.kinds[k].objs);
		free(m->contexts.kinds[k].units);
		free(m->contexts.kinds[k].keys);
	}
	free(m->kinds.objs);
	free(m->kinds.units);
	free(m->kinds.kinds);
	free(m->contexts.ns_key);
	free(m->contexts.ns_ctx);
	free(m->contexts.changed);
	gw_last_free(&m->last);
	free(m);
}

static void
gw_status_key_set(struct gw_status_key *k, const struct object *o)
{
	k->namespace = o->meta.namespace;
	k->name = o->meta.name;
	k->origin = o->meta.origin;
}

bool
gw_memo_order_patch(struct gw_memo *m, enum obj_kind kind,
    struct object **arr, const uint64_t *units, size_t n,
    int (*cmp)(const void *, const void *), struct arena *scratch,
    const bool **shadow)
{
	struct gw_memo_order *o = &m->order[kind];
	size_t changed[GW_ORDER_PATCH_MAX], nchanged = 0;
	struct object **out;

	if (n == 0 || o->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (o->in[i] != (uintptr_t)arr[i] || o->units[i] != units[i]) {
			if (nchanged == GW_ORDER_PATCH_MAX)
				return false;
			changed[nchanged++] = i;
		}
	/* Every unchanged object is the same object at the same place of
	 * the input, so it goes where the last sort put it; a changed one
	 * takes its predecessor's place, and is kept there only when it is
	 * strictly between its new neighbours (a tie is left to the sort,
	 * which decides which of two duplicates is first). */
	out = ARENA_ARRAY(scratch, struct object *, n);
	for (size_t i = 0; i < n; i++)
		out[o->pos[i]] = arr[i];
	for (size_t c = 0; c < nchanged; c++) {
		size_t p = o->pos[changed[c]];

		if (p > 0) {
			m->order_compared++;
			if (cmp(&out[p - 1], &out[p]) >= 0)
				return false;
		}
		if (p + 1 < n) {
			m->order_compared++;
			if (cmp(&out[p], &out[p + 1]) >= 0)
				return false;
		}
	}
	for (size_t c = 0; c < nchanged; c++) {
		o->in[changed[c]] = (uintptr_t)arr[changed[c]];
		o->units[changed[c]] = units[changed[c]];
	}
	memcpy(arr, out, n * sizeof *arr);
	/* Unchanged neighbours were neighbours in the last sorted output
	 * (each unchanged object kept its place): only the pairs a changed
	 * object is part of are read. A strict cmp does not make them apart
	 * (object_cmp orders two files' duplicates). */
	for (size_t c = 0; c < nchanged; c++) {
		size_t p = o->pos[changed[c]];

		o->shadow[p] = dag_object_is_shadowed(arr, p);
		if (p + 1 < n)
			o->shadow[p + 1] = dag_object_is_shadowed(arr, p + 1);
		if (o->nkeys == n)
			gw_status_key_set(&o->keys[p], arr[p]);
		if (o->clean_valid)
			o->clean[p] = false;
	}
	*shadow = o->shadow;
	return true;
}

void
gw_memo_order_keep(struct gw_memo *m, enum obj_kind kind,
    struct object *const *in, const uint64_t *units,
    struct object *const *sorted, size_t n, struct arena *scratch,
    const bool **shadow)
{
	struct gw_memo_order *o = &m->order[kind];
	size_t cap = 16, *slot;

	o->n = 0;
	o->nkeys = 0;
	o->clean_valid = false;
	*shadow = NULL;
	if (n == 0)
		return;
	if (n > o->cap) {
		o->cap = n + n / 8;
		o->in = xreallocarray(o->in, o->cap, sizeof *o->in);
		o->units = xreallocarray(o->units, o->cap, sizeof *o->units);
		o->pos = xreallocarray(o->pos, o->cap, sizeof *o->pos);
		o->shadow = xreallocarray(o->shadow, o->cap, sizeof *o->shadow);
	}
	/* Where each input object went: its address to its input index
	 * (addresses are unique among a build's objects). */
	while (cap < 2 * n)
		cap *= 2;
	slot = ARENA_ARRAY(scratch, size_t, cap);
	memset(slot, 0xff, cap * sizeof *slot);
	for (size_t i = 0; i < n; i++) {
		size_t j = (size_t)hash_bytes(&in[i], sizeof in[i]) & (cap - 1);

		while (slot[j] != SIZE_MAX)
			j = (j + 1) & (cap - 1);
		slot[j] = i;
		o->in[i] = (uintptr_t)in[i];
	}
	memcpy(o->units, units, n * sizeof *units);
	for (size_t p = 0; p < n; p++) {
		size_t j = (size_t)hash_bytes(&sorted[p], sizeof sorted[p]) &
		    (cap - 1);

		while (slot[j] != SIZE_MAX && in[slot[j]] != sorted[p])
			j = (j + 1) & (cap - 1);
		if (slot[j] == SIZE_MAX)
			return; /* not a permutation of in: nothing kept */
		o->pos[slot[j]] = p;
	}
	for (size_t p = 0; p < n; p++)
		o->shadow[p] = dag_object_is_shadowed((struct object **)sorted, p);
	o->n = n;
	*shadow = o->shadow;
}

bool
gw_memo_order_statuses(struct gw_memo *m, enum obj_kind kind, size_t n,
    struct dag_object_status *out)
{
	struct gw_memo_order *o = &m->order[kind];

	if (o->n != n || o->nkeys != n)
		return false;
	for (size_t p = 0; p < n; p++) {
		const struct gw_status_key *k = &o->keys[p];

		out[p] = dag_status_initial(kind, k->namespace, k->name,
		    &k->origin);
	}
	return true;
}

void
gw_memo_order_statuses_keep(struct gw_memo *m, enum obj_kind kind,
    const struct dag_object_status *st, size_t n)
{
	struct gw_memo_order *o = &m->order[kind];

	o->nkeys = 0;
	if (n == 0 || o->n != n)
		return; /* no order kept for these: nothing names the places */
	if (n > o->keys_cap) {
		o->keys_cap = o->cap;
		o->keys = xreallocarray(o->keys, o->keys_cap, sizeof *o->keys);
	}
	for (size_t p = 0; p < n; p++) {
		o->keys[p].namespace = st[p].namespace;
		o->keys[p].name = st[p].name;
		o->keys[p].origin = st[p].origin;
	}
	o->nkeys = n;
}

bool *
gw_memo_order_clean(struct gw_memo *m, enum obj_kind kind, size_t n,
    uint64_t key)
{
	struct gw_memo_order *o = &m->order[kind];

	if (n == 0 || o->n != n)
		return NULL;
	if (n > o->clean_cap) {
		o->clean_cap = o->cap;
		o->clean = xreallocarray(o->clean, o->clean_cap,
		    sizeof *o->clean);
		o->clean_valid = false;
	}
	if (!o->clean_valid || o->clean_key != key) {
		memset(o->clean, 0, n * sizeof *o->clean);
		o->clean_key = key;
		o->clean_valid = true;
	}
	return o->clean;
}

/* Smaller groups (an HTTPProxy's: a few objects) read their objects:
 * they leave the large group's kinds in place. */
#define GW_KINDS_MIN 64

void
gw_memo_kinds(struct gw_memo *m, struct object *const *objs,
    const uint64_t *units, size_t n, unsigned char *kinds)
{
	struct gw_memo_kinds *k = &m->kinds;
	bool same = k->n == n;

	if (n < GW_KINDS_MIN) {
		for (size_t i = 0; i < n; i++)
			kinds[i] = (unsigned char)objs[i]->kind;
		return;
	}
	if (n > k->cap) {
		k->cap = n + n / 8;
		k->objs = xreallocarray(k->objs, k->cap, sizeof *k->objs);
		k->units = xreallocarray(k->units, k->cap, sizeof *k->units);
		k->kinds = xreallocarray(k->kinds, k->cap, sizeof *k->kinds);
	}
	for (size_t i = 0; i < n; i++) {
		if (same && k->objs[i] == (uintptr_t)objs[i] &&
		    k->units[i] == units[i]) {
			kinds[i] = k->kinds[i];
			continue;
		}
		kinds[i] = k->kinds[i] = (unsigned char)objs[i]->kind;
		k->objs[i] = (uintptr_t)objs[i];
		k->units[i] = units[i];
	}
	k->n = n;
}

size_t
gw_memo_take_order_compared(struct gw_memo *m)
{
	size_t n = m->order_compared;

	m->order_compared = 0;
	return n;
}

void
gw_memo_take_stats(struct gw_memo *m, size_t *resolved, size_t *kept)
{
	*resolved = m->resolved;
	*kept = m->kept;
	m->resolved = m->kept = 0;
}

static size_t
gw_memo_hash(uint64_t unit, const struct object *route)
{
	uint64_t v[2] = { unit, (uint64_t)(uintptr_t)route };

	return (size_t)hash_bytes(v, sizeof v);
}

static struct gw_memo_slot *
gw_memo_slot(struct gw_memo_slot *slots, size_t cap, uint64_t unit,
    const struct object *route)
{
	size_t j = gw_memo_hash(unit, route) & (cap - 1);

	while (slots[j].unit != 0 && (slots[j].unit != unit ||
	    slots[j].route != route))
		j = (j + 1) & (cap - 1);
	return &slots[j];
}

static void
gw_memo_rehash(struct gw_memo *m, size_t cap)
{
	struct gw_memo_slot *slots = xcalloc(cap, sizeof *slots);

	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].unit != 0)
			*gw_memo_slot(slots, cap, m->slots[i].unit,
			    m->slots[i].route) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

static const struct gw_memo_slot *
gw_memo_find(const struct gw_memo *m, uint64_t unit, const struct object *route)
{
	const struct gw_memo_slot *e;

	if (m->cap == 0)
		return NULL;
	e = gw_memo_slot(m->slots, m->cap, unit, route);
	return e->unit != 0 ? e : NULL;
}

/* Keeps kept (in holder, whose reference it takes) for route. */
static void
gw_memo_put(struct gw_memo *m, uint64_t unit, const struct object *route,
    uint64_t context, struct dag *holder, const struct gw_kept *kept)
{
	struct gw_memo_slot *e;

	if ((m->n + 1) * 2 > m->cap)
		gw_memo_rehash(m, m->cap ? m->cap * 2 : 1024);
	e = gw_memo_slot(m->slots, m->cap, unit, route);
	if (e->unit != 0)
		dag_free(e->holder);
	else
		m->n++;
	*e = (struct gw_memo_slot){ unit, route, context, holder, kept,
		m->contexts.gen };
}

void
gw_memo_sweep(struct gw_memo *m, bool (*live)(void *ctx, uint64_t unit),
    void *ctx)
{
	size_t n = 0;

	if (m->n <= m->live + m->live / 4 + 64)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		struct gw_memo_slot *e = &m->slots[i];

		if (e->unit == 0)
			continue;
		if (!live(ctx, e->unit)) {
			dag_free(e->holder);
			e->unit = 0;
			continue;
		}
		n++;
	}
	m->n = n;
	gw_memo_rehash(m, m->cap); /* the holes break probe chains */
	m->live = n;
}

static uint64_t
gw_mix(uint64_t h, uint64_t a, uint64_t b)
{
	uint64_t v[3] = { h, a, b };

	return hash_bytes(v, sizeof v);
}

static uint64_t
gw_ns_key(const char *ns)
{
	uint64_t k = hash_bytes(ns, strlen(ns));

	return k ? k : 1;
}

/* The slot of namespace key k in s->ns_key (open addressing). */
static size_t
gw_ns_slot(const struct gw_state *s, uint64_t k)
{
	size_t j = (size_t)k & (s->ns_cap - 1);

	while (s->ns_key[j] != 0 && s->ns_key[j] != k)
		j = (j + 1) & (s->ns_cap - 1);
	return j;
}

/* The kinds whose objects make a namespace's context, in the order the
 * contexts walk them. */
static const enum obj_kind gw_ns_kinds[4] = { OBJ_SERVICE, OBJ_ENDPOINTS,
	OBJ_ENDPOINTSLICE, OBJ_REFERENCEGRANT };

static bool
gw_ns_kind(unsigned kind)
{
	for (size_t k = 0; k < 4; k++)
		if (kind == gw_ns_kinds[k])
			return true;
	return false;
}

/* An object's term in its namespace's context. */
static uint64_t
gw_ns_term(uint64_t unit, enum obj_kind kind)
{
	return gw_mix(0x6e73, unit, (uint64_t)kind);
}

/* The namespaces' tables grown to cap slots (a power of two). */
static void
gw_ns_grow(struct gw_memo_contexts *c, size_t cap)
{
	uint64_t *keys = xcalloc(cap, sizeof *keys);
	uint64_t *ctxs = xcalloc(cap, sizeof *ctxs);

	for (size_t i = 0; i < c->ns_cap; i++) {
		size_t j;

		if (c->ns_key[i] == 0)
			continue;
		j = (size_t)c->ns_key[i] & (cap - 1);
		while (keys[j] != 0)
			j = (j + 1) & (cap - 1);
		keys[j] = c->ns_key[i];
		ctxs[j] = c->ns_ctx[i];
	}
	free(c->ns_key);
	free(c->ns_ctx);
	c->ns_key = keys;
	c->ns_ctx = ctxs;
	c->ns_cap = cap;
}

/* Adds term to the namespace of key k (a new slot when absent; the
 * tables at most half full). */
static void
gw_ns_add(struct gw_memo_contexts *c, uint64_t k, uint64_t term, bool sub)
{
	size_t j;

	if (2 * (c->ns_used + 1) > c->ns_cap)
		gw_ns_grow(c, 2 * c->ns_cap);
	j = (size_t)k & (c->ns_cap - 1);

	while (c->ns_key[j] != 0 && c->ns_key[j] != k)
		j = (j + 1) & (c->ns_cap - 1);
	if (c->ns_key[j] == 0) {
		c->ns_key[j] = k;
		c->ns_used++;
	}
	if (sub)
		c->ns_ctx[j] -= term;
	else
		c->ns_ctx[j] += term;
}

/* The contexts made again from every object of those kinds. */
static void
gw_contexts_whole(struct gw_memo_contexts *c, const struct builder *b)
{
	free(c->ns_key);
	free(c->ns_ctx);
	/* Grown as namespaces come (a file's objects mostly share one). */
	c->ns_cap = 64;
	c->ns_key = xcalloc(c->ns_cap, sizeof *c->ns_key);
	c->ns_ctx = xcalloc(c->ns_cap, sizeof *c->ns_ctx);
	c->ns_used = 0;
	for (size_t k = 0; k < 4; k++) {
		enum obj_kind kind = gw_ns_kinds[k];
		struct gw_memo_ns_kind *mk = &c->kinds[k];
		struct object *const *objs = b->kind_objs[kind];
		const uint64_t *units = b->kind_units[kind];
		const char *ns = NULL;
		uint64_t key = 0;

		mk->n = b->nkind_objs[kind];
		if (mk->cap < mk->n) {
			mk->cap = mk->n;
			mk->objs = xreallocarray(mk->objs, mk->cap, sizeof *mk->objs);
			mk->units = xreallocarray(mk->units, mk->cap,
			    sizeof *mk->units);
			mk->keys = xreallocarray(mk->keys, mk->cap, sizeof *mk->keys);
		}
		for (size_t i = 0; i < mk->n; i++) {
			/* A file's objects mostly share their namespace. */
			if (ns == NULL || strcmp(ns, objs[i]->meta.namespace) != 0) {
				ns = objs[i]->meta.namespace;
				key = gw_ns_key(ns);
			}
			mk->objs[i] = (uintptr_t)objs[i];
			mk->units[i] = units[i];
			mk->keys[i] = key;
			gw_ns_add(c, key, gw_ns_term(units[i], kind), false);
		}
	}
	c->valid = true;
}

/* At most this many objects of a kind changed are patched in. */
#define GW_CONTEXTS_PATCH_MAX 64

/* The contexts patched from the last build's: each kind's objects in
 * the same number, those at a place whose object or version changed
 * moved from the old one's namespace to the new one's. False (nothing
 * changed) when the kinds' counts differ or too many changed. */
static bool
gw_contexts_patch(struct gw_memo_contexts *c, const struct builder *b)
{
	size_t changed = 0;

	if (!c->valid)
		return false;
	for (size_t k = 0; k < 4; k++) {
		const struct gw_memo_ns_kind *mk = &c->kinds[k];
		enum obj_kind kind = gw_ns_kinds[k];
		struct object *const *objs = b->kind_objs[kind];
		const uint64_t *units = b->kind_units[kind];

		if (mk->n != b->nkind_objs[kind])
			return false;
		for (size_t i = 0; i < mk->n; i++)
			if (mk->objs[i] != (uintptr_t)objs[i] ||
			    mk->units[i] != units[i]) {
				if (++changed > GW_CONTEXTS_PATCH_MAX)
					return false;
			}
	}
	for (size_t k = 0; changed > 0 && k < 4; k++) {
		struct gw_memo_ns_kind *mk = &c->kinds[k];
		enum obj_kind kind = gw_ns_kinds[k];
		struct object *const *objs = b->kind_objs[kind];
		const uint64_t *units = b->kind_units[kind];

		for (size_t i = 0; i < mk->n; i++) {
			uint64_t key;

			if (mk->objs[i] == (uintptr_t)objs[i] &&
			    mk->units[i] == units[i])
				continue;
			gw_ns_add(c, mk->keys[i], gw_ns_term(mk->units[i], kind),
			    true);
			key = gw_ns_key(objs[i]->meta.namespace);
			gw_ns_add(c, key, gw_ns_term(units[i], kind), false);
			ARRAY_PUSH(c->changed, c->nchanged, c->changed_cap,
			    mk->keys[i]);
			ARRAY_PUSH(c->changed, c->nchanged, c->changed_cap, key);
			mk->objs[i] = (uintptr_t)objs[i];
			mk->units[i] = units[i];
			mk->keys[i] = key;
		}
	}
	return true;
}

/* What routes read beside their own file, as versions of files: the
 * Services, Endpoints, EndpointSlices and ReferenceGrants of each
 * namespace (a route reads those of its own and its backends'
 * namespaces: a sum of their terms per namespace, kept in the memo and
 * patched by the objects changed since its last build), and every other
 * object of the group but routes (the Gateways, their classes,
 * Namespaces' labels...): s->context. The tables are the memo's. */
void
gw_contexts(struct gw_state *s)
{
	struct builder *b = s->b;
	struct gw_memo_contexts *c = &b->gw_memo->contexts;
	bool patched;

	c->gen++;
	c->nchanged = 0;
	patched = gw_contexts_patch(c, b);
	if (patched)
		c->patched++;
	else
		gw_contexts_whole(c, b);
	s->ns_key = c->ns_key;
	s->ns_ctx = c->ns_ctx;
	s->ns_cap = c->ns_cap;
	s->context = b->gw_context;
	for (size_t k = 0; k < OBJ_KIND_COUNT; k++) {
		if (k == OBJ_HTTPROUTE || k == OBJ_GRPCROUTE ||
		    k == OBJ_TLSROUTE || k == OBJ_TCPROUTE || gw_ns_kind(k))
			continue;
		for (size_t i = 0; i < b->nkind_objs[k]; i++)
			s->context = gw_mix(s->context, b->kind_units[k][i],
			    (uint64_t)k);
	}
	c->steady = patched && c->group == s->context;
	c->group = s->context;
}

/* Whether key is one of the namespaces c says changed. */
static bool
gw_ns_changed(const struct gw_memo_contexts *c, uint64_t key)
{
	for (size_t x = 0; x < c->nchanged; x++)
		if (c->changed[x] == key)
			return true;
	return false;
}

/* Whether k's context may have moved: one of its namespaces changed, or
 * it kept no keys (such a route is read again). */
static bool
gw_kept_context_moved(const struct gw_memo_contexts *c,
    const struct gw_kept *k)
{
	if (k->nns_keys == 0)
		return true;
	for (size_t i = 0; i < k->nns_keys; i++)
		if (gw_ns_changed(c, k->ns_keys[i]))
			return true;
	return false;
}

/* Whether e's context is still the one found equal in the last build:
 * none of its namespaces' contexts moved since (gw_memo_contexts). */
static bool
gw_context_steady(const struct gw_memo_contexts *c,
    const struct gw_memo_slot *e)
{
	if (!c->steady || e->ok_gen + 1 != c->gen)
		return false;
	return !gw_kept_context_moved(c, e->kept);
}

size_t
gw_memo_take_contexts_reused(struct gw_memo *m)
{
	size_t n = m->contexts.patched;

	m->contexts.patched = 0;
	return n;
}

/* h mixed with the context of the namespace of key k; when keys is not
 * NULL, k is also recorded there (*nkeys of cap). */
static uint64_t
gw_ns_key_context(const struct gw_state *s, uint64_t h, uint64_t k,
    uint64_t *keys, size_t *nkeys, size_t cap)
{
	if (keys != NULL && *nkeys < cap)
		keys[*nkeys] = k;
	if (keys != NULL)
		(*nkeys)++;
	return gw_mix(h, k, s->ns_ctx[gw_ns_slot(s, k)]);
}

/* The context of HTTPRoute o: s->context and its namespaces'. keys (cap
 * of them, may be NULL): the namespaces' keys in the order mixed, for
 * gw_keys_context; *nkeys their number (more than cap: not all kept). */
static uint64_t
gw_route_context(const struct gw_state *s, const struct object *o,
    uint64_t *keys, size_t *nkeys, size_t cap)
{
	const struct httproute *hr = &o->u.httproute;
	uint64_t h;

	*nkeys = 0;
	h = gw_ns_key_context(s, s->context, gw_ns_key(o->meta.namespace), keys,
	    nkeys, cap);
	for (size_t r = 0; r < hr->nrules; r++) {
		const struct gw_http_rule *rule = &hr->rules[r];

		for (size_t k = 0; k < rule->nbackend_refs; k++)
			if (rule->backend_refs[k].namespace != NULL)
				h = gw_ns_key_context(s, h, gw_ns_key(
				    rule->backend_refs[k].namespace), keys, nkeys,
				    cap);
		for (size_t f = 0; f < rule->nfilters; f++)
			if (rule->filters[f].request_mirror != NULL &&
			    rule->filters[f].request_mirror->backend_ref->
			    namespace != NULL)
				h = gw_ns_key_context(s, h, gw_ns_key(rule->
				    filters[f].request_mirror->backend_ref->
				    namespace), keys, nkeys, cap);
	}
	return h;
}

/* The same from the keys a kept resolution recorded (its route is the
 * same object: the same namespaces), without reading the route. */
static uint64_t
gw_keys_context(const struct gw_state *s, const uint64_t *keys, size_t n)
{
	uint64_t h = s->context;

	for (size_t i = 0; i < n; i++)
		h = gw_mix(h, keys[i], s->ns_ctx[gw_ns_slot(s, keys[i])]);
	return h;
}

/* The slot of address p in keys (cap a power of two; 0: empty). */
static size_t
gw_ptr_slot(const uintptr_t *keys, size_t cap, uintptr_t p)
{
	size_t j = (size_t)(((uint64_t)p * 0x9e3779b97f4a7c15ULL) >> 20) &
	    (cap - 1);

	while (keys[j] != 0 && keys[j] != p)
		j = (j + 1) & (cap - 1);
	return j;
}

/* out[p]: the file version of the object at sorted place p of the
 * kind's order kept for this build's n objects; false: none kept. */
static bool
gw_memo_order_units(const struct gw_memo *m, enum obj_kind kind, size_t n,
    uint64_t *out)
{
	const struct gw_memo_order *o = &m->order[kind];

	if (n == 0 || o->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		out[o->pos[i]] = o->units[i];
	return true;
}

/* The unit of each HTTPRoute of s (parallel to s->httproutes), from the
 * build's HTTPRoutes and their units (b->kind_units): through the kept
 * order that sorted them (s->httproutes begins with the sorted
 * HTTPRoutes; GRPCRoutes made into HTTPRoutes after them have none), else
 * by address, reading the routes' kinds. */
void
gw_route_units(struct gw_state *s)
{
	struct builder *b = s->b;
	struct object *const *objs = b->kind_objs[OBJ_HTTPROUTE];
	const uint64_t *units = b->kind_units[OBJ_HTTPROUTE];
	size_t n = b->nkind_objs[OBJ_HTTPROUTE], cap = 64;
	uintptr_t *keys;
	uint64_t *vals;

	s->route_units = ARENA_ARRAY(b->arena, uint64_t, s->nhttproutes + 1);
	if (n == 0 || units == NULL) {
		for (size_t ri = 0; ri < s->nhttproutes; ri++)
			s->route_units[ri] = 0;
		return;
	}
	if (gw_memo_order_units(b->gw_memo, OBJ_HTTPROUTE, n,
	    s->route_units)) {
		for (size_t ri = n; ri < s->nhttproutes; ri++)
			s->route_units[ri] = 0;
		return;
	}
	while (cap < 2 * n)
		cap *= 2;
	keys = xcalloc(cap, sizeof *keys);
	vals = xreallocarray(NULL, cap, sizeof *vals);
	for (size_t i = 0; i < n; i++) {
		size_t j = gw_ptr_slot(keys, cap, (uintptr_t)objs[i]);

		keys[j] = (uintptr_t)objs[i];
		vals[j] = units[i];
	}
	for (size_t ri = 0; ri < s->nhttproutes; ri++) {
		uintptr_t key = (uintptr_t)s->httproutes[ri];
		size_t j;

		s->route_units[ri] = 0;
		if (s->httproutes[ri]->kind != OBJ_HTTPROUTE)
			continue;
		j = gw_ptr_slot(keys, cap, key);
		if (keys[j] == key)
			s->route_units[ri] = vals[j];
	}
	free(keys);
	free(vals);
}

/* A kept resolution of route ri into this build: its status, entries,
 * listener counts, clusters and endpoints (one per name: an equal one
 * made by an earlier route stays). */
static void
gw_kept_use(struct gw_state *s, size_t ri, struct dag *holder,
    const struct gw_kept *k)
{
	struct builder *b = s->b;

	if (s->route_kept != NULL) {
		s->route_kept[ri] = k;
		s->route_holder[ri] = holder;
	}
	b->dag->statuses[s->httproute_status[ri]] = k->status;
	s->attached[ri] = k->attached;
	for (size_t i = 0; i < k->nruns; i++) {
		struct gw_run run = k->runs[i];

		run.route_index = ri;
		ARRAY_PUSH(s->runs, s->nruns, s->runs_cap, run);
	}
	for (size_t i = 0; i < k->nattach; i++)
		gw_status(b, s->gateway_status[k->attach[i].gi])->
		    listeners[k->attach[i].li].attached_routes++;
	/* A patch counts its routes' clusters and endpoints by name
	 * (gw_patch_finish). */
	if (s->patch)
		goto hold;
	if (b->cluster_index.cap == 0)
		dag_strmap_reserve(b->arena, &b->cluster_index, b->nservices + 4);
	for (size_t i = 0; i < k->nclusters; i++)
		if (dag_strmap_get_or_put(b->arena, &b->cluster_index,
		    k->clusters[i]->name, k->cluster_hashes[i],
		    k->clusters[i]) == NULL)
			ARENA_PUSH(b->arena, b->dag->clusters, b->dag->nclusters,
			    b->clusters_cap, k->clusters[i]);
	if (b->endpoints_index.cap == 0)
		dag_strmap_reserve(b->arena, &b->endpoints_index, b->nservices + 4);
	for (size_t i = 0; i < k->nendpoints; i++)
		if (dag_strmap_get_or_put(b->arena, &b->endpoints_index,
		    k->endpoints[i]->name, k->endpoint_hashes[i],
		    k->endpoints[i]) == NULL)
			ARENA_PUSH(b->arena, b->dag->endpoints, b->dag->nendpoints,
			    b->endpoints_cap, k->endpoints[i]);
	/* A whole build that records the next base counts the names while
	 * the resolution is at hand. */
	if (s->record)
		for (int w = 0; w < 2; w++) {
			const char *const *const *objs;
			const uint64_t *h;
			size_t n = gw_kept_names(k, w, &objs, &h);

			for (size_t i = 0; i < n; i++)
				gw_names_add(&b->gw_memo->last.names[w], h[i],
				    objs[i]);
		}
hold:
	ARENA_PUSH(b->arena, b->dag->holds, b->dag->nholds, s->holds_cap,
	    dag_ref(holder));
}

static bool
gw_status_untouched(const struct dag_object_status *st)
{
	return st->nconditions == 0 && st->gw == NULL &&
	    st->status == DAG_STATUS_VALID;
}

/* The entries route ri resolved to (s->entries from e0) as sorted refs
 * and runs in the holder's arena (b->arena), each run's routes in one
 * array a virtual host can take as it is. */
static void
gw_kept_runs(struct gw_state *s, struct gw_kept *k, size_t e0)
{
	struct builder *b = s->b;
	struct gw_run *runs = NULL;
	size_t nruns = 0, cap = 0;

	k->nrefs = s->nentries - e0;
	k->refs = ARENA_ARRAY(b->arena, struct gw_ref, k->nrefs + 1);
	for (size_t i = 0; i < k->nrefs; i++)
		k->refs[i] = gw_ref_of(&s->entries[e0 + i]);
	if (k->nrefs > 1)
		qsort(k->refs, k->nrefs, sizeof k->refs[0], gw_entry_cmp);
	gw_runs_split(k->refs, k->nrefs, &runs, &nruns, &cap);
	k->runs = ARENA_ARRAY(b->arena, struct gw_run, nruns + 1);
	k->nruns = nruns;
	for (size_t i = 0; i < nruns; i++) {
		struct dag_route *routes = ARENA_ARRAY(b->arena, struct dag_route,
		    runs[i].n);
		struct gw_ref *refs = k->refs + (runs[i].refs - k->refs);

		for (size_t j = 0; j < runs[i].n; j++) {
			routes[j] = *refs[j].r;
			routes[j].order = j;
			refs[j].r = &routes[j];
		}
		k->runs[i] = runs[i];
		k->runs[i].routes = routes;
	}
	free(runs);
}

/* The namespaces of a route's context kept with its resolution, at most
 * (more: the route is read to make its context). */
#define GW_NS_KEYS 8

/* HTTPRoute ri, from the memo when its file and the context are the same
 * as when it was kept, else resolved into a holder of its own and kept. */
void
gw_route_memo(struct gw_state *s, size_t ri, size_t ngi)
{
	struct builder *b = s->b;
	struct gw_memo *m = b->gw_memo;
	const struct object *route = s->httproutes[ri];
	uint64_t unit = s->route_units[ri];
	struct dag_object_status *st = &b->dag->statuses[s->httproute_status[ri]];
	const struct gw_memo_slot *e;
	struct dag *holder;
	struct gw_kept *k;
	struct arena *arena = b->arena;
	struct dag_cluster **clusters = b->dag->clusters;
	struct dag_endpoints **endpoints = b->dag->endpoints;
	size_t ncl = b->dag->nclusters, ccap = b->clusters_cap;
	size_t nen = b->dag->nendpoints, ecap = b->endpoints_cap;
	struct strmap cix = b->cluster_index, eix = b->endpoints_index;
	size_t e0 = s->nentries, nns_keys;
	uint64_t context, ns_keys[GW_NS_KEYS];

	if (unit == 0 || !gw_status_untouched(st)) {
		s->record_broken = true; /* its clusters are the build's */
		gw_route_resolve(s, ri, ngi);
		return;
	}
	e = gw_memo_find(m, unit, route);
	if (e != NULL && (gw_context_steady(&m->contexts, e) ||
	    (e->kept->nns_keys > 0 && gw_keys_context(s, e->kept->ns_keys,
	    e->kept->nns_keys) == e->context))) {
		((struct gw_memo_slot *)e)->ok_gen = m->contexts.gen;
		gw_kept_use(s, ri, e->holder, e->kept);
		m->kept++;
		return;
	}
	context = gw_route_context(s, route, ns_keys, &nns_keys, GW_NS_KEYS);
	if (e != NULL && e->context == context) {
		((struct gw_memo_slot *)e)->ok_gen = m->contexts.gen;
		gw_kept_use(s, ri, e->holder, e->kept);
		m->kept++;
		return;
	}
	/* Resolved with the builder's arena, cluster and endpoint lists
	 * those of the holder: what it makes is the route's alone. */
	holder = xcalloc(1, sizeof *holder);
	/* About 1 KiB per rule (its routes twice: resolved, then as a host
	 * takes them), sized once: a second block would be half empty. */
	arena_init_sized(&holder->arena, 1024 + 1024 *
	    route->u.httproute.nrules);
	b->arena = &holder->arena;
	b->dag->clusters = NULL;
	b->dag->endpoints = NULL;
	b->dag->nclusters = b->dag->nendpoints = 0;
	b->clusters_cap = b->endpoints_cap = 0;
	memset(&b->cluster_index, 0, sizeof b->cluster_index);
	memset(&b->endpoints_index, 0, sizeof b->endpoints_index);
	dag_strmap_reserve(b->arena, &b->cluster_index, 4);
	dag_strmap_reserve(b->arena, &b->endpoints_index, 4);
	s->nattach = 0;
	s->attach_rec = true;
	gw_route_resolve(s, ri, ngi);
	s->attach_rec = false;
	k = ARENA_NEW(b->arena, struct gw_kept);
	k->clusters = b->dag->clusters;
	k->nclusters = b->dag->nclusters;
	k->endpoints = b->dag->endpoints;
	k->nendpoints = b->dag->nendpoints;
	k->cluster_hashes = ARENA_ARRAY(b->arena, uint64_t, k->nclusters + 1);
	k->endpoint_hashes = ARENA_ARRAY(b->arena, uint64_t, k->nendpoints + 1);
	/* Only Gateway routes made them (this group has no other). */
	for (size_t i = 0; i < k->nclusters; i++) {
		k->clusters[i]->gateway_only = true;
		k->cluster_hashes[i] = dag_strmap_hash(k->clusters[i]->name);
	}
	for (size_t i = 0; i < k->nendpoints; i++) {
		k->endpoints[i]->gateway_only = true;
		k->endpoint_hashes[i] = dag_strmap_hash(k->endpoints[i]->name);
	}
	gw_kept_runs(s, k, e0);
	if (nns_keys <= GW_NS_KEYS) {
		k->ns_keys = ARENA_ARRAY(b->arena, uint64_t, nns_keys + 1);
		memcpy(k->ns_keys, ns_keys, nns_keys * sizeof ns_keys[0]);
		k->nns_keys = nns_keys;
	}
	k->nattach = s->nattach;
	k->attach = ARENA_ARRAY(b->arena, struct gw_attach, k->nattach + 1);
	if (k->nattach > 0)
		memcpy(k->attach, s->attach, k->nattach * sizeof k->attach[0]);
	k->status = *st;
	k->status.cap = k->status.nconditions; /* an append copies */
	k->attached = s->attached[ri];
	b->arena = arena;
	b->dag->clusters = clusters;
	b->dag->endpoints = endpoints;
	b->dag->nclusters = ncl;
	b->dag->nendpoints = nen;
	b->clusters_cap = ccap;
	b->endpoints_cap = ecap;
	b->cluster_index = cix;
	b->endpoints_index = eix;
	/* The listeners were counted while resolving: counted again below,
	 * as for a kept route. */
	for (size_t i = 0; i < k->nattach; i++)
		gw_status(b, s->gateway_status[k->attach[i].gi])->
		    listeners[k->attach[i].li].attached_routes--;
	s->nentries = e0;
	gw_memo_put(m, unit, route, context, holder, k);
	gw_kept_use(s, ri, holder, k);
	m->resolved++;
}

/* --- The group's routes patched from its last build --------------------------
 *
 * A kept route is handed to the build by gw_kept_use: its runs, its
 * listeners' counts, its clusters and endpoints by name into a fresh index
 * and a holder reference, each read from its resolution (a cache miss per
 * route), then the runs sorted again: O(routes) per build when one route
 * changed. When the last build of the group took every route from the
 * memo, the next one takes its routes in order with what they added up
 * to (gw_memo_last) and hands only the routes that differ to
 * gw_route_memo: the last build's sorted runs without the routes that
 * left (their indexes moved to the new ones, which keeps their order),
 * each listener's count of kept routes less those that left, and the
 * clusters and endpoints by name with the number of routes that make
 * each (a name leaves when no route makes it; a name whose route left is
 * held by another route's equal one). What a kept route still costs is
 * its status, its holder reference and a few compares. Anything else
 * (another group built in between, Gateways or other objects changed, a
 * kept route's namespace changed, more than GW_PATCH_MAX routes) runs
 * the whole loop. */

#define GW_PATCH_MAX 64
#define GW_BUNDLE 256
#define GW_NO_BUNDLE UINT32_MAX

static void
gw_names_free(struct gw_names *nm)
{
	free(nm->t);
	free(nm->sorted);
	memset(nm, 0, sizeof *nm);
}

static void
gw_last_free(struct gw_memo_last *l)
{
	free(l->gateways);
	free(l->routes);
	free(l->units);
	free(l->ns0);
	free(l->kept);
	free(l->holders);
	free(l->ns_only);
	free(l->runs);
	free(l->run_same);
	free(l->attach);
	free(l->status);
	free(l->attached);
	for (size_t b = 0; b < l->nbundles; b++)
		dag_free(l->bundles[b]);
	free(l->bundles);
	free(l->bundle_of);
	gw_names_free(&l->names[0]);
	gw_names_free(&l->names[1]);
	memset(l, 0, sizeof *l);
}

static size_t
gw_names_slot(const struct gw_names *nm, uint64_t h, const char *name)
{
	size_t mask = nm->cap - 1, j = (size_t)h & mask;

	while (nm->t[j].rep != NULL && (nm->t[j].hash != h ||
	    strcmp(*nm->t[j].rep, name) != 0))
		j = (j + 1) & mask;
	return j;
}

static void
gw_names_grow(struct gw_names *nm, size_t want)
{
	struct gw_name_count *old = nm->t;
	size_t oldcap = nm->cap, cap = nm->cap ? nm->cap : 64;

	while (cap < 2 * want)
		cap *= 2;
	if (cap == oldcap)
		return;
	nm->t = xcalloc(cap, sizeof *nm->t);
	nm->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].rep != NULL) {
			size_t j = (size_t)old[i].hash & (cap - 1);

			while (nm->t[j].rep != NULL)
				j = (j + 1) & (cap - 1);
			nm->t[j] = old[i];
		}
	free(old);
}

/* One more route makes obj's name; true when the name is new. */
static bool
gw_names_add(struct gw_names *nm, uint64_t h, const char *const *obj)
{
	size_t j;

	gw_names_grow(nm, nm->n + 1);
	j = gw_names_slot(nm, h, *obj);
	if (nm->t[j].rep != NULL) {
		nm->t[j].count++;
		if (nm->t[j].need) {
			nm->t[j].rep = obj;
			nm->t[j].need = false;
		}
		return false;
	}
	nm->t[j] = (struct gw_name_count){ h, obj, 1, false };
	nm->n++;
	return true;
}

/* Linear probing's delete: the entries after j that probed past it move
 * back. */
static void
gw_names_delete(struct gw_names *nm, size_t i)
{
	size_t mask = nm->cap - 1, j = i;

	nm->t[i].rep = NULL;
	nm->n--;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (nm->t[j].rep == NULL)
			return;
		k = (size_t)nm->t[j].hash & mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		nm->t[i] = nm->t[j];
		nm->t[j].rep = NULL;
		i = j;
	}
}

/* The place of name in nm->sorted (the first not below it). */
static size_t
gw_names_lower(const struct gw_names *nm, const char *name)
{
	size_t lo = 0, hi = nm->nsorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(*nm->sorted[mid], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One route less makes obj's name: the name leaves at 0 (gone[] marks
 * its sorted place), else a route still making it holds it when obj
 * was the one held (need, settled by gw_patch_finish). */
static void
gw_names_remove(struct gw_names *nm, uint64_t h, const char *const *obj,
    bool *gone)
{
	size_t j = gw_names_slot(nm, h, *obj);
	struct gw_name_count *e = &nm->t[j];

	if (e->rep == NULL)
		return; /* not counted: cannot be (the names are every route's) */
	if (--e->count == 0) {
		size_t at = gw_names_lower(nm, *obj);

		if (at < nm->nsorted && nm->sorted[at] == e->rep)
			gone[at] = true;
		gw_names_delete(nm, j);
		return;
	}
	if (e->rep == obj)
		e->need = true;
}

static int
gw_name_cmp(const void *a, const void *b)
{
	return strcmp(**(const char *const *const *)a,
	    **(const char *const *const *)b);
}

/* nm->sorted without the places gone marks, with ins (new names) in
 * name order: each new name's place found by a binary search, the rest
 * copied in blocks (no name of a kept one read). */
static void
gw_names_merge(struct gw_names *nm, const bool *gone,
    const char *const **ins, size_t nins)
{
	const char *const **out;
	size_t n = 0, from = 0;

	if (nins > 1)
		qsort(ins, nins, sizeof ins[0], gw_name_cmp);
	out = xreallocarray(NULL, nm->nsorted + nins + 1, sizeof *out);
	for (size_t k = 0; k <= nins; k++) {
		size_t to = k < nins ? gw_names_lower(nm, *ins[k]) : nm->nsorted;

		for (size_t i = from; i < to; i++)
			if (!gone[i])
				out[n++] = nm->sorted[i];
		if (k < nins)
			out[n++] = ins[k];
		from = to;
	}
	free(nm->sorted);
	nm->sorted = out;
	nm->nsorted = n;
}

/* The listeners' slots of Gateway gi in last->attach. */
static size_t
gw_attach_at(const struct gw_state *s, size_t gi)
{
	size_t at = 0;

	for (size_t g = 0; g < gi; g++)
		at += s->gateways[g]->u.gateway.nlisteners;
	return at;
}

static void
gw_attach_move(const struct gw_state *s, struct gw_memo_last *l,
    const struct gw_kept *k, int by)
{
	for (size_t i = 0; i < k->nattach; i++)
		l->attach[gw_attach_at(s, k->attach[i].gi) + k->attach[i].li] +=
		    (uint32_t)by;
}

/* gateway.c's order of HTTPRoutes: namespace, then name. */
static int
gw_object_cmp_names(const struct object *x, const struct object *y)
{
	int c = strcmp(x->meta.namespace, y->meta.namespace);

	return c != 0 ? c : strcmp(x->meta.name, y->meta.name);
}

/* Whether kept route j of the last build is the same now as far as its
 * context goes: none of its namespaces moved (gw_context_steady). */
static bool
gw_last_steady(const struct gw_memo_contexts *c,
    const struct gw_memo_last *l, size_t j)
{
	if (c->nchanged == 0)
		return true;
	if (l->ns_only[j])
		return !gw_ns_changed(c, l->ns0[j]);
	return !gw_kept_context_moved(c, l->kept[j]);
}

bool
gw_patch_begin(struct gw_state *s)
{
	struct builder *b = s->b;
	struct gw_memo *m = b->gw_memo;
	struct gw_memo_last *l = &m->last;
	const struct gw_memo_contexts *c = &m->contexts;
	size_t n = s->nhttproutes, i = 0, j = 0, ngone = 0, nkept = 0;
	size_t *map, *gone;

	s->route_kept = ARENA_ARRAY(&b->tables, const struct gw_kept *, n + 1);
	s->route_holder = ARENA_ARRAY(&b->tables, struct dag *, n + 1);
	for (size_t ri = 0; ri < n; ri++) {
		s->route_kept[ri] = NULL;
		s->route_holder[ri] = NULL;
	}
	if (!s->record || !l->valid || l->gen + 1 != c->gen || !c->steady ||
	    l->ngateways != s->ngateways || (s->ngateways > 0 &&
	    memcmp(l->gateways, s->gateways, s->ngateways *
	    sizeof s->gateways[0]) != 0))
		return false;
	/* Old route j -> new index (SIZE_MAX: left); the routes that left,
	 * and the new ones to hand to gw_route_memo. */
	map = ARENA_ARRAY(&b->tables, size_t, l->n + 1);
	gone = ARENA_ARRAY(&b->tables, size_t, GW_PATCH_MAX + 1);
	s->todo = ARENA_ARRAY(&b->tables, size_t, GW_PATCH_MAX + 1);
	s->ntodo = 0;
	while (i < n || j < l->n) {
		int cmp;

		if (i < n && j < l->n && s->httproutes[i] == l->routes[j] &&
		    s->route_units[i] == l->units[j]) {
			bool shadowed = dag_kind_shadowed(b, OBJ_HTTPROUTE,
			    s->httproutes, i);

			if (l->kept[j] != NULL && !shadowed &&
			    gw_status_untouched(&b->dag->statuses[
			    s->httproute_status[i]]) && gw_last_steady(c, l, j)) {
				map[j++] = i++;
				nkept++;
				continue;
			}
			cmp = 0;
		} else if (i == n)
			cmp = 1;
		else if (j == l->n)
			cmp = -1;
		else
			cmp = gw_object_cmp_names(s->httproutes[i], l->routes[j]);
		if (s->ntodo + ngone + 2 > GW_PATCH_MAX)
			return false;
		if (cmp >= 0) {
			map[j] = SIZE_MAX;
			gone[ngone++] = j++;
		}
		if (cmp <= 0) {
			/* Through gw_route_memo: it must take the memo. */
			if (s->httproutes[i]->kind != OBJ_HTTPROUTE ||
			    (s->route_units[i] == 0 && !dag_kind_shadowed(b,
			    OBJ_HTTPROUTE, s->httproutes, i)))
				return false;
			s->todo[s->ntodo++] = i++;
		}
	}
	for (size_t t = 0; t < s->ntodo; t++)
		if (!dag_kind_shadowed(b, OBJ_HTTPROUTE, s->httproutes,
		    s->todo[t]) && !gw_status_untouched(&b->dag->statuses[
		    s->httproute_status[s->todo[t]]]))
			return false;
	s->patch = true;
	m->patched++;
	m->kept += nkept;
	/* What the routes that left added up to. */
	for (size_t g = 0; g < ngone; g++) {
		const struct gw_kept *k = l->kept[gone[g]];

		if (k != NULL)
			gw_attach_move(s, l, k, -1);
	}
	/* The kept routes' runs in their order, with their new indexes. */
	s->run_from = ARENA_ARRAY(&b->tables, size_t, l->nruns + 1);
	for (size_t r = 0; r < l->nruns; r++) {
		struct gw_run run = l->runs[r];

		if (map[run.route_index] == SIZE_MAX)
			continue;
		run.route_index = map[run.route_index];
		s->run_from[s->nruns] = r;
		ARRAY_PUSH(s->runs, s->nruns, s->runs_cap, run);
	}
	l->nruns_kept = s->nruns;
	/* The bundles none of whose routes left are held as they are; the
	 * kept routes of the others are held alone. */
	s->bundle_kept = ARENA_ARRAY(&b->tables, bool, l->nbundles + 1);
	s->bundle_of = ARENA_ARRAY(&b->tables, uint32_t, n + 1);
	for (size_t x = 0; x < l->nbundles; x++)
		s->bundle_kept[x] = true;
	for (size_t g = 0; g < ngone; g++)
		if (l->bundle_of[gone[g]] != GW_NO_BUNDLE)
			s->bundle_kept[l->bundle_of[gone[g]]] = false;
	for (size_t x = 0; x < l->nbundles; x++)
		if (s->bundle_kept[x])
			ARENA_PUSH(b->arena, b->dag->holds, b->dag->nholds,
			    s->holds_cap, dag_ref(l->bundles[x]));
	for (size_t ri = 0; ri < n; ri++)
		s->bundle_of[ri] = GW_NO_BUNDLE;
	for (size_t jj = 0; jj < l->n; jj++) {
		const struct gw_kept *k = l->kept[jj];
		size_t ri = map[jj];
		uint32_t bo = l->bundle_of[jj];

		if (ri == SIZE_MAX)
			continue;
		s->route_kept[ri] = k;
		s->route_holder[ri] = l->holders[jj];
		b->dag->statuses[s->httproute_status[ri]] = l->status[jj];
		s->attached[ri] = l->attached[jj];
		if (bo != GW_NO_BUNDLE && s->bundle_kept[bo])
			s->bundle_of[ri] = bo;
		else if (k != NULL)
			ARENA_PUSH(b->arena, b->dag->holds, b->dag->nholds,
			    s->holds_cap, dag_ref(l->holders[jj]));
	}
	/* Their clusters' and endpoints' names, counted out: read in
	 * gw_patch_finish, before the last routes' arrays are replaced. */
	s->gone = gone;
	s->ngone = ngone;
	s->patch_map = map;
	return true;
}

size_t
gw_memo_take_patched(struct gw_memo *m)
{
	size_t n = m->patched;

	m->patched = 0;
	return n;
}

/* Route k's clusters (which 0) or endpoints (1), as names. */
static size_t
gw_kept_names(const struct gw_kept *k, int which, const char *const *const **objs,
    const uint64_t **hashes)
{
	if (which == 0) {
		*objs = (const char *const *const *)k->clusters;
		*hashes = k->cluster_hashes;
		return k->nclusters;
	}
	*objs = (const char *const *const *)k->endpoints;
	*hashes = k->endpoint_hashes;
	return k->nendpoints;
}

/* The names of the patch: out, those of the routes that left; in, those
 * of the routes handed to the build; a name whose route left is held by
 * another route's equal one (a walk over every route's, when none of the
 * new routes makes it). */
static void
gw_names_patch(struct gw_state *s, int which)
{
	struct gw_memo_last *l = &s->b->gw_memo->last;
	struct gw_names *nm = &l->names[which];
	bool *gone = xcalloc(nm->nsorted + 1, sizeof *gone);
	const char *const **ins = NULL, **need = NULL;
	size_t nins = 0, ins_cap = 0, nneed = 0, need_cap = 0;

	for (size_t g = 0; g < s->ngone; g++) {
		const struct gw_kept *k = l->kept[s->gone[g]];
		const char *const *const *objs;
		const uint64_t *h;
		size_t n;

		if (k == NULL)
			continue;
		n = gw_kept_names(k, which, &objs, &h);
		for (size_t i = 0; i < n; i++) {
			size_t j = gw_names_slot(nm, h[i], *objs[i]);

			if (nm->t[j].rep == objs[i] && nm->t[j].count > 1)
				ARRAY_PUSH(need, nneed, need_cap, *objs[i]);
			gw_names_remove(nm, h[i], objs[i], gone);
		}
	}
	for (size_t t = 0; t < s->ntodo; t++) {
		const struct gw_kept *k = s->route_kept[s->todo[t]];
		const char *const *const *objs;
		const uint64_t *h;
		size_t n;

		if (k == NULL)
			continue;
		n = gw_kept_names(k, which, &objs, &h);
		for (size_t i = 0; i < n; i++)
			if (gw_names_add(nm, h[i], objs[i]))
				ARRAY_PUSH(ins, nins, ins_cap, objs[i]);
	}
	gw_names_merge(nm, gone, ins, nins);
	/* Names held by a route that left: another's, in their places. */
	for (size_t x = 0; x < nneed; x++) {
		uint64_t h = dag_strmap_hash(need[x]);
		size_t j = gw_names_slot(nm, h, need[x]), at;
		struct gw_name_count *e = &nm->t[j];

		if (e->rep == NULL)
			continue; /* no route makes it any more */
		for (size_t ri = 0; e->need && ri < s->nhttproutes; ri++) {
			const struct gw_kept *k = s->route_kept[ri];
			const char *const *const *objs;
			const uint64_t *hs;
			size_t n;

			if (k == NULL)
				continue;
			n = gw_kept_names(k, which, &objs, &hs);
			for (size_t i = 0; i < n; i++)
				if (hs[i] == h && strcmp(*objs[i], need[x]) == 0) {
					e->rep = objs[i];
					e->need = false;
					break;
				}
		}
		at = gw_names_lower(nm, need[x]);
		if (at < nm->nsorted && strcmp(*nm->sorted[at], need[x]) == 0)
			nm->sorted[at] = e->rep;
	}
	free(gone);
	free(ins);
	free(need);
}

/* A whole build's names (counted by gw_kept_use): false when they are
 * not the DAG's (something else made clusters). Their order is the
 * DAG's once build_with sorted it (gw_memo_sorted). */
static bool
gw_names_whole(struct gw_state *s, int which)
{
	struct gw_names *nm = &s->b->gw_memo->last.names[which];
	struct dag *dag = s->b->dag;

	return nm->n == (which == 0 ? dag->nclusters : dag->nendpoints);
}

void
gw_record_start(struct gw_state *s)
{
	struct gw_memo_last *l = &s->b->gw_memo->last;

	l->valid = false;
	for (int w = 0; w < 2; w++) {
		struct gw_names *nm = &l->names[w];

		free(nm->t);
		nm->t = NULL;
		nm->cap = nm->n = 0;
		gw_names_grow(nm, s->b->nservices + 4);
	}
}

void
gw_memo_sorted(struct gw_memo *m, const struct dag *dag)
{
	struct gw_memo_last *l = &m->last;

	if (!l->sorted_pending)
		return;
	l->sorted_pending = false;
	for (int w = 0; w < 2; w++) {
		struct gw_names *nm = &l->names[w];
		size_t n = w == 0 ? dag->nclusters : dag->nendpoints;

		if (n != nm->n) {
			l->valid = false;
			return;
		}
		free(nm->sorted);
		nm->sorted = xreallocarray(NULL, n + 1, sizeof *nm->sorted);
		if (n > 0)
			memcpy(nm->sorted, w == 0 ? (void *)dag->clusters :
			    (void *)dag->endpoints, n * sizeof *nm->sorted);
		nm->nsorted = n;
	}
}

/* l's bundles but those keep marks let go of (the memo's reference),
 * the others moved to the front in order; keep NULL: all let go of. */
static void
gw_last_bundles_release(struct gw_memo_last *l, const bool *keep,
    size_t nkeep)
{
	size_t n = 0;

	for (size_t x = 0; x < l->nbundles; x++)
		if (keep != NULL && x < nkeep && keep[x])
			l->bundles[n++] = l->bundles[x];
		else
			dag_free(l->bundles[x]);
	l->nbundles = n;
}

/* The routes of l held alone (a resolution, no bundle), GW_BUNDLE at a
 * time into new bundles, when there are at least that many: a route
 * changed breaks one bundle, whose other routes are then held alone by
 * each build until enough of them make bundles again. */
static void
gw_last_bundle_alone(struct gw_memo_last *l, bool always)
{
	size_t alone = 0, i = 0;

	for (size_t ri = 0; ri < l->n; ri++)
		alone += l->kept[ri] != NULL && l->bundle_of[ri] == GW_NO_BUNDLE;
	if (alone == 0 || (!always && alone < GW_BUNDLE))
		return;
	while (i < l->n) {
		struct dag *bd = xcalloc(1, sizeof *bd);
		uint32_t at = (uint32_t)l->nbundles;

		arena_init_sized(&bd->arena, GW_BUNDLE * sizeof(struct dag *) + 64);
		bd->holds = ARENA_ARRAY(&bd->arena, struct dag *, GW_BUNDLE);
		for (; i < l->n && bd->nholds < GW_BUNDLE; i++)
			if (l->kept[i] != NULL && l->bundle_of[i] == GW_NO_BUNDLE) {
				bd->holds[bd->nholds++] = dag_ref(l->holders[i]);
				l->bundle_of[i] = at;
			}
		if (bd->nholds == 0) {
			dag_free(bd);
			break;
		}
		ARRAY_PUSH(l->bundles, l->nbundles, l->bundles_cap, bd);
	}
}

void
gw_patch_finish(struct gw_state *s)
{
	struct builder *b = s->b;
	struct gw_memo_last *l;
	size_t n = s->nhttproutes, nattach = 0;
	const struct object **routes;
	uint64_t *units, *ns0;
	const struct gw_kept **kept;
	struct dag **holders;
	bool *ns_only;

	if (b->gw_memo == NULL)
		return;
	l = &b->gw_memo->last;
	if (!s->patch && (!s->record || s->record_broken)) {
		l->valid = false;
		gw_last_bundles_release(l, NULL, 0);
		return;
	}
	for (size_t gi = 0; gi < s->ngateways; gi++)
		nattach += s->gateways[gi]->u.gateway.nlisteners;
	if (s->patch) {
		struct dag *dag = b->dag;

		/* The kept routes' listener counts (those handed to the build
		 * counted themselves), then theirs for the next build. */
		for (size_t gi = 0, at = 0; gi < s->ngateways; gi++) {
			size_t nl = s->gateways[gi]->u.gateway.nlisteners;

			for (size_t li = 0; li < nl; li++, at++)
				if (l->attach[at] > 0)
					gw_status(b, s->gateway_status[gi])->
					    listeners[li].attached_routes +=
					    l->attach[at];
		}
		for (size_t t = 0; t < s->ntodo; t++)
			if (s->route_kept[s->todo[t]] != NULL)
				gw_attach_move(s, l, s->route_kept[s->todo[t]], 1);
		gw_names_patch(s, 0);
		gw_names_patch(s, 1);
		dag->clusters = ARENA_ARRAY(b->arena, struct dag_cluster *,
		    l->names[0].nsorted + 1);
		memcpy(dag->clusters, l->names[0].sorted, l->names[0].nsorted *
		    sizeof dag->clusters[0]);
		dag->nclusters = b->clusters_cap = l->names[0].nsorted;
		dag->endpoints = ARENA_ARRAY(b->arena, struct dag_endpoints *,
		    l->names[1].nsorted + 1);
		memcpy(dag->endpoints, l->names[1].sorted, l->names[1].nsorted *
		    sizeof dag->endpoints[0]);
		dag->nendpoints = b->endpoints_cap = l->names[1].nsorted;
		b->gw_sorted = true;
	} else {
		l->attach_cap = nattach + 1;
		free(l->attach);
		l->attach = xcalloc(l->attach_cap, sizeof *l->attach);
		l->nattach = nattach;
		for (size_t ri = 0; ri < n; ri++)
			if (s->route_kept[ri] != NULL)
				gw_attach_move(s, l, s->route_kept[ri], 1);
		l->ngateways = 0;
		if (!gw_names_whole(s, 0) || !gw_names_whole(s, 1)) {
			l->valid = false;
			gw_last_bundles_release(l, NULL, 0);
			return;
		}
		free(l->gateways);
		l->gateways = xreallocarray(NULL, s->ngateways + 1,
		    sizeof *l->gateways);
		if (s->ngateways > 0)
			memcpy(l->gateways, s->gateways, s->ngateways *
			    sizeof *l->gateways);
		l->ngateways = s->ngateways;
	}
	/* The routes in their order, for the next build's walk. */
	routes = xreallocarray(NULL, n + 1, sizeof *routes);
	units = xreallocarray(NULL, n + 1, sizeof *units);
	ns0 = xreallocarray(NULL, n + 1, sizeof *ns0);
	kept = xreallocarray(NULL, n + 1, sizeof *kept);
	holders = xreallocarray(NULL, n + 1, sizeof *holders);
	ns_only = xreallocarray(NULL, n + 1, sizeof *ns_only);
	for (size_t ri = 0; ri < n; ri++) {
		routes[ri] = s->httproutes[ri];
		units[ri] = s->route_units[ri];
		kept[ri] = s->route_kept[ri];
		holders[ri] = s->route_holder[ri];
		ns0[ri] = 0;
		ns_only[ri] = false;
	}
	if (s->patch) {
		for (size_t j = 0; j < l->n; j++)
			if (s->patch_map[j] != SIZE_MAX) {
				ns0[s->patch_map[j]] = l->ns0[j];
				ns_only[s->patch_map[j]] = l->ns_only[j];
			}
		for (size_t t = 0; t < s->ntodo; t++) {
			const struct gw_kept *k = kept[s->todo[t]];

			if (k != NULL && k->nns_keys == 1) {
				ns0[s->todo[t]] = k->ns_keys[0];
				ns_only[s->todo[t]] = true;
			}
		}
	} else
		for (size_t ri = 0; ri < n; ri++)
			if (kept[ri] != NULL && kept[ri]->nns_keys == 1) {
				ns0[ri] = kept[ri]->ns_keys[0];
				ns_only[ri] = true;
			}
	free(l->routes);
	free(l->units);
	free(l->ns0);
	free(l->kept);
	free(l->holders);
	free(l->ns_only);
	l->routes = routes;
	l->units = units;
	l->ns0 = ns0;
	l->kept = kept;
	l->holders = holders;
	l->ns_only = ns_only;
	l->n = l->cap = n;
	/* Each route's bundle: a patched build's kept ones (moved to the
	 * front), a whole build's made anew. */
	free(l->bundle_of);
	l->bundle_of = xreallocarray(NULL, n + 1, sizeof *l->bundle_of);
	if (s->patch) {
		uint32_t *at = xreallocarray(NULL, l->nbundles + 1, sizeof *at);
		uint32_t next = 0;

		for (size_t x = 0; x < l->nbundles; x++)
			at[x] = s->bundle_kept[x] ? next++ : GW_NO_BUNDLE;
		for (size_t ri = 0; ri < n; ri++)
			l->bundle_of[ri] = s->bundle_of[ri] == GW_NO_BUNDLE ?
			    GW_NO_BUNDLE : at[s->bundle_of[ri]];
		gw_last_bundles_release(l, s->bundle_kept, l->nbundles);
		free(at);
	} else {
		for (size_t ri = 0; ri < n; ri++)
			l->bundle_of[ri] = GW_NO_BUNDLE;
		gw_last_bundles_release(l, NULL, 0);
	}
	gw_last_bundle_alone(l, !s->patch);
	if (n + 1 > l->status_cap) {
		l->status_cap = n + n / 8 + 1;
		free(l->status);
		free(l->attached);
		l->status = xreallocarray(NULL, l->status_cap, sizeof *l->status);
		l->attached = xreallocarray(NULL, l->status_cap,
		    sizeof *l->attached);
	}
	for (size_t ri = 0; ri < n; ri++) {
		l->status[ri] = b->dag->statuses[s->httproute_status[ri]];
		l->attached[ri] = s->attached[ri];
	}
	/* The runs, sorted: the next build's. */
	free(l->runs);
	free(l->run_same);
	l->runs = s->runs;
	l->nruns = s->nruns;
	l->run_same = s->run_same;
	s->run_same = NULL;
	s->runs = NULL;
	s->nruns = s->runs_cap = 0;
	l->gen = b->gw_memo->contexts.gen;
	l->valid = true;
	l->sorted_pending = !s->patch;
}

/* The runs of a patched build in order: the kept ones are (the last
 * build's order, indexes moved with their order), the few of the routes
 * handed to the build are sorted and each put at its place found by a
 * binary search, where a check of the whole order compared every host. */
void
gw_patch_runs_sort(struct gw_state *s)
{
	const struct gw_memo_last *l = &s->b->gw_memo->last;
	size_t nk = l->nruns_kept, nt = s->nruns - nk;
	struct gw_run *out, *tail = s->runs + nk;
	size_t *from, n = 0, at = 0;

	if (nt > 1)
		qsort(tail, nt, sizeof tail[0], gw_run_cmp);
	out = xreallocarray(NULL, s->nruns + 1, sizeof *out);
	from = xreallocarray(NULL, s->nruns + 1, sizeof *from);
	for (size_t k = 0; k <= nt; k++) {
		size_t lo = at, hi = nk;

		if (k < nt)
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (gw_run_cmp(&s->runs[mid], &tail[k]) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
		else
			lo = nk;
		memcpy(out + n, s->runs + at, (lo - at) * sizeof *out);
		memcpy(from + n, s->run_from + at, (lo - at) * sizeof *from);
		n += lo - at;
		if (k < nt) {
			from[n] = SIZE_MAX;
			out[n++] = tail[k];
		}
		at = lo;
	}
	free(s->runs);
	s->runs = out;
	s->runs_cap = s->nruns + 1;
	/* Two runs that were neighbours keep their answer. */
	s->run_same = xcalloc(s->nruns + 1, sizeof *s->run_same);
	for (size_t k = 1; l->run_same != NULL && k < s->nruns; k++)
		s->run_same[k] = from[k] != SIZE_MAX && from[k - 1] != SIZE_MAX &&
		    from[k] == from[k - 1] + 1 ? l->run_same[from[k]] :
		    strcmp(s->runs[k].host, s->runs[k - 1].host) == 0;
	s->run_same_known = l->run_same != NULL;
	free(from);
}
