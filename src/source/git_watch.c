/* The git source, watching: what tells the caller that the branch moved.
 *
 * Local refs: inotify on the chain of directories that holds the ref file
 * (the git dir, refs, refs/heads, refs/heads/<dirs of the branch name>):
 * git updates a ref by writing <ref>.lock and renaming it over the ref,
 * deletes loose refs, and rewrites packed-refs by the same rename dance,
 * so IN_MOVED_TO / IN_DELETE / IN_CREATE of the ref's name, of
 * packed-refs or of a directory on the chain is all there is to see.
 * Directories on the chain that appear later (refs/heads/team/ for the
 * branch team/x) are watched as they appear.
 *
 * A remote: the fetch timer, the refresh eventfd and the fetch thread's
 * done eventfd (git_fetch.c). All of these are registered with the
 * source's own event loop (util/loop.h), whose fd is the one the caller
 * watches; process_events runs one round of it without waiting. */
#include "source/git_internal.h"

#include <errno.h>
#include <git2.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

void
source_git_chain_free(struct source_git *sg)
{
	for (size_t i = 0; i < sg->nchain; i++)
		free(sg->chain[i].rel);
	free(sg->chain);
	sg->chain = NULL;
	sg->nchain = 0;
}

/* The directories from the common dir down to the one holding the ref
 * file: for refs/heads/team/x that is "", refs, refs/heads, refs/heads/team. */
static void
chain_build(struct source_git *sg)
{
	const char *p = sg->refname, *slash;
	struct chain_dir d = { .rel = xstrdup(""), .wd = -1 };
	size_t cap = 0;

	while ((slash = strchr(p, '/')) != NULL) {
		ARRAY_PUSH(sg->chain, sg->nchain, cap, d);
		d = (struct chain_dir){
			.rel = xstrndup(sg->refname, (size_t)(slash - sg->refname)),
			.wd = -1,
		};
		p = slash + 1;
	}
	ARRAY_PUSH(sg->chain, sg->nchain, cap, d);
	/* Each directory's child on the way down: the next directory's last
	 * component, and for the last one the ref file itself. */
	for (size_t i = 0; i < sg->nchain; i++) {
		const char *next = i + 1 < sg->nchain ? sg->chain[i + 1].rel :
		    sg->refname;
		const char *last = strrchr(next, '/');

		sg->chain[i].child = last ? last + 1 : next;
	}
}

/* (Re)adds the watches on every directory of the chain that exists. */
static void
chain_sync(struct source_git *sg)
{
	const char *common = git_repository_commondir(sg->repo);

	for (size_t i = 0; i < sg->nchain; i++) {
		char *path = xasprintf("%s%s", common, sg->chain[i].rel);
		int wd = inotify_add_watch(sg->ifd, path, CHAIN_MASK);

		if (wd == -1 && errno != ENOENT && errno != ENOTDIR)
			log_warning("git %s: cannot watch %s: %s", sg->repo_path,
			    path, strerror(errno));
		free(path);
		if (sg->chain[i].wd != -1 && sg->chain[i].wd != wd)
			inotify_rm_watch(sg->ifd, sg->chain[i].wd);
		sg->chain[i].wd = wd;
		if (wd == -1) {
			/* Deeper directories cannot exist either. */
			for (size_t j = i + 1; j < sg->nchain; j++) {
				if (sg->chain[j].wd != -1)
					inotify_rm_watch(sg->ifd, sg->chain[j].wd);
				sg->chain[j].wd = -1;
			}
			break;
		}
	}
}

/* 1 if the event may concern the branch's ref. */
static int
event_relevant(struct source_git *sg, const struct inotify_event *ev,
    bool *resync)
{
	size_t level;

	if (ev->mask & IN_Q_OVERFLOW) {
		*resync = true;
		return 1;
	}
	for (level = 0; level < sg->nchain; level++)
		if (sg->chain[level].wd == ev->wd)
			break;
	if (level == sg->nchain)
		return 0;
	if (ev->mask & IN_IGNORED) {
		sg->chain[level].wd = -1; /* the kernel dropped it */
		*resync = true;
		return 1;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		*resync = true;
		return 1;
	}
	if (ev->len == 0 || ev->name[0] == '\0')
		return 0;
	if (strcmp(ev->name, sg->chain[level].child) == 0) {
		if (level + 1 < sg->nchain)
			*resync = true; /* a directory on the way appeared */
		return 1;
	}
	/* HEAD does not name our branch, but a repository whose HEAD moved
	 * was likely rewritten wholesale: look again. */
	return level == 0 && (strcmp(ev->name, "packed-refs") == 0 ||
	    strcmp(ev->name, "HEAD") == 0);
}

