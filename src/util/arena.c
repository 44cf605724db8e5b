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

void
arena_init(struct arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->total = 0;
}

void *
arena_alloc(struct arena *a, size_t size)
{
	struct arena_block *b = a->head;
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (b == NULL || b->size - b->used < need) {
		size_t bsize = need > ARENA_BLOCK_SIZE / 4 ? need : ARENA_BLOCK_SIZE;

		if (b != NULL && need > ARENA_BLOCK_SIZE / 4) {
			/* Big allocations get their own block behind the
			 * current one so the current block's free space is
			 * not wasted. */
			struct arena_block *big = xmalloc(sizeof *big + bsize);

			big->used = need;
			big->size = bsize;
			big->next = b->next;
			b->next = big;
			a->total += need;
			memset(big->data, 0, need);
			return big->data;
		}
		b = xmalloc(sizeof *b + bsize);
		b->used = 0;
		b->size = bsize;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += need;
	a->total += need;
	memset(p, 0, need);
	return p;
}

void *
arena_memdup(struct arena *a, const void *p, size_t n)
{
	void *q = arena_alloc(a, n);

	if (n)
		memcpy(q, p, n);
	return q;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);

	memcpy(p, s, len);
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_memdup(a, s, strlen(s) + 1) : NULL;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int len;
	char *p;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = arena_alloc(a, (size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *
arena_grow(struct arena *a, void *old, size_t oldn, size_t newcap, size_t elem)
{
	void *p = arena_alloc(a, newcap * elem);

	if (oldn)
		memcpy(p, old, oldn * elem);
	return p;
}
