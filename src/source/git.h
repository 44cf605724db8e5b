/* The git source (SPEC.md §4 "git"): the tree of one commit, read
 * straight from the object database with libgit2 (never a working tree),
 * with the directory source's file rules. In watch mode the commit is the
 * tip of refs/heads/<branch>; the ref files (loose and packed-refs) are
 * watched with inotify, and with a remote the branch is fetched into a
 * private bare mirror under the state directory on a timer, on
 * source_git_refresh and at open.
 *
 * All libgit2 code of cairn lives in git.c; this header does not include
 * <git2.h>. */
#ifndef CAIRN_SOURCE_GIT_H
#define CAIRN_SOURCE_GIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source/source.h"
#include "util/diag.h"

#define SOURCE_GIT_DEFAULT_BRANCH "main"
#define SOURCE_GIT_DEFAULT_FETCH_INTERVAL_MS ((int64_t)30000)
/* Fetch failures back off exponentially, up to this (or the interval). */
#define SOURCE_GIT_MAX_BACKOFF_MS ((int64_t)5 * 60 * 1000)

struct source_git;

struct source_git_options {
	const char *repository; /* path to a bare or non-bare repository */
	const char *branch; /* NULL or "" = "main" */
	const char *path; /* subdirectory of the tree; NULL or "" = root */
	/* URL to fetch into a private mirror (https, ssh, file); NULL or ""
	 * = read repository's own refs. With a remote, repository is not
	 * read: the mirror is $state_dir/git/<hash of the URL>.git. */
	const char *remote;
	int64_t fetch_interval_ms; /* <= 0: 30 s */
	/* Credentials for the remote: an ssh private key file (else
	 * $CAIRN_GIT_SSH_KEY, else ssh-agent) and a file holding an https
	 * token (else $CAIRN_GIT_TOKEN_FILE). NULL or "" = not set. */
	const char *ssh_key_file;
	const char *token_file;
	const char *state_dir; /* NULL: $CAIRN_STATE_DIRECTORY, else
	                        * $STATE_DIRECTORY (systemd), else /var/lib/cairn */
	size_t max_file_bytes; /* 0 = 4 MiB */
	/* A revision (anything git_revparse_single takes) to read instead of
	 * the branch; it is resolved once, at open, and nothing is watched. */
	const char *rev;
	/* Running as a git hook: honour GIT_OBJECT_DIRECTORY and
	 * GIT_QUARANTINE_PATH, where a pre-receive hook finds the objects of
	 * the push it is asked about. */
	bool hook_env;
};

/* What the last scans did, for logs and tests. */
struct source_git_stats {
	size_t scans;
	size_t blobs_read; /* since open: blobs read from the object database */
	size_t blobs_cached; /* since open: files served from the blob cache */
	size_t fetches, fetch_failures; /* since open */
	unsigned consecutive_failures; /* fetches failed since the last success */
	/* The last fetch's error, NULL once one succeeds; owned by the source,
	 * valid until its next process_events. */
	const char *last_fetch_error;
};

/* Returns -1 with the reason in diags when the repository cannot be
 * opened, or rev does not name a commit. */
int source_git_open(const struct source_git_options *opts,
    struct source_git **out, struct diag_list *diags);
/* One fd for the caller's epoll (an epoll fd over the inotify fd, the
 * fetch timer and the fetch-done/refresh eventfds); borrowed. -1 for a
 * fixed revision (nothing to watch). */
int source_git_fd(const struct source_git *sg);
/* Drains what the fd reported; starts due fetches. Returns 1 when the
 * branch's ref may have moved (a rescan is due), 0 otherwise, -1 on a read
 * error (rescan to be safe). */
int source_git_process_events(struct source_git *sg);
/* Reads the tree of the branch's current commit (or the fixed revision)
 * into *out, which is overwritten and then owned by the caller (release
 * it with source_files_free even on -1). out->revision is the full commit
 * id, out->revision_subject its subject line. Files are sorted by path;
 * paths are relative to the repository root (they include `path`), and
 * the namespace is the first directory level under `path`. Returns -1,
 * with a diagnostic, when there is no commit to read (branch missing or
 * deleted, `path` missing from the commit, repository unreadable); per
 * file problems (too large) are diagnostics and leave the file out. A blob
 * whose id was seen in the previous scan is not read again. */
int source_git_scan(struct source_git *sg, struct source_files *out);
/* Asks for a fetch now (remote mode; otherwise a no-op returning 0). Safe
 * to call from any thread: it only wakes the fd, and the fetch starts in
 * the next source_git_process_events. */
int source_git_refresh(struct source_git *sg);
void source_git_close(struct source_git *sg);
/* The delta form of struct source_files (source.h), off by default: once
 * on, a scan whose commit's tree can be diffed against the tree the
 * previous scan handed out (that scan succeeded without problems) hands
 * out only the changed files and the removed paths, with delta = true;
 * else the whole revision. */
void source_git_set_delta(struct source_git *sg, bool on);

void source_git_get_stats(const struct source_git *sg,
    struct source_git_stats *out);
/* "git /srv/routes.git branch main", "git mirror of https://host/r.git
 * branch main path deploy", "git /srv/routes.git at v1.2"; no credentials
 * from the URL. Caller frees. */
char *source_git_description(const struct source_git *sg);
/* The repository actually read: the mirror in remote mode. Borrowed. */
const char *source_git_repository_path(const struct source_git *sg);

/* The ops behind struct source (atomic_commits set). */
extern const struct source_ops source_git_ops;

#endif
