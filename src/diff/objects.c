/* The object statuses a plan compares (diff_objects): from a DAG's
 * statuses or from a status JSON, in one sorted array with one string
 * pool. Apart from the plan because `cairn diff` reads them from files
 * and the daemon from its DAG. */
#include "diff/diff_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dag/dag.h"
#include "tls/tls.h"
#include "util/base64.h"
#include "util/xalloc.h"
#include "xds/json.h"
#include "xds/pb.h"
#include "xds/snapshot.h"

#include "envoy/config/route/v3/route.pb-c.h"

/* --- object statuses ------------------------------------------------------ */

static int
object_cmp(const void *a, const void *b)
{
	const struct diff_object *x = a, *y = b;
	int c = (x->kind_rank > y->kind_rank) - (x->kind_rank < y->kind_rank);

	if (c == 0)
		c = strcmp(x->namespace, y->namespace);
	if (c == 0)
		c = strcmp(x->name, y->name);
	return c;
}

/* The DAG and the status JSON are already in this order: check, and sort
 * only when they are not. */
static void
objects_sort(struct diff_objects *o)
{
	for (size_t i = 1; i < o->n; i++)
		if (object_cmp(&o->items[i - 1], &o->items[i]) > 0) {
			qsort(o->items, o->n, sizeof *o->items, object_cmp);
			return;
		}
}

/* Strings go to one pool: the first pass counts (pool NULL), the second
 * copies. Returns the pool offset, or (size_t)-1 for NULL. */
struct pool {
	char *buf;
	size_t len;
};

static size_t
pool_put(struct pool *p, const char *s)
{
	size_t at = p->len, n;

	if (s == NULL)
		return (size_t)-1;
	n = strlen(s) + 1;
	if (p->buf)
		memcpy(p->buf + at, s, n);
	p->len += n;
	return at;
}

/* Offsets stored in the pointers during the copy, made pointers after. */
#define POOL_OFF(x) ((const char *)(uintptr_t)(x))

static void
pool_fix(struct diff_objects *o)
{
	for (size_t i = 0; i < o->n; i++) {
		struct diff_object *x = &o->items[i];
		const char **f[] = { &x->namespace, &x->name, &x->reason,
			&x->message, &x->file };

		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
			*f[k] = (uintptr_t)*f[k] == (uintptr_t)(size_t)-1 ? NULL :
			    o->pool + (uintptr_t)*f[k];
	}
}

static const char *
str_or_empty(const char *s)
{
	return s ? s : "";
}

/* What a status records: the first problem (not a warning) says why,
 * and where when it has a place. */
static const struct dag_condition *
status_why(const struct dag_object_status *st, const struct origin **at)
{
	const struct dag_condition *why = NULL;

	*at = &st->origin;
	for (size_t j = 0; j < st->nconditions && why == NULL; j++)
		if (!st->conditions[j].warning)
			why = &st->conditions[j];
	if (st->status == DAG_STATUS_VALID)
		why = NULL;
	if (why != NULL && why->origin.file != NULL && why->origin.file[0] != '\0')
		*at = &why->origin;
	return why;
}

static void
object_from_status(struct diff_object *o, const struct dag_object_status *st,
    struct pool *p)
{
	{
		const struct origin *at;
		const struct dag_condition *why = status_why(st, &at);

		o->kind_rank = (int)st->kind;
		/* kind and status are static strings: not copied. */
		o->kind = obj_kind_name(st->kind);
		o->status = dag_status_name(st->status);
		o->namespace = POOL_OFF(pool_put(p, str_or_empty(st->namespace)));
		o->name = POOL_OFF(pool_put(p, str_or_empty(st->name)));
		o->reason = POOL_OFF(pool_put(p, why ? why->reason : NULL));
		o->message = POOL_OFF(pool_put(p, why ? why->message : NULL));
		o->file = POOL_OFF(pool_put(p, str_or_empty(at->file)));
		o->line = at->line;
		o->col = at->col;
	}
}

static void
objects_from_statuses_pass(struct diff_objects *out,
    const struct dag_object_status *statuses, size_t n, struct pool *p)
{
	for (size_t i = 0; i < n; i++)
		object_from_status(&out->items[i], &statuses[i], p);
}

/* The same over a DAG's statuses, which may be in chunks. */
static void
objects_from_dag_pass(struct diff_objects *out, const struct dag *dag,
    struct pool *p)
{
	struct dag_status_iter it;
	const struct dag_object_status *st;
	size_t i = 0;

