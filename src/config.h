/* cairn.yaml (SPEC.md §3) -> struct cairn_config. Every key is optional;
 * config_init_defaults gives the values the spec shows. Durations are in
 * milliseconds; a duration written as "" is -1 (unset: Envoy's default
 * applies), "0" or "0s" is 0 (disabled). */
#ifndef CAIRN_CONFIG_H
#define CAIRN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/objects.h" /* struct kv */
#include "util/arena.h"
#include "util/diag.h"

enum config_access_log_format {
	CONFIG_ACCESS_LOG_ENVOY,
	CONFIG_ACCESS_LOG_JSON,
};

/* Envoy's HttpConnectionManager.ServerHeaderTransformation. */
enum config_server_header {
	CONFIG_SERVER_HEADER_OVERWRITE,
	CONFIG_SERVER_HEADER_APPEND_IF_ABSENT,
	CONFIG_SERVER_HEADER_PASS_THROUGH,
};

/* Envoy's Cluster.DnsLookupFamily. */
enum config_dns_family {
	CONFIG_DNS_AUTO,
	CONFIG_DNS_V4_ONLY,
	CONFIG_DNS_V6_ONLY,
	CONFIG_DNS_V4_PREFERRED,
	CONFIG_DNS_ALL,
};

enum config_tls_version {
	CONFIG_TLS_1_2,
	CONFIG_TLS_1_3,
};

/* All three set = mTLS; none = plaintext. */
struct config_tls_files {
	char *certificate, *key, *client_ca;
};

struct config_listener {
	char *address;
	int32_t port;
	char *access_log;
};

struct config_git {
	char *repository; /* "" = directory mode */
	char *branch;
	char *path; /* subdirectory of the tree that holds resources */
	char *remote; /* "" = local refs only */
	int64_t fetch_interval_ms;
	char *ssh_key_file; /* "" = $CAIRN_GIT_SSH_KEY or ssh-agent */
	char *token_file; /* "" = $CAIRN_GIT_TOKEN_FILE */
};

struct config_source {
	char *directory;
	struct config_git git;
	int64_t max_file_bytes;
};

struct config_xds {
	char *address; /* HOST:PORT, [V6]:PORT or unix:/path */
	struct config_tls_files tls;
	/* HTTP/2 pings to every client every keepalive_time_ms; a connection
	 * that does not answer within keepalive_timeout_ms is closed (a
	 * vanished Envoy). */
	int64_t keepalive_time_ms, keepalive_timeout_ms;
	/* The longest an LDS/RDS update waits for a new cluster's endpoints
	 * (SPEC §8 warming gate); 0 = no gate. */
	int64_t warming_timeout_ms;
};

struct config_admin {
	char *address; /* "" disables the admin server */
};

struct config_timeouts {
	int64_t request_ms;
	int64_t connection_idle_ms;
	int64_t stream_idle_ms;
	int64_t max_connection_duration_ms;
	int64_t connection_shutdown_grace_period_ms;
	int64_t connect_ms;
};

struct config_fallback_certificate {
	char *name, *namespace; /* "" = none */
};

struct config_envoy_tls {
	enum config_tls_version minimum_protocol_version;
	enum config_tls_version maximum_protocol_version;
	char **cipher_suites; /* empty = Envoy's defaults */
	size_t ncipher_suites;
	struct config_fallback_certificate fallback_certificate;
};

struct config_cluster {
	enum config_dns_family dns_lookup_family;
	/* Contour's cluster settings; 0 = not set (Envoy's default). */
	uint32_t max_requests_per_connection;
	uint32_t per_connection_buffer_limit_bytes;
};

/* Contour's compression.algorithm: the HTTP compressor filter. */
enum config_compression_algorithm {
	CONFIG_COMPRESSION_DISABLED,
	CONFIG_COMPRESSION_GZIP,
	CONFIG_COMPRESSION_BROTLI,
	CONFIG_COMPRESSION_ZSTD,
};

struct config_compression {
	enum config_compression_algorithm algorithm;
};

/* Contour's listener settings; 0 = not set (Envoy's default). */
struct config_socket_options {
	uint32_t tos, traffic_class; /* IP_TOS, IPV6_TCLASS: 1..255 */
};

struct config_envoy_listener {
	uint32_t max_requests_per_connection;
	uint32_t http2_max_concurrent_streams;
	uint32_t per_connection_buffer_limit_bytes;
	struct config_socket_options socket_options;
};

