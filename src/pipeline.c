#include "pipeline.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Fewer changed files than this are parsed by the calling thread. */
#define PIPELINE_PARALLEL_MIN_FILES 64
#define PIPELINE_MAX_LOAD_THREADS 8

/* What the pipeline remembers of one file between rebuilds. */
struct file_entry {
	char *path;
	struct loaded_file *good; /* last version that parsed, or NULL */
	struct loaded_file *latest; /* the current version if it failed */
	uint64_t serial; /* of good: new for every version (dag_unit.id) */
	bool moved; /* handed to the next generation (path still readable) */
};

struct pipeline {
	struct load_options lo;
	struct arena scratch; /* the YAML tree of the file being loaded */
	/* Serialized resources of the last build, reused when unchanged. */
	struct translate_cache *tcache;
	/* The DAGs of groups of unchanged files, reused (dag.h). */
	struct dag_cache *dcache;
	uint64_t next_serial;
	struct file_entry *entries; /* sorted by path */
	size_t n, cap;
};

struct pipeline *
pipeline_new(const struct load_options *lo)
{
	struct pipeline *p = xcalloc(1, sizeof *p);

	if (lo)
		p->lo = *lo;
	arena_init(&p->scratch);
	p->tcache = translate_cache_new();
	p->dcache = dag_cache_new();
	return p;
}

static void
file_entry_clear(struct file_entry *e)
{
	if (e->latest != e->good)
		loaded_file_free(e->latest);
	loaded_file_free(e->good);
	free(e->path);
	memset(e, 0, sizeof *e);
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		file_entry_clear(&p->entries[i]);
	free(p->entries);
	arena_free(&p->scratch);
	translate_cache_free(p->tcache);
	dag_cache_free(p->dcache);
	free(p);
}

