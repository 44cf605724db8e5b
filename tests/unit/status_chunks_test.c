/* An assembled DAG's statuses in shared chunks (src/dag/parts_statuses.c):
 * random patches against a flat model, chunks shared with older DAGs never
 * written, the chunk sizes kept within bounds, a small change copying
 * only a chunk or two, and older DAGs freed in any order (run it under
 * valgrind or ASan for the last). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dag/dag.h"
#include "dag/parts_internal.h"
#include "util/xalloc.h"

/* Keys are ids: the kind, namespace and name of id are fixed, so two
 * statuses of one id have equal keys. A status's not_after says which
 * edit put it there. */
#define IDS 20000
#define NSPACES 7

static char names[IDS][16];
static char spaces[NSPACES][8];
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t
below(size_t n)
{
	return (size_t)(next_rand() % n);
}

static void
make_names(void)
{
	for (size_t i = 0; i < IDS; i++)
		snprintf(names[i], sizeof names[i], "n%05zu", i);
	for (size_t i = 0; i < NSPACES; i++)
		snprintf(spaces[i], sizeof spaces[i], "ns%zu", i);
}

static struct dag_object_status
status_of(size_t id, int64_t gen)
{
	return (struct dag_object_status){
		.kind = (enum obj_kind)(id % 3),
		.status = (enum dag_status)(id % 3),
		.namespace = spaces[(id / 3) % NSPACES],
		.name = names[id],
		.origin = { .file = "f.yaml", .line = 1, .col = 1 },
		.not_after = gen,
	};
}

/* The model: statuses sorted, and which ids are in. */
struct model {
	struct dag_object_status *s;
	size_t n;
	bool in[IDS];
};

static struct dag_object_status *
copy_of(const struct model *m)
{
	return xmemdup(m->s, (m->n + 1) * sizeof m->s[0]);
}

static void
model_sort(struct model *m)
{
	qsort(m->s, m->n, sizeof m->s[0], dag_status_cmp);
}

static struct dag *
dag_new_with(size_t n)
{
	struct dag *d = xcalloc(1, sizeof *d);

	d->nstatuses = n;
	return d;
}

/* d reads exactly s[0..n): by the iterator and by index. */
static void
assert_reads(const struct dag *d, const struct dag_object_status *s, size_t n)
{
	struct dag_status_iter it;
	const struct dag_object_status *st;
	size_t i = 0;

	assert_int_equal(d->nstatuses, n);
	dag_status_iter_init(&it, d);
	while ((st = dag_status_next(&it)) != NULL) {
		assert_true(i < n);
		assert_int_equal(dag_status_cmp(st, &s[i]), 0);
		assert_int_equal(st->not_after, s[i].not_after);
		assert_ptr_equal(st->name, s[i].name);
		i++;
	}
	assert_int_equal(i, n);
	for (int k = 0; k < 20 && n > 0; k++) {
		size_t j = below(n);

		assert_ptr_equal(dag_status_at(d, j)->name, s[j].name);
		assert_int_equal(dag_status_at(d, j)->not_after, s[j].not_after);
	}
}

/* Chunks start where the counts say; none empty or above the most; all
 * but the last at least the least (so lookups stay a search over few
 * chunks and a change copies few statuses). */
static void
assert_chunk_bounds(const struct dag *d)
{
	size_t at = 0;

	assert_non_null(d->status_chunks);
	for (size_t c = 0; c < d->nstatus_chunks; c++) {
		const struct dag_status_chunk *ch = d->status_chunks[c];

		assert_int_equal(d->status_chunk_start[c], at);
		assert_true(ch->n >= 1 && ch->n <= STATUS_CHUNK_MAX);
		if (c + 1 < d->nstatus_chunks)
			assert_true(ch->n >= STATUS_CHUNK_MIN);
		at += ch->n;
	}
	assert_int_equal(d->status_chunk_start[d->nstatus_chunks], at);
	assert_int_equal(at, d->nstatuses);
}

