/* HTTPProxy -> virtual hosts with Contour's semantics: root proxies claim
 * FQDNs (SPEC §6a, first seen wins), each root gets its virtual host with
 * the policies on it, and its routes come from its include tree
 * (httpproxy_routes.c). Conditions, policies and a route's services are
 * in httpproxy_conditions.c, httpproxy_policies.c, httpproxy_services.c. */
#include "dag/httpproxy_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dag/owners.h"
#include "util/duration.h"
#include "util/strbuf.h"

static bool
root_allowed(const struct builder *b, const char *ns)
{
	if (b->opts->nroot_namespaces == 0)
		return true;
	for (size_t i = 0; i < b->opts->nroot_namespaces; i++)
		if (strcmp(b->opts->root_namespaces[i], ns) == 0)
			return true;
	return false;
}

/* A root HTTPProxy: its virtual host, the policies on it and the routes
 * of its include tree. */
static void
root_build(struct hp_state *hs, size_t pi)
{
	struct builder *b = hs->b;
	const struct object *proxy = b->proxies[pi];
	const struct httpproxy *hp = &proxy->u.httpproxy;
	const struct hp_virtualhost *vh = hp->virtualhost;
	size_t st = b->proxy_status[pi];
	struct route_list routes = { 0 };
	struct cond_list none = { 0 };
	struct builder_vhost *bv;
	struct dag_cors *cors;
	struct dag_local_ratelimit *rl;
	const struct dag_global_ratelimit *grl = NULL;
	struct dag_tls *tls;
	struct dag_vhost jwt = { 0 };
	const char *err;
	const struct origin *at;

	if (hp->nroutes == 0 && hp->nincludes == 0 && hp->tcpproxy == NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "SpecError", "NothingDefined",
		    NULL, "HTTPProxy.Spec must have at least one Route, Include, or "
		    "a TCPProxy");
		return;
	}
	if (!jwt_permitted(b, st, proxy)) /* jwt.c */
		return;
	if (vh->nip_allow > 0 && vh->nip_deny > 0) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "IPFilterError",
		    "IncompatibleIPAddressFilters", &vh->origin,
		    "Spec.VirtualHost.IPAllowFilterPolicy and "
		    "Spec.VirtualHost.IPDenyFilterPolicy cannot both be defined.");
		return;
	}
	if (!vhost_tls_root_build(b, pi, st, &tls)) /* vhost_tls.c */
		return;
	if (!extauth_root_build(b, st, proxy, tls)) /* extension.c */
		return;
	/* The :authority regex every route of a "*." host carries. */
	if (strncmp(vh->fqdn, "*.", 2) == 0 && (err = policy_regex_check(b,
	    policy_wildcard_regex(b, vh->fqdn))) != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "VirtualHostError",
		    "WildcardRegexNotValid", &vh->origin, "Spec.VirtualHost.Fqdn "
		    "\"%s\": the regular expression that matches its one label is "
		    "refused by RE2: %s", vh->fqdn, err);
		return;
	}
	if (!jwt_providers_build(b, st, proxy, &jwt)) /* jwt.c */
		return;
	arena_reset(&b->scratch);
	proxy_compute_routes(hs, vh->fqdn, pi, &none, hs->visited, 0, &routes);
	b->jwt_default = NULL;
	if (tls != NULL && hp->tcpproxy == NULL &&
	    !jwt_routes_check(b, st, &jwt, routes.items, routes.n))
		return;

	at = vh->cors != NULL ? &vh->cors->origin : NULL;
	cors = proxy_cors_policy(b, vh->cors, &err, &at);
	if (err != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "CORSError",
		    "PolicyDidNotParse", at,
		    "Spec.VirtualHost.CORSPolicy: %s", err);
		return;
	}
	rl = proxy_local_ratelimit(b, vh->ratelimit, &err);
	if (err == NULL) /* ratelimit.c */
		ratelimit_vhost(b, vh->ratelimit ? vh->ratelimit->global : NULL,
		    &grl, &err);
	if (err != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "VirtualHostError",
		    "RateLimitPolicyNotValid", &vh->ratelimit->origin,
		    "Spec.VirtualHost.RateLimitPolicy is invalid: %s", err);
		return;
	}
	jwt_clusters_build(b, proxy, &jwt); /* jwt.c */
	bv = dag_vhost_get(b, vh->fqdn, proxy);
	bv->vh.cors = cors;
	bv->vh.ratelimit = rl;
	bv->vh.global_ratelimit = grl;
	bv->vh.ip_filter = proxy_ip_filter(b, vh->ip_allow, vh->nip_allow, vh->ip_deny,
	    vh->nip_deny);
	bv->vh.tls = tls;
	bv->vh.jwt_providers = jwt.jwt_providers;
	bv->vh.njwt_providers = jwt.njwt_providers;
	dag_vhost_reserve_routes(b, bv, routes.n);
	for (size_t i = 0; i < routes.n; i++) {
		/* A TLS host's routes redirect port 80 to https. */
		routes.items[i].https_upgrade = tls && !routes.items[i].permit_insecure;
		extauth_route_finish(b, vh->authorization, &routes.items[i]);
		dag_vhost_add_route(b, bv, &routes.items[i]);
	}
}

