/* Allocation that aborts on exhaustion: running out of memory is not an
 * input problem, and every caller would only abort anyway. */
#ifndef CAIRN_XALLOC_H
#define CAIRN_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grow *ptr (an array of *cap elements) so that index n is valid. */
#define ARRAY_RESERVE(ptr, n, cap)                                            \
	do {                                                                  \
		if ((size_t)(n) >= (size_t)(cap)) {                           \
			(cap) = (cap) ? (cap) * 2 : 8;                        \
			while ((size_t)(cap) <= (size_t)(n))                  \
				(cap) *= 2;                                   \
			(ptr) = xreallocarray((ptr), (cap), sizeof *(ptr));   \
		}                                                             \
	} while (0)

/* Append item to the array ptr[0..n), growing it as needed. */
#define ARRAY_PUSH(ptr, n, cap, item)                                         \
	do {                                                                  \
		ARRAY_RESERVE(ptr, n, cap);                                   \
		(ptr)[(n)++] = (item);                                        \
	} while (0)

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif
