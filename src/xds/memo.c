/* The translation memo (memo.h), what the driver calls: memo_blob and
 * memo_emit find one object's resource (in order, by key) or make it.
 * A virtual host, a cluster or a ClusterLoadAssignment whose DAG inputs
 * hash the same as last time gets the same bytes (and version) without
 * building or packing a message: after a one-file change, only what that
 * file touched is serialized again.
 * CAIRN_TRANSLATE_VERIFY=1 in the environment translates every resource
 * anyway and aborts on any difference (tests).
 *
 * Virtual hosts with TLS and clusters with upstream validation are not
 * cached (their inputs are Secrets): they are translated every time.
 *
 * The rest of the memo (memo_internal.h): memo_key.c (fingerprints and
 * keys), memo_store.c (kept resources, in-order sequences, keys by
 * identity, sweep and stats), memo_http.c (the ingress_http splice). */
#include "xds/memo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/fields.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

/* --- the memo: what the driver calls ------------------------------------ */

static const void *
memo_id(enum memo_kind k, const void *obj)
{
	/* A host is known by its routes array: the DAG part that made it. */
	if (k == MEMO_CLUSTER || k == MEMO_ENDPOINTS)
		return obj;
	return ((const struct dag_vhost *)obj)->routes;
}

/* Whether obj has a resource of kind k at all (asked when it was not
 * found in order: an object found there had one last time and is the
 * same object, so a reused one is not read). What only Gateways use is
 * left out of the default snapshot. */
static bool
memo_wanted(const struct translation *t, enum memo_kind k, const void *obj)
{
	if (k == MEMO_API_LISTENER || k == MEMO_PROXYLESS_ROUTE)
		return translation_proxyless_host(obj);
	if (k == MEMO_CLUSTER)
		return t->gateway_view ||
		    !((const struct dag_cluster *)obj)->gateway_only;
	if (k == MEMO_ENDPOINTS)
		return t->gateway_view ||
		    !((const struct dag_endpoints *)obj)->gateway_only;
	return true;
}

static uint64_t
memo_key(const struct translation *t, enum memo_kind k, const void *obj)
{
	switch (k) {
	case MEMO_CLUSTER:
		return translation_key_cluster(t, obj);
	case MEMO_ENDPOINTS:
		return translation_key_endpoints(t, obj);
	case MEMO_API_LISTENER:
		/* Made of the FQDN (and the options) alone. */
		return translation_key_name(t, "listener/api",
		    ((const struct dag_vhost *)obj)->fqdn);
	case MEMO_HTTP_VHOST:
		return translation_key_vhost(t, obj, false);
	case MEMO_PROXYLESS_ROUTE:
		return translation_key_vhost(t, obj, true);
	case MEMO_USES:
	case MEMO_COUNT:
		break;
	}
	return 0; /* remembered in order only */
}

static struct xds_blob *memo_find(struct translation *t, enum memo_kind k,
    const void *obj, memo_make_fn *make, memo_make_blob_fn *make_blob,
    uint64_t *keyp, bool *owned, size_t *prev_at);

struct xds_blob *
memo_blob(struct translation *t, enum memo_kind k, const void *obj,
    memo_make_fn *make, memo_make_blob_fn *make_blob, uint64_t *keyp)
{
	bool owned;
	struct xds_blob *b = memo_blob_borrow(t, k, obj, make, make_blob, keyp,
	    &owned);

	return b != NULL && !owned ? xds_blob_ref(b) : b;
}

struct xds_blob *
memo_blob_borrow(struct translation *t, enum memo_kind k, const void *obj,
    memo_make_fn *make, memo_make_blob_fn *make_blob, uint64_t *keyp,
    bool *owned)
{
	return memo_find(t, k, obj, make, make_blob, keyp, owned, NULL);
}

/* A blob found is kept by the next in-order sequence (handed on, or a
 * reference of its own) or by the table, and what the memo lets go of
 * waits in its keep while a snapshot may lend it: it can be lent.
 * *prev_at (may be NULL): where the last snapshot had it, when it was
 * found in order and emitted, else SIZE_MAX. */
