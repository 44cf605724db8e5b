/* The git source against fixture repositories that each test builds with
 * the git CLI in a scratch directory: what a scan reads from a commit,
 * which blobs it reads again, how it follows the branch (fast-forward,
 * force push, deletion, packed refs) and a remote (file:// fetches). */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "source/git.h"
#include "util/xalloc.h"

struct fx {
	char *base; /* scratch directory */
	char *work; /* non-bare repository the tests commit in */
	struct source_git *sg;
	struct source_files sf;
};

/* Runs a shell command in the scratch directory; fails the test if it
 * fails. */
static void
sh(const struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sh(const struct fx *f, const char *fmt, ...)
{
	va_list ap;
	char *cmd, *full;
	int rc;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	full = xasprintf("cd '%s' && { %s; } >/dev/null 2>&1", f->base, cmd);
	rc = system(full);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
	free(full);
	free(cmd);
}

/* One line of a command's output. */
static char *
sh_out(const struct fx *f, const char *cmd)
{
	char *full = xasprintf("cd '%s' && %s", f->base, cmd);
	FILE *p = popen(full, "r");
	char buf[256] = "";

	assert_non_null(p);
	if (fgets(buf, sizeof buf, p) == NULL)
		buf[0] = '\0';
	pclose(p);
	free(full);
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

static void
put(const struct fx *f, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", f->work, rel), *slash, *dir;
	FILE *fp;

	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	sh(f, "mkdir -p '%s'", dir);
	free(dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
	free(path);
}

static void
commit(const struct fx *f, const char *subject)
{
	sh(f, "cd work && git add -A && git commit -q --allow-empty -m '%s'",
	    subject);
}

static char *
rev_parse(const struct fx *f, const char *rev)
{
	char *cmd = xasprintf("git -C work rev-parse %s", rev);
	char *out = sh_out(f, cmd);

	free(cmd);
	return out;
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);

	f->base = fixture_scratch("source-git");
	f->work = xasprintf("%s/work", f->base);
	sh(f, "git init -q -b main work");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	source_files_free(&f->sf);
	source_git_close(f->sg);
	fixture_rm_rf(f->base);
	free(f->work);
	free(f->base);
	free(f);
	return 0;
}

static void
print_diags(const struct diag_list *dl)
{
	for (size_t i = 0; i < dl->n; i++)
		diag_print(stderr, &dl->items[i]);
}

static void
open_with(struct fx *f, struct source_git_options *o)
{
	struct diag_list dl;

	diag_list_init(&dl);
	if (o->repository == NULL)
		o->repository = f->work;
	if (source_git_open(o, &f->sg, &dl) != 0) {
		print_diags(&dl);
		fail_msg("source_git_open failed");
	}
	diag_list_free(&dl);
}

static void
open_sg(struct fx *f)
{
	struct source_git_options o = { 0 };

	open_with(f, &o);
}

static void
rescan(struct fx *f)
{
	source_files_free(&f->sf);
	if (source_git_scan(f->sg, &f->sf) != 0) {
		print_diags(&f->sf.diags);
		fail_msg("scan failed");
	}
}

static const struct source_file *
file(const struct fx *f, const char *path)
{
	for (size_t i = 0; i < f->sf.n; i++)
		if (strcmp(f->sf.files[i].path, path) == 0)
			return &f->sf.files[i];
	return NULL;
}

static void
assert_content(const struct fx *f, const char *path, const char *want)
{
	const struct source_file *sf = file(f, path);

	if (sf == NULL)
		fail_msg("%s not in the scan", path);
	assert_string_equal(sf->data, want);
	assert_int_equal(sf->len, strlen(want));
}

static bool
has_diag(const struct diag_list *dl, const char *file_name, const char *needle)
{
	for (size_t i = 0; i < dl->n; i++)
		if (strcmp(dl->items[i].file, file_name) == 0 &&
		    strstr(dl->items[i].message, needle) != NULL)
			return true;
	return false;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the source's fd until process_events reports a change; returns
 * what it last reported (0 on timeout). */
static int
wait_change(struct fx *f, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = source_git_fd(f->sg), .events = POLLIN };

	for (;;) {
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		rc = source_git_process_events(f->sg);
		if (rc != 0)
			return rc;
	}
}

static void
assert_revision(const struct fx *f, const char *rev)
{
	char *want = rev_parse(f, rev);

	assert_string_equal(f->sf.revision, want);
	free(want);
}

/* --- reading ------------------------------------------------------------ */

static void
test_initial_commit(void **state)
{
	struct fx *f = *state;
	static const char *const want[] = {
		"a.yaml", "blog/b.yml", "blog/deep/c.yaml", "shop.yaml",
		"shop/d.yaml",
	};

	put(f, "shop/d.yaml", "d\n");
	put(f, "shop.yaml", "s\n");
	put(f, "a.yaml", "a\n");
	put(f, "blog/b.yml", "b\n");
	put(f, "blog/deep/c.yaml", "c\n");
	/* Ignored like in a directory. */
	put(f, ".hidden.yaml", "h\n");
	put(f, ".github/workflow.yaml", "w\n");
	put(f, "blog/b.yaml~", "backup\n");
	put(f, "blog/#b.yaml#", "autosave\n");
	put(f, "README.md", "not yaml\n");
	put(f, "shop/notes.txt", "not yaml\n");
	commit(f, "initial routes");
	/* The working tree is never read. */
	put(f, "a.yaml", "uncommitted\n");
	put(f, "new.yaml", "uncommitted\n");

	open_sg(f);
	rescan(f);
	print_diags(&f->sf.diags);
	assert_int_equal(f->sf.diags.n, 0);
	assert_int_equal(f->sf.n, nitems(want));
	/* Sorted, with a directory sorting as "name/". */
	for (size_t i = 0; i < nitems(want); i++)
		assert_string_equal(f->sf.files[i].path, want[i]);
	assert_content(f, "a.yaml", "a\n");
	assert_string_equal(file(f, "a.yaml")->ns, "default");
	assert_string_equal(file(f, "shop.yaml")->ns, "default");
	assert_string_equal(file(f, "blog/deep/c.yaml")->ns, "blog");
	assert_string_equal(file(f, "shop/d.yaml")->ns, "shop");
	assert_revision(f, "main");
	assert_int_equal(strlen(f->sf.revision), 40);
	assert_string_equal(f->sf.revision_subject, "initial routes");
}

static void
test_bare_repository(void **state)
{
	struct fx *f = *state;
	struct source_git_options o = { 0 };
	char *bare;

	put(f, "ns/x.yaml", "x\n");
	commit(f, "one");
	sh(f, "git clone -q --bare work bare.git");
	bare = xasprintf("%s/bare.git", f->base);
	o.repository = bare;
	open_with(f, &o);
	rescan(f);
	assert_int_equal(f->sf.n, 1);
	assert_content(f, "ns/x.yaml", "x\n");
	assert_revision(f, "main");
	free(bare);
}

static void
test_path_subtree(void **state)
{
	struct fx *f = *state;
	struct source_git_options o = { .path = "/deploy/" };

	put(f, "deploy/shop/app.yaml", "app\n");
	put(f, "deploy/root.yaml", "root\n");
	put(f, "other/skip.yaml", "skip\n");
	put(f, "top.yaml", "top\n");
	commit(f, "subtree");
	open_with(f, &o);
	rescan(f);
	assert_int_equal(f->sf.n, 2);
	/* Paths name the file in the repository; the namespace is the first
	 * level under `path`. */
	assert_string_equal(f->sf.files[0].path, "deploy/root.yaml");
	assert_string_equal(f->sf.files[0].ns, "default");
	assert_string_equal(f->sf.files[1].path, "deploy/shop/app.yaml");
	assert_string_equal(f->sf.files[1].ns, "shop");

	/* The subdirectory disappears: nothing to serve, an error. */
	sh(f, "cd work && git rm -q -r deploy && git commit -q -m gone");
	source_files_free(&f->sf);
	assert_int_equal(source_git_scan(f->sg, &f->sf), -1);
	assert_true(has_diag(&f->sf.diags, "deploy", "no directory"));
}

static void
test_max_file_bytes(void **state)
{
	struct fx *f = *state;
	struct source_git_options o = { .max_file_bytes = 10 };

	put(f, "ns/small.yaml", "0123456789");
	put(f, "ns/big.yaml", "0123456789A");
	commit(f, "sizes");
	open_with(f, &o);
	rescan(f);
	assert_int_equal(f->sf.n, 1);
	assert_content(f, "ns/small.yaml", "0123456789");
	assert_true(has_diag(&f->sf.diags, "ns/big.yaml", "max-file-bytes"));
	assert_int_equal(f->sf.diags.nerrors, 1);
}

static void
test_symlink_not_followed(void **state)
{
	struct fx *f = *state;

	put(f, "ns/real.yaml", "r\n");
	sh(f, "ln -s real.yaml work/ns/link.yaml");
	commit(f, "link");
	open_sg(f);
	rescan(f);
	assert_int_equal(f->sf.n, 1);
	assert_true(has_diag(&f->sf.diags, "ns/link.yaml", "not followed"));
	assert_int_equal(f->sf.diags.nerrors, 0);
}

/* Only blobs whose ids changed are read again; rolling back reads none. */
static void
test_blob_cache(void **state)
{
	struct fx *f = *state;
	struct source_git_stats st;
	char *first;

	put(f, "a/one.yaml", "one\n");
	put(f, "a/two.yaml", "two\n");
	put(f, "b/three.yaml", "three\n");
	put(f, "b/same-as-one.yaml", "one\n");
	commit(f, "first");
	first = rev_parse(f, "main");
	open_sg(f);
	rescan(f);
	source_git_get_stats(f->sg, &st);
	assert_int_equal(f->sf.n, 4);
	/* "one" is one blob at two paths. */
	assert_true(st.blobs_read <= 4);
	assert_int_equal(st.blobs_read + st.blobs_cached, 4);
	assert_int_equal(file(f, "a/one.yaml")->hash,
	    file(f, "b/same-as-one.yaml")->hash);

	/* Same commit again: nothing read. */
	rescan(f);
	source_git_get_stats(f->sg, &st);
	assert_true(st.blobs_read <= 4);
	{
		size_t read_before = st.blobs_read;

		put(f, "a/two.yaml", "two, changed\n");
		commit(f, "second");
		rescan(f);
		source_git_get_stats(f->sg, &st);
		assert_int_equal(st.blobs_read, read_before + 1);
		assert_content(f, "a/two.yaml", "two, changed\n");
		assert_revision(f, "main");

		/* Force push back to the first commit: its blobs were all in
		 * the previous scan except the old "two". */
		sh(f, "cd work && git reset -q --hard %s", first);
		rescan(f);
		source_git_get_stats(f->sg, &st);
		assert_string_equal(f->sf.revision, first);
		assert_content(f, "a/two.yaml", "two\n");
		assert_int_equal(st.blobs_read, read_before + 2);
	}
	free(first);
}

/* The blob cache keeps ids, sizes and hashes, not bytes: 8 MiB of files
 * scanned and handed back leave the heap about where it was (a cache of
 * contents kept all 8 MiB), and a second scan, served from the cache,
 * reads the bytes again from the object database. */
static void
test_blob_cache_keeps_no_bytes(void **state)
{
	struct fx *f = *state;
	struct source_git_stats st;
	struct mallinfo2 before, after;
	char *want;
	size_t grew;

	sh(f, "mkdir -p work/ns && for i in $(seq 400); do head -c 15000 "
	    "/dev/urandom | base64 -w 100 > work/ns/f$i.yaml; done");
	commit(f, "big");
	before = mallinfo2();
	open_sg(f);
	rescan(f);
	assert_int_equal(f->sf.n, 400);
	source_files_free(&f->sf);
	after = mallinfo2();
	grew = after.uordblks > before.uordblks ?
	    after.uordblks - before.uordblks : 0;
	print_message("heap in use grew %zu bytes for 8 MiB of blobs\n", grew);
	assert_true(grew < 2 * 1024 * 1024);

	rescan(f);
	source_git_get_stats(f->sg, &st);
	assert_int_equal(st.blobs_cached, 400);
	want = sh_out(f, "cat work/ns/f7.yaml");
	assert_non_null(file(f, "ns/f7.yaml"));
	/* sh_out keeps the first line: compare that much. */
	assert_memory_equal(file(f, "ns/f7.yaml")->data, want, strlen(want));
	assert_int_equal(file(f, "ns/f7.yaml")->len, 20000 + 200);
	free(want);
}

static void
test_fixed_revision(void **state)
{
	struct fx *f = *state;
	struct source_git_options o = { .rev = "HEAD~1" };
	struct diag_list dl;
	char *older;

	put(f, "ns/x.yaml", "v1\n");
	commit(f, "v1");
	sh(f, "cd work && git tag v1");
	put(f, "ns/x.yaml", "v2\n");
	commit(f, "v2");
	older = rev_parse(f, "HEAD~1");
	open_with(f, &o);
	assert_int_equal(source_git_fd(f->sg), -1);
	rescan(f);
	assert_string_equal(f->sf.revision, older);
	assert_string_equal(f->sf.revision_subject, "v1");
	assert_content(f, "ns/x.yaml", "v1\n");
	source_git_close(f->sg);
	f->sg = NULL;

	/* A tag peels to its commit. */
	o.rev = "v1";
	open_with(f, &o);
	rescan(f);
	assert_string_equal(f->sf.revision, older);
	source_git_close(f->sg);
	f->sg = NULL;

	o.rev = "no-such-rev";
	diag_list_init(&dl);
	assert_int_equal(source_git_open(&o, &f->sg, &dl), -1);
	assert_null(f->sg);
	assert_true(has_diag(&dl, "", "does not name a commit"));
	diag_list_free(&dl);
	free(older);
}

static void
test_not_a_repository(void **state)
{
	struct fx *f = *state;
	struct source_git_options o = { .repository = "/nonexistent/repo" };
	struct diag_list dl;

	diag_list_init(&dl);
	assert_int_equal(source_git_open(&o, &f->sg, &dl), -1);
	assert_int_equal(dl.nerrors, 1);
	assert_non_null(strstr(dl.items[0].message, "/nonexistent/repo"));
	diag_list_free(&dl);

	o.repository = f->work;
	o.branch = "bad..name";
	diag_list_init(&dl);
	assert_int_equal(source_git_open(&o, &f->sg, &dl), -1);
	assert_true(has_diag(&dl, "", "not a valid branch name"));
	diag_list_free(&dl);
}

/* --- following the branch ------------------------------------------------ */

static void
test_watch_commit(void **state)
{
	struct fx *f = *state;
	int64_t start;

	put(f, "ns/x.yaml", "v1\n");
	commit(f, "v1");
	open_sg(f);
	rescan(f);
	put(f, "ns/x.yaml", "v2\n");
	start = now_ms();
	commit(f, "v2");
	assert_int_equal(wait_change(f, 1000), 1);
	assert_true(now_ms() - start < 1000);
	rescan(f);
	assert_content(f, "ns/x.yaml", "v2\n");
	assert_revision(f, "main");
	assert_string_equal(f->sf.revision_subject, "v2");

	/* Another branch appearing or moving is not our business. */
	sh(f, "cd work && git branch other && git update-ref refs/heads/other "
	    "HEAD~1 && git tag v1");
	assert_int_equal(wait_change(f, 300), 0);
}

static void
test_watch_force_push(void **state)
{
	struct fx *f = *state;
	char *first;

	put(f, "ns/x.yaml", "v1\n");
	commit(f, "v1");
	first = rev_parse(f, "main");
	put(f, "ns/x.yaml", "v2\n");
	commit(f, "v2");
	sh(f, "git clone -q --bare work bare.git");
	sh(f, "cd work && git remote add origin ../bare.git");
	{
		struct source_git_options o = { 0 };
		char *bare = xasprintf("%s/bare.git", f->base);

		o.repository = bare;
		open_with(f, &o);
		free(bare);
	}
	rescan(f);
	assert_content(f, "ns/x.yaml", "v2\n");
	sh(f, "cd work && git push -q -f origin %s:main", first);
	assert_int_equal(wait_change(f, 1000), 1);
	rescan(f);
	assert_string_equal(f->sf.revision, first);
	assert_content(f, "ns/x.yaml", "v1\n");
	free(first);
}

static void
test_watch_branch_deleted_and_recreated(void **state)
{
	struct fx *f = *state;
	struct source_git_options o = { .branch = "team/routes" };
	char *tip;

	put(f, "ns/x.yaml", "v1\n");
	commit(f, "v1");
	tip = rev_parse(f, "main");
	/* refs/heads/team/ does not exist yet: it is watched when it
	 * appears. */
	open_with(f, &o);
	source_files_free(&f->sf);
	assert_int_equal(source_git_scan(f->sg, &f->sf), -1);
	assert_true(has_diag(&f->sf.diags, "", "does not exist"));

	sh(f, "cd work && git branch team/routes");
	assert_int_equal(wait_change(f, 1000), 1);
	rescan(f);
	assert_string_equal(f->sf.revision, tip);

	sh(f, "cd work && git branch -q -D team/routes");
	assert_int_equal(wait_change(f, 1000), 1);
	source_files_free(&f->sf);
	assert_int_equal(source_git_scan(f->sg, &f->sf), -1);
	assert_true(has_diag(&f->sf.diags, "", "deleted"));

	sh(f, "cd work && git branch team/routes");
	assert_int_equal(wait_change(f, 1000), 1);
	rescan(f);
	assert_string_equal(f->sf.revision, tip);
	free(tip);
}

static void
test_packed_refs(void **state)
{
	struct fx *f = *state;
	struct stat st;
	char *loose, *second;

	put(f, "ns/x.yaml", "v1\n");
	commit(f, "v1");
	open_sg(f);
	rescan(f);

	/* gc packs the ref and the objects: both still found. */
	sh(f, "cd work && git gc -q --prune=now");
	loose = xasprintf("%s/.git/refs/heads/main", f->work);
	assert_int_equal(stat(loose, &st), -1);
	(void)wait_change(f, 300);
	rescan(f);
	assert_revision(f, "main");
	assert_content(f, "ns/x.yaml", "v1\n");

	/* A ref that only lives in packed-refs moves: packed-refs is
	 * rewritten, no loose file appears. */
	put(f, "ns/x.yaml", "v2\n");
	commit(f, "v2");
	second = rev_parse(f, "main");
	sh(f, "cd work && git pack-refs --all && git gc -q --prune=now");
	assert_int_equal(stat(loose, &st), -1);
	rescan(f);
	assert_string_equal(f->sf.revision, second);
	/* Rewrite packed-refs the way git does (write, then rename), moving
	 * main back to v1 without any loose ref. */
	{
		char *first = rev_parse(f, "main~1");

		sh(f, "cd work/.git && sed 's/^%s /%s /' packed-refs "
		    ">packed-refs.lock && mv packed-refs.lock packed-refs",
		    second, first);
		free(first);
	}
	assert_int_equal(stat(loose, &st), -1);
	assert_int_equal(wait_change(f, 1000), 1);
	rescan(f);
	assert_content(f, "ns/x.yaml", "v1\n");
	free(second);
	free(loose);
}

/* --- remote ------------------------------------------------------------- */

static void
test_remote_fetch(void **state)
{
	struct fx *f = *state;
	struct source_git_stats st;
	struct source_git_options o = { 0 };
	char *url, *state_dir, *tip;
	int rc;

	put(f, "ns/x.yaml", "v1\n");
	commit(f, "v1");
	sh(f, "git clone -q --bare work origin.git");
	sh(f, "cd work && git remote add origin ../origin.git");
	url = xasprintf("file://%s/origin.git", f->base);
	state_dir = xasprintf("%s/state", f->base);
	o.repository = "/unused";
	o.remote = url;
	o.state_dir = state_dir;
	o.fetch_interval_ms = 60000; /* only refreshes in this test */
	open_with(f, &o);
	/* The first fetch happened at open. */
	rescan(f);
	assert_revision(f, "main");
	assert_non_null(strstr(source_git_repository_path(f->sg), state_dir));

	put(f, "ns/x.yaml", "v2\n");
	commit(f, "v2");
	sh(f, "cd work && git push -q origin main");
	assert_int_equal(source_git_refresh(f->sg), 0);
	rc = wait_change(f, 5000);
	assert_int_equal(rc, 1);
	rescan(f);
	assert_revision(f, "main");
	assert_content(f, "ns/x.yaml", "v2\n");

	/* The remote loses the branch: the mirror follows (pruned). */
	tip = rev_parse(f, "main");
	sh(f, "git -C origin.git update-ref -d refs/heads/main");
	assert_int_equal(source_git_refresh(f->sg), 0);
	assert_int_equal(wait_change(f, 5000), 1);
	source_files_free(&f->sf);
	assert_int_equal(source_git_scan(f->sg, &f->sf), -1);
	assert_true(has_diag(&f->sf.diags, "", "has no branch"));
	source_git_get_stats(f->sg, &st);
	assert_int_equal(st.fetches, 3);
	assert_int_equal(st.fetch_failures, 0);
	free(tip);
	free(url);
	free(state_dir);
}

static void
test_remote_fetch_fails(void **state)
{
	struct fx *f = *state;
	struct source_git_stats st;
	struct source_git_options o = { 0 };
	char *url, *state_dir;

	url = xasprintf("file://%s/missing.git", f->base);
	state_dir = xasprintf("%s/state", f->base);
	o.repository = "/unused";
	o.remote = url;
	o.state_dir = state_dir;
	o.fetch_interval_ms = 50;
	open_with(f, &o);
	source_files_free(&f->sf);
	assert_int_equal(source_git_scan(f->sg, &f->sf), -1);
	assert_true(has_diag(&f->sf.diags, "", "last fetch failed"));
	/* Retried on the timer, backing off: 50, 100, 200 ms. */
	(void)wait_change(f, 500);
	source_git_get_stats(f->sg, &st);
	assert_true(st.fetch_failures >= 2);
	assert_true(st.fetch_failures <= 5);
	assert_int_equal(st.fetches, st.fetch_failures);
	free(url);
	free(state_dir);
}

/* --- the delta form ------------------------------------------------------ */

/* Exactly these changed files ("path=content") and removed paths. */
static void
assert_delta(const struct fx *f, const char *const *changed,
    const char *const *removed)
{
	size_t nc = 0, nr = 0;

	if (!f->sf.delta)
		fail_msg("expected a delta scan, got the whole revision (%zu "
		    "files)", f->sf.n);
	while (changed[nc] != NULL)
		nc++;
	while (removed[nr] != NULL)
		nr++;
	for (size_t i = 0; f->sf.n != nc && i < f->sf.n; i++)
		print_message("# changed %s\n", f->sf.files[i].path);
	for (size_t i = 0; f->sf.n_removed != nr && i < f->sf.n_removed; i++)
		print_message("# removed %s\n", f->sf.removed[i]);
	assert_int_equal(f->sf.n, nc);
	assert_int_equal(f->sf.n_removed, nr);
	for (size_t i = 0; i < nc; i++) {
		const char *eq = strchr(changed[i], '=');
		char *path = xstrndup(changed[i], (size_t)(eq - changed[i]));

		assert_string_equal(f->sf.files[i].path, path);
		assert_string_equal(f->sf.files[i].data, eq + 1);
		free(path);
	}
	for (size_t i = 0; i < nr; i++)
		assert_string_equal(f->sf.removed[i], removed[i]);
	assert_int_equal(f->sf.diags.n, 0);
	assert_revision(f, "main");
}

#define NONE ((const char *const[]){ NULL })
#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_delta_commits(void **state)
{
	struct fx *f = *state;
	struct source_git_options o = { .path = "deploy" };

	put(f, "deploy/a/one.yaml", "one\n");
	put(f, "deploy/a/two.yaml", "two\n");
	put(f, "deploy/b/three.yaml", "three\n");
	put(f, "deploy/top.yaml", "top\n");
	put(f, "elsewhere/x.yaml", "x\n");
	commit(f, "first");
	open_with(f, &o);
	source_git_set_delta(f->sg, true);
	rescan(f);
	assert_false(f->sf.delta); /* the first scan is whole */
	assert_int_equal(f->sf.n, 4);

	/* The same commit again: an empty delta. */
	rescan(f);
	assert_delta(f, NONE, NONE);

	put(f, "deploy/a/two.yaml", "two, changed\n");
	put(f, "deploy/c/new.yaml", "new\n");
	put(f, "elsewhere/x.yaml", "x2\n"); /* outside `path` */
	put(f, "deploy/a/notes.txt", "not YAML\n");
	put(f, "deploy/a/.hidden.yaml", "hidden\n");
	commit(f, "second");
	rescan(f);
	assert_delta(f, LIST("deploy/a/two.yaml=two, changed\n",
	    "deploy/c/new.yaml=new\n"), NONE);
	assert_string_equal(f->sf.files[1].ns, "c");

	/* A directory renamed, a file removed. */
	sh(f, "cd work && git mv deploy/b deploy/bee && git rm -q deploy/top.yaml");
	commit(f, "third");
	rescan(f);
	assert_delta(f, LIST("deploy/bee/three.yaml=three\n"),
	    LIST("deploy/b/three.yaml", "deploy/top.yaml"));

	/* A file replaced by a directory of the same name. */
	sh(f, "cd work && git rm -q deploy/c/new.yaml");
	put(f, "deploy/c/new.yaml/inner.yaml", "inner\n");
	commit(f, "fourth");
	rescan(f);
	assert_delta(f, LIST("deploy/c/new.yaml/inner.yaml=inner\n"),
	    LIST("deploy/c/new.yaml"));

	/* A symbolic link needs the whole walk (and its warning). */
	sh(f, "ln -s one.yaml work/deploy/a/link.yaml");
	commit(f, "link");
	rescan(f);
	assert_false(f->sf.delta);
	assert_int_equal(f->sf.n, 4);
	assert_int_equal(f->sf.n_removed, 0);
	assert_true(has_diag(&f->sf.diags, "deploy/a/link.yaml", "not followed"));

	/* After a scan with problems, the next one is whole too: a delta
	 * would not repeat the warning. */
	put(f, "deploy/a/one.yaml", "one again\n");
	commit(f, "after the link");
	rescan(f);
	assert_false(f->sf.delta);
	assert_true(has_diag(&f->sf.diags, "deploy/a/link.yaml", "not followed"));

	sh(f, "cd work && git rm -q deploy/a/link.yaml");
	commit(f, "no link");
	rescan(f);
	assert_false(f->sf.delta);
	put(f, "deploy/a/one.yaml", "one, third\n");
	commit(f, "back to deltas");
	rescan(f);
	assert_delta(f, LIST("deploy/a/one.yaml=one, third\n"), NONE);
	assert_content(f, "deploy/a/one.yaml", "one, third\n");
}

/* A force push to an unrelated history still diffs (trees, not commits);
 * a file too large needs the whole walk. */
static void
test_delta_force_push_and_limits(void **state)
{
	struct fx *f = *state;
	struct source_git_options o = { .max_file_bytes = 16 };
	char *first;

	put(f, "ns/a.yaml", "a\n");
	put(f, "ns/b.yaml", "b\n");
	commit(f, "first");
	first = rev_parse(f, "main");
	put(f, "ns/b.yaml", "b2\n");
	commit(f, "second");
	open_with(f, &o);
	source_git_set_delta(f->sg, true);
	rescan(f);
	assert_false(f->sf.delta);

	sh(f, "cd work && git reset -q --hard %s", first);
	rescan(f);
	assert_delta(f, LIST("ns/b.yaml=b\n"), NONE);

	put(f, "ns/big.yaml", "0123456789abcdefXYZ\n");
	commit(f, "too large");
	rescan(f);
	assert_false(f->sf.delta);
	assert_int_equal(f->sf.n, 2);
	assert_true(has_diag(&f->sf.diags, "ns/big.yaml", "max-file-bytes"));

	/* Off again: whole revisions. */
	source_git_set_delta(f->sg, false);
	sh(f, "cd work && git rm -q ns/big.yaml");
	commit(f, "small again");
	rescan(f);
	rescan(f);
	assert_false(f->sf.delta);
	assert_int_equal(f->sf.n, 2);
	free(first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bare_repository, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_subtree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_file_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_revision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_repository, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_force_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_branch_deleted_and_recreated,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_packed_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_fetch_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_cache_keeps_no_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delta_force_push_and_limits,
		    setup, teardown),
	};

	/* Fixtures must not depend on the user's git configuration. */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_AUTHOR_NAME", "cairn test", 1);
	setenv("GIT_AUTHOR_EMAIL", "test@cairn.invalid", 1);
	setenv("GIT_COMMITTER_NAME", "cairn test", 1);
	setenv("GIT_COMMITTER_EMAIL", "test@cairn.invalid", 1);
	unsetenv("GIT_DIR");
	unsetenv("CAIRN_STATE_DIRECTORY");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
