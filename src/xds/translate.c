#include "xds/translate_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/sorted.h"
#include "util/xalloc.h"
#include "xds/pb_encode.h"

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"

void
translate_options_init(struct translate_options *o)
{
	memset(o, 0, sizeof *o);
	o->http_address = "0.0.0.0";
	o->http_port = 8080;
	o->http_access_log = "/dev/stdout";
	o->connect_timeout_ms = 2000;
	o->connection_idle_timeout_ms = 60000;
	o->https_address = "0.0.0.0";
	o->https_port = 8443;
	o->https_access_log = "/dev/stdout";
	o->alpn_h2 = o->alpn_http11 = true;
	o->tls_minimum_version = "1.2";
	o->tls_maximum_version = "1.3";
}

void
translation_emit(struct translation *t, enum xds_type type, const char *name,
    const ProtobufCMessage *m, bool named_only)
{
	size_t len;
	const uint8_t *packed;
	uint8_t *bytes;

	if (t->cache != NULL) {
		/* A blob, which the next snapshot may share. */
		struct xds_blob *b = translation_pack(t, name, m);

		snapshot_builder_give_blob(t->out, type, b, named_only);
		return;
	}
	/* Straight into the snapshot, no blob: one copy out of the writer. */
	packed = pb_encode_scratch(m, &len);
	bytes = snapshot_builder_alloc(t->out, len);
	memcpy(bytes, packed, len);
	snapshot_builder_add_nocopy(t->out, type, name, bytes, len, named_only);
}

bool
translation_has_routes(const struct translation *t)
{
	/* Routes that exist only on ingress_https do not count. */
	struct dag_cursor c;

	dag_cursor_init(&c, t->dag, DAG_ARRAY_VHOSTS);
	for (size_t i = 0; i < t->dag->nvhosts; i++) {
		const struct dag_vhost *vh = dag_cursor_at(&c, i, NULL);

		for (size_t j = 0; j < vh->nroutes; j++)
			if (!vh->routes[j].secure_only)
				return true;
	}
	return false;
}

bool
translation_proxyless_host(const struct dag_vhost *vh)
{
	return vh->nroutes > 0 && vh->fqdn[0] != '*';
}

struct Google__Protobuf__Duration *
translation_timeout(struct arena *a, int64_t ms)
{
	if (ms == DAG_TIMEOUT_DEFAULT)
		return NULL;
	return pb_duration_ms(a, ms);
}

/* xds_name_hash(name), remembered by address: a cluster's name is one
 * string that every route to it points at. */
struct name_hashes {
	struct {
		const char *p;
		uint64_t h;
	} slot[4096];
};

static uint64_t
name_hash_memo(struct name_hashes *m, const char *name)
{
	size_t k = (size_t)(((uintptr_t)name * UINT64_C(0x9e3779b97f4a7c15)) >> 40) % 4096;

	if (m->slot[k].p != name) {
		m->slot[k].p = name;
		m->slot[k].h = xds_name_hash(name);
	}
	return m->slot[k].h;
}

/* Whether h is among v[0 .. n). */
static bool
has_hash(const uint64_t *v, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == h)
			return true;
	return false;
}

/* The clusters vh's routes send traffic to (weighted backends and
 * mirrors), as a blob of uint64: how many of them port 80 routes to,
 * whether some route or backend has cookieRewritePolicies (USES_COOKIES),
 * then the hashes, those first, each once. What forwards where follows the
 * translator (translate_route.c route(), translate_http_view,
 * secure_view): a route with backends forwards on port 80 unless it is
 * https-only, a TLS host's redirect or an https redirect; on 443 the
 * redirects forward too. A host whose routes are the last build's (the
 * same array: the memo finds it in order) reuses the last blob, so a change costs
 * a walk of the changed hosts' routes only. The caller unrefs the blob. */
