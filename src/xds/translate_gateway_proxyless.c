/* Proxyless gRPC clients of a Gateway (SPEC.md §5a and §7,
 * docs/gateway-api.md "Proxyless gRPC clients"): a client whose node
 * names the Gateway and whose target is xds:///<host> or
 * xds:///<host>:<port> gets an api_listener of that name for each
 * hostname the Gateway serves, with a RouteConfiguration of its own in
 * the form gRPC accepts (translate_route.c's proxyless form, as for
 * HTTPProxy FQDNs). All of them are named-only: an Envoy's wildcard
 * never sees them. */
#include "xds/translate_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/listener/v3/api_listener.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "util/xalloc.h"
#include "xds/memo_internal.h"
#include "xds/pb_encode.h"

typedef Envoy__Config__Listener__V3__Listener Listener;
typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds Rds;

/* Ports that carry HTTP routes; TLS and TCP ports have no routes gRPC
 * could follow. */
static bool
http_port(const struct dag_gw_port *gp)
{
	return gp->protocol == NULL || strcmp(gp->protocol, "HTTP") == 0 ||
	    strcmp(gp->protocol, "HTTPS") == 0;
}

/* A host's VirtualHost, shared by its two targets: they differ only in
 * the name and the domain. Made in an arena of its own, since the memo
 * releases what a make allocates once it is packed; made only when a
 * target is not found. Its other fields (the routes: nearly all of a
 * target's bytes) are packed once, into rest, and each target's
 * VirtualHost is a shell of its name and domain carrying them
 * (gateway_proxyless_vhost_shell). */
struct host_routes {
	struct arena arena; /* released after each host */
	Envoy__Config__Route__V3__VirtualHost *v;
	bool no_cluster; /* what making v set t->proxyless_no_cluster to */
	struct pb_writer w; /* rest's bytes, until the next host's */
	ProtobufCMessageUnknownField rest;
	bool has_rest;
};

/* Packed fields as one unknown field, packed after a message's known
 * fields to the same bytes: the first field's tag becomes the unknown
 * field's, its data the bytes after that tag. false: no bytes. */
static bool
split_first_field(const uint8_t *bytes, size_t len,
    ProtobufCMessageUnknownField *u)
{
	uint64_t tag = 0;
	unsigned shift = 0;
	size_t at = 0;

	if (len == 0)
		return false;
	do {
		tag |= (uint64_t)(bytes[at] & 0x7f) << shift;
		shift += 7;
	} while ((bytes[at++] & 0x80) != 0 && at < len);
	memset(u, 0, sizeof *u);
	u->tag = (uint32_t)(tag >> 3);
	u->wire_type = (ProtobufCWireType)(tag & 7);
	u->len = len - at;
	u->data = (uint8_t *)bytes + at;
	return true;
}

bool
gateway_proxyless_vhost_rest(struct pb_writer *w,
    Envoy__Config__Route__V3__VirtualHost *v, ProtobufCMessageUnknownField *u)
{
	char *name = v->name;
	size_t ndomains = v->n_domains, len;
	const uint8_t *bytes;

	v->name = NULL;
	v->n_domains = 0;
	bytes = pb_encode(w, &v->base, &len);
	v->name = name;
	v->n_domains = ndomains;
	return split_first_field(bytes, len, u);
}

void
gateway_proxyless_vhost_shell(struct arena *a,
    Envoy__Config__Route__V3__VirtualHost *shell, const char *name,
    ProtobufCMessageUnknownField *rest)
{
	envoy__config__route__v3__virtual_host__init(shell);
	shell->name = (char *)name;
	shell->n_domains = 1;
	shell->domains = pb_array(a, 1);
	shell->domains[0] = (char *)name;
	if (rest != NULL) {
		shell->base.n_unknown_fields = 1;
		shell->base.unknown_fields = rest;
	}
}

/* What a target's resources are made of: the host and the target's name
 * (memo_emit_named's key). */
struct target {
	const struct dag_vhost *vh;
	const char *name;
	struct host_routes *routes;
	struct api_hcm *hcm;
};

/* Whether bytes packed in pieces are compared with the whole message's
 * (CAIRN_PB_VERIFY, or the memo's verify mode). */
