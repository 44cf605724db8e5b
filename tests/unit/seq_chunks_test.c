/* The translation memo's sequences in chunks (src/xds/memo.c take_chunk,
 * src/xds/memo_store.c seq_*): over many builds of random changes to a
 * tree big enough for several chunks of the assembled DAG's arrays and
 * many of the sequences', most of them at the edges of those chunks
 * (the host at an edge, the one before it, the one after it; removed,
 * moved to the other end of the name order, given other bytes, more
 * routes, other addresses), every incremental snapshot equals a fresh
 * translation of its DAG (the flat model), the last snapshot equals
 * its own fresh translation after the next build (nothing of it was
 * written), and most entries reused were handed on in whole chunks.
 * Run under valgrind for the chunks' ownership (one sequence, then the
 * next, never both). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "fixture.h"
#include "pipeline.h"
#include "dag/dag.h"
#include "util/xalloc.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

#define NFILES 3000
/* The memo's runs: a sequence chunk made by a run holds at most this
 * many entries (src/xds/memo.c RUN_CHUNK). */
#define RUN 128

static uint64_t rnd = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t
next_rand(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return rnd;
}

/* File i: an HTTPProxy host <p>-<i> with `routes` routes to as many
 * Services with Endpoints; v varies a header, w the addresses. */
static char *
tree_file(size_t i, char p, size_t routes, unsigned v, unsigned w)
{
	char *fqdn = xasprintf("%c-%04zu.example.com", p, i);
	char *value = xasprintf("v%u", v);
	char *ip = xasprintf("10.3.%zu.%u", i % 250, 1 + w % 200);
	char *out = fixture_routes_file(fqdn, routes, "x-v", value, ip);

	free(fqdn);
	free(value);
	free(ip);
	return out;
}

/* The file of the host at index h of dag (its FQDN names it). */
static size_t
file_of_host(const struct dag *dag, size_t h)
{
	const char *fqdn = dag_vhost_at(dag, h)->fqdn;

	return (size_t)strtoul(fqdn + 2, NULL, 10) % NFILES;
}

/* A host index at or next to an edge: of a chunk of the DAG's hosts
 * (when assembled), or of a run's block inside one. */
static size_t
edge_host(const struct dag *dag)
{
	const struct dag_chunks *ch = &dag->vhost_chunks;
	size_t e;

	if (ch->n > 0 && next_rand() % 2 == 0) {
		size_t k = (size_t)(next_rand() % ch->n);

		e = ch->start[k];
		if (next_rand() % 2 == 0 && ch->start[k + 1] - e > RUN)
			e += RUN * (1 + (size_t)(next_rand() %
			    ((ch->start[k + 1] - e - 1) / RUN)));
	} else {
		e = RUN * (size_t)(next_rand() % (dag->nvhosts / RUN + 1));
	}
	e += (size_t)(next_rand() % 3);
	e = e > 0 ? e - 1 : 0;
	return e < dag->nvhosts ? e : dag->nvhosts - 1;
}

