/* One ADS call: its batches, its lifetime and its protocol state.
 *
 * Batches of a stream, each with its own tag:
 *   close:  SEND_INITIAL_METADATA + RECV_CLOSE_ON_SERVER, started at once
 *           and pending for the whole call, so a vanished or cancelling
 *           client is noticed even while nothing else is pending;
 *   recv:   RECV_MESSAGE, restarted after each request;
 *   send:   SEND_MESSAGE, at most one in flight;
 *   status: SEND_STATUS_FROM_SERVER, once, after the send in flight.
 * Each started batch holds a reference on the stream; the stream (and its
 * grpc_call) is destroyed exactly once, when the last batch completed and
 * nobody else holds a reference. Batch results are never asserted: a
 * failed batch means the call is going away, and the close batch says so.
 *
 * Publishing: grpc core has no public way to post a custom tag to a
 * completion queue, so a new snapshot does not wake the queue thread. The
 * server's publisher thread (server.c) starts the send itself, under the
 * stream's mutex, which also serializes every other batch started on the
 * call (grpc core allows batches from any thread when calls on one call
 * are synchronized). A stream with a send in flight only keeps a dirty
 * marker and the newest snapshot; the send's completion evaluates again.
 * A response is the stream's own head and a body that streams sent the
 * same resources share (bodies.h). */
#include "ads/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>

#include "util/log.h"
#include "util/xalloc.h"

#define NODE(st) (stream_node_id(st) ? stream_node_id(st) : "-")

static const char *const kind_names[ADS_STREAM_KIND_COUNT] = {
	[ADS_STREAM_SOTW] = "sotw",
	[ADS_STREAM_DELTA] = "delta",
};

/* The node id from the client's first request that carried one. */
static const char *
stream_node_id(const struct ads_stream *st)
{
	return st->kind == ADS_STREAM_SOTW ? st->proto.sotw.node_id :
	    st->proto.delta.node_id;
}

static const char *
stream_node_cluster(const struct ads_stream *st)
{
	return st->kind == ADS_STREAM_SOTW ? st->proto.sotw.node_cluster :
	    st->proto.delta.node_cluster;
}

struct ads_stream *
ads_stream_ref(struct ads_stream *st)
{
	atomic_fetch_add_explicit(&st->refs, 1, memory_order_relaxed);
	return st;
}

static void
stream_destroy(struct ads_stream *st)
{
	if (st->recv_buf != NULL)
		grpc_byte_buffer_destroy(st->recv_buf);
	if (st->send_buf != NULL)
		grpc_byte_buffer_destroy(st->send_buf);
	if (st->kind == ADS_STREAM_SOTW)
		sotw_free(&st->proto.sotw);
	else
		delta_free(&st->proto.delta);
	snapshot_unref(st->snap);
	grpc_call_unref(st->call);
	pthread_mutex_destroy(&st->mu);
	free(st->peer);
	free(st);
}

void
ads_stream_unref(struct ads_stream *st)
{
	if (atomic_fetch_sub_explicit(&st->refs, 1, memory_order_acq_rel) == 1)
		stream_destroy(st);
}

struct ads_stream *
ads_stream_new(struct ads_server *s, grpc_call *call, char *peer,
    enum ads_stream_kind kind, uint64_t id)
{
	struct ads_stream *st = xcalloc(1, sizeof *st);

	st->server = s;
	st->id = id;
	st->kind = kind;
	st->call = call;
	st->peer = peer;
	st->connected_since = time(NULL);
	atomic_init(&st->refs, 1);
	pthread_mutex_init(&st->mu, NULL);
	st->recv_tag = (struct ads_tag){ ADS_TAG_STREAM_RECV, st };
	st->send_tag = (struct ads_tag){ ADS_TAG_STREAM_SEND, st };
	st->status_tag = (struct ads_tag){ ADS_TAG_STREAM_STATUS, st };
	st->close_tag = (struct ads_tag){ ADS_TAG_STREAM_CLOSE, st };
	if (kind == ADS_STREAM_SOTW) {
		sotw_init(&st->proto.sotw);
		st->proto.sotw.warming.timeout_ms = s->warming_timeout_ms;
	} else {
		delta_init(&st->proto.delta);
		st->proto.delta.warming.timeout_ms = s->warming_timeout_ms;
	}
	atomic_init(&st->held_until, 0);
	return st;
}

