/* cairn serve: one rebuild (scan, build, publish if Envoy would see a
 * change) and SIGHUP's reload of the configuration, which ends in one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"
#include "util/log.h"
#include "util/xalloc.h"

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

/* One rebuild: scan, build, publish if anything Envoy sees changed. A
 * source that cannot be read keeps the current snapshot serving. */
void
serve_rebuild(struct serve *s, const char *why)
{
	struct source_files files = { 0 };
	struct serve_build *nb;
	struct build_result *r;
	int64_t start = serve_now_ms();
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
		/* What the record let go of, freed once the snapshot is out. */
		diff_statuses_release(s->statuses);
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
		    (long long)(serve_now_ms() - start));
	} else {
		/* Statuses may still have changed (a new object in error). */
		serve_record_change(s, r);
		diff_statuses_release(s->statuses);
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
	serve_publish_admin(s, r, (double)(serve_now_ms() - start) / 1000.0);
	serve_notify_status(s, r);
	source_files_free(&files);
}

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
void
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
