/* A bump allocator for data that lives exactly as long as one build, one
 * loaded file or one snapshot: freed all at once, never piece by piece. */
#ifndef CAIRN_ARENA_H
#define CAIRN_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	size_t total; /* bytes handed out, for memory accounting */
};

void arena_init(struct arena *a);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t size); /* zeroed, 16-byte aligned */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Grow an arena array: returns a copy with room for newcap elements. */
void *arena_grow(struct arena *a, void *old, size_t oldn, size_t newcap, size_t elem);

#define ARENA_NEW(a, type) ((type *)arena_alloc((a), sizeof(type)))
#define ARENA_ARRAY(a, type, n) ((type *)arena_alloc((a), sizeof(type) * (n)))

/* Append to an arena-backed array (old storage is left in the arena). */
#define ARENA_PUSH(a, ptr, n, cap, item)                                      \
	do {                                                                  \
		if ((size_t)(n) >= (size_t)(cap)) {                           \
			size_t arena_newcap_ = (cap) ? (cap) * 2 : 4;         \
			(ptr) = arena_grow((a), (ptr), (n), arena_newcap_,    \
			                   sizeof *(ptr));                    \
			(cap) = arena_newcap_;                                \
		}                                                             \
		(ptr)[(n)++] = (item);                                        \
	} while (0)

#endif
