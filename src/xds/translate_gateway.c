/* One Gateway's resources (SPEC.md §5a, docs/gateway-api.md): what an
 * Envoy naming the Gateway in its node metadata gets, and nothing else.
 * The clusters and ClusterLoadAssignments are made by the same code as
 * the default snapshot's, over a view of the DAG holding only those this
 * Gateway's routes use. */
#include "xds/memo_internal.h"
#include "xds/translate_gateway_tls.h"
#include "xds/translate_gateway_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/route/v3/route.pb-c.h"
#include "util/xalloc.h"
#include "xds/pb_encode.h"

typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;

/* By name, then address: routes resolved apart may each make a cluster
 * (and endpoints) of one name, equal since the name hashes every option;
 * the view takes the one of lowest address, so that a view patched from
 * the last one (translate_gateway_view.c) takes the same. */
static int
addr_cmp(const void *x, const void *y)
{
	return (uintptr_t)x < (uintptr_t)y ? -1 : (uintptr_t)x > (uintptr_t)y;
}

static int
cluster_name_cmp(const void *a, const void *b)
{
	const struct dag_cluster *x = *(struct dag_cluster *const *)a;
	const struct dag_cluster *y = *(struct dag_cluster *const *)b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : addr_cmp(x, y);
}

static int
endpoints_name_cmp(const void *a, const void *b)
{
	const struct dag_endpoints *x = *(struct dag_endpoints *const *)a;
	const struct dag_endpoints *y = *(struct dag_endpoints *const *)b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : addr_cmp(x, y);
}

/* Sorts arr by name and address and keeps the first of each name: a DAG
 * has one cluster (and one ClusterLoadAssignment) per name. Sorting once
 * keeps a Gateway with thousands of routes linear-logarithmic, not
 * quadratic. */
static void
sort_unique(void **arr, size_t *n, int (*cmp)(const void *, const void *),
    const char *(*name)(const void *))
{
	size_t k = 0;

	if (*n > 1)
		qsort(arr, *n, sizeof arr[0], cmp);
	for (size_t i = 0; i < *n; i++)
		if (k == 0 || strcmp(name(arr[k - 1]), name(arr[i])) != 0)
			arr[k++] = arr[i];
	*n = k;
}

static int
secret_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct dag_secret *const *)a)->name,
	    (*(struct dag_secret *const *)b)->name);
}

static void
secret_add(struct dag *view, size_t *cap, const struct dag_secret *s)
{
	for (size_t i = 0; s != NULL && i < view->nsecrets; i++)
		if (strcmp(view->secrets[i]->name, s->name) == 0)
			return;
	if (s != NULL)
		ARRAY_PUSH(view->secrets, view->nsecrets, *cap,
		    (struct dag_secret *)s);
}

/* The TLS and TCP side of the view: the clusters of TLSRoutes and
 * TCPRoutes, the certificates and CAs of the chains and, unless
 * chains_only, of the clusters. */
static void
gateway_view_tls(const struct dag_gateway *gw, struct dag *view, size_t *ccap,
    bool chains_only)
{
	size_t scap = 0;

	for (size_t p = 0; p < gw->nports; p++)
		for (size_t c = 0; c < gw->ports[p].nchains; c++) {
			const struct dag_gw_chain *ch = &gw->ports[p].chains[c];

			for (size_t k = 0; ch->tcpproxy &&
			    k < ch->tcpproxy->nclusters; k++)
				ARRAY_PUSH(view->clusters, view->nclusters, *ccap,
				    ch->tcpproxy->clusters[k].cluster);
			for (size_t k = 0; k < ch->ncertificates; k++)
				secret_add(view, &scap, ch->certificates[k]);
			secret_add(view, &scap, ch->client_ca);
		}
	for (size_t i = 0; !chains_only && i < view->nclusters; i++)
	{
		secret_add(view, &scap, view->clusters[i]->upstream_ca);
		secret_add(view, &scap, view->clusters[i]->upstream_client_cert);
	}
	if (view->nsecrets > 1)
		qsort(view->secrets, view->nsecrets, sizeof view->secrets[0],
		    secret_name_cmp);
}

