/* cairn serve: the daemon. This thread is the watch thread of SPEC §1: it
 * owns the event loop (inotify, a debounce timer, signals), and loads,
 * builds, translates and publishes snapshots. ADS and admin run their own
 * threads. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "ads/ads.h"
#include "cmd.h"
#include "diff/diff.h"
#include "notify.h"
#include "owners_file.h"
#include "report.h"
#include "source/debounce.h"
#include "source/lastgood.h"
#include "source/source.h"
#include "tls/tls.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/loop.h"
#include "util/xalloc.h"

struct serve {
	struct cairn_config cfg;
	struct cmd_flags flags;
	struct translate_options to;
	struct source *source;
	struct pipeline *pipeline;
	/* Directory mode: the FQDN ledger's file (SPEC §6a); NULL in git
	 * mode, where history orders the claims. */
	char *owners_path;
	bool owners_save_failed; /* warned already */
	struct ads_server *ads;
	struct admin_server *admin;
	struct debounce debounce;
	struct loop *loop; /* every fd and timer below */
	struct loop_timer *debounce_timer;
	struct loop_timer *watchdog; /* at half of WATCHDOG_USEC, or NULL */
	int sigfd;
	int refreshfd; /* eventfd: the admin thread asks for POST /refresh */
	struct snapshot *current; /* last published */
	char *serving_subject; /* git: subject of the commit in effect */
	char **lines; /* problems reported by the last build */
	size_t nlines;
	unsigned long rebuilds;
	bool stopping;
	struct tls_watch *tlswatch; /* files of file-backed Secrets, or NULL */
	/* The last build, kept so that the admin endpoint renders its report
	 * and DAG only when a page asks (issue #8), not on every rebuild. A
	 * result owns what it points to (pipeline.h): build_mu guards only
	 * the pointer and its id, swapped when a build is done; a render
	 * takes a reference and renders without the lock, so builds and
	 * renders never wait for each other. render_rw (taken before
	 * build_mu): a render holds it as a reader, since the DAG points
	 * into the config; a reload drops the kept build and replaces the
	 * config as the writer. */
	pthread_mutex_t build_mu;
	struct serve_build *build; /* NULL = none yet */
	uint64_t build_id; /* of the build kept; 0 = none yet */
	pthread_rwlock_t render_rw;
	/* The objects' statuses of the build in effect, per DAG part, to tell
	 * what the next change does to them (issue #19, admin /debug/diff). */
	struct diff_statuses *statuses;
	struct admin_fetch_info fetch_seen; /* git remote: last shown */
	bool have_fetch_seen;
	/* Last good copies in the state directory (issue #15), or NULL when
	 * there is none: per file (directory) or the commit (git). */
	struct lastgood *lastgood;
	bool git_fallback_tried; /* the persisted commit, once per start */
	/* The initial build saves its many copies after READY (the files of
	 * that build kept until then). */
	bool defer_persist;
	struct source_files pending_files;
};

/* serve's source hands pipeline_build the delta form of source_files
 * (only changed files and removed paths after a change the source could
 * follow), so a rebuild costs what changed; one-shot commands read whole
 * revisions. */
#define SERVE_SOURCE_DELTA true

static int64_t
now_ms(void)
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

static bool
line_in(char **lines, size_t n, const char *line)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(lines[i], line) == 0)
			return true;
	return false;
}

/* Problems are logged once, when they appear, and once more when they
 * go away; not again on every rebuild. */
static void
serve_log_changes(struct serve *s, const struct build_result *r)
{
	size_t n;
	char **lines = report_lines(r, &n);

	for (size_t i = 0; i < n; i++)
		if (!line_in(s->lines, s->nlines, lines[i]))
			log_msg(strstr(lines[i], ": error: ") ? LOG_LEVEL_ERROR :
			    LOG_LEVEL_WARNING, "%s", lines[i]);
	for (size_t i = 0; i < s->nlines; i++)
		if (!line_in(lines, n, s->lines[i]))
			log_info("resolved: %s", s->lines[i]);
	report_lines_free(s->lines, s->nlines);
	s->lines = lines;
	s->nlines = n;
}

static bool
snapshot_changed(const struct snapshot *old, const struct snapshot *new)
{
	if (old == NULL)
		return true;
	for (int t = 0; t < XDS_TYPE_COUNT; t++)
		if (old->types[t].version != new->types[t].version)
			return true;
	return false;
}

