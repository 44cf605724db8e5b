/* One source file -> typed objects, with every problem located. Parses
 * from a buffer so tests and fuzzers feed bytes directly. */
#ifndef CAIRN_LOAD_LOAD_H
#define CAIRN_LOAD_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/objects.h"
#include "util/arena.h"
#include "util/diag.h"

struct load_options {
	size_t max_alias_nodes; /* 0 = default 10,000 */
	int max_depth; /* 0 = default 64 */
	/* The pipeline's parsing threads when many files changed (startup):
	 * 0 = one per CPU (at most 8), 1 = the calling thread only. */
	int threads;
};

struct loaded_file {
	char *path; /* relative to the source root */
	char *ns; /* namespace implied by the directory */
	uint64_t content_hash;
	struct arena arena; /* owns objects and their strings */
	struct object **objects;
	size_t nobjects;
	struct diag_list diags; /* errors and warnings (skipped kinds) */
	bool ok; /* no errors: the objects may be used */
};

/* Parse buf (the contents of path, in directory namespace ns). Always
 * returns a loaded_file; check ->ok. On error ->objects is empty. */
struct loaded_file *load_buffer(const char *path, const char *ns,
    const char *buf, size_t len, const struct load_options *opts);
/* The same, building the YAML tree in scratch (reset before returning)
 * instead of a fresh arena: a caller that loads many files keeps one
 * scratch arena, whose memory stays warm from file to file. */
struct loaded_file *load_buffer_scratch(const char *path, const char *ns,
    const char *buf, size_t len, const struct load_options *opts,
    struct arena *scratch);
/* The same for bytes whose hash_bytes() the caller already has (a
 * source hands it out with every file): content_hash is that value, and
 * the bytes are not hashed again. */
struct loaded_file *load_buffer_scratch_hashed(const char *path,
    const char *ns, const char *buf, size_t len, uint64_t content_hash,
    const struct load_options *opts, struct arena *scratch);
void loaded_file_free(struct loaded_file *lf);

#endif
