/* The shared body cache of src/ads/bodies.h: a small array searched
 * linearly (a publish makes a handful of distinct bodies: one per type and
 * distinct subscription), under one mutex. A body is encoded under the
 * mutex, so streams asking for it at the same time wait for one encoding
 * instead of each making their own. */
#include "ads/bodies.h"

#include <stdlib.h>
#include <string.h>

#include "ads/protocol.h"
#include "util/hash.h"
#include "util/xalloc.h"

/* The body being gathered on this thread (ads_body_get_slices):
 * ads_put_pieces notes each shared piece where it goes instead of
 * copying it. */
struct gather {
	const uint8_t *base;
	struct gather_cut {
		size_t at; /* offset in the written bytes */
		struct xds_piece piece;
	} *cuts;
	size_t n, cap;
};

static _Thread_local struct gather *gathering;

void
ads_body_cache_init(struct ads_body_cache *c)
{
	memset(c, 0, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
}

/* Called with c->mu held. */
static void
clear_locked(struct ads_body_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		grpc_slice_unref(c->v[i].slice);
		for (size_t k = 0; k < c->v[i].nslices; k++)
			grpc_slice_unref(c->v[i].slices[k]);
		free(c->v[i].slices);
	}
	c->n = 0;
	c->bytes = 0;
}

void
ads_body_cache_clear(struct ads_body_cache *c)
{
	pthread_mutex_lock(&c->mu);
	clear_locked(c);
	pthread_mutex_unlock(&c->mu);
}

size_t
ads_body_cache_release(struct ads_body_cache *c)
{
	size_t bytes;

	pthread_mutex_lock(&c->mu);
	bytes = c->bytes;
	clear_locked(c);
	free(c->v);
	c->v = NULL;
	c->cap = 0;
	c->released += bytes;
	pthread_mutex_unlock(&c->mu);
	return bytes;
}

void
ads_body_cache_destroy(struct ads_body_cache *c)
{
	ads_body_cache_clear(c);
	free(c->v);
	pthread_mutex_destroy(&c->mu);
	memset(c, 0, sizeof *c);
}

uint64_t
ads_body_key(int protocol, int type, uint64_t set_hash)
{
	uint64_t k[3] = { (uint64_t)protocol, (uint64_t)type, set_hash };

	return hash_bytes(k, sizeof k);
}

/* A new entry of `written` bytes of the cache's own (the slices' other
 * bytes are the snapshot's), the cache cleared first when it is full;
 * NULL when the body is too big to keep. Called with c->mu held. */
static struct ads_body *
cache_slot_locked(struct ads_body_cache *c, size_t written)
{
	if (written > ADS_BODY_CACHE_MAX_BYTES)
		return NULL;
	if (c->n == ADS_BODY_CACHE_MAX_ENTRIES ||
	    c->bytes + written > ADS_BODY_CACHE_MAX_BYTES)
		clear_locked(c); /* rare: many distinct sets since the publish */
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->bytes += written;
	return &c->v[c->n++];
}

/* A body not found in the cache: encoded into one slice and kept.
 * Called with c->mu held. */
static grpc_slice
encode_one_locked(struct ads_body_cache *c, uint64_t key, size_t len,
    ads_body_encoder encode, const void *response)
{
	grpc_slice s = grpc_slice_malloc(len);
	struct ads_body *e;

	c->misses++;
	encode(response, GRPC_SLICE_START_PTR(s));
	if ((e = cache_slot_locked(c, len)) != NULL)
		*e = (struct ads_body){ key, grpc_slice_ref(s), NULL, 0, len };
	return s;
}

grpc_slice
ads_body_get(struct ads_body_cache *c, uint64_t key, size_t len,
    ads_body_encoder encode, const void *response)
{
	grpc_slice s;

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].key == key && c->v[i].nslices == 0 &&
		    GRPC_SLICE_LENGTH(c->v[i].slice) == len) {
			c->hits++;
			s = grpc_slice_ref(c->v[i].slice);
			pthread_mutex_unlock(&c->mu);
			return s;
		}
	}
	s = encode_one_locked(c, key, len, encode, response);
	pthread_mutex_unlock(&c->mu);
	return s;
}

