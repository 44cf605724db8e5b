/* Schema tables of the TLS kinds: Secret (v1), TLSCertificateDelegation
 * (projectcontour.io/v1), and the TLS parts of HTTPProxy
 * (virtualhost.tls, spec.tcpproxy, services[].validation). What the
 * values mean (PEM, delegation, versions) is checked by the DAG, which
 * has the other objects and the files. */
#include "load/kinds.h"
#include "load/kinds_internal.h"

#include <stddef.h>
#include <string.h>

#include "util/base64.h"
#include "util/xalloc.h"

#define T_STR(key_, type_, field_, flags_, check_)                             \
	{ .key = (key_), .type = SCHEMA_STRING,                                \
	  .offset = offsetof(type_, field_), .flags = (flags_), .check = (check_) }
#define T_ENUMSTR(key_, type_, field_, allowed_)                               \
	{ .key = (key_), .type = SCHEMA_STRING, .offset = offsetof(type_, field_), \
	  .allowed = (allowed_) }
#define T_BOOL(key_, type_, field_)                                             \
	{ .key = (key_), .type = SCHEMA_BOOL, .offset = offsetof(type_, field_) }
#define T_PTR(key_, type_, field_, sub_)                                       \
	{ .key = (key_), .type = SCHEMA_OBJECT_PTR, .offset = offsetof(type_, field_), \
	  .sub = (sub_) }
#define T_LIST(key_, type_, field_, count_, sub_, flags_)                      \
	{ .key = (key_), .type = SCHEMA_OBJECT_LIST,                           \
	  .offset = offsetof(type_, field_), .count_offset = offsetof(type_, count_), \
	  .sub = (sub_), .flags = (flags_) }
#define T_IGNORE(key_) { .key = (key_), .type = SCHEMA_IGNORE }
#define T_UNSUPPORTED(key_) { .key = (key_), .type = SCHEMA_UNSUPPORTED }

/* A Secret reference: "name" or "namespace/name". */
static const char *
kinds_check_secret_ref(const char *s)
{
	const char *slash = strchr(s, '/');
	char ns[64];

	if (slash == NULL)
		return schema_check_dns1123_subdomain(s);
	if (strchr(slash + 1, '/') != NULL || (size_t)(slash - s) >= sizeof ns)
		return "must be \"name\" or \"namespace/name\"";
	memcpy(ns, s, (size_t)(slash - s));
	ns[slash - s] = '\0';
	if (schema_check_dns1123_label(ns) != NULL)
		return "must be \"name\" or \"namespace/name\" (the namespace is "
		    "not a valid DNS-1123 label)";
	return schema_check_dns1123_subdomain(slash + 1);
}

/* --- HTTPProxy: virtualhost.tls ---------------------------------------------- */

static const char *const kinds_tls_versions[] = { "1.2", "1.3", NULL };

static const struct schema_field kinds_forward_cert_fields[] = {
	T_BOOL("subject", struct hp_forward_cert, subject),
	T_BOOL("cert", struct hp_forward_cert, cert),
	T_BOOL("chain", struct hp_forward_cert, chain),
	T_BOOL("dns", struct hp_forward_cert, dns),
	T_BOOL("uri", struct hp_forward_cert, uri),
};
static const struct schema_table kinds_forward_cert = SCHEMA_TABLE_ORIGIN(
    "forwardClientCertificate", struct hp_forward_cert,
    kinds_forward_cert_fields, NULL);

static const struct schema_field kinds_client_validation_fields[] = {
	T_STR("caSecret", struct hp_client_validation, ca_secret, 0,
	    kinds_check_secret_ref),
	T_STR("crlSecret", struct hp_client_validation, crl_secret, 0,
	    kinds_check_secret_ref),
	T_BOOL("onlyVerifyLeafCertCrl", struct hp_client_validation,
	    only_verify_leaf_cert_crl),
	T_BOOL("optionalClientCertificate", struct hp_client_validation,
	    optional_client_certificate),
	T_BOOL("skipClientCertValidation", struct hp_client_validation,
	    skip_client_cert_validation),
	T_PTR("forwardClientCertificate", struct hp_client_validation,
	    forward_client_certificate, &kinds_forward_cert),
};
static const struct schema_table kinds_client_validation = SCHEMA_TABLE_ORIGIN(
    "clientValidation", struct hp_client_validation,
    kinds_client_validation_fields, NULL);

