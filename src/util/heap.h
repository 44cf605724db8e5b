/* glibc malloc's settings for `cairn serve`, in one place. */
#ifndef CAIRN_UTIL_HEAP_H
#define CAIRN_UTIL_HEAP_H

#include <stdbool.h>

/* The number of malloc arenas the daemon allows (M_ARENA_MAX). */
#define HEAP_SERVE_ARENAS 1

/* Applies the daemon's malloc settings; call before any thread exists.
 * A setting the environment already makes (MALLOC_ARENA_MAX, or
 * arena_max in GLIBC_TUNABLES) is left as the environment says. Returns
 * whether the arena limit was set here. */
bool heap_tune_serve(void);

#endif
