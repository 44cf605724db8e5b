/* The store of the translation memo (memo.h): the table of kept
 * resources by key, each loop's resources in the order it made them (the
 * in-order sequences), the keys remembered by the address of an object
 * of the last DAG, and, at the end of a translation, the sweep of what it
 * did not use and the stats.
 *
 * Remembering keys by identity: a DAG is immutable, and the parts of an
 * incremental DAG (dag.h) are shared from build to build, so a cluster,
 * ClusterLoadAssignment or virtual host (its routes array) at the same
 * address as in the last DAG is the same object with the same key. The
 * store holds a reference to the last DAG until the next translation is
 * done: no address of it can be reused by a new object meanwhile. Verify
 * mode hashes anyway and aborts on a remembered key that differs. */
#include "xds/memo_internal.h"
#include "xds/translate_gateway_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/fields.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sorted.h"
#include "util/xalloc.h"
#include "xds/pb_encode.h"

/* --- the cache ---------------------------------------------------------- */

void
memo_release(struct translate_cache *c, struct xds_blob *b)
{
	xds_keep_retire(c->keep, b);
}

/* --- ingress_http's uses, counted --------------------------------------- */

static struct uses_slot *
uses_slot(struct uses_count *u, uint64_t h)
{
	size_t j = (size_t)(h ^ (h >> 29)) & (u->cap - 1);

	while (u->slots[j].used && u->slots[j].h != h)
		j = (j + 1) & (u->cap - 1);
	return &u->slots[j];
}

static void
uses_grow(struct uses_count *u)
{
	struct uses_slot *old = u->slots;
	size_t oldcap = u->cap, live = 0;

	for (size_t i = 0; i < oldcap; i++)
		live += old[i].used && old[i].n > 0;
	u->cap = 64;
	while (u->cap < live * 4)
		u->cap *= 2;
	u->slots = xcalloc(u->cap, sizeof *u->slots);
	u->used = 0;
	/* Slots back at 0 are dropped: a count that comes back starts
	 * again from a new slot. */
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].used && old[i].n > 0) {
			*uses_slot(u, old[i].h) = old[i];
			u->used++;
		}
	free(old);
}

/* Counts blob b of a MEMO_USES sequence in (d = 1) or out (d = -1). */
static void
uses_count_blob(struct translate_cache *c, const struct xds_blob *b, int d)
{
	struct uses_count *u = &c->uses;
	uint64_t head[MEMO_USES_HEAD];

	if (b == NULL || b->len < sizeof head)
		return;
	memcpy(head, b->bytes, sizeof head);
	if (head[1] & MEMO_USES_COOKIES)
		u->cookies += (size_t)d;
	for (size_t i = 0; i < head[0]; i++) {
		struct uses_slot *s;
		uint64_t h;

		memcpy(&h, b->bytes + (MEMO_USES_HEAD + i) * sizeof h, sizeof h);
		if ((u->used + 1) * 2 > u->cap)
			uses_grow(u);
		s = uses_slot(u, h);
		if (!s->used) {
			s->used = true;
			s->h = h;
			s->n = 0;
			u->used++;
		}
		if (d < 0 && s->n == 0)
			continue; /* never counted in: nothing to take out */
		s->n += (uint32_t)d;
		if ((d > 0 && s->n == 1) || (d < 0 && s->n == 0))
			ARRAY_PUSH(u->touched, u->ntouched, u->captouched, h);
	}
}

static bool
uses_live(struct uses_count *u, uint64_t h)
{
	struct uses_slot *s;

	if (u->cap == 0)
		return false;
	s = uses_slot(u, h);
	return s->used && s->n > 0;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool
u64_in(const uint64_t *v, size_t n, uint64_t h)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == h;
}

/* Lets go of what the reader of q did not reach (counted out when uses). */
static void
seq_clear_rest(struct translate_cache *c, struct seq *q, bool uses)
{
	for (size_t i = q->done; i < q->n; i++) {
		struct seq_entry *e = seq_at(q, i, NULL);

		if (uses)
			uses_count_blob(c, e->blob, -1);
		memo_release(c, e->blob);
		e->blob = NULL;
	}
	q->done = q->n;
}

/* --- sequences in chunks --------------------------------------------- */

