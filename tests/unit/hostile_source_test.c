/* The directory source under hostile conditions that the functional tests
 * (source_dir_test.c) do not reach: events lost to an inotify queue
 * overflow in a directory other than the one whose events survived, and a
 * flood of files in one directory. The module is included so the tests can
 * tune its racy-file margin. */
#include "../../src/source/dir.c"

#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

struct fx {
	char *base;
	struct source_dir *sd;
	struct source_files sf;
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
put(const struct fx *f, const char *rel, const char *content)
{
	char *p = xasprintf("%s/%s", f->base, rel);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
	free(p);
}

static void
mkdir_in(const struct fx *f, const char *rel)
{
	char *p = xasprintf("%s/%s", f->base, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	char tmpl[] = "/tmp/cairn-hostile-source-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->base = xstrdup(tmpl);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	source_files_free(&f->sf);
	source_dir_close(f->sd);
	nftw(f->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f->base);
	free(f);
	return 0;
}

static void
open_sd(struct fx *f)
{
	struct diag_list dl;

	diag_list_init(&dl);
	assert_int_equal(source_dir_open(f->base, NULL, &f->sd, &dl), 0);
	diag_list_free(&dl);
	/* Trust a file's stat after 20 ms rather than 2 s, so that unchanged
	 * directories are reused by incremental scans (the fast path whose
	 * trust an overflow must revoke). */
	f->sd->racy_ns = (int64_t)20 * 1000 * 1000;
}

static void
rescan(struct fx *f)
{
	source_files_free(&f->sf);
	assert_int_equal(source_dir_scan(f->sd, &f->sf), 0);
}

static bool
has_file(const struct fx *f, const char *path)
{
	for (size_t i = 0; i < f->sf.n; i++)
		if (strcmp(f->sf.files[i].path, path) == 0)
			return true;
	return false;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static long
max_queued_events(void)
{
	FILE *fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	long max = 16384;

	if (fp != NULL) {
		if (fscanf(fp, "%ld", &max) != 1)
			max = 16384;
		fclose(fp);
	}
	return max;
}

/* The queue fills with events of a/ and overflows; what then happens in
 * b/ is lost. The next scan must list b/ again although no event marked
 * it: after an overflow nothing the watches said can be trusted. */
static void
test_overflow_loses_another_directory(void **state)
{
	struct fx *f = *state;
	long max = max_queued_events();
	char *pad;

	if (max > 200000) {
		skip();
		return;
	}
	mkdir_in(f, "a");
	mkdir_in(f, "b");
	put(f, "a/pad.yaml", "# pad\n");
	put(f, "b/old.yaml", "old\n");
	open_sd(f);
	rescan(f);
	sleep_ms(60);
	rescan(f); /* everything settled: b/ is reusable from now on */
	assert_int_equal(f->sd->ndirs, 3);
	assert_true(f->sd->dirs[2].reusable); /* b/, in walk order */

	pad = xasprintf("%s/a/pad.yaml", f->base);
	/* IN_MODIFY and IN_CLOSE_WRITE per write: max events and more. */
	for (long i = 0; i < max / 2 + 64; i++) {
		int fd = open(pad, O_WRONLY | O_APPEND);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "#\n", 2), 2);
		close(fd);
	}
	put(f, "b/new.yaml", "new\n");
	assert_int_equal(source_dir_process_events(f->sd), 1);
	assert_true(f->sd->rebuild_watches);
	rescan(f);
	assert_true(has_file(f, "b/new.yaml"));
	assert_true(has_file(f, "b/old.yaml"));
	assert_int_equal(f->sd->stats.dirs_reused, 0);

	/* And the rebuilt watches report the next change in b/. */
	sleep_ms(60);
	put(f, "b/later.yaml", "later\n");
	{
		struct pollfd p = { .fd = source_dir_fd(f->sd), .events = POLLIN };

		assert_int_equal(poll(&p, 1, 2000), 1);
	}
	assert_int_equal(source_dir_process_events(f->sd), 1);
	rescan(f);
	assert_true(has_file(f, "b/later.yaml"));
	free(pad);
}

/* 10,000 files in one directory: all read, in order, one scan. */
static void
test_many_files(void **state)
{
	struct fx *f = *state;
	char name[32];

	mkdir_in(f, "bulk");
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof name, "bulk/f%05d.yaml", i);
		put(f, name, "# x\n");
	}
	open_sd(f);
	rescan(f);
	assert_int_equal(f->sf.n, 10000);
	assert_int_equal(f->sf.diags.n, 0);
	for (size_t i = 1; i < f->sf.n; i++)
		assert_true(strcmp(f->sf.files[i - 1].path, f->sf.files[i].path) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overflow_loses_another_directory,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_files, setup, teardown),
	};

	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