/* How many of d's chunks are not among prev's (copied by the patch). */
static size_t
chunks_new(const struct dag *d, const struct dag *prev)
{
	size_t n = 0;

	for (size_t c = 0; c < d->nstatus_chunks; c++) {
		bool shared = false;

		for (size_t k = 0; k < prev->nstatus_chunks && !shared; k++)
			shared = d->status_chunks[c] == prev->status_chunks[k];
		n += !shared;
	}
	return n;
}

/* A DAG kept alive, with a copy of what it read when made. */
struct held {
	struct dag *dag;
	struct dag_object_status *copy;
	size_t n;
};

#define HELD 6

static void
held_check_free(struct held *h)
{
	assert_reads(h->dag, h->copy, h->n);
	dag_free(h->dag);
	free(h->copy);
	*h = (struct held){ 0 };
}

/* One edit of the model: ndel statuses taken out (near each other when
 * clustered), nadd new ids put in, nrep replaced by a status of the same
 * key from this edit. Fills del and add, sorted. */
static void
edit(struct model *m, int64_t gen, size_t ndel, size_t nadd, size_t nrep,
    bool clustered, struct dag_object_status **del, size_t *nd,
    struct dag_object_status **add, size_t *na)
{
	size_t from = m->n > 0 ? below(m->n) : 0;

	*del = xreallocarray(NULL, ndel + nrep + 1, sizeof **del);
	*add = xreallocarray(NULL, nadd + nrep + 1, sizeof **add);
	*nd = *na = 0;
	for (size_t k = 0; k < ndel + nrep && m->n > 0; k++) {
		size_t j = clustered ? (from + k) % m->n : below(m->n);
		size_t id = (size_t)(m->s[j].name - names[0]) / sizeof names[0];

		if (!m->in[id])
			continue; /* taken already in this edit */
		m->in[id] = false;
		(*del)[(*nd)++] = m->s[j];
		if (k >= ndel)
			(*add)[(*na)++] = status_of(id, gen);
	}
	for (size_t k = 0; k < nadd; k++) {
		size_t id = clustered && *nd > 0 ?
		    ((size_t)((*del)[0].name - names[0]) / sizeof names[0] + 3 * k +
		    1 + below(3)) % IDS : below(IDS);
		bool taken = m->in[id];

		for (size_t q = 0; q < *na && !taken; q++)
			taken = (*add)[q].name == names[id];
		if (taken)
			continue;
		(*add)[(*na)++] = status_of(id, gen);
	}
	/* The model after: the statuses not deleted, then the added. */
	{
		size_t w = 0;

		for (size_t i = 0; i < m->n; i++) {
			size_t id = (size_t)(m->s[i].name - names[0]) /
			    sizeof names[0];

			if (m->in[id])
				m->s[w++] = m->s[i];
		}
		m->n = w;
		for (size_t i = 0; i < *na; i++) {
			size_t id = (size_t)((*add)[i].name - names[0]) /
			    sizeof names[0];

			m->in[id] = true;
			m->s[m->n++] = (*add)[i];
		}
		model_sort(m);
	}
	qsort(*del, *nd, sizeof **del, dag_status_cmp);
	qsort(*add, *na, sizeof **add, dag_status_cmp);
}

