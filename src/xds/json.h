/* The proto3 JSON mapping of any generated message, driven only by its
 * protobuf-c descriptor, and a small YAML printer for the result: what
 * `cairn dump` prints (SPEC.md §2). Field names are the proto names
 * (snake_case), not json_name. */
#ifndef CAIRN_XDS_JSON_H
#define CAIRN_XDS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

struct strbuf;

struct xds_json_options {
	/* Print TlsCertificate private_key and password as they are instead
	 * of {"inline_string": "[redacted]"}. */
	bool show_secrets;
};

/* The caller owns the returned json_t (json_decref). NULL on failure, with
 * the reason in xds_json_error(). Secrets are redacted. */
json_t *xds_message_to_json(const ProtobufCMessage *msg);
json_t *xds_message_to_json_opts(const ProtobufCMessage *msg,
    const struct xds_json_options *o);

/* Decode bytes as the message named by type_url (see xds_registry_lookup)
 * and convert it; the result has no "@type" key. NULL for an unknown type
 * or bytes that do not decode, with the reason in xds_json_error(). */
json_t *xds_bytes_to_json(const char *type_url, const uint8_t *bytes, size_t len);
json_t *xds_bytes_to_json_opts(const char *type_url, const uint8_t *bytes,
    size_t len, const struct xds_json_options *o);

/* Why the last call in this thread returned NULL (static storage). */
const char *xds_json_error(void);

/* Append v as block-style YAML (2-space indent, keys in insertion order,
 * strings quoted only when a YAML reader could take them for something
 * else), ending in a newline. */
void xds_json_to_yaml(const json_t *v, struct strbuf *out);

#endif
