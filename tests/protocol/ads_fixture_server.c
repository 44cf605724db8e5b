/* A small ADS server for the protocol tests (tests/protocol/NAME.test.js):
 * the real src/ads/ server, fed with snapshots of real (minimal) Envoy
 * resources built here, so the tests' official-proto client can decode
 * everything it gets.
 *
 * usage: ads_fixture_server [--address A] [--max-streams N] [--insecure-xds]
 *                           [--max-receive-bytes N] [--no-snapshot] [--debug]
 *                           [--warming-timeout MS]
 *                           [--tls-cert F --tls-key F [--tls-ca F]]
 * Prints "port N" once serving (or "error: ..." and exits 2), then reads
 * commands, one per line, answering each with "ok CMD":
 *   v1 v2 v3 v4 cluster listener big empty moved moved2   publish that snapshot (below)
 *   same        publish a new snapshot identical to the last one
 *   stats       print "stats {json}" (ads_server_stats) before "ok stats"
 *   versions    print "versions {json}": per type of the current snapshot
 *               {"version": V, "resources": {name: version}}
 *   nodes       print "nodes [json]" (ads_server_nodes_json)
 *   quit (or end of input)  stop the server and exit 0 (1 if grpc was
 *               still shutting down when ads_server_stop() returned)
 * Each snapshot's revision is its name (delta system_version_info).
 *
 * v1: secret default/cert; clusters default/a/80/x, default/b/80/x (EDS);
 *     endpoints default/a/80 (10.0.0.1), default/b/80 (10.0.0.2);
 *     listener ingress_http (:8080, RDS ingress_http); named-only
 *     api_listener shop.example.com; routes ingress_http (example.com ->
 *     cluster b), shop.example.com (-> cluster a).
 * v2: cluster a changed (connect_timeout 2 s), endpoints a changed
 *     (10.0.0.11), cluster b and endpoints b removed, route ingress_http
 *     now -> cluster a.
 * v3: v2 with cluster a changed again (3 s) and route ingress_http's
 *     domain www.example.com.
 * v4: v1 with every type changed: secret, both clusters (4 s), both
 *     endpoints, listener ingress_http (:8088), route ingress_http domain.
 * cluster: v1 with only cluster a changed (5 s).
 * listener: v1 with listener ingress_http replaced by ingress_alt (:8081,
 *     RDS alt) and route alt (-> cluster b).
 * big: v1 plus 2500 clusters default/big-NNNN/80/x of 2 KiB each (a CDS
 *     state of about 5 MiB).
 * moved: v1 with route ingress_http moved to a new Service c (cluster
 *     default/c/80/x, endpoints default/c/80 at 10.0.0.3); cluster b and
 *     endpoints b removed.
 * moved2: moved with route ingress_http's domain www.example.com.
 * Every snapshot records what its resources use (clusters their
 * endpoints, routes their cluster) for the warming gate, which
 * --warming-timeout turns on (default 0: off). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <jansson.h>

#include "ads/ads.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/listener/v3/api_listener.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "util/arena.h"
#include "util/hash.h"
#include "util/log.h"
#include "xds/pb.h"

#define HCM(x) Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__##x

static void
add(struct snapshot_builder *b, struct arena *a, enum xds_type type,
    const char *name, const ProtobufCMessage *m, bool named_only)
{
	size_t len;
	uint8_t *bytes = pb_pack(a, m, &len);

	snapshot_builder_add(b, type, name, bytes, len, named_only);
}

static void
add_secret(struct snapshot_builder *b, struct arena *a, const char *name,
    const char *cert)
{
	Envoy__Extensions__TransportSockets__Tls__V3__Secret *s =
	    pb_new(a, &envoy__extensions__transport_sockets__tls__v3__secret__descriptor);
	Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate *tc =
	    pb_new(a, &envoy__extensions__transport_sockets__tls__v3__tls_certificate__descriptor);
	Envoy__Config__Core__V3__DataSource *chain =
	    pb_new(a, &envoy__config__core__v3__data_source__descriptor);

	chain->specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
	chain->inline_string = pb_str(a, cert);
	tc->certificate_chain = chain;
	s->name = pb_str(a, name);
	s->type_case = ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_TLS_CERTIFICATE;
	s->tls_certificate = tc;
	add(b, a, XDS_SECRET, name, &s->base, false);
}

static void
add_cluster(struct snapshot_builder *b, struct arena *a, const char *name,
    const char *service, int64_t timeout_ms, const char *alt_stat_name)
{
	Envoy__Config__Cluster__V3__Cluster *c =
	    pb_new(a, &envoy__config__cluster__v3__cluster__descriptor);
	Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig *eds =
	    pb_new(a, &envoy__config__cluster__v3__cluster__eds_cluster_config__descriptor);

	c->name = pb_str(a, name);
	c->cluster_discovery_type_case = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	c->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	c->connect_timeout = pb_duration_ms(a, timeout_ms);
	if (alt_stat_name != NULL)
		c->alt_stat_name = pb_str(a, alt_stat_name);
	eds->eds_config = pb_ads_config_source(a);
	eds->service_name = pb_str(a, service);
	c->eds_cluster_config = eds;
	add(b, a, XDS_CLUSTER, name, &c->base, false);
	/* The strings must live until the snapshot is finished. */
	snapshot_builder_set_endpoints(b, c->name, eds->service_name);
}

