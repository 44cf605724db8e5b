/* The plan: two snapshots compared resource by resource (versions first),
 * then inside changed resources at the level people think in. */
#include "diff/diff.h"

#include <stdlib.h>
#include <string.h>

#include "dag/dag.h"
#include "tls/tls.h"
#include "util/base64.h"
#include "util/xalloc.h"
#include "xds/json.h"
#include "xds/snapshot.h"

#include "envoy/config/route/v3/route.pb-c.h"

/* --- object statuses ------------------------------------------------------ */

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int
object_cmp(const void *a, const void *b)
{
	const struct diff_object *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);

	if (c == 0)
		c = strcmp(x->namespace, y->namespace);
	if (c == 0)
		c = strcmp(x->name, y->name);
	return c;
}

void
diff_objects_from_dag(struct diff_objects *out, const struct dag *dag)
{
	out->n = dag->nstatuses;
	out->items = xcalloc(out->n ? out->n : 1, sizeof *out->items);
	for (size_t i = 0; i < dag->nstatuses; i++) {
		const struct dag_object_status *st = &dag->statuses[i];
		struct diff_object *o = &out->items[i];
		const struct dag_condition *why = NULL;

		o->kind = xstrdup(obj_kind_name(st->kind));
		o->namespace = xstrdup(st->namespace ? st->namespace : "");
		o->name = xstrdup(st->name ? st->name : "");
		o->status = xstrdup(dag_status_name(st->status));
		o->file = xstrdup(st->origin.file ? st->origin.file : "");
		o->line = st->origin.line;
		o->col = st->origin.col;
		/* The first problem (not a warning) says why. */
		for (size_t j = 0; j < st->nconditions && why == NULL; j++)
			if (!st->conditions[j].warning)
				why = &st->conditions[j];
		if (why != NULL && st->status != DAG_STATUS_VALID) {
			o->reason = dup_or_null(why->reason);
			o->message = dup_or_null(why->message);
			if (why->origin.file != NULL && why->origin.file[0] != '\0') {
				free(o->file);
				o->file = xstrdup(why->origin.file);
				o->line = why->origin.line;
				o->col = why->origin.col;
			}
		}
	}
	qsort(out->items, out->n, sizeof *out->items, object_cmp);
}

static const char *
json_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int
diff_objects_from_json(struct diff_objects *out, const json_t *status)
{
	const json_t *arr = json_object_get(status, "objects");
	size_t i;
	json_t *oj;

	memset(out, 0, sizeof *out);
	if (!json_is_array(arr))
		return -1;
	out->items = xcalloc(json_array_size(arr) + 1, sizeof *out->items);
	json_array_foreach(arr, i, oj) {
		struct diff_object *o = &out->items[out->n++];
		const json_t *origin = json_object_get(oj, "origin");
		const json_t *conds = json_object_get(oj, "conditions");

		o->kind = xstrdup(json_str(oj, "kind"));
		o->namespace = xstrdup(json_str(oj, "namespace"));
		o->name = xstrdup(json_str(oj, "name"));
		o->status = xstrdup(json_str(oj, "status"));
		o->file = xstrdup(json_str(origin, "file"));
		o->line = (int)json_integer_value(json_object_get(origin, "line"));
		o->col = (int)json_integer_value(json_object_get(origin, "column"));
		if (strcmp(o->status, "valid") != 0 && json_array_size(conds) > 0) {
			const json_t *c = json_array_get(conds, 0);
			const json_t *co = json_object_get(c, "origin");

			o->reason = xstrdup(json_str(c, "reason"));
			o->message = xstrdup(json_str(c, "message"));
			if (json_str(co, "file")[0] != '\0') {
				free(o->file);
				o->file = xstrdup(json_str(co, "file"));
				o->line = (int)json_integer_value(json_object_get(co, "line"));
				o->col = (int)json_integer_value(json_object_get(co, "column"));
			}
		}
	}
	qsort(out->items, out->n, sizeof *out->items, object_cmp);
	return 0;
}

