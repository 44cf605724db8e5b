/* The pipeline's file table (pipeline.c builds from it): one entry per
 * path with its last good and latest versions, the files retired into
 * the build keep, the entries restored from last-good copies, changed
 * files parsed (in parallel when many), and the table updated from a
 * source's full list or its delta. Apart from pipeline.c because it is
 * the part that knows how files come and go. */
#include "pipeline_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "source/lastgood.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sorted.h"
#include "util/xalloc.h"

/* Fewer changed files than this are parsed by the calling thread. */
#define PIPELINE_PARALLEL_MIN_FILES 64
#define PIPELINE_MAX_LOAD_THREADS 8

void
pipeline_file_entry_clear(struct file_entry *e)
{
	if (e->latest != e->good)
		loaded_file_free(e->latest);
	loaded_file_free(e->good);
	free(e->path);
	free(e->store_note);
	memset(e, 0, sizeof *e);
}

void
pipeline_held_clear(struct pipeline *p)
{
	for (size_t i = 0; i < p->nheld; i++)
		free(p->held[i]);
	p->nheld = 0;
}

/* lf (may be NULL) and path (may be NULL) are no longer the pipeline's;
 * results built before may still point into them. */
void
pipeline_retire(struct pipeline *p, struct loaded_file *lf, char *path)
{
	struct build_keep *k = p->keep;

	if (lf != NULL)
		ARRAY_PUSH(k->files, k->nfiles, k->fcap, lf);
	if (path != NULL)
		ARRAY_PUSH(k->paths, k->npaths, k->pcap, path);
}

void
pipeline_changes_clear(struct pipeline *p)
{
	for (size_t i = 0; i < p->ngone; i++)
		pipeline_retire(p, NULL, p->gone[i]);
	p->ngone = 0;
	p->ntouched = 0;
}

/* e's good version changed (or e is new): its claims replace the old
 * ones in the running total, so no build sums over every file. */
static void
entry_claims(struct pipeline *p, struct file_entry *e)
{
	p->claims_total -= e->claims_hash;
	e->claims_hash = pipeline_claims_hash_of(e);
	p->claims_total += e->claims_hash;
}

/* e leaves the pipeline: its claims leave the total. */
static void
entry_delete(struct pipeline *p, struct file_entry *e)
{
	p->claims_total -= e->claims_hash;
	ARRAY_PUSH(p->gone, p->ngone, p->gone_cap, e->path);
	e->path = NULL; /* now gone[]'s */
	pipeline_retire(p, e->good, NULL);
	if (e->latest == e->good)
		e->latest = NULL;
	e->good = NULL;
	pipeline_file_entry_clear(e);
}

void
pipeline_entry_view(struct file_entry *e)
{
	const char **paths = NULL;
	size_t n = 0, cap = 0;

	if (e->view_serial == e->serial)
		return;
	e->view_serial = e->serial;
	e->view_objs = NULL;
	e->view_nobjs = e->view_ndiags = 0;
	memset(e->view_hash, 0, sizeof e->view_hash);
	e->view_secret_files = false;
	if (e->good == NULL)
		return;
	e->view_objs = e->good->objects;
	e->view_nobjs = e->good->nobjects;
	e->view_ndiags = e->good->diags.n;
	hash_hex(e->good->content_hash, e->view_hash);
	dag_secret_files(e->good->objects, e->good->nobjects, &paths, &n, &cap);
	e->view_secret_files = n > 0;
	free(paths);
}

static void
entry_touched(struct pipeline *p, const struct file_entry *e)
{
	ARRAY_PUSH(p->touched, p->ntouched, p->touched_cap, e->path);
}

void
pipeline_set_lastgood(struct pipeline *p, struct lastgood *lg)
{
	p->lg = lg;
}

/* A file that does not parse and has no good version in memory (the first
 * build after a restart): its persisted last good copy, if one is intact
 * and still loads, serves in its place. */
