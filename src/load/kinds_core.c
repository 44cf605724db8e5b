/* Schema tables of the core Kubernetes kinds cairn reads: Service,
 * Endpoints and EndpointSlice, and the metadata every kind shares.
 * Server-set metadata and status are accepted and ignored, so
 * `kubectl get -o yaml` output loads. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "util/xalloc.h"

static const char *const kinds_protocols[] = { "TCP", "UDP", "SCTP", NULL };

/* --- metadata ------------------------------------------------------------ */

static const struct schema_field kinds_meta_fields[] = {
	F_STR("name", struct obj_meta, name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	F_STR("namespace", struct obj_meta, namespace, 0,
	    schema_check_dns1123_label),
	{ .key = "labels", .type = SCHEMA_STRING_MAP,
	  .offset = offsetof(struct obj_meta, labels),
	  .count_offset = offsetof(struct obj_meta, nlabels) },
	{ .key = "annotations", .type = SCHEMA_STRING_MAP,
	  .offset = offsetof(struct obj_meta, annotations),
	  .count_offset = offsetof(struct obj_meta, nannotations) },
	/* Set by the API server; present in exported manifests. */
	F_IGNORE("uid"),
	F_IGNORE("resourceVersion"),
	F_IGNORE("creationTimestamp"),
	F_IGNORE("deletionTimestamp"),
	F_IGNORE("deletionGracePeriodSeconds"),
	F_IGNORE("generation"),
	F_IGNORE("generateName"),
	F_IGNORE("managedFields"),
	F_IGNORE("ownerReferences"),
	F_IGNORE("finalizers"),
	F_IGNORE("selfLink"),
};
const struct schema_table kinds_meta =
    SCHEMA_TABLE("metadata", struct obj_meta, kinds_meta_fields, NULL);

/* --- Service ------------------------------------------------------------- */

/* targetPort is a number or the name of a container port. */
static void
kinds_target_port(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct svc_port *p = obj;
	int64_t v;

	if (ynode_is_int(node, &v)) {
		if (v < 1 || v > 65535)
			schema_error(ctx, node, "%lld is out of range (1..65535)",
			    (long long)v);
		else
			p->target_port = (int32_t)v;
		return;
	}
	if (node->type != YNODE_SCALAR || !(node->scalar.len > 0) ||
	    strlen(node->scalar.value) != node->scalar.len ||
	    strcmp(ynode_type_name(node), "string") != 0) {
		schema_error(ctx, node, "expected a port number or a port name, "
		    "got %s", ynode_type_name(node));
		return;
	}
	p->target_port_name = arena_strdup(ctx->arena, node->scalar.value);
}

static const struct schema_field kinds_svc_port_fields[] = {
	F_STR("name", struct svc_port, name, 0, NULL),
	F_PORT("port", struct svc_port, port, SCHEMA_REQUIRED),
	{ .key = "targetPort", .type = SCHEMA_CUSTOM, .custom = kinds_target_port },
	{ .key = "protocol", .type = SCHEMA_STRING,
	  .offset = offsetof(struct svc_port, protocol), .allowed = kinds_protocols },
	F_STR("appProtocol", struct svc_port, app_protocol, 0, NULL),
	F_IGNORE("nodePort"),
};
static const struct schema_table kinds_svc_port = SCHEMA_TABLE_ORIGIN(
    "port", struct svc_port, kinds_svc_port_fields, NULL);

/* Kubernetes: several ports need distinct names, an ExternalName Service
 * needs the name. */
static void
kinds_service_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct service *s = obj;
	const struct ynode *ports = ynode_get(map, "ports");

	if (s->type != NULL && strcmp(s->type, "ExternalName") == 0 &&
	    (s->external_name == NULL || *s->external_name == '\0'))
		schema_error(ctx, map, "type ExternalName requires externalName");
	if (s->nports < 2)
		return;
	for (size_t i = 0; i < s->nports; i++) {
		const struct ynode *pn = ports->seq.items[i];
		size_t saved = schema_path_push_key(ctx, "ports");
		const char *name = s->ports[i].name;

		schema_path_push_index(ctx, i);
		if (name == NULL || *name == '\0') {
			schema_error(ctx, pn, "name is required when a Service "
			    "has more than one port");
		} else {
			for (size_t j = 0; j < i; j++) {
				if (s->ports[j].name != NULL &&
				    strcmp(s->ports[j].name, name) == 0) {
					schema_error(ctx, pn, "duplicate port "
					    "name \"%s\" (first at %d:%d)", name,
					    s->ports[j].origin.line,
					    s->ports[j].origin.col);
					break;
				}
			}
		}
		schema_path_pop(ctx, saved);
	}
}

