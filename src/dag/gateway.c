/* Gateway API (SPEC.md §5a, docs/gateway-api.md): GatewayClasses cairn
 * serves, their Gateways' listeners, and the HTTPRoutes attached to them,
 * into dag->gateways; every object's status in Gateway API's own shape
 * (dag_object_status.gw) beside cairn's.
 *
 * The order of work follows the API: a GatewayClass is accepted when its
 * controllerName is cairn's; a Gateway of an accepted class gets its
 * listeners checked (protocol, conflicts, allowed route kinds); each
 * route's parentRefs are matched to listeners (sectionName, port, allowed
 * namespaces and kinds, hostname intersection); each attached route's
 * rules become routes of the listener port's virtual hosts, which are then
 * ordered by the API's precedence rules.
 *
 * This file: GatewayClasses, Gateways and their listeners (with the
 * status of each), namespaces and hostnames as listeners see them, and
 * gateways_build, which runs the rest: route attachment and resolution
 * (gateway_routes.c, gateway_l4.c), the route memo (gateway_memo.c) and
 * each port's assembly in precedence order (gateway_ports.c). */
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

struct dag_gw_status *
gw_status(struct builder *b, size_t st)
{
	struct dag_object_status *s = &b->dag->statuses[st];

	if (s->gw == NULL)
		s->gw = ARENA_NEW(b->arena, struct dag_gw_status);
	return s->gw;
}

void
gw_condition_push(struct arena *a, struct dag_gw_condition **arr, size_t *n,
    const char *type, bool status, const char *reason, const char *message)
{
	struct dag_gw_condition *c = ARENA_ARRAY(a, struct dag_gw_condition, *n + 1);

	if (*n > 0)
		memcpy(c, *arr, *n * sizeof *c);
	c[*n] = (struct dag_gw_condition){ type, status, reason, message };
	*arr = c;
	(*n)++;
}

/* Sets (or replaces) condition type of a condition list. */
static void
gw_condition_set(struct arena *a, struct dag_gw_condition **arr, size_t *n,
    const char *type, bool status, const char *reason, const char *message)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i].type, type) == 0) {
			(*arr)[i] = (struct dag_gw_condition){ type, status, reason,
			    message };
			return;
		}
	gw_condition_push(a, arr, n, type, status, reason, message);
}

static int
gw_object_cmp(const void *a, const void *b)
{
	const struct object *x = *(struct object *const *)a;
	const struct object *y = *(struct object *const *)b;
	int c = strcmp(x->meta.namespace, y->meta.namespace);

	return c != 0 ? c : strcmp(x->meta.name, y->meta.name);
}

static struct object **
gw_collect(struct builder *b, enum obj_kind kind, size_t *n, size_t **st)
{
	struct object **arr;

	*n = b->nkind_objs[kind];
	if (st != NULL)
		*st = NULL;
	if (*n == 0)
		return NULL;
	/* Copied: the split is in b->tables, freed when the build ends, and
	 * the gateways' arrays are read from the DAG's arena. */
	arr = ARENA_ARRAY(b->arena, struct object *, *n);
	memcpy(arr, b->kind_objs[kind], *n * sizeof arr[0]);
	dag_kind_sort(b, kind, arr, *n, gw_object_cmp);
	if (st != NULL) {
		*st = ARENA_ARRAY(b->arena, size_t, *n + 1);
		dag_statuses_add_sorted(b, kind, arr, *n, *st);
		/* Equal names are in the sort's order, not the files'. */
		dag_status_run(b, (*st)[0], *n, false, b->kind_shadow[kind]);
	}
	return arr;
}

/* --- namespaces and label selectors ---------------------------------------- */

/* The label key of namespace ns, with kubernetes.io/metadata.name for
 * every namespace (the Namespace object's labels already hold it). */
static const char *
gw_namespace_label(const struct gw_state *s, const char *ns, const char *key)
{
	if (strcmp(key, "kubernetes.io/metadata.name") == 0)
		return ns;
	dag_lookup_note(s->b, 'N', "labels", "Namespace labels");
	for (size_t i = 0; i < s->nnamespaces; i++) {
		const struct obj_meta *m = &s->namespaces[i]->meta;

		if (strcmp(m->name, ns) != 0)
			continue;
		for (size_t k = 0; k < m->nlabels; k++)
			if (strcmp(m->labels[k].key, key) == 0)
				return m->labels[k].value;
		return NULL;
	}
	return NULL;
}

