/* The statuses of an incremental build's DAG (parts.c): merged from
 * every part kind by kind (parts_statuses_assemble), or the last
 * assembled DAG's statuses patched with those of the parts that changed
 * (parts_statuses_patch). An assembled DAG holds them in chunks shared
 * with the last one (struct dag_status_chunk): a one-file change copies
 * the chunk or two its statuses fall in, not the array. */
#include "dag/parts_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/sorted.h"
#include "util/xalloc.h"

/* Statuses are sorted by kind first: kind by kind, each part's statuses
 * of that kind (a range of its sorted array) are one run. */
size_t
parts_statuses_assemble(struct dag_object_status *out, struct dag **parts,
    size_t nparts, const struct part_changes *changed, bool *in_order)
{
	size_t *at = xcalloc(nparts + 1, sizeof *at); /* next of each part */
	struct runs r;
	size_t n;

	parts_runs_init(&r, out, sizeof out[0], dag_status_cmp, changed);
	for (int k = 0; k < OBJ_KIND_COUNT; k++) {
		/* The first run of a kind follows statuses of a smaller kind:
		 * in order (dag_status_cmp compares kinds first). */
		r.known = true;
		for (size_t i = 0; i < nparts; i++) {
			const struct dag *p = parts[i];
			size_t from = at[i];

			while (at[i] < p->nstatuses && (int)p->statuses[at[i]].kind == k)
				at[i]++;
			parts_runs_add(&r, p->statuses + from, at[i] - from, i);
		}
	}
	/* Not one of the kinds (never from the loader): keep it anyway. */
	for (size_t i = 0; i < nparts; i++)
		if (at[i] < parts[i]->nstatuses) {
			r.sorted = false;
			parts_runs_add(&r, parts[i]->statuses + at[i],
			    parts[i]->nstatuses - at[i], i);
		}
	free(at);
	*in_order = r.sorted;
	n = parts_runs_finish(&r);
	return n;
}

static size_t
part_slot(const struct dag *p, size_t mask)
{
	uint64_t h = (uint64_t)(uintptr_t)p * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & mask;
}

/* in[i]: whether parts[i] is one of other[0..nother) (a file came or went:
 * the parts are no longer at the same places). Pointers only: no part is
 * read. */
static void
parts_in(struct dag **parts, size_t nparts, struct dag **other,
    size_t nother, bool *in)
{
	size_t cap = 16, mask;
	struct dag **t;

	while (cap < 2 * (nother + 1))
		cap *= 2;
	mask = cap - 1;
	t = xcalloc(cap, sizeof *t);
	for (size_t i = 0; i < nother; i++) {
		size_t j = part_slot(other[i], mask);

		while (t[j] != NULL && t[j] != other[i])
			j = (j + 1) & mask;
		t[j] = other[i];
	}
	for (size_t i = 0; i < nparts; i++) {
		size_t j = part_slot(parts[i], mask);

		while (t[j] != NULL && t[j] != parts[i])
			j = (j + 1) & mask;
		in[i] = t[j] != NULL;
	}
	free(t);
}

/* The positions of the parts that are not the other build's: chg's
 * when given (both have as many parts, the changed places known), else
 * those not at the same place (other[i] != parts[i]) when both have as
 * many parts, else those not among the other's at all. */
static size_t *
parts_not_kept(struct dag **parts, size_t nparts, struct dag **other,
    size_t nother, const struct part_changes *chg, size_t *n)
{
	size_t *at;
	bool *keep;

	*n = 0;
	if (chg != NULL) {
		at = xreallocarray(NULL, chg->n + 1, sizeof *at);
		memcpy(at, chg->pos, chg->n * sizeof *at);
		*n = chg->n;
		return at;
	}
	at = xreallocarray(NULL, nparts + 1, sizeof *at);
	keep = xcalloc(nparts + 1, sizeof *keep);
	if (nparts == nother)
		for (size_t i = 0; i < nparts; i++)
			keep[i] = parts[i] == other[i];
	else
		parts_in(parts, nparts, other, nother, keep);
	for (size_t i = 0; i < nparts; i++)
		if (!keep[i])
			at[(*n)++] = i;
	free(keep);
	return at;
}

