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
 * ordered by the API's precedence rules. */
#include "dag/build_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "dag/gateway_tls.h"
#include "util/duration.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define GW_GROUP "gateway.networking.k8s.io"

/* A listener while routes are attached. */
struct gw_listener_state {
	const struct gw_listener *l;
	bool accepted; /* protocol served, no conflict: routes may attach */
	bool allows_httproute, allows_grpcroute;
	size_t status; /* index in the gateway's gw status listeners */
	/* HTTPS, TLS, TCP (gateway_tls.c): the route kinds they take, and
	 * the TLS chain their certificates make (none: no config). */
	bool allows_tlsroute, allows_tcproute;
	struct dag_gw_chain *tls;
};

/* A TLSRoute or TCPRoute on one port: one filter chain. */
struct gw_l4_entry {
	uint32_t port;
	const char *host; /* SNI (TLSRoute); NULL: any */
	struct dag_gw_chain chain;
	size_t route_index;
};

/* A route of one virtual host of one port, before the precedence sort. */
struct gw_route_entry {
	struct dag_route r;
	const char *host; /* the virtual host */
	size_t gi; /* the Gateway's index */
	uint32_t port;
	bool has_method;
	size_t nheader_matches, nquery_matches;
	size_t route_index, rule_index, match_index; /* ties: oldest first */
};

/* An entry as it is sorted: its route by reference. */
struct gw_ref {
	const struct dag_route *r;
	const char *host;
	size_t gi;
	uint32_t port;
	bool has_method;
	size_t nheader_matches, nquery_matches;
	size_t route_index, rule_index, match_index;
};

/* The entries of one route for one host of one port of one Gateway, in
 * precedence order. routes: their dag_routes as a virtual host holds
 * them (order 0..n-1), shared by every build that keeps the route's
 * resolution; NULL: copied into the host. */
struct gw_run {
	size_t gi;
	uint32_t port;
	const char *host;
	size_t route_index;
	const struct gw_ref *refs;
	size_t n;
	const struct dag_route *routes;
};

struct gw_state {
	struct builder *b;
	struct object **classes, **gateways, **httproutes, **namespaces, **grants;
	size_t nclasses, ngateways, nhttproutes, nnamespaces, ngrants;
	size_t *class_status, *gateway_status, *httproute_status;
	bool *gateway_served;
	struct gw_listener_state **listeners; /* per gateway */
	struct gw_route_entry *entries; /* resolved in this build */
	size_t nentries, entries_cap;
	struct gw_run *runs; /* every HTTP route's, then sorted */
	size_t nruns, runs_cap;
	struct gw_ref *tmp; /* a host's refs while its routes are merged */
	size_t tmp_cap;
	/* TLSRoutes and TCPRoutes, and their chains per gateway (reset). */
	struct object **l4routes;
	size_t nl4routes, *l4route_status;
	struct gw_l4_entry *l4;
	size_t nl4, l4_cap;
	/* BackendTLSPolicies (gateway_tls.c), and the Gateway whose routes
	 * are being resolved (a policy's ancestor). */
	struct gw_tls_policies *policies;
	const struct object *ancestor;
	/* HTTPRoutes kept between builds (gw_memo): each route's unit (0:
	 * not kept), what every route of this build reads beside its own
	 * file, the listeners an HTTPRoute being resolved attaches to
	 * (recorded when attach_rec), the holders this DAG borrows. */
	uint64_t *route_units;
	uint64_t context; /* of everything but routes and namespaced objects */
	uint64_t *ns_key, *ns_ctx; /* per namespace: its objects' versions */
	size_t ns_cap;
	bool attach_rec;
	struct gw_attach *attach;
	size_t nattach, attach_cap, holds_cap;
	bool *attached;
};

/* A listener an HTTPRoute attached to: its attachedRoutes counts it. */
struct gw_attach {
	size_t gi, li;
};

static struct dag_gw_status *
gw_status(struct builder *b, size_t st)
{
	struct dag_object_status *s = &b->dag->statuses[st];

	if (s->gw == NULL)
		s->gw = ARENA_NEW(b->arena, struct dag_gw_status);
	return s->gw;
}

