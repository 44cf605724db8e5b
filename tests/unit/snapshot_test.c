/* The snapshot builder (src/xds/snapshot.c) given the last snapshot: the
 * names it finds there in order are taken as sorted without a compare,
 * so every other order must still come out sorted, unique and with the
 * version a builder without the last snapshot gives; and resources
 * handed over with their reference (snapshot_builder_give_blob) live as
 * long as the snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xds/snapshot.h"

#define NNAMES 12

static struct xds_blob *blobs[NNAMES];

/* "r00" .. "r11", each with bytes of its own. */
static void
make_blobs(void)
{
	for (int i = 0; i < NNAMES; i++) {
		char name[8];

		snprintf(name, sizeof name, "r%02d", i);
		blobs[i] = xds_blob_new(name, 4);
		memcpy(blobs[i]->bytes, name, 4);
		xds_blob_seal(blobs[i], 4);
	}
}

static void
free_blobs(void)
{
	for (int i = 0; i < NNAMES; i++)
		xds_blob_unref(blobs[i]);
}

/* A snapshot of blobs[order[0 .. n)] (XDS_CLUSTER), after prev. */
static struct snapshot *
build(const int *order, size_t n, const struct snapshot *prev)
{
	struct snapshot_builder *b = snapshot_builder_new("r");

	snapshot_builder_set_previous(b, prev);
	for (size_t i = 0; i < n; i++)
		snapshot_builder_add_blob(b, XDS_CLUSTER, blobs[order[i]], false);
	return snapshot_builder_finish(b);
}

static void
assert_same_set(const struct snapshot *a, const struct snapshot *b)
{
	const struct xds_resource_set *x = &a->types[XDS_CLUSTER],
	    *y = &b->types[XDS_CLUSTER];

	assert_int_equal(x->n, y->n);
	assert_true(x->version == y->version);
	for (size_t i = 0; i < x->n; i++) {
		assert_string_equal(xds_set_at(x, i)->name, xds_set_at(y, i)->name);
		if (i > 0)
			assert_true(strcmp(xds_set_at(x, i - 1)->name, xds_set_at(x, i)->name) < 0);
	}
}

/* Orders that put the last snapshot's names next to each other out of
 * order, with names removed, added and repeated between them. */
static void
test_order_after_previous(void **state)
{
	static const int base[] = { 0, 2, 4, 6, 8, 10 };
	static const struct {
		int v[16];
		size_t n;
	} cases[] = {
		{ { 0, 2, 4, 6, 8, 10 }, 6 },		/* the same */
		{ { 0, 2, 3, 4, 6, 8, 10 }, 7 },	/* one added */
		{ { 0, 4, 6, 10 }, 4 },			/* two removed */
		{ { 4, 6, 8, 10, 0, 2 }, 6 },		/* rotated */
		{ { 10, 8, 6, 4, 2, 0 }, 6 },		/* reversed */
		{ { 2, 0, 6, 4, 10, 8 }, 6 },		/* pairs swapped */
		{ { 0, 2, 2, 4, 6, 8, 10 }, 7 },	/* a repeat */
		{ { 0, 6, 2, 8, 4, 10 }, 6 },		/* interleaved */
		{ { 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10 }, 12 },
		{ { 0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11 }, 12 },
		{ { 0, 1, 2, 4, 11, 6, 8, 10 }, 8 },
	};
	struct snapshot *prev;

	(void)state;
	make_blobs();
	prev = build(base, 6, NULL);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct snapshot *with = build(cases[c].v, cases[c].n, prev);
		struct snapshot *without = build(cases[c].v, cases[c].n, NULL);

		assert_same_set(with, without);
		/* A snapshot after this one (its own names, in other orders). */
		for (size_t d = 0; d < sizeof cases / sizeof cases[0]; d++) {
			struct snapshot *next = build(cases[d].v, cases[d].n, with);
			struct snapshot *fresh = build(cases[d].v, cases[d].n, NULL);

			assert_same_set(next, fresh);
			snapshot_unref(next);
			snapshot_unref(fresh);
		}
		snapshot_unref(with);
		snapshot_unref(without);
	}
	snapshot_unref(prev);
	free_blobs();
}

/* A blob given with its reference is freed with the snapshot, not
 * before (valgrind and ASan see either mistake). */
static void
test_give_blob(void **state)
{
	struct snapshot_builder *b = snapshot_builder_new("r");
	struct xds_blob *x = xds_blob_new("given", 3);
	struct snapshot *s;
	const struct xds_resource *r;

	(void)state;
	memcpy(x->bytes, "abc", 3);
	xds_blob_seal(x, 3);
	snapshot_builder_give_blob(b, XDS_ROUTE, x, false);
	s = snapshot_builder_finish(b);
	r = snapshot_find(s, XDS_ROUTE, "given");
	assert_non_null(r);
	assert_memory_equal(r->bytes, "abc", 3);
	assert_true(r->version == x->version);
	snapshot_unref(s);
}

/* The version of n named resources (bytes "b<version>") added through
 * the copying path in the order given. */
static uint64_t
version_of(const char *const *names, const char *const *bytes, size_t n)
{
	struct snapshot_builder *b = snapshot_builder_new("r");
	struct snapshot *s;
	uint64_t v;

	for (size_t i = 0; i < n; i++)
		snapshot_builder_add(b, XDS_ROUTE, names[i], bytes[i],
		    strlen(bytes[i]), false);
	s = snapshot_builder_finish(b);
	v = s->types[XDS_ROUTE].version;
	snapshot_unref(s);
	return v;
}

/* A type version is a function of the (name, version) pairs alone: the
 * same in any order of adding and whether a resource came as a blob or
 * as bytes; a resource changed, added, removed or renamed gives another;
 * and the hash of a selection of every item (src/ads/protocol.c) is the
 * set's version. */
static void
test_version_of_pairs(void **state)
{
	const char *names[] = { "a", "b", "c" }, *bytes[] = { "x", "y", "z" };
	const char *rev_n[] = { "c", "a", "b" }, *rev_b[] = { "z", "x", "y" };
	const char *chg_b[] = { "x", "y", "w" }, *ren_n[] = { "a", "b", "d" };
	const char *swap_b[] = { "y", "x", "z" };
	uint64_t v = version_of(names, bytes, 3);
	struct snapshot_builder *b = snapshot_builder_new("r");
	const struct xds_resource *all[3];
	struct snapshot *s;

	(void)state;
	assert_true(v == version_of(rev_n, rev_b, 3));
	assert_true(v != version_of(names, chg_b, 3));
	assert_true(v != version_of(ren_n, bytes, 3));
	assert_true(v != version_of(names, bytes, 2));
	/* The same versions under other names. */
	assert_true(v != version_of(names, swap_b, 3));
	assert_true(version_of(names, bytes, 0) != version_of(names, bytes, 1));
	for (int i = 2; i >= 0; i--) {
		struct xds_blob *x = xds_blob_new(names[i], 1);

		memcpy(x->bytes, bytes[i], 1);
		xds_blob_seal(x, 1);
		snapshot_builder_give_blob(b, XDS_ROUTE, x, false);
	}
	s = snapshot_builder_finish(b);
	assert_true(s->types[XDS_ROUTE].version == v);
	for (size_t i = 0; i < 3; i++)
		all[i] = xds_set_at(&s->types[XDS_ROUTE], i);
	assert_true(xds_entries_version(all[0]->entry + all[1]->entry +
	    all[2]->entry, 3) == v);
	snapshot_unref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_after_previous),
		cmocka_unit_test(test_give_blob),
		cmocka_unit_test(test_version_of_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