static int
drain_inotify(struct source_git *sg)
{
	alignas(struct inotify_event) char buf[8192];
	bool resync = false;
	int relevant = 0;

	for (;;) {
		ssize_t n = read(sg->ifd, buf, sizeof buf);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_error("git %s: inotify read: %s", sg->repo_path,
			    strerror(errno));
			chain_sync(sg);
			return -1;
		}
		if (n == 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if (event_relevant(sg, ev, &resync))
				relevant = 1;
			p += sizeof *ev + ev->len;
		}
	}
	if (resync)
		chain_sync(sg);
	return relevant;
}

/* Whether the tip differs from what the last scan served. */
static bool
tip_moved(struct source_git *sg)
{
	git_oid now;

	if (!sg->have_last || !sg->last_ok)
		return true;
	if (git_reference_name_to_id(&now, sg->repo, sg->refname) < 0)
		return true; /* gone: the scan reports it */
	return !git_oid_equal(&now, &sg->last_oid);
}

static void
on_inotify(void *arg)
{
	struct source_git *sg = arg;
	int r = drain_inotify(sg);

	if (r < 0)
		sg->round_rc = -1;
	else if (r > 0 && sg->round_rc == 0 && tip_moved(sg))
		sg->round_rc = 1;
}

static void
on_fetch_due(void *arg)
{
	((struct source_git *)arg)->round_due = true;
}

static void
on_refresh(void *arg)
{
	struct source_git *sg = arg;

	if (efd_take(sg->refresh_efd))
		sg->refresh_wanted = true;
}

static void
on_fetch_done(void *arg)
{
	struct source_git *sg = arg;

	if (sg->job && efd_take(sg->done_efd) && source_git_fetch_finish(sg) &&
	    sg->round_rc == 0)
		sg->round_rc = 1;
}

int
source_git_process_events(struct source_git *sg)
{
	if (sg->fixed || sg->loop == NULL)
		return 0;
	sg->round_rc = 0;
	sg->round_due = false;
	if (loop_run_once(sg->loop, 0) < 0) {
		log_error("git %s: epoll_wait: %s", sg->repo_path,
		    strerror(errno));
		return -1;
	}
	if (sg->remote != NULL && sg->job == NULL &&
	    (sg->round_due || sg->refresh_wanted)) {
		sg->refresh_wanted = false;
		if (source_git_fetch_start(sg) < 0)
			source_git_timer_arm(sg, source_git_backoff_ms(sg));
	}
	return sg->round_rc;
}

int
source_git_refresh(struct source_git *sg)
{
	uint64_t one = 1;

	if (sg->remote == NULL || sg->fixed)
		return 0;
	if (write(sg->refresh_efd, &one, sizeof one) < 0)
		return -1;
	return 0;
}

int
source_git_events_setup(struct source_git *sg, struct diag_list *diags)
{
	sg->loop = loop_new();
	if (sg->loop == NULL)
		goto fail;
	if (sg->remote == NULL) {
		sg->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (sg->ifd < 0 || loop_add_fd(sg->loop, sg->ifd, on_inotify, sg) < 0)
			goto fail;
		chain_build(sg);
		chain_sync(sg);
		return 0;
	}
	sg->fetch_timer = loop_timer_add(sg->loop, on_fetch_due, sg);
	sg->done_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sg->refresh_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sg->fetch_timer == NULL || sg->done_efd < 0 || sg->refresh_efd < 0 ||
	    loop_add_fd(sg->loop, sg->done_efd, on_fetch_done, sg) < 0 ||
	    loop_add_fd(sg->loop, sg->refresh_efd, on_refresh, sg) < 0)
		goto fail;
	return 0;
fail:
	diag_add(diags, DIAG_ERROR, "", 0, 0, "git %s: event setup: %s",
	    sg->repo_path, strerror(errno));
	return -1;
}
