/* The plan: two snapshots compared resource by resource (versions first),
 * then inside changed resources at the level people think in. */
#include "diff/diff.h"

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

static void
objects_from_statuses_pass(struct diff_objects *out,
    const struct dag_object_status *statuses, size_t n, struct pool *p)
{
	for (size_t i = 0; i < n; i++) {
		const struct dag_object_status *st = &statuses[i];
		struct diff_object *o = &out->items[i];
		const struct dag_condition *why = NULL;
		const struct origin *at = &st->origin;

		/* The first problem (not a warning) says why. */
		for (size_t j = 0; j < st->nconditions && why == NULL; j++)
			if (!st->conditions[j].warning)
				why = &st->conditions[j];
		if (st->status == DAG_STATUS_VALID)
			why = NULL;
		if (why != NULL && why->origin.file != NULL && why->origin.file[0] != '\0')
			at = &why->origin;
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

void
diff_objects_from_statuses(struct diff_objects *out,
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
	objects_sort(out);
}

void
diff_objects_from_dag(struct diff_objects *out, const struct dag *dag)
{
	diff_objects_from_statuses(out, dag->statuses, dag->nstatuses);
}

int
diff_object_cmp(const void *a, const void *b)
{
	return object_cmp(a, b);
}

static const char *
json_str(const json_t *o, const char *key)
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
		bool valid = strcmp(json_str(oj, "status"), "valid") == 0;

		if (!valid && c != NULL &&
		    json_str(json_object_get(c, "origin"), "file")[0] != '\0')
			at = json_object_get(c, "origin");
		o->kind_rank = kind_rank(json_str(oj, "kind"));
		o->kind = o->kind_rank < OBJ_KIND_COUNT ?
		    obj_kind_name((enum obj_kind)o->kind_rank) : "unknown";
		o->status = status_name(json_str(oj, "status"));
		o->namespace = POOL_OFF(pool_put(p, json_str(oj, "namespace")));
		o->name = POOL_OFF(pool_put(p, json_str(oj, "name")));
		o->reason = POOL_OFF(pool_put(p, !valid && c ? json_str(c, "reason") : NULL));
		o->message = POOL_OFF(pool_put(p, !valid && c ? json_str(c, "message") : NULL));
		o->file = POOL_OFF(pool_put(p, json_str(at, "file")));
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

/* --- field-level differences ---------------------------------------------- */

static json_t *
field_change(const char *path, const json_t *from, const json_t *to)
{
	return json_pack("{s:s, s:O, s:O}", "field", path[0] ? path : ".",
	    "from", from ? (json_t *)from : json_null(),
	    "to", to ? (json_t *)to : json_null());
}

static char *
path_join(const char *base, const char *key)
{
	return base[0] ? xasprintf("%s.%s", base, key) : xstrdup(key);
}

/* Appends {"field", "from", "to"} for every leaf that differs: objects
 * key by key, arrays of equal length element by element, anything else
 * whole. skip: a top-level key shown elsewhere (routes, filter chains). */
static void
json_field_diff(const char *path, const json_t *a, const json_t *b,
    const char *skip, json_t *out)
{
	if (a != NULL && b != NULL && json_equal((json_t *)a, (json_t *)b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		const char *key;
		json_t *v;

		json_object_foreach((json_t *)a, key, v) {
			char *p;

			if (skip && path[0] == '\0' && strcmp(key, skip) == 0)
				continue;
			p = path_join(path, key);
			json_field_diff(p, v, json_object_get(b, key), NULL, out);
			free(p);
		}
		json_object_foreach((json_t *)b, key, v) {
			char *p;

			if (json_object_get(a, key) != NULL ||
			    (skip && path[0] == '\0' && strcmp(key, skip) == 0))
				continue;
			p = path_join(path, key);
			json_array_append_new(out, field_change(p, NULL, v));
			free(p);
		}
		return;
	}
	if (json_is_array(a) && json_is_array(b) &&
	    json_array_size(a) == json_array_size(b)) {
		for (size_t i = 0; i < json_array_size(a); i++) {
			char *p = xasprintf("%s[%zu]", path, i);

			json_field_diff(p, json_array_get(a, i), json_array_get(b, i),
			    NULL, out);
			free(p);
		}
		return;
	}
	json_array_append_new(out, field_change(path, a, b));
}

/* --- walking two sorted resource sets ------------------------------------- */

typedef void (*pair_fn)(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to);

/* Calls fn for every name whose resource was added, removed or changed
 * (versions differ); equal versions cost one comparison. */
static void
walk_pairs(const struct xds_resource_set *a, const struct xds_resource_set *b,
    pair_fn fn, void *ctx)
{
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 :
		    strcmp(a->items[i].name, b->items[j].name);

		if (c < 0) {
			fn(ctx, &a->items[i++], NULL);
		} else if (c > 0) {
			fn(ctx, NULL, &b->items[j++]);
		} else {
			if (a->items[i].version != b->items[j].version ||
			    a->items[i].len != b->items[j].len)
				fn(ctx, &a->items[i], &b->items[j]);
			i++;
			j++;
		}
	}
}

static json_t *
resource_json(enum xds_type type, const struct xds_resource *r)
{
	struct xds_json_options jo = { .show_secrets = false };

	if (r == NULL)
		return NULL;
	return xds_bytes_to_json_opts(xds_type_url(type), r->bytes, r->len, &jo);
}

static const char *
change_name(const void *from, const void *to)
{
	return from == NULL ? "added" : to == NULL ? "removed" : "changed";
}

struct plan {
	json_t *hosts, *clusters, *endpoints, *listeners, *secrets, *objects;
	size_t errors;
};

/* --- routes: per virtual host, then per route (by its match) --------------- */

static json_t *
route_match_key(const json_t *route)
{
	char *s = json_dumps(json_object_get(route, "match"),
	    JSON_COMPACT | JSON_SORT_KEYS);
	json_t *k = json_string(s ? s : "");

	free(s);
	return k;
}

static json_t *
route_entry(const char *change, const json_t *from, const json_t *to)
{
	char *line = diff_route_line(to ? to : from);
	json_t *e = json_pack("{s:s, s:s}", "change", change, "route", line);

	free(line);
	if (from != NULL && to != NULL) {
		json_t *fields = json_array();
		char *was = diff_route_line(from);

		if (strcmp(was, json_string_value(json_object_get(e, "route"))) != 0)
			json_object_set_new(e, "was", json_string(was));
		free(was);
		json_field_diff("", from, to, NULL, fields);
		json_object_set_new(e, "fields", fields);
	}
	return e;
}

/* Routes of one virtual host, old -> new, matched by their match. */
static json_t *
routes_diff(const json_t *from_routes, const json_t *to_routes)
{
	size_t na = json_array_size(from_routes), nb = json_array_size(to_routes);
	json_t *out = json_array();
	json_t **ka = xcalloc(na + 1, sizeof *ka), **kb = xcalloc(nb + 1, sizeof *kb);
	bool *used = xcalloc(na + 1, sizeof *used);

	for (size_t i = 0; i < na; i++)
		ka[i] = route_match_key(json_array_get(from_routes, i));
	for (size_t j = 0; j < nb; j++)
		kb[j] = route_match_key(json_array_get(to_routes, j));
	for (size_t j = 0; j < nb; j++) {
		const json_t *to = json_array_get(to_routes, j);
		size_t i;

		for (i = 0; i < na; i++)
			if (!used[i] && json_equal(ka[i], kb[j]))
				break;
		if (i == na) {
			json_array_append_new(out, route_entry("added", NULL, to));
			continue;
		}
		used[i] = true;
		if (!json_equal(json_array_get(from_routes, i), (json_t *)to))
			json_array_append_new(out, route_entry("changed",
			    json_array_get(from_routes, i), to));
	}
	for (size_t i = 0; i < na; i++)
		if (!used[i])
			json_array_append_new(out, route_entry("removed",
			    json_array_get(from_routes, i), NULL));
	for (size_t i = 0; i < na; i++)
		json_decref(ka[i]);
	for (size_t j = 0; j < nb; j++)
		json_decref(kb[j]);
	free(ka);
	free(kb);
	free(used);
	return out;
}

/* The start of every pair's entry: a and b are the JSON of the old and
 * new side (NULL when absent). False, with an error counted and a and b
 * released, when a present side (has_from, has_to) did not convert; else
 * *fields holds the fields that changed, but skip (which the caller
 * compares itself). Serves hosts, clusters, endpoints and listeners. */
static bool
pair_fields(struct plan *p, bool has_from, json_t *a, bool has_to, json_t *b,
    const char *skip, json_t **fields)
{
	if ((has_from && a == NULL) || (has_to && b == NULL)) {
		p->errors++;
		json_decref(a);
		json_decref(b);
		return false;
	}
	*fields = json_array();
	if (a && b)
		json_field_diff("", a, b, skip, *fields);
	return true;
}

static void
host_diff(struct plan *p, const char *rc_name, const char *host,
    const ProtobufCMessage *from, const ProtobufCMessage *to)
{
	json_t *a = from ? xds_message_to_json(from) : NULL;
	json_t *b = to ? xds_message_to_json(to) : NULL;
	json_t *fields, *e;

	if (!pair_fields(p, from != NULL, a, to != NULL, b, "routes", &fields))
		return;
	e = json_pack("{s:s, s:s, s:[s], s:o, s:o}", "host", host,
	    "change", change_name(a, b), "route_configs", rc_name,
	    "routes", routes_diff(json_object_get(a, "routes"),
	    json_object_get(b, "routes")), "fields", fields);
	json_array_append_new(p->hosts, e);
	json_decref(a);
	json_decref(b);
}

/* A RouteConfiguration read straight from its bytes: each virtual host
 * as a slice (no unpacking, no copy), the other fields as slices too.
 * At 10,000 hosts, unpacking and repacking every one to find the one that
 * changed costs far more than the rebuild itself. */
struct raw_vhost {
	const char *name; /* not NUL-terminated */
	size_t name_len;
	const uint8_t *bytes;
	size_t len;
};

struct raw_rc {
	struct raw_vhost *vhosts;
	size_t n;
	struct pb_slice { const uint8_t *p; size_t len; } *other;
	size_t nother;
};

static bool
read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* Skips one field's value; for a length-delimited one, *sub is its body. */
static bool
skip_field(const uint8_t **p, const uint8_t *end, unsigned wire,
    const uint8_t **sub, size_t *sublen)
{
	uint64_t v;

	switch (wire) {
	case 0:
		return read_varint(p, end, &v);
	case 1:
		if (end - *p < 8)
			return false;
		*p += 8;
		return true;
	case 2:
		if (!read_varint(p, end, &v) || v > (uint64_t)(end - *p))
			return false;
		*sub = *p;
		*sublen = (size_t)v;
		*p += v;
		return true;
	case 5:
		if (end - *p < 4)
			return false;
		*p += 4;
		return true;
	}
	return false;
}

static bool
raw_vhost_name(struct raw_vhost *vh, uint32_t name_field)
{
	const uint8_t *p = vh->bytes, *end = vh->bytes + vh->len;

	vh->name = "";
	vh->name_len = 0;
	while (p < end) {
		const uint8_t *sub = NULL;
		size_t sublen = 0;
		uint64_t tag;

		if (!read_varint(&p, end, &tag) || !skip_field(&p, end, tag & 7, &sub, &sublen))
			return false;
		if ((tag >> 3) == name_field && (tag & 7) == 2) {
			vh->name = (const char *)sub;
			vh->name_len = sublen;
		}
	}
	return true;
}

static bool
raw_rc_read(const struct xds_resource *r, struct raw_rc *out)
{
	static uint32_t vh_field, name_field;
	const uint8_t *p, *end;
	size_t cap = 0, capo = 0;

	memset(out, 0, sizeof *out);
	if (r == NULL)
		return true;
	if (vh_field == 0) {
		vh_field = pb_field_number(&envoy__config__route__v3__route_configuration__descriptor,
		    "virtual_hosts");
		name_field = pb_field_number(&envoy__config__route__v3__virtual_host__descriptor,
		    "name");
	}
	p = r->bytes;
	end = r->bytes + r->len;
	while (p < end) {
		const uint8_t *field = p, *sub = NULL;
		size_t sublen = 0;
		uint64_t tag;

		if (!read_varint(&p, end, &tag) || !skip_field(&p, end, tag & 7, &sub, &sublen))
			return false;
		if ((tag >> 3) == vh_field && (tag & 7) == 2) {
			if (out->n == cap) {
				cap = cap ? cap * 2 : 16;
				out->vhosts = xreallocarray(out->vhosts, cap, sizeof *out->vhosts);
			}
			out->vhosts[out->n] = (struct raw_vhost){ .bytes = sub, .len = sublen };
			if (!raw_vhost_name(&out->vhosts[out->n], name_field))
				return false;
			out->n++;
		} else {
			if (out->nother == capo) {
				capo = capo ? capo * 2 : 4;
				out->other = xreallocarray(out->other, capo, sizeof *out->other);
			}
			out->other[out->nother++] = (struct pb_slice){ field, (size_t)(p - field) };
		}
	}
	return true;
}

static void
raw_rc_free(struct raw_rc *rc)
{
	free(rc->vhosts);
	free(rc->other);
}

static int
raw_vhost_cmp(const void *a, const void *b)
{
	const struct raw_vhost *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static bool
raw_other_equal(const struct raw_rc *a, const struct raw_rc *b)
{
	if (a->nother != b->nother)
		return false;
	for (size_t i = 0; i < a->nother; i++)
		if (a->other[i].len != b->other[i].len ||
		    memcmp(a->other[i].p, b->other[i].p, a->other[i].len) != 0)
			return false;
	return true;
}

static void
raw_host_diff(struct plan *p, const char *rc, const struct raw_vhost *a,
    const struct raw_vhost *b)
{
	Envoy__Config__Route__V3__VirtualHost *va = NULL, *vb = NULL;
	const struct raw_vhost *any = b ? b : a;
	char *name = xstrndup(any->name, any->name_len);

	if (a)
		va = envoy__config__route__v3__virtual_host__unpack(NULL, a->len, a->bytes);
	if (b)
		vb = envoy__config__route__v3__virtual_host__unpack(NULL, b->len, b->bytes);
	if ((a && va == NULL) || (b && vb == NULL))
		p->errors++;
	else
		host_diff(p, rc, name, va ? &va->base : NULL, vb ? &vb->base : NULL);
	if (va)
		envoy__config__route__v3__virtual_host__free_unpacked(va, NULL);
	if (vb)
		envoy__config__route__v3__virtual_host__free_unpacked(vb, NULL);
	free(name);
}

/* Fields of the RouteConfiguration itself (not its virtual hosts). */
static void
rc_fields_diff(struct plan *p, const struct xds_resource *from,
    const struct xds_resource *to)
{
	json_t *a = resource_json(XDS_ROUTE, from), *b = resource_json(XDS_ROUTE, to);
	json_t *fields = json_array();

	if (a == NULL || b == NULL) {
		p->errors++;
	} else {
		json_field_diff("", a, b, "virtual_hosts", fields);
		json_array_append_new(p->hosts, json_pack("{s:s, s:s, s:[s], s:[], s:O}",
		    "host", "", "change", "changed", "route_configs", to->name,
		    "routes", "fields", fields));
	}
	json_decref(fields);
	json_decref(a);
	json_decref(b);
}

static void
route_config_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct plan *p = ctx;
	struct raw_rc a = { 0 }, b = { 0 };
	size_t i = 0, j = 0;
	const char *rc = to ? to->name : from->name;

	if (!raw_rc_read(from, &a) || !raw_rc_read(to, &b)) {
		p->errors++;
		goto out;
	}
	if (a.n > 1)
		qsort(a.vhosts, a.n, sizeof *a.vhosts, raw_vhost_cmp);
	if (b.n > 1)
		qsort(b.vhosts, b.n, sizeof *b.vhosts, raw_vhost_cmp);
	while (i < a.n || j < b.n) {
		int c = i >= a.n ? 1 : j >= b.n ? -1 :
		    raw_vhost_cmp(&a.vhosts[i], &b.vhosts[j]);

		if (c < 0) {
			raw_host_diff(p, rc, &a.vhosts[i++], NULL);
		} else if (c > 0) {
			raw_host_diff(p, rc, NULL, &b.vhosts[j++]);
		} else {
			/* The translator is deterministic: equal bytes, equal host. */
			if (a.vhosts[i].len != b.vhosts[j].len ||
			    memcmp(a.vhosts[i].bytes, b.vhosts[j].bytes, a.vhosts[i].len) != 0)
				raw_host_diff(p, rc, &a.vhosts[i], &b.vhosts[j]);
			i++;
			j++;
		}
	}
	if (from && to && !raw_other_equal(&a, &b))
		rc_fields_diff(p, from, to);
out:
	raw_rc_free(&a);
	raw_rc_free(&b);
}

static int
host_entry_cmp(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	int c = strcmp(json_str(*x, "host"), json_str(*y, "host"));

	/* Equal hosts stay in RouteConfiguration order (qsort is not stable). */
	if (c == 0)
		c = strcmp(json_string_value(json_array_get(json_object_get(*x, "route_configs"), 0)),
		    json_string_value(json_array_get(json_object_get(*y, "route_configs"), 0)));
	return c;
}

/* The same host changed the same way in several RouteConfigurations
 * (ingress_http and the proxyless one named by the FQDN): one entry,
 * listing them all. */
static json_t *
hosts_merge(json_t *hosts)
{
	size_t n = json_array_size(hosts);
	json_t **v = xcalloc(n + 1, sizeof *v), *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(hosts, i);
	qsort(v, n, sizeof *v, host_entry_cmp);
	for (size_t i = 0; i < n; i++) {
		json_t *merged = NULL;

		for (size_t k = json_array_size(out); k > 0; k--) {
			json_t *o = json_array_get(out, k - 1);

			if (strcmp(json_str(o, "host"), json_str(v[i], "host")) != 0)
				break;
			if (strcmp(json_str(o, "change"), json_str(v[i], "change")) == 0 &&
			    json_equal(json_object_get(o, "routes"), json_object_get(v[i], "routes")) &&
			    json_equal(json_object_get(o, "fields"), json_object_get(v[i], "fields"))) {
				merged = o;
				break;
			}
		}
		if (merged)
			json_array_extend(json_object_get(merged, "route_configs"),
			    json_object_get(v[i], "route_configs"));
		else
			json_array_append(out, v[i]);
	}
	free(v);
	json_decref(hosts);
	return out;
}

/* --- clusters: by what people call them, the options hash dropped ----------- */

struct keyed {
	char *key;
	const struct xds_resource *r;
};

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->r->name, y->r->name);
}

