/* The directory source's watches: inotify on every directory the last
 * scan reached (and on symlinked files' targets, and on the root's
 * parent), and the classification of events into "a rescan is due" and
 * "nothing we read changed". The scan (dir.c) adds watches as it walks
 * and drops those of directories it no longer reaches. */
#include "source/dir_internal.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/names.h"
#include "util/log.h"
#include "util/xalloc.h"

static int
watch_wd_cmp(const void *key, const void *elem)
{
	int wd = *(const int *)key, ewd = ((const struct watch *)elem)->wd;

	return (wd > ewd) - (wd < ewd);
}

size_t
dir_watch_index(const struct source_dir *sd, int wd, bool *found)
{
	size_t i = sorted_search(&wd, sd->watches, sd->nwatches,
	    sizeof sd->watches[0], watch_wd_cmp);

	*found = i < sd->nwatches && sd->watches[i].wd == wd;
	return i;
}

void
dir_watch_drop_at(struct source_dir *sd, size_t i)
{
	free(sd->watches[i].path);
	memmove(&sd->watches[i], &sd->watches[i + 1],
	    (sd->nwatches - i - 1) * sizeof sd->watches[0]);
	sd->nwatches--;
}

/* Adds (or refreshes) the watch on rel; the kernel returns the existing
 * wd for an inode already watched, which is how duplicates collapse.
 * Returns the wd, or -1. */
int
dir_watch_add(struct source_dir *sd, const char *rel, uint32_t mask,
    struct diag_list *diags)
{
	char *path = full_path(sd, rel);
	int wd = inotify_add_watch(sd->ifd, path, mask);
	bool found;
	size_t i;

	free(path);
	if (wd == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return -1; /* gone already: its parent's event covers it */
		if (errno == ENOSPC)
			diag_add(diags, DIAG_WARNING, rel, 0, 0,
			    "cannot watch for changes: inotify watch limit "
			    "reached (raise fs.inotify.max_user_watches)");
		else
			diag_add(diags, DIAG_WARNING, rel, 0, 0,
			    "cannot watch for changes: %s", strerror(errno));
		return -1;
	}
	i = dir_watch_index(sd, wd, &found);
	if (!found) {
		struct watch w = { .wd = wd, .path = xstrdup(rel) };

		ARRAY_RESERVE(sd->watches, sd->nwatches, sd->capwatches);
		memmove(&sd->watches[i + 1], &sd->watches[i],
		    (sd->nwatches - i) * sizeof sd->watches[0]);
		sd->watches[i] = w;
		sd->nwatches++;
	} else if (strcmp(sd->watches[i].path, rel) != 0) {
		/* Seen under another path by this very scan: one directory
		 * reached twice (a symlink to a directory of the tree, a bind
		 * mount). Otherwise it was renamed. */
		if (sd->watches[i].gen == sd->gen)
			sd->watches[i].shared = true;
		free(sd->watches[i].path);
		sd->watches[i].path = xstrdup(rel);
	}
	sd->watches[i].gen = sd->gen;
	return wd;
}

void
dir_watch_rm(struct source_dir *sd, int wd)
{
	/* The parent watch shares its wd if the tree reaches the parent. */
	if (wd != sd->parent_wd)
		inotify_rm_watch(sd->ifd, wd);
}

void
dir_watches_drop_all(struct source_dir *sd)
{
	for (size_t i = 0; i < sd->nwatches; i++) {
		dir_watch_rm(sd, sd->watches[i].wd);
		free(sd->watches[i].path);
	}
	sd->nwatches = 0;
}

void
dir_watches_drop_stale(struct source_dir *sd)
{
	size_t j = 0;

	for (size_t i = 0; i < sd->nwatches; i++) {
		if (sd->watches[i].gen == sd->gen) {
			sd->watches[j++] = sd->watches[i];
			continue;
		}
		dir_watch_rm(sd, sd->watches[i].wd);
		free(sd->watches[i].path);
	}
	sd->nwatches = j;
}

void
dir_watch_drop_if_stale(struct source_dir *sd, int wd)
{
	bool found;
	size_t i = dir_watch_index(sd, wd, &found);

	if (found && sd->watches[i].gen != sd->gen) {
		dir_watch_rm(sd, wd);
		dir_watch_drop_at(sd, i);
	}
}

bool
dir_watch_clean(struct source_dir *sd, int wd)
{
	bool found;
	size_t i = dir_watch_index(sd, wd, &found);

	if (!found || sd->watches[i].dirty)
		return false;
	sd->watches[i].gen = sd->gen;
	return true;
}

