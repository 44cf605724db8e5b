#include "xds/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/sorted.h"
#include "util/xalloc.h"

static const struct {
	const char *url, *short_name;
} xds_types[XDS_TYPE_COUNT] = {
	[XDS_SECRET] = { "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", "sds" },
	[XDS_CLUSTER] = { "type.googleapis.com/envoy.config.cluster.v3.Cluster", "cds" },
	[XDS_ENDPOINT] = { "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", "eds" },
	[XDS_LISTENER] = { "type.googleapis.com/envoy.config.listener.v3.Listener", "lds" },
	[XDS_ROUTE] = { "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "rds" },
};

const char *
xds_type_url(enum xds_type type)
{
	return xds_types[type].url;
}

const char *
xds_type_short(enum xds_type type)
{
	return xds_types[type].short_name;
}

int
xds_type_from_url(const char *url, enum xds_type *out)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		if (strcmp(url, xds_types[t].url) == 0) {
			*out = (enum xds_type)t;
			return 0;
		}
	}
	return -1;
}

/* A snapshot_builder_add_uses() (hashes[off .. off + n) of the builder's
 * flat list) or snapshot_builder_set_endpoints() call, resolved at
 * finish. */
struct pending_uses {
	enum xds_type type;
	const char *name;
	size_t off, n;
	const char *endpoints;
	const struct xds_blob *shared; /* snapshot_builder_share_uses */
};

/* The most items a chunk holds; where a chunk of items added one at a
 * time ends (room left for a later patch to insert into it); and the size
 * under which a chunk written by a patch takes the next chunk in rather
 * than leaving a small one behind. Boundaries move only where a patch
 * writes, so the chunks around a change stay the last snapshot's. */
#define CHUNK_CAP 512
#define CHUNK_FILL 384
#define CHUNK_MIN 128

struct snapshot_builder {
	struct snapshot *snap;
	size_t capchunks[XDS_TYPE_COUNT];
	const struct snapshot *prev;
	struct pending_uses *uses;
	size_t nuses, capuses;
	uint64_t *use_hashes;
	size_t nuse_hashes, capuse_hashes;
	ptrdiff_t shift[XDS_TYPE_COUNT]; /* of the last item copied */
	size_t hint[XDS_TYPE_COUNT]; /* the previous set's chunk read last */
	/* Per type, kept as items are added: whether their names ascend so
	 * far (then finish neither sorts nor checks), the sum of their
	 * entries, and where the last one was in the previous snapshot
	 * (copied by snapshot_builder_lend_blob; SIZE_MAX: not). */
	bool unordered[XDS_TYPE_COUNT];
	uint64_t sum[XDS_TYPE_COUNT];
	size_t last_from[XDS_TYPE_COUNT];
	/* Per type, the run of the previous set lent and not yet placed
	 * (pend_n items from pend_at): consecutive runs join, so that the
	 * chunks they cover whole are taken by reference (builder_flush). */
	size_t pend_at[XDS_TYPE_COUNT], pend_n[XDS_TYPE_COUNT];
	bool pend_named_only[XDS_TYPE_COUNT];
	/* Per type, the places of the chunks the builder made (each once):
	 * what builder_seal seals, without reading the header of every
	 * chunk taken from the previous snapshot (1,560 at 100k). A chunk
	 * is only appended or replaced in place, so a place stays its. */
	size_t *made[XDS_TYPE_COUNT];
	size_t nmade[XDS_TYPE_COUNT], capmade[XDS_TYPE_COUNT];
};

static struct xds_chunk *
chunk_new(const void *maker)
{
	struct xds_chunk *c = xmalloc(sizeof *c + CHUNK_CAP * sizeof c->v[0]);

	atomic_init(&c->refs, 1);
	c->n = 0;
	c->cap = CHUNK_CAP;
	c->own = 0;
	c->named_only = 0;
	c->maker = maker;
	c->sum = 0;
	return c;
}

static void
chunk_unref(struct xds_chunk *c)
{
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
		free(c);
}

/* The chunk holding item i of set (n > 0). */
static size_t
chunk_of(const struct xds_resource_set *set, size_t i)
{
	return sorted_chunk_of(set->start, set->nchunks, i);
}

/* The same, trying *hint and the chunk after it first (reads that move
 * forward through a set). */
static size_t
chunk_of_hint(const struct xds_resource_set *set, size_t i, size_t *hint)
{
	size_t k = *hint;

	for (int d = 0; d < 2; d++, k++)
		if (k < set->nchunks && set->start[k] <= i &&
		    i - set->start[k] < set->chunks[k]->n)
			return *hint = k;
	return *hint = chunk_of(set, i);
}

const struct xds_resource *
xds_set_at(const struct xds_resource_set *set, size_t i)
{
	size_t k = set->nchunks == 1 ? 0 : chunk_of(set, i);

	return &set->chunks[k]->v[i - set->start[k]];
}

