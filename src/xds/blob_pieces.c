/* Blobs made of pieces (snapshot.h): a big resource whose bytes are
 * shared runs of other blobs, so a change to one run makes one new run,
 * not a new copy of the whole. Readers that need one run of bytes ask
 * xds_blob_flat, which makes it once per blob; the ADS encoder sends the
 * pieces as they are (src/ads/bodies.c). */
#include "xds/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

struct xds_blob *
xds_blob_new_pieces(const char *name, const uint8_t *head, size_t hlen,
    struct xds_blob *const *chunks, size_t n, uint64_t version)
{
	struct xds_blob *b = xds_blob_new(name, hlen);
	struct xds_pieces *p = xmalloc(sizeof *p + (n + 1) * sizeof p->v[0]);
	size_t total = hlen;

	memcpy(b->bytes, head, hlen);
	atomic_init(&p->flat, NULL);
	p->n = n + 1;
	p->v[0] = (struct xds_piece){ b->bytes, hlen, NULL };
	for (size_t i = 0; i < n; i++) {
		p->v[i + 1] = (struct xds_piece){ chunks[i]->bytes,
		    chunks[i]->len, xds_blob_ref(chunks[i]) };
		total += chunks[i]->len;
	}
	b->pieces = p;
	b->len = total;
	b->version = version;
	b->entry = xds_entry_hash(b->name, version);
	return b;
}

void
xds_pieces_free(struct xds_pieces *p)
{
	for (size_t i = 0; i < p->n; i++)
		xds_blob_unref(p->v[i].owner);
	free(atomic_load_explicit(&p->flat, memory_order_acquire));
	free(p);
}

size_t
xds_blob_npieces(const struct xds_blob *b)
{
	return b->pieces != NULL ? b->pieces->n : 1;
}

struct xds_piece
xds_blob_piece(const struct xds_blob *b, size_t i)
{
	if (b->pieces == NULL)
		return (struct xds_piece){ b->bytes, b->len, NULL };
	return b->pieces->v[i];
}

/* The pieces' bytes one after the other at out; returns their end. */
static uint8_t *
pieces_copy(const struct xds_pieces *p, uint8_t *out)
{
	for (size_t i = 0; i < p->n; i++) {
		memcpy(out, p->v[i].bytes, p->v[i].len);
		out += p->v[i].len;
	}
	return out;
}

const uint8_t *
xds_blob_flat(const struct xds_blob *b)
{
	struct xds_pieces *p = b->pieces;
	uint8_t *flat, *none = NULL;

	if (p == NULL)
		return b->bytes;
	if ((flat = atomic_load_explicit(&p->flat, memory_order_acquire)) != NULL)
		return flat;
	/* Two readers may both copy: the second frees its copy. */
	flat = xmalloc(b->len ? b->len : 1);
	pieces_copy(p, flat);
	if (!atomic_compare_exchange_strong_explicit(&p->flat, &none, flat,
	    memory_order_acq_rel, memory_order_acquire)) {
		free(flat);
		flat = none;
	}
	return flat;
}

const uint8_t *
xds_resource_bytes(const struct xds_resource *r)
{
	return r->pieced != NULL ? xds_blob_flat(r->pieced) : r->bytes;
}

uint8_t *
xds_resource_copy(const struct xds_resource *r, uint8_t *out)
{
	const struct xds_blob *b = r->pieced;

	if (b == NULL) {
		if (r->len > 0)
			memcpy(out, r->bytes, r->len);
		return out + r->len;
	}
	return pieces_copy(b->pieces, out);
}
