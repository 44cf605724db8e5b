/*
 * proto3 JSON mapping (https://protobuf.dev/programming-guides/proto3/#json)
 * of protobuf-c messages, walking only the descriptors: no per-type code, so
 * a field added to proto/ shows up in `cairn dump` without touching this
 * file. Deviations from the canonical mapping, all on purpose: field names
 * are the proto names, fields come in field-number order (the order of
 * protobuf-c's `fields` array), an Any whose type is unknown or whose bytes
 * do not decode is printed as {"@type", "value": base64} instead of failing
 * the whole dump, and invalid UTF-8 in a string becomes U+FFFD.
 */
#include "xds/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/base64.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "xds/registry.h"

/* An Any may hold an Any: bound the nesting, the bytes come from outside. */
#define JSON_MAX_ANY_DEPTH 32

#define WKT_PREFIX "google.protobuf."

struct json_conv {
	const struct xds_json_options *opts;
	int any_depth;
};

static _Thread_local char json_errbuf[256];

static json_t *message_json(const ProtobufCMessage *m, struct json_conv *c);

static void __attribute__((format(printf, 1, 2)))
json_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json_errbuf, sizeof json_errbuf, fmt, ap);
	va_end(ap);
}

const char *
xds_json_error(void)
{
	return json_errbuf;
}

/* --- UTF-8 and bytes -------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (n bytes available), or 0;
 * *cp receives the code point. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v, min;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2, v = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, v = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* A JSON string from bytes that should be UTF-8 but were never checked. */
static json_t *
string_json(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *j;
	size_t i, step;
	uint32_t cp;

	if ((j = json_stringn(s, len)) != NULL)
		return j;
	for (i = 0; i < len; i += step) {
		step = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (step == 0) {
			strbuf_puts(&sb, "\xef\xbf\xbd");
			step = 1;
		} else {
			strbuf_add(&sb, s + i, step);
		}
	}
	j = json_stringn(sb.buf ? sb.buf : "", sb.len);
	strbuf_free(&sb);
	return j;
}

static json_t *
base64_json(const uint8_t *data, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *j;

	base64_encode(data, len, &sb);
	j = json_stringn(sb.buf ? sb.buf : "", sb.len);
	strbuf_free(&sb);
	return j;
}

/* --- scalars ----------------------------------------------------------- */

static json_t *
double_json(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	return json_real(v);
}

/* The double nearest to the shortest decimal that reads back as v, so
 * 0.1f prints as 0.1 and not 0.100000001490116. */
static json_t *
float_json(float v)
{
	char buf[32];
	int prec;

	if (!isfinite(v))
		return double_json(v);
	for (prec = 1; prec <= 9; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
		if (strtof(buf, NULL) == v)
			break;
	}
	return json_real(strtod(buf, NULL));
}

static json_t *
enum_json(const ProtobufCEnumDescriptor *ed, int32_t v)
{
	const ProtobufCEnumValue *ev;

	if (strcmp(ed->name, WKT_PREFIX "NullValue") == 0)
		return json_null();
	ev = protobuf_c_enum_descriptor_get_value(ed, v);
	return ev ? json_string(ev->name) : json_integer(v);
}

static size_t
field_elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default: /* 32-bit integers, float and enums (int-sized) */
		return 4;
	}
}

/* A message field that is set (oneof) or a map value, but NULL: print the
 * default instance, which matters for Duration ("0s") and wrappers. */
static json_t *
default_message_json(const ProtobufCMessageDescriptor *d, struct json_conv *c)
{
	ProtobufCMessage *m = xmalloc(d->sizeof_message);
	json_t *j;

	protobuf_c_message_init(d, m);
	j = message_json(m, c);
	free(m);
	return j;
}

