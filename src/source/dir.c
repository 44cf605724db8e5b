/* The directory source: a recursive walk with *at() calls relative to
 * directory fds and inotify watches on every directory seen.
 *
 * Rescans are cheap in two steps. A per-path cache keyed by (dev, ino,
 * size, mtime, ctime) holds every file's bytes, so only files whose stat
 * changed are read again. And every directory's listing is remembered:
 * when a rescan follows inotify events, a directory whose watch saw no
 * relevant event since it was last read is not listed or stat()ed again at
 * all; its files come straight from the cache. Directories where inotify
 * could miss a change (symlinks, hard links, files modified within the
 * timestamp granularity, problems reported) are always read again, and a
 * rescan that no event asked for (startup, SIGHUP) re-checks everything.
 *
 * An event-driven rescan does not even walk what did not change: a clean
 * directory below which no watch is dirty and no directory was distrusted
 * is carried over whole, and in a clean directory so is every run of kids
 * nothing asks about (dir_carry.c: their records and cached files are one
 * run each in the sorted arrays, moved in two copies), so the walk visits
 * the changed directories and their parents only. With the delta form on
 * (source_dir_set_delta), such a scan hands out only the files read again
 * with new bytes and the paths of the old entries no run carried and no
 * new entry replaced. The watches live in dir_watch.c. */
#include "source/dir_internal.h"
#include "source/names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/hash.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Deeper trees are almost certainly a symlink maze, not routing config. */
#define SCAN_MAX_DEPTH 64
/* A file whose mtime/ctime is this close to the time it was read may be
 * written again within the same timestamp granule without any visible
 * stat change (git's "racily clean" problem): re-read it next time. */
#define RACY_NS ((int64_t)2 * 1000 * 1000 * 1000)

int64_t
dir_ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* --- open / close ----------------------------------------------------- */

int
source_dir_open(const char *root, const struct source_dir_options *opts,
    struct source_dir **out, struct diag_list *diags)
{
	struct source_dir *sd;
	int fd;

	*out = NULL;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		diag_add(diags, DIAG_ERROR, "", 0, 0,
		    "source directory %s: %s", root, strerror(errno));
		return -1;
	}
	close(fd);

	sd = xcalloc(1, sizeof *sd);
	sd->root = xstrdup(root);
	sd->max_file_bytes = opts && opts->max_file_bytes ?
	    opts->max_file_bytes : SOURCE_DIR_DEFAULT_MAX_FILE_BYTES;
	sd->parent_wd = -1;
	sd->racy_ns = RACY_NS;
	sd->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sd->ifd == -1) {
		diag_add(diags, DIAG_ERROR, "", 0, 0,
		    "source directory %s: inotify: %s", root, strerror(errno));
		free(sd->root);
		free(sd);
		return -1;
	}
	dir_watch_parent(sd);
	/* Watch the root now: changes before the first scan are not lost. */
	dir_watch_add(sd, "", DIR_MASK, diags);
	*out = sd;
	return 0;
}

int
source_dir_fd(const struct source_dir *sd)
{
	return sd->ifd;
}

static void
cache_free(struct cache_entry *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		source_blob_unref(c[i].blob);
	free(c);
}

static void
dir_records_free(struct dir_record *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < d[i].nkids; k++)
			free(d[i].kids[k].name);
		free(d[i].kids);
		free(d[i].rel);
	}
	free(d);
}

static void
strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
source_dir_close(struct source_dir *sd)
{
	if (sd == NULL)
		return;
	for (size_t i = 0; i < sd->nwatches; i++)
		free(sd->watches[i].path);
	free(sd->watches);
	close(sd->ifd); /* drops every watch */
	cache_free(sd->cache, sd->ncache);
	source_bytes_pool_free(&sd->bytes);
	dir_records_free(sd->dirs, sd->ndirs);
	strings_free(sd->linkdirs, sd->nlinkdirs);
	strings_free(sd->attention, sd->nattention);
	free(sd->dirty_wds);
	free(sd->file_wds);
	free(sd->root_base);
	free(sd->root);
	free(sd);
}

