/* Helpers shared by every source (directory, git). */
#include "source/source.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void
source_files_free(struct source_files *sf)
{
	if (sf == NULL)
		return;
	for (size_t i = 0; i < sf->n; i++) {
		free(sf->files[i].path);
		free(sf->files[i].ns);
		free(sf->files[i].data);
	}
	free(sf->files);
	free(sf->revision);
	free(sf->revision_subject);
	diag_list_free(&sf->diags);
	memset(sf, 0, sizeof *sf);
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
