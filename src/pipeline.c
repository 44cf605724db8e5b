/* The pipeline: from the files a source reports to a published build
 * (pipeline.h). This file holds its life cycle, the DAG and translation
 * of a build, the Gateway translation caches and build_result; the file
 * table is in pipeline_files.c, FQDN claims in pipeline_owners.c, the
 * last-good copies in pipeline_persist.c. */
#include "pipeline_internal.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "source/lastgood.h"
#include "tls/tls.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sorted.h"
#include "util/xalloc.h"

/* Up to this many new copies are saved before a build is published (a few
 * fsyncs); more (a first start with a state directory: every file) are
 * left to pipeline_persist_pending, after the publish. */
#define PIPELINE_PERSIST_INLINE_MAX 64

static struct build_keep *
keep_new(void)
{
	struct build_keep *k = xcalloc(1, sizeof *k);

	atomic_init(&k->refs, 1);
	return k;
}

static struct build_keep *
keep_ref(struct build_keep *k)
{
	atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
	return k;
}

static void
keep_unref(struct build_keep *k)
{
	while (k != NULL && atomic_fetch_sub_explicit(&k->refs, 1,
	    memory_order_acq_rel) == 1) {
		struct build_keep *newer = k->newer;

		for (size_t i = 0; i < k->nfiles; i++)
			loaded_file_free(k->files[i]);
		for (size_t i = 0; i < k->npaths; i++)
			free(k->paths[i]);
		free(k->files);
		free(k->paths);
		free(k);
		k = newer;
	}
}

/* Threads for the DAG groups of a build with nothing cached (startup,
 * SIGHUP with a new config): as many as parse files, so a load_options
 * of one thread keeps the whole build on one. */
static size_t
pipeline_dag_threads(const struct load_options *lo)
{
	cpu_set_t set;
	size_t cpus = 1;

	if (lo->threads == 1)
		return 1;
	if (lo->threads > 1)
		cpus = (size_t)lo->threads;
	else if (sched_getaffinity(0, sizeof set, &set) == 0)
		cpus = (size_t)CPU_COUNT(&set);
	return cpus > 8 ? 8 : cpus < 1 ? 1 : cpus;
}

static void
file_table_unref(struct file_table *t)
{
	if (t != NULL && atomic_fetch_sub_explicit(&t->refs, 1,
	    memory_order_acq_rel) == 1) {
		free(t->rows);
		free(t);
	}
}

