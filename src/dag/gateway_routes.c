/* Gateway API HTTPRoutes and GRPCRoutes (gateway.c runs them): a route's
 * parentRefs matched to listeners, its backendRefs resolved (with
 * ReferenceGrants), its rules' matches, filters and policies made into
 * dag_routes for each host of each port it attaches to, and its parent
 * statuses. Kept apart from the listeners because this is the per-route
 * work the route memo (gateway_memo.c) keeps from build to build. */
#include "dag/gateway_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "dag/gateway_tls.h"
#include "util/duration.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* --- references ------------------------------------------------------------ */

/* A ReferenceGrant in to_ns lets from_kind objects of from_ns reach
 * to_kind to_name. */
static bool
gw_reference_granted(const struct gw_state *s, const char *from_kind,
    const char *from_ns, const char *to_group, const char *to_kind,
    const char *to_ns, const char *to_name)
{
	dag_lookup_note(s->b, 'n', to_ns, "ReferenceGrant");
	for (size_t i = 0; i < s->ngrants; i++) {
		const struct object *o = s->grants[i];

		if (strcmp(o->meta.namespace, to_ns) == 0 &&
		    gw_grant_permits(&o->u.referencegrant, from_kind, from_ns,
		    to_group, to_kind, to_name))
			return true;
	}
	return false;
}

/* How many of a route's resolved backendRefs gw_backend remembers. */
#define GW_BACKENDS_SEEN 8

/* The cluster ns/name port resolved to before for this route, when no
 * BackendTLSPolicy's TLS applies: service_cluster's answer would be the
 * same cluster, found again by name after the same Service lookup (whose
 * note is made here as it made it). */
static struct dag_cluster *
gw_backend_seen(struct gw_state *s, const struct object *route,
    const char *ns, const char *name, int32_t port)
{
	for (size_t i = 0; i < s->nseen; i++) {
		const struct gw_backend_seen *e = &s->seen[i];

		if (e->route == route && e->arena == s->b->arena &&
		    e->port == port && strcmp(e->name, name) == 0 &&
		    strcmp(e->ns, ns) == 0) {
			dag_lookup_note(s->b, 'n', ns, "Service or Endpoints");
			return e->dc;
		}
	}
	return NULL;
}

static void
gw_backend_remember(struct gw_state *s, const struct object *route,
    const char *ns, const char *name, int32_t port, struct dag_cluster *dc)
{
	if (s->seen == NULL)
		s->seen = ARENA_ARRAY(&s->b->tables, struct gw_backend_seen,
		    GW_BACKENDS_SEEN);
	s->seen[s->seen_next] = (struct gw_backend_seen){ route, s->b->arena,
		ns, name, port, dc };
	s->seen_next = (s->seen_next + 1) % GW_BACKENDS_SEEN;
	if (s->nseen < GW_BACKENDS_SEEN)
		s->nseen++;
}

/* One backendRef to a cluster; NULL with reason and message (ResolvedRefs
 * False) when it cannot be used. */
struct dag_cluster *
gw_backend(struct gw_state *s, const struct object *route,
    const struct gw_backend_ref *be, const char **reason, const char **msg)
{
	struct builder *b = s->b;
	const char *group = be->group ? be->group : "";
	const char *kind = be->kind ? be->kind : "Service";
	const char *ns = be->namespace ? be->namespace : route->meta.namespace;
	const char *why;
	struct dag_cluster *dc;

	if (*group != '\0' || strcmp(kind, "Service") != 0) {
		*reason = "InvalidKind";
		*msg = arena_printf(b->arena, "backendRef %s%s%s %s: cairn "
		    "forwards to Services (group \"\", kind Service)", group,
		    *group ? "/" : "", kind, be->name);
		return NULL;
	}
	if (strcmp(ns, route->meta.namespace) != 0 &&
	    !gw_reference_granted(s, obj_kind_name(route->kind),
	    route->meta.namespace, "", "Service", ns, be->name)) {
		*reason = "RefNotPermitted";
		*msg = arena_printf(b->arena, "backendRef Service %s/%s: no "
		    "ReferenceGrant in namespace \"%s\" lets %ss of namespace "
		    "\"%s\" use it", ns, be->name, ns, obj_kind_name(route->kind),
		    route->meta.namespace);
		return NULL;
	}
	if (!be->has_port) {
		*reason = "BackendNotFound";
		*msg = arena_printf(b->arena, "backendRef Service %s/%s: port "
		    "is required", ns, be->name);
		return NULL;
	}
	/* gRPC needs HTTP/2 to the backend: h2c, as Contour's h2c; h2
	 * (TLS) with a BackendTLSPolicy. */
	{
		struct cluster_options opts = { .protocol = "h2c",
			.idle_connection_timeout_ms = DAG_TIMEOUT_DEFAULT };
		bool grpc = route->kind == OBJ_GRPCROUTE, tls;

		if (!gw_tls_policy_apply(b, s->policies, ns, be->name, be->port,
		    grpc, s->ancestor, &opts, &tls, reason, msg))
			return NULL;
		/* Without a policy's TLS the cluster depends on the Service
		 * and port alone (grpc is the route's kind). */
		if (!tls && (dc = gw_backend_seen(s, route, ns, be->name,
		    be->port)) != NULL)
			return dc;
		dc = service_cluster(b, ns, be->name, be->port, NULL,
		    grpc || tls ? &opts : NULL, &why);
		if (!tls && dc != NULL)
			gw_backend_remember(s, route, ns, be->name, be->port, dc);
	}
	if (dc == NULL) {
		*reason = "BackendNotFound";
		*msg = arena_printf(b->arena, "backendRef Service %s/%s port %d: "
		    "%s", ns, be->name, (int)be->port, why);
	}
	return dc;
}

