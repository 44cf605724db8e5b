/* What a one-file change walks (issue #14) must not change what a build
 * makes: over random sequences of file changes, the DAG's statuses
 * patched from the last build (dag_cache) are a fresh build's, status for
 * status in order, and the patch is what ran when one file changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "dag/dag.h"
#include "load/load.h"
#include "util/xalloc.h"

#define NFILES 40

/* Deterministic, so a failure replays (xorshift). */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* File i in variant v: most variants keep the file's objects and keys
 * (the common edit: a route, a port) but change statuses: a Service that
 * is missing (invalid), a second proxy without a virtual host (orphaned),
 * a port no Service has. */
/* Files of a namespace are one DAG part: every fourth file shares one,
 * the others have their own. */
static const char *
file_ns(size_t i)
{
	static char names[NFILES][16];

	if (i % 4 == 0)
		return "shared";
	snprintf(names[i], sizeof names[i], "ns%zu", i);
	return names[i];
}

static char *
file_yaml(size_t i, unsigned v)
{
	const char *ns = file_ns(i);

	switch (v % 5) {
	case 0:
	case 1:
		return xasprintf("apiVersion: projectcontour.io/v1\n"
		    "kind: HTTPProxy\nmetadata:\n  name: p%zu\n  namespace: %s\n"
		    "spec:\n  virtualhost:\n    fqdn: h%zu.example.com\n"
		    "  routes:\n  - conditions:\n    - prefix: /v%u\n"
		    "    services:\n    - name: s%zu\n      port: 80\n---\n"
		    "apiVersion: v1\nkind: Service\nmetadata:\n  name: s%zu\n"
		    "  namespace: %s\nspec:\n  ports:\n  - port: 80\n",
		    i, ns, i, v, i, i, ns);
	case 2: /* the Service named is not there */
		return xasprintf("apiVersion: projectcontour.io/v1\n"
		    "kind: HTTPProxy\nmetadata:\n  name: p%zu\n  namespace: %s\n"
		    "spec:\n  virtualhost:\n    fqdn: h%zu.example.com\n"
		    "  routes:\n  - services:\n    - name: gone%zu\n      port: 80\n"
		    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s%zu\n"
		    "  namespace: %s\nspec:\n  ports:\n  - port: 80\n",
		    i, ns, i, i, i, ns);
	case 3: /* and a proxy nothing includes */
		return xasprintf("apiVersion: projectcontour.io/v1\n"
		    "kind: HTTPProxy\nmetadata:\n  name: p%zu\n  namespace: %s\n"
		    "spec:\n  virtualhost:\n    fqdn: h%zu.example.com\n"
		    "  routes:\n  - services:\n    - name: s%zu\n      port: 80\n"
		    "---\napiVersion: projectcontour.io/v1\nkind: HTTPProxy\n"
		    "metadata:\n  name: orphan%zu\n  namespace: %s\nspec:\n"
		    "  routes:\n  - services:\n    - name: s%zu\n      port: 80\n"
		    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s%zu\n"
		    "  namespace: %s\nspec:\n  ports:\n  - port: 80\n",
		    i, ns, i, i, i, ns, i, i, ns);
	default: /* a port the Service does not have */
		return xasprintf("apiVersion: projectcontour.io/v1\n"
		    "kind: HTTPProxy\nmetadata:\n  name: p%zu\n  namespace: %s\n"
		    "spec:\n  virtualhost:\n    fqdn: h%zu.example.com\n"
		    "  routes:\n  - services:\n    - name: s%zu\n      port: 81\n"
		    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s%zu\n"
		    "  namespace: %s\nspec:\n  ports:\n  - port: 80\n",
		    i, ns, i, i, i, ns);
	}
}

struct tree {
	struct loaded_file *files[NFILES];
	struct dag_unit units[NFILES];
	uint64_t next_id;
	/* Versions replaced since the last build: the cache may look at
	 * the last build's objects in the next (dag.h), as the pipeline
	 * keeps them (build_keep). */
	struct loaded_file *retired[64];
	size_t nretired;
};

