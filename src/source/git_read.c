/* The git source, reading: one commit's tree (or the `path` subtree)
 * walked depth first, or diffed against the tree the last scan handed out
 * (the delta form), with a cache of blob sizes and hashes by id. Git sorts tree
 * entries the way the directory source sorts siblings (a directory "a" as
 * "a/"), so the walk yields paths in byte-wise order. A blob whose id the
 * previous whole scan saw is not hashed again, and the pipeline, which keys
 * its parse cache on the content hash, does not parse it again either; its
 * bytes are inflated again from the object database, as the cache keeps no
 * bytes. Only blobs of the last whole scan are kept. */
#include "source/git_internal.h"

#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "source/names.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/sorted.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

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

void
source_git_blobs_free(struct blob_entry *b, size_t n)
{
	(void)n;
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
		if (j > 0 && git_oid_equal(&next[j - 1].id, &next[i].id))
			continue;
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
emit(struct walk *w, const void *data, size_t len, uint64_t hash)
{
	const char *full = w->path.buf;
	struct source_file f = {
		.path = xstrdup(full),
		.ns = source_namespace_of(full + w->root_len),
		.data = xmalloc(len + 1),
		.len = len,
		.hash = hash,
	};

	if (len > 0)
		memcpy(f.data, data, len);
	f.data[len] = '\0';
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
		if (git_blob_lookup(&blob, sg->repo, id) < 0) {
			w->odb_trouble = true;
			diag_add(&w->out->diags, DIAG_ERROR, w->path.buf, 0, 0,
			    "cannot read blob %s: %s", git_oid_tostr_s(id),
			    git_errmsg());
			return;
		}
		if (!w->delta)
			c->used = true;
		sg->stats.blobs_cached++;
		emit(w, git_blob_rawcontent(blob), c->len, c->hash);
		git_blob_free(blob);
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
	b.hash = hash_bytes(git_blob_rawcontent(blob), b.len);
	sg->stats.blobs_read++;
	emit(w, git_blob_rawcontent(blob), b.len, b.hash);
	git_blob_free(blob);
	if (!w->delta)
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
		    sizeof w->out->removed[0], sorted_str_cmp);
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
	out->claim_age = source_git_claim_age;
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
		source_git_blobs_free(w.fresh, w.nfresh);
		cache_unmark(sg);
	}
	strbuf_free(&w.path);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_tree_free(root);
	git_commit_free(commit);
	return rc;
}

int
source_git_repo_open(struct source_git *sg, struct diag_list *diags)
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
		if (source_git_repo_open(sg, &diags) == 0) {
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