/* --- filters --------------------------------------------------------------- */

static int
gw_header_value_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct dag_header_value *)a)->key,
	    ((const struct dag_header_value *)b)->key);
}

static struct dag_headers_policy *
gw_headers(struct builder *b, const struct gw_header_modifier *m)
{
	struct dag_headers_policy *hp = ARENA_NEW(b->arena,
	    struct dag_headers_policy);

	hp->set = ARENA_ARRAY(b->arena, struct dag_header_value, m->nset + 1);
	for (size_t i = 0; i < m->nset; i++)
		hp->set[hp->nset++] = (struct dag_header_value){ m->set[i].name,
		    m->set[i].value };
	if (hp->nset > 1)
		qsort(hp->set, hp->nset, sizeof hp->set[0], gw_header_value_cmp);
	hp->add = ARENA_ARRAY(b->arena, struct dag_header_value, m->nadd + 1);
	for (size_t i = 0; i < m->nadd; i++)
		hp->add[hp->nadd++] = (struct dag_header_value){ m->add[i].name,
		    m->add[i].value };
	hp->remove = ARENA_ARRAY(b->arena, const char *, m->nremove + 1);
	for (size_t i = 0; i < m->nremove; i++)
		hp->remove[hp->nremove++] = m->remove[i];
	if (hp->nremove > 1)
		qsort(hp->remove, hp->nremove, sizeof hp->remove[0], sorted_str_cmp);
	return hp;
}

/* A regex matching exactly the literal s. */
static const char *
gw_regex_literal(struct arena *a, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const char *out;

	strbuf_put_regex_literal(&sb, s);
	out = arena_strdup(a, sb.buf ? sb.buf : "");
	strbuf_free(&sb);
	return out;
}

/* Applies the rule's filters to r (a forward route). Returns false with
 * *unsupported set for a filter cairn does not implement yet. */
