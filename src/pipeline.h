/* One rebuild: source files -> loaded objects (cached per file, keeping the
 * last good version of a file that stops parsing) -> DAG -> snapshot.
 * Shared by serve (many rebuilds), check and dump (one each). */
#ifndef CAIRN_PIPELINE_H
#define CAIRN_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dag/dag.h"
#include "dag/owners.h"
#include "load/load.h"
#include "source/source.h"
#include "util/diag.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

struct cairn_config;

enum file_state {
	FILE_OK,
	FILE_ERROR_SERVING_PREVIOUS, /* broken now, last good version in effect */
	FILE_ERROR, /* broken, nothing from it in effect */
	/* Broken, and its last good version in effect was read back from the
	 * state directory (persisted before a restart; source/lastgood.h). */
	FILE_ERROR_SERVING_PERSISTED,
};

struct file_status {
	const char *path;
	enum file_state state;
	char serving_hash[17]; /* content hash of the version in effect */
	size_t nobjects;
	bool persisted; /* the version in effect has a copy in the state directory */
};

struct build_result {
	struct snapshot *snapshot; /* a reference owned by the result */
	struct dag *dag;
	struct diag_list diags; /* source and load problems, sorted */
	struct file_status *files; /* sorted by path */
	size_t nfiles;
	size_t nobjects; /* objects in effect */
	const char *revision;
	size_t nrestored; /* files in state FILE_ERROR_SERVING_PERSISTED */
	size_t nserving_previous; /* files in state FILE_ERROR_SERVING_PREVIOUS */
	size_t nfailed; /* files in state FILE_ERROR */
	struct pipeline *owner; /* freed with the result (one-shot builds) */
	/* The ledger of FQDN claims changed (directory mode): save it
	 * (pipeline_owners). */
	bool owners_changed;
	/* What the result points into (loaded files, paths) is kept alive
	 * by this until the result is freed, whatever later builds or
	 * pipeline_free do (pipeline.c, struct build_keep). */
	struct build_keep *keep;
	/* Most of what this build holds was made by it, not taken from the
	 * last one (a first build, a reload, a large change): freeing it
	 * leaves much memory in the middle of the heap, which is given
	 * back then (build_result_free). */
	bool made_most;
	/* Holds files when it is shared with other results (pipeline.c),
	 * or NULL: files is the result's own. */
	struct file_table *files_table;
};

struct pipeline;

struct pipeline *pipeline_new(const struct load_options *lo);
void pipeline_free(struct pipeline *p);
/* Persisted last good copies (borrowed; NULL = none): a file that does not
 * parse and has no good version in memory is served from its copy, and
 * unless the store is read-only every build saves the copies of files
 * whose good version changed and drops those of files that are gone. Not
 * for git sources, whose commits are applied whole. */
struct lastgood;
void pipeline_set_lastgood(struct pipeline *p, struct lastgood *lg);
/* A build that found more than a few copies to save (a first start) left
 * them, so as not to delay the first snapshot: save them now, from the
 * same files, after publishing; r (that build's result, or NULL) gets its
 * files' `persisted` updated. A no-op when nothing is pending. */
void pipeline_persist_pending(struct pipeline *p, const struct source_files *files,
    struct build_result *r);
/* Whether a later build may still read f's bytes (a needed callback of
 * source_files_release_bytes; p is the pipeline): only to save the last
 * good copy of a version not saved yet. A build parses a file only when
 * its hash is new to the pipeline, that is from new bytes. */
bool pipeline_file_bytes_needed(void *p, const struct source_file *f);
/* With later set, every build leaves its copies to pipeline_persist_pending
 * (serve's first build: no fsync before READY). */
void pipeline_defer_persist(struct pipeline *p, bool later);
/* Rebuild from files. Files whose content hash did not change are not
 * parsed again. Never fails: problems are in out->diags and statuses.
 * A delta list (source.h: files->delta) is applied to the files of the
 * last build: only the files it names are looked at. Its diags are taken
 * as all of the revision's problems, as in a whole list; a file it
 * removes that the diags report unreadable keeps its last good version
 * until the source stops reporting it. Same files, same result, whichever
 * form they came in. */
void pipeline_build(struct pipeline *p, const struct source_files *files,
    const struct cairn_config *cfg, const struct translate_options *to,
    struct build_result *out);
void build_result_free(struct build_result *r);

/* The DAG of the files in effect after the last build, made by one
 * dag_build of all their objects (what the incremental DAG must equal;
 * tests). Free with dag_free. */
struct dag *pipeline_whole_dag(const struct pipeline *p,
    const struct cairn_config *cfg);
/* Groups of the last build: how many, reused, built again. */
struct dag_cache_stats pipeline_dag_stats(const struct pipeline *p);
/* Resources of the last build's translation (translate.h). */
struct translate_cache_stats pipeline_translate_stats(
    const struct pipeline *p);
/* The same for the last build's Gateway snapshots, summed. */
struct translate_cache_stats pipeline_gateway_translate_stats(
    const struct pipeline *p);

/* The first-seen order of FQDN claims (SPEC §6a) the next builds start
 * from: a ledger read from the state directory (taken; its contents are
 * moved). Without one, claims are first seen by the first build, in path
 * order. */
void pipeline_set_owners(struct pipeline *p, struct fqdn_ledger *l);
/* The ledger after the last build (borrowed; valid until the next). */
const struct fqdn_ledger *pipeline_owners(const struct pipeline *p);

/* "check" verdict: problems that make the input unacceptable. */
size_t build_result_error_count(const struct build_result *r);

#endif
