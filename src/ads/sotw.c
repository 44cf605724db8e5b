#include "ads/sotw.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sorted.h"
#include "util/xalloc.h"

static void free_kept(struct xds_resource *kept, size_t n);

void
sotw_init(struct sotw_stream *st)
{
	memset(st, 0, sizeof *st);
}

static void
free_names(struct sotw_type_state *ts)
{
	ads_names_unref(ts->names);
	ts->names = NULL;
}

void
sotw_free(struct sotw_stream *st)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		struct sotw_type_state *ts = &st->types[t];

		free_names(ts);
		snapshot_unref(ts->sent_snap);
		free_kept(ts->kept, ts->nkept);
		free(ts->nack.message);
	}
	ads_warming_free(&st->warming);
	free(st->node_id);
	free(st->node_cluster);
	free(st->node_gateway);
	memset(st, 0, sizeof *st);
}

bool
sotw_is_named(const struct sotw_type_state *ts, const char *name)
{
	return ads_names_has(ts->names, name);
}

/* Legacy wildcard (an empty list means "everything") exists only for the
 * types Envoy subscribes to without knowing names. */
static bool
legacy_wildcard_type(enum xds_type t)
{
	return t == XDS_LISTENER || t == XDS_CLUSTER;
}

/* Whether names (apart from "*") are exactly the list l, in any order,
 * and whether "*" is among them. The common request, an ACK repeating the
 * subscription, costs one comparison per name when it comes in l's order,
 * a binary search per name otherwise: no copy, sort or intern. A name
 * seen twice makes it answer false (the caller then dedups). */
static bool
same_names(const struct ads_names *l, const char *const *names, size_t n,
    bool *star)
{
	size_t nl = ads_names_count(l), m = 0;
	bool in_order = true, same = true;
	uint8_t *seen = NULL;

	*star = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "*") == 0) {
			*star = true;
			continue;
		}
		if (m >= nl) {
			same = false;
			break;
		}
		if (in_order && strcmp(names[i], l->v[m]) == 0) {
			m++;
			continue;
		}
		if (in_order) {
			/* Out of l's order: mark what matched so far. */
			in_order = false;
			seen = xcalloc(nl / 8 + 1, 1);
			for (size_t k = 0; k < m; k++)
				seen[k / 8] |= (uint8_t)(1u << (k % 8));
		}
		{
			size_t lo = 0, hi = nl;
			bool found = false;

			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				int c = strcmp(l->v[mid], names[i]);

				if (c == 0) {
					found = !(seen[mid / 8] & (1u << (mid % 8)));
					seen[mid / 8] |= (uint8_t)(1u << (mid % 8));
					break;
				}
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (!found) {
				same = false;
				break;
			}
			m++;
		}
	}
	free(seen);
	if (!same) {
		for (size_t i = 0; i < n && !*star; i++)
			*star = strcmp(names[i], "*") == 0;
		return false;
	}
	return m == nl;
}

/* Applies a request's resource_names to the subscription, following
 * "How the client specifies what resources to return" of the xDS protocol
 * document. Returns whether the subscription changed. */
static bool
update_subscription(struct sotw_type_state *ts, enum xds_type t,
    const char *const *names, size_t n)
{
	struct ads_names *list;
	const char **sorted;
	size_t m = 0;
	bool star = false, wildcard, changed;

	if (n == 0 && !ts->named_before && legacy_wildcard_type(t)) {
		/* Never named anything: still (or newly) a legacy wildcard. */
		changed = !ts->wildcard || ts->names != NULL;
		ts->wildcard = true;
		free_names(ts);
		return changed;
	}
	if (n > 0)
		ts->named_before = true;
	if (same_names(ts->names, names, n, &star)) {
		changed = star != ts->wildcard;
		ts->wildcard = star;
		return changed;
	}
	star = false;

	sorted = xcalloc(n ? n : 1, sizeof *sorted);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "*") == 0)
			star = true;
		else
			sorted[m++] = names[i];
	}
	if (m > 1)
		qsort(sorted, m, sizeof *sorted, sorted_str_cmp);
	if (m > 1) {
		size_t out = 1;

		for (size_t i = 1; i < m; i++)
			if (strcmp(sorted[i], sorted[out - 1]) != 0)
				sorted[out++] = sorted[i];
		m = out;
	}
	wildcard = star;

	/* Interned lists are unique: equal lists are the same pointer. */
	list = ads_names_intern(sorted, m);
	free(sorted);
	changed = wildcard != ts->wildcard || list != ts->names;
	free_names(ts);
	ts->names = list;
	ts->wildcard = wildcard;
	return changed;
}

