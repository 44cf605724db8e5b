/* Internals of the ADS server shared by server.c (the server, its
 * completion-queue thread, accepting calls, publishing) and stream.c (one
 * call: its batches, its protocol state). Not for use outside src/ads/.
 *
 * Locking: a stream's mutex guards everything in the stream, including
 * every grpc_call_start_batch() on its call; the server's mutex guards the
 * stream list, the current snapshot, the generations and the stopping
 * flag; the body cache has a mutex of its own, taken under stream mutexes. Never take a
 * stream mutex while holding the server mutex (walks of the list take
 * references, unlock, then lock each stream). */
#ifndef CAIRN_ADS_STREAM_H
#define CAIRN_ADS_STREAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <grpc/grpc.h>

#include "ads/ads.h"
#include "ads/bodies.h"
#include "ads/delta.h"
#include "ads/sotw.h"

enum ads_tag_kind {
	ADS_TAG_ACCEPT, /* grpc_server_request_call completed */
	ADS_TAG_REJECT, /* status batch of a call refused at once */
	ADS_TAG_STREAM_RECV, /* RECV_MESSAGE */
	ADS_TAG_STREAM_SEND, /* SEND_MESSAGE */
	ADS_TAG_STREAM_STATUS, /* SEND_STATUS_FROM_SERVER */
	ADS_TAG_STREAM_CLOSE, /* SEND_INITIAL_METADATA + RECV_CLOSE_ON_SERVER */
	ADS_TAG_SHUTDOWN, /* grpc_server_shutdown_and_notify */
};

/* Every tag handed to grpc points at one of these, embedded in the
 * struct that owns the batch. */
struct ads_tag {
	enum ads_tag_kind kind;
	void *owner;
};

enum ads_stream_kind {
	ADS_STREAM_SOTW,
	ADS_STREAM_DELTA,
	ADS_STREAM_KIND_COUNT,
};

struct ads_stream {
	struct ads_server *server;
	uint64_t id; /* for logs */
	enum ads_stream_kind kind;
	grpc_call *call;
	char *peer;
	time_t connected_since;
	atomic_int refs; /* one per pending batch, plus temporary holders */

	pthread_mutex_t mu;
	struct ads_tag recv_tag, send_tag, status_tag, close_tag;
	grpc_byte_buffer *recv_buf;
	grpc_byte_buffer *send_buf;
	int close_cancelled;
	grpc_slice status_details;
	grpc_status_code finish_code;
	bool started; /* ads_stream_start() ran: batches may be started */
	bool send_in_flight; /* at most one SEND_MESSAGE per call */
	bool dirty; /* something changed since the last evaluation */
	bool finishing; /* a status is chosen: no more sends */
	bool status_pending; /* status waits for the send in flight (or the start) */
	bool closed; /* RECV_CLOSE_ON_SERVER completed */
	bool node_logged;
	uint64_t generation; /* of snap (see ads_server.generation) */
	struct snapshot *snap; /* newest snapshot (a reference) */
	/* The warming gate holds an update back until this time (monotonic
	 * ms; 0: nothing held): the publisher wakes the stream then. Read
	 * under the server's mutex, written under the stream's. */
	_Atomic int64_t held_until;
	uint64_t warming_timeouts; /* of the protocol state, already counted */
	union {
		struct sotw_stream sotw; /* kind ADS_STREAM_SOTW */
		struct delta_stream delta; /* kind ADS_STREAM_DELTA */
	} proto;

	struct ads_stream *prev, *next; /* in server->streams while open */
};

struct ads_server {
	grpc_server *server;
	grpc_completion_queue *cq;
	pthread_t thread;
	int port;
	size_t max_streams;

	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stopping;
	bool shutdown_done;
	struct ads_tag shutdown_tag;
	struct snapshot *snap; /* current, or NULL before the first publish */
	uint64_t generation; /* bumped by every publish */
	struct ads_stream *streams; /* open streams */
	/* ads_server_publish() only swaps the snapshot and wakes the
	 * publisher thread, which brings the streams up to date: the caller
	 * (the watch thread) never encodes or writes to a socket. */
	pthread_t publisher;
	bool publisher_started;
	pthread_cond_t publish_cond;
	uint64_t published; /* the generation the publisher handed out */
	size_t nstreams[ADS_STREAM_KIND_COUNT];
	uint64_t next_stream_id;
	size_t accepts_pending;

	_Atomic uint64_t responses[XDS_TYPE_COUNT];
	_Atomic uint64_t acks[XDS_TYPE_COUNT];
	_Atomic uint64_t nacks[XDS_TYPE_COUNT];
	_Atomic uint64_t bytes_sent;
	_Atomic uint64_t warming_timeouts;
	int64_t warming_timeout_ms; /* ads_options.warming_timeout_ms */
	/* xds.tls, renewable (transport_security.c); NULL: plaintext. */
	struct ads_transport *tls;
	struct ads_body_cache bodies; /* encoded bodies streams share */
};

/* stream.c */
/* A stream owning call and peer, with one reference for the caller. */
struct ads_stream *ads_stream_new(struct ads_server *s, grpc_call *call,
    char *peer, enum ads_stream_kind kind, uint64_t id);
/* Starts the first batches; the stream must be in the server's list. */
void ads_stream_start(struct ads_stream *st);
/* Refuses call with a status and releases it once the status is out. */
void ads_call_reject(grpc_call *call, grpc_status_code code, const char *msg);
/* Completion of a stream batch (tag of kind ADS_TAG_STREAM_*). */
void ads_stream_handle_event(struct ads_tag *tag, bool success);
/* Completion of a refusal (whatever the result, the call is over). */
void ads_reject_handle_event(struct ads_tag *tag);
/* Brings the stream to snap (ignored when not newer than what it has). */
void ads_stream_update(struct ads_stream *st, struct snapshot *snap,
    uint64_t generation);
/* Evaluates the stream again (its warming deadline passed). */
void ads_stream_poke(struct ads_stream *st);
/* Ends the stream with a status after the send in flight, if any. */
void ads_stream_finish(struct ads_stream *st, grpc_status_code code,
    const char *msg);
struct ads_stream *ads_stream_ref(struct ads_stream *st);
void ads_stream_unref(struct ads_stream *st);
/* The stream's node and per-type state as status JSON (see
 * ads_server_nodes_json()). Takes the stream's mutex. */
json_t *ads_stream_status_json(struct ads_stream *st);

/* server.c */
/* Unlinks a closed stream from the server's list. */
void ads_server_stream_closed(struct ads_server *s, struct ads_stream *st);
/* A stream's held_until changed: the publisher recomputes when to wake. */
void ads_server_hold_changed(struct ads_server *s);

#endif
