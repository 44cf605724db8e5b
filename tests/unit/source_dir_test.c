/* The directory source against real temporary trees: what a scan reads,
 * what it reports, and which inotify events make it rescan. The module is
 * included (not linked) so tests can reach its cache. */
#include "../../src/source/dir.c"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <ftw.h>

#include <cmocka.h>

struct fx {
	char *base; /* scratch directory holding root and anything outside it */
	char *root;
	struct source_dir *sd;
	struct source_files sf;
	int64_t racy_ns; /* > 0: trust stat sooner, so unchanged directories
	                  * are reused (the fast path) in watch tests */
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static void
rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
at(const struct fx *f, const char *rel)
{
	return xasprintf("%s/%s", f->root, rel);
}

static char *
outside(const struct fx *f, const char *rel)
{
	return xasprintf("%s/%s", f->base, rel);
}

static void
put_path(const char *path, const char *content)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
}

static void
put(const struct fx *f, const char *rel, const char *content)
{
	char *p = at(f, rel);

	put_path(p, content);
	free(p);
}

static void
mkdir_in(const struct fx *f, const char *rel)
{
	char *p = at(f, rel);

	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void
symlink_in(const struct fx *f, const char *target, const char *rel)
{
	char *p = at(f, rel);

	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	char tmpl[] = "/tmp/cairn-source-dir-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->base = xstrdup(tmpl);
	f->root = xasprintf("%s/root", f->base);
	assert_int_equal(mkdir(f->root, 0755), 0);
	*state = f;
	return 0;
}

/* Long enough for the kernel's coarse file timestamps (one tick). */
#define TRUSTING_RACY_NS ((int64_t)20 * 1000 * 1000)

static int
setup_trusting(void **state)
{
	setup(state);
	((struct fx *)*state)->racy_ns = TRUSTING_RACY_NS;
	return 0;
}

static void
age_files(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	source_files_free(&f->sf);
	source_dir_close(f->sd);
	rm_rf(f->base);
	free(f->root);
	free(f->base);
	free(f);
	return 0;
}

static void
open_sd(struct fx *f, size_t max)
{
	struct source_dir_options o = { .max_file_bytes = max };
	struct diag_list dl;

	diag_list_init(&dl);
	assert_int_equal(source_dir_open(f->root, &o, &f->sd, &dl), 0);
	assert_int_equal(dl.n, 0);
	if (f->racy_ns > 0)
		f->sd->racy_ns = f->racy_ns;
	diag_list_free(&dl);
}

static void
rescan(struct fx *f)
{
	source_files_free(&f->sf);
	assert_int_equal(source_dir_scan(f->sd, &f->sf), 0);
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

static const struct diag *
diag_about(const struct fx *f, const char *file_name, const char *needle)
{
	for (size_t i = 0; i < f->sf.diags.n; i++) {
		const struct diag *d = &f->sf.diags.items[i];

		if (strcmp(d->file, file_name) == 0 &&
		    strstr(d->message, needle) != NULL)
			return d;
	}
	return NULL;
}

static void
print_diags(const struct fx *f)
{
	for (size_t i = 0; i < f->sf.diags.n; i++)
		diag_print(stderr, &f->sf.diags.items[i]);
}

/* Waits up to timeout_ms for the fd to report a relevant change. */
static int
wait_change(struct fx *f, int timeout_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = source_dir_fd(f->sd), .events = POLLIN };
		int64_t spent, left;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &t);
		spent = (dir_ts_ns(&t) - dir_ts_ns(&t0)) / 1000000;
		left = timeout_ms - spent;
		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		r = source_dir_process_events(f->sd);
		assert_int_not_equal(r, -1);
		if (r == 1)
			return 1;
	}
}

static void
expect_change(struct fx *f)
{
	assert_int_equal(wait_change(f, 2000), 1);
	rescan(f);
}

static void
expect_quiet(struct fx *f)
{
	assert_int_equal(wait_change(f, 300), 0);
}

/* --- scanning ----------------------------------------------------------- */

static void
test_namespace_of(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "app.yaml", "default" },
		{ "shop/app.yaml", "shop" },
		{ "shop/sub/app.yaml", "shop" },
		{ "/shop/app.yaml", "shop" },
		{ "", "default" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		char *ns = source_namespace_of(cases[i].in);

		assert_string_equal(ns, cases[i].out);
		free(ns);
	}
}

static void
test_order_and_namespaces(void **state)
{
	static const char *want[][2] = {
		{ "Z.yaml", "default" },
		{ "a.yaml", "default" },
		{ "a/b.yaml", "a" },
		{ "b.yml", "default" },
		{ "shop/app.yaml", "shop" },
		{ "shop/sub/x.yaml", "shop" },
	};
	struct fx *f = *state;
	char *rev;

	mkdir_in(f, "a");
	mkdir_in(f, "shop");
	mkdir_in(f, "shop/sub");
	put(f, "shop/sub/x.yaml", "x: 1\n");
	put(f, "shop/app.yaml", "app: 1\n");
	put(f, "b.yml", "b: 1\n");
	put(f, "a/b.yaml", "ab: 1\n");
	put(f, "a.yaml", "a: 1\n");
	put(f, "Z.yaml", "z: 1\n");
	put(f, "notes.txt", "not yaml\n");
	put(f, "shop/README.md", "not yaml\n");
	open_sd(f, 0);
	rescan(f);

	print_diags(f);
	assert_int_equal(f->sf.diags.n, 0);
	assert_int_equal(f->sf.n, nitems(want));
	for (size_t i = 0; i < nitems(want); i++) {
		const struct source_file *sf = &f->sf.files[i];

		assert_string_equal(sf->path, want[i][0]);
		assert_string_equal(sf->ns, want[i][1]);
		assert_int_equal(sf->data[sf->len], '\0');
		assert_true(sf->hash == hash_bytes(sf->data, sf->len));
	}
	assert_content(f, "a/b.yaml", "ab: 1\n");
	assert_non_null(f->sf.revision);
	assert_int_equal(strlen(f->sf.revision), 16);
	assert_int_equal(strspn(f->sf.revision, "0123456789abcdef"), 16);

	/* Same tree, same revision; a content change, another one. */
	rev = xstrdup(f->sf.revision);
	rescan(f);
	assert_string_equal(f->sf.revision, rev);
	put(f, "a/b.yaml", "ab: 2\n");
	rescan(f);
	assert_string_not_equal(f->sf.revision, rev);
	assert_content(f, "a/b.yaml", "ab: 2\n");
	free(rev);
}

static void
test_ignored_names(void **state)
{
	static const char *ignored[] = {
		".hidden.yaml", "app.yaml~", ".app.yaml.swp", "app.yaml.swp",
		"app.swx", "#app.yaml#", "4913",
	};
	struct fx *f = *state;

	for (size_t i = 0; i < nitems(ignored); i++)
		put(f, ignored[i], "x: 1\n");
	mkdir_in(f, ".git");
	put(f, ".git/config.yaml", "x: 1\n");
	mkdir_in(f, "shop");
	put(f, "shop/.#app.yaml", "x: 1\n");
	put(f, "shop/app.yaml", "x: 1\n");
	put(f, "ok.yaml", "x: 1\n");
	open_sd(f, 0);
	rescan(f);

	assert_int_equal(f->sf.diags.n, 0);
	assert_int_equal(f->sf.n, 2);
	assert_string_equal(f->sf.files[0].path, "ok.yaml");
	assert_string_equal(f->sf.files[1].path, "shop/app.yaml");
	assert_true(source_name_ignored("#x#"));
	assert_false(source_name_ignored("x.yaml"));
	assert_false(source_name_is_yaml("x.json"));
	assert_true(source_name_is_yaml("x.yml"));
}

