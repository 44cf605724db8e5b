/* A Gateway's view (translate_gateway.c) patched from the last
 * translation's. The view is the clusters and ClusterLoadAssignments the
 * Gateway's routes use, sorted by name and unique as in a DAG. Made
 * whole, it reads every route of every host; here each host is known by
 * its routes array and length (a kept host keeps its array: the same
 * address in the DAG the translate cache holds is the same routes, which
 * a DAG never changes), every cluster and endpoints by its address, each
 * counted once per reference. A translation walks only the routes of the
 * hosts that came or went, and the sorted arrays take the clusters whose
 * count left or reached zero.
 *
 * Routes resolved apart may each make a cluster of one name (the name
 * hashes every option a cluster has: they are equal). The view takes the
 * one of lowest address, as gateway_view does, and the endpoints of every
 * one of them, also one per name: the arrays below hold every member by
 * (name, address), and a name of several members is skipped after its
 * first when the view is copied out.
 *
 * The addresses are those of the DAG the translate cache holds (its last
 * translation's, alive until this translation ends), checked at each
 * patch: a memo of another DAG is started again. */
#include "xds/translate_gateway_view.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

/* A host with routes, as the last patch walked them (ports in order,
 * each port's hosts in order): its routes array and count, its port's
 * index, and whether one of its routes has a session (the port's
 * stateful_session filter, gw_view_session). */
struct vm_host {
	const struct dag_route *routes;
	size_t n;
	uint32_t port;
	bool session;
};

struct vm_walk {
	struct vm_host *v;
	size_t n, cap;
};

/* A cluster or endpoints by address and its references. A slot whose
 * count fell to zero stays until the table is grown again. `gen` and
 * `was`: the patch that first touched it, and whether it was in the
 * view then. */
struct vm_ref {
	const void *p; /* NULL: empty slot */
	uint32_t count;
	uint32_t gen : 31;
	uint32_t was : 1;
};

/* Patches counted before the memo starts again (gen has 31 bits). */
#define VM_GEN_MAX 0x7ffffff0u

struct vm_refs {
	struct vm_ref *slots;
	size_t cap, used;
	const void **touched; /* this patch's, in the order first touched */
	size_t ntouched, touched_cap;
};

/* The hashes of a table's members' names and how many members have
 * each (open addressing; a hash counted down to zero stays until the
 * table grows). Two names of one hash count as shared: the view is then
 * copied out comparing names, which costs time, never a member. */
struct vm_name {
	uint64_t hash; /* 0: empty slot */
	size_t count;
};

struct vm_names {
	struct vm_name *slots;
	size_t cap, used;
	size_t shared; /* hashes of more than one member */
};

struct gw_view_memo {
	const struct dag *dag; /* whose addresses it holds; NULL: none yet */
	struct vm_walk walk, spare; /* the last patch's hosts; spare: reused */
	/* Per port index: its hosts whose routes have a session. */
	size_t *sessions;
	size_t nsessions;
	struct vm_refs clusters, endpoints;
	struct vm_names cluster_names, endpoint_names;
	/* In the view (count > 0), sorted by name and address; valid when
	 * sorted. */
	struct dag_cluster **cl;
	size_t ncl;
	struct dag_endpoints **ep;
	size_t nep;
	bool sorted;
	size_t secretful; /* clusters in the view with upstream certificates */
	unsigned gen;
};

static size_t
ptr_hash(const void *p, size_t salt)
{
	uint64_t h = ((uint64_t)(uintptr_t)p ^ (uint64_t)salt *
	    0xff51afd7ed558ccdULL) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 17);
}

static struct vm_ref *
ref_slot(struct vm_refs *r, const void *p)
{
	size_t j = ptr_hash(p, 0) & (r->cap - 1);

	while (r->slots[j].p != NULL && r->slots[j].p != p)
		j = (j + 1) & (r->cap - 1);
	return &r->slots[j];
}

/* Grows (and drops the slots counted down to zero but those patch gen
 * touched) when a new slot would fill more than half. */