void
dir_watch_parent(struct source_dir *sd)
{
	char *copy = xstrdup(sd->root), *slash, *parent;
	size_t len = strlen(copy);

	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	slash = strrchr(copy, '/');
	if (slash == NULL) {
		parent = xstrdup(".");
		sd->root_base = xstrdup(copy);
	} else if (slash == copy) {
		parent = xstrdup("/");
		sd->root_base = xstrdup(slash + 1);
	} else {
		parent = xstrndup(copy, (size_t)(slash - copy));
		sd->root_base = xstrdup(slash + 1);
	}
	if (sd->root_base[0] != '\0' && strcmp(sd->root_base, ".") != 0 &&
	    strcmp(sd->root_base, "..") != 0)
		sd->parent_wd = inotify_add_watch(sd->ifd, parent, PARENT_MASK);
	free(parent);
	free(copy);
}

/* --- events ------------------------------------------------------------ */

static bool
was_link_to_dir(const struct source_dir *sd, const char *dir, const char *name)
{
	char *rel = dir[0] ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	bool found = sd->nlinkdirs && bsearch(&rel, sd->linkdirs, sd->nlinkdirs,
	    sizeof sd->linkdirs[0], sorted_str_cmp) != NULL;

	free(rel);
	return found;
}

/* A new non-YAML name matters only if it is not a plain file: it may be a
 * symlink to a directory. */
static bool
is_plain_file(const struct source_dir *sd, const char *dir, const char *name)
{
	char *rel = dir[0] ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	char *path = full_path(sd, rel);
	struct stat st;
	bool plain = lstat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	free(rel);
	return plain;
}

static int
event_classify(struct source_dir *sd, const struct inotify_event *ev)
{
	struct watch *w;
	bool found;
	size_t i;

	if (ev->mask & IN_Q_OVERFLOW) {
		/* Said once per overflow, so an operator can tell why a full
		 * rescan ran and raise the limit. */
		if (!sd->rebuild_watches)
			log_warning("source directory %s: inotify queue overflowed "
			    "(fs.inotify.max_queued_events); rescanning the whole "
			    "tree", sd->root);
		sd->rebuild_watches = true;
		return 1;
	}
	if (ev->wd == sd->parent_wd && ev->wd != -1) {
		if (ev->mask & IN_IGNORED) {
			sd->parent_wd = -1;
			return 1;
		}
		if (ev->len && strcmp(ev->name, sd->root_base) == 0)
			return 1;
		/* Otherwise only relevant if the tree reaches the parent. */
	}
	i = dir_watch_index(sd, ev->wd, &found);
	if (!found)
		return 0; /* a watch we dropped ourselves */
	w = &sd->watches[i];
	if (ev->mask & IN_IGNORED) {
		/* The kernel dropped it: the directory is gone. */
		dir_watch_drop_at(sd, i);
		return 1;
	}
	if (ev->len == 0 || ev->name[0] == '\0')
		return 1; /* the watched directory or file itself */
	if (source_name_ignored(ev->name))
		return 0;
	if ((ev->mask & IN_ISDIR) || source_name_is_yaml(ev->name))
		return 1;
	if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
		return was_link_to_dir(sd, w->path, ev->name);
	if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_ATTRIB))
		return !is_plain_file(sd, w->path, ev->name);
	return 0; /* writes to a non-YAML file */
}

/* Marks the directory an event happened in for re-reading. */
static int
event_relevant(struct source_dir *sd, const struct inotify_event *ev)
{
	bool found;
	size_t i;

	if (!event_classify(sd, ev))
		return 0;
	sd->events_seen = true;
	i = dir_watch_index(sd, ev->wd, &found);
	if (found && !sd->watches[i].dirty) {
		sd->watches[i].dirty = true;
		ARRAY_PUSH(sd->dirty_wds, sd->ndirty_wds, sd->capdirty_wds,
		    ev->wd);
	}
	return 1;
}

int
source_dir_process_events(struct source_dir *sd)
{
	alignas(struct inotify_event) char buf[16384];
	int relevant = 0;

	for (;;) {
		ssize_t n = read(sd->ifd, buf, sizeof buf);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return relevant;
			log_error("source directory %s: inotify read: %s",
			    sd->root, strerror(errno));
			/* Events may be lost: trust nothing next time. */
			sd->rebuild_watches = true;
			return -1;
		}
		if (n == 0)
			return relevant;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if (event_relevant(sd, ev))
				relevant = 1;
			p += sizeof *ev + ev->len;
		}
	}
}