static double
realtime_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The one-line state systemd shows in `systemctl status`. */
static void
serve_notify_status(struct serve *s, const struct build_result *r)
{
	struct ads_stats st;

	ads_server_stats(s->ads, &st);
	notify_status("revision %s, %zu objects (%zu invalid), %zu Envoys connected",
	    r->revision, r->dag->nstatuses, dag_count_status(r->dag, DAG_STATUS_INVALID),
	    st.streams_sotw + st.streams_delta);
}

/* A kept build, shared by the watch thread and renders. */
struct serve_build {
	atomic_uint refs;
	struct build_result r;
};

static void
serve_build_unref(struct serve_build *b)
{
	if (b != NULL && atomic_fetch_sub_explicit(&b->refs, 1,
	    memory_order_acq_rel) == 1) {
		build_result_free(&b->r);
		free(b);
	}
}

/* Keep b (taken; NULL = none) for the admin endpoint under the next id,
 * and let go of the one kept before. */
static void
serve_keep_build(struct serve *s, struct serve_build *b)
{
	struct serve_build *old;

	pthread_mutex_lock(&s->build_mu);
	old = s->build;
	s->build = b;
	if (b != NULL)
		s->build_id++;
	pthread_mutex_unlock(&s->build_mu);
	serve_build_unref(old);
}

static void
serve_drop_build(struct serve *s)
{
	serve_keep_build(s, NULL);
}

/* The kept build, if it is still the one that view was published with
 * (a reference), or NULL. */
static struct serve_build *
serve_build_get(struct serve *s, uint64_t build_id)
{
	struct serve_build *b = NULL;

	pthread_mutex_lock(&s->build_mu);
	if (s->build != NULL && s->build_id == build_id) {
		b = s->build;
		atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&s->build_mu);
	return b;
}

/* The admin thread's renderers: from the kept build, if it is still the
 * one that view was published with. */
static json_t *
serve_render_status(void *arg, uint64_t build_id)
{
	struct serve *s = arg;
	struct serve_build *b;
	json_t *out = NULL;

	pthread_rwlock_rdlock(&s->render_rw);
	if ((b = serve_build_get(s, build_id)) != NULL)
		out = report_json(&b->r);
	serve_build_unref(b);
	pthread_rwlock_unlock(&s->render_rw);
	return out;
}

static char *
serve_render_dot(void *arg, uint64_t build_id)
{
	struct serve *s = arg;
	struct serve_build *b;
	char *out = NULL;

	pthread_rwlock_rdlock(&s->render_rw);
	if ((b = serve_build_get(s, build_id)) != NULL)
		out = dag_to_dot(b->r.dag);
	serve_build_unref(b);
	pthread_rwlock_unlock(&s->render_rw);
	return out;
}

/* Hand the admin endpoint what it shows: the build itself, which it reads
 * for its counters now and renders later, if a page asks. */
static void
serve_publish_admin(struct serve *s, const struct build_result *r, double seconds)
{
	bool git = s->cfg.source.git.repository[0] != '\0';
	struct admin_build_info bi = {
		.snapshot = s->current,
		/* What Envoy has: a rejected git commit is not serving. */
		.revision = s->current ? s->current->revision : r->revision,
		.subject = s->serving_subject ? s->serving_subject : "",
		.source_kind = git ? "git" : "directory",
		.source_location = git ? s->cfg.source.git.repository : s->cfg.source.directory,
		.branch = git ? s->cfg.source.git.branch : "",
		.duration_seconds = seconds,
		.finished_unix = realtime_seconds(),
		.build = r,
		.build_id = s->build_id,
	};

	admin_server_publish(s->admin, &bi);
}

/* A git remote: show the admin endpoint how fetches go whenever one ended
 * (a failed fetch rebuilds nothing, so no publish would carry it). */
static void
serve_publish_fetch(struct serve *s)
{
	struct source_fetch_stats st;
	struct admin_fetch_info fi;

	if (s->admin == NULL || !source_fetch_stats(s->source, &st))
		return;
	/* Started, failed, or worked again: one of the three moves. */
	if (s->have_fetch_seen && st.fetches == s->fetch_seen.fetches &&
	    st.failures == s->fetch_seen.failures &&
	    st.consecutive_failures == s->fetch_seen.consecutive_failures)
		return;
	fi = (struct admin_fetch_info){
		.fetches = st.fetches,
		.failures = st.failures,
		.consecutive_failures = st.consecutive_failures,
		.last_error = st.last_error,
	};
	admin_server_set_fetch(s->admin, &fi);
	s->fetch_seen = fi;
	s->fetch_seen.last_error = NULL; /* the source's, not kept */
	s->have_fetch_seen = true;
}

