/* What every source (directory, git) hands to the loader: the files of
 * one revision, in sorted path order. */
#ifndef CAIRN_SOURCE_SOURCE_H
#define CAIRN_SOURCE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

struct source_file {
	char *path; /* relative to the root, '/'-separated */
	char *ns; /* first directory level, or "default" */
	char *data; /* NUL-terminated copy of the contents */
	size_t len;
	uint64_t hash; /* hash_bytes(data, len) */
};

struct source_files {
	struct source_file *files; /* sorted by path */
	size_t n, cap;
	char *revision; /* commit id (git) or a content hash (directory) */
	struct diag_list diags; /* unreadable files, loops, oversized files */
};

void source_files_free(struct source_files *sf);
/* The namespace a relative path belongs to. */
char *source_namespace_of(const char *relpath);

#endif
