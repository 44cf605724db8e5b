/* The plan as text, and routes and clusters as people write them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

char *
diff_cluster_label(const char *name)
{
	const char *last = strrchr(name, '/'), *port;
	size_t hexlen;

	/* <namespace>/<service>/<port>/<10 hex> (SPEC.md §7). */
	if (last == NULL)
		return xstrdup(name);
	hexlen = strlen(last + 1);
	if (hexlen != 10 || strspn(last + 1, "0123456789abcdef") != hexlen)
		return xstrdup(name);
	for (port = last - 1; port > name && *port != '/'; port--)
		;
	if (port <= name)
		return xstrdup(name);
	return xasprintf("%.*s:%.*s", (int)(port - name), name,
	    (int)(last - port - 1), port + 1);
}

/* A value in a line: strings bare, the rest as compact JSON. */
static void
put_value(struct strbuf *sb, const json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v)) {
		strbuf_puts(sb, "(none)");
		return;
	}
	if (json_is_string(v)) {
		strbuf_puts(sb, json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s && strlen(s) > 160)
		strbuf_printf(sb, "%.157s...", s);
	else
		strbuf_puts(sb, s ? s : "?");
	free(s);
}

/* "x-canary: yes", "x-user != bot", "x-debug present", "host ~ re". */
static void
put_string_matcher(struct strbuf *sb, const char *name, const json_t *m,
    bool invert)
{
	const char *eq = invert ? " != " : ": ";

	if (json_object_get(m, "exact"))
		strbuf_printf(sb, "%s%s%s", name, eq, str(m, "exact"));
	else if (json_object_get(m, "prefix"))
		strbuf_printf(sb, "%s%s%s*", name, eq, str(m, "prefix"));
	else if (json_object_get(m, "suffix"))
		strbuf_printf(sb, "%s%s*%s", name, eq, str(m, "suffix"));
	else if (json_object_get(m, "contains"))
		strbuf_printf(sb, "%s%s*%s*", name, eq, str(m, "contains"));
	else if (json_object_get(m, "safe_regex"))
		strbuf_printf(sb, "%s %s %s", name, invert ? "!~" : "~",
		    str(json_object_get(m, "safe_regex"), "regex"));
	else {
		strbuf_printf(sb, "%s%s", name, eq);
		put_value(sb, m);
	}
	if (json_is_true(json_object_get(m, "ignore_case")))
		strbuf_puts(sb, " (any case)");
}

static void
put_header(struct strbuf *sb, const json_t *h)
{
	const char *name = str(h, "name");
	bool invert = json_is_true(json_object_get(h, "invert_match"));

	strbuf_puts(sb, "  [");
	if (json_object_get(h, "string_match"))
		put_string_matcher(sb, name, json_object_get(h, "string_match"), invert);
	else if (json_object_get(h, "present_match"))
		strbuf_printf(sb, "%s %s", name,
		    json_is_true(json_object_get(h, "present_match")) != invert ?
		    "present" : "absent");
	else if (json_object_get(h, "exact_match"))
		strbuf_printf(sb, "%s%s%s", name, invert ? " != " : ": ",
		    str(h, "exact_match"));
	else if (json_object_get(h, "safe_regex_match"))
		/* What proxyless clients get instead of contains and ignoreCase. */
		strbuf_printf(sb, "%s %s %s", name, invert ? "!~" : "~",
		    str(json_object_get(h, "safe_regex_match"), "regex"));
	else {
		json_t *rest = json_deep_copy(h);

		json_object_del(rest, "name");
		strbuf_printf(sb, "%s ", name);
		put_value(sb, rest);
		json_decref(rest);
	}
	strbuf_putc(sb, ']');
}

static void
put_query(struct strbuf *sb, const json_t *q)
{
	strbuf_puts(sb, "  [?");
	if (json_object_get(q, "string_match"))
		put_string_matcher(sb, str(q, "name"), json_object_get(q, "string_match"),
		    false);
	else if (json_is_true(json_object_get(q, "present_match")))
		strbuf_printf(sb, "%s present", str(q, "name"));
	else
		put_value(sb, q);
	strbuf_putc(sb, ']');
}

