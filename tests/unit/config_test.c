/* src/config.c: cairn.yaml defaults, every key, and the messages for
 * each way it can be wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* By path: an old autoconf "config.h" may linger in the build directory,
 * which -I. would find first. */
#include "../../src/config.h"

static int
load(struct cairn_config *c, struct diag_list *dl, const char *yaml)
{
	config_init_defaults(c);
	diag_list_init(dl);
	return config_load_buffer(c, "cairn.yaml", yaml, strlen(yaml), dl);
}

static void
assert_diag(const struct diag_list *dl, size_t i, const char *expected)
{
	char buf[2048];

	if (i >= dl->n)
		fail_msg("no diagnostic %zu (have %zu)", i, dl->n);
	diag_format(&dl->items[i], buf, sizeof buf);
	assert_string_equal(buf, expected);
}

/* yaml fails with exactly these messages. */
static void
assert_errors(const char *yaml, const char *const *expected, size_t n)
{
	struct cairn_config c;
	struct diag_list dl;

	assert_int_equal(load(&c, &dl, yaml), -1);
	for (size_t i = 0; i < n; i++)
		assert_diag(&dl, i, expected[i]);
	if (dl.n != n) {
		for (size_t i = 0; i < dl.n; i++)
			diag_print(stderr, &dl.items[i]);
		fail_msg("expected %zu diagnostics, got %zu", n, dl.n);
	}
	config_free(&c);
	diag_list_free(&dl);
}

static void
assert_error(const char *yaml, const char *expected)
{
	assert_errors(yaml, &expected, 1);
}

static void
assert_defaults(const struct cairn_config *c)
{
	assert_string_equal(c->source.directory, "/etc/cairn/resources");
	assert_string_equal(c->source.git.repository, "");
	assert_string_equal(c->source.git.branch, "main");
	assert_string_equal(c->source.git.path, "");
	assert_string_equal(c->source.git.remote, "");
	assert_int_equal(c->source.git.fetch_interval_ms, 30000);
	assert_int_equal(c->source.max_file_bytes, 4194304);
	assert_int_equal(c->debounce_ms, 100);
	assert_int_equal(c->max_delay_ms, 1000);
	assert_string_equal(c->xds.address, "127.0.0.1:18000");
	assert_int_equal(c->xds.keepalive_time_ms, 30000);
	assert_int_equal(c->xds.keepalive_timeout_ms, 10000);
	assert_int_equal(c->xds.warming_timeout_ms, 5000);
	assert_string_equal(c->xds.tls.certificate, "");
	assert_string_equal(c->xds.tls.key, "");
	assert_string_equal(c->xds.tls.client_ca, "");
	assert_string_equal(c->admin.address, "127.0.0.1:9090");
	assert_string_equal(c->envoy.http.address, "0.0.0.0");
	assert_int_equal(c->envoy.http.port, 8080);
	assert_string_equal(c->envoy.http.access_log, "/dev/stdout");
	assert_string_equal(c->envoy.https.address, "0.0.0.0");
	assert_int_equal(c->envoy.https.port, 8443);
	assert_string_equal(c->envoy.https.access_log, "/dev/stdout");
	assert_int_equal(c->envoy.ndefault_http_versions, 2);
	assert_string_equal(c->envoy.default_http_versions[0], "HTTP/2");
	assert_string_equal(c->envoy.default_http_versions[1], "HTTP/1.1");
	assert_int_equal(c->envoy.access_log_format, CONFIG_ACCESS_LOG_ENVOY);
	assert_false(c->envoy.use_proxy_protocol);
	assert_int_equal(c->envoy.xff_num_trusted_hops, 0);
	assert_int_equal(c->envoy.server_header_transformation,
	    CONFIG_SERVER_HEADER_OVERWRITE);
	assert_int_equal(c->envoy.timeouts.request_ms, -1);
	assert_int_equal(c->envoy.timeouts.connection_idle_ms, 60000);
	assert_int_equal(c->envoy.timeouts.stream_idle_ms, -1);
	assert_int_equal(c->envoy.timeouts.max_connection_duration_ms, -1);
	assert_int_equal(c->envoy.timeouts.connection_shutdown_grace_period_ms, -1);
	assert_int_equal(c->envoy.timeouts.connect_ms, 2000);
	assert_int_equal(c->envoy.tls.minimum_protocol_version, CONFIG_TLS_1_2);
	assert_int_equal(c->envoy.tls.maximum_protocol_version, CONFIG_TLS_1_3);
	assert_int_equal(c->envoy.tls.ncipher_suites, 0);
	assert_string_equal(c->envoy.tls.fallback_certificate.name, "");
	assert_string_equal(c->envoy.tls.fallback_certificate.namespace, "");
	assert_int_equal(c->envoy.cluster.dns_lookup_family, CONFIG_DNS_AUTO);
	assert_int_equal(c->policy.nroot_namespaces, 0);
	assert_true(c->policy.allow_external_name);
	assert_int_equal(c->secrets.nallowed_directories, 2);
	assert_string_equal(c->secrets.allowed_directories[0], "/etc/cairn/certs");
	assert_string_equal(c->secrets.allowed_directories[1], "/etc/letsencrypt");
}