static void
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
	struct object **arr = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i < b->nobjs; i++)
		if (b->objs[i]->kind == kind)
			ARENA_PUSH(b->arena, arr, *n, cap, b->objs[i]);
	if (*n > 1)
		qsort(arr, *n, sizeof arr[0], gw_object_cmp);
	if (st != NULL) {
		*st = ARENA_ARRAY(b->arena, size_t, *n + 1);
		for (size_t i = 0; i < *n; i++)
			(*st)[i] = dag_status_add(b, arr[i]);
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
static bool
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
static const char *
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
		if (dag_object_is_shadowed(s->gateways, i))
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
static ssize_t
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
		const struct referencegrant *g = &o->u.referencegrant;
		bool from = false, to = false;

		if (strcmp(o->meta.namespace, to_ns) != 0)
			continue;
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

/* One backendRef to a cluster; NULL with reason and message (ResolvedRefs
 * False) when it cannot be used. */
static struct dag_cluster *
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
		dc = service_cluster(b, ns, be->name, be->port, NULL,
		    grpc || tls ? &opts : NULL, &why);
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
			r->redirect = d;
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
				r->regex_rewrite = "^/.*$";
				r->regex_substitution = u->path->replace_full_path;
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
					r->regex_rewrite = arena_printf(b->arena,
					    "^%s/*", gw_regex_literal(b->arena, prefix));
					r->regex_substitution = rep;
				} else {
					r->prefix_rewrite = rep;
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
		r->path = arena_strndup(b->arena, value, len);
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
		r->retry = rp;
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
			if (proto->mirrors == NULL)
				proto->mirrors = ARENA_ARRAY(b->arena,
				    struct dag_mirror, rule->nfilters);
			m = &proto->mirrors[proto->nmirrors++];
			m->cluster = dc;
			gw_mirror_share(f->request_mirror, &m->numerator,
			    &m->denominator);
		} else if (strcmp(f->type, "CORS") == 0) {
			const char *why;

			proto->cors = gw_cors_policy(b, f->cors, &why);
			if (proto->cors == NULL)
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

static int
gw_entry_cmp(const void *a, const void *b)
{
	const struct gw_ref *x = a, *y = b;
	size_t xl, yl;
	int c;

	if (x->gi != y->gi)
		return x->gi < y->gi ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	/* Gateway API precedence: Exact before the rest (then
	 * RegularExpression, then PathPrefix: docs/decisions.md), the longest
	 * path first, a method match, the most header matches, the most query
	 * matches, then the oldest route (namespace/name order), rule, match. */
	if (x->r->path_kind != y->r->path_kind)
		return x->r->path_kind < y->r->path_kind ? -1 : 1;
	xl = strlen(x->r->path);
	yl = strlen(y->r->path);
	if (xl != yl)
		return xl > yl ? -1 : 1;
	if (x->has_method != y->has_method)
		return x->has_method ? -1 : 1;
	if (x->nheader_matches != y->nheader_matches)
		return x->nheader_matches > y->nheader_matches ? -1 : 1;
	if (x->nquery_matches != y->nquery_matches)
		return x->nquery_matches > y->nquery_matches ? -1 : 1;
	if (x->route_index != y->route_index)
		return x->route_index < y->route_index ? -1 : 1;
	if (x->rule_index != y->rule_index)
		return x->rule_index < y->rule_index ? -1 : 1;
	return x->match_index < y->match_index ? -1 : x->match_index > y->match_index;
}

static struct gw_ref
gw_ref_of(const struct gw_route_entry *e)
{
	return (struct gw_ref){ .r = &e->r, .host = e->host, .gi = e->gi,
		.port = e->port, .has_method = e->has_method,
		.nheader_matches = e->nheader_matches,
		.nquery_matches = e->nquery_matches, .route_index = e->route_index,
		.rule_index = e->rule_index, .match_index = e->match_index };
}

/* Runs of sorted refs[0..n) (one per Gateway, port and host) pushed to
 * *runs; routes left NULL. */
static void
gw_runs_split(const struct gw_ref *refs, size_t n, struct gw_run **runs,
    size_t *nruns, size_t *cap)
{
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && refs[j].gi == refs[i].gi &&
		    refs[j].port == refs[i].port &&
		    strcmp(refs[j].host, refs[i].host) == 0; j++)
			;
		ARRAY_PUSH(*runs, *nruns, *cap, ((struct gw_run){ .gi = refs[i].gi,
		    .port = refs[i].port, .host = refs[i].host,
		    .route_index = refs[i].route_index, .refs = &refs[i],
		    .n = j - i }));
	}
}

/* Runs by Gateway, port, host, then route (the oldest first). */
static int
gw_run_cmp(const void *a, const void *b)
{
	const struct gw_run *x = a, *y = b;
	int c;

	if (x->gi != y->gi)
		return x->gi < y->gi ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	return x->route_index < y->route_index ? -1 :
	    x->route_index > y->route_index;
}

/* The parent status of parentRef p of route in this pass, or NULL when
 * this pass is not the one to write it. Statuses are written in the pass
 * of the parent's own Gateway (gi_want), or once in the first pass for a
 * parent cairn does not serve (NoMatchingParent; NULL too). *gi: the
 * Gateway's index. */
static struct dag_gw_parent_status *
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
			for (size_t h = 0; h < hr->nhostnames; h++) {
				const char *x = gw_hostname_intersect(l->hostname,
				    hr->hostnames[h]);
				bool dup = false;

				for (size_t k = 0; x && k < nhosts; k++)
					dup = dup || strcmp(hosts[k], x) == 0;
				if (x != NULL && !dup)
					hosts[nhosts++] = x;
			}
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
		*attached_any = true;
	}
	if (rr_reason != NULL)
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "ResolvedRefs", false, rr_reason, rr_msg);
	else
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "ResolvedRefs", true, "ResolvedRefs", "every reference resolved");
	arena_release(&b->scratch, &mark);
}

/* --- TLSRoute, TCPRoute ------------------------------------------------------ */

/* The backendRefs of every rule of L4 route `route` (status st) as one
 * TCP proxy, by weight; with policies, BackendTLSPolicies apply. The first
 * problem is the parent's ResolvedRefs. */
static struct dag_tcpproxy *
gw_l4_backends(struct gw_state *s, const struct object *route, size_t st,
    bool policies, const char **rr_reason, const char **rr_msg)
{
	struct builder *b = s->b;
	const struct l4route *lr = &route->u.l4route;
	struct gw_tls_policies *saved = s->policies;
	struct dag_tcpproxy *tp = ARENA_NEW(b->arena, struct dag_tcpproxy);
	size_t nrefs = 0;

	for (size_t r = 0; r < lr->nrules; r++)
		nrefs += lr->rules[r].nbackend_refs;
	tp->clusters = ARENA_ARRAY(b->arena, struct dag_weighted_cluster,
	    nrefs + 1);
	if (!policies)
		s->policies = NULL;
	for (size_t r = 0; r < lr->nrules; r++)
		for (size_t k = 0; k < lr->rules[r].nbackend_refs; k++) {
			const struct gw_backend_ref *be =
			    &lr->rules[r].backend_refs[k];
			uint32_t w = be->has_weight ? (uint32_t)be->weight : 1;
			const char *reason = NULL, *msg = NULL;
			struct dag_cluster *dc = gw_backend(s, route, be, &reason,
			    &msg);

			if (dc == NULL) {
				/* The second pass reports only what policies
				 * add. */
				if (policies && strcmp(reason,
				    "InvalidBackendTLSPolicy") != 0)
					continue;
				if (*rr_reason == NULL) {
					*rr_reason = reason;
					*rr_msg = msg;
				}
				dag_status_warning(b, st, "ResolvedRefs", reason,
				    &be->origin, "%s", msg);
				continue;
			}
			if (w > 0)
				tp->clusters[tp->nclusters++] =
				    (struct dag_weighted_cluster){ .cluster = dc,
				    .weight = w };
		}
	s->policies = saved;
	return tp;
}

