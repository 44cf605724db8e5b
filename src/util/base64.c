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

static int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode(const char *text, size_t len, uint8_t *out, size_t *out_len)
{
	uint32_t acc = 0;
	size_t n = 0, bits = 0, pad = 0, chars = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		if (pad > 0 || (v = base64_value(c)) < 0)
			return -1; /* data after padding, or not base64 */
		chars++;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (chars % 4 != 0 || pad > 2)
		return -1;
	*out_len = n;
	return 0;
}