static void
test_max_file_bytes(void **state)
{
	struct fx *f = *state;
	const struct diag *d;

	put(f, "small.yaml", "0123456789abcdef"); /* exactly 16 */
	put(f, "big.yaml", "0123456789abcdefg"); /* 17 */
	open_sd(f, 16);
	rescan(f);

	assert_int_equal(f->sf.n, 1);
	assert_content(f, "small.yaml", "0123456789abcdef");
	assert_null(file(f, "big.yaml"));
	d = diag_about(f, "big.yaml", "17 bytes");
	assert_non_null(d);
	assert_int_equal(d->severity, DIAG_ERROR);
	assert_non_null(strstr(d->message, "max-file-bytes"));
	assert_int_equal(f->sf.diags.nerrors, 1);
}

static void
test_symlinks_followed(void **state)
{
	struct fx *f = *state;
	char *ext = outside(f, "ext"), *ext_file = outside(f, "ext/e.yaml");

	mkdir_in(f, "real");
	put(f, "real/app.yaml", "real\n");
	symlink_in(f, "real/app.yaml", "link.yaml");
	symlink_in(f, "real", "team");
	assert_int_equal(mkdir(ext, 0755), 0);
	put_path(ext_file, "ext\n");
	symlink_in(f, ext, "outside");
	symlink_in(f, "does-not-exist.yaml", "dangling.yaml");
	open_sd(f, 0);
	rescan(f);

	assert_int_equal(f->sf.n, 4);
	assert_content(f, "link.yaml", "real\n");
	assert_string_equal(file(f, "link.yaml")->ns, "default");
	assert_content(f, "outside/e.yaml", "ext\n");
	assert_string_equal(file(f, "outside/e.yaml")->ns, "outside");
	assert_content(f, "real/app.yaml", "real\n");
	assert_content(f, "team/app.yaml", "real\n");
	assert_string_equal(file(f, "team/app.yaml")->ns, "team");
	assert_non_null(diag_about(f, "dangling.yaml", "broken symlink"));
	assert_int_equal(f->sf.diags.nerrors, 0);
	free(ext);
	free(ext_file);
}

static void
test_symlink_loops(void **state)
{
	struct fx *f = *state;
	const struct diag *d;

	mkdir_in(f, "a");
	put(f, "a/app.yaml", "a\n");
	symlink_in(f, "..", "a/up");
	symlink_in(f, ".", "self");
	symlink_in(f, "l2.yaml", "l1.yaml");
	symlink_in(f, "l1.yaml", "l2.yaml");
	open_sd(f, 0);
	rescan(f);

	assert_int_equal(f->sf.n, 1);
	assert_content(f, "a/app.yaml", "a\n");
	d = diag_about(f, "a/up", "symlink loop");
	assert_non_null(d);
	assert_non_null(strstr(d->message, "a/up"));
	assert_non_null(strstr(d->message, "the source root"));
	assert_non_null(diag_about(f, "self", "symlink loop"));
	assert_non_null(diag_about(f, "l1.yaml", "symlink loop"));
	assert_non_null(diag_about(f, "l2.yaml", "symlink loop"));
	assert_int_equal(f->sf.diags.nerrors, 4);
}

/* A loop that closes further down: b/c/back -> ../../b re-enters b. */
static void
test_symlink_loop_deep(void **state)
{
	struct fx *f = *state;

	mkdir_in(f, "b");
	mkdir_in(f, "b/c");
	symlink_in(f, "../../b", "b/c/back");
	put(f, "b/c/x.yaml", "x\n");
	open_sd(f, 0);
	rescan(f);

	assert_int_equal(f->sf.n, 1);
	assert_non_null(diag_about(f, "b/c/back", "leads back to b"));
}

static void
test_unreadable(void **state)
{
	struct fx *f = *state;
	char *fifo = at(f, "fifo.yaml");

	put(f, "good.yaml", "good\n");
	put(f, "secret.yaml", "secret\n");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	mkdir_in(f, "x.yaml");
	put(f, "x.yaml/in.yaml", "in\n");
	symlink_in(f, "/dev/null", "null.yaml");
	if (geteuid() != 0) {
		char *p = at(f, "secret.yaml");

		assert_int_equal(chmod(p, 0), 0);
		free(p);
	} else {
		print_message("# running as root: EACCES cannot happen, the "
		    "chmod 000 case is skipped\n");
	}
	open_sd(f, 0);
	rescan(f);

	assert_content(f, "good.yaml", "good\n");
	assert_content(f, "x.yaml/in.yaml", "in\n");
	assert_string_equal(file(f, "x.yaml/in.yaml")->ns, "x.yaml");
	assert_null(file(f, "fifo.yaml"));
	assert_non_null(diag_about(f, "fifo.yaml", "not a regular file"));
	assert_non_null(diag_about(f, "null.yaml", "not a regular file"));
	if (geteuid() != 0) {
		assert_null(file(f, "secret.yaml"));
		assert_non_null(diag_about(f, "secret.yaml", "cannot open"));
	} else {
		assert_content(f, "secret.yaml", "secret\n");
	}
	free(fifo);
}

static void
test_root_unusable(void **state)
{
	struct fx *f = *state;
	struct diag_list dl;
	struct source_dir *sd;
	char *missing = outside(f, "missing"), *afile = outside(f, "file");

	diag_list_init(&dl);
	assert_int_equal(source_dir_open(missing, NULL, &sd, &dl), -1);
	assert_null(sd);
	assert_int_equal(dl.nerrors, 1);
	assert_non_null(strstr(dl.items[0].message, missing));
	put_path(afile, "x");
	assert_int_equal(source_dir_open(afile, NULL, &sd, &dl), -1);
	assert_int_equal(dl.nerrors, 2);
	diag_list_free(&dl);

	/* The root disappearing later: scan says so instead of crashing. */
	open_sd(f, 0);
	rm_rf(f->root);
	source_files_free(&f->sf);
	assert_int_equal(source_dir_scan(f->sd, &f->sf), -1);
	assert_int_equal(f->sf.diags.nerrors, 1);
	assert_int_equal(f->sf.n, 0);
	free(missing);
	free(afile);
}

/* Unchanged files come from the cache; a changed one is read again even
 * if its size stays the same. */
static void
test_cache(void **state)
{
	struct fx *f = *state;
	char *p;

	put(f, "a.yaml", "aaaa\n");
	put(f, "b.yaml", "bbbb\n");
	open_sd(f, 0);
	rescan(f);
	assert_int_equal(f->sd->ncache, 2);
	/* Freshly written files are racy: read again, same result. */
	rescan(f);
	assert_content(f, "a.yaml", "aaaa\n");
	assert_int_equal(f->sd->ncache, 2);

	/* Pretend both are old: the next scan must not read a.yaml at all,
	 * which the doctored cache copy proves. */
	for (size_t i = 0; i < f->sd->ncache; i++)
		f->sd->cache[i].racy = false;
	f->sd->cache[0].blob->data[0] = 'A';
	f->sd->cache[0].blob->hash = hash_bytes(f->sd->cache[0].blob->data,
	    f->sd->cache[0].blob->len);
	rescan(f);
	assert_content(f, "a.yaml", "Aaaa\n");
	assert_content(f, "b.yaml", "bbbb\n");

	/* Same size, same second: ctime moves, so it is read again. */
	for (size_t i = 0; i < f->sd->ncache; i++)
		f->sd->cache[i].racy = false;
	put(f, "a.yaml", "cccc\n");
	rescan(f);
	assert_content(f, "a.yaml", "cccc\n");

	/* A deleted file leaves the cache. */
	p = at(f, "b.yaml");
	assert_int_equal(unlink(p), 0);
	free(p);
	rescan(f);
	assert_int_equal(f->sf.n, 1);
	assert_int_equal(f->sd->ncache, 1);
}