/* policy.fqdn-owners: may a root in ns claim fqdn? Empty = anyone. */
bool
dag_fqdn_allowed(const struct builder *b, const char *ns, const char *fqdn,
    const struct config_fqdn_owner **entry)
{
	*entry = NULL;
	if (b->opts->nfqdn_owners == 0)
		return true;
	for (size_t i = 0; i < b->opts->nfqdn_owners; i++) {
		const struct config_fqdn_owner *o = &b->opts->fqdn_owners[i];

		if (strcmp(o->namespace, ns) != 0)
			continue;
		*entry = o;
		for (size_t k = 0; k < o->npatterns; k++)
			if (fqdn_pattern_allows(o->patterns[k], fqdn))
				return true;
	}
	return false;
}

static void
fqdn_not_allowed(struct builder *b, size_t pi,
    const struct config_fqdn_owner *entry)
{
	const struct object *p = b->proxies[pi];
	const struct hp_virtualhost *vh = p->u.httpproxy.virtualhost;
	struct strbuf pats = STRBUF_INIT;

	if (entry == NULL || entry->npatterns == 0) {
		dag_status_error(b, b->proxy_status[pi], DAG_STATUS_INVALID,
		    "VirtualHostError", "FQDNNotAllowedInNamespace", &vh->origin,
		    "fqdn \"%s\" cannot be claimed from namespace \"%s\": "
		    "policy.fqdn-owners gives this namespace no FQDN patterns",
		    vh->fqdn, p->meta.namespace);
		return;
	}
	for (size_t k = 0; k < entry->npatterns; k++)
		strbuf_printf(&pats, "%s\"%s\"", k ? ", " : "", entry->patterns[k]);
	dag_status_error(b, b->proxy_status[pi], DAG_STATUS_INVALID,
	    "VirtualHostError", "FQDNNotAllowedInNamespace", &vh->origin,
	    "fqdn \"%s\" cannot be claimed from namespace \"%s\": "
	    "policy.fqdn-owners allows it only %s", vh->fqdn, p->meta.namespace,
	    pats.buf);
	strbuf_free(&pats);
}

/* Who of two claims on one FQDN was seen first (SPEC §6a): the smaller
 * seq of the ledger; claims seen together (or with no ledger) in path
 * order, then by name. A claim is a root HTTPProxy's virtualhost.fqdn or
 * an Ingress rule's host. */
struct claim_key {
	uint64_t seq;
	const struct object *o;
	const struct origin *where;
	size_t pi; /* proxy index; (size_t)-1 for an Ingress */
};

static int
claim_key_cmp(const void *x, const void *y)
{
	const struct claim_key *a = x, *b = y;
	struct fqdn_claim_ref ra = { .ns = a->o->meta.namespace,
		.name = a->o->meta.name, .file = a->where->file,
		.line = a->where->line };
	struct fqdn_claim_ref rb = { .ns = b->o->meta.namespace,
		.name = b->o->meta.name, .file = b->where->file,
		.line = b->where->line };
	int c;

	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	if ((c = fqdn_claim_ref_cmp(&ra, &rb)) != 0)
		return c;
	return (a->pi == (size_t)-1) - (b->pi == (size_t)-1);
}

