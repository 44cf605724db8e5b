/* objects -> DAG: the order of the processors, the shared state and the
 * status model. What each kind means lives in httpproxy.c, ingress.c and
 * service.c. */
#include "dag/build_internal.h"
#include "dag/parts_internal.h" /* dag_status_chunks_release */

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/hash.h"
#include "util/sorted.h"
#include "util/xalloc.h"

const char *
dag_status_name(enum dag_status s)
{
	switch (s) {
	case DAG_STATUS_VALID:
		return "valid";
	case DAG_STATUS_INVALID:
		return "invalid";
	case DAG_STATUS_ORPHANED:
		return "orphaned";
	}
	return "unknown";
}

size_t
dag_count_status(const struct dag *dag, enum dag_status s)
{
	struct dag_status_iter it;
	const struct dag_object_status *st;
	size_t n = 0;

	if (dag->status_counts_known && (unsigned)s < 3)
		return dag->status_counts[s];
	dag_status_iter_init(&it, dag);
	while ((st = dag_status_next(&it)) != NULL)
		n += st->status == s;
	return n;
}

/* --- string map ------------------------------------------------------------ */

static void
strmap_grow_to(struct arena *a, struct strmap *m, size_t cap)
{
	if (m->own != NULL)
		a = m->own;
	const char **keys = ARENA_ARRAY(a, const char *, cap);
	void **values = ARENA_ARRAY(a, void *, cap);
	uint64_t *hashes = ARENA_ARRAY(a, uint64_t, cap);

	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (m->keys[i] == NULL)
			continue;
		j = m->hashes[i] & (cap - 1);
		while (keys[j] != NULL)
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		values[j] = m->values[i];
		hashes[j] = m->hashes[i];
	}
	m->keys = keys;
	m->values = values;
	m->hashes = hashes;
	m->cap = cap;
}

