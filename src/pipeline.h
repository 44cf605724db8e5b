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
};

struct file_status {
	const char *path;
	enum file_state state;
	char serving_hash[17]; /* content hash of the version in effect */
	size_t nobjects;
};

struct build_result {
	struct snapshot *snapshot; /* a reference owned by the result */
	struct dag *dag;
	struct diag_list diags; /* source and load problems, sorted */
	struct file_status *files; /* sorted by path */
	size_t nfiles;
	size_t nobjects; /* objects in effect */
	const char *revision;
	struct pipeline *owner; /* freed with the result (one-shot builds) */
	/* The ledger of FQDN claims changed (directory mode): save it
	 * (pipeline_owners). */
	bool owners_changed;
};

struct pipeline;

struct pipeline *pipeline_new(const struct load_options *lo);
void pipeline_free(struct pipeline *p);
/* Rebuild from files. Files whose content hash did not change are not
 * parsed again. Never fails: problems are in out->diags and statuses. */
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