static const struct schema_field kinds_hp_tls_fields[] = {
	T_STR("secretName", struct hp_tls, secret_name, 0, kinds_check_secret_ref),
	T_ENUMSTR("minimumProtocolVersion", struct hp_tls, minimum_protocol_version,
	    kinds_tls_versions),
	T_ENUMSTR("maximumProtocolVersion", struct hp_tls, maximum_protocol_version,
	    kinds_tls_versions),
	T_BOOL("passthrough", struct hp_tls, passthrough),
	T_BOOL("enableFallbackCertificate", struct hp_tls,
	    enable_fallback_certificate),
	T_PTR("clientValidation", struct hp_tls, client_validation,
	    &kinds_client_validation),
};
const struct schema_table kinds_hp_tls = SCHEMA_TABLE_ORIGIN("tls",
    struct hp_tls, kinds_hp_tls_fields, NULL);

/* --- HTTPProxy: services[].validation --------------------------------------- */

static const struct schema_field kinds_upstream_validation_fields[] = {
	T_STR("caSecret", struct hp_upstream_validation, ca_secret,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, kinds_check_secret_ref),
	T_STR("subjectName", struct hp_upstream_validation, subject_name,
	    SCHEMA_REQUIRED | SCHEMA_NONEMPTY, NULL),
	{ .key = "subjectNames", .type = SCHEMA_STRING_LIST,
	  .offset = offsetof(struct hp_upstream_validation, subject_names),
	  .count_offset = offsetof(struct hp_upstream_validation, nsubject_names),
	  .flags = SCHEMA_NONEMPTY },
};

/* Contour's CRD rule: subjectNames, when set, starts with subjectName. */
static void
kinds_upstream_validation_validate(struct schema_ctx *ctx,
    const struct ynode *map, void *obj)
{
	const struct hp_upstream_validation *v = obj;

	if (v->nsubject_names > 0 && v->subject_name != NULL &&
	    strcmp(v->subject_names[0], v->subject_name) != 0)
		schema_error_at(ctx, ynode_get(map, "subjectNames"), "subjectNames",
		    "the first subject name must be subjectName (\"%s\")",
		    v->subject_name);
}

const struct schema_table kinds_upstream_validation = SCHEMA_TABLE_ORIGIN(
    "validation", struct hp_upstream_validation,
    kinds_upstream_validation_fields, kinds_upstream_validation_validate);

/* --- HTTPProxy: spec.tcpproxy ------------------------------------------------ */

static const struct schema_field kinds_tcpproxy_include_fields[] = {
	T_STR("name", struct hp_tcpproxy_include, name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	T_STR("namespace", struct hp_tcpproxy_include, namespace, 0,
	    schema_check_dns1123_label),
};
static const struct schema_table kinds_tcpproxy_include = SCHEMA_TABLE_ORIGIN(
    "include", struct hp_tcpproxy_include, kinds_tcpproxy_include_fields, NULL);

/* Contour's TCPHealthCheckPolicy: the HTTP one without path, host and
 * expected statuses. */
static const struct schema_field kinds_tcp_health_check_fields[] = {
	{ .key = "intervalSeconds", .type = SCHEMA_INT64,
	  .offset = offsetof(struct hp_health_check, interval_seconds),
	  .min = 0, .max = 86400 },
	{ .key = "timeoutSeconds", .type = SCHEMA_INT64,
	  .offset = offsetof(struct hp_health_check, timeout_seconds),
	  .min = 0, .max = 86400 },
	{ .key = "unhealthyThresholdCount", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_health_check, unhealthy_threshold) },
	{ .key = "healthyThresholdCount", .type = SCHEMA_UINT32,
	  .offset = offsetof(struct hp_health_check, healthy_threshold) },
};
static const struct schema_table kinds_tcp_health_check = SCHEMA_TABLE_ORIGIN(
    "healthCheckPolicy", struct hp_health_check, kinds_tcp_health_check_fields,
    NULL);

