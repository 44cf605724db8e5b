/* The whole pipeline on arbitrary YAML: load, DAG build with status,
 * translate, snapshot, and the JSON dump `cairn dump` prints. Then the
 * same file broken (cut in half) and built again, which must keep the
 * last good version in effect (SPEC.md §4 "Last good per file").
 * Properties beyond memory safety:
 *   - every resource cairn would send decodes with its own descriptors
 *     and converts to JSON;
 *   - the same input builds byte-identical snapshots (same versions);
 *   - after the broken rebuild the file is in error and, when it had been
 *     good, the snapshot is unchanged. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "fuzz_files.h"
#include "fuzz_ns.h"
#include "pipeline.h"
#include "report.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"
#include "xds/json.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

/* The tree is this one file. */
static void
set_file(struct source_files *sf, const char *path, const char *ns,
    const uint8_t *data, size_t len)
{
	source_files_free(sf);
	fuzz_add_file(sf, path, ns, data, len);
	sf->revision = xstrdup("fuzz");
}

static void
check_snapshot(const struct snapshot *s)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++) {
		const struct xds_resource_set *set = &s->types[t];

		for (size_t i = 0; i < set->n; i++) {
			const struct xds_resource *r = xds_set_at(set, i);
			json_t *j = xds_bytes_to_json(xds_type_url(t),
			    xds_resource_bytes(r), r->len);

			FUZZ_CHECK(j != NULL);
			json_decref(j);
			if (i > 0)
				FUZZ_CHECK(strcmp(xds_set_at(set, i - 1)->name, r->name) < 0);
		}
	}
}

static bool
same_versions(const struct snapshot *a, const struct snapshot *b)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		if (a->types[t].version != b->types[t].version)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct load_options lo = { 0 };
	struct source_files files = { 0 };
	struct build_result r1, r2, r3;
	struct pipeline *p, *q;
	char ns[64], path[96];
	json_t *report;
	bool was_good;

	if (size > (256 << 10))
		return 0;
	fuzz_namespace_of((const char *)data, size, ns, sizeof ns);
	snprintf(path, sizeof path, "%s/fuzz.yaml", ns);
	config_init_defaults(&cfg);
	translate_options_init(&to);
	p = pipeline_new(&lo);
	q = pipeline_new(&lo);

	set_file(&files, path, ns, data, size);
	pipeline_build(p, &files, &cfg, &to, &r1);
	check_snapshot(r1.snapshot);
	report = report_json(&r1);
	FUZZ_CHECK(report != NULL);
	json_decref(report);
	FUZZ_CHECK(r1.nfiles == 1);
	was_good = r1.files[0].state == FILE_OK;

	/* Pure function of the input: a fresh pipeline agrees. */
	pipeline_build(q, &files, &cfg, &to, &r2);
	FUZZ_CHECK(same_versions(r1.snapshot, r2.snapshot));
	build_result_free(&r2);

	/* A botched save of the same file: a NUL byte, then the first half.
	 * Without a byte order mark at the start the reader takes the file
	 * for UTF-8, where a NUL is refused, so the file is in error. */
	{
		uint8_t *broken = xmalloc(size / 2 + 1);

		broken[0] = '\0';
		memcpy(broken + 1, data, size / 2);
		set_file(&files, path, ns, broken, size / 2 + 1);
		free(broken);
	}
	pipeline_build(p, &files, &cfg, &to, &r3);
	FUZZ_CHECK(r3.nfiles == 1);
	FUZZ_CHECK(r3.files[0].state != FILE_OK);
	if (was_good) {
		FUZZ_CHECK(r3.files[0].state == FILE_ERROR_SERVING_PREVIOUS);
		FUZZ_CHECK(same_versions(r1.snapshot, r3.snapshot));
	}
	build_result_free(&r3);
	build_result_free(&r1);
	source_files_free(&files);
	pipeline_free(p);
	pipeline_free(q);
	config_free(&cfg);
	return 0;
}
