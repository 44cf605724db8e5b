/* An assembled DAG's hosts, clusters and endpoints in shared chunks
 * (src/dag/parts_assemble.c): random changes of parts assembled against a
 * flat model (dag_vhost_at, dag_cluster_at, dag_endpoints_at, struct
 * dag_cursor, dag_array_search), the chunks of older DAGs never written,
 * chunk sizes within bounds, a one-part change copying only a chunk or
 * two of each array, and older DAGs freed in any order (run it under
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
#include "util/sorted.h"
#include "util/xalloc.h"

/* Part i owns keys [i * WIDTH, (i + 1) * WIDTH) (so that the parts in
 * order are in key order), unless two parts swapped their keys. */
#define NPARTS 160
#define WIDTH 40
#define KEYS (NPARTS * WIDTH)
#define ROUNDS 300
#define KEEP 6 /* older assembled DAGs alive at once */

static char names[KEYS][16];
/* The tls of the hosts whose key says so (tls_key): few, so that most
 * chunks have none. */
static struct dag_tls a_tls;

static bool
tls_key(size_t key)
{
	return key % 1000 < 3;
}
static uint64_t rng = 0x2545f4914f6cdd1du;

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

/* Every part made, freed at the end (assembled DAGs borrow them). */
static struct dag **made;
static size_t nmade, made_cap;

/* A part holding a random subset of keys [lo, lo + WIDTH), each element
 * marked with gen (a host's nroutes, an endpoints' n, a cluster's port). */
static struct dag *
part_new(size_t lo, size_t gen)
{
	struct dag *p = xcalloc(1, sizeof *p);
	size_t keys[WIDTH], n = 0;
	unsigned density = (unsigned)below(4); /* 0: empty */

	for (size_t k = 0; k < WIDTH; k++)
		if (density > 0 && below(4) < density)
			keys[n++] = lo + k;
	arena_init_sized(&p->arena, 4096);
	p->vhosts = ARENA_ARRAY(&p->arena, struct dag_vhost, n + 1);
	p->clusters = ARENA_ARRAY(&p->arena, struct dag_cluster *, n + 1);
	p->endpoints = ARENA_ARRAY(&p->arena, struct dag_endpoints *, n + 1);
	for (size_t i = 0; i < n; i++) {
		struct dag_cluster *c = ARENA_NEW(&p->arena, struct dag_cluster);
		struct dag_endpoints *e = ARENA_NEW(&p->arena,
		    struct dag_endpoints);

		p->vhosts[i].fqdn = names[keys[i]];
		p->vhosts[i].nroutes = gen;
		p->vhosts[i].tls = tls_key(keys[i]) ? &a_tls : NULL;
		c->name = names[keys[i]];
		c->port = (uint32_t)gen;
		p->clusters[i] = c;
		/* Fewer endpoints than clusters: not every cluster has one. */
		if (keys[i] % 3 != 0) {
			e->name = names[keys[i]];
			e->n = gen;
			p->endpoints[p->nendpoints++] = e;
		}
	}
	p->nvhosts = p->nclusters = n;
	ARRAY_PUSH(made, nmade, made_cap, p);
	return p;
}

/* One element of the model: its key and gen. */
struct elem {
	size_t key, gen;
};

static int
elem_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* The arrays a fresh union of parts has, sorted. */
struct model {
	struct elem *v[3];
	size_t n[3];
};

static size_t
key_of(const char *name)
{
	return (size_t)strtoul(name + 1, NULL, 10);
}

static void
model_of(struct model *m, struct dag **parts, size_t nparts)
{
	for (int k = 0; k < 3; k++) {
		m->v[k] = xreallocarray(NULL, KEYS + 1, sizeof m->v[k][0]);
		m->n[k] = 0;
	}
	for (size_t i = 0; i < nparts; i++) {
		const struct dag *p = parts[i];

		for (size_t j = 0; j < p->nvhosts; j++)
			m->v[0][m->n[0]++] = (struct elem){
				key_of(p->vhosts[j].fqdn), p->vhosts[j].nroutes };
		for (size_t j = 0; j < p->nclusters; j++)
			m->v[1][m->n[1]++] = (struct elem){
				key_of(p->clusters[j]->name), p->clusters[j]->port };
		for (size_t j = 0; j < p->nendpoints; j++)
			m->v[2][m->n[2]++] = (struct elem){
				key_of(p->endpoints[j]->name), p->endpoints[j]->n };
	}
	for (int k = 0; k < 3; k++)
		qsort(m->v[k], m->n[k], sizeof m->v[k][0], elem_cmp);
}

