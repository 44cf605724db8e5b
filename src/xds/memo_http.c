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

/* A block of an assembly's hosts: the entries of a chunk of the next
 * MEMO_HTTP_VHOST sequence (a run: their blobs and keys there, read only
 * where the assembly writes), or hosts added one at a time (memo_http's
 * own arrays, from off). */
struct http_seg {
	size_t at, n; /* its hosts' indices in this assembly */
	const struct seq_chunk *ch;
	size_t off;
	/* Where the last assembly had its first host (its index there),
	 * or SIZE_MAX: not known to have them all side by side. */
	size_t was;
};

struct memo_http {
	struct translation *t;
	const char *name; /* of the RouteConfiguration */
	struct http_seg *segs;
	size_t nsegs, capsegs;
	/* Hosts added one at a time: their blobs, and whether each is a
	 * reference to release (memo_blob_borrow). */
	struct xds_blob **frags;
	bool *owned;
	size_t nown, capown;
	size_t n; /* hosts */
	size_t base; /* the place of host 0 (translate_cache.http_next) */
	uint64_t rc_key; /* of the RouteConfiguration's name */
	bool rc_cacheable; /* every host so far has a key */
};

struct memo_http *
memo_http_begin_named(struct translation *t, const char *name)
{
	struct memo_http *h = xcalloc(1, sizeof *h);

	h->t = t;
	h->name = name;
	h->base = t->cache != NULL ? t->cache->http_next : 0;
	h->rc_key = translation_key_name(t, "route", name);
	h->rc_cacheable = h->rc_key != 0;
	return h;
}

struct memo_http *
memo_http_begin(struct translation *t)
{
	return memo_http_begin_named(t, TRANSLATE_HTTP_ROUTES);
}

static struct http_seg *
seg_push(struct memo_http *h, const struct seq_chunk *ch, size_t n,
    size_t was)
{
	struct http_seg s = { .at = h->n, .n = n, .ch = ch, .off = h->nown,
		.was = was };

	ARRAY_PUSH(h->segs, h->nsegs, h->capsegs, s);
	h->n += n;
	return &h->segs[h->nsegs - 1];
}

void
memo_http_host(struct memo_http *h, const void *vhost, memo_make_fn *make)
{
	struct http_seg *last = h->nsegs > 0 ? &h->segs[h->nsegs - 1] : NULL;
	uint64_t key;
	bool owned;
	struct xds_blob *b = memo_blob_borrow(h->t, MEMO_HTTP_VHOST, vhost, make,
	    NULL, &key, &owned);

	if (b == NULL)
		return;
	if (h->nown == h->capown) {
		h->capown = h->capown ? h->capown * 2 : 16;
		h->frags = xreallocarray(h->frags, h->capown, sizeof *h->frags);
		h->owned = xreallocarray(h->owned, h->capown, sizeof *h->owned);
	}
	/* Its entry (if the memo keeps it by key) records its place, which
	 * tells the next assembly where this one had it. */
	translation_seq_set_at(h->t, MEMO_HTTP_VHOST, b, h->base + h->n);
	h->owned[h->nown] = owned;
	h->frags[h->nown] = b;
	h->rc_cacheable = h->rc_cacheable && key != 0;
	if (last != NULL && last->ch == NULL) {
		last->n++;
		h->n++;
	} else {
		seg_push(h, NULL, 1, SIZE_MAX);
	}
	h->nown++;
}

/* Where the last assembly (l) had chunk ch's first host, when it had
 * all of ch's hosts side by side (their places, made by the last
 * translation: every entry of the sequence was placed by it); SIZE_MAX
 * otherwise. */
static size_t
chunk_was(const struct http_layout *l, const struct seq_chunk *ch)
{
	size_t at = seq_entry_at(ch, &ch->v[0]);

	if (l == NULL || !ch->contig || at == SIZE_MAX || at < l->base ||
	    at - l->base > l->n || ch->n > l->n - (at - l->base))
		return SIZE_MAX;
	return at - l->base;
}

