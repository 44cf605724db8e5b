/* A snapshot's sets in shared chunks (src/xds/snapshot.c, struct
 * xds_chunk): over random patches (resources added, removed, replaced,
 * some with uses, some added out of name order), each built from the last
 * snapshot as the translation memo builds it (runs lent as blocks, the
 * rest lent or given one by one), every set equals a flat sorted model:
 * its items through xds_set_at and the iterator, lookups by name, lower
 * bounds, its version (a fresh builder's), its uses; most items are taken
 * in the last snapshot's chunks, and every chunk is sealed; older
 * snapshots are freed in any order, some on another thread
 * (tests/valgrind.sh runs it under valgrind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "diff/diff_internal.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"

#define UNIVERSE 6000
#define LIVE 5

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

/* The memo's part: the blob each name has now (one reference each). */
struct universe {
	char names[UNIVERSE][8];
	struct xds_blob *blob[UNIVERSE];
	unsigned gen[UNIVERSE];
	bool in[UNIVERSE]; /* in the current set */
	bool was_in[UNIVERSE]; /* in the last snapshot's */
	bool replaced[UNIVERSE]; /* other bytes since the last snapshot */
	size_t at[UNIVERSE]; /* where the last snapshot has it */
	size_t by_at[UNIVERSE]; /* the name at each place */
	bool fresh[UNIVERSE]; /* new blob since the last snapshot */
};

static struct xds_blob *
make_blob(struct universe *u, size_t i)
{
	char bytes[32];
	size_t len;
	struct xds_blob *b;

	len = (size_t)snprintf(bytes, sizeof bytes, "%s-v%u-%llu", u->names[i],
	    u->gen[i], (unsigned long long)rnd(1000));
	b = xds_blob_new(u->names[i], len);
	memcpy(b->bytes, bytes, len);
	xds_blob_seal(b, len);
	return b;
}

static void
count_pair(void *ctx, const struct xds_resource *from,
    const struct xds_resource *to)
{
	(void)from;
	(void)to;
	(*(size_t *)ctx)++;
}

static void *
unref_thread(void *arg)
{
	snapshot_unref(arg);
	return NULL;
}

/* Every chunk of a finished set sealed (builder_seal, through the
 * builder's list of the chunks it made): read-only, no room beyond its
 * items, its sum and named_only what its items say. A chunk left out
 * would not be taken whole by the next builder. */
static void
check_sealed(const struct xds_resource_set *set)
{
	for (size_t k = 0; k < set->nchunks; k++) {
		const struct xds_chunk *c = set->chunks[k];
		uint64_t sum = 0;
		size_t named = 0;

		assert_null(c->maker);
		assert_int_equal(c->cap, c->n);
		for (uint32_t i = 0; i < c->n; i++) {
			sum += c->v[i].entry;
			named += c->v[i].named_only;
		}
		assert_int_equal(c->sum, sum);
		assert_int_equal(c->named_only,
		    named == 0 ? 0 : named == c->n ? 1 : 2);
	}
}

/* The set of type in s against the model (the names in u->in, in order),
 * each item the blob of its name. */
