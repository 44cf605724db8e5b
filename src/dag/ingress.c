/* Ingress (networking.k8s.io/v1) -> virtual hosts and routes, as
 * Contour's ingress processor does it: the default backend first, then
 * the rules; Prefix paths match whole segments; Contour's annotations for
 * retries, timeouts, websockets and HTTP/HTTPS. Ingress routes share
 * virtual hosts with each other (and with an HTTPProxy of the same FQDN
 * in the same namespace), as Ingress objects always have. */
#include "dag/build_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/duration.h"

/* The Ingress-wide settings from its annotations. */
struct ing_settings {
	bool force_ssl, allow_http;
	const char *websocket_routes; /* comma-separated paths */
	struct dag_retry_policy *retry;
	int64_t timeout_ms;
	const char *tls_minimum_version;
};

static bool
is_timeout(const char *s)
{
	int64_t ms = policy_timeout_ms(s);

	return ms != DAG_TIMEOUT_DEFAULT || s == NULL || *s == '\0';
}

static void
ingress_settings(struct builder *b, size_t st, const struct object *ing,
    struct ing_settings *out)
{
	const char *v;

	memset(out, 0, sizeof *out);
	out->force_ssl = (v = dag_annotation_get(ing,
	    "ingress.kubernetes.io/force-ssl-redirect")) && strcmp(v, "true") == 0;
	out->allow_http = !((v = dag_annotation_get(ing,
	    "kubernetes.io/ingress.allow-http")) && strcmp(v, "false") == 0);
	out->websocket_routes = dag_annotation_get(ing, "projectcontour.io/websocket-routes");
	out->tls_minimum_version = dag_annotation_get(ing,
	    "projectcontour.io/tls-minimum-protocol-version");

	v = dag_annotation_get(ing, "projectcontour.io/response-timeout");
	if (v == NULL) /* the old name; it has always meant the response */
		v = dag_annotation_get(ing, "projectcontour.io/request-timeout");
	out->timeout_ms = policy_timeout_ms(v);
	if (!is_timeout(v))
		dag_status_warning(b, st, "IngressError", "InvalidAnnotation", NULL,
		    "annotation projectcontour.io/response-timeout: \"%s\" is not a "
		    "duration or \"infinity\"; Envoy's default applies", v);

	if ((v = dag_annotation_get(ing, "projectcontour.io/retry-on")) != NULL && *v) {
		const char *n = dag_annotation_get(ing, "projectcontour.io/num-retries");
		const char *t = dag_annotation_get(ing, "projectcontour.io/per-try-timeout");
		struct dag_retry_policy *rp = ARENA_NEW(b->arena, struct dag_retry_policy);
		uint32_t num = 0;

		rp->retry_on = v;
		/* Contour's annotation.NumRetries: -1 means no retries, 0 or
		 * missing Envoy's default of 1. */
		if (n != NULL && strcmp(n, "-1") == 0)
			rp->num_retries = 0;
		else {
			if (n != NULL && !dag_parse_u32(n, &num))
				dag_status_warning(b, st, "IngressError",
				    "InvalidAnnotation", NULL, "annotation "
				    "projectcontour.io/num-retries: \"%s\" is not a "
				    "number or -1; Envoy's default (1) applies", n);
			rp->num_retries = num > 0 ? num : 1;
		}
		rp->per_try_timeout_ms = DAG_TIMEOUT_DEFAULT;
		if (t != NULL && *t) {
			const char *why;
			int64_t ms;

			if (duration_parse_ms(t, &ms, &why) == 0)
				rp->per_try_timeout_ms = ms;
			else
				dag_status_warning(b, st, "IngressError", "InvalidAnnotation",
				    NULL, "annotation projectcontour.io/per-try-timeout: "
				    "\"%s\" is not a duration; Envoy's default applies", t);
		}
		out->retry = rp;
	}
}

