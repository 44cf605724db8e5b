/* The git source, history: how long a claim has held (SPEC §6a), read
 * from the first-parent chain of commits. */
#include "source/git_internal.h"

#include <git2.h>

/* source_files.claim_age: walk first parents back from revision while
 * path exists and each different version of it still holds() (SPEC §6a:
 * the first-seen order of claims in git mode is the history's). */
size_t
source_git_claim_age(void *history, const char *revision, const char *path,
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
