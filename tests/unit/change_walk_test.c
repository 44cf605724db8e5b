/* What a one-file change walks (issue #14) must not change what a build
 * makes: over random sequences of file changes, the DAG's statuses
 * patched from the last build (dag_cache) are a fresh build's, status for
 * status in order, and the patch is what ran when one file changed; the
 * pipeline fed deltas, whose file table, units and Secrets' files read
 * what each entry kept of its version, builds what a new pipeline does;
 * a delta stream in sync plans a change from what changed and answers
 * what one planning from the whole sets answers. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ads/delta.h"
#include "config.h"
#include "dag/dag.h"
#include "diff/diff.h"
#include "load/load.h"
#include "pipeline.h"
#include "source/source.h"
#include "util/hash.h"
#include "util/log.h"
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

	switch (v % 6) {
	case 5: /* no objects: no unit, one part fewer (files come and go) */
		return xstrdup("# emptied\n");
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
		const struct dag_object_status *a = dag_status_at(x, i),
		    *b = dag_status_at(y, i);

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
		for (size_t c = 0; c < a->nconditions; c++)
			if (!same_str(a->conditions[c].message,
			    b->conditions[c].message))
				fail_msg("step %d: %s %s/%s: \"%s\" where a fresh "
				    "build says \"%s\"", step, obj_kind_name(a->kind),
				    a->namespace, a->name, a->conditions[c].message,
				    b->conditions[c].message);
	}
}

/* The hosts and clusters of x are a fresh build's y, name for name and
 * route count for route count. */
static void
assert_same_hosts_clusters(const struct dag *x, const struct dag *y, int step)
{
	if (x->nvhosts != y->nvhosts || x->nclusters != y->nclusters ||
	    x->nendpoints != y->nendpoints)
		fail_msg("step %d: %zu hosts, %zu clusters, %zu endpoints where "
		    "a fresh build has %zu, %zu, %zu", step, x->nvhosts,
		    x->nclusters, x->nendpoints, y->nvhosts, y->nclusters,
		    y->nendpoints);
	for (size_t i = 0; i < x->nvhosts; i++)
		if (strcmp(dag_vhost_at(x, i)->fqdn, dag_vhost_at(y, i)->fqdn) != 0 ||
		    dag_vhost_at(x, i)->nroutes != dag_vhost_at(y, i)->nroutes)
			fail_msg("step %d: host %zu is %s (%zu routes) where a "
			    "fresh build has %s (%zu)", step, i, dag_vhost_at(x, i)->fqdn,
			    dag_vhost_at(x, i)->nroutes, dag_vhost_at(y, i)->fqdn,
			    dag_vhost_at(y, i)->nroutes);
	for (size_t i = 0; i < x->nclusters; i++)
		if (strcmp(dag_cluster_at(x, i)->name, dag_cluster_at(y, i)->name) != 0)
			fail_msg("step %d: cluster %zu is %s where a fresh build "
			    "has %s", step, i, dag_cluster_at(x, i)->name,
			    dag_cluster_at(y, i)->name);
}

/* dag_count_status (kept by the incremental build) counts what the
 * statuses say. */
static void
assert_status_counts(const struct dag *d, int step)
{
	static const enum dag_status all[] = { DAG_STATUS_VALID,
		DAG_STATUS_INVALID, DAG_STATUS_ORPHANED };

	if (!d->status_counts_known)
		fail_msg("step %d: an incremental build without status counts",
		    step);
	for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
		size_t n = 0;

		for (size_t i = 0; i < d->nstatuses; i++)
			n += dag_status_at(d, i)->status == all[k];
		if (dag_count_status(d, all[k]) != n)
			fail_msg("step %d: %zu statuses %d counted, %zu there",
			    step, dag_count_status(d, all[k]), (int)all[k], n);
	}
}

/* The statuses of the parts of x that y does not have. */
static size_t
statuses_not_in(const struct dag *x, const struct dag *y)
{
	size_t n = 0;

	for (size_t i = 0; x != NULL && i < x->nparts; i++) {
		bool found = false;

		for (size_t j = 0; y != NULL && j < y->nparts && !found; j++)
			found = dag_part_at(x, i) == dag_part_at(y, j);
		if (!found)
			n += dag_part_at(x, i)->nstatuses;
	}
	return n;
}

