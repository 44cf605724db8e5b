/* Gateway API precedence and port assembly (gateway.c runs them): the
 * order of HTTP route entries across routes (Gateway API's precedence
 * rules), runs of one route per host, and each served Gateway's ports
 * (virtual hosts from the sorted runs, TLS and TCP chains by SNI). Apart
 * from route resolution because this part runs every build, over kept
 * and fresh resolutions alike. */
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

int
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

struct gw_ref
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
void
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
int
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

/* Whether run k's host is run k - 1's: from what a patched build knows
 * (gw_patch_runs_sort), else compared, and kept for the next build. */
static bool
gw_run_same_host(struct gw_state *s, size_t k)
{
	bool same;

	if (s->run_same != NULL && s->run_same_known)
		return s->run_same[k];
	same = strcmp(s->runs[k].host, s->runs[k - 1].host) == 0;
	if (s->run_same != NULL)
		s->run_same[k] = same;
	return same;
}

/* The entries of one Gateway (sorted) into its ports and hosts. */
void
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
			if (k == start || !gw_run_same_host(s, k))
				nv++;
		gp->vhosts = ARENA_ARRAY(b->arena, struct dag_vhost, nv + 1);
		for (size_t k = start, next; k < e; k = next) {
			struct dag_vhost *vh = &gp->vhosts[gp->nvhosts++];
			size_t n = 0;

			/* Equal hosts are neighbours: next's host is k's as
			 * long as each is the one before's. */
			for (next = k + 1; next < e && gw_run_same_host(s, next);
			    next++)
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