const struct xds_resource *
xds_set_at_hint(const struct xds_resource_set *set, size_t i, size_t *hint)
{
	size_t k = chunk_of_hint(set, i, hint);

	return &set->chunks[k]->v[i - set->start[k]];
}

void
xds_set_iter_init(struct xds_set_iter *it, const struct xds_resource_set *set,
    size_t from)
{
	it->set = set;
	it->chunk = 0;
	it->off = 0;
	if (from > 0 && from < set->n) {
		it->chunk = chunk_of(set, from);
		it->off = from - set->start[it->chunk];
	} else if (from > 0) {
		it->chunk = set->nchunks;
	}
}

/* A name (key) against a resource (elem), for sorted_search. */
static int
name_resource_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct xds_resource *)elem)->name);
}

/* The first index of a[0..n) whose name is not below name. */
static size_t
lower_bound(const struct xds_resource *a, size_t n, const char *name)
{
	return sorted_search(name, a, n, sizeof a[0], name_resource_cmp);
}

size_t
xds_set_lower_bound(const struct xds_resource_set *set, const char *name)
{
	size_t lo = 0, hi = set->nchunks, k;

	/* The first chunk whose first name is above name: the one before
	 * it holds where name goes. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(set->chunks[mid]->v[0].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	k = lo - 1;
	return set->start[k] + lower_bound(set->chunks[k]->v,
	    set->chunks[k]->n, name);
}

const struct xds_resource *
xds_set_find(const struct xds_resource_set *set, const char *name)
{
	size_t i;
	const struct xds_resource *r;

	if (set == NULL || set->n == 0)
		return NULL;
	i = xds_set_lower_bound(set, name);
	if (i >= set->n)
		return NULL;
	r = xds_set_at(set, i);
	return strcmp(r->name, name) == 0 ? r : NULL;
}

/* How many items of type's set are in its chunks (the others are the
 * pending run). */
static size_t
set_placed(const struct xds_resource_set *set)
{
	return set->nchunks == 0 ? 0 :
	    set->start[set->nchunks - 1] + set->chunks[set->nchunks - 1]->n;
}

static void
set_push_chunk(struct snapshot_builder *b, enum xds_type type,
    struct xds_chunk *c)
{
	struct xds_resource_set *set = &b->snap->types[type];
	size_t placed = set_placed(set);

	if (set->nchunks == b->capchunks[type]) {
		b->capchunks[type] = b->capchunks[type] ?
		    b->capchunks[type] * 2 : 8;
		set->chunks = xreallocarray(set->chunks, b->capchunks[type],
		    sizeof set->chunks[0]);
		set->start = xreallocarray(set->start, b->capchunks[type],
		    sizeof set->start[0]);
	}
	set->start[set->nchunks] = placed;
	set->chunks[set->nchunks++] = c;
}

/* Room for one more item at the end of type's placed items: in the last
 * chunk when the builder writes it and it holds fewer than fill. */
static struct xds_resource *
builder_slot(struct snapshot_builder *b, enum xds_type type, uint32_t fill)
{
	struct xds_resource_set *set = &b->snap->types[type];
	struct xds_chunk *c = set->nchunks ? set->chunks[set->nchunks - 1] : NULL;

	if (c == NULL || c->maker != b || c->n >= fill) {
		c = chunk_new(b);
		set_push_chunk(b, type, c);
		ARRAY_PUSH(b->made[type], b->nmade[type], b->capmade[type],
		    set->nchunks - 1);
	}
	return &c->v[c->n++];
}

/* How many chunks ahead builder_flush asks for a chunk's header: its
 * loop does little per chunk taken whole, so the reads are asked for
 * further on than take_chunk's (src/xds/memo.c). */
#define FLUSH_AHEAD 6

/* Places the pending run: each chunk of the previous set it covers whole
 * (sealed, nothing of its snapshot's own, the run's named_only) is taken
 * by reference; the items of the others are copied, with their uses
 * resolved again at finish. A chunk is copied too when the chunk before
 * it was written and is still small, which it then joins. */
static void
builder_flush(struct snapshot_builder *b, enum xds_type type)
{
	struct snapshot *s = b->snap;
	struct xds_resource_set *set = &s->types[type];
	const struct xds_resource_set *ps;
	size_t at = b->pend_at[type], n = b->pend_n[type], k;
	bool named_only = b->pend_named_only[type];
	uint64_t sum = 0;

	if (n == 0)
		return;
	b->pend_n[type] = 0;
	ps = &b->prev->types[type];
	k = chunk_of_hint(ps, at, &b->hint[type]);
	for (; n > 0; k++) {
		struct xds_chunk *pc = ps->chunks[k], *last;
		size_t off = at - ps->start[k], m = pc->n - off;

		/* A run covers a thousand chunks at 100k: ask for the header
		 * read (and its count written) a few chunks on. */
		if (k + FLUSH_AHEAD < ps->nchunks)
			__builtin_prefetch(ps->chunks[k + FLUSH_AHEAD], 1);

		if (m > n)
			m = n;
		last = set->nchunks ? set->chunks[set->nchunks - 1] : NULL;
		if (off == 0 && m == pc->n && pc->maker == NULL &&
		    pc->own == 0 && pc->named_only == (named_only ? 1 : 0) &&
		    !(last != NULL && last->maker == b && last->n < CHUNK_MIN &&
		    last->n + pc->n <= CHUNK_CAP)) {
			atomic_fetch_add_explicit(&pc->refs, 1,
			    memory_order_relaxed);
			set_push_chunk(b, type, pc);
			sum += pc->sum;
			s->nshared_chunks++;
			s->nshared += m;
		} else {
			for (size_t i = off; i < off + m; i++) {
				struct xds_resource *r =
				    builder_slot(b, type, CHUNK_CAP);

				*r = pc->v[i];
				r->uses = NULL;
				r->nuses = 0;
				r->named_only = named_only;
				sum += r->entry;
			}
		}
		at += m;
		n -= m;
	}
	b->hint[type] = k > 0 ? k - 1 : 0;
	b->sum[type] += sum;
}

/* Item i of the builder's placed items, to write: a chunk the builder
 * did not make (taken from the previous snapshot) is copied first. */
static struct xds_resource *
builder_item_mut(struct snapshot_builder *b, enum xds_type type, size_t i,
    struct xds_chunk **chunk)
{
	struct snapshot *s = b->snap;
	struct xds_resource_set *set = &s->types[type];
	size_t k = chunk_of(set, i);
	struct xds_chunk *c = set->chunks[k];

	if (c->maker != b) {
		struct xds_chunk *copy = chunk_new(b);

		memcpy(copy->v, c->v, c->n * sizeof c->v[0]);
		copy->n = c->n;
		set->chunks[k] = copy;
		ARRAY_PUSH(b->made[type], b->nmade[type], b->capmade[type],
		    k);
		s->nshared_chunks--;
		s->nshared -= c->n;
		chunk_unref(c);
		c = copy;
	}
	*chunk = c;
	return &c->v[i - set->start[k]];
}

/* Item n - back of type's set, all placed (back 1 or 2, n >= back). */
static const struct xds_resource *
builder_back(const struct snapshot_builder *b, enum xds_type type,
    size_t back)
{
	const struct xds_resource_set *set = &b->snap->types[type];
	const struct xds_chunk *c = set->chunks[set->nchunks - 1];

	if (c->n >= back)
		return &c->v[c->n - back];
	c = set->chunks[set->nchunks - 2];
	return &c->v[c->n - (back - 1)];
}

/* Notes the item just added to type's set (from: its place in the
 * previous snapshot, or SIZE_MAX). Two items copied from ascending
 * places of the previous set (sorted, unique) ascend without a
 * compare. */
static void
builder_added(struct snapshot_builder *b, enum xds_type type, size_t from)
{
	const struct xds_resource_set *set = &b->snap->types[type];
	size_t n = set->n, last = b->last_from[type];
	const struct xds_resource *r = builder_back(b, type, 1);

	b->sum[type] += r->entry;
	b->last_from[type] = from;
	if (n < 2 || b->unordered[type])
		return;
	if (last != SIZE_MAX && from != SIZE_MAX && last < from)
		return;
	if (strcmp(builder_back(b, type, 2)->name, r->name) >= 0)
		b->unordered[type] = true;
}

/* Appends r to type's set (after what is pending). */
static void
builder_put(struct snapshot_builder *b, enum xds_type type,
    const struct xds_resource *r, size_t from)
{
	builder_flush(b, type);
	*builder_slot(b, type, CHUNK_FILL) = *r;
	b->snap->types[type].n++;
	builder_added(b, type, from);
}

struct snapshot_builder *
snapshot_builder_new(const char *revision)
{
	struct snapshot_builder *b = xcalloc(1, sizeof *b);

	b->snap = xcalloc(1, sizeof *b->snap);
	arena_init(&b->snap->arena);
	atomic_init(&b->snap->refs, 1);
	b->snap->revision = arena_strdup(&b->snap->arena, revision ? revision : "");
	return b;
}

void
snapshot_builder_add(struct snapshot_builder *b, enum xds_type type,
    const char *name, const void *bytes, size_t len, bool named_only)
{
	struct xds_resource r = {
		.name = arena_strdup(&b->snap->arena, name),
		.version = hash_bytes(bytes, len),
		.bytes = arena_memdup(&b->snap->arena, bytes, len),
		.len = len,
		.named_only = named_only,
	};

	r.entry = xds_entry_hash(r.name, r.version);
	b->snap->arena_items = true;
	builder_put(b, type, &r, SIZE_MAX);
}

void *
snapshot_builder_alloc(struct snapshot_builder *b, size_t len)
{
	return arena_alloc_nozero(&b->snap->arena, len ? len : 1);
}

void
snapshot_builder_add_nocopy(struct snapshot_builder *b, enum xds_type type,
    const char *name, const void *bytes, size_t len, bool named_only)
{
	struct xds_resource r = {
		.name = arena_strdup(&b->snap->arena, name),
		.version = hash_bytes(bytes, len),
		.bytes = bytes,
		.len = len,
		.named_only = named_only,
	};

	r.entry = xds_entry_hash(r.name, r.version);
	b->snap->arena_items = true;
	builder_put(b, type, &r, SIZE_MAX);
}

/* A set's item for blob: its bytes, name and versions are the blob's
 * (given to the snapshot or lent to it). */
static struct xds_resource
blob_item(const struct xds_blob *blob, bool named_only)
{
	struct xds_resource r = {
		.name = blob->name,
		.version = blob->version,
		.bytes = blob->pieces == NULL ? blob->bytes : NULL,
		.len = blob->len,
		.named_only = named_only,
		.endpoints = blob->endpoints,
		.entry = blob->entry,
		.pieced = blob->pieces != NULL ? blob : NULL,
	};

	return r;
}

void
snapshot_builder_add_blob(struct snapshot_builder *b, enum xds_type type,
    struct xds_blob *blob, bool named_only)
{
	snapshot_builder_give_blob(b, type, xds_blob_ref(blob), named_only);
}

void
snapshot_builder_give_blob(struct snapshot_builder *b, enum xds_type type,
    struct xds_blob *blob, bool named_only)
{
	struct snapshot *s = b->snap;
	struct xds_resource r = blob_item(blob, named_only);

	ARRAY_PUSH(s->blobs, s->nblobs, s->capblobs, blob);
	builder_put(b, type, &r, SIZE_MAX);
}

/* How far a lent item may have moved from where it was put when its set
 * was sorted: the resources emitted out of name order around it
 * (ingress_http before the hosts' named resources). */
#define PREV_SHIFT_MAX 8

/* Where the previous set has the item of bytes, looked for at put (where
 * the last builder put it), first moved as the last one found was, then
 * nearby; SIZE_MAX when not there. Pointer compares on memory read in
 * order. */
static size_t
prev_item(const struct xds_resource_set *ps, size_t put, const uint8_t *bytes,
    ptrdiff_t *shift, size_t *hint)
{
	if (put >= ps->n + PREV_SHIFT_MAX)
		return SIZE_MAX;
	for (int k = -1; k <= 2 * PREV_SHIFT_MAX; k++) {
		ptrdiff_t d = k < 0 ? *shift : (k % 2 ? -(k + 1) / 2 : k / 2);
		size_t at = put + (size_t)d, c;

		if (at >= ps->n)
			continue;
		c = chunk_of_hint(ps, at, hint);
		if (ps->chunks[c]->v[at - ps->start[c]].bytes == bytes) {
			*shift = d;
			return at;
		}
	}
	return SIZE_MAX;
}

/* The snapshot lends blobs that keep's owner holds: it holds keep. */
static void
builder_keep(struct snapshot *s, struct xds_keep *keep)
{
	if (s->keep == keep)
		return;
	if (s->keep != NULL) {
		/* One memo per snapshot: its keep says how long every lent
		 * blob lives. */
		fprintf(stderr, "cairn: snapshot: blobs lent from two memos\n");
		abort();
	}
	s->keep = xds_keep_ref(keep);
}

/* The previous snapshot, when its items may be copied or its chunks
 * taken: every item is a blob's, with the blob's endpoints. */
static const struct snapshot *
builder_lender(const struct snapshot_builder *b)
{
	return b->prev != NULL && !b->prev->arena_endpoints &&
	    !b->prev->arena_items ? b->prev : NULL;
}

size_t
snapshot_builder_lend_blob(struct snapshot_builder *b, enum xds_type type,
    struct xds_blob *blob, bool named_only, struct xds_keep *keep,
    size_t prev_at)
{
	struct snapshot *s = b->snap;
	const struct snapshot *from = builder_lender(b);
	const struct xds_resource_set *ps = from ? &from->types[type] : NULL;
	struct xds_resource r;

	builder_keep(s, keep);
	/* The last snapshot's item for the same blob (the same address:
	 * the memo holds the blob, so no other has it) says everything the
	 * blob's header would, from memory read in order; the blob itself
	 * is not touched. Its uses were the last snapshot's: resolved again
	 * at finish. */
	if (ps != NULL)
		prev_at = prev_item(ps, prev_at, blob->bytes, &b->shift[type],
		    &b->hint[type]);
	else
		prev_at = SIZE_MAX;
	if (prev_at != SIZE_MAX) {
		size_t c = chunk_of_hint(ps, prev_at, &b->hint[type]);

		r = ps->chunks[c]->v[prev_at - ps->start[c]];
		r.uses = NULL;
		r.nuses = 0;
		r.named_only = named_only;
		s->ncopied++;
	} else {
		r = blob_item(blob, named_only);
	}
	s->nlent++;
	builder_put(b, type, &r, prev_at);
	return s->types[type].n - 1;
}

size_t
snapshot_builder_lend_run(struct snapshot_builder *b, enum xds_type type,
    const struct snapshot *from, size_t prev_at, size_t n, bool named_only,
    struct xds_keep *keep)
{
	struct snapshot *s = b->snap;
	struct xds_resource_set *set = &s->types[type];
	const struct xds_resource_set *ps;
	size_t put = set->n, last = b->last_from[type];

	if (n == 0 || from == NULL || from != builder_lender(b))
		return SIZE_MAX;
	ps = &from->types[type];
	if (prev_at > ps->n || n > ps->n - prev_at)
		return SIZE_MAX;
	builder_keep(s, keep);
	/* A run that goes on from the pending one joins it; any other
	 * places what is pending first. */
	if (b->pend_n[type] > 0 &&
	    (b->pend_at[type] + b->pend_n[type] != prev_at ||
	    b->pend_named_only[type] != named_only))
		builder_flush(b, type);
	/* The run is a slice of a finished (sorted, unique) set, so it
	 * ascends: only its first against the one before it
	 * (builder_added). */
	if (put > 0 && !b->unordered[type] &&
	    !(last != SIZE_MAX && last < prev_at) &&
	    strcmp(builder_back(b, type, 1)->name,
	    xds_set_at(ps, prev_at)->name) >= 0)
		b->unordered[type] = true;
	if (b->pend_n[type] == 0) {
		b->pend_at[type] = prev_at;
		b->pend_named_only[type] = named_only;
	}
	b->pend_n[type] += n;
	set->n += n;
	b->last_from[type] = prev_at + n - 1;
	s->nlent += n;
	s->ncopied += n;
	return put;
}

/* Hashes are read in place from a blob's bytes. */
_Static_assert(offsetof(struct xds_blob, bytes) % _Alignof(uint64_t) == 0,
    "xds_blob bytes aligned for uint64_t");

static int
resource_cmp(const void *a, const void *b)
{
	const struct xds_resource *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Merges the sorted runs x[0..nx) and y[0..ny) into out: the smaller
 * run's items are placed by binary search in the larger, which is
 * copied a stretch at a time (the translator's runs are one long run
 * and a few names, e.g. ingress_http among the FQDNs). Sets *dup if
 * some name is in both. */
static void
merge_runs(const struct xds_resource *x, size_t nx,
    const struct xds_resource *y, size_t ny, struct xds_resource *out,
    bool *dup)
{
	const struct xds_resource *big = ny <= nx ? x : y, *sm = ny <= nx ? y : x;
	size_t nbig = ny <= nx ? nx : ny, nsm = ny <= nx ? ny : nx, bi = 0;

	for (size_t k = 0; k < nsm; k++) {
		size_t at = bi + lower_bound(big + bi, nbig - bi, sm[k].name);

		if (at < nbig && strcmp(big[at].name, sm[k].name) == 0)
			*dup = true;
		memcpy(out, big + bi, (at - bi) * sizeof *out);
		out += at - bi;
		bi = at;
		*out++ = sm[k];
	}
	memcpy(out, big + bi, (nbig - bi) * sizeof *out);
}

/* The name of item i of a finished set (reads moving forward). */
static const char *
set_name_hint(const struct xds_resource_set *set, size_t i, size_t *hint)
{
	return xds_set_at_hint(set, i, hint)->name;
}

/* Sorts items[0..n) by name, keeping one of equal names; returns how
 * many are left. The translator mostly emits in name order already:
 * strictly ascending names are sorted and unique, one compare each; up
 * to 16 ascending runs are merged; anything else is sorted. Most names
 * are those of the last snapshot's shared blobs (prev, sorted and
 * unique: the very same strings): two neighbours found in it in that
 * order are ascending without a compare. */
static size_t
items_sort(struct xds_resource *items, size_t n,
    const struct xds_resource_set *prev)
{
	size_t starts[17], nruns = 1, out = 0, phint = 0;
	size_t np = prev != NULL ? prev->n : 0, at = 0;
	struct xds_resource *tmp;
	bool dup = false, a_in = false;

	/* at: where in prev the next item is looked for (a few places on:
	 * resources removed since). a_in: item i - 1 is prev's at - 1. */
	if (n > 0 && np > 0 && set_name_hint(prev, 0, &phint) == items[0].name) {
		a_in = true;
		at = 1;
	}
	starts[0] = 0;
	for (size_t i = 1; i < n; i++) {
		bool b_in = false;
		int c;

		for (size_t d = 0; d < 4 && at + d < np; d++)
			if (set_name_hint(prev, at + d, &phint) == items[i].name) {
				b_in = true;
				at += d + 1;
				break;
			}
		c = a_in && b_in ? -1 : strcmp(items[i - 1].name, items[i].name);
		a_in = b_in;
		if (c < 0)
			continue;
		if (nruns == 16) {
			nruns = 17; /* too many runs */
			break;
		}
		starts[nruns++] = i;
	}
	if (nruns == 1)
		return n;
	if (nruns > 16) {
		qsort(items, n, sizeof items[0], resource_cmp);
		dup = true;
	} else {
		/* Pairwise: runs k and k + 1, then the results. */
		tmp = xreallocarray(NULL, n, sizeof *tmp);
		starts[nruns] = n;
		while (nruns > 1) {
			size_t m = 0;

			for (size_t k = 0; k < nruns; k += 2) {
				size_t a = starts[k], b = starts[k + 1];

				if (k + 1 == nruns)
					memcpy(tmp + a, items + a,
					    (b - a) * sizeof *tmp);
				else
					merge_runs(items + a, b - a,
					    items + b, starts[k + 2] - b,
					    tmp + a, &dup);
				starts[m++] = a;
			}
			nruns = m;
			starts[nruns] = n;
			memcpy(items, tmp, n * sizeof *tmp);
		}
		free(tmp);
	}
	if (!dup)
		return n;
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && strcmp(items[out - 1].name, items[i].name) == 0)
			continue; /* duplicate name: keep one */
		items[out++] = items[i];
	}
	return out;
}

