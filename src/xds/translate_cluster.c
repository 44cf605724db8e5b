/* Clusters (EDS, or STRICT_DNS for ExternalName Services; named per SPEC
 * §7) with the upstream options Contour sets, and their
 * ClusterLoadAssignments. */
#include "xds/translate_internal.h"

#include <stdio.h>
#include <string.h>

#include "envoy/config/cluster/v3/circuit_breaker.pb-c.h"
#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/core/v3/health_check.pb-c.h"
#include "envoy/config/core/v3/protocol.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint_components.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "envoy/extensions/upstreams/http/v3/http_protocol_options.pb-c.h"
#include "envoy/type/v3/http.pb-c.h"
#include "envoy/type/v3/range.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

typedef Envoy__Config__Cluster__V3__Cluster Cluster;
typedef Envoy__Config__Endpoint__V3__ClusterLoadAssignment ClusterLoadAssignment;
typedef Envoy__Config__Endpoint__V3__LocalityLbEndpoints LocalityLbEndpoints;
typedef Envoy__Config__Endpoint__V3__LbEndpoint LbEndpoint;
typedef Envoy__Config__Core__V3__HealthCheck HealthCheck;
typedef Envoy__Extensions__Upstreams__Http__V3__HttpProtocolOptions HttpProtocolOptions;

static LbEndpoint *
lb_endpoint(struct arena *a, const char *address, uint32_t port,
    uint32_t health_port)
{
	LbEndpoint *lbe = pb_new(a, &envoy__config__endpoint__v3__lb_endpoint__descriptor);
	Envoy__Config__Endpoint__V3__Endpoint *ep = pb_new(a,
	    &envoy__config__endpoint__v3__endpoint__descriptor);

	ep->address = pb_socket_address(a, address, port);
	/* Contour's healthPort: health checks to another port. */
	if (health_port != 0) {
		ep->health_check_config = pb_new(a,
		    &envoy__config__endpoint__v3__endpoint__health_check_config__descriptor);
		ep->health_check_config->port_value = health_port;
	}
	lbe->host_identifier_case =
	    ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
	lbe->endpoint = ep;
	return lbe;
}

/* Contour's httpHealthCheck: defaults were applied in the DAG. */
static HealthCheck *
health_check(struct arena *a, const struct dag_cluster *dc)
{
	const struct dag_health_check *h = dc->health_check;
	HealthCheck *hc = pb_new(a, &envoy__config__core__v3__health_check__descriptor);
	Envoy__Config__Core__V3__HealthCheck__HttpHealthCheck *http = pb_new(a,
	    &envoy__config__core__v3__health_check__http_health_check__descriptor);

	hc->timeout = pb_duration_ms(a, h->timeout_ms);
	hc->interval = pb_duration_ms(a, h->interval_ms);
	hc->unhealthy_threshold = pb_uint32(a, h->unhealthy_threshold);
	hc->healthy_threshold = pb_uint32(a, h->healthy_threshold);
	if (h->path == NULL) { /* tcpproxy: Contour's tcpHealthCheck */
		hc->health_checker_case =
		    ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__HEALTH_CHECKER_TCP_HEALTH_CHECK;
		hc->tcp_health_check = pb_new(a,
		    &envoy__config__core__v3__health_check__tcp_health_check__descriptor);
		return hc;
	}
	http->path = pb_str(a, h->path);
	http->host = pb_str(a, h->host);
	if (dc->protocol == DAG_PROTOCOL_H2 || dc->protocol == DAG_PROTOCOL_H2C)
		http->codec_client_type = ENVOY__TYPE__V3__CODEC_CLIENT_TYPE__HTTP2;
	if (h->nexpected_statuses > 0) {
		http->n_expected_statuses = h->nexpected_statuses;
		http->expected_statuses = pb_array(a, h->nexpected_statuses);
		for (size_t i = 0; i < h->nexpected_statuses; i++) {
			Envoy__Type__V3__Int64Range *r = pb_new(a,
			    &envoy__type__v3__int64_range__descriptor);

			r->start = h->expected_statuses[i].start;
			r->end = h->expected_statuses[i].end;
			http->expected_statuses[i] = r;
		}
	}
	hc->health_checker_case =
	    ENVOY__CONFIG__CORE__V3__HEALTH_CHECK__HEALTH_CHECKER_HTTP_HEALTH_CHECK;
	hc->http_health_check = http;
	return hc;
}