/* --- watching ----------------------------------------------------------- */

static void
watch_setup(struct fx *f)
{
	mkdir_in(f, "shop");
	put(f, "shop/app.yaml", "one\n");
	put(f, "root.yaml", "root\n");
	open_sd(f, 0);
	rescan(f);
	/* Our own scan must not wake us up. */
	expect_quiet(f);
}

static void
test_watch_in_place_write(void **state)
{
	struct fx *f = *state;
	char *p;
	int fd;

	watch_setup(f);
	p = at(f, "shop/app.yaml");
	fd = open(p, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "two\n", 4), 4);
	close(fd);
	expect_change(f);
	assert_content(f, "shop/app.yaml", "two\n");

	put(f, "root.yaml", "ROOT\n"); /* root level */
	expect_change(f);
	assert_content(f, "root.yaml", "ROOT\n");
	free(p);
}

static void
test_watch_atomic_rename(void **state)
{
	struct fx *f = *state;
	char *tmp, *dst;

	watch_setup(f);
	tmp = at(f, "shop/.app.yaml.tmp");
	dst = at(f, "shop/app.yaml");
	put_path(tmp, "renamed\n");
	assert_int_equal(rename(tmp, dst), 0);
	expect_change(f);
	assert_content(f, "shop/app.yaml", "renamed\n");
	free(tmp);
	free(dst);
}

static void
test_watch_delete(void **state)
{
	struct fx *f = *state;
	char *p;

	watch_setup(f);
	p = at(f, "shop/app.yaml");
	assert_int_equal(unlink(p), 0);
	expect_change(f);
	assert_null(file(f, "shop/app.yaml"));
	assert_int_equal(f->sf.n, 1);
	free(p);
}

static void
test_watch_new_dir_and_file(void **state)
{
	struct fx *f = *state;

	watch_setup(f);
	/* The file is written before any watch on the new directory can
	 * exist: the rescan must still find it. */
	mkdir_in(f, "new");
	put(f, "new/a.yaml", "a\n");
	expect_change(f);
	assert_content(f, "new/a.yaml", "a\n");
	assert_string_equal(file(f, "new/a.yaml")->ns, "new");

	/* And from now on the new directory is watched. */
	put(f, "new/b.yaml", "b\n");
	expect_change(f);
	assert_content(f, "new/b.yaml", "b\n");

	/* Nested: a directory inside a new directory. */
	mkdir_in(f, "new/deep");
	mkdir_in(f, "new/deep/er");
	put(f, "new/deep/er/c.yaml", "c\n");
	expect_change(f);
	assert_content(f, "new/deep/er/c.yaml", "c\n");
	put(f, "new/deep/er/c.yaml", "C\n");
	expect_change(f);
	assert_content(f, "new/deep/er/c.yaml", "C\n");
}

static void
test_watch_dir_moved_in_and_out(void **state)
{
	struct fx *f = *state;
	char *staged = outside(f, "team"), *staged_file = outside(f, "team/r.yaml");
	char *in = at(f, "team"), *gone = outside(f, "gone");
	char *gone_file = outside(f, "gone/r.yaml");

	watch_setup(f);
	assert_int_equal(mkdir(staged, 0755), 0);
	put_path(staged_file, "r\n");
	expect_quiet(f);
	assert_int_equal(rename(staged, in), 0);
	expect_change(f);
	assert_content(f, "team/r.yaml", "r\n");
	assert_string_equal(file(f, "team/r.yaml")->ns, "team");

	put(f, "team/r.yaml", "r2\n");
	expect_change(f);
	assert_content(f, "team/r.yaml", "r2\n");

	assert_int_equal(rename(in, gone), 0);
	expect_change(f);
	assert_null(file(f, "team/r.yaml"));
	/* Its watch was dropped: edits out there are no longer ours. */
	put_path(gone_file, "r3\n");
	expect_quiet(f);
	free(staged);
	free(staged_file);
	free(in);
	free(gone);
	free(gone_file);
}

static void
test_watch_symlink_flip(void **state)
{
	struct fx *f = *state;
	char *v1 = outside(f, "v1"), *v2 = outside(f, "v2");
	char *v1f = outside(f, "v1/a.yaml"), *v2f = outside(f, "v2/a.yaml");
	char *tmp = at(f, ".current.tmp"), *cur = at(f, "current");

	assert_int_equal(mkdir(v1, 0755), 0);
	assert_int_equal(mkdir(v2, 0755), 0);
	put_path(v1f, "v1\n");
	put_path(v2f, "v2\n");
	symlink_in(f, v1, "current");
	watch_setup(f);
	assert_content(f, "current/a.yaml", "v1\n");

	/* Edits in the target of a symlinked directory are seen. */
	put_path(v1f, "v1b\n");
	expect_change(f);
	assert_content(f, "current/a.yaml", "v1b\n");

	/* certbot / `ln -sfn`: a new link renamed over the old one. */
	assert_int_equal(symlink(v2, tmp), 0);
	assert_int_equal(rename(tmp, cur), 0);
	expect_change(f);
	assert_content(f, "current/a.yaml", "v2\n");
	assert_string_equal(file(f, "current/a.yaml")->ns, "current");

	/* The old target is no longer watched, the new one is. */
	put_path(v1f, "v1c\n");
	expect_quiet(f);
	put_path(v2f, "v2b\n");
	expect_change(f);
	assert_content(f, "current/a.yaml", "v2b\n");

	/* Removing the link (a non-YAML name) is relevant too. */
	assert_int_equal(unlink(cur), 0);
	expect_change(f);
	assert_null(file(f, "current/a.yaml"));
	free(v1);
	free(v2);
	free(v1f);
	free(v2f);
	free(tmp);
	free(cur);
}

static void
test_watch_symlinked_file_target(void **state)
{
	struct fx *f = *state;
	char *target = outside(f, "target.yaml");

	put_path(target, "t1\n");
	symlink_in(f, target, "linked.yaml");
	watch_setup(f);
	assert_content(f, "linked.yaml", "t1\n");
	put_path(target, "t2\n");
	expect_change(f);
	assert_content(f, "linked.yaml", "t2\n");
	free(target);
}