/* Starts a batch holding a reference for it. Called with st->mu held. */
static bool
start_batch(struct ads_stream *st, const grpc_op *ops, size_t n,
    struct ads_tag *tag)
{
	grpc_call_error err;

	ads_stream_ref(st);
	err = grpc_call_start_batch(st->call, ops, n, tag, NULL);
	if (err == GRPC_CALL_OK)
		return true;
	log_error("ads: stream %llu: cannot start a batch: %s",
	    (unsigned long long)st->id, grpc_call_error_to_string(err));
	grpc_call_cancel(st->call, NULL);
	/* Not the last reference: the caller holds one. */
	atomic_fetch_sub_explicit(&st->refs, 1, memory_order_acq_rel);
	return false;
}

static void
start_recv(struct ads_stream *st)
{
	grpc_op op = { 0 };

	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &st->recv_buf;
	start_batch(st, &op, 1, &st->recv_tag);
}

static void
start_status(struct ads_stream *st)
{
	grpc_op op = { 0 };

	op.op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	op.data.send_status_from_server.status = st->finish_code;
	op.data.send_status_from_server.status_details =
	    GRPC_SLICE_LENGTH(st->status_details) > 0 ? &st->status_details : NULL;
	st->status_pending = false;
	start_batch(st, &op, 1, &st->status_tag);
	/* grpc does not retain the details past start_batch. */
	grpc_slice_unref(st->status_details);
	st->status_details = grpc_empty_slice();
}

/* Called with st->mu held. */
static void
finish_locked(struct ads_stream *st, grpc_status_code code, const char *msg)
{
	if (st->closed || st->finishing)
		return;
	st->finishing = true;
	st->finish_code = code;
	st->status_details = grpc_slice_from_copied_string(msg ? msg : "");
	if (!st->started || st->send_in_flight)
		st->status_pending = true;
	else
		start_status(st);
}

void
ads_stream_finish(struct ads_stream *st, grpc_status_code code, const char *msg)
{
	pthread_mutex_lock(&st->mu);
	finish_locked(st, code, msg);
	pthread_mutex_unlock(&st->mu);
}

/* What the protocol wants to send next, encoded: the stream's own head,
 * then the body, shared with other streams when it is big enough. */
struct outgoing {
	grpc_slice two[2];
	grpc_slice *slices; /* two, or an array of its own (a gathered body) */
	size_t nslices, len;
	enum xds_type type;
	size_t resources, removed;
	char version_buf[17];
	char nonce[21];
};

/* The two halves of a response of either protocol. */
struct encoders {
	int protocol; /* key space of ads_body_key */
	size_t (*head)(const void *r, uint8_t *buf);
	ads_body_encoder body;
	/* The bytes of the response's resources in shared pieces
	 * (ads_body_shared_len). */
	ads_body_shared_fn shared;
};

static size_t
sotw_head(const void *r, uint8_t *buf)
{
	return sotw_response_encode_head(r, buf);
}

static size_t
sotw_body(const void *r, uint8_t *buf)
{
	return sotw_response_encode_body(r, buf);
}

static size_t
delta_head(const void *r, uint8_t *buf)
{
	return delta_response_encode_head(r, buf);
}

static size_t
delta_body(const void *r, uint8_t *buf)
{
	return delta_response_encode_body(r, buf);
}

static size_t
sotw_shared(const void *r)
{
	const struct sotw_response *s = r;

	return ads_body_shared_len(s->items, s->n);
}

