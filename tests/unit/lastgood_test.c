/* Persisted last good copies (src/source/lastgood.c): the file format
 * refuses every truncation, bit flip and wrong checksum; the store keeps,
 * bounds, drops and discards copies on a real directory; the pipeline
 * serves a broken file from its copy after a "restart" (a new pipeline)
 * and drops the copy of a file that is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "pipeline.h"
#include "source/lastgood.h"
#include "util/hash.h"
#include "util/xalloc.h"

static const char *proxy_yaml = FIXTURE_PROXY_YAML;

static const char *service_yaml = FIXTURE_SERVICE_YAML;

static char *
scratch(void)
{
	return fixture_scratch("lastgood");
}

/* And frees dir. */
static void
rm_rf(char *dir)
{
	fixture_rm_rf(dir);
	free(dir);
}

static struct lastgood *
store_open(const char *state, const char *key, bool ro, size_t max,
    char **warnings)
{
	struct lastgood_options o = { .state_dir = state, .source_key = key,
		.read_only = ro, .max_bytes = max };
	struct lastgood *lg = NULL;
	char *w = NULL, *err = NULL;

	assert_int_equal(lastgood_open(&lg, &o, &w, &err), 0);
	assert_null(err);
	if (warnings)
		*warnings = w;
	else
		free(w);
	return lg;
}

static void
put(struct lastgood *lg, const char *path, const char *data)
{
	char *err = NULL;

	assert_int_equal(lastgood_put(lg, path, data, strlen(data),
	    hash_bytes(data, strlen(data)), &err), 0);
	assert_null(err);
}

/* The path of path's copy on disk. */
static char *
copy_file(struct lastgood *lg, const char *path)
{
	char hex[17];

	hash_hex(hash_bytes(path, strlen(path)), hex);
	return xasprintf("%s/%s.lg", lastgood_directory(lg), hex);
}

static void
file_write(const char *path, const char *buf, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static char *
file_read(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *buf = xmalloc(1 << 16);

	assert_non_null(fp);
	*n = fread(buf, 1, 1 << 16, fp);
	fclose(fp);
	return buf;
}

static void
test_roundtrip(void **state)
{
	static const char bin[] = "a\0b\nc";
	const char *data, *why;
	char *buf, *path;
	size_t n, len;

	(void)state;
	buf = lastgood_encode("shop/app.yaml", proxy_yaml, strlen(proxy_yaml), &n);
	assert_int_equal(lastgood_decode(buf, n, &path, &data, &len, &why), 0);
	assert_string_equal(path, "shop/app.yaml");
	assert_int_equal(len, strlen(proxy_yaml));
	assert_memory_equal(data, proxy_yaml, len);
	free(path);
	free(buf);
	/* Empty content and bytes with NULs and newlines. */
	buf = lastgood_encode("e.yaml", "", 0, &n);
	assert_int_equal(lastgood_decode(buf, n, &path, &data, &len, &why), 0);
	assert_int_equal(len, 0);
	free(path);
	free(buf);
	buf = lastgood_encode("b.yaml", bin, sizeof bin - 1, &n);
	assert_int_equal(lastgood_decode(buf, n, &path, &data, &len, &why), 0);
	assert_int_equal(len, sizeof bin - 1);
	assert_memory_equal(data, bin, len);
	free(path);
	free(buf);
}

/* Every truncation, every single-bit flip anywhere (header or content) and
 * an appended byte are refused: a damaged copy never decodes. */
static void
test_corruption_refused(void **state)
{
	const char *data, *why;
	char *buf, *path;
	size_t n, len;

	(void)state;
	buf = lastgood_encode("shop/app.yaml", proxy_yaml, strlen(proxy_yaml), &n);
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_equal(lastgood_decode(buf, cut, &path, &data, &len, &why), -1);
		assert_null(path);
		assert_non_null(why);
	}
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (char)(1 << bit);
			if (lastgood_decode(buf, n, &path, &data, &len, &why) == 0)
				fail_msg("bit %d of byte %zu flipped still decodes", bit, i);
			buf[i] ^= (char)(1 << bit);
		}
	}
	buf = xrealloc(buf, n + 1);
	buf[n] = 'x';
	assert_int_equal(lastgood_decode(buf, n + 1, &path, &data, &len, &why), -1);
	assert_string_equal(why, "longer than its header says");
	assert_int_equal(lastgood_decode(buf, n, &path, &data, &len, &why), 0);
	free(path);
	free(buf);
}

