/* The warming gate of SPEC §8, shared by the SotW and delta state machines
 * (sotw.c, delta.c): a Listener or RouteConfiguration that routes to a
 * cluster Envoy is still warming waits until that cluster's endpoints were
 * sent, at most timeout_ms (Envoy #5174, #17483: requests routed to a
 * warming cluster get 503).
 *
 * The rule, per stream:
 *   1. A cluster starts warming when a CDS response brings this client an
 *      EDS cluster it did not have (a new name; an updated cluster keeps
 *      serving while Envoy warms its replacement, so it needs nothing),
 *      whose ClusterLoadAssignment the snapshot holds and this stream has
 *      not sent at that version. A STRICT_DNS cluster uses no endpoints:
 *      it never warms.
 *   2. It stops warming when an EDS response carrying its
 *      ClusterLoadAssignment was sent, when the cluster left the snapshot,
 *      when the client rejected (NACKed) a CDS response, or timeout_ms
 *      after it started (then it counts as a timeout if it
 *      held anything back).
 *   3. An LDS or RDS response waits while any resource it would carry uses
 *      a warming cluster; so do the types after it and every removal (the
 *      break phase), so the order on the wire stays CDS add, EDS, LDS,
 *      RDS, removals. When it goes, it carries the newest snapshot.
 * A stream's first CDS response starts no warming: Envoy's own
 * initialization waits for every cluster's endpoints before it asks for
 * listeners, and the gate would only cost (a fleet reconnecting at once
 * with thousands of clusters each). Clusters a change adds are what the
 * gate is for.
 * Only clusters this client was sent can warm: a proxyless gRPC client
 * subscribes to a cluster after it received the route that names it, so
 * its route always goes first and is never held for a cluster it has not
 * asked for. */
#ifndef CAIRN_ADS_WARMING_H
#define CAIRN_ADS_WARMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xds/snapshot.h"

/* Milliseconds on a monotonic clock. */
typedef int64_t (*ads_clock_fn)(void);

struct ads_warming_entry {
	char *cluster;
	uint64_t cluster_hash; /* xds_name_hash(cluster), as in xds_resource.uses */
	char *endpoints; /* its ClusterLoadAssignment's name */
	int64_t deadline_ms;
	bool blocked; /* it held an update back */
};

struct ads_warming {
	int64_t timeout_ms; /* 0: no gate (the state machines' default) */
	ads_clock_fn clock; /* NULL: ads_clock_monotonic_ms */
	struct ads_warming_entry *v; /* warming clusters, in start order */
	size_t n, cap;
	/* Open-addressing sets of the entries' cluster hashes and of their
	 * endpoints' name hashes, made again when entries change: a change
	 * that adds many Services must not cost (uses x entries) per check. */
	uint64_t *clusters, *endpoints;
	size_t mask;
	bool stale;
	uint64_t timeouts; /* held updates released by the timeout */
	bool held; /* the last evaluation held an update back */
};

int64_t ads_clock_monotonic_ms(void);
void ads_warming_free(struct ads_warming *w);
int64_t ads_warming_now(const struct ads_warming *w);

/* Start of an evaluation against snap: ends the warming of clusters that
 * left snap, and of those past their deadline (counting the ones that
 * held something). Clears held. */
void ads_warming_begin(struct ads_warming *w, const struct snapshot *snap);
/* A CDS response brings the client cluster c (of snap) that it did not
 * have; has_endpoints: the stream already sent c's ClusterLoadAssignment
 * at snap's version. */
void ads_warming_cluster_added(struct ads_warming *w,
    const struct xds_resource *c, bool has_endpoints);
/* The client rejected a CDS response: it warms none of the clusters it
 * brought, and will not ask for their endpoints; nothing waits for them. */
void ads_warming_cancel(struct ads_warming *w);
/* An EDS response carries the ClusterLoadAssignment name. */
void ads_warming_endpoints_sent(struct ads_warming *w, const char *name);
/* Whether r (a Listener or RouteConfiguration about to be sent) must wait:
 * it uses a warming cluster. Sets held. */
bool ads_warming_blocks(struct ads_warming *w, const struct xds_resource *r);
/* The earliest deadline of the clusters that hold an update back (when
 * held), to wake the stream at; 0 when nothing is held. */
int64_t ads_warming_deadline(const struct ads_warming *w);

#endif
