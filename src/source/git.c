/* The git source: one commit's tree, read from the object database with
 * libgit2, and what tells the caller that the branch moved.
 *
 * Reading. The branch is resolved to a commit on every scan; its tree (or
 * the `path` subtree) is walked depth first. Git sorts tree entries the way
 * the directory source sorts siblings (a directory "a" as "a/"), so the
 * walk yields paths in byte-wise order. A cache maps blob ids to their
 * contents and hashes: a blob whose id the previous scan saw is not read
 * again, and the pipeline, which keys its parse cache on the content hash,
 * does not parse it again either. Only blobs of the last scan are kept.
 *
 * Watching (local refs). inotify on the chain of directories that holds the
 * ref file (the git dir, refs, refs/heads, refs/heads/<dirs of the branch
 * name>): git updates a ref by writing <ref>.lock and renaming it over the
 * ref, deletes loose refs, and rewrites packed-refs by the same rename
 * dance, so IN_MOVED_TO / IN_DELETE / IN_CREATE of the ref's name, of
 * packed-refs or of a directory on the chain is all there is to see.
 * Directories on the chain that appear later (refs/heads/team/ for the
 * branch team/x) are watched as they appear.
 *
 * Remote mode. A private bare mirror under the state directory is fetched
 * (every branch, pruned; see FETCH_REFSPEC) by a worker thread, so a slow remote
 * never stalls the watch thread; the thread reports through an eventfd. A
 * timerfd paces fetches (fetch-interval, or an exponential backoff after
 * failures). The caller sees one epoll fd over all of these. */
#include "source/git.h"
#include "source/lastgood.h"

#include <errno.h>
#include <git2.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "source/dir.h"
#include "source/names.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

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

/* Contents of one blob, by id. */
struct blob_entry {
	git_oid id;
	char *data; /* NUL-terminated */
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
	int epfd, ifd, tfd, done_efd, refresh_efd;
	struct chain_dir *chain;
	size_t nchain;

	/* Remote. */
	char *ssh_key, *token_file;
	struct fetch_job *job; /* running fetch, or NULL */
	bool refresh_wanted; /* a fetch was asked for while one ran */
	unsigned failures; /* consecutive failed fetches */
	char *last_fetch_error;
};

static void
git_diag(struct diag_list *diags, const char *file, const char *fmt,
    const char *what)
{
	const git_error *e = git_error_last();

	diag_add(diags, DIAG_ERROR, file, 0, 0, fmt, what,
	    e && e->message ? e->message : "unknown libgit2 error");
}

static const char *
git_errmsg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- blob cache -------------------------------------------------------- */

static int
blob_cmp(const void *a, const void *b)
{
	const struct blob_entry *x = a, *y = b;

	return git_oid_cmp(&x->id, &y->id);
}

static struct blob_entry *
cache_find(const struct source_git *sg, const git_oid *id)
{
	struct blob_entry key;

	if (sg->ncache == 0)
		return NULL;
	git_oid_cpy(&key.id, id);
	return bsearch(&key, sg->cache, sg->ncache, sizeof sg->cache[0],
	    blob_cmp);
}

static void
blobs_free(struct blob_entry *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(b[i].data);
	free(b);
}

/* The next cache: the old entries this scan used and the blobs it read. */
static void
cache_rotate(struct source_git *sg, struct blob_entry *fresh, size_t nfresh)
{
	struct blob_entry *next = NULL;
	size_t n = 0, cap = 0, j = 0;

	for (size_t i = 0; i < sg->ncache; i++) {
		if (sg->cache[i].used) {
			sg->cache[i].used = false;
			ARRAY_PUSH(next, n, cap, sg->cache[i]);
		} else {
			free(sg->cache[i].data);
		}
	}
	for (size_t i = 0; i < nfresh; i++)
		ARRAY_PUSH(next, n, cap, fresh[i]);
	free(fresh);
	free(sg->cache);
	if (n > 1)
		qsort(next, n, sizeof next[0], blob_cmp);
	/* The same blob read twice in one scan (two paths): keep one. */
	for (size_t i = 0; i < n; i++) {
		if (j > 0 && git_oid_equal(&next[j - 1].id, &next[i].id)) {
			free(next[i].data);
			continue;
		}
		next[j++] = next[i];
	}
	sg->cache = next;
	sg->ncache = j;
}

static void
cache_unmark(struct source_git *sg)
{
	for (size_t i = 0; i < sg->ncache; i++)
		sg->cache[i].used = false;
}

/* --- reading a commit -------------------------------------------------- */

struct walk {
	struct source_git *sg;
	struct source_files *out;
	struct strbuf path; /* repository-relative path of the entry */
	size_t root_len; /* bytes of path that are `path` and its '/' */
	struct blob_entry *fresh; /* blobs read by this scan */
	size_t nfresh, capfresh;
	bool odb_trouble; /* an object could not be read */
	/* Reading a tree diff: the blob cache (the last whole revision's)
	 * is looked up but not changed. */
	bool delta;
};

static void
path_set_len(struct walk *w, size_t len)
{
	if (w->path.buf) {
		w->path.len = len;
		w->path.buf[len] = '\0';
	}
}

static void
path_push(struct walk *w, size_t base, const char *name)
{
	path_set_len(w, base);
	if (base)
		strbuf_putc(&w->path, '/');
	strbuf_puts(&w->path, name);
}

static void
emit(struct walk *w, const struct blob_entry *b)
{
	const char *full = w->path.buf;
	struct source_file f = {
		.path = xstrdup(full),
		.ns = source_namespace_of(full + w->root_len),
		.data = xmemdup(b->data, b->len + 1),
		.len = b->len,
		.hash = b->hash,
	};

	ARRAY_PUSH(w->out->files, w->out->n, w->out->cap, f);
}

