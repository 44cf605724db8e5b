/* Shared between the translate_*.c files only. */
#ifndef CAIRN_XDS_TRANSLATE_INTERNAL_H
#define CAIRN_XDS_TRANSLATE_INTERNAL_H

#include "xds/translate.h"
#include "xds/pb.h"
#include "xds/memo.h"
#include "envoy/extensions/transport_sockets/tls/v3/common.pb-c.h"

struct translation {
	const struct dag *dag;
	const struct translate_options *opts;
	/* Messages of this translation. The loops over resources release
	 * each resource's messages once it is serialized (arena_mark,
	 * arena_release): keep what is shared by several resources in
	 * memory allocated before the loop. */
	struct arena arena;
	struct snapshot_builder *out;
	bool proxyless_no_cluster; /* a proxyless route needs "cairn/not-forwarded" */
	/* Some route or service rewrites cookies: the connection managers
	 * get Envoy's Lua filter (set by translate_uses). */
	bool cookie_lua;
	/* A Gateway port's routes use sessionPersistence: its connection
	 * managers get the stateful_session filter (translate_session.c). */
	bool stateful_session;
	struct translate_cache *cache; /* NULL: serialize everything (memo.h) */
	uint64_t opts_fp; /* of opts, part of every cache key */
	/* Fingerprints made once per translation (memo.c): per
	 * cluster and per virtual host of the DAG, by address. Both grow
	 * with what is hashed: a change hashes a few, and a table of the
	 * tree's size cleared per build would cost more (memo_store.c). */
	struct fp_memo *cluster_fps;
	struct fp_memo *vhost_fps;
	size_t seq_pos[MEMO_COUNT]; /* cursors into the last translation's */
	/* The routes being translated are a TLS host's with an ext_authz
	 * filter: they carry their authPolicy (translate_extauth.c). */
	bool ext_authz_routes;
	/* A Gateway's snapshot (translate_gateway.c): its clusters and
	 * endpoints; the default one leaves out what only Gateways use. */
	bool gateway_view;
	/* Its hosts (the view DAG has none): what a first translation's
	 * memo tables are sized for (memo_store.c). */
	size_t gateway_hosts;
	/* The DAG the objects translated belong to, when dag is a view
	 * of it (a Gateway's): what the memo holds while it remembers
	 * their addresses. NULL: dag itself. */
	const struct dag *owner;
	struct name_hashes *name_hashes; /* translate_uses' (translate.c) */
	/* The Cluster being translated (translate_clusters): the blob
	 * translation_pack makes keeps its translation_cluster_eds. */
	const struct dag_cluster *pack_cluster;
	/* A Gateway's proxyless routes' bytes that its ports' Envoy
	 * VirtualHosts share (translate_gateway_proxyless.c); NULL: none. */
	struct gw_shared_routes *gw_shared;
};

/* The ClusterLoadAssignment dc's Cluster loads, which the warming gate
 * waits for (xds_resource.endpoints), or NULL: not EDS, or a Gateway's
 * snapshot (which records no uses). */
const char *translation_cluster_eds(const struct translation *t,
    const struct dag_cluster *dc);

/* --- translate_extauth.c: external authorization ------------------------ */

/* Add the ext_authz filter of ea (NULL: none) to an HCM, before its router. */
void translate_extauth_hcm(struct translation *t, ProtobufCMessage *hcm,
    const struct dag_ext_auth *ea);
/* --- translate_tracing.c: tracing (cairn.yaml) ------------------------------ */

/* The HCM's tracing to the collector's ExtensionService, when valid. */
void translate_tracing_hcm(struct translation *t, ProtobufCMessage *hcm);

/* --- translate_ratelimit.c: global rate limits ----------------------------- */

/* Add the rate limit filter (rate-limit-service, when its ExtensionService
 * is valid) to an HCM, before its router. */
void translate_ratelimit_hcm(struct translation *t, ProtobufCMessage *hcm);
/* rate_limits of a VirtualHost / a Route's action (and its opt-out). */
void translate_ratelimit_vhost(struct translation *t, void *vhost,
    const struct dag_vhost *vh);