static void
model_free(struct model *m)
{
	for (int k = 0; k < 3; k++)
		free(m->v[k]);
}

static struct elem
elem_at(const struct dag *d, int k, size_t i)
{
	const struct dag_vhost *vh;
	const struct dag_cluster *c;
	const struct dag_endpoints *e;

	switch (k) {
	case 0:
		vh = dag_vhost_at(d, i);
		return (struct elem){ key_of(vh->fqdn), vh->nroutes };
	case 1:
		c = dag_cluster_at(d, i);
		return (struct elem){ key_of(c->name), c->port };
	default:
		e = dag_endpoints_at(d, i);
		return (struct elem){ key_of(e->name), e->n };
	}
}

static struct elem
elem_of(int k, const void *p)
{
	const struct dag_vhost *vh = p;
	const struct dag_cluster *c = *(struct dag_cluster *const *)p;
	const struct dag_endpoints *e = *(struct dag_endpoints *const *)p;

	if (k == 0)
		return (struct elem){ key_of(vh->fqdn), vh->nroutes };
	if (k == 1)
		return (struct elem){ key_of(c->name), c->port };
	return (struct elem){ key_of(e->name), e->n };
}

static const struct dag_chunks *
chunks_of(const struct dag *d, int k)
{
	return k == 0 ? &d->vhost_chunks : k == 1 ? &d->cluster_chunks :
	    &d->endpoint_chunks;
}

static int
vhost_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct dag_vhost *)elem)->fqdn);
}

static int
cluster_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct dag_cluster *const *)elem)->name);
}

static int
endpoints_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct dag_endpoints *const *)elem)->name);
}

/* d reads as m in every way, in the assembled (chunked) form. */
static void
check(const struct dag *d, const struct model *m)
{
	const size_t counts[3] = { d->nvhosts, d->nclusters, d->nendpoints };
	int (*const cmps[3])(const void *, const void *) = { vhost_key_cmp,
		cluster_key_cmp, endpoints_key_cmp };

	assert_null(d->vhosts);
	assert_null(d->clusters);
	assert_null(d->endpoints);
	for (int k = 0; k < 3; k++) {
		const struct dag_chunks *ch = chunks_of(d, k);
		struct dag_cursor cur;
		size_t total = 0;

		assert_int_equal(counts[k], m->n[k]);
		assert_non_null(ch->c);
		for (size_t c = 0; c < ch->n; c++) {
			assert_int_equal(ch->start[c], total);
			assert_true(ch->c[c]->n >= 1 && ch->c[c]->n <= 512);
			/* The elements are read as structs in place. */
			assert_int_equal((uintptr_t)ch->c[c]->data %
			    _Alignof(max_align_t), 0);
			total += ch->c[c]->n;
		}
		assert_int_equal(ch->start[ch->n], total);
		assert_int_equal(total, m->n[k]);
		/* At random, then in order through a cursor (span never
		 * passes the chunk's end). */
		for (size_t j = 0; j < 64 && m->n[k] > 0; j++) {
			size_t i = below(m->n[k]);
			struct elem e = elem_at(d, k, i);

			assert_int_equal(e.key, m->v[k][i].key);
			assert_int_equal(e.gen, m->v[k][i].gen);
		}
		dag_cursor_init(&cur, d, k);
		for (size_t i = 0; i < m->n[k]; i++) {
			size_t span;
			const void *p = dag_cursor_at(&cur, i, &span);
			struct elem e = elem_of(k, p);

			assert_true(span >= 1 && i + span <= m->n[k]);
			assert_int_equal(e.key, m->v[k][i].key);
			assert_int_equal(e.gen, m->v[k][i].gen);
		}
		/* The hosts with tls through dag_cursor_next_tls: every one
		 * visited, and only chunks without one passed. */
		if (k == DAG_ARRAY_VHOSTS) {
			size_t at = 0;

			for (size_t c = 0; c < ch->n; c++) {
				bool any = false;

				for (size_t i = ch->start[c]; i < ch->start[c + 1]; i++)
					any |= tls_key(m->v[k][i].key);
				assert_int_equal(ch->c[c]->tls, any);
			}
			dag_cursor_init(&cur, d, k);
			for (size_t i = dag_cursor_next_tls(&cur, 0); i < m->n[k];
			    i = dag_cursor_next_tls(&cur, i + 1)) {
				const struct dag_vhost *vh = dag_cursor_at(&cur, i,
				    NULL);

				assert_true(i >= at);
				for (; at < i; at++)
					assert_false(tls_key(m->v[k][at].key));
				assert_int_equal(key_of(vh->fqdn), m->v[k][i].key);
				at = i + 1;
			}
			for (; at < m->n[k]; at++)
				assert_false(tls_key(m->v[k][at].key));
		}
		/* A cursor read backwards finds its chunks too. */
		dag_cursor_init(&cur, d, k);
		for (size_t i = m->n[k]; i-- > 0 && i + 200 > m->n[k];)
			assert_int_equal(elem_of(k, dag_cursor_at(&cur, i,
			    NULL)).key, m->v[k][i].key);
		for (size_t j = 0; j < 32; j++) {
			size_t key = below(KEYS + 1), want = 0;

			if (key == KEYS) /* past every name */
				want = m->n[k];
			else
				while (want < m->n[k] && m->v[k][want].key < key)
					want++;
			assert_int_equal(dag_array_search(d, k,
			    key == KEYS ? "z" : names[key], cmps[k]), want);
		}
	}
}