static void
read_blob(struct walk *w, const git_oid *id)
{
	struct source_git *sg = w->sg;
	struct blob_entry *c = cache_find(sg, id), b;
	git_object_t type;
	git_blob *blob;
	size_t size;

	if (c != NULL) {
		if (!w->delta)
			c->used = true;
		sg->stats.blobs_cached++;
		emit(w, c);
		return;
	}
	/* The header alone tells the size: an oversized blob is never
	 * inflated. */
	if (git_odb_read_header(&size, &type, sg->odb, id) < 0) {
		w->odb_trouble = true;
		diag_add(&w->out->diags, DIAG_ERROR, w->path.buf, 0, 0,
		    "cannot read blob %s: %s", git_oid_tostr_s(id), git_errmsg());
		return;
	}
	if (size > sg->max_file_bytes) {
		diag_add(&w->out->diags, DIAG_ERROR, w->path.buf, 0, 0,
		    "file is %zu bytes, more than max-file-bytes (%zu); not read",
		    size, sg->max_file_bytes);
		return;
	}
	if (git_blob_lookup(&blob, sg->repo, id) < 0) {
		w->odb_trouble = true;
		diag_add(&w->out->diags, DIAG_ERROR, w->path.buf, 0, 0,
		    "cannot read blob %s: %s", git_oid_tostr_s(id), git_errmsg());
		return;
	}
	b = (struct blob_entry){ .len = (size_t)git_blob_rawsize(blob) };
	git_oid_cpy(&b.id, id);
	b.data = xmalloc(b.len + 1);
	memcpy(b.data, git_blob_rawcontent(blob), b.len);
	b.data[b.len] = '\0';
	b.hash = hash_bytes(b.data, b.len);
	git_blob_free(blob);
	sg->stats.blobs_read++;
	emit(w, &b);
	if (w->delta)
		free(b.data);
	else
		ARRAY_PUSH(w->fresh, w->nfresh, w->capfresh, b);
}

static void
walk_tree(struct walk *w, const git_tree *tree, int depth)
{
	size_t n = git_tree_entrycount(tree), base = w->path.len;

	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_tree *sub;

		/* Same rules as the directory source: hidden names and editor
		 * leftovers are skipped, directories included. */
		if (source_name_ignored(name))
			continue;
		path_push(w, base, name);
		switch (git_tree_entry_type(e)) {
		case GIT_OBJECT_TREE:
			if (depth + 1 >= TREE_MAX_DEPTH) {
				diag_add(&w->out->diags, DIAG_ERROR, w->path.buf,
				    0, 0, "directories nested deeper than %d "
				    "levels; not read", TREE_MAX_DEPTH);
				break;
			}
			if (git_tree_lookup(&sub, w->sg->repo,
			    git_tree_entry_id(e)) < 0) {
				w->odb_trouble = true;
				diag_add(&w->out->diags, DIAG_ERROR, w->path.buf,
				    0, 0, "cannot read tree %s: %s",
				    git_oid_tostr_s(git_tree_entry_id(e)),
				    git_errmsg());
				break;
			}
			walk_tree(w, sub, depth + 1);
			git_tree_free(sub);
			break;
		case GIT_OBJECT_BLOB:
			if (!source_name_is_yaml(name))
				break;
			if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
				/* Its target could lie outside the tree or the
				 * commit; a commit must be self-contained. */
				diag_add(&w->out->diags, DIAG_WARNING,
				    w->path.buf, 0, 0, "symbolic link in a git "
				    "tree; not followed, not read");
				break;
			}
			read_blob(w, git_tree_entry_id(e));
			break;
		default:
			break; /* submodules: another repository's commit */
		}
		path_set_len(w, base);
	}
}

static int
file_cmp(const void *a, const void *b)
{
	const struct source_file *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static int
str_cmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether walk_tree would hand out the file at path (relative to the tree
 * read): 1 yes, 0 no, -1 it would report it too deep. */
static int
path_read(const char *path)
{
	const char *name = path;
	size_t depth = 0;

	for (const char *p = path;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char *part = xstrndup(name, (size_t)(p - name));
			bool ignored = source_name_ignored(part);

			if (*p == '\0' && !ignored)
				ignored = !source_name_is_yaml(part);
			free(part);
			if (ignored)
				return 0;
		}
		if (*p == '\0')
			break;
		depth++;
		name = p + 1;
	}
	return depth >= TREE_MAX_DEPTH ? -1 : 1;
}

