/* Delta xDS per stream (ads/delta.h): what to send for each type (the
 * plan, the diff between two snapshots' sets), its encoding and the
 * stream's status. The requests are handled in delta_request.c. */
#include "ads/delta_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sorted.h"
#include "util/xalloc.h"

void
delta_init(struct delta_stream *st)
{
	memset(st, 0, sizeof *st);
}

static void
free_strings(char **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

void
delta_free_overlay(struct delta_entry *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(o[i].name);
	free(o);
}

void
delta_free(struct delta_stream *st)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		struct delta_type_state *ts = &st->types[t];

		ads_names_unref(ts->names);
		free_strings(ts->pending, ts->npending);
		delta_free_overlay(ts->overlay, ts->noverlay);
		snapshot_unref(ts->base);
		free(ts->nack.message);
	}
	ads_warming_free(&st->warming);
	free(st->node_id);
	free(st->node_cluster);
	free(st->node_gateway);
	memset(st, 0, sizeof *st);
}

/* --- what to send ----------------------------------------------------------- */

enum action {
	ACT_NONE,
	ACT_SEND, /* the resource (new, changed, or owed to a subscription) */
	ACT_REMOVE_NOW, /* removed_resources owed to a subscription */
	ACT_REMOVE_LATER, /* the client has it, the snapshot lost it: break phase */
};

/* One name of the merge of everything that matters for a type. */
struct cand {
	const char *name; /* borrowed from one of the sources */
	const struct xds_resource *s_item; /* the snapshot's resource, selected or not */
	const struct xds_resource *want; /* the snapshot's resource if subscribed */
	uint64_t have_version;
	enum delta_have have;
	enum action action;
	bool relevant; /* subscribed (named, owed, or under the wildcard) */
	bool pending;
};

/* A sorted source of names: an array of structs whose first member is
 * the name pointer, or a resource set (set not NULL). */
struct cursor {
	const char *base;
	size_t n, i, stride;
	const struct xds_resource_set *set;
	struct xds_set_iter it;
};

static void
cursor_set(struct cursor *c, const struct xds_resource_set *set)
{
	*c = (struct cursor){ .set = set };
	if (set != NULL)
		xds_set_iter_init(&c->it, set, 0);
}

static const char *
cursor_name(struct cursor *c)
{
	const struct xds_resource *r;

	if (c->set != NULL)
		return (r = xds_set_iter_peek(&c->it)) != NULL ? r->name : NULL;
	return c->i < c->n ? *(const char *const *)(const void *)(c->base + c->i * c->stride) :
	    NULL;
}

static const void *
cursor_take(struct cursor *c)
{
	if (c->set != NULL)
		return xds_set_iter_next(&c->it);
	return c->base + c->i++ * c->stride;
}

/* What the client has under a name, from the overlay entry o or the base
 * resource b (either may be NULL). */
static enum delta_have
have_of(const struct delta_entry *o, const struct xds_resource *b, uint64_t *version)
{
	if (o != NULL) {
		*version = o->version;
		return o->have;
	}
	if (b != NULL && !b->named_only) {
		*version = b->version;
		return DELTA_HAS;
	}
	*version = 0;
	return DELTA_NONE;
}

/* What to do about the name `name`: s the snapshot's resource, b the
 * base's, o the overlay's entry (each may be NULL), named: subscribed by
 * name, pending: owed an answer. */
static void
cand_decide(const struct delta_type_state *ts, struct cand *x, const char *name,
    const struct xds_resource *s, const struct xds_resource *b,
    const struct delta_entry *o, bool named, bool pending)
{
	bool item_named_only = s ? s->named_only : b ? b->named_only : false;

	x->name = name;
	x->s_item = s;
	x->pending = pending;
	x->relevant = named || x->pending || (ts->wildcard && !item_named_only);
	if (s != NULL && ((ts->wildcard && !s->named_only) || named))
		x->want = s;
	x->have = have_of(o, b, &x->have_version);

	if (!x->relevant)
		x->action = ACT_NONE;
	else if (x->pending)
		x->action = x->want ? ACT_SEND : ACT_REMOVE_NOW;
	else if (x->want != NULL)
		x->action = x->have == DELTA_HAS &&
		    x->have_version == x->want->version &&
		    !(ts->wildcard_pending && ts->wildcard && !x->want->named_only) ?
		    ACT_NONE : ACT_SEND;
	else
		x->action = x->have != DELTA_NONE ? ACT_REMOVE_LATER : ACT_NONE;
}

