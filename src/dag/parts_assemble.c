/* Assembly of an incremental build's DAG from its parts (parts.c): the
 * sorted runs one per part, the Gateways merged by name, and the arrays
 * patched from the last assembly where parts kept their place
 * (patch_runs). The statuses are assembled in parts_statuses.c. */
#include "dag/parts_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/sorted.h"
#include "util/xalloc.h"

bool
part_changes_within(const struct part_changes *c, size_t lo, size_t hi)
{
	size_t a = 0, b;

	if (c == NULL)
		return true;
	b = c->n;
	while (a < b) { /* the first position not below lo */
		size_t mid = a + (b - a) / 2;

		if (c->pos[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < c->n && c->pos[a] <= hi;
}

void
parts_runs_init(struct runs *r, void *base, size_t elem,
    int (*cmp)(const void *, const void *), const struct part_changes *changed)
{
	*r = (struct runs){ .base = base, .elem = elem, .cmp = cmp, .sorted = true,
		.changed = changed };
}

/* The run src[0..n) of part i. Two runs of parts that were assembled
 * in order last time, with no other part between them changed since,
 * are in order again: no comparison. */
void
parts_runs_add(struct runs *r, const void *src, size_t n, size_t i)
{
	if (n == 0)
		return;
	if (r->n > 0 && r->sorted && !r->known &&
	    part_changes_within(r->changed, r->last, i) &&
	    r->cmp(r->base + (r->n - 1) * r->elem, src) > 0)
		r->sorted = false;
	memcpy(r->base + r->n * r->elem, src, n * r->elem);
	r->n += n;
	r->last = i;
	r->known = false;
}

size_t
parts_runs_finish(struct runs *r)
{
	if (!r->sorted && r->n > 1)
		qsort(r->base, r->n, r->elem, r->cmp);
	return r->n;
}

static int
gateway_cmp(const void *a, const void *b)
{
	const struct dag_gateway *x = a, *y = b;
	int c = strcmp(x->namespace, y->namespace);

	return c != 0 ? c : strcmp(x->name, y->name);
}

/* Gateways of several groups (object_keys): merged in name order. The
 * parts that have some are found in sums (this assembly's, n Gateways in
 * all): the others are not read. */
static void
gateways_assemble(struct dag *dag, struct dag **parts, size_t nparts,
    const struct part_sums *sums, size_t n)
{
	if (n == 0)
		return;
	dag->gateways = ARENA_ARRAY(&dag->arena, struct dag_gateway, n);
	for (size_t i = part_sums_next_gateway(sums, 0); i < nparts;
	    i = part_sums_next_gateway(sums, i + 1)) {
		memcpy(dag->gateways + dag->ngateways, parts[i]->gateways,
		    parts[i]->ngateways * sizeof dag->gateways[0]);
		dag->ngateways += parts[i]->ngateways;
	}
	if (n > 1)
		qsort(dag->gateways, n, sizeof dag->gateways[0], gateway_cmp);
}

/* The arrays dag_assemble makes from runs: where each lives in struct
 * dag, its element and order. Statuses are merged kind by kind
 * (parts_statuses_assemble); their entry only counts. */
struct asm_array {
	size_t base, count, elem;
	int (*cmp)(const void *, const void *);
	unsigned bit;
};

static const struct asm_array asm_arrays[ASM_NARRAYS] = {
	[ASM_ARRAY_VHOSTS] = { offsetof(struct dag, vhosts),
		offsetof(struct dag, nvhosts), sizeof(struct dag_vhost),
		dag_vhost_cmp, ASM_VHOSTS },
	[ASM_ARRAY_CLUSTERS] = { offsetof(struct dag, clusters),
		offsetof(struct dag, nclusters), sizeof(struct dag_cluster *),
		dag_cluster_ptr_cmp, ASM_CLUSTERS },
	[ASM_ARRAY_ENDPOINTS] = { offsetof(struct dag, endpoints),
		offsetof(struct dag, nendpoints), sizeof(struct dag_endpoints *),
		dag_endpoints_ptr_cmp, ASM_ENDPOINTS },
	[ASM_ARRAY_SECRETS] = { offsetof(struct dag, secrets),
		offsetof(struct dag, nsecrets), sizeof(struct dag_secret *),
		dag_secret_ptr_cmp, ASM_SECRETS },
	[ASM_ARRAY_TLS_FILES] = { offsetof(struct dag, tls_files),
		offsetof(struct dag, ntls_files), sizeof(const char *),
		sorted_str_cmp, ASM_TLS_FILES },
	[ASM_ARRAY_STATUSES] = { offsetof(struct dag, statuses),
		offsetof(struct dag, nstatuses), sizeof(struct dag_object_status),
		dag_status_cmp, ASM_STATUSES },
};

static char *
asm_base(const struct dag *d, int k)
{
	return *(char *const *)((const char *)d + asm_arrays[k].base);
}

static size_t *
asm_count(struct dag *d, int k)
{
	return (size_t *)((char *)d + asm_arrays[k].count);
}

/* A run of the last assembled array: parts first..last, all at the same
 * position as last time, whose elements lie together there. Inside it
 * the order is the last assembly's. */
static void
runs_add_block(struct runs *r, const void *src, size_t n, size_t first,
    size_t last)
{
	if (n == 0)
		return;
	parts_runs_add(r, src, n, first);
	r->last = last;
}

/* --- where the parts' elements start -------------------------------- */

static struct part_at
part_counts(const struct dag *p)
{
	struct part_at c;

	for (int k = 0; k < ASM_NARRAYS; k++)
		c.n[k] = *asm_count((struct dag *)p, k);
	c.gateways = p->ngateways;
	return c;
}

static void
part_at_add(struct part_at *to, const struct part_at *d)
{
	for (int k = 0; k < ASM_NARRAYS; k++)
		to->n[k] += d->n[k];
	to->gateways += d->gateways;
}

/* to - from, wrapping (a part that shrank). */
static struct part_at
part_at_sub(const struct part_at *to, const struct part_at *from)
{
	struct part_at d;

	for (int k = 0; k < ASM_NARRAYS; k++)
		d.n[k] = to->n[k] - from->n[k];
	d.gateways = to->gateways - from->gateways;
	return d;
}

static size_t
lowbit(size_t j)
{
	return j & (~j + 1);
}

void
part_sums_build(struct part_sums *s, struct dag **parts, size_t n)
{
	if (s->cap < n + 1) {
		s->cap = n + n / 4 + 1;
		free(s->t);
		s->t = xreallocarray(NULL, s->cap, sizeof *s->t);
	}
	s->n = n;
	for (size_t j = 1; j <= n; j++)
		s->t[j] = part_counts(parts[j - 1]);
	/* Each node adds itself into its parent: O(n), no query. */
	for (size_t j = 1; j <= n; j++)
		if (j + lowbit(j) <= n)
			part_at_add(&s->t[j + lowbit(j)], &s->t[j]);
}

struct part_at
part_sums_prefix(const struct part_sums *s, size_t i)
{
	struct part_at sum = { { 0 }, 0 };

	for (size_t j = i; j > 0; j -= lowbit(j))
		part_at_add(&sum, &s->t[j]);
	return sum;
}

void
part_sums_add(struct part_sums *s, size_t i, const struct part_at *d)
{
	for (size_t j = i + 1; j <= s->n; j += lowbit(j))
		part_at_add(&s->t[j], d);
}

size_t
part_sums_next_gateway(const struct part_sums *s, size_t i)
{
	size_t want = part_sums_prefix(s, i).gateways, at = 0, step = 1;

	if (i >= s->n)
		return s->n;
	while (step * 2 <= s->n)
		step *= 2;
	/* The most parts from the start whose Gateways are no more than
	 * those before i: the part after them is the first with one. */
	for (; step > 0; step /= 2)
		if (at + step <= s->n && s->t[at + step].gateways <= want) {
			at += step;
			want -= s->t[at].gateways;
		}
	return at;
}

void
part_sums_free(struct part_sums *s)
{
	free(s->t);
	*s = (struct part_sums){ 0 };
}

/* A build's changed parts against the last assembly's (struct part_sums
 * before this build): where each changed part's elements started last
 * time, its old and new counts, and the totals before and after. The
 * unchanged runs between them are blocks of the last arrays. */
struct part_plan {
	const size_t *pos;
	size_t m;
	struct part_at *lo, *was, *now;
	struct part_at old_total, total;
};

static void
plan_make(struct part_plan *pl, const struct part_changes *chg,
    struct dag **parts, const struct dag *prev, const struct part_sums *sums)
{
	pl->pos = chg->pos;
	pl->m = chg->n;
	pl->lo = xreallocarray(NULL, 3 * chg->n + 1, sizeof *pl->lo);
	pl->was = pl->lo + chg->n;
	pl->now = pl->was + chg->n;
	pl->old_total = part_sums_prefix(sums, sums->n);
	pl->total = pl->old_total;
	for (size_t c = 0; c < pl->m; c++) {
		struct part_at d;

		pl->lo[c] = part_sums_prefix(sums, pl->pos[c]);
		pl->was[c] = part_counts(dag_part_at(prev, pl->pos[c]));
		pl->now[c] = part_counts(parts[pl->pos[c]]);
		d = part_at_sub(&pl->now[c], &pl->was[c]);
		part_at_add(&pl->total, &d);
	}
}

/* The unchanged run before the c-th changed part (c == m: the run after
 * the last): its parts [*first, *end) and its elements [*s, *e) of the
 * last assembly's array k. False when it holds no part. */
static bool
plan_block(const struct part_plan *pl, size_t c, int k, size_t nparts,
    size_t *first, size_t *end, size_t *s, size_t *e)
{
	*first = c == 0 ? 0 : pl->pos[c - 1] + 1;
	*end = c < pl->m ? pl->pos[c] : nparts;
	*s = c == 0 ? 0 : pl->lo[c - 1].n[k] + pl->was[c - 1].n[k];
	*e = c < pl->m ? pl->lo[c].n[k] : pl->old_total.n[k];
	return *first < *end;
}

/* sums made this assembly's: the changed parts' counts moved. */
static void
plan_apply(const struct part_plan *pl, struct part_sums *sums)
{
	for (size_t c = 0; c < pl->m; c++) {
		struct part_at d = part_at_sub(&pl->now[c], &pl->was[c]);

		part_sums_add(sums, pl->pos[c], &d);
	}
}

/* Array k of dag from parts: the runs of parts at the same positions as
 * in the last assembly (prev, in order for k: its array is the
 * concatenation of its parts') are blocks copied from prev; the changed
 * parts are copied part by part. */
static void
patch_runs(int k, struct dag **parts, size_t nparts,
    const struct part_plan *pl, const struct dag *prev, struct runs *r,
    size_t *blocks)
{
	const char *old = asm_base(prev, k);
	size_t elem = asm_arrays[k].elem;

	for (size_t c = 0; c <= pl->m; c++) {
		size_t first, end, s, e;

		if (plan_block(pl, c, k, nparts, &first, &end, &s, &e)) {
			runs_add_block(r, old + s * elem, e - s, first, end - 1);
			(*blocks)++;
		}
		if (c < pl->m)
			parts_runs_add(r, asm_base(parts[pl->pos[c]], k),
			    *asm_count(parts[pl->pos[c]], k), pl->pos[c]);
	}
}

/* --- the hosts', clusters' and endpoints' chunks ------------------------ */

/* Chunk sizes in elements, as the statuses' (parts_internal.h): a patch
 * copies what it changes into a chunk of its own, carries a copy smaller
 * than ARR_CHUNK_MIN into its next neighbour's and splits one larger
 * than ARR_CHUNK_MAX into chunks of ARR_CHUNK_FILL. */
#define ARR_CHUNK_MAX 512
#define ARR_CHUNK_FILL 384
#define ARR_CHUNK_MIN 128

static const size_t arr_elem[3] = { sizeof(struct dag_vhost),
	sizeof(struct dag_cluster *), sizeof(struct dag_endpoints *) };

static const struct dag_chunks *
arr_chunks(const struct dag *d, int which)
{
	return which == DAG_ARRAY_VHOSTS ? &d->vhost_chunks :
	    which == DAG_ARRAY_CLUSTERS ? &d->cluster_chunks : &d->endpoint_chunks;
}

static const unsigned char *
arr_flat(const struct dag *d, int which, size_t *n)
{
	switch (which) {
	case DAG_ARRAY_VHOSTS:
		*n = d->nvhosts;
		return (const unsigned char *)d->vhosts;
	case DAG_ARRAY_CLUSTERS:
		*n = d->nclusters;
		return (const unsigned char *)d->clusters;
	default:
		*n = d->nendpoints;
		return (const unsigned char *)d->endpoints;
	}
}

/* The chunk holding element i (< the total). */
static size_t
chunk_of(const struct dag_chunks *ch, size_t i)
{
	return sorted_chunk_of(ch->start, ch->n, i);
}

void
dag_cursor_init(struct dag_cursor *c, const struct dag *dag, int which)
{
	size_t n;
	const unsigned char *flat = arr_flat(dag, which, &n);

	*c = (struct dag_cursor){ .elem = arr_elem[which], .total = n };
	if (flat != NULL || arr_chunks(dag, which)->c == NULL) {
		c->base = flat;
		c->hi = flat != NULL ? n : 0;
		return;
	}
	c->ch = arr_chunks(dag, which);
}

const void *
dag_cursor_slow(struct dag_cursor *c, size_t i)
{
	const struct dag_chunks *ch = c->ch;
	size_t k;

	if (ch == NULL || i >= c->total)
		return NULL;
	/* Reading in order: the next chunk, else a search. */
	k = c->hi == i && c->base != NULL && c->chunk + 1 < ch->n ?
	    c->chunk + 1 : chunk_of(ch, i);
	c->chunk = k;
	c->lo = ch->start[k];
	c->hi = ch->start[k + 1];
	c->base = ch->c[k]->data;
	return c->base + (i - c->lo) * c->elem;
}

static const void *
arr_at(const struct dag *dag, int which, size_t i)
{
	size_t n;
	const unsigned char *flat = arr_flat(dag, which, &n);
	const struct dag_chunks *ch;
	size_t k;

	if (flat != NULL)
		return flat + i * arr_elem[which];
	ch = arr_chunks(dag, which);
	k = chunk_of(ch, i);
	return ch->c[k]->data + (i - ch->start[k]) * arr_elem[which];
}

const struct dag_vhost *
dag_vhost_at(const struct dag *dag, size_t i)
{
	return arr_at(dag, DAG_ARRAY_VHOSTS, i);
}

struct dag_cluster *
dag_cluster_at(const struct dag *dag, size_t i)
{
	return *(struct dag_cluster *const *)arr_at(dag, DAG_ARRAY_CLUSTERS, i);
}

struct dag_endpoints *
dag_endpoints_at(const struct dag *dag, size_t i)
{
	return *(struct dag_endpoints *const *)arr_at(dag, DAG_ARRAY_ENDPOINTS,
	    i);
}

size_t
dag_array_search(const struct dag *dag, int which, const void *key,
    int (*cmp)(const void *key, const void *elem))
{
	size_t n, elem = arr_elem[which], lo = 0, hi;
	const unsigned char *flat = arr_flat(dag, which, &n);
	const struct dag_chunks *ch;
	const struct dag_chunk *c;

	if (flat != NULL)
		return sorted_search(key, flat, n, elem, cmp);
	ch = arr_chunks(dag, which);
	hi = ch->n;
	while (lo < hi) { /* the first chunk whose last element is >= key */
		size_t mid = lo + (hi - lo) / 2;

		c = ch->c[mid];
		if (cmp(key, c->data + (c->n - 1) * elem) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ch->n)
		return n;
	c = ch->c[lo];
	return ch->start[lo] + sorted_search(key, c->data, c->n, elem, cmp);
}

static struct dag_chunk *
arr_chunk_new(const void *src, size_t n, size_t elem, bool vhosts)
{
	struct dag_chunk *c = xmalloc(sizeof *c + n * elem);

	atomic_init(&c->refs, 0);
	c->n = n;
	c->tls = false;
	memcpy(c->data, src, n * elem);
	for (size_t i = 0; vhosts && i < n && !c->tls; i++)
		c->tls = ((const struct dag_vhost *)(const void *)c->data)[i].tls !=
		    NULL;
	return c;
}

size_t
dag_cursor_next_tls(struct dag_cursor *c, size_t i)
{
	const struct dag_chunks *ch = c->ch;
	size_t k;

	if (ch == NULL || i >= c->total ||
	    (c->base != NULL && i >= c->lo && i < c->hi && ch->c[c->chunk]->tls))
		return i;
	k = c->base != NULL && i >= c->lo && i < c->hi ? c->chunk :
	    c->base != NULL && i == c->hi && c->chunk + 1 < ch->n ?
	    c->chunk + 1 : chunk_of(ch, i);
	while (k < ch->n && !ch->c[k]->tls)
		k++;
	if (k == ch->n)
		return c->total;
	c->chunk = k;
	c->lo = ch->start[k];
	c->hi = ch->start[k + 1];
	c->base = ch->c[k]->data;
	return i > c->lo ? i : c->lo;
}

static void
arr_chunk_unref(struct dag_chunk *c)
{
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 0)
		free(c);
}

static size_t
part_chunks_count(size_t nparts)
{
	return (nparts + DAG_PART_CHUNK - 1) / DAG_PART_CHUNK;
}

static void
part_chunk_unref(struct dag_part_chunk *c)
{
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 0)
		free(c);
}

/* dag's parts in chunks: prev's chunk where prev (as many parts) has
 * the same parts in it, which chg (the ascending places whose part is
 * not prev's, or NULL: none known) says; a copy of parts' otherwise.
 * O(chunks + changed), the chunks shared taking a reference each. */
static void
part_chunks_make(struct dag *dag, struct dag **parts, size_t nparts,
    const struct dag *prev, const struct part_changes *chg)
{
	size_t nch = part_chunks_count(nparts), c = 0;
	struct dag_part_chunk **out = arena_alloc_nozero(&dag->arena,
	    sizeof *out * (nch + 1));
	bool share = prev != NULL && chg != NULL && prev->nparts == nparts &&
	    prev->part_chunks != NULL;

	for (size_t k = 0; k < nch; k++) {
		size_t lo = k * DAG_PART_CHUNK, n = nparts - lo;

		if (n > DAG_PART_CHUNK)
			n = DAG_PART_CHUNK;
		/* The next changed place at or after this chunk's start. */
		while (share && c < chg->n && chg->pos[c] < lo)
			c++;
		if (share && !(c < chg->n && chg->pos[c] < lo + n)) {
			out[k] = prev->part_chunks[k];
			atomic_fetch_add_explicit(&out[k]->refs, 1,
			    memory_order_relaxed);
			continue;
		}
		out[k] = xmalloc(sizeof *out[k]);
		atomic_init(&out[k]->refs, 0);
		memcpy(out[k]->p, parts + lo, n * sizeof parts[0]);
	}
	dag->part_chunks = out;
	dag->parts = NULL;
}

void
dag_array_chunks_release(struct dag *dag)
{
	struct dag_chunks *all[3] = { &dag->vhost_chunks, &dag->cluster_chunks,
		&dag->endpoint_chunks };

	if (dag->part_chunks != NULL) {
		for (size_t k = 0; k < part_chunks_count(dag->nparts); k++)
			part_chunk_unref(dag->part_chunks[k]);
		dag->part_chunks = NULL; /* in the arena */
	}

	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < all[k]->n; i++)
			arr_chunk_unref(all[k]->c[i]);
		free(all[k]->c);
		free(all[k]->start);
		*all[k] = (struct dag_chunks){ 0 };
	}
}