/* Sorts type's set (all placed): its items are copied out, sorted and cut
 * into new chunks; the chunks taken from the previous snapshot are let
 * go of. */
static void
builder_sort(struct snapshot_builder *b, enum xds_type type,
    const struct xds_resource_set *prev)
{
	struct snapshot *s = b->snap;
	struct xds_resource_set *set = &s->types[type];
	struct xds_resource *flat = xreallocarray(NULL, set->n + 1,
	    sizeof *flat);
	struct xds_set_iter it;
	const struct xds_resource *r;
	size_t n = 0;

	xds_set_iter_init(&it, set, 0);
	while ((r = xds_set_iter_next(&it)) != NULL)
		flat[n++] = *r;
	for (size_t k = 0; k < set->nchunks; k++) {
		if (set->chunks[k]->maker != b) {
			s->nshared_chunks--;
			s->nshared -= set->chunks[k]->n;
		}
		chunk_unref(set->chunks[k]);
	}
	set->nchunks = 0;
	b->nmade[type] = 0;
	set->n = items_sort(flat, n, prev);
	for (size_t i = 0; i < set->n; i++)
		*builder_slot(b, type, CHUNK_FILL) = flat[i];
	free(flat);
}

uint64_t
xds_name_hash(const char *name)
{
	return hash_bytes(name, strlen(name));
}