static size_t
delta_shared(const void *r)
{
	const struct delta_response *d = r;

	return ads_body_shared_len(d->items, d->n);
}

static const struct encoders sotw_enc = { 0, sotw_head, sotw_body,
	sotw_shared };
static const struct encoders delta_enc = { 1, delta_head, delta_body,
	delta_shared };

/* Encodes r into o: a small body along with the head in one slice, a big
 * one from the server's shared cache (encoded there at most once per
 * publish for all the streams sent the same set). */
static void
encode(struct ads_stream *st, const struct encoders *e, const void *r,
    enum xds_type type, uint64_t set_hash, struct outgoing *o)
{
	size_t hlen = e->head(r, NULL), blen = e->body(r, NULL), n;
	grpc_slice *body;

	o->len = hlen + blen;
	o->slices = o->two;
	if (blen >= ADS_BODY_SHARE_MIN && type == XDS_ROUTE) {
		/* RouteConfigurations may be in pieces (src/xds/memo_http.c):
		 * sent as they are, not copied. */
		ads_body_get_slices(&st->server->bodies,
		    ads_body_key(e->protocol, (int)type, set_hash), blen,
		    e->body, e->shared, r, &body, &n);
		o->slices = xreallocarray(NULL, n + 1, sizeof *o->slices);
		o->slices[0] = grpc_slice_malloc(hlen);
		e->head(r, GRPC_SLICE_START_PTR(o->slices[0]));
		memcpy(o->slices + 1, body, n * sizeof *body);
		free(body);
		o->nslices = n + 1;
		return;
	}
	if (blen < ADS_BODY_SHARE_MIN) {
		o->slices[0] = grpc_slice_malloc(hlen + blen);
		e->head(r, GRPC_SLICE_START_PTR(o->slices[0]));
		e->body(r, GRPC_SLICE_START_PTR(o->slices[0]) + hlen);
		o->nslices = 1;
		return;
	}
	o->slices[0] = grpc_slice_malloc(hlen);
	e->head(r, GRPC_SLICE_START_PTR(o->slices[0]));
	o->slices[1] = ads_body_get(&st->server->bodies,
	    ads_body_key(e->protocol, (int)type, set_hash), blen, e->body, r);
	o->nslices = 2;
}

static bool
next_sotw(struct ads_stream *st, struct outgoing *o)
{
	struct sotw_response r;

	if (!sotw_next_response(&st->proto.sotw, snapshot_select(st->snap,
	    st->proto.sotw.node_gateway), &r))
		return false;
	encode(st, &sotw_enc, &r, r.type, r.set_hash, o);
	o->type = r.type;
	o->resources = r.n;
	o->removed = 0;
	snprintf(o->version_buf, sizeof o->version_buf, "%s", r.version);
	memcpy(o->nonce, r.nonce, sizeof o->nonce);
	sotw_response_free(&r);
	return true;
}

static bool
next_delta(struct ads_stream *st, struct outgoing *o)
{
	struct delta_response r;

	if (!delta_next_response(&st->proto.delta, snapshot_select(st->snap,
	    st->proto.delta.node_gateway), &r))
		return false;
	encode(st, &delta_enc, &r, r.type, r.set_hash, o);
	o->type = r.type;
	o->resources = r.n;
	o->removed = r.nremoved;
	snprintf(o->version_buf, sizeof o->version_buf, "%s", r.version);
	memcpy(o->nonce, r.nonce, sizeof o->nonce);
	delta_response_free(&r);
	return true;
}

/* After an evaluation: counts updates the warming gate let go by the
 * timeout, and tells the publisher when to wake the stream if it holds
 * one back. Called with st->mu held. */
