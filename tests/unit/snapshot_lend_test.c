/* Snapshots that lend the translation memo's blobs (src/xds/snapshot.c,
 * xds_keep; src/xds/memo_store.c): a blob the memo lets go of lives as
 * long as any snapshot built before, and no longer; an item copied from
 * the last snapshot is the one of the same blob only; and over random
 * changes, every incremental snapshot equals a fresh translation of the
 * same tree (versions included), also after later builds and after the
 * pipeline itself is gone. */
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
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

static unsigned
refs(struct xds_blob *b)
{
	return atomic_load(&b->refs);
}

/* The memo's part played by hand: x is lent by s1, then the memo lets go
 * of it (retired into the keep open since); it must live until s1 and
 * every keep that could reach it are gone, then be released once. */
static void
test_keep_chain(void **state)
{
	struct xds_keep *open = xds_keep_new();
	struct xds_blob *x = fixture_blob("x", "xx");
	struct xds_blob *y = fixture_blob("y", "yy");
	struct snapshot_builder *b;
	struct snapshot *s1, *s2;

	(void)state;
	xds_blob_ref(x); /* the test's own, to watch the count */
	xds_blob_ref(y);
	b = snapshot_builder_new("1");
	snapshot_builder_lend_blob(b, XDS_CLUSTER, x, false, open, SIZE_MAX);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, y, false, open, SIZE_MAX);
	s1 = snapshot_builder_finish(b);
	assert_int_equal(refs(x), 2); /* lent: no reference taken */
	assert_int_equal(s1->nlent, 2);

	/* The next translation: a new keep; x is dropped by the memo. */
	open = xds_keep_next(open);
	b = snapshot_builder_new("2");
	snapshot_builder_set_previous(b, s1);
	snapshot_builder_lend_blob(b, XDS_CLUSTER, y, false, open, 1);
	xds_keep_retire(open, x);
	s2 = snapshot_builder_finish(b);
	assert_int_equal(s2->ncopied, 1); /* y's item, from s1's */
	assert_int_equal(refs(x), 2);
	assert_int_equal(xds_keep_pending(open), 1);

	/* A third translation closes that keep: s1 and s2 still hold it. */
	open = xds_keep_next(open);
	assert_int_equal(refs(x), 2);
	snapshot_unref(s1);
	assert_int_equal(refs(x), 2); /* s2 was built while x was kept */
	assert_memory_equal(snapshot_find(s2, XDS_CLUSTER, "y")->bytes, "yy", 2);
	snapshot_unref(s2);
	assert_int_equal(refs(x), 1); /* released once, by the keep */
	/* y: the memo still holds it; it goes when the memo does. */
	xds_keep_retire(open, y);
	assert_int_equal(refs(y), 2);
	xds_keep_unref(open);
	assert_int_equal(refs(y), 1);
	xds_blob_unref(x);
	xds_blob_unref(y);
}

/* An item is copied from the previous snapshot only for the very same
 * blob, at the place given or a few places off: a new blob of the same
 * name gives its own item, and the copy takes named_only from the caller
 * and no uses from the last snapshot. */
static void
test_copy_only_same_blob(void **state)
{
	struct xds_keep *open = xds_keep_new();
	struct xds_blob *a = fixture_blob("a", "a1");
	struct xds_blob *c = fixture_blob("c", "c1");
	struct xds_blob *a2 = fixture_blob("a", "a2");
	struct snapshot_builder *b;
	struct snapshot *s1, *s2;
	const struct xds_resource *r;
	size_t at_a, at_c;

	(void)state;
	b = snapshot_builder_new("1");
	at_a = snapshot_builder_lend_blob(b, XDS_ROUTE, a, false, open, SIZE_MAX);
	at_c = snapshot_builder_lend_blob(b, XDS_ROUTE, c, true, open, SIZE_MAX);
	snapshot_builder_add_uses(b, XDS_ROUTE, "a", (uint64_t[]){ 7 }, 1);
	s1 = snapshot_builder_finish(b);
	assert_int_equal(at_a, 0);
	assert_int_equal(at_c, 1);
	assert_int_equal(snapshot_find(s1, XDS_ROUTE, "a")->nuses, 1);

	open = xds_keep_next(open);
	b = snapshot_builder_new("2");
	snapshot_builder_set_previous(b, s1);
	/* a2 where a was; c given a's place (found one place on). */
	snapshot_builder_lend_blob(b, XDS_ROUTE, a2, false, open, at_a);
	snapshot_builder_lend_blob(b, XDS_ROUTE, c, false, open, at_a);
	s2 = snapshot_builder_finish(b);
	assert_int_equal(s2->ncopied, 1);
	r = snapshot_find(s2, XDS_ROUTE, "a");
	assert_int_equal(r->len, 2);
	assert_memory_equal(r->bytes, "a2", 2);
	assert_int_equal(r->version, a2->version);
	assert_int_equal(r->entry, a2->entry);
	assert_int_equal(r->nuses, 0); /* s1's uses are not carried over */
	r = snapshot_find(s2, XDS_ROUTE, "c");
	assert_false(r->named_only);
	assert_int_equal(r->version, c->version);
	assert_int_not_equal(s2->types[XDS_ROUTE].version,
	    s1->types[XDS_ROUTE].version);

	/* The same blob at its place is copied: as the blob says. */
	open = xds_keep_next(open);
	b = snapshot_builder_new("3");
	snapshot_builder_set_previous(b, s2);
	snapshot_builder_lend_blob(b, XDS_ROUTE, a2, false, open, 0);
	snapshot_builder_lend_blob(b, XDS_ROUTE, c, true, open, 1);
	snapshot_unref(s1);
	s1 = snapshot_builder_finish(b);
	assert_int_equal(s1->ncopied, 2);
	r = snapshot_find(s1, XDS_ROUTE, "c");
	assert_true(r->named_only); /* the caller's, not the last item's */
	assert_int_equal(r->version, c->version);
	assert_int_equal(r->len, c->len);
	assert_ptr_equal(r->bytes, c->bytes);
	snapshot_unref(s1);
	snapshot_unref(s2);
	xds_keep_retire(open, a);
	xds_keep_retire(open, a2);
	xds_keep_retire(open, c);
	xds_keep_unref(open);
}

