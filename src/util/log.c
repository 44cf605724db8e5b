#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LOG_LEVEL_INFO;
/* enum log_style, or -1 before the first line (decided then). A race
 * between two first lines only decides the same thing twice. */
static volatile int current_style = -1;

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

/* systemd sets $JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to stderr; a child whose stderr was redirected elsewhere inherits the
 * variable, so only a matching stderr counts (systemd.exec(5)). */
static bool
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

enum log_style
log_detect_style(void)
{
	const char *term = getenv("TERM");
	enum log_style style;

	if (stderr_is_journal())
		style = LOG_STYLE_JOURNAL;
	else if (isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL &&
	    (term == NULL || strcmp(term, "dumb") != 0))
		style = LOG_STYLE_COLOR;
	else
		style = LOG_STYLE_PLAIN;
	current_style = (int)style;
	return style;
}

static const char *
level_word(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR: return "error";
	case LOG_LEVEL_WARNING: return "warning";
	case LOG_LEVEL_INFO: return "info";
	case LOG_LEVEL_DEBUG: return "debug";
	}
	return "log";
}

/* SGR colour of a level word on a terminal: red, yellow, none, dim. */
static const char *
level_color(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR: return "\033[31m";
	case LOG_LEVEL_WARNING: return "\033[33m";
	case LOG_LEVEL_INFO: return "";
	case LOG_LEVEL_DEBUG: return "\033[2m";
	}
	return "";
}

/* "2026-12-06T02:31:07.042+0000 " (local time, milliseconds). */
static int
timestamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char date[32], zone[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	return snprintf(buf, size, "%s.%03ld%s ", date, ts.tv_nsec / 1000000L, zone);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[4096];
	enum log_style style;
	const char *color;
	va_list ap;
	int n;

	if (level > current_level)
		return;
	style = current_style < 0 ? log_detect_style() : (enum log_style)current_style;
	if (style == LOG_STYLE_JOURNAL) {
		n = snprintf(line, sizeof line, "<%d>", (int)level);
	} else {
		n = timestamp(line, sizeof line);
		color = style == LOG_STYLE_COLOR ? level_color(level) : "";
		n += snprintf(line + n, sizeof line - (size_t)n, "%s%s%s: ", color,
		    level_word(level), color[0] != '\0' ? "\033[0m" : "");
	}
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
