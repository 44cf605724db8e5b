/* GET /: one self-contained HTML page (inline style, no scripts, no
 * external assets) with what an operator looks at first. Every string
 * from the outside world goes through admin_html_escape. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "admin/internal.h"
#include "autoconf.h"
#include "util/strbuf.h"
#include "xds/snapshot.h"

void
admin_html_escape(struct strbuf *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '&':
			strbuf_puts(out, "&amp;");
			break;
		case '<':
			strbuf_puts(out, "&lt;");
			break;
		case '>':
			strbuf_puts(out, "&gt;");
			break;
		case '"':
			strbuf_puts(out, "&quot;");
			break;
		case '\'':
			strbuf_puts(out, "&#39;");
			break;
		default:
			strbuf_putc(out, *s);
		}
	}
}

static const char style[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d232a;background:#f6f7f9}"
    "header{background:#22313f;color:#fff;padding:12px 24px;display:flex;align-items:center;gap:16px}"
    "header h1{font-size:20px;margin:0}main{padding:8px 24px 24px}"
    "h2{font-size:16px;margin:24px 0 8px}"
    "table{border-collapse:collapse;background:#fff;width:100%;box-shadow:0 1px 2px #0002}"
    "th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e3e6ea;vertical-align:top}"
    "th{background:#eef1f4;font-weight:600}"
    "td table{box-shadow:none}td table td,td table th{padding:2px 8px}"
    "code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}"
    ".badge{display:inline-block;border-radius:10px;padding:1px 10px;font-size:12px;font-weight:600}"
    ".valid,.ready{background:#d7f5dd;color:#14532d}.invalid,.error,.notready{background:#fde2e1;color:#7f1d1d}"
    ".orphaned,.warning{background:#fff1c2;color:#713f12}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px}"
    ".card{background:#fff;padding:10px 14px;box-shadow:0 1px 2px #0002;min-width:120px}"
    ".card b{display:block;font-size:20px}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px;margin:0}dt{color:#5b6570}dd{margin:0}"
    ".muted{color:#5b6570}.cond{margin:2px 0}"
    "footer{padding:0 24px 24px}footer a{margin-right:14px}"
    "form{display:inline}button{font:inherit;padding:2px 10px}";

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static json_int_t
num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void
badge(struct strbuf *out, const char *cls, const char *text)
{
	strbuf_puts(out, "<span class=\"badge ");
	admin_html_escape(out, cls);
	strbuf_puts(out, "\">");
	admin_html_escape(out, text);
	strbuf_puts(out, "</span>");
}

/* "file:line:col" of an origin object. */
static void
origin(struct strbuf *out, const json_t *o)
{
	strbuf_puts(out, "<code>");
	admin_html_escape(out, str(o, "file"));
	if (num(o, "line") > 0)
		strbuf_printf(out, ":%lld", (long long)num(o, "line"));
	if (num(o, "column") > 0)
		strbuf_printf(out, ":%lld", (long long)num(o, "column"));
	strbuf_puts(out, "</code>");
}

static void
card(struct strbuf *out, const char *label, long long value)
{
	strbuf_printf(out, "<div class=\"card\"><b>%lld</b>", value);
	admin_html_escape(out, label);
	strbuf_puts(out, "</div>");
}

