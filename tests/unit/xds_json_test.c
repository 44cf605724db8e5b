/* Unit tests for src/xds/registry.c and src/xds/json.c: the proto3 JSON and
 * YAML that `cairn dump` prints, compared as exact text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/core/v3/address.pb-c.h"
#include "envoy/config/core/v3/config_source.pb-c.h"
#include "envoy/config/core/v3/health_check.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint_components.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/common.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "envoy/extensions/upstreams/http/v3/http_protocol_options.pb-c.h"
#include "envoy/type/v3/percent.pb-c.h"
#include "envoy/type/v3/range.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "util/strbuf.h"
#include "xds/json.h"
#include "xds/registry.h"

#define TYPE_URL(name) "type.googleapis.com/" name

/* Packs msg into an Any; free with any_free. */
static Google__Protobuf__Any *
any_pack(const char *type_url, const ProtobufCMessage *msg)
{
	Google__Protobuf__Any *any = malloc(sizeof *any);

	google__protobuf__any__init(any);
	any->type_url = (char *)type_url;
	any->value.len = protobuf_c_message_get_packed_size(msg);
	any->value.data = malloc(any->value.len + 1);
	protobuf_c_message_pack(msg, any->value.data);
	return any;
}

static void
any_free(Google__Protobuf__Any *any)
{
	free(any->value.data);
	free(any);
}

/* Compares the compact JSON text of j (consumed) with want. */
static void
check_json(json_t *j, const char *want)
{
	char *text;

	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
	json_decref(j);
}

static void
check_message(const void *msg, const char *want)
{
	check_json(xds_message_to_json(msg), want);
}

/* Compares the YAML of j (consumed) with want. */
static void
check_yaml(json_t *j, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	assert_non_null(j);
	xds_json_to_yaml(j, &sb);
	assert_non_null(sb.buf);
	assert_string_equal(sb.buf, want);
	strbuf_free(&sb);
	json_decref(j);
}

/* --- registry ---------------------------------------------------------- */

static void
test_registry_sorted_and_resolves(void **state)
{
	char url[512];
	size_t i, n = xds_registry_count();

	(void)state;
	assert_true(n > 100);
	for (i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = xds_registry_at(i);

		assert_non_null(d);
		assert_int_equal(d->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
		if (i > 0)
			assert_true(strcmp(xds_registry_at(i - 1)->name, d->name) < 0);
		assert_ptr_equal(xds_registry_lookup(d->name), d);
		snprintf(url, sizeof url, "type.googleapis.com/%s", d->name);
		assert_ptr_equal(xds_registry_lookup(url), d);
	}
	assert_null(xds_registry_at(n));
}

static void
test_registry_any_targets(void **state)
{
	/* Every type cairn puts in an Any, and the xDS resource types. */
	static const char *const names[] = {
		"envoy.config.listener.v3.Listener",
		"envoy.config.route.v3.RouteConfiguration",
		"envoy.config.cluster.v3.Cluster",
		"envoy.config.endpoint.v3.ClusterLoadAssignment",
		"envoy.extensions.transport_sockets.tls.v3.Secret",
		"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
		"envoy.extensions.filters.http.router.v3.Router",
		"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
		"envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
		"envoy.extensions.access_loggers.file.v3.FileAccessLog",
		"envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
		"envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
		"envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
		"envoy.extensions.filters.http.cors.v3.Cors",
		"envoy.extensions.filters.http.cors.v3.CorsPolicy",
		"envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
		"envoy.extensions.filters.http.rbac.v3.RBAC",
		"envoy.extensions.filters.http.rbac.v3.RBACPerRoute",
		"envoy.config.bootstrap.v3.Bootstrap",
		"envoy.service.discovery.v3.DiscoveryResponse",
		"envoy.service.discovery.v3.Resource",
		"google.protobuf.Duration",
		"google.protobuf.Struct",
		"google.protobuf.UInt32Value",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		char url[512];
		const ProtobufCMessageDescriptor *d = xds_registry_lookup(names[i]);

		if (d == NULL)
			fail_msg("%s is not in the registry", names[i]);
		assert_string_equal(d->name, names[i]);
		snprintf(url, sizeof url, "type.googleapis.com/%s", names[i]);
		assert_ptr_equal(xds_registry_lookup(url), d);
	}
	assert_ptr_equal(xds_registry_lookup("example.com/x/envoy.config.cluster.v3.Cluster"),
	    &envoy__config__cluster__v3__cluster__descriptor);
	assert_null(xds_registry_lookup("type.googleapis.com/envoy.config.cluster.v3.Clusterx"));
	assert_null(xds_registry_lookup("type.googleapis.com/"));
	assert_null(xds_registry_lookup(""));
	assert_null(xds_registry_lookup(NULL));
}

/* Descriptor symbols declared in proto-gen/ headers, one per line. */
static struct strbuf header_symbols = STRBUF_INIT;

static int
scan_header(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	static const char decl[] = "extern const ProtobufCMessageDescriptor ";
	char line[1024], *end;
	size_t n = strlen(path);
	FILE *f;

	(void)st, (void)ftw;
	if (flag != FTW_F || n < 7 || strcmp(path + n - 7, ".pb-c.h") != 0)
		return 0;
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, decl, sizeof decl - 1) != 0 || (end = strchr(line, ';')) == NULL)
			continue;
		*end = '\0';
		strbuf_printf(&header_symbols, "\n%s\n", line + sizeof decl - 1);
	}
	fclose(f);
	return 0;
}

