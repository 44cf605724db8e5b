/* What the parts of the git source share: read (git_read.c), watch
 * (git_watch.c), fetch (git_fetch.c), history (git_history.c), and the
 * open/close and struct source glue (git.c). Not for use outside
 * src/source/. */
#ifndef CAIRN_SOURCE_GIT_INTERNAL_H
#define CAIRN_SOURCE_GIT_INTERNAL_H

#include <git2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "source/git.h"
#include "util/loop.h"

/* Deeper trees are not routing configuration (and would exhaust the stack). */
#define TREE_MAX_DEPTH 64
/* How long open waits for the first fetch before serving what the mirror
 * has; the fetch goes on in the background after that. */
#define OPEN_FETCH_WAIT_MS 30000
/* How long close waits for a running fetch to notice it was cancelled. */
#define CLOSE_FETCH_WAIT_MS 2000
/* Authentication attempts per fetch before giving up (libgit2 asks again
 * after every rejected credential). */
#define MAX_CREDENTIAL_ATTEMPTS 3
#define FETCH_REFSPEC "+refs/heads/*:refs/heads/*"

#define CHAIN_MASK                                                            \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | \
	    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* What a scan knows of one blob, by id: its size and content hash. The
 * bytes are not kept (the object database has them): a kept copy of every
 * blob was one more copy of the tree beside its parsed objects. */

struct blob_entry {
	git_oid id;
	size_t len;
	uint64_t hash;
	bool used; /* by the scan in progress */
};

/* One directory on the way to the ref file. */
struct chain_dir {
	char *rel; /* relative to the common dir; "" = the common dir */
	const char *child; /* the name below it that leads to the ref */
	int wd; /* -1 = not watched (missing) */
};

/* One fetch, shared by the watch thread and the worker thread; the last
 * one to let go frees it, so close never waits for a hung network. */
struct fetch_job {
	atomic_int refs;
	atomic_bool cancel;
	int efd; /* a dup of the source's done eventfd */
	char *mirror, *url, *refname;
	char *ssh_key, *token_file; /* credentials, NULL = none */
	int credential_attempts;
	pthread_t thread;
	/* Results, written by the worker before it signals efd. */
	int rc;
	char *error;
	bool moved; /* the branch's tip changed */
	bool gone; /* the branch is not in the mirror after the fetch */
};

struct source_git {
	char *repo_path; /* what is read: the repository or the mirror */
	char *branch, *refname;
	char *subdir; /* normalised `path`, "" = root */
	char *remote; /* NULL = local refs */
	char *remote_display; /* remote without credentials, for logs */
	int64_t fetch_interval_ms;
	size_t max_file_bytes;
	bool hook_env;
	bool fixed; /* a revision given at open; nothing watched */
	char *rev; /* as given, for the description */
	git_oid fixed_oid;

	git_repository *repo;
	git_odb *odb;

	/* Last scan. */
	bool have_last, last_ok;
	git_oid last_oid;
	/* The delta form (source_git_set_delta): the tree the last scan
	 * handed out, diffed against the next commit's. have_tree is false
	 * when the last scan failed or reported problems (a delta would not
	 * repeat them). */
	bool delta, have_tree;
	git_oid last_tree;
	struct blob_entry *cache; /* sorted by id */
	size_t ncache;
	struct source_git_stats stats;

	/* Events. */
	/* The source's own loop; its fd is what the caller watches. */
	struct loop *loop;
	struct loop_timer *fetch_timer; /* paces fetches (remote) */
	int ifd, done_efd, refresh_efd;
	/* What the loop's callbacks saw in one process_events round. */
	int round_rc;
	bool round_due;
	struct chain_dir *chain;
	size_t nchain;

	/* Remote. */
	char *ssh_key, *token_file;
	struct fetch_job *job; /* running fetch, or NULL */
	bool refresh_wanted; /* a fetch was asked for while one ran */
	unsigned failures; /* consecutive failed fetches */
	char *last_fetch_error;
};

static inline void
git_diag(struct diag_list *diags, const char *file, const char *fmt,
    const char *what)
{
	const git_error *e = git_error_last();

	diag_add(diags, DIAG_ERROR, file, 0, 0, fmt, what,
	    e && e->message ? e->message : "unknown libgit2 error");
}

static inline const char *
git_errmsg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static inline int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline bool
efd_take(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof v) == (ssize_t)sizeof v;
}

/* git_read.c */
int source_git_repo_open(struct source_git *sg, struct diag_list *diags);
void source_git_blobs_free(struct blob_entry *b, size_t n);

/* git_history.c: source_files.claim_age */
size_t source_git_claim_age(void *history, const char *revision,
    const char *path, size_t max,
    bool (*holds)(void *ctx, const char *data, size_t len), void *ctx);

/* git_watch.c */
int source_git_events_setup(struct source_git *sg, struct diag_list *diags);
void source_git_chain_free(struct source_git *sg);

/* git_fetch.c */
int source_git_fetch_start(struct source_git *sg);
/* Collects a finished fetch. Returns 1 if the branch moved. */
int source_git_fetch_finish(struct source_git *sg);
void source_git_timer_arm(struct source_git *sg, int64_t ms);
int64_t source_git_backoff_ms(const struct source_git *sg);
char *source_git_url_display(const char *url);
int source_git_mirror_prepare(struct source_git *sg,
    const struct source_git_options *o, struct diag_list *diags);
void source_git_fetch_initial(struct source_git *sg);
void source_git_fetch_abandon(struct source_git *sg);

#endif