static Google__Protobuf__UInt32Value *
u32_or_null(struct arena *a, uint32_t v)
{
	return v ? pb_uint32(a, v) : NULL;
}

/* From the Service's annotations (projectcontour.io/max-*). */
static Envoy__Config__Cluster__V3__CircuitBreakers *
circuit_breakers(struct arena *a, const struct dag_cluster *dc)
{
	Envoy__Config__Cluster__V3__CircuitBreakers *cb;

	if (!dc->max_connections && !dc->max_pending_requests && !dc->max_requests &&
	    !dc->max_retries && !dc->per_host_max_connections)
		return NULL;
	cb = pb_new(a, &envoy__config__cluster__v3__circuit_breakers__descriptor);
	if (dc->max_connections || dc->max_pending_requests || dc->max_requests ||
	    dc->max_retries) {
		Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds *t = pb_new(a,
		    &envoy__config__cluster__v3__circuit_breakers__thresholds__descriptor);

		t->max_connections = u32_or_null(a, dc->max_connections);
		t->max_pending_requests = u32_or_null(a, dc->max_pending_requests);
		t->max_requests = u32_or_null(a, dc->max_requests);
		t->max_retries = u32_or_null(a, dc->max_retries);
		cb->n_thresholds = 1;
		cb->thresholds = pb_array(a, 1);
		cb->thresholds[0] = t;
	}
	if (dc->per_host_max_connections) {
		Envoy__Config__Cluster__V3__CircuitBreakers__Thresholds *t = pb_new(a,
		    &envoy__config__cluster__v3__circuit_breakers__thresholds__descriptor);

		t->max_connections = pb_uint32(a, dc->per_host_max_connections);
		cb->n_per_host_thresholds = 1;
		cb->per_host_thresholds = pb_array(a, 1);
		cb->per_host_thresholds[0] = t;
	}
	return cb;
}

/* Contour's protocolOptions: HTTP/2 to the upstream for h2/h2c, and the
 * idle timeout of upstream connections (timeoutPolicy.idleConnection). */
/* Contour's protocolOptions: explicit HTTP version, idle connection
 * timeout and envoy.cluster.max-requests-per-connection; none of them
 * set keeps Envoy's defaults (no options). */