/* protoc-c's symbol for a full name: each dotted part CamelCase -> snake. */
static void
descriptor_symbol(const char *full_name, struct strbuf *out)
{
	const char *p;
	int was_upper = 1, is_upper;

	for (p = full_name; *p; p++) {
		if (*p == '.') {
			strbuf_puts(out, "__");
			was_upper = 1;
			continue;
		}
		is_upper = *p >= 'A' && *p <= 'Z';
		if (is_upper && !was_upper)
			strbuf_putc(out, '_');
		strbuf_putc(out, is_upper ? (char)(*p - 'A' + 'a') : *p);
		was_upper = is_upper;
	}
	strbuf_puts(out, "__descriptor");
}

/* Every message descriptor protoc-c generated is in the hand-written table
 * and every entry is one of them. */
static void
test_registry_complete(void **state)
{
	struct strbuf registered = STRBUF_INIT, sym = STRBUF_INIT;
	const char *top = getenv("top_builddir");
	const char *p, *end;
	char dir[4096];
	size_t i, n_headers = 0;

	(void)state;
	snprintf(dir, sizeof dir, "%s/proto-gen", top ? top : ".");
	if (nftw(dir, scan_header, 16, FTW_PHYS) != 0 || header_symbols.len == 0) {
		strbuf_free(&header_symbols);
		skip();
	}
	for (i = 0; i < xds_registry_count(); i++) {
		strbuf_putc(&registered, '\n');
		descriptor_symbol(xds_registry_at(i)->name, &registered);
		strbuf_putc(&registered, '\n');
	}
	/* header_symbols is "\nname\n" per symbol, like registered. */
	for (p = header_symbols.buf; (p = strchr(p, '\n')) != NULL; p = end + 1) {
		end = strchr(p + 1, '\n');
		strbuf_reset(&sym);
		strbuf_add(&sym, p, (size_t)(end - p + 1));
		if (strstr(registered.buf, sym.buf) == NULL)
			fail_msg("%.*s (declared in %s) is missing from src/xds/registry.c",
			    (int)(end - p - 1), p + 1, dir);
		n_headers++;
	}
	if (n_headers != xds_registry_count())
		fail_msg("%s declares %zu message descriptors, the registry lists %zu",
		    dir, n_headers, xds_registry_count());
	strbuf_free(&sym);
	strbuf_free(&registered);
	strbuf_free(&header_symbols);
}

/* --- messages ---------------------------------------------------------- */

