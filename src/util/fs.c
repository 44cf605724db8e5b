#include "util/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util/xalloc.h"

int
fs_mkdir_p(const char *path, mode_t mode)
{
	char *copy = xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1; rc == 0; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST)
			rc = -1;
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return rc;
}
