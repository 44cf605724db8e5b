/* Schema tables of the Gateway API kinds (SPEC.md §5a): GatewayClass,
 * Gateway, HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, ReferenceGrant,
 * BackendTLSPolicy, and the two core kinds they lean on, ConfigMap (only
 * data.ca.crt) and Namespace (labels). Every field of the API has a row:
 * what cairn does not implement yet is decoded all the same (the DAG
 * reports it as UnsupportedValue in status, as Gateway API asks), so that
 * the upstream manifests load as they are.
 *
 * This file: GatewayClass, Gateway, what every kind shares (references,
 * hostnames) and the kinds_gateway_api registry; the routes are in
 * kinds_gateway_routes.c, ReferenceGrant, BackendTLSPolicy, ConfigMap
 * and Namespace in kinds_gateway_policies.c. The G_* row macros are in
 * kinds_internal.h. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>
#include <string.h>

#include "util/duration.h"
#include "util/xalloc.h"

/* A hostname as Gateway API takes it: lowercase RFC 1123, optionally
 * "*." in front, no IP address; checked further by the DAG. */
const char *
kinds_gw_check_hostname(const char *s)
{
	return schema_check_fqdn(s);
}


/* --- shared parts -------------------------------------------------------- */

static const struct schema_field kinds_gw_object_ref_fields[] = {
	G_STR("group", struct gw_object_ref, group, 0),
	G_STR("kind", struct gw_object_ref, kind, 0),
	G_STRC("namespace", struct gw_object_ref, namespace, 0,
	    schema_check_dns1123_label),
	G_STR("name", struct gw_object_ref, name, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("sectionName", struct gw_object_ref, section_name, 0),
};
const struct schema_table kinds_gw_object_ref = SCHEMA_TABLE_ORIGIN(
    "reference", struct gw_object_ref, kinds_gw_object_ref_fields, NULL);


/* --- GatewayClass -------------------------------------------------------- */

static const struct schema_field kinds_gatewayclass_spec_fields[] = {
	G_STR("controllerName", struct gatewayclass, controller_name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("description", struct gatewayclass, description, 0),
	G_PTR("parametersRef", struct gatewayclass, parameters_ref,
	    &kinds_gw_object_ref, 0),
};
static const struct schema_table kinds_gatewayclass_spec = SCHEMA_TABLE(
    "spec", struct gatewayclass, kinds_gatewayclass_spec_fields, NULL);

static const struct schema_field kinds_gatewayclass_fields[] = {
	G_DOCUMENT(struct gatewayclass, u.gatewayclass, &kinds_gatewayclass_spec,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_gatewayclass = SCHEMA_TABLE(
    "GatewayClass", struct object, kinds_gatewayclass_fields, NULL);

/* --- Gateway ------------------------------------------------------------- */

static const char *const kinds_gw_label_ops[] = {
	"In", "NotIn", "Exists", "DoesNotExist", NULL
};

static const struct schema_field kinds_gw_label_requirement_fields[] = {
	G_STR("key", struct gw_label_requirement, key,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_ENUMSTR("operator", struct gw_label_requirement, operator_,
	    SCHEMA_REQUIRED, kinds_gw_label_ops),
	G_STRV("values", struct gw_label_requirement, values, nvalues, 0),
};
static const struct schema_table kinds_gw_label_requirement = SCHEMA_TABLE_ORIGIN(
    "matchExpression", struct gw_label_requirement,
    kinds_gw_label_requirement_fields, NULL);

static const struct schema_field kinds_gw_label_selector_fields[] = {
	G_MAP("matchLabels", struct gw_label_selector, match_labels, nmatch_labels),
	G_LIST("matchExpressions", struct gw_label_selector, match_expressions,
	    nmatch_expressions, &kinds_gw_label_requirement, 0),
};
static const struct schema_table kinds_gw_label_selector = SCHEMA_TABLE_ORIGIN(
    "selector", struct gw_label_selector, kinds_gw_label_selector_fields, NULL);

static const char *const kinds_gw_from[] = {
	"Same", "All", "Selector", "None", NULL
};

static void
kinds_gw_route_namespaces_validate(struct schema_ctx *ctx,
    const struct ynode *map, void *obj)
{
	const struct gw_route_namespaces *n = obj;

	if (n->from != NULL && strcmp(n->from, "Selector") == 0 &&
	    n->selector == NULL)
		schema_error(ctx, map, "from: Selector needs a selector");
}

static const struct schema_field kinds_gw_route_namespaces_fields[] = {
	G_ENUMSTR("from", struct gw_route_namespaces, from, 0, kinds_gw_from),
	G_PTR("selector", struct gw_route_namespaces, selector,
	    &kinds_gw_label_selector, 0),
};
static const struct schema_table kinds_gw_route_namespaces = SCHEMA_TABLE_ORIGIN(
    "namespaces", struct gw_route_namespaces, kinds_gw_route_namespaces_fields,
    kinds_gw_route_namespaces_validate);

static const struct schema_field kinds_gw_route_group_kind_fields[] = {
	G_STR("group", struct gw_route_group_kind, group, 0),
	G_STR("kind", struct gw_route_group_kind, kind,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_gw_route_group_kind = SCHEMA_TABLE_ORIGIN(
    "kind", struct gw_route_group_kind, kinds_gw_route_group_kind_fields, NULL);

static const struct schema_field kinds_gw_allowed_routes_fields[] = {
	G_PTR("namespaces", struct gw_allowed_routes, namespaces,
	    &kinds_gw_route_namespaces, 0),
	G_LIST("kinds", struct gw_allowed_routes, kinds, nkinds,
	    &kinds_gw_route_group_kind, 0),
};
static const struct schema_table kinds_gw_allowed_routes = SCHEMA_TABLE_ORIGIN(
    "allowedRoutes", struct gw_allowed_routes, kinds_gw_allowed_routes_fields,
    NULL);

static const char *const kinds_gw_tls_modes[] = {
	"Terminate", "Passthrough", NULL
};

static const struct schema_field kinds_gw_listener_tls_fields[] = {
	G_ENUMSTR("mode", struct gw_listener_tls, mode, 0, kinds_gw_tls_modes),
	G_LIST("certificateRefs", struct gw_listener_tls, certificate_refs,
	    ncertificate_refs, &kinds_gw_object_ref, 0),
	G_MAP("options", struct gw_listener_tls, options, noptions),
};
static const struct schema_table kinds_gw_listener_tls = SCHEMA_TABLE_ORIGIN(
    "tls", struct gw_listener_tls, kinds_gw_listener_tls_fields, NULL);

static const struct schema_field kinds_gw_listener_fields[] = {
	G_STRC("name", struct gw_listener, name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	G_STRC("hostname", struct gw_listener, hostname, 0,
	    kinds_gw_check_hostname),
	G_INT("port", struct gw_listener, port, SCHEMA_REQUIRED, G_PORT_MIN, G_PORT_MAX),
	/* Any protocol loads: one cairn does not serve is the listener's
	 * UnsupportedProtocol condition, as Gateway API asks. */
	G_STR("protocol", struct gw_listener, protocol,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_PTR("tls", struct gw_listener, tls, &kinds_gw_listener_tls, 0),
	G_PTR("allowedRoutes", struct gw_listener, allowed_routes,
	    &kinds_gw_allowed_routes, 0),
};
static const struct schema_table kinds_gw_listener = SCHEMA_TABLE_ORIGIN(
    "listener", struct gw_listener, kinds_gw_listener_fields, NULL);

static const struct schema_field kinds_gw_address_fields[] = {
	G_STR("type", struct gw_address, type, 0),
	/* no value: the implementation picks one (v1.3) */
	G_STR("value", struct gw_address, value, 0),
};
static const struct schema_table kinds_gw_address = SCHEMA_TABLE_ORIGIN(
    "address", struct gw_address, kinds_gw_address_fields, NULL);

static const char *const kinds_gw_validation_modes[] = {
	"AllowValidOnly", "AllowInsecureFallback", NULL
};

static const struct schema_field kinds_gw_frontend_validation_fields[] = {
	G_LIST("caCertificateRefs", struct gw_frontend_validation,
	    ca_certificate_refs, nca_certificate_refs, &kinds_gw_object_ref, 0),
	G_ENUMSTR("mode", struct gw_frontend_validation, mode, 0,
	    kinds_gw_validation_modes),
};
static const struct schema_table kinds_gw_frontend_validation = SCHEMA_TABLE_ORIGIN(
    "validation", struct gw_frontend_validation,
    kinds_gw_frontend_validation_fields, NULL);

/* tls.frontend.default and perPort[].tls: { validation } */
struct kinds_gw_tls_config {
	struct gw_frontend_validation *validation;
};
static const struct schema_field kinds_gw_tls_config_fields[] = {
	G_PTR("validation", struct kinds_gw_tls_config, validation,
	    &kinds_gw_frontend_validation, 0),
};
static const struct schema_table kinds_gw_tls_config = SCHEMA_TABLE(
    "tls", struct kinds_gw_tls_config, kinds_gw_tls_config_fields, NULL);

static const struct schema_field kinds_gw_tls_port_fields[] = {
	G_INT("port", struct gw_tls_port_config, port, SCHEMA_REQUIRED, G_PORT_MIN,
	    G_PORT_MAX),
	/* perPort[].tls holds only validation: decode it in place */
	G_OBJ("tls", struct gw_tls_port_config, validation, &kinds_gw_tls_config,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_gw_tls_port = SCHEMA_TABLE_ORIGIN(
    "perPort", struct gw_tls_port_config, kinds_gw_tls_port_fields, NULL);

static const struct schema_field kinds_gw_frontend_tls_fields[] = {
	G_OBJ("default", struct gw_frontend_tls, default_validation,
	    &kinds_gw_tls_config, 0),
	G_LIST("perPort", struct gw_frontend_tls, per_port, nper_port,
	    &kinds_gw_tls_port, 0),
};
static const struct schema_table kinds_gw_frontend_tls = SCHEMA_TABLE_ORIGIN(
    "frontend", struct gw_frontend_tls, kinds_gw_frontend_tls_fields, NULL);

struct kinds_gw_backend_tls {
	struct gw_object_ref *client_certificate_ref;
};
static const struct schema_field kinds_gw_backend_tls_fields[] = {
	G_PTR("clientCertificateRef", struct kinds_gw_backend_tls,
	    client_certificate_ref, &kinds_gw_object_ref, 0),
};
static const struct schema_table kinds_gw_backend_tls = SCHEMA_TABLE(
    "backend", struct kinds_gw_backend_tls, kinds_gw_backend_tls_fields, NULL);

static const struct schema_field kinds_gw_gateway_tls_fields[] = {
	G_PTR("frontend", struct gw_gateway_tls, frontend, &kinds_gw_frontend_tls, 0),
	G_OBJ("backend", struct gw_gateway_tls, backend_client_certificate_ref,
	    &kinds_gw_backend_tls, 0),
};
static const struct schema_table kinds_gw_gateway_tls = SCHEMA_TABLE_ORIGIN(
    "tls", struct gw_gateway_tls, kinds_gw_gateway_tls_fields, NULL);

static const struct schema_field kinds_gw_allowed_listeners_fields[] = {
	G_PTR("namespaces", struct gw_allowed_listeners, namespaces,
	    &kinds_gw_route_namespaces, 0),
};
static const struct schema_table kinds_gw_allowed_listeners = SCHEMA_TABLE_ORIGIN(
    "allowedListeners", struct gw_allowed_listeners,
    kinds_gw_allowed_listeners_fields, NULL);

static const struct schema_field kinds_gateway_spec_fields[] = {
	G_STR("gatewayClassName", struct gateway, gateway_class_name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_LIST("listeners", struct gateway, listeners, nlisteners,
	    &kinds_gw_listener, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_LIST("addresses", struct gateway, addresses, naddresses,
	    &kinds_gw_address, 0),
	G_PTR("tls", struct gateway, tls, &kinds_gw_gateway_tls, 0),
	G_PTR("allowedListeners", struct gateway, allowed_listeners,
	    &kinds_gw_allowed_listeners, 0),
	/* labels, annotations and parametersRef for provisioned
	 * infrastructure: nothing is provisioned on a host. */
	{ .key = "infrastructure", .type = SCHEMA_IGNORE, .flags = SCHEMA_HAS,
	  .has_offset = offsetof(struct gateway, has_infrastructure) },
};
static const struct schema_table kinds_gateway_spec = SCHEMA_TABLE(
    "spec", struct gateway, kinds_gateway_spec_fields, NULL);

static const struct schema_field kinds_gateway_fields[] = {
	G_DOCUMENT(struct gateway, u.gateway, &kinds_gateway_spec, SCHEMA_REQUIRED),
};
static const struct schema_table kinds_gateway = SCHEMA_TABLE(
    "Gateway", struct object, kinds_gateway_fields, NULL);

/* --- the kinds ------------------------------------------------------------ */

#define GW "gateway.networking.k8s.io/"

const struct kind_info kinds_gateway_api[] = {
	{ GW "v1", "GatewayClass", OBJ_GATEWAYCLASS, &kinds_gatewayclass },
	{ GW "v1beta1", "GatewayClass", OBJ_GATEWAYCLASS, &kinds_gatewayclass },
	{ GW "v1", "Gateway", OBJ_GATEWAY, &kinds_gateway },
	{ GW "v1beta1", "Gateway", OBJ_GATEWAY, &kinds_gateway },
	{ GW "v1", "HTTPRoute", OBJ_HTTPROUTE, &kinds_httproute },
	{ GW "v1beta1", "HTTPRoute", OBJ_HTTPROUTE, &kinds_httproute },
	{ GW "v1", "GRPCRoute", OBJ_GRPCROUTE, &kinds_grpcroute },
	{ GW "v1", "TLSRoute", OBJ_TLSROUTE, &kinds_tlsroute },
	{ GW "v1alpha3", "TLSRoute", OBJ_TLSROUTE, &kinds_tlsroute },
	{ GW "v1alpha2", "TLSRoute", OBJ_TLSROUTE, &kinds_tlsroute },
	{ GW "v1alpha2", "TCPRoute", OBJ_TCPROUTE, &kinds_tcproute },
	{ GW "v1alpha3", "TCPRoute", OBJ_TCPROUTE, &kinds_tcproute },
	{ GW "v1", "TCPRoute", OBJ_TCPROUTE, &kinds_tcproute },
	{ GW "v1beta1", "ReferenceGrant", OBJ_REFERENCEGRANT, &kinds_referencegrant },
	{ GW "v1", "ReferenceGrant", OBJ_REFERENCEGRANT, &kinds_referencegrant },
	{ GW "v1alpha3", "BackendTLSPolicy", OBJ_BACKENDTLSPOLICY,
	  &kinds_backendtlspolicy },
	{ GW "v1", "BackendTLSPolicy", OBJ_BACKENDTLSPOLICY, &kinds_backendtlspolicy },
	{ "v1", "ConfigMap", OBJ_CONFIGMAP, &kinds_configmap },
	{ "v1", "Namespace", OBJ_NAMESPACE, &kinds_namespace },
	{ NULL, NULL, OBJ_KIND_COUNT, NULL },
};