static void
test_cluster(void **state)
{
	Envoy__Config__Cluster__V3__Cluster cluster = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT,
	    plain = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
	Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig eds =
	    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__EDS_CLUSTER_CONFIG__INIT;
	Envoy__Config__Core__V3__ConfigSource source = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;
	Envoy__Config__Core__V3__AggregatedConfigSource ads =
	    ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT;
	Google__Protobuf__Duration timeout = GOOGLE__PROTOBUF__DURATION__INIT;
	Envoy__Extensions__Upstreams__Http__V3__HttpProtocolOptions hpo =
	    ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__INIT;
	Envoy__Extensions__Upstreams__Http__V3__HttpProtocolOptions__ExplicitHttpConfig explicit =
	    ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__EXPLICIT_HTTP_CONFIG__INIT;
	Envoy__Config__Core__V3__Http2ProtocolOptions h2 =
	    ENVOY__CONFIG__CORE__V3__HTTP2_PROTOCOL_OPTIONS__INIT;
	Google__Protobuf__UInt32Value streams = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
	Envoy__Config__Cluster__V3__Cluster__TypedExtensionProtocolOptionsEntry entry =
	    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__TYPED_EXTENSION_PROTOCOL_OPTIONS_ENTRY__INIT;
	Envoy__Config__Cluster__V3__Cluster__TypedExtensionProtocolOptionsEntry *entries[] = { &entry };
	static const char want_json[] =
	    "{\"name\":\"shop/app/80\",\"type\":\"EDS\","
	    "\"eds_cluster_config\":{\"eds_config\":{\"ads\":{},\"resource_api_version\":\"V3\"},"
	    "\"service_name\":\"shop/app\"},"
	    "\"connect_timeout\":\"2.500s\","
	    "\"typed_extension_protocol_options\":{"
	    "\"envoy.extensions.upstreams.http.v3.HttpProtocolOptions\":{"
	    "\"@type\":\"type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions\","
	    "\"explicit_http_config\":{\"http2_protocol_options\":{\"max_concurrent_streams\":100}}}}}";
	static const char want_yaml[] =
	    "name: shop/app/80\n"
	    "type: EDS\n"
	    "eds_cluster_config:\n"
	    "  eds_config:\n"
	    "    ads: {}\n"
	    "    resource_api_version: V3\n"
	    "  service_name: shop/app\n"
	    "connect_timeout: 2.500s\n"
	    "typed_extension_protocol_options:\n"
	    "  envoy.extensions.upstreams.http.v3.HttpProtocolOptions:\n"
	    "    \"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions\n"
	    "    explicit_http_config:\n"
	    "      http2_protocol_options:\n"
	    "        max_concurrent_streams: 100\n";
	uint8_t *packed;
	size_t len;

	(void)state;
	streams.value = 100;
	h2.max_concurrent_streams = &streams;
	explicit.protocol_config_case =
	    ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__EXPLICIT_HTTP_CONFIG__PROTOCOL_CONFIG_HTTP2_PROTOCOL_OPTIONS;
	explicit.http2_protocol_options = &h2;
	hpo.upstream_protocol_options_case =
	    ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__UPSTREAM_PROTOCOL_OPTIONS_EXPLICIT_HTTP_CONFIG;
	hpo.explicit_http_config = &explicit;
	entry.key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
	entry.value = any_pack(TYPE_URL("envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
	    &hpo.base);

	source.config_source_specifier_case = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
	source.ads = &ads;
	source.resource_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
	eds.eds_config = &source;
	eds.service_name = "shop/app";
	timeout.seconds = 2;
	timeout.nanos = 500000000;
	cluster.name = "shop/app/80";
	cluster.cluster_discovery_type_case = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	cluster.type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	cluster.eds_cluster_config = &eds;
	cluster.connect_timeout = &timeout;
	cluster.n_typed_extension_protocol_options = 1;
	cluster.typed_extension_protocol_options = entries;

	check_message(&cluster, want_json);
	check_yaml(xds_message_to_json(&cluster.base), want_yaml);

	/* The same through the serialized form `cairn dump` reads. */
	len = protobuf_c_message_get_packed_size(&cluster.base);
	packed = malloc(len);
	protobuf_c_message_pack(&cluster.base, packed);
	check_json(xds_bytes_to_json(TYPE_URL("envoy.config.cluster.v3.Cluster"), packed, len),
	    want_json);
	assert_null(xds_bytes_to_json(TYPE_URL("envoy.config.cluster.v3.Nope"), packed, len));
	assert_string_equal(xds_json_error(),
	    "unknown type URL \"type.googleapis.com/envoy.config.cluster.v3.Nope\"");
	packed[0] = 0xff;
	assert_null(xds_bytes_to_json(TYPE_URL("envoy.config.cluster.v3.Cluster"), packed, len));
	assert_non_null(strstr(xds_json_error(), "do not decode as envoy.config.cluster.v3.Cluster"));
	free(packed);
	any_free(entry.value);

	/* A oneof member set to its default is still printed. */
	plain.cluster_discovery_type_case = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	check_message(&plain, "{\"type\":\"STATIC\"}");
	/* Unknown enum numbers print as numbers. */
	plain.type = 99;
	plain.lb_policy = 42;
	check_message(&plain, "{\"type\":99,\"lb_policy\":42}");
	/* A plain proto3 enum at its default is omitted. */
	plain.cluster_discovery_type_case = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE__NOT_SET;
	plain.lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__ROUND_ROBIN;
	check_message(&plain, "{}");
	check_yaml(xds_message_to_json(&plain.base), "{}\n");
}

static void
test_listener(void **state)
{
	Envoy__Extensions__Filters__Http__Router__V3__Router router =
	    ENVOY__EXTENSIONS__FILTERS__HTTP__ROUTER__V3__ROUTER__INIT;
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter hf =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__INIT;
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpFilter *hfs[] = { &hf };
	Envoy__Config__Core__V3__AggregatedConfigSource ads =
	    ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT;
	Envoy__Config__Core__V3__ConfigSource source = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT;
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds rds =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__RDS__INIT;
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager hcm =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__INIT;
	Envoy__Config__Listener__V3__Filter filter = ENVOY__CONFIG__LISTENER__V3__FILTER__INIT;
	Envoy__Config__Listener__V3__Filter *filters[] = { &filter };
	Envoy__Config__Listener__V3__FilterChain chain = ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN__INIT;
	Envoy__Config__Listener__V3__FilterChain *chains[] = { &chain };
	Envoy__Config__Core__V3__SocketAddress sa = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__INIT;
	Envoy__Config__Core__V3__Address addr = ENVOY__CONFIG__CORE__V3__ADDRESS__INIT;
	Envoy__Config__Listener__V3__Listener listener = ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT;

	(void)state;
	hf.name = "envoy.filters.http.router";
	hf.config_type_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	hf.typed_config = any_pack(TYPE_URL("envoy.extensions.filters.http.router.v3.Router"),
	    &router.base);
	source.config_source_specifier_case = ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
	source.ads = &ads;
	source.resource_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
	rds.config_source = &source;
	rds.route_config_name = "http";
	hcm.stat_prefix = "http";
	hcm.route_specifier_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
	hcm.rds = &rds;
	hcm.n_http_filters = 1;
	hcm.http_filters = hfs;
	filter.name = "envoy.filters.network.http_connection_manager";
	filter.config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
	filter.typed_config = any_pack(
	    TYPE_URL("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
	    &hcm.base);
	chain.n_filters = 1;
	chain.filters = filters;
	sa.address = "0.0.0.0";
	sa.port_specifier_case = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
	sa.port_value = 8080;
	addr.address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
	addr.socket_address = &sa;
	listener.name = "http";
	listener.address = &addr;
	listener.n_filter_chains = 1;
	listener.filter_chains = chains;

	check_message(&listener,
	    "{\"name\":\"http\",\"address\":{\"socket_address\":{\"address\":\"0.0.0.0\",\"port_value\":8080}},"
	    "\"filter_chains\":[{\"filters\":[{\"name\":\"envoy.filters.network.http_connection_manager\","
	    "\"typed_config\":{\"@type\":\"type.googleapis.com/envoy.extensions.filters.network."
	    "http_connection_manager.v3.HttpConnectionManager\",\"stat_prefix\":\"http\","
	    "\"rds\":{\"config_source\":{\"ads\":{},\"resource_api_version\":\"V3\"},"
	    "\"route_config_name\":\"http\"},"
	    "\"http_filters\":[{\"name\":\"envoy.filters.http.router\",\"typed_config\":{"
	    "\"@type\":\"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\"}}]}}]}]}");
	check_yaml(xds_message_to_json(&listener.base),
	    "name: http\n"
	    "address:\n"
	    "  socket_address:\n"
	    "    address: \"0.0.0.0\"\n"
	    "    port_value: 8080\n"
	    "filter_chains:\n"
	    "  - filters:\n"
	    "      - name: envoy.filters.network.http_connection_manager\n"
	    "        typed_config:\n"
	    "          \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager\n"
	    "          stat_prefix: http\n"
	    "          rds:\n"
	    "            config_source:\n"
	    "              ads: {}\n"
	    "              resource_api_version: V3\n"
	    "            route_config_name: http\n"
	    "          http_filters:\n"
	    "            - name: envoy.filters.http.router\n"
	    "              typed_config:\n"
	    "                \"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\n");

	/* A oneof uint32 set to 0 is printed. */
	sa.port_value = 0;
	check_message(&addr, "{\"socket_address\":{\"address\":\"0.0.0.0\",\"port_value\":0}}");
	any_free(filter.typed_config);
	any_free(hf.typed_config);
}

static void
test_cluster_load_assignment(void **state)
{
	Envoy__Config__Core__V3__SocketAddress sa[2] = {
		ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__INIT,
		ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__INIT,
	};
	Envoy__Config__Core__V3__Address addr[2] = {
		ENVOY__CONFIG__CORE__V3__ADDRESS__INIT,
		ENVOY__CONFIG__CORE__V3__ADDRESS__INIT,
	};
	Envoy__Config__Endpoint__V3__Endpoint ep[2] = {
		ENVOY__CONFIG__ENDPOINT__V3__ENDPOINT__INIT,
		ENVOY__CONFIG__ENDPOINT__V3__ENDPOINT__INIT,
	};
	Google__Protobuf__UInt32Value weight[3] = {
		GOOGLE__PROTOBUF__UINT32_VALUE__INIT,
		GOOGLE__PROTOBUF__UINT32_VALUE__INIT,
		GOOGLE__PROTOBUF__UINT32_VALUE__INIT,
	};
	Envoy__Config__Endpoint__V3__LbEndpoint lbe[2] = {
		ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__INIT,
		ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__INIT,
	};
	Envoy__Config__Endpoint__V3__LbEndpoint *lbes[] = { &lbe[0], &lbe[1] };
	Envoy__Config__Endpoint__V3__LocalityLbEndpoints locality =
	    ENVOY__CONFIG__ENDPOINT__V3__LOCALITY_LB_ENDPOINTS__INIT;
	Envoy__Config__Endpoint__V3__LocalityLbEndpoints *localities[] = { &locality };
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment cla =
	    ENVOY__CONFIG__ENDPOINT__V3__CLUSTER_LOAD_ASSIGNMENT__INIT;
	static const char *const ips[] = { "10.0.0.1", "10.0.0.2" };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		sa[i].address = (char *)ips[i];
		sa[i].port_specifier_case = ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
		sa[i].port_value = 80;
		addr[i].address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
		addr[i].socket_address = &sa[i];
		ep[i].address = &addr[i];
		lbe[i].host_identifier_case = ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
		lbe[i].endpoint = &ep[i];
		lbe[i].load_balancing_weight = &weight[i];
	}
	weight[0].value = 3;
	weight[1].value = 0; /* a wrapper holding 0 is still printed */
	weight[2].value = 1;
	lbe[1].health_status = ENVOY__CONFIG__CORE__V3__HEALTH_STATUS__HEALTHY;
	locality.n_lb_endpoints = 2;
	locality.lb_endpoints = lbes;
	locality.load_balancing_weight = &weight[2];
	cla.cluster_name = "shop/app/80";
	cla.n_endpoints = 1;
	cla.endpoints = localities;

	check_message(&cla,
	    "{\"cluster_name\":\"shop/app/80\",\"endpoints\":[{\"lb_endpoints\":["
	    "{\"endpoint\":{\"address\":{\"socket_address\":{\"address\":\"10.0.0.1\",\"port_value\":80}}},"
	    "\"load_balancing_weight\":3},"
	    "{\"endpoint\":{\"address\":{\"socket_address\":{\"address\":\"10.0.0.2\",\"port_value\":80}}},"
	    "\"health_status\":\"HEALTHY\",\"load_balancing_weight\":0}],"
	    "\"load_balancing_weight\":1}]}");
	check_yaml(xds_message_to_json(&cla.base),
	    "cluster_name: shop/app/80\n"
	    "endpoints:\n"
	    "  - lb_endpoints:\n"
	    "      - endpoint:\n"
	    "          address:\n"
	    "            socket_address:\n"
	    "              address: \"10.0.0.1\"\n"
	    "              port_value: 80\n"
	    "        load_balancing_weight: 3\n"
	    "      - endpoint:\n"
	    "          address:\n"
	    "            socket_address:\n"
	    "              address: \"10.0.0.2\"\n"
	    "              port_value: 80\n"
	    "        health_status: HEALTHY\n"
	    "        load_balancing_weight: 0\n"
	    "    load_balancing_weight: 1\n");
}

static void
test_scalars(void **state)
{
	Envoy__Type__V3__Int64Range range = ENVOY__TYPE__V3__INT64_RANGE__INIT;
	Envoy__Config__Core__V3__HealthCheck__Payload payload =
	    ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__PAYLOAD__INIT;
	Envoy__Type__V3__Percent percent = ENVOY__TYPE__V3__PERCENT__INIT;
	Google__Protobuf__FloatValue fv = GOOGLE__PROTOBUF__FLOAT_VALUE__INIT;
	Google__Protobuf__DoubleValue dv = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
	Google__Protobuf__StringValue sv = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
	Google__Protobuf__BoolValue bv = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
	Google__Protobuf__UInt64Value u64 = GOOGLE__PROTOBUF__UINT64_VALUE__INIT;
	uint8_t bytes[] = { 0x00, 0xff, 'a' };

	(void)state;
	range.start = -5;
	range.end = 9007199254740993LL;
	check_message(&range, "{\"start\":\"-5\",\"end\":\"9007199254740993\"}");
	range.start = 0;
	check_message(&range, "{\"end\":\"9007199254740993\"}");
	u64.value = UINT64_MAX;
	check_message(&u64, "\"18446744073709551615\"");

	payload.payload_case = ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__PAYLOAD__PAYLOAD_BINARY;
	payload.binary.data = bytes;
	payload.binary.len = 3;
	check_message(&payload, "{\"binary\":\"AP9h\"}");
	payload.binary.len = 2;
	check_message(&payload, "{\"binary\":\"AP8=\"}");
	payload.binary.len = 1;
	check_message(&payload, "{\"binary\":\"AA==\"}");
	payload.binary.len = 0;
	check_message(&payload, "{\"binary\":\"\"}");

	percent.value = 50;
	check_message(&percent, "{\"value\":50.0}");
	check_yaml(xds_message_to_json(&percent.base), "value: 50.0\n");
	fv.value = 0.1f;
	check_yaml(xds_message_to_json(&fv.base), "0.1\n");
	dv.value = 1e300;
	check_yaml(xds_message_to_json(&dv.base), "1.0e+300\n");
	dv.value = NAN;
	check_message(&dv, "\"NaN\"");
	dv.value = -INFINITY;
	check_message(&dv, "\"-Infinity\"");
	bv.value = 0;
	check_message(&bv, "false");
	/* Invalid UTF-8 becomes U+FFFD instead of failing the dump. */
	sv.value = "a\xff" "b";
	check_message(&sv, "\"a\xef\xbf\xbd" "b\"");
	sv.value = "";
	check_message(&sv, "\"\"");
}

static void
test_durations(void **state)
{
	static const struct {
		int64_t seconds;
		int32_t nanos;
		const char *want;
	} cases[] = {
		{ 0, 0, "\"0s\"" },
		{ 2, 0, "\"2s\"" },
		{ 0, 250000000, "\"0.250s\"" },
		{ 1, 500000000, "\"1.500s\"" },
		{ 1, 1000, "\"1.000001s\"" },
		{ 0, 1, "\"0.000000001s\"" },
		{ -1, -500000000, "\"-1.500s\"" },
		{ 0, -500000000, "\"-0.500s\"" },
		{ 315576000000LL, 0, "\"315576000000s\"" },
	};
	Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
	ProtobufCMessageDescriptor ts_desc = google__protobuf__duration__descriptor;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		d.seconds = cases[i].seconds;
		d.nanos = cases[i].nanos;
		check_message(&d, cases[i].want);
	}
	/* No timestamp.proto in proto/: a Duration-shaped descriptor under
	 * the Timestamp name exercises the same code. */
	ts_desc.name = "google.protobuf.Timestamp";
	ts_desc.short_name = "Timestamp";
	d.base.descriptor = &ts_desc;
	d.seconds = 1700000000;
	d.nanos = 0;
	check_message(&d, "\"2023-11-14T22:13:20Z\"");
	d.nanos = 20000000;
	check_message(&d, "\"2023-11-14T22:13:20.020Z\"");
}