/* Random one- and few-file changes: each build's statuses equal a build
 * without a cache; a change of one file's statuses is a patch; serve's
 * record of the change (diff_statuses_record) has the statuses of the
 * parts that went and of those that came. */
static void
test_statuses_patched_equal_fresh(void **state)
{
	struct tree t = { 0 };
	struct dag_cache *c = dag_cache_new();
	struct dag *last = NULL;
	size_t patched = 0, single = 0, fast = 0, single_fast = 0;
	struct diff_statuses *rec = diff_statuses_new();

	(void)state;
	for (size_t i = 0; i < NFILES; i++)
		tree_set(&t, i, 0);
	for (int step = 0; step < 300; step++) {
		size_t nchange = step == 0 ? 0 : rng() % 7 == 0 ? 2 + rng() % 4 : 1;
		struct dag_cache *fresh_c = dag_cache_new();
		struct dag *d, *fresh;
		struct dag_cache_stats st;
		struct dag_unit units[NFILES];
		size_t nunits;

		for (size_t k = 0; k < nchange; k++)
			tree_set(&t, rng() % NFILES, (unsigned)(rng() % 12));
		/* Files without objects are no unit, as in the pipeline. */
		nunits = 0;
		for (size_t i = 0; i < NFILES; i++)
			if (t.units[i].nobjs > 0)
				units[nunits++] = t.units[i];
		d = dag_build_units(units, nunits, NULL, c);
		fresh = dag_build_units(units, nunits, NULL, fresh_c);
		tree_built(&t);
		st = dag_cache_stats(c);
		assert_false(dag_cache_stats(fresh_c).statuses_patched);
		assert_same_statuses(d, fresh, step);
		assert_same_hosts_clusters(d, fresh, step);
		assert_status_counts(d, step);
		if (nchange == 1) {
			single++;
			/* Same files, same keys: the grouping holds and one
			 * part changed, so the statuses must be a patch. */
			assert_true(st.statuses_patched);
			single_fast += st.fast;
		}
		/* The cache holds exactly the parts in use: a part replaced
		 * by a change left it, none in use did. */
		if (st.cached != d->nparts)
			fail_msg("step %d: the cache holds %zu parts, the DAG "
			    "has %zu", step, st.cached, d->nparts);
		fast += st.fast;
		patched += st.statuses_patched;
		{
			struct diff_objects from, to;

			diff_statuses_record(rec, d, &from, &to);
			if (from.n != statuses_not_in(last, d) ||
			    to.n != statuses_not_in(d, last))
				fail_msg("step %d: the change record has %zu statuses "
				    "gone and %zu come, the parts %zu and %zu", step,
				    from.n, to.n, statuses_not_in(last, d),
				    statuses_not_in(d, last));
			diff_objects_free(&from);
			diff_objects_free(&to);
		}
		dag_free(fresh);
		dag_cache_free(fresh_c);
		/* Each DAG outlives the next build, as serve's does. */
		dag_free(last);
		last = d;
	}
	assert_true(single > 200);
	assert_true(patched >= single);
	print_message("%zu builds of %zu one-file changes looked only at the "
	    "changed group, %zu builds in all\n", single_fast, single, fast);
	/* A one-file change that keeps the file's keys (most variants) looks
	 * only at its group (parts_build_changed). */
	assert_true(single_fast * 2 >= single);
	diff_statuses_free(rec);
	dag_free(last);
	dag_cache_free(c);
	for (size_t i = 0; i < NFILES; i++)
		loaded_file_free(t.files[i]);
}

/* --- the pipeline --------------------------------------------------------- */

#define PFILES 12

/* Variant v of pipeline file i: a proxy and its Service, a Secret naming
 * certificate files, a kind cairn skips (a warning), YAML that does not
 * parse (the last good version serves), or no file. */