struct seq_entry *
seq_at(struct seq *q, size_t i, struct seq_chunk **ch)
{
	size_t h = q->hint;

	if (!(h < q->nc && i >= q->start[h] && i < q->start[h + 1])) {
		if (h + 1 < q->nc && i >= q->start[h + 1] &&
		    i < q->start[h + 2])
			h++;
		else
			h = sorted_chunk_of(q->start, q->nc, i);
		q->hint = h;
	}
	if (ch != NULL)
		*ch = q->c[h];
	return &q->c[h]->v[i - q->start[h]];
}

/* Room for one more chunk pointer at q's end. */
static void
seq_grow(struct seq *q)
{
	if (q->nc + 1 >= q->capc) {
		q->capc = q->capc ? q->capc * 2 : 64;
		q->c = xreallocarray(q->c, q->capc, sizeof *q->c);
		q->start = xreallocarray(q->start, q->capc + 1,
		    sizeof *q->start);
	}
	if (q->nc == 0)
		q->start[0] = 0;
}

struct seq_chunk *
seq_chunk_new(struct seq *q, size_t n)
{
	struct seq_chunk *ch;

	seq_grow(q);
	ch = xmalloc(sizeof *ch + n * sizeof ch->v[0]);
	memset(ch, 0, sizeof *ch);
	ch->cap = (uint32_t)n;
	ch->whole = true;
	q->c[q->nc++] = ch;
	q->start[q->nc] = q->n;
	return ch;
}

void
seq_chunk_done(struct seq *q)
{
	q->n += q->c[q->nc - 1]->n;
	q->start[q->nc] = q->n;
}

void
seq_chunk_move(struct seq *to, struct seq *from, size_t ci)
{
	seq_grow(to);
	to->c[to->nc++] = from->c[ci];
	from->c[ci] = NULL;
	to->n += to->c[to->nc - 1]->n;
	to->start[to->nc] = to->n;
}

void
seq_push(struct seq *q, const struct seq_entry *e)
{
	struct seq_chunk *ch = q->nc > 0 ? q->c[q->nc - 1] : NULL;

	/* A sequence's first loose chunk starts small and doubles up to
	 * SEQ_CHUNK_CAP: a Gateway's sequences of a few entries stay
	 * small, and a long one is not grown chunk by chunk. */
	if (ch != NULL && !ch->whole && ch->n == ch->cap &&
	    ch->cap < SEQ_CHUNK_CAP) {
		ch->cap = ch->cap * 2 < SEQ_CHUNK_CAP ? ch->cap * 2 :
		    SEQ_CHUNK_CAP;
		ch = xrealloc(ch, sizeof *ch + ch->cap * sizeof ch->v[0]);
		q->c[q->nc - 1] = ch;
	}
	if (ch == NULL || ch->whole || ch->n == ch->cap) {
		ch = seq_chunk_new(q, q->n < SEQ_CHUNK_CAP ? 8 : SEQ_CHUNK_CAP);
		ch->whole = false;
	}
	ch->v[ch->n++] = *e;
	ch->flag |= e->flag;
	q->start[q->nc] = ++q->n;
}