static void
test_watch_root_symlink_flip(void **state)
{
	struct fx *f = *state;
	char *r1 = outside(f, "r1"), *r2 = outside(f, "r2");
	char *r1f = outside(f, "r1/a.yaml"), *r2f = outside(f, "r2/a.yaml");
	char *link = outside(f, "resources"), *tmp = outside(f, "resources.tmp");

	assert_int_equal(mkdir(r1, 0755), 0);
	assert_int_equal(mkdir(r2, 0755), 0);
	put_path(r1f, "r1\n");
	put_path(r2f, "r2\n");
	assert_int_equal(symlink("r1", link), 0);
	free(f->root);
	f->root = xstrdup(link);
	open_sd(f, 0);
	rescan(f);
	assert_content(f, "a.yaml", "r1\n");

	assert_int_equal(symlink("r2", tmp), 0);
	assert_int_equal(rename(tmp, link), 0);
	expect_change(f);
	assert_content(f, "a.yaml", "r2\n");
	put_path(r2f, "r2b\n");
	expect_change(f);
	assert_content(f, "a.yaml", "r2b\n");
	free(r1);
	free(r2);
	free(r1f);
	free(r2f);
	free(link);
	free(tmp);
}

static void
test_watch_irrelevant(void **state)
{
	struct fx *f = *state;
	char *swp;
	int fd;

	watch_setup(f);
	swp = at(f, "shop/.app.yaml.swp");
	put_path(swp, "swap\n");
	fd = open(swp, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "more\n", 5), 5);
	close(fd);
	assert_int_equal(unlink(swp), 0);
	put(f, "shop/app.yaml~", "backup\n");
	put(f, "4913", "");
	put(f, ".hidden.yaml", "x\n");
	put(f, "README.md", "docs\n");
	put(f, "README.md", "docs 2\n");
	expect_quiet(f);

	/* The fd was readable, and process_events said "nothing relevant". */
	put_path(swp, "swap\n");
	{
		struct pollfd p = { .fd = source_dir_fd(f->sd), .events = POLLIN };

		assert_int_equal(poll(&p, 1, 2000), 1);
	}
	assert_int_equal(source_dir_process_events(f->sd), 0);
	free(swp);
}

/* More events than the kernel queues: one IN_Q_OVERFLOW, a rescan, and
 * working watches afterwards. */
static void
test_watch_overflow(void **state)
{
	struct fx *f = *state;
	long max = 16384;
	FILE *fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	char *p;
	int fd;

	if (fp != NULL) {
		if (fscanf(fp, "%ld", &max) != 1)
			max = 16384;
		fclose(fp);
	}
	if (max > 200000) {
		print_message("# max_queued_events %ld: overflow test skipped\n",
		    max);
		return;
	}
	watch_setup(f);
	p = at(f, "root.yaml");
	/* Each write+close queues IN_MODIFY and IN_CLOSE_WRITE, which are
	 * different and so not merged. */
	for (long i = 0; i < max / 2 + 64; i++) {
		fd = open(p, O_WRONLY | O_APPEND);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "#\n", 2), 2);
		close(fd);
	}
	assert_int_equal(source_dir_process_events(f->sd), 1);
	assert_true(f->sd->rebuild_watches);
	rescan(f);
	assert_false(f->sd->rebuild_watches);
	assert_non_null(file(f, "root.yaml"));
	assert_true(f->sd->nwatches >= 2);
	expect_quiet(f);
	put(f, "shop/app.yaml", "after\n");
	expect_change(f);
	assert_content(f, "shop/app.yaml", "after\n");
	free(p);
}

/* After events, only the directories they happened in are listed again;
 * the rest come from the records and the cache, unstat()ed. */
static void
test_incremental_reuse(void **state)
{
	struct fx *f = *state;
	char *rev;

	f->racy_ns = TRUSTING_RACY_NS;
	mkdir_in(f, "ns1");
	mkdir_in(f, "ns2");
	mkdir_in(f, "ns2/sub");
	mkdir_in(f, "ns3");
	put(f, "ns1/a.yaml", "1a\n");
	put(f, "ns2/a.yaml", "2a\n");
	put(f, "ns2/sub/a.yaml", "2sa\n");
	put(f, "ns3/a.yaml", "3a\n");
	put(f, "ns3/b.yaml", "3b\n");
	put(f, "top.yaml", "top\n");
	age_files();
	open_sd(f, 0);
	rescan(f);
	assert_int_equal(f->sd->stats.dirs_read, 5);
	assert_int_equal(f->sd->stats.files_read, 6);
	rev = xstrdup(f->sf.revision);

	/* No event since: a full re-check, but nothing is read again. */
	rescan(f);
	assert_int_equal(f->sd->stats.dirs_read, 5);
	assert_int_equal(f->sd->stats.dirs_reused, 0);
	assert_int_equal(f->sd->stats.files_read, 0);
	assert_string_equal(f->sf.revision, rev);

	put(f, "ns3/b.yaml", "3B\n");
	expect_change(f);
	assert_int_equal(f->sd->stats.dirs_read, 1); /* ns3 */
	assert_int_equal(f->sd->stats.dirs_reused, 4);
	assert_int_equal(f->sd->stats.files_read, 1);
	assert_int_equal(f->sf.n, 6);
	assert_content(f, "ns1/a.yaml", "1a\n");
	assert_content(f, "ns2/sub/a.yaml", "2sa\n");
	assert_content(f, "ns3/a.yaml", "3a\n");
	assert_content(f, "ns3/b.yaml", "3B\n");
	assert_content(f, "top.yaml", "top\n");
	assert_string_not_equal(f->sf.revision, rev);
	for (size_t i = 1; i < f->sf.n; i++)
		assert_true(strcmp(f->sf.files[i - 1].path, f->sf.files[i].path) < 0);

	/* A new directory deep down: its parents are listed, not the rest. */
	age_files();
	mkdir_in(f, "ns2/sub/new");
	put(f, "ns2/sub/new/n.yaml", "n\n");
	expect_change(f);
	assert_content(f, "ns2/sub/new/n.yaml", "n\n");
	assert_content(f, "ns3/b.yaml", "3B\n");
	assert_int_equal(f->sf.n, 7);
	assert_true(f->sd->stats.dirs_reused >= 3);

	/* Same content back: same revision as at the start. */
	age_files();
	put(f, "ns3/b.yaml", "3b\n");
	{
		char *p = at(f, "ns2/sub/new/n.yaml"), *d = at(f, "ns2/sub/new");

		assert_int_equal(unlink(p), 0);
		assert_int_equal(rmdir(d), 0);
		free(p);
		free(d);
	}
	expect_change(f);
	assert_string_equal(f->sf.revision, rev);
	free(rev);
}

/* A file with a second link can change through a path no watch sees: its
 * directory is always stat()ed again. */
static void
test_hard_link_not_trusted(void **state)
{
	struct fx *f = *state;
	char *ext = outside(f, "shared.yaml"), *in = at(f, "ns/h.yaml");
	int fd;

	f->racy_ns = TRUSTING_RACY_NS;
	mkdir_in(f, "ns");
	mkdir_in(f, "other");
	put(f, "other/o.yaml", "o\n");
	put_path(ext, "h1\n");
	assert_int_equal(link(ext, in), 0);
	age_files();
	open_sd(f, 0);
	rescan(f);
	assert_content(f, "ns/h.yaml", "h1\n");
	age_files();

	fd = open(ext, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "h2\n", 3), 3);
	close(fd);
	expect_quiet(f); /* nothing the tree's watches could see */
	put(f, "other/o.yaml", "o2\n"); /* some other event */
	expect_change(f);
	assert_content(f, "ns/h.yaml", "h1\nh2\n");
	assert_content(f, "other/o.yaml", "o2\n");
	free(ext);
	free(in);
}

/* --- the delta form ------------------------------------------------------ */