	dag_status_iter_init(&it, dag);
	while ((st = dag_status_next(&it)) != NULL)
		object_from_status(&out->items[i++], st, p);
}

void
diff_objects_from_statuses_ordered(struct diff_objects *out,
    const struct dag_object_status *statuses, size_t n)
{
	struct pool p = { 0 };

	out->n = n;
	out->items = xcalloc(out->n + 1, sizeof *out->items);
	objects_from_statuses_pass(out, statuses, n, &p); /* count */
	p.buf = out->pool = xmalloc(p.len + 1);
	out->pool_len = p.len;
	p.len = 0;
	objects_from_statuses_pass(out, statuses, n, &p);
	pool_fix(out);
}

void
diff_objects_from_statuses(struct diff_objects *out,
    const struct dag_object_status *statuses, size_t n)
{
	diff_objects_from_statuses_ordered(out, statuses, n);
	objects_sort(out);
}

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool
diff_object_records(const struct diff_object *o,
    const struct dag_object_status *st)
{
	const struct origin *at;
	const struct dag_condition *why;

	if (o->kind_rank != (int)st->kind ||
	    o->status != dag_status_name(st->status))
		return false;
	why = status_why(st, &at);
	return o->line == at->line && o->col == at->col &&
	    strcmp(o->name, str_or_empty(st->name)) == 0 &&
	    strcmp(o->namespace, str_or_empty(st->namespace)) == 0 &&
	    strcmp(o->file, str_or_empty(at->file)) == 0 &&
	    str_eq(o->reason, why ? why->reason : NULL) &&
	    str_eq(o->message, why ? why->message : NULL);
}

bool
diff_status_same(const struct dag_object_status *a,
    const struct dag_object_status *b)
{
	const struct origin *at_a, *at_b;
	const struct dag_condition *why_a, *why_b;

	if (a->kind != b->kind || a->status != b->status ||
	    a->name != b->name || a->namespace != b->namespace)
		return false;
	why_a = status_why(a, &at_a);
	why_b = status_why(b, &at_b);
	if ((why_a == NULL) != (why_b == NULL))
		return false;
	if (why_a != NULL && (why_a->reason != why_b->reason ||
	    why_a->message != why_b->message))
		return false;
	return at_a->file == at_b->file && at_a->line == at_b->line &&
	    at_a->col == at_b->col;
}

void
diff_objects_of_items(struct diff_objects *out,
    const struct diff_object *items, const size_t *idx, size_t n)
{
	size_t len = 0, at = 0;

	for (size_t i = 0; i < n; i++) {
		const struct diff_object *x = &items[idx ? idx[i] : i];
		const char *f[] = { x->namespace, x->name, x->reason, x->message,
			x->file };

		for (size_t k = 0; k < 5; k++)
			len += f[k] ? strlen(f[k]) + 1 : 0;
	}
	out->n = n;
	out->items = xcalloc(n + 1, sizeof *out->items);
	out->pool = xmalloc(len + 1);
	out->pool_len = len;
	for (size_t i = 0; i < n; i++) {
		const struct diff_object *x = &items[idx ? idx[i] : i];
		struct diff_object *o = &out->items[i];
		const char **t[] = { &o->namespace, &o->name, &o->reason,
			&o->message, &o->file };

		*o = *x; /* kind and status: static strings */
		for (size_t k = 0; k < 5; k++) {
			size_t l;

			if (*t[k] == NULL)
				continue;
			l = strlen(*t[k]) + 1;
			memcpy(out->pool + at, *t[k], l);
			*t[k] = out->pool + at;
			at += l;
		}
	}
}

void
diff_objects_from_dag(struct diff_objects *out, const struct dag *dag)
{
	struct pool p = { 0 };

	out->n = dag->nstatuses;
	out->items = xcalloc(out->n + 1, sizeof *out->items);
	objects_from_dag_pass(out, dag, &p); /* count */
	p.buf = out->pool = xmalloc(p.len + 1);
	out->pool_len = p.len;
	p.len = 0;
	objects_from_dag_pass(out, dag, &p);
	pool_fix(out);
	objects_sort(out);
}

int
diff_object_cmp(const void *a, const void *b)
{
	return object_cmp(a, b);
}

