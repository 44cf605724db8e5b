#include "pipeline.h"

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

/* Fewer changed files than this are parsed by the calling thread. */
#define PIPELINE_PARALLEL_MIN_FILES 64
#define PIPELINE_MAX_LOAD_THREADS 8

/* What the pipeline remembers of one file between rebuilds. */
struct file_entry {
	char *path;
	struct loaded_file *good; /* last version that parsed, or NULL */
	struct loaded_file *latest; /* the current version if it failed */
	uint64_t serial; /* of good: new for every version (dag_unit.id) */
	/* A hash of good's FQDN claims (§6a), 0 without good; counted in
	 * pipeline.claims_total while the entry exists. */
	uint64_t claims_hash;
	bool moved; /* handed to the next generation (path still readable) */
	bool restored; /* good was read back from the persisted copy */
	char *store_note; /* a persisted copy refused (corrupt), or NULL */
	uint64_t persist_failed; /* content hash whose copy failed (logged once) */
	bool persisted; /* good has its copy on disk (after the last build) */
	/* What a build reads of good, copied here when good changes
	 * (entry_view; valid while view_serial == serial): the file table,
	 * the units and the Secrets' files walk the entries alone, not
	 * every loaded file (a cache miss each at 10,000 files). */
	uint64_t view_serial;
	struct object **view_objs;
	size_t view_nobjs, view_ndiags;
	char view_hash[17];
	bool view_secret_files; /* some Secret of good names a file */
};

/* What results may still point into after the pipeline let go of it:
 * good versions replaced or deleted, and entries' paths. Every result
 * holds the keep that was newest when it was built, and each keep holds
 * the next newer one, so whatever is retired into the newest keep lives
 * until every result older than the retirement is freed (in any order,
 * on any thread): a result owns what it points to, at no cost per file
 * left alone. */
struct build_keep {
	atomic_uint refs;
	struct loaded_file **files;
	size_t nfiles, fcap;
	char **paths;
	size_t npaths, pcap;
	struct build_keep *newer; /* a reference, or NULL */
};

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

struct gateway_tcache {
	char *name; /* "<ns>/<name>" */
	struct translate_cache *cache;
};

struct pipeline {
	struct build_keep *keep; /* the newest: retire into it */
	struct load_options lo;
	struct arena scratch; /* the YAML tree of the file being loaded */
	/* Serialized resources of the last build, reused when unchanged. */
	struct translate_cache *tcache;
	/* The same for each served Gateway's snapshot, in the order of
	 * dag->gateways (by "<ns>/<name>"). */
	struct gateway_tcache *gw_tcaches;
	size_t ngw_tcaches;
	/* The DAGs of groups of unchanged files, reused (dag.h). */
	struct dag_cache *dcache;
	/* Files of file-backed Secrets, read before each DAG build. */
	struct tls_material *material;
	uint64_t next_serial;
	struct file_entry *entries; /* sorted by path */
	size_t n, cap;
	/* Every FQDN claim in effect and when it was first seen (§6a). */
	struct fqdn_ledger owners;
	/* The claims of the files in effect changed since they were last
	 * recorded (claims_sum differs), or nothing was recorded yet. */
	bool claims_stale;
	/* The sum of every entry's claims_hash, kept up to date as entries
	 * change (entry_claims), and its value when claims were recorded. */
	uint64_t claims_total, claims_sum;
	/* What the last entries_update changed: paths of entries parsed,
	 * restored or added (borrowed from the entries), and paths of
	 * entries deleted (owned). A delta build persists from these alone. */
	const char **touched;
	size_t ntouched, touched_cap;
	char **gone;
	size_t ngone, gone_cap;
	/* Paths of entries gone from the source's list but kept because the
	 * source reported them unreadable: a delta does not name them again,
	 * so each delta build checks whether they are still reported. */
	char **held;
	size_t nheld, held_cap;
	char *owners_revision; /* git: the commit the order was taken from */
	struct lastgood *lg; /* borrowed, or NULL */
	bool persist_pending; /* the last build left its copies to save */
	bool persist_later; /* every build leaves them (pipeline_defer_persist) */
};

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
	fqdn_ledger_init(&p->owners);
	p->claims_stale = true;
	return p;
}