static void
test_defaults(void **state)
{
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	config_init_defaults(&c);
	assert_defaults(&c);
	config_free(&c);
	/* An empty file or one with only comments changes nothing. */
	assert_int_equal(load(&c, &dl, "# nothing\n"), 0);
	assert_int_equal(dl.n, 0);
	assert_defaults(&c);
	config_free(&c);
	diag_list_free(&dl);
}

/* The example of SPEC.md §3, as written there. */
static void
test_spec_example(void **state)
{
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	assert_int_equal(load(&c, &dl,
	    "source:\n"
	    "  directory: /etc/cairn/resources          # default source\n"
	    "  # git:\n"
	    "  #   repository: /srv/cairn/routes.git\n"
	    "  max-file-bytes: 4194304\n"
	    "debounce: 100ms\n"
	    "max-delay: 1s\n"
	    "xds:\n"
	    "  address: 127.0.0.1:18000\n"
	    "  tls: {certificate: \"\", key: \"\", client-ca: \"\"}\n"
	    "admin:\n"
	    "  address: 127.0.0.1:9090\n"
	    "envoy:\n"
	    "  http:  {address: 0.0.0.0, port: 8080, access-log: /dev/stdout}\n"
	    "  https: {address: 0.0.0.0, port: 8443, access-log: /dev/stdout}\n"
	    "  default-http-versions: [HTTP/2, HTTP/1.1]\n"
	    "  access-log-format: envoy\n"
	    "  use-proxy-protocol: false\n"
	    "  xff-num-trusted-hops: 0\n"
	    "  server-header-transformation: overwrite\n"
	    "  timeouts: {request: \"\", connection-idle: 60s, stream-idle: \"\", "
	    "max-connection-duration: \"\",\n"
	    "             connection-shutdown-grace-period: \"\", connect: 2s}\n"
	    "  tls: {minimum-protocol-version: \"1.2\", maximum-protocol-version: "
	    "\"1.3\", cipher-suites: [],\n"
	    "        fallback-certificate: {name: \"\", namespace: \"\"}}\n"
	    "  cluster: {dns-lookup-family: auto}\n"
	    "policy:\n"
	    "  root-namespaces: []\n"
	    "  allow-external-name: true\n"
	    "secrets:\n"
	    "  allowed-directories: [/etc/cairn/certs, /etc/letsencrypt]\n"), 0);
	assert_int_equal(dl.n, 0);
	assert_defaults(&c);
	config_free(&c);
	diag_list_free(&dl);
}

