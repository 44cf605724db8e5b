/* Clusters in a plan, by what people call them (the options hash
 * dropped from the name), and endpoint sets by the addresses added and
 * removed. */
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
cluster_pair(struct diff_plan *p, const char *label, const struct xds_resource *from,
    const struct xds_resource *to)
{
	json_t *a = diff_resource_json(XDS_CLUSTER, from), *b = diff_resource_json(XDS_CLUSTER, to);
	json_t *fields, *e;

	if (!diff_pair_fields(p, from != NULL, a, to != NULL, b, "name", &fields))
		return;
	e = json_pack("{s:s, s:s, s:s, s:o}", "cluster", label,
	    "change", diff_change_name(a, b), "name", to ? to->name : from->name,
	    "fields", fields);
	json_array_append_new(p->clusters, e);
	json_decref(a);
	json_decref(b);
}

struct cluster_walk {
	struct diff_plan *p;
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
	int c = strcmp(diff_json_str(*x, "cluster"), diff_json_str(*y, "cluster"));

	return c ? c : strcmp(diff_json_str(*x, "name"), diff_json_str(*y, "name"));
}

/* Clusters by name first (equal versions cost nothing); a name that went
 * and one that came with the same label are one cluster whose options
 * (and so its hash) changed. */
void
diff_clusters_diff(struct diff_plan *p, const struct xds_resource_set *sa,
    const struct xds_resource_set *sb)
{
	struct cluster_walk w = { .p = p };
	size_t i = 0, j = 0, n;
	json_t **v;

	diff_walk_pairs(sa, sb, cluster_name_pair, &w);
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
			s = xasprintf("%s:%lld", diff_json_str(sa, "address"),
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

void
diff_endpoint_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct diff_plan *p = ctx;
	json_t *a = diff_resource_json(XDS_ENDPOINT, from), *b = diff_resource_json(XDS_ENDPOINT, to);
	json_t *ea, *eb, *fields, *e;

	if (!diff_pair_fields(p, from != NULL, a, to != NULL, b, "endpoints",
	    &fields))
		return;
	ea = a ? endpoint_addresses(a) : json_array();
	eb = b ? endpoint_addresses(b) : json_array();
	e = json_pack("{s:s, s:s, s:o, s:o, s:o}", "service",
	    to ? to->name : from->name, "change", diff_change_name(a, b),
	    "added", strings_minus(eb, ea), "removed", strings_minus(ea, eb),
	    "fields", fields);
	/* Weights or localities moved, not addresses: say so. */
	if (a && b && json_array_size(json_object_get(e, "added")) == 0 &&
	    json_array_size(json_object_get(e, "removed")) == 0 &&
	    json_array_size(fields) == 0)
		diff_json_field_diff("", json_object_get(a, "endpoints"),
		    json_object_get(b, "endpoints"), NULL, fields);
	json_array_append_new(p->endpoints, e);
	json_decref(ea);
	json_decref(eb);
	json_decref(a);
	json_decref(b);
}