/* One parentRef of TLSRoute or TCPRoute ri: a filter chain per hostname
 * of each listener that takes it (TCP: one, without SNI), forwarding to
 * the backendRefs of every rule by weight. */
static void
gw_l4_route_parent(struct gw_state *s, size_t ri, const struct gw_parent_ref *p,
    size_t gi_want)
{
	struct builder *b = s->b;
	const struct object *route = s->l4routes[ri];
	const struct l4route *lr = &route->u.l4route;
	bool tlsroute = route->kind == OBJ_TLSROUTE;
	size_t st = s->l4route_status[ri];
	struct dag_gw_status *gs = gw_status(b, st);
	struct dag_gw_parent_status *ps;
	const char *ns = p->namespace ? p->namespace : route->meta.namespace;
	ssize_t gi;
	const struct object *gwo;
	bool by_section = false, by_allowed = false, by_host = false;
	const char *rr_reason = NULL, *rr_msg = NULL;
	struct dag_tcpproxy *tp, *tp_tls = NULL;

	if ((ps = gw_parent_open(s, gs, p, route, st, gi_want, &gi)) == NULL)
		return;
	gwo = s->gateways[gi];
	s->ancestor = gwo;

	/* The backends of every rule, once per parent: as they are for
	 * passthrough and TCP (the stream is not cairn's to encrypt), with
	 * BackendTLSPolicies for chains that terminate TLS. */
	tp = gw_l4_backends(s, route, st, false, &rr_reason, &rr_msg);

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
		if (!ls->accepted || !(tlsroute ? ls->allows_tlsroute :
		    ls->allows_tcproute) ||
		    !gw_namespace_allowed(s, gwo, l, route->meta.namespace))
			continue;
		by_allowed = true;
		hosts = ARENA_ARRAY(b->arena, const char *, lr->nhostnames + 1);
		if (!tlsroute || lr->nhostnames == 0) {
			hosts[nhosts++] = l->hostname; /* NULL: any SNI */
		} else {
			for (size_t h = 0; h < lr->nhostnames; h++) {
				const char *x = gw_hostname_intersect(l->hostname,
				    lr->hostnames[h]);
				bool dup = false;

				for (size_t k = 0; x && k < nhosts; k++)
					dup = dup || strcmp(hosts[k], x) == 0;
				if (x != NULL && !dup)
					hosts[nhosts++] = x;
			}
		}
		if (nhosts == 0)
			continue;
		by_host = true;
		lst->attached_routes++;
		/* No backend: no chain, so Envoy closes the connection (the
		 * API's "reject"); a listener whose TLS did not resolve has
		 * nothing to terminate with. */
		if (tlsroute && ls->tls == NULL)
			continue;
		if (tlsroute && ls->tls->ncertificates > 0 && tp_tls == NULL)
			tp_tls = gw_l4_backends(s, route, st, true, &rr_reason,
			    &rr_msg);
		for (size_t h = 0; h < nhosts; h++) {
			struct gw_l4_entry e = { .port = (uint32_t)l->port,
				.host = hosts[h], .route_index = ri };

			if (tlsroute)
				e.chain = *ls->tls;
			e.chain.server_name = hosts[h];
			e.chain.tcpproxy = e.chain.ncertificates > 0 ? tp_tls : tp;
			if (e.chain.tcpproxy->nclusters == 0)
				continue;
			ARRAY_PUSH(s->l4, s->nl4, s->l4_cap, e);
		}
	}
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
	} else {
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "Accepted", true, "Accepted", "accepted");
	}
	if (rr_reason != NULL)
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "ResolvedRefs", false, rr_reason, rr_msg);
	else
		gw_condition_push(b->arena, &ps->conditions, &ps->nconditions,
		    "ResolvedRefs", true, "ResolvedRefs", "every reference resolved");
}

/* Chains by SNI, the one without last; of equal SNIs the oldest route's
 * (namespace/name order) first, as for HTTP routes. */
static int
gw_chain_cmp(const void *a, const void *b)
{
	const struct gw_l4_entry *x = a, *y = b;
	int c;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((x->host == NULL) != (y->host == NULL))
		return x->host == NULL ? 1 : -1;
	if (x->host != NULL && (c = strcmp(x->host, y->host)) != 0)
		return c;
	return x->route_index < y->route_index ? -1 : x->route_index > y->route_index;
}

/* The filter chains of port gp of Gateway gi: its HTTPS listeners', or
 * the TLSRoutes' and TCPRoutes' (s->l4, sorted). The first chain of an
 * SNI keeps it: Envoy refuses two chains with one match. */