/* One array being assembled in chunks: what is copied waits in tmp
 * until it is a chunk; a whole chunk of the last assembly is shared.
 * The order is checked where runs meet, as struct runs does. */
struct cbuild {
	size_t elem;
	int (*cmp)(const void *, const void *);
	const struct part_changes *changed;
	bool sorted, known;
	bool vhosts; /* the hosts' array (struct dag_chunk tls) */
	size_t last;
	struct dag_chunk **c;
	size_t *start, n, cap, total;
	unsigned char *tmp;
	size_t tmpn, tmpcap;
	size_t shared;
};

/* c, of n elements, appended. */
static void
cb_push_n(struct cbuild *b, struct dag_chunk *c, size_t n)
{
	if (b->n + 1 >= b->cap) {
		b->cap = b->cap < 16 ? 16 : b->cap * 2;
		b->c = xreallocarray(b->c, b->cap, sizeof *b->c);
		b->start = xreallocarray(b->start, b->cap, sizeof *b->start);
	}
	b->c[b->n] = c;
	b->start[b->n++] = b->total;
	b->total += n;
}

static void
cb_push(struct cbuild *b, struct dag_chunk *c)
{
	cb_push_n(b, c, c->n);
}

/* How many chunks ahead cb_block asks for the header of a chunk it will
 * share: the reference it takes is a write to a line not read since the
 * chunk was made (a cold miss each, about 1,300 chunks at 100k). */
