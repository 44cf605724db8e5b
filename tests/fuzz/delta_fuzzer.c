/* One incremental (delta) ADS stream (SPEC.md §8) driven by arbitrary
 * input: serialized DeltaDiscoveryRequests as a client would send them,
 * ACKs and NACKs of what was sent, and snapshot changes, against the
 * snapshots of ads_fixture.h.
 *
 * Input: one configuration byte, then a sequence of operations, each one
 * byte `op` then its data:
 *   config & 1: split responses at 96 + (config >> 1) * 4 bytes (else
 *               Envoy's 4 MiB), so the split paths are exercised
 *   op % 4 == 0: a DeltaDiscoveryRequest, 2 bytes little-endian length + bytes
 *   op % 4 == 1: publish the next of the fixture's snapshots
 *   op % 4 == 2: ACK the last response of type (op / 4) % 5
 *   op % 4 == 3: NACK it
 * After each operation the stream sends everything due. The fuzzer keeps
 * its own model of the stream, from the requests it decodes itself and the
 * responses it decodes off the wire: what each type is subscribed to
 * (wildcard, names) and what the client has (name -> version). Properties
 * beyond memory safety:
 *   - a request is refused (the stream ends with a message) exactly when
 *     it does not decode or names no type cairn serves;
 *   - the verdict on a nonce: none is a plain request, the last one sent
 *     for the type an ACK (a NACK with error_detail), one never sent for
 *     the type stale;
 *   - every response decodes, is of its type, with the snapshot's
 *     revision and a nonce greater than every earlier one; its resources
 *     and removals are sorted and disjoint; every resource is in the
 *     snapshot, with its bytes and version, and subscribed to (named, or
 *     under the wildcard and not named-only); no removal names a resource
 *     the client is subscribed to and the snapshot holds;
 *   - only the first response of a type may be empty; make responses
 *     (SDS, CDS, EDS, LDS, RDS) all come before withdrawals (LDS, RDS,
 *     CDS, EDS, SDS), each phase in its order; unsplit, each type answers
 *     at most once per phase; a split response is within the limit
 *     unless it holds a single entry;
 *   - the body streams share (resources and type_url) is the same bytes
 *     whenever the type and key it is cached under are, within a snapshot;
 *   - no Listener or RouteConfiguration is sent while a cluster it uses
 *     warms (src/ads/warming.h; the gate is on);
 *   - once everything due is sent, the client has exactly the subscribed
 *     resources of the snapshot at their versions (unless the warming gate
 *     holds an update back, with a deadline), nothing more is due,
 *     and an ACK or NACK makes nothing due (but a NACK of CDS releases
 *     what the warming gate held).
 * Any violation aborts (fuzz_fail). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "ads/delta.h"
#include "ads_fixture.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "fuzz.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"

#define SPLIT_BASE 96
#define MAX_DRAIN 4096

static struct snapshot *snaps[ADS_FIXTURE_GENERATIONS];

/* --- adapter: the only code here that knows src/ads/delta.h --------------
 * The stream API is being reworked (shared encodings, interned
 * subscriptions); everything the fuzzer needs from it goes through these
 * four functions, which speak wire bytes and this file's own types. */

enum fz_verdict { FZ_REQUEST, FZ_ACK, FZ_NACK, FZ_STALE };

struct fz_response {
	enum xds_type type;
	bool withdrawal; /* the break phase */
	uint8_t *wire; /* the encoded DeltaDiscoveryResponse */
	size_t len;
	/* The part streams share (src/ads/stream.c caches it by type and
	 * body_key for one snapshot): it must depend on nothing else. */
	uint64_t body_key;
	uint8_t *body;
	size_t body_len;
};

static struct delta_stream *
fz_open(size_t max_response_bytes)
{
	struct delta_stream *st = xmalloc(sizeof *st);

	delta_init(st);
	/* The warming gate on (never timing out within a run). */
	st->warming.timeout_ms = 600000;
	st->max_response_bytes = max_response_bytes;
	return st;
}