/* Merges the snapshot's resources (sset, may be NULL), what the client has
 * (base and overlay), the subscribed and the owed names into one sorted
 * list, each with what to do about it. */
static size_t
plan(const struct delta_type_state *ts, enum xds_type t,
    const struct xds_resource_set *sset, struct cand **out)
{
	const struct xds_resource_set *bset = ts->base ? &ts->base->types[t] : NULL;
	struct cursor cur[5] = {
		{ NULL, 0, 0, 0, NULL, { 0 } },
		{ NULL, 0, 0, 0, NULL, { 0 } },
		{ (const char *)ts->overlay, ts->noverlay, 0, sizeof(struct delta_entry) },
		{ ts->names ? (const char *)ts->names->v : NULL,
		  ads_names_count(ts->names), 0, sizeof(char *) },
		{ (const char *)ts->pending, ts->npending, 0, sizeof(char *) },
	};
	size_t cap = 0, n = 0;
	struct cand *c;

	cursor_set(&cur[0], sset);
	cursor_set(&cur[1], bset);
	cap = (sset ? sset->n : 0) + (bset ? bset->n : 0);
	for (int k = 0; k < 5; k++)
		cap += cur[k].n;
	c = xcalloc(cap ? cap : 1, sizeof *c);
	for (;;) {
		const void *at[5] = { NULL };
		const char *min = NULL;
		const struct xds_resource *s, *b;

		for (int k = 0; k < 5; k++) {
			const char *nm = cursor_name(&cur[k]);

			if (nm != NULL && (min == NULL || strcmp(nm, min) < 0))
				min = nm;
		}
		if (min == NULL)
			break;
		for (int k = 0; k < 5; k++) {
			const char *nm = cursor_name(&cur[k]);

			if (nm != NULL && (nm == min || strcmp(nm, min) == 0))
				at[k] = cursor_take(&cur[k]);
		}
		s = at[0];
		b = at[1];
		cand_decide(ts, &c[n++], min, s, b, at[2], at[3] != NULL,
		    at[4] != NULL);
	}
	*out = c;
	return n;
}

/* --- what changed between two snapshots' sets ---------------------------- */

/* The names whose resource differs (added, removed, another version or
 * named_only) between two sets of a type, as positions in each (ABSENT:
 * not there). A set of the same version has the same names at the same
 * places whichever snapshot holds it, so one diff serves every stream
 * whose base has the old set: made once per change, not once a stream. */
#define DIFF_ABSENT UINT32_MAX
#define DIFF_CACHE 8

struct diff_pair {
	uint32_t b, s; /* in the base's set, in the snapshot's */
};

struct set_diff {
	bool valid;
	int type;
	uint64_t from, to; /* the sets' versions */
	size_t from_n, to_n;
	struct diff_pair *v;
	size_t n;
};

static struct set_diff diff_cache[DIFF_CACHE];
static unsigned diff_next;
static pthread_mutex_t diff_mu = PTHREAD_MUTEX_INITIALIZER;

static bool
same_item(const struct xds_resource *x, const struct xds_resource *y)
{
	return x->version == y->version && x->named_only == y->named_only;
}

static void
set_diff_make(struct set_diff *d, const struct xds_resource_set *from,
    const struct xds_resource_set *to)
{
	size_t i = 0, j = 0, cap = 0, same;
	struct xds_set_iter fi, ti;
	const struct xds_resource *x, *y;

	d->n = 0;
	xds_set_iter_init(&fi, from, 0);
	xds_set_iter_init(&ti, to, 0);
	for (;;) {
		int c;

		/* A chunk both sets hold at the same place: nothing in it
		 * differs. */
		while ((same = xds_set_iter_same_chunk(&fi, &ti)) > 0) {
			i += same;
			j += same;
		}
		x = xds_set_iter_peek(&fi);
		y = xds_set_iter_peek(&ti);
		if (x == NULL && y == NULL)
			break;
		if (x == NULL)
			c = 1;
		else if (y == NULL)
			c = -1;
		else if (x->name == y->name)
			c = 0;
		else
			c = strcmp(x->name, y->name);
		if (c == 0 && same_item(x, y)) {
			xds_set_iter_next(&fi);
			xds_set_iter_next(&ti);
			i++;
			j++;
			continue;
		}
		ARRAY_PUSH(d->v, d->n, cap, ((struct diff_pair){
			.b = c <= 0 ? (uint32_t)i : DIFF_ABSENT,
			.s = c >= 0 ? (uint32_t)j : DIFF_ABSENT }));
		if (c <= 0) {
			xds_set_iter_next(&fi);
			i++;
		}
		if (c >= 0) {
			xds_set_iter_next(&ti);
			j++;
		}
	}
}

