#include "ads/sotw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

#define NODE_NAME(st) ((st)->node_id ? (st)->node_id : "-")

void
sotw_init(struct sotw_stream *st)
{
	memset(st, 0, sizeof *st);
}

static void
free_names(struct sotw_type_state *ts)
{
	for (size_t i = 0; i < ts->nnames; i++)
		free(ts->names[i]);
	free(ts->names);
	ts->names = NULL;
	ts->nnames = 0;
}

void
sotw_free(struct sotw_stream *st)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		struct sotw_type_state *ts = &st->types[t];

		free_names(ts);
		snapshot_unref(ts->sent_snap);
		free(ts->nack.message);
	}
	free(st->node_id);
	free(st->node_cluster);
	memset(st, 0, sizeof *st);
}

bool
sotw_is_named(const struct sotw_type_state *ts, const char *name)
{
	size_t lo = 0, hi = ts->nnames;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, ts->names[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Legacy wildcard (an empty list means "everything") exists only for the
 * types Envoy subscribes to without knowing names. */
static bool
legacy_wildcard_type(enum xds_type t)
{
	return t == XDS_LISTENER || t == XDS_CLUSTER;
}

/* Applies a request's resource_names to the subscription, following
 * "How the client specifies what resources to return" of the xDS protocol
 * document. Returns whether the subscription changed. */
static bool
update_subscription(struct sotw_type_state *ts, enum xds_type t,
    const char *const *names, size_t n)
{
	const char **sorted;
	size_t m = 0;
	bool star = false, wildcard, changed;

	if (n == 0 && !ts->named_before && legacy_wildcard_type(t)) {
		/* Never named anything: still (or newly) a legacy wildcard. */
		changed = !ts->wildcard || ts->nnames > 0;
		ts->wildcard = true;
		free_names(ts);
		return changed;
	}
	if (n > 0)
		ts->named_before = true;

	sorted = xcalloc(n ? n : 1, sizeof *sorted);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "*") == 0)
			star = true;
		else
			sorted[m++] = names[i];
	}
	if (m > 1)
		qsort(sorted, m, sizeof *sorted, cmp_str);
	if (m > 1) {
		size_t out = 1;

		for (size_t i = 1; i < m; i++)
			if (strcmp(sorted[i], sorted[out - 1]) != 0)
				sorted[out++] = sorted[i];
		m = out;
	}
	wildcard = star;

	changed = wildcard != ts->wildcard || m != ts->nnames;
	for (size_t i = 0; !changed && i < m; i++)
		changed = strcmp(sorted[i], ts->names[i]) != 0;
	if (changed) {
		free_names(ts);
		ts->wildcard = wildcard;
		if (m > 0) {
			ts->names = xcalloc(m, sizeof *ts->names);
			for (size_t i = 0; i < m; i++)
				ts->names[i] = xstrdup(sorted[i]);
			ts->nnames = m;
		}
	}
	free(sorted);
	return changed;
}

static enum sotw_verdict
record_ack_or_nack(struct sotw_stream *st, enum xds_type t,
    const struct sotw_request *req)
{
	struct sotw_type_state *ts = &st->types[t];
	const char *nonce = req->response_nonce ? req->response_nonce : "";

	if (!ts->sent || nonce[0] == '\0')
		return nonce[0] == '\0' ? SOTW_REQUEST : SOTW_STALE;
	if (strcmp(nonce, ts->sent_nonce) != 0)
		return SOTW_STALE;
	if (!req->has_error) {
		memcpy(ts->acked_version, ts->sent_version, sizeof ts->acked_version);
		return SOTW_ACK;
	}
	if (ts->has_nack && strcmp(ts->nack.nonce, nonce) == 0)
		return SOTW_NACK_REPEATED;

	/* The rejected version is the one sent with this nonce; the request's
	 * version_info is the last one the client accepted. Never resent:
	 * sent_set still describes it, so only a change makes a new response. */
	free(ts->nack.message);
	ts->has_nack = true;
	memcpy(ts->nack.version, ts->sent_version, sizeof ts->nack.version);
	memcpy(ts->nack.nonce, ts->sent_nonce, sizeof ts->nack.nonce);
	ts->nack.code = req->error_code;
	ts->nack.message = xstrdup(req->error_message ? req->error_message : "");
	ts->nack.when = time(NULL);
	log_warning("ads: node %s rejected %s version %s: %s", NODE_NAME(st),
	    xds_type_short(t), ts->nack.version, ts->nack.message);
	return SOTW_NACK;
}

int
sotw_handle_request(struct sotw_stream *st, const struct sotw_request *req,
    struct sotw_result *out, char **errmsg)
{
	struct sotw_type_state *ts;
	enum xds_type t;