void *
dag_strmap_get(const struct strmap *m, const char *key)
{
	uint64_t h;
	size_t j;

	if (m->cap == 0)
		return NULL;
	h = hash_bytes(key, strlen(key));
	j = h & (m->cap - 1);
	while (m->keys[j] != NULL) {
		if (m->hashes[j] == h && strcmp(m->keys[j], key) == 0)
			return m->values[j];
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

static void
strmap_grow(struct arena *a, struct strmap *m)
{
	/* Small first: a group of an incremental build has a few keys,
	 * and its DAG (maps included) is kept from build to build. */
	strmap_grow_to(a, m, m->cap ? m->cap * 2 : 8);
}

void
dag_strmap_reserve(struct arena *a, struct strmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 8;

	while ((n + 1) * 2 > cap)
		cap *= 2;
	if (cap > m->cap)
		strmap_grow_to(a, m, cap);
}

void
dag_strmap_put(struct arena *a, struct strmap *m, const char *key, void *value)
{
	uint64_t h = hash_bytes(key, strlen(key));
	size_t j;

	if ((m->n + 1) * 2 > m->cap)
		strmap_grow(a, m);
	j = h & (m->cap - 1);
	while (m->keys[j] != NULL) {
		if (m->hashes[j] == h && strcmp(m->keys[j], key) == 0) {
			m->values[j] = value;
			return;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->values[j] = value;
	m->hashes[j] = h;
	m->n++;
}

uint64_t
dag_strmap_hash(const char *key)
{
	return hash_bytes(key, strlen(key));
}

void *
dag_strmap_get_or_put(struct arena *a, struct strmap *m, const char *key,
    uint64_t hash, void *value)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap)
		strmap_grow(a, m);
	j = hash & (m->cap - 1);
	while (m->keys[j] != NULL) {
		if (m->hashes[j] == hash && strcmp(m->keys[j], key) == 0)
			return m->values[j];
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->values[j] = value;
	m->hashes[j] = hash;
	m->n++;
	return NULL;
}

/* --- objects --------------------------------------------------------------- */

static int
object_cmp(const void *a, const void *b)
{
	const struct object *x = *(struct object *const *)a;
	const struct object *y = *(struct object *const *)b;
	int c = strcmp(x->meta.namespace, y->meta.namespace);

	if (c == 0)
		c = strcmp(x->meta.name, y->meta.name);
	if (c == 0)
		c = strcmp(x->meta.origin.file, y->meta.origin.file);
	if (c == 0)
		c = x->meta.origin.line - y->meta.origin.line;
	return c;
}

int
object_key_cmp(const void *key, const void *elem)
{
	const struct object_key *k = key;
	const struct object *o = *(struct object *const *)elem;
	int c = strcmp(k->ns, o->meta.namespace);

	return c != 0 ? c : strcmp(k->name, o->meta.name);
}

size_t
object_index(struct object *const *arr, size_t n, const char *ns,
    const char *name)
{
	struct object_key k = { ns, name };
	size_t i = sorted_search(&k, arr, n, sizeof arr[0], object_key_cmp);

	return i < n && object_key_cmp(&k, &arr[i]) == 0 ? i : (size_t)-1;
}

struct object *
dag_object_find(struct object **arr, size_t n, const char *ns, const char *name)
{
	/* The insertion point is the first of equal names: the winner. */
	size_t i = object_index(arr, n, ns, name);

	if (i != (size_t)-1)
		return arr[i];
	return NULL;
}

bool
dag_object_is_shadowed(struct object **arr, size_t i)
{
	return i > 0 && strcmp(arr[i - 1]->meta.namespace, arr[i]->meta.namespace) == 0 &&
	    strcmp(arr[i - 1]->meta.name, arr[i]->meta.name) == 0;
}

static uint64_t
object_key_hash(const char *ns, const char *name)
{
	return hash_bytes_seeded(name, strlen(name), hash_bytes(ns, strlen(ns)));
}

struct object *
dag_object_lookup(struct builder *b, struct objindex *ix, struct object **arr,
    size_t n, const char *ns, const char *name)
{
	uint64_t h;
	size_t j;

	dag_lookup_note(b, 'n', ns, "Service or Endpoints");
	/* A few compares beat hashing; a few lookups, indexing them all
	 * (the same answer: the first of equal names). */
	if (n < 16 || (!ix->built && ix->searches++ < 32))
		return dag_object_find(arr, n, ns, name);
	if (!ix->built) {
		for (ix->cap = 16; ix->cap < 2 * n; ix->cap *= 2)
			;
		ix->slots = ARENA_ARRAY(&b->tables, struct object *, ix->cap);
		ix->hashes = ARENA_ARRAY(&b->tables, uint64_t, ix->cap);
		for (size_t i = 0; i < n; i++) {
			if (dag_object_is_shadowed(arr, i))
				continue; /* the first of equal names wins */
			h = object_key_hash(arr[i]->meta.namespace, arr[i]->meta.name);
			for (j = h & (ix->cap - 1); ix->slots[j] != NULL;
			    j = (j + 1) & (ix->cap - 1))
				;
			ix->slots[j] = arr[i];
			ix->hashes[j] = h;
		}
		ix->built = true;
	}
	h = object_key_hash(ns, name);
	for (j = h & (ix->cap - 1); ix->slots[j] != NULL; j = (j + 1) & (ix->cap - 1))
		if (ix->hashes[j] == h &&
		    strcmp(ix->slots[j]->meta.namespace, ns) == 0 &&
		    strcmp(ix->slots[j]->meta.name, name) == 0)
			return ix->slots[j];
	return NULL;
}

const char *
dag_annotation_get(const struct object *o, const char *key)
{
	for (size_t i = 0; i < o->meta.nannotations; i++)
		if (strcmp(o->meta.annotations[i].key, key) == 0)
			return o->meta.annotations[i].value;
	return NULL;
}

/* cairn.yaml has no ingress class setting: objects without a class, or
 * with Contour's default "contour" or "cairn", are ours (the annotations
 * win over spec.ingressClassName, as in Contour). */
bool
ingress_class_accepted(const struct object *o, const char *spec_class,
    const char **class_out)
{
	const char *c = dag_annotation_get(o, "projectcontour.io/ingress.class");

	if (c == NULL)
		c = dag_annotation_get(o, "kubernetes.io/ingress.class");
	if (c == NULL)
		c = spec_class;
	*class_out = c;
	return c == NULL || strcmp(c, "contour") == 0 || strcmp(c, "cairn") == 0;
}

/* --- statuses -------------------------------------------------------------- */

struct dag_object_status
dag_status_initial(enum obj_kind kind, const char *ns, const char *name,
    const struct origin *origin)
{
	struct dag_object_status st = {
		.kind = kind,
		.namespace = ns,
		.name = name,
		.origin = *origin,
		.status = DAG_STATUS_VALID,
		.description = "valid",
	};

	return st;
}

/* One per object, at most: sized once (growing 50,000 statuses left
 * twice as many dead copies in the arena). Not zeroed: each is written
 * whole as it is added, and none past nstatuses is read (zeroing 2 MB at
 * 10k HTTPRoutes was a tenth of a one-route change's DAG). */
static void
statuses_reserve(struct builder *b)
{
	if (b->statuses_cap == 0 && b->nobjs > 0) {
		b->dag->statuses = arena_alloc_nozero(b->arena,
		    sizeof(struct dag_object_status) * b->nobjs);
		b->statuses_cap = b->nobjs;
	}
}

/* Statuses are referred to by index while building: the array grows. */
size_t
dag_status_add(struct builder *b, const struct object *o)
{
	struct dag *dag = b->dag;
	struct dag_object_status st = dag_status_initial(o->kind,
	    o->meta.namespace, o->meta.name, &o->meta.origin);

	statuses_reserve(b);
	ARENA_PUSH(b->arena, dag->statuses, dag->nstatuses, b->statuses_cap, st);
	return dag->nstatuses - 1;
}

void
dag_statuses_add_sorted(struct builder *b, enum obj_kind kind,
    struct object *const *arr, size_t n, size_t *st)
{
	struct dag *dag = b->dag;
	bool kept = b->kind_units[kind] != NULL;
	size_t from = dag->nstatuses;

	if (n == 0)
		return;
	statuses_reserve(b);
	if (kept && n <= b->statuses_cap - from &&
	    gw_memo_order_statuses(b->gw_memo, kind, n, &dag->statuses[from])) {
		dag->nstatuses += n;
		for (size_t i = 0; i < n; i++)
			st[i] = from + i;
		return;
	}
	for (size_t i = 0; i < n; i++)
		st[i] = dag_status_add(b, arr[i]);
	if (kept && st[n - 1] - st[0] == n - 1)
		gw_memo_order_statuses_keep(b->gw_memo, kind,
		    &dag->statuses[st[0]], n);
}

void
dag_status_run(struct builder *b, size_t from, size_t n, bool full,
    const bool *shadow)
{
	struct dag_status_run r = { from, n, shadow, full };

	if (n > 1)
		ARENA_PUSH(&b->tables, b->status_runs, b->nstatus_runs,
		    b->status_runs_cap, r);
}

/* Adds the condition unless the object already has the same one: a proxy
 * included from two roots is processed twice. */
static bool
status_condition(struct builder *b, size_t idx, const char *type,
    const char *reason, const struct origin *where, bool warning,
    const char *fmt, va_list ap)
{
	struct dag_object_status *st = &b->dag->statuses[idx];
	struct dag_condition c = { .type = type, .reason = reason,
		.warning = warning };
	char buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	c.origin = where ? *where : st->origin;
	for (size_t i = 0; i < st->nconditions; i++)
		if (strcmp(st->conditions[i].reason, reason) == 0 &&
		    strcmp(st->conditions[i].message, buf) == 0 &&
		    st->conditions[i].origin.line == c.origin.line &&
		    st->conditions[i].origin.col == c.origin.col)
			return false;
	c.message = arena_strdup(b->arena, buf);
	/* Most statuses with a condition have one: room for one first,
	 * then doubling (ARENA_PUSH's four would keep three empty slots,
	 * 144 bytes, in every such status of a kept group). */
	if (st->nconditions == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 1;

		st->conditions = arena_grow(b->arena, st->conditions,
		    st->nconditions, cap, sizeof st->conditions[0]);
		st->cap = cap;
	}
	st->conditions[st->nconditions++] = c;
	return true;
}

void
dag_status_error(struct builder *b, size_t idx, enum dag_status status,
    const char *type, const char *reason, const struct origin *where,
    const char *fmt, ...)
{
	struct dag_object_status *st;
	va_list ap;
	bool added;

	va_start(ap, fmt);
	added = status_condition(b, idx, type, reason, where, false, fmt, ap);
	va_end(ap);
	if (!added)
		return;
	st = &b->dag->statuses[idx];
	/* Orphaned never downgrades invalid: invalid is the stronger verdict. */
	if (st->status != DAG_STATUS_INVALID)
		st->status = status;
	st->description = st->conditions[st->nconditions - 1].message;
}

void
dag_status_warning(struct builder *b, size_t idx, const char *type,
    const char *reason, const struct origin *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status_condition(b, idx, type, reason, where, true, fmt, ap);
	va_end(ap);
}

/* Two objects of the same kind and name conflict: with no API server to
 * refuse the second, the one from the earlier file wins and the other is
 * invalid. */
static void
report_duplicates(struct builder *b, enum obj_kind kind, struct object **arr,
    size_t n, const size_t *status_idx)
{
	for (size_t i = 0; i < n; i++) {
		struct object *first;

		if (!dag_kind_shadowed(b, kind, arr, i))
			continue;
		first = dag_object_find(arr, n, arr[i]->meta.namespace, arr[i]->meta.name);
		dag_status_error(b, status_idx[i], DAG_STATUS_INVALID, "Valid",
		    "DuplicateObject", NULL,
		    "%s %s/%s is already defined at %s:%d:%d",
		    obj_kind_name(arr[i]->kind), arr[i]->meta.namespace,
		    arr[i]->meta.name, first->meta.origin.file,
		    first->meta.origin.line, first->meta.origin.col);
	}
}

int
dag_object_namespace_cmp(const void *a, const void *b)
{
	return strcmp((*(struct object *const *)a)->meta.namespace,
	    (*(struct object *const *)b)->meta.namespace);
}

/* b->kind_objs: a count pass and a fill pass over one byte per object,
 * so each object's kind is read once, where a scan per kind read the
 * group's 30,000 objects nineteen times. */
static void
objects_by_kind(struct builder *b)
{
	size_t next[OBJ_KIND_COUNT];
	unsigned char *kinds;

	if (b->nobjs == 0)
		return;
	kinds = ARENA_ARRAY(&b->tables, unsigned char, b->nobjs);
	if (b->gw_memo != NULL && b->obj_units != NULL)
		gw_memo_kinds(b->gw_memo, b->objs, b->obj_units, b->nobjs, kinds);
	else
		for (size_t i = 0; i < b->nobjs; i++)
			kinds[i] = (unsigned char)b->objs[i]->kind;
	for (size_t i = 0; i < b->nobjs; i++)
		if (kinds[i] < OBJ_KIND_COUNT)
			b->nkind_objs[kinds[i]]++;
	for (size_t k = 0; k < OBJ_KIND_COUNT; k++) {
		next[k] = 0;
		if (b->nkind_objs[k] > 0)
			b->kind_objs[k] = ARENA_ARRAY(&b->tables, struct object *,
			    b->nkind_objs[k]);
	}
	for (size_t i = 0; i < b->nobjs; i++)
		if (kinds[i] < OBJ_KIND_COUNT)
			b->kind_objs[kinds[i]][next[kinds[i]]++] = b->objs[i];
	b->obj_kinds = kinds;
	if (b->gw_memo == NULL || b->obj_units == NULL)
		return;
	for (size_t k = OBJ_GATEWAYCLASS; k < OBJ_KIND_COUNT; k++)
		if (b->nkind_objs[k] > 0)
			break;
		else if (k + 1 == OBJ_KIND_COUNT)
			return;
	for (size_t k = 0; k < OBJ_KIND_COUNT; k++) {
		next[k] = 0;
		if (b->nkind_objs[k] > 0)
			b->kind_units[k] = ARENA_ARRAY(&b->tables, uint64_t,
			    b->nkind_objs[k]);
	}
	for (size_t i = 0; i < b->nobjs; i++)
		if (kinds[i] < OBJ_KIND_COUNT)
			b->kind_units[kinds[i]][next[kinds[i]]++] = b->obj_units[i];
}

/* Copied: the memo's answer is the next sort's of the kind (groups share
 * the memo). */
static void
kind_shadow_set(struct builder *b, enum obj_kind kind, const bool *shadow,
    size_t n)
{
	if (shadow == NULL)
		return;
	b->kind_shadow[kind] = ARENA_ARRAY(&b->tables, bool, n);
	memcpy(b->kind_shadow[kind], shadow, n * sizeof *shadow);
}

void
dag_kind_sort(struct builder *b, enum obj_kind kind, struct object **arr,
    size_t n, int (*cmp)(const void *, const void *))
{
	const uint64_t *units = b->kind_units[kind];
	struct object **in = NULL;
	const bool *shadow = NULL;

	b->kind_shadow[kind] = NULL;
	if (units != NULL) {
		/* A group's files come in the same order build after build:
		 * a changed file's objects take its old ones' places. */
		if (gw_memo_order_patch(b->gw_memo, kind, arr, units, n, cmp,
		    &b->scratch, &shadow)) {
			kind_shadow_set(b, kind, shadow, n);
			return;
		}
		in = ARENA_ARRAY(&b->scratch, struct object *, n + 1);
		if (n > 0)
			memcpy(in, arr, n * sizeof *arr);
	}
	/* Files come in path order, and most trees keep a namespace's
	 * objects together: only each namespace's are sorted then. */
	sorted_sort_grouped(arr, n, sizeof arr[0], cmp,
	    dag_object_namespace_cmp);
	if (units != NULL) {
		gw_memo_order_keep(b->gw_memo, kind, in, units, arr, n,
		    &b->scratch, &shadow);
		kind_shadow_set(b, kind, shadow, n);
	}
}

bool
dag_kind_shadowed(const struct builder *b, enum obj_kind kind,
    struct object **arr, size_t i)
{
	return b->kind_shadow[kind] != NULL ? b->kind_shadow[kind][i] :
	    dag_object_is_shadowed(arr, i);
}

/* Gather objects of one kind, sorted by namespace/name, each with a
 * status. */
static struct object **
collect_kind(struct builder *b, enum obj_kind kind, size_t *nout,
    size_t **status_out)
{
	struct object **arr = b->kind_objs[kind];
	size_t n = b->nkind_objs[kind], *st;

	*nout = n;
	if (status_out != NULL)
		*status_out = NULL;
	if (n == 0)
		return NULL;
	dag_kind_sort(b, kind, arr, n, object_cmp);
	st = ARENA_ARRAY(&b->tables, size_t, n + 1);
	dag_statuses_add_sorted(b, kind, arr, n, st);
	/* object_cmp's keys are dag_status_cmp's. */
	dag_status_run(b, st[0], n, true, NULL);
	report_duplicates(b, kind, arr, n, st);
	if (status_out != NULL)
		*status_out = st;
	return arr;
}

/* --- virtual hosts --------------------------------------------------------- */

struct builder_vhost *
dag_vhost_get(struct builder *b, const char *fqdn, const struct object *owner)
{
	struct builder_vhost *bv;

	dag_lookup_note(b, 'f', fqdn, "virtual host");
	bv = dag_strmap_get(&b->vhost_index, fqdn);

	if (bv != NULL)
		return bv;
	if (b->vhost_index.cap == 0)
		dag_strmap_reserve(b->arena, &b->vhost_index,
		    b->nproxies + b->ningresses + 4);
	/* vhosts_finish copies each into the DAG's array. */
	bv = ARENA_NEW(&b->tables, struct builder_vhost);
	bv->vh.fqdn = fqdn;
	bv->vh.proxy_namespace = owner->meta.namespace;
	bv->vh.proxy_name = owner->meta.name;
	bv->vh.owner_kind = owner->kind;
	dag_strmap_put(b->arena, &b->vhost_index, fqdn, bv);
	ARENA_PUSH(&b->tables, b->vhosts, b->nvhosts, b->vhosts_cap, bv);
	return bv;
}

void
dag_vhost_reserve_routes(struct builder *b, struct builder_vhost *bv, size_t n)
{
	size_t want = bv->vh.nroutes + n;

	if (want <= bv->routes_cap)
		return;
	bv->vh.routes = arena_grow(b->arena, bv->vh.routes, bv->vh.nroutes, want,
	    sizeof bv->vh.routes[0]);
	bv->routes_cap = want;
}

const struct dag_route_rare dag_route_rare_none;

struct dag_route_rare *
dag_route_rare_set(struct arena *a, struct dag_route *r)
{
	struct dag_route_rare *c = arena_alloc_nozero(a, sizeof *c);

	*c = *dag_route_rare(r);
	r->rare = c;
	return c;
}

void
dag_vhost_add_route(struct builder *b, struct builder_vhost *bv,
    const struct dag_route *r)
{
	struct dag_route copy = *r;

	copy.order = bv->vh.nroutes;
	ARENA_PUSH(b->arena, bv->vh.routes, bv->vh.nroutes, bv->routes_cap, copy);
}

/* SPEC §7: exact, then regex (longest first), then prefix (longest
 * first); among equal paths a whole-segment prefix before a string prefix
 * and the route with more header and query conditions first; then source
 * order. */
static int
route_cmp(const void *a, const void *b)
{
	const struct dag_route *x = a, *y = b;
	size_t xl = strlen(x->path), yl = strlen(y->path);
	int c;

	if (x->path_kind != y->path_kind)
		return x->path_kind < y->path_kind ? -1 : 1;
	if (xl != yl)
		return xl > yl ? -1 : 1; /* longest first */
	if ((c = strcmp(x->path, y->path)) != 0)
		return c;
	if (x->segment_prefix != y->segment_prefix)
		return x->segment_prefix ? -1 : 1;
	if (x->nheaders != y->nheaders)
		return x->nheaders > y->nheaders ? -1 : 1; /* most specific first */
	if (x->nqueries != y->nqueries)
		return x->nqueries > y->nqueries ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int
dag_vhost_cmp(const void *a, const void *b)
{
	const struct dag_vhost *x = a, *y = b;

	return strcmp(x->fqdn, y->fqdn);
}

int
dag_cluster_ptr_cmp(const void *a, const void *b)
{
	const struct dag_cluster *x = *(struct dag_cluster *const *)a;
	const struct dag_cluster *y = *(struct dag_cluster *const *)b;

	return strcmp(x->name, y->name);
}

int
dag_endpoints_ptr_cmp(const void *a, const void *b)
{
	const struct dag_endpoints *x = *(struct dag_endpoints *const *)a;
	const struct dag_endpoints *y = *(struct dag_endpoints *const *)b;

	return strcmp(x->name, y->name);
}

int
dag_status_cmp(const void *a, const void *b)
{
	const struct dag_object_status *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->namespace, y->namespace)) != 0)
		return c;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	if ((c = strcmp(x->origin.file, y->origin.file)) != 0)
		return c;
	return x->origin.line - y->origin.line;
}

static bool
statuses_sorted(const struct dag *dag)
{
	for (size_t i = 1; i < dag->nstatuses; i++)
		if (dag_status_cmp(&dag->statuses[i - 1], &dag->statuses[i]) > 0)
			return false;
	return true;
}

/* statuses_sorted, without the pairs a run vouches for. A status's keys
 * are its object's and never change once added (a kept one is copied
 * over its own object's). */
static bool
statuses_sorted_runs(const struct builder *b)
{
	const struct dag *dag = b->dag;
	size_t r = 0;

	for (size_t i = 1; i < dag->nstatuses; i++) {
		const struct dag_status_run *run;

		while (r < b->nstatus_runs &&
		    b->status_runs[r].from + b->status_runs[r].n <= i)
			r++;
		run = r < b->nstatus_runs ? &b->status_runs[r] : NULL;
		if (run != NULL && run->from < i &&
		    (run->full || (run->shadow != NULL &&
		    !run->shadow[i - run->from])))
			continue;
		if (dag_status_cmp(&dag->statuses[i - 1], &dag->statuses[i]) > 0)
			return false;
	}
	return true;
}

/* Statuses are added kind by kind, each kind already in (namespace,
 * name, file, line) order (collect_kind): a stable split by kind usually
 * leaves nothing to sort, where a qsort of 50,000 statuses compared
 * strings 750,000 times. */
static void
statuses_sort(const struct builder *b)
{
	struct dag *dag = b->dag;
	size_t count[OBJ_KIND_COUNT + 1] = { 0 }, n = dag->nstatuses;
	struct dag_object_status *tmp;

	if (n < 2 || statuses_sorted_runs(b))
		return;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)dag->statuses[i].kind >= OBJ_KIND_COUNT) {
			qsort(dag->statuses, n, sizeof dag->statuses[0], dag_status_cmp);
			return;
		}
		count[dag->statuses[i].kind + 1]++;
	}
	for (size_t k = 1; k <= OBJ_KIND_COUNT; k++)
		count[k] += count[k - 1];
	tmp = xreallocarray(NULL, n, sizeof *tmp);
	for (size_t i = 0; i < n; i++)
		tmp[count[dag->statuses[i].kind]++] = dag->statuses[i];
	memcpy(dag->statuses, tmp, n * sizeof *tmp);
	free(tmp);
	if (!statuses_sorted(dag))
		qsort(dag->statuses, n, sizeof dag->statuses[0], dag_status_cmp);
}