static void
put_match(struct strbuf *sb, const json_t *m)
{
	const json_t *v;
	size_t i;

	if (json_object_get(m, "prefix"))
		strbuf_puts(sb, str(m, "prefix"));
	else if (json_object_get(m, "path"))
		strbuf_printf(sb, "= %s", str(m, "path"));
	else if (json_object_get(m, "safe_regex"))
		strbuf_printf(sb, "~ %s", str(json_object_get(m, "safe_regex"), "regex"));
	else if (json_object_get(m, "path_separated_prefix"))
		strbuf_puts(sb, str(m, "path_separated_prefix"));
	else
		strbuf_puts(sb, "(any path)");
	json_array_foreach(json_object_get(m, "headers"), i, v)
		put_header(sb, v);
	json_array_foreach(json_object_get(m, "query_parameters"), i, v)
		put_query(sb, v);
}

static void
put_cluster(struct strbuf *sb, const char *name)
{
	char *label = diff_cluster_label(name);

	strbuf_puts(sb, label);
	free(label);
}

static void
put_forward(struct strbuf *sb, const json_t *r)
{
	const json_t *wc = json_object_get(json_object_get(r, "weighted_clusters"),
	    "clusters"), *v;
	size_t i;

	if (json_object_get(r, "cluster")) {
		put_cluster(sb, str(r, "cluster"));
	} else if (json_array_size(wc) > 0) {
		double total = 0;

		json_array_foreach((json_t *)wc, i, v)
			total += json_number_value(json_object_get(v, "weight"));
		json_array_foreach((json_t *)wc, i, v) {
			double pct = total > 0 ?
			    json_number_value(json_object_get(v, "weight")) * 100 / total : 0;

			if (i > 0)
				strbuf_puts(sb, ", ");
			put_cluster(sb, str(v, "name"));
			if (pct == (double)(long long)pct)
				strbuf_printf(sb, " (%lld%%)", (long long)pct);
			else
				strbuf_printf(sb, " (%.1f%%)", pct);
		}
	} else {
		strbuf_puts(sb, "(no cluster)");
	}
	if (json_object_get(r, "prefix_rewrite"))
		strbuf_printf(sb, "  rewrite %s", str(r, "prefix_rewrite"));
	if (json_object_get(r, "regex_rewrite")) {
		const json_t *rr = json_object_get(r, "regex_rewrite");

		strbuf_printf(sb, "  rewrite ~ %s -> %s",
		    str(json_object_get(rr, "pattern"), "regex"), str(rr, "substitution"));
	}
	if (json_object_get(r, "host_rewrite_literal"))
		strbuf_printf(sb, "  host %s", str(r, "host_rewrite_literal"));
	if (json_object_get(r, "timeout"))
		strbuf_printf(sb, "  timeout %s", str(r, "timeout"));
	if (json_object_get(r, "idle_timeout"))
		strbuf_printf(sb, "  idle %s", str(r, "idle_timeout"));
	if (json_object_get(r, "retry_policy")) {
		const json_t *n = json_object_get(json_object_get(r, "retry_policy"),
		    "num_retries");

		strbuf_puts(sb, "  retries");
		if (n) {
			strbuf_putc(sb, ' ');
			put_value(sb, n);
		}
	}
	json_array_foreach(json_object_get(r, "request_mirror_policies"), i, v) {
		strbuf_puts(sb, "  mirror ");
		put_cluster(sb, str(v, "cluster"));
	}
}

static const char *
redirect_code(const char *name)
{
	static const struct { const char *name, *code; } codes[] = {
		{ "MOVED_PERMANENTLY", "301" }, { "FOUND", "302" },
		{ "SEE_OTHER", "303" }, { "TEMPORARY_REDIRECT", "307" },
		{ "PERMANENT_REDIRECT", "308" },
	};

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(codes[i].name, name) == 0)
			return codes[i].code;
	return name;
}

static void
put_redirect(struct strbuf *sb, const json_t *r)
{
	strbuf_printf(sb, "redirect %s",
	    redirect_code(json_object_get(r, "response_code") ?
	    str(r, "response_code") : "MOVED_PERMANENTLY"));
	if (json_is_true(json_object_get(r, "https_redirect")))
		strbuf_puts(sb, "  https");
	if (json_object_get(r, "scheme_redirect"))
		strbuf_printf(sb, "  %s", str(r, "scheme_redirect"));
	if (json_object_get(r, "host_redirect"))
		strbuf_printf(sb, "  host %s", str(r, "host_redirect"));
	if (json_object_get(r, "port_redirect")) {
		strbuf_puts(sb, "  port ");
		put_value(sb, json_object_get(r, "port_redirect"));
	}
	if (json_object_get(r, "path_redirect"))
		strbuf_printf(sb, "  path %s", str(r, "path_redirect"));
	if (json_object_get(r, "prefix_rewrite"))
		strbuf_printf(sb, "  prefix %s", str(r, "prefix_rewrite"));
}