#define SHARE_AHEAD 8

/* prev's chunk k shared whole: a reference more, its size from prev's
 * starts (its header is written, not read). */
static void
cb_share(struct cbuild *b, const struct dag_chunks *prev, size_t k)
{
	atomic_fetch_add_explicit(&prev->c[k]->refs, 1, memory_order_relaxed);
	cb_push_n(b, prev->c[k], prev->start[k + 1] - prev->start[k]);
	b->shared++;
}

static void
cb_push_flat(struct cbuild *b, const unsigned char *s, size_t n)
{
	size_t k = (n + ARR_CHUNK_FILL - 1) / ARR_CHUNK_FILL;

	for (size_t j = 0; j < k; j++) {
		size_t from = n * j / k, to = n * (j + 1) / k;

		cb_push(b, arr_chunk_new(s + from * b->elem, to - from, b->elem,
		    b->vhosts));
	}
}

static void
cb_flush(struct cbuild *b)
{
	if (b->tmpn > ARR_CHUNK_MAX)
		cb_push_flat(b, b->tmp, b->tmpn);
	else if (b->tmpn > 0)
		cb_push(b, arr_chunk_new(b->tmp, b->tmpn, b->elem, b->vhosts));
	b->tmpn = 0;
}

static void
cb_copy(struct cbuild *b, const void *src, size_t n)
{
	if (b->tmpcap < b->tmpn + n) {
		b->tmpcap = 2 * (b->tmpn + n);
		b->tmp = xreallocarray(b->tmp, b->tmpcap, b->elem);
	}
	memcpy(b->tmp + b->tmpn * b->elem, src, n * b->elem);
	b->tmpn += n;
	if (b->tmpn >= 2 * ARR_CHUNK_MAX)
		cb_flush(b);
}

