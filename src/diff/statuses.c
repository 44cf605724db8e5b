/* The daemon's record of its objects' statuses, per DAG part: a build
 * reuses the parts of the groups whose files did not change (dag.h,
 * parts.c), the same struct dag with the same statuses, so recording a
 * build copies only the statuses of the parts it built, and the objects
 * whose status may have changed are those of the parts that went away
 * and of the parts that came. */
#include "diff/diff_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dag/dag.h"
#include "util/xalloc.h"

struct status_part {
	struct dag *part; /* a reference: the pointer stays unique */
	/* Owned copies of its statuses, item i status i's (not sorted:
	 * diff_objects_concat sorts what it joins). */
	struct diff_objects objects;
	/* The strings of items record_patched replaced (objects.pool holds
	 * the others'). */
	char **pools;
	size_t npools;
};

struct diff_statuses {
	struct status_part *parts;
	size_t n;
	/* The assembled DAG last recorded (a reference), or NULL. When the
	 * DAG recorded now is the next one assembled after it (its newer),
	 * whatever last's parts point into lived at least until the end of
	 * the build of now (the pipeline retires what a build replaces into
	 * a keep it lets go of only when that build ends; the parts' arenas
	 * are held here), as does whatever now points into: an address
	 * both point to is one allocation, so a part built again can be
	 * compared with the one it replaces by address (record_patched).
	 * Not so after a build that was not recorded: not its newer then. */
	struct dag *last;
	/* The one recorded before last, let go of by diff_statuses_release
	 * (its free, the retired parts of a build, is not on the way to a
	 * publish), or by the next record. */
	struct dag *dropped;
};

struct diff_statuses *
diff_statuses_new(void)
{
	return xcalloc(1, sizeof(struct diff_statuses));
}

static void
part_pools_free(struct status_part *e)
{
	for (size_t i = 0; i < e->npools; i++)
		free(e->pools[i]);
	free(e->pools);
	e->pools = NULL;
	e->npools = 0;
}

static void
parts_free(struct status_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		diff_objects_free(&parts[i].objects);
		part_pools_free(&parts[i]);
		dag_free(parts[i].part);
	}
	free(parts);
}

/* e's copies as one list of one pool (diff_objects_concat reads the
 * strings of a list in its pool): a patched part's are copied again. */
static const struct diff_objects *
part_objects(struct status_part *e)
{
	struct diff_objects one;

	if (e->npools == 0)
		return &e->objects;
	diff_objects_of_items(&one, e->objects.items, NULL, e->objects.n);
	diff_objects_free(&e->objects);
	part_pools_free(e);
	e->objects = one;
	return &e->objects;
}

/* A part this big in the place of one with as many statuses (the same
 * group built again) is compared status by status (record_patched)
 * rather than copied whole: the Gateway's group, built again for each
 * changed route, holds every route, Service and Endpoints naming it. Up
 * to PATCH_MAX records may differ, and a part is copied whole again
 * once PATCH_POOLS patches made pools of their own. */
#define PATCH_MIN 256
#define PATCH_MAX 64
#define PATCH_POOLS 64

/* Part now in e's place: the records that differ from e's copies, e's
 * in *from, now's in *to (lists of their own), and e's copies patched to
 * be now's. False (nothing done) when the part is small, of another
 * size, or differs in many: the caller copies it whole. */
static bool
record_patched(struct status_part *e, const struct dag *now, bool by_address,
    struct diff_objects *from, struct diff_objects *to)
{
	size_t n = now->nstatuses, idx[PATCH_MAX], m = 0;
	struct dag_object_status sub[PATCH_MAX];

