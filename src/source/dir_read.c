/* The directory scan's files (dir.c walks the tree): a cached file
 * handed out again when its stat is unchanged, otherwise read again
 * (within the size limit) and handed out with new bytes only when they
 * differ. Apart from dir.c: the walk decides what to visit, this decides
 * what a visited file gives. */
#include "source/dir_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/hash.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static bool
cache_matches(const struct cache_entry *c, const struct stat *st)
{
	return !c->racy && c->dev == st->st_dev && c->ino == st->st_ino &&
	    c->size == st->st_size && c->mtime_ns == dir_ts_ns(&st->st_mtim) &&
	    c->ctime_ns == dir_ts_ns(&st->st_ctim);
}

void
dir_scan_emit(struct scan *s, struct source_blob *b)
{
	struct source_file f = { 0 };

	source_file_from_blob(&f, b);
	ARRAY_PUSH(s->out->files, s->out->n, s->out->cap, f);
}

/* A file the walk found unchanged since the previous scan. */
void
dir_emit(struct scan *s, const struct cache_entry *c)
{
	if (!s->delta_out)
		dir_scan_emit(s, c->blob);
}

/* Whether a file read again has the bytes of old, whose own bytes may have
 * been released after their build (then its hash, which is all a consumer
 * compares, tells). */
static bool
same_bytes(const struct source_blob *old, const struct source_blob *fresh)
{
	if (old->len != fresh->len)
		return false;
	if (old->data == NULL)
		return old->hash == fresh->hash;
	return memcmp(old->data, fresh->data, fresh->len) == 0;
}

/* A file the walk read again: handed out if its bytes differ from what
 * the previous scan handed out under the same path (old, may be NULL). */
static void
emit_read(struct scan *s, struct cache_entry *c, struct cache_entry *old)
{
	if (old != NULL)
		old->seen = true;
	if (old != NULL && same_bytes(old->blob, c->blob)) {
		/* Same bytes (touched, or rewritten alike): keep the blob the
		 * consumers already hold. */
		source_blob_unref(c->blob);
		c->blob = source_blob_ref(old->blob);
		c->path = c->blob->path;
		c->same_bytes = old->same_bytes = true;
		dir_emit(s, c);
		return;
	}
	dir_scan_emit(s, c->blob);
}

static void
too_large(struct scan *s, uintmax_t size, bool at_least)
{
	diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
	    "file is %s%ju bytes, more than max-file-bytes (%zu); not read",
	    at_least ? "at least " : "", size, s->sd->max_file_bytes);
}

/* Reads the whole file; returns NULL (with a diagnostic) on failure. */
static char *
read_all(struct scan *s, int fd, size_t hint, size_t *len_out)
{
	size_t max = s->sd->max_file_bytes;
	size_t cap = hint + 1 > max + 1 ? max + 1 : hint + 1, len = 0;
	char *data = xmalloc(cap + 1);

	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > max) {
				too_large(s, len, true);
				free(data);
				return NULL;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			data = xrealloc(data, cap + 1);
		}
		n = read(fd, data + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
			    "cannot read: %s", strerror(errno));
			free(data);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		/* All the bytes fstat promised and the read came short of its
		 * buffer: the end, without the read that would say so (one
		 * syscall per file on a startup scan). A file growing meanwhile
		 * has a new mtime, so a later scan reads it again. */
		if (len == hint && len < cap)
			break;
	}
	if (len > max) {
		too_large(s, len, true);
		free(data);
		return NULL;
	}
	data[len] = '\0';
	*len_out = len;
	return data;
}

/* Emits one file, from the cache when its stat is unchanged. Returns true
 * if it was emitted and inotify on its directory is enough to notice its
 * next change (not racy, a single link). */
bool
dir_read_file(struct scan *s, int dfd, const char *name, const struct stat *st)
{
	struct source_dir *sd = s->sd;
	struct cache_entry *old = dir_cache_find(s, rel_of(s)), c;
	struct stat fst;
	char *data, *ns;
	size_t len;
	int fd;

	if ((uintmax_t)st->st_size > sd->max_file_bytes) {
		too_large(s, (uintmax_t)st->st_size, false);
		return false;
	}
	if (old != NULL && cache_matches(old, st)) {
		dir_emit(s, old);
		dir_carry_one(s, old);
		return st->st_nlink == 1;
	}
	/* O_NONBLOCK: never hang on a FIFO swapped in since the stat. */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return false; /* deleted since readdir: an event follows */
		diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
		    "cannot open: %s", strerror(errno));
		return false;
	}
	if (fstat(fd, &fst) == -1 || !S_ISREG(fst.st_mode)) {
		diag_add(&s->out->diags, DIAG_ERROR, rel_of(s), 0, 0,
		    "not a regular file; not read");
		close(fd);
		return false;
	}
	if ((uintmax_t)fst.st_size > sd->max_file_bytes) {
		too_large(s, (uintmax_t)fst.st_size, false);
		close(fd);
		return false;
	}
	data = read_all(s, fd, (size_t)fst.st_size, &len);
	close(fd);
	if (data == NULL)
		return false;
	sd->stats.files_read++;
	ns = source_namespace_of(rel_of(s));
	c = (struct cache_entry){
		.dev = fst.st_dev,
		.ino = fst.st_ino,
		.size = fst.st_size,
		.mtime_ns = dir_ts_ns(&fst.st_mtim),
		.ctime_ns = dir_ts_ns(&fst.st_ctim),
		.blob = source_blob_new(rel_of(s), ns, data, len,
		    hash_bytes(data, len)),
	};
	free(ns);
	source_blob_pool_bytes(c.blob, &sd->bytes);
	c.path = c.blob->path;
	c.racy = (int64_t)len != (int64_t)fst.st_size ||
	    c.mtime_ns >= s->now_ns - sd->racy_ns ||
	    c.ctime_ns >= s->now_ns - sd->racy_ns;
	emit_read(s, &c, old);
	ARRAY_PUSH(s->fresh, s->nfresh, s->capfresh, c);
	return !c.racy && fst.st_nlink == 1;
}