static struct file_entry *
entry_find(struct pipeline *p, const char *path)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, p->entries[mid].path);

		if (c == 0)
			return &p->entries[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* A file the source could not read this time (too large, permission
 * denied) keeps its last good version, exactly like a file that fails to
 * parse: a bad save must never take routes down. */
static bool
source_reported(const struct source_files *files, const char *path)
{
	for (size_t i = 0; i < files->diags.n; i++)
		if (files->diags.items[i].severity == DIAG_ERROR &&
		    strcmp(files->diags.items[i].file, path) == 0)
			return true;
	return false;
}

/* Files to parse in one rebuild, shared by the loading threads. */
struct load_jobs {
	const struct source_files *files;
	size_t *index; /* into files->files */
	struct loaded_file **out; /* parallel to index */
	size_t n;
	atomic_size_t next; /* the next job to take */
	const struct load_options *lo;
};

static void
load_jobs_run(struct load_jobs *j, struct arena *scratch)
{
	for (;;) {
		size_t k = atomic_fetch_add_explicit(&j->next, 1,
		    memory_order_relaxed);
		const struct source_file *sf;

		if (k >= j->n)
			return;
		sf = &j->files->files[j->index[k]];
		j->out[k] = load_buffer_scratch(sf->path, sf->ns, sf->data,
		    sf->len, j->lo, scratch);
	}
}

static void *
load_worker(void *arg)
{
	struct arena scratch;

	arena_init(&scratch);
	load_jobs_run(arg, &scratch);
	arena_free(&scratch);
	return NULL;
}

/* Threads for n files: files are independent, so a startup (or a git
 * checkout of many files) parses on every CPU; a few changed files are
 * parsed by the calling thread alone. */
static size_t
load_threads(const struct pipeline *p, size_t n)
{
	cpu_set_t set;
	size_t cpus = 1;

	if (p->lo.threads == 1 || n < PIPELINE_PARALLEL_MIN_FILES)
		return 1;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		cpus = (size_t)CPU_COUNT(&set);
	if (p->lo.threads > 1)
		cpus = (size_t)p->lo.threads;
	if (cpus > PIPELINE_MAX_LOAD_THREADS)
		cpus = PIPELINE_MAX_LOAD_THREADS;
	return cpus < 1 ? 1 : cpus;
}

/* Parse j's files; the results are in j->out, in job order, whichever
 * thread parsed them (the outcome does not depend on the threads). */
static void
load_jobs_parse(struct pipeline *p, struct load_jobs *j)
{
	pthread_t tids[PIPELINE_MAX_LOAD_THREADS];
	size_t want = load_threads(p, j->n), started = 0;

	atomic_init(&j->next, 0);
	for (size_t t = 1; t < want; t++)
		if (pthread_create(&tids[started], NULL, load_worker, j) == 0)
			started++;
	load_jobs_run(j, &p->scratch); /* also alone if no thread started */
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
}

/* Move the current file entries into a new array that follows files,
 * parsing what changed. */
static void
entries_update(struct pipeline *p, const struct source_files *files)
{
	struct file_entry *next = NULL;
	size_t n = 0, cap = 0, *slot;
	struct load_jobs jobs = { .files = files, .lo = &p->lo };

	jobs.index = xreallocarray(NULL, files->n + 1, sizeof *jobs.index);
	slot = xreallocarray(NULL, files->n + 1, sizeof *slot);
	for (size_t i = 0, cur = 0; i < files->n; i++) {
		const struct source_file *sf = &files->files[i];
		struct file_entry *old;
		struct file_entry e = { 0 };

		/* Both lists are sorted by path: the next entry is usually
		 * this file's (one compare, not a binary search). */
		if (cur < p->n && strcmp(p->entries[cur].path, sf->path) == 0)
			old = &p->entries[cur++];
		else if ((old = entry_find(p, sf->path)) != NULL)
			cur = (size_t)(old - p->entries) + 1;

		if (old && !old->moved) {
			e = *old;
			e.moved = false;
			/* The old array stays sorted and searchable: keep the
			 * path, mark the entry as taken. */
			old->moved = true;
		} else {
			e.path = xstrdup(sf->path);
		}
		/* Unchanged content: nothing to parse. */
		if (!((e.latest && e.latest->content_hash == sf->hash) ||
		    (!e.latest && e.good && e.good->content_hash == sf->hash))) {
			jobs.index[jobs.n] = i;
			slot[jobs.n++] = n;
		}
		ARRAY_PUSH(next, n, cap, e);
	}
	jobs.out = xreallocarray(NULL, jobs.n + 1, sizeof *jobs.out);
	load_jobs_parse(p, &jobs);
	for (size_t k = 0; k < jobs.n; k++) {
		struct file_entry *e = &next[slot[k]];
		struct loaded_file *lf = jobs.out[k];

		if (e->latest && e->latest != e->good)
			loaded_file_free(e->latest);
		e->latest = NULL;
		if (lf->ok) {
			loaded_file_free(e->good);
			e->good = lf;
			e->serial = ++p->next_serial;
		} else {
			e->latest = lf;
		}
	}
	free(jobs.index);
	free(jobs.out);
	free(slot);
	/* Files that are gone stay only if the source said it could not read
	 * them; the rest are deleted for real. */
	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];

		if (e->moved)
			continue;
		if (e->good && source_reported(files, e->path)) {
			ARRAY_PUSH(next, n, cap, *e);
			continue;
		}
		file_entry_clear(e);
	}
	free(p->entries);
	p->entries = next;
	p->n = n;
	p->cap = cap;
	if (n > 1) {
		/* Kept entries were appended after the new list: re-sort. */
		int sorted = 1;

		for (size_t i = 1; i < n && sorted; i++)
			sorted = strcmp(next[i - 1].path, next[i].path) < 0;
		if (!sorted) {
			for (size_t i = 1; i < n; i++) {
				struct file_entry tmp = next[i];
				size_t j = i;

				while (j > 0 && strcmp(next[j - 1].path, tmp.path) > 0) {
					next[j] = next[j - 1];
					j--;
				}
				next[j] = tmp;
			}
		}
	}
}

struct dag_cache_stats
pipeline_dag_stats(const struct pipeline *p)
{
	return dag_cache_stats(p->dcache);
}

struct translate_cache_stats
pipeline_translate_stats(const struct pipeline *p)
{
	return translate_cache_stats(p->tcache);
}

/* The objects of the files in effect, as units (files without objects
 * are left out: they are no group of their own). */
static struct dag_unit *
pipeline_units(const struct pipeline *p, size_t *nout, size_t *nobjs)
{
	struct dag_unit *units = xreallocarray(NULL, p->n + 1, sizeof *units);
	size_t n = 0;

	*nobjs = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct file_entry *e = &p->entries[i];

		if (e->good == NULL || e->good->nobjects == 0)
			continue;
		units[n++] = (struct dag_unit){ .id = e->serial,
			.objs = e->good->objects, .nobjs = e->good->nobjects };
		*nobjs += e->good->nobjects;
	}
	*nout = n;
	return units;
}

