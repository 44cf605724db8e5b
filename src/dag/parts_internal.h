/* Shared by the files of incremental builds only (dag.h is their API):
 * parts.c (the cache of group DAGs and the build), parts_keys.c (the
 * keys and the grouping), parts_assemble.c (the union of the parts) and
 * parts_statuses.c (its statuses). */
#ifndef CAIRN_DAG_PARTS_INTERNAL_H
#define CAIRN_DAG_PARTS_INTERNAL_H

#include "dag/build_internal.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct unit_keys;

/* The assembled arrays, in the order of asm_arrays (parts_assemble.c). */
enum { ASM_ARRAY_VHOSTS, ASM_ARRAY_CLUSTERS, ASM_ARRAY_ENDPOINTS,
	ASM_ARRAY_SECRETS, ASM_ARRAY_TLS_FILES, ASM_ARRAY_STATUSES, ASM_NARRAYS };

/* Where one part's elements start in each assembled array (or, as a
 * part's counts, how many it has). */
struct part_at {
	size_t n[ASM_NARRAYS];
	size_t gateways; /* in dag->gateways, before the sort */
};

/* Where each part's elements start, for the last assembly's parts: a
 * Fenwick tree over the parts' counts (t[j], 1-based, sums the parts
 * (j - lowbit(j), j]), so that a build that changes a few parts patches
 * it and reads it at their places in O(log parts) each, instead of
 * rewriting a prefix array of every part. Counts are unsigned and the
 * deltas added wrap, which the sums undo. */
struct part_sums {
	struct part_at *t;
	size_t n, cap;
};

/* The parts of a build that are not the last build's part at the same
 * place, both builds having as many parts: their positions, ascending. */
struct part_changes {
	const size_t *pos;
	size_t n;
};

/* Whether a part at a position in [lo, hi] changed (c NULL: any may). */
bool part_changes_within(const struct part_changes *c, size_t lo, size_t hi);

/* s made over parts[0..n) (every part's counts read). */
void part_sums_build(struct part_sums *s, struct dag **parts, size_t n);

/* The counts of the parts before position i (i <= s->n). */
struct part_at part_sums_prefix(const struct part_sums *s, size_t i);

/* Part i's counts moved by d (added, wrapping). */
void part_sums_add(struct part_sums *s, size_t i, const struct part_at *d);

/* The first position from i on whose part has a Gateway, or s->n. */
size_t part_sums_next_gateway(const struct part_sums *s, size_t i);

void part_sums_free(struct part_sums *s);

/* A built group: the ids of its files (in unit order) and its DAG. */
struct dag_part_entry {
	uint64_t hash; /* of ids; 0 = empty slot */
	uint64_t *ids;
	size_t nids;
	struct dag *dag;
	bool used; /* by the current build */
};