static void
file_entry_clear(struct file_entry *e)
{
	if (e->latest != e->good)
		loaded_file_free(e->latest);
	loaded_file_free(e->good);
	free(e->path);
	free(e->store_note);
	memset(e, 0, sizeof *e);
}

static void
held_clear(struct pipeline *p)
{
	for (size_t i = 0; i < p->nheld; i++)
		free(p->held[i]);
	p->nheld = 0;
}

/* lf (may be NULL) and path (may be NULL) are no longer the pipeline's;
 * results built before may still point into them. */
static void
retire(struct pipeline *p, struct loaded_file *lf, char *path)
{
	struct build_keep *k = p->keep;

	if (lf != NULL)
		ARRAY_PUSH(k->files, k->nfiles, k->fcap, lf);
	if (path != NULL)
		ARRAY_PUSH(k->paths, k->npaths, k->pcap, path);
}

static void
changes_clear(struct pipeline *p)
{
	for (size_t i = 0; i < p->ngone; i++)
		retire(p, NULL, p->gone[i]);
	p->ngone = 0;
	p->ntouched = 0;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	changes_clear(p);
	free(p->gone);
	free(p->touched);
	held_clear(p);
	free(p->held);
	for (size_t i = 0; i < p->n; i++) {
		retire(p, p->entries[i].good, p->entries[i].path);
		if (p->entries[i].latest == p->entries[i].good)
			p->entries[i].latest = NULL;
		p->entries[i].good = NULL;
		p->entries[i].path = NULL;
		file_entry_clear(&p->entries[i]);
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
	tls_material_free(p->material);
	fqdn_ledger_free(&p->owners);
	free(p->owners_revision);
	free(p);
}

void
pipeline_set_owners(struct pipeline *p, struct fqdn_ledger *l)
{
	fqdn_ledger_free(&p->owners);
	p->owners = *l;
	fqdn_ledger_init(l);
	p->claims_stale = true;
}

const struct fqdn_ledger *
pipeline_owners(const struct pipeline *p)
{
	return &p->owners;
}

/* The FQDN claims of the files in effect, in path order: every
 * HTTPProxy naming a virtualhost.fqdn and every Ingress rule naming a
 * host (under "Ingress:NAME"; those names are made in *names, freed by
 * the caller with owners_names_free). */
static struct fqdn_claim_ref *
owners_claims(const struct pipeline *p, size_t *nout, char ***names,
    size_t *nnames)
{
	struct fqdn_claim_ref *claims = NULL;
	size_t n = 0, cap = 0, ncap = 0;

	*names = NULL;
	*nnames = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct loaded_file *lf = p->entries[i].good;

		if (lf == NULL)
			continue;
		for (size_t k = 0; k < lf->nobjects; k++) {
			const struct object *o = lf->objects[k];
			const struct hp_virtualhost *vh;
			char *name = NULL;

			if (o->kind == OBJ_INGRESS) {
				for (size_t r = 0; r < o->u.ingress.nrules; r++) {
					const struct ing_rule *rule = &o->u.ingress.rules[r];

					if (rule->host == NULL || rule->host[0] == '\0')
						continue;
					if (name == NULL) {
						name = xasprintf("%s%s", FQDN_INGRESS_PREFIX,
						    o->meta.name);
						ARRAY_PUSH(*names, *nnames, ncap, name);
					}
					ARRAY_PUSH(claims, n, cap, ((struct fqdn_claim_ref){
						.fqdn = rule->host, .ns = o->meta.namespace,
						.name = name, .file = rule->origin.file,
						.line = rule->origin.line }));
				}
				continue;
			}
			if (o->kind != OBJ_HTTPPROXY ||
			    (vh = o->u.httpproxy.virtualhost) == NULL ||
			    vh->fqdn == NULL)
				continue;
			ARRAY_PUSH(claims, n, cap, ((struct fqdn_claim_ref){
				.fqdn = vh->fqdn, .ns = o->meta.namespace,
				.name = o->meta.name, .file = vh->origin.file,
				.line = vh->origin.line }));
		}
	}
	*nout = n;
	return claims;
}

