/* Services, Endpoints and EndpointSlices -> clusters and their
 * ClusterLoadAssignments, with Contour's Service annotations
 * (upstream-protocol.*, circuit breakers). A cluster never depends on
 * endpoints, so an endpoint-only change reaches Envoy as EDS only. */
#include "dag/build_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/hash.h"
#include "util/strbuf.h"

static const char *const circuit_breaker_annotations[] = {
	"projectcontour.io/max-connections",
	"projectcontour.io/max-pending-requests",
	"projectcontour.io/max-requests",
	"projectcontour.io/max-retries",
	"projectcontour.io/per-host-max-connections",
};

static const char *const protocol_annotations[] = {
	"projectcontour.io/upstream-protocol.h2",
	"projectcontour.io/upstream-protocol.h2c",
	"projectcontour.io/upstream-protocol.tls",
};

static bool
allow_external_name(const struct builder *b)
{
	return b->opts->allow_external_name;
}

static uint32_t
annotation_u32(const struct object *svc, const char *key)
{
	uint32_t v = 0;

	if (!dag_parse_u32(dag_annotation_get(svc, key), &v))
		return 0;
	return v;
}

/* Does the comma-separated list name this port (by name or number)? */
static bool
port_listed(const char *list, const struct svc_port *sp)
{
	const char *p = list;
	char num[16];

	if (list == NULL) /* the usual case: no such annotation */
		return false;
	snprintf(num, sizeof num, "%d", sp->port);
	while (p != NULL && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *s = p;

		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len > 0 && ((strlen(num) == len && strncmp(num, s, len) == 0) ||
		    (sp->name != NULL && strlen(sp->name) == len &&
		    strncmp(sp->name, s, len) == 0)))
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

/* Contour's toContourProtocol: a port's appProtocol, when set, decides
 * alone (the annotations are not read); *known false for a value Contour
 * does not map (HTTP/1.1 then). */
static const char *
app_protocol(const char *app, bool *known)
{
	static const struct { const char *app, *proto; } map[] = {
		{ "kubernetes.io/h2c", "h2c" },
		{ "kubernetes.io/ws", NULL },
		{ "http", NULL },
		{ "https", "tls" },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(app, map[i].app) == 0) {
			*known = true;
			return map[i].proto;
		}
	*known = false;
	return NULL;
}

/* projectcontour.io/upstream-protocol.{h2,h2c,tls}: "443,https"; a port's
 * appProtocol wins (Contour's upstreamProtocol). */
static const char *
annotation_protocol(const struct object *svc, const struct svc_port *sp)
{
	static const char *const names[] = { "h2", "h2c", "tls" };
	bool known;

	if (sp->app_protocol != NULL)
		return app_protocol(sp->app_protocol, &known);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (port_listed(dag_annotation_get(svc, protocol_annotations[i]), sp))
			return names[i];
	return NULL;
}

static enum dag_protocol
protocol_of(const char *s)
{
	if (s == NULL)
		return DAG_PROTOCOL_DEFAULT;
	if (strcmp(s, "h2") == 0)
		return DAG_PROTOCOL_H2;
	if (strcmp(s, "h2c") == 0)
		return DAG_PROTOCOL_H2C;
	return DAG_PROTOCOL_TLS;
}

/* Problems Contour would silently ignore become warnings here. */
static void
service_check_annotations(struct builder *b, size_t st, const struct object *svc)
{
	const struct service *s = &svc->u.service;

	for (size_t i = 0; i < sizeof circuit_breaker_annotations /
	    sizeof circuit_breaker_annotations[0]; i++) {
		const char *v = dag_annotation_get(svc, circuit_breaker_annotations[i]);
		uint32_t n;

		if (v != NULL && !dag_parse_u32(v, &n))
			dag_status_warning(b, st, "ServiceError", "InvalidAnnotation", NULL,
			    "annotation %s: \"%s\" is not a number (0..4294967295); "
			    "ignored", circuit_breaker_annotations[i], v);
	}
	for (size_t i = 0; i < s->nports; i++) {
		bool known;

		if (s->ports[i].app_protocol == NULL)
			continue;
		(void)app_protocol(s->ports[i].app_protocol, &known);
		if (!known)
			dag_status_warning(b, st, "ServiceError", "InvalidAppProtocol",
			    &s->ports[i].origin, "spec.ports[%zu].appProtocol \"%s\" "
			    "is not one of kubernetes.io/h2c, kubernetes.io/ws, http, "
			    "https: the port is HTTP/1.1", i, s->ports[i].app_protocol);
	}
	for (size_t i = 0; i < sizeof protocol_annotations /
	    sizeof protocol_annotations[0]; i++) {
		const char *v = dag_annotation_get(svc, protocol_annotations[i]);
		const char *p = v;

		while (p != NULL && *p) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			bool found = false;
			char item[64];

			while (len > 0 && *p == ' ') {
				p++;
				len--;
			}
			snprintf(item, sizeof item, "%.*s", (int)len, p);
			for (size_t j = 0; j < s->nports && !found; j++) {
				char num[16];

				snprintf(num, sizeof num, "%d", s->ports[j].port);
				found = strcmp(item, num) == 0 || (s->ports[j].name &&
				    strcmp(item, s->ports[j].name) == 0);
			}
			if (!found && item[0] != '\0')
				dag_status_warning(b, st, "ServiceError", "InvalidAnnotation",
				    NULL, "annotation %s: the Service has no port \"%s\"",
				    protocol_annotations[i], item);
			p = comma ? comma + 1 : NULL;
		}
	}
}