bool
translate_pieces_verify(const struct translation *t)
{
	/* -1: not read yet; translations of several Gateways may ask at
	 * once, and all read the same value */
	static int env = -1;
	int e = __atomic_load_n(&env, __ATOMIC_RELAXED);

	if (t->cache != NULL && t->cache->verify)
		return true;
	if (e < 0) {
		const char *v = getenv("CAIRN_PB_VERIFY");

		e = v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
		__atomic_store_n(&env, e, __ATOMIC_RELAXED);
	}
	return e == 1;
}

/* The api listeners' HttpConnectionManager: every target's is the same
 * but for stat_prefix and the RDS name (fields 2 and 3; field 1,
 * codec_type, is the same for all), so the fields after them (the
 * filters, with their packed typed configs) are packed once per
 * translation, at the first listener made, and each listener's is a
 * shell of fields 1-3 carrying those bytes. */
struct api_hcm {
	bool made;
	bool has_rest;
	int codec_type;
	struct pb_writer w; /* rest's bytes */
	ProtobufCMessageUnknownField rest;
};

static ProtobufCMessage *
api_hcm(struct translation *t, struct api_hcm *h, const char *name)
{
	struct arena *a = &t->arena;
	Hcm *full = NULL, *shell;
	Rds *rds;

	if (!h->made || translate_pieces_verify(t))
		full = (Hcm *)translate_hcm(t, name, name, false);
	if (!h->made) {
		char *prefix = full->stat_prefix;
		int codec = (int)full->codec_type, rcase = (int)full->route_specifier_case;
		const uint8_t *bytes;
		size_t len;

		full->stat_prefix = NULL;
		full->codec_type = 0;
		full->route_specifier_case = 0;
		bytes = pb_encode(&h->w, &full->base, &len);
		full->stat_prefix = prefix;
		full->codec_type = codec;
		full->route_specifier_case = rcase;
		h->codec_type = codec;
		h->has_rest = split_first_field(bytes, len, &h->rest);
		h->made = true;
	}
	shell = pb_new(a, &envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor);
	rds = pb_new(a, &envoy__extensions__filters__network__http_connection_manager__v3__rds__descriptor);
	shell->codec_type = h->codec_type;
	shell->stat_prefix = (char *)name;
	/* as translate_hcm makes it */
	rds->config_source = pb_ads_config_source(a);
	rds->route_config_name = (char *)name;
	shell->route_specifier_case =
	    ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
	shell->rds = rds;
	if (h->has_rest) {
		shell->base.n_unknown_fields = 1;
		shell->base.unknown_fields = &h->rest;
	}
	if (full != NULL) {
		/* protobuf-c's bytes for the whole message must be the
		 * shell's (else the first differing offset, and abort) */
		struct pb_writer w = { 0 };
		size_t len;
		const uint8_t *bytes = pb_encode(&w, &shell->base, &len);

		pb_encode_check_protobuf_c(&full->base, bytes, len);
		pb_writer_free(&w);
	}
	return &shell->base;
}

static ProtobufCMessage *
make_listener(struct translation *t, const void *obj, const char **name)
{
	const struct target *tg = obj;
	struct arena *a = &t->arena;
	Listener *l = pb_new(a, &envoy__config__listener__v3__listener__descriptor);
	Envoy__Config__Listener__V3__ApiListener *al = pb_new(a,
	    &envoy__config__listener__v3__api_listener__descriptor);

	l->name = pb_str(a, tg->name);
	al->api_listener = pb_any(a, api_hcm(t, tg->hcm, l->name));
	l->api_listener = al;
	*name = l->name;
	return &l->base;
}

/* The hosts' shared routes, by routes array (open addressing). */
struct gw_shared_routes {
	struct arena arena; /* the entries' arrays and bytes */
	struct gw_host_routes *slots;
	size_t cap, used;
};

static size_t
shared_slot(const struct gw_shared_routes *s, const void *id)
{
	uint64_t v = (uint64_t)(uintptr_t)id;
	size_t i;

	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	for (i = v & (s->cap - 1); s->slots[i].id != NULL && s->slots[i].id != id;
	    i = (i + 1) & (s->cap - 1))
		;
	return i;
}

static void
shared_grow(struct gw_shared_routes *s, size_t cap)
{
	struct gw_host_routes *old = s->slots;
	size_t ocap = s->cap;

	s->slots = xcalloc(cap, sizeof *s->slots);
	s->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].id != NULL)
			s->slots[shared_slot(s, old[i].id)] = old[i];
	free(old);
}