static void
note_warming(struct ads_stream *st)
{
	const struct ads_warming *w = st->kind == ADS_STREAM_SOTW ?
	    &st->proto.sotw.warming : &st->proto.delta.warming;
	int64_t until = ads_warming_deadline(w);

	if (w->timeouts > st->warming_timeouts) {
		atomic_fetch_add_explicit(&st->server->warming_timeouts,
		    w->timeouts - st->warming_timeouts, memory_order_relaxed);
		st->warming_timeouts = w->timeouts;
	}
	if (atomic_exchange_explicit(&st->held_until, until,
	    memory_order_acq_rel) != until && until != 0) {
		log_debug("ads: stream %llu: node %s: an update waits for new "
		    "clusters' endpoints (warming)", (unsigned long long)st->id,
		    NODE(st));
		ads_server_hold_changed(st->server);
	}
}

/* Sends the next response if the protocol has one and nothing is in
 * flight. Called with st->mu held. */
static void
try_send(struct ads_stream *st)
{
	struct ads_server *s = st->server;
	struct outgoing o;
	grpc_op op = { 0 };
	size_t len;
	bool any;

	if (!st->started || st->closed || st->finishing || st->send_in_flight ||
	    st->snap == NULL)
		return;
	any = st->kind == ADS_STREAM_SOTW ? next_sotw(st, &o) : next_delta(st, &o);
	note_warming(st);
	if (!any) {
		st->dirty = false;
		return;
	}
	len = o.len;
	st->send_buf = grpc_raw_byte_buffer_create(o.slices, o.nslices);
	for (size_t i = 0; i < o.nslices; i++)
		grpc_slice_unref(o.slices[i]);
	if (o.slices != o.two)
		free(o.slices);

	if (len > ADS_LARGE_RESPONSE_BYTES)
		log_warning("ads: stream %llu: %s response for node %s is %zu bytes, "
		    "more than Envoy accepts by default (4 MiB)",
		    (unsigned long long)st->id, xds_type_short(o.type), NODE(st), len);
	log_debug("ads: stream %llu: node %s: sending %s version %s nonce %s "
	    "(%zu resources, %zu removed, %zu bytes)", (unsigned long long)st->id,
	    NODE(st), xds_type_short(o.type), o.version_buf, o.nonce, o.resources,
	    o.removed, len);
	atomic_fetch_add_explicit(&s->responses[o.type], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->bytes_sent, len, memory_order_relaxed);

	/* More types may be due: the completion evaluates again. */
	st->dirty = true;
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = st->send_buf;
	st->send_in_flight = start_batch(st, &op, 1, &st->send_tag);
	if (!st->send_in_flight) {
		grpc_byte_buffer_destroy(st->send_buf);
		st->send_buf = NULL;
	}
}

void
ads_stream_start(struct ads_stream *st)
{
	grpc_op ops[2];
	bool ok;

	memset(ops, 0, sizeof ops);
	pthread_mutex_lock(&st->mu);
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[1].data.recv_close_on_server.cancelled = &st->close_cancelled;
	st->started = true;
	ok = start_batch(st, ops, 2, &st->close_tag);
	if (!ok)
		st->closed = true;
	else if (st->status_pending)
		start_status(st); /* ads_server_stop() came first */
	else
		start_recv(st);
	pthread_mutex_unlock(&st->mu);
	if (!ok)
		ads_server_stream_closed(st->server, st);
	log_debug("ads: stream %llu (%s) opened by %s", (unsigned long long)st->id,
	    kind_names[st->kind], st->peer);
}

/* Reads a whole received message and feeds it to the protocol. Called
 * with st->mu held. */