static bool
gw_selector_matches(const struct gw_state *s, const struct gw_label_selector *sel,
    const char *ns)
{
	for (size_t i = 0; i < sel->nmatch_labels; i++) {
		const char *v = gw_namespace_label(s, ns, sel->match_labels[i].key);

		if (v == NULL || strcmp(v, sel->match_labels[i].value) != 0)
			return false;
	}
	for (size_t i = 0; i < sel->nmatch_expressions; i++) {
		const struct gw_label_requirement *r = &sel->match_expressions[i];
		const char *v = gw_namespace_label(s, ns, r->key);
		bool in = false;

		for (size_t k = 0; v != NULL && k < r->nvalues; k++)
			if (strcmp(v, r->values[k]) == 0)
				in = true;
		if (strcmp(r->operator_, "In") == 0 && !in)
			return false;
		if (strcmp(r->operator_, "NotIn") == 0 && in)
			return false;
		if (strcmp(r->operator_, "Exists") == 0 && v == NULL)
			return false;
		if (strcmp(r->operator_, "DoesNotExist") == 0 && v != NULL)
			return false;
	}
	return true;
}

/* allowedRoutes.namespaces of listener l of gateway gw admits namespace ns. */
bool
gw_namespace_allowed(const struct gw_state *s, const struct object *gw,
    const struct gw_listener *l, const char *ns)
{
	const struct gw_route_namespaces *rn = l->allowed_routes ?
	    l->allowed_routes->namespaces : NULL;
	const char *from = rn && rn->from ? rn->from : "Same";

	if (strcmp(from, "All") == 0)
		return true;
	if (strcmp(from, "Same") == 0)
		return strcmp(ns, gw->meta.namespace) == 0;
	if (strcmp(from, "Selector") == 0)
		return rn->selector != NULL && gw_selector_matches(s, rn->selector, ns);
	return false; /* None */
}

/* --- hostnames -------------------------------------------------------------- */

/* Wildcard pattern "*.example.com" matches host (one or more labels in
 * front of ".example.com"), as Gateway API and Envoy both read it. */
static bool
gw_wildcard_matches(const char *pattern, const char *host)
{
	size_t pl = strlen(pattern + 1), hl = strlen(host);

	return hl > pl && strcmp(host + hl - pl, pattern + 1) == 0;
}

/* The intersection of a listener's hostname (NULL: any) and a route's
 * hostname: the more specific of the two, or NULL when they are disjoint. */
const char *
gw_hostname_intersect(const char *listener, const char *route)
{
	bool lw, rw;

	if (listener == NULL)
		return route;
	if (strcmp(listener, route) == 0)
		return route;
	lw = listener[0] == '*';
	rw = route[0] == '*';
	if (lw && gw_wildcard_matches(listener, rw ? route + 1 : route))
		return route;
	if (rw && gw_wildcard_matches(route, lw ? listener + 1 : listener))
		return listener;
	return NULL;
}

/* Appends to hosts (nhosts so far) each of a route's hostnames intersected
 * with the listener's, once each, and returns the new count: the hosts a
 * route attached to that listener serves. */
size_t
gw_route_hosts_add(const char *listener, char *const *route_hosts, size_t n,
    const char **hosts, size_t nhosts)
{
	for (size_t h = 0; h < n; h++) {
		const char *x = gw_hostname_intersect(listener, route_hosts[h]);
		bool dup = false;

		for (size_t k = 0; x && k < nhosts; k++)
			dup = dup || strcmp(hosts[k], x) == 0;
		if (x != NULL && !dup)
			hosts[nhosts++] = x;
	}
	return nhosts;
}

/* --- GatewayClasses and Gateways --------------------------------------------- */