static void
fz_close(struct delta_stream *st)
{
	delta_free(st);
	free(st);
}

/* Returns -1 with *err when the stream must end. */
static int
fz_handle(struct delta_stream *st, const uint8_t *data, size_t len,
    enum fz_verdict *verdict, char **err)
{
	struct delta_result res;
	int rc = delta_handle_message(st, data, len, &res, err);

	if (rc == 0) {
		switch (res.verdict) {
		case ADS_REQUEST: *verdict = FZ_REQUEST; break;
		case ADS_ACK: *verdict = FZ_ACK; break;
		case ADS_NACK:
		case ADS_NACK_REPEATED: *verdict = FZ_NACK; break;
		case ADS_STALE: *verdict = FZ_STALE; break;
		}
	}
	return rc;
}

static bool
fz_next(struct delta_stream *st, struct snapshot *snap, struct fz_response *out)
{
	struct delta_response r;

	if (!delta_next_response(st, snap, &r))
		return false;
	/* The warming gate: no Listener or RouteConfiguration goes out
	 * while a cluster it uses warms. */
	if (r.type == XDS_LISTENER || r.type == XDS_ROUTE)
		for (size_t i = 0; i < r.n; i++)
			for (size_t k = 0; k < r.items[i]->nuses; k++)
				for (size_t e = 0; e < st->warming.n; e++)
					FUZZ_CHECK(r.items[i]->uses[k] !=
					    st->warming.v[e].cluster_hash);
	out->type = r.type;
	out->withdrawal = r.withdrawal;
	out->len = delta_response_encode(&r, NULL);
	out->wire = xmalloc(out->len ? out->len : 1);
	FUZZ_CHECK(delta_response_encode(&r, out->wire) == out->len);
	out->body_key = r.set_hash;
	out->body_len = delta_response_encode_body(&r, NULL);
	out->body = xmalloc(out->body_len ? out->body_len : 1);
	FUZZ_CHECK(delta_response_encode_body(&r, out->body) == out->body_len);
	delta_response_free(&r);
	return true;
}

/* --- the model ------------------------------------------------------------ */

/* A small map of names (to versions, or to NULL as a set). Linear: inputs
 * are at most a few hundred names. */
struct names {
	char **name;
	char **value;
	size_t n, cap;
};

static ssize_t
names_find(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

static const char *
names_get(const struct names *s, const char *name)
{
	ssize_t i = names_find(s, name);

	return i < 0 ? NULL : s->value[i] ? s->value[i] : "";
}

static void
names_put(struct names *s, const char *name, const char *value)
{
	ssize_t i = names_find(s, name);

	if (i < 0) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 8;
			s->name = xreallocarray(s->name, s->cap, sizeof *s->name);
			s->value = xreallocarray(s->value, s->cap, sizeof *s->value);
		}
		i = (ssize_t)s->n++;
		s->name[i] = xstrdup(name);
		s->value[i] = NULL;
	}
	free(s->value[i]);
	s->value[i] = value ? xstrdup(value) : NULL;
}

static void
names_del_at(struct names *s, size_t i)
{
	free(s->name[i]);
	free(s->value[i]);
	s->name[i] = s->name[s->n - 1];
	s->value[i] = s->value[s->n - 1];
	s->n--;
}

static void
names_del(struct names *s, const char *name)
{
	ssize_t i = names_find(s, name);

	if (i >= 0)
		names_del_at(s, (size_t)i);
}

static void
names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->name[i]);
		free(s->value[i]);
	}
	free(s->name);
	free(s->value);
	memset(s, 0, sizeof *s);
}

/* A version the client claims that it may or may not hold (duplicate
 * initial_resource_versions keys): not checked until it is answered. */
#define UNKNOWN_VERSION "?"