static void
handle_message(struct ads_stream *st, grpc_byte_buffer *buf)
{
	struct ads_server *s = st->server;
	grpc_byte_buffer_reader reader;
	enum ads_verdict verdict;
	enum xds_type type;
	grpc_slice slice;
	char *err = NULL;
	int rc;

	if (!grpc_byte_buffer_reader_init(&reader, buf)) {
		finish_locked(st, GRPC_STATUS_INVALID_ARGUMENT,
		    "cannot read the request (bad compression?)");
		return;
	}
	slice = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	if (st->kind == ADS_STREAM_SOTW) {
		struct sotw_result res;

		rc = sotw_handle_message(&st->proto.sotw, GRPC_SLICE_START_PTR(slice),
		    GRPC_SLICE_LENGTH(slice), &res, &err);
		verdict = res.verdict;
		type = res.type;
	} else {
		struct delta_result res;

		rc = delta_handle_message(&st->proto.delta, GRPC_SLICE_START_PTR(slice),
		    GRPC_SLICE_LENGTH(slice), &res, &err);
		verdict = res.verdict;
		type = res.type;
	}
	grpc_slice_unref(slice);

	if (!st->node_logged && stream_node_id(st) != NULL) {
		st->node_logged = true;
		log_info("ads: stream %llu: node %s (cluster %s) connected from %s (%s)",
		    (unsigned long long)st->id, stream_node_id(st),
		    stream_node_cluster(st), st->peer, kind_names[st->kind]);
	}
	if (rc < 0) {
		log_warning("ads: stream %llu: node %s: %s; ending the stream",
		    (unsigned long long)st->id, NODE(st), err);
		finish_locked(st, GRPC_STATUS_INVALID_ARGUMENT, err);
		free(err);
		return;
	}
	if (verdict == ADS_ACK)
		atomic_fetch_add_explicit(&s->acks[type], 1, memory_order_relaxed);
	else if (verdict == ADS_NACK)
		atomic_fetch_add_explicit(&s->nacks[type], 1, memory_order_relaxed);
	st->dirty = true;
	try_send(st);
	start_recv(st);
}

static void
on_recv(struct ads_stream *st, bool success)
{
	grpc_byte_buffer *buf;

	pthread_mutex_lock(&st->mu);
	buf = st->recv_buf;
	st->recv_buf = NULL;
	if (!success || st->closed || st->finishing) {
		/* The call is going away (or a status is on its way). */
	} else if (buf == NULL) {
		/* The client half-closed: nothing more will be asked. */
		finish_locked(st, GRPC_STATUS_OK, "");
	} else {
		handle_message(st, buf);
	}
	pthread_mutex_unlock(&st->mu);
	if (buf != NULL)
		grpc_byte_buffer_destroy(buf);
}

static void
on_send(struct ads_stream *st, bool success)
{
	pthread_mutex_lock(&st->mu);
	st->send_in_flight = false;
	if (st->send_buf != NULL) {
		grpc_byte_buffer_destroy(st->send_buf);
		st->send_buf = NULL;
	}
	if (!success) {
		/* The call broke; the close batch ends the stream. */
	} else if (st->status_pending) {
		start_status(st);
	} else if (st->dirty) {
		try_send(st);
	}
	pthread_mutex_unlock(&st->mu);
}

static void
on_close(struct ads_stream *st)
{
	pthread_mutex_lock(&st->mu);
	st->closed = true;
	log_info("ads: stream %llu: node %s (%s, %s) closed%s",
	    (unsigned long long)st->id, NODE(st), st->peer, kind_names[st->kind],
	    st->close_cancelled ? " by the client or the transport" : "");
	pthread_mutex_unlock(&st->mu);
	ads_server_stream_closed(st->server, st);
}

void
ads_stream_handle_event(struct ads_tag *tag, bool success)
{
	struct ads_stream *st = tag->owner;

	switch (tag->kind) {
	case ADS_TAG_STREAM_RECV:
		on_recv(st, success);
		break;
	case ADS_TAG_STREAM_SEND:
		on_send(st, success);
		break;
	case ADS_TAG_STREAM_STATUS:
		/* Nothing to do: the close batch completes after it. */
		break;
	case ADS_TAG_STREAM_CLOSE:
		on_close(st);
		break;
	default:
		break;
	}
	ads_stream_unref(st); /* the batch's reference */
}