/* What this build changes against the one in effect (s->current, before
 * it is replaced): logged once, and kept for the admin endpoint until the
 * next change. The first build is not a change. What is done here costs
 * what the change costs (diff.h): statuses are copied for the DAG parts
 * this build made, resources compared by version; the plan, which reads
 * every host of a changed RouteConfiguration, is made when a page asks. */
static void
serve_record_change(struct serve *s, const struct build_result *r)
{
	struct diff_objects from = { 0 }, to = { 0 };
	bool first = s->current == NULL;
	int64_t start = now_ms();
	char *line = NULL;

	diff_statuses_record(s->statuses, r->dag, first ? NULL : &from,
	    first ? NULL : &to);
	if (!first)
		line = diff_change_line(s->current, r->snapshot, &from, &to);
	if (line != NULL) {
		struct diff_change *c = diff_change_new(s->current, r->snapshot,
		    &from, &to);

		log_info("change %s -> %s: %s (the plan: GET /debug/diff)",
		    s->current->revision, r->revision, line);
		admin_server_set_change(s->admin, c);
		diff_change_unref(c);
		free(line);
	}
	diff_objects_free(&from);
	diff_objects_free(&to);
	log_debug("change recorded in %lld ms", (long long)(now_ms() - start));
}

/* Give a new pipeline the FQDN ledger of the state directory (directory
 * mode). A corrupt ledger is discarded with a warning: claims are then
 * ordered as on a first start (path order), never a failure. */
static void
serve_owners_attach(struct serve *s)
{
	struct fqdn_ledger l;
	char *why;

	free(s->owners_path);
	s->owners_path = NULL;
	if (s->source->ops->atomic_commits)
		return;
	s->owners_path = owners_file_path(s->cfg.state_directory);
	if (owners_file_load(s->owners_path, &l, &why) < 0) {
		log_warning("FQDN ownership ledger discarded: %s; claims seen "
		    "together are ordered by path until it is written again", why);
		free(why);
	} else if (l.n > 0) {
		log_info("FQDN ownership: %zu claims from %s", l.n, s->owners_path);
	}
	pipeline_set_owners(s->pipeline, &l);
	fqdn_ledger_free(&l);
}

static void
serve_owners_save(struct serve *s, const struct build_result *r)
{
	char *why;

	if (s->owners_path == NULL || !r->owners_changed)
		return;
	if (owners_file_save(s->owners_path, pipeline_owners(s->pipeline),
	    &why) < 0) {
		if (!s->owners_save_failed)
			log_warning("cannot save the FQDN ownership ledger: %s; "
			    "after a restart, claims seen together are ordered by "
			    "path (set $CAIRN_STATE_DIRECTORY or StateDirectory=)",
			    why);
		s->owners_save_failed = true;
		free(why);
		return;
	}
	s->owners_save_failed = false;
}

static bool
serve_is_git(const struct serve *s)
{
	return s->cfg.source.git.repository[0] != '\0';
}

/* The last good copies of the configured source. Without a usable state
 * directory cairn serves on, saying that a restart will not keep them. */
static void
serve_open_lastgood(struct serve *s)
{
	const struct config_git *g = &s->cfg.source.git;
	const char *from;
	char *state = lastgood_state_directory(s->cfg.state_directory, &from);
	char *key = serve_is_git(s) ?
	    lastgood_source_key_git(g->repository, g->remote, g->branch, g->path) :
	    lastgood_source_key_dir(s->cfg.source.directory);
	struct lastgood_options o = { .state_dir = state, .source_key = key };
	char *warnings = NULL, *err = NULL;

	lastgood_close(s->lastgood);
	s->lastgood = NULL;
	if (lastgood_open(&s->lastgood, &o, &warnings, &err) < 0) {
		log_warning("no state directory: %s (the state directory %s comes from %s); "
		    "serving on, but last good versions will not survive a restart",
		    err, state, from);
	} else {
		for (char *line = warnings, *nl; line && *line; line = nl + 1) {
			nl = strchr(line, '\n');
			*nl = '\0';
			log_warning("%s", line);
		}
		log_info("last good copies of %s in %s (%zu, %zu bytes)%s",
		    serve_is_git(s) ? "the commit" : "files",
		    lastgood_directory(s->lastgood), lastgood_count(s->lastgood),
		    lastgood_total_bytes(s->lastgood),
		    lastgood_is_read_only(s->lastgood) ? ", read-only" : "");
	}
	if (!serve_is_git(s))
		pipeline_set_lastgood(s->pipeline, s->lastgood);
	free(warnings);
	free(err);
	free(key);
	free(state);
}