const struct xds_blob *
memo_uses_shared(struct translation *t, bool *cookies)
{
	struct translate_cache *c = t->cache;
	struct uses_count *u;
	const uint64_t *old;
	uint64_t *out;
	size_t nold, nt = 0, i = 0, j = 0, m = 0;
	bool changed = false;
	struct xds_blob *b;

	*cookies = false;
	if (c == NULL)
		return NULL;
	u = &c->uses;
	/* The loop is done: the last hosts it did not reach are gone. */
	seq_clear_rest(c, &c->seqs[MEMO_USES], true);
	t->seq_pos[MEMO_USES] = c->seqs[MEMO_USES].n;
	*cookies = u->cookies > 0;
	if (u->ntouched == 0)
		return u->sorted;
	old = u->sorted != NULL ? (const uint64_t *)(const void *)u->sorted->bytes :
	    NULL;
	nold = u->sorted != NULL ? u->sorted->len / sizeof *old : 0;
	/* The hashes that may have come or gone, once each, in order. */
	qsort(u->touched, u->ntouched, sizeof *u->touched, u64_cmp);
	for (size_t k = 0; k < u->ntouched; k++)
		if (k == 0 || u->touched[k] != u->touched[nt - 1])
			u->touched[nt++] = u->touched[k];
	u->ntouched = 0;
	for (size_t k = 0; k < nt && !changed; k++)
		changed = uses_live(u, u->touched[k]) !=
		    u64_in(old, nold, u->touched[k]);
	if (!changed)
		return u->sorted;
	/* The last union merged with what came, without what went. */
	b = xds_blob_new("", (nold + nt) * sizeof *out);
	out = (uint64_t *)(void *)b->bytes;
	while (i < nold || j < nt) {
		if (j < nt && (i == nold || u->touched[j] < old[i])) {
			if (uses_live(u, u->touched[j]))
				out[m++] = u->touched[j];
			j++;
		} else if (j < nt && u->touched[j] == old[i]) {
			if (uses_live(u, old[i]))
				out[m++] = old[i];
			i++;
			j++;
		} else {
			out[m++] = old[i++];
		}
	}
	xds_blob_seal(b, m * sizeof *out);
	/* The snapshots that share the last union hold it. */
	xds_blob_unref(u->sorted);
	u->sorted = b;
	return b;
}

/* Lets go of q's blobs and of the chunks it still holds. uses: q is
 * MEMO_USES's (counted out). */
static void
seq_clear(struct translate_cache *c, struct seq *q, bool uses)
{
	/* Only what the last reader did not reach is left here. */
	seq_clear_rest(c, q, uses);
	for (size_t i = 0; i < q->nc; i++)
		free(q->c[i]);
	free(q->c);
	free(q->start);
	memset(q, 0, sizeof *q);
}

/* The key remembered for the object at id in the last DAG, or 0. In
 * verify mode nothing is remembered: every key is hashed and compared
 * (known_check). */
uint64_t
known_key(const struct translation *t, const void *id)
{
	struct translate_cache *c = t->cache;
	uint64_t *v;

	if (c == NULL || id == NULL || c->known == NULL || c->verify)
		return 0;
	if ((v = fp_memo_slot(c->known, id, false)) == NULL)
		return 0;
	c->known_hits++;
	return *v;
}

/* The key the current translation put for id, or 0 (also in verify
 * mode, which hashes every time). */
uint64_t
known_next(const struct translation *t, const void *id)
{
	struct translate_cache *c = t->cache;
	uint64_t *v;

	if (c == NULL || id == NULL || c->next == NULL || c->verify ||
	    (v = fp_memo_slot(c->next, id, false)) == NULL)
		return 0;
	return *v;
}

void
known_put(const struct translation *t, const void *id, uint64_t key)
{
	struct translate_cache *c = t->cache;

	if (c == NULL || id == NULL || c->next == NULL)
		return;
	*fp_memo_slot(c->next, id, true) = key;
}

void
known_check(const struct translation *t, const void *id, uint64_t key)
{
	struct translate_cache *c = t->cache;
	uint64_t *v;

	if (c == NULL || !c->verify || id == NULL || c->known == NULL ||
	    (v = fp_memo_slot(c->known, id, false)) == NULL || *v == key)
		return;
	fprintf(stderr, "cairn: translate cache: the key remembered for an "
	    "object of the last DAG is not its hash (was it changed in "
	    "place?)\n");
	abort();
}

struct translate_cache *
translate_cache_new(void)
{
	struct translate_cache *c = xcalloc(1, sizeof *c);
	const char *v = getenv("CAIRN_TRANSLATE_VERIFY");

	c->verify = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	c->keep = xds_keep_new();
	if (c->verify) {
		/* A table that does not match its struct leaves fields out of
		 * the keys. */
		char buf[256];
		const char *err = dag_fields_check(&memo_options_fields, buf,
		    sizeof buf);

		for (size_t i = 0; err == NULL && i < dag_nfield_tables; i++)
			err = dag_fields_check(dag_field_tables[i], buf, sizeof buf);
		if (err != NULL) {
			fprintf(stderr, "cairn: translate cache: %s\n", err);
			abort();
		}
	}
	return c;
}

