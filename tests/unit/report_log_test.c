/* Unit tests for serve's problem log (src/report_log.c): a line is logged
 * when it appears and resolved when it goes, never again while it stays;
 * what is logged is exactly what the pairwise compare of every line it
 * replaced logged, in the same order; and a one-file change makes the
 * lines of the status chunks it changed only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fixture.h"
#include "pipeline.h"
#include "report.h"
#include "report_log.h"
#include "util/xalloc.h"

/* What an update emitted: "+line" (new) or "-line" (resolved), in order. */
struct emitted {
	char **v;
	size_t n, cap;
};

static void
emitted_push(void *arg, const char *line, bool resolved)
{
	struct emitted *e = arg;

	ARRAY_PUSH(e->v, e->n, e->cap, xasprintf("%c%s", resolved ? '-' : '+',
	    line));
}

static void
emitted_clear(struct emitted *e)
{
	report_lines_free(e->v, e->n);
	*e = (struct emitted){ 0 };
}

/* The compare report_log replaced (serve_publish.c before issue #14's
 * h-logpath): every line against every line of the other build. */
struct reference {
	char **lines;
	size_t n;
};

static bool
line_in(char **lines, size_t n, const char *line)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(lines[i], line) == 0)
			return true;
	return false;
}

static void
reference_update(struct reference *ref, const struct build_result *r,
    struct emitted *out)
{
	size_t n;
	char **lines = report_lines(r, &n);

	for (size_t i = 0; i < n; i++)
		if (!line_in(ref->lines, ref->n, lines[i]))
			emitted_push(out, lines[i], false);
	for (size_t i = 0; i < ref->n; i++)
		if (!line_in(lines, n, ref->lines[i]))
			emitted_push(out, ref->lines[i], true);
	report_lines_free(ref->lines, ref->n);
	ref->lines = lines;
	ref->n = n;
}

struct fixture {
	struct cairn_config cfg;
	struct translate_options to;
	struct pipeline *p;
	struct source_files files;
	struct report_log log;
	struct reference ref;
	struct emitted got, want;
};

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	config_init_defaults(&f->cfg);
	translate_options_init(&f->to);
	f->p = pipeline_new(NULL);
	diag_list_init(&f->files.diags);
	f->files.revision = xstrdup("rev1");
}

static void
fixture_fini(struct fixture *f)
{
	report_log_free(&f->log);
	report_lines_free(f->ref.lines, f->ref.n);
	emitted_clear(&f->got);
	emitted_clear(&f->want);
	pipeline_free(f->p);
	source_files_free(&f->files);
	config_free(&f->cfg);
}

/* Build, update the log and the reference; fails unless both emitted the
 * same lines in the same order and the log keeps as many lines. The
 * emitted lines stay in f->got until the next step. */
static void
step(struct fixture *f, const char *what)
{
	struct build_result r;
	char **lines;
	size_t n;

	emitted_clear(&f->got);
	emitted_clear(&f->want);
	pipeline_build(f->p, &f->files, &f->cfg, &f->to, &r);
	report_log_update(&f->log, &r, emitted_push, &f->got);
	reference_update(&f->ref, &r, &f->want);
	if (f->got.n != f->want.n)
		print_message("%s: %zu lines emitted, the reference %zu\n", what,
		    f->got.n, f->want.n);
	assert_int_equal(f->got.n, f->want.n);
	for (size_t i = 0; i < f->got.n; i++)
		assert_string_equal(f->got.v[i], f->want.v[i]);
	/* Two statements: an argument list has no order of evaluation, and
	 * n is set by report_lines. */
	lines = report_lines(&r, &n);
	report_lines_free(lines, n);
	assert_int_equal(report_log_nlines(&f->log), n);
	assert_int_equal(f->ref.n, n);
	build_result_free(&r);
}

/* File i: an HTTPProxy with two routes to its own Services; broken
 * (a route to a Service that is not there: the proxy is invalid) or not,
 * host fqdn-<host>, header value v<edit>. */
static void
put(struct fixture *f, size_t i, size_t host, bool broken, unsigned edit)
{
	char *fqdn = xasprintf("app-%zu.example.com", host);
	char *value = xasprintf("v%u", edit);
	char *ip = xasprintf("10.1.%zu.%zu", i / 250, i % 250);
	char *data = fixture_routes_file(fqdn, 2, "x-a", value, ip);

	if (broken)
		memcpy(strstr(data, "{name: s0,") + 7, "zz", 2);
	fixture_ns_file_put(&f->files, i, data);
	free(fqdn);
	free(value);
	free(ip);
}

static size_t
count_prefixed(const struct emitted *e, char sign, const char *part)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->v[i][0] == sign && strstr(e->v[i], part) != NULL;
	return n;
}

/* A new problem is logged once, stays silent while it stays, and is
 * resolved when it goes; so is a file that stops parsing. */