uint8_t *
ads_put_pieces(uint8_t *p, const struct xds_resource *r)
{
	const struct xds_blob *b = r->pieced;
	struct gather *g = gathering;

	*p++ = ADS_TAG_LEN(2);
	p = ads_put_varint(p, r->len);
	for (size_t i = 0; i < xds_blob_npieces(b); i++) {
		struct xds_piece pc = xds_blob_piece(b, i);

		if (g != NULL && pc.owner != NULL) {
			if (g->n == g->cap) {
				g->cap = g->cap ? g->cap * 2 : 64;
				g->cuts = xreallocarray(g->cuts, g->cap,
				    sizeof *g->cuts);
			}
			g->cuts[g->n++] = (struct gather_cut){
				(size_t)(p - g->base), pc };
			continue;
		}
		memcpy(p, pc.bytes, pc.len);
		p += pc.len;
	}
	return p;
}

size_t
ads_body_shared_len(const struct xds_resource *const *items, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		const struct xds_blob *b = items[i]->pieced;

		for (size_t k = 0; b != NULL && k < xds_blob_npieces(b); k++) {
			struct xds_piece pc = xds_blob_piece(b, k);

			if (pc.owner != NULL)
				len += pc.len;
		}
	}
	return len;
}

static void
piece_unref(void *blob)
{
	xds_blob_unref(blob);
}

static void
slices_push(grpc_slice **v, size_t *n, size_t *cap, grpc_slice s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = s;
}

/* Encodes the body with its shared pieces left out, then cuts the
 * written bytes where they go: the slices in order, one reference each. */
static grpc_slice *
gather_encode(size_t flat_len, ads_body_encoder encode,
    const void *response, size_t *nout)
{
	grpc_slice flat = grpc_slice_malloc(flat_len), *v = NULL;
	struct gather g = { GRPC_SLICE_START_PTR(flat), NULL, 0, 0 };
	size_t n = 0, cap = 0, at = 0;

	gathering = &g;
	encode(response, GRPC_SLICE_START_PTR(flat));
	gathering = NULL;
	for (size_t i = 0; i < g.n; i++) {
		const struct xds_piece *pc = &g.cuts[i].piece;

		if (g.cuts[i].at > at)
			slices_push(&v, &n, &cap, grpc_slice_sub(flat, at,
			    g.cuts[i].at));
		at = g.cuts[i].at;
		xds_blob_ref(pc->owner);
		slices_push(&v, &n, &cap, grpc_slice_new_with_user_data(
		    (void *)pc->bytes, pc->len, piece_unref, pc->owner));
	}
	if (flat_len > at)
		slices_push(&v, &n, &cap, grpc_slice_sub(flat, at, flat_len));
	grpc_slice_unref(flat);
	free(g.cuts);
	*nout = n;
	return v;
}

/* Adds an entry of n slices (references taken) under key. Called with
 * c->mu held. */
static void
cache_put_locked(struct ads_body_cache *c, uint64_t key, size_t len,
    size_t written, const grpc_slice *v, size_t n)
{
	struct ads_body *e = cache_slot_locked(c, written);

	if (e == NULL)
		return;
	*e = (struct ads_body){ key, grpc_empty_slice(), NULL, n, len };
	e->slices = xreallocarray(NULL, n, sizeof *e->slices);
	for (size_t i = 0; i < n; i++)
		e->slices[i] = grpc_slice_ref(v[i]);
}

void
ads_body_get_slices(struct ads_body_cache *c, uint64_t key, size_t len,
    ads_body_encoder encode, ads_body_shared_fn shared, const void *response,
    grpc_slice **out, size_t *nout)
{
	const struct ads_body *e = NULL;
	grpc_slice *v;
	size_t n, sh;

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n && e == NULL; i++)
		if (c->v[i].key == key && (c->v[i].nslices > 0 ?
		    c->v[i].len == len :
		    GRPC_SLICE_LENGTH(c->v[i].slice) == len))
			e = &c->v[i];
	if (e != NULL) {
		c->hits++;
		n = e->nslices > 0 ? e->nslices : 1;
		v = xreallocarray(NULL, n, sizeof *v);
		for (size_t i = 0; i < n; i++)
			v[i] = grpc_slice_ref(e->nslices > 0 ? e->slices[i] :
			    e->slice);
		pthread_mutex_unlock(&c->mu);
		*out = v;
		*nout = n;
		return;
	}
	if ((sh = shared(response)) == 0) {
		v = xmalloc(sizeof *v);
		v[0] = encode_one_locked(c, key, len, encode, response);
		pthread_mutex_unlock(&c->mu);
		*out = v;
		*nout = 1;
		return;
	}
	c->misses++;
	v = gather_encode(len - sh, encode, response, &n);
	cache_put_locked(c, key, len, len - sh, v, n);
	pthread_mutex_unlock(&c->mu);
	*out = v;
	*nout = n;
}
