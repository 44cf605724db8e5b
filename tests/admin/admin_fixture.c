/* The admin endpoint with real data, for tests/admin/admin.sh: builds a
 * source directory with the same pipeline as `cairn serve`, publishes the
 * result to an admin server (and an ADS server) through the APIs the serve
 * loop uses, and waits to be killed.
 *
 * usage: admin_fixture DIR [--admin ADDR] [--timeout SECONDS]
 * Prints "admin PORT" and "xds PORT" once serving. POST /refresh makes it
 * rebuild and publish again (printing "refresh N"). It reports two fake
 * connected Envoys (one with a NACK, one with HTML in its id) so that the
 * status page's node table and escaping can be checked. SIGTERM/SIGINT or
 * the timeout (default 300 s) end it with exit code 0. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "ads/ads.h"
#include "config.h"
#include "pipeline.h"
#include "report.h"
#include "source/source.h"
#include "util/log.h"

static atomic_int refresh_requests;

static void
on_refresh(void *arg)
{
	(void)arg;
	atomic_fetch_add(&refresh_requests, 1);
}

static json_t *
fake_nodes(void *arg)
{
	(void)arg;
	return json_pack("[{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:n, s:i}, s:{s:s, s:i, s:{s:s, s:s, s:s}}}},"
	    " {s:s, s:s, s:s, s:{}}]",
	    "node_id", "envoy-1", "cluster", "edge", "protocol", "delta",
	    "peer", "ipv4:127.0.0.1:40000", "connected_since", "2024-01-02T03:00:00Z",
	    "types",
	    "cds", "acked_version", "0123456789abcdef", "last_nack", "resources", 4,
	    "rds", "acked_version", "fedcba9876543210", "resources", 1, "last_nack",
	    "version", "00000000deadbeef",
	    "message", "Proto constraint validation failed <route>",
	    "time", "2024-01-02T03:04:05Z",
	    "node_id", "envoy-<2>&\"", "cluster", "edge", "protocol", "sotw",
	    "types");
}

static double
wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
seconds_since(const struct timespec *start, clockid_t clock)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* One rebuild, published the way the serve loop does it. */
static int
rebuild(struct source *src, struct pipeline *p, const struct cairn_config *cfg,
    struct admin_server *admin, struct ads_server *ads)
{
	struct source_files files = { 0 };
	struct translate_options to;
	struct build_result r;
	struct timespec start;
	struct admin_build_info info = { 0 };
	char *dot;
	json_t *status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (source_scan(src, &files) < 0) {
		source_files_free(&files);
		return -1;
	}
	translate_options_init(&to);
	pipeline_build(p, &files, cfg, &to, &r);
	ads_server_publish(ads, r.snapshot);
	status = report_json(&r);
	dot = dag_to_dot(r.dag);
	info.status = status;
	info.snapshot = r.snapshot;
	info.dot = dot;
	info.revision = r.revision;
	info.source_kind = "directory";
	info.source_location = cfg->source.directory;
	info.branch = "";
	info.duration_seconds = seconds_since(&start, CLOCK_MONOTONIC);
	info.finished_unix = wall_seconds();
	admin_server_publish(admin, &info);
	json_decref(status);
	free(dot);
	build_result_free(&r);
	source_files_free(&files);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "admin", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *admin_addr = "127.0.0.1:0";
	long timeout_s = 300;
	struct cairn_config cfg;
	struct ads_options ao = { .address = "127.0.0.1:0" };
	struct load_options lo = { 0 };
	struct diag_list diags;
	struct ads_server *ads = NULL;
	struct admin_server *admin = NULL;
	struct source *src = NULL;
	struct pipeline *p;
	struct timespec started;
	sigset_t mask;
	char *err = NULL;
	int c, handled = 0, rc = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': admin_addr = optarg; break;
		case 't': timeout_s = strtol(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: admin_fixture DIR [--admin ADDR] [--timeout S]\n");
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_WARNING);

	config_init_defaults(&cfg);
	cfg.source.directory = arena_strdup(&cfg.arena, argv[optind]);
	diag_list_init(&diags);
	if (source_open(&cfg, NULL, &src, &diags) < 0) {
		for (size_t i = 0; i < diags.n; i++)
			diag_print(stderr, &diags.items[i]);
		printf("error: cannot open %s\n", argv[optind]);
		diag_list_free(&diags);
		config_free(&cfg);
		return 2;
	}
	diag_list_free(&diags);
	p = pipeline_new(&lo);
	if (ads_server_start(&ao, &ads, &err) < 0 ||
	    admin_server_start(admin_addr, &admin, &err) < 0) {
		printf("error: %s\n", err);
		free(err);
		rc = 2;
		goto out;
	}
	admin_server_set_ads(admin, ads);
	admin_server_set_refresh_cb(admin, on_refresh, NULL);
	admin_server_set_nodes_cb(admin, fake_nodes, NULL);
	if (rebuild(src, p, &cfg, admin, ads) < 0) {
		printf("error: cannot read %s\n", argv[optind]);
		rc = 2;
		goto out;
	}
	admin_server_set_ready(admin, true);
	printf("admin %d\nxds %d\n", admin_server_port(admin), ads_server_port(ads));
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &started);
	while (seconds_since(&started, CLOCK_MONOTONIC) < (double)timeout_s) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };
		int sig = sigtimedwait(&mask, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			break;
		while (handled < atomic_load(&refresh_requests)) {
			handled++;
			rebuild(src, p, &cfg, admin, ads);
			printf("refresh %d\n", handled);
			fflush(stdout);
		}
	}
out:
	admin_server_stop(admin);
	if (ads != NULL)
		ads_server_stop(ads);
	pipeline_free(p);
	source_close(src);
	config_free(&cfg);
	return rc;
}