/* How many of d's chunks of array k are not prev's. */
static size_t
chunks_new(const struct dag *d, const struct dag *prev, int k)
{
	const struct dag_chunks *a = chunks_of(d, k), *b = chunks_of(prev, k);
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++) {
		bool found = false;

		for (size_t j = 0; j < b->n && !found; j++)
			found = a->c[i] == b->c[j];
		n += !found;
	}
	return n;
}

struct kept {
	struct dag *dag;
	struct model m;
};

static void
test_random_assemblies(void **state)
{
	struct dag *parts[NPARTS], *prev_parts[NPARTS];
	size_t lo[NPARTS], pos[NPARTS], blocks = 0, one_part = 0;
	struct part_sums sums = { 0 };
	struct kept kept[KEEP + 1];
	size_t nkept = 0, gen = 1;
	unsigned in_order = 0;
	struct dag *prev = NULL;

	(void)state;
	for (size_t i = 0; i < KEYS; i++)
		snprintf(names[i], sizeof names[i], "k%06zu", i);
	for (size_t i = 0; i < NPARTS; i++) {
		lo[i] = i * WIDTH;
		parts[i] = part_new(lo[i], gen);
	}
	for (size_t round = 0; round < ROUNDS; round++) {
		size_t nch = 0;
		unsigned known = prev != NULL ? in_order : 0;
		struct dag *d;
		struct kept *k;
		struct part_changes chg = { pos, 0 };

		memcpy(prev_parts, parts, sizeof parts);
		gen++;
		if (round > 0) {
			size_t what = below(10);

			if (what < 6) { /* one part: the common change */
				size_t i = below(NPARTS);

				parts[i] = part_new(lo[i], gen);
			} else if (what < 8) { /* several */
				for (size_t j = below(12) + 1; j > 0; j--) {
					size_t i = below(NPARTS);

					parts[i] = part_new(lo[i], gen);
				}
			} else if (what < 9) { /* two swap keys: out of order */
				size_t i = below(NPARTS), j = below(NPARTS), t;

				t = lo[i];
				lo[i] = lo[j];
				lo[j] = t;
				parts[i] = part_new(lo[i], gen);
				parts[j] = part_new(lo[j], gen);
			} else { /* nothing */
			}
		}
		for (size_t i = 0; i < NPARTS; i++)
			if (parts[i] != prev_parts[i])
				pos[chg.n++] = i;
		nch = chg.n;
		d = dag_assemble(parts, NPARTS, prev != NULL ? &chg : NULL, known,
		    &in_order, prev, &sums, &blocks);
		k = &kept[nkept++];
		k->dag = d;
		model_of(&k->m, parts, NPARTS);
		check(d, &k->m);
		/* One part changed, in order: the others' chunks are shared. */
		if (prev != NULL && nch == 1 &&
		    (known & (ASM_VHOSTS | ASM_CLUSTERS | ASM_ENDPOINTS)) ==
		    (ASM_VHOSTS | ASM_CLUSTERS | ASM_ENDPOINTS)) {
			for (int a = 0; a < 3; a++)
				assert_true(chunks_new(d, prev, a) <= 3);
			one_part++;
		}
		prev = d;
		/* Older ones freed in any order, never the newest (the next
		 * prev); those left still read as they did. */
		while (nkept > KEEP || (nkept > 1 && below(3) == 0)) {
			size_t i = below(nkept - 1);

			dag_free(kept[i].dag);
			model_free(&kept[i].m);
			memmove(&kept[i], &kept[i + 1],
			    (nkept - i - 1) * sizeof kept[0]);
			nkept--; /* kept[nkept - 1] is still the newest */
		}
		for (size_t i = 0; i + 1 < nkept; i++)
			check(kept[i].dag, &kept[i].m);
	}
	assert_true(one_part > 20);
	assert_true(blocks > 0);
	for (size_t i = 0; i < nkept; i++) {
		dag_free(kept[i].dag);
		model_free(&kept[i].m);
	}
	for (size_t i = 0; i < nmade; i++)
		dag_free(made[i]);
	free(made);
	part_sums_free(&sums);
}

