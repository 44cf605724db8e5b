/* The last good copy decoder (src/source/lastgood.c): the files under
 * $state/lastgood/ may be truncated, bit-flipped, foreign or hostile.
 *
 * Input: any bytes, decoded as a copy. Properties beyond memory safety:
 *   - a copy that decodes has content whose size, xxh64 and SHA-256 are
 *     what its header says: encoding the decoded path and content gives
 *     the input back byte for byte (nothing else can pass the checksum);
 *   - decode(encode(path, content)) == (path, content), with the path the
 *     input's first line and the content the rest (put refuses an empty
 *     path or one with a newline; a NUL ends the path as in a C string);
 *   - that encoding cut short by any number of bytes, or with any one byte
 *     changed, is refused (the position and the new byte taken from the
 *     input). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "source/lastgood.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

static void
decode_as_is(const uint8_t *data, size_t size)
{
	/* Exactly sized: a read past the end is seen by ASan. */
	char *buf = xmalloc(size ? size : 1), *path = NULL, *again;
	const char *content, *why = NULL;
	size_t len, n;

	memcpy(buf, data, size);
	if (lastgood_decode(buf, size, &path, &content, &len, &why) == 0) {
		FUZZ_CHECK(path != NULL && path[0] != '\0');
		FUZZ_CHECK(content >= buf && content + len == buf + size);
		again = lastgood_encode(path, content, len, &n);
		FUZZ_CHECK(n == size && memcmp(again, buf, n) == 0);
		free(again);
		free(path);
	} else {
		FUZZ_CHECK(path == NULL && why != NULL && why[0] != '\0');
	}
	free(buf);
}

static void
round_trip(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nl = memchr(in, '\n', size);
	size_t plen = nl ? (size_t)(nl - in) : size, clen, n, len;
	char *path = xstrndup(in, plen), *enc, *p2 = NULL;
	const char *content = nl ? nl + 1 : in + size, *d2, *why;
	uint64_t h = hash_bytes(data, size);

	clen = size - (size_t)(content - in);
	if (path[0] == '\0') {
		free(path);
		return;
	}
	enc = lastgood_encode(path, content, clen, &n);
	FUZZ_CHECK(lastgood_decode(enc, n, &p2, &d2, &len, &why) == 0);
	FUZZ_CHECK(strcmp(p2, path) == 0);
	FUZZ_CHECK(len == clen && memcmp(d2, content, clen) == 0);
	free(p2);

	/* Cut short by 1..n bytes (a torn write). */
	{
		size_t cut = 1 + (size_t)(h % n);
		char *t = xmemdup(enc, n - cut);

		p2 = NULL;
		FUZZ_CHECK(lastgood_decode(t, n - cut, &p2, &d2, &len, &why) == -1);
		FUZZ_CHECK(p2 == NULL);
		free(t);
	}
	/* One byte changed (a bit flip, an edit). */
	{
		size_t at = (size_t)((h >> 16) % n);
		uint8_t x = (uint8_t)(h >> 8) ? (uint8_t)(h >> 8) : 1;

		enc[at] = (char)((uint8_t)enc[at] ^ x);
		p2 = NULL;
		FUZZ_CHECK(lastgood_decode(enc, n, &p2, &d2, &len, &why) == -1);
		FUZZ_CHECK(p2 == NULL);
	}
	free(enc);
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_as_is(data, size);
	round_trip(data, size);
	return 0;
}