struct model_type {
	bool requested, wildcard;
	struct names named; /* explicit subscriptions (a set) */
	struct names has; /* what the client has: name -> version */
	struct names nonces; /* every nonce sent for this type (a set) */
	char last_nonce[32]; /* of the last response, "" before any */
	size_t responses;
};

/* The shared bodies sent since the last snapshot switch. */
struct body {
	enum xds_type type;
	uint64_t key;
	uint8_t *bytes;
	size_t len;
};

struct model {
	struct model_type t[XDS_TYPE_COUNT];
	struct body *bodies;
	size_t nbodies, bodies_cap;
	unsigned long long last_nonce;
	size_t limit; /* 0: unsplit */
};

static void
bodies_clear(struct model *m)
{
	for (size_t i = 0; i < m->nbodies; i++)
		free(m->bodies[i].bytes);
	m->nbodies = 0;
}

/* A body shared under (type, key) must be the same bytes every time, or a
 * stream would be sent another stream's resources. Takes r's body. */
static void
check_body(struct model *m, struct fz_response *r)
{
	struct body b = { r->type, r->body_key, r->body, r->body_len };

	for (size_t i = 0; i < m->nbodies; i++) {
		if (m->bodies[i].type != r->type || m->bodies[i].key != r->body_key)
			continue;
		FUZZ_CHECK(m->bodies[i].len == r->body_len &&
		    memcmp(m->bodies[i].bytes, r->body, r->body_len) == 0);
		free(r->body);
		return;
	}
	ARRAY_PUSH(m->bodies, m->nbodies, m->bodies_cap, b);
}

static void
model_free(struct model *m)
{
	bodies_clear(m);
	free(m->bodies);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		names_free(&m->t[t].named);
		names_free(&m->t[t].has);
		names_free(&m->t[t].nonces);
	}
}

/* Whether the stream must send name (when the snapshot has it) and must
 * not leave the client holding it (when the snapshot does not). */
static bool
covered(const struct model_type *mt, const struct xds_resource *r, const char *name)
{
	if (names_get(&mt->named, name) != NULL)
		return true;
	return mt->wildcard && (r == NULL || !r->named_only);
}

/* The client forgets what it is no longer subscribed to, and so does the
 * server; a later subscription gets the resource again. */
static void
model_forget_unsubscribed(struct model_type *mt, struct snapshot *snap, enum xds_type t)
{
	for (size_t i = 0; i < mt->has.n;) {
		const char *name = mt->has.name[i];

		if (!covered(mt, snapshot_find(snap, t, name), name))
			names_del_at(&mt->has, i);
		else
			i++;
	}
}

/* The verdict a nonce must get; false when it is open (an older nonce of
 * the type, which the server may or may not still remember). Nonces are
 * opaque strings: only the exact text sent acknowledges. */
static bool
expected_verdict(const struct model_type *mt, const char *nonce, bool nack,
    enum fz_verdict *out)
{
	if (nonce[0] == '\0') {
		*out = FZ_REQUEST;
		return true;
	}
	if (mt->last_nonce[0] != '\0' && strcmp(nonce, mt->last_nonce) == 0) {
		*out = nack ? FZ_NACK : FZ_ACK;
		return true;
	}
	if (names_get(&mt->nonces, nonce) == NULL) {
		*out = FZ_STALE;
		return true;
	}
	return false;
}

typedef Envoy__Service__Discovery__V3__DeltaDiscoveryRequest DeltaRequest;
typedef Envoy__Service__Discovery__V3__DeltaDiscoveryResponse DeltaResponse;

/* Applies a request the stream accepted to the model. */
static void
model_request(struct model *m, const DeltaRequest *req, enum xds_type t,
    struct snapshot *snap)
{
	struct model_type *mt = &m->t[t];
	bool first = !mt->requested;