static bool
websocket_listed(const char *list, const char *path)
{
	const char *p = list;

	while (p != NULL && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0 && strlen(path) == len && strncmp(p, path, len) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

/* The match of one path, as Contour builds it. */
static const char *
path_match(struct builder *b, const struct ing_path *ip, struct dag_route *r)
{
	const char *path = ip->path && *ip->path ? ip->path : "/";
	const char *type = ip->path_type ? ip->path_type : "ImplementationSpecific";

	if (strcmp(type, "Prefix") == 0) {
		char *trimmed = arena_strdup(b->arena, path);
		size_t len = strlen(trimmed);

		r->path_kind = DAG_PATH_PREFIX;
		/* "/" matches everything; other prefixes match whole
		 * segments ("/foo" matches "/foo" and "/foo/x", not
		 * "/foobar"). */
		if (strcmp(path, "/") != 0) {
			while (len > 1 && trimmed[len - 1] == '/')
				trimmed[--len] = '\0';
			r->segment_prefix = true;
		}
		r->path = trimmed;
	} else if (strcmp(type, "Exact") == 0) {
		r->path_kind = DAG_PATH_EXACT;
		r->path = path;
	} else if (strpbrk(path, "^+*[]%") != NULL) {
		/* ImplementationSpecific: what looks like a regex is one,
		 * sent as "^" and the path (translate_route.c). */
		const char *why = policy_regex_check(b,
		    arena_printf(b->arena, "^%s", path));

		if (why != NULL)
			return why;
		r->path_kind = DAG_PATH_REGEX;
		r->path = path;
	} else {
		r->path_kind = DAG_PATH_PREFIX;
		r->path = path;
	}
	return NULL;
}

/* Is host one of the Ingress's spec.tls hosts (with a secret)? */
static bool
ingress_tls_host(const struct ingress *spec, const char *host)
{
	for (size_t t = 0; t < spec->ntls; t++)
		for (size_t h = 0; spec->tls[t].secret_name != NULL &&
		    h < spec->tls[t].nhosts; h++)
			if (strcmp(spec->tls[t].hosts[h], host) == 0)
				return true;
	return false;
}

static void
ingress_path(struct builder *b, size_t st, const struct object *ing,
    const struct ing_settings *set, const char *host,
    const struct ing_path *ip)
{
	const struct ing_backend *be = &ip->backend;
	struct dag_route r = { 0 };
	struct dag_weighted_cluster wc = { 0 };
	struct builder_vhost *bv;
	const char *why;
	size_t hcap = 0;

	if ((why = path_match(b, ip, &r)) != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "PathMatchConditionsNotValid", &ip->origin,
		    "path \"%s\": invalid regular expression: %s", ip->path, why);
		return;
	}
	/* The :authority regex every route of a "*." host carries. */
	if (strncmp(host, "*.", 2) == 0 && (why = policy_regex_check(b,
	    policy_wildcard_regex(b, host))) != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "WildcardRegexNotValid", &ip->origin, "host \"%s\": the regular "
		    "expression that matches its one label is refused by RE2: %s",
		    host, why);
		return;
	}
	wc.cluster = service_cluster(b, ing->meta.namespace, be->service_name,
	    be->port_number, be->port_name, NULL, &why);
	if (wc.cluster == NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
		    "ServiceUnresolvedReference", &be->origin,
		    "unresolved service reference: %s", why);
		return;
	}
	/* Contour creates port 80 routes only for these; a TLS host still
	 * gets the route on ingress_https. */
	if (!set->force_ssl && !set->allow_http) {
		if (!ingress_tls_host(&ing->u.ingress, host))
			return;
		r.secure_only = true;
	}
	wc.weight = 1;
	r.clusters = ARENA_NEW(b->arena, struct dag_weighted_cluster);
	r.clusters[0] = wc;
	r.nclusters = 1;
	r.action = set->force_ssl ? DAG_ACTION_HTTPS_REDIRECT : DAG_ACTION_FORWARD;
	r.timeout_ms = set->timeout_ms;
	r.idle_timeout_ms = DAG_TIMEOUT_DEFAULT;
	DAG_ROUTE_RARE_PUT(b->arena, &r, retry, set->retry);
	r.websocket = websocket_listed(set->websocket_routes,
	    ip->path && *ip->path ? ip->path : "/");
	if (strncmp(host, "*.", 2) == 0)
		policy_wildcard_header(b, &r, host, &hcap);
	bv = dag_vhost_get(b, host, ing);
	dag_vhost_add_route(b, bv, &r);
}

/* An HTTPProxy root holds its FQDN for its own namespace (what
 * root-namespaces and includes delegate): an Ingress of another namespace
 * may add neither routes nor TLS to it. Ingresses of several namespaces
 * still share a host with each other, as Contour lets ACME solvers do.
 * Proxies are built first, so their vhosts exist by now. */
static bool
ingress_host_foreign(struct builder *b, size_t st, const struct object *ing,
    const char *host, const struct origin *where)
{
	const struct builder_vhost *bv = dag_strmap_get(&b->vhost_index, host);

	if (bv == NULL || bv->vh.owner_kind != OBJ_HTTPPROXY ||
	    strcmp(bv->vh.proxy_namespace, ing->meta.namespace) == 0)
		return false;
	dag_status_warning(b, st, "VirtualHostError", "HostOwnedByAnotherNamespace",
	    where, "host \"%s\" belongs to HTTPProxy %s/%s; an Ingress of namespace "
	    "\"%s\" adds nothing to it", host, bv->vh.proxy_namespace,
	    bv->vh.proxy_name, ing->meta.namespace);
	return true;
}

/* policy.fqdn-owners holds for Ingress hosts as for root HTTPProxies:
 * a rule for a host its namespace may not claim adds nothing. */
