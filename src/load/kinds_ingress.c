/* Schema table of Ingress (networking.k8s.io/v1): rules, paths, backends
 * and spec.tls. What the annotations mean is read by the DAG. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>
#include <string.h>

#include "util/xalloc.h"

/* --- Ingress ------------------------------------------------------------ */

/* service.port: a number or a name, not both. */
static void
kinds_backend_port_validate(struct schema_ctx *ctx, const struct ynode *map,
    void *obj)
{
	const struct ing_backend *b = obj;

	if ((b->port_name != NULL) == (b->port_number != 0))
		schema_error(ctx, map, "port must set exactly one of name or number");
}

static const struct schema_field kinds_backend_port_fields[] = {
	F_STR("name", struct ing_backend, port_name, SCHEMA_NONEMPTY, NULL),
	F_PORT("number", struct ing_backend, port_number, 0),
};
static const struct schema_table kinds_backend_port = SCHEMA_TABLE(
    "port", struct ing_backend, kinds_backend_port_fields,
    kinds_backend_port_validate);

static const struct schema_field kinds_backend_service_fields[] = {
	F_STR("name", struct ing_backend, service_name, SCHEMA_REQUIRED,
	    schema_check_dns1123_label),
	{ .key = "port", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = 0, .sub = &kinds_backend_port },
};
static const struct schema_table kinds_backend_service = SCHEMA_TABLE(
    "service", struct ing_backend, kinds_backend_service_fields, NULL);

static const struct schema_field kinds_backend_fields[] = {
	{ .key = "service", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = 0, .sub = &kinds_backend_service },
	/* A backend that is not a Service has no meaning outside a cluster. */
	F_UNSUPPORTED("resource"),
};
static const struct schema_table kinds_backend = SCHEMA_TABLE_ORIGIN(
    "backend", struct ing_backend, kinds_backend_fields, NULL);

static const char *const kinds_path_types[] = { "Exact", "Prefix",
	"ImplementationSpecific", NULL };

static void
kinds_ing_path_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct ing_path *p = obj;

	if (p->path != NULL && p->path[0] != '/')
		schema_error_at(ctx, ynode_get(map, "path"), "path",
		    "must start with \"/\"");
}

static const struct schema_field kinds_ing_path_fields[] = {
	F_STR("path", struct ing_path, path, 0, NULL),
	F_ENUMSTR("pathType", struct ing_path, path_type, SCHEMA_REQUIRED,
	    kinds_path_types),
	{ .key = "backend", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct ing_path, backend), .sub = &kinds_backend },
};
static const struct schema_table kinds_ing_path = SCHEMA_TABLE_ORIGIN(
    "path", struct ing_path, kinds_ing_path_fields, kinds_ing_path_validate);

static const struct schema_field kinds_ing_http_fields[] = {
	F_LIST("paths", struct ing_rule, paths, npaths, &kinds_ing_path,
	    SCHEMA_REQUIRED),
};
static const struct schema_table kinds_ing_http = SCHEMA_TABLE(
    "http", struct ing_rule, kinds_ing_http_fields, NULL);

static const struct schema_field kinds_ing_rule_fields[] = {
	F_STR("host", struct ing_rule, host, 0, schema_check_fqdn),
	{ .key = "http", .type = SCHEMA_OBJECT, .offset = 0,
	  .sub = &kinds_ing_http },
};
static const struct schema_table kinds_ing_rule = SCHEMA_TABLE_ORIGIN(
    "rule", struct ing_rule, kinds_ing_rule_fields, NULL);

static const struct schema_field kinds_ing_tls_fields[] = {
	F_STRV("hosts", struct ing_tls, hosts, nhosts, 0),
	F_STR("secretName", struct ing_tls, secret_name, 0, NULL),
};
static const struct schema_table kinds_ing_tls = SCHEMA_TABLE_ORIGIN(
    "tls", struct ing_tls, kinds_ing_tls_fields, NULL);

static const struct schema_field kinds_ingress_spec_fields[] = {
	F_STR("ingressClassName", struct ingress, ingress_class_name, 0, NULL),
	F_PTR("defaultBackend", struct ingress, default_backend, &kinds_backend),
	F_LIST("rules", struct ingress, rules, nrules, &kinds_ing_rule, 0),
	F_LIST("tls", struct ingress, tls, ntls, &kinds_ing_tls, 0),
};
static const struct schema_table kinds_ingress_spec = SCHEMA_TABLE(
    "spec", struct ingress, kinds_ingress_spec_fields, NULL);

static const struct schema_field kinds_ingress_fields[] = {
	F_IGNORE("apiVersion"),
	F_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "spec", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, u.ingress), .sub = &kinds_ingress_spec },
	F_IGNORE("status"),
};
const struct schema_table kinds_ingress = SCHEMA_TABLE(
    "Ingress", struct object, kinds_ingress_fields, NULL);