void translate_ratelimit_route(struct translation *t, void *route,
    const struct dag_route *r);
/* translate_route_action.c: a route header matcher (HeaderMatcher *). */
void *translate_header_matcher(struct arena *a, const struct dag_header_match *h);

/* global-ext-auth when its ExtensionService is valid, else NULL. */
const struct dag_ext_auth *translate_extauth_global(struct translation *t);
/* The route's ExtAuthzPerRoute (a Route message), when ext_authz_routes. */
void translate_extauth_route(struct translation *t, void *route,
    const struct dag_route *r);

/* --- memo.c: the translation memo's life (memo.h for what the driver
 * asks it) ------------------------------------------------------------- */
void translate_cache_begin(struct translation *t);
void translate_cache_end(struct translation *t);
/* The snapshot of the last translation (its unchanged types' versions
 * are reused, snapshot_builder_set_previous), NULL at first; keep snap
 * (a reference) for the next. */
const struct snapshot *translate_cache_last_snapshot(
    const struct translation *t);
void translate_cache_snapshot(struct translation *t, struct snapshot *snap);
/* m serialized into a new blob (refs = 1). */
struct xds_blob *translation_pack(struct translation *t, const char *name,
    const ProtobufCMessage *m);

/* Serialize m and add it to the snapshot. */
void translation_emit(struct translation *t, enum xds_type type,
    const char *name, const ProtobufCMessage *m, bool named_only);
/* True when some virtual host has at least one route. */
bool translation_has_routes(const struct translation *t);
/* translate_jwt.c: Contour's jwt_authn filter of a TLS host with
 * jwtProviders, inserted before the router of hcm (an
 * HttpConnectionManager); and the per-route config naming a requirement. */
void translate_jwt_filter(struct translation *t, ProtobufCMessage *hcm,
    const struct dag_vhost *vh);
struct Google__Protobuf__Any *translate_jwt_per_route(struct arena *a,
    const char *requirement);
/* translate_route_filters.c: appends filter's per-route config cfg (an Any) to
 * route's (a Route) typed_per_filter_config. Serves the per-route
 * overrides of ext_authz and ratelimit. */
void translation_route_filter_config(struct arena *a, void *route,
    const char *filter, ProtobufCMessage *cfg);
/* translate.c: the DAG's cluster of that name (clusters are sorted by
 * name), or NULL (also for a NULL name). Serves the warming gate's uses
 * and the ExtensionService clusters of ext_authz, ratelimit and tracing. */
const struct dag_cluster *translation_cluster(const struct dag *dag,
    const char *name);
/* A virtual host proxyless gRPC clients can name (xds:///<fqdn>): it has
 * routes and is not a wildcard. Such a host gets an api_listener and a
 * RouteConfiguration of its own, both named after the FQDN. */
bool translation_proxyless_host(const struct dag_vhost *vh);
/* A DAG timeout as a Duration: NULL when unset (Envoy's default), 0s
 * when disabled. */
struct Google__Protobuf__Duration *translation_timeout(struct arena *a,
    int64_t ms);

/* translate_session.c: Gateway API's sessionPersistence. Whether some
 * route of a Gateway port uses it; the connection manager's filter config
 * (no session state: each route brings its own); a route's
 * StatefulSessionPerRoute. */
#define TRANSLATE_FILTER_STATEFUL_SESSION "envoy.filters.http.stateful_session"
struct dag_gw_port;
struct dag_session;
bool translate_session_port(const struct dag_gw_port *gp);
ProtobufCMessage *translate_session_filter(struct arena *a);
ProtobufCMessage *translate_session_route(struct arena *a,
    const struct dag_session *s);
/* A Gateway port's listener (HCM with RDS route_config_name = name). */
void translate_http_listener_named(struct translation *t, const char *name,
    const char *address, uint32_t port);
/* TLS (translate_https.c): whether vh gets an HTTP filter chain on
 * ingress_https; its RouteConfiguration https/<fqdn>; ingress_fallbackcert
 * (NULL: no host has the fallback certificate); ingress_https (NULL: no
 * filter chain). Made anew at every translation. */