static void
entry_restore(struct pipeline *p, struct file_entry *e, const char *ns)
{
	struct loaded_file *lf;
	char *data, *err;
	size_t len;
	int rc;

	if (p->lg == NULL || e->good != NULL)
		return;
	rc = lastgood_get(p->lg, e->path, &data, &len, &err);
	if (rc < 0) {
		log_warning("%s", err);
		free(e->store_note);
		e->store_note = err;
		return;
	}
	if (rc == 0)
		return;
	lf = load_buffer(e->path, ns, data, len, &p->lo);
	free(data);
	if (!lf->ok) {
		free(e->store_note);
		e->store_note = xasprintf("its last good copy in %s does not load "
		    "either; nothing of the file is served",
		    lastgood_directory(p->lg));
		log_warning("%s: %s", e->path, e->store_note);
		loaded_file_free(lf);
		return;
	}
	e->good = lf;
	e->serial = ++p->next_serial;
	e->restored = true;
	entry_claims(p, e);
	free(e->store_note);
	e->store_note = NULL;
}

static int
path_entry_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct file_entry *)elem)->path);
}

struct file_entry *
pipeline_entry_find(struct pipeline *p, const char *path)
{
	size_t i = sorted_search(path, p->entries, p->n, sizeof p->entries[0],
	    path_entry_cmp);

	if (i < p->n && strcmp(path, p->entries[i].path) == 0)
		return &p->entries[i];
	return NULL;
}

/* A file the source could not read this time (too large, permission
 * denied) keeps its last good version, exactly like a file that fails to
 * parse: a bad save must never take routes down. */
bool
pipeline_source_reported(const struct source_files *files, const char *path)
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

/* Files a loading thread takes at a time: the shared counter, and the
 * cache lines of out[] the threads write, move between CPUs once per
 * batch instead of once per file. Small enough that the threads finish
 * within a few files of each other. */
#define LOAD_JOBS_BATCH 8

static void
load_jobs_run(struct load_jobs *j, struct arena *scratch)
{
	for (;;) {
		size_t k = atomic_fetch_add_explicit(&j->next, LOAD_JOBS_BATCH,
		    memory_order_relaxed);
		size_t end;

		if (k >= j->n)
			return;
		end = j->n - k < LOAD_JOBS_BATCH ? j->n : k + LOAD_JOBS_BATCH;
		for (; k < end; k++) {
			const struct source_file *sf =
			    &j->files->files[j->index[k]];

			/* The source hashed the bytes already (entry_differs
			 * compares that hash with content_hash). */
			j->out[k] = load_buffer_scratch_hashed(sf->path, sf->ns,
			    sf->data, sf->len, sf->hash, j->lo, scratch);
		}
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

/* Parse the files of jobs into the entries at slot[] of entries (which
 * do not move meanwhile), keeping each file's last good version. */
static void
entries_parse(struct pipeline *p, const struct source_files *files,
    struct load_jobs *jobs, struct file_entry *entries, const size_t *slot)
{
	jobs->out = xreallocarray(NULL, jobs->n + 1, sizeof *jobs->out);
	load_jobs_parse(p, jobs);
	for (size_t k = 0; k < jobs->n; k++) {
		struct file_entry *e = &entries[slot[k]];
		struct loaded_file *lf = jobs->out[k];

		if (e->latest && e->latest != e->good)
			loaded_file_free(e->latest);
		e->latest = NULL;
		if (lf->ok) {
			pipeline_retire(p, e->good, NULL);
			e->good = lf;
			e->serial = ++p->next_serial;
			e->restored = false;
			free(e->store_note);
			e->store_note = NULL;
			entry_claims(p, e);
		} else {
			e->latest = lf;
			entry_restore(p, e, files->files[jobs->index[k]].ns);
		}
		entry_touched(p, e);
	}
	free(jobs->out);
	jobs->out = NULL;
}

static int
path_file_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct source_file *)elem)->path);
}