static void
cluster_pair(struct plan *p, const char *label, const struct xds_resource *from,
    const struct xds_resource *to)
{
	json_t *a = resource_json(XDS_CLUSTER, from), *b = resource_json(XDS_CLUSTER, to);
	json_t *fields, *e;

	if (!pair_fields(p, from != NULL, a, to != NULL, b, "name", &fields))
		return;
	e = json_pack("{s:s, s:s, s:s, s:o}", "cluster", label,
	    "change", change_name(a, b), "name", to ? to->name : from->name,
	    "fields", fields);
	json_array_append_new(p->clusters, e);
	json_decref(a);
	json_decref(b);
}

struct cluster_walk {
	struct plan *p;
	struct keyed *gone, *came; /* names only in the old / the new side */
	size_t ngone, ncame, capgone, capcame;
};

static void
keyed_push(struct keyed **v, size_t *n, size_t *cap, const struct xds_resource *r)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = (struct keyed){ diff_cluster_label(r->name), r };
}

static void
cluster_name_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct cluster_walk *w = ctx;

	if (from && to) {
		char *label = diff_cluster_label(to->name);

		cluster_pair(w->p, label, from, to);
		free(label);
	} else if (from) {
		keyed_push(&w->gone, &w->ngone, &w->capgone, from);
	} else {
		keyed_push(&w->came, &w->ncame, &w->capcame, to);
	}
}