static void
gw_port_chains(struct gw_state *s, size_t gi, struct dag_gw_port *gp)
{
	struct builder *b = s->b;
	const struct gateway *gw = &s->gateways[gi]->u.gateway;
	struct gw_l4_entry *tmp = ARENA_ARRAY(b->arena, struct gw_l4_entry,
	    gw->nlisteners + s->nl4 + 1);
	size_t n = 0;

	if (strcmp(gp->protocol, "HTTPS") == 0) {
		for (size_t i = 0; i < gw->nlisteners; i++) {
			const struct gw_listener_state *ls = &s->listeners[gi][i];

			if (ls->accepted && ls->tls != NULL &&
			    (uint32_t)ls->l->port == gp->port)
				tmp[n++] = (struct gw_l4_entry){ .port = gp->port,
				    .host = ls->tls->server_name, .chain = *ls->tls,
				    .route_index = i };
		}
		if (n > 1)
			qsort(tmp, n, sizeof tmp[0], gw_chain_cmp);
	} else {
		for (size_t i = 0; i < s->nl4; i++)
			if (s->l4[i].port == gp->port)
				tmp[n++] = s->l4[i];
	}
	gp->chains = ARENA_ARRAY(b->arena, struct dag_gw_chain, n + 1);
	for (size_t i = 0, won = 0; i < n; i++) {
		if (i > 0 && (tmp[i].host == NULL ? tmp[i - 1].host == NULL :
		    tmp[i - 1].host != NULL &&
		    strcmp(tmp[i].host, tmp[i - 1].host) == 0)) {
			/* Said on the route that loses, where its owner looks
			 * (HTTPS chains are listeners': never two alike). */
			const struct object *w = strcmp(gp->protocol, "HTTPS") != 0 ?
			    s->l4routes[tmp[won].route_index] : NULL;

			if (w != NULL && tmp[i].route_index != tmp[won].route_index)
				dag_status_warning(b, s->l4route_status[tmp[i].route_index],
				    "Accepted", "Conflicted", NULL, "port %u%s%s is "
				    "served by %s %s/%s (the first by namespace/name)",
				    gp->port, tmp[i].host ? ", SNI " : "",
				    tmp[i].host ? tmp[i].host : "",
				    obj_kind_name(w->kind), w->meta.namespace,
				    w->meta.name);
			continue;
		}
		won = i;
		gp->chains[gp->nchains++] = tmp[i].chain;
	}
}

/* The entries of one Gateway (sorted) into its ports and hosts. */
static void
gw_assemble(struct gw_state *s, size_t gi, struct dag_gateway *out,
    size_t e, size_t stop)
{
	struct builder *b = s->b;
	const struct object *o = s->gateways[gi];
	const struct gateway *gw = &o->u.gateway;
	uint32_t *ports = ARENA_ARRAY(b->arena, uint32_t, gw->nlisteners + 1);
	size_t nports = 0;

	out->namespace = o->meta.namespace;
	out->name = o->meta.name;
	out->address = "0.0.0.0";
	for (size_t i = 0; i < gw->naddresses; i++)
		if ((gw->addresses[i].type == NULL ||
		    strcmp(gw->addresses[i].type, "IPAddress") == 0) &&
		    gw->addresses[i].value != NULL) {
			out->address = gw->addresses[i].value;
			break;
		}
	/* Every accepted listener's port, even with no route yet: Envoy
	 * answers 404 there, as the Gateway is Programmed. */
	for (size_t i = 0; i < gw->nlisteners; i++) {
		bool seen = false;

		if (!s->listeners[gi][i].accepted)
			continue;
		for (size_t k = 0; k < nports; k++)
			seen = seen || ports[k] == (uint32_t)gw->listeners[i].port;
		if (!seen)
			ports[nports++] = (uint32_t)gw->listeners[i].port;
	}
	for (size_t i = 1; i < nports; i++)
		for (size_t k = i; k > 0 && ports[k - 1] > ports[k]; k--) {
			uint32_t t = ports[k];

			ports[k] = ports[k - 1];
			ports[k - 1] = t;
		}
	if (s->nl4 > 1)
		qsort(s->l4, s->nl4, sizeof s->l4[0], gw_chain_cmp);
	out->ports = ARENA_ARRAY(b->arena, struct dag_gw_port, nports + 1);
	out->nports = nports;
	for (size_t pi = 0; pi < nports; pi++) {
		struct dag_gw_port *gp = &out->ports[pi];
		size_t start = e, nv = 0;

		memset(gp, 0, sizeof *gp);
		gp->port = ports[pi];
		gp->protocol = "HTTP";
		for (size_t i = 0; i < gw->nlisteners; i++)
			if (s->listeners[gi][i].accepted &&
			    (uint32_t)gw->listeners[i].port == gp->port) {
				gp->protocol = gw->listeners[i].protocol;
				break;
			}
		if (strcmp(gp->protocol, "HTTP") != 0)
			gw_port_chains(s, gi, gp);
		gp->name = arena_printf(b->arena, "gw/%s/%s/%u", out->namespace,
		    out->name, gp->port);
		while (e < stop && s->runs[e].port == gp->port)
			e++;
		for (size_t k = start; k < e; k++)
			if (k == start || strcmp(s->runs[k].host,
			    s->runs[k - 1].host) != 0)
				nv++;
		gp->vhosts = ARENA_ARRAY(b->arena, struct dag_vhost, nv + 1);
		for (size_t k = start, next; k < e; k = next) {
			struct dag_vhost *vh = &gp->vhosts[gp->nvhosts++];
			size_t n = 0;

			for (next = k + 1; next < e && strcmp(s->runs[next].host,
			    s->runs[k].host) == 0; next++)
				;
			memset(vh, 0, sizeof *vh);
			vh->fqdn = s->runs[k].host;
			vh->proxy_namespace = out->namespace;
			vh->proxy_name = out->name;
			vh->owner_kind = OBJ_GATEWAY;
			/* One route's host as it was kept: its routes as they
			 * are (the same addresses as in the last build). */
			if (next == k + 1 && s->runs[k].routes != NULL) {
				vh->routes = (struct dag_route *)s->runs[k].routes;
				vh->nroutes = s->runs[k].n;
				continue;
			}
			for (size_t i = k; i < next; i++)
				n += s->runs[i].n;
			if (n > s->tmp_cap) {
				s->tmp_cap = 2 * n;
				s->tmp = xreallocarray(s->tmp, s->tmp_cap,
				    sizeof *s->tmp);
			}
			n = 0;
			for (size_t i = k; i < next; i++)
				for (size_t j = 0; j < s->runs[i].n; j++) {
					s->tmp[n] = s->runs[i].refs[j];
					s->tmp[n++].route_index = s->runs[i].route_index;
				}
			/* Several routes' runs: merged by precedence. */
			if (next > k + 1)
				qsort(s->tmp, n, sizeof s->tmp[0], gw_entry_cmp);
			vh->routes = ARENA_ARRAY(b->arena, struct dag_route, n);
			for (size_t i = 0; i < n; i++) {
				vh->routes[i] = *s->tmp[i].r;
				vh->routes[i].order = i;
			}
			vh->nroutes = n;
		}
	}
}