/* One value of field f stored at p (an element, for repeated fields). */
static json_t *
value_json(const ProtobufCFieldDescriptor *f, const void *p, struct json_conv *c)
{
	const char *s;
	const ProtobufCBinaryData *b;
	const ProtobufCMessage *m;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_sprintf("%" PRId64, *(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return json_sprintf("%" PRIu64, *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return float_json(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return double_json(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM:
		return enum_json(f->descriptor, *(const int32_t *)p);
	case PROTOBUF_C_TYPE_STRING:
		s = *(const char *const *)p;
		return s ? string_json(s, strlen(s)) : json_string("");
	case PROTOBUF_C_TYPE_BYTES:
		b = p;
		return base64_json(b->data, b->len);
	case PROTOBUF_C_TYPE_MESSAGE:
		m = *(const ProtobufCMessage *const *)p;
		return m ? message_json(m, c) : default_message_json(f->descriptor, c);
	}
	return json_null();
}

/* --- fields ------------------------------------------------------------ */

static bool
value_is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
	const char *s;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)p == 0;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p == 0 && !signbit(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p == 0 && !signbit(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)p;
	case PROTOBUF_C_TYPE_STRING:
		s = *(const char *const *)p;
		return s == NULL || *s == '\0';
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(const void *const *)p == NULL;
	default:
		return *(const uint32_t *)p == 0;
	}
}

/* proto3 presence: oneof members and fields with a has_ flag are printed
 * when set (even to 0), other singular fields when not the default. */
static bool
field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	const void *p = base + f->offset, *ptr;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return true;
	case PROTOBUF_C_LABEL_REPEATED:
		return *(const size_t *)(base + f->quantifier_offset) > 0;
	case PROTOBUF_C_LABEL_OPTIONAL:
		/* Pointer types have no has_ flag (as in protobuf-c's packer). */
		if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
			ptr = *(const void *const *)p;
			return ptr != NULL && ptr != f->default_value;
		}
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
	default:
		return !value_is_default(f, p);
	}
}

/* protobuf-c 1.4 keeps no map_entry option: a map is a repeated message
 * named as protoc names map entries (field "foo_bar" -> "FooBarEntry")
 * with exactly key = 1 and value = 2. */
static bool
field_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	const char *n, *s;
	bool cap = true;
	char want;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	if (d->n_fields != 2 || d->fields[0].id != 1 || d->fields[1].id != 2 ||
	    strcmp(d->fields[0].name, "key") != 0 || strcmp(d->fields[1].name, "value") != 0)
		return false;
	switch (d->fields[0].type) {
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
	case PROTOBUF_C_TYPE_ENUM:
		return false;
	default:
		break;
	}
	s = d->short_name;
	for (n = f->name; *n; n++) {
		if (*n == '_') {
			cap = true;
			continue;
		}
		want = cap && *n >= 'a' && *n <= 'z' ? (char)(*n - 'a' + 'A') : *n;
		if (*s++ != want)
			return false;
		cap = false;
	}
	return strcmp(s, "Entry") == 0;
}

static json_t *
map_json(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *const *entries,
    size_t n, struct json_conv *c)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &d->fields[0], *vf = &d->fields[1];
	json_t *obj = json_object(), *key;
	const char *e;
	size_t i;

	for (i = 0; i < n; i++) {
		e = (const char *)entries[i];
		if (e == NULL)
			continue;
		if (kf->type == PROTOBUF_C_TYPE_BOOL)
			key = json_string(*(const protobuf_c_boolean *)(e + kf->offset) ? "true" : "false");
		else
			key = value_json(kf, e + kf->offset, c);
		if (json_is_integer(key)) {
			json_t *text = json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(key));

			json_decref(key);
			key = text;
		}
		if (json_is_string(key))
			json_object_setn_new(obj, json_string_value(key), json_string_length(key),
			    value_json(vf, e + vf->offset, c));
		json_decref(key);
	}
	return obj;
}

