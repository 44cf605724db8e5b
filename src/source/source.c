/* Helpers shared by every source (directory, git). */
#include "source/source.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

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
	free(b->data);
	free(b);
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