/* The file of files at path, or NULL (files is sorted by path). */
const struct source_file *
pipeline_files_find(const struct source_files *files, const char *path)
{
	size_t i = sorted_search(path, files->files, files->n,
	    sizeof files->files[0], path_file_cmp);

	if (i < files->n && strcmp(path, files->files[i].path) == 0)
		return &files->files[i];
	return NULL;
}

/* Does sf differ from what e last saw? */
static bool
entry_differs(const struct file_entry *e, const struct source_file *sf)
{
	return !((e->latest && e->latest->content_hash == sf->hash) ||
	    (!e->latest && e->good && e->good->content_hash == sf->hash));
}

static bool entries_restore_unread(struct pipeline *p,
    const struct source_files *files, struct file_entry **next, size_t *n,
    size_t *cap);
static void entries_sort(struct file_entry *e, size_t n);

/* A delta (source.h): only the files named in it are looked at; the
 * entries array is edited in place, and rebuilt by one merge (a copy, no
 * comparison per entry) only when files come or go. */
static void
entries_update_delta(struct pipeline *p, const struct source_files *files)
{
	struct load_jobs jobs = { .files = files, .lo = &p->lo };
	size_t *slot, nadd = 0, ndel = 0;
	size_t *add = xreallocarray(NULL, files->n + 1, sizeof *add);
	bool *del = NULL;

	char **held = p->held;
	size_t nheld = p->nheld;

	/* Which removed entries go (a file the source could not read keeps
	 * its last good version, as in a whole list: held) and which files
	 * are new. An entry held before goes once the source stops
	 * reporting it, and is no longer held once it is back in the list. */
	p->held = NULL;
	p->nheld = p->held_cap = 0;
	for (size_t r = 0; r < files->n_removed + nheld; r++) {
		const char *path = r < files->n_removed ? files->removed[r] :
		    held[r - files->n_removed];
		struct file_entry *e = pipeline_entry_find(p, path);

		if (e == NULL || (r >= files->n_removed &&
		    pipeline_files_find(files, path) != NULL) ||
		    (del != NULL && del[e - p->entries]))
			continue;
		if (e->good && pipeline_source_reported(files, e->path)) {
			bool have = false;

			for (size_t h = 0; h < p->nheld && !have; h++)
				have = strcmp(p->held[h], path) == 0;
			if (!have)
				ARRAY_PUSH(p->held, p->nheld, p->held_cap,
				    xstrdup(path));
			continue;
		}
		if (del == NULL)
			del = xcalloc(p->n + 1, sizeof *del);
		del[e - p->entries] = true;
		ndel++;
	}
	for (size_t h = 0; h < nheld; h++)
		free(held[h]);
	free(held);
	for (size_t i = 0; i < files->n; i++)
		if (pipeline_entry_find(p, files->files[i].path) == NULL)
			add[nadd++] = i;
	if (ndel + nadd > 0) {
		size_t n = p->n - ndel + nadd, at = 0, a = 0;
		struct file_entry *next = xreallocarray(NULL, n + 1, sizeof *next);
		size_t *map = p->kept_valid ?
		    xreallocarray(NULL, p->n + 1, sizeof *map) : NULL;
		bool secret = false;

		/* Both sorted: a merge of the kept entries and the new files. */
		for (size_t i = 0; i <= p->n; i++) {
			while (a < nadd && (i == p->n || strcmp(files->files[add[a]].path,
			    p->entries[i].path) < 0)) {
				next[at] = (struct file_entry){ 0 };
				next[at++].path = xstrdup(files->files[add[a++]].path);
			}
			if (i == p->n)
				break;
			if (del != NULL && del[i]) {
				secret |= p->entries[i].view_secret_files;
				if (map != NULL)
					map[i] = SIZE_MAX;
				entry_delete(p, &p->entries[i]);
			} else {
				if (map != NULL)
					map[i] = at;
				next[at++] = p->entries[i];
			}
		}
		p->moved_map = map;
		p->moved_n = p->n;
		p->moved_secret = secret;
		free(p->entries);
		p->entries = next;
		p->n = at;
		p->cap = n + 1;
		p->entries_moved = true;
	}
	free(del);
	free(add);
	jobs.index = xreallocarray(NULL, files->n + 1, sizeof *jobs.index);
	slot = xreallocarray(NULL, files->n + 1, sizeof *slot);
	for (size_t i = 0; i < files->n; i++) {
		struct file_entry *e = pipeline_entry_find(p, files->files[i].path);

		if (entry_differs(e, &files->files[i])) {
			jobs.index[jobs.n] = i;
			slot[jobs.n++] = (size_t)(e - p->entries);
		}
	}
	entries_parse(p, files, &jobs, p->entries, slot);
	free(jobs.index);
	free(slot);
	if (entries_restore_unread(p, files, &p->entries, &p->n, &p->cap)) {
		entries_sort(p->entries, p->n);
		p->entries_moved = true;
		free(p->moved_map);
		p->moved_map = NULL;
	}
}