/* --- scan -------------------------------------------------------------- */

static void
rel_set_len(struct scan *s, size_t len)
{
	if (s->rel.buf) {
		s->rel.len = len;
		s->rel.buf[len] = '\0';
	}
}

static void
rel_push(struct scan *s, size_t base, const char *name)
{
	rel_set_len(s, base);
	if (base)
		strbuf_putc(&s->rel, '/');
	strbuf_puts(&s->rel, name);
}

/* The walk visits files in strictly increasing path order and the old
 * cache is sorted the same way, so a lookup is a merge step. */
struct cache_entry *
dir_cache_find(struct scan *s, const char *path)
{
	struct source_dir *sd = s->sd;

	while (s->cursor < sd->ncache) {
		int c = strcmp(sd->cache[s->cursor].path, path);

		if (c == 0)
			return &sd->cache[s->cursor];
		if (c > 0)
			break;
		s->cursor++;
	}
	return NULL;
}

static void scan_dir(struct scan *s, int fd, const struct stat *st);

/* Returns false if the directory was not walked (loop, too deep, gone). */
static bool
enter_dir(struct scan *s, int dfd, const char *name, bool is_link)
{
	const char *rel = rel_of(s);
	struct devino here;
	struct stat st;
	int fd;

	if (s->depth >= SCAN_MAX_DEPTH) {
		diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
		    "directories nested deeper than %d levels; not read",
		    SCAN_MAX_DEPTH);
		return false;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    (is_link ? 0 : O_NOFOLLOW));
	if (fd == -1) {
		/* Gone or replaced since readdir: an event follows. */
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return false;
		diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
		    "cannot open directory: %s", strerror(errno));
		return false;
	}
	if (fstat(fd, &st) == -1) {
		diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
		    "cannot stat directory: %s", strerror(errno));
		close(fd);
		return false;
	}
	for (size_t i = 0; i < s->depth; i++) {
		const struct devino *a = &s->stack[i];
		char *to;

		if (a->dev != st.st_dev || a->ino != st.st_ino)
			continue;
		to = a->rel_len ? xstrndup(rel, a->rel_len) :
		    xstrdup("the source root");
		if (is_link)
			diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
			    "symlink loop: %s leads back to %s; not followed",
			    rel, to);
		else
			diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
			    "directory loop: %s is the same directory as %s; "
			    "not followed", rel, to);
		free(to);
		close(fd);
		return false;
	}
	here = (struct devino){ st.st_dev, st.st_ino, s->rel.len };
	ARRAY_PUSH(s->stack, s->depth, s->stackcap, here);
	scan_dir(s, fd, &st);
	s->depth--;
	return true;
}

/* Siblings in the order their paths sort: a directory "a" compares as
 * "a/", so "a.yaml" < "a/b.yaml" holds, and a depth-first walk over sorted
 * siblings yields every path in byte-wise strcmp order. */
int
dir_dent_cmp(const void *a, const void *b)
{
	const struct dent *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->name;
	const unsigned char *q = (const unsigned char *)y->name;
	int cp, cq;

	while (*p != '\0' && *p == *q) {
		p++;
		q++;
	}
	cp = *p ? *p : (x->is_dir ? '/' : 0);
	cq = *q ? *q : (y->is_dir ? '/' : 0);
	return cp - cq;
}

/* Fills in what an entry is. Returns false (with a diagnostic where one is
 * due) for entries the walk skips. */
