/* A bump allocator for data that lives exactly as long as one build, one
 * loaded file or one snapshot: freed all at once, never piece by piece. */
#ifndef CAIRN_ARENA_H
#define CAIRN_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head; /* the block being filled, then older ones */
	size_t total; /* bytes handed out, for memory accounting */
	size_t next_block; /* size of the next block; 0 = the default (64 KiB) */
	size_t after_first; /* arena_init_fitted: the block after the first */
	struct arena_block *big; /* allocations too big to share a block */
	struct arena_block *spare; /* kept by arena_release for reuse */
};

/* A position in an arena: arena_release frees what came after it. */
struct arena_mark {
	struct arena_block *head, *big;
	size_t used, total;
};

void arena_init(struct arena *a);
/* An arena whose first block holds about size_hint bytes; later blocks
 * double up to the default size. For many small arenas (one per loaded
 * file) whose size is roughly known: a default-sized block per small
 * file would make memory grow with the block size, not the data. */
void arena_init_sized(struct arena *a, size_t size_hint);
/* An arena whose first block is a close guess of all it will hold
 * (size_hint bytes) and whose later blocks start at then bytes, doubling
 * up to the default size: a guess a little short costs a small second
 * block, not one twice the first. For many small arenas kept long (the
 * objects of each loaded file), where slack in every block adds up. */
void arena_init_fitted(struct arena *a, size_t size_hint, size_t then);
void arena_free(struct arena *a);
/* Forget everything allocated but keep the largest block for reuse (a
 * scratch arena used once per file). */
void arena_reset(struct arena *a);
/* Bytes of blocks held (what the arena costs, not what it hands out). */
size_t arena_footprint(const struct arena *a);
/* Free everything allocated after m (a stack discipline: the messages of
 * one resource, made and serialized in a loop over many). */
struct arena_mark arena_mark(const struct arena *a);
void arena_release(struct arena *a, const struct arena_mark *m);
void *arena_alloc(struct arena *a, size_t size); /* zeroed, 16-byte aligned */
/* Not zeroed: for memory the caller fills at once (serialized bytes). */
void *arena_alloc_nozero(struct arena *a, size_t size);
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
