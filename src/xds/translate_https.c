/* ingress_https (SPEC §7): a tls_inspector listener filter, then one
 * filter chain per TLS virtual host matched by SNI (server_names [fqdn])
 * with its own DownstreamTlsContext (the certificate by SDS name over
 * ADS, versions, ciphers, ALPN, client validation) and its own HCM with
 * RDS https/<fqdn>; passthrough and tcpproxy hosts get a tcp_proxy chain;
 * the fallback certificate's chain (no server_names) comes last.
 *
 * Each https/<fqdn> RouteConfiguration holds that host and a catch-all
 * answering 421: a request whose :authority is another host arrived on a
 * connection made for this one (an HTTP/2 client coalescing hosts that
 * share a certificate; reference/contour-faq.txt). Serving it would
 * bypass the other host's TLS settings (client certificates, versions).
 *
 * Port 80 of a TLS host (translate_http_view): its HTTPProxy routes
 * redirect to https unless permitInsecure. */
#include "xds/translate_internal.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/common.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "envoy/type/matcher/v3/string.pb-c.h"
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
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager__SetCurrentClientCertDetails
    ClientCertDetails;
typedef Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy TcpProxy;
typedef Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster__ClusterWeight
    TcpClusterWeight;
typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;
typedef Envoy__Config__Route__V3__VirtualHost VirtualHost;
typedef Envoy__Config__Route__V3__Route Route;

#define FALLBACK_CHAIN "fallback-certificate"
#define MISDIRECTED_VHOST "misdirected"

/* --- views of a virtual host ---------------------------------------------------- */

static struct dag_vhost *
vhost_copy(struct translation *t, const struct dag_vhost *vh)
{
	struct dag_vhost *c = arena_memdup(&t->arena, vh, sizeof *vh);

	c->routes = arena_alloc(&t->arena, sizeof *c->routes * (vh->nroutes + 1));
	c->nroutes = 0;
	return c;
}

const struct dag_vhost *
translate_http_view(struct translation *t, const struct dag_vhost *vh)
{
	struct dag_vhost *c;
	bool change = false;

	for (size_t i = 0; i < vh->nroutes && !change; i++)
		change = vh->routes[i].secure_only || vh->routes[i].https_upgrade;
	if (!change)
		return vh;
	c = vhost_copy(t, vh);
	for (size_t i = 0; i < vh->nroutes; i++) {
		struct dag_route r = vh->routes[i];

		if (r.secure_only)
			continue;
		if (r.https_upgrade)
			r.action = DAG_ACTION_HTTPS_REDIRECT;
		c->routes[c->nroutes++] = r;
	}
	return c->nroutes > 0 ? c : NULL;
}

/* What ingress_https serves of vh: port 80's https redirects (Ingress
 * force-ssl-redirect) forward here. */
static const struct dag_vhost *
secure_view(struct translation *t, const struct dag_vhost *vh)
{
	struct dag_vhost *c;
	bool change = false;

	for (size_t i = 0; i < vh->nroutes && !change; i++)
		change = vh->routes[i].action == DAG_ACTION_HTTPS_REDIRECT;
	if (!change)
		return vh;
	c = vhost_copy(t, vh);
	for (size_t i = 0; i < vh->nroutes; i++) {
		struct dag_route r = vh->routes[i];

		if (r.action == DAG_ACTION_HTTPS_REDIRECT)
			r.action = DAG_ACTION_FORWARD;
		c->routes[c->nroutes++] = r;
	}
	return c;
}

/* A TLS host gets an HTTP filter chain: a certificate, no tcpproxy, and
 * routes to serve. */
static bool
http_tls_host(const struct dag_vhost *vh)
{
	return vh->tls != NULL && vh->tls->secret != NULL &&
	    vh->tls->tcpproxy == NULL && vh->nroutes > 0;
}

bool
translate_https_host(const struct dag_vhost *vh)
{
	return http_tls_host(vh);
}

/* --- RouteConfigurations ------------------------------------------------------- */

static VirtualHost *
misdirected_vhost(struct arena *a)
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
	v->name = MISDIRECTED_VHOST;
	v->n_domains = 1;
	v->domains = pb_array(a, 1);
	v->domains[0] = "*";
	v->n_routes = 1;
	v->routes = pb_array(a, 1);
	v->routes[0] = r;
	return v;
}