#define USES_HEAD MEMO_USES_HEAD
#define USES_COOKIES MEMO_USES_COOKIES
static struct xds_blob *
vhost_uses(struct translation *t, const void *obj)
{
	const struct dag_vhost *vh = obj;
	struct name_hashes *memo = t->name_hashes;
	uint64_t *v = NULL;
	size_t n = 0, cap = 0, nhttp = 0;
	uint64_t head[USES_HEAD] = { 0, 0 };
	struct xds_blob *b;

	/* Contour adds its Lua filter to every connection manager; cairn
	 * adds it once some route or service has cookieRewritePolicies, so
	 * that listeners without them do not change. */
	for (size_t j = 0; j < vh->nroutes; j++) {
		const struct dag_route *r = &vh->routes[j];

		if (dag_route_rare(r)->ncookie_rewrites > 0)
			head[1] = USES_COOKIES;
		for (size_t k = 0; k < r->nclusters; k++)
			if (r->clusters[k].ncookie_rewrites > 0)
				head[1] = USES_COOKIES;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t j = 0; j < vh->nroutes; j++) {
			const struct dag_route *r = &vh->routes[j];
			bool forwards = r->nclusters > 0 &&
			    (r->action == DAG_ACTION_FORWARD ||
			    r->action == DAG_ACTION_HTTPS_REDIRECT);
			bool http = r->action == DAG_ACTION_FORWARD &&
			    !r->secure_only && !r->https_upgrade;

			if (!forwards || http != (pass == 0))
				continue;
			for (size_t k = 0; k <= r->nclusters; k++) {
				const struct dag_cluster *dc = k < r->nclusters ?
				    r->clusters[k].cluster : dag_route_rare(r)->mirror;
				uint64_t h;

				if (dc == NULL)
					continue;
				h = name_hash_memo(memo, dc->name);
				/* A host has few clusters: a scan is enough. */
				if (!has_hash(v, n, h))
					ARRAY_PUSH(v, n, cap, h);
			}
		}
		if (pass == 0)
			nhttp = n;
	}
	b = xds_blob_new("", (n + USES_HEAD) * sizeof(uint64_t));
	head[0] = nhttp;
	memcpy(b->bytes, head, sizeof head);
	if (n > 0)
		memcpy(b->bytes + USES_HEAD * sizeof(uint64_t), v, n * sizeof *v);
	free(v);
	return b;
}

static int
cluster_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct dag_cluster *const *)elem)->name);
}

const struct dag_cluster *
translation_cluster(const struct dag *dag, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	i = dag_array_search(dag, DAG_ARRAY_CLUSTERS, name, cluster_name_cmp);
	if (i < dag->nclusters &&
	    strcmp(name, dag_cluster_at(dag, i)->name) == 0)
		return dag_cluster_at(dag, i);
	return NULL;
}

/* What each Listener and RouteConfiguration uses, for the ADS warming
 * gate (SPEC §8; an EDS Cluster's is set in translate_clusters): recorded
 * from the DAG, not decoded from the resources, in each type's name order
 * (the snapshot then finds them in one walk). Sets t->cookie_lua on the way (the same per-host blobs say
 * it), so it runs before the listeners are made. Envoy's route configurations only: a proxyless client's
 * RouteConfiguration <fqdn> always comes before the clusters it names
 * (warming.h), so it never waits. */