static void
render_summary(struct strbuf *out, const struct admin_state *st)
{
	const struct admin_view *v = st->view;
	const json_t *sum = json_object_get(st->status, "summary");
	char when[32] = "";
	time_t t = (time_t)v->finished_unix;
	struct tm tm;

	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
	strbuf_puts(out, "<h2>Source</h2><dl><dt>Revision</dt><dd><code>");
	admin_html_escape(out, v->revision);
	strbuf_puts(out, "</code>");
	if (v->subject[0] != '\0') {
		strbuf_puts(out, " ");
		admin_html_escape(out, v->subject);
	}
	strbuf_puts(out, "</dd><dt>Source</dt><dd>");
	admin_html_escape(out, v->source_kind);
	strbuf_puts(out, " <code>");
	admin_html_escape(out, v->source_location);
	strbuf_puts(out, "</code>");
	if (v->branch[0] != '\0') {
		strbuf_puts(out, " branch <code>");
		admin_html_escape(out, v->branch);
		strbuf_puts(out, "</code>");
	}
	if (st->have_fetch && st->fetch.last_error != NULL) {
		strbuf_puts(out, "</dd><dt>Fetch</dt><dd>");
		badge(out, "invalid", "failing");
		strbuf_printf(out, " %u in a row: ", st->fetch.consecutive_failures);
		admin_html_escape(out, st->fetch.last_error);
	}
	strbuf_puts(out, "</dd><dt>Last rebuild</dt><dd>");
	admin_html_escape(out, when);
	strbuf_printf(out, " (%.1f ms)</dd><dt>Rebuilds</dt><dd>%" PRIu64 "</dd></dl>",
	    v->duration_seconds * 1000.0, v->rebuilds);

	strbuf_puts(out, "<h2>Objects</h2><div class=\"cards\">");
	card(out, "objects", (long long)num(sum, "objects"));
	card(out, "valid", (long long)num(sum, "valid"));
	card(out, "invalid", (long long)num(sum, "invalid"));
	card(out, "orphaned", (long long)num(sum, "orphaned"));
	card(out, "errors", (long long)num(sum, "errors"));
	card(out, "files in error", (long long)v->file_errors);
	if (v->snapshot != NULL) {
		card(out, "listeners", (long long)v->snapshot->types[XDS_LISTENER].n);
		card(out, "routes", (long long)v->snapshot->types[XDS_ROUTE].n);
		card(out, "clusters", (long long)v->snapshot->types[XDS_CLUSTER].n);
		card(out, "endpoints", (long long)v->snapshot->types[XDS_ENDPOINT].n);
		card(out, "secrets", (long long)v->snapshot->types[XDS_SECRET].n);
	}
	card(out, "Envoys", (long long)json_array_size(st->nodes));
	strbuf_puts(out, "</div>");
}

static void
render_problems(struct strbuf *out, const json_t *status)
{
	const json_t *problems = json_object_get(status, "problems");
	const json_t *p;
	size_t i;

	if (json_array_size(problems) == 0)
		return;
	strbuf_puts(out, "<h2>Problems</h2><table><tr><th>Severity</th><th>Where</th>"
	    "<th>Problem</th></tr>");
	json_array_foreach(problems, i, p) {
		strbuf_puts(out, "<tr><td>");
		badge(out, str(p, "severity"), str(p, "severity"));
		strbuf_puts(out, "</td><td>");
		origin(out, p);
		strbuf_puts(out, "</td><td>");
		admin_html_escape(out, str(p, "message"));
		strbuf_puts(out, "</td></tr>");
	}
	strbuf_puts(out, "</table>");
}


/* Gateway API status (SPEC.md §5a): cairn's located problems, a
 * Gateway's listeners and a route's parents, each with its conditions. */
static void
render_gw_conditions(struct strbuf *out, const json_t *conds)
{
	size_t k;
	json_t *c;

	json_array_foreach(conds, k, c) {
		strbuf_puts(out, k ? ", " : " ");
		admin_html_escape(out, str(c, "type"));
		strbuf_puts(out, "=");
		admin_html_escape(out, str(c, "status"));
		strbuf_puts(out, " (");
		admin_html_escape(out, str(c, "reason"));
		strbuf_puts(out, ")");
	}
}

static void
render_gateway_api(struct strbuf *out, const json_t *o)
{
	size_t j;
	json_t *v;

	json_array_foreach(json_object_get(o, "problems"), j, v) {
		strbuf_puts(out, "<div class=\"cond\">");
		origin(out, json_object_get(v, "origin"));
		strbuf_puts(out, " <b>");
		admin_html_escape(out, str(v, "reason"));
		strbuf_puts(out, "</b>: ");
		admin_html_escape(out, str(v, "message"));
		strbuf_puts(out, "</div>");
	}
	json_array_foreach(json_object_get(o, "listeners"), j, v) {
		char n[32];

		strbuf_puts(out, "<div class=\"cond\">listener <b>");
		admin_html_escape(out, str(v, "name"));
		snprintf(n, sizeof n, "</b> attachedRoutes=%lld:",
		    (long long)json_integer_value(json_object_get(v, "attachedRoutes")));
		strbuf_puts(out, n);
		render_gw_conditions(out, json_object_get(v, "conditions"));
		strbuf_puts(out, "</div>");
	}
	json_array_foreach(json_object_get(o, "parents"), j, v) {
		const json_t *ref = json_object_get(v, "parentRef");

		strbuf_puts(out, "<div class=\"cond\">parent <b>");
		admin_html_escape(out, str(ref, "namespace"));
		strbuf_puts(out, "/");
		admin_html_escape(out, str(ref, "name"));
		if (json_object_get(ref, "sectionName") != NULL) {
			strbuf_puts(out, " ");
			admin_html_escape(out, str(ref, "sectionName"));
		}
		strbuf_puts(out, "</b>:");
		render_gw_conditions(out, json_object_get(v, "conditions"));
		strbuf_puts(out, "</div>");
	}
	/* BackendTLSPolicy: the Gateways whose routes use its Services. */
	json_array_foreach(json_object_get(o, "ancestors"), j, v) {
		const json_t *ref = json_object_get(v, "ancestorRef");

		strbuf_puts(out, "<div class=\"cond\">ancestor <b>");
		admin_html_escape(out, str(ref, "namespace"));
		strbuf_puts(out, "/");
		admin_html_escape(out, str(ref, "name"));
		strbuf_puts(out, "</b>:");
		render_gw_conditions(out, json_object_get(v, "conditions"));
		strbuf_puts(out, "</div>");
	}
}