static enum ads_verdict
record_ack_or_nack(struct sotw_stream *st, enum xds_type t,
    const struct sotw_request *req)
{
	struct sotw_type_state *ts = &st->types[t];
	const char *nonce = req->response_nonce ? req->response_nonce : "";

	if (!ts->sent || nonce[0] == '\0')
		return nonce[0] == '\0' ? ADS_REQUEST : ADS_STALE;
	if (strcmp(nonce, ts->sent_nonce) != 0)
		return ADS_STALE;
	if (!req->has_error) {
		memcpy(ts->acked_version, ts->sent_version, sizeof ts->acked_version);
		return ADS_ACK;
	}
	if (ts->has_nack && strcmp(ts->nack.nonce, nonce) == 0)
		return ADS_NACK_REPEATED;

	/* Never resent: sent_set still describes it, so only a change makes
	 * a new response. */
	ts->has_nack = true;
	ads_nack_record(&ts->nack, st->node_id, t, ts->sent_version,
	    ts->sent_nonce, req->error_code, req->error_message);
	return ADS_NACK;
}

int
sotw_handle_request(struct sotw_stream *st, const struct sotw_request *req,
    struct sotw_result *out, char **errmsg)
{
	struct sotw_type_state *ts;
	enum xds_type t;

	memset(out, 0, sizeof *out);
	ads_node_remember(&st->node_id, &st->node_cluster, &st->node_gateway,
	    req->node_id, req->node_cluster, req->node_gateway);
	if (ads_request_type(req->type_url, "DiscoveryRequest", &t, errmsg) < 0)
		return -1;
	ts = &st->types[t];
	out->type = t;
	out->first = !ts->requested;
	out->verdict = record_ack_or_nack(st, t, req);

	/* Subscription changes count whatever the nonce: a stale request
	 * still tells what the client wants now. */
	out->subscription_changed = update_subscription(ts, t,
	    req->resource_names, req->n_resource_names);
	if (out->subscription_changed)
		ts->subscription_changed = true;
	if (!ts->requested) {
		ts->requested = true;
		ts->must_answer = true;
	}
	if (t == XDS_CLUSTER && out->verdict == ADS_NACK)
		ads_warming_cancel(&st->warming);
	if (t == XDS_ENDPOINT) {
		bool answers_last = out->verdict == ADS_ACK || out->verdict == ADS_NACK ||
		    out->verdict == ADS_NACK_REPEATED;

		if (st->eds_rewarm && st->eds_skip_ack && answers_last) {
			st->eds_skip_ack = false;
		} else if (st->eds_rewarm) {
			ts->must_answer = true;
			st->eds_rewarm = false;
		}
		if (answers_last)
			st->eds_ack_outstanding = false;
	}
	return 0;
}

int
sotw_handle_message(struct sotw_stream *st, const void *data, size_t len,
    struct sotw_result *out, char **errmsg)
{
	Envoy__Service__Discovery__V3__DiscoveryRequest *m;
	struct sotw_request req = { 0 };
	int rc;

