/* ingress_http in the translation memo (memo.h): the RouteConfiguration
 * of every Envoy virtual host, assembled from its hosts' kept bytes in
 * chunks of hosts, each a blob shared by every assembly that has the same
 * run of hosts: a change writes the chunk it is in, not the whole. The
 * same hosts as last time give the same blob without assembling. */
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
	uint64_t rc_key; /* of the RouteConfiguration's name */
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
	h->keys[h->n] = key;
	h->frags[h->n++] = b;
}

size_t
memo_http_host_run(struct memo_http *h, const void *first, size_t n,
    size_t stride)
{
	size_t run = memo_take_run(h->t, MEMO_HTTP_VHOST, first, n, stride,
	    false);
	struct seq *nq;

	if (run == 0)
		return 0;
	/* The entries taken are the last ones of the next sequence, each
	 * with its key and its host's bytes (held by the entry: borrowed,
	 * as memo_blob_borrow's are). */
	nq = &h->t->cache->next_seqs[MEMO_HTTP_VHOST];
	for (size_t j = nq->n - run; j < nq->n; j++) {
		const struct seq_entry *e = seq_at(nq, j, NULL);

		h->owned[h->n] = false;
		h->rc_cacheable = h->rc_cacheable && e->key != 0;
		h->keys[h->n] = e->key;
		h->frags[h->n++] = e->blob;
	}
	return run;
}

/* Hosts per chunk, on average. A host ends its chunk when its version
 * (the hash of its bytes) says so: where chunks end depends on the hosts
 * alone, so a fresh build cuts where an incremental one does, and adding
 * or removing a host changes only its own chunk (or joins two). */
#define HTTP_CHUNK_HOSTS 128

static bool
chunk_ends_after(uint64_t version)
{
	return version % HTTP_CHUNK_HOSTS == 0;
}

/* A run of consecutive hosts' virtual_hosts fields, shared by every
 * ingress_http that has the same run. */
struct http_chunk {
	uint64_t id; /* hash of its hosts' versions */
	size_t nhosts;
	struct xds_blob *blob; /* one reference */
};

void
memo_http_layout_free(struct http_layout *l)
{
	xds_blob_unref(l->blob); /* never lent */
	for (size_t i = 0; i < l->nchunks; i++)
		xds_blob_unref(l->chunks[i].blob);
	free(l->chunks);
	free(l->keys);
	free(l->vers);
	memset(l, 0, sizeof *l);
}

/* Each host's version: the last assembly's for the hosts whose keys are
 * its own at its start and at its end (a key is a hash of everything its
 * host's bytes are made of), so most hosts' blobs are not read. */
static uint64_t *
host_versions(const struct http_layout *l, struct xds_blob **frags,
    const uint64_t *keys, size_t n, size_t *prep, size_t *sufp)
{
	uint64_t *vers = xreallocarray(NULL, n + 1, sizeof *vers);
	size_t pre = 0, suf = 0;

	if (l != NULL && l->vers != NULL) {
		while (pre < n && pre < l->n && keys[pre] != 0 &&
		    keys[pre] == l->keys[pre])
			pre++;
		while (suf < n - pre && suf < l->n - pre &&
		    keys[n - 1 - suf] != 0 &&
		    keys[n - 1 - suf] == l->keys[l->n - 1 - suf])
			suf++;
	}
	if (pre > 0)
		memcpy(vers, l->vers, pre * sizeof *vers);
	for (size_t i = pre; i < n - suf; i++)
		vers[i] = frags[i]->version;
	if (suf > 0)
		memcpy(vers + n - suf, l->vers + l->n - suf, suf * sizeof *vers);
	*prep = pre;
	*sufp = suf;
	return vers;
}

/* The last assembly's chunk of id and nhosts hosts, or NULL. table: an
 * open-addressed index of its chunks (mask + 1 slots). */
