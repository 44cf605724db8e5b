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
 *   GET /debug/diff   what the last change did, as text (/debug/diff.json: JSON)
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
#include <stdint.h>

#include <jansson.h>

struct admin_server;
struct ads_server;
struct build_result;
struct dag;
struct snapshot;

/* What one rebuild produced, handed over by the watch thread. Nothing is
 * kept that the caller owns: references are taken, strings copied.
 *
 * The report and the DAG's dot grow with the tree (hundreds of
 * milliseconds and tens of MiB for a large one) and are rarely looked at, so a daemon hands over the build
 * itself instead: set build and build_id, leave status and dot NULL. The
 * counts /metrics shows are taken from build during the publish; the
 * report and dot are rendered through the renderer
 * (admin_server_set_renderer) by the first request that needs them, and
 * kept until the next publish. status and dot are for callers that have
 * them anyway (tests, fuzzers). */
struct admin_build_info {
	json_t *status; /* report_json() of the build; a reference is taken */
	struct snapshot *snapshot; /* serving now; a reference is taken; may be NULL */
	const char *dot; /* dag_to_dot() of the build, copied; may be NULL */
	const struct build_result *build; /* read during the publish only */
	uint64_t build_id; /* passed back to the renderer */
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
/* Renders the build published with build_id, on the admin thread. Each
 * returns NULL when that build is no longer the one the owner keeps (a
 * newer one is being published); the request then reads the newer view.
 * The owner must keep the build alive (and unchanged) between publishing
 * it and publishing the next, and serialize the callbacks with the next
 * build (a lock held while building and publishing). */
struct admin_renderer {
	json_t *(*status)(void *arg, uint64_t build_id); /* new reference */
	char *(*dot)(void *arg, uint64_t build_id); /* caller frees */
	void *arg;
};
/* Set before the first publish with a build. */
void admin_server_set_renderer(struct admin_server *s,
    const struct admin_renderer *r);
/* A git remote's fetches, for /status ("source"."fetch"), / and /metrics
 * (cairn_git_fetch*): a remote that fails does not rebuild anything, so
 * the build's view alone would never show it. */
struct admin_fetch_info {
	uint64_t fetches, failures; /* since the start */
	unsigned consecutive_failures; /* 0: the last fetch worked */
	const char *last_error; /* NULL after a success; copied */
};
/* From the watch thread when a fetch ends (never for other sources). */
void admin_server_set_fetch(struct admin_server *s,
    const struct admin_fetch_info *f);
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
/* What the last change did (`cairn diff`'s plan): the previous published build and
 * this one (diff/diff.h); a reference is taken and kept until the next
 * change. Its plan is made when a page first asks: GET /debug/diff shows
 * it as text, /debug/diff.json as JSON, /status as "last_change" (its
 * summary). */
struct diff_change;
void admin_server_set_change(struct admin_server *s, struct diff_change *c);
/* Stops the thread (in-flight requests finish) and frees s. */
void admin_server_stop(struct admin_server *s);

/* Graphviz dot of a DAG: virtual hosts -> routes -> clusters -> endpoints.
 * Labels are escaped. The caller frees the result. */
char *dag_to_dot(const struct dag *dag);

#endif
