/* What every source (directory, git) hands to the loader: the files of
 * one revision, in sorted path order. */
#ifndef CAIRN_SOURCE_SOURCE_H
#define CAIRN_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

/* The largest file a source reads unless configured (source.max-file-bytes). */
#define SOURCE_DEFAULT_MAX_FILE_BYTES ((size_t)4 << 20)

/* One file's path, namespace and bytes, shared by a source's cache and
 * every file list it hands out: a rescan of 10,000 files copies none of
 * them. Immutable once made, except that its bytes may be released
 * (source_blob_release_bytes); refcounted. */
struct source_bytes_block;
struct source_blob {
	unsigned refs; /* the watch thread's only: not atomic */
	char *path, *ns, *data;
	size_t len;
	uint64_t hash;
	/* data lives in this block of a source_bytes_pool, or NULL: data
	 * is its own allocation. */
	struct source_bytes_block *block;
};

/* Where a source keeps files' bytes it may release (source_blob_release_bytes):
 * blocks of many files' bytes, each unmapped when its last file's bytes
 * are released. Bytes malloc'd one file at a time would be freed as
 * holes between the live path and namespace of each blob, which the heap
 * can neither shrink nor give back. Zero-initialise; one owner thread. */
struct source_bytes_pool {
	struct source_bytes_block *filling; /* NULL until the first file */
};
/* Moves b's bytes into the pool (small files; larger ones keep their own
 * allocation, which is given back to the kernel when freed). */
void source_blob_pool_bytes(struct source_blob *b, struct source_bytes_pool *pool);
/* The pool lets go of the block it fills; blocks live on while a blob's
 * bytes are in them. */
void source_bytes_pool_free(struct source_bytes_pool *pool);

/* Takes ownership of data (NUL-terminated, len bytes before the NUL);
 * copies path and ns. refs = 1. */
struct source_blob *source_blob_new(const char *path, const char *ns,
    char *data, size_t len, uint64_t hash);
struct source_blob *source_blob_ref(struct source_blob *b);
void source_blob_unref(struct source_blob *b);
/* Frees b's bytes once nothing will read them again: data becomes NULL;
 * path, ns, len and hash stay. Consumers read a file's bytes only when its
 * hash is new to them, and a source that hands such a blob out again
 * compares it with a fresh read by hash (source/dir.c), so the bytes of
 * every file of a tree need not stay beside its parsed objects. */
void source_blob_release_bytes(struct source_blob *b);

struct source_file {
	char *path; /* relative to the root, '/'-separated */
	char *ns; /* first directory level, or "default" */
	char *data; /* NUL-terminated copy of the contents */
	size_t len;
	uint64_t hash; /* hash_bytes(data, len) */
	/* When set, path, ns and data belong to this blob (one reference
	 * held by the file list) and must not be freed or changed; when
	 * NULL, the list owns them. Zero-initialise files you make. */
	struct source_blob *blob;
};

/* A file of a list that borrows b's bytes (takes a reference). */
void source_file_from_blob(struct source_file *f, struct source_blob *b);

struct source_files {
	struct source_file *files; /* sorted by path */
	size_t n, cap;
	char *revision; /* commit id (git) or a content hash (directory) */
	char *revision_subject; /* git: the commit's subject line; else NULL */
	struct diag_list diags; /* unreadable files, loops, oversized files */
	/* git: history of the files (SPEC §6a: the commit that introduced a
	 * claim); NULL for directories. How many first-parent commits before
	 * revision the file at path existed with each version satisfying
	 * holds() (versions equal to a newer one are not asked again), at
	 * most max. history is the source's; valid while it is open. */
	size_t (*claim_age)(void *history, const char *revision, const char *path,
	    size_t max, bool (*holds)(void *ctx, const char *data, size_t len),
	    void *ctx);
	void *history;
	/* So that a rebuild costs what changed. false: `files` is the whole
	 * revision (first scan, inotify overflow, SIGHUP, a new git commit
	 * the source could not diff, or a source that cannot tell). true:
	 * `files` holds only the files added or changed since the previous
	 * scan this source handed out, and `removed` the sorted paths gone
	 * since then; every other file is the same as before. Consumers must
	 * accept both; a source may always answer with the whole revision. */
	bool delta;
	char **removed;
	size_t n_removed;
};

