/* inotify over the directories of file-backed Secrets. Directories, not
 * files: a certbot renewal replaces the symlink live/<name>/cert.pem (an
 * event in live/<name>/) to point at a new file in archive/<name>/, and a
 * Kubernetes-style volume swaps a "..data" symlink next to the files;
 * neither touches the old file, which a watch on the file would see.
 * Any change in a watched directory asks for a rebuild: they hold
 * certificates, change rarely, and a rebuild is cheap. */
#include "tls/tls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sorted.h"
#include "util/xalloc.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | \
	IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watch_dir {
	char *path;
	int wd;
};

struct tls_watch {
	int fd;
	struct watch_dir *dirs; /* sorted by path */
	size_t n, cap;
};

struct tls_watch *
tls_watch_new(void)
{
	struct tls_watch *w;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return NULL;
	w = xcalloc(1, sizeof *w);
	w->fd = fd;
	return w;
}

void
tls_watch_free(struct tls_watch *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	close(w->fd);
	free(w);
}

int
tls_watch_fd(const struct tls_watch *w)
{
	return w->fd;
}

size_t
tls_watch_count(const struct tls_watch *w)
{
	return w->n;
}

/* The directory part of path ("/" for "/x"), malloc'd. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The nearest existing directory at or above dir (malloc'd), or NULL. */
static char *
existing_dir(char *dir)
{
	while (!is_dir(dir)) {
		char *up;

		if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0) {
			free(dir);
			return NULL;
		}
		up = dir_of(dir);
		free(dir);
		dir = up;
	}
	return dir;
}

/* dir (malloc'd, existing) as a real path, so that one directory is
 * watched once however it was reached. */
static void
want_add(char ***want, size_t *n, size_t *cap, char *dir)
{
	char *real;

	if (dir == NULL)
		return;
	if ((real = realpath(dir, NULL)) != NULL) {
		free(dir);
		dir = real;
	}
	ARRAY_PUSH(*want, *n, *cap, dir);
}

/* The directories that must be watched for one file: where the path
 * itself lives, every directory a symlink on the way leads through, and
 * where its final target lives. */
static void
dirs_for(const char *path, char ***want, size_t *n, size_t *cap)
{
	char cur[PATH_MAX];
	int hops = 0;

	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof cur)
		return;
	snprintf(cur, sizeof cur, "%s", path);
	want_add(want, n, cap, existing_dir(dir_of(cur)));
	/* Follow the final symlink chain: each link's target directory. */
	for (;;) {
		char target[PATH_MAX], next[PATH_MAX];
		struct stat st;
		ssize_t len;

		if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode) || ++hops > 16)
			break;
		len = readlink(cur, target, sizeof target - 1);
		if (len <= 0)
			break;
		target[len] = '\0';
		if (target[0] == '/') {
			snprintf(next, sizeof next, "%s", target);
		} else {
			char *d = dir_of(cur);
			int r = snprintf(next, sizeof next, "%s/%s", d, target);

			free(d);
			if (r < 0 || (size_t)r >= sizeof next)
				break;
		}
		snprintf(cur, sizeof cur, "%s", next);
		want_add(want, n, cap, existing_dir(dir_of(cur)));
	}
	/* And the fully resolved file's directory (symlinked directories on
	 * the way, such as a "..data" link, are covered by the first watch:
	 * their replacement is an event in that directory). */
	{
		char *real = realpath(path, NULL);

		if (real != NULL) {
			want_add(want, n, cap, existing_dir(dir_of(real)));
			free(real);
		}
	}
}

static struct watch_dir *
dir_find(struct tls_watch *w, const char *path)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->dirs[i].path, path) == 0)
			return &w->dirs[i];
	return NULL;
}

void
tls_watch_set(struct tls_watch *w, const char *const *paths, size_t npaths)
{
	char **want = NULL;
	size_t nwant = 0, capwant = 0, u = 0;
	struct watch_dir *next = NULL;
	size_t nnext = 0, capnext = 0;

	for (size_t i = 0; i < npaths; i++)
		dirs_for(paths[i], &want, &nwant, &capwant);
	if (nwant > 1)
		qsort(want, nwant, sizeof want[0], sorted_str_cmp);
	/* Unique. */
	for (size_t i = 0; i < nwant; i++) {
		if (u > 0 && strcmp(want[u - 1], want[i]) == 0) {
			free(want[i]);
			continue;
		}
		want[u++] = want[i];
	}
	nwant = u;
	for (size_t i = 0; i < nwant; i++) {
		struct watch_dir *old = dir_find(w, want[i]);
		struct watch_dir d = { .path = want[i], .wd = -1 };

		if (old != NULL && old->wd >= 0) {
			d.wd = old->wd;
			old->wd = -1; /* kept: not removed below */
		} else {
			d.wd = inotify_add_watch(w->fd, want[i], WATCH_MASK);
		}
		if (d.wd < 0) { /* unreadable directory: nothing to watch */
			free(want[i]);
			continue;
		}
		ARRAY_PUSH(next, nnext, capnext, d);
	}
	for (size_t i = 0; i < w->n; i++) {
		/* inotify hands out one wd per inode: only remove it if no
		 * kept directory shares it. */
		bool shared = false;

		for (size_t j = 0; j < nnext && w->dirs[i].wd >= 0; j++)
			shared |= next[j].wd == w->dirs[i].wd;
		if (w->dirs[i].wd >= 0 && !shared)
			inotify_rm_watch(w->fd, w->dirs[i].wd);
		free(w->dirs[i].path);
	}
	free(w->dirs);
	free(want);
	w->dirs = next;
	w->n = nnext;
	w->cap = capnext;
}

int
tls_watch_process(struct tls_watch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	int result = 0;

	for (;;) {
		ssize_t len = read(w->fd, buf, sizeof buf);

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW) {
				result = -1;
			} else if (ev->mask & IN_IGNORED) {
				/* The directory is gone: watch it anew next time. */
				for (size_t i = 0; i < w->n; i++)
					if (w->dirs[i].wd == ev->wd)
						w->dirs[i].wd = -1;
				if (result == 0)
					result = 1;
			} else if (result == 0) {
				result = 1;
			}
			p += sizeof *ev + ev->len;
		}
	}
	return result;
}
