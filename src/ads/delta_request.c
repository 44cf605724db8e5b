/* The requests of a delta xDS stream (delta.c answers them): the sorted
 * sets of subscribed names, nonces and ACKs or NACKs, the initial
 * versions a reconnecting client has, subscriptions and the decoded
 * message. Apart from delta.c: what a client asks is read here, what it
 * is sent is decided there. */
#include "ads/delta_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sorted.h"
#include "util/xalloc.h"

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
	ts->has_nack = true;
	ads_nack_record(&ts->nack, st->node_id, t, version, nonce,
	    req->error_code, req->error_message);
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

int
delta_cmp_entry(const void *a, const void *b)
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

	delta_free_overlay(ts->overlay, ts->noverlay);
	ts->overlay = xcalloc(req->ninitial, sizeof *ts->overlay);
	for (size_t i = 0; i < req->ninitial; i++) {
		struct delta_entry *e = &ts->overlay[n];

		e->name = xstrdup(req->initial_names[i]);
		e->have = parse_version(req->initial_versions[i], &e->version) ?
		    DELTA_HAS : DELTA_FOREIGN;
		n++;
	}
	qsort(ts->overlay, n, sizeof *ts->overlay, delta_cmp_entry);
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
	ads_node_remember(&st->node_id, &st->node_cluster, &st->node_gateway,
	    req->node_id, req->node_cluster, req->node_gateway);
	if (ads_request_type(req->type_url, "DeltaDiscoveryRequest", &t,
	    errmsg) < 0)
		return -1;
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