static bool
mode_is_file(uint16_t mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

/* Drops from the sorted removed list the paths also handed out as files
 * (a path deleted and added again, e.g. a type change). */
static void
removed_prune(struct source_files *out)
{
	size_t j = 0, k = 0;

	for (size_t i = 0; i < out->n_removed; i++) {
		int c = 1;

		while (k < out->n &&
		    (c = strcmp(out->files[k].path, out->removed[i])) < 0)
			k++;
		if (k < out->n && c == 0) {
			free(out->removed[i]);
			continue;
		}
		out->removed[j++] = out->removed[i];
	}
	out->n_removed = j;
}

/* The files of tree that differ from old's, and the paths gone since:
 * libgit2's tree diff skips every subtree whose id did not change, so the
 * work is the change's. Returns false when the change holds something
 * only a whole walk reports (a symbolic link, a file too large or too
 * deep, an unreadable object): the caller then walks the whole tree. */
static bool
walk_delta(struct walk *w, const git_tree *old, const git_tree *tree)
{
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	size_t base = w->path.len, cap = 0, n;
	git_diff *diff = NULL;
	bool ok = true;

	if (git_diff_tree_to_tree(&diff, w->sg->repo, (git_tree *)old,
	    (git_tree *)tree, &opts) < 0)
		return false;
	w->delta = true;
	n = git_diff_num_deltas(diff);
	for (size_t i = 0; i < n && ok; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		bool was = d->status != GIT_DELTA_ADDED &&
		    mode_is_file(d->old_file.mode) &&
		    path_read(d->old_file.path) == 1;
		int now = d->status == GIT_DELTA_DELETED ? 0 :
		    path_read(d->new_file.path);
		size_t ndiags = w->out->diags.n;

		if (now == -1 ||
		    (now == 1 && d->new_file.mode == GIT_FILEMODE_LINK)) {
			ok = false;
			break;
		}
		if (now == 1 && mode_is_file(d->new_file.mode)) {
			path_push(w, base, d->new_file.path);
			read_blob(w, &d->new_file.id);
			ok = w->out->diags.n == ndiags && !w->odb_trouble;
		} else if (was) {
			path_push(w, base, d->old_file.path);
			ARRAY_PUSH(w->out->removed, w->out->n_removed, cap,
			    xstrdup(w->path.buf));
		}
		path_set_len(w, base);
	}
	git_diff_free(diff);
	w->delta = false;
	if (!ok) {
		/* Undo: the whole walk starts from an empty list. */
		for (size_t i = 0; i < w->out->n; i++) {
			free(w->out->files[i].path);
			free(w->out->files[i].ns);
			free(w->out->files[i].data);
		}
		w->out->n = 0;
		for (size_t i = 0; i < w->out->n_removed; i++)
			free(w->out->removed[i]);
		w->out->n_removed = 0;
		diag_list_free(&w->out->diags);
		diag_list_init(&w->out->diags);
		w->odb_trouble = false;
		return false;
	}
	if (w->out->n > 1)
		qsort(w->out->files, w->out->n, sizeof w->out->files[0],
		    file_cmp);
	if (w->out->n_removed > 1)
		qsort(w->out->removed, w->out->n_removed,
		    sizeof w->out->removed[0], str_cmp_ptr);
	removed_prune(w->out);
	w->out->delta = true;
	return true;
}

/* The commit the scan reads: the fixed revision or the branch's tip. */
static int
resolve_commit(struct source_git *sg, git_oid *out)
{
	if (sg->fixed) {
		git_oid_cpy(out, &sg->fixed_oid);
		return 0;
	}
	return git_reference_name_to_id(out, sg->repo, sg->refname);
}

static void
branch_missing(struct source_git *sg, struct diag_list *diags)
{
	if (sg->remote && sg->last_fetch_error)
		diag_add(diags, DIAG_ERROR, "", 0, 0,
		    "git %s: branch \"%s\" is not in the mirror of %s (the last "
		    "fetch failed: %s)", sg->repo_path, sg->branch,
		    sg->remote_display, sg->last_fetch_error);
	else if (sg->remote)
		diag_add(diags, DIAG_ERROR, "", 0, 0,
		    "git %s: the remote %s has no branch \"%s\"", sg->repo_path,
		    sg->remote_display, sg->branch);
	else
		diag_add(diags, DIAG_ERROR, "", 0, 0,
		    "git %s: branch \"%s\" does not exist (%s)", sg->repo_path,
		    sg->branch, sg->have_last ? "deleted?" :
		    "push or commit to it first");
}

/* source_files.claim_age: walk first parents back from revision while
 * path exists and each different version of it still holds() (SPEC §6a:
 * the first-seen order of claims in git mode is the history's). */
static size_t
git_claim_age(void *history, const char *revision, const char *path,
    size_t max, bool (*holds)(void *ctx, const char *data, size_t len),
    void *ctx)
{
	struct source_git *sg = history;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_oid oid, blob;
	size_t age = 0;

	if (git_oid_fromstr(&oid, revision) < 0 ||
	    git_commit_lookup(&commit, sg->repo, &oid) < 0)
		return 0;
	if (git_commit_tree(&tree, commit) < 0 ||
	    git_tree_entry_bypath(&entry, tree, path) < 0)
		goto done;
	git_oid_cpy(&blob, git_tree_entry_id(entry));
	while (age < max) {
		git_commit *parent = NULL;

		git_tree_entry_free(entry);
		entry = NULL;
		git_tree_free(tree);
		tree = NULL;
		if (git_commit_parentcount(commit) == 0 ||
		    git_commit_parent(&parent, commit, 0) < 0)
			break;
		git_commit_free(commit);
		commit = parent;
		if (git_commit_tree(&tree, commit) < 0 ||
		    git_tree_entry_bypath(&entry, tree, path) < 0 ||
		    git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
			break;
		if (!git_oid_equal(&blob, git_tree_entry_id(entry))) {
			git_blob *b = NULL;
			bool ok;

			if (git_blob_lookup(&b, sg->repo, git_tree_entry_id(entry)) < 0)
				break;
			ok = git_blob_rawsize(b) <= (git_object_size_t)sg->max_file_bytes &&
			    holds(ctx, git_blob_rawcontent(b),
			    (size_t)git_blob_rawsize(b));
			git_blob_free(b);
			if (!ok)
				break;
			git_oid_cpy(&blob, git_tree_entry_id(entry));
		}
		age++;
	}
done:
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return age;
}

/* One attempt at reading the commit; *trouble is set when the object
 * database let us down (worth a retry with a freshly opened repository). */
static int
scan_once(struct source_git *sg, struct source_files *out, git_oid *oid,
    bool *trouble)
{
	struct walk w = { .sg = sg, .out = out };
	git_commit *commit = NULL;
	git_tree *root = NULL, *tree = NULL;
	git_tree_entry *entry = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	const char *subject;
	bool delta = false, diffable = sg->delta && sg->have_tree;
	int err, rc = -1;

	*trouble = false;
	sg->have_tree = false; /* until this scan succeeds */
	err = resolve_commit(sg, oid);
	if (err == GIT_ENOTFOUND) {
		branch_missing(sg, &out->diags);
		return -1;
	}
	if (err < 0) {
		git_diag(&out->diags, "", "git %s: cannot resolve the branch: %s",
		    sg->repo_path);
		*trouble = true;
		return -1;
	}
	git_oid_tostr(hex, sizeof hex, oid);
	if (git_commit_lookup(&commit, sg->repo, oid) < 0 ||
	    git_commit_tree(&root, commit) < 0) {
		diag_add(&out->diags, DIAG_ERROR, "", 0, 0,
		    "git %s: cannot read commit %s: %s", sg->repo_path, hex,
		    git_errmsg());
		*trouble = true;
		goto done;
	}
	if (sg->subdir[0] == '\0') {
		tree = root;
		root = NULL;
	} else {
		err = git_tree_entry_bypath(&entry, root, sg->subdir);
		if (err == GIT_ENOTFOUND ||
		    (err == 0 && git_tree_entry_type(entry) != GIT_OBJECT_TREE)) {
			diag_add(&out->diags, DIAG_ERROR, sg->subdir, 0, 0,
			    "git: commit %.12s has no directory \"%s\" (the "
			    "configured path)", hex, sg->subdir);
			goto done;
		}
		if (err < 0 || git_tree_lookup(&tree, sg->repo,
		    git_tree_entry_id(entry)) < 0) {
			diag_add(&out->diags, DIAG_ERROR, sg->subdir, 0, 0,
			    "git: cannot read \"%s\" in commit %.12s: %s",
			    sg->subdir, hex, git_errmsg());
			*trouble = true;
			goto done;
		}
		strbuf_puts(&w.path, sg->subdir);
		w.root_len = w.path.len + 1;
	}
	if (diffable) {
		git_tree *old = NULL;

		if (git_tree_lookup(&old, sg->repo, &sg->last_tree) == 0 &&
		    walk_delta(&w, old, tree))
			delta = true;
		git_tree_free(old);
	}
	if (!delta)
		walk_tree(&w, tree, 0);
	*trouble = w.odb_trouble;

	for (size_t i = 1; i < out->n; i++) {
		if (strcmp(out->files[i - 1].path, out->files[i].path) >= 0) {
			/* Only a malformed tree is out of order. */
			qsort(out->files, out->n, sizeof out->files[0], file_cmp);
			break;
		}
	}
	out->revision = xstrdup(hex);
	out->claim_age = git_claim_age;
	out->history = sg;
	subject = git_commit_summary(commit);
	out->revision_subject = xstrdup(subject ? subject : "");
	rc = 0;
done:
	if (rc == 0 && !w.odb_trouble) {
		if (!delta)
			cache_rotate(sg, w.fresh, w.nfresh);
		sg->have_tree = out->diags.n == 0;
		git_oid_cpy(&sg->last_tree, git_tree_id(tree));
	} else {
		blobs_free(w.fresh, w.nfresh);
		cache_unmark(sg);
	}
	strbuf_free(&w.path);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_tree_free(root);
	git_commit_free(commit);
	return rc;
}

static int
repo_open(struct source_git *sg, struct diag_list *diags)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;

	if (git_repository_open_ext(&repo, sg->repo_path,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		git_diag(diags, "", "git repository %s: %s", sg->repo_path);
		return -1;
	}
	if (git_repository_odb(&odb, repo) < 0) {
		git_diag(diags, "", "git repository %s: %s", sg->repo_path);
		git_repository_free(repo);
		return -1;
	}
	if (sg->hook_env) {
		/* In a pre-receive hook the pushed objects are still in a
		 * quarantine directory that git names in the environment. */
		const char *env[] = { "GIT_OBJECT_DIRECTORY",
			"GIT_QUARANTINE_PATH" };
		const char *seen = NULL;

		for (size_t i = 0; i < nitems(env); i++) {
			const char *dir = getenv(env[i]);

			if (dir == NULL || dir[0] == '\0' ||
			    (seen && strcmp(seen, dir) == 0))
				continue;
			seen = dir;
			if (git_odb_add_disk_alternate(odb, dir) < 0) {
				git_diag(diags, "", "git objects in %s: %s", dir);
				git_odb_free(odb);
				git_repository_free(repo);
				return -1;
			}
		}
	}
	git_odb_free(sg->odb);
	git_repository_free(sg->repo);
	sg->repo = repo;
	sg->odb = odb;
	return 0;
}

int
source_git_scan(struct source_git *sg, struct source_files *out)
{
	bool trouble;
	git_oid oid;
	int rc;

	memset(out, 0, sizeof *out);
	sg->stats.scans++;
	rc = scan_once(sg, out, &oid, &trouble);
	if (trouble) {
		/* `git gc` may have replaced the packs this handle knows:
		 * read once more through a fresh one. */
		struct diag_list diags;

		diag_list_init(&diags);
		if (repo_open(sg, &diags) == 0) {
			source_files_free(out);
			rc = scan_once(sg, out, &oid, &trouble);
		}
		diag_list_free(&diags);
	}
	diag_list_sort(&out->diags);
	sg->last_ok = rc == 0;
	if (rc == 0) {
		git_oid_cpy(&sg->last_oid, &oid);
		sg->have_last = true;
		log_debug("git %s: commit %s, %zu files (%zu blobs read so far, "
		    "%zu from cache)", sg->repo_path, out->revision, out->n,
		    sg->stats.blobs_read, sg->stats.blobs_cached);
	}
	return rc;
}

void
source_git_set_delta(struct source_git *sg, bool on)
{
	sg->delta = on;
}

/* --- watching local refs ---------------------------------------------- */

static void
chain_free(struct source_git *sg)
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

/* --- remote: fetching into the mirror ---------------------------------- */

static void
job_release(struct fetch_job *job)
{
	if (atomic_fetch_sub(&job->refs, 1) != 1)
		return;
	if (job->efd >= 0)
		close(job->efd);
	free(job->mirror);
	free(job->url);
	free(job->refname);
	free(job->ssh_key);
	free(job->token_file);
	free(job->error);
	free(job);
}

static char *
read_token(const char *path)
{
	FILE *fp = fopen(path, "re");
	char buf[4096];
	size_t len;

	if (fp == NULL)
		return NULL;
	len = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	return len ? xstrdup(buf) : NULL;
}

/* ssh: the key file from the config (or CAIRN_GIT_SSH_KEY), else
 * ssh-agent. https: the token file's contents as the password. */
static int
fetch_credentials(git_credential **out, const char *url,
    const char *user_from_url, unsigned int allowed, void *payload)
{
	struct fetch_job *job = payload;
	const char *user = user_from_url && user_from_url[0] ?
	    user_from_url : "git";

	(void)url;
	if (atomic_load(&job->cancel) ||
	    ++job->credential_attempts > MAX_CREDENTIAL_ATTEMPTS) {
		git_error_set_str(GIT_ERROR_NET, "authentication failed "
		    "(credentials rejected)");
		return GIT_EUSER;
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (job->ssh_key)
			return git_credential_ssh_key_new(out, user, NULL,
			    job->ssh_key, NULL);
		return git_credential_ssh_key_from_agent(out, user);
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && job->token_file) {
		char *token = read_token(job->token_file);
		int rc;

		if (token == NULL) {
			char msg[512];

			snprintf(msg, sizeof msg, "cannot read the token file %s",
			    job->token_file);
			git_error_set_str(GIT_ERROR_NET, msg);
			return GIT_EUSER;
		}
		rc = git_credential_userpass_plaintext_new(out,
		    user_from_url && user_from_url[0] ? user_from_url :
		    "x-access-token", token);
		memset(token, 0, strlen(token));
		free(token);
		return rc;
	}
	return GIT_PASSTHROUGH;
}

static int
fetch_progress(const git_indexer_progress *stats, void *payload)
{
	struct fetch_job *job = payload;

	(void)stats;
	return atomic_load(&job->cancel) ? -1 : 0;
}

static int
fetch_sideband(const char *str, int len, void *payload)
{
	struct fetch_job *job = payload;

	(void)str;
	(void)len;
	return atomic_load(&job->cancel) ? -1 : 0;
}

static void
fetch_run(struct fetch_job *job)
{
	char *refspec = FETCH_REFSPEC;
	git_strarray refspecs = { &refspec, 1 };
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_oid before, after;
	bool had_before, has_after;

	job->rc = -1;
	/* Anonymous, and without url.*.insteadOf: the mirror's config is
	 * ours and has none, and libgit2 1.5 leaks a regex match block for
	 * every config entry that lookup visits (fixed in libgit2 1.6). */
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_repository_open_bare(&repo, job->mirror) < 0) {
		job->error = xstrdup(git_errmsg());
		goto done;
	}
	ro.repository = repo;
	if (git_remote_create_with_opts(&remote, job->url, &ro) < 0) {
		job->error = xstrdup(git_errmsg());
		goto done;
	}
	had_before = git_reference_name_to_id(&before, repo, job->refname) == 0;
	fo.callbacks.credentials = fetch_credentials;
	fo.callbacks.transfer_progress = fetch_progress;
	fo.callbacks.sideband_progress = fetch_sideband;
	fo.callbacks.payload = job;
	fo.prune = GIT_FETCH_PRUNE; /* a branch deleted upstream goes */
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_remote_fetch(remote, &refspecs, &fo, "cairn: fetch") < 0) {
		job->error = xstrdup(atomic_load(&job->cancel) ? "cancelled" :
		    git_errmsg());
		goto done;
	}
	has_after = git_reference_name_to_id(&after, repo, job->refname) == 0;
	job->gone = !has_after;
	job->moved = had_before != has_after ||
	    (has_after && !git_oid_equal(&before, &after));
	job->rc = 0;
done:
	git_remote_free(remote);
	git_repository_free(repo);
}