/* A checksum that is well-formed but wrong (a copy edited by hand, or the
 * content replaced with the header kept) is refused by name. */
static void
test_wrong_checksum(void **state)
{
	const char *data, *why;
	char *buf, *path, *sha;
	size_t n, len;

	(void)state;
	buf = lastgood_encode("a.yaml", "x: 1\n", 5, &n);
	sha = strstr(buf, "sha256 ") + 7;
	sha[0] = sha[0] == '0' ? '1' : '0';
	assert_int_equal(lastgood_decode(buf, n, &path, &data, &len, &why), -1);
	assert_string_equal(why, "checksum mismatch (SHA-256 of header and content)");
	sha[0] = sha[0] == '0' ? '1' : '0';
	buf[n - 2] = 'y'; /* content changed, header kept */
	assert_int_equal(lastgood_decode(buf, n, &path, &data, &len, &why), -1);
	assert_string_equal(why, "checksum mismatch (SHA-256 of header and content)");
	free(buf);
}

/* Put, flush, reopen (a restart): the copy is indexed and read back; a
 * bit flipped on disk is refused, reported and deleted. */
static void
test_store_restart_and_bitflip(void **state)
{
	char *dir = scratch(), *data, *err, *file, *buf;
	struct lastgood *lg;
	size_t len, n;

	(void)state;
	lg = store_open(dir, "directory /srv/a", false, 0, NULL);
	put(lg, "shop/app.yaml", proxy_yaml);
	put(lg, "shop/svc.yaml", service_yaml);
	/* Not visible (renamed) before the flush. */
	assert_int_equal(lastgood_get(lg, "shop/app.yaml", &data, &len, &err), 0);
	assert_int_equal(lastgood_flush(lg), 0);
	assert_true(lastgood_has(lg, "shop/app.yaml",
	    hash_bytes(proxy_yaml, strlen(proxy_yaml))));
	lastgood_close(lg);

	lg = store_open(dir, "directory /srv/a", false, 0, NULL);
	assert_int_equal(lastgood_count(lg), 2);
	assert_int_equal(lastgood_get(lg, "shop/app.yaml", &data, &len, &err), 1);
	assert_string_equal(data, proxy_yaml);
	free(data);
	assert_int_equal(lastgood_get(lg, "nope.yaml", &data, &len, &err), 0);
	/* Flip one bit of the content on disk. */
	file = copy_file(lg, "shop/app.yaml");
	buf = file_read(file, &n);
	buf[n - 3] ^= 0x04;
	file_write(file, buf, n);
	free(buf);
	assert_int_equal(lastgood_get(lg, "shop/app.yaml", &data, &len, &err), -1);
	assert_null(data);
	assert_non_null(strstr(err, "checksum mismatch"));
	assert_non_null(strstr(err, "(deleted)"));
	free(err);
	assert_int_equal(access(file, F_OK), -1);
	assert_int_equal(lastgood_count(lg), 1);
	free(file);
	/* A copy that grew after open is refused without being read whole. */
	file = copy_file(lg, "shop/svc.yaml");
	buf = file_read(file, &n);
	buf = xrealloc(buf, n + 4096);
	memset(buf + n, 'x', 4096);
	file_write(file, buf, n + 4096);
	free(buf);
	assert_int_equal(lastgood_get(lg, "shop/svc.yaml", &data, &len, &err), -1);
	assert_non_null(strstr(err, "longer than its header says"));
	free(err);
	free(file);
	/* A path the line-based header cannot hold is refused, not written. */
	assert_int_equal(lastgood_put(lg, "a\nb.yaml", "x", 1, hash_bytes("x", 1),
	    &err), -1);
	free(err);
	assert_int_equal(lastgood_count(lg), 0);
	lastgood_close(lg);
	rm_rf(dir);
}

/* Truncated copies and stray files are discarded at open (with a warning
 * each); a read-only open reports but deletes nothing. */