static void
test_random_patches_equal_flat(void **state)
{
	struct model *m = xcalloc(1, sizeof *m);
	struct held held[HELD] = { 0 };
	struct dag *prev;
	size_t small = 0, small_copied = 0;

	(void)state;
	make_names();
	m->s = xreallocarray(NULL, IDS + 1, sizeof m->s[0]);
	for (size_t id = 0; id < IDS; id += 2) {
		m->in[id] = true;
		m->s[m->n++] = status_of(id, 0);
	}
	model_sort(m);
	prev = dag_new_with(m->n);
	dag_status_chunks_set(prev, m->s, m->n);
	assert_chunk_bounds(prev);
	assert_reads(prev, m->s, m->n);
	held[0] = (struct held){ prev, copy_of(m), m->n };
	for (int64_t gen = 1; gen <= 400; gen++) {
		struct dag_object_status *del, *add;
		size_t nd, na, r = below(20), slot, made;
		size_t ndel, nadd, nrep;
		bool clustered = below(2) == 0;
		struct dag *d;

		if (r < 12) { /* a one-file change: a few statuses */
			ndel = below(3);
			nadd = below(3);
			nrep = below(3);
		} else if (r < 16) { /* a file of many objects came or went */
			ndel = below(2) ? 0 : 300 + below(900);
			nadd = ndel ? 0 : 300 + below(900);
			nrep = 0;
		} else { /* many scattered */
			ndel = below(200);
			nadd = below(200);
			nrep = below(50);
		}
		if (m->n < 2000)
			ndel = 0; /* keep the tree from emptying */
		edit(m, gen, ndel, nadd, nrep, clustered, &del, &nd, &add, &na);
		d = dag_new_with(m->n);
		assert_true(dag_status_chunks_patch(d, prev, del, nd, add, na,
		    &made));
		assert_int_equal(made, chunks_new(d, prev));
		assert_chunk_bounds(d);
		assert_reads(d, m->s, m->n);
		if (nd + na <= 2 && nd + na > 0) {
			size_t copied = chunks_new(d, prev);

			small++;
			small_copied += copied;
			/* The chunk of each, its small rest merged into the
			 * next one and that split. */
			assert_true(copied <= 2 * (nd + na));
		}
		/* Every DAG still held reads what it read when made: the
		 * shared chunks were not written. */
		for (size_t h = 0; h < HELD; h++)
			if (held[h].dag != NULL)
				assert_reads(held[h].dag, held[h].copy, held[h].n);
		/* Hold the new one; let go of a random other, any age. */
		slot = HELD;
		for (size_t h = 0; h < HELD && slot == HELD; h++)
			if (held[h].dag == NULL)
				slot = h;
		if (slot == HELD) {
			do
				slot = below(HELD);
			while (held[slot].dag == prev);
			held_check_free(&held[slot]);
		}
		held[slot] = (struct held){ d,
			copy_of(m), m->n };
		prev = d;
		free(del);
		free(add);
	}
	/* A one-file change copies about one chunk of ~10,000 statuses. */
	assert_true(small > 50);
	assert_true(small_copied <= 2 * small);
	for (size_t h = 0; h < HELD; h++)
		if (held[h].dag != NULL)
			held_check_free(&held[h]);
	free(m->s);
	free(m);
}

/* What cannot be patched is refused, and nothing of prev is changed or
 * leaked (valgrind). */
static void
test_patch_refused(void **state)
{
	struct dag_object_status s[1000], x;
	struct dag *prev = dag_new_with(0), *d;
	size_t n = 0, j;

	(void)state;
	make_names();
	for (size_t id = 0; id < 3000; id += 3)
		s[n++] = status_of(id, 0);
	qsort(s, n, sizeof s[0], dag_status_cmp);
	prev->nstatuses = n;
	dag_status_chunks_set(prev, s, n);
	/* A status to take out that is not there. */
	x = status_of(1, 0);
	d = dag_new_with(n - 1);
	assert_false(dag_status_chunks_patch(d, prev, &x, 1, NULL, 0, NULL));
	assert_null(d->status_chunks);
	dag_free(d);
	/* One to put in whose key stays. */
	x = status_of(3, 5);
	d = dag_new_with(n + 1);
	assert_false(dag_status_chunks_patch(d, prev, NULL, 0, &x, 1, NULL));
	assert_null(d->status_chunks);
	dag_free(d);
	/* A count that does not add up. */
	x = status_of(3, 0);
	d = dag_new_with(n);
	assert_false(dag_status_chunks_patch(d, prev, &x, 1, NULL, 0, NULL));
	dag_free(d);
	/* The same key taken out and put in: fine, and the new one read. */
	x = status_of(3, 7);
	d = dag_new_with(n);
	{
		struct dag_object_status old = status_of(3, 0);

		assert_true(dag_status_chunks_patch(d, prev, &old, 1, &x, 1, NULL));
	}
	for (j = 0; s[j].name != names[3]; j++)
		continue;
	assert_int_equal(dag_status_at(d, j)->not_after, 7);
	assert_int_equal(dag_status_at(prev, j)->not_after, 0);
	assert_reads(prev, s, n);
	dag_free(prev); /* before the newer: its chunks stay */
	s[j].not_after = 7;
	assert_reads(d, s, n);
	dag_free(d);
}