static void
test_any_edge_cases(void **state)
{
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
	Google__Protobuf__Any *inner, *outer;
	uint8_t junk[] = { 1, 2, 3 };

	(void)state;
	check_message(&any, "{}");
	any.type_url = "type.googleapis.com/example.v1.Unknown";
	any.value.data = junk;
	any.value.len = sizeof junk;
	check_message(&any, "{\"@type\":\"type.googleapis.com/example.v1.Unknown\",\"value\":\"AQID\"}");
	/* A known type whose bytes do not decode keeps its bytes too. */
	junk[0] = 0xff;
	any.type_url = TYPE_URL("envoy.config.cluster.v3.Cluster");
	check_message(&any, "{\"@type\":\"type.googleapis.com/envoy.config.cluster.v3.Cluster\","
	    "\"value\":\"/wID\"}");
	/* Well-known types with a non-object JSON form go under "value". */
	d.seconds = 1;
	d.nanos = 500000000;
	inner = any_pack(TYPE_URL("google.protobuf.Duration"), &d.base);
	check_message(inner, "{\"@type\":\"type.googleapis.com/google.protobuf.Duration\",\"value\":\"1.500s\"}");
	outer = any_pack(TYPE_URL("google.protobuf.Any"), &inner->base);
	check_message(outer, "{\"@type\":\"type.googleapis.com/google.protobuf.Any\",\"value\":{"
	    "\"@type\":\"type.googleapis.com/google.protobuf.Duration\",\"value\":\"1.500s\"}}");
	any_free(outer);
	any_free(inner);
	assert_null(xds_message_to_json(NULL));
	assert_string_equal(xds_json_error(), "not a protobuf-c message");
}