struct pipeline *
pipeline_new(const struct load_options *lo)
{
	struct pipeline *p = xcalloc(1, sizeof *p);

	if (lo)
		p->lo = *lo;
	arena_init(&p->scratch);
	p->keep = keep_new();
	p->tcache = translate_cache_new();
	p->dcache = dag_cache_new();
	p->material = tls_material_new();
	dag_cache_set_material(p->dcache, p->material);
	dag_cache_set_threads(p->dcache, pipeline_dag_threads(&p->lo));
	fqdn_ledger_init(&p->owners);
	p->claims_stale = true;
	return p;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	pipeline_changes_clear(p);
	free(p->gone);
	free(p->touched);
	pipeline_held_clear(p);
	free(p->held);
	for (size_t i = 0; i < p->n; i++) {
		pipeline_retire(p, p->entries[i].good, p->entries[i].path);
		if (p->entries[i].latest == p->entries[i].good)
			p->entries[i].latest = NULL;
		p->entries[i].good = NULL;
		p->entries[i].path = NULL;
		pipeline_file_entry_clear(&p->entries[i]);
	}
	keep_unref(p->keep);
	free(p->entries);
	arena_free(&p->scratch);
	translate_cache_free(p->tcache);
	for (size_t i = 0; i < p->ngw_tcaches; i++) {
		free(p->gw_tcaches[i].name);
		translate_cache_free(p->gw_tcaches[i].cache);
	}
	free(p->gw_tcaches);
	dag_cache_free(p->dcache);
	free(p->units);
	free(p->secret_paths);
	free(p->ftable);
	free(p->unit_entry);
	free(p->noted);
	free(p->tidx);
	free(p->lagidx);
	free(p->moved_map);
	free(p->uhint);
	file_table_unref(p->tables[0]);
	file_table_unref(p->tables[1]);
	tls_material_free(p->material);
	fqdn_ledger_free(&p->owners);
	free(p->owners_revision);
	free(p);
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

struct translate_cache_stats
pipeline_gateway_translate_stats(const struct pipeline *p)
{
	struct translate_cache_stats st = { 0 };

	for (size_t i = 0; i < p->ngw_tcaches; i++) {
		struct translate_cache_stats g =
		    translate_cache_stats(p->gw_tcaches[i].cache);

		st.in_order += g.in_order;
		st.by_key += g.by_key;
		st.serialized += g.serialized;
		st.http_kept += g.http_kept;
		st.in_runs += g.in_runs;
		st.runs += g.runs;
		st.in_chunks += g.in_chunks;
		st.chunks += g.chunks;
		st.http_chunks_written += g.http_chunks_written;
		st.http_written += g.http_written;
	}
	return st;
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
		struct object **objs = e->view_objs;
		size_t k = e->view_nobjs;

		if (e->good == NULL)
			continue;
		if (e->view_serial != e->serial) { /* no build saw it yet */
			objs = e->good->objects;
			k = e->good->nobjects;
		}
		if (k == 0)
			continue;
		units[n++] = (struct dag_unit){ .id = e->serial, .objs = objs,
			.nobjs = k };
		*nobjs += k;
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
	struct dag_options opts;
	struct dag *dag;

	dag_options_from_config(&opts, cfg);
	nobjs = 0;
	for (size_t u = 0; u < nunits; u++) {
		memcpy(objs + nobjs, units[u].objs, units[u].nobjs * sizeof *objs);
		nobjs += units[u].nobjs;
	}
	dag = dag_build_material(objs, nobjs, &opts, &p->owners, p->material);
	free(objs);
	free(units);
	return dag;
}

/* One entry's part of what the DAG is built from (pipeline_build's walk,
 * after pipeline_entry_view): its unit, if it has objects, and the files
 * its Secrets name, if any (only entries whose good version names one
 * are looked into). i is e's index. */
static void
pipeline_gather(struct pipeline *p, const struct file_entry *e, size_t i)
{
	if (e->view_secret_files)
		dag_secret_files(e->view_objs, e->view_nobjs, &p->secret_paths,
		    &p->nsecret_paths, &p->capsecret_paths);
	if (e->good == NULL || e->view_nobjs == 0)
		return;
	ARRAY_RESERVE(p->unit_entry, p->nunits, p->capunit_entry);
	p->unit_entry[p->nunits] = i;
	ARRAY_PUSH(p->units, p->nunits, p->capunits, ((struct dag_unit){
		.id = e->serial, .objs = e->view_objs, .nobjs = e->view_nobjs }));
}

/* e's line in the file table (after pipeline_entry_view). */
static void
pipeline_entry_status(const struct file_entry *e,
    const struct source_files *files, struct file_status *fs)
{
	*fs = (struct file_status){ .path = e->path };
	memcpy(fs->serving_hash, e->view_hash, sizeof fs->serving_hash);
	if (e->good && e->restored && (e->latest || pipeline_source_reported(files, e->path)))
		fs->state = FILE_ERROR_SERVING_PERSISTED;
	else if (e->latest || (e->good == NULL))
		fs->state = e->good ? FILE_ERROR_SERVING_PREVIOUS : FILE_ERROR;
	else if (files->diags.n > 0 && pipeline_source_reported(files, e->path))
		fs->state = FILE_ERROR_SERVING_PREVIOUS;
	else
		fs->state = FILE_OK;
	if (e->good == NULL)
		return;
	fs->persisted = e->persisted;
	fs->nobjects = e->view_nobjs;
}

/* Whether a build reports something of e's own (its diagnostics or a
 * store note). */
static bool
pipeline_entry_noted(const struct file_entry *e)
{
	return e->latest || e->view_ndiags > 0 || e->store_note != NULL;
}

/* e's diagnostics and store note, into diags. */
static void
pipeline_entry_diags(const struct file_entry *e, struct diag_list *diags)
{
	if (e->latest)
		diag_list_append(diags, &e->latest->diags);
	else if (e->view_ndiags > 0)
		diag_list_append(diags, &e->good->diags);
	if (e->store_note != NULL)
		diag_add(diags, DIAG_WARNING, e->path, 0, 0, "%s", e->store_note);
}

/* The position of x in the ascending v[0..n), or where it would go. */
static size_t
index_search(const size_t *v, size_t n, size_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The totals with row fs counted in (add) or taken out. */
static void
pipeline_count_row(struct pipeline *p, const struct file_status *fs, bool add)
{
	size_t restored = fs->state == FILE_ERROR_SERVING_PERSISTED;
	size_t previous = fs->state == FILE_ERROR_SERVING_PREVIOUS;
	size_t failed = fs->state == FILE_ERROR;

	if (add) {
		p->kept_nobjects += fs->nobjects;
		p->kept_nrestored += restored;
		p->kept_nprevious += previous;
		p->kept_nfailed += failed;
	} else {
		p->kept_nobjects -= fs->nobjects;
		p->kept_nrestored -= restored;
		p->kept_nprevious -= previous;
		p->kept_nfailed -= failed;
	}
}

/* The walk over every entry: the file table, the DAG's units, the
 * Secrets' files, the entries with something to report, and the totals. */
static void
pipeline_walk_all(struct pipeline *p, const struct source_files *files)
{
	p->ftable = xreallocarray(p->ftable, p->n ? p->n : 1,
	    sizeof *p->ftable);
	p->nunits = p->nsecret_paths = p->nnoted = 0;
	p->kept_nobjects = p->kept_nrestored = p->kept_nprevious = 0;
	p->kept_nfailed = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];
		struct file_status *fs = &p->ftable[i];

		pipeline_entry_view(e);
		pipeline_gather(p, e, i);
		pipeline_entry_status(e, files, fs);
		if (pipeline_entry_noted(e))
			ARRAY_PUSH(p->noted, p->nnoted, p->capnoted, i);
		pipeline_count_row(p, fs, true);
	}
	p->kept_valid = true;
	p->full_walks++;
}

