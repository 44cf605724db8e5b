/* Schema tables of HTTPProxy, Service and Endpoints. Fields of the real
 * resources that cairn does not implement are rows of their own
 * (SCHEMA_UNSUPPORTED), so users read "not supported yet" rather than
 * "unknown field" for something Contour's documentation told them to
 * write; status and server-set metadata are accepted and ignored, so
 * `kubectl get -o yaml` output loads. */
#include "load/kinds.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "util/xalloc.h"

#define F_STR(key_, type_, field_, flags_, check_)                             \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_), .check = (check_) }
#define F_IGNORE(key_) { .key = (key_), .type = SCHEMA_IGNORE }
#define F_UNSUPPORTED(key_) { .key = (key_), .type = SCHEMA_UNSUPPORTED }
#define F_PORT(key_, type_, field_, flags_)                                    \
	{ .key = (key_), .type = SCHEMA_INT32, .offset = offsetof(type_, field_), \
	  .flags = (flags_), .min = 1, .max = 65535 }
#define F_LIST(key_, type_, field_, count_, sub_, flags_)                      \
	{ .key = (key_), .type = SCHEMA_OBJECT_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .sub = (sub_), .flags = (flags_) }

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
static const struct schema_table kinds_meta =
    SCHEMA_TABLE("metadata", struct obj_meta, kinds_meta_fields, NULL);

/* --- HTTPProxy ----------------------------------------------------------- */

/* Contour: a header condition is exactly one test on one header. */
static void
kinds_header_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	static const char *const tests[] = { "present", "notpresent", "exact",
	    "notexact", "contains", "notcontains", "regex" };
	size_t n = 0;

	for (size_t i = 0; i < nitems(tests); i++) {
		const struct ynode *v = ynode_get(map, tests[i]);

		if (v != NULL && !ynode_is_null(v))
			n++;
	}
	if (n != 1)
		schema_error(ctx, map, "a header condition must set exactly one "
		    "of present, notpresent, exact, notexact, contains, "
		    "notcontains or regex (found %zu)", n);
}

static const struct schema_field kinds_header_fields[] = {
	F_STR("name", struct hp_header_match, name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, NULL),
	{ .key = "present", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct hp_header_match, present) },
	{ .key = "notpresent", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct hp_header_match, notpresent) },
	F_STR("exact", struct hp_header_match, exact, 0, NULL),
	F_STR("notexact", struct hp_header_match, notexact, 0, NULL),
	F_STR("contains", struct hp_header_match, contains, 0, NULL),
	F_STR("notcontains", struct hp_header_match, notcontains, 0, NULL),
	F_STR("regex", struct hp_header_match, regex, SCHEMA_NONEMPTY, NULL),
	{ .key = "ignoreCase", .type = SCHEMA_BOOL,
	  .offset = offsetof(struct hp_header_match, ignore_case) },
	F_UNSUPPORTED("treatMissingAsEmpty"),
};
static const struct schema_table kinds_header = SCHEMA_TABLE_ORIGIN(
    "header", struct hp_header_match, kinds_header_fields, kinds_header_validate);

static void
kinds_condition_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct hp_condition *c = obj;
	int n = (c->prefix != NULL) + (c->exact != NULL) + (c->regex != NULL) +
	    (c->header != NULL);

	if (n != 1) {
		schema_error(ctx, map, "a condition must set exactly one of "
		    "prefix, exact, regex or header");
		return;
	}
	if (c->prefix != NULL && c->prefix[0] != '/')
		schema_error_at(ctx, ynode_get(map, "prefix"), "prefix",
		    "must start with \"/\"");
	if (c->exact != NULL && c->exact[0] != '/')
		schema_error_at(ctx, ynode_get(map, "exact"), "exact",
		    "must start with \"/\"");
}

static const struct schema_field kinds_condition_fields[] = {
	F_STR("prefix", struct hp_condition, prefix, 0, NULL),
	F_STR("exact", struct hp_condition, exact, 0, NULL),
	F_STR("regex", struct hp_condition, regex, SCHEMA_NONEMPTY, NULL),
	{ .key = "header", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct hp_condition, header), .sub = &kinds_header },
	F_UNSUPPORTED("queryParameter"),
};
static const struct schema_table kinds_condition = SCHEMA_TABLE_ORIGIN(
    "condition", struct hp_condition, kinds_condition_fields,
    kinds_condition_validate);

