/* Serialized resources (struct xds_blob): made, sealed with their
 * version, shared by reference between the translator's cache and the
 * snapshots; and the keep chain that holds the blobs lent to snapshots
 * until no snapshot that could read them is left (snapshot.h). */
#include "xds/snapshot.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

/* One big blob's memory kept for the next: a big resource made anew on
 * a change (a RouteConfiguration in one piece) would otherwise be
 * faulted in page by page; the last one's memory is free by then (the
 * snapshot before the current one is gone). Any thread may free a
 * blob. */
#define BLOB_POOL_MIN ((size_t)1 << 20)
static _Atomic(struct xds_blob *) blob_pool;

static void
blob_free(struct xds_blob *b)
{
	if (b->pieces != NULL) {
		xds_pieces_free(b->pieces);
		b->pieces = NULL;
	}
	if (malloc_usable_size(b) >= BLOB_POOL_MIN)
		b = atomic_exchange_explicit(&blob_pool, b, memory_order_acq_rel);
	free(b);
}

struct xds_blob *
xds_blob_new(const char *name, size_t len)
{
	return xds_blob_new_endpoints(name, NULL, len);
}

struct xds_blob *
xds_blob_new_endpoints(const char *name, const char *endpoints, size_t len)
{
	size_t nlen = strlen(name) + 1;
	size_t elen = endpoints != NULL ? strlen(endpoints) + 1 : 0;
	size_t size = sizeof(struct xds_blob) + len + nlen + elen;
	struct xds_blob *b = NULL;

	if (size >= BLOB_POOL_MIN &&
	    (b = atomic_exchange_explicit(&blob_pool, NULL,
	    memory_order_acq_rel)) != NULL && malloc_usable_size(b) < size) {
		free(b);
		b = NULL;
	}
	if (b == NULL)
		b = xmalloc(size);

	atomic_init(&b->refs, 1);
	b->len = len;
	b->version = 0;
	b->entry = 0;
	memcpy(b->bytes + len, name, nlen);
	b->name = (const char *)b->bytes + len;
	b->endpoints = NULL;
	b->pieces = NULL;
	if (endpoints != NULL) {
		memcpy(b->bytes + len + nlen, endpoints, elen);
		b->endpoints = (const char *)b->bytes + len + nlen;
	}
	return b;
}

void
xds_blob_seal(struct xds_blob *b, size_t len)
{
	if (len < b->len) {
		/* The name (and the endpoints) follow the bytes: move them
		 * up. */
		size_t nlen = strlen(b->name) + 1;
		size_t elen = b->endpoints != NULL ? strlen(b->endpoints) + 1 : 0;

		memmove(b->bytes + len, b->name, nlen + elen);
		b->name = (const char *)b->bytes + len;
		if (b->endpoints != NULL)
			b->endpoints = b->name + nlen;
		b->len = len;
	}
	b->version = hash_bytes(b->bytes, b->len);
	b->entry = xds_entry_hash(b->name, b->version);
}

uint64_t
xds_entry_hash(const char *name, uint64_t version)
{
	return hash_bytes_seeded(name, strlen(name) + 1, version);
}

uint64_t
xds_entries_version(uint64_t sum, size_t n)
{
	uint64_t v[2] = { sum, (uint64_t)n };

	return hash_bytes(v, sizeof v);
}

struct xds_blob *
xds_blob_ref(struct xds_blob *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void
xds_blob_unref(struct xds_blob *b)
{
	if (b != NULL &&
	    atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		blob_free(b);
}

struct xds_keep {
	atomic_uint refs;
	struct xds_keep *newer; /* one reference, or NULL while open */
	struct xds_blob **blobs; /* one reference each */
	size_t n, cap;
};

struct xds_keep *
xds_keep_new(void)
{
	struct xds_keep *k = xcalloc(1, sizeof *k);

	atomic_init(&k->refs, 1);
	return k;
}

void
xds_keep_retire(struct xds_keep *k, struct xds_blob *b)
{
	if (b == NULL)
		return;
	if (k == NULL) {
		xds_blob_unref(b);
		return;
	}
	ARRAY_PUSH(k->blobs, k->n, k->cap, b);
}

struct xds_keep *
xds_keep_next(struct xds_keep *k)
{
	struct xds_keep *next = xds_keep_new();

	if (k != NULL) {
		k->newer = xds_keep_ref(next);
		xds_keep_unref(k);
	}
	return next;
}

struct xds_keep *
xds_keep_ref(struct xds_keep *k)
{
	atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
	return k;
}

/* A loop, not a recursion: a stalled stream's snapshot may hold a long
 * chain. */
void
xds_keep_unref(struct xds_keep *k)
{
	while (k != NULL &&
	    atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) == 1) {
		struct xds_keep *newer = k->newer;

		for (size_t i = 0; i < k->n; i++)
			xds_blob_unref(k->blobs[i]);
		free(k->blobs);
		free(k);
		k = newer;
	}
}

size_t
xds_keep_pending(const struct xds_keep *k)
{
	size_t n = 0;

	for (; k != NULL; k = k->newer)
		n += k->n;
	return n;
}