static bool
classify(struct scan *s, int dfd, struct dent *e, unsigned char d_type)
{
	const char *rel = rel_of(s);
	bool yaml = source_name_is_yaml(e->name);

	if (d_type == DT_DIR) {
		e->is_dir = true;
		return true;
	}
	if (d_type == DT_REG)
		return yaml;
	if (fstatat(dfd, e->name, &e->st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
			    "cannot stat: %s", strerror(errno));
		return false;
	}
	e->have_st = true;
	if (S_ISLNK(e->st.st_mode)) {
		e->is_link = true;
		if (fstatat(dfd, e->name, &e->st, 0) == -1) {
			if (errno == ELOOP)
				diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
				    "symlink loop: %s cannot be resolved (%s); "
				    "not followed", rel, strerror(errno));
			else if (errno == ENOENT && yaml)
				diag_add(&s->out->diags, DIAG_WARNING, rel, 0,
				    0, "broken symlink: its target does not "
				    "exist; not read");
			else if (errno != ENOENT)
				diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
				    "cannot follow symlink: %s",
				    strerror(errno));
			return false;
		}
	}
	e->is_dir = S_ISDIR(e->st.st_mode);
	return e->is_dir || yaml;
}

/* Walks one classified entry. Returns true if inotify on the containing
 * directory is enough to notice its next change. */
static bool
visit(struct scan *s, int dfd, struct dent *e)
{
	const char *rel = rel_of(s);

	if (e->is_dir) {
		if (e->is_link) {
			char *copy = xstrdup(rel);

			ARRAY_PUSH(s->linkdirs, s->nlinkdirs, s->caplinkdirs,
			    copy);
		}
		return enter_dir(s, dfd, e->name, e->is_link) && !e->is_link;
	}
	if (!e->have_st) {
		if (fstatat(dfd, e->name, &e->st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
				    "cannot stat: %s", strerror(errno));
			return false;
		}
		if (S_ISLNK(e->st.st_mode))
			return false; /* replaced by a link since readdir */
	}
	if (!S_ISREG(e->st.st_mode)) {
		diag_add(&s->out->diags, DIAG_ERROR, rel, 0, 0,
		    "not a regular file; not read");
		return false;
	}
	if (e->is_link) {
		int wd = dir_watch_add(s->sd, rel, FILE_MASK, &s->out->diags);

		if (wd != -1)
			ARRAY_PUSH(s->file_wds, s->nfile_wds, s->capfile_wds, wd);
	}
	return dir_read_file(s, dfd, e->name, &e->st) && !e->is_link;
}

/* Directory records are kept in walk order: the root first, then every
 * directory compared as if its path ended in '/'. */
int
dir_key_cmp(const char *a, const char *b)
{
	int ca, cb;

	if (*a == '\0' || *b == '\0')
		return (*a != '\0') - (*b != '\0');
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	ca = *a ? (unsigned char)*a : '/';
	cb = *b ? (unsigned char)*b : '/';
	if (ca != cb)
		return ca - cb;
	return (*a != '\0') - (*b != '\0');
}

static struct dir_record *
dir_record_find(struct scan *s, const char *rel)
{
	struct source_dir *sd = s->sd;

	while (s->dir_cursor < sd->ndirs) {
		int c = dir_key_cmp(sd->dirs[s->dir_cursor].rel, rel);

		if (c == 0)
			return &sd->dirs[s->dir_cursor];
		if (c > 0)
			break;
		s->dir_cursor++;
	}
	return NULL;
}

/* The directory being reused, opened only when something in it must be
 * looked at again (a racy file, a subdirectory that changed). */
static int
reuse_dir_fd(struct scan *s, int *fd, size_t base)
{
	char *rel, *path;

	if (*fd != -1)
		return *fd;
	rel = xstrndup(rel_of(s), base);
	path = full_path(s->sd, rel);
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(path);
	free(rel);
	return *fd;
}

static void reuse_dir(struct scan *s, int fd, struct dir_record *old,
    size_t slot);

/* A clean subdirectory of a clean directory (the current entry): neither
 * watch saw an event, so it is the same directory as last time and
 * nothing in it changed. Walked from its record without opening or
 * stat()ing it: a rescan after one edit in a tree of 10,000 namespace
 * directories makes no system call per directory. Returns false when the
 * fast path does not apply. */