static json_t *
field_json(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, struct json_conv *c)
{
	const char *base = (const char *)m, *elems;
	json_t *array;
	size_t i, n, size;

	if (f->label != PROTOBUF_C_LABEL_REPEATED)
		return value_json(f, base + f->offset, c);
	n = *(const size_t *)(base + f->quantifier_offset);
	elems = *(const char *const *)(base + f->offset);
	if (field_is_map(f))
		return map_json(f, (const ProtobufCMessage *const *)elems, n, c);
	size = field_elem_size(f->type);
	array = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(array, value_json(f, elems + i * size, c));
	return array;
}

/* Key material that `cairn dump` hides unless --show-secrets. */
static bool
field_is_secret(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *f)
{
	if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED ||
	    strcmp(((const ProtobufCMessageDescriptor *)f->descriptor)->name,
	        "envoy.config.core.v3.DataSource") != 0)
		return false;
	if (strcmp(f->name, "private_key") == 0)
		return true;
	return strcmp(f->name, "password") == 0 &&
	    strcmp(parent->name, "envoy.extensions.transport_sockets.tls.v3.TlsCertificate") == 0;
}

static json_t *
fields_json(const ProtobufCMessage *m, struct json_conv *c)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *f;
	json_t *obj = json_object(), *v;
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		f = &d->fields[i];
		if (!field_present(m, f))
			continue;
		if (!c->opts->show_secrets && field_is_secret(d, f))
			v = json_pack("{s:s}", "inline_string", "[redacted]");
		else
			v = field_json(m, f, c);
		json_object_set_new(obj, f->name, v);
	}
	return obj;
}

/* --- well-known types -------------------------------------------------- */

/* Storage of field `id` if m has it with the given type, else NULL: the
 * well-known types are recognised by name and read through their
 * descriptors like everything else. */
static const void *
wkt_field(const ProtobufCMessage *m, unsigned id, ProtobufCType type)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(m->descriptor, id);

	if (f == NULL || f->type != type || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	return (const char *)m + f->offset;
}

static bool
wkt_is(const ProtobufCMessageDescriptor *d, const char *short_name)
{
	return strncmp(d->name, WKT_PREFIX, strlen(WKT_PREFIX)) == 0 &&
	    strcmp(d->name + strlen(WKT_PREFIX), short_name) == 0;
}

static bool
wkt_is_wrapper(const ProtobufCMessageDescriptor *d)
{
	static const char *const wrappers[] = {
		"DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value",
		"UInt32Value", "BoolValue", "StringValue", "BytesValue",
	};
	size_t i;

	for (i = 0; i < nitems(wrappers); i++)
		if (wkt_is(d, wrappers[i]))
			return d->n_fields == 1 && d->fields[0].id == 1;
	return false;
}

/* Types whose JSON is not an object: inside an Any they go under "value". */
static bool
wkt_is_special(const ProtobufCMessageDescriptor *d)
{
	return wkt_is_wrapper(d) || wkt_is(d, "Any") || wkt_is(d, "Duration") ||
	    wkt_is(d, "Timestamp") || wkt_is(d, "Struct") || wkt_is(d, "Value") ||
	    wkt_is(d, "ListValue") || wkt_is(d, "FieldMask");
}

/* "-1.500s" style: 0, 3, 6 or 9 fractional digits, as proto3 JSON asks. */
static void
format_fraction(char *buf, size_t size, uint32_t nanos)
{
	if (nanos == 0)
		buf[0] = '\0';
	else if (nanos % 1000000 == 0)
		snprintf(buf, size, ".%03" PRIu32, nanos / 1000000);
	else if (nanos % 1000 == 0)
		snprintf(buf, size, ".%06" PRIu32, nanos / 1000);
	else
		snprintf(buf, size, ".%09" PRIu32, nanos);
}

