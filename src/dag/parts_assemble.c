/* Assembly of an incremental build's DAG from its parts (parts.c): the
 * sorted runs one per part, the Gateways merged by name, and the arrays
 * patched from the last assembly where parts kept their place
 * (patch_runs). The statuses are assembled in parts_statuses.c. */
#include "dag/parts_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void
parts_runs_init(struct runs *r, void *base, size_t elem,
    int (*cmp)(const void *, const void *), const size_t *changed)
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
	    (r->changed == NULL || r->changed[i + 1] != r->changed[r->last]) &&
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
 * parts that have some are those where at's count moves: the others
 * are not read. */
static void
gateways_assemble(struct dag *dag, struct dag **parts, size_t nparts,
    const struct part_at *at)
{
	size_t n = at[nparts].gateways;

	if (n == 0)
		return;
	dag->gateways = ARENA_ARRAY(&dag->arena, struct dag_gateway, n);
	for (size_t i = 0; i < nparts; i++) {
		if (at[i + 1].gateways == at[i].gateways)
			continue;
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

/* Array k of dag from parts: a part at the same position as in the last
 * assembly (prev, in order for k: its array is the concatenation of its
 * parts') joins its unchanged neighbours in one block copied from prev;
 * the others are copied part by part. */
static void
patch_runs(int k, struct dag **parts, size_t nparts,
    const size_t *changed, const struct dag *prev,
    const struct part_at *prev_at, struct runs *r, size_t *blocks)
{
	const char *old = asm_base(prev, k);
	size_t elem = asm_arrays[k].elem;

	for (size_t i = 0; i < nparts;) {
		size_t j = i;

		if (changed[i + 1] != changed[i]) {
			parts_runs_add(r, asm_base(parts[i], k), *asm_count(parts[i], k), i);
			i++;
			continue;
		}
		while (j < nparts && changed[j + 1] == changed[j])
			j++;
		runs_add_block(r, old + prev_at[i].n[k] * elem,
		    prev_at[j].n[k] - prev_at[i].n[k], i, j - 1);
		(*blocks)++;
		i = j;
	}
}

/* The union of parts (borrowed: the dag cache holds them, parts.c).
 * changed (NULL: none known) and *in_order as for runs, ASM_* bits.
 * prev (or NULL) is the last assembly, of prev_nparts parts whose
 * elements start at prev_at; at (nparts + 1 entries) gets where this
 * one's parts start. */
struct dag *
dag_assemble(struct dag **parts, size_t nparts, const size_t *changed,
    unsigned known, unsigned *in_order, const struct dag *prev,
    const struct part_at *prev_at, size_t prev_nparts, struct part_at *at,
    size_t *blocks)
{
	struct dag *dag = xcalloc(1, sizeof *dag);
	struct arena *a = &dag->arena;
	/* Positions are comparable: changed says which parts are new. */
	bool same = prev != NULL && changed != NULL && nparts == prev_nparts;
	size_t bytes = 256;
	struct runs r[ASM_ARRAY_STATUSES];

	memset(&at[0], 0, sizeof at[0]);
	for (size_t i = 0; i < nparts; i++) {
		if (same && changed[i + 1] == changed[i]) {
			/* The part at its last place: its counts are there. */
			for (int k = 0; k < ASM_NARRAYS; k++)
				at[i + 1].n[k] = at[i].n[k] + prev_at[i + 1].n[k] -
				    prev_at[i].n[k];
			at[i + 1].gateways = at[i].gateways +
			    prev_at[i + 1].gateways - prev_at[i].gateways;
			continue;
		}
		for (int k = 0; k < ASM_NARRAYS; k++)
			at[i + 1].n[k] = at[i].n[k] + *asm_count(parts[i], k);
		at[i + 1].gateways = at[i].gateways + parts[i]->ngateways;
	}
	/* The statuses are in chunks of their own (parts_statuses.c). */
	for (int k = 0; k < ASM_ARRAY_STATUSES; k++)
		bytes += at[nparts].n[k] * asm_arrays[k].elem;
	arena_init_sized(a, bytes);
	/* Every element below the count is copied from a part or from the
	 * last assembly: nothing to zero first. */
	dag->vhosts = arena_alloc_nozero(a, sizeof(struct dag_vhost) *
	    (at[nparts].n[ASM_ARRAY_VHOSTS] + 1));
	dag->clusters = arena_alloc_nozero(a, sizeof(struct dag_cluster *) *
	    (at[nparts].n[ASM_ARRAY_CLUSTERS] + 1));
	dag->endpoints = arena_alloc_nozero(a, sizeof(struct dag_endpoints *) *
	    (at[nparts].n[ASM_ARRAY_ENDPOINTS] + 1));
	dag->secrets = arena_alloc_nozero(a, sizeof(struct dag_secret *) *
	    (at[nparts].n[ASM_ARRAY_SECRETS] + 1));
	dag->tls_files = arena_alloc_nozero(a, sizeof(const char *) *
	    (at[nparts].n[ASM_ARRAY_TLS_FILES] + 1));
	*in_order = 0;
#define KNOWN(bit) ((known & (bit)) ? changed : NULL)
	for (int k = 0; k < ASM_ARRAY_STATUSES; k++) {
		unsigned bit = asm_arrays[k].bit;

		parts_runs_init(&r[k], asm_base(dag, k), asm_arrays[k].elem,
		    asm_arrays[k].cmp, KNOWN(bit));
		if (same && (known & bit) != 0)
			patch_runs(k, parts, nparts, changed, prev, prev_at,
			    &r[k], blocks);
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
	dag->nstatuses = at[nparts].n[ASM_ARRAY_STATUSES];
#undef KNOWN
	gateways_assemble(dag, parts, nparts, at);
	dag->parts = arena_alloc_nozero(a, sizeof(struct dag *) * (nparts + 1));
	memcpy(dag->parts, parts, nparts * sizeof parts[0]);
	dag->nparts = nparts;
	dag->parts_borrowed = true;
	return dag;
}