static void
translate_uses(struct translation *t)
{
	const struct dag *dag = t->dag;
	struct name_hashes *memo = xcalloc(1, sizeof *memo);
	uint64_t *all = NULL, *fallback = NULL, *tcp = NULL, ext[3];
	size_t nall = 0, capall = 0, nfb = 0, capfb = 0, ntcp = 0, captcp = 0;
	size_t next = 0;
	const char *ext_names[3] = { t->opts->rate_limit_cluster,
		t->opts->tracing_cluster, t->opts->global_ext_auth_cluster };
	/* With a cache, ingress_http's uses are the memo's union, kept by
	 * the delta of the hosts' blobs (memo_uses_shared): an unchanged
	 * host without TLS is not read, its run taken as a block. */
	bool counted = t->cache != NULL;
	const struct xds_blob *shared;
	bool cookies;
	struct dag_cursor cur;

	t->name_hashes = memo;
	dag_cursor_init(&cur, dag, DAG_ARRAY_VHOSTS);
	for (size_t i = 0; i < dag->nvhosts; i++) {
		size_t span;
		const struct dag_vhost *vh = dag_cursor_at(&cur, i, &span);
		struct xds_blob *b;
		uint64_t head[USES_HEAD];
		size_t n, run;
		bool owned;

		/* A run is read as one block: not past its chunk. */
		if (counted && (run = memo_take_run(t, MEMO_USES, vh,
		    span, sizeof *vh, false)) > 0) {
			i += run - 1;
			continue;
		}

		if (vh->tls != NULL && vh->tls->tcpproxy != NULL)
			for (size_t k = 0; k < vh->tls->tcpproxy->nclusters; k++)
				ARRAY_PUSH(tcp, ntcp, captcp, name_hash_memo(memo,
				    vh->tls->tcpproxy->clusters[k].cluster->name));
		if (vh->nroutes == 0)
			continue;
		/* The ext_authz filter of a TLS host names its ExtensionService's
		 * cluster (translate_extauth.c). */
		if (vh->tls != NULL && vh->tls->ext_auth != NULL &&
		    vh->tls->ext_auth->cluster != NULL)
			ARRAY_PUSH(tcp, ntcp, captcp, name_hash_memo(memo,
			    vh->tls->ext_auth->cluster->name));
		/* Its jwt_authn filter fetches each provider's JWKS through a
		 * dnsname/... cluster (translate_jwt.c). */
		for (size_t k = 0; vh->tls != NULL && k < vh->njwt_providers; k++)
			if (vh->jwt_providers[k].cluster != NULL)
				ARRAY_PUSH(tcp, ntcp, captcp, name_hash_memo(memo,
				    vh->jwt_providers[k].cluster->name));
		b = memo_blob_borrow(t, MEMO_USES, vh, NULL, vhost_uses, NULL,
		    &owned);
		if (counted && vh->tls == NULL) {
			if (owned)
				xds_blob_unref(b);
			continue;
		}
		n = b->len / sizeof(uint64_t) - USES_HEAD;
		memcpy(head, b->bytes, sizeof head);
		if (head[1] & USES_COOKIES)
			t->cookie_lua = true;
		if (counted)
			head[0] = 0; /* in the memo's union */
		if (nall + n > capall) {
			capall = (nall + n) * 2;
			all = xreallocarray(all, capall, sizeof *all);
		}
		if (head[0] > 0) /* all may still be NULL: no NULL + 0 (UBSan) */
			memcpy(all + nall, b->bytes + USES_HEAD * sizeof(uint64_t),
			    head[0] * sizeof *all);
		nall += head[0];
		if (vh->tls != NULL && n > 0) {
			uint64_t *h = arena_alloc_nozero(&t->arena, n * sizeof *h);

			memcpy(h, b->bytes + USES_HEAD * sizeof(uint64_t),
			    n * sizeof *h);
			/* https/<fqdn> (hosts are in fqdn order). */
			snapshot_builder_add_uses(t->out, XDS_ROUTE,
			    arena_printf(&t->arena, TRANSLATE_HTTPS_ROUTES_PREFIX "%s",
			    vh->fqdn), h, n);
			if (vh->tls->fallback != NULL)
				for (size_t k = 0; k < n; k++)
					ARRAY_PUSH(fallback, nfb, capfb, h[k]);
		}
		if (owned)
			xds_blob_unref(b);
	}
	/* "ingress_fallbackcert" < "ingress_http", after "https/...". */
	snapshot_builder_add_uses(t->out, XDS_ROUTE, TRANSLATE_FALLBACK_ROUTES,
	    fallback, nfb);
	if (counted) {
		if ((shared = memo_uses_shared(t, &cookies)) != NULL)
			snapshot_builder_share_uses(t->out, XDS_ROUTE,
			    TRANSLATE_HTTP_ROUTES, shared);
		if (cookies)
			t->cookie_lua = true;
	} else {
		snapshot_builder_add_uses(t->out, XDS_ROUTE,
		    TRANSLATE_HTTP_ROUTES, all, nall);
	}
	/* The ratelimit, tracing and global ext_authz filters of every
	 * connection manager name their ExtensionService's cluster while it
	 * is in the DAG (translate_ratelimit.c, translate_tracing.c,
	 * translate_extauth.c). */
	for (size_t i = 0; i < 3; i++)
		if (translation_cluster(dag, ext_names[i]) != NULL)
			ext[next++] = name_hash_memo(memo, ext_names[i]);
	for (size_t i = 0; i < next; i++)
		ARRAY_PUSH(tcp, ntcp, captcp, ext[i]);
	/* "ingress_http" < "ingress_https". */
	snapshot_builder_add_uses(t->out, XDS_LISTENER, TRANSLATE_HTTP_LISTENER,
	    ext, next);
	snapshot_builder_add_uses(t->out, XDS_LISTENER, TRANSLATE_HTTPS_LISTENER,
	    tcp, ntcp);
	t->name_hashes = NULL;
	free(memo);
	free(all);
	free(fallback);
	free(tcp);
}