/* The diff of type t from set `from` to set `to`, copied into *out
 * (freed by the caller). */
static size_t
set_diff_get(int t, const struct xds_resource_set *from,
    const struct xds_resource_set *to, struct diff_pair **out)
{
	struct set_diff *d = NULL;
	size_t n;

	pthread_mutex_lock(&diff_mu);
	for (size_t k = 0; k < DIFF_CACHE && d == NULL; k++) {
		struct set_diff *e = &diff_cache[k];

		if (e->valid && e->type == t && e->from == from->version &&
		    e->to == to->version && e->from_n == from->n &&
		    e->to_n == to->n)
			d = e;
	}
	if (d == NULL) {
		d = &diff_cache[diff_next++ % DIFF_CACHE];
		free(d->v);
		*d = (struct set_diff){ .valid = true, .type = t,
			.from = from->version, .to = to->version,
			.from_n = from->n, .to_n = to->n };
		set_diff_make(d, from, to);
	}
	n = d->n;
	*out = xreallocarray(NULL, n + 1, sizeof **out);
	if (n > 0)
		memcpy(*out, d->v, n * sizeof **out);
	pthread_mutex_unlock(&diff_mu);
	return n;
}

static const struct xds_resource *
set_find(const struct xds_resource_set *set, const char *name)
{
	return xds_set_find(set, name);
}

/* plan() for a stream in sync with its base (nothing left to send, no
 * subscription change since, no "*" owed): a name whose resource is the
 * same in the base and the snapshot and that is neither in the overlay
 * nor owed is in sync again (no action, nothing recorded), so only the
 * names the sets' diff gives, the overlay's and the owed ones are
 * candidates: the work of a change is what changed, not the
 * subscription. Candidates come out in name order as plan()'s do. */
static size_t
plan_changed(const struct delta_type_state *ts, enum xds_type t,
    const struct xds_resource_set *sset, struct cand **out)
{
	const struct xds_resource_set *bset = &ts->base->types[t];
	struct diff_pair *dv;
	size_t nd = set_diff_get((int)t, bset, sset, &dv);
	size_t i = 0, o = 0, q = 0, n = 0;
	struct cand *c = xcalloc(nd + ts->noverlay + ts->npending + 1, sizeof *c);

	for (;;) {
		const struct diff_pair *dp = i < nd ? &dv[i] : NULL;
		const char *dn = dp == NULL ? NULL : dp->s != DIFF_ABSENT ?
		    xds_set_at(sset, dp->s)->name : xds_set_at(bset, dp->b)->name;
		const char *on = o < ts->noverlay ? ts->overlay[o].name : NULL;
		const char *pn = q < ts->npending ? ts->pending[q] : NULL;
		const char *min = dn;
		const struct xds_resource *s = NULL, *b = NULL;
		const struct delta_entry *oe = NULL;
		bool pending = false;

		if (on != NULL && (min == NULL || strcmp(on, min) < 0))
			min = on;
		if (pn != NULL && (min == NULL || strcmp(pn, min) < 0))
			min = pn;
		if (min == NULL)
			break;
		if (dn != NULL && strcmp(dn, min) == 0) {
			s = dp->s != DIFF_ABSENT ? xds_set_at(sset, dp->s) : NULL;
			b = dp->b != DIFF_ABSENT ? xds_set_at(bset, dp->b) : NULL;
			i++;
		} else {
			s = set_find(sset, min);
			b = set_find(bset, min);
		}
		if (on != NULL && strcmp(on, min) == 0)
			oe = &ts->overlay[o++];
		if (pn != NULL && strcmp(pn, min) == 0) {
			pending = true;
			q++;
		}
		cand_decide(ts, &c[n++], min, s, b, oe,
		    ads_names_has(ts->names, min), pending);
	}
	free(dv);
	*out = c;
	return n;
}

/* Records that the client now has, for each candidate, the result of the
 * included actions (or what it had), as the snapshot snap plus an overlay
 * of differences; forgets names that are no longer subscribed. */
