/* HTTPProxy routes and includes: Contour's computeRoutes walks a root's
 * include tree, each route is built under the conditions of its chain
 * (path rewrites, timeouts, policies, services), and an include that
 * cannot be followed gets a 502 route for the requests it would have
 * taken. */
#include "dag/httpproxy_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/duration.h"
#include "util/strbuf.h"

/* Contour's addStatusBadGatewayRoute: the requests an include that cannot
 * be followed would have received get 502 rather than falling through. */
static void
bad_gateway_route(struct builder *b, const struct cond_list *cl,
    const char *fqdn, struct route_list *out)
{
	struct dag_route r = { 0 };
	size_t hcap = 0;

	if (cl->n == 0)
		return;
	proxy_merge_path(b, cl, &r);
	proxy_merge_headers(b, cl, fqdn, &r, &hcap);
	proxy_merge_queries(b, cl, &r);
	r.action = DAG_ACTION_DIRECT;
	r.direct_status = 502;
	r.timeout_ms = r.idle_timeout_ms = DAG_TIMEOUT_DEFAULT;
	if (strncmp(fqdn, "*.", 2) == 0)
		policy_wildcard_header(b, &r, fqdn, &hcap);
	ARENA_PUSH(&b->scratch, out->items, out->n, out->cap, r);
}

/* Contour's expandPrefixMatches: a prefix replacement on "/foo" also gets
 * a "/foo/" route so that "/foo/x" -> "/bar/x" and "/foosball" ->
 * "/barsball" both come out right. Applied to routes[start..). */
static void
expand_prefix_rewrites(struct builder *b, struct route_list *rl, size_t start)
{
	size_t end = rl->n;

	for (size_t i = start; i < end; i++) {
		struct dag_route *r = &rl->items[i];
		char *trimmed, *rewrite;
		size_t len, group = 0;
		struct dag_route extra;

		if (r->path_kind != DAG_PATH_PREFIX ||
		    dag_route_rare(r)->prefix_rewrite == NULL ||
		    strcmp(r->path, "/") == 0)
			continue;
		trimmed = arena_strdup(b->arena, r->path);
		for (len = strlen(trimmed); len > 1 && trimmed[len - 1] == '/'; len--)
			trimmed[len - 1] = '\0';
		for (size_t j = start; j < end; j++) {
			const struct dag_route *o = &rl->items[j];
			size_t ol = strlen(o->path);

			if (o->path_kind != DAG_PATH_PREFIX)
				continue;
			while (ol > 1 && o->path[ol - 1] == '/')
				ol--;
			if (ol == len && strncmp(o->path, trimmed, len) == 0)
				group++;
		}
		if (group != 1)
			continue;
		rewrite = arena_strdup(b->arena, dag_route_rare(r)->prefix_rewrite);
		for (size_t l = strlen(rewrite); l > 0 && rewrite[l - 1] == '/'; l--)
			rewrite[l - 1] = '\0';
		extra = *r;
		extra.path = arena_printf(b->arena, "%s/", trimmed);
		DAG_ROUTE_RARE_PUT(b->arena, &extra, prefix_rewrite,
		    arena_printf(b->arena, "%s/", rewrite));
		r->path = trimmed;
		DAG_ROUTE_RARE_PUT(b->arena, r, prefix_rewrite,
		    *rewrite ? rewrite : "/");
		/* May move rl->items: r is not used after this. */
		ARENA_PUSH(&b->scratch, rl->items, rl->n, rl->cap, extra);
	}
}

/* Contour's prefix replacement: the one for exactly this route's prefix,
 * else the default (empty prefix) one. */
static bool
path_rewrite(struct builder *b, size_t st, const struct hp_route *hr,
    struct dag_route *r)
{
	const struct hp_path_rewrite *pr = hp_route_rare(hr)->path_rewrite;
	const char *chosen = NULL;