/* Gives ch's entries the places from `place` on: by its delta when they
 * are side by side already (a chunk moved whole is not written), else
 * each (a chunk this build's run made). */
static void
chunk_place(struct seq_chunk *ch, size_t place)
{
	size_t at = seq_entry_at(ch, &ch->v[0]);

	if (ch->contig && at != SIZE_MAX) {
		ch->delta += (int64_t)place - (int64_t)at;
		return;
	}
	for (uint32_t j = 0; j < ch->n; j++)
		ch->v[j].at = (uint32_t)(place + j);
	ch->delta = 0;
	ch->contig = true;
}

size_t
memo_http_host_run(struct memo_http *h, const void *first, size_t n,
    size_t stride)
{
	size_t run = memo_take_run(h->t, MEMO_HTTP_VHOST, first, n, stride,
	    false);
	const struct http_layout *l = translation_http_layout(h->t);
	struct seq *nq;
	size_t ci, got = 0;

	if (run == 0)
		return 0;
	/* The run's entries are the last of the next sequence, in chunks
	 * of their own (take_run appends whole chunks): each chunk is one
	 * block of hosts, its entries neither copied nor read here. */
	nq = &h->t->cache->next_seqs[MEMO_HTTP_VHOST];
	for (ci = nq->nc; got < run; )
		got += nq->c[--ci]->n;
	if (got != run) {
		fprintf(stderr, "cairn: memo_http: a run not in whole chunks\n");
		abort();
	}
	for (; ci < nq->nc; ci++) {
		struct seq_chunk *ch = nq->c[ci];

		seg_push(h, ch, ch->n, chunk_was(l, ch));
		chunk_place(ch, h->base + h->n - ch->n);
	}
	return run;
}

/* How many hosts at the start (*pre) and at the end (*suf) h has as the
 * last assembly had them: blocks of the same entries (the same keys and
 * bytes) that it had at the same index, or at the same distance from
 * its end. */
static void
kept_ends(const struct memo_http *h, const struct http_layout *l,
    size_t *pre, size_t *suf)
{
	size_t p = 0, s = 0;

	*pre = *suf = 0;
	if (l == NULL || l->blob == NULL)
		return;
	for (size_t i = 0; i < h->nsegs && h->segs[i].was == h->segs[i].at;
	    i++)
		p = h->segs[i].at + h->segs[i].n;
	for (size_t i = h->nsegs; i-- > 0; ) {
		const struct http_seg *g = &h->segs[i];

		if (g->was == SIZE_MAX || g->was + h->n != g->at + l->n)
			break;
		s = h->n - g->at;
	}
	/* Both ends may cover the same hosts (nothing changed). */
	if (p > l->n)
		p = l->n;
	if (s > h->n - p)
		s = h->n - p;
	if (s > l->n - p)
		s = l->n - p;
	*pre = p;
	*suf = s;
}

/* The blobs of hosts a to b of h, in frags[0 .. b - a). */
static void
hosts_gather(const struct memo_http *h, size_t a, size_t b,
    struct xds_blob **frags)
{
	size_t i = 0;

