/* Gateway API TLS (SPEC.md §5a, docs/gateway-api.md): the certificates
 * of HTTPS and TLS listeners (Secrets of the Gateway's namespace, or of
 * another through a ReferenceGrant), client certificate validation
 * (spec.tls.frontend, CAs from a ConfigMap's ca.crt or a Secret), and the
 * route kinds TLS and TCP listeners take. Certificates become the same
 * SDS resources as HTTPProxy's (secret_use), named <namespace>/<name>. */
#include "dag/gateway_tls.h"

#include <string.h>

#include "config.h"
#include "tls/tls.h"

#define GW_GROUP "gateway.networking.k8s.io"

static const char *const gw_tls_kinds[] = { "TLSRoute", "TCPRoute" };

bool
gw_tls_listener_kinds(struct builder *b, const struct gw_listener *l,
    bool *tlsroute, bool *tcproute, struct dag_gw_listener_status *lst)
{
	bool tls = strcmp(l->protocol, "TLS") == 0;
	bool ok = true;

	*tlsroute = *tcproute = false;
	if (l->allowed_routes != NULL && l->allowed_routes->nkinds > 0) {
		for (size_t k = 0; k < l->allowed_routes->nkinds; k++) {
			const struct gw_route_group_kind *rk =
			    &l->allowed_routes->kinds[k];
			const char *g = rk->group ? rk->group : GW_GROUP;
			const char *want = tls ? "TLSRoute" : "TCPRoute";

			if (strcmp(g, GW_GROUP) == 0 && strcmp(rk->kind, want) == 0)
				*(tls ? tlsroute : tcproute) = true;
			else
				ok = false;
		}
	} else {
		*(tls ? tlsroute : tcproute) = true;
	}
	lst->supported_kinds = ARENA_ARRAY(b->arena, const char *, 1);
	if (*tlsroute || *tcproute)
		lst->supported_kinds[lst->nsupported_kinds++] =
		    gw_tls_kinds[tls ? 0 : 1];
	return ok;
}

bool
gw_tls_granted(const struct builder *b, const char *from_kind,
    const char *from_ns, const char *to_group, const char *to_kind,
    const char *to_ns, const char *to_name)
{
	for (size_t i = 0; i < b->nobjs; i++) {
		const struct object *o = b->objs[i];
		const struct referencegrant *g;
		bool from = false, to = false;

		if (o->kind != OBJ_REFERENCEGRANT ||
		    strcmp(o->meta.namespace, to_ns) != 0)
			continue;
		g = &o->u.referencegrant;
		for (size_t k = 0; k < g->nfrom; k++)
			if (strcmp(g->from[k].group, GW_GROUP) == 0 &&
			    strcmp(g->from[k].kind, from_kind) == 0 &&
			    strcmp(g->from[k].namespace, from_ns) == 0)
				from = true;
		for (size_t k = 0; k < g->nto; k++)
			if (strcmp(g->to[k].group, to_group) == 0 &&
			    strcmp(g->to[k].kind, to_kind) == 0 &&
			    (g->to[k].name == NULL || *g->to[k].name == '\0' ||
			    strcmp(g->to[k].name, to_name) == 0))
				to = true;
		if (from && to)
			return true;
	}
	return false;
}

static const struct object *
gw_object_find(const struct builder *b, enum obj_kind kind, const char *ns,
    const char *name)
{
	for (size_t i = 0; i < b->nobjs; i++)
		if (b->objs[i]->kind == kind &&
		    strcmp(b->objs[i]->meta.namespace, ns) == 0 &&
		    strcmp(b->objs[i]->meta.name, name) == 0)
			return b->objs[i];
	return NULL;
}

/* One certificateRefs[] entry of listener l: the SDS certificate, or NULL
 * with the listener's ResolvedRefs reason. */
