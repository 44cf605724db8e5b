/* Grouping for incremental builds (parts.c builds the groups): the keys
 * through which an object can depend on another (object_keys), the
 * union-find that joins files sharing a key, the keys of each file
 * version kept from build to build, the grouping kept when the changed
 * files keep their keys, the fingerprint of a group's contested FQDN
 * claims, and dag_verify_object_keys, which checks that every lookup a
 * build makes is under one of the keys. Apart from parts.c so that the
 * rules for what joins what read in one place. */
#include "dag/parts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/owners.h"
#include "util/hash.h"
#include "util/xalloc.h"

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
			if (hp_service_rare(&hp->routes[i].services[k])->validation != NULL)
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
	/* The client certificate it presents to backends (a Secret, with a
	 * ReferenceGrant in its namespace when that is another). */
	if (gw->tls != NULL && gw->tls->backend_client_certificate_ref != NULL)
		object_refs_keys(gw->tls->backend_client_certificate_ref, 1, keys,
		    n, cap);
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
		/* Its TLS hosts are looked up by FQDN too, rule or not. */
		for (size_t i = 0; i < ing->ntls; i++)
			for (size_t h = 0; h < ing->tls[i].nhosts; h++)
				if (ing->tls[i].hosts[h] != NULL)
					keys_add(keys, n, cap, key_of('f',
					    ing->tls[i].hosts[h]));
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

void
parts_units_clear(struct dag_cache *c)
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
void
parts_units_group(struct dag_cache *c, const struct dag_unit *units, size_t n,
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

void
parts_grouping_save(struct dag_cache *c, const struct dag_unit *units, size_t n,
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

static bool
changed_unit_push(struct dag_cache *c, size_t u, size_t n)
{
	if ((c->nchg_units + 1) * 8 > n)
		return false;
	if (c->nchg_units == c->chg_cap) {
		c->chg_cap = c->chg_cap ? 2 * c->chg_cap : 16;
		c->chg_units = xreallocarray(c->chg_units, c->chg_cap,
		    sizeof *c->chg_units);
	}
	c->chg_units[c->nchg_units++] = u;
	return true;
}

/* The positions of the units whose id is not the last build's there,
 * into chg_units (for parts_build_changed): among those the caller named
 * (dag_cache_units_changed), else by one walk over every id. False when
 * more than an eighth changed. */
static bool
changed_units_find(struct dag_cache *c, const struct dag_unit *units,
    size_t n)
{
	c->nchg_units = 0;
	if (c->hint_valid) {
		for (size_t k = 0; k < c->nhint; k++) {
			size_t u = c->hint[k];

			if (u >= n || (units[u].id != c->prev_ids[u] &&
			    !changed_unit_push(c, u, n))) {
				c->nchg_units = 0;
				return false;
			}
		}
		if (c->verify_keys)
			for (size_t u = 0, k = 0; u < n; u++) {
				if (units[u].id == c->prev_ids[u])
					continue;
				if (k == c->nchg_units || c->chg_units[k] != u) {
					fprintf(stderr, "cairn: dag: unit %zu "
					    "changed but was not named\n", u);
					abort();
				}
				k++;
			}
		return true;
	}
	for (size_t u = 0; u < n; u++)
		if (units[u].id != c->prev_ids[u] &&
		    !changed_unit_push(c, u, n)) {
			c->nchg_units = 0;
			return false;
		}
	return true;
}

static int
index_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

void
dag_cache_units_changed(struct dag_cache *c, const size_t *idx, size_t n)
{
	size_t w = 0;

	if (c->hint_cap < n + 1) {
		c->hint_cap = n + 16;
		free(c->hint);
		c->hint = xreallocarray(NULL, c->hint_cap, sizeof *c->hint);
	}
	if (n > 0) /* idx may be NULL then, which memcpy may not be given */
		memcpy(c->hint, idx, n * sizeof *idx);
	qsort(c->hint, n, sizeof *c->hint, index_cmp);
	for (size_t k = 0; k < n; k++) /* each once */
		if (w == 0 || c->hint[w - 1] != c->hint[k])
			c->hint[w++] = c->hint[k];
	c->nhint = w;
	c->hint_valid = true;
}

/* The grouping of the last build holds again when the same files are
 * in the same order and every changed one has the keys its previous
 * version had (an edit of routes, of a Service's ports): the common
 * change, decided without the union-find over every key. Keys of the
 * versions replaced stay in the table until the next full grouping,
 * which runs before they are as many as the units. */
bool
parts_units_regroup_same(struct dag_cache *c, const struct dag_unit *units,
    size_t n, const size_t **group_of, size_t *tls_group)
{
	if (c->prev_ids == NULL || n != c->prev_n || c->nunits > 2 * n + 64 ||
	    !changed_units_find(c, units, n))
		return false;
	units_reserve(c, c->nchg_units);
	for (size_t k = 0; k < c->nchg_units; k++) {
		size_t u = c->chg_units[k];
		const struct unit_keys *old, *now;

		old = unit_slot(c->units, c->ucap, c->prev_ids[u]);
		now = unit_keys_get(c, &units[u]);
		if (old->id == 0 || old->n != now->n ||
		    memcmp(old->keys, now->keys,
		    now->n * sizeof now->keys[0]) != 0) {
			c->nchg_units = 0;
			return false;
		}
	}
	/* Flags as a full grouping leaves them (units_sweep). */
	for (size_t k = 0; k < c->nchg_units; k++) {
		size_t u = c->chg_units[k];

		unit_slot(c->units, c->ucap, units[u].id)->used = false;
		c->prev_ids[u] = units[u].id;
	}
	*group_of = c->prev_group_of; /* the same: not copied */
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
uint64_t
parts_owners_fingerprint(struct dag_cache *c, const struct dag_unit *units,
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

/* A file version the last build had (gw_memo_sweep). */
bool
parts_unit_live(void *ctx, uint64_t id)
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
		    "under no key of %s: object_keys (src/dag/parts_keys.c) misses it",
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