static void
add_endpoints(struct snapshot_builder *b, struct arena *a, const char *name,
    const char *ip)
{
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla =
	    pb_new(a, &envoy__config__endpoint__v3__cluster_load_assignment__descriptor);
	Envoy__Config__Endpoint__V3__LocalityLbEndpoints *loc =
	    pb_new(a, &envoy__config__endpoint__v3__locality_lb_endpoints__descriptor);
	Envoy__Config__Endpoint__V3__LbEndpoint *lb =
	    pb_new(a, &envoy__config__endpoint__v3__lb_endpoint__descriptor);
	Envoy__Config__Endpoint__V3__Endpoint *ep =
	    pb_new(a, &envoy__config__endpoint__v3__endpoint__descriptor);
	Envoy__Config__Core__V3__Locality *locality =
	    pb_new(a, &envoy__config__core__v3__locality__descriptor);

	ep->address = pb_socket_address(a, ip, 8080);
	lb->host_identifier_case = ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
	lb->endpoint = ep;
	locality->zone = pb_str(a, "z1");
	loc->locality = locality;
	loc->load_balancing_weight = pb_uint32(a, 1);
	loc->n_lb_endpoints = 1;
	loc->lb_endpoints = pb_array(a, 1);
	loc->lb_endpoints[0] = lb;
	cla->cluster_name = pb_str(a, name);
	cla->n_endpoints = 1;
	cla->endpoints = pb_array(a, 1);
	cla->endpoints[0] = loc;
	add(b, a, XDS_ENDPOINT, name, &cla->base, false);
}

/* An HCM that takes its routes from RDS over ADS and ends with the router. */
static HCM(HttpConnectionManager) *
new_hcm(struct arena *a, const char *route_name)
{
	HCM(HttpConnectionManager) *hcm = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor);
	HCM(Rds) *rds = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__rds__descriptor);
	HCM(HttpFilter) *router = pb_new(a,
	    &envoy__extensions__filters__network__http_connection_manager__v3__http_filter__descriptor);
	Envoy__Extensions__Filters__Http__Router__V3__Router *rc =
	    pb_new(a, &envoy__extensions__filters__http__router__v3__router__descriptor);

	hcm->stat_prefix = pb_str(a, route_name);
	rds->config_source = pb_ads_config_source(a);
	rds->route_config_name = pb_str(a, route_name);
	hcm->route_specifier_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
	hcm->rds = rds;
	router->name = pb_str(a, "envoy.filters.http.router");
	router->config_type_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	router->typed_config = pb_any(a, &rc->base);
	hcm->n_http_filters = 1;
	hcm->http_filters = pb_array(a, 1);
	hcm->http_filters[0] = router;
	return hcm;
}