RouteConfiguration *
translate_https_routes(struct translation *t, const struct dag_vhost *vh)
{
	struct arena *a = &t->arena;
	RouteConfiguration *rc = pb_new(a,
	    &envoy__config__route__v3__route_configuration__descriptor);

	rc->name = arena_printf(a, TRANSLATE_HTTPS_ROUTES_PREFIX "%s", vh->fqdn);
	rc->n_virtual_hosts = 2;
	rc->virtual_hosts = pb_array(a, 2);
	t->ext_authz_routes = vh->tls != NULL && vh->tls->ext_auth != NULL;
	rc->virtual_hosts[0] = translate_virtual_host(t, secure_view(t, vh));
	t->ext_authz_routes = false;
	rc->virtual_hosts[1] = misdirected_vhost(a);
	return rc;
}

/* Hosts with the fallback certificate share one RouteConfiguration: a
 * client without SNI may ask for any of them. */
RouteConfiguration *
translate_fallback_routes(struct translation *t)
{
	struct arena *a = &t->arena;
	RouteConfiguration *rc = pb_new(a,
	    &envoy__config__route__v3__route_configuration__descriptor);
	size_t n = 0;
	struct dag_cursor cur;

	rc->name = TRANSLATE_FALLBACK_ROUTES;
	rc->virtual_hosts = pb_array(a, t->dag->nvhosts + 1);
	dag_cursor_init(&cur, t->dag, DAG_ARRAY_VHOSTS);
	/* Only hosts with tls: chunks with none are passed unread. */
	for (size_t i = dag_cursor_next_tls(&cur, 0); i < t->dag->nvhosts;
	    i = dag_cursor_next_tls(&cur, i + 1)) {
		const struct dag_vhost *vh = dag_cursor_at(&cur, i, NULL);

		if (http_tls_host(vh) && vh->tls->fallback != NULL)
			rc->virtual_hosts[n++] = translate_virtual_host(t,
			    secure_view(t, vh));
	}
	rc->n_virtual_hosts = n;
	return n > 0 ? rc : NULL;
}

/* --- filter chains ------------------------------------------------------------------ */

SdsSecretConfig *
translate_sds_config(struct arena *a, const char *name)
{
	SdsSecretConfig *s = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__sds_secret_config__descriptor);

	s->name = pb_str(a, name);
	s->sds_config = pb_ads_config_source(a);
	return s;
}

Envoy__Extensions__TransportSockets__Tls__V3__TlsParameters__TlsProtocol
translate_tls_protocol(const char *v)
{
	return v != NULL && strcmp(v, "1.3") == 0 ?
	    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__TLS_PARAMETERS__TLS_PROTOCOL__TLSv1_3 :
	    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__TLS_PARAMETERS__TLS_PROTOCOL__TLSv1_2;
}

/* Client certificates: the policy inline (trust, CRL scope), the CA and
 * CRL over SDS so that rotating them changes no listener. */
static void
client_validation(struct arena *a, CommonTlsContext *ctx,
    const struct dag_client_validation *cv)
{
	CertificateValidationContext *vc = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__certificate_validation_context__descriptor);

	if (cv->skip_verification)
		vc->trust_chain_verification =
		    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__CERTIFICATE_VALIDATION_CONTEXT__TRUST_CHAIN_VERIFICATION__ACCEPT_UNTRUSTED;
	vc->only_verify_leaf_cert_crl = cv->only_verify_leaf_crl;
	if (cv->ca == NULL) {
		ctx->validation_context_type_case =
		    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__VALIDATION_CONTEXT_TYPE_VALIDATION_CONTEXT;
		ctx->validation_context = vc;
		return;
	}
	CombinedValidationContext *cvc = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__common_tls_context__combined_certificate_validation_context__descriptor);

	cvc->default_validation_context = vc;
	cvc->validation_context_sds_secret_config = translate_sds_config(a, cv->ca->name);
	ctx->validation_context_type_case =
	    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__VALIDATION_CONTEXT_TYPE_COMBINED_VALIDATION_CONTEXT;
	ctx->combined_validation_context = cvc;
}

