/* src/xds/pb_encode.c on whatever protobuf-c decodes: the input is a
 * message type's full name, a newline, then bytes, which protobuf-c
 * unpacks as that type (fields of every kind this build knows, unknown
 * fields of every wire type, repeated and merged fields). Property:
 * pb_encode writes exactly the bytes protobuf_c_message_pack writes for
 * the decoded message, with a writer of its own (reused across inputs)
 * and with the thread's. Seeds: every resource `cairn dump --format pb`
 * makes of some golden inputs (make-pb-seeds.sh). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/xalloc.h"
#include "xds/pb_encode.h"
#include "xds/registry.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static struct pb_writer writer;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 200 ? size : 200);
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m;
	char name[201];
	size_t want, len, len2;
	uint8_t *theirs;
	const uint8_t *ours;

	if (nl == NULL)
		return 0;
	memcpy(name, data, (size_t)(nl - data));
	name[nl - data] = '\0';
	d = xds_registry_lookup(name);
	if (d == NULL)
		return 0;
	m = protobuf_c_message_unpack(d, NULL, size - (size_t)(nl + 1 - data),
	    nl + 1);
	if (m == NULL)
		return 0;
	want = protobuf_c_message_get_packed_size(m);
	theirs = xmalloc(want ? want : 1);
	FUZZ_CHECK(protobuf_c_message_pack(m, theirs) == want);
	ours = pb_encode(&writer, m, &len);
	FUZZ_CHECK(len == want);
	FUZZ_CHECK(memcmp(ours, theirs, len) == 0);
	ours = pb_encode_scratch(m, &len2);
	FUZZ_CHECK(len2 == want);
	FUZZ_CHECK(memcmp(ours, theirs, len2) == 0);
	free(theirs);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