static void
owners_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A hash of what e's good version claims: a build whose files claim
 * what the last one's did (an edit of routes, a Service) records nothing
 * (recording sorts every claim: milliseconds at 10,000 roots). */
static uint64_t
claims_hash_of(const struct file_entry *e)
{
	struct hash_state *h;

	if (e->good == NULL)
		return 0;
	h = hash_begin();
	hash_update(h, e->path, strlen(e->path) + 1);
	for (size_t k = 0; k < e->good->nobjects; k++) {
		const struct object *o = e->good->objects[k];
		const struct hp_virtualhost *vh;

		if (o->kind == OBJ_INGRESS) {
			hash_update(h, "I", 1);
			hash_update(h, o->meta.name, strlen(o->meta.name) + 1);
			for (size_t r = 0; r < o->u.ingress.nrules; r++) {
				const char *host = o->u.ingress.rules[r].host;

				if (host)
					hash_update(h, host, strlen(host) + 1);
			}
		} else if (o->kind == OBJ_HTTPPROXY &&
		    (vh = o->u.httpproxy.virtualhost) != NULL &&
		    vh->fqdn != NULL) {
			hash_update(h, "P", 1);
			hash_update(h, o->meta.namespace,
			    strlen(o->meta.namespace) + 1);
			hash_update(h, o->meta.name, strlen(o->meta.name) + 1);
			hash_update(h, vh->fqdn, strlen(vh->fqdn) + 1);
		}
	}
	return hash_end(h) | 1;
}

/* e's good version changed (or e is new): its claims replace the old
 * ones in the running total, so no build sums over every file. */
static void
entry_claims(struct pipeline *p, struct file_entry *e)
{
	p->claims_total -= e->claims_hash;
	e->claims_hash = claims_hash_of(e);
	p->claims_total += e->claims_hash;
}

/* e leaves the pipeline: its claims leave the total. */
static void
entry_delete(struct pipeline *p, struct file_entry *e)
{
	p->claims_total -= e->claims_hash;
	ARRAY_PUSH(p->gone, p->ngone, p->gone_cap, e->path);
	e->path = NULL; /* now gone[]'s */
	retire(p, e->good, NULL);
	if (e->latest == e->good)
		e->latest = NULL;
	e->good = NULL;
	file_entry_clear(e);
}

static void
entry_view(struct file_entry *e)
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

/* Directory mode: record the claims in the ledger before the DAG is
 * built, so the DAG always sees each claim's place in line. */
static bool
owners_record(struct pipeline *p)
{
	size_t n, nnames;
	char **names;
	struct fqdn_claim_ref *claims = owners_claims(p, &n, &names, &nnames);
	bool changed = fqdn_ledger_record(&p->owners, claims, n);

	free(claims);
	owners_names_free(names, nnames);
	return changed;
}

/* How far back git history is searched for the commit that introduced a
 * claim: older claims than that are as old as each other (path order). */
#define OWNERS_HISTORY_MAX 1000

struct claim_probe {
	const struct fqdn_claim_ref *claim;
	const struct load_options *lo;
};

/* Does this version of the claim's file still make the claim? */
static bool
claim_holds(void *ctx, const char *data, size_t len)
{
	const struct claim_probe *cp = ctx;
	const struct fqdn_claim_ref *c = cp->claim;
	char *copy = xmalloc(len + 1);
	struct loaded_file *lf;
	bool found = false;

	memcpy(copy, data, len);
	copy[len] = '\0';
	lf = load_buffer(c->file, c->ns, copy, len, cp->lo);
	size_t plen = strlen(FQDN_INGRESS_PREFIX);
	bool ingress = strncmp(c->name, FQDN_INGRESS_PREFIX, plen) == 0;

	for (size_t k = 0; lf->ok && k < lf->nobjects && !found; k++) {
		const struct object *o = lf->objects[k];
		const struct hp_virtualhost *vh;

		if (strcmp(o->meta.namespace, c->ns) != 0)
			continue;
		if (ingress && o->kind == OBJ_INGRESS &&
		    strcmp(o->meta.name, c->name + plen) == 0) {
			for (size_t r = 0; r < o->u.ingress.nrules && !found; r++)
				found = o->u.ingress.rules[r].host != NULL &&
				    strcmp(o->u.ingress.rules[r].host, c->fqdn) == 0;
		} else if (!ingress && o->kind == OBJ_HTTPPROXY) {
			vh = o->u.httpproxy.virtualhost;
			found = vh != NULL && vh->fqdn != NULL &&
			    strcmp(vh->fqdn, c->fqdn) == 0 &&
			    strcmp(o->meta.name, c->name) == 0;
		}
	}
	loaded_file_free(lf);
	free(copy);
	return found;
}