const struct dag_gateway *
dag_gateway_find(const struct dag *dag, const char *ns, const char *name)
{
	for (size_t i = 0; i < dag->ngateways; i++)
		if (strcmp(dag->gateways[i].namespace, ns) == 0 &&
		    strcmp(dag->gateways[i].name, name) == 0)
			return &dag->gateways[i];
	return NULL;
}

/* A GRPCRoute as the HTTPRoute it means (GEP-1016): a method match is a
 * path match on /<service>/<method> (a service alone: the prefix
 * /<service>, by segments), the rest is shared. The object keeps kind
 * GRPCRoute (status, ReferenceGrant, h2c clusters). */
static struct object *
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

/* --- HTTPRoutes kept between builds ------------------------------------------
 *
 * The Gateway's group holds every route naming it (parts.c), so a change
 * to one route builds the group again. What a route resolves to (its
 * entries for each listener, the clusters and endpoints its backends
 * make, its own status, the listeners it counts in) depends on its file
 * and on the group's other objects but not on other HTTPRoutes: kept per
 * route file version, valid while the rest of the group (the context:
 * every object of the group but HTTPRoutes) is the same. Each is resolved
 * into an arena of its own (a holder DAG, referenced by every DAG that
 * uses it), so its dag_route arrays keep their addresses. Only the
 * precedence sort across routes and the assembly of each port remain
 * per build. Off where a route could read more: the TLS group
 * (BackendTLSPolicies, certificate verdicts that change with time) and
 * groups whose HTTPProxies or Ingresses made clusters first (a route
 * would share theirs). */

struct gw_kept {
	struct gw_ref *refs; /* sorted; their routes are those of runs */
	size_t nrefs;
	struct gw_run *runs; /* route_index set when used */
	size_t nruns;
	struct gw_attach *attach;
	size_t nattach;
	struct dag_cluster **clusters;
	size_t nclusters;
	struct dag_endpoints **endpoints;
	size_t nendpoints;
	struct dag_object_status status; /* cap == nconditions */
	bool attached;
};

struct gw_memo_slot {
	uint64_t unit; /* the route's file version; 0 = empty */
	const struct object *route;
	uint64_t context;
	struct dag *holder; /* a reference; its arena holds kept */
	const struct gw_kept *kept;
};

struct gw_memo {
	struct gw_memo_slot *slots; /* open addressing, cap a power of 2 */
	size_t n, cap;
	size_t live; /* n after the last sweep */
	size_t resolved, kept;
};

struct gw_memo *
gw_memo_new(void)
{
	return xcalloc(1, sizeof(struct gw_memo));
}

void
gw_memo_clear(struct gw_memo *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].unit != 0)
			dag_free(m->slots[i].holder);
	free(m->slots);
	m->slots = NULL;
	m->n = m->cap = m->live = 0;
}

void
gw_memo_free(struct gw_memo *m)
{
	if (m == NULL)
		return;
	gw_memo_clear(m);
	free(m);
}

void
gw_memo_take_stats(struct gw_memo *m, size_t *resolved, size_t *kept)
{
	*resolved = m->resolved;
	*kept = m->kept;
	m->resolved = m->kept = 0;
}

static size_t
gw_memo_hash(uint64_t unit, const struct object *route)
{
	uint64_t v[2] = { unit, (uint64_t)(uintptr_t)route };

	return (size_t)hash_bytes(v, sizeof v);
}

static struct gw_memo_slot *
gw_memo_slot(struct gw_memo_slot *slots, size_t cap, uint64_t unit,
    const struct object *route)
{
	size_t j = gw_memo_hash(unit, route) & (cap - 1);

	while (slots[j].unit != 0 && (slots[j].unit != unit ||
	    slots[j].route != route))
		j = (j + 1) & (cap - 1);
	return &slots[j];
}

static void
gw_memo_rehash(struct gw_memo *m, size_t cap)
{
	struct gw_memo_slot *slots = xcalloc(cap, sizeof *slots);

	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].unit != 0)
			*gw_memo_slot(slots, cap, m->slots[i].unit,
			    m->slots[i].route) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

static const struct gw_memo_slot *
gw_memo_find(const struct gw_memo *m, uint64_t unit, const struct object *route)
{
	const struct gw_memo_slot *e;

	if (m->cap == 0)
		return NULL;
	e = gw_memo_slot(m->slots, m->cap, unit, route);
	return e->unit != 0 ? e : NULL;
}