const char *
diff_json_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int
kind_rank(const char *name)
{
	for (int k = 0; k < OBJ_KIND_COUNT; k++)
		if (strcmp(obj_kind_name((enum obj_kind)k), name) == 0)
			return k;
	return OBJ_KIND_COUNT;
}

/* A status from JSON as the static name the DAG uses. */
static const char *
status_name(const char *s)
{
	static const enum dag_status all[] = { DAG_STATUS_VALID,
		DAG_STATUS_INVALID, DAG_STATUS_ORPHANED };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(dag_status_name(all[i]), s) == 0)
			return dag_status_name(all[i]);
	return "unknown";
}

static void
objects_from_json_pass(struct diff_objects *out, const json_t *arr,
    struct pool *p)
{
	size_t i;
	json_t *oj;

	json_array_foreach(arr, i, oj) {
		struct diff_object *o = &out->items[i];
		const json_t *at = json_object_get(oj, "origin");
		const json_t *c = json_array_get(json_object_get(oj, "conditions"), 0);
		bool valid = strcmp(diff_json_str(oj, "status"), "valid") == 0;

		if (!valid && c != NULL &&
		    diff_json_str(json_object_get(c, "origin"), "file")[0] != '\0')
			at = json_object_get(c, "origin");
		o->kind_rank = kind_rank(diff_json_str(oj, "kind"));
		o->kind = o->kind_rank < OBJ_KIND_COUNT ?
		    obj_kind_name((enum obj_kind)o->kind_rank) : "unknown";
		o->status = status_name(diff_json_str(oj, "status"));
		o->namespace = POOL_OFF(pool_put(p, diff_json_str(oj, "namespace")));
		o->name = POOL_OFF(pool_put(p, diff_json_str(oj, "name")));
		o->reason = POOL_OFF(pool_put(p, !valid && c ? diff_json_str(c, "reason") : NULL));
		o->message = POOL_OFF(pool_put(p, !valid && c ? diff_json_str(c, "message") : NULL));
		o->file = POOL_OFF(pool_put(p, diff_json_str(at, "file")));
		o->line = (int)json_integer_value(json_object_get(at, "line"));
		o->col = (int)json_integer_value(json_object_get(at, "column"));
	}
}

int
diff_objects_from_json(struct diff_objects *out, const json_t *status)
{
	const json_t *arr = json_object_get(status, "objects");
	struct pool p = { 0 };

	memset(out, 0, sizeof *out);
	if (!json_is_array(arr))
		return -1;
	out->n = json_array_size(arr);
	out->items = xcalloc(out->n + 1, sizeof *out->items);
	objects_from_json_pass(out, arr, &p);
	p.buf = out->pool = xmalloc(p.len + 1);
	out->pool_len = p.len;
	p.len = 0;
	objects_from_json_pass(out, arr, &p);
	pool_fix(out);
	objects_sort(out);
	return 0;
}

/* A string of src's pool at the same place in the pool at base + at. */
static const char *
pool_move(const char *str, const struct diff_objects *src, char *base, size_t at)
{
	return str == NULL ? NULL : base + at + (size_t)(str - src->pool);
}

void
diff_objects_concat(struct diff_objects *out,
    const struct diff_objects *const *lists, size_t nlists)
{
	size_t n = 0, len = 0, at = 0;

	for (size_t l = 0; l < nlists; l++) {
		n += lists[l]->n;
		len += lists[l]->pool_len;
	}
	out->n = 0;
	out->items = xcalloc(n + 1, sizeof *out->items);
	out->pool = xmalloc(len + 1);
	out->pool_len = len;
	for (size_t l = 0; l < nlists; l++) {
		const struct diff_objects *src = lists[l];

		if (src->pool_len > 0)
			memcpy(out->pool + at, src->pool, src->pool_len);
		for (size_t i = 0; i < src->n; i++) {
			struct diff_object *o = &out->items[out->n++];

			*o = src->items[i]; /* kind and status: static strings */
			o->namespace = pool_move(o->namespace, src, out->pool, at);
			o->name = pool_move(o->name, src, out->pool, at);
			o->reason = pool_move(o->reason, src, out->pool, at);
			o->message = pool_move(o->message, src, out->pool, at);
			o->file = pool_move(o->file, src, out->pool, at);
		}
		at += src->pool_len;
	}
	objects_sort(out);
}

void
diff_objects_free(struct diff_objects *o)
{
	free(o->items);
	free(o->pool);
	memset(o, 0, sizeof *o);
}