static bool
gw_class_served(const struct gw_state *s, const char *name)
{
	dag_lookup_note(s->b, 'c', name, "GatewayClass");
	for (size_t i = 0; i < s->nclasses; i++)
		if (strcmp(s->classes[i]->meta.name, name) == 0)
			return strcmp(s->classes[i]->u.gatewayclass.controller_name,
			    DAG_GATEWAY_CONTROLLER) == 0;
	return false;
}

static void
gw_classes(struct gw_state *s)
{
	struct builder *b = s->b;

	for (size_t i = 0; i < s->nclasses; i++) {
		const struct gatewayclass *gc = &s->classes[i]->u.gatewayclass;
		struct dag_gw_status *gs;

		if (strcmp(gc->controller_name, DAG_GATEWAY_CONTROLLER) != 0) {
			dag_status_warning(b, s->class_status[i], "Valid",
			    "NotServed", NULL, "controllerName \"%s\" is not "
			    "cairn's (%s): its Gateways are ignored",
			    gc->controller_name, DAG_GATEWAY_CONTROLLER);
			continue;
		}
		gs = gw_status(b, s->class_status[i]);
		if (gc->parameters_ref != NULL) {
			gw_condition_push(b->arena, &gs->conditions, &gs->nconditions,
			    "Accepted", false, "InvalidParameters",
			    "cairn takes no parametersRef");
			dag_status_error(b, s->class_status[i], DAG_STATUS_INVALID,
			    "Accepted", "InvalidParameters",
			    &gc->parameters_ref->origin, "cairn takes no parametersRef");
			continue;
		}
		gw_condition_push(b->arena, &gs->conditions, &gs->nconditions,
		    "Accepted", true, "Accepted", "served by cairn");
	}
}

static const char *const gw_http_kinds[] = { "HTTPRoute", "GRPCRoute" };

static void
gw_listener_condition(struct builder *b, struct dag_gw_listener_status *ls,
    const char *type, bool status, const char *reason, const char *message)
{
	gw_condition_set(b->arena, &ls->conditions, &ls->nconditions, type, status,
	    reason, message);
}

