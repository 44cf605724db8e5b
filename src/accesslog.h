/* Envoy access log formats as Contour's configuration spells them
 * (accesslog-format-string, json-fields): which command operators are
 * known, and what a JSON field name stands for. Shared by the config
 * loader (checks, with file:line:col) and the translation. */
#ifndef CAIRN_ACCESSLOG_H
#define CAIRN_ACCESSLOG_H

#include <stddef.h>

/* NULL when every %OPERATOR% / %OPERATOR(args)% in s is one Envoy (and
 * Contour) knows, else why not. */
const char *accesslog_check_format(const char *s);

/* A json-fields entry: "name" (a field Contour knows, or a simple Envoy
 * operator in lower case) or "name=value" (value a format string). NULL
 * when valid. */
const char *accesslog_check_json_field(const char *s);

/* The JSON key and value of a valid json-fields entry: value points into
 * s or at a static string; the key is written into key (size bytes). */
void accesslog_json_field(const char *s, char *key, size_t size,
    const char **value);

/* Contour's default JSON fields (when json-fields is empty). */
extern const char *const accesslog_default_json_fields[];
extern const size_t accesslog_ndefault_json_fields;

#endif