	memset(out, 0, sizeof *out);
	if (st->node_id == NULL && req->node_id != NULL && req->node_id[0] != '\0') {
		st->node_id = xstrdup(req->node_id);
		st->node_cluster = xstrdup(req->node_cluster ? req->node_cluster : "");
	}
	if (req->type_url == NULL || req->type_url[0] == '\0') {
		*errmsg = xstrdup("DiscoveryRequest without type_url: an aggregated "
		    "(ADS) stream needs the type_url on every request");
		return -1;
	}
	if (xds_type_from_url(req->type_url, &t) < 0) {
		*errmsg = xasprintf("unsupported type_url \"%s\": cairn serves "
		    "Listener, RouteConfiguration, Cluster, ClusterLoadAssignment "
		    "and Secret (v3)", req->type_url);
		return -1;
	}
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
	if (t == XDS_ENDPOINT && st->eds_rewarm) {
		ts->must_answer = true;
		st->eds_rewarm = false;
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

/* What the subscription selects from set, in name order, without
 * duplicates: under a wildcard every resource except named-only ones, plus
 * explicitly named ones that exist. items has room for the result (at
 * most set->n). Returns the count and the hash of the (name, version) list. */
static size_t
select_resources(const struct sotw_type_state *ts,
    const struct xds_resource_set *set, const struct xds_resource **items,
    uint64_t *hash_out)
{
	struct hash_state *h = hash_begin();
	size_t n = 0;

	if (ts->wildcard) {
		for (size_t i = 0; i < set->n; i++) {
			const struct xds_resource *r = &set->items[i];

			if (!r->named_only || sotw_is_named(ts, r->name))
				items[n++] = r;
		}
	} else {
		/* Both lists are sorted by strcmp: merge them. */
		size_t i = 0, j = 0;

		while (i < ts->nnames && j < set->n) {
			int c = strcmp(ts->names[i], set->items[j].name);

			if (c == 0)
				items[n++] = &set->items[j];
			if (c <= 0)
				i++;
			if (c >= 0)
				j++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		hash_update(h, items[i]->name, strlen(items[i]->name) + 1);
		hash_update(h, items[i]->version_hex, 16);
	}
	*hash_out = hash_end(h);
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

bool
sotw_next_response(struct sotw_stream *st, struct snapshot *snap,
    struct sotw_response *out)
{
	memset(out, 0, sizeof *out);
	if (snap == NULL)
		return false;
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		struct sotw_type_state *ts = &st->types[t];
		const struct xds_resource_set *set = &snap->types[t];
		const struct xds_resource **items;
		uint64_t hash;
		size_t n;

		if (!ts->requested)
			continue;
		if (!ts->must_answer && !ts->subscription_changed && ts->sent &&
		    ts->sent_snap != NULL &&
		    ts->sent_snap->types[t].version == set->version) {
			/* Same content, same subscription: same set. */
			advance_sent_snap(ts, snap);
			continue;
		}
		items = xcalloc(set->n ? set->n : 1, sizeof *items);
		n = select_resources(ts, set, items, &hash);
		ts->subscription_changed = false;
		if (!ts->must_answer && ts->sent && hash == ts->sent_set) {
			/* Nothing new for this client (or exactly what it
			 * rejected last): no redundant response. */
			free(items);
			advance_sent_snap(ts, snap);
			continue;
		}

		out->type = (enum xds_type)t;
		out->version = set->version_hex;
		snprintf(out->nonce, sizeof out->nonce, "%" PRIu64, ++st->nonce_counter);
		out->items = items;
		out->n = n;

		ts->must_answer = false;
		ts->sent = true;
		memcpy(ts->sent_nonce, out->nonce, sizeof ts->sent_nonce);
		memcpy(ts->sent_version, set->version_hex, sizeof ts->sent_version);
		ts->sent_set = hash;
		ts->sent_count = n;
		advance_sent_snap(ts, snap);
		if (t == XDS_CLUSTER)
			st->eds_rewarm = true;
		else if (t == XDS_ENDPOINT)
			st->eds_rewarm = false;
		return true;
	}
	return false;
}

void
sotw_response_free(struct sotw_response *r)
{
	free(r->items);
	r->items = NULL;
	r->n = 0;
}

/* --- protobuf wire encoding of DiscoveryResponse ----------------------- */

/* Field tags (field number << 3 | wire type 2, length-delimited). */
enum {
	TAG_RESPONSE_VERSION_INFO = (1 << 3) | 2,
	TAG_RESPONSE_RESOURCES = (2 << 3) | 2,
	TAG_RESPONSE_TYPE_URL = (4 << 3) | 2,
	TAG_RESPONSE_NONCE = (5 << 3) | 2,
	TAG_ANY_TYPE_URL = (1 << 3) | 2,
	TAG_ANY_VALUE = (2 << 3) | 2,
};

static size_t
varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *
put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Size of a length-delimited field with a one-byte tag; proto3 leaves
 * empty strings and bytes out. */
static size_t
field_size(size_t len)
{
	return len == 0 ? 0 : 1 + varint_size(len) + len;
}

static uint8_t *
put_field(uint8_t *p, uint8_t tag, const void *data, size_t len)
{
	if (len == 0)
		return p;
	*p++ = tag;
	p = put_varint(p, len);
	memcpy(p, data, len);
	return p + len;
}

static size_t
any_size(size_t url_len, const struct xds_resource *r)
{
	return field_size(url_len) + field_size(r->len);
}

size_t
sotw_response_encode(const struct sotw_response *r, uint8_t *buf)
{
	const char *url = xds_type_url(r->type);
	size_t url_len = strlen(url), total = 0;
	uint8_t *p = buf;

	total += field_size(strlen(r->version));
	for (size_t i = 0; i < r->n; i++) {
		size_t a = any_size(url_len, r->items[i]);

		total += 1 + varint_size(a) + a;
	}
	total += field_size(url_len) + field_size(strlen(r->nonce));
	if (buf == NULL)
		return total;

	p = put_field(p, TAG_RESPONSE_VERSION_INFO, r->version, strlen(r->version));
	for (size_t i = 0; i < r->n; i++) {
		const struct xds_resource *res = r->items[i];

		*p++ = TAG_RESPONSE_RESOURCES;
		p = put_varint(p, any_size(url_len, res));
		p = put_field(p, TAG_ANY_TYPE_URL, url, url_len);
		p = put_field(p, TAG_ANY_VALUE, res->bytes, res->len);
	}
	p = put_field(p, TAG_RESPONSE_TYPE_URL, url, url_len);
	p = put_field(p, TAG_RESPONSE_NONCE, r->nonce, strlen(r->nonce));
	return (size_t)(p - buf);
}
