#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char *
severity_name(enum diag_severity s)
{
	return s == DIAG_ERROR ? "error" : "warning";
}

/* Orphaned proxies are not errors: Contour reports them and serves the
 * rest, and a half-finished delegation is a normal state while editing. */
static enum diag_severity
status_severity(enum dag_status s)
{
	return s == DAG_STATUS_INVALID ? DIAG_ERROR : DIAG_WARNING;
}

static void
condition_diag(const struct dag_object_status *st, const struct dag_condition *c,
    struct diag *out, char *buf, size_t size)
{
	/* Cluster-scoped kinds (GatewayClass, Namespace) have no namespace. */
	snprintf(buf, size, "%s %s%s%s: %s (%s)", obj_kind_name(st->kind),
	    st->namespace, *st->namespace ? "/" : "", st->name, c->message,
	    c->reason);
	out->severity = status_severity(st->status);
	out->file = (char *)(c->origin.file ? c->origin.file : "");
	out->line = c->origin.line;
	out->col = c->origin.col;
	out->message = buf;
}

static void
lines_push(struct report_line_list *out, const char *line)
{
	ARRAY_PUSH(out->v, out->n, out->cap, xstrdup(line));
}

void
report_diag_lines(struct report_line_list *out, const struct build_result *r)
{
	char buf[2048];

	for (size_t i = 0; i < r->diags.n; i++) {
		diag_format(&r->diags.items[i], buf, sizeof buf);
		lines_push(out, buf);
	}
}

void
report_status_lines(struct report_line_list *out,
    const struct dag_object_status *s, size_t n)
{
	char buf[2048], msg[1536];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < s[i].nconditions; j++) {
			struct diag d;

			condition_diag(&s[i], &s[i].conditions[j], &d, msg,
			    sizeof msg);
			diag_format(&d, buf, sizeof buf);
			lines_push(out, buf);
		}
}

void
report_file_lines(struct report_line_list *out, const struct build_result *r)
{
	char buf[2048];

	/* The counts say whether any row is one to report: most builds
	 * have none, and the table has a row per file. */
	if (r->nrestored + r->nserving_previous == 0)
		return;
	for (size_t i = 0; i < r->nfiles; i++) {
		if (r->files[i].state == FILE_ERROR_SERVING_PERSISTED) {
			snprintf(buf, sizeof buf,
			    "%s: warning: file has errors; its last good version (content %s), "
			    "persisted in the state directory before the restart, is in effect",
			    r->files[i].path, r->files[i].serving_hash);
			lines_push(out, buf);
			continue;
		}
		if (r->files[i].state != FILE_ERROR_SERVING_PREVIOUS)
			continue;
		snprintf(buf, sizeof buf,
		    "%s: warning: file has errors; its last good version (content %s) is still in effect",
		    r->files[i].path, r->files[i].serving_hash);
		lines_push(out, buf);
	}
}

char **
report_lines(const struct build_result *r, size_t *n_out)
{
	struct report_line_list out = { 0 };
	struct dag_status_iter it;
	const struct dag_object_status *st;

	report_diag_lines(&out, r);
	dag_status_iter_init(&it, r->dag);
	while ((st = dag_status_next(&it)) != NULL)
		report_status_lines(&out, st, 1);
	report_file_lines(&out, r);
	*n_out = out.n;
	return out.v;
}

void
report_lines_free(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static void
gw_conditions_text(FILE *fp, const struct dag_gw_condition *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s%s=%s (%s)", i ? ", " : "", c[i].type,
		    c[i].status ? "True" : "False", c[i].reason);
}

/* Gateway API status, one line per object and per listener or parent:
 * what `kubectl get -o yaml` would show under status. */