static void
test_struct(void **state)
{
	Google__Protobuf__Value num = GOOGLE__PROTOBUF__VALUE__INIT, nul = GOOGLE__PROTOBUF__VALUE__INIT,
	    yes = GOOGLE__PROTOBUF__VALUE__INIT, str = GOOGLE__PROTOBUF__VALUE__INIT,
	    list = GOOGLE__PROTOBUF__VALUE__INIT, obj = GOOGLE__PROTOBUF__VALUE__INIT,
	    unset = GOOGLE__PROTOBUF__VALUE__INIT;
	Google__Protobuf__Value *items[] = { &yes, &str };
	Google__Protobuf__ListValue lv = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
	Google__Protobuf__Struct empty = GOOGLE__PROTOBUF__STRUCT__INIT, st = GOOGLE__PROTOBUF__STRUCT__INIT;
	Google__Protobuf__Struct__FieldsEntry e[4] = {
		GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT, GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT,
		GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT, GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT,
	};
	Google__Protobuf__Struct__FieldsEntry *entries[] = { &e[0], &e[1], &e[2], &e[3] };

	(void)state;
	num.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
	num.number_value = 1.5;
	nul.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
	yes.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
	yes.bool_value = 1;
	str.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
	str.string_value = "x";
	lv.n_values = 2;
	lv.values = items;
	list.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
	list.list_value = &lv;
	obj.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
	obj.struct_value = &empty;
	e[0].key = "a", e[0].value = &num;
	e[1].key = "b", e[1].value = &nul;
	e[2].key = "c", e[2].value = &list;
	e[3].key = "d", e[3].value = &obj;
	st.n_fields = 4;
	st.fields = entries;
	check_message(&st, "{\"a\":1.5,\"b\":null,\"c\":[true,\"x\"],\"d\":{}}");
	check_message(&empty, "{}");
	check_message(&unset, "null");
	check_yaml(xds_message_to_json(&st.base), "a: 1.5\nb: null\nc:\n  - true\n  - x\nd: {}\n");
}