static struct xds_blob *
memo_find(struct translation *t, enum memo_kind k, const void *obj,
    memo_make_fn *make, memo_make_blob_fn *make_blob, uint64_t *keyp,
    bool *owned, size_t *prev_at)
{
	const void *id = memo_id(k, obj);
	struct arena_mark mark;
	struct xds_blob *b;
	const char *name = NULL;
	ProtobufCMessage *m;
	uint64_t key = 0;
	bool flag = false, saved, taken;

	if (prev_at != NULL)
		*prev_at = SIZE_MAX;
	if (!(taken = (b = translation_seq_take(t, k, id, &key, &flag,
	    prev_at)) != NULL)) {
		if (!memo_wanted(t, k, obj)) {
			/* A Gateway's cluster in the default snapshot, which
			 * the next translation passes unread in a run. */
			if (k == MEMO_CLUSTER || k == MEMO_ENDPOINTS)
				translation_seq_skip(t, k, id);
			return NULL;
		}
		key = memo_key(t, k, obj);
		b = translation_cache_get(t, key, &flag);
	}
	if (keyp != NULL)
		*keyp = key;
	if (b != NULL) {
		/* Making it had a side effect: so has reusing it. */
		t->proxyless_no_cluster |= flag;
		translation_seq_put(t, k, id, key, b, flag, taken);
		*owned = false;
		return b;
	}
	mark = arena_mark(&t->arena);
	saved = t->proxyless_no_cluster;
	t->proxyless_no_cluster = false;
	if (make_blob != NULL) {
		b = make_blob(t, obj);
	} else if ((m = make(t, obj, &name)) != NULL) {
		b = translation_pack(t, name, m);
	}
	flag = t->proxyless_no_cluster;
	t->proxyless_no_cluster |= saved;
	if (b != NULL) {
		if (make_blob == NULL)
			translation_cache_put(t, key, b, flag);
		/* What is not kept by key is found in order only: any key
		 * but 0 records it. */
		translation_seq_put(t, k, id, make_blob != NULL ? 1 : key, b,
		    flag, false);
	}
	arena_release(&t->arena, &mark);
	if (b == NULL && keyp != NULL)
		*keyp = 0;
	*owned = true;
	return b;
}

void
memo_emit(struct translation *t, enum memo_kind k, const void *obj,
    memo_make_fn *make, enum xds_type type, bool named_only)
{
	struct arena_mark mark;
	struct xds_blob *b;
	const char *name = NULL;
	ProtobufCMessage *m;

	if (t->cache != NULL) {
		bool owned;
		size_t prev_at, at;

		b = memo_find(t, k, obj, make, NULL, NULL, &owned, &prev_at);
		if (b == NULL)
			return;
		/* A kept blob is lent (no reference per resource per build),
		 * a new one given; where it goes is remembered with it, so
		 * that the next build copies the item. */
		if (owned) {
			at = snapshot_builder_count(t->out, type);
			snapshot_builder_give_blob(t->out, type, b, named_only);
		} else {
			at = snapshot_builder_lend_blob(t->out, type, b,
			    named_only, t->cache->keep, prev_at);
		}
		translation_seq_set_at(t, k, b, at);
		return;
	}
	if (!memo_wanted(t, k, obj))
		return;
	mark = arena_mark(&t->arena);
	if ((m = make(t, obj, &name)) != NULL)
		translation_emit(t, type, name, m, named_only);
	arena_release(&t->arena, &mark);
}

/* How many objects a run takes at most before its items are copied:
 * the items and entries it checked are still in the cache then (512
 * entries are 16 KiB). As many as an assembled DAG's chunk holds at
 * most (src/dag/parts_assemble.c), so that the chunk a run makes covers
 * the DAG chunk's span whole: the next build moves one sequence chunk
 * per DAG chunk (take_chunk), not four. */
#define RUN_CHUNK 512

/* How many chunks ahead take_chunk asks for a chunk's header: a take
 * that hits the cache is well under a cold read's wait (~100 ns), so
 * the read is asked for a few takes before it is needed. */
#define TAKE_AHEAD 4

/* q's chunk ci + TAKE_AHEAD, which the runs read next, or NULL: at 100k a
 * build hands on about 2,400 chunks whole, each header a cold read when
 * it is not asked for ahead (docs/performance.md, h-more100k). Not a
 * helper that prefetches: GCC finds such a function free of side
 * effects and drops its calls. */