static void
test_seq_chunks_random(void **state)
{
	struct cairn_config cfg;
	struct translate_options to;
	struct source_files sf;
	struct pipeline *p = pipeline_new(NULL);
	static size_t routes[NFILES];
	static unsigned v[NFILES], w[NFILES];
	static char prefix[NFILES];
	static bool gone[NFILES];
	size_t in_runs = 0, in_chunks = 0, chunks = 0, edges = 0;
	struct build_result last = { 0 };
	struct snapshot *last_fresh = NULL;
	int steps = fixture_sample_steps(40);

	(void)state;
	config_init_defaults(&cfg);
	translate_options_init(&to);
	memset(&sf, 0, sizeof sf);
	diag_list_init(&sf.diags);
	sf.revision = xstrdup("seqchunks");
	for (size_t i = 0; i < NFILES; i++) {
		routes[i] = 1 + i % 2;
		prefix[i] = 'h';
		fixture_ns_file_put(&sf, i, tree_file(i, prefix[i], routes[i],
		    v[i], w[i]));
	}
	for (int step = 0; step <= steps; step++) {
		struct build_result r;
		struct translate_cache_stats ts;
		struct snapshot *fresh;
		char what[64];
		size_t i = 0;
		int nchanges = step == 0 ? 0 : 1 + (int)(next_rand() % 3);

		for (int c = 0; c < nchanges; c++) {
			/* Most at an edge of the last DAG's chunks; some
			 * anywhere, and some of the files gone brought back. */
			if (last.dag != NULL && next_rand() % 4 != 0) {
				i = file_of_host(last.dag, edge_host(last.dag));
				edges++;
			} else {
				i = (size_t)(next_rand() % NFILES);
			}
			switch (next_rand() % 6) {
			case 0:
				v[i]++;
				break;
			case 1:
				routes[i] = 1 + routes[i] % 3;
				break;
			case 2:
				w[i]++;
				break;
			case 3:
				/* To the other end of the name order, or back:
				 * out of its part's order, the DAG's hosts are
				 * sorted (no chunk shared, none taken whole),
				 * so only in the walk's second half. */
				if (step > steps / 2)
					prefix[i] = prefix[i] == 'h' ?
					    (next_rand() % 2 ? 'a' : 'z') : 'h';
				else
					v[i]++;
				break;
			default:
				/* Gone, or back: a part that comes or goes
				 * has no chunk of the DAG's arrays shared
				 * (measured here), so as above. */
				if (step > steps / 2)
					gone[i] = !gone[i];
				else
					w[i]++;
				break;
			}
			fixture_ns_file_put(&sf, i, gone[i] ? NULL :
			    tree_file(i, prefix[i], routes[i], v[i], w[i]));
		}
		snprintf(what, sizeof what, "step %d (file %zu)", step, i);
		pipeline_build(p, &sf, &cfg, &to, &r);
		fresh = translate_dag(r.dag, &to, r.revision);
		fixture_assert_same_snapshot(r.snapshot, fresh, what);
		/* The last snapshot, whose chunks (the snapshot's and the
		 * sequences') this build took: still its own translation. */
		if (last_fresh != NULL) {
			snprintf(what, sizeof what, "step %d's last", step);
			fixture_assert_same_snapshot(last.snapshot, last_fresh,
			    what);
			snapshot_unref(last_fresh);
			build_result_free(&last);
		}
		last = r;
		last_fresh = fresh;
		ts = pipeline_translate_stats(p);
		assert_true(ts.in_chunks <= ts.in_runs);
		assert_true(ts.chunks <= ts.runs);
		/* From the second change on: the first one finds the cold
		 * build's loose chunks only. */
		if (step > 1 && step <= steps / 2) {
			in_runs += ts.in_runs;
			in_chunks += ts.in_chunks;
			chunks += ts.chunks;
		}
	}
	print_message("%zu changes at edges; %zu taken in runs, %zu of them "
	    "in %zu whole chunks\n", edges, in_runs, in_chunks, chunks);
	/* In the first half the hosts are assembled in shared chunks: most
	 * of a change's runs are whole sequence chunks at the same DAG
	 * addresses (the rest: the DAG chunks up to three changes at edges
	 * wrote, and the sequence chunks the last build made there, at the
	 * addresses of that DAG's new chunks). */
	assert_true(edges > 0);
	assert_true(in_chunks * 2 >= in_runs);
	assert_true(chunks * 16 <= in_chunks);
	/* A run's chunk covers the span of its DAG chunk (up to 512), not a
	 * fixed block of 128: a change moves one sequence chunk per DAG
	 * chunk of the tree, so they average more than 128 entries here
	 * (DAG chunks of 384 hosts; the chunks cut at changed places are
	 * smaller). */
	assert_true(in_chunks > chunks * 128);
	snapshot_unref(last_fresh);
	build_result_free(&last);
	pipeline_free(p);
	source_files_free(&sf);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_chunks_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