void
translate_upstream_validation(struct arena *a, CommonTlsContext *ctx,
    const struct dag_cluster *dc)
{
	CertificateValidationContext *vc;
	CombinedValidationContext *cvc;
	Envoy__Extensions__TransportSockets__Tls__V3__SubjectAltNameMatcher *san;
	size_t n, ndns;

	if (dc->upstream_ca == NULL)
		return;
	if (dc->upstream_client_cert != NULL) {
		ctx->n_tls_certificate_sds_secret_configs = 1;
		ctx->tls_certificate_sds_secret_configs = pb_array(a, 1);
		ctx->tls_certificate_sds_secret_configs[0] = translate_sds_config(a,
		    dc->upstream_client_cert->name);
	}
	vc = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__certificate_validation_context__descriptor);
	/* subjectNames (Contour): any of them; else the subjectName, unless
	 * URI SANs alone are to be accepted (BackendTLSPolicy). */
	ndns = dc->nupstream_subject_names ? dc->nupstream_subject_names :
	    dc->nupstream_subject_uris ? 0 : 1;
	n = ndns + dc->nupstream_subject_uris;
	vc->n_match_typed_subject_alt_names = n;
	vc->match_typed_subject_alt_names = pb_array(a, n);
	for (size_t i = 0; i < n; i++) {
		san = pb_new(a,
		    &envoy__extensions__transport_sockets__tls__v3__subject_alt_name_matcher__descriptor);
		san->san_type = i < ndns ?
		    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SUBJECT_ALT_NAME_MATCHER__SAN_TYPE__DNS :
		    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SUBJECT_ALT_NAME_MATCHER__SAN_TYPE__URI;
		san->matcher = pb_new(a,
		    &envoy__type__matcher__v3__string_matcher__descriptor);
		san->matcher->match_pattern_case =
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT;
		san->matcher->exact = pb_str(a, i >= ndns ?
		    dc->upstream_subject_uris[i - ndns] :
		    dc->nupstream_subject_names ?
		    dc->upstream_subject_names[i] : dc->upstream_subject_name);
		vc->match_typed_subject_alt_names[i] = san;
	}
	cvc = pb_new(a,
	    &envoy__extensions__transport_sockets__tls__v3__common_tls_context__combined_certificate_validation_context__descriptor);
	cvc->default_validation_context = vc;
	cvc->validation_context_sds_secret_config = translate_sds_config(a, dc->upstream_ca->name);
	ctx->validation_context_type_case =
	    ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__VALIDATION_CONTEXT_TYPE_COMBINED_VALIDATION_CONTEXT;
	ctx->combined_validation_context = cvc;
}

static TransportSocket *
downstream_tls(struct translation *t, const struct dag_tls *tls,
    const struct dag_secret *secret, bool http)
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

	tp->tls_minimum_protocol_version = translate_tls_protocol(tls->minimum_version);
	tp->tls_maximum_protocol_version = translate_tls_protocol(tls->maximum_version ?
	    tls->maximum_version : "1.3");
	tp->n_cipher_suites = o->ncipher_suites;
	tp->cipher_suites = (char **)o->cipher_suites;
	ctx->tls_params = tp;
	ctx->n_tls_certificate_sds_secret_configs = 1;
	ctx->tls_certificate_sds_secret_configs = pb_array(a, 1);
	ctx->tls_certificate_sds_secret_configs[0] = translate_sds_config(a, secret->name);
	if (http) {
		ctx->alpn_protocols = pb_array(a, 2);
		if (o->alpn_h2)
			ctx->alpn_protocols[ctx->n_alpn_protocols++] = "h2";
		if (o->alpn_http11)
			ctx->alpn_protocols[ctx->n_alpn_protocols++] = "http/1.1";
	}
	if (tls->client_validation != NULL) {
		client_validation(a, ctx, tls->client_validation);
		dtc->require_client_certificate = pb_bool(a,
		    !tls->client_validation->optional);
	}
	dtc->common_tls_context = ctx;
	ts->name = "envoy.transport_sockets.tls";
	ts->config_type_case = ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__CONFIG_TYPE_TYPED_CONFIG;
	ts->typed_config = pb_any(a, &dtc->base);
	return ts;
}

Filter *
translate_network_filter(struct arena *a, const char *name,
    const ProtobufCMessage *cfg)
{
	Filter *f = pb_new(a, &envoy__config__listener__v3__filter__descriptor);

	f->name = (char *)name;
	f->config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = pb_any(a, cfg);
	return f;
}