/* A listener on port whose one filter chain is an HCM with RDS route. */
static void
add_listener(struct snapshot_builder *b, struct arena *a, const char *name,
    uint32_t port, const char *route)
{
	Envoy__Config__Listener__V3__Listener *l =
	    pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	Envoy__Config__Listener__V3__FilterChain *fc =
	    pb_new(a, &envoy__config__listener__v3__filter_chain__descriptor);
	Envoy__Config__Listener__V3__Filter *f =
	    pb_new(a, &envoy__config__listener__v3__filter__descriptor);

	f->name = pb_str(a, "envoy.filters.network.http_connection_manager");
	f->config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = pb_any(a, &new_hcm(a, route)->base);
	fc->n_filters = 1;
	fc->filters = pb_array(a, 1);
	fc->filters[0] = f;
	l->name = pb_str(a, name);
	l->address = pb_socket_address(a, "0.0.0.0", port);
	l->n_filter_chains = 1;
	l->filter_chains = pb_array(a, 1);
	l->filter_chains[0] = fc;
	add(b, a, XDS_LISTENER, name, &l->base, false);
}

static void
add_api_listener(struct snapshot_builder *b, struct arena *a, const char *name)
{
	Envoy__Config__Listener__V3__Listener *l =
	    pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	Envoy__Config__Listener__V3__ApiListener *api =
	    pb_new(a, &envoy__config__listener__v3__api_listener__descriptor);

	api->api_listener = pb_any(a, &new_hcm(a, name)->base);
	l->name = pb_str(a, name);
	l->api_listener = api;
	add(b, a, XDS_LISTENER, name, &l->base, true);
}

/* A route configuration sending everything for domain to cluster. */
static void
add_route(struct snapshot_builder *b, struct arena *a, const char *name,
    const char *domain, const char *cluster)
{
	Envoy__Config__Route__V3__RouteConfiguration *rc =
	    pb_new(a, &envoy__config__route__v3__route_configuration__descriptor);
	Envoy__Config__Route__V3__VirtualHost *vh =
	    pb_new(a, &envoy__config__route__v3__virtual_host__descriptor);
	Envoy__Config__Route__V3__Route *r =
	    pb_new(a, &envoy__config__route__v3__route__descriptor);
	Envoy__Config__Route__V3__RouteMatch *m =
	    pb_new(a, &envoy__config__route__v3__route_match__descriptor);
	Envoy__Config__Route__V3__RouteAction *ra =
	    pb_new(a, &envoy__config__route__v3__route_action__descriptor);

	m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
	m->prefix = pb_str(a, "/");
	ra->cluster_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
	ra->cluster = pb_str(a, cluster);
	r->match = m;
	r->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
	r->route = ra;
	vh->name = pb_str(a, domain);
	vh->n_domains = 1;
	vh->domains = pb_array(a, 1);
	vh->domains[0] = pb_str(a, domain);
	vh->n_routes = 1;
	vh->routes = pb_array(a, 1);
	vh->routes[0] = r;
	rc->name = pb_str(a, name);
	rc->n_virtual_hosts = 1;
	rc->virtual_hosts = pb_array(a, 1);
	rc->virtual_hosts[0] = vh;
	add(b, a, XDS_ROUTE, name, &rc->base, false);
	{
		uint64_t h = xds_name_hash(cluster);

		snapshot_builder_add_uses(b, XDS_ROUTE, rc->name, &h, 1);
	}
}

#define CA "default/a/80/x"
#define CB "default/b/80/x"
#define CC "default/c/80/x"

static const char *const snapshot_names[] = {
	"v1", "v2", "v3", "v4", "cluster", "listener", "big", "empty", "moved",
	"moved2",
};