char *
diff_route_line(const json_t *route)
{
	struct strbuf sb = STRBUF_INIT;
	const json_t *v;

	put_match(&sb, json_object_get(route, "match"));
	strbuf_puts(&sb, "  -> ");
	if ((v = json_object_get(route, "route")) != NULL) {
		put_forward(&sb, v);
	} else if ((v = json_object_get(route, "redirect")) != NULL) {
		put_redirect(&sb, v);
	} else if ((v = json_object_get(route, "direct_response")) != NULL) {
		strbuf_puts(&sb, "respond ");
		put_value(&sb, json_object_get(v, "status"));
	} else {
		strbuf_puts(&sb, "(no action)");
	}
	return strbuf_detach(&sb, NULL);
}

/* --- the text form ---------------------------------------------------------- */

struct out {
	struct strbuf *sb;
	bool color;
};

static void
paint(struct out *o, const char *code)
{
	if (o->color)
		strbuf_printf(o->sb, "\033[%sm", code);
}

static const char *
sign_of(const char *change)
{
	return strcmp(change, "added") == 0 ? "+" :
	    strcmp(change, "removed") == 0 ? "-" : "~";
}

static const char *
color_of(const char *change)
{
	return strcmp(change, "added") == 0 ? "32" :
	    strcmp(change, "removed") == 0 ? "31" : "33";
}

static void
heading(struct out *o, const char *title)
{
	if (o->sb->len > 0)
		strbuf_putc(o->sb, '\n');
	paint(o, "1");
	strbuf_puts(o->sb, title);
	paint(o, "0");
	strbuf_putc(o->sb, '\n');
}

/* "  + text" in the change's color. */
static void
item(struct out *o, const char *indent, const char *change, const char *text)
{
	strbuf_puts(o->sb, indent);
	paint(o, color_of(change));
	strbuf_printf(o->sb, "%s %s", sign_of(change), text);
	paint(o, "0");
}

static void
fields(struct out *o, const char *indent, const json_t *arr)
{
	const json_t *f;
	size_t i;

	json_array_foreach((json_t *)arr, i, f) {
		strbuf_printf(o->sb, "%s%s: ", indent, str(f, "field"));
		put_value(o->sb, json_object_get(f, "from"));
		strbuf_puts(o->sb, " -> ");
		put_value(o->sb, json_object_get(f, "to"));
		strbuf_putc(o->sb, '\n');
	}
}

static void
render_hosts(struct out *o, const json_t *hosts)
{
	const json_t *h, *r, *rc;
	size_t i, j;

	json_array_foreach((json_t *)hosts, i, h) {
		const char *change = str(h, "change");

		if (o->sb->len > 0)
			strbuf_putc(o->sb, '\n');
		paint(o, "1");
		/* host "": the RouteConfiguration's own fields changed. */
		strbuf_puts(o->sb, str(h, "host")[0] ? "virtual host " : "route configuration");
		strbuf_puts(o->sb, str(h, "host"));
		paint(o, "0");
		strbuf_puts(o->sb, "  (");
		json_array_foreach(json_object_get(h, "route_configs"), j, rc)
			strbuf_printf(o->sb, "%s%s", j ? ", " : "", json_string_value(rc));
		strbuf_putc(o->sb, ')');
		if (strcmp(change, "changed") != 0) {
			strbuf_puts(o->sb, ": ");
			paint(o, color_of(change));
			strbuf_puts(o->sb, change);
			paint(o, "0");
		}
		strbuf_putc(o->sb, '\n');
		fields(o, "    ", json_object_get(h, "fields"));
		json_array_foreach(json_object_get(h, "routes"), j, r) {
			item(o, "  ", str(r, "change"), str(r, "route"));
			strbuf_putc(o->sb, '\n');
			if (strcmp(str(r, "change"), "changed") == 0)
				fields(o, "      ", json_object_get(r, "fields"));
		}
	}
}