void
snapshot_builder_add_uses(struct snapshot_builder *b, enum xds_type type,
    const char *name, const uint64_t *hashes, size_t n)
{
	struct pending_uses u = { type, name, b->nuse_hashes, n, NULL, NULL };

	if (n == 0)
		return;
	if (b->nuse_hashes + n > b->capuse_hashes) {
		b->capuse_hashes = (b->nuse_hashes + n) * 2;
		b->use_hashes = xreallocarray(b->use_hashes, b->capuse_hashes,
		    sizeof *b->use_hashes);
	}
	memcpy(b->use_hashes + b->nuse_hashes, hashes, n * sizeof *hashes);
	b->nuse_hashes += n;
	ARRAY_PUSH(b->uses, b->nuses, b->capuses, u);
}

void
snapshot_builder_set_endpoints(struct snapshot_builder *b, const char *name,
    const char *endpoints)
{
	struct pending_uses u = { XDS_CLUSTER, name, 0, 0, endpoints, NULL };

	ARRAY_PUSH(b->uses, b->nuses, b->capuses, u);
}

void
snapshot_builder_share_uses(struct snapshot_builder *b, enum xds_type type,
    const char *name, const struct xds_blob *hashes)
{
	struct pending_uses u = { type, name, 0,
		hashes->len / sizeof(uint64_t), NULL, hashes };

	if (u.n > 0)
		ARRAY_PUSH(b->uses, b->nuses, b->capuses, u);
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Adds the hashes to r's uses, without repeats. */
static void
merge_uses(struct snapshot *s, struct xds_resource *r, const uint64_t *h,
    size_t n)
{
	uint64_t *out = arena_alloc_nozero(&s->arena,
	    (r->nuses + n) * sizeof *out);
	size_t m = r->nuses, cap = 16;
	uint64_t *set;

	/* An open-addressing set of what is in: ingress_http repeats each
	 * cluster once per route to it. */
	while (cap < (r->nuses + n) * 2)
		cap <<= 1;
	set = xcalloc(cap, sizeof *set);
	if (r->nuses > 0) /* r->uses is NULL then: no memcpy(NULL) (UBSan) */
		memcpy(out, r->uses, r->nuses * sizeof *out);
	for (size_t i = 0; i < r->nuses + n; i++) {
		uint64_t v = i < r->nuses ? r->uses[i] : h[i - r->nuses];
		uint64_t key = v != 0 ? v : 1; /* 0 marks an empty slot */
		size_t k = (size_t)key & (cap - 1);
		bool seen = false;

		for (; set[k] != 0; k = (k + 1) & (cap - 1))
			if ((seen = set[k] == key))
				break;
		if (seen)
			continue;
		set[k] = key;
		if (i >= r->nuses)
			out[m++] = v;
	}
	free(set);
	/* In ascending order: what a memo keeps up to date by a change's
	 * delta (snapshot_builder_share_uses) is the same array. */
	qsort(out, m, sizeof *out, u64_cmp);
	r->uses = out;
	r->nuses = m;
}

/* Attaches the recorded uses to the resources, each found by a search:
 * the uses are of a few resources (ingress_http, https/...) among many.
 * A resource given uses or endpoints points into the snapshot's memory:
 * its chunk is the snapshot's own (copied first if taken from the last
 * snapshot) and is never taken by the next. */
static void
resolve_uses(struct snapshot_builder *b)
{
	struct snapshot *s = b->snap;

	for (size_t i = 0; i < b->nuses; i++) {
		const struct pending_uses *u = &b->uses[i];
		enum xds_type t = u->type;
		const struct xds_resource_set *set = &s->types[t];
		struct xds_resource *r;
		struct xds_chunk *c;
		size_t at;

		if (t == XDS_CLUSTER && u->endpoints == NULL)
			continue;
		if (t != XDS_CLUSTER && u->shared == NULL && u->n == 0)
			continue;
		at = xds_set_lower_bound(set, u->name);
		if (at == set->n || strcmp(xds_set_at(set, at)->name,
		    u->name) != 0)
			continue; /* not in the snapshot */
		r = builder_item_mut(b, t, at, &c);
		c->own++;
		if (u->endpoints != NULL && t == XDS_CLUSTER) {
			r->endpoints = arena_strdup(&s->arena, u->endpoints);
			s->arena_endpoints = true;
		} else if (u->shared != NULL && r->nuses == 0) {
			/* Held by the snapshot, not copied. */
			struct xds_blob *h = xds_blob_ref(
			    (struct xds_blob *)u->shared);

			ARRAY_PUSH(s->blobs, s->nblobs, s->capblobs, h);
			r->uses = (const uint64_t *)(const void *)h->bytes;
			r->nuses = u->n;
		} else if (u->shared != NULL)
			merge_uses(s, r, (const uint64_t *)(const void *)
			    u->shared->bytes, u->n);
		else
			merge_uses(s, r, b->use_hashes + u->off, u->n);
	}
	free(b->uses);
	free(b->use_hashes);
}

size_t
snapshot_builder_count(const struct snapshot_builder *b, enum xds_type type)
{
	return b->snap->types[type].n;
}

void
snapshot_builder_set_last_endpoints(struct snapshot_builder *b,
    const char *endpoints)
{
	struct xds_resource_set *set = &b->snap->types[XDS_CLUSTER];
	struct xds_resource *r;
	struct xds_chunk *c;

	if (set->n == 0)
		return;
	builder_flush(b, XDS_CLUSTER);
	r = builder_item_mut(b, XDS_CLUSTER, set->n - 1, &c);
	r->endpoints = arena_strdup(&b->snap->arena, endpoints);
	c->own++;
	b->snap->arena_endpoints = true;
}

/* Room for as many chunks as prev's sets have: a snapshot mostly repeats
 * the last one. */
static void
builder_reserve(struct snapshot_builder *b, const struct snapshot *prev)
{
	struct snapshot *s = b->snap;

	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		struct xds_resource_set *set = &s->types[t];
		size_t want = prev->types[t].nchunks + 16;

		if (b->capchunks[t] >= want)
			continue;
		b->capchunks[t] = want;
		set->chunks = xreallocarray(set->chunks, want,
		    sizeof set->chunks[0]);
		set->start = xreallocarray(set->start, want,
		    sizeof set->start[0]);
	}
	if (s->capblobs < prev->nblobs + 16) {
		s->capblobs = prev->nblobs + 16;
		s->blobs = xreallocarray(s->blobs, s->capblobs, sizeof s->blobs[0]);
	}
}