static int
cluster_entry_cmp(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	int c = strcmp(json_str(*x, "cluster"), json_str(*y, "cluster"));

	return c ? c : strcmp(json_str(*x, "name"), json_str(*y, "name"));
}

/* Clusters by name first (equal versions cost nothing); a name that went
 * and one that came with the same label are one cluster whose options
 * (and so its hash) changed. */
static void
clusters_diff(struct plan *p, const struct xds_resource_set *sa,
    const struct xds_resource_set *sb)
{
	struct cluster_walk w = { .p = p };
	size_t i = 0, j = 0, n;
	json_t **v;

	walk_pairs(sa, sb, cluster_name_pair, &w);
	/* Not qsort(NULL, 0, ...): glibc declares the array nonnull. */
	if (w.ngone > 1)
		qsort(w.gone, w.ngone, sizeof *w.gone, keyed_cmp);
	if (w.ncame > 1)
		qsort(w.came, w.ncame, sizeof *w.came, keyed_cmp);
	while (i < w.ngone || j < w.ncame) {
		int c = i >= w.ngone ? 1 : j >= w.ncame ? -1 :
		    strcmp(w.gone[i].key, w.came[j].key);

		if (c < 0) {
			cluster_pair(p, w.gone[i].key, w.gone[i].r, NULL);
			i++;
		} else if (c > 0) {
			cluster_pair(p, w.came[j].key, NULL, w.came[j].r);
			j++;
		} else {
			cluster_pair(p, w.came[j].key, w.gone[i].r, w.came[j].r);
			i++;
			j++;
		}
	}
	for (size_t k = 0; k < w.ngone; k++)
		free(w.gone[k].key);
	for (size_t k = 0; k < w.ncame; k++)
		free(w.came[k].key);
	free(w.gone);
	free(w.came);
	/* In label order, whichever way each was found. */
	n = json_array_size(p->clusters);
	v = xcalloc(n + 1, sizeof *v);
	for (size_t k = 0; k < n; k++)
		v[k] = json_incref(json_array_get(p->clusters, k));
	qsort(v, n, sizeof *v, cluster_entry_cmp);
	json_array_clear(p->clusters);
	for (size_t k = 0; k < n; k++)
		json_array_append_new(p->clusters, v[k]);
	free(v);
}