static void
service_check(struct builder *b, size_t st, const struct object *svc)
{
	const struct service *s = &svc->u.service;

	if (s->type != NULL && strcmp(s->type, "ExternalName") == 0 &&
	    !allow_external_name(b))
		dag_status_error(b, st, DAG_STATUS_INVALID,
		    "ServiceError", "ExternalNameNotAllowed", NULL,
		    "ExternalName Services are disabled by "
		    "policy.allow-external-name in cairn.yaml (an ExternalName "
		    "can send traffic to any host)");
	service_check_annotations(b, st, svc);
}

/* Each Service's own checks. Where the kind's sorted order is kept
 * (a Gateway group), a Service at a kept place that passed them with
 * the same policy passes again: it is not read (a cache miss each,
 * 10,000 at 10k HTTPRoutes). */
void
services_build(struct builder *b)
{
	bool *clean = b->kind_units[OBJ_SERVICE] == NULL ? NULL :
	    gw_memo_order_clean(b->gw_memo, OBJ_SERVICE, b->nservices,
	    allow_external_name(b));

	for (size_t i = 0; i < b->nservices; i++) {
		const struct dag_object_status *st;
		size_t before;

		if (dag_kind_shadowed(b, OBJ_SERVICE, b->services, i) ||
		    (clean != NULL && clean[i]))
			continue;
		st = &b->dag->statuses[b->service_status[i]];
		before = st->nconditions;
		service_check(b, b->service_status[i], b->services[i]);
		if (clean != NULL) {
			st = &b->dag->statuses[b->service_status[i]];
			clean[i] = st->nconditions == before;
		}
	}
}

/* --- endpoints ------------------------------------------------------------- */