struct dag *
pipeline_whole_dag(const struct pipeline *p, const struct cairn_config *cfg)
{
	size_t nunits, nobjs;
	struct dag_unit *units = pipeline_units(p, &nunits, &nobjs);
	struct object **objs = xreallocarray(NULL, nobjs + 1, sizeof *objs);
	struct dag *dag;

	nobjs = 0;
	for (size_t u = 0; u < nunits; u++) {
		memcpy(objs + nobjs, units[u].objs, units[u].nobjs * sizeof *objs);
		nobjs += units[u].nobjs;
	}
	dag = dag_build(objs, nobjs, cfg);
	free(objs);
	free(units);
	return dag;
}

/* The DAG of the files in effect: by groups of files, reusing those whose
 * files did not change (dag.h). */
static struct dag *
pipeline_dag(struct pipeline *p, const struct cairn_config *cfg)
{
	size_t nunits, nobjs;
	struct dag_unit *units = pipeline_units(p, &nunits, &nobjs);
	struct dag *dag = dag_build_units(units, nunits, cfg, p->dcache);

	free(units);
	return dag;
}

void
pipeline_build(struct pipeline *p, const struct source_files *files,
    const struct cairn_config *cfg, const struct translate_options *to,
    struct build_result *out)
{
	memset(out, 0, sizeof *out);
	diag_list_init(&out->diags);
	diag_list_append(&out->diags, &files->diags);
	entries_update(p, files);

	out->files = xcalloc(p->n ? p->n : 1, sizeof *out->files);
	out->nfiles = p->n;
	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];
		struct file_status *fs = &out->files[i];

		fs->path = e->path;
		if (e->latest)
			diag_list_append(&out->diags, &e->latest->diags);
		else if (e->good)
			diag_list_append(&out->diags, &e->good->diags);
		if (e->good)
			hash_hex(e->good->content_hash, fs->serving_hash);
		if (e->latest || (e->good == NULL))
			fs->state = e->good ? FILE_ERROR_SERVING_PREVIOUS : FILE_ERROR;
		else if (source_reported(files, e->path))
			fs->state = FILE_ERROR_SERVING_PREVIOUS;
		else
			fs->state = FILE_OK;
		if (e->good == NULL)
			continue;
		fs->nobjects = e->good->nobjects;
		out->nobjects += e->good->nobjects;
	}
	diag_list_sort(&out->diags);

	out->dag = pipeline_dag(p, cfg);
	out->snapshot = translate_dag_cached(out->dag, to,
	    files->revision ? files->revision : "", p->tcache);
	out->revision = out->snapshot->revision;
	/* Gateway API: one snapshot per served Gateway, chosen by a node's
	 * metadata (SPEC.md §5a); dag->gateways is sorted by namespace and
	 * name, which is the order of "<ns>/<name>" too. */
	for (size_t i = 0; i < out->dag->ngateways; i++) {
		const struct dag_gateway *gw = &out->dag->gateways[i];
		char *name = xasprintf("%s/%s", gw->namespace, gw->name);

		snapshot_add_gateway(out->snapshot, name, translate_gateway(
		    out->dag, gw, to, out->snapshot->revision));
		free(name);
	}
	snapshot_add_gateway_none(out->snapshot);
}

/* Most of the DAG was built by this build (not reused from the last):
 * freeing it leaves much memory in the middle of the heap. */
static bool
build_was_large(const struct build_result *r)
{
	return r->dag == NULL || r->dag->nparts == 0 ||
	    r->dag->nparts_built * 8 >= r->dag->nparts;
}

void
build_result_free(struct build_result *r)
{
	bool trim = build_was_large(r);

	snapshot_unref(r->snapshot);
	dag_free(r->dag);
	diag_list_free(&r->diags);
	free(r->files);
	pipeline_free(r->owner);
	memset(r, 0, sizeof *r);
#ifdef __GLIBC__
	/* The DAG and the translation's messages are most of a build's
	 * peak, freed in the middle of the heap where glibc keeps them
	 * resident: give the pages back (60 MiB at 10,000 proxies, ~4 ms).
	 * Not after a build that reused most of the DAG: what it frees the
	 * next one allocates again, and pages given back fault in again
	 * (~15 ms of a one-file change at 10,000 proxies). */
	if (trim)
		malloc_trim(0);
#endif
}

size_t
build_result_error_count(const struct build_result *r)
{
	return r->diags.nerrors + dag_count_status(r->dag, DAG_STATUS_INVALID);
}
