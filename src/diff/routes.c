/* RouteConfigurations in a plan: per virtual host, then per route (by
 * its match), reading the serialized RouteConfiguration's hosts without
 * decoding the whole of it when one host changed. */
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
		diff_json_field_diff("", from, to, NULL, fields);
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
bool
diff_pair_fields(struct diff_plan *p, bool has_from, json_t *a, bool has_to, json_t *b,
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
		diff_json_field_diff("", a, b, skip, *fields);
	return true;
}

static void
host_diff(struct diff_plan *p, const char *rc_name, const char *host,
    const ProtobufCMessage *from, const ProtobufCMessage *to)
{
	json_t *a = from ? xds_message_to_json(from) : NULL;
	json_t *b = to ? xds_message_to_json(to) : NULL;
	json_t *fields, *e;

	if (!diff_pair_fields(p, from != NULL, a, to != NULL, b, "routes", &fields))
		return;
	e = json_pack("{s:s, s:s, s:[s], s:o, s:o}", "host", host,
	    "change", diff_change_name(a, b), "route_configs", rc_name,
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

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a;
	uintptr_t y = (uintptr_t)*(const void *const *)b;

	return (x > y) - (x < y);
}

/* The chunks of a RouteConfiguration in pieces (xds_blob_piece owners),
 * sorted: what the other side shares with it. */
static const void **
pieces_owners(const struct xds_resource *r, size_t *n)
{
	const void **v;

	*n = 0;
	if (r == NULL || r->pieced == NULL)
		return NULL;
	v = xreallocarray(NULL, xds_blob_npieces(r->pieced), sizeof *v);
	for (size_t i = 0; i < xds_blob_npieces(r->pieced); i++)
		if (xds_blob_piece(r->pieced, i).owner != NULL)
			v[(*n)++] = xds_blob_piece(r->pieced, i).owner;
	qsort(v, *n, sizeof *v, ptr_cmp);
	return v;
}

static bool raw_rc_read_run(const uint8_t *p, const uint8_t *end,
    struct raw_rc *out, size_t *cap, size_t *capo);

/* r's fields. A RouteConfiguration in pieces is read piece by piece (each
 * holds whole fields) and the chunks in skip (sorted) are left out: the
 * other side has the same chunk, so the same hosts, whose bytes are
 * equal and need no compare. */
static bool
raw_rc_read(const struct xds_resource *r, struct raw_rc *out,
    const void *const *skip, size_t nskip)
{
	size_t cap = 0, capo = 0;

	memset(out, 0, sizeof *out);
	if (r == NULL)
		return true;
	if (r->pieced == NULL)
		return raw_rc_read_run(r->bytes, r->bytes + r->len, out, &cap,
		    &capo);
	for (size_t i = 0; i < xds_blob_npieces(r->pieced); i++) {
		struct xds_piece pc = xds_blob_piece(r->pieced, i);

		if (pc.owner != NULL && nskip > 0 && bsearch(&pc.owner, skip,
		    nskip, sizeof *skip, ptr_cmp) != NULL)
			continue;
		if (!raw_rc_read_run(pc.bytes, pc.bytes + pc.len, out, &cap,
		    &capo))
			return false;
	}
	return true;
}

static bool
raw_rc_read_run(const uint8_t *p, const uint8_t *end, struct raw_rc *out,
    size_t *capp, size_t *capop)
{
	static uint32_t vh_field, name_field;
	size_t cap = *capp, capo = *capop;

	if (vh_field == 0) {
		vh_field = pb_field_number(&envoy__config__route__v3__route_configuration__descriptor,
		    "virtual_hosts");
		name_field = pb_field_number(&envoy__config__route__v3__virtual_host__descriptor,
		    "name");
	}
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
		*capp = cap;
		*capop = capo;
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
raw_host_diff(struct diff_plan *p, const char *rc, const struct raw_vhost *a,
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
rc_fields_diff(struct diff_plan *p, const struct xds_resource *from,
    const struct xds_resource *to)
{
	json_t *a = diff_resource_json(XDS_ROUTE, from), *b = diff_resource_json(XDS_ROUTE, to);
	json_t *fields = json_array();

	if (a == NULL || b == NULL) {
		p->errors++;
	} else {
		diff_json_field_diff("", a, b, "virtual_hosts", fields);
		json_array_append_new(p->hosts, json_pack("{s:s, s:s, s:[s], s:[], s:O}",
		    "host", "", "change", "changed", "route_configs", to->name,
		    "routes", "fields", fields));
	}
	json_decref(fields);
	json_decref(a);
	json_decref(b);
}

void
diff_route_config_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	struct diff_plan *p = ctx;
	struct raw_rc a = { 0 }, b = { 0 };
	size_t i = 0, j = 0, nfa = 0, nfb = 0, nshared = 0;
	const char *rc = to ? to->name : from->name;
	const void **fa = pieces_owners(from, &nfa), **fb = pieces_owners(to, &nfb);
	const void **shared = NULL;

	/* The chunks both sides have (sorted, as both lists are). */
	if (nfa > 0 && nfb > 0) {
		size_t x = 0, y = 0;

		shared = xreallocarray(NULL, nfa, sizeof *shared);
		while (x < nfa && y < nfb) {
			int c = ptr_cmp(&fa[x], &fb[y]);

			if (c == 0)
				shared[nshared++] = fa[x];
			x += c <= 0;
			y += c >= 0;
		}
	}
	free(fa);
	free(fb);
	if (!raw_rc_read(from, &a, shared, nshared) ||
	    !raw_rc_read(to, &b, shared, nshared)) {
		free(shared);
		p->errors++;
		goto out;
	}
	free(shared);
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
	int c = strcmp(diff_json_str(*x, "host"), diff_json_str(*y, "host"));

	/* Equal hosts stay in RouteConfiguration order (qsort is not stable). */
	if (c == 0)
		c = strcmp(json_string_value(json_array_get(json_object_get(*x, "route_configs"), 0)),
		    json_string_value(json_array_get(json_object_get(*y, "route_configs"), 0)));
	return c;
}

/* The same host changed the same way in several RouteConfigurations
 * (ingress_http and the proxyless one named by the FQDN): one entry,
 * listing them all. */
json_t *
diff_hosts_merge(json_t *hosts)
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

			if (strcmp(diff_json_str(o, "host"), diff_json_str(v[i], "host")) != 0)
				break;
			if (strcmp(diff_json_str(o, "change"), diff_json_str(v[i], "change")) == 0 &&
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