static void
apply(struct delta_type_state *ts, struct snapshot *snap, const struct cand *c,
    size_t n, const bool *included)
{
	struct delta_entry *ov = NULL;
	char **pend = NULL;
	size_t nov = 0, ovcap = 0, npend = 0, pendcap = 0;
	bool left = false;

	for (size_t i = 0; i < n; i++) {
		const struct cand *x = &c[i];
		bool inc = included != NULL && included[i];
		enum delta_have nh = x->have, dh = DELTA_NONE;
		uint64_t nv = x->have_version, dv = 0;

		if (x->action != ACT_NONE && !inc)
			left = true;
		if (!x->relevant)
			continue;
		if (inc) {
			nh = x->action == ACT_SEND ? DELTA_HAS : DELTA_NONE;
			nv = x->action == ACT_SEND ? x->want->version : 0;
		} else if (x->action == ACT_SEND && ts->wildcard_pending) {
			/* A split answer to "*": what is left is sent as if
			 * the client had nothing, without the flag. */
			nh = DELTA_NONE;
			nv = 0;
		}
		if (x->s_item != NULL && !x->s_item->named_only) {
			dh = DELTA_HAS;
			dv = x->s_item->version;
		}
		if (nh != dh || (nh != DELTA_NONE && nv != dv)) {
			struct delta_entry e = { xstrdup(x->name), nh == DELTA_NONE ? 0 : nv, nh };

			ARRAY_PUSH(ov, nov, ovcap, e);
		}
		if (x->pending && !inc)
			ARRAY_PUSH(pend, npend, pendcap, xstrdup(x->name));
	}
	delta_free_overlay(ts->overlay, ts->noverlay);
	ts->overlay = ov;
	ts->noverlay = nov;
	free_strings(ts->pending, ts->npending);
	ts->pending = pend;
	ts->npending = npend;
	ts->pending_cap = pendcap;
	if (ts->base != snap) {
		snapshot_unref(ts->base);
		ts->base = snapshot_ref(snap);
	}
	ts->synced = !left;
	ts->wildcard_pending = false;
}

/* --- encoding sizes -------------------------------------------------------- */

enum {
	TAG_RESPONSE_SYSTEM_VERSION = ADS_TAG_LEN(1),
	TAG_RESPONSE_RESOURCES = ADS_TAG_LEN(2),
	TAG_RESPONSE_TYPE_URL = ADS_TAG_LEN(4),
	TAG_RESPONSE_NONCE = ADS_TAG_LEN(5),
	TAG_RESPONSE_REMOVED = ADS_TAG_LEN(6),
	TAG_RESOURCE_VERSION = ADS_TAG_LEN(1),
	TAG_RESOURCE_RESOURCE = ADS_TAG_LEN(2),
	TAG_RESOURCE_NAME = ADS_TAG_LEN(3),
};

/* The size of one Resource message (without its own tag and length). */
static size_t
resource_size(size_t url_len, const struct xds_resource *r)
{
	return ads_field_size(16) + ads_field_size_always(ads_any_size(url_len, r)) +
	    ads_field_size(strlen(r->name));
}

/* Bytes a candidate adds to a response. */
static size_t
cand_size(size_t url_len, const struct cand *x)
{
	if (x->action == ACT_SEND)
		return ads_field_size_always(resource_size(url_len, x->want));
	return ads_field_size_always(strlen(x->name));
}

static bool
in_phase(enum action a, bool make)
{
	if (a == ACT_NONE)
		return false;
	return make ? a != ACT_REMOVE_LATER : a == ACT_REMOVE_LATER;
}

/* A CDS response with the included candidates is about to go: the EDS
 * clusters in it that the client did not have start warming, unless the
 * client has their load assignment at snap's version (warming.h). */
static void
warming_clusters_sent(struct delta_stream *st, const struct snapshot *snap,
    const struct cand *c, size_t n, const bool *included)
{
	const struct delta_type_state *eds = &st->types[XDS_ENDPOINT];

	for (size_t i = 0; i < n; i++) {
		const struct xds_resource *r = c[i].want, *cla;
		uint64_t version;
		bool has;

		if (!included[i] || c[i].action != ACT_SEND || c[i].have != DELTA_NONE ||
		    r->endpoints == NULL)
			continue;
		cla = snapshot_find(snap, XDS_ENDPOINT, r->endpoints);
		has = cla != NULL && eds->requested &&
		    delta_client_has(eds, XDS_ENDPOINT, cla->name, &version) == DELTA_HAS &&
		    version == cla->version;
		ads_warming_cluster_added(&st->warming, r, has);
	}
}

