/* cairn serve: the daemon. This thread is the watch thread of SPEC §1: it
 * owns the event loop (inotify, a debounce timer, signals), and loads,
 * builds, translates and publishes snapshots. ADS and admin run their own
 * threads. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"
#include "report.h"
#include "serve_internal.h"
#include "util/heap.h"
#include "util/log.h"

int64_t
serve_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* serve's flags: the parser and --help (see struct cmd_flag in cmd.h). */
static const struct cmd_flag serve_flags[] = {
	{ "config", 'c', 'c', "FILE", "/etc/cairn/cairn.yaml if it exists, else built-in defaults",
	  "cairn.yaml to read; flags override it" },
	{ "source", 's', 0, "DIR", "source.directory, /etc/cairn/resources",
	  "serve the YAML files below DIR (also: cairn serve DIR)" },
	{ "git", 'g', 0, "REPO", "source.git.repository",
	  "serve a branch of this git repository (bare or not) instead" },
	{ "branch", 'b', 0, "B", "source.git.branch, main", "the git branch to serve" },
	{ "xds", 'x', 0, "ADDR", "xds.address, 127.0.0.1:18000",
	  "where the ADS server listens: HOST:PORT, [V6]:PORT or unix:/path" },
	{ "admin", 'a', 0, "ADDR", "admin.address, 127.0.0.1:9090",
	  "the admin endpoint, HOST:PORT; \"\" disables it" },
	{ "insecure-xds", 'I', 0, NULL, "off",
	  "allow plaintext xDS off loopback and unix sockets (logs a warning)" },
	{ "log-level", 'l', 0, "debug|info|warning|error", "info", "the least severe level logged" },
};

static const struct cmd_spec serve_spec = {
	.name = "serve",
	.operands = "[DIR]",
	.summary = "Watches the source and serves it to Envoy over ADS (SotW and delta) until SIGTERM.",
	.flags = serve_flags,
	.nflags = sizeof serve_flags / sizeof serve_flags[0],
};

static void
serve_arm_timer(struct serve *s)
{
	loop_timer_arm(s->debounce_timer,
	    debounce_timeout(&s->debounce, serve_now_ms()));
}

static void
serve_on_signal(void *arg)
{
	struct serve *s = arg;
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGHUP:
			notify_reloading();
			serve_reload(s);
			notify_ready(NULL);
			break;
		case SIGTERM:
		case SIGINT:
			notify_stopping();
			log_info("%s: shutting down", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			s->stopping = true;
			break;
		}
	}
}

/* The debounce timer: a rebuild once changes have settled. */
static void
serve_on_debounce(void *arg)
{
	struct serve *s = arg;

	if (debounce_timeout(&s->debounce, serve_now_ms()) == 0) {
		debounce_fire(&s->debounce);
		serve_rebuild(s, "change");
	}
	serve_arm_timer(s);
}

static void
serve_on_refresh(void *arg)
{
	struct serve *s = arg;
	uint64_t requests;

	if (read(s->refreshfd, &requests, sizeof requests) > 0) {
		log_info("refresh requested");
		if (source_refresh(s->source) < 0)
			log_warning("refreshing the source failed; serving what it had");
		serve_rebuild(s, "refresh");
	}
}

static void
serve_on_watchdog(void *arg)
{
	(void)arg;
	notify_watchdog();
}

static void
serve_on_tls(void *arg)
{
	struct serve *s = arg;

	if (tls_watch_process(s->tlswatch) != 0) {
		debounce_event(&s->debounce, serve_now_ms());
		serve_arm_timer(s);
	}
}

void
serve_on_source(void *arg)
{
	struct serve *s = arg;
	int changed = source_process_events(s->source);

	serve_publish_fetch(s);
	if (changed != 0) { /* -1: be safe and rescan */
		debounce_event(&s->debounce, serve_now_ms());
		serve_arm_timer(s);
	}
}

