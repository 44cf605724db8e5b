/* Shared between the translate_*.c files only. */
#ifndef CAIRN_XDS_TRANSLATE_INTERNAL_H
#define CAIRN_XDS_TRANSLATE_INTERNAL_H

#include "xds/translate.h"
#include "xds/pb.h"

struct translation {
	const struct dag *dag;
	const struct translate_options *opts;
	struct arena arena; /* messages of this translation */
	struct snapshot_builder *out;
	bool proxyless_no_cluster; /* a proxyless route needs "cairn/not-forwarded" */
};

/* Serialize m and add it to the snapshot. */
void translation_emit(struct translation *t, enum xds_type type,
    const char *name, const ProtobufCMessage *m, bool named_only);
/* True when some virtual host has at least one route. */
bool translation_has_routes(const struct translation *t);
/* A virtual host proxyless gRPC clients can name (xds:///<fqdn>): it has
 * routes and is not a wildcard. Such a host gets an api_listener and a
 * RouteConfiguration of its own, both named after the FQDN. */
bool translation_proxyless_host(const struct dag_vhost *vh);
/* A DAG timeout as a Duration: NULL when unset (Envoy's default), 0s
 * when disabled. */
struct Google__Protobuf__Duration *translation_timeout(struct arena *a,
    int64_t ms);

void translate_listeners(struct translation *t);
void translate_routes(struct translation *t);
void translate_clusters(struct translation *t);
void translate_endpoints(struct translation *t);
/* The HttpConnectionManager shared by ingress_http and api listeners. */
ProtobufCMessage *translate_hcm(struct translation *t, const char *stat_prefix,
    const char *route_config_name, bool with_access_log);

#endif