static void
test_store_truncated_at_open(void **state)
{
	char *dir = scratch(), *file, *buf, *warnings, *data, *err;
	struct lastgood *lg;
	size_t n, len;

	(void)state;
	lg = store_open(dir, "k", false, 0, NULL);
	put(lg, "a.yaml", proxy_yaml);
	lastgood_flush(lg);
	file = copy_file(lg, "a.yaml");
	lastgood_close(lg);
	buf = file_read(file, &n);
	file_write(file, buf, n - 10);
	free(buf);

	lg = store_open(dir, "k", true, 0, &warnings);
	assert_non_null(warnings);
	assert_non_null(strstr(warnings, "truncated"));
	assert_null(strstr(warnings, "(deleted)"));
	free(warnings);
	assert_int_equal(lastgood_count(lg), 0);
	assert_int_equal(lastgood_get(lg, "a.yaml", &data, &len, &err), 0);
	assert_int_equal(access(file, F_OK), 0);
	lastgood_close(lg);

	lg = store_open(dir, "k", false, 0, &warnings);
	assert_non_null(strstr(warnings, "truncated"));
	assert_non_null(strstr(warnings, "(deleted)"));
	free(warnings);
	assert_int_equal(access(file, F_OK), -1);
	lastgood_close(lg);
	free(file);
	rm_rf(dir);
}

/* Past the size bound a copy is not written, and the older copy of that
 * file is dropped (it is no longer the last good); others are kept. */
static void
test_store_bound(void **state)
{
	char *dir = scratch(), *err = NULL, *data;
	struct lastgood *lg;
	size_t len;
	char big[1024];

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	lg = store_open(dir, "k", false, 1000, NULL);
	put(lg, "a.yaml", "a: 1\n");
	put(lg, "b.yaml", "b: 1\n");
	lastgood_flush(lg);
	assert_true(lastgood_total_bytes(lg) < 400);
	assert_int_equal(lastgood_put(lg, "a.yaml", big, strlen(big),
	    hash_bytes(big, strlen(big)), &err), -1);
	assert_non_null(strstr(err, "over the bound of 1000 bytes"));
	free(err);
	lastgood_flush(lg);
	assert_int_equal(lastgood_get(lg, "a.yaml", &data, &len, &err), 0);
	assert_int_equal(lastgood_get(lg, "b.yaml", &data, &len, &err), 1);
	free(data);
	lastgood_close(lg);
	lg = store_open(dir, "k", false, 1000, NULL);
	assert_int_equal(lastgood_count(lg), 1);
	assert_string_equal(lastgood_path_at(lg, 0), "b.yaml");
	lastgood_drop(lg, "b.yaml");
	lastgood_close(lg);
	lg = store_open(dir, "k", false, 1000, NULL);
	assert_int_equal(lastgood_count(lg), 0);
	lastgood_close(lg);
	rm_rf(dir);
}

/* A read-only store refuses puts; a writable open removes the copies of
 * other sources (a state directory serves one source). */
static void
test_store_read_only_and_other_sources(void **state)
{
	char *dir = scratch(), *err = NULL, *w = NULL;
	struct lastgood_options o = { .state_dir = dir, .source_key = "two",
		.read_only = true };
	struct lastgood *lg, *lg2;

	(void)state;
	lg = store_open(dir, "one", false, 0, NULL);
	put(lg, "a.yaml", "a: 1\n");
	lastgood_flush(lg);
	lastgood_close(lg);
	/* Read-only (dump) creates nothing: no copies of "two", an error. */
	assert_int_equal(lastgood_open(&lg, &o, &w, &err), -1);
	assert_non_null(strstr(err, "cannot open"));
	free(err);
	err = NULL;
	lg = store_open(dir, "one", true, 0, NULL);
	assert_true(lastgood_is_read_only(lg));
	assert_int_equal(lastgood_put(lg, "a.yaml", "x", 1, hash_bytes("x", 1), &err), -1);
	free(err);
	lastgood_close(lg);
	lg = store_open(dir, "one", true, 0, NULL);
	assert_int_equal(lastgood_count(lg), 1);
	lastgood_close(lg);
	/* While a serve holds "one" open, another source leaves it alone. */
	lg = store_open(dir, "one", false, 0, NULL);
	lg2 = store_open(dir, "two", false, 0, NULL);
	lastgood_close(lg2);
	lastgood_close(lg);
	lg = store_open(dir, "one", true, 0, NULL);
	assert_int_equal(lastgood_count(lg), 1);
	lastgood_close(lg);
	/* Closed (no serve on it): the next source prunes it. */
	lg = store_open(dir, "two", false, 0, NULL);
	lastgood_close(lg);
	o.source_key = "one";
	assert_int_equal(lastgood_open(&lg, &o, &w, &err), -1);
	free(err);
	rm_rf(dir);
}