static void
test_every_key_set(void **state)
{
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	assert_int_equal(load(&c, &dl,
	    "source:\n"
	    "  git:\n"
	    "    repository: /srv/cairn/routes.git\n"
	    "    branch: prod\n"
	    "    path: resources\n"
	    "    remote: https://git.example.com/routes.git\n"
	    "    fetch-interval: 1m30s\n"
	    "  max-file-bytes: 1048576\n"
	    "debounce: 250ms\n"
	    "max-delay: 2s\n"
	    "xds:\n"
	    "  address: unix:/run/cairn/xds.sock\n"
	    "  tls: {certificate: /c.pem, key: /k.pem, client-ca: /ca.pem}\n"
	    "admin: {address: \"\"}\n"
	    "envoy:\n"
	    "  http: {address: 127.0.0.1, port: 80, access-log: /var/log/a}\n"
	    "  https: {port: 443}\n"
	    "  default-http-versions: [HTTP/1.1]\n"
	    "  access-log-format: json\n"
	    "  use-proxy-protocol: true\n"
	    "  xff-num-trusted-hops: 2\n"
	    "  server-header-transformation: append_if_absent\n"
	    "  timeouts: {request: 30s, connection-idle: infinity-is-not-valid}\n"
	    "  tls: {minimum-protocol-version: 1.3, cipher-suites: "
	    "[ECDHE-RSA-AES128-GCM-SHA256]}\n"
	    "  cluster: {dns-lookup-family: v4}\n"
	    "policy: {root-namespaces: [root, infra], allow-external-name: false}\n"
	    "secrets: {allowed-directories: [/srv/certs]}\n"), -1);
	/* One mistake above; fix it and everything applies. */
	assert_int_equal(dl.n, 1);
	assert_diag(&dl, 0, "cairn.yaml:23:45: error: envoy.timeouts."
	    "connection-idle: invalid duration \"infinity-is-not-valid\": expected "
	    "a number followed by a unit (ns, us, ms, s, m, h), for example "
	    "\"250ms\" or \"2s\"");
	config_free(&c);
	diag_list_free(&dl);

	assert_int_equal(load(&c, &dl,
	    "source:\n"
	    "  git:\n"
	    "    repository: /srv/cairn/routes.git\n"
	    "    branch: prod\n"
	    "    path: resources\n"
	    "    remote: https://git.example.com/routes.git\n"
	    "    fetch-interval: 1m30s\n"
	    "  max-file-bytes: 1048576\n"
	    "debounce: 250ms\n"
	    "max-delay: 2s\n"
	    "xds:\n"
	    "  address: unix:/run/cairn/xds.sock\n"
	    "  tls: {certificate: /c.pem, key: /k.pem, client-ca: /ca.pem}\n"
	    "admin: {address: \"\"}\n"
	    "envoy:\n"
	    "  http: {address: 127.0.0.1, port: 80, access-log: /var/log/a}\n"
	    "  https: {port: 443}\n"
	    "  default-http-versions: [HTTP/1.1]\n"
	    "  access-log-format: json\n"
	    "  use-proxy-protocol: true\n"
	    "  xff-num-trusted-hops: 2\n"
	    "  server-header-transformation: append_if_absent\n"
	    "  timeouts: {request: 30s, connection-idle: 0s, connect: 500ms}\n"
	    "  tls: {minimum-protocol-version: 1.3, cipher-suites: "
	    "[ECDHE-RSA-AES128-GCM-SHA256]}\n"
	    "  cluster: {dns-lookup-family: v4}\n"
	    "policy: {root-namespaces: [root, infra], allow-external-name: false}\n"
	    "secrets: {allowed-directories: [/srv/certs]}\n"), 0);
	assert_int_equal(dl.n, 0);
	assert_string_equal(c.source.directory, "/etc/cairn/resources");
	assert_string_equal(c.source.git.repository, "/srv/cairn/routes.git");
	assert_string_equal(c.source.git.branch, "prod");
	assert_string_equal(c.source.git.path, "resources");
	assert_string_equal(c.source.git.remote, "https://git.example.com/routes.git");
	assert_int_equal(c.source.git.fetch_interval_ms, 90000);
	assert_int_equal(c.source.max_file_bytes, 1048576);
	assert_int_equal(c.debounce_ms, 250);
	assert_int_equal(c.max_delay_ms, 2000);
	assert_string_equal(c.xds.address, "unix:/run/cairn/xds.sock");
	assert_string_equal(c.xds.tls.client_ca, "/ca.pem");
	assert_string_equal(c.admin.address, "");
	assert_string_equal(c.envoy.http.address, "127.0.0.1");
	assert_int_equal(c.envoy.http.port, 80);
	assert_string_equal(c.envoy.http.access_log, "/var/log/a");
	assert_string_equal(c.envoy.https.address, "0.0.0.0");
	assert_int_equal(c.envoy.https.port, 443);
	assert_int_equal(c.envoy.ndefault_http_versions, 1);
	assert_string_equal(c.envoy.default_http_versions[0], "HTTP/1.1");
	assert_int_equal(c.envoy.access_log_format, CONFIG_ACCESS_LOG_JSON);
	assert_true(c.envoy.use_proxy_protocol);
	assert_int_equal(c.envoy.xff_num_trusted_hops, 2);
	assert_int_equal(c.envoy.server_header_transformation,
	    CONFIG_SERVER_HEADER_APPEND_IF_ABSENT);
	assert_int_equal(c.envoy.timeouts.request_ms, 30000);
	assert_int_equal(c.envoy.timeouts.connection_idle_ms, 0);
	assert_int_equal(c.envoy.timeouts.stream_idle_ms, -1);
	assert_int_equal(c.envoy.timeouts.connect_ms, 500);
	assert_int_equal(c.envoy.tls.minimum_protocol_version, CONFIG_TLS_1_3);
	assert_int_equal(c.envoy.tls.maximum_protocol_version, CONFIG_TLS_1_3);
	assert_int_equal(c.envoy.tls.ncipher_suites, 1);
	assert_int_equal(c.envoy.cluster.dns_lookup_family, CONFIG_DNS_V4_ONLY);
	assert_string_equal(config_dns_family_name(c.envoy.cluster.dns_lookup_family),
	    "v4only");
	assert_int_equal(c.policy.nroot_namespaces, 2);
	assert_string_equal(c.policy.root_namespaces[1], "infra");
	assert_false(c.policy.allow_external_name);
	assert_int_equal(c.secrets.nallowed_directories, 1);
	assert_string_equal(c.secrets.allowed_directories[0], "/srv/certs");
	config_free(&c);
	diag_list_free(&dl);
}

