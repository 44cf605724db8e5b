/* A Gateway's HTTPS, TLS and TCP ports (SPEC.md §5a, docs/gateway-api.md).
 *
 * HTTPS: a tls_inspector, then one filter chain per listener (server_names
 * its hostname; a listener without one matches any SNI, last), each
 * terminating TLS with the listener's certificates over SDS and, with
 * spec.tls.frontend, validating client certificates. Each chain's HCM
 * reads its own RouteConfiguration, gw/<ns>/<name>/<port>/<SNI> (`*` for
 * the chain without one): the port's hosts whose TLS handshake that chain
 * makes, and 421 for the other chains' hosts and names, so that a request
 * for another listener's host on a connection made for this one (HTTP/2
 * coalescing) is sent back to make its own (Gateway API's misdirected
 * requests).
 * TLS: one chain per TLSRoute hostname, passing TLS through (or
 * terminating it, tls.mode Terminate) to a tcp_proxy. TCP: one chain, a
 * tcp_proxy to the TCPRoute's backends. */
#include "xds/translate_gateway_tls.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/common.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Config__Listener__V3__FilterChain FilterChain;
typedef Envoy__Config__Listener__V3__FilterChainMatch FilterChainMatch;
typedef Envoy__Config__Listener__V3__Filter Filter;
typedef Envoy__Config__Listener__V3__ListenerFilter ListenerFilter;
typedef Envoy__Config__Core__V3__TransportSocket TransportSocket;
typedef Envoy__Extensions__TransportSockets__Tls__V3__DownstreamTlsContext DownstreamTlsContext;
typedef Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext CommonTlsContext;
typedef Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext__CombinedCertificateValidationContext
    CombinedValidationContext;
typedef Envoy__Extensions__TransportSockets__Tls__V3__CertificateValidationContext
    CertificateValidationContext;
typedef Envoy__Extensions__TransportSockets__Tls__V3__TlsParameters TlsParameters;
typedef Envoy__Extensions__TransportSockets__Tls__V3__SdsSecretConfig SdsSecretConfig;
typedef Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy TcpProxy;

typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;
typedef Envoy__Config__Route__V3__VirtualHost VirtualHost;
typedef Envoy__Config__Route__V3__Route Route;

/* The DownstreamTlsContext of a terminating chain. */
static TransportSocket *
gw_downstream_tls(struct translation *t, const struct dag_gw_chain *c, bool http)
{
	const struct translate_options *o = t->opts;
	struct arena *a = &t->arena;
	TransportSocket *ts = pb_new(a, &envoy__config__core__v3__transport_socket__descriptor);
	DownstreamTlsContext *dtc = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__downstream_tls_context__descriptor);
	CommonTlsContext *ctx = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__common_tls_context__descriptor);
	TlsParameters *tp = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__tls_parameters__descriptor);

	tp->tls_minimum_protocol_version = translate_tls_protocol(c->minimum_version);
	tp->tls_maximum_protocol_version = translate_tls_protocol(c->maximum_version);
	tp->n_cipher_suites = o->ncipher_suites;
	tp->cipher_suites = (char **)o->cipher_suites;
	ctx->tls_params = tp;
	ctx->n_tls_certificate_sds_secret_configs = c->ncertificates;
	ctx->tls_certificate_sds_secret_configs = pb_array(a, c->ncertificates);
	for (size_t i = 0; i < c->ncertificates; i++)
		ctx->tls_certificate_sds_secret_configs[i] = translate_sds_config(a,
		    c->certificates[i]->name);
	if (http) {
		ctx->alpn_protocols = pb_array(a, 2);
		if (o->alpn_h2)
			ctx->alpn_protocols[ctx->n_alpn_protocols++] = "h2";
		if (o->alpn_http11)
			ctx->alpn_protocols[ctx->n_alpn_protocols++] = "http/1.1";
	}
	if (c->client_ca != NULL) {
		CertificateValidationContext *vc = pb_new(a,
		    &envoy__extensions__transport_sockets__tls__v3__certificate_validation_context__descriptor);
		CombinedValidationContext *cvc = pb_new(a,
		    &envoy__extensions__transport_sockets__tls__v3__common_tls_context__combined_certificate_validation_context__descriptor);

		cvc->default_validation_context = vc;
		cvc->validation_context_sds_secret_config = translate_sds_config(a,
		    c->client_ca->name);
		ctx->validation_context_type_case =
		    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__VALIDATION_CONTEXT_TYPE_COMBINED_VALIDATION_CONTEXT;
		ctx->combined_validation_context = cvc;
		/* AllowInsecureFallback: a client without a certificate gets
		 * through; one with a certificate is still verified. */
		dtc->require_client_certificate = pb_bool(a, !c->client_optional);
	}
	dtc->common_tls_context = ctx;
	ts->name = "envoy.transport_sockets.tls";
	ts->config_type_case = ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__CONFIG_TYPE_TYPED_CONFIG;
	ts->typed_config = pb_any(a, &dtc->base);
	return ts;
}