/* A set of cluster pointers (open addressing, cap a power of 2): the
 * routes of a host name the same clusters again and again; sorting
 * every reference by name would compare each repeat. */
struct ptr_set {
	const void **slots;
	size_t cap;
};

static bool
ptr_set_add(struct ptr_set *set, const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL;
	size_t j = (size_t)(h >> 20) & (set->cap - 1);

	while (set->slots[j] != NULL) {
		if (set->slots[j] == p)
			return false;
		j = (j + 1) & (set->cap - 1);
	}
	set->slots[j] = p;
	return true;
}

static bool
ptr_set_has(const struct ptr_set *set, const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL;
	size_t j = (size_t)(h >> 20) & (set->cap - 1);

	while (set->slots[j] != NULL) {
		if (set->slots[j] == p)
			return true;
		j = (j + 1) & (set->cap - 1);
	}
	return false;
}

/* arr[0..*n) sorted by name and unique, taken in the order of the
 * owner DAG's all[0..nall) (sorted by name), when every one of them is
 * there: no comparison of names but one per element kept. A Gateway
 * using most of the DAG's clusters (its routes made them) is then
 * linear; false (arr as it was) when some is not in all, or two share a
 * name, or all is much longer than arr. */
static bool
view_in_dag_order(void **arr, size_t *n, void *const *all, size_t nall,
    const char *(*name)(const void *))
{
	struct ptr_set set = { .cap = 64 };
	size_t k = 0, want = 0;
	void **out;
	bool ok = true;

	if (*n < 64 || nall > 8 * *n)
		return false;
	while (set.cap < 2 * *n)
		set.cap *= 2;
	set.slots = xcalloc(set.cap, sizeof *set.slots);
	for (size_t i = 0; i < *n; i++)
		want += ptr_set_add(&set, arr[i]);
	out = xreallocarray(NULL, want + 1, sizeof *out);
	for (size_t i = 0; i < nall && k < want; i++) {
		if (!ptr_set_has(&set, all[i]))
			continue;
		if (k > 0 && strcmp(name(out[k - 1]), name(all[i])) >= 0) {
			ok = false;
			break;
		}
		out[k++] = all[i];
	}
	free(set.slots);
	if (!ok || k != want) {
		free(out);
		return false;
	}
	memcpy(arr, out, k * sizeof *out);
	*n = k;
	free(out);
	return true;
}

/* The clusters a host's routes named last, most recent first: its rules
 * name the same few again and again, found here without a probe of the
 * set (whose slots are spread over a table twice the references). */
#define VIEW_RECENT 4

static void
view_cluster_add(struct dag *view, size_t *ccap, struct ptr_set *set,
    struct dag_cluster *c, struct dag_cluster **recent)
{
	for (size_t i = 0; i < VIEW_RECENT; i++)
		if (recent[i] == c)
			return;
	memmove(recent + 1, recent, (VIEW_RECENT - 1) * sizeof *recent);
	recent[0] = c;
	if (ptr_set_add(set, c))
		ARRAY_PUSH(view->clusters, view->nclusters, *ccap, c);
}

/* The DAG view: the clusters and endpoints gw's routes use, sorted and
 * unique as in a DAG. Arrays are malloc'd (freed by the caller). */
static void
gateway_view(const struct dag *dag, const struct dag_gateway *gw,
    struct dag *view)
{
	size_t ccap = 0, ecap = 0, nrefs = 0;
	struct ptr_set set = { .cap = 64 };

