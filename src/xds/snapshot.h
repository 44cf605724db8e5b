/* An immutable, refcounted set of serialized Envoy resources: what every
 * ADS stream serves from. Built once per change by the watch thread,
 * shared read-only by every stream. */
#ifndef CAIRN_XDS_SNAPSHOT_H
#define CAIRN_XDS_SNAPSHOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

/* In make-before-break push order: SDS, CDS, EDS, LDS, RDS. */
enum xds_type {
	XDS_SECRET,
	XDS_CLUSTER,
	XDS_ENDPOINT,
	XDS_LISTENER,
	XDS_ROUTE,
	XDS_TYPE_COUNT,
};

struct xds_resource {
	const char *name;
	/* Hash of bytes. Its 16 hex digits (a delta response's resource
	 * version, the admin's status) are made where they are written,
	 * hash_hex: kept beside it they took 24 of the item's bytes, in
	 * every slot of every chunk (docs/performance.md, branch
	 * h-memstate). */
	uint64_t version;
	const uint8_t *bytes; /* the serialized resource (not wrapped in Any) */
	size_t len;
	/* What the warming gate (SPEC §8, src/ads/warming.h) needs, set at
	 * translation. A Listener or RouteConfiguration: the clusters it
	 * sends traffic to, as xds_name_hash() of their names (unique,
	 * ascending; a hash keeps a large ingress_http's list cheap to make
	 * and to hold). An EDS Cluster: its ClusterLoadAssignment's name. */
	const uint64_t *uses;
	uint32_t nuses; /* clusters of one resource: far below 2^32 */
	bool named_only; /* proxyless api_listener: never sent under wildcard */
	const char *endpoints; /* NULL: not an EDS cluster */
	/* Appended: xds_entry_hash(name, version), what a type version
	 * sums (xds_entries_version). */
	uint64_t entry;
	/* Appended: the blob whose pieces the bytes are (xds_blob_new_pieces),
	 * with bytes NULL; read them through xds_resource_bytes (a
	 * contiguous view) or xds_blob_piece. NULL: bytes holds them. */
	const struct xds_blob *pieced;
};

/* A block of consecutive items of a set, shared by reference count
 * between the snapshots whose sets hold it (snapshots die on any
 * thread); no item is written once the snapshot that made it is
 * finished. Holds no reference on what its items point to: a chunk is
 * shared only when every item's blob lives as long as the snapshot that
 * takes it does (the memo's, snapshot_builder_lend_run), and never when
 * an item points into its snapshot's own memory (own > 0: uses,
 * endpoints). */
struct xds_chunk {
	atomic_uint refs;
	uint32_t n, cap;
	uint32_t own; /* items pointing into the maker's memory */
	uint8_t named_only; /* at seal: 0 none, 1 all, 2 some */
	const void *maker; /* the builder writing it; NULL once sealed */
	uint64_t sum; /* of the items' entries, at seal */
	struct xds_resource v[];
};

/* A type's resources, sorted by name, names unique: n items in nchunks
 * chunks, chunk k holding items start[k] .. start[k] + chunks[k]->n.
 * Read through xds_set_at, struct xds_set_iter and xds_set_find. */
struct xds_resource_set {
	struct xds_chunk **chunks;
	size_t *start;
	size_t nchunks;
	size_t n;
	uint64_t version; /* xds_entries_version of the items */
	char version_hex[17];
	/* Every item is where the builder put it (the index its add
	 * returned): the set was not sorted at finish. */
	bool as_put;
};

/* Item i < set->n: a search over the chunks' starts. */
const struct xds_resource *xds_set_at(const struct xds_resource_set *set,
    size_t i);
/* The same for reads that move forward through a set: *hint (a chunk
 * index, 0 to start) and the chunk after it are tried before the search,
 * and *hint is left at item i's chunk. */
const struct xds_resource *xds_set_at_hint(const struct xds_resource_set *set,
    size_t i, size_t *hint);
/* The first index whose name is not below name (set->n: none), by a
 * search over the chunks' first names and then inside one. */
size_t xds_set_lower_bound(const struct xds_resource_set *set,
    const char *name);
/* The item named name, or NULL (set may be NULL). */
const struct xds_resource *xds_set_find(const struct xds_resource_set *set,
    const char *name);

/* The items of a set in order from some index, one chunk at a time:
 *   struct xds_set_iter it;
 *   xds_set_iter_init(&it, set, 0);
 *   while ((r = xds_set_iter_next(&it)) != NULL) ...
 * Two sets walked side by side may skip a chunk both hold at the same
 * place (xds_set_iter_same_chunk): its items are the same. */