static void *
fetch_thread(void *arg)
{
	struct fetch_job *job = arg;
	uint64_t one = 1;

	git_libgit2_init();
	fetch_run(job);
	git_libgit2_shutdown();
	if (write(job->efd, &one, sizeof one) < 0)
		log_error("git fetch: eventfd: %s", strerror(errno));
	job_release(job);
	return NULL;
}

static void
timer_arm(struct source_git *sg, int64_t ms)
{
	struct itimerspec its = { 0 };

	if (ms < 1)
		ms = 1;
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000;
	timerfd_settime(sg->tfd, 0, &its, NULL);
}

static int
fetch_start(struct source_git *sg)
{
	struct fetch_job *job = xcalloc(1, sizeof *job);
	sigset_t all, old;
	int rc;

	atomic_init(&job->refs, 2); /* ours and the thread's */
	atomic_init(&job->cancel, false);
	job->efd = dup(sg->done_efd);
	job->mirror = xstrdup(sg->repo_path);
	job->url = xstrdup(sg->remote);
	job->refname = xstrdup(sg->refname);
	job->ssh_key = sg->ssh_key ? xstrdup(sg->ssh_key) : NULL;
	job->token_file = sg->token_file ? xstrdup(sg->token_file) : NULL;
	if (job->efd < 0) {
		log_error("git fetch: dup: %s", strerror(errno));
		job->refs = 1;
		job_release(job);
		return -1;
	}
	/* Signals belong to the thread with the signalfd, even when the
	 * caller has not blocked them yet (source_open runs early). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&job->thread, NULL, fetch_thread, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("git fetch: cannot start a thread: %s", strerror(rc));
		job->refs = 1;
		job_release(job);
		return -1;
	}
	sg->job = job;
	sg->stats.fetches++;
	return 0;
}

static int64_t
backoff_ms(const struct source_git *sg)
{
	int64_t cap = sg->fetch_interval_ms > SOURCE_GIT_MAX_BACKOFF_MS ?
	    sg->fetch_interval_ms : SOURCE_GIT_MAX_BACKOFF_MS;
	int64_t ms = sg->fetch_interval_ms;

	for (unsigned i = 1; i < sg->failures && ms < cap; i++)
		ms *= 2;
	return ms < cap ? ms : cap;
}

static const char *
serving(const struct source_git *sg, char buf[GIT_OID_HEXSZ + 1])
{
	if (!sg->have_last)
		return "nothing yet";
	git_oid_tostr(buf, GIT_OID_HEXSZ + 1, &sg->last_oid);
	return buf;
}

/* Collects a finished fetch. Returns 1 if the branch moved. */
static int
fetch_finish(struct source_git *sg)
{
	struct fetch_job *job = sg->job;
	char hex[GIT_OID_HEXSZ + 1];
	int moved;

	pthread_join(job->thread, NULL);
	sg->job = NULL;
	if (job->rc == 0) {
		if (sg->failures)
			log_info("git fetch from %s works again", sg->remote_display);
		sg->failures = 0;
		free(sg->last_fetch_error);
		sg->last_fetch_error = NULL;
		timer_arm(sg, sg->fetch_interval_ms);
		if (job->moved && job->gone)
			log_warning("git fetch from %s: the remote has no branch "
			    "%s (any more)", sg->remote_display, sg->branch);
		else if (job->moved)
			log_info("git fetch from %s: branch %s moved",
			    sg->remote_display, sg->branch);
	} else {
		int64_t next;

		sg->failures++;
		sg->stats.fetch_failures++;
		next = backoff_ms(sg);
		log_warning("git fetch from %s failed (%u in a row): %s; still "
		    "serving %s; next attempt in %lld ms", sg->remote_display,
		    sg->failures, job->error, serving(sg, hex), (long long)next);
		free(sg->last_fetch_error);
		sg->last_fetch_error = xstrdup(job->error);
		timer_arm(sg, next);
	}
	moved = job->rc == 0 && job->moved;
	job_release(job);
	return moved;
}

static bool
efd_take(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof v) == (ssize_t)sizeof v;
}