/* The response of type t for one phase, if one is due. */
static bool
respond(struct delta_stream *st, enum xds_type t, struct snapshot *snap,
    bool make, struct delta_response *out)
{
	struct delta_type_state *ts = &st->types[t];
	size_t limit = st->max_response_bytes ? st->max_response_bytes :
	    DELTA_DEFAULT_MAX_RESPONSE_BYTES;
	size_t url_len = strlen(xds_type_url(t)), n, nmake = 0, nbreak = 0, size;
	struct cand *c;
	bool *included;

	if (!ts->requested)
		return false;
	if (ts->synced && !ts->must_answer && ts->base != NULL &&
	    ts->base->types[t].version == snap->types[t].version) {
		/* The same set of (name, version): the overlay still holds. */
		if (ts->base != snap) {
			snapshot_unref(ts->base);
			ts->base = snapshot_ref(snap);
		}
		return false;
	}
	if (ts->synced && !ts->must_answer && !ts->wildcard_pending &&
	    ts->base != NULL && !st->plan_whole)
		n = plan_changed(ts, t, &snap->types[t], &c);
	else
		n = plan(ts, t, &snap->types[t], &c);
	st->planned += n;
	for (size_t i = 0; i < n; i++) {
		if (in_phase(c[i].action, true))
			nmake++;
		else if (in_phase(c[i].action, false))
			nbreak++;
	}
	if (make ? nmake == 0 && !ts->must_answer : nbreak == 0) {
		if (nmake == 0 && nbreak == 0)
			apply(ts, snap, c, n, NULL); /* in sync: let go of the old base */
		free(c);
		return false;
	}

	if (make && (t == XDS_LISTENER || t == XDS_ROUTE) && st->warming.n > 0) {
		for (size_t i = 0; i < n; i++) {
			if (c[i].action == ACT_SEND &&
			    ads_warming_blocks(&st->warming, c[i].want)) {
				/* Held: nothing recorded, the next evaluation
				 * plans again from the newest snapshot. */
				free(c);
				return false;
			}
		}
	}

	included = xcalloc(n ? n : 1, sizeof *included);
	size = ads_field_size(strlen(snap->revision)) + ads_field_size(url_len) +
	    ads_field_size(20);
	for (size_t i = 0; i < n; i++) {
		size_t sz;

		if (!in_phase(c[i].action, make))
			continue;
		sz = cand_size(url_len, &c[i]);
		if (out->n + out->nremoved > 0 && size + sz > limit)
			break; /* the rest goes in the next response */
		size += sz;
		included[i] = true;
		if (c[i].action == ACT_SEND) {
			if (out->items == NULL)
				out->items = xcalloc(make ? nmake : 1, sizeof *out->items);
			out->items[out->n++] = c[i].want;
		} else {
			if (out->removed == NULL)
				out->removed = xcalloc(make ? nmake : nbreak, sizeof *out->removed);
			out->removed[out->nremoved++] = xstrdup(c[i].name);
		}
	}
	out->set_hash = ads_hash_selection(&snap->types[t], out->items, out->n);
	out->type = t;
	out->system_version = snap->revision;
	memcpy(out->version, snap->types[t].version_hex, sizeof out->version);
	snprintf(out->nonce, sizeof out->nonce, "%" PRIu64, ++st->nonce_counter);
	out->withdrawal = !make;

	ts->recent[ts->nrecent % DELTA_RECENT].nonce = st->nonce_counter;
	memcpy(ts->recent[ts->nrecent % DELTA_RECENT].version, out->version,
	    sizeof out->version);
	ts->nrecent++;
	ts->must_answer = false;
	/* Not the first response of a stream that had nothing (warming.h). */
	if (make && t == XDS_CLUSTER && st->warming.timeout_ms > 0 &&
	    (ts->nrecent > 1 || ts->noverlay > 0))
		warming_clusters_sent(st, snap, c, n, included);
	else if (make && t == XDS_ENDPOINT && st->warming.n > 0)
		for (size_t i = 0; i < out->n; i++)
			ads_warming_endpoints_sent(&st->warming, out->items[i]->name);
	apply(ts, snap, c, n, included);
	free(included);
	free(c);
	return true;
}