struct xds_set_iter {
	const struct xds_resource_set *set;
	size_t chunk, off;
};
void xds_set_iter_init(struct xds_set_iter *it,
    const struct xds_resource_set *set, size_t from);
/* The next item without moving on (NULL: at the end). */
static inline const struct xds_resource *
xds_set_iter_peek(struct xds_set_iter *it)
{
	const struct xds_resource_set *set = it->set;

	while (it->chunk < set->nchunks &&
	    it->off >= set->chunks[it->chunk]->n) {
		it->chunk++;
		it->off = 0;
	}
	if (it->chunk >= set->nchunks)
		return NULL;
	return &set->chunks[it->chunk]->v[it->off];
}
static inline const struct xds_resource *
xds_set_iter_next(struct xds_set_iter *it)
{
	const struct xds_resource *r = xds_set_iter_peek(it);

	if (r != NULL)
		it->off++;
	return r;
}
/* When a and b are both at the start of the same chunk: its item count
 * (both then moved past it); else 0. */
static inline size_t
xds_set_iter_same_chunk(struct xds_set_iter *a, struct xds_set_iter *b)
{
	const struct xds_chunk *c;

	if (xds_set_iter_peek(a) == NULL || xds_set_iter_peek(b) == NULL ||
	    a->off != 0 || b->off != 0 ||
	    (c = a->set->chunks[a->chunk]) != b->set->chunks[b->chunk])
		return 0;
	a->chunk++;
	b->chunk++;
	return c->n;
}

/* One serialized resource that several snapshots (and the translator's
 * cache, xds/memo.c) share: immutable once made, refcounted
 * (snapshots die on any thread). */
struct xds_blob {
	atomic_uint refs;
	uint64_t version; /* hash of bytes (no hex copy: see xds_resource) */
	const char *name; /* in the same allocation */
	size_t len;
	uint64_t entry; /* xds_entry_hash(name, version), set when sealed */
	/* An EDS Cluster's ClusterLoadAssignment (xds_resource.endpoints),
	 * after the name in the same allocation; NULL: none. */
	const char *endpoints;
	/* Added: a blob made of pieces (xds_blob_new_pieces), NULL for one
	 * whose bytes are all in bytes[]. */
	struct xds_pieces *pieces;
	uint8_t bytes[];
};

/* One piece of a blob's bytes: borrowed from the blob, which holds a
 * reference on owner (NULL: the bytes are the blob's own bytes[]). */
struct xds_piece {
	const uint8_t *bytes;
	size_t len;
	struct xds_blob *owner;
};

struct xds_pieces {
	_Atomic(uint8_t *) flat; /* xds_blob_flat's view, made once */
	size_t n;
	struct xds_piece v[];
};

/* One resource's part of a type version: a hash of its name and its
 * version. */
uint64_t xds_entry_hash(const char *name, uint64_t version);
/* The version of a set of resources, from the sum of their entry hashes
 * and their count: the same for the same (name, version) pairs in any
 * order, so a set's version can be made without reading its names, and a
 * selection's (src/ads/protocol.c) agrees with the whole set's. */
uint64_t xds_entries_version(uint64_t sum, size_t n);

/* A blob of len bytes for name, refs = 1: fill bytes (up to len), then
 * xds_blob_seal with the length written, which sets the version. */
struct xds_blob *xds_blob_new(const char *name, size_t len);
/* The same for an EDS Cluster that loads endpoints (NULL: none), which
 * every snapshot given the blob then says without a copy. */
struct xds_blob *xds_blob_new_endpoints(const char *name,
    const char *endpoints, size_t len);
void xds_blob_seal(struct xds_blob *b, size_t len);
struct xds_blob *xds_blob_ref(struct xds_blob *b);
void xds_blob_unref(struct xds_blob *b);

/* Blobs made of pieces (src/xds/blob_pieces.c): a resource whose bytes
 * are head (copied into the blob), then the bytes of each of chunks in
 * order (a reference taken on each, no copy). version: the caller's,
 * which must change when the bytes do and be the same for the same bytes
 * made the same way (docs/decisions.md: ingress_http in chunks). */
struct xds_blob *xds_blob_new_pieces(const char *name, const uint8_t *head,
    size_t hlen, struct xds_blob *const *chunks, size_t n, uint64_t version);
/* How many pieces b's bytes are in (1 for an ordinary blob), and the
 * i-th (borrowed from b). */
