/* Go/Envoy style durations: "250ms", "2s", "1m30s", "1h". */
#ifndef CAIRN_DURATION_H
#define CAIRN_DURATION_H

#include <stdint.h>

/* Parses into milliseconds. Returns 0, or -1 with *why set to a static
 * explanation. "0" alone is accepted. */
int duration_parse_ms(const char *s, int64_t *out_ms, const char **why);
/* Same, but in nanoseconds (for protobuf Duration). */
int duration_parse_ns(const char *s, int64_t *out_ns, const char **why);

#endif
