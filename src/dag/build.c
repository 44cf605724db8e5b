/* objects -> DAG, with Contour's semantics and status reasons for
 * HTTPProxy, Service and Endpoints. */
#include "dag/dag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

const char *
dag_status_name(enum dag_status s)
{
	switch (s) {
	case DAG_STATUS_VALID:
		return "valid";
	case DAG_STATUS_INVALID:
		return "invalid";
	case DAG_STATUS_ORPHANED:
		return "orphaned";
	}
	return "unknown";
}

size_t
dag_count_status(const struct dag *dag, enum dag_status s)
{
	size_t n = 0;

	for (size_t i = 0; i < dag->nstatuses; i++)
		n += dag->statuses[i].status == s;
	return n;
}

/* Build-time state: lookup tables over the input and growing outputs. */
struct builder {
	struct dag *dag;
	struct arena *arena;
	struct object *const *objs;
	size_t nobjs;
	struct object **services, **endpoints, **proxies; /* sorted by ns/name */
	size_t nservices, nendpoints, nproxies;
	size_t vhosts_cap, clusters_cap, endpoints_cap, statuses_cap;
};

static int
object_cmp(const void *a, const void *b)
{
	const struct object *x = *(struct object *const *)a;
	const struct object *y = *(struct object *const *)b;
	int c = strcmp(x->meta.namespace, y->meta.namespace);

	if (c == 0)
		c = strcmp(x->meta.name, y->meta.name);
	if (c == 0)
		c = strcmp(x->meta.origin.file, y->meta.origin.file);
	if (c == 0)
		c = x->meta.origin.line - y->meta.origin.line;
	return c;
}