static void
test_unknown_keys(void **state)
{
	static const char *const three[] = {
		"cairn.yaml:2:3: error: source: unknown field \"max_file_bytes\" "
		"(did you mean \"max-file-bytes\"?)",
		"cairn.yaml:5:5: error: envoy.http: unknown field \"adress\" (did "
		"you mean \"address\"?)",
		"cairn.yaml:6:1: error: unknown field \"loglevel\"",
	};

	(void)state;
	assert_errors("source:\n"
	    "  max_file_bytes: 10\n"
	    "envoy:\n"
	    "  http:\n"
	    "    adress: 0.0.0.0\n"
	    "loglevel: debug\n", three, 3);
	assert_error("envoy: {timeouts: {connectTimeout: 1s}}\n",
	    "cairn.yaml:1:20: error: envoy.timeouts: unknown field "
	    "\"connectTimeout\"");
	assert_error("envoy: {timeouts: {Connect: 1s}}\n",
	    "cairn.yaml:1:20: error: envoy.timeouts: unknown field \"Connect\" "
	    "(did you mean \"connect\"?)");
}

static void
test_enums(void **state)
{
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	assert_error("envoy: {access-log-format: xml}\n",
	    "cairn.yaml:1:28: error: envoy.access-log-format: invalid value "
	    "\"xml\" (expected one of: envoy, json)");
	assert_error("envoy:\n  server-header-transformation: pass-through\n",
	    "cairn.yaml:2:33: error: envoy.server-header-transformation: invalid "
	    "value \"pass-through\" (did you mean \"pass_through\"? expected one "
	    "of: overwrite, append_if_absent, pass_through)");
	assert_error("envoy: {cluster: {dns-lookup-family: ipv4}}\n",
	    "cairn.yaml:1:38: error: envoy.cluster.dns-lookup-family: invalid "
	    "value \"ipv4\" (expected one of: auto, v4only, "
	    "v6only, v4preferred, all, v4, v6)");
	assert_error("envoy: {tls: {minimum-protocol-version: \"1.1\"}}\n",
	    "cairn.yaml:1:41: error: envoy.tls.minimum-protocol-version: invalid "
	    "value \"1.1\" (did you mean \"1.2\"? expected one of: 1.2, 1.3)");
	assert_error("envoy:\n  tls: {minimum-protocol-version: \"1.3\", "
	    "maximum-protocol-version: \"1.2\"}\n",
	    "cairn.yaml:2:8: error: envoy.tls: minimum-protocol-version 1.3 is "
	    "above maximum-protocol-version 1.2");
	assert_error("envoy: {default-http-versions: [HTTP/3]}\n",
	    "cairn.yaml:1:33: error: envoy.default-http-versions[0]: invalid "
	    "value \"HTTP/3\" (did you mean \"HTTP/2\"? expected one of: HTTP/2, "
	    "HTTP/1.1)");
	assert_error("envoy: {default-http-versions: []}\n",
	    "cairn.yaml:1:32: error: envoy.default-http-versions: must not be "
	    "empty");
	assert_int_equal(load(&c, &dl, "envoy: {cluster: {dns-lookup-family: "
	    "v6only}}\n"), 0);
	assert_int_equal(c.envoy.cluster.dns_lookup_family, CONFIG_DNS_V6_ONLY);
	config_free(&c);
	diag_list_free(&dl);
}