size_t xds_blob_npieces(const struct xds_blob *b);
struct xds_piece xds_blob_piece(const struct xds_blob *b, size_t i);
/* b's bytes in one run: its own bytes, or for a blob of pieces a copy
 * made when first asked for and kept as long as b (any thread). */
const uint8_t *xds_blob_flat(const struct xds_blob *b);
/* A resource's bytes in one run (xds_blob_flat for a pieced one). */
const uint8_t *xds_resource_bytes(const struct xds_resource *r);
/* Copies r's bytes (r->len of them) to out; returns out + r->len. */
uint8_t *xds_resource_copy(const struct xds_resource *r, uint8_t *out);
/* Frees what xds_blob_new_pieces added (blob_free, snapshot.c). */
void xds_pieces_free(struct xds_pieces *p);

/* What lets a snapshot lend a blob instead of holding a reference on
 * it. A translation memo (xds/memo_store.c) keeps the blobs its last
 * translation used; a snapshot built from it lends them, and every
 * reference the memo lets go of later is retired into the memo's open
 * keep instead of dropped. Each snapshot holds the keep that was open
 * when it was built, and each keep the next one opened, so a blob lives
 * while any snapshot that lent it does (snapshots die on any thread),
 * without a reference counted per blob per build. */
struct xds_keep;
/* A new open keep (refs = 1). */
struct xds_keep *xds_keep_new(void);
/* Drops b's reference once no snapshot holds k or an older keep
 * (takes the reference; NULL is nothing). The owner's thread only, on
 * its open keep. */
void xds_keep_retire(struct xds_keep *k, struct xds_blob *b);
/* Closes k: the next keep, which k holds, is returned with the caller's
 * reference, and the caller's reference on k is dropped. */
struct xds_keep *xds_keep_next(struct xds_keep *k);
struct xds_keep *xds_keep_ref(struct xds_keep *k);
void xds_keep_unref(struct xds_keep *k);
/* Blobs waiting in k and in every newer keep (tests and stats). */
size_t xds_keep_pending(const struct xds_keep *k);

struct snapshot {
	atomic_int refs;
	uint64_t serial; /* increases with every published snapshot */
	const char *revision; /* source revision it was built from */
	struct xds_resource_set types[XDS_TYPE_COUNT];
	struct arena arena; /* owns everything above */
	struct xds_blob **blobs; /* resources it holds a reference on */
	size_t nblobs, capblobs;
	/* Appended: Gateway API (SPEC.md §5a). What a node naming Gateway
	 * "<ns>/<name>" in its metadata gets, sorted by name, each a
	 * reference; gateway_none for a Gateway that is not served. */
	struct snapshot_gateway *gateways;
	size_t ngateways;
	struct snapshot *gateway_none;
	/* Appended: the keep of the memo whose blobs it lends (xds_keep),
	 * one reference; NULL when it lends none. */
	struct xds_keep *keep;
	/* Appended: some endpoints are copies in the arena
	 * (snapshot_builder_set_endpoints), so its items are not copied by
	 * a next builder's snapshot_builder_lend_blob. */
	bool arena_endpoints;
	/* Appended (stats, tests): resources lent, and of those copied
	 * from the previous snapshot's item (or taken in its chunks). */
	size_t nlent, ncopied;
	/* Appended: some items' names or bytes are in the arena
	 * (snapshot_builder_add, _add_nocopy): a next builder takes none of
	 * its chunks. */
	bool arena_items;
	/* Appended (stats, tests): chunks taken from the previous snapshot
	 * by reference, and the items in them (not copied). */
	size_t nshared_chunks, nshared;
};

struct snapshot_gateway {
	char *name; /* "<namespace>/<name>" */
	struct snapshot *snap;
};

/* Attach the snapshot of Gateway name (takes the reference gw). Before
 * s is published only. */
void snapshot_add_gateway(struct snapshot *s, const char *name,
    struct snapshot *gw);
/* What a node naming a Gateway that is not served gets: an empty
 * snapshot of s's revision (made once, before s is published). */
void snapshot_add_gateway_none(struct snapshot *s);
/* What a node naming gateway (NULL: none) gets: s itself, one of its
 * Gateways' snapshots, or its empty one (borrowed, lives as long as s). */
struct snapshot *snapshot_select(struct snapshot *s, const char *gateway);

const char *xds_type_url(enum xds_type type);
const char *xds_type_short(enum xds_type type); /* "lds", "cds", ... */
/* Returns -1 for an unknown type URL. */
int xds_type_from_url(const char *url, enum xds_type *out);

