/* Picks the source the configuration names and hides which one it is. */
#include <stdlib.h>

#include "config.h"
#include "source/dir.h"
#include "source/git.h"
#include "source/source.h"
#include "util/xalloc.h"

static int
dir_fd(const void *impl)
{
	return source_dir_fd(impl);
}

static int
dir_process_events(void *impl)
{
	return source_dir_process_events(impl);
}

static int
dir_scan(void *impl, struct source_files *out)
{
	return source_dir_scan(impl, out);
}

static void
dir_close(void *impl)
{
	source_dir_close(impl);
}

static void
dir_set_delta(void *impl, bool on)
{
	source_dir_set_delta(impl, on);
}

static const struct source_ops dir_ops = {
	.fd = dir_fd,
	.process_events = dir_process_events,
	.scan = dir_scan,
	.refresh = NULL,
	.close = dir_close,
	.set_delta = dir_set_delta,
};

static int
git_open(const struct cairn_config *cfg, const char *rev, struct source **out,
    struct diag_list *diags)
{
	const struct config_git *g = &cfg->source.git;
	struct source_git_options go = {
		.repository = g->repository,
		.branch = g->branch,
		.path = g->path,
		.remote = g->remote,
		.fetch_interval_ms = g->fetch_interval_ms,
		.ssh_key_file = g->ssh_key_file,
		.token_file = g->token_file,
		.max_file_bytes = (size_t)cfg->source.max_file_bytes,
		.rev = rev,
		.state_dir = cfg->state_directory,
	};
	struct source_git *sg;

	if (source_git_open(&go, &sg, diags) < 0)
		return -1;
	*out = source_new(&source_git_ops, sg, source_git_description(sg));
	return 0;
}

int
source_open(const struct cairn_config *cfg, const char *rev,
    struct source **out, struct diag_list *diags)
{
	struct source_dir_options so = {
		.max_file_bytes = (size_t)cfg->source.max_file_bytes,
	};
	struct source_dir *sd;

	if (cfg->source.git.repository[0])
		return git_open(cfg, rev, out, diags);
	if (rev) {
		diag_add(diags, DIAG_ERROR, "", 0, 0, "--rev needs a git source (--git REPO)");
		return -1;
	}
	if (source_dir_open(cfg->source.directory, &so, &sd, diags) < 0)
		return -1;
	*out = source_new(&dir_ops, sd,
	    xasprintf("directory %s", cfg->source.directory));
	return 0;
}

int
source_fd(const struct source *s)
{
	return s->ops->fd(s->impl);
}

int
source_process_events(struct source *s)
{
	return s->ops->process_events(s->impl);
}

int
source_scan(struct source *s, struct source_files *out)
{
	return s->ops->scan(s->impl, out);
}

int
source_refresh(struct source *s)
{
	return s->ops->refresh ? s->ops->refresh(s->impl) : 0;
}

void
source_set_delta(struct source *s, bool on)
{
	if (s->ops->set_delta != NULL)
		s->ops->set_delta(s->impl, on);
}

bool
source_fetch_stats(const struct source *s, struct source_fetch_stats *out)
{
	return s->ops->fetch_stats != NULL && s->ops->fetch_stats(s->impl, out);
}

int
source_open_revision(const struct source *s, const char *rev,
    struct source **out, struct diag_list *diags)
{
	*out = NULL;
	if (s->ops->open_revision == NULL) {
		diag_add(diags, DIAG_ERROR, "", 0, 0,
		    "%s has no revisions to read", s->description);
		return -1;
	}
	return s->ops->open_revision(s->impl, rev, out, diags);
}

void
source_close(struct source *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->impl);
	free(s->description);
	free(s);
}