/* --- the driver: each loop asks the memo for its objects' resources ------ */

static ProtobufCMessage *
make_cluster(struct translation *t, const void *obj, const char **name)
{
	Envoy__Config__Cluster__V3__Cluster *c = translate_cluster(t, obj);

	*name = c->name;
	return &c->base;
}

static ProtobufCMessage *
make_cla(struct translation *t, const void *obj, const char **name)
{
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla =
	    translate_cla(t, obj);

	*name = cla->cluster_name;
	return &cla->base;
}

static ProtobufCMessage *
make_api_listener(struct translation *t, const void *obj, const char **name)
{
	Envoy__Config__Listener__V3__Listener *l = translate_api_listener(t, obj);

	*name = l->name;
	return &l->base;
}

static ProtobufCMessage *
make_http_vhost(struct translation *t, const void *obj, const char **name)
{
	Envoy__Config__Route__V3__VirtualHost *v = translate_http_vhost(t, obj);

	if (v == NULL)
		return NULL;
	*name = v->name;
	return &v->base;
}

static ProtobufCMessage *
make_proxyless_routes(struct translation *t, const void *obj,
    const char **name)
{
	Envoy__Config__Route__V3__RouteConfiguration *rc =
	    translate_proxyless_routes(t, obj);

	*name = rc->name;
	return &rc->base;
}

const char *
translation_cluster_eds(const struct translation *t,
    const struct dag_cluster *dc)
{
	return !t->gateway_view && dc->endpoints != NULL &&
	    dc->external_name == NULL ? dc->eds_name : NULL;
}

/* Whether every cluster and endpoints of the DAG is known to be for
 * Gateways alone, in a translation that leaves those out (memo_wanted):
 * none of them is then read. */
static bool
only_gateway_clusters(const struct translation *t)
{
	return !t->gateway_view && t->dag->plain_known && t->dag->plain == 0;
}

/* Each EDS Cluster says which ClusterLoadAssignment it loads (the
 * warming gate, translate_uses) as it is added: kept in its blob when it
 * is packed (translation_pack asks translation_cluster_eds), which a
 * reused Cluster brings along without its DAG object being read (the
 * memo's key covers the fields that decide it), else copied. */
void
translate_clusters(struct translation *t)
{
	struct dag_cursor cur;

	if (only_gateway_clusters(t))
		return;
	dag_cursor_init(&cur, t->dag, DAG_ARRAY_CLUSTERS);
	for (size_t i = 0; i < t->dag->nclusters; i++) {
		size_t span;
		struct dag_cluster *const *at = dag_cursor_at(&cur, i, &span);
		const struct dag_cluster *dc;
		size_t n = snapshot_builder_count(t->out, XDS_CLUSTER);
		size_t run = memo_emit_run(t, MEMO_CLUSTER, at, span,
		    sizeof *at, true, XDS_CLUSTER, false);
		const char *eds;

		/* A run of the last build's Clusters: their items copied
		 * say their endpoints (their blobs'). The DAG chunk's
		 * pointers are not read for it (one cold line per chunk
		 * handed on whole, about 400 at 100k). */
		if (run > 0) {
			i += run - 1;
			continue;
		}
		dc = *at;

		/* What only Gateways use is left out by the memo
		 * (memo_wanted), which reads dc only when it was not found
		 * in order. */
		t->pack_cluster = dc;
		memo_emit(t, MEMO_CLUSTER, dc, make_cluster, XDS_CLUSTER, false);
		t->pack_cluster = NULL;
		if (t->cache == NULL &&
		    snapshot_builder_count(t->out, XDS_CLUSTER) > n &&
		    (eds = translation_cluster_eds(t, dc)) != NULL)
			snapshot_builder_set_last_endpoints(t->out, eds);
	}
}

