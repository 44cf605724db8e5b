/* The shared body cache of src/ads/bodies.h: a small array searched
 * linearly (a publish makes a handful of distinct bodies: one per type and
 * distinct subscription), under one mutex. A body is encoded under the
 * mutex, so streams asking for it at the same time wait for one encoding
 * instead of each making their own. */
#include "ads/bodies.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

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
	for (size_t i = 0; i < c->n; i++)
		grpc_slice_unref(c->v[i].slice);
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

grpc_slice
ads_body_get(struct ads_body_cache *c, uint64_t key, size_t len,
    ads_body_encoder encode, const void *response)
{
	grpc_slice s;

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].key == key && GRPC_SLICE_LENGTH(c->v[i].slice) == len) {
			c->hits++;
			s = grpc_slice_ref(c->v[i].slice);
			pthread_mutex_unlock(&c->mu);
			return s;
		}
	}
	c->misses++;
	s = grpc_slice_malloc(len);
	encode(response, GRPC_SLICE_START_PTR(s));
	if (len <= ADS_BODY_CACHE_MAX_BYTES) {
		if (c->n == ADS_BODY_CACHE_MAX_ENTRIES ||
		    c->bytes + len > ADS_BODY_CACHE_MAX_BYTES)
			clear_locked(c); /* rare: many distinct sets since the publish */
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->v = xrealloc(c->v, c->cap * sizeof *c->v);
		}
		c->v[c->n++] = (struct ads_body){ key, grpc_slice_ref(s) };
		c->bytes += len;
	}
	pthread_mutex_unlock(&c->mu);
	return s;
}
