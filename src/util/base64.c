#include "util/base64.h"

#include "util/strbuf.h"

void
base64_encode(const uint8_t *data, size_t len, struct strbuf *out)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		char q[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63],
			alphabet[(v >> 6) & 63], alphabet[v & 63] };

		strbuf_add(out, q, 4);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;
		char q[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63], '=', '=' };

		strbuf_add(out, q, 4);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
		char q[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63],
			alphabet[(v >> 6) & 63], '=' };

		strbuf_add(out, q, 4);
	}
}
