/* Every protobuf-c message descriptor compiled from proto/, by full name, so
 * the bytes inside a google.protobuf.Any (or a snapshot resource) can be
 * decoded knowing only their type URL. */
#ifndef CAIRN_XDS_REGISTRY_H
#define CAIRN_XDS_REGISTRY_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Accepts "type.googleapis.com/envoy.config.listener.v3.Listener" (any
 * host: everything up to the last '/' is ignored) or the bare full name.
 * Returns a static descriptor, or NULL for a type cairn was not built with. */
const ProtobufCMessageDescriptor *xds_registry_lookup(const char *type_url_or_full_name);

/* The table itself, sorted by full name (for tests and fuzzers). */
size_t xds_registry_count(void);
const ProtobufCMessageDescriptor *xds_registry_at(size_t i);

#endif