struct aged_claim {
	const struct fqdn_claim_ref *c;
	size_t age;
};

static int
aged_claim_cmp(const void *x, const void *y)
{
	const struct aged_claim *a = x, *b = y;
	int r = strcmp(a->c->fqdn, b->c->fqdn);

	if (r != 0)
		return r;
	if (a->age != b->age)
		return a->age > b->age ? -1 : 1; /* older first */
	return fqdn_claim_ref_cmp(a->c, b->c);
}

/* git mode: the order of claims on a contested FQDN is the history's
 * (the claim whose commit came first wins), recomputed for the served
 * commit alone, so every replica serving it agrees and `cairn check`
 * at that commit says the same. Only FQDNs claimed more than once are
 * looked up; each gets ranks 0, 1, ... (stable from commit to commit,
 * so the DAG's parts are not rebuilt for nothing). */
static void
owners_from_history(struct pipeline *p, const struct source_files *files)
{
	size_t n, nnames;
	char **names;
	struct fqdn_claim_ref *claims = owners_claims(p, &n, &names, &nnames);
	struct aged_claim *aged = xreallocarray(NULL, n + 1, sizeof *aged);
	struct fqdn_ledger order;

	fqdn_ledger_init(&order);
	for (size_t i = 0; i < n; i++)
		aged[i] = (struct aged_claim){ .c = &claims[i] };
	qsort(aged, n, sizeof *aged, aged_claim_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		bool root = false;

		while (j < n && strcmp(aged[j].c->fqdn, aged[i].c->fqdn) == 0)
			j++;
		/* Ingresses share hosts with each other: only a root's
		 * claim makes an order matter. */
		for (size_t k = i; k < j && !root; k++)
			root = strncmp(aged[k].c->name, FQDN_INGRESS_PREFIX,
			    strlen(FQDN_INGRESS_PREFIX)) != 0;
		if (j - i > 1 && root) {
			for (size_t k = i; k < j; k++) {
				struct claim_probe cp = { aged[k].c, &p->lo };

				aged[k].age = files->claim_age(files->history,
				    files->revision, aged[k].c->file,
				    OWNERS_HISTORY_MAX, claim_holds, &cp);
			}
			qsort(aged + i, j - i, sizeof *aged, aged_claim_cmp);
			for (size_t k = i; k < j; k++)
				fqdn_ledger_put(&order, aged[k].c->fqdn, aged[k].c->ns,
				    aged[k].c->name, (uint64_t)(k - i));
		}
		i = j;
	}
	fqdn_ledger_free(&p->owners);
	p->owners = order;
	free(aged);
	free(claims);
	owners_names_free(names, nnames);
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

static struct file_entry *
entry_find(struct pipeline *p, const char *path)
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
			retire(p, e->good, NULL);
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
static const struct source_file *
files_find(const struct source_files *files, const char *path)
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
		struct file_entry *e = entry_find(p, path);

		if (e == NULL || (r >= files->n_removed &&
		    files_find(files, path) != NULL) ||
		    (del != NULL && del[e - p->entries]))
			continue;
		if (e->good && source_reported(files, e->path)) {
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
		if (entry_find(p, files->files[i].path) == NULL)
			add[nadd++] = i;
	if (ndel + nadd > 0) {
		size_t n = p->n - ndel + nadd, at = 0, a = 0;
		struct file_entry *next = xreallocarray(NULL, n + 1, sizeof *next);

		/* Both sorted: a merge of the kept entries and the new files. */
		for (size_t i = 0; i <= p->n; i++) {
			while (a < nadd && (i == p->n || strcmp(files->files[add[a]].path,
			    p->entries[i].path) < 0)) {
				next[at] = (struct file_entry){ 0 };
				next[at++].path = xstrdup(files->files[add[a++]].path);
			}
			if (i == p->n)
				break;
			if (del != NULL && del[i])
				entry_delete(p, &p->entries[i]);
			else
				next[at++] = p->entries[i];
		}
		free(p->entries);
		p->entries = next;
		p->n = at;
		p->cap = n + 1;
	}
	free(del);
	free(add);
	jobs.index = xreallocarray(NULL, files->n + 1, sizeof *jobs.index);
	slot = xreallocarray(NULL, files->n + 1, sizeof *slot);
	for (size_t i = 0; i < files->n; i++) {
		struct file_entry *e = entry_find(p, files->files[i].path);

		if (entry_differs(e, &files->files[i])) {
			jobs.index[jobs.n] = i;
			slot[jobs.n++] = (size_t)(e - p->entries);
		}
	}
	entries_parse(p, files, &jobs, p->entries, slot);
	free(jobs.index);
	free(slot);
	if (entries_restore_unread(p, files, &p->entries, &p->n, &p->cap))
		entries_sort(p->entries, p->n);
}

/* Move the current file entries into a new array that follows files,
 * parsing what changed. */
static void
entries_update(struct pipeline *p, const struct source_files *files)
{
	struct file_entry *next = NULL;
	size_t n = 0, cap = 0, *slot;
	struct load_jobs jobs = { .files = files, .lo = &p->lo };

	changes_clear(p);
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
		if (entry_differs(&e, sf)) {
			jobs.index[jobs.n] = i;
			slot[jobs.n++] = n;
		}
		ARRAY_PUSH(next, n, cap, e);
	}
	entries_parse(p, files, &jobs, next, slot);
	free(jobs.index);
	free(slot);
	held_clear(p);
	/* Files that are gone stay only if the source said it could not read
	 * them; the rest are deleted for real. */
	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];

		if (e->moved)
			continue;
		if (e->good && source_reported(files, e->path)) {
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
			file_entry_clear(&e);
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

/* Read the files the Secrets of the files in effect name (only those
 * whose identity changed are read again), so the DAG gets them as
 * material. Only entries whose good version names one are looked into
 * (entry_view, after the file table). */
static void
pipeline_material(struct pipeline *p, const struct cairn_config *cfg)
{
	const char **paths = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];

		entry_view(e);
		if (e->view_secret_files)
			dag_secret_files(e->view_objs, e->view_nobjs, &paths, &n,
			    &cap);
	}
	tls_material_update(p->material, paths, n,
	    cfg ? cfg->secrets.allowed_directories : NULL,
	    cfg ? cfg->secrets.nallowed_directories : 0);
	free(paths);
}

