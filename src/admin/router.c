/* Which endpoint answers a request, and with what: no sockets here, so
 * the unit tests call admin_route() directly. */
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "diff/diff.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_JSON "application/json"
#define CT_HTML "text/html; charset=utf-8"
#define CT_DOT "text/vnd.graphviz; charset=utf-8"
/* Prometheus text exposition format 0.0.4. */
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

static void
reply(struct admin_response *out, unsigned int status, const char *ctype,
    const char *body)
{
	out->status = status;
	out->content_type = ctype;
	out->len = strlen(body);
	out->body = xmemdup(body, out->len + 1);
}

static void
reply_buf(struct admin_response *out, unsigned int status, const char *ctype,
    struct strbuf *sb)
{
	out->status = status;
	out->content_type = ctype;
	out->body = strbuf_detach(sb, &out->len);
}

/* Takes json (steals the reference). */
static void
reply_json(struct admin_response *out, unsigned int status, json_t *json)
{
	char *text = json_dumps(json, JSON_INDENT(2));

	json_decref(json);
	out->status = status;
	out->content_type = CT_JSON;
	out->body = xasprintf("%s\n", text ? text : "null");
	out->len = strlen(out->body);
	free(text);
}

static void
handle_healthz(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	reply(out, 200, CT_TEXT, "ok\n");
}

static void
handle_readyz(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	if (st->ready)
		reply(out, 200, CT_TEXT, "ready\n");
	else
		reply(out, 503, CT_TEXT, "first snapshot not built yet\n");
}

static void
handle_metrics(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	struct strbuf sb = STRBUF_INIT;

	admin_metrics_render(st, &sb);
	reply_buf(out, 200, CT_METRICS, &sb);
}

static void
handle_status(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	reply_json(out, st->view ? 200 : 503, admin_status_json(st));
}

static void
handle_dag(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	if (st->view == NULL || st->dot == NULL)
		reply(out, 503, CT_TEXT, "no DAG built yet\n");
	else
		reply(out, 200, CT_DOT, st->dot);
}

/* The snapshot a request asks about (a reference): the default one, or
 * with ?gateway=NS/NAME what a node naming that Gateway gets, which is
 * nothing when the Gateway is not served (SPEC.md §5a). */
static struct snapshot *
request_snapshot(const struct admin_state *st, const struct admin_request *req)
{
	struct snapshot *snap = st->view->snapshot;

	if (req->gateway == NULL)
		return snapshot_ref(snap);
	snap = snapshot_select(snap, req->gateway);
	return snap != NULL ? snapshot_ref(snap) :
	    snapshot_builder_finish(snapshot_builder_new(st->view->snapshot->revision));
}

static void
handle_xds(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	int type = -1;
	const char *err = NULL;
	struct snapshot *snap;
	json_t *json;

	if (req->type != NULL && req->type[0] != '\0') {
		for (int t = 0; t < XDS_TYPE_COUNT; t++)
			if (strcmp(req->type, xds_type_short(t)) == 0)
				type = t;
		if (type < 0) {
			char *msg = xasprintf("unknown type \"%s\" (lds, rds, cds, eds or sds)\n",
			    req->type);

			reply(out, 400, CT_TEXT, msg);
			free(msg);
			return;
		}
	}
	if (st->view == NULL || st->view->snapshot == NULL) {
		reply(out, 503, CT_TEXT, "no snapshot built yet\n");
		return;
	}
	snap = request_snapshot(st, req);
	json = admin_xds_json(snap, type, &err);
	snapshot_unref(snap);
	if (json == NULL) {
		char *msg = xasprintf("cannot render the snapshot: %s\n", err ? err : "?");

		reply(out, 500, CT_TEXT, msg);
		free(msg);
		return;
	}
	reply_json(out, 200, json);
}

/* The snapshot as `cairn dump --format pb` prints it (type URL, name,
 * base64 of the resource, private keys redacted): what `cairn diff
 * --running` compares the tree on disk with, at the xDS level; with
 * ?gateway=NS/NAME, what `cairn diff --running --gateway` does. */