/* A part of the given counts, for part_sums (nothing else is read). */
static struct dag *
counts_part(const size_t n[ASM_NARRAYS], size_t gateways)
{
	struct dag *p = xcalloc(1, sizeof *p);

	p->nvhosts = n[ASM_ARRAY_VHOSTS];
	p->nclusters = n[ASM_ARRAY_CLUSTERS];
	p->nendpoints = n[ASM_ARRAY_ENDPOINTS];
	p->nsecrets = n[ASM_ARRAY_SECRETS];
	p->ntls_files = n[ASM_ARRAY_TLS_FILES];
	p->nstatuses = n[ASM_ARRAY_STATUSES];
	p->ngateways = gateways;
	return p;
}

static struct dag *
random_counts_part(void)
{
	size_t n[ASM_NARRAYS];

	for (int k = 0; k < ASM_NARRAYS; k++)
		n[k] = below(4) == 0 ? 0 : below(600);
	/* Gateways are rare: most parts have none. */
	return counts_part(n, below(8) == 0 ? below(3) + 1 : 0);
}

/* part_sums read at every place against sums of the parts' counts. */
static void
check_sums(const struct part_sums *s, struct dag **parts, size_t n)
{
	struct part_at want = { { 0 }, 0 };
	size_t next_gw = n;

	assert_int_equal(s->n, n);
	for (size_t i = 0; i <= n; i++) {
		struct part_at got = part_sums_prefix(s, i);

		for (int k = 0; k < ASM_NARRAYS; k++)
			assert_int_equal(got.n[k], want.n[k]);
		assert_int_equal(got.gateways, want.gateways);
		if (i == n)
			break;
		want.n[ASM_ARRAY_VHOSTS] += parts[i]->nvhosts;
		want.n[ASM_ARRAY_CLUSTERS] += parts[i]->nclusters;
		want.n[ASM_ARRAY_ENDPOINTS] += parts[i]->nendpoints;
		want.n[ASM_ARRAY_SECRETS] += parts[i]->nsecrets;
		want.n[ASM_ARRAY_TLS_FILES] += parts[i]->ntls_files;
		want.n[ASM_ARRAY_STATUSES] += parts[i]->nstatuses;
		want.gateways += parts[i]->ngateways;
	}
	for (size_t i = n + 1; i-- > 0;) {
		if (i < n && parts[i]->ngateways > 0)
			next_gw = i;
		assert_int_equal(part_sums_next_gateway(s, i), next_gw);
	}
}

/* The parts' element starts (a Fenwick tree) patched by random
 * replacements of parts, smaller and larger, against a walk over the
 * parts' counts; made anew now and then, of another size. */
