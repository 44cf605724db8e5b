/* Interned subscriptions: an immutable, sorted, duplicate-free list of
 * resource names, shared process-wide. Every Envoy of a fleet subscribes
 * its ClusterLoadAssignments by the names of the same clusters (2,000 at
 * 1,000 HTTPProxies, 20,000 at 10,000), so 1,000 streams that each kept
 * their own copy held 1,000 identical lists; interned, they hold one.
 *
 * Lists are refcounted and may be used and released from any thread. The
 * names never change; only the selection cache does, under its mutex. The
 * empty list is NULL. Not for use outside src/ads/. */
#ifndef CAIRN_ADS_NAMES_H
#define CAIRN_ADS_NAMES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ads_names {
	atomic_uint refs;
	uint64_t hash; /* of the names, in order, each with its NUL */
	size_t n;
	struct ads_names *next; /* in the intern table's bucket */
	/* The last selection made with the list (sotw.c): which items of a
	 * resource set of this version and size it names, as indices, so it
	 * holds for any snapshot with that set. Made once per change for
	 * all the streams that share the list. Guarded by sel_mu. */
	pthread_mutex_t sel_mu;
	bool sel_valid;
	uint64_t sel_version;
	size_t sel_set_n, sel_n;
	uint32_t *sel_idx;
	uint64_t sel_made; /* selections computed (for tests) */
	const char *v[]; /* n names (sorted by strcmp); the bytes follow */
};

/* The interned list equal to sorted[0..n) (sorted by strcmp, unique),
 * with a reference for the caller; NULL when n is 0. The strings are
 * copied on first use only. */
struct ads_names *ads_names_intern(const char *const *sorted, size_t n);
/* Both accept NULL. */
struct ads_names *ads_names_ref(struct ads_names *l);
void ads_names_unref(struct ads_names *l);

static inline size_t
ads_names_count(const struct ads_names *l)
{
	return l != NULL ? l->n : 0;
}

/* Whether l holds name (binary search). */
bool ads_names_has(const struct ads_names *l, const char *name);
/* How many distinct lists are interned now (for tests). */
size_t ads_names_interned(void);

/* The string value of "cairn.io/gateway" in a node's metadata (a
 * google.protobuf.Struct), borrowed; NULL when absent or not a string. */
struct Google__Protobuf__Struct;
const char *ads_node_gateway(const struct Google__Protobuf__Struct *md);

#endif