static void
gw_status_text(FILE *fp, const struct dag_object_status *st)
{
	const struct dag_gw_status *g = st->gw;
	const char *sep = *st->namespace ? "/" : "";

	if (g->nconditions > 0) {
		fprintf(fp, "%s:%d:%d: status: %s %s%s%s: ", st->origin.file,
		    st->origin.line, st->origin.col, obj_kind_name(st->kind),
		    st->namespace, sep, st->name);
		gw_conditions_text(fp, g->conditions, g->nconditions);
		fputc('\n', fp);
	}
	for (size_t i = 0; i < g->nlisteners; i++) {
		fprintf(fp, "%s:%d:%d: status: %s %s/%s: listener %s: "
		    "attachedRoutes=%u, ", st->origin.file, st->origin.line,
		    st->origin.col, obj_kind_name(st->kind), st->namespace,
		    st->name, g->listeners[i].name,
		    (unsigned)g->listeners[i].attached_routes);
		gw_conditions_text(fp, g->listeners[i].conditions,
		    g->listeners[i].nconditions);
		fputc('\n', fp);
	}
	for (size_t i = 0; i < g->nparents; i++) {
		const struct dag_gw_parent_status *p = &g->parents[i];

		fprintf(fp, "%s:%d:%d: status: %s %s/%s: %s %s %s/%s",
		    st->origin.file, st->origin.line, st->origin.col,
		    obj_kind_name(st->kind), st->namespace, st->name,
		    st->kind == OBJ_BACKENDTLSPOLICY ? "ancestor" : "parent", p->kind,
		    p->namespace, p->name);
		if (p->section_name != NULL)
			fprintf(fp, " sectionName=%s", p->section_name);
		if (p->port != 0)
			fprintf(fp, " port=%u", (unsigned)p->port);
		fputs(": ", fp);
		gw_conditions_text(fp, p->conditions, p->nconditions);
		fputc('\n', fp);
	}
}

void
report_text(FILE *fp, const struct build_result *r)
{
	size_t n;
	char **lines = report_lines(r, &n);
	struct dag_status_iter it;
	const struct dag_object_status *st;

	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s\n", lines[i]);
	report_lines_free(lines, n);
	dag_status_iter_init(&it, r->dag);
	while ((st = dag_status_next(&it)) != NULL)
		if (st->gw != NULL)
			gw_status_text(fp, st);
	fprintf(fp, "%zu objects, %zu valid, %zu invalid, %zu orphaned\n",
	    r->dag->nstatuses, dag_count_status(r->dag, DAG_STATUS_VALID),
	    dag_count_status(r->dag, DAG_STATUS_INVALID),
	    dag_count_status(r->dag, DAG_STATUS_ORPHANED));
}

static json_t *
origin_json(const struct origin *o)
{
	return json_pack("{s:s, s:i, s:i}", "file", o->file ? o->file : "",
	    "line", o->line, "column", o->col);
}

static const char *
file_state_name(enum file_state s)
{
	switch (s) {
	case FILE_OK:
		return "ok";
	case FILE_ERROR_SERVING_PREVIOUS:
		return "error-serving-previous";
	case FILE_ERROR:
		return "error";
	case FILE_ERROR_SERVING_PERSISTED:
		return "error-serving-persisted";
	}
	return "unknown";
}

static json_t *
gw_conditions_json(const struct dag_gw_condition *c, size_t n,
    const struct origin *where)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *cj = json_pack("{s:s, s:s, s:s, s:s}", "type", c[i].type,
		    "status", c[i].status ? "True" : "False", "reason", c[i].reason,
		    "message", c[i].message ? c[i].message : "");

		if (where != NULL)
			json_object_set_new(cj, "origin", origin_json(where));
		json_array_append_new(arr, cj);
	}
	return arr;
}

/* Gateway API objects: status in the API's own shape (SPEC.md §5a):
 * conditions with "True"/"False", a Gateway's listeners[], a route's
 * parents[]; cairn's located conditions move to "problems". */