static char *
pfile_yaml(size_t i, unsigned v)
{
	switch (v % 6) {
	case 0:
	case 1:
		return xasprintf("apiVersion: projectcontour.io/v1\n"
		    "kind: HTTPProxy\nmetadata:\n  name: p%zu\nspec:\n"
		    "  virtualhost:\n    fqdn: h%zu.example.com\n"
		    "    tls:\n      secretName: tls%zu\n"
		    "  routes:\n  - conditions:\n    - prefix: /v%u\n"
		    "    services:\n    - name: s%zu\n      port: 80\n---\n"
		    "apiVersion: v1\nkind: Service\nmetadata:\n  name: s%zu\n"
		    "spec:\n  ports:\n  - port: 80\n", i, i, i, v, i, i);
	case 2:
		return xasprintf("apiVersion: v1\nkind: Secret\nmetadata:\n"
		    "  name: tls%zu\n  annotations:\n"
		    "    cairn.io/certificate-file: /nonexistent/c%zu-%u.pem\n"
		    "    cairn.io/private-key-file: /nonexistent/k%zu.pem\n",
		    i, i, v, i);
	case 3:
		return xasprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
		    "  name: cm%zu\ndata:\n  a: b%u\n", i, v);
	case 4:
		return xasprintf("kind: [\n%zu\n", i);
	default:
		return NULL;
	}
}

struct pmodel {
	char *cur[PFILES]; /* current bytes, NULL: no file */
	char *good[PFILES]; /* the last bytes that loaded while it existed */
};

static void
pfiles_add(struct source_files *sf, size_t i, const char *data)
{
	struct source_file f = { 0 };

	f.path = xasprintf("ns%zu/f%02zu.yaml", i % 4, i);
	f.ns = source_namespace_of(f.path);
	f.data = xstrdup(data);
	f.len = strlen(data);
	f.hash = hash_bytes(f.data, f.len);
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
}

static int
pfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct source_file *)a)->path,
	    ((const struct source_file *)b)->path);
}

/* The files of which (cur or good), sorted as a source hands them. */
static void
pfiles_of(struct source_files *sf, char *const *which)
{
	memset(sf, 0, sizeof *sf);
	diag_list_init(&sf->diags);
	sf->revision = xstrdup("r");
	for (size_t i = 0; i < PFILES; i++)
		if (which[i] != NULL)
			pfiles_add(sf, i, which[i]);
	if (sf->n > 1)
		qsort(sf->files, sf->n, sizeof sf->files[0], pfile_cmp);
}

static void
assert_same_result(const struct build_result *a, const struct build_result *b,
    int step)
{
	if (a->nfiles != b->nfiles || a->nobjects != b->nobjects ||
	    a->diags.n != b->diags.n)
		fail_msg("step %d: %zu files, %zu objects, %zu problems where a new "
		    "pipeline has %zu, %zu, %zu", step, a->nfiles, a->nobjects,
		    a->diags.n, b->nfiles, b->nobjects, b->diags.n);
	for (size_t i = 0; i < a->nfiles; i++) {
		const struct file_status *x = &a->files[i], *y = &b->files[i];

		if (strcmp(x->path, y->path) != 0 || x->state != y->state ||
		    strcmp(x->serving_hash, y->serving_hash) != 0 ||
		    x->nobjects != y->nobjects)
			fail_msg("step %d: %s: state %d, serving %s, %zu objects "
			    "where a new pipeline has %d, %s, %zu", step, x->path,
			    x->state, x->serving_hash, x->nobjects, y->state,
			    y->serving_hash, y->nobjects);
	}
	for (size_t i = 0; i < a->diags.n; i++)
		assert_string_equal(a->diags.items[i].message,
		    b->diags.items[i].message);
	assert_int_equal(a->dag->ntls_files, b->dag->ntls_files);
	for (size_t i = 0; i < a->dag->ntls_files; i++)
		assert_string_equal(a->dag->tls_files[i], b->dag->tls_files[i]);
	assert_same_statuses(a->dag, b->dag, step);
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		assert_string_equal(a->snapshot->types[t].version_hex,
		    b->snapshot->types[t].version_hex);
}

/* A pipeline fed one delta after another against a new pipeline fed the
 * last good versions, then the current files (so it has the same last
 * good versions to serve): the same files, states, problems, Secrets'
 * files, statuses and snapshot. */