/* File i: an HTTPProxy host h-<i> with `routes` routes to as many
 * Services with Endpoints in namespace ns-<i>; v varies a header. */
static char *
tree_file(size_t i, size_t routes, unsigned v)
{
	char *fqdn = xasprintf("h-%04zu.example.com", i);
	char *value = xasprintf("v%u", v);
	char *ip = xasprintf("10.2.%zu.%u", i % 250, 1 + v % 200);
	char *out = fixture_routes_file(fqdn, routes, "x-v", value, ip);

	free(fqdn);
	free(value);
	free(ip);
	return out;
}

/* A deep copy: what a snapshot said when it was built. */
static struct snapshot *
copy_of(const struct snapshot *s)
{
	struct snapshot_builder *b = snapshot_builder_new(s->revision);

	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		for (size_t i = 0; i < s->types[t].n; i++) {
			const struct xds_resource *r = xds_set_at(&s->types[t], i);

			if (r->pieced != NULL)
				/* Its bytes as one piece, its version kept
				 * (a tree hash of the pieces: docs/decisions.md). */
				snapshot_builder_give_blob(b, (enum xds_type)t,
				    xds_blob_new_pieces(r->name,
				    xds_resource_bytes(r), r->len, NULL, 0,
				    r->version), r->named_only);
			else
				snapshot_builder_add(b, (enum xds_type)t, r->name,
				    xds_resource_bytes(r), r->len, r->named_only);
			if (r->nuses > 0)
				snapshot_builder_add_uses(b, (enum xds_type)t,
				    r->name, r->uses, r->nuses);
			if (r->endpoints != NULL)
				snapshot_builder_set_endpoints(b, r->name,
				    r->endpoints);
		}
	return snapshot_builder_finish(b);
}

#define HELD 4

/* Random changes (a route's header, a file's route count, files removed
 * and added back) to a tree of 120 files, each build through the
 * pipeline (spliced and lent) against a fresh translation of its DAG;
 * the last HELD results are kept alive and released in a random order,
 * and each must still say what it said when built, also once the
 * pipeline is freed. Most reused resources must be copied items. */
