/* Schema tables of the Gateway API kinds that grant or shape what
 * routes reach (SPEC.md §5a): ReferenceGrant and BackendTLSPolicy, and
 * the two core kinds they lean on, ConfigMap (only data.ca.crt) and
 * Namespace (labels). */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>
#include <string.h>

#include "util/duration.h"
#include "util/xalloc.h"

/* --- ReferenceGrant ------------------------------------------------------ */

/* ReferenceGrant from[]: group, kind, namespace (no name). */
static const struct schema_field kinds_gw_grant_from_fields[] = {
	G_STR("group", struct gw_object_ref, group, SCHEMA_REQUIRED),
	G_STR("kind", struct gw_object_ref, kind, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STRC("namespace", struct gw_object_ref, namespace,
	    SCHEMA_REQUIRED, schema_check_dns1123_label),
};
static const struct schema_table kinds_gw_grant_from = SCHEMA_TABLE_ORIGIN(
    "from", struct gw_object_ref, kinds_gw_grant_from_fields, NULL);

/* ReferenceGrant to[]: group, kind, optional name. */
static const struct schema_field kinds_gw_grant_to_fields[] = {
	G_STR("group", struct gw_object_ref, group, SCHEMA_REQUIRED),
	G_STR("kind", struct gw_object_ref, kind, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_STR("name", struct gw_object_ref, name, 0),
};
static const struct schema_table kinds_gw_grant_to = SCHEMA_TABLE_ORIGIN(
    "to", struct gw_object_ref, kinds_gw_grant_to_fields, NULL);

static const struct schema_field kinds_referencegrant_spec_fields[] = {
	G_LIST("from", struct referencegrant, from, nfrom, &kinds_gw_grant_from,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_LIST("to", struct referencegrant, to, nto, &kinds_gw_grant_to,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_referencegrant_spec = SCHEMA_TABLE(
    "spec", struct referencegrant, kinds_referencegrant_spec_fields, NULL);

static const struct schema_field kinds_referencegrant_fields[] = {
	G_DOCUMENT(struct referencegrant, u.referencegrant,
	    &kinds_referencegrant_spec, SCHEMA_REQUIRED),
};
const struct schema_table kinds_referencegrant = SCHEMA_TABLE(
    "ReferenceGrant", struct object, kinds_referencegrant_fields, NULL);

/* --- BackendTLSPolicy ---------------------------------------------------- */

static const char *const kinds_gw_san_types[] = { "Hostname", "URI", NULL };

static const struct schema_field kinds_gw_san_fields[] = {
	G_ENUMSTR("type", struct gw_san, type, SCHEMA_REQUIRED, kinds_gw_san_types),
	G_STRC("hostname", struct gw_san, hostname, 0, kinds_gw_check_hostname),
	G_STR("uri", struct gw_san, uri, 0),
};

static void
kinds_gw_san_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	const struct gw_san *s = obj;
	bool host = strcmp(s->type, "Hostname") == 0;

	if (host ? s->hostname == NULL : s->uri == NULL)
		schema_error(ctx, map, "type %s needs %s", s->type,
		    host ? "hostname" : "uri");
	else if (host ? s->uri != NULL : s->hostname != NULL)
		schema_error(ctx, map, "type %s: %s must not be set", s->type,
		    host ? "uri" : "hostname");
}
static const struct schema_table kinds_gw_san = SCHEMA_TABLE_ORIGIN(
    "subjectAltName", struct gw_san, kinds_gw_san_fields, kinds_gw_san_validate);

static const char *const kinds_gw_well_known[] = { "System", NULL };

static const struct schema_field kinds_gw_backend_tls_validation_fields[] = {
	G_LIST("caCertificateRefs", struct gw_backend_tls_validation,
	    ca_certificate_refs, nca_certificate_refs, &kinds_gw_object_ref, 0),
	G_ENUMSTR("wellKnownCACertificates", struct gw_backend_tls_validation,
	    well_known_ca_certificates, 0, kinds_gw_well_known),
	G_STRC("hostname", struct gw_backend_tls_validation, hostname,
	    SCHEMA_REQUIRED, kinds_gw_check_hostname),
	G_LIST("subjectAltNames", struct gw_backend_tls_validation,
	    subject_alt_names, nsubject_alt_names, &kinds_gw_san, 0),
};

/* Exactly one source of trust (the API's CEL). */
static void
kinds_gw_backend_tls_validation_validate(struct schema_ctx *ctx,
    const struct ynode *map, void *obj)
{
	const struct gw_backend_tls_validation *v = obj;

	if ((v->nca_certificate_refs > 0) == (v->well_known_ca_certificates != NULL))
		schema_error(ctx, map, "set exactly one of caCertificateRefs and "
		    "wellKnownCACertificates");
}
static const struct schema_table kinds_gw_backend_tls_validation =
    SCHEMA_TABLE_ORIGIN("validation", struct gw_backend_tls_validation,
    kinds_gw_backend_tls_validation_fields,
    kinds_gw_backend_tls_validation_validate);

static const struct schema_field kinds_backendtlspolicy_spec_fields[] = {
	G_LIST("targetRefs", struct backendtlspolicy, target_refs, ntarget_refs,
	    &kinds_gw_object_ref, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
	G_OBJ("validation", struct backendtlspolicy, validation,
	    &kinds_gw_backend_tls_validation, SCHEMA_REQUIRED),
	G_MAP("options", struct backendtlspolicy, options, noptions),
};
static const struct schema_table kinds_backendtlspolicy_spec = SCHEMA_TABLE(
    "spec", struct backendtlspolicy, kinds_backendtlspolicy_spec_fields, NULL);

static const struct schema_field kinds_backendtlspolicy_fields[] = {
	G_DOCUMENT(struct backendtlspolicy, u.backendtlspolicy,
	    &kinds_backendtlspolicy_spec, SCHEMA_REQUIRED),
};
const struct schema_table kinds_backendtlspolicy = SCHEMA_TABLE(
    "BackendTLSPolicy", struct object, kinds_backendtlspolicy_fields, NULL);

/* --- ConfigMap, Namespace ------------------------------------------------ */

/* data: every key is accepted (ConfigMaps hold other things too); only
 * ca.crt is kept. */
static void
kinds_configmap_data(struct schema_ctx *ctx, const struct ynode *node,
    void *obj, const struct schema_field *f)
{
	struct object *o = obj;
	const struct ynode *v;

	(void)f;
	if (node->type != YNODE_MAPPING) {
		schema_error(ctx, node, "expected a mapping of strings, got %s",
		    ynode_type_name(node));
		return;
	}
	v = ynode_get(node, "ca.crt");
	if (v == NULL || ynode_is_null(v))
		return;
	if (v->type != YNODE_SCALAR || strlen(v->scalar.value) != v->scalar.len) {
		schema_error_at(ctx, v, "ca.crt", "expected a PEM string, got %s",
		    ynode_type_name(v));
		return;
	}
	o->u.configmap.ca_crt = arena_strdup(ctx->arena, v->scalar.value);
	o->u.configmap.ca_crt_origin.file = ctx->file;
	o->u.configmap.ca_crt_origin.line = v->line;
	o->u.configmap.ca_crt_origin.col = v->col;
}

static const struct schema_field kinds_configmap_fields[] = {
	G_IGNORE("apiVersion"), G_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "data", .type = SCHEMA_CUSTOM, .custom = kinds_configmap_data },
	G_IGNORE("binaryData"),
	G_IGNORE("immutable"),
};
const struct schema_table kinds_configmap = SCHEMA_TABLE(
    "ConfigMap", struct object, kinds_configmap_fields, NULL);

static const struct schema_field kinds_namespace_fields[] = {
	G_IGNORE("apiVersion"), G_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	G_IGNORE("spec"), /* finalizers */
	G_IGNORE("status"),
};
const struct schema_table kinds_namespace = SCHEMA_TABLE(
    "Namespace", struct object, kinds_namespace_fields, NULL);
