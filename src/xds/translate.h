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
/* The HTTP compressor filter (Contour's compression.algorithm). */
enum translate_compression {
	TRANSLATE_COMPRESSION_DISABLED,
	TRANSLATE_COMPRESSION_GZIP,
	TRANSLATE_COMPRESSION_BROTLI,
	TRANSLATE_COMPRESSION_ZSTD,
};

/* tracing.custom-tags: exactly one of literal and request_header. */
struct translate_custom_tag {
	const char *tag, *literal, *request_header;
};

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
	int64_t drain_timeout_ms; /* connection-shutdown-grace-period; 0 = Envoy's */
	uint32_t xff_num_trusted_hops;
	enum translate_server_header server_header;
	/* ingress_https (translate_https.c): envoy.https, envoy.tls and the
	 * ALPN protocols of envoy.default-http-versions. */
	const char *https_address;
	uint32_t https_port;
	const char *https_access_log; /* "" = no access log */
	char *const *cipher_suites; /* empty: Envoy's defaults */
	size_t ncipher_suites;
	bool alpn_h2, alpn_http11;
	const char *tls_minimum_version, *tls_maximum_version; /* "1.2", "1.3" */
	/* Contour's access log, compression and listener settings (config.h);
	 * numbers 0 = not set. */
	const char *access_log_format_string; /* "" = Envoy's format */
	char *const *json_fields; /* json-fields; empty = Contour's defaults */
	size_t njson_fields;
	enum translate_compression compression;
	bool merge_slashes, strip_trailing_host_dot;
	uint32_t max_requests_per_connection, http2_max_concurrent_streams;
	uint32_t per_connection_buffer_limit_bytes;
	uint32_t socket_tos, socket_traffic_class;
	uint32_t cluster_max_requests_per_connection;
	uint32_t cluster_per_connection_buffer_limit_bytes;
	/* global-ext-auth (translate_extauth.c): the ExtensionService's
	 * cluster ("extension/<ns>/<name>"), or NULL for none. */
	const char *global_ext_auth_cluster;
	int64_t global_ext_auth_timeout_ms; /* -1: the ExtensionService's */
	uint32_t global_ext_auth_max_request_bytes; /* 0: no body sent */
	bool global_ext_auth_fail_open;
	bool global_ext_auth_allow_partial, global_ext_auth_pack_as_bytes;
	/* rate-limit-service (translate_ratelimit.c): the ExtensionService's
	 * cluster, or NULL for none. */
	const char *rate_limit_cluster;
	const char *rate_limit_domain;
	bool rate_limit_fail_open, rate_limit_x_headers;
	bool rate_limit_resource_exhausted;
	/* tracing (translate_tracing.c): the collector's ExtensionService
	 * cluster, or NULL for none. */
	const char *tracing_cluster;
	const char *tracing_service_name;
	double tracing_overall_sampling;
	uint32_t tracing_max_path_tag_length;
	const struct translate_custom_tag *tracing_custom_tags;
	size_t ntracing_custom_tags;
};

void translate_options_init(struct translate_options *o);

/* Serialized resources of the last translation, reused when their DAG
 * inputs hash the same (memo.c): a one-file change serializes
 * only what it touched. Owned by the caller (the pipeline), used by one
 * translation at a time; the snapshots share the bytes. */
struct translate_cache;
struct translate_cache *translate_cache_new(void);
void translate_cache_free(struct translate_cache *c);
/* Of the last translation: resources found in order (the objects of
 * reused DAG parts), found by key, serialized; hosts whose bytes
 * ingress_http took from the last one. */
struct translate_cache_stats {
	size_t in_order, by_key, serialized, http_kept;
	/* Of in_order: taken in runs of the last build's order as blocks
	 * (memo_emit_run), and how many blocks. */
	size_t in_runs, runs;
	/* Appended: ingress_http's chunks written by the last translation
	 * and the hosts in them (src/xds/memo_http.c); http_kept are the
	 * hosts of the chunks it took from the last one. */
	size_t http_chunks_written, http_written;
	/* Appended: of in_runs, the entries of the memo's sequences handed
	 * on in whole chunks (src/xds/memo.c take_chunk, read neither from
	 * the sequence nor from the DAG), and how many chunks. */
	size_t in_chunks, chunks;
	/* Appended: the resources the table by key keeps, and its slots. */
	size_t kept, slots;
	/* Appended: the translations that presized the memo's tables for a
	 * first translation (src/xds/memo_store.c cache_presize). */
	size_t presized;
};
struct translate_cache_stats translate_cache_stats(
    const struct translate_cache *c);
/* translate_dag with a cache (may be NULL): byte for byte the same
 * snapshot. */
struct snapshot *translate_dag_cached(const struct dag *dag,
    const struct translate_options *o, const char *revision,
    struct translate_cache *cache);
struct snapshot *translate_dag(const struct dag *dag,
    const struct translate_options *o, const char *revision);

/* What an Envoy naming Gateway gw in its node metadata
 * (cairn.io/gateway: NS/NAME) gets: one Listener and one
 * RouteConfiguration per port (gw/<ns>/<name>/<port>), the clusters and
 * ClusterLoadAssignments its routes use (translate_gateway.c). */
struct snapshot *translate_gateway(const struct dag *dag,
    const struct dag_gateway *gw, const struct translate_options *o,
    const char *revision);
/* translate_gateway with a cache of that Gateway's own (may be NULL):
 * byte for byte the same snapshot. */
struct snapshot *translate_gateway_cached(const struct dag *dag,
    const struct dag_gateway *gw, const struct translate_options *o,
    const char *revision, struct translate_cache *cache);
#define TRANSLATE_GATEWAY_METADATA "cairn.io/gateway"

/* Names Contour uses, so its docs and dashboards apply. */
#define TRANSLATE_HTTP_LISTENER "ingress_http"
#define TRANSLATE_HTTP_ROUTES "ingress_http"
#define TRANSLATE_HTTPS_LISTENER "ingress_https"
#define TRANSLATE_HTTPS_ROUTES_PREFIX "https/" /* + the FQDN */
#define TRANSLATE_FALLBACK_ROUTES "ingress_fallbackcert"

/* A serialized SDS Secret with its private key replaced by
 * "[redacted]" (cairn dump without --show-secrets). Returns a malloc'd
 * copy with *out_len, or NULL when there is nothing to redact. */
uint8_t *translate_secret_redact(const uint8_t *bytes, size_t len,
    size_t *out_len);

#endif