static void
test_values(void **state)
{
	(void)state;
	assert_error("debounce: 2x\n", "cairn.yaml:1:11: error: debounce: invalid "
	    "duration \"2x\": missing or unknown unit (use ns, us, ms, s, m or h), "
	    "for example \"250ms\" or \"2s\"");
	assert_error("debounce: \"\"\n", "cairn.yaml:1:11: error: debounce: "
	    "invalid duration \"\": empty duration");
	assert_error("envoy: {http: {port: 65536}}\n", "cairn.yaml:1:22: error: "
	    "envoy.http.port: 65536 is out of range (1..65535)");
	assert_error("envoy: {https: {port: \"443\"}}\n", "cairn.yaml:1:23: error: "
	    "envoy.https.port: expected an integer, got string \"443\"");
	assert_error("envoy: {use-proxy-protocol: on}\n", "cairn.yaml:1:29: error: "
	    "envoy.use-proxy-protocol: expected a boolean (true or false), got "
	    "string \"on\"");
	assert_error("envoy: {xff-num-trusted-hops: -1}\n", "cairn.yaml:1:31: "
	    "error: envoy.xff-num-trusted-hops: -1 is out of range "
	    "(0..4294967295)");
	assert_error("xds: {address: localhost}\n", "cairn.yaml:1:16: error: "
	    "xds.address: invalid value \"localhost\": expected HOST:PORT, "
	    "[IPV6]:PORT or unix:/path");
	assert_error("xds: {address: \"[::1]:0\"}\n", "cairn.yaml:1:16: error: "
	    "xds.address: invalid value \"[::1]:0\": the port must be in 1..65535");
	assert_error("admin: {address: unix:admin.sock}\n", "cairn.yaml:1:18: "
	    "error: admin.address: invalid value \"unix:admin.sock\": a unix "
	    "socket path must be absolute (unix:/path)");
	assert_error("secrets: {allowed-directories: [certs]}\n",
	    "cairn.yaml:1:33: error: secrets.allowed-directories[0]: invalid "
	    "value \"certs\": must be an absolute path");
	assert_error("policy: {root-namespaces: [Root]}\n",
	    "cairn.yaml:1:28: error: policy.root-namespaces[0]: invalid value "
	    "\"Root\": must be a DNS-1123 label: lowercase letters, digits and "
	    "'-', starting and ending with a letter or digit, at most 63 "
	    "characters");
	assert_error("source: {max-file-bytes: 0}\n", "cairn.yaml:1:26: error: "
	    "source.max-file-bytes: 0 is out of range (1..9223372036854775807)");
	assert_error("source: [a]\n", "cairn.yaml:1:9: error: source: expected a "
	    "mapping, got sequence");
	assert_error("- a\n", "cairn.yaml:1:1: error: expected a mapping, got "
	    "sequence");
}

static void
test_cross_field_checks(void **state)
{
	(void)state;
	assert_error("source:\n  directory: /srv/r\n  git: {repository: /srv/g.git}\n",
	    "cairn.yaml:3:8: error: source: set either directory or git, not both");
	assert_error("source:\n  git: {branch: main}\n",
	    "cairn.yaml:2:8: error: source.git: missing required field "
	    "\"repository\"");
	assert_error("xds:\n  tls: {certificate: /c.pem}\n",
	    "cairn.yaml:2:8: error: xds.tls: certificate and key must be set "
	    "together");
	assert_error("xds:\n  tls: {client-ca: /ca.pem}\n",
	    "cairn.yaml:2:8: error: xds.tls: client-ca needs certificate and key");
	assert_error("envoy:\n  https: {port: 8080}\n",
	    "cairn.yaml:2:10: error: envoy: http and https listen on the same "
	    "address and port (0.0.0.0:8080)");
	assert_error("envoy: {tls: {fallback-certificate: {name: fb}}}\n",
	    "cairn.yaml:1:37: error: envoy.tls.fallback-certificate: name and "
	    "namespace must be set together");
	assert_error("debounce: 2s\n", "cairn.yaml:1:1: error: max-delay (1000ms) "
	    "must not be shorter than debounce (2000ms)");
}