/* Keeps kept (in holder, whose reference it takes) for route. */
static void
gw_memo_put(struct gw_memo *m, uint64_t unit, const struct object *route,
    uint64_t context, struct dag *holder, const struct gw_kept *kept)
{
	struct gw_memo_slot *e;

	if ((m->n + 1) * 2 > m->cap)
		gw_memo_rehash(m, m->cap ? m->cap * 2 : 1024);
	e = gw_memo_slot(m->slots, m->cap, unit, route);
	if (e->unit != 0)
		dag_free(e->holder);
	else
		m->n++;
	*e = (struct gw_memo_slot){ unit, route, context, holder, kept };
}

void
gw_memo_sweep(struct gw_memo *m, bool (*live)(void *ctx, uint64_t unit),
    void *ctx)
{
	size_t n = 0;

	if (m->n <= m->live + m->live / 4 + 64)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		struct gw_memo_slot *e = &m->slots[i];

		if (e->unit == 0)
			continue;
		if (!live(ctx, e->unit)) {
			dag_free(e->holder);
			e->unit = 0;
			continue;
		}
		n++;
	}
	m->n = n;
	gw_memo_rehash(m, m->cap); /* the holes break probe chains */
	m->live = n;
}

static uint64_t
gw_mix(uint64_t h, uint64_t a, uint64_t b)
{
	uint64_t v[3] = { h, a, b };

	return hash_bytes(v, sizeof v);
}

static uint64_t
gw_ns_key(const char *ns)
{
	uint64_t k = hash_bytes(ns, strlen(ns));

	return k ? k : 1;
}

/* The slot of namespace key k in s->ns_key (open addressing). */
static size_t
gw_ns_slot(const struct gw_state *s, uint64_t k)
{
	size_t j = (size_t)k & (s->ns_cap - 1);

	while (s->ns_key[j] != 0 && s->ns_key[j] != k)
		j = (j + 1) & (s->ns_cap - 1);
	return j;
}

/* What routes read beside their own file, as versions of files: the
 * Services, Endpoints, EndpointSlices and ReferenceGrants of each
 * namespace (a route reads those of its own and its backends'
 * namespaces), and every other object of the group but routes (the
 * Gateways, their classes, Namespaces' labels...): s->context. */
static void
gw_contexts(struct gw_state *s)
{
	struct builder *b = s->b;

	const char *ns = NULL;
	size_t j = 0;

	s->context = b->gw_context;
	for (s->ns_cap = 64; s->ns_cap < 2 * (b->nobjs + 1); s->ns_cap *= 2)
		;
	s->ns_key = xcalloc(s->ns_cap, sizeof *s->ns_key);
	s->ns_ctx = xcalloc(s->ns_cap, sizeof *s->ns_ctx);
	for (size_t i = 0; i < b->nobjs; i++) {
		const struct object *o = b->objs[i];

		switch (o->kind) {
		case OBJ_HTTPROUTE:
		case OBJ_GRPCROUTE:
		case OBJ_TLSROUTE:
		case OBJ_TCPROUTE:
			break;
		case OBJ_SERVICE:
		case OBJ_ENDPOINTS:
		case OBJ_ENDPOINTSLICE:
		case OBJ_REFERENCEGRANT:
			/* A file's objects mostly share their namespace. */
			if (ns == NULL || strcmp(ns, o->meta.namespace) != 0) {
				ns = o->meta.namespace;
				j = gw_ns_slot(s, gw_ns_key(ns));
				s->ns_key[j] = gw_ns_key(ns);
			}
			s->ns_ctx[j] = gw_mix(s->ns_ctx[j], b->obj_units[i],
			    (uint64_t)o->kind);
			break;
		default:
			s->context = gw_mix(s->context, b->obj_units[i],
			    (uint64_t)o->kind);
			break;
		}
	}
}

static uint64_t
gw_ns_context(const struct gw_state *s, uint64_t h, const char *ns)
{
	size_t j = gw_ns_slot(s, gw_ns_key(ns));

	return gw_mix(h, gw_ns_key(ns), s->ns_ctx[j]);
}

/* The context of HTTPRoute o: s->context and its namespaces'. */
static uint64_t
gw_route_context(const struct gw_state *s, const struct object *o)
{
	const struct httproute *hr = &o->u.httproute;
	uint64_t h = gw_ns_context(s, s->context, o->meta.namespace);

	for (size_t r = 0; r < hr->nrules; r++) {
		const struct gw_http_rule *rule = &hr->rules[r];

		for (size_t k = 0; k < rule->nbackend_refs; k++)
			if (rule->backend_refs[k].namespace != NULL)
				h = gw_ns_context(s, h,
				    rule->backend_refs[k].namespace);
		for (size_t f = 0; f < rule->nfilters; f++)
			if (rule->filters[f].request_mirror != NULL &&
			    rule->filters[f].request_mirror->backend_ref->
			    namespace != NULL)
				h = gw_ns_context(s, h, rule->filters[f].
				    request_mirror->backend_ref->namespace);
	}
	return h;
}

static int
gw_ptr_unit_cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* The unit of each HTTPRoute of s (parallel to s->httproutes). */
static void
gw_route_units(struct gw_state *s)
{
	struct builder *b = s->b;
	uintptr_t *pairs = xreallocarray(NULL, 2 * (b->nobjs + 1), sizeof *pairs);
	size_t n = 0;

	for (size_t i = 0; i < b->nobjs; i++)
		if (b->objs[i]->kind == OBJ_HTTPROUTE) {
			pairs[2 * n] = (uintptr_t)b->objs[i];
			pairs[2 * n + 1] = (uintptr_t)b->obj_units[i];
			n++;
		}
	if (n > 1)
		qsort(pairs, n, 2 * sizeof *pairs, gw_ptr_unit_cmp);
	s->route_units = ARENA_ARRAY(b->arena, uint64_t, s->nhttproutes + 1);
	for (size_t ri = 0; ri < s->nhttproutes; ri++) {
		uintptr_t key = (uintptr_t)s->httproutes[ri];
		const uintptr_t *hit = s->httproutes[ri]->kind != OBJ_HTTPROUTE ?
		    NULL : bsearch(&key, pairs, n, 2 * sizeof *pairs,
		    gw_ptr_unit_cmp);

		s->route_units[ri] = hit != NULL ? (uint64_t)hit[1] : 0;
	}
	free(pairs);
}

