/* cairn serve: what a build hands on. Problems to the log once, a status
 * line to systemd, the build kept for the admin endpoint's renders, and the
 * change it makes against the snapshot in effect. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify.h"
#include "report.h"
#include "serve_internal.h"
#include "util/log.h"

static void
log_problem_line(void *arg, const char *line, bool resolved)
{
	(void)arg;
	if (resolved)
		log_info("resolved: %s", line);
	else
		log_msg(strstr(line, ": error: ") ? LOG_LEVEL_ERROR :
		    LOG_LEVEL_WARNING, "%s", line);
}

/* Problems are logged once, when they appear, and once more when they
 * go away; not again on every rebuild. */
void
serve_log_changes(struct serve *s, const struct build_result *r)
{
	report_log_update(&s->problems, r, log_problem_line, NULL);
}

static double
realtime_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The one-line state systemd shows in `systemctl status`. */
void
serve_notify_status(struct serve *s, const struct build_result *r)
{
	struct ads_stats st;

	ads_server_stats(s->ads, &st);
	notify_status("revision %s, %zu objects (%zu invalid), %zu Envoys connected",
	    r->revision, r->dag->nstatuses, dag_count_status(r->dag, DAG_STATUS_INVALID),
	    st.streams_sotw + st.streams_delta);
}

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
void
serve_keep_build(struct serve *s, struct serve_build *b)
{
	struct serve_build *old;

	pthread_mutex_lock(&s->build_mu);
	old = s->build;
	s->build = b;
	if (b != NULL)
		s->build_id++;
	pthread_mutex_unlock(&s->build_mu);
	if (b != NULL && s->statuses != NULL)
		diff_statuses_build_kept(s->statuses, b->r.dag);
	serve_build_unref(old);
}

void
serve_drop_build(struct serve *s)
{
	serve_keep_build(s, NULL);
}

/* The admin thread's renderers read the kept build, if it is still the
 * one that view was published with (a reference, or NULL), under
 * render_rw from render_begin to render_end. */
static struct serve_build *
render_begin(struct serve *s, uint64_t build_id)
{
	struct serve_build *b = NULL;

	pthread_rwlock_rdlock(&s->render_rw);
	pthread_mutex_lock(&s->build_mu);
	if (s->build != NULL && s->build_id == build_id) {
		b = s->build;
		atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&s->build_mu);
	return b;
}

static void
render_end(struct serve *s, struct serve_build *b)
{
	serve_build_unref(b);
	pthread_rwlock_unlock(&s->render_rw);
}

json_t *
serve_render_status(void *arg, uint64_t build_id)
{
	struct serve *s = arg;
	struct serve_build *b = render_begin(s, build_id);
	json_t *out = b != NULL ? report_json(&b->r) : NULL;

	render_end(s, b);
	return out;
}

char *
serve_render_dot(void *arg, uint64_t build_id)
{
	struct serve *s = arg;
	struct serve_build *b = render_begin(s, build_id);
	char *out = b != NULL ? dag_to_dot(b->r.dag) : NULL;

	render_end(s, b);
	return out;
}

/* Hand the admin endpoint what it shows: the build itself, which it reads
 * for its counters now and renders later, if a page asks. */
void
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
void
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
void
serve_record_change(struct serve *s, const struct build_result *r)
{
	struct diff_objects from = { 0 }, to = { 0 };
	bool first = s->current == NULL;
	int64_t start = serve_now_ms();
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
	log_debug("change recorded in %lld ms", (long long)(serve_now_ms() - start));
}
