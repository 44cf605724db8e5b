/* bench_rebuild: one file changed in a large tree, from the moment the
 * directory source sees the change to the moment the new snapshot is built
 * (SPEC.md §12: <= 20 ms at 10,000 proxies).
 *
 *   bench_rebuild -d DIR [-k CHANGES] [-p PREFIX] [-g NS/NAME] [-F]
 *
 * The rescan hands out the delta form (only the files read again), as
 * `cairn serve` asks for it; -F: the whole list instead (one-shot
 * commands' form, and what this bench measured before it followed serve).
 * -p names the figures (default "rebuild"); -g: the tree is bench_gen_gw's
 * and the change must show in that Gateway's routes.
 * The tree must come from bench_gen (route 1 of every file carries the
 * header value "rev-NNNNN"). Each change rewrites those digits of one file
 * in place (same size, a one-route change), waits for the inotify fd, then
 * times what `cairn serve` does for a change with debounce 0:
 *   events    source_dir_process_events
 *   scan      source_dir_scan (the incremental rescan after events)
 *   pipeline  pipeline_build: one file parsed, the rest from the per-file
 *             cache, then dag_build and translate_dag over everything
 *   cpu       scan + pipeline in this thread's CPU time: on a machine
 *             shared with other work, steadier than the wall clock
 *   total     events + scan + pipeline (ads_server_publish not included:
 *             ads_load measures the daemon's own "built in" figure)
 *   record    what serve then does to record the change (issue #19):
 *             statuses of the DAG parts built, resources by version,
 *             the statuses counted for its log line
 *   plan      the change's plan, made when an admin page asks for it
 *   log       serve_log_changes before the publish: the build's problem
 *             lines against the last build's (report_log_update); the
 *             tree's problems are what its files make (none in bench_gen's)
 *   admin     serve_publish_admin after the publish: the admin view's
 *             counts, made from the build (admin_server_publish)
 * The files it touched are put back as they were at the end. Figures are
 * named PREFIX.events, PREFIX.scan, ... (PREFIX: "rebuild"). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "admin/internal.h"
#include "config.h"
#include "diff/diff.h"
#include "pipeline.h"
#include "report_log.h"
#include "source/dir.h"
#include "xds/snapshot.h"
#include "xds/translate.h"

/* CPU time of the calling thread (a one-file change loads in it alone). */
static int64_t
thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define MAX_CHANGES 200
#define MARKER "rev-"

/* Rewrites the 5 digits after "rev-" in file path to value (another one
 * if the file already holds it, as a run stopped before its restore leaves
 * it); returns the previous value, or -1. */