/* Every parentRef of HTTPRoute ri, for each Gateway (ngi passes). */
static void
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

/* A kept resolution of route ri into this build: its status, entries,
 * listener counts, clusters and endpoints (one per name: an equal one
 * made by an earlier route stays). */
static void
gw_kept_use(struct gw_state *s, size_t ri, struct dag *holder,
    const struct gw_kept *k)
{
	struct builder *b = s->b;

	b->dag->statuses[s->httproute_status[ri]] = k->status;
	s->attached[ri] = k->attached;
	for (size_t i = 0; i < k->nruns; i++) {
		struct gw_run run = k->runs[i];

		run.route_index = ri;
		ARRAY_PUSH(s->runs, s->nruns, s->runs_cap, run);
	}
	for (size_t i = 0; i < k->nattach; i++)
		gw_status(b, s->gateway_status[k->attach[i].gi])->
		    listeners[k->attach[i].li].attached_routes++;
	if (b->cluster_index.cap == 0)
		dag_strmap_reserve(b->arena, &b->cluster_index, b->nservices + 4);
	for (size_t i = 0; i < k->nclusters; i++)
		if (dag_strmap_get(&b->cluster_index, k->clusters[i]->name) == NULL) {
			dag_strmap_put(b->arena, &b->cluster_index,
			    k->clusters[i]->name, k->clusters[i]);
			ARENA_PUSH(b->arena, b->dag->clusters, b->dag->nclusters,
			    b->clusters_cap, k->clusters[i]);
		}
	if (b->endpoints_index.cap == 0)
		dag_strmap_reserve(b->arena, &b->endpoints_index, b->nservices + 4);
	for (size_t i = 0; i < k->nendpoints; i++)
		if (dag_strmap_get(&b->endpoints_index, k->endpoints[i]->name) ==
		    NULL) {
			dag_strmap_put(b->arena, &b->endpoints_index,
			    k->endpoints[i]->name, k->endpoints[i]);
			ARENA_PUSH(b->arena, b->dag->endpoints, b->dag->nendpoints,
			    b->endpoints_cap, k->endpoints[i]);
		}
	ARENA_PUSH(b->arena, b->dag->holds, b->dag->nholds, s->holds_cap,
	    dag_ref(holder));
}

static bool
gw_status_untouched(const struct dag_object_status *st)
{
	return st->nconditions == 0 && st->gw == NULL &&
	    st->status == DAG_STATUS_VALID;
}

/* The entries route ri resolved to (s->entries from e0) as sorted refs
 * and runs in the holder's arena (b->arena), each run's routes in one
 * array a virtual host can take as it is. */
static void
gw_kept_runs(struct gw_state *s, struct gw_kept *k, size_t e0)
{
	struct builder *b = s->b;
	struct gw_run *runs = NULL;
	size_t nruns = 0, cap = 0;

	k->nrefs = s->nentries - e0;
	k->refs = ARENA_ARRAY(b->arena, struct gw_ref, k->nrefs + 1);
	for (size_t i = 0; i < k->nrefs; i++)
		k->refs[i] = gw_ref_of(&s->entries[e0 + i]);
	if (k->nrefs > 1)
		qsort(k->refs, k->nrefs, sizeof k->refs[0], gw_entry_cmp);
	gw_runs_split(k->refs, k->nrefs, &runs, &nruns, &cap);
	k->runs = ARENA_ARRAY(b->arena, struct gw_run, nruns + 1);
	k->nruns = nruns;
	for (size_t i = 0; i < nruns; i++) {
		struct dag_route *routes = ARENA_ARRAY(b->arena, struct dag_route,
		    runs[i].n);
		struct gw_ref *refs = k->refs + (runs[i].refs - k->refs);

		for (size_t j = 0; j < runs[i].n; j++) {
			routes[j] = *refs[j].r;
			routes[j].order = j;
			refs[j].r = &routes[j];
		}
		k->runs[i] = runs[i];
		k->runs[i].routes = routes;
	}
	free(runs);
}

/* HTTPRoute ri, from the memo when its file and the context are the same
 * as when it was kept, else resolved into a holder of its own and kept. */
