/* What the directory source's scan (dir.c) and watches (dir_watch.c)
 * share: the state of one open directory source. Not for use outside
 * src/source/. */
#ifndef CAIRN_SOURCE_DIR_INTERNAL_H
#define CAIRN_SOURCE_DIR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "source/dir.h"
#include "util/sorted.h"
#include "util/xalloc.h"

#define DIR_MASK                                                              \
	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | \
	    IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | IN_ONLYDIR)
/* The target of a symlinked file may live outside every watched directory. */
#define FILE_MASK                                                             \
	(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
/* The root's parent: only to notice the root itself being replaced
 * (`ln -sfn releases/42 resources`). */
#define PARENT_MASK                                                           \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

struct watch {
	int wd;
	unsigned gen; /* the scan that last saw it */
	bool dirty; /* a relevant event arrived since the last scan */
	char *path; /* one relative path that reaches it ("" = root) */
	/* Reached by more than one path: its path does not name every
	 * directory an event on it concerns. */
	bool shared;
};

/* What the last scan found in one directory (by relative path). */
struct dir_kid {
	char *name;
	bool is_dir;
};

struct dir_record {
	char *rel;
	dev_t dev;
	ino_t ino;
	int wd;
	/* Nothing in it that inotify on wd could miss (see dir.c). */
	bool reusable;
	struct dir_kid *kids; /* in walk order */
	size_t nkids;
};

struct cache_entry {
	const char *path; /* blob->path */
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns, ctime_ns;
	/* Path, namespace and bytes, shared with every file list handed
	 * out (emit() takes a reference, copies nothing). */
	struct source_blob *blob;
	bool racy; /* must be re-read on the next scan */
	/* The scan in progress replaced it with a newly read entry of the
	 * same path (so it was not removed). */
	bool seen;
	/* The scan in progress read it again with the bytes it had: the
	 * entry replaced and the one replacing it share the blob, and the
	 * revision's term stays (dir_carry_cache_retire). */
	bool same_bytes;
};

struct source_dir {
	char *root;
	size_t max_file_bytes;
	int ifd;
	int parent_wd; /* watch on the root's parent, or -1 */
	char *root_base; /* the root's name in its parent */

	struct watch *watches; /* sorted by wd */
	size_t nwatches, capwatches;
	unsigned gen;
	bool rebuild_watches; /* events were lost (overflow, read error) */

	bool events_seen; /* relevant events since the last scan */
	int64_t racy_ns;

	/* The revision's state (dir_rev.c): the sum of a term per cached
	 * file, kept equal to the cache's by adding each entry that enters
	 * it and subtracting each one released (dir_carry_cache_retire). */
	uint64_t rev_sum;

	/* Both arrays are kept from scan to scan and patched where a scan
	 * says (dir_carry.c splice), not made anew. */
	struct cache_entry *cache; /* sorted by path */
	size_t ncache, capcache;
	struct source_bytes_pool bytes; /* of the files read */
	struct dir_record *dirs; /* in walk order, see dir_key_cmp */
	size_t ndirs, capdirs;
	struct {
		size_t dirs_read, dirs_reused, files_read;
		size_t subtrees_skipped; /* runs carried over unwalked */
		/* Arrays the splice had to sort (the walk out of order). */
		size_t resorted;
		size_t rev_terms; /* files whose term was added or taken off */
	} stats; /* of the last scan, for logs and tests */
	/* Relative paths of symlinks that led to a directory in the last scan:
	 * deleting one of them is relevant although its name is not YAML. */
	char **linkdirs; /* sorted */
	size_t nlinkdirs;

	/* What the next event-driven scan must look inside although no
	 * event names it: directories the last scan could not trust
	 * (dir_record.reusable false), sorted by strcmp. With the dirty
	 * watches' paths, every other clean directory's whole subtree is
	 * carried over without being walked (dir_carry.c). */
	char **attention;
	size_t nattention;
	int *dirty_wds; /* watches marked dirty since the last scan */
	size_t ndirty_wds, capdirty_wds;
	int *file_wds; /* watches on symlinked files, from the last scan */
	size_t nfile_wds;

	/* The delta form (source_dir_set_delta): scans that events asked for
	 * hand out only what changed since the previous scan. */
	bool delta;
	bool have_scan; /* a scan was handed out since open */
};

static inline char *
full_path(const struct source_dir *sd, const char *rel)
{
	if (rel[0] == '\0')
		return xstrdup(sd->root);
	return xasprintf("%s/%s", sd->root, rel);
}

/* --- dir_watch.c ---------------------------------------------------------- */

/* Index of wd in the sorted watches (or where it would go). */
size_t dir_watch_index(const struct source_dir *sd, int wd, bool *found);
void dir_watch_drop_at(struct source_dir *sd, size_t i);
/* Adds (or refreshes) the watch on rel, marked seen by this scan; returns
 * the wd, or -1 (with a warning in diags unless the path is gone). */
int dir_watch_add(struct source_dir *sd, const char *rel, uint32_t mask,
    struct diag_list *diags);
void dir_watch_rm(struct source_dir *sd, int wd);
void dir_watches_drop_all(struct source_dir *sd);
/* Drops every watch the scan that just ended did not see. */
void dir_watches_drop_stale(struct source_dir *sd);
/* Drops wd if the scan that just ended did not see it. */
void dir_watch_drop_if_stale(struct source_dir *sd, int wd);
/* Whether no relevant event arrived on wd since the last scan (and marks
 * it seen by this one). */
bool dir_watch_clean(struct source_dir *sd, int wd);
/* Watches the root's parent, to notice the root itself being replaced. */
void dir_watch_parent(struct source_dir *sd);

/* --- the scan (dir.c, dir_carry.c) ------------------------------------------ */

#include "util/strbuf.h"

/* A run [lo, hi) of an old array (cache, directory records) that the scan
 * in progress carried into the new one, after the first `at` entries the
 * walk made (fresh, new_dirs); what lies between runs is freed. */
struct run {
	size_t lo, hi, at;
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
	/* The entries read by this scan, in path order; with the runs
	 * carried over from sd->cache they make the next cache. */
	struct cache_entry *fresh;
	size_t nfresh, capfresh;
	size_t dir_cursor; /* into sd->dirs */
	/* The records of the directories this scan walked, in walk order;
	 * with the runs carried from sd->dirs they make the next records. */
	struct dir_record *new_dirs;
	size_t nnew_dirs, capnew_dirs;
	bool incremental; /* clean directories may be reused */
	struct run *cache_runs, *dir_runs; /* moved from sd->cache, sd->dirs */
	size_t ncache_runs, capcache_runs, ndir_runs, capdir_runs;
	int *file_wds;
	size_t nfile_wds, capfile_wds;
	const char **quiet_not; /* sorted: attention and dirty watch paths */
	size_t nquiet_not;
	/* A dirty watch is reached by several paths: nothing is carried
	 * unwalked this scan (every clean directory is looked at, as its
	 * watch says). */
	bool carry_off;
	bool delta_out; /* out gets only changed files and removed paths */
	char **linkdirs;
	size_t nlinkdirs, caplinkdirs;
	int64_t now_ns;
};

/* One directory entry, classified before the siblings are sorted. */
struct dent {
	char *name;
	bool is_dir, is_link;
	bool have_st; /* st is the (followed) stat of the entry */
	struct stat st;
};

static inline const char *
rel_of(const struct scan *s)
{
	return s->rel.buf ? s->rel.buf : "";
}

/* dir.c */
void dir_scan_emit(struct scan *s, struct source_blob *b);
/* Siblings in walk order (a directory "a" compares as "a/"). */
int dir_dent_cmp(const void *a, const void *b);
/* Directory records' order: the root first, then walk order. */
int dir_key_cmp(const char *a, const char *b);

/* dir_carry.c */
void dir_carry_one(struct scan *s, struct cache_entry *c);
bool dir_carry_quiet(const struct scan *s, const char *rel);
void dir_carry_subtree(struct scan *s, size_t at);
size_t *dir_carry_kids_to_visit(const struct scan *s, size_t base,
    const struct dir_kid *kids, size_t nkids, size_t *n_out);
void dir_carry_kids(struct scan *s, size_t base, const struct dir_kid *kids,
    size_t nkids, size_t a, size_t b);
void dir_carry_cache_retire(struct source_dir *sd, struct scan *s,
    bool collect);
void dir_carry_dirs_retire(struct source_dir *sd, struct scan *s,
    bool partial);
void dir_carry_quiet_not_build(struct source_dir *sd, struct scan *s);
void dir_carry_quiet_not_free(struct source_dir *sd, struct scan *s);

/* dir_read.c: the files a scan visits; dir_rev.c: the revision. */
int64_t dir_ts_ns(const struct timespec *ts);
struct cache_entry *dir_cache_find(struct scan *s, const char *path);
void dir_emit(struct scan *s, const struct cache_entry *c);
bool dir_read_file(struct scan *s, int dfd, const char *name,
    const struct stat *st);
/* A cache entry's blob enters (add) or leaves (sub) the revision. */
void dir_rev_add(struct source_dir *sd, const struct source_blob *b);
void dir_rev_sub(struct source_dir *sd, const struct source_blob *b);
/* The revision of the cache as it is now. */
char *dir_rev_revision(const struct source_dir *sd);

#endif