static Filter *
https_hcm(struct translation *t, const char *stat_prefix, const char *rds,
    const struct dag_client_validation *cv, const struct dag_ext_auth *ea,
    const struct dag_vhost *vh)
{
	const struct translate_options *o = t->opts;
	struct arena *a = &t->arena;
	Hcm *hcm = (Hcm *)translate_hcm(t, stat_prefix, rds, true);

	/* envoy.https has its own access log. */
	hcm->n_access_log = 0;
	if (o->https_access_log != NULL && o->https_access_log[0]) {
		hcm->n_access_log = 1;
		hcm->access_log = pb_array(a, 1);
		hcm->access_log[0] = translate_access_log(t, o->https_access_log);
	}
	if (cv != NULL && cv->forward) {
		ClientCertDetails *d = pb_new(a,
		    &envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__set_current_client_cert_details__descriptor);

		d->subject = pb_bool(a, cv->forward_subject);
		d->cert = cv->forward_cert;
		d->chain = cv->forward_chain;
		d->dns = cv->forward_dns;
		d->uri = cv->forward_uri;
		hcm->forward_client_cert_details =
		    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__FORWARD_CLIENT_CERT_DETAILS__SANITIZE_SET;
		hcm->set_current_client_cert_details = d;
	}
	translate_tracing_hcm(t, &hcm->base); /* translate_tracing.c */
	translate_ratelimit_hcm(t, &hcm->base); /* translate_ratelimit.c */
	/* Contour's order: jwt_authn, then ext_authz, both before the
	 * router (each inserted just before it). */
	if (vh != NULL) /* translate_jwt.c */
		translate_jwt_filter(t, &hcm->base, vh);
	translate_extauth_hcm(t, &hcm->base, ea); /* translate_extauth.c */
	return translate_network_filter(a, "envoy.filters.network.http_connection_manager",
	    &hcm->base);
}

static int
tcp_weight_cmp(const void *a, const void *b)
{
	const TcpClusterWeight *x = *(TcpClusterWeight *const *)a;
	const TcpClusterWeight *y = *(TcpClusterWeight *const *)b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : x->weight < y->weight ? -1 : x->weight > y->weight;
}

/* A tcp_proxy's upstream: its one cluster, or the weighted clusters in
 * name order (a stable order whatever the DAG's). */
void
translate_tcp_proxy_upstream(struct arena *a, TcpProxy *p,
    const struct dag_tcpproxy *tp)
{
	if (tp->nclusters == 1) {
		p->cluster_specifier_case =
		    ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_CLUSTER;
		p->cluster = pb_str(a, tp->clusters[0].cluster->name);
	} else {
		Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster *wc =
		    pb_new(a,
		    &envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__weighted_cluster__descriptor);

		wc->n_clusters = tp->nclusters;
		wc->clusters = pb_array(a, tp->nclusters);
		for (size_t i = 0; i < tp->nclusters; i++) {
			TcpClusterWeight *cw = pb_new(a,
			    &envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__weighted_cluster__cluster_weight__descriptor);

			cw->name = pb_str(a, tp->clusters[i].cluster->name);
			cw->weight = tp->clusters[i].weight;
			wc->clusters[i] = cw;
		}
		qsort(wc->clusters, wc->n_clusters, sizeof wc->clusters[0],
		    tcp_weight_cmp);
		p->cluster_specifier_case =
		    ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS;
		p->weighted_clusters = wc;
	}
}

static Filter *
tcp_proxy(struct translation *t, const struct dag_tcpproxy *tp)
{
	const struct translate_options *o = t->opts;
	struct arena *a = &t->arena;
	TcpProxy *p = pb_new(a,
	    &envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__descriptor);

	p->stat_prefix = TRANSLATE_HTTPS_LISTENER;
	p->idle_timeout = pb_duration_ms(a, TRANSLATE_TCP_IDLE_TIMEOUT_MS);
	if (o->https_access_log != NULL && o->https_access_log[0]) {
		p->n_access_log = 1;
		p->access_log = pb_array(a, 1);
		p->access_log[0] = translate_access_log(t, o->https_access_log);
	}
	translate_tcp_proxy_upstream(a, p, tp);
	return translate_network_filter(a, "envoy.filters.network.tcp_proxy",
	    &p->base);
}

static FilterChain *
filter_chain(struct arena *a, const char *server_name, Filter *f)
{
	FilterChain *fc = pb_new(a, &envoy__config__listener__v3__filter_chain__descriptor);
	FilterChainMatch *m = pb_new(a,
	    &envoy__config__listener__v3__filter_chain_match__descriptor);

	if (server_name != NULL) {
		m->n_server_names = 1;
		m->server_names = pb_array(a, 1);
		m->server_names[0] = pb_str(a, server_name);
	} else {
		m->transport_protocol = "tls";
	}
	fc->filter_chain_match = m;
	fc->n_filters = 1;
	fc->filters = pb_array(a, 1);
	fc->filters[0] = f;
	return fc;
}