/* xds.keepalive-*: durations grpc can take (an int of ms, not 0). */
static void
test_xds_keepalive(void **state)
{
	static const char yaml[] = "xds:\n  keepalive-time: 1500ms\n"
	    "  keepalive-timeout: 2s\n";
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	assert_int_equal(load(&c, &dl, yaml), 0);
	assert_int_equal(c.xds.keepalive_time_ms, 1500);
	assert_int_equal(c.xds.keepalive_timeout_ms, 2000);
	config_free(&c);
	diag_list_free(&dl);
	assert_error("xds:\n  keepalive-time: 0s\n", "cairn.yaml:2:19: error: "
	    "xds: keepalive-time must be between 1ms and 2147483647ms");
	assert_error("xds: {keepalive-timeout: 600h}\n", "cairn.yaml:1:26: error: "
	    "xds: keepalive-timeout must be between 1ms and 2147483647ms");
	assert_error("xds:\n  keepalive-time: soon\n", "cairn.yaml:2:19: error: "
	    "xds.keepalive-time: invalid duration \"soon\": expected a number "
	    "followed by a unit (ns, us, ms, s, m, h), for example \"250ms\" or "
	    "\"2s\"");
}

/* xds.warming-timeout (SPEC §8 warming gate): 5s by default, 0 turns the
 * gate off, at most an hour, located errors. */
static void
test_xds_warming_timeout(void **state)
{
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	assert_int_equal(load(&c, &dl, "debounce: 50ms\n"), 0);
	assert_int_equal(c.xds.warming_timeout_ms, 5000);
	config_free(&c);
	diag_list_free(&dl);
	assert_int_equal(load(&c, &dl, "xds:\n  warming-timeout: 250ms\n"), 0);
	assert_int_equal(c.xds.warming_timeout_ms, 250);
	config_free(&c);
	diag_list_free(&dl);
	assert_int_equal(load(&c, &dl, "xds: {warming-timeout: 0s}\n"), 0);
	assert_int_equal(c.xds.warming_timeout_ms, 0);
	config_free(&c);
	diag_list_free(&dl);
	assert_error("xds:\n  warming-timeout: 2h\n", "cairn.yaml:2:20: error: "
	    "xds: warming-timeout must be between 0 (no warming gate) and 1h");
	assert_error("xds:\n  warming-timeout: later\n", "cairn.yaml:2:20: error: "
	    "xds.warming-timeout: invalid duration \"later\": expected a number "
	    "followed by a unit (ns, us, ms, s, m, h), for example \"250ms\" or "
	    "\"2s\"");
}

/* A bad file leaves the configuration as it was. */
static void
test_error_keeps_previous(void **state)
{
	static const char good[] = "debounce: 50ms\nadmin: {address: \"\"}\n";
	static const char bad[] = "debounce: 10ms\nxds: {address: nope}\n";
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	assert_int_equal(load(&c, &dl, good), 0);
	assert_int_equal(config_load_buffer(&c, "cairn.yaml", bad, strlen(bad),
	    &dl), -1);
	assert_int_equal(dl.nerrors, 1);
	assert_int_equal(c.debounce_ms, 50);
	assert_string_equal(c.admin.address, "");
	assert_string_equal(c.xds.address, "127.0.0.1:18000");
	config_free(&c);
	diag_list_free(&dl);
}

static void
test_documents_and_syntax(void **state)
{
	(void)state;
	assert_error("debounce: 1ms\n---\nmax-delay: 2s\n", "cairn.yaml:2:1: "
	    "error: the configuration must be a single YAML document");
	assert_error("envoy:\n  http: {port: 80\n", "cairn.yaml:3:1: error: did "
	    "not find expected ',' or '}' (while parsing a flow mapping at 2:9)");
	assert_error("debounce: 1ms\ndebounce: 2ms\n", "cairn.yaml:2:1: error: "
	    "duplicate key \"debounce\" (first at 1:1)");
}

static void
test_load_file(void **state)
{
	char path[] = "/tmp/cairn-config-test-XXXXXX";
	struct cairn_config c;
	struct diag_list dl;
	char buf[512];
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("envoy:\n  http: {port: 8000}\n  htps: {}\n", fp);
	fclose(fp);

	config_init_defaults(&c);
	diag_list_init(&dl);
	assert_int_equal(config_load_file(&c, path, &dl), -1);
	assert_int_equal(dl.n, 1);
	diag_format(&dl.items[0], buf, sizeof buf);
	assert_true(strncmp(buf, path, strlen(path)) == 0);
	assert_string_equal(buf + strlen(path), ":3:3: error: envoy: unknown field "
	    "\"htps\" (did you mean \"https\"?)");
	diag_list_free(&dl);

	fp = fopen(path, "w");
	fputs("envoy:\n  http: {port: 8000}\n", fp);
	fclose(fp);
	diag_list_init(&dl);
	assert_int_equal(config_load_file(&c, path, &dl), 0);
	assert_int_equal(c.envoy.http.port, 8000);
	unlink(path);

	assert_int_equal(config_load_file(&c, path, &dl), -1);
	diag_format(&dl.items[0], buf, sizeof buf);
	assert_true(strstr(buf, ": error: cannot open: No such file or directory")
	    != NULL);
	config_free(&c);
	diag_list_free(&dl);
}