static void
test_redaction(void **state)
{
	Envoy__Config__Core__V3__DataSource chain = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT,
	    key = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT,
	    password = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate cert =
	    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__TLS_CERTIFICATE__INIT;
	Envoy__Extensions__TransportSockets__Tls__V3__Secret secret =
	    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__INIT;
	struct xds_json_options show = { .show_secrets = true }, hide = { .show_secrets = false };
	Google__Protobuf__Any *any;

	(void)state;
	chain.specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
	chain.inline_string = "CERT";
	key.specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_FILENAME;
	key.filename = "/etc/cairn/certs/tls.key";
	password.specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
	password.inline_string = "hunter2";
	cert.certificate_chain = &chain;
	cert.private_key = &key;
	cert.password = &password;
	secret.name = "shop/tls";
	secret.type_case = ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_TLS_CERTIFICATE;
	secret.tls_certificate = &cert;

	check_message(&secret,
	    "{\"name\":\"shop/tls\",\"tls_certificate\":{\"certificate_chain\":{\"inline_string\":\"CERT\"},"
	    "\"private_key\":{\"inline_string\":\"[redacted]\"},"
	    "\"password\":{\"inline_string\":\"[redacted]\"}}}");
	check_json(xds_message_to_json_opts(&secret.base, &hide),
	    "{\"name\":\"shop/tls\",\"tls_certificate\":{\"certificate_chain\":{\"inline_string\":\"CERT\"},"
	    "\"private_key\":{\"inline_string\":\"[redacted]\"},"
	    "\"password\":{\"inline_string\":\"[redacted]\"}}}");
	check_json(xds_message_to_json_opts(&secret.base, &show),
	    "{\"name\":\"shop/tls\",\"tls_certificate\":{\"certificate_chain\":{\"inline_string\":\"CERT\"},"
	    "\"private_key\":{\"filename\":\"/etc/cairn/certs/tls.key\"},"
	    "\"password\":{\"inline_string\":\"hunter2\"}}}");

	/* Inside an Any, and through the bytes entry point. */
	any = any_pack(TYPE_URL("envoy.extensions.transport_sockets.tls.v3.Secret"), &secret.base);
	check_message(any,
	    "{\"@type\":\"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret\","
	    "\"name\":\"shop/tls\",\"tls_certificate\":{\"certificate_chain\":{\"inline_string\":\"CERT\"},"
	    "\"private_key\":{\"inline_string\":\"[redacted]\"},"
	    "\"password\":{\"inline_string\":\"[redacted]\"}}}");
	check_json(xds_bytes_to_json_opts(any->type_url, any->value.data, any->value.len, &show),
	    "{\"name\":\"shop/tls\",\"tls_certificate\":{\"certificate_chain\":{\"inline_string\":\"CERT\"},"
	    "\"private_key\":{\"filename\":\"/etc/cairn/certs/tls.key\"},"
	    "\"password\":{\"inline_string\":\"hunter2\"}}}");
	check_json(xds_bytes_to_json(any->type_url, any->value.data, any->value.len),
	    "{\"name\":\"shop/tls\",\"tls_certificate\":{\"certificate_chain\":{\"inline_string\":\"CERT\"},"
	    "\"private_key\":{\"inline_string\":\"[redacted]\"},"
	    "\"password\":{\"inline_string\":\"[redacted]\"}}}");
	any_free(any);

	/* An unset private key stays unset. */
	cert.private_key = NULL;
	cert.password = NULL;
	check_message(&cert, "{\"certificate_chain\":{\"inline_string\":\"CERT\"}}");
}

