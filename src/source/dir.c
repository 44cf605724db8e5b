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
 * directory below which no watch is dirty and no directory was
 * distrusted is carried over whole (skip_subtree: its records and cached
 * files are one run each in the sorted arrays, moved in two copies), and
 * in a clean directory so is every run of kids nothing asks about
 * (carry_kids), so the walk visits the changed directories and their
 * parents only. With
 * the delta form on (source_dir_set_delta), such a scan hands out only the
 * files read again with new bytes and the paths of the old entries no run
 * carried and no new entry replaced (cache_retire). The watches live in
 * dir_watch.c. */
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

/* A run [lo, hi) of an old array (cache, directory records) that the scan
 * in progress moved into the new one; what lies between runs is freed. */
struct run {
	size_t lo, hi;
};

struct devino {
	dev_t dev;
	ino_t ino;
	size_t rel_len; /* length of the relative path of this directory */
};

struct scan {
	struct source_dir *sd;
	struct source_files *out;
	struct strbuf rel; /* relative path of the current entry */
	struct devino *stack; /* directories on the current path */
	size_t depth, stackcap;
	size_t cursor; /* into sd->cache: the walk visits paths in order */
	struct cache_entry *fresh; /* next cache, built in path order */
	size_t nfresh, capfresh;
	size_t dir_cursor; /* into sd->dirs */
	struct dir_record *new_dirs;
	size_t nnew_dirs, capnew_dirs;
	bool incremental; /* clean directories may be reused */
	struct run *cache_runs, *dir_runs; /* moved from sd->cache, sd->dirs */
	size_t ncache_runs, capcache_runs, ndir_runs, capdir_runs;
	size_t *visited; /* slots of new_dirs made by a walk, not carried */
	size_t nvisited, capvisited;
	int *file_wds;
	size_t nfile_wds, capfile_wds;
	const char **quiet_not; /* sorted: attention and dirty watch paths */
	size_t nquiet_not;
	/* A dirty watch is reached by several paths: nothing is carried
	 * unwalked this scan (every clean directory is looked at, as its
	 * watch says). */
	bool carry_off;
	bool delta_out; /* out gets only changed files and removed paths */
	bool changed; /* a file read again with new bytes */
	char **linkdirs;
	size_t nlinkdirs, caplinkdirs;
	int64_t now_ns;
};

static int64_t
ts_ns(const struct timespec *ts)
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
	dir_records_free(sd->dirs, sd->ndirs);
	strings_free(sd->linkdirs, sd->nlinkdirs);
	strings_free(sd->attention, sd->nattention);
	free(sd->revision);
	free(sd->dirty_wds);
	free(sd->file_wds);
	free(sd->root_base);
	free(sd->root);
	free(sd);
}

/* --- scan -------------------------------------------------------------- */

static const char *
rel_of(const struct scan *s)
{
	return s->rel.buf ? s->rel.buf : "";
}

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