struct config_envoy {
	struct config_listener http, https;
	/* The largest RE2 program accepted in an emitted regex; cairn
	 * bootstrap sets Envoy's re2.max_program_size.error_level to it. */
	uint32_t regex_max_program_size;
	char **default_http_versions; /* "HTTP/2", "HTTP/1.1" */
	size_t ndefault_http_versions;
	enum config_access_log_format access_log_format;
	bool use_proxy_protocol;
	uint32_t xff_num_trusted_hops;
	enum config_server_header server_header_transformation;
	struct config_timeouts timeouts;
	struct config_envoy_tls tls;
	struct config_cluster cluster;
	/* Contour's access log, compression and listener settings. */
	char *access_log_format_string; /* "" = Envoy's default format */
	char **json_fields; /* empty = Contour's default fields */
	size_t njson_fields;
	struct config_compression compression;
	bool merge_slashes;
	bool strip_trailing_host_dot;
	struct config_envoy_listener listener;
};

/* policy.fqdn-owners: the FQDN patterns one namespace may claim. */
struct config_fqdn_owner {
	char *namespace;
	char **patterns; /* "host", "*.domain" or "*" (dag/owners.h) */
	size_t npatterns;
};

struct config_policy {
	char **root_namespaces; /* empty = any namespace */
	size_t nroot_namespaces;
	bool allow_external_name;
	/* Empty = any namespace may claim any FQDN; else only what its
	 * patterns allow (a namespace not listed may claim none). */
	struct config_fqdn_owner *fqdn_owners;
	size_t nfqdn_owners;
};

struct config_secrets {
	char **allowed_directories;
	size_t nallowed_directories;
};

/* global-ext-auth: Contour's globalExtAuth, the authorization of every
 * TLS virtual host that has none of its own (docs/features.md). */
struct config_ext_auth_body {
	uint32_t max_request_bytes; /* 0: Contour's 1024 */
	bool allow_partial_message, pack_as_bytes;
};

struct config_ext_auth_policy {
	bool disabled;
	struct kv *context;
	size_t ncontext;
};

struct config_global_ext_auth {
	char *extension_service; /* "NS/NAME"; "" = no global authorization */
	char *response_timeout; /* "" = the ExtensionService's */
	bool fail_open;
	struct config_ext_auth_policy auth_policy;
	struct config_ext_auth_body with_request_body;
	bool has_with_request_body;
};

/* rate-limit-service: Contour's rateLimitService (global rate limits). */
struct config_rate_limit_service {
	char *extension_service; /* "NS/NAME"; "" = none */
	char *domain;
	bool fail_open;
	bool enable_x_ratelimit_headers;
	bool enable_resource_exhausted_code;
	/* HTTPProxy's rateLimitPolicy.global shape; NULL = none. */
	struct hp_global_ratelimit *default_global_rate_limit_policy;
};

/* tracing: Contour's tracing to an OpenTelemetry collector. */
struct config_custom_tag {
	char *tag_name;
	char *literal, *request_header_name; /* exactly one */
};

struct config_tracing {
	char *extension_service; /* "NS/NAME"; "" = no tracing */
	char *service_name; /* default "contour", as Contour */
	double overall_sampling; /* percent, default 100 */
	uint32_t max_path_tag_length; /* default 256 */
	struct config_custom_tag *custom_tags;
	size_t ncustom_tags;
};

/* Strings are never NULL ("" = not set); arrays may be empty. */
struct cairn_config {
	struct config_source source;
	int64_t debounce_ms;
	int64_t max_delay_ms;
	struct config_xds xds;
	struct config_admin admin;
	struct config_envoy envoy;
	struct config_policy policy;
	struct config_secrets secrets;
	/* Where cairn keeps what must survive a restart (the git mirror, last
	 * good copies); "" = $CAIRN_STATE_DIRECTORY, $STATE_DIRECTORY, else
	 * /var/lib/cairn (source/lastgood.h). */
	char *state_directory;
	struct config_global_ext_auth global_ext_auth;
	struct config_rate_limit_service rate_limit_service;
	struct config_tracing tracing;

	struct arena arena; /* owns every string and array above */
};

/* Defaults of SPEC.md §3. Pair with config_free. */
void config_init_defaults(struct cairn_config *c);
/* Apply the file over c. On error (diagnostics with file:line:col added
 * to diags) c is left unchanged and -1 is returned. */
int config_load_file(struct cairn_config *c, const char *path,
    struct diag_list *diags);
/* Same, from memory; name is the file name used in diagnostics. */
int config_load_buffer(struct cairn_config *c, const char *name,
    const char *buf, size_t len, struct diag_list *diags);
void config_free(struct cairn_config *c);

/* Names as written in cairn.yaml, for dumps and logs. */
const char *config_dns_family_name(enum config_dns_family f);
const char *config_tls_version_name(enum config_tls_version v);

#endif