	if (pr == NULL || pr->nreplace_prefix == 0)
		return true;
	if (r->path_kind != DAG_PATH_PREFIX) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "PrefixReplaceError",
		    "MustHavePrefix", &pr->origin,
		    "cannot specify prefix replacements without a prefix condition");
		return false;
	}
	for (size_t i = 0; i < pr->nreplace_prefix; i++) {
		const char *p = pr->replace_prefix[i].prefix ?
		    pr->replace_prefix[i].prefix : "";

		for (size_t j = 0; j < i; j++) {
			const char *q = pr->replace_prefix[j].prefix ?
			    pr->replace_prefix[j].prefix : "";

			if (strcmp(p, q) != 0)
				continue;
			if (*p != '\0')
				dag_status_error(b, st, DAG_STATUS_INVALID,
				    "PrefixReplaceError", "DuplicateReplacement",
				    &pr->replace_prefix[i].origin,
				    "duplicate replacement prefix '%s'", p);
			else
				dag_status_error(b, st, DAG_STATUS_INVALID,
				    "PrefixReplaceError", "AmbiguousReplacement",
				    &pr->replace_prefix[i].origin,
				    "ambiguous prefix replacement");
			return false;
		}
	}
	for (size_t i = 0; i < pr->nreplace_prefix && chosen == NULL; i++)
		if (pr->replace_prefix[i].prefix && *pr->replace_prefix[i].prefix &&
		    strcmp(pr->replace_prefix[i].prefix, r->path) == 0)
			chosen = pr->replace_prefix[i].replacement;
	for (size_t i = 0; i < pr->nreplace_prefix && chosen == NULL; i++)
		if (pr->replace_prefix[i].prefix == NULL ||
		    *pr->replace_prefix[i].prefix == '\0')
			chosen = pr->replace_prefix[i].replacement;
	DAG_ROUTE_RARE_PUT(b->arena, r, prefix_rewrite, chosen);
	return true;
}

/* The path regex of a route as Envoy gets it ("^" and the merged path,
 * see translate_route.c), checked with RE2; *at is the route's own `regex:`
 * condition (includes have none). */
static const char *
route_regex_problem(struct builder *b, const struct hp_route *hr,
    const char *path, const struct origin **at)
{
	/* Checked, not kept: the message below copies it. */
	const char *re = arena_printf(&b->tables, "^%s", path);
	const char *why = policy_regex_check(b, re);

	if (why == NULL)
		return NULL;
	*at = &hr->origin;
	for (size_t i = 0; i < hr->nconditions; i++)
		if (hr->conditions[i].regex != NULL)
			*at = proxy_origin_or(hr->conditions[i].regex_origin,
			    &hr->origin);
	return arena_printf(b->arena, "invalid regular expression \"%s\": %s",
	    re, why);
}

/* One route of an HTTPProxy under the conditions of its include chain.
 * Returns false for Contour's "this proxy's routes are not valid". */
