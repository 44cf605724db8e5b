/* cairn.yaml, decoded by the same YAML reader and schema tables as the
 * resources, so its errors look the same: file:line:col, unknown keys
 * with a suggestion, every problem at once. A bad file changes nothing
 * (build new, then swap). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "load/kinds.h"
#include "load/schema.h"
#include "load/yaml.h"
#include "util/duration.h"
#include "util/xalloc.h"

#define CONFIG_MAX_FILE_BYTES (1024 * 1024)

/* --- value checks -------------------------------------------------------- */

/* HOST:PORT, [V6]:PORT or unix:/path. */
static const char *
config_check_address(const char *s)
{
	static const char why[] = "expected HOST:PORT, [IPV6]:PORT or unix:/path";
	const char *colon, *p;
	long port = 0;

	if (strncmp(s, "unix:", 5) == 0)
		return s[5] == '/' ? NULL : "a unix socket path must be absolute "
		    "(unix:/path)";
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close == s + 1 || close[1] != ':')
			return why;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s || memchr(s, ':', (size_t)(colon - s)))
			return why;
	}
	if (colon[1] == '\0')
		return why;
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return why;
		port = port * 10 + (*p - '0');
	}
	if (port < 1 || port > 65535)
		return "the port must be in 1..65535";
	return NULL;
}

static const char *
config_check_address_or_empty(const char *s)
{
	return *s == '\0' ? NULL : config_check_address(s);
}

static const char *
config_check_absolute(const char *s)
{
	return s[0] == '/' ? NULL : "must be an absolute path";
}

/* --- tables -------------------------------------------------------------- */

#define C_STR(key_, type_, field_, flags_, check_)                             \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_), .check = (check_) }
#define C_DUR(key_, type_, field_, flags_)                                     \
	{ .key = (key_), .type = SCHEMA_DURATION,                              \
	  .offset = offsetof(type_, field_), .flags = (flags_) }
#define C_OBJ(key_, type_, field_, sub_)                                       \
	{ .key = (key_), .type = SCHEMA_OBJECT,                                \
	  .offset = offsetof(type_, field_), .sub = (sub_) }
#define C_ENUM(key_, type_, field_, enums_)                                    \
	{ .key = (key_), .type = SCHEMA_ENUM,                                  \
	  .offset = offsetof(type_, field_), .enums = (enums_) }
#define C_LIST(key_, type_, field_, count_, flags_, check_, allowed_)          \
	{ .key = (key_), .type = SCHEMA_STRING_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .flags = (flags_), .check = (check_), .allowed = (allowed_) }

static const struct schema_field config_git_fields[] = {
	C_STR("repository", struct config_git, repository,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, config_check_absolute),
	C_STR("branch", struct config_git, branch, SCHEMA_NONEMPTY, NULL),
	C_STR("path", struct config_git, path, 0, NULL),
	C_STR("remote", struct config_git, remote, 0, NULL),
	C_DUR("fetch-interval", struct config_git, fetch_interval_ms, 0),
	C_STR("ssh-key-file", struct config_git, ssh_key_file, 0, NULL),
	C_STR("token-file", struct config_git, token_file, 0, NULL),
};
static const struct schema_table config_git =
    SCHEMA_TABLE("git", struct config_git, config_git_fields, NULL);

static void
config_source_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct ynode *dir = ynode_get(map, "directory");
	const struct ynode *git = ynode_get(map, "git");

	if (dir != NULL && !ynode_is_null(dir) && git != NULL && !ynode_is_null(git))
		schema_error(ctx, git, "set either directory or git, not both");
}

static const struct schema_field config_source_fields[] = {
	C_STR("directory", struct config_source, directory, SCHEMA_NONEMPTY, NULL),
	C_OBJ("git", struct config_source, git, &config_git),
	{ .key = "max-file-bytes", .type = SCHEMA_INT64,
	  .offset = offsetof(struct config_source, max_file_bytes),
	  .min = 1, .max = INT64_MAX },
};
static const struct schema_table config_source = SCHEMA_TABLE("source",
    struct config_source, config_source_fields, config_source_validate);

/* A certificate needs its key; a client CA only makes sense on top of a
 * server certificate. */
static void
config_tls_files_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct config_tls_files *t = obj;
	bool cert = *t->certificate != '\0', key = *t->key != '\0';

	if (cert != key)
		schema_error(ctx, map, "certificate and key must be set together");
	else if (*t->client_ca != '\0' && !cert)
		schema_error(ctx, map, "client-ca needs certificate and key");
}

static const struct schema_field config_tls_files_fields[] = {
	C_STR("certificate", struct config_tls_files, certificate, 0, NULL),
	C_STR("key", struct config_tls_files, key, 0, NULL),
	C_STR("client-ca", struct config_tls_files, client_ca, 0, NULL),
};
static const struct schema_table config_tls_files = SCHEMA_TABLE("tls",
    struct config_tls_files, config_tls_files_fields, config_tls_files_validate);