static void
check_set(const struct snapshot *s, enum xds_type type, struct universe *u,
    bool named_only, size_t use_at, const uint64_t *uses, size_t nuses)
{
	const struct xds_resource_set *set = &s->types[type];
	struct snapshot_builder *fb = snapshot_builder_new("fresh");
	struct snapshot *fresh;
	struct xds_set_iter it;
	const struct xds_resource *r;
	size_t n = 0, k;

	xds_set_iter_init(&it, set, 0);
	for (size_t i = 0; i < UNIVERSE; i++) {
		char absent[16];

		if (!u->in[i]) {
			assert_null(xds_set_find(set, u->names[i]));
			continue;
		}
		r = xds_set_iter_next(&it);
		assert_non_null(r);
		assert_ptr_equal(r, xds_set_at(set, n));
		assert_ptr_equal(r, xds_set_find(set, u->names[i]));
		assert_int_equal(xds_set_lower_bound(set, u->names[i]), n);
		/* A name just after this one: the next index. */
		snprintf(absent, sizeof absent, "%s+", u->names[i]);
		assert_null(xds_set_find(set, absent));
		assert_int_equal(xds_set_lower_bound(set, absent), n + 1);
		assert_string_equal(r->name, u->names[i]);
		assert_int_equal(r->version, u->blob[i]->version);
		assert_ptr_equal(r->bytes, u->blob[i]->bytes);
		assert_int_equal(r->len, u->blob[i]->len);
		assert_int_equal(r->entry, u->blob[i]->entry);
		assert_int_equal(r->named_only, named_only);
		if (i == use_at) {
			assert_int_equal(r->nuses, nuses);
			assert_memory_equal(r->uses, uses, nuses * sizeof *uses);
		} else {
			assert_int_equal(r->nuses, 0);
		}
		snapshot_builder_add_blob(fb, type, u->blob[i], named_only);
		u->by_at[n] = i;
		u->at[i] = n++;
	}
	assert_null(xds_set_iter_next(&it));
	assert_int_equal(set->n, n);
	assert_int_equal(xds_set_lower_bound(set, ""), 0);
	assert_int_equal(xds_set_lower_bound(set, "~"), n);
	for (k = 0; k + 1 < set->nchunks; k++)
		assert_int_equal(set->start[k + 1],
		    set->start[k] + set->chunks[k]->n);
	check_sealed(set);
	fresh = snapshot_builder_finish(fb);
	assert_int_equal(set->version, fresh->types[type].version);
	assert_string_equal(set->version_hex, fresh->types[type].version_hex);
	snapshot_unref(fresh);
}

/* Type's part of a build from prev (NULL: the first) lending every
 * blob the model holds: runs of names unchanged at consecutive places as
 * blocks of random lengths, the others one by one; first (SIZE_MAX: none)
 * is added before everything, out of name order. */
static void
build_type(struct snapshot_builder *b, struct universe *u,
    const struct snapshot *prev, struct xds_keep *keep, enum xds_type type,
    bool named_only, size_t first)
{
	size_t v[UNIVERSE], n = 0, i = 0;

	if (first != SIZE_MAX)
		snapshot_builder_lend_blob(b, type, u->blob[first], named_only,
		    keep, prev && !u->fresh[first] ? u->at[first] : SIZE_MAX);
	for (size_t k = 0; k < UNIVERSE; k++)
		if (u->in[k] && k != first)
			v[n++] = k;
	while (i < n) {
		size_t len = 1, lim = 1 + rnd(300), x = v[i];

		if (prev == NULL || u->fresh[x]) {
			snapshot_builder_add_blob(b, type, u->blob[x], named_only);
			i++;
			continue;
		}
		/* Unchanged names whose items lie side by side. */
		while (len < lim && i + len < n && !u->fresh[v[i + len]] &&
		    u->at[v[i + len]] == u->at[x] + len)
			len++;
		if (len == 1 && rnd(8) == 0) {
			snapshot_builder_lend_blob(b, type, u->blob[x],
			    named_only, keep, u->at[x]);
		} else {
			size_t put = snapshot_builder_count(b, type);

			assert_int_equal(snapshot_builder_lend_run(b, type, prev,
			    u->at[x], len, named_only, keep), put);
		}
		i += len;
	}
}