/* --- endpoint sets: addresses added and removed ----------------------------- */

static json_t *
endpoint_addresses(const json_t *cla)
{
	json_t *out = json_array(), *loc, *lbe;
	size_t i, j;

	json_array_foreach(json_object_get(cla, "endpoints"), i, loc) {
		json_array_foreach(json_object_get(loc, "lb_endpoints"), j, lbe) {
			const json_t *sa = json_object_get(json_object_get(json_object_get(
			    lbe, "endpoint"), "address"), "socket_address");
			char *s;

			if (sa == NULL)
				continue;
			s = xasprintf("%s:%lld", json_str(sa, "address"),
			    (long long)json_integer_value(json_object_get(sa, "port_value")));
			json_array_append_new(out, json_string(s));
			free(s);
		}
	}
	return out;
}

/* Elements of a not in b. */
static json_t *
strings_minus(const json_t *a, const json_t *b)
{
	json_t *out = json_array(), *v, *w;
	size_t i, j;

	json_array_foreach((json_t *)a, i, v) {
		bool found = false;

		json_array_foreach((json_t *)b, j, w)
			if (json_equal(v, w))
				found = true;
		if (!found)
			json_array_append(out, v);
	}
	return out;
}

static void
endpoint_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct plan *p = ctx;
	json_t *a = resource_json(XDS_ENDPOINT, from), *b = resource_json(XDS_ENDPOINT, to);
	json_t *ea, *eb, *fields, *e;

	if (!pair_fields(p, from != NULL, a, to != NULL, b, "endpoints",
	    &fields))
		return;
	ea = a ? endpoint_addresses(a) : json_array();
	eb = b ? endpoint_addresses(b) : json_array();
	e = json_pack("{s:s, s:s, s:o, s:o, s:o}", "service",
	    to ? to->name : from->name, "change", change_name(a, b),
	    "added", strings_minus(eb, ea), "removed", strings_minus(ea, eb),
	    "fields", fields);
	/* Weights or localities moved, not addresses: say so. */
	if (a && b && json_array_size(json_object_get(e, "added")) == 0 &&
	    json_array_size(json_object_get(e, "removed")) == 0 &&
	    json_array_size(fields) == 0)
		json_field_diff("", json_object_get(a, "endpoints"),
		    json_object_get(b, "endpoints"), NULL, fields);
	json_array_append_new(p->endpoints, e);
	json_decref(ea);
	json_decref(eb);
	json_decref(a);
	json_decref(b);
}