static const struct schema_field config_xds_fields[] = {
	C_STR("address", struct config_xds, address, SCHEMA_NONEMPTY,
	    config_check_address),
	C_OBJ("tls", struct config_xds, tls, &config_tls_files),
	C_DUR("keepalive-time", struct config_xds, keepalive_time_ms, 0),
	C_DUR("keepalive-timeout", struct config_xds, keepalive_timeout_ms, 0),
	C_DUR("warming-timeout", struct config_xds, warming_timeout_ms, 0),
};

/* grpc takes both as an int of milliseconds, and 0 would mean "never
 * ping" or "never wait": neither is a keepalive. */
static void
config_xds_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct config_xds *x = obj;
	static const char *const keys[] = { "keepalive-time", "keepalive-timeout" };
	const int64_t values[] = { x->keepalive_time_ms, x->keepalive_timeout_ms };

	for (size_t i = 0; i < 2; i++) {
		const struct ynode *at = ynode_get(map, keys[i]);

		if (values[i] < 1 || values[i] > INT_MAX)
			schema_error(ctx, at ? at : map, "%s must be between 1ms "
			    "and %dms", keys[i], INT_MAX);
	}
	/* 0 turns the warming gate off; a route held for longer than a few
	 * minutes is an outage of its own. */
	if (x->warming_timeout_ms < 0 || x->warming_timeout_ms > 3600000) {
		const struct ynode *at = ynode_get(map, "warming-timeout");

		schema_error(ctx, at ? at : map, "warming-timeout must be between "
		    "0 (no warming gate) and 1h");
	}
}

static const struct schema_table config_xds =
    SCHEMA_TABLE("xds", struct config_xds, config_xds_fields, config_xds_validate);

static const struct schema_field config_admin_fields[] = {
	C_STR("address", struct config_admin, address, 0, config_check_address_or_empty),
};
static const struct schema_table config_admin =
    SCHEMA_TABLE("admin", struct config_admin, config_admin_fields, NULL);

static const struct schema_field config_listener_fields[] = {
	C_STR("address", struct config_listener, address, SCHEMA_NONEMPTY, NULL),
	{ .key = "port", .type = SCHEMA_INT32,
	  .offset = offsetof(struct config_listener, port), .min = 1, .max = 65535 },
	C_STR("access-log", struct config_listener, access_log, 0, NULL),
};
static const struct schema_table config_listener = SCHEMA_TABLE("listener",
    struct config_listener, config_listener_fields, NULL);

static const struct schema_field config_timeouts_fields[] = {
	C_DUR("request", struct config_timeouts, request_ms, SCHEMA_EMPTY_OK),
	C_DUR("connection-idle", struct config_timeouts, connection_idle_ms,
	    SCHEMA_EMPTY_OK),
	C_DUR("stream-idle", struct config_timeouts, stream_idle_ms, SCHEMA_EMPTY_OK),
	C_DUR("max-connection-duration", struct config_timeouts,
	    max_connection_duration_ms, SCHEMA_EMPTY_OK),
	C_DUR("connection-shutdown-grace-period", struct config_timeouts,
	    connection_shutdown_grace_period_ms, SCHEMA_EMPTY_OK),
	C_DUR("connect", struct config_timeouts, connect_ms, SCHEMA_EMPTY_OK),
};
static const struct schema_table config_timeouts = SCHEMA_TABLE("timeouts",
    struct config_timeouts, config_timeouts_fields, NULL);

static const struct schema_enum config_tls_versions[] = {
	{ "1.2", CONFIG_TLS_1_2 },
	{ "1.3", CONFIG_TLS_1_3 },
	{ NULL, 0 },
};

static void
config_fallback_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct config_fallback_certificate *f = obj;

	if ((*f->name == '\0') != (*f->namespace == '\0'))
		schema_error(ctx, map, "name and namespace must be set together");
}

static const struct schema_field config_fallback_fields[] = {
	C_STR("name", struct config_fallback_certificate, name, 0, NULL),
	C_STR("namespace", struct config_fallback_certificate, namespace, 0, NULL),
};
static const struct schema_table config_fallback = SCHEMA_TABLE(
    "fallback-certificate", struct config_fallback_certificate, config_fallback_fields,
    config_fallback_validate);

static void
config_envoy_tls_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct config_envoy_tls *t = obj;

	if (t->minimum_protocol_version > t->maximum_protocol_version)
		schema_error(ctx, map, "minimum-protocol-version %s is above "
		    "maximum-protocol-version %s",
		    config_tls_version_name(t->minimum_protocol_version),
		    config_tls_version_name(t->maximum_protocol_version));
}

