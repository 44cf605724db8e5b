#include "xds/pb.h"

#include <string.h>

#include "xds/pb_encode.h"

#include "envoy/config/core/v3/address.pb-c.h"
#include "envoy/config/core/v3/config_source.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

void *
pb_new(struct arena *a, const ProtobufCMessageDescriptor *desc)
{
	/* message_init writes every member: zeroing first is wasted. */
	void *m = arena_alloc_nozero(a, desc->sizeof_message);

	desc->message_init((ProtobufCMessage *)m);
	return m;
}

void *
pb_array(struct arena *a, size_t n)
{
	return arena_alloc(a, sizeof(void *) * (n ? n : 1));
}

char *
pb_str(struct arena *a, const char *s)
{
	return arena_strdup(a, s);
}

uint8_t *
pb_pack(struct arena *a, const ProtobufCMessage *m, size_t *len_out)
{
	size_t len;
	const uint8_t *bytes = pb_encode_scratch(m, &len);
	uint8_t *buf = arena_alloc_nozero(a, len ? len : 1);

	memcpy(buf, bytes, len);
	*len_out = len;
	return buf;
}

static size_t
varint(uint64_t v, uint8_t out[10])
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t
pb_put_bytes_field(uint8_t *out, uint32_t field_number, const void *bytes,
    size_t len)
{
	size_t n = varint(((uint64_t)field_number << 3) | 2, out);

	n += varint(len, out + n);
	memcpy(out + n, bytes, len);
	return n + len;
}

size_t
pb_bytes_field_size(uint32_t field_number, size_t len)
{
	uint8_t head[20];
	size_t n = varint(((uint64_t)field_number << 3) | 2, head);

	return n + varint(len, head + n) + len;
}

uint32_t
pb_field_number(const ProtobufCMessageDescriptor *desc, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(desc, name);

	return f ? f->id : 0;
}

Google__Protobuf__Any *
pb_any(struct arena *a, const ProtobufCMessage *m)
{
	Google__Protobuf__Any *any = pb_new(a, &google__protobuf__any__descriptor);
	const char *name = m->descriptor->name;
	size_t pre = sizeof PB_TYPE_URL_PREFIX - 1, n = strlen(name);
	char *url = arena_alloc_nozero(a, pre + n + 1);

	/* One per filter and per typed config: a printf costs more than the
	 * copy. */
	memcpy(url, PB_TYPE_URL_PREFIX, pre);
	memcpy(url + pre, name, n + 1);
	any->type_url = url;
	any->value.data = pb_pack(a, m, &any->value.len);
	return any;
}

Google__Protobuf__Duration *
pb_duration_ms(struct arena *a, int64_t ms)
{
	Google__Protobuf__Duration *d = pb_new(a, &google__protobuf__duration__descriptor);

	d->seconds = ms / 1000;
	d->nanos = (int32_t)((ms % 1000) * 1000000);
	return d;
}

Google__Protobuf__UInt32Value *
pb_uint32(struct arena *a, uint32_t v)
{
	Google__Protobuf__UInt32Value *w = pb_new(a, &google__protobuf__uint32_value__descriptor);

	w->value = v;
	return w;
}

Google__Protobuf__BoolValue *
pb_bool(struct arena *a, int v)
{
	Google__Protobuf__BoolValue *w = pb_new(a, &google__protobuf__bool_value__descriptor);

	w->value = v != 0;
	return w;
}

Envoy__Config__Core__V3__ConfigSource *
pb_ads_config_source(struct arena *a)
{
	Envoy__Config__Core__V3__ConfigSource *cs =
	    pb_new(a, &envoy__config__core__v3__config_source__descriptor);

	cs->resource_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
	cs->config_source_specifier_case =
	    ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
	cs->ads = pb_new(a, &envoy__config__core__v3__aggregated_config_source__descriptor);
	return cs;
}

Envoy__Config__Core__V3__Address *
pb_socket_address(struct arena *a, const char *ip, uint32_t port)
{
	Envoy__Config__Core__V3__Address *addr =
	    pb_new(a, &envoy__config__core__v3__address__descriptor);
	Envoy__Config__Core__V3__SocketAddress *sa =
	    pb_new(a, &envoy__config__core__v3__socket_address__descriptor);

	sa->address = pb_borrow(ip); /* callers pass DAG or option strings */
	sa->port_specifier_case =
	    ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
	sa->port_value = port;
	addr->address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
	addr->socket_address = sa;
	return addr;
}
