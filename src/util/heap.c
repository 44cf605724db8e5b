/* Why one arena: the daemon's threads (the build's load threads, grpc's
 * event engine and completion-queue threads, the publisher) each get an
 * arena of their own by default, up to eight per CPU. The arenas of the
 * threads that send the initial syncs grow during a burst and, once it is
 * over, hold next to nothing live, but their pages stay mapped around a
 * few long-lived blocks, and malloc_trim cannot give back a page that one
 * of those blocks touches. With one arena every thread reuses the same
 * free space, and a 10,000-proxy daemon with 1,000 streams settles lower
 * (docs/performance.md, "Memory round 6", has the figures). The cost is
 * the arena's lock, which glibc's per-thread caches of small blocks mostly
 * avoid; the build's CPU time was measured with and without it there. */
#include "util/heap.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

bool
heap_tune_serve(void)
{
	const char *tunables = getenv("GLIBC_TUNABLES");

	if (getenv("MALLOC_ARENA_MAX") != NULL ||
	    (tunables != NULL && strstr(tunables, "glibc.malloc.arena_max") != NULL))
		return false;
	return mallopt(M_ARENA_MAX, HEAP_SERVE_ARENAS) == 1;
}