static void
test_random_patches(void **state)
{
	struct universe *u = xcalloc(1, sizeof *u);
	struct snapshot *live[LIVE] = { NULL };
	struct xds_keep *keep = xds_keep_new();
	size_t nlive = 0, lent = 0, shared = 0, prev_use_at = SIZE_MAX;
	struct snapshot *prev = NULL;

	(void)state;
	for (size_t i = 0; i < UNIVERSE; i++) {
		snprintf(u->names[i], sizeof u->names[i], "r%05zu", i * 3);
		u->blob[i] = make_blob(u, i);
		u->in[i] = rnd(4) != 0;
		u->fresh[i] = true;
	}
	for (int round = 0; round < 60; round++) {
		size_t changes = round == 0 ? 0 : 1 + rnd(round % 5 == 0 ? 200 : 4);
		size_t first = SIZE_MAX, use_at = SIZE_MAX;
		uint64_t uses[3] = { 7, 11, 13 };
		struct snapshot_builder *b;
		struct snapshot *s;

		for (size_t c = 0; c < changes; c++) {
			size_t i = rnd(UNIVERSE);

			/* Often at a chunk's first or last item, or next to
			 * one: where sharing a chunk or not is decided. */
			if (prev != NULL && rnd(2) == 0) {
				const struct xds_resource_set *ps =
				    &prev->types[rnd(2) ? XDS_CLUSTER : XDS_LISTENER];
				size_t k = rnd(ps->nchunks), p = ps->start[k];

				p += rnd(2) ? 0 : ps->chunks[k]->n - 1;
				p += rnd(3) - 1;
				if (p < ps->n)
					i = u->by_at[p];
			}

			if (rnd(3) == 0) {
				u->in[i] = !u->in[i]; /* added or removed */
				u->fresh[i] = true;
				continue;
			}
			/* New bytes: the memo lets the old blob go. */
			u->replaced[i] = true;
			xds_keep_retire(keep, u->blob[i]);
			u->gen[i]++;
			u->blob[i] = make_blob(u, i);
			u->fresh[i] = true;
		}
		if (round % 7 == 3) {
			first = 1 + rnd(UNIVERSE - 1);
			if (!u->in[first])
				first = SIZE_MAX;
		}
		if (round % 3 == 2) {
			use_at = rnd(UNIVERSE);
			if (!u->in[use_at])
				use_at = SIZE_MAX;
		}
		b = snapshot_builder_new("r");
		snapshot_builder_set_previous(b, prev);
		build_type(b, u, prev, keep, XDS_CLUSTER, false, first);
		build_type(b, u, prev, keep, XDS_LISTENER, true, SIZE_MAX);
		if (use_at != SIZE_MAX)
			snapshot_builder_add_uses(b, XDS_LISTENER,
			    u->names[use_at], uses, 3);
		s = snapshot_builder_finish(b);
		check_set(s, XDS_CLUSTER, u, false, SIZE_MAX, NULL, 0);
		check_set(s, XDS_LISTENER, u, true, use_at, uses, 3);
		lent += s->nlent;
		shared += s->nshared;
		/* The last snapshot is as it was: the uses given to one of
		 * its items, none to the others (a chunk written for this
		 * one was a copy). */
		if (prev != NULL) {
			struct xds_set_iter it;
			const struct xds_resource *r;

			xds_set_iter_init(&it, &prev->types[XDS_LISTENER], 0);
			while ((r = xds_set_iter_next(&it)) != NULL)
				assert_int_equal(r->nuses, prev_use_at != SIZE_MAX &&
				    strcmp(r->name, u->names[prev_use_at]) == 0 ?
				    3 : 0);
		}
		prev_use_at = use_at;
		/* The walk over both sets (chunks held by both skipped)
		 * finds exactly the names that came, went or changed. */
		if (prev != NULL) {
			size_t want = 0, got = 0;

			for (size_t i = 0; i < UNIVERSE; i++)
				want += u->was_in[i] != u->in[i] ||
				    (u->in[i] && u->replaced[i]);
			for (int t = XDS_CLUSTER; t <= XDS_LISTENER;
			    t += XDS_LISTENER - XDS_CLUSTER)
				diff_walk_pairs(&prev->types[t], &s->types[t],
				    count_pair, &got);
			assert_int_equal(got, 2 * want);
		}
		for (size_t i = 0; i < UNIVERSE; i++) {
			u->fresh[i] = false;
			u->replaced[i] = false;
			u->was_in[i] = u->in[i];
		}
		/* Older snapshots die in any order, some on another
		 * thread. */
		if (nlive == LIVE) {
			size_t k = rnd(LIVE);
			pthread_t th;

			if (rnd(2) == 0) {
				assert_int_equal(pthread_create(&th, NULL,
				    unref_thread, live[k]), 0);
				assert_int_equal(pthread_join(th, NULL), 0);
			} else {
				snapshot_unref(live[k]);
			}
			live[k] = live[--nlive];
		}
		live[nlive++] = s;
		prev = s;
		keep = xds_keep_next(keep);
	}
	/* Most lent items were in chunks taken whole. */
	printf("# lent %zu, in shared chunks %zu\n", lent, shared);
	assert_true(shared * 2 > lent);
	while (nlive > 0) {
		size_t k = rnd(nlive);

		snapshot_unref(live[k]);
		live[k] = live[--nlive];
	}
	xds_keep_unref(keep);
	for (size_t i = 0; i < UNIVERSE; i++)
		xds_blob_unref(u->blob[i]);
	free(u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_patches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