static void
gw_status_json(json_t *oj, const struct dag_object_status *st)
{
	const struct dag_gw_status *g = st->gw;

	json_object_set(oj, "problems", json_object_get(oj, "conditions"));
	json_object_set_new(oj, "conditions", gw_conditions_json(g->conditions,
	    g->nconditions, &st->origin));
	if (st->kind == OBJ_GATEWAY) {
		json_t *ls = json_array();

		for (size_t i = 0; i < g->nlisteners; i++) {
			const struct dag_gw_listener_status *l = &g->listeners[i];
			json_t *kinds = json_array();

			for (size_t k = 0; k < l->nsupported_kinds; k++)
				json_array_append_new(kinds, json_pack("{s:s, s:s}",
				    "group", "gateway.networking.k8s.io", "kind",
				    l->supported_kinds[k]));
			json_array_append_new(ls, json_pack("{s:s, s:I, s:o, s:o}",
			    "name", l->name, "attachedRoutes",
			    (json_int_t)l->attached_routes, "supportedKinds", kinds,
			    "conditions", gw_conditions_json(l->conditions,
			    l->nconditions, NULL)));
		}
		json_object_set_new(oj, "listeners", ls);
	}
	if (g->nparents > 0 || st->kind == OBJ_HTTPROUTE) {
		json_t *ps = json_array();

		for (size_t i = 0; i < g->nparents; i++) {
			const struct dag_gw_parent_status *p = &g->parents[i];
			json_t *ref = json_pack("{s:s, s:s, s:s, s:s}", "group",
			    p->group, "kind", p->kind, "namespace", p->namespace,
			    "name", p->name);

			if (p->section_name != NULL)
				json_object_set_new(ref, "sectionName",
				    json_string(p->section_name));
			if (p->port != 0)
				json_object_set_new(ref, "port",
				    json_integer((json_int_t)p->port));
			/* A policy's status names ancestors, a route's
			 * parents (the API's two shapes). */
			json_array_append_new(ps, json_pack("{s:o, s:s, s:o}",
			    st->kind == OBJ_BACKENDTLSPOLICY ? "ancestorRef" :
			    "parentRef", ref, "controllerName",
			    DAG_GATEWAY_CONTROLLER, "conditions",
			    gw_conditions_json(p->conditions, p->nconditions, NULL)));
		}
		json_object_set_new(oj, st->kind == OBJ_BACKENDTLSPOLICY ?
		    "ancestors" : "parents", ps);
	}
}

json_t *
report_json(const struct build_result *r)
{
	json_t *problems = json_array(), *objects = json_array(), *files = json_array();
	struct dag_status_iter it;
	const struct dag_object_status *st;

	for (size_t i = 0; i < r->diags.n; i++) {
		const struct diag *d = &r->diags.items[i];

		json_array_append_new(problems, json_pack("{s:s, s:s, s:i, s:i, s:s}",
		    "severity", severity_name(d->severity), "file", d->file,
		    "line", d->line, "column", d->col, "message", d->message));
	}
	dag_status_iter_init(&it, r->dag);
	while ((st = dag_status_next(&it)) != NULL) {
		json_t *conds = json_array();

		for (size_t j = 0; j < st->nconditions; j++) {
			const struct dag_condition *c = &st->conditions[j];
			json_t *cj = json_pack("{s:s, s:s, s:s}", "type", c->type,
			    "reason", c->reason, "message", c->message);

			json_object_set_new(cj, "origin", origin_json(&c->origin));
			json_array_append_new(conds, cj);
		}
		json_t *oj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
		    "kind", obj_kind_name(st->kind), "namespace", st->namespace,
		    "name", st->name, "status", dag_status_name(st->status),
		    "description", st->description, "origin", origin_json(&st->origin),
		    "conditions", conds);

		/* Secrets: when the certificate expires (Unix seconds). */
		if (st->not_after != 0)
			json_object_set_new(oj, "not_after",
			    json_integer((json_int_t)st->not_after));
		if (st->gw != NULL)
			gw_status_json(oj, st);
		json_array_append_new(objects, oj);
	}
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct file_status *fs = &r->files[i];

		json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I, s:b}",
		    "path", fs->path, "state", file_state_name(fs->state),
		    "serving", fs->serving_hash, "objects", (json_int_t)fs->nobjects,
		    "persisted", fs->persisted));
	}
	return json_pack("{s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I}}",
	    "revision", r->revision ? r->revision : "",
	    "problems", problems, "objects", objects, "files", files,
	    "summary",
	    "objects", (json_int_t)r->dag->nstatuses,
	    "valid", (json_int_t)dag_count_status(r->dag, DAG_STATUS_VALID),
	    "invalid", (json_int_t)dag_count_status(r->dag, DAG_STATUS_INVALID),
	    "orphaned", (json_int_t)dag_count_status(r->dag, DAG_STATUS_ORPHANED),
	    "errors", (json_int_t)build_result_error_count(r));
}
