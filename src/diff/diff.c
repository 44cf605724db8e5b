/* The plan: two snapshots compared resource by resource (versions first),
 * then inside changed resources at the level people think in. This file:
 * the walk and the field-level comparison every kind shares, statuses,
 * the summary, the daemon's one-line record and diff_compute; each kind's
 * comparison has its own file (routes.c, clusters.c, listeners.c,
 * secrets.c) and the object lists theirs (objects.c). */
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
void
diff_json_field_diff(const char *path, const json_t *a, const json_t *b,
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
			diff_json_field_diff(p, v, json_object_get(b, key), NULL, out);
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

			diff_json_field_diff(p, json_array_get(a, i), json_array_get(b, i),
			    NULL, out);
			free(p);
		}
		return;
	}
	json_array_append_new(out, field_change(path, a, b));
}

/* --- walking two sorted resource sets ------------------------------------- */

/* Whether a and b, of other versions, are the same bytes all the same: a
 * resource in pieces has a version of its own making (xds_blob_new_pieces),
 * so it and the same bytes read back flat (`cairn diff --running`)
 * differ. Two in pieces of other versions are other bytes: not read (a
 * change recorded by serve compares two such). */
static bool
same_bytes_pieced(const struct xds_resource *a, const struct xds_resource *b)
{
	return (a->pieced != NULL) != (b->pieced != NULL) && a->len == b->len &&
	    memcmp(xds_resource_bytes(a), xds_resource_bytes(b), a->len) == 0;
}

/* Calls fn for every name whose resource was added, removed or changed
 * (versions differ); equal versions cost one comparison. */
void
diff_walk_pairs(const struct xds_resource_set *a, const struct xds_resource_set *b,
    diff_pair_fn fn, void *ctx)
{
	struct xds_set_iter ia, ib;
	const struct xds_resource *x, *y;

	xds_set_iter_init(&ia, a, 0);
	xds_set_iter_init(&ib, b, 0);
	for (;;) {
		int c;

		/* A chunk both sets hold at the same place: nothing in it
		 * differs. */
		while (xds_set_iter_same_chunk(&ia, &ib) > 0)
			;
		x = xds_set_iter_peek(&ia);
		y = xds_set_iter_peek(&ib);
		if (x == NULL && y == NULL)
			break;
		/* A resource both snapshots share has one name string (its
		 * blob's): equal without reading it. */
		c = x == NULL ? 1 : y == NULL ? -1 :
		    x->name == y->name ? 0 : strcmp(x->name, y->name);
		if (c < 0) {
			fn(ctx, x, NULL);
			xds_set_iter_next(&ia);
		} else if (c > 0) {
			fn(ctx, NULL, y);
			xds_set_iter_next(&ib);
		} else {
			if ((x->version != y->version || x->len != y->len) &&
			    !same_bytes_pieced(x, y))
				fn(ctx, x, y);
			xds_set_iter_next(&ia);
			xds_set_iter_next(&ib);
		}
	}
}

json_t *
diff_resource_json(enum xds_type type, const struct xds_resource *r)
{
	struct xds_json_options jo = { .show_secrets = false };

	if (r == NULL)
		return NULL;
	return xds_bytes_to_json_opts(xds_type_url(type),
	    xds_resource_bytes(r), r->len, &jo);
}

const char *
diff_change_name(const void *from, const void *to)
{
	return from == NULL ? "added" : to == NULL ? "removed" : "changed";
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
objects_diff(struct diff_plan *p, const struct diff_objects *a,
    const struct diff_objects *b)
{
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 :
		    diff_object_cmp(&a->items[i], &b->items[j]);

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
		if (strcmp(diff_json_str(v, "change"), change) == 0)
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
summary(const struct diff_plan *p)
{
	size_t radd = 0, rrem = 0, rchg = 0, hosts = 0, invalid = 0, rcs = 0, i, k;
	size_t hadd = 0, hrem = 0;
	const char *prev = NULL, *prev_added = NULL, *prev_removed = NULL;
	char *line = NULL, *on;
	json_t *h, *r, *s;

	json_array_foreach(p->hosts, i, h) {
		/* Hosts counted once, however many RouteConfigurations;
		 * "" is a RouteConfiguration's own fields, not a host. */
		if (diff_json_str(h, "host")[0] != '\0' &&
		    (prev == NULL || strcmp(prev, diff_json_str(h, "host")) != 0))
			hosts++;
		rcs += diff_json_str(h, "host")[0] == '\0';
		/* Added (removed) in several RouteConfigurations: one host. */
		if (strcmp(diff_json_str(h, "change"), "added") == 0 &&
		    (prev_added == NULL || strcmp(prev_added, diff_json_str(h, "host")) != 0)) {
			hadd++;
			prev_added = diff_json_str(h, "host");
		}
		if (strcmp(diff_json_str(h, "change"), "removed") == 0 &&
		    (prev_removed == NULL || strcmp(prev_removed, diff_json_str(h, "host")) != 0)) {
			hrem++;
			prev_removed = diff_json_str(h, "host");
		}
		prev = diff_json_str(h, "host");
		json_array_foreach(json_object_get(h, "routes"), k, r) {
			const char *c = diff_json_str(r, "change");

			radd += strcmp(c, "added") == 0;
			rrem += strcmp(c, "removed") == 0;
			rchg += strcmp(c, "changed") == 0;
		}
	}
	json_array_foreach(p->objects, i, h)
		if (strcmp(diff_json_str(h, "to"), "invalid") == 0)
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
		diff_walk_pairs(sa, sb, resource_count, &c);
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
		    diff_object_cmp(&from->items[i], &to->items[j]);
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
	struct diff_plan p = {
		.hosts = json_array(), .clusters = json_array(),
		.endpoints = json_array(), .listeners = json_array(),
		.secrets = json_array(), .objects = json_array(),
	};
	json_t *plan;

	diff_walk_pairs(&a->types[XDS_ROUTE], &b->types[XDS_ROUTE], diff_route_config_pair, &p);
	p.hosts = diff_hosts_merge(p.hosts);
	diff_clusters_diff(&p, &a->types[XDS_CLUSTER], &b->types[XDS_CLUSTER]);
	diff_walk_pairs(&a->types[XDS_ENDPOINT], &b->types[XDS_ENDPOINT], diff_endpoint_pair, &p);
	diff_walk_pairs(&a->types[XDS_LISTENER], &b->types[XDS_LISTENER], diff_listener_pair, &p);
	diff_walk_pairs(&a->types[XDS_SECRET], &b->types[XDS_SECRET], diff_secret_pair, &p);
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
	return diff_json_str(json_object_get(plan, "summary"), "text");
}