void
diff_objects_free(struct diff_objects *o)
{
	for (size_t i = 0; i < o->n; i++) {
		struct diff_object *x = &o->items[i];

		free(x->kind);
		free(x->namespace);
		free(x->name);
		free(x->status);
		free(x->reason);
		free(x->message);
		free(x->file);
	}
	free(o->items);
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

static void
host_diff(struct plan *p, const char *rc_name, const char *host,
    const ProtobufCMessage *from, const ProtobufCMessage *to)
{
	json_t *a = from ? xds_message_to_json(from) : NULL;
	json_t *b = to ? xds_message_to_json(to) : NULL;
	json_t *fields = json_array(), *e;

	if ((from && a == NULL) || (to && b == NULL)) {
		p->errors++;
		json_decref(a);
		json_decref(b);
		json_decref(fields);
		return;
	}
	if (a && b)
		json_field_diff("", a, b, "routes", fields);
	e = json_pack("{s:s, s:s, s:[s], s:o, s:o}", "host", host,
	    "change", change_name(a, b), "route_configs", rc_name,
	    "routes", routes_diff(json_object_get(a, "routes"),
	    json_object_get(b, "routes")), "fields", fields);
	json_array_append_new(p->hosts, e);
	json_decref(a);
	json_decref(b);
}

static int
vhost_cmp(const void *a, const void *b)
{
	const Envoy__Config__Route__V3__VirtualHost *const *x = a, *const *y = b;

	return strcmp((*x)->name ? (*x)->name : "", (*y)->name ? (*y)->name : "");
}

/* Equal when they serialize to the same bytes (cheaper than JSON). */
static bool
vhost_equal(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la = protobuf_c_message_get_packed_size(a);
	size_t lb = protobuf_c_message_get_packed_size(b);
	uint8_t *ba, *bb;
	bool eq;

	if (la != lb)
		return false;
	ba = xmalloc(la + 1);
	bb = xmalloc(lb + 1);
	protobuf_c_message_pack(a, ba);
	protobuf_c_message_pack(b, bb);
	eq = memcmp(ba, bb, la) == 0;
	free(ba);
	free(bb);
	return eq;
}

static Envoy__Config__Route__V3__RouteConfiguration *
route_config_unpack(const struct xds_resource *r)
{
	if (r == NULL)
		return NULL;
	return envoy__config__route__v3__route_configuration__unpack(NULL, r->len,
	    r->bytes);
}

static void
route_config_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct plan *p = ctx;
	Envoy__Config__Route__V3__RouteConfiguration *a = route_config_unpack(from);
	Envoy__Config__Route__V3__RouteConfiguration *b = route_config_unpack(to);
	Envoy__Config__Route__V3__VirtualHost **va = NULL, **vb = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0;
	const char *rc = to ? to->name : from->name;

	if ((from && a == NULL) || (to && b == NULL)) {
		p->errors++;
		goto out;
	}
	if (a) {
		na = a->n_virtual_hosts;
		va = xmemdup(a->virtual_hosts, (na + 1) * sizeof *va);
		qsort(va, na, sizeof *va, vhost_cmp);
	}
	if (b) {
		nb = b->n_virtual_hosts;
		vb = xmemdup(b->virtual_hosts, (nb + 1) * sizeof *vb);
		qsort(vb, nb, sizeof *vb, vhost_cmp);
	}
	while (i < na || j < nb) {
		int c = i >= na ? 1 : j >= nb ? -1 : vhost_cmp(&va[i], &vb[j]);

		if (c < 0) {
			host_diff(p, rc, va[i]->name, &va[i]->base, NULL);
			i++;
		} else if (c > 0) {
			host_diff(p, rc, vb[j]->name, NULL, &vb[j]->base);
			j++;
		} else {
			if (!vhost_equal(&va[i]->base, &vb[j]->base))
				host_diff(p, rc, vb[j]->name, &va[i]->base, &vb[j]->base);
			i++;
			j++;
		}
	}
out:
	free(va);
	free(vb);
	if (a)
		envoy__config__route__v3__route_configuration__free_unpacked(a, NULL);
	if (b)
		envoy__config__route__v3__route_configuration__free_unpacked(b, NULL);
}

