/* The daemon's record of its objects' statuses, per DAG part: a build
 * reuses the parts of the groups whose files did not change (dag.h,
 * parts.c), the same struct dag with the same statuses, so recording a
 * build copies only the statuses of the parts it built, and the objects
 * whose status may have changed are those of the parts that went away
 * and of the parts that came. */
#include "diff/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dag/dag.h"
#include "util/xalloc.h"

struct status_part {
	struct dag *part; /* a reference: the pointer stays unique */
	struct diff_objects objects; /* owned copies of its statuses */
};

struct diff_statuses {
	struct status_part *parts;
	size_t n;
};

struct diff_statuses *
diff_statuses_new(void)
{
	return xcalloc(1, sizeof(struct diff_statuses));
}

static void
parts_free(struct status_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		diff_objects_free(&parts[i].objects);
		dag_free(parts[i].part);
	}
	free(parts);
}

void
diff_statuses_free(struct diff_statuses *t)
{
	if (t == NULL)
		return;
	parts_free(t->parts, t->n);
	free(t);
}

static size_t
ptr_slot(const void *p, size_t mask)
{
	uint64_t h = (uint64_t)(uintptr_t)p * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & mask;
}

/* The DAG keeps its parts in order from build to build, so when there are
 * as many as last time most are at the same place: only the places whose
 * part differs are looked into (a part that moved between two of them is
 * found among them), which is what the table below finds too, at the
 * cost of the change instead of the tree. False when too many differ. */
static bool
record_in_place(struct diff_statuses *t, struct dag *const *parts,
    size_t nparts, struct diff_objects *from, struct diff_objects *to)
{
	enum { MAX_MOVED = 64 };
	size_t at[MAX_MOVED], m = 0, ngone = 0, ncame = 0;
	struct status_part old[MAX_MOVED];
	bool taken[MAX_MOVED] = { false };
	const struct diff_objects *gone[MAX_MOVED] = { NULL };
	const struct diff_objects *came[MAX_MOVED] = { NULL };

	if (t->n != nparts || nparts == 0)
		return false;
	for (size_t k = 0; k < nparts; k++)
		if (t->parts[k].part != parts[k]) {
			if (m == MAX_MOVED)
				return false;
			at[m++] = k;
		}
	for (size_t i = 0; i < m; i++)
		old[i] = t->parts[at[i]];
	for (size_t i = 0; i < m; i++) {
		struct status_part *e = &t->parts[at[i]];
		size_t j = 0;

		while (j < m && (taken[j] || old[j].part != parts[at[i]]))
			j++;
		if (j < m) { /* moved: the same part, the same statuses */
			taken[j] = true;
			*e = old[j];
			continue;
		}
		e->part = dag_ref(parts[at[i]]);
		diff_objects_from_statuses(&e->objects, e->part->statuses,
		    e->part->nstatuses);
		came[ncame++] = &e->objects;
	}
	for (size_t j = 0; j < m; j++)
		if (!taken[j])
			gone[ngone++] = &old[j].objects;
	if (from != NULL)
		diff_objects_concat(from, gone, ngone);
	if (to != NULL)
		diff_objects_concat(to, came, ncame);
	for (size_t j = 0; j < m; j++)
		if (!taken[j]) {
			diff_objects_free(&old[j].objects);
			dag_free(old[j].part);
		}
	return true;
}

void
diff_statuses_record(struct diff_statuses *t, const struct dag *dag,
    struct diff_objects *from, struct diff_objects *to)
{
	/* A DAG not assembled from parts (dag_build) is its own one part. */
	struct dag *const *parts = dag->nparts > 0 ? (struct dag *const *)dag->parts :
	    (struct dag *const *)&dag;
	size_t nparts = dag->nparts > 0 ? dag->nparts : 1, cap = 16, mask;
	struct status_part *now;
	const struct diff_objects **gone, **came;
	size_t ngone = 0, ncame = 0;
	size_t *slots; /* index + 1 into t->parts, 0 = empty */
	bool *kept;

	if (record_in_place(t, parts, nparts, from, to))
		return;
	now = xcalloc(nparts + 1, sizeof *now);
	while (cap < 2 * (t->n + 1))
		cap *= 2;
	mask = cap - 1;
	slots = xcalloc(cap, sizeof *slots);
	kept = xcalloc(t->n + 1, sizeof *kept);
	for (size_t i = 0; i < t->n; i++) {
		size_t j = ptr_slot(t->parts[i].part, mask);

		while (slots[j] != 0)
			j = (j + 1) & mask;
		slots[j] = i + 1;
	}
	came = xcalloc(nparts + 1, sizeof *came);
	for (size_t k = 0; k < nparts; k++) {
		struct dag *part = parts[k];
		size_t j = ptr_slot(part, mask);

		while (slots[j] != 0 && t->parts[slots[j] - 1].part != part)
			j = (j + 1) & mask;
		if (slots[j] != 0 && !kept[slots[j] - 1]) {
			/* Reused: the same part, the same statuses. */
			size_t i = slots[j] - 1;

			now[k] = t->parts[i];
			kept[i] = true;
			continue;
		}
		now[k].part = dag_ref(part);
		diff_objects_from_statuses(&now[k].objects, part->statuses,
		    part->nstatuses);
		came[ncame++] = &now[k].objects;
	}
	gone = xcalloc(t->n + 1, sizeof *gone);
	for (size_t i = 0; i < t->n; i++)
		if (!kept[i])
			gone[ngone++] = &t->parts[i].objects;
	if (from != NULL)
		diff_objects_concat(from, gone, ngone);
	if (to != NULL)
		diff_objects_concat(to, came, ncame);
	/* The parts that went away: only their copies were read. */
	for (size_t i = 0; i < t->n; i++)
		if (!kept[i]) {
			diff_objects_free(&t->parts[i].objects);
			dag_free(t->parts[i].part);
		}
	free(t->parts);
	t->parts = now;
	t->n = nparts;
	free(gone);
	free(came);
	free(kept);
	free(slots);
}