	mt->requested = true;
	if (first) {
		for (size_t i = 0; i < req->n_initial_resource_versions; i++) {
			const char *k = req->initial_resource_versions[i]->key;
			const char *v = req->initial_resource_versions[i]->value;
			const char *had = names_get(&mt->has, k);

			names_put(&mt->has, k, had && strcmp(had, v) != 0 ?
			    UNKNOWN_VERSION : v);
		}
		if (req->n_resource_names_subscribe == 0 &&
		    req->n_resource_names_unsubscribe == 0 &&
		    (t == XDS_LISTENER || t == XDS_CLUSTER))
			mt->wildcard = true; /* legacy wildcard */
	}
	for (size_t i = 0; i < req->n_resource_names_subscribe; i++) {
		const char *n = req->resource_names_subscribe[i];

		if (strcmp(n, "*") == 0)
			mt->wildcard = true;
		else
			names_put(&mt->named, n, NULL);
	}
	for (size_t i = 0; i < req->n_resource_names_unsubscribe; i++) {
		const char *n = req->resource_names_unsubscribe[i];

		if (strcmp(n, "*") == 0)
			mt->wildcard = false;
		else
			names_del(&mt->named, n);
	}
	model_forget_unsubscribed(mt, snap, t);
}

/* Decodes and hands one request to the stream; checks the refusal and the
 * verdict against the model. Returns false when the stream ended. */
static bool
send_request(struct model *m, struct delta_stream *st, const uint8_t *data,
    size_t len, struct snapshot *snap, enum fz_verdict *verdict_out)
{
	DeltaRequest *req =
	    envoy__service__discovery__v3__delta_discovery_request__unpack(NULL, len, data);
	enum xds_type t = XDS_SECRET;
	bool valid = req != NULL && req->type_url[0] != '\0' &&
	    xds_type_from_url(req->type_url, &t) == 0;
	enum fz_verdict verdict = FZ_REQUEST, want;
	char *err = NULL;
	int rc = fz_handle(st, data, len, &verdict, &err);

	if (!valid) {
		FUZZ_CHECK(rc < 0 && err != NULL && err[0] != '\0');
	} else {
		FUZZ_CHECK(rc == 0 && err == NULL);
		if (expected_verdict(&m->t[t], req->response_nonce,
		    req->error_detail != NULL, &want))
			{ if (verdict != want) fprintf(stderr, "nonce %s verdict %d want %d\n", req->response_nonce, verdict, want); FUZZ_CHECK(verdict == want); }
		model_request(m, req, t, snap);
	}
	free(err);
	if (req != NULL)
		envoy__service__discovery__v3__delta_discovery_request__free_unpacked(req, NULL);
	if (verdict_out != NULL)
		*verdict_out = verdict;
	return valid;
}

/* --- responses ------------------------------------------------------------- */

/* Where a response may come in a drain: make phase by type, then the
 * break phase by users before what they use. */
static int
phase_rank(enum xds_type t, bool withdrawal)
{
	static const int break_rank[XDS_TYPE_COUNT] = {
		[XDS_LISTENER] = 0, [XDS_ROUTE] = 1, [XDS_CLUSTER] = 2,
		[XDS_ENDPOINT] = 3, [XDS_SECRET] = 4,
	};

	return withdrawal ? XDS_TYPE_COUNT + break_rank[t] : (int)t;
}

static void
check_nonce(struct model *m, struct model_type *mt, const char *nonce)
{
	unsigned long long v;
	char *end;

	FUZZ_CHECK(nonce[0] >= '1' && nonce[0] <= '9');
	FUZZ_CHECK(strspn(nonce, "0123456789") == strlen(nonce));
	v = strtoull(nonce, &end, 10);
	FUZZ_CHECK(v > m->last_nonce);
	m->last_nonce = v;
	FUZZ_CHECK(strlen(nonce) < sizeof mt->last_nonce);
	snprintf(mt->last_nonce, sizeof mt->last_nonce, "%s", nonce);
	names_put(&mt->nonces, nonce, NULL);
}