void
translate_cache_free(struct translate_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].key != 0)
			memo_release(c, c->slots[i].blob);
	free(c->slots);
	fp_memo_free(c->known);
	fp_memo_free(c->next);
	for (int i = 0; i < MEMO_COUNT; i++) {
		seq_clear(c, &c->seqs[i], false);
		seq_clear(c, &c->next_seqs[i], false);
	}
	gw_view_memo_free(c->gw_view);
	dag_free(c->held);
	snapshot_unref(c->last);
	memo_http_layout_free(&c->http);
	xds_blob_unref(c->uses.sorted); /* snapshots hold their own */
	free(c->uses.slots);
	free(c->uses.touched);
	/* The snapshots still alive hold the keep: what they lend lives on
	 * in it. */
	xds_keep_unref(c->keep);
	free(c);
}

void
translate_cache_snapshot(struct translation *t, struct snapshot *snap)
{
	struct translate_cache *c = t->cache;

	if (c == NULL)
		return;
	snapshot_unref(c->last);
	c->last = snap != NULL ? snapshot_ref(snap) : NULL;
}

const struct snapshot *
translate_cache_last_snapshot(const struct translation *t)
{
	return t->cache != NULL ? t->cache->last : NULL;
}

struct http_layout *
translation_http_layout(struct translation *t)
{
	return t->cache != NULL && !t->cache->verify ? &t->cache->http : NULL;
}

struct translate_cache_stats
translate_cache_stats(const struct translate_cache *c)
{
	struct translate_cache_stats st = { 0 };

	if (c != NULL) {
		st.in_order = c->seq_hits;
		st.by_key = c->hits;
		st.serialized = c->misses;
		st.http_kept = c->http.kept;
		st.in_runs = c->run_hits;
		st.in_chunks = c->chunk_hits;
		st.chunks = c->chunks;
		st.runs = c->runs;
		st.http_chunks_written = c->http.chunks_written;
		st.http_written = c->http.written;
		st.kept = c->n;
		st.slots = c->cap;
		st.presized = c->presized;
	}
	return st;
}

/* The table of kept resources is filled up to three quarters. Its keys
 * are hashes, so linear probing stays short at that load (2.5 slots a
 * hit on average, against 1.5 at half), and the table, 24 bytes a slot
 * and the largest table a big tree keeps, is a third smaller on average
 * than one kept at most half full: at 10,000 proxies (about 70,000
 * resources) 3 MiB instead of 6 (docs/performance.md, branch
 * h-memstate). */
static bool
cache_too_full(size_t n, size_t cap)
{
	return n * 4 > cap * 3;
}

/* The fewest slots, a power of two and at least min, for n resources. */
static size_t
cache_cap_for(size_t n, size_t min)
{
	size_t cap = min;

	while (cache_too_full(n, cap))
		cap *= 2;
	return cap;
}

static struct cache_slot *
cache_slot(const struct translate_cache *c, uint64_t key)
{
	size_t j = (size_t)key & (c->cap - 1);

	while (c->slots[j].key != 0 && c->slots[j].key != key)
		j = (j + 1) & (c->cap - 1);
	return &c->slots[j];
}

/* Rehash into cap slots, keeping only what the current translation used
 * when sweep is set. */
static void
cache_rehash(struct translate_cache *c, size_t cap, bool sweep)
{
	struct cache_slot *old = c->slots;
	size_t oldcap = c->cap;

	c->slots = xcalloc(cap, sizeof *c->slots);
	c->cap = cap;
	c->n = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].key == 0)
			continue;
		if (sweep && old[i].gen != c->gen) {
			memo_release(c, old[i].blob);
			continue;
		}
		*cache_slot(c, old[i].key) = old[i];
		c->n++;
	}
	if (sweep)
		c->live = c->n; /* what is left is what this one used */
	free(old);
}

static size_t
pow2_at_least(size_t n)
{
	size_t cap = 1024;

	while (cap < n)
		cap *= 2;
	return cap;
}

/* A first translation: every cluster, ClusterLoadAssignment and host of
 * the DAG gets a key (`next`) and at least one slot, so both tables are
 * made at the size they would grow to (each doubling rehashes all that
 * is in them). A Gateway's hosts are not in its view DAG: each has a key
 * and five slots (its port's virtual host, and a RouteConfiguration and
 * an api listener for each of its two proxyless targets). Lower bounds,
 * so they can still grow. */