static void
test_part_sums_random(void **state)
{
	struct part_sums s = { 0 };
	struct dag **parts = NULL;
	size_t n = 0;

	(void)state;
	for (size_t round = 0; round < 60; round++) {
		if (round % 15 == 0) { /* another tree, of any size */
			for (size_t i = 0; i < n; i++)
				free(parts[i]);
			n = round == 0 ? 0 : below(300) + 1;
			parts = xreallocarray(parts, n + 1, sizeof *parts);
			for (size_t i = 0; i < n; i++)
				parts[i] = random_counts_part();
			part_sums_build(&s, parts, n);
			check_sums(&s, parts, n);
			continue;
		}
		for (size_t j = below(5) + 1; j > 0 && n > 0; j--) {
			size_t i = below(n);
			struct dag *now = random_counts_part();
			struct part_at d;

			d.n[ASM_ARRAY_VHOSTS] = now->nvhosts - parts[i]->nvhosts;
			d.n[ASM_ARRAY_CLUSTERS] = now->nclusters -
			    parts[i]->nclusters;
			d.n[ASM_ARRAY_ENDPOINTS] = now->nendpoints -
			    parts[i]->nendpoints;
			d.n[ASM_ARRAY_SECRETS] = now->nsecrets - parts[i]->nsecrets;
			d.n[ASM_ARRAY_TLS_FILES] = now->ntls_files -
			    parts[i]->ntls_files;
			d.n[ASM_ARRAY_STATUSES] = now->nstatuses -
			    parts[i]->nstatuses;
			d.gateways = now->ngateways - parts[i]->ngateways;
			part_sums_add(&s, i, &d);
			free(parts[i]);
			parts[i] = now;
		}
		check_sums(&s, parts, n);
	}
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
	free(parts);
	part_sums_free(&s);
}

/* Whether a changed place falls in [lo, hi]: a binary search over the
 * places, and NULL (not known) as every place changed. */
static void
test_part_changes_within(void **state)
{
	size_t pos[] = { 3, 7, 8, 20 };
	struct part_changes c = { pos, 4 }, none = { pos, 0 };

	(void)state;
	assert_true(part_changes_within(NULL, 0, 0));
	assert_false(part_changes_within(&none, 0, 100));
	assert_false(part_changes_within(&c, 0, 2));
	assert_true(part_changes_within(&c, 0, 3));
	assert_true(part_changes_within(&c, 3, 3));
	assert_false(part_changes_within(&c, 4, 6));
	assert_true(part_changes_within(&c, 4, 7));
	assert_true(part_changes_within(&c, 8, 19));
	assert_false(part_changes_within(&c, 9, 19));
	assert_true(part_changes_within(&c, 20, 30));
	assert_false(part_changes_within(&c, 21, 30));
}

/* A DAG that is not assembled (a group's, a fresh build's) reads through
 * the same calls. */
static void
test_flat_form(void **state)
{
	struct dag *p;
	struct dag_cursor cur;
	size_t span;

	(void)state;
	for (size_t i = 0; i < KEYS; i++)
		snprintf(names[i], sizeof names[i], "k%06zu", i);
	do
		p = part_new(0, 7);
	while (p->nvhosts < 2);
	assert_ptr_equal(dag_vhost_at(p, 1), &p->vhosts[1]);
	assert_ptr_equal(dag_cluster_at(p, 1), p->clusters[1]);
	dag_cursor_init(&cur, p, DAG_ARRAY_VHOSTS);
	assert_ptr_equal(dag_cursor_at(&cur, 0, &span), &p->vhosts[0]);
	assert_int_equal(span, p->nvhosts);
	assert_int_equal(dag_array_search(p, DAG_ARRAY_VHOSTS, "z",
	    vhost_key_cmp), p->nvhosts);
	for (size_t i = 0; i < nmade; i++)
		dag_free(made[i]);
	free(made);
	made = NULL;
	nmade = made_cap = 0;
}

/* An assembled DAG's parts in chunks (dag_part_at): random changes of
 * a few parts, often at a chunk's first or last place, against a flat
 * copy; a chunk no changed place falls in is the last DAG's own, the
 * others are new; older DAGs still read their parts when newer ones
 * come and go; a build with another count of parts makes every chunk
 * anew. The parts hold nothing (only the parts' pointers are read). */