static struct object *
object_find(struct object **arr, size_t n, const char *ns, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ns, arr[mid]->meta.namespace);

		if (c == 0)
			c = strcmp(name, arr[mid]->meta.name);
		if (c == 0) {
			/* Step back to the first of equal names: the winner. */
			while (mid > 0 && strcmp(arr[mid - 1]->meta.namespace, ns) == 0 &&
			    strcmp(arr[mid - 1]->meta.name, name) == 0)
				mid--;
			return arr[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Statuses are referred to by index while building: the array grows. */
static size_t
status_add(struct builder *b, const struct object *o)
{
	struct dag *dag = b->dag;
	struct dag_object_status st = {
		.kind = o->kind,
		.namespace = o->meta.namespace,
		.name = o->meta.name,
		.origin = o->meta.origin,
		.status = DAG_STATUS_VALID,
		.description = "valid",
	};

	ARENA_PUSH(b->arena, dag->statuses, dag->nstatuses, b->statuses_cap, st);
	return dag->nstatuses - 1;
}

static void __attribute__((format(printf, 7, 8)))
status_error(struct builder *b, size_t idx, enum dag_status status,
    const char *type, const char *reason, const struct origin *where,
    const char *fmt, ...)
{
	struct dag_object_status *st = &b->dag->statuses[idx];
	struct dag_condition c = { .type = type, .reason = reason };
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	c.message = arena_strdup(b->arena, buf);
	c.origin = where ? *where : st->origin;
	/* Orphaned never downgrades invalid: invalid is the stronger verdict. */
	if (st->status != DAG_STATUS_INVALID)
		st->status = status;
	st->description = c.message;
	ARENA_PUSH(b->arena, st->conditions, st->nconditions, st->cap, c);
}

/* Gather objects of one kind, sorted by namespace/name. Two objects of the
 * same kind and name conflict: with no API server to refuse the second,
 * the one from the earlier file wins and the other is invalid. */
static struct object **
collect_kind(struct builder *b, enum obj_kind kind, size_t *nout)
{
	struct object **arr = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < b->nobjs; i++)
		if (b->objs[i]->kind == kind)
			ARENA_PUSH(b->arena, arr, n, cap, b->objs[i]);
	if (n > 1)
		qsort(arr, n, sizeof arr[0], object_cmp);
	*nout = n;
	return arr;
}

static bool
is_shadowed_duplicate(struct object **arr, size_t i)
{
	return i > 0 && strcmp(arr[i - 1]->meta.namespace, arr[i]->meta.namespace) == 0 &&
	    strcmp(arr[i - 1]->meta.name, arr[i]->meta.name) == 0;
}

static void
report_duplicates(struct builder *b, struct object **arr, size_t n,
    size_t *status_idx)
{
	for (size_t i = 0; i < n; i++) {
		struct object *first;

		if (!is_shadowed_duplicate(arr, i))
			continue;
		first = object_find(arr, n, arr[i]->meta.namespace, arr[i]->meta.name);
		status_error(b, status_idx[i], DAG_STATUS_INVALID, "Valid",
		    "DuplicateObject", NULL,
		    "%s %s/%s is already defined at %s:%d:%d",
		    obj_kind_name(arr[i]->kind), arr[i]->meta.namespace,
		    arr[i]->meta.name, first->meta.origin.file,
		    first->meta.origin.line, first->meta.origin.col);
	}
}

static const struct svc_port *
service_port_find(const struct service *svc, int32_t port)
{
	for (size_t i = 0; i < svc->nports; i++)
		if (svc->ports[i].port == port)
			return &svc->ports[i];
	return NULL;
}

static int
endpoint_cmp(const void *a, const void *b)
{
	const struct dag_endpoint *x = a, *y = b;
	int c = strcmp(x->ip, y->ip);

	if (c)
		return c;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* Endpoints of one service port: subsets' ports match the service port by
 * name (both unnamed for a single-port service), as kube-proxy does. */
static struct dag_endpoints *
endpoints_for(struct builder *b, const struct object *svc_obj,
    const struct svc_port *sp)
{
	struct dag *dag = b->dag;
	const char *port_id = sp->name && sp->name[0] ? sp->name :
	    arena_printf(b->arena, "%d", sp->port);
	char *name = arena_printf(b->arena, "%s/%s/%s", svc_obj->meta.namespace,
	    svc_obj->meta.name, port_id);
	const char *want = sp->name ? sp->name : "";
	struct object *ep_obj;
	struct dag_endpoints *de;
	size_t cap = 0;

	for (size_t i = 0; i < dag->nendpoints; i++)
		if (strcmp(dag->endpoints[i]->name, name) == 0)
			return dag->endpoints[i];
	de = ARENA_NEW(b->arena, struct dag_endpoints);
	de->name = name;
	ep_obj = object_find(b->endpoints, b->nendpoints, svc_obj->meta.namespace,
	    svc_obj->meta.name);
	for (size_t s = 0; ep_obj && s < ep_obj->u.endpoints.nsubsets; s++) {
		const struct ep_subset *sub = &ep_obj->u.endpoints.subsets[s];

		for (size_t p = 0; p < sub->nports; p++) {
			const char *have = sub->ports[p].name ? sub->ports[p].name : "";

			if (strcmp(have, want) != 0)
				continue;
			for (size_t a = 0; a < sub->naddresses; a++) {
				struct dag_endpoint e = {
					.ip = sub->addresses[a].ip,
					.port = (uint32_t)sub->ports[p].port,
				};

				ARENA_PUSH(b->arena, de->items, de->n, cap, e);
			}
		}
	}
	if (de->n > 1)
		qsort(de->items, de->n, sizeof de->items[0], endpoint_cmp);
	ARENA_PUSH(b->arena, dag->endpoints, dag->nendpoints, b->endpoints_cap, de);
	return de;
}

/* Contour names clusters <ns>/<svc>/<port>/<hash of the upstream options>,
 * so two routes asking different things of one service get two clusters. */
static struct dag_cluster *
cluster_for(struct builder *b, const struct object *svc_obj,
    const struct svc_port *sp)
{
	struct dag *dag = b->dag;
	const char *options = ""; /* no per-route upstream options yet */
	char hex[17], *name;
	struct dag_cluster *c;

	hash_hex(hash_bytes(options, strlen(options)), hex);
	hex[10] = '\0';
	name = arena_printf(b->arena, "%s/%s/%d/%s", svc_obj->meta.namespace,
	    svc_obj->meta.name, sp->port, hex);
	for (size_t i = 0; i < dag->nclusters; i++)
		if (strcmp(dag->clusters[i]->name, name) == 0)
			return dag->clusters[i];
	c = ARENA_NEW(b->arena, struct dag_cluster);
	c->name = name;
	c->namespace = svc_obj->meta.namespace;
	c->service = svc_obj->meta.name;
	c->port = (uint32_t)sp->port;
	c->endpoints = endpoints_for(b, svc_obj, sp);
	ARENA_PUSH(b->arena, dag->clusters, dag->nclusters, b->clusters_cap, c);
	return c;
}

static void
header_match_add(struct builder *b, struct dag_route *r, size_t *cap,
    const struct hp_header_match *h)
{
	struct dag_header_match m = {
		.name = h->name,
		.ignore_case = h->ignore_case,
	};

	if (h->present || h->notpresent) {
		m.kind = DAG_HEADER_PRESENT;
		m.invert = h->notpresent;
	} else if (h->exact || h->notexact) {
		m.kind = DAG_HEADER_EXACT;
		m.value = h->exact ? h->exact : h->notexact;
		m.invert = h->notexact != NULL;
	} else if (h->contains || h->notcontains) {
		m.kind = DAG_HEADER_CONTAINS;
		m.value = h->contains ? h->contains : h->notcontains;
		m.invert = h->notcontains != NULL;
	} else {
		m.kind = DAG_HEADER_REGEX;
		m.value = h->regex;
	}
	ARENA_PUSH(b->arena, r->headers, r->nheaders, *cap, m);
}

/* A route's conditions: at most one path condition (prefix, exact or
 * regex), any number of header conditions. Returns -1 with a status error
 * when the conditions cannot be combined. */
static int
route_conditions(struct builder *b, size_t st, const struct hp_route *hr,
    struct dag_route *r)
{
	size_t hcap = 0;
	int npath = 0;

	r->path_kind = DAG_PATH_PREFIX;
	r->path = "/";
	for (size_t i = 0; i < hr->nconditions; i++) {
		const struct hp_condition *c = &hr->conditions[i];

		if (c->prefix || c->exact || c->regex) {
			if (++npath > 1) {
				status_error(b, st, DAG_STATUS_INVALID, "RouteError",
				    "PathMatchConditionsNotValid", &c->origin,
				    "route: more than one path condition (prefix, exact, regex) is not allowed in a condition block");
				return -1;
			}
			if (c->prefix) {
				if (c->prefix[0] != '/') {
					status_error(b, st, DAG_STATUS_INVALID, "RouteError",
					    "PathMatchConditionsNotValid", &c->origin,
					    "route: prefix conditions must start with /, %s was supplied",
					    c->prefix);
					return -1;
				}
				r->path_kind = DAG_PATH_PREFIX;
				r->path = c->prefix;
			} else if (c->exact) {
				if (c->exact[0] != '/') {
					status_error(b, st, DAG_STATUS_INVALID, "RouteError",
					    "PathMatchConditionsNotValid", &c->origin,
					    "route: exact conditions must start with /, %s was supplied",
					    c->exact);
					return -1;
				}
				r->path_kind = DAG_PATH_EXACT;
				r->path = c->exact;
			} else {
				r->path_kind = DAG_PATH_REGEX;
				r->path = c->regex;
			}
		}
		if (c->header)
			header_match_add(b, r, &hcap, c->header);
	}
	return 0;
}

/* Resolve a route's services to clusters. Unresolvable services are
 * reported and skipped; when none is left the route answers 503, as
 * Contour does, so the rest of the virtual host keeps working. */
static void
route_services(struct builder *b, size_t st, const struct object *proxy,
    const struct hp_route *hr, struct dag_route *r)
{
	size_t cap = 0;
	uint32_t total = 0;

	for (size_t i = 0; i < hr->nservices; i++) {
		const struct hp_service *s = &hr->services[i];
		struct object *svc = object_find(b->services, b->nservices,
		    proxy->meta.namespace, s->name);
		const struct svc_port *sp;
		struct dag_weighted_cluster wc;

		if (svc == NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "ServiceUnresolvedReference", &s->origin,
			    "Spec.Routes unresolved service reference: service \"%s/%s\" not found",
			    proxy->meta.namespace, s->name);
			continue;
		}
		sp = service_port_find(&svc->u.service, s->port);
		if (sp == NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "ServiceUnresolvedReference", &s->origin,
			    "Spec.Routes unresolved service reference: port \"%d\" on service \"%s/%s\" not matched",
			    s->port, proxy->meta.namespace, s->name);
			continue;
		}
		wc.cluster = cluster_for(b, svc, sp);
		wc.weight = s->weight;
		total += s->weight;
		ARENA_PUSH(b->arena, r->clusters, r->nclusters, cap, wc);
	}
	/* All weights unset or zero: Contour splits traffic evenly. */
	if (total == 0)
		for (size_t i = 0; i < r->nclusters; i++)
			r->clusters[i].weight = 1;
	if (r->nclusters == 0)
		r->direct_status = 503;
}