void
translate_endpoints(struct translation *t)
{
	struct dag_cursor cur;

	if (only_gateway_clusters(t))
		return;
	dag_cursor_init(&cur, t->dag, DAG_ARRAY_ENDPOINTS);
	/* Gateway-only ones are left out by memo_wanted. */
	for (size_t i = 0; i < t->dag->nendpoints; i++) {
		size_t span;
		struct dag_endpoints *const *at = dag_cursor_at(&cur, i, &span);
		size_t run = memo_emit_run(t, MEMO_ENDPOINTS, at, span,
		    sizeof *at, true, XDS_ENDPOINT, false);

		if (run > 0)
			i += run - 1;
		else
			memo_emit(t, MEMO_ENDPOINTS, *at, make_cla,
			    XDS_ENDPOINT, false);
	}
}

/* memo_emit of kind k for hosts from .. to with routes, runs of the last
 * build's taken as blocks. */
static void
emit_hosts(struct translation *t, enum memo_kind k, size_t from, size_t to,
    memo_make_fn *make, enum xds_type type)
{
	struct dag_cursor cur;

	dag_cursor_init(&cur, t->dag, DAG_ARRAY_VHOSTS);
	for (size_t i = from; i < to; i++) {
		size_t span;
		const struct dag_vhost *vh = dag_cursor_at(&cur, i, &span);
		size_t run = memo_emit_run(t, k, vh, span < to - i ? span : to - i,
		    sizeof *vh, false, type, true);

		if (run > 0)
			i += run - 1;
		else if (vh->nroutes > 0)
			memo_emit(t, k, vh, make, type, true);
	}
}

static int
name_vhost_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct dag_vhost *)elem)->fqdn);
}

/* The first host whose FQDN does not sort before name: where a resource
 * of that name goes among the hosts' (api listeners and proxyless
 * RouteConfigurations are named by FQDN), so that each type is added in
 * name order and the snapshot neither merges nor checks it. */
static size_t
hosts_before(const struct dag *dag, const char *name)
{
	return dag_array_search(dag, DAG_ARRAY_VHOSTS, name, name_vhost_cmp);
}

/* ingress_http's listener among each proxyless host's api listener. */
static void
translate_all_listeners(struct translation *t)
{
	Envoy__Config__Listener__V3__Listener *l;
	size_t at;

	/* Contour opens no port while nothing would be served on it. */
	if (!translation_has_routes(t))
		return;
	l = translate_http_listener(t);
	at = hosts_before(t->dag, l->name);
	emit_hosts(t, MEMO_API_LISTENER, 0, at, make_api_listener,
	    XDS_LISTENER);
	translation_emit(t, XDS_LISTENER, l->name, &l->base, false);
	emit_hosts(t, MEMO_API_LISTENER, at, t->dag->nvhosts, make_api_listener,
	    XDS_LISTENER);
}

/* The SDS Secrets, each released once serialized. */
void
translate_secrets(struct translation *t)
{
	for (size_t i = 0; i < t->dag->nsecrets; i++) {
		struct arena_mark mark = arena_mark(&t->arena);
		Envoy__Extensions__TransportSockets__Tls__V3__Secret *s =
		    translate_secret(t, t->dag->secrets[i]);

		translation_emit(t, XDS_SECRET, s->name, &s->base, true);
		arena_release(&t->arena, &mark);
	}
}

/* https/<fqdn> of each TLS host and ingress_fallbackcert, each released
 * once serialized, before the messages of ingress_https are made. */