/* The last element added (there is one). */
static const void *
cb_last(const struct cbuild *b)
{
	const struct dag_chunk *c;

	if (b->tmpn > 0)
		return b->tmp + (b->tmpn - 1) * b->elem;
	c = b->c[b->n - 1];
	return c->data + (c->n - 1) * b->elem;
}

/* The order check of parts_runs_add before a run of part i. */
static void
cb_check(struct cbuild *b, const void *first, size_t i)
{
	if (b->total + b->tmpn > 0 && b->sorted && !b->known &&
	    part_changes_within(b->changed, b->last, i) &&
	    b->cmp(cb_last(b), first) > 0)
		b->sorted = false;
	b->known = false;
}

static void
cb_add(struct cbuild *b, const void *src, size_t n, size_t i)
{
	if (n == 0)
		return;
	cb_check(b, src, i);
	cb_copy(b, src, n);
	b->last = i;
}

/* Elements [s, e) of the last assembly's chunks, of parts first..last:
 * its whole chunks shared. */
static void
cb_block(struct cbuild *b, const struct dag_chunks *prev, size_t s, size_t e,
    size_t first, size_t last)
{
	size_t k;

	if (s >= e)
		return;
	k = chunk_of(prev, s);
	cb_check(b, prev->c[k]->data + (s - prev->start[k]) * b->elem, first);
	for (; k < prev->n && prev->start[k] < e; k++) {
		size_t lo = prev->start[k], hi = prev->start[k + 1];
		size_t from = s > lo ? s : lo, to = e < hi ? e : hi;

		if (k + SHARE_AHEAD < prev->n && prev->start[k + SHARE_AHEAD] < e)
			__builtin_prefetch(prev->c[k + SHARE_AHEAD], 1);
		if (from == lo && to == hi && b->tmpn == 0) {
			cb_share(b, prev, k);
			continue;
		}
		if (from == lo && to == hi && b->tmpn >= ARR_CHUNK_MIN) {
			cb_flush(b);
			cb_share(b, prev, k);
			continue;
		}
		cb_copy(b, prev->c[k]->data + (from - lo) * b->elem, to - from);
		if (to == hi && b->tmpn >= ARR_CHUNK_MIN)
			cb_flush(b);
	}
	b->last = last;
}

