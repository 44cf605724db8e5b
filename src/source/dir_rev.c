/* The directory source's revision (dir.c scans): a hash of the set of
 * (path, content hash) pairs of the cached files, kept as a sum of one
 * term per file so that a scan updates it for the entries it replaced,
 * added or released, never walking the tree (docs/decisions.md, "The
 * directory revision is a sum of per-file terms"). */
#include "source/dir_internal.h"

#include <stdint.h>
#include <string.h>

#include "util/hash.h"
#include "util/xalloc.h"

/* One file's part of the revision: its path hashed with its content hash
 * as the seed, so that the term changes with either and two files'
 * terms are unrelated. */
static uint64_t
rev_term(const struct source_blob *b)
{
	return hash_bytes_seeded(b->path, strlen(b->path), b->hash);
}

void
dir_rev_add(struct source_dir *sd, const struct source_blob *b)
{
	sd->rev_sum += rev_term(b);
	sd->stats.rev_terms++;
}

void
dir_rev_sub(struct source_dir *sd, const struct source_blob *b)
{
	sd->rev_sum -= rev_term(b);
	sd->stats.rev_terms++;
}

/* 16 hex digits: the sum of the cached files' terms (mod 2^64, in
 * whatever order they were added) and their number, hashed once so that the digits of two trees
 * share nothing visible. */
char *
dir_rev_revision(const struct source_dir *sd)
{
	unsigned char le[16];
	char hex[17];

	for (int b = 0; b < 8; b++) {
		le[b] = (unsigned char)(sd->rev_sum >> (8 * b));
		le[8 + b] = (unsigned char)((uint64_t)sd->ncache >> (8 * b));
	}
	hash_hex(hash_bytes(le, sizeof le), hex);
	return xstrdup(hex);
}
