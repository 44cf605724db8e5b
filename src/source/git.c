/* The git source (SPEC.md §4 "git"): open and close, and the struct
 * source glue. Reading a commit is in git_read.c, watching the branch in
 * git_watch.c, remote mode (the mirror and its fetch thread) in
 * git_fetch.c, claim history in git_history.c; git_internal.h is what
 * they share. */
#include "source/git_internal.h"

#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* --- open / close ------------------------------------------------------ */

static char *
subdir_normalise(const char *path)
{
	size_t len;

	if (path == NULL)
		return xstrdup("");
	while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
		path += path[0] == '/' ? 1 : 2;
	if (strcmp(path, ".") == 0)
		return xstrdup("");
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	return xstrndup(path, len);
}

int
source_git_open(const struct source_git_options *o, struct source_git **out,
    struct diag_list *diags)
{
	struct source_git *sg;
	const char *branch = o->branch && o->branch[0] ? o->branch :
	    SOURCE_GIT_DEFAULT_BRANCH;
	const char *env;

	*out = NULL;
	git_libgit2_init();
	/* cairn runs nothing from a repository (no hooks, no filters, no
	 * fsmonitor), so a repository owned by the git user is safe to read
	 * for the cairn user. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);

	sg = xcalloc(1, sizeof *sg);
	sg->ifd = sg->done_efd = sg->refresh_efd = -1;
	sg->branch = xstrdup(branch);
	sg->refname = xasprintf("refs/heads/%s", branch);
	sg->subdir = subdir_normalise(o->path);
	sg->max_file_bytes = o->max_file_bytes ? o->max_file_bytes :
	    SOURCE_DEFAULT_MAX_FILE_BYTES;
	sg->fetch_interval_ms = o->fetch_interval_ms > 0 ?
	    o->fetch_interval_ms : SOURCE_GIT_DEFAULT_FETCH_INTERVAL_MS;
	sg->hook_env = o->hook_env;
	if (o->ssh_key_file && o->ssh_key_file[0])
		sg->ssh_key = xstrdup(o->ssh_key_file);
	else if ((env = getenv("CAIRN_GIT_SSH_KEY")) != NULL && env[0])
		sg->ssh_key = xstrdup(env);
	if (o->token_file && o->token_file[0])
		sg->token_file = xstrdup(o->token_file);
	else if ((env = getenv("CAIRN_GIT_TOKEN_FILE")) != NULL && env[0])
		sg->token_file = xstrdup(env);

	if (!git_reference_is_valid_name(sg->refname)) {
		diag_add(diags, DIAG_ERROR, "", 0, 0,
		    "git: \"%s\" is not a valid branch name", branch);
		goto fail;
	}
	if (o->remote && o->remote[0]) {
		sg->remote = xstrdup(o->remote);
		sg->remote_display = source_git_url_display(o->remote);
		if (source_git_mirror_prepare(sg, o, diags) < 0)
			goto fail;
	} else {
		sg->repo_path = xstrdup(o->repository ? o->repository : "");
	}
	if (source_git_repo_open(sg, diags) < 0)
		goto fail;

	if (o->rev) {
		git_object *obj = NULL, *commit = NULL;

		if (sg->remote) {
			/* One-shot with a remote: fetch once, then read. */
			if (source_git_events_setup(sg, diags) < 0)
				goto fail;
			source_git_fetch_initial(sg);
		}
		if (git_revparse_single(&obj, sg->repo, o->rev) < 0 ||
		    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
			diag_add(diags, DIAG_ERROR, "", 0, 0,
			    "git %s: revision \"%s\" does not name a commit: %s",
			    sg->repo_path, o->rev, git_errmsg());
			git_object_free(obj);
			goto fail;
		}
		git_oid_cpy(&sg->fixed_oid, git_object_id(commit));
		git_object_free(commit);
		git_object_free(obj);
		sg->fixed = true;
		sg->rev = xstrdup(o->rev);
		*out = sg;
		return 0;
	}
	if (source_git_events_setup(sg, diags) < 0)
		goto fail;
	if (sg->remote)
		source_git_fetch_initial(sg);
	*out = sg;
	return 0;