static void
lg2_drop(struct lastgood *lg, const char *path)
{
	lastgood_drop(lg, path);
	assert_false(lastgood_has_path(lg, path));
}

static const struct file_status *
status_of(const struct build_result *r, const char *path)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i].path, path) == 0)
			return &r->files[i];
	fail_msg("no status for %s", path);
	return NULL;
}

/* The pipeline across a restart: built with good files (copies saved),
 * then a new pipeline (a restarted daemon) sees app.yaml broken and serves
 * its copy, byte-identical resources; fixing it serves the fix; deleting a
 * broken file drops its objects and its copy. */
static void
test_pipeline_restart(void **state)
{
	char *dir = scratch();
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files files = { 0 };
	struct build_result r1, r2, r3;
	struct lastgood *lg;
	struct pipeline *p, *p1;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	diag_list_init(&files.diags);
	files.revision = xstrdup("rev");
	fixture_files_set(&files, "shop/app.yaml", proxy_yaml);
	fixture_files_set(&files, "shop/svc.yaml", service_yaml);

	lg = store_open(dir, "k", false, 0, NULL);
	p1 = pipeline_new(NULL);
	pipeline_set_lastgood(p1, lg);
	pipeline_build(p1, &files, &cfg, &to, &r1);
	assert_true(status_of(&r1, "shop/app.yaml")->persisted);
	assert_true(status_of(&r1, "shop/svc.yaml")->persisted);
	assert_int_equal(lastgood_count(lg), 2);
	/* "kill -9": the next daemon starts from what is on disk. */
	pipeline_set_lastgood(p1, NULL);
	lastgood_close(lg);

	fixture_files_set(&files, "shop/app.yaml", "kind: [\n");
	lg = store_open(dir, "k", false, 0, NULL);
	p = pipeline_new(NULL);
	pipeline_set_lastgood(p, lg);
	pipeline_build(p, &files, &cfg, &to, &r2);
	assert_int_equal(status_of(&r2, "shop/app.yaml")->state,
	    FILE_ERROR_SERVING_PERSISTED);
	assert_int_equal(r2.nrestored, 1);
	assert_true(r2.diags.nerrors > 0);
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		assert_int_equal(r1.snapshot->types[t].version,
		    r2.snapshot->types[t].version);
	build_result_free(&r2);
	/* Still broken, another way: still served from the copy. */
	fixture_files_set(&files, "shop/app.yaml", "kind: ]\n");
	pipeline_build(p, &files, &cfg, &to, &r2);
	assert_int_equal(status_of(&r2, "shop/app.yaml")->state,
	    FILE_ERROR_SERVING_PERSISTED);
	build_result_free(&r2);
	/* Deleted while broken: its objects go, and its copy. */
	fixture_files_remove(&files, "shop/app.yaml");
	pipeline_build(p, &files, &cfg, &to, &r3);
	assert_int_equal(r3.nfiles, 1);
	assert_int_equal(r3.snapshot->types[XDS_ROUTE].n, 0);
	assert_int_equal(lastgood_count(lg), 1);
	assert_string_equal(lastgood_path_at(lg, 0), "shop/svc.yaml");
	build_result_free(&r3);
	pipeline_free(p);
	lastgood_close(lg);

	/* A file the source cannot read after the restart (too large):
	 * served from its copy too, with the source's error. */
	lg = store_open(dir, "k", false, 0, NULL);
	p = pipeline_new(NULL);
	pipeline_set_lastgood(p, lg);
	fixture_files_set(&files, "shop/app.yaml", proxy_yaml);
	pipeline_build(p, &files, &cfg, &to, &r3);
	build_result_free(&r3);
	pipeline_free(p);
	lastgood_close(lg);
	fixture_files_remove(&files, "shop/app.yaml");
	diag_add(&files.diags, DIAG_ERROR, "shop/app.yaml", 0, 0,
	    "larger than max-file-bytes");
	lg = store_open(dir, "k", false, 0, NULL);
	p = pipeline_new(NULL);
	pipeline_set_lastgood(p, lg);
	pipeline_build(p, &files, &cfg, &to, &r3);
	assert_int_equal(status_of(&r3, "shop/app.yaml")->state,
	    FILE_ERROR_SERVING_PERSISTED);
	assert_int_equal(r3.snapshot->types[XDS_ROUTE].n,
	    r1.snapshot->types[XDS_ROUTE].n);
	assert_int_equal(lastgood_count(lg), 2);
	build_result_free(&r3);
	diag_list_free(&files.diags);
	diag_list_init(&files.diags);

	pipeline_free(p);
	lg2_drop(lg, "shop/app.yaml");
	lastgood_close(lg);

	/* And a broken file with no copy left serves nothing. */
	fixture_files_set(&files, "shop/app.yaml", "kind: [\n");
	lg = store_open(dir, "k", false, 0, NULL);
	p = pipeline_new(NULL);
	pipeline_set_lastgood(p, lg);
	pipeline_build(p, &files, &cfg, &to, &r3);
	assert_int_equal(status_of(&r3, "shop/app.yaml")->state, FILE_ERROR);
	assert_int_equal(r3.snapshot->types[XDS_ROUTE].n, 0);
	build_result_free(&r3);
	pipeline_free(p);
	lastgood_close(lg);

	build_result_free(&r1);
	pipeline_free(p1);
	source_files_free(&files);
	config_free(&cfg);
	rm_rf(dir);
}

