/* A source's file bytes are released once their build has parsed them and
 * saved their last good copies (issue #14, memory): what stays is the
 * path, size and hash; a rescan of an unchanged file hands out no bytes
 * and builds the same; a changed file is read and parsed again; a file
 * rewritten with the same bytes is still unchanged; the pooled bytes go
 * back to the kernel when released. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"
#include "load/load.h"
#include "pipeline.h"
#include "source/dir.h"
#include "source/dir_internal.h"
#include "source/lastgood.h"
#include "util/xalloc.h"

static const char *proxy_yaml = FIXTURE_PROXY_YAML;

/* The same proxy with a second route. */
static const char *proxy2_yaml = FIXTURE_PROXY_YAML
    "    - conditions: [{prefix: /v2}]\n"
    "      services: [{name: web, port: 80}]\n";

static const char *service_yaml = FIXTURE_SERVICE_YAML "---\n"
    FIXTURE_ENDPOINTS_YAML;

struct fx {
	char *base, *root, *state;
	struct source_dir *sd;
	struct source_files sf;
	struct lastgood *lg;
	struct pipeline *p;
	struct cairn_config cfg;
	struct translate_options to;
};

static void
put(const struct fx *f, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", f->root, rel);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
	free(path);
}

/* Past the source's racy window, so that stat alone tells a file is
 * unchanged (source/dir.c). */
static void
age_files(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	struct source_dir_options o = { 0 };
	struct lastgood_options lo = { 0 };
	struct diag_list dl;
	char *w = NULL, *err = NULL;

	f->base = fixture_scratch("source-bytes");
	f->root = xasprintf("%s/root", f->base);
	f->state = xasprintf("%s/state", f->base);
	assert_int_equal(mkdir(f->root, 0755), 0);
	assert_int_equal(mkdir(f->state, 0755), 0);
	put(f, "app.yaml", proxy_yaml);
	put(f, "web.yaml", service_yaml);
	age_files();
	diag_list_init(&dl);
	assert_int_equal(source_dir_open(f->root, &o, &f->sd, &dl), 0);
	diag_list_free(&dl);
	f->sd->racy_ns = (int64_t)20 * 1000 * 1000;
	lo.state_dir = f->state;
	lo.source_key = "k";
	assert_int_equal(lastgood_open(&f->lg, &lo, &w, &err), 0);
	free(w);
	f->p = pipeline_new(NULL);
	pipeline_set_lastgood(f->p, f->lg);
	config_init_defaults(&f->cfg);
	translate_options_init(&f->to);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	source_files_free(&f->sf);
	pipeline_free(f->p);
	lastgood_close(f->lg);
	source_dir_close(f->sd);
	config_free(&f->cfg);
	fixture_rm_rf(f->base);
	free(f->root);
	free(f->state);
	free(f->base);
	free(f);
	return 0;
}

static void
rescan(struct fx *f)
{
	source_files_free(&f->sf);
	assert_int_equal(source_dir_scan(f->sd, &f->sf), 0);
}

/* pipeline_build, its copies saved, as serve does before releasing. */
static void
build(struct fx *f, struct build_result *r)
{
	pipeline_build(f->p, &f->sf, &f->cfg, &f->to, r);
	pipeline_persist_pending(f->p, &f->sf, r);
}

static const struct source_file *
file(const struct fx *f, const char *path)
{
	for (size_t i = 0; i < f->sf.n; i++)
		if (strcmp(f->sf.files[i].path, path) == 0)
			return &f->sf.files[i];
	fail_msg("%s not handed out", path);
	return NULL;
}

static void
test_bytes_released_after_build(void **state)
{
	struct fx *f = *state;
	struct build_result r1, r2, r3;
	const struct source_file *app;
	uint64_t app_hash;
	size_t app_len;

	rescan(f);
	assert_int_equal(f->sf.n, 2);
	build(f, &r1);
	assert_int_equal(r1.diags.nerrors, 0);
	assert_true(r1.files[0].persisted && r1.files[1].persisted);
	source_files_release_bytes(&f->sf, pipeline_file_bytes_needed, f->p);
	app = file(f, "app.yaml");
	assert_null(app->data);
	assert_null(app->blob->data);
	assert_null(file(f, "web.yaml")->data);
	/* What stays: path, size, hash. */
	assert_int_equal(app->len, strlen(proxy_yaml));
	app_hash = app->hash;
	app_len = app->len;

	/* A whole rescan hands the unchanged files out without bytes: the
	 * same build, nothing parsed. */
	rescan(f);
	assert_false(f->sf.delta);
	app = file(f, "app.yaml");
	assert_null(app->data);
	assert_int_equal(app->hash, app_hash);
	assert_int_equal(app->len, app_len);
	build(f, &r2);
	assert_int_equal(r2.diags.nerrors, 0);
	assert_true(r2.snapshot->types[XDS_ROUTE].version ==
	    r1.snapshot->types[XDS_ROUTE].version);

	/* A changed file is read and parsed again. */
	put(f, "app.yaml", proxy2_yaml);
	age_files();
	rescan(f);
	app = file(f, "app.yaml");
	assert_non_null(app->data);
	assert_string_equal(app->data, proxy2_yaml);
	assert_null(file(f, "web.yaml")->data);
	build(f, &r3);
	assert_int_equal(r3.diags.nerrors, 0);
	assert_true(r3.snapshot->types[XDS_ROUTE].version !=
	    r2.snapshot->types[XDS_ROUTE].version);
	source_files_release_bytes(&f->sf, pipeline_file_bytes_needed, f->p);
	assert_null(file(f, "app.yaml")->data);
	build_result_free(&r1);
	build_result_free(&r2);
	build_result_free(&r3);
}