/* Keeps the routes of vh that Envoy shares out of rest, v's packed
 * routes (gateway_proxyless_vhost_rest's bytes: v has no field after
 * them), for its port's VirtualHost. */
static void
shared_put(struct translation *t, const struct dag_vhost *vh,
    const Envoy__Config__Route__V3__VirtualHost *v, const uint8_t *rest,
    size_t len)
{
	struct gw_shared_routes *s = t->gw_shared;
	const uint8_t **bytes = NULL;
	size_t *lens = NULL, at = 0, nsame = 0;
	struct gw_host_routes *e;

	if (v->n_routes != vh->nroutes || vh->nroutes == 0)
		return;
	for (size_t i = 0; i < vh->nroutes; i++) {
		uint64_t n = 0;
		unsigned shift = 0;
		size_t start;

		/* the tag of routes (field 3, bytes), then the length */
		if (at >= len || rest[at++] != (3 << 3 | 2))
			return;
		start = at;
		do {
			if (at >= len || shift > 63)
				return;
			n |= (uint64_t)(rest[at] & 0x7f) << shift;
			shift += 7;
		} while ((rest[at++] & 0x80) != 0);
		if (n > len - at)
			return;
		if (translate_route_proxyless_same(t, &vh->routes[i])) {
			if (s == NULL) {
				s = t->gw_shared = xcalloc(1, sizeof *s);
				arena_init(&s->arena);
				shared_grow(s, 64);
			}
			if (bytes == NULL) {
				bytes = arena_alloc(&s->arena,
				    vh->nroutes * sizeof *bytes);
				lens = arena_alloc(&s->arena,
				    vh->nroutes * sizeof *lens);
			}
			/* an unknown field's data: the length, then the
			 * route's bytes */
			bytes[i] = arena_memdup(&s->arena, rest + start,
			    at - start + n);
			lens[i] = at - start + n;
			nsame++;
		}
		at += n;
	}
	if (nsame == 0 || at != len)
		return;
	if (2 * (s->used + 1) > s->cap)
		shared_grow(s, 2 * s->cap);
	e = &s->slots[shared_slot(s, vh->routes)];
	if (e->id == NULL)
		s->used++;
	*e = (struct gw_host_routes){ .id = vh->routes, .n = vh->nroutes,
	    .bytes = bytes, .lens = lens };
}

const struct gw_host_routes *
gateway_shared_routes(const struct translation *t, const struct dag_vhost *vh)
{
	const struct gw_shared_routes *s = t->gw_shared;
	const struct gw_host_routes *e;

	if (s == NULL || vh->routes == NULL)
		return NULL;
	e = &s->slots[shared_slot(s, vh->routes)];
	return e->id != NULL && e->n == vh->nroutes ? e : NULL;
}

void
gateway_shared_routes_free(struct translation *t)
{
	if (t->gw_shared == NULL)
		return;
	arena_free(&t->gw_shared->arena);
	free(t->gw_shared->slots);
	free(t->gw_shared);
	t->gw_shared = NULL;
}

/* tg's host's VirtualHost, made at the first target that needs it, in
 * the host's arena (swapped in for t's: the translators allocate from
 * t->arena), with the same side effect on t each time it is used. */
static Envoy__Config__Route__V3__VirtualHost *
host_virtual_host(struct translation *t, const struct target *tg)
{
	struct host_routes *h = tg->routes;

	if (h->v == NULL) {
		struct arena outer = t->arena;
		bool saved = t->proxyless_no_cluster;

		t->arena = h->arena;
		t->proxyless_no_cluster = false;
		h->v = translate_virtual_host_proxyless(t, tg->vh);
		h->no_cluster = t->proxyless_no_cluster;
		h->has_rest = gateway_proxyless_vhost_rest(&h->w, h->v,
		    &h->rest);
		if (h->has_rest)
			shared_put(t, tg->vh, h->v, h->w.p,
			    (size_t)(h->w.end - h->w.p));
		h->arena = t->arena;
		t->arena = outer;
		t->proxyless_no_cluster = saved;
	}
	t->proxyless_no_cluster |= h->no_cluster;
	return h->v;
}

/* protobuf-c's bytes for rc with the host's whole VirtualHost in place of
 * its shell must be the shell's: pb_encode_check_protobuf_c aborts,
 * naming the first differing offset, when they are not. */