	m = envoy__service__discovery__v3__discovery_request__unpack(NULL, len, data);
	if (m == NULL) {
		*errmsg = xasprintf("cannot decode DiscoveryRequest (%zu bytes)", len);
		return -1;
	}
	req.type_url = m->type_url;
	req.version_info = m->version_info;
	req.response_nonce = m->response_nonce;
	req.resource_names = (const char *const *)m->resource_names;
	req.n_resource_names = m->n_resource_names;
	if (m->node != NULL) {
		req.node_id = m->node->id;
		req.node_cluster = m->node->cluster;
		req.node_gateway = ads_node_gateway(m->node->metadata);
	}
	if (m->error_detail != NULL) {
		req.has_error = true;
		req.error_code = m->error_detail->code;
		req.error_message = m->error_detail->message;
	}
	rc = sotw_handle_request(st, &req, out, errmsg);
	envoy__service__discovery__v3__discovery_request__free_unpacked(m, NULL);
	return rc;
}

/* Whether the subscription selects r (under a wildcard every resource
 * except named-only ones, plus explicitly named ones). */
static bool
selects(const struct sotw_type_state *ts, const struct xds_resource *r)
{
	if (ts->wildcard && !r->named_only)
		return true;
	return sotw_is_named(ts, r->name);
}

/* The items of set that the names l name, in order, with their indices
 * in set: both lists are sorted by strcmp, merge them. */
static size_t
merge_named(const struct ads_names *l, const struct xds_resource_set *set,
    const struct xds_resource **items, uint32_t *idx)
{
	size_t i = 0, j = 0, n = 0, nnames = ads_names_count(l);
	struct xds_set_iter it;
	const struct xds_resource *r;

	if (nnames * 16 < set->n) {
		/* A few names in a big set (a proxyless client's listener):
		 * look each up rather than walk the set. */
		for (i = 0; i < nnames; i++) {
			size_t at = xds_set_lower_bound(set, l->v[i]);

			if (at < set->n &&
			    strcmp((r = xds_set_at(set, at))->name, l->v[i]) == 0) {
				idx[n] = (uint32_t)at;
				items[n++] = r;
			}
		}
		return n;
	}
	xds_set_iter_init(&it, set, 0);
	while (i < nnames && (r = xds_set_iter_peek(&it)) != NULL) {
		int c = strcmp(l->v[i], r->name);

		if (c == 0) {
			idx[n] = (uint32_t)j;
			items[n++] = r;
		}
		if (c <= 0)
			i++;
		if (c >= 0) {
			xds_set_iter_next(&it);
			j++;
		}
	}
	return n;
}

/* merge_named through the list's selection cache: the streams that share
 * the list (a fleet's EDS subscriptions) merge once per set, not once
 * each. A set of the same version has the same names at the same places,
 * whichever snapshot holds it. */
static size_t
select_named(struct ads_names *l, const struct xds_resource_set *set,
    const struct xds_resource **items)
{
	size_t n;

	if (l == NULL)
		return 0;
	pthread_mutex_lock(&l->sel_mu);
	if (l->sel_valid && l->sel_version == set->version &&
	    l->sel_set_n == set->n) {
		n = l->sel_n;
		for (size_t i = 0; i < n; i++)
			items[i] = xds_set_at(set, l->sel_idx[i]);
	} else {
		size_t room = ads_names_count(l);

		l->sel_idx = xreallocarray(l->sel_idx, room ? room : 1,
		    sizeof *l->sel_idx);
		n = merge_named(l, set, items, l->sel_idx);
		l->sel_valid = true;
		l->sel_version = set->version;
		l->sel_set_n = set->n;
		l->sel_n = n;
		l->sel_made++;
	}
	pthread_mutex_unlock(&l->sel_mu);
	return n;
}

/* What the subscription selects from set, in name order, without
 * duplicates. items has room for the result (at most set->n). Returns the
 * count. */
static size_t
select_resources(const struct sotw_type_state *ts,
    const struct xds_resource_set *set, const struct xds_resource **items)
{
	size_t n = 0;
	struct xds_set_iter it;
	const struct xds_resource *r;

	if (!ts->wildcard)
		return select_named(ts->names, set, items);

	xds_set_iter_init(&it, set, 0);
	while ((r = xds_set_iter_next(&it)) != NULL)
		if (selects(ts, r))
			items[n++] = r;
	return n;
}

