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
/* Serialize m into the arena. */
uint8_t *pb_pack(struct arena *a, const ProtobufCMessage *m, size_t *len_out);
/* An Any holding m (type URL from m's descriptor). */
struct Google__Protobuf__Any *pb_any(struct arena *a, const ProtobufCMessage *m);
struct Google__Protobuf__Duration *pb_duration_ms(struct arena *a, int64_t ms);
struct Google__Protobuf__UInt32Value *pb_uint32(struct arena *a, uint32_t v);
struct Google__Protobuf__BoolValue *pb_bool(struct arena *a, int v);
/* ConfigSource {ads: {}, resource_api_version: V3}: everything points
 * back at ADS. */
struct Envoy__Config__Core__V3__ConfigSource *pb_ads_config_source(struct arena *a);
struct Envoy__Config__Core__V3__Address *pb_socket_address(struct arena *a,
    const char *ip, uint32_t port);

#define PB_TYPE_URL_PREFIX "type.googleapis.com/"

#endif
