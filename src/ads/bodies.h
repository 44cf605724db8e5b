/* Encoded response bodies shared by streams. When a snapshot is published,
 * 1,000 Envoys of one fleet are sent the same resources (a 534 KiB
 * RouteConfiguration at 1,000 HTTPProxies, 5.2 MiB at 10,000): the body of
 * that response (resources and type_url, see sotw_response_encode_body)
 * is encoded once into a refcounted grpc slice, and every stream sends its
 * own small head (version, nonce) followed by that slice. grpc writes the
 * slices as they are, so the bytes in flight are one copy, not one per
 * stream.
 *
 * A body is known by a key: its protocol, type and the hash of its (name,
 * version) list, which determine the bytes. Entries live until the next
 * publish (ads_body_cache_clear), until the cache is full, which drops
 * them all, or until the sends of a burst are over
 * (ads_body_cache_release); sends still in flight keep their own
 * references. Thread-safe. Not for use outside src/ads/. */
#ifndef CAIRN_ADS_BODIES_H
#define CAIRN_ADS_BODIES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/slice.h>

#include "xds/snapshot.h"

/* Bodies below this are encoded per stream: not worth a lookup. */
#define ADS_BODY_SHARE_MIN 4096
/* Bounds of the cache (hostile clients can ask for many distinct sets). */
#define ADS_BODY_CACHE_MAX_BYTES (64u << 20)
#define ADS_BODY_CACHE_MAX_ENTRIES 256

struct ads_body {
	uint64_t key;
	grpc_slice slice;
	/* Appended: a gathered body (ads_body_get_slices), its slices in
	 * order and their length; nslices 0 for one in slice. */
	grpc_slice *slices;
	size_t nslices, len;
};

struct ads_body_cache {
	pthread_mutex_t mu;
	struct ads_body *v;
	size_t n, cap;
	size_t bytes;
	uint64_t hits, misses;
	uint64_t released; /* bytes let go by ads_body_cache_release */
};

/* Writes a body of exactly the length it was asked for into buf (the
 * length, or with buf NULL only returns it). */
typedef size_t (*ads_body_encoder)(const void *response, uint8_t *buf);

void ads_body_cache_init(struct ads_body_cache *c);
/* Drops every entry (needs grpc initialised: unrefs slices). */
void ads_body_cache_clear(struct ads_body_cache *c);
void ads_body_cache_destroy(struct ads_body_cache *c);
/* Drops every entry and the entries' array, returning the bytes of the
 * cache's own they held (the shared pieces are the snapshot's). For when
 * a burst of sends is over: the streams that shared a body have sent it,
 * and at 10,000 proxies the cache's copies of the CDS, EDS and LDS bodies
 * are megabytes that would otherwise stay until the next publish. A
 * stream that asks later encodes its body again, once for all that ask
 * with it. */
size_t ads_body_cache_release(struct ads_body_cache *c);

/* The body under key, len bytes: the cached slice, or one encoded now by
 * encode(response, buf) and cached. A reference for the caller. */
grpc_slice ads_body_get(struct ads_body_cache *c, uint64_t key, size_t len,
    ads_body_encoder encode, const void *response);

/* How many of a response's body bytes are shared pieces of its
 * resources (xds_resource.pieced): ads_body_shared_len of its items. */
typedef size_t (*ads_body_shared_fn)(const void *response);

/* The body under key, len bytes, as slices in order (*out: *nout
 * references, the array the caller's to free): the cached ones, or on a
 * miss encoded now, as one slice (ads_body_get) when shared(response) is
 * 0, else gathered: encoded with the shared pieces left out, then cut
 * into the runs written around them and one slice per piece referring
 * to its blob. The bytes the client gets are the same either way; a hit
 * costs no walk of the response's resources. */
void ads_body_get_slices(struct ads_body_cache *c, uint64_t key, size_t len,
    ads_body_encoder encode, ads_body_shared_fn shared, const void *response,
    grpc_slice **out, size_t *nout);
/* What a gathered body leaves out of items' encoding. */
size_t ads_body_shared_len(const struct xds_resource *const *items, size_t n);

/* The key of a body: protocol (0 SotW, 1 delta), type, set hash. */
uint64_t ads_body_key(int protocol, int type, uint64_t set_hash);

#endif
