/* The statuses of an incremental build's DAG (parts.c): merged from
 * every part kind by kind (parts_statuses_assemble), or the last
 * assembled DAG's statuses patched with those of the parts that changed
 * (parts_statuses_patch). */
#include "dag/parts_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Statuses are sorted by kind first: kind by kind, each part's statuses
 * of that kind (a range of its sorted array) are one run. */
size_t
parts_statuses_assemble(struct dag_object_status *out, struct dag **parts,
    size_t nparts, const size_t *changed, bool *in_order)
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

/* Statuses of the parts that are not the other build's: at the same
 * place (other[i] != parts[i]) when both have as many parts, else not
 * among them at all. Sorted; false (nothing made) when more than max. */
static bool
statuses_changed(struct dag **parts, size_t nparts, struct dag **other,
    size_t nother, size_t max, struct dag_object_status **out, size_t *nout)
{
	bool *keep = xcalloc(nparts + 1, sizeof *keep);
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (nparts == nother)
		for (size_t i = 0; i < nparts; i++)
			keep[i] = parts[i] == other[i];
	else
		parts_in(parts, nparts, other, nother, keep);
	for (size_t i = 0; i < nparts; i++)
		if (!keep[i] && (n += parts[i]->nstatuses) > max) {
			free(keep);
			return false;
		}
	*out = xreallocarray(NULL, n + 1, sizeof **out);
	for (size_t i = 0; i < nparts; i++)
		if (!keep[i] && parts[i]->nstatuses > 0) {
			memcpy(*out + *nout, parts[i]->statuses,
			    parts[i]->nstatuses * sizeof **out);
			*nout += parts[i]->nstatuses;
		}
	free(keep);
	if (n > 1)
		qsort(*out, n, sizeof **out, dag_status_cmp);
	for (size_t i = 1; i < n; i++)
		if (dag_status_cmp(&(*out)[i - 1], &(*out)[i]) == 0)
			return false; /* equal keys: their order is the parts' */
	return true;
}

/* dag's statuses as the last assembled DAG's (prev, of parts old) with
 * those of the parts that changed taken out and the new parts' put in:
 * the unchanged runs between are block copies and no unchanged part is
 * visited, so a one-file change costs its own statuses (a search each)
 * and one copy of the array. The result is what parts_statuses_assemble makes
 * (every status in dag_status_cmp order, keys distinct); false (nothing
 * written) when that cannot be made sure of: no previous DAG, many
 * changed, or two statuses with equal keys. */
bool
parts_statuses_patch(struct dag *dag, const struct dag *prev, struct dag **old,
    size_t nold, struct dag **now, size_t nnow)
{
	struct dag_object_status *del = NULL, *add = NULL, *out = dag->statuses;
	const struct dag_object_status *ps;
	size_t ndel = 0, nadd = 0, *delpos = NULL, pos = 0, at = 0, np, d = 0;
	size_t max;
	bool ok = false;

	if (prev == NULL || nold == 0 || nnow == 0)
		return false;
	ps = prev->statuses;
	np = prev->nstatuses;
	max = np / 4 + 64;
	if (!statuses_changed(old, nold, now, nnow, max, &del, &ndel) ||
	    !statuses_changed(now, nnow, old, nold, max, &add, &nadd))
		goto out;
	/* Every part's statuses, or the last build was not of old. */
	if (np + nadd < ndel || np - ndel + nadd != dag->nstatuses)
		goto out;
	delpos = xreallocarray(NULL, ndel + 1, sizeof *delpos);
	for (size_t k = 0; k < ndel; k++) {
		size_t j = sorted_search(&del[k], ps, np, sizeof ps[0],
		    dag_status_cmp);

		if (j >= np || dag_status_cmp(&ps[j], &del[k]) != 0 ||
		    (j + 1 < np && dag_status_cmp(&ps[j + 1], &del[k]) == 0))
			goto out;
		delpos[k] = j;
	}
	for (size_t a = 0; a < nadd || d < ndel;) {
		size_t ins = np, stop;

		if (a < nadd)
			ins = pos + sorted_search(&add[a], ps + pos, np - pos,
			    sizeof ps[0], dag_status_cmp);
		stop = d < ndel && delpos[d] < ins ? delpos[d] : ins;
		if (stop > pos) {
			memcpy(out + at, ps + pos, (stop - pos) * sizeof ps[0]);
			at += stop - pos;
			pos = stop;
		}
		if (a < nadd && ins == pos) {
			/* Equal to a status that stays: keys not distinct. */
			if (pos < np && dag_status_cmp(&ps[pos], &add[a]) == 0 &&
			    !(d < ndel && delpos[d] == pos))
				goto out;
			out[at++] = add[a++];
			continue;
		}
		pos++; /* delpos[d] == pos: taken out */
		d++;
	}
	if (np > pos)
		memcpy(out + at, ps + pos, (np - pos) * sizeof ps[0]);
	at += np - pos;
	dag->nstatuses = at;
	ok = true;
out:
	free(del);
	free(add);
	free(delpos);
	return ok;
}