	/* A change's middle is near one end or the other; the blocks are
	 * a few hundred at 100,000 hosts. */
	while (i < h->nsegs && h->segs[i].at + h->segs[i].n <= a)
		i++;
	for (size_t k = a; k < b; i++) {
		const struct http_seg *g = &h->segs[i];

		for (; k < b && k < g->at + g->n; k++)
			frags[k - a] = g->ch != NULL ?
			    g->ch->v[k - g->at].blob :
			    h->frags[g->off + (k - g->at)];
	}
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
	memset(l, 0, sizeof *l);
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
 * chunks' ids (docs/decisions.md). pre and suf: h's hosts at the start
 * and at the end that the last assembly had there (kept_ends). Remembers
 * this assembly for the next. */
static struct xds_blob *
http_assemble(struct memo_http *h, uint32_t field, const uint8_t *head,
    size_t len, size_t pre, size_t suf)
{
	struct http_layout *l = translation_http_layout(h->t);
	size_t n = h->n, mask = 0, nchunks = 0, cap = 0, kept = 0, a = 0;
	size_t made = 0, lead = 0, tail = 0, tail_at = n, from;
	const struct http_chunk **table;
	struct http_chunk *chunks = NULL;
	struct xds_blob **frags, *out;
	uint64_t *vers;

	/* The last assembly's chunks whose hosts are all the same (the
	 * prefix and the suffix) are cut where they were and have the same
	 * ids: taken as they are, without walking or hashing their hosts. A
	 * chunk of the suffix is taken when the host before it is in the
	 * suffix too (that host ended a chunk then and ends one now). The
	 * hosts between are walked. */
	if (l != NULL) {
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
	}
	/* The hosts walked: their blobs and versions, from index a. */
	from = a;
	frags = xreallocarray(NULL, tail_at - a + 1, sizeof *frags);
	vers = xreallocarray(NULL, tail_at - a + 1, sizeof *vers);
	hosts_gather(h, a, tail_at, frags);
	for (size_t i = a; i < tail_at; i++)
		vers[i - from] = frags[i - from]->version;
	table = chunk_index(l, &mask);
	for (size_t i = a; i < tail_at; i++) {
		const struct http_chunk *old;
		uint64_t id;

		if (i + 1 < n && !chunk_ends_after(vers[i - from]))
			continue;
		id = hash_bytes_seeded(vers + (a - from),
		    (i + 1 - a) * sizeof *vers, field);
		if (nchunks == cap) {
			cap = cap ? cap * 2 : 16;
			chunks = xreallocarray(chunks, cap, sizeof *chunks);
		}
		old = chunk_find(table, mask, id, i + 1 - a);
		chunks[nchunks++] = (struct http_chunk){ id, i + 1 - a,
		    old != NULL ? xds_blob_ref(old->blob) :
		    chunk_make(field, frags, a - from, i + 1 - from) };
		if (old != NULL)
			kept += i + 1 - a;
		else
			made++;
		a = i + 1;
	}
	free(table);
	free(frags);
	free(vers);
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

		out = xds_blob_new(h->name, len + clen);
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
		out = xds_blob_new_pieces(h->name, head, len, blobs, nchunks,
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
		return out;
	}
	/* Every snapshot with it holds a reference of its own (never lent:
	 * the keep would hold this big one for a build longer). */
	memo_http_layout_free(l);
	l->blob = xds_blob_ref(out);
	l->chunks = chunks;
	l->nchunks = nchunks;
	l->n = n;
	l->base = h->base;
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
	size_t pre, suf;

	kept_ends(h, l, &pre, &suf);
	/* The same hosts as the last ingress_http: the same bytes. (Not
	 * in the cache's table: every change makes another big one,
	 * which the table would keep until it is swept.) The same hosts:
	 * every block the same entries at the same index. */
	if (h->rc_cacheable && l != NULL && l->blob != NULL &&
	    l->rc_key == h->rc_key && l->n == h->n && pre == h->n) {
		snapshot_builder_add_blob(t->out, XDS_ROUTE, l->blob, false);
		l->base = h->base;
		l->kept = h->n;
		l->chunks_written = l->written = 0;
	} else {
		out = http_assemble(h, field, head, len, pre, suf);
		if (l != NULL)
			l->rc_key = h->rc_cacheable ? h->rc_key : 0;
		snapshot_builder_give_blob(t->out, XDS_ROUTE, out, false);
	}
	if (t->cache != NULL)
		t->cache->http_next = h->base + h->n;
	for (size_t i = 0; i < h->nown; i++)
		if (h->owned[i])
			xds_blob_unref(h->frags[i]);
	free(h->segs);
	free(h->frags);
	free(h->owned);
	free(h);
}