static const struct schema_field kinds_tcpproxy_fields[] = {
	T_LIST("services", struct hp_tcpproxy, services, nservices,
	    &kinds_service_ref, 0),
	T_PTR("include", struct hp_tcpproxy, include, &kinds_tcpproxy_include),
	T_PTR("includes", struct hp_tcpproxy, includes, &kinds_tcpproxy_include),
	T_PTR("loadBalancerPolicy", struct hp_tcpproxy, lb_policy, &kinds_lb_policy),
	T_PTR("healthCheckPolicy", struct hp_tcpproxy, health_check,
	    &kinds_tcp_health_check),
};
const struct schema_table kinds_tcpproxy = SCHEMA_TABLE_ORIGIN("tcpproxy",
    struct hp_tcpproxy, kinds_tcpproxy_fields, NULL);

/* --- Secret ----------------------------------------------------------------- */

/* Kubernetes: keys of data and stringData are [-._a-zA-Z0-9]+. */
static bool
kinds_secret_key_ok(const char *k)
{
	if (*k == '\0' || strlen(k) > 253)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || *k == '-' || *k == '.' || *k == '_'))
			return false;
	return true;
}

/* data (base64) and stringData (text): both become secret_items. */
static void
kinds_secret_items(struct schema_ctx *ctx, const struct ynode *node, void *obj,
    const struct schema_field *f)
{
	struct secret *s = &((struct object *)obj)->u.secret;
	bool string_data = strcmp(f->key, "stringData") == 0;
	size_t cap = s->nitems;

	if (node->type != YNODE_MAPPING) {
		schema_error(ctx, node, "expected a mapping of keys to %s, got %s",
		    string_data ? "strings" : "base64 strings",
		    ynode_type_name(node));
		return;
	}
	for (size_t i = 0; i < node->map.n; i++) {
		const struct ynode *k = node->map.items[i].key;
		const struct ynode *v = node->map.items[i].value;
		struct secret_item it = { .string_data = string_data };

		if (!kinds_secret_key_ok(k->scalar.value)) {
			schema_error(ctx, k, "key \"%s\" is not valid (Kubernetes "
			    "allows letters, digits, '-', '_' and '.')", k->scalar.value);
			continue;
		}
		if (v->type != YNODE_SCALAR) {
			schema_error_at(ctx, v, k->scalar.value, "expected a string, "
			    "got %s", ynode_type_name(v));
			continue;
		}
		it.key = arena_strdup(ctx->arena, k->scalar.value);
		it.origin.file = ctx->file;
		it.origin.line = v->line;
		it.origin.col = v->col;
		if (string_data || ynode_is_null(v)) {
			it.len = ynode_is_null(v) ? 0 : v->scalar.len;
			it.value = arena_memdup(ctx->arena, ynode_is_null(v) ? "" :
			    v->scalar.value, it.len + 1);
		} else {
			it.value = arena_alloc(ctx->arena, v->scalar.len / 4 * 3 + 4);
			if (base64_decode(v->scalar.value, v->scalar.len, it.value,
			    &it.len) < 0) {
				schema_error_at(ctx, v, k->scalar.value, "not valid base64 "
				    "(data holds base64; put PEM text under stringData)");
				continue;
			}
			it.value[it.len] = '\0';
		}
		if (s->nitems >= cap) {
			cap = cap ? cap * 2 : 4;
			s->items = arena_grow(ctx->arena, s->items, s->nitems, cap,
			    sizeof *s->items);
		}
		s->items[s->nitems++] = it;
	}
}

static const struct ynode *
kinds_annotation_node(const struct ynode *root, const char *key)
{
	return ynode_get(ynode_get(ynode_get(root, "metadata"), "annotations"), key);
}