static bool
gw_filters(struct builder *b, struct dag_route *r, const struct gw_filter *f,
    size_t nf, const char *prefix, const char **unsupported)
{
	for (size_t i = 0; i < nf; i++) {
		const char *t = f[i].type;

		if (strcmp(t, "RequestHeaderModifier") == 0) {
			const char *host = r->request_headers ?
			    r->request_headers->host_rewrite : NULL;

			r->request_headers = gw_headers(b,
			    f[i].request_header_modifier);
			r->request_headers->host_rewrite = host;
		} else if (strcmp(t, "ResponseHeaderModifier") == 0) {
			r->response_headers = gw_headers(b,
			    f[i].response_header_modifier);
		} else if (strcmp(t, "RequestRedirect") == 0) {
			const struct gw_redirect *rd = f[i].request_redirect;
			struct dag_redirect *d = ARENA_NEW(b->arena,
			    struct dag_redirect);

			d->scheme = rd->scheme;
			d->hostname = rd->hostname;
			/* No port: Envoy keeps the request's, and drops a
			 * default port when the scheme changes, which is what
			 * the API's well-known-port rule gives. */
			d->port = (uint32_t)rd->port;
			d->status_code = rd->status_code ? (uint32_t)rd->status_code :
			    302;
			if (rd->path != NULL) {
				if (strcmp(rd->path->type, "ReplaceFullPath") == 0)
					d->path = rd->path->replace_full_path;
				else
					d->prefix = rd->path->replace_prefix_match;
			}
			DAG_ROUTE_RARE_PUT(b->arena, r, redirect, d);
			r->action = DAG_ACTION_REDIRECT;
		} else if (strcmp(t, "URLRewrite") == 0) {
			const struct gw_url_rewrite *u = f[i].url_rewrite;

			if (u->hostname != NULL) {
				if (r->request_headers == NULL)
					r->request_headers = ARENA_NEW(b->arena,
					    struct dag_headers_policy);
				r->request_headers->host_rewrite = u->hostname;
			}
			if (u->path != NULL &&
			    strcmp(u->path->type, "ReplaceFullPath") == 0) {
				DAG_ROUTE_RARE_PUT(b->arena, r, regex_rewrite,
				    "^/.*$");
				DAG_ROUTE_RARE_PUT(b->arena, r, regex_substitution,
				    u->path->replace_full_path);
			} else if (u->path != NULL) {
				const char *rep = u->path->replace_prefix_match;

				if (prefix == NULL) {
					*unsupported = "URLRewrite ReplacePrefixMatch "
					    "needs a PathPrefix match";
					return false;
				}
				/* "/" in place of "/foo" must give "/bar", not
				 * "//bar": a regex keeps one slash. */
				if (strcmp(prefix, "/") != 0 &&
				    rep[strlen(rep) > 0 ? strlen(rep) - 1 : 0] == '/') {
					DAG_ROUTE_RARE_PUT(b->arena, r, regex_rewrite,
					    arena_printf(b->arena,
					    "^%s/*", gw_regex_literal(b->arena, prefix)));
					DAG_ROUTE_RARE_PUT(b->arena, r, regex_substitution,
					    rep);
				} else {
					DAG_ROUTE_RARE_PUT(b->arena, r, prefix_rewrite,
					    rep);
				}
			}
		} else if (strcmp(t, "RequestMirror") == 0 ||
		    strcmp(t, "CORS") == 0) {
			continue; /* the rule's (gw_rule_filters) */
		} else {
			*unsupported = t; /* ExtensionRef */
			return false;
		}
	}
	return true;
}

/* --- routes ---------------------------------------------------------------- */

static void
gw_parent_status(struct builder *b, struct dag_gw_status *gs,
    const struct gw_parent_ref *p, const char *route_ns)
{
	struct dag_gw_parent_status *ps = ARENA_ARRAY(b->arena,
	    struct dag_gw_parent_status, gs->nparents + 1);

	if (gs->nparents > 0)
		memcpy(ps, gs->parents, gs->nparents * sizeof *ps);
	memset(&ps[gs->nparents], 0, sizeof *ps);
	ps[gs->nparents].group = p->group ? p->group : GW_GROUP;
	ps[gs->nparents].kind = p->kind ? p->kind : "Gateway";
	ps[gs->nparents].namespace = p->namespace ? p->namespace : route_ns;
	ps[gs->nparents].name = p->name;
	ps[gs->nparents].section_name = p->section_name;
	ps[gs->nparents].port = p->has_port ? (uint32_t)p->port : 0;
	gs->parents = ps;
	gs->nparents++;
}

static void
gw_entry_add(struct gw_state *s, const struct dag_route *r, const char *host,
    size_t gi, uint32_t port, const struct gw_http_match *m, size_t ri,
    size_t rule, size_t mi)
{
	struct gw_route_entry e = { .r = *r, .host = host, .gi = gi, .port = port,
		.has_method = m && m->method, .nheader_matches = m ? m->nheaders : 0,
		.nquery_matches = m ? m->nquery_params : 0, .route_index = ri,
		.rule_index = rule, .match_index = mi };

	ARRAY_PUSH(s->entries, s->nentries, s->entries_cap, e);
}

/* The dag_route of one match (m NULL: the rule matches every request). */
static bool
gw_match_route(struct builder *b, const struct gw_http_match *m,
    struct dag_route *r, const char **prefix, const char **why)
{
	const struct gw_path_match *p = m ? m->path : NULL;
	const char *type = p && p->type ? p->type : "PathPrefix";
	const char *value = p && p->value ? p->value : "/";
	size_t nh = (m ? m->nheaders : 0) + (m && m->method ? 1 : 0);