/* --- listeners and their filter chains ------------------------------------ */

static char *
filter_chain_label(const json_t *fc)
{
	const json_t *names = json_object_get(json_object_get(fc, "filter_chain_match"),
	    "server_names");
	const char *name = json_string_value(json_object_get(fc, "name"));
	char *joined = NULL;
	json_t *v;
	size_t i;

	json_array_foreach((json_t *)names, i, v) {
		char *n = joined ? xasprintf("%s,%s", joined, json_string_value(v)) :
		    xstrdup(json_string_value(v));

		free(joined);
		joined = n;
	}
	if (joined)
		return joined;
	return xstrdup(name && name[0] ? name : "(default)");
}

struct labelled {
	char *label;
	const json_t *v;
	size_t index;
};

static int
labelled_cmp(const void *a, const void *b)
{
	const struct labelled *x = a, *y = b;
	int c = strcmp(x->label, y->label);

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

static struct labelled *
label_chains(const json_t *chains, size_t *n_out)
{
	size_t n = json_array_size(chains), i;
	struct labelled *l = xcalloc(n + 1, sizeof *l);
	json_t *v;

	json_array_foreach((json_t *)chains, i, v)
		l[i] = (struct labelled){ filter_chain_label(v), v, i };
	qsort(l, n, sizeof *l, labelled_cmp);
	*n_out = n;
	return l;
}

/* Filter chains by their server names (a TLS listener has one per host:
 * sorted and merged, not compared each with each). */
static json_t *
filter_chains_diff(const json_t *a, const json_t *b)
{
	json_t *out = json_array();
	size_t na, nb, i = 0, j = 0;
	struct labelled *la = label_chains(a, &na), *lb = label_chains(b, &nb);

	while (i < na || j < nb) {
		int c = i >= na ? 1 : j >= nb ? -1 : strcmp(la[i].label, lb[j].label);

		if (c < 0) {
			json_array_append_new(out, json_pack("{s:s, s:s, s:[]}",
			    "filter_chain", la[i].label, "change", "removed", "fields"));
			i++;
		} else if (c > 0) {
			json_array_append_new(out, json_pack("{s:s, s:s, s:[]}",
			    "filter_chain", lb[j].label, "change", "added", "fields"));
			j++;
		} else {
			if (!json_equal((json_t *)la[i].v, (json_t *)lb[j].v)) {
				json_t *fields = json_array();

				json_field_diff("", la[i].v, lb[j].v, NULL, fields);
				json_array_append_new(out, json_pack("{s:s, s:s, s:o}",
				    "filter_chain", lb[j].label, "change", "changed",
				    "fields", fields));
			}
			i++;
			j++;
		}
	}
	for (size_t k = 0; k < na; k++)
		free(la[k].label);
	for (size_t k = 0; k < nb; k++)
		free(lb[k].label);
	free(la);
	free(lb);
	return out;
}

static void
listener_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct plan *p = ctx;
	json_t *a = resource_json(XDS_LISTENER, from), *b = resource_json(XDS_LISTENER, to);
	json_t *fields, *e;

	if (!pair_fields(p, from != NULL, a, to != NULL, b, "filter_chains",
	    &fields))
		return;
	e = json_pack("{s:s, s:s, s:o, s:o}", "listener", to ? to->name : from->name,
	    "change", change_name(a, b),
	    "filter_chains", filter_chains_diff(json_object_get(a, "filter_chains"),
	    json_object_get(b, "filter_chains")), "fields", fields);
	json_array_append_new(p->listeners, e);
	json_decref(a);
	json_decref(b);
}

