#include "xds/snapshot.h"

#include <malloc.h>
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

struct snapshot_builder {
	struct snapshot *snap;
	size_t cap[XDS_TYPE_COUNT];
	const struct snapshot *prev;
	struct pending_uses *uses;
	size_t nuses, capuses;
	uint64_t *use_hashes;
	size_t nuse_hashes, capuse_hashes;
	ptrdiff_t shift[XDS_TYPE_COUNT]; /* of the last item copied */
	/* Per type, kept as items are added: whether their names ascend so
	 * far (then finish neither sorts nor checks), the sum of their
	 * entries, and where the last one was in the previous snapshot
	 * (copied by snapshot_builder_lend_blob; SIZE_MAX: not). */
	bool unordered[XDS_TYPE_COUNT];
	uint64_t sum[XDS_TYPE_COUNT];
	size_t last_from[XDS_TYPE_COUNT];
};

/* Notes the item just added to type's set (from: its place in the
 * previous snapshot, or SIZE_MAX). Two items copied from ascending
 * places of the previous set (sorted, unique) ascend without a
 * compare. */
static void
builder_added(struct snapshot_builder *b, enum xds_type type, size_t from)
{
	const struct xds_resource_set *set = &b->snap->types[type];
	size_t n = set->n, last = b->last_from[type];

	b->sum[type] += set->items[n - 1].entry;
	b->last_from[type] = from;
	if (n < 2 || b->unordered[type])
		return;
	if (last != SIZE_MAX && from != SIZE_MAX && last < from)
		return;
	if (strcmp(set->items[n - 2].name, set->items[n - 1].name) >= 0)
		b->unordered[type] = true;
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
	struct xds_resource_set *set = &b->snap->types[type];
	struct xds_resource r = {
		.name = arena_strdup(&b->snap->arena, name),
		.version = hash_bytes(bytes, len),
		.bytes = arena_memdup(&b->snap->arena, bytes, len),
		.len = len,
		.named_only = named_only,
	};

	hash_hex(r.version, r.version_hex);
	r.entry = xds_entry_hash(r.name, r.version);
	ARRAY_PUSH(set->items, set->n, b->cap[type], r);
	builder_added(b, type, SIZE_MAX);
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
	struct xds_resource_set *set = &b->snap->types[type];
	struct xds_resource r = {
		.name = arena_strdup(&b->snap->arena, name),
		.version = hash_bytes(bytes, len),
		.bytes = bytes,
		.len = len,
		.named_only = named_only,
	};

	hash_hex(r.version, r.version_hex);
	r.entry = xds_entry_hash(r.name, r.version);
	ARRAY_PUSH(set->items, set->n, b->cap[type], r);
	builder_added(b, type, SIZE_MAX);
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

	memcpy(r.version_hex, blob->version_hex, sizeof r.version_hex);
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
	struct xds_resource_set *set = &s->types[type];
	struct xds_resource r = blob_item(blob, named_only);

	ARRAY_PUSH(s->blobs, s->nblobs, s->capblobs, blob);
	ARRAY_PUSH(set->items, set->n, b->cap[type], r);
	builder_added(b, type, SIZE_MAX);
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
    ptrdiff_t *shift)
{
	if (put >= ps->n + PREV_SHIFT_MAX)
		return SIZE_MAX;
	for (int k = -1; k <= 2 * PREV_SHIFT_MAX; k++) {
		ptrdiff_t d = k < 0 ? *shift : (k % 2 ? -(k + 1) / 2 : k / 2);
		size_t at = put + (size_t)d;

		if (at < ps->n && ps->items[at].bytes == bytes) {
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

/* Room in type's set for n more items. */
static void
builder_room(struct snapshot_builder *b, enum xds_type type, size_t n)
{
	struct xds_resource_set *set = &b->snap->types[type];

	if (set->n + n <= b->cap[type])
		return;
	b->cap[type] = b->cap[type] ? b->cap[type] * 2 : 16;
	if (b->cap[type] < set->n + n)
		b->cap[type] = set->n + n;
	set->items = xreallocarray(set->items, b->cap[type],
	    sizeof set->items[0]);
}

size_t
snapshot_builder_lend_blob(struct snapshot_builder *b, enum xds_type type,
    struct xds_blob *blob, bool named_only, struct xds_keep *keep,
    size_t prev_at)
{
	struct snapshot *s = b->snap;
	struct xds_resource_set *set = &s->types[type];
	const struct xds_resource_set *ps = b->prev != NULL &&
	    !b->prev->arena_endpoints ? &b->prev->types[type] : NULL;
	struct xds_resource *r;

	builder_keep(s, keep);
	builder_room(b, type, 1);
	r = &set->items[set->n];
	/* The last snapshot's item for the same blob (the same address:
	 * the memo holds the blob, so no other has it) says everything the
	 * blob's header would, from memory read in order; the blob itself
	 * is not touched. Its uses were the last snapshot's: resolved again
	 * at finish. */
	if (ps != NULL)
		prev_at = prev_item(ps, prev_at, blob->bytes, &b->shift[type]);
	else
		prev_at = SIZE_MAX;
	if (prev_at != SIZE_MAX) {
		*r = ps->items[prev_at];
		r->uses = NULL;
		r->nuses = 0;
		r->named_only = named_only;
		s->ncopied++;
	} else {
		*r = blob_item(blob, named_only);
	}
	s->nlent++;
	set->n++;
	builder_added(b, type, prev_at);
	return set->n - 1;
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
	uint64_t sum = 0;

	if (n == 0 || from == NULL || from != b->prev || from->arena_endpoints)
		return SIZE_MAX;
	ps = &from->types[type];
	if (prev_at > ps->n || n > ps->n - prev_at)
		return SIZE_MAX;
	builder_keep(s, keep);
	builder_room(b, type, n);
	/* What lend_blob copies item by item, in one pass: the run is a
	 * slice of a finished (sorted, unique) set, so it ascends, and its
	 * part of the type's sum is added as it is copied. */
	for (size_t i = 0; i < n; i++) {
		struct xds_resource *r = &set->items[put + i];

		*r = ps->items[prev_at + i];
		r->uses = NULL;
		r->nuses = 0;
		r->named_only = named_only;
		sum += r->entry;
	}
	set->n += n;
	b->sum[type] += sum;
	b->last_from[type] = prev_at + n - 1;
	s->nlent += n;
	s->ncopied += n;
	/* Only the first against the one before it (builder_added). */
	if (put > 0 && !b->unordered[type] &&
	    !(last != SIZE_MAX && last < prev_at) &&
	    strcmp(set->items[put - 1].name, set->items[put].name) >= 0)
		b->unordered[type] = true;
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

/* Sorts the set by name, keeping one of equal names. The translator
 * mostly emits in name order already: strictly ascending names are
 * sorted and unique, one compare each; up to 16 ascending runs are
 * merged; anything else is sorted. Most names are those of the last
 * snapshot's shared blobs (prev, sorted and unique: the very same
 * strings): two neighbours found in it in that order are ascending
 * without a compare. */
static void
resource_set_sort(struct xds_resource_set *set,
    const struct xds_resource_set *prev)
{
	size_t starts[17], nruns = 1, out = 0;
	size_t np = prev != NULL ? prev->n : 0, at = 0;
	struct xds_resource *tmp;
	bool dup = false, a_in = false;

	/* at: where in prev the next item is looked for (a few places on:
	 * resources removed since). a_in: item i - 1 is prev's at - 1. */
	if (set->n > 0 && np > 0 && prev->items[0].name == set->items[0].name) {
		a_in = true;
		at = 1;
	}
	starts[0] = 0;
	for (size_t i = 1; i < set->n; i++) {
		bool b_in = false;
		int c;

		for (size_t d = 0; d < 4 && at + d < np; d++)
			if (prev->items[at + d].name == set->items[i].name) {
				b_in = true;
				at += d + 1;
				break;
			}
		c = a_in && b_in ? -1 :
		    strcmp(set->items[i - 1].name, set->items[i].name);
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
		return;
	if (nruns > 16) {
		qsort(set->items, set->n, sizeof set->items[0], resource_cmp);
		dup = true;
	} else {
		/* Pairwise: runs k and k + 1, then the results. */
		tmp = xreallocarray(NULL, set->n, sizeof *tmp);
		starts[nruns] = set->n;
		while (nruns > 1) {
			size_t m = 0;

			for (size_t k = 0; k < nruns; k += 2) {
				size_t a = starts[k], b = starts[k + 1];

				if (k + 1 == nruns)
					memcpy(tmp + a, set->items + a,
					    (b - a) * sizeof *tmp);
				else
					merge_runs(set->items + a, b - a,
					    set->items + b, starts[k + 2] - b,
					    tmp + a, &dup);
				starts[m++] = a;
			}
			nruns = m;
			starts[nruns] = set->n;
			memcpy(set->items, tmp, set->n * sizeof *tmp);
		}
		free(tmp);
	}
	if (!dup)
		return;
	for (size_t i = 0; i < set->n; i++) {
		if (out > 0 && strcmp(set->items[out - 1].name,
		    set->items[i].name) == 0)
			continue; /* duplicate name: keep one */
		set->items[out++] = set->items[i];
	}
	set->n = out;
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

static int
pending_cmp(const void *a, const void *b)
{
	const struct pending_uses *x = *(const struct pending_uses *const *)a,
	    *y = *(const struct pending_uses *const *)b;

	return strcmp(x->name, y->name);
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

/* Attaches the recorded uses to the resources, each found by a search
 * from the last one found: the translator records each type's in name
 * order (what is not is sorted first). */
static void
resolve_uses(struct snapshot_builder *b)
{
	struct snapshot *s = b->snap;
	struct pending_uses **v = xcalloc(b->nuses + 1, sizeof *v);

	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const struct xds_resource_set *set = &s->types[t];
		size_t n = 0, at = 0;
		bool sorted = true;

		for (size_t i = 0; i < b->nuses; i++)
			if (b->uses[i].type == (enum xds_type)t)
				v[n++] = &b->uses[i];
		for (size_t i = 1; i < n && sorted; i++)
			sorted = strcmp(v[i - 1]->name, v[i]->name) <= 0;
		if (!sorted)
			qsort(v, n, sizeof *v, pending_cmp);
		for (size_t i = 0; i < n; i++) {
			const struct pending_uses *u = v[i];
			struct xds_resource *r;
			int c = 1;

			/* Searched, not walked: the uses are of a few
			 * resources (ingress_http, https/...) among many
			 * whose names would each be a cache miss. */
			at += lower_bound(set->items + at, set->n - at, u->name);
			if (at < set->n)
				c = strcmp(set->items[at].name, u->name);
			if (at == set->n || c != 0)
				continue; /* not in the snapshot */
			r = &set->items[at];
			if (u->endpoints != NULL && t == XDS_CLUSTER) {
				r->endpoints = arena_strdup(&s->arena, u->endpoints);
				s->arena_endpoints = true;
			}
			else if (u->shared != NULL && r->nuses == 0 &&
			    t != XDS_CLUSTER) {
				/* Held by the snapshot, not copied. */
				struct xds_blob *h = xds_blob_ref(
				    (struct xds_blob *)u->shared);

				ARRAY_PUSH(s->blobs, s->nblobs, s->capblobs, h);
				r->uses = (const uint64_t *)(const void *)h->bytes;
				r->nuses = u->n;
			} else if (u->shared != NULL && t != XDS_CLUSTER)
				merge_uses(s, r, (const uint64_t *)(const void *)
				    u->shared->bytes, u->n);
			else if (u->n > 0 && t != XDS_CLUSTER)
				merge_uses(s, r, b->use_hashes + u->off, u->n);
		}
	}
	free(v);
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

	if (set->n > 0) {
		set->items[set->n - 1].endpoints =
		    arena_strdup(&b->snap->arena, endpoints);
		b->snap->arena_endpoints = true;
	}
}

/* Each type's items array of a dead snapshot, kept for the next
 * builder: at 100,000 proxies the arrays are tens of MiB, and fresh
 * memory of that size is faulted in and cleared page by page on every
 * build. The snapshot before the last one is usually gone by the next
 * build. Any thread may free a snapshot. */
#define ITEMS_POOL_MIN ((size_t)64 << 10)
static _Atomic(struct xds_resource *) items_pool[XDS_TYPE_COUNT];

static void
items_free(enum xds_type t, struct xds_resource *items)
{
	if (items != NULL && malloc_usable_size(items) >= ITEMS_POOL_MIN)
		items = atomic_exchange_explicit(&items_pool[t], items,
		    memory_order_acq_rel);
	free(items);
}

/* Room for as many resources as prev holds: a snapshot mostly repeats
 * the last one, and growing its arrays by doubling copies them again and
 * again. */
static void
builder_reserve(struct snapshot_builder *b, const struct snapshot *prev)
{
	struct snapshot *s = b->snap;

	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		struct xds_resource_set *set = &s->types[t];
		size_t want = prev->types[t].n + 16;
		struct xds_resource *p;

		if (b->cap[t] >= want)
			continue;
		if (set->n == 0 && want * sizeof *p >= ITEMS_POOL_MIN &&
		    (p = atomic_exchange_explicit(&items_pool[t], NULL,
		    memory_order_acq_rel)) != NULL) {
			size_t cap = malloc_usable_size(p) / sizeof *p;

			if (cap >= want) {
				free(set->items);
				set->items = p;
				b->cap[t] = cap;
				continue;
			}
			free(p);
		}
		set->items = xreallocarray(set->items, want, sizeof set->items[0]);
		b->cap[t] = want;
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
resource_set_finish(struct xds_resource_set *set,
    const struct xds_resource_set *prev, bool unordered, uint64_t sum)
{
	/* Names that ascended as they were added are sorted and unique,
	 * and their sum is made: nothing to walk. */
	if (unordered) {
		resource_set_sort(set, prev);
		sum = 0;
		for (size_t i = 0; i < set->n; i++)
			sum += set->items[i].entry;
	}
	set->version = xds_entries_version(sum, set->n);
	hash_hex(set->version, set->version_hex);
}

struct snapshot *
snapshot_builder_finish(struct snapshot_builder *b)
{
	struct snapshot *s = b->snap;

	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		resource_set_finish(&s->types[t],
		    b->prev != NULL ? &b->prev->types[t] : NULL,
		    b->unordered[t], b->sum[t]);
	resolve_uses(b);
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
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		items_free((enum xds_type)t, s->types[t].items);
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
	const struct xds_resource_set *set = &s->types[type];
	size_t i = lower_bound(set->items, set->n, name);

	if (i < set->n && strcmp(name, set->items[i].name) == 0)
		return &set->items[i];
	return NULL;
}
