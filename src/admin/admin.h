/* The admin HTTP endpoint (SPEC.md §9): libmicrohttpd in its own thread.
 * All libmicrohttpd code lives in src/admin/.
 *
 *   GET /healthz      200 while the process runs
 *   GET /readyz       200 once the first snapshot is built, else 503
 *   GET /metrics      Prometheus text format, cairn_* series
 *   GET /status       JSON: report_json() + ready, rebuilds, source, nodes
 *   GET /debug/dag    Graphviz dot of the last DAG
 *   GET /debug/xds    the current snapshot as proto3 JSON (secrets redacted;
 *                     ?type=lds|rds|cds|eds|sds for one type)
 *   POST /refresh     calls the refresh callback (git fetch now)
 *   GET /             an HTML status page
 * Other paths answer 404, other methods 405 with an Allow header.
 *
 * Threads: admin_server_start/stop from the owner's thread; everything
 * else from any thread (one publisher: the watch thread). Published state
 * is an immutable view swapped under a mutex; requests render from a
 * reference to it, so the publisher never waits for a slow request. The
 * setters and admin_server_publish accept s == NULL (admin disabled). */
#ifndef CAIRN_ADMIN_ADMIN_H
#define CAIRN_ADMIN_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct admin_server;
struct ads_server;
struct dag;
struct snapshot;

/* What one rebuild produced, handed over by the watch thread. Nothing is
 * kept that the caller owns: references are taken, strings copied. */
struct admin_build_info {
	json_t *status; /* report_json() of the build; a reference is taken */
	struct snapshot *snapshot; /* serving now; a reference is taken; may be NULL */
	const char *dot; /* dag_to_dot() of the build, copied; may be NULL */
	const char *revision; /* source revision, "" if unknown */
	const char *source_kind; /* "directory" or "git" */
	const char *source_location; /* the directory or repository */
	const char *branch; /* git branch, "" or NULL in directory mode */
	const char *subject; /* git: the serving commit's subject line, or "" */
	double duration_seconds; /* load + build + translate */
	double finished_unix; /* wall clock (CLOCK_REALTIME) at the end */
};

/* Binds addr ("HOST:PORT", "[V6]:PORT"; port 0 = any). */
int admin_server_start(const char *addr, struct admin_server **out, char **errmsg);
int admin_server_port(const struct admin_server *s);
/* The first snapshot was built: /readyz answers 200 from now on. */
void admin_server_set_ready(struct admin_server *s, bool ready);
/* Call after every rebuild, also when nothing Envoy sees changed: it
 * counts rebuilds and their durations. Replaces (and frees) the previous
 * view. */
void admin_server_publish(struct admin_server *s, const struct admin_build_info *info);
/* POST /refresh calls cb(arg) on the admin thread: it must be quick and
 * thread-safe (write an eventfd). Without a callback /refresh is 503. */
void admin_server_set_refresh_cb(struct admin_server *s, void (*cb)(void *),
    void *arg);
/* /metrics reads ads_server_stats(ads) per request; ads must outlive the
 * admin server (stop admin first). NULL = no ADS numbers (zeros). */
void admin_server_set_ads(struct admin_server *s, struct ads_server *ads);
/* Connected Envoys for /status and /: cb(arg) runs on the admin thread per
 * request and returns a new reference to a JSON array in the shape of
 * ads_server_nodes_json():
 *   [{"node_id": "...", "cluster": "...", "protocol": "sotw" | "delta",
 *     "peer": "ipv4:127.0.0.1:50000", "connected_since": "RFC 3339",
 *     "types": {"lds": {"acked_version": "...",
 *                       "last_nack": null | {"version": "...", "message": "...",
 *                                            "time": "RFC 3339"},
 *                       "resources": N}, ...}}]
 * (only node_id, protocol and types are required). Without a callback
 * "nodes" is []. */
void admin_server_set_nodes_cb(struct admin_server *s, json_t *(*cb)(void *),
    void *arg);
/* Stops the thread (in-flight requests finish) and frees s. */
void admin_server_stop(struct admin_server *s);

/* Graphviz dot of a DAG: virtual hosts -> routes -> clusters -> endpoints.
 * Labels are escaped. The caller frees the result. */
char *dag_to_dot(const struct dag *dag);

#endif
