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
}

void
translation_emit(struct translation *t, enum xds_type type, const char *name,
    const ProtobufCMessage *m, bool named_only)
{
	size_t len;
	uint8_t *bytes = pb_pack(&t->arena, m, &len);

	snapshot_builder_add(t->out, type, name, bytes, len, named_only);
}

bool
translation_has_routes(const struct translation *t)
{
	for (size_t i = 0; i < t->dag->nvhosts; i++)
		if (t->dag->vhosts[i].nroutes > 0)
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

struct snapshot *
translate_dag(const struct dag *dag, const struct translate_options *o,
    const char *revision)
{
	struct translation t = { .dag = dag, .opts = o };
	struct snapshot *snap;

	arena_init(&t.arena);
	t.out = snapshot_builder_new(revision);
	translate_clusters(&t);
	translate_endpoints(&t);
	translate_listeners(&t);
	translate_routes(&t);
	snap = snapshot_builder_finish(t.out);
	arena_free(&t.arena);
	return snap;
}