/* Listeners of one Gateway: protocol, conflicts, route kinds. */
static void
gw_gateway_listeners(struct gw_state *s, size_t gi)
{
	struct builder *b = s->b;
	const struct object *o = s->gateways[gi];
	const struct gateway *gw = &o->u.gateway;
	size_t st = s->gateway_status[gi];
	struct dag_gw_status *gs = gw_status(b, st);
	struct gw_listener_state *ls = ARENA_ARRAY(b->arena,
	    struct gw_listener_state, gw->nlisteners + 1);
	size_t naccepted = 0, nunprogrammed = 0;

	memset(ls, 0, (gw->nlisteners + 1) * sizeof *ls);
	gs->listeners = ARENA_ARRAY(b->arena, struct dag_gw_listener_status,
	    gw->nlisteners + 1);
	memset(gs->listeners, 0, (gw->nlisteners + 1) * sizeof gs->listeners[0]);
	gs->nlisteners = gw->nlisteners;
	for (size_t i = 0; i < gw->nlisteners; i++) {
		const struct gw_listener *l = &gw->listeners[i];
		struct dag_gw_listener_status *lst = &gs->listeners[i];
		bool https = strcmp(l->protocol, "HTTPS") == 0;
		bool http = https || strcmp(l->protocol, "HTTP") == 0;
		bool l4 = strcmp(l->protocol, "TLS") == 0 ||
		    strcmp(l->protocol, "TCP") == 0;
		bool conflict = false, proto_conflict = false, kinds_ok = true;
		const char *tls_reason = NULL, *tls_msg = NULL;

		ls[i].l = l;
		ls[i].status = i;
		lst->name = l->name;
		for (size_t j = 0; j < gw->nlisteners; j++) {
			const struct gw_listener *m = &gw->listeners[j];

			if (j == i || m->port != l->port)
				continue;
			if (strcmp(m->protocol, l->protocol) != 0)
				proto_conflict = true;
			else if ((m->hostname == NULL) == (l->hostname == NULL) &&
			    (l->hostname == NULL ||
			    strcmp(m->hostname, l->hostname) == 0))
				conflict = true;
			if (j < i && strcmp(m->name, l->name) == 0)
				dag_status_error(b, st, DAG_STATUS_INVALID, "Accepted",
				    "ListenersNotValid", &l->origin,
				    "listener name \"%s\" is used twice", l->name);
		}
		/* Route kinds the listener takes: HTTPRoute and GRPCRoute
		 * (h2c) on HTTP. */
		if (http) {
			if (l->allowed_routes != NULL && l->allowed_routes->nkinds > 0) {
				for (size_t k = 0; k < l->allowed_routes->nkinds; k++) {
					const struct gw_route_group_kind *rk =
					    &l->allowed_routes->kinds[k];
					const char *g = rk->group ? rk->group : GW_GROUP;

					if (strcmp(g, GW_GROUP) == 0 &&
					    strcmp(rk->kind, "HTTPRoute") == 0)
						ls[i].allows_httproute = true;
					else if (strcmp(g, GW_GROUP) == 0 &&
					    strcmp(rk->kind, "GRPCRoute") == 0)
						ls[i].allows_grpcroute = true;
					else
						kinds_ok = false;
				}
			} else {
				ls[i].allows_httproute = ls[i].allows_grpcroute = true;
			}
			lst->supported_kinds = ARENA_ARRAY(b->arena, const char *, 2);
			if (ls[i].allows_httproute)
				lst->supported_kinds[lst->nsupported_kinds++] =
				    gw_http_kinds[0];
			if (ls[i].allows_grpcroute)
				lst->supported_kinds[lst->nsupported_kinds++] =
				    gw_http_kinds[1];
		} else if (l4) {
			kinds_ok = gw_tls_listener_kinds(b, l, &ls[i].allows_tlsroute,
			    &ls[i].allows_tcproute, lst);
		}
		if (!kinds_ok)
			gw_listener_condition(b, lst, "ResolvedRefs", false,
			    "InvalidRouteKinds", "allowedRoutes.kinds names a kind "
			    "this listener cannot serve (HTTP and HTTPS listeners "
			    "take HTTPRoute and GRPCRoute, TLS TLSRoute, TCP "
			    "TCPRoute)");
		else
			gw_listener_condition(b, lst, "ResolvedRefs", true,
			    "ResolvedRefs", "every reference resolved");
		if (proto_conflict || conflict) {
			gw_listener_condition(b, lst, "Conflicted", true,
			    proto_conflict ? "ProtocolConflict" : "HostnameConflict",
			    proto_conflict ? "another listener uses this port with "
			    "another protocol" : "another listener has this port and "
			    "hostname");
			gw_listener_condition(b, lst, "Accepted", false,
			    proto_conflict ? "ProtocolConflict" : "HostnameConflict",
			    "conflicted");
			gw_listener_condition(b, lst, "Programmed", false, "Invalid",
			    "conflicted");
			dag_status_warning(b, st, "ListenerError", proto_conflict ?
			    "ProtocolConflict" : "HostnameConflict", &l->origin,
			    "listener \"%s\" (port %d) conflicts with another "
			    "listener of this Gateway", l->name, (int)l->port);
			continue;
		}
		gw_listener_condition(b, lst, "Conflicted", false, "NoConflicts",
		    "no conflicts");
		if (!http && !l4) {
			gw_listener_condition(b, lst, "Accepted", false,
			    "UnsupportedProtocol", "unknown protocol");
			gw_listener_condition(b, lst, "Programmed", false, "Invalid",
			    "not accepted");
			dag_status_warning(b, st, "ListenerError", "UnsupportedProtocol",
			    &l->origin, "listener \"%s\": protocol \"%s\" is not "
			    "served", l->name, l->protocol);
			continue;
		}
		ls[i].accepted = true;
		naccepted++;
		/* HTTPS and TLS: certificates and client validation. Routes
		 * still attach to a listener whose references do not resolve;
		 * it gets no filter chain (Programmed False). */
		if ((https || strcmp(l->protocol, "TLS") == 0) &&
		    !gw_tls_listener(b, o, l, &ls[i].tls, &tls_reason, &tls_msg)) {
			gw_listener_condition(b, lst, "ResolvedRefs", false,
			    tls_reason, tls_msg);
			gw_listener_condition(b, lst, "Accepted", true, "Accepted",
			    "accepted");
			gw_listener_condition(b, lst, "Programmed", false, "Invalid",
			    "its TLS references do not resolve");
			dag_status_warning(b, st, "ListenerError", tls_reason,
			    &l->origin, "listener \"%s\": %s", l->name, tls_msg);
			nunprogrammed++;
			continue;
		}
		gw_listener_condition(b, lst, "Accepted", true, "Accepted",
		    "accepted");
		gw_listener_condition(b, lst, "Programmed", true, "Programmed",
		    "programmed");
	}
	s->listeners[gi] = ls;
	if (naccepted == 0) {
		gw_condition_push(b->arena, &gs->conditions, &gs->nconditions,
		    "Accepted", false, "ListenersNotValid", "no listener is valid");
		gw_condition_push(b->arena, &gs->conditions, &gs->nconditions,
		    "Programmed", false, "Invalid", "no listener is valid");
		dag_status_error(b, st, DAG_STATUS_INVALID, "Accepted",
		    "ListenersNotValid", NULL, "no listener can be served");
		return;
	}
	/* Some listeners invalid: Accepted True, reason ListenersNotValid
	 * (the API's rule when the rest can be served). */
	gw_condition_push(b->arena, &gs->conditions, &gs->nconditions,
	    "Accepted", true, naccepted < gw->nlisteners ? "ListenersNotValid" :
	    "Accepted", naccepted < gw->nlisteners ? "some listeners are not "
	    "valid; the others are served" : "accepted");
	/* Accepted listeners whose TLS does not resolve serve nothing: with
	 * no other, the Gateway is not programmed either. */
	if (nunprogrammed == naccepted)
		gw_condition_push(b->arena, &gs->conditions, &gs->nconditions,
		    "Programmed", false, "Invalid", "no listener could be "
		    "programmed: their TLS references do not resolve");
	else
		gw_condition_push(b->arena, &gs->conditions, &gs->nconditions,
		    "Programmed", true, "Programmed", "programmed");
	gw_gateway_tls_status(b, o, st, gs);
}

