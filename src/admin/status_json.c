/* /status (the build report plus what only the daemon knows) and
 * /debug/xds (the snapshot as proto3 JSON), built with jansson. */
#include <string.h>
#include <time.h>

#include "admin/internal.h"
#include "autoconf.h"
#include "diff/diff.h"
#include "util/hash.h"
#include "xds/json.h"
#include "xds/snapshot.h"

static const enum xds_type xds_order[] = {
	XDS_LISTENER, XDS_ROUTE, XDS_CLUSTER, XDS_ENDPOINT, XDS_SECRET,
};

/* RFC 3339 in UTC, to the second. */
static json_t *
time_json(double unix_seconds)
{
	char buf[32];
	time_t t = (time_t)unix_seconds;
	struct tm tm;

	if (unix_seconds <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

json_t *
admin_status_json(const struct admin_state *st)
{
	const struct admin_view *v = st->view;
	json_t *out = json_object(), *versions, *plan;

	if (v != NULL)
		json_object_update(out, st->status); /* shares the members */
	json_object_set_new(out, "ready", json_boolean(st->ready));
	json_object_set_new(out, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(out, "rebuilds", json_integer(v ? (json_int_t)v->rebuilds : 0));
	if (v == NULL) {
		json_object_set_new(out, "message", json_string("first snapshot not built yet"));
		json_object_set_new(out, "source", json_null());
		json_object_set_new(out, "last_rebuild", json_null());
		json_object_set_new(out, "snapshot", json_null());
		json_object_set(out, "nodes", st->nodes);
		return out;
	}
	json_object_set_new(out, "source", json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "kind", v->source_kind, "location", v->source_location,
	    "revision", v->revision, "branch", v->branch, "subject", v->subject));
	if (st->have_fetch)
		json_object_set_new(json_object_get(out, "source"), "fetch",
		    json_pack("{s:I, s:I, s:I, s:o}",
		    "fetches", (json_int_t)st->fetch.fetches,
		    "failures", (json_int_t)st->fetch.failures,
		    "consecutive_failures", (json_int_t)st->fetch.consecutive_failures,
		    "last_error", st->fetch.last_error ?
		    json_string(st->fetch.last_error) : json_null()));
	json_object_set_new(out, "last_rebuild", json_pack("{s:f, s:f, s:o}",
	    "duration_seconds", v->duration_seconds, "timestamp", v->finished_unix,
	    "time", time_json(v->finished_unix)));
	if (v->snapshot != NULL) {
		versions = json_object();
		for (size_t i = 0; i < sizeof xds_order / sizeof xds_order[0]; i++) {
			const struct xds_resource_set *set = &v->snapshot->types[xds_order[i]];

			json_object_set_new(versions, xds_type_short(xds_order[i]),
			    json_pack("{s:s, s:I}", "version", set->version_hex,
			    "resources", (json_int_t)set->n));
		}
		json_object_set_new(out, "snapshot", json_pack("{s:I, s:o}",
		    "serial", (json_int_t)v->snapshot->serial, "types", versions));
	} else {
		json_object_set_new(out, "snapshot", json_null());
	}
	json_object_set(out, "nodes", st->nodes);
	/* What the last change did: its summary here, the plan at /debug/diff. */
	plan = st->change ? diff_change_plan(st->change) : NULL;
	json_object_set_new(out, "last_change", plan == NULL ? json_null() :
	    json_pack("{s:O, s:O, s:O, s:s}", "from", json_object_get(plan, "from"),
	    "to", json_object_get(plan, "to"),
	    "summary", json_object_get(json_object_get(plan, "summary"), "text"),
	    "plan", "/debug/diff"));
	return out;
}

json_t *
admin_xds_json(const struct snapshot *snap, int type, const char **err)
{
	json_t *types = json_object();

	for (size_t i = 0; i < sizeof xds_order / sizeof xds_order[0]; i++) {
		enum xds_type t = xds_order[i];
		const struct xds_resource_set *set = &snap->types[t];
		json_t *resources = json_array();

		if (type >= 0 && (int)t != type) {
			json_decref(resources);
			continue;
		}
		for (size_t j = 0; j < set->n; j++) {
			const struct xds_resource *r = xds_set_at(set, j);
			/* Secrets are redacted: the default options. */
			json_t *body = xds_bytes_to_json(xds_type_url(t),
			    xds_resource_bytes(r), r->len);
			json_t *item;
			char version[17];

			if (body == NULL) {
				*err = xds_json_error();
				json_decref(resources);
				json_decref(types);
				return NULL;
			}
			hash_hex(r->version, version);
			item = json_pack("{s:s, s:s, s:o}", "name", r->name,
			    "version", version, "resource", json_object());
			/* "@type" first, as in `cairn dump`. */
			json_object_set_new(json_object_get(item, "resource"), "@type",
			    json_string(xds_type_url(t)));
			json_object_update(json_object_get(item, "resource"), body);
			json_decref(body);
			if (r->named_only)
				json_object_set_new(item, "named_only", json_true());
			json_array_append_new(resources, item);
		}
		json_object_set_new(types, xds_type_short(t), json_pack("{s:s, s:s, s:o}",
		    "type_url", xds_type_url(t), "version", set->version_hex,
		    "resources", resources));
	}
	return json_pack("{s:s, s:I, s:o}", "revision", snap->revision ? snap->revision : "",
	    "serial", (json_int_t)snap->serial, "types", types);
}
