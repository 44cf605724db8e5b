/* The directory source's revision (dir.c scans): one hash over every
 * (path, content hash) in path order, made from the cache after a full
 * scan or from records edited where a delta scan says. Apart from dir.c
 * because the records are their own structure. */
#include "source/dir_internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/sorted.h"
#include "util/xalloc.h"

/* 16 hex digits over the (path, content hash) list in path order. This
 * loop is the one step of an event-driven scan that is O(tree); it runs
 * only when something changed. An order-free sum of per-file terms would
 * make it O(change), at the price of every directory revision (golden
 * dumps, persisted state) changing once. */
static char *
revision_of(const struct cache_entry *files, size_t n)
{
	struct hash_state *st = hash_begin();
	char hex[17];

	for (size_t i = 0; i < n; i++) {
		unsigned char le[8];
		uint64_t h = files[i].blob->hash;

		for (int b = 0; b < 8; b++)
			le[b] = (unsigned char)(h >> (8 * b));
		hash_update(st, files[i].path, strlen(files[i].path) + 1);
		hash_update(st, le, sizeof le);
	}
	hash_hex(hash_end(st), hex);
	return xstrdup(hex);
}

/* --- the revision's records ---------------------------------------------- */

/* A delta scan changes a few files of the tree, but the revision is one
 * hash over every (path, content hash) in path order (docs/decisions.md:
 * kept so revisions do not change). Hashing it from the cache visits
 * every file's blob (a cache miss each); the records below are those
 * bytes kept in one buffer, edited where the delta says and hashed in
 * one pass over contiguous memory. */

static void
rev_put(char **buf, size_t *len, size_t *cap, uint32_t **off, size_t *n,
    size_t *ocap, const char *path, uint64_t hash)
{
	size_t pl = strlen(path) + 1;

	if (*len + pl + 8 > *cap) {
		*cap = 2 * (*len + pl + 8) + 4096;
		*buf = xrealloc(*buf, *cap);
	}
	ARRAY_PUSH(*off, *n, *ocap, (uint32_t)*len);
	memcpy(*buf + *len, path, pl);
	for (int b = 0; b < 8; b++)
		(*buf)[*len + pl + (size_t)b] = (char)(unsigned char)(hash >> (8 * b));
	*len += pl + 8;
}

/* The records of every cached file, from the cache. */
static void
rev_rebuild(struct source_dir *sd)
{
	size_t ocap = sd->ncache + 1;

	sd->rev.len = 0;
	sd->rev.n = 0;
	free(sd->rev.off);
	sd->rev.off = xreallocarray(NULL, ocap, sizeof *sd->rev.off);
	for (size_t i = 0; i < sd->ncache; i++)
		rev_put(&sd->rev.buf, &sd->rev.len, &sd->rev.cap, &sd->rev.off,
		    &sd->rev.n, &ocap, sd->cache[i].path, sd->cache[i].blob->hash);
	/* Offsets are 32 bits: a tree past 4 GiB of paths hashes as before. */
	sd->rev.valid = sd->rev.len < UINT32_MAX;
}

static int
rev_path_cmp(const void *key, const void *elem, void *ctx)
{
	const struct source_dir *sd = ctx;

	return strcmp(key, sd->rev.buf + *(const uint32_t *)elem);
}