/* Virtual hosts without routes are dropped (Contour sends none). */
static void
vhosts_finish(struct builder *b)
{
	struct dag *dag = b->dag;
	size_t n = 0;

	dag->vhosts = b->nvhosts > 0 ?
	    ARENA_ARRAY(b->arena, struct dag_vhost, b->nvhosts) : NULL;
	for (size_t i = 0; i < b->nvhosts; i++) {
		struct dag_vhost *vh = &b->vhosts[i]->vh;

		if (vh->nroutes == 0 && (vh->tls == NULL || vh->tls->tcpproxy == NULL))
			continue;
		if (vh->nroutes > 1)
			qsort(vh->routes, vh->nroutes, sizeof vh->routes[0], route_cmp);
		dag->vhosts[n++] = *vh;
	}
	dag->nvhosts = n;
	if (n > 1)
		qsort(dag->vhosts, n, sizeof dag->vhosts[0], dag_vhost_cmp);
}

const char *
dag_slice_service(const struct object *o)
{
	for (size_t i = 0; i < o->meta.nlabels; i++)
		if (strcmp(o->meta.labels[i].key, "kubernetes.io/service-name") == 0)
			return o->meta.labels[i].value;
	return NULL;
}

static int
slice_cmp(const void *a, const void *b)
{
	const struct object *x = *(struct object *const *)a;
	const struct object *y = *(struct object *const *)b;
	const char *xs = dag_slice_service(x), *ys = dag_slice_service(y);
	int c = strcmp(x->meta.namespace, y->meta.namespace);

	if (c != 0)
		return c;
	if ((c = strcmp(xs ? xs : "", ys ? ys : "")) != 0)
		return c;
	return strcmp(x->meta.name, y->meta.name);
}

