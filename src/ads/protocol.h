/* What the two ADS protocol state machines (sotw.c, delta.c) share: the
 * verdict on a request, the record of a NACK, and the protobuf wire
 * helpers both use to encode responses straight from snapshot bytes.
 * Not for use outside src/ads/. */
#ifndef CAIRN_ADS_PROTOCOL_H
#define CAIRN_ADS_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "xds/pb_encode.h"
#include "xds/snapshot.h"

/* What a request says about the last response of its type. */
enum ads_verdict {
	ADS_REQUEST, /* no response nonce, or nothing sent yet: a plain request */
	ADS_ACK,
	ADS_NACK,
	ADS_NACK_REPEATED, /* a second NACK for the same nonce: not counted again */
	ADS_STALE, /* a nonce the server does not consider current */
};

/* The last rejected response of one type, for status pages. */
struct ads_nack {
	char version[17]; /* the version the client rejected */
	char nonce[21];
	int code; /* error_detail.code */
	char *message; /* error_detail.message */
	time_t when;
};

/* The INVALID_ARGUMENT message for a type_url cairn does not serve; a
 * hostile one is cut, so status details and logs stay readable. Caller
 * frees. */
char *ads_unsupported_type_message(const char *url);

/* The first lines of every request, SotW or delta. A stream keeps the node
 * (*node_id, *node_cluster, *node_gateway: copies it owns) of the first
 * request that names one; later requests may leave it out. */
void ads_node_remember(char **node_id, char **node_cluster, char **node_gateway,
    const char *req_node_id, const char *req_node_cluster,
    const char *req_node_gateway);

/* The type a request asks about, from its type_url: -1 with *errmsg
 * (caller frees) when it names none or one cairn does not serve. message
 * names the request in the error ("DiscoveryRequest"). */
int ads_request_type(const char *type_url, const char *message,
    enum xds_type *out, char **errmsg);

/* A NACK of the response sent as version and nonce: kept in *nack for
 * status pages (the message a copy, the one before freed) and logged. */
void ads_nack_record(struct ads_nack *nack, const char *node_id,
    enum xds_type t, const char *version, const char *nonce, int code,
    const char *message);

/* The identity of a list of resources, its (name, version) pairs (the
 * lists are in name order): what a client was sent, and the key under
 * which streams share an encoding. xds_entries_version of their entry
 * hashes, as the whole set's version is. */
uint64_t ads_hash_items(const struct xds_resource *const *items, size_t n);

/* Same, for items selected from set in order: when they are the whole set
 * it is the set's version (the snapshot computes it the same way). */
uint64_t ads_hash_selection(const struct xds_resource_set *set,
    const struct xds_resource *const *items, size_t n);

/* --- protobuf wire encoding ---------------------------------------------- */

/* These stay inline: each is a few instructions, called for every field of
 * every resource of every response a stream encodes, where a call would
 * cost more than the body (a varint's size: pb_varint_size). */

static inline uint8_t *
ads_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Size of a length-delimited field with a one-byte tag; proto3 leaves
 * empty strings and bytes out. */
static inline size_t
ads_field_size(size_t len)
{
	return len == 0 ? 0 : 1 + pb_varint_size(len) + len;
}

/* Same, for a field that is written even when empty (a repeated string
 * element or an embedded message). */
static inline size_t
ads_field_size_always(size_t len)
{
	return 1 + pb_varint_size(len) + len;
}

static inline uint8_t *
ads_put_field_always(uint8_t *p, uint8_t tag, const void *data, size_t len)
{
	*p++ = tag;
	p = ads_put_varint(p, len);
	if (len > 0)
		memcpy(p, data, len);
	return p + len;
}

static inline uint8_t *
ads_put_field(uint8_t *p, uint8_t tag, const void *data, size_t len)
{
	if (len == 0)
		return p;
	return ads_put_field_always(p, tag, data, len);
}

/* Tag byte of field number f, wire type 2 (length-delimited). */
#define ADS_TAG_LEN(f) ((uint8_t)(((f) << 3) | 2))

/* A snapshot resource as google.protobuf.Any{type_url = 1, value = 2}: its
 * size, and its length-prefixed encoding (the caller writes the tag). SotW
 * and delta responses both carry resources this way; the bytes are never
 * decoded or re-encoded. */
static inline size_t
ads_any_size(size_t url_len, const struct xds_resource *r)
{
	return ads_field_size(url_len) + ads_field_size(r->len);
}

/* A resource in pieces (xds_resource.pieced) as ads_put_any's value
 * field (src/ads/bodies.c): copied, or, while a body is gathered
 * (ads_body_get_slices), its shared pieces left out and noted. */
uint8_t *ads_put_pieces(uint8_t *p, const struct xds_resource *r);

static inline uint8_t *
ads_put_any(uint8_t *p, const char *url, size_t url_len,
    const struct xds_resource *r)
{
	p = ads_put_varint(p, ads_any_size(url_len, r));
	p = ads_put_field(p, ADS_TAG_LEN(1), url, url_len);
	if (r->pieced != NULL)
		return ads_put_pieces(p, r);
	return ads_put_field(p, ADS_TAG_LEN(2), r->bytes, r->len);
}

#endif