static int
endpoint_cmp(const void *a, const void *b)
{
	const struct dag_endpoint *x = a, *y = b;
	int c = strcmp(x->ip, y->ip);

	if (c)
		return c;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* Collected in the build's tables: the array grows from four and is
 * sorted and deduplicated, then endpoints_keep copies what is left. */
static void
endpoints_add(struct builder *b, struct dag_endpoints *de, size_t *cap,
    const char *ip, int32_t port)
{
	struct dag_endpoint e = { .ip = ip, .port = (uint32_t)port };

	ARENA_PUSH(&b->tables, de->items, de->n, *cap, e);
}

/* de's endpoints into the DAG's arena at their number: a kept group held
 * four slots for a Service's one address. */
static void
endpoints_keep(struct builder *b, struct dag_endpoints *de)
{
	de->items = de->n > 0 ? arena_memdup(b->arena, de->items,
	    de->n * sizeof de->items[0]) : NULL;
}

/* An EndpointSlice (elem) against a Service's namespace and name (key). */
static int
slice_key_cmp(const void *key, const void *elem)
{
	const struct object_key *k = key;
	const struct object *o = *(struct object *const *)elem;
	const char *ms = dag_slice_service(o);
	int c = strcmp(k->ns, o->meta.namespace);

	return c != 0 ? c : strcmp(k->name, ms ? ms : "");
}

/* EndpointSlices of one Service: the slice list is sorted by namespace and
 * service-name label. */
static void
endpoints_from_slices(struct builder *b, const struct object *svc_obj,
    const char *want, struct dag_endpoints *de, size_t *cap)
{
	struct object_key k = { svc_obj->meta.namespace, svc_obj->meta.name };
	size_t lo = sorted_search(&k, b->slices, b->nslices, sizeof b->slices[0],
	    slice_key_cmp);

	for (size_t i = lo; i < b->nslices; i++) {
		const struct object *o = b->slices[i];
		const struct endpointslice *es = &o->u.endpointslice;
		const char *ms = dag_slice_service(o);

		if (strcmp(o->meta.namespace, svc_obj->meta.namespace) != 0 ||
		    ms == NULL || strcmp(ms, svc_obj->meta.name) != 0)
			break;
		if (dag_object_is_shadowed(b->slices, i) ||
		    strcmp(es->address_type, "FQDN") == 0)
			continue;
		for (size_t p = 0; p < es->nports; p++) {
			const char *have = es->ports[p].name ? es->ports[p].name : "";

			if (!es->ports[p].has_port || strcmp(have, want) != 0)
				continue;
			for (size_t e = 0; e < es->nendpoints; e++) {
				const struct eps_endpoint *ep = &es->endpoints[e];

				if (ep->has_ready && !ep->ready)
					continue;
				for (size_t a = 0; a < ep->naddresses; a++)
					endpoints_add(b, de, cap, ep->addresses[a],
					    es->ports[p].port);
			}
		}
	}
}

/* Endpoints of one service port: subsets' ports (and EndpointSlices'
 * ports) match the service port by name, both unnamed for a single-port
 * service, as kube-proxy does. */
static void
endpoints_collect(struct builder *b, const struct object *svc_obj,
    const char *want, struct dag_endpoints *de, size_t *capp)
{
	struct object *ep_obj;
	size_t cap = *capp;

	ep_obj = dag_object_lookup(b, &b->endpoints_ix, b->endpoints, b->nendpoints,
	    svc_obj->meta.namespace, svc_obj->meta.name);
	for (size_t s = 0; ep_obj && s < ep_obj->u.endpoints.nsubsets; s++) {
		const struct ep_subset *sub = &ep_obj->u.endpoints.subsets[s];

		for (size_t p = 0; p < sub->nports; p++) {
			const char *have = sub->ports[p].name ? sub->ports[p].name : "";

			if (strcmp(have, want) != 0)
				continue;
			for (size_t a = 0; a < sub->naddresses; a++)
				endpoints_add(b, de, &cap, sub->addresses[a].ip,
				    sub->ports[p].port);
		}
	}
	endpoints_from_slices(b, svc_obj, want, de, &cap);
	*capp = cap;
}

/* Contour's healthPort: each endpoint's health checks go to the port the
 * same address has for the Service's health port (none: its own port). */
static void
endpoints_health_ports(struct builder *b, const struct object *svc_obj,
    const struct svc_port *hsp, struct dag_endpoints *de)
{
	struct dag_endpoints health = { 0 };
	size_t cap = 0;

	endpoints_collect(b, svc_obj, hsp->name ? hsp->name : "", &health, &cap);
	for (size_t i = 0; i < de->n; i++)
		for (size_t j = 0; j < health.n; j++)
			if (strcmp(de->items[i].ip, health.items[j].ip) == 0) {
				de->items[i].health_port = health.items[j].port;
				break;
			}
}

static struct dag_endpoints *
endpoints_for(struct builder *b, const struct object *svc_obj,
    const struct svc_port *sp, const struct svc_port *hsp, const char *name)
{
	struct dag *dag = b->dag;
	const char *want = sp->name ? sp->name : "";
	struct dag_endpoints *de;
	size_t cap = 0, n = 0;

	if ((de = dag_strmap_get(&b->endpoints_index, name)) != NULL)
		return de;
	if (b->endpoints_index.cap == 0)
		dag_strmap_reserve(b->arena, &b->endpoints_index, b->nservices + 4);
	de = ARENA_NEW(b->arena, struct dag_endpoints);
	de->name = name;
	endpoints_collect(b, svc_obj, want, de, &cap);
	if (de->n > 1) {
		qsort(de->items, de->n, sizeof de->items[0], endpoint_cmp);
		/* An address in both an Endpoints and a slice counts once. */
		for (size_t i = 0; i < de->n; i++)
			if (n == 0 || endpoint_cmp(&de->items[n - 1], &de->items[i]) != 0)
				de->items[n++] = de->items[i];
		de->n = n;
	}
	if (hsp != NULL)
		endpoints_health_ports(b, svc_obj, hsp, de);
	endpoints_keep(b, de);
	dag_strmap_put(b->arena, &b->endpoints_index, name, de);
	ARENA_PUSH(b->arena, dag->endpoints, dag->nendpoints, b->endpoints_cap, de);
	return de;
}

/* --- clusters -------------------------------------------------------------- */

static const struct svc_port *
service_port_find(const struct service *svc, int32_t port, const char *name)
{
	for (size_t i = 0; i < svc->nports; i++) {
		if (name != NULL) {
			if (svc->ports[i].name && strcmp(svc->ports[i].name, name) == 0)
				return &svc->ports[i];
		} else if (svc->ports[i].port == port) {
			return &svc->ports[i];
		}
	}
	return NULL;
}

/* Everything that makes two clusters of one service port differ, as
 * text; "" for a plain cluster, so that its name stays stable. */
static void
cluster_options_text(struct strbuf *sb, const struct dag_cluster *c)
{
	static const char *const lb[] = { "", "WeightedLeastRequest", "Random",
	    "RingHash" };
	static const char *const proto[] = { "", "h2", "h2c", "tls" };

	if (c->protocol != DAG_PROTOCOL_DEFAULT)
		strbuf_printf(sb, "protocol=%s;", proto[c->protocol]);
	if (c->lb_policy != DAG_LB_ROUND_ROBIN)
		strbuf_printf(sb, "lb=%s;", lb[c->lb_policy]);
	if (c->health_check != NULL) {
		const struct dag_health_check *hc = c->health_check;

		strbuf_printf(sb, "hc=%s|%s|%lld|%lld|%u|%u", hc->path ? hc->path :
		    "(tcp)",
		    hc->host ? hc->host : "", (long long)hc->interval_ms,
		    (long long)hc->timeout_ms, hc->unhealthy_threshold,
		    hc->healthy_threshold);
		for (size_t i = 0; i < hc->nexpected_statuses; i++)
			strbuf_printf(sb, "|%lld-%lld",
			    (long long)hc->expected_statuses[i].start,
			    (long long)hc->expected_statuses[i].end);
		strbuf_putc(sb, ';');
	}
	if (c->slow_start != NULL)
		strbuf_printf(sb, "slowstart=%lld,%.17g,%u;",
		    (long long)c->slow_start->window_ms, c->slow_start->aggression,
		    c->slow_start->min_weight_percent);
	if (c->health_port != 0)
		strbuf_printf(sb, "healthport=%d;", (int)c->health_port);
	if (c->idle_connection_timeout_ms != DAG_TIMEOUT_DEFAULT)
		strbuf_printf(sb, "idle=%lld;", (long long)c->idle_connection_timeout_ms);
	if (c->max_connections || c->max_pending_requests || c->max_requests ||
	    c->max_retries || c->per_host_max_connections)
		strbuf_printf(sb, "cb=%u,%u,%u,%u,%u;", c->max_connections,
		    c->max_pending_requests, c->max_requests, c->max_retries,
		    c->per_host_max_connections);
	if (c->external_name != NULL)
		strbuf_printf(sb, "dns=%s,%d;", c->external_name, (int)c->dns_family);
	if (c->upstream_ca != NULL)
		strbuf_printf(sb, "ca=%s;san=%s;", c->upstream_ca->name,
		    c->upstream_subject_name);
	for (size_t i = 1; i < c->nupstream_subject_names; i++)
		strbuf_printf(sb, "san=%s;", c->upstream_subject_names[i]);
	for (size_t i = 0; i < c->nupstream_subject_uris; i++)
		strbuf_printf(sb, "uri=%s;", c->upstream_subject_uris[i]);
	if (c->upstream_client_cert != NULL)
		strbuf_printf(sb, "cc=%s;", c->upstream_client_cert->name);
}

/* n in decimal at the end of num (not terminated), its length in *len:
 * the names below are made for every service of every route, without a
 * printf. */
#define DECIMAL_MAX 16
static const char *
decimal(char num[DECIMAL_MAX], int32_t n, size_t *len)
{
	char *p = num + DECIMAL_MAX;
	uint32_t v = n < 0 ? (uint32_t)-(int64_t)n : (uint32_t)n;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (n < 0)
		*--p = '-';
	*len = (size_t)(num + DECIMAL_MAX - p);
	return p;
}

/* "<ns>/<name>/<port>/<hex>" into buf; false when it does not fit.
 * Called for every service of every route: no printf. */
static bool
cluster_name_into(char *buf, size_t size, const char *ns, const char *name,
    int32_t port, const char *hex)
{
	size_t nl = strlen(ns), ml = strlen(name), hl = strlen(hex), dl;
	char num[DECIMAL_MAX];
	const char *p = decimal(num, port, &dl);

	if (nl + ml + dl + hl + 4 > size)
		return false;
	memcpy(buf, ns, nl);
	buf[nl] = '/';
	memcpy(buf + nl + 1, name, ml);
	buf[nl + 1 + ml] = '/';
	memcpy(buf + nl + ml + 2, p, dl);
	buf[nl + ml + 2 + dl] = '/';
	memcpy(buf + nl + ml + dl + 3, hex, hl + 1);
	return true;
}

/* "<x>/<y>/<z>", or "<x>/<y>/<n>" when z is NULL, in the arena: the
 * ClusterLoadAssignment names of every new cluster, without a printf. */
static char *
name_join(struct arena *a, const char *x, const char *y, const char *z,
    int32_t n)
{
	size_t xl = strlen(x), yl = strlen(y), zl;
	char num[DECIMAL_MAX], *out;

	if (z == NULL)
		z = decimal(num, n, &zl);
	else
		zl = strlen(z);
	out = arena_alloc_nozero(a, xl + yl + zl + 3);
	memcpy(out, x, xl);
	out[xl] = '/';
	memcpy(out + xl + 1, y, yl);
	out[xl + 1 + yl] = '/';
	memcpy(out + xl + yl + 2, z, zl);
	out[xl + yl + 2 + zl] = '\0';
	return out;
}

struct dag_cluster *
service_cluster(struct builder *b, const char *ns, const char *name,
    int32_t port, const char *port_name, const struct cluster_options *opts,
    const char **why)
{
	struct object *svc_obj = dag_object_lookup(b, &b->services_ix, b->services,
	    b->nservices, ns, name);
	const struct svc_port *sp, *hsp = NULL;
	const struct service *svc;
	struct dag_cluster proto = { 0 }, *c;
	struct strbuf sb = STRBUF_INIT;
	char hex[17], namebuf[256];

	if (svc_obj == NULL) {
		*why = arena_printf(b->arena, "service \"%s/%s\" not found", ns, name);
		return NULL;
	}
	svc = &svc_obj->u.service;
	if ((sp = service_port_find(svc, port, port_name)) == NULL) {
		if (port_name != NULL)
			*why = arena_printf(b->arena, "port \"%s\" on service \"%s/%s\" "
			    "not matched", port_name, ns, name);
		else
			*why = arena_printf(b->arena, "port \"%d\" on service \"%s/%s\" "
			    "not matched", port, ns, name);
		return NULL;
	}
	if (opts != NULL && opts->health_port != 0 && opts->health_port != sp->port &&
	    (hsp = service_port_find(svc, opts->health_port, NULL)) == NULL) {
		*why = arena_printf(b->arena, "health port \"%d\" on service "
		    "\"%s/%s\" not matched", opts->health_port, ns, name);
		return NULL;
	}
	if (svc->type != NULL && strcmp(svc->type, "ExternalName") == 0) {
		if (!allow_external_name(b)) {
			*why = arena_printf(b->arena, "service \"%s/%s\" is an "
			    "ExternalName service, and policy.allow-external-name is "
			    "false", ns, name);
			return NULL;
		}
		proto.external_name = svc->external_name;
		proto.dns_family = (enum dag_dns_family)b->opts->dns_family;
	}
	proto.namespace = svc_obj->meta.namespace;
	proto.service = svc_obj->meta.name;
	proto.port = (uint32_t)sp->port;
	proto.protocol = protocol_of(opts && opts->protocol ? opts->protocol :
	    annotation_protocol(svc_obj, sp));
	proto.idle_connection_timeout_ms = DAG_TIMEOUT_DEFAULT;
	if (opts != NULL) {
		proto.lb_policy = opts->lb_policy;
		proto.health_check = (struct dag_health_check *)opts->health_check;
		proto.slow_start = opts->slow_start;
		proto.idle_connection_timeout_ms = opts->idle_connection_timeout_ms;
	}
	if (hsp != NULL && proto.external_name == NULL)
		proto.health_port = hsp->port;
	proto.max_connections = annotation_u32(svc_obj, circuit_breaker_annotations[0]);
	proto.max_pending_requests = annotation_u32(svc_obj, circuit_breaker_annotations[1]);
	proto.max_requests = annotation_u32(svc_obj, circuit_breaker_annotations[2]);
	proto.max_retries = annotation_u32(svc_obj, circuit_breaker_annotations[3]);
	proto.per_host_max_connections = annotation_u32(svc_obj,
	    circuit_breaker_annotations[4]);
	if (proto.protocol == DAG_PROTOCOL_TLS || proto.protocol == DAG_PROTOCOL_H2) {
		proto.sni = proto.external_name;
		/* services[].validation (vhost_tls.c); the subject name is also the
		 * SNI when nothing else names the upstream. */
		if (opts != NULL && opts->upstream_ca != NULL) {
			proto.upstream_ca = opts->upstream_ca;
			proto.upstream_subject_name = opts->upstream_subject_name;
			proto.upstream_subject_names = opts->upstream_subject_names;
			proto.nupstream_subject_names = opts->nupstream_subject_names;
			proto.upstream_subject_uris = opts->upstream_subject_uris;
			proto.nupstream_subject_uris = opts->nupstream_subject_uris;
			proto.upstream_client_cert = opts->upstream_client_cert;
			if (proto.sni == NULL)
				proto.sni = opts->upstream_subject_name;
		}
	}

	if (b->cluster_index.cap == 0) /* about one cluster per Service */
		dag_strmap_reserve(b->arena, &b->cluster_index, b->nservices + 4);
	/* Plain clusters (the usual case) have no options text: nothing to
	 * allocate. */
	cluster_options_text(&sb, &proto);
	hash_hex(sb.len ? hash_bytes(sb.buf, sb.len) : hash_bytes("", 0), hex);
	strbuf_free(&sb);
	hex[10] = '\0';
	/* Most calls find an existing cluster: make the name on the stack
	 * and copy it only for a new one. */
	if (cluster_name_into(namebuf, sizeof namebuf, ns, name, sp->port, hex)) {
		if ((c = dag_strmap_get(&b->cluster_index, namebuf)) != NULL)
			return c;
		proto.name = arena_strdup(b->arena, namebuf);
	} else {
		proto.name = arena_printf(b->arena, "%s/%s/%d/%s", ns, name,
		    sp->port, hex);
		if ((c = dag_strmap_get(&b->cluster_index, proto.name)) != NULL)
			return c;
	}

	proto.eds_name = name_join(b->arena, ns, name,
	    sp->name && sp->name[0] ? sp->name : NULL, sp->port);
	/* Endpoints with health check ports are a resource of their own. */
	if (proto.health_port != 0)
		proto.eds_name = name_join(b->arena, proto.eds_name, "health",
		    hsp->name && hsp->name[0] ? hsp->name : NULL, hsp->port);
	if (proto.external_name == NULL)
		proto.endpoints = endpoints_for(b, svc_obj, sp,
		    proto.health_port != 0 ? hsp : NULL, proto.eds_name);
	if (proto.health_check != NULL)
		proto.health_check = arena_memdup(b->arena, proto.health_check,
		    sizeof *proto.health_check);
	c = arena_memdup(b->arena, &proto, sizeof proto);
	dag_strmap_put(b->arena, &b->cluster_index, c->name, c);
	ARENA_PUSH(b->arena, b->dag->clusters, b->dag->nclusters, b->clusters_cap, c);
	return c;
}

/* --- ExtensionService upstreams (extension.c) ------------------------------ */

const struct object *
service_port_resolve(struct builder *b, const char *ns, const char *name,
    int32_t port, const struct svc_port **sp_out, const char **why)
{
	struct object *svc_obj = dag_object_lookup(b, &b->services_ix, b->services,
	    b->nservices, ns, name);
	const struct svc_port *sp;

	if (svc_obj == NULL) {
		*why = arena_printf(b->arena, "service \"%s/%s\" not found", ns, name);
		return NULL;
	}
	if ((sp = service_port_find(&svc_obj->u.service, port, NULL)) == NULL) {
		*why = arena_printf(b->arena, "port \"%d\" on service \"%s/%s\" "
		    "not matched", port, ns, name);
		return NULL;
	}
	*sp_out = sp;
	return svc_obj;
}

struct dag_endpoints *
service_endpoints_union(struct builder *b, const char *name,
    const struct object *const *svcs, const struct svc_port *const *ports,
    const uint32_t *weights, size_t n)
{
	struct dag_endpoints *de = ARENA_NEW(b->arena, struct dag_endpoints);
	struct dag_locality *loc = ARENA_ARRAY(b->arena, struct dag_locality,
	    n + 1);
	size_t cap = 0;
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += weights[i];
	de->name = name;
	for (size_t i = 0; i < n; i++) {
		size_t start = de->n, k = start;

		endpoints_collect(b, svcs[i], ports[i]->name ? ports[i]->name : "",
		    de, &cap);
		if (de->n - start > 1) {
			qsort(de->items + start, de->n - start, sizeof de->items[0],
			    endpoint_cmp);
			for (size_t j = start; j < de->n; j++)
				if (k == start ||
				    endpoint_cmp(&de->items[k - 1], &de->items[j]) != 0)
					de->items[k++] = de->items[j];
			de->n = k;
		}
		/* Contour sends no LocalityLbEndpoints for a service without
		 * endpoints. */
		if (de->n > start) {
			const char *z = arena_printf(b->arena, "%s/%d",
			    svcs[i]->meta.name, ports[i]->port);

			/* The same service and port listed again: a locality
			 * of its own all the same, as Contour's. */
			for (size_t j = 0, again = 1; j < de->nlocalities; j++)
				if (strcmp(loc[j].sub_zone, z) == 0) {
					z = arena_printf(b->arena, "%s/%d#%zu",
					    svcs[i]->meta.name, ports[i]->port, ++again);
					j = (size_t)-1;
				}
			loc[de->nlocalities].sub_zone = z;
			loc[de->nlocalities].n = de->n - start;
			loc[de->nlocalities++].weight = total == 0 ? 1 : weights[i];
		}
	}
	de->localities = loc;
	endpoints_keep(b, de);
	if (b->endpoints_index.cap == 0)
		dag_strmap_reserve(b->arena, &b->endpoints_index, b->nservices + 4);
	dag_strmap_put(b->arena, &b->endpoints_index, name, de);
	ARENA_PUSH(b->arena, b->dag->endpoints, b->dag->nendpoints,
	    b->endpoints_cap, de);
	return de;
}
