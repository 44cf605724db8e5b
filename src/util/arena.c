#include "util/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define ARENA_BLOCK_SIZE (64 * 1024)
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

#define ARENA_MIN_BLOCK 512

void
arena_init(struct arena *a)
{
	memset(a, 0, sizeof *a);
}

void
arena_init_sized(struct arena *a, size_t size_hint)
{
	arena_init(a);
	if (size_hint < ARENA_MIN_BLOCK)
		size_hint = ARENA_MIN_BLOCK;
	if (size_hint < ARENA_BLOCK_SIZE)
		a->next_block = (size_hint + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

void
arena_init_fitted(struct arena *a, size_t size_hint, size_t then)
{
	arena_init_sized(a, size_hint);
	if (a->next_block != 0) {
		if (then < ARENA_MIN_BLOCK)
			then = ARENA_MIN_BLOCK;
		if (then > ARENA_BLOCK_SIZE)
			then = ARENA_BLOCK_SIZE;
		a->after_first = (then + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	}
}

static void
blocks_free(struct arena_block *b, const struct arena_block *until)
{
	struct arena_block *next;

	for (; b != NULL && b != until; b = next) {
		next = b->next;
		free(b);
	}
}

void
arena_free(struct arena *a)
{
	blocks_free(a->head, NULL);
	blocks_free(a->big, NULL);
	free(a->spare);
	a->head = a->big = a->spare = NULL;
	a->total = 0;
}

void
arena_reset(struct arena *a)
{
	struct arena_block *b, *next, *keep = a->spare;

	for (b = a->head; b != NULL; b = b->next)
		if (keep == NULL || b->size > keep->size)
			keep = b;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		if (b != keep)
			free(b);
	}
	if (a->spare != keep)
		free(a->spare);
	blocks_free(a->big, NULL);
	if (keep != NULL) {
		keep->used = 0;
		keep->next = NULL;
	}
	a->head = keep;
	a->big = a->spare = NULL;
	a->total = 0;
}

struct arena_mark
arena_mark(const struct arena *a)
{
	struct arena_mark m = {
		.head = a->head,
		.used = a->head ? a->head->used : 0,
		.big = a->big,
		.total = a->total,
	};

	return m;
}

void
arena_release(struct arena *a, const struct arena_mark *m)
{
	struct arena_block *b, *next;

	/* Blocks made after the mark are in front of it on both lists; the
	 * largest head block stays as the spare for the next round. */
	for (b = a->head; b != NULL && b != m->head; b = next) {
		next = b->next;
		if (a->spare == NULL || b->size > a->spare->size) {
			free(a->spare);
			a->spare = b;
		} else {
			free(b);
		}
	}
	a->head = m->head;
	if (a->head != NULL)
		a->head->used = m->used;
	blocks_free(a->big, m->big);
	a->big = m->big;
	a->total = m->total;
}

size_t
arena_footprint(const struct arena *a)
{
	size_t n = 0;

	for (const struct arena_block *b = a->head; b != NULL; b = b->next)
		n += sizeof *b + b->size;
	for (const struct arena_block *b = a->big; b != NULL; b = b->next)
		n += sizeof *b + b->size;
	if (a->spare != NULL)
		n += sizeof *a->spare + a->spare->size;
	return n;
}

/* A new block at the head (or a big allocation's own block) for size
 * bytes that do not fit the current block; need is size rounded up to
 * align. Out of line: the fast path below is all most calls run. */
static __attribute__((noinline)) void *
arena_place_slow(struct arena *a, size_t need)
{
	struct arena_block *b = a->head;
	size_t next = a->next_block ? a->next_block : ARENA_BLOCK_SIZE;
	size_t bsize = need > next ? need : next;

	if (b != NULL && need > next / 4) {
		/* Big allocations get a block of their own on a list of
		 * their own, so the current block's free space is not
		 * wasted. */
		struct arena_block *big = xmalloc(sizeof *big + need);

		big->used = need;
		big->size = need;
		big->next = a->big;
		a->big = big;
		a->total += need;
		return big->data;
	}
	if (a->spare != NULL && a->spare->size >= bsize) {
		b = a->spare;
		a->spare = NULL;
	} else {
		b = xmalloc(sizeof *b + bsize);
		b->size = bsize;
	}
	b->used = need;
	b->next = a->head;
	a->head = b;
	a->total += need;
	/* Geometric growth from a small first block. */
	if (a->after_first != 0) {
		a->next_block = a->after_first;
		a->after_first = 0;
	} else if (a->next_block != 0 && a->next_block < ARENA_BLOCK_SIZE)
		a->next_block = a->next_block * 2 < ARENA_BLOCK_SIZE ?
		    a->next_block * 2 : ARENA_BLOCK_SIZE;
	return b->data;
}

/* size bytes at an offset that is a multiple of align (a power of two up
 * to ARENA_ALIGN): 16 for anything that may hold a struct, 1 for strings,
 * which so take their length and not a multiple of 16 (half a string's
 * bytes on average were padding: most names are short). Inlined into
 * each allocator of this file: the load makes millions of small
 * allocations, and the bump is a few instructions beside the calls. */
static inline __attribute__((always_inline)) void *
arena_place(struct arena *a, size_t size, size_t align)
{
	struct arena_block *b = a->head;
	size_t need = (size + align - 1) & ~(align - 1);
	size_t at;

	if (__builtin_expect(b == NULL, 0))
		return arena_place_slow(a, need);
	at = (b->used + align - 1) & ~(align - 1);
	if (__builtin_expect(b->size < at || b->size - at < need, 0))
		return arena_place_slow(a, need);
	a->total += at + need - b->used;
	b->used = at + need;
	return b->data + at;
}

void *
arena_alloc_nozero(struct arena *a, size_t size)
{
	return arena_place(a, size, ARENA_ALIGN);
}

/* A string's bytes: no alignment. */
static char *
arena_chars(struct arena *a, size_t size)
{
	return arena_place(a, size, 1);
}

void *
arena_alloc(struct arena *a, size_t size)
{
	void *p = arena_alloc_nozero(a, size);

	memset(p, 0, size);
	return p;
}

void *
arena_memdup(struct arena *a, const void *p, size_t n)
{
	void *q = arena_alloc_nozero(a, n);

	if (n)
		memcpy(q, p, n);
	return q;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_chars(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = arena_chars(a, n);
	memcpy(p, s, n);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int len;
	char *p, buf[256];

	/* One formatting pass for the usual short names. */
	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)len < sizeof buf) {
		p = arena_chars(a, (size_t)len + 1);
		memcpy(p, buf, (size_t)len + 1);
		return p;
	}
	p = arena_chars(a, (size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *
arena_grow(struct arena *a, void *old, size_t oldn, size_t newcap, size_t elem)
{
	unsigned char *p = arena_alloc_nozero(a, newcap * elem);

	if (oldn)
		memcpy(p, old, oldn * elem);
	memset(p + oldn * elem, 0, (newcap - oldn) * elem);
	return p;
}