static void
refs_reserve(struct vm_refs *r, unsigned gen)
{
	struct vm_ref *old = r->slots;
	size_t oldcap = r->cap, live = 0;

	if (2 * (r->used + 1) <= r->cap)
		return;
	for (size_t i = 0; i < oldcap; i++)
		live += old[i].p != NULL && (old[i].count > 0 || old[i].gen == gen);
	for (r->cap = 64; r->cap < 3 * (live + 1); r->cap *= 2)
		;
	r->slots = xcalloc(r->cap, sizeof *r->slots);
	r->used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].p != NULL && (old[i].count > 0 || old[i].gen == gen)) {
			*ref_slot(r, old[i].p) = old[i];
			r->used++;
		}
	free(old);
}

/* p's count moved by +1 or -1 in patch gen; the first move of a patch
 * records whether p was in the view before it. */
static void
refs_move(struct vm_refs *r, const void *p, bool up, unsigned gen)
{
	struct vm_ref *s;

	refs_reserve(r, gen);
	s = ref_slot(r, p);
	if (s->p == NULL) {
		s->p = p;
		r->used++;
	}
	if (s->gen != gen) {
		s->gen = gen;
		s->was = s->count > 0;
		ARRAY_PUSH(r->touched, r->ntouched, r->touched_cap, p);
	}
	if (up)
		s->count++;
	else if (s->count > 0)
		s->count--;
}

static void
refs_free(struct vm_refs *r)
{
	free(r->slots);
	free(r->touched);
}

static struct vm_name *
name_slot(struct vm_names *t, uint64_t h)
{
	size_t j = (size_t)h & (t->cap - 1);

	while (t->slots[j].hash != 0 && t->slots[j].hash != h)
		j = (j + 1) & (t->cap - 1);
	return &t->slots[j];
}

static void
names_reserve(struct vm_names *t)
{
	struct vm_name *old = t->slots;
	size_t oldcap = t->cap, live = 0;

	if (2 * (t->used + 1) <= t->cap)
		return;
	for (size_t i = 0; i < oldcap; i++)
		live += old[i].hash != 0 && old[i].count > 0;
	for (t->cap = 64; t->cap < 3 * (live + 1); t->cap *= 2)
		;
	t->slots = xcalloc(t->cap, sizeof *t->slots);
	t->used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].hash != 0 && old[i].count > 0) {
			*name_slot(t, old[i].hash) = old[i];
			t->used++;
		}
	free(old);
}

/* A member of that name came into the view (up) or left it. */
static void
names_move(struct vm_names *t, const char *name, bool up)
{
	uint64_t h = hash_bytes(name, strlen(name));
	struct vm_name *s;

	if (h == 0)
		h = 1;
	names_reserve(t);
	s = name_slot(t, h);
	if (s->hash == 0) {
		s->hash = h;
		t->used++;
	}
	if (up) {
		if (++s->count == 2)
			t->shared++;
	} else if (s->count > 0) {
		if (s->count-- == 2)
			t->shared--;
	}
}

static void
names_free(struct vm_names *t)
{
	free(t->slots);
}

/* Every cluster reference of a host's routes, as gateway_view reads
 * them. */
static void
host_move(struct gw_view_memo *m, const struct dag_route *routes, size_t n,
    bool up)
{
	for (size_t r = 0; r < n; r++) {
		const struct dag_route *rt = &routes[r];

		for (size_t c = 0; c < rt->nclusters; c++)
			refs_move(&m->clusters, rt->clusters[c].cluster, up, m->gen);
		if (dag_route_rare(rt)->mirror != NULL)
			refs_move(&m->clusters, dag_route_rare(rt)->mirror, up, m->gen);
		for (size_t k = 0; k < dag_route_rare(rt)->nmirrors; k++)
			refs_move(&m->clusters, dag_route_rare(rt)->mirrors[k].cluster, up, m->gen);
	}
}

static bool
has_secrets(const struct dag_cluster *c)
{
	return c->upstream_ca != NULL || c->upstream_client_cert != NULL;
}

/* By name, then address (gateway_view's order: the first of a name is
 * the one of lowest address). */
static int
addr_cmp(const void *x, const void *y)
{
	return (uintptr_t)x < (uintptr_t)y ? -1 : (uintptr_t)x > (uintptr_t)y;
}

static int
cluster_cmp(const void *a, const void *b)
{
	const void *x = *(void *const *)a, *y = *(void *const *)b;
	int c = strcmp(((const struct dag_cluster *)x)->name,
	    ((const struct dag_cluster *)y)->name);

	return c != 0 ? c : addr_cmp(x, y);
}

