/* `cairn diff --running` reading a daemon's admin answers (src/cmd_diff.c,
 * src/diff/): the /status JSON into object statuses
 * (diff_objects_from_json) and the /debug/xds/pb lines into a snapshot
 * (diff_snapshot_from_pb), then the plan between that and an empty side,
 * both ways, rendered as text. The peer is on the network: hostile.
 *
 * Input: the /status body, a NUL byte, the /debug/xds/pb body (no NUL:
 * all of it is /status).
 * Properties beyond memory safety:
 *   - the statuses are sorted (diff_object_cmp) with every string set,
 *     kind and status among the DAG's names or "unknown";
 *   - each type's resources are sorted by name, names unique, whatever
 *     lines the peer repeats;
 *   - the plan of the running side against itself is empty, decodes
 *     nothing and has no change line;
 *   - every plan is a JSON object with a summary text that dumps. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diff/diff.h"
#include "fuzz.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

static void
check_objects(const struct diff_objects *o)
{
	for (size_t i = 0; i < o->n; i++) {
		const struct diff_object *d = &o->items[i];

		FUZZ_CHECK(d->kind && d->namespace && d->name && d->status &&
		    d->file);
		if (i > 0)
			FUZZ_CHECK(diff_object_cmp(&o->items[i - 1], d) <= 0);
	}
}

static void
check_snapshot(const struct snapshot *s)
{
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		for (size_t i = 1; i < s->types[t].n; i++)
			FUZZ_CHECK(strcmp(xds_set_at(&s->types[t], i - 1)->name,
			    xds_set_at(&s->types[t], i)->name) < 0);
}

static void
plan_check(const struct diff_side *from, const struct diff_side *to)
{
	json_t *plan = diff_compute(from, to);
	struct strbuf sb = STRBUF_INIT;
	char *dump;

	FUZZ_CHECK(json_is_object(plan));
	FUZZ_CHECK(diff_plan_summary(plan) != NULL);
	diff_render_text(plan, true, &sb);
	dump = json_dumps(plan, JSON_COMPACT);
	FUZZ_CHECK(dump != NULL);
	free(dump);
	strbuf_free(&sb);
	json_decref(plan);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nul = memchr(in, '\0', size);
	size_t slen = nul ? (size_t)(nul - in) : size;
	struct diff_objects objs = { 0 }, none = { 0 };
	struct snapshot *s, *empty;
	json_error_t jerr;
	json_t *st;
	char *pb, *line;
	const char *rev;

	st = json_loadb(in, slen, 0, &jerr);
	if (st == NULL || diff_objects_from_json(&objs, st) < 0) {
		json_decref(st);
		return 0; /* cairn diff stops here: "not the status JSON" */
	}
	check_objects(&objs);
	rev = json_string_value(json_object_get(st, "revision"));
	/* As side_running: the body NUL-terminated, cut up in place. */
	pb = xmalloc(nul ? size - slen : 1);
	if (nul)
		memcpy(pb, nul + 1, size - slen - 1);
	pb[nul ? size - slen - 1 : 0] = '\0';
	s = diff_snapshot_from_pb(pb, rev ? rev : "", "fuzz/debug/xds/pb", NULL);
	free(pb);
	check_snapshot(s);
	empty = snapshot_builder_finish(snapshot_builder_new("empty"));
	{
		struct diff_side run = { s, &objs, rev };
		struct diff_side nothing = { empty, &none, "empty" };
		json_t *self = diff_compute(&run, &run);

		FUZZ_CHECK(diff_plan_empty(self));
		FUZZ_CHECK(json_integer_value(json_object_get(self,
		    "undecodable")) == 0);
		json_decref(self);
		line = diff_change_line(s, s, &objs, &objs);
		FUZZ_CHECK(line == NULL);
		plan_check(&nothing, &run);
		plan_check(&run, &nothing);
	}
	snapshot_unref(empty);
	snapshot_unref(s);
	diff_objects_free(&objs);
	json_decref(st);
	return 0;
}
