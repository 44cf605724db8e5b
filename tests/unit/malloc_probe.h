/* For unit tests that measure glibc's malloc itself (its arenas, what a
 * trim gives back): whether that malloc is the one in use. */
#ifndef CAIRN_TESTS_UNIT_MALLOC_PROBE_H
#define CAIRN_TESTS_UNIT_MALLOC_PROBE_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Not under valgrind (which replaces malloc through LD_PRELOAD, its
 * malloc_trim a no-op) nor a sanitizer's. */
static inline bool
malloc_is_glibcs(void)
{
	const char *preload = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__)
	return false;
#endif
	if (getenv("CAIRN_SANITIZED") != NULL)
		return false;
	return preload == NULL || strstr(preload, "vgpreload") == NULL;
}

#endif