static void
test_lines_across_builds(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f);
	for (size_t i = 0; i < 8; i++)
		put(&f, i, i, i == 3, 0);
	step(&f, "first build");
	assert_true(f.got.n >= 1);
	assert_int_equal(count_prefixed(&f.got, '+', "ns-0003/"), f.got.n);

	put(&f, 5, 5, false, 1); /* a change without a problem */
	step(&f, "unchanged problem");
	assert_int_equal(f.got.n, 0);

	put(&f, 6, 6, true, 0); /* a new problem */
	step(&f, "new problem");
	assert_true(f.got.n >= 1);
	assert_int_equal(count_prefixed(&f.got, '+', "ns-0006/"), f.got.n);

	put(&f, 3, 3, false, 0); /* resolved */
	step(&f, "resolved");
	assert_true(f.got.n >= 1);
	assert_int_equal(count_prefixed(&f.got, '-', "ns-0003/"), f.got.n);

	/* A file that does not parse: its error and the row of its last
	 * good version, then both resolved. */
	fixture_ns_file_put(&f.files, 1, xstrdup("kind: [\n"));
	step(&f, "broken file");
	assert_int_equal(count_prefixed(&f.got, '+', "ns-0001/"), f.got.n);
	assert_int_equal(count_prefixed(&f.got, '+', "is still in effect"), 1);
	step(&f, "still broken");
	assert_int_equal(f.got.n, 0);
	put(&f, 1, 1, false, 0);
	step(&f, "file fixed");
	assert_true(f.got.n >= 2);
	assert_int_equal(count_prefixed(&f.got, '-', "ns-0001/"), f.got.n);

	/* Two proxies for one host: each reports the other. */
	put(&f, 7, 2, false, 0);
	step(&f, "duplicate host");
	assert_true(f.got.n >= 1);
	put(&f, 7, 7, false, 0);
	step(&f, "duplicate gone");
	assert_true(f.got.n >= 1);
	assert_int_equal(count_prefixed(&f.got, '-', ""), f.got.n);
	fixture_fini(&f);
}

/* Many problems in a tree large enough for many status chunks, changed
 * at random (problems come and go, files break, go, come back, hosts
 * collide): every step emits what the pairwise compare emits, and a
 * one-file change makes the lines of a chunk or two, not the tree's. */
static void
test_random_changes_match_pairwise(void **state)
{
	enum { FILES = 1500, STEPS = 150 };
	struct fixture f;
	bool broken[FILES], gone[FILES];
	size_t host[FILES], small_steps = 0;
	unsigned seed = 14, edit = 0;

	(void)state;
	fixture_init(&f);
	for (size_t i = 0; i < FILES; i++) {
		broken[i] = rand_r(&seed) % 10 == 0;
		gone[i] = false;
		host[i] = i;
		put(&f, i, i, broken[i], 0);
	}
	step(&f, "first build");
	assert_true(report_log_nlines(&f.log) >= 100);
	for (int s = 0; s < fixture_sample_steps(STEPS); s++) {
		size_t i = (size_t)rand_r(&seed) % FILES;
		int op = rand_r(&seed) % 8;
		char what[64];
		bool one_edit = false;

		if (gone[i]) {
			gone[i] = false;
			put(&f, i, host[i], broken[i], ++edit);
		} else if (op == 0) {
			fixture_ns_file_put(&f.files, i, xstrdup("kind: [\n"));
		} else if (op == 1) {
			gone[i] = true;
			fixture_ns_file_put(&f.files, i, NULL);
		} else if (op == 2) {
			host[i] = (size_t)rand_r(&seed) % FILES;
			put(&f, i, host[i], broken[i], ++edit);
		} else if (op == 3) {
			/* Several at once. */
			for (int k = 0; k < 40; k++) {
				size_t j = (size_t)rand_r(&seed) % FILES;

				if (gone[j])
					continue;
				broken[j] = !broken[j];
				put(&f, j, host[j], broken[j], ++edit);
			}
		} else {
			broken[i] = op < 6 ? !broken[i] : broken[i];
			put(&f, i, host[i], broken[i], ++edit);
			one_edit = true;
		}
		snprintf(what, sizeof what, "step %d (file %zu, op %d)", s, i, op);
		step(&f, what);
		if (!one_edit || !pipeline_dag_stats(f.p).statuses_patched)
			continue;
		/* A chunk holds at most 512 statuses, the proxies' chunks
		 * about a tenth of the tree's problems each. */
		small_steps++;
		if (f.log.made * 2 > report_log_nlines(&f.log))
			print_message("%s: %zu lines made of %zu\n", what,
			    f.log.made, report_log_nlines(&f.log));
		assert_true(f.log.made * 2 <= report_log_nlines(&f.log));
	}
	print_message("%zu one-file steps, %zu lines\n", small_steps, report_log_nlines(&f.log));
	assert_true(small_steps > 0);
	fixture_fini(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_across_builds),
		cmocka_unit_test(test_random_changes_match_pairwise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