static const struct http_chunk *
chunk_find(const struct http_chunk *const *table, size_t mask, uint64_t id,
    size_t nhosts)
{
	if (table == NULL)
		return NULL;
	for (size_t i = id & mask; table[i] != NULL; i = (i + 1) & mask)
		if (table[i]->id == id && table[i]->nhosts == nhosts)
			return table[i];
	return NULL;
}

static const struct http_chunk **
chunk_index(const struct http_layout *l, size_t *maskp)
{
	const struct http_chunk **table;
	size_t cap = 8, i;

	if (l == NULL || l->nchunks == 0)
		return NULL;
	while (cap < 2 * l->nchunks)
		cap *= 2;
	table = xcalloc(cap, sizeof *table);
	for (size_t c = 0; c < l->nchunks; c++) {
		for (i = l->chunks[c].id & (cap - 1); table[i] != NULL;
		    i = (i + 1) & (cap - 1))
			;
		table[i] = &l->chunks[c];
	}
	*maskp = cap - 1;
	return table;
}

/* Hosts a to b as one blob of virtual_hosts fields. */
static struct xds_blob *
chunk_make(uint32_t field, struct xds_blob **frags, size_t a, size_t b)
{
	size_t total = 0;
	struct xds_blob *out;
	uint8_t *w;

	for (size_t i = a; i < b; i++)
		total += pb_bytes_field_size(field, frags[i]->len);
	out = xds_blob_new("", total);
	w = out->bytes;
	for (size_t i = a; i < b; i++)
		w += pb_put_bytes_field(w, field, frags[i]->bytes, frags[i]->len);
	xds_blob_seal(out, (size_t)(w - out->bytes));
	return out;
}

/* ingress_http: head (its name), then each host as one virtual_hosts
 * element, the hosts grouped in chunks (chunk_ends_after). A chunk of
 * the same hosts as one of the last assembly's is that chunk; only the
 * others are written. One chunk: one blob, its version the hash of its
 * bytes as for any resource; more: a blob of pieces (head, then the
 * chunks, none copied), its version a hash of the head's bytes and the
 * chunks' ids (docs/decisions.md). Remembers this assembly for the
 * next; takes keys. */
