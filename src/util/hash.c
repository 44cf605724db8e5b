#include "util/hash.h"

#include <stdlib.h>
#include <xxhash.h>

uint64_t
hash_bytes(const void *data, size_t len)
{
	return XXH64(data, len, 0);
}

uint64_t
hash_bytes_seeded(const void *data, size_t len, uint64_t seed)
{
	return XXH64(data, len, seed);
}

/* Called for every resource of every build: no printf. */
void
hash_hex(uint64_t h, char out[17])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--) {
		out[i] = digits[h & 0xf];
		h >>= 4;
	}
	out[16] = '\0';
}

struct hash_state *
hash_begin(void)
{
	XXH64_state_t *st = XXH64_createState();

	if (st == NULL)
		abort();
	XXH64_reset(st, 0);
	return (struct hash_state *)st;
}

void
hash_update(struct hash_state *st, const void *data, size_t len)
{
	XXH64_update((XXH64_state_t *)st, data, len);
}

uint64_t
hash_end(struct hash_state *st)
{
	uint64_t h = XXH64_digest((XXH64_state_t *)st);

	XXH64_freeState((XXH64_state_t *)st);
	return h;
}