static const char *const kinds_service_types[] = { "ClusterIP", "NodePort",
	"LoadBalancer", "ExternalName", NULL };

static const struct schema_field kinds_service_spec_fields[] = {
	{ .key = "type", .type = SCHEMA_STRING,
	  .offset = offsetof(struct service, type), .allowed = kinds_service_types },
	F_STR("externalName", struct service, external_name, 0, schema_check_fqdn),
	F_LIST("ports", struct service, ports, nports, &kinds_svc_port, 0),
	/* Meaningful to a cluster, not to cairn. */
	F_IGNORE("selector"),
	F_IGNORE("clusterIP"),
	F_IGNORE("clusterIPs"),
	F_IGNORE("sessionAffinity"),
	F_IGNORE("sessionAffinityConfig"),
	F_IGNORE("ipFamilies"),
	F_IGNORE("ipFamilyPolicy"),
	F_IGNORE("internalTrafficPolicy"),
	F_IGNORE("externalTrafficPolicy"),
	F_IGNORE("externalIPs"),
	F_IGNORE("loadBalancerIP"),
	F_IGNORE("loadBalancerSourceRanges"),
	F_IGNORE("loadBalancerClass"),
	F_IGNORE("allocateLoadBalancerNodePorts"),
	F_IGNORE("healthCheckNodePort"),
	F_IGNORE("publishNotReadyAddresses"),
	F_IGNORE("trafficDistribution"),
};
static const struct schema_table kinds_service_spec = SCHEMA_TABLE(
    "spec", struct service, kinds_service_spec_fields, kinds_service_validate);

static const struct schema_field kinds_service_fields[] = {
	F_IGNORE("apiVersion"),
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "spec", .type = SCHEMA_OBJECT,
	  .offset = offsetof(struct object, u.service), .sub = &kinds_service_spec },
	F_IGNORE("status"),
};
const struct schema_table kinds_service = SCHEMA_TABLE(
    "Service", struct object, kinds_service_fields, NULL);

/* --- Endpoints ----------------------------------------------------------- */

static const char *
kinds_check_ip(const char *s)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return NULL;
	return "must be an IPv4 or IPv6 address";
}

static const struct schema_field kinds_ep_address_fields[] = {
	F_STR("ip", struct ep_address, ip, SCHEMA_REQUIRED, kinds_check_ip),
	F_STR("hostname", struct ep_address, hostname, 0, NULL),
	F_IGNORE("nodeName"),
	F_IGNORE("targetRef"),
};
static const struct schema_table kinds_ep_address = SCHEMA_TABLE_ORIGIN(
    "address", struct ep_address, kinds_ep_address_fields, NULL);

static const struct schema_field kinds_ep_port_fields[] = {
	F_STR("name", struct ep_port, name, 0, NULL),
	F_PORT("port", struct ep_port, port, SCHEMA_REQUIRED),
	{ .key = "protocol", .type = SCHEMA_STRING,
	  .offset = offsetof(struct ep_port, protocol), .allowed = kinds_protocols },
	F_STR("appProtocol", struct ep_port, app_protocol, 0, NULL),
};
static const struct schema_table kinds_ep_port = SCHEMA_TABLE_ORIGIN(
    "port", struct ep_port, kinds_ep_port_fields, NULL);

static const struct schema_field kinds_ep_subset_fields[] = {
	F_LIST("addresses", struct ep_subset, addresses, naddresses,
	    &kinds_ep_address, 0),
	F_LIST("notReadyAddresses", struct ep_subset, not_ready_addresses,
	    nnot_ready_addresses, &kinds_ep_address, 0),
	F_LIST("ports", struct ep_subset, ports, nports, &kinds_ep_port, 0),
};
static const struct schema_table kinds_ep_subset = SCHEMA_TABLE_ORIGIN(
    "subset", struct ep_subset, kinds_ep_subset_fields, NULL);

static const struct schema_field kinds_endpoints_fields[] = {
	F_IGNORE("apiVersion"),
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	F_LIST("subsets", struct object, u.endpoints.subsets,
	    u.endpoints.nsubsets, &kinds_ep_subset, 0),
};
const struct schema_table kinds_endpoints = SCHEMA_TABLE(
    "Endpoints", struct object, kinds_endpoints_fields, NULL);