/* Statuses of the parts that are not the other build's (parts_not_kept).
 * Sorted; false (nothing made) when more than max. */
static bool
statuses_changed(struct dag **parts, size_t nparts, struct dag **other,
    size_t nother, const struct part_changes *chg, size_t max,
    struct dag_object_status **out, size_t *nout)
{
	size_t nat, *at = parts_not_kept(parts, nparts, other, nother, chg,
	    &nat);
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	for (size_t k = 0; k < nat; k++)
		if ((n += parts[at[k]]->nstatuses) > max) {
			free(at);
			return false;
		}
	*out = xreallocarray(NULL, n + 1, sizeof **out);
	for (size_t k = 0; k < nat; k++) {
		const struct dag *p = parts[at[k]];

		if (p->nstatuses > 0) {
			memcpy(*out + *nout, p->statuses,
			    p->nstatuses * sizeof **out);
			*nout += p->nstatuses;
		}
	}
	free(at);
	if (n > 1)
		qsort(*out, n, sizeof **out, dag_status_cmp);
	for (size_t i = 1; i < n; i++)
		if (dag_status_cmp(&(*out)[i - 1], &(*out)[i]) == 0)
			return false; /* equal keys: their order is the parts' */
	return true;
}

/* --- chunks ------------------------------------------------------------ */

const struct dag_object_status *
dag_status_at(const struct dag *dag, size_t i)
{
	const size_t *start = dag->status_chunk_start;
	size_t c;

	if (dag->status_chunks == NULL)
		return &dag->statuses[i];
	c = sorted_chunk_of(start, dag->nstatus_chunks, i);
	return &dag->status_chunks[c]->s[i - start[c]];
}

void
dag_status_iter_init(struct dag_status_iter *it, const struct dag *dag)
{
	*it = (struct dag_status_iter){ .dag = dag };
}

const struct dag_object_status *
dag_status_next(struct dag_status_iter *it)
{
	const struct dag *d = it->dag;

	if (d->status_chunks == NULL)
		return it->i < d->nstatuses ? &d->statuses[it->i++] : NULL;
	while (it->chunk < d->nstatus_chunks) {
		const struct dag_status_chunk *c = d->status_chunks[it->chunk];

		if (it->i < c->n)
			return &c->s[it->i++];
		it->chunk++;
		it->i = 0;
	}
	return NULL;
}

static size_t
conditions_of(const struct dag_object_status *s, size_t n)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += s[i].nconditions;
	return total;
}

void
dag_status_tally_add(struct dag_status_tally *t,
    const struct dag_object_status *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		t->by_kind[s[i].kind][s[i].status]++;
		t->ncerts += s[i].kind == OBJ_SECRET && s[i].not_after != 0;
	}
}

bool
dag_status_span_at(const struct dag *dag, size_t c,
    struct dag_status_span *out)
{
	const struct dag_status_chunk *chunk;

	if (dag->status_chunks == NULL) {
		if (c > 0 || dag->nstatuses == 0)
			return false;
		*out = (struct dag_status_span){ .s = dag->statuses,
		    .n = dag->nstatuses,
		    .nconditions = conditions_of(dag->statuses, dag->nstatuses) };
		return true;
	}
	if (c >= dag->nstatus_chunks)
		return false;
	chunk = dag->status_chunks[c];
	*out = (struct dag_status_span){ .s = chunk->s, .n = chunk->n,
	    .nconditions = chunk->nconditions, .serial = chunk->serial,
	    .tally = &chunk->tally };
	return true;
}