static void
cache_presize(struct translate_cache *c, const struct translation *t)
{
	const struct dag *dag = t->dag;
	size_t objs = dag->nclusters + dag->nendpoints + dag->nvhosts;
	size_t keys = objs + t->gateway_hosts;
	size_t slots = objs + 5 * t->gateway_hosts;

	c->presized++;
	c->next->cap = pow2_at_least(2 * (keys + 1));
	c->next->keys = xcalloc(c->next->cap, sizeof *c->next->keys);
	c->next->values = xcalloc(c->next->cap, sizeof *c->next->values);
	if (c->cap < cache_cap_for(slots + 1, 1024))
		cache_rehash(c, cache_cap_for(slots + 1, 1024), false);
}

void
translate_cache_begin(struct translation *t)
{
	struct translate_cache *c = t->cache;

	if (c == NULL)
		return;
	/* What this translation lets go of is kept for the snapshots built
	 * so far (each holds the keep open when it was built, or an older
	 * one). */
	c->keep = xds_keep_next(c->keep);
	t->opts_fp = options_fingerprint(t->opts);
	if (c->opts_fp != t->opts_fp) {
		/* Other options: nothing is reused (the keys include them,
		 * this only frees the memory sooner). */
		c->gen++;
		if (c->cap > 0)
			cache_rehash(c, c->cap, true);
		c->opts_fp = t->opts_fp;
		/* Keys include the options: forget them. */
		fp_memo_free(c->known);
		c->known = NULL;
		for (int i = 0; i < MEMO_COUNT; i++)
			seq_clear(c, &c->seqs[i], i == MEMO_USES);
	}
	c->gen++;
	c->live = 0;
	c->hits = c->misses = c->known_hits = c->seq_hits = 0;
	c->run_hits = c->runs = 0;
	c->chunk_hits = c->chunks = 0;
	c->http.kept = 0;
	c->http.chunks_written = c->http.written = 0;
	c->http_next = 0;
	memset(t->seq_pos, 0, sizeof t->seq_pos);
	for (int i = 0; i < MEMO_COUNT; i++) {
		struct seq *q = &c->next_seqs[i];

		/* About as many chunks as last time: no growing. */
		seq_clear(c, q, i == MEMO_USES);
		q->capc = c->seqs[i].nc + 64;
		q->c = xreallocarray(NULL, q->capc, sizeof *q->c);
		q->start = xreallocarray(NULL, q->capc + 1, sizeof *q->start);
	}
	fp_memo_free(c->next);
	c->next = xcalloc(1, sizeof *c->next);
	if (c->known != NULL && c->known->n > 0) {
		/* About as many objects as last time: no growing. */
		for (c->next->cap = 1024; c->next->cap < 2 * (c->known->n + 1);
		    c->next->cap *= 2)
			;
		c->next->keys = xcalloc(c->next->cap, sizeof *c->next->keys);
		c->next->values = xcalloc(c->next->cap, sizeof *c->next->values);
	} else if (c->n == 0 && !c->stayed_empty) {
		/* A memo that stayed empty would otherwise be presized at
		 * every build and shrunk again at its end (translate_cache_end
		 * sizes it for what is live): two tables of the DAG's size
		 * allocated and cleared, and two rehashes, for nothing. */
		cache_presize(c, t);
	}
	/* Grown as clusters and hosts are hashed: one per cluster and
	 * host on a first translation, a few after a change (a table of
	 * the tree's size, allocated and cleared per build, would cost
	 * more than them: 800 KB at 100,000 hosts). */
	t->cluster_fps = xcalloc(1, sizeof *t->cluster_fps);
	t->vhost_fps = xcalloc(1, sizeof *t->vhost_fps);
}