static bool
known_snapshot(const char *name)
{
	for (size_t i = 0; i < sizeof snapshot_names / sizeof snapshot_names[0]; i++)
		if (strcmp(name, snapshot_names[i]) == 0)
			return true;
	return false;
}

static struct snapshot *
build(const char *name)
{
	struct snapshot_builder *b = snapshot_builder_new(name);
	bool v1ish = strcmp(name, "v1") == 0 || strcmp(name, "cluster") == 0 ||
	    strcmp(name, "listener") == 0 || strcmp(name, "big") == 0;
	bool v4 = strcmp(name, "v4") == 0, v3 = strcmp(name, "v3") == 0;
	struct snapshot *snap;
	struct arena a;

	arena_init(&a);
	if (strcmp(name, "empty") == 0) {
		arena_free(&a);
		return snapshot_builder_finish(b);
	}
	if (strcmp(name, "moved") == 0 || strcmp(name, "moved2") == 0) {
		add_secret(b, &a, "default/cert", "cert-1");
		add_cluster(b, &a, CA, "default/a/80", 1000, NULL);
		add_cluster(b, &a, CC, "default/c/80", 1000, NULL);
		add_endpoints(b, &a, "default/a/80", "10.0.0.1");
		add_endpoints(b, &a, "default/c/80", "10.0.0.3");
		add_listener(b, &a, "ingress_http", 8080, "ingress_http");
		add_route(b, &a, "ingress_http", strcmp(name, "moved2") == 0 ?
		    "www.example.com" : "example.com", CC);
		add_api_listener(b, &a, "shop.example.com");
		add_route(b, &a, "shop.example.com", "shop.example.com", CA);
		snap = snapshot_builder_finish(b);
		arena_free(&a);
		return snap;
	}
	add_secret(b, &a, "default/cert", v4 ? "cert-4" : "cert-1");
	if (v1ish || v4) {
		add_cluster(b, &a, CA, "default/a/80",
		    v4 ? 4000 : strcmp(name, "cluster") == 0 ? 5000 : 1000, NULL);
		add_cluster(b, &a, CB, "default/b/80", v4 ? 4000 : 1000, NULL);
		add_endpoints(b, &a, "default/a/80", v4 ? "10.0.0.4" : "10.0.0.1");
		add_endpoints(b, &a, "default/b/80", v4 ? "10.0.0.5" : "10.0.0.2");
		if (strcmp(name, "listener") == 0) {
			add_listener(b, &a, "ingress_alt", 8081, "alt");
			add_route(b, &a, "alt", "alt.example.com", CB);
		} else {
			add_listener(b, &a, "ingress_http", v4 ? 8088 : 8080, "ingress_http");
		}
		add_route(b, &a, "ingress_http", v4 ? "v4.example.com" : "example.com", CB);
	} else {
		/* v2, v3 */
		add_cluster(b, &a, CA, "default/a/80", v3 ? 3000 : 2000, NULL);
		add_endpoints(b, &a, "default/a/80", "10.0.0.11");
		add_listener(b, &a, "ingress_http", 8080, "ingress_http");
		add_route(b, &a, "ingress_http", v3 ? "www.example.com" : "example.com", CA);
	}
	add_api_listener(b, &a, "shop.example.com");
	add_route(b, &a, "shop.example.com", "shop.example.com", CA);
	if (strcmp(name, "big") == 0) {
		char *pad = calloc(1, 2049), cname[64], sname[64];

		memset(pad, 'x', 2048);
		for (int i = 0; i < 2500; i++) {
			snprintf(cname, sizeof cname, "default/big-%04d/80/x", i);
			snprintf(sname, sizeof sname, "default/big-%04d/80", i);
			add_cluster(b, &a, cname, sname, 1000, pad);
		}
		free(pad);
	}
	snap = snapshot_builder_finish(b);
	arena_free(&a);
	return snap;
}

static void
publish(struct ads_server *s, const char *version)
{
	struct snapshot *snap = build(version);

	ads_server_publish(s, snap);
	snapshot_unref(snap);
}

