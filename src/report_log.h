/* What a daemon logs of its builds' problems (report_lines' lines): each
 * line once when it appears, and once more when it goes away, not again
 * on every rebuild. What an update costs follows what changed: the lines
 * of status chunks the last build had too are neither made again nor
 * compared (dag_status_span_at), and the others are looked up in a hash
 * set of the last build's lines. */
#ifndef CAIRN_REPORT_LOG_H
#define CAIRN_REPORT_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "pipeline.h"

struct report_log_group;
struct report_log_count;

/* The lines of the last build seen, in groups (report_log.c), and each
 * distinct one counted. All zero: none seen yet. */
struct report_log {
	struct report_log_group *groups;
	size_t ngroups;
	struct report_log_count *counts; /* a hash table of cap slots */
	size_t cap, used, live;
	size_t made; /* lines the last update made afresh (tests, benches) */
};

/* Called once for each line r has that the last build had not (resolved
 * false), then for each line the last build had that r has not (resolved
 * true), each in report_lines' order, a line as often as it is there. */
typedef void report_log_emit_fn(void *arg, const char *line, bool resolved);

/* Compare r's lines with the last build's, emit the differences, and
 * keep r's lines (copies: r may be freed) for the next build. */
void report_log_update(struct report_log *log, const struct build_result *r,
    report_log_emit_fn *emit, void *arg);
/* How many lines the last build had (tests, benches). */
size_t report_log_nlines(const struct report_log *log);
void report_log_free(struct report_log *log);

#endif
