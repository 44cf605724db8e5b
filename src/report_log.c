#include "report_log.h"

#include <string.h>

#include "report.h"

static bool
line_in(char **lines, size_t n, const char *line)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(lines[i], line) == 0)
			return true;
	return false;
}

void
report_log_update(struct report_log *log, const struct build_result *r,
    report_log_emit_fn *emit, void *arg)
{
	size_t n;
	char **lines = report_lines(r, &n);

	for (size_t i = 0; i < n; i++)
		if (!line_in(log->lines, log->nlines, lines[i]))
			emit(arg, lines[i], false);
	for (size_t i = 0; i < log->nlines; i++)
		if (!line_in(lines, n, log->lines[i]))
			emit(arg, log->lines[i], true);
	report_lines_free(log->lines, log->nlines);
	log->lines = lines;
	log->nlines = n;
}

void
report_log_free(struct report_log *log)
{
	report_lines_free(log->lines, log->nlines);
	*log = (struct report_log){ 0 };
}