void
snapshot_builder_set_previous(struct snapshot_builder *b,
    const struct snapshot *prev)
{
	b->prev = prev;
	if (prev != NULL)
		builder_reserve(b, prev);
}

/* The type version covers names and versions, so both a changed resource
 * and an added or removed one give a new version: xds_entries_version of
 * the sum of the entry hashes, which each resource brought with it (a
 * blob's was made once, when it was serialized). */
static void
resource_set_finish(struct snapshot_builder *b, enum xds_type type)
{
	struct xds_resource_set *set = &b->snap->types[type];
	uint64_t sum;

	builder_flush(b, type);
	/* Names that ascended as they were added are sorted and unique,
	 * and their sum is made: nothing to walk. */
	if (b->unordered[type]) {
		struct xds_set_iter it;
		const struct xds_resource *r;

		builder_sort(b, type, b->prev != NULL ?
		    &b->prev->types[type] : NULL);
		sum = 0;
		xds_set_iter_init(&it, set, 0);
		while ((r = xds_set_iter_next(&it)) != NULL)
			sum += r->entry;
	} else {
		sum = b->sum[type];
		set->as_put = true;
	}
	set->version = xds_entries_version(sum, set->n);
	hash_hex(set->version, set->version_hex);
}

/* The chunks the builder wrote, made read-only: what the next builder
 * needs to take one whole (its sum, whether its items are named only),
 * and no room kept beyond its items. */
