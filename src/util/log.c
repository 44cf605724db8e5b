#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_level current_level = LOG_LEVEL_INFO;

void
log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level
log_get_level(void)
{
	return current_level;
}

int
log_level_parse(const char *name, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "error", LOG_LEVEL_ERROR },
		{ "warning", LOG_LEVEL_WARNING },
		{ "info", LOG_LEVEL_INFO },
		{ "debug", LOG_LEVEL_DEBUG },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -1;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	if (level > current_level)
		return;
	n = snprintf(line, sizeof line, "<%d>", (int)level);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One fputs per line: stdio locks the stream, so lines from
	 * different threads never interleave. Newlines inside a message
	 * would split it into several journal entries, so flatten them. */
	for (char *p = line + n; *p; p++)
		if (*p == '\n')
			*p = ' ';
	strcat(line, "\n");
	fputs(line, stderr);
}