static const struct schema_field config_envoy_tls_fields[] = {
	C_ENUM("minimum-protocol-version", struct config_envoy_tls,
	    minimum_protocol_version, config_tls_versions),
	C_ENUM("maximum-protocol-version", struct config_envoy_tls,
	    maximum_protocol_version, config_tls_versions),
	C_LIST("cipher-suites", struct config_envoy_tls, cipher_suites, ncipher_suites,
	    0, NULL, NULL),
	C_OBJ("fallback-certificate", struct config_envoy_tls, fallback_certificate,
	    &config_fallback),
};
static const struct schema_table config_envoy_tls = SCHEMA_TABLE("tls",
    struct config_envoy_tls, config_envoy_tls_fields, config_envoy_tls_validate);

static const struct schema_enum config_dns_families[] = {
	{ "auto", CONFIG_DNS_AUTO },
	{ "v4only", CONFIG_DNS_V4_ONLY },
	{ "v6only", CONFIG_DNS_V6_ONLY },
	{ "v4preferred", CONFIG_DNS_V4_PREFERRED },
	{ "all", CONFIG_DNS_ALL },
	/* Contour's spellings. */
	{ "v4", CONFIG_DNS_V4_ONLY },
	{ "v6", CONFIG_DNS_V6_ONLY },
	{ NULL, 0 },
};

static const struct schema_field config_cluster_fields[] = {
	C_ENUM("dns-lookup-family", struct config_cluster, dns_lookup_family,
	    config_dns_families),
	{ .key = "max-requests-per-connection", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_cluster, max_requests_per_connection),
	  .max = UINT32_MAX },
	{ .key = "per-connection-buffer-limit-bytes", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_cluster,
	  per_connection_buffer_limit_bytes), .max = UINT32_MAX },
};
static const struct schema_table config_cluster = SCHEMA_TABLE("cluster",
    struct config_cluster, config_cluster_fields, NULL);

static const struct schema_enum config_access_log_formats[] = {
	{ "envoy", CONFIG_ACCESS_LOG_ENVOY },
	{ "json", CONFIG_ACCESS_LOG_JSON },
	{ NULL, 0 },
};

static const struct schema_enum config_server_headers[] = {
	{ "overwrite", CONFIG_SERVER_HEADER_OVERWRITE },
	{ "append_if_absent", CONFIG_SERVER_HEADER_APPEND_IF_ABSENT },
	{ "pass_through", CONFIG_SERVER_HEADER_PASS_THROUGH },
	{ NULL, 0 },
};

static const char *const config_http_versions[] = { "HTTP/2", "HTTP/1.1", NULL };

static const struct schema_enum config_compression_algorithms[] = {
	{ "disabled", CONFIG_COMPRESSION_DISABLED },
	{ "gzip", CONFIG_COMPRESSION_GZIP },
	{ "brotli", CONFIG_COMPRESSION_BROTLI },
	{ "zstd", CONFIG_COMPRESSION_ZSTD },
	{ NULL, 0 },
};

static const struct schema_field config_compression_fields[] = {
	C_ENUM("algorithm", struct config_compression, algorithm,
	    config_compression_algorithms),
};
static const struct schema_table config_compression = SCHEMA_TABLE("compression",
    struct config_compression, config_compression_fields, NULL);

static const struct schema_field config_socket_options_fields[] = {
	{ .key = "tos", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_socket_options, tos), .max = 255 },
	{ .key = "traffic-class", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_socket_options, traffic_class),
	  .max = 255 },
};
static const struct schema_table config_socket_options = SCHEMA_TABLE(
    "socket-options", struct config_socket_options,
    config_socket_options_fields, NULL);

static const struct schema_field config_envoy_listener_fields[] = {
	{ .key = "max-requests-per-connection", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_envoy_listener,
	  max_requests_per_connection), .max = UINT32_MAX },
	{ .key = "http2-max-concurrent-streams", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_envoy_listener,
	  http2_max_concurrent_streams), .max = 2147483647 },
	{ .key = "per-connection-buffer-limit-bytes", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_envoy_listener,
	  per_connection_buffer_limit_bytes), .max = UINT32_MAX },
	C_OBJ("socket-options", struct config_envoy_listener, socket_options,
	    &config_socket_options),
};
static const struct schema_table config_envoy_listener = SCHEMA_TABLE("listener",
    struct config_envoy_listener, config_envoy_listener_fields, NULL);

