/* Helpers shared by every source (directory, git). */
#include "source/source.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/xalloc.h"

/* Blocks are mapped, not malloc'd, so that a block whose files are all
 * released goes back to the kernel at once (a heap would keep a large
 * free chunk until a trim). */
#define SOURCE_BYTES_BLOCK ((size_t)1 << 20)
/* Larger files keep their own allocation (freed whole as well). */
#define SOURCE_BYTES_POOLED_MAX (SOURCE_BYTES_BLOCK / 16)

struct source_bytes_block {
	size_t used, size;
	/* blobs whose bytes are here, plus one while the pool fills it */
	size_t users;
	char data[];
};

static void
bytes_block_unuse(struct source_bytes_block *k)
{
	if (--k->users == 0)
		munmap(k, k->size);
}

static void
blob_bytes_free(struct source_blob *b)
{
	if (b->block != NULL)
		bytes_block_unuse(b->block);
	else
		free(b->data);
	b->block = NULL;
	b->data = NULL;
}

void
source_blob_pool_bytes(struct source_blob *b, struct source_bytes_pool *pool)
{
	struct source_bytes_block *k = pool->filling;
	size_t need = b->len + 1;

	if (b->data == NULL || b->block != NULL || need > SOURCE_BYTES_POOLED_MAX)
		return;
	if (k == NULL || k->size - k->used < need) {
		void *m = mmap(NULL, SOURCE_BYTES_BLOCK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return; /* the bytes stay where they are */
		source_bytes_pool_free(pool);
		k = pool->filling = m;
		k->size = SOURCE_BYTES_BLOCK;
		k->used = offsetof(struct source_bytes_block, data);
		k->users = 1;
	}
	memcpy((char *)k + k->used, b->data, need);
	free(b->data);
	b->data = (char *)k + k->used;
	b->block = k;
	k->used += need;
	k->users++;
}

void
source_bytes_pool_free(struct source_bytes_pool *pool)
{
	if (pool->filling != NULL)
		bytes_block_unuse(pool->filling);
	pool->filling = NULL;
}

struct source_blob *
source_blob_new(const char *path, const char *ns, char *data, size_t len,
    uint64_t hash)
{
	struct source_blob *b = xmalloc(sizeof *b);

	b->refs = 1;
	b->path = xstrdup(path);
	b->ns = xstrdup(ns);
	b->data = data;
	b->len = len;
	b->hash = hash;
	b->block = NULL;
	return b;
}

struct source_blob *
source_blob_ref(struct source_blob *b)
{
	b->refs++;
	return b;
}

void
source_blob_unref(struct source_blob *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	free(b->path);
	free(b->ns);
	blob_bytes_free(b);
	free(b);
}

void
source_blob_release_bytes(struct source_blob *b)
{
	blob_bytes_free(b);
}

void
source_files_release_bytes(struct source_files *sf,
    bool (*needed)(void *ctx, const struct source_file *f), void *ctx)
{
	for (size_t i = 0; i < sf->n; i++) {
		struct source_file *f = &sf->files[i];

		if (f->blob == NULL || f->blob->data == NULL)
			continue;
		if (needed != NULL && needed(ctx, f))
			continue;
		source_blob_release_bytes(f->blob);
		f->data = NULL;
	}
}

void
source_file_from_blob(struct source_file *f, struct source_blob *b)
{
	f->path = b->path;
	f->ns = b->ns;
	f->data = b->data;
	f->len = b->len;
	f->hash = b->hash;
	f->blob = source_blob_ref(b);
}

void
source_files_free(struct source_files *sf)
{
	if (sf == NULL)
		return;
	for (size_t i = 0; i < sf->n; i++) {
		if (sf->files[i].blob != NULL) {
			source_blob_unref(sf->files[i].blob);
			continue;
		}
		free(sf->files[i].path);
		free(sf->files[i].ns);
		free(sf->files[i].data);
	}
	free(sf->files);
	free(sf->revision);
	free(sf->revision_subject);
	for (size_t i = 0; i < sf->n_removed; i++)
		free(sf->removed[i]);
	free(sf->removed);
	diag_list_free(&sf->diags);
	memset(sf, 0, sizeof *sf);
}

struct source *
source_new(const struct source_ops *ops, void *impl, char *description)
{
	struct source *s = xcalloc(1, sizeof *s);

	s->ops = ops;
	s->impl = impl;
	s->description = description;
	return s;
}

char *
source_namespace_of(const char *relpath)
{
	const char *slash;

	while (*relpath == '/')
		relpath++;
	slash = strchr(relpath, '/');
	if (slash == NULL || slash == relpath)
		return xstrdup("default");
	return xstrndup(relpath, (size_t)(slash - relpath));
}