static int
serve_loop(struct serve *s)
{
	while (!s->stopping) {
		if (loop_run_once(s->loop, -1) < 0) {
			log_error("epoll_wait: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
serve_open_source(struct serve *s)
{
	struct diag_list diags;
	int rc;

	diag_list_init(&diags);
	rc = source_open(&s->cfg, NULL, &s->source, &diags);
	for (size_t i = 0; i < diags.n; i++)
		diag_print(stderr, &diags.items[i]);
	diag_list_free(&diags);
	if (rc < 0)
		fprintf(stderr, "cairn serve: cannot open the source\n");
	else
		source_set_delta(s->source, SERVE_SOURCE_DELTA);
	return rc;
}

/* Called on the admin thread: the ADS server locks what it reads. */
static json_t *
serve_nodes_json(void *ads)
{
	return ads_server_nodes_json(ads);
}

/* Called on the admin thread: only wake the watch thread. */
static void
serve_request_refresh(void *arg)
{
	struct serve *s = arg;
	uint64_t one = 1;

	if (write(s->refreshfd, &one, sizeof one) < 0)
		log_warning("refresh request dropped: %s", strerror(errno));
}

/* systemd's watchdog: ping at half the interval it asked for. */
static int
serve_arm_watchdog(struct serve *s)
{
	uint64_t usec = notify_watchdog_usec();

	if (usec == 0)
		return 0;
	s->watchdog = loop_timer_add(s->loop, serve_on_watchdog, s);
	if (s->watchdog == NULL)
		return -1;
	loop_timer_every_us(s->watchdog, usec / 2);
	return 0;
}

static int
serve_start(struct serve *s)
{
	struct ads_options ao = {
		.address = s->cfg.xds.address,
		.insecure_xds = s->flags.insecure_xds,
		.tls_certificate = s->cfg.xds.tls.certificate,
		.tls_key = s->cfg.xds.tls.key,
		.tls_client_ca = s->cfg.xds.tls.client_ca,
		/* config.c keeps both within 1..INT_MAX. */
		.keepalive_time_ms = (int)s->cfg.xds.keepalive_time_ms,
		.keepalive_timeout_ms = (int)s->cfg.xds.keepalive_timeout_ms,
		.warming_timeout_ms = s->cfg.xds.warming_timeout_ms,
	};
	struct load_options lo = { 0 };
	sigset_t mask;
	char *err = NULL;

	if (serve_open_source(s) < 0)
		return -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	/* Block before any thread starts so that every thread inherits the
	 * mask and the signals reach only the signalfd. */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->loop = loop_new();
	s->refreshfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->sigfd < 0 || s->loop == NULL || s->refreshfd < 0 ||
	    (s->debounce_timer = loop_timer_add(s->loop, serve_on_debounce, s)) == NULL ||
	    loop_add_fd(s->loop, s->refreshfd, serve_on_refresh, s) < 0 ||
	    serve_arm_watchdog(s) < 0 ||
	    loop_add_fd(s->loop, s->sigfd, serve_on_signal, s) < 0 ||
	    loop_add_fd(s->loop, source_fd(s->source), serve_on_source, s) < 0) {
		fprintf(stderr, "cairn serve: event loop setup: %s\n", strerror(errno));
		return -1;
	}
	debounce_init(&s->debounce, s->cfg.debounce_ms, s->cfg.max_delay_ms);
	if ((s->tlswatch = tls_watch_new()) == NULL ||
	    loop_add_fd(s->loop, tls_watch_fd(s->tlswatch), serve_on_tls, s) < 0)
		log_warning("cannot watch certificate files (%s): renewals are "
		    "picked up on SIGHUP only", strerror(errno));
	s->pipeline = pipeline_new(&lo);
	s->statuses = diff_statuses_new();
	serve_owners_attach(s);
	serve_open_lastgood(s);
	if (ads_server_start(&ao, &s->ads, &err) < 0) {
		fprintf(stderr, "cairn serve: %s\n", err);
		free(err);
		return -1;
	}
	if (s->cfg.admin.address && s->cfg.admin.address[0] &&
	    admin_server_start(s->cfg.admin.address, &s->admin, &err) < 0) {
		fprintf(stderr, "cairn serve: %s\n", err);
		free(err);
		return -1;
	}
	if (s->admin)
		log_info("serving %s on xds %s (port %d), admin on port %d",
		    s->source->description, s->cfg.xds.address, ads_server_port(s->ads),
		    admin_server_port(s->admin));
	else
		log_info("serving %s on xds %s (port %d), admin disabled",
		    s->source->description, s->cfg.xds.address, ads_server_port(s->ads));
	if (s->admin) {
		admin_server_set_ads(s->admin, s->ads);
		admin_server_set_nodes_cb(s->admin, serve_nodes_json, s->ads);
		admin_server_set_refresh_cb(s->admin, serve_request_refresh, s);
		admin_server_set_renderer(s->admin, &(struct admin_renderer){
			serve_render_status, serve_render_dot, s });
	}
	serve_publish_fetch(s);
	s->defer_persist = true;
	pipeline_defer_persist(s->pipeline, true);
	serve_rebuild(s, "initial build");
	pipeline_defer_persist(s->pipeline, false);
	s->defer_persist = false;
	/* Ready only now: the first snapshot exists and the xDS port listens. */
	if (s->admin)
		admin_server_set_ready(s->admin, true);
	notify_ready(NULL);
	serve_persist_deferred(s);
	return 0;
}

static void
serve_stop(struct serve *s)
{
	if (s->admin)
		admin_server_stop(s->admin);
	if (s->ads)
		ads_server_stop(s->ads);
	snapshot_unref(s->current);
	tls_watch_free(s->tlswatch);
	serve_drop_build(s); /* the admin thread is gone: no lock needed */
	pipeline_free(s->pipeline);
	free(s->owners_path);
	lastgood_close(s->lastgood);
	source_files_free(&s->pending_files);
	source_close(s->source);
	report_log_free(&s->problems);
	diff_statuses_free(s->statuses);
	free(s->serving_subject);
	loop_free(s->loop);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->refreshfd >= 0)
		close(s->refreshfd);
	config_free(&s->cfg);
}

int
cmd_serve(int argc, char **argv)
{
	struct cmd_parser parser;
	struct serve s = {
		.sigfd = -1, .refreshfd = -1,
		.build_mu = PTHREAD_MUTEX_INITIALIZER,
		.render_rw = PTHREAD_RWLOCK_INITIALIZER,
	};
	int c, rc;

	/* Before grpc, the build or anything else starts a thread. */
	heap_tune_serve();
	ads_server_tune_process();
	cmd_parser_init(&parser, &serve_spec);
	while ((c = cmd_parser_next(&parser, argc, argv)) != -1) {
		switch (c) {
		case 'c': s.flags.config_path = optarg; break;
		case 's': s.flags.source_dir = optarg; break;
		case 'g': s.flags.git_repo = optarg; break;
		case 'b': s.flags.branch = optarg; break;
		case 'x': s.flags.xds_addr = optarg; break;
		case 'a': s.flags.admin_addr = optarg; break;
		case 'I': s.flags.insecure_xds = true; break;
		case 'l': s.flags.log_level = optarg; break;
		case 'h': cmd_usage(&serve_spec, stdout); return CMD_EXIT_OK;
		default: cmd_usage_hint(&serve_spec); return CMD_EXIT_USAGE;
		}
	}
	if (cmd_positional_source(argc, argv, optind, &s.flags) < 0) {
		cmd_usage_hint(&serve_spec);
		return CMD_EXIT_USAGE;
	}
	if (cmd_load_config(&s.flags, &s.cfg) < 0)
		return CMD_EXIT_USAGE;
	cmd_translate_options(&s.cfg, &s.to);
	if (serve_start(&s) < 0) {
		serve_stop(&s);
		return CMD_EXIT_USAGE;
	}
	rc = serve_loop(&s);
	serve_stop(&s);
	log_info("stopped");
	return rc == 0 ? CMD_EXIT_OK : CMD_EXIT_USAGE;
}