	*prefix = NULL;
	if (strcmp(type, "Exact") == 0) {
		r->path_kind = DAG_PATH_EXACT;
		r->path = value;
	} else if (strcmp(type, "RegularExpression") == 0) {
		if ((*why = policy_regex_check(b, value)) != NULL)
			return false;
		r->path_kind = DAG_PATH_REGEX;
		r->path = value;
	} else {
		size_t len = strlen(value);

		/* Segment semantics: "/foo" and "/foo/" match "/foo", "/foo/"
		 * and "/foo/bar", never "/foobar". */
		while (len > 1 && value[len - 1] == '/')
			len--;
		r->path_kind = DAG_PATH_PREFIX;
		/* Borrowed from the route, as an Exact path is, unless cut. */
		r->path = value[len] == '\0' ? value :
		    arena_strndup(b->arena, value, len);
		r->segment_prefix = len > 1;
		*prefix = r->path;
	}
	if (nh > 0) {
		r->headers = ARENA_ARRAY(b->arena, struct dag_header_match, nh);
		for (size_t i = 0; i < m->nheaders; i++) {
			const struct gw_value_match *h = &m->headers[i];
			bool re = h->type && strcmp(h->type, "RegularExpression") == 0;

			if (re && (*why = policy_regex_check(b, h->value)) != NULL)
				return false;
			r->headers[r->nheaders++] = (struct dag_header_match){
				.name = h->name, .kind = re ? DAG_HEADER_REGEX :
				DAG_HEADER_EXACT, .value = h->value };
		}
		if (m->method != NULL)
			r->headers[r->nheaders++] = (struct dag_header_match){
				.name = ":method", .kind = DAG_HEADER_EXACT,
				.value = m->method };
	}
	if (m != NULL && m->nquery_params > 0) {
		r->queries = ARENA_ARRAY(b->arena, struct dag_query_match,
		    m->nquery_params);
		for (size_t i = 0; i < m->nquery_params; i++) {
			const struct gw_value_match *q = &m->query_params[i];
			bool re = q->type && strcmp(q->type, "RegularExpression") == 0;

			if (re && (*why = policy_regex_check(b, q->value)) != NULL)
				return false;
			r->queries[r->nqueries++] = (struct dag_query_match){
				.name = q->name, .kind = re ? DAG_QUERY_REGEX :
				DAG_QUERY_EXACT, .value = q->value };
		}
	}
	return true;
}

/* A Gateway API duration (checked by the loader) in ms; 0 disables. */
static int64_t
gw_duration_ms(const char *s)
{
	int64_t ms = DAG_TIMEOUT_DEFAULT;
	const char *why;

	if (s == NULL || duration_parse_ms(s, &ms, &why) != 0)
		return DAG_TIMEOUT_DEFAULT;
	return ms;
}

/* timeouts and retry of a rule (GEP-1742, GEP-1731). request is the
 * route's timeout; backendRequest each try's, which without retries is
 * the route's timeout when shorter. */
static void
gw_rule_policies(struct builder *b, const struct gw_http_rule *rule,
    struct dag_route *r)
{
	int64_t request = DAG_TIMEOUT_DEFAULT, backend = DAG_TIMEOUT_DEFAULT;

	if (rule->timeouts != NULL) {
		request = gw_duration_ms(rule->timeouts->request);
		backend = gw_duration_ms(rule->timeouts->backend_request);
		r->timeout_ms = request;
	}
	if (rule->retry != NULL) {
		const struct gw_retry *rt = rule->retry;
		struct dag_retry_policy *rp = ARENA_NEW(b->arena,
		    struct dag_retry_policy);

		/* Connection errors always, the listed codes when given. */
		rp->retry_on = rt->ncodes > 0 ?
		    "connect-failure,refused-stream,retriable-status-codes" :
		    "connect-failure,refused-stream";
		rp->num_retries = rt->has_attempts ? (uint32_t)rt->attempts : 1;
		rp->per_try_timeout_ms = backend;
		rp->retriable_status_codes = ARENA_ARRAY(b->arena, uint32_t,
		    rt->ncodes + 1);
		for (size_t i = 0; i < rt->ncodes; i++)
			rp->retriable_status_codes[i] = (uint32_t)rt->codes[i];
		rp->nretriable_status_codes = rt->ncodes;
		rp->backoff_base_ms = gw_retry_backoff_ms(rt);
		DAG_ROUTE_RARE_PUT(b->arena, r, retry, rp);
	} else if (backend != DAG_TIMEOUT_DEFAULT && (request ==
	    DAG_TIMEOUT_DEFAULT || request == 0 || backend < request)) {
		r->timeout_ms = backend;
	}
}

