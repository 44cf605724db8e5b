/* Logging to stderr, one line per event. Under journald (stderr is the
 * stream $JOURNAL_STREAM names) each line starts with its syslog priority
 * ("<3>") so the journal keeps the level and adds the time; anywhere else
 * it starts with a local timestamp and a level word ("2026-12-06T02:31:07.042+0000
 * warning: "), the word coloured on a terminal unless $NO_COLOR is set or
 * TERM=dumb. Thread-safe. */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

enum log_style {
	LOG_STYLE_JOURNAL, /* "<6>message" */
	LOG_STYLE_PLAIN, /* "TIMESTAMP info: message" */
	LOG_STYLE_COLOR, /* the same, level word in colour */
};

/* Decide the style from the environment and stderr now (the first line
 * does it otherwise); call again after redirecting stderr. */
enum log_style log_detect_style(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Returns -1 for an unknown name. */
int log_level_parse(const char *name, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