static void
render_named(struct out *o, const char *title, const json_t *arr,
    const char *key)
{
	const json_t *e;
	size_t i;

	if (json_array_size(arr) == 0)
		return;
	heading(o, title);
	json_array_foreach((json_t *)arr, i, e) {
		const char *change = str(e, "change");
		const json_t *sub, *v;
		size_t j;

		item(o, "  ", change, str(e, key));
		if (strcmp(key, "cluster") == 0 &&
		    strcmp(str(e, "name"), str(e, "cluster")) != 0)
			strbuf_printf(o->sb, "  (%s)", str(e, "name"));
		if (strcmp(key, "service") == 0) {
			json_array_foreach(json_object_get(e, "added"), j, v)
				strbuf_printf(o->sb, "  +%s", json_string_value(v));
			json_array_foreach(json_object_get(e, "removed"), j, v)
				strbuf_printf(o->sb, "  -%s", json_string_value(v));
		}
		strbuf_putc(o->sb, '\n');
		fields(o, "      ", json_object_get(e, "fields"));
		json_array_foreach(json_object_get(e, "filter_chains"), j, sub) {
			item(o, "      ", str(sub, "change"), "filter chain ");
			strbuf_puts(o->sb, str(sub, "filter_chain"));
			strbuf_putc(o->sb, '\n');
			fields(o, "          ", json_object_get(sub, "fields"));
		}
	}
}

static void
put_cert(struct strbuf *sb, const json_t *c)
{
	if (c == NULL || json_is_null(c)) {
		strbuf_puts(sb, "(none)");
		return;
	}
	if (json_object_get(c, "subject"))
		strbuf_printf(sb, "%s, expires %s", str(c, "subject"), str(c, "not_after"));
	else if (json_object_get(c, "file"))
		strbuf_printf(sb, "file %s", str(c, "file"));
	else
		strbuf_puts(sb, str(c, "kind"));
}

static void
render_secrets(struct out *o, const json_t *arr)
{
	const json_t *e;
	size_t i;

	if (json_array_size(arr) == 0)
		return;
	heading(o, "secrets");
	json_array_foreach((json_t *)arr, i, e) {
		const char *change = str(e, "change");

		item(o, "  ", change, str(e, "secret"));
		strbuf_puts(o->sb, ": ");
		if (strcmp(change, "added") != 0)
			put_cert(o->sb, json_object_get(e, "from"));
		if (strcmp(change, "changed") == 0)
			strbuf_puts(o->sb, " -> ");
		if (strcmp(change, "removed") != 0)
			put_cert(o->sb, json_object_get(e, "to"));
		strbuf_putc(o->sb, '\n');
	}
}

static void
render_objects(struct out *o, const json_t *arr)
{
	const json_t *e;
	size_t i;

	if (json_array_size(arr) == 0)
		return;
	heading(o, "objects");
	json_array_foreach((json_t *)arr, i, e) {
		const json_t *from = json_object_get(e, "from"), *to = json_object_get(e, "to");
		const char *tos = json_is_string(to) ? json_string_value(to) : "deleted";

		strbuf_printf(o->sb, "  %s %s/%s: %s -> ", str(e, "kind"),
		    str(e, "namespace"), str(e, "name"),
		    json_is_string(from) ? json_string_value(from) : "new");
		paint(o, strcmp(tos, "valid") == 0 ? "32" : "31");
		strbuf_puts(o->sb, tos);
		paint(o, "0");
		strbuf_printf(o->sb, "  %s:%lld:%lld", str(e, "file"),
		    (long long)json_integer_value(json_object_get(e, "line")),
		    (long long)json_integer_value(json_object_get(e, "column")));
		if (json_object_get(e, "reason"))
			strbuf_printf(o->sb, ": %s: %s", str(e, "reason"), str(e, "message"));
		strbuf_putc(o->sb, '\n');
	}
}

void
diff_render_text(const json_t *plan, bool color, struct strbuf *sb)
{
	struct out o = { .sb = sb, .color = color };

	if (diff_plan_empty(plan))
		return;
	render_hosts(&o, json_object_get(plan, "virtual_hosts"));
	render_named(&o, "clusters", json_object_get(plan, "clusters"), "cluster");
	render_named(&o, "endpoints", json_object_get(plan, "endpoints"), "service");
	render_named(&o, "listeners", json_object_get(plan, "listeners"), "listener");
	render_secrets(&o, json_object_get(plan, "secrets"));
	render_objects(&o, json_object_get(plan, "objects"));
	strbuf_putc(sb, '\n');
	paint(&o, "1");
	strbuf_puts(sb, diff_plan_summary(plan));
	paint(&o, "0");
	strbuf_putc(sb, '\n');
}