/* The rule's filters that are the same for each of its matches: its
 * RequestMirrors (backendRefs resolved like the rule's, an unresolved one
 * left out with ResolvedRefs False) and CORS. */
static void
gw_rule_filters(struct gw_state *s, const struct object *route, size_t st,
    const struct gw_http_rule *rule, struct dag_route *proto,
    const char **rr_reason, const char **rr_msg)
{
	struct builder *b = s->b;

	for (size_t i = 0; i < rule->nfilters; i++) {
		const struct gw_filter *f = &rule->filters[i];

		if (strcmp(f->type, "RequestMirror") == 0) {
			const char *reason = NULL, *msg = NULL;
			struct dag_cluster *dc = gw_backend(s, route,
			    f->request_mirror->backend_ref, &reason, &msg);
			struct dag_route_rare *rr;
			struct dag_mirror *m;

			if (dc == NULL) {
				if (*rr_reason == NULL) {
					*rr_reason = reason;
					*rr_msg = msg;
				}
				dag_status_warning(b, st, "ResolvedRefs", reason,
				    &f->request_mirror->backend_ref->origin,
				    "requestMirror %s; not mirrored", msg);
				continue;
			}
			rr = dag_route_rare_set(b->arena, proto);
			if (rr->mirrors == NULL)
				rr->mirrors = ARENA_ARRAY(b->arena,
				    struct dag_mirror, rule->nfilters);
			m = &rr->mirrors[rr->nmirrors++];
			m->cluster = dc;
			gw_mirror_share(f->request_mirror, &m->numerator,
			    &m->denominator);
		} else if (strcmp(f->type, "CORS") == 0) {
			const char *why;

			DAG_ROUTE_RARE_PUT(b->arena, proto, cors,
			    gw_cors_policy(b, f->cors, &why));
			if (dag_route_rare(proto)->cors == NULL)
				dag_status_warning(b, st, "Accepted", "UnsupportedValue",
				    &f->cors->origin, "cors: an allowed origin "
				    "makes no valid regex (%s); no CORS policy", why);
		}
	}
}

/* The action of one rule (everything but the match), into proto. Returns
 * false when the rule cannot be served (reported on the route). */
static void
gw_rule_action(struct gw_state *s, const struct object *route, size_t st,
    const struct gw_http_rule *rule, struct dag_route *proto,
    const char **rr_reason, const char **rr_msg)
{
	struct builder *b = s->b;
	size_t nvalid = 0;

	proto->action = DAG_ACTION_FORWARD;
	proto->timeout_ms = DAG_TIMEOUT_DEFAULT;
	proto->idle_timeout_ms = DAG_TIMEOUT_DEFAULT;
	proto->clusters = ARENA_ARRAY(b->arena, struct dag_weighted_cluster,
	    rule->nbackend_refs + 1);
	for (size_t k = 0; k < rule->nbackend_refs; k++) {
		const struct gw_backend_ref *be = &rule->backend_refs[k];
		uint32_t w = be->has_weight ? (uint32_t)be->weight : 1;
		const char *reason = NULL, *msg = NULL;
		struct dag_cluster *dc = gw_backend(s, route, be, &reason, &msg);
		struct dag_weighted_cluster wc = { .cluster = dc, .weight = w };

		if (dc == NULL) {
			if (*rr_reason == NULL) {
				*rr_reason = reason;
				*rr_msg = msg;
			}
			dag_status_warning(b, st, "ResolvedRefs", reason, &be->origin,
			    "%s", msg);
			/* With no valid backend at all, the rule answers 500
			 * (the API's rule); beside valid ones, its share goes
			 * to them (docs/gateway-api.md). */
			continue;
		}
		for (size_t f = 0; f < be->nfilters; f++) {
			if (strcmp(be->filters[f].type, "RequestHeaderModifier") == 0)
				wc.request_headers = gw_headers(b,
				    be->filters[f].request_header_modifier);
			else if (strcmp(be->filters[f].type,
			    "ResponseHeaderModifier") == 0)
				wc.response_headers = gw_headers(b,
				    be->filters[f].response_header_modifier);
			else
				dag_status_warning(b, st, "Accepted", "UnsupportedValue",
				    &be->filters[f].origin, "backendRef filter %s is "
				    "not supported yet; ignored", be->filters[f].type);
		}
		if (w == 0)
			continue; /* no traffic: not sent to Envoy */
		proto->clusters[nvalid++] = wc;
	}
	proto->nclusters = nvalid;
	/* No backend, or every weight zero: 500 (Gateway API). */
	proto->direct_status = 500;
	gw_rule_filters(s, route, st, rule, proto, rr_reason, rr_msg);
	gw_rule_policies(b, rule, proto);
}