static void
print_stats(struct ads_server *s)
{
	struct ads_stats st;

	ads_server_stats(s, &st);
	printf("stats {\"streams_sotw\":%zu,\"streams_delta\":%zu,\"bytes_sent\":%" PRIu64
	    ",\"warming_timeouts\":%" PRIu64 ",\"warming_held\":%zu",
	    st.streams_sotw, st.streams_delta, st.bytes_sent, st.warming_timeouts,
	    st.warming_held);
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		printf(",\"%s\":{\"responses\":%" PRIu64 ",\"acks\":%" PRIu64
		    ",\"nacks\":%" PRIu64 "}", xds_type_short((enum xds_type)t),
		    st.responses[t], st.acks[t], st.nacks[t]);
	printf("}\n");
}

static void
print_versions(struct snapshot *snap)
{
	printf("versions {");
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const struct xds_resource_set *set = &snap->types[t];

		printf("%s\"%s\":{\"version\":\"%s\",\"resources\":{", t ? "," : "",
		    xds_type_short((enum xds_type)t), set->version_hex);
		for (size_t i = 0; i < set->n; i++) {
			char version[17];

			hash_hex(xds_set_at(set, i)->version, version);
			printf("%s\"%s\":\"%s\"", i ? "," : "", xds_set_at(set, i)->name,
			    version);
		}
		printf("}}");
	}
	printf("}\n");
}

static void
print_nodes(struct ads_server *s)
{
	json_t *nodes = ads_server_nodes_json(s);
	char *text = json_dumps(nodes, JSON_COMPACT);

	printf("nodes %s\n", text);
	free(text);
	json_decref(nodes);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "max-streams", required_argument, NULL, 'm' },
		{ "insecure-xds", no_argument, NULL, 'i' },
		{ "max-receive-bytes", required_argument, NULL, 'r' },
		{ "no-snapshot", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-ca", required_argument, NULL, 'A' },
		{ "warming-timeout", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct ads_options opts = { .address = "127.0.0.1:0" };
	char last[32] = "v1";
	struct ads_server *s;
	bool snapshot = true;
	char line[256], *err = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			opts.address = optarg;
			break;
		case 'm':
			opts.max_streams = strtoul(optarg, NULL, 10);
			break;
		case 'i':
			opts.insecure_xds = true;
			break;
		case 'r':
			opts.max_receive_bytes = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			snapshot = false;
			break;
		case 'd':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'C':
			opts.tls_certificate = optarg;
			break;
		case 'K':
			opts.tls_key = optarg;
			break;
		case 'A':
			opts.tls_client_ca = optarg;
			break;
		case 'w':
			opts.warming_timeout_ms = strtoll(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ads_server_start(&opts, &s, &err) < 0) {
		printf("error: %s\n", err);
		free(err);
		return 2;
	}
	if (snapshot)
		publish(s, "v1");
	printf("port %d\n", ads_server_port(s));

	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		if (known_snapshot(line)) {
			snprintf(last, sizeof last, "%.31s", line);
			publish(s, last);
		} else if (strcmp(line, "same") == 0) {
			publish(s, last);
		} else if (strcmp(line, "stats") == 0) {
			print_stats(s);
		} else if (strcmp(line, "versions") == 0) {
			struct snapshot *snap = build(last);

			print_versions(snap);
			snapshot_unref(snap);
		} else if (strcmp(line, "nodes") == 0) {
			print_nodes(s);
		} else if (line[0] != '\0') {
			printf("error: unknown command %s\n", line);
			continue;
		} else {
			continue;
		}
		printf("ok %s\n", line);
	}
	ads_server_stop(s);
	/* ads_server_stop() returns once grpc has shut down: a process that
	 * exits before grpc's own threads are done loses their OpenSSL error
	 * queues (tests/protocol/tls.sh's leak under ASan). */
	if (grpc_is_initialized()) {
		fprintf(stderr, "error: grpc still shutting down after ads_server_stop\n");
		return 1;
	}
	return 0;
}
