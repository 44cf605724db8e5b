/* Gateway API TLS (SPEC.md §5a, docs/gateway-api.md): the certificates
 * of HTTPS and TLS listeners (Secrets of the Gateway's namespace, or of
 * another through a ReferenceGrant), client certificate validation
 * (spec.tls.frontend, CAs from a ConfigMap's ca.crt or a Secret), and the
 * route kinds TLS and TCP listeners take. Certificates become the same
 * SDS resources as HTTPProxy's (secret_use), named <namespace>/<name>. */
#include "dag/gateway_tls.h"

#include <stdlib.h>
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
gw_grant_permits(const struct referencegrant *g, const char *from_kind,
    const char *from_ns, const char *to_group, const char *to_kind,
    const char *to_name)
{
	bool from = false, to = false;

	for (size_t k = 0; k < g->nfrom && !from; k++)
		from = strcmp(g->from[k].group, GW_GROUP) == 0 &&
		    strcmp(g->from[k].kind, from_kind) == 0 &&
		    strcmp(g->from[k].namespace, from_ns) == 0;
	for (size_t k = 0; k < g->nto && !to; k++)
		to = strcmp(g->to[k].group, to_group) == 0 &&
		    strcmp(g->to[k].kind, to_kind) == 0 &&
		    (g->to[k].name == NULL || *g->to[k].name == '\0' ||
		    strcmp(g->to[k].name, to_name) == 0);
	return from && to;
}

bool
gw_tls_granted(const struct builder *b, const char *from_kind,
    const char *from_ns, const char *to_group, const char *to_kind,
    const char *to_ns, const char *to_name)
{
	dag_lookup_note((struct builder *)b, 'n', to_ns, "ReferenceGrant");
	for (size_t i = 0; i < b->nobjs; i++) {
		const struct object *o = b->objs[i];

		if (o->kind != OBJ_REFERENCEGRANT ||
		    strcmp(o->meta.namespace, to_ns) != 0)
			continue;
		if (gw_grant_permits(&o->u.referencegrant, from_kind, from_ns,
		    to_group, to_kind, to_name))
			return true;
	}
	return false;
}