/* Whether the source reported a file it could not read: the statuses
 * of such files depend on the report, not on their entries alone. */
static bool
source_reports_files(const struct source_files *files)
{
	for (size_t i = 0; i < files->diags.n; i++)
		if (files->diags.items[i].severity == DIAG_ERROR &&
		    files->diags.items[i].file[0] != '\0')
			return true;
	return false;
}

/* The kept tables' rows moved to the entries' new indices after a delta
 * added and removed entries (moved_map): deleted entries' rows leave
 * them, added entries get an empty row (the update touched them: their
 * rows are patched next). One sequential pass over the tables, no read
 * of an entry. */
static bool
pipeline_kept_remap(struct pipeline *p)
{
	const size_t *map = p->moved_map;
	struct file_status *ft;
	size_t w = 0;

	if (map == NULL || p->moved_secret)
		return false;
	ft = xreallocarray(NULL, p->n ? p->n : 1, sizeof *ft);
	for (size_t i = 0, j = 0; i <= p->moved_n; i++) {
		size_t to = i < p->moved_n ? map[i] : p->n;

		if (to == SIZE_MAX) {
			pipeline_count_row(p, &p->ftable[i], false);
			continue;
		}
		for (; j < to; j++)
			ft[j] = (struct file_status){ .state = FILE_OK };
		if (i < p->moved_n)
			ft[j++] = p->ftable[i];
	}
	free(p->ftable);
	p->ftable = ft;
	for (size_t u = 0; u < p->nunits; u++) {
		size_t to = map[p->unit_entry[u]];

		if (to == SIZE_MAX)
			continue;
		p->units[w] = p->units[u];
		p->unit_entry[w++] = to;
	}
	p->nunits = w;
	w = 0;
	for (size_t k = 0; k < p->nnoted; k++)
		if (map[p->noted[k]] != SIZE_MAX)
			p->noted[w++] = map[p->noted[k]];
	p->nnoted = w;
	p->remapped = true;
	p->remaps++;
	return true;
}

/* The kept tables patched at the entries the last update touched, if
 * they may be (struct pipeline, ftable): false leaves them for
 * pipeline_walk_all. An entry whose Secrets name files, before or after,
 * is left to the whole walk too (its paths are among the others'). */