/* A built DAG's flat statuses read through the same accessors; an
 * empty chunked DAG reads nothing. */
static void
test_flat_and_empty(void **state)
{
	struct dag_object_status s[3];
	struct dag *d = dag_new_with(3), *e = dag_new_with(0), *f;

	(void)state;
	make_names();
	for (size_t i = 0; i < 3; i++)
		s[i] = status_of(i * 3, 0);
	d->statuses = s;
	assert_reads(d, s, 3);
	assert_ptr_equal(dag_status_at(d, 2), &s[2]);
	d->statuses = NULL;
	dag_free(d);
	dag_status_chunks_set(e, NULL, 0);
	assert_non_null(e->status_chunks);
	assert_reads(e, s, 0);
	/* Statuses put into an empty chunked DAG. */
	f = dag_new_with(3);
	assert_true(dag_status_chunks_patch(f, e, NULL, 0, s, 3, NULL));
	assert_reads(f, s, 3);
	dag_free(e);
	dag_free(f);
}

/* A status put in after the last, and one taken out at the first and
 * at a chunk's edge: every chunk no change falls in is shared (the walk
 * passes runs of them without a look at each), the others copied, and
 * the result reads as the model. */
static void
test_patch_at_the_ends(void **state)
{
	enum { N = 3000 };
	struct dag_object_status *s = xreallocarray(NULL, N + 1, sizeof *s);
	struct dag_object_status del[2], add;
	struct dag *prev = dag_new_with(0), *d, *e;
	size_t n = 0, made, edge;

	(void)state;
	make_names();
	for (size_t id = 0; id < 3 * N; id += 3) /* kind 0 alone */
		s[n++] = status_of(id, 0);
	qsort(s, n, sizeof s[0], dag_status_cmp);
	prev->nstatuses = n;
	dag_status_chunks_set(prev, s, n);
	assert_true(prev->nstatus_chunks >= 6);
	/* Kind 1 sorts after every kind 0: it joins the last chunk. */
	add = status_of(1, 1);
	d = dag_new_with(n + 1);
	assert_true(dag_status_chunks_patch(d, prev, NULL, 0, &add, 1, &made));
	assert_int_equal(made, 1);
	assert_int_equal(chunks_new(d, prev), 1);
	for (size_t c = 0; c + 1 < prev->nstatus_chunks; c++)
		assert_ptr_equal(d->status_chunks[c], prev->status_chunks[c]);
	s[n] = add;
	assert_reads(d, s, n + 1);
	/* The first status and the first of the fourth chunk taken out:
	 * the first and fourth chunks copied, those between and after
	 * shared. */
	edge = d->status_chunk_start[3];
	del[0] = s[0];
	del[1] = s[edge];
	e = dag_new_with(n - 1);
	assert_true(dag_status_chunks_patch(e, d, del, 2, NULL, 0, &made));
	assert_int_equal(made, 2);
	assert_ptr_equal(e->status_chunks[1], d->status_chunks[1]);
	assert_ptr_equal(e->status_chunks[2], d->status_chunks[2]);
	assert_ptr_equal(e->status_chunks[4], d->status_chunks[4]);
	memmove(&s[edge], &s[edge + 1], (n - edge) * sizeof s[0]);
	memmove(&s[0], &s[1], (n - 1) * sizeof s[0]);
	assert_reads(e, s, n - 1);
	dag_free(prev);
	dag_free(d);
	dag_free(e);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_patches_equal_flat),
		cmocka_unit_test(test_patch_refused),
		cmocka_unit_test(test_flat_and_empty),
		cmocka_unit_test(test_patch_at_the_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