static void
test_part_chunks_random(void **state)
{
	enum { MOST = 4 * DAG_PART_CHUNK + 37, NEW_PARTS = 64 };
	struct dag *pool[NEW_PARTS];
	struct dag *parts[MOST], *prev_parts[MOST];
	size_t pos[MOST], zero[ASM_NARRAYS] = { 0 }, blocks = 0, n = MOST;
	struct part_sums sums = { 0 };
	struct { struct dag *dag; struct dag **copy; size_t n; } kept[KEEP + 1];
	size_t nkept = 0, shared = 0;
	unsigned in_order = 0;
	struct dag *prev = NULL;

	(void)state;
	for (size_t i = 0; i < NEW_PARTS; i++)
		pool[i] = counts_part(zero, 0);
	for (size_t i = 0; i < MOST; i++)
		parts[i] = pool[below(NEW_PARTS)];
	for (size_t round = 0; round < ROUNDS; round++) {
		struct part_changes chg = { pos, 0 };
		size_t nprev = n, what = below(10);
		struct dag *d;

		memcpy(prev_parts, parts, sizeof parts);
		if (what < 7) { /* a few places, chunk edges often */
			for (size_t j = below(3) + 1; j > 0; j--) {
				size_t c = below(n / DAG_PART_CHUNK + 1);
				size_t i = below(2) ? c * DAG_PART_CHUNK +
				    (below(2) ? DAG_PART_CHUNK - 1 : 0) :
				    below(n);

				if (i >= n)
					i = n - 1;
				parts[i] = pool[below(NEW_PARTS)];
			}
		} else if (what < 8) { /* another count of parts */
			n = MOST - below(DAG_PART_CHUNK + 1);
			for (size_t i = 0; i < n; i++)
				parts[i] = pool[below(NEW_PARTS)];
		}
		if (n == nprev)
			for (size_t i = 0; i < n; i++)
				if (parts[i] != prev_parts[i])
					pos[chg.n++] = i;
		d = dag_assemble(parts, n, prev != NULL && n == nprev ? &chg :
		    NULL, 0, &in_order, prev, &sums, &blocks);
		assert_int_equal(d->nparts, n);
		for (size_t i = 0; i < n; i++)
			assert_ptr_equal(dag_part_at(d, i), parts[i]);
		for (size_t c = 0; c * DAG_PART_CHUNK < n; c++) {
			size_t lo = c * DAG_PART_CHUNK, hi = lo + DAG_PART_CHUNK;
			bool touched = prev == NULL || n != nprev;

			for (size_t k = 0; k < chg.n && !touched; k++)
				touched = pos[k] >= lo && pos[k] < hi;
			if (touched) {
				for (size_t k = 0; prev != NULL &&
				    k * DAG_PART_CHUNK < prev->nparts; k++)
					assert_ptr_not_equal(d->part_chunks[c],
					    prev->part_chunks[k]);
			} else {
				assert_ptr_equal(d->part_chunks[c],
				    prev->part_chunks[c]);
				shared++;
			}
		}
		kept[nkept].dag = d;
		kept[nkept].copy = xmemdup(parts, n * sizeof parts[0]);
		kept[nkept++].n = n;
		prev = d;
		while (nkept > KEEP || (nkept > 1 && below(3) == 0)) {
			size_t i = below(nkept - 1);

			dag_free(kept[i].dag);
			free(kept[i].copy);
			memmove(&kept[i], &kept[i + 1],
			    (nkept - i - 1) * sizeof kept[0]);
			nkept--;
		}
		for (size_t i = 0; i < nkept; i++)
			for (size_t j = 0; j < kept[i].n; j++)
				assert_ptr_equal(dag_part_at(kept[i].dag, j),
				    kept[i].copy[j]);
	}
	assert_true(shared > ROUNDS);
	for (size_t i = 0; i < nkept; i++) {
		dag_free(kept[i].dag);
		free(kept[i].copy);
	}
	for (size_t i = 0; i < NEW_PARTS; i++)
		dag_free(pool[i]);
	part_sums_free(&sums);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_form),
		cmocka_unit_test(test_random_assemblies),
		cmocka_unit_test(test_part_sums_random),
		cmocka_unit_test(test_part_changes_within),
		cmocka_unit_test(test_part_chunks_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
