/* Contour's JWT verification: virtualhost.jwtProviders of a TLS root
 * HTTPProxy become the providers of Envoy's jwt_authn filter on that
 * host's filter chain, each remote JWKS a DNS cluster of its own
 * (dnsname/<scheme>/<host>, Contour's DNSNameCluster); a route meets the
 * requirement its jwtVerificationPolicy names, or the default provider's.
 * Checks, order and status reasons follow Contour's
 * internal/dag/httpproxy_processor.go. */
#include "dag/build_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/duration.h"
#include "util/hash.h"
#include "util/strbuf.h"

bool
jwt_permitted(struct builder *b, size_t st, const struct object *proxy)
{
	const struct hp_virtualhost *vh = proxy->u.httpproxy.virtualhost;

	if (vh->njwt_providers == 0)
		return true;
	if (vh->tls == NULL || vh->tls->secret_name == NULL ||
	    vh->tls->secret_name[0] == '\0') {
		dag_status_error(b, st, DAG_STATUS_INVALID, "JWTVerificationError",
		    "JWTVerificationNotPermitted", &vh->jwt_providers[0].origin,
		    "Spec.VirtualHost.JWTProviders can only be defined for root "
		    "HTTPProxies that terminate TLS");
		return false;
	}
	return true;
}

/* The parts of a remote JWKS URI Contour uses (Go's url.Parse, then
 * Hostname() and Port()). */
struct jwks_uri {
	char scheme[16];
	char *host;
	long port; /* -1: none written */
};

/* NULL when uri parses, else why not (RemoteJWKSURIInvalid). */
static const char *
jwks_uri_parse(struct builder *b, const char *uri, struct jwks_uri *u)
{
	const char *p, *auth, *end, *at, *colon = NULL;
	size_t n;

	u->scheme[0] = '\0';
	u->host = NULL;
	u->port = -1;
	for (p = uri; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return "invalid character in URI";
	p = strstr(uri, "://");
	if (p == NULL) {
		/* No authority: Go takes "scheme:" if any, else no scheme. */
		const char *c = strchr(uri, ':');

		n = c != NULL && strcspn(uri, "/?#") > (size_t)(c - uri) ?
		    (size_t)(c - uri) : 0;
		if (n >= sizeof u->scheme)
			n = sizeof u->scheme - 1;
		memcpy(u->scheme, uri, n);
		u->scheme[n] = '\0';
		return NULL;
	}
	n = (size_t)(p - uri);
	if (n == 0)
		return "missing protocol scheme";
	if (n >= sizeof u->scheme)
		n = sizeof u->scheme - 1;
	for (size_t i = 0; i < n; i++)
		u->scheme[i] = (char)((uri[i] >= 'A' && uri[i] <= 'Z') ?
		    uri[i] + 32 : uri[i]);
	u->scheme[n] = '\0';
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at != NULL)
		auth = at + 1;
	if (*auth == '[') {
		const char *rb = memchr(auth, ']', (size_t)(end - auth));

		if (rb == NULL)
			return "missing ']' in host";
		u->host = arena_strndup(b->arena, auth + 1, (size_t)(rb - auth - 1));
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return "invalid port after host";
			colon = rb + 1;
		}
	} else {
		colon = memchr(auth, ':', (size_t)(end - auth));
		u->host = arena_strndup(b->arena, auth, colon != NULL ?
		    (size_t)(colon - auth) : (size_t)(end - auth));
	}
	if (colon != NULL && colon + 1 < end) {
		long v = 0;

		for (const char *d = colon + 1; d < end; d++) {
			if (*d < '0' || *d > '9')
				return arena_printf(b->arena, "invalid port \"%.*s\" "
				    "after host", (int)(end - colon), colon);
			if (v < 100000)
				v = v * 10 + (*d - '0');
		}
		u->port = v;
	}
	if (u->host[0] == '\0')
		return "missing host";
	return NULL;
}

static enum dag_dns_family
config_family(const struct builder *b)
{
	return (enum dag_dns_family)b->opts->dns_family;
}

/* How a provider's JWKS is fetched, kept from the checks to the cluster
 * (made only once the whole proxy is valid: jwt_clusters_build). */