struct dag *
dag_build(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts)
{
	return dag_build_owned(objs, nobjs, opts, NULL);
}

struct dag *
dag_build_owned(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const struct fqdn_ledger *owners)
{
	return dag_build_material(objs, nobjs, opts, owners, NULL);
}

struct dag *
dag_build_material(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    const struct tls_material *material)
{
	return dag_build_recorded(objs, nobjs, opts, owners, material, NULL);
}

void
dag_lookup_note(struct builder *b, char kind, const char *s, const char *what)
{
	struct dag_lookup l = { .kind = kind, .s = s ? s : "", .what = what };

	if (b->lookups != NULL)
		ARRAY_PUSH(b->lookups->v, b->lookups->n, b->lookups->cap, l);
}

/* A DAG's first block is sized from the bytes per object of the last DAG
 * built (plus a thirty-second): groups of an incremental build, kept from
 * build to build, then hold one block with little slack whatever the
 * tree's kinds, instead of a fixed guess that fits one tree. Each thread
 * keeps its own (a DAG pool thread's first group takes the default): one
 * shared by the pool's threads, written at every group, moved its cache
 * line between the CPUs group after group. */
static _Thread_local size_t dag_bytes_per_object = 1536;

static size_t
dag_arena_guess(size_t nobjs)
{
	size_t r = dag_bytes_per_object;

	return nobjs * r + nobjs * r / 32 + 64;
}