int
source_git_process_events(struct source_git *sg)
{
	int rc = 0;
	bool due = false;

	if (sg->fixed)
		return 0;
	if (sg->ifd >= 0) {
		int r = drain_inotify(sg);

		if (r < 0)
			rc = -1;
		else if (r > 0 && tip_moved(sg))
			rc = 1;
	}
	if (sg->remote == NULL)
		return rc;
	if (efd_take(sg->refresh_efd))
		sg->refresh_wanted = true;
	if (efd_take(sg->tfd))
		due = true;
	if (sg->job && efd_take(sg->done_efd) && fetch_finish(sg) && rc == 0)
		rc = 1;
	if (sg->job == NULL && (due || sg->refresh_wanted)) {
		sg->refresh_wanted = false;
		if (fetch_start(sg) < 0)
			timer_arm(sg, backoff_ms(sg));
	}
	return rc;
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

/* --- open / close ------------------------------------------------------ */

/* The state directory, and in *from where that choice came from (for
 * messages that say what to change). */
static char *
state_directory(const struct source_git_options *o, const char **from)
{
	return lastgood_state_directory(o->state_dir, from);
}

/* The URL without user information, which may hold a password. */
static char *
url_display(const char *url)
{
	const char *scheme = strstr(url, "://"), *host, *at;

	if (scheme == NULL)
		return xstrdup(url);
	host = scheme + 3;
	at = strchr(host, '@');
	if (at == NULL || strchr(host, '/') < at)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

/* A mirror that cannot be created or written is an error at start, with
 * the path and what to do: otherwise every fetch would fail for a reason
 * the operator cannot see from the message (and an existing mirror on a
 * read-only file system would serve an old commit forever). */
static int
mirror_refuse(struct source_git *sg, struct diag_list *diags, const char *what,
    const char *path, const char *why, const char *state, const char *from)
{
	diag_add(diags, DIAG_ERROR, "", 0, 0, "git mirror of %s: cannot %s %s: "
	    "%s; the mirror lives in the state directory %s (%s), which must "
	    "be a directory cairn can write (mode 0700, owned by the cairn "
	    "user, on a writable file system with free space)",
	    sg->remote_display, what, path, why, state, from);
	return -1;
}

/* Creates the mirror if needed; sets sg->repo_path. */
static int
mirror_prepare(struct source_git *sg, const struct source_git_options *o,
    struct diag_list *diags)
{
	const char *from;
	char *state = state_directory(o, &from), *dir, hex[17];
	git_repository *repo;
	struct stat st;
	int rc = -1;

	hash_hex(hash_bytes(sg->remote, strlen(sg->remote)), hex);
	dir = xasprintf("%s/git", state);
	sg->repo_path = xasprintf("%s/%s.git", dir, hex);
	if (fs_mkdir_p(dir, 0700) < 0) {
		mirror_refuse(sg, diags, "create", dir, strerror(errno), state, from);
		goto out;
	}
	if (stat(sg->repo_path, &st) == 0) {
		/* Fetches write objects, refs and their lock files here. */
		if (access(sg->repo_path, R_OK | W_OK | X_OK) < 0 ||
		    access(dir, W_OK | X_OK) < 0)
			mirror_refuse(sg, diags, "write", sg->repo_path,
			    strerror(errno), state, from);
		else
			rc = 0;
		goto out;
	}
	if (git_repository_init(&repo, sg->repo_path, 1) < 0) {
		mirror_refuse(sg, diags, "create", sg->repo_path, git_errmsg(),
		    state, from);
		goto out;
	}
	git_repository_free(repo);
	log_info("git: created the mirror of %s in %s", sg->remote_display,
	    sg->repo_path);
	rc = 0;
out:
	free(dir);
	free(state);
	return rc;
}

static char *
subdir_normalise(const char *path)
{
	size_t len;

	if (path == NULL)
		return xstrdup("");
	while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
		path += path[0] == '/' ? 1 : 2;
	if (strcmp(path, ".") == 0)
		return xstrdup("");
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	return xstrndup(path, len);
}

static int
epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int
events_setup(struct source_git *sg, struct diag_list *diags)
{
	sg->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sg->epfd < 0)
		goto fail;
	if (sg->remote == NULL) {
		sg->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (sg->ifd < 0 || epoll_add(sg->epfd, sg->ifd) < 0)
			goto fail;
		chain_build(sg);
		chain_sync(sg);
		return 0;
	}
	sg->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sg->done_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sg->refresh_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sg->tfd < 0 || sg->done_efd < 0 || sg->refresh_efd < 0 ||
	    epoll_add(sg->epfd, sg->tfd) < 0 ||
	    epoll_add(sg->epfd, sg->done_efd) < 0 ||
	    epoll_add(sg->epfd, sg->refresh_efd) < 0)
		goto fail;
	return 0;
fail:
	diag_add(diags, DIAG_ERROR, "", 0, 0, "git %s: event setup: %s",
	    sg->repo_path, strerror(errno));
	return -1;
}