/* --- Secrets: the certificate, never the key ------------------------------ */

static json_t *
secret_cert(const json_t *secret)
{
	const json_t *tc = json_object_get(secret, "tls_certificate");
	const json_t *vc = json_object_get(secret, "validation_context");
	const json_t *ds = tc ? json_object_get(tc, "certificate_chain") :
	    json_object_get(vc, "trusted_ca");
	const char *b64 = json_string_value(json_object_get(ds, "inline_bytes"));
	const char *file = json_string_value(json_object_get(ds, "filename"));
	struct tls_cert_info info;
	char why[TLS_WHY_MAX], when[32];
	uint8_t *pem;
	size_t len;
	json_t *out = json_object();

	json_object_set_new(out, "kind", json_string(tc ? "certificate" :
	    vc ? "ca" : "other"));
	if (file)
		json_object_set_new(out, "file", json_string(file));
	if (b64 == NULL)
		return out;
	pem = xmalloc(strlen(b64) + 1);
	if (base64_decode(b64, strlen(b64), pem, &len) == 0 &&
	    tls_check_certificates(pem, len, &info, why, sizeof why) == 0) {
		tls_format_time(info.not_after, when);
		json_object_set_new(out, "subject", json_string(info.subject));
		json_object_set_new(out, "not_after", json_string(when));
	}
	free(pem);
	return out;
}

static void
secret_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct plan *p = ctx;
	json_t *a = resource_json(XDS_SECRET, from), *b = resource_json(XDS_SECRET, to);
	json_t *e;

	if ((from && a == NULL) || (to && b == NULL)) {
		p->errors++;
		json_decref(a);
		json_decref(b);
		return;
	}
	/* Redacted on both sides: a change only in the key bytes looks equal. */
	if (a && b && json_equal(a, b)) {
		json_decref(a);
		json_decref(b);
		return;
	}
	e = json_pack("{s:s, s:s}", "secret", to ? to->name : from->name,
	    "change", change_name(a, b));
	json_object_set_new(e, "from", a ? secret_cert(a) : json_null());
	json_object_set_new(e, "to", b ? secret_cert(b) : json_null());
	json_array_append_new(p->secrets, e);
	json_decref(a);
	json_decref(b);
}

/* --- statuses -------------------------------------------------------------- */

static json_t *
object_entry(const struct diff_object *from, const struct diff_object *to)
{
	const struct diff_object *o = to ? to : from;
	/* Why: the new side's problem, or the old one's when it went away. */
	const struct diff_object *why = to && to->reason ? to : NULL;
	json_t *e = json_pack("{s:s, s:s, s:s}", "kind", o->kind,
	    "namespace", o->namespace, "name", o->name);

	json_object_set_new(e, "from", from ? json_string(from->status) : json_null());
	json_object_set_new(e, "to", to ? json_string(to->status) : json_null());
	if (why) {
		json_object_set_new(e, "reason", json_string(why->reason));
		json_object_set_new(e, "message", json_string(why->message ? why->message : ""));
	}
	json_object_set_new(e, "file", json_string(o->file));
	json_object_set_new(e, "line", json_integer(o->line));
	json_object_set_new(e, "column", json_integer(o->col));
	return e;
}

static void
objects_diff(struct plan *p, const struct diff_objects *a,
    const struct diff_objects *b)
{
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 :
		    object_cmp(&a->items[i], &b->items[j]);

		if (c < 0) {
			json_array_append_new(p->objects, object_entry(&a->items[i++], NULL));
		} else if (c > 0) {
			json_array_append_new(p->objects, object_entry(NULL, &b->items[j++]));
		} else {
			if (strcmp(a->items[i].status, b->items[j].status) != 0)
				json_array_append_new(p->objects,
				    object_entry(&a->items[i], &b->items[j]));
			i++;
			j++;
		}
	}
}

/* --- the summary ------------------------------------------------------------ */

static size_t
count_change(const json_t *arr, const char *change)
{
	size_t n = 0, i;
	json_t *v;

	json_array_foreach((json_t *)arr, i, v)
		if (strcmp(json_str(v, "change"), change) == 0)
			n++;
	return n;
}

static void
summary_add(char **line, size_t n, const char *one, const char *many,
    const char *verb, const char *tail)
{
	char *part, *joined;

	if (n == 0)
		return;
	part = xasprintf("%zu %s%s%s%s", n, n == 1 ? one : many, verb[0] ? " " : "",
	    verb, tail ? tail : "");
	joined = *line ? xasprintf("%s, %s", *line, part) : xstrdup(part);
	free(part);
	free(*line);
	*line = joined;
}