static void
dag_arena_seen(size_t nobjs, size_t used)
{
	size_t r;

	if (nobjs == 0)
		return;
	r = used / nobjs + 1;
	if (r < 256)
		r = 256;
	if (r > 16384)
		r = 16384;
	dag_bytes_per_object = r;
}

void
dag_lookup_note_gateway(struct builder *b, const char *ns, const char *name)
{
	struct dag_lookup l = { .kind = 'w', .s = ns, .what = "Gateway",
		.s2 = name };

	if (b->lookups != NULL)
		ARRAY_PUSH(b->lookups->v, b->lookups->n, b->lookups->cap, l);
}

static struct dag *build_with(struct builder *init);

struct dag *
dag_build_recorded(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    const struct tls_material *material, struct dag_lookups *rec)
{
	struct builder b = { .objs = objs, .nobjs = nobjs, .opts = opts,
		.owners = owners, .material = material, .lookups = rec };

	return build_with(&b);
}

struct dag *
dag_build_memo(struct object *const *objs, size_t nobjs,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    const struct tls_material *material, const uint64_t *obj_units,
    struct gw_memo *memo, uint64_t context)
{
	struct builder b = { .objs = objs, .nobjs = nobjs, .opts = opts,
		.owners = owners, .material = material, .gw_memo = memo,
		.obj_units = obj_units, .gw_context = context };