/* The chain of one TLS host, or NULL when it serves nothing here. */
static FilterChain *
host_chain(struct translation *t, const struct dag_vhost *vh)
{
	const struct dag_tls *tls = vh->tls;
	struct arena *a = &t->arena;
	FilterChain *fc;

	if (tls->tcpproxy != NULL) {
		fc = filter_chain(a, vh->fqdn, tcp_proxy(t, tls->tcpproxy));
		/* passthrough: the TLS goes to the service untouched. */
		if (tls->secret != NULL)
			fc->transport_socket = downstream_tls(t, tls, tls->secret, false);
		return fc;
	}
	if (!http_tls_host(vh))
		return NULL;
	fc = filter_chain(a, vh->fqdn, https_hcm(t, TRANSLATE_HTTPS_LISTENER,
	    arena_printf(a, TRANSLATE_HTTPS_ROUTES_PREFIX "%s", vh->fqdn),
	    tls->client_validation, tls->ext_auth, vh));
	fc->transport_socket = downstream_tls(t, tls, tls->secret, true);
	return fc;
}

Listener *
translate_https_listener(struct translation *t)
{
	struct arena *a = &t->arena;
	const struct dag_tls *fallback = NULL;
	Listener *l;
	ListenerFilter *lf;
	Envoy__Extensions__Filters__Listener__TlsInspector__V3__TlsInspector *ti;
	size_t n = 0;
	struct dag_cursor cur;

	/* The hosts of ingress_fallbackcert (translate_fallback_routes):
	 * the first one's certificate serves clients without a known SNI. */
	dag_cursor_init(&cur, t->dag, DAG_ARRAY_VHOSTS);
	for (size_t i = dag_cursor_next_tls(&cur, 0);
	    i < t->dag->nvhosts && fallback == NULL;
	    i = dag_cursor_next_tls(&cur, i + 1)) {
		const struct dag_vhost *vh = dag_cursor_at(&cur, i, NULL);

		if (http_tls_host(vh) && vh->tls->fallback != NULL)
			fallback = vh->tls;
	}

	l = pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	l->filter_chains = pb_array(a, t->dag->nvhosts + 1);
	for (size_t i = dag_cursor_next_tls(&cur, 0); i < t->dag->nvhosts;
	    i = dag_cursor_next_tls(&cur, i + 1)) {
		const struct dag_vhost *vh = dag_cursor_at(&cur, i, NULL);
		FilterChain *fc;

		if (vh->tls != NULL && (fc = host_chain(t, vh)) != NULL)
			l->filter_chains[n++] = fc;
	}
	if (fallback != NULL) {
		/* Envoy picks it for TLS without a known SNI; the versions and
		 * ciphers are the global ones. */
		struct dag_tls ft = { .secret = fallback->fallback,
			.minimum_version = t->opts->tls_minimum_version,
			.maximum_version = t->opts->tls_maximum_version };
		FilterChain *fc = filter_chain(a, NULL, https_hcm(t,
		    TRANSLATE_FALLBACK_ROUTES, TRANSLATE_FALLBACK_ROUTES, NULL, NULL, NULL));

		fc->name = FALLBACK_CHAIN;
		fc->transport_socket = downstream_tls(t, &ft, ft.secret, true);
		l->filter_chains[n++] = fc;
	}
	/* Contour opens no port while nothing would be served on it. */
	if (n == 0)
		return NULL;
	l->n_filter_chains = n;
	l->name = TRANSLATE_HTTPS_LISTENER;
	l->address = pb_socket_address(a, t->opts->https_address, t->opts->https_port);
	translate_listener_options(t, l);
	ti = pb_new(a,
	    &envoy__extensions__filters__listener__tls_inspector__v3__tls_inspector__descriptor);
	lf = pb_new(a, &envoy__config__listener__v3__listener_filter__descriptor);
	lf->name = "envoy.filters.listener.tls_inspector";
	lf->config_type_case = ENVOY__CONFIG__LISTENER__V3__LISTENER_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	lf->typed_config = pb_any(a, &ti->base);
	l->n_listener_filters = 1;
	l->listener_filters = pb_array(a, 1);
	l->listener_filters[0] = lf;
	return l;
}