/* The parent status of parentRef p of route in this pass, or NULL when
 * this pass is not the one to write it. Statuses are written in the pass
 * of the parent's own Gateway (gi_want), or once in the first pass for a
 * parent cairn does not serve (NoMatchingParent; NULL too). *gi: the
 * Gateway's index. */
struct dag_gw_parent_status *
gw_parent_open(struct gw_state *s, struct dag_gw_status *gs,
    const struct gw_parent_ref *p, const struct object *route, size_t st,
    size_t gi_want, ssize_t *gi)
{
	struct builder *b = s->b;
	struct dag_gw_parent_status *ps;
	const char *ns = p->namespace ? p->namespace : route->meta.namespace;
	const char *group = p->group ? p->group : GW_GROUP;
	const char *kind = p->kind ? p->kind : "Gateway";

	*gi = -1;
	if (strcmp(group, GW_GROUP) == 0 && strcmp(kind, "Gateway") == 0)
		*gi = gw_gateway_index(s, ns, p->name);
	if (*gi < 0 ? gi_want != 0 : (size_t)*gi != gi_want)
		return NULL;
	gw_parent_status(b, gs, p, route->meta.namespace);
	ps = &gs->parents[gs->nparents - 1];
	if (*gi < 0) {
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "Accepted", false, "NoMatchingParent", arena_printf(b->arena,
		    "no %s %s/%s served by cairn", kind, ns, p->name));
		dag_status_error(b, st, DAG_STATUS_INVALID, "Accepted",
		    "NoMatchingParent", &p->origin, "parentRef %s %s/%s: no such "
		    "%s served by cairn", kind, ns, p->name, kind);
		return NULL;
	}
	return ps;
}