/* The revision a fresh source gives the same tree in one full scan. */
static char *
full_revision(const struct fx *f)
{
	struct source_dir *sd;
	struct source_files sf;
	struct diag_list dl;
	char *rev;

	diag_list_init(&dl);
	assert_int_equal(source_dir_open(f->root, NULL, &sd, &dl), 0);
	diag_list_free(&dl);
	assert_int_equal(source_dir_scan(sd, &sf), 0);
	assert_false(sf.delta);
	rev = xstrdup(sf.revision);
	source_files_free(&sf);
	source_dir_close(sd);
	return rev;
}

/* Exactly these changed files (NULL-terminated "path=content" list) and
 * these removed paths, in sorted order, and the revision a full scan of
 * the same tree would give. */
static void
assert_delta(const struct fx *f, const char *const *changed,
    const char *const *removed)
{
	size_t nc = 0, nr = 0;
	char *rev;

	if (!f->sf.delta)
		fail_msg("expected a delta scan, got the whole tree (%zu files)",
		    f->sf.n);
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
	rev = full_revision(f);
	assert_string_equal(f->sf.revision, rev);
	free(rev);
}

#define NONE ((const char *const[]){ NULL })
#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
delta_setup(struct fx *f, size_t nfiles)
{
	mkdir_in(f, "ns1");
	mkdir_in(f, "ns2");
	mkdir_in(f, "ns2/sub");
	put(f, "ns1/a.yaml", "1a\n");
	put(f, "ns2/b.yaml", "2b\n");
	put(f, "ns2/sub/c.yaml", "2c\n");
	put(f, "top.yaml", "top\n");
	age_files();
	open_sd(f, 0);
	source_dir_set_delta(f->sd, true);
	rescan(f);
	assert_false(f->sf.delta); /* the first scan is whole */
	assert_int_equal(f->sf.n, nfiles);
	assert_int_equal(f->sf.n_removed, 0);
	expect_quiet(f);
}

static void
test_delta_changes(void **state)
{
	struct fx *f = *state;
	char *from, *to;

	delta_setup(f, 4);
	put(f, "ns1/a.yaml", "1A\n");
	expect_change(f);
	assert_delta(f, LIST("ns1/a.yaml=1A\n"), NONE);

	/* A new directory and a new file next to an unchanged one. */
	mkdir_in(f, "ns3");
	put(f, "ns3/n.yaml", "3n\n");
	put(f, "ns2/sub/d.yaml", "2d\n");
	expect_change(f);
	assert_delta(f, LIST("ns2/sub/d.yaml=2d\n", "ns3/n.yaml=3n\n"), NONE);

	from = at(f, "ns2/b.yaml");
	assert_int_equal(unlink(from), 0);
	free(from);
	expect_change(f);
	assert_delta(f, NONE, LIST("ns2/b.yaml"));

	/* Written again with the same bytes: an event, but no change. */
	put(f, "top.yaml", "top\n");
	expect_change(f);
	assert_delta(f, NONE, NONE);

	/* A directory renamed: every file under it moves. */
	from = at(f, "ns2");
	to = at(f, "ns9");
	assert_int_equal(rename(from, to), 0);
	free(from);
	free(to);
	expect_change(f);
	assert_delta(f, LIST("ns9/sub/c.yaml=2c\n", "ns9/sub/d.yaml=2d\n"),
	    LIST("ns2/sub/c.yaml", "ns2/sub/d.yaml"));
	assert_string_equal(f->sf.files[0].ns, "ns9");

	/* A scan no event asked for (SIGHUP, reload) is whole again. */
	rescan(f);
	assert_false(f->sf.delta);
	assert_int_equal(f->sf.n, 5);
	assert_int_equal(f->sf.n_removed, 0);
	assert_content(f, "ns9/sub/d.yaml", "2d\n");
}

/* Lost events (queue overflow): the next scan hands out the whole tree. */
static void
test_delta_overflow(void **state)
{
	struct fx *f = *state;
	long max = 16384;
	FILE *fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	char *p;
	int fd;

	if (fp != NULL) {
		if (fscanf(fp, "%ld", &max) != 1)
			max = 16384;
		fclose(fp);
	}
	if (max > 200000) {
		print_message("# max_queued_events %ld: overflow test skipped\n",
		    max);
		return;
	}
	delta_setup(f, 4);
	p = at(f, "top.yaml");
	for (long i = 0; i < max / 2 + 64; i++) {
		fd = open(p, O_WRONLY | O_APPEND);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "#\n", 2), 2);
		close(fd);
	}
	assert_int_equal(source_dir_process_events(f->sd), 1);
	assert_true(f->sd->rebuild_watches);
	rescan(f);
	assert_false(f->sf.delta);
	assert_int_equal(f->sf.n, 4);
	assert_int_equal(f->sf.n_removed, 0);
	/* And the scan after it is a delta again. */
	expect_quiet(f);
	put(f, "ns1/a.yaml", "after\n");
	expect_change(f);
	assert_delta(f, LIST("ns1/a.yaml=after\n"), NONE);
	free(p);
}

/* Symlinks as the directory source follows them: a symlinked directory's
 * files under the link's path, a symlinked file's target watched. */
static void
test_delta_symlinks(void **state)
{
	struct fx *f = *state;
	char *v1 = outside(f, "v1"), *v2 = outside(f, "v2");
	char *v1a = outside(f, "v1/a.yaml"), *v1b = outside(f, "v1/b.yaml");
	char *v2a = outside(f, "v2/a.yaml"), *target = outside(f, "t.yaml");
	char *tmp = at(f, ".current.tmp"), *cur = at(f, "current");

	assert_int_equal(mkdir(v1, 0755), 0);
	assert_int_equal(mkdir(v2, 0755), 0);
	put_path(v1a, "v1a\n");
	put_path(v1b, "v1b\n");
	put_path(v2a, "v2a\n");
	put_path(target, "t1\n");
	symlink_in(f, v1, "current");
	symlink_in(f, target, "linked.yaml");
	delta_setup(f, 7);

	put_path(target, "t2\n");
	expect_change(f);
	assert_delta(f, LIST("linked.yaml=t2\n"), NONE);

	put_path(v1b, "v1B\n");
	expect_change(f);
	assert_delta(f, LIST("current/b.yaml=v1B\n"), NONE);

	/* `ln -sfn v2 current`: a.yaml changes, b.yaml is gone. */
	assert_int_equal(symlink(v2, tmp), 0);
	assert_int_equal(rename(tmp, cur), 0);
	expect_change(f);
	assert_delta(f, LIST("current/a.yaml=v2a\n"), LIST("current/b.yaml"));

	/* The link removed: everything under it goes. */
	assert_int_equal(unlink(cur), 0);
	expect_change(f);
	assert_delta(f, NONE, LIST("current/a.yaml"));
	free(v1);
	free(v2);
	free(v1a);
	free(v1b);
	free(v2a);
	free(target);
	free(tmp);
	free(cur);
}

/* Off (the default), event-driven scans still hand out the whole tree. */
static void
test_delta_off(void **state)
{
	struct fx *f = *state;

	delta_setup(f, 4);
	source_dir_set_delta(f->sd, false);
	put(f, "ns1/a.yaml", "1A\n");
	expect_change(f);
	assert_false(f->sf.delta);
	assert_int_equal(f->sf.n, 4);
	assert_int_equal(f->sf.n_removed, 0);
	assert_content(f, "ns1/a.yaml", "1A\n");
}

