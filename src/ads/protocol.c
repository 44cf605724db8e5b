/* The parts of the protocol helpers that are not inline: the message for
 * an unsupported type_url and the identity of a list of resources. */
#include "ads/protocol.h"

#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

char *
ads_unsupported_type_message(const char *url)
{
	size_t len = strlen(url);

	if (len > 200)
		return xasprintf("unsupported type_url \"%.200s...\" (%zu bytes): cairn "
		    "serves Listener, RouteConfiguration, Cluster, "
		    "ClusterLoadAssignment and Secret (v3)", url, len);
	return xasprintf("unsupported type_url \"%s\": cairn serves Listener, "
	    "RouteConfiguration, Cluster, ClusterLoadAssignment and Secret (v3)", url);
}

uint64_t
ads_hash_items(const struct xds_resource *const *items, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += items[i]->entry;
	return xds_entries_version(sum, n);
}

/* When the items are the whole set, the set's version is their hash
 * already: wildcard streams (and those naming everything) do not hash
 * every name again, each of them. */
uint64_t
ads_hash_selection(const struct xds_resource_set *set,
    const struct xds_resource *const *items, size_t n)
{
	bool whole = n == set->n;

	for (size_t i = 0; whole && i < n; i++)
		whole = items[i] == &set->items[i];
	return whole ? set->version : ads_hash_items(items, n);
}