static void
advance_sent_snap(struct sotw_type_state *ts, struct snapshot *snap)
{
	if (ts->sent_snap != snap) {
		snapshot_unref(ts->sent_snap);
		ts->sent_snap = snapshot_ref(snap);
	}
}

static void
free_kept(struct xds_resource *kept, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)kept[i].name);
		free((uint8_t *)kept[i].bytes);
	}
	free(kept);
}

static struct xds_resource
copy_resource(const struct xds_resource *r)
{
	struct xds_resource c = *r;

	c.name = xstrdup(r->name);
	c.bytes = xmemdup(xds_resource_bytes(r), r->len ? r->len : 1);
	c.pieced = NULL;
	/* Borrowed from a snapshot that may go; the client has a kept
	 * resource already, the warming gate never asks about it. */
	c.uses = NULL;
	c.nuses = 0;
	c.endpoints = NULL;
	return c;
}

/* Listeners and clusters are sent whole: leaving one out removes it. */
static bool
full_state_type(enum xds_type t)
{
	return t == XDS_LISTENER || t == XDS_CLUSTER;
}

struct sotw_work sotw_work;

/* What one type sends to one subscription from one resource set: the
 * selection, and for a full-state type the client synced before, merged
 * with what the client had from the older set (the "from" set) and the
 * new one lost (make-before-break kept). The result depends only on the
 * subscription, the new set and the older set's version, so every stream
 * with the same subscription and the same last set shares one plan: the
 * walk of the sets, the hash and the body size are made once per change
 * for all of them, and a stream's own work is what changed for it (the
 * kept copies, the added clusters). Immutable once made; refcounted. */
struct sotw_plan {
	atomic_uint refs;
	/* Key (cached plans): the new set is in snap, which the plan pins so
	 * the set's address stays its identity. */
	enum xds_type type;
	struct snapshot *snap;
	const struct xds_resource_set *set;
	bool wildcard;
	struct ads_names *names;
	bool diff;
	uint64_t from_version;
	size_t from_n;
	/* Value. */
	const struct xds_resource **items; /* sorted, unique; kept ones point into kept */
	size_t n;
	struct xds_resource *kept; /* owned copies, sorted by name */
	size_t nkept;
	bool changed; /* something added or changed against what the client has */
	uint32_t *added; /* indices into items the client did not have */
	size_t nadded;
	bool all_added; /* no older set: every item is new to the client */
	uint64_t hash; /* of the (name, version) list of items */
	size_t body_len; /* sotw_response_encode_body's length */
};

/* Bounds of the cache of shared plans: distinct subscriptions are as many
 * as clients choose, so a full cache is dropped whole. */
#define SOTW_PLAN_CACHE_MAX 256
#define SOTW_PLAN_CACHE_MAX_ITEMS ((size_t)1 << 22)

static pthread_mutex_t plan_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sotw_plan **plan_cache;
static size_t plan_cache_n, plan_cache_cap, plan_cache_items;