static void
splice_check(RouteConfiguration *rc, Envoy__Config__Route__V3__VirtualHost *v)
{
	Envoy__Config__Route__V3__VirtualHost *shell = rc->virtual_hosts[0];
	struct pb_writer w = { 0 };
	const uint8_t *bytes;
	size_t len;

	bytes = pb_encode(&w, &rc->base, &len);
	v->name = shell->name;
	v->domains[0] = shell->domains[0];
	rc->virtual_hosts[0] = v;
	pb_encode_check_protobuf_c(&rc->base, bytes, len);
	rc->virtual_hosts[0] = shell;
	pb_writer_free(&w);
}

/* The target's RouteConfiguration, with vh's routes under the one domain
 * a client of that target sends as its authority (gRPC matches virtual
 * hosts against the target's host, with the port when it has one). */
static ProtobufCMessage *
make_routes(struct translation *t, const void *obj, const char **name)
{
	const struct target *tg = obj;
	struct arena *a = &t->arena;
	RouteConfiguration *rc = pb_new(a,
	    &envoy__config__route__v3__route_configuration__descriptor);
	Envoy__Config__Route__V3__VirtualHost *v, *shell = pb_new(a,
	    &envoy__config__route__v3__virtual_host__descriptor);

	rc->name = pb_str(a, tg->name);
	v = host_virtual_host(t, tg);
	gateway_proxyless_vhost_shell(a, shell, rc->name,
	    tg->routes->has_rest ? &tg->routes->rest : NULL);
	rc->n_virtual_hosts = 1;
	rc->virtual_hosts = pb_array(a, 1);
	rc->virtual_hosts[0] = shell;
	if (translate_pieces_verify(t))
		splice_check(rc, v);
	*name = rc->name;
	return &rc->base;
}

/* The api_listener and RouteConfiguration of target name, for host vh.
 * In order, a target is known by its host's routes array (a kept host's
 * is the same array, built for one Gateway, port and host): `<host>:<port>`
 * by the array, `<host>` by the address one byte into it (never another
 * array's start), so either target may come or go alone. */
static void
proxyless_target(struct translation *t, const char *name,
    const struct dag_vhost *vh, bool bare, struct host_routes *routes,
    struct api_hcm *hcm)
{
	struct target tg = { .vh = vh, .name = name, .routes = routes,
	    .hcm = hcm };
	const void *id = vh->routes == NULL ? NULL : bare ?
	    (const void *)((const char *)vh->routes + 1) : (const void *)vh->routes;

	memo_emit_named_seq(t, MEMO_API_LISTENER, id, vh, name, &tg,
	    make_listener, XDS_LISTENER, true);
	memo_emit_named_seq(t, MEMO_PROXYLESS_ROUTE, id, vh, name, &tg,
	    make_routes, XDS_ROUTE, true);
}

/* "<host>:<port>" into buf (snprintf's result, without its format
 * parsing: one per host of every HTTP port, at each translation). */
static void
target_name(char *buf, size_t size, const char *host, uint32_t port)
{
	char digits[10];
	size_t len = strlen(host), nd = 0;
	uint32_t p = port;

	do {
		digits[nd++] = (char)('0' + p % 10);
		p /= 10;
	} while (p > 0 && nd < sizeof digits);
	if (len + 1 + nd >= size) {
		snprintf(buf, size, "%s:%u", host, (unsigned)port);
		return;
	}
	memcpy(buf, host, len);
	buf[len++] = ':';
	while (nd > 0)
		buf[len++] = digits[--nd];
	buf[len] = '\0';
}

/* Takes vh's targets from the last translation into the runs when each
 * is the next one at its cursor with its item the next in the last
 * snapshot: a kept host's targets are then copied as blocks with its
 * neighbours', its name and bytes not read. ids: the targets bare and
 * `<host>:<port>` (proxyless_target's), in the order they are emitted. */
static bool
targets_in_runs(struct translation *t, struct memo_named_run *runs,
    const struct dag_vhost *vh, bool bare)
{
	const void *ids[2];
	size_t nids = 0;

	if (vh->routes == NULL)
		return false;
	if (bare)
		ids[nids++] = (const char *)vh->routes + 1;
	ids[nids++] = vh->routes;
	/* Both kinds or neither: a target's listener and RouteConfiguration
	 * come and go together. */
	return memo_named_runs_add(t, runs, 2, ids, nids);
}