static int
cache_cmp(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* The walk visits files in strictly increasing path order and the old
 * cache is sorted the same way, so a lookup is a merge step. */
static struct cache_entry *
cache_find(struct scan *s, const char *path)
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

/* Records that old[lo, hi) moved into the new array; adjacent runs merge
 * (the walk moves entries in order). */
static void
run_push(struct run **runs, size_t *n, size_t *cap, size_t lo, size_t hi)
{
	if (lo == hi)
		return;
	if (*n > 0 && (*runs)[*n - 1].hi == lo) {
		(*runs)[*n - 1].hi = hi;
		return;
	}
	ARRAY_PUSH(*runs, *n, *cap, ((struct run){ lo, hi }));
}

/* An unchanged file, carried into the next cache. */
static void
cache_carry(struct scan *s, struct cache_entry *c)
{
	size_t i = (size_t)(c - s->sd->cache);

	ARRAY_PUSH(s->fresh, s->nfresh, s->capfresh, *c);
	run_push(&s->cache_runs, &s->ncache_runs, &s->capcache_runs, i, i + 1);
}

static int
run_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static int
cstr_cmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t
strings_lower_bound(const char *const *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
cache_lower_bound(const struct cache_entry *c, size_t lo, size_t hi,
    const char *key)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void emit_blob(struct scan *s, struct source_blob *b);

/* Whether path lies strictly below the directory rel ("" = the root). */
static bool
is_below(const char *path, const char *rel, size_t len)
{
	if (len == 0)
		return path[0] != '\0';
	return strncmp(path, rel, len) == 0 && path[len] == '/';
}

/* Nothing below rel needs looking at: no dirty watch and no directory the
 * last scan could not trust lies below it. */
static bool
subtree_quiet(const struct scan *s, const char *rel)
{
	size_t len = strlen(rel), i;
	char *key;

	if (s->carry_off)
		return false;
	if (len == 0)
		return s->nquiet_not == 0 ||
		    (s->nquiet_not == 1 && s->quiet_not[0][0] == '\0');
	key = xasprintf("%s/", rel);
	i = strings_lower_bound(s->quiet_not, s->nquiet_not, key);
	free(key);
	return i == s->nquiet_not || !is_below(s->quiet_not[i], rel, len);
}

/* Carries the subtree of the clean, quiet directory sd->dirs[at] (the
 * current entry) over unwalked: its records and cached files move to the
 * new arrays in two copies, whatever their number. */
static void
skip_subtree(struct scan *s, size_t at)
{
	struct source_dir *sd = s->sd;
	const char *rel = sd->dirs[at].rel;
	size_t len = strlen(rel), lo, hi, l, h, n;
	char *key;

	/* Directory records: at and the run below it. */
	l = at + 1;
	h = sd->ndirs;
	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (is_below(sd->dirs[m].rel, rel, len))
			l = m + 1;
		else
			h = m;
	}
	n = l - at;
	ARRAY_RESERVE(s->new_dirs, s->nnew_dirs + n - 1, s->capnew_dirs);
	memcpy(&s->new_dirs[s->nnew_dirs], &sd->dirs[at], n * sizeof sd->dirs[0]);
	s->nnew_dirs += n;
	run_push(&s->dir_runs, &s->ndir_runs, &s->capdir_runs, at, l);
	s->dir_cursor = l;
	sd->stats.dirs_reused += n;
	sd->stats.subtrees_skipped++;
	dir_watch_clean(sd, sd->dirs[at].wd);

	/* Cached files: every path below rel, one sorted run. */
	key = len ? xasprintf("%s/", rel) : xstrdup("");
	lo = cache_lower_bound(sd->cache, s->cursor, sd->ncache, key);
	free(key);
	l = lo;
	h = sd->ncache;
	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (is_below(sd->cache[m].path, rel, len))
			l = m + 1;
		else
			h = m;
	}
	hi = l;
	n = hi - lo;
	if (n > 0) {
		ARRAY_RESERVE(s->fresh, s->nfresh + n - 1, s->capfresh);
		memcpy(&s->fresh[s->nfresh], &sd->cache[lo], n * sizeof sd->cache[0]);
		s->nfresh += n;
		run_push(&s->cache_runs, &s->ncache_runs, &s->capcache_runs, lo,
		    hi);
		if (!s->delta_out)
			for (size_t i = lo; i < hi; i++)
				emit_blob(s, sd->cache[i].blob);
	}
	s->cursor = hi;
}

static bool
cache_matches(const struct cache_entry *c, const struct stat *st)
{
	return !c->racy && c->dev == st->st_dev && c->ino == st->st_ino &&
	    c->size == st->st_size && c->mtime_ns == ts_ns(&st->st_mtim) &&
	    c->ctime_ns == ts_ns(&st->st_ctim);
}

static void
emit_blob(struct scan *s, struct source_blob *b)
{
	struct source_file f = { 0 };

	source_file_from_blob(&f, b);
	ARRAY_PUSH(s->out->files, s->out->n, s->out->cap, f);
}