/* The chunks made into dag's array which; sorted when the runs were not
 * in order. */
static void
cb_finish(struct cbuild *b, struct dag *dag, int which)
{
	struct dag_chunks *out = (struct dag_chunks *)arr_chunks(dag, which);

	cb_flush(b);
	if (!b->sorted && b->total > 1) {
		unsigned char *all = xreallocarray(NULL, b->total, b->elem);
		size_t n = 0, total = b->total;

		for (size_t i = 0; i < b->n; i++) {
			memcpy(all + n * b->elem, b->c[i]->data,
			    b->c[i]->n * b->elem);
			n += b->c[i]->n;
			arr_chunk_unref(b->c[i]);
		}
		qsort(all, total, b->elem, b->cmp);
		b->n = b->total = 0;
		cb_push_flat(b, all, total);
		free(all);
	}
	if (b->cap == 0) { /* no chunk: still the chunked form */
		b->cap = 1;
		b->c = xreallocarray(NULL, 1, sizeof *b->c);
		b->start = xreallocarray(NULL, 1, sizeof *b->start);
	}
	b->start[b->n] = b->total;
	out->c = b->c;
	out->start = b->start;
	out->n = b->n;
	free(b->tmp);
}

/* patch_runs for an array in chunks: a run of parts at their last
 * places is a range of the last assembly's elements, its whole chunks
 * shared. */
