/* Listeners in a plan, and their filter chains by label (server names,
 * or the chain's name). */
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

				diff_json_field_diff("", la[i].v, lb[j].v, NULL, fields);
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

void
diff_listener_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct diff_plan *p = ctx;
	json_t *a = diff_resource_json(XDS_LISTENER, from), *b = diff_resource_json(XDS_LISTENER, to);
	json_t *fields, *e;

	if (!diff_pair_fields(p, from != NULL, a, to != NULL, b, "filter_chains",
	    &fields))
		return;
	e = json_pack("{s:s, s:s, s:o, s:o}", "listener", to ? to->name : from->name,
	    "change", diff_change_name(a, b),
	    "filter_chains", filter_chains_diff(json_object_get(a, "filter_chains"),
	    json_object_get(b, "filter_chains")), "fields", fields);
	json_array_append_new(p->listeners, e);
	json_decref(a);
	json_decref(b);
}