static const struct dag_secret *
gw_certificate(struct builder *b, const struct object *gw,
    const struct gw_object_ref *r, const char **reason, const char **msg)
{
	const char *group = r->group ? r->group : "";
	const char *kind = r->kind ? r->kind : "Secret";
	const char *ns = r->namespace ? r->namespace : gw->meta.namespace;
	const struct dag_secret *ds;
	enum secret_problem problem;
	const char *why;

	if (*group != '\0' || strcmp(kind, "Secret") != 0) {
		*reason = "InvalidCertificateRef";
		*msg = arena_printf(b->arena, "certificateRef %s%s%s %s: cairn "
		    "reads certificates from Secrets (group \"\", kind Secret)",
		    group, *group ? "/" : "", kind, r->name);
		return NULL;
	}
	if (strcmp(ns, gw->meta.namespace) != 0 &&
	    !gw_tls_granted(b, "Gateway", gw->meta.namespace, "", "Secret", ns,
	    r->name)) {
		*reason = "RefNotPermitted";
		*msg = arena_printf(b->arena, "certificateRef Secret %s/%s: no "
		    "ReferenceGrant in namespace \"%s\" lets Gateways of "
		    "namespace \"%s\" use it", ns, r->name, ns, gw->meta.namespace);
		return NULL;
	}
	/* The grant (or the namespace) decides, not TLSCertificateDelegation:
	 * ask from the Secret's own namespace. */
	ds = secret_use(b, arena_printf(b->arena, "%s/%s", ns, r->name), ns,
	    SECRET_USE_CERTIFICATE, NULL, &problem, &why);
	if (ds == NULL) {
		*reason = "InvalidCertificateRef";
		*msg = arena_printf(b->arena, "certificateRef Secret %s/%s: %s", ns,
		    r->name, why);
	}
	return ds;
}

/* A CA of frontend validation: a ConfigMap's ca.crt or a Secret's. */
static const struct dag_secret *
gw_ca(struct builder *b, const struct object *gw, const struct gw_object_ref *r,
    const char **reason, const char **msg)
{
	const char *group = r->group ? r->group : "";
	const char *kind = r->kind ? r->kind : "ConfigMap";
	const char *ns = r->namespace ? r->namespace : gw->meta.namespace;
	bool configmap = strcmp(kind, "ConfigMap") == 0;
	const struct object *cm;
	struct dag_secret *ds;
	char why[TLS_WHY_MAX];

	if (*group != '\0' || (!configmap && strcmp(kind, "Secret") != 0)) {
		*reason = "InvalidCACertificateKind";
		*msg = arena_printf(b->arena, "caCertificateRef %s%s%s %s: cairn "
		    "reads CAs from ConfigMaps and Secrets (group \"\")", group,
		    *group ? "/" : "", kind, r->name);
		return NULL;
	}
	if (strcmp(ns, gw->meta.namespace) != 0 &&
	    !gw_tls_granted(b, "Gateway", gw->meta.namespace, "", kind, ns,
	    r->name)) {
		*reason = "RefNotPermitted";
		*msg = arena_printf(b->arena, "caCertificateRef %s %s/%s: no "
		    "ReferenceGrant in namespace \"%s\" lets Gateways of "
		    "namespace \"%s\" use it", kind, ns, r->name, ns,
		    gw->meta.namespace);
		return NULL;
	}
	if (!configmap) {
		enum secret_problem problem;
		const char *w;
		const struct dag_secret *s = secret_use(b, arena_printf(b->arena,
		    "%s/%s", ns, r->name), ns, SECRET_USE_CA, NULL, &problem, &w);

		if (s == NULL) {
			*reason = "InvalidCACertificateRef";
			*msg = arena_printf(b->arena, "caCertificateRef Secret "
			    "%s/%s: %s", ns, r->name, w);
		}
		return s;
	}
	cm = gw_object_find(b, OBJ_CONFIGMAP, ns, r->name);
	*reason = "InvalidCACertificateRef";
	if (cm == NULL || cm->u.configmap.ca_crt == NULL) {
		*msg = arena_printf(b->arena, "caCertificateRef ConfigMap %s/%s: %s",
		    ns, r->name, cm == NULL ? "not found" : "it has no ca.crt");
		return NULL;
	}
	if (tls_check_certificates(cm->u.configmap.ca_crt,
	    strlen(cm->u.configmap.ca_crt), NULL, why, sizeof why) < 0) {
		*msg = arena_printf(b->arena, "caCertificateRef ConfigMap %s/%s: "
		    "ca.crt: %s", ns, r->name, why);
		return NULL;
	}
	*reason = NULL;
	/* Not a Secret's name (<namespace>/<name>): both may be used. */
	ds = ARENA_NEW(b->arena, struct dag_secret);
	ds->name = arena_printf(b->arena, "configmap/%s/%s", ns, r->name);
	ds->type = DAG_SECRET_VALIDATION;
	ds->trusted_ca.data = (const uint8_t *)cm->u.configmap.ca_crt;
	ds->trusted_ca.len = strlen(cm->u.configmap.ca_crt);
	return ds;
}