bool translate_https_host(const struct dag_vhost *vh);
/* translate_https.c, also for a Gateway's TLS and TCP chains: a network
 * filter with its typed config, and a tcp_proxy's upstream (one cluster,
 * or the weighted ones in name order). */
struct Envoy__Config__Listener__V3__Filter *translate_network_filter(
    struct arena *a, const char *name, const ProtobufCMessage *cfg);
struct Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy;
struct dag_tcpproxy;
/* Contour's idle timeout of TCP proxies (its issue #1074), for every
 * tcp_proxy cairn makes. */
#define TRANSLATE_TCP_IDLE_TIMEOUT_MS (9001 * 1000)
/* translate_https.c: an SDS reference to a Secret over ADS, and a TLS
 * version ("1.3"; anything else: 1.2) as Envoy's enum. */
struct Envoy__Extensions__TransportSockets__Tls__V3__SdsSecretConfig *
translate_sds_config(struct arena *a, const char *name);
Envoy__Extensions__TransportSockets__Tls__V3__TlsParameters__TlsProtocol
translate_tls_protocol(const char *v);
void translate_tcp_proxy_upstream(struct arena *a,
    struct Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy *p,
    const struct dag_tcpproxy *tp);
struct Envoy__Config__Route__V3__RouteConfiguration *translate_https_routes(
    struct translation *t, const struct dag_vhost *vh);
struct Envoy__Config__Route__V3__RouteConfiguration *translate_fallback_routes(
    struct translation *t);
struct Envoy__Config__Listener__V3__Listener *translate_https_listener(
    struct translation *t);
/* What port 80 serves of vh: TLS hosts' routes redirect to https unless
 * permitInsecure, and https-only routes are left out. vh itself when
 * nothing changes, a copy in t's arena otherwise, NULL when nothing is
 * left. */
const struct dag_vhost *translate_http_view(struct translation *t,
    const struct dag_vhost *vh);
/* A VirtualHost of ingress_http's kind (translate_route.c). */
struct Envoy__Config__Route__V3__VirtualHost *translate_virtual_host(
    struct translation *t, const struct dag_vhost *vh);
/* Route r of vh as translate_virtual_host makes it (a Route message). */
void *translate_route_envoy(struct translation *t, const struct dag_vhost *vh,
    const struct dag_route *r);
/* Whether r's Route is the same message for Envoy as for proxyless
 * clients (translate_virtual_host_proxyless's), so the same bytes. */
/* Whether bytes packed in pieces (a proxyless target's shell, a port's
 * VirtualHost of shared routes) are compared with the whole message's:
 * CAIRN_PB_VERIFY, or the memo's verify mode. */
bool translate_pieces_verify(const struct translation *t);
bool translate_route_proxyless_same(const struct translation *t,
    const struct dag_route *r);
/* Whether translate_virtual_host sets no field of vh's after its
 * routes (none is set before them but name and domains). */
bool translate_vhost_routes_only(const struct dag_vhost *vh);
/* services[].validation of dc into an UpstreamTlsContext's context
 * (translate_https.c); nothing without validation. */
struct Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext;
void translate_upstream_validation(struct arena *a,
    struct Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext *ctx,
    const struct dag_cluster *dc);
/* A file access log (translate_listener.c). */
struct Envoy__Config__Accesslog__V3__AccessLog *translate_access_log(
    struct translation *t, const char *path);

/* The translators of the resources the memo keeps (memo.h): pure
 * functions of their object and the options, messages in t's arena. */
struct Envoy__Config__Cluster__V3__Cluster *translate_cluster(
    struct translation *t, const struct dag_cluster *dc);
struct Envoy__Config__Endpoint__V3__ClusterLoadAssignment *translate_cla(
    struct translation *t, const struct dag_endpoints *de);
struct Envoy__Config__Listener__V3__Listener *translate_api_listener(
    struct translation *t, const struct dag_vhost *vh);
/* Made anew at every translation: ingress_http's Listener
 * (translate_listener.c) and an SDS Secret (translate_secret.c). */
struct Envoy__Config__Listener__V3__Listener *translate_http_listener(
    struct translation *t);