/* Two listeners cannot share an address and port. */
static void
config_envoy_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct config_envoy *e = obj;

	if (e->http.port == e->https.port &&
	    strcmp(e->http.address, e->https.address) == 0) {
		const struct ynode *at = ynode_get(map, "https");

		schema_error(ctx, at ? at : map, "http and https listen on the "
		    "same address and port (%s:%d)", e->http.address,
		    (int)e->http.port);
	}
	/* Every RE2 program has instructions: 0 would refuse every regex. */
	if (e->regex_max_program_size == 0) {
		const struct ynode *at = ynode_get(map, "regex-max-program-size");

		schema_error(ctx, at ? at : map, "regex-max-program-size must be "
		    "at least 1 (default 1000)");
	}
}

static const struct schema_field config_envoy_fields[] = {
	C_OBJ("http", struct config_envoy, http, &config_listener),
	C_OBJ("https", struct config_envoy, https, &config_listener),
	{ .key = "regex-max-program-size", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_envoy, regex_max_program_size) },
	C_LIST("default-http-versions", struct config_envoy, default_http_versions,
	    ndefault_http_versions, SCHEMA_NONEMPTY, NULL, config_http_versions),
	C_ENUM("access-log-format", struct config_envoy, access_log_format,
	    config_access_log_formats),
	{ .key = "use-proxy-protocol", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_envoy, use_proxy_protocol) },
	{ .key = "xff-num-trusted-hops", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_envoy, xff_num_trusted_hops) },
	C_ENUM("server-header-transformation", struct config_envoy,
	    server_header_transformation, config_server_headers),
	C_OBJ("timeouts", struct config_envoy, timeouts, &config_timeouts),
	C_OBJ("tls", struct config_envoy, tls, &config_envoy_tls),
	C_OBJ("cluster", struct config_envoy, cluster, &config_cluster),
	C_STR("access-log-format-string", struct config_envoy,
	    access_log_format_string, 0, accesslog_check_format),
	C_LIST("json-fields", struct config_envoy, json_fields, njson_fields, 0,
	    accesslog_check_json_field, NULL),
	C_OBJ("compression", struct config_envoy, compression, &config_compression),
	{ .key = "merge-slashes", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_envoy, merge_slashes) },
	{ .key = "strip-trailing-host-dot", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_envoy, strip_trailing_host_dot) },
	C_OBJ("listener", struct config_envoy, listener, &config_envoy_listener),
};
static const struct schema_table config_envoy = SCHEMA_TABLE("envoy",
    struct config_envoy, config_envoy_fields, config_envoy_validate);

/* policy.fqdn-owners: namespace -> [patterns]. A namespace is a
 * directory name (a DNS label); a pattern a host name, "*.domain" or "*". */
static void
config_fqdn_owners(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct config_policy *pol = obj;

	(void)f;
	if (node->type != YNODE_MAPPING) {
		if (!ynode_is_null(node))
			schema_error(ctx, node, "expected a mapping of namespaces "
			    "to lists of FQDN patterns, got %s", ynode_type_name(node));
		return;
	}
	pol->fqdn_owners = ARENA_ARRAY(ctx->arena, struct config_fqdn_owner,
	    node->map.n + 1);
	pol->nfqdn_owners = 0;
	for (size_t i = 0; i < node->map.n; i++) {
		const struct ynode *k = node->map.items[i].key;
		const struct ynode *v = node->map.items[i].value;
		struct config_fqdn_owner *o;
		const char *why;

		if ((why = schema_check_dns1123_label(k->scalar.value)) != NULL) {
			schema_error(ctx, k, "namespace \"%s\" %s", k->scalar.value,
			    why);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(node->map.items[j].key->scalar.value,
			    k->scalar.value) == 0)
				schema_error(ctx, k, "namespace \"%s\" is listed "
				    "twice", k->scalar.value);
		if (v->type != YNODE_SEQUENCE) {
			schema_error_at(ctx, v, k->scalar.value, "expected a list of "
			    "FQDN patterns (\"shop.example.com\", \"*.example.com\"), "
			    "got %s", ynode_type_name(v));
			continue;
		}
		o = &pol->fqdn_owners[pol->nfqdn_owners++];
		o->namespace = arena_strdup(ctx->arena, k->scalar.value);
		o->patterns = ARENA_ARRAY(ctx->arena, char *, v->seq.n + 1);
		o->npatterns = 0;
		for (size_t j = 0; j < v->seq.n; j++) {
			const struct ynode *e = v->seq.items[j];
			size_t saved;

			if (e->type != YNODE_SCALAR || ynode_is_null(e)) {
				saved = schema_path_push_key(ctx, k->scalar.value);
				schema_path_push_index(ctx, j);
				schema_error(ctx, e, "expected an FQDN pattern, got %s",
				    ynode_type_name(e));
				schema_path_pop(ctx, saved);
				continue;
			}
			if (strcmp(e->scalar.value, "*") != 0 &&
			    (why = schema_check_fqdn(e->scalar.value)) != NULL) {
				saved = schema_path_push_key(ctx, k->scalar.value);
				schema_path_push_index(ctx, j);
				schema_error(ctx, e, "\"%s\" is not an FQDN pattern: "
				    "%s (or \"*\" for any)", e->scalar.value, why);
				schema_path_pop(ctx, saved);
				continue;
			}
			o->patterns[o->npatterns++] = arena_strdup(ctx->arena,
			    e->scalar.value);
		}
	}
}