	if (n < PATCH_MIN || e->objects.n != n || e->npools >= PATCH_POOLS)
		return false;
	/* e's copies are of e->part's statuses: a status at the same
	 * addresses as the one it replaces needs no string compared. */
	if (e->part->nstatuses != n)
		by_address = false;
	for (size_t i = 0; i < n; i++) {
		const struct dag_object_status *st = dag_status_at(now, i);

		if (by_address && diff_status_same(dag_status_at(e->part, i), st))
			continue;
		if (!diff_object_records(&e->objects.items[i], st)) {
			if (m == PATCH_MAX)
				return false;
			idx[m++] = i;
		}
	}
	diff_objects_of_items(from, e->objects.items, idx, m);
	for (size_t k = 0; k < m; k++)
		sub[k] = *dag_status_at(now, idx[k]);
	diff_objects_from_statuses_ordered(to, sub, m);
	/* The replaced items point into to's pool, which the part keeps. */
	for (size_t k = 0; k < m; k++)
		e->objects.items[idx[k]] = to->items[k];
	if (m > 0) {
		e->pools = xreallocarray(e->pools, e->npools + 1,
		    sizeof *e->pools);
		e->pools[e->npools++] = to->pool;
	}
	return true;
}

void
diff_statuses_free(struct diff_statuses *t)
{
	if (t == NULL)
		return;
	parts_free(t->parts, t->n);
	dag_free(t->last);
	dag_free(t->dropped);
	free(t);
}

static size_t
ptr_slot(const void *p, size_t mask)
{
	uint64_t h = (uint64_t)(uintptr_t)p * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & mask;
}

enum { MAX_MOVED = 64 };

/* The places where parts differ from t's (at most MAX_MOVED, into at):
 * the DAG's own list when it was assembled right after the one recorded
 * last (t's parts are last's, place by place), else a walk over every
 * place. False when more differ. */
/* Part k of dag; a DAG not assembled from parts (dag_build) is its own
 * one part. */
static struct dag *
part_of(const struct dag *dag, size_t k)
{
	return dag->nparts > 0 ? dag_part_at(dag, k) : (struct dag *)dag;
}

static bool
parts_moved(const struct diff_statuses *t, const struct dag *dag,
    size_t nparts, size_t *at, size_t *m)
{
	*m = 0;
	if (t->last != NULL && t->last->newer == dag &&
	    dag->parts_changed_known && t->last->nparts == nparts) {
		if (dag->nparts_changed > MAX_MOVED)
			return false;
		*m = dag->nparts_changed;
		memcpy(at, dag->parts_changed, *m * sizeof *at);
		return true;
	}
	for (size_t k = 0; k < nparts; k++)
		if (t->parts[k].part != part_of(dag, k)) {
			if (*m == MAX_MOVED)
				return false;
			at[(*m)++] = k;
		}
	return true;
}

/* The DAG keeps its parts in order from build to build, so when there are
 * as many as last time most are at the same place: only the places whose
 * part differs are looked into (a part that moved between two of them is
 * found among them), which is what the table below finds too, at the
 * cost of the change instead of the tree. False when too many differ. */
static bool
record_in_place(struct diff_statuses *t, const struct dag *dag,
    size_t nparts, bool by_address,
    struct diff_objects *from, struct diff_objects *to)
{
	size_t at[MAX_MOVED], m = 0, ngone = 0, ncame = 0, npatched = 0;
	struct status_part old[MAX_MOVED];
	bool taken[MAX_MOVED] = { false }, moved[MAX_MOVED] = { false };
	const struct diff_objects *gone[MAX_MOVED] = { NULL };
	const struct diff_objects *came[MAX_MOVED] = { NULL };
	struct diff_objects pfrom[MAX_MOVED], pto[MAX_MOVED];

