/* The admin server's parts, shared by the files of src/admin/ and the
 * unit tests: the published view, the socket-free request router and the
 * renderers. */
#ifndef CAIRN_ADMIN_INTERNAL_H
#define CAIRN_ADMIN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "admin/admin.h"
#include "ads/ads.h"

struct MHD_Daemon;
struct strbuf;

/* Upper bounds of cairn_rebuild_duration_seconds (plus +Inf). */
#define ADMIN_HISTOGRAM_BOUNDS \
	{ 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 }
#define ADMIN_HISTOGRAM_NBOUNDS 12

struct admin_histogram {
	uint64_t counts[ADMIN_HISTOGRAM_NBOUNDS + 1]; /* per bucket, not cumulative */
	uint64_t count;
	double sum;
};

void admin_histogram_observe(struct admin_histogram *h, double v);

/* Objects of one kind by status, for cairn_objects{kind,status}. */
struct admin_kind_count {
	char *kind;
	uint64_t valid, invalid, orphaned;
};

/* A Secret's certificate expiry, for cairn_certificate_expiry_seconds. */
struct admin_cert {
	char *namespace, *name;
	int64_t not_after;
};

/* Everything one rebuild published: refcounted, so a request renders
 * from it without holding the server's lock. Immutable but for status
 * and dot of a lazy view, filled once under render_mu. */
struct admin_view {
	atomic_int refs;
	pthread_mutex_t render_mu;
	bool lazy; /* status and dot come from the renderer */
	uint64_t build_id;
	json_t *status; /* report_json(); NULL until rendered (lazy) */
	struct snapshot *snapshot;
	char *dot; /* NULL until rendered (lazy) */
	char *revision, *source_kind, *source_location, *branch, *subject;
	double duration_seconds, finished_unix;
	uint64_t rebuilds; /* counters as of this publish */
	struct admin_histogram histogram;
	struct admin_kind_count *kinds; /* sorted by kind */
	size_t nkinds;
	uint64_t file_errors; /* files not "ok" */
	struct admin_cert *certs; /* Secrets with a certificate */
	size_t ncerts;
};

struct admin_view *admin_view_new(const struct admin_build_info *info,
    uint64_t rebuilds, const struct admin_histogram *h);
struct admin_view *admin_view_ref(struct admin_view *v);
void admin_view_unref(struct admin_view *v);

struct admin_server {
	struct MHD_Daemon *mhd; /* NULL for a server made by admin_server_new */
	int port;
	atomic_bool ready;
	pthread_mutex_t mu; /* guards everything below */
	struct admin_view *view; /* NULL until the first publish */
	uint64_t rebuilds;
	struct admin_histogram histogram;
	void (*refresh_cb)(void *);
	void *refresh_arg;
	struct ads_server *ads;
	json_t *(*nodes_cb)(void *);
	void *nodes_arg;
	struct admin_renderer renderer;
	bool have_fetch; /* a git remote: fetch is set */
	struct admin_fetch_info fetch; /* last_error owned */
	struct diff_change *last_change; /* admin_server_set_change; NULL until a change */
	/* Renderings of a lazy view's report and dot (cairn_admin_renders_total):
	 * at most one each per build, and none for a build nobody asked about. */
	atomic_uint_fast64_t renders_status, renders_dot;
};

/* A server without a socket, for the unit tests; admin_server_free frees
 * it (admin_server_stop also stops the listener). */
struct admin_server *admin_server_new(void);
void admin_server_free(struct admin_server *s);

/* What a request sees: the server's state, copied under its lock. */
struct admin_state {
	bool ready;
	struct admin_view *view; /* a reference, or NULL */
	/* The view's report when asked for (ADMIN_WANT_STATUS; a reference,
	 * {} when there is none) and its dot (ADMIN_WANT_DOT; owned by the
	 * view, NULL when there is none). */
	json_t *status;
	const char *dot;
	uint64_t renders_status, renders_dot;
	void (*refresh_cb)(void *);
	void *refresh_arg;
	bool have_ads;
	struct ads_stats ads;
	json_t *nodes; /* a JSON array, owned; [] unless asked for */
	bool have_fetch;
	struct admin_fetch_info fetch; /* last_error owned */
	/* The last change (a reference), or NULL; its plan is made when a
	 * page first asks (diff_change_plan). */
	struct diff_change *change;
};

/* What a page needs besides the view: the nodes callback, the report,
 * the dot (rendered on first use for a lazy view). */
enum {
	ADMIN_WANT_NODES = 1,
	ADMIN_WANT_STATUS = 2,
	ADMIN_WANT_DOT = 4,
};

void admin_state_get(struct admin_server *s, unsigned want,
    struct admin_state *out);
void admin_state_release(struct admin_state *st);

struct admin_request {
	const char *method; /* "GET", "HEAD", "POST", ... */
	const char *path; /* without the query */
	const char *type; /* ?type= of /debug/xds, or NULL */
	/* ?gateway=NS/NAME of /debug/xds and /debug/xds/pb: what a node naming
	 * that Gateway gets (snapshot_select), or NULL for the default. */
	const char *gateway;
};

struct admin_response {
	unsigned int status;
	const char *content_type;
	const char *allow; /* set on 405 */
	char *body; /* malloc'd, owned */
	size_t len;
};

/* Route one request; the socket layer only copies the result out. */
void admin_route(struct admin_server *s, const struct admin_request *req,
    struct admin_response *out);
void admin_response_free(struct admin_response *r);

/* Renderers (metrics.c, status_json.c, html.c). */
void admin_metrics_render(const struct admin_state *st, struct strbuf *out);
/* A Prometheus label value: backslash, double quote and newline escaped. */
void admin_prom_escape(struct strbuf *out, const char *s);
json_t *admin_status_json(const struct admin_state *st);
/* The snapshot as JSON; type is -1 for every type. NULL with *err set when
 * a resource does not decode. */
json_t *admin_xds_json(const struct snapshot *snap, int type, const char **err);
void admin_html_render(const struct admin_state *st, struct strbuf *out);
/* Text for HTML element content and quoted attribute values. */
void admin_html_escape(struct strbuf *out, const char *s);

#endif