static void
test_lent_snapshots_random(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct build_result held[HELD];
	struct snapshot *said[HELD];
	size_t n = 120, routes[120], lent = 0, copied = 0, total = 0;
	uint64_t rnd = UINT64_C(0x2545f4914f6cdd1d);
	unsigned v[120];
	int steps = fixture_sample_steps(80);

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	memset(held, 0, sizeof held);
	memset(said, 0, sizeof said);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("lend");
	for (size_t i = 0; i < n; i++) {
		routes[i] = 1 + i % 3;
		v[i] = 0;
		fixture_ns_file_put(&sf, i, tree_file(i, routes[i], v[i]));
	}
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct snapshot *fresh;
		char what[64];
		size_t i, slot;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		i = (size_t)(rnd >> 8) % n;
		switch (step == 0 ? 9 : (rnd >> 40) % 4) {
		case 0:
		case 1:
			fixture_ns_file_put(&sf, i, tree_file(i, routes[i], ++v[i]));
			break;
		case 2:
			routes[i] = 1 + routes[i] % 4;
			fixture_ns_file_put(&sf, i, tree_file(i, routes[i], v[i]));
			break;
		case 3: /* gone, or back */
			fixture_ns_file_put(&sf, i, i % 2 == 0 ? NULL :
			    tree_file(i, routes[i], v[i]));
			if (i % 2 == 0 && step % 3 == 0)
				fixture_ns_file_put(&sf, i, tree_file(i, routes[i], v[i]));
			break;
		default:
			break;
		}
		snprintf(what, sizeof what, "step %d (file %zu)", step, i);
		pipeline_build(p, &sf, &cfg, &to, &r);
		fresh = translate_dag(r.dag, &to, r.revision);
		fixture_assert_same_snapshot(r.snapshot, fresh, what);
		snapshot_unref(fresh);
		if (step > 0) {
			lent += r.snapshot->nlent;
			copied += r.snapshot->ncopied;
			for (int t = 0; t < XDS_TYPE_COUNT; t++)
				total += r.snapshot->types[t].n;
		}
		/* Replace a random held result: older ones die out of
		 * order. */
		slot = (size_t)(rnd >> 20) % HELD;
		if (said[slot] != NULL) {
			fixture_assert_same_snapshot(held[slot].snapshot,
			    said[slot], "held");
			build_result_free(&held[slot]);
			snapshot_unref(said[slot]);
		}
		held[slot] = r;
		said[slot] = copy_of(r.snapshot);
	}
	print_message("%zu resources, %zu lent, %zu of them copied items\n",
	    total, lent, copied);
	/* Nearly everything is reused from one build to the next. */
	assert_true(lent * 10 >= total * 8);
	assert_true(copied * 10 >= lent * 8);
	pipeline_free(p);
	for (size_t k = 0; k < HELD; k++) {
		if (said[k] == NULL)
			continue;
		fixture_assert_same_snapshot(held[k].snapshot, said[k],
		    "after the pipeline");
		build_result_free(&held[k]);
		snapshot_unref(said[k]);
	}
	source_files_free(&sf);
	config_free(&cfg);
}

/* A blob the memo dropped is held for an older snapshot, and released
 * when that snapshot goes: the test holds a reference of its own on each
 * blob of the first snapshot and watches the counts. */
static void
test_memo_blobs_outlive_memo(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	struct build_result first, r;
	struct xds_blob **blobs = NULL;
	size_t nblobs = 0, cap = 0;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("outlive");
	for (size_t i = 0; i < 20; i++)
		fixture_ns_file_put(&sf, i, tree_file(i, 2, 0));
	pipeline_build(p, &sf, &cfg, &to, &r);
	build_result_free(&r);
	fixture_ns_file_put(&sf, 3, tree_file(3, 2, 1));
	pipeline_build(p, &sf, &cfg, &to, &first);
	/* Every item of a cached translation is a blob's. */
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		for (size_t i = 0; i < first.snapshot->types[t].n; i++) {
			const struct xds_resource *it =
			    xds_set_at(&first.snapshot->types[t], i);
			const uint8_t *bytes = it->bytes;
			struct xds_blob *b = it->pieced != NULL ?
			    (struct xds_blob *)(void *)it->pieced :
			    (struct xds_blob *)(void *)
			    (bytes - offsetof(struct xds_blob, bytes));

			ARRAY_PUSH(blobs, nblobs, cap, xds_blob_ref(b));
		}
	assert_true(first.snapshot->nlent > 0);
	/* Every host changed, some files gone: the memo drops most of the
	 * first snapshot's blobs, then the pipeline goes. */
	for (unsigned k = 2; k < 6; k++) {
		for (size_t i = 0; i < 20; i++)
			fixture_ns_file_put(&sf, i, i % 5 == 0 && k > 3 ? NULL :
			    tree_file(i, 1 + k % 3, k));
		pipeline_build(p, &sf, &cfg, &to, &r);
		build_result_free(&r);
	}
	pipeline_free(p);
	for (size_t i = 0; i < nblobs; i++)
		if (refs(blobs[i]) < 2)
			fail_msg("%s: released while a snapshot lends it",
			    blobs[i]->name);
	build_result_free(&first);
	for (size_t i = 0; i < nblobs; i++) {
		if (refs(blobs[i]) != 1)
			fail_msg("%s: %u references left after its last "
			    "snapshot", blobs[i]->name, refs(blobs[i]) - 1);
		xds_blob_unref(blobs[i]);
	}
	free(blobs);
	source_files_free(&sf);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_chain),
		cmocka_unit_test(test_copy_only_same_blob),
		cmocka_unit_test(test_lent_snapshots_random),
		cmocka_unit_test(test_memo_blobs_outlive_memo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
