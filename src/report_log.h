/* What a daemon logs of its builds' problems (report_lines' lines): each
 * line once when it appears, and once more when it goes away, not again
 * on every rebuild. */
#ifndef CAIRN_REPORT_LOG_H
#define CAIRN_REPORT_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "pipeline.h"

/* The lines of the last build seen. All zero: none seen yet. */
struct report_log {
	char **lines;
	size_t nlines;
};

/* Called once for each line r has that the last build had not (resolved
 * false), then for each line the last build had that r has not (resolved
 * true), each in report_lines' order. */
typedef void report_log_emit_fn(void *arg, const char *line, bool resolved);

/* Compare r's lines with the last build's, emit the differences, and
 * keep r's lines (copies: r may be freed) for the next build. */
void report_log_update(struct report_log *log, const struct build_result *r,
    report_log_emit_fn *emit, void *arg);
void report_log_free(struct report_log *log);

#endif
