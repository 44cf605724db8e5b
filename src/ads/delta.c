#include "ads/delta.h"

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

#define NODE_NAME(st) ((st)->node_id ? (st)->node_id : "-")

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

static void
free_overlay(struct delta_entry *o, size_t n)
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
		free_overlay(ts->overlay, ts->noverlay);
		snapshot_unref(ts->base);
		free(ts->nack.message);
	}
	ads_warming_free(&st->warming);
	free(st->node_id);
	free(st->node_cluster);
	free(st->node_gateway);
	memset(st, 0, sizeof *st);
}

/* --- sorted sets of names ------------------------------------------------ */

bool
delta_is_named(const struct delta_type_state *ts, const char *name)
{
	return ads_names_has(ts->names, name);
}

/* Sorts and deduplicates a borrowed list of names. */
static const char **
sorted_unique(const char *const *names, size_t n, size_t *n_out)
{
	const char **s = xcalloc(n ? n : 1, sizeof *s);
	size_t m = 0;

	memcpy(s, names, n * sizeof *s);
	if (n > 1)
		qsort(s, n, sizeof *s, sorted_str_cmp);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || strcmp(s[i], s[m - 1]) != 0)
			s[m++] = s[i];
	*n_out = m;
	return s;
}

/* Adds names (any order, duplicates allowed) to the sorted set *a by
 * merging. Returns how many were new. */
static size_t
set_add(char ***a, size_t *n, size_t *cap, const char *const *names, size_t m)
{
	const char **add;
	char **out;
	size_t nadd, i = 0, j = 0, k = 0, added = 0;

	if (m == 0)
		return 0;
	add = sorted_unique(names, m, &nadd);
	out = xcalloc(*n + nadd, sizeof *out);
	while (i < *n || j < nadd) {
		int c = i == *n ? 1 : j == nadd ? -1 : strcmp((*a)[i], add[j]);

		if (c < 0) {
			out[k++] = (*a)[i++];
		} else if (c == 0) {
			out[k++] = (*a)[i++];
			j++;
		} else {
			out[k++] = xstrdup(add[j++]);
			added++;
		}
	}
	free(*a);
	free(add);
	*a = out;
	*n = k;
	*cap = *n + nadd;
	return added;
}

/* Removes names (any order) from the sorted set. Returns how many were
 * there. */
static size_t
set_remove(char **a, size_t *n, const char *const *names, size_t m)
{
	const char **del;
	size_t ndel, i = 0, j = 0, k = 0, removed = 0;

	if (m == 0 || *n == 0)
		return 0;
	del = sorted_unique(names, m, &ndel);
	for (; i < *n; i++) {
		int c = -1;

		while (j < ndel && (c = strcmp(del[j], a[i])) < 0)
			j++;
		if (j < ndel && c == 0) {
			free(a[i]);
			removed++;
		} else {
			a[k++] = a[i];
		}
	}
	*n = k;
	free(del);
	return removed;
}

/* Adds (add) or removes names (any order) to or from the interned
 * subscription *l, which is replaced by the interned result. Returns how
 * many names were added or removed. */
static size_t
names_update(struct ads_names **l, const char *const *names, size_t m, bool add)
{
	size_t n = ads_names_count(*l), nchg, i = 0, j = 0, k = 0, count = 0;
	const char **chg, **out;

	if (m == 0 || (n == 0 && !add))
		return 0;
	chg = sorted_unique(names, m, &nchg);
	out = xcalloc(n + nchg, sizeof *out);
	while (i < n || j < nchg) {
		int c = i == n ? 1 : j == nchg ? -1 : strcmp((*l)->v[i], chg[j]);

		if (c < 0) {
			out[k++] = (*l)->v[i++];
		} else if (c == 0) {
			if (add)
				out[k++] = (*l)->v[i];
			else
				count++;
			i++;
			j++;
		} else {
			if (add) {
				out[k++] = chg[j];
				count++;
			}
			j++;
		}
	}
	if (count > 0) {
		struct ads_names *next = ads_names_intern(out, k);

		ads_names_unref(*l);
		*l = next;
	}
	free(out);
	free(chg);
	return count;
}

/* --- requests ------------------------------------------------------------- */