struct dag_cache {
	struct dag_part_entry *slots; /* open addressing, cap a power of 2 */
	size_t n, cap;
	uint64_t cfg_fp; /* parts are only valid for the config they saw */
	/* Files of file-backed Secrets, read by the caller before a build;
	 * their hash is part of the TLS group's key. Borrowed, or NULL. */
	const struct tls_material *material;
	struct dag_cache_stats stats;
	bool verify_keys; /* CAIRN_DAG_VERIFY: dag_verify_object_keys */
	struct unit_keys *units; /* open addressing by id, cap a power of 2 */
	size_t nunits, ucap;
	/* The last build's units (ids in order) and their grouping: a build
	 * whose changed units keep their keys keeps the grouping. */
	uint64_t *prev_ids;
	size_t *prev_group_of, prev_n, prev_tls_group;
	/* The last build's parts in order (prev_dag's, a flat copy the
	 * cache owns, patched at the changed places after each build:
	 * prev_dag's own are in shared chunks) and which of its arrays were
	 * assembled in order without a sort (ASM_*): where two neighbouring
	 * parts are both the same again, their order is known without a
	 * comparison. */
	struct dag **prev_parts;
	size_t prev_nparts, prev_parts_cap;
	unsigned prev_in_order;
	/* HTTPRoutes resolved per file version (gateway_memo.c), for the
	 * groups built; objs_units: the unit of each object of the group
	 * built. */
	struct gw_memo *gw_memo;
	uint64_t *objs_units;
	size_t objs_units_cap;
	/* The last assembled DAG (a reference) and where each of its parts'
	 * elements start in its arrays: a run of parts at the same positions
	 * again is one block of the last arrays (patch_runs). Its statuses,
	 * patched with the changed parts', are the next build's
	 * (statuses_patch). */
	struct dag *prev_dag;
	struct part_sums sums;
	/* A build whose grouping is kept and whose changed units are few
	 * looks only at the groups holding them (parts_build_changed): per
	 * position of the last build's parts, the group's root unit and its
	 * key's hash; per unit, the next member of its group; the units
	 * whose id changed, as parts_units_regroup_same found them. */
	size_t *prev_roots;
	uint64_t *prev_hashes;
	size_t *prev_next;
	size_t *chg_units, nchg_units, chg_cap;
	/* The units the caller says may differ from the last build's at the
	 * same index (dag_cache_units_changed), sorted, for the next build
	 * only; hint_valid false: every unit's id is compared. */
	size_t *hint, nhint, hint_cap;
	bool hint_valid;
	bool prev_contested; /* the last build's parts saw contested claims */
	bool prev_valid; /* prev_roots, prev_hashes, prev_next describe it */
	/* The earliest valid_until of the parts kept (0: none): from then
	 * on a build looks at every part again. */
	int64_t next_expiry;
	/* The contested FQDNs of the ledger whose gen is contested_gen
	 * (struct fqdn_ledger; 0: none kept): a change that records no claim
	 * does not walk the ledger. */
	const char **contested;
	size_t ncontested;
	uint64_t contested_gen;
	/* Arrays of a build kept for the next (no fresh pages per build);
	 * chg_pos: the positions of the parts changed (struct part_changes).
	 * buf_parts holds the last build's parts between builds (as
	 * prev_parts does): a build that changes few writes those alone. */
	size_t *buf_group_of, *buf_members, *chg_pos, nchg_pos, chg_pos_cap;
	uint64_t *buf_ids;
	struct dag **buf_parts;
	size_t buf_cap;
	/* Threads for the groups of a cold build (dag_cache_set_threads;
	 * 0 or 1: the calling thread only). */
	size_t threads;
};

/* An array being assembled from sorted runs (one per part): only where
 * two runs meet is the order checked; if it breaks, the whole array is
 * sorted at the end. Parts mostly follow each other in order (a group's
 * first file by path, namespaces by directory). */
struct runs {
	char *base;
	size_t n, elem;
	int (*cmp)(const void *, const void *);
	bool sorted;
	/* The parts not the last assembly's at their place (NULL: compare
	 * every boundary); last: the part of the last run added. */
	const struct part_changes *changed;
	size_t last;
	bool known; /* the next run's boundary is known to be in order */
};

enum { ASM_VHOSTS = 1, ASM_CLUSTERS = 2, ASM_ENDPOINTS = 4, ASM_SECRETS = 8,
	ASM_TLS_FILES = 16, ASM_STATUSES = 32 };

void parts_runs_init(struct runs *r, void *base, size_t elem,
    int (*cmp)(const void *, const void *), const struct part_changes *changed);

void parts_runs_add(struct runs *r, const void *src, size_t n, size_t i);

size_t parts_runs_finish(struct runs *r);

size_t parts_statuses_assemble(struct dag_object_status *out,
    struct dag **parts, size_t nparts, const struct part_changes *changed,
    bool *in_order);

bool parts_statuses_patch(struct dag *dag, const struct dag *prev,
    struct dag **old, size_t nold, struct dag **now, size_t nnow,
    const struct part_changes *chg, size_t *made);

/* A block of an assembled DAG's statuses (struct dag status_chunks),
 * shared by reference between consecutive assembled DAGs and never
 * written once made. A chunk holds at most STATUS_CHUNK_MAX statuses; a
 * patch splits a chunk grown past it and merges one shrunk below
 * STATUS_CHUNK_MIN into its next neighbour, and a chunk made from a flat
 * array holds STATUS_CHUNK_FILL (room for insertions). */