struct fqdn_claims {
	struct claim_key *claims;
	size_t n, cap;
	bool sorted;
	const struct claim_key *first; /* the claim seen first */
	size_t winner; /* proxy index, or (size_t)-1: an Ingress owns it */
};

/* Order fc's claims and decide: the namespace of the claim seen first
 * owns the FQDN; its first root HTTPProxy serves it. When an Ingress of
 * another namespace was first, no root does (the Ingress keeps it). */
static void
claims_decide(struct builder *b, const char *fqdn, struct fqdn_claims *fc)
{
	const char *owner_ns;

	for (size_t k = 0; k < fc->n; k++) {
		const struct object *o = fc->claims[k].o;

		if (fc->claims[k].pi != (size_t)-1) {
			fc->claims[k].seq = fqdn_ledger_seq(b->owners, fqdn,
			    o->meta.namespace, o->meta.name);
		} else {
			char *name = arena_printf(&b->scratch, "%s%s",
			    FQDN_INGRESS_PREFIX, o->meta.name);

			fc->claims[k].seq = fqdn_ledger_seq(b->owners, fqdn,
			    o->meta.namespace, name);
		}
	}
	qsort(fc->claims, fc->n, sizeof fc->claims[0], claim_key_cmp);
	fc->first = &fc->claims[0];
	owner_ns = fc->first->o->meta.namespace;
	fc->winner = (size_t)-1;
	for (size_t k = 0; k < fc->n && fc->winner == (size_t)-1; k++)
		if (fc->claims[k].pi != (size_t)-1 &&
		    strcmp(fc->claims[k].o->meta.namespace, owner_ns) == 0)
			fc->winner = fc->claims[k].pi;
	fc->sorted = true;
}

/* Root proxies claim FQDNs. Of two roots claiming one FQDN the one seen
 * first keeps it and the newcomer is DuplicateVhost (SPEC §6a): a file
 * added in one namespace cannot take a host another one serves. The same
 * holds between a root and the Ingresses of other namespaces; Ingresses
 * share hosts with each other (ingress.c). */