static void
builder_seal(struct snapshot_builder *b, enum xds_type type)
{
	struct xds_resource_set *set = &b->snap->types[type];

	for (size_t j = 0; j < b->nmade[type]; j++) {
		size_t k = b->made[type][j];
		struct xds_chunk *c = set->chunks[k];
		uint64_t sum = 0;
		size_t named = 0;

		for (uint32_t i = 0; i < c->n; i++) {
			sum += c->v[i].entry;
			named += c->v[i].named_only;
		}
		c->sum = sum;
		c->named_only = named == 0 ? 0 : named == c->n ? 1 : 2;
		c->maker = NULL;
		if (c->n < c->cap) {
			c = xrealloc(c, sizeof *c + c->n * sizeof c->v[0]);
			c->cap = c->n;
			set->chunks[k] = c;
		}
	}
}

struct snapshot *
snapshot_builder_finish(struct snapshot_builder *b)
{
	struct snapshot *s = b->snap;

	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		resource_set_finish(b, (enum xds_type)t);
	resolve_uses(b);
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		builder_seal(b, (enum xds_type)t);
		free(b->made[t]);
	}
	free(b);
	return s;
}

struct snapshot *
snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
snapshot_unref(struct snapshot *s)
{
	if (s == NULL)
		return;
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		for (size_t k = 0; k < s->types[t].nchunks; k++)
			chunk_unref(s->types[t].chunks[k]);
		free(s->types[t].chunks);
		free(s->types[t].start);
	}
	for (size_t i = 0; i < s->nblobs; i++)
		xds_blob_unref(s->blobs[i]);
	free(s->blobs);
	for (size_t i = 0; i < s->ngateways; i++) {
		free(s->gateways[i].name);
		snapshot_unref(s->gateways[i].snap);
	}
	free(s->gateways);
	snapshot_unref(s->gateway_none);
	xds_keep_unref(s->keep);
	arena_free(&s->arena);
	free(s);
}