/* Legacy wildcard (a first request naming nothing means "everything")
 * exists only for the types Envoy subscribes to without knowing names. */
static bool
legacy_wildcard_type(enum xds_type t)
{
	return t == XDS_LISTENER || t == XDS_CLUSTER;
}

static bool
parse_nonce(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	/* Only what cairn prints (PRIu64, no leading zero) and short enough
	 * not to wrap: "18446744073709551617" or "0001" must not ACK nonce 1. */
	if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 19)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static enum ads_verdict
record_ack_or_nack(struct delta_stream *st, enum xds_type t,
    const struct delta_request *req)
{
	struct delta_type_state *ts = &st->types[t];
	const char *nonce = req->response_nonce ? req->response_nonce : "";
	const char *version = NULL;
	uint64_t n;

	if (nonce[0] == '\0')
		return ADS_REQUEST;
	if (!parse_nonce(nonce, &n))
		return ADS_STALE;
	for (unsigned i = 0; i < DELTA_RECENT && i < ts->nrecent; i++)
		if (ts->recent[i].nonce == n)
			version = ts->recent[i].version;
	if (version == NULL)
		return ADS_STALE;
	if (!req->has_error) {
		memcpy(ts->acked_version, version, sizeof ts->acked_version);
		return ADS_ACK;
	}
	if (ts->has_nack && strcmp(ts->nack.nonce, nonce) == 0)
		return ADS_NACK_REPEATED;
	/* The client did not apply it, but it is never resent: the state
	 * says the client has it, so only a change makes a new response. */
	free(ts->nack.message);
	ts->has_nack = true;
	memcpy(ts->nack.version, version, sizeof ts->nack.version);
	snprintf(ts->nack.nonce, sizeof ts->nack.nonce, "%s", nonce);
	ts->nack.code = req->error_code;
	ts->nack.message = xstrdup(req->error_message ? req->error_message : "");
	ts->nack.when = time(NULL);
	log_warning("ads: node %s rejected %s version %s: %s", NODE_NAME(st),
	    xds_type_short(t), ts->nack.version, ts->nack.message);
	return ADS_NACK;
}

static bool
parse_version(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || strlen(s) != 16)
		return false;
	for (int i = 0; i < 16; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct delta_entry *)a)->name,
	    ((const struct delta_entry *)b)->name);
}

/* initial_resource_versions of a new stream: what the client kept from
 * an earlier one. Only the first request of a type may carry them. */
static void
set_initial_versions(struct delta_type_state *ts, const struct delta_request *req)
{
	size_t n = 0;

	free_overlay(ts->overlay, ts->noverlay);
	ts->overlay = xcalloc(req->ninitial, sizeof *ts->overlay);
	for (size_t i = 0; i < req->ninitial; i++) {
		struct delta_entry *e = &ts->overlay[n];

		e->name = xstrdup(req->initial_names[i]);
		e->have = parse_version(req->initial_versions[i], &e->version) ?
		    DELTA_HAS : DELTA_FOREIGN;
		n++;
	}
	qsort(ts->overlay, n, sizeof *ts->overlay, cmp_entry);
	/* A map has unique keys; a hand-made request might not. */
	ts->noverlay = 0;
	for (size_t i = 0; i < n; i++) {
		if (ts->noverlay > 0 &&
		    strcmp(ts->overlay[ts->noverlay - 1].name, ts->overlay[i].name) == 0)
			free(ts->overlay[i].name);
		else
			ts->overlay[ts->noverlay++] = ts->overlay[i];
	}
}

static bool
initial_has(const struct delta_request *req, const char *name)
{
	for (size_t i = 0; i < req->ninitial; i++)
		if (strcmp(req->initial_names[i], name) == 0)
			return true;
	return false;
}

/* Applies a request's subscribe/unsubscribe lists, following "How the
 * client specifies what resources to return" and "Unsubscribing from
 * resources" of the xDS protocol document. Returns whether anything
 * changed. */