static bool
route_build(struct builder *b, size_t st, const struct object *proxy,
    const struct hp_route *hr, const struct cond_list *inherited,
    const char *fqdn, struct route_list *out)
{
	struct dag_route r = { 0 };
	struct dag_route_rare *rr = NULL;
	struct cluster_options opts = { 0 };
	struct cond_list cl;
	size_t hcap = 0;
	const char *why;
	const struct origin *at;
	int actions = (hr->nservices > 0) + (hp_route_rare(hr)->redirect != NULL) +
	    (hp_route_rare(hr)->direct_response != NULL);

	if (actions != 1) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "RouteActionCountNotValid", &hr->origin,
		    "must set exactly one of route.services or "
		    "route.requestRedirectPolicy or route.directResponsePolicy");
		return false;
	}
	if ((why = proxy_path_conditions_problem(hr->conditions,
	    hr->nconditions)) != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "PathMatchConditionsNotValid", &hr->origin, "route: %s", why);
		return false;
	}
	cl = proxy_cond_append(b, inherited, hr->conditions, hr->nconditions);
	at = &hr->origin;
	if ((why = proxy_header_conditions_problem(b, &cl, &at)) != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "HeaderMatchConditionsNotValid", at, "%s", why);
		return false;
	}
	at = &hr->origin;
	if ((why = proxy_query_conditions_problem(b, &cl, &at)) != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "QueryParameterMatchConditionsNotValid", at, "%s", why);
		return false;
	}
	proxy_merge_path(b, &cl, &r);
	if (r.path_kind == DAG_PATH_REGEX && (why = route_regex_problem(b, hr,
	    r.path, &at)) != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "PathMatchConditionsNotValid", at, "route: %s", why);
		return false;
	}
	proxy_merge_headers(b, &cl, fqdn, &r, &hcap);
	proxy_merge_queries(b, &cl, &r);

	r.request_headers = proxy_headers_policy(b, hp_route_rare(hr)->request_headers,
	    HOST_REWRITE_HEADER,
	    proxy->meta.namespace, NULL, 0, &why);
	if (why != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "RequestHeadersPolicyInvalid", &hp_route_rare(hr)->request_headers->origin,
		    "%s on request headers", why);
		return false;
	}
	r.response_headers = proxy_headers_policy(b, hp_route_rare(hr)->response_headers,
	    HOST_REWRITE_NONE,
	    proxy->meta.namespace, NULL, 0, &why);
	if (why != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "ResponseHeaderPolicyInvalid", &hp_route_rare(hr)->response_headers->origin,
		    "%s on response headers", why);
		return false;
	}
	if (hp_route_rare(hr)->ncookie_rewrites > 0) {
		rr = dag_route_rare_set(b->arena, &r);
		if (!proxy_cookie_rewrites(b, hp_route_rare(hr)->cookie_rewrites,
		    hp_route_rare(hr)->ncookie_rewrites, NULL, 0, &rr->cookie_rewrites,
		    &rr->ncookie_rewrites, &why)) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
			    "CookieRewriteInvalid", &hp_route_rare(hr)->cookie_rewrites[0].origin,
			    "%s on route cookie rewrite rule", why);
			return false;
		}
	}
	DAG_ROUTE_RARE_PUT(b->arena, &r, ratelimit,
	    proxy_local_ratelimit(b, hp_route_rare(hr)->ratelimit, &why));
	if (why == NULL && hp_route_rare(hr)->ratelimit != NULL) /* ratelimit.c */
		ratelimit_global(b, hp_route_rare(hr)->ratelimit->global,
		    &dag_route_rare_set(b->arena, &r)->global_ratelimit, &why);
	if (why != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "RateLimitPolicyNotValid", &hp_route_rare(hr)->ratelimit->origin,
		    "route.rateLimitPolicy is invalid: %s", why);
		return false;
	}
	if (hp_route_rare(hr)->redirect != NULL && hp_route_rare(hr)->redirect->path != NULL &&
	    hp_route_rare(hr)->redirect->prefix != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "RequestRedirectPolicy", &hp_route_rare(hr)->redirect->origin,
		    "route.requestRedirectPolicy is invalid: cannot specify both "
		    "redirect path and redirect prefix");
		return false;
	}
	if (hp_route_rare(hr)->nip_allow > 0 && hp_route_rare(hr)->nip_deny > 0) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "IPFilterError",
		    "IncompatibleIPAddressFilters", &hr->origin,
		    "cannot specify both `ipAllowPolicy` and `ipDenyPolicy`");
		return false;
	}

	r.timeout_ms = r.idle_timeout_ms = DAG_TIMEOUT_DEFAULT;
	opts.idle_connection_timeout_ms = DAG_TIMEOUT_DEFAULT;
	if (hp_route_rare(hr)->timeout_policy != NULL) {
		r.timeout_ms = policy_timeout_ms(hp_route_rare(hr)->timeout_policy->response);
		r.idle_timeout_ms = policy_timeout_ms(hp_route_rare(hr)->timeout_policy->idle);
		opts.idle_connection_timeout_ms =
		    policy_timeout_ms(hp_route_rare(hr)->timeout_policy->idle_connection);
	}
	DAG_ROUTE_RARE_PUT(b->arena, &r, retry,
	    proxy_retry_policy(b, hp_route_rare(hr)->retry_policy));
	DAG_ROUTE_RARE_PUT(b->arena, &r, internal_redirect,
	    proxy_internal_redirect(b, hp_route_rare(hr)->internal_redirect));
	r.websocket = hr->enable_websockets;
	r.permit_insecure = hr->permit_insecure;
	extauth_route(b, hp_route_rare(hr)->auth_policy, &r); /* extension.c */
	DAG_ROUTE_RARE_PUT(b->arena, &r, ip_filter,
	    proxy_ip_filter(b, hp_route_rare(hr)->ip_allow, hp_route_rare(hr)->nip_allow, hp_route_rare(hr)->ip_deny,
	    hp_route_rare(hr)->nip_deny));
	proxy_lb_policy(b, st, hp_route_rare(hr)->lb_policy, &r, &opts);
	if (!path_rewrite(b, st, hr, &r))
		return false;
	opts.health_check = dag_health_check_new(b, hp_route_rare(hr)->health_check, false);

	if (hp_route_rare(hr)->redirect != NULL) {
		const struct hp_redirect *rd = hp_route_rare(hr)->redirect;

		r.action = DAG_ACTION_REDIRECT;
		struct dag_redirect *d = ARENA_NEW(b->arena, struct dag_redirect);

		d->scheme = rd->scheme;
		d->hostname = rd->hostname;
		d->path = rd->path;
		d->prefix = rd->prefix;
		d->port = (uint32_t)rd->port;
		d->status_code = (uint32_t)rd->status_code;
		DAG_ROUTE_RARE_PUT(b->arena, &r, redirect, d);
	} else if (hp_route_rare(hr)->direct_response != NULL) {
		/* Envoy refuses a RouteConfiguration with a direct response
		 * body over max_direct_response_body_size_bytes (4096 unless
		 * set; cairn leaves it unset). */
		if (hp_route_rare(hr)->direct_response->body != NULL &&
		    strlen(hp_route_rare(hr)->direct_response->body) > DAG_DIRECT_BODY_MAX) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
			    "DirectResponsePolicyNotValid", &hp_route_rare(hr)->direct_response->origin,
			    "route.directResponsePolicy.body is %zu bytes; Envoy "
			    "accepts at most %d", strlen(hp_route_rare(hr)->direct_response->body),
			    DAG_DIRECT_BODY_MAX);
			return false;
		}
		r.action = DAG_ACTION_DIRECT;
		r.direct_status = (uint32_t)hp_route_rare(hr)->direct_response->status_code;
		DAG_ROUTE_RARE_PUT(b->arena, &r, direct_body,
		    hp_route_rare(hr)->direct_response->body);
	} else {
		r.action = DAG_ACTION_FORWARD;
		if (!proxy_route_services(b, st, proxy, hr, &opts, &r))
			return false;
		/* No service left: 503 for these requests, the rest of the
		 * host keeps working. */
		if (r.nclusters == 0)
			r.direct_status = 503;
	}
	if (strncmp(fqdn, "*.", 2) == 0)
		policy_wildcard_header(b, &r, fqdn, &hcap);
	if (!jwt_route_policy(b, st, hr, &r)) /* jwt.c */
		return false;
	ARENA_PUSH(&b->scratch, out->items, out->n, out->cap, r);
	return true;
}