/* After one edit in a wide tree, the scan walks the edited directory and
 * its parents only: every other namespace is carried over in one piece,
 * and the delta names the one file. */
static void
test_delta_wide_tree(void **state)
{
	struct fx *f = *state;

	f->racy_ns = TRUSTING_RACY_NS;
	for (int i = 0; i < 50; i++) {
		char *d = xasprintf("ns%02d", i), *p = xasprintf("ns%02d/a.yaml", i);
		char *q = xasprintf("ns%02d/deep/b.yaml", i), *dd = xasprintf("ns%02d/deep", i);

		mkdir_in(f, d);
		mkdir_in(f, dd);
		put(f, p, "a\n");
		put(f, q, "b\n");
		free(d);
		free(p);
		free(q);
		free(dd);
	}
	age_files();
	open_sd(f, 0);
	source_dir_set_delta(f->sd, true);
	rescan(f);
	assert_int_equal(f->sf.n, 100);
	assert_int_equal(f->sd->stats.dirs_read, 101);

	put(f, "ns17/deep/b.yaml", "B\n");
	expect_change(f);
	assert_delta(f, LIST("ns17/deep/b.yaml=B\n"), NONE);
	assert_int_equal(f->sd->stats.dirs_read, 1); /* ns17/deep */
	assert_int_equal(f->sd->stats.files_read, 1);
	/* The namespaces before and after ns17 in one run each, and ns17's
	 * own file; root and ns17 walked from their records, ns17/deep read. */
	assert_int_equal(f->sd->stats.subtrees_skipped, 3);
	assert_int_equal(f->sd->stats.dirs_reused, 100);
	assert_int_equal(f->sd->ndirs, 101);
	assert_int_equal(f->sd->ncache, 100);

	/* A namespace removed whole, and one edit in another. */
	age_files();
	{
		char *d = at(f, "ns30");

		rm_rf(d);
		free(d);
	}
	put(f, "ns02/a.yaml", "A\n");
	expect_change(f);
	assert_delta(f, LIST("ns02/a.yaml=A\n"),
	    LIST("ns30/a.yaml", "ns30/deep/b.yaml"));
	assert_int_equal(f->sd->ndirs, 99);
	assert_int_equal(f->sd->ncache, 98);

	/* Edits keep being seen under directories carried over unwalked. */
	put(f, "ns49/deep/b.yaml", "b49\n");
	expect_change(f);
	assert_delta(f, LIST("ns49/deep/b.yaml=b49\n"), NONE);
	put(f, "ns00/deep/c.yaml", "c\n");
	expect_change(f);
	assert_delta(f, LIST("ns00/deep/c.yaml=c\n"), NONE);

	/* A whole scan after all that agrees with the cache. */
	rescan(f);
	assert_false(f->sf.delta);
	assert_int_equal(f->sf.n, 99);
	assert_content(f, "ns17/deep/b.yaml", "B\n");
	assert_content(f, "ns49/deep/b.yaml", "b49\n");
	assert_null(file(f, "ns30/a.yaml"));
}

/* The files a consumer holds after applying every delta since the first
 * scan, as "path\0data" pairs kept sorted. */
struct held {
	char **path, **data;
	size_t n;
};

static void
held_apply(struct held *h, const struct source_files *sf)
{
	if (!sf->delta) {
		for (size_t i = 0; i < h->n; i++) {
			free(h->path[i]);
			free(h->data[i]);
		}
		h->n = 0;
	}
	for (size_t r = 0; r < sf->n_removed; r++) {
		size_t i;

		for (i = 0; i < h->n; i++)
			if (strcmp(h->path[i], sf->removed[r]) == 0)
				break;
		if (i == h->n)
			fail_msg("removed %s, which was not held", sf->removed[r]);
		free(h->path[i]);
		free(h->data[i]);
		h->path[i] = h->path[h->n - 1];
		h->data[i] = h->data[h->n - 1];
		h->n--;
	}
	for (size_t k = 0; k < sf->n; k++) {
		size_t i;

		for (i = 0; i < h->n; i++)
			if (strcmp(h->path[i], sf->files[k].path) == 0)
				break;
		if (i == h->n) {
			h->path = xreallocarray(h->path, h->n + 1, sizeof *h->path);
			h->data = xreallocarray(h->data, h->n + 1, sizeof *h->data);
			h->path[h->n] = xstrdup(sf->files[k].path);
			h->data[h->n++] = NULL;
		} else if (sf->delta && strcmp(h->data[i], sf->files[k].data) == 0) {
			fail_msg("%s handed out as changed with the same bytes",
			    sf->files[k].path);
		}
		free(h->data[i]);
		h->data[i] = xstrdup(sf->files[k].data);
	}
}

/* What a fresh source reads from the tree now equals what is held. */
static void
held_check(const struct fx *f, const struct held *h)
{
	struct source_dir *sd;
	struct source_files sf;
	struct diag_list dl;

	diag_list_init(&dl);
	assert_int_equal(source_dir_open(f->root, NULL, &sd, &dl), 0);
	diag_list_free(&dl);
	assert_int_equal(source_dir_scan(sd, &sf), 0);
	if (sf.n != h->n)
		print_message("# held %zu files, the tree has %zu\n", h->n, sf.n);
	assert_int_equal(sf.n, h->n);
	for (size_t k = 0; k < sf.n; k++) {
		size_t i;

		for (i = 0; i < h->n; i++)
			if (strcmp(h->path[i], sf.files[k].path) == 0)
				break;
		if (i == h->n)
			fail_msg("%s is in the tree but not held", sf.files[k].path);
		assert_string_equal(h->data[i], sf.files[k].data);
	}
	assert_string_equal(f->sf.revision, sf.revision);
	source_files_free(&sf);
	source_dir_close(sd);
}

/* Random edits, renames and removals of files and directories: after
 * every event-driven scan, the deltas applied so far give the tree. */
static void
test_delta_random(void **state)
{
	struct fx *f = *state;
	struct held h = { 0 };
	unsigned seed = 12345;
	int deltas = 0;

	for (int i = 0; i < 6; i++) {
		char *d = xasprintf("ns%d", i);

		mkdir_in(f, d);
		free(d);
	}
	put(f, "ns0/a.yaml", "a\n");
	age_files();
	open_sd(f, 0);
	source_dir_set_delta(f->sd, true);
	rescan(f);
	held_apply(&h, &f->sf);
	for (int round = 0; round < 40; round++) {
		int ops = 1 + (int)(rand_r(&seed) % 3);

		for (int op = 0; op < ops; op++) {
			int ns = (int)(rand_r(&seed) % 6), sub = (int)(rand_r(&seed) % 3);
			int k = (int)(rand_r(&seed) % 3), what = op == 0 ? 0 :
			    (int)(rand_r(&seed) % 5);
			char *dir = xasprintf("%s/ns%d/d%d", f->root, ns, sub);
			char *path = xasprintf("%s/f%d.yaml", dir, k);
			char *other = xasprintf("%s/ns%d/d%d", f->root,
			    (ns + 1) % 6, (sub + 1) % 3);
			char *content = xasprintf("r%d o%d\n", round, op);

			switch (what) {
			case 0: /* write a file (its directory made if needed) */
				mkdir(dir, 0755);
				put_path(path, content);
				break;
			case 1:
				unlink(path);
				break;
			case 2:
				rm_rf(dir);
				break;
			case 3: /* a directory renamed into another namespace */
				rename(dir, other);
				break;
			default: /* a file at the namespace level */
				free(path);
				path = xasprintf("%s/ns%d/top%d.yaml", f->root, ns, k);
				put_path(path, content);
				break;
			}
			free(dir);
			free(path);
			free(other);
			free(content);
		}
		expect_change(f);
		if (f->sf.delta)
			deltas++;
		held_apply(&h, &f->sf);
		held_check(f, &h);
		if (round % 8 == 7)
			age_files();
	}
	assert_true(deltas > 30);
	for (size_t i = 0; i < h.n; i++) {
		free(h.path[i]);
		free(h.data[i]);
	}
	free(h.path);
	free(h.data);
}