void
proxies_build(struct builder *b)
{
	struct hp_state hs = { .b = b };
	struct strmap owners = { .own = &b->tables };
	bool *claimant;

	/* What only this build reads goes to its tables (build_internal.h). */
	hs.reached = ARENA_ARRAY(&b->tables, bool, b->nproxies + 1);
	hs.visited = ARENA_ARRAY(&b->tables, const struct object *, b->nproxies + 1);
	b->proxy_ignored = ARENA_ARRAY(&b->tables, bool, b->nproxies + 1);
	claimant = ARENA_ARRAY(&b->tables, bool, b->nproxies + 1);
	for (size_t i = 0; i < b->nproxies; i++) {
		const char *class;

		if (!ingress_class_accepted(b->proxies[i],
		    b->proxies[i]->u.httpproxy.ingress_class_name, &class)) {
			b->proxy_ignored[i] = true;
			dag_status_warning(b, b->proxy_status[i], "Valid", "IngressClassMismatch",
			    NULL, "ignored: ingress class \"%s\" is not served by cairn "
			    "(it serves objects without a class, \"contour\" and "
			    "\"cairn\")", class);
		}
	}
	/* Collect the claims on each FQDN first. A root its namespace may
	 * not hold, or whose FQDN policy.fqdn-owners keeps from its
	 * namespace, claims nothing: it cannot block the rightful owner. */
	for (size_t i = 0; i < b->nproxies; i++) {
		const struct object *p = b->proxies[i];
		const struct hp_virtualhost *vh = p->u.httpproxy.virtualhost;
		const struct config_fqdn_owner *entry;
		struct fqdn_claims *fc;

		if (vh == NULL || b->proxy_ignored[i] ||
		    dag_object_is_shadowed(b->proxies, i))
			continue;
		if (!root_allowed(b, p->meta.namespace)) {
			dag_status_error(b, b->proxy_status[i], DAG_STATUS_INVALID,
			    "RootNamespaceError", "RootProxyNotAllowedInNamespace",
			    &vh->origin, "root HTTPProxy cannot be defined in this "
			    "namespace");
			continue;
		}
		if (!dag_fqdn_allowed(b, p->meta.namespace, vh->fqdn, &entry)) {
			fqdn_not_allowed(b, i, entry);
			continue;
		}
		if ((fc = dag_strmap_get(&owners, vh->fqdn)) == NULL) {
			fc = ARENA_NEW(&b->tables, struct fqdn_claims);
			dag_strmap_put(b->arena, &owners, vh->fqdn, fc);
		}
		ARENA_PUSH(&b->tables, fc->claims, fc->n, fc->cap,
		    ((struct claim_key){ .o = p, .where = &vh->origin, .pi = i }));
		claimant[i] = true;
	}
	/* Ingress rules naming a host a root claims (Ingresses are built
	 * after the roots, ingress.c). */
	for (size_t i = 0; i < b->ningresses && owners.n > 0; i++) {
		const struct object *ing = b->ingresses[i];
		const char *class;

		if (dag_object_is_shadowed(b->ingresses, i) ||
		    !ingress_class_accepted(ing, ing->u.ingress.ingress_class_name,
		    &class))
			continue;
		for (size_t r = 0; r < ing->u.ingress.nrules; r++) {
			const struct ing_rule *rule = &ing->u.ingress.rules[r];
			const struct config_fqdn_owner *entry;
			struct fqdn_claims *fc;
			bool seen = false;

			if (rule->host == NULL ||
			    (fc = dag_strmap_get(&owners, rule->host)) == NULL ||
			    !dag_fqdn_allowed(b, ing->meta.namespace, rule->host, &entry))
				continue;
			for (size_t k = 0; k < fc->n && !seen; k++)
				seen = fc->claims[k].o == ing;
			if (!seen)
				ARENA_PUSH(&b->tables, fc->claims, fc->n, fc->cap,
				    ((struct claim_key){ .o = ing,
				    .where = &rule->origin, .pi = (size_t)-1 }));
		}
	}
	for (size_t i = 0; i < b->nproxies; i++) {
		struct object *p = b->proxies[i];
		const struct hp_virtualhost *vh = p->u.httpproxy.virtualhost;
		const struct object *owner;
		struct fqdn_claims *fc;

		if (!claimant[i])
			continue;
		fc = dag_strmap_get(&owners, vh->fqdn);
		if (fc->n == 1) {
			root_build(&hs, i);
			continue;
		}
		if (!fc->sorted)
			claims_decide(b, vh->fqdn, fc);
		if (fc->winner == i) {
			root_build(&hs, i);
			continue;
		}
		if (fc->winner == (size_t)-1) {
			owner = fc->first->o;
			dag_status_error(b, b->proxy_status[i], DAG_STATUS_INVALID,
			    "VirtualHostError", "DuplicateVhost", &vh->origin,
			    "fqdn \"%s\" is already served by Ingress %s/%s (%s:%d), "
			    "which claimed it first", vh->fqdn, owner->meta.namespace,
			    owner->meta.name, fc->first->where->file,
			    fc->first->where->line);
			continue;
		}
		owner = b->proxies[fc->winner];
		dag_status_error(b, b->proxy_status[i], DAG_STATUS_INVALID,
		    "VirtualHostError", "DuplicateVhost", &vh->origin,
		    "fqdn \"%s\" is already served by HTTPProxy %s/%s (%s:%d), "
		    "which claimed it first", vh->fqdn,
		    owner->meta.namespace, owner->meta.name,
		    owner->u.httpproxy.virtualhost->origin.file,
		    owner->u.httpproxy.virtualhost->origin.line);
	}
	for (size_t i = 0; i < b->nproxies; i++) {
		if (b->proxies[i]->u.httpproxy.virtualhost != NULL || hs.reached[i] ||
		    (b->tcpproxy_reached && b->tcpproxy_reached[i]) ||
		    b->proxy_ignored[i] || dag_object_is_shadowed(b->proxies, i))
			continue;
		dag_status_error(b, b->proxy_status[i], DAG_STATUS_ORPHANED, "Valid",
		    "Orphaned", NULL,
		    "this HTTPProxy is not part of a delegation chain from a root "
		    "HTTPProxy");
	}
}