/* --- YAML -------------------------------------------------------------- */

static void
test_yaml_quoting(void **state)
{
	static const char in[] =
	    "{\"a\":\"80\",\"b\":\"true\",\"c\":\"\",\"d\":\"a: b\",\"e\":\"- x\","
	    "\"f\":\"line1\\nline2\",\"g\":\"plain text\",\"h\":\"2s\",\"i\":\" lead\","
	    "\"i2\":\"trail \",\"j\":\"#x\",\"k\":\"x #y\",\"l\":80,\"m\":true,\"n\":null,\"o\":1.5,"
	    "\"@type\":\"x\",\"yes\":\"no\",\"Null\":\"~\",\"t\":\"\\u00e9\",\"ip\":\"10.0.0.1\","
	    "\"neg\":\"-1\",\"hex\":\"0x1F\",\"under\":\"1_000\",\"exp\":\"1e3\",\"inf\":\".inf\","
	    "\"date\":\"2024-01-02\",\"sexa\":\"1:30\",\"colon\":\"a:b\",\"end\":\"a:\",\"path\":\"/a/b\","
	    "\"star\":\"*x\",\"bang\":\"!x\",\"brace\":\"{x}\",\"q\":\"it's \\\"q\\\"\",\"tab\":\"a\\tb\","
	    "\"nel\":\"a\\u0085b\",\"nul\":\"a\\u0000b\",\"multi key\\n\":1}";
	json_error_t err;
	json_t *j = json_loads(in, JSON_ALLOW_NUL, &err);

	(void)state;
	if (j == NULL)
		fail_msg("%s", err.text);
	check_yaml(j,
	    "a: \"80\"\n"
	    "b: \"true\"\n"
	    "c: \"\"\n"
	    "d: \"a: b\"\n"
	    "e: \"- x\"\n"
	    "f: \"line1\\nline2\"\n"
	    "g: plain text\n"
	    "h: 2s\n"
	    "i: \" lead\"\n"
	    "i2: \"trail \"\n"
	    "j: \"#x\"\n"
	    "k: \"x #y\"\n"
	    "l: 80\n"
	    "m: true\n"
	    "\"n\": null\n" /* YAML 1.1 reads a bare n as false */
	    "o: 1.5\n"
	    "\"@type\": x\n"
	    "\"yes\": \"no\"\n"
	    "\"Null\": \"~\"\n"
	    "t: \xc3\xa9\n"
	    "ip: \"10.0.0.1\"\n"
	    "neg: \"-1\"\n"
	    "hex: \"0x1F\"\n"
	    "under: \"1_000\"\n"
	    "exp: \"1e3\"\n"
	    "inf: \".inf\"\n"
	    "date: \"2024-01-02\"\n"
	    "sexa: \"1:30\"\n"
	    "colon: a:b\n"
	    "end: \"a:\"\n"
	    "path: /a/b\n"
	    "star: \"*x\"\n"
	    "bang: \"!x\"\n"
	    "brace: \"{x}\"\n"
	    "q: it's \"q\"\n"
	    "tab: \"a\\tb\"\n"
	    "nel: \"a\\u0085b\"\n"
	    "nul: \"a\\u0000b\"\n"
	    "\"multi key\\n\": 1\n");
}