static const struct schema_field config_policy_fields[] = {
	C_LIST("root-namespaces", struct config_policy, root_namespaces,
	    nroot_namespaces, 0, schema_check_dns1123_label, NULL),
	{ .key = "allow-external-name", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_policy, allow_external_name) },
	{ .key = "fqdn-owners", .type = SCHEMA_CUSTOM, .custom = config_fqdn_owners },
};
static const struct schema_table config_policy = SCHEMA_TABLE("policy",
    struct config_policy, config_policy_fields, NULL);

static const struct schema_field config_secrets_fields[] = {
	C_LIST("allowed-directories", struct config_secrets, allowed_directories,
	    nallowed_directories, 0, config_check_absolute, NULL),
};
static const struct schema_table config_secrets = SCHEMA_TABLE("secrets",
    struct config_secrets, config_secrets_fields, NULL);

/* --- global-ext-auth (Contour's globalExtAuth) ---------------------------- */

/* "NS/NAME" of an ExtensionService. */
static const char *
config_check_ns_name(const char *s)
{
	const char *slash = strchr(s, '/');
	char ns[64];

	if (slash == NULL || slash == s || slash[1] == '\0' ||
	    (size_t)(slash - s) >= sizeof ns || strchr(slash + 1, '/') != NULL)
		return "must be NAMESPACE/NAME of an ExtensionService";
	memcpy(ns, s, (size_t)(slash - s));
	ns[slash - s] = '\0';
	if (schema_check_dns1123_label(ns) != NULL)
		return "the namespace must be a DNS label";
	return schema_check_dns1123_subdomain(slash + 1);
}

static const char *
config_check_auth_timeout(const char *s)
{
	int64_t ms;
	const char *why;

	if (*s == '\0' || strcmp(s, "infinity") == 0 || strcmp(s, "infinite") == 0)
		return NULL;
	if (duration_parse_ms(s, &ms, &why) < 0)
		return "must be a duration such as \"500ms\", or \"infinity\"";
	return NULL;
}

static const struct schema_field config_ext_auth_body_fields[] = {
	{ .key = "max-request-bytes", .type = SCHEMA_UINT32, .min = 1,
	  .max = 0x7fffffff,
	  .offset = offsetof(struct config_ext_auth_body, max_request_bytes) },
	{ .key = "allow-partial-message", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_ext_auth_body, allow_partial_message) },
	{ .key = "pack-as-bytes", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_ext_auth_body, pack_as_bytes) },
};
static const struct schema_table config_ext_auth_body = SCHEMA_TABLE(
    "with-request-body", struct config_ext_auth_body,
    config_ext_auth_body_fields, NULL);

static const struct schema_field config_ext_auth_policy_fields[] = {
	{ .key = "disabled", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_ext_auth_policy, disabled) },
	{ .key = "context", .type = SCHEMA_STRING_MAP,
	  .offset = offsetof(struct config_ext_auth_policy, context),
	  .count_offset = offsetof(struct config_ext_auth_policy, ncontext) },
};
static const struct schema_table config_ext_auth_policy = SCHEMA_TABLE(
    "auth-policy", struct config_ext_auth_policy, config_ext_auth_policy_fields,
    NULL);

static const struct schema_field config_global_ext_auth_fields[] = {
	C_STR("extension-service", struct config_global_ext_auth,
	    extension_service, SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	    config_check_ns_name),
	C_STR("response-timeout", struct config_global_ext_auth, response_timeout,
	    0, config_check_auth_timeout),
	{ .key = "fail-open", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_global_ext_auth, fail_open) },
	C_OBJ("auth-policy", struct config_global_ext_auth, auth_policy,
	    &config_ext_auth_policy),
	{ .key = "with-request-body", .type = SCHEMA_OBJECT, .flags = SCHEMA_HAS,
	  .offset = offsetof(struct config_global_ext_auth, with_request_body),
	  .has_offset = offsetof(struct config_global_ext_auth, has_with_request_body),
	  .sub = &config_ext_auth_body },
};

/* An empty mapping ({}) is no global authorization at all. */
static void
config_global_ext_auth(struct schema_ctx *ctx, const struct ynode *node,
    void *obj, const struct schema_field *f)
{
	struct cairn_config *c = obj;
	static const struct schema_table table = SCHEMA_TABLE("global-ext-auth",
	    struct config_global_ext_auth, config_global_ext_auth_fields, NULL);

	(void)f;
	if (ynode_is_null(node) || (node->type == YNODE_MAPPING &&
	    node->map.n == 0))
		return;
	schema_decode(ctx, &table, node, &c->global_ext_auth);
}