/* git: remember the commit now serving, so that a restart facing a broken
 * tip serves it again. */
static void
serve_save_commit(struct serve *s, const char *commit)
{
	char *err;

	if (s->lastgood == NULL || lastgood_is_read_only(s->lastgood) ||
	    lastgood_has(s->lastgood, LASTGOOD_COMMIT_KEY,
	    hash_bytes(commit, strlen(commit))))
		return;
	if (lastgood_put(s->lastgood, LASTGOOD_COMMIT_KEY, commit, strlen(commit),
	    hash_bytes(commit, strlen(commit)), &err) < 0) {
		log_warning("last good commit %s not saved: %s", commit, err);
		free(err);
		return;
	}
	lastgood_flush(s->lastgood);
}

/* git, nothing served yet (a start) and the tip has errors: build the last
 * good commit persisted before the restart instead, keeping the tip's
 * problems in the report. Returns true when r is now a
 * clean build of that commit. */
static bool
serve_git_fallback(struct serve *s, struct build_result *r,
    const char *tip, char **subject)
{
	struct source_files files = { 0 };
	struct diag_list tipdiags, diags;
	struct source *src;
	char *commit = NULL, *err = NULL;
	size_t len;
	int rc;

	if (s->git_fallback_tried || s->current != NULL || s->lastgood == NULL)
		return false;
	s->git_fallback_tried = true;
	rc = lastgood_get(s->lastgood, LASTGOOD_COMMIT_KEY, &commit, &len, &err);
	if (rc < 0)
		log_warning("%s", err);
	free(err);
	if (rc <= 0 || strcmp(commit, tip) == 0) {
		free(commit);
		return false;
	}
	diag_list_init(&diags);
	if (source_open_revision(s->source, commit, &src, &diags) < 0) {
		log_warning("last good commit %s persisted in %s cannot be read: %s",
		    commit, lastgood_directory(s->lastgood),
		    diags.n ? diags.items[0].message : "?");
		diag_list_free(&diags);
		free(commit);
		return false;
	}
	diag_list_free(&diags);
	if (source_scan(src, &files) < 0) {
		log_warning("last good commit %s cannot be read", commit);
		source_files_free(&files);
		source_close(src);
		free(commit);
		return false;
	}
	diag_list_init(&tipdiags);
	diag_list_append(&tipdiags, &r->diags);
	build_result_free(r);
	pipeline_build(s->pipeline, &files, &s->cfg, &s->to, r);
	rc = r->diags.nerrors == 0;
	if (rc) {
		diag_add(&r->diags, DIAG_WARNING, "", 0, 0, "commit %s has errors: "
		    "serving the last good commit %s, persisted in the state "
		    "directory before the restart", tip, commit);
		diag_list_append(&r->diags, &tipdiags);
		diag_list_sort(&r->diags);
		log_warning("commit %s has errors; serving the last good commit %s "
		    "persisted in %s before the restart", tip, commit,
		    lastgood_directory(s->lastgood));
		free(*subject);
		*subject = files.revision_subject ? xstrdup(files.revision_subject) : NULL;
	}
	diag_list_free(&tipdiags);
	source_files_free(&files);
	source_close(src);
	free(commit);
	return rc;
}

/* Once a build has parsed files and saved their last good copies, the
 * source need not keep their bytes (a tree's YAML beside its objects):
 * only a file's next version is read again. */
static void
serve_release_bytes(struct serve *s, struct source_files *files)
{
	source_files_release_bytes(files, pipeline_file_bytes_needed,
	    s->pipeline);
}

/* One rebuild: scan, build, publish if anything Envoy sees changed. A
 * source that cannot be read keeps the current snapshot serving. */