/* A file the walk found unchanged since the previous scan. */
static void
emit(struct scan *s, const struct cache_entry *c)
{
	if (!s->delta_out)
		emit_blob(s, c->blob);
}

/* A file the walk read again: handed out if its bytes differ from what
 * the previous scan handed out under the same path (old, may be NULL). */
static void
emit_read(struct scan *s, struct cache_entry *c, struct cache_entry *old)
{
	if (old != NULL)
		old->seen = true;
	if (old != NULL && old->blob->len == c->blob->len &&
	    memcmp(old->blob->data, c->blob->data, c->blob->len) == 0) {
		/* Same bytes (touched, or rewritten alike): keep the blob the
		 * consumers already hold. */
		source_blob_unref(c->blob);
		c->blob = source_blob_ref(old->blob);
		c->path = c->blob->path;
		emit(s, c);
		return;
	}
	s->changed = true;
	emit_blob(s, c->blob);
}

static void
too_large(struct scan *s, uintmax_t size, bool at_least)
{
	diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
	    "file is %s%ju bytes, more than max-file-bytes (%zu); not read",
	    at_least ? "at least " : "", size, s->sd->max_file_bytes);
}

/* Reads the whole file; returns NULL (with a diagnostic) on failure. */
static char *
read_all(struct scan *s, int fd, size_t hint, size_t *len_out)
{
	size_t max = s->sd->max_file_bytes;
	size_t cap = hint + 1 > max + 1 ? max + 1 : hint + 1, len = 0;
	char *data = xmalloc(cap + 1);

	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > max) {
				too_large(s, len, true);
				free(data);
				return NULL;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			data = xrealloc(data, cap + 1);
		}
		n = read(fd, data + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
			    "cannot read: %s", strerror(errno));
			free(data);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		too_large(s, len, true);
		free(data);
		return NULL;
	}
	data[len] = '\0';
	*len_out = len;
	return data;
}

/* Emits one file, from the cache when its stat is unchanged. Returns true
 * if it was emitted and inotify on its directory is enough to notice its
 * next change (not racy, a single link). */
static bool
read_file(struct scan *s, int dfd, const char *name, const struct stat *st)
{
	struct source_dir *sd = s->sd;
	struct cache_entry *old = cache_find(s, rel_of(s)), c;
	struct stat fst;
	char *data, *ns;
	size_t len;
	int fd;

	if ((uintmax_t)st->st_size > sd->max_file_bytes) {
		too_large(s, (uintmax_t)st->st_size, false);
		return false;
	}
	if (old != NULL && cache_matches(old, st)) {
		emit(s, old);
		cache_carry(s, old);
		return st->st_nlink == 1;
	}
	/* O_NONBLOCK: never hang on a FIFO swapped in since the stat. */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return false; /* deleted since readdir: an event follows */
		diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
		    "cannot open: %s", strerror(errno));
		return false;
	}
	if (fstat(fd, &fst) == -1 || !S_ISREG(fst.st_mode)) {
		diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
		    "not a regular file; not read");
		close(fd);
		return false;
	}
	if ((uintmax_t)fst.st_size > sd->max_file_bytes) {
		too_large(s, (uintmax_t)fst.st_size, false);
		close(fd);
		return false;
	}
	data = read_all(s, fd, (size_t)fst.st_size, &len);
	close(fd);
	if (data == NULL)
		return false;
	sd->stats.files_read++;
	ns = source_namespace_of(rel_of(s));
	c = (struct cache_entry){
		.dev = fst.st_dev,
		.ino = fst.st_ino,
		.size = fst.st_size,
		.mtime_ns = ts_ns(&fst.st_mtim),
		.ctime_ns = ts_ns(&fst.st_ctim),
		.blob = source_blob_new(rel_of(s), ns, data, len,
		    hash_bytes(data, len)),
	};
	free(ns);
	c.path = c.blob->path;
	c.racy = (int64_t)len != (int64_t)fst.st_size ||
	    c.mtime_ns >= s->now_ns - sd->racy_ns ||
	    c.ctime_ns >= s->now_ns - sd->racy_ns;
	emit_read(s, &c, old);
	ARRAY_PUSH(s->fresh, s->nfresh, s->capfresh, c);
	return !c.racy && fst.st_nlink == 1;
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

