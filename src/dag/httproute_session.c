/* A rule's sessionPersistence (GEP-1619) for HTTPRoute and GRPCRoute, as
 * Envoy Gateway translates it: Envoy's stateful_session filter with a
 * cookie (the default type) or a header naming the upstream host. The
 * cookie's Path follows the route's match, its Max-Age is absoluteTimeout
 * for a Permanent cookie; what Envoy cannot express is said in status
 * (docs/gateway-api.md, docs/decisions.md). */
#include "dag/build_internal.h"

#include <string.h>

#include "util/duration.h"

/* The longest literal start of a path regex up to a '/', GEP-1619's cookie
 * Path for a regex match ("/p1/p2/.*" -> "/p1/p2"). A character followed
 * by a quantifier may be absent, so the literal part ends before it. */
static const char *
regex_literal_path(struct builder *b, const char *re)
{
	size_t n = 0, end, slash = 0;

	while (re[n] != '\0' && strchr(".[]()*+?{}|^$\\", re[n]) == NULL)
		n++;
	if (re[n] == '\0')
		return re;
	end = n > 0 && strchr("*+?{", re[n]) != NULL ? n - 1 : n;
	for (size_t i = 0; i < end; i++)
		if (re[i] == '/')
			slash = i;
	return slash > 0 ? arena_strndup(b->arena, re, slash) : "/";
}

/* The cookie's Path: where the route matches (GEP-1619). */
static const char *
cookie_path(struct builder *b, const struct dag_route *r)
{
	if (r->path == NULL || r->path[0] != '/')
		return "/";
	if (r->path_kind == DAG_PATH_REGEX)
		return regex_literal_path(b, r->path);
	return r->path;
}

bool
gw_session_persistence(struct builder *b, size_t st, const struct object *route,
    size_t ri, const struct gw_http_rule *rule, struct dag_route *r)
{
	const struct gw_session_persistence *sp = rule->session_persistence;
	const char *lifetime = sp && sp->cookie_config ?
	    sp->cookie_config->lifetime_type : NULL;
	struct dag_session *s;
	const char *why;
	int64_t ms;

	DAG_ROUTE_RARE_PUT(b->arena, r, session, NULL);
	if (sp == NULL)
		return true;
	/* Envoy Gateway refuses it too: the filter keeps no per-session
	 * activity, so nothing could end an idle session. */
	if (sp->idle_timeout != NULL) {
		dag_status_error(b, st, DAG_STATUS_INVALID, "Accepted",
		    "UnsupportedValue", &sp->origin, "sessionPersistence.idleTimeout "
		    "%s: Envoy's stateful sessions have no idle timeout; the rule "
		    "is not served", sp->idle_timeout);
		return false;
	}
	s = ARENA_NEW(b->arena, struct dag_session);
	s->header = sp->type != NULL && strcmp(sp->type, "Header") == 0;
	/* The API leaves a missing name to the implementation; Envoy needs
	 * one, unique per rule like Envoy Gateway's. */
	s->name = sp->session_name != NULL ? sp->session_name :
	    arena_printf(b->arena, "%s-%s-%s-rule-%zu", route->kind ==
	    OBJ_GRPCROUTE ? "grpcroute" : "httproute", route->meta.namespace,
	    route->meta.name, ri);
	s->ttl_ms = -1;
	if (!s->header)
		s->path = cookie_path(b, r);
	if (!s->header && lifetime != NULL && strcmp(lifetime, "Permanent") == 0 &&
	    duration_parse_ms(sp->absolute_timeout, &ms, &why) == 0)
		s->ttl_ms = ms;
	else if (sp->absolute_timeout != NULL)
		dag_status_warning(b, st, "Accepted", "UnsupportedValue",
		    &sp->origin, s->header ? "sessionPersistence.absoluteTimeout: "
		    "Envoy's header-based sessions do not expire; the session has "
		    "no timeout" : "sessionPersistence.absoluteTimeout with a "
		    "Session cookie: Envoy expires only a Permanent cookie "
		    "(cookieConfig.lifetimeType: Permanent); this one lasts until "
		    "the browser session ends");
	if (s->header && sp->cookie_config != NULL)
		dag_status_warning(b, st, "Accepted", "UnsupportedValue",
		    &sp->cookie_config->origin, "sessionPersistence.cookieConfig "
		    "applies to Cookie sessions only; ignored for type Header");
	DAG_ROUTE_RARE_PUT(b->arena, r, session, s);
	return true;
}