static bool
update_subscription(struct delta_type_state *ts, enum xds_type t, bool first,
    const struct delta_request *req)
{
	const char **names = xcalloc(req->nsubscribe + req->nunsubscribe + 1,
	    sizeof *names);
	bool changed = false, reconnect = first && req->ninitial > 0;
	size_t m = 0;

	if (first && req->nsubscribe == 0 && req->nunsubscribe == 0 &&
	    legacy_wildcard_type(t)) {
		/* Legacy wildcard; later names add to it (incremental). */
		ts->wildcard = true;
		changed = true;
	}

	/* Subscribe. A name already subscribed is answered again: the
	 * client may have forgotten it. */
	for (size_t i = 0; i < req->nsubscribe; i++) {
		if (strcmp(req->subscribe[i], "*") == 0) {
			ts->wildcard = true;
			/* On a reconnect the initial versions say what to skip. */
			if (!reconnect)
				ts->wildcard_pending = true;
			changed = true;
		} else {
			names[m++] = req->subscribe[i];
		}
	}
	if (m > 0) {
		names_update(&ts->names, names, m, true);
		changed = true;
		/* What the client says it has needs no answer. */
		if (reconnect) {
			size_t k = 0;

			for (size_t i = 0; i < m; i++)
				if (!initial_has(req, names[i]))
					names[k++] = names[i];
			m = k;
		}
		set_add(&ts->pending, &ts->npending, &ts->pending_cap, names, m);
	}

	/* Unsubscribe. Superfluous names are ignored. A name dropped while
	 * the wildcard stays is owed an answer: the resource if the wildcard
	 * covers it, else its removal. */
	m = 0;
	for (size_t i = 0; i < req->nunsubscribe; i++) {
		if (strcmp(req->unsubscribe[i], "*") == 0) {
			changed |= ts->wildcard;
			ts->wildcard = false;
			ts->wildcard_pending = false;
		} else {
			names[m++] = req->unsubscribe[i];
		}
	}
	if (m > 0) {
		changed |= names_update(&ts->names, names, m, false) > 0;
		set_remove(ts->pending, &ts->npending, names, m);
		if (ts->wildcard) {
			set_add(&ts->pending, &ts->npending, &ts->pending_cap, names, m);
			changed = true;
		}
	}
	free(names);
	return changed;
}

int
delta_handle_request(struct delta_stream *st, const struct delta_request *req,
    struct delta_result *out, char **errmsg)
{
	struct delta_type_state *ts;
	enum xds_type t;
	bool first;

	memset(out, 0, sizeof *out);
	if (st->node_id == NULL && req->node_id != NULL && req->node_id[0] != '\0') {
		st->node_id = xstrdup(req->node_id);
		st->node_cluster = xstrdup(req->node_cluster ? req->node_cluster : "");
		if (req->node_gateway != NULL && req->node_gateway[0] != '\0')
			st->node_gateway = xstrdup(req->node_gateway);
	}
	if (req->type_url == NULL || req->type_url[0] == '\0') {
		*errmsg = xstrdup("DeltaDiscoveryRequest without type_url: an "
		    "aggregated (ADS) stream needs the type_url on every request");
		return -1;
	}
	if (xds_type_from_url(req->type_url, &t) < 0) {
		*errmsg = ads_unsupported_type_message(req->type_url);
		return -1;
	}
	ts = &st->types[t];
	first = !ts->requested;
	out->type = t;
	out->first = first;
	out->verdict = record_ack_or_nack(st, t, req);
	if (first) {
		ts->requested = true;
		ts->must_answer = req->ninitial == 0;
		if (req->ninitial > 0)
			set_initial_versions(ts, req);
	}
	if (t == XDS_CLUSTER && out->verdict == ADS_NACK)
		ads_warming_cancel(&st->warming);
	/* Subscription changes count whatever the nonce. */
	out->subscription_changed = update_subscription(ts, t, first, req);
	if (out->subscription_changed || first)
		ts->synced = false;
	return 0;
}

int
delta_handle_message(struct delta_stream *st, const void *data, size_t len,
    struct delta_result *out, char **errmsg)
{
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest *m;
	struct delta_request req = { 0 };
	const char **names = NULL, **versions = NULL;
	int rc;