/* --- rate-limit-service (Contour's rateLimitService) ------------------------ */

static const struct schema_field config_rate_limit_service_fields[] = {
	C_STR("extension-service", struct config_rate_limit_service,
	    extension_service, SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	    config_check_ns_name),
	C_STR("domain", struct config_rate_limit_service, domain, 0, NULL),
	{ .key = "fail-open", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_rate_limit_service, fail_open) },
	{ .key = "enable-x-ratelimit-headers", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_rate_limit_service,
	      enable_x_ratelimit_headers) },
	{ .key = "enable-resource-exhausted-code", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct config_rate_limit_service,
	      enable_resource_exhausted_code) },
	/* HTTPProxy's rateLimitPolicy.global, keys as there (camelCase). */
	{ .key = "default-global-rate-limit-policy", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct config_rate_limit_service,
	      default_global_rate_limit_policy),
	  .sub = &kinds_global_ratelimit },
};

static void
config_rate_limit_service(struct schema_ctx *ctx, const struct ynode *node,
    void *obj, const struct schema_field *f)
{
	struct cairn_config *c = obj;
	static const struct schema_table table = SCHEMA_TABLE("rate-limit-service",
	    struct config_rate_limit_service, config_rate_limit_service_fields,
	    NULL);

	(void)f;
	if (ynode_is_null(node) || (node->type == YNODE_MAPPING &&
	    node->map.n == 0))
		return;
	schema_decode(ctx, &table, node, &c->rate_limit_service);
}

/* --- tracing (Contour's tracing) ------------------------------------------- */

/* A percentage, 0 to 100, written as a number. */
static void
config_sampling(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct config_tracing *t = obj;
	char *end;
	double v;

	(void)f;
	if (node->type != YNODE_SCALAR || node->scalar.len == 0) {
		schema_error(ctx, node, "expected a percentage from 0 to 100");
		return;
	}
	errno = 0;
	v = strtod(node->scalar.value, &end);
	if (errno != 0 || *end != '\0' || !(v >= 0 && v <= 100)) {
		schema_error(ctx, node, "invalid value \"%s\": expected a "
		    "percentage from 0 to 100", node->scalar.value);
		return;
	}
	t->overall_sampling = v;
}

static void
config_custom_tag_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct config_custom_tag *c = obj;

	if ((c->literal != NULL) == (c->request_header_name != NULL))
		schema_error(ctx, map, "a custom tag sets exactly one of literal "
		    "and request-header-name");
}

static const struct schema_field config_custom_tag_fields[] = {
	C_STR("tag-name", struct config_custom_tag, tag_name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, NULL),
	C_STR("literal", struct config_custom_tag, literal, SCHEMA_NONEMPTY, NULL),
	C_STR("request-header-name", struct config_custom_tag,
	    request_header_name, SCHEMA_NONEMPTY, NULL),
};
static const struct schema_table config_custom_tag = SCHEMA_TABLE("custom-tag",
    struct config_custom_tag, config_custom_tag_fields,
    config_custom_tag_validate);

static const struct schema_field config_tracing_fields[] = {
	C_STR("extension-service", struct config_tracing, extension_service,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, config_check_ns_name),
	C_STR("service-name", struct config_tracing, service_name,
	    SCHEMA_NONEMPTY, NULL),
	{ .key = "overall-sampling", .type = SCHEMA_CUSTOM,
	  .custom = config_sampling },
	{ .key = "max-path-tag-length", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct config_tracing, max_path_tag_length) },
	{ .key = "custom-tags", .type = SCHEMA_OBJECT_LIST,
	  .offset = offsetof(struct config_tracing, custom_tags),
	  .count_offset = offsetof(struct config_tracing, ncustom_tags),
	  .sub = &config_custom_tag },
};

static void
config_tracing(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct cairn_config *c = obj;
	static const struct schema_table table = SCHEMA_TABLE("tracing",
	    struct config_tracing, config_tracing_fields, NULL);

	(void)f;
	if (ynode_is_null(node) || (node->type == YNODE_MAPPING &&
	    node->map.n == 0))
		return;
	schema_decode(ctx, &table, node, &c->tracing);
}