static bool
ingress_host_allowed(struct builder *b, size_t st, const struct object *ing,
    const char *host, const struct origin *where)
{
	const struct config_fqdn_owner *entry;

	if (dag_fqdn_allowed(b, ing->meta.namespace, host, &entry))
		return true;
	dag_status_warning(b, st, "VirtualHostError", "FQDNNotAllowedInNamespace",
	    where, "host \"%s\" cannot be claimed from namespace \"%s\" "
	    "(policy.fqdn-owners): this rule adds nothing", host,
	    ing->meta.namespace);
	return false;
}

/* Did this Ingress's rules add a plain "/" prefix route (the default
 * backend's match) to the "*" host, after its first `before` routes? */
static bool
star_root_added(struct builder *b, size_t before)
{
	const struct builder_vhost *bv = dag_strmap_get(&b->vhost_index, "*");

	for (size_t i = before; bv != NULL && i < bv->vh.nroutes; i++) {
		const struct dag_route *r = &bv->vh.routes[i];

		if (r->path_kind == DAG_PATH_PREFIX && strcmp(r->path, "/") == 0 &&
		    !r->segment_prefix && r->nheaders == 0 && r->nqueries == 0)
			return true;
	}
	return false;
}

static void
ingress_build(struct builder *b, size_t i)
{
	const struct object *ing = b->ingresses[i];
	const struct ingress *spec = &ing->u.ingress;
	size_t st = b->ingress_status[i];
	struct ing_settings set;
	const struct builder_vhost *star;
	size_t star_before;
	const char *cert_ns = dag_annotation_get(ing,
	    "projectcontour.io/tls-cert-namespace");

	ingress_settings(b, st, ing, &set);
	star = dag_strmap_get(&b->vhost_index, "*");
	star_before = star != NULL ? star->vh.nroutes : 0;
	for (size_t r = 0; r < spec->nrules; r++) {
		const struct ing_rule *rule = &spec->rules[r];
		const char *host = rule->host && *rule->host ? rule->host : "*";

		if (ingress_host_foreign(b, st, ing, host, &rule->origin))
			continue;
		if (rule->host && *rule->host && !ingress_host_allowed(b, st, ing,
		    host, &rule->origin))
			continue;
		for (size_t p = 0; p < rule->npaths; p++)
			ingress_path(b, st, ing, &set, host, &rule->paths[p]);
	}
	/* Contour prepends the default backend to the rules and a later
	 * route with the same match replaces an earlier one: a rule's "/"
	 * on the "*" host wins over the default backend. */
	if (spec->default_backend != NULL &&
	    !star_root_added(b, star_before)) {
		struct ing_path ip = { .backend = *spec->default_backend,
			.origin = spec->default_backend->origin };

		ingress_path(b, st, ing, &set, "*", &ip);
	}
	/* The TLS listener: the secret is resolved by vhost_tls.c. */
	for (size_t t = 0; t < spec->ntls; t++) {
		const struct ing_tls *tls = &spec->tls[t];

		const char *ref = tls->secret_name;

		if (ref == NULL)
			continue;
		/* Contour's projectcontour.io/tls-cert-namespace: the
		 * namespace of a secretName without one (a
		 * TLSCertificateDelegation there must permit it). */
		if (strchr(ref, '/') == NULL && cert_ns != NULL && *cert_ns)
			ref = arena_printf(b->arena, "%s/%s", cert_ns, ref);
		for (size_t h = 0; h < tls->nhosts; h++) {
			struct builder_vhost *bv;
			const char *slash = strchr(ref, '/');

			if (ingress_host_foreign(b, st, ing, tls->hosts[h], &tls->origin) ||
			    !ingress_host_allowed(b, st, ing, tls->hosts[h],
			    &tls->origin))
				continue;
			bv = dag_vhost_get(b, tls->hosts[h], ing);

			bv->vh.tls_secret_namespace = slash ?
			    arena_strndup(b->arena, ref, (size_t)(slash - ref)) :
			    ing->meta.namespace;
			bv->vh.tls_secret_name = slash ? slash + 1 : ref;
			bv->vh.tls_minimum_version = set.tls_minimum_version;
			vhost_tls_ingress_host(b, st, ing, tls->hosts[h], ref,
			    &tls->origin);
		}
	}
}

void
ingresses_build(struct builder *b)
{
	b->ingress_ignored = ARENA_ARRAY(&b->tables, bool, b->ningresses + 1);
	for (size_t i = 0; i < b->ningresses; i++) {
		const char *class;

		if (dag_object_is_shadowed(b->ingresses, i))
			continue;
		if (!ingress_class_accepted(b->ingresses[i],
		    b->ingresses[i]->u.ingress.ingress_class_name, &class)) {
			b->ingress_ignored[i] = true;
			dag_status_warning(b, b->ingress_status[i], "Valid",
			    "IngressClassMismatch", NULL, "ignored: ingress class "
			    "\"%s\" is not served by cairn (it serves objects without "
			    "a class, \"contour\" and \"cairn\")", class);
			continue;
		}
		ingress_build(b, i);
	}
}
