/* ingress_http in the translation memo (memo.h): the RouteConfiguration
 * of every Envoy virtual host, assembled from its hosts' kept bytes. The
 * hosts whose keys match the last assembly's, at its start and at its
 * end, are copied from it as two runs of bytes; the same hosts as last
 * time give the same bytes without assembling. */
#include "xds/memo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/fields.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

/* --- ingress_http ----------------------------------------------------------- */

struct memo_http {
	struct translation *t;
	const char *name; /* of the RouteConfiguration */
	struct xds_blob **frags;
	bool *owned; /* frags[i] is a reference to release (memo_blob_borrow) */
	uint64_t *keys;
	size_t n;
	uint64_t rc_key; /* of all hosts so far */
	bool rc_cacheable; /* every host so far has a key */
};

struct memo_http *
memo_http_begin_named(struct translation *t, size_t nhosts, const char *name)
{
	struct memo_http *h = xcalloc(1, sizeof *h);

	h->t = t;
	h->name = name;
	h->frags = xreallocarray(NULL, nhosts + 1, sizeof *h->frags);
	h->owned = xreallocarray(NULL, nhosts + 1, sizeof *h->owned);
	h->keys = xreallocarray(NULL, nhosts + 1, sizeof *h->keys);
	h->rc_key = translation_key_name(t, "route", name);
	h->rc_cacheable = h->rc_key != 0;
	return h;
}

struct memo_http *
memo_http_begin(struct translation *t, size_t nhosts)
{
	return memo_http_begin_named(t, nhosts, TRANSLATE_HTTP_ROUTES);
}

void
memo_http_host(struct memo_http *h, const void *vhost, memo_make_fn *make)
{
	uint64_t key;
	bool owned;
	struct xds_blob *b = memo_blob_borrow(h->t, MEMO_HTTP_VHOST, vhost, make,
	    NULL, &key, &owned);

	if (b == NULL)
		return;
	h->owned[h->n] = owned;
	h->rc_cacheable = h->rc_cacheable && key != 0;
	h->rc_key = translation_key_combine(h->rc_key, key);
	h->keys[h->n] = key;
	h->frags[h->n++] = b;
}

/* Where host i's bytes start in the last ingress_http. */
static size_t
layout_start(const struct http_layout *l, size_t i)
{
	return i == 0 ? l->head : l->ends[i - 1];
}

/* ingress_http: head (its name), then each host as one virtual_hosts
 * element. The hosts whose keys are the last assembly's, at its start
 * and at its end, are copied from its bytes as two runs (the same
 * bytes: a key is a hash of everything its host's bytes are made of);
 * only the hosts between are written one by one. Remembers this
 * assembly for the next. */
static struct xds_blob *
http_assemble(struct translation *t, const char *name, uint32_t field,
    const uint8_t *head, size_t len, struct xds_blob **frags,
    const uint64_t *keys, size_t n)
{
	struct http_layout *l = translation_http_layout(t);
	size_t pre = 0, suf = 0, total = len, from, to;
	size_t *ends = xreallocarray(NULL, n + 1, sizeof *ends);
	struct xds_blob *out;
	uint8_t *w;

	if (l != NULL && l->blob != NULL && l->head == len &&
	    memcmp(l->blob->bytes, head, len) == 0) {
		while (pre < n && pre < l->n && keys[pre] != 0 &&
		    keys[pre] == l->keys[pre])
			pre++;
		while (suf < n - pre && suf < l->n - pre &&
		    keys[n - 1 - suf] != 0 &&
		    keys[n - 1 - suf] == l->keys[l->n - 1 - suf])
			suf++;
	}
	if (pre > 0)
		total += layout_start(l, pre) - len;
	if (suf > 0)
		total += l->blob->len - layout_start(l, l->n - suf);
	for (size_t i = pre; i < n - suf; i++)
		total += pb_bytes_field_size(field, frags[i]->len);
	out = xds_blob_new(name, total);
	memcpy(out->bytes, head, len);
	w = out->bytes + len;
	if (pre > 0) {
		to = layout_start(l, pre);
		memcpy(w, l->blob->bytes + len, to - len);
		memcpy(ends, l->ends, pre * sizeof *ends);
		w = out->bytes + to;
	}
	for (size_t i = pre; i < n - suf; i++) {
		w += pb_put_bytes_field(w, field, frags[i]->bytes, frags[i]->len);
		ends[i] = (size_t)(w - out->bytes);
	}
	if (suf > 0) {
		from = layout_start(l, l->n - suf);
		memcpy(w, l->blob->bytes + from, l->blob->len - from);
		for (size_t k = 0; k < suf; k++)
			ends[n - suf + k] = l->ends[l->n - suf + k] - from +
			    (size_t)(w - out->bytes);
		w += l->blob->len - from;
	}
	xds_blob_seal(out, (size_t)(w - out->bytes));
	if (l == NULL) {
		/* No cache, or verify mode: nothing is kept. */
		free(ends);
		return out;
	}
	/* Every snapshot with it holds a reference of its own (never lent:
	 * the keep would hold this big one for a build longer, and the
	 * next assembly could not take its memory). */
	xds_blob_unref(l->blob);
	free(l->keys);
	free(l->ends);
	l->blob = xds_blob_ref(out);
	l->keys = xreallocarray(NULL, n + 1, sizeof *l->keys);
	memcpy(l->keys, keys, n * sizeof *keys);
	l->ends = ends;
	l->n = n;
	l->head = len;
	l->kept = pre + suf;
	return out;
}

void
memo_http_finish(struct memo_http *h, const uint8_t *head, size_t len,
    uint32_t field)
{
	struct translation *t = h->t;
	struct http_layout *l = translation_http_layout(t);
	struct xds_blob *out;

	/* The same hosts as the last ingress_http: the same bytes. (Not
	 * in the cache's table: every change makes another big one,
	 * which the table would keep until it is swept.) */
	if (h->rc_cacheable && l != NULL && l->blob != NULL &&
	    l->rc_key == h->rc_key) {
		snapshot_builder_add_blob(t->out, XDS_ROUTE, l->blob, false);
		l->kept = h->n;
	} else {
		out = http_assemble(t, h->name, field, head, len, h->frags,
		    h->keys, h->n);
		if (l != NULL)
			l->rc_key = h->rc_cacheable ? h->rc_key : 0;
		snapshot_builder_give_blob(t->out, XDS_ROUTE, out, false);
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->owned[i])
			xds_blob_unref(h->frags[i]);
	free(h->frags);
	free(h->owned);
	free(h->keys);
	free(h);
}
