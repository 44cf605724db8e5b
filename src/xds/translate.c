#include "xds/translate_internal.h"

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

/* Contour adds its Lua filter to every connection manager; cairn adds it
 * once some route or service has cookieRewritePolicies, so that listeners
 * without them do not change. */
bool
translation_cookie_rewrites(const struct translation *t)
{
	for (size_t i = 0; i < t->dag->nvhosts; i++)
		for (size_t j = 0; j < t->dag->vhosts[i].nroutes; j++) {
			const struct dag_route *r = &t->dag->vhosts[i].routes[j];

			if (r->ncookie_rewrites > 0)
				return true;
			for (size_t k = 0; k < r->nclusters; k++)
				if (r->clusters[k].ncookie_rewrites > 0)
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
	t.cookie_lua = translation_cookie_rewrites(&t);
	snapshot_builder_set_previous(t.out, translate_cache_last_snapshot(&t));
	translate_clusters(&t);
	translate_endpoints(&t);
	translate_listeners(&t);
	translate_routes(&t);
	translate_secrets(&t);
	translate_https(&t);
	snap = snapshot_builder_finish(t.out);
	translate_cache_snapshot(&t, snap);
	translate_cache_end(&t);
	arena_free(&t.arena);
	return snap;
}
