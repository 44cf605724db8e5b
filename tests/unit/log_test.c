/* Log line format: syslog priorities only when stderr is the journal
 * stream $JOURNAL_STREAM names; else a timestamp and a level word,
 * coloured on a terminal (not with NO_COLOR or TERM=dumb). */
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/log.h"

static int saved_stderr = -1;

/* Points stderr at fd (owned by the caller) and lets the logger look again. */
static enum log_style
stderr_to(int fd)
{
	fflush(stderr);
	if (saved_stderr < 0)
		saved_stderr = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	return log_detect_style();
}

static void
stderr_restore(void)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
}

/* Logs one line at level into a fresh temporary file; returns it. */
static char *
logged_to_file(enum log_level level, const char *journal_stream_of_file,
    enum log_style *style)
{
	char path[] = "/tmp/cairn-log-test.XXXXXX";
	int fd = mkstemp(path);
	static char buf[4096];
	struct stat st;
	char env[64];
	ssize_t n;

	assert_true(fd >= 0);
	unlink(path);
	if (journal_stream_of_file != NULL) {
		assert_int_equal(fstat(fd, &st), 0);
		if (strcmp(journal_stream_of_file, "match") == 0)
			snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
			    (unsigned long long)st.st_ino);
		else /* same device, another inode: stderr was redirected */
			snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
			    (unsigned long long)st.st_ino + 1);
		setenv("JOURNAL_STREAM", env, 1);
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	*style = stderr_to(fd);
	log_msg(level, "rebuilt %d\nfiles", 3);
	stderr_restore();
	n = pread(fd, buf, sizeof buf - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	close(fd);
	unsetenv("JOURNAL_STREAM");
	return buf;
}

static void
assert_matches(const char *text, const char *pattern)
{
	regex_t re;
	int rc;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("\"%s\" does not match /%s/", text, pattern);
}

static void
test_journal_stream_matching_stderr(void **state)
{
	enum log_style style;
	char *line;

	(void)state;
	line = logged_to_file(LOG_LEVEL_WARNING, "match", &style);
	assert_int_equal(style, LOG_STYLE_JOURNAL);
	assert_string_equal(line, "<4>rebuilt 3 files\n");
	line = logged_to_file(LOG_LEVEL_ERROR, "match", &style);
	assert_string_equal(line, "<3>rebuilt 3 files\n");
}

static void
test_journal_stream_of_another_file(void **state)
{
	enum log_style style;
	char *line;

	(void)state;
	line = logged_to_file(LOG_LEVEL_WARNING, "other", &style);
	assert_int_equal(style, LOG_STYLE_PLAIN);
	assert_matches(line, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
	    "\\.[0-9]{3}[+-][0-9]{4} warning: rebuilt 3 files\n$");
}

static void
test_plain_file(void **state)
{
	enum log_style style;
	char *line;

	(void)state;
	line = logged_to_file(LOG_LEVEL_INFO, NULL, &style);
	assert_int_equal(style, LOG_STYLE_PLAIN);
	assert_matches(line, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}[+-][0-9]{4} "
	    "info: rebuilt 3 files\n$");
	assert_null(strchr(line, '\033'));
	line = logged_to_file(LOG_LEVEL_ERROR, NULL, &style);
	assert_matches(line, "^[^ ]+ error: rebuilt 3 files\n$");
	assert_null(strchr(line, '<'));
}

/* Logs one error line to a pseudo-terminal and returns what it received. */
static char *
logged_to_tty(enum log_style *style)
{
	static char buf[4096];
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave;
	ssize_t n;

	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	*style = stderr_to(slave);
	log_msg(LOG_LEVEL_ERROR, "bad file");
	stderr_restore();
	close(slave);
	n = read(master, buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	close(master);
	return buf;
}

static void
test_terminal_colour(void **state)
{
	enum log_style style;
	char *line;

	(void)state;
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	line = logged_to_tty(&style);
	assert_int_equal(style, LOG_STYLE_COLOR);
	assert_matches(line, "^[^ ]+ \033\\[31merror\033\\[0m: bad file\r?\n$");

	setenv("NO_COLOR", "1", 1);
	line = logged_to_tty(&style);
	assert_int_equal(style, LOG_STYLE_PLAIN);
	assert_matches(line, "^[^ ]+ error: bad file\r?\n$");
	unsetenv("NO_COLOR");

	setenv("TERM", "dumb", 1);
	line = logged_to_tty(&style);
	assert_int_equal(style, LOG_STYLE_PLAIN);
	assert_null(strchr(line, '\033'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_stream_matching_stderr),
		cmocka_unit_test(test_journal_stream_of_another_file),
		cmocka_unit_test(test_plain_file),
		cmocka_unit_test(test_terminal_colour),
	};

	log_set_level(LOG_LEVEL_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