static void
gw_gateways(struct gw_state *s)
{
	struct builder *b = s->b;

	s->gateway_served = ARENA_ARRAY(b->arena, bool, s->ngateways + 1);
	s->listeners = ARENA_ARRAY(b->arena, struct gw_listener_state *,
	    s->ngateways + 1);
	for (size_t i = 0; i < s->ngateways; i++) {
		const struct object *o = s->gateways[i];

		s->gateway_served[i] = false;
		s->listeners[i] = NULL;
		if (dag_kind_shadowed(b, OBJ_GATEWAY, s->gateways, i))
			continue;
		if (!gw_class_served(s, o->u.gateway.gateway_class_name)) {
			dag_status_warning(b, s->gateway_status[i], "Valid", "NotServed",
			    NULL, "GatewayClass \"%s\" is not served by cairn "
			    "(no such class in the source root, or its controllerName "
			    "is not %s)", o->u.gateway.gateway_class_name,
			    DAG_GATEWAY_CONTROLLER);
			continue;
		}
		s->gateway_served[i] = true;
		gw_gateway_listeners(s, i);
	}
}

/* The served Gateway ns/name, as an index, or -1. */
ssize_t
gw_gateway_index(const struct gw_state *s, const char *ns, const char *name)
{
	dag_lookup_note_gateway(s->b, ns, name);
	for (size_t i = 0; i < s->ngateways; i++)
		if (s->gateway_served[i] &&
		    strcmp(s->gateways[i]->meta.namespace, ns) == 0 &&
		    strcmp(s->gateways[i]->meta.name, name) == 0)
			return (ssize_t)i;
	return -1;
}

