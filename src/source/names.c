/* The name filters shared by the directory and git sources. */
#include "source/names.h"

#include <stdbool.h>
#include <string.h>

static bool
has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

int
source_name_ignored(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || name[0] == '.')
		return 1;
	if (name[len - 1] == '~')
		return 1;
	if (has_suffix(name, len, ".swp") || has_suffix(name, len, ".swx"))
		return 1;
	if (name[0] == '#' && name[len - 1] == '#')
		return 1;
	return strcmp(name, "4913") == 0; /* vim's "can I write here" probe */
}

int
source_name_is_yaml(const char *name)
{
	size_t len = strlen(name);

	return has_suffix(name, len, ".yaml") || has_suffix(name, len, ".yml");
}