void
translate_cache_end(struct translation *t)
{
	struct translate_cache *c = t->cache;
	size_t cap = 64, live = 0;

	fp_memo_free(t->cluster_fps);
	t->cluster_fps = NULL;
	fp_memo_free(t->vhost_fps);
	t->vhost_fps = NULL;
	if (c == NULL)
		return;
	/* What this translation hashed is what the next one may trust, as
	 * long as this DAG stays alive (the DAG is not changed, only its
	 * owners are counted). */
	c->stayed_empty = c->n == 0;
	fp_memo_free(c->known);
	c->known = c->next;
	c->next = NULL;
	dag_free(c->held);
	c->held = dag_ref((struct dag *)(t->owner != NULL ? t->owner : t->dag));
	/* What this translation made in order is what the next one walks. */
	for (int i = 0; i < MEMO_COUNT; i++) {
		seq_clear(c, &c->seqs[i], i == MEMO_USES);
		c->seqs[i] = c->next_seqs[i];
		memset(&c->next_seqs[i], 0, sizeof c->next_seqs[i]);
	}
	if (c->cap == 0)
		return;
	/* What this translation did not use is gone from the DAG. Resources
	 * found in order did not touch their slots: count them as used (a
	 * few may share a key, which only delays a sweep). */
	live = c->live + c->seq_hits;
	if (live > c->n)
		live = c->n;
	cap = cache_cap_for(live, cap);
	/* A few unused entries (one file changed) are not worth building
	 * the table again: they stay until more accumulate. Their keys
	 * still hash their inputs, so one that is looked up again is still
	 * right. */
	if (c->cap >= cap && c->cap <= 2 * cap && (c->n - live) * 16 < c->n)
		return;
	/* Keep what the next translation may find in order. */
	for (int i = 0; i < MEMO_COUNT; i++) {
		for (size_t j = 0; j < c->seqs[i].n; j++) {
			struct cache_slot *sl = cache_slot(c,
			    seq_at(&c->seqs[i], j, NULL)->key);

			if (sl->key != 0 && sl->gen != c->gen) {
				sl->gen = c->gen;
				c->live++;
			}
		}
	}
	cache_rehash(c, cache_cap_for(c->live, cap), true);
	log_debug("translate cache: %zu reused, %zu in order, %zu serialized, "
	    "%zu kept, %zu keys known", c->hits, c->seq_hits, c->misses, c->n,
	    c->known_hits);
}

struct xds_blob *
translation_cache_get(struct translation *t, uint64_t key, bool *flag)
{
	struct translate_cache *c = t->cache;
	struct cache_slot *s;

	if (c == NULL || key == 0 || c->cap == 0)
		return NULL;
	s = cache_slot(c, key);
	if (s->key == 0)
		return NULL;
	if (s->gen != c->gen) {
		s->gen = c->gen;
		c->live++;
	}
	if (c->verify)
		return NULL; /* build it anyway: translation_cache_put compares */
	c->hits++;
	if (flag != NULL)
		*flag = s->flag;
	return s->blob;
}

void
translation_cache_put(struct translation *t, uint64_t key, struct xds_blob *blob,
    bool flag)
{
	struct translate_cache *c = t->cache;
	struct cache_slot *s;

	if (c == NULL || key == 0)
		return;
	c->misses++;
	if (cache_too_full(c->n + 1, c->cap))
		cache_rehash(c, c->cap ? c->cap * 2 : 64, false);
	s = cache_slot(c, key);
	if (s->key != 0) {
		/* Only in verify mode: the cached bytes must be what the
		 * translator makes now. */
		if (s->blob->len != blob->len || s->flag != flag ||
		    memcmp(s->blob->bytes, blob->bytes, blob->len) != 0) {
			fprintf(stderr, "cairn: translate cache: stale bytes for %s "
			    "(a DAG field the translator reads is missing from "
			    "its table in src/dag/fields.c)\n",
			    blob->name);
			abort();
		}
		memo_release(c, s->blob);
	} else {
		c->n++;
	}
	if (s->key == 0 || s->gen != c->gen)
		c->live++;
	s->key = key;
	s->blob = xds_blob_ref(blob);
	s->gen = c->gen;
	s->flag = flag;
}

struct xds_blob *
translation_pack(struct translation *t, const char *name,
    const ProtobufCMessage *m)
{
	size_t len;
	const uint8_t *bytes = pb_encode_scratch(m, &len);
	struct xds_blob *b = xds_blob_new_endpoints(name,
	    t->pack_cluster != NULL ? translation_cluster_eds(t,
	    t->pack_cluster) : NULL, len);

	memcpy(b->bytes, bytes, len);
	xds_blob_seal(b, len);
	return b;
}


/* How far past its cursor a loop looks for an object: a few objects
 * removed since last time are skipped over. */
