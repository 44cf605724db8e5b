/* Shared by the files of the pipeline only (pipeline.h is its API):
 * pipeline.c (life cycle, builds, results), pipeline_files.c (the file
 * table: entries, parsing, updates from a source), pipeline_owners.c
 * (FQDN claims and the ledger) and pipeline_persist.c (last-good
 * copies). */
#ifndef CAIRN_PIPELINE_INTERNAL_H
#define CAIRN_PIPELINE_INTERNAL_H

#include "pipeline.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	 * (pipeline_entry_view; valid while view_serial == serial): the file table,
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

/* A file table handed to results: a result holds a reference, and so
 * does the pipeline, which brings the table up to date again for a
 * later result once no result holds it (pipeline_result_files). */
struct file_table {
	atomic_uint refs;
	struct file_status *rows;
	size_t n;
	uint64_t build; /* the build whose kept table the rows equal */
};

struct gateway_tcache {
	char *name; /* "<ns>/<name>" */
	struct translate_cache *cache;
};

struct pipeline {
	struct build_keep *keep; /* the newest: pipeline_retire into it */
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
	/* What the last pipeline_entries_update changed: paths of entries parsed,
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
	/* What pipeline_build's one walk over the entries gathers for the
	 * DAG: the units (files with objects, in path order) and the paths
	 * of file-backed Secrets, borrowed from the entries. Kept from build
	 * to build so that the arrays are not allocated and faulted in
	 * again each time. */
	struct dag_unit *units;
	size_t nunits, capunits;
	const char **secret_paths;
	size_t nsecret_paths, capsecret_paths;
	/* The last build's file table (each result gets a copy), the entry
	 * of each unit (parallel to units), the entries whose diagnostics or
	 * store note a build reports (ascending indices) and the table's
	 * totals; valid while kept_valid. A delta build that neither adds
	 * nor removes entries, with no diagnostics from the source, patches
	 * these at the entries it touched (pipeline_walk_touched) instead of
	 * reading every entry: an entry's status then depends on the entry
	 * alone, and entries keep their indices. */
	struct file_status *ftable;
	size_t *unit_entry;
	size_t capunit_entry;
	size_t *noted;
	size_t nnoted, capnoted;
	size_t kept_nobjects, kept_nrestored, kept_nprevious, kept_nfailed;
	bool kept_valid;
	/* The last pipeline_entries_update added, removed or reordered
	 * entries: indices in the kept tables are stale. */
	bool entries_moved;
	/* When entries_moved by a delta's adds and removes only: each old
	 * entry's new index (SIZE_MAX: deleted), for moved_n old entries,
	 * and whether a deleted entry's Secrets named files; else NULL. */
	size_t *moved_map;
	size_t moved_n;
	bool moved_secret;
	bool remapped; /* this build moved the kept tables' rows */
	size_t remaps; /* builds that did (tests) */
	size_t full_walks; /* builds that walked every entry (tests) */
	/* The results' file tables, alternately: a build's result gets the
	 * one the build before last used, patched at the entries that
	 * build and this one touched (tidx, then lagidx after the build;
	 * lag_valid: the last build patched) when no result holds it any
	 * more. builds counts builds. */
	struct file_table *tables[2];
	uint64_t builds;
	size_t *tidx, *lagidx;
	size_t ntidx, captidx, nlagidx, caplagidx;
	bool lag_valid;
	size_t table_patches; /* results whose table was patched (tests) */
	/* The units the last walk may have changed, by index into units,
	 * when it neither added nor removed one nor moved the rows
	 * (units_hinted): the DAG's grouping check reads those alone
	 * (dag_cache_units_changed). */
	size_t *uhint;
	size_t nuhint, capuhint;
	bool units_hinted;
};

void pipeline_file_entry_clear(struct file_entry *e);

void pipeline_held_clear(struct pipeline *p);

void pipeline_retire(struct pipeline *p, struct loaded_file *lf, char *path);

void pipeline_changes_clear(struct pipeline *p);

uint64_t pipeline_claims_hash_of(const struct file_entry *e);

void pipeline_entry_view(struct file_entry *e);

bool pipeline_owners_record(struct pipeline *p);

void pipeline_owners_from_history(struct pipeline *p,
    const struct source_files *files);

struct file_entry *pipeline_entry_find(struct pipeline *p, const char *path);

bool pipeline_source_reported(const struct source_files *files,
    const char *path);

const struct source_file *pipeline_files_find(
    const struct source_files *files, const char *path);

void pipeline_entries_update(struct pipeline *p,
    const struct source_files *files);

bool pipeline_persist(struct pipeline *p, const struct source_files *files,
    size_t max_puts);

#endif