	if (t->n != nparts || nparts == 0 ||
	    !parts_moved(t, dag, nparts, at, &m))
		return false;
	for (size_t i = 0; i < m; i++)
		old[i] = t->parts[at[i]];
	for (size_t i = 0; i < m; i++) {
		struct status_part *e = &t->parts[at[i]];
		size_t j = 0;

		while (j < m && (taken[j] || old[j].part != part_of(dag, at[i])))
			j++;
		if (j < m) { /* moved: the same part, the same statuses */
			taken[j] = true;
			moved[i] = true;
			*e = old[j];
		}
	}
	for (size_t i = 0; i < m; i++) {
		struct status_part *e = &t->parts[at[i]];

		if (moved[i])
			continue;
		/* The same group built again in its place: its copies
		 * patched, only the records that differ gone and come. */
		if (!taken[i] && record_patched(&old[i], part_of(dag, at[i]),
		    by_address, &pfrom[npatched], &pto[npatched])) {
			taken[i] = true;
			gone[ngone++] = &pfrom[npatched];
			came[ncame++] = &pto[npatched];
			npatched++;
			dag_free(old[i].part);
			*e = old[i];
			e->part = dag_ref(part_of(dag, at[i]));
			continue;
		}
		*e = (struct status_part){ .part = dag_ref(part_of(dag, at[i])) };
		diff_objects_from_statuses_ordered(&e->objects,
		    e->part->statuses, e->part->nstatuses);
		came[ncame++] = &e->objects;
	}
	for (size_t j = 0; j < m; j++)
		if (!taken[j])
			gone[ngone++] = part_objects(&old[j]);
	if (from != NULL)
		diff_objects_concat(from, gone, ngone);
	if (to != NULL)
		diff_objects_concat(to, came, ncame);
	for (size_t j = 0; j < m; j++)
		if (!taken[j]) {
			diff_objects_free(&old[j].objects);
			part_pools_free(&old[j]);
			dag_free(old[j].part);
		}
	for (size_t i = 0; i < npatched; i++) {
		/* pto's pool is the patched part's now. */
		diff_objects_free(&pfrom[i]);
		free(pto[i].items);
		if (pto[i].n == 0)
			free(pto[i].pool);
	}
	return true;
}

static void
record_parts(struct diff_statuses *t, const struct dag *dag,
    struct diff_objects *from, struct diff_objects *to)
{
	size_t nparts = dag->nparts > 0 ? dag->nparts : 1, cap = 16, mask;
	struct status_part *now;
	const struct diff_objects **gone, **came;
	size_t ngone = 0, ncame = 0;
	size_t *slots; /* index + 1 into t->parts, 0 = empty */
	bool *kept;
	bool by_address = t->last != NULL && dag->nparts > 0 &&
	    t->last->newer == dag;

	if (record_in_place(t, dag, nparts, by_address, from, to))
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
		struct dag *part = part_of(dag, k);
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
		diff_objects_from_statuses_ordered(&now[k].objects,
		    part->statuses, part->nstatuses);
		came[ncame++] = &now[k].objects;
	}
	gone = xcalloc(t->n + 1, sizeof *gone);
	for (size_t i = 0; i < t->n; i++)
		if (!kept[i])
			gone[ngone++] = part_objects(&t->parts[i]);
	if (from != NULL)
		diff_objects_concat(from, gone, ngone);
	if (to != NULL)
		diff_objects_concat(to, came, ncame);
	/* The parts that went away: only their copies were read. */
	for (size_t i = 0; i < t->n; i++)
		if (!kept[i]) {
			diff_objects_free(&t->parts[i].objects);
			part_pools_free(&t->parts[i]);
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

void
diff_statuses_build_kept(struct diff_statuses *t, const struct dag *dag)
{
	if (t->last != NULL && t->last != dag) {
		dag_free(t->last);
		t->last = NULL;
	}
}

void
diff_statuses_record(struct diff_statuses *t, const struct dag *dag,
    struct diff_objects *from, struct diff_objects *to)
{
	record_parts(t, dag, from, to);
	diff_statuses_release(t);
	t->dropped = t->last;
	t->last = dag->nparts > 0 ? dag_ref((struct dag *)dag) : NULL;
}

void
diff_statuses_release(struct diff_statuses *t)
{
	dag_free(t->dropped);
	t->dropped = NULL;
}