#define SEQ_WINDOW 8

/* The blob the last translation made in order for id, with the last
 * sequence's reference handed to the caller (its entry is left empty:
 * the cursor never goes back), or NULL. Handing the reference on
 * instead of counting another and dropping the old one spares a write
 * to every reused blob on every build. */
struct xds_blob *
translation_seq_take(struct translation *t, enum memo_kind s,
    const void *id, uint64_t *key, bool *flag, size_t *at)
{
	struct translate_cache *c = t->cache;
	struct seq *q;
	struct xds_blob *b;
	size_t pos = t->seq_pos[s];

	if (c == NULL || id == NULL || c->verify)
		return NULL;
	q = &c->seqs[s];
	for (size_t k = pos; k < q->n && k < pos + SEQ_WINDOW; k++) {
		struct seq_chunk *ch;
		struct seq_entry *e = seq_at(q, k, &ch);

		if (e->id != id)
			continue;
		b = e->blob;
		/* A blob taken is behind the cursor: none here is an object
		 * the last translation left out (translation_seq_skip),
		 * passed as well, so that the run after it starts at the
		 * cursor. */
		if (b == NULL && (e->at != SEQ_NOWHERE || e->key != 0))
			return NULL;
		e->blob = NULL;
		/* Those skipped are never reached again: released now, so
		 * that nothing walks the sequence once more at the end. */
		for (size_t j = pos; j < k; j++) {
			struct seq_entry *d = seq_at(q, j, NULL);

			if (s == MEMO_USES)
				uses_count_blob(c, d->blob, -1);
			memo_release(c, d->blob);
			d->blob = NULL;
		}
		e = seq_at(q, k, &ch);
		q->done = k + 1;
		t->seq_pos[s] = k + 1;
		if (b == NULL)
			return NULL;
		c->seq_hits++;
		*key = e->key;
		if (flag != NULL)
			*flag = e->flag;
		if (at != NULL)
			*at = seq_entry_at(ch, e);
		/* What a host's uses say is read from the blob (translate.c):
		 * ask for the next ones' while this one is used. */
		if (s == MEMO_USES && k + 4 < q->n) {
			const struct seq_entry *f = seq_at(q, k + 4, NULL);

			if (f->blob != NULL)
				__builtin_prefetch(f->blob);
		}
		return b;
	}
	return NULL;
}

void
translation_seq_put(struct translation *t, enum memo_kind s,
    const void *id, uint64_t key, struct xds_blob *blob, bool flag, bool give)
{
	struct translate_cache *c = t->cache;
	struct seq_entry e = { .id = id, .key = key, .flag = flag,
		.at = SEQ_NOWHERE };

	if (c == NULL || id == NULL || key == 0 || blob == NULL) {
		if (give && c != NULL) {
			if (s == MEMO_USES)
				uses_count_blob(c, blob, -1);
			memo_release(c, blob);
		} else if (give)
			xds_blob_unref(blob);
		return;
	}
	/* A blob handed on was counted when it was put first. */
	if (s == MEMO_USES && !give)
		uses_count_blob(c, blob, 1);
	e.blob = give ? blob : xds_blob_ref(blob);
	seq_push(&c->next_seqs[s], &e);
}

void
translation_seq_skip(struct translation *t, enum memo_kind s, const void *id)
{
	struct translate_cache *c = t->cache;
	struct seq_entry e = { .id = id, .at = SEQ_NOWHERE };

	if (c == NULL || id == NULL || c->verify)
		return;
	seq_push(&c->next_seqs[s], &e);
}

void
translation_seq_set_at(struct translation *t, enum memo_kind s,
    const struct xds_blob *blob, size_t at)
{
	struct translate_cache *c = t->cache;
	struct seq *q;

	if (c == NULL)
		return;
	q = &c->next_seqs[s];
	/* The entry translation_seq_put added is in a loose chunk (delta
	 * 0); a run's chunk is not written. */
	if (q->n > 0 && !q->c[q->nc - 1]->whole && at < SEQ_NOWHERE) {
		struct seq_chunk *ch = q->c[q->nc - 1];

		if (ch->v[ch->n - 1].blob == blob)
			ch->v[ch->n - 1].at = (uint32_t)at;
	}
}