static struct xds_blob *
http_assemble(struct translation *t, const char *name, uint32_t field,
    const uint8_t *head, size_t len, struct xds_blob **frags,
    uint64_t *keys, size_t n)
{
	struct http_layout *l = translation_http_layout(t);
	size_t pre = 0, suf = 0;
	uint64_t *vers = host_versions(l, frags, keys, n, &pre, &suf);
	size_t mask = 0, nchunks = 0, cap = 0, kept = 0, a = 0, made = 0;
	size_t lead = 0, tail, tail_at = n;
	const struct http_chunk **table;
	struct http_chunk *chunks = NULL;
	struct xds_blob *out;

	/* The last assembly's chunks whose hosts all have the versions
	 * they had (host_versions' prefix and suffix) are cut where they
	 * were and have the same ids: taken as they are, without walking
	 * or hashing their hosts. A chunk of the suffix is taken when the
	 * host before it is in the suffix too (that host ended a chunk
	 * then and ends one now). The hosts between are walked. */
	if (l != NULL && l->vers != NULL) {
		size_t end = 0, start = l->n;

		/* Not the last chunk: it ended with the hosts, which may go
		 * on now. */
		while (lead + 1 < l->nchunks &&
		    end + l->chunks[lead].nhosts <= pre)
			end += l->chunks[lead++].nhosts;
		a = end;
		tail = l->nchunks;
		while (tail > lead && start - l->chunks[tail - 1].nhosts >
		    l->n - suf)
			start -= l->chunks[--tail].nhosts;
		tail_at = start + n - l->n;
		cap = lead + (l->nchunks - tail) + 16;
		chunks = xreallocarray(NULL, cap, sizeof *chunks);
		for (size_t c = 0; c < lead; c++) {
			chunks[nchunks] = l->chunks[c];
			xds_blob_ref(chunks[nchunks++].blob);
			kept += l->chunks[c].nhosts;
		}
	} else {
		tail = l != NULL ? l->nchunks : 0;
	}
	table = chunk_index(l, &mask);
	for (size_t i = a; i < tail_at; i++) {
		const struct http_chunk *old;
		uint64_t id;

		if (i + 1 < n && !chunk_ends_after(vers[i]))
			continue;
		id = hash_bytes_seeded(vers + a, (i + 1 - a) * sizeof *vers,
		    field);
		if (nchunks == cap) {
			cap = cap ? cap * 2 : 16;
			chunks = xreallocarray(chunks, cap, sizeof *chunks);
		}
		old = chunk_find(table, mask, id, i + 1 - a);
		chunks[nchunks++] = (struct http_chunk){ id, i + 1 - a,
		    old != NULL ? xds_blob_ref(old->blob) :
		    chunk_make(field, frags, a, i + 1) };
		if (old != NULL)
			kept += i + 1 - a;
		else
			made++;
		a = i + 1;
	}
	free(table);
	for (size_t c = tail; l != NULL && c < l->nchunks; c++) {
		if (nchunks == cap) {
			cap = cap ? cap * 2 : 16;
			chunks = xreallocarray(chunks, cap, sizeof *chunks);
		}
		chunks[nchunks] = l->chunks[c];
		xds_blob_ref(chunks[nchunks++].blob);
		kept += l->chunks[c].nhosts;
	}
	if (nchunks <= 1) {
		size_t clen = nchunks ? chunks[0].blob->len : 0;

		out = xds_blob_new(name, len + clen);
		memcpy(out->bytes, head, len);
		if (clen > 0)
			memcpy(out->bytes + len, chunks[0].blob->bytes, clen);
		xds_blob_seal(out, len + clen);
	} else {
		struct xds_blob **blobs = xreallocarray(NULL, nchunks,
		    sizeof *blobs);
		uint64_t *ids = xreallocarray(NULL, nchunks, sizeof *ids);

		for (size_t c = 0; c < nchunks; c++) {
			blobs[c] = chunks[c].blob;
			ids[c] = chunks[c].id;
		}
		out = xds_blob_new_pieces(name, head, len, blobs, nchunks,
		    hash_bytes_seeded(ids, nchunks * sizeof *ids,
		    hash_bytes(head, len)));
		free(blobs);
		free(ids);
	}
	if (l == NULL) {
		/* No cache, or verify mode: nothing is kept. */
		for (size_t c = 0; c < nchunks; c++)
			xds_blob_unref(chunks[c].blob);
		free(chunks);
		free(vers);
		free(keys);
		return out;
	}
	/* Every snapshot with it holds a reference of its own (never lent:
	 * the keep would hold this big one for a build longer). */
	memo_http_layout_free(l);
	l->blob = xds_blob_ref(out);
	l->keys = keys;
	l->vers = vers;
	l->chunks = chunks;
	l->nchunks = nchunks;
	l->n = n;
	l->kept = kept;
	l->chunks_written = made;
	l->written = n - kept;
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
	 * which the table would keep until it is swept.) The same hosts:
	 * the same keys in the same order, compared as one block rather
	 * than hashed host by host as they are added. */
	if (h->rc_cacheable && l != NULL && l->blob != NULL &&
	    l->rc_key == h->rc_key && l->keys != NULL && l->n == h->n &&
	    memcmp(l->keys, h->keys, h->n * sizeof *h->keys) == 0) {
		snapshot_builder_add_blob(t->out, XDS_ROUTE, l->blob, false);
		l->kept = h->n;
		l->chunks_written = l->written = 0;
	} else {
		out = http_assemble(t, h->name, field, head, len, h->frags,
		    h->keys, h->n);
		h->keys = NULL;
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