static void
check_resources(struct model_type *mt, struct snapshot *snap, enum xds_type t,
    const DeltaResponse *d)
{
	for (size_t i = 0; i < d->n_resources; i++) {
		const Envoy__Service__Discovery__V3__Resource *res = d->resources[i];
		const struct xds_resource *r = snapshot_find(snap, t, res->name);
		char version[17];

		if (i > 0)
			FUZZ_CHECK(strcmp(d->resources[i - 1]->name, res->name) < 0);
		FUZZ_CHECK(r != NULL);
		FUZZ_CHECK(covered(mt, r, r->name));
		hash_hex(r->version, version);
		FUZZ_CHECK(strcmp(res->version, version) == 0);
		FUZZ_CHECK(res->resource != NULL);
		FUZZ_CHECK(strcmp(res->resource->type_url, xds_type_url(t)) == 0);
		FUZZ_CHECK(res->resource->value.len == r->len &&
		    memcmp(res->resource->value.data, xds_resource_bytes(r),
		    r->len) == 0);
		names_put(&mt->has, r->name, version);
	}
	for (size_t i = 0; i < d->n_removed_resources; i++) {
		const char *name = d->removed_resources[i];
		const struct xds_resource *r = snapshot_find(snap, t, name);

		if (i > 0)
			FUZZ_CHECK(strcmp(d->removed_resources[i - 1], name) < 0);
		FUZZ_CHECK(r == NULL || !covered(mt, r, name));
		for (size_t j = 0; j < d->n_resources; j++)
			FUZZ_CHECK(strcmp(d->resources[j]->name, name) != 0);
		names_del(&mt->has, name);
	}
}

static void
check_response(struct model *m, struct snapshot *snap, const struct fz_response *r)
{
	struct model_type *mt = &m->t[r->type];
	DeltaResponse *d = envoy__service__discovery__v3__delta_discovery_response__unpack(
	    NULL, r->len, r->wire);
	size_t entries;

	FUZZ_CHECK(d != NULL);
	FUZZ_CHECK(mt->requested);
	FUZZ_CHECK(strcmp(d->type_url, xds_type_url(r->type)) == 0);
	FUZZ_CHECK(strcmp(d->system_version_info, snap->revision) == 0);
	check_nonce(m, mt, d->nonce);
	entries = d->n_resources + d->n_removed_resources;
	FUZZ_CHECK(entries > 0 || mt->responses == 0);
	if (r->withdrawal)
		FUZZ_CHECK(d->n_resources == 0);
	if (m->limit != 0)
		FUZZ_CHECK(r->len <= m->limit || entries == 1);
	check_resources(mt, snap, r->type, d);
	mt->responses++;
	envoy__service__discovery__v3__delta_discovery_response__free_unpacked(d, NULL);
}

/* Once nothing is due: the client has exactly what it subscribed to. */
static void
check_converged(const struct model *m, struct snapshot *snap)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const struct model_type *mt = &m->t[t];
		const struct xds_resource_set *set = &snap->types[t];

		if (!mt->requested)
			continue;
		for (size_t i = 0; i < set->n; i++) {
			const struct xds_resource *r = xds_set_at(set, i);
			const char *v = names_get(&mt->has, r->name);
			char version[17];

			if (!covered(mt, r, r->name))
				continue;
			FUZZ_CHECK(v != NULL);
			hash_hex(r->version, version);
			FUZZ_CHECK(strcmp(v, UNKNOWN_VERSION) == 0 ||
			    strcmp(v, version) == 0);
		}
		for (size_t i = 0; i < mt->has.n; i++)
			FUZZ_CHECK(snapshot_find(snap, (enum xds_type)t, mt->has.name[i]) != NULL);
	}
}

/* Sends everything due, as the stream would with instant completions.
 * Returns how many responses went out. */