void
gateways_build(struct builder *b)
{
	struct gw_state s = { .b = b };
	size_t n, *st, nserved = 0, ngi;
	struct gw_ref *drefs = NULL;
	size_t c0 = b->dag->nclusters, e0 = b->dag->nendpoints;
	bool *attached;

	s.classes = gw_collect(b, OBJ_GATEWAYCLASS, &s.nclasses, &s.class_status);
	s.namespaces = gw_collect(b, OBJ_NAMESPACE, &s.nnamespaces, &st);
	s.grants = gw_collect(b, OBJ_REFERENCEGRANT, &s.ngrants, &st);
	gw_collect(b, OBJ_CONFIGMAP, &n, &st);
	s.policies = gw_tls_policies_build(b);
	s.gateways = gw_collect(b, OBJ_GATEWAY, &s.ngateways, &s.gateway_status);
	s.httproutes = gw_collect(b, OBJ_HTTPROUTE, &s.nhttproutes,
	    &s.httproute_status);
	/* GRPCRoutes follow, as the HTTPRoutes they mean. */
	{
		size_t ng, *gst, cap = s.nhttproutes;
		struct object **grpc = gw_collect(b, OBJ_GRPCROUTE, &ng, &gst);
		size_t *sts = s.httproute_status;

		/* Without GRPCRoutes the HTTPRoutes' statuses are the array. */
		if (ng > 0) {
			sts = ARENA_ARRAY(b->arena, size_t, s.nhttproutes + ng + 1);
			if (s.nhttproutes > 0)
				memcpy(sts, s.httproute_status,
				    s.nhttproutes * sizeof *sts);
		}
		for (size_t i = 0; i < ng; i++) {
			if (dag_kind_shadowed(b, OBJ_GRPCROUTE, grpc, i))
				continue;
			sts[s.nhttproutes] = gst[i];
			ARENA_PUSH(b->arena, s.httproutes, s.nhttproutes, cap,
			    gw_grpc_as_http(b, grpc[i]));
		}
		s.httproute_status = sts;
	}
	/* TLSRoutes, then TCPRoutes. */
	{
		size_t nt, nc, *tst, *cst, cap;
		struct object **t = gw_collect(b, OBJ_TLSROUTE, &nt, &tst);
		struct object **c = gw_collect(b, OBJ_TCPROUTE, &nc, &cst);

		cap = nt + nc + 1;
		if (nt + nc > 0) {
			s.l4routes = ARENA_ARRAY(b->arena, struct object *, cap);
			s.l4route_status = ARENA_ARRAY(b->arena, size_t, cap);
		}
		for (size_t i = 0; i < nt + nc; i++) {
			struct object **arr = i < nt ? t : c;
			size_t k = i < nt ? i : i - nt;

			if (dag_kind_shadowed(b, i < nt ? OBJ_TLSROUTE :
			    OBJ_TCPROUTE, arr, k))
				continue;
			s.l4route_status[s.nl4routes] = i < nt ? tst[k] : cst[k];
			ARENA_PUSH(b->arena, s.l4routes, s.nl4routes, cap, arr[k]);
		}
	}
	if (s.nclasses + s.ngateways + s.nhttproutes + s.nl4routes == 0)
		return;
	gw_classes(&s);
	gw_gateways(&s);
	attached = ARENA_ARRAY(b->arena, bool, s.nhttproutes + 1);
	memset(attached, 0, (s.nhttproutes + 1) * sizeof *attached);
	s.attached = attached;
	for (size_t i = 0; i < s.ngateways; i++)
		nserved += s.gateway_served[i];
	b->dag->gateways = ARENA_ARRAY(b->arena, struct dag_gateway, nserved + 1);
	/* Kept resolutions need a group whose clusters are all Gateway
	 * routes' (see gw_route_memo). */
	if (b->gw_memo != NULL && c0 == 0 && e0 == 0 && s.nhttproutes > 0) {
		gw_contexts(&s);
		gw_route_units(&s);
		/* GRPCRoutes are made anew each build (gw_grpc_as_http) and
		 * TLS or TCP routes share clusters by the build's index: the
		 * routes' part is patched without them only. */
		s.record = b->nkind_objs[OBJ_GRPCROUTE] == 0 && s.nl4routes == 0;
	}
	/* Each HTTPRoute for every Gateway (the first pass also reports
	 * parents cairn does not serve), then sorted by Gateway and
	 * precedence. */
	ngi = s.ngateways > 0 ? s.ngateways : 1;
	s.nentries = 0;
	/* Mostly one run per route (one host, one port): room at once. */
	s.runs_cap = s.nhttproutes + 16;
	s.runs = xreallocarray(NULL, s.runs_cap, sizeof *s.runs);
	if (s.record && gw_patch_begin(&s))
		n = s.ntodo;
	else {
		n = s.nhttproutes;
		if (s.record)
			gw_record_start(&s);
	}
	for (size_t t = 0; t < n; t++) {
		size_t ri = s.patch ? s.todo[t] : t;

		/* GRPCRoutes were filtered when collected. */
		if (s.httproutes[ri]->kind == OBJ_HTTPROUTE &&
		    dag_kind_shadowed(b, OBJ_HTTPROUTE, s.httproutes, ri)) {
			if (s.httproutes[ri]->u.httproute.nparent_refs == 0)
				dag_status_error(b, s.httproute_status[ri],
				    DAG_STATUS_ORPHANED, "Accepted",
				    "NoMatchingParent", NULL, "no parentRefs: the "
				    "route is attached to no Gateway");
			continue;
		}
		if (s.route_units != NULL)
			gw_route_memo(&s, ri, ngi);
		else
			gw_route_resolve(&s, ri, ngi);
	}
	/* Routes resolved in this build (not kept): their runs. */
	if (s.nentries > 0) {
		drefs = xreallocarray(NULL, s.nentries, sizeof *drefs);
		for (size_t i = 0; i < s.nentries; i++)
			drefs[i] = gw_ref_of(&s.entries[i]);
		if (s.nentries > 1)
			qsort(drefs, s.nentries, sizeof drefs[0], gw_entry_cmp);
		gw_runs_split(drefs, s.nentries, &s.runs, &s.nruns, &s.runs_cap);
	}
	/* Pushed in route order, the resolved routes' last: in order but
	 * for those where hosts sort as their routes. */
	if (s.patch)
		gw_patch_runs_sort(&s);
	else {
		sorted_sort(s.runs, s.nruns, sizeof s.runs[0], gw_run_cmp);
		if (s.record)
			s.run_same = xcalloc(s.nruns + 1, sizeof *s.run_same);
	}
	/* One Gateway at a time: its TLS and TCP routes, its ports. */
	for (size_t gi = 0, e = 0; gi < ngi; gi++) {
		size_t from = e;

		while (e < s.nruns && s.runs[e].gi == gi)
			e++;
		s.nl4 = 0;
		for (size_t ri = 0; ri < s.nl4routes; ri++) {
			const struct l4route *lr = &s.l4routes[ri]->u.l4route;

			for (size_t p = 0; p < lr->nparent_refs; p++)
				gw_l4_route_parent(&s, ri, &lr->parent_refs[p], gi);
		}
		if (gi < s.ngateways && s.gateway_served[gi])
			gw_assemble(&s, gi, &b->dag->gateways[b->dag->ngateways++],
			    from, e);
	}
	gw_patch_finish(&s);
	free(s.run_same);
	free(s.entries);
	free(drefs);
	free(s.runs);
	free(s.tmp);
	free(s.l4);
	free(s.attach);
	/* s.ns_key and s.ns_ctx are the memo's (gw_contexts). */
	/* Clusters and endpoints first made for Gateway routes: only
	 * Gateway nodes get them (the arrays are sorted after this). Kept
	 * ones are already marked, and shared: not written again. */
	for (size_t i = c0; !s.patch && i < b->dag->nclusters; i++)
		if (!b->dag->clusters[i]->gateway_only)
			b->dag->clusters[i]->gateway_only = true;
	for (size_t i = e0; !s.patch && i < b->dag->nendpoints; i++)
		if (!b->dag->endpoints[i]->gateway_only)
			b->dag->endpoints[i]->gateway_only = true;
	for (size_t ri = 0; ri < s.nl4routes; ri++)
		if (s.l4routes[ri]->u.l4route.nparent_refs == 0)
			dag_status_error(b, s.l4route_status[ri], DAG_STATUS_ORPHANED,
			    "Accepted", "NoMatchingParent", NULL,
			    "no parentRefs: the route is attached to no Gateway");
}