/* One directory entry, classified before the siblings are sorted. */
struct dent {
	char *name;
	bool is_dir, is_link;
	bool have_st; /* st is the (followed) stat of the entry */
	struct stat st;
};

/* Siblings in the order their paths sort: a directory "a" compares as
 * "a/", so "a.yaml" < "a/b.yaml" holds, and a depth-first walk over sorted
 * siblings yields every path in byte-wise strcmp order. */
static int
dent_cmp(const void *a, const void *b)
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
	return read_file(s, dfd, e->name, &e->st) && !e->is_link;
}

/* Directory records are kept in walk order: the root first, then every
 * directory compared as if its path ended in '/'. */
static int
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
	if (subtree_quiet(s, old->rel)) {
		skip_subtree(s, (size_t)(old - s->sd->dirs));
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
	ARRAY_PUSH(s->visited, s->nvisited, s->capvisited, slot);
	here = (struct devino){ old->dev, old->ino, s->rel.len };
	ARRAY_PUSH(s->stack, s->depth, s->stackcap, here);
	reuse_dir(s, -1, old, slot);
	s->depth--;
	return true;
}

/* dir_key_cmp of a record's rel against a key in walk order: a file path,
 * or a directory path ending in '/'. */
static int
rec_cmp_key(const char *rel, const char *key)
{
	if (*rel == '\0')
		return -1; /* the root comes first */
	while (*rel != '\0' && *rel == *key) {
		rel++;
		key++;
	}
	if (*rel != '\0')
		return (unsigned char)*rel - (unsigned char)*key;
	if (*key != '/')
		return '/' - (unsigned char)*key;
	return key[1] == '\0' ? 0 : -1;
}

