/* Content hashes (xxh64): resource versions, cache keys, cluster name
 * suffixes. Stable across runs and hosts, so replicas agree. */
#ifndef CAIRN_HASH_H
#define CAIRN_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_bytes(const void *data, size_t len);
uint64_t hash_bytes_seeded(const void *data, size_t len, uint64_t seed);
/* 16 lowercase hex digits and a NUL. */
void hash_hex(uint64_t h, char out[17]);

/* Incremental hashing over several pieces. */
struct hash_state;
struct hash_state *hash_begin(void);
void hash_update(struct hash_state *st, const void *data, size_t len);
uint64_t hash_end(struct hash_state *st); /* frees st */

#endif