static void
protocol_options(struct arena *a, Cluster *c, const struct dag_cluster *dc,
    uint32_t max_requests)
{
	bool h2 = dc->protocol == DAG_PROTOCOL_H2 || dc->protocol == DAG_PROTOCOL_H2C;
	HttpProtocolOptions *po;
	Envoy__Extensions__Upstreams__Http__V3__HttpProtocolOptions__ExplicitHttpConfig *ex;
	Envoy__Config__Cluster__V3__Cluster__TypedExtensionProtocolOptionsEntry *e;

	if (!h2 && dc->idle_connection_timeout_ms == DAG_TIMEOUT_DEFAULT &&
	    max_requests == 0)
		return;
	po = pb_new(a, &envoy__extensions__upstreams__http__v3__http_protocol_options__descriptor);
	ex = pb_new(a,
	    &envoy__extensions__upstreams__http__v3__http_protocol_options__explicit_http_config__descriptor);
	if (h2) {
		ex->protocol_config_case =
		    ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__EXPLICIT_HTTP_CONFIG__PROTOCOL_CONFIG_HTTP2_PROTOCOL_OPTIONS;
		ex->http2_protocol_options = pb_new(a,
		    &envoy__config__core__v3__http2_protocol_options__descriptor);
	} else {
		ex->protocol_config_case =
		    ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__EXPLICIT_HTTP_CONFIG__PROTOCOL_CONFIG_HTTP_PROTOCOL_OPTIONS;
		ex->http_protocol_options = pb_new(a,
		    &envoy__config__core__v3__http1_protocol_options__descriptor);
	}
	po->upstream_protocol_options_case =
	    ENVOY__EXTENSIONS__UPSTREAMS__HTTP__V3__HTTP_PROTOCOL_OPTIONS__UPSTREAM_PROTOCOL_OPTIONS_EXPLICIT_HTTP_CONFIG;
	po->explicit_http_config = ex;
	if (dc->idle_connection_timeout_ms != DAG_TIMEOUT_DEFAULT ||
	    max_requests > 0) {
		po->common_http_protocol_options = pb_new(a,
		    &envoy__config__core__v3__http_protocol_options__descriptor);
		if (dc->idle_connection_timeout_ms != DAG_TIMEOUT_DEFAULT)
			po->common_http_protocol_options->idle_timeout =
			    pb_duration_ms(a, dc->idle_connection_timeout_ms);
		if (max_requests > 0)
			po->common_http_protocol_options->max_requests_per_connection =
			    pb_uint32(a, max_requests);
	}
	e = pb_new(a,
	    &envoy__config__cluster__v3__cluster__typed_extension_protocol_options_entry__descriptor);
	e->key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
	e->value = pb_any(a, &po->base);
	c->n_typed_extension_protocol_options = 1;
	c->typed_extension_protocol_options = pb_array(a, 1);
	c->typed_extension_protocol_options[0] = e;
}

/* protocol tls/h2: TLS to the upstream, ALPN h2 for h2, and with
 * services[].validation the CA (over SDS) and subject name to verify
 * (translate_https.c). */
static Envoy__Config__Core__V3__TransportSocket *
upstream_tls(struct arena *a, const struct dag_cluster *dc)
{
	Envoy__Config__Core__V3__TransportSocket *ts = pb_new(a,
	    &envoy__config__core__v3__transport_socket__descriptor);
	Envoy__Extensions__TransportSockets__Tls__V3__UpstreamTlsContext *ctx = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__upstream_tls_context__descriptor);

	ctx->common_tls_context = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__common_tls_context__descriptor);
	if (dc->protocol == DAG_PROTOCOL_H2) {
		ctx->common_tls_context->n_alpn_protocols = 1;
		ctx->common_tls_context->alpn_protocols = pb_array(a, 1);
		ctx->common_tls_context->alpn_protocols[0] = "h2";
	}
	if (dc->sni != NULL)
		ctx->sni = pb_str(a, dc->sni);
	translate_upstream_validation(a, ctx->common_tls_context, dc);
	ts->name = "envoy.transport_sockets.tls";
	ts->config_type_case = ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__CONFIG_TYPE_TYPED_CONFIG;
	ts->typed_config = pb_any(a, &ctx->base);
	return ts;
}

/* type ExternalName: Envoy resolves the name itself (STRICT_DNS). */
static void
dns_cluster(struct arena *a, Cluster *c, const struct dag_cluster *dc)
{
	ClusterLoadAssignment *cla = pb_new(a,
	    &envoy__config__endpoint__v3__cluster_load_assignment__descriptor);
	LocalityLbEndpoints *lle = pb_new(a,
	    &envoy__config__endpoint__v3__locality_lb_endpoints__descriptor);

	c->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__STRICT_DNS;
	lle->n_lb_endpoints = 1;
	lle->lb_endpoints = pb_array(a, 1);
	lle->lb_endpoints[0] = lb_endpoint(a, dc->external_name, dc->port, 0);
	cla->cluster_name = pb_borrow(dc->eds_name);
	cla->n_endpoints = 1;
	cla->endpoints = pb_array(a, 1);
	cla->endpoints[0] = lle;
	c->load_assignment = cla;
	c->dns_lookup_family = (Envoy__Config__Cluster__V3__Cluster__DnsLookupFamily)
	    dc->dns_family;
}