	return build_with(&b);
}

/* How many clusters and endpoints dag's arrays hold so far. Those that
 * gateways_build adds are gateway_only when it returns (it marks them;
 * a patched group's are all its routes', marked as they were made). */
static size_t
clusters_and_endpoints(const struct dag *dag)
{
	return dag->nclusters + dag->nendpoints;
}

/* The build of init's objects (init: what the caller sets). */
static struct dag *
build_with(struct builder *init)
{
	struct dag *dag = xcalloc(1, sizeof *dag);
	struct dag_options defaults;
	struct builder b = *init;
	size_t *slice_status;
	size_t nobjs = b.nobjs;
	const struct dag_options *opts = b.opts;
	size_t before_gw, after_gw;

	b.dag = dag;
	b.arena = &dag->arena;

	if (opts == NULL) {
		dag_options_from_config(&defaults, NULL);
		b.opts = &defaults;
	}
	/* A group of an incremental build, kept from build to build, must
	 * not hold a 64 KiB block for 5 KiB. */
	arena_init_sized(&dag->arena, dag_arena_guess(nobjs));
	arena_init_sized(&b.scratch, 4096);
	arena_init_sized(&b.tables, 64 * nobjs + 1024);
	b.vhost_index.own = b.cluster_index.own = &b.tables;
	b.endpoints_index.own = b.sds_index.own = &b.tables;
	objects_by_kind(&b);
	b.services = collect_kind(&b, OBJ_SERVICE, &b.nservices, &b.service_status);
	b.endpoints = collect_kind(&b, OBJ_ENDPOINTS, &b.nendpoints, NULL);
	b.slices = collect_kind(&b, OBJ_ENDPOINTSLICE, &b.nslices, &slice_status);
	for (size_t i = 0; i < b.nslices; i++)
		if (dag_slice_service(b.slices[i]) == NULL)
			dag_status_warning(&b, slice_status[i], "EndpointSliceError",
			    "ServiceNameLabelMissing", NULL,
			    "no kubernetes.io/service-name label: these endpoints "
			    "belong to no Service and are not used");
	if (b.nslices > 1)
		qsort(b.slices, b.nslices, sizeof b.slices[0], slice_cmp);
	b.proxies = collect_kind(&b, OBJ_HTTPPROXY, &b.nproxies, &b.proxy_status);
	b.ingresses = collect_kind(&b, OBJ_INGRESS, &b.ningresses, &b.ingress_status);
	b.secrets = collect_kind(&b, OBJ_SECRET, &b.nsecrets, &b.secret_status);
	b.delegations = collect_kind(&b, OBJ_TLSCERTDELEGATION, &b.ndelegations,
	    &b.delegation_status);
	secrets_build(&b); /* secrets.c */

	services_build(&b);
	b.extensions = collect_kind(&b, OBJ_EXTENSIONSERVICE, &b.nextensions,
	    &b.extension_status);
	extensions_build(&b); /* extension.c */
	proxies_build(&b);
	ingresses_build(&b);
	before_gw = clusters_and_endpoints(dag);
	gateways_build(&b); /* gateway.c */
	after_gw = clusters_and_endpoints(dag);
	vhosts_finish(&b);
	vhost_tls_finish(&b);
	/* Those made before the Gateway routes' and after them (the sort
	 * below only drops duplicates). Nothing above takes one out; were
	 * that to change, the count is left unknown rather than wrong. */
	if (clusters_and_endpoints(dag) >= after_gw) {
		dag->plain = before_gw + (clusters_and_endpoints(dag) - after_gw);
		dag->plain_known = true;
	}

	/* Made route by route in object order: mostly in name order. */
	if (!b.gw_sorted) {
		sorted_sort(dag->clusters, dag->nclusters,
		    sizeof dag->clusters[0], dag_cluster_ptr_cmp);
		sorted_sort(dag->endpoints, dag->nendpoints,
		    sizeof dag->endpoints[0], dag_endpoints_ptr_cmp);
	}
	if (b.gw_memo != NULL)
		gw_memo_sorted(b.gw_memo, dag);
	statuses_sort(&b);
	arena_free(&b.scratch);
	arena_free(&b.tables);
	dag_arena_seen(nobjs, dag->arena.total);
	return dag;
}

struct dag *
dag_ref(struct dag *dag)
{
	atomic_fetch_add_explicit(&dag->refs, 1, memory_order_relaxed);
	return dag;
}

void
dag_free(struct dag *dag)
{
	/* A loop, not a recursion, down the chain of assembled DAGs. */
	while (dag != NULL) {
		struct dag *newer;

		/* refs counts the owners beyond the first. */
		if (atomic_fetch_sub_explicit(&dag->refs, 1,
		    memory_order_acq_rel) != 0)
			return;
		if (!dag->parts_borrowed)
			for (size_t i = 0; i < dag->nparts; i++)
				dag_free(dag->parts[i]);
		for (size_t i = 0; i < dag->nretired; i++)
			dag_free(dag->retired[i]);
		free(dag->retired);
		for (size_t i = 0; i < dag->nholds; i++)
			dag_free(dag->holds[i]);
		newer = dag->newer;
		dag_status_chunks_release(dag);
		arena_free(&dag->arena);
		free(dag);
		dag = newer;
	}
}

/* A decimal uint32, as Contour's annotation parser reads it. */
bool
dag_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}