/* Building: add resources (bytes are copied), then finish. */
struct snapshot_builder;
struct snapshot_builder *snapshot_builder_new(const char *revision);
void snapshot_builder_add(struct snapshot_builder *b, enum xds_type type,
    const char *name, const void *bytes, size_t len, bool named_only);
/* Without copying: bytes were allocated by snapshot_builder_alloc
 * (serialize straight into the snapshot instead of serializing and
 * copying). */
void *snapshot_builder_alloc(struct snapshot_builder *b, size_t len);
void snapshot_builder_add_nocopy(struct snapshot_builder *b, enum xds_type type,
    const char *name, const void *bytes, size_t len, bool named_only);
/* A shared resource (takes a reference): no copy, no hashing. */
void snapshot_builder_add_blob(struct snapshot_builder *b, enum xds_type type,
    struct xds_blob *blob, bool named_only);
/* The same, with the caller's reference handed to the snapshot. */
void snapshot_builder_give_blob(struct snapshot_builder *b, enum xds_type type,
    struct xds_blob *blob, bool named_only);
/* The same, lent: no reference is taken; blob must live as long as
 * keep's chain does (blobs the owner of keep holds, retiring them into
 * it). The snapshot holds a reference on keep (one keep per builder).
 * prev_at: where the builder of the previous snapshot
 * (snapshot_builder_set_previous) put blob, or SIZE_MAX: when the item of
 * the same blob is there or a few places off (sorting moved it), it is
 * copied from that set without reading the blob. Returns where
 * it was put, what the next build may pass as prev_at. */
size_t snapshot_builder_lend_blob(struct snapshot_builder *b,
    enum xds_type type, struct xds_blob *blob, bool named_only,
    struct xds_keep *keep, size_t prev_at);
/* A run of the previous snapshot's items lent as a block: items
 * prev_at .. prev_at + n of its set of type, which must be blobs that
 * keep's owner still holds, appended in that order with named_only and
 * their uses resolved again at finish (as snapshot_builder_lend_blob
 * would append each). from must be the builder's previous snapshot, whose
 * endpoints are all its blobs'. Returns where the first was put, or
 * SIZE_MAX (nothing added) when from cannot be copied from. */
size_t snapshot_builder_lend_run(struct snapshot_builder *b,
    enum xds_type type, const struct snapshot *from, size_t prev_at,
    size_t n, bool named_only, struct xds_keep *keep);
/* The hash naming a cluster in xds_resource.uses. */
uint64_t xds_name_hash(const char *name);
/* Records that the Listener or RouteConfiguration (type, name) sends
 * traffic to the clusters whose xds_name_hash()es are hashes (any order,
 * repeats allowed; a second call for the same resource adds to the
 * first). Resolved by snapshot_builder_finish: nothing for a resource the
 * snapshot does not hold. */
void snapshot_builder_add_uses(struct snapshot_builder *b, enum xds_type type,
    const char *name, const uint64_t *hashes, size_t n);
/* The same with hashes already ascending and unique, shared: the bytes of
 * hashes (uint64_t each), which the snapshot holds a reference on instead
 * of a copy when the resource has no other uses (borrowed until finish).
 * A resource's uses are in ascending order either way. */
void snapshot_builder_share_uses(struct snapshot_builder *b,
    enum xds_type type, const char *name, const struct xds_blob *hashes);
/* Records that the EDS Cluster name loads its endpoints from the
 * ClusterLoadAssignment endpoints (both borrowed until finish, which
 * copies endpoints into the snapshot). */
void snapshot_builder_set_endpoints(struct snapshot_builder *b,
    const char *name, const char *endpoints);
/* How many resources of type were added so far. */
size_t snapshot_builder_count(const struct snapshot_builder *b,
    enum xds_type type);
/* The same for the Cluster added last (the copy is the snapshot's): set
 * as it is added, nothing to find at finish. */
void snapshot_builder_set_last_endpoints(struct snapshot_builder *b,
    const char *endpoints);
/* The snapshot this one most likely repeats in part (borrowed until
 * finish): its names found in the same order need no compare when
 * sorting, and the builder makes room for its sizes at once. */
void snapshot_builder_set_previous(struct snapshot_builder *b,
    const struct snapshot *prev);
/* Sorts, versions and returns the snapshot (refs = 1); frees b. A name
 * must not be added twice (the translator guarantees unique names). */
struct snapshot *snapshot_builder_finish(struct snapshot_builder *b);

struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);
/* Borrowed pointer into s, or NULL. */
const struct xds_resource *snapshot_find(const struct snapshot *s,
    enum xds_type type, const char *name);

#endif