static int
endpoints_cmp(const void *a, const void *b)
{
	const void *x = *(void *const *)a, *y = *(void *const *)b;
	int c = strcmp(((const struct dag_endpoints *)x)->name,
	    ((const struct dag_endpoints *)y)->name);

	return c != 0 ? c : addr_cmp(x, y);
}

/* A member to sort, with its name's first bytes as a big-endian number:
 * most comparisons of a first sort (names start with their namespace)
 * end there without reading the member or its name, scattered over the
 * routes' holders. */
struct sort_key {
	uint64_t prefix;
	const char *name;
	void *p;
};

static uint64_t
name_prefix(const char *name)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; i < 8 && name[i] != '\0'; i++)
		v = v << 8 | (unsigned char)name[i];
	return v << (8 * (8 - i));
}

/* cluster_cmp's and endpoints_cmp's order: by name (as strcmp, whose
 * bytes compare unsigned), then address. */
static int
sort_key_cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return addr_cmp(x->p, y->p);
}

/* The view's members of r (count > 0) sorted into *arr, in cmp's order
 * (cluster_cmp or endpoints_cmp: by name as name_of gives it, then
 * address). */
static void
sorted_rebuild(const struct vm_refs *r, void ***arr, size_t *n,
    const char *(*name_of)(const void *))
{
	struct sort_key *keys;
	size_t k = 0;

	*arr = xreallocarray(*arr, r->used + 1, sizeof **arr);
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].p != NULL && r->slots[i].count > 0)
			(*arr)[k++] = (void *)r->slots[i].p;
	*n = k;
	if (k < 2)
		return;
	keys = xreallocarray(NULL, k, sizeof *keys);
	for (size_t i = 0; i < k; i++) {
		keys[i].name = name_of((*arr)[i]);
		keys[i].prefix = name_prefix(keys[i].name);
		keys[i].p = (*arr)[i];
	}
	qsort(keys, k, sizeof *keys, sort_key_cmp);
	for (size_t i = 0; i < k; i++)
		(*arr)[i] = keys[i].p;
	free(keys);
}

/* Where p goes in arr[0..n) (sorted by cmp, unique): its index, and *eq
 * when arr has it. */