void
ads_stream_update(struct ads_stream *st, struct snapshot *snap,
    uint64_t generation)
{
	pthread_mutex_lock(&st->mu);
	if (!st->closed && generation > st->generation) {
		snapshot_unref(st->snap);
		st->snap = snapshot_ref(snap);
		st->generation = generation;
		st->dirty = true;
		try_send(st);
	}
	pthread_mutex_unlock(&st->mu);
}

void
ads_stream_poke(struct ads_stream *st)
{
	pthread_mutex_lock(&st->mu);
	/* Not due again unless the evaluation holds something back (a send
	 * in flight evaluates on its completion). */
	atomic_store_explicit(&st->held_until, 0, memory_order_release);
	if (!st->closed) {
		st->dirty = true;
		try_send(st);
	}
	pthread_mutex_unlock(&st->mu);
}

/* --- status ---------------------------------------------------------------- */

static json_t *
time_json(time_t t)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
nack_json(bool has, const struct ads_nack *n)
{
	if (!has)
		return json_null();
	return json_pack("{s:s, s:s, s:o}", "version", n->version,
	    "message", n->message ? n->message : "", "time", time_json(n->when));
}

static json_t *
type_json(const char *acked, bool has_nack, const struct ads_nack *nack,
    size_t resources)
{
	return json_pack("{s:s, s:o, s:I}", "acked_version", acked,
	    "last_nack", nack_json(has_nack, nack), "resources", (json_int_t)resources);
}

json_t *
ads_stream_status_json(struct ads_stream *st)
{
	json_t *types = json_object(), *o;

	pthread_mutex_lock(&st->mu);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const char *key = xds_type_short((enum xds_type)t);

		if (st->kind == ADS_STREAM_SOTW) {
			const struct sotw_type_state *ts = &st->proto.sotw.types[t];

			if (ts->requested)
				json_object_set_new(types, key, type_json(ts->acked_version,
				    ts->has_nack, &ts->nack, ts->sent ? ts->sent_count : 0));
		} else {
			const struct delta_type_state *ts = &st->proto.delta.types[t];

			if (ts->requested)
				json_object_set_new(types, key, type_json(ts->acked_version,
				    ts->has_nack, &ts->nack,
				    delta_have_count(ts, (enum xds_type)t)));
		}
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}",
	    "node_id", stream_node_id(st) ? stream_node_id(st) : "",
	    "cluster", stream_node_cluster(st) ? stream_node_cluster(st) : "",
	    "protocol", kind_names[st->kind], "peer", st->peer,
	    "connected_since", time_json(st->connected_since), "types", types);
	pthread_mutex_unlock(&st->mu);
	return o;
}

/* --- calls refused at once ---------------------------------------------- */

struct ads_reject {
	struct ads_tag tag;
	grpc_call *call;
	int cancelled;
};

void
ads_call_reject(grpc_call *call, grpc_status_code code, const char *msg)
{
	struct ads_reject *rj = xcalloc(1, sizeof *rj);
	grpc_slice details = grpc_slice_from_copied_string(msg);
	grpc_call_error err;
	grpc_op ops[3];

	rj->tag = (struct ads_tag){ ADS_TAG_REJECT, rj };
	rj->call = call;
	memset(ops, 0, sizeof ops);
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[1].data.send_status_from_server.status = code;
	ops[1].data.send_status_from_server.status_details = &details;
	ops[2].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[2].data.recv_close_on_server.cancelled = &rj->cancelled;
	err = grpc_call_start_batch(call, ops, 3, &rj->tag, NULL);
	grpc_slice_unref(details);
	if (err != GRPC_CALL_OK) {
		log_error("ads: cannot refuse a call: %s", grpc_call_error_to_string(err));
		grpc_call_cancel(call, NULL);
		grpc_call_unref(call);
		free(rj);
	}
}

void
ads_reject_handle_event(struct ads_tag *tag)
{
	struct ads_reject *rj = tag->owner;

	grpc_call_unref(rj->call);
	free(rj);
}