fail:
	source_git_close(sg);
	return -1;
}

int
source_git_fd(const struct source_git *sg)
{
	return sg->fixed || sg->loop == NULL ? -1 : loop_fd(sg->loop);
}

void
source_git_close(struct source_git *sg)
{
	if (sg == NULL)
		return;
	if (sg->job)
		source_git_fetch_abandon(sg);
	source_git_chain_free(sg);
	loop_free(sg->loop);
	if (sg->ifd >= 0)
		close(sg->ifd);
	if (sg->done_efd >= 0)
		close(sg->done_efd);
	if (sg->refresh_efd >= 0)
		close(sg->refresh_efd);
	source_git_blobs_free(sg->cache, sg->ncache);
	git_odb_free(sg->odb);
	git_repository_free(sg->repo);
	free(sg->repo_path);
	free(sg->branch);
	free(sg->rev);
	free(sg->refname);
	free(sg->subdir);
	free(sg->remote);
	free(sg->remote_display);
	free(sg->ssh_key);
	free(sg->token_file);
	free(sg->last_fetch_error);
	free(sg);
	git_libgit2_shutdown();
}

void
source_git_get_stats(const struct source_git *sg, struct source_git_stats *out)
{
	*out = sg->stats;
	out->consecutive_failures = sg->failures;
	out->last_fetch_error = sg->last_fetch_error;
}

char *
source_git_description(const struct source_git *sg)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "git ");
	if (sg->remote)
		strbuf_printf(&sb, "mirror of %s", sg->remote_display);
	else
		strbuf_puts(&sb, sg->repo_path);
	if (sg->fixed)
		strbuf_printf(&sb, " at %s", sg->rev);
	else
		strbuf_printf(&sb, " branch %s", sg->branch);
	if (sg->subdir[0])
		strbuf_printf(&sb, " path %s", sg->subdir);
	return strbuf_detach(&sb, NULL);
}

const char *
source_git_repository_path(const struct source_git *sg)
{
	return sg->repo_path;
}

/* --- struct source ------------------------------------------------------ */

static int
ops_fd(const void *impl)
{
	return source_git_fd(impl);
}

static int
ops_process_events(void *impl)
{
	return source_git_process_events(impl);
}

static int
ops_scan(void *impl, struct source_files *out)
{
	return source_git_scan(impl, out);
}

static int
ops_refresh(void *impl)
{
	return source_git_refresh(impl);
}

static void
ops_close(void *impl)
{
	source_git_close(impl);
}

static void
ops_set_delta(void *impl, bool on)
{
	source_git_set_delta(impl, on);
}

static bool
ops_fetch_stats(const void *impl, struct source_fetch_stats *out)
{
	const struct source_git *sg = impl;
	struct source_git_stats st;

	if (sg->remote == NULL)
		return false;
	source_git_get_stats(sg, &st);
	*out = (struct source_fetch_stats){
		.fetches = st.fetches,
		.failures = st.fetch_failures,
		.consecutive_failures = st.consecutive_failures,
		.last_error = st.last_fetch_error,
	};
	return true;
}

/* The same branch settings over the repository actually read (a remote's
 * mirror already holds every commit it fetched). */
static int
ops_open_revision(const void *impl, const char *rev, struct source **out,
    struct diag_list *diags)
{
	const struct source_git *sg = impl;
	struct source_git_options o = {
		.repository = sg->repo_path,
		.branch = sg->branch,
		.path = sg->subdir,
		.max_file_bytes = sg->max_file_bytes,
		.rev = rev,
		.hook_env = sg->hook_env,
	};
	struct source_git *at;

	if (source_git_open(&o, &at, diags) < 0)
		return -1;
	*out = source_new(&source_git_ops, at, source_git_description(at));
	return 0;
}

const struct source_ops source_git_ops = {
	.fd = ops_fd,
	.process_events = ops_process_events,
	.scan = ops_scan,
	.refresh = ops_refresh,
	.close = ops_close,
	.set_delta = ops_set_delta,
	.fetch_stats = ops_fetch_stats,
	.open_revision = ops_open_revision,
	.atomic_commits = true,
};
