/* Serializes protobuf-c messages to exactly the bytes
 * protobuf_c_message_pack writes, in one pass instead of its two.
 *
 * protobuf-c sizes a message (get_packed_size) and then packs it, each a
 * walk over every field of every descriptor, set or not; Envoy's wide
 * messages (RouteAction, HttpConnectionManager, Cluster) have dozens of
 * fields and a few set. This encoder walks a compact plan of each
 * descriptor (offsets, quantifiers, the tag's bytes; made once per
 * descriptor and kept for the process) and writes backwards, from the
 * last field to the first, so a submessage's length is known when its
 * prefix is written: one walk, no sizing pass. The rules are protobuf-c
 * 1.4's: fields in descriptor order, then the unknown fields; proto3
 * (unlabeled) fields skipped when zero, NULL or ""; optional scalars by
 * their has_ flag, optional strings and messages when neither NULL nor
 * the default; oneof members when the case names them; packed repeated
 * scalars in one length-delimited run.
 *
 * Generic over descriptors: every message type compiled from proto/ is
 * covered, nothing is written per message type. tests/unit/pb_encode_test.c
 * compares the bytes with protobuf-c's for every message the golden trees
 * and the build fuzzer's seeds produce and for random messages of every
 * registered type. */
#ifndef CAIRN_XDS_PB_ENCODE_H
#define CAIRN_XDS_PB_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* A buffer written from its end towards its start. Zero-initialised is
 * empty; pb_writer_free releases it. */
struct pb_writer {
	uint8_t *base;
	uint8_t *end;
	uint8_t *p; /* the bytes written so far are [p, end) */
};

/* m's bytes, which stay w's: valid until the next pb_encode on w.
 * *len_out is their number (protobuf_c_message_get_packed_size(m)). */
const uint8_t *pb_encode(struct pb_writer *w, const ProtobufCMessage *m,
    size_t *len_out);
void pb_writer_free(struct pb_writer *w);

/* How many bytes v takes as a protobuf varint (1 to 10). Inline: asked
 * for every length prefix the encoder and ADS's wire encoders write. */
static inline size_t
pb_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* pb_encode into the calling thread's own writer (reused from call to
 * call): the bytes are valid until this thread's next pb_encode_scratch.
 * When a check is set (pb_encode_set_check, or CAIRN_PB_VERIFY=1 in the
 * environment), every result is passed to it first. */
const uint8_t *pb_encode_scratch(const ProtobufCMessage *m, size_t *len_out);

/* Called with each message pb_encode_scratch serializes and its bytes. */
typedef void (*pb_encode_check_fn)(const ProtobufCMessage *m,
    const uint8_t *bytes, size_t len);
/* Sets the check (NULL: none; CAIRN_PB_VERIFY is then read again). */
void pb_encode_set_check(pb_encode_check_fn fn);
/* The check CAIRN_PB_VERIFY=1 sets: protobuf-c's own bytes for m must be
 * these, or it names the message type and the first differing offset on
 * stderr and aborts. */
void pb_encode_check_protobuf_c(const ProtobufCMessage *m,
    const uint8_t *bytes, size_t len);

#endif