static struct dag_status_chunk *
chunk_new(const struct dag_object_status *s, size_t n)
{
	/* From 1: 0 is a flat DAG's span. Chunks are made by parallel
	 * builds too. */
	static atomic_uint_fast64_t last_serial;
	struct dag_status_chunk *c = xmalloc(sizeof *c + n * sizeof c->s[0]);

	atomic_init(&c->refs, 0);
	c->n = n;
	c->serial = atomic_fetch_add_explicit(&last_serial, 1,
	    memory_order_relaxed) + 1;
	c->nconditions = conditions_of(s, n);
	memset(&c->tally, 0, sizeof c->tally);
	dag_status_tally_add(&c->tally, s, n);
	memcpy(c->s, s, n * sizeof s[0]);
	return c;
}

static void
chunk_unref(struct dag_status_chunk *c)
{
	if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 0)
		free(c);
}

/* The chunks of a DAG being made, and where each starts. */
struct chunk_list {
	struct dag_status_chunk **c;
	size_t *start;
	size_t n, cap, total;
};

/* Room for more chunks after the n there are (one slot more: the end's
 * start, list_give). */
static void
list_reserve(struct chunk_list *l, size_t more)
{
	if (l->n + more < l->cap)
		return;
	l->cap = l->cap < 16 ? 16 : l->cap * 2;
	if (l->cap <= l->n + more)
		l->cap = l->n + more + 1;
	l->c = xreallocarray(l->c, l->cap, sizeof *l->c);
	l->start = xreallocarray(l->start, l->cap, sizeof *l->start);
}

static void
list_push(struct chunk_list *l, struct dag_status_chunk *c)
{
	list_reserve(l, 1);
	l->c[l->n] = c;
	l->start[l->n++] = l->total;
	l->total += c->n;
}

/* How many chunks ahead list_share asks for a chunk's header: each
 * reference taken is a write to a line not read since the chunk was
 * made (about 100 ns cold), so several are asked for at once. */
#define SHARE_AHEAD 8

/* prev's chunks [from, to) appended whole, a reference more each. Their
 * sizes come from prev's starts: the only line of a chunk touched is
 * its count of references. */
static void
list_share(struct chunk_list *l, const struct dag *prev, size_t from,
    size_t to)
{
	struct dag_status_chunk *const *c = prev->status_chunks;
	const size_t *start = prev->status_chunk_start;

	list_reserve(l, to - from);
	for (size_t k = from; k < to; k++) {
		if (k + SHARE_AHEAD < to)
			__builtin_prefetch(c[k + SHARE_AHEAD], 1);
		atomic_fetch_add_explicit(&c[k]->refs, 1,
		    memory_order_relaxed);
		l->c[l->n] = c[k];
		l->start[l->n++] = l->total;
		l->total += start[k + 1] - start[k];
	}
}

/* s[0..n) as new chunks of at most fill statuses, as even as can be. */
static void
list_push_flat(struct chunk_list *l, const struct dag_object_status *s,
    size_t n, size_t fill)
{
	size_t k = (n + fill - 1) / fill;

	for (size_t j = 0; j < k; j++) {
		size_t from = n * j / k, to = n * (j + 1) / k;

		list_push(l, chunk_new(s + from, to - from));
	}
}

static void
list_release(struct chunk_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		chunk_unref(l->c[i]);
	free(l->c);
	free(l->start);
}

static void
list_give(struct chunk_list *l, struct dag *dag)
{
	if (l->cap == 0) { /* no chunk: still the chunked form */
		l->cap = 1;
		l->c = xreallocarray(NULL, 1, sizeof *l->c);
		l->start = xreallocarray(NULL, 1, sizeof *l->start);
	}
	l->start[l->n] = l->total;
	dag->status_chunks = l->c;
	dag->status_chunk_start = l->start;
	dag->nstatus_chunks = l->n;
	dag->statuses = NULL;
}

