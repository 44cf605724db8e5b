/* The snapshots both ADS stream fuzzers (sotw_fuzzer.c, delta_fuzzer.c)
 * serve from: three generations of small resources of every type, so that
 * a stream sees resources change, appear and disappear, and named-only
 * (proxyless api_listener) resources come and go. Clusters and routes
 * record what they use, and a new cluster comes with a route to it, so
 * the warming gate (src/ads/warming.h) holds and releases updates. */
#ifndef CAIRN_TESTS_FUZZ_ADS_FIXTURE_H
#define CAIRN_TESTS_FUZZ_ADS_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/xalloc.h"
#include "xds/snapshot.h"

#define ADS_FIXTURE_GENERATIONS 3

struct ads_fixture_resource {
	enum xds_type type;
	const char *name;
	const char *bytes;
	bool named_only;
	/* A Cluster's ClusterLoadAssignment, the cluster a route uses. */
	const char *uses;
};

/* The second generation changes, adds and removes resources of every
 * type, the third empties RDS and SDS. */
static const struct ads_fixture_resource ads_fixture_gen0[] = {
	{ XDS_SECRET, "shop/tls", "cert-0", false },
	{ XDS_CLUSTER, "shop/app/80/da39a3ee5e", "cluster-app-0", false, "shop/app/http" },
	{ XDS_CLUSTER, "shop/db/5432/da39a3ee5e", "cluster-db-0", false, "shop/db/5432" },
	{ XDS_ENDPOINT, "shop/app/http", "cla-app-0", false },
	{ XDS_ENDPOINT, "shop/db/5432", "cla-db-0", false },
	{ XDS_LISTENER, "ingress_http", "listener-0", false },
	{ XDS_LISTENER, "shop.example.com", "api-listener-0", true },
	{ XDS_ROUTE, "ingress_http", "routes-0", false, "shop/app/80/da39a3ee5e" },
};
static const struct ads_fixture_resource ads_fixture_gen1[] = {
	{ XDS_SECRET, "shop/tls", "cert-1", false },
	{ XDS_SECRET, "blog/tls", "cert-blog", false },
	{ XDS_CLUSTER, "blog/web/80/da39a3ee5e", "cluster-blog", false, "blog/web/80" },
	{ XDS_CLUSTER, "shop/app/80/da39a3ee5e", "cluster-app-1", false, "shop/app/http" },
	{ XDS_ENDPOINT, "blog/web/80", "cla-blog", false },
	{ XDS_ENDPOINT, "shop/app/http", "cla-app-1", false },
	{ XDS_LISTENER, "ingress_http", "listener-0", false },
	{ XDS_LISTENER, "ingress_https", "listener-https", false },
	{ XDS_LISTENER, "blog.example.com", "api-listener-blog", true },
	{ XDS_ROUTE, "ingress_http", "routes-1", false, "shop/app/80/da39a3ee5e" },
	{ XDS_ROUTE, "https/blog.example.com", "routes-blog", false, "blog/web/80/da39a3ee5e" },
};
static const struct ads_fixture_resource ads_fixture_gen2[] = {
	{ XDS_CLUSTER, "shop/app/80/da39a3ee5e", "cluster-app-1", false, "shop/app/http" },
	{ XDS_ENDPOINT, "shop/app/http", "cla-app-1", false },
	{ XDS_LISTENER, "ingress_http", "listener-2", false },
};

static struct snapshot *
ads_fixture_build(const struct ads_fixture_resource *r, size_t n, const char *rev)
{
	struct snapshot_builder *b = snapshot_builder_new(rev);

	for (size_t i = 0; i < n; i++) {
		snapshot_builder_add(b, r[i].type, r[i].name, r[i].bytes,
		    strlen(r[i].bytes), r[i].named_only);
		if (r[i].uses != NULL && r[i].type == XDS_CLUSTER) {
			snapshot_builder_set_endpoints(b, r[i].name, r[i].uses);
		} else if (r[i].uses != NULL) {
			uint64_t h = xds_name_hash(r[i].uses);

			snapshot_builder_add_uses(b, r[i].type, r[i].name, &h, 1);
		}
	}
	return snapshot_builder_finish(b);
}

/* Fills snaps[0..ADS_FIXTURE_GENERATIONS-1] (kept for the process). */
static void
ads_fixture_snapshots(struct snapshot **snaps)
{
	snaps[0] = ads_fixture_build(ads_fixture_gen0, nitems(ads_fixture_gen0), "gen0");
	snaps[1] = ads_fixture_build(ads_fixture_gen1, nitems(ads_fixture_gen1), "gen1");
	snaps[2] = ads_fixture_build(ads_fixture_gen2, nitems(ads_fixture_gen2), "gen2");
}

/* The message of a "send a request" op of both fuzzers' input format:
 * two length bytes (little endian), then that many bytes, or what is
 * left. Advances *at past it. */
static inline const uint8_t *
ads_fixture_take_message(const uint8_t *data, size_t size, size_t *at,
    size_t *len)
{
	const uint8_t *msg;

	*len = 0;
	if (*at < size)
		*len = data[(*at)++];
	if (*at < size)
		*len |= (size_t)data[(*at)++] << 8;
	if (*len > size - *at)
		*len = size - *at;
	msg = data + *at;
	*at += *len;
	return msg;
}

#endif