static bool
reuse_clean_subdir(struct scan *s)
{
	struct dir_record *old = dir_record_find(s, rel_of(s));
	struct dir_record rec;
	struct devino here;
	size_t slot;

	if (old == NULL || !old->reusable || s->depth >= SCAN_MAX_DEPTH ||
	    !dir_watch_clean(s->sd, old->wd))
		return false;
	for (size_t i = 0; i < s->depth; i++)
		if (s->stack[i].dev == old->dev && s->stack[i].ino == old->ino)
			return false; /* let enter_dir report the loop */
	if (dir_carry_quiet(s, old->rel)) {
		dir_carry_subtree(s, (size_t)(old - s->sd->dirs));
		return true;
	}
	rec = (struct dir_record){
		.rel = xstrdup(rel_of(s)),
		.dev = old->dev,
		.ino = old->ino,
		.wd = -1,
	};
	slot = s->nnew_dirs;
	ARRAY_PUSH(s->new_dirs, s->nnew_dirs, s->capnew_dirs, rec);
	here = (struct devino){ old->dev, old->ino, s->rel.len };
	ARRAY_PUSH(s->stack, s->depth, s->stackcap, here);
	reuse_dir(s, -1, old, slot);
	s->depth--;
	return true;
}

/* A directory nothing relevant happened in since the last scan: its
 * listing is the old one and its files come from the cache unstat()ed.
 * fd may be -1 (reuse_clean_subdir): it is opened when needed. */
static void
reuse_dir(struct scan *s, int fd, struct dir_record *old, size_t slot)
{
	struct dir_record *rec = &s->new_dirs[slot];
	size_t base = s->rel.len, nvisit;
	struct dir_kid *kids;
	size_t *visit_at;
	size_t nkids;

	rec->wd = old->wd;
	rec->reusable = true;
	rec->kids = kids = old->kids;
	rec->nkids = nkids = old->nkids;
	old->kids = NULL;
	old->nkids = 0;
	s->sd->stats.dirs_reused++;
	visit_at = dir_carry_kids_to_visit(s, base, kids, nkids, &nvisit);
	for (size_t i = 0, v = 0; i < nkids; i++) {
		struct cache_entry *c;
		bool ok;

		if (!s->carry_off && (v == nvisit || visit_at[v] > i)) {
			/* Up to the next kid something asks about. */
			size_t next = v < nvisit ? visit_at[v] : nkids;

			dir_carry_kids(s, base, kids, nkids, i, next);
			i = next - 1;
			continue;
		}
		if (v < nvisit && visit_at[v] == i)
			v++;
		rel_push(s, base, kids[i].name);
		if (kids[i].is_dir) {
			ok = reuse_clean_subdir(s) ||
			    (reuse_dir_fd(s, &fd, base) != -1 &&
			    enter_dir(s, fd, kids[i].name, false));
		} else if ((c = dir_cache_find(s, rel_of(s))) != NULL && !c->racy) {
			dir_emit(s, c);
			dir_carry_one(s, c);
			ok = true;
		} else {
			struct dent e = { .name = kids[i].name };

			ok = false;
			if (reuse_dir_fd(s, &fd, base) != -1 &&
			    classify(s, fd, &e, DT_UNKNOWN))
				visit(s, fd, &e);
		}
		if (!ok)
			s->new_dirs[slot].reusable = false; /* read it next time */
		rel_set_len(s, base);
	}
	free(visit_at);
	if (fd != -1)
		close(fd);
}