/* Rewritten with the same bytes after its own were released: compared by
 * hash, so the delta form hands out nothing. */
static void
test_same_bytes_after_release(void **state)
{
	struct fx *f = *state;
	struct build_result r;

	source_dir_set_delta(f->sd, true);
	rescan(f);
	build(f, &r);
	build_result_free(&r);
	source_files_release_bytes(&f->sf, pipeline_file_bytes_needed, f->p);
	put(f, "app.yaml", proxy_yaml);
	age_files();
	assert_true(source_dir_process_events(f->sd) >= 0);
	rescan(f);
	assert_true(f->sf.delta);
	assert_int_equal(f->sf.n, 0);
	put(f, "app.yaml", proxy2_yaml);
	age_files();
	assert_true(source_dir_process_events(f->sd) >= 0);
	rescan(f);
	assert_int_equal(f->sf.n, 1);
	assert_string_equal(f->sf.files[0].data, proxy2_yaml);
}

/* Bytes whose last good copy is not saved yet are kept for it. */
static void
test_bytes_kept_until_saved(void **state)
{
	struct fx *f = *state;
	struct build_result r;

	pipeline_defer_persist(f->p, true);
	rescan(f);
	pipeline_build(f->p, &f->sf, &f->cfg, &f->to, &r);
	source_files_release_bytes(&f->sf, pipeline_file_bytes_needed, f->p);
	assert_string_equal(file(f, "app.yaml")->data, proxy_yaml);
	assert_string_equal(file(f, "web.yaml")->data, service_yaml);
	pipeline_persist_pending(f->p, &f->sf, &r);
	assert_true(r.files[0].persisted && r.files[1].persisted);
	source_files_release_bytes(&f->sf, pipeline_file_bytes_needed, f->p);
	assert_null(file(f, "app.yaml")->data);
	assert_null(file(f, "web.yaml")->data);
	build_result_free(&r);
}

static long
rss_kib(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	assert_non_null(fp);
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(fp);
	return v;
}

/* Released bytes leave the process, although each file's path and
 * namespace stay: 2,000 files of 2 KiB (3.9 MiB) read, then released. With
 * each file's bytes malloc'd between the blobs' small allocations the
 * heap would keep nearly all of it. */
static void
test_released_bytes_leave_the_process(void **state)
{
	struct fx *f = *state;
	const char *pre = getenv("LD_PRELOAD");
	long before, after;
	char *body;

	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		skip(); /* valgrind's resident memory is its own */
	body = xmalloc(2049);
	memset(body, '#', 2047);
	body[2047] = '\n';
	body[2048] = '\0';
	for (int i = 0; i < 2000; i++) {
		char name[32];

		snprintf(name, sizeof name, "f%04d.yaml", i);
		body[0] = (char)('a' + i % 26);
		body[1] = (char)('a' + i / 26 % 26);
		put(f, name, body);
	}
	free(body);
	age_files();
	rescan(f);
	assert_int_equal(f->sf.n, 2002);
	before = rss_kib();
	source_files_release_bytes(&f->sf, NULL, NULL);
	for (size_t i = 0; i < f->sf.n; i++)
		assert_null(f->sf.files[i].data);
	after = rss_kib();
	print_message("VmRSS %ld KiB with the bytes, %ld KiB without\n",
	    before, after);
	/* All but the block the pool still fills. */
	assert_true(before - after >= 2 * 1024);
}

/* Should a build ever be handed a released file, that version fails with
 * a located error (the last good one stays in effect); nothing crashes. */
static void
test_load_without_bytes(void **state)
{
	struct loaded_file *lf = load_buffer("ns/app.yaml", "ns", NULL, 120, NULL);

	(void)state;
	assert_false(lf->ok);
	assert_int_equal(lf->nobjects, 0);
	assert_int_equal(lf->diags.nerrors, 1);
	assert_string_equal(lf->diags.items[0].file, "ns/app.yaml");
	assert_non_null(strstr(lf->diags.items[0].message, "released"));
	loaded_file_free(lf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bytes_released_after_build,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_bytes_after_release,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_kept_until_saved,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_released_bytes_leave_the_process, setup, teardown),
		cmocka_unit_test(test_load_without_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