static const struct object *
gw_object_find(const struct builder *b, enum obj_kind kind, const char *ns,
    const char *name)
{
	dag_lookup_note((struct builder *)b, 'n', ns, obj_kind_name(kind));
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

/* listeners[].tls.options: the keys cairn honours (docs/decisions.md)
 * over *min and *max. Warnings, located at the listener's tls, when st
 * is not SIZE_MAX; an option not honoured changes nothing. */
static void
gw_tls_options(struct builder *b, const struct gw_listener *l, size_t st,
    const char **min, const char **max)
{
	const struct gw_listener_tls *t = l->tls;
	const char *lo = *min, *hi = *max;

	for (size_t i = 0; t != NULL && i < t->noptions; i++) {
		const char *k = t->options[i].key, *v = t->options[i].value;
		bool is_min = strcmp(k, "cairn.io/min-tls-version") == 0;

		if (!is_min && strcmp(k, "cairn.io/max-tls-version") != 0) {
			if (st != SIZE_MAX)
				dag_status_warning(b, st, "Accepted",
				    "UnsupportedValue", &t->origin,
				    "listener %s: tls.options key \"%s\" "
				    "is not one cairn honours "
				    "(cairn.io/min-tls-version, "
				    "cairn.io/max-tls-version): ignored",
				    l->name, k);
			continue;
		}
		if (strcmp(v, "1.2") != 0 && strcmp(v, "1.3") != 0) {
			if (st != SIZE_MAX)
				dag_status_warning(b, st, "Accepted",
				    "UnsupportedValue", &t->origin,
				    "listener %s: tls.options %s: \"%s\" "
				    "is not a TLS version Envoy serves (1.2, 1.3): "
				    "ignored", l->name, k, v);
			continue;
		}
		*(is_min ? &lo : &hi) = v;
	}
	if (strcmp(lo, hi) > 0) {
		if (st != SIZE_MAX)
			dag_status_warning(b, st, "Accepted", "UnsupportedValue",
			    &t->origin, "listener %s: tls.options make the "
			    "minimum TLS version %s above the maximum %s: "
			    "ignored", l->name, lo, hi);
		return;
	}
	*min = lo;
	*max = hi;
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
	c->minimum_version = b->opts->tls_minimum_version;
	c->maximum_version = b->opts->tls_maximum_version;
	gw_tls_options(b, l, SIZE_MAX, &c->minimum_version,
	    &c->maximum_version);
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

/* --- BackendTLSPolicy ---------------------------------------------------------- */

struct gw_tls_policy {
	const struct object *o;
	size_t st;
	const struct dag_secret *ca; /* NULL: not valid */
	const char *accepted_reason, *rr_reason, *msg; /* when not valid */
	char *const *sans; /* Hostname subjectAltNames */
	size_t nsans;
	char *const *uris; /* URI subjectAltNames */
	size_t nuris;
};

struct gw_tls_policies {
	struct gw_tls_policy *p; /* by namespace/name */
	size_t n;
};

static struct dag_gw_status *
gw_tls_status(struct builder *b, size_t st)
{
	struct dag_object_status *s = &b->dag->statuses[st];

	if (s->gw == NULL)
		s->gw = ARENA_NEW(b->arena, struct dag_gw_status);
	return s->gw;
}

static int
gw_tls_policy_cmp(const void *a, const void *b)
{
	const struct gw_tls_policy *x = a, *y = b;
	int c = strcmp(x->o->meta.namespace, y->o->meta.namespace);

	return c != 0 ? c : strcmp(x->o->meta.name, y->o->meta.name);
}

/* The policy's validation: its CA (a ConfigMap's ca.crt or a Secret of
 * its namespace), its subjectAltNames. */
static void
gw_tls_policy_check(struct builder *b, struct gw_tls_policy *p)
{
	const struct gw_backend_tls_validation *v = &p->o->u.backendtlspolicy.validation;
	char **sans = ARENA_ARRAY(b->arena, char *, v->nsubject_alt_names + 1);
	char **uris = ARENA_ARRAY(b->arena, char *, v->nsubject_alt_names + 1);
	const char *reason = NULL, *msg = NULL;

	if (v->well_known_ca_certificates != NULL) {
		/* docs/decisions.md: cairn ships no trust store into Envoy. */
		p->accepted_reason = "Invalid";
		p->rr_reason = NULL;
		p->msg = "wellKnownCACertificates is not supported: name the CA "
		    "in caCertificateRefs (docs/gateway-api.md)";
		return;
	}
	for (size_t i = 0; i < v->nsubject_alt_names; i++) {
		if (strcmp(v->subject_alt_names[i].type, "URI") == 0)
			uris[p->nuris++] = v->subject_alt_names[i].uri;
		else
			sans[p->nsans++] = v->subject_alt_names[i].hostname;
	}
	p->sans = sans;
	p->uris = uris;
	p->ca = gw_ca(b, p->o, &v->ca_certificate_refs[0], &reason, &msg);
	for (size_t i = 1; p->ca != NULL && i < v->nca_certificate_refs; i++) {
		/* Several: one bundle, as for frontend validation. */
		const struct dag_secret *more = gw_ca(b, p->o,
		    &v->ca_certificate_refs[i], &reason, &msg);
		struct dag_secret *all;
		uint8_t *bytes;

		if (more == NULL) {
			p->ca = NULL;
			break;
		}
		all = ARENA_NEW(b->arena, struct dag_secret);
		all->name = arena_printf(b->arena, "%s+%s", p->ca->name, more->name);
		all->type = DAG_SECRET_VALIDATION;
		all->trusted_ca.len = p->ca->trusted_ca.len + 1 + more->trusted_ca.len;
		bytes = arena_alloc(b->arena, all->trusted_ca.len);
		memcpy(bytes, p->ca->trusted_ca.data, p->ca->trusted_ca.len);
		bytes[p->ca->trusted_ca.len] = '\n';
		memcpy(bytes + p->ca->trusted_ca.len + 1, more->trusted_ca.data,
		    more->trusted_ca.len);
		all->trusted_ca.data = bytes;
		p->ca = all;
	}
	if (p->ca == NULL) {
		p->accepted_reason = "NoValidCACertificate";
		p->rr_reason = strcmp(reason, "InvalidCACertificateKind") == 0 ?
		    "InvalidKind" : reason;
		p->msg = msg;
	}
}

struct gw_tls_policies *
gw_tls_policies_build(struct builder *b)
{
	struct gw_tls_policies *ps = ARENA_NEW(b->arena, struct gw_tls_policies);
	size_t cap = 0;

	for (size_t i = 0; i < b->nkind_objs[OBJ_BACKENDTLSPOLICY]; i++)
		ARENA_PUSH(b->arena, ps->p, ps->n, cap, ((struct gw_tls_policy){
		    .o = b->kind_objs[OBJ_BACKENDTLSPOLICY][i] }));
	if (ps->n > 1)
		qsort(ps->p, ps->n, sizeof ps->p[0], gw_tls_policy_cmp);
	for (size_t i = 0; i < ps->n; i++) {
		struct gw_tls_policy *p = &ps->p[i];

		p->st = dag_status_add(b, p->o);
		gw_tls_policy_check(b, p);
		if (p->ca == NULL)
			dag_status_error(b, p->st, DAG_STATUS_INVALID, "Accepted",
			    p->accepted_reason, &p->o->u.backendtlspolicy.validation.origin,
			    "%s", p->msg);
	}
	return ps;
}

/* Policy p targets Service ns/name; by its port name (sectionName) when
 * *by_section. */
static bool
gw_tls_policy_targets(const struct gw_tls_policy *p, const char *ns,
    const char *name, const char *port_name, bool *by_section)
{
	const struct backendtlspolicy *bp = &p->o->u.backendtlspolicy;

	if (strcmp(p->o->meta.namespace, ns) != 0)
		return false;
	for (size_t i = 0; i < bp->ntarget_refs; i++) {
		const struct gw_object_ref *t = &bp->target_refs[i];

		if ((t->group != NULL && *t->group != '\0') ||
		    (t->kind != NULL && strcmp(t->kind, "Service") != 0) ||
		    strcmp(t->name, name) != 0)
			continue;
		if (t->section_name == NULL) {
			*by_section = false;
			return true;
		}
		if (port_name != NULL && strcmp(t->section_name, port_name) == 0) {
			*by_section = true;
			return true;
		}
	}
	return false;
}

/* The Gateway joins the ancestors of policy p (once) with its conditions. */
static void
gw_tls_policy_ancestor(struct builder *b, const struct gw_tls_policy *p,
    const struct object *gw, const char *accepted_reason)
{
	struct dag_gw_status *gs = gw_tls_status(b, p->st);
	struct dag_gw_parent_status *ps;
	struct dag_gw_condition *c;

	for (size_t i = 0; i < gs->nparents; i++)
		if (strcmp(gs->parents[i].namespace, gw->meta.namespace) == 0 &&
		    strcmp(gs->parents[i].name, gw->meta.name) == 0)
			return;
	ps = ARENA_ARRAY(b->arena, struct dag_gw_parent_status, gs->nparents + 1);
	if (gs->nparents > 0)
		memcpy(ps, gs->parents, gs->nparents * sizeof *ps);
	gs->parents = ps;
	ps = &gs->parents[gs->nparents++];
	memset(ps, 0, sizeof *ps);
	ps->group = GW_GROUP;
	ps->kind = "Gateway";
	ps->namespace = gw->meta.namespace;
	ps->name = gw->meta.name;
	c = ARENA_ARRAY(b->arena, struct dag_gw_condition, 2);
	if (accepted_reason == NULL)
		c[0] = (struct dag_gw_condition){ "Accepted", true, "Accepted",
		    "accepted" };
	else
		c[0] = (struct dag_gw_condition){ "Accepted", false,
		    accepted_reason, p->msg };
	if (p->ca != NULL || p->rr_reason == NULL)
		c[1] = (struct dag_gw_condition){ "ResolvedRefs", true,
		    "ResolvedRefs", "every reference resolved" };
	else
		c[1] = (struct dag_gw_condition){ "ResolvedRefs", false,
		    p->rr_reason, p->msg };
	ps->conditions = c;
	ps->nconditions = 2;
}

/* The Gateway's tls.backend.clientCertificateRef, resolved as its
 * listeners' certificateRefs are; NULL with *reason when it does not
 * resolve, NULL and no reason when there is none. */
static const struct dag_secret *
gw_client_certificate(struct builder *b, const struct object *gw,
    const char **reason, const char **msg)
{
	const struct gw_gateway_tls *t;
	const struct dag_secret *ds;

	*reason = NULL;
	if (gw == NULL || gw->kind != OBJ_GATEWAY)
		return NULL;
	t = gw->u.gateway.tls;
	if (t == NULL || t->backend_client_certificate_ref == NULL)
		return NULL;
	ds = gw_certificate(b, gw, t->backend_client_certificate_ref, reason, msg);
	if (ds == NULL) {
		if (strcmp(*reason, "InvalidCertificateRef") == 0)
			*reason = "InvalidClientCertificateRef";
		/* "certificateRef ...": "tls.backend.clientCertificateRef ..." */
		*msg = arena_printf(b->arena, "tls.backend.clientC%s", *msg + 1);
	}
	return ds;
}

void
gw_gateway_tls_status(struct builder *b, const struct object *gw,
    size_t st, struct dag_gw_status *gs)
{
	const char *reason, *msg = NULL;
	struct dag_gw_condition *c;
	bool ok = gw_client_certificate(b, gw, &reason, &msg) != NULL;

	for (size_t i = 0; i < gw->u.gateway.nlisteners; i++) {
		const char *lo = b->opts->tls_minimum_version;
		const char *hi = b->opts->tls_maximum_version;

		gw_tls_options(b, &gw->u.gateway.listeners[i], st, &lo, &hi);
	}
	if (!ok && reason == NULL)
		return;
	c = ARENA_ARRAY(b->arena, struct dag_gw_condition, gs->nconditions + 1);
	if (gs->nconditions > 0)
		memcpy(c, gs->conditions, gs->nconditions * sizeof *c);
	c[gs->nconditions++] = ok ?
	    (struct dag_gw_condition){ "ResolvedRefs", true, "ResolvedRefs",
		"resolved" } :
	    (struct dag_gw_condition){ "ResolvedRefs", false, reason, msg };
	gs->conditions = c;
	/* Backends then get no client certificate: told where, not silent. */
	if (!ok)
		dag_status_warning(b, st, "ResolvedRefs", reason,
		    &gw->u.gateway.tls->backend_client_certificate_ref->origin,
		    "%s", msg);
}

bool
gw_tls_policy_apply(struct builder *b, struct gw_tls_policies *ps,
    const char *ns, const char *name, int32_t port, bool grpc,
    const struct object *ancestor, struct cluster_options *opts,
    bool *applied, const char **reason, const char **msg)
{
	const struct object *svc;
	const char *port_name = NULL;
	struct gw_tls_policy *best = NULL;
	bool best_section = false;

	*applied = false;
	dag_lookup_note(b, 'n', ns, "BackendTLSPolicy");
	/* The Service is looked up only when some policy could name it: a
	 * search of every Service per backendRef otherwise. */
	if (ps == NULL || ps->n == 0 ||
	    (svc = dag_object_find(b->services, b->nservices, ns, name)) == NULL)
		return true;
	for (size_t i = 0; i < svc->u.service.nports; i++)
		if (svc->u.service.ports[i].port == port)
			port_name = svc->u.service.ports[i].name;
	/* A policy naming the port beats one naming the Service; of equal
	 * ones the first by namespace/name (the oldest: docs/decisions.md);
	 * the others are Conflicted for this Gateway. */
	for (size_t i = 0; i < ps->n; i++) {
		bool section;

		if (!gw_tls_policy_targets(&ps->p[i], ns, name, port_name, &section))
			continue;
		if (best == NULL || (section && !best_section)) {
			if (best != NULL)
				gw_tls_policy_ancestor(b, best, ancestor,
				    "Conflicted");
			best = &ps->p[i];
			best_section = section;
		} else {
			gw_tls_policy_ancestor(b, &ps->p[i], ancestor,
			    "Conflicted");
		}
	}
	if (best == NULL)
		return true;
	gw_tls_policy_ancestor(b, best, ancestor, best->ca ? NULL :
	    best->accepted_reason);
	if (best->ca == NULL) {
		*reason = "InvalidBackendTLSPolicy";
		*msg = arena_printf(b->arena, "backendRef Service %s/%s: "
		    "BackendTLSPolicy %s/%s is not valid: %s", ns, name,
		    best->o->meta.namespace, best->o->meta.name, best->msg);
		return false;
	}
	*applied = true;
	opts->protocol = grpc ? "h2" : "tls";
	opts->upstream_ca = best->ca;
	opts->upstream_subject_name = best->o->u.backendtlspolicy.validation.hostname;
	/* subjectAltNames, when given, replace the hostname in verification
	 * (it stays the SNI). */
	opts->upstream_subject_names = best->sans;
	opts->nupstream_subject_names = best->nsans;
	opts->upstream_subject_uris = best->uris;
	opts->nupstream_subject_uris = best->nuris;
	{
		const char *r, *m;

		opts->upstream_client_cert = gw_client_certificate(b, ancestor,
		    &r, &m);
	}
	return true;
}