static bool
pipeline_walk_touched(struct pipeline *p, const struct source_files *files)
{
	bool units_moved = false;

	p->ntidx = 0;
	p->remapped = false;
	p->nuhint = 0;
	p->units_hinted = false;
	if (!p->kept_valid || (p->entries_moved && p->moved_map == NULL) ||
	    !files->delta || source_reports_files(files))
		return false;
	for (size_t t = 0; t < p->ntouched; t++) {
		struct file_entry *e = pipeline_entry_find(p, p->touched[t]);

		if (e == NULL || e->view_secret_files)
			return false;
		pipeline_entry_view(e);
		if (e->view_secret_files)
			return false;
	}
	if (p->entries_moved && !pipeline_kept_remap(p))
		return false;
	for (size_t t = 0; t < p->ntouched; t++) {
		struct file_entry *e = pipeline_entry_find(p, p->touched[t]);
		size_t i = (size_t)(e - p->entries);
		struct file_status *fs = &p->ftable[i];
		size_t k = index_search(p->noted, p->nnoted, i);
		size_t u = index_search(p->unit_entry, p->nunits, i);
		bool noted = k < p->nnoted && p->noted[k] == i;
		bool unit = u < p->nunits && p->unit_entry[u] == i;

		ARRAY_PUSH(p->tidx, p->ntidx, p->captidx, i);

		pipeline_count_row(p, fs, false);
		pipeline_entry_status(e, files, fs);
		pipeline_count_row(p, fs, true);
		if (pipeline_entry_noted(e) && !noted) {
			ARRAY_RESERVE(p->noted, p->nnoted, p->capnoted);
			memmove(p->noted + k + 1, p->noted + k,
			    (p->nnoted - k) * sizeof *p->noted);
			p->noted[k] = i;
			p->nnoted++;
		} else if (!pipeline_entry_noted(e) && noted) {
			memmove(p->noted + k, p->noted + k + 1,
			    (p->nnoted - k - 1) * sizeof *p->noted);
			p->nnoted--;
		}
		if (e->good != NULL && e->view_nobjs > 0) {
			struct dag_unit du = { .id = e->serial,
				.objs = e->view_objs, .nobjs = e->view_nobjs };

			if (unit)
				ARRAY_PUSH(p->uhint, p->nuhint, p->capuhint, u);
			else {
				size_t n = p->nunits;

				units_moved = true;
				ARRAY_RESERVE(p->unit_entry, n, p->capunit_entry);
				ARRAY_RESERVE(p->units, n, p->capunits);
				memmove(p->units + u + 1, p->units + u,
				    (n - u) * sizeof *p->units);
				memmove(p->unit_entry + u + 1, p->unit_entry + u,
				    (n - u) * sizeof *p->unit_entry);
				p->unit_entry[u] = i;
				p->nunits++;
			}
			p->units[u] = du;
		} else if (unit) {
			memmove(p->units + u, p->units + u + 1,
			    (p->nunits - u - 1) * sizeof *p->units);
			memmove(p->unit_entry + u, p->unit_entry + u + 1,
			    (p->nunits - u - 1) * sizeof *p->unit_entry);
			p->nunits--;
			units_moved = true;
		}
	}
	/* Units kept their indexes: the others are the last build's. */
	p->units_hinted = !units_moved && !p->remapped;
	return true;
}

/* The DAG of the files in effect (the units pipeline_build gathered): by
 * groups of files, reusing those whose files did not change (dag.h). The
 * files the Secrets name are read first (only those whose identity
 * changed are read again), so the DAG gets them as material. */
static struct dag *
pipeline_dag(struct pipeline *p, const struct cairn_config *cfg)
{
	struct dag_options opts;

	/* What the DAG reads of the configuration, taken from it here only
	 * (pipeline_build keeps the whole config: certificate reads and
	 * translation want other parts of it). */
	dag_options_from_config(&opts, cfg);
	tls_material_update(p->material, p->secret_paths, p->nsecret_paths,
	    cfg ? cfg->secrets.allowed_directories : NULL,
	    cfg ? cfg->secrets.nallowed_directories : 0);
	if (p->units_hinted)
		dag_cache_units_changed(p->dcache, p->uhint, p->nuhint);
	return dag_build_units_owned(p->units, p->nunits, &opts, &p->owners,
	    p->dcache);
}

/* The order of dag->gateways (by namespace, then name) for names
 * "<ns>/<name>": a namespace has no '/'. */
static int
gateway_name_cmp(const char *a, const char *b)
{
	size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
	int c = strncmp(a, b, la < lb ? la : lb);

	if (c == 0 && la != lb)
		return la < lb ? -1 : 1;
	return c != 0 ? c : strcmp(a + la, b + lb);
}