void source_files_free(struct source_files *sf);
/* Releases the bytes of sf's files that share a source's cache (blob set)
 * unless needed(ctx, file) says a consumer will still read them; their
 * data becomes NULL in sf too (another list handed out earlier with the
 * same blobs must not read its bytes after this). Files sf owns are left
 * alone. */
void source_files_release_bytes(struct source_files *sf,
    bool (*needed)(void *ctx, const struct source_file *f), void *ctx);

/* A source of either kind behind one interface, so the serve loop and the
 * one-shot commands do not care where files come from. */
struct cairn_config;
struct source;

/* How a source's fetches from a remote go. */
struct source_fetch_stats {
	uint64_t fetches, failures; /* since open */
	unsigned consecutive_failures; /* 0: the last fetch worked */
	/* The last fetch's error, NULL once one succeeds; the source's,
	 * valid until its next process_events. */
	const char *last_error;
};

struct source_ops {
	int (*fd)(const void *impl); /* pollable fd, or -1 */
	/* Drain events: 1 = something changed (rescan), 0 = nothing, -1 = error
	 * (callers rescan to be safe). */
	int (*process_events)(void *impl);
	int (*scan)(void *impl, struct source_files *out);
	int (*refresh)(void *impl); /* fetch a remote now; may be NULL */
	void (*close)(void *impl);
	/* Whether later scans may hand out the delta form (see
	 * source_files.delta); may be NULL (always the whole revision). */
	void (*set_delta)(void *impl, bool on);
	/* Fetch counters; false when the source fetches nothing. May be
	 * NULL (never fetches). */
	bool (*fetch_stats)(const void *impl, struct source_fetch_stats *out);
	/* A new source reading revision rev from where this one reads,
	 * without fetching (a remote's mirror); -1 with the reason in diags.
	 * May be NULL (the source has no revisions). */
	int (*open_revision)(const void *impl, const char *rev,
	    struct source **out, struct diag_list *diags);
	/* Every scan is one consistent revision (a git commit) that must be
	 * applied whole: if any file of it fails to parse, the caller keeps
	 * serving the previous revision instead of mixing per-file last good
	 * versions into it (SPEC §4 "git"). False for directories. */
	bool atomic_commits;
};

struct source {
	const struct source_ops *ops;
	void *impl;
	char *description; /* "directory /etc/cairn/resources", ... */
};

/* Open the source the config names (source.directory or source.git).
 * rev: for one-shot commands, a git revision to read instead of the branch
 * (NULL = the branch). Returns -1 with the reason in diags. */
int source_open(const struct cairn_config *cfg, const char *rev,
    struct source **out, struct diag_list *diags);
int source_fd(const struct source *s);
int source_process_events(struct source *s);
int source_scan(struct source *s, struct source_files *out);
int source_refresh(struct source *s);
/* Off by default: every scan hands out the whole revision. On: scans
 * that follow a change the source could follow (inotify events, a new
 * commit whose tree can be diffed) hand out the delta form. */
void source_set_delta(struct source *s, bool on);
bool source_fetch_stats(const struct source *s, struct source_fetch_stats *out);
/* See source_ops.open_revision; -1 with a diagnostic for a source without
 * revisions. */
int source_open_revision(const struct source *s, const char *rev,
    struct source **out, struct diag_list *diags);
/* Wraps an implementation; takes ownership of impl and description. */
struct source *source_new(const struct source_ops *ops, void *impl,
    char *description);
void source_close(struct source *s);
/* The namespace a relative path belongs to. */
char *source_namespace_of(const char *relpath);

#endif