/* vh's targets: from the last translation in the runs when they fit,
 * else (the runs lent first) one by one. bare: vh serves the `<host>`
 * target too. */
static void
host_targets(struct translation *t, struct memo_named_run *runs,
    const struct dag_gw_port *gp, const struct dag_vhost *vh, bool bare,
    struct host_routes *routes, struct api_hcm *hcm)
{
	struct arena_mark mark, hmark;
	char name[512];

	/* A host whose targets were emitted for the same routes array had
	 * an FQDN a client can name. */
	if (targets_in_runs(t, runs, vh, bare))
		return;
	memo_named_run_flush(t, &runs[0]);
	memo_named_run_flush(t, &runs[1]);
	/* Wildcards and `*` are no target a client can name. */
	if (!translation_proxyless_host(vh))
		return;
	mark = arena_mark(&t->arena);
	hmark = arena_mark(&routes->arena);
	routes->v = NULL;
	if (bare)
		proxyless_target(t, vh->fqdn, vh, true, routes, hcm);
	target_name(name, sizeof name, vh->fqdn, gp->port);
	proxyless_target(t, name, vh, false, routes, hcm);
	arena_release(&routes->arena, &hmark);
	arena_release(&t->arena, &mark);
}

/* The HTTP ports' hosts merged by FQDN (each port's are sorted by it),
 * each FQDN's targets emitted together: `<host>` with the lowest port
 * serving it, then `<host>:<port>` by port. The targets are then put
 * about where the snapshot has them once sorted, so that a next
 * translation finds kept hosts' targets side by side in it (runs).
 * With one HTTP port, no FQDN is compared. */
void
translate_gateway_proxyless(struct translation *t,
    const struct dag_gateway *gw)
{
	bool saved = t->proxyless_no_cluster;
	struct memo_named_run runs[2];
	size_t *cur = xcalloc(gw->nports + 1, sizeof *cur);
	size_t *same = xcalloc(gw->nports + 1, sizeof *same);
	struct host_routes routes = { .v = NULL };
	struct api_hcm hcm = { .made = false };

	memo_named_run_init(&runs[0], MEMO_API_LISTENER, XDS_LISTENER, true);
	memo_named_run_init(&runs[1], MEMO_PROXYLESS_ROUTE, XDS_ROUTE, true);
	arena_init(&routes.arena);
	t->proxyless_no_cluster = false;
	/* A port that is not HTTP is done before it starts: the walk
	 * below then compares no protocol per host. */
	for (size_t p = 0; p < gw->nports; p++)
		if (!http_port(&gw->ports[p]))
			cur[p] = gw->ports[p].nvhosts;
	for (;;) {
		const char *min = NULL;
		size_t nsame = 0;
		bool bare = true;

		/* The ports whose next host has the lowest FQDN, ascending. */
		for (size_t p = 0; p < gw->nports; p++) {
			const struct dag_gw_port *gp = &gw->ports[p];
			const char *fqdn;
			int c = -1;

			if (cur[p] >= gp->nvhosts)
				continue;
			fqdn = gp->vhosts[cur[p]].fqdn;
			if (nsame > 0 && (c = strcmp(fqdn, min)) > 0)
				continue;
			if (c < 0) {
				nsame = 0;
				min = fqdn;
			}
			same[nsame++] = p;
		}
		if (nsame == 0)
			break;
		for (size_t s = 0; s < nsame; s++) {
			const struct dag_gw_port *gp = &gw->ports[same[s]];
			const struct dag_vhost *vh = &gp->vhosts[cur[same[s]]++];

			if (vh->nroutes == 0)
				continue;
			host_targets(t, runs, gp, vh, bare, &routes, &hcm);
			/* `<host>` names the lowest HTTP port serving host. */
			bare = false;
		}
	}
	memo_named_run_flush(t, &runs[0]);
	memo_named_run_flush(t, &runs[1]);
	free(cur);
	free(same);
	/* Routes that cannot forward point at it (translate_route.c). */
	if (t->proxyless_no_cluster)
		translate_not_forwarded(t);
	t->proxyless_no_cluster |= saved;
	arena_free(&routes.arena);
	pb_writer_free(&routes.w);
	pb_writer_free(&hcm.w);
}