/* One directory reached twice, directly and through a symlink walked
 * after it: an edit in it is seen under both paths, although its watch
 * names only the last one. */
static void
test_delta_dir_reached_twice(void **state)
{
	struct fx *f = *state;
	char *target = at(f, "b/v1");

	mkdir_in(f, "b");
	mkdir_in(f, "b/v1");
	mkdir_in(f, "z");
	put(f, "b/v1/x.yaml", "1\n");
	symlink_in(f, target, "z/current");
	delta_setup(f, 6); /* and the 4 files delta_setup makes */
	put(f, "b/v1/x.yaml", "2\n");
	expect_change(f);
	assert_delta(f, LIST("b/v1/x.yaml=2\n", "z/current/x.yaml=2\n"), NONE);
	put(f, "b/v1/x.yaml", "3\n");
	expect_change(f);
	assert_delta(f, LIST("b/v1/x.yaml=3\n", "z/current/x.yaml=3\n"), NONE);
	free(target);
}

/* The cache and the directory records an event-driven scan patched in
 * place equal those of a fresh source's full scan of the tree now. */
static void
spliced_check(const struct fx *f)
{
	struct source_dir *sd, *mine = f->sd;
	struct source_files sf;
	struct diag_list dl;

	diag_list_init(&dl);
	assert_int_equal(source_dir_open(f->root, NULL, &sd, &dl), 0);
	diag_list_free(&dl);
	assert_int_equal(source_dir_scan(sd, &sf), 0);
	assert_true(mine->ncache <= mine->capcache || mine->capcache == 0);
	assert_true(mine->ndirs <= mine->capdirs || mine->capdirs == 0);
	if (mine->ncache != sd->ncache)
		print_message("# cached %zu files, a full scan %zu\n",
		    mine->ncache, sd->ncache);
	assert_int_equal(mine->ncache, sd->ncache);
	for (size_t i = 0; i < sd->ncache; i++) {
		assert_string_equal(mine->cache[i].path, sd->cache[i].path);
		assert_ptr_equal(mine->cache[i].path, mine->cache[i].blob->path);
		assert_int_equal(mine->cache[i].blob->hash, sd->cache[i].blob->hash);
		assert_int_equal(mine->cache[i].ino, sd->cache[i].ino);
	}
	if (mine->ndirs != sd->ndirs)
		print_message("# %zu directory records, a full scan %zu\n",
		    mine->ndirs, sd->ndirs);
	assert_int_equal(mine->ndirs, sd->ndirs);
	for (size_t i = 0; i < sd->ndirs; i++) {
		const struct dir_record *a = &mine->dirs[i], *b = &sd->dirs[i];

		assert_string_equal(a->rel, b->rel);
		assert_int_equal(a->ino, b->ino);
		assert_int_equal(a->nkids, b->nkids);
		for (size_t k = 0; k < b->nkids; k++) {
			assert_string_equal(a->kids[k].name, b->kids[k].name);
			assert_int_equal(a->kids[k].is_dir, b->kids[k].is_dir);
		}
	}
	assert_string_equal(f->sf.revision, sf.revision);
	source_files_free(&sf);
	source_dir_close(sd);
}

/* Random creates, edits, deletes and renames of files and directories
 * (nested, with names sorting before and after their siblings' subtrees,
 * an editor's write-then-rename, a symlinked directory coming and going):
 * after every event-driven scan, the arrays it patched from the runs it
 * carried and the entries it read equal a full scan's. */
static void
test_spliced_state_random(void **state)
{
	struct fx *f = *state;
	unsigned seed = 4242;
	int carried = 0, deltas = 0;

	for (int i = 0; i < 5; i++) {
		char *d = xasprintf("ns%d", i);

		mkdir_in(f, d);
		free(d);
		d = xasprintf("ns%d/d0", i);
		mkdir_in(f, d);
		free(d);
		d = xasprintf("ns%d/d0/a.yaml", i);
		put(f, d, "a\n");
		free(d);
	}
	age_files();
	open_sd(f, 0);
	source_dir_set_delta(f->sd, true);
	rescan(f);
	for (int round = 0; round < 50; round++) {
		int ops = 1 + (int)(rand_r(&seed) % 3);

		for (int op = 0; op < ops; op++) {
			int ns = (int)(rand_r(&seed) % 5), sub = (int)(rand_r(&seed) % 3);
			int k = (int)(rand_r(&seed) % 3), what = op == 0 ?
			    (int)(rand_r(&seed) % 2) : (int)(rand_r(&seed) % 9);
			char *nsdir = xasprintf("%s/ns%d", f->root, ns);
			char *dir = xasprintf("%s/d%d", nsdir, sub);
			char *path = xasprintf("%s/f%d.yaml", dir, k);
			char *content = xasprintf("r%d o%d\n", round, op);
			char *p2 = NULL, *p3 = NULL;

			switch (what) {
			case 0: /* write a file, its directories made if needed */
				mkdir(nsdir, 0755);
				mkdir(dir, 0755);
				put_path(path, content);
				break;
			case 1: /* beside the directory: "d0-x.yaml" < "d0/" */
				mkdir(nsdir, 0755);
				p2 = xasprintf("%s/d%d-x.yaml", nsdir, sub);
				put_path(p2, content);
				break;
			case 2:
				unlink(path);
				break;
			case 3:
				rm_rf(dir);
				break;
			case 4: /* a directory renamed into another namespace */
				p2 = xasprintf("%s/ns%d", f->root, (ns + 1) % 5);
				mkdir(p2, 0755);
				p3 = xasprintf("%s/e%d", p2, sub);
				rm_rf(p3);
				rename(dir, p3);
				break;
			case 5: /* an editor's write then rename */
				mkdir(nsdir, 0755);
				mkdir(dir, 0755);
				p2 = xasprintf("%s/.f%d.yaml.swp", dir, k);
				put_path(p2, content);
				rename(p2, path);
				break;
			case 6: /* a nested directory */
				mkdir(nsdir, 0755);
				mkdir(dir, 0755);
				p2 = xasprintf("%s/sub", dir);
				mkdir(p2, 0755);
				p3 = xasprintf("%s/z.yaml", p2);
				put_path(p3, content);
				break;
			case 7: /* a symlinked directory comes or goes */
				p2 = xasprintf("%s/link%d", f->root, k);
				if (unlink(p2) != 0)
					(void)symlink(dir, p2);
				break;
			default: /* a whole namespace goes */
				rm_rf(nsdir);
				break;
			}
			free(nsdir);
			free(dir);
			free(path);
			free(content);
			free(p2);
			free(p3);
		}
		if (wait_change(f, 2000) == 0)
			continue; /* only dangling links or empty directories */
		rescan(f);
		if (f->sf.delta)
			deltas++;
		if (f->sd->stats.subtrees_skipped > 0)
			carried++;
		assert_int_equal(f->sd->stats.resorted, 0);
		spliced_check(f);
		if (round % 8 == 7)
			age_files();
	}
	assert_true(deltas > 30);
	/* Files younger than the racy window keep their directories
	 * distrusted: only the fast path carries whole subtrees (the other
	 * run carries the unchanged files one by one). */
	if (f->racy_ns > 0)
		assert_true(carried > 30);
}