/* One parentRef of HTTPRoute ri: which listeners of which Gateway take it. */
static void
gw_route_parent(struct gw_state *s, size_t ri, const struct gw_parent_ref *p,
    size_t gi_want, bool *attached_any)
{
	struct builder *b = s->b;
	const struct object *route = s->httproutes[ri];
	const struct httproute *hr = &route->u.httproute;
	size_t st = s->httproute_status[ri];
	struct dag_gw_status *gs = gw_status(b, st);
	struct dag_gw_parent_status *ps;
	const char *ns = p->namespace ? p->namespace : route->meta.namespace;
	ssize_t gi;
	const struct object *gwo;
	bool by_section = false, by_allowed = false, by_host = false;
	const char *rr_reason = NULL, *rr_msg = NULL, *unsupported = NULL;

	if ((ps = gw_parent_open(s, gs, p, route, st, gi_want, &gi)) == NULL)
		return;
	gwo = s->gateways[gi];
	s->ancestor = gwo;

	/* The rules, once per parent: their actions and ResolvedRefs. The
	 * array (not what its routes point to) lives as long as this call:
	 * in the scratch arena, given back at the end. */
	struct arena_mark mark = arena_mark(&b->scratch);
	struct dag_route *actions = ARENA_ARRAY(&b->scratch, struct dag_route,
	    hr->nrules + 1);

	memset(actions, 0, (hr->nrules + 1) * sizeof *actions);
	for (size_t r = 0; r < hr->nrules; r++)
		gw_rule_action(s, route, st, &hr->rules[r], &actions[r], &rr_reason,
		    &rr_msg);

	for (size_t li = 0; li < gwo->u.gateway.nlisteners; li++) {
		struct gw_listener_state *ls = &s->listeners[gi][li];
		const struct gw_listener *l = ls->l;
		struct dag_gw_listener_status *lst =
		    &gw_status(b, s->gateway_status[gi])->listeners[ls->status];
		const char **hosts;
		size_t nhosts = 0;

		if (p->section_name != NULL && strcmp(p->section_name, l->name) != 0)
			continue;
		if (p->has_port && (uint32_t)p->port != (uint32_t)l->port)
			continue;
		by_section = true;
		if (!ls->accepted || !(route->kind == OBJ_GRPCROUTE ?
		    ls->allows_grpcroute : ls->allows_httproute) ||
		    !gw_namespace_allowed(s, gwo, l, route->meta.namespace))
			continue;
		by_allowed = true;
		hosts = ARENA_ARRAY(&b->scratch, const char *, hr->nhostnames + 1);
		if (hr->nhostnames == 0) {
			hosts[nhosts++] = l->hostname ? l->hostname : "*";
		} else {
			nhosts = gw_route_hosts_add(l->hostname, hr->hostnames,
			    hr->nhostnames, hosts, nhosts);
		}
		if (nhosts == 0)
			continue;
		by_host = true;
		lst->attached_routes++;
		if (s->attach_rec)
			ARRAY_PUSH(s->attach, s->nattach, s->attach_cap,
			    ((struct gw_attach){ (size_t)gi, ls->status }));
		for (size_t h = 0; h < nhosts; h++)
			for (size_t r = 0; r < hr->nrules; r++) {
				const struct gw_http_rule *rule = &hr->rules[r];
				size_t nm = rule->nmatches ? rule->nmatches : 1;

				for (size_t m = 0; m < nm; m++) {
					const struct gw_http_match *mt = rule->nmatches ?
					    &rule->matches[m] : NULL;
					struct dag_route dr = actions[r];
					const char *prefix, *why = NULL;

					dr.headers = NULL;
					dr.nheaders = 0;
					dr.queries = NULL;
					dr.nqueries = 0;
					if (!gw_match_route(b, mt, &dr, &prefix, &why)) {
						dag_status_error(b, st, DAG_STATUS_INVALID,
						    "Accepted", "UnsupportedValue",
						    mt ? &mt->origin : &rule->origin,
						    "the regular expression %s", why);
						unsupported = "regular expression";
						continue;
					}
					if (!gw_filters(b, &dr, rule->filters,
					    rule->nfilters, prefix, &unsupported)) {
						dag_status_error(b, st, DAG_STATUS_INVALID,
						    "Accepted", "UnsupportedValue",
						    &rule->origin, "filter %s is not "
						    "supported yet (docs/gateway-api.md)",
						    unsupported);
						continue;
					}
					if (!gw_session_persistence(b, st, route, r,
					    rule, &dr)) {
						unsupported = "sessionPersistence.idleTimeout";
						continue;
					}
					gw_entry_add(s, &dr, hosts[h], (size_t)gi,
					    (uint32_t)l->port, mt, ri, r, m);
				}
			}
	}
	if (gw_parent_close(b, ps, p, ns, st, by_section, by_allowed, by_host,
	    unsupported, rr_reason, rr_msg))
		*attached_any = true;
	arena_release(&b->scratch, &mark);
}

/* The Accepted and ResolvedRefs conditions of parent status ps (parentRef
 * p, its Gateway in namespace ns) once its listeners were tried: not
 * accepted when no listener took the route (the first check that failed
 * for all: sectionName and port, allowedRoutes, hostnames), or when a
 * field it uses is not supported (unsupported: its name);
 * ResolvedRefs false with rr_reason when a reference did not resolve.
 * Returns whether the route is accepted. */
bool
gw_parent_close(struct builder *b, struct dag_gw_parent_status *ps,
    const struct gw_parent_ref *p, const char *ns, size_t st,
    bool by_section, bool by_allowed, bool by_host, const char *unsupported,
    const char *rr_reason, const char *rr_msg)
{
	bool accepted = false;

	if (!by_section || !by_allowed || !by_host) {
		const char *reason = !by_section ? "NoMatchingParent" :
		    !by_allowed ? "NotAllowedByListeners" :
		    "NoMatchingListenerHostname";
		const char *msg = !by_section ? "no listener matches the "
		    "parentRef's sectionName and port" : !by_allowed ?
		    "no listener allows this route (allowedRoutes namespaces "
		    "and kinds, or the listener is not accepted)" :
		    "no listener hostname intersects the route's hostnames";

		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "Accepted", false, reason, msg);
		dag_status_error(b, st, DAG_STATUS_INVALID, "Accepted", reason,
		    &p->origin, "parentRef Gateway %s/%s: %s", ns, p->name, msg);
	} else if (unsupported != NULL) {
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "Accepted", false, "UnsupportedValue", arena_printf(b->arena,
		    "%s is not supported yet", unsupported));
	} else {
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "Accepted", true, "Accepted", "accepted");
		accepted = true;
	}
	if (rr_reason != NULL)
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "ResolvedRefs", false, rr_reason, rr_msg);
	else
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "ResolvedRefs", true, "ResolvedRefs", "every reference resolved");
	return accepted;
}

