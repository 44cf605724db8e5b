/* The incremental (delta) ADS protocol of one stream, as a pure state
 * machine like sotw.h: DeltaDiscoveryRequests in, DeltaDiscoveryResponses
 * out, no grpc, so every rule of Envoy's xDS protocol document can be
 * unit-tested without a network.
 *
 * Per type the stream keeps the subscription (wildcard, explicit names,
 * names owed an answer) and what the client has. "What the client has" is
 * a snapshot (base: the client has its resources, named-only ones
 * excepted) plus a small sorted overlay of names where the client differs
 * from it. A synced wildcard stream therefore holds one snapshot reference
 * and an empty overlay; only explicitly named named-only resources, names
 * still to be removed and the leftovers of a split response need entries.
 *
 * Responses come out one at a time, in two phases per change:
 *   make:  for SDS, CDS, EDS, LDS, RDS (in that order) the resources that
 *          are new or changed, and the answers owed to subscription changes
 *          (a resubscribed name is always sent; an unknown subscribed name
 *          is reported in removed_resources);
 *   break: once nothing of the make phase is left for any type, the
 *          resources the client has that the snapshot lost go out in
 *          removed_resources, for LDS, RDS, CDS, EDS, SDS (users before
 *          what they use).
 * A response that would exceed max_response_bytes is split. */
#ifndef CAIRN_ADS_DELTA_H
#define CAIRN_ADS_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ads/names.h"
#include "ads/protocol.h"
#include "ads/warming.h"
#include "xds/snapshot.h"

/* Envoy's default limit for a received message is 4 MiB. */
#define DELTA_DEFAULT_MAX_RESPONSE_BYTES (4u << 20)
/* Responses per type whose nonce still counts for an ACK or NACK. */
#define DELTA_RECENT 4

enum delta_have {
	DELTA_NONE, /* nothing under this name (never had it, or told it is gone) */
	DELTA_HAS, /* this version */
	DELTA_FOREIGN, /* a version cairn did not make (initial_resource_versions) */
};

/* One name where what the client has differs from what the base says. */
struct delta_entry {
	char *name;
	uint64_t version;
	enum delta_have have;
};

struct delta_type_state {
	bool requested; /* a request of this type was seen */
	bool wildcard; /* legacy (first request empty, LDS/CDS) or explicit "*" */
	bool wildcard_pending; /* "*" (re)subscribed: send every wildcard resource */
	bool must_answer; /* first request without initial versions: answer even if empty */
	bool synced; /* nothing was due against base: a snapshot with the same type version needs no work */
	/* Explicitly subscribed, without "*": interned, shared with every
	 * stream subscribed to the same names (NULL: none). */
	struct ads_names *names;
	char **pending; /* names owed an answer (resource or removal), sorted */
	size_t npending, pending_cap;

	struct snapshot *base; /* what the client has ... */
	struct delta_entry *overlay; /* ... except these, sorted by name */
	size_t noverlay;

	struct {
		uint64_t nonce;
		char version[17];
	} recent[DELTA_RECENT]; /* the last responses of this type */
	unsigned nrecent;

	char acked_version[17]; /* type version of the last ACKed response */
	bool has_nack;
	struct ads_nack nack; /* the last NACK */
};

struct delta_stream {
	char *node_id; /* from the first request that carried a node */
	char *node_cluster;
	/* node.metadata "cairn.io/gateway" (SPEC.md §5a), NULL: none */
	char *node_gateway;
	uint64_t nonce_counter;
	size_t max_response_bytes; /* 0 = DELTA_DEFAULT_MAX_RESPONSE_BYTES */
	struct delta_type_state types[XDS_TYPE_COUNT];
	/* LDS/RDS held back for new clusters' endpoints (warming.h); set
	 * warming.timeout_ms to enable it. */
	struct ads_warming warming;
	/* Names looked at to make responses (candidates planned), for
	 * tests: a change costs a stream in sync what changed. */
	uint64_t planned;
	bool plan_whole; /* tests: plan from the whole sets every time */
};

/* A decoded DeltaDiscoveryRequest; everything borrowed. */
struct delta_request {
	const char *type_url;
	const char *response_nonce;
	const char *const *subscribe;
	size_t nsubscribe;
	const char *const *unsubscribe;
	size_t nunsubscribe;
	const char *const *initial_names; /* initial_resource_versions keys ... */
	const char *const *initial_versions; /* ... and values */
	size_t ninitial;
	const char *node_id; /* NULL when the request has no node */
	const char *node_cluster;
	const char *node_gateway; /* node.metadata "cairn.io/gateway" */
	bool has_error; /* error_detail present: a NACK */
	int error_code;
	const char *error_message;
};

struct delta_result {
	enum xds_type type;
	enum ads_verdict verdict;
	bool first; /* the first request of this type on the stream */
	bool subscription_changed;
};

/* A response to send. items borrow from the snapshot passed to
 * delta_next_response(), which the caller keeps alive while encoding. */
struct delta_response {
	enum xds_type type;
	const char *system_version; /* borrowed: the snapshot's revision */
	char version[17]; /* the type version it brings the client to */
	char nonce[21];
	const struct xds_resource **items; /* sorted by name, unique */
	size_t n;
	char **removed; /* owned, sorted */
	size_t nremoved;
	bool withdrawal; /* the break phase: removals of what the snapshot lost */
	uint64_t set_hash; /* of the (name, version) list of items */
};

void delta_init(struct delta_stream *st);
void delta_free(struct delta_stream *st);

/* Decodes a serialized DeltaDiscoveryRequest and handles it. Returns -1
 * with *errmsg (caller frees) when the stream must end with
 * INVALID_ARGUMENT. */
int delta_handle_message(struct delta_stream *st, const void *data, size_t len,
    struct delta_result *out, char **errmsg);
/* Same for an already decoded request. */
int delta_handle_request(struct delta_stream *st, const struct delta_request *req,
    struct delta_result *out, char **errmsg);

/* The next response to send from snap, or false when the client is up to
 * date for every type it subscribed to, or the warming gate holds the
 * next one back (st->warming.held: evaluate again at
 * ads_warming_deadline(), or when a request or snapshot comes). On true the state is updated as if
 * the response was sent; free it with delta_response_free() after
 * encoding. */
bool delta_next_response(struct delta_stream *st, struct snapshot *snap,
    struct delta_response *out);
void delta_response_free(struct delta_response *r);

/* Serializes r as a DeltaDiscoveryResponse into buf, each resource's bytes
 * wrapped in a google.protobuf.Any without decoding them. With buf NULL
 * only returns the size. */
size_t delta_response_encode(const struct delta_response *r, uint8_t *buf);
/* The same in two parts whose concatenation is a DeltaDiscoveryResponse:
 * the body (resources, type_url) depends only on the type and set_hash;
 * the head (system_version_info, nonce, removed_resources) is the
 * stream's own. */
size_t delta_response_encode_body(const struct delta_response *r, uint8_t *buf);
size_t delta_response_encode_head(const struct delta_response *r, uint8_t *buf);

/* Whether the client explicitly subscribed to name. */
bool delta_is_named(const struct delta_type_state *ts, const char *name);
/* How many resources of type t the client has (for status pages). */
size_t delta_have_count(const struct delta_type_state *ts, enum xds_type t);
/* What the client has under name. */
enum delta_have delta_client_has(const struct delta_type_state *ts,
    enum xds_type t, const char *name, uint64_t *version_out);

#endif