/* Move the current file entries into a new array that follows files,
 * parsing what changed. */
void
pipeline_entries_update(struct pipeline *p, const struct source_files *files)
{
	struct file_entry *next = NULL;
	size_t n = 0, cap = 0, *slot;
	struct load_jobs jobs = { .files = files, .lo = &p->lo };

	pipeline_changes_clear(p);
	p->entries_moved = !files->delta;
	free(p->moved_map);
	p->moved_map = NULL;
	if (files->delta) {
		entries_update_delta(p, files);
		return;
	}
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
		else if ((old = pipeline_entry_find(p, sf->path)) != NULL)
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
		if (entry_differs(&e, sf)) {
			jobs.index[jobs.n] = i;
			slot[jobs.n++] = n;
		}
		ARRAY_PUSH(next, n, cap, e);
	}
	entries_parse(p, files, &jobs, next, slot);
	free(jobs.index);
	free(slot);
	pipeline_held_clear(p);
	/* Files that are gone stay only if the source said it could not read
	 * them; the rest are deleted for real. */
	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];

		if (e->moved)
			continue;
		if (e->good && pipeline_source_reported(files, e->path)) {
			ARRAY_PUSH(p->held, p->nheld, p->held_cap, xstrdup(e->path));
			ARRAY_PUSH(next, n, cap, *e);
			continue;
		}
		entry_delete(p, e);
	}
	entries_restore_unread(p, files, &next, &n, &cap);
	free(p->entries);
	p->entries = next;
	p->n = n;
	p->cap = cap;
	/* Kept entries were appended after the new list: re-sort. */
	entries_sort(next, n);
}

/* A file the source could not read (too large, permission denied) and
 * the pipeline never had: after a restart, its copy serves, as for a file
 * that does not parse. Appended to *next (unsorted); true if any was. */
static bool
entries_restore_unread(struct pipeline *p, const struct source_files *files,
    struct file_entry **next, size_t *n, size_t *cap)
{
	size_t n0 = *n;

	for (size_t d = 0; p->lg != NULL && d < files->diags.n; d++) {
		const struct diag *dg = &files->diags.items[d];
		struct file_entry e = { 0 };
		bool have = false;
		char *ns;

		if (dg->severity != DIAG_ERROR || dg->file[0] == '\0' ||
		    !lastgood_has_path(p->lg, dg->file))
			continue;
		for (size_t i = 0; i < *n && !have; i++)
			have = strcmp((*next)[i].path, dg->file) == 0;
		if (have)
			continue;
		e.path = xstrdup(dg->file);
		ns = source_namespace_of(dg->file);
		entry_restore(p, &e, ns);
		free(ns);
		if (e.good != NULL) {
			ARRAY_PUSH(*next, *n, *cap, e);
			entry_touched(p, &(*next)[*n - 1]);
		} else
			pipeline_file_entry_clear(&e);
	}
	return *n > n0;
}

static void
entries_sort(struct file_entry *next, size_t n)
{
	int sorted = 1;

	for (size_t i = 1; i < n && sorted; i++)
		sorted = strcmp(next[i - 1].path, next[i].path) < 0;
	if (sorted)
		return;
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