static void
tree_built(struct tree *t)
{
	for (size_t i = 0; i < t->nretired; i++)
		loaded_file_free(t->retired[i]);
	t->nretired = 0;
}

static void
tree_set(struct tree *t, size_t i, unsigned v)
{
	char path[64], *yaml = file_yaml(i, v);
	struct loaded_file *lf;

	snprintf(path, sizeof path, "%s/f%03zu.yaml", file_ns(i), i);
	lf = load_buffer(path, file_ns(i), yaml, strlen(yaml), NULL);
	free(yaml);
	if (!lf->ok)
		fail_msg("variant %u of file %zu does not load: %s", v, i,
		    lf->diags.n > 0 ? lf->diags.items[0].message : "?");
	if (t->files[i] != NULL) {
		assert_true(t->nretired < 64);
		t->retired[t->nretired++] = t->files[i];
	}
	t->files[i] = lf;
	t->units[i] = (struct dag_unit){ .id = ++t->next_id,
		.objs = lf->objects, .nobjs = lf->nobjects };
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
assert_same_statuses(const struct dag *x, const struct dag *y, int step)
{
	if (x->nstatuses != y->nstatuses)
		fail_msg("step %d: %zu statuses where a fresh build has %zu",
		    step, x->nstatuses, y->nstatuses);
	for (size_t i = 0; i < x->nstatuses; i++) {
		const struct dag_object_status *a = &x->statuses[i],
		    *b = &y->statuses[i];

		if (a->kind != b->kind || !same_str(a->namespace, b->namespace) ||
		    !same_str(a->name, b->name) ||
		    !same_str(a->origin.file, b->origin.file) ||
		    a->origin.line != b->origin.line || a->status != b->status ||
		    !same_str(a->description, b->description) ||
		    a->nconditions != b->nconditions)
			fail_msg("step %d: status %zu (%s %s/%s) differs from a "
			    "fresh build's (%s %s/%s)", step, i,
			    obj_kind_name(a->kind), a->namespace, a->name,
			    obj_kind_name(b->kind), b->namespace, b->name);
	}
}

/* Random one- and few-file changes: each build's statuses equal a build
 * without a cache; a change of one file's statuses is a patch. */
static void
test_statuses_patched_equal_fresh(void **state)
{
	struct tree t = { 0 };
	struct dag_cache *c = dag_cache_new();
	struct dag *last = NULL;
	size_t patched = 0, single = 0;

	(void)state;
	for (size_t i = 0; i < NFILES; i++)
		tree_set(&t, i, 0);
	for (int step = 0; step < 300; step++) {
		size_t nchange = step == 0 ? 0 : rng() % 7 == 0 ? 2 + rng() % 4 : 1;
		struct dag_cache *fresh_c = dag_cache_new();
		struct dag *d, *fresh;
		struct dag_cache_stats st;

		for (size_t k = 0; k < nchange; k++)
			tree_set(&t, rng() % NFILES, (unsigned)(rng() % 10));
		d = dag_build_units(t.units, NFILES, NULL, c);
		fresh = dag_build_units(t.units, NFILES, NULL, fresh_c);
		tree_built(&t);
		st = dag_cache_stats(c);
		assert_false(dag_cache_stats(fresh_c).statuses_patched);
		assert_same_statuses(d, fresh, step);
		if (nchange == 1) {
			single++;
			/* Same files, same keys: the grouping holds and one
			 * part changed, so the statuses must be a patch. */
			assert_true(st.statuses_patched);
		}
		patched += st.statuses_patched;
		dag_free(fresh);
		dag_cache_free(fresh_c);
		/* Each DAG outlives the next build, as serve's does. */
		dag_free(last);
		last = d;
	}
	assert_true(single > 200);
	assert_true(patched >= single);
	dag_free(last);
	dag_cache_free(c);
	for (size_t i = 0; i < NFILES; i++)
		loaded_file_free(t.files[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statuses_patched_equal_fresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