static void
kinds_secret_file(struct schema_ctx *ctx, const struct ynode *root,
    const char *key, char **out, struct origin *origin)
{
	const struct ynode *v = kinds_annotation_node(root, key);

	if (v == NULL || v->type != YNODE_SCALAR)
		return;
	*out = arena_strdup(ctx->arena, v->scalar.value);
	origin->file = ctx->file;
	origin->line = v->line;
	origin->col = v->col;
	if (v->scalar.value[0] != '/')
		schema_error(ctx, v, "metadata.annotations.%s: \"%s\" must be an "
		    "absolute path", key, v->scalar.value);
}

/* stringData wins over data for the same key, as the API server merges
 * them; the annotations name the files of a file-backed Secret. */
static void
kinds_secret_validate(struct schema_ctx *ctx, const struct ynode *map, void *obj)
{
	struct secret *s = &((struct object *)obj)->u.secret;
	size_t n = 0;

	for (size_t i = 0; i < s->nitems; i++) {
		bool shadowed = false;

		for (size_t j = 0; j < s->nitems && !shadowed; j++)
			shadowed = j != i && s->items[j].string_data &&
			    !s->items[i].string_data &&
			    strcmp(s->items[i].key, s->items[j].key) == 0;
		if (!shadowed)
			s->items[n++] = s->items[i];
	}
	s->nitems = n;
	kinds_secret_file(ctx, map, "cairn.io/certificate-file",
	    &s->certificate_file, &s->certificate_file_origin);
	kinds_secret_file(ctx, map, "cairn.io/private-key-file",
	    &s->private_key_file, &s->private_key_file_origin);
	kinds_secret_file(ctx, map, "cairn.io/ca-file", &s->ca_file,
	    &s->ca_file_origin);
}

static const struct schema_field kinds_secret_fields[] = {
	T_IGNORE("apiVersion"),
	T_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	T_STR("type", struct object, u.secret.type, 0, NULL),
	{ .key = "data", .type = SCHEMA_CUSTOM, .custom = kinds_secret_items },
	{ .key = "stringData", .type = SCHEMA_CUSTOM, .custom = kinds_secret_items },
	T_IGNORE("immutable"),
};
const struct schema_table kinds_secret = SCHEMA_TABLE("Secret", struct object,
    kinds_secret_fields, kinds_secret_validate);

/* --- TLSCertificateDelegation ----------------------------------------------- */

static const char *
kinds_check_target_namespace(const char *s)
{
	if (strcmp(s, "*") == 0)
		return NULL;
	return schema_check_dns1123_label(s);
}

static const struct schema_field kinds_delegation_fields[] = {
	T_STR("secretName", struct tlsd_delegation, secret_name, SCHEMA_REQUIRED,
	    schema_check_dns1123_subdomain),
	{ .key = "targetNamespaces", .type = SCHEMA_STRING_LIST,
	  .offset = offsetof(struct tlsd_delegation, target_namespaces),
	  .count_offset = offsetof(struct tlsd_delegation, ntarget_namespaces),
	  .flags = SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	  .check = kinds_check_target_namespace },
};
static const struct schema_table kinds_delegation = SCHEMA_TABLE_ORIGIN(
    "delegation", struct tlsd_delegation, kinds_delegation_fields, NULL);

static const struct schema_field kinds_tlsdelegation_spec_fields[] = {
	T_LIST("delegations", struct tls_delegation, delegations, ndelegations,
	    &kinds_delegation, SCHEMA_REQUIRED | SCHEMA_NONEMPTY),
};
static const struct schema_table kinds_tlsdelegation_spec = SCHEMA_TABLE("spec",
    struct tls_delegation, kinds_tlsdelegation_spec_fields, NULL);

static const struct schema_field kinds_tlsdelegation_fields[] = {
	T_IGNORE("apiVersion"),
	T_IGNORE("kind"),
	{ .key = "metadata", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, meta), .sub = &kinds_meta },
	{ .key = "spec", .type = SCHEMA_OBJECT, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct object, u.tls_delegation),
	  .sub = &kinds_tlsdelegation_spec },
	T_IGNORE("status"),
};
const struct schema_table kinds_tlsdelegation = SCHEMA_TABLE(
    "TLSCertificateDelegation", struct object, kinds_tlsdelegation_fields, NULL);