/* Every parentRef of HTTPRoute ri, for each Gateway (ngi passes). */
void
gw_route_resolve(struct gw_state *s, size_t ri, size_t ngi)
{
	const struct httproute *hr = &s->httproutes[ri]->u.httproute;

	for (size_t gi = 0; gi < ngi; gi++)
		for (size_t p = 0; p < hr->nparent_refs; p++)
			gw_route_parent(s, ri, &hr->parent_refs[p], gi,
			    &s->attached[ri]);
	if (hr->nparent_refs == 0)
		dag_status_error(s->b, s->httproute_status[ri], DAG_STATUS_ORPHANED,
		    "Accepted", "NoMatchingParent", NULL,
		    "no parentRefs: the route is attached to no Gateway");
}

/* A GRPCRoute as the HTTPRoute it means (GEP-1016): a method match is a
 * path match on /<service>/<method> (a service alone: the prefix
 * /<service>, by segments), the rest is shared. The object keeps kind
 * GRPCRoute (status, ReferenceGrant, h2c clusters). */
struct object *
gw_grpc_as_http(struct builder *b, struct object *o)
{
	const struct grpcroute *g = &o->u.grpcroute;
	struct object *h = ARENA_NEW(b->arena, struct object);
	struct httproute *hr = &h->u.httproute;

	h->kind = OBJ_GRPCROUTE;
	h->api_version = o->api_version;
	h->kind_name = o->kind_name;
	h->meta = o->meta;
	hr->parent_refs = g->parent_refs;
	hr->nparent_refs = g->nparent_refs;
	hr->hostnames = g->hostnames;
	hr->nhostnames = g->nhostnames;
	hr->rules = ARENA_ARRAY(b->arena, struct gw_http_rule, g->nrules + 1);
	hr->nrules = g->nrules;
	for (size_t r = 0; r < g->nrules; r++) {
		const struct gw_grpc_rule *gr = &g->rules[r];
		struct gw_http_rule *rule = &hr->rules[r];

		memset(rule, 0, sizeof *rule);
		rule->name = gr->name;
		rule->filters = gr->filters;
		rule->nfilters = gr->nfilters;
		rule->backend_refs = gr->backend_refs;
		rule->nbackend_refs = gr->nbackend_refs;
		rule->session_persistence = gr->session_persistence;
		rule->origin = gr->origin;
		rule->matches = ARENA_ARRAY(b->arena, struct gw_http_match,
		    gr->nmatches + 1);
		rule->nmatches = gr->nmatches;
		for (size_t m = 0; m < gr->nmatches; m++) {
			const struct gw_grpc_match *gm = &gr->matches[m];
			const struct gw_grpc_method_match *mm = gm->method;
			struct gw_http_match *hm = &rule->matches[m];

			memset(hm, 0, sizeof *hm);
			hm->headers = gm->headers;
			hm->nheaders = gm->nheaders;
			hm->origin = gm->origin;
			if (mm == NULL)
				continue;
			hm->path = ARENA_NEW(b->arena, struct gw_path_match);
			hm->path->origin = mm->origin;
			if (mm->type != NULL && strcmp(mm->type, "RegularExpression") == 0) {
				hm->path->type = "RegularExpression";
				hm->path->value = arena_printf(b->arena, "/%s/%s",
				    mm->service ? mm->service : "[^/]+",
				    mm->method ? mm->method : "[^/]+");
			} else if (mm->service != NULL && mm->method != NULL) {
				hm->path->type = "Exact";
				hm->path->value = arena_printf(b->arena, "/%s/%s",
				    mm->service, mm->method);
			} else if (mm->service != NULL) {
				hm->path->type = "PathPrefix";
				hm->path->value = arena_printf(b->arena, "/%s",
				    mm->service);
			} else {
				hm->path->type = "RegularExpression";
				hm->path->value = arena_printf(b->arena, "/[^/]+/%s",
				    gw_regex_literal(b->arena, mm->method));
			}
		}
	}
	return h;
}