	memset(view, 0, sizeof *view);
	for (size_t p = 0; p < gw->nports; p++)
		for (size_t v = 0; v < gw->ports[p].nvhosts; v++) {
			const struct dag_vhost *vh = &gw->ports[p].vhosts[v];

			for (size_t r = 0; r < vh->nroutes; r++)
				nrefs += vh->routes[r].nclusters + 1 +
				    dag_route_rare(&vh->routes[r])->nmirrors;
		}
	while (set.cap < 2 * nrefs)
		set.cap *= 2;
	set.slots = xcalloc(set.cap, sizeof *set.slots);
	for (size_t p = 0; p < gw->nports; p++)
		for (size_t v = 0; v < gw->ports[p].nvhosts; v++) {
			const struct dag_vhost *vh = &gw->ports[p].vhosts[v];
			struct dag_cluster *recent[VIEW_RECENT] = { NULL };

			for (size_t r = 0; r < vh->nroutes; r++) {
				const struct dag_route *rt = &vh->routes[r];

				for (size_t c = 0; c < rt->nclusters; c++)
					view_cluster_add(view, &ccap, &set,
					    rt->clusters[c].cluster, recent);
				if (dag_route_rare(rt)->mirror != NULL)
					view_cluster_add(view, &ccap, &set, dag_route_rare(rt)->mirror,
					    recent);
				for (size_t m = 0; m < dag_route_rare(rt)->nmirrors; m++)
					view_cluster_add(view, &ccap, &set,
					    dag_route_rare(rt)->mirrors[m].cluster, recent);
			}
		}
	free(set.slots);
	gateway_view_tls(gw, view, &ccap, false);
	/* The endpoints of every cluster, also of those of a name another
	 * has (equal, as the clusters are). */
	for (size_t i = 0; i < view->nclusters; i++)
		if (view->clusters[i]->endpoints != NULL)
			ARRAY_PUSH(view->endpoints, view->nendpoints, ecap,
			    view->clusters[i]->endpoints);
	if (dag == NULL || dag->clusters == NULL || !view_in_dag_order((void **)view->clusters,
	    &view->nclusters, (void *const *)dag->clusters, dag->nclusters,
	    gw_view_cluster_name))
		sort_unique((void **)view->clusters, &view->nclusters,
		    cluster_name_cmp, gw_view_cluster_name);
	if (dag == NULL || dag->endpoints == NULL || !view_in_dag_order((void **)view->endpoints,
	    &view->nendpoints, (void *const *)dag->endpoints, dag->nendpoints,
	    gw_view_endpoints_name))
		sort_unique((void **)view->endpoints, &view->nendpoints,
		    endpoints_name_cmp, gw_view_endpoints_name);
}