static void
handle_xds_pb(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct snapshot *snap;

	if (st->view == NULL || st->view->snapshot == NULL) {
		reply(out, 503, CT_TEXT, "no snapshot built yet\n");
		return;
	}
	/* A first line naming the Gateway tells the client its question was
	 * understood: an older daemon ignores ?gateway= and answers with the
	 * default resources. */
	if (req->gateway != NULL)
		strbuf_printf(&sb, "# gateway %s\n", req->gateway);
	snap = request_snapshot(st, req);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		for (size_t i = 0; i < snap->types[t].n; i++) {
			const struct xds_resource *r = xds_set_at(&snap->types[t], i);
			size_t rlen = 0;
			uint8_t *redacted = t == XDS_SECRET ?
			    translate_secret_redact(xds_resource_bytes(r), r->len, &rlen) : NULL;

			strbuf_printf(&sb, "%s\t%s\t", xds_type_url(t), r->name);
			if (redacted != NULL)
				base64_encode(redacted, rlen, &sb);
			else
				base64_encode(xds_resource_bytes(r), r->len, &sb);
			free(redacted);
			strbuf_putc(&sb, '\n');
		}
	}
	snapshot_unref(snap);
	if (sb.len == 0) {
		strbuf_free(&sb);
		reply(out, 200, CT_TEXT, "");
		return;
	}
	reply_buf(out, 200, CT_TEXT, &sb);
}

/* What the last change did (admin_server_set_change). */
static void
handle_diff(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	struct strbuf sb = STRBUF_INIT;

	/* 200 either way: the status page links here from the start. */
	if (st->change == NULL) {
		reply(out, 200, CT_TEXT, "no change since the daemon started\n");
		return;
	}
	diff_render_text(diff_change_plan(st->change), false, &sb);
	diff_gateway_plans_text(json_object_get(diff_change_plan(st->change),
	    "gateways"), false, &sb);
	if (sb.len == 0)
		strbuf_puts(&sb, "no change to what Envoy receives\n");
	reply_buf(out, 200, CT_TEXT, &sb);
}

static void
handle_diff_json(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	if (st->change == NULL) {
		reply(out, 404, CT_TEXT, "no change since the daemon started\n");
		return;
	}
	reply_json(out, 200, json_incref(diff_change_plan(st->change)));
}

static void
handle_refresh(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	if (st->refresh_cb == NULL) {
		reply(out, 503, CT_TEXT, "refresh is not available\n");
		return;
	}
	st->refresh_cb(st->refresh_arg);
	reply(out, 202, CT_TEXT, "refresh requested\n");
}

static void
handle_index(const struct admin_state *st, const struct admin_request *req,
    struct admin_response *out)
{
	struct strbuf sb = STRBUF_INIT;

	admin_html_render(st, &sb);
	reply_buf(out, 200, CT_HTML, &sb);
}

static const struct admin_endpoint {
	const char *path;
	bool post; /* POST only; otherwise GET and HEAD */
	unsigned want; /* ADMIN_WANT_*: what the page shows beyond the view */
	void (*handle)(const struct admin_state *, const struct admin_request *,
	    struct admin_response *);
} endpoints[] = {
	{ "/", false, ADMIN_WANT_NODES | ADMIN_WANT_STATUS, handle_index },
	{ "/healthz", false, 0, handle_healthz },
	{ "/readyz", false, 0, handle_readyz },
	{ "/metrics", false, 0, handle_metrics },
	{ "/status", false, ADMIN_WANT_NODES | ADMIN_WANT_STATUS, handle_status },
	{ "/debug/dag", false, ADMIN_WANT_DOT, handle_dag },
	{ "/debug/xds", false, 0, handle_xds },
	{ "/debug/xds/pb", false, 0, handle_xds_pb },
	{ "/debug/diff", false, 0, handle_diff },
	{ "/debug/diff.json", false, 0, handle_diff_json },
	{ "/refresh", true, 0, handle_refresh },
};

void
admin_route(struct admin_server *s, const struct admin_request *req,
    struct admin_response *out)
{
	const struct admin_endpoint *e = NULL;
	struct admin_state st;
	bool allowed;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < nitems(endpoints); i++)
		if (strcmp(req->path, endpoints[i].path) == 0)
			e = &endpoints[i];
	if (e == NULL) {
		reply(out, 404, CT_TEXT, "not found\n");
		return;
	}
	if (e->post)
		allowed = strcmp(req->method, "POST") == 0;
	else
		allowed = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	if (!allowed) {
		reply(out, 405, CT_TEXT, "method not allowed\n");
		out->allow = e->post ? "POST" : "GET, HEAD";
		return;
	}
	admin_state_get(s, e->want, &st);
	e->handle(&st, req, out);
	admin_state_release(&st);
}

void
admin_response_free(struct admin_response *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}