struct jwks_plan {
	struct jwks_uri u;
	uint32_t port;
	enum dag_dns_family family;
	const struct dag_secret *ca;
	const struct hp_upstream_validation *v;
};

/* The DNS cluster of a remote JWKS host. Contour names it
 * dnsname/<scheme>/<host>, which two providers with another port, DNS
 * family or validation for the same host would share: cairn keeps that
 * name for the plain case (the scheme's port, the configured family, no
 * validation) and appends a hash of the options otherwise, so that no
 * provider silently gets another's. */
static const struct dag_cluster *
jwks_cluster(struct builder *b, const struct object *proxy,
    const struct jwks_plan *pl)
{
	const struct jwks_uri *u = &pl->u;
	uint32_t plain_port = strcmp(u->scheme, "http") == 0 ? 80 : 443;
	char *name = arena_printf(b->arena, "dnsname/%s/%s", u->scheme, u->host);
	struct dag_cluster *c;

	if (pl->port != plain_port || pl->family != config_family(b) ||
	    pl->ca != NULL) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_printf(&sb, "port=%u;dns=%d;", pl->port, (int)pl->family);
		if (pl->ca != NULL) {
			strbuf_printf(&sb, "ca=%s;san=%s;", pl->ca->name,
			    pl->v->subject_name);
			for (size_t i = 1; i < pl->v->nsubject_names; i++)
				strbuf_printf(&sb, "san=%s;", pl->v->subject_names[i]);
		}
		name = arena_printf(b->arena, "%s/%010llx", name, (unsigned long long)
		    (hash_bytes(sb.buf, sb.len) & 0xffffffffffULL));
		strbuf_free(&sb);
	}
	if ((c = dag_strmap_get(&b->cluster_index, name)) != NULL)
		return c;
	c = ARENA_NEW(b->arena, struct dag_cluster);
	c->name = name;
	c->namespace = proxy->meta.namespace;
	c->service = u->host;
	c->port = pl->port;
	c->external_name = u->host;
	c->dns_family = pl->family;
	c->eds_name = name;
	c->idle_connection_timeout_ms = DAG_TIMEOUT_DEFAULT;
	c->dnsname = true;
	if (strcmp(u->scheme, "https") == 0) {
		c->protocol = DAG_PROTOCOL_TLS;
		c->sni = u->host;
		if (pl->ca != NULL) {
			c->upstream_ca = pl->ca;
			c->upstream_subject_name = pl->v->subject_name;
			c->upstream_subject_names = pl->v->subject_names;
			c->nupstream_subject_names = pl->v->nsubject_names;
		}
	}
	dag_strmap_put(b->arena, &b->cluster_index, c->name, c);
	ARENA_PUSH(b->arena, b->dag->clusters, b->dag->nclusters, b->clusters_cap, c);
	return c;
}

#define JWT_ERROR(reason, where, ...)                                          \
	do {                                                                   \
		dag_status_error(b, st, DAG_STATUS_INVALID, "JWTVerificationError",  \
		    (reason), (where), __VA_ARGS__);                             \
		return false;                                                  \
	} while (0)

static bool
jwt_provider_build(struct builder *b, size_t st, const struct object *proxy,
    const struct hp_jwt_provider *jp, struct dag_jwt_provider *out,
    struct jwks_plan *pl)
{
	const struct hp_remote_jwks *rj = jp->remote_jwks;
	const struct dag_secret *ca = NULL;
	enum dag_dns_family family;
	struct jwks_uri u;
	const char *why;
	uint32_t port;