bool
delta_next_response(struct delta_stream *st, struct snapshot *snap,
    struct delta_response *out)
{
	/* Users before what they use: a listener may use routes, clusters
	 * and secrets; routes use clusters; clusters use endpoints and
	 * secrets. */
	static const enum xds_type break_order[XDS_TYPE_COUNT] = {
		XDS_LISTENER, XDS_ROUTE, XDS_CLUSTER, XDS_ENDPOINT, XDS_SECRET,
	};

	memset(out, 0, sizeof *out);
	if (snap == NULL)
		return false;
	ads_warming_begin(&st->warming, snap);
	/* A type held by the warming gate holds the types after it and every
	 * removal. */
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		if (respond(st, (enum xds_type)t, snap, true, out))
			return true;
		if (st->warming.held)
			return false;
	}
	for (size_t i = 0; i < nitems(break_order); i++)
		if (respond(st, break_order[i], snap, false, out))
			return true;
	return false;
}

void
delta_response_free(struct delta_response *r)
{
	free(r->items);
	free_strings(r->removed, r->nremoved);
	r->items = NULL;
	r->removed = NULL;
	r->n = r->nremoved = 0;
}

/* The part that is the same for every stream sent the same resources:
 * resources and type_url (see sotw_response_encode_body). */
size_t
delta_response_encode_body(const struct delta_response *r, uint8_t *buf)
{
	const char *url = xds_type_url(r->type);
	size_t url_len = strlen(url), total = 0;
	uint8_t *p = buf;

	for (size_t i = 0; i < r->n; i++)
		total += ads_field_size_always(resource_size(url_len, r->items[i]));
	total += ads_field_size(url_len);
	if (buf == NULL)
		return total;

	for (size_t i = 0; i < r->n; i++) {
		const struct xds_resource *res = r->items[i];
		char version[17];

		hash_hex(res->version, version);
		*p++ = TAG_RESPONSE_RESOURCES;
		p = ads_put_varint(p, resource_size(url_len, res));
		p = ads_put_field(p, TAG_RESOURCE_VERSION, version, 16);
		*p++ = TAG_RESOURCE_RESOURCE;
		p = ads_put_any(p, url, url_len, res);
		p = ads_put_field(p, TAG_RESOURCE_NAME, res->name, strlen(res->name));
	}
	p = ads_put_field(p, TAG_RESPONSE_TYPE_URL, url, url_len);
	return (size_t)(p - buf);
}

/* The stream's own part: system_version_info, nonce, removed_resources. */
size_t
delta_response_encode_head(const struct delta_response *r, uint8_t *buf)
{
	size_t slen = strlen(r->system_version), nlen = strlen(r->nonce), total;
	uint8_t *p = buf;

	total = ads_field_size(slen) + ads_field_size(nlen);
	for (size_t i = 0; i < r->nremoved; i++)
		total += ads_field_size_always(strlen(r->removed[i]));
	if (buf == NULL)
		return total;

	p = ads_put_field(p, TAG_RESPONSE_SYSTEM_VERSION, r->system_version, slen);
	p = ads_put_field(p, TAG_RESPONSE_NONCE, r->nonce, nlen);
	for (size_t i = 0; i < r->nremoved; i++)
		p = ads_put_field_always(p, TAG_RESPONSE_REMOVED, r->removed[i],
		    strlen(r->removed[i]));
	return (size_t)(p - buf);
}

size_t
delta_response_encode(const struct delta_response *r, uint8_t *buf)
{
	size_t head = delta_response_encode_head(r, buf);

	return head + delta_response_encode_body(r, buf ? buf + head : NULL);
}

/* --- status ------------------------------------------------------------------ */

size_t
delta_have_count(const struct delta_type_state *ts, enum xds_type t)
{
	struct cand *c;
	size_t n = plan(ts, t, NULL, &c), count = 0;

	for (size_t i = 0; i < n; i++)
		if (c[i].relevant && c[i].have != DELTA_NONE)
			count++;
	free(c);
	return count;
}

enum delta_have
delta_client_has(const struct delta_type_state *ts, enum xds_type t,
    const char *name, uint64_t *version_out)
{
	const struct delta_entry key = { (char *)name, 0, DELTA_NONE };
	const struct delta_entry *o = ts->noverlay == 0 ? NULL :
	    bsearch(&key, ts->overlay, ts->noverlay, sizeof key, delta_cmp_entry);
	const struct xds_resource *b = ts->base ? snapshot_find(ts->base, t, name) : NULL;

	return have_of(o, b, version_out);
}
