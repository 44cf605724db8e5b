/* Sorted arrays (sorted.h). */
#include "util/sorted.h"

#include <string.h>

int
sorted_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t
sorted_search(const void *key, const void *base, size_t n, size_t size,
    int (*cmp)(const void *key, const void *elem))
{
	const char *p = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, p + mid * size) <= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