#define STATUS_CHUNK_MAX 512
#define STATUS_CHUNK_FILL 384
#define STATUS_CHUNK_MIN 128
struct dag_status_chunk {
	atomic_uint refs; /* owners beyond the first */
	size_t n;
	/* Set when made, for dag_status_span_at's readers: a serial no
	 * other chunk has, the conditions of the n statuses and their
	 * counts by kind and status. */
	uint64_t serial;
	size_t nconditions;
	struct dag_status_tally tally;
	struct dag_object_status s[];
};

/* dag's statuses (nstatuses set) as chunks made from s[0..n), sorted. */
void dag_status_chunks_set(struct dag *dag, const struct dag_object_status *s,
    size_t n);

/* dag's statuses (nstatuses set) as prev's (chunked) without del and with
 * add (each sorted by dag_status_cmp, keys distinct): the chunks no status
 * is taken out of or put into are shared, the others copied (*made
 * counts the chunks made, when made is not NULL). False
 * (nothing made) when a status of del is not in prev exactly once or one
 * of add has the key of one that stays. */
bool dag_status_chunks_patch(struct dag *dag, const struct dag *prev,
    const struct dag_object_status *del, size_t ndel,
    const struct dag_object_status *add, size_t nadd, size_t *made);

/* Drops dag's references on its chunks (dag_free). */
void dag_status_chunks_release(struct dag *dag);

/* Drops dag's references on its hosts', clusters' and endpoints' chunks
 * (parts_assemble.c; dag_status_chunks_release calls it). */
void dag_array_chunks_release(struct dag *dag);

void parts_units_clear(struct dag_cache *c);

void parts_units_group(struct dag_cache *c, const struct dag_unit *units,
    size_t n, size_t *group_of, size_t *tls_group);

void parts_grouping_save(struct dag_cache *c, const struct dag_unit *units,
    size_t n, const size_t *group_of, size_t tls_group);

/* True when the units keep the last build's grouping: *group_of is then
 * the last build's (the cache's; read only). */
bool parts_units_regroup_same(struct dag_cache *c, const struct dag_unit *units,
    size_t n, const size_t **group_of, size_t *tls_group);

uint64_t parts_owners_fingerprint(struct dag_cache *c,
    const struct dag_unit *units, const size_t *members, size_t n,
    const struct fqdn_ledger *owners,
    const char **contested, size_t ncontested);

bool parts_unit_live(void *ctx, uint64_t id);

struct dag *dag_assemble(struct dag **parts, size_t nparts,
    const struct part_changes *chg, unsigned known, unsigned *in_order,
    const struct dag *prev, struct part_sums *sums, size_t *blocks);

/* --- a cold build's groups on several threads (parts_parallel.c) --- */

/* Fewer groups than this are built by the calling thread alone. */
#define PARTS_PARALLEL_MIN 256

/* A group a cold build found missing: built after the walk over the
 * groups, its DAG stored at parts[at] and then cached under (h, ids). */
struct parts_job {
	size_t at;
	size_t *members, n; /* unit indexes, in order */
	uint64_t *ids, h; /* the cache key */
	size_t nids;
	bool tls;
	uint64_t context;
};

void parts_job_add(struct parts_job *j, size_t at, const size_t *members,
    size_t n, const uint64_t *ids, size_t nids, uint64_t h, bool tls,
    uint64_t context);
void parts_job_clear(struct parts_job *j);
/* Builds every job's group into parts[]; returns how many were built by
 * the pool of threads (0 when all ran on the calling thread). */
size_t parts_jobs_build(struct dag_cache *c, const struct dag_unit *units,
    struct parts_job *jobs, size_t njobs, const struct dag_options *opts,
    const struct fqdn_ledger *owners, struct dag **parts);
struct dag *parts_group_build(struct dag_cache *c, const struct dag_unit *units,
    const size_t *members, size_t n, const struct dag_options *opts,
    const struct fqdn_ledger *owners, struct object ***objs, size_t *objs_cap,
    uint64_t **objs_units, size_t *objs_units_cap, bool tls, uint64_t context);

#endif