/* p->gw_tcaches for dag's Gateways: a Gateway keeps its cache from one
 * build to the next (both lists in dag->gateways' order), a new one gets
 * an empty one, and a removed one's is freed. */
static void
gateway_tcaches_update(struct pipeline *p, const struct dag *dag)
{
	struct gateway_tcache *v = xcalloc(dag->ngateways + 1, sizeof *v);
	size_t k = 0;

	for (size_t i = 0; i < dag->ngateways; i++) {
		const struct dag_gateway *gw = &dag->gateways[i];
		char *name = xasprintf("%s/%s", gw->namespace, gw->name);
		int c = 1;

		while (k < p->ngw_tcaches &&
		    (c = gateway_name_cmp(p->gw_tcaches[k].name, name)) < 0) {
			free(p->gw_tcaches[k].name);
			translate_cache_free(p->gw_tcaches[k].cache);
			k++;
		}
		v[i].name = name;
		if (c == 0) {
			v[i].cache = p->gw_tcaches[k].cache;
			free(p->gw_tcaches[k].name);
			k++;
		} else {
			v[i].cache = translate_cache_new();
		}
	}
	for (; k < p->ngw_tcaches; k++) {
		free(p->gw_tcaches[k].name);
		translate_cache_free(p->gw_tcaches[k].cache);
	}
	free(p->gw_tcaches);
	p->gw_tcaches = v;
	p->ngw_tcaches = dag->ngateways;
}

/* out's file table: the kept one, in the table of the build before last
 * when no result holds that any more (patched where the last build and
 * this one changed the kept table, if both patched it, else copied
 * whole), else in a new one. Consecutive results share no rows that a
 * later build writes: each result's table stays as it was built. */
static void
pipeline_result_files(struct pipeline *p, struct build_result *out,
    bool patched)
{
	uint64_t b = ++p->builds;
	struct file_table **slot = &p->tables[b % 2], *t = *slot;
	size_t n = p->n;

	if (t != NULL && atomic_load_explicit(&t->refs,
	    memory_order_acquire) == 1) {
		if (patched && !p->remapped && p->lag_valid &&
		    t->build + 2 == b && t->n == n) {
			for (size_t k = 0; k < p->nlagidx; k++)
				t->rows[p->lagidx[k]] = p->ftable[p->lagidx[k]];
			for (size_t k = 0; k < p->ntidx; k++)
				t->rows[p->tidx[k]] = p->ftable[p->tidx[k]];
			p->table_patches++;
		} else {
			if (t->n != n)
				t->rows = xreallocarray(t->rows, n ? n : 1,
				    sizeof *t->rows);
			memcpy(t->rows, p->ftable, n * sizeof *t->rows);
		}
	} else {
		file_table_unref(t);
		t = *slot = xcalloc(1, sizeof *t);
		atomic_init(&t->refs, 1);
		t->rows = xreallocarray(NULL, n ? n : 1, sizeof *t->rows);
		memcpy(t->rows, p->ftable, n * sizeof *t->rows);
	}
	t->n = n;
	t->build = b;
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	out->files_table = t;
	out->files = t->rows;
	out->nfiles = n;
	/* This build's patches are what the next build's table lags by. */
	{
		size_t *v = p->lagidx, c = p->caplagidx;

		p->lagidx = p->tidx;
		p->caplagidx = p->captidx;
		p->nlagidx = patched ? p->ntidx : 0;
		p->tidx = v;
		p->captidx = c;
		p->ntidx = 0;
	}
	p->lag_valid = patched && !p->remapped;
}

/* Whether a build made most of what its result holds: most of the DAG's
 * groups built and most of the translation's resources serialized. A
 * change of one file in a tree of one large group (a Gateway and its
 * routes) builds that group again but patched from its last build, and
 * serializes a few resources: what freeing it gives back, the next such
 * change allocates again, and pages given back would fault in again. */
static bool
build_made_most(const struct pipeline *p, const struct dag *dag)
{
	struct translate_cache_stats ts;
	size_t made, total;

	if (dag == NULL || p->tcache == NULL)
		return true;
	if (dag->nparts > 0 && dag->nparts_built * 8 < dag->nparts)
		return false;
	/* Resources serialized, and ingress_http's hosts written, against
	 * all of them. */
	ts = pipeline_translate_stats(p);
	made = ts.serialized + ts.http_written;
	total = ts.in_order + ts.by_key + ts.serialized + ts.http_kept +
	    ts.http_written;
	ts = pipeline_gateway_translate_stats(p);
	made += ts.serialized + ts.http_written;
	total += ts.in_order + ts.by_key + ts.serialized + ts.http_kept +
	    ts.http_written;
	return made * 8 >= total;
}