static const char *
chunk_ahead(const struct seq *q, size_t ci)
{
	return ci + TAKE_AHEAD < q->nc ?
	    (const char *)q->c[ci + TAKE_AHEAD] : NULL;
}

/* The chunk at q's cursor pos handed to nq whole, when it starts there
 * and a run of the last translation made it from the same block of the
 * same DAG at the object at p (see struct seq_chunk): its objects are
 * those, unread, and its items the last snapshot's from where its first
 * is, taken as one run. Returns how many entries it moved (0: not). */
static size_t
take_chunk(struct translation *t, struct seq *q, struct seq *nq, size_t pos,
    const void *p, size_t stride, size_t lim, enum xds_type type,
    bool named_only, bool *flag)
{
	struct translate_cache *c = t->cache;
	struct seq_chunk *ch;
	const char *ahead;
	size_t ci, at = 0, put = 0;

	seq_at(q, pos, &ch);
	ci = q->hint;
	if ((ahead = chunk_ahead(q, ci)) != NULL) {
		/* The header and the first entry straddle two lines. */
		__builtin_prefetch(ahead);
		__builtin_prefetch(ahead + 64);
	}
	if (ch->src != p || ch->stride != stride || !ch->whole ||
	    q->start[ci] != pos || ch->n > lim || ch->n == 0)
		return 0;
	if (type != XDS_TYPE_COUNT) {
		const struct xds_resource_set *ps = &c->last->types[type];

		/* A set sorted at finish may have moved items from where
		 * they were put: the slow path compares them. */
		at = seq_entry_at(ch, &ch->v[0]);
			if (!ps->as_put || at == SIZE_MAX || at + ch->n > ps->n ||
		    snapshot_builder_count(t->out, type) + ch->n >= SEQ_NOWHERE)
			return 0;
		put = snapshot_builder_lend_run(t->out, type, c->last, at,
		    ch->n, named_only, c->keep);
		if (put == SIZE_MAX)
			return 0;
		ch->delta += (int64_t)put - (int64_t)at;
	}
	*flag |= ch->flag;
	seq_chunk_move(nq, q, ci);
	return ch->n;
}

/* memo_emit_run, and memo_take_run when type is XDS_TYPE_COUNT (no
 * snapshot item: the entries are moved as they are). */
