/* Small helpers for building protobuf-c messages in an arena: every
 * message of one translation lives exactly as long as that translation. */
#ifndef CAIRN_XDS_PB_H
#define CAIRN_XDS_PB_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "util/arena.h"

struct Google__Protobuf__Any;
struct Google__Protobuf__Duration;
struct Google__Protobuf__UInt32Value;
struct Google__Protobuf__BoolValue;
struct Envoy__Config__Core__V3__ConfigSource;
struct Envoy__Config__Core__V3__Address;

/* A new, initialised message of the given type. */
void *pb_new(struct arena *a, const ProtobufCMessageDescriptor *desc);
/* An array of n pointers. */
void *pb_array(struct arena *a, size_t n);
char *pb_str(struct arena *a, const char *s);
/* s itself, for a string that outlives the serialization (the DAG's and
 * the options' strings outlive the translation): no copy. pb_str for
 * anything built on the stack or in a strbuf. */
static inline char *
pb_borrow(const char *s)
{
	return (char *)(uintptr_t)s;
}
/* Serialize m into the arena. */
uint8_t *pb_pack(struct arena *a, const ProtobufCMessage *m, size_t *len_out);

/* A length-delimited field (tag, length, bytes) written at out: how a
 * message with a long repeated field is serialized one element at a
 * time, which is byte for byte what packing the whole message gives
 * when the field is the last one set. Returns the bytes written,
 * pb_bytes_field_size(field_number, len) of them. */
size_t pb_put_bytes_field(uint8_t *out, uint32_t field_number,
    const void *bytes, size_t len);
size_t pb_bytes_field_size(uint32_t field_number, size_t len);
/* The number of a field of desc, by name (0 when there is none). */
uint32_t pb_field_number(const ProtobufCMessageDescriptor *desc,
    const char *name);
/* An Any holding m (type URL from m's descriptor). */
struct Google__Protobuf__Any *pb_any(struct arena *a, const ProtobufCMessage *m);
struct Google__Protobuf__Duration *pb_duration_ms(struct arena *a, int64_t ms);
struct Google__Protobuf__UInt32Value *pb_uint32(struct arena *a, uint32_t v);
struct Google__Protobuf__BoolValue *pb_bool(struct arena *a, int v);
/* ConfigSource {ads: {}, resource_api_version: V3}: everything points
 * back at ADS. */
struct Envoy__Config__Core__V3__ConfigSource *pb_ads_config_source(struct arena *a);
/* ip is borrowed (pb_borrow): it must outlive the serialization. */
struct Envoy__Config__Core__V3__Address *pb_socket_address(struct arena *a,
    const char *ip, uint32_t port);

#define PB_TYPE_URL_PREFIX "type.googleapis.com/"

#endif