static size_t
rec_lower_bound(const struct source_dir *sd, size_t lo, const char *key)
{
	size_t hi = sd->ndirs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rec_cmp_key(sd->dirs[mid].rel, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The key of a kid of the directory rel[0, base) in walk order. */
static char *
kid_key(const struct scan *s, size_t base, const struct dir_kid *k)
{
	return base ? xasprintf("%.*s/%s%s", (int)base, rel_of(s), k->name,
	    k->is_dir ? "/" : "") : xasprintf("%s%s", k->name,
	    k->is_dir ? "/" : "");
}

/* Where a kid named name (a directory or not) sits in kids (walk order). */
static size_t
kid_find(const struct dir_kid *kids, size_t n, const char *name, bool is_dir)
{
	struct dent probe = { .name = (char *)name, .is_dir = is_dir };
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct dent k = { .name = kids[mid].name, .is_dir = kids[mid].is_dir };

		if (dent_cmp(&k, &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && kids[lo].is_dir == is_dir && strcmp(kids[lo].name, name) == 0)
		return lo;
	return n;
}

static int
size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* The kids of the clean directory rel[0, base) that something below them
 * (a dirty watch, a distrusted directory) asks to look at, sorted. */
static size_t *
kids_to_visit(const struct scan *s, size_t base, const struct dir_kid *kids,
    size_t nkids, size_t *n_out)
{
	const char *d = rel_of(s);
	char *prefix = base ? xasprintf("%.*s/", (int)base, d) : xstrdup("");
	size_t plen = strlen(prefix), n = 0, cap = 0, j = 0;
	size_t i = strings_lower_bound(s->quiet_not, s->nquiet_not, prefix);
	size_t *out = NULL;

	for (; i < s->nquiet_not; i++) {
		const char *p = s->quiet_not[i], *name, *slash;
		char *kid;
		size_t at;

		if (strncmp(p, prefix, plen) != 0)
			break;
		name = p + plen;
		if (*name == '\0')
			continue; /* the root itself */
		slash = strchr(name, '/');
		kid = slash ? xstrndup(name, (size_t)(slash - name)) : xstrdup(name);
		at = kid_find(kids, nkids, kid, true);
		if (at == nkids && slash == NULL)
			at = kid_find(kids, nkids, kid, false);
		free(kid);
		if (at < nkids)
			ARRAY_PUSH(out, n, cap, at);
	}
	free(prefix);
	if (n > 1)
		qsort(out, n, sizeof out[0], size_cmp);
	for (i = 0; i < n; i++)
		if (j == 0 || out[j - 1] != out[i])
			out[j++] = out[i];
	*n_out = j;
	return out;
}

/* Carries kids [a, b) of the clean directory rel[0, base) over unwalked:
 * nothing below them changed, and in walk order their records and cached
 * files are one run each. */
static void
carry_kids(struct scan *s, size_t base, const struct dir_kid *kids,
    size_t nkids, size_t a, size_t b)
{
	struct source_dir *sd = s->sd;
	const char *d = rel_of(s);
	char *ka = kid_key(s, base, &kids[a]);
	char *kb = b < nkids ? kid_key(s, base, &kids[b]) : NULL;
	size_t clo, chi, rlo, rhi, n;

	clo = cache_lower_bound(sd->cache, s->cursor, sd->ncache, ka);
	rlo = rec_lower_bound(sd, s->dir_cursor, ka);
	if (kb != NULL) {
		chi = cache_lower_bound(sd->cache, clo, sd->ncache, kb);
		rhi = rec_lower_bound(sd, rlo, kb);
	} else {
		/* To the end of the directory's subtree. */
		size_t l = clo, h = sd->ncache;

		while (l < h) {
			size_t m = l + (h - l) / 2;

			if (is_below(sd->cache[m].path, d, base))
				l = m + 1;
			else
				h = m;
		}
		chi = l;
		l = rlo;
		h = sd->ndirs;
		while (l < h) {
			size_t m = l + (h - l) / 2;

			if (is_below(sd->dirs[m].rel, d, base))
				l = m + 1;
			else
				h = m;
		}
		rhi = l;
	}
	free(ka);
	free(kb);
	n = rhi - rlo;
	if (n > 0) {
		ARRAY_RESERVE(s->new_dirs, s->nnew_dirs + n - 1, s->capnew_dirs);
		memcpy(&s->new_dirs[s->nnew_dirs], &sd->dirs[rlo],
		    n * sizeof sd->dirs[0]);
		s->nnew_dirs += n;
		run_push(&s->dir_runs, &s->ndir_runs, &s->capdir_runs, rlo, rhi);
		s->dir_cursor = rhi;
		sd->stats.dirs_reused += n;
	}
	n = chi - clo;
	if (n > 0) {
		ARRAY_RESERVE(s->fresh, s->nfresh + n - 1, s->capfresh);
		memcpy(&s->fresh[s->nfresh], &sd->cache[clo],
		    n * sizeof sd->cache[0]);
		s->nfresh += n;
		run_push(&s->cache_runs, &s->ncache_runs, &s->capcache_runs, clo,
		    chi);
		if (!s->delta_out)
			for (size_t i = clo; i < chi; i++)
				emit_blob(s, sd->cache[i].blob);
		s->cursor = chi;
	}
	sd->stats.subtrees_skipped++;
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
	visit_at = kids_to_visit(s, base, kids, nkids, &nvisit);
	for (size_t i = 0, v = 0; i < nkids; i++) {
		struct cache_entry *c;
		bool ok;

		if (!s->carry_off && (v == nvisit || visit_at[v] > i)) {
			/* Up to the next kid something asks about. */
			size_t next = v < nvisit ? visit_at[v] : nkids;

			carry_kids(s, base, kids, nkids, i, next);
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
		} else if ((c = cache_find(s, rel_of(s))) != NULL && !c->racy) {
			emit(s, c);
			cache_carry(s, c);
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
		qsort(ents, n, sizeof ents[0], dent_cmp);
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

	if (clean && subtree_quiet(s, old->rel)) {
		close(fd);
		skip_subtree(s, (size_t)(old - s->sd->dirs));
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
	ARRAY_PUSH(s->visited, s->nvisited, s->capvisited, slot);
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

/* 16 hex digits over the (path, content hash) list in path order. This
 * loop is the one step of an event-driven scan that is O(tree); it runs
 * only when something changed. An order-free sum of per-file terms would
 * make it O(change), at the price of every directory revision (golden
 * dumps, persisted state) changing once. */
static char *
revision_of(const struct cache_entry *files, size_t n)
{
	struct hash_state *st = hash_begin();
	char hex[17];

	for (size_t i = 0; i < n; i++) {
		unsigned char le[8];
		uint64_t h = files[i].blob->hash;

		for (int b = 0; b < 8; b++)
			le[b] = (unsigned char)(h >> (8 * b));
		hash_update(st, files[i].path, strlen(files[i].path) + 1);
		hash_update(st, le, sizeof le);
	}
	hash_hex(hash_end(st), hex);
	return xstrdup(hex);
}

static void
runs_order(struct run *runs, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (runs[i].lo < runs[i - 1].hi) {
			qsort(runs, n, sizeof runs[0], run_cmp);
			return;
		}
	}
}

/* Frees the old cache entries no run carried over: files read again
 * (seen) and files gone. With collect, the gone ones become out->removed
 * (sorted: the cache is) and leave the revision. */
static void
cache_retire(struct source_dir *sd, struct scan *s, bool collect)
{
	size_t cap = 0, at = 0;

	runs_order(s->cache_runs, s->ncache_runs);
	for (size_t r = 0; r <= s->ncache_runs; r++) {
		size_t end = r < s->ncache_runs ? s->cache_runs[r].lo : sd->ncache;

		for (size_t i = at; i < end; i++) {
			struct cache_entry *c = &sd->cache[i];

			if (collect && !c->seen) {
				ARRAY_PUSH(s->out->removed, s->out->n_removed,
				    cap, xstrdup(c->path));
			}
			source_blob_unref(c->blob);
		}
		if (r < s->ncache_runs && s->cache_runs[r].hi > at)
			at = s->cache_runs[r].hi;
	}
	free(sd->cache);
	free(s->cache_runs);
}

/* Frees the old directory records no run carried over. After a scan that
 * walked only part of the tree, the watches of directories that are gone
 * (no longer reached, not merely unvisited) are dropped here. */
static void
dirs_retire(struct source_dir *sd, struct scan *s, bool partial)
{
	size_t at = 0;

	runs_order(s->dir_runs, s->ndir_runs);
	for (size_t r = 0; r <= s->ndir_runs; r++) {
		size_t end = r < s->ndir_runs ? s->dir_runs[r].lo : sd->ndirs;

		for (size_t i = at; i < end; i++) {
			struct dir_record *d = &sd->dirs[i];

			if (partial && d->wd != -1)
				dir_watch_drop_if_stale(sd, d->wd);
			for (size_t k = 0; k < d->nkids; k++)
				free(d->kids[k].name);
			free(d->kids);
			free(d->rel);
		}
		if (r < s->ndir_runs && s->dir_runs[r].hi > at)
			at = s->dir_runs[r].hi;
	}
	free(sd->dirs);
	free(s->dir_runs);
}

/* What the scan must look inside although a clean parent would let it
 * skip: the directories the last scan could not trust, and the paths of
 * the watches events marked dirty. */
static void
quiet_not_build(struct source_dir *sd, struct scan *s)
{
	size_t cap = 0;

	for (size_t i = 0; i < sd->nattention; i++)
		ARRAY_PUSH(s->quiet_not, s->nquiet_not, cap, sd->attention[i]);
	for (size_t i = 0; i < sd->ndirty_wds; i++) {
		bool found;
		size_t w = dir_watch_index(sd, sd->dirty_wds[i], &found);

		if (!found)
			continue;
		if (sd->watches[w].shared)
			s->carry_off = true;
		ARRAY_PUSH(s->quiet_not, s->nquiet_not, cap,
		    xstrdup(sd->watches[w].path));
	}
	if (s->nquiet_not > 1)
		qsort(s->quiet_not, s->nquiet_not, sizeof s->quiet_not[0],
		    cstr_cmp_ptr);
}

static void
quiet_not_free(struct source_dir *sd, struct scan *s)
{
	/* The attention strings are sd's; the rest are copies. */
	for (size_t i = 0; i < s->nquiet_not; i++) {
		const char *p = s->quiet_not[i];
		size_t k = strings_lower_bound((const char *const *)sd->attention,
		    sd->nattention, p);

		if (k < sd->nattention && sd->attention[k] == p)
			continue;
		free((char *)p);
	}
	free(s->quiet_not);
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
		quiet_not_build(sd, &s);
	sd->gen++;
	memset(&sd->stats, 0, sizeof sd->stats);
	clock_gettime(CLOCK_REALTIME, &now);
	s.now_ns = ts_ns(&now);

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
			qsort(s.fresh, s.nfresh, sizeof s.fresh[0], cache_cmp);
			disorder = true;
			break;
		}
	}
	if (disorder && s.delta_out) {
		/* The merge with the previous cache assumed path order: what
		 * was removed is not known, hand out the whole tree. */
		for (size_t i = 0; i < out->n; i++)
			source_blob_unref(out->files[i].blob);
		out->n = 0;
		s.delta_out = false;
		for (size_t i = 0; i < s.nfresh; i++)
			emit_blob(&s, s.fresh[i].blob);
	}
	cache_retire(sd, &s, s.delta_out);
	out->delta = s.delta_out;
	sd->cache = s.fresh;
	sd->ncache = s.nfresh;
	if (s.delta_out && !s.changed && out->n_removed == 0 &&
	    sd->revision != NULL) {
		out->revision = xstrdup(sd->revision);
	} else {
		out->revision = revision_of(sd->cache, sd->ncache);
		free(sd->revision);
		sd->revision = xstrdup(out->revision);
	}
	sd->have_scan = true;
	diag_list_sort(&out->diags);

	dirs_retire(sd, &s, s.incremental);
	sd->dirs = s.new_dirs;
	sd->ndirs = s.nnew_dirs;
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
	quiet_not_free(sd, &s);
	strings_free(sd->attention, sd->nattention);
	sd->attention = NULL;
	sd->nattention = 0;
	{
		size_t cap = 0;

		for (size_t i = 0; i < s.nvisited; i++) {
			const struct dir_record *d = &sd->dirs[s.visited[i]];

			if (!d->reusable)
				ARRAY_PUSH(sd->attention, sd->nattention, cap,
				    xstrdup(d->rel));
		}
		free(s.visited);
		if (sd->nattention > 1)
			qsort(sd->attention, sd->nattention,
			    sizeof sd->attention[0], str_cmp_ptr);
	}
	strings_free(sd->linkdirs, sd->nlinkdirs);
	if (s.nlinkdirs > 1)
		qsort(s.linkdirs, s.nlinkdirs, sizeof s.linkdirs[0],
		    str_cmp_ptr);
	sd->linkdirs = s.linkdirs;
	sd->nlinkdirs = s.nlinkdirs;
	log_debug("source directory %s: revision %s, %zu files%s (%zu read), "
	    "%zu removed, %zu directories listed, %zu unchanged", sd->root,
	    out->revision, out->n, out->delta ? " changed" : "",
	    sd->stats.files_read, out->n_removed, sd->stats.dirs_read,
	    sd->stats.dirs_reused);
	return 0;
}