static int
route_cmp(const void *a, const void *b)
{
	const struct dag_route *x = a, *y = b;
	size_t xl = strlen(x->path), yl = strlen(y->path);
	int c;

	if (x->path_kind != y->path_kind)
		return x->path_kind < y->path_kind ? -1 : 1;
	if (xl != yl)
		return xl > yl ? -1 : 1; /* longest first */
	if ((c = strcmp(x->path, y->path)) != 0)
		return c;
	if (x->nheaders != y->nheaders)
		return x->nheaders > y->nheaders ? -1 : 1; /* most specific first */
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
vhost_build(struct builder *b, size_t st, const struct object *proxy)
{
	const struct httpproxy *hp = &proxy->u.httpproxy;
	struct dag_vhost vh = {
		.fqdn = hp->virtualhost->fqdn,
		.proxy_namespace = proxy->meta.namespace,
		.proxy_name = proxy->meta.name,
	};
	size_t cap = 0;

	for (size_t i = 0; i < hp->nroutes; i++) {
		const struct hp_route *hr = &hp->routes[i];
		struct dag_route r = { .order = i };

		if (hr->nservices == 0) {
			status_error(b, st, DAG_STATUS_INVALID, "RouteError",
			    "NoServicesPresent", &hr->origin,
			    "route.services must have at least one entry");
			return;
		}
		if (route_conditions(b, st, hr, &r) < 0)
			return;
		route_services(b, st, proxy, hr, &r);
		ARENA_PUSH(b->arena, vh.routes, vh.nroutes, cap, r);
	}
	if (vh.nroutes > 1)
		qsort(vh.routes, vh.nroutes, sizeof vh.routes[0], route_cmp);
	ARENA_PUSH(b->arena, b->dag->vhosts, b->dag->nvhosts, b->vhosts_cap, vh);
}

static int
vhost_cmp(const void *a, const void *b)
{
	const struct dag_vhost *x = a, *y = b;

	return strcmp(x->fqdn, y->fqdn);
}

static int
cluster_ptr_cmp(const void *a, const void *b)
{
	const struct dag_cluster *x = *(struct dag_cluster *const *)a;
	const struct dag_cluster *y = *(struct dag_cluster *const *)b;

	return strcmp(x->name, y->name);
}

static int
endpoints_ptr_cmp(const void *a, const void *b)
{
	const struct dag_endpoints *x = *(struct dag_endpoints *const *)a;
	const struct dag_endpoints *y = *(struct dag_endpoints *const *)b;

	return strcmp(x->name, y->name);
}

/* Root proxies claim FQDNs. A FQDN claimed by two roots belongs to
 * neither (Contour's DuplicateVhost): serving either would let one team
 * take over another's host by adding a file. */
static void
proxies_build(struct builder *b)
{
	size_t *st = arena_alloc(b->arena, sizeof *st * (b->nproxies + 1));

	for (size_t i = 0; i < b->nproxies; i++)
		st[i] = status_add(b, b->proxies[i]);
	report_duplicates(b, b->proxies, b->nproxies, st);
	for (size_t i = 0; i < b->nproxies; i++) {
		struct object *p = b->proxies[i];
		const char *fqdn;
		bool duplicate = false;
		struct strbuf_like {
			char buf[1024];
			size_t len;
		} owners = { .len = 0 };

		if (is_shadowed_duplicate(b->proxies, i))
			continue;
		if (p->u.httpproxy.virtualhost == NULL) {
			status_error(b, st[i], DAG_STATUS_ORPHANED, "Valid", "Orphaned",
			    NULL,
			    "this HTTPProxy is not part of a delegation chain from a root HTTPProxy");
			continue;
		}
		fqdn = p->u.httpproxy.virtualhost->fqdn;
		for (size_t j = 0; j < b->nproxies; j++) {
			struct object *q = b->proxies[j];

			if (is_shadowed_duplicate(b->proxies, j) ||
			    q->u.httpproxy.virtualhost == NULL ||
			    strcmp(q->u.httpproxy.virtualhost->fqdn, fqdn) != 0)
				continue;
			if (j != i)
				duplicate = true;
			if (owners.len < sizeof owners.buf - 1)
				owners.len += (size_t)snprintf(owners.buf + owners.len,
				    sizeof owners.buf - owners.len, "%s%s/%s",
				    owners.len ? ", " : "", q->meta.namespace,
				    q->meta.name);
		}
		if (duplicate) {
			status_error(b, st[i], DAG_STATUS_INVALID, "VirtualHostError",
			    "DuplicateVhost", &p->u.httpproxy.virtualhost->origin,
			    "fqdn \"%s\" is used in multiple HTTPProxies: %s", fqdn,
			    owners.buf);
			continue;
		}
		vhost_build(b, st[i], p);
	}
}

static void
plain_statuses(struct builder *b, struct object **arr, size_t n)
{
	size_t *st = arena_alloc(b->arena, sizeof *st * (n + 1));

	for (size_t i = 0; i < n; i++)
		st[i] = status_add(b, arr[i]);
	report_duplicates(b, arr, n, st);
}

static int
status_cmp(const void *a, const void *b)
{
	const struct dag_object_status *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->namespace, y->namespace)) != 0)
		return c;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	if ((c = strcmp(x->origin.file, y->origin.file)) != 0)
		return c;
	return x->origin.line - y->origin.line;
}

