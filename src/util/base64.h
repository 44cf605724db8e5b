/* Standard base64 (RFC 4648, with padding): proto3 JSON bytes, the
 * `dump --format pb` lines and Secret data. */
#ifndef CAIRN_UTIL_BASE64_H
#define CAIRN_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

void base64_encode(const uint8_t *data, size_t len, struct strbuf *out);
/* Decode text (whitespace is skipped; padding required, as Kubernetes
 * writes it) into out, which must hold len * 3 / 4 + 3 bytes. Returns 0,
 * or -1 when text is not base64. */
int base64_decode(const char *text, size_t len, uint8_t *out, size_t *out_len);

#endif
