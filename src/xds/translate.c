#include "xds/translate_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

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
	uint8_t *bytes;

	if (t->cache != NULL) {
		/* A blob, which the next snapshot may share. */
		struct xds_blob *b = translation_pack(t, name, m);

		snapshot_builder_add_blob(t->out, type, b, named_only);
		xds_blob_unref(b);
		return;
	}
	/* Straight into the snapshot: serialized once, never copied. */
	len = protobuf_c_message_get_packed_size(m);
	bytes = snapshot_builder_alloc(t->out, len);
	len = protobuf_c_message_pack(m, bytes);
	snapshot_builder_add_nocopy(t->out, type, name, bytes, len, named_only);
}

bool
translation_has_routes(const struct translation *t)
{
	/* Routes that exist only on ingress_https do not count. */
	for (size_t i = 0; i < t->dag->nvhosts; i++)
		for (size_t j = 0; j < t->dag->vhosts[i].nroutes; j++)
			if (!t->dag->vhosts[i].routes[j].secure_only)
				return true;
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

/* The clusters of vh's routes (weighted backends and mirrors) appended to
 * *v; with http, only those port 80 can route to (not https-only routes,
 * not the redirects of TLS hosts). */
static void
vhost_clusters(const struct dag_vhost *vh, bool http, const char ***v,
    size_t *n, size_t *cap)
{
	for (size_t i = 0; i < vh->nroutes; i++) {
		const struct dag_route *r = &vh->routes[i];

		if (http && (r->secure_only || (vh->tls != NULL && r->https_upgrade)))
			continue;
		for (size_t k = 0; k < r->nclusters; k++)
			ARRAY_PUSH(*v, *n, *cap, r->clusters[k].cluster->name);
		if (r->mirror != NULL)
			ARRAY_PUSH(*v, *n, *cap, r->mirror->name);
	}
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const char *const *)a,
	    y = (uintptr_t)*(const char *const *)b;

	return x < y ? -1 : x > y;
}

/* Drops repeated names (the same cluster's name is one pointer): the
 * snapshot resolves each remaining one by a search. */
static size_t
unique_ptrs(const char **v, size_t n)
{
	size_t m = 0;

	if (n > 1)
		qsort(v, n, sizeof *v, ptr_cmp);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || v[m - 1] != v[i])
			v[m++] = v[i];
	return m;
}

/* What each Listener, RouteConfiguration and EDS Cluster uses, for the
 * ADS warming gate (SPEC §8): recorded from the DAG, not decoded from the
 * resources. A name the snapshot does not hold is dropped when the
 * snapshot is finished, so a RouteConfiguration name that was not made
 * (a host without routes) costs nothing. */
static void
translate_uses(struct translation *t)
{
	const struct dag *dag = t->dag;
	const char **all = NULL, **one = NULL, **fallback = NULL, **tcp = NULL;
	size_t nall = 0, capall = 0, none = 0, capone = 0, nfb = 0, capfb = 0;
	size_t ntcp = 0, captcp = 0;

	for (size_t i = 0; i < dag->nclusters; i++) {
		const struct dag_cluster *dc = dag->clusters[i];

		if (dc->endpoints != NULL && dc->external_name == NULL &&
		    dc->eds_name != NULL)
			snapshot_builder_add_uses(t->out, XDS_CLUSTER, dc->name,
			    &dc->eds_name, 1);
	}
	for (size_t i = 0; i < dag->nvhosts; i++) {
		const struct dag_vhost *vh = &dag->vhosts[i];

		if (vh->tls != NULL && vh->tls->tcpproxy != NULL)
			for (size_t k = 0; k < vh->tls->tcpproxy->nclusters; k++)
				ARRAY_PUSH(tcp, ntcp, captcp,
				    vh->tls->tcpproxy->clusters[k].cluster->name);
		if (vh->nroutes == 0)
			continue;
		vhost_clusters(vh, true, &all, &nall, &capall);
		none = 0;
		vhost_clusters(vh, false, &one, &none, &capone);
		none = unique_ptrs(one, none);
		/* The proxyless RouteConfiguration <fqdn>, https/<fqdn>. */
		snapshot_builder_add_uses(t->out, XDS_ROUTE, vh->fqdn, one, none);
		if (vh->tls != NULL) {
			snapshot_builder_add_uses(t->out, XDS_ROUTE,
			    arena_printf(&t->arena, TRANSLATE_HTTPS_ROUTES_PREFIX "%s",
			    vh->fqdn), one, none);
			if (vh->tls->fallback != NULL)
				for (size_t k = 0; k < none; k++)
					ARRAY_PUSH(fallback, nfb, capfb, one[k]);
		}
	}
	nall = unique_ptrs(all, nall);
	nfb = unique_ptrs(fallback, nfb);
	snapshot_builder_add_uses(t->out, XDS_ROUTE, TRANSLATE_HTTP_ROUTES, all, nall);
	snapshot_builder_add_uses(t->out, XDS_ROUTE, TRANSLATE_FALLBACK_ROUTES,
	    fallback, nfb);
	snapshot_builder_add_uses(t->out, XDS_LISTENER, TRANSLATE_HTTPS_LISTENER,
	    tcp, ntcp);
	free(all);
	free(one);
	free(fallback);
	free(tcp);
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
	translate_clusters(&t);
	translate_endpoints(&t);
	translate_listeners(&t);
	translate_routes(&t);
	translate_secrets(&t);
	translate_https(&t);
	translate_uses(&t);
	snap = snapshot_builder_finish(t.out);
	translate_cache_snapshot(&t, snap);
	translate_cache_end(&t);
	arena_free(&t.arena);
	return snap;
}
