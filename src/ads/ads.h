/* The ADS server: serves snapshots to Envoy (and proxyless gRPC) over
 * envoy.service.discovery.v3.AggregatedDiscoveryService. All grpc core
 * code of cairn lives under src/ads/; nothing else includes grpc headers.
 *
 * Threads: the server runs a completion-queue thread and a publisher
 * thread of its own. ads_server_publish() may be called from any thread
 * (the watch thread) and returns at once;
 * ads_server_start()/ads_server_stop() from the owner's thread. */
#ifndef CAIRN_ADS_ADS_H
#define CAIRN_ADS_ADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "xds/snapshot.h"

struct ads_server;

/* Server pings every ADS_KEEPALIVE_TIME_MS and drops a connection that
 * does not answer within ADS_KEEPALIVE_TIMEOUT_MS; clients may ping as
 * often as every ADS_MIN_CLIENT_PING_INTERVAL_MS (Envoy: 30 s). */
#define ADS_KEEPALIVE_TIME_MS 30000
#define ADS_KEEPALIVE_TIMEOUT_MS 10000
#define ADS_MIN_CLIENT_PING_INTERVAL_MS 10000

struct ads_options {
	const char *address; /* "HOST:PORT", "[V6]:PORT", "unix:/path"; port 0 allowed */
	bool insecure_xds; /* allow plaintext on non-loopback addresses */
	size_t max_streams; /* 0 = 10000 */
	size_t max_receive_bytes; /* 0 = 16 MiB */
	/* PEM files (NULL or "" = not set). certificate and key: TLS;
	 * with client_ca too: mTLS, a client certificate signed by it is
	 * required. TLS is accepted on any address. */
	const char *tls_certificate, *tls_key, *tls_client_ca;
	/* 0 = ADS_KEEPALIVE_TIME_MS, ADS_KEEPALIVE_TIMEOUT_MS (cairn.yaml
	 * xds.keepalive-time, xds.keepalive-timeout). */
	int keepalive_time_ms, keepalive_timeout_ms;
	/* The longest a Listener or RouteConfiguration update waits for a
	 * new cluster's endpoints (cairn.yaml xds.warming-timeout, SPEC §8,
	 * src/ads/warming.h); 0 = no warming gate. */
	int64_t warming_timeout_ms;
};

#define ADS_DEFAULT_MAX_STREAMS 10000
#define ADS_DEFAULT_MAX_RECEIVE_BYTES (16u << 20)
/* A SotW response above this is logged (Envoy's default limit is 4 MiB). */
#define ADS_LARGE_RESPONSE_BYTES (4u << 20)
/* How long ads_server_stop() lets streams end on their own. */
#define ADS_SHUTDOWN_GRACE_MS 1000
/* How long ads_server_stop() then waits for grpc to finish shutting down
 * (connections torn down after the server hold it up). */
#define ADS_GRPC_SHUTDOWN_WAIT_MS 5000
/* The largest slice a read from a client connection goes into (grpc's
 * default lets it grow to 4 MiB). The spare end of the last slice read
 * into stays with the connection while it waits for its next bytes, so
 * this bounds what an idle connection holds; a large request takes more
 * reads. See ads_server_tune_process(). */
#define ADS_TCP_READ_CHUNK_MAX (16 << 10)
/* What ads_server_tune_process() sets GRPC_EXPERIMENTS to. */
#define ADS_GRPC_EXPERIMENTS "-tcp_read_chunks"

struct ads_stats {
	size_t streams_sotw, streams_delta; /* open now */
	uint64_t responses[XDS_TYPE_COUNT];
	uint64_t acks[XDS_TYPE_COUNT];
	uint64_t nacks[XDS_TYPE_COUNT];
	uint64_t bytes_sent;
	/* Warming gate: updates sent anyway when the timeout passed, and
	 * streams holding an update back now. */
	uint64_t warming_timeouts;
	size_t warming_held;
};

/* Process-wide grpc settings for a server whose connections stay for
 * days. grpc 1.51 reads a connection's bytes, by default, into 64 KiB
 * slices as many as its estimate of the next read (the "tcp_read_chunks"
 * experiment): the estimate doubles with every large read and the slices
 * not filled wait, allocated, for the next one. Envoys' ACKs name every
 * resource they subscribe to (20,000 clusters' names at 10,000 proxies),
 * so each connection kept MiBs of empty read buffer for as long as it
 * stayed open (docs/performance.md, "The streams' read buffers"). With the
 * experiment off, grpc reads into one slice of at most
 * ADS_TCP_READ_CHUNK_MAX. Sets GRPC_EXPERIMENTS to ADS_GRPC_EXPERIMENTS
 * unless the environment sets it (then it wins: that is also how to
 * compare). Call before grpc_init() and before any thread exists (it
 * changes the environment). Returns whether it set the variable. */
bool ads_server_tune_process(void);
/* Binds opts->address and starts serving. Plaintext is refused unless the
 * address is loopback or a unix socket, or opts->insecure_xds is set; TLS
 * files that cannot be read, or a key without a certificate, are errors.
 * Returns 0, or -1 with *errmsg (caller frees). Streams get responses only
 * after the first ads_server_publish(). */
int ads_server_start(const struct ads_options *opts, struct ads_server **out,
    char **errmsg);
/* The bound TCP port (useful with port 0), or 0 for a unix socket. */
int ads_server_port(const struct ads_server *s);
/* Makes snap the current snapshot (takes its own reference) and has the
 * publisher thread bring every stream up to date; returns without
 * encoding or sending anything. Publishes in quick succession coalesce:
 * streams go to the newest snapshot. Callable from any thread. */
void ads_server_publish(struct ads_server *s, struct snapshot *snap);
/* Ends every stream (UNAVAILABLE), waits up to ADS_SHUTDOWN_GRACE_MS,
 * cancels what is left, drains, joins the thread and frees s; returns once
 * grpc's own shutdown is over (its executor and timer threads joined), at
 * most ADS_GRPC_SHUTDOWN_WAIT_MS later. */
void ads_server_stop(struct ads_server *s);
/* SIGHUP: read opts' TLS files again; new connections use them, open
 * streams keep theirs. -1 with *errmsg (caller frees): the running
 * certificate stays (a file unreadable, TLS added or removed). */
int ads_server_reload_tls(struct ads_server *s, const struct ads_options *opts,
    char **errmsg);
void ads_server_stats(struct ads_server *s, struct ads_stats *out);

/* The connected streams, for the admin status page (the caller owns the
 * array; callable from any thread):
 *   [{"node_id": "...", "cluster": "...", "protocol": "sotw" | "delta",
 *     "peer": "ipv4:127.0.0.1:50000", "connected_since": "2024-05-01T12:00:00Z",
 *     "types": {"lds": {"acked_version": "..." or "",
 *                       "last_nack": {"version", "message", "time"} or null,
 *                       "resources": N}, ...}}]
 * "types" holds the types the stream has requested (keys lds, rds, cds,
 * eds, sds); "resources" is how many of that type the client has;
 * versions are type versions (16 hex digits, as SotW version_info), node
 * fields are "" until the client sent a node. */
json_t *ads_server_nodes_json(struct ads_server *s);

/* Checks an address's syntax and whether it is local (loopback IP,
 * "localhost" or a unix socket), where plaintext is acceptable. Returns 0,
 * or -1 with *errmsg (caller frees). */
int ads_address_check(const char *address, bool *local_out, char **errmsg);

#endif
