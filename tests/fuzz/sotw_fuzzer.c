/* One SotW ADS stream (SPEC.md §8) driven by arbitrary input: serialized
 * DiscoveryRequests as a client would send them, ACKs and NACKs of what
 * was sent, and snapshot changes, against fixed snapshots.
 *
 * Input: a sequence of operations, each one byte `op` then its data:
 *   op % 4 == 0: a DiscoveryRequest, 2 bytes little-endian length + bytes
 *   op % 4 == 1: publish the next of three snapshots
 *   op % 4 == 2: ACK the last response of type (op / 4) % 5
 *   op % 4 == 3: NACK it
 * After each operation the stream sends everything sotw_next_response()
 * offers. Properties beyond memory safety:
 *   - a request is either handled or ends the stream with a message;
 *   - a round of responses is bounded (each type once, plus the LDS and
 *     CDS withdrawals of make-before-break) and then nothing more is due
 *     (no redundant pushes);
 *   - a response holds resources of the current snapshot (and at most
 *     nkept the client still has), sorted and unique, only subscribed
 *     ones, named-only ones only when named; without kept resources its
 *     version is the snapshot's;
 *   - the encoded DiscoveryResponse is exactly the announced size and
 *     decodes with protobuf-c to the same type, version, nonce and count;
 *   - no Listener or RouteConfiguration is sent while a cluster it uses
 *     warms (the gate is on), and a held update has a deadline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ads/sotw.h"
#include "ads_fixture.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "fuzz.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"

static struct snapshot *snaps[ADS_FIXTURE_GENERATIONS];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	ads_fixture_snapshots(snaps);
	return 0;
}

struct last_sent {
	bool any;
	char nonce[21];
	char version[17];
};

static void
check_response(const struct sotw_stream *st, struct snapshot *snap,
    const struct sotw_response *r)
{
	const struct sotw_type_state *ts = &st->types[r->type];
	Envoy__Service__Discovery__V3__DiscoveryResponse *m;
	size_t size = sotw_response_encode(r, NULL), written;
	uint8_t *buf = xmalloc(size ? size : 1);
	size_t foreign = 0;

	FUZZ_CHECK(strlen(r->version) == 16);
	if (r->nkept == 0)
		FUZZ_CHECK(strcmp(r->version, snap->types[r->type].version_hex) == 0);
	for (size_t i = 0; i < r->n; i++) {
		const struct xds_resource *res = r->items[i];

		if (i > 0)
			FUZZ_CHECK(strcmp(r->items[i - 1]->name, res->name) < 0);
		if (snapshot_find(snap, r->type, res->name) != res) {
			/* Kept for make-before-break: not in this snapshot. */
			foreign++;
			continue;
		}
		if (res->named_only || !ts->wildcard)
			FUZZ_CHECK(sotw_is_named(ts, res->name));
	}
	FUZZ_CHECK(foreign <= r->nkept);
	written = sotw_response_encode(r, buf);
	FUZZ_CHECK(written == size);
	m = envoy__service__discovery__v3__discovery_response__unpack(NULL, size, buf);
	FUZZ_CHECK(m != NULL);
	FUZZ_CHECK(strcmp(m->type_url, xds_type_url(r->type)) == 0);
	FUZZ_CHECK(strcmp(m->version_info, r->version) == 0);
	FUZZ_CHECK(strcmp(m->nonce, r->nonce) == 0);
	FUZZ_CHECK(m->n_resources == r->n);
	for (size_t i = 0; i < m->n_resources; i++)
		FUZZ_CHECK(m->resources[i]->value.len == r->items[i]->len &&
		    memcmp(m->resources[i]->value.data,
		    xds_resource_bytes(r->items[i]),
		    r->items[i]->len) == 0);
	envoy__service__discovery__v3__discovery_response__free_unpacked(m, NULL);
	free(buf);
}

/* Sends everything due, as the stream would with instant completions. */
static void
drain(struct sotw_stream *st, struct snapshot *snap, struct last_sent *last)
{
	struct sotw_response r;
	int count = 0;

	while (sotw_next_response(st, snap, &r)) {
		FUZZ_CHECK(++count <= XDS_TYPE_COUNT + 2);
		/* The warming gate: nothing that uses a warming cluster. */
		if (r.type == XDS_LISTENER || r.type == XDS_ROUTE)
			for (size_t i = 0; i < r.n; i++)
				for (size_t k = 0; k < r.items[i]->nuses; k++)
					for (size_t e = 0; e < st->warming.n; e++)
						FUZZ_CHECK(r.items[i]->uses[k] !=
						    st->warming.v[e].cluster_hash);
		check_response(st, snap, &r);
		last[r.type].any = true;
		memcpy(last[r.type].nonce, r.nonce, sizeof last[r.type].nonce);
		memcpy(last[r.type].version, r.version, sizeof last[r.type].version);
		sotw_response_free(&r);
	}
	FUZZ_CHECK(!sotw_next_response(st, snap, &r));
	if (st->warming.held)
		FUZZ_CHECK(st->warming.n > 0 && ads_warming_deadline(&st->warming) > 0);
}

/* An ACK or NACK of the last response of type t with the subscription
 * unchanged, as Envoy sends it. */
static int
reply(struct sotw_stream *st, enum xds_type t, const struct last_sent *last,
    bool nack, char **err)
{
	const struct sotw_type_state *ts = &st->types[t];
	const char **names = xcalloc(ads_names_count(ts->names) + 1, sizeof *names);
	struct sotw_request req = { 0 };
	struct sotw_result res;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < ads_names_count(ts->names); i++)
		names[n++] = ts->names->v[i];
	if (ts->wildcard && ts->named_before)
		names[n++] = "*";
	req.type_url = xds_type_url(t);
	req.version_info = nack ? "" : last->version;
	req.response_nonce = last->nonce;
	req.resource_names = names;
	req.n_resource_names = n;
	req.has_error = nack;
	req.error_code = 3;
	req.error_message = nack ? "rejected by the fuzzer" : NULL;
	rc = sotw_handle_request(st, &req, &res, err);
	free(names);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(res.type == t);
	FUZZ_CHECK(!res.subscription_changed);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sotw_stream st;
	struct last_sent last[XDS_TYPE_COUNT];
	size_t at = 0, gen = 0;

	memset(last, 0, sizeof last);
	sotw_init(&st);
	/* The warming gate on (never timing out within a run). */
	st.warming.timeout_ms = 600000;
	while (at < size) {
		uint8_t op = data[at++];
		struct sotw_result res;
		enum xds_type t = (enum xds_type)((op / 4) % XDS_TYPE_COUNT);
		char *err = NULL;
		const uint8_t *msg;
		size_t len;
		int rc = 0;

		switch (op % 4) {
		case 0:
			msg = ads_fixture_take_message(data, size, &at, &len);
			rc = sotw_handle_message(&st, msg, len, &res, &err);
			break;
		case 1:
			gen = (gen + 1) % ADS_FIXTURE_GENERATIONS;
			break;
		case 2:
		case 3:
			if (last[t].any)
				rc = reply(&st, t, &last[t], op % 4 == 3, &err);
			break;
		}
		if (rc < 0) {
			/* The stream ends with INVALID_ARGUMENT and this text. */
			FUZZ_CHECK(err != NULL && err[0] != '\0');
			free(err);
			break;
		}
		FUZZ_CHECK(err == NULL);
		drain(&st, snaps[gen], last);
	}
	sotw_free(&st);
	return 0;
}