static bool
view_arrays_equal(void *const *a, size_t na, void *const *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* The view, patched from the last translation's when cache has one
 * (translate_gateway_view.c); CAIRN_TRANSLATE_VERIFY makes it whole too
 * and stops at a difference. */
static void
gateway_view_cached(const struct dag *dag, const struct dag_gateway *gw,
    struct translate_cache *cache, struct dag *view)
{
	struct dag whole;
	size_t ccap = 0;

	if (cache == NULL || dag == NULL) {
		gateway_view(dag, gw, view);
		return;
	}
	memset(view, 0, sizeof *view);
	if (!gw_view_patch(&cache->gw_view, cache->held, dag, gw, view)) {
		gateway_view(dag, gw, view);
		return;
	}
	/* No cluster of the view has upstream certificates: the chains' are
	 * all its secrets (gw_view_patch). */
	gateway_view_tls(gw, view, &ccap, true);
	if (!cache->verify)
		return;
	gateway_view(dag, gw, &whole);
	if (!view_arrays_equal((void *const *)view->clusters, view->nclusters,
	    (void *const *)whole.clusters, whole.nclusters) ||
	    !view_arrays_equal((void *const *)view->endpoints, view->nendpoints,
	    (void *const *)whole.endpoints, whole.nendpoints) ||
	    !view_arrays_equal((void *const *)view->secrets, view->nsecrets,
	    (void *const *)whole.secrets, whole.nsecrets)) {
		fprintf(stderr, "cairn: translate cache: Gateway %s/%s: the "
		    "patched view (%zu clusters, %zu endpoints) is not the "
		    "whole one (%zu, %zu)\n", gw->namespace, gw->name,
		    view->nclusters, view->nendpoints, whole.nclusters,
		    whole.nendpoints);
		abort();
	}
	free(whole.clusters);
	free(whole.endpoints);
	free(whole.secrets);
}

/* vh's VirtualHost with each route as its bytes (an unknown field of
 * the routes' number, packed after name and domains: where the routes
 * are, since no later field is set): the bytes its proxyless targets
 * packed for the routes Envoy shares (sr), the others translated and
 * packed here one by one. */
static Envoy__Config__Route__V3__VirtualHost *
shared_vhost(struct translation *t, const struct dag_vhost *vh,
    const struct gw_host_routes *sr)
{
	struct arena *a = &t->arena;
	Envoy__Config__Route__V3__VirtualHost *v = pb_new(a,
	    &envoy__config__route__v3__virtual_host__descriptor);
	ProtobufCMessageUnknownField *u = arena_alloc(a,
	    vh->nroutes * sizeof *u);
	uint32_t field = pb_field_number(v->base.descriptor, "routes");

	v->name = pb_borrow(vh->fqdn);
	v->n_domains = 1;
	v->domains = pb_array(a, 1);
	v->domains[0] = pb_borrow(vh->fqdn);
	for (size_t i = 0; i < vh->nroutes; i++) {
		u[i].tag = field;
		u[i].wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
		if (sr->bytes[i] != NULL) {
			u[i].data = (uint8_t *)sr->bytes[i];
			u[i].len = sr->lens[i];
		} else {
			size_t len, l, nl = 0;
			const uint8_t *r = pb_encode_scratch(
			    translate_route_envoy(t, vh, &vh->routes[i]), &len);
			uint8_t *d = arena_alloc_nozero(a, len + 10);

			/* an unknown field's data: the length, then the bytes */
			for (l = len; l >= 0x80; l >>= 7)
				d[nl++] = (uint8_t)(l | 0x80);
			d[nl++] = (uint8_t)l;
			memcpy(d + nl, r, len);
			u[i].data = d;
			u[i].len = nl + len;
		}
	}
	v->base.n_unknown_fields = vh->nroutes;
	v->base.unknown_fields = u;
	if (translate_pieces_verify(t)) {
		/* protobuf-c's bytes for the whole VirtualHost must be
		 * these (else the first differing offset, and abort) */
		struct pb_writer w = { 0 };
		size_t len;
		const uint8_t *bytes = pb_encode(&w, &v->base, &len);

		pb_encode_check_protobuf_c(&translate_virtual_host(t, vh)->base,
		    bytes, len);
		pb_writer_free(&w);
	}
	return v;
}

/* One of a port's VirtualHosts (memo_http_host). */
static ProtobufCMessage *
make_gateway_vhost(struct translation *t, const void *obj, const char **name)
{
	const struct dag_vhost *vh = obj;
	const struct gw_host_routes *sr = gateway_shared_routes(t, vh);
	Envoy__Config__Route__V3__VirtualHost *v = sr != NULL &&
	    translate_vhost_routes_only(vh) ? shared_vhost(t, vh, sr) :
	    translate_virtual_host(t, vh);

	*name = v->name;
	return &v->base;
}

/* An HTTP port's RouteConfiguration, assembled by the memo from its
 * hosts' bytes: a change to one host serializes that host only. */
static void
gateway_port_routes(struct translation *t, const struct dag_gw_port *gp)
{
	const ProtobufCMessageDescriptor *rcd =
	    &envoy__config__route__v3__route_configuration__descriptor;
	RouteConfiguration *rc = pb_new(&t->arena, rcd);
	struct memo_http *h = memo_http_begin_named(t, gp->name);
	const uint8_t *head;
	uint32_t field;
	size_t len;

	for (size_t v = 0; v < gp->nvhosts; v++) {
		/* Kept hosts in runs: their entries moved, nothing read. */
		size_t run = memo_http_host_run(h, &gp->vhosts[v],
		    gp->nvhosts - v, sizeof gp->vhosts[0]);

		if (run > 0)
			v += run - 1;
		else if (gp->vhosts[v].nroutes > 0)
			memo_http_host(h, &gp->vhosts[v], make_gateway_vhost);
	}
	rc->name = pb_str(&t->arena, gp->name);
	field = pb_field_number(rcd, "virtual_hosts");
	head = pb_pack(&t->arena, &rc->base, &len);
	memo_http_finish(h, head, len, field);
}

/* translate_session_port, from the view memo's counts when
 * gateway_view_cached patched it (then no route is read); verify mode
 * walks the port too and stops at a difference. */
static bool
port_session(const struct dag *dag, const struct dag_gateway *gw, size_t p,
    const struct translate_cache *cache)
{
	bool counted, walked;

	if (cache == NULL || dag == NULL)
		return translate_session_port(&gw->ports[p]);
	counted = gw_view_session(cache->gw_view, p);
	if (!cache->verify)
		return counted;
	walked = translate_session_port(&gw->ports[p]);
	if (walked != counted) {
		fprintf(stderr, "cairn: translate cache: Gateway %s/%s: port %u "
		    "counted %s session routes, has %s\n", gw->namespace,
		    gw->name, (unsigned)gw->ports[p].port, counted ? "some" :
		    "no", walked ? "some" : "none");
		abort();
	}
	return walked;
}

struct snapshot *
translate_gateway_cached(const struct dag *dag, const struct dag_gateway *gw,
    const struct translate_options *o, const char *revision,
    struct translate_cache *cache)
{
	struct dag view;
	struct translation t = { .dag = &view, .opts = o, .gateway_view = true,
	    .cache = cache, .owner = dag };
	struct snapshot *snap;

	gateway_view_cached(dag, gw, cache, &view);
	for (size_t p = 0; p < gw->nports; p++)
		t.gateway_hosts += gw->ports[p].nvhosts;
	arena_init(&t.arena);
	translate_cache_begin(&t);
	t.out = snapshot_builder_new(revision);
	snapshot_builder_set_previous(t.out, translate_cache_last_snapshot(&t));
	translate_clusters(&t);
	translate_endpoints(&t);
	translate_secrets(&t);
	/* The proxyless targets before the ports' Listeners and
	 * RouteConfigurations: each target is then put where the snapshot
	 * has it once sorted, or a few places before, which lets the next
	 * translation take kept hosts' targets in runs (memo_named.c). */
	translate_gateway_proxyless(&t, gw);
	for (size_t p = 0; p < gw->nports; p++) {
		const struct dag_gw_port *gp = &gw->ports[p];

		/* Only a port whose routes use sessionPersistence gets the
		 * stateful_session filter (docs/decisions.md). */
		t.stateful_session = port_session(dag, gw, p, cache);
		/* TLS and TCP ports have no routes; HTTPS ports one
		 * RouteConfiguration per filter chain (translate_gateway_tls.c). */
		if (strcmp(gp->protocol, "HTTP") != 0) {
			translate_gateway_tls_port(&t, gw, gp);
			continue;
		}
		translate_http_listener_named(&t, gp->name, gw->address,
		    gp->port);
		gateway_port_routes(&t, gp);
	}
	t.stateful_session = false;
	gateway_shared_routes_free(&t);
	snap = snapshot_builder_finish(t.out);
	translate_cache_snapshot(&t, snap);
	translate_cache_end(&t);
	arena_free(&t.arena);
	free(view.clusters);
	free(view.endpoints);
	free(view.secrets);
	return snap;
}

struct snapshot *
translate_gateway(const struct dag *dag, const struct dag_gateway *gw,
    const struct translate_options *o, const char *revision)
{
	return translate_gateway_cached(dag, gw, o, revision, NULL);
}