static size_t
sorted_place(void *const *arr, size_t n, const void *p,
    int (*cmp)(const void *, const void *), bool *eq)
{
	size_t lo = 0, hi = n;

	*eq = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(&arr[mid], &p);

		if (c == 0) {
			*eq = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* At most this many comings and goings are placed one by one; more sort
 * the whole again. */
#define VIEW_PATCH_MAX 64

/* arr[0..*n) (sorted by cmp: by name as name_of gives it, then
 * address) patched by r's touched members: those that left the view are
 * taken out, those that came put in their place. False when an address
 * is not where the order says (the caller sorts again). */
static bool
sorted_patch(const struct vm_refs *r, void ***arr, size_t *n,
    int (*cmp)(const void *, const void *),
    const char *(*name_of)(const void *))
{
	void **in, **out;
	size_t nin = 0, k = 0, i = 0, gone = 0, *gone_at;

	if (r->ntouched > VIEW_PATCH_MAX) {
		sorted_rebuild(r, arr, n, name_of);
		return true;
	}
	in = xreallocarray(NULL, r->ntouched + 1, sizeof *in);
	gone_at = xreallocarray(NULL, r->ntouched + 1, sizeof *gone_at);
	for (size_t t = 0; t < r->ntouched; t++) {
		const struct vm_ref *s = ref_slot((struct vm_refs *)r,
		    r->touched[t]);
		bool now = s->count > 0, eq;
		size_t at;

		if (s->was == now)
			continue;
		if (now) {
			in[nin++] = (void *)s->p;
			continue;
		}
		at = sorted_place(*arr, *n, s->p, cmp, &eq);
		if (!eq) {
			free(in);
			free(gone_at);
			return false;
		}
		gone_at[gone++] = at;
	}
	/* What left is taken out first: a route made again names its
	 * clusters by the names its last resolution had. */
	for (size_t j = 0; j < gone; j++)
		(*arr)[gone_at[j]] = NULL;
	free(gone_at);
	for (size_t j = 0; gone > 0 && j < *n; j++)
		if ((*arr)[j] != NULL)
			(*arr)[k++] = (*arr)[j];
	if (gone > 0)
		*n = k;
	if (nin == 0) {
		free(in);
		return true;
	}
	if (nin > 1)
		qsort(in, nin, sizeof *in, cmp);
	out = xreallocarray(NULL, *n + nin + 1, sizeof *out);
	k = 0;
	for (size_t a = 0; a < nin; a++) {
		bool eq;
		size_t at = sorted_place(*arr, *n, in[a], cmp, &eq);

		if (eq) {
			free(in);
			free(out);
			return false;
		}
		memcpy(out + k, *arr + i, (at - i) * sizeof *out);
		k += at - i;
		i = at;
		out[k++] = in[a];
	}
	memcpy(out + k, *arr + i, (*n - i) * sizeof *out);
	k += *n - i;
	free(*arr);
	free(in);
	*arr = out;
	*n = k;
	return true;
}

static void
memo_reset(struct gw_view_memo *m)
{
	free(m->walk.v);
	free(m->spare.v);
	free(m->sessions);
	refs_free(&m->clusters);
	refs_free(&m->endpoints);
	names_free(&m->cluster_names);
	names_free(&m->endpoint_names);
	free(m->cl);
	free(m->ep);
	memset(m, 0, sizeof *m);
}

void
gw_view_memo_free(struct gw_view_memo *m)
{
	if (m == NULL)
		return;
	memo_reset(m);
	free(m);
}

/* The clusters that came into the view or left it, moved to their
 * names, their endpoints and the count of those with certificates; then
 * the endpoints that came or left, to theirs. */
static void
presence_move(struct gw_view_memo *m)
{
	struct vm_refs *r = &m->clusters;

	for (size_t t = 0; t < r->ntouched; t++) {
		const struct vm_ref *s = ref_slot(r, r->touched[t]);
		const struct dag_cluster *c = s->p;
		bool now = s->count > 0;

		if (s->was == now)
			continue;
		names_move(&m->cluster_names, c->name, now);
		if (has_secrets(c)) {
			if (now)
				m->secretful++;
			else
				m->secretful--;
		}
		if (c->endpoints != NULL)
			refs_move(&m->endpoints, c->endpoints, now, m->gen);
	}
	r = &m->endpoints;
	for (size_t t = 0; t < r->ntouched; t++) {
		const struct vm_ref *s = ref_slot(r, r->touched[t]);
		bool now = s->count > 0;

		if (s->was != now)
			names_move(&m->endpoint_names,
			    ((const struct dag_endpoints *)s->p)->name, now);
	}
}

/* arr[0..n) into a new array, the first member of each name only when
 * some names have several. */
static void **
view_copy(void *const *arr, size_t n, bool shared,
    const char *(*name)(const void *), size_t *nout)
{
	void **out = xreallocarray(NULL, n + 1, sizeof *out);
	size_t k = 0;

	if (!shared) {
		memcpy(out, arr, n * sizeof *out);
		*nout = n;
		return out;
	}
	for (size_t i = 0; i < n; i++)
		if (k == 0 || strcmp(name(out[k - 1]), name(arr[i])) != 0)
			out[k++] = arr[i];
	*nout = k;
	return out;
}

/* Whether some route of routes[0 .. n) has a session. */
static bool
routes_session(const struct dag_route *routes, size_t n)
{
	for (size_t r = 0; r < n; r++)
		if (dag_route_rare(&routes[r])->session != NULL)
			return true;
	return false;
}

static bool
host_same(const struct vm_host *a, const struct vm_host *b)
{
	return a->routes == b->routes && a->n == b->n && a->port == b->port;
}

/* A host that came (up) or went: its clusters' references and its
 * port's sessions. */
static void
host_change(struct gw_view_memo *m, struct vm_host *h, bool up)
{
	if (up)
		h->session = routes_session(h->routes, h->n);
	host_move(m, h->routes, h->n, up);
	if (h->session)
		m->sessions[h->port] += up ? 1 : (size_t)-1;
}

/* How far the walk looks ahead for the next host kept: past a run of
 * hosts that came or went. */
#define VM_LOOK 8

/* gw's hosts with routes against the last patch's, both in walk order:
 * a kept host is at the cursor of the last walk (its routes array, count
 * and port the same), so only the hosts that came or went are read. A
 * host that the look-ahead misses is counted as gone and come again,
 * which moves nothing. */
static void
hosts_patch(struct gw_view_memo *m, const struct dag_gateway *gw)
{
	struct vm_walk now = m->spare;
	const struct vm_walk *last = &m->walk;
	size_t i = 0, j = 0;

	now.n = 0;
	if (gw->nports > m->nsessions) {
		m->sessions = xreallocarray(m->sessions, gw->nports,
		    sizeof *m->sessions);
		memset(m->sessions + m->nsessions, 0,
		    (gw->nports - m->nsessions) * sizeof *m->sessions);
		m->nsessions = gw->nports;
	}
	for (size_t p = 0; p < gw->nports; p++)
		for (size_t v = 0; v < gw->ports[p].nvhosts; v++) {
			const struct dag_vhost *vh = &gw->ports[p].vhosts[v];

			if (vh->nroutes > 0)
				ARRAY_PUSH(now.v, now.n, now.cap, ((struct vm_host){
				    .routes = vh->routes, .n = vh->nroutes,
				    .port = (uint32_t)p }));
		}
	while (i < now.n || j < last->n) {
		bool found = false;

		if (i < now.n && j < last->n && host_same(&now.v[i], &last->v[j])) {
			now.v[i++].session = last->v[j++].session;
			continue;
		}
		for (size_t d = 1; d <= VM_LOOK && !found; d++) {
			if (i < now.n && j + d < last->n &&
			    host_same(&now.v[i], &last->v[j + d])) {
				for (; d > 0; d--)
					host_change(m, &last->v[j++], false);
				found = true;
			} else if (j < last->n && i + d < now.n &&
			    host_same(&now.v[i + d], &last->v[j])) {
				for (; d > 0; d--)
					host_change(m, &now.v[i++], true);
				found = true;
			}
		}
		if (found)
			continue;
		if (i < now.n)
			host_change(m, &now.v[i++], true);
		if (j < last->n)
			host_change(m, &last->v[j++], false);
	}
	m->spare = m->walk;
	m->walk = now;
}

bool
gw_view_session(const struct gw_view_memo *m, size_t port)
{
	return m != NULL && port < m->nsessions && m->sessions[port] > 0;
}

bool
gw_view_patch(struct gw_view_memo **mp, const struct dag *held,
    const struct dag *dag, const struct dag_gateway *gw, struct dag *view)
{
	struct gw_view_memo *m = *mp;
	bool ok;

	if (m == NULL)
		m = *mp = xcalloc(1, sizeof *m);
	if ((m->dag != NULL && m->dag != held) || m->gen >= VM_GEN_MAX)
		memo_reset(m);
	m->dag = dag;
	m->gen++;
	m->clusters.ntouched = m->endpoints.ntouched = 0;
	hosts_patch(m, gw);
	presence_move(m);
	ok = m->sorted &&
	    sorted_patch(&m->clusters, (void ***)&m->cl, &m->ncl, cluster_cmp,
	    gw_view_cluster_name) &&
	    sorted_patch(&m->endpoints, (void ***)&m->ep, &m->nep, endpoints_cmp,
	    gw_view_endpoints_name);
	if (!ok) {
		sorted_rebuild(&m->clusters, (void ***)&m->cl, &m->ncl,
		    gw_view_cluster_name);
		sorted_rebuild(&m->endpoints, (void ***)&m->ep, &m->nep,
		    gw_view_endpoints_name);
	}
	m->sorted = true;
	if (m->secretful > 0)
		return false;
	/* The TLS and TCP ports' clusters are not counted here. */
	for (size_t p = 0; p < gw->nports; p++)
		for (size_t c = 0; c < gw->ports[p].nchains; c++) {
			const struct dag_gw_chain *ch = &gw->ports[p].chains[c];

			if (ch->tcpproxy != NULL && ch->tcpproxy->nclusters > 0)
				return false;
		}
	view->clusters = (struct dag_cluster **)view_copy((void *const *)m->cl,
	    m->ncl, m->cluster_names.shared > 0, gw_view_cluster_name,
	    &view->nclusters);
	view->endpoints = (struct dag_endpoints **)view_copy(
	    (void *const *)m->ep, m->nep, m->endpoint_names.shared > 0,
	    gw_view_endpoints_name, &view->nendpoints);
	return true;
}