/* Only clusters some route uses are sent: an unused Service costs Envoy
 * nothing. The DAG creates clusters only when a route resolves them. */
/* Contour's slowStartConfig: in round_robin_lb_config or
 * least_request_lb_config, aggression under the runtime key
 * "contour.slowstart.aggression". */
static void
slow_start_config(struct arena *a, Envoy__Config__Cluster__V3__Cluster *c,
    const struct dag_cluster *dc)
{
	Envoy__Config__Cluster__V3__Cluster__SlowStartConfig *ss = pb_new(a,
	    &envoy__config__cluster__v3__cluster__slow_start_config__descriptor);

	ss->slow_start_window = pb_duration_ms(a, dc->slow_start->window_ms);
	ss->aggression = pb_new(a, &envoy__config__core__v3__runtime_double__descriptor);
	ss->aggression->default_value = dc->slow_start->aggression;
	ss->aggression->runtime_key = "contour.slowstart.aggression";
	ss->min_weight_percent = pb_new(a, &envoy__type__v3__percent__descriptor);
	ss->min_weight_percent->value = dc->slow_start->min_weight_percent;
	if (dc->lb_policy == DAG_LB_LEAST_REQUEST) {
		Envoy__Config__Cluster__V3__Cluster__LeastRequestLbConfig *lr = pb_new(a,
		    &envoy__config__cluster__v3__cluster__least_request_lb_config__descriptor);

		lr->slow_start_config = ss;
		c->lb_config_case =
		    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_LEAST_REQUEST_LB_CONFIG;
		c->least_request_lb_config = lr;
	} else {
		Envoy__Config__Cluster__V3__Cluster__RoundRobinLbConfig *rr = pb_new(a,
		    &envoy__config__cluster__v3__cluster__round_robin_lb_config__descriptor);

		rr->slow_start_config = ss;
		c->lb_config_case =
		    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_CONFIG_ROUND_ROBIN_LB_CONFIG;
		c->round_robin_lb_config = rr;
	}
}

/* "<namespace>_<service>_<port>", as Contour's stat name, written
 * without a printf (one per cluster of a build). A missing part reads
 * "(null)", as printf's "%s" had it. */
static char *
alt_stat_name(struct arena *a, const struct dag_cluster *dc)
{
	const char *ns = dc->namespace != NULL ? dc->namespace : "(null)";
	const char *svc = dc->service != NULL ? dc->service : "(null)";
	size_t nns = strlen(ns), nsvc = strlen(svc);
	char digits[10], *out, *p;
	size_t nd = 0;
	uint32_t port = dc->port;

	do {
		digits[nd++] = (char)('0' + port % 10);
		port /= 10;
	} while (port != 0);
	out = p = arena_alloc_nozero(a, nns + nsvc + nd + 3);
	memcpy(p, ns, nns);
	p += nns;
	*p++ = '_';
	memcpy(p, svc, nsvc);
	p += nsvc;
	*p++ = '_';
	while (nd > 0)
		*p++ = digits[--nd];
	*p = '\0';
	return out;
}