/* First record at or after path, from record `from` on. */
static size_t
rev_search(const struct source_dir *sd, size_t from, const char *path)
{
	size_t lo = from, hi = sd->rev.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rev_path_cmp(path, &sd->rev.off[mid], (void *)sd) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The records edited by a delta (out: the files read with new bytes,
 * sorted by path, and the paths removed): the runs of records between
 * the changes are block copies. False when the result does not hold as
 * many records as the cache has files (then rebuild). */
static bool
rev_apply_delta(struct source_dir *sd, const struct source_files *out)
{
	const char **gone = xreallocarray(NULL, out->n_removed + 1, sizeof *gone);
	char *buf = NULL;
	uint32_t *off = NULL;
	size_t len = 0, cap = sd->rev.len + 4096, n = 0, ocap = sd->ncache + 1;
	size_t at = 0, f = 0, g = 0;
	bool ok;

	if (out->n_removed > 0)
		memcpy(gone, out->removed, out->n_removed * sizeof *gone);
	qsort(gone, out->n_removed, sizeof *gone, str_ptr_cmp);
	buf = xmalloc(cap);
	off = xreallocarray(NULL, ocap, sizeof *off);
	while (f < out->n || g < out->n_removed) {
		const char *fp = f < out->n ? out->files[f].path : NULL;
		const char *gp = g < out->n_removed ? gone[g] : NULL;
		const char *path = fp == NULL ? gp : gp == NULL ? fp :
		    strcmp(fp, gp) <= 0 ? fp : gp;
		size_t p = rev_search(sd, at, path), bytes;

		/* The records before the change, as one block. */
		bytes = (p < sd->rev.n ? sd->rev.off[p] : sd->rev.len) -
		    (at < sd->rev.n ? sd->rev.off[at] : sd->rev.len);
		if (bytes > 0) {
			if (len + bytes > cap) {
				cap = 2 * (len + bytes);
				buf = xrealloc(buf, cap);
			}
			memcpy(buf + len, sd->rev.buf + sd->rev.off[at], bytes);
			for (size_t i = at; i < p; i++)
				ARRAY_PUSH(off, n, ocap, (uint32_t)(len +
				    sd->rev.off[i] - sd->rev.off[at]));
			len += bytes;
		}
		at = p;
		/* The old record of the path goes (replaced or removed). */
		if (at < sd->rev.n && strcmp(sd->rev.buf + sd->rev.off[at], path) == 0)
			at++;
		if (path == fp) {
			rev_put(&buf, &len, &cap, &off, &n, &ocap, fp,
			    out->files[f].hash);
			f++;
			if (gp != NULL && strcmp(gp, fp) == 0)
				g++;
		} else
			g++;
	}
	if (at < sd->rev.n) {
		size_t bytes = sd->rev.len - sd->rev.off[at];

		if (len + bytes > cap) {
			cap = len + bytes;
			buf = xrealloc(buf, cap);
		}
		memcpy(buf + len, sd->rev.buf + sd->rev.off[at], bytes);
		for (size_t i = at; i < sd->rev.n; i++)
			ARRAY_PUSH(off, n, ocap, (uint32_t)(len +
			    sd->rev.off[i] - sd->rev.off[at]));
		len += bytes;
	}
	free(gone);
	free(sd->rev.buf);
	free(sd->rev.off);
	sd->rev.buf = buf;
	sd->rev.len = len;
	sd->rev.cap = cap;
	sd->rev.off = off;
	sd->rev.n = n;
	ok = n == sd->ncache && len < UINT32_MAX;
	sd->rev.valid = ok;
	return ok;
}

/* A delta that only gives paths already recorded new bytes (an edit, the
 * common change) leaves every record's length and place as it was: the
 * 8 bytes of each content hash are rewritten where they are, no buffer
 * made or copied. False (nothing written) when a path is new or gone. */
static bool
rev_patch_hashes(struct source_dir *sd, const struct source_files *out)
{
	size_t *at;
	size_t from = 0;

	if (out->n_removed > 0 || sd->rev.n != sd->ncache)
		return false;
	at = xreallocarray(NULL, out->n + 1, sizeof *at);
	for (size_t f = 0; f < out->n; f++) {
		size_t p = rev_search(sd, from, out->files[f].path);

		if (p == sd->rev.n ||
		    strcmp(sd->rev.buf + sd->rev.off[p], out->files[f].path) != 0) {
			free(at);
			return false;
		}
		at[f] = p;
		from = p; /* the files are in path order */
	}
	for (size_t f = 0; f < out->n; f++) {
		char *h = sd->rev.buf + sd->rev.off[at[f]] +
		    strlen(out->files[f].path) + 1;

		for (int b = 0; b < 8; b++)
			h[b] = (char)(unsigned char)(out->files[f].hash >> (8 * b));
	}
	free(at);
	return true;
}

/* The revision of the cache after a scan: the records edited by the
 * delta handed out, or rebuilt. */
char *
dir_rev_revision(struct source_dir *sd, const struct source_files *out)
{
	char hex[17];

	if (!out->delta || !sd->rev.valid ||
	    (!rev_patch_hashes(sd, out) && !rev_apply_delta(sd, out)))
		rev_rebuild(sd);
	if (!sd->rev.valid)
		return revision_of(sd->cache, sd->ncache);
	hash_hex(hash_bytes(sd->rev.buf, sd->rev.len), hex);
	return xstrdup(hex);
}