	m = envoy__service__discovery__v3__delta_discovery_request__unpack(NULL, len, data);
	if (m == NULL) {
		*errmsg = xasprintf("cannot decode DeltaDiscoveryRequest (%zu bytes)", len);
		return -1;
	}
	req.type_url = m->type_url;
	req.response_nonce = m->response_nonce;
	req.subscribe = (const char *const *)m->resource_names_subscribe;
	req.nsubscribe = m->n_resource_names_subscribe;
	req.unsubscribe = (const char *const *)m->resource_names_unsubscribe;
	req.nunsubscribe = m->n_resource_names_unsubscribe;
	if (m->n_initial_resource_versions > 0) {
		names = xcalloc(m->n_initial_resource_versions, sizeof *names);
		versions = xcalloc(m->n_initial_resource_versions, sizeof *versions);
		for (size_t i = 0; i < m->n_initial_resource_versions; i++) {
			names[i] = m->initial_resource_versions[i]->key;
			versions[i] = m->initial_resource_versions[i]->value;
		}
		req.initial_names = names;
		req.initial_versions = versions;
		req.ninitial = m->n_initial_resource_versions;
	}
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
	rc = delta_handle_request(st, &req, out, errmsg);
	free(names);
	free(versions);
	envoy__service__discovery__v3__delta_discovery_request__free_unpacked(m, NULL);
	return rc;
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
 * the name pointer. */
struct cursor {
	const char *base;
	size_t n, i, stride;
};

static const char *
cursor_name(const struct cursor *c)
{
	return c->i < c->n ? *(const char *const *)(const void *)(c->base + c->i * c->stride) :
	    NULL;
}

static const void *
cursor_take(struct cursor *c)
{
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
		{ sset ? (const char *)sset->items : NULL, sset ? sset->n : 0, 0,
		  sizeof(struct xds_resource) },
		{ bset ? (const char *)bset->items : NULL, bset ? bset->n : 0, 0,
		  sizeof(struct xds_resource) },
		{ (const char *)ts->overlay, ts->noverlay, 0, sizeof(struct delta_entry) },
		{ ts->names ? (const char *)ts->names->v : NULL,
		  ads_names_count(ts->names), 0, sizeof(char *) },
		{ (const char *)ts->pending, ts->npending, 0, sizeof(char *) },
	};
	size_t cap = 0, n = 0;
	struct cand *c;

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
	size_t i = 0, j = 0, cap = 0;

	d->n = 0;
	while (i < from->n || j < to->n) {
		int c;

		if (i == from->n)
			c = 1;
		else if (j == to->n)
			c = -1;
		else if (from->items[i].name == to->items[j].name)
			c = 0;
		else
			c = strcmp(from->items[i].name, to->items[j].name);
		if (c == 0 && same_item(&from->items[i], &to->items[j])) {
			i++;
			j++;
			continue;
		}
		ARRAY_PUSH(d->v, d->n, cap, ((struct diff_pair){
			.b = c <= 0 ? (uint32_t)i : DIFF_ABSENT,
			.s = c >= 0 ? (uint32_t)j : DIFF_ABSENT }));
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
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

static int
item_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct xds_resource *)elem)->name);
}

static const struct xds_resource *
set_find(const struct xds_resource_set *set, const char *name)
{
	size_t i;

	if (set == NULL)
		return NULL;
	i = sorted_search(name, set->items, set->n, sizeof set->items[0],
	    item_name_cmp);
	return i < set->n && strcmp(set->items[i].name, name) == 0 ?
	    &set->items[i] : NULL;
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
		    sset->items[dp->s].name : bset->items[dp->b].name;
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
			s = dp->s != DIFF_ABSENT ? &sset->items[dp->s] : NULL;
			b = dp->b != DIFF_ABSENT ? &bset->items[dp->b] : NULL;
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
	free_overlay(ts->overlay, ts->noverlay);
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

		*p++ = TAG_RESPONSE_RESOURCES;
		p = ads_put_varint(p, resource_size(url_len, res));
		p = ads_put_field(p, TAG_RESOURCE_VERSION, res->version_hex, 16);
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
	    bsearch(&key, ts->overlay, ts->noverlay, sizeof key, cmp_entry);
	const struct xds_resource *b = ts->base ? snapshot_find(ts->base, t, name) : NULL;

	return have_of(o, b, version_out);
}