/* The Cluster of dc. */
Envoy__Config__Cluster__V3__Cluster *
translate_cluster(struct translation *t, const struct dag_cluster *dc)
{
	struct arena *a = &t->arena;
	Cluster *c;

	c = pb_new(a, &envoy__config__cluster__v3__cluster__descriptor);
	c->name = pb_borrow(dc->name);
	/* ExtensionService clusters (port 0) and Contour's DNSNameCluster
	 * (a remote JWKS) have none, as Contour's. */
	if (dc->port != 0 && !dc->dnsname)
		c->alt_stat_name = alt_stat_name(a, dc);
	c->cluster_discovery_type_case =
	    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	if (dc->external_name != NULL) {
		dns_cluster(a, c, dc);
		if (dc->dnsname && dc->dns_family == DAG_DNS_ALL)
			c->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__LOGICAL_DNS;
	} else {
		Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig *eds = pb_new(a,
		    &envoy__config__cluster__v3__cluster__eds_cluster_config__descriptor);

		c->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
		eds->eds_config = pb_ads_config_source(a);
		eds->service_name = pb_borrow(dc->endpoints->name);
		c->eds_cluster_config = eds;
	}
	c->connect_timeout = pb_duration_ms(a, t->opts->connect_timeout_ms);
	switch (dc->lb_policy) {
	case DAG_LB_ROUND_ROBIN:
		break;
	case DAG_LB_LEAST_REQUEST:
		c->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__LEAST_REQUEST;
		break;
	case DAG_LB_RANDOM:
		c->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RANDOM;
		break;
	case DAG_LB_RING_HASH:
		c->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RING_HASH;
		break;
	}
	if (dc->slow_start != NULL)
		slow_start_config(a, c, dc);
	if (dc->health_check != NULL) {
		c->n_health_checks = 1;
		c->health_checks = pb_array(a, 1);
		c->health_checks[0] = health_check(a, dc);
		/* Drain a removed endpoint at once, health or not. */
		c->ignore_health_on_host_removal = 1;
	}
	c->circuit_breakers = circuit_breakers(a, dc);
	protocol_options(a, c, dc, t->opts->cluster_max_requests_per_connection);
	if (t->opts->cluster_per_connection_buffer_limit_bytes > 0)
		c->per_connection_buffer_limit_bytes = pb_uint32(a,
		    t->opts->cluster_per_connection_buffer_limit_bytes);
	if (dc->protocol == DAG_PROTOCOL_TLS || dc->protocol == DAG_PROTOCOL_H2)
		c->transport_socket = upstream_tls(a, dc);
	return c;
}

/* The endpoints of a Service share one locality. gRPC clients drop a
 * locality that has no load_balancing_weight, so it always carries one.
 * An ExtensionService's have one locality per service, weighted as
 * Contour's (no weight for 0). */
static LocalityLbEndpoints *
locality_lb_endpoints(struct arena *a, const struct dag_endpoint *items,
    size_t n, uint32_t weight, const char *sub_zone)
{
	LocalityLbEndpoints *lle = pb_new(a,
	    &envoy__config__endpoint__v3__locality_lb_endpoints__descriptor);

	lle->locality = pb_new(a, &envoy__config__core__v3__locality__descriptor);
	if (sub_zone != NULL)
		lle->locality->sub_zone = pb_borrow(sub_zone);
	if (weight > 0)
		lle->load_balancing_weight = pb_uint32(a, weight);
	lle->n_lb_endpoints = n;
	lle->lb_endpoints = pb_array(a, n);
	for (size_t j = 0; j < n; j++)
		lle->lb_endpoints[j] = lb_endpoint(a, items[j].ip, items[j].port,
		    items[j].health_port);
	return lle;
}

/* The ClusterLoadAssignment of de. */
Envoy__Config__Endpoint__V3__ClusterLoadAssignment *
translate_cla(struct translation *t, const struct dag_endpoints *de)
{
	struct arena *a = &t->arena;
	ClusterLoadAssignment *cla;

	cla = pb_new(a,
	    &envoy__config__endpoint__v3__cluster_load_assignment__descriptor);
	cla->cluster_name = pb_borrow(de->name);
	if (de->localities != NULL) {
		size_t off = 0;

		cla->n_endpoints = de->nlocalities;
		cla->endpoints = pb_array(a, de->nlocalities + 1);
		for (size_t j = 0; j < de->nlocalities; j++) {
			cla->endpoints[j] = locality_lb_endpoints(a,
			    de->items + off, de->localities[j].n,
			    de->localities[j].weight,
			    de->localities[j].sub_zone);
			off += de->localities[j].n;
		}
	} else if (de->n > 0) {
		cla->n_endpoints = 1;
		cla->endpoints = pb_array(a, 1);
		cla->endpoints[0] = locality_lb_endpoints(a, de->items, de->n,
		    1, NULL);
	}
	return cla;
}
