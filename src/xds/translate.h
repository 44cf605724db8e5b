/* DAG -> Envoy resources, serialized once into a snapshot (SPEC §7). */
#ifndef CAIRN_XDS_TRANSLATE_H
#define CAIRN_XDS_TRANSLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "dag/dag.h"
#include "xds/snapshot.h"

enum translate_server_header {
	TRANSLATE_SERVER_HEADER_OVERWRITE,
	TRANSLATE_SERVER_HEADER_APPEND_IF_ABSENT,
	TRANSLATE_SERVER_HEADER_PASS_THROUGH,
};

/* The parts of cairn.yaml's `envoy:` section the translator needs; filled
 * by the caller so the translator does not depend on the config module. */
struct translate_options {
	const char *http_address;
	uint32_t http_port;
	const char *http_access_log; /* "" = no access log */
	bool access_log_json;
	int64_t connect_timeout_ms;
	int64_t connection_idle_timeout_ms; /* 0 = Envoy's default */
	int64_t stream_idle_timeout_ms;
	int64_t request_timeout_ms;
	int64_t max_connection_duration_ms;
	uint32_t xff_num_trusted_hops;
	enum translate_server_header server_header;
};

void translate_options_init(struct translate_options *o);
struct snapshot *translate_dag(const struct dag *dag,
    const struct translate_options *o, const char *revision);

/* Names Contour uses, so its docs and dashboards apply. */
#define TRANSLATE_HTTP_LISTENER "ingress_http"
#define TRANSLATE_HTTP_ROUTES "ingress_http"

#endif
