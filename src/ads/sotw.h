/* The state-of-the-world (SotW) ADS protocol of one stream, as a pure state
 * machine: requests in, decisions out. No grpc here, so every rule of
 * Envoy's xDS protocol document can be unit-tested without a network.
 *
 * The caller (src/ads/stream.c) feeds each received DiscoveryRequest to
 * sotw_handle_message(), and asks sotw_next_response() what to send
 * whenever it may send (nothing in flight) and something changed (a
 * request, a new snapshot, a completed send). Responses come out type by
 * type in make-before-break order (enum xds_type order: SDS, CDS, EDS,
 * LDS, RDS), one at a time; the stream never queues responses.
 *
 * Make-before-break removal: Listener and Cluster responses carry the full
 * state, so leaving a resource out removes it. When a change removes
 * clusters or listeners the client has, the first CDS/LDS responses of the
 * change still carry them (at the version the client has: "kept"), and
 * only once every other type is up to date (the RDS and LDS responses that
 * stopped using them were sent) do LDS and then CDS go out again without
 * them. */
#ifndef CAIRN_ADS_SOTW_H
#define CAIRN_ADS_SOTW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ads/names.h"
#include "ads/protocol.h"
#include "ads/warming.h"
#include "xds/snapshot.h"

/* Per stream, per resource type. */
struct sotw_type_state {
	bool requested; /* a request of this type was seen */
	bool named_before; /* the client sent a non-empty resource_names (ends legacy wildcard) */
	bool wildcard; /* legacy wildcard or explicit "*" */
	/* Explicitly named resources, without "*": interned, shared with
	 * every stream that names the same (NULL: none). */
	struct ads_names *names;
	bool subscription_changed; /* since the last evaluation */
	bool must_answer; /* answer even if nothing changed (first request, EDS re-warm) */

	bool sent; /* a response of this type was sent */
	char sent_nonce[21];
	char sent_version[17];
	uint64_t sent_set; /* hash of the (name, version) list last sent */
	size_t sent_count;
	/* The snapshot the last sent set came from; advanced to newer
	 * snapshots whose set for this stream is identical, so a stream
	 * never pins an old snapshot it no longer needs. */
	struct snapshot *sent_snap;

	/* Listeners/clusters the client has that the snapshot no longer
	 * holds, still sent until the withdrawal (owned copies, sorted by
	 * name). Empty when the stream is in sync. */
	struct xds_resource *kept;
	size_t nkept;

	char acked_version[17]; /* "" until the first ACK */
	bool has_nack;
	struct ads_nack nack; /* the last NACK */
};

struct sotw_stream {
	char *node_id; /* from the first request that carried a node */
	char *node_cluster;
	/* node.metadata "cairn.io/gateway" (SPEC.md §5a), NULL: none */
	char *node_gateway;
	uint64_t nonce_counter;
	/* A CDS response was sent and no EDS response since: Envoy re-creates
	 * updated clusters, which wait for EDS, so the next EDS request is
	 * answered even if its endpoints are unchanged. */
	bool eds_rewarm;
	/* The last EDS response was not ACKed or NACKed yet. Envoy answers it
	 * with the same nonce as its re-request after a CDS update, and in
	 * the same order it got them: when it was outstanding at the CDS
	 * response, the first EDS request with that nonce is only its ACK. */
	bool eds_ack_outstanding;
	bool eds_skip_ack;
	struct sotw_type_state types[XDS_TYPE_COUNT];
	/* LDS/RDS held back for new clusters' endpoints (warming.h); set
	 * warming.timeout_ms to enable it. */
	struct ads_warming warming;
};

/* A decoded DiscoveryRequest; everything borrowed. */
struct sotw_request {
	const char *type_url;
	const char *version_info;
	const char *response_nonce;
	const char *const *resource_names;
	size_t n_resource_names;
	const char *node_id; /* NULL when the request has no node */
	const char *node_cluster;
	const char *node_gateway; /* node.metadata "cairn.io/gateway" */
	bool has_error; /* error_detail present: a NACK */
	int error_code;
	const char *error_message;
};

struct sotw_result {
	enum xds_type type;
	enum ads_verdict verdict;
	bool first; /* the first request of this type on the stream */
	bool subscription_changed;
};

struct sotw_plan;

/* A response to send. items borrow from the snapshot passed to
 * sotw_next_response(), which the caller keeps alive while encoding, and
 * from the shared plan the response holds. */
struct sotw_response {
	enum xds_type type;
	const char *version; /* the type's version_hex, or version_buf */
	char version_buf[17]; /* version of a response with kept resources */
	char nonce[21];
	const struct xds_resource **items; /* sorted by name, unique */
	size_t n;
	size_t nkept; /* how many of items are kept (make-before-break) */
	bool withdrawal; /* the response that drops kept resources */
	uint64_t set_hash; /* of the (name, version) list of items */
	/* The plan items come from, shared by the streams with the same
	 * subscription (NULL: items are the response's own). */
	struct sotw_plan *plan;
};

/* The work of planning responses, for tests: resources walked by the
 * plans that streams with one subscription share (once per change and
 * subscription), and by each stream on its own (what it changed for that
 * stream: kept copies, added clusters, the warming gate). */
struct sotw_work {
	_Atomic uint64_t shared_visits;
	_Atomic uint64_t stream_visits;
	_Atomic uint64_t plans_made;
	_Atomic uint64_t plans_reused;
};
extern struct sotw_work sotw_work;

/* Drops the shared plans (they pin the snapshots they were made from);
 * called when a snapshot is published. Thread-safe. */
void sotw_plan_cache_clear(void);

void sotw_init(struct sotw_stream *st);
void sotw_free(struct sotw_stream *st);

/* Decodes a serialized DiscoveryRequest and handles it. Returns -1 with
 * *errmsg (caller frees) when the stream must end with INVALID_ARGUMENT. */
int sotw_handle_message(struct sotw_stream *st, const void *data, size_t len,
    struct sotw_result *out, char **errmsg);
/* Same for an already decoded request. */
int sotw_handle_request(struct sotw_stream *st, const struct sotw_request *req,
    struct sotw_result *out, char **errmsg);

/* The next response to send from snap, or false when the client is up to
 * date for every type it subscribed to, or the warming gate holds the
 * next one back (st->warming.held: evaluate again at
 * ads_warming_deadline(), or when a request or snapshot comes). On true the state is updated as if
 * the response was sent (nonce, version, set); free it with
 * sotw_response_free() after encoding. items borrow from snap and from the
 * stream's kept copies: encode before the next call. */
bool sotw_next_response(struct sotw_stream *st, struct snapshot *snap,
    struct sotw_response *out);
void sotw_response_free(struct sotw_response *r);

/* Serializes r as a DiscoveryResponse into buf, wrapping each resource's
 * bytes in a google.protobuf.Any without decoding it. With buf NULL only
 * returns the size. */
size_t sotw_response_encode(const struct sotw_response *r, uint8_t *buf);
/* The same in two parts whose concatenation is a DiscoveryResponse: the
 * body (resources, type_url) depends only on the type and set_hash, so
 * streams sent the same set share it; the head (version_info, nonce) is
 * the stream's own. */
size_t sotw_response_encode_body(const struct sotw_response *r, uint8_t *buf);
size_t sotw_response_encode_head(const struct sotw_response *r, uint8_t *buf);

/* Whether the explicitly named list contains name. */
bool sotw_is_named(const struct sotw_type_state *ts, const char *name);

#endif