static int
host_entry_cmp(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;

	return strcmp(json_str(*x, "host"), json_str(*y, "host"));
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
	/* Stable for equal hosts: entries came in RouteConfiguration order. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && host_entry_cmp(&v[k - 1], &v[k]) > 0; k--) {
			json_t *t = v[k];

			v[k] = v[k - 1];
			v[k - 1] = t;
		}
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

static struct keyed *
keyed_clusters(const struct xds_resource_set *s)
{
	struct keyed *k = xcalloc(s->n + 1, sizeof *k);

	for (size_t i = 0; i < s->n; i++) {
		k[i].key = diff_cluster_label(s->items[i].name);
		k[i].r = &s->items[i];
	}
	qsort(k, s->n, sizeof *k, keyed_cmp);
	return k;
}

static void
cluster_pair(struct plan *p, const char *label, const struct xds_resource *from,
    const struct xds_resource *to)
{
	json_t *a = resource_json(XDS_CLUSTER, from), *b = resource_json(XDS_CLUSTER, to);
	json_t *fields = json_array(), *e;

	if ((from && a == NULL) || (to && b == NULL)) {
		p->errors++;
		json_decref(a);
		json_decref(b);
		json_decref(fields);
		return;
	}
	if (a && b)
		json_field_diff("", a, b, "name", fields);
	e = json_pack("{s:s, s:s, s:s, s:o}", "cluster", label,
	    "change", change_name(a, b), "name", to ? to->name : from->name,
	    "fields", fields);
	json_array_append_new(p->clusters, e);
	json_decref(a);
	json_decref(b);
}

static void
clusters_diff(struct plan *p, const struct xds_resource_set *sa,
    const struct xds_resource_set *sb)
{
	struct keyed *ka = keyed_clusters(sa), *kb = keyed_clusters(sb);
	size_t i = 0, j = 0;

	while (i < sa->n || j < sb->n) {
		int c = i >= sa->n ? 1 : j >= sb->n ? -1 : strcmp(ka[i].key, kb[j].key);

		if (c < 0) {
			cluster_pair(p, ka[i].key, ka[i].r, NULL);
			i++;
		} else if (c > 0) {
			cluster_pair(p, kb[j].key, NULL, kb[j].r);
			j++;
		} else {
			if (ka[i].r->version != kb[j].r->version ||
			    strcmp(ka[i].r->name, kb[j].r->name) != 0)
				cluster_pair(p, kb[j].key, ka[i].r, kb[j].r);
			i++;
			j++;
		}
	}
	for (size_t k = 0; k < sa->n; k++)
		free(ka[k].key);
	for (size_t k = 0; k < sb->n; k++)
		free(kb[k].key);
	free(ka);
	free(kb);
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
	json_t *ea, *eb, *fields = json_array(), *e;

	if ((from && a == NULL) || (to && b == NULL)) {
		p->errors++;
		json_decref(a);
		json_decref(b);
		json_decref(fields);
		return;
	}
	ea = a ? endpoint_addresses(a) : json_array();
	eb = b ? endpoint_addresses(b) : json_array();
	if (a && b)
		json_field_diff("", a, b, "endpoints", fields);
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

static json_t *
filter_chains_diff(const json_t *a, const json_t *b)
{
	json_t *out = json_array(), *v, *w;
	size_t i, j;

	json_array_foreach((json_t *)b, j, w) {
		char *lw = filter_chain_label(w);
		const json_t *match = NULL;

		json_array_foreach((json_t *)a, i, v) {
			char *lv = filter_chain_label(v);

			if (strcmp(lv, lw) == 0)
				match = v;
			free(lv);
		}
		if (match == NULL) {
			json_array_append_new(out, json_pack("{s:s, s:s, s:[]}",
			    "filter_chain", lw, "change", "added", "fields"));
		} else if (!json_equal((json_t *)match, w)) {
			json_t *fields = json_array();

			json_field_diff("", match, w, NULL, fields);
			json_array_append_new(out, json_pack("{s:s, s:s, s:o}",
			    "filter_chain", lw, "change", "changed", "fields", fields));
		}
		free(lw);
	}
	json_array_foreach((json_t *)a, i, v) {
		char *lv = filter_chain_label(v);
		bool found = false;

		json_array_foreach((json_t *)b, j, w) {
			char *lw = filter_chain_label(w);

			found = found || strcmp(lv, lw) == 0;
			free(lw);
		}
		if (!found)
			json_array_append_new(out, json_pack("{s:s, s:s, s:[]}",
			    "filter_chain", lv, "change", "removed", "fields"));
		free(lv);
	}
	return out;
}

static void
listener_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct plan *p = ctx;
	json_t *a = resource_json(XDS_LISTENER, from), *b = resource_json(XDS_LISTENER, to);
	json_t *fields = json_array(), *e;

	if ((from && a == NULL) || (to && b == NULL)) {
		p->errors++;
		json_decref(a);
		json_decref(b);
		json_decref(fields);
		return;
	}
	if (a && b)
		json_field_diff("", a, b, "filter_chains", fields);
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
	size_t radd = 0, rrem = 0, rchg = 0, hosts = 0, invalid = 0, i, k;
	size_t hadd = count_change(p->hosts, "added");
	size_t hrem = count_change(p->hosts, "removed");
	const char *prev = NULL;
	char *line = NULL, *on;
	json_t *h, *r, *s;

	json_array_foreach(p->hosts, i, h) {
		/* Hosts counted once, however many RouteConfigurations. */
		if (prev == NULL || strcmp(prev, json_str(h, "host")) != 0)
			hosts++;
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
	s = json_pack("{s:s, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "text", line ? line : "no changes",
	    "routes", "added", (json_int_t)radd, "changed", (json_int_t)rchg,
	    "removed", (json_int_t)rrem, "hosts", (json_int_t)hosts,
	    "hosts_added", (json_int_t)hadd, "hosts_removed", (json_int_t)hrem,
	    "clusters", (json_int_t)json_array_size(p->clusters),
	    "endpoint_sets", (json_int_t)json_array_size(p->endpoints),
	    "listeners", (json_int_t)json_array_size(p->listeners),
	    "secrets", (json_int_t)json_array_size(p->secrets),
	    "objects_invalid", (json_int_t)invalid);
	free(line);
	return s;
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