/* The first fetch, waited for (bounded) so that a fresh mirror has the
 * branch before the first scan. */
static void
fetch_initial(struct source_git *sg)
{
	struct pollfd pfd = { .fd = sg->done_efd, .events = POLLIN };
	int64_t deadline = monotonic_ms() + OPEN_FETCH_WAIT_MS;

	if (fetch_start(sg) < 0) {
		timer_arm(sg, backoff_ms(sg));
		return;
	}
	for (;;) {
		int64_t left = deadline - monotonic_ms();
		int n;

		if (left <= 0) {
			log_warning("git fetch from %s: no answer after %d s; "
			    "going on with what the mirror has",
			    sg->remote_display, OPEN_FETCH_WAIT_MS / 1000);
			return; /* process_events collects it later */
		}
		n = poll(&pfd, 1, (int)left);
		if (n > 0 && efd_take(sg->done_efd)) {
			fetch_finish(sg);
			return;
		}
		if (n < 0 && errno != EINTR)
			return;
	}
}

int
source_git_open(const struct source_git_options *o, struct source_git **out,
    struct diag_list *diags)
{
	struct source_git *sg;
	const char *branch = o->branch && o->branch[0] ? o->branch :
	    SOURCE_GIT_DEFAULT_BRANCH;
	const char *env;

