/* Clusters (EDS, named per SPEC §7) and their ClusterLoadAssignments. */
#include "xds/translate_internal.h"

#include <stdio.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint_components.pb-c.h"

typedef Envoy__Config__Cluster__V3__Cluster Cluster;
typedef Envoy__Config__Endpoint__V3__ClusterLoadAssignment ClusterLoadAssignment;
typedef Envoy__Config__Endpoint__V3__LocalityLbEndpoints LocalityLbEndpoints;
typedef Envoy__Config__Endpoint__V3__LbEndpoint LbEndpoint;

/* Only clusters some route uses are sent: an unused Service costs Envoy
 * nothing. The DAG creates clusters only when a route resolves them. */
void
translate_clusters(struct translation *t)
{
	struct arena *a = &t->arena;

	for (size_t i = 0; i < t->dag->nclusters; i++) {
		const struct dag_cluster *dc = t->dag->clusters[i];
		Cluster *c = pb_new(a, &envoy__config__cluster__v3__cluster__descriptor);
		Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig *eds = pb_new(a,
		    &envoy__config__cluster__v3__cluster__eds_cluster_config__descriptor);

		c->name = pb_str(a, dc->name);
		c->alt_stat_name = arena_printf(a, "%s_%s_%u", dc->namespace,
		    dc->service, dc->port);
		c->cluster_discovery_type_case =
		    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
		c->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
		eds->eds_config = pb_ads_config_source(a);
		eds->service_name = pb_str(a, dc->endpoints->name);
		c->eds_cluster_config = eds;
		c->connect_timeout = pb_duration_ms(a, t->opts->connect_timeout_ms);
		translation_emit(t, XDS_CLUSTER, c->name, &c->base, false);
	}
}

/* All endpoints share one locality. gRPC clients drop a locality that has
 * no load_balancing_weight, so it always carries one. */
void
translate_endpoints(struct translation *t)
{
	struct arena *a = &t->arena;

	for (size_t i = 0; i < t->dag->nendpoints; i++) {
		const struct dag_endpoints *de = t->dag->endpoints[i];
		ClusterLoadAssignment *cla = pb_new(a,
		    &envoy__config__endpoint__v3__cluster_load_assignment__descriptor);

		cla->cluster_name = pb_str(a, de->name);
		if (de->n > 0) {
			LocalityLbEndpoints *lle = pb_new(a,
			    &envoy__config__endpoint__v3__locality_lb_endpoints__descriptor);

			lle->locality = pb_new(a, &envoy__config__core__v3__locality__descriptor);
			lle->load_balancing_weight = pb_uint32(a, 1);
			lle->n_lb_endpoints = de->n;
			lle->lb_endpoints = pb_array(a, de->n);
			for (size_t j = 0; j < de->n; j++) {
				LbEndpoint *lbe = pb_new(a,
				    &envoy__config__endpoint__v3__lb_endpoint__descriptor);
				Envoy__Config__Endpoint__V3__Endpoint *ep = pb_new(a,
				    &envoy__config__endpoint__v3__endpoint__descriptor);

				ep->address = pb_socket_address(a, de->items[j].ip,
				    de->items[j].port);
				lbe->host_identifier_case =
				    ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT;
				lbe->endpoint = ep;
				lle->lb_endpoints[j] = lbe;
			}
			cla->n_endpoints = 1;
			cla->endpoints = pb_array(a, 1);
			cla->endpoints[0] = lle;
		}
		translation_emit(t, XDS_ENDPOINT, cla->cluster_name, &cla->base, false);
	}
}
