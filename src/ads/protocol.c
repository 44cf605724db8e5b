/* The parts of the protocol helpers that are not inline: the first lines
 * of a request (its node, its type), a NACK's record, the message for an
 * unsupported type_url and the identity of a list of resources. */
#include "ads/protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

void
ads_node_remember(char **node_id, char **node_cluster, char **node_gateway,
    const char *req_node_id, const char *req_node_cluster,
    const char *req_node_gateway)
{
	if (*node_id != NULL || req_node_id == NULL || req_node_id[0] == '\0')
		return;
	*node_id = xstrdup(req_node_id);
	*node_cluster = xstrdup(req_node_cluster ? req_node_cluster : "");
	if (req_node_gateway != NULL && req_node_gateway[0] != '\0')
		*node_gateway = xstrdup(req_node_gateway);
}

int
ads_request_type(const char *type_url, const char *message,
    enum xds_type *out, char **errmsg)
{
	if (type_url == NULL || type_url[0] == '\0') {
		*errmsg = xasprintf("%s without type_url: an aggregated (ADS) "
		    "stream needs the type_url on every request", message);
		return -1;
	}
	if (xds_type_from_url(type_url, out) < 0) {
		*errmsg = ads_unsupported_type_message(type_url);
		return -1;
	}
	return 0;
}

/* The rejected version is the one sent with this nonce (a request's
 * version_info is the last one the client accepted). */
void
ads_nack_record(struct ads_nack *nack, const char *node_id,
    enum xds_type t, const char *version, const char *nonce, int code,
    const char *message)
{
	free(nack->message);
	snprintf(nack->version, sizeof nack->version, "%s", version);
	snprintf(nack->nonce, sizeof nack->nonce, "%s", nonce);
	nack->code = code;
	nack->message = xstrdup(message ? message : "");
	nack->when = time(NULL);
	log_warning("ads: node %s rejected %s version %s: %s",
	    node_id ? node_id : "-", xds_type_short(t), nack->version,
	    nack->message);
}

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
	struct xds_set_iter it;

	xds_set_iter_init(&it, set, 0);
	for (size_t i = 0; whole && i < n; i++)
		whole = items[i] == xds_set_iter_next(&it);
	return whole ? set->version : ads_hash_items(items, n);
}