static void
serve_rebuild(struct serve *s, const char *why)
{
	struct source_files files = { 0 };
	struct serve_build *nb;
	struct build_result *r;
	int64_t start = now_ms();
	bool fell_back = false;

	if (source_scan(s->source, &files) < 0) {
		for (size_t i = 0; i < files.diags.n; i++)
			diag_print(stderr, &files.diags.items[i]);
		log_error("cannot read the source; still serving revision %s",
		    s->current ? s->current->revision : "(none)");
		source_files_free(&files);
		return;
	}
	nb = xcalloc(1, sizeof *nb);
	atomic_init(&nb->refs, 1);
	r = &nb->r;
	/* No lock: the kept build owns what it points to. */
	pipeline_build(s->pipeline, &files, &s->cfg, &s->to, r);
	serve_owners_save(s, r);
	s->rebuilds++;
	if (s->tlswatch != NULL)
		tls_watch_set(s->tlswatch, r->dag->tls_files, r->dag->ntls_files);
	serve_log_changes(s, r);
	if (s->source->ops->atomic_commits && r->diags.nerrors > 0) {
		char *tip = xstrdup(r->revision), *subject = NULL;

		/* r keeps the tip's errors, for the report. */
		if (serve_git_fallback(s, r, tip, &subject)) {
			free(files.revision_subject);
			files.revision_subject = subject;
			subject = NULL;
			fell_back = true;
		}
		free(subject);
		free(tip);
	}
	if (s->source->ops->atomic_commits && r->diags.nerrors > 0 && !fell_back) {
		/* git: a commit is applied whole or not at all. Its parseable
		 * files are in the pipeline's cache now, which is harmless: only
		 * a clean commit is ever published. */
		log_error("commit %s (\"%s\") has %zu errors: nothing of it is served; still serving revision %s",
		    r->revision, files.revision_subject ? files.revision_subject : "",
		    r->diags.nerrors, s->current ? s->current->revision : "(none)");
	} else if (snapshot_changed(s->current, r->snapshot)) {
		serve_record_change(s, r);
		ads_server_publish(s->ads, r->snapshot);
		snapshot_unref(s->current);
		s->current = snapshot_ref(r->snapshot);
		free(s->serving_subject);
		s->serving_subject = files.revision_subject ? xstrdup(files.revision_subject) : NULL;
		if (s->source->ops->atomic_commits)
			serve_save_commit(s, r->revision);
		log_info("%s: revision %s, %zu objects (%zu invalid, %zu orphaned), "
		    "%zu listeners, %zu routes, %zu clusters, %zu endpoints; built in %lld ms",
		    why, r->revision, r->dag->nstatuses,
		    dag_count_status(r->dag, DAG_STATUS_INVALID),
		    dag_count_status(r->dag, DAG_STATUS_ORPHANED),
		    r->snapshot->types[XDS_LISTENER].n, r->snapshot->types[XDS_ROUTE].n,
		    r->snapshot->types[XDS_CLUSTER].n, r->snapshot->types[XDS_ENDPOINT].n,
		    (long long)(now_ms() - start));
	} else {
		/* Statuses may still have changed (a new object in error). */
		serve_record_change(s, r);
		log_debug("%s: nothing Envoy sees changed", why);
	}

	/* Copies a first start left (r's statuses say which are saved):
	 * before r is shared with renders. */
	if (s->defer_persist) {
		source_files_free(&s->pending_files);
		s->pending_files = files;
		memset(&files, 0, sizeof files);
		diag_list_init(&files.diags);
	} else {
		pipeline_persist_pending(s->pipeline, &files, r);
		serve_release_bytes(s, &files);
	}
	serve_keep_build(s, nb);
	serve_publish_admin(s, r, (double)(now_ms() - start) / 1000.0);
	serve_notify_status(s, r);
	source_files_free(&files);
}

/* After READY: the copies the initial build left to save (a first start). */
static void
serve_persist_deferred(struct serve *s)
{
	/* The kept build's statuses change: renders wait (once, after the
	 * first start). Only this thread replaces s->build. */
	pthread_rwlock_wrlock(&s->render_rw);
	pipeline_persist_pending(s->pipeline, &s->pending_files,
	    s->build != NULL ? &s->build->r : NULL);
	pthread_rwlock_unlock(&s->render_rw);
	serve_release_bytes(s, &s->pending_files);
	source_files_free(&s->pending_files);
	memset(&s->pending_files, 0, sizeof s->pending_files);
	diag_list_init(&s->pending_files.diags);
}

static void
serve_arm_timer(struct serve *s)
{
	loop_timer_arm(s->debounce_timer,
	    debounce_timeout(&s->debounce, now_ms()));
}

static void serve_on_source(void *arg);