static json_t *
duration_json(const ProtobufCMessage *m, struct json_conv *c)
{
	const int64_t *secs = wkt_field(m, 1, PROTOBUF_C_TYPE_INT64);
	const int32_t *nanos = wkt_field(m, 2, PROTOBUF_C_TYPE_INT32);
	char frac[16];
	bool neg;

	if (secs == NULL || nanos == NULL)
		return fields_json(m, c);
	neg = *secs < 0 || (*secs == 0 && *nanos < 0);
	format_fraction(frac, sizeof frac,
	    (uint32_t)(*nanos < 0 ? -(int64_t)*nanos : *nanos) % 1000000000);
	return json_sprintf("%s%" PRIu64 "%ss", neg ? "-" : "",
	    *secs < 0 ? -(uint64_t)*secs : (uint64_t)*secs, frac);
}

static json_t *
timestamp_json(const ProtobufCMessage *m, struct json_conv *c)
{
	const int64_t *secs = wkt_field(m, 1, PROTOBUF_C_TYPE_INT64);
	const int32_t *nanos = wkt_field(m, 2, PROTOBUF_C_TYPE_INT32);
	char date[64], frac[16];
	struct tm tm;
	time_t t;

	if (secs == NULL || nanos == NULL)
		return fields_json(m, c);
	t = (time_t)*secs;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return json_sprintf("%" PRId64 "s", *secs);
	format_fraction(frac, sizeof frac,
	    (uint32_t)(*nanos < 0 ? -(int64_t)*nanos : *nanos) % 1000000000);
	return json_sprintf("%s%sZ", date, frac);
}

/* Struct is its map, ListValue its array, Value its one set member. */
static json_t *
struct_json(const ProtobufCMessage *m, struct json_conv *c)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned i;

	for (i = 0; i < d->n_fields; i++)
		if (field_present(m, &d->fields[i]))
			return field_json(m, &d->fields[i], c);
	if (wkt_is(d, "Struct"))
		return json_object();
	if (wkt_is(d, "ListValue"))
		return json_array();
	return json_null();
}

static json_t *
any_json(const ProtobufCMessage *m, struct json_conv *c)
{
	const char *const *url = wkt_field(m, 1, PROTOBUF_C_TYPE_STRING);
	const ProtobufCBinaryData *value = wkt_field(m, 2, PROTOBUF_C_TYPE_BYTES);
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *inner = NULL;
	const char *type_url;
	json_t *obj, *j;

	if (url == NULL || value == NULL)
		return fields_json(m, c);
	type_url = *url ? *url : "";
	obj = json_object();
	if (*type_url == '\0' && value->len == 0)
		return obj;
	json_object_set_new(obj, "@type", string_json(type_url, strlen(type_url)));
	d = xds_registry_lookup(type_url);
	if (d != NULL && c->any_depth < JSON_MAX_ANY_DEPTH)
		inner = protobuf_c_message_unpack(d, NULL, value->len, value->data);
	if (inner == NULL) {
		json_object_set_new(obj, "value", base64_json(value->data, value->len));
		return obj;
	}
	c->any_depth++;
	j = message_json(inner, c);
	c->any_depth--;
	protobuf_c_message_free_unpacked(inner, NULL);
	if (wkt_is_special(d)) {
		json_object_set_new(obj, "value", j);
	} else {
		json_object_update(obj, j);
		json_decref(j);
	}
	return obj;
}

static json_t *
message_json(const ProtobufCMessage *m, struct json_conv *c)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (strncmp(d->name, WKT_PREFIX, strlen(WKT_PREFIX)) != 0)
		return fields_json(m, c);
	if (wkt_is(d, "Any"))
		return any_json(m, c);
	if (wkt_is(d, "Duration"))
		return duration_json(m, c);
	if (wkt_is(d, "Timestamp"))
		return timestamp_json(m, c);
	if (wkt_is_wrapper(d))
		return field_json(m, &d->fields[0], c);
	if (wkt_is(d, "Struct") || wkt_is(d, "Value") || wkt_is(d, "ListValue"))
		return struct_json(m, c);
	return fields_json(m, c);
}

/* --- entry points ------------------------------------------------------ */