/* The index of the proxy ns/name (the first of equal names), or
 * (size_t)-1. */
size_t
dag_proxy_find(const struct builder *b, const char *ns, const char *name)
{
	dag_lookup_note((struct builder *)b, 'n', ns, "HTTPProxy");
	return object_index(b->proxies, b->nproxies, ns, name);
}

/* Contour's computeRoutes: the routes of proxy (index pi) under the
 * include chain `visited` with conditions cl. Errors go to the status of
 * the proxy that has the problem. */
void
proxy_compute_routes(struct hp_state *hs, const char *fqdn, size_t pi,
    const struct cond_list *cl, const struct object **visited, size_t nvisited,
    struct route_list *out)
{
	struct builder *b = hs->b;
	const struct object *proxy = b->proxies[pi];
	const struct httpproxy *hp = &proxy->u.httpproxy;
	size_t st = b->proxy_status[pi], start = out->n, nseen = 0;
	const char **seen;

	for (size_t i = 0; i < nvisited; i++) {
		struct strbuf sb = STRBUF_INIT;

		if (visited[i] != proxy)
			continue;
		for (size_t j = 0; j < nvisited; j++)
			strbuf_printf(&sb, "%s/%s -> ", visited[j]->meta.namespace,
			    visited[j]->meta.name);
		strbuf_printf(&sb, "%s/%s", proxy->meta.namespace, proxy->meta.name);
		dag_status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
		    "IncludeCreatesCycle", NULL,
		    "include creates an include cycle: %s", sb.buf);
		strbuf_free(&sb);
		return;
	}
	visited[nvisited++] = proxy;
	seen = ARENA_ARRAY(&b->tables, const char *, hp->nincludes + 1);

	for (size_t i = 0; i < hp->nincludes; i++) {
		const struct hp_include *inc = &hp->includes[i];
		const char *ns = inc->namespace ? inc->namespace : proxy->meta.namespace;
		struct cond_list icl = { .items = NULL, .n = 0 };
		struct object *child;
		const char *why, *key;
		const struct origin *at;
		bool dup = false, bad = false;
		size_t ci;

		for (size_t c = 0; c < inc->nconditions && !bad; c++)
			if (inc->conditions[c].exact || inc->conditions[c].regex) {
				dag_status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
				    "PathMatchConditionsNotValid", &inc->conditions[c].origin,
				    "include: %s conditions are not allowed in includes block",
				    inc->conditions[c].exact ? "exact" : "regex");
				bad = true;
			}
		if (bad)
			continue;
		if ((why = proxy_path_conditions_problem(inc->conditions,
		    inc->nconditions)) != NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
			    "PathMatchConditionsNotValid", &inc->origin, "include: %s", why);
			continue;
		}
		icl = proxy_cond_append(b, &icl, inc->conditions, inc->nconditions);
		at = &inc->origin;
		if ((why = proxy_header_conditions_problem(b, &icl, &at)) != NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
			    "HeaderMatchConditionsNotValid", at, "%s", why);
			continue;
		}
		at = &inc->origin;
		if ((why = proxy_query_conditions_problem(b, &icl, &at)) != NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "RouteError",
			    "QueryParameterMatchConditionsNotValid", at, "%s",
			    why);
			continue;
		}
		if ((key = proxy_include_key(b, inc)) != NULL) {
			for (size_t j = 0; j < nseen && !dup; j++)
				dup = strcmp(seen[j], key) == 0;
			if (dup) {
				dag_status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
				    "DuplicateMatchConditions", &inc->origin,
				    "duplicate conditions defined on an include");
				continue;
			}
			seen[nseen++] = key;
		}
		icl = proxy_cond_append(b, cl, inc->conditions, inc->nconditions);
		ci = dag_proxy_find(b, ns, inc->name);
		child = ci != (size_t)-1 ? b->proxies[ci] : NULL;
		if (child == NULL || b->proxy_ignored[ci]) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
			    "IncludeNotFound", &inc->origin, "include %s/%s not found",
			    ns, inc->name);
			bad_gateway_route(b, &icl, fqdn, out);
			continue;
		}
		if (child->u.httpproxy.virtualhost != NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
			    "RootIncludesRoot", &inc->origin,
			    "root httpproxy cannot include another root httpproxy (%s/%s)",
			    child->meta.namespace, child->meta.name);
			bad_gateway_route(b, &icl, fqdn, out);
			continue;
		}
		hs->reached[ci] = true;
		proxy_compute_routes(hs, fqdn, ci, &icl, visited, nvisited, out);
	}

	for (size_t i = 0; i < hp->nroutes; i++) {
		if (!route_build(b, st, proxy, &hp->routes[i], cl, fqdn, out)) {
			out->n = start; /* Contour drops this proxy's routes */
			return;
		}
	}
	expand_prefix_rewrites(b, out, start);
}