static size_t
take_run(struct translation *t, enum memo_kind k, const void *first,
    size_t n, size_t stride, bool by_ptr, enum xds_type type,
    bool named_only)
{
	struct translate_cache *c = t->cache;
	const struct xds_resource_set *ps;
	struct seq *q, *nq;
	struct xds_set_iter it;
	const struct xds_resource *r;
	size_t pos, taken = 0;
	bool vhost = k != MEMO_CLUSTER && k != MEMO_ENDPOINTS, flag = false;
	/* Only the default snapshot's arrays are the held DAG's: a
	 * Gateway's view does not live as long (struct seq_chunk). */
	bool by_addr = t->owner == NULL;
	bool emit = type != XDS_TYPE_COUNT;

	/* Verify mode makes everything; a last snapshot with endpoints in
	 * its arena lends no item (snapshot_builder_lend_blob). */
	if (c == NULL || c->verify || (emit && (c->last == NULL ||
	    c->last->arena_endpoints)))
		return 0;
	q = &c->seqs[k];
	nq = &c->next_seqs[k];
	pos = t->seq_pos[k];
	ps = emit ? &c->last->types[type] : NULL;
	while (taken < n && pos < q->n) {
		struct seq_chunk *ch, *nch;
		const struct seq_entry *e0 = seq_at(q, pos, NULL);
		size_t lim = n - taken, m, put = 0, at = SIZE_MAX;
		const char *p0 = (const char *)first + taken * stride;

		/* A whole chunk at the cursor: a pointer moved. */
		if (by_addr && (m = take_chunk(t, q, nq, pos, p0, stride, lim,
		    type, named_only, &flag)) > 0) {
			pos += m;
			taken += m;
			c->seq_hits += m;
			c->run_hits += m;
			c->runs++;
			c->chunk_hits += m;
			c->chunks++;
			continue;
		}
		if (lim > RUN_CHUNK)
			lim = RUN_CHUNK;
		if (lim > q->n - pos)
			lim = q->n - pos;
		/* Objects the last translation left out (memo_wanted: no
		 * blob, nowhere), the same ones at the cursor: left out
		 * again without being read. */
		if (!vhost && e0->blob == NULL) {
			for (m = 0; m < lim; m++) {
				const struct seq_entry *e = seq_at(q, pos + m,
				    NULL);
				const char *p = p0 + m * stride;

				if (e->blob != NULL || e->at != SEQ_NOWHERE ||
				    e->id != (by_ptr ? *(const void *const *)p :
				    (const void *)p))
					break;
			}
			if (m == 0)
				break;
			for (size_t j = 0; j < m; j++)
				seq_push(nq, seq_at(q, pos + j, NULL));
			pos += m;
			taken += m;
			continue;
		}
		/* The same objects at the cursor, their items side by side
		 * in the last snapshot: what memo_emit would find for each at
		 * offset 0 of its window and copy from prev_item's first
		 * guess. The places the entries recorded are the items'
		 * when that set was not sorted at finish (as_put: nothing of
		 * the last snapshot is read); otherwise the items' addresses
		 * are compared (a blob's bytes follow its header: not
		 * read). */
		for (m = 0; m < lim; m++) {
			const struct seq_entry *e = seq_at(q, pos + m, &ch);
			const char *p = p0 + m * stride;
			const void *obj = by_ptr ? *(const void *const *)p :
			    (const void *)p;

			if (vhost && (((const struct dag_vhost *)obj)->nroutes == 0 ||
			    (k == MEMO_USES &&
			    ((const struct dag_vhost *)obj)->tls != NULL)))
				break;
			if (e->id != memo_id(k, obj) || e->blob == NULL)
				break;
			if (emit) {
				size_t eat = seq_entry_at(ch, e);

				if (m == 0) {
					if ((at = eat) == SIZE_MAX)
						break;
					if (!ps->as_put)
						xds_set_iter_init(&it, ps, at);
				}
				if (eat != at + m || at + m >= ps->n)
					break;
			}
			/* A set sorted at finish may have moved items from
			 * where they were put: compare. */
			if (emit && !ps->as_put &&
			    ((r = xds_set_iter_next(&it)) == NULL ||
			    r->bytes != e->blob->bytes))
				break;
		}
		if (m == 0)
			break;
		if (emit) {
			if (snapshot_builder_count(t->out, type) + m >= SEQ_NOWHERE)
				break;
			put = snapshot_builder_lend_run(t->out, type, c->last, at,
			    m, named_only, c->keep);
			if (put == SIZE_MAX)
				break;
		}
		/* The entries are handed on with their references (the
		 * cursor never comes back to them), in a chunk of their own
		 * that the next run may take whole. */
		nch = seq_chunk_new(nq, m);
		nch->src = by_addr ? p0 : NULL;
		nch->stride = stride;
		nch->contig = true;
		for (size_t j = 0; j < m; j++) {
			struct seq_entry *e = &nch->v[j];

			const struct seq_entry *from = seq_at(q, pos + j, &ch);
			size_t was = seq_entry_at(ch, from);

			*e = *from;
			/* Moved whole, a chunk's entries keep their at and
			 * their delta is the chunk's: a copy has its own. */
			if (emit)
				e->at = (uint32_t)(put + j);
			else
				e->at = was == SIZE_MAX ? SEQ_NOWHERE :
				    (uint32_t)was;
			/* Not emitted, the places are the last build's:
			 * side by side only if they were. */
			if (!emit && (was == SIZE_MAX || (j > 0 &&
			    was != (size_t)nch->v[0].at + j)))
				nch->contig = false;
			nch->flag |= e->flag;
		}
		nch->n = (uint32_t)m;
		seq_chunk_done(nq);
		flag |= nch->flag;
		pos += m;
		taken += m;
		c->seq_hits += m;
		c->run_hits += m;
		c->runs++;
	}
	if (taken > 0) {
		q->done = pos;
		t->seq_pos[k] = pos;
		/* Making them had a side effect: so has reusing them. */
		t->proxyless_no_cluster |= flag;
	}
	return taken;
}