static void
render_objects(struct strbuf *out, const json_t *status)
{
	const json_t *objects = json_object_get(status, "objects");
	const json_t *o, *c;
	size_t i, j;

	strbuf_puts(out, "<table><tr><th>Status</th><th>Kind</th><th>Object</th>"
	    "<th>Defined at</th><th>Details</th></tr>");
	json_array_foreach(objects, i, o) {
		strbuf_puts(out, "<tr><td>");
		badge(out, str(o, "status"), str(o, "status"));
		strbuf_puts(out, "</td><td>");
		admin_html_escape(out, str(o, "kind"));
		strbuf_puts(out, "</td><td>");
		admin_html_escape(out, str(o, "namespace"));
		strbuf_puts(out, "/");
		admin_html_escape(out, str(o, "name"));
		strbuf_puts(out, "</td><td>");
		origin(out, json_object_get(o, "origin"));
		strbuf_puts(out, "</td><td>");
		admin_html_escape(out, str(o, "description"));
		json_array_foreach(json_object_get(o, "conditions"), j, c) {
			strbuf_puts(out, "<div class=\"cond\">");
			origin(out, json_object_get(c, "origin"));
			strbuf_puts(out, " <b>");
			/* Gateway API conditions: "Accepted=True" before the reason. */
			if (json_object_get(c, "status") != NULL) {
				admin_html_escape(out, str(c, "type"));
				strbuf_puts(out, "=");
				admin_html_escape(out, str(c, "status"));
				strbuf_puts(out, " ");
			}
			admin_html_escape(out, str(c, "reason"));
			strbuf_puts(out, "</b>: ");
			admin_html_escape(out, str(c, "message"));
			strbuf_puts(out, "</div>");
		}
		render_gateway_api(out, o);
		strbuf_puts(out, "</td></tr>");
	}
	if (json_array_size(objects) == 0)
		strbuf_puts(out, "<tr><td colspan=\"5\" class=\"muted\">no objects</td></tr>");
	strbuf_puts(out, "</table>");
}

static void
render_files(struct strbuf *out, const json_t *status)
{
	const json_t *f;
	size_t i;
	bool any = false;

	json_array_foreach(json_object_get(status, "files"), i, f) {
		if (strcmp(str(f, "state"), "ok") == 0)
			continue;
		if (!any)
			strbuf_puts(out, "<h2>Files in error</h2><table><tr><th>File</th>"
			    "<th>State</th><th>Version in effect</th></tr>");
		any = true;
		strbuf_puts(out, "<tr><td><code>");
		admin_html_escape(out, str(f, "path"));
		strbuf_puts(out, "</code></td><td>");
		badge(out, "error", str(f, "state"));
		strbuf_puts(out, "</td><td><code>");
		admin_html_escape(out, str(f, "serving"));
		strbuf_puts(out, "</code>");
		if (strcmp(str(f, "state"), "error-serving-persisted") == 0)
			strbuf_puts(out, " (last good copy from the state directory, "
			    "persisted before the restart)");
		strbuf_puts(out, "</td></tr>");
	}
	if (any)
		strbuf_puts(out, "</table>");
}