static void
test_pipeline_deltas_equal_fresh(void **state)
{
	struct pmodel m = { 0 };
	struct pipeline *p = pipeline_new(NULL);
	struct cairn_config cfg;
	struct translate_options to;
	struct build_result last = { 0 };

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	for (size_t i = 0; i < PFILES; i++) {
		m.cur[i] = pfile_yaml(i, (unsigned)(i % 4));
		m.good[i] = strncmp(m.cur[i], "kind: [", 7) == 0 ? NULL :
		    xstrdup(m.cur[i]);
	}
	for (int step = 0; step < 150; step++) {
		struct source_files delta, whole, goods;
		struct pipeline *q = pipeline_new(NULL);
		struct build_result r, rg, rq;
		size_t nchange = step == 0 ? 0 : 1 + rng() % 2, rcap = 0;
		bool changed[PFILES] = { false };

		memset(&delta, 0, sizeof delta);
		diag_list_init(&delta.diags);
		delta.revision = xstrdup("r");
		delta.delta = step > 0;
		for (size_t k = 0; k < nchange; k++) {
			size_t i = rng() % PFILES;
			char *y = pfile_yaml(i, (unsigned)(rng() % 12));

			free(m.cur[i]);
			m.cur[i] = y;
			changed[i] = true;
		}
		/* What the pipeline saw of a file changed twice in a step is
		 * the second version. */
		for (size_t i = 0; i < PFILES; i++) {
			if (!changed[i])
				continue;
			if (m.cur[i] == NULL) {
				free(m.good[i]);
				m.good[i] = NULL;
			} else if (strncmp(m.cur[i], "kind: [", 7) != 0) {
				free(m.good[i]);
				m.good[i] = xstrdup(m.cur[i]);
			}
		}
		if (step == 0) {
			source_files_free(&delta);
			pfiles_of(&delta, m.cur);
		}
		else {
			/* The files that changed, some that did not (a delta
			 * may name a file read again with the same bytes) and
			 * the paths of those gone (one gone before may be named
			 * again). */
			for (size_t i = 0; i < PFILES; i++) {
				if (m.cur[i] != NULL && (changed[i] || rng() % 5 == 0))
					pfiles_add(&delta, i, m.cur[i]);
				else if (m.cur[i] == NULL &&
				    (changed[i] || rng() % 5 == 0))
					ARRAY_PUSH(delta.removed, delta.n_removed,
					    rcap, xasprintf("ns%zu/f%02zu.yaml",
					    i % 4, i));
			}
			if (delta.n > 1)
				qsort(delta.files, delta.n, sizeof delta.files[0],
				    pfile_cmp);
		}
		pipeline_build(p, &delta, &cfg, &to, &r);
		pfiles_of(&goods, m.good);
		pfiles_of(&whole, m.cur);
		pipeline_build(q, &goods, &cfg, &to, &rg);
		build_result_free(&rg);
		pipeline_build(q, &whole, &cfg, &to, &rq);
		assert_same_result(&r, &rq, step);
		build_result_free(&rq);
		pipeline_free(q);
		source_files_free(&whole);
		source_files_free(&goods);
		source_files_free(&delta);
		build_result_free(&last);
		last = r;
	}
	build_result_free(&last);
	pipeline_free(p);
	config_free(&cfg);
	for (size_t i = 0; i < PFILES; i++) {
		free(m.cur[i]);
		free(m.good[i]);
	}
}

/* git mode: a new commit whose files claim what the last one's did, none
 * of them contested, keeps the (empty) order without gathering every
 * claim; a contested FQDN is ordered from the history at each commit.
 * Either way the ledger and statuses are a new pipeline's at that commit. */
static size_t
stub_claim_age(void *history, const char *revision, const char *path,
    size_t max, bool (*holds)(void *ctx, const char *data, size_t len),
    void *ctx)
{
	char buf[256];

	(void)history;
	(void)holds;
	(void)ctx;
	/* Any age, as long as it is the same for the same commit and file. */
	snprintf(buf, sizeof buf, "%s %s", revision, path);
	return (size_t)(hash_bytes(buf, strlen(buf)) % (max + 1));
}

/* File i claiming its own FQDN (v 0), one every such file shares (v 1),
 * or not loading (v 2: its last good claim stays). */
static char *
claim_yaml(size_t i, unsigned v)
{
	char fqdn[64];

	if (v % 3 == 2)
		return xasprintf("kind: [\n");
	if (v % 3 == 0)
		snprintf(fqdn, sizeof fqdn, "own%zu.example.com", i);
	else
		snprintf(fqdn, sizeof fqdn, "shared.example.com");
	return xasprintf("apiVersion: projectcontour.io/v1\n"
	    "kind: HTTPProxy\nmetadata:\n  name: p%zu\nspec:\n"
	    "  virtualhost:\n    fqdn: %s\n  routes:\n"
	    "  - services:\n    - name: s\n      port: 80\n---\n"
	    "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
	    "spec:\n  ports:\n  - port: 80\n", i, fqdn);
}