static void
translate_https(struct translation *t)
{
	Envoy__Config__Route__V3__RouteConfiguration *rc;
	Envoy__Config__Listener__V3__Listener *l;
	struct arena_mark mark;
	struct dag_cursor cur;

	/* No host with TLS: no https/<fqdn>, no ingress_fallbackcert (its
	 * hosts are TLS hosts) and no chain for ingress_https, which is
	 * then not opened; the walks below would each read every host. */
	if (t->dag->tls_hosts_known && t->dag->tls_hosts == 0)
		return;
	dag_cursor_init(&cur, t->dag, DAG_ARRAY_VHOSTS);
	/* Only hosts with tls: chunks with none are passed unread. */
	for (size_t i = dag_cursor_next_tls(&cur, 0); i < t->dag->nvhosts;
	    i = dag_cursor_next_tls(&cur, i + 1)) {
		const struct dag_vhost *vh = dag_cursor_at(&cur, i, NULL);

		if (!translate_https_host(vh))
			continue;
		mark = arena_mark(&t->arena);
		rc = translate_https_routes(t, vh);
		translation_emit(t, XDS_ROUTE, rc->name, &rc->base, false);
		arena_release(&t->arena, &mark);
	}
	mark = arena_mark(&t->arena);
	if ((rc = translate_fallback_routes(t)) != NULL)
		translation_emit(t, XDS_ROUTE, rc->name, &rc->base, false);
	arena_release(&t->arena, &mark);
	if ((l = translate_https_listener(t)) != NULL)
		translation_emit(t, XDS_LISTENER, l->name, &l->base, false);
}

/* ingress_http (every host with routes, one at a time: only one host's
 * messages are in memory at once), added among each proxyless host's
 * RouteConfiguration in name order. */
void
translate_routes(struct translation *t)
{
	struct memo_http *h;
	struct dag_cursor cur;
	uint32_t field;
	uint8_t *head;
	size_t len, at;

	if (!translation_has_routes(t))
		return;
	/* global-ext-auth: ingress_http has ext_authz (translate_extauth.c). */
	t->ext_authz_routes = t->opts->global_ext_auth_cluster != NULL;
	h = memo_http_begin(t);
	dag_cursor_init(&cur, t->dag, DAG_ARRAY_VHOSTS);
	for (size_t i = 0; i < t->dag->nvhosts; i++) {
		/* Kept hosts in runs, as emit_hosts takes them: a one-file
		 * change reads the hosts around it, not each host's memo
		 * entry one lookup at a time. */
		size_t span;
		const struct dag_vhost *vh = dag_cursor_at(&cur, i, &span);
		size_t run = memo_http_host_run(h, vh, span, sizeof *vh);

		if (run > 0)
			i += run - 1;
		else if (vh->nroutes > 0)
			memo_http_host(h, vh, make_http_vhost);
	}
	head = translate_http_routes_head(t, &len, &field);
	at = hosts_before(t->dag, TRANSLATE_HTTP_ROUTES);
	emit_hosts(t, MEMO_PROXYLESS_ROUTE, 0, at, make_proxyless_routes,
	    XDS_ROUTE);
	memo_http_finish(h, head, len, field);
	emit_hosts(t, MEMO_PROXYLESS_ROUTE, at, t->dag->nvhosts,
	    make_proxyless_routes, XDS_ROUTE);
	if (t->proxyless_no_cluster)
		translate_not_forwarded(t);
}

struct snapshot *
translate_dag(const struct dag *dag, const struct translate_options *o,
    const char *revision)
{
	return translate_dag_cached(dag, o, revision, NULL);
}

struct snapshot *
translate_dag_cached(const struct dag *dag, const struct translate_options *o,
    const char *revision, struct translate_cache *cache)
{
	struct translation t = { .dag = dag, .opts = o, .cache = cache };
	struct snapshot *snap;

	arena_init(&t.arena);
	translate_cache_begin(&t);
	t.out = snapshot_builder_new(revision);
	snapshot_builder_set_previous(t.out, translate_cache_last_snapshot(&t));
	translate_uses(&t);
	translate_clusters(&t);
	translate_endpoints(&t);
	translate_all_listeners(&t);
	translate_routes(&t);
	translate_secrets(&t);
	translate_https(&t);
	snap = snapshot_builder_finish(t.out);
	translate_cache_snapshot(&t, snap);
	translate_cache_end(&t);
	arena_free(&t.arena);
	return snap;
}