struct Envoy__Extensions__TransportSockets__Tls__V3__Secret *translate_secret(
    struct translation *t, const struct dag_secret *ds);
/* translate_route.c: one host of ingress_http (NULL: port 80 serves
 * nothing of it), a proxyless RouteConfiguration, ingress_http's bytes
 * before its hosts (*field: the number of virtual_hosts), and the cluster
 * of routes proxyless clients cannot follow (proxyless_no_cluster). */
struct Envoy__Config__Route__V3__VirtualHost *translate_http_vhost(
    struct translation *t, const struct dag_vhost *vh);
struct Envoy__Config__Route__V3__RouteConfiguration *translate_proxyless_routes(
    struct translation *t, const struct dag_vhost *vh);
uint8_t *translate_http_routes_head(struct translation *t, size_t *len,
    uint32_t *field);
void translate_not_forwarded(struct translation *t);
/* The driver's loops (translate.c), also a Gateway's (translate_gateway.c). */
void translate_routes(struct translation *t);
void translate_clusters(struct translation *t);
void translate_endpoints(struct translation *t);
void translate_secrets(struct translation *t);
/* per_connection_buffer_limit_bytes and socket_options of ingress_http
 * and ingress_https (Contour's listener settings). */
struct Envoy__Config__Listener__V3__Listener;
void translate_listener_options(struct translation *t,
    struct Envoy__Config__Listener__V3__Listener *l);
/* The HttpConnectionManager shared by ingress_http and api listeners. */
ProtobufCMessage *translate_hcm(struct translation *t, const char *stat_prefix,
    const char *route_config_name, bool with_access_log);

/* Proxyless gRPC clients of a Gateway (translate_gateway_proxyless.c):
 * named-only api listeners and RouteConfigurations `<host>` and
 * `<host>:<port>` for each hostname of gw's HTTP ports. */
void translate_gateway_proxyless(struct translation *t,
    const struct dag_gateway *gw);
/* translate_route.c: a VirtualHost in the form proxyless clients accept
 * (sets t->proxyless_no_cluster when a route cannot forward: then
 * translate_not_forwarded adds the endpoint-less cluster it points at). */
struct Envoy__Config__Route__V3__VirtualHost *translate_virtual_host_proxyless(
    struct translation *t, const struct dag_vhost *vh);

/* A proxyless target's VirtualHost packed once per host: the bytes of
 * v's fields other than name and domains (fields 1-2, the only ones its
 * targets differ in; every other field comes after them, and unknown
 * fields are packed after all known ones), written into w, as *u, an
 * unknown field whose bytes follow name and domains exactly as packing
 * all of v writes them. false: v has no other field. u's data is w's. */
struct pb_writer;
bool gateway_proxyless_vhost_rest(struct pb_writer *w,
    struct Envoy__Config__Route__V3__VirtualHost *v,
    ProtobufCMessageUnknownField *u);
/* shell: a VirtualHost named name, of the one domain name, with rest's
 * bytes after them (NULL: none), packing to the bytes of the whole
 * VirtualHost rest was taken from under that name and domain. */
void gateway_proxyless_vhost_shell(struct arena *a,
    struct Envoy__Config__Route__V3__VirtualHost *shell, const char *name,
    ProtobufCMessageUnknownField *rest);

/* A Gateway host's routes as its proxyless targets packed them, those
 * that are the same for Envoy (translate_route_proxyless_same), kept
 * for the rest of the translation: its port's VirtualHost takes their
 * bytes instead of translating and packing them again
 * (translate_gateway.c). bytes[i]: route i's length and bytes, as an
 * unknown field's data; NULL: route i differs. */
struct gw_host_routes {
	const void *id; /* the host's routes array */
	size_t n;
	const uint8_t **bytes;
	size_t *lens;
};
/* vh's, when its proxyless targets were made by this translation and
 * at least one of its routes is the same for Envoy; else NULL. */
const struct gw_host_routes *gateway_shared_routes(const struct translation *t,
    const struct dag_vhost *vh);
void gateway_shared_routes_free(struct translation *t);

#endif
