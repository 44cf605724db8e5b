/* cairn serve: what it keeps in the state directory. The FQDN ownership
 * ledger (directory mode), the last good copies of files or the commit,
 * and the fallback to that commit when a start finds a broken tip. */
#include <stdlib.h>
#include <string.h>

#include "owners_file.h"
#include "serve_internal.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Give a new pipeline the FQDN ledger of the state directory (directory
 * mode). A corrupt ledger is discarded with a warning: claims are then
 * ordered as on a first start (path order), never a failure. */
void
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

void
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
void
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
void
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
bool
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
void
serve_release_bytes(struct serve *s, struct source_files *files)
{
	source_files_release_bytes(files, pipeline_file_bytes_needed,
	    s->pipeline);
}

/* After READY: the copies the initial build left to save (a first start). */
void
serve_persist_deferred(struct serve *s)
{
	/* The kept build's statuses change: renders wait (once, after the
	 * first start). Only this thread replaces s->build. */
	size_t nfiles = s->pending_files.n;

	pthread_rwlock_wrlock(&s->render_rw);
	pipeline_persist_pending(s->pipeline, &s->pending_files,
	    s->build != NULL ? &s->build->r : NULL);
	pthread_rwlock_unlock(&s->render_rw);
	serve_release_bytes(s, &s->pending_files);
	source_files_free(&s->pending_files);
	/* Until here the start holds every file's bytes (24 MB at 10,000
	 * proxies; longer on a first start, which writes the copies): the
	 * line tells when the daemon's memory is what it keeps
	 * (tests/bench/ads_load waits for it). */
	if (nfiles > 0)
		log_info("startup: %zu files' last good copies saved where new, "
		    "their bytes let go", nfiles);
	memset(&s->pending_files, 0, sizeof s->pending_files);
	diag_list_init(&s->pending_files.diags);
}