void
dag_status_chunks_release(struct dag *dag)
{
	for (size_t i = 0; i < dag->nstatus_chunks; i++)
		chunk_unref(dag->status_chunks[i]);
	free(dag->status_chunks);
	free(dag->status_chunk_start);
	dag->status_chunks = NULL;
	dag->status_chunk_start = NULL;
	dag->nstatus_chunks = 0;
	dag_array_chunks_release(dag);
}

void
dag_status_chunks_set(struct dag *dag, const struct dag_object_status *s,
    size_t n)
{
	struct chunk_list l = { 0 };

	list_push_flat(&l, s, n, STATUS_CHUNK_FILL);
	list_give(&l, dag);
}

/* Where key is or would be in prev's chunks: the index of the first
 * status not below it. Chunks are never empty. */
static size_t
chunks_lower(const struct dag *prev, const struct dag_object_status *key)
{
	size_t lo = 0, hi = prev->nstatus_chunks;
	const struct dag_status_chunk *c;

	while (lo < hi) { /* the first chunk whose last status is >= key */
		size_t mid = lo + (hi - lo) / 2;

		c = prev->status_chunks[mid];
		if (dag_status_cmp(&c->s[c->n - 1], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == prev->nstatus_chunks)
		return prev->nstatuses;
	c = prev->status_chunks[lo];
	return prev->status_chunk_start[lo] +
	    sorted_search(key, c->s, c->n, sizeof c->s[0], dag_status_cmp);
}

/* The first of prev's chunks that a status leaving (delpos[d..ndel))
 * or joining (before ins[a..nadd)) falls in: the one holding the lower
 * of the next two positions, the last chunk for a status joining at the
 * end, and prev->nstatus_chunks when none is left. */
static size_t
next_touched(const struct dag *prev, const size_t *delpos, size_t ndel,
    size_t d, const size_t *ins, size_t nadd, size_t a)
{
	size_t m = prev->nstatus_chunks, p = prev->nstatuses;

	if (d < ndel && delpos[d] < p)
		p = delpos[d];
	if (a < nadd && ins[a] < p)
		p = ins[a];
	if (p < prev->nstatuses)
		return sorted_chunk_of(prev->status_chunk_start, m, p);
	return a < nadd ? m - 1 : m;
}

/* Walk over prev's chunks: one no status leaves or joins is shared (a
 * reference more); one that changes is copied with its changes into
 * tmp, and a copy smaller than STATUS_CHUNK_MIN is carried into the next
 * chunk's rather than kept (so changes do not leave a trail of small
 * chunks). A copy larger than STATUS_CHUNK_MAX is split. */
bool
dag_status_chunks_patch(struct dag *dag, const struct dag *prev,
    const struct dag_object_status *del, size_t ndel,
    const struct dag_object_status *add, size_t nadd, size_t *made)
{
	size_t np = prev->nstatuses, m = prev->nstatus_chunks, shared = 0;
	size_t *delpos = xreallocarray(NULL, ndel + 1, sizeof *delpos);
	size_t *ins = xreallocarray(NULL, nadd + 1, sizeof *ins);
	struct dag_object_status *tmp = NULL;
	size_t tmpn = 0, tmpcap = 0, d = 0, a = 0;
	struct chunk_list l = { 0 };
	bool ok = false;

	if (prev->status_chunks == NULL || np + nadd < ndel ||
	    np - ndel + nadd != dag->nstatuses)
		goto out;
	for (size_t k = 0; k < ndel; k++) {
		size_t j = chunks_lower(prev, &del[k]);

		if (j >= np || dag_status_cmp(dag_status_at(prev, j), &del[k]) != 0 ||
		    (j + 1 < np &&
		    dag_status_cmp(dag_status_at(prev, j + 1), &del[k]) == 0) ||
		    (k > 0 && j <= delpos[k - 1]))
			goto out;
		delpos[k] = j;
	}
	for (size_t k = 0; k < nadd; k++) {
		ins[k] = chunks_lower(prev, &add[k]);
		while (d < ndel && delpos[d] < ins[k])
			d++;
		/* Equal to a status that stays: keys not distinct. */
		if (ins[k] < np &&
		    dag_status_cmp(dag_status_at(prev, ins[k]), &add[k]) == 0 &&
		    !(d < ndel && delpos[d] == ins[k]))
			goto out;
	}
	d = 0;
	for (size_t c = 0; c < m; c++) {
		struct dag_status_chunk *ch;
		size_t lo, hi;
		bool last = c + 1 == m;

		if (tmpn == 0) {
			/* The chunks before the next change's are shared
			 * whole, without a look at each. */
			size_t to = next_touched(prev, delpos, ndel, d, ins,
			    nadd, a);

			if (to > c) {
				list_share(&l, prev, c, to);
				shared += to - c;
				c = to - 1;
				continue;
			}
		}
		ch = prev->status_chunks[c];
		lo = prev->status_chunk_start[c];
		hi = lo + ch->n;
		if (tmpcap < tmpn + ch->n + nadd - a) {
			tmpcap = tmpn + ch->n + nadd - a;
			tmp = xreallocarray(tmp, tmpcap, sizeof *tmp);
		}
		for (size_t p = lo; p < hi; p++) {
			while (a < nadd && ins[a] == p)
				tmp[tmpn++] = add[a++];
			if (d < ndel && delpos[d] == p) {
				d++;
				continue;
			}
			tmp[tmpn++] = ch->s[p - lo];
		}
		if (last)
			while (a < nadd)
				tmp[tmpn++] = add[a++];
		if (tmpn < STATUS_CHUNK_MIN && !last)
			continue;
		if (tmpn > STATUS_CHUNK_MAX)
			list_push_flat(&l, tmp, tmpn, STATUS_CHUNK_FILL);
		else if (tmpn > 0)
			list_push(&l, chunk_new(tmp, tmpn));
		tmpn = 0;
	}
	if (m == 0)
		list_push_flat(&l, add, nadd, STATUS_CHUNK_FILL);
	if (l.total != dag->nstatuses) {
		list_release(&l);
		goto out;
	}
	if (made != NULL)
		*made = l.n - shared;
	list_give(&l, dag);
	ok = true;
out:
	free(delpos);
	free(ins);
	free(tmp);
	return ok;
}

/* dag's statuses as the last assembled DAG's (prev, of parts old) with
 * those of the parts that changed taken out and the new parts' put in,
 * in chunks of which only those the changes fall in are copied: a
 * one-file change costs its own statuses (a search each), a chunk or two
 * and a walk over the chunks, not over the statuses. The result is what
 * parts_statuses_assemble makes (every status in dag_status_cmp order,
 * keys distinct); false (nothing made) when that cannot be made sure
 * of: no previous DAG, many changed, or two statuses with equal keys.
 * chg (or NULL) names the places whose part changed when old and now are
 * as many: the other parts are not looked at. */
bool
parts_statuses_patch(struct dag *dag, const struct dag *prev, struct dag **old,
    size_t nold, struct dag **now, size_t nnow, const struct part_changes *chg,
    size_t *made)
{
	struct dag_object_status *del = NULL, *add = NULL;
	size_t ndel = 0, nadd = 0, max;
	bool ok = false;

	if (prev == NULL || nold == 0 || nnow == 0)
		return false;
	max = prev->nstatuses / 4 + 64;
	if (nold != nnow)
		chg = NULL;
	if (!statuses_changed(old, nold, now, nnow, chg, max, &del, &ndel) ||
	    !statuses_changed(now, nnow, old, nold, chg, max, &add, &nadd))
		goto out;
	ok = dag_status_chunks_patch(dag, prev, del, ndel, add, nadd, made);
out:
	free(del);
	free(add);
	return ok;
}