static void
test_yaml_layout(void **state)
{
	(void)state;
	check_yaml(json_string("80"), "\"80\"\n");
	check_yaml(json_string("plain"), "plain\n");
	check_yaml(json_integer(-3), "-3\n");
	check_yaml(json_null(), "null\n");
	check_yaml(json_object(), "{}\n");
	check_yaml(json_array(), "[]\n");
	check_yaml(json_loads("[[]]", 0, NULL), "- []\n");
	check_yaml(json_loads("[1,[2,[3,4]],{\"s\":\"t\",\"u\":[\"v\"]},{}]", 0, NULL),
	    "- 1\n"
	    "- - 2\n"
	    "  - - 3\n"
	    "    - 4\n"
	    "- s: t\n"
	    "  u:\n"
	    "    - v\n"
	    "- {}\n");
	check_yaml(json_loads("{\"a\":{\"b\":{\"c\":[{\"d\":1}]}},\"e\":[]}", 0, NULL),
	    "a:\n"
	    "  b:\n"
	    "    c:\n"
	    "      - d: 1\n"
	    "e: []\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_sorted_and_resolves),
		cmocka_unit_test(test_registry_any_targets),
		cmocka_unit_test(test_registry_complete),
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_listener),
		cmocka_unit_test(test_cluster_load_assignment),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_any_edge_cases),
		cmocka_unit_test(test_struct),
		cmocka_unit_test(test_redaction),
		cmocka_unit_test(test_yaml_quoting),
		cmocka_unit_test(test_yaml_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