static const struct schema_field kinds_service_ref_fields[] = {
	F_STR("name", struct hp_service, name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	F_PORT("port", struct hp_service, port, SCHEMA_REQUIRED),
	{ .key = "weight", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_service, weight), .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct hp_service, has_weight) },
	F_UNSUPPORTED("protocol"),
	F_UNSUPPORTED("validation"),
	F_UNSUPPORTED("mirror"),
	F_UNSUPPORTED("requestHeadersPolicy"),
	F_UNSUPPORTED("responseHeadersPolicy"),
	F_UNSUPPORTED("cookieRewritePolicies"),
	F_UNSUPPORTED("slowStartPolicy"),
	F_UNSUPPORTED("healthPort"),
};
static const struct schema_table kinds_service_ref = SCHEMA_TABLE_ORIGIN(
    "service", struct hp_service, kinds_service_ref_fields, NULL);

static const struct schema_field kinds_route_fields[] = {
	F_LIST("conditions", struct hp_route, conditions, nconditions,
	    &kinds_condition, 0),
	F_LIST("services", struct hp_route, services, nservices,
	    &kinds_service_ref, 0),
	F_UNSUPPORTED("enableWebsockets"),
	F_UNSUPPORTED("permitInsecure"),
	F_UNSUPPORTED("authPolicy"),
	F_UNSUPPORTED("timeoutPolicy"),
	F_UNSUPPORTED("retryPolicy"),
	F_UNSUPPORTED("healthCheckPolicy"),
	F_UNSUPPORTED("loadBalancerPolicy"),
	F_UNSUPPORTED("pathRewritePolicy"),
	F_UNSUPPORTED("requestHeadersPolicy"),
	F_UNSUPPORTED("responseHeadersPolicy"),
	F_UNSUPPORTED("cookieRewritePolicies"),
	F_UNSUPPORTED("rateLimitPolicy"),
	F_UNSUPPORTED("requestRedirectPolicy"),
	F_UNSUPPORTED("directResponsePolicy"),
	F_UNSUPPORTED("internalRedirectPolicy"),
	F_UNSUPPORTED("jwtVerificationPolicy"),
	F_UNSUPPORTED("ipAllowPolicy"),
	F_UNSUPPORTED("ipDenyPolicy"),
};
static const struct schema_table kinds_route = SCHEMA_TABLE_ORIGIN(
    "route", struct hp_route, kinds_route_fields, NULL);

static const struct schema_field kinds_virtualhost_fields[] = {
	F_STR("fqdn", struct hp_virtualhost, fqdn, SCHEMA_REQUIRED,
	    schema_check_fqdn),
	F_UNSUPPORTED("tls"),
	F_UNSUPPORTED("authorization"),
	F_UNSUPPORTED("rateLimitPolicy"),
	F_UNSUPPORTED("corsPolicy"),
	F_UNSUPPORTED("ipAllowPolicy"),
	F_UNSUPPORTED("ipDenyPolicy"),
	F_UNSUPPORTED("jwtProviders"),
};
static const struct schema_table kinds_virtualhost = SCHEMA_TABLE_ORIGIN(
    "virtualhost", struct hp_virtualhost, kinds_virtualhost_fields, NULL);

static const struct schema_field kinds_httpproxy_spec_fields[] = {
	{ .key = "virtualhost", .type = SCHEMA_OBJECT_PTR,
	  .offset = offsetof(struct httpproxy, virtualhost),
	  .sub = &kinds_virtualhost },
	F_LIST("routes", struct httpproxy, routes, nroutes, &kinds_route, 0),
	F_UNSUPPORTED("includes"),
	F_UNSUPPORTED("tcpproxy"),
	F_UNSUPPORTED("ingressClassName"),
};
static const struct schema_table kinds_httpproxy_spec = SCHEMA_TABLE(
    "spec", struct httpproxy, kinds_httpproxy_spec_fields, NULL);

static const struct schema_field kinds_httpproxy_fields[] = {
	F_IGNORE("apiVersion"), /* checked by the loader */
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "spec", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, u.httpproxy),
	  .sub = &kinds_httpproxy_spec },
	F_IGNORE("status"),
};
static const struct schema_table kinds_httpproxy = SCHEMA_TABLE(
    "HTTPProxy", struct object, kinds_httpproxy_fields, NULL);

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
static const struct schema_table kinds_service = SCHEMA_TABLE(
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
static const struct schema_table kinds_endpoints = SCHEMA_TABLE(
    "Endpoints", struct object, kinds_endpoints_fields, NULL);

/* --- lookup -------------------------------------------------------------- */

static const struct kind_info kinds[] = {
	{ "projectcontour.io/v1", "HTTPProxy", OBJ_HTTPPROXY, &kinds_httpproxy },
	{ "v1", "Service", OBJ_SERVICE, &kinds_service },
	{ "v1", "Endpoints", OBJ_ENDPOINTS, &kinds_endpoints },
};

const struct kind_info *
kinds_find(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < nitems(kinds); i++)
		if (strcmp(kinds[i].api_version, api_version) == 0 &&
		    strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return NULL;
}
