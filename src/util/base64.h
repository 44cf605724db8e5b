/* Standard base64 (RFC 4648, with padding): proto3 JSON bytes and the
 * `dump --format pb` lines. */
#ifndef CAIRN_UTIL_BASE64_H
#define CAIRN_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

void base64_encode(const uint8_t *data, size_t len, struct strbuf *out);

#endif