/* spec.tls.frontend's validation for port: perPort, else default. */
static const struct gw_frontend_validation *
gw_frontend_validation(const struct gateway *gw, int32_t port)
{
	const struct gw_frontend_tls *f = gw->tls ? gw->tls->frontend : NULL;

	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < f->nper_port; i++)
		if (f->per_port[i].port == port)
			return f->per_port[i].validation;
	return f->default_validation;
}

bool
gw_tls_listener(struct builder *b, const struct object *gw,
    const struct gw_listener *l, struct dag_gw_chain **out,
    const char **reason, const char **msg)
{
	const struct gw_listener_tls *t = l->tls;
	const char *mode = t && t->mode ? t->mode : "Terminate";
	bool https = strcmp(l->protocol, "HTTPS") == 0;
	const struct gw_frontend_validation *fv;
	struct dag_gw_chain *c = ARENA_NEW(b->arena, struct dag_gw_chain);

	*out = NULL;
	c->server_name = l->hostname;
	c->minimum_version = b->cfg ? config_tls_version_name(
	    b->cfg->envoy.tls.minimum_protocol_version) : "1.2";
	c->maximum_version = b->cfg ? config_tls_version_name(
	    b->cfg->envoy.tls.maximum_protocol_version) : "1.3";
	if (strcmp(mode, "Passthrough") == 0) {
		if (https) {
			*reason = "InvalidTLSConfig"; /* not a standard reason */
			*msg = "an HTTPS listener terminates TLS: tls.mode "
			    "Passthrough needs protocol TLS";
			return false;
		}
		*out = c;
		return true;
	}
	if (t == NULL || t->ncertificate_refs == 0) {
		*reason = "InvalidCertificateRef";
		*msg = "tls.certificateRefs is empty: a listener that terminates "
		    "TLS needs a certificate";
		return false;
	}
	c->certificates = ARENA_ARRAY(b->arena, const struct dag_secret *,
	    t->ncertificate_refs);
	for (size_t i = 0; i < t->ncertificate_refs; i++) {
		const struct dag_secret *ds = gw_certificate(b, gw,
		    &t->certificate_refs[i], reason, msg);

		/* One bad reference is the listener's ResolvedRefs False,
		 * and it serves nothing: a client must not get another
		 * certificate than the one written. */
		if (ds == NULL)
			return false;
		c->certificates[c->ncertificates++] = ds;
	}
	fv = https ? gw_frontend_validation(&gw->u.gateway, l->port) : NULL;
	if (fv != NULL && fv->nca_certificate_refs > 0) {
		c->client_ca = gw_ca(b, gw, &fv->ca_certificate_refs[0], reason,
		    msg);
		if (c->client_ca == NULL)
			return false;
		/* Envoy takes one trusted CA bundle per context: several
		 * references are one bundle, named after all of them. */
		for (size_t i = 1; i < fv->nca_certificate_refs; i++) {
			const struct dag_secret *more = gw_ca(b, gw,
			    &fv->ca_certificate_refs[i], reason, msg);
			struct dag_secret *all;
			uint8_t *bytes;

			if (more == NULL)
				return false;
			all = ARENA_NEW(b->arena, struct dag_secret);
			all->name = arena_printf(b->arena, "%s+%s",
			    c->client_ca->name, more->name);
			all->type = DAG_SECRET_VALIDATION;
			all->trusted_ca.len = c->client_ca->trusted_ca.len + 1 +
			    more->trusted_ca.len;
			bytes = arena_alloc(b->arena, all->trusted_ca.len);
			memcpy(bytes, c->client_ca->trusted_ca.data,
			    c->client_ca->trusted_ca.len);
			bytes[c->client_ca->trusted_ca.len] = '\n';
			memcpy(bytes + c->client_ca->trusted_ca.len + 1,
			    more->trusted_ca.data, more->trusted_ca.len);
			all->trusted_ca.data = bytes;
			c->client_ca = all;
		}
		c->client_optional = fv->mode != NULL &&
		    strcmp(fv->mode, "AllowInsecureFallback") == 0;
	}
	*out = c;
	return true;
}