static void
gw_route_memo(struct gw_state *s, size_t ri, size_t ngi)
{
	struct builder *b = s->b;
	struct gw_memo *m = b->gw_memo;
	const struct object *route = s->httproutes[ri];
	uint64_t unit = s->route_units[ri];
	struct dag_object_status *st = &b->dag->statuses[s->httproute_status[ri]];
	const struct gw_memo_slot *e;
	struct dag *holder;
	struct gw_kept *k;
	struct arena *arena = b->arena;
	struct dag_cluster **clusters = b->dag->clusters;
	struct dag_endpoints **endpoints = b->dag->endpoints;
	size_t ncl = b->dag->nclusters, ccap = b->clusters_cap;
	size_t nen = b->dag->nendpoints, ecap = b->endpoints_cap;
	struct strmap cix = b->cluster_index, eix = b->endpoints_index;
	size_t e0 = s->nentries;
	uint64_t context;

	if (unit == 0 || !gw_status_untouched(st)) {
		gw_route_resolve(s, ri, ngi);
		return;
	}
	context = gw_route_context(s, route);
	e = gw_memo_find(m, unit, route);
	if (e != NULL && e->context == context) {
		gw_kept_use(s, ri, e->holder, e->kept);
		m->kept++;
		return;
	}
	/* Resolved with the builder's arena, cluster and endpoint lists
	 * those of the holder: what it makes is the route's alone. */
	holder = xcalloc(1, sizeof *holder);
	/* About 1 KiB per rule (its routes twice: resolved, then as a host
	 * takes them), sized once: a second block would be half empty. */
	arena_init_sized(&holder->arena, 1024 + 1024 *
	    route->u.httproute.nrules);
	b->arena = &holder->arena;
	b->dag->clusters = NULL;
	b->dag->endpoints = NULL;
	b->dag->nclusters = b->dag->nendpoints = 0;
	b->clusters_cap = b->endpoints_cap = 0;
	memset(&b->cluster_index, 0, sizeof b->cluster_index);
	memset(&b->endpoints_index, 0, sizeof b->endpoints_index);
	dag_strmap_reserve(b->arena, &b->cluster_index, 4);
	dag_strmap_reserve(b->arena, &b->endpoints_index, 4);
	s->nattach = 0;
	s->attach_rec = true;
	gw_route_resolve(s, ri, ngi);
	s->attach_rec = false;
	k = ARENA_NEW(b->arena, struct gw_kept);
	k->clusters = b->dag->clusters;
	k->nclusters = b->dag->nclusters;
	k->endpoints = b->dag->endpoints;
	k->nendpoints = b->dag->nendpoints;
	/* Only Gateway routes made them (this group has no other). */
	for (size_t i = 0; i < k->nclusters; i++)
		k->clusters[i]->gateway_only = true;
	for (size_t i = 0; i < k->nendpoints; i++)
		k->endpoints[i]->gateway_only = true;
	gw_kept_runs(s, k, e0);
	k->nattach = s->nattach;
	k->attach = ARENA_ARRAY(b->arena, struct gw_attach, k->nattach + 1);
	if (k->nattach > 0)
		memcpy(k->attach, s->attach, k->nattach * sizeof k->attach[0]);
	k->status = *st;
	k->status.cap = k->status.nconditions; /* an append copies */
	k->attached = s->attached[ri];
	b->arena = arena;
	b->dag->clusters = clusters;
	b->dag->endpoints = endpoints;
	b->dag->nclusters = ncl;
	b->dag->nendpoints = nen;
	b->clusters_cap = ccap;
	b->endpoints_cap = ecap;
	b->cluster_index = cix;
	b->endpoints_index = eix;
	/* The listeners were counted while resolving: counted again below,
	 * as for a kept route. */
	for (size_t i = 0; i < k->nattach; i++)
		gw_status(b, s->gateway_status[k->attach[i].gi])->
		    listeners[k->attach[i].li].attached_routes--;
	s->nentries = e0;
	gw_memo_put(m, unit, route, context, holder, k);
	gw_kept_use(s, ri, holder, k);
	m->resolved++;
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
		size_t *sts = ARENA_ARRAY(b->arena, size_t, s.nhttproutes + ng + 1);

		if (s.nhttproutes > 0)
			memcpy(sts, s.httproute_status, s.nhttproutes * sizeof *sts);
		for (size_t i = 0; i < ng; i++) {
			if (dag_object_is_shadowed(grpc, i))
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

		s.l4routes = ARENA_ARRAY(b->arena, struct object *, nt + nc + 1);
		s.l4route_status = ARENA_ARRAY(b->arena, size_t, nt + nc + 1);
		cap = nt + nc + 1;
		for (size_t i = 0; i < nt + nc; i++) {
			struct object **arr = i < nt ? t : c;
			size_t k = i < nt ? i : i - nt;

			if (dag_object_is_shadowed(arr, k))
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
		/* The Services' index in the DAG's arena, not a route's. */
		(void)dag_object_lookup(b, &b->services_ix, b->services,
		    b->nservices, "", "");
	}
	/* Each HTTPRoute for every Gateway (the first pass also reports
	 * parents cairn does not serve), then sorted by Gateway and
	 * precedence. */
	ngi = s.ngateways > 0 ? s.ngateways : 1;
	s.nentries = 0;
	/* Mostly one run per route (one host, one port): room at once. */
	s.runs_cap = s.nhttproutes + 16;
	s.runs = xreallocarray(NULL, s.runs_cap, sizeof *s.runs);
	for (size_t ri = 0; ri < s.nhttproutes; ri++) {
		/* GRPCRoutes were filtered when collected. */
		if (s.httproutes[ri]->kind == OBJ_HTTPROUTE &&
		    dag_object_is_shadowed(s.httproutes, ri)) {
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
	if (s.nruns > 1)
		qsort(s.runs, s.nruns, sizeof s.runs[0], gw_run_cmp);
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
	free(s.entries);
	free(drefs);
	free(s.runs);
	free(s.tmp);
	free(s.l4);
	free(s.attach);
	free(s.ns_key);
	free(s.ns_ctx);
	/* Clusters and endpoints first made for Gateway routes: only
	 * Gateway nodes get them (the arrays are sorted after this). Kept
	 * ones are already marked, and shared: not written again. */
	for (size_t i = c0; i < b->dag->nclusters; i++)
		if (!b->dag->clusters[i]->gateway_only)
			b->dag->clusters[i]->gateway_only = true;
	for (size_t i = e0; i < b->dag->nendpoints; i++)
		if (!b->dag->endpoints[i]->gateway_only)
			b->dag->endpoints[i]->gateway_only = true;
	for (size_t ri = 0; ri < s.nl4routes; ri++)
		if (s.l4routes[ri]->u.l4route.nparent_refs == 0)
			dag_status_error(b, s.l4route_status[ri], DAG_STATUS_ORPHANED,
			    "Accepted", "NoMatchingParent", NULL,
			    "no parentRefs: the route is attached to no Gateway");
}
