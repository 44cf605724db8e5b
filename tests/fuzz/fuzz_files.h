/* A file of a fuzz input, as a source would hand it to the pipeline. */
#ifndef CAIRN_TESTS_FUZZ_FILES_H
#define CAIRN_TESTS_FUZZ_FILES_H

#include <string.h>

#include "source/source.h"
#include "util/hash.h"
#include "util/xalloc.h"

/* Appends a copy of data (NUL-terminated, as sources hand files out). */
static inline void
fuzz_add_file(struct source_files *sf, const char *path, const char *ns,
    const void *data, size_t len)
{
	struct source_file f = {
		.path = xstrdup(path),
		.ns = xstrdup(ns),
		.data = xmalloc(len + 1),
		.len = len,
		.hash = hash_bytes(data, len),
	};

	memcpy(f.data, data, len);
	f.data[len] = '\0';
	ARRAY_PUSH(sf->files, sf->n, sf->cap, f);
}

#endif
