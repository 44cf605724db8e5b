/* Regexes compiled by RE2, Envoy's engine, the way Envoy compiles the
 * regex of every SafeRegexMatcher it is sent (Regex::CompiledGoogleReMatcher:
 * default options, quiet, then ProgramSize() against the runtime key
 * re2.max_program_size.error_level). A regex that passes here is one Envoy
 * accepts; one that fails would make Envoy NACK the whole resource. The
 * only C++ in cairn lives behind this C interface (re2_check.cc). */
#ifndef CAIRN_UTIL_RE2_CHECK_H
#define CAIRN_UTIL_RE2_CHECK_H

#include <stddef.h>

enum re2_check_result {
	RE2_CHECK_OK = 0,
	RE2_CHECK_INVALID, /* RE2 refuses the syntax (or it is too large to compile) */
	RE2_CHECK_TOO_BIG, /* compiles, but its program is over max_program_size */
};

/* Compile re (a NUL-terminated UTF-8 string). *size_out (if not NULL)
 * gets the RE2 program size when it compiled, else 0. max_program_size is
 * the largest size accepted (Envoy refuses a program larger than
 * re2.max_program_size.error_level); 0 means no limit. On failure, why
 * (if not NULL and whylen > 0) gets a NUL-terminated reason, truncated to
 * whylen - 1 bytes: RE2's own error text ("invalid escape sequence: \8")
 * or the size and the limit. Never throws, never aborts on bad input. */
enum re2_check_result re2_check(const char *re, int max_program_size,
    int *size_out, char *why, size_t whylen);

#endif