static void
plan_unref(struct sotw_plan *p)
{
	if (p == NULL ||
	    atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(p->items);
	free_kept(p->kept, p->nkept);
	free(p->added);
	ads_names_unref(p->names);
	snapshot_unref(p->snap);
	free(p);
}

/* Drops every cached plan. Called with plan_mu held. */
static void
plan_cache_drop(void)
{
	for (size_t i = 0; i < plan_cache_n; i++)
		plan_unref(plan_cache[i]);
	plan_cache_n = 0;
	plan_cache_items = 0;
}

void
sotw_plan_cache_clear(void)
{
	pthread_mutex_lock(&plan_mu);
	plan_cache_drop();
	free(plan_cache);
	plan_cache = NULL;
	plan_cache_cap = 0;
	pthread_mutex_unlock(&plan_mu);
}

/* The length of the body of a response carrying items (see
 * sotw_response_encode_body). */
static size_t
body_length(enum xds_type t, const struct xds_resource *const *items, size_t n)
{
	size_t url_len = strlen(xds_type_url(t)), total = 0;

	for (size_t i = 0; i < n; i++)
		total += ads_field_size_always(ads_any_size(url_len, items[i]));
	return total + ads_field_size(url_len);
}

/* Makes the plan of ts's subscription for set; with from, against what the
 * client has: the selection from from plus had (kept copies, disjoint from
 * it, sorted by name). */
static struct sotw_plan *
plan_make(const struct sotw_type_state *ts, enum xds_type t,
    const struct xds_resource_set *set, const struct xds_resource_set *from,
    const struct xds_resource *had, size_t nhad)
{
	struct sotw_plan *p = xcalloc(1, sizeof *p);
	const struct xds_resource **cur, **prev, **sel, **out;
	size_t ncur, nprev = 0, nsel, i, j, k = 0, nout = 0;

	atomic_init(&p->refs, 1);
	p->type = t;
	cur = xcalloc(set->n ? set->n : 1, sizeof *cur);
	ncur = select_resources(ts, set, cur);
	sotw_work.shared_visits += ts->wildcard ? set->n : ncur;
	if (from == NULL) {
		p->items = cur;
		p->n = ncur;
		p->changed = true;
		p->all_added = true;
		goto done;
	}

	/* What the client has: the selection from the older set, plus what
	 * was kept then, merged by name. */
	sel = xcalloc(from->n + 1, sizeof *sel);
	nsel = select_resources(ts, from, sel);
	sotw_work.shared_visits += (ts->wildcard ? from->n : nsel) + nhad;
	prev = xcalloc(nsel + nhad + 1, sizeof *prev);
	for (i = 0, j = 0; i < nsel || j < nhad; ) {
		if (j == nhad || (i < nsel && strcmp(sel[i]->name, had[j].name) < 0))
			prev[nprev++] = sel[i++];
		else if (i == nsel || strcmp(sel[i]->name, had[j].name) > 0)
			prev[nprev++] = &had[j++];
		else {
			prev[nprev++] = sel[i++]; /* cannot happen: disjoint */
			j++;
		}
	}
	free(sel);

	/* Count the kept ones first so the copies do not move afterwards. */
	for (i = 0, j = 0; j < nprev; ) {
		int c = i < ncur ? strcmp(cur[i]->name, prev[j]->name) : 1;

		if (c < 0)
			i++;
		else if (c == 0) {
			i++;
			j++;
		} else {
			p->nkept++;
			j++;
		}
	}
	if (p->nkept > 0)
		p->kept = xcalloc(p->nkept, sizeof *p->kept);
	out = xcalloc(ncur + p->nkept + 1, sizeof *out);
	p->added = xcalloc(ncur + 1, sizeof *p->added);
	for (i = 0, j = 0; i < ncur || j < nprev; ) {
		int c = i == ncur ? 1 : j == nprev ? -1 :
		    strcmp(cur[i]->name, prev[j]->name);

		if (c < 0) {
			p->changed = true;
			p->added[p->nadded++] = (uint32_t)nout;
			out[nout++] = cur[i++];
		} else if (c == 0) {
			if (cur[i]->version != prev[j]->version)
				p->changed = true;
			out[nout++] = cur[i++];
			j++;
		} else {
			/* The client has it, the set lost it: keep it until
			 * the withdrawal. */
			p->kept[k] = copy_resource(prev[j++]);
			out[nout++] = &p->kept[k++];
		}
	}
	free(prev);
	free(cur);
	p->items = out;
	p->n = nout;
done:
	p->hash = ads_hash_selection(set, p->items, p->n);
	p->body_len = body_length(t, p->items, p->n);
	sotw_work.plans_made++;
	return p;
}

/* The plan for ts's subscription and snap's set of type t; with diff,
 * against the set last sent (ts->sent_snap). Shared through the cache
 * unless the stream has kept resources of its own (a change that came
 * in the middle of a make-before-break). A reference for the caller. */
static struct sotw_plan *
plan_get(const struct sotw_type_state *ts, enum xds_type t,
    struct snapshot *snap, bool diff)
{
	const struct xds_resource_set *set = &snap->types[t];
	const struct xds_resource_set *from = diff ? &ts->sent_snap->types[t] : NULL;
	struct sotw_plan *p;

	if (diff && ts->nkept > 0)
		return plan_make(ts, t, set, from, ts->kept, ts->nkept);

	pthread_mutex_lock(&plan_mu);
	for (size_t i = 0; i < plan_cache_n; i++) {
		p = plan_cache[i];
		if (p->set == set && p->type == t && p->wildcard == ts->wildcard &&
		    p->names == ts->names && p->diff == diff &&
		    (!diff || (p->from_version == from->version &&
		    p->from_n == from->n))) {
			atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
			pthread_mutex_unlock(&plan_mu);
			sotw_work.plans_reused++;
			return p;
		}
	}
	/* Made under the lock: the streams that want the same plan wait for
	 * it instead of each making their own. */
	p = plan_make(ts, t, set, from, NULL, 0);
	p->snap = snapshot_ref(snap);
	p->set = set;
	p->wildcard = ts->wildcard;
	p->names = ads_names_ref(ts->names);
	p->diff = diff;
	if (diff) {
		p->from_version = from->version;
		p->from_n = from->n;
	}
	if (plan_cache_n == SOTW_PLAN_CACHE_MAX ||
	    plan_cache_items + p->n > SOTW_PLAN_CACHE_MAX_ITEMS)
		plan_cache_drop();
	if (plan_cache_n == plan_cache_cap) {
		plan_cache_cap = plan_cache_cap ? plan_cache_cap * 2 : 16;
		plan_cache = xreallocarray(plan_cache, plan_cache_cap,
		    sizeof *plan_cache);
	}
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	plan_cache[plan_cache_n++] = p;
	plan_cache_items += p->n;
	pthread_mutex_unlock(&plan_mu);
	return p;
}

/* The stream's own copies of the plan's kept resources. */
static struct xds_resource *
copy_kept(const struct sotw_plan *p)
{
	struct xds_resource *kept;

	if (p->nkept == 0)
		return NULL;
	kept = xcalloc(p->nkept, sizeof *kept);
	for (size_t i = 0; i < p->nkept; i++)
		kept[i] = copy_resource(&p->kept[i]);
	sotw_work.stream_visits += p->nkept;
	return kept;
}

/* Fills r as the response of type t carrying items, and records it as
 * sent. */
static void
emit(struct sotw_stream *st, enum xds_type t, struct snapshot *snap,
    const struct xds_resource **items, size_t n, uint64_t hash,
    struct sotw_response *out)
{
	struct sotw_type_state *ts = &st->types[t];

	out->type = t;
	out->version = snap->types[t].version_hex;
	if (ts->nkept > 0) {
		/* Not the snapshot's set: a version of its own. */
		hash_hex(hash, out->version_buf);
		out->version = out->version_buf;
	}
	snprintf(out->nonce, sizeof out->nonce, "%" PRIu64, ++st->nonce_counter);
	out->items = items;
	out->n = n;
	out->nkept = ts->nkept;
	out->set_hash = hash;

	ts->must_answer = false;
	ts->sent = true;
	memcpy(ts->sent_nonce, out->nonce, sizeof ts->sent_nonce);
	memcpy(ts->sent_version, out->version, sizeof ts->sent_version);
	ts->sent_set = hash;
	ts->sent_count = n;
	advance_sent_snap(ts, snap);
}

/* Whether the stream sent the load assignment name at the version snap
 * holds (the last EDS response it sent carried it). */
static bool
sent_endpoints(const struct sotw_stream *st, const struct snapshot *snap,
    const char *name)
{
	const struct sotw_type_state *ts = &st->types[XDS_ENDPOINT];
	const struct xds_resource *now, *then;

	if (!ts->sent || ts->sent_snap == NULL ||
	    (now = snapshot_find(snap, XDS_ENDPOINT, name)) == NULL ||
	    (then = snapshot_find(ts->sent_snap, XDS_ENDPOINT, name)) == NULL)
		return false;
	return then->version == now->version && selects(ts, then);
}

/* A CDS response of plan p is about to go: the EDS clusters in it that
 * the client did not have start warming (warming.h). */
static void
warming_clusters_sent(struct sotw_stream *st, const struct snapshot *snap,
    const struct sotw_plan *p)
{
	size_t n = p->all_added ? p->n : p->nadded;

	sotw_work.stream_visits += n;
	for (size_t k = 0; k < n; k++) {
		const struct xds_resource *c = p->items[p->all_added ? k : p->added[k]];

		if (c->endpoints == NULL)
			continue;
		ads_warming_cluster_added(&st->warming, c,
		    sent_endpoints(st, snap, c->endpoints));
	}
}

/* Phase 1 of a change for type t: the response, if one is due. */
static bool
next_for_type(struct sotw_stream *st, enum xds_type t, struct snapshot *snap,
    struct sotw_response *out)
{
	struct sotw_type_state *ts = &st->types[t];
	const struct xds_resource_set *set = &snap->types[t];
	struct sotw_plan *p;
	bool sub_changed, diff;

	if (!ts->requested)
		return false;
	if (!ts->must_answer && !ts->subscription_changed && ts->sent &&
	    ts->sent_snap != NULL &&
	    ts->sent_snap->types[t].version == set->version) {
		/* Same content, same subscription: same set. */
		advance_sent_snap(ts, snap);
		return false;
	}
	/* First response, or the client changed what it wants: it gets
	 * exactly that, nothing kept (no diff). */
	diff = full_state_type(t) && ts->sent && ts->sent_snap != NULL &&
	    !ts->subscription_changed;
	p = plan_get(ts, t, snap, diff);
	sub_changed = ts->subscription_changed;
	ts->subscription_changed = false;
	if (!ts->must_answer && ts->sent && p->hash == ts->sent_set) {
		/* Nothing new for this client (or exactly what it rejected
		 * last): no redundant response. The client has snap's
		 * selection plus the kept ones: adopt them, so the stream lets
		 * go of the older snapshot. */
		free_kept(ts->kept, ts->nkept);
		ts->kept = copy_kept(p);
		ts->nkept = p->nkept;
		advance_sent_snap(ts, snap);
		plan_unref(p);
		return false;
	}
	if ((t == XDS_LISTENER || t == XDS_ROUTE) && st->warming.n > 0) {
		sotw_work.stream_visits += p->n;
		for (size_t i = 0; i < p->n; i++) {
			if (ads_warming_blocks(&st->warming, p->items[i])) {
				/* Held: nothing recorded, the next evaluation
				 * plans again from the newest snapshot. */
				ts->subscription_changed = sub_changed;
				plan_unref(p);
				return false;
			}
		}
	}
	if (t == XDS_CLUSTER && st->warming.timeout_ms > 0 && ts->sent)
		warming_clusters_sent(st, snap, p);
	else if (t == XDS_ENDPOINT && st->warming.n > 0) {
		sotw_work.stream_visits += p->n;
		for (size_t i = 0; i < p->n; i++)
			ads_warming_endpoints_sent(&st->warming, p->items[i]->name);
	}
	free_kept(ts->kept, ts->nkept);
	ts->kept = copy_kept(p);
	ts->nkept = p->nkept;
	emit(st, t, snap, p->items, p->n, p->hash, out);
	out->plan = p;
	if (t == XDS_CLUSTER && p->changed) {
		st->eds_rewarm = true;
		st->eds_skip_ack = st->eds_ack_outstanding;
	} else if (t == XDS_ENDPOINT) {
		st->eds_rewarm = false;
		st->eds_skip_ack = false;
		st->eds_ack_outstanding = true;
	}
	return true;
}

/* Phase 2: the response that withdraws kept resources of type t. */
static bool
withdraw(struct sotw_stream *st, enum xds_type t, struct snapshot *snap,
    struct sotw_response *out)
{
	struct sotw_type_state *ts = &st->types[t];
	struct sotw_plan *p;

	if (ts->nkept == 0)
		return false;
	free_kept(ts->kept, ts->nkept);
	ts->kept = NULL;
	ts->nkept = 0;
	p = plan_get(ts, t, snap, false);
	emit(st, t, snap, p->items, p->n, p->hash, out);
	out->plan = p;
	out->withdrawal = true;
	return true;
}

bool
sotw_next_response(struct sotw_stream *st, struct snapshot *snap,
    struct sotw_response *out)
{
	memset(out, 0, sizeof *out);
	if (snap == NULL)
		return false;
	ads_warming_begin(&st->warming, snap);
	/* Make: every type in SDS, CDS, EDS, LDS, RDS order. A type held by
	 * the warming gate holds the types after it and every removal. */
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		if (next_for_type(st, (enum xds_type)t, snap, out))
			return true;
		if (st->warming.held)
			return false;
	}
	/* Break: the routes and listeners that used what disappeared were
	 * sent; listeners go first (they may use clusters), then clusters. */
	if (withdraw(st, XDS_LISTENER, snap, out))
		return true;
	return withdraw(st, XDS_CLUSTER, snap, out);
}