/* The DAG of the files in effect: by groups of files, reusing those whose
 * files did not change (dag.h). */
static struct dag *
pipeline_dag(struct pipeline *p, const struct cairn_config *cfg)
{
	size_t nunits, nobjs;
	struct dag_unit *units = pipeline_units(p, &nunits, &nobjs);
	struct dag_options opts;
	struct dag *dag;

	/* What the DAG reads of the configuration, taken from it here only
	 * (pipeline_build keeps the whole config: certificate reads and
	 * translation want other parts of it). */
	dag_options_from_config(&opts, cfg);
	pipeline_material(p, cfg);
	dag = dag_build_units_owned(units, nunits, &opts, &p->owners,
	    p->dcache);

	free(units);
	return dag;
}

/* Save the copies of files whose good version is new (their bytes are in
 * files) and drop those of files no longer in effect; then make it all
 * durable at once (lastgood_flush). Entries, files and the store's index
 * are all sorted by path: one walk beside the other two, no search (a
 * one-file change in a 10,000-file tree stays a few microseconds here). */
static bool persist_delta(struct pipeline *p, const struct source_files *files,
    size_t max_puts);

static bool
pipeline_persist(struct pipeline *p, const struct source_files *files,
    size_t max_puts)
{
	char **drop = NULL;
	size_t *put = NULL, ndrop = 0, dcap = 0, nput = 0, pcap = 0;
	size_t j = 0, k = 0, nidx;
	bool ro;

	if (p->lg == NULL || lastgood_is_reader(p->lg))
		return true;
	if (files->delta)
		return persist_delta(p, files, max_puts);
	ro = lastgood_is_read_only(p->lg);
	nidx = lastgood_count(p->lg);
	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];
		const struct source_file *sf;
		bool indexed;
		size_t at;

		e->persisted = false;
		for (; k < nidx && strcmp(lastgood_path_at(p->lg, k), e->path) < 0; k++)
			if (!ro)
				ARRAY_PUSH(drop, ndrop, dcap,
				    xstrdup(lastgood_path_at(p->lg, k)));
		at = k;
		indexed = k < nidx && strcmp(lastgood_path_at(p->lg, k), e->path) == 0;
		if (indexed)
			k++;
		if (e->good == NULL)
			continue;
		if (indexed && lastgood_has_at(p->lg, at, e->good->content_hash)) {
			e->persisted = true;
			continue;
		}
		while (j < files->n && strcmp(files->files[j].path, e->path) < 0)
			j++;
		if (e->restored || j >= files->n)
			continue;
		sf = &files->files[j];
		if (strcmp(sf->path, e->path) == 0 && sf->hash == e->good->content_hash)
			ARRAY_PUSH(put, nput, pcap, i);
	}
	for (; k < nidx && !ro; k++)
		ARRAY_PUSH(drop, ndrop, dcap, xstrdup(lastgood_path_at(p->lg, k)));
	if (nput > max_puts) {
		for (size_t d = 0; d < ndrop; d++)
			free(drop[d]);
		free(drop);
		free(put);
		return false;
	}
	for (size_t d = 0; d < ndrop; d++) {
		log_info("%s: gone from the source; its last good copy is dropped",
		    drop[d]);
		lastgood_drop(p->lg, drop[d]);
		free(drop[d]);
	}
	free(drop);
	j = 0;
	for (size_t q = 0; q < nput; q++) {
		struct file_entry *e = &p->entries[put[q]];
		const struct source_file *sf;
		char *err;

		while (strcmp(files->files[j].path, e->path) != 0)
			j++;
		sf = &files->files[j];
		if (lastgood_put(p->lg, e->path, sf->data, sf->len, sf->hash,
		    &err) < 0) {
			if (e->persist_failed != sf->hash)
				log_warning("%s: last good copy not saved: %s; after a "
				    "restart a broken save of it would leave it out",
				    e->path, err);
			e->persist_failed = sf->hash;
			free(err);
		} else {
			e->persist_failed = 0;
			e->persisted = true;
		}
	}
	if (lastgood_flush(p->lg) > 0)
		for (size_t q = 0; q < nput; q++) {
			struct file_entry *e = &p->entries[put[q]];

			e->persisted = lastgood_has(p->lg, e->path,
			    e->good->content_hash);
		}
	free(put);
	return true;
}