static Filter *
gw_tcp_proxy(struct translation *t, const char *stat_prefix,
    const struct dag_tcpproxy *tp)
{
	struct arena *a = &t->arena;
	TcpProxy *p = pb_new(a,
	    &envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__descriptor);

	p->stat_prefix = pb_str(a, stat_prefix);
	p->idle_timeout = pb_duration_ms(a, TRANSLATE_TCP_IDLE_TIMEOUT_MS);
	translate_tcp_proxy_upstream(a, p, tp);
	return translate_network_filter(a, "envoy.filters.network.tcp_proxy", &p->base);
}

/* "*.example.com" matches host (itself a name or a wildcard) by one or
 * more labels. */
static bool
gw_sni_wildcard_matches(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern + 1), hl = strlen(host);

	return pattern[0] == '*' && hl > pl && strcmp(host + hl - pl, pattern + 1) == 0;
}

/* The chain whose TLS handshake a client connecting for host gets, as
 * Envoy picks it by SNI: the same name, else the longest wildcard, else
 * the chain without server_names; NULL when none would. */
static const struct dag_gw_chain *
gw_chain_for_host(const struct dag_gw_port *gp, const char *host)
{
	const struct dag_gw_chain *best = NULL, *any = NULL;

	for (size_t i = 0; i < gp->nchains; i++) {
		const char *sn = gp->chains[i].server_name;

		if (sn == NULL) {
			any = &gp->chains[i];
			continue;
		}
		if (strcmp(host, "*") == 0)
			continue;
		if (strcmp(sn, host) == 0)
			return &gp->chains[i];
		if (gw_sni_wildcard_matches(sn, host) && (best == NULL ||
		    strlen(sn) > strlen(best->server_name)))
			best = &gp->chains[i];
	}
	return best != NULL ? best : any;
}

static const char *
gw_chain_routes_name(struct arena *a, const struct dag_gw_port *gp,
    const struct dag_gw_chain *c)
{
	return arena_printf(a, "%s/%s", gp->name, c->server_name ?
	    c->server_name : "*");
}

static VirtualHost *
gw_misdirected_vhost(struct arena *a, const char *domain)
{
	VirtualHost *v = pb_new(a, &envoy__config__route__v3__virtual_host__descriptor);
	Route *r = pb_new(a, &envoy__config__route__v3__route__descriptor);
	Envoy__Config__Route__V3__DirectResponseAction *dr = pb_new(a,
	    &envoy__config__route__v3__direct_response_action__descriptor);

	r->match = pb_new(a, &envoy__config__route__v3__route_match__descriptor);
	r->match->path_specifier_case =
	    ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
	r->match->prefix = "/";
	dr->status = 421;
	r->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_DIRECT_RESPONSE;
	r->direct_response = dr;
	v->name = arena_printf(a, "misdirected/%s", domain);
	v->n_domains = 1;
	v->domains = pb_array(a, 1);
	v->domains[0] = pb_str(a, domain);
	v->n_routes = 1;
	v->routes = pb_array(a, 1);
	v->routes[0] = r;
	return v;
}

/* The RouteConfiguration of HTTPS chain c of port gp: the hosts whose
 * handshake c makes, then 421 for the hosts and names of the port's other
 * chains (a request for them came on a connection made for another name);
 * a host no chain serves is unknown here too (404). */