	*out = NULL;
	git_libgit2_init();
	/* cairn runs nothing from a repository (no hooks, no filters, no
	 * fsmonitor), so a repository owned by the git user is safe to read
	 * for the cairn user. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);

	sg = xcalloc(1, sizeof *sg);
	sg->epfd = sg->ifd = sg->tfd = sg->done_efd = sg->refresh_efd = -1;
	sg->branch = xstrdup(branch);
	sg->refname = xasprintf("refs/heads/%s", branch);
	sg->subdir = subdir_normalise(o->path);
	sg->max_file_bytes = o->max_file_bytes ? o->max_file_bytes :
	    SOURCE_DIR_DEFAULT_MAX_FILE_BYTES;
	sg->fetch_interval_ms = o->fetch_interval_ms > 0 ?
	    o->fetch_interval_ms : SOURCE_GIT_DEFAULT_FETCH_INTERVAL_MS;
	sg->hook_env = o->hook_env;
	if (o->ssh_key_file && o->ssh_key_file[0])
		sg->ssh_key = xstrdup(o->ssh_key_file);
	else if ((env = getenv("CAIRN_GIT_SSH_KEY")) != NULL && env[0])
		sg->ssh_key = xstrdup(env);
	if (o->token_file && o->token_file[0])
		sg->token_file = xstrdup(o->token_file);
	else if ((env = getenv("CAIRN_GIT_TOKEN_FILE")) != NULL && env[0])
		sg->token_file = xstrdup(env);

	if (!git_reference_is_valid_name(sg->refname)) {
		diag_add(diags, DIAG_ERROR, "", 0, 0,
		    "git: \"%s\" is not a valid branch name", branch);
		goto fail;
	}
	if (o->remote && o->remote[0]) {
		sg->remote = xstrdup(o->remote);
		sg->remote_display = url_display(o->remote);
		if (mirror_prepare(sg, o, diags) < 0)
			goto fail;
	} else {
		sg->repo_path = xstrdup(o->repository ? o->repository : "");
	}
	if (repo_open(sg, diags) < 0)
		goto fail;

	if (o->rev) {
		git_object *obj = NULL, *commit = NULL;

		if (sg->remote) {
			/* One-shot with a remote: fetch once, then read. */
			if (events_setup(sg, diags) < 0)
				goto fail;
			fetch_initial(sg);
		}
		if (git_revparse_single(&obj, sg->repo, o->rev) < 0 ||
		    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
			diag_add(diags, DIAG_ERROR, "", 0, 0,
			    "git %s: revision \"%s\" does not name a commit: %s",
			    sg->repo_path, o->rev, git_errmsg());
			git_object_free(obj);
			goto fail;
		}
		git_oid_cpy(&sg->fixed_oid, git_object_id(commit));
		git_object_free(commit);
		git_object_free(obj);
		sg->fixed = true;
		sg->rev = xstrdup(o->rev);
		*out = sg;
		return 0;
	}
	if (events_setup(sg, diags) < 0)
		goto fail;
	if (sg->remote)
		fetch_initial(sg);
	*out = sg;
	return 0;
