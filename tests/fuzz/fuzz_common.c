/* Shared by every fuzz target (linked into the libFuzzer and the replay
 * builds alike). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
	abort();
}