static void
read_dir(struct scan *s, int fd, size_t slot)
{
	size_t base = s->rel.len, n = 0, cap = 0;
	struct dent *ents = NULL;
	struct dir_kid *kids;
	struct dirent *de;
	bool reusable;
	int wd;
	DIR *d;

	s->sd->stats.dirs_read++;
	/* The watch goes on before readdir: nothing created while we read
	 * is missed. */
	wd = dir_watch_add(s->sd, rel_of(s), DIR_MASK, &s->out->diags);
	reusable = wd != -1;
	d = fdopendir(fd);
	if (d == NULL) {
		diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
		    "cannot read directory: %s", strerror(errno));
		close(fd);
		s->new_dirs[slot].reusable = false;
		return;
	}
	for (;;) {
		struct dent e = { 0 };
		size_t ndiags = s->out->diags.n;

		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (source_name_ignored(de->d_name))
			continue; /* also ".", ".." */
		if (de->d_type == DT_REG && !source_name_is_yaml(de->d_name))
			continue;
		rel_push(s, base, de->d_name);
		e.name = de->d_name;
		if (classify(s, dirfd(d), &e, de->d_type)) {
			e.name = xstrdup(de->d_name);
			ARRAY_PUSH(ents, n, cap, e);
		}
		if (s->out->diags.n != ndiags)
			reusable = false; /* report it again next time */
		rel_set_len(s, base);
	}
	if (errno != 0) {
		diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
		    "cannot read directory: %s", strerror(errno));
		reusable = false;
	}

	if (n > 1)
		qsort(ents, n, sizeof ents[0], dir_dent_cmp);
	kids = n ? xreallocarray(NULL, n, sizeof kids[0]) : NULL;
	for (size_t i = 0; i < n; i++) {
		rel_push(s, base, ents[i].name);
		if (!visit(s, dirfd(d), &ents[i]))
			reusable = false;
		rel_set_len(s, base);
		kids[i] = (struct dir_kid){ ents[i].name, ents[i].is_dir };
	}
	free(ents);
	closedir(d);
	s->new_dirs[slot].wd = wd;
	s->new_dirs[slot].reusable = reusable;
	s->new_dirs[slot].kids = kids;
	s->new_dirs[slot].nkids = n;
}

/* Takes ownership of fd. */
static void
scan_dir(struct scan *s, int fd, const struct stat *st)
{
	struct dir_record *old = dir_record_find(s, rel_of(s));
	struct dir_record rec;
	bool clean = s->incremental && old != NULL && old->reusable &&
	    old->dev == st->st_dev && old->ino == st->st_ino &&
	    dir_watch_clean(s->sd, old->wd);
	size_t slot = s->nnew_dirs;

	if (clean && dir_carry_quiet(s, old->rel)) {
		close(fd);
		dir_carry_subtree(s, (size_t)(old - s->sd->dirs));
		return;
	}
	rec = (struct dir_record){
		.rel = xstrdup(rel_of(s)),
		.dev = st->st_dev,
		.ino = st->st_ino,
		.wd = -1,
	};
	/* Reserve the slot now: records stay in walk (pre-)order. */
	ARRAY_PUSH(s->new_dirs, s->nnew_dirs, s->capnew_dirs, rec);
	if (clean)
		reuse_dir(s, fd, old, slot);
	else
		read_dir(s, fd, slot);
}

static int
file_cmp(const void *a, const void *b)
{
	const struct source_file *x = a, *y = b;

	return strcmp(x->path, y->path);
}

void
source_dir_set_delta(struct source_dir *sd, bool on)
{
	sd->delta = on;
}