size_t
memo_emit_run(struct translation *t, enum memo_kind k, const void *first,
    size_t n, size_t stride, bool by_ptr, enum xds_type type,
    bool named_only)
{
	return take_run(t, k, first, n, stride, by_ptr, type, named_only);
}

size_t
memo_take_run(struct translation *t, enum memo_kind k, const void *first,
    size_t n, size_t stride, bool by_ptr)
{
	return take_run(t, k, first, n, stride, by_ptr, XDS_TYPE_COUNT, false);
}

/* The named resource's key (0 without a cache) and its blob: the
 * table's (borrowed, *owned false) or made and kept by key (the caller's
 * reference, *owned true); NULL when make makes nothing. */
static struct xds_blob *
memo_named_find(struct translation *t, enum memo_kind k, const void *vhost,
    const char *name, const void *obj, memo_make_fn *make, uint64_t *keyp,
    bool *flagp, bool *owned)
{
	struct arena_mark mark;
	struct xds_blob *b = NULL;
	const char *rname = NULL;
	ProtobufCMessage *m;
	uint64_t key = 0;
	bool flag = false, saved;

	if (t->cache != NULL) {
		key = k == MEMO_API_LISTENER ?
		    translation_key_name(t, "listener/api", name) :
		    memo_key(t, k, vhost);
		if (key != 0)
			key = translation_key_combine(key,
			    translation_key_name(t, "name", name));
	}
	*keyp = key;
	if ((b = translation_cache_get(t, key, &flag)) != NULL) {
		/* Making it had a side effect: so has reusing it. */
		t->proxyless_no_cluster |= flag;
		*flagp = flag;
		*owned = false;
		return b;
	}
	mark = arena_mark(&t->arena);
	saved = t->proxyless_no_cluster;
	t->proxyless_no_cluster = false;
	if ((m = make(t, obj, &rname)) != NULL) {
		b = translation_pack(t, rname, m);
		flag = t->proxyless_no_cluster;
		translation_cache_put(t, key, b, flag);
	}
	t->proxyless_no_cluster |= saved;
	arena_release(&t->arena, &mark);
	*flagp = flag;
	*owned = true;
	return b;
}

void
memo_emit_named(struct translation *t, enum memo_kind k, const void *vhost,
    const char *name, const void *obj, memo_make_fn *make,
    enum xds_type type, bool named_only)
{
	struct xds_blob *b;
	uint64_t key;
	bool flag, owned;

	b = memo_named_find(t, k, vhost, name, obj, make, &key, &flag, &owned);
	if (b == NULL)
		return;
	if (owned) {
		snapshot_builder_add_blob(t->out, type, b, named_only);
		xds_blob_unref(b);
	} else {
		/* Lent: the table holds it. */
		snapshot_builder_lend_blob(t->out, type, b, named_only,
		    t->cache->keep, SIZE_MAX);
	}
}

/* memo_emit_named, looked for in order first: id is the target's own
 * (the host's routes array, or an address derived from it for its other
 * target), so a kept host's targets are taken at the cursor with no key
 * made or looked up, and a host whose `<host>` target comes or goes
 * does not shift the other target onto its bytes. */
void
memo_emit_named_seq(struct translation *t, enum memo_kind k, const void *id,
    const void *vhost, const char *name, const void *obj, memo_make_fn *make,
    enum xds_type type, bool named_only)
{
	struct xds_blob *b;
	uint64_t key = 0;
	bool flag = false, owned;

	size_t at = snapshot_builder_count(t->out, type);

	/* Where it goes is remembered with it: the next build takes it in a
	 * run (memo_named.c) from the last snapshot's items. */
	if ((b = translation_seq_take(t, k, id, &key, &flag, NULL)) != NULL) {
		t->proxyless_no_cluster |= flag;
		snapshot_builder_add_blob(t->out, type, b, named_only);
		translation_seq_put(t, k, id, key, b, flag, true);
		translation_seq_set_at(t, k, b, at);
		return;
	}
	b = memo_named_find(t, k, vhost, name, obj, make, &key, &flag, &owned);
	if (b == NULL)
		return;
	snapshot_builder_add_blob(t->out, type, b, named_only);
	translation_seq_put(t, k, id, key, b, flag, owned);
	translation_seq_set_at(t, k, b, at);
}