/* --- EndpointSlice ------------------------------------------------------- */

static const char *const kinds_address_types[] = { "IPv4", "IPv6", "FQDN", NULL };

static const struct schema_field kinds_eps_conditions_fields[] = {
	{ .key = "ready", .type = SCHEMA_BOOL, .flags = SCHEMA_HAS,
	  .offset = offsetof(struct eps_endpoint, ready),
	  .has_offset = offsetof(struct eps_endpoint, has_ready) },
	F_IGNORE("serving"),
	F_IGNORE("terminating"),
};
static const struct schema_table kinds_eps_conditions = SCHEMA_TABLE(
    "conditions", struct eps_endpoint, kinds_eps_conditions_fields, NULL);

static const struct schema_field kinds_eps_endpoint_fields[] = {
	F_STRV("addresses", struct eps_endpoint, addresses, naddresses,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	{ .key = "conditions", .type = SCHEMA_OBJECT, .offset = 0,
	  .sub = &kinds_eps_conditions },
	F_IGNORE("hostname"),
	F_IGNORE("nodeName"),
	F_IGNORE("zone"),
	F_IGNORE("targetRef"),
	F_IGNORE("hints"),
	F_IGNORE("deprecatedTopology"),
};
static const struct schema_table kinds_eps_endpoint = SCHEMA_TABLE_ORIGIN(
    "endpoint", struct eps_endpoint, kinds_eps_endpoint_fields, NULL);

static const struct schema_field kinds_eps_port_fields[] = {
	F_STR("name", struct eps_port, name, 0, NULL),
	{ .key = "port", .type = SCHEMA_INT32, .flags = SCHEMA_HAS,
	  .offset = offsetof(struct eps_port, port), .min = 1, .max = 65535,
	  .has_offset = offsetof(struct eps_port, has_port) },
	{ .key = "protocol", .type = SCHEMA_STRING,
	  .offset = offsetof(struct eps_port, protocol), .allowed = kinds_protocols },
	F_STR("appProtocol", struct eps_port, app_protocol, 0, NULL),
};
static const struct schema_table kinds_eps_port = SCHEMA_TABLE_ORIGIN(
    "port", struct eps_port, kinds_eps_port_fields, NULL);

/* Addresses must be of the slice's addressType. */
static void
kinds_endpointslice_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct endpointslice *es = obj;
	const struct ynode *eps = ynode_get(map, "endpoints");
	int af;

	if (es->address_type == NULL || strcmp(es->address_type, "FQDN") == 0)
		return;
	af = strcmp(es->address_type, "IPv4") == 0 ? AF_INET : AF_INET6;
	for (size_t i = 0; i < es->nendpoints; i++) {
		const struct ynode *addrs = ynode_get(eps->seq.items[i], "addresses");

		for (size_t j = 0; j < es->endpoints[i].naddresses; j++) {
			unsigned char buf[16];

			if (inet_pton(af, es->endpoints[i].addresses[j], buf) == 1)
				continue;
			schema_error(ctx, addrs->seq.items[j],
			    "endpoints[%zu].addresses[%zu]: \"%s\" is not an %s "
			    "address (addressType is %s)", i, j,
			    es->endpoints[i].addresses[j], es->address_type,
			    es->address_type);
		}
	}
}

static const struct schema_field kinds_endpointslice_fields[] = {
	F_IGNORE("apiVersion"),
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	F_ENUMSTR("addressType", struct object, u.endpointslice.address_type,
	    SCHEMA_REQUIRED, kinds_address_types),
	F_LIST("endpoints", struct object, u.endpointslice.endpoints,
	    u.endpointslice.nendpoints, &kinds_eps_endpoint, 0),
	F_LIST("ports", struct object, u.endpointslice.ports,
	    u.endpointslice.nports, &kinds_eps_port, 0),
};

/* The validator sees the whole object: hand it the slice. */
static void
kinds_endpointslice_object_validate(struct schema_ctx *ctx,
    const struct ynode *map, void *obj)
{
	struct object *o = obj;

	kinds_endpointslice_validate(ctx, map, &o->u.endpointslice);
}

const struct schema_table kinds_endpointslice = SCHEMA_TABLE(
    "EndpointSlice", struct object, kinds_endpointslice_fields,
    kinds_endpointslice_object_validate);