static bool
str_changed(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* The source a config names, as a comparable string. */
static char *
source_key(const struct cairn_config *c)
{
	return xasprintf("%s|%s|%s|%s|%s|%lld|%s", c->source.directory,
	    c->source.git.repository, c->source.git.branch, c->source.git.path,
	    c->source.git.remote, (long long)c->source.max_file_bytes,
	    c->state_directory);
}

/* SIGHUP re-reads the xDS certificate files: new connections get them,
 * open streams keep theirs. */
static void
serve_reload_xds_tls(struct serve *s, const struct cairn_config *next)
{
	struct ads_options ao = {
		.address = next->xds.address,
		.tls_certificate = next->xds.tls.certificate,
		.tls_key = next->xds.tls.key,
		.tls_client_ca = next->xds.tls.client_ca,
	};
	char *err = NULL;

	if (ads_server_reload_tls(s->ads, &ao, &err) < 0) {
		log_error("xDS TLS not renewed: %s", err);
		free(err);
	}
}

/* SIGHUP: read the config file again and rescan. A config with errors is
 * reported and ignored (the running one stays); listen addresses cannot
 * move without a restart, which is said, not silently ignored. */
static void
serve_reload(struct serve *s)
{
	struct cairn_config next;
	char *old_key, *new_key;
	bool reopened = false;

	log_info("SIGHUP: reloading the configuration and rescanning the source");
	if (source_refresh(s->source) < 0)
		log_warning("refreshing the source failed; serving what it had");
	if (cmd_load_config(&s->flags, &next) < 0) {
		log_error("configuration has errors; keeping the running configuration");
		serve_rebuild(s, "reload");
		return;
	}
	if (str_changed(next.xds.address, s->cfg.xds.address) ||
	    str_changed(next.admin.address, s->cfg.admin.address))
		log_warning("xds or admin address changed: restart cairn to listen on the new address");
	if (next.xds.keepalive_time_ms != s->cfg.xds.keepalive_time_ms ||
	    next.xds.keepalive_timeout_ms != s->cfg.xds.keepalive_timeout_ms)
		log_warning("xds keepalive changed: restart cairn to apply it");
	if (next.xds.warming_timeout_ms != s->cfg.xds.warming_timeout_ms)
		log_warning("xds warming-timeout changed: restart cairn to apply it");
	old_key = source_key(&s->cfg);
	new_key = source_key(&next);
	if (strcmp(old_key, new_key) != 0) {
		struct diag_list diags;
		struct source *src;

		diag_list_init(&diags);
		if (source_open(&next, NULL, &src, &diags) < 0) {
			for (size_t i = 0; i < diags.n; i++)
				diag_print(stderr, &diags.items[i]);
			log_error("cannot open the new source; keeping %s", s->source->description);
			config_free(&next);
			diag_list_free(&diags);
			free(old_key);
			free(new_key);
			return;
		}
		diag_list_free(&diags);
		source_set_delta(src, SERVE_SOURCE_DELTA);
		loop_remove_fd(s->loop, source_fd(s->source));
		source_close(s->source);
		s->source = src;
		if (loop_add_fd(s->loop, source_fd(s->source), serve_on_source, s) < 0)
			log_error("cannot watch %s: %s; changes are picked up on "
			    "SIGHUP only", s->source->description, strerror(errno));
		/* New files, new cache: nothing of the old source applies
		 * (the kept build holds what it points to). */
		pipeline_free(s->pipeline);
		s->pipeline = pipeline_new(NULL);
		serve_owners_attach(s);
		reopened = true;
		log_info("now serving %s", s->source->description);
	}
	free(old_key);
	free(new_key);
	serve_reload_xds_tls(s, &next);
	/* A kept build's DAG points into the config: no render meanwhile,
	 * and none of it after (serve_rebuild keeps the next). */
	pthread_rwlock_wrlock(&s->render_rw);
	serve_drop_build(s);
	config_free(&s->cfg);
	s->cfg = next;
	pthread_rwlock_unlock(&s->render_rw);
	if (reopened) {
		s->git_fallback_tried = false;
		serve_open_lastgood(s);
	}
	cmd_translate_options(&s->cfg, &s->to);
	debounce_init(&s->debounce, s->cfg.debounce_ms, s->cfg.max_delay_ms);
	serve_rebuild(s, "reload");
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

	if (debounce_timeout(&s->debounce, now_ms()) == 0) {
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
		debounce_event(&s->debounce, now_ms());
		serve_arm_timer(s);
	}
}

static void
serve_on_source(void *arg)
{
	struct serve *s = arg;
	int changed = source_process_events(s->source);

	serve_publish_fetch(s);
	if (changed != 0) { /* -1: be safe and rescan */
		debounce_event(&s->debounce, now_ms());
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
	report_lines_free(s->lines, s->nlines);
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