static void
gw_chain_routes(struct translation *t, const struct dag_gw_port *gp,
    const struct dag_gw_chain *c)
{
	struct arena *a = &t->arena;
	RouteConfiguration *rc = pb_new(a,
	    &envoy__config__route__v3__route_configuration__descriptor);

	rc->name = pb_str(a, gw_chain_routes_name(a, gp, c));
	rc->virtual_hosts = pb_array(a, 2 * gp->nvhosts + gp->nchains + 1);
	for (size_t v = 0; v < gp->nvhosts; v++) {
		const struct dag_vhost *vh = &gp->vhosts[v];

		if (vh->nroutes > 0 && gw_chain_for_host(gp, vh->fqdn) == c)
			rc->virtual_hosts[rc->n_virtual_hosts++] =
			    translate_virtual_host(t, vh);
	}
	for (size_t v = 0; v < gp->nvhosts; v++) {
		const struct dag_vhost *vh = &gp->vhosts[v];

		if (vh->nroutes > 0 && gw_chain_for_host(gp, vh->fqdn) != c)
			rc->virtual_hosts[rc->n_virtual_hosts++] =
			    gw_misdirected_vhost(a, vh->fqdn);
	}
	for (size_t k = 0; k < gp->nchains; k++) {
		const char *sn = gp->chains[k].server_name;
		bool served = false;

		if (&gp->chains[k] == c || sn == NULL)
			continue;
		/* A name that is also a host is that chain's: done above. */
		for (size_t v = 0; v < gp->nvhosts && !served; v++)
			served = gp->vhosts[v].nroutes > 0 &&
			    strcmp(gp->vhosts[v].fqdn, sn) == 0;
		if (!served)
			rc->virtual_hosts[rc->n_virtual_hosts++] =
			    gw_misdirected_vhost(a, sn);
	}
	translation_emit(t, XDS_ROUTE, rc->name, &rc->base, false);
}

void
translate_gateway_tls_port(struct translation *t, const struct dag_gateway *gw,
    const struct dag_gw_port *gp)
{
	struct arena *a = &t->arena;
	bool tcp = strcmp(gp->protocol, "TCP") == 0;
	bool https = strcmp(gp->protocol, "HTTPS") == 0;
	Listener *l;

	if (gp->nchains == 0)
		return; /* nothing to serve: no port opened */
	l = pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	l->name = pb_str(a, gp->name);
	l->address = pb_socket_address(a, gw->address, gp->port);
	l->n_filter_chains = gp->nchains;
	l->filter_chains = pb_array(a, gp->nchains);
	for (size_t i = 0; i < gp->nchains; i++) {
		const struct dag_gw_chain *c = &gp->chains[i];
		FilterChain *fc = pb_new(a,
		    &envoy__config__listener__v3__filter_chain__descriptor);
		FilterChainMatch *m = pb_new(a,
		    &envoy__config__listener__v3__filter_chain_match__descriptor);

		if (c->server_name != NULL) {
			m->n_server_names = 1;
			m->server_names = pb_array(a, 1);
			m->server_names[0] = pb_str(a, c->server_name);
		} else if (!tcp) {
			m->transport_protocol = "tls";
		}
		if (!tcp)
			fc->filter_chain_match = m;
		fc->n_filters = 1;
		fc->filters = pb_array(a, 1);
		if (https) {
			gw_chain_routes(t, gp, c);
			fc->filters[0] = translate_network_filter(a,
			    "envoy.filters.network.http_connection_manager",
			    translate_hcm(t, gp->name, gw_chain_routes_name(a, gp, c),
			    true));
		}
		else
			fc->filters[0] = gw_tcp_proxy(t, gp->name, c->tcpproxy);
		if (c->ncertificates > 0)
			fc->transport_socket = gw_downstream_tls(t, c, https);
		l->filter_chains[i] = fc;
	}
	if (!tcp) {
		Envoy__Extensions__Filters__Listener__TlsInspector__V3__TlsInspector *ti =
		    pb_new(a,
		    &envoy__extensions__filters__listener__tls_inspector__v3__tls_inspector__descriptor);
		ListenerFilter *lf = pb_new(a,
		    &envoy__config__listener__v3__listener_filter__descriptor);

		lf->name = "envoy.filters.listener.tls_inspector";
		lf->config_type_case =
		    ENVOY__CONFIG__LISTENER__V3__LISTENER_FILTER__CONFIG_TYPE_TYPED_CONFIG;
		lf->typed_config = pb_any(a, &ti->base);
		l->n_listener_filters = 1;
		l->listener_filters = pb_array(a, 1);
		l->listener_filters[0] = lf;
	}
	translation_emit(t, XDS_LISTENER, l->name, &l->base, false);
}