struct dag *
dag_build(struct object *const *objs, size_t nobjs,
    const struct cairn_config *cfg)
{
	struct dag *dag = xcalloc(1, sizeof *dag);
	struct builder b = { .dag = dag, .arena = &dag->arena, .objs = objs,
		.nobjs = nobjs };

	(void)cfg;
	arena_init(&dag->arena);
	b.services = collect_kind(&b, OBJ_SERVICE, &b.nservices);
	b.endpoints = collect_kind(&b, OBJ_ENDPOINTS, &b.nendpoints);
	b.proxies = collect_kind(&b, OBJ_HTTPPROXY, &b.nproxies);

	plain_statuses(&b, b.services, b.nservices);
	plain_statuses(&b, b.endpoints, b.nendpoints);
	proxies_build(&b);

	if (dag->nvhosts > 1)
		qsort(dag->vhosts, dag->nvhosts, sizeof dag->vhosts[0], vhost_cmp);
	if (dag->nclusters > 1)
		qsort(dag->clusters, dag->nclusters, sizeof dag->clusters[0],
		    cluster_ptr_cmp);
	if (dag->nendpoints > 1)
		qsort(dag->endpoints, dag->nendpoints, sizeof dag->endpoints[0],
		    endpoints_ptr_cmp);
	if (dag->nstatuses > 1)
		qsort(dag->statuses, dag->nstatuses, sizeof dag->statuses[0],
		    status_cmp);
	return dag;
}

void
dag_free(struct dag *dag)
{
	if (dag == NULL)
		return;
	arena_free(&dag->arena);
	free(dag);
}
