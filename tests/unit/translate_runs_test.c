/* Runs of the last build taken as blocks by the translation's loops
 * (src/xds/memo.c memo_emit_run, src/xds/snapshot.c
 * snapshot_builder_lend_run): a block appended by hand orders, sums and
 * versions its set as the same items lent one by one do; and over random
 * changes to a tree (headers, route counts, addresses, files gone and
 * back, hosts that move to another place in name order), every
 * incremental snapshot (ingress_http's uses kept by the memo's counts,
 * memo_uses_shared, included) equals a fresh translation of its DAG,
 * while most reused resources were taken in runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "fixture.h"
#include "pipeline.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

/* A block of the previous snapshot's items: the same set, version and
 * items as lending each; out of name order after what precedes it, the
 * set is sorted at finish; from another snapshot than the previous one,
 * nothing is added. */
static void
test_lend_run_by_hand(void **state)
{
	struct xds_blob *v[4] = { fixture_blob("a", "1"),
		fixture_blob("b", "22"), fixture_blob("c", "333"),
		fixture_blob("d", "4444") };
	struct xds_blob *z = fixture_blob("0", "z");
	struct xds_keep *keep = xds_keep_new();
	struct snapshot_builder *b = snapshot_builder_new("1");
	struct snapshot *s1, *s2, *s3, *other;

	(void)state;
	for (int i = 0; i < 4; i++)
		snapshot_builder_lend_blob(b, XDS_CLUSTER, v[i], false, keep,
		    SIZE_MAX);
	s1 = snapshot_builder_finish(b);
	other = snapshot_builder_finish(snapshot_builder_new("x"));

	/* b, c as a block after a, d one by one: as s1. */
	keep = xds_keep_next(keep);
	b = snapshot_builder_new("2");
	snapshot_builder_set_previous(b, s1);
	assert_int_equal(snapshot_builder_lend_run(b, XDS_CLUSTER, other, 1, 2,
	    false, keep), SIZE_MAX);
	assert_int_equal(snapshot_builder_lend_run(b, XDS_CLUSTER, s1, 3, 2,
	    false, keep), SIZE_MAX); /* past the end */
	assert_int_equal(snapshot_builder_count(b, XDS_CLUSTER), 0);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, v[0], false, keep, 0);
	assert_int_equal(snapshot_builder_lend_run(b, XDS_CLUSTER, s1, 1, 2,
	    true, keep), 1);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, v[3], false, keep, 3);
	s2 = snapshot_builder_finish(b);
	assert_int_equal(s2->types[XDS_CLUSTER].n, 4);
	assert_int_equal(s2->types[XDS_CLUSTER].version,
	    s1->types[XDS_CLUSTER].version);
	assert_int_equal(s2->ncopied, 4);
	assert_true(snapshot_find(s2, XDS_CLUSTER, "b")->named_only);
	assert_false(snapshot_find(s2, XDS_CLUSTER, "d")->named_only);
	assert_ptr_equal(snapshot_find(s2, XDS_CLUSTER, "c")->bytes, v[2]->bytes);

	/* d first, then the block a .. c, then 0: sorted at finish. */
	keep = xds_keep_next(keep);
	b = snapshot_builder_new("3");
	snapshot_builder_set_previous(b, s2);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, v[3], false, keep, 3);
	assert_int_equal(snapshot_builder_lend_run(b, XDS_CLUSTER, s2, 0, 3,
	    false, keep), 1);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, z, false, keep, SIZE_MAX);
	s3 = snapshot_builder_finish(b);
	assert_int_equal(s3->types[XDS_CLUSTER].n, 5);
	assert_string_equal(xds_set_at(&s3->types[XDS_CLUSTER], 0)->name, "0");
	assert_string_equal(xds_set_at(&s3->types[XDS_CLUSTER], 1)->name, "a");
	assert_string_equal(xds_set_at(&s3->types[XDS_CLUSTER], 4)->name, "d");
	assert_int_not_equal(s3->types[XDS_CLUSTER].version,
	    s1->types[XDS_CLUSTER].version);
	{
		/* The version of the same five added one by one. */
		struct snapshot_builder *f = snapshot_builder_new("f");
		struct snapshot *fs;

		snapshot_builder_add_blob(f, XDS_CLUSTER, z, false);
		for (int i = 0; i < 4; i++)
			snapshot_builder_add_blob(f, XDS_CLUSTER, v[i], false);
		fs = snapshot_builder_finish(f);
		assert_int_equal(s3->types[XDS_CLUSTER].version,
		    fs->types[XDS_CLUSTER].version);
		snapshot_unref(fs);
	}
	snapshot_unref(s1);
	snapshot_unref(s2);
	snapshot_unref(s3);
	snapshot_unref(other);
	for (int i = 0; i < 4; i++)
		xds_keep_retire(keep, v[i]);
	xds_keep_retire(keep, z);
	xds_keep_unref(keep);
}