/* Contour's access log, compression and listener settings: defaults,
 * values, and located errors for what Envoy would refuse. */
static void
test_contour_listener_settings(void **state)
{
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	config_init_defaults(&c);
	assert_string_equal(c.envoy.access_log_format_string, "");
	assert_int_equal(c.envoy.njson_fields, 0);
	assert_int_equal(c.envoy.compression.algorithm, CONFIG_COMPRESSION_DISABLED);
	assert_false(c.envoy.merge_slashes);
	assert_false(c.envoy.strip_trailing_host_dot);
	assert_int_equal(c.envoy.listener.max_requests_per_connection, 0);
	assert_int_equal(c.envoy.listener.socket_options.tos, 0);
	config_free(&c);

	assert_int_equal(load(&c, &dl, "envoy:\n"
	    "  access-log-format-string: \"%REQ(:METHOD)% %START_TIME(%s)% "
	    "%RESPONSE_CODE%\\n\"\n"
	    "  json-fields: [\"@timestamp\", upstream_host, \"x=%REQ(X):4%\"]\n"
	    "  compression: {algorithm: brotli}\n"
	    "  merge-slashes: true\n"
	    "  strip-trailing-host-dot: true\n"
	    "  listener:\n"
	    "    max-requests-per-connection: 1\n"
	    "    http2-max-concurrent-streams: 100\n"
	    "    per-connection-buffer-limit-bytes: 32768\n"
	    "    socket-options: {tos: 255, traffic-class: 8}\n"
	    "  cluster: {max-requests-per-connection: 3, "
	    "per-connection-buffer-limit-bytes: 4096}\n"), 0);
	assert_int_equal(dl.n, 0);
	assert_int_equal(c.envoy.njson_fields, 3);
	assert_string_equal(c.envoy.json_fields[2], "x=%REQ(X):4%");
	assert_int_equal(c.envoy.compression.algorithm, CONFIG_COMPRESSION_BROTLI);
	assert_true(c.envoy.merge_slashes);
	assert_true(c.envoy.strip_trailing_host_dot);
	assert_int_equal(c.envoy.listener.max_requests_per_connection, 1);
	assert_int_equal(c.envoy.listener.http2_max_concurrent_streams, 100);
	assert_int_equal(c.envoy.listener.per_connection_buffer_limit_bytes, 32768);
	assert_int_equal(c.envoy.listener.socket_options.tos, 255);
	assert_int_equal(c.envoy.listener.socket_options.traffic_class, 8);
	assert_int_equal(c.envoy.cluster.max_requests_per_connection, 3);
	assert_int_equal(c.envoy.cluster.per_connection_buffer_limit_bytes, 4096);
	config_free(&c);
	diag_list_free(&dl);

	assert_error("envoy:\n  json-fields: [method, nonsense]\n",
	    "cairn.yaml:2:25: error: envoy.json-fields[1]: invalid value "
	    "\"nonsense\": not a JSON field Contour knows (e.g. @timestamp, "
	    "method, path, response_code, or an Envoy operator in lower case); "
	    "write \"name=%OPERATOR%\" for anything else");
	assert_error("envoy:\n  access-log-format-string: \"%NOPE%\"\n",
	    "cairn.yaml:2:29: error: envoy.access-log-format-string: invalid "
	    "value \"%NOPE%\": %NOPE% is not an Envoy command operator Contour "
	    "accepts");
	assert_error("envoy:\n  json-fields: [\"a=%REQ(X\"]\n",
	    "cairn.yaml:2:17: error: envoy.json-fields[0]: invalid value "
	    "\"a=%REQ(X\": an operator's argument needs a closing ')'");
	assert_error("envoy:\n  compression: {algorithm: lz4}\n",
	    "cairn.yaml:2:28: error: envoy.compression.algorithm: invalid value "
	    "\"lz4\" (expected one of: disabled, gzip, brotli, zstd)");
	assert_error("envoy:\n  listener: {socket-options: {tos: 256}}\n",
	    "cairn.yaml:2:36: error: envoy.listener.socket-options.tos: 256 is "
	    "out of range (0..255)");
}

