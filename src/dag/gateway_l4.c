/* Gateway API TLSRoutes and TCPRoutes (gateway.c runs them): each
 * parentRef matched to a TLS or TCP listener, its backends as one TCP
 * proxy, one filter chain per route and port. Apart from the HTTP routes
 * because they make chains, not virtual host routes, and are never kept
 * by the route memo. */
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
void
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
			nhosts = gw_route_hosts_add(l->hostname, lr->hostnames,
			    lr->nhostnames, hosts, nhosts);
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
	gw_parent_close(b, ps, p, ns, st, by_section, by_allowed, by_host, NULL,
	    rr_reason, rr_msg);
}