static void
patch_chunks(struct cbuild *b, int k, struct dag **parts, size_t nparts,
    const struct part_plan *pl, const struct dag_chunks *prev, size_t *blocks)
{
	for (size_t c = 0; c <= pl->m; c++) {
		size_t first, end, s, e;

		if (plan_block(pl, c, k, nparts, &first, &end, &s, &e)) {
			cb_block(b, prev, s, e, first, end - 1);
			(*blocks)++;
		}
		if (c < pl->m)
			cb_add(b, asm_base(parts[pl->pos[c]], k),
			    *asm_count(parts[pl->pos[c]], k), pl->pos[c]);
	}
}

/* The union of parts (borrowed: the dag cache holds them, parts.c).
 * chg (NULL: not known) says which parts are not the last assembly's
 * (prev, or NULL) at their places, both having as many parts; *in_order
 * as for runs, ASM_* bits. sums describes prev's parts on entry (when
 * chg is given) and this assembly's on return: a few changed parts
 * patch it, else it is made anew. */
struct dag *
dag_assemble(struct dag **parts, size_t nparts,
    const struct part_changes *chg, unsigned known, unsigned *in_order,
    const struct dag *prev, struct part_sums *sums, size_t *blocks)
{
	struct dag *dag = xcalloc(1, sizeof *dag);
	struct arena *a = &dag->arena;
	/* Positions are comparable: chg says which parts are new. */
	bool same = prev != NULL && chg != NULL && nparts == prev->nparts &&
	    nparts == sums->n;
	size_t bytes = 256;
	struct runs r[ASM_ARRAY_STATUSES];
	struct part_plan pl = { 0 };
	struct part_at total;

	if (same) {
		plan_make(&pl, chg, parts, prev, sums);
		total = pl.total;
	} else {
		part_sums_build(sums, parts, nparts);
		total = part_sums_prefix(sums, nparts);
	}
	/* The statuses are in chunks of their own (parts_statuses.c), the
	 * hosts, clusters and endpoints too (below). */
	for (int k = ASM_ARRAY_SECRETS; k < ASM_ARRAY_STATUSES; k++)
		bytes += total.n[k] * asm_arrays[k].elem;
	arena_init_sized(a, bytes);
	/* Every element below the count is copied from a part or from the
	 * last assembly: nothing to zero first. */
	dag->secrets = arena_alloc_nozero(a, sizeof(struct dag_secret *) *
	    (total.n[ASM_ARRAY_SECRETS] + 1));
	dag->tls_files = arena_alloc_nozero(a, sizeof(const char *) *
	    (total.n[ASM_ARRAY_TLS_FILES] + 1));
	*in_order = 0;
#define KNOWN(bit) ((known & (bit)) ? chg : NULL)
	for (int k = ASM_ARRAY_VHOSTS; k <= ASM_ARRAY_ENDPOINTS; k++) {
		unsigned bit = asm_arrays[k].bit;
		const struct dag_chunks *pc = prev != NULL ?
		    arr_chunks(prev, k) : NULL;
		struct cbuild b = { .elem = asm_arrays[k].elem,
			.cmp = asm_arrays[k].cmp, .changed = KNOWN(bit),
			.sorted = true, .vhosts = k == ASM_ARRAY_VHOSTS };

		if (same && (known & bit) != 0 && pc->c != NULL)
			patch_chunks(&b, k, parts, nparts, &pl, pc, blocks);
		else
			for (size_t i = 0; i < nparts; i++)
				cb_add(&b, asm_base(parts[i], k),
				    *asm_count(parts[i], k), i);
		if (b.sorted)
			*in_order |= bit;
		cb_finish(&b, dag, k);
		*asm_count(dag, k) = b.total;
	}
	for (int k = ASM_ARRAY_SECRETS; k < ASM_ARRAY_STATUSES; k++) {
		unsigned bit = asm_arrays[k].bit;

		parts_runs_init(&r[k], asm_base(dag, k), asm_arrays[k].elem,
		    asm_arrays[k].cmp, KNOWN(bit));
		if (same && (known & bit) != 0)
			patch_runs(k, parts, nparts, &pl, prev, &r[k], blocks);
		else
			for (size_t i = 0; i < nparts; i++)
				parts_runs_add(&r[k], asm_base(parts[i], k),
				    *asm_count(parts[i], k), i);
		if (r[k].sorted)
			*in_order |= bit;
		*asm_count(dag, k) = parts_runs_finish(&r[k]);
	}
	/* The statuses (nstatuses of them, in chunks) are made by the
	 * caller: parts_statuses_patch or parts_statuses_assemble. */
	dag->nstatuses = total.n[ASM_ARRAY_STATUSES];
#undef KNOWN
	if (same) {
		plan_apply(&pl, sums);
		free(pl.lo);
	}
	gateways_assemble(dag, parts, nparts, sums, total.gateways);
	part_chunks_make(dag, parts, nparts, same ? prev : NULL,
	    same ? chg : NULL);
	dag->nparts = nparts;
	dag->parts_borrowed = true;
	if (same) {
		size_t *at = arena_alloc_nozero(a, sizeof *at * (chg->n + 1));

		memcpy(at, chg->pos, chg->n * sizeof *at);
		dag->parts_changed = at;
		dag->nparts_changed = chg->n;
		dag->parts_changed_known = true;
	}
	return dag;
}