static void
test_pipeline_git_claims_equal_fresh(void **state)
{
	struct pmodel m = { 0 };
	struct pipeline *p = pipeline_new(NULL);
	struct cairn_config cfg;
	struct translate_options to;

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	for (size_t i = 0; i < PFILES; i++) {
		m.cur[i] = claim_yaml(i, 0);
		m.good[i] = xstrdup(m.cur[i]);
	}
	for (int step = 0; step < 80; step++) {
		struct source_files whole, goods, again;
		struct pipeline *q = pipeline_new(NULL);
		struct build_result r, rq;
		const struct fqdn_ledger *a, *b;

		if (step > 0) {
			size_t i = rng() % PFILES;
			unsigned v = rng() % 5 == 0 ? 1 : rng() % 4 == 0 ? 2 : 0;

			free(m.cur[i]);
			/* Mostly own FQDNs: most commits have none contested. */
			m.cur[i] = claim_yaml(i, v);
			if (v != 2) {
				free(m.good[i]);
				m.good[i] = xstrdup(m.cur[i]);
			}
		}
		pfiles_of(&whole, m.cur);
		free(whole.revision);
		whole.revision = xasprintf("c%03d", step);
		whole.claim_age = stub_claim_age;
		/* The new pipeline: the last good versions, then the files,
		 * both at this commit. */
		pfiles_of(&goods, m.good);
		free(goods.revision);
		goods.revision = xstrdup(whole.revision);
		goods.claim_age = stub_claim_age;
		pfiles_of(&again, m.cur);
		free(again.revision);
		again.revision = xstrdup(whole.revision);
		again.claim_age = stub_claim_age;
		pipeline_build(p, &whole, &cfg, &to, &r);
		pipeline_build(q, &goods, &cfg, &to, &rq);
		build_result_free(&rq);
		pipeline_build(q, &again, &cfg, &to, &rq);
		a = pipeline_owners(p);
		b = pipeline_owners(q);
		if (a->n != b->n)
			fail_msg("step %d: %zu ordered claims where a new pipeline "
			    "has %zu", step, a->n, b->n);
		for (size_t k = 0; k < a->n; k++) {
			assert_string_equal(a->items[k].fqdn, b->items[k].fqdn);
			assert_string_equal(a->items[k].name, b->items[k].name);
			assert_int_equal(a->items[k].seq, b->items[k].seq);
		}
		assert_same_statuses(r.dag, rq.dag, step);
		build_result_free(&r);
		build_result_free(&rq);
		pipeline_free(q);
		source_files_free(&whole);
		source_files_free(&goods);
		source_files_free(&again);
	}
	pipeline_free(p);
	config_free(&cfg);
	for (size_t i = 0; i < PFILES; i++) {
		free(m.cur[i]);
		free(m.good[i]);
	}
}

/* --- delta streams -------------------------------------------------------- */

#define DNAMES 24

static const char *
dname(size_t i)
{
	static char names[DNAMES][16];

	snprintf(names[i], sizeof names[i], "r%02zu", i);
	return names[i];
}

/* A random snapshot: each name of each type there or not, in one of three
 * versions, some named-only (as proxyless listeners are). */
static struct snapshot *
random_snapshot(int gen)
{
	char rev[32];
	struct snapshot_builder *b;

	snprintf(rev, sizeof rev, "rev-%d", gen);
	b = snapshot_builder_new(rev);
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		for (size_t i = 0; i < DNAMES; i++) {
			char body[16];

			if (rng() % 4 == 0)
				continue;
			snprintf(body, sizeof body, "v%u", (unsigned)(rng() % 3));
			snapshot_builder_add(b, (enum xds_type)t, dname(i), body,
			    strlen(body), i % 11 == 10);
		}
	return snapshot_builder_finish(b);
}

/* The same snapshot with one resource of type t changed: a one-file
 * change as a stream sees it. */