static const struct xds_json_options json_default_options = { .show_secrets = false };

json_t *
xds_message_to_json_opts(const ProtobufCMessage *msg, const struct xds_json_options *o)
{
	struct json_conv c = { o ? o : &json_default_options, 0 };

	if (msg == NULL || msg->descriptor == NULL ||
	    msg->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC) {
		json_set_error("not a protobuf-c message");
		return NULL;
	}
	return message_json(msg, &c);
}

json_t *
xds_message_to_json(const ProtobufCMessage *msg)
{
	return xds_message_to_json_opts(msg, NULL);
}

json_t *
xds_bytes_to_json_opts(const char *type_url, const uint8_t *bytes, size_t len,
    const struct xds_json_options *o)
{
	const ProtobufCMessageDescriptor *d = xds_registry_lookup(type_url);
	ProtobufCMessage *m;
	json_t *j;

	if (d == NULL) {
		json_set_error("unknown type URL \"%s\"", type_url ? type_url : "(null)");
		return NULL;
	}
	if ((m = protobuf_c_message_unpack(d, NULL, len, bytes)) == NULL) {
		json_set_error("%zu bytes do not decode as %s", len, d->name);
		return NULL;
	}
	j = xds_message_to_json_opts(m, o);
	protobuf_c_message_free_unpacked(m, NULL);
	return j;
}

json_t *
xds_bytes_to_json(const char *type_url, const uint8_t *bytes, size_t len)
{
	return xds_bytes_to_json_opts(type_url, bytes, len, NULL);
}

/* --- YAML -------------------------------------------------------------- */

static bool
yaml_is_keyword(const char *s)
{
	/* YAML 1.1 booleans and nulls, which many readers still honour. */
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"null", "Null", "NULL", "~", "<<", "=",
	};
	size_t i;

	for (i = 0; i < nitems(words); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

/* Anything a YAML 1.1 or 1.2 reader could take for a number or a date
 * (1_000, 0x1f, 1e3, 190:20:30, .inf, 2001-12-14...). Errs on the side of
 * quoting: "2s" stays plain, "1-2" gets quotes it does not need. */
static bool
yaml_is_numeric(const char *s)
{
	const char *p = s;
	bool digit = false;

	if (*p == '+' || *p == '-')
		p++;
	if (strcasecmp(p, ".inf") == 0 || strcasecmp(p, ".nan") == 0)
		return true;
	if (p[0] == '0' && p[1] != '\0' && strchr("xXoObB", p[1]) != NULL)
		return true;
	if (strspn(s, "0123456789") == 4 && s[4] == '-')
		return true;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if (strchr("_.:eE+-", *p) == NULL)
			return false;
	}
	return digit;
}

static bool
yaml_needs_quotes(const char *s, size_t len)
{
	size_t i, step;
	uint32_t cp;

	if (len == 0 || strlen(s) != len)
		return true;
	if (strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) != NULL || s[len - 1] == ' ' ||
	    s[len - 1] == '\t' || s[len - 1] == ':')
		return true;
	if (strstr(s, ": ") != NULL || strstr(s, " #") != NULL || strstr(s, ":\t") != NULL ||
	    strstr(s, "\t#") != NULL)
		return true;
	if (yaml_is_keyword(s) || yaml_is_numeric(s))
		return true;
	for (i = 0; i < len; i += step) {
		step = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (step == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp >= 0xfffe)
			return true;
	}
	return false;
}

/* Double-quoted with jansson's JSON escapes (valid YAML escapes too), then
 * the characters YAML does not allow raw but JSON does escaped as \u. */
