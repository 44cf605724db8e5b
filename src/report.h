/* What a build found, for people (check's text) and programs (check's
 * JSON, the admin /status). */
#ifndef CAIRN_REPORT_H
#define CAIRN_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "pipeline.h"

/* Every problem, one per line, "file:line:col: error: ...", then the
 * summary "N objects, N valid, N invalid, N orphaned". */
void report_text(FILE *fp, const struct build_result *r);
/* The same as JSON: {"problems": [...], "objects": [...], "files": [...],
 * "summary": {...}, "revision": "..."}. Caller owns the result. */
json_t *report_json(const struct build_result *r);
/* One line per problem and non-valid object, for logging changes. */
char **report_lines(const struct build_result *r, size_t *n_out);
void report_lines_free(char **lines, size_t n);

/* report_lines' lines in three parts, appended to out (owned strings,
 * freed with report_lines_free(out.v, out.n)): the diagnostics', those
 * of statuses s[0..n) (one per condition), the file table's rows of
 * files served from a last good version. */
struct report_line_list {
	char **v;
	size_t n, cap;
};
void report_diag_lines(struct report_line_list *out, const struct build_result *r);
void report_status_lines(struct report_line_list *out,
    const struct dag_object_status *s, size_t n);
void report_file_lines(struct report_line_list *out, const struct build_result *r);

#endif