/* File i: an HTTPProxy host <p>-<i> (p moves it in name order) with
 * `routes` routes to as many Services with Endpoints; v varies a header,
 * w the addresses. */
static char *
tree_file(size_t i, char p, size_t routes, unsigned v, unsigned w)
{
	char *fqdn = xasprintf("%c-%04zu.example.com", p, i);
	char *value = xasprintf("v%u", v);
	char *ip = xasprintf("10.3.%zu.%u", i % 250, 1 + w % 200);
	char *out = fixture_routes_file(fqdn, routes, "x-v", value, ip);

	free(fqdn);
	free(value);
	free(ip);
	return out;
}

#define NFILES 300

/* One to three random changes per build to a tree of NFILES files, each
 * build against a fresh translation of its DAG. A run taken where the
 * last build's objects or items are not the same (a removed or moved
 * host, a changed cluster) shows as a resource or version that differs. */
static void
test_runs_random(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	size_t routes[NFILES], in_runs = 0, in_order = 0, runs = 0;
	unsigned v[NFILES], w[NFILES];
	char prefix[NFILES];
	bool gone[NFILES];
	uint64_t rnd = UINT64_C(0x9e3779b97f4a7c15);
	int steps = fixture_sample_steps(60);

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("runs");
	for (size_t i = 0; i < NFILES; i++) {
		routes[i] = 1 + i % 3;
		v[i] = w[i] = 0;
		prefix[i] = 'h';
		gone[i] = false;
		fixture_ns_file_put(&sf, i, tree_file(i, prefix[i], routes[i],
		    v[i], w[i]));
	}
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct translate_cache_stats ts;
		struct snapshot *fresh;
		char what[64];
		size_t i = 0;
		int nchanges = step == 0 ? 0 : 1 + (int)((rnd >> 3) % 3);

		for (int c = 0; c < nchanges; c++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			i = (size_t)(rnd >> 8) % NFILES;
			/* The last hosts in name order too: what follows
			 * the last one found is let go of at the loop's end. */
			if ((rnd >> 50) % 6 == 0)
				i = NFILES - 1 - i % 3;
			switch ((rnd >> 40) % 6) {
			case 0:
				v[i]++;
				break;
			case 1:
				routes[i] = 1 + routes[i] % 4;
				break;
			case 2:
				w[i]++;
				break;
			case 3: /* to the other end of the name order, or back */
				prefix[i] = prefix[i] == 'h' ? 'a' + (char)(i % 3) :
				    'h';
				break;
			default: /* gone, or back */
				gone[i] = !gone[i];
				break;
			}
			fixture_ns_file_put(&sf, i, gone[i] ? NULL :
			    tree_file(i, prefix[i], routes[i], v[i], w[i]));
		}
		snprintf(what, sizeof what, "step %d (file %zu)", step, i);
		pipeline_build(p, &sf, &cfg, &to, &r);
		fresh = translate_dag(r.dag, &to, r.revision);
		fixture_assert_same_snapshot(r.snapshot, fresh, what);
		snapshot_unref(fresh);
		ts = pipeline_translate_stats(p);
		if (step > 0) {
			in_runs += ts.in_runs;
			in_order += ts.in_order;
			runs += ts.runs;
		}
		build_result_free(&r);
	}
	print_message("%zu found in order, %zu of them in %zu runs\n",
	    in_order, in_runs, runs);
	/* Clusters, ClusterLoadAssignments, api listeners and proxyless
	 * routes are taken in runs: four of the six loops. */
	assert_true(in_runs * 10 >= in_order * 5);
	assert_true(runs * 20 <= in_runs);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lend_run_by_hand),
		cmocka_unit_test(test_runs_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