/* An edit of one file in a wide tree: the scan writes that file's entry
 * where it is (the cache and the directory records stay the same
 * memory), updates the revision from that file's terms alone, and the
 * revision is the one a full scan gives. */
static void
test_edit_patches_in_place(void **state)
{
	struct fx *f = *state;
	const struct cache_entry *cache;
	const struct dir_record *dirs;
	size_t ncache, ndirs;

	for (int i = 0; i < 40; i++) {
		char *d = xasprintf("ns%02d", i), *p = xasprintf("ns%02d/a.yaml", i);

		mkdir_in(f, d);
		put(f, p, "a\n");
		free(d);
		free(p);
	}
	age_files();
	open_sd(f, 0);
	source_dir_set_delta(f->sd, true);
	rescan(f);
	for (int round = 0; round < 3; round++) {
		char *p = xasprintf("ns%02d/a.yaml", 7 + 11 * round);
		char *content = xasprintf("edit %d\n", round);

		/* Once the last edit is no longer racy, its directory is
		 * trusted again and carried like the others. */
		age_files();
		cache = f->sd->cache;
		dirs = f->sd->dirs;
		ncache = f->sd->ncache;
		ndirs = f->sd->ndirs;
		put(f, p, content);
		expect_change(f);
		assert_true(f->sf.delta);
		assert_int_equal(f->sf.n, 1);
		assert_int_equal(f->sf.n_removed, 0);
		assert_true(f->sd->stats.subtrees_skipped > 0);
		assert_ptr_equal(f->sd->cache, cache);
		assert_ptr_equal(f->sd->dirs, dirs);
		/* The revision: the old term of the file taken off, the new
		 * one added, no other file's looked at. */
		assert_int_equal(f->sd->stats.rev_terms, 2);
		assert_int_equal(f->sd->ncache, ncache);
		assert_int_equal(f->sd->ndirs, ndirs);
		spliced_check(f);
		free(p);
		free(content);
	}
}

/* The revision is of the (path, content) pairs: the same contents under
 * other paths (two files swapped, one renamed) give another revision, the
 * tree put back gives the first one again, and a delta scan updates it
 * from the terms of the files it added, replaced or removed only. */
static void
test_revision_pairs(void **state)
{
	struct fx *f = *state;
	char *first, *rev;

	mkdir_in(f, "ns");
	put(f, "ns/a.yaml", "one\n");
	put(f, "ns/b.yaml", "two\n");
	put(f, "top.yaml", "top\n");
	age_files();
	open_sd(f, 0);
	source_dir_set_delta(f->sd, true);
	rescan(f);
	first = xstrdup(f->sf.revision);
	assert_int_equal(f->sd->stats.rev_terms, 3); /* the first scan */

	put(f, "ns/a.yaml", "two\n");
	put(f, "ns/b.yaml", "one\n");
	expect_change(f);
	assert_delta(f, LIST("ns/a.yaml=two\n", "ns/b.yaml=one\n"), NONE);
	assert_string_not_equal(f->sf.revision, first);

	age_files();
	put(f, "ns/a.yaml", "one\n");
	put(f, "ns/b.yaml", "two\n");
	expect_change(f);
	assert_delta(f, LIST("ns/a.yaml=one\n", "ns/b.yaml=two\n"), NONE);
	assert_string_equal(f->sf.revision, first);

	age_files();
	put(f, "ns/c.yaml", "new\n");
	expect_change(f);
	assert_delta(f, LIST("ns/c.yaml=new\n"), NONE);
	assert_int_equal(f->sd->stats.rev_terms, 1);
	assert_string_not_equal(f->sf.revision, first);

	age_files();
	rev = at(f, "ns/c.yaml");
	assert_int_equal(unlink(rev), 0);
	free(rev);
	expect_change(f);
	assert_delta(f, NONE, LIST("ns/c.yaml"));
	assert_int_equal(f->sd->stats.rev_terms, 1);
	assert_string_equal(f->sf.revision, first);

	age_files();
	{
		char *from = at(f, "ns/b.yaml"), *to = at(f, "ns/d.yaml");

		assert_int_equal(rename(from, to), 0);
		free(from);
		free(to);
	}
	expect_change(f);
	assert_delta(f, LIST("ns/d.yaml=two\n"), LIST("ns/b.yaml"));
	assert_string_not_equal(f->sf.revision, first);
	rev = full_revision(f);
	assert_string_equal(f->sf.revision, rev);
	free(rev);
	free(first);
}

#define WATCH_TEST(fn, setup_fn, label)                                      \
	{ #fn label, fn, setup_fn, teardown, NULL }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace_of),
		cmocka_unit_test_setup_teardown(test_order_and_namespaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignored_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_file_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_loops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_loop_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_unusable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_in_place_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_atomic_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_new_dir_and_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_dir_moved_in_and_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_symlink_flip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_symlinked_file_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_root_symlink_flip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_irrelevant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_link_not_trusted, setup, teardown),
		/* The watch tests again with stat trusted after 20 ms, so that
		 * unchanged directories take the fast path. */
		WATCH_TEST(test_watch_in_place_write, setup_trusting, " (fast path)"),
		WATCH_TEST(test_watch_atomic_rename, setup_trusting, " (fast path)"),
		WATCH_TEST(test_watch_delete, setup_trusting, " (fast path)"),
		WATCH_TEST(test_watch_new_dir_and_file, setup_trusting, " (fast path)"),
		WATCH_TEST(test_watch_dir_moved_in_and_out, setup_trusting, " (fast path)"),
		WATCH_TEST(test_watch_symlink_flip, setup_trusting, " (fast path)"),
		WATCH_TEST(test_watch_symlinked_file_target, setup_trusting, " (fast path)"),
		WATCH_TEST(test_watch_root_symlink_flip, setup_trusting, " (fast path)"),
		WATCH_TEST(test_watch_irrelevant, setup_trusting, " (fast path)"),
		cmocka_unit_test_setup_teardown(test_delta_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_off, setup, teardown),
		WATCH_TEST(test_delta_changes, setup_trusting, " (fast path)"),
		cmocka_unit_test_setup_teardown(test_delta_wide_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_random, setup, teardown),
		WATCH_TEST(test_delta_random, setup_trusting, " (fast path)"),
		cmocka_unit_test_setup_teardown(test_delta_dir_reached_twice, setup, teardown),
		WATCH_TEST(test_delta_dir_reached_twice, setup_trusting, " (fast path)"),
		WATCH_TEST(test_delta_symlinks, setup_trusting, " (fast path)"),
		cmocka_unit_test_setup_teardown(test_spliced_state_random, setup, teardown),
		WATCH_TEST(test_spliced_state_random, setup_trusting, " (fast path)"),
		WATCH_TEST(test_edit_patches_in_place, setup_trusting, " (fast path)"),
		WATCH_TEST(test_revision_pairs, setup_trusting, " (fast path)"),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