static struct snapshot *
one_changed(const struct snapshot *from, enum xds_type t, size_t which,
    const char *rev)
{
	struct snapshot_builder *b = snapshot_builder_new(rev);

	for (int k = 0; k < XDS_TYPE_COUNT; k++)
		for (size_t i = 0; i < from->types[k].n; i++) {
			const struct xds_resource *r = xds_set_at(&from->types[k], i);

			if (k == (int)t && i == which)
				snapshot_builder_add(b, (enum xds_type)k, r->name,
				    "changed", 7, r->named_only);
			else
				snapshot_builder_add(b, (enum xds_type)k, r->name,
				    xds_resource_bytes(r), r->len, r->named_only);
		}
	return snapshot_builder_finish(b);
}

static void
delta_request_both(struct delta_stream *a, struct delta_stream *b,
    const struct delta_request *req)
{
	struct delta_result ra, rb;
	char *ea = NULL, *eb = NULL;

	assert_int_equal(delta_handle_request(a, req, &ra, &ea),
	    delta_handle_request(b, req, &rb, &eb));
	assert_null(ea);
	assert_null(eb);
	assert_int_equal(ra.verdict, rb.verdict);
}

/* Every response of a and b until neither has one: the same. The last
 * nonce of each type is kept for ACKs. */
static void
drain_both(struct delta_stream *a, struct delta_stream *b,
    struct snapshot *snap, char nonces[XDS_TYPE_COUNT][21], int step)
{
	for (int guard = 0; guard < 1000; guard++) {
		struct delta_response x, y;
		bool hx = delta_next_response(a, snap, &x);
		bool hy = delta_next_response(b, snap, &y);

		if (hx != hy)
			fail_msg("step %d: a stream in sync %s a response where "
			    "planning from the whole sets %s", step,
			    hx ? "made" : "made no", hy ? "does" : "does not");
		if (!hx)
			return;
		assert_int_equal(x.type, y.type);
		assert_int_equal(x.withdrawal, y.withdrawal);
		assert_string_equal(x.version, y.version);
		assert_string_equal(x.nonce, y.nonce);
		if (x.n != y.n || x.nremoved != y.nremoved)
			fail_msg("step %d: %s: %zu resources and %zu removals where "
			    "planning from the whole sets gives %zu and %zu", step,
			    xds_type_short(x.type), x.n, x.nremoved, y.n, y.nremoved);
		for (size_t i = 0; i < x.n; i++)
			assert_ptr_equal(x.items[i], y.items[i]);
		for (size_t i = 0; i < x.nremoved; i++)
			assert_string_equal(x.removed[i], y.removed[i]);
		memcpy(nonces[x.type], x.nonce, sizeof x.nonce);
		delta_response_free(&x);
		delta_response_free(&y);
	}
	fail_msg("step %d: responses do not end", step);
}

/* Random subscriptions (names, "*", unsubscribes), ACKs, NACKs, response
 * size limits and snapshots: a stream that plans from the sets' diff
 * answers exactly what one planning from the whole sets answers. */
static void
test_delta_changed_plan_equal_whole(void **state)
{
	(void)state;
	for (int run = 0; run < 20; run++) {
		struct delta_stream a, b;
		struct snapshot *snap = random_snapshot(0);
		char nonces[XDS_TYPE_COUNT][21] = { { 0 } };

		delta_init(&a);
		delta_init(&b);
		b.plan_whole = true;
		if (run % 3 == 1)
			a.max_response_bytes = b.max_response_bytes = 120;
		for (int step = 0; step < 120; step++) {
			unsigned what = (unsigned)(rng() % 10);
			enum xds_type t = (enum xds_type)(rng() % XDS_TYPE_COUNT);
			const char *sub[4], *unsub[4];
			struct delta_request req = { .type_url = xds_type_url(t),
				.node_id = "n", .node_cluster = "c",
				.response_nonce = nonces[t] };
			size_t ns = 0, nu = 0;

			if (what < 3) {
				snapshot_unref(snap);
				snap = random_snapshot(step);
			} else if (what < 5) {
				struct snapshot *next = snap->types[t].n == 0 ? NULL :
				    one_changed(snap, t, rng() % snap->types[t].n,
				    "rev-one");

				if (next != NULL) {
					snapshot_unref(snap);
					snap = next;
				}
			} else {
				for (unsigned k = rng() % 4; k > 0; k--)
					sub[ns++] = rng() % 6 == 0 ? "*" :
					    dname(rng() % DNAMES);
				for (unsigned k = what == 9 ? 1 + rng() % 3 : 0; k > 0;
				    k--)
					unsub[nu++] = rng() % 5 == 0 ? "*" :
					    dname(rng() % DNAMES);
				req.subscribe = sub;
				req.nsubscribe = ns;
				req.unsubscribe = unsub;
				req.nunsubscribe = nu;
				if (what == 8) {
					req.has_error = true;
					req.error_code = 3;
					req.error_message = "rejected";
				}
				delta_request_both(&a, &b, &req);
			}
			drain_both(&a, &b, snap, nonces, step);
		}
		delta_free(&a);
		delta_free(&b);
		snapshot_unref(snap);
	}
}