/* pipeline_persist after a delta build: only the entries the build
 * touched and the paths it deleted are looked at; every other entry's
 * copy is what the last build left. */
static bool
persist_delta(struct pipeline *p, const struct source_files *files,
    size_t max_puts)
{
	struct file_entry **put = NULL;
	size_t nput = 0, pcap = 0;
	bool ro = lastgood_is_read_only(p->lg);

	for (size_t t = 0; t < p->ntouched; t++) {
		struct file_entry *e = entry_find(p, p->touched[t]);
		const struct source_file *sf;

		if (e == NULL)
			continue;
		e->persisted = false;
		if (e->good == NULL)
			continue;
		if (lastgood_has(p->lg, e->path, e->good->content_hash)) {
			e->persisted = true;
			continue;
		}
		sf = e->restored ? NULL : files_find(files, e->path);
		if (sf != NULL && sf->hash == e->good->content_hash)
			ARRAY_PUSH(put, nput, pcap, e);
	}
	if (nput > max_puts) {
		free(put);
		return false;
	}
	for (size_t g = 0; g < p->ngone && !ro; g++)
		if (lastgood_has_path(p->lg, p->gone[g])) {
			log_info("%s: gone from the source; its last good copy is "
			    "dropped", p->gone[g]);
			lastgood_drop(p->lg, p->gone[g]);
		}
	for (size_t q = 0; q < nput; q++) {
		struct file_entry *e = put[q];
		const struct source_file *sf = files_find(files, e->path);
		char *err;

		if (lastgood_put(p->lg, e->path, sf->data, sf->len, sf->hash,
		    &err) < 0) {
			if (e->persist_failed != sf->hash)
				log_warning("%s: last good copy not saved: %s; after a "
				    "restart a broken save of it would leave it out",
				    e->path, err);
			e->persist_failed = sf->hash;
			free(err);
		} else {
			e->persist_failed = 0;
			e->persisted = true;
		}
	}
	if (lastgood_flush(p->lg) > 0)
		for (size_t q = 0; q < nput; q++)
			put[q]->persisted = lastgood_has(p->lg, put[q]->path,
			    put[q]->good->content_hash);
	free(put);
	return true;
}