static json_t *
summary(const struct plan *p)
{
	size_t radd = 0, rrem = 0, rchg = 0, hosts = 0, invalid = 0, rcs = 0, i, k;
	size_t hadd = 0, hrem = 0;
	const char *prev = NULL, *prev_added = NULL, *prev_removed = NULL;
	char *line = NULL, *on;
	json_t *h, *r, *s;

	json_array_foreach(p->hosts, i, h) {
		/* Hosts counted once, however many RouteConfigurations;
		 * "" is a RouteConfiguration's own fields, not a host. */
		if (json_str(h, "host")[0] != '\0' &&
		    (prev == NULL || strcmp(prev, json_str(h, "host")) != 0))
			hosts++;
		rcs += json_str(h, "host")[0] == '\0';
		/* Added (removed) in several RouteConfigurations: one host. */
		if (strcmp(json_str(h, "change"), "added") == 0 &&
		    (prev_added == NULL || strcmp(prev_added, json_str(h, "host")) != 0)) {
			hadd++;
			prev_added = json_str(h, "host");
		}
		if (strcmp(json_str(h, "change"), "removed") == 0 &&
		    (prev_removed == NULL || strcmp(prev_removed, json_str(h, "host")) != 0)) {
			hrem++;
			prev_removed = json_str(h, "host");
		}
		prev = json_str(h, "host");
		json_array_foreach(json_object_get(h, "routes"), k, r) {
			const char *c = json_str(r, "change");

			radd += strcmp(c, "added") == 0;
			rrem += strcmp(c, "removed") == 0;
			rchg += strcmp(c, "changed") == 0;
		}
	}
	json_array_foreach(p->objects, i, h)
		if (strcmp(json_str(h, "to"), "invalid") == 0)
			invalid++;
	on = xasprintf(" on %zu host%s", hosts, hosts == 1 ? "" : "s");
	summary_add(&line, hadd, "host", "hosts", "added", NULL);
	summary_add(&line, hrem, "host", "hosts", "removed", NULL);
	/* "on N hosts" once, after the last route figure. */
	summary_add(&line, radd, "route", "routes", "added", rchg || rrem ? NULL : on);
	summary_add(&line, rchg, "route", "routes", "changed", rrem ? NULL : on);
	summary_add(&line, rrem, "route", "routes", "removed", on);
	free(on);
	summary_add(&line, rcs, "route configuration", "route configurations", "changed", NULL);
	summary_add(&line, count_change(p->clusters, "added"), "cluster", "clusters", "added", NULL);
	summary_add(&line, count_change(p->clusters, "changed"), "cluster", "clusters", "changed", NULL);
	summary_add(&line, count_change(p->clusters, "removed"), "cluster", "clusters", "removed", NULL);
	summary_add(&line, count_change(p->endpoints, "added"), "endpoint set", "endpoint sets", "added", NULL);
	summary_add(&line, count_change(p->endpoints, "changed"), "endpoint set", "endpoint sets", "changed", NULL);
	summary_add(&line, count_change(p->endpoints, "removed"), "endpoint set", "endpoint sets", "removed", NULL);
	summary_add(&line, count_change(p->listeners, "added"), "listener", "listeners", "added", NULL);
	summary_add(&line, count_change(p->listeners, "changed"), "listener", "listeners", "changed", NULL);
	summary_add(&line, count_change(p->listeners, "removed"), "listener", "listeners", "removed", NULL);
	summary_add(&line, count_change(p->secrets, "added"), "secret", "secrets", "added", NULL);
	summary_add(&line, count_change(p->secrets, "changed"), "secret", "secrets", "changed", NULL);
	summary_add(&line, count_change(p->secrets, "removed"), "secret", "secrets", "removed", NULL);
	summary_add(&line, invalid, "object", "objects", "invalid", NULL);
	if (line == NULL && json_array_size(p->objects) > 0)
		summary_add(&line, json_array_size(p->objects), "object", "objects",
		    "changed status", NULL);
	s = json_pack("{s:s, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "text", line ? line : "no changes",
	    "routes", "added", (json_int_t)radd, "changed", (json_int_t)rchg,
	    "removed", (json_int_t)rrem, "hosts", (json_int_t)hosts,
	    "hosts_added", (json_int_t)hadd, "hosts_removed", (json_int_t)hrem,
	    "route_configs_changed", (json_int_t)rcs,
	    "clusters", (json_int_t)json_array_size(p->clusters),
	    "endpoint_sets", (json_int_t)json_array_size(p->endpoints),
	    "listeners", (json_int_t)json_array_size(p->listeners),
	    "secrets", (json_int_t)json_array_size(p->secrets),
	    "objects_invalid", (json_int_t)invalid);
	free(line);
	return s;
}

/* --- the daemon's one-line record of a change ---------------------------------- */

struct resource_counts {
	size_t added, changed, removed;
};

static void
resource_count(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct resource_counts *c = ctx;

	if (from == NULL)
		c->added++;
	else if (to == NULL)
		c->removed++;
	else
		c->changed++;
}

/* The resources a -> b change, counted by type into *line; a NULL
 * snapshot has none (a Gateway served on one side only). */