/* A stream subscribed to every one of many resources, in sync: a change
 * of one resource is planned over that name (and none of the others);
 * planning from the whole sets goes over all of them. */
static void
test_delta_change_costs_the_change(void **state)
{
	enum { N = 2000 };
	struct snapshot_builder *bld = snapshot_builder_new("rev-1");
	struct snapshot *snap, *next;
	struct delta_stream st, whole;
	struct delta_response r;
	const char *star[] = { "*" };
	struct delta_request req = { .type_url = xds_type_url(XDS_CLUSTER),
		.subscribe = star, .nsubscribe = 1, .node_id = "n",
		.node_cluster = "c", .response_nonce = "" };
	struct delta_result res;
	char *err = NULL, nonce[21];
	uint64_t before, before_whole;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		char name[32];

		snprintf(name, sizeof name, "default/svc-%05zu/80", i);
		snapshot_builder_add(bld, XDS_CLUSTER, name, "c1", 2, false);
	}
	snap = snapshot_builder_finish(bld);
	delta_init(&st);
	delta_init(&whole);
	whole.plan_whole = true;
	assert_int_equal(delta_handle_request(&st, &req, &res, &err), 0);
	assert_int_equal(delta_handle_request(&whole, &req, &res, &err), 0);
	assert_true(delta_next_response(&st, snap, &r));
	assert_int_equal(r.n, N);
	memcpy(nonce, r.nonce, sizeof nonce);
	delta_response_free(&r);
	assert_true(delta_next_response(&whole, snap, &r));
	delta_response_free(&r);
	/* The ACK. */
	req.subscribe = NULL;
	req.nsubscribe = 0;
	req.response_nonce = nonce;
	assert_int_equal(delta_handle_request(&st, &req, &res, &err), 0);
	assert_int_equal(res.verdict, ADS_ACK);
	assert_int_equal(delta_handle_request(&whole, &req, &res, &err), 0);
	assert_false(delta_next_response(&st, snap, &r));
	assert_false(delta_next_response(&whole, snap, &r));

	for (int k = 0; k < 5; k++) {
		next = one_changed(snap, XDS_CLUSTER, (size_t)(k * 397) % N,
		    "rev-2");
		snapshot_unref(snap);
		snap = next;
		before = st.planned;
		before_whole = whole.planned;
		assert_true(delta_next_response(&st, snap, &r));
		assert_int_equal(r.n, 1);
		delta_response_free(&r);
		assert_false(delta_next_response(&st, snap, &r));
		assert_true(delta_next_response(&whole, snap, &r));
		delta_response_free(&r);
		assert_false(delta_next_response(&whole, snap, &r));
		/* One name (the changed one) per plan made. */
		if (st.planned - before > 2)
			fail_msg("change %d: %" PRIu64 " names planned for a "
			    "one-resource change to a %d-resource subscription",
			    k, st.planned - before, N);
		assert_true(whole.planned - before_whole >= N);
	}
	delta_free(&st);
	delta_free(&whole);
	snapshot_unref(snap);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statuses_patched_equal_fresh),
		cmocka_unit_test(test_pipeline_deltas_equal_fresh),
		cmocka_unit_test(test_pipeline_git_claims_equal_fresh),
		cmocka_unit_test(test_delta_changed_plan_equal_whole),
		cmocka_unit_test(test_delta_change_costs_the_change),
	};

	log_set_level(LOG_LEVEL_ERROR); /* the NACKs */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