int
source_dir_scan(struct source_dir *sd, struct source_files *out)
{
	struct scan s = { .sd = sd, .out = out };
	bool disorder = false;
	struct timespec now;
	struct stat st;
	int fd;

	memset(out, 0, sizeof *out);
	fd = open(sd->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		diag_add(&out->diags, DIAG_ERROR, "", 0, 0,
		    "source directory %s: %s", sd->root, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* Events still queued belong to this scan: mark their directories. */
	(void)source_dir_process_events(sd);
	if (sd->rebuild_watches) {
		dir_watches_drop_all(sd);
		sd->rebuild_watches = false;
		sd->events_seen = false;
	}
	/* Only a scan that events asked for trusts inotify; any other one
	 * (startup, SIGHUP) re-checks every file and hands out the whole
	 * tree. */
	s.incremental = sd->events_seen;
	s.delta_out = sd->delta && sd->have_scan && s.incremental;
	if (s.incremental)
		dir_carry_quiet_not_build(sd, &s);
	sd->gen++;
	memset(&sd->stats, 0, sizeof sd->stats);
	clock_gettime(CLOCK_REALTIME, &now);
	s.now_ns = dir_ts_ns(&now);

	ARRAY_PUSH(s.stack, s.depth, s.stackcap,
	    ((struct devino){ st.st_dev, st.st_ino, 0 }));
	scan_dir(&s, fd, &st);
	free(s.stack);
	strbuf_free(&s.rel);

	/* Sorted by construction; re-sorting is only a safety net. */
	for (size_t i = 1; i < out->n; i++) {
		if (strcmp(out->files[i - 1].path, out->files[i].path) >= 0) {
			log_warning("source directory %s: walk out of order at "
			    "%s", sd->root, out->files[i].path);
			qsort(out->files, out->n, sizeof out->files[0],
			    file_cmp);
			disorder = true;
			break;
		}
	}
	if (disorder && s.delta_out) {
		/* The merge with the previous cache assumed path order: what
		 * was removed is not known, hand out the whole tree (the
		 * next cache is sorted by the splice's safety net). */
		for (size_t i = 0; i < out->n; i++)
			source_blob_unref(out->files[i].blob);
		out->n = 0;
		s.delta_out = false;
	}
	dir_carry_cache_retire(sd, &s, s.delta_out);
	if (disorder && out->n != sd->ncache) {
		for (size_t i = 0; i < out->n; i++)
			source_blob_unref(out->files[i].blob);
		out->n = 0;
		for (size_t i = 0; i < sd->ncache; i++)
			dir_scan_emit(&s, sd->cache[i].blob);
	}
	out->delta = s.delta_out;
	out->revision = dir_rev_revision(sd);
	sd->have_scan = true;
	diag_list_sort(&out->diags);

	/* The records this scan walked are s.new_dirs, which the splice
	 * takes: the distrusted directories are noted first (the last
	 * scan's list, which quiet_not borrows from, goes after it). */
	dir_carry_quiet_not_free(sd, &s);
	strings_free(sd->attention, sd->nattention);
	sd->attention = NULL;
	sd->nattention = 0;
	{
		size_t cap = 0;

		for (size_t i = 0; i < s.nnew_dirs; i++) {
			const struct dir_record *d = &s.new_dirs[i];

			if (!d->reusable)
				ARRAY_PUSH(sd->attention, sd->nattention, cap,
				    xstrdup(d->rel));
		}
		if (sd->nattention > 1)
			qsort(sd->attention, sd->nattention,
			    sizeof sd->attention[0], sorted_str_cmp);
	}
	dir_carry_dirs_retire(sd, &s, s.incremental);
	if (s.incremental) {
		/* Unvisited directories kept their watches; only those of the
		 * directories and symlinked files that are gone go. */
		for (size_t i = 0; i < sd->nfile_wds; i++)
			dir_watch_drop_if_stale(sd, sd->file_wds[i]);
		for (size_t i = 0; i < sd->ndirty_wds; i++) {
			bool found;
			size_t w = dir_watch_index(sd, sd->dirty_wds[i], &found);

			if (found)
				sd->watches[w].dirty = false;
		}
	} else {
		dir_watches_drop_stale(sd);
		for (size_t i = 0; i < sd->nwatches; i++)
			sd->watches[i].dirty = false;
	}
	sd->ndirty_wds = 0;
	free(sd->file_wds);
	sd->file_wds = s.file_wds;
	sd->nfile_wds = s.nfile_wds;
	sd->events_seen = false;
	strings_free(sd->linkdirs, sd->nlinkdirs);
	if (s.nlinkdirs > 1)
		qsort(s.linkdirs, s.nlinkdirs, sizeof s.linkdirs[0],
		    sorted_str_cmp);
	sd->linkdirs = s.linkdirs;
	sd->nlinkdirs = s.nlinkdirs;
	log_debug("source directory %s: revision %s, %zu files%s (%zu read), "
	    "%zu removed, %zu directories listed, %zu unchanged", sd->root,
	    out->revision, out->n, out->delta ? " changed" : "",
	    sd->stats.files_read, out->n_removed, sd->stats.dirs_read,
	    sd->stats.dirs_reused);
	return 0;
}