void
snapshot_add_gateway(struct snapshot *s, const char *name, struct snapshot *gw)
{
	size_t at = s->ngateways;

	s->gateways = xreallocarray(s->gateways, s->ngateways + 1,
	    sizeof s->gateways[0]);
	/* Kept sorted by name ("a-b/x" sorts before "a/x", unlike the
	 * DAG's namespace-then-name order). */
	while (at > 0 && strcmp(s->gateways[at - 1].name, name) > 0) {
		s->gateways[at] = s->gateways[at - 1];
		at--;
	}
	s->gateways[at].name = xstrdup(name);
	s->gateways[at].snap = gw;
	s->ngateways++;
}

void
snapshot_add_gateway_none(struct snapshot *s)
{
	if (s->gateway_none == NULL)
		s->gateway_none = snapshot_builder_finish(
		    snapshot_builder_new(s->revision));
}

static int
name_gateway_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct snapshot_gateway *)elem)->name);
}

struct snapshot *
snapshot_select(struct snapshot *s, const char *gateway)
{
	size_t i;

	if (s == NULL || gateway == NULL)
		return s;
	i = sorted_search(gateway, s->gateways, s->ngateways,
	    sizeof s->gateways[0], name_gateway_cmp);
	if (i < s->ngateways && strcmp(gateway, s->gateways[i].name) == 0)
		return s->gateways[i].snap;
	/* A Gateway that is not served gets nothing (SPEC.md §5a), never
	 * the default listeners; NULL (nothing to send) when the snapshot
	 * was made without one. */
	return s->gateway_none;
}

const struct xds_resource *
snapshot_find(const struct snapshot *s, enum xds_type type, const char *name)
{
	return xds_set_find(&s->types[type], name);
}