/* A first start saves every file: more than a few copies are left until
 * after the publish (pipeline_persist_pending), then all saved. */
static void
test_pipeline_deferred(void **state)
{
	char *dir = scratch();
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files files = { 0 };
	struct build_result r;
	struct lastgood *lg;
	struct pipeline *p;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	diag_list_init(&files.diags);
	files.revision = xstrdup("rev");
	for (int i = 0; i < 100; i++) {
		char path[64], *yaml;

		snprintf(path, sizeof path, "ns/svc-%03d.yaml", i);
		yaml = xasprintf("apiVersion: v1\nkind: Service\nmetadata: {name: s%d}\n"
		    "spec:\n  ports: [{port: 80}]\n", i);
		fixture_files_set(&files, path, yaml);
		free(yaml);
	}
	lg = store_open(dir, "k", false, 0, NULL);
	p = pipeline_new(NULL);
	pipeline_set_lastgood(p, lg);
	pipeline_build(p, &files, &cfg, &to, &r);
	assert_int_equal(lastgood_count(lg), 0);
	assert_false(r.files[0].persisted);
	pipeline_persist_pending(p, &files, &r);
	assert_int_equal(lastgood_count(lg), 100);
	for (size_t i = 0; i < r.nfiles; i++)
		assert_true(r.files[i].persisted);
	build_result_free(&r);
	/* The next build has nothing to save: nothing pending. */
	fixture_files_set(&files, "ns/svc-000.yaml", service_yaml);
	pipeline_build(p, &files, &cfg, &to, &r);
	assert_true(status_of(&r, "ns/svc-000.yaml")->persisted);
	build_result_free(&r);
	pipeline_free(p);
	lastgood_close(lg);
	lg = store_open(dir, "k", false, 0, NULL);
	assert_int_equal(lastgood_count(lg), 100);
	lastgood_close(lg);
	source_files_free(&files);
	config_free(&cfg);
	rm_rf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_corruption_refused),
		cmocka_unit_test(test_wrong_checksum),
		cmocka_unit_test(test_store_restart_and_bitflip),
		cmocka_unit_test(test_store_truncated_at_open),
		cmocka_unit_test(test_store_bound),
		cmocka_unit_test(test_store_read_only_and_other_sources),
		cmocka_unit_test(test_pipeline_restart),
		cmocka_unit_test(test_pipeline_deferred),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