/* Issue #18: global-ext-auth, rate-limit-service and tracing (Contour's
 * globalExtAuth, rateLimitService, tracing), and their located errors. */
static void
test_extension_service_settings(void **state)
{
	struct cairn_config c;
	struct diag_list dl;

	(void)state;
	config_init_defaults(&c);
	assert_string_equal(c.global_ext_auth.extension_service, "");
	assert_string_equal(c.rate_limit_service.extension_service, "");
	assert_string_equal(c.tracing.extension_service, "");
	assert_string_equal(c.tracing.service_name, "contour");
	assert_true(c.tracing.overall_sampling == 100);
	assert_int_equal(c.tracing.max_path_tag_length, 256);
	config_free(&c);

	assert_int_equal(load(&c, &dl, "global-ext-auth:\n"
	    "  extension-service: auth/authz\n"
	    "  response-timeout: 250ms\n"
	    "  fail-open: true\n"
	    "  auth-policy: {disabled: true, context: {k: v}}\n"
	    "  with-request-body: {max-request-bytes: 10}\n"
	    "rate-limit-service:\n"
	    "  extension-service: rl/rls\n"
	    "  domain: d\n"
	    "  default-global-rate-limit-policy:\n"
	    "    descriptors: [{entries: [{remoteAddress: {}}]}]\n"
	    "tracing:\n"
	    "  extension-service: t/otel\n"
	    "  overall-sampling: 0.5\n"
	    "  custom-tags: [{tag-name: a, literal: b}]\n"), 0);
	assert_string_equal(c.global_ext_auth.extension_service, "auth/authz");
	assert_string_equal(c.global_ext_auth.response_timeout, "250ms");
	assert_true(c.global_ext_auth.fail_open);
	assert_true(c.global_ext_auth.auth_policy.disabled);
	assert_int_equal(c.global_ext_auth.auth_policy.ncontext, 1);
	assert_true(c.global_ext_auth.has_with_request_body);
	assert_int_equal(c.global_ext_auth.with_request_body.max_request_bytes, 10);
	assert_string_equal(c.rate_limit_service.domain, "d");
	assert_non_null(c.rate_limit_service.default_global_rate_limit_policy);
	assert_int_equal(c.rate_limit_service.default_global_rate_limit_policy->
	    ndescriptors, 1);
	assert_true(c.rate_limit_service.default_global_rate_limit_policy->
	    descriptors[0].entries[0].remote_address);
	assert_true(c.tracing.overall_sampling == 0.5);
	assert_int_equal(c.tracing.ncustom_tags, 1);
	config_free(&c);

	/* {} is "none", as absent. */
	assert_int_equal(load(&c, &dl, "global-ext-auth: {}\n"
	    "rate-limit-service: {}\ntracing: {}\n"), 0);
	assert_string_equal(c.global_ext_auth.extension_service, "");
	config_free(&c);

	assert_error("global-ext-auth: {extension-service: authz}\n",
	    "cairn.yaml:1:38: error: global-ext-auth.extension-service: invalid "
	    "value \"authz\": must be NAMESPACE/NAME of an ExtensionService");
	assert_error("global-ext-auth: {fail-open: true}\n",
	    "cairn.yaml:1:18: error: global-ext-auth: missing required field "
	    "\"extension-service\"");
	assert_error("rate-limit-service: {extension-service: a/b, domian: x}\n",
	    "cairn.yaml:1:46: error: rate-limit-service: unknown field "
	    "\"domian\" (did you mean \"domain\"?)");
	assert_error("tracing: {extension-service: a/b, overall-sampling: 101}\n",
	    "cairn.yaml:1:53: error: tracing.overall-sampling: invalid value "
	    "\"101\": expected a percentage from 0 to 100");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_every_key_set),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_cross_field_checks),
		cmocka_unit_test(test_xds_keepalive),
		cmocka_unit_test(test_xds_warming_timeout),
		cmocka_unit_test(test_error_keeps_previous),
		cmocka_unit_test(test_documents_and_syntax),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_contour_listener_settings),
		cmocka_unit_test(test_extension_service_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
