/* GET /debug/dag: the routing graph as Graphviz dot, left to right:
 * virtual hosts -> routes -> clusters -> endpoints. */
#include <stdio.h>
#include <stdlib.h>

#include "admin/admin.h"
#include "dag/dag.h"
#include "util/strbuf.h"

/* Endpoint addresses listed per node before "and N more". */
#define DOT_MAX_ENDPOINTS 16

/* The body of a dot double-quoted string: quotes and backslashes escaped
 * (a backslash would start an escString sequence such as \N), line breaks
 * as \n, other control characters dropped. */
static void
dot_escape(struct strbuf *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			strbuf_putc(out, '\\');
			strbuf_putc(out, (char)c);
		} else if (c == '\n') {
			strbuf_puts(out, "\\n");
		} else if (c >= 0x20 && c != 0x7f) {
			strbuf_putc(out, (char)c);
		}
	}
}

static void
dot_id(struct strbuf *out, const char *prefix, const char *name)
{
	strbuf_putc(out, '"');
	dot_escape(out, prefix);
	dot_escape(out, name);
	strbuf_putc(out, '"');
}

static const char *
path_kind_name(enum dag_path_match k)
{
	switch (k) {
	case DAG_PATH_EXACT:
		return "exact";
	case DAG_PATH_REGEX:
		return "regex";
	case DAG_PATH_PREFIX:
		return "prefix";
	}
	return "?";
}

static const char *
header_kind_name(const struct dag_header_match *h)
{
	switch (h->kind) {
	case DAG_HEADER_PRESENT:
		return h->invert ? "notpresent" : "present";
	case DAG_HEADER_EXACT:
		return h->invert ? "notexact" : "exact";
	case DAG_HEADER_CONTAINS:
		return h->invert ? "notcontains" : "contains";
	case DAG_HEADER_REGEX:
		return h->invert ? "notregex" : "regex";
	}
	return "?";
}

static void
dot_route(struct strbuf *out, const struct dag_vhost *vh, size_t i)
{
	const struct dag_route *r = &vh->routes[i];
	char idx[32];

	snprintf(idx, sizeof idx, "#%zu", i);
	strbuf_puts(out, "  \"route:");
	dot_escape(out, vh->fqdn);
	strbuf_printf(out, "%s\" [label=\"%s ", idx, path_kind_name(r->path_kind));
	dot_escape(out, r->path);
	for (size_t h = 0; h < r->nheaders; h++) {
		const struct dag_header_match *m = &r->headers[h];

		strbuf_puts(out, "\\nheader ");
		dot_escape(out, m->name);
		strbuf_printf(out, " %s", header_kind_name(m));
		if (m->kind != DAG_HEADER_PRESENT) {
			strbuf_puts(out, " ");
			dot_escape(out, m->value);
		}
	}
	if (r->nclusters == 0)
		strbuf_printf(out, "\\ndirect response %u", r->direct_status);
	strbuf_puts(out, "\", shape=box];\n");

	strbuf_puts(out, "  ");
	dot_id(out, "vhost:", vh->fqdn);
	strbuf_puts(out, " -> \"route:");
	dot_escape(out, vh->fqdn);
	strbuf_printf(out, "%s\";\n", idx);
	for (size_t c = 0; c < r->nclusters; c++) {
		strbuf_puts(out, "  \"route:");
		dot_escape(out, vh->fqdn);
		strbuf_printf(out, "%s\" -> ", idx);
		dot_id(out, "cluster:", r->clusters[c].cluster->name);
		if (r->nclusters > 1)
			strbuf_printf(out, " [label=\"weight %u\"]", r->clusters[c].weight);
		strbuf_puts(out, ";\n");
	}
}

static void
dot_endpoints(struct strbuf *out, const struct dag_endpoints *e)
{
	strbuf_puts(out, "  ");
	dot_id(out, "endpoints:", e->name);
	strbuf_puts(out, " [label=\"");
	dot_escape(out, e->name);
	for (size_t i = 0; i < e->n && i < DOT_MAX_ENDPOINTS; i++) {
		strbuf_puts(out, "\\n");
		dot_escape(out, e->items[i].ip);
		strbuf_printf(out, ":%u", e->items[i].port);
	}
	if (e->n > DOT_MAX_ENDPOINTS)
		strbuf_printf(out, "\\nand %zu more", e->n - DOT_MAX_ENDPOINTS);
	if (e->n == 0)
		strbuf_puts(out, "\\n(no endpoints)");
	strbuf_puts(out, "\", shape=cylinder];\n");
}

char *
dag_to_dot(const struct dag *dag)
{
	struct strbuf out = STRBUF_INIT;

	strbuf_puts(&out, "digraph cairn {\n  rankdir=LR;\n"
	    "  node [fontname=\"Helvetica\", fontsize=10];\n"
	    "  edge [fontname=\"Helvetica\", fontsize=9];\n");
	for (size_t v = 0; v < dag->nvhosts; v++) {
		const struct dag_vhost *vh = dag_vhost_at(dag, v);

		strbuf_puts(&out, "  ");
		dot_id(&out, "vhost:", vh->fqdn);
		strbuf_puts(&out, " [label=\"");
		dot_escape(&out, vh->fqdn);
		strbuf_puts(&out, "\\nHTTPProxy ");
		dot_escape(&out, vh->proxy_namespace);
		strbuf_puts(&out, "/");
		dot_escape(&out, vh->proxy_name);
		strbuf_puts(&out, "\", shape=house, style=filled, fillcolor=\"#dbe9f6\"];\n");
		for (size_t r = 0; r < vh->nroutes; r++)
			dot_route(&out, vh, r);
	}
	for (size_t c = 0; c < dag->nclusters; c++) {
		const struct dag_cluster *cl = dag_cluster_at(dag, c);

		strbuf_puts(&out, "  ");
		dot_id(&out, "cluster:", cl->name);
		strbuf_puts(&out, " [label=\"");
		dot_escape(&out, cl->name);
		strbuf_puts(&out, "\", shape=component, style=filled, fillcolor=\"#e6f4e3\"];\n");
		if (cl->endpoints != NULL) {
			strbuf_puts(&out, "  ");
			dot_id(&out, "cluster:", cl->name);
			strbuf_puts(&out, " -> ");
			dot_id(&out, "endpoints:", cl->endpoints->name);
			strbuf_puts(&out, ";\n");
		}
	}
	for (size_t e = 0; e < dag->nendpoints; e++)
		dot_endpoints(&out, dag_endpoints_at(dag, e));
	strbuf_puts(&out, "}\n");
	return strbuf_detach(&out, NULL);
}