static const struct schema_field config_fields[] = {
	C_OBJ("source", struct cairn_config, source, &config_source),
	C_DUR("debounce", struct cairn_config, debounce_ms, 0),
	C_DUR("max-delay", struct cairn_config, max_delay_ms, 0),
	C_OBJ("xds", struct cairn_config, xds, &config_xds),
	C_OBJ("admin", struct cairn_config, admin, &config_admin),
	C_OBJ("envoy", struct cairn_config, envoy, &config_envoy),
	C_OBJ("policy", struct cairn_config, policy, &config_policy),
	C_OBJ("secrets", struct cairn_config, secrets, &config_secrets),
	C_STR("state-directory", struct cairn_config, state_directory, SCHEMA_NONEMPTY,
	    config_check_absolute),
	{ .key = "global-ext-auth", .type = SCHEMA_CUSTOM,
	  .custom = config_global_ext_auth },
	{ .key = "rate-limit-service", .type = SCHEMA_CUSTOM,
	  .custom = config_rate_limit_service },
	{ .key = "tracing", .type = SCHEMA_CUSTOM, .custom = config_tracing },
};

static void
config_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct cairn_config *c = obj;

	if (c->max_delay_ms < c->debounce_ms) {
		const struct ynode *at = ynode_get(map, "max-delay");

		schema_error(ctx, at ? at : map, "max-delay (%lldms) must not be "
		    "shorter than debounce (%lldms)", (long long)c->max_delay_ms,
		    (long long)c->debounce_ms);
	}
}

static const struct schema_table config_table =
    SCHEMA_TABLE("cairn.yaml", struct cairn_config, config_fields, config_validate);

/* --- API ----------------------------------------------------------------- */

static char **
config_strv(struct arena *a, size_t *n_out, const char *const *v, size_t n)
{
	char **out = ARENA_ARRAY(a, char *, n ? n : 1);

	for (size_t i = 0; i < n; i++)
		out[i] = arena_strdup(a, v[i]);
	*n_out = n;
	return out;
}

void
config_init_defaults(struct cairn_config *c)
{
	static const char *const http_versions[] = { "HTTP/2", "HTTP/1.1" };
	static const char *const secret_dirs[] = { "/etc/cairn/certs",
		"/etc/letsencrypt" };
	struct arena *a = &c->arena;

	memset(c, 0, sizeof *c);
	arena_init(a);
	/* Strings are never NULL: "" is "not set". */
	c->source.directory = arena_strdup(a, "/etc/cairn/resources");
	c->source.git.repository = arena_strdup(a, "");
	c->source.git.branch = arena_strdup(a, "main");
	c->source.git.path = arena_strdup(a, "");
	c->source.git.remote = arena_strdup(a, "");
	c->source.git.fetch_interval_ms = 30000;
	c->source.git.ssh_key_file = arena_strdup(a, "");
	c->source.git.token_file = arena_strdup(a, "");
	c->source.max_file_bytes = 4194304;
	c->state_directory = arena_strdup(a, "");
	c->global_ext_auth.extension_service = arena_strdup(a, "");
	c->global_ext_auth.response_timeout = arena_strdup(a, "");
	c->rate_limit_service.extension_service = arena_strdup(a, "");
	c->rate_limit_service.domain = arena_strdup(a, "");
	c->tracing.extension_service = arena_strdup(a, "");
	c->tracing.service_name = arena_strdup(a, "contour");
	c->tracing.overall_sampling = 100;
	c->tracing.max_path_tag_length = 256;
	c->tracing.custom_tags = ARENA_ARRAY(a, struct config_custom_tag, 1);
	c->debounce_ms = 100;
	c->max_delay_ms = 1000;
	c->xds.address = arena_strdup(a, "127.0.0.1:18000");
	c->xds.keepalive_time_ms = 30000; /* ADS_KEEPALIVE_TIME_MS */
	c->xds.keepalive_timeout_ms = 10000; /* ADS_KEEPALIVE_TIMEOUT_MS */
	c->xds.warming_timeout_ms = 5000; /* SPEC §8 warming gate */
	c->xds.tls.certificate = arena_strdup(a, "");
	c->xds.tls.key = arena_strdup(a, "");
	c->xds.tls.client_ca = arena_strdup(a, "");
	c->admin.address = arena_strdup(a, "127.0.0.1:9090");

	c->envoy.http.address = arena_strdup(a, "0.0.0.0");
	c->envoy.http.port = 8080;
	c->envoy.http.access_log = arena_strdup(a, "/dev/stdout");
	c->envoy.https.address = arena_strdup(a, "0.0.0.0");
	c->envoy.https.port = 8443;
	c->envoy.https.access_log = arena_strdup(a, "/dev/stdout");
	c->envoy.default_http_versions = config_strv(a,
	    &c->envoy.ndefault_http_versions, http_versions, nitems(http_versions));
	c->envoy.access_log_format = CONFIG_ACCESS_LOG_ENVOY;
	c->envoy.use_proxy_protocol = false;
	c->envoy.xff_num_trusted_hops = 0;
	c->envoy.regex_max_program_size = 1000;
	c->envoy.server_header_transformation = CONFIG_SERVER_HEADER_OVERWRITE;
	c->envoy.timeouts.request_ms = -1;
	c->envoy.timeouts.connection_idle_ms = 60000;
	c->envoy.timeouts.stream_idle_ms = -1;
	c->envoy.timeouts.max_connection_duration_ms = -1;
	c->envoy.timeouts.connection_shutdown_grace_period_ms = -1;
	c->envoy.timeouts.connect_ms = 2000;
	c->envoy.tls.minimum_protocol_version = CONFIG_TLS_1_2;
	c->envoy.tls.maximum_protocol_version = CONFIG_TLS_1_3;
	c->envoy.tls.cipher_suites = config_strv(a, &c->envoy.tls.ncipher_suites,
	    NULL, 0);
	c->envoy.tls.fallback_certificate.name = arena_strdup(a, "");
	c->envoy.tls.fallback_certificate.namespace = arena_strdup(a, "");
	c->envoy.cluster.dns_lookup_family = CONFIG_DNS_AUTO;
	c->envoy.access_log_format_string = arena_strdup(a, "");
	c->envoy.json_fields = config_strv(a, &c->envoy.njson_fields, NULL, 0);
	c->envoy.compression.algorithm = CONFIG_COMPRESSION_DISABLED;

	c->policy.root_namespaces = config_strv(a, &c->policy.nroot_namespaces,
	    NULL, 0);
	c->policy.allow_external_name = true;
	c->policy.fqdn_owners = ARENA_ARRAY(a, struct config_fqdn_owner, 1);
	c->policy.nfqdn_owners = 0;
	c->secrets.allowed_directories = config_strv(a,
	    &c->secrets.nallowed_directories, secret_dirs, nitems(secret_dirs));
}