static int
drain(struct model *m, struct delta_stream *st, struct snapshot *snap)
{
	struct fz_response r;
	int count = 0, rank = -1, per_rank[2 * XDS_TYPE_COUNT] = { 0 };

	while (fz_next(st, snap, &r)) {
		int k = phase_rank(r.type, r.withdrawal);

		FUZZ_CHECK(++count <= MAX_DRAIN);
		FUZZ_CHECK(k >= rank);
		rank = k;
		if (m->limit == 0)
			FUZZ_CHECK(++per_rank[k] == 1);
		check_response(m, snap, &r);
		check_body(m, &r);
		free(r.wire);
	}
	if (fz_next(st, snap, &r))
		fuzz_fail(__FILE__, __LINE__, "a response is due after the drain");
	/* An update the warming gate holds back waits for endpoints (or its
	 * deadline, never reached within a run): the client is not there
	 * yet, but something is warming and the stream knows when to wake. */
	if (st->warming.held) {
		FUZZ_CHECK(st->warming.n > 0);
		FUZZ_CHECK(ads_warming_deadline(&st->warming) > 0);
	} else {
		check_converged(m, snap);
	}
	return count;
}

/* An ACK or NACK of the last response of type t, the subscription
 * unchanged, as Envoy sends it. Returns false when the stream ended. */
static bool
reply(struct model *m, struct delta_stream *st, enum xds_type t, bool nack,
    struct snapshot *snap)
{
	DeltaRequest req = ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INIT;
	Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
	enum fz_verdict verdict;
	uint8_t *buf;
	size_t len;
	bool ok;

	req.type_url = (char *)xds_type_url(t);
	req.response_nonce = m->t[t].last_nonce;
	if (nack) {
		status.code = 3;
		status.message = "rejected by the fuzzer";
		req.error_detail = &status;
	}
	len = envoy__service__discovery__v3__delta_discovery_request__get_packed_size(&req);
	buf = xmalloc(len ? len : 1);
	envoy__service__discovery__v3__delta_discovery_request__pack(&req, buf);
	ok = send_request(m, st, buf, len, snap, &verdict);
	free(buf);
	FUZZ_CHECK(ok);
	FUZZ_CHECK(verdict == (nack ? FZ_NACK : FZ_ACK));
	return ok;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	ads_fixture_snapshots(snaps);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m = { 0 };
	struct delta_stream *st;
	size_t at = 0, gen = 0;

	if (size == 0)
		return 0;
	if (data[at] & 1)
		m.limit = SPLIT_BASE + (size_t)(data[at] >> 1) * 4;
	at++;
	st = fz_open(m.limit);
	while (at < size) {
		uint8_t op = data[at++];
		enum xds_type t = (enum xds_type)((op / 4) % XDS_TYPE_COUNT);
		const uint8_t *msg;
		size_t len;

		switch (op % 4) {
		case 0:
			msg = ads_fixture_take_message(data, size, &at, &len);
			if (!send_request(&m, st, msg, len, snaps[gen], NULL))
				goto out;
			break;
		case 1:
			gen = (gen + 1) % ADS_FIXTURE_GENERATIONS;
			bodies_clear(&m);
			for (int k = 0; k < XDS_TYPE_COUNT; k++)
				model_forget_unsubscribed(&m.t[k], snaps[gen], (enum xds_type)k);
			break;
		case 2:
		case 3: {
			bool held = st->warming.held;
			int due;

			if (m.t[t].last_nonce[0] == '\0')
				break;
			reply(&m, st, t, op % 4 == 3, snaps[gen]);
			/* The subscription did not change: nothing is due,
			 * except what the warming gate held for clusters a
			 * rejected CDS response brought (the client warms
			 * none of them). */
			due = drain(&m, st, snaps[gen]);
			FUZZ_CHECK(due == 0 || (held && t == XDS_CLUSTER && op % 4 == 3));
			continue;
		}
		}
		drain(&m, st, snaps[gen]);
	}
out:
	fz_close(st);
	model_free(&m);
	return 0;
}
