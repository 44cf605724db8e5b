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
};

/* Serialize m and add it to the snapshot. */
void translation_emit(struct translation *t, enum xds_type type,
    const char *name, const ProtobufCMessage *m, bool named_only);
/* True when some virtual host has at least one route. */
bool translation_has_routes(const struct translation *t);

void translate_listeners(struct translation *t);
void translate_routes(struct translation *t);
void translate_clusters(struct translation *t);
void translate_endpoints(struct translation *t);
/* The HttpConnectionManager shared by ingress_http and api listeners. */
ProtobufCMessage *translate_hcm(struct translation *t, const char *stat_prefix,
    const char *route_config_name, bool with_access_log);

#endif