	if ((why = jwks_uri_parse(b, rj->uri, &u)) != NULL)
		JWT_ERROR("RemoteJWKSURIInvalid", &rj->origin,
		    "Spec.VirtualHost.JWTProviders.RemoteJWKS.URI is invalid: "
		    "parse \"%s\": %s", rj->uri, why);
	if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)
		JWT_ERROR("RemoteJWKSSchemeInvalid", &rj->origin,
		    "Spec.VirtualHost.JWTProviders.RemoteJWKS.URI has invalid scheme "
		    "\"%s\", must be http or https", u.scheme);
	if (rj->validation != NULL) {
		enum secret_problem problem;
		const char *ns, *name;

		if (strcmp(u.scheme, "http") == 0)
			JWT_ERROR("RemoteJWKSUpstreamValidationInvalid",
			    &rj->validation->origin, "Spec.VirtualHost.JWTProviders."
			    "RemoteJWKS.UpstreamValidation must not be specified when "
			    "URI scheme is http.");
		ca = secret_use(b, rj->validation->ca_secret, proxy->meta.namespace,
		    SECRET_USE_CA, NULL, &problem, &why);
		if (ca == NULL) {
			secret_ref_split(b, rj->validation->ca_secret,
			    proxy->meta.namespace, &ns, &name);
			if (problem == SECRET_NOT_DELEGATED)
				JWT_ERROR("RemoteJWKSCACertificateNotDelegated",
				    &rj->validation->origin, "Spec.VirtualHost."
				    "JWTProviders.RemoteJWKS.UpstreamValidation."
				    "CACertificate Secret \"%s/%s\" is not configured "
				    "for certificate delegation", ns, name);
			JWT_ERROR("RemoteJWKSUpstreamValidationInvalid",
			    &rj->validation->origin, "Spec.VirtualHost.JWTProviders."
			    "RemoteJWKS.UpstreamValidation is invalid: %s", why);
		}
	}
	out->timeout_ms = 1000;
	if (rj->timeout != NULL && rj->timeout[0] != '\0' &&
	    duration_parse_ms(rj->timeout, &out->timeout_ms, &why) < 0)
		JWT_ERROR("RemoteJWKSTimeoutInvalid", &rj->origin,
		    "Spec.VirtualHost.JWTProviders.RemoteJWKS.Timeout is invalid: %s",
		    why);
	out->cache_duration_ms = -1;
	if (rj->cache_duration != NULL && rj->cache_duration[0] != '\0') {
		if (duration_parse_ms(rj->cache_duration, &out->cache_duration_ms,
		    &why) < 0)
			JWT_ERROR("RemoteJWKSCacheDurationInvalid", &rj->origin,
			    "Spec.VirtualHost.JWTProviders.RemoteJWKS.CacheDuration "
			    "is invalid: %s", why);
		/* Envoy's RemoteJwks.cache_duration: at least 1ms. */
		if (out->cache_duration_ms < 1)
			JWT_ERROR("RemoteJWKSCacheDurationInvalid", &rj->origin,
			    "Spec.VirtualHost.JWTProviders.RemoteJWKS.CacheDuration "
			    "is invalid: must be at least 1ms");
	}
	if (u.port > 65535 || u.port == 0)
		JWT_ERROR("RemoteJWKSPortInvalid", &rj->origin,
		    "Spec.VirtualHost.JWTProviders.RemoteJWKS.URI has an invalid "
		    "port: %ld is not in 1-65535", u.port);
	port = u.port > 0 ? (uint32_t)u.port : strcmp(u.scheme, "http") == 0 ?
	    80 : 443;
	if (rj->dns_lookup_family == NULL || rj->dns_lookup_family[0] == '\0')
		family = config_family(b);
	else if (strcmp(rj->dns_lookup_family, "auto") == 0)
		family = DAG_DNS_AUTO;
	else if (strcmp(rj->dns_lookup_family, "v4") == 0)
		family = DAG_DNS_V4_ONLY;
	else if (strcmp(rj->dns_lookup_family, "v6") == 0)
		family = DAG_DNS_V6_ONLY;
	else if (strcmp(rj->dns_lookup_family, "all") == 0)
		family = DAG_DNS_ALL;
	else
		JWT_ERROR("RemoteJWKSDNSLookupFamilyInvalid", &rj->origin,
		    "Spec.VirtualHost.JWTProviders.RemoteJWKS.DNSLookupFamily has "
		    "an invalid value \"%s\", must be auto, all, v4 or v6",
		    rj->dns_lookup_family);
	out->name = jp->name;
	out->issuer = jp->issuer != NULL && jp->issuer[0] ? jp->issuer : NULL;
	out->audiences = jp->audiences;
	out->naudiences = jp->naudiences;
	out->uri = rj->uri;
	out->forward = jp->forward_jwt;
	pl->u = u;
	pl->port = port;
	pl->family = family;
	pl->ca = ca;
	pl->v = rj->validation;
	return true;
}