void
sotw_response_free(struct sotw_response *r)
{
	if (r->plan != NULL)
		plan_unref(r->plan);
	else
		free(r->items);
	r->plan = NULL;
	r->items = NULL;
	r->n = 0;
}

/* --- protobuf wire encoding of DiscoveryResponse ----------------------- */

enum {
	TAG_RESPONSE_VERSION_INFO = ADS_TAG_LEN(1),
	TAG_RESPONSE_RESOURCES = ADS_TAG_LEN(2),
	TAG_RESPONSE_TYPE_URL = ADS_TAG_LEN(4),
	TAG_RESPONSE_NONCE = ADS_TAG_LEN(5),
};

/* The part of a response that is the same for every stream sent the same
 * set: resources and type_url. Protobuf fields may come in any order, so
 * a stream sends its own head (version_info, nonce) followed by a body
 * that streams share (stream.c). */
size_t
sotw_response_encode_body(const struct sotw_response *r, uint8_t *buf)
{
	const char *url = xds_type_url(r->type);
	size_t url_len = strlen(url), total = 0;
	uint8_t *p = buf;

	if (buf == NULL && r->plan != NULL)
		return r->plan->body_len;
	for (size_t i = 0; i < r->n; i++)
		total += ads_field_size_always(ads_any_size(url_len, r->items[i]));
	total += ads_field_size(url_len);
	if (buf == NULL)
		return total;

	for (size_t i = 0; i < r->n; i++) {
		*p++ = TAG_RESPONSE_RESOURCES;
		p = ads_put_any(p, url, url_len, r->items[i]);
	}
	p = ads_put_field(p, TAG_RESPONSE_TYPE_URL, url, url_len);
	return (size_t)(p - buf);
}

size_t
sotw_response_encode_head(const struct sotw_response *r, uint8_t *buf)
{
	size_t vlen = strlen(r->version), nlen = strlen(r->nonce);
	uint8_t *p = buf;

	if (buf == NULL)
		return ads_field_size(vlen) + ads_field_size(nlen);
	p = ads_put_field(p, TAG_RESPONSE_VERSION_INFO, r->version, vlen);
	p = ads_put_field(p, TAG_RESPONSE_NONCE, r->nonce, nlen);
	return (size_t)(p - buf);
}

size_t
sotw_response_encode(const struct sotw_response *r, uint8_t *buf)
{
	size_t head = sotw_response_encode_head(r, buf);

	return head + sotw_response_encode_body(r, buf ? buf + head : NULL);
}