bool
pipeline_file_bytes_needed(void *pv, const struct source_file *f)
{
	struct pipeline *p = pv;
	struct file_entry *e;

	if (p->lg == NULL || lastgood_is_read_only(p->lg))
		return false;
	e = entry_find(p, f->path);
	return e != NULL && e->good != NULL && !e->restored && !e->persisted &&
	    e->good->content_hash == f->hash;
}

void
pipeline_defer_persist(struct pipeline *p, bool later)
{
	p->persist_later = later;
}

void
pipeline_persist_pending(struct pipeline *p, const struct source_files *files,
    struct build_result *r)
{
	if (!p->persist_pending)
		return;
	p->persist_pending = false;
	pipeline_persist(p, files, SIZE_MAX);
	/* The result's statuses are the entries', in the same order. */
	for (size_t i = 0; r != NULL && i < r->nfiles && i < p->n; i++)
		r->files[i].persisted = p->entries[i].persisted;
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

void
pipeline_build(struct pipeline *p, const struct source_files *files,
    const struct cairn_config *cfg, const struct translate_options *to,
    struct build_result *out)
{
	memset(out, 0, sizeof *out);
	diag_list_init(&out->diags);
	diag_list_append(&out->diags, &files->diags);
	entries_update(p, files);
	p->persist_pending = !pipeline_persist(p, files, p->persist_later ? 0 :
	    PIPELINE_PERSIST_INLINE_MAX);

	out->files = xcalloc(p->n ? p->n : 1, sizeof *out->files);
	out->nfiles = p->n;
	for (size_t i = 0; i < p->n; i++) {
		struct file_entry *e = &p->entries[i];
		struct file_status *fs = &out->files[i];

		entry_view(e);
		fs->path = e->path;
		if (e->latest)
			diag_list_append(&out->diags, &e->latest->diags);
		else if (e->view_ndiags > 0)
			diag_list_append(&out->diags, &e->good->diags);
		memcpy(fs->serving_hash, e->view_hash, sizeof fs->serving_hash);
		if (e->store_note != NULL)
			diag_add(&out->diags, DIAG_WARNING, e->path, 0, 0, "%s",
			    e->store_note);
		if (e->good && e->restored && (e->latest || source_reported(files, e->path))) {
			fs->state = FILE_ERROR_SERVING_PERSISTED;
			out->nrestored++;
		} else if (e->latest || (e->good == NULL))
			fs->state = e->good ? FILE_ERROR_SERVING_PREVIOUS : FILE_ERROR;
		else if (files->diags.n > 0 && source_reported(files, e->path))
			fs->state = FILE_ERROR_SERVING_PREVIOUS;
		else
			fs->state = FILE_OK;
		if (e->good == NULL)
			continue;
		fs->persisted = e->persisted;
		fs->nobjects = e->view_nobjs;
		out->nobjects += e->view_nobjs;
	}
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
			owners_from_history(p, files);
			free(p->owners_revision);
			p->owners_revision = xstrdup(files->revision);
		}
	} else if (p->claims_stale)
		out->owners_changed = owners_record(p);
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
	/* What is retired from now on may be pointed to by this result. */
	{
		struct build_keep *k = keep_new();

		p->keep->newer = keep_ref(k);
		keep_unref(p->keep);
		p->keep = k;
		out->keep = keep_ref(k);
	}
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