void
pipeline_build(struct pipeline *p, const struct source_files *files,
    const struct cairn_config *cfg, const struct translate_options *to,
    struct build_result *out)
{
	bool patched;

	memset(out, 0, sizeof *out);
	diag_list_init(&out->diags);
	diag_list_append(&out->diags, &files->diags);
	pipeline_entries_update(p, files);
	p->persist_pending = !pipeline_persist(p, files, p->persist_later ? 0 :
	    PIPELINE_PERSIST_INLINE_MAX);

	/* The file table, the DAG's units and the Secrets' files: patched
	 * where the update touched entries, or one walk over them all. */
	patched = pipeline_walk_touched(p, files);
	if (!patched)
		pipeline_walk_all(p, files);
	p->entries_moved = false;
	/* Statuses that depend on this report are not patched when it is
	 * gone: the next build walks every entry again. */
	if (source_reports_files(files))
		p->kept_valid = false;
	pipeline_result_files(p, out, patched);
	out->nobjects = p->kept_nobjects;
	out->nrestored = p->kept_nrestored;
	out->nserving_previous = p->kept_nprevious;
	out->nfailed = p->kept_nfailed;
	for (size_t k = 0; k < p->nnoted; k++)
		pipeline_entry_diags(&p->entries[p->noted[k]], &out->diags);
	diag_list_sort(&out->diags);

	/* Claims change only with what the files in effect claim; git
	 * history with the commit. */
	if (p->claims_total != p->claims_sum)
		p->claims_stale = true;
	p->claims_sum = p->claims_total;
	if (files->claim_age != NULL && files->revision != NULL) {
		/* The same claims as at the last commit, none of them on a
		 * contested FQDN (the order is empty): the order from this
		 * commit's history is empty too, without gathering every
		 * claim of the tree. */
		if (!p->claims_stale && p->owners_revision != NULL &&
		    p->owners.n == 0) {
			free(p->owners_revision);
			p->owners_revision = xstrdup(files->revision);
		} else if (p->claims_stale || p->owners_revision == NULL ||
		    strcmp(p->owners_revision, files->revision) != 0) {
			pipeline_owners_from_history(p, files);
			free(p->owners_revision);
			p->owners_revision = xstrdup(files->revision);
		}
	} else if (p->claims_stale)
		out->owners_changed = pipeline_owners_record(p);
	p->claims_stale = false;
	out->dag = pipeline_dag(p, cfg);
	out->snapshot = translate_dag_cached(out->dag, to,
	    files->revision ? files->revision : "", p->tcache);
	out->revision = out->snapshot->revision;
	/* Gateway API: one snapshot per served Gateway, chosen by a node's
	 * metadata (SPEC.md §5a); dag->gateways is sorted by namespace and
	 * name, which is the order of "<ns>/<name>" too. */
	gateway_tcaches_update(p, out->dag);
	for (size_t i = 0; i < out->dag->ngateways; i++) {
		const struct dag_gateway *gw = &out->dag->gateways[i];

		snapshot_add_gateway(out->snapshot, p->gw_tcaches[i].name,
		    translate_gateway_cached(out->dag, gw, to,
		    out->snapshot->revision, p->gw_tcaches[i].cache));
	}
	snapshot_add_gateway_none(out->snapshot);
	out->made_most = build_made_most(p, out->dag);
	/* What is retired from now on may be pointed to by this result. */
	{
		struct build_keep *k = keep_new();

		p->keep->newer = keep_ref(k);
		keep_unref(p->keep);
		p->keep = k;
		out->keep = keep_ref(k);
	}
}

void
build_result_free(struct build_result *r)
{
	bool trim = r->made_most;

	snapshot_unref(r->snapshot);
	dag_free(r->dag);
	diag_list_free(&r->diags);
	if (r->files_table != NULL)
		file_table_unref(r->files_table);
	else
		free(r->files);
	pipeline_free(r->owner);
	keep_unref(r->keep);
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