static void
render_node_types(struct strbuf *out, const json_t *types)
{
	const char *type;
	const json_t *t;

	if (json_object_size(types) == 0) {
		strbuf_puts(out, "<span class=\"muted\">nothing requested yet</span>");
		return;
	}
	strbuf_puts(out, "<table><tr><th>Type</th><th>ACKed version</th><th>Resources</th>"
	    "<th>Last NACK</th></tr>");
	json_object_foreach((json_t *)types, type, t) {
		const json_t *nack = json_object_get(t, "last_nack");

		strbuf_puts(out, "<tr><td>");
		admin_html_escape(out, type);
		strbuf_puts(out, "</td><td><code>");
		admin_html_escape(out, str(t, "acked_version"));
		strbuf_printf(out, "</code></td><td>%lld</td><td>", (long long)num(t, "resources"));
		if (json_is_object(nack)) {
			badge(out, "error", "NACK");
			strbuf_puts(out, " <code>");
			admin_html_escape(out, str(nack, "version"));
			strbuf_puts(out, "</code> ");
			admin_html_escape(out, str(nack, "time"));
			strbuf_puts(out, "<div>");
			admin_html_escape(out, str(nack, "message"));
			strbuf_puts(out, "</div>");
		} else {
			strbuf_puts(out, "<span class=\"muted\">none</span>");
		}
		strbuf_puts(out, "</td></tr>");
	}
	strbuf_puts(out, "</table>");
}

static void
render_nodes(struct strbuf *out, const json_t *nodes)
{
	const json_t *n;
	size_t i;

	strbuf_puts(out, "<h2>Connected Envoys</h2><table><tr><th>Node</th><th>Cluster</th>"
	    "<th>Protocol</th><th>Resources</th></tr>");
	json_array_foreach(nodes, i, n) {
		strbuf_puts(out, "<tr><td><code>");
		admin_html_escape(out, str(n, "node_id"));
		strbuf_puts(out, "</code>");
		if (str(n, "peer")[0] != '\0' || str(n, "connected_since")[0] != '\0') {
			strbuf_puts(out, "<div class=\"muted\">");
			admin_html_escape(out, str(n, "peer"));
			strbuf_puts(out, " ");
			admin_html_escape(out, str(n, "connected_since"));
			strbuf_puts(out, "</div>");
		}
		strbuf_puts(out, "</td><td>");
		admin_html_escape(out, str(n, "cluster"));
		strbuf_puts(out, "</td><td>");
		admin_html_escape(out, str(n, "protocol"));
		strbuf_puts(out, "</td><td>");
		render_node_types(out, json_object_get(n, "types"));
		strbuf_puts(out, "</td></tr>");
	}
	if (json_array_size(nodes) == 0)
		strbuf_puts(out, "<tr><td colspan=\"4\" class=\"muted\">no Envoy connected</td></tr>");
	strbuf_puts(out, "</table>");
}

void
admin_html_render(const struct admin_state *st, struct strbuf *out)
{
	const struct admin_view *v = st->view;

	strbuf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\"><title>cairn");
	if (v != NULL) {
		strbuf_puts(out, " ");
		admin_html_escape(out, v->revision);
	}
	strbuf_printf(out, "</title><style>%s</style></head><body><header><h1>cairn</h1>", style);
	badge(out, st->ready ? "ready" : "notready", st->ready ? "ready" : "not ready");
	strbuf_puts(out, "<span>version ");
	admin_html_escape(out, PACKAGE_VERSION);
	strbuf_puts(out, "</span></header><main>");
	if (v == NULL) {
		strbuf_puts(out, "<p>The first snapshot is not built yet.</p>");
	} else {
		render_summary(out, st);
		render_problems(out, st->status);
		render_objects(out, st->status);
		render_files(out, st->status);
	}
	render_nodes(out, st->nodes);
	strbuf_puts(out, "</main><footer><h2>Endpoints</h2>"
	    "<a href=\"/status\">/status</a><a href=\"/metrics\">/metrics</a>"
	    "<a href=\"/debug/dag\">/debug/dag</a><a href=\"/debug/xds\">/debug/xds</a>"
	    "<a href=\"/debug/diff\">/debug/diff</a>"
	    "<a href=\"/healthz\">/healthz</a><a href=\"/readyz\">/readyz</a>"
	    "<form method=\"post\" action=\"/refresh\"><button type=\"submit\">"
	    "Refresh now</button></form></footer></body></html>\n");
}