static void
yaml_quote(const char *s, size_t len, struct strbuf *out)
{
	json_t *str = json_stringn(s, len);
	char *text = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
	size_t i, n, step;
	uint32_t cp;

	json_decref(str);
	if (text == NULL) {
		strbuf_puts(out, "\"\"");
		return;
	}
	n = strlen(text);
	for (i = 0; i < n; i += step) {
		step = utf8_decode((const unsigned char *)text + i, n - i, &cp);
		if (step == 0)
			step = 1;
		if ((cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
			strbuf_printf(out, "\\u%04" PRIx32, cp);
		else
			strbuf_add(out, text + i, step);
	}
	free(text);
}

static void
yaml_string(const char *s, size_t len, struct strbuf *out)
{
	if (yaml_needs_quotes(s, len))
		yaml_quote(s, len, out);
	else
		strbuf_add(out, s, len);
}

/* Shortest text that reads back as v, always with a '.' so that YAML 1.1
 * readers also see a float ("1.0e+300", not "1e+300"). */
static void
yaml_real(double v, struct strbuf *out)
{
	char buf[48];
	char *e;
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (strchr(buf, '.') == NULL && isfinite(v)) {
		e = strchr(buf, 'e');
		if (e == NULL) {
			strbuf_printf(out, "%s.0", buf);
		} else {
			strbuf_add(out, buf, (size_t)(e - buf));
			strbuf_printf(out, ".0%s", e);
		}
		return;
	}
	if (isnan(v))
		strbuf_puts(out, ".nan");
	else if (isinf(v))
		strbuf_puts(out, v > 0 ? ".inf" : "-.inf");
	else
		strbuf_puts(out, buf);
}

static void
yaml_scalar(const json_t *v, struct strbuf *out)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		yaml_string(json_string_value(v), json_string_length(v), out);
		break;
	case JSON_INTEGER:
		strbuf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		yaml_real(json_real_value(v), out);
		break;
	case JSON_TRUE:
		strbuf_puts(out, "true");
		break;
	case JSON_FALSE:
		strbuf_puts(out, "false");
		break;
	case JSON_OBJECT:
		strbuf_puts(out, "{}");
		break;
	case JSON_ARRAY:
		strbuf_puts(out, "[]");
		break;
	default:
		strbuf_puts(out, "null");
		break;
	}
}

static bool
yaml_is_block(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) ||
	    (json_is_array(v) && json_array_size(v) > 0);
}

static void
yaml_indent(struct strbuf *out, int n)
{
	while (n-- > 0)
		strbuf_putc(out, ' ');
}

/* A non-empty object or array at the given indent; with inline_first its
 * first line continues the current one (after "- "). */
static void
yaml_block(const json_t *v, int indent, bool inline_first, struct strbuf *out)
{
	bool first = true;
	json_t *child;
	void *iter;
	size_t i;

	if (json_is_object(v)) {
		for (iter = json_object_iter((json_t *)v); iter != NULL;
		    iter = json_object_iter_next((json_t *)v, iter)) {
			if (!first || !inline_first)
				yaml_indent(out, indent);
			first = false;
			yaml_string(json_object_iter_key(iter), json_object_iter_key_len(iter), out);
			strbuf_putc(out, ':');
			child = json_object_iter_value(iter);
			if (yaml_is_block(child)) {
				strbuf_putc(out, '\n');
				yaml_block(child, indent + 2, false, out);
			} else {
				strbuf_putc(out, ' ');
				yaml_scalar(child, out);
				strbuf_putc(out, '\n');
			}
		}
		return;
	}
	json_array_foreach((json_t *)v, i, child) {
		if (!first || !inline_first)
			yaml_indent(out, indent);
		first = false;
		strbuf_puts(out, "- ");
		if (yaml_is_block(child)) {
			yaml_block(child, indent + 2, true, out);
		} else {
			yaml_scalar(child, out);
			strbuf_putc(out, '\n');
		}
	}
}

void
xds_json_to_yaml(const json_t *v, struct strbuf *out)
{
	if (v != NULL && yaml_is_block(v)) {
		yaml_block(v, 0, false, out);
		return;
	}
	if (v == NULL)
		strbuf_puts(out, "null");
	else
		yaml_scalar(v, out);
	strbuf_putc(out, '\n');
}