static void
change_line_resources(const struct snapshot *a, const struct snapshot *b,
    char **line)
{
	static const struct {
		enum xds_type type;
		const char *one, *many;
	} kinds[] = {
		{ XDS_ROUTE, "route configuration", "route configurations" },
		{ XDS_CLUSTER, "cluster", "clusters" },
		{ XDS_ENDPOINT, "endpoint set", "endpoint sets" },
		{ XDS_LISTENER, "listener", "listeners" },
		{ XDS_SECRET, "secret", "secrets" },
	};
	static const struct xds_resource_set none;

	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		const struct xds_resource_set *sa = a ? &a->types[kinds[k].type] : &none;
		const struct xds_resource_set *sb = b ? &b->types[kinds[k].type] : &none;
		struct resource_counts c = { 0 };

		/* A set's version hashes its (name, version) list. */
		if (sa->version == sb->version && sa->n == sb->n)
			continue;
		walk_pairs(sa, sb, resource_count, &c);
		summary_add(line, c.added, kinds[k].one, kinds[k].many, "added", NULL);
		summary_add(line, c.changed, kinds[k].one, kinds[k].many, "changed", NULL);
		summary_add(line, c.removed, kinds[k].one, kinds[k].many, "removed", NULL);
	}
}

/* Each Gateway whose resources change, "Gateway NS/NAME: <its change>",
 * appended to *line: nodes naming a Gateway get its snapshot, not the
 * default one, so a Gateway-only change shows nowhere else. Sets are
 * compared by version: a few comparisons per Gateway. */
static void
change_line_gateways(const struct snapshot *a, const struct snapshot *b,
    char **line)
{
	size_t i = 0, j = 0;

	while (i < a->ngateways || j < b->ngateways) {
		int c = i == a->ngateways ? 1 : j == b->ngateways ? -1 :
		    strcmp(a->gateways[i].name, b->gateways[j].name);
		const char *name = c <= 0 ? a->gateways[i].name : b->gateways[j].name;
		char *part = NULL;

		change_line_resources(c <= 0 ? a->gateways[i].snap : NULL,
		    c >= 0 ? b->gateways[j].snap : NULL, &part);
		if (part != NULL) {
			char *joined = *line ? xasprintf("%s, Gateway %s: %s",
			    *line, name, part) : xasprintf("Gateway %s: %s",
			    name, part);

			free(*line);
			*line = joined;
			free(part);
		}
		i += c <= 0;
		j += c >= 0;
	}
}

char *
diff_change_line(const struct snapshot *a, const struct snapshot *b,
    const struct diff_objects *from, const struct diff_objects *to)
{
	size_t i = 0, j = 0, moved = 0, invalid = 0;
	char *line = NULL;

	change_line_resources(a, b, &line);
	/* Statuses as objects_diff pairs them. */
	while (i < from->n || j < to->n) {
		int c = i >= from->n ? 1 : j >= to->n ? -1 :
		    object_cmp(&from->items[i], &to->items[j]);
		const struct diff_object *now = c < 0 ? NULL : &to->items[j];

		if (c == 0 && strcmp(from->items[i].status, to->items[j].status) == 0) {
			i++;
			j++;
			continue;
		}
		moved++;
		invalid += now != NULL && strcmp(now->status, "invalid") == 0;
		i += c <= 0;
		j += c >= 0;
	}
	summary_add(&line, invalid, "object", "objects", "invalid", NULL);
	if (invalid == 0)
		summary_add(&line, moved, "object", "objects", "changed status", NULL);
	change_line_gateways(a, b, &line);
	return line;
}

json_t *
diff_compute(const struct diff_side *from, const struct diff_side *to)
{
	const struct snapshot *a = from->snapshot, *b = to->snapshot;
	struct plan p = {
		.hosts = json_array(), .clusters = json_array(),
		.endpoints = json_array(), .listeners = json_array(),
		.secrets = json_array(), .objects = json_array(),
	};
	json_t *plan;

	walk_pairs(&a->types[XDS_ROUTE], &b->types[XDS_ROUTE], route_config_pair, &p);
	p.hosts = hosts_merge(p.hosts);
	clusters_diff(&p, &a->types[XDS_CLUSTER], &b->types[XDS_CLUSTER]);
	walk_pairs(&a->types[XDS_ENDPOINT], &b->types[XDS_ENDPOINT], endpoint_pair, &p);
	walk_pairs(&a->types[XDS_LISTENER], &b->types[XDS_LISTENER], listener_pair, &p);
	walk_pairs(&a->types[XDS_SECRET], &b->types[XDS_SECRET], secret_pair, &p);
	if (from->objects && to->objects)
		objects_diff(&p, from->objects, to->objects);
	plan = json_pack("{s:s?, s:s?}", "from", from->revision, "to", to->revision);
	json_object_set_new(plan, "summary", summary(&p));
	json_object_set_new(plan, "virtual_hosts", p.hosts);
	json_object_set_new(plan, "clusters", p.clusters);
	json_object_set_new(plan, "endpoints", p.endpoints);
	json_object_set_new(plan, "listeners", p.listeners);
	json_object_set_new(plan, "secrets", p.secrets);
	json_object_set_new(plan, "objects", p.objects);
	/* A resource that did not decode is an internal error, not "no change". */
	json_object_set_new(plan, "undecodable", json_integer((json_int_t)p.errors));
	return plan;
}

bool
diff_plan_empty(const json_t *plan)
{
	static const char *const groups[] = { "virtual_hosts", "clusters",
		"endpoints", "listeners", "secrets", "objects" };

	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (json_array_size(json_object_get(plan, groups[i])) > 0)
			return false;
	return true;
}

const char *
diff_plan_summary(const json_t *plan)
{
	return json_str(json_object_get(plan, "summary"), "text");
}