fail:
	source_git_close(sg);
	return -1;
}

int
source_git_fd(const struct source_git *sg)
{
	return sg->fixed ? -1 : sg->epfd;
}

static void
fetch_abandon(struct source_git *sg)
{
	struct fetch_job *job = sg->job;
	struct pollfd pfd = { .fd = sg->done_efd, .events = POLLIN };

	atomic_store(&job->cancel, true);
	if (poll(&pfd, 1, CLOSE_FETCH_WAIT_MS) > 0) {
		pthread_join(job->thread, NULL);
	} else {
		/* Stuck in the network: the thread frees the job itself. */
		log_warning("git fetch from %s still running; abandoned",
		    sg->remote_display);
		pthread_detach(job->thread);
	}
	sg->job = NULL;
	job_release(job);
}

void
source_git_close(struct source_git *sg)
{
	if (sg == NULL)
		return;
	if (sg->job)
		fetch_abandon(sg);
	chain_free(sg);
	if (sg->epfd >= 0)
		close(sg->epfd);
	if (sg->ifd >= 0)
		close(sg->ifd);
	if (sg->tfd >= 0)
		close(sg->tfd);
	if (sg->done_efd >= 0)
		close(sg->done_efd);
	if (sg->refresh_efd >= 0)
		close(sg->refresh_efd);
	blobs_free(sg->cache, sg->ncache);
	git_odb_free(sg->odb);
	git_repository_free(sg->repo);
	free(sg->repo_path);
	free(sg->branch);
	free(sg->rev);
	free(sg->refname);
	free(sg->subdir);
	free(sg->remote);
	free(sg->remote_display);
	free(sg->ssh_key);
	free(sg->token_file);
	free(sg->last_fetch_error);
	free(sg);
	git_libgit2_shutdown();
}

void
source_git_get_stats(const struct source_git *sg, struct source_git_stats *out)
{
	*out = sg->stats;
	out->consecutive_failures = sg->failures;
	out->last_fetch_error = sg->last_fetch_error;
}

char *
source_git_description(const struct source_git *sg)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "git ");
	if (sg->remote)
		strbuf_printf(&sb, "mirror of %s", sg->remote_display);
	else
		strbuf_puts(&sb, sg->repo_path);
	if (sg->fixed)
		strbuf_printf(&sb, " at %s", sg->rev);
	else
		strbuf_printf(&sb, " branch %s", sg->branch);
	if (sg->subdir[0])
		strbuf_printf(&sb, " path %s", sg->subdir);
	return strbuf_detach(&sb, NULL);
}

const char *
source_git_repository_path(const struct source_git *sg)
{
	return sg->repo_path;
}

/* --- struct source ------------------------------------------------------ */

static int
ops_fd(const void *impl)
{
	return source_git_fd(impl);
}

static int
ops_process_events(void *impl)
{
	return source_git_process_events(impl);
}

static int
ops_scan(void *impl, struct source_files *out)
{
	return source_git_scan(impl, out);
}

static int
ops_refresh(void *impl)
{
	return source_git_refresh(impl);
}

static void
ops_close(void *impl)
{
	source_git_close(impl);
}

static void
ops_set_delta(void *impl, bool on)
{
	source_git_set_delta(impl, on);
}

static bool
ops_fetch_stats(const void *impl, struct source_fetch_stats *out)
{
	const struct source_git *sg = impl;
	struct source_git_stats st;

	if (sg->remote == NULL)
		return false;
	source_git_get_stats(sg, &st);
	*out = (struct source_fetch_stats){
		.fetches = st.fetches,
		.failures = st.fetch_failures,
		.consecutive_failures = st.consecutive_failures,
		.last_error = st.last_fetch_error,
	};
	return true;
}

/* The same branch settings over the repository actually read (a remote's
 * mirror already holds every commit it fetched). */
static int
ops_open_revision(const void *impl, const char *rev, struct source **out,
    struct diag_list *diags)
{
	const struct source_git *sg = impl;
	struct source_git_options o = {
		.repository = sg->repo_path,
		.branch = sg->branch,
		.path = sg->subdir,
		.max_file_bytes = sg->max_file_bytes,
		.rev = rev,
		.hook_env = sg->hook_env,
	};
	struct source_git *at;

	if (source_git_open(&o, &at, diags) < 0)
		return -1;
	*out = source_new(&source_git_ops, at, source_git_description(at));
	return 0;
}

const struct source_ops source_git_ops = {
	.fd = ops_fd,
	.process_events = ops_process_events,
	.scan = ops_scan,
	.refresh = ops_refresh,
	.close = ops_close,
	.set_delta = ops_set_delta,
	.fetch_stats = ops_fetch_stats,
	.open_revision = ops_open_revision,
	.atomic_commits = true,
};