int
config_load_buffer(struct cairn_config *c, const char *name, const char *buf,
    size_t len, struct diag_list *diags)
{
	/* Decode into a copy; its arena keeps growing the same block
	 * chain, so whichever struct survives owns all the memory. */
	struct cairn_config next = *c;
	size_t errors = diags->nerrors;
	const struct ynode *root = NULL;
	struct ydoc *docs;
	size_t ndocs;
	struct arena tree;

	arena_init(&tree);
	if (yaml_parse(name, buf, len, NULL, &tree, &docs, &ndocs, diags) == 0) {
		for (size_t i = 0; i < ndocs; i++) {
			if (docs[i].root == NULL || ynode_is_null(docs[i].root))
				continue;
			if (root != NULL) {
				diag_add(diags, DIAG_ERROR, name, docs[i].line,
				    docs[i].col, "the configuration must be a "
				    "single YAML document");
				break;
			}
			root = docs[i].root;
		}
	}
	if (root != NULL && diags->nerrors == errors) {
		struct schema_ctx ctx;

		schema_ctx_init(&ctx, &next.arena, diags, name, NULL);
		schema_decode(&ctx, &config_table, root, &next);
		schema_ctx_free(&ctx);
	}
	arena_free(&tree);
	if (diags->nerrors != errors) {
		c->arena = next.arena;
		return -1;
	}
	*c = next;
	return 0;
}

int
config_load_file(struct cairn_config *c, const char *path,
    struct diag_list *diags)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t len;
	int rc;

	if (fp == NULL) {
		diag_add(diags, DIAG_ERROR, path, 0, 0, "cannot open: %s",
		    strerror(errno));
		return -1;
	}
	buf = xmalloc(CONFIG_MAX_FILE_BYTES + 1);
	len = fread(buf, 1, CONFIG_MAX_FILE_BYTES + 1, fp);
	if (ferror(fp)) {
		diag_add(diags, DIAG_ERROR, path, 0, 0, "cannot read: %s",
		    strerror(errno));
		rc = -1;
	} else if (len > CONFIG_MAX_FILE_BYTES) {
		diag_add(diags, DIAG_ERROR, path, 0, 0, "the configuration is "
		    "larger than %d bytes", CONFIG_MAX_FILE_BYTES);
		rc = -1;
	} else {
		rc = config_load_buffer(c, path, buf, len, diags);
	}
	free(buf);
	fclose(fp);
	return rc;
}

void
config_free(struct cairn_config *c)
{
	arena_free(&c->arena);
	memset(c, 0, sizeof *c);
}

const char *
config_dns_family_name(enum config_dns_family f)
{
	for (const struct schema_enum *e = config_dns_families; e->name; e++)
		if (e->value == (int)f)
			return e->name;
	return "auto";
}

const char *
config_tls_version_name(enum config_tls_version v)
{
	for (const struct schema_enum *e = config_tls_versions; e->name; e++)
		if (e->value == (int)v)
			return e->name;
	return "1.2";
}