bool
jwt_providers_build(struct builder *b, size_t st, const struct object *proxy,
    struct dag_vhost *vh)
{
	const struct hp_virtualhost *hv = proxy->u.httpproxy.virtualhost;
	struct dag_jwt_provider *out;

	b->jwt_default = NULL;
	b->jwt_root = hv;
	b->jwt_undefined = NULL;
	vh->jwt_providers = NULL;
	vh->njwt_providers = 0;
	if (hv->njwt_providers == 0)
		return true;
	out = ARENA_ARRAY(b->arena, struct dag_jwt_provider, hv->njwt_providers);
	b->jwt_plans = ARENA_ARRAY(b->arena, struct jwks_plan, hv->njwt_providers);
	for (size_t i = 0; i < hv->njwt_providers; i++) {
		const struct hp_jwt_provider *jp = &hv->jwt_providers[i];

		for (size_t k = 0; k < i; k++)
			if (strcmp(hv->jwt_providers[k].name, jp->name) == 0)
				JWT_ERROR("DuplicateProviderName", &jp->origin,
				    "Spec.VirtualHost.JWTProviders is invalid: "
				    "duplicate name %s", jp->name);
		if (jp->is_default) {
			if (b->jwt_default != NULL)
				JWT_ERROR("MultipleDefaultProvidersSpecified",
				    &jp->origin, "Spec.VirtualHost.JWTProviders is "
				    "invalid: at most one provider can be set as the "
				    "default");
			b->jwt_default = jp->name;
		}
		if (!jwt_provider_build(b, st, proxy, jp, &out[i],
		    &b->jwt_plans[i]))
			return false;
	}
	vh->jwt_providers = out;
	vh->njwt_providers = hv->njwt_providers;
	return true;
}

bool
jwt_route_policy(struct builder *b, size_t st, const struct hp_route *hr,
    struct dag_route *r)
{
	const struct hp_jwt_policy *p = hp_route_rare(hr)->jwt_policy;

	if (p == NULL) {
		DAG_ROUTE_RARE_PUT(b->arena, r, jwt_provider, b->jwt_default);
		return true;
	}
	if (p->require != NULL && p->require[0] != '\0' && p->disabled)
		JWT_ERROR("InvalidJWTVerificationPolicy", &p->origin,
		    "route's JWT verification policy cannot specify both require "
		    "and disabled");
	if (p->require != NULL && p->require[0] != '\0') {
		const struct hp_virtualhost *hv = b->jwt_root;
		bool found = false;

		for (size_t k = 0; hv != NULL && k < hv->njwt_providers && !found; k++)
			found = strcmp(hv->jwt_providers[k].name, p->require) == 0;
		if (!found && b->jwt_undefined == NULL) {
			b->jwt_undefined = &p->origin;
			b->jwt_undefined_name = p->require;
		}
		DAG_ROUTE_RARE_PUT(b->arena, r, jwt_provider, p->require);
	}
	else if (p->disabled)
		DAG_ROUTE_RARE_PUT(b->arena, r, jwt_provider, NULL);
	else
		DAG_ROUTE_RARE_PUT(b->arena, r, jwt_provider, b->jwt_default);
	return true;
}

bool
jwt_routes_check(struct builder *b, size_t st, const struct dag_vhost *vh,
    const struct dag_route *routes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		if (dag_route_rare(&routes[i])->jwt_provider == NULL)
			continue;
		for (size_t k = 0; k < vh->njwt_providers && !found; k++)
			found = strcmp(vh->jwt_providers[k].name,
			    dag_route_rare(&routes[i])->jwt_provider) == 0;
		/* Reported where the first such policy is written. */
		if (!found)
			JWT_ERROR("JWTProviderNotDefined", b->jwt_undefined,
			    "Route references an undefined JWT provider \"%s\"",
			    b->jwt_undefined != NULL ? b->jwt_undefined_name :
			    dag_route_rare(&routes[i])->jwt_provider);
	}
	return true;
}

void
jwt_clusters_build(struct builder *b, const struct object *proxy,
    struct dag_vhost *vh)
{
	for (size_t i = 0; i < vh->njwt_providers; i++)
		vh->jwt_providers[i].cluster = jwks_cluster(b, proxy,
		    &b->jwt_plans[i]);
}