static int
set_marker(const char *path, int value)
{
	char buf[65536], digits[8];
	ssize_t n;
	char *m;
	int fd = open(path, O_RDWR | O_CLOEXEC), old;

	if (fd < 0) {
		fprintf(stderr, "bench_rebuild: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0) {
		close(fd);
		return -1;
	}
	buf[n] = '\0';
	m = strstr(buf, MARKER);
	if (m == NULL || m + strlen(MARKER) + 5 > buf + n) {
		fprintf(stderr, "bench_rebuild: %s: no %s marker (not from bench_gen?)\n",
		    path, MARKER);
		close(fd);
		return -1;
	}
	m += strlen(MARKER);
	old = atoi(m);
	if (old == value % 100000)
		value += 50000;
	snprintf(digits, sizeof digits, "%05d", value % 100000);
	if (pwrite(fd, digits, 5, m - buf) != 5) {
		close(fd);
		return -1;
	}
	close(fd);
	return old;
}

/* serve_log_changes' log, counted instead (arg: a size_t). */
static void
count_line(void *arg, const char *line, bool resolved)
{
	(void)line;
	(void)resolved;
	(*(size_t *)arg)++;
}

/* "PREFIX.name" for a figure; bench_result prints it at once. */
static const char *
key(const char *prefix, const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof buf, "%s.%s", prefix, name);
	return buf;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *prefix = "rebuild", *gateway = NULL;
	int changes = 20, c;
	double ev_ms[MAX_CHANGES], scan_ms[MAX_CHANGES], pipe_ms[MAX_CHANGES],
	    total_ms[MAX_CHANGES], rec_ms[MAX_CHANGES], plan_ms[MAX_CHANGES],
	    cpu_ms[MAX_CHANGES], log_ms[MAX_CHANGES], admin_ms[MAX_CHANGES];
	struct admin_server *admin = admin_server_new();
	struct report_log problems = { 0 };
	size_t nlogged = 0;
	struct diff_statuses *statuses = diff_statuses_new();
	struct cairn_config cfg;
	struct translate_options to;
	struct diag_list diags;
	struct source_dir *sd;
	struct source_files files;
	struct pipeline *p;
	struct build_result r;
	struct snapshot *current;
	char **paths;
	int *olds;
	size_t nfiles;
	int done = 0;
	bool whole_list = false;

	while ((c = getopt(argc, argv, "d:k:p:g:F")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'k': changes = atoi(optarg); break;
		case 'p': prefix = optarg; break;
		case 'g': gateway = optarg; break;
		case 'F': whole_list = true; break;
		default:
			fprintf(stderr, "usage: bench_rebuild -d DIR [-k CHANGES] [-p PREFIX] [-g NS/NAME] [-F]\n");
			return 2;
		}
	}
	if (dir == NULL || changes < 1 || changes > MAX_CHANGES) {
		fprintf(stderr, "usage: bench_rebuild -d DIR [-k CHANGES 1..%d]\n",
		    MAX_CHANGES);
		return 2;
	}
	config_init_defaults(&cfg);
	translate_options_init(&to);
	diag_list_init(&diags);
	if (source_dir_open(dir, NULL, &sd, &diags) < 0) {
		for (size_t i = 0; i < diags.n; i++)
			diag_print(stderr, &diags.items[i]);
		return 2;
	}
	diag_list_free(&diags);
	source_dir_set_delta(sd, !whole_list);

	/* The state serve is in before a change: one full build done. */
	if (source_dir_scan(sd, &files) < 0 || files.n == 0) {
		fprintf(stderr, "bench_rebuild: cannot scan %s\n", dir);
		return 2;
	}
	p = pipeline_new(NULL);
	pipeline_build(p, &files, &cfg, &to, &r);
	current = snapshot_ref(r.snapshot);
	diff_statuses_record(statuses, r.dag, NULL, NULL);
	report_log_update(&problems, &r, count_line, &nlogged);
	printf("INFO\t%s: the first build logs %zu problem lines\n", prefix,
	    nlogged);
	nlogged = 0;
	build_result_free(&r);
	nfiles = files.n;
	paths = calloc((size_t)changes, sizeof *paths);
	olds = calloc((size_t)changes, sizeof *olds);
	for (int k = 0; k < changes; k++) {
		/* Spread over the tree, deterministic. */
		size_t idx = ((size_t)k * 7919u + 13u) % nfiles;

		if (asprintf(&paths[k], "%s/%s", dir, files.files[idx].path) < 0)
			abort();
	}
	source_files_free(&files);

	for (int k = 0; k < changes; k++) {
		struct pollfd pfd = { .fd = source_dir_fd(sd), .events = POLLIN };
		int64_t t0, t1, t2, t3, t4, t5, t6, t7, c1, c3;
		static volatile size_t counted;
		struct diff_objects sfrom, sto;
		struct diff_change *change;
		char *line;
		int rc;

		olds[k] = set_marker(paths[k], 10000 + k);
		if (olds[k] < 0)
			break;
		/* Bounded wait for inotify. */
		if (poll(&pfd, 1, 5000) != 1) {
			fprintf(stderr, "bench_rebuild: no inotify event for %s\n", paths[k]);
			break;
		}
		t0 = bench_now_ns();
		rc = source_dir_process_events(sd);
		t1 = bench_now_ns();
		c1 = thread_cpu_ns();
		if (rc == 0) {
			fprintf(stderr, "bench_rebuild: the change to %s was not seen as relevant\n",
			    paths[k]);
			break;
		}
		if (source_dir_scan(sd, &files) < 0)
			break;
		t2 = bench_now_ns();
		pipeline_build(p, &files, &cfg, &to, &r);
		t3 = bench_now_ns();
		c3 = thread_cpu_ns();
		if (snapshot_select(r.snapshot, gateway)->types[XDS_ROUTE].version ==
		    snapshot_select(current, gateway)->types[XDS_ROUTE].version)
			fprintf(stderr, "bench_rebuild: change %d did not change the routes\n", k);
		/* What serve_record_change does after the build: statuses of
		 * the DAG parts built, resources by version, the log line. */
		diff_statuses_record(statuses, r.dag, &sfrom, &sto);
		line = diff_change_line(current, r.snapshot, &sfrom, &sto);
		change = diff_change_new(current, r.snapshot, &sfrom, &sto);
		/* serve's log line and systemd status count the statuses. */
		counted += dag_count_status(r.dag, DAG_STATUS_INVALID) +
		    dag_count_status(r.dag, DAG_STATUS_ORPHANED) +
		    dag_count_status(r.dag, DAG_STATUS_INVALID);
		t4 = bench_now_ns();
		report_log_update(&problems, &r, count_line, &nlogged);
		t6 = bench_now_ns();
		admin_server_publish(admin, &(struct admin_build_info){
		    .snapshot = r.snapshot, .revision = r.revision,
		    .build = &r });
		t7 = bench_now_ns();
		/* The plan, made when /debug/diff or /status asks (another
		 * thread, not on the way to publishing). */
		if (k == 0) {
			struct dag_cache_stats ds = pipeline_dag_stats(p);

			printf("INFO\t%s: change logged as \"%s\", plan \"%s\"\n",
			    prefix, line ? line : "",
			    diff_plan_summary(diff_change_plan(change)));
			printf("INFO\t%s: DAG groups built %zu of %zu, HTTPRoutes "
			    "resolved %zu, kept %zu, groups patched %zu\n", prefix,
			    ds.built, ds.groups, ds.gw_routes_resolved,
			    ds.gw_routes_kept, ds.gw_routes_patched);
			printf("INFO\t%s: statuses %s, chunks made %zu of %zu\n",
			    prefix, ds.statuses_patched ? "patched" : "merged",
			    ds.status_chunks_made, ds.status_chunks);
			printf("INFO\t%s: snapshot items in chunks taken from "
			    "the last %zu (%zu chunks)\n", prefix,
			    r.snapshot->nshared, r.snapshot->nshared_chunks);
			{
				struct translate_cache_stats ts =
				    pipeline_translate_stats(p);

				printf("INFO\t%s: resources in order %zu, by key "
				    "%zu, serialized %zu; lent %zu, items copied "
				    "%zu\n", prefix, ts.in_order, ts.by_key,
				    ts.serialized, r.snapshot->nlent,
				    r.snapshot->ncopied);
				printf("INFO\t%s: of those in order, %zu in %zu "
				    "runs taken as blocks\n", prefix, ts.in_runs,
				    ts.runs);
				printf("INFO\t%s: of those in runs, %zu in %zu "
				    "sequence chunks moved whole\n", prefix,
				    ts.in_chunks, ts.chunks);
				ts = pipeline_gateway_translate_stats(p);
				printf("INFO\t%s: Gateways: resources in order "
				    "%zu (%zu in %zu runs, %zu of them in %zu "
				    "sequence chunks moved whole), by key %zu, "
				    "serialized %zu\n", prefix, ts.in_order,
				    ts.in_runs, ts.runs, ts.in_chunks, ts.chunks,
				    ts.by_key, ts.serialized);
			}
		} else
			diff_change_plan(change);
		/* The first change re-cuts the memo's sequences; the last one
		 * shows what a change in the steady state hands on whole. */
		if (k > 0 && k == changes - 1) {
			struct translate_cache_stats ts =
			    pipeline_translate_stats(p);

			printf("INFO\t%s: last change: %zu in %zu runs, %zu in "
			    "%zu sequence chunks moved whole; snapshot items "
			    "in chunks taken %zu (%zu chunks); ingress_http "
			    "hosts kept %zu, written %zu (%zu chunks)\n",
			    prefix, ts.in_runs, ts.runs, ts.in_chunks,
			    ts.chunks, r.snapshot->nshared,
			    r.snapshot->nshared_chunks, ts.http_kept,
			    ts.http_written, ts.http_chunks_written);
			ts = pipeline_gateway_translate_stats(p);
			printf("INFO\t%s: last change, Gateways: %zu in %zu "
			    "runs, %zu in %zu sequence chunks moved whole\n",
			    prefix, ts.in_runs, ts.runs, ts.in_chunks,
			    ts.chunks);
		}
		t5 = bench_now_ns();
		/* serve frees what the record let go of once it published. */
		diff_statuses_release(statuses);
		diff_change_unref(change);
		free(line);
		snapshot_unref(current);
		current = snapshot_ref(r.snapshot);
		build_result_free(&r);
		source_files_free(&files);
		ev_ms[done] = bench_ms(t1 - t0);
		scan_ms[done] = bench_ms(t2 - t1);
		pipe_ms[done] = bench_ms(t3 - t2);
		cpu_ms[done] = bench_ms(c3 - c1);
		total_ms[done] = bench_ms(t3 - t0);
		rec_ms[done] = bench_ms(t4 - t3);
		log_ms[done] = bench_ms(t6 - t4);
		admin_ms[done] = bench_ms(t7 - t6);
		plan_ms[done] = bench_ms(t5 - t7);
		done++;
	}
	/* Put the tree back (the marker value is all that changed). */
	for (int k = done; k-- > 0;)
		if (olds[k] >= 0)
			set_marker(paths[k], olds[k]);
	for (int k = 0; k < changes; k++)
		free(paths[k]);
	free(paths);
	free(olds);
	snapshot_unref(current);
	diff_statuses_free(statuses);
	report_log_free(&problems);
	admin_server_free(admin);
	pipeline_free(p);
	source_dir_close(sd);
	config_free(&cfg);
	if (done == 0)
		return 1;
	printf("INFO\t%s: %d one-route changes in %s (%zu files), %zu problem "
	    "lines logged or resolved\n", prefix, done, dir, nfiles, nlogged);
	bench_result(key(prefix, "events"), ev_ms, (size_t)done, "ms");
	bench_result(key(prefix, "scan"), scan_ms, (size_t)done, "ms");
	bench_result(key(prefix, "pipeline"), pipe_ms, (size_t)done, "ms");
	bench_result(key(prefix, "cpu"), cpu_ms, (size_t)done, "ms");
	bench_result(key(prefix, "total"), total_ms, (size_t)done, "ms");
	bench_result(key(prefix, "record"), rec_ms, (size_t)done, "ms");
	bench_result(key(prefix, "plan"), plan_ms, (size_t)done, "ms");
	bench_result(key(prefix, "log"), log_ms, (size_t)done, "ms");
	bench_result(key(prefix, "admin"), admin_ms, (size_t)done, "ms");
	return done == changes ? 0 : 1;
}
